"""Latent tools (T17): slerp against NumPy geometry, truncation against SciPy,
vector arithmetic against NumPy means."""

import keras
import numpy as np
import pytest
from scipy import stats

from keras_gans import latent


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _angle(a, b):
    """NumPy oracle: the angle between two vectors, from the cosine."""
    cosine = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return np.arccos(np.clip(cosine, -1.0, 1.0))


def _random_pair(seed, dimension=16):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(dimension), rng.standard_normal(dimension)


def test_slerp_endpoints_are_exact():
    start, end = _random_pair(0)
    path = _numpy(latent.slerp(start, end, np.array([0.0, 1.0])))
    np.testing.assert_array_equal(path[0], start)
    np.testing.assert_array_equal(path[1], end)
    np.testing.assert_array_equal(_numpy(latent.slerp(start, end, 0.0)), start)


def test_slerp_keeps_unit_vectors_on_the_sphere_and_the_angle_grows_linearly():
    start, end = _random_pair(1)
    start, end = start / np.linalg.norm(start), end / np.linalg.norm(end)
    fractions = np.linspace(0.0, 1.0, 11)
    path = _numpy(latent.slerp(start, end, fractions))
    assert path.shape == (11, 16)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-12)
    total = _angle(start, end)
    angles = np.array([_angle(start, point) for point in path])
    np.testing.assert_allclose(angles, fractions * total, atol=1e-7)
    # Every point also lies in the plane of start and end (a great circle).
    basis = np.linalg.qr(np.stack([start, end], axis=1))[0]  # [16, 2]
    np.testing.assert_allclose(path @ basis @ basis.T, path, atol=1e-12)


def test_slerp_of_gaussian_latents_keeps_their_norm_unlike_linear():
    # White 2016's motivation: the linear midpoint of two N(0, I) latents has a
    # norm about sqrt(d / 2) instead of sqrt(d); slerp's midpoint (equal norms)
    # keeps the norm.
    start, end = _random_pair(2, dimension=512)
    end = end * np.linalg.norm(start) / np.linalg.norm(end)
    spherical = _numpy(latent.interpolate(start, end, 3))[1]
    linear = _numpy(latent.interpolate(start, end, 3, method="linear"))[1]
    np.testing.assert_allclose(np.linalg.norm(spherical), np.linalg.norm(start))
    np.testing.assert_allclose(linear, (start + end) / 2.0)
    assert np.linalg.norm(linear) < 0.8 * np.linalg.norm(start)


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["parallel", "anti-parallel"])
def test_slerp_falls_back_to_linear_for_parallel_vectors(sign):
    start = np.array([1.0, 2.0, -1.0])
    end = sign * 3.0 * start
    fractions = np.array([0.0, 0.25, 0.5, 1.0])
    path = _numpy(latent.slerp(start, end, fractions))
    expected = (1.0 - fractions)[:, None] * start + fractions[:, None] * end
    np.testing.assert_allclose(path, expected, atol=1e-12)
    assert np.all(np.isfinite(path))
    # A zero latent has no direction either: linear too.
    np.testing.assert_allclose(
        _numpy(latent.slerp(np.zeros(3), end, 0.5)), end / 2.0, atol=1e-12
    )


def test_interpolate_shapes_and_argument_checks():
    start = np.zeros((4, 2, 2))  # any latent shape
    path = latent.interpolate(start, np.ones((4, 2, 2)), num_steps=6)
    assert tuple(path.shape) == (6, 4, 2, 2)
    with pytest.raises(ValueError, match="`num_steps` should be an integer >= 2"):
        latent.interpolate(start, start, num_steps=1)
    with pytest.raises(ValueError, match="`method` should be one of"):
        latent.interpolate(start, start, 3, method="cubic")
    with pytest.raises(ValueError, match="should have the same shape"):
        latent.slerp(np.zeros(3), np.zeros(4), 0.5)


def test_latent_arithmetic_is_a_difference_of_group_means():
    rng = np.random.default_rng(3)
    smiling_woman, neutral_woman, neutral_man = (
        rng.standard_normal((3, 8)),
        rng.standard_normal((3, 8)),
        rng.standard_normal((2, 8)),
    )
    result = _numpy(latent.latent_arithmetic(smiling_woman, neutral_woman, neutral_man))
    expected = (
        smiling_woman.mean(axis=0) - neutral_woman.mean(axis=0) + neutral_man.mean(0)
    )
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="pass one latent as"):
        latent.latent_arithmetic(np.zeros(8), np.zeros((1, 8)), np.zeros((1, 8)))
    with pytest.raises(ValueError, match="latents of one shape"):
        latent.latent_arithmetic(np.zeros((1, 8)), np.zeros((1, 4)), np.zeros((1, 8)))


@pytest.mark.parametrize("threshold", [0.5, 1.0, 2.0])
def test_truncated_normal_is_bounded_and_matches_scipy_truncnorm(threshold):
    samples = _numpy(latent.truncated_normal((20_000,), threshold, seed=0))
    assert samples.dtype == np.float32
    assert np.abs(samples).max() <= threshold
    reference = stats.truncnorm(-threshold, threshold)
    result = stats.kstest(samples, reference.cdf)
    assert result.pvalue > 0.01, result
    # Not a clipped normal: no pile of samples at the bounds.
    assert np.mean(np.abs(samples) > 0.999 * threshold) < 0.01


def test_truncated_normal_seeds():
    first = _numpy(latent.truncated_normal((4, 3), 1.5, seed=7))
    again = _numpy(latent.truncated_normal((4, 3), 1.5, seed=7))
    np.testing.assert_array_equal(first, again)
    generator = keras.random.SeedGenerator(7)
    one = _numpy(latent.truncated_normal((4, 3), 1.5, seed=generator))
    two = _numpy(latent.truncated_normal((4, 3), 1.5, seed=generator))
    assert not np.array_equal(one, two)  # the generator's state advanced
    with pytest.raises(ValueError, match="`threshold` should be a positive finite"):
        latent.truncated_normal((2,), 0.0)
    with pytest.raises(ValueError, match="`seed` should be None, an integer"):
        latent.truncated_normal((2,), 1.0, seed="zero")
