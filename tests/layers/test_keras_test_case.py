"""Self-check of the shared harness on Keras' own layers and on broken layers."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_test_case import TestCase


@keras.saving.register_keras_serializable(package="keras_gans_harness_check")
class ScaleWithUnusedWeight(keras.layers.Layer):
    """Multiplies by a learned scale; a second weight is never used (a defect)."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        self.unused = self.add_weight(shape=(), initializer="ones", name="unused")

    def call(self, inputs):
        return inputs * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="keras_gans_harness_check")
class ForgetsItsArgument(keras.layers.Layer):
    """Writes `get_config` by hand and leaves `offset` out of it (a defect)."""

    def __init__(self, factor=1.0, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.offset = offset

    def call(self, inputs):
        return inputs * self.factor + self.offset

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_gans_harness_check")
class ChangesInInference(keras.layers.Layer):
    """Counts its calls into the output, even in inference (a defect)."""

    def build(self, input_shape):
        self.calls = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="calls"
        )

    def call(self, inputs):
        self.calls.assign(self.calls + 1.0)
        return inputs + self.calls

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="keras_gans_harness_check")
class TracksLocalBatchMean(keras.layers.Layer):
    """Stores the mean of each replica's own batch in training (a defect)."""

    def build(self, input_shape):
        self.batch_mean = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="batch_mean"
        )

    def call(self, inputs, training=None):
        if training:
            self.batch_mean.assign(ops.mean(inputs))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class TestHarnessOnKerasLayers(TestCase):
    def test_dense(self):
        self.run_layer_test(
            keras.layers.Dense,
            {"units": 3},
            np.random.default_rng(0).normal(size=(4, 5)).astype("float32"),
            (4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_batch_normalization_with_state(self):
        # Keras' BatchNormalization updates its moving statistics from each
        # replica's local batch (aggregation "none"), so replicas diverge under
        # MirroredStrategy: the check that catches this is tested below.
        self.run_layer_test(
            keras.layers.BatchNormalization,
            {},
            np.random.default_rng(0).normal(size=(4, 2, 2, 3)).astype("float32"),
            (4, 2, 2, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=2,
            run_distribution_check=False,
        )

    def test_non_deterministic_layer(self):
        self.run_layer_test(
            keras.layers.GaussianNoise,
            {"stddev": 0.1},
            np.ones((4, 3), "float32"),
            (4, 3),
            expected_num_trainable_weights=0,
            deterministic=False,
            run_training_check=False,
        )

    def test_multi_input_layer(self):
        generator = np.random.default_rng(0)
        self.run_layer_test(
            keras.layers.Concatenate,
            {"axis": -1},
            [
                generator.normal(size=(4, 2)).astype("float32"),
                generator.normal(size=(4, 3)).astype("float32"),
            ],
            (4, 5),
            expected_num_trainable_weights=0,
        )

    def test_model_saving(self):
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
        self.run_model_saving_test(model, np.ones((3, 5), "float32"))


class TestHarnessCatchesDefects(TestCase):
    def test_wrong_output_shape(self):
        with pytest.raises(AssertionError, match="shape"):
            self.run_layer_test(
                keras.layers.Dense, {"units": 3}, np.ones((4, 5), "float32"), (4, 4)
            )

    def test_wrong_weight_count(self):
        with pytest.raises(AssertionError, match="trainable weights"):
            self.run_layer_test(
                keras.layers.Dense,
                {"units": 3},
                np.ones((4, 5), "float32"),
                (4, 3),
                expected_num_trainable_weights=1,
            )

    def test_weight_without_gradient(self):
        with pytest.raises(AssertionError, match="unused.*did not change"):
            self.run_layer_test(
                ScaleWithUnusedWeight,
                {},
                np.ones((4, 3), "float32"),
                (4, 3),
                run_jit_check=False,
                run_mixed_precision_check=False,
                run_distribution_check=False,
            )

    def test_incomplete_config(self):
        with pytest.raises(AssertionError, match="lacks the argument `offset`"):
            self.run_serialization_test(ForgetsItsArgument(factor=2.0, offset=3.0))

    def test_unregistered_layer(self):
        class Unregistered(keras.layers.Layer):
            def call(self, inputs):
                return inputs

        with pytest.raises((AssertionError, TypeError, ValueError)):
            self.run_serialization_test(Unregistered())

    def test_state_change_in_inference(self):
        with pytest.raises(AssertionError, match="second eager call"):
            self.run_layer_test(
                ChangesInInference, {}, np.ones((4, 3), "float32"), (4, 3)
            )

    @pytest.mark.tensorflow_only
    def test_replicas_that_diverge(self):
        with pytest.raises(AssertionError, match="differs between replica"):
            self.run_layer_test(
                TracksLocalBatchMean,
                {},
                np.arange(12, dtype="float32").reshape(4, 3),
                (4, 3),
                run_jit_check=False,
                run_mixed_precision_check=False,
            )

    def test_odd_batch_skips_only_the_distribution_check(self):
        if keras.backend.backend() != "tensorflow":
            pytest.skip("the distribution check runs only under TensorFlow")
        with pytest.raises(pytest.skip.Exception, match="all other checks passed"):
            self.run_layer_test(
                keras.layers.Dense,
                {"units": 2},
                np.ones((3, 5), "float32"),
                (3, 2),
                run_jit_check=False,
                run_mixed_precision_check=False,
            )

    def test_model_saving_detects_other_outputs(self):
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
        original_save = model.save

        kernel = model.layers[0].kernel
        kernel_values = ops.convert_to_numpy(kernel).copy()

        def save_with_perturbed_kernel(path):
            kernel.assign(kernel_values + 1.0)
            original_save(path)
            kernel.assign(kernel_values)

        model.save = save_with_perturbed_kernel
        with pytest.raises(AssertionError):
            self.run_model_saving_test(model, np.ones((3, 5), "float32"))
        # The in-memory model kept its own kernel, so the mismatch came from
        # the file.
        np.testing.assert_array_equal(ops.convert_to_numpy(kernel), kernel_values)
