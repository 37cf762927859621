"""Fréchet distance between two sets of features (FID, catalogue M2).

The Fréchet (2-Wasserstein) distance between the Gaussians fitted to two feature sets:

    FID = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))

With InceptionV3 pool features this is the Fréchet Inception Distance of Heusel et al.
2017, https://arxiv.org/abs/1706.08500. The matrix square root is never formed with
complex numbers. `S_1 S_2` is similar to the symmetric positive semi-definite matrix
`S_1^(1/2) S_2 S_1^(1/2)`, so both have the same eigenvalues and

    Tr((S_1 S_2)^(1/2)) = sum_i sqrt(lambda_i(S_1^(1/2) S_2 S_1^(1/2)))

where `S_1^(1/2)` comes from a symmetric eigendecomposition (`keras.ops.eigh`) with
negative eigenvalues (rounding noise of a positive semi-definite matrix) clipped to 0.

One core computes it: each feature set is summarised by its count `n`, sum `s` and
sum of outer products `P = sum x x^T`, accumulated in float64; the mean is `s / n`
and the covariance the unbiased `(P - n mu mu^T) / (n - 1)`, as in the reference
TTUR code (bioinf-jku/TTUR) and pytorch-fid (the result matches theirs up to the
square-root method: they use `scipy.linalg.sqrtm` and drop a small imaginary part).
`frechet_distance` applies it to two arrays of features, `FeatureStatistics`
accumulates the statistics batch by batch in NumPy (so a large sample never needs
all of its features in memory) for `frechet_distance_from_statistics`, and the
`FrechetDistance` metric accumulates them in variables inside `test_step` or a
callback. The core uses `keras.ops` only, in float64.
"""

import keras
import numpy as np
from keras import ops

from keras_gans._checks import check_positive_integer
from keras_gans.metrics._features import (
    check_sample_count,
    feature_matrix,
    real_and_fake_features,
)
from keras_gans.metrics._streaming import FeatureMetric

__all__ = [
    "FeatureStatistics",
    "FrechetDistance",
    "frechet_distance",
    "frechet_distance_from_moments",
    "frechet_distance_from_statistics",
]

MINIMUM_SAMPLES = 2  # an unbiased covariance needs n - 1 >= 1
ENOUGH_FOR_COVARIANCE = f"at least {MINIMUM_SAMPLES} samples for an unbiased covariance"


def _batch_statistics(features):
    """Count `[]`, sum `[d]` and sum of outer products `[d, d]` of `[n, d]` features."""
    features = ops.convert_to_tensor(features, "float64")
    count = ops.cast(ops.shape(features)[0], "float64")
    return (
        count,
        ops.sum(features, axis=0),
        ops.matmul(ops.transpose(features), features),
    )


def _moments(count, total, sum_of_outer_products):
    """Mean `[d]` and unbiased covariance `[d, d]`, `(P - n mu mu^T) / (n - 1)`."""
    mean = total / count
    centred_sum = sum_of_outer_products - count * ops.outer(mean, mean)
    covariance = centred_sum / (count - 1.0)
    return mean, (covariance + ops.transpose(covariance)) / 2.0  # exactly symmetric


