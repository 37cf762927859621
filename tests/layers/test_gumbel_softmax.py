"""GumbelSoftmax against NumPy softmax: limits, argmax frequencies, hard samples."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.gumbel_softmax import GumbelSoftmax
from keras_test_case import TestCase


def numpy_softmax(logits, axis=-1):
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=axis, keepdims=True)


def random_logits(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


class TestGumbelSoftmax(TestCase):
    def test_layer_harness_soft(self):
        self.run_layer_test(
            GumbelSoftmax,
            {"temperature": 0.5, "seed": 3},
            random_logits((4, 6)),
            (4, 6),
            expected_num_trainable_weights=0,
            deterministic=False,
        )

    def test_layer_harness_noise_free_inference(self):
        self.run_layer_test(
            GumbelSoftmax,
            {"temperature": 2.0, "hard": True, "sample_at_inference": False},
            random_logits((4, 3, 5)),
            (4, 3, 5),
            expected_num_trainable_weights=0,
        )

    def test_small_temperature_gives_the_one_hot_of_the_same_noise(self):
        # Two layers with the same seed draw the same Gumbel noise g. At
        # temperature 1, log(y) = logits + g - logsumexp: the perturbed logits
        # up to a per-row constant. The sample at any other temperature must
        # be softmax(perturbed / temperature), and tend to its one-hot argmax.
        logits = random_logits((256, 5))
        perturbed = np.log(
            ops.convert_to_numpy(GumbelSoftmax(temperature=1.0, seed=7)(logits))
        )
        for temperature in (0.3, 0.05):
            sample = ops.convert_to_numpy(
                GumbelSoftmax(temperature=temperature, seed=7)(logits)
            )
            np.testing.assert_allclose(
                sample, numpy_softmax(perturbed / temperature), atol=1e-4
            )
        sample = ops.convert_to_numpy(GumbelSoftmax(temperature=1e-4, seed=7)(logits))
        np.testing.assert_array_equal(
            np.argmax(sample, axis=-1), np.argmax(perturbed, axis=-1)
        )
        # Rows whose two largest perturbed logits differ by more than 2e-3 are
        # one-hot to within exp(-2e-3 / 1e-4) = 2e-9.
        top_two = np.sort(perturbed, axis=-1)[:, -2:]
        separated = top_two[:, 1] - top_two[:, 0] > 2e-3
        assert separated.mean() > 0.95
        one_hot = np.eye(5)[np.argmax(perturbed, axis=-1)]
        np.testing.assert_allclose(sample[separated], one_hot[separated], atol=1e-6)

    def test_large_temperature_approaches_uniform(self):
        logits = random_logits((64, 4)) * 3.0
        previous_distance = np.inf
        for temperature in (1.0, 10.0, 100.0, 1e4):
            sample = ops.convert_to_numpy(
                GumbelSoftmax(temperature=temperature, seed=11)(logits)
            )
            distance = np.max(np.abs(sample - 0.25))
            assert distance < previous_distance
            previous_distance = distance
        assert previous_distance < 1e-2

    def test_argmax_frequencies_match_softmax_of_logits(self):
        # The Gumbel-max trick: argmax(logits + g) ~ Categorical(softmax(logits)).
        probabilities = np.array([0.1, 0.2, 0.3, 0.4])
        num_samples = 20000
        logits = np.tile(np.log(probabilities), (num_samples, 1)).astype("float32")
        sample = ops.convert_to_numpy(
            GumbelSoftmax(temperature=1.0, hard=True, seed=5)(logits)
        )
        counts = sample.sum(axis=0)
        expected = num_samples * probabilities
        chi_square = np.sum((counts - expected) ** 2 / expected)
        # 99.9% quantile of the chi-square distribution with 3 degrees of freedom.
        assert chi_square < 16.27, (counts, chi_square)

    def test_hard_sample_is_exactly_one_hot_argmax_of_soft_sample(self):
        logits = random_logits((32, 7))
        soft = ops.convert_to_numpy(GumbelSoftmax(temperature=0.7, seed=2)(logits))
        hard = ops.convert_to_numpy(
            GumbelSoftmax(temperature=0.7, hard=True, seed=2)(logits)
        )
        assert set(np.unique(hard)) == {0.0, 1.0}
        np.testing.assert_array_equal(hard.sum(axis=-1), np.ones(32))
        np.testing.assert_array_equal(np.argmax(hard, -1), np.argmax(soft, -1))

    @pytest.mark.tensorflow_only
    def test_hard_gradient_is_the_soft_sample_gradient(self):
        import tensorflow as tf

        temperature = 0.7
        logits = tf.constant(random_logits((8, 5)))
        weights = tf.constant(random_logits((8, 5), seed=1))
        gradients = {}
        outputs = {}
        for hard in (False, True):
            layer = GumbelSoftmax(temperature=temperature, hard=hard, seed=4)
            with tf.GradientTape() as tape:
                tape.watch(logits)
                outputs[hard] = layer(logits)
                loss = tf.reduce_sum(weights * outputs[hard])
            gradients[hard] = tape.gradient(loss, logits).numpy()
        # Analytic gradient of sum(w * softmax(z / T)) with z = logits + g.
        soft = outputs[False].numpy()
        w = weights.numpy()
        expected = soft * (w - np.sum(w * soft, axis=-1, keepdims=True)) / temperature
        np.testing.assert_allclose(gradients[False], expected, atol=1e-5)
        np.testing.assert_allclose(gradients[True], expected, atol=1e-5)

    def test_noise_free_inference(self):
        logits = random_logits((6, 4))
        layer = GumbelSoftmax(temperature=0.5, sample_at_inference=False, seed=1)
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(logits, training=False)),
            numpy_softmax(logits / 0.5),
            atol=1e-6,
        )
        training_sample = ops.convert_to_numpy(layer(logits, training=True))
        assert np.max(np.abs(training_sample - numpy_softmax(logits / 0.5))) > 1e-2
        hard_layer = GumbelSoftmax(hard=True, sample_at_inference=False)
        np.testing.assert_array_equal(
            ops.convert_to_numpy(hard_layer(logits)),
            np.eye(4)[np.argmax(logits, axis=-1)],
        )

    def test_samples_differ_between_calls(self):
        logits = random_logits((6, 4))
        layer = GumbelSoftmax(seed=1)
        first = ops.convert_to_numpy(layer(logits))
        second = ops.convert_to_numpy(layer(logits))
        assert np.max(np.abs(first - second)) > 1e-2
        np.testing.assert_allclose(first.sum(-1), np.ones(6), atol=1e-6)

    def test_mixed_precision_output_is_float16(self):
        layer = GumbelSoftmax(hard=True, dtype="mixed_float16")
        output = layer(random_logits((4, 3)))
        assert keras.backend.standardize_dtype(output.dtype) == "float16"

    @pytest.mark.parametrize("temperature", [0, -1.0, "1", True, None])
    def test_invalid_temperature(self, temperature):
        with pytest.raises(ValueError, match="`temperature"):
            GumbelSoftmax(temperature=temperature)

    def test_invalid_flags(self):
        with pytest.raises(ValueError, match="`hard=1`"):
            GumbelSoftmax(hard=1)
        with pytest.raises(ValueError, match="`sample_at_inference=yes`"):
            GumbelSoftmax(sample_at_inference="yes")

    def test_single_category_is_rejected(self):
        with pytest.raises(ValueError, match="at least 2 categories"):
            GumbelSoftmax()(np.zeros((3, 1), "float32"))
