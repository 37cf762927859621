"""Input checks shared by the feature-based metric functions (private)."""

import numpy as np


def feature_matrix(name, features, axes="[num_samples, num_features]"):
    """`features` as a finite float64 rank-2 array, its `axes` as the message names
    them.

    Raises:
        ValueError: for another rank or for NaN/Inf values, naming the argument.
    """
    array = np.asarray(features, dtype="float64")
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` should have rank 2, {axes}. Received: shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"`{name}` should contain only finite values. "
            f"Received: {int(np.sum(~np.isfinite(array)))} NaN or infinite values"
        )
    return array


def real_and_fake_features(real_features, fake_features):
    """Both feature sets through `feature_matrix`, with the same feature dimension."""
    real = feature_matrix("real_features", real_features)
    fake = feature_matrix("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            "`real_features` and `fake_features` should have the same feature "
            f"dimension. Received: {real.shape[1]} and {fake.shape[1]}"
        )
    return real, fake


def check_sample_count(name, count, minimum, requirement):
    """Raises when `count < minimum`: "`name` needs `requirement`. Received: ..."."""
    if count < minimum:
        raise ValueError(f"`{name}` needs {requirement}. Received: {count} sample(s)")
