"""Metrics M1-M5 against independent NumPy/SciPy oracles written here."""

import math

import numpy as np
import pytest
import scipy.linalg

from keras_gans import metrics
from keras_gans.data import builtin

pytestmark = pytest.mark.tensorflow_only


def _features(seed, num_samples, num_features, shift=0.0, scale=1.0):
    """Correlated Gaussian features: a random linear map of standard normals."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(num_features, num_features))
    return shift + scale * rng.normal(size=(num_samples, num_features)) @ mixing


# --- M2: Fréchet distance -----------------------------------------------------------


def _scipy_frechet_distance(real, fake):
    """The TTUR / pytorch-fid formula with scipy.linalg.sqrtm."""
    mean_real, mean_fake = real.mean(axis=0), fake.mean(axis=0)
    covariance_real = np.atleast_2d(np.cov(real, rowvar=False))
    covariance_fake = np.atleast_2d(np.cov(fake, rowvar=False))
    square_root = scipy.linalg.sqrtm(covariance_real @ covariance_fake)
    square_root = np.real(square_root)
    return float(
        np.sum((mean_real - mean_fake) ** 2)
        + np.trace(covariance_real + covariance_fake - 2.0 * square_root)
    )


@pytest.mark.parametrize("num_features", [1, 3, 16])
def test_frechet_distance_matches_scipy_sqrtm(num_features):
    real = _features(0, 300, num_features)
    fake = _features(1, 200, num_features, shift=0.5, scale=1.3)
    expected = _scipy_frechet_distance(real, fake)
    np.testing.assert_allclose(
        metrics.frechet_distance(real, fake), expected, rtol=1e-7, atol=1e-9
    )


def test_frechet_distance_closed_form_of_two_diagonal_gaussians():
    # FID(N(m1, diag(a)), N(m2, diag(b))) = ||m1 - m2||^2 + sum (sqrt(a) - sqrt(b))^2.
    mean_a = np.array([0.0, 1.0, -1.0, 2.0])
    mean_b = np.array([0.5, 1.0, 0.0, 2.0])
    variance_a = np.array([1.0, 4.0, 0.25, 2.0])
    variance_b = np.array([2.0, 1.0, 0.25, 9.0])
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum(
        (np.sqrt(variance_a) - np.sqrt(variance_b)) ** 2
    )
    exact = metrics.frechet_distance_from_moments(
        mean_a, np.diag(variance_a), mean_b, np.diag(variance_b)
    )
    np.testing.assert_allclose(exact, expected, rtol=1e-12)

    rng = np.random.default_rng(0)
    num_samples = 50_000
    sample_a = mean_a + np.sqrt(variance_a) * rng.standard_normal((num_samples, 4))
    sample_b = mean_b + np.sqrt(variance_b) * rng.standard_normal((num_samples, 4))
    np.testing.assert_allclose(
        metrics.frechet_distance(sample_a, sample_b), expected, rtol=0.02
    )


def test_frechet_distance_of_identical_sets_is_zero_and_it_is_symmetric():
    real = _features(0, 500, 32)
    fake = _features(1, 400, 32, shift=0.2)
    assert abs(metrics.frechet_distance(real, real)) < 1e-8
    np.testing.assert_allclose(
        metrics.frechet_distance(real, fake),
        metrics.frechet_distance(fake, real),
        rtol=1e-9,
    )
    assert isinstance(metrics.frechet_distance(real, fake), float)


def test_frechet_distance_of_rank_deficient_covariances_is_finite():
    # Fewer samples than features: singular covariances, where sqrtm can go complex.
    real = _features(0, 10, 64)
    fake = _features(1, 12, 64, shift=1.0)
    value = metrics.frechet_distance(real, fake)
    assert math.isfinite(value) and value > 0.0
    np.testing.assert_allclose(value, _scipy_frechet_distance(real, fake), rtol=1e-5)


def test_feature_statistics_over_batches_equal_one_shot_numpy():
    features = _features(2, 257, 6, shift=3.0)
    statistics = metrics.FeatureStatistics()
    for start, stop in [(0, 1), (1, 64), (64, 200), (200, 257)]:
        statistics.update(features[start:stop])
    assert statistics.count == 257
    np.testing.assert_allclose(statistics.mean, features.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(
        statistics.covariance, np.cov(features, rowvar=False), rtol=1e-9, atol=1e-12
    )


def test_feature_statistics_merge_equals_a_single_accumulator():
    features = _features(3, 120, 5)
    whole = metrics.FeatureStatistics(num_features=5)
    whole.update(features)
    first, second = metrics.FeatureStatistics(), metrics.FeatureStatistics()
    first.update(features[:50])
    second.update(features[50:])
    first.merge(second)
    assert first.count == whole.count
    np.testing.assert_allclose(first.mean, whole.mean, rtol=1e-12)
    np.testing.assert_allclose(first.covariance, whole.covariance, rtol=1e-12)
    empty = metrics.FeatureStatistics()
    empty.merge(whole)
    np.testing.assert_allclose(empty.covariance, whole.covariance, rtol=1e-12)


def test_frechet_distance_from_statistics_equals_one_shot():
    real = _features(4, 300, 8)
    fake = _features(5, 250, 8, shift=0.3)
    real_statistics, fake_statistics = (
        metrics.FeatureStatistics(),
        metrics.FeatureStatistics(),
    )
    for start in range(0, 300, 64):
        real_statistics.update(real[start : start + 64])
        fake_statistics.update(fake[start : start + 64])
    np.testing.assert_allclose(
        metrics.frechet_distance_from_statistics(real_statistics, fake_statistics),
        metrics.frechet_distance(real, fake),
        rtol=1e-8,
    )


@pytest.mark.parametrize(
    "real, fake, message",
    [
        (np.zeros((10,)), np.zeros((10, 2)), "rank 2"),
        (np.zeros((10, 3)), np.zeros((10, 2)), "same feature dimension"),
        (np.zeros((1, 2)), np.zeros((10, 2)), "at least 2 samples"),
        (np.zeros((10, 2)), np.full((10, 2), np.nan), "finite"),
    ],
)
def test_frechet_distance_rejects_bad_inputs(real, fake, message):
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance(real, fake)


def test_feature_statistics_rejects_bad_inputs():
    statistics = metrics.FeatureStatistics()
    with pytest.raises(ValueError, match="at least 2 samples"):
        statistics.covariance  # noqa: B018
    statistics.update(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.frechet_distance_from_statistics(statistics, statistics)
    with pytest.raises(ValueError, match="3 features"):
        statistics.update(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="finite"):
        statistics.update(np.array([[0.0, np.inf, 0.0]]))
    with pytest.raises(ValueError, match="num_features"):
        metrics.FeatureStatistics(num_features=0)


# --- M3: Kernel Inception Distance --------------------------------------------------


def _loop_unbiased_mmd_squared(real, fake):
    """Bińkowski et al.'s unbiased MMD^2 with (x.y/d + 1)^3, written as loops."""
    m, d = real.shape

    def kernel(x, y):
        return (float(np.dot(x, y)) / d + 1.0) ** 3

    within_real = sum(
        kernel(real[i], real[j]) for i in range(m) for j in range(m) if i != j
    )
    within_fake = sum(
        kernel(fake[i], fake[j]) for i in range(m) for j in range(m) if i != j
    )
    between = sum(kernel(real[i], fake[j]) for i in range(m) for j in range(m))
    return (within_real + within_fake) / (m * (m - 1)) - 2.0 * between / (m * m)


