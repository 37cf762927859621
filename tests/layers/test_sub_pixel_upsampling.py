"""SubPixelUpsampling against depth_to_space written with index loops."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.sub_pixel_upsampling import SubPixelUpsampling
from keras_test_case import TestCase


def depth_to_space_loop(inputs, scale):
    """out[n, h*s + i, w*s + j, c] = in[n, h, w, (i*s + j) * out_channels + c]."""
    batch_size, height, width, channels = inputs.shape
    output_channels = channels // scale**2
    output = np.zeros((batch_size, height * scale, width * scale, output_channels))
    for n in range(batch_size):
        for h in range(height):
            for w in range(width):
                for i in range(scale):
                    for j in range(scale):
                        for c in range(output_channels):
                            source = (i * scale + j) * output_channels + c
                            output[n, h * scale + i, w * scale + j, c] = inputs[
                                n, h, w, source
                            ]
    return output


class TestSubPixelUpsampling(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            SubPixelUpsampling,
            {"scale": 2},
            np.random.default_rng(0).normal(size=(4, 3, 2, 8)).astype("float32"),
            (4, 6, 4, 2),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
        )

    @pytest.mark.parametrize(
        "shape, scale", [((2, 3, 4, 8), 2), ((1, 2, 2, 18), 3), ((2, 2, 3, 4), 1)]
    )
    def test_matches_index_loops(self, shape, scale):
        inputs = np.arange(np.prod(shape), dtype="float32").reshape(shape)
        output = ops.convert_to_numpy(SubPixelUpsampling(scale=scale)(inputs))
        np.testing.assert_array_equal(output, depth_to_space_loop(inputs, scale))

    @pytest.mark.tensorflow_only
    def test_matches_tensorflow_depth_to_space(self):
        import tensorflow as tf

        inputs = np.random.default_rng(1).normal(size=(2, 3, 3, 12)).astype("float32")
        expected = tf.nn.depth_to_space(inputs, block_size=2).numpy()
        output = ops.convert_to_numpy(SubPixelUpsampling(scale=2)(inputs))
        np.testing.assert_array_equal(output, expected)

    def test_unknown_spatial_size(self):
        inputs = keras.Input((None, None, 8))
        outputs = SubPixelUpsampling(scale=2)(inputs)
        assert tuple(outputs.shape) == (None, None, None, 2)
        model = keras.Model(inputs, outputs)
        data = np.random.default_rng(2).normal(size=(2, 3, 5, 8)).astype("float32")
        np.testing.assert_array_equal(
            model.predict(data, verbose=0), depth_to_space_loop(data, 2)
        )

    def test_channels_not_divisible_by_scale_squared_are_rejected(self):
        with pytest.raises(ValueError, match=r"channels \(6\).*scale\^2 = 4"):
            SubPixelUpsampling(scale=2)(np.ones((1, 2, 2, 6), "float32"))

    def test_wrong_rank_is_rejected(self):
        with pytest.raises(ValueError, match=r"4-D input.*\(2, 8\)"):
            SubPixelUpsampling(scale=2)(np.ones((2, 8), "float32"))

    @pytest.mark.parametrize("scale", [0, -2, 2.0, True])
    def test_bad_scale_is_rejected(self, scale):
        with pytest.raises(ValueError, match=f"Received: `scale={scale}`"):
            SubPixelUpsampling(scale=scale)
