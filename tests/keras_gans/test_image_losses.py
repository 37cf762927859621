"""T22 extra losses against NumPy loops over pixels and closed forms."""

import keras
import numpy as np
import pytest

from keras_gans.image_losses import (
    gram_matrix,
    l1_reconstruction_loss,
    perceptual_loss,
    style_loss,
    total_variation_loss,
)


def _random(shape, seed):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape).astype("float32")


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _total_variation_oracle(images, power):
    """Johnson's TV, one neighbouring pair at a time."""
    batch, height, width, channels = images.shape
    vertical, horizontal = [], []
    for b in range(batch):
        for c in range(channels):
            for i in range(height):
                for j in range(width):
                    if i + 1 < height:
                        difference = images[b, i + 1, j, c] - images[b, i, j, c]
                        vertical.append(abs(float(difference)) ** power)
                    if j + 1 < width:
                        difference = images[b, i, j + 1, c] - images[b, i, j, c]
                        horizontal.append(abs(float(difference)) ** power)
    return np.mean(vertical) + np.mean(horizontal)


def _gram_oracle(features):
    batch, height, width, channels = features.shape
    gram = np.zeros((batch, channels, channels))
    for b in range(batch):
        for c in range(channels):
            for d in range(channels):
                total = 0.0
                for i in range(height):
                    for j in range(width):
                        total += float(features[b, i, j, c]) * float(
                            features[b, i, j, d]
                        )
                gram[b, c, d] = total / (height * width * channels)
    return gram


def test_l1_reconstruction_loss_is_the_mean_absolute_difference():
    target, generated = _random((2, 3, 4, 2), 0), _random((2, 3, 4, 2), 1)
    pairs = zip(target.ravel(), generated.ravel(), strict=True)
    expected = np.mean([abs(float(t) - float(g)) for t, g in pairs])
    np.testing.assert_allclose(
        float(l1_reconstruction_loss(target, generated)), expected, rtol=1e-6
    )
    assert float(l1_reconstruction_loss(target, target)) == 0.0


def test_l1_reconstruction_loss_rejects_different_shapes():
    with pytest.raises(
        ValueError, match="`target` and `generated` should have the same"
    ):
        l1_reconstruction_loss(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 3)))


@pytest.mark.parametrize("power", [1, 2])
def test_total_variation_matches_a_loop_over_neighbouring_pixels(power):
    images = _random((2, 3, 5, 2), seed=power)  # height != width
    np.testing.assert_allclose(
        float(total_variation_loss(images, power=power)),
        _total_variation_oracle(images, power),
        rtol=1e-5,
    )


@pytest.mark.parametrize("power", [1, 2])
def test_total_variation_of_a_constant_image_is_zero(power):
    images = np.full((2, 6, 6, 3), 0.37, dtype="float32")
    assert float(total_variation_loss(images, power=power)) == 0.0


@pytest.mark.parametrize("power,expected", [(1, 4 * 0.7), (2, 8 * 0.7**2)])
def test_total_variation_of_a_checkerboard_has_its_closed_form(power, expected):
    # Every neighbouring pair of a +a/-a checkerboard differs by 2a, vertically and
    # horizontally: TV = (2a)^p + (2a)^p.
    rows, columns = np.indices((6, 6))
    checkerboard = np.where((rows + columns) % 2 == 0, 0.7, -0.7)
    images = checkerboard[np.newaxis, :, :, np.newaxis].astype("float32")
    np.testing.assert_allclose(
        float(total_variation_loss(images, power=power)), expected, rtol=1e-6
    )


@pytest.mark.parametrize("power", [3, 1.5, True])
def test_total_variation_rejects_other_powers(power):
    with pytest.raises(ValueError, match=r"`power` should be 1 or 2\. Received"):
        total_variation_loss(np.zeros((1, 4, 4, 1)), power=power)


def test_total_variation_rejects_non_images():
    with pytest.raises(ValueError, match="rank 4"):
        total_variation_loss(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="at least 2 pixels"):
        total_variation_loss(np.zeros((1, 1, 4, 1)))


def test_gram_matrix_of_a_known_tensor():
    # One row of two positions with channel values (1, 2) and (3, 4):
    # G = [[1*1 + 3*3, 1*2 + 3*4], [2*1 + 4*3, 2*2 + 4*4]] / (1 * 2 * 2).
    features = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], dtype="float32")  # [1, 1, 2, 2]
    np.testing.assert_allclose(
        _numpy(gram_matrix(features)), [[[2.5, 3.5], [3.5, 5.0]]], rtol=1e-6
    )


