"""Maxout against a NumPy loop over Goodfellow et al.'s definition."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.maxout import Maxout
from keras_test_case import TestCase


def maxout_loop(inputs, kernel, bias, units, num_pieces):
    """h[..., i] = max_j (x . W[:, i*k + j] + b[i*k + j]), one unit and piece at a
    time (Goodfellow et al. 2013, equation 1)."""
    inputs = inputs.astype("float64")
    flat = inputs.reshape(-1, inputs.shape[-1])
    output = np.empty((flat.shape[0], units))
    for row in range(flat.shape[0]):
        for unit in range(units):
            pieces = [
                float(flat[row] @ kernel[:, unit * num_pieces + piece])
                + float(bias[unit * num_pieces + piece])
                for piece in range(num_pieces)
            ]
            output[row, unit] = max(pieces)
    return output.reshape(*inputs.shape[:-1], units)


def _random_bias(layer, seed):
    """Non-zero biases, so that the oracle checks where they are added."""
    layer.bias.assign(
        np.random.default_rng(seed).normal(size=layer.bias.shape).astype("float32")
    )


class TestMaxout(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            Maxout,
            {"units": 3, "num_pieces": 4},
            np.random.default_rng(0).normal(size=(4, 5)).astype("float32"),
            (4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    @pytest.mark.parametrize(
        "shape, units, num_pieces",
        [((6, 4), 3, 5), ((2, 3, 4), 2, 3), ((5, 2), 4, 1)],
    )
    def test_matches_numpy_loop(self, shape, units, num_pieces):
        inputs = np.random.default_rng(1).normal(size=shape).astype("float32")
        layer = Maxout(units, num_pieces)
        layer.build(shape)
        _random_bias(layer, 2)
        expected = maxout_loop(
            inputs,
            ops.convert_to_numpy(layer.kernel),
            ops.convert_to_numpy(layer.bias),
            units,
            num_pieces,
        )
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(inputs)), expected, rtol=1e-5, atol=1e-6
        )

    def test_pieces_of_a_unit_are_consecutive_columns(self):
        # Unit 0 owns columns 0-2, unit 1 columns 3-5: one large column per unit.
        layer = Maxout(units=2, num_pieces=3, use_bias=False)
        layer.build((1, 1))
        layer.kernel.assign(np.array([[0.0, 5.0, 1.0, -1.0, -2.0, 7.0]], "float32"))
        output = ops.convert_to_numpy(layer(np.ones((1, 1), "float32")))
        np.testing.assert_allclose(output, [[5.0, 7.0]])

    def test_one_piece_is_a_dense_layer(self):
        inputs = np.random.default_rng(3).normal(size=(4, 6)).astype("float32")
        maxout = Maxout(units=3, num_pieces=1)
        dense = keras.layers.Dense(3)
        maxout.build(inputs.shape)
        dense.build(inputs.shape)
        _random_bias(maxout, 4)
        dense.set_weights(maxout.get_weights())
        np.testing.assert_allclose(
            ops.convert_to_numpy(maxout(inputs)),
            ops.convert_to_numpy(dense(inputs)),
            rtol=1e-6,
        )

    def test_output_is_convex_in_the_input(self):
        # The max of affine functions: h((a + b) / 2) <= (h(a) + h(b)) / 2.
        rng = np.random.default_rng(5)
        a, b = (rng.normal(size=(16, 3)).astype("float32") for _ in range(2))
        layer = Maxout(units=4, num_pieces=5)
        layer.build(a.shape)
        _random_bias(layer, 6)

        def h(x):
            return ops.convert_to_numpy(layer(x))

        assert np.all(h((a + b) / 2) <= (h(a) + h(b)) / 2 + 1e-5)

    @pytest.mark.parametrize(
        "arguments, received",
        [
            ({"units": 0, "num_pieces": 2}, "units=0"),
            ({"units": 2, "num_pieces": 0}, "num_pieces=0"),
            ({"units": 2.0, "num_pieces": 2}, "units=2.0"),
            ({"units": 2, "num_pieces": 2, "use_bias": 1}, "use_bias=1"),
        ],
    )
    def test_bad_arguments_are_rejected(self, arguments, received):
        with pytest.raises(ValueError, match=f"Received: `{received}`"):
            Maxout(**arguments)

    def test_unknown_last_dimension_is_rejected(self):
        with pytest.raises(ValueError, match="known last dimension"):
            Maxout(2, 2).build((4, None))

    def test_unknown_batch_in_a_model(self):
        inputs = keras.Input((4,))
        model = keras.Model(inputs, Maxout(3, 2)(inputs))
        for batch_size in (5, 2):
            data = (
                np.random.default_rng(batch_size)
                .normal(size=(batch_size, 4))
                .astype("float32")
            )
            assert model.predict(data, batch_size=batch_size, verbose=0).shape == (
                batch_size,
                3,
            )

    def test_model_saving(self):
        inputs = keras.Input((4,))
        hidden = Maxout(6, 5, kernel_initializer=keras.initializers.RandomNormal(0.02))(
            inputs
        )
        model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
        data = np.random.default_rng(7).normal(size=(8, 4)).astype("float32")
        self.run_model_saving_test(model, data)
