"""Oracles for the training tricks (`keras_gans.tricks`) and their `GAN.compile`
options: T1 feature matching, T3 historical averaging, T4 label smoothing, T9
instance noise, T12 k discriminator steps, T13 the EMA generator, T14 the single
loss, T15 the unrolled GAN and T16 PacGAN packing.

Each test compares with a re-derivation written here: NumPy formulas, closed forms on
linear networks, gradients of the paper's objective taken independently with a tape,
or recorded parameter snapshots. The GAN-level tests rebuild the step's latents from
the GAN's contract (every random draw of a step comes, in order, from one
`SeedGenerator(seed)`) and use SGD, so that an update is `-learning_rate * gradient`
exactly. The option × `tf.distribute` and save/load matrix is in
`test_gan_options.py`.
"""

import os
import re

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf
from keras import ops

from keras_gans import GAN, architectures
from keras_gans import losses as gan_losses
from keras_gans.tricks import (
    FeatureMatching,
    GeneratorEMA,
    HistoricalAveraging,
    InstanceNoise,
    LabelSmoothing,
    feature_matching_loss,
    look_ahead_variables,
    pack,
    single_loss,
    smoothed_discriminator_loss,
)

pytestmark = pytest.mark.tensorflow_only

LATENT_DIM = 3
BATCH = 8
GAN_SEED = 5
CROSS_ENTROPY_LOSSES = ["minimax", "non_saturating", "maximum_likelihood"]


# --- Helpers --------------------------------------------------------------------------


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _points(count=BATCH, seed=0):
    return np.random.default_rng(seed).normal(size=(count, 2)).astype("float32")


def _mlp_gan(discriminator=None, hidden_units=(8,), input_channels=2):
    generator = architectures.mlp_generator(
        latent_dim=LATENT_DIM, output_dim=2, hidden_units=hidden_units, seed=1
    )
    if discriminator is None:
        discriminator = architectures.mlp_discriminator(
            input_dim=input_channels, hidden_units=hidden_units, seed=2
        )
    return GAN(generator, discriminator, seed=GAN_SEED)


def _compile(gan, d_learning_rate=0.1, g_learning_rate=0.1, **options):
    gan.compile(
        d_optimizer=keras.optimizers.SGD(d_learning_rate),
        g_optimizer=keras.optimizers.SGD(g_learning_rate),
        run_eagerly=True,
        **options,
    )
    return gan


def _latent_draws(count, batch_size=BATCH):
    """The first `count` latent batches a GAN seeded `GAN_SEED` draws."""
    seeds = keras.random.SeedGenerator(GAN_SEED)
    return [
        ops.convert_to_numpy(keras.random.normal((batch_size, LATENT_DIM), seed=seeds))
        for _ in range(count)
    ]


def _values(variables):
    return [variable.numpy().copy() for variable in variables]


def _assert_all_close(actual, expected, atol=1e-6, rtol=1e-6):
    assert len(actual) == len(expected)
    for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
        np.testing.assert_allclose(
            np.asarray(a), np.asarray(e), atol=atol, rtol=rtol, err_msg=f"#{index}"
        )


def _recording_discriminator(discriminator, seen):
    """`discriminator` wrapped so that every input it sees (eagerly) goes to `seen`."""

    class RecordingDiscriminator(keras.Model):
        def __init__(self, inner):
            super().__init__(name="recording_discriminator")
            self.inner = inner

        def call(self, images, training=False):
            seen.append(ops.convert_to_numpy(images))
            return self.inner(images, training=training)

    wrapper = RecordingDiscriminator(discriminator)
    wrapper(np.zeros((1, *discriminator.input_shape[1:]), "float32"))
    seen.clear()
    return wrapper


class SnapshotCallback(keras.callbacks.Callback):
    """Records the values of some variables after every training batch."""

    def __init__(self, variables):
        super().__init__()
        self.variables = variables
        self.snapshots = [_values(variables)]

    def on_train_batch_end(self, batch, logs=None):
        self.snapshots.append(_values(self.variables))


# --- T4: label smoothing --------------------------------------------------------------


def _binary_cross_entropy(logits, targets):
    """`-[t log D + (1 - t) log(1 - D)]`, D = σ(logits), with per-example targets."""
    targets = np.reshape(targets, (-1,) + (1,) * (logits.ndim - 1))
    probabilities = _sigmoid(logits.astype("float64"))
    return -(targets * np.log(probabilities) + (1 - targets) * np.log1p(-probabilities))


