"""GatedConv2D against NumPy convolutions of its two kernels."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.gated_conv2d import GatedConv2D
from keras_test_case import TestCase


def convolution_loop(inputs, kernel, bias, strides, padding, dilation_rate=1):
    """Cross-correlation with TensorFlow's "same"/"valid" padding rules.

    A dilated kernel is a kernel of extent (size - 1) * dilation_rate + 1 that
    reads every `dilation_rate`-th input pixel.
    """
    batch_size, height, width, _ = inputs.shape
    kernel_height, kernel_width, _, filters = kernel.shape
    kernel_height = (kernel_height - 1) * dilation_rate + 1
    kernel_width = (kernel_width - 1) * dilation_rate + 1
    if padding == "same":
        output_height = -(-height // strides)
        output_width = -(-width // strides)
        pad_height = max((output_height - 1) * strides + kernel_height - height, 0)
        pad_width = max((output_width - 1) * strides + kernel_width - width, 0)
        inputs = np.pad(
            inputs,
            (
                (0, 0),
                (pad_height // 2, pad_height - pad_height // 2),
                (pad_width // 2, pad_width - pad_width // 2),
                (0, 0),
            ),
        )
    else:
        output_height = (height - kernel_height) // strides + 1
        output_width = (width - kernel_width) // strides + 1
    output = np.zeros((batch_size, output_height, output_width, filters))
    for row in range(output_height):
        for column in range(output_width):
            top, left = row * strides, column * strides
            window = inputs[
                :,
                top : top + kernel_height : dilation_rate,
                left : left + kernel_width : dilation_rate,
            ]
            output[:, row, column] = np.einsum("nhwc,hwcf->nf", window, kernel)
    return output + bias


def elu(values):
    return np.where(values > 0, values, np.expm1(np.minimum(values, 0)))


def sigmoid(values):
    return 1.0 / (1.0 + np.exp(-values))


class TestGatedConv2D(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            GatedConv2D,
            {"filters": 3, "kernel_size": 3},
            np.random.default_rng(0).normal(size=(4, 4, 4, 2)).astype("float32"),
            (4, 4, 4, 3),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
        )

    @pytest.mark.parametrize(
        "kernel_size, strides, padding, dilation_rate",
        [
            (3, 1, "same", 1),
            (3, 2, "same", 1),
            (2, 1, "valid", 1),
            (3, 1, "same", 2),
            (2, 1, "valid", 2),
        ],
    )
    def test_matches_numpy_convolutions(
        self, kernel_size, strides, padding, dilation_rate
    ):
        inputs = np.random.default_rng(1).normal(size=(2, 5, 6, 3)).astype("float32")
        layer = GatedConv2D(
            filters=4,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            dilation_rate=dilation_rate,
            bias_initializer=keras.initializers.RandomNormal(stddev=0.5),
        )
        output = ops.convert_to_numpy(layer(inputs))

        def convolve(convolution):
            return convolution_loop(
                inputs.astype("float64"),
                ops.convert_to_numpy(convolution.kernel).astype("float64"),
                ops.convert_to_numpy(convolution.bias).astype("float64"),
                strides,
                padding,
                dilation_rate,
            )

        features = convolve(layer.feature_convolution)
        gate = sigmoid(convolve(layer.gate_convolution))
        np.testing.assert_allclose(output, elu(features) * gate, rtol=1e-5, atol=1e-5)

    def test_gate_is_between_zero_and_one(self):
        # With a linear feature branch, output / features is the gate itself.
        inputs = 3.0 * np.random.default_rng(2).normal(size=(2, 4, 4, 2))
        layer = GatedConv2D(filters=5, kernel_size=3, activation=None)
        output = ops.convert_to_numpy(layer(inputs.astype("float32")))
        features = ops.convert_to_numpy(
            layer.feature_convolution(inputs.astype("float32"))
        )
        gate = output[np.abs(features) > 1e-3] / features[np.abs(features) > 1e-3]
        assert np.all(gate > 0.0) and np.all(gate < 1.0)
        assert gate.min() < 0.2 and gate.max() > 0.8, "gate values not spread"

    @pytest.mark.parametrize(
        "kernel_initializer",
        [
            keras.initializers.GlorotUniform(seed=3),
            keras.initializers.RandomNormal(stddev=0.1, seed=3),
        ],
    )
    def test_two_kernels_are_distinct(self, kernel_initializer):
        # One initializer instance draws the same values on every call: the
        # two convolutions must not start from the same kernel.
        layer = GatedConv2D(
            filters=2, kernel_size=3, kernel_initializer=kernel_initializer
        )
        layer(np.ones((1, 4, 4, 2), "float32"))
        assert not np.array_equal(
            ops.convert_to_numpy(layer.feature_convolution.kernel),
            ops.convert_to_numpy(layer.gate_convolution.kernel),
        )

    @pytest.mark.parametrize(
        "arguments, received",
        [
            ({"filters": 0, "kernel_size": 3}, "filters=0"),
            ({"filters": 2, "kernel_size": (3,)}, r"kernel_size=\(3,\)"),
            ({"filters": 2, "kernel_size": 3, "strides": 0}, "strides=0"),
            ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "padding=causal"),
            ({"filters": 2, "kernel_size": 3, "dilation_rate": -1}, "dilation_rate=-1"),
            ({"filters": 2, "kernel_size": 3, "use_bias": "yes"}, "use_bias=yes"),
        ],
    )
    def test_bad_arguments_are_rejected(self, arguments, received):
        with pytest.raises(ValueError, match=f"Received: `{received}`"):
            GatedConv2D(**arguments)

    def test_wrong_rank_is_rejected(self):
        with pytest.raises(ValueError, match=r"4-D input.*\(2, 8\)"):
            GatedConv2D(filters=2, kernel_size=3)(np.ones((2, 8), "float32"))
