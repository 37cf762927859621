"""EqualizedDense against NumPy with He's constant, and its analytic gradient."""

import math

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.equalized_dense import EqualizedDense
from keras_test_case import TestCase


def random_inputs(shape, seed=42):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def weighted_sum_gradients(layer, inputs, upstream):
    """d sum(layer(inputs) * upstream) / d each trainable variable.

    `tf.GradientTape` on the TensorFlow backend, `jax.grad` over
    `layer.stateless_call` on the JAX backend; NumPy arrays in the order of
    `layer.trainable_variables`.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(inputs) * upstream)
        variables = [variable.value for variable in layer.trainable_variables]
        return [gradient.numpy() for gradient in tape.gradient(loss, variables)]
    import jax

    trainable = [variable.value for variable in layer.trainable_variables]
    non_trainable = [variable.value for variable in layer.non_trainable_variables]

    def loss(trainable_values):
        outputs, _ = layer.stateless_call(trainable_values, non_trainable, inputs)
        return jax.numpy.sum(outputs * upstream)

    return [np.asarray(gradient) for gradient in jax.grad(loss)(trainable)]


class TestEqualizedDense(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            EqualizedDense,
            {"units": 3, "lr_multiplier": 0.5, "activation": "relu"},
            random_inputs((4, 5)),
            (4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_layer_harness_rank_3_without_bias(self):
        self.run_layer_test(
            EqualizedDense,
            {"units": 6, "use_bias": False, "gain": 1.0},
            random_inputs((2, 3, 4)),
            (2, 3, 6),
            expected_num_trainable_weights=1,
        )

    @pytest.mark.parametrize(
        "gain, lr_multiplier", [(math.sqrt(2.0), 1.0), (1.0, 0.01), (2.0, 3.0)]
    )
    def test_output_matches_numpy_with_he_constant(self, gain, lr_multiplier):
        inputs = random_inputs((4, 7))
        layer = EqualizedDense(5, gain=gain, lr_multiplier=lr_multiplier)
        layer.build(inputs.shape)
        bias = random_inputs((5,), seed=1)
        layer.bias.assign(bias)
        kernel = ops.convert_to_numpy(layer.kernel)
        he_constant = gain / math.sqrt(7) * lr_multiplier
        expected = inputs @ (kernel * he_constant) + bias * lr_multiplier
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(inputs)), expected, rtol=1e-5, atol=1e-5
        )

    @pytest.mark.parametrize("lr_multiplier", [1.0, 0.01])
    def test_stored_weights_have_unit_scale_at_init(self, lr_multiplier):
        layer = EqualizedDense(512, lr_multiplier=lr_multiplier)
        layer.build((None, 512))
        kernel = ops.convert_to_numpy(layer.kernel) * lr_multiplier
        # 262,144 draws: the standard error of the std is about 0.0014.
        assert abs(kernel.std() - 1.0) < 0.01
        assert abs(kernel.mean()) < 0.01
        # The effective kernel has He's standard deviation sqrt(2 / fan_in).
        effective = ops.convert_to_numpy(layer.kernel) * layer.runtime_scale
        assert abs(effective.std() / math.sqrt(2.0 / 512) - 1.0) < 0.01
        np.testing.assert_array_equal(ops.convert_to_numpy(layer.bias), 0.0)

    def test_gradient_of_stored_weights_is_scaled_by_he_constant(self):
        gain, lr_multiplier = 1.5, 0.1
        inputs = random_inputs((6, 4))
        upstream = random_inputs((6, 3), seed=2)
        layer = EqualizedDense(3, gain=gain, lr_multiplier=lr_multiplier)
        layer.build(inputs.shape)
        kernel_gradient, bias_gradient = weighted_sum_gradients(layer, inputs, upstream)
        # d loss / d (effective kernel) = inputs^T @ upstream.
        he_constant = gain / math.sqrt(4) * lr_multiplier
        np.testing.assert_allclose(
            kernel_gradient, he_constant * inputs.T @ upstream, rtol=1e-5
        )
        np.testing.assert_allclose(
            bias_gradient, lr_multiplier * upstream.sum(axis=0), rtol=1e-5
        )

    def test_saving_in_a_model(self):
        inputs = keras.Input((5,))
        model = keras.Model(inputs, EqualizedDense(2, lr_multiplier=0.01)(inputs))
        self.run_model_saving_test(model, random_inputs((3, 5)))

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"units": 0}, "`units=0`"),
            ({"units": 2.5}, "`units=2.5`"),
            ({"units": 2, "gain": 0}, "`gain=0`"),
            ({"units": 2, "gain": "he"}, "`gain=he`"),
            ({"units": 2, "lr_multiplier": -1.0}, "`lr_multiplier=-1.0`"),
            ({"units": 2, "use_bias": "no"}, "`use_bias=no`"),
        ],
    )
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            EqualizedDense(**kwargs)

    def test_rank_1_input_is_rejected(self):
        with pytest.raises(ValueError, match=r"rank >= 2.*\(5,\)"):
            EqualizedDense(2).build((5,))
