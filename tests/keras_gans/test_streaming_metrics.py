"""Streaming FID, KID and IS (`keras.metrics.Metric`) against the one-shot functions
and NumPy/SciPy oracles."""

import math

import keras
import numpy as np
import pytest

from keras_gans import metrics
from keras_gans.metrics import (
    FrechetDistance,
    InceptionScore,
    KernelInceptionDistance,
)

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


# --- KID (M3) and Inception Score (M1) --------------------------------------------


def _numpy_unbiased_mmd(real, fake):
    """The unbiased MMD^2 of Bińkowski et al. 2018, eq. 4, written out with loops
    over the off-diagonal pairs (an oracle independent of the library)."""
    num_features = real.shape[1]

    def kernel(a, b):
        return (a @ b / num_features + 1.0) ** 3

    m = len(real)
    within_real = sum(
        kernel(real[i], real[j]) for i in range(m) for j in range(m) if i != j
    )
    within_fake = sum(
        kernel(fake[i], fake[j]) for i in range(m) for j in range(m) if i != j
    )
    cross = sum(kernel(real[i], fake[j]) for i in range(m) for j in range(m))
    return (within_real + within_fake) / (m * (m - 1)) - 2.0 * cross / m**2


def _kid(num_features, max_samples=40, num_subsets=1, subset_size=21, **kwargs):
    return KernelInceptionDistance(
        _identity,
        feature_dim=num_features,
        max_samples=max_samples,
        num_subsets=num_subsets,
        subset_size=subset_size,
        dtype="float64",
        **kwargs,
    )


def test_streaming_kid_equals_the_one_shot_function_and_the_formula():
    # Equal counts and one subset of all samples: every estimator is the
    # full-sample MMD^2, whatever the random draws.
    real = _features(0, sum(REAL_BATCH_SIZES), 3)
    fake = _features(1, sum(REAL_BATCH_SIZES), 3, shift=0.4)
    metric = _kid(3)
    _stream_same_sizes(metric, real, fake)
    one_shot_mean, one_shot_std = metrics.kernel_inception_distance(
        real, fake, num_subsets=1, subset_size=len(real)
    )
    mean, standard_deviation = metric.result_with_standard_deviation()
    np.testing.assert_allclose(float(mean), one_shot_mean, rtol=1e-9)
    np.testing.assert_allclose(float(mean), _numpy_unbiased_mmd(real, fake), rtol=1e-9)
    np.testing.assert_allclose(float(metric.result()), one_shot_mean, rtol=1e-9)
    assert float(standard_deviation) == one_shot_std == 0.0


def _stream_same_sizes(metric, real, fake):
    for real_batch, fake_batch in zip(
        _split(real, REAL_BATCH_SIZES), _split(fake, REAL_BATCH_SIZES), strict=True
    ):
        metric.update_state(real_batch, fake_batch)


def test_kid_subsets_are_drawn_without_replacement():
    # A subset of all n rows drawn WITHOUT replacement is a permutation, so every
    # subset gives the same estimate: std 0. With replacement it would vary.
    real = _features(2, 21, 2)
    fake = _features(3, 21, 2, shift=1.0)
    metric = _kid(2, num_subsets=6)
    metric.update_state(real, fake)
    mean, standard_deviation = metric.result_with_standard_deviation()
    np.testing.assert_allclose(float(mean), _numpy_unbiased_mmd(real, fake), rtol=1e-9)
    assert float(standard_deviation) < 1e-9


def test_kid_over_random_subsets_agrees_with_the_one_shot_function_statistically():
    # Different random generators (keras.random vs NumPy), the same estimand: the
    # means over 150 subsets of 8 agree within a few standard errors.
    real = _features(4, 30, 2)
    fake = _features(5, 30, 2, shift=0.7)
    metric = _kid(2, num_subsets=150, subset_size=8)
    metric.update_state(real, fake)
    mean, standard_deviation = (
        float(value) for value in metric.result_with_standard_deviation()
    )
    one_shot_mean, one_shot_std = metrics.kernel_inception_distance(
        real, fake, num_subsets=150, subset_size=8, seed=0
    )
    standard_error = np.hypot(standard_deviation, one_shot_std) / np.sqrt(150)
    assert abs(mean - one_shot_mean) < 4.0 * standard_error
    assert 0.7 < standard_deviation / one_shot_std < 1.4
    # The subsets come from the fixed seed: the result is a function of the state.
    assert float(metric.result()) == mean


