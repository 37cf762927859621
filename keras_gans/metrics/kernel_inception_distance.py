"""Kernel Inception Distance (KID, catalogue M3).

The squared maximum mean discrepancy between real and generated features under the
cubic polynomial kernel

    k(x, y) = (x . y / d + 1)^3,    d = number of features,

estimated without bias on random subsets of `m` real features `x` and `m` generated
features `y`:

    MMD^2 = sum_{i != j} k(x_i, x_j) / (m (m - 1))
          + sum_{i != j} k(y_i, y_j) / (m (m - 1))
          - 2 sum_{i, j} k(x_i, y_j) / m^2

and reported as the mean and standard deviation over subsets. Bińkowski et al. 2018,
"Demystifying MMD GANs", https://arxiv.org/abs/1801.01401. This matches the authors'
`polynomial_mmd_averages` (mbinkowski/MMD-GAN) and torch-fidelity: subsets drawn
without replacement, 100 subsets of 1,000 by default, population standard deviation
(`numpy.std`, ddof 0) over subsets. Unlike FID the estimator is unbiased, so it can be
negative when the two distributions are close.

One core computes the estimates: given the features and a `[num_subsets, m]` matrix
of row indices per side, it gathers the subsets in chunks (so the `[chunk, m, m]`
kernel matrices stay near `KERNEL_ELEMENTS_PER_CHUNK` elements) and returns one
MMD^2 per subset, with `keras.ops` in float64. `kernel_inception_distance` draws the
indices with NumPy; the `KernelInceptionDistance` metric keeps the features in
buffers (`2 * max_samples * feature_dim * 8` bytes: 328 MB for 10,000 InceptionV3
features, 10 MB for 10,000 digits-classifier features) and draws the indices with
`keras.random`, so it updates and computes inside a compiled function too.
"""

import keras
import numpy as np
from keras import ops

from keras_gans._checks import check_integer, check_positive_integer
from keras_gans.metrics._features import check_sample_count, real_and_fake_features
from keras_gans.metrics._streaming import MeanOfEstimates, PairedFeatureBuffers

__all__ = [
    "KernelInceptionDistance",
    "kernel_inception_distance",
    "polynomial_kernel",
]

MINIMUM_SUBSET_SIZE = 2  # the unbiased estimator divides by m (m - 1)
KERNEL_ELEMENTS_PER_CHUNK = 2**24  # 128 MB of float64 kernel values at once
ENOUGH_FOR_MMD = f"at least {MINIMUM_SUBSET_SIZE} samples for the unbiased MMD^2"


def _kernel(features_a, features_b):
    """`(a . b / d + 1)^3` of `[..., num_a, d]` and `[..., num_b, d]` features."""
    products = ops.matmul(features_a, ops.swapaxes(features_b, -1, -2))
    return (products / features_a.shape[-1] + 1.0) ** 3  # [..., num_a, num_b]


def _unbiased_mmd_squared(real, fake):
    """`[num_subsets]` unbiased MMD^2 of `[num_subsets, m, d]` subsets (m >= 2)."""
    m = real.shape[1]

    def off_diagonal_sum(kernel):  # [num_subsets, m, m] -> [num_subsets]
        return ops.sum(kernel, axis=(1, 2)) - ops.trace(kernel, axis1=1, axis2=2)

    within = off_diagonal_sum(_kernel(real, real)) + off_diagonal_sum(
        _kernel(fake, fake)
    )
    between = ops.sum(_kernel(real, fake), axis=(1, 2))
    return within / (m * (m - 1)) - 2.0 * between / (m * m)


def _subset_estimates(real_features, fake_features, real_indices, fake_indices):
    """`[num_subsets]` MMD^2 of the subsets `real_features[real_indices[s]]` and
    `fake_features[fake_indices[s]]`, for `[num_subsets, m]` index matrices."""
    real_features = ops.convert_to_tensor(real_features, "float64")
    fake_features = ops.convert_to_tensor(fake_features, "float64")
    num_subsets, subset_size = real_indices.shape
    chunk = max(
        1,
        KERNEL_ELEMENTS_PER_CHUNK
        // (subset_size * max(subset_size, real_features.shape[1])),
    )
    estimates = []
    for start in range(0, num_subsets, chunk):
        # [chunk, subset_size, num_features]
        real = ops.take(real_features, real_indices[start : start + chunk], axis=0)
        fake = ops.take(fake_features, fake_indices[start : start + chunk], axis=0)
        estimates.append(_unbiased_mmd_squared(real, fake))
    return ops.concatenate(estimates, axis=0)


