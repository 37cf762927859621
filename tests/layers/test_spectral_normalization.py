"""Tests for `layers.spectral_normalization.SpectralNormalization`.

Oracles: the largest singular value from `np.linalg.svd`, the power iteration
written in NumPy from the paper (Miyato et al., 2018, Algorithm 1), and the
analytic gradient of W / sigma(W) with u and v held constant.
"""

import keras
import numpy as np
import pytest
from keras_gans.layers.spectral_normalization import SpectralNormalization
from keras_test_case import TestCase

EPSILON = 1e-12


def numpy_power_iteration(W, u, steps):
    """Algorithm 1 of the paper for W laid out [out, fan_in]; returns u, v, sigma."""
    for _ in range(steps):
        v = W.T @ u
        v = v / (np.linalg.norm(v) + EPSILON)
        u = W @ v
        u = u / (np.linalg.norm(u) + EPSILON)
    return u, v, u @ W @ v


def paper_matrix(layer):
    """The wrapped layer's kernel as the paper's W: one row per output unit."""
    if isinstance(layer, keras.layers.Embedding):
        return np.asarray(layer.embeddings).T  # [dim, vocab]
    kernel = np.asarray(layer.kernel)
    if isinstance(
        layer,
        (
            keras.layers.Conv1DTranspose,
            keras.layers.Conv2DTranspose,
            keras.layers.Conv3DTranspose,
        ),
    ):
        # [..spatial.., out, in] -> [out, ..spatial.., in]
        return np.moveaxis(kernel, -2, 0).reshape(kernel.shape[-2], -1)
    # [..spatial.., in, out] -> [out, ..spatial.., in]
    return np.moveaxis(kernel, -1, 0).reshape(kernel.shape[-1], -1)


# Each case: a builder of the wrapped layer (no bias, so the wrapped output is
# linear in the kernel) and an input that reaches every kernel entry.
LAYER_CASES = {
    "dense": (
        lambda: keras.layers.Dense(6, use_bias=False),
        lambda: np.random.RandomState(0).normal(size=(4, 10)).astype("float32"),
    ),
    "conv1d": (
        lambda: keras.layers.Conv1D(4, 3, use_bias=False),
        lambda: np.random.RandomState(0).normal(size=(2, 7, 3)).astype("float32"),
    ),
    "conv3d": (
        lambda: keras.layers.Conv3D(3, 2, use_bias=False),
        lambda: np.random.RandomState(0).normal(size=(2, 3, 3, 3, 2)).astype("float32"),
    ),
    "conv2d": (
        lambda: keras.layers.Conv2D(4, 3, use_bias=False),
        lambda: np.random.RandomState(0).normal(size=(2, 6, 6, 3)).astype("float32"),
    ),
    "conv2d_transpose": (
        lambda: keras.layers.Conv2DTranspose(5, 3, strides=2, use_bias=False),
        lambda: np.random.RandomState(0).normal(size=(2, 4, 4, 2)).astype("float32"),
    ),
    "conv1d_transpose": (
        lambda: keras.layers.Conv1DTranspose(4, 3, strides=2, use_bias=False),
        lambda: np.random.RandomState(0).normal(size=(2, 5, 3)).astype("float32"),
    ),
    "conv3d_transpose": (
        lambda: keras.layers.Conv3DTranspose(3, 2, use_bias=False),
        lambda: np.random.RandomState(0).normal(size=(2, 2, 2, 2, 4)).astype("float32"),
    ),
    "embedding": (
        lambda: keras.layers.Embedding(12, 5),
        lambda: np.arange(12).reshape(3, 4),
    ),
}


def measured_sigma(wrapper, inputs, training=False):
    """sigma used by the wrapper: the raw layer's output over the wrapper's.

    The wrapped layer never has its kernel overwritten, so calling it directly
    gives the output with W; the wrapper gives the output with W / sigma.
    """
    normalized = np.asarray(wrapper(inputs, training=training), dtype="float64")
    raw = np.asarray(wrapper.layer(inputs), dtype="float64")
    return float(np.sum(raw * normalized) / np.sum(normalized * normalized))