@pytest.mark.parametrize("loss_name", CROSS_ENTROPY_LOSSES)
def test_smoothed_cross_entropy_equals_numpy(loss_name):
    loss = gan_losses.get(loss_name)
    rng = np.random.default_rng(0)
    batch = 6
    target_pairs = [
        (np.full(batch, 0.9), np.zeros(batch)),  # one-sided, the paper's
        (rng.uniform(0.7, 1.2, batch), np.zeros(batch)),  # a random range
        (np.full(batch, 0.9), np.full(batch, 0.1)),  # two-sided
        (np.array([0.9, 0, 0.9, 0.9, 0, 0.9]), np.array([0, 0, 0.9, 0, 0, 0])),  # flips
    ]
    for logits_shape in [(batch,), (batch, 1), (batch, 2, 2, 1)]:  # scores, PatchGAN
        real_logits = 2.0 * rng.normal(size=logits_shape).astype("float32")
        fake_logits = 2.0 * rng.normal(size=logits_shape).astype("float32")
        for real_targets, fake_targets in target_pairs:
            expected = np.mean(
                _binary_cross_entropy(real_logits, real_targets)
            ) + np.mean(_binary_cross_entropy(fake_logits, fake_targets))
            value = smoothed_discriminator_loss(
                loss, real_logits, fake_logits, real_targets, fake_targets
            )
            np.testing.assert_allclose(float(value), expected, rtol=1e-5)
        # Targets 1 and 0 give the loss's own discriminator loss.
        plain = smoothed_discriminator_loss(
            loss, real_logits, fake_logits, np.ones(batch), np.zeros(batch)
        )
        np.testing.assert_allclose(
            float(plain),
            float(loss.discriminator_loss(real_logits, fake_logits)),
            rtol=1e-6,
        )


@pytest.mark.parametrize(
    "loss, fake_goal, real_goal",
    [
        (gan_losses.get("least_squares"), 0.0, 1.0),
        (
            gan_losses.LeastSquaresLoss(
                fake_target=-1, real_target=1, generator_target=0
            ),
            -1.0,
            1.0,
        ),
    ],
)
def test_smoothed_least_squares_equals_numpy(loss, fake_goal, real_goal):
    rng = np.random.default_rng(1)
    real_logits = rng.normal(size=(6, 1)).astype("float32")
    fake_logits = rng.normal(size=(6, 1)).astype("float32")
    real_targets = rng.uniform(0.7, 1.2, 6)
    fake_targets = np.array([0, 0, 0.9, 0, 0.2, 0])

    def goal(targets):
        # Target t on the 0 = fake, 1 = real scale is a + t (b - a).
        return (fake_goal + targets * (real_goal - fake_goal))[:, None]

    expected = 0.5 * np.mean((real_logits - goal(real_targets)) ** 2) + 0.5 * np.mean(
        (fake_logits - goal(fake_targets)) ** 2
    )
    value = smoothed_discriminator_loss(
        loss, real_logits, fake_logits, real_targets, fake_targets
    )
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)
    plain = smoothed_discriminator_loss(
        loss, real_logits, fake_logits, np.ones(6), np.zeros(6)
    )
    np.testing.assert_allclose(
        float(plain),
        float(loss.discriminator_loss(real_logits, fake_logits)),
        rtol=1e-6,
    )


def test_targets_are_drawn_in_their_ranges_and_flipped_at_the_given_rate():
    count, flip_probability = 20_000, 0.2
    smoothing = LabelSmoothing(
        real_target=(0.7, 1.2),
        fake_target=(0.0, 0.3),
        flip_probability=flip_probability,
    )
    real, fake = (
        ops.convert_to_numpy(targets)
        for targets in smoothing.targets(count, keras.random.SeedGenerator(0))
    )
    assert real.shape == fake.shape == (count,)
    # The two ranges do not overlap, so a flipped target is recognisable.
    real_flipped, fake_flipped = real < 0.5, fake > 0.5
    tolerance = 4 * np.sqrt(flip_probability * (1 - flip_probability) / count)
    assert abs(real_flipped.mean() - flip_probability) < tolerance
    assert abs(fake_flipped.mean() - flip_probability) < tolerance
    # Real and fake flips are drawn independently.
    assert abs((real_flipped & fake_flipped).mean() - flip_probability**2) < tolerance
    for values, low, width in [
        (real[~real_flipped], 0.7, 0.5),
        (fake[fake_flipped], 0.7, 0.5),
        (fake[~fake_flipped], 0.0, 0.3),
        (real[real_flipped], 0.0, 0.3),
    ]:
        assert values.min() >= low and values.max() < low + width
        assert scipy.stats.kstest(values, "uniform", args=(low, width)).pvalue > 1e-3

    constant = LabelSmoothing(0.9)
    real, fake = constant.targets(5, keras.random.SeedGenerator(0))
    np.testing.assert_allclose(ops.convert_to_numpy(real), np.full(5, 0.9), rtol=1e-7)
    np.testing.assert_array_equal(ops.convert_to_numpy(fake), np.zeros(5))


@pytest.mark.parametrize(
    "loss_name",
    [
        "hinge",
        "wasserstein",
        "relativistic",
        "relativistic_average",
        "relativistic_average_least_squares",
        "relativistic_average_hinge",
    ],
)
def test_label_smoothing_rejects_losses_without_targets(loss_name):
    with pytest.raises(ValueError) as error:
        LabelSmoothing(0.9).check_loss(gan_losses.get(loss_name))
    message = str(error.value)
    assert f"`loss={loss_name!r}`" in message
    for supported in CROSS_ENTROPY_LOSSES + ["least_squares"]:
        assert supported in message


