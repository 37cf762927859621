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
0-th, the comparison is `<=`, and distances are computed in batches so memory stays
`O(batch_size * num_samples)`. Precision measures quality (are the samples
realistic?), recall measures coverage (is every part of the data generated?).
"""

import numpy as np

from keras_gans.metrics._features import feature_matrix

__all__ = ["precision_recall"]


def _squared_distances(rows, columns):
    """`[len(rows), len(columns)]` squared Euclidean distances, clipped at 0."""
    squared = (
        np.sum(rows**2, axis=1)[:, np.newaxis]
        - 2.0 * rows @ columns.T
        + np.sum(columns**2, axis=1)[np.newaxis, :]
    )
    return np.maximum(squared, 0.0)


def _squared_radii(features, k, batch_size):
    """Squared distance of each point to its k-th nearest neighbour in `features`."""
    radii = np.empty(features.shape[0], dtype="float64")
    for start in range(0, features.shape[0], batch_size):
        distances = _squared_distances(features[start : start + batch_size], features)
        # Index 0 of each sorted row is the point itself (distance 0).
        radii[start : start + batch_size] = np.partition(distances, k, axis=1)[:, k]
    return radii


def _fraction_inside(queries, centres, squared_radii, batch_size):
    """Fraction of `queries` within the ball of at least one of `centres`."""
    inside = np.empty(queries.shape[0], dtype=bool)
    for start in range(0, queries.shape[0], batch_size):
        distances = _squared_distances(queries[start : start + batch_size], centres)
        inside[start : start + batch_size] = np.any(
            distances <= squared_radii[np.newaxis, :], axis=1
        )
    return float(inside.mean())


def precision_recall(real_features, fake_features, k=3, batch_size=1024):
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
    real = feature_matrix("real_features", real_features)
    fake = feature_matrix("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            "`real_features` and `fake_features` should have the same feature "
            f"dimension. Received: {real.shape[1]} and {fake.shape[1]}"
        )
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"`k` should be a positive integer. Received: k={k!r}")
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(
            "`batch_size` should be a positive integer. "
            f"Received: batch_size={batch_size!r}"
        )
    for name, features in [("real_features", real), ("fake_features", fake)]:
        if features.shape[0] <= k:
            raise ValueError(
                f"`{name}` needs more than k={k} samples for a k-th nearest "
                f"neighbour other than the point itself. Received: "
                f"{features.shape[0]} samples"
            )
    real_radii = _squared_radii(real, k, batch_size)
    fake_radii = _squared_radii(fake, k, batch_size)
    precision = _fraction_inside(fake, real, real_radii, batch_size)
    recall = _fraction_inside(real, fake, fake_radii, batch_size)
    return precision, recall
