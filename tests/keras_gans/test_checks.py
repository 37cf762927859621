"""The shared argument checks: what each accepts, what it returns, and that its
error names the argument, echoes the received value and states the expectation."""

import re

import numpy as np
import pytest

from keras_gans._checks import (
    check_bool,
    check_choice,
    check_integer,
    check_non_negative_number,
    check_positive_integer,
    check_positive_integers,
    check_positive_number,
    check_rate,
)


def _raises(message):
    """`pytest.raises(ValueError)` matching `message` literally."""
    return pytest.raises(ValueError, match=re.escape(message))


@pytest.mark.parametrize("value", [0, 3, np.int64(2), np.uint8(7), 10**30])
def test_check_integer_accepts_python_and_numpy_integers(value):
    result = check_integer(value, "steps", minimum=0)
    assert result == value and type(result) is int


@pytest.mark.parametrize(
    "value", [True, False, np.bool_(True), 2.0, np.float32(2), "2", None, -1]
)
def test_check_integer_rejects_bools_floats_strings_and_small_values(value):
    with _raises(f"`steps` should be an integer >= 0. Received: `steps={value!r}`."):
        check_integer(value, "steps", minimum=0)


def test_check_integer_allow_none():
    assert check_integer(None, "seed", minimum=0, allow_none=True) is None
    assert check_integer(5, "seed", minimum=0, allow_none=True) == 5
    with _raises("`seed` should be an integer >= 0 or None. Received: `seed=-1`."):
        check_integer(-1, "seed", minimum=0, allow_none=True)
    with _raises("`seed` should be an integer >= 1. Received: `seed=None`."):
        check_integer(None, "seed")


def test_check_integer_without_a_minimum_accepts_any_integer():
    assert check_integer(-3, "quarter_turns", minimum=None) == -3
    assert type(check_integer(np.int8(5), "quarter_turns", minimum=None)) is int
    for value in (True, 1.5, "1", None):
        with _raises(
            "`quarter_turns` should be an integer. "
            f"Received: `quarter_turns={value!r}`."
        ):
            check_integer(value, "quarter_turns", minimum=None)
    with _raises("`offset` should be an integer or None. Received: `offset=0.5`."):
        check_integer(0.5, "offset", minimum=None, allow_none=True)


def test_check_positive_integer():
    assert check_positive_integer(1, "width") == 1
    assert type(check_positive_integer(np.int32(4), "width")) is int
    assert check_positive_integer(None, "num_classes", allow_none=True) is None
    for value in (0, -3, True, 1.0, "4", None):
        with _raises(
            f"`width` should be a positive integer. Received: `width={value!r}`."
        ):
            check_positive_integer(value, "width")
    with _raises(
        "`num_classes` should be a positive integer or None. Received: `num_classes=0`."
    ):
        check_positive_integer(0, "num_classes", allow_none=True)


@pytest.mark.parametrize("value", [1, 0.5, np.float32(2.5), np.int64(3), 1e300])
def test_check_positive_number_accepts_finite_numbers_above_zero(value):
    result = check_positive_number(value, "threshold")
    assert result == pytest.approx(float(value)) and type(result) is float


@pytest.mark.parametrize(
    "value",
    [0, -1.0, float("nan"), float("inf"), np.float64("nan"), True, "1", None, 10**400],
)
def test_check_positive_number_rejects_zero_nan_inf_bools_and_non_numbers(value):
    with _raises(
        "`threshold` should be a positive finite number. "
        f"Received: `threshold={value!r}`."
    ):
        check_positive_number(value, "threshold")


def test_check_non_negative_number():
    assert check_non_negative_number(0, "stddev") == 0.0
    assert type(check_non_negative_number(np.float16(0.5), "stddev")) is float
    for value in (-1e-9, float("-inf"), float("inf"), float("nan"), False, [1.0]):
        with _raises(
            "`stddev` should be a non-negative finite number. "
            f"Received: `stddev={value!r}`."
        ):
            check_non_negative_number(value, "stddev")


def test_check_rate_default_interval_is_zero_included_one_excluded():
    assert check_rate(0, "dropout_rate") == 0.0
    assert check_rate(np.float32(0.25), "dropout_rate") == 0.25
    for value in (1.0, -0.1, float("nan"), True, "0.5"):
        with _raises(
            "`dropout_rate` should be a number in [0, 1). "
            f"Received: `dropout_rate={value!r}`."
        ):
            check_rate(value, "dropout_rate")


def test_check_rate_with_other_ends():
    assert check_rate(1, "alpha", include_high=True) == 1.0
    with _raises("`alpha` should be a number in [0, 1]. Received: `alpha=1.5`."):
        check_rate(1.5, "alpha", include_high=True)
    assert check_rate(0.9, "confidence", include_low=False) == 0.9
    with _raises(
        "`confidence` should be a number in (0, 1). Received: `confidence=0`."
    ):
        check_rate(0, "confidence", include_low=False)
    with _raises("`weight` should be a number in [0.5, 2]. Received: `weight=0.25`."):
        check_rate(0.25, "weight", low=0.5, high=2.0, include_high=True)


def test_check_choice():
    assert check_choice("nearest", "interpolation", ("bilinear", "nearest")) == (
        "nearest"
    )
    assert check_choice(16, "image_size", [8, 16]) == 16
    with _raises(
        "`interpolation` should be one of ('bilinear', 'nearest'). "
        "Received: `interpolation='cubic'`."
    ):
        check_choice("cubic", "interpolation", ("bilinear", "nearest"))
    # True == 1 in Python, but a bool is no image size.
    with _raises("`image_size` should be one of (1, 8). Received: `image_size=True`."):
        check_choice(True, "image_size", (1, 8))
    # An array compares elementwise; it is no choice, not an error of its own.
    with _raises("`method` should be one of ('linear',). Received: `method=array"):
        check_choice(np.zeros(2), "method", ["linear"])


def test_check_bool():
    assert check_bool(True, "hard") is True
    assert check_bool(np.bool_(False), "hard") is False
    for value in (1, 0, "True", None, 1.0):
        with _raises(f"`hard` should be True or False. Received: `hard={value!r}`."):
            check_bool(value, "hard")


def test_check_positive_integers():
    assert check_positive_integers([128, np.int64(64)], "hidden_units") == (128, 64)
    assert type(check_positive_integers(np.array([3]), "hidden_units")[0]) is int
    assert check_positive_integers(range(1, 3), "hidden_units") == (1, 2)
    assert check_positive_integers((), "hidden_units", allow_empty=True) == ()
    for value in ((), (8, 0), (8, True), (8.0,), 8, "88", None, np.zeros((2, 2))):
        with _raises(
            "`hidden_units` should be a sequence of one or more positive integers. "
            f"Received: `hidden_units={value!r}`."
        ):
            check_positive_integers(value, "hidden_units")
    with _raises(
        "`hidden_units` should be a sequence of positive integers. "
        "Received: `hidden_units=(-1,)`."
    ):
        check_positive_integers((-1,), "hidden_units", allow_empty=True)
