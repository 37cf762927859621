"""Improved precision and recall with k-NN manifolds (catalogue M4).

Each set of features estimates its manifold as the union of balls around its points,
the radius of each ball being the distance to the point's k-th nearest neighbour in
the same set (the point itself excluded; k = 3 in the paper):

    precision = fraction of generated features inside the real manifold
    recall    = fraction of real features inside the generated manifold

where "inside" means `||y - x_i|| <= radius(x_i)` for at least one `x_i`.
Kynkäänniemi et al. 2019, https://arxiv.org/abs/1904.06991. This matches the authors'
`ManifoldEstimator` (kynkaat/improved-precision-and-recall-metric): Euclidean
distances, the radius is the k-th smallest distance counting the point itself as the
0-th, the comparison is `<=`, and distances are computed in batches of rows so memory
stays `O(batch_size * num_samples)`. Precision measures quality (are the samples
realistic?), recall measures coverage (is every part of the data generated?).

One core computes both from the first `count` rows of each feature matrix, with
`keras.ops` in float64: `precision_recall` gives it all of its features, the
`PrecisionRecall` metric its buffers and their counts.
"""

import keras
from keras import ops

from keras_gans._checks import check_positive_integer
from keras_gans.metrics._features import check_sample_count, real_and_fake_features
from keras_gans.metrics._streaming import PairedFeatureBuffers

__all__ = ["PrecisionRecall", "precision_recall"]

DEFAULT_BATCH_SIZE = 1024  # rows of a distance matrix computed at once


def _squared_distances(rows, columns):
    """`[len(rows), len(columns)]` squared Euclidean distances, clipped at 0."""
    squared = (
        ops.sum(rows**2, axis=1)[:, None]
        - 2.0 * ops.matmul(rows, ops.transpose(columns))
        + ops.sum(columns**2, axis=1)[None, :]
    )
    return ops.maximum(squared, 0.0)


def _row_batches(function, rows, batch_size):
    """`function(rows[start : start + batch_size])` over the batches, concatenated."""
    return ops.concatenate(
        [
            function(rows[start : start + batch_size])
            for start in range(0, rows.shape[0], batch_size)
        ],
        axis=0,
    )


def _fraction_inside(manifold, manifold_valid, queries, queries_valid, k, batch_size):
    """The fraction of the valid `queries` inside the k-NN manifold of the valid
    rows of `manifold` (`[n, d]` and `[q, d]` with `[n]` and `[q]` masks)."""

    def squared_radii(batch):  # [batch] k-th smallest distance, the point as 0-th
        distances = ops.where(
            manifold_valid[None, :], _squared_distances(batch, manifold), float("inf")
        )
        return -ops.top_k(-distances, k + 1)[0][:, k]

    # The balls of the rows past the count hold nothing.
    radii = ops.where(
        manifold_valid, _row_batches(squared_radii, manifold, batch_size), -1.0
    )

    def inside(batch):  # [batch] whether each query is in some ball
        return ops.any(_squared_distances(batch, manifold) <= radii[None, :], axis=1)

    is_inside = ops.logical_and(
        _row_batches(inside, queries, batch_size), queries_valid
    )
    return ops.sum(ops.cast(is_inside, "float64")) / ops.maximum(
        ops.sum(ops.cast(queries_valid, "float64")), 1.0
    )


def _precision_and_recall(real, real_count, fake, fake_count, k, batch_size):
    """Precision and recall (float64 scalars) of the first `real_count` rows of
    `real` and the first `fake_count` rows of `fake` (each count > k)."""
    real = ops.convert_to_tensor(real, "float64")
    fake = ops.convert_to_tensor(fake, "float64")
    real_valid = ops.arange(real.shape[0]) < real_count
    fake_valid = ops.arange(fake.shape[0]) < fake_count
    precision = _fraction_inside(real, real_valid, fake, fake_valid, k, batch_size)
    recall = _fraction_inside(fake, fake_valid, real, real_valid, k, batch_size)
    return precision, recall


