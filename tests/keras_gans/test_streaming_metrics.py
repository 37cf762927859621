"""Streaming FID (`keras.metrics.Metric`) against the one-shot NumPy function."""

import math

import keras
import numpy as np
import pytest

from keras_gans import metrics
from keras_gans.metrics.streaming import FrechetDistance

REAL_BATCH_SIZES = (7, 5, 9)
FAKE_BATCH_SIZES = (4, 10, 6)  # different counts on each side and in each update


def _identity(features):
    return features


def _features(seed, num_samples, num_features, shift=0.0):
    """Correlated Gaussian features: a random linear map of standard normals."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(num_features, num_features))
    return shift + rng.normal(size=(num_samples, num_features)) @ mixing


def _split(array, sizes):
    return np.split(array, np.cumsum(sizes)[:-1])


def _stream(metric, real, fake):
    for real_batch, fake_batch in zip(
        _split(real, REAL_BATCH_SIZES), _split(fake, FAKE_BATCH_SIZES), strict=True
    ):
        metric.update_state(real_batch, fake_batch)


@pytest.mark.parametrize(
    "dtype, rtol", [("float64", 1e-9), ("float32", 1e-5)], ids=["float64", "float32"]
)
@pytest.mark.parametrize("num_features", [1, 5])
def test_streaming_equals_one_shot_frechet_distance(num_features, dtype, rtol):
    real = _features(0, sum(REAL_BATCH_SIZES), num_features)
    fake = _features(1, sum(FAKE_BATCH_SIZES), num_features, shift=0.5)
    metric = FrechetDistance(_identity, feature_dim=num_features, dtype=dtype)
    _stream(metric, real, fake)
    expected = metrics.frechet_distance(real, fake)
    result = metric.result()
    assert keras.backend.standardize_dtype(result.dtype) == dtype
    np.testing.assert_allclose(float(result), expected, rtol=rtol)
    assert float(metric.real_count) == len(real)
    assert float(metric.fake_count) == len(fake)


def test_identical_inputs_give_zero_and_the_distance_is_symmetric():
    real = _features(0, sum(REAL_BATCH_SIZES), 6)
    fake = _features(1, sum(FAKE_BATCH_SIZES), 6, shift=0.3)
    same = FrechetDistance(_identity, feature_dim=6, dtype="float64")
    for batch in _split(real, REAL_BATCH_SIZES):
        same.update_state(batch, batch)
    assert abs(float(same.result())) < 1e-8

    forward = FrechetDistance(_identity, feature_dim=6, dtype="float64")
    forward.update_state(real, fake)
    backward = FrechetDistance(_identity, feature_dim=6, dtype="float64")
    backward.update_state(fake, real)
    np.testing.assert_allclose(
        float(forward.result()), float(backward.result()), rtol=1e-9
    )


def test_reset_state_and_nan_below_two_samples():
    metric = FrechetDistance(_identity, feature_dim=3)
    assert math.isnan(float(metric.result()))  # nothing seen yet
    rng = np.random.default_rng(0)
    metric.update_state(rng.normal(size=(1, 3)), rng.normal(size=(5, 3)))
    assert math.isnan(float(metric.result()))  # one real sample: no covariance
    metric.update_state(rng.normal(size=(4, 3)), rng.normal(size=(5, 3)))
    assert math.isfinite(float(metric.result()))

    real, fake = _features(2, 12, 3), _features(3, 8, 3, shift=1.0)
    metric.reset_state()
    assert float(metric.real_count) == 0 and float(metric.fake_count) == 0
    metric.update_state(real, fake)
    np.testing.assert_allclose(
        float(metric.result()), metrics.frechet_distance(real, fake), rtol=1e-5
    )


@pytest.mark.tensorflow_only
def test_updates_and_result_inside_a_tf_function():
    import tensorflow as tf

    real = _features(0, sum(REAL_BATCH_SIZES), 4).astype("float32")
    fake = _features(1, sum(FAKE_BATCH_SIZES), 4, shift=0.5).astype("float32")
    metric = FrechetDistance(_identity, feature_dim=4, dtype="float64")

    @tf.function
    def update(real_batch, fake_batch):
        metric.update_state(real_batch, fake_batch)

    @tf.function
    def result():
        return metric.result()

    for real_batch, fake_batch in zip(
        _split(real, REAL_BATCH_SIZES), _split(fake, FAKE_BATCH_SIZES), strict=True
    ):
        update(tf.constant(real_batch), tf.constant(fake_batch))
    np.testing.assert_allclose(
        float(result()),
        metrics.frechet_distance(real.astype("float64"), fake.astype("float64")),
        rtol=1e-6,
    )


def test_a_keras_model_as_feature_extractor():
    extractor = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    rng = np.random.default_rng(0)
    real_images = rng.uniform(-1, 1, size=(sum(REAL_BATCH_SIZES), 4, 4, 1))
    fake_images = rng.uniform(-1, 1, size=(sum(FAKE_BATCH_SIZES), 4, 4, 1)) * 0.5
    metric = FrechetDistance(extractor, feature_dim=3)
    _stream(metric, real_images.astype("float32"), fake_images.astype("float32"))
    expected = metrics.frechet_distance(
        keras.ops.convert_to_numpy(extractor(real_images.astype("float32"))),
        keras.ops.convert_to_numpy(extractor(fake_images.astype("float32"))),
    )
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-4)

    config = metric.get_config()
    restored = FrechetDistance.from_config(config)
    assert restored.get_config() == config
    assert isinstance(restored.feature_extractor, keras.Model)


def test_argument_checks():
    with pytest.raises(ValueError, match="`feature_dim` should be a positive"):
        FrechetDistance(_identity, feature_dim=0)
    with pytest.raises(ValueError, match="`feature_extractor` should be a callable"):
        FrechetDistance("inception", feature_dim=2)
    metric = FrechetDistance(_identity, feature_dim=2)
    with pytest.raises(ValueError, match=r"shape \[batch, 2\]. Received: shape"):
        metric.update_state(np.zeros((3, 4)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="sample_weight"):
        metric.update_state(np.zeros((3, 2)), np.zeros((3, 2)), sample_weight=1.0)
