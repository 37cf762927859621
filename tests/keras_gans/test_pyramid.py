"""A5 Laplacian pyramid: filters against NumPy, exact reconstruction, level shapes."""

import keras
import numpy as np
import pytest

from keras_gans import data
from keras_gans.pyramid import downsample, laplacian_pyramid, reconstruct, upsample

INTERPOLATIONS = ["bilinear", "nearest"]


def _random(shape, seed):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape).astype("float32")


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _block_mean_oracle(images):
    batch, height, width, channels = images.shape
    result = np.zeros((batch, height // 2, width // 2, channels))
    for i in range(height // 2):
        for j in range(width // 2):
            block = images[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, :]
            result[:, i, j, :] = block.sum(axis=(1, 2)) / 4.0
    return result


def _bilinear_axis_oracle(values, axis):
    """2x half-pixel bilinear upsampling along one axis, edge samples repeated.

    Output sample `o` sits at input coordinate `(o + 0.5) / 2 - 0.5`; it mixes the
    two nearest input samples linearly (clamped to the edges).
    """
    values = np.moveaxis(values, axis, 0)
    size = values.shape[0]
    output = np.zeros((2 * size, *values.shape[1:]))
    for index in range(2 * size):
        coordinate = (index + 0.5) / 2.0 - 0.5
        low = int(np.floor(coordinate))
        fraction = coordinate - low
        low_value = values[min(max(low, 0), size - 1)]
        high_value = values[min(max(low + 1, 0), size - 1)]
        output[index] = (1.0 - fraction) * low_value + fraction * high_value
    return np.moveaxis(output, 0, axis)


def test_downsample_is_the_2x2_block_mean():
    images = _random((2, 6, 4, 3), 0)
    np.testing.assert_allclose(
        _numpy(downsample(images)), _block_mean_oracle(images), atol=1e-6
    )


def test_nearest_upsample_repeats_every_pixel_as_a_2x2_block():
    images = _random((2, 3, 4, 2), 1)
    expected = np.kron(images, np.ones((1, 2, 2, 1)))
    np.testing.assert_array_equal(_numpy(upsample(images, "nearest")), expected)


def test_bilinear_upsample_matches_the_half_pixel_formula():
    images = _random((2, 3, 5, 2), 2)
    expected = _bilinear_axis_oracle(_bilinear_axis_oracle(images, 1), 2)
    np.testing.assert_allclose(_numpy(upsample(images)), expected, atol=1e-6)


def test_pyramid_levels_halve_from_16_to_4():
    images = _random((3, 16, 16, 1), 3)
    shapes = [tuple(level.shape) for level in laplacian_pyramid(images, 3)]
    assert shapes == [(3, 16, 16, 1), (3, 8, 8, 1), (3, 4, 4, 1)]


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_levels_are_the_residuals_of_the_definition(interpolation):
    images = _random((2, 8, 8, 2), 4)
    pyramid = [_numpy(level) for level in laplacian_pyramid(images, 3, interpolation)]
    coarse_1 = _block_mean_oracle(images)  # I_1
    coarse_2 = _block_mean_oracle(coarse_1)  # I_2
    if interpolation == "nearest":

        def up(x):
            return np.kron(x, np.ones((1, 2, 2, 1)))
    else:

        def up(x):
            return _bilinear_axis_oracle(_bilinear_axis_oracle(x, 1), 2)

    np.testing.assert_allclose(pyramid[0], images - up(coarse_1), atol=1e-5)
    np.testing.assert_allclose(pyramid[1], coarse_1 - up(coarse_2), atol=1e-5)
    np.testing.assert_allclose(pyramid[2], coarse_2, atol=1e-6)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_reconstruction_of_random_images_is_exact(interpolation):
    images = _random((4, 16, 16, 3), 5)
    pyramid = laplacian_pyramid(images, 3, interpolation)
    restored = _numpy(reconstruct(pyramid, interpolation))
    assert np.max(np.abs(restored - images)) < 1e-6


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_reconstruction_of_digits_at_16_pixels_is_exact(interpolation):
    images, _ = data.load_arrays("digits", "test", image_size=16, resize="pad")
    pyramid = laplacian_pyramid(images, 3, interpolation)  # 16 -> 8 -> 4
    restored = _numpy(reconstruct(pyramid, interpolation))
    assert restored.shape == (360, 16, 16, 1)
    assert np.max(np.abs(restored - images)) < 1e-6


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_residuals_of_a_constant_image_are_zero(interpolation):
    images = np.full((2, 8, 8, 3), -0.4, dtype="float32")
    *residuals, low_pass = laplacian_pyramid(images, 3, interpolation)
    for residual in residuals:
        np.testing.assert_allclose(_numpy(residual), 0.0, atol=1e-7)
    np.testing.assert_allclose(_numpy(low_pass), -0.4, atol=1e-7)


def test_nearest_residuals_have_zero_block_means():
    # With nearest upsampling, d(u(x)) = x, so d(h_k) = d(I_k) - d(u(I_{k+1})) = 0.
    images = _random((2, 8, 8, 1), 6)
    coarse = _random((2, 4, 4, 1), 7)
    np.testing.assert_allclose(
        _numpy(downsample(upsample(coarse, "nearest"))), coarse, atol=1e-7
    )
    residual = laplacian_pyramid(images, 2, "nearest")[0]
    np.testing.assert_allclose(_block_mean_oracle(_numpy(residual)), 0.0, atol=1e-6)


def test_one_level_is_the_image_itself():
    images = _random((1, 5, 7, 1), 8)
    (level,) = laplacian_pyramid(images, 1)
    np.testing.assert_array_equal(_numpy(level), images)
    np.testing.assert_array_equal(_numpy(reconstruct([images])), images)


def test_pyramid_of_symbolic_inputs_has_an_unknown_batch():
    images = keras.Input((16, 16, 1))
    shapes = [tuple(level.shape) for level in laplacian_pyramid(images, 3)]
    assert shapes == [(None, 16, 16, 1), (None, 8, 8, 1), (None, 4, 4, 1)]


def test_integer_images_are_averaged_as_floats():
    images = np.array([[1, 2], [3, 5]], dtype="uint8").reshape(1, 2, 2, 1)
    assert float(_numpy(downsample(images))[0, 0, 0, 0]) == 2.75


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="divisible by 2 \\*\\* \\(levels - 1\\) = 8"):
        laplacian_pyramid(np.zeros((1, 12, 12, 1)), 4)
    with pytest.raises(ValueError, match="`levels` should be a positive integer"):
        laplacian_pyramid(np.zeros((1, 8, 8, 1)), 0)
    with pytest.raises(ValueError, match="`interpolation` should be one of"):
        upsample(np.zeros((1, 2, 2, 1)), "bicubic")
    with pytest.raises(ValueError, match="even, known height and width"):
        downsample(np.zeros((1, 5, 4, 1)))
    with pytest.raises(ValueError, match="rank 4"):
        downsample(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="twice the size of the next one"):
        reconstruct([np.zeros((1, 8, 8, 1)), np.zeros((1, 2, 2, 1))])
