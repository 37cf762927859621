"""LAPGAN (A5): the training pairs against a NumPy Laplacian pyramid, coarse-to-fine
sampling against exact reconstruction, what each level's discriminator sees, a
few fit steps, save/load and one step under MirroredStrategy.

The pyramid oracle is re-derived here in NumPy: 2x2 block means, and bilinear 2x
upsampling with half-pixel centres and repeated edges, per axis
`out[2k] = 0.75 x[k] + 0.25 x[k - 1]`, `out[2k + 1] = 0.75 x[k] + 0.25 x[k + 1]`.
"""

import dataclasses
import json
import math
import os

import keras
import numpy as np
import pytest
from keras_test_case import mirrored_strategy, replica_values

from keras_gans import presets
from keras_gans.architectures.lapgan import (
    lapgan_level_discriminator,
    lapgan_networks,
)
from keras_gans.data import load_arrays
from keras_gans.models import LaplacianGAN

pytestmark = pytest.mark.tensorflow_only

IMAGE_SIZE = 16
NUM_LEVELS = 3
LATENT_DIM = 8
BATCH = 8
# Largest |mirrored - single| allowed over all variables after one step.
DISTRIBUTION_TOLERANCE = 1e-5


# --- The NumPy oracle -----------------------------------------------------------------


def _downsample(images):
    batch, height, width, channels = images.shape
    blocks = images.reshape(batch, height // 2, 2, width // 2, 2, channels)
    return blocks.mean(axis=(2, 4))  # [batch, height / 2, width / 2, channels]


def _upsample_axis(values, axis, interpolation):
    if interpolation == "nearest":
        return np.repeat(values, 2, axis=axis)
    size = values.shape[axis]
    index = np.arange(size)
    previous = np.take(values, np.maximum(index - 1, 0), axis=axis)
    following = np.take(values, np.minimum(index + 1, size - 1), axis=axis)
    even = 0.75 * values + 0.25 * previous
    odd = 0.75 * values + 0.25 * following
    stacked = np.stack([even, odd], axis=axis + 1)  # [..., size, 2, ...]
    shape = list(values.shape)
    shape[axis] = 2 * size
    return stacked.reshape(shape)


def _upsample(images, interpolation="bilinear"):
    return _upsample_axis(_upsample_axis(images, 1, interpolation), 2, interpolation)


def _numpy_pairs(images, interpolation="bilinear"):
    """Coarse to fine: (I_4, None), (h_8, u(I_4)), (h_16, u(I_8))."""
    low_passes = [images.astype("float64")]  # 16, 8, 4
    for _ in range(NUM_LEVELS - 1):
        low_passes.append(_downsample(low_passes[-1]))
    pairs = [(low_passes[-1], None)]
    for index in range(NUM_LEVELS - 2, -1, -1):
        conditioning = _upsample(low_passes[index + 1], interpolation)
        pairs.append((low_passes[index] - conditioning, conditioning))
    return pairs


# --- Helpers --------------------------------------------------------------------------


def _digits(count=BATCH):
    images, _ = load_arrays("digits", "train", image_size=IMAGE_SIZE, resize="pad")
    return images[:count].astype("float32")


def _gan(seed=0, interpolation="bilinear", **network_kwargs):
    generators, discriminators = lapgan_networks(
        IMAGE_SIZE,
        num_levels=NUM_LEVELS,
        latent_dim=LATENT_DIM,
        width=4,
        hidden_units=8,
        seed=seed,
        **network_kwargs,
    )
    return LaplacianGAN(
        generators, discriminators, interpolation=interpolation, seed=seed + 1
    )


@keras.saving.register_keras_serializable(package="test_laplacian_gan")
class _FixedOutput(keras.layers.Layer):
    """Ignores its inputs and returns a fixed image for every row of the batch."""

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = np.asarray(value, dtype="float32")

    def call(self, inputs):
        first = inputs[0] if isinstance(inputs, list) else inputs
        batch_size = keras.ops.shape(first)[0]
        return keras.ops.broadcast_to(self.value, (batch_size, *self.value.shape))

    def compute_output_shape(self, input_shape):
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0], *self.value.shape)


def _fixed_generator(value, latent_shape, conditioning_shape=None):
    """A generator that returns `value` whatever its latent and conditioning."""
    latents = keras.Input(latent_shape)
    if conditioning_shape is None:
        return keras.Model(latents, _FixedOutput(value)(latents))
    conditioning = keras.Input(conditioning_shape)
    outputs = _FixedOutput(value)([latents, conditioning])
    return keras.Model([latents, conditioning], outputs)