def test_label_smoothing_accepts_the_losses_with_targets():
    for loss in [gan_losses.get(name) for name in CROSS_ENTROPY_LOSSES] + [
        gan_losses.get("least_squares"),
        gan_losses.LeastSquaresLoss(fake_target=-1, real_target=1, generator_target=0),
    ]:
        LabelSmoothing(0.9).check_loss(loss)


@pytest.mark.parametrize(
    "argument, value",
    [("real_target", (1.0, 0.5)), ("fake_target", "zero"), ("flip_probability", 1.5)],
)
def test_label_smoothing_validates_its_arguments(argument, value):
    with pytest.raises(ValueError, match=re.escape(f"`{argument}={value!r}`")):
        LabelSmoothing(**{argument: value})


def _gaussian_grid_counts():
    """Two overlapping discretised Gaussians on a grid: counts of samples per point."""
    grid = np.linspace(-2.0, 2.0, 9)
    data_density = scipy.stats.norm.pdf(grid, loc=-0.5)
    model_density = scipy.stats.norm.pdf(grid, loc=0.5)
    data_counts = np.round(400 * data_density / data_density.sum()).astype(int)
    model_counts = np.round(400 * model_density / model_density.sum()).astype(int)
    return data_counts, model_counts


def _train_logit_table(loss, data_counts, model_counts, real_target, learning_rate):
    """Full-batch gradient descent on a free logit per grid point (a maximally
    flexible D) with the smoothed discriminator loss."""
    size = len(data_counts)
    # One-hot rows select each sample's logit: [samples, grid points].
    real_rows = np.eye(size, dtype="float32")[np.repeat(np.arange(size), data_counts)]
    fake_rows = np.eye(size, dtype="float32")[np.repeat(np.arange(size), model_counts)]
    real_targets = np.full(len(real_rows), real_target, "float32")
    fake_targets = np.zeros(len(fake_rows), "float32")
    table = tf.Variable(tf.zeros(size))

    @tf.function
    def train(steps):
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                value = smoothed_discriminator_loss(
                    loss,
                    tf.linalg.matvec(real_rows, table),
                    tf.linalg.matvec(fake_rows, table),
                    real_targets,
                    fake_targets,
                )
            table.assign_sub(learning_rate * tape.gradient(value, table))

    train(tf.constant(1500))
    return table.numpy()


@pytest.mark.parametrize("loss_name", ["non_saturating", "least_squares", "pearson"])
def test_trained_discriminator_approaches_the_smoothed_optimum(loss_name):
    # Salimans et al. 2016, section 3.4: with real target α and fake target 0 the
    # optimal D is α p_data / (p_data + p_model).
    if loss_name == "pearson":
        loss = gan_losses.LeastSquaresLoss(
            fake_target=-1, real_target=1, generator_target=0
        )
    else:
        loss = gan_losses.get(loss_name)
    data_counts, model_counts = _gaussian_grid_counts()
    data_probability = data_counts / data_counts.sum()
    model_probability = model_counts / model_counts.sum()
    optimum = data_probability / (data_probability + model_probability)
    for alpha in (0.9, 1.0):
        if loss_name == "non_saturating":
            logits = _train_logit_table(loss, data_counts, model_counts, alpha, 10.0)
            discriminator = _sigmoid(logits)
        else:
            # Least squares: D's output on the 0 = fake, 1 = real scale.
            logits = _train_logit_table(loss, data_counts, model_counts, alpha, 2.0)
            span = loss.real_target - loss.fake_target
            discriminator = (logits - loss.fake_target) / span
        np.testing.assert_allclose(discriminator, alpha * optimum, atol=0.01)
        if alpha < 1:
            # The unsmoothed optimum is measurably different (the check has power).
            assert np.max(np.abs(discriminator - optimum)) > 0.05


def test_gan_discriminator_step_uses_the_smoothed_targets():
    points = _points()
    gan = _compile(_mlp_gan(), d_learning_rate=0.0, label_smoothing=0.9)
    (first_latents,) = _latent_draws(1)
    real_logits = ops.convert_to_numpy(gan.discriminator(points))
    fake_logits = ops.convert_to_numpy(gan.discriminator(gan.generator(first_latents)))
    expected = np.mean(
        _binary_cross_entropy(real_logits, np.full(BATCH, 0.9))
    ) + np.mean(_binary_cross_entropy(fake_logits, np.zeros(BATCH)))
    history = gan.fit(points, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["d_loss"][0], expected, rtol=1e-5)


# --- T9: instance noise ---------------------------------------------------------------


def test_instance_noise_schedules_equal_numpy():
    steps = np.array([0, 1, 5, 10, 15, 100])
    linear = InstanceNoise(0.2, decay_steps=10)
    exponential = InstanceNoise(
        0.2, decay_steps=10, schedule="exponential", final_fraction=0.01
    )
    for noise, expected in [
        (linear, 0.2 * np.maximum(0.0, 1.0 - steps / 10)),
        (exponential, 0.2 * 0.01 ** (steps / 10)),
    ]:
        actual = [float(noise.stddev(step)) for step in steps]
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-8)
        # A step counter variable (the optimizer's iterations) works too.
        counter = keras.Variable(5, dtype="int64", trainable=False)
        np.testing.assert_allclose(float(noise.stddev(counter)), expected[2], rtol=1e-6)