def test_kid_reset_overflow_and_too_few_samples_are_clear_errors():
    metric = _kid(2, max_samples=10, subset_size=4)
    rng = np.random.default_rng(0)
    metric.update_state(rng.normal(size=(6, 2)), rng.normal(size=(3, 2)))
    with pytest.raises(
        ValueError, match=r"needs at least `subset_size=4` fake samples. Received: 3"
    ):
        metric.result()
    with pytest.raises(
        ValueError,
        match=r"at most `max_samples=10` real samples, and this update would bring "
        "them to 12",
    ):
        metric.update_state(rng.normal(size=(6, 2)), rng.normal(size=(1, 2)))
    # The failed update changed nothing.
    assert int(metric.real_count) == 6 and int(metric.fake_count) == 3
    metric.reset_state()
    assert int(metric.real_count) == 0 and int(metric.fake_count) == 0
    real, fake = rng.normal(size=(10, 2)), rng.normal(size=(10, 2)) + 1.0
    metric.update_state(real, fake)
    expected = metrics.kernel_inception_distance(real, fake, 1, 10)[0]
    full = _kid(2, max_samples=10, subset_size=10)
    full.update_state(real, fake)
    np.testing.assert_allclose(float(full.result()), expected, rtol=1e-9)


def test_kid_argument_checks_and_config_round_trip():
    with pytest.raises(ValueError, match=r"`subset_size` should be an integer from 2"):
        _kid(2, max_samples=5, subset_size=6)
    with pytest.raises(ValueError, match="`max_samples` should be a positive"):
        _kid(2, max_samples=0)
    with pytest.raises(ValueError, match="`feature_extractor` should be a callable"):
        KernelInceptionDistance("inception", feature_dim=2)
    extractor = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    metric = KernelInceptionDistance(extractor, 2, max_samples=16, subset_size=4)
    config = metric.get_config()
    restored = KernelInceptionDistance.from_config(config)
    assert restored.get_config() == config