def test_kernel_inception_distance_on_all_features_matches_loop_oracle():
    real = _features(0, 12, 3)
    fake = _features(1, 12, 3, shift=0.5)
    mean, standard_deviation = metrics.kernel_inception_distance(
        real, fake, num_subsets=1, subset_size=12
    )
    np.testing.assert_allclose(mean, _loop_unbiased_mmd_squared(real, fake), rtol=1e-12)
    assert standard_deviation == 0.0


def test_kernel_inception_distance_subsets_match_loop_oracle_with_same_draws():
    # Documented draw: one default_rng(seed); per subset real indices then fake ones,
    # without replacement; the subset size clamped to the smaller set (here 9).
    real = _features(2, 15, 4)
    fake = _features(3, 9, 4, shift=1.0)
    rng = np.random.default_rng(7)
    estimates = []
    for _ in range(4):
        real_subset = real[rng.choice(15, 9, replace=False)]
        fake_subset = fake[rng.choice(9, 9, replace=False)]
        estimates.append(_loop_unbiased_mmd_squared(real_subset, fake_subset))
    mean, standard_deviation = metrics.kernel_inception_distance(
        real, fake, num_subsets=4, subset_size=1000, seed=7
    )
    np.testing.assert_allclose(mean, np.mean(estimates), rtol=1e-12)
    np.testing.assert_allclose(standard_deviation, np.std(estimates), rtol=1e-9)


