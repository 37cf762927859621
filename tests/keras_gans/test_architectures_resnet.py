"""SNGAN ResNet builders (A2): shapes, spectral norm, projection D, conditional BN.

Oracles: the layer counts of the paper's architecture, `np.linalg.svd` for the
spectrally normalised kernels, the projection form psi(phi) + <embed(y), phi>
re-computed in NumPy from the model's own sub-layer outputs, and conditional batch
normalization re-computed from its per-class tables.
"""

import keras
import numpy as np
import pytest
from keras_gans.layers import ConditionalBatchNormalization, SpectralNormalization

from keras_gans import GAN, architectures, losses

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


def _latents(batch_size=BATCH_SIZE, latent_dim=LATENT_DIM, seed=0):
    return (
        np.random.default_rng(seed)
        .normal(size=(batch_size, latent_dim))
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


def _unwrapped_kernel_layers(model):
    kernel_classes = (keras.layers.Conv2D, keras.layers.Dense, keras.layers.Embedding)
    return [layer for layer in model.layers if isinstance(layer, kernel_classes)]


def _spectral_norm_layers(model):
    return [layer for layer in model.layers if isinstance(layer, SpectralNormalization)]


def _numpy_sigma(layer):
    """sigma = v^T W u after one power-iteration step from the stored u (the paper's
    estimate, as used in inference), with W the kernel as [fan_in, out]."""
    if isinstance(layer.layer, keras.layers.Embedding):
        kernel = layer.layer.embeddings  # [num_classes, dim]
    else:
        kernel = layer.layer.kernel  # [..., fan_in, out]
    matrix = kernel.numpy().reshape(-1, kernel.shape[-1])  # [fan_in, out]
    u = layer.u.numpy()
    v = matrix @ u
    v /= np.linalg.norm(v)
    u = v @ matrix
    u /= np.linalg.norm(u)
    return float(v @ matrix @ u), matrix


@pytest.mark.parametrize("image_size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_for_every_supported_size(image_size, channels):
    # Unconditional networks in grayscale, conditional ones in RGB.
    num_classes = None if channels == 1 else NUM_CLASSES
    generator = architectures.resnet_generator(
        image_size,
        channels,
        latent_dim=LATENT_DIM,
        width=WIDTH,
        num_classes=num_classes,
        seed=0,
    )
    discriminator = architectures.resnet_discriminator(
        image_size, channels, width=WIDTH, num_classes=num_classes, seed=0
    )
    conditional = num_classes is not None
    generator_inputs = [_latents(), _labels()] if conditional else _latents()
    images = _numpy(generator(generator_inputs))
    assert images.shape == (BATCH_SIZE, image_size, image_size, channels)
    assert np.max(np.abs(images)) <= 1.0
    logits = discriminator([images, _labels()] if conditional else images)
    assert tuple(logits.shape) == (BATCH_SIZE, 1)


def test_generator_output_is_tanh_of_the_last_convolution():
    generator = architectures.resnet_generator(
        16, 1, latent_dim=LATENT_DIM, width=WIDTH, seed=0
    )
    probe = keras.Model(
        generator.input,
        [generator.get_layer("output_conv").output, generator.output],
    )
    pre_activation, images = (_numpy(x) for x in probe(_latents()))
    np.testing.assert_allclose(images, np.tanh(pre_activation), atol=1e-6)
    # 16x16 digits: two up blocks, 4 -> 8 -> 16.
    assert [
        generator.get_layer(f"block{index}_output").output.shape[1] for index in (1, 2)
    ] == [8, 16]


@pytest.mark.parametrize("image_size", [16, 32, 64])
@pytest.mark.parametrize("num_classes", [None, NUM_CLASSES])
def test_every_discriminator_kernel_is_spectrally_normalised(image_size, num_classes):
    discriminator = architectures.resnet_discriminator(
        image_size, 3, width=WIDTH, num_classes=num_classes
    )
    assert _unwrapped_kernel_layers(discriminator) == []
    # The paper's D: down blocks to 8x8 (3 convolutions each: two 3x3 and the 1x1
    # shortcut), two blocks without resampling (two 3x3, identity shortcut), psi,
    # and the class embedding of the projection.
    num_down_blocks = int(np.log2(image_size // 8))
    expected = 3 * num_down_blocks + 2 * 2 + 1 + (num_classes is not None)
    assert len(_spectral_norm_layers(discriminator)) == expected
    # The unconditional SNGAN generator has no spectral normalization.
    generator = architectures.resnet_generator(image_size, 3, width=WIDTH)
    assert _spectral_norm_layers(generator) == []


def test_effective_discriminator_kernels_have_unit_spectral_norm():
    discriminator = architectures.resnet_discriminator(
        16, 1, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    for layer in _spectral_norm_layers(discriminator):
        # One training call running many power-iteration steps stores a converged u.
        layer.power_iterations = POWER_ITERATIONS
        layer(np.zeros((1, *layer.input.shape[1:]), layer.input.dtype), training=True)
        sigma, matrix = _numpy_sigma(layer)
        top_singular_value = np.linalg.svd(matrix / sigma, compute_uv=False)[0]
        assert top_singular_value == pytest.approx(1.0, rel=1e-2), layer.name


def test_projection_discriminator_equals_the_inner_product_form():
    discriminator = architectures.resnet_discriminator(
        16, 3, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
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
    # The effective (normalised) embedding matrix, one row per class.
    embeddings = _numpy(embedding_probe(np.arange(NUM_CLASSES, dtype="int32")))
    first_labels, second_labels = _labels((0, 1, 2, 4)), _labels((3, 3, 0, 1))
    features, psi, logits = (_numpy(x) for x in probe([images, first_labels]))
    # psi is a Dense unit on phi whose normalised kernel is w / ||w|| (one column:
    # the power iteration gives the exact norm).
    dense = discriminator.get_layer("unconditional_logits").layer
    kernel = dense.kernel.numpy()
    np.testing.assert_allclose(
        psi,
        features @ (kernel / np.linalg.norm(kernel)) + dense.bias.numpy(),
        rtol=1e-4,
        atol=1e-4,
    )
    expected = psi[:, 0] + np.sum(embeddings[first_labels] * features, axis=-1)
    np.testing.assert_allclose(logits[:, 0], expected, rtol=1e-4, atol=1e-4)
    # Changing the label moves the logit by <embed(y1) - embed(y2), phi(x)>.
    other_logits = _numpy(discriminator([images, second_labels]))
    difference = np.sum(
        (embeddings[first_labels] - embeddings[second_labels]) * features, axis=-1
    )
    np.testing.assert_allclose(
        logits[:, 0] - other_logits[:, 0], difference, rtol=1e-4, atol=1e-4
    )


def test_conditional_batch_norm_uses_the_rows_of_its_class_tables():
    generator = architectures.resnet_generator(
        16, 1, latent_dim=LATENT_DIM, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    normalizations = [
        layer
        for layer in generator.layers
        if isinstance(layer, ConditionalBatchNormalization)
    ]
    assert len(normalizations) == 4  # two per up block; the output BN is plain
    rng = np.random.default_rng(3)
    for layer in normalizations:
        # Per-class tables start at 1 and 0 (all classes alike): make them differ.
        layer.gamma_embeddings.assign(rng.normal(1, 0.5, (NUM_CLASSES, WIDTH)))
        layer.beta_embeddings.assign(rng.normal(0, 0.5, (NUM_CLASSES, WIDTH)))
    latents, labels = _latents(), _labels()
    generator([latents, labels], training=True)  # moving statistics move off 0, 1
    same_latents_other_labels = _numpy(generator([latents, _labels((1, 2, 4, 0))]))
    images = _numpy(generator([latents, labels]))
    assert np.all(np.abs(images - same_latents_other_labels).max(axis=(1, 2, 3)) > 0)

    layer = generator.get_layer("block2_norm1")
    probe = keras.Model(generator.inputs, [layer.input[0], layer.output])
    features, outputs = (_numpy(x) for x in probe([latents, labels]))
    normalized = (features - layer.moving_mean.numpy()) / np.sqrt(
        layer.moving_variance.numpy() + layer.epsilon
    )
    gamma = layer.gamma_embeddings.numpy()[labels][:, None, None, :]
    beta = layer.beta_embeddings.numpy()[labels][:, None, None, :]
    np.testing.assert_allclose(outputs, gamma * normalized + beta, atol=1e-5)


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_unconditional_networks_train_with_gan_fit(tmp_path):
    generator = architectures.resnet_generator(
        16, 1, latent_dim=LATENT_DIM, width=WIDTH, seed=0
    )
    discriminator = architectures.resnet_discriminator(16, 1, width=WIDTH, seed=0)
    gan = GAN(generator, discriminator, seed=0)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        loss="hinge",
        run_eagerly=True,  # tracing the graph step takes ~15 s of CPU
    )
    history = gan.fit(_images(batch_size=8), batch_size=4, epochs=1, verbose=0)
    assert all(np.isfinite(values[0]) for values in history.history.values())
    _check_save_and_load(generator, _latents(), tmp_path / "generator.keras")
    _check_save_and_load(discriminator, _images(), tmp_path / "discriminator.keras")


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_conditional_networks_train_in_a_custom_loop():
    import tensorflow as tf

    generator = architectures.resnet_generator(
        16, 1, latent_dim=LATENT_DIM, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    discriminator = architectures.resnet_discriminator(
        16, 1, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    hinge = losses.get("hinge")
    d_optimizer, g_optimizer = keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4)
    # A list input mixing tensors and arrays is refused by Keras: labels as a tensor.
    labels = tf.constant(_labels())
    for step in range(2):
        real_images = tf.constant(_images(seed=step))
        latents = tf.constant(_latents(seed=step))
        with tf.GradientTape() as tape:
            fake_images = generator([latents, labels], training=True)
            d_loss = hinge.discriminator_loss(
                discriminator([real_images, labels], training=True),
                discriminator([fake_images, labels], training=True),
            )
        variables = discriminator.trainable_variables
        d_gradients = tape.gradient(d_loss, variables)
        d_optimizer.apply_gradients(zip(d_gradients, variables, strict=True))
        with tf.GradientTape() as tape:
            fake_images = generator([latents, labels], training=True)
            g_loss = hinge.generator_loss(
                discriminator([fake_images, labels], training=True)
            )
        variables = generator.trainable_variables
        g_gradients = tape.gradient(g_loss, variables)
        g_optimizer.apply_gradients(zip(g_gradients, variables, strict=True))
        assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))


def _check_save_and_load(model, inputs, path):
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(_numpy(restored(inputs)), _numpy(model(inputs)))


@pytest.mark.slow
def test_conditional_networks_save_and_load(tmp_path):
    generator = architectures.resnet_generator(
        16, 1, latent_dim=LATENT_DIM, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    discriminator = architectures.resnet_discriminator(
        16, 1, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    _check_save_and_load(
        generator, [_latents(), _labels()], tmp_path / "generator.keras"
    )
    _check_save_and_load(
        discriminator, [_images(), _labels()], tmp_path / "discriminator.keras"
    )


def test_seed_makes_the_weights_reproducible_and_layers_distinct():
    first = architectures.resnet_discriminator(16, 1, width=WIDTH, seed=7)
    second = architectures.resnet_discriminator(16, 1, width=WIDTH, seed=7)
    for a, b in zip(first.weights, second.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Two kernels of the same shape do not start identical.
    conv1 = first.get_layer("block2_conv1").layer.kernel.numpy()
    conv2 = first.get_layer("block2_conv2").layer.kernel.numpy()
    assert conv1.shape == conv2.shape and not np.allclose(conv1, conv2)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"image_size": 28}, r"`image_size` should be one of \(16, 32, 64\)"),
        ({"channels": 0}, "`channels` should be a positive integer"),
        ({"width": 0}, "`width` should be a positive integer"),
        ({"num_classes": 0}, "`num_classes` should be a positive integer or None"),
        ({"num_classes": 2.5}, "`num_classes` should be a positive integer or None"),
        ({"latent_dim": 0}, "`latent_dim` should be a positive integer"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        architectures.resnet_generator(**{"image_size": 16, **kwargs})
    if "latent_dim" not in kwargs:
        with pytest.raises(ValueError, match=message):
            architectures.resnet_discriminator(**{"image_size": 16, **kwargs})