def test_instance_noise_reaches_both_discriminator_inputs_with_the_scheduled_std():
    batch, stddev = 1024, 0.3
    points = _points(batch)
    seen = []
    discriminator = _recording_discriminator(
        architectures.mlp_discriminator(input_dim=2, hidden_units=(8,), seed=2), seen
    )
    gan = _compile(
        _mlp_gan(discriminator), instance_noise=InstanceNoise(stddev, decay_steps=100)
    )
    # A generator whose output is exactly 0, so the fake input is the noise itself.
    gan.generator.set_weights([np.zeros_like(w) for w in gan.generator.get_weights()])
    gan.fit(points, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    # D step: real then fake; G step: fake.
    real_noise, fake_noise, generator_step_noise = seen[0] - points, seen[1], seen[2]
    tolerance = 4 * stddev / np.sqrt(2 * real_noise.size)
    for noise in (real_noise, fake_noise, generator_step_noise):
        assert abs(noise.std() - stddev) < tolerance
        assert abs(noise.mean()) < 4 * stddev / np.sqrt(noise.size)
    # Independent draws for each input.
    for first, second in [
        (real_noise, fake_noise),
        (fake_noise, generator_step_noise),
    ]:
        assert abs(np.corrcoef(first.ravel(), second.ravel())[0, 1]) < 0.1


@pytest.mark.parametrize(
    "noise, expected",
    [
        (InstanceNoise(0.3, decay_steps=2), [0.3, 0.15, 0.0]),
        (
            InstanceNoise(
                0.3, decay_steps=2, schedule="exponential", final_fraction=0.25
            ),
            [0.3, 0.15, 0.075],
        ),
    ],
)
def test_logged_instance_noise_follows_the_schedule(noise, expected):
    gan = _compile(_mlp_gan(), instance_noise=noise)
    history = gan.fit(_points(), batch_size=BATCH, epochs=3, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["instance_noise"], expected, atol=1e-7)


# --- T1: feature matching -------------------------------------------------------------


def test_feature_matching_loss_equals_numpy():
    rng = np.random.default_rng(2)
    for real_shape, fake_shape in [((6, 5), (6, 5)), ((6, 2, 2, 3), (4, 2, 2, 3))]:
        real = rng.normal(size=real_shape).astype("float32")
        fake = rng.normal(size=fake_shape).astype("float32")
        difference = real.astype("float64").mean(axis=0) - fake.mean(axis=0)
        np.testing.assert_allclose(
            float(feature_matching_loss(real, fake)), np.sum(difference**2), rtol=1e-5
        )


def _named_discriminator():
    return keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(5, activation="relu", name="first"),
            keras.layers.Dense(4, activation="relu", name="second"),
            keras.layers.Dense(1, name="logits"),
        ],
        name="discriminator",
    )


def test_feature_model_reads_the_last_hidden_layer_or_a_named_one():
    discriminator = _named_discriminator()
    (kernel_1, bias_1, kernel_2, bias_2, _, _) = discriminator.get_weights()
    points = _points()
    first = np.maximum(points @ kernel_1 + bias_1, 0.0)
    second = np.maximum(first @ kernel_2 + bias_2, 0.0)
    for matching, expected in [
        (FeatureMatching(), second),
        (FeatureMatching("first"), first),
    ]:
        features = matching.feature_model(discriminator)(points)
        np.testing.assert_allclose(ops.convert_to_numpy(features), expected, atol=1e-6)


def test_feature_matching_errors_name_the_problem():
    with pytest.raises(
        ValueError, match="no layer named 'third'. Its layers: first, second, logits"
    ):
        FeatureMatching("third").feature_model(_named_discriminator())
    with pytest.raises(ValueError, match="`layer_name=3`"):
        FeatureMatching(3)
    subclassed = _recording_discriminator(_named_discriminator(), [])
    with pytest.raises(ValueError, match="must be a Functional or Sequential model"):
        FeatureMatching().feature_model(subclassed)


