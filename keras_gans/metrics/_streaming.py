"""What the streaming `keras.metrics.Metric`s of M1-M4 share (private).

Each streaming metric keeps what its metric's core needs in float64 variables and
calls that core in `result()`; this module holds the rest: argument and output
checks, the serialization of the callable a metric applies to images, and the
fixed-capacity row buffers of the metrics that need the samples themselves (KID,
Inception Score, precision/recall).

**Capacity and sample counts.** Eagerly (a callback, a script), an update that
would overflow a buffer raises a `ValueError`, and so does `result()` with too few
samples. Inside a compiled function errors cannot be raised from values: the
samples past the capacity are dropped and counted in `dropped_count`, and
`result()` is NaN, until `reset_state()`. The buffers are per replica: under
`tf.distribute`, update these metrics from the cross-replica context (e.g. in a
callback), not inside a replicated step.
"""

import keras
from keras import ops

from keras_gans._checks import check_positive_integer


def check_callable(value, name, width_name):
    if not callable(value):
        raise ValueError(
            f"`{name}` should be a callable mapping images to [batch, {width_name}] "
            f"outputs. Received: {name}={value!r}"
        )


def reject_sample_weight(metric, sample_weight):
    if sample_weight is not None:
        raise ValueError(
            f"`{type(metric).__name__}` does not support `sample_weight`. "
            f"Received: sample_weight={sample_weight!r}"
        )


def checked_outputs(function, function_name, width, images_name, images):
    """`function(images)` as float64 `[batch, width]`; other shapes are an error."""
    outputs = ops.convert_to_tensor(function(images))
    if len(outputs.shape) != 2 or outputs.shape[-1] not in (None, width):
        raise ValueError(
            f"`{function_name}({images_name})` should return outputs of shape "
            f"[batch, {width}]. Received: shape={outputs.shape}"
        )
    return ops.cast(outputs, "float64")  # [batch, width]


def from_config_with_callable(cls, config, name):
    """`cls(**config)` with the serialized callable `config[name]` restored."""
    config = dict(config)
    config[name] = keras.saving.deserialize_keras_object(config[name])
    return cls(**config)


def _concrete(value):
    """`value` as NumPy when it has a value now (eager), else None (traced).

    Inside `tf.function` or `jax.jit` the conversion fails; any failure means the
    value is symbolic, so the checks that need numbers are left to `result()`.
    """
    try:
        return ops.convert_to_numpy(value)
    except Exception:  # symbolic tensor: each backend raises its own error type
        return None


def check_capacity(metric, side, buffer, count, rows):
    """Eagerly: raises when `rows` do not fit after the `count` stored rows."""
    capacity = buffer.shape[0]
    stored = _concrete(count)
    if stored is not None and rows.shape[0] is not None:
        total = int(stored) + int(rows.shape[0])
        if total > capacity:
            raise ValueError(
                f"`{type(metric).__name__}` keeps at most `max_samples={capacity}` "
                f"{side} samples, and this update would bring them to {total}. "
                "Create the metric with a larger `max_samples`, or call "
                "`reset_state()` before a new evaluation."
            )


def append_rows(buffer, count, dropped_count, rows):
    """Writes `rows` `[batch, width]` after the `count` rows already in `buffer`.

    Traced, an overflow cannot raise (`check_capacity` does that eagerly): the rows
    past the capacity are dropped and counted instead. The update touches only the
    window `[window_start, window_start + batch)` of the buffer, where
    `window_start` is `count` clamped so that the window fits, and writes each new
    row at its own position `count + i` (rows whose position is past the end are
    not written).
    """
    capacity = buffer.shape[0]
    rows = rows[:capacity]  # a batch larger than the whole buffer
    batch_size = ops.shape(rows)[0]
    start = ops.cast(count, "int32")
    window_start = ops.maximum(ops.minimum(start, capacity - batch_size), 0)
    positions = window_start + ops.arange(batch_size, dtype="int32")  # [batch]
    source = positions - start  # which new row lands at each position
    is_new = ops.greater_equal(source, 0)
    new_rows = ops.take(rows, ops.maximum(source, 0), axis=0)  # [batch, width]
    old_rows = ops.slice(buffer, [window_start, 0], [batch_size, buffer.shape[1]])
    window = ops.where(is_new[:, None], new_rows, old_rows)
    buffer.assign(ops.slice_update(buffer, [window_start, 0], window))
    written = ops.minimum(ops.maximum(capacity - start, 0), batch_size)
    count.assign(count + ops.cast(written, count.dtype))
    dropped_count.assign(
        dropped_count + ops.cast(batch_size - written, dropped_count.dtype)
    )


