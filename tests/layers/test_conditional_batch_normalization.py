"""ConditionalBatchNormalization against NumPy batch norm with per-class affine."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.conditional_batch_normalization import (
    ConditionalBatchNormalization,
)
from keras_test_case import TestCase

EPSILON = 1e-5


def random_features(shape, seed=42):
    generator = np.random.default_rng(seed)
    return (generator.normal(size=shape) * 2.0 + 1.5).astype("float32")


def numpy_batch_norm(features, mean, variance):
    """Per-channel normalisation of [batch, ..., channels] without affine."""
    return (features - mean) / np.sqrt(variance + EPSILON)


def numpy_batch_statistics(features):
    flat = features.reshape(-1, features.shape[-1]).astype("float64")
    return flat.mean(axis=0), flat.var(axis=0)


class TestConditionalBatchNormalization(TestCase):
    def test_layer_harness_labels(self):
        self.run_layer_test(
            ConditionalBatchNormalization,
            {"num_classes": 3},
            [random_features((4, 3, 3, 5)), np.array([0, 2, 1, 2])],
            (4, 3, 3, 5),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=2,
        )

    def test_layer_harness_column_labels_rank_2(self):
        self.run_layer_test(
            ConditionalBatchNormalization,
            {"num_classes": 4, "momentum": 0.5},
            [random_features((6, 5)), np.array([[0], [3], [1], [3], [2], [0]])],
            (6, 5),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=2,
        )

    def test_layer_harness_vector(self):
        self.run_layer_test(
            ConditionalBatchNormalization,
            {"conditioning": "vector"},
            [random_features((4, 2, 3, 5)), random_features((4, 3), seed=1)],
            (4, 2, 3, 5),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=2,
        )

    def test_training_equals_batch_norm_with_per_class_affine(self):
        features = random_features((6, 3, 4, 5))
        labels = np.array([0, 2, 1, 2, 2, 0])
        layer = ConditionalBatchNormalization(num_classes=3, momentum=0.9)
        layer.build([features.shape, labels.shape])
        gamma_table = random_features((3, 5), seed=1)
        beta_table = random_features((3, 5), seed=2)
        layer.gamma_embeddings.assign(gamma_table)
        layer.beta_embeddings.assign(beta_table)

        output = ops.convert_to_numpy(layer([features, labels], training=True))

        mean, variance = numpy_batch_statistics(features)
        normalized = numpy_batch_norm(features, mean, variance)
        expected = np.empty_like(normalized)
        for sample, label in enumerate(labels):
            expected[sample] = (
                gamma_table[label] * normalized[sample] + beta_table[label]
            )
        np.testing.assert_allclose(output, expected, atol=1e-4, rtol=1e-4)
        # The moving statistics moved 10% of the way from (0, 1).
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer.moving_mean), 0.1 * mean, atol=1e-5
        )
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer.moving_variance),
            0.9 + 0.1 * variance,
            atol=1e-5,
        )

    def test_initial_layer_is_plain_batch_norm_without_affine(self):
        features = random_features((8, 2, 2, 3))
        labels = np.array([0, 1, 2, 3, 4, 0, 1, 2])
        output = ConditionalBatchNormalization(num_classes=5)(
            [features, labels], training=True
        )
        reference = keras.layers.BatchNormalization(
            center=False, scale=False, epsilon=EPSILON
        )(features, training=True)
        np.testing.assert_allclose(
            ops.convert_to_numpy(output), ops.convert_to_numpy(reference), atol=1e-5
        )

    def test_inference_uses_moving_statistics(self):
        features = random_features((4, 3, 3, 2))
        labels = np.array([1, 0, 1, 1])
        layer = ConditionalBatchNormalization(num_classes=2)
        layer.build([features.shape, labels.shape])
        moving_mean = np.array([0.5, -1.0], "float32")
        moving_variance = np.array([4.0, 0.25], "float32")
        layer.moving_mean.assign(moving_mean)
        layer.moving_variance.assign(moving_variance)
        layer.gamma_embeddings.assign(np.array([[2.0, 3.0], [-1.0, 0.5]], "float32"))
        layer.beta_embeddings.assign(np.array([[0.0, 1.0], [5.0, -2.0]], "float32"))
        gamma_table = ops.convert_to_numpy(layer.gamma_embeddings)
        beta_table = ops.convert_to_numpy(layer.beta_embeddings)

        output = ops.convert_to_numpy(layer([features, labels], training=False))

        normalized = numpy_batch_norm(features, moving_mean, moving_variance)
        expected = np.stack(
            [
                gamma_table[label] * normalized[sample] + beta_table[label]
                for sample, label in enumerate(labels)
            ]
        )
        np.testing.assert_allclose(output, expected, atol=1e-5)
        # Inference leaves the moving statistics alone.
        np.testing.assert_array_equal(
            ops.convert_to_numpy(layer.moving_mean), moving_mean
        )
        # A single sample in inference does not depend on the rest of a batch.
        single = ops.convert_to_numpy(layer([features[:1], labels[:1]]))
        np.testing.assert_allclose(single, output[:1], atol=1e-6)

    def test_vector_conditioning_is_one_plus_linear_gain(self):
        features = random_features((5, 4, 3))
        condition = random_features((5, 6), seed=3)
        layer = ConditionalBatchNormalization(conditioning="vector")
        output = ops.convert_to_numpy(layer([features, condition], training=True))
        gamma_kernel = ops.convert_to_numpy(layer.gamma_kernel)
        beta_kernel = ops.convert_to_numpy(layer.beta_kernel)
        assert gamma_kernel.shape == beta_kernel.shape == (6, 3)
        mean, variance = numpy_batch_statistics(features)
        normalized = numpy_batch_norm(features, mean, variance)
        expected = np.empty_like(normalized)
        for sample in range(5):
            gamma = 1.0 + condition[sample] @ gamma_kernel
            beta = condition[sample] @ beta_kernel
            expected[sample] = gamma * normalized[sample] + beta
        np.testing.assert_allclose(output, expected, atol=1e-4, rtol=1e-4)

    def test_statistics_in_float32_under_mixed_precision(self):
        # Values around 300 with a spread of 0.1: float16 has a resolution of
        # 0.25 at 300, so statistics in float16 would lose the signal.
        features = (300.0 + 0.1 * random_features((8, 4, 2))).astype("float32")
        labels = np.zeros(8, "int32")
        mixed = ConditionalBatchNormalization(num_classes=1, dtype="mixed_float16")
        output = mixed([features, labels], training=True)
        assert keras.backend.standardize_dtype(output.dtype) == "float16"
        assert mixed.moving_mean.dtype == "float32"
        # The input itself is cast to float16 by Keras before the layer sees
        # it; compare with the normalisation of that float16 input.
        rounded = features.astype("float16").astype("float32")
        mean16, variance16 = numpy_batch_statistics(rounded)
        expected = numpy_batch_norm(rounded, mean16, variance16)
        np.testing.assert_allclose(
            ops.convert_to_numpy(output).astype("float32"), expected, atol=2e-2
        )

    def test_saving_in_a_model(self):
        features = keras.Input((3, 3, 4))
        labels = keras.Input((), dtype="int32")
        outputs = ConditionalBatchNormalization(num_classes=3)([features, labels])
        model = keras.Model([features, labels], outputs)
        model.layers[-1].moving_mean.assign(np.arange(4, dtype="float32"))
        model.layers[-1].gamma_embeddings.assign(random_features((3, 4), seed=5))
        self.run_model_saving_test(
            model, [random_features((2, 3, 3, 4)), np.array([2, 0], "int32")]
        )

    def test_wrong_number_of_inputs(self):
        features = random_features((4, 3))
        labels = np.array([0, 1, 0, 1])
        with pytest.raises(ValueError, match=r"two inputs \[x, condition\]"):
            ConditionalBatchNormalization(num_classes=2)(features)
        with pytest.raises(ValueError, match=r"two inputs \[x, condition\]"):
            ConditionalBatchNormalization(num_classes=2)([features, labels, labels])
        with pytest.raises(ValueError, match=r"two inputs \[x, condition\]"):
            ConditionalBatchNormalization(num_classes=2)([features])

    def test_wrong_condition_shapes(self):
        features = random_features((4, 3))
        with pytest.raises(ValueError, match=r"Labels should have shape.*\(4, 2\)"):
            ConditionalBatchNormalization(num_classes=2)(
                [features, np.zeros((4, 2), "int32")]
            )
        with pytest.raises(ValueError, match=r"condition vector.*\(4,\)"):
            ConditionalBatchNormalization(conditioning="vector")(
                [features, np.zeros((4,), "float32")]
            )
        with pytest.raises(ValueError, match=r"rank >= 2.*\(4,\)"):
            ConditionalBatchNormalization(num_classes=2)(
                [np.zeros((4,), "float32"), np.zeros((4,), "int32")]
            )

    def test_labels_out_of_range(self):
        features = random_features((2, 3))
        labels = np.array([0, 2])
        layer = ConditionalBatchNormalization(num_classes=2)
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
                layer([features, labels])
        else:
            output = ops.convert_to_numpy(layer([features, labels]))
            assert np.all(np.isfinite(output[0]))
            assert np.all(np.isnan(output[1]))

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({}, "`num_classes=None`"),
            ({"num_classes": 0}, "`num_classes=0`"),
            ({"num_classes": 2.0}, "`num_classes=2.0`"),
            ({"num_classes": 3, "conditioning": "vector"}, "`num_classes=3`"),
            ({"num_classes": 3, "conditioning": "onehot"}, "`conditioning=onehot`"),
            ({"num_classes": 3, "momentum": 1.0}, "`momentum=1.0`"),
            ({"num_classes": 3, "epsilon": 0}, "`epsilon=0`"),
        ],
    )
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            ConditionalBatchNormalization(**kwargs)
