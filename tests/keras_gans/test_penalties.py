"""Penalties P1-P7 against closed forms, NumPy re-derivations and distributions.

Oracles (TECHNIQUES.md, section P): for a linear critic `D(x) = w·x + b` the input
gradient is `w` at every point, so `‖∇D‖ = ‖w‖` exactly and P2-P6 have closed
forms; ε is uniform on [0, 1] and one per example (Kolmogorov-Smirnov test on the
recorded interpolates); the gradient with respect to D's weights is finite when
the input gradient is exactly zero; clipping bounds hold after `constrain`.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from keras_test_case import mirrored_strategy
from scipy import stats

from keras_gans import penalties

pytestmark = pytest.mark.tensorflow_only

# Relative tolerance of float32 closed forms (the 1e-10 under the root included).
RTOL = 1e-5
# Significance level of the distribution tests.
P_VALUE = 0.01


# --- Critics with a known input gradient ----------------------------------------------


def _linear_critic(weights, bias=0.3):
    """`D(x) = w·flatten(x) + b` as a Keras model; `weights` has the input's shape."""
    weights = np.asarray(weights, "float32")
    critic = keras.Sequential(
        [keras.Input(weights.shape), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    critic.set_weights([weights.reshape(-1, 1), np.array([bias], "float32")])
    return critic


class _RecordingCritic:
    """Wraps a critic and keeps (eagerly) every input it is called on."""

    def __init__(self, critic):
        self.critic = critic
        self.inputs = []

    def __call__(self, inputs, training=False):
        self.inputs.append(ops.convert_to_numpy(inputs))
        return self.critic(inputs, training=training)


def _images(shape, seed):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _seeds(seed=0):
    return keras.random.SeedGenerator(seed)


# NumPy closed forms for a linear critic, as functions of ‖w‖.
CLOSED_FORMS = {
    "gp": lambda norm: (norm - 1.0) ** 2,
    "dragan": lambda norm: (norm - 1.0) ** 2,
    "r1": lambda norm: norm**2,
    "r2": lambda norm: norm**2,
    "zero_gp": lambda norm: norm**2,
}
FUNCTIONS = {
    "gp": penalties.wasserstein_gradient_penalty,
    "dragan": penalties.dragan_penalty,
    "r1": penalties.r1_penalty,
    "r2": penalties.r2_penalty,
    "zero_gp": penalties.zero_centered_gradient_penalty,
}
# The weight each class puts in front of the value with default arguments.
DEFAULT_WEIGHTS = {"gp": 10.0, "dragan": 10.0, "r1": 5.0, "r2": 5.0, "zero_gp": 10.0}


# --- P2-P6: closed forms on a linear critic -------------------------------------------


@pytest.mark.parametrize("input_shape", [(2,), (3, 3, 2)], ids=["points", "images"])
def test_gradient_penalties_equal_closed_forms_on_linear_critic(input_shape):
    direction = _images(input_shape, seed=1)
    real_images = _images((6, *input_shape), seed=2)
    generated_images = _images((6, *input_shape), seed=3)
    for scale in (0.4, 2.5):  # ‖w‖ below and above 1
        weights = scale * direction / np.linalg.norm(direction)
        norm = np.linalg.norm(weights.astype("float64"))
        critic = _linear_critic(weights)
        for name, function in FUNCTIONS.items():
            expected = CLOSED_FORMS[name](norm)
            value = function(critic, real_images, generated_images, _seeds())
            np.testing.assert_allclose(float(value), expected, rtol=RTOL, err_msg=name)
            term, logged = penalties.get(name)(
                critic, None, real_images, generated_images, _seeds(), step=0
            )
            np.testing.assert_allclose(float(logged), expected, rtol=RTOL)
            np.testing.assert_allclose(
                float(term), DEFAULT_WEIGHTS[name] * expected, rtol=RTOL, err_msg=name
            )


def test_one_sided_gradient_penalty_penalises_only_norms_above_one():
    points = _images((6, 2), seed=4)
    for scale in (0.4, 2.5):
        critic = _linear_critic(np.array([0.6, 0.8], "float32") * scale)  # ‖w‖=scale
        value = penalties.wasserstein_gradient_penalty(
            critic, points, -points, _seeds(), one_sided=True
        )
        expected = max(0.0, scale - 1.0) ** 2
        np.testing.assert_allclose(float(value), expected, atol=1e-6)
        _, logged = penalties.GradientPenalty(one_sided=True)(
            critic, None, points, -points, _seeds()
        )
        np.testing.assert_allclose(float(logged), expected, atol=1e-6)


def test_patch_discriminator_gradient_sums_each_example_map():
    # A 1x1 convolution scores each pixel `k·x[i, j] + b`; the documented gradient
    # is that of the sum of the map, `k` at every pixel: ‖∇‖² = h * w * ‖k‖².
    kernel = np.array([0.5, -1.5], "float32")
    critic = keras.Sequential([keras.Input((4, 3, 2)), keras.layers.Conv2D(1, 1)])
    critic.set_weights([kernel.reshape(1, 1, 2, 1), np.zeros(1, "float32")])
    value = penalties.r1_penalty(critic, _images((5, 4, 3, 2), seed=5))
    np.testing.assert_allclose(float(value), 4 * 3 * np.sum(kernel**2), rtol=RTOL)


def test_penalty_of_mixed_precision_critic_is_float32_and_close():
    keras.config.set_dtype_policy("mixed_float16")
    weights = np.array([1.5, -2.0], "float32")
    critic = _linear_critic(weights)
    points = _images((8, 2), seed=6)
    value = penalties.wasserstein_gradient_penalty(critic, points, -points, _seeds())
    assert keras.backend.standardize_dtype(value.dtype) == "float32"
    np.testing.assert_allclose(float(value), (2.5 - 1.0) ** 2, rtol=1e-2)


# --- ε: uniform, one per example ------------------------------------------------------


@pytest.mark.parametrize("name", ["gp", "zero_gp"])
@pytest.mark.parametrize("input_shape", [(2,), (2, 2, 3)], ids=["points", "images"])
def test_interpolation_coefficient_is_uniform_and_one_per_example(name, input_shape):
    # Real = 0 and fake = 1, so x̂ = ε·0 + (1 - ε)·1 reveals ε = 1 - x̂.
    batch_size = 2000
    critic = _RecordingCritic(_linear_critic(np.ones(input_shape)))
    FUNCTIONS[name](
        critic,
        np.zeros((batch_size, *input_shape), "float32"),
        np.ones((batch_size, *input_shape), "float32"),
        _seeds(7),
    )
    (interpolates,) = critic.inputs
    epsilon = 1.0 - interpolates.reshape(batch_size, -1).astype("float64")
    # Constant within each example (not per pixel) ...
    np.testing.assert_array_equal(epsilon.max(axis=1), epsilon.min(axis=1))
    epsilon = epsilon[:, 0]
    # ... different across examples ...
    assert len(np.unique(epsilon)) > 0.99 * batch_size
    # ... and uniform on [0, 1] (not normal: no values outside, flat histogram).
    assert epsilon.min() >= 0.0 and epsilon.max() <= 1.0
    assert stats.kstest(epsilon, "uniform").pvalue > P_VALUE
    assert abs(epsilon.mean() - 0.5) < 0.02  # 3 standard errors of the mean
    assert abs(epsilon.var() - 1.0 / 12.0) < 0.006  # ~3.5 standard errors


def test_dragan_points_lie_between_data_and_scalar_std_perturbation():
    # Two features with very different spreads: the bound uses the scalar std of the
    # whole batch (Kodali's reference code), not a per-feature std.
    scale = 0.5
    rng = np.random.default_rng(8)
    real = np.stack(
        [rng.normal(0.0, 10.0, 1000), rng.normal(0.0, 0.1, 1000)], axis=1
    ).astype("float32")
    critic = _RecordingCritic(_linear_critic(np.ones(2)))
    penalties.dragan_penalty(critic, real, None, _seeds(9), perturbation_scale=scale)
    (points,) = critic.inputs
    offsets = points.astype("float64") - real  # α · c · std · u
    bound = scale * real.astype("float64").std()
    assert np.all(offsets >= -1e-5)
    assert np.all(offsets <= bound * (1 + 1e-5))
    # The small feature moves by far more than its own std allows.
    assert offsets[:, 1].max() > 10 * scale * real[:, 1].std()
    ratios = offsets / bound  # α · u, α per example, u per element
    assert ratios.max() > 0.95
    np.testing.assert_allclose(ratios.mean(), 0.25, atol=0.03)  # E[α] E[u]
    # u is per element: the two coordinates of an example move by different amounts.
    assert np.mean(np.abs(ratios[:, 0] - ratios[:, 1]) > 1e-3) > 0.9


# --- Gradients with respect to D's weights --------------------------------------------


def _weight_gradients(function, critic, real_images, generated_images):
    with tf.GradientTape() as tape:
        value = function(critic, real_images, generated_images, _seeds())
    return [
        ops.convert_to_numpy(gradient)
        for gradient in tape.gradient(
            value,
            [variable.value for variable in critic.trainable_variables],
            # The bias does not reach the input gradient: its gradient is 0.
            unconnected_gradients=tf.UnconnectedGradients.ZERO,
        )
    ]


def test_weight_gradient_is_finite_when_input_gradient_is_zero():
    critic = _linear_critic(np.zeros((2, 2, 1)))  # ∇_x D = 0 everywhere
    images = _images((4, 2, 2, 1), seed=10)
    for name, function in FUNCTIONS.items():
        kernel_gradient, bias_gradient = _weight_gradients(
            function, critic, images, -images
        )
        # d/dw of f(‖w‖²) is f'(‖w‖²) · 2w = 0 at w = 0, for every penalty here.
        np.testing.assert_array_equal(kernel_gradient, np.zeros((4, 1)), err_msg=name)
        np.testing.assert_array_equal(bias_gradient, np.zeros(1), err_msg=name)
    one_sided_gradients = _weight_gradients(
        lambda *args: penalties.wasserstein_gradient_penalty(*args, one_sided=True),
        critic,
        images,
        -images,
    )
    assert all(np.all(np.isfinite(gradient)) for gradient in one_sided_gradients)


def test_second_order_gradient_equals_analytic_derivative():
    weights = np.array([0.3, -1.2], "float32")
    critic = _linear_critic(weights)
    points = _images((8, 2), seed=11)
    w = weights.astype("float64")
    one_centered = 2 * (np.linalg.norm(w) - 1) * w / np.linalg.norm(w)  # d(‖w‖-1)²
    zero_centered = 2 * w  # d‖w‖²
    analytic = {
        "gp": one_centered,
        "dragan": one_centered,
        "r1": zero_centered,
        "r2": zero_centered,
        "zero_gp": zero_centered,
    }
    for name, function in FUNCTIONS.items():
        kernel_gradient, bias_gradient = _weight_gradients(
            function, critic, points, -points
        )
        np.testing.assert_allclose(
            kernel_gradient[:, 0], analytic[name], rtol=1e-5, err_msg=name
        )
        np.testing.assert_allclose(bias_gradient, [0.0], atol=1e-7, err_msg=name)


# --- P4 lazy regularisation -----------------------------------------------------------


def test_lazy_r1_applies_every_interval_steps_with_scaled_weight():
    weights = np.array([1.0, 2.0], "float32")  # ‖w‖² = 5
    critic = _RecordingCritic(_linear_critic(weights))
    penalty = penalties.R1Penalty(gamma=10.0, interval=4)
    points = _images((4, 2), seed=12)
    for step in range(9):
        calls_before = len(critic.inputs)
        term, value = penalty(critic, None, points, None, None, step=tf.constant(step))
        if step % 4 == 0:
            np.testing.assert_allclose(float(value), 5.0, rtol=RTOL)
            np.testing.assert_allclose(float(term), 5.0 * 4 * 5.0, rtol=RTOL)
            assert len(critic.inputs) == calls_before + 1
        else:
            assert float(term) == 0.0 and float(value) == 0.0
            assert len(critic.inputs) == calls_before, "D was called on a skipped step"
        assert bool(penalty.applies_at(step)) == (step % 4 == 0)


def test_lazy_r1_in_a_graph_gives_second_order_gradient_on_applied_steps_only():
    weights = np.array([1.0, 2.0], "float32")
    critic = _linear_critic(weights)
    penalty = penalties.R1Penalty(gamma=2.0, interval=3)  # weight 1, times 3
    points = _images((4, 2), seed=13)

    @tf.function
    def kernel_gradient(step):
        with tf.GradientTape() as tape:
            term, _ = penalty(critic, None, points, None, None, step=step)
        return tape.gradient(term, critic.trainable_variables[0])

    np.testing.assert_allclose(
        kernel_gradient(tf.constant(6, "int64")).numpy()[:, 0], 3 * 2 * weights
    )
    np.testing.assert_array_equal(
        kernel_gradient(tf.constant(7, "int64")).numpy(), np.zeros((2, 1))
    )


def test_lazy_penalty_needs_a_step():
    with pytest.raises(ValueError, match="`step`"):
        penalties.R2Penalty(interval=2)(
            _linear_critic(np.ones(2)), None, None, np.ones((2, 2)), None
        )


# --- P7 orthogonal regularisation -----------------------------------------------------


def _orthogonal_oracle(kernel):
    matrix = np.asarray(kernel, "float64").reshape(-1, kernel.shape[-1])
    gram = matrix.T @ matrix
    return np.sum((gram * (1.0 - np.eye(gram.shape[0]))) ** 2)


def test_orthogonal_regularization_is_zero_for_orthonormal_columns():
    orthonormal, _ = np.linalg.qr(_images((6, 4), seed=14))
    value = penalties.orthogonal_regularization([orthonormal.astype("float32")])
    np.testing.assert_allclose(float(value), 0.0, atol=1e-5)
    # Orthogonal but not normalised columns: the diagonal is not penalised.
    scaled = orthonormal * np.array([0.5, 1.0, 2.0, 3.0])
    value = penalties.orthogonal_regularization([scaled.astype("float32")])
    np.testing.assert_allclose(float(value), 0.0, atol=1e-4)


def test_orthogonal_regularization_equals_numpy():
    # Dense, wide Dense (out > fan_in), convolution, wide 1x1 convolution.
    kernels = [
        _images(shape, seed=15)
        for shape in [(5, 3), (3, 7), (3, 3, 2, 4), (1, 1, 2, 6)]
    ]
    for kernel in kernels:
        value = penalties.orthogonal_regularization([kernel])
        np.testing.assert_allclose(float(value), _orthogonal_oracle(kernel), rtol=1e-4)
    total = penalties.orthogonal_regularization(kernels)
    expected = sum(_orthogonal_oracle(kernel) for kernel in kernels)
    np.testing.assert_allclose(float(total), expected, rtol=1e-4)
    assert float(penalties.orthogonal_regularization([])) == 0.0


def test_orthogonal_regularization_gradient_equals_analytic():
    # d/dW ‖WᵀW ⊙ M‖²_F = 4 W (WᵀW ⊙ M) for the symmetric mask M = 1 - I.
    for shape in [(5, 3), (3, 7)]:  # both ways of computing the value
        kernel = _images(shape, seed=16).astype("float64")
        variable = keras.Variable(kernel.astype("float32"))
        with tf.GradientTape() as tape:
            value = penalties.orthogonal_regularization([variable])
        gradient = tape.gradient(value, variable.value).numpy()
        mask = 1.0 - np.eye(shape[1])
        np.testing.assert_allclose(
            gradient, 4.0 * kernel @ ((kernel.T @ kernel) * mask), rtol=1e-4, atol=1e-4
        )


def test_orthogonal_regularization_uses_generator_kernels_only():
    generator = keras.Sequential(
        [
            keras.Input((2,), dtype="int32"),
            keras.layers.Embedding(10, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(),
            keras.layers.Reshape((2, 2, 1)),
            keras.layers.Conv2D(3, 2, padding="same"),
        ]
    )
    dense_kernel = generator.layers[2].kernel.numpy()
    conv_kernel = generator.layers[5].kernel.numpy()
    assert [variable.path for variable in penalties.generator_kernels(generator)] == [
        generator.layers[2].kernel.path,
        generator.layers[5].kernel.path,
    ]
    penalty = penalties.OrthogonalRegularization(beta=1e-3)
    assert penalty.player == "generator"
    term, value = penalty(None, generator, None, None, None)
    expected = _orthogonal_oracle(dense_kernel) + _orthogonal_oracle(conv_kernel)
    np.testing.assert_allclose(float(value), expected, rtol=1e-4)
    np.testing.assert_allclose(float(term), 1e-3 * expected, rtol=1e-4)


# --- P1 weight clipping ---------------------------------------------------------------


def _critic_with_large_weights():
    critic = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1),
        ]
    )
    rng = np.random.default_rng(17)
    critic.set_weights(
        [rng.normal(0.0, 0.05, weight.shape) for weight in critic.get_weights()]
    )
    return critic


