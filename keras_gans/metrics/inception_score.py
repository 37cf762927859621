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
"""

import numpy as np

__all__ = ["inception_score"]

PROBABILITY_SUM_TOLERANCE = 1e-3  # float32 softmax outputs sum to 1 within this


def _log_softmax(logits):
    """Stable `log softmax` over the last axis: `l - max - log sum exp(l - max)`."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _log_probabilities(probabilities):
    """`log p` with `log 0 = -inf` (only ever multiplied by p = 0, see below)."""
    with np.errstate(divide="ignore"):
        return np.log(probabilities)


def _split_score(log_probabilities):
    """exp(mean_x KL(p(y|x) || p(y))) of one split `[n, num_classes]`."""
    probabilities = np.exp(log_probabilities)
    # log p(y) = log mean_x p(y|x) = logsumexp_x log p(y|x) - log n, computed stably.
    largest = log_probabilities.max(axis=0)
    finite_largest = np.where(np.isfinite(largest), largest, 0.0)
    with np.errstate(divide="ignore"):
        log_marginal = (
            finite_largest
            + np.log(np.exp(log_probabilities - finite_largest).sum(axis=0))
            - np.log(log_probabilities.shape[0])
        )
    # 0 log 0 = 0: a class with p(y|x) = 0 adds nothing (also where p(y) = 0).
    with np.errstate(invalid="ignore"):
        terms = np.where(
            probabilities > 0.0,
            probabilities * (log_probabilities - log_marginal),
            0.0,
        )
    return float(np.exp(terms.sum(axis=1).mean()))


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
    values = np.asarray(logits_or_probabilities, dtype="float64")
    if values.ndim != 2:
        raise ValueError(
            "`logits_or_probabilities` should have rank 2, [num_samples, "
            f"num_classes]. Received: shape={values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(
            "`logits_or_probabilities` should contain only finite values. "
            f"Received: {int(np.sum(~np.isfinite(values)))} NaN or infinite values"
        )
    if not isinstance(num_splits, int | np.integer) or num_splits < 1:
        raise ValueError(
            "`num_splits` should be a positive integer. "
            f"Received: num_splits={num_splits!r}"
        )
    num_samples = values.shape[0]
    if num_samples < num_splits:
        raise ValueError(
            f"The Inception Score needs at least `num_splits={num_splits}` samples. "
            f"Received: {num_samples} samples"
        )
    if from_logits:
        log_probabilities = _log_softmax(values)
    else:
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
        log_probabilities = _log_probabilities(values)
    boundaries = [index * num_samples // num_splits for index in range(num_splits + 1)]
    scores = np.array(
        [
            _split_score(log_probabilities[start:stop])
            for start, stop in zip(boundaries[:-1], boundaries[1:], strict=True)
        ]
    )
    return float(scores.mean()), float(scores.std())