def _numpy_inception_score(logits, num_splits):
    """IS of Salimans et al. 2016 written out: per split, exp of the mean KL of
    each prediction to the split's mean prediction (SciPy's softmax and
    entropy as the oracle)."""
    from scipy.special import softmax
    from scipy.stats import entropy

    probabilities = softmax(logits, axis=1)
    n = len(probabilities)
    scores = []
    for index in range(num_splits):
        part = probabilities[index * n // num_splits : (index + 1) * n // num_splits]
        marginal = part.mean(axis=0)
        scores.append(np.exp(np.mean([entropy(row, marginal) for row in part])))
    return float(np.mean(scores)), float(np.std(scores))


@pytest.mark.parametrize("num_samples", [37, 40, 10])
def test_streaming_inception_score_equals_the_one_shot_function(num_samples):
    logits = 3.0 * np.random.default_rng(num_samples).normal(size=(num_samples, 5))
    metric = InceptionScore(_identity, num_classes=5, max_samples=50, dtype="float64")
    for batch in np.array_split(logits, 3):
        metric.update_state(batch)
    mean, standard_deviation = metric.result_with_standard_deviation()
    one_shot = metrics.inception_score(logits, num_splits=10)
    np.testing.assert_allclose(
        [float(mean), float(standard_deviation)], one_shot, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        [float(mean), float(standard_deviation)],
        _numpy_inception_score(logits, 10),
        rtol=1e-9,
        atol=1e-12,
    )
    assert float(metric.result()) == float(mean)


def test_inception_score_from_probabilities_with_zeros():
    # One-hot predictions, classes used equally: IS = number of classes, and the
    # zero probabilities (0 log 0 = 0) give no NaN.
    probabilities = np.eye(4)[np.arange(40) % 4]
    metric = InceptionScore(_identity, 4, max_samples=40, from_logits=False)
    metric.update_state(probabilities[:15])
    metric.update_state(probabilities[15:])
    mean, standard_deviation = metric.result_with_standard_deviation()
    assert float(mean) == pytest.approx(4.0) and float(standard_deviation) < 1e-6


def test_inception_score_reset_overflow_and_too_few_samples():
    metric = InceptionScore(_identity, num_classes=3, max_samples=12, num_splits=4)
    logits = np.random.default_rng(1).normal(size=(12, 3))
    metric.update_state(logits[:3])
    with pytest.raises(
        ValueError, match=r"needs at least `num_splits=4` generated samples"
    ):
        metric.result()
    with pytest.raises(ValueError, match=r"`max_samples=12` generated samples"):
        metric.update_state(logits)
    metric.reset_state()
    metric.update_state(logits)
    np.testing.assert_allclose(
        float(metric.result()), metrics.inception_score(logits, 4)[0], rtol=1e-6
    )
    with pytest.raises(ValueError, match="`num_splits` should be at most"):
        InceptionScore(_identity, 3, max_samples=5, num_splits=10)


@pytest.mark.tensorflow_only
def test_kid_and_inception_score_inside_a_tf_function_drop_the_overflow():
    import tensorflow as tf

    real = _features(6, 12, 2)
    fake = _features(7, 12, 2, shift=0.5)
    kid = _kid(2, max_samples=12, subset_size=12)
    score = InceptionScore(_identity, num_classes=2, max_samples=12, num_splits=3)

    @tf.function
    def update(real_batch, fake_batch):
        kid.update_state(real_batch, fake_batch)
        score.update_state(fake_batch)

    @tf.function
    def results():
        return kid.result(), score.result()

    for start in range(0, 12, 5):  # batches of 5, 5, 2
        update(
            tf.constant(real[start : start + 5]), tf.constant(fake[start : start + 5])
        )
    kid_value, score_value = results()
    np.testing.assert_allclose(
        float(kid_value), _numpy_unbiased_mmd(real, fake), rtol=1e-9
    )
    np.testing.assert_allclose(
        float(score_value), metrics.inception_score(fake, 3)[0], rtol=1e-6
    )
    # Traced updates cannot raise: the overflow is dropped, counted, and the
    # result is NaN inside the function and a clear error eagerly.
    update(tf.constant(real[:3]), tf.constant(fake[:3]))
    assert int(kid.real_count) == 12 and int(kid.dropped_count) == 6
    assert all(math.isnan(float(value)) for value in results())
    with pytest.raises(ValueError, match="dropped 6 samples"):
        kid.result()


def _brute_force_precision_recall(real, fake, k):
    """Kynkäänniemi et al.'s definition with explicit loops (the oracle)."""

    def radii(points):
        return [sorted(np.linalg.norm(points - point, axis=1))[k] for point in points]

    def coverage(manifold, queries):
        manifold_radii = radii(manifold)
        inside = [
            any(
                np.linalg.norm(query - point) <= radius
                for point, radius in zip(manifold, manifold_radii, strict=True)
            )
            for query in queries
        ]
        return float(np.mean(inside))

    return coverage(real, fake), coverage(fake, real)


@pytest.mark.parametrize("k", [1, 3])
def test_streaming_precision_recall_equals_the_definition_over_batches(k):
    from keras_gans.metrics import PrecisionRecall, precision_recall

    rng = np.random.default_rng(11)
    real = rng.normal(size=(40, 3))
    fake = rng.normal(loc=0.7, scale=1.3, size=(33, 3))
    metric = PrecisionRecall(lambda x: x, feature_dim=3, max_samples=64, k=k)
    for start in range(0, 40, 16):  # Uneven batches, fake ones shorter.
        metric.update_state(real[start : start + 16], fake[start : start + 16])
    streamed = {name: float(value) for name, value in metric.result().items()}
    expected_precision, expected_recall = _brute_force_precision_recall(real, fake, k)
    assert streamed["precision"] == pytest.approx(expected_precision)
    assert streamed["recall"] == pytest.approx(expected_recall)
    assert (streamed["precision"], streamed["recall"]) == pytest.approx(
        precision_recall(real, fake, k=k)
    )
    metric.reset_state()
    metric.update_state(real[:k], fake[:k])  # k samples: no k-th neighbour.
    with pytest.raises(ValueError, match="at least `k \\+ 1="):
        metric.result()
