"""The built-in sequence dataset "markov": one-hot sequences of a fixed Markov chain.

The offline data of the Gumbel-softmax example (catalogue T21,
`keras_gans.architectures.categorical`). Sequences of `MARKOV_LENGTH` positions
over `MARKOV_CLASSES` classes follow the chain of `markov_chain`: a non-uniform
start `p_0`, then the transition matrix P. The class frequencies at position t are
known in closed form, `p_t = p_0 Pᵗ`, so how well a generator matches the data is
measured exactly (`chain_distances`) rather than with a learned feature space:

- `marginal_tv`: the mean over positions of the total variation distance between
  the generated class frequencies at t and `p_t`,
  `1/L Σ_t 1/2 Σ_c |p̂_t(c) - p_t(c)|`;
- `transition_tv`: the total variation between the generated transition
  frequencies and P, row by row, weighted by how often each row's class occurs:
  `Σ_c n_c 1/2 Σ_d |P̂(c, d) - P(c, d)| / Σ_c n_c` (n_c: transitions out of c).

Samples are read as the argmax class of each position, so relaxed (Gumbel-softmax)
and exact one-hot rows are measured alike.
"""

import numpy as np

from keras_gans._checks import check_integer

__all__ = [
    "MARKOV_CLASSES",
    "MARKOV_LENGTH",
    "MARKOV_SIZES",
    "chain_distances",
    "markov",
    "markov_chain",
    "markov_sequences",
]

# The chain of `markov_chain`: from class c, step to c + 1 (mod K) with this
# probability, stay at c with STAY_PROBABILITY, else any class uniformly.
STEP_PROBABILITY = 0.6
STAY_PROBABILITY = 0.3
# The built-in dataset: sequences of 8 positions over 5 classes; the splits are
# different draws (seeds 0 and 1), sized like `stacked_digits`'.
MARKOV_LENGTH = 8
MARKOV_CLASSES = 5
MARKOV_SIZES = {"train": 25_600, "test": 10_240}
_SPLIT_SEEDS = {"train": 0, "test": 1}


def markov_chain(num_classes):
    """The fixed chain of `markov_sequences`: `(initial, transition)`.

    `initial[c] ∝ c + 1` (a non-uniform start), and from class c the chain steps to
    `c + 1 mod K` with probability 0.6, stays with 0.3, and else moves to a class
    drawn uniformly: `P = 0.6 S + 0.3 I + 0.1 / K` (S the cyclic shift).

    Args:
        num_classes: The number of classes K >= 2.

    Returns:
        `(initial [K], transition [K, K])` float64 NumPy arrays; rows sum to 1.

    Example:

    >>> initial, transition = markov_chain(3)
    >>> [round(float(p), 4) for p in initial], round(float(transition[0, 1]), 4)
    ([0.1667, 0.3333, 0.5], 0.6333)
    """
    num_classes = check_integer(num_classes, "num_classes", minimum=2)
    initial = np.arange(1, num_classes + 1, dtype="float64")
    initial /= initial.sum()
    shift = np.roll(np.eye(num_classes), 1, axis=1)  # shift[c, c + 1 mod K] = 1
    uniform = (1.0 - STEP_PROBABILITY - STAY_PROBABILITY) / num_classes
    transition = (
        STEP_PROBABILITY * shift + STAY_PROBABILITY * np.eye(num_classes) + uniform
    )
    return initial, transition


def markov_sequences(num, length, num_classes, seed=0):
    """One-hot sequences of the fixed Markov chain of `markov_chain`.

    The class at position t has the distribution `p_t = p_0 Pᵗ`.

    Args:
        num: The number of sequences.
        length: Positions per sequence.
        num_classes: Classes K >= 2.
        seed: Seed of the NumPy generator.

    Returns:
        A float32 NumPy array `[num, length, num_classes]` of one-hot rows.

    Example:

    >>> sequences = markov_sequences(5, length=4, num_classes=3)
    >>> sequences.shape, float(sequences.sum())
    ((5, 4, 3), 20.0)
    """
    num = check_integer(num, "num")
    length = check_integer(length, "length")
    initial, transition = markov_chain(num_classes)
    rng = np.random.default_rng(seed)
    classes = np.empty((num, length), dtype="int64")
    classes[:, 0] = rng.choice(num_classes, size=num, p=initial)
    cumulative = np.cumsum(transition, axis=1)  # [K, K], each row ends at 1
    for position in range(1, length):
        uniform = rng.uniform(size=(num, 1))
        rows = cumulative[classes[:, position - 1]]  # [num, K]
        # Inverse-CDF sampling; the minimum guards the row's float sum below 1.
        classes[:, position] = np.minimum((uniform > rows).sum(axis=1), num_classes - 1)
    return np.eye(num_classes, dtype="float32")[classes]  # [num, length, K]


def markov(split="train"):
    """The built-in dataset "markov" as `(sequences, classes)`.

    Args:
        split: "train" (25,600 sequences) or "test" (10,240), fixed draws.

    Returns:
        `(sequences [n, 8, 5] float32 one-hot rows, classes [n, 8] int32)`.
    """
    if split not in MARKOV_SIZES:
        raise ValueError(
            f"Unknown split {split!r} for 'markov'. Expected one of "
            f"{sorted(MARKOV_SIZES)}."
        )
    sequences = markov_sequences(
        MARKOV_SIZES[split], MARKOV_LENGTH, MARKOV_CLASSES, seed=_SPLIT_SEEDS[split]
    )
    return sequences, sequences.argmax(axis=-1).astype("int32")


def chain_distances(samples):
    """How far samples are from the chain: `marginal_tv` and `transition_tv`.

    See the module docstring for the formulas. The chain is `markov_chain(K)` with
    K the samples' last axis.

    Args:
        samples: `[n, length, K]` one-hot or relaxed (e.g. softmax) rows, n >= 1,
            length >= 2.

    Returns:
        A dict `{"marginal_tv": float, "transition_tv": float}`, each in [0, 1].

    Example:

    >>> sequences = markov_sequences(20_000, length=4, num_classes=3, seed=0)
    >>> {k: round(v, 2) for k, v in chain_distances(sequences).items()}
    {'marginal_tv': 0.0, 'transition_tv': 0.0}
    """
    samples = np.asarray(samples)
    if samples.ndim != 3 or len(samples) == 0 or samples.shape[1] < 2:
        raise ValueError(
            "`samples` should be sequences [n, length >= 2, num_classes]. "
            f"Received: shape={samples.shape}."
        )
    _, length, num_classes = samples.shape
    initial, transition = markov_chain(num_classes)
    classes = samples.argmax(axis=-1)  # [n, length]
    marginals = [initial]
    for _ in range(1, length):
        marginals.append(marginals[-1] @ transition)
    frequencies = np.stack(
        [np.bincount(column, minlength=num_classes) for column in classes.T]
    ) / len(classes)  # [length, K]
    marginal_tv = 0.5 * np.abs(frequencies - np.stack(marginals)).sum(axis=1).mean()
    counts = np.zeros((num_classes, num_classes))  # [from, to]
    np.add.at(counts, (classes[:, :-1].ravel(), classes[:, 1:].ravel()), 1)
    row_counts = counts.sum(axis=1)
    seen = row_counts > 0
    row_tv = 0.5 * np.abs(counts[seen] / row_counts[seen, None] - transition[seen]).sum(
        axis=1
    )
    transition_tv = float(np.sum(row_counts[seen] * row_tv) / row_counts.sum())
    return {"marginal_tv": float(marginal_tv), "transition_tv": transition_tv}
