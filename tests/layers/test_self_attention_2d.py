"""SelfAttention2D against a NumPy SAGAN attention, with and without key pooling."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.self_attention_2d import SelfAttention2D
from keras_test_case import TestCase


def random_features(shape, seed=42):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def numpy_max_pool_2x2(feature_map):
    """2x2 max-pool with stride 2 of [height, width, channels], dropping odd edges."""
    height, width, channels = feature_map.shape
    pooled = np.empty((height // 2, width // 2, channels), feature_map.dtype)
    for i in range(height // 2):
        for j in range(width // 2):
            window = feature_map[2 * i : 2 * i + 2, 2 * j : 2 * j + 2, :]
            pooled[i, j] = window.reshape(4, channels).max(axis=0)
    return pooled


def numpy_self_attention(inputs, kernels, gamma, downsample_keys):
    """SAGAN attention, one sample and one query position at a time."""
    query_kernel, key_kernel, value_kernel, output_kernel = (
        kernel.astype("float64") for kernel in kernels
    )
    batch_size, height, width, channels = inputs.shape
    outputs = np.empty(inputs.shape, "float64")
    attentions = []
    for b in range(batch_size):
        sample = inputs[b].astype("float64")
        keys = sample @ key_kernel
        values = sample @ value_kernel
        if downsample_keys:
            keys = numpy_max_pool_2x2(keys)
            values = numpy_max_pool_2x2(values)
        keys = keys.reshape(-1, keys.shape[-1])
        values = values.reshape(-1, values.shape[-1])
        attention = np.empty((height * width, keys.shape[0]))
        for position in range(height * width):
            row, column = divmod(position, width)
            query = sample[row, column] @ query_kernel
            logits = np.array([np.dot(query, key) for key in keys])
            weights = np.exp(logits - logits.max())
            weights /= weights.sum()
            attention[position] = weights
            attended = np.zeros(values.shape[-1])
            for weight, value in zip(weights, values, strict=True):
                attended += weight * value
            outputs[b, row, column] = sample[row, column] + gamma * (
                attended @ output_kernel
            )
        attentions.append(attention)
    return outputs, np.stack(attentions)


def layer_kernels(layer):
    return [
        ops.convert_to_numpy(kernel)
        for kernel in (
            layer.query_kernel,
            layer.key_kernel,
            layer.value_kernel,
            layer.output_kernel,
        )
    ]


class TestSelfAttention2D(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            SelfAttention2D,
            {},
            random_features((4, 4, 6, 8)),
            (4, 4, 6, 8),
            expected_num_trainable_weights=5,
            expected_num_non_trainable_weights=0,
        )

    def test_layer_harness_full_attention(self):
        self.run_layer_test(
            SelfAttention2D,
            {"key_divisor": 2, "value_divisor": 1, "downsample_keys": False},
            random_features((2, 3, 3, 4)),
            (2, 3, 3, 4),
            expected_num_trainable_weights=5,
        )

    def test_kernel_shapes_follow_divisors(self):
        layer = SelfAttention2D()
        layer.build((None, 4, 4, 32))
        assert tuple(layer.query_kernel.shape) == (32, 4)
        assert tuple(layer.key_kernel.shape) == (32, 4)
        assert tuple(layer.value_kernel.shape) == (32, 16)
        assert tuple(layer.output_kernel.shape) == (16, 32)
        assert tuple(layer.gamma.shape) == ()

    def test_zero_gamma_is_identity(self):
        inputs = random_features((2, 4, 4, 16))
        layer = SelfAttention2D()
        output = ops.convert_to_numpy(layer(inputs))
        assert float(ops.convert_to_numpy(layer.gamma)) == 0.0
        np.testing.assert_array_equal(output, inputs)

    @pytest.mark.parametrize(
        "shape, downsample_keys",
        [((2, 4, 6, 16), True), ((2, 5, 3, 16), True), ((2, 3, 4, 16), False)],
    )
    def test_matches_numpy_attention(self, shape, downsample_keys):
        inputs = random_features(shape)
        layer = SelfAttention2D(downsample_keys=downsample_keys)
        layer.build(shape)
        layer.gamma.assign(1.0)
        output, attention = layer(inputs, return_attention_scores=True)
        expected_output, expected_attention = numpy_self_attention(
            inputs, layer_kernels(layer), 1.0, downsample_keys
        )
        np.testing.assert_allclose(
            ops.convert_to_numpy(attention), expected_attention, atol=1e-5
        )
        np.testing.assert_allclose(
            ops.convert_to_numpy(output), expected_output, atol=1e-4, rtol=1e-4
        )
        # gamma = 1 moves the output away from the input.
        assert np.max(np.abs(ops.convert_to_numpy(output) - inputs)) > 1e-2

    def test_attention_rows_are_distributions(self):
        inputs = random_features((3, 6, 4, 8)) * 5.0
        layer = SelfAttention2D(key_divisor=1)
        _, attention = layer(inputs, return_attention_scores=True)
        attention = ops.convert_to_numpy(attention)
        assert attention.shape == (3, 24, 6)
        assert np.all(attention >= 0)
        np.testing.assert_allclose(attention.sum(axis=-1), 1.0, atol=1e-5)

    def test_attention_scores_in_a_functional_model(self):
        inputs = keras.Input((4, 4, 8))
        outputs, attention = SelfAttention2D()(inputs, return_attention_scores=True)
        assert tuple(outputs.shape) == (None, 4, 4, 8)
        assert tuple(attention.shape) == (None, 16, 4)
        model = keras.Model(inputs, [outputs, attention])
        data = random_features((2, 4, 4, 8))
        predicted_outputs, predicted_attention = model.predict(data, verbose=0)
        assert predicted_attention.shape == (2, 16, 4)
        np.testing.assert_allclose(predicted_attention.sum(-1), 1.0, atol=1e-5)

    def test_output_is_permutation_equivariant_without_downsampling(self):
        # Full attention treats positions as a set: permuting them (here a
        # transpose of a square map) permutes the output in the same way.
        inputs = random_features((2, 4, 4, 8))
        layer = SelfAttention2D(downsample_keys=False, gamma_initializer="ones")
        output = ops.convert_to_numpy(layer(inputs))
        transposed = ops.convert_to_numpy(layer(np.transpose(inputs, (0, 2, 1, 3))))
        np.testing.assert_allclose(
            transposed, np.transpose(output, (0, 2, 1, 3)), atol=1e-5
        )

    def test_saving_with_trained_gamma(self):
        inputs = keras.Input((4, 4, 8))
        layer = SelfAttention2D(gamma_initializer=keras.initializers.Constant(0.7))
        model = keras.Model(inputs, layer(inputs))
        self.run_model_saving_test(model, random_features((2, 4, 4, 8)))

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"key_divisor": 0}, "`key_divisor=0`"),
            ({"value_divisor": 1.5}, "`value_divisor=1.5`"),
            ({"downsample_keys": "yes"}, "`downsample_keys=yes`"),
        ],
    )
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            SelfAttention2D(**kwargs)

    @pytest.mark.parametrize(
        "shape, message",
        [
            ((2, 4, 8), "4-D input"),
            ((2, 4, 4, 4), "at least 8 channels"),
            ((2, 1, 4, 8), "height and width of at least 2"),
        ],
    )
    def test_invalid_inputs(self, shape, message):
        with pytest.raises(ValueError, match=message):
            SelfAttention2D()(np.zeros(shape, "float32"))
