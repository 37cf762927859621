"""PersistentDropout: inverted dropout in training and inference, against its
definition."""

import numpy as np
import pytest
from keras_gans.layers.persistent_dropout import PersistentDropout
from keras_test_case import TestCase


class TestPersistentDropout(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            PersistentDropout,
            {"rate": 0.3, "seed": 1},
            np.random.default_rng(0).normal(size=(4, 6)).astype("float32"),
            (4, 6),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            deterministic=False,
            run_training_check=False,
        )

    @pytest.mark.parametrize("training", [False, True])
    def test_drops_at_the_rate_and_rescales_in_both_modes(self, training):
        rate = 0.25
        inputs = np.full((200, 500), 3.0, dtype="float32")
        outputs = np.asarray(PersistentDropout(rate, seed=7)(inputs, training=training))
        kept = outputs != 0
        # Every kept unit is scaled by 1 / (1 - rate); the drop fraction is `rate`.
        np.testing.assert_allclose(outputs[kept], 3.0 / (1 - rate), rtol=1e-6)
        assert abs((1 - kept.mean()) - rate) < 0.01

    def test_inference_calls_differ(self):
        layer = PersistentDropout(0.5, seed=3)
        inputs = np.ones((4, 64), dtype="float32")
        first = np.asarray(layer(inputs, training=False))
        second = np.asarray(layer(inputs, training=False))
        assert not np.array_equal(first, second)

    @pytest.mark.parametrize("rate", [0, 1, 1.5, -0.1, "half"])
    def test_rejects_rates_outside_the_open_unit_interval(self, rate):
        with pytest.raises(ValueError, match="`rate` should be"):
            PersistentDropout(rate)
