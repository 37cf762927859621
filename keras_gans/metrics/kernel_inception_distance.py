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
"""

import numpy as np

from keras_gans.metrics._features import feature_matrix

__all__ = ["kernel_inception_distance", "polynomial_kernel"]

MINIMUM_SUBSET_SIZE = 2  # the unbiased estimator divides by m (m - 1)


def polynomial_kernel(features_a, features_b):
    """The KID kernel matrix `(a . b / d + 1)^3`, `[num_a, num_b]`, in float64.

    Example:

    >>> polynomial_kernel(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]))
    array([[3.375, 1.   ]])
    """
    features_a = np.asarray(features_a, dtype="float64")
    features_b = np.asarray(features_b, dtype="float64")
    num_features = features_a.shape[1]
    return (features_a @ features_b.T / num_features + 1.0) ** 3


def _unbiased_mmd_squared(real, fake):
    """Unbiased MMD^2 between two equally sized sets `[m, d]` (m >= 2)."""
    m = real.shape[0]
    kernel_real = polynomial_kernel(real, real)
    kernel_fake = polynomial_kernel(fake, fake)
    kernel_cross = polynomial_kernel(real, fake)
    off_diagonal_real = kernel_real.sum() - np.trace(kernel_real)
    off_diagonal_fake = kernel_fake.sum() - np.trace(kernel_fake)
    within = (off_diagonal_real + off_diagonal_fake) / (m * (m - 1))
    between = 2.0 * kernel_cross.sum() / (m * m)
    return within - between


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
    real = feature_matrix("real_features", real_features)
    fake = feature_matrix("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            "`real_features` and `fake_features` should have the same feature "
            f"dimension. Received: {real.shape[1]} and {fake.shape[1]}"
        )
    if not isinstance(num_subsets, int | np.integer) or num_subsets < 1:
        raise ValueError(
            "`num_subsets` should be a positive integer. "
            f"Received: num_subsets={num_subsets!r}"
        )
    if not isinstance(subset_size, int | np.integer) or subset_size < 2:
        raise ValueError(
            "`subset_size` should be an integer >= 2. "
            f"Received: subset_size={subset_size!r}"
        )
    subset_size = min(int(subset_size), real.shape[0], fake.shape[0])
    if subset_size < MINIMUM_SUBSET_SIZE:
        raise ValueError(
            f"KID needs at least {MINIMUM_SUBSET_SIZE} samples in each set. "
            f"Received: {real.shape[0]} real and {fake.shape[0]} fake samples"
        )
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets, dtype="float64")
    for index in range(num_subsets):
        real_subset = real[rng.choice(real.shape[0], subset_size, replace=False)]
        fake_subset = fake[rng.choice(fake.shape[0], subset_size, replace=False)]
        estimates[index] = _unbiased_mmd_squared(real_subset, fake_subset)
    return float(estimates.mean()), float(estimates.std())
