"""Tests for `VirtualBatchNormalization` and `VirtualBatchNormGenerator`.

Oracles: batch normalization of the reference batch in NumPy and
`keras.layers.BatchNormalization` in training mode; the paper's per-example
statistics (Salimans et al., 2016, section 3.4) computed in NumPy on the set
{reference batch} + {example}; and behaviours only a per-example normaliser
shows (an example's output ignores the other examples of the batch).
"""

import keras
import numpy as np
import pytest
from keras_gans.layers.virtual_batch_norm_generator import VirtualBatchNormGenerator
from keras_gans.layers.virtual_batch_normalization import VirtualBatchNormalization
from keras_test_case import TestCase

EPSILON = 1e-3


def numpy_normalize(values, statistics_set, feature_axis, gamma, beta):
    """Normalises `values` with the per-feature mean and (biased) variance of
    `statistics_set` taken over every axis except the feature axis."""
    feature_axis = feature_axis % values.ndim
    axes = tuple(a for a in range(statistics_set.ndim) if a != feature_axis)
    mean = statistics_set.mean(axis=axes, keepdims=True)
    variance = statistics_set.var(axis=axes, keepdims=True)
    shape = [1] * values.ndim
    shape[feature_axis] = -1
    normalized = (values - mean) / np.sqrt(variance + EPSILON)
    return normalized * gamma.reshape(shape) + beta.reshape(shape)


def numpy_virtual_batch_norm(x, reference_size, feature_axis, gamma, beta):
    """The paper's definition, row by row, in float64."""
    x = x.astype("float64")
    reference = x[:reference_size]
    rows = [numpy_normalize(reference, reference, feature_axis, gamma, beta)]
    for example in x[reference_size:]:
        # The statistics of the union of the reference batch and the example.
        union = np.concatenate([reference, example[None]], axis=0)
        rows.append(numpy_normalize(example[None], union, feature_axis, gamma, beta))
    return np.concatenate(rows, axis=0)


def built_layer(input_shape, feature_axis=-1, **kwargs):
    """A VBN layer with random gamma and beta."""
    layer = VirtualBatchNormalization(axis=feature_axis, epsilon=EPSILON, **kwargs)
    layer.build(input_shape)
    random = np.random.RandomState(42)
    if layer.scale:
        layer.gamma.assign(random.uniform(0.5, 2.0, size=layer.gamma.shape))
    if layer.center:
        layer.beta.assign(random.normal(size=layer.beta.shape))
    return layer


def layer_gamma_beta(layer, features):
    gamma = np.asarray(layer.gamma) if layer.scale else np.ones(features)
    beta = np.asarray(layer.beta) if layer.center else np.zeros(features)
    return gamma, beta


SHAPES = {
    "dense": ((9, 5), -1),
    "image": ((7, 3, 3, 4), -1),
    "channels_first": ((7, 4, 3, 3), 1),
}


