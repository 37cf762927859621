"""Every `GAN.compile` option under `tf.distribute` and through `.keras` save/load.

For each option (penalties, T4, T9, T1, T3, T13, T12, T15, T16, T14):

- one fit step under a two-replica `MirroredStrategy` equals the single-device step
  on the same global batch (every variable, to 1e-5), and both replicas hold the
  same values;
- a model saved after one step and loaded back has the same compile options, and one
  more step on the same data gives the weights that continuing the original gives
  (optimizer moments, historical averages, the EMA copy and the latent seed state
  are all restored).

The networks are tiny MLPs on 2-D points so that each case costs one traced step.
Each trick's own oracle is in `test_tricks.py`.
"""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_test_case import mirrored_strategy, replica_values

from keras_gans import GAN, architectures
from keras_gans.penalties import R1Penalty, WeightClipping
from keras_gans.tricks import GeneratorEMA, InstanceNoise, LabelSmoothing

pytestmark = pytest.mark.tensorflow_only

GLOBAL_BATCH = 8
LATENT_DIM = 3
# Largest |mirrored - single| allowed over all variables after one step.
DISTRIBUTION_TOLERANCE = 1e-5
# SGD, not Adam, for the distribution check: Adam's first step is about
# lr * sign(gradient), which would hide a gradient scaled by the replica count.
LEARNING_RATE = 0.1

# One entry per option: compile arguments (without optimizers).
OPTIONS = {
    "gp": {"penalties": ["gp"]},
    "dragan": {"penalties": ["dragan"]},
    "r1": {"penalties": ["r1"]},
    "clip": {"penalties": ["clip"]},
    "discriminator_steps": {"discriminator_steps": 2},
    "label_smoothing": {
        "label_smoothing": LabelSmoothing((0.7, 1.2), flip_probability=0.2)
    },
    "instance_noise": {"instance_noise": 0.1},
    "feature_matching": {"feature_matching": True},
    "historical_averaging": {"historical_averaging": 0.01},
    "generator_ema": {"generator_ema": 0.9},
    # β from the global batch: 0.5 ** (8 / 40) on one device and on two replicas.
    "generator_ema_half_life": {"generator_ema": GeneratorEMA(half_life_images=40)},
    "unrolled": {"unrolled_steps": 2},
    "packing": {"packing": 2},
    "single_loss": {"single_loss": True},
}


def _points():
    return np.random.default_rng(0).normal(size=(GLOBAL_BATCH, 2)).astype("float32")


def _compiled_gan(options, optimizer_class, learning_rate, **compile_kwargs):
    """A tiny MLP GAN compiled with `options` (call inside a strategy scope)."""
    packing = options.get("packing", 1)
    generator = architectures.mlp_generator(
        latent_dim=LATENT_DIM, output_dim=2, hidden_units=(8,), seed=1
    )
    discriminator = architectures.mlp_discriminator(
        input_dim=2 * packing, hidden_units=(8,), seed=2
    )
    gan = GAN(generator, discriminator, seed=5)
    if options.get("single_loss"):
        optimizers = {"optimizer": optimizer_class(learning_rate)}
    else:
        optimizers = {
            "d_optimizer": optimizer_class(learning_rate),
            "g_optimizer": optimizer_class(learning_rate),
        }
    gan.compile(**optimizers, **options, **compile_kwargs)
    return gan


def _fit_one_step(gan, points):
    gan.fit(points, batch_size=GLOBAL_BATCH, epochs=1, verbose=0, shuffle=False)


def _assert_mirrored_step_equals_single_device_step(name, traced):
    points = _points()
    single = _compiled_gan(
        OPTIONS[name], keras.optimizers.SGD, LEARNING_RATE, run_eagerly=True
    )
    initial = [v.numpy().copy() for v in single.trainable_variables]
    _fit_one_step(single, points)
    strategy = mirrored_strategy()
    with strategy.scope():
        mirrored = _compiled_gan(
            OPTIONS[name],
            keras.optimizers.SGD,
            LEARNING_RATE,
            run_eagerly=not traced,
        )
    _fit_one_step(mirrored, points)

    # The step moved both players (so the comparison is not of initial values).
    moved = [
        not np.array_equal(variable.numpy(), before)
        for variable, before in zip(single.trainable_variables, initial, strict=True)
    ]
    for model in (single.generator, single.discriminator):
        assert any(
            changed
            for variable, changed in zip(single.trainable_variables, moved, strict=True)
            if any(variable is own for own in model.trainable_variables)
        ), f"{model.name} did not change"
    assert len(single.variables) == len(mirrored.variables)
    largest = 0.0
    for single_variable, mirrored_variable in zip(
        single.variables, mirrored.variables, strict=True
    ):
        assert single_variable.shape == mirrored_variable.shape
        replicas = replica_values(mirrored_variable)
        assert len(replicas) == 2, f"{mirrored_variable.path} is not mirrored"
        np.testing.assert_array_equal(
            replicas[1],
            replicas[0],
            err_msg=f"replicas differ: {mirrored_variable.path}",
        )
        difference = np.max(np.abs(replicas[0] - single_variable.numpy()), initial=0.0)
        largest = max(largest, float(difference))
    print(f"{name}: largest |mirrored - single| over all variables {largest:.3g}")
    assert largest <= DISTRIBUTION_TOLERANCE


