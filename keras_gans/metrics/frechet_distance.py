"""Fréchet distance between two sets of features (FID, catalogue M2).

The Fréchet (2-Wasserstein) distance between the Gaussians fitted to two feature sets:

    FID = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))

With InceptionV3 pool features this is the Fréchet Inception Distance of Heusel et al.
2017, https://arxiv.org/abs/1706.08500. The matrix square root is never formed with
complex numbers. `S_1 S_2` is similar to the symmetric positive semi-definite matrix
`S_1^(1/2) S_2 S_1^(1/2)`, so both have the same eigenvalues and

    Tr((S_1 S_2)^(1/2)) = sum_i sqrt(lambda_i(S_1^(1/2) S_2 S_1^(1/2)))

where `S_1^(1/2)` comes from `numpy.linalg.eigh` with negative eigenvalues (rounding
noise of a positive semi-definite matrix) clipped to 0. Everything is float64.

The covariances are unbiased (divided by `n - 1`), as in the reference TTUR code
(bioinf-jku/TTUR) and pytorch-fid; the result matches theirs up to the square-root
method (they use `scipy.linalg.sqrtm` and drop a small imaginary part).

`FeatureStatistics` accumulates the count, the sum and the sum of outer products of
features batch by batch, so the statistics of a large sample never need all of its
features in memory; `frechet_distance_from_statistics` compares two of them.
"""

import numpy as np

from keras_gans.metrics._features import feature_matrix

__all__ = [
    "FeatureStatistics",
    "frechet_distance",
    "frechet_distance_from_moments",
    "frechet_distance_from_statistics",
]

MINIMUM_SAMPLES = 2  # an unbiased covariance needs n - 1 >= 1


def _check_enough_samples(name, count):
    if count < MINIMUM_SAMPLES:
        raise ValueError(
            f"`{name}` needs at least {MINIMUM_SAMPLES} samples for an unbiased "
            f"covariance. Received: {count} sample(s)"
        )


def _square_root_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix via `eigh`."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    return (eigenvectors * np.sqrt(eigenvalues)) @ eigenvectors.T


def _trace_square_root_product(covariance_a, covariance_b):
    """Tr((S_a S_b)^(1/2)) from the eigenvalues of S_a^(1/2) S_b S_a^(1/2)."""
    square_root_a = _square_root_psd(covariance_a)
    middle = square_root_a @ covariance_b @ square_root_a
    middle = (middle + middle.T) / 2.0  # symmetric up to rounding; make it exact
    eigenvalues = np.clip(np.linalg.eigvalsh(middle), 0.0, None)
    return float(np.sum(np.sqrt(eigenvalues)))


def frechet_distance_from_moments(mean_a, covariance_a, mean_b, covariance_b):
    """Fréchet distance between `N(mean_a, covariance_a)` and `N(mean_b, covariance_b)`.

    `||mean_a - mean_b||^2 + Tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))`, with the
    trace of the square root taken from a symmetric eigendecomposition (see the module
    docstring). The covariances must be symmetric positive semi-definite.

    Args:
        mean_a: `[num_features]` mean of the first Gaussian.
        covariance_a: `[num_features, num_features]` covariance of the first Gaussian.
        mean_b: `[num_features]` mean of the second Gaussian.
        covariance_b: `[num_features, num_features]` covariance of the second one.

    Returns:
        The distance, a Python float (>= 0 up to rounding).

    Example:

    >>> identity = np.eye(2)
    >>> frechet_distance_from_moments(np.zeros(2), identity, np.ones(2), 4 * identity)
    4.0
    """
    mean_a = np.asarray(mean_a, dtype="float64")
    mean_b = np.asarray(mean_b, dtype="float64")
    covariance_a = np.asarray(covariance_a, dtype="float64")
    covariance_b = np.asarray(covariance_b, dtype="float64")
    num_features = mean_a.shape[-1] if mean_a.ndim == 1 else None
    expected = (num_features, num_features)
    if (
        mean_a.ndim != 1
        or mean_b.shape != mean_a.shape
        or covariance_a.shape != expected
        or covariance_b.shape != expected
    ):
        raise ValueError(
            "Expected means of shape [d] and covariances of shape [d, d] with the "
            f"same d. Received: mean_a {mean_a.shape}, covariance_a "
            f"{covariance_a.shape}, mean_b {mean_b.shape}, covariance_b "
            f"{covariance_b.shape}"
        )
    for name, value in [
        ("mean_a", mean_a),
        ("covariance_a", covariance_a),
        ("mean_b", mean_b),
        ("covariance_b", covariance_b),
    ]:
        if not np.all(np.isfinite(value)):
            raise ValueError(
                f"`{name}` should contain only finite values. Received NaN or inf."
            )
    difference = mean_a - mean_b
    trace_square_root = _trace_square_root_product(covariance_a, covariance_b)
    return float(
        difference @ difference
        + np.trace(covariance_a)
        + np.trace(covariance_b)
        - 2.0 * trace_square_root
    )


