"""Offline datasets: scikit-learn's handwritten digits and the 2-D Gaussian mixtures.

Nothing here touches the network, so tests and the default run work anywhere.

- `digits`: the 1,797 8x8 grayscale digits (16 gray levels) of the UCI optical
  recognition set that ship with scikit-learn, scaled from [0, 16] to [-1, 1], with
  labels 0-9. Fixed stratified split (seed 0): 1,437 train, 360 test.
- `ring8`: 8 Gaussians on the unit circle at angles 2*pi*k/8, k = 0..7 (no duplicated
  endpoint), standard deviation 0.01 (the M5 protocol).
- `grid25`: 25 Gaussians with means in {-4, -2, 0, 2, 4}^2, standard deviation 0.05.
- `swiss_roll`: the 2-D Swiss roll of Gulrajani et al. 2017 (WGAN-GP, Figure 1):
  scikit-learn's `make_swiss_roll` with noise 0.25, its columns 0 and 2, divided
  by 7.5. A continuous manifold: it has no modes, so no mode-coverage metric
  applies to it.
- `stacked_digits`: three digits of one split as the channels of an 8x8x3 image,
  1,000 modes (the Stacked-MNIST analogue, catalogue M6).

Mixture points are not images: they are not rescaled. Labels of a mixture are the
index of the component each point came from; those of the Swiss roll are the
position along the roll (scikit-learn's `t`, a float, not a class).
"""

import numpy as np

from keras_gans._checks import check_positive_integer

__all__ = [
    "MIXTURES",
    "POINT_DATASETS",
    "digits",
    "mixture",
    "mixture_means",
    "stacked_digits",
    "swiss_roll",
]

DIGITS_SPLIT_SEED = 0
DIGITS_TEST_FRACTION = 0.2
DIGITS_MAX_VALUE = (
    16.0  # sklearn's digits are counts of "on" pixels in 4x4 blocks: 0..16.
)

MIXTURES = {
    # name: (standard deviation of each component)
    "ring8": 0.01,
    "grid25": 0.05,
}
# The 2-D built-ins: the mixtures (which have modes) and the Swiss roll (which has
# none).
SWISS_ROLL = "swiss_roll"
POINT_DATASETS = (*MIXTURES, SWISS_ROLL)
# The Swiss roll of the WGAN-GP authors' toy script (gan_toy.py): sklearn's noise
# 0.25, the columns (x, z) of its 3-D roll, divided by 7.5 ("stdev plus a little").
SWISS_ROLL_NOISE = 0.25
SWISS_ROLL_COLUMNS = (0, 2)
SWISS_ROLL_SCALE = 7.5
# Points per split of the mixtures: enough that an epoch is a few hundred steps at
# batch 256 and the M5 protocol's 2,500 evaluation samples are a small fraction.
MIXTURE_SIZES = {"train": 51_200, "test": 10_240}
# Images per split of stacked digits: about 25 per mode of the 1,000 for training
# (100 batches of 256) and about 10 per mode for evaluation.
STACKED_DIGITS_SIZES = {"train": 25_600, "test": 10_240}


def mixture_means(name):
    """The `[num_modes, 2]` component means of a 2-D mixture."""
    if name == "ring8":
        angles = 2.0 * np.pi * np.arange(8) / 8.0
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype("float32")
    if name == "grid25":
        axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0], dtype="float32")
        return np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    raise ValueError(f"Unknown mixture {name!r}. Expected one of {sorted(MIXTURES)}.")


def mixture(name, split="train", seed=None, num_samples=None):
    """Points of a 2-D Gaussian mixture with equal weights.

    Args:
        name: "ring8" or "grid25".
        split: "train" or "test" (different draws; sizes in `MIXTURE_SIZES`).
        seed: Seed of the draw; by default one fixed per split, so the data repeat.
        num_samples: Positive number of points; by default `MIXTURE_SIZES[split]`
            (PacGAN's experiments train on 100,000).

    Returns:
        `(points [n, 2] float32, component [n] int32)`.
    """
    if split not in MIXTURE_SIZES:
        raise ValueError(
            f"Unknown split {split!r} for {name!r}. "
            f"Expected one of {sorted(MIXTURE_SIZES)}."
        )
    if num_samples is None:
        num_samples = MIXTURE_SIZES[split]
    check_positive_integer(num_samples, "num_samples")
    means = mixture_means(name)
    if seed is None:
        seed = 0 if split == "train" else 1
    rng = np.random.default_rng(seed)
    size = int(num_samples)
    component = rng.integers(0, len(means), size=size)
    points = means[component] + MIXTURES[name] * rng.standard_normal((size, 2))
    return points.astype("float32"), component.astype("int32")


