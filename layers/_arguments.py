"""Argument checks shared by the layers (private: not part of the public API)."""


def pair_of_positive_integers(value, name):
    """`value` as a pair of positive integers (an int `n` means `(n, n)`).

    Raises:
        ValueError: naming the argument and echoing the value received.
    """
    pair = (value, value) if isinstance(value, int) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(
            isinstance(item, int) and not isinstance(item, bool) and item > 0
            for item in pair
        )
    ):
        raise ValueError(
            f"`{name}` should be a positive integer or a pair of positive "
            f"integers. Received: `{name}={value}`"
        )
    return tuple(pair)


def check_positive_integer(value, name):
    """Raises a ValueError naming `name` unless `value` is an int >= 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"`{name}` should be a positive integer. Received: `{name}={value}`"
        )


def check_positive_number(value, name):
    """Raises a ValueError naming `name` unless `value` is an int or float > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(
            f"`{name}` should be a positive number. Received: `{name}={value}`"
        )
