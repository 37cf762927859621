"""Sample-quality metrics M1-M5 as pure functions of features (NumPy in, floats out).

- `frechet_distance`, `FeatureStatistics`, `frechet_distance_from_statistics` (M2, FID)
- `kernel_inception_distance` (M3, KID)
- `inception_score` (M1, IS)
- `precision_recall` (M4, improved precision and recall)
- `mode_coverage_2d`, `mode_coverage_for_mixture` (M5, 2-D mixtures)

Inputs are features (or classifier outputs) already extracted from samples; every
computation is in float64. The numbers depend on the feature extractor and the sample
counts, so report both with every figure.
"""

from keras_gans.metrics.frechet_distance import (
    FeatureStatistics,
    frechet_distance,
    frechet_distance_from_moments,
    frechet_distance_from_statistics,
)
from keras_gans.metrics.inception_score import inception_score
from keras_gans.metrics.kernel_inception_distance import (
    kernel_inception_distance,
    polynomial_kernel,
)
from keras_gans.metrics.mode_coverage import (
    mode_coverage_2d,
    mode_coverage_for_mixture,
)
from keras_gans.metrics.precision_recall import precision_recall

__all__ = [
    "FeatureStatistics",
    "frechet_distance",
    "frechet_distance_from_moments",
    "frechet_distance_from_statistics",
    "inception_score",
    "kernel_inception_distance",
    "mode_coverage_2d",
    "mode_coverage_for_mixture",
    "polynomial_kernel",
    "precision_recall",
]
