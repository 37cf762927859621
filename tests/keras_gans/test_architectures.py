"""DCGAN and MLP builders: shapes for every supported size, the DCGAN guidelines."""

import keras
import numpy as np
import pytest

from keras_gans import GAN, architectures, data

pytestmark = pytest.mark.tensorflow_only


@pytest.mark.parametrize("image_size", [8, 16, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_for_every_supported_size(image_size, channels):
    generator = architectures.dcgan_generator(
        image_size, channels, latent_dim=10, width=4
    )
    discriminator = architectures.dcgan_discriminator(image_size, channels, width=4)
    images = generator(np.random.default_rng(0).normal(size=(3, 10)).astype("float32"))
    assert tuple(images.shape) == (3, image_size, image_size, channels)
    assert float(np.max(np.abs(images))) <= 1.0  # tanh output
    assert tuple(discriminator(images).shape) == (3, 1)


def test_dcgan_follows_the_batch_norm_guideline():
    # Radford et al. 2015: batch norm everywhere except G's output and D's input.
    generator = architectures.dcgan_generator(32, 3, width=8)
    discriminator = architectures.dcgan_discriminator(32, 3, width=8)
    batch_norm = keras.layers.BatchNormalization
    generator_layers = [
        layer
        for layer in generator.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    assert (
        generator_layers[-1].name == "images"
        and generator_layers[-1].activation.__name__ == "tanh"
    )
    assert sum(isinstance(layer, batch_norm) for layer in generator.layers) == 3
    convolutions = [
        layer
        for layer in discriminator.layers
        if isinstance(layer, keras.layers.Conv2D)
    ]
    after_first = discriminator.layers[discriminator.layers.index(convolutions[0]) + 1]
    assert not isinstance(after_first, batch_norm)
    assert isinstance(after_first, keras.layers.LeakyReLU)
    assert (
        sum(isinstance(layer, batch_norm) for layer in discriminator.layers)
        == len(convolutions) - 1
    )


@pytest.mark.parametrize("image_size", [16, 64])
def test_dcgan_generator_without_normalization_and_constant_filters(image_size):
    # WGAN-GP Figure 2's "no normalization in G, constant filters" generator.
    generator = architectures.dcgan_generator(
        image_size, 3, latent_dim=10, width=8, normalization="none", constant_width=True
    )
    layers = generator.layers
    assert not any(
        isinstance(layer, keras.layers.BatchNormalization | keras.layers.Normalization)
        for layer in layers
    )
    hidden = [
        layer for layer in layers if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    assert [layer.filters for layer in hidden[:-1]] == [8] * (len(hidden) - 1)
    assert hidden[-1].filters == 3
    projection = next(
        layer for layer in layers if isinstance(layer, keras.layers.Dense)
    )
    assert projection.units == 4 * 4 * 8  # the projection of z has 8 filters too
    assert projection.use_bias and all(layer.use_bias for layer in hidden)
    images = generator(np.random.default_rng(0).normal(size=(2, 10)).astype("float32"))
    assert tuple(images.shape) == (2, image_size, image_size, 3)
    # The standard generator doubles its filters towards z and has batch norm.
    standard = architectures.dcgan_generator(image_size, 3, latent_dim=10, width=8)
    filters = [
        layer.units // 16 if isinstance(layer, keras.layers.Dense) else layer.filters
        for layer in standard.layers
        if isinstance(layer, keras.layers.Dense | keras.layers.Conv2DTranspose)
    ][:-1]  # the projection's filters (4x4 maps), then the hidden layers'
    assert filters == sorted(filters, reverse=True) and filters[0] > 8
    assert filters[-1] == 8
    assert any(
        isinstance(layer, keras.layers.BatchNormalization) for layer in standard.layers
    )
    # Each option alone: no BN with doubling filters, BN with constant filters.
    unnormalized = architectures.dcgan_generator(
        image_size, 3, width=8, normalization="none"
    )
    assert not any(
        isinstance(layer, keras.layers.BatchNormalization)
        for layer in unnormalized.layers
    )
    constant = architectures.dcgan_generator(
        image_size, 3, width=8, constant_width=True
    )
    assert {
        layer.filters
        for layer in constant.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    } == {8, 3}


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"image_size": 24}, "`image_size` should be one of"),
        ({"channels": 0}, "`channels` should be a positive integer"),
        ({"width": 0}, "`width` should be a positive integer"),
        ({"normalization": "layer"}, "`normalization` should be one of"),
        ({"constant_width": 1}, "`constant_width` should be"),
    ],
)
def test_dcgan_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        architectures.dcgan_generator(**{"image_size": 16, **kwargs})


def test_mlp_shapes_for_points_and_images():
    generator = architectures.mlp_generator(4, 2)
    assert generator.output_shape == (None, 2)
    image_generator = architectures.mlp_generator(
        4, (8, 8, 1), output_activation="tanh"
    )
    assert image_generator.output_shape == (None, 8, 8, 1)
    assert architectures.mlp_discriminator((8, 8, 1)).output_shape == (None, 1)
    with pytest.raises(ValueError, match="`hidden_units` should be a sequence"):
        architectures.mlp_discriminator(2, hidden_units=(0,))


def test_mixed_precision_wraps_the_optimizers_and_trains():
    keras.config.set_dtype_policy("mixed_float16")  # conftest restores float32
    gan = GAN(
        architectures.dcgan_generator(8, 1, latent_dim=8, width=8),
        architectures.dcgan_discriminator(8, 1, width=8),
        seed=0,
    )
    gan.compile()
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    images, _ = data.load_arrays("digits", "train")
    history = gan.fit(
        data.from_array(images[:32], batch_size=16, seed=0),
        epochs=1,
        verbose=0,
        shuffle=False,
    )
    assert all(np.isfinite(values[0]) for values in history.history.values())


@pytest.mark.parametrize(
    "noise", [{"dropout_rate": 0.5}, {"noise_injection": True}], ids=str
)
def test_dcgan_generator_noise_stays_on_at_inference(noise):
    # T10: with dropout or noise injection, one latent gives different images in
    # inference mode; without, the same image.
    latents = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    plain = architectures.dcgan_generator(8, 1, latent_dim=8, width=4, seed=0)
    noisy = architectures.dcgan_generator(8, 1, latent_dim=8, width=4, seed=0, **noise)
    for layer in noisy.layers:  # NoiseInjection starts at strength 0: turn it up.
        if hasattr(layer, "strength"):
            layer.strength.assign(keras.ops.ones(layer.strength.shape))
    np.testing.assert_array_equal(
        plain(latents, training=False), plain(latents, training=False)
    )
    first = np.asarray(noisy(latents, training=False))
    second = np.asarray(noisy(latents, training=False))
    assert np.max(np.abs(first - second)) > 1e-3