def test_gram_matrix_matches_a_loop_and_is_symmetric():
    features = _random((2, 3, 4, 5), seed=3)
    gram = _numpy(gram_matrix(features))
    assert gram.shape == (2, 5, 5)
    np.testing.assert_allclose(gram, _gram_oracle(features), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gram, np.transpose(gram, (0, 2, 1)), atol=1e-7)


def test_style_loss_sums_squared_frobenius_distances_over_layers():
    target = [_random((2, 4, 4, 3), 4), _random((2, 2, 2, 5), 5)]
    generated = [_random((2, 4, 4, 3), 6), _random((2, 2, 2, 5), 7)]
    expected = 0.0
    for target_map, generated_map in zip(target, generated, strict=True):
        difference = _gram_oracle(generated_map) - _gram_oracle(target_map)
        per_example = [np.sum(difference[b] ** 2) for b in range(2)]
        expected += np.mean(per_example)
    np.testing.assert_allclose(
        float(style_loss(target, generated)), expected, rtol=1e-5
    )
    assert float(style_loss(target, target)) == 0.0


def test_style_loss_broadcasts_one_style_image_over_the_batch():
    style_image_features = _random((1, 4, 4, 3), 8)
    generated = _random((3, 4, 4, 3), 9)
    target_gram = _gram_oracle(style_image_features)[0]
    generated_gram = _gram_oracle(generated)
    expected = np.mean(
        [np.sum((generated_gram[b] - target_gram) ** 2) for b in range(3)]
    )
    np.testing.assert_allclose(
        float(style_loss(style_image_features, generated)), expected, rtol=1e-5
    )


def test_style_loss_rejects_different_numbers_of_layers():
    with pytest.raises(ValueError, match="same non-zero number of feature maps"):
        style_loss([np.zeros((1, 2, 2, 1))] * 2, [np.zeros((1, 2, 2, 1))])


def test_perceptual_loss_with_the_identity_is_the_pixel_mean_squared_error():
    target, generated = _random((2, 4, 4, 3), 10), _random((2, 4, 4, 3), 11)
    expected = np.mean((target.astype("float64") - generated) ** 2)
    np.testing.assert_allclose(
        float(perceptual_loss(target, generated, lambda images: images)),
        expected,
        rtol=1e-6,
    )


def test_perceptual_loss_sums_the_mean_squared_errors_of_several_feature_maps():
    target, generated = _random((2, 4, 4, 1), 12), _random((2, 4, 4, 1), 13)
    pixel_mse = np.mean((target.astype("float64") - generated) ** 2)
    # Features x and 3x: MSE + 9 MSE.
    np.testing.assert_allclose(
        float(perceptual_loss(target, generated, lambda x: [x, 3.0 * x])),
        10.0 * pixel_mse,
        rtol=1e-5,
    )


def test_perceptual_loss_with_a_keras_model_uses_its_features_in_inference_mode():
    # A 1x1 convolution with a known kernel, then dropout: in inference mode the
    # features are exactly x @ kernel, so the loss is the MSE of those products.
    kernel = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 3.0]], dtype="float32")  # [2, 3]
    inputs = keras.Input((4, 4, 2))
    convolution = keras.layers.Conv2D(3, 1, use_bias=False)
    features = keras.layers.Dropout(0.5)(convolution(inputs))
    model = keras.Model(inputs, features)
    convolution.kernel.assign(kernel[np.newaxis, np.newaxis])  # [1, 1, 2, 3]
    target, generated = _random((2, 4, 4, 2), 14), _random((2, 4, 4, 2), 15)
    expected = np.mean((target.astype("float64") @ kernel - generated @ kernel) ** 2)
    for _ in range(2):  # Dropout in training mode would make the two calls differ.
        np.testing.assert_allclose(
            float(perceptual_loss(target, generated, model)), expected, rtol=1e-5
        )


def test_perceptual_loss_rejects_a_feature_model_that_is_not_callable():
    with pytest.raises(ValueError, match="`feature_model` should be a callable"):
        perceptual_loss(np.zeros((1, 2)), np.zeros((1, 2)), feature_model="vgg")


def test_losses_are_float32_for_float16_inputs():
    target = _random((1, 4, 4, 2), 16).astype("float16")
    generated = _random((1, 4, 4, 2), 17).astype("float16")
    for value in (
        l1_reconstruction_loss(target, generated),
        total_variation_loss(generated),
        style_loss(target, generated),
        perceptual_loss(target, generated, lambda x: x),
    ):
        assert keras.backend.standardize_dtype(value.dtype) == "float32"
