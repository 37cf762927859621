"""SelfSupervisedGAN (T23, SS-GAN): rotations equal np.rot90, the rotation
cross-entropy equals its NumPy formula, the rotation head sits on D's last hidden
layer, D's logged rotation loss is the CE of the real batch's four rotations, the
adversarial part is the plain GAN's, the model trains, saves and loads, and a
MirroredStrategy step equals one device's."""

import dataclasses
import math

import keras
import numpy as np
import pytest
from keras import ops
from keras_test_case import mirrored_strategy, replica_values

from keras_gans import architectures, presets
from keras_gans.models import GAN
from keras_gans.models.self_supervised_gan import (
    SelfSupervisedGAN,
    rotate_images,
    rotation_batch,
    rotation_loss,
    with_rotation_head,
)

IMAGE_SIZE = 4
LATENT_DIM = 3
BATCH = 4


def _numpy_cross_entropy(labels, logits):
    """mean_i [logsumexp(logits_i) - logits_i[y_i]]."""
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_normaliser = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_normaliser - shifted[np.arange(len(labels)), labels]))


def _dense_discriminator(seed=0):
    """Flatten -> Dense(8) -> LeakyReLU -> Dense(1): no batch statistics."""
    images = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1), name="images")
    x = keras.layers.Flatten()(images)  # [batch, 16]
    x = keras.layers.Dense(
        8, kernel_initializer=keras.initializers.GlorotUniform(seed), name="hidden"
    )(x)
    x = keras.layers.LeakyReLU(0.2, name="features")(x)
    logits = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.GlorotUniform(seed), name="logits"
    )(x)
    return keras.Model(images, logits, name="discriminator")


def _dense_generator(seed=0):
    return architectures.mlp_generator(
        LATENT_DIM,
        (IMAGE_SIZE, IMAGE_SIZE, 1),
        hidden_units=(8,),
        output_activation="tanh",
        seed=seed,
    )


def _real_images(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (BATCH, IMAGE_SIZE, IMAGE_SIZE, 1)).astype("float32")


# --- Rotations and the loss ----------------------------------------------------------


@pytest.mark.parametrize("quarter_turns", [0, 1, 2, 3, 5, -1])
def test_rotations_equal_numpy_rot90(quarter_turns):
    images = np.random.default_rng(1).normal(size=(2, 3, 3, 2)).astype("float32")
    expected = np.stack([np.rot90(image, quarter_turns) for image in images])
    rotated = ops.convert_to_numpy(rotate_images(images, quarter_turns))
    np.testing.assert_array_equal(rotated, expected)


def test_rotation_batch_stacks_the_four_rotations_with_their_labels():
    images = np.random.default_rng(2).normal(size=(3, 5, 5, 1)).astype("float32")
    rotated, labels = rotation_batch(images)
    expected = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    np.testing.assert_array_equal(ops.convert_to_numpy(rotated), expected)
    np.testing.assert_array_equal(ops.convert_to_numpy(labels), np.repeat(range(4), 3))


def test_rotations_reject_non_square_images_and_non_integer_turns():
    with pytest.raises(ValueError, match="square"):
        rotate_images(np.zeros((1, 3, 4, 1)), 1)
    with pytest.raises(ValueError, match="quarter_turns"):
        rotate_images(np.zeros((1, 3, 3, 1)), 1.5)


def test_rotation_loss_equals_the_numpy_cross_entropy():
    logits = np.array(
        [[2.0, -1.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0], [-3.0, 1.0, 4.0, 2.0]]
    )
    labels = np.array([0, 3, 1])
    expected = _numpy_cross_entropy(labels, logits)
    np.testing.assert_allclose(float(rotation_loss(labels, logits)), expected, 1e-6)


# --- The rotation head ---------------------------------------------------------------


def test_rotation_head_is_a_dense_layer_on_the_last_hidden_features():
    discriminator = _dense_discriminator()
    with_head = with_rotation_head(discriminator, seed=0)
    images = _real_images()
    logits, rotation_logits = with_head(images)
    # The adversarial output is the original D's (shared weights).
    np.testing.assert_allclose(
        ops.convert_to_numpy(logits), ops.convert_to_numpy(discriminator(images)), 1e-6
    )
    features_model = keras.Model(
        discriminator.inputs, discriminator.get_layer("features").output
    )
    features = ops.convert_to_numpy(features_model(images))
    kernel, bias = (
        weight.numpy() for weight in with_head.get_layer("rotation_logits").weights
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(rotation_logits), features @ kernel + bias, atol=1e-5
    )


def test_rotation_head_rejects_a_two_output_discriminator():
    with_head = with_rotation_head(_dense_discriminator())
    with pytest.raises(ValueError, match="one output"):
        with_rotation_head(with_head)


# --- Training ------------------------------------------------------------------------


def _gan(seed=0, **compile_options):
    gan = SelfSupervisedGAN(
        _dense_generator(seed),
        with_rotation_head(_dense_discriminator(seed), seed=seed),
        seed=seed,
    )
    gan.compile(**compile_options)
    return gan


@pytest.mark.tensorflow_only
def test_logged_d_rotation_is_the_cross_entropy_of_the_real_rotations():
    gan = _gan()
    images = _real_images()
    rotated = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    _, rotation_logits = gan.discriminator(rotated)
    expected = _numpy_cross_entropy(
        np.repeat(np.arange(4), BATCH), ops.convert_to_numpy(rotation_logits)
    )
    logs = gan.train_on_batch(images, return_dict=True)
    np.testing.assert_allclose(logs["d_rotation"], expected, rtol=1e-5)


