"""Checks, scaling and the `tf.data` pipeline for in-memory data (NumPy arrays).

Every pipeline that `keras_gans.data` builds from arrays goes through `from_array`,
so bad data fails here, before training starts, with a message that says what was
received and what is expected.
"""

import numpy as np
import tensorflow as tf

from keras_gans._checks import check_positive_integer

__all__ = ["from_array", "scale_to_unit_range"]

_RANGE_TOLERANCE = 1e-5


def scale_to_unit_range(images, value_range=None):
    """Scales images to [-1, 1] and checks the result.

    Args:
        images: A NumPy array of images.
        value_range: `(low, high)` of the input values. `None` means `(0, 255)` for
            uint8 input and "already in [-1, 1]" for floating-point input.

    Raises:
        ValueError: for integer input other than uint8 without `value_range`, for NaN or
            Inf values, or for values outside [-1, 1] after scaling.
    """
    if value_range is None:
        if images.dtype == np.uint8:
            value_range = (0.0, 255.0)
        elif not np.issubdtype(images.dtype, np.floating):
            raise ValueError(
                f"Images of dtype {images.dtype} need `value_range=(low, high)` to be "
                "scaled to [-1, 1] (uint8 is assumed to be [0, 255], floats to be "
                "in [-1, 1] already)."
            )
    images = images.astype("float32")
    if not np.all(np.isfinite(images)):
        raise ValueError(
            f"Images contain {int(np.sum(~np.isfinite(images)))} NaN or Inf values; "
            "expected finite pixel values."
        )
    if value_range is not None:
        low, high = (float(v) for v in value_range)
        if not high > low:
            raise ValueError(
                f"`value_range` should be (low, high) with high > low. "
                f"Received: `value_range={value_range}`."
            )
        images = (images - low) / (high - low) * 2.0 - 1.0
    if images.size:
        low, high = float(images.min()), float(images.max())
        if low < -1.0 - _RANGE_TOLERANCE or high > 1.0 + _RANGE_TOLERANCE:
            raise ValueError(
                f"Images have values in [{low:.4g}, {high:.4g}] after scaling; "
                "expected [-1, 1]. Pass `value_range=(low, high)` with the range of "
                "your data (e.g. (0, 255) or (0, 1))."
            )
    return np.clip(images, -1.0, 1.0)


def _check_class_labels(labels, num_classes):
    """Raises a ValueError unless `labels` are integer classes in [0, num_classes).

    Args:
        labels: A NumPy array of labels.
        num_classes: The number of classes, e.g. a `ConditionalGAN`'s.
    """
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"Labels should be integer classes in [0, {num_classes}) "
            f"(`num_classes={num_classes}`). Received labels of dtype {labels.dtype}."
        )
    outside = (labels < 0) | (labels >= num_classes)
    if labels.size and np.any(outside):
        raise ValueError(
            f"Labels should be integer classes in [0, {num_classes}) "
            f"(`num_classes={num_classes}`). Received labels in "
            f"[{labels.min()}, {labels.max()}]: {int(np.sum(outside))} of "
            f"{labels.size} are outside."
        )


def _check_labels(labels, num_examples, num_classes):
    labels = np.asarray(labels)
    if labels.ndim not in (1, 2) or len(labels) != num_examples:
        raise ValueError(
            f"Labels should have one entry per example: shape [{num_examples}] or "
            f"[{num_examples}, k]. Received labels of shape {labels.shape}."
        )
    if num_classes is not None:
        _check_class_labels(labels, num_classes)
    if np.issubdtype(labels.dtype, np.integer):
        return labels.astype("int32")
    if np.issubdtype(labels.dtype, np.floating):
        return labels.astype("float32")
    raise ValueError(
        f"Labels should be integers or floats. Received dtype {labels.dtype}."
    )


def from_array(
    data,
    labels=None,
    batch_size=64,
    shuffle=True,
    seed=None,
    value_range=None,
    drop_remainder=True,
    sequences=False,
    num_classes=None,
):
    """A batched, shuffled, prefetched `tf.data.Dataset` from a NumPy array.

    Args:
        data: Images `[n, h, w]` or `[n, h, w, c]` (channels last; scaled to [-1, 1]),
            vectors `[n, d]` such as 2-D points (not rescaled), or with
            `sequences=True` sequences `[n, length, features]` (not rescaled).
        labels: Optional `[n]` or `[n, k]` labels; elements are then `(data, labels)`.
        batch_size: Examples per batch.
        shuffle: Shuffle every epoch (reproducibly when `seed` is set).
        seed: Shuffle seed.
        value_range: See `scale_to_unit_range` (images only).
        drop_remainder: Drop the last incomplete batch (the default: every step sees a
            full batch, and every replica of a `tf.distribute` strategy an equal share).
        sequences: Read rank-3 `data` as sequences (e.g. one-hot rows) rather than
            grayscale images `[n, h, w]`.
        num_classes: With labels: they must be integer classes in
            [0, num_classes) (a `ConditionalGAN`'s classes).

    Raises:
        ValueError: for an empty array, a wrong rank, a batch larger than the data,
            labels that do not match (or lie outside [0, num_classes)), or image
            values outside [-1, 1] after scaling.
    """
    data = np.asarray(data)
    if data.ndim == 0 or len(data) == 0:
        raise ValueError(
            f"The dataset is empty: received an array of shape {data.shape}."
        )
    if sequences:
        if data.ndim != 3:
            raise ValueError(
                "`sequences=True` expects data [n, length, features]. Received an "
                f"array of shape {data.shape}."
            )
    elif data.ndim == 3:
        data = data[..., np.newaxis]  # [n, h, w] -> [n, h, w, 1]
    if data.ndim == 4:
        if data.shape[-1] not in (1, 2, 3, 4):
            raise ValueError(
                "Images should be channels-last [n, height, width, channels] with 1-4 "
                f"channels. Received shape {data.shape}"
                + (
                    " (channels first? transpose to channels last)"
                    if data.shape[1] <= 4
                    else ""
                )
                + "."
            )
        data = scale_to_unit_range(data, value_range)
    elif data.ndim == 2 or sequences:
        data = data.astype("float32")
        if not np.all(np.isfinite(data)):
            raise ValueError(
                "Vectors and sequences contain NaN or Inf values; expected finite "
                "values."
            )
    else:
        raise ValueError(
            "Expected images [n, h, w] / [n, h, w, c] or vectors [n, d]. "
            f"Received an array of rank {data.ndim} and shape {data.shape}."
        )
    check_positive_integer(batch_size, "batch_size")
    if drop_remainder and batch_size > len(data):
        raise ValueError(
            f"`batch_size={batch_size}` is larger than the dataset's {len(data)} "
            "examples, so no full batch exists. Use a smaller batch size."
        )
    elements = (
        data
        if labels is None
        else (data, _check_labels(labels, len(data), num_classes))
    )
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    if shuffle:
        dataset = dataset.shuffle(len(data), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(
        tf.data.AUTOTUNE
    )
