"""Mode coverage on 2-D Gaussian mixtures (catalogue M5).

The protocol of VEEGAN (Srivastava et al. 2017, https://arxiv.org/abs/1705.07761)
and PacGAN (Lin et al. 2018, https://arxiv.org/abs/1712.04086) for the 8-ring and
25-grid mixtures of `keras_gans.data` (2,500 generated samples):

- a sample is **high quality** if its Euclidean distance to the nearest mixture mean
  is at most 3 standard deviations of a component;
- a mode is **captured** if at least one high-quality sample is nearest to it;
- **KL to uniform**: `KL(q || u) = sum_m q_m log(q_m * M)`, where `q` is the histogram
  of the high-quality samples over the `M` modes (each one counted at its nearest
  mean), normalised by the number of high-quality samples, and `u = 1 / M`. Empty
  modes add nothing (`0 log 0 = 0`, no smoothing is added), so the value is in
  `[0, log M]`: 0 when the high-quality samples are spread evenly over all modes,
  `log M` when they all fall on one mode. Low-quality samples do not enter the
  histogram; with no high-quality sample at all the histogram is undefined and the
  value is NaN.
"""

import math

import numpy as np

from keras_gans.data.builtin import MIXTURES, mixture_means
from keras_gans.metrics._features import check_sample_count, feature_matrix

__all__ = ["mode_coverage_2d", "mode_coverage_for_mixture"]

HIGH_QUALITY_STANDARD_DEVIATIONS = 3.0


def mode_coverage_2d(points, means, standard_deviation):
    """Modes captured, high-quality fraction and KL to uniform of generated points.

    See the module docstring for the definitions. Works in any dimension, though the
    protocol is stated for the 2-D mixtures.

    Args:
        points: `[num_samples, 2]` generated points (finite).
        means: `[num_modes, 2]` mixture means, e.g. `data.builtin.mixture_means(name)`.
        standard_deviation: The standard deviation of each mixture component, e.g.
            `data.builtin.MIXTURES[name]` (a positive number).

    Returns:
        A dict with `modes_captured` (int), `num_modes` (int), `high_quality_fraction`
        (float in [0, 1]), `kl_to_uniform` (float in [0, log num_modes], NaN without
        high-quality samples) and `num_samples` (int).

    Raises:
        ValueError: if `points` or `means` is not rank 2 or holds NaN or infinite
            values, their dimensions differ, either is empty, or
            `standard_deviation` is not a positive finite number.

    Example:

    >>> means = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> points = np.array([[0.0, 0.01], [0.02, 0.0], [1.0, 0.0], [0.5, 0.5]])
    >>> result = mode_coverage_2d(points, means, standard_deviation=0.01)
    >>> result["modes_captured"], result["high_quality_fraction"]
    (2, 0.75)
    """
    points = feature_matrix("points", points, "[count, dimension]")
    means = feature_matrix("means", means, "[count, dimension]")
    check_sample_count("points", len(points), 1, "at least one row")
    check_sample_count("means", len(means), 1, "at least one row")
    if points.shape[1] != means.shape[1]:
        raise ValueError(
            "`points` and `means` should have the same dimension. "
            f"Received: {points.shape[1]} and {means.shape[1]}"
        )
    if (
        isinstance(standard_deviation, bool)
        or not np.isscalar(standard_deviation)
        or not np.isfinite(standard_deviation)
        or standard_deviation <= 0
    ):
        raise ValueError(
            "`standard_deviation` should be a positive finite number. "
            f"Received: standard_deviation={standard_deviation!r}"
        )
    num_modes = means.shape[0]
    distances = np.linalg.norm(
        points[:, np.newaxis, :] - means[np.newaxis, :, :], axis=-1
    )  # [num_samples, num_modes]
    nearest_mode = distances.argmin(axis=1)
    nearest_distance = distances.min(axis=1)
    high_quality = nearest_distance <= HIGH_QUALITY_STANDARD_DEVIATIONS * float(
        standard_deviation
    )
    counts = np.bincount(nearest_mode[high_quality], minlength=num_modes)
    num_high_quality = int(counts.sum())
    if num_high_quality == 0:
        kl_to_uniform = math.nan
    else:
        histogram = counts[counts > 0] / num_high_quality  # 0 log 0 = 0
        kl_to_uniform = float(np.sum(histogram * np.log(histogram * num_modes)))
    return {
        "modes_captured": int(np.count_nonzero(counts)),
        "num_modes": int(num_modes),
        "high_quality_fraction": num_high_quality / points.shape[0],
        "kl_to_uniform": kl_to_uniform,
        "num_samples": int(points.shape[0]),
    }


def mode_coverage_for_mixture(points, name):
    """`mode_coverage_2d` against a built-in mixture ("ring8" or "grid25").

    Uses the means of `keras_gans.data.builtin.mixture_means(name)` and the standard
    deviation `keras_gans.data.builtin.MIXTURES[name]`.

    Example:

    >>> from keras_gans.data.builtin import mixture_means
    >>> result = mode_coverage_for_mixture(mixture_means("ring8"), "ring8")
    >>> result["modes_captured"], result["high_quality_fraction"]
    (8, 1.0)
    """
    if name not in MIXTURES:
        raise ValueError(
            f"Unknown mixture {name!r}. Expected one of {sorted(MIXTURES)}."
        )
    return mode_coverage_2d(points, mixture_means(name), MIXTURES[name])