def test_gan_feature_matching_step_moves_only_the_generator_down_the_loss():
    points = _points()
    gan = _compile(_mlp_gan(), d_learning_rate=0.0, feature_matching=True)
    hidden_layer, _ = (
        layer
        for layer in gan.discriminator.layers
        if isinstance(layer, keras.layers.Dense)
    )
    kernel, bias = _values(hidden_layer.trainable_variables)
    _, generator_latents = _latent_draws(2)

    def features(samples):  # D's hidden ReLU layer, written out
        return tf.nn.relu(tf.matmul(samples, kernel) + bias)

    with tf.GradientTape() as tape:
        generated = gan.generator(generator_latents, training=True)
        expected_loss = tf.reduce_sum(
            tf.square(
                tf.reduce_mean(features(points), axis=0)
                - tf.reduce_mean(features(generated), axis=0)
            )
        )
    gradients = tape.gradient(expected_loss, gan.generator.trainable_variables)
    generator_before = _values(gan.generator.trainable_variables)
    discriminator_before = _values(gan.discriminator.variables)

    history = gan.fit(points, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    np.testing.assert_allclose(
        history.history["g_loss"][0], float(expected_loss), rtol=1e-5
    )
    _assert_all_close(
        _values(gan.generator.trainable_variables),
        [w - 0.1 * g.numpy() for w, g in zip(generator_before, gradients, strict=True)],
    )
    for after, before in zip(
        _values(gan.discriminator.variables), discriminator_before, strict=True
    ):
        np.testing.assert_array_equal(after, before)


# --- T3: historical averaging ---------------------------------------------------------


def _historical_gan():
    return _compile(
        _mlp_gan(), d_learning_rate=0.05, g_learning_rate=0.05, historical_averaging=0.5
    )


def _assert_averages_match_snapshots(history, snapshots):
    assert float(history.count.numpy()) == len(snapshots)
    _assert_all_close(
        _values(history.averages),
        [np.mean(np.stack(values), axis=0) for values in zip(*snapshots, strict=True)],
    )


def test_historical_averages_equal_the_mean_of_the_recorded_snapshots():
    steps = 3
    gan = _historical_gan()
    discriminator_snapshots = SnapshotCallback(gan.discriminator.trainable_variables)
    generator_snapshots = SnapshotCallback(gan.generator.trainable_variables)
    history = gan.fit(
        _points(),
        batch_size=BATCH,
        epochs=steps,
        verbose=0,
        shuffle=False,
        callbacks=[discriminator_snapshots, generator_snapshots],
    )
    for averaging, snapshots, log_name in [
        (gan.discriminator_history, discriminator_snapshots.snapshots, "d_history"),
        (gan.generator_history, generator_snapshots.snapshots, "g_history"),
    ]:
        # θ[0] (the initial values) and the values after each of the t steps.
        assert len(snapshots) == steps + 1
        _assert_averages_match_snapshots(averaging, snapshots)
        # The logged term at step t is Σ‖θ - mean(θ[0..t])‖² before the update.
        expected_log = [
            sum(
                np.sum((now - np.mean(np.stack(past), axis=0)) ** 2)
                for now, past in zip(
                    snapshots[step],
                    zip(*snapshots[: step + 1], strict=True),
                    strict=True,
                )
            )
            for step in range(steps)
        ]
        np.testing.assert_allclose(
            history.history[log_name], expected_log, rtol=1e-4, atol=1e-7
        )
    assert expected_log[-1] > 0  # the parameters moved away from their mean


def test_historical_averaging_for_one_player_only():
    gan = _compile(
        _mlp_gan(),
        historical_averaging=HistoricalAveraging(0.1, players=["discriminator"]),
    )
    assert gan.generator_history is None
    history = gan.fit(_points(), batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    assert "d_history" in history.history and "g_history" not in history.history


def test_historical_averages_survive_save_and_load(tmp_path):
    gan = _historical_gan()
    discriminator_snapshots = SnapshotCallback(gan.discriminator.trainable_variables)
    points = _points()
    gan.fit(
        points,
        batch_size=BATCH,
        epochs=3,
        verbose=0,
        shuffle=False,
        callbacks=[discriminator_snapshots],
    )
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    for original, restored in [
        (gan.discriminator_history, loaded.discriminator_history),
        (gan.generator_history, loaded.generator_history),
    ]:
        assert float(restored.count.numpy()) == 4.0
        _assert_all_close(_values(restored.averages), _values(original.averages), 0, 0)
    # Training on continues identically, and the average keeps counting.
    gan.fit(
        points,
        batch_size=BATCH,
        epochs=1,
        verbose=0,
        shuffle=False,
        callbacks=[discriminator_snapshots],
    )
    loaded.fit(points, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    _assert_all_close(_values(loaded.variables), _values(gan.variables), 0, 0)
    _assert_averages_match_snapshots(
        loaded.discriminator_history, discriminator_snapshots.snapshots
    )


# --- T13: the EMA generator -----------------------------------------------------------


@pytest.mark.parametrize(
    "option, discriminator_steps, beta",
    [
        (0.9, 1, 0.9),
        (GeneratorEMA(half_life_images=40), 1, 0.5 ** (BATCH / 40)),
        # k D steps: each G step generates BATCH / k images.
        (GeneratorEMA(half_life_images=40), 2, 0.5 ** (BATCH / 2 / 40)),
    ],
    ids=["decay", "half_life", "half_life_two_d_steps"],
)
def test_ema_weights_equal_a_numpy_ema_of_the_generator_snapshots(
    option, discriminator_steps, beta
):
    gan = _compile(
        _mlp_gan(), generator_ema=option, discriminator_steps=discriminator_steps
    )
    snapshots = SnapshotCallback(gan.generator.trainable_variables)
    gan.fit(
        _points(),
        batch_size=BATCH,
        epochs=3,
        verbose=0,
        shuffle=False,
        callbacks=[snapshots],
    )
    expected = snapshots.snapshots[0]
    for values in snapshots.snapshots[1:]:
        expected = [
            beta * e + (1 - beta) * v for e, v in zip(expected, values, strict=True)
        ]
    _assert_all_close(_values(gan.ema_generator.weights), expected)
    # Not the generator itself.
    assert not np.allclose(
        gan.ema_generator.get_weights()[0], gan.generator.get_weights()[0]
    )


def test_generate_and_save_generator_use_the_ema_generator(tmp_path):
    gan = _compile(_mlp_gan(), generator_ema=0.5)
    gan.fit(_points(), batch_size=BATCH, epochs=2, verbose=0, shuffle=False)
    latents = keras.random.normal((5, LATENT_DIM), seed=keras.random.SeedGenerator(1))
    samples = gan.generate(5, seed=1)
    np.testing.assert_allclose(
        samples, ops.convert_to_numpy(gan.ema_generator(latents)), atol=1e-6
    )
    assert not np.allclose(samples, ops.convert_to_numpy(gan.generator(latents)))

    generator_path = os.path.join(tmp_path, "generator.keras")
    gan.save_generator(generator_path)
    exported = keras.saving.load_model(generator_path)
    _assert_all_close(exported.get_weights(), gan.ema_generator.get_weights(), 0, 0)

    gan_path = os.path.join(tmp_path, "gan.keras")
    gan.save(gan_path)
    loaded = keras.saving.load_model(gan_path)
    _assert_all_close(
        loaded.ema_generator.get_weights(), gan.ema_generator.get_weights(), 0, 0
    )
    np.testing.assert_allclose(loaded.generate(5, seed=1), samples, atol=1e-6)


# --- T12: k discriminator steps per generator step ------------------------------------


def test_discriminator_steps_count_and_see_strided_parts_of_the_batch():
    k, points = 2, _points(2 * BATCH)
    seen = []
    discriminator = _recording_discriminator(
        architectures.mlp_discriminator(input_dim=2, hidden_units=(8,), seed=2), seen
    )
    gan = _compile(_mlp_gan(discriminator), discriminator_steps=k)
    gan.fit(points, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    assert int(gan.g_optimizer.iterations.numpy()) == 2
    assert int(gan.d_optimizer.iterations.numpy()) == k * 2
    # Per batch: k × (real, fake) for the D steps, then fake for the G step.
    calls_per_batch = 2 * k + 1
    assert len(seen) == 2 * calls_per_batch
    for batch_index in range(2):
        batch = points[batch_index * BATCH : (batch_index + 1) * BATCH]
        calls = seen[
            batch_index * calls_per_batch : (batch_index + 1) * calls_per_batch
        ]
        for part in range(k):
            np.testing.assert_array_equal(calls[2 * part], batch[part::k])
            assert calls[2 * part + 1].shape == (BATCH // k, 2)  # fakes of B / k
        assert calls[-1].shape == (BATCH // k, 2)


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])
@pytest.mark.parametrize(
    "options, divisor",
    [
        ({"discriminator_steps": 3}, "3 × 1 = 3"),
        ({"packing": 3, "input_channels": 6}, "1 × 3 = 3"),
    ],
    ids=["discriminator_steps", "packing"],
)
def test_a_batch_the_split_does_not_divide_raises(options, divisor, traced):
    options = dict(options)
    gan = _mlp_gan(input_channels=options.pop("input_channels", 2))
    gan.compile(**options, run_eagerly=not traced)
    expected = "divisible by `discriminator_steps` × `packing` = " + divisor
    if traced:
        # A dataset whose batch size is not static: the check runs in the graph.
        dataset = tf.data.Dataset.from_tensor_slices(_points()).batch(BATCH)
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(expected)):
            gan.fit(dataset, epochs=1, verbose=0)
    else:
        with pytest.raises(
            ValueError, match=re.escape(expected + ". Received a batch of 8")
        ):
            gan.fit(_points(), batch_size=BATCH, epochs=1, verbose=0, shuffle=False)


# --- T14: the single loss -------------------------------------------------------------


@pytest.mark.parametrize("loss_name", gan_losses.names())
def test_single_loss_gradients_equal_those_of_the_two_separate_losses(loss_name):
    loss = gan_losses.get(loss_name)
    generator = architectures.mlp_generator(
        latent_dim=LATENT_DIM, output_dim=2, hidden_units=(8,), seed=3
    )
    discriminator = architectures.mlp_discriminator(
        input_dim=2, hidden_units=(8,), seed=4
    )
    latents = (
        np.random.default_rng(3).normal(size=(BATCH, LATENT_DIM)).astype("float32")
    )
    real = _points()
    d_variables = discriminator.trainable_variables
    g_variables = generator.trainable_variables
    for weight in (1.0, 3.0):
        with tf.GradientTape(persistent=True) as tape:
            generated = generator(latents, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(generated, training=True)
            stopped_fake_logits = discriminator(
                ops.stop_gradient(generated), training=True
            )
            objective, _, _ = single_loss(
                loss, real_logits, fake_logits, stopped_fake_logits, weight
            )
            # The two players' own losses (D on sg(G(z)), G through D).
            d_loss = loss.discriminator_loss(real_logits, stopped_fake_logits)
            g_loss = loss.generator_loss(
                fake_logits, real_logits if loss.generator_needs_real_logits else None
            )
        d_gradients = tape.gradient(d_loss, d_variables)
        g_gradients = [weight * g for g in tape.gradient(g_loss, g_variables)]
        # The bracket's D-gradients cancel analytically; in float32 its terms leave
        # a few ulps of the largest gradient component they are made of.
        scale = max(
            float(np.max(np.abs(g)))
            for g in d_gradients
            + g_gradients
            + [weight * g for g in tape.gradient(g_loss, d_variables) if g is not None]
        )
        tolerance = 1e-6 * max(1.0, scale)
        np.testing.assert_allclose(float(objective), float(d_loss), rtol=1e-6)
        _assert_all_close(
            tape.gradient(objective, d_variables), d_gradients, atol=tolerance
        )
        _assert_all_close(
            tape.gradient(objective, g_variables), g_gradients, atol=tolerance
        )
        del tape


def test_gan_single_loss_step_is_one_simultaneous_step():
    points = _points()
    weight, learning_rate = 3.0, 0.1
    gan = _mlp_gan()
    gan.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        single_loss=True,
        generator_loss_weight=weight,
        run_eagerly=True,
    )
    loss = gan_losses.get("non_saturating")
    (latents,) = _latent_draws(1)
    # Both gradients at the parameters before the step: simultaneous updates.
    with tf.GradientTape(persistent=True) as tape:
        generated = gan.generator(latents, training=True)
        real_logits = gan.discriminator(points, training=True)
        d_loss = loss.discriminator_loss(
            real_logits, gan.discriminator(ops.stop_gradient(generated), training=True)
        )
        g_loss = loss.generator_loss(gan.discriminator(generated, training=True))
    d_gradients = tape.gradient(d_loss, gan.discriminator.trainable_variables)
    g_gradients = tape.gradient(g_loss, gan.generator.trainable_variables)
    d_before = _values(gan.discriminator.trainable_variables)
    g_before = _values(gan.generator.trainable_variables)
    gan.fit(points, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    assert int(gan.optimizer.iterations.numpy()) == 1
    _assert_all_close(
        _values(gan.discriminator.trainable_variables),
        [
            w - learning_rate * g.numpy()
            for w, g in zip(d_before, d_gradients, strict=True)
        ],
    )
    _assert_all_close(
        _values(gan.generator.trainable_variables),
        [
            w - learning_rate * weight * g.numpy()
            for w, g in zip(g_before, g_gradients, strict=True)
        ],
    )


# --- T15: the unrolled GAN ------------------------------------------------------------


def _linear_critic(kernel, bias):
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    critic.set_weights([np.asarray(kernel, "float32"), np.asarray(bias, "float32")])
    return critic


def test_look_ahead_equals_numpy_gradient_steps_on_a_linear_critic():
    rng = np.random.default_rng(4)
    real = rng.normal(1.0, 1.0, size=(6, 2)).astype("float32")
    fake = rng.normal(-1.0, 1.0, size=(6, 2)).astype("float32")
    kernel = np.array([[0.3], [-0.2]], "float32")
    bias = np.array([0.1], "float32")
    steps, learning_rate = 3, 0.2
    critic = _linear_critic(kernel, bias)

    # Least squares: d_loss = ½ mean((x_r·w + b - 1)²) + ½ mean((x_f·w + b)²).
    w, b = kernel.copy(), bias.copy()
    for _ in range(steps):
        real_residual = real @ w + b - 1.0
        fake_residual = fake @ w + b
        w_gradient = (real.T @ real_residual + fake.T @ fake_residual) / len(real)
        b_gradient = real_residual.mean(axis=0) + fake_residual.mean(axis=0)
        w, b = w - learning_rate * w_gradient, b - learning_rate * b_gradient
    values = look_ahead_variables(
        critic,
        gan_losses.get("least_squares").discriminator_loss,
        real,
        fake,
        steps,
        learning_rate,
    )
    _assert_all_close(values, [w, b], atol=1e-6)

    # Wasserstein: ∇_w = mean(x_f) - mean(x_r), constant, and ∇_b = 0.
    values = look_ahead_variables(
        critic,
        gan_losses.get("wasserstein").discriminator_loss,
        real,
        fake,
        steps,
        learning_rate,
    )
    expected_kernel = (
        kernel - steps * learning_rate * (fake.mean(0) - real.mean(0))[:, None]
    )
    _assert_all_close(values, [expected_kernel, bias], atol=1e-6)
    # The critic's own variables are never written.
    _assert_all_close(critic.get_weights(), [kernel, bias], atol=0, rtol=0)


def test_look_ahead_of_zero_steps_gives_the_plain_generator_gradient():
    generator = architectures.mlp_generator(
        latent_dim=LATENT_DIM, output_dim=2, hidden_units=(8,), seed=3
    )
    discriminator = architectures.mlp_discriminator(
        input_dim=2, hidden_units=(8,), seed=4
    )
    latents = (
        np.random.default_rng(5).normal(size=(BATCH, LATENT_DIM)).astype("float32")
    )
    loss = gan_losses.get("non_saturating")
    with tf.GradientTape(persistent=True) as tape:
        generated = generator(latents)
        values = look_ahead_variables(
            discriminator, loss.discriminator_loss, _points(), generated, 0, 0.1
        )
        logits, _ = discriminator.stateless_call(values, [], generated)
        unrolled_loss = loss.generator_loss(logits)
        plain_loss = loss.generator_loss(discriminator(generated))
    variables = generator.trainable_variables
    _assert_all_close(
        tape.gradient(unrolled_loss, variables), tape.gradient(plain_loss, variables)
    )


@pytest.mark.parametrize(
    "steps, first_order",
    [(0, False), (2, False), (2, True)],
    ids=["k0", "k2", "k2_first_order"],
)
def test_gan_unrolled_generator_step_equals_the_closed_form(steps, first_order):
    # Linear G (z -> zA + c) and linear critic (x -> x·w + b) with the Wasserstein
    # loss: D's look-ahead is w_k = w - kη (m - r̄), m = mean G(z), r̄ = mean x, and
    # G's loss -mean D_k(G(z)) = -w_k·m - b has
    #   second order: dL/dm = -w + kη (2m - r̄)
    #   first order:  dL/dm = -w_k = -w + kη (m - r̄).
    points = _points(seed=6)
    generator_rate, look_ahead_rate = 0.1, 0.5
    gan = _compile(
        _mlp_gan(hidden_units=()),
        d_learning_rate=0.0,
        g_learning_rate=generator_rate,
        loss="wasserstein",
        unrolled_steps=steps,
        unrolled_learning_rate=look_ahead_rate,
        unrolled_first_order=first_order,
    )
    kernel, bias = _values(gan.generator.trainable_variables)
    w, _ = _values(gan.discriminator.trainable_variables)
    discriminator_before = _values(gan.discriminator.variables)
    _, latents = _latent_draws(2)
    mean_latent = latents.mean(axis=0)
    mean_generated = mean_latent @ kernel + bias
    shift = (
        2 * mean_generated - points.mean(0)
        if not first_order
        else mean_generated - points.mean(0)
    )
    loss_gradient = -w[:, 0] + steps * look_ahead_rate * shift  # dL/dm
    gan.fit(points, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    _assert_all_close(
        _values(gan.generator.trainable_variables),
        [
            kernel - generator_rate * np.outer(mean_latent, loss_gradient),
            bias - generator_rate * loss_gradient,
        ],
        atol=1e-6,
    )
    # The look-ahead never writes D's stored weights (D's own step has rate 0).
    _assert_all_close(_values(gan.discriminator.variables), discriminator_before, 0, 0)
    if steps:
        # The second-order term kη m is not negligible here: the check has power.
        assert np.max(np.abs(steps * look_ahead_rate * mean_generated)) > 1e-2


# --- T16: PacGAN packing --------------------------------------------------------------


def _numpy_pack(samples, degree):
    """Pack i concatenates samples i·m, ..., i·m + m - 1 along the channels."""
    return np.stack(
        [
            np.concatenate([samples[i * degree + j] for j in range(degree)], axis=-1)
            for i in range(len(samples) // degree)
        ]
    )


def test_pack_equals_numpy():
    rng = np.random.default_rng(7)
    images = rng.normal(size=(6, 3, 3, 2)).astype("float32")  # [batch, h, w, c]
    points = rng.normal(size=(6, 2)).astype("float32")  # [batch, 2]
    for samples, degree in [(images, 2), (images, 3), (points, 3), (points, 1)]:
        packed = ops.convert_to_numpy(pack(samples, degree))
        np.testing.assert_array_equal(packed, _numpy_pack(samples, degree))


def test_gan_with_packing_trains_on_packs():
    degree, points = 2, _points()
    seen = []
    discriminator = _recording_discriminator(
        architectures.mlp_discriminator(
            input_dim=2 * degree, hidden_units=(8,), seed=2
        ),
        seen,
    )
    gan = _compile(_mlp_gan(discriminator), packing=degree)
    generator_before = _values(gan.generator.trainable_variables)
    discriminator_before = _values(gan.discriminator.trainable_variables)
    history = gan.fit(points, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_array_equal(seen[0], _numpy_pack(points, degree))
    assert seen[1].shape == (BATCH // degree, 2 * degree)  # packs of fakes
    assert np.isfinite(history.history["d_loss"][0])
    for model, before in [
        (gan.generator, generator_before),
        (gan.discriminator, discriminator_before),
    ]:
        after = _values(model.trainable_variables)
        assert any(
            not np.array_equal(a, b) for a, b in zip(after, before, strict=True)
        ), model.name


def test_packing_with_a_discriminator_of_the_wrong_channels_raises():
    gan = _mlp_gan(input_channels=2)
    with pytest.raises(ValueError) as error:
        gan.compile(packing=2)
    assert str(error.value).startswith(
        "The discriminator's input has 2 input channels; packing needs the "
        "generator's 2 output channels × `packing=2` = 4."
    )