def _square_root_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix via `eigh`."""
    eigenvalues, eigenvectors = ops.eigh(matrix)
    scaled = eigenvectors * ops.sqrt(ops.maximum(eigenvalues, 0.0))[None, :]
    return ops.matmul(scaled, ops.transpose(eigenvectors))


def _distance_from_moments(mean_a, covariance_a, mean_b, covariance_b):
    """`||mean_a - mean_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`, a float64 scalar."""
    square_root_a = _square_root_psd(covariance_a)
    middle = ops.matmul(ops.matmul(square_root_a, covariance_b), square_root_a)
    middle = (middle + ops.transpose(middle)) / 2.0  # symmetric up to rounding
    trace_square_root = ops.sum(ops.sqrt(ops.maximum(ops.eigh(middle)[0], 0.0)))
    difference = mean_a - mean_b
    return (
        ops.sum(difference * difference)
        + ops.trace(covariance_a)
        + ops.trace(covariance_b)
        - 2.0 * trace_square_root
    )


def _distance_from_statistics(statistics_a, statistics_b):
    """The FID of two `(count, sum, sum_of_outer_products)` triples (count >= 2)."""
    return _distance_from_moments(*_moments(*statistics_a), *_moments(*statistics_b))


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
    moments = {
        "mean_a": np.asarray(mean_a, dtype="float64"),
        "covariance_a": np.asarray(covariance_a, dtype="float64"),
        "mean_b": np.asarray(mean_b, dtype="float64"),
        "covariance_b": np.asarray(covariance_b, dtype="float64"),
    }
    shapes = {name: value.shape for name, value in moments.items()}
    num_features = shapes["mean_a"][0] if len(shapes["mean_a"]) == 1 else None
    expected = {
        "mean_a": (num_features,),
        "covariance_a": (num_features, num_features),
        "mean_b": (num_features,),
        "covariance_b": (num_features, num_features),
    }
    if num_features is None or shapes != expected:
        raise ValueError(
            "Expected means of shape [d] and covariances of shape [d, d] with the "
            f"same d. Received: {', '.join(f'{n} {s}' for n, s in shapes.items())}"
        )
    for name, value in moments.items():
        if not np.all(np.isfinite(value)):
            raise ValueError(
                f"`{name}` should contain only finite values. Received NaN or inf."
            )
    return float(_distance_from_moments(*moments.values()))


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
    real, fake = real_and_fake_features(real_features, fake_features)
    check_sample_count(
        "real_features", len(real), MINIMUM_SAMPLES, ENOUGH_FOR_COVARIANCE
    )
    check_sample_count(
        "fake_features", len(fake), MINIMUM_SAMPLES, ENOUGH_FOR_COVARIANCE
    )
    return float(
        _distance_from_statistics(_batch_statistics(real), _batch_statistics(fake))
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
        self.num_features = check_positive_integer(
            num_features, "num_features", allow_none=True
        )
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

    def _add(self, count, total, sum_of_outer_products):
        self.count += int(count)
        self.sum += ops.convert_to_numpy(total)
        self.sum_of_outer_products += ops.convert_to_numpy(sum_of_outer_products)

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
        self._add(*_batch_statistics(features))

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
        self._add(other.count, other.sum, other.sum_of_outer_products)

    @property
    def statistics(self):
        """`(count, sum, sum_of_outer_products)`, what the FID core takes."""
        return float(self.count), self.sum, self.sum_of_outer_products

    @property
    def mean(self):
        """`[num_features]` mean of the features seen (needs at least 1)."""
        check_sample_count("FeatureStatistics", self.count, 1, "at least 1 sample")
        return self.sum / self.count

    @property
    def covariance(self):
        """`[num_features, num_features]` unbiased covariance (needs at least 2)."""
        check_sample_count(
            "FeatureStatistics", self.count, MINIMUM_SAMPLES, ENOUGH_FOR_COVARIANCE
        )
        return ops.convert_to_numpy(_moments(*self.statistics)[1])


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
        check_sample_count(
            name, statistics.count, MINIMUM_SAMPLES, ENOUGH_FOR_COVARIANCE
        )
    if statistics_a.num_features != statistics_b.num_features:
        raise ValueError(
            "Both statistics should have the same feature dimension. Received: "
            f"{statistics_a.num_features} and {statistics_b.num_features}"
        )
    return float(
        _distance_from_statistics(statistics_a.statistics, statistics_b.statistics)
    )


@keras.saving.register_keras_serializable(package="keras_gans")
class FrechetDistance(FeatureMetric):
    """Streaming Fréchet distance (FID) between features of real and fake images.

    GAN papers compare generators by the FID of thousands of samples. This metric
    accumulates the statistics of the FID core (count, sum and sum of outer products
    of the features, in float64 variables that sum across replicas) batch by batch,
    so it can be updated in a compiled `test_step` or a callback without keeping the
    features, and gives the number of `frechet_distance` on all the features at
    once. Report the feature extractor and both sample counts (`real_count`,
    `fake_count`) with it.

    Args:
        feature_extractor: A callable mapping a batch of images to `[batch,
            feature_dim]` features: a Keras model, `InceptionFeatures` (called
            directly, it uses `keras.ops` only) or any function of tensors.
        feature_dim: The number of features it returns (2048 for InceptionV3).
        name: The metric's name.
        dtype: The dtype of `result()`; the state is float64 regardless.

    Call arguments (`update_state`):
        real_images: A batch of real images (any input `feature_extractor` takes).
        fake_images: A batch of generated images; the two batch sizes may differ.

    Returns (`result`):
        The FID of everything seen since the last `reset_state()`, a scalar; NaN
        while real or fake has fewer than 2 samples.

    Example:

    >>> metric = FrechetDistance(feature_extractor=lambda x: x, feature_dim=2)
    >>> real = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    >>> metric.update_state(real[:2], real[:2] + 1.0)
    >>> metric.update_state(real[2:], real[2:] + 1.0)
    >>> round(float(metric.result()), 6)
    2.0

    Reference:
        Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", https://arxiv.org/abs/1706.08500.
    """

    def __init__(
        self, feature_extractor, feature_dim, name="frechet_distance", dtype=None
    ):
        super().__init__(feature_extractor, feature_dim, name, dtype)
        vector, matrix = (self.feature_dim,), (self.feature_dim, self.feature_dim)
        self.real_count = self._statistic((), "real_count")
        self.real_sum = self._statistic(vector, "real_sum")
        self.real_sum_of_outer_products = self._statistic(
            matrix, "real_sum_of_outer_products"
        )
        self.fake_count = self._statistic((), "fake_count")
        self.fake_sum = self._statistic(vector, "fake_sum")
        self.fake_sum_of_outer_products = self._statistic(
            matrix, "fake_sum_of_outer_products"
        )

    def _statistic(self, shape, name):
        return self.add_variable(shape, "zeros", dtype="float64", name=name)

    def update_state(self, real_images, fake_images, sample_weight=None):
        features = self.real_and_fake_features(real_images, fake_images, sample_weight)
        for variables, batch in zip(self._statistics(), features, strict=True):
            for variable, value in zip(
                variables, _batch_statistics(batch), strict=True
            ):
                variable.assign(variable + value)

    def _statistics(self):
        """The real and the generated `(count, sum, sum_of_outer_products)`."""
        return (
            (self.real_count, self.real_sum, self.real_sum_of_outer_products),
            (self.fake_count, self.fake_sum, self.fake_sum_of_outer_products),
        )

    def result(self):
        # The core on counts of at least 2 (no NaN on the way), then NaN in place
        # of the distance while a side has fewer samples.
        real, fake = (
            (ops.maximum(count, float(MINIMUM_SAMPLES)), total, outer)
            for count, total, outer in self._statistics()
        )
        distance = _distance_from_statistics(real, fake)
        enough = ops.logical_and(
            self.real_count >= MINIMUM_SAMPLES, self.fake_count >= MINIMUM_SAMPLES
        )
        return ops.cast(ops.where(enough, distance, float("nan")), self.dtype)