def precision_recall(real_features, fake_features, k=3, batch_size=DEFAULT_BATCH_SIZE):
    """Improved precision and recall (k-NN manifolds) of generated features.

    See the module docstring for the definition and the reference implementation.

    Args:
        real_features: `[num_real, num_features]` features of real samples, any finite
            real values (the paper uses VGG-16 fc2 features).
        fake_features: `[num_fake, num_features]` features of generated samples.
        k: The neighbourhood size (3 in the paper); each set needs more than `k`
            samples.
        batch_size: Rows of the distance matrix computed at once.

    Returns:
        `(precision, recall)`, Python floats in [0, 1].

    Raises:
        ValueError: if an input is not rank 2, the feature dimensions differ, a set has
            `k` samples or fewer, an input holds NaN or infinite values, or `k` or
            `batch_size` is not a positive integer.

    Example:

    >>> real = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> precision_recall(real, real + 0.1, k=1)
    (1.0, 1.0)
    >>> precision_recall(real, real + 100.0, k=1)
    (0.0, 0.0)
    """
    real, fake = real_and_fake_features(real_features, fake_features)
    k = check_positive_integer(k, "k")
    batch_size = check_positive_integer(batch_size, "batch_size")
    requirement = (
        f"more than k={k} samples for a k-th nearest neighbour other than the "
        "point itself"
    )
    check_sample_count("real_features", len(real), k + 1, requirement)
    check_sample_count("fake_features", len(fake), k + 1, requirement)
    precision, recall = _precision_and_recall(
        real, len(real), fake, len(fake), k, batch_size
    )
    return float(precision), float(recall)


@keras.saving.register_keras_serializable(package="keras_gans")
class PrecisionRecall(PairedFeatureBuffers):
    """Streaming improved precision and recall (M4) with k-NN manifolds.

    Like KID, precision and recall need the features themselves (each manifold is
    the union of balls around its points, of radius the distance to the point's
    k-th nearest neighbour), so the real and generated features are kept in buffers
    of `max_samples` rows. `result()` returns `{"precision": p, "recall": r}` from
    the core of `precision_recall`, the numbers it gives on the same features:
    precision = fraction of generated features inside the real manifold (quality),
    recall = fraction of real features inside the generated manifold (coverage).
    The distances are computed in batches of 1,024 rows of `[batch, max_samples]`.

    Args:
        feature_extractor: A callable mapping a batch of images to `[batch,
            feature_dim]` features.
        feature_dim: The number of features it returns.
        max_samples: The capacity of each buffer.
        k: The neighbourhood size (3 in the paper); each side needs more than `k`
            samples.
        name: The metric's name.
        dtype: The dtype of the results; the state is float64 regardless.

    Call arguments (`update_state`):
        real_images: A batch of real images.
        fake_images: A batch of generated images; the two batch sizes may differ.

    Returns (`result`):
        A dict with the scalars "precision" and "recall".

    Example:

    >>> metric = PrecisionRecall(lambda x: x, feature_dim=2, max_samples=8, k=1)
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> metric.update_state(points, points + 0.1)
    >>> {name: float(value) for name, value in metric.result().items()}
    {'precision': 1.0, 'recall': 1.0}

    Reference:
        Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for
        Assessing Generative Models", https://arxiv.org/abs/1904.06991.
    """

    def __init__(
        self,
        feature_extractor,
        feature_dim,
        max_samples=5_000,
        k=3,
        name="precision_recall",
        dtype=None,
    ):
        super().__init__(feature_extractor, feature_dim, max_samples, name, dtype)
        self.k = check_positive_integer(k, "k")
        if k >= max_samples:
            raise ValueError(
                f"`k` should be smaller than `max_samples={max_samples}`. "
                f"Received: k={k}"
            )

    def result(self):
        valid = self.valid_counts(self.k + 1, "k + 1")
        values = _precision_and_recall(
            self.real_features,
            self.real_count,
            self.fake_features,
            self.fake_count,
            self.k,
            DEFAULT_BATCH_SIZE,
        )
        return {
            name: ops.cast(ops.where(valid, value, float("nan")), self.dtype)
            for name, value in zip(("precision", "recall"), values, strict=True)
        }

    def get_config(self):
        return {**super().get_config(), "k": self.k}