# --- Oracle tests ---------------------------------------------------------------------


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_training_pairs_are_the_numpy_pyramid_with_shapes_per_level(interpolation):
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    gan = _gan(interpolation=interpolation)
    pairs = gan.training_pairs(images)
    expected = _numpy_pairs(images, interpolation)
    assert [tuple(target.shape) for target, _ in pairs] == [
        (2, 4, 4, 1),
        (2, 8, 8, 1),
        (2, 16, 16, 1),
    ]
    assert pairs[0][1] is None
    for level, ((target, conditioning), (want_target, want_conditioning)) in enumerate(
        zip(pairs, expected, strict=True)
    ):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(target), want_target, rtol=0, atol=1e-6
        )
        if level:
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(conditioning),
                want_conditioning,
                rtol=0,
                atol=1e-6,
            )
    assert gan.sizes == [4, 8, 16]


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_generate_with_the_true_residuals_reproduces_the_image(interpolation):
    # Generators that output one real image's pyramid levels exactly: the
    # coarse-to-fine composition must give the image back.
    image = _digits(1)
    (coarse, _), (residual_8, _), (residual_16, _) = _numpy_pairs(image, interpolation)
    generators = [
        _fixed_generator(coarse[0], (LATENT_DIM,)),
        _fixed_generator(residual_8[0], (8, 8, 1), (8, 8, 1)),
        _fixed_generator(residual_16[0], (16, 16, 1), (16, 16, 1)),
    ]
    _, discriminators = lapgan_networks(
        IMAGE_SIZE, latent_dim=LATENT_DIM, width=4, hidden_units=8, seed=0
    )
    gan = LaplacianGAN(generators, discriminators, interpolation=interpolation)
    samples = gan.generate(3, seed=0)
    assert samples.shape == (3, 16, 16, 1)
    for sample in samples:
        np.testing.assert_allclose(sample, image[0], rtol=0, atol=1e-5)
    # The residuals carry detail, so leaving one out would be seen.
    assert np.max(np.abs(residual_16)) > 0.1 and np.max(np.abs(residual_8)) > 0.1


def test_each_discriminator_sees_the_residual_and_its_conditioning_as_channels():
    images = _digits()
    generators, discriminators = lapgan_networks(
        IMAGE_SIZE, latent_dim=LATENT_DIM, width=4, hidden_units=8, seed=0
    )
    # Record what each discriminator receives (eager steps).
    seen = {level: [] for level in range(NUM_LEVELS)}

    def recording(level, discriminator):
        call = discriminator.call

        def record(inputs, *args, **kwargs):
            seen[level].append(keras.ops.convert_to_numpy(inputs))
            return call(inputs, *args, **kwargs)

        discriminator.call = record
        return discriminator

    discriminators = [recording(level, d) for level, d in enumerate(discriminators)]
    gan = LaplacianGAN(generators, discriminators, seed=1)
    gan.compile(run_eagerly=True)
    gan.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    expected = _numpy_pairs(images)
    for level, (target, conditioning) in enumerate(expected):
        # D step: real, then generated; G step: generated.
        real, fake, fake_again = seen[level]
        channels = 1 if level == 0 else 2
        assert real.shape == (BATCH, *target.shape[1:3], channels)
        if level == 0:
            np.testing.assert_allclose(real, target, rtol=0, atol=1e-6)
            continue
        np.testing.assert_allclose(real[..., :1], target, rtol=0, atol=1e-6)
        for pair in (real, fake, fake_again):
            # The generated residuals are paired with the real conditioning.
            np.testing.assert_allclose(pair[..., 1:], conditioning, rtol=0, atol=1e-6)
        assert np.max(np.abs(fake[..., :1] - target)) > 1e-3


def test_two_fit_steps_are_finite_and_train_every_level():
    gan = _gan()
    gan.compile()
    before = {
        network.name: [v.numpy().copy() for v in network.trainable_variables]
        for network in gan.level_generators + gan.level_discriminators
    }
    history = gan.fit(_digits(2 * BATCH), batch_size=BATCH, epochs=1, verbose=0)
    assert sorted(history.history) == sorted(
        ["d_loss", "g_loss", "d4_loss", "g4_loss", "d8_loss", "g8_loss"]
        + ["d16_loss", "g16_loss"]
    )
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), name
    mean_d = np.mean([history.history[f"d{size}_loss"][0] for size in (4, 8, 16)])
    assert history.history["d_loss"][0] == pytest.approx(mean_d, rel=1e-5)
    for network in gan.level_generators + gan.level_discriminators:
        assert any(
            not np.array_equal(v.numpy(), b)
            for v, b in zip(
                network.trainable_variables, before[network.name], strict=True
            )
        ), network.name
    samples = gan.generate(4, seed=0)
    assert samples.shape == (4, 16, 16, 1)
    assert samples.min() >= -1.0 and samples.max() <= 1.0