def test_weight_clipping_bounds_every_trainable_weight():
    clip_value = 0.02
    critic = _critic_with_large_weights()
    before = [variable.numpy() for variable in critic.trainable_variables]
    non_trainable_before = [v.numpy() for v in critic.non_trainable_variables]
    penalty = penalties.WeightClipping(clip_value)
    assert not penalty.adds_loss and penalty.player == "discriminator"
    largest = penalty.constrain(critic, None)
    after = [variable.numpy() for variable in critic.trainable_variables]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(new, np.clip(old, -clip_value, clip_value))
    assert float(largest) == np.max([np.max(np.abs(values)) for values in after])
    for variable, old in zip(
        critic.non_trainable_variables, non_trainable_before, strict=True
    ):
        np.testing.assert_array_equal(variable.numpy(), old)
    with pytest.raises(ValueError, match="adds no loss term"):
        penalty(critic, None, None, None, None)


def test_weight_clipping_under_mirrored_strategy_clips_every_replica():
    clip_value = 0.02
    strategy = mirrored_strategy()
    with strategy.scope():
        critic = _critic_with_large_weights()
    penalty = penalties.WeightClipping(clip_value)

    @tf.function
    def constrain():
        return strategy.run(lambda: penalty.constrain(critic, None))

    constrain()
    for variable in critic.trainable_variables:
        replicas = strategy.experimental_local_results(variable.value)
        assert len(replicas) == 2
        for replica in replicas:
            assert np.max(np.abs(replica.numpy())) <= clip_value
        np.testing.assert_array_equal(replicas[0].numpy(), replicas[1].numpy())


