"""Inception Score (IS, catalogue M1 / T7).

For class predictions `p(y|x)` of a classifier on generated samples,

    IS = exp( E_x KL(p(y|x) || p(y)) ),    p(y) = E_x p(y|x),

computed on each of `num_splits` consecutive splits of the samples (the marginal
`p(y)` is taken within the split) and reported as the mean and standard deviation over
splits. Salimans et al. 2016, "Improved Techniques for Training GANs",
https://arxiv.org/abs/1606.03498. The splits and the population standard deviation
(ddof 0) follow the authors' `inception_score.py` (openai/improved-gan): split `i` is
samples `[i * n // num_splits, (i + 1) * n // num_splits)`.

The score lies in `[1, num_classes]`: 1 when every prediction is the same
distribution, `num_classes` when each prediction is confident and the classes are
used equally.

One core computes the per-split scores from the log-probabilities of the first
`count` rows of a matrix, with `keras.ops` in float64 (`0 log 0 = 0`: a class with
`p(y|x) = 0` adds nothing). `inception_score` gives it all of its samples; the
`InceptionScore` metric keeps the log-probabilities in a buffer of `max_samples` rows
and gives it the buffer and the count, so it also runs inside a compiled function.
"""

import keras
import numpy as np
from keras import ops

from keras_gans._checks import check_bool, check_positive_integer
from keras_gans.metrics._features import feature_matrix
from keras_gans.metrics._streaming import (
    MeanOfEstimates,
    append_rows,
    check_callable,
    check_capacity,
    checked_outputs,
    from_config_with_callable,
    reject_sample_weight,
    valid_counts,
)

__all__ = ["InceptionScore", "inception_score"]

PROBABILITY_SUM_TOLERANCE = 1e-3  # float32 softmax outputs sum to 1 within this
SMALLEST_PROBABILITY = 1e-300  # keeps log p(y) finite where p(y) = 0


def _log_probabilities(outputs, from_logits):
    """`[n, num_classes]` log p(y|x): a stable log-softmax of logits, or the log of
    probabilities (`log 0 = -inf`, only ever multiplied by p = 0)."""
    if from_logits:
        return ops.log_softmax(outputs, axis=-1)
    return ops.log(ops.maximum(outputs, 0.0))


def _split_scores(log_probabilities, count, num_splits):
    """`[num_splits]` scores of the first `count` rows of `[rows, num_classes]`
    log-probabilities (`count >= num_splits`; the other rows are ignored)."""
    log_probabilities = ops.convert_to_tensor(log_probabilities, "float64")
    num_rows = log_probabilities.shape[0]
    count = ops.maximum(ops.cast(count, "int32"), 1)
    # Row j is in split i when i n // S <= j < (i + 1) n // S, that is
    # i = ceil((j + 1) S / n) - 1; the rows past `count` are in no split.
    rows = ops.arange(num_rows, dtype="int32")
    split_of_row = ops.floor_divide((rows + 1) * num_splits + count - 1, count) - 1
    split_of_row = ops.minimum(split_of_row, num_splits - 1)
    membership = ops.cast(
        ops.logical_and(
            ops.equal(
                split_of_row[None, :], ops.arange(num_splits, dtype="int32")[:, None]
            ),
            (rows < count)[None, :],
        ),
        "float64",
    )  # [num_splits, rows]
    split_sizes = ops.sum(membership, axis=1)  # [num_splits]
    probabilities = ops.exp(log_probabilities)  # [rows, num_classes]
    marginal = ops.matmul(membership, probabilities) / split_sizes[:, None]
    log_marginal = ops.log(ops.maximum(marginal, SMALLEST_PROBABILITY))
    log_marginal_of_row = ops.take(log_marginal, split_of_row, axis=0)
    divergence = ops.sum(
        ops.where(
            probabilities > 0.0,
            probabilities * (log_probabilities - log_marginal_of_row),
            0.0,
        ),
        axis=1,
    )  # [rows]: KL(p(y|x) || p(y)) of each row against its split's marginal
    return ops.exp(ops.matmul(membership, divergence) / split_sizes)


def inception_score(logits_or_probabilities, num_splits=10, from_logits=True):
    """Inception Score: exp(E_x KL(p(y|x) || p(y))), mean and std over splits.

    See the module docstring for the formula and the reference implementation.
    Computed in float64; with `from_logits=True` the log-probabilities come from a
    stable log-softmax, so large logits neither overflow nor give `log 0`.

    Args:
        logits_or_probabilities: `[num_samples, num_classes]` classifier outputs on
            generated samples: any finite logits (`from_logits=True`), or rows of
            probabilities in [0, 1] summing to 1 (`from_logits=False`).
        num_splits: Number of consecutive splits (10 in the paper); each split needs
            at least one sample.
        from_logits: Whether the inputs are logits rather than probabilities.

    Returns:
        `(mean, standard_deviation)` of the per-split scores, Python floats.

    Raises:
        ValueError: if the input is not rank 2, holds NaN or infinite values, has
            fewer samples than `num_splits`, or (probabilities) is outside [0, 1] or
            its rows do not sum to 1.

    Example:

    >>> confident = np.eye(4)[np.arange(40) % 4]  # one-hot, classes used equally
    >>> inception_score(confident, num_splits=10, from_logits=False)
    (4.0, 0.0)
    >>> inception_score(np.zeros((40, 4)), num_splits=10)  # uniform predictions
    (1.0, 0.0)
    """
    values = feature_matrix(
        "logits_or_probabilities",
        logits_or_probabilities,
        "[num_samples, num_classes]",
    )
    num_splits = check_positive_integer(num_splits, "num_splits")
    if len(values) < num_splits:
        raise ValueError(
            f"The Inception Score needs at least `num_splits={num_splits}` samples. "
            f"Received: {len(values)} samples"
        )
    if not from_logits:
        if np.any(values < 0.0) or np.any(values > 1.0):
            raise ValueError(
                "With `from_logits=False` the inputs should be probabilities in "
                f"[0, 1]. Received: values in [{values.min()}, {values.max()}]"
            )
        row_sums = values.sum(axis=1)
        if np.any(np.abs(row_sums - 1.0) > PROBABILITY_SUM_TOLERANCE):
            raise ValueError(
                "With `from_logits=False` every row should sum to 1. Received: row "
                f"sums in [{row_sums.min()}, {row_sums.max()}]"
            )
    log_probabilities = _log_probabilities(
        ops.convert_to_tensor(values, "float64"), from_logits
    )
    scores = ops.convert_to_numpy(
        _split_scores(log_probabilities, len(values), num_splits)
    )
    return float(scores.mean()), float(scores.std())