def test_save_load_round_trip_restores_networks_optimizers_and_seed(tmp_path):
    images = _digits()
    original = _gan()
    original.compile(
        d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer="rmsprop", run_eagerly=True
    )
    original.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    path = os.path.join(tmp_path, "lapgan.keras")
    original.save(path)
    loaded = keras.saving.load_model(path)

    assert isinstance(loaded, LaplacianGAN)
    assert json.dumps(loaded.get_compile_config(), sort_keys=True) == json.dumps(
        original.get_compile_config(), sort_keys=True
    )
    assert len(loaded.variables) == len(original.variables)
    for restored, saved in zip(loaded.variables, original.variables, strict=True):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())
    np.testing.assert_array_equal(
        loaded.generate(4, seed=3), original.generate(4, seed=3)
    )
    # Continuing both gives the same weights (optimizer slots and the latent seed
    # state came back).
    for model in (original, loaded):
        model.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    for resumed, continued in zip(loaded.variables, original.variables, strict=True):
        np.testing.assert_allclose(
            resumed.numpy(), continued.numpy(), rtol=0, atol=1e-6
        )

    # The sampler alone (what `sample` loads) generates the same images.
    sampler_path = os.path.join(tmp_path, "generator.keras")
    loaded.save_generator(sampler_path)
    sampler = keras.saving.load_model(sampler_path)
    latents = np.random.default_rng(0).normal(size=(2, loaded.latent_dim))
    np.testing.assert_allclose(
        sampler.predict(latents, verbose=0),
        loaded.generator.predict(latents, verbose=0),
        rtol=0,
        atol=1e-6,
    )


def test_mirrored_step_equals_single_device_step():
    images = _digits()
    single = _gan()
    single.compile(
        d_optimizer=keras.optimizers.SGD(0.1),
        g_optimizer=keras.optimizers.SGD(0.1),
        run_eagerly=True,
    )
    networks = single.level_generators + single.level_discriminators
    initial = {
        network.name: [v.numpy().copy() for v in network.trainable_variables]
        for network in networks
    }
    single.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    with mirrored_strategy().scope():
        mirrored = _gan()
        mirrored.compile(
            d_optimizer=keras.optimizers.SGD(0.1),
            g_optimizer=keras.optimizers.SGD(0.1),
        )  # traced, as `fit` runs
    mirrored.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    # The step moved every network (so the comparison is not of initial values).
    for network in networks:
        assert any(
            not np.array_equal(v.numpy(), b)
            for v, b in zip(
                network.trainable_variables, initial[network.name], strict=True
            )
        ), network.name
    assert len(single.variables) == len(mirrored.variables)
    largest = 0.0
    for single_variable, mirrored_variable in zip(
        single.variables, mirrored.variables, strict=True
    ):
        replicas = replica_values(mirrored_variable)
        assert len(replicas) == 2, f"{mirrored_variable.path} is not mirrored"
        np.testing.assert_array_equal(replicas[1], replicas[0])
        difference = np.max(
            np.abs(replicas[0].astype("float64") - single_variable.numpy()),
            initial=0.0,
        )
        largest = max(largest, float(difference))
    print(f"largest |mirrored - single| over all variables {largest:.3g}")
    assert largest <= DISTRIBUTION_TOLERANCE


def test_preset_builds_a_three_level_lapgan_that_trains_a_step():
    preset = presets.get("lapgan")
    # Denton et al.'s GAN loss on 16x16 digits in three levels.
    assert (preset.architecture, preset.loss, preset.image_size) == (
        "lapgan",
        "non_saturating",
        16,
    )
    assert "arXiv:1506.05751" in preset.description
    tiny = dataclasses.replace(preset, width=4, latent_dim=LATENT_DIM, batch_size=8)
    gan = presets.build_gan(tiny, (16, 16, 1), seed=0)
    assert isinstance(gan, LaplacianGAN)
    assert gan.sizes == [4, 8, 16]
    assert gan.latent_shape == (LATENT_DIM + 8 * 8 + 16 * 16,)
    assert len({id(optimizer) for optimizer in gan.d_optimizers}) == 3
    batch = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1))
    logs = gan.train_on_batch(batch.astype("float32"), return_dict=True)
    assert all(math.isfinite(float(value)) for value in logs.values()), logs
    with pytest.raises(ValueError, match="`penalties`"):
        presets.build_gan(dataclasses.replace(tiny, penalties=("gp",)), (16, 16, 1))


def test_mismatched_networks_raise_clear_errors():
    generators, discriminators = lapgan_networks(
        IMAGE_SIZE, latent_dim=LATENT_DIM, width=4, hidden_units=8, seed=0
    )
    with pytest.raises(ValueError, match="one model per level"):
        LaplacianGAN(generators, discriminators[:2])
    wrong = list(discriminators)
    # A level-2 discriminator on the residual alone (1 channel, not 2).
    wrong[2] = keras.Sequential(
        [keras.Input((16, 16, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match=r"\[h_k, l_k\] stacked"):
        LaplacianGAN(generators, wrong)
    wrong[2] = lapgan_level_discriminator(8)
    with pytest.raises(ValueError, match="should take inputs of shape"):
        LaplacianGAN(generators, wrong)
    with pytest.raises(ValueError, match="interpolation"):
        LaplacianGAN(generators, discriminators, interpolation="cubic")
    gan = LaplacianGAN(generators, discriminators)
    with pytest.raises(ValueError, match="a list of 3"):
        gan.compile(d_optimizer=["adam", "adam"])
    with pytest.raises(ValueError, match="num_images"):
        gan.generate(0)
