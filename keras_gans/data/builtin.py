"""Offline datasets: scikit-learn's handwritten digits and the 2-D Gaussian mixtures.

Nothing here touches the network, so tests and the default run work anywhere.

- `digits`: the 1,797 8x8 grayscale digits (16 gray levels) of the UCI optical
  recognition set that ship with scikit-learn, scaled from [0, 16] to [-1, 1], with
  labels 0-9. Fixed stratified split (seed 0): 1,437 train, 360 test.
- `ring8`: 8 Gaussians on the unit circle at angles 2*pi*k/8, k = 0..7 (no duplicated
  endpoint), standard deviation 0.01 (the M5 protocol).
- `grid25`: 25 Gaussians with means in {-4, -2, 0, 2, 4}^2, standard deviation 0.05.

Mixture points are not images: they are not rescaled. Labels of a mixture are the
index of the component each point came from.
"""

import numpy as np

__all__ = ["MIXTURES", "digits", "mixture", "mixture_means"]

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
# Points per split of the mixtures: enough that an epoch is a few hundred steps at
# batch 256 and the M5 protocol's 2,500 evaluation samples are a small fraction.
MIXTURE_SIZES = {"train": 51_200, "test": 10_240}


def mixture_means(name):
    """The `[num_modes, 2]` component means of a 2-D mixture."""
    if name == "ring8":
        angles = 2.0 * np.pi * np.arange(8) / 8.0
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype("float32")
    if name == "grid25":
        axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0], dtype="float32")
        return np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    raise ValueError(f"Unknown mixture {name!r}. Expected one of {sorted(MIXTURES)}.")


def mixture(name, split="train", seed=None):
    """Points of a 2-D Gaussian mixture with equal weights.

    Args:
        name: "ring8" or "grid25".
        split: "train" or "test" (different draws; sizes in `MIXTURE_SIZES`).
        seed: Seed of the draw; by default one fixed per split, so the data repeat.

    Returns:
        `(points [n, 2] float32, component [n] int32)`.
    """
    if split not in MIXTURE_SIZES:
        raise ValueError(
            f"Unknown split {split!r} for {name!r}. "
            f"Expected one of {sorted(MIXTURE_SIZES)}."
        )
    means = mixture_means(name)
    if seed is None:
        seed = 0 if split == "train" else 1
    rng = np.random.default_rng(seed)
    size = MIXTURE_SIZES[split]
    component = rng.integers(0, len(means), size=size)
    points = means[component] + MIXTURES[name] * rng.standard_normal((size, 2))
    return points.astype("float32"), component.astype("int32")


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
