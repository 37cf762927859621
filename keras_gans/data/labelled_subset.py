"""A few labels per class: the data side of the semi-supervised K+1 GAN (catalogue T6).

Salimans et al. 2016 ("Improved Techniques for Training GANs",
https://arxiv.org/abs/1606.03498, section 5) train the discriminator as a classifier
on a small labelled subset of the training set (20 to 200 labelled images in all
on MNIST, 1,000 to 8,000 on CIFAR-10) while the GAN game uses every training
image. Two pieces here:

- `labelled_subset(labels, labels_per_class, seed)` picks exactly
  `labels_per_class` examples of every class, uniformly without replacement and
  reproducibly from `seed`, and returns the labelled and the unlabelled indices.
- `semi_supervised_dataset(...)` builds the `tf.data` pipeline of `(images, labels)`
  batches in which the unlabelled examples carry the label **-1** (so a model finds
  its supervised examples with `labels >= 0`). Like the paper, every step sees a
  labelled part and an unlabelled part: `labelled_batch_size` examples drawn from
  the labelled subset (reshuffled and repeated: a few labels are seen many times
  per epoch) and the rest from the unlabelled examples (each once per epoch). One
  epoch is one pass over the unlabelled examples. The labelled examples never
  appear with the label -1, so the label -1 marks exactly the unlabelled ones; the
  unsupervised GAN loss may still use every image of a batch, labelled or not.

Inside a batch the two parts are interleaved evenly (not concatenated), so when
`tf.distribute` splits a batch into contiguous shares each replica gets the same
number of labelled examples (exactly, when the replica count divides both parts).
Images follow the conventions of `from_array`: `[n, h, w]` or `[n, h, w, c]`
channels-last scaled to [-1, 1] (`scale_to_unit_range`), or vectors `[n, d]` left
as they are.
"""

import numpy as np
import tensorflow as tf

from keras_gans._checks import check_integer
from keras_gans.data.arrays import scale_to_unit_range

__all__ = ["UNLABELLED", "labelled_subset", "semi_supervised_dataset"]

UNLABELLED = -1  # The label of an example whose label is hidden.
# Offsets of the shuffle seeds from `seed`, so the two streams differ.
_LABELLED_SHUFFLE_SEED_OFFSET = 1
_UNLABELLED_SHUFFLE_SEED_OFFSET = 2


def _check_class_labels(labels):
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            "`labels` should be a 1-D array of integer class labels. Received: "
            f"shape={labels.shape}, dtype={labels.dtype}."
        )
    if labels.size and labels.min() < 0:
        raise ValueError(
            "`labels` should be class indices >= 0 (-1 is reserved for unlabelled "
            f"examples). Received: a minimum of {int(labels.min())}."
        )
    return labels


def labelled_subset(labels, labels_per_class, seed=0):
    """Indices of a balanced labelled subset and of the rest.

    For every class that occurs in `labels`, `labels_per_class` of its examples are
    drawn uniformly without replacement with `numpy.random.default_rng(seed)`.

    Args:
        labels: `[n]` integer class labels (>= 0), e.g. the digits TRAIN labels
            (never the test split: the held-out accuracy must stay held out).
        labels_per_class: Positive number of labelled examples per class.
        seed: Integer seed; the same seed gives the same subset.

    Returns:
        `(labelled_indices, unlabelled_indices)`: sorted int64 arrays that partition
        `range(n)`; `labelled_indices` has `labels_per_class * num_classes` entries.

    Raises:
        ValueError: if a class has fewer than `labels_per_class` examples (the
            message names every such class and its count).

    Example:

    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> labelled, unlabelled = labelled_subset(labels, 1, seed=0)
    >>> np.bincount(labels[labelled]).tolist(), len(unlabelled)
    ([1, 1, 1], 6)
    """
    labels = _check_class_labels(labels)
    labels_per_class = check_integer(labels_per_class, "labels_per_class", 1)
    seed = check_integer(seed, "seed", 0)
    if labels.size == 0:
        raise ValueError("`labels` is empty: there is no class to draw from.")
    classes, counts = np.unique(labels, return_counts=True)
    short = [
        f"class {int(label)} has {int(count)}"
        for label, count in zip(classes, counts, strict=True)
        if count < labels_per_class
    ]
    if short:
        raise ValueError(
            f"`labels_per_class={labels_per_class}` is more than some classes have: "
            f"{', '.join(short)} examples."
        )
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == label), labels_per_class, replace=False)
        for label in classes
    ]
    labelled_indices = np.sort(np.concatenate(chosen)).astype("int64")
    is_labelled = np.zeros(len(labels), dtype=bool)
    is_labelled[labelled_indices] = True
    unlabelled_indices = np.flatnonzero(~is_labelled).astype("int64")
    return labelled_indices, unlabelled_indices


