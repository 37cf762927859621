"""SAGAN builders (A3): SN in both networks, self-attention placement, projection D.

Oracles: the layer counts of the architecture (every kernel of G and D wrapped),
`np.linalg.svd` for the normalised generator kernels, the position of the
attention block read from the graph, the projection form psi(phi) + <embed(y), phi>
in NumPy, and a training run with the paper's recipe (hinge loss, TTUR Adam).
"""

import keras
import numpy as np
import pytest
from keras_gans.layers import (
    ConditionalBatchNormalization,
    SelfAttention2D,
    SpectralNormalization,
)

from keras_gans import GAN, architectures
from keras_gans.architectures.sagan import attention_resolutions

# The shape and oracle checks call the networks directly, in inference mode, without
# a `training` argument (which `SpectralNormalization` warns about).
pytestmark = pytest.mark.filterwarnings(
    "ignore:SpectralNormalization .* without a `training`"
)

LATENT_DIM = 8
WIDTH = 8
NUM_CLASSES = 5
BATCH_SIZE = 4
# Power-iteration steps before sigma is compared with the SVD.
POWER_ITERATIONS = 40


def _latents(batch_size=BATCH_SIZE, seed=0):
    return (
        np.random.default_rng(seed)
        .normal(size=(batch_size, LATENT_DIM))
        .astype("float32")
    )


def _images(image_size=16, channels=1, batch_size=BATCH_SIZE, seed=1):
    return (
        np.random.default_rng(seed)
        .uniform(-1, 1, size=(batch_size, image_size, image_size, channels))
        .astype("float32")
    )


def _labels(values=(0, 1, 2, 4)):
    return np.array(values, dtype="int32")


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _layers_of(model, layer_class):
    return [layer for layer in model.layers if isinstance(layer, layer_class)]