@keras.saving.register_keras_serializable(package="keras_gans")
class InceptionScore(MeanOfEstimates, keras.metrics.Metric):
    """Streaming Inception Score: exp(E_x KL(p(y|x) || p(y))) over 10 splits.

    The Inception Score (Salimans et al. 2016) rewards confident and diverse class
    predictions on generated samples: 1 when every prediction is the same
    distribution, `num_classes` when each is certain and the classes are used
    equally. This metric keeps the log-probabilities of every generated sample in a
    buffer of `max_samples` rows and computes the core of `inception_score` on
    them, giving its numbers on the same samples.

    Args:
        classifier: A callable mapping a batch of generated images to `[batch,
            num_classes]` logits (or probabilities with `from_logits=False`): e.g.
            `lambda x: extractor.logits_from_features(extractor(x))` for an
            `InceptionFeatures` extractor, or a Keras classifier.
        num_classes: The number of classes (1000 for ImageNet).
        max_samples: The most samples one evaluation can hold.
        num_splits: Number of consecutive splits (10 in the paper); `result()`
            needs at least this many samples.
        from_logits: Whether `classifier` returns logits rather than probabilities.
        name: The metric's name.
        dtype: The dtype of `result()`; the state is float64 regardless.

    Call arguments (`update_state`):
        fake_images: A batch of generated images.

    Returns (`result`):
        The mean score over the splits, a scalar.

    Raises:
        ValueError: eagerly, from `update_state` when the buffer would overflow and
            from `result()` with fewer than `num_splits` samples. Inside a compiled
            function the overflow is dropped and `result()` is NaN.

    Example:

    >>> metric = InceptionScore(lambda x: x, num_classes=4, max_samples=40)
    >>> confident_logits = 50.0 * np.eye(4)[np.arange(40) % 4]
    >>> metric.update_state(confident_logits[:25])
    >>> metric.update_state(confident_logits[25:])
    >>> mean, standard_deviation = metric.result_with_standard_deviation()
    >>> round(float(mean), 4), round(float(standard_deviation), 4)
    (4.0, 0.0)

    Reference:
        Salimans et al. 2016, "Improved Techniques for Training GANs",
        https://arxiv.org/abs/1606.03498.
    """

    def __init__(
        self,
        classifier,
        num_classes,
        max_samples=10_000,
        num_splits=10,
        from_logits=True,
        name="inception_score",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        check_callable(classifier, "classifier", "num_classes")
        self.classifier = classifier
        self.num_classes = check_positive_integer(num_classes, "num_classes")
        self.max_samples = check_positive_integer(max_samples, "max_samples")
        self.num_splits = check_positive_integer(num_splits, "num_splits")
        if num_splits > max_samples:
            raise ValueError(
                f"`num_splits` should be at most `max_samples={max_samples}`. "
                f"Received: num_splits={num_splits}"
            )
        self.from_logits = check_bool(from_logits, "from_logits")
        self.log_probabilities = self.add_variable(
            (max_samples, num_classes),
            "zeros",
            dtype="float64",
            name="log_probabilities",
        )
        self.count = self.add_variable((), "zeros", dtype="int32", name="count")
        self.dropped_count = self.add_variable(
            (), "zeros", dtype="int32", name="dropped_count"
        )

    def update_state(self, fake_images, sample_weight=None):
        reject_sample_weight(self, sample_weight)
        outputs = checked_outputs(
            self.classifier, "classifier", self.num_classes, "fake_images", fake_images
        )
        log_probabilities = _log_probabilities(outputs, self.from_logits)
        check_capacity(
            self, "generated", self.log_probabilities, self.count, log_probabilities
        )
        append_rows(
            self.log_probabilities, self.count, self.dropped_count, log_probabilities
        )

    def _estimates(self):
        """`[num_splits]` scores (NaN when a check failed)."""
        counts = {"generated": self.count}
        valid = valid_counts(self, counts, self.num_splits, "num_splits")
        scores = _split_scores(self.log_probabilities, self.count, self.num_splits)
        return ops.where(valid, scores, float("nan"))

    def get_config(self):
        config = {
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "num_classes": self.num_classes,
            "max_samples": self.max_samples,
            "num_splits": self.num_splits,
            "from_logits": self.from_logits,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        return from_config_with_callable(cls, config, "classifier")
