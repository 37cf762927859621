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