def weighted_sum_gradients(layer, inputs, output_weights, training):
    """d sum(layer(inputs) * output_weights) / d each trainable variable.

    `tf.GradientTape` on the TensorFlow backend, `jax.grad` over
    `layer.stateless_call` on the JAX backend; NumPy arrays in the order of
    `layer.trainable_variables`.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(inputs, training=training) * output_weights)
        variables = [variable.value for variable in layer.trainable_variables]
        return [gradient.numpy() for gradient in tape.gradient(loss, variables)]
    import jax

    trainable = [variable.value for variable in layer.trainable_variables]
    non_trainable = [variable.value for variable in layer.non_trainable_variables]

    def loss(trainable_values):
        outputs, _ = layer.stateless_call(
            trainable_values, non_trainable, inputs, training=training
        )
        return jax.numpy.sum(outputs * output_weights)

    return [np.asarray(gradient) for gradient in jax.grad(loss)(trainable)]


class TestSpectralNormalizationOracles:
    @pytest.mark.parametrize("case", sorted(LAYER_CASES))
    def test_sigma_converges_to_largest_singular_value(self, case):
        make_layer, make_inputs = LAYER_CASES[case]
        inputs = make_inputs()
        errors = []
        for power_iterations in (1, 5, 20, 100):
            keras.utils.set_random_seed(7)  # same kernel for every count
            wrapper = SpectralNormalization(
                make_layer(), power_iterations=power_iterations, seed=3
            )
            sigma = measured_sigma(wrapper, inputs)
            largest = np.linalg.svd(paper_matrix(wrapper.layer), compute_uv=False)[0]
            errors.append(abs(sigma - largest) / largest)
        # Power iteration from the same start: the estimate only improves.
        assert np.all(np.diff(errors) <= 1e-6), errors
        assert errors[-1] < 1e-4, errors
        assert errors[0] > errors[-1], errors

    @pytest.mark.parametrize("case", sorted(LAYER_CASES))
    def test_sigma_equals_numpy_power_iteration(self, case):
        make_layer, make_inputs = LAYER_CASES[case]
        wrapper = SpectralNormalization(make_layer(), power_iterations=2, seed=5)
        wrapper.build(make_inputs().shape)
        u_start = np.asarray(wrapper.u)
        sigma = measured_sigma(wrapper, make_inputs())
        _, _, expected = numpy_power_iteration(paper_matrix(wrapper.layer), u_start, 2)
        np.testing.assert_allclose(sigma, expected, rtol=1e-5)

    def test_u_changes_only_in_training_and_once_per_call(self):
        wrapper = SpectralNormalization(
            keras.layers.Dense(6, use_bias=False), power_iterations=3, seed=11
        )
        inputs = np.random.RandomState(1).normal(size=(4, 10)).astype("float32")
        wrapper(inputs, training=False)
        u_start = np.asarray(wrapper.u).copy()
        W = paper_matrix(wrapper.layer)

        wrapper(inputs, training=False)
        # Without `training` (a hand-written train step that forgets it): inference
        # mode, and a warning, once per layer.
        with pytest.warns(UserWarning, match="without a `training` argument") as caught:
            wrapper(inputs)
            wrapper(inputs)
        assert len(caught) == 1
        np.testing.assert_array_equal(np.asarray(wrapper.u), u_start)

        wrapper(inputs, training=True)
        u_once, _, _ = numpy_power_iteration(W, u_start, 3)
        np.testing.assert_allclose(np.asarray(wrapper.u), u_once, atol=1e-6)

        wrapper(inputs, training=True)
        u_twice, _, _ = numpy_power_iteration(W, u_once, 3)
        np.testing.assert_allclose(np.asarray(wrapper.u), u_twice, atol=1e-6)

    def test_normalized_kernel_has_unit_spectral_norm_after_training_calls(self):
        wrapper = SpectralNormalization(keras.layers.Dense(6, use_bias=False), seed=2)
        inputs = np.random.RandomState(2).normal(size=(4, 10)).astype("float32")
        wrapper(inputs, training=False)
        kernel_before = np.asarray(wrapper.layer.kernel).copy()
        for _ in range(60):
            wrapper(inputs, training=True)
        # On the identity the Dense layer outputs its (normalised) kernel.
        normalized_kernel = np.asarray(
            wrapper(np.eye(10, dtype="float32"), training=False)
        )
        largest = np.linalg.svd(normalized_kernel, compute_uv=False)[0]
        np.testing.assert_allclose(largest, 1.0, atol=1e-4)
        np.testing.assert_array_equal(np.asarray(wrapper.layer.kernel), kernel_before)

    def test_normalized_kernel_has_unit_spectral_norm_while_the_kernel_trains(self):
        wrapper = SpectralNormalization(keras.layers.Dense(16, use_bias=False), seed=5)
        model = keras.Sequential([keras.Input(shape=(32,)), wrapper])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        random = np.random.RandomState(10)
        inputs = random.normal(size=(64, 32)).astype("float32")
        targets = random.normal(size=(64, 16)).astype("float32")

        def spectral_norm_of_normalized_kernel():
            # W / sigma_est, sigma_est from one power iteration step from the
            # layer's current u, as the layer computes it.
            W = paper_matrix(wrapper.layer).astype("float64")
            u = np.asarray(wrapper.u, dtype="float64")
            _, _, sigma_estimate = numpy_power_iteration(W, u, 1)
            return np.linalg.svd(W / sigma_estimate, compute_uv=False)[0]

        kernel_before = np.asarray(wrapper.layer.kernel).copy()
        largest_before = np.linalg.svd(kernel_before, compute_uv=False)[0]
        # From the random initial u the estimate is far off.
        assert spectral_norm_of_normalized_kernel() > 1.2
        model.fit(inputs, targets, batch_size=8, epochs=2, verbose=0)
        kernel_after = np.asarray(wrapper.layer.kernel)
        largest_after = np.linalg.svd(kernel_after, compute_uv=False)[0]
        # The optimizer moved W, and its spectral norm with it.
        assert np.max(np.abs(kernel_after - kernel_before)) > 0.05
        assert largest_after > 1.1 * largest_before
        # u tracked the moving W: W / sigma_est has spectral norm about 1.
        np.testing.assert_allclose(spectral_norm_of_normalized_kernel(), 1.0, rtol=0.05)

    @pytest.mark.parametrize("jit_compile", [False, True])
    def test_fit_advances_u_once_per_step_and_keeps_kernel(self, jit_compile):
        wrapper = SpectralNormalization(
            keras.layers.Dense(4, use_bias=False), power_iterations=2, seed=6
        )
        model = keras.Sequential([keras.Input(shape=(5,)), wrapper])
        # A zero learning rate keeps W fixed, so u follows the NumPy oracle.
        model.compile(
            optimizer=keras.optimizers.SGD(0.0), loss="mse", jit_compile=jit_compile
        )
        u_start = np.asarray(wrapper.u).astype("float64")
        kernel = np.asarray(wrapper.layer.kernel).copy()
        random = np.random.RandomState(7)
        inputs = random.normal(size=(6, 5)).astype("float32")
        targets = random.normal(size=(6, 4)).astype("float32")
        model.fit(inputs, targets, batch_size=3, epochs=1, shuffle=False, verbose=0)
        # Two batches: two training calls of two power iteration steps each.
        expected, _, _ = numpy_power_iteration(kernel.T, u_start, 4)
        np.testing.assert_allclose(np.asarray(wrapper.u), expected, atol=1e-6)
        np.testing.assert_array_equal(np.asarray(wrapper.layer.kernel), kernel)
        model.predict(inputs, verbose=0)
        np.testing.assert_allclose(np.asarray(wrapper.u), expected, atol=1e-6)

    def test_bias_and_activation_of_wrapped_layer_apply(self):
        wrapper = SpectralNormalization(
            keras.layers.Dense(3, activation="relu", bias_initializer="random_normal"),
            power_iterations=50,
        )
        inputs = np.random.RandomState(3).normal(size=(5, 4)).astype("float32")
        outputs = np.asarray(wrapper(inputs, training=False))
        kernel = np.asarray(wrapper.layer.kernel)
        bias = np.asarray(wrapper.layer.bias)
        largest = np.linalg.svd(kernel, compute_uv=False)[0]
        expected = np.maximum(inputs @ (kernel / largest) + bias, 0.0)
        np.testing.assert_allclose(outputs, expected, atol=1e-5)

    def test_keras_spectral_normalization_overwrites_kernel_ours_does_not(self):
        inputs = np.random.RandomState(4).normal(size=(4, 10)).astype("float32")
        ours = SpectralNormalization(keras.layers.Dense(6, use_bias=False))
        theirs = keras.layers.SpectralNormalization(
            keras.layers.Dense(6, use_bias=False)
        )
        ours(inputs, training=False)
        theirs(inputs)
        theirs.layer.kernel.assign(ours.layer.kernel)
        kernel = np.asarray(ours.layer.kernel).copy()

        ours(inputs, training=True)
        theirs(inputs, training=True)
        np.testing.assert_array_equal(np.asarray(ours.layer.kernel), kernel)
        their_kernel = np.asarray(theirs.layer.kernel)
        assert not np.allclose(their_kernel, kernel)
        # Theirs now stores W / sigma: the same direction, a smaller scale.
        ratio = kernel / their_kernel
        np.testing.assert_allclose(ratio, np.full_like(ratio, ratio.flat[0]), rtol=1e-5)

    def test_zero_kernel_gives_zero_output_not_nan(self):
        wrapper = SpectralNormalization(
            keras.layers.Dense(3, kernel_initializer="zeros", use_bias=False)
        )
        outputs = np.asarray(wrapper(np.ones((2, 4), dtype="float32"), training=True))
        np.testing.assert_array_equal(outputs, np.zeros((2, 3)))
        assert np.all(np.isfinite(np.asarray(wrapper.u)))

    def test_activity_regularizer_loss_of_wrapped_layer_is_kept(self):
        wrapper = SpectralNormalization(
            keras.layers.Dense(
                3, use_bias=False, activity_regularizer=keras.regularizers.L2(1.0)
            ),
            power_iterations=50,
        )
        inputs = np.random.RandomState(5).normal(size=(4, 5)).astype("float32")
        outputs = np.asarray(wrapper(inputs, training=False))
        (loss,) = wrapper.losses
        # Keras divides the activity loss by the batch size.
        np.testing.assert_allclose(np.asarray(loss), np.sum(outputs**2) / 4, rtol=1e-5)

    def test_statistics_in_float32_under_mixed_precision(self):
        keras.config.set_dtype_policy("mixed_float16")
        wrapper = SpectralNormalization(
            keras.layers.Dense(6, use_bias=False), power_iterations=100, seed=1
        )
        inputs = np.random.RandomState(6).normal(size=(4, 10)).astype("float32")
        wrapper.build(inputs.shape)
        u_start = np.asarray(wrapper.u).astype("float64")
        outputs = wrapper(inputs, training=True)
        assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
        assert wrapper.u.dtype == "float32"
        assert wrapper.layer.kernel.dtype == "float32"
        W = np.asarray(wrapper.layer.kernel, dtype="float64").T
        u_expected, _, _ = numpy_power_iteration(W, u_start, 100)
        # A power iteration on the float16 kernel would be off by ~1e-3.
        np.testing.assert_allclose(np.asarray(wrapper.u), u_expected, atol=1e-5)

    def test_gradient_equals_analytic_gradient_of_w_over_sigma(self):
        random = np.random.RandomState(8)
        inputs = random.normal(size=(3, 7)).astype("float32")
        output_weights = random.normal(size=(3, 5)).astype("float32")
        wrapper = SpectralNormalization(
            keras.layers.Dense(5, use_bias=False), power_iterations=2, seed=4
        )
        wrapper(inputs, training=False)
        u_start = np.asarray(wrapper.u).copy()
        (gradient,) = weighted_sum_gradients(
            wrapper, inputs, output_weights, training=True
        )

        kernel = np.asarray(wrapper.layer.kernel, dtype="float64")  # [in, out]
        u, v, sigma = numpy_power_iteration(kernel.T, u_start.astype("float64"), 2)
        normalized_kernel = kernel / sigma
        # G = dL/dW_bar for L = sum((x W_bar) * R); in the kernel layout the
        # paper's u v^T becomes v u^T.
        G = inputs.T.astype("float64") @ output_weights
        expected = (G - np.sum(G * normalized_kernel) * np.outer(v, u)) / sigma
        np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-5)
        # Without the term through sigma the gradient would be G / sigma.
        assert not np.allclose(gradient, G / sigma, rtol=1e-2, atol=1e-3)

    @pytest.mark.tensorflow_only
    def test_keras_spectral_normalization_gradient_lacks_sigma_term(self):
        import tensorflow as tf

        random = np.random.RandomState(9)
        inputs = random.normal(size=(3, 7)).astype("float32")
        output_weights = random.normal(size=(3, 5)).astype("float32")
        theirs = keras.layers.SpectralNormalization(
            keras.layers.Dense(5, use_bias=False)
        )
        theirs(inputs)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(theirs(inputs, training=True) * output_weights)
        gradient = tape.gradient(loss, theirs.layer.kernel.value).numpy()
        # Theirs differentiates the loss with respect to the stored W / sigma,
        # as if it were a free parameter: G, with neither 1 / sigma nor the
        # projection term.
        np.testing.assert_allclose(gradient, inputs.T @ output_weights, rtol=1e-5)

    def test_dtype_policy_defaults_to_the_wrapped_layers(self):
        wrapper = SpectralNormalization(keras.layers.Dense(2, dtype="mixed_float16"))
        outputs = wrapper(np.ones((3, 4), dtype="float32"), training=False)
        assert wrapper.compute_dtype == "float16"
        assert keras.backend.standardize_dtype(outputs.dtype) == "float16"

    def test_rejects_layer_without_kernel(self):
        wrapper = SpectralNormalization(keras.layers.Flatten())
        with pytest.raises(ValueError, match="Flatten"):
            wrapper(np.ones((2, 3, 4), dtype="float32"))

    @pytest.mark.parametrize(
        "kwargs, name",
        [
            ({"power_iterations": 0}, "power_iterations"),
            ({"power_iterations": 1.5}, "power_iterations"),
            ({"epsilon": 0.0}, "epsilon"),
            ({"seed": "one"}, "seed"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs, name):
        with pytest.raises(ValueError, match=f"`{name}="):
            SpectralNormalization(keras.layers.Dense(2), **kwargs)


def wrapped(make_layer):
    """A SpectralNormalization factory for the harness: a fresh wrapped layer per
    call, with the same dtype policy as the wrapper."""

    def make(dtype=None, **kwargs):
        return SpectralNormalization(make_layer(dtype), dtype=dtype, **kwargs)

    return make


# The harness calls layers as `layer(x)`, without `training`.
@pytest.mark.filterwarnings("ignore:SpectralNormalization .* without a `training`")
class TestSpectralNormalizationHarness(TestCase):
    def test_layer_with_dense(self):
        self.run_layer_test(
            wrapped(lambda dtype: keras.layers.Dense(3, dtype=dtype)),
            {"power_iterations": 2, "seed": 1},
            np.random.RandomState(0).normal(size=(4, 5)),
            (4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=1,
        )

    def test_layer_with_conv2d(self):
        self.run_layer_test(
            wrapped(
                lambda dtype: keras.layers.Conv2D(
                    4, 3, strides=2, padding="same", dtype=dtype
                )
            ),
            {"seed": 2},
            np.random.RandomState(1).normal(size=(2, 6, 6, 3)),
            (2, 3, 3, 4),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=1,
        )

    def test_model_saving(self):
        model = keras.Sequential(
            [
                keras.Input(shape=(6, 6, 2)),
                SpectralNormalization(keras.layers.Conv2D(3, 3), seed=1),
                keras.layers.Flatten(),
                SpectralNormalization(keras.layers.Dense(2), seed=2),
            ]
        )
        inputs = np.random.RandomState(2).normal(size=(3, 6, 6, 2)).astype("float32")
        model(inputs, training=True)  # moves u away from its initial value
        restored = self.run_model_saving_test(model, inputs)
        np.testing.assert_array_equal(
            np.asarray(restored.layers[0].u), np.asarray(model.layers[0].u)
        )


def test_a_model_of_spectrally_normalized_layers_reports_built():
    # Its weightless helper layer must report built, or `fit` under a strategy
    # treats the whole model as unbuilt and calls it to build it.
    model = keras.Sequential(
        [keras.Input((4,)), SpectralNormalization(keras.layers.Dense(3))]
    )
    assert all(layer.built for layer in model._flatten_layers())


@pytest.mark.tensorflow_only
def test_a_train_step_that_forgets_training_true_is_warned_and_sigma_goes_stale():
    """A keras-io-style `train_step` calling D without `training=True`: one warning
    (at trace time), and `u` never moves, so sigma stays below the true spectral
    norm; with `training=True` sigma reaches it."""
    import tensorflow as tf

    def train(training):
        discriminator = SpectralNormalization(
            keras.layers.Dense(8, use_bias=False), seed=3
        )
        inputs = np.random.RandomState(7).normal(size=(16, 12)).astype("float32")
        discriminator(inputs, training=False)  # build
        u_start = np.asarray(discriminator.u).copy()

        @tf.function
        def step():
            outputs = (
                discriminator(inputs, training=True)
                if training
                else discriminator(inputs)
            )
            return tf.reduce_mean(outputs)

        for _ in range(30):
            step()
        return discriminator, u_start

    with pytest.warns(UserWarning, match="without a `training` argument") as caught:
        stale, u_start = train(training=False)
    assert len(caught) == 1
    np.testing.assert_array_equal(np.asarray(stale.u), u_start)
    trained, _ = train(training=True)
    W = paper_matrix(trained.layer)
    largest = np.linalg.svd(W, compute_uv=False)[0]
    _, _, sigma_trained = numpy_power_iteration(W, np.asarray(trained.u), 1)
    _, _, sigma_stale = numpy_power_iteration(W, u_start, 1)
    np.testing.assert_allclose(sigma_trained, largest, rtol=1e-4)
    assert sigma_stale < 0.99 * largest