# --- tf.distribute: a replica draws its slice of the global batch's randomness --------


@pytest.mark.parametrize("name", ["gp", "dragan", "zero_gp"])
def test_mirrored_penalty_equals_single_device_penalty(name):
    # A nonlinear critic, so the value depends on where ε and u put the points.
    def build_critic():
        return keras.Sequential(
            [
                keras.Input((3,)),
                keras.layers.Dense(8, activation="tanh", kernel_initializer="ones"),
                keras.layers.Dense(1, kernel_initializer="glorot_uniform"),
            ]
        )

    real = _images((8, 3), seed=18)
    fake = _images((8, 3), seed=19)
    keras.utils.set_random_seed(20)
    critic = build_critic()
    single_device = float(FUNCTIONS[name](critic, real, fake, _seeds(21)))

    strategy = mirrored_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(20)
        mirrored_critic = build_critic()
        seed_generator = _seeds(21)

    def halves(array):
        return strategy.experimental_distribute_values_from_function(
            lambda context: array[4 * context.replica_id_in_sync_group :][:4]
        )

    @tf.function
    def per_replica(real_halves, fake_halves):
        return strategy.run(
            lambda r, f: FUNCTIONS[name](mirrored_critic, r, f, seed_generator),
            args=(real_halves, fake_halves),
        )

    values = strategy.experimental_local_results(
        per_replica(halves(real), halves(fake))
    )
    # Each replica's value is the mean over its half; the global mean is their mean.
    np.testing.assert_allclose(
        np.mean([float(v) for v in values]), single_device, rtol=1e-5
    )


