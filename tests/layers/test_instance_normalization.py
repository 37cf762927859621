"""Instance normalisation is `keras.layers.GroupNormalization(groups=-1)`.

The package does not re-implement it; these tests check that claim against
instance normalisation written in NumPy (Ulyanov et al. 2016,
https://arxiv.org/abs/1607.08022): every channel of every sample is normalised
by its own spatial mean and (biased) variance, then scaled and shifted per
channel.
"""

import keras
import numpy as np
from keras import ops
from keras_test_case import TestCase

EPSILON = 1e-3  # GroupNormalization's default


def random_features(shape, seed=42):
    generator = np.random.default_rng(seed)
    offsets = generator.normal(size=(shape[0], *([1] * (len(shape) - 2)), shape[-1]))
    return (generator.normal(size=shape) * 3.0 + 5.0 * offsets).astype("float32")


def numpy_instance_normalization(features, gamma, beta, epsilon=EPSILON):
    """Loops over samples and channels of a channels-last tensor."""
    outputs = np.empty(features.shape, "float64")
    for sample in range(features.shape[0]):
        for channel in range(features.shape[-1]):
            values = features[sample, ..., channel].astype("float64")
            mean = values.mean()
            variance = ((values - mean) ** 2).mean()
            outputs[sample, ..., channel] = (
                gamma[channel] * (values - mean) / np.sqrt(variance + epsilon)
                + beta[channel]
            )
    return outputs


class TestInstanceNormalization(TestCase):
    def test_group_normalization_with_one_channel_per_group_is_instance_norm(self):
        features = random_features((3, 5, 4, 6))
        layer = keras.layers.GroupNormalization(groups=-1)
        layer.build(features.shape)
        gamma = np.linspace(0.5, 2.0, 6).astype("float32")
        beta = np.linspace(-1.0, 1.0, 6).astype("float32")
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(features)),
            numpy_instance_normalization(features, gamma, beta),
            atol=1e-4,
            rtol=1e-4,
        )

    def test_same_in_training_and_inference_and_for_any_batch(self):
        # Instance statistics belong to one sample: no batch coupling and no
        # moving averages, unlike batch normalisation.
        features = random_features((4, 3, 3, 2))
        layer = keras.layers.GroupNormalization(groups=-1)
        training_output = ops.convert_to_numpy(layer(features, training=True))
        inference_output = ops.convert_to_numpy(layer(features, training=False))
        np.testing.assert_array_equal(training_output, inference_output)
        single = ops.convert_to_numpy(layer(features[2:3]))
        np.testing.assert_allclose(single, training_output[2:3], atol=1e-6)
        assert layer.non_trainable_weights == []

    def test_one_dimensional_and_three_dimensional_inputs(self):
        for shape in [(2, 7, 3), (2, 3, 2, 4, 3)]:
            features = random_features(shape)
            layer = keras.layers.GroupNormalization(groups=-1, epsilon=1e-5)
            np.testing.assert_allclose(
                ops.convert_to_numpy(layer(features)),
                numpy_instance_normalization(
                    features, np.ones(3), np.zeros(3), epsilon=1e-5
                ),
                atol=1e-4,
                rtol=1e-4,
            )

    def test_saving_in_a_model(self):
        inputs = keras.Input((4, 4, 3))
        layer = keras.layers.GroupNormalization(groups=-1)
        model = keras.Model(inputs, layer(inputs))
        layer.gamma.assign(np.array([1.0, -2.0, 0.5], "float32"))
        self.run_model_saving_test(model, random_features((2, 4, 4, 3)))