def valid_counts(metric, counts, minimum, minimum_name):
    """A boolean scalar: nothing was dropped and every count is >= `minimum`.

    Eagerly, raises instead of returning False, naming the side that is short.
    `counts` maps each side's name ("real", "generated") to its count variable.
    """
    dropped = _concrete(metric.dropped_count)
    if dropped is not None and int(dropped) > 0:
        raise ValueError(
            f"`{type(metric).__name__}` dropped {int(dropped)} samples that did not "
            f"fit in `max_samples={metric.max_samples}` inside a compiled function. "
            "Create it with a larger `max_samples` and `reset_state()`."
        )
    valid = ops.equal(metric.dropped_count, 0)
    for side, count in counts.items():
        value = _concrete(count)
        if value is not None and int(value) < minimum:
            raise ValueError(
                f"`{type(metric).__name__}` needs at least `{minimum_name}={minimum}` "
                f"{side} samples. Received: {int(value)} {side} samples. Update it "
                f"with more samples or lower `{minimum_name}`."
            )
        valid = ops.logical_and(valid, count >= minimum)
    return valid


class FeatureMetric(keras.metrics.Metric):
    """Base of the metrics of real and generated features (FID, KID, precision and
    recall): checks and stores `feature_extractor` and `feature_dim`, extracts
    checked float64 features of both batches, and serializes the extractor."""

    def __init__(self, feature_extractor, feature_dim, name, dtype):
        super().__init__(name=name, dtype=dtype)
        check_callable(feature_extractor, "feature_extractor", "feature_dim")
        self.feature_extractor = feature_extractor
        self.feature_dim = check_positive_integer(feature_dim, "feature_dim")

    def real_and_fake_features(self, real_images, fake_images, sample_weight):
        """`[real_batch, feature_dim]` and `[fake_batch, feature_dim]` float64."""
        reject_sample_weight(self, sample_weight)
        return tuple(
            checked_outputs(
                self.feature_extractor,
                "feature_extractor",
                self.feature_dim,
                f"{side}_images",
                images,
            )
            for side, images in (("real", real_images), ("fake", fake_images))
        )

    def get_config(self):
        config = {
            "feature_extractor": keras.saving.serialize_keras_object(
                self.feature_extractor
            ),
            "feature_dim": self.feature_dim,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        return from_config_with_callable(cls, config, "feature_extractor")


class PairedFeatureBuffers(FeatureMetric):
    """Base of the metrics that need the features themselves (KID, precision and
    recall): a buffer of `max_samples` float64 rows of real and of generated
    features, their counts, and the count of rows dropped inside a compiled
    function (see the module docstring)."""

    def __init__(self, feature_extractor, feature_dim, max_samples, name, dtype):
        super().__init__(feature_extractor, feature_dim, name, dtype)
        self.max_samples = check_positive_integer(max_samples, "max_samples")
        shape = (max_samples, self.feature_dim)
        self.real_features = self.add_variable(
            shape, "zeros", dtype="float64", name="real_features"
        )
        self.fake_features = self.add_variable(
            shape, "zeros", dtype="float64", name="fake_features"
        )
        self.real_count = self.add_variable(
            (), "zeros", dtype="int32", name="real_count"
        )
        self.fake_count = self.add_variable(
            (), "zeros", dtype="int32", name="fake_count"
        )
        self.dropped_count = self.add_variable(
            (), "zeros", dtype="int32", name="dropped_count"
        )

    def update_state(self, real_images, fake_images, sample_weight=None):
        features = self.real_and_fake_features(real_images, fake_images, sample_weight)
        sides = [
            ("real", self.real_features, self.real_count),
            ("fake", self.fake_features, self.fake_count),
        ]
        # Both checks before any write: a failed update leaves the state as it was.
        for (side, buffer, count), rows in zip(sides, features, strict=True):
            check_capacity(self, side, buffer, count, rows)
        for (_, buffer, count), rows in zip(sides, features, strict=True):
            append_rows(buffer, count, self.dropped_count, rows)

    def valid_counts(self, minimum, minimum_name):
        """`valid_counts` of the real and the generated side."""
        counts = {"real": self.real_count, "fake": self.fake_count}
        return valid_counts(self, counts, minimum, minimum_name)

    def get_config(self):
        return {**super().get_config(), "max_samples": self.max_samples}


class MeanOfEstimates:
    """Mixin of the metrics that report the mean and the population standard
    deviation of several estimates (KID over subsets, the Inception Score over
    splits); a subclass defines `_estimates()`, a `[num_estimates]` tensor."""

    def result_with_standard_deviation(self):
        """`(mean, standard_deviation)` of the estimates, as `dtype` scalars."""
        estimates = self._estimates()
        return (
            ops.cast(ops.mean(estimates), self.dtype),
            ops.cast(ops.std(estimates), self.dtype),
        )

    def result(self):
        return self.result_with_standard_deviation()[0]
