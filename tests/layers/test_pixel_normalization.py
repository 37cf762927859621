"""PixelNormalization against NumPy and its defining property."""

import numpy as np
import pytest
from keras import ops
from keras_gans.layers.pixel_normalization import PixelNormalization
from keras_test_case import TestCase


class TestPixelNormalization(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            PixelNormalization,
            {"epsilon": 1e-8},
            np.random.default_rng(0).normal(size=(4, 3, 3, 5)).astype("float32"),
            (4, 3, 3, 5),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
        )

    def test_matches_numpy(self):
        inputs = np.random.default_rng(1).normal(size=(2, 3, 4, 6)).astype("float32")
        inputs *= np.float32(7.0)
        expected = np.empty(inputs.shape)
        for index in np.ndindex(inputs.shape[:-1]):
            vector = inputs[index].astype("float64")
            expected[index] = vector / np.sqrt(np.mean(vector**2) + 1e-8)
        output = ops.convert_to_numpy(PixelNormalization()(inputs))
        np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)

    def test_unit_mean_square_at_every_pixel(self):
        inputs = np.random.default_rng(2).normal(size=(3, 5, 5, 8)).astype("float32")
        inputs *= np.random.default_rng(3).uniform(0.01, 100, size=(3, 5, 5, 1))
        output = ops.convert_to_numpy(PixelNormalization()(inputs.astype("float32")))
        np.testing.assert_allclose(np.mean(output**2, axis=-1), 1.0, rtol=1e-5)

    def test_epsilon_keeps_zero_vectors_at_zero(self):
        output = ops.convert_to_numpy(
            PixelNormalization(epsilon=1e-8)(np.zeros((2, 4), "float32"))
        )
        np.testing.assert_array_equal(output, 0.0)

    def test_epsilon_is_inside_the_square_root(self):
        inputs = np.full((1, 4), 0.1, "float32")
        output = ops.convert_to_numpy(PixelNormalization(epsilon=0.03)(inputs))
        np.testing.assert_allclose(output, 0.1 / np.sqrt(0.01 + 0.03), rtol=1e-6)

    @pytest.mark.parametrize("epsilon", [0, 0.0, -1e-3, "small", None])
    def test_bad_epsilon_is_rejected(self, epsilon):
        with pytest.raises(ValueError, match=f"Received: `epsilon={epsilon}`"):
            PixelNormalization(epsilon=epsilon)

    def test_rank_one_input_is_rejected(self):
        with pytest.raises(ValueError, match=r"rank 2 or more.*\(4,\)"):
            PixelNormalization().build((4,))