def test_kernel_inception_distance_is_near_zero_for_one_distribution():
    real = _features(0, 400, 8)
    same_distribution = _features(0, 800, 8)[400:]  # same mixing, new samples
    shifted = same_distribution + 2.0
    same_mean, same_std = metrics.kernel_inception_distance(
        real, same_distribution, num_subsets=20, subset_size=200
    )
    shifted_mean, _ = metrics.kernel_inception_distance(
        real, shifted, num_subsets=20, subset_size=200
    )
    assert abs(same_mean) < 3.0 * same_std + 1e-3
    assert shifted_mean > 10.0 * max(abs(same_mean), same_std)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"real_features": np.zeros((1, 2))}, "at least 2 samples"),
        ({"real_features": np.zeros((10, 3))}, "same feature dimension"),
        ({"fake_features": np.zeros((10, 2, 1))}, "rank 2"),
        ({"fake_features": np.full((10, 2), np.nan)}, "finite"),
        ({"num_subsets": 0}, "num_subsets"),
        ({"subset_size": 1}, "subset_size"),
    ],
)
def test_kernel_inception_distance_rejects_bad_inputs(kwargs, message):
    arguments = {"real_features": np.zeros((10, 2)), "fake_features": np.ones((10, 2))}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        metrics.kernel_inception_distance(**arguments)


# --- M1: Inception Score ------------------------------------------------------------