@pytest.mark.parametrize("image_size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_for_every_supported_size(image_size, channels):
    # Unconditional networks in grayscale, conditional ones in RGB.
    num_classes = None if channels == 1 else NUM_CLASSES
    generator = architectures.sagan_generator(
        image_size,
        channels,
        latent_dim=LATENT_DIM,
        width=WIDTH,
        num_classes=num_classes,
        seed=0,
    )
    discriminator = architectures.sagan_discriminator(
        image_size, channels, width=WIDTH, num_classes=num_classes, seed=0
    )
    conditional = num_classes is not None
    images = _numpy(generator([_latents(), _labels()] if conditional else _latents()))
    assert images.shape == (BATCH_SIZE, image_size, image_size, channels)
    assert np.max(np.abs(images)) <= 1.0
    logits = discriminator([images, _labels()] if conditional else images)
    assert tuple(logits.shape) == (BATCH_SIZE, 1)


@pytest.mark.parametrize("image_size", [16, 32])
def test_both_networks_are_spectrally_normalised_everywhere(image_size):
    generator = architectures.sagan_generator(
        image_size, 1, width=WIDTH, num_classes=NUM_CLASSES
    )
    discriminator = architectures.sagan_discriminator(
        image_size, 1, width=WIDTH, num_classes=NUM_CLASSES
    )
    kernel_classes = (keras.layers.Conv2D, keras.layers.Dense, keras.layers.Embedding)
    for model in (generator, discriminator):
        assert _layers_of(model, kernel_classes) == [], model.name
    # G: the projection of z, three convolutions per up block (two 3x3 and the 1x1
    # shortcut), the output convolution.
    num_up_blocks = int(np.log2(image_size // 4))
    assert (
        len(_layers_of(generator, SpectralNormalization)) == 1 + 3 * num_up_blocks + 1
    )
    # D: three per down block to 8x8, two in each of the two last blocks, psi and
    # the class embedding.
    num_down_blocks = int(np.log2(image_size // 8))
    assert (
        len(_layers_of(discriminator, SpectralNormalization))
        == 3 * num_down_blocks + 4 + 2
    )
    assert len(_layers_of(generator, ConditionalBatchNormalization)) == (
        2 * num_up_blocks
    )


def test_effective_generator_kernels_have_unit_spectral_norm():
    generator = architectures.sagan_generator(16, 1, width=WIDTH, seed=0)
    for layer in _layers_of(generator, SpectralNormalization):
        # One training call running many power-iteration steps stores a converged u.
        layer.power_iterations = POWER_ITERATIONS
        layer(np.zeros((1, *layer.input.shape[1:]), layer.input.dtype), training=True)
        kernel = layer.layer.kernel.numpy()
        matrix = kernel.reshape(-1, kernel.shape[-1])  # [fan_in, out]
        # sigma = v^T W u after one power-iteration step from the stored u.
        v = matrix @ layer.u.numpy()
        v /= np.linalg.norm(v)
        u = v @ matrix
        u /= np.linalg.norm(u)
        sigma = v @ matrix @ u
        top_singular_value = np.linalg.svd(matrix / sigma, compute_uv=False)[0]
        assert top_singular_value == pytest.approx(1.0, rel=1e-2), layer.name


@pytest.mark.parametrize(
    "image_size,attention_resolution,after_block",
    # G's block k outputs 4 * 2**k pixels a side.
    [(16, None, 1), (32, None, 2), (32, 8, 1), (64, 16, 2)],
)
def test_attention_follows_the_block_of_its_resolution(
    image_size, attention_resolution, after_block
):
    generator = architectures.sagan_generator(
        image_size,
        1,
        latent_dim=LATENT_DIM,
        width=WIDTH,
        attention_resolution=attention_resolution,
    )
    discriminator = architectures.sagan_discriminator(
        image_size, 1, width=WIDTH, attention_resolution=attention_resolution
    )
    resolution = attention_resolution or image_size // 2
    first_discriminator_block = int(np.log2(image_size // resolution))
    for model, block, inputs in (
        (generator, after_block, _latents()),
        (discriminator, first_discriminator_block, _images(image_size)),
    ):
        (attention,) = _layers_of(model, SelfAttention2D)
        assert attention.input.shape[1:] == (resolution, resolution, WIDTH)
        # The attention block reads that block's output.
        probe = keras.Model(
            model.input,
            [model.get_layer(f"block{block}_output").output, attention.input],
        )
        block_output, attention_input = (_numpy(x) for x in probe(inputs))
        np.testing.assert_array_equal(block_output, attention_input)


def test_attention_mixes_distant_positions_once_its_gate_opens():
    # A block without attention sees a 5x5 pixel neighbourhood per 3x3 pair; with
    # gamma != 0 a change in one corner reaches the opposite corner at once.
    discriminator = architectures.sagan_discriminator(16, 1, width=WIDTH, seed=0)
    attention = discriminator.get_layer("attention")
    probe = keras.Model(discriminator.input, attention.output)
    images = _images(batch_size=1)
    changed = images.copy()
    changed[0, :4, :4, 0] += 1.0
    far_corner = (0, slice(-2, None), slice(-2, None))
    closed = _numpy(probe(images)) - _numpy(probe(changed))
    assert np.max(np.abs(closed[far_corner])) == 0.0  # gamma starts at 0
    attention.gamma.assign(1.0)
    opened = _numpy(probe(images)) - _numpy(probe(changed))
    assert np.max(np.abs(opened[far_corner])) > 1e-4


def test_projection_discriminator_equals_the_inner_product_form():
    discriminator = architectures.sagan_discriminator(
        16, 3, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    discriminator.get_layer("attention").gamma.assign(0.5)
    images = _images(channels=3)
    probe = keras.Model(
        discriminator.inputs,
        [
            discriminator.get_layer("features").output,
            discriminator.get_layer("unconditional_logits").output,
            discriminator.output,
        ],
    )
    embedding_probe = keras.Model(
        discriminator.get_layer("labels").output,
        discriminator.get_layer("class_embedding").output,
    )
    embeddings = _numpy(embedding_probe(np.arange(NUM_CLASSES, dtype="int32")))
    first_labels, second_labels = _labels((0, 1, 2, 4)), _labels((4, 4, 3, 0))
    features, psi, logits = (_numpy(x) for x in probe([images, first_labels]))
    expected = psi[:, 0] + np.sum(embeddings[first_labels] * features, axis=-1)
    np.testing.assert_allclose(logits[:, 0], expected, rtol=1e-4, atol=1e-4)
    other_logits = _numpy(discriminator([images, second_labels]))
    difference = np.sum(
        (embeddings[first_labels] - embeddings[second_labels]) * features, axis=-1
    )
    np.testing.assert_allclose(
        logits[:, 0] - other_logits[:, 0], difference, rtol=1e-4, atol=1e-4
    )


def test_conditional_generator_draws_different_images_per_class(tmp_path):
    generator = architectures.sagan_generator(
        16, 1, latent_dim=LATENT_DIM, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    rng = np.random.default_rng(3)
    for layer in _layers_of(generator, ConditionalBatchNormalization):
        # Per-class tables start at 1 and 0 (all classes alike): make them differ.
        layer.gamma_embeddings.assign(rng.normal(1, 0.5, (NUM_CLASSES, WIDTH)))
        layer.beta_embeddings.assign(rng.normal(0, 0.5, (NUM_CLASSES, WIDTH)))
    latents = _latents()
    images = _numpy(generator([latents, _labels((0, 1, 2, 3))]))
    other_images = _numpy(generator([latents, _labels((1, 2, 3, 4))]))
    assert np.all(np.abs(images - other_images).max(axis=(1, 2, 3)) > 0)
    # Same label, same image: the label is the only difference.
    np.testing.assert_array_equal(
        images[:1], _numpy(generator([latents[:1], _labels((0,))]))
    )
    path = tmp_path / "generator.keras"
    generator.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(
        _numpy(restored([latents, _labels((0, 1, 2, 3))])), images, atol=1e-6
    )


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_trains_with_the_paper_recipe_and_saves(tmp_path):
    generator = architectures.sagan_generator(
        16, 1, latent_dim=LATENT_DIM, width=WIDTH, seed=0
    )
    discriminator = architectures.sagan_discriminator(16, 1, width=WIDTH, seed=0)
    gan = GAN(generator, discriminator, seed=0)
    # Zhang et al. 2018: hinge loss, TTUR (D 4e-4, G 1e-4), Adam(beta_1=0, 0.9).
    gan.compile(
        d_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        loss="hinge",
        run_eagerly=True,  # tracing the graph step takes ~15 s of CPU
    )
    history = gan.fit(_images(batch_size=8), batch_size=4, epochs=1, verbose=0)
    assert all(np.isfinite(values[0]) for values in history.history.values())
    for model, inputs in ((generator, _latents()), (discriminator, _images())):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        restored = keras.saving.load_model(path)
        np.testing.assert_allclose(_numpy(restored(inputs)), _numpy(model(inputs)))


def test_attention_resolutions_are_those_both_networks_have():
    assert attention_resolutions(16) == (8,)
    assert attention_resolutions(32) == (8, 16)
    assert attention_resolutions(64) == (8, 16, 32)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (
            {"attention_resolution": 16},
            r"`attention_resolution` should be one of \(8,\)",
        ),
        (
            {"attention_resolution": 4},
            r"`attention_resolution` should be one of \(8,\)",
        ),
        ({"width": 12}, "multiple of 8 channels; increase `width`"),
        ({"image_size": 8}, r"`image_size` should be one of \(16, 32, 64\)"),
        ({"num_classes": -1}, "`num_classes` should be a positive integer or None"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    for builder in (architectures.sagan_generator, architectures.sagan_discriminator):
        with pytest.raises(ValueError, match=message):
            builder(**{"image_size": 16, "width": WIDTH, **kwargs})
