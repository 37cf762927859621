"""Progressive growing (A6): the fade-in against the two resolution paths built by
hand, the growth schedule against hand-computed tables, state through save/load,
training at every stage, and one step under MirroredStrategy.

The oracles re-derive PGGAN's definitions in NumPy: nearest upsampling is
`np.repeat`, average pooling a reshape-mean, and a network's path at one
resolution is its named pieces (`block_R`, `to_rgb_R`, `from_rgb_R`,
`output_block`) called one after the other, without the `FadeIn` layers whose
blending is under test.
"""

import dataclasses
import math
import os

import keras
import numpy as np
import pytest
from keras_test_case import mirrored_strategy, replica_values

from keras_gans import presets
from keras_gans.architectures.progressive import (
    fade_real_images,
    growth_progress,
    progressive_discriminator,
    progressive_generator,
    set_growth,
)
from keras_gans.data import load_arrays
from keras_gans.models import ProgressiveGAN
from keras_gans.models.progressive_gan import growth_schedule

pytestmark = pytest.mark.tensorflow_only

IMAGE_SIZE = 16
LATENT_DIM = 8
WIDTH = 4
BATCH = 8
# Images per fade-in and per stable phase in the training tests: one phase is two
# batches of 8.
PHASE_IMAGES = 16
# Largest |mirrored - single| allowed over all variables after one step.
DISTRIBUTION_TOLERANCE = 1e-5


def _repeat(images, factor):
    """Nearest-neighbour upsampling by `factor` (each pixel a block)."""
    return np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)


def _average_pool(images, factor):
    """The mean of every `factor` x `factor` block."""
    batch, height, width, channels = images.shape
    blocks = images.reshape(
        batch, height // factor, factor, width // factor, factor, channels
    )  # [batch, h / f, f, w / f, f, channels]
    return blocks.mean(axis=(2, 4))


def _call(model, name, inputs):
    return keras.ops.convert_to_numpy(model.get_layer(name)(inputs))


def _latents(count=4, seed=0):
    return (
        np.random.default_rng(seed).normal(size=(count, LATENT_DIM)).astype("float32")
    )


def _digits(count=BATCH):
    images, _ = load_arrays("digits", "train", image_size=IMAGE_SIZE, resize="pad")
    return images[:count].astype("float32")


def _generator_paths(generator, latents):
    """The generator's image at each resolution, by hand: `{4: ..., 8: ..., 16: ...}`
    at the resolution itself."""
    features = _call(generator, "block_4", latents)
    paths = {4: _call(generator, "to_rgb_4", features)}
    for size in (8, 16):
        features = _call(generator, f"block_{size}", features)
        paths[size] = _call(generator, f"to_rgb_{size}", features)
    return paths