def _numpy_inception_score(probabilities, num_splits):
    """The formula of openai/improved-gan's inception_score.py, in float64."""
    scores = []
    n = probabilities.shape[0]
    for i in range(num_splits):
        part = probabilities[i * n // num_splits : (i + 1) * n // num_splits]
        marginal = part.mean(axis=0, keepdims=True)
        kl = part * (np.log(part) - np.log(marginal))
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return np.mean(scores), np.std(scores)


def test_inception_score_of_uniform_predictions_is_one():
    assert metrics.inception_score(np.zeros((50, 7))) == pytest.approx((1.0, 0.0))
    uniform = np.full((50, 7), 1.0 / 7.0)
    assert metrics.inception_score(uniform, from_logits=False) == pytest.approx(
        (1.0, 0.0)
    )


@pytest.mark.parametrize("num_classes", [2, 10])
def test_inception_score_of_confident_balanced_predictions_is_num_classes(
    num_classes,
):
    labels = np.arange(10 * num_classes * 3) % num_classes  # every split balanced
    one_hot = np.eye(num_classes)[labels]
    mean, standard_deviation = metrics.inception_score(one_hot, from_logits=False)
    assert mean == pytest.approx(num_classes, rel=1e-12)
    assert standard_deviation == pytest.approx(0.0, abs=1e-12)
    # Very confident logits give the same score through the stable log-softmax.
    mean, _ = metrics.inception_score(1000.0 * one_hot, from_logits=True)
    assert mean == pytest.approx(num_classes, rel=1e-9)


def test_inception_score_matches_numpy_formula():
    logits = np.random.default_rng(0).normal(scale=3.0, size=(103, 10))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = _numpy_inception_score(probabilities, num_splits=10)
    np.testing.assert_allclose(
        metrics.inception_score(logits, num_splits=10), expected, rtol=1e-10
    )
    np.testing.assert_allclose(
        metrics.inception_score(probabilities, num_splits=10, from_logits=False),
        expected,
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        metrics.inception_score(logits, num_splits=3),
        _numpy_inception_score(probabilities, num_splits=3),
        rtol=1e-10,
    )


@pytest.mark.parametrize(
    "values, kwargs, message",
    [
        (np.zeros((20,)), {}, "rank 2"),
        (np.full((20, 3), np.nan), {}, "finite"),
        (np.zeros((5, 3)), {"num_splits": 10}, "at least `num_splits=10` samples"),
        (np.zeros((20, 3)), {"num_splits": 0}, "num_splits"),
        (np.full((20, 3), 2.0), {"from_logits": False}, r"\[0, 1\]"),
        (np.full((20, 3), 0.5), {"from_logits": False}, "sum to 1"),
    ],
)
def test_inception_score_rejects_bad_inputs(values, kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.inception_score(values, **kwargs)


# --- M4: improved precision and recall ----------------------------------------------


def _brute_force_precision_recall(real, fake, k):
    def radii(points):
        return np.array(
            [
                np.sort([np.linalg.norm(point - other) for other in points])[k]
                for point in points
            ]
        )

    def fraction_inside(queries, centres, centre_radii):
        return np.mean(
            [
                any(
                    np.linalg.norm(query - centre) <= radius
                    for centre, radius in zip(centres, centre_radii, strict=True)
                )
                for query in queries
            ]
        )

    return (
        fraction_inside(fake, real, radii(real)),
        fraction_inside(real, fake, radii(fake)),
    )


def test_precision_recall_of_identical_sets_is_one():
    features = _features(0, 100, 5)
    assert metrics.precision_recall(features, features) == (1.0, 1.0)


def test_precision_recall_of_far_apart_clusters_is_zero():
    real = _features(0, 60, 4)
    fake = _features(1, 80, 4) + 1000.0
    assert metrics.precision_recall(real, fake) == (0.0, 0.0)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_matches_brute_force(k):
    real = _features(2, 40, 3)
    fake = _features(3, 30, 3, shift=1.0, scale=0.6)
    expected = _brute_force_precision_recall(real, fake, k)
    assert 0.0 < expected[0] < 1.0 and 0.0 < expected[1] < 1.0  # a non-trivial case
    for batch_size in [1, 7, 1024]:
        result = metrics.precision_recall(real, fake, k=k, batch_size=batch_size)
        np.testing.assert_allclose(result, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "real, fake, kwargs, message",
    [
        (np.zeros((3, 2)), np.ones((10, 2)), {}, "more than k=3 samples"),
        (np.zeros((10, 2)), np.ones((10, 3)), {}, "same feature dimension"),
        (np.zeros((10, 2)), np.ones((10,)), {}, "rank 2"),
        (np.zeros((10, 2)), np.full((10, 2), np.nan), {}, "finite"),
        (np.zeros((10, 2)), np.ones((10, 2)), {"k": 0}, "`k`"),
        (np.zeros((10, 2)), np.ones((10, 2)), {"batch_size": 0}, "batch_size"),
    ],
)
def test_precision_recall_rejects_bad_inputs(real, fake, kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.precision_recall(real, fake, **kwargs)


# --- M5: mode coverage on the 2-D mixtures ------------------------------------------


def test_points_at_every_ring_mean_cover_all_modes():
    means = builtin.mixture_means("ring8")
    result = metrics.mode_coverage_for_mixture(np.repeat(means, 3, axis=0), "ring8")
    assert result == {
        "modes_captured": 8,
        "num_modes": 8,
        "high_quality_fraction": 1.0,
        "kl_to_uniform": pytest.approx(0.0, abs=1e-12),
        "num_samples": 24,
    }


def test_points_at_one_mode_cover_one_mode_with_kl_log_num_modes():
    means = builtin.mixture_means("ring8")
    points = np.repeat(means[2:3], 100, axis=0)
    result = metrics.mode_coverage_2d(points, means, builtin.MIXTURES["ring8"])
    assert result["modes_captured"] == 1
    assert result["high_quality_fraction"] == 1.0
    assert result["kl_to_uniform"] == pytest.approx(math.log(8), rel=1e-12)


def test_points_far_from_every_mode_are_not_high_quality():
    points = np.full((50, 2), 0.5)  # between the ring and its centre
    result = metrics.mode_coverage_for_mixture(points, "ring8")
    assert result["modes_captured"] == 0
    assert result["high_quality_fraction"] == 0.0
    assert math.isnan(result["kl_to_uniform"])
    assert result["num_samples"] == 50


def test_the_three_sigma_radius_is_inclusive_and_kl_uses_high_quality_samples():
    means = np.array([[0.0, 0.0], [10.0, 0.0]])
    points = np.array([[0.3, 0.0], [0.0, 0.31], [10.0, 0.0], [10.1, 0.0]])
    result = metrics.mode_coverage_2d(points, means, standard_deviation=0.1)
    assert result["modes_captured"] == 2
    assert result["high_quality_fraction"] == 0.75
    histogram = np.array([1.0, 2.0]) / 3.0
    expected_kl = np.sum(histogram * np.log(histogram / 0.5))
    assert result["kl_to_uniform"] == pytest.approx(expected_kl, rel=1e-12)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_real_mixture_samples_cover_every_mode(name):
    # The 2-D radius of a Gaussian is within 3 sigma with probability 1 - exp(-4.5).
    points, _ = builtin.mixture(name, split="test")
    result = metrics.mode_coverage_for_mixture(points[:2500], name)
    assert result["modes_captured"] == len(builtin.mixture_means(name))
    assert result["high_quality_fraction"] == pytest.approx(
        1.0 - math.exp(-4.5), abs=0.01
    )
    assert result["kl_to_uniform"] < 0.02


@pytest.mark.parametrize(
    "points, means, standard_deviation, message",
    [
        (np.zeros((5,)), np.zeros((2, 2)), 0.1, "rank 2"),
        (np.zeros((5, 3)), np.zeros((2, 2)), 0.1, "same dimension"),
        (np.full((5, 2), np.nan), np.zeros((2, 2)), 0.1, "finite"),
        (np.zeros((5, 2)), np.zeros((2, 2)), 0.0, "standard_deviation"),
        (np.zeros((0, 2)), np.zeros((2, 2)), 0.1, "at least one row"),
    ],
)
def test_mode_coverage_rejects_bad_inputs(points, means, standard_deviation, message):
    with pytest.raises(ValueError, match=message):
        metrics.mode_coverage_2d(points, means, standard_deviation)
    with pytest.raises(ValueError, match="Unknown mixture"):
        metrics.mode_coverage_for_mixture(np.zeros((5, 2)), "ring9")