# --- Classes, serialization, registry, argument checks --------------------------------

INSTANCES = [
    penalties.WeightClipping(clip_value=0.05),
    penalties.GradientPenalty(weight=5.0, one_sided=True),
    penalties.DraganPenalty(weight=3.0, perturbation_scale=0.25),
    penalties.R1Penalty(gamma=1.0, interval=16),
    penalties.R2Penalty(gamma=0.5, interval=2),
    penalties.ZeroCenteredGradientPenalty(weight=100.0),
    penalties.OrthogonalRegularization(beta=1e-3),
]


def test_config_round_trip():
    for penalty in INSTANCES:
        config = penalty.get_config()
        revived = type(penalty).from_config(config)
        assert type(revived) is type(penalty)
        assert revived.get_config() == config
        assert (revived.weight, revived.interval) == (penalty.weight, penalty.interval)
        serialized = json.dumps(keras.saving.serialize_keras_object(penalty))
        revived = keras.saving.deserialize_keras_object(json.loads(serialized))
        assert type(revived) is type(penalty)
        assert revived.get_config() == config


NAMED = [
    ("clip", penalties.WeightClipping, "clip", "discriminator"),
    ("weight-clipping", penalties.WeightClipping, "clip", "discriminator"),
    ("gp", penalties.GradientPenalty, "gp", "discriminator"),
    ("wgan-gp", penalties.GradientPenalty, "gp", "discriminator"),
    ("WGAN_GP", penalties.GradientPenalty, "gp", "discriminator"),
    ("dragan", penalties.DraganPenalty, "dragan", "discriminator"),
    ("r1", penalties.R1Penalty, "r1", "discriminator"),
    ("r2", penalties.R2Penalty, "r2", "discriminator"),
    ("zero-gp", penalties.ZeroCenteredGradientPenalty, "zero_gp", "discriminator"),
    ("zero_gp", penalties.ZeroCenteredGradientPenalty, "zero_gp", "discriminator"),
    ("orthogonal", penalties.OrthogonalRegularization, "orthogonal", "generator"),
]


