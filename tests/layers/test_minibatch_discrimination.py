"""MinibatchDiscrimination against a NumPy loop over the paper's formula."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_test_case import TestCase


def minibatch_features_loop(features, kernel):
    """o(x_i)_b = sum_{j != i} exp(-||M_{i,b} - M_{j,b}||_1), by explicit loops."""
    batch_size = features.shape[0]
    num_kernels = kernel.shape[1]
    projected = np.einsum("na,abc->nbc", features.astype("float64"), kernel)
    output = np.zeros((batch_size, num_kernels))
    for i in range(batch_size):
        for j in range(batch_size):
            if j == i:
                continue
            for b in range(num_kernels):
                distance = np.sum(np.abs(projected[i, b] - projected[j, b]))
                output[i, b] += np.exp(-distance)
    return np.concatenate([features, output], axis=-1)


def built_layer(features, **kwargs):
    layer = MinibatchDiscrimination(**{"num_kernels": 4, "kernel_dim": 3, **kwargs})
    layer(features)
    return layer


class TestMinibatchDiscrimination(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            MinibatchDiscrimination,
            {"num_kernels": 4, "kernel_dim": 3},
            np.random.default_rng(0).normal(size=(6, 5)).astype("float32"),
            (6, 9),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
        )

    def test_matches_numpy_loop(self):
        features = np.random.default_rng(1).normal(size=(5, 7)).astype("float32")
        # A larger kernel than the default so that closenesses spread over (0, 1).
        layer = built_layer(
            features, kernel_initializer=keras.initializers.RandomNormal(stddev=0.3)
        )
        kernel = ops.convert_to_numpy(layer.kernel)
        expected = minibatch_features_loop(features, kernel)
        minibatch_part = expected[:, 7:]
        assert 0.05 < minibatch_part.mean() < 3.5, "oracle values are degenerate"
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(features)), expected, rtol=1e-5, atol=1e-6
        )

    def test_permuting_the_batch_permutes_the_output(self):
        features = np.random.default_rng(2).normal(size=(6, 4)).astype("float32")
        layer = built_layer(features)
        permutation = np.random.default_rng(3).permutation(6)
        output = ops.convert_to_numpy(layer(features))
        permuted_output = ops.convert_to_numpy(layer(features[permutation]))
        np.testing.assert_allclose(permuted_output, output[permutation], atol=1e-6)

    def test_identical_samples_give_batch_size_minus_one(self):
        batch_size = 5
        row = np.random.default_rng(4).normal(size=(1, 6)).astype("float32")
        features = np.repeat(row, batch_size, axis=0)
        output = ops.convert_to_numpy(built_layer(features)(features))
        np.testing.assert_allclose(output[:, 6:], batch_size - 1.0, atol=1e-6)

    def test_identical_samples_give_the_largest_value(self):
        generator = np.random.default_rng(5)
        varied = generator.normal(size=(6, 4)).astype("float32")
        layer = built_layer(
            varied, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5)
        )
        # Two samples equal, the rest far away: the pair has the largest o.
        with_duplicate = varied.copy()
        with_duplicate[1] = with_duplicate[0]
        minibatch_part = ops.convert_to_numpy(layer(with_duplicate))[:, 4:]
        for b in range(4):
            assert np.argmax(minibatch_part[:, b]) in (0, 1)
            assert minibatch_part[0, b] >= 1.0 and minibatch_part[1, b] >= 1.0
        collapsed = np.repeat(varied[:1], 6, axis=0)
        collapsed_part = ops.convert_to_numpy(layer(collapsed))[:, 4:]
        assert np.all(collapsed_part > minibatch_part.max() - 1e-6)

    def test_gradient_reaches_the_kernel_through_the_minibatch_features(self):
        features = np.random.default_rng(6).normal(size=(4, 3)).astype("float32")
        inputs = keras.Input((3,))
        layer = MinibatchDiscrimination(num_kernels=2, kernel_dim=2)
        outputs = layer(inputs)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        before = ops.convert_to_numpy(layer.kernel)
        model.fit(features, np.zeros((4, 5), "float32"), batch_size=4, verbose=0)
        assert not np.array_equal(ops.convert_to_numpy(layer.kernel), before)

    def test_batch_of_one_is_rejected(self):
        layer = MinibatchDiscrimination(num_kernels=2, kernel_dim=2)
        with pytest.raises(ValueError, match="batch of at least 2.*a batch of 1"):
            layer(np.ones((1, 3), "float32"))
        built = built_layer(np.ones((4, 3), "float32"))
        with pytest.raises(ValueError, match="a batch of 1"):
            built(np.ones((1, 3), "float32"))

    def test_wrong_rank_is_rejected(self):
        layer = MinibatchDiscrimination(num_kernels=2, kernel_dim=2)
        with pytest.raises(ValueError, match=r"2-D input.*\(4, 2, 3\)"):
            layer(np.ones((4, 2, 3), "float32"))

    @pytest.mark.parametrize(
        "arguments, name",
        [
            ({"num_kernels": 0, "kernel_dim": 2}, "num_kernels=0"),
            ({"num_kernels": 2, "kernel_dim": -1}, "kernel_dim=-1"),
            ({"num_kernels": 2.5, "kernel_dim": 2}, "num_kernels=2.5"),
            ({"num_kernels": True, "kernel_dim": 2}, "num_kernels=True"),
        ],
    )
    def test_bad_arguments_are_rejected(self, arguments, name):
        with pytest.raises(ValueError, match=f"Received: `{name}`"):
            MinibatchDiscrimination(**arguments)

    def test_model_saving(self):
        features = np.random.default_rng(7).normal(size=(4, 3)).astype("float32")
        inputs = keras.Input((3,))
        hidden = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)(inputs)
        model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
        self.run_model_saving_test(model, features)

    def test_a_batch_of_one_of_unknown_size_gets_the_empty_sum(self):
        # The last row of predict(33 rows, batch_size=32) is a batch of one.
        features = np.random.default_rng(8).normal(size=(33, 3)).astype("float32")
        inputs = keras.Input((3,))
        layer = MinibatchDiscrimination(num_kernels=2, kernel_dim=2)
        model = keras.Model(inputs, layer(inputs))
        if keras.backend.backend() != "tensorflow":  # static shapes: checked
            with pytest.raises(ValueError, match="a batch of 1"):
                model.predict(features, batch_size=32, verbose=0)
            return
        # TensorFlow traces the batch of one with an unknown batch size: there is
        # no other sample, so the sum over them is 0 (documented behaviour).
        output = model.predict(features, batch_size=32, verbose=0)
        np.testing.assert_array_equal(
            output[32], np.concatenate([features[32], [0, 0]])
        )
        np.testing.assert_allclose(
            output[:32], ops.convert_to_numpy(layer(features[:32])), rtol=1e-5
        )