def _prepare_data(images):
    """`images` as float32, checked the way `from_array` checks them."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]  # [n, h, w] -> [n, h, w, 1]
    if images.ndim == 4:
        return scale_to_unit_range(images)
    if images.ndim == 2:
        images = images.astype("float32")
        if not np.all(np.isfinite(images)):
            raise ValueError(
                "Vectors contain NaN or Inf values; expected finite values."
            )
        return images
    raise ValueError(
        "`images` should be images [n, h, w] / [n, h, w, c] or vectors [n, d]. "
        f"Received: shape={images.shape}."
    )


def _interleaving_order(labelled_batch_size, unlabelled_batch_size):
    """Row order that spreads the labelled rows evenly through a batch.

    The batch is `concat([labelled, unlabelled])`; row `i` of each part sits at the
    fraction `(i + 0.5) / part_size` of the batch, and sorting by it interleaves the
    parts (ties: labelled first).
    """
    positions = np.concatenate(
        [
            (np.arange(labelled_batch_size) + 0.5) / labelled_batch_size,
            (np.arange(unlabelled_batch_size) + 0.5) / unlabelled_batch_size,
        ]
    )
    return np.argsort(positions, kind="stable").astype("int32")


def semi_supervised_dataset(
    images,
    labels,
    labels_per_class,
    batch_size,
    seed=0,
    labelled_batch_size=None,
):
    """`(images, labels)` batches mixing a few labelled and many unlabelled examples.

    Each batch holds `labelled_batch_size` examples of the balanced labelled subset
    (`labelled_subset(labels, labels_per_class, seed)`) with their labels and
    `batch_size - labelled_batch_size` unlabelled examples with the label -1,
    interleaved. The labelled stream is reshuffled on every pass and repeats as
    often as needed; the unlabelled stream defines the epoch: `num_unlabelled //
    (batch_size - labelled_batch_size)` batches (the remainder is dropped and the
    order reshuffled every epoch, reproducibly from `seed`). Call `.repeat()` for
    more epochs.

    Args:
        images: `[n, h, w]` / `[n, h, w, c]` images (scaled to [-1, 1] like
            `from_array`: uint8 as [0, 255], floats as already in [-1, 1]) or
            `[n, d]` vectors.
        labels: `[n]` integer class labels >= 0.
        labels_per_class: Labels kept per class; every other label becomes -1.
        batch_size: Examples per batch, at least 2.
        seed: Integer seed of the subset and of both shuffles.
        labelled_batch_size: Labelled examples per batch, in [1, batch_size - 1];
            default `batch_size // 2` (equal labelled and unlabelled parts, as
            Salimans et al. feed one labelled and one unlabelled batch per step).

    Returns:
        A finite `tf.data.Dataset` of `(images [batch, ...] float32, labels [batch]
        int32)`.

    Example:

    >>> images = np.zeros((40, 4, 4, 1), dtype="float32")
    >>> labels = np.repeat(np.arange(4), 10)
    >>> dataset = semi_supervised_dataset(images, labels, 2, batch_size=8)
    >>> batch_images, batch_labels = next(iter(dataset))
    >>> tuple(batch_images.shape), int(np.sum(batch_labels.numpy() >= 0))
    ((8, 4, 4, 1), 4)
    """
    labels = _check_class_labels(labels)
    images = _prepare_data(images)
    if len(images) != len(labels):
        raise ValueError(
            "`images` and `labels` should have one entry per example. Received: "
            f"{len(images)} images and {len(labels)} labels."
        )
    batch_size = check_integer(batch_size, "batch_size", 2)
    if labelled_batch_size is None:
        labelled_batch_size = batch_size // 2
    labelled_batch_size = check_integer(labelled_batch_size, "labelled_batch_size", 1)
    if labelled_batch_size >= batch_size:
        raise ValueError(
            "`labelled_batch_size` should be smaller than `batch_size` so every batch "
            f"also has unlabelled examples. Received: `labelled_batch_size="
            f"{labelled_batch_size}`, `batch_size={batch_size}`."
        )
    seed = check_integer(seed, "seed", 0)
    labelled_indices, unlabelled_indices = labelled_subset(
        labels, labels_per_class, seed
    )
    unlabelled_batch_size = batch_size - labelled_batch_size
    if len(unlabelled_indices) < unlabelled_batch_size:
        raise ValueError(
            f"Only {len(unlabelled_indices)} examples are left unlabelled, fewer than "
            f"the {unlabelled_batch_size} unlabelled examples each batch needs "
            f"(`batch_size={batch_size}`, `labelled_batch_size={labelled_batch_size}`)."
        )

    labelled = (
        tf.data.Dataset.from_tensor_slices(
            (images[labelled_indices], labels[labelled_indices].astype("int32"))
        )
        .shuffle(
            len(labelled_indices),
            seed=seed + _LABELLED_SHUFFLE_SEED_OFFSET,
            reshuffle_each_iteration=True,
        )
        .repeat()
        .batch(labelled_batch_size, drop_remainder=True)
    )
    unlabelled = (
        tf.data.Dataset.from_tensor_slices(
            (
                images[unlabelled_indices],
                np.full(len(unlabelled_indices), UNLABELLED, dtype="int32"),
            )
        )
        .shuffle(
            len(unlabelled_indices),
            seed=seed + _UNLABELLED_SHUFFLE_SEED_OFFSET,
            reshuffle_each_iteration=True,
        )
        .batch(unlabelled_batch_size, drop_remainder=True)
    )
    order = tf.constant(_interleaving_order(labelled_batch_size, unlabelled_batch_size))

    def interleave(labelled_part, unlabelled_part):
        batch_images = tf.concat([labelled_part[0], unlabelled_part[0]], axis=0)
        batch_labels = tf.concat([labelled_part[1], unlabelled_part[1]], axis=0)
        return tf.gather(batch_images, order), tf.gather(batch_labels, order)

    dataset = tf.data.Dataset.zip((labelled, unlabelled)).map(interleave)
    return dataset.prefetch(tf.data.AUTOTUNE)