@pytest.mark.parametrize("name", list(OPTIONS))
def test_mirrored_step_equals_single_device_step(name):
    # Both steps run eagerly (the replicas still run in their replica contexts and
    # all-reduce): the cheap check for every option.
    _assert_mirrored_step_equals_single_device_step(name, traced=False)


@pytest.mark.parametrize(
    "name", ["gp", "label_smoothing", "feature_matching", "unrolled"]
)
@pytest.mark.slow
def test_traced_mirrored_step_equals_single_device_step(name):
    # As `fit` runs by default, traced: the options that draw per replica or
    # all-reduce inside the step.
    _assert_mirrored_step_equals_single_device_step(name, traced=True)


def _first_latents():
    """The first latent batch a GAN seeded 5 draws (its D step's)."""
    return keras.random.normal(
        (GLOBAL_BATCH, LATENT_DIM), seed=keras.random.SeedGenerator(5)
    )


def test_penalty_term_joins_the_discriminator_step_and_its_log():
    # R1 with γ = 4: the D step descends d_loss + 2 · mean ‖∇_x D(x)‖², written out.
    points = _points()
    gan = _compiled_gan(
        {"penalties": [R1Penalty(gamma=4.0)]},
        keras.optimizers.SGD,
        LEARNING_RATE,
        run_eagerly=True,
    )
    discriminator = gan.discriminator
    real = tf.constant(points)
    with tf.GradientTape() as tape:
        with tf.GradientTape() as input_tape:
            input_tape.watch(real)
            real_logits = discriminator(real, training=True)
            total_score = tf.reduce_sum(real_logits)
        input_gradients = input_tape.gradient(total_score, real)
        r1 = tf.reduce_mean(tf.reduce_sum(tf.square(input_gradients), axis=1))
        fake_logits = discriminator(gan.generator(_first_latents()), training=True)
        d_loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(
            tf.nn.softplus(fake_logits)
        )
        total = d_loss + 2.0 * r1
    gradients = tape.gradient(total, discriminator.trainable_variables)
    before = [v.numpy().copy() for v in discriminator.trainable_variables]
    history = gan.fit(points, batch_size=GLOBAL_BATCH, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["r1"][0], float(r1), rtol=1e-5)
    np.testing.assert_allclose(history.history["d_loss"][0], float(d_loss), rtol=1e-5)
    for variable, initial, gradient in zip(
        discriminator.trainable_variables, before, gradients, strict=True
    ):
        expected = initial - LEARNING_RATE * (
            0.0 if gradient is None else gradient.numpy()
        )
        np.testing.assert_allclose(variable.numpy(), expected, atol=1e-6, rtol=1e-6)


def test_constraint_acts_after_the_discriminator_step():
    # Weight clipping: D's weights after its step are clip(θ - lr ∇d_loss, -c, c).
    clip_value = 0.05
    points = _points()
    gan = _compiled_gan(
        {"penalties": [WeightClipping(clip_value)], "loss": "wasserstein"},
        keras.optimizers.SGD,
        LEARNING_RATE,
        run_eagerly=True,
    )
    discriminator = gan.discriminator
    with tf.GradientTape() as tape:
        # Wasserstein critic loss: mean D(G(z)) - mean D(x).
        d_loss = tf.reduce_mean(
            discriminator(gan.generator(_first_latents()), training=True)
        ) - tf.reduce_mean(discriminator(points, training=True))
    gradients = tape.gradient(d_loss, discriminator.trainable_variables)
    expected = [
        np.clip(v.numpy() - LEARNING_RATE * g.numpy(), -clip_value, clip_value)
        for v, g in zip(discriminator.trainable_variables, gradients, strict=True)
    ]
    assert max(np.max(np.abs(v.numpy())) for v in discriminator.weights) > clip_value
    history = gan.fit(points, batch_size=GLOBAL_BATCH, epochs=1, verbose=0)
    for variable, values in zip(
        discriminator.trainable_variables, expected, strict=True
    ):
        np.testing.assert_allclose(variable.numpy(), values, atol=1e-6, rtol=1e-6)
    # The log is the largest |w| after clipping.
    np.testing.assert_allclose(history.history["clip"][0], clip_value, rtol=1e-6)