def test_get_by_name():
    for identifier, cls, log_key, player in NAMED:
        penalty = penalties.get(identifier)
        assert type(penalty) is cls
        assert (penalty.name, penalty.player) == (log_key, player)
        assert penalty.get_config() == cls().get_config()


def test_get_returns_instances_and_rejects_unknown_names():
    penalty = penalties.GradientPenalty(weight=1.0)
    assert penalties.get(penalty) is penalty
    assert penalties.get("gp") is not penalties.get("gp")
    assert penalties.names() == [
        "clip",
        "gp",
        "dragan",
        "r1",
        "r2",
        "zero_gp",
        "orthogonal",
    ]
    with pytest.raises(ValueError, match="Unknown penalty") as error:
        penalties.get("spectral")
    for name in penalties.names():
        assert name in str(error.value)


def test_defaults_are_the_papers():
    assert penalties.WeightClipping().clip_value == 0.01
    assert penalties.GradientPenalty().weight == 10.0
    assert penalties.DraganPenalty().get_config() == {
        "weight": 10.0,
        "perturbation_scale": 0.5,
    }
    assert (penalties.R1Penalty().gamma, penalties.R1Penalty().weight) == (10.0, 5.0)
    assert penalties.OrthogonalRegularization().weight == 1e-4


BAD_ARGUMENTS = [
    (lambda: penalties.WeightClipping(clip_value=0), "clip_value"),
    (lambda: penalties.WeightClipping(clip_value=-0.01), "clip_value"),
    (lambda: penalties.GradientPenalty(weight=-1.0), "weight"),
    (lambda: penalties.GradientPenalty(weight="10"), "weight"),
    (lambda: penalties.GradientPenalty(one_sided=1), "one_sided"),
    (lambda: penalties.DraganPenalty(perturbation_scale=0.0), "perturbation_scale"),
    (lambda: penalties.R1Penalty(gamma=0.0), "gamma"),
    (lambda: penalties.R1Penalty(interval=0), "interval"),
    (lambda: penalties.R2Penalty(interval=2.5), "interval"),
    (lambda: penalties.R2Penalty(interval=True), "interval"),
    (lambda: penalties.ZeroCenteredGradientPenalty(weight=float("nan")), "weight"),
    (lambda: penalties.OrthogonalRegularization(beta=-1e-4), "beta"),
    (lambda: penalties.clip_weights([], clip_value=-1), "clip_value"),
    (
        lambda: penalties.wasserstein_gradient_penalty(
            None, None, None, None, target=-1.0
        ),
        "target",
    ),
]


def test_bad_arguments_raise_value_error_naming_them():
    for build, argument in BAD_ARGUMENTS:
        with pytest.raises(ValueError, match=f"`{argument}`"):
            build()