@pytest.mark.tensorflow_only
def test_without_rotation_weights_the_step_is_the_plain_gan_step():
    images = _real_images()
    self_supervised = _gan(
        generator_rotation_weight=0.0, discriminator_rotation_weight=0.0
    )
    plain = GAN(_dense_generator(0), _dense_discriminator(0), seed=0)
    plain.compile()
    self_supervised.train_on_batch(images)
    plain.train_on_batch(images)
    pairs = list(
        zip(
            self_supervised.generator.trainable_variables,
            plain.generator.trainable_variables,
            strict=True,
        )
    )
    for name in ("hidden", "logits"):
        pairs += zip(
            self_supervised.discriminator.get_layer(name).trainable_variables,
            plain.discriminator.get_layer(name).trainable_variables,
            strict=True,
        )
    for trained, reference in pairs:
        np.testing.assert_allclose(trained.numpy(), reference.numpy(), atol=1e-6)


@pytest.mark.tensorflow_only
def test_rotation_loss_trains_the_rotation_head():
    """β > 0 changes the head; with β = α = 0 the head gets no gradient."""
    images = _real_images()
    for weight, changes in ((1.0, True), (0.0, False)):
        gan = _gan(
            generator_rotation_weight=weight, discriminator_rotation_weight=weight
        )
        head = gan.discriminator.get_layer("rotation_logits")
        before = head.kernel.numpy().copy()
        gan.train_on_batch(images)
        assert (not np.allclose(head.kernel.numpy(), before)) == changes


@pytest.mark.tensorflow_only
def test_two_fit_steps_with_a_penalty_have_finite_logs():
    gan = _gan(loss="hinge", penalties=["r1"])
    images = (
        np.random.default_rng(3)
        .uniform(-1, 1, (2 * BATCH, IMAGE_SIZE, IMAGE_SIZE, 1))
        .astype("float32")
    )
    history = gan.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    logs = {name: values[-1] for name, values in history.history.items()}
    assert {"d_rotation", "g_rotation", "r1"} <= set(logs)
    assert all(math.isfinite(value) for value in logs.values()), logs
    # An untrained head scores near log 4 on every rotation.
    assert abs(logs["d_rotation"] - math.log(4)) < 1.0


@pytest.mark.tensorflow_only
def test_save_and_load_round_trip(tmp_path):
    gan = _gan(generator_rotation_weight=0.3, discriminator_rotation_weight=0.7)
    gan.train_on_batch(_real_images())
    path = str(tmp_path / "ssgan.keras")
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, SelfSupervisedGAN)
    assert loaded.generator_rotation_weight == 0.3
    assert loaded.discriminator_rotation_weight == 0.7
    np.testing.assert_allclose(
        loaded.generate(3, seed=5), gan.generate(3, seed=5), atol=1e-6
    )
    images = _real_images(4)
    for loaded_output, output in zip(
        loaded.discriminator(images), gan.discriminator(images), strict=True
    ):
        np.testing.assert_allclose(
            ops.convert_to_numpy(loaded_output), ops.convert_to_numpy(output), 1e-6
        )
    logs = loaded.train_on_batch(_real_images(), return_dict=True)
    assert all(math.isfinite(float(value)) for value in logs.values())


@pytest.mark.tensorflow_only
def test_mirrored_step_equals_single_device_step():
    """Two replicas each rotate half the batch; the all-reduced step (rotation
    losses included) equals one device's on the whole batch."""
    images = _real_images()

    def compiled():
        return _gan(
            d_optimizer=keras.optimizers.SGD(0.1),
            g_optimizer=keras.optimizers.SGD(0.1),
        )

    single = compiled()
    initial = [v.numpy().copy() for v in single.trainable_variables]
    single_logs = single.fit(
        images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False
    ).history
    with mirrored_strategy().scope():
        mirrored = compiled()
    mirrored_logs = mirrored.fit(
        images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False
    ).history
    assert any(
        not np.array_equal(v.numpy(), b)
        for v, b in zip(single.trainable_variables, initial, strict=True)
    )
    for name in ("d_rotation", "g_rotation", "d_loss", "g_loss"):
        np.testing.assert_allclose(
            mirrored_logs[name], single_logs[name], rtol=1e-5, err_msg=name
        )
    for single_variable, mirrored_variable in zip(
        single.trainable_variables, mirrored.trainable_variables, strict=True
    ):
        replicas = replica_values(mirrored_variable)
        assert len(replicas) == 2, mirrored_variable.path
        np.testing.assert_array_equal(replicas[1], replicas[0])
        np.testing.assert_allclose(replicas[0], single_variable.numpy(), atol=1e-5)


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="rotation_logits"):
        SelfSupervisedGAN(_dense_generator(), _dense_discriminator())
    gan = SelfSupervisedGAN(
        _dense_generator(), with_rotation_head(_dense_discriminator())
    )
    with pytest.raises(ValueError, match="generator_rotation_weight"):
        gan.compile(generator_rotation_weight=-1.0)
    with pytest.raises(ValueError, match="unrolled_steps"):
        gan.compile(unrolled_steps=2)


@pytest.mark.tensorflow_only
def test_ss_gan_preset_builds_the_rotation_head_and_trains_a_step():
    preset = presets.get("ss-gan")
    assert preset.self_supervised
    tiny = dataclasses.replace(preset, width=8, latent_dim=8, batch_size=4)
    gan = presets.build_gan(tiny, (16, 16, 1), seed=0)
    assert isinstance(gan, SelfSupervisedGAN)
    assert gan.generator_rotation_weight == 0.2  # α, Chen et al. 2019
    assert gan.discriminator_rotation_weight == 1.0  # β
    images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 1)).astype("float32")
    logs = gan.train_on_batch(images, return_dict=True)
    assert all(math.isfinite(float(value)) for value in logs.values()), logs
