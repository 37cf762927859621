"""The stacked digits dataset (M6, the Stacked-MNIST analogue) against its definition.

Oracle: every channel of every stacked image is looked up among the split's digit
images, and its digit must be the one the label encodes.
"""

import numpy as np
import pytest

from keras_gans import data
from keras_gans.data import builtin

pytestmark = pytest.mark.tensorflow_only


def _digit_of_image(split):
    """{image bytes: set of digits} over the digits of `split`."""
    images, labels = data.load_arrays("digits", split)
    lookup = {}
    for image, label in zip(images, labels, strict=True):
        lookup.setdefault(image[..., 0].tobytes(), set()).add(int(label))
    return lookup


@pytest.mark.parametrize("split", ["train", "test"])
def test_shapes_dtype_range_and_default_sizes(split):
    images, labels = builtin.stacked_digits(split)
    size = builtin.STACKED_DIGITS_SIZES[split]
    assert images.shape == (size, 8, 8, 3) and images.dtype == np.float32
    assert labels.shape == (size,) and labels.dtype == np.int32
    assert images.min() == -1.0 and images.max() == 1.0
    assert labels.min() >= 0 and labels.max() <= 999
    assert len(np.unique(labels)) > 0.99 * 1000  # ~25 / ~10 images per mode


@pytest.mark.parametrize("split", ["train", "test"])
def test_each_channel_is_a_digit_of_the_split_matching_the_label(split):
    images, labels = builtin.stacked_digits(split, num_samples=3000, seed=7)
    lookup = _digit_of_image(split)
    label_digits = np.stack([labels // 100, labels // 10 % 10, labels % 10], axis=1)
    for image, digits in zip(images, label_digits, strict=True):
        for channel in range(3):
            found = lookup.get(image[..., channel].tobytes())
            assert found is not None, "a channel that is not a digit of the split"
            assert int(digits[channel]) in found


def test_train_and_test_channels_come_from_their_own_split():
    test_lookup = _digit_of_image("test")
    train_lookup = _digit_of_image("train")
    only_train = set(train_lookup) - set(test_lookup)
    images, _ = builtin.stacked_digits("train", num_samples=500)
    channels = {images[i, ..., c].tobytes() for i in range(500) for c in range(3)}
    assert channels <= set(train_lookup)
    assert channels & only_train  # not drawn from the test digits


def test_seeded_draws_repeat_and_differ_between_seeds():
    first = builtin.stacked_digits("test", num_samples=100, seed=3)
    second = builtin.stacked_digits("test", num_samples=100, seed=3)
    other = builtin.stacked_digits("test", num_samples=100, seed=4)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], other[1])
    default = builtin.stacked_digits("test", num_samples=100)
    np.testing.assert_array_equal(default[1], builtin.stacked_digits("test", 100)[1])


def test_channels_are_drawn_independently():
    _, labels = builtin.stacked_digits("train", num_samples=20_000, seed=0)
    digits = np.stack([labels // 100, labels // 10 % 10, labels % 10], axis=1)
    # Each channel's digits follow the split's class frequencies (~10% each), and
    # channels are not copies of each other.
    for channel in range(3):
        frequencies = np.bincount(digits[:, channel], minlength=10) / len(labels)
        np.testing.assert_allclose(frequencies, 0.1, atol=0.015)
    assert np.mean(digits[:, 0] == digits[:, 1]) < 0.15


def test_registered_as_a_built_in_dataset():
    assert "stacked_digits" in data.BUILTIN_DATASETS
    images, labels = data.load_arrays("stacked_digits", "test")
    expected_images, expected_labels = builtin.stacked_digits("test")
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    batch_images, batch_labels = next(
        iter(data.load("stacked_digits", batch_size=16, split="test", with_labels=True))
    )
    assert batch_images.shape == (16, 8, 8, 3) and batch_labels.shape == (16,)
    padded, _ = data.load_arrays("stacked_digits", "test", image_size=16, resize="pad")
    assert padded.shape == (10_240, 16, 16, 3)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"split": "all"}, "Unknown split 'all' for 'stacked_digits'"),
        ({"num_samples": 0}, r"`num_samples` should be a positive integer.*=0"),
        ({"num_samples": 2.5}, r"Received: `num_samples=2.5`"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        builtin.stacked_digits(**kwargs)
