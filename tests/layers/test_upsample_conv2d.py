"""UpsampleConv2D against nearest-neighbour upsampling and a NumPy convolution."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.upsample_conv2d import UpsampleConv2D
from keras_test_case import TestCase


def nearest_upsample_loop(inputs, scale):
    batch_size, height, width, channels = inputs.shape
    output = np.zeros((batch_size, height * scale, width * scale, channels))
    for row in range(height * scale):
        for column in range(width * scale):
            output[:, row, column, :] = inputs[:, row // scale, column // scale, :]
    return output


def bilinear_upsample_loop(inputs, scale):
    """Bilinear resize with half-pixel centres, edge pixels repeated.

    Output pixel o samples the input at (o + 0.5) / scale - 0.5, between its
    two nearest input pixels, clamped to the image (as
    `keras.ops.image.resize(..., interpolation="bilinear", antialias=False)`,
    which `keras.layers.UpSampling2D` calls).
    """
    batch_size, height, width, channels = inputs.shape

    def neighbours(output_index, size):
        position = (output_index + 0.5) / scale - 0.5
        lower = int(np.floor(position))
        fraction = position - lower
        return min(max(lower, 0), size - 1), min(max(lower + 1, 0), size - 1), fraction

    output = np.zeros((batch_size, height * scale, width * scale, channels))
    for row in range(height * scale):
        top, bottom, row_fraction = neighbours(row, height)
        for column in range(width * scale):
            left, right, column_fraction = neighbours(column, width)
            upper = (1 - column_fraction) * inputs[:, top, left] + (
                column_fraction * inputs[:, top, right]
            )
            lower = (1 - column_fraction) * inputs[:, bottom, left] + (
                column_fraction * inputs[:, bottom, right]
            )
            output[:, row, column] = (1 - row_fraction) * upper + row_fraction * lower
    return output


def same_convolution_loop(inputs, kernel, bias):
    """Stride-1 cross-correlation with "same" zero padding (extra pad after)."""
    batch_size, height, width, _ = inputs.shape
    kernel_height, kernel_width, _, filters = kernel.shape
    top, left = (kernel_height - 1) // 2, (kernel_width - 1) // 2
    padded = np.pad(
        inputs,
        (
            (0, 0),
            (top, kernel_height - 1 - top),
            (left, kernel_width - 1 - left),
            (0, 0),
        ),
    )
    output = np.zeros((batch_size, height, width, filters))
    for row in range(height):
        for column in range(width):
            window = padded[
                :, row : row + kernel_height, column : column + kernel_width
            ]
            output[:, row, column, :] = np.einsum("nhwc,hwcf->nf", window, kernel)
    return output + bias


class TestUpsampleConv2D(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            UpsampleConv2D,
            {"filters": 3, "kernel_size": 3, "scale": 2},
            np.random.default_rng(0).normal(size=(4, 3, 2, 2)).astype("float32"),
            (4, 6, 4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    @pytest.mark.parametrize("kernel_size, scale", [(3, 2), ((2, 3), 3), (1, 2)])
    def test_equals_nearest_upsampling_then_numpy_convolution(self, kernel_size, scale):
        inputs = np.random.default_rng(1).normal(size=(2, 3, 4, 2)).astype("float32")
        layer = UpsampleConv2D(
            filters=3,
            kernel_size=kernel_size,
            scale=scale,
            bias_initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
        output = ops.convert_to_numpy(layer(inputs))
        kernel = ops.convert_to_numpy(layer.convolution.kernel).astype("float64")
        bias = ops.convert_to_numpy(layer.convolution.bias).astype("float64")
        expected = same_convolution_loop(
            nearest_upsample_loop(inputs.astype("float64"), scale), kernel, bias
        )
        np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)

    @pytest.mark.parametrize("kernel_size, scale", [(3, 2), ((2, 3), 3)])
    def test_bilinear_equals_numpy_resize_then_numpy_convolution(
        self, kernel_size, scale
    ):
        inputs = np.random.default_rng(4).normal(size=(2, 3, 4, 2)).astype("float32")
        layer = UpsampleConv2D(
            filters=3,
            kernel_size=kernel_size,
            scale=scale,
            interpolation="bilinear",
            bias_initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
        output = ops.convert_to_numpy(layer(inputs))
        kernel = ops.convert_to_numpy(layer.convolution.kernel).astype("float64")
        bias = ops.convert_to_numpy(layer.convolution.bias).astype("float64")
        expected = same_convolution_loop(
            bilinear_upsample_loop(inputs.astype("float64"), scale), kernel, bias
        )
        np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)
        nearest = same_convolution_loop(
            nearest_upsample_loop(inputs.astype("float64"), scale), kernel, bias
        )
        assert not np.allclose(output, nearest, atol=1e-2)

    def test_bilinear_upsampling_is_smooth(self):
        # A single bright pixel: nearest gives a 2x2 block of equal values,
        # bilinear spreads it over a wider, graded neighbourhood.
        inputs = np.zeros((1, 4, 4, 1), "float32")
        inputs[0, 1, 1, 0] = 1.0
        outputs = {}
        for interpolation in ("nearest", "bilinear"):
            layer = UpsampleConv2D(
                filters=1,
                kernel_size=1,
                interpolation=interpolation,
                kernel_initializer="ones",
                use_bias=False,
            )
            outputs[interpolation] = ops.convert_to_numpy(layer(inputs))[0, ..., 0]
        np.testing.assert_array_equal(
            outputs["nearest"], nearest_upsample_loop(inputs, 2)[0, ..., 0]
        )
        bilinear = outputs["bilinear"]
        assert np.count_nonzero(bilinear) > np.count_nonzero(outputs["nearest"])
        assert len(np.unique(np.round(bilinear[bilinear > 0], 5))) > 1
        np.testing.assert_allclose(bilinear.sum(), outputs["nearest"].sum(), rtol=1e-5)

    def test_activation_is_applied(self):
        inputs = np.random.default_rng(2).normal(size=(1, 2, 2, 3)).astype("float32")
        layer = UpsampleConv2D(filters=4, kernel_size=3, activation="relu")
        output = ops.convert_to_numpy(layer(inputs))
        linear = same_convolution_loop(
            nearest_upsample_loop(inputs, 2),
            ops.convert_to_numpy(layer.convolution.kernel),
            ops.convert_to_numpy(layer.convolution.bias),
        )
        np.testing.assert_allclose(output, np.maximum(linear, 0.0), atol=1e-5)

    @pytest.mark.parametrize(
        "arguments, received",
        [
            ({"filters": 0, "kernel_size": 3}, "filters=0"),
            ({"filters": 2, "kernel_size": 0}, "kernel_size=0"),
            ({"filters": 2, "kernel_size": (3, 3, 3)}, r"kernel_size=\(3, 3, 3\)"),
            ({"filters": 2, "kernel_size": 3, "scale": 0}, "scale=0"),
            (
                {"filters": 2, "kernel_size": 3, "interpolation": "cubic"},
                "interpolation=cubic",
            ),
            ({"filters": 2, "kernel_size": 3, "use_bias": 1}, "use_bias=1"),
        ],
    )
    def test_bad_arguments_are_rejected(self, arguments, received):
        with pytest.raises(ValueError, match=f"Received: `{received}`"):
            UpsampleConv2D(**arguments)

    def test_wrong_rank_is_rejected(self):
        with pytest.raises(ValueError, match=r"4-D input.*\(2, 8\)"):
            UpsampleConv2D(filters=2, kernel_size=3)(np.ones((2, 8), "float32"))
