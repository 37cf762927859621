"""Shared test harness for the drop-in layers, built on public Keras only.

A test class subclasses `TestCase` (a plain pytest class) and calls:

- `run_layer_test(layer_cls, init_kwargs, input_data, expected_output_shape, ...)`:
  the checks every layer must pass (serialization, symbolic and eager calls,
  `compute_output_shape`, weight counts, Sequential and Functional models, a
  training step, `jit_compile=True`, `mixed_float16`, `.keras` saving and, under
  TensorFlow, a `MirroredStrategy` step with identical replicas).
- `run_serialization_test(layer)`: `get_config` and `serialize_keras_object`
  round trips give an identical configuration.
- `run_model_saving_test(model, input_data, atol=1e-6)`: a `.keras` save and load
  gives the same outputs.

`mirrored_strategy()` gives the two-CPU `MirroredStrategy` for a layer's own
TensorFlow-only distribution tests.

These checks say that a layer fits into Keras; whether it computes the right
thing is for each layer's own oracle tests.
"""

import inspect
import json
import os
import tempfile

import keras
import numpy as np
import pytest
from keras import ops

# Tolerance of the float16 output relative to the float32 output of the same
# weights under `mixed_float16` (float16 has about 3 significant digits).
MIXED_PRECISION_RTOL = 1e-2
# Tolerance between the eager output and `predict` under `jit_compile=True`.
JIT_ATOL = 1e-5
# Learning rate of the SGD training check: large enough that every update is
# visible in float32, small enough that one step stays finite.
TRAINING_LEARNING_RATE = 0.01
# Steps of the training check. Two, so that parameters gated by a weight that
# starts at zero (SAGAN's gamma) receive a gradient in the second step.
TRAINING_STEPS = 2
# Seed of the training check's random targets.
TARGETS_SEED = 90_210
# Devices of the distribution check (conftest.py splits the CPU in two).
DISTRIBUTION_DEVICES = ["/cpu:0", "/cpu:1"]


def mirrored_strategy():
    """A `tf.distribute.MirroredStrategy` over the two logical CPUs.

    Reduces through one device instead of collective ops: several strategies
    with collective ops in one process (one per test) reuse collective instance
    keys and abort with "Shape mismatch in the collective instance".
    """
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(
        DISTRIBUTION_DEVICES, cross_device_ops=tf.distribute.ReductionToOneDevice()
    )


def replica_values(variable):
    """A variable's value on each replica (one value outside a strategy), as NumPy."""
    values = getattr(variable.value, "values", None)
    return [np.asarray(v) for v in values] if values else [np.asarray(variable.value)]


def _as_list(data):
    """Returns `data` as a list of arrays (one per input or output)."""
    if isinstance(data, (list, tuple)):
        return list(data)
    return [data]


def _unwrap(items, was_list):
    return items if was_list else items[0]


def _standardize_array(array):
    """Converts to NumPy; float64 becomes float32 (the dtype Keras computes in)."""
    array = np.asarray(array)
    if array.dtype == np.float64:
        array = array.astype("float32")
    return array


def _is_float(dtype):
    return "float" in keras.backend.standardize_dtype(dtype)


def _to_numpy_list(outputs):
    return [ops.convert_to_numpy(output) for output in _as_list(outputs)]


def _canonical_json(config):
    return json.dumps(config, sort_keys=True, indent=2)