def swiss_roll(split="train", seed=None, num_samples=None):
    """Points of the 2-D Swiss roll of WGAN-GP's toy experiments.

    `x = make_swiss_roll(n, noise=0.25)[0][:, [0, 2]] / 7.5`: scikit-learn's 3-D
    roll `(t cos t, h, t sin t) + 0.25 N(0, I)` with `t ~ U[1.5π, 4.5π]`, seen
    from above (columns 0 and 2), scaled into about [-1.7, 2]. Gulrajani et al.
    2017, https://arxiv.org/abs/1704.00028, Figure 1 (the authors' `gan_toy.py`).

    Args:
        split: "train" or "test" (different draws; sizes in `MIXTURE_SIZES`).
        seed: Seed of the draw (scikit-learn's `random_state`); by default one
            fixed per split (0 train, 1 test), so the data repeat.
        num_samples: Positive number of points; by default `MIXTURE_SIZES[split]`.

    Returns:
        `(points [n, 2] float32, t [n] float32)`: `t` is the position along the
        roll, not a class.

    Example:

    >>> points, t = swiss_roll("test", num_samples=5)
    >>> points.shape, t.shape, points.dtype.name
    ((5, 2), (5,), 'float32')
    """
    from sklearn.datasets import make_swiss_roll

    if split not in MIXTURE_SIZES:
        raise ValueError(
            f"Unknown split {split!r} for {SWISS_ROLL!r}. "
            f"Expected one of {sorted(MIXTURE_SIZES)}."
        )
    if num_samples is None:
        num_samples = MIXTURE_SIZES[split]
    check_positive_integer(num_samples, "num_samples")
    if seed is None:
        seed = 0 if split == "train" else 1
    roll, t = make_swiss_roll(
        n_samples=int(num_samples), noise=SWISS_ROLL_NOISE, random_state=seed
    )  # roll: [n, 3]
    points = roll[:, list(SWISS_ROLL_COLUMNS)] / SWISS_ROLL_SCALE  # [n, 2]
    return points.astype("float32"), t.astype("float32")


def digits(split="train"):
    """scikit-learn's digits as `(images [n, 8, 8, 1] in [-1, 1], labels [n] int32)`.

    Args:
        split: "train" (1,437), "test" (360) or "all" (1,797). The split is stratified
            by class with a fixed seed, so it never changes between runs.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if split not in ("train", "test", "all"):
        raise ValueError(
            f"Unknown split {split!r} for 'digits'. Expected 'train', 'test' or 'all'."
        )
    bunch = load_digits()
    images = (bunch.images / (DIGITS_MAX_VALUE / 2.0) - 1.0).astype("float32")
    images = images[..., np.newaxis]  # [n, 8, 8, 1]
    labels = bunch.target.astype("int32")
    if split == "all":
        return images, labels
    train_images, test_images, train_labels, test_labels = train_test_split(
        images,
        labels,
        test_size=DIGITS_TEST_FRACTION,
        stratify=labels,
        random_state=DIGITS_SPLIT_SEED,
    )
    if split == "train":
        return train_images, train_labels
    return test_images, test_labels


def stacked_digits(split="train", num_samples=None, seed=None):
    """Three digits of a split stacked as the channels of one image: 1,000 modes.

    The Stacked-MNIST construction of Metz et al. 2017 ("Unrolled Generative
    Adversarial Networks", https://arxiv.org/abs/1611.02163), also used by VEEGAN
    (https://arxiv.org/abs/1705.07761) and PacGAN (https://arxiv.org/abs/1712.04086),
    on the 8x8 `digits`: for each image, three indices are drawn uniformly with
    replacement from the split, and the three digit images become channels 0, 1
    and 2. The label is the mode `100 * l0 + 10 * l1 + l2`, in 0..999, where `lc` is
    the digit of channel `c`. Counting how many of the 1,000 modes a generator's
    samples reach (`keras_gans.metrics.stacked_digits_mode_coverage`) measures mode
    collapse. Train images use only the TRAIN digits and test images only the TEST
    digits, so the splits share no digit image.

    Args:
        split: "train" or "test" (of `digits`, see `digits`).
        num_samples: Positive number of stacked images; by default
            `STACKED_DIGITS_SIZES[split]` (25,600 train, 10,240 test).
        seed: Seed of the draw; by default one fixed per split (0 train, 1 test), so
            the data repeat.

    Returns:
        `(images [n, 8, 8, 3] float32 in [-1, 1], labels [n] int32 in 0..999)`.

    Example:

    >>> images, labels = stacked_digits("test", num_samples=4)
    >>> images.shape, labels.shape, bool(labels.max() < 1000)
    ((4, 8, 8, 3), (4,), True)
    """
    if split not in STACKED_DIGITS_SIZES:
        raise ValueError(
            f"Unknown split {split!r} for 'stacked_digits'. "
            f"Expected one of {sorted(STACKED_DIGITS_SIZES)}."
        )
    if num_samples is None:
        num_samples = STACKED_DIGITS_SIZES[split]
    check_positive_integer(num_samples, "num_samples")
    if seed is None:
        seed = 0 if split == "train" else 1
    images, labels = digits(split)
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(images), size=(int(num_samples), 3))  # [n, 3]
    stacked = np.transpose(images[indices, :, :, 0], (0, 2, 3, 1))  # [n, 8, 8, 3]
    channel_labels = labels[indices]  # [n, 3]
    modes = (
        100 * channel_labels[:, 0] + 10 * channel_labels[:, 1] + channel_labels[:, 2]
    )
    return stacked.astype("float32"), modes.astype("int32")