def polynomial_kernel(features_a, features_b):
    """The KID kernel matrix `(a . b / d + 1)^3`, `[num_a, num_b]`, in float64.

    Example:

    >>> polynomial_kernel(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]))
    array([[3.375, 1.   ]])
    """
    return ops.convert_to_numpy(
        _kernel(
            ops.convert_to_tensor(features_a, "float64"),
            ops.convert_to_tensor(features_b, "float64"),
        )
    )


def kernel_inception_distance(
    real_features, fake_features, num_subsets=100, subset_size=1000, seed=0
):
    """KID: unbiased MMD^2 with a cubic kernel, mean and std over random subsets.

    See the module docstring for the formula. Each subset draws `subset_size` real
    and `subset_size` generated features without replacement, with a NumPy generator
    seeded by `seed`, so the result is deterministic. `subset_size` is clamped to the
    smaller of the two sample counts; with `num_subsets=1` and `subset_size` equal to
    both counts the result is the estimator on all the features.

    Args:
        real_features: `[num_real, num_features]` features of real samples, any finite
            real values (e.g. 2048-d InceptionV3 pool features).
        fake_features: `[num_fake, num_features]` features of generated samples.
        num_subsets: Number of random subsets (>= 1).
        subset_size: Samples per subset from each set (>= 2 after clamping).
        seed: Seed of the subset draws.

    Returns:
        `(mean, standard_deviation)`, Python floats, over the subsets.

    Raises:
        ValueError: if an input is not rank 2, the feature dimensions differ, a set has
            fewer than 2 samples, an input holds NaN or infinite values, or an
            argument is out of range.

    Example:

    >>> features = np.random.default_rng(0).normal(size=(50, 4))
    >>> same_mean, _ = kernel_inception_distance(features[:25], features[25:],
    ...                                           num_subsets=5, subset_size=20)
    >>> shifted_mean, _ = kernel_inception_distance(features[:25], features[25:] + 3.0,
    ...                                              num_subsets=5, subset_size=20)
    >>> abs(same_mean) < 1.0, shifted_mean > 100.0
    (True, True)
    """
    real, fake = real_and_fake_features(real_features, fake_features)
    num_subsets = check_positive_integer(num_subsets, "num_subsets")
    subset_size = check_integer(subset_size, "subset_size", MINIMUM_SUBSET_SIZE)
    check_sample_count("real_features", len(real), MINIMUM_SUBSET_SIZE, ENOUGH_FOR_MMD)
    check_sample_count("fake_features", len(fake), MINIMUM_SUBSET_SIZE, ENOUGH_FOR_MMD)
    subset_size = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    indices = [
        (
            rng.choice(len(real), subset_size, replace=False),
            rng.choice(len(fake), subset_size, replace=False),
        )
        for _ in range(num_subsets)
    ]
    real_indices, fake_indices = (np.stack(side) for side in zip(*indices, strict=True))
    estimates = ops.convert_to_numpy(
        _subset_estimates(real, fake, real_indices, fake_indices)
    )
    return float(estimates.mean()), float(estimates.std())


