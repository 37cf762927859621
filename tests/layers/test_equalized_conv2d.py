"""EqualizedConv2D against a NumPy convolution with He's constant and its gradient."""

import math

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.equalized_conv2d import EqualizedConv2D
from keras_test_case import TestCase


def random_inputs(shape, seed=42):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def numpy_conv2d(inputs, kernel, strides, padding):
    """Cross-correlation with TensorFlow's "same"/"valid" padding rules."""
    batch_size, height, width, input_channels = inputs.shape
    kernel_height, kernel_width, _, filters = kernel.shape
    stride_height, stride_width = strides
    if padding == "same":
        out_height = -(-height // stride_height)
        out_width = -(-width // stride_width)
        pad_height = max((out_height - 1) * stride_height + kernel_height - height, 0)
        pad_width = max((out_width - 1) * stride_width + kernel_width - width, 0)
        inputs = np.pad(
            inputs,
            [
                (0, 0),
                (pad_height // 2, pad_height - pad_height // 2),
                (pad_width // 2, pad_width - pad_width // 2),
                (0, 0),
            ],
        )
    else:
        out_height = (height - kernel_height) // stride_height + 1
        out_width = (width - kernel_width) // stride_width + 1
    outputs = np.zeros((batch_size, out_height, out_width, filters), "float64")
    for b in range(batch_size):
        for i in range(out_height):
            for j in range(out_width):
                for f in range(filters):
                    total = 0.0
                    for di in range(kernel_height):
                        for dj in range(kernel_width):
                            for c in range(input_channels):
                                total += (
                                    inputs[
                                        b,
                                        i * stride_height + di,
                                        j * stride_width + dj,
                                        c,
                                    ]
                                    * kernel[di, dj, c, f]
                                )
                    outputs[b, i, j, f] = total
    return outputs


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


class TestEqualizedConv2D(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            EqualizedConv2D,
            {"filters": 3, "kernel_size": 3, "lr_multiplier": 0.5},
            random_inputs((4, 5, 6, 2)),
            (4, 5, 6, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_layer_harness_strided_valid(self):
        self.run_layer_test(
            EqualizedConv2D,
            {
                "filters": 2,
                "kernel_size": (2, 3),
                "strides": 2,
                "padding": "valid",
                "use_bias": False,
                "activation": "tanh",
            },
            random_inputs((2, 7, 8, 3)),
            (2, 3, 3, 2),
            expected_num_trainable_weights=1,
        )

    @pytest.mark.parametrize(
        "kernel_size, strides, padding",
        [(3, 1, "same"), ((2, 3), (2, 1), "same"), ((2, 3), 2, "valid")],
    )
    def test_output_matches_numpy_convolution(self, kernel_size, strides, padding):
        gain, lr_multiplier = 1.3, 0.2
        inputs = random_inputs((2, 5, 6, 3))
        layer = EqualizedConv2D(
            4,
            kernel_size,
            strides=strides,
            padding=padding,
            gain=gain,
            lr_multiplier=lr_multiplier,
        )
        layer.build(inputs.shape)
        bias = random_inputs((4,), seed=1)
        layer.bias.assign(bias)
        kernel = ops.convert_to_numpy(layer.kernel)
        fan_in = kernel.shape[0] * kernel.shape[1] * 3
        he_constant = gain / math.sqrt(fan_in) * lr_multiplier
        expected = (
            numpy_conv2d(inputs, kernel * he_constant, layer.strides, padding)
            + bias * lr_multiplier
        )
        output = ops.convert_to_numpy(layer(inputs))
        assert output.shape == expected.shape
        assert layer.compute_output_shape(inputs.shape) == expected.shape
        np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-5)

    def test_stored_weights_have_unit_scale_at_init(self):
        layer = EqualizedConv2D(128, 3, lr_multiplier=0.1)
        layer.build((None, 8, 8, 256))
        kernel = ops.convert_to_numpy(layer.kernel) * 0.1
        # 294,912 draws: the standard error of the std is about 0.0013.
        assert abs(kernel.std() - 1.0) < 0.01
        assert abs(kernel.mean()) < 0.01
        effective = ops.convert_to_numpy(layer.kernel) * layer.runtime_scale
        assert abs(effective.std() / math.sqrt(2.0 / (9 * 256)) - 1.0) < 0.01

    def test_gradient_of_stored_kernel_is_scaled_by_he_constant(self):
        inputs = random_inputs((2, 4, 4, 3))
        upstream = random_inputs((2, 4, 4, 5), seed=2)
        layer = EqualizedConv2D(5, 3, gain=1.0, lr_multiplier=2.0)
        layer.build(inputs.shape)
        kernel_gradient, bias_gradient = weighted_sum_gradients(layer, inputs, upstream)
        # d loss / d effective kernel [kh, kw, c, f] for the stride-1 "same"
        # convolution: sum over n, i, j of padded[n, i + kh, j + kw, c] *
        # upstream[n, i, j, f].
        padded = np.pad(inputs.astype("float64"), [(0, 0), (1, 1), (1, 1), (0, 0)])
        effective_gradient = np.zeros((3, 3, 3, 5))
        for row in range(3):
            for column in range(3):
                window = padded[:, row : row + 4, column : column + 4]
                effective_gradient[row, column] = np.einsum(
                    "nijc,nijf->cf", window, upstream
                )
        # d loss / d stored = c * d loss / d effective, c = gain / sqrt(fan_in)
        # * lr_multiplier with fan_in = 3 * 3 * 3.
        he_constant = 1.0 / math.sqrt(27) * 2.0
        np.testing.assert_allclose(
            kernel_gradient, he_constant * effective_gradient, rtol=1e-4, atol=1e-6
        )
        np.testing.assert_allclose(
            bias_gradient, 2.0 * upstream.sum(axis=(0, 1, 2)), rtol=1e-5
        )

    def test_saving_in_a_model(self):
        inputs = keras.Input((6, 6, 2))
        outputs = EqualizedConv2D(3, 3, strides=2)(inputs)
        model = keras.Model(inputs, outputs)
        self.run_model_saving_test(model, random_inputs((2, 6, 6, 2)))

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"filters": 0, "kernel_size": 3}, "`filters=0`"),
            ({"filters": 2, "kernel_size": 0}, "`kernel_size=0`"),
            ({"filters": 2, "kernel_size": (3, 3, 3)}, r"`kernel_size=\(3, 3, 3\)`"),
            ({"filters": 2, "kernel_size": "3"}, "`kernel_size=3`"),
            ({"filters": 2, "kernel_size": 3, "strides": 0}, "`strides=0`"),
            ({"filters": 2, "kernel_size": 3, "padding": "full"}, "`padding=full`"),
            ({"filters": 2, "kernel_size": 3, "gain": -1}, "`gain=-1`"),
            ({"filters": 2, "kernel_size": 3, "lr_multiplier": 0}, "`lr_multiplier=0`"),
            ({"filters": 2, "kernel_size": 3, "use_bias": 1}, "`use_bias=1`"),
        ],
    )
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            EqualizedConv2D(**kwargs)

    def test_wrong_rank_is_rejected(self):
        with pytest.raises(ValueError, match=r"4-D input.*\(2, 5, 3\)"):
            EqualizedConv2D(2, 3)(np.zeros((2, 5, 3), "float32"))
