"""Input checks shared by the feature-based metrics (private)."""

import numpy as np


def feature_matrix(name, features):
    """`features` as a finite float64 `[num_samples, num_features]` array.

    Raises:
        ValueError: for another rank or for NaN/Inf values, naming the argument.
    """
    array = np.asarray(features, dtype="float64")
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` should have rank 2, [num_samples, num_features]. "
            f"Received: shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"`{name}` should contain only finite values. "
            f"Received: {int(np.sum(~np.isfinite(array)))} NaN or infinite values"
        )
    return array
