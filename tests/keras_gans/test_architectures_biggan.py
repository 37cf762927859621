"""BigGAN-lite builders (A4): hierarchical latent, shared embedding, conditional BN.

Oracles: NumPy slicing for the latent chunks; a change of one chunk reaching the
network only from its own block on (read from sub-models); the conditioning vector
re-built in NumPy from the shared embedding table and the latent slice, and the
conditional batch normalization recomputed from it; the layer counts of the
reference layouts (every kernel spectrally normalised); singular values of the
orthogonal initialisation; the projection form psi(phi) + <embed(y), phi> in NumPy.
"""

import keras
import numpy as np
import pytest
from keras_gans.layers import ConditionalBatchNormalization, SpectralNormalization

from keras_gans import GAN, architectures, losses
from keras_gans.architectures import SplitLatents

# The shape and oracle checks call the networks directly, in inference mode, without
# a `training` argument (which `SpectralNormalization` warns about).
pytestmark = pytest.mark.filterwarnings(
    "ignore:SpectralNormalization .* without a `training`"
)

# Divisible by the 3, 4 and 5 chunks of 16, 32 and 64 px.
LATENT_DIM = 60
WIDTH = 8
NUM_CLASSES = 5
EMBEDDING_DIM = 4
BATCH_SIZE = 4


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


def _layers_of(model, layer_class):
    return [layer for layer in model.layers if isinstance(layer, layer_class)]


def _generator(image_size=32, channels=1, num_classes=NUM_CLASSES):
    return architectures.biggan_generator(
        image_size,
        channels,
        latent_dim=LATENT_DIM,
        width=WIDTH,
        num_classes=num_classes,
        embedding_dim=EMBEDDING_DIM,
        seed=0,
    )


