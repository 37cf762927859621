"""SwitchableNormalization against NumPy IN, LN and BN statistics and their mix."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.switchable_normalization import SwitchableNormalization
from keras_test_case import TestCase

EPSILON = 1e-5
# A mixing logit this large gives its statistic a softmax weight of
# 1 - 2 exp(-40), about 1 - 8e-18.
SELECTING_LOGIT = 40.0


def random_features(shape, seed=42):
    generator = np.random.default_rng(seed)
    # Per-sample and per-channel offsets and scales make IN, LN and BN differ.
    offsets = generator.normal(size=(shape[0], 1, 1, shape[3])) * 2.0
    scales = np.exp(generator.normal(size=(shape[0], 1, 1, 1)))
    return (generator.normal(size=shape) * scales + offsets).astype("float32")


def numpy_statistics(features, kind):
    """Biased mean and variance broadcastable to [batch, height, width, channels]."""
    features = features.astype("float64")
    batch_size, height, width, channels = features.shape
    if kind == "instance":
        mean = np.empty((batch_size, 1, 1, channels))
        variance = np.empty((batch_size, 1, 1, channels))
        for b in range(batch_size):
            for c in range(channels):
                values = features[b, :, :, c].ravel()
                mean[b, 0, 0, c] = values.sum() / values.size
                variance[b, 0, 0, c] = ((values - mean[b, 0, 0, c]) ** 2).mean()
    elif kind == "layer":
        mean = np.empty((batch_size, 1, 1, 1))
        variance = np.empty((batch_size, 1, 1, 1))
        for b in range(batch_size):
            values = features[b].ravel()
            mean[b] = values.mean()
            variance[b] = ((values - values.mean()) ** 2).mean()
    else:
        mean = np.empty((channels,))
        variance = np.empty((channels,))
        for c in range(channels):
            values = features[..., c].ravel()
            mean[c] = values.mean()
            variance[c] = ((values - values.mean()) ** 2).mean()
    return mean, variance


def numpy_softmax(logits):
    exponentials = np.exp(logits - np.max(logits))
    return exponentials / exponentials.sum()


def selecting_logits(kind):
    logits = np.zeros(3, "float32")
    logits[["instance", "layer", "batch"].index(kind)] = SELECTING_LOGIT
    return logits


class TestSwitchableNormalization(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            SwitchableNormalization,
            {"momentum": 0.9},
            random_features((4, 3, 5, 2)),
            (4, 3, 5, 2),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=2,
        )

    @pytest.mark.parametrize("kind", ["instance", "layer", "batch"])
    def test_a_selecting_logit_gives_that_normalization(self, kind):
        features = random_features((4, 3, 5, 3))
        layer = SwitchableNormalization()
        layer.build(features.shape)
        layer.mean_weights.assign(selecting_logits(kind))
        layer.variance_weights.assign(selecting_logits(kind))
        output = ops.convert_to_numpy(layer(features, training=True))
        mean, variance = numpy_statistics(features, kind)
        expected = (features - mean) / np.sqrt(variance + EPSILON)
        np.testing.assert_allclose(output, expected, atol=2e-4, rtol=1e-4)

    def test_instance_normalization_equals_group_normalization(self):
        features = random_features((2, 4, 4, 3))
        layer = SwitchableNormalization()
        layer.build(features.shape)
        layer.mean_weights.assign(selecting_logits("instance"))
        layer.variance_weights.assign(selecting_logits("instance"))
        instance_norm = keras.layers.GroupNormalization(groups=-1, epsilon=EPSILON)
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(features)),
            ops.convert_to_numpy(instance_norm(features)),
            atol=2e-4,
        )

    def test_learned_mix_with_affine_matches_numpy(self):
        features = random_features((3, 2, 4, 5))
        layer = SwitchableNormalization(momentum=0.5)
        layer.build(features.shape)
        mean_logits = np.array([0.3, -1.0, 2.0], "float32")
        variance_logits = np.array([1.5, 0.5, -0.7], "float32")
        gamma = np.array([1.0, 2.0, -0.5, 0.3, 4.0], "float32")
        beta = np.array([0.0, 1.0, -1.0, 2.0, 0.5], "float32")
        layer.mean_weights.assign(mean_logits)
        layer.variance_weights.assign(variance_logits)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)

        output = ops.convert_to_numpy(layer(features, training=True))

        statistics = [
            numpy_statistics(features, kind) for kind in ("instance", "layer", "batch")
        ]
        mean_mix = numpy_softmax(mean_logits.astype("float64"))
        variance_mix = numpy_softmax(variance_logits.astype("float64"))
        mean = sum(
            weight * stat[0] for weight, stat in zip(mean_mix, statistics, strict=True)
        )
        variance = sum(
            weight * stat[1]
            for weight, stat in zip(variance_mix, statistics, strict=True)
        )
        expected = gamma * (features - mean) / np.sqrt(variance + EPSILON) + beta
        np.testing.assert_allclose(output, expected, atol=2e-4, rtol=1e-4)

        batch_mean, batch_variance = statistics[2]
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer.moving_mean), 0.5 * batch_mean, atol=1e-5
        )
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer.moving_variance),
            0.5 + 0.5 * batch_variance,
            atol=1e-5,
        )

    def test_inference_uses_moving_batch_statistics(self):
        features = random_features((3, 2, 3, 2))
        layer = SwitchableNormalization()
        layer.build(features.shape)
        moving_mean = np.array([1.0, -2.0], "float32")
        moving_variance = np.array([0.5, 3.0], "float32")
        layer.moving_mean.assign(moving_mean)
        layer.moving_variance.assign(moving_variance)
        # Uniform mix (the initial logits) of the per-sample IN and LN
        # statistics and the moving BN statistics.
        instance = numpy_statistics(features, "instance")
        layer_statistics = numpy_statistics(features, "layer")
        mean = (instance[0] + layer_statistics[0] + moving_mean) / 3
        variance = (instance[1] + layer_statistics[1] + moving_variance) / 3
        expected = (features - mean) / np.sqrt(variance + EPSILON)
        output = ops.convert_to_numpy(layer(features, training=False))
        np.testing.assert_allclose(output, expected, atol=2e-4, rtol=1e-4)
        np.testing.assert_array_equal(
            ops.convert_to_numpy(layer.moving_mean), moving_mean
        )
        # In inference each sample is normalised independently of the batch.
        single = ops.convert_to_numpy(layer(features[1:2], training=False))
        np.testing.assert_allclose(single, output[1:2], atol=1e-5)

    def test_statistics_in_float32_under_mixed_precision(self):
        # Values around 300 with a spread of about 0.1: float16 has a resolution
        # of 0.25 at 300, so a mean held in float16 would be off by up to 0.125,
        # about one standard deviation, and the output by about 1.
        features = (300.0 + 0.1 * random_features((4, 4, 4, 3))).astype("float32")
        layer = SwitchableNormalization(dtype="mixed_float16")
        output = layer(features, training=True)
        assert keras.backend.standardize_dtype(output.dtype) == "float16"
        assert all(weight.dtype == "float32" for weight in layer.weights)
        # Keras casts the input itself to float16 before the layer sees it;
        # the oracle normalises that float16 input in float64 with the
        # uniform mix of the initial logits.
        rounded = features.astype("float16").astype("float64")
        statistics = [
            numpy_statistics(rounded, kind) for kind in ("instance", "layer", "batch")
        ]
        mean = sum(statistic[0] for statistic in statistics) / 3
        variance = sum(statistic[1] for statistic in statistics) / 3
        expected = (rounded - mean) / np.sqrt(variance + EPSILON)
        np.testing.assert_allclose(
            ops.convert_to_numpy(output).astype("float32"), expected, atol=2e-2
        )

    def test_saving_in_a_model(self):
        inputs = keras.Input((3, 3, 2))
        layer = SwitchableNormalization()
        model = keras.Model(inputs, layer(inputs))
        layer.mean_weights.assign(np.array([1.0, 0.0, -1.0], "float32"))
        layer.moving_variance.assign(np.array([2.0, 0.5], "float32"))
        self.run_model_saving_test(model, random_features((2, 3, 3, 2)))

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"momentum": -0.1}, "`momentum=-0.1`"),
            ({"momentum": "high"}, "`momentum=high`"),
            ({"epsilon": 0.0}, "`epsilon=0.0`"),
        ],
    )
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            SwitchableNormalization(**kwargs)

    def test_wrong_rank_is_rejected(self):
        with pytest.raises(ValueError, match=r"4-D input.*\(2, 3, 4\)"):
            SwitchableNormalization()(np.zeros((2, 3, 4), "float32"))