def frechet_distance(real_features, fake_features):
    """Fréchet distance (FID on Inception features) between two feature sets.

    `||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2))` with the sample means and
    unbiased (`n - 1`) sample covariances of the two sets, as the reference TTUR /
    pytorch-fid implementations. Heusel et al. 2017, https://arxiv.org/abs/1706.08500.

    The value depends on the feature extractor and on both sample counts (it is biased
    upwards for small samples): report them with every figure.

    Args:
        real_features: `[num_real, num_features]` features of real samples, any finite
            real values (e.g. 2048-d InceptionV3 pool features).
        fake_features: `[num_fake, num_features]` features of generated samples.

    Returns:
        The distance, a Python float; 0 for identical feature sets, symmetric in its
        arguments.

    Raises:
        ValueError: if an input is not rank 2, the feature dimensions differ, a set has
            fewer than 2 samples, or an input holds NaN or infinite values.

    Example:

    >>> features = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    >>> round(frechet_distance(features, features + 1.0), 6)
    2.0
    """
    real = feature_matrix("real_features", real_features)
    fake = feature_matrix("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            "`real_features` and `fake_features` should have the same feature "
            f"dimension. Received: {real.shape[1]} and {fake.shape[1]}"
        )
    _check_enough_samples("real_features", real.shape[0])
    _check_enough_samples("fake_features", fake.shape[0])
    return frechet_distance_from_moments(
        real.mean(axis=0),
        np.cov(real, rowvar=False, ddof=1).reshape(real.shape[1], real.shape[1]),
        fake.mean(axis=0),
        np.cov(fake, rowvar=False, ddof=1).reshape(fake.shape[1], fake.shape[1]),
    )


class FeatureStatistics:
    """Streaming mean and covariance of features: count, sum, sum of outer products.

    Accumulating these three in float64 lets FID be computed over any number of
    samples, batch by batch (or replica by replica, with `merge`), without keeping
    the features. The covariance is the unbiased one, `(sum x x^T - n mu mu^T) / (n -
    1)`, equal to `numpy.cov(features, rowvar=False)` of all features seen.

    Args:
        num_features: The feature dimension; by default taken from the first batch.

    Example:

    >>> statistics = FeatureStatistics()
    >>> statistics.update(np.array([[0.0, 0.0], [2.0, 0.0]]))
    >>> statistics.update(np.array([[1.0, 3.0]]))
    >>> statistics.count, statistics.mean.tolist()
    (3, [1.0, 1.0])
    >>> statistics.covariance.tolist()
    [[1.0, 0.0], [0.0, 3.0]]
    """

    def __init__(self, num_features=None):
        if num_features is not None and (
            not isinstance(num_features, int | np.integer) or num_features < 1
        ):
            raise ValueError(
                "`num_features` should be a positive integer or None. "
                f"Received: num_features={num_features!r}"
            )
        self.num_features = None if num_features is None else int(num_features)
        self.count = 0
        self.sum = None
        self.sum_of_outer_products = None
        if self.num_features is not None:
            self._allocate(self.num_features)

    def _allocate(self, num_features):
        self.num_features = num_features
        self.sum = np.zeros(num_features, dtype="float64")
        self.sum_of_outer_products = np.zeros(
            (num_features, num_features), dtype="float64"
        )

    def update(self, batch):
        """Adds a `[batch_size, num_features]` batch of features."""
        features = feature_matrix("batch", batch)
        if self.num_features is None:
            self._allocate(features.shape[1])
        elif features.shape[1] != self.num_features:
            raise ValueError(
                f"`batch` should have {self.num_features} features. "
                f"Received: shape={features.shape}"
            )
        self.count += features.shape[0]
        self.sum += features.sum(axis=0)
        self.sum_of_outer_products += features.T @ features

    def merge(self, other):
        """Adds the statistics of another `FeatureStatistics` into this one."""
        if not isinstance(other, FeatureStatistics):
            raise ValueError(
                "`other` should be a FeatureStatistics. "
                f"Received: {type(other).__name__}"
            )
        if other.num_features is None:
            return
        if self.num_features is None:
            self._allocate(other.num_features)
        elif other.num_features != self.num_features:
            raise ValueError(
                f"Cannot merge statistics of {other.num_features} features into "
                f"statistics of {self.num_features} features."
            )
        self.count += other.count
        self.sum += other.sum
        self.sum_of_outer_products += other.sum_of_outer_products

    @property
    def mean(self):
        """`[num_features]` mean of the features seen (needs at least 1)."""
        if self.count < 1:
            raise ValueError("The mean needs at least 1 sample. Received: 0 samples")
        return self.sum / self.count

    @property
    def covariance(self):
        """`[num_features, num_features]` unbiased covariance (needs at least 2)."""
        _check_enough_samples("FeatureStatistics", self.count)
        mean = self.sum / self.count
        centred_sum = self.sum_of_outer_products - self.count * np.outer(mean, mean)
        covariance = centred_sum / (self.count - 1)
        return (covariance + covariance.T) / 2.0


def frechet_distance_from_statistics(statistics_a, statistics_b):
    """`frechet_distance` from two accumulated `FeatureStatistics`.

    Equal (up to float64 rounding) to `frechet_distance` on all the features each
    accumulated. Both need at least 2 samples and the same feature dimension.

    Example:

    >>> real, fake = FeatureStatistics(), FeatureStatistics()
    >>> real.update(np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]))
    >>> fake.update(np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]]))
    >>> round(frechet_distance_from_statistics(real, fake), 6)
    2.0
    """
    for name, statistics in [
        ("statistics_a", statistics_a),
        ("statistics_b", statistics_b),
    ]:
        if not isinstance(statistics, FeatureStatistics):
            raise ValueError(
                f"`{name}` should be a FeatureStatistics. "
                f"Received: {type(statistics).__name__}"
            )
        _check_enough_samples(name, statistics.count)
    if statistics_a.num_features != statistics_b.num_features:
        raise ValueError(
            "Both statistics should have the same feature dimension. Received: "
            f"{statistics_a.num_features} and {statistics_b.num_features}"
        )
    return frechet_distance_from_moments(
        statistics_a.mean,
        statistics_a.covariance,
        statistics_b.mean,
        statistics_b.covariance,
    )