class TestCase:
    """Base class for layer tests (pytest style: no `__init__`, `test_*` methods)."""

    # ------------------------------------------------------------------
    # Serialization and saving
    # ------------------------------------------------------------------

    def run_serialization_test(self, layer):
        """Checks the `get_config` and `serialize_keras_object` round trips.

        Also checks that every named argument of `__init__` (other than the
        base `Layer` ones) is stored as an attribute of the same name and is
        in the config unless its value is None.
        """
        config = layer.get_config()
        base_arguments = inspect.signature(keras.layers.Layer.__init__).parameters
        signature = inspect.signature(type(layer).__init__)
        for name, parameter in signature.parameters.items():
            if name in base_arguments or parameter.kind in (
                parameter.VAR_POSITIONAL,
                parameter.VAR_KEYWORD,
            ):
                continue
            assert hasattr(layer, name), (
                f"{type(layer).__name__} does not store the argument `{name}` "
                "as an attribute of the same name"
            )
            # Keras leaves unused optional arguments (None) out of configs.
            assert name in config or getattr(layer, name) is None, (
                f"{type(layer).__name__}.get_config() lacks the argument `{name}`"
            )
        config_json = _canonical_json(config)
        revived = layer.__class__.from_config(config)
        assert type(revived) is type(layer)
        assert _canonical_json(revived.get_config()) == config_json, (
            f"{type(layer).__name__}.from_config(get_config()) changed the config"
        )

        serialized = keras.saving.serialize_keras_object(layer)
        serialized_json = _canonical_json(serialized)
        revived = keras.saving.deserialize_keras_object(json.loads(serialized_json))
        assert type(revived) is type(layer), (
            f"deserialize_keras_object returned {type(revived).__name__}, "
            f"expected {type(layer).__name__}: is the class registered with "
            "keras.saving.register_keras_serializable?"
        )
        revived_json = _canonical_json(keras.saving.serialize_keras_object(revived))
        assert revived_json == serialized_json, (
            f"serialize -> deserialize -> serialize changed {type(layer).__name__}"
        )
        assert _canonical_json(revived.get_config()) == config_json

    def run_model_saving_test(self, model, input_data, atol=1e-6):
        """Saves `model` to a `.keras` file, loads it and compares outputs."""
        inputs = [_standardize_array(array) for array in _as_list(input_data)]
        model_inputs = _unwrap(inputs, isinstance(input_data, (list, tuple)))
        expected = _to_numpy_list(model(model_inputs, training=False))
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "model.keras")
            model.save(path)
            restored = keras.saving.load_model(path)
        actual = _to_numpy_list(restored(model_inputs, training=False))
        assert len(actual) == len(expected)
        for restored_output, original_output in zip(actual, expected, strict=True):
            np.testing.assert_allclose(
                restored_output,
                original_output,
                atol=atol,
                rtol=0,
                err_msg="the model restored from .keras gives other outputs",
            )
        original_weights = model.get_weights()
        restored_weights = restored.get_weights()
        assert len(original_weights) == len(restored_weights)
        for original, loaded in zip(original_weights, restored_weights, strict=True):
            np.testing.assert_array_equal(loaded, original)
        return restored

    # ------------------------------------------------------------------
    # The layer harness
    # ------------------------------------------------------------------

    def run_layer_test(
        self,
        layer_cls,
        init_kwargs,
        input_data,
        expected_output_shape,
        *,
        call_kwargs=None,
        expected_num_trainable_weights=None,
        expected_num_non_trainable_weights=None,
        deterministic=True,
        run_training_check=True,
        run_mixed_precision_check=True,
        run_jit_check=True,
        run_distribution_check=True,
    ):
        """Runs the checks every layer must pass.

        Args:
            layer_cls: the layer class.
            init_kwargs: dict of constructor arguments.
            input_data: a NumPy array, or a list of arrays for a multi-input
                layer (called as `layer([a, b])`). Integer arrays become
                integer `keras.Input`s; float64 is treated as float32.
            expected_output_shape: a tuple, or a list of tuples for a
                multi-output layer, with the batch dimension of `input_data`.
            call_kwargs: extra keyword arguments for every call of the layer.
            expected_num_trainable_weights: if not None, checked after build.
            expected_num_non_trainable_weights: if not None, checked after build.
            deterministic: whether the output in inference is a function of
                the input and the weights only. When False, outputs of two
                calls or two layers are not compared.
            run_training_check: fit the Functional model with SGD and "mse"
                towards random targets; the loss must be finite and every
                trainable weight must change.
            run_mixed_precision_check: build the layer with
                `dtype="mixed_float16"`; variables must be float32, float
                outputs float16, finite and close to the float32 output.
            run_jit_check: `predict` and `fit` under `jit_compile=True`.
            run_distribution_check: under TensorFlow, one fit step inside
                `tf.distribute.MirroredStrategy` on two CPUs; every variable
                must be identical across replicas. Skipped (the whole test is
                reported skipped, after all other checks passed) if the batch
                is odd. Not run on other backends.
        """
        call_kwargs = dict(call_kwargs or {})
        is_multi_input = isinstance(input_data, (list, tuple))
        inputs = [_standardize_array(array) for array in _as_list(input_data)]
        layer_inputs = _unwrap(inputs, is_multi_input)
        is_multi_output = isinstance(expected_output_shape, list)
        expected_shapes = [
            tuple(shape)
            for shape in (
                expected_output_shape if is_multi_output else [expected_output_shape]
            )
        ]
        batch_size = inputs[0].shape[0]

        def symbolic_inputs(batch):
            return _unwrap(
                [
                    keras.Input(
                        batch_shape=(batch, *array.shape[1:]), dtype=str(array.dtype)
                    )
                    for array in inputs
                ],
                is_multi_input,
            )

        def check_shapes(outputs, shapes, where):
            outputs = _as_list(outputs)
            assert isinstance(outputs, list)
            assert len(outputs) == len(shapes), (
                f"{where}: {len(outputs)} outputs, expected {len(shapes)}"
            )
            for index, (output, shape) in enumerate(zip(outputs, shapes, strict=True)):
                assert tuple(output.shape) == shape, (
                    f"{where}: output {index} has shape {tuple(output.shape)}, "
                    f"expected {shape}"
                )

        def check_weight_counts(layer, where):
            assert layer.built, f"{where}: the layer is not built"
            if expected_num_trainable_weights is not None:
                assert len(layer.trainable_weights) == expected_num_trainable_weights, (
                    f"{where}: {len(layer.trainable_weights)} trainable weights, "
                    f"expected {expected_num_trainable_weights}"
                )
            if expected_num_non_trainable_weights is not None:
                count = len(layer.non_trainable_weights)
                assert count == expected_num_non_trainable_weights, (
                    f"{where}: {count} non-trainable weights, "
                    f"expected {expected_num_non_trainable_weights}"
                )

        def check_output_dtypes(layer, outputs, where):
            for output in _as_list(outputs):
                if _is_float(output.dtype):
                    assert (
                        keras.backend.standardize_dtype(output.dtype)
                        == layer.compute_dtype
                    ), (
                        f"{where}: output dtype {output.dtype}, expected the "
                        f"compute dtype {layer.compute_dtype}"
                    )

        def assert_outputs_close(actual, expected, atol, where):
            for index, (first, second) in enumerate(
                zip(_to_numpy_list(actual), expected, strict=True)
            ):
                np.testing.assert_allclose(
                    first, second, atol=atol, rtol=0, err_msg=f"{where}: output {index}"
                )

        # 1. Serialization round trips.
        self.run_serialization_test(layer_cls(**init_kwargs))

        # 2. Symbolic call with a known batch, then with an unknown batch.
        layer = layer_cls(**init_kwargs)
        symbolic_outputs = layer(symbolic_inputs(batch_size), **call_kwargs)
        check_shapes(symbolic_outputs, expected_shapes, "symbolic call")
        check_weight_counts(layer, "symbolic call")
        check_output_dtypes(layer, symbolic_outputs, "symbolic call")
        unknown_batch_shapes = [(None, *shape[1:]) for shape in expected_shapes]
        layer = layer_cls(**init_kwargs)
        symbolic_outputs = layer(symbolic_inputs(None), **call_kwargs)
        check_shapes(
            symbolic_outputs, unknown_batch_shapes, "symbolic call, batch None"
        )

        # 3. compute_output_shape.
        input_shapes = _unwrap([array.shape for array in inputs], is_multi_input)
        computed = layer.compute_output_shape(input_shapes)
        computed_shapes = computed if is_multi_output else [computed]
        assert [tuple(shape) for shape in computed_shapes] == expected_shapes, (
            f"compute_output_shape returned {computed}, "
            f"expected {expected_output_shape}"
        )

        # 4. Eager call; weights counted after build.
        eager_layer = layer_cls(**init_kwargs)
        eager_outputs = eager_layer(layer_inputs, **call_kwargs)
        check_shapes(eager_outputs, expected_shapes, "eager call")
        check_weight_counts(eager_layer, "eager call")
        check_output_dtypes(eager_layer, eager_outputs, "eager call")
        eager_numpy = _to_numpy_list(eager_outputs)
        for index, output in enumerate(eager_numpy):
            if _is_float(output.dtype):
                assert np.all(np.isfinite(output)), f"eager output {index} not finite"
        if deterministic:
            assert_outputs_close(
                eager_layer(layer_inputs, **call_kwargs),
                eager_numpy,
                1e-6,
                "second eager call (inference must not change the layer)",
            )
        eager_weights = eager_layer.get_weights()

        def functional_model(layer):
            model_inputs = symbolic_inputs(None)
            return keras.Model(model_inputs, layer(model_inputs, **call_kwargs))

        # 5. Sequential model (single input) with the eager layer's weights.
        if not is_multi_input:
            sequential_layer = layer_cls(**init_kwargs)
            sequential = keras.Sequential(
                [
                    keras.Input(shape=inputs[0].shape[1:], dtype=str(inputs[0].dtype)),
                    sequential_layer,
                ]
            )
            sequential_layer.set_weights(eager_weights)
            outputs = sequential.predict(layer_inputs, batch_size=batch_size, verbose=0)
            check_shapes(outputs, expected_shapes, "Sequential predict")
            if deterministic:
                assert_outputs_close(outputs, eager_numpy, 1e-5, "Sequential predict")

        # 6. Functional model with the eager layer's weights; training check;
        #    .keras saving.
        functional_layer = layer_cls(**init_kwargs)
        model = functional_model(functional_layer)
        functional_layer.set_weights(eager_weights)
        outputs = model(layer_inputs, training=False)
        check_shapes(outputs, expected_shapes, "Functional call")
        if deterministic:
            assert_outputs_close(outputs, eager_numpy, 1e-5, "Functional call")
        if run_training_check:
            self._run_training_check(
                model, functional_layer, layer_inputs, expected_shapes, is_multi_output
            )
        if deterministic:
            self.run_model_saving_test(model, layer_inputs)

        # 7. jit_compile=True.
        if run_jit_check:
            jit_layer = layer_cls(**init_kwargs)
            model = functional_model(jit_layer)
            jit_layer.set_weights(eager_weights)
            model.compile(
                optimizer=keras.optimizers.SGD(TRAINING_LEARNING_RATE),
                loss="mse",
                jit_compile=True,
            )
            outputs = model.predict(layer_inputs, batch_size=batch_size, verbose=0)
            check_shapes(outputs, expected_shapes, "jit predict")
            if deterministic:
                assert_outputs_close(outputs, eager_numpy, JIT_ATOL, "jit predict")
            targets = self._random_targets(expected_shapes, is_multi_output)
            history = model.fit(
                layer_inputs,
                targets,
                batch_size=batch_size,
                epochs=1,
                shuffle=False,
                verbose=0,
            )
            loss = history.history["loss"][-1]
            assert np.isfinite(loss), f"jit fit step: loss {loss}"

        # 8. mixed_float16: float32 variables, float16 outputs, close to float32.
        if run_mixed_precision_check:
            mixed_layer = layer_cls(**{**init_kwargs, "dtype": "mixed_float16"})
            mixed_layer(layer_inputs, **call_kwargs)
            mixed_layer.set_weights(eager_weights)
            for variable in mixed_layer.weights:
                if _is_float(variable.dtype):
                    assert variable.dtype == "float32", (
                        f"mixed_float16: variable {variable.path} is {variable.dtype}"
                    )
            mixed_outputs = mixed_layer(layer_inputs, **call_kwargs)
            check_shapes(mixed_outputs, expected_shapes, "mixed_float16 call")
            for index, (output, reference) in enumerate(
                zip(_as_list(mixed_outputs), eager_numpy, strict=True)
            ):
                if not _is_float(output.dtype):
                    continue
                assert keras.backend.standardize_dtype(output.dtype) == "float16", (
                    f"mixed_float16: output {index} is {output.dtype}, expected float16"
                )
                output = ops.convert_to_numpy(output).astype("float32")
                assert np.all(np.isfinite(output)), (
                    f"mixed_float16: output {index} not finite"
                )
                if deterministic:
                    scale = max(1.0, float(np.max(np.abs(reference))))
                    np.testing.assert_allclose(
                        output,
                        reference,
                        rtol=MIXED_PRECISION_RTOL,
                        atol=MIXED_PRECISION_RTOL * scale,
                        err_msg=f"mixed_float16: output {index} vs float32",
                    )

        # 9. MirroredStrategy (TensorFlow only): last, because it may skip.
        if run_distribution_check and keras.backend.backend() == "tensorflow":
            self._run_distribution_check(
                layer_cls,
                init_kwargs,
                call_kwargs,
                layer_inputs,
                symbolic_inputs,
                expected_shapes,
                is_multi_output,
                batch_size,
            )

    # ------------------------------------------------------------------
    # Pieces of run_layer_test
    # ------------------------------------------------------------------

    @staticmethod
    def _random_targets(expected_shapes, is_multi_output):
        # A seed test data is unlikely to use, so targets never equal the inputs
        # (a layer that adds to its input would then get no gradient).
        generator = np.random.default_rng(TARGETS_SEED)
        targets = [
            generator.normal(size=shape).astype("float32") for shape in expected_shapes
        ]
        return _unwrap(targets, is_multi_output)

    def _run_training_check(
        self, model, layer, layer_inputs, expected_shapes, is_multi_output
    ):
        batch_size = expected_shapes[0][0]
        model.compile(
            optimizer=keras.optimizers.SGD(TRAINING_LEARNING_RATE), loss="mse"
        )
        before = [ops.convert_to_numpy(weight) for weight in layer.trainable_weights]
        history = model.fit(
            layer_inputs,
            self._random_targets(expected_shapes, is_multi_output),
            batch_size=batch_size,
            epochs=TRAINING_STEPS,
            shuffle=False,
            verbose=0,
        )
        losses = history.history["loss"]
        assert np.all(np.isfinite(losses)), f"training check: losses {losses}"
        for weight, initial in zip(layer.trainable_weights, before, strict=True):
            assert not np.array_equal(ops.convert_to_numpy(weight), initial), (
                f"training check: trainable weight {weight.path} did not change "
                f"in {TRAINING_STEPS} SGD steps (no gradient reaches it?)"
            )

    def _run_distribution_check(
        self,
        layer_cls,
        init_kwargs,
        call_kwargs,
        layer_inputs,
        symbolic_inputs,
        expected_shapes,
        is_multi_output,
        batch_size,
    ):
        if batch_size % len(DISTRIBUTION_DEVICES):
            pytest.skip(
                f"all other checks passed; MirroredStrategy check skipped: the "
                f"batch of {batch_size} does not split over "
                f"{len(DISTRIBUTION_DEVICES)} replicas (use an even batch)"
            )
        strategy = mirrored_strategy()
        with strategy.scope():
            layer = layer_cls(**init_kwargs)
            model_inputs = symbolic_inputs(None)
            model = keras.Model(model_inputs, layer(model_inputs, **call_kwargs))
            model.compile(
                optimizer=keras.optimizers.SGD(TRAINING_LEARNING_RATE), loss="mse"
            )
        history = model.fit(
            layer_inputs,
            self._random_targets(expected_shapes, is_multi_output),
            batch_size=batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
        )
        loss = history.history["loss"][-1]
        assert np.isfinite(loss), f"MirroredStrategy fit step: loss {loss}"
        for variable in model.variables:
            replicas = strategy.experimental_local_results(variable.value)
            assert len(replicas) == len(DISTRIBUTION_DEVICES), (
                f"MirroredStrategy: {variable.path} has {len(replicas)} copies, "
                f"expected one per replica ({len(DISTRIBUTION_DEVICES)})"
            )
            first = replicas[0].numpy()
            for index, replica in enumerate(replicas[1:], start=1):
                np.testing.assert_array_equal(
                    replica.numpy(),
                    first,
                    err_msg=(
                        f"MirroredStrategy: {variable.path} differs between "
                        f"replica 0 and replica {index}"
                    ),
                )
