"""NoiseInjection against NumPy x + strength * noise, and the noise statistics."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.noise_injection import NoiseInjection
from keras_test_case import TestCase


def random_features(shape, seed=42):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


class TestNoiseInjection(TestCase):
    def test_layer_harness_stylegan_noise(self):
        self.run_layer_test(
            NoiseInjection,
            {"seed": 1},
            random_features((4, 5, 6, 3)),
            (4, 5, 6, 3),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
            deterministic=False,
        )

    def test_layer_harness_training_only_noise(self):
        self.run_layer_test(
            NoiseInjection,
            {"always_apply": False, "strength_initializer": "ones", "seed": 1},
            random_features((4, 5, 6, 3)),
            (4, 5, 6, 3),
            expected_num_trainable_weights=1,
        )

    def test_zero_strength_is_identity(self):
        inputs = random_features((2, 4, 4, 5))
        layer = NoiseInjection(seed=3)
        for training in (False, True):
            np.testing.assert_array_equal(
                ops.convert_to_numpy(layer(inputs, training=training)), inputs
            )

    def test_given_noise_matches_numpy(self):
        inputs = random_features((2, 4, 3, 5))
        noise = random_features((2, 4, 3, 1), seed=1)
        strength = np.array([0.5, -1.0, 2.0, 0.0, 3.0], "float32")
        layer = NoiseInjection()
        layer.build(inputs.shape)
        layer.strength.assign(strength)
        expected = np.empty_like(inputs)
        for b in range(2):
            for h in range(4):
                for w in range(3):
                    for c in range(5):
                        expected[b, h, w, c] = (
                            inputs[b, h, w, c] + strength[c] * noise[b, h, w, 0]
                        )
        for training in (False, True):
            output = layer(inputs, noise=noise, training=training)
            np.testing.assert_allclose(
                ops.convert_to_numpy(output), expected, atol=1e-6
            )

    def test_channels_share_one_standard_normal_map(self):
        inputs = np.zeros((4, 32, 32, 3), "float32")
        layer = NoiseInjection(seed=5)
        layer.build(inputs.shape)
        layer.strength.assign(np.array([1.0, 2.0, -3.0], "float32"))
        added = ops.convert_to_numpy(layer(inputs))
        noise_map = added[..., 0]
        np.testing.assert_allclose(added[..., 1], 2.0 * noise_map, atol=1e-6)
        np.testing.assert_allclose(added[..., 2], -3.0 * noise_map, atol=1e-5)
        # 4096 draws of N(0, 1): mean within 4 standard errors, std within 5%.
        assert abs(noise_map.mean()) < 4 / 64
        assert abs(noise_map.std() - 1.0) < 0.05
        # Different samples of the batch get different maps.
        assert not np.allclose(noise_map[0], noise_map[1])

    def test_calls_draw_different_noise(self):
        inputs = random_features((2, 4, 4, 2))
        layer = NoiseInjection(strength_initializer="ones", seed=2)
        first = ops.convert_to_numpy(layer(inputs))
        second = ops.convert_to_numpy(layer(inputs))
        assert np.max(np.abs(first - second)) > 0.1

    def test_seed_makes_noise_reproducible(self):
        inputs = random_features((2, 4, 4, 2))
        first = NoiseInjection(strength_initializer="ones", seed=9)(inputs)
        second = NoiseInjection(strength_initializer="ones", seed=9)(inputs)
        np.testing.assert_array_equal(
            ops.convert_to_numpy(first), ops.convert_to_numpy(second)
        )

    def test_always_apply_false_adds_noise_only_in_training(self):
        inputs = random_features((2, 4, 4, 2))
        layer = NoiseInjection(always_apply=False, strength_initializer="ones", seed=2)
        np.testing.assert_array_equal(
            ops.convert_to_numpy(layer(inputs, training=False)), inputs
        )
        assert not np.allclose(
            ops.convert_to_numpy(layer(inputs, training=True)), inputs
        )

    def test_noise_as_model_input_saves_and_loads(self):
        features = keras.Input((4, 4, 3))
        noise = keras.Input((4, 4, 1))
        outputs = NoiseInjection(strength_initializer="ones")(features, noise=noise)
        model = keras.Model([features, noise], outputs)
        data = [random_features((2, 4, 4, 3)), random_features((2, 4, 4, 1), 1)]
        restored = self.run_model_saving_test(model, data)
        np.testing.assert_allclose(
            ops.convert_to_numpy(restored(data)), data[0] + data[1], atol=1e-6
        )

    def test_mixed_precision_with_given_noise(self):
        inputs = random_features((2, 3, 3, 2))
        noise = random_features((2, 3, 3, 1), seed=1)
        layer = NoiseInjection(strength_initializer="ones", dtype="mixed_float16")
        output = layer(inputs, noise=noise)
        assert keras.backend.standardize_dtype(output.dtype) == "float16"
        assert layer.strength.dtype == "float32"
        np.testing.assert_allclose(
            ops.convert_to_numpy(output).astype("float32"), inputs + noise, atol=1e-2
        )

    def test_wrong_rank_is_rejected(self):
        with pytest.raises(ValueError, match=r"4-D input.*\(2, 3, 4\)"):
            NoiseInjection()(np.zeros((2, 3, 4), "float32"))

    def test_wrong_noise_shape_is_rejected(self):
        inputs = np.zeros((2, 3, 3, 4), "float32")
        layer = NoiseInjection()
        layer(inputs)
        for noise_shape in [(2, 3, 3, 4), (2, 3, 2, 1), (2, 3, 3)]:
            with pytest.raises(ValueError, match=r"`noise` should have shape"):
                layer(inputs, noise=np.zeros(noise_shape, "float32"))
        with pytest.raises(ValueError, match=r"`noise` should have shape"):
            NoiseInjection()(inputs, noise=np.zeros((2, 3, 3, 2), "float32"))

    def test_invalid_always_apply(self):
        with pytest.raises(ValueError, match="`always_apply=1`"):
            NoiseInjection(always_apply=1)