@keras.saving.register_keras_serializable(package="keras_gans")
class KernelInceptionDistance(MeanOfEstimates, PairedFeatureBuffers):
    """Streaming KID: unbiased MMD^2 with a cubic kernel, mean ± std over subsets.

    KID (Bińkowski et al. 2018) is FID's unbiased alternative: its estimator has no
    bias in the sample count, so values from different sample counts compare, and
    it can be slightly negative when the two distributions are close. The features
    of the real and the generated images are kept in buffers of `max_samples` rows
    (see the module docstring for the memory); `result()` gives the mean over
    `num_subsets` random subsets and `result_with_standard_deviation()` the mean and
    the population standard deviation, from the core of `kernel_inception_distance`
    (the same numbers for the same subsets; the subsets themselves are drawn by
    `keras.random` from `seed` rather than by NumPy, so `result()` is a function of
    the stored features).

    Args:
        feature_extractor: A callable mapping a batch of images to `[batch,
            feature_dim]` features (a Keras model, `InceptionFeatures`, or any
            function of tensors).
        feature_dim: The number of features it returns.
        max_samples: The capacity of each buffer: the most real and the most
            generated samples one evaluation can hold.
        num_subsets: Number of random subsets (100 in the paper's code).
        subset_size: Real and generated samples per subset (1,000 in the paper's
            code); `result()` needs at least this many of each, and it cannot
            exceed `max_samples`.
        seed: Integer seed of the subset draws.
        name: The metric's name.
        dtype: The dtype of `result()`; the state is float64 regardless.

    Call arguments (`update_state`):
        real_images: A batch of real images.
        fake_images: A batch of generated images, as many as `real_images` or not.

    Returns (`result`):
        The mean KID over the subsets, a scalar.

    Raises:
        ValueError: eagerly, from `update_state` when a buffer would overflow and
            from `result()` with fewer than `subset_size` samples on a side. Inside
            a compiled function the overflow is dropped and `result()` is NaN.

    Example:

    >>> metric = KernelInceptionDistance(lambda x: x, feature_dim=2, max_samples=8,
    ...                                  num_subsets=3, subset_size=4)
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> metric.update_state(points, points + 2.0)
    >>> mean, standard_deviation = metric.result_with_standard_deviation()
    >>> round(float(mean), 4), round(float(standard_deviation), 4)
    (358.4271, 0.0)

    Reference:
        Bińkowski et al. 2018, "Demystifying MMD GANs",
        https://arxiv.org/abs/1801.01401.
    """

    def __init__(
        self,
        feature_extractor,
        feature_dim,
        max_samples=10_000,
        num_subsets=100,
        subset_size=1000,
        seed=0,
        name="kernel_inception_distance",
        dtype=None,
    ):
        super().__init__(feature_extractor, feature_dim, max_samples, name, dtype)
        self.num_subsets = check_positive_integer(num_subsets, "num_subsets")
        if (
            isinstance(subset_size, bool)
            or not isinstance(subset_size, int)
            or not MINIMUM_SUBSET_SIZE <= subset_size <= max_samples
        ):
            raise ValueError(
                f"`subset_size` should be an integer from {MINIMUM_SUBSET_SIZE} to "
                f"`max_samples={max_samples}`. Received: subset_size={subset_size!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"`seed` should be an integer. Received: seed={seed!r}")
        self.subset_size = subset_size
        self.seed = seed

    def _random_subset_indices(self, count, subset_seed):
        """`[num_subsets, subset_size]` row indices; each row of the result holds
        distinct stored rows, drawn uniformly at random."""
        # Random keys for the stored rows, 2 (past every key) for the empty ones:
        # the rows of the `subset_size` smallest keys of a subset are a uniform
        # draw without replacement.
        keys = keras.random.uniform(
            (self.num_subsets, self.max_samples), seed=subset_seed
        )
        keys = ops.where(ops.arange(self.max_samples)[None, :] < count, keys, 2.0)
        return ops.argsort(keys, axis=-1)[:, : self.subset_size]

    def _estimates(self):
        """`[num_subsets]` unbiased MMD^2 estimates (NaN when a check failed)."""
        valid = self.valid_counts(self.subset_size, "subset_size")
        estimates = _subset_estimates(
            self.real_features,
            self.fake_features,
            self._random_subset_indices(self.real_count, self.seed),
            self._random_subset_indices(self.fake_count, self.seed + 1),
        )
        return ops.where(valid, estimates, float("nan"))

    def get_config(self):
        return {
            **super().get_config(),
            "num_subsets": self.num_subsets,
            "subset_size": self.subset_size,
            "seed": self.seed,
        }
