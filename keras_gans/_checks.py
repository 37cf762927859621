"""Argument checks shared by modules that validate the same kinds of values."""

import numpy as np


def check_integer(value, name, minimum=1):
    """`int(value)` when `value` is an integer >= `minimum` (not a bool); else a
    ValueError naming the argument, what was received and what is expected."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        valid = False
    else:
        valid = value >= minimum
    if not valid:
        raise ValueError(
            f"`{name}` should be an integer >= {minimum}. Received: `{name}={value!r}`."
        )
    return int(value)