def test_generator_fade_in_equals_the_lower_and_higher_resolution_paths():
    generator = progressive_generator(IMAGE_SIZE, latent_dim=LATENT_DIM, width=WIDTH)
    latents = _latents()
    paths = _generator_paths(generator, latents)
    full = {size: _repeat(image, IMAGE_SIZE // size) for size, image in paths.items()}

    def output(stage, alpha):
        set_growth(generator, stage, alpha)
        return keras.ops.convert_to_numpy(generator(latents))

    # Stage 0: the 4x4 path, each pixel a 4x4 block.
    np.testing.assert_allclose(output(0, 1.0), full[4], rtol=0, atol=1e-6)
    # Stage 1: α = 0 is the 4x4 path, α = 1 the 8x8 path, between them the blend.
    np.testing.assert_allclose(output(1, 0.0), full[4], rtol=0, atol=1e-6)
    np.testing.assert_allclose(output(1, 1.0), full[8], rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        output(1, 0.3), 0.7 * full[4] + 0.3 * full[8], rtol=0, atol=1e-6
    )
    # Stage 2: from the 8x8 path to the 16x16 path.
    np.testing.assert_allclose(output(2, 0.0), full[8], rtol=0, atol=1e-6)
    np.testing.assert_allclose(output(2, 1.0), full[16], rtol=0, atol=1e-6)
    # The paths differ, so the equalities above are not trivial.
    assert np.max(np.abs(full[8] - full[4])) > 1e-2
    assert np.max(np.abs(full[16] - full[8])) > 1e-2


def test_discriminator_fade_in_equals_the_lower_and_higher_resolution_paths():
    discriminator = progressive_discriminator(IMAGE_SIZE, width=WIDTH)
    images = np.random.default_rng(1).uniform(-1, 1, (BATCH, 16, 16, 1))
    images = images.astype("float32")

    def features_at(size):
        """fromRGB at `size` of the images average-pooled to it."""
        return _call(
            discriminator, f"from_rgb_{size}", _average_pool(images, IMAGE_SIZE // size)
        )

    def head(features_4):
        return _call(discriminator, "output_block", features_4)

    path_4 = head(features_at(4))
    path_8 = head(_call(discriminator, "block_8", features_at(8)))
    grown_16 = _call(discriminator, "block_16", features_at(16))
    path_16 = head(_call(discriminator, "block_8", grown_16))
    halfway_16 = head(
        _call(discriminator, "block_8", 0.5 * features_at(8) + 0.5 * grown_16)
    )

    def output(stage, alpha):
        set_growth(discriminator, stage, alpha)
        return keras.ops.convert_to_numpy(discriminator(images))

    np.testing.assert_allclose(output(0, 1.0), path_4, rtol=0, atol=1e-5)
    np.testing.assert_allclose(output(1, 0.0), path_4, rtol=0, atol=1e-5)
    np.testing.assert_allclose(output(1, 1.0), path_8, rtol=0, atol=1e-5)
    np.testing.assert_allclose(output(2, 0.0), path_8, rtol=0, atol=1e-5)
    np.testing.assert_allclose(output(2, 0.5), halfway_16, rtol=0, atol=1e-5)
    np.testing.assert_allclose(output(2, 1.0), path_16, rtol=0, atol=1e-5)
    assert np.max(np.abs(path_8 - path_4)) > 1e-3
    assert np.max(np.abs(path_16 - path_8)) > 1e-3


def test_fade_real_images_blends_the_two_resolutions_of_the_real_images():
    images = np.random.default_rng(2).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    at = {
        size: _repeat(_average_pool(images, 16 // size), 16 // size) for size in (4, 8)
    }
    at[16] = images
    for stage, alpha, expected in [
        (0, 1.0, at[4]),
        (1, 0.0, at[4]),
        (1, 0.25, 0.75 * at[4] + 0.25 * at[8]),
        (1, 1.0, at[8]),
        (2, 0.5, 0.5 * at[8] + 0.5 * at[16]),
        (2, 1.0, at[16]),
    ]:
        faded = fade_real_images(images, growth_progress(stage, alpha), 3)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(faded),
            expected,
            rtol=0,
            atol=1e-6,
            err_msg=f"stage {stage}, alpha {alpha}",
        )


def test_growth_schedule_matches_the_hand_computed_table():
    # F = 100 fade-in images, S = 50 stable images, 3 levels: stage 0 for [0, 50),
    # stage 1 fades over [50, 150) and is stable over [150, 200), stage 2 fades
    # over [200, 300) and stays.
    table = {
        0: (0, 1.0),
        49: (0, 1.0),
        50: (1, 0.0),
        75: (1, 0.25),
        149: (1, 0.99),
        150: (1, 1.0),
        199: (1, 1.0),
        200: (2, 0.0),
        260: (2, 0.6),
        300: (2, 1.0),
        10_000: (2, 1.0),
    }
    for images_seen, (stage, alpha) in table.items():
        got_stage, got_alpha = growth_schedule(images_seen, 3, 100, 50)
        assert int(got_stage) == stage, images_seen
        assert float(got_alpha) == pytest.approx(alpha, abs=1e-6), images_seen


def _gan(group_size=4, seed=3):
    generator = progressive_generator(IMAGE_SIZE, latent_dim=LATENT_DIM, width=WIDTH)
    discriminator = progressive_discriminator(
        IMAGE_SIZE, width=WIDTH, group_size=group_size
    )
    return ProgressiveGAN(
        generator,
        discriminator,
        fade_in_images=PHASE_IMAGES,
        stable_images=PHASE_IMAGES,
        seed=seed,
    )


def _compile(gan, optimizer_class=keras.optimizers.Adam, learning_rate=1e-3, **kw):
    gan.compile(
        d_optimizer=optimizer_class(learning_rate),
        g_optimizer=optimizer_class(learning_rate),
        loss="wasserstein",
        penalties=["gp"],
        **kw,
    )


class _RecordGrowth(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.records = []

    def on_train_batch_end(self, batch, logs=None):
        model = self.model
        self.records.append(
            (
                int(model.images_seen.numpy()),
                int(model.stage.numpy()),
                float(model.alpha.numpy()),
                float(model.generator_growth.progress.numpy()),
                float(model.discriminator_growth.progress.numpy()),
            )
        )


def test_fit_moves_stage_and_alpha_on_schedule_and_the_logs_report_them():
    gan = _gan()
    # The schedule does not depend on the loss: the cheaper non-saturating one.
    gan.compile(run_eagerly=True)
    images = np.tile(_digits(), (8, 1, 1, 1))  # 64 images, 8 steps of 8
    recorder = _RecordGrowth()
    history = gan.fit(
        images,
        batch_size=BATCH,
        epochs=1,
        verbose=0,
        shuffle=False,
        callbacks=[recorder],
    )
    # F = S = 16 images: stage 0 for [0, 16), stage 1 fades over [16, 32) and is
    # stable over [32, 48), stage 2 fades over [48, 64).
    expected = [
        (8, 0, 1.0),
        (16, 1, 0.0),
        (24, 1, 0.5),
        (32, 1, 1.0),
        (40, 1, 1.0),
        (48, 2, 0.0),
        (56, 2, 0.5),
        (64, 2, 1.0),
    ]
    for record, (images_seen, stage, alpha) in zip(
        recorder.records, expected, strict=True
    ):
        progress = 0.0 if stage == 0 else stage - 1 + alpha
        assert record == pytest.approx((images_seen, stage, alpha, progress, progress))
    assert history.history["stage"] == [2.0]
    assert history.history["alpha"] == [1.0]


@pytest.mark.slow
def test_two_fit_steps_are_finite_at_each_stage_without_retracing():
    gan = _gan()
    _compile(gan)
    images = _digits(2 * BATCH)
    # The Python body of `train_step` runs once per trace of the compiled step.
    traces = []
    train_step = gan.train_step
    gan.train_step = lambda data: traces.append(1) or train_step(data)
    for stage in (0, 1, 2):
        # Halfway through the stage's fade-in (stage 0 has none).
        start = 0 if stage == 0 else PHASE_IMAGES + (stage - 1) * 2 * PHASE_IMAGES + 4
        gan.set_images_seen(start)
        assert int(gan.stage.numpy()) == stage
        before = [v.numpy().copy() for v in gan.trainable_variables]
        history = gan.fit(images, batch_size=BATCH, epochs=1, verbose=0)
        for name, values in history.history.items():
            assert np.all(np.isfinite(values)), (stage, name)
        assert int(gan.images_seen.numpy()) == start + 2 * BATCH
        assert any(
            not np.array_equal(v.numpy(), b)
            for v, b in zip(gan.trainable_variables, before, strict=True)
        ), stage
    # One compiled step served every stage: the growth is a variable.
    assert len(traces) == 1


def test_generated_images_are_made_of_blocks_of_the_current_resolution():
    gan = _gan()
    for images_seen, block in [(0, 4), (2 * PHASE_IMAGES, 2), (10 * PHASE_IMAGES, 1)]:
        gan.set_images_seen(images_seen)
        samples = gan.generate(3, seed=0)
        coarse = samples[:, ::block, ::block]
        np.testing.assert_array_equal(samples, _repeat(coarse, block))
        if block > 1:  # finer structure would break the blocks
            assert np.max(np.abs(samples - np.roll(samples, 1, axis=1))) > 0


def test_drift_term_joins_the_critic_loss():
    gan = _gan()
    _compile(gan)
    rng = np.random.default_rng(4)
    real_logits = rng.normal(size=(6, 1)).astype("float32")
    fake_logits = rng.normal(size=(6, 1)).astype("float32")
    expected = fake_logits.mean() - real_logits.mean() + 1e-3 * np.mean(real_logits**2)
    got = float(gan._discriminator_loss(real_logits, fake_logits))
    assert got == pytest.approx(expected, abs=1e-6)


def test_growth_state_survives_keras_save_and_load_weights(tmp_path):
    gan = _gan()
    _compile(gan, run_eagerly=True)
    images = _digits()
    gan.set_images_seen(PHASE_IMAGES)  # the start of stage 1's fade-in
    gan.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    assert (int(gan.stage.numpy()), float(gan.alpha.numpy())) == (1, 0.5)

    path = os.path.join(tmp_path, "progressive.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, ProgressiveGAN)
    assert len(loaded.variables) == len(gan.variables)
    for restored, saved in zip(loaded.variables, gan.variables, strict=True):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())
    assert float(loaded.generator_growth.progress.numpy()) == 0.5
    np.testing.assert_array_equal(loaded.generate(4, seed=1), gan.generate(4, seed=1))

    # One more step from the loaded model equals one more step of the original.
    gan.fit(images, batch_size=BATCH, epochs=1, verbose=0)
    loaded.fit(images, batch_size=BATCH, epochs=1, verbose=0)
    for resumed, continued in zip(loaded.variables, gan.variables, strict=True):
        np.testing.assert_allclose(
            resumed.numpy(), continued.numpy(), rtol=0, atol=1e-6, err_msg=resumed.path
        )

    # The weights file (what BackupAndRestore writes) carries the state too.
    weights = os.path.join(tmp_path, "progressive.weights.h5")
    gan.save_weights(weights)
    fresh = _gan()
    _compile(fresh)
    fresh.load_weights(weights)
    assert int(fresh.images_seen.numpy()) == 4 * BATCH
    assert (int(fresh.stage.numpy()), float(fresh.alpha.numpy())) == (1, 1.0)
    assert float(fresh.discriminator_growth.progress.numpy()) == 1.0


@pytest.mark.slow
def test_mirrored_step_equals_single_device_step():
    # Minibatch stddev's statistic is per replica (as on the paper's GPUs), so the
    # one-device comparison uses groups of 1; the rest (WGAN-GP with its per-example
    # ε drawn for the global batch, the drift, the faded reals, the schedule) is
    # compared exactly.
    images = _digits()
    single = _gan(group_size=1)
    _compile(single, keras.optimizers.SGD, 0.01, run_eagerly=True)
    single.set_images_seen(PHASE_IMAGES + 8)  # stage 1, α = 0.5
    initial = [v.numpy().copy() for v in single.variables]
    single.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    with mirrored_strategy().scope():
        mirrored = _gan(group_size=1)
        _compile(mirrored, keras.optimizers.SGD, 0.01)  # traced, as `fit` runs
    for variable, value in zip(mirrored.variables, initial, strict=True):
        variable.assign(value)
    mirrored.fit(images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    assert (int(mirrored.stage.numpy()), float(mirrored.alpha.numpy())) == (1, 1.0)
    assert int(mirrored.images_seen.numpy()) == PHASE_IMAGES + 8 + BATCH
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
    # The step moved both players (so the comparison is not of initial values).
    initial_by_path = {
        v.path: value for v, value in zip(single.variables, initial, strict=True)
    }
    for network in (single.generator, single.discriminator):
        assert any(
            not np.array_equal(v.numpy(), initial_by_path[v.path])
            for v in network.trainable_variables
        ), network.name


# Karras et al. 2018, section A.1, written out independently of presets.py.
PAPER_HYPERPARAMETERS = {
    "architecture": "progressive",
    "loss": "wasserstein",
    "penalties": ("gp",),
    "discriminator_steps": 1,
    "d_learning_rate": 1e-3,
    "g_learning_rate": 1e-3,
    "beta_1": 0.0,
    "beta_2": 0.99,
    "batch_size": 16,
    "generator_ema": 0.999,
}


def test_preset_carries_the_papers_recipe_and_trains_a_step():
    preset = presets.get("progressive")
    for field, value in PAPER_HYPERPARAMETERS.items():
        assert getattr(preset, field) == value, field
    assert "arXiv:1710.10196" in preset.description
    tiny = dataclasses.replace(preset, width=4, latent_dim=LATENT_DIM, batch_size=4)
    gan = presets.build_gan(tiny, (16, 16, 1), seed=0, total_steps=10)
    assert isinstance(gan, ProgressiveGAN)
    # 10 steps of 4 images in 5 equal phases of 8 images.
    assert (gan.fade_in_images, gan.stable_images) == (8, 8)
    assert gan.drift_weight == 1e-3
    assert [penalty.name for penalty in gan.penalties] == ["gp"]
    assert gan.adversarial_loss.name == "wasserstein"
    gan.run_eagerly = True  # three steps: cheaper than tracing one
    batch = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 1))
    for _ in range(2):  # 8 images: into stage 1
        logs = gan.train_on_batch(batch.astype("float32"), return_dict=True)
        assert all(math.isfinite(float(value)) for value in logs.values()), logs
    assert int(gan.stage.numpy()) == 1
    # The EMA generator (the sampling one) grows with G.
    ema_progress = gan.ema_generator.get_layer("growth_progress").progress
    assert float(ema_progress.numpy()) == float(gan.progress) == 0.0
    gan.train_on_batch(batch.astype("float32"))
    assert float(ema_progress.numpy()) == float(gan.progress) == 0.5


def test_invalid_arguments_raise_clear_errors():
    generator = progressive_generator(8, latent_dim=4, width=4)
    discriminator = progressive_discriminator(8, width=4)
    with pytest.raises(ValueError, match="fade_in_images"):
        ProgressiveGAN(generator, discriminator, fade_in_images=0, stable_images=8)
    with pytest.raises(ValueError, match="drift_weight"):
        ProgressiveGAN(generator, discriminator, 8, 8, drift_weight=-1.0)
    with pytest.raises(ValueError, match="image_size"):
        progressive_generator(12)
    with pytest.raises(ValueError, match="alpha"):
        set_growth(generator, 1, 1.5)
