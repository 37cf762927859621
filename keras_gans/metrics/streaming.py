"""Streaming FID as a `keras.metrics.Metric` (catalogue M2).

`FrechetDistance` keeps, for real and for generated images, the count, the sum and
the sum of outer products of their features in float64 variables; `result()` turns
them into means and unbiased covariances and computes

    FID = ||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2))

with `keras.ops` only, so the metric updates inside a compiled `test_step` and sums
across replicas (its variables aggregate with "sum"). The trace of the square root
comes, as in `keras_gans.metrics.frechet_distance`, from the eigenvalues of the
symmetric matrix `S_r^(1/2) S_f S_r^(1/2)` (same spectrum as `S_r S_f`), with
`S_r^(1/2)` from `keras.ops.eigh` and negative rounding noise clipped to 0: no
complex numbers. Heusel et al. 2017, https://arxiv.org/abs/1706.08500.
"""

import keras
from keras import ops

__all__ = ["FrechetDistance"]

MINIMUM_SAMPLES = 2  # an unbiased covariance needs n - 1 >= 1


def _mean_and_covariance(count, total, sum_of_outer_products):
    """Mean and unbiased covariance from count, sum and sum of outer products."""
    safe_count = ops.maximum(count, float(MINIMUM_SAMPLES))  # NaN-free when empty
    mean = total / safe_count
    centred = sum_of_outer_products - safe_count * ops.outer(mean, mean)
    covariance = centred / (safe_count - 1.0)
    return mean, (covariance + ops.transpose(covariance)) / 2.0


def _square_root_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix via `eigh`."""
    eigenvalues, eigenvectors = ops.eigh(matrix)
    eigenvalues = ops.maximum(eigenvalues, 0.0)
    scaled = eigenvectors * ops.sqrt(eigenvalues)[None, :]
    return ops.matmul(scaled, ops.transpose(eigenvectors))


def _frechet_distance_from_moments(mean_a, covariance_a, mean_b, covariance_b):
    """`||mean_a - mean_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))` with `keras.ops`."""
    square_root_a = _square_root_psd(covariance_a)
    middle = ops.matmul(ops.matmul(square_root_a, covariance_b), square_root_a)
    middle = (middle + ops.transpose(middle)) / 2.0
    eigenvalues = ops.maximum(ops.eigh(middle)[0], 0.0)
    trace_square_root = ops.sum(ops.sqrt(eigenvalues))
    difference = mean_a - mean_b
    return (
        ops.sum(difference * difference)
        + ops.trace(covariance_a)
        + ops.trace(covariance_b)
        - 2.0 * trace_square_root
    )


@keras.saving.register_keras_serializable(package="keras_gans")
class FrechetDistance(keras.metrics.Metric):
    """Streaming Fréchet distance (FID) between features of real and fake images.

    GAN papers compare generators by the FID of thousands of samples. This metric
    accumulates the statistics batch by batch (count, sum, sum of outer products of
    the features, in float64), so it can be updated in `test_step` or a callback
    without keeping the features, and gives the same number as
    `keras_gans.metrics.frechet_distance` on all the features at once. Report the
    feature extractor and both sample counts (`real_count`, `fake_count`) with it.

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
        super().__init__(name=name, dtype=dtype)
        if not callable(feature_extractor):
            raise ValueError(
                "`feature_extractor` should be a callable mapping images to "
                "[batch, feature_dim] features. "
                f"Received: feature_extractor={feature_extractor!r}"
            )
        if (
            isinstance(feature_dim, bool)
            or not isinstance(feature_dim, int)
            or feature_dim < 1
        ):
            raise ValueError(
                "`feature_dim` should be a positive integer. "
                f"Received: feature_dim={feature_dim!r}"
            )
        self.feature_extractor = feature_extractor
        self.feature_dim = feature_dim
        self.real_count = self.add_variable(
            (), "zeros", dtype="float64", name="real_count"
        )
        self.real_sum = self.add_variable(
            (feature_dim,), "zeros", dtype="float64", name="real_sum"
        )
        self.real_sum_of_outer_products = self.add_variable(
            (feature_dim, feature_dim),
            "zeros",
            dtype="float64",
            name="real_sum_of_outer_products",
        )
        self.fake_count = self.add_variable(
            (), "zeros", dtype="float64", name="fake_count"
        )
        self.fake_sum = self.add_variable(
            (feature_dim,), "zeros", dtype="float64", name="fake_sum"
        )
        self.fake_sum_of_outer_products = self.add_variable(
            (feature_dim, feature_dim),
            "zeros",
            dtype="float64",
            name="fake_sum_of_outer_products",
        )

    def _features(self, name, images):
        features = ops.convert_to_tensor(self.feature_extractor(images))
        if len(features.shape) != 2 or features.shape[-1] not in (
            None,
            self.feature_dim,
        ):
            raise ValueError(
                f"`feature_extractor({name})` should return features of shape "
                f"[batch, {self.feature_dim}]. Received: shape={features.shape}"
            )
        return ops.cast(features, "float64")  # [batch, feature_dim]

    def _accumulate(self, features, count, total, sum_of_outer_products):
        count.assign(count + ops.cast(ops.shape(features)[0], "float64"))
        total.assign(total + ops.sum(features, axis=0))
        sum_of_outer_products.assign(
            sum_of_outer_products + ops.matmul(ops.transpose(features), features)
        )

    def update_state(self, real_images, fake_images, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                "`FrechetDistance` does not support `sample_weight`. "
                f"Received: sample_weight={sample_weight!r}"
            )
        self._accumulate(
            self._features("real_images", real_images),
            self.real_count,
            self.real_sum,
            self.real_sum_of_outer_products,
        )
        self._accumulate(
            self._features("fake_images", fake_images),
            self.fake_count,
            self.fake_sum,
            self.fake_sum_of_outer_products,
        )

    def result(self):
        real_mean, real_covariance = _mean_and_covariance(
            self.real_count, self.real_sum, self.real_sum_of_outer_products
        )
        fake_mean, fake_covariance = _mean_and_covariance(
            self.fake_count, self.fake_sum, self.fake_sum_of_outer_products
        )
        distance = _frechet_distance_from_moments(
            real_mean, real_covariance, fake_mean, fake_covariance
        )
        enough = ops.logical_and(
            ops.greater_equal(self.real_count, float(MINIMUM_SAMPLES)),
            ops.greater_equal(self.fake_count, float(MINIMUM_SAMPLES)),
        )
        distance = ops.where(enough, distance, float("nan"))
        return ops.cast(distance, self.dtype)

    def get_config(self):
        config = {
            "feature_extractor": keras.saving.serialize_keras_object(
                self.feature_extractor
            ),
            "feature_dim": self.feature_dim,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["feature_extractor"] = keras.saving.deserialize_keras_object(
            config["feature_extractor"]
        )
        return cls(**config)