def _compile_config_json(gan):
    return json.dumps(gan.get_compile_config(), sort_keys=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(OPTIONS))
def test_save_load_restores_the_option_and_its_state(name, tmp_path):
    points = _points()
    # Adam: its moments must be restored for the continued runs to agree.
    original = _compiled_gan(
        OPTIONS[name], keras.optimizers.Adam, 1e-2, run_eagerly=True
    )
    _fit_one_step(original, points)
    path = os.path.join(tmp_path, "gan.keras")
    original.save(path)
    loaded = keras.saving.load_model(path)

    assert _compile_config_json(loaded) == _compile_config_json(original)
    assert [v.path for v in loaded.variables] == [v.path for v in original.variables]
    for restored, saved in zip(loaded.variables, original.variables, strict=True):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())
    for attribute in ("ema_generator", "discriminator_history", "generator_history"):
        assert (getattr(loaded, attribute) is None) == (
            getattr(original, attribute) is None
        ), attribute

    before = [v.numpy().copy() for v in original.variables]
    _fit_one_step(original, points)
    _fit_one_step(loaded, points)
    changed = False
    for continued, resumed, previous in zip(
        original.variables, loaded.variables, before, strict=True
    ):
        np.testing.assert_array_equal(
            resumed.numpy(), continued.numpy(), err_msg=continued.path
        )
        changed = changed or not np.array_equal(continued.numpy(), previous)
    assert changed, "the second step changed nothing"


def test_instance_noise_schedule_round_trips_through_the_compile_config(tmp_path):
    noise = InstanceNoise(
        0.3, decay_steps=7, schedule="exponential", final_fraction=0.1
    )
    gan = _compiled_gan({"instance_noise": noise}, keras.optimizers.SGD, 0.1)
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.instance_noise.get_config() == {
        "initial_stddev": 0.3,
        "decay_steps": 7,
        "schedule": "exponential",
        "final_fraction": 0.1,
    }


def test_options_that_do_not_compose_raise_clear_errors():
    generator = architectures.mlp_generator(latent_dim=LATENT_DIM, hidden_units=(4,))
    discriminator = architectures.mlp_discriminator(hidden_units=(4,))
    gan = GAN(generator, discriminator, seed=0)
    with pytest.raises(ValueError, match="give `optimizer`, not `d_optimizer`"):
        gan.compile(single_loss=True, d_optimizer=keras.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match="`discriminator_steps=2`"):
        gan.compile(single_loss=True, discriminator_steps=2)
    with pytest.raises(ValueError, match="`unrolled_steps=1`"):
        gan.compile(single_loss=True, unrolled_steps=1)
    with pytest.raises(ValueError, match="the single-loss optimizer"):
        gan.compile(optimizer=keras.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match="nothing to unroll"):
        gan.compile(feature_matching=True, unrolled_steps=2)
    with pytest.raises(ValueError, match="acts after a discriminator step"):
        gan.compile(single_loss=True, penalties=["clip"])
    with pytest.raises(ValueError, match="Received: `loss='hinge'`"):
        gan.compile(loss="hinge", label_smoothing=0.9)
    for argument, value in (
        ("discriminator_steps", 0),
        ("unrolled_steps", -1),
        ("packing", 1.5),
    ):
        with pytest.raises(ValueError, match=f"`{argument}={value}`"):
            gan.compile(**{argument: value})


def test_mirrored_variables_of_the_options_are_created_in_the_scope():
    strategy = mirrored_strategy()
    with strategy.scope():
        gan = _compiled_gan(
            {"historical_averaging": 0.01, "generator_ema": 0.9},
            keras.optimizers.SGD,
            0.1,
        )
    for variable in (
        gan.discriminator_history.averages
        + [gan.discriminator_history.count]
        + gan.generator_history.averages
        + gan.ema_generator.weights
    ):
        assert isinstance(variable.value, tf.distribute.DistributedValues), (
            variable.path
        )
