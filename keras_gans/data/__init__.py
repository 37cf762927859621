"""Data pipelines: batched, shuffled, prefetched `tf.data` datasets scaled to [-1, 1].

`load(name, ...)` accepts:
- a built-in offline dataset: "digits" (scikit-learn's 8x8 handwritten digits, with
  labels), "ring8" and "grid25" (2-D Gaussian mixtures, the M5 protocol),
  "swiss_roll" (the 2-D Swiss roll of WGAN-GP's toy experiments; no modes),
  "stacked_digits" (three digits as the channels of an 8x8x3 image, 1,000 modes),
  "markov" (one-hot sequences [8, 5] of a fixed Markov chain, the Gumbel-softmax
  example's data, `keras_gans.data.markov`);
- a folder of images;
- any image dataset of tensorflow-datasets by name (mnist, fashion_mnist, cifar10,
  celeb_a, svhn_cropped, ...).
`from_array` turns the user's own NumPy array into the same kind of pipeline.
"""

import os

import numpy as np
import tensorflow as tf

from keras_gans._checks import check_choice
from keras_gans.data import builtin, markov
from keras_gans.data.arrays import from_array, scale_to_unit_range
from keras_gans.data.labelled_subset import (
    UNLABELLED,
    labelled_subset,
    semi_supervised_dataset,
)
from keras_gans.data.sources import DatasetUnavailableError, from_directory, from_tfds

__all__ = [
    "BUILTIN_DATASETS",
    "DatasetUnavailableError",
    "from_array",
    "from_directory",
    "from_tfds",
    "load",
    "load_arrays",
    "scale_to_unit_range",
    "UNLABELLED",
    "labelled_subset",
    "semi_supervised_dataset",
]

BUILTIN_DATASETS = (
    "digits",
    "ring8",
    "grid25",
    "swiss_roll",
    "stacked_digits",
    "markov",
)
# Examples of tensorflow-datasets names that `load` accepts (any image dataset works).
TFDS_EXAMPLES = ("mnist", "fashion_mnist", "cifar10", "celeb_a", "svhn_cropped")
_RESIZE_METHODS = ("bilinear", "nearest", "pad")


def _resize_images(images, image_size, method):
    """Resizes `[n, h, w, c]` images in [-1, 1] to `image_size`; "pad" centres them."""
    check_choice(method, "resize", _RESIZE_METHODS)
    height, width = images.shape[1:3]
    if method == "pad":
        if image_size < max(height, width):
            raise ValueError(
                f"Cannot pad {height}x{width} images to the smaller size {image_size}."
            )
        top, left = (image_size - height) // 2, (image_size - width) // 2
        padding = (
            (0, 0),
            (top, image_size - height - top),
            (left, image_size - width - left),
            (0, 0),
        )
        return np.pad(images, padding, constant_values=-1.0)  # -1 is the background.
    resized = tf.image.resize(
        images, (image_size, image_size), method=method, antialias=True
    )
    return np.clip(resized.numpy(), -1.0, 1.0)


def load_arrays(name, split="train", image_size=None, resize="bilinear"):
    """A built-in dataset as NumPy `(data, labels)`.

    Args:
        name: One of `BUILTIN_DATASETS`.
        split: "train", "test" (or "all" for digits).
        image_size: digits and stacked_digits only: resize the 8x8 images to this
            size.
        resize: How: "bilinear", "nearest" or "pad" (centre on a -1 background).
    """
    if name == "digits":
        images, labels = builtin.digits(split)
        if image_size is not None and image_size != images.shape[1]:
            images = _resize_images(images, image_size, resize)
        return images, labels
    if name == "stacked_digits":
        images, labels = builtin.stacked_digits(split)
        if image_size is not None and image_size != images.shape[1]:
            images = _resize_images(images, image_size, resize)
        return images, labels
    if name in builtin.POINT_DATASETS or name == "markov":
        if image_size is not None:
            raise ValueError(
                f"{name!r} holds 2-D points or sequences, not images: `image_size` "
                "does not apply."
            )
        if name == "markov":
            return markov.markov(split)
        if name == builtin.SWISS_ROLL:
            return builtin.swiss_roll(split)
        return builtin.mixture(name, split)
    raise ValueError(
        f"Unknown built-in dataset {name!r}. Expected one of {BUILTIN_DATASETS}."
    )


def load(
    name,
    batch_size=64,
    split="train",
    shuffle=True,
    seed=None,
    image_size=None,
    resize="bilinear",
    with_labels=False,
    data_dir=None,
    download=True,
    channels=3,
    num_classes=None,
):
    """Loads a dataset by name as a batched, shuffled, prefetched `tf.data.Dataset`.

    Args:
        name: A built-in ("digits", "ring8", "grid25", "swiss_roll",
            "stacked_digits", "markov"), a folder of images, or a
            tensorflow-datasets image dataset name.
        batch_size: Examples per batch (the last incomplete batch is dropped).
        split: "train" or "test" ("all" for digits; any tfds split string for tfds).
            stacked_digits: `builtin.STACKED_DIGITS_SIZES` images per split.
        shuffle: Shuffle every epoch; `seed` makes the order repeat.
        seed: Shuffle seed.
        image_size: Resize images to `image_size x image_size` (digits: 8 by default,
            16 with `resize="pad"` or "bilinear"; folders: 64 by default).
        resize: digits and stacked_digits only: "bilinear", "nearest" or "pad".
        with_labels: Yield `(images, labels)` instead of images.
        data_dir, download: tensorflow-datasets only (see `from_tfds`).
        channels: folders only: 1, 3 or 4.
        num_classes: With labels: the classes the model has (a `ConditionalGAN`'s);
            labels outside [0, num_classes) fail here, before training (a folder
            with more class subfolders, a tfds dataset with more classes).

    Returns:
        A `tf.data.Dataset` of `[batch, h, w, c]` images in [-1, 1] (or `[batch, 2]`
        points for the mixtures and the Swiss roll, `[batch, 8, 5]` one-hot
        sequences for "markov"), or of `(images, labels)`.

    Raises:
        ValueError: for an unknown name (the message lists the built-ins), bad data
            or labels outside [0, num_classes).
        DatasetUnavailableError: for a tfds dataset that is not on disk and cannot be
            downloaded.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"`name` should be a dataset name or a folder. Received: `name={name!r}`."
        )
    if name in BUILTIN_DATASETS:
        data, labels = load_arrays(name, split, image_size, resize)
        return from_array(
            data,
            labels if with_labels else None,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            sequences=name == "markov",
            num_classes=num_classes,
        )
    if os.path.isdir(name):
        return from_directory(
            name,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            image_size=image_size or 64,
            channels=channels,
            with_labels=with_labels,
            num_classes=num_classes,
        )
    if os.sep in name or name.startswith("."):
        raise ValueError(f"Image folder not found: {name!r}.")
    try:
        return from_tfds(
            name,
            split=split,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            image_size=image_size,
            with_labels=with_labels,
            data_dir=data_dir,
            download=download,
            num_classes=num_classes,
        )
    except ValueError as error:
        if "Unknown dataset" in str(error):
            raise ValueError(
                f"Unknown dataset {name!r}. Expected a built-in "
                f"({', '.join(BUILTIN_DATASETS)}), "
                f"a folder of images, or a tensorflow-datasets image dataset such as "
                f"{', '.join(TFDS_EXAMPLES)}."
            ) from error
        raise