class TestVirtualBatchNormalizationOracles:
    @pytest.mark.parametrize("case", sorted(SHAPES))
    @pytest.mark.parametrize(
        "center, scale", [(True, True), (False, True), (True, False)]
    )
    def test_reference_rows_equal_batch_normalization(self, case, center, scale):
        shape, feature_axis = SHAPES[case]
        reference_size = 5
        x = np.random.RandomState(0).normal(2.0, 3.0, size=shape).astype("float32")
        layer = built_layer(
            shape,
            feature_axis,
            reference_size=reference_size,
            center=center,
            scale=scale,
        )
        outputs = np.asarray(layer(x))[:reference_size]
        gamma, beta = layer_gamma_beta(layer, shape[feature_axis])
        reference = x[:reference_size].astype("float64")
        np.testing.assert_allclose(
            outputs,
            numpy_normalize(reference, reference, feature_axis, gamma, beta),
            atol=1e-5,
        )

        batch_norm = keras.layers.BatchNormalization(
            axis=feature_axis, epsilon=EPSILON, center=center, scale=scale
        )
        batch_norm.build(reference.shape)
        if scale:
            batch_norm.gamma.assign(gamma)
        if center:
            batch_norm.beta.assign(beta)
        expected = np.asarray(batch_norm(x[:reference_size], training=True))
        np.testing.assert_allclose(outputs, expected, atol=1e-5)

    @pytest.mark.parametrize("case", sorted(SHAPES))
    def test_examples_match_union_statistics(self, case):
        shape, feature_axis = SHAPES[case]
        reference_size = 4
        x = np.random.RandomState(1).normal(-1.0, 2.0, size=shape).astype("float32")
        layer = built_layer(shape, feature_axis, reference_size=reference_size)
        gamma, beta = layer_gamma_beta(layer, shape[feature_axis])
        expected = numpy_virtual_batch_norm(
            x, reference_size, feature_axis, gamma, beta
        )
        np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-5)

    def test_example_rows_ignore_the_other_examples(self):
        reference_size = 4
        random = np.random.RandomState(2)
        x = random.normal(size=(9, 3, 3, 2)).astype("float32")
        layer = built_layer(x.shape, reference_size=reference_size)
        outputs = np.asarray(layer(x))
        changed = x.copy()
        changed[reference_size + 1 :] = random.normal(
            5.0, 4.0, size=changed[reference_size + 1 :].shape
        )
        changed_outputs = np.asarray(layer(changed))
        # The reference rows and the first example are unchanged ...
        np.testing.assert_allclose(
            changed_outputs[: reference_size + 1],
            outputs[: reference_size + 1],
            atol=1e-6,
        )
        # ... and so is the first example in a batch of its own.
        alone = np.asarray(layer(x[: reference_size + 1]))
        np.testing.assert_allclose(alone, outputs[: reference_size + 1], atol=1e-6)
        # Changing the reference batch, however, changes every example.
        changed = x.copy()
        changed[0] += 3.0
        changed_outputs = np.asarray(layer(changed))
        assert np.all(
            np.abs(changed_outputs[reference_size:] - outputs[reference_size:]).max(
                axis=(1, 2, 3)
            )
            > 1e-3
        )

    def test_statistics_in_float32_under_mixed_precision(self):
        keras.config.set_dtype_policy("mixed_float16")
        # Features with an offset of 100 and a spread of 1, exact in float16:
        # E[x^2] - E[x]^2 in float16 would lose the variance entirely.
        random = np.random.RandomState(3)
        x = (100.0 + np.round(random.normal(size=(10, 6)) * 64) / 64).astype("float16")
        layer = VirtualBatchNormalization(reference_size=6, epsilon=EPSILON)
        outputs = layer(x)
        assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
        assert layer.gamma.dtype == "float32"
        expected = numpy_virtual_batch_norm(x, 6, -1, np.ones(6), np.zeros(6))
        np.testing.assert_allclose(
            np.asarray(outputs, dtype="float32"), expected, atol=1e-2
        )

    def test_too_few_rows_names_both_numbers(self):
        layer = VirtualBatchNormalization(reference_size=8)
        with pytest.raises(ValueError, match=r"reference_size=8.*8 rows"):
            layer(np.zeros((8, 3), dtype="float32"))
        with pytest.raises(ValueError, match=r"reference_size=8.*5 rows"):
            layer(np.zeros((5, 3), dtype="float32"))

    def test_too_few_rows_fail_in_a_compiled_function(self):
        layer = VirtualBatchNormalization(reference_size=8)
        layer.build((None, 4, 3))
        rows = np.zeros((9, 4, 3), dtype="float32")
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            # The batch size is unknown when traced: the rows are counted at run
            # time, and 8 reference rows + 1 example is the least that passes.
            call = tf.function(
                layer, input_signature=[tf.TensorSpec((None, None, 3), "float32")]
            )
            assert tuple(call(rows).shape) == (9, 4, 3)
            with pytest.raises(
                tf.errors.InvalidArgumentError,
                match=r"Expected size\[0\] in \[0, 5\], but got 9[\s\S]*"
                "reference_batch_and_an_example/Slice",
            ):
                call(rows[:5])
        elif keras.backend.backend() == "jax":
            import jax

            # Traced shapes are static: the call-time check names both numbers.
            assert tuple(jax.jit(layer)(rows).shape) == (9, 4, 3)
            with pytest.raises(ValueError, match=r"reference_size=8.*5 rows"):
                jax.jit(layer)(rows[:5])

    @pytest.mark.parametrize(
        "kwargs, name",
        [
            ({"reference_size": 0}, "reference_size"),
            ({"reference_size": 2.0}, "reference_size"),
            ({"reference_size": 2, "epsilon": -1.0}, "epsilon"),
            ({"reference_size": 2, "axis": "last"}, "axis"),
            ({"reference_size": 2, "center": 1}, "center"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs, name):
        with pytest.raises(ValueError, match=f"`{name}="):
            VirtualBatchNormalization(**kwargs)

    def test_rejects_batch_axis(self):
        layer = VirtualBatchNormalization(reference_size=2, axis=0)
        with pytest.raises(ValueError, match="`axis=0`"):
            layer(np.zeros((4, 3), dtype="float32"))


class TestVirtualBatchNormalizationHarness(TestCase):
    # The layer reads the reference batch from the first rows of its input, so
    # a MirroredStrategy split of a raw batch is meaningless: the distribution
    # check runs on VirtualBatchNormGenerator below instead.

    def test_layer_dense(self):
        self.run_layer_test(
            VirtualBatchNormalization,
            {"reference_size": 4},
            np.random.RandomState(0).normal(size=(6, 5)),
            (6, 5),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
            run_distribution_check=False,
        )

    def test_layer_image_channels_first(self):
        self.run_layer_test(
            VirtualBatchNormalization,
            {"reference_size": 3, "axis": 1, "center": False},
            np.random.RandomState(1).normal(size=(5, 2, 3, 3)),
            (5, 2, 3, 3),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
            run_distribution_check=False,
        )


REFERENCE_SIZE = 4
LATENT_DIM = 6


def small_generator():
    return keras.Sequential(
        [
            keras.Input(shape=(LATENT_DIM,)),
            keras.layers.Dense(8),
            VirtualBatchNormalization(reference_size=REFERENCE_SIZE),
            keras.layers.ReLU(),
            keras.layers.Dense(3),
        ]
    )


class TestVirtualBatchNormGenerator(TestCase):
    def test_output_matches_numpy_with_reference_latents(self):
        reference_latents = (
            np.random.RandomState(4).normal(size=(REFERENCE_SIZE, LATENT_DIM))
        ).astype("float32")
        generator = small_generator()
        wrapper = VirtualBatchNormGenerator(generator, reference_latents)
        latents = (
            np.random.RandomState(5).normal(size=(3, LATENT_DIM)).astype("float32")
        )
        outputs = np.asarray(wrapper(latents))

        first, vbn, _, last = generator.layers
        kernel, bias = (np.asarray(w, dtype="float64") for w in first.weights)
        hidden = np.concatenate([reference_latents, latents]) @ kernel + bias
        normalized = numpy_virtual_batch_norm(
            hidden, REFERENCE_SIZE, -1, *layer_gamma_beta(vbn, 8)
        )
        expected = np.maximum(normalized, 0.0) @ np.asarray(last.kernel) + np.asarray(
            last.bias
        )
        np.testing.assert_allclose(outputs, expected[REFERENCE_SIZE:], atol=1e-5)

    def test_an_example_output_ignores_the_rest_of_its_batch(self):
        wrapper = VirtualBatchNormGenerator(small_generator(), REFERENCE_SIZE, seed=1)
        random = np.random.RandomState(6)
        latents = random.normal(size=(8, LATENT_DIM)).astype("float32")
        outputs = np.asarray(wrapper.predict(latents, batch_size=8, verbose=0))
        for index in (0, 5):
            alone = wrapper.predict(latents[index : index + 1], verbose=0)
            np.testing.assert_allclose(alone[0], outputs[index], atol=1e-6)
        changed = latents.copy()
        changed[1:] = random.normal(size=(7, LATENT_DIM))
        np.testing.assert_allclose(
            np.asarray(wrapper(changed))[0], outputs[0], atol=1e-6
        )

    def test_fit_trains_the_generator_and_keeps_the_reference(self):
        wrapper = VirtualBatchNormGenerator(small_generator(), REFERENCE_SIZE, seed=2)
        reference = np.asarray(wrapper.reference_latents).copy()
        random = np.random.RandomState(7)
        latents = random.normal(size=(8, LATENT_DIM)).astype("float32")
        targets = random.normal(size=(8, 3)).astype("float32")
        wrapper.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        losses = wrapper.fit(
            latents, targets, batch_size=4, epochs=5, shuffle=False, verbose=0
        ).history["loss"]
        assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
        assert wrapper.reference_latents.trainable is False
        np.testing.assert_array_equal(np.asarray(wrapper.reference_latents), reference)

    def test_seeded_reference_latents_are_standard_normal_and_reproducible(self):
        first = VirtualBatchNormGenerator(small_generator(), 64, seed=3)
        second = VirtualBatchNormGenerator(small_generator(), 64, seed=3)
        values = np.asarray(first.reference_latents)
        assert values.shape == (64, LATENT_DIM)
        np.testing.assert_array_equal(values, np.asarray(second.reference_latents))
        assert abs(values.mean()) < 0.15 and abs(values.std() - 1.0) < 0.15

    def test_serialization_and_model_saving(self):
        reference_latents = (
            np.random.RandomState(8).normal(size=(REFERENCE_SIZE, LATENT_DIM))
        ).astype("float32")
        wrapper = VirtualBatchNormGenerator(small_generator(), reference_latents)
        self.run_serialization_test(wrapper)
        latents = np.random.RandomState(9).normal(size=(5, LATENT_DIM))
        restored = self.run_model_saving_test(wrapper, latents)
        np.testing.assert_array_equal(
            np.asarray(restored.reference_latents), reference_latents
        )

    def test_rejects_bad_arguments(self):
        with pytest.raises(ValueError, match="`reference_latents=0`"):
            VirtualBatchNormGenerator(small_generator(), 0)
        with pytest.raises(ValueError, match="shape \\(4,\\)"):
            VirtualBatchNormGenerator(small_generator(), np.zeros(4))
        with pytest.raises(ValueError, match="`generator="):
            VirtualBatchNormGenerator("generator", 4)
        with pytest.raises(ValueError, match="`latent_shape="):
            VirtualBatchNormGenerator(
                small_generator(), np.zeros((4, LATENT_DIM)), latent_shape=(5,)
            )

    def test_integer_reference_needs_latent_shape_for_undeclared_inputs(self):
        class Subclassed(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(3)

            def call(self, inputs):
                return self.dense(inputs)

        with pytest.raises(ValueError, match="`latent_shape`"):
            VirtualBatchNormGenerator(Subclassed(), 4)
        wrapper = VirtualBatchNormGenerator(Subclassed(), 4, latent_shape=(LATENT_DIM,))
        assert tuple(wrapper(np.zeros((2, LATENT_DIM), dtype="float32")).shape) == (
            2,
            3,
        )

    @pytest.mark.tensorflow_only
    def test_mirrored_strategy_step_with_identical_replicas(self):
        import tensorflow as tf

        random = np.random.RandomState(10)
        latents = random.normal(size=(8, LATENT_DIM)).astype("float32")
        targets = random.normal(size=(8, 3)).astype("float32")
        strategy = tf.distribute.MirroredStrategy(
            ["/cpu:0", "/cpu:1"], cross_device_ops=tf.distribute.ReductionToOneDevice()
        )
        with strategy.scope():
            wrapper = VirtualBatchNormGenerator(
                small_generator(), REFERENCE_SIZE, seed=4
            )
            wrapper.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        # Each replica receives 4 latents and prepends the 4 reference latents.
        loss = wrapper.fit(latents, targets, batch_size=8, epochs=1, verbose=0)
        assert np.isfinite(loss.history["loss"][-1])
        for variable in wrapper.variables:
            first, second = strategy.experimental_local_results(variable.value)
            np.testing.assert_array_equal(first.numpy(), second.numpy())

        # The same latents on both replicas give the same outputs, equal to the
        # outputs outside the strategy.
        per_replica = strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant(latents[:3])
        )
        outputs = strategy.run(wrapper, args=(per_replica,))
        first, second = strategy.experimental_local_results(outputs)
        np.testing.assert_array_equal(first.numpy(), second.numpy())
        np.testing.assert_allclose(
            first.numpy(), np.asarray(wrapper(latents[:3])), atol=1e-6
        )