@pytest.mark.parametrize("image_size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_for_every_supported_size(image_size, channels):
    # Unconditional networks in grayscale, conditional ones in RGB.
    num_classes = None if channels == 1 else NUM_CLASSES
    generator = _generator(image_size, channels, num_classes)
    discriminator = architectures.biggan_discriminator(
        image_size, channels, width=WIDTH, num_classes=num_classes, seed=0
    )
    conditional = num_classes is not None
    images = _numpy(generator([_latents(), _labels()] if conditional else _latents()))
    assert images.shape == (BATCH_SIZE, image_size, image_size, channels)
    assert np.max(np.abs(images)) <= 1.0
    logits = discriminator([images, _labels()] if conditional else images)
    assert tuple(logits.shape) == (BATCH_SIZE, 1)


def test_split_latents_gives_consecutive_slices():
    latents = _latents(batch_size=3, latent_dim=12)
    chunks = [_numpy(chunk) for chunk in SplitLatents(4)(latents)]
    for index, chunk in enumerate(chunks):
        np.testing.assert_array_equal(chunk, latents[:, 3 * index : 3 * (index + 1)])
    layer = SplitLatents(4, name="chunks")
    assert SplitLatents.from_config(layer.get_config()).get_config() == (
        layer.get_config()
    )
    with pytest.raises(ValueError, match="divisible by `num_chunks=5`"):
        SplitLatents(5)(latents)
    with pytest.raises(ValueError, match="`num_chunks` should be a positive integer"):
        SplitLatents(0)


def test_each_latent_chunk_reaches_the_network_only_through_its_own_block():
    generator = _generator(32)  # 3 up blocks: 4 chunks of 15
    num_blocks, chunk_size = 3, LATENT_DIM // 4
    names = (
        ["project"]
        + [f"block{index}_condition" for index in range(1, num_blocks + 1)]
        + [f"block{index}_output" for index in range(1, num_blocks + 1)]
    )
    probe = keras.Model(
        generator.inputs, [generator.get_layer(name).output for name in names]
    )
    latents, labels = _latents(), _labels()
    reference = dict(zip(names, map(_numpy, probe([latents, labels])), strict=True))
    for chunk in range(num_blocks + 1):
        changed_latents = latents.copy()
        changed_latents[:, chunk * chunk_size : (chunk + 1) * chunk_size] += 1.0
        outputs = dict(
            zip(names, map(_numpy, probe([changed_latents, labels])), strict=True)
        )
        changed = {
            name for name in names if not np.array_equal(outputs[name], reference[name])
        }
        # Chunk 0 feeds the initial Dense; chunk k >= 1 block k's normalizations.
        expected = {"project"} if chunk == 0 else {f"block{chunk}_condition"}
        expected |= {
            f"block{index}_output" for index in range(max(chunk, 1), num_blocks + 1)
        }
        assert changed == expected, chunk


def test_blocks_are_conditioned_on_the_shared_embedding_and_their_chunk():
    generator = _generator(32)
    (shared_embedding,) = _layers_of(generator, keras.layers.Embedding)
    table = shared_embedding.embeddings.numpy()  # [num_classes, embedding_dim]
    chunk_size = LATENT_DIM // 4
    latents, labels = _latents(), _labels()
    generator([latents, labels], training=True)  # moving statistics move off 0, 1
    for block in (1, 2, 3):
        # c_k = concat(e(y), z_k), the same table row e(y) in every block.
        condition = np.concatenate(
            [table[labels], latents[:, block * chunk_size : (block + 1) * chunk_size]],
            axis=-1,
        )
        layer = generator.get_layer(f"block{block}_norm2")
        probe = keras.Model(
            generator.inputs,
            [
                generator.get_layer(f"block{block}_condition").output,
                layer.input[0],
                layer.output,
            ],
        )
        model_condition, features, outputs = (
            _numpy(x) for x in probe([latents, labels])
        )
        np.testing.assert_allclose(model_condition, condition, atol=1e-6)
        # gamma(c) = 1 + c W_gamma, beta(c) = c W_beta, per example.
        gamma = 1.0 + condition @ layer.gamma_kernel.numpy()
        beta = condition @ layer.beta_kernel.numpy()
        normalized = (features - layer.moving_mean.numpy()) / np.sqrt(
            layer.moving_variance.numpy() + layer.epsilon
        )
        np.testing.assert_allclose(
            outputs,
            gamma[:, None, None, :] * normalized + beta[:, None, None, :],
            rtol=1e-4,
            atol=1e-4,
        )


def test_the_same_latents_with_two_labels_give_two_images():
    generator = _generator(16)
    latents = _latents()
    images = _numpy(generator([latents, _labels((0, 1, 2, 3))]))
    other_images = _numpy(generator([latents, _labels((1, 2, 3, 4))]))
    assert np.all(np.abs(images - other_images).max(axis=(1, 2, 3)) > 1e-4)


@pytest.mark.parametrize(
    "image_size,expected_generator,expected_discriminator",
    [
        # G: project + 3 per up block + output conv. D: 3 in the first block and
        # in each block that downsamples or changes width, 2 otherwise; psi; embed.
        (16, 1 + 3 * 2 + 1, 3 + 2 + 2 + 2),
        (32, 1 + 3 * 3 + 1, 3 + 3 + 2 + 2 + 2),
        (64, 1 + 3 * 4 + 1, 3 * 5 + 2),
    ],
)
def test_every_kernel_is_spectrally_normalised(
    image_size, expected_generator, expected_discriminator
):
    generator = _generator(image_size)
    discriminator = architectures.biggan_discriminator(
        image_size, 1, width=WIDTH, num_classes=NUM_CLASSES
    )
    kernel_classes = (keras.layers.Conv2D, keras.layers.Dense)
    assert _layers_of(generator, kernel_classes) == []
    assert _layers_of(discriminator, kernel_classes + (keras.layers.Embedding,)) == []
    # The shared embedding is G's only plain kernel, as in BigGAN.
    assert [layer.name for layer in _layers_of(generator, keras.layers.Embedding)] == [
        "shared_embedding"
    ]
    assert len(_layers_of(generator, SpectralNormalization)) == expected_generator
    assert (
        len(_layers_of(discriminator, SpectralNormalization)) == expected_discriminator
    )
    # Both normalizations of every up block are conditional, the output one is not.
    num_blocks = (expected_generator - 2) // 3
    assert len(_layers_of(generator, ConditionalBatchNormalization)) == 2 * num_blocks


def test_kernels_start_orthogonal():
    generator = _generator(16)
    for name in ("project", "block1_conv1", "output_conv"):
        kernel = generator.get_layer(name).layer.kernel.numpy()
        matrix = kernel.reshape(-1, kernel.shape[-1])  # [fan_in, out]
        singular_values = np.linalg.svd(matrix, compute_uv=False)
        np.testing.assert_allclose(singular_values, 1.0, atol=1e-5, err_msg=name)


def test_projection_discriminator_equals_the_inner_product_form():
    discriminator = architectures.biggan_discriminator(
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
    first_labels, second_labels = _labels((0, 1, 2, 4)), _labels((2, 0, 2, 3))
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
    # Example 2 keeps its label: its logit does not move.
    assert logits[2, 0] == pytest.approx(other_logits[2, 0], abs=1e-6)


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_unconditional_networks_train_with_gan_fit(tmp_path):
    generator = _generator(16, num_classes=None)
    discriminator = architectures.biggan_discriminator(16, 1, width=WIDTH, seed=0)
    gan = GAN(generator, discriminator, seed=0)
    # Brock et al. 2018: hinge loss, Adam(beta_1=0, beta_2=0.999), D 4e-4, G 1e-4.
    gan.compile(
        d_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.999),
        g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.999),
        loss="hinge",
        run_eagerly=True,  # tracing the graph step takes ~15 s of CPU
    )
    history = gan.fit(_images(batch_size=8), batch_size=4, epochs=1, verbose=0)
    assert all(np.isfinite(values[0]) for values in history.history.values())
    _check_save_and_load(generator, _latents(), tmp_path / "generator.keras")


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_conditional_networks_train_in_a_custom_loop():
    import tensorflow as tf

    generator = _generator(16)
    discriminator = architectures.biggan_discriminator(
        16, 1, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    hinge = losses.get("hinge")
    d_optimizer, g_optimizer = keras.optimizers.Adam(4e-4), keras.optimizers.Adam(1e-4)
    # A list input mixing tensors and arrays is refused by Keras: all tensors.
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
    generator = _generator(16)
    discriminator = architectures.biggan_discriminator(
        16, 1, width=WIDTH, num_classes=NUM_CLASSES, seed=0
    )
    _check_save_and_load(
        generator, [_latents(), _labels()], tmp_path / "generator.keras"
    )
    _check_save_and_load(
        discriminator, [_images(), _labels()], tmp_path / "discriminator.keras"
    )


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"latent_dim": 10}, "`latent_dim` should be divisible by 4"),
        ({"embedding_dim": 0}, "`embedding_dim` should be a positive integer"),
        ({"width": 1}, "multiple of 8 channels; increase `width`"),
        ({"attention_resolution": 32}, r"should be one of \(8, 16\)"),
        ({"image_size": 128}, r"`image_size` should be one of \(16, 32, 64\)"),
        ({"num_classes": True}, "`num_classes` should be a positive integer or None"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        architectures.biggan_generator(**{"image_size": 32, **kwargs})
