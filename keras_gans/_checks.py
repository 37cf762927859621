"""Argument checks shared by modules that validate the same kinds of values.

Each check returns the value as a plain Python `int`, `float`, `bool` or tuple
when it is valid; otherwise it raises a ValueError that names the argument, says
what was expected and echoes what was received, e.g. "`width` should be a
positive integer. Received: `width=0`.". Booleans are not integers or numbers
here (`True` is no width), NumPy integers and floats are, and NaN and infinity
are no finite number.
"""

import collections.abc
import math
import numbers

import numpy as np


def _raise(name, expected, value):
    raise ValueError(f"`{name}` should be {expected}. Received: `{name}={value!r}`.")


def _is_integer(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_finite_number(value):
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _equals(value, choice):
    try:
        return bool(value == choice)
    except (TypeError, ValueError):  # e.g. an array compared elementwise
        return False


def check_integer(value, name, minimum=1, allow_none=False):
    """`int(value)` when `value` is an integer >= `minimum` (not a bool; any
    integer when `minimum` is None), or None when `value` is None and
    `allow_none`; else a ValueError naming the argument, what was received and
    what is expected."""
    if allow_none and value is None:
        return None
    if not _is_integer(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        expected = f"an integer{bound}" + (" or None" if allow_none else "")
        _raise(name, expected, value)
    return int(value)


def check_positive_integer(value, name, allow_none=False):
    """`check_integer(value, name, 1, allow_none)` with the message "a positive
    integer" (or "a positive integer or None")."""
    if allow_none and value is None:
        return None
    if not _is_integer(value) or value < 1:
        _raise(name, "a positive integer" + (" or None" if allow_none else ""), value)
    return int(value)


def check_positive_number(value, name):
    """`float(value)` when `value` is a finite real number > 0 (not a bool)."""
    if not _is_finite_number(value) or not value > 0:
        _raise(name, "a positive finite number", value)
    return float(value)


def check_non_negative_number(value, name):
    """`float(value)` when `value` is a finite real number >= 0 (not a bool)."""
    if not _is_finite_number(value) or not value >= 0:
        _raise(name, "a non-negative finite number", value)
    return float(value)


def check_rate(value, name, low=0.0, high=1.0, include_low=True, include_high=False):
    """`float(value)` when `value` is a real number in the interval from `low` to
    `high`, each end included or not (default `[0, 1)`, a dropout rate; a
    probability is `include_high=True`)."""
    valid = _is_finite_number(value) and (
        (low <= value if include_low else low < value)
        and (value <= high if include_high else value < high)
    )
    if not valid:
        opening = "[" if include_low else "("
        closing = "]" if include_high else ")"
        _raise(name, f"a number in {opening}{low:g}, {high:g}{closing}", value)
    return float(value)


def check_choice(value, name, choices):
    """`value` when it is one of `choices` (a bool matches only a bool choice)."""
    choices = tuple(choices)
    valid = any(
        _equals(value, choice) and isinstance(value, bool) == isinstance(choice, bool)
        for choice in choices
    )
    if not valid:
        _raise(name, f"one of {choices}", value)
    return value


def check_bool(value, name):
    """`bool(value)` when `value` is True or False (a Python or NumPy bool)."""
    if not isinstance(value, (bool, np.bool_)):
        _raise(name, "True or False", value)
    return bool(value)


def check_positive_integers(value, name, allow_empty=False):
    """`tuple(int(v) for v in value)` when `value` is a sequence of positive
    integers, such as the units of an MLP's hidden layers; non-empty unless
    `allow_empty` (an MLP with no hidden layer is linear)."""
    if isinstance(value, (str, bytes)) or not isinstance(
        value, (collections.abc.Sequence, np.ndarray)
    ):
        valid = False
    else:
        valid = (allow_empty or len(value) > 0) and all(
            _is_integer(v) and v >= 1 for v in value
        )
    if not valid:
        amount = "" if allow_empty else "one or more "
        _raise(name, f"a sequence of {amount}positive integers", value)
    return tuple(int(v) for v in value)
