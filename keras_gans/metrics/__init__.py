"""Sample-quality metrics M1-M7: functions of features, streaming metrics, extractors.

- `frechet_distance`, `FeatureStatistics`, `frechet_distance_from_statistics` (M2, FID)
- `kernel_inception_distance` (M3, KID)
- `inception_score` (M1, IS)
- `precision_recall` (M4, improved precision and recall)
- `mode_coverage_2d`, `mode_coverage_for_mixture` (M5, 2-D mixtures)
- `digits_mode_coverage`, `stacked_digits_mode_coverage` (M6, digits and stacked
  digits, with the digits classifier)
- `DigitsFeatures`, `build_digits_classifier`, `load_digits_classifier`,
  `train_digits_classifier` (M7, the offline digits classifier shipped with the
  package)
- `FrechetDistance`, `KernelInceptionDistance`, `InceptionScore`, `PrecisionRecall`
  (M2, M3, M1, M4 as streaming `keras.metrics.Metric`s, `keras.ops` only)
- `InceptionFeatures`, `FeatureExtractorUnavailableError` (M7, InceptionV3 pool
  features and logits, Keras ImageNet weights)
- `Inception2015Features` (M7, `pool_3` features and logits of the 2015 TensorFlow
  Inception graph: the network of published FIDs, TTUR's protocol)

Each of M1-M4 has one core, written with `keras.ops` in float64, in its module: the
function (features or classifier outputs already extracted from samples) calls it
directly, and the streaming metric accumulates what it needs and calls it in
`result()`, so the two give the same numbers. The numbers depend on the feature
extractor and the sample counts, so report both with every figure.
"""

from keras_gans.metrics.digits_classifier import (
    DigitsFeatures,
    build_digits_classifier,
    load_digits_classifier,
    train_digits_classifier,
)
from keras_gans.metrics.digits_coverage import (
    digits_mode_coverage,
    stacked_digits_mode_coverage,
)
from keras_gans.metrics.frechet_distance import (
    FeatureStatistics,
    FrechetDistance,
    frechet_distance,
    frechet_distance_from_moments,
    frechet_distance_from_statistics,
)
from keras_gans.metrics.inception_2015 import Inception2015Features
from keras_gans.metrics.inception_features import (
    FeatureExtractorUnavailableError,
    InceptionFeatures,
)
from keras_gans.metrics.inception_score import InceptionScore, inception_score
from keras_gans.metrics.kernel_inception_distance import (
    KernelInceptionDistance,
    kernel_inception_distance,
    polynomial_kernel,
)
from keras_gans.metrics.mode_coverage import (
    mode_coverage_2d,
    mode_coverage_for_mixture,
)
from keras_gans.metrics.precision_recall import PrecisionRecall, precision_recall

__all__ = [
    "DigitsFeatures",
    "FeatureExtractorUnavailableError",
    "FeatureStatistics",
    "FrechetDistance",
    "Inception2015Features",
    "InceptionFeatures",
    "InceptionScore",
    "KernelInceptionDistance",
    "PrecisionRecall",
    "build_digits_classifier",
    "digits_mode_coverage",
    "frechet_distance",
    "frechet_distance_from_moments",
    "frechet_distance_from_statistics",
    "inception_score",
    "kernel_inception_distance",
    "load_digits_classifier",
    "mode_coverage_2d",
    "mode_coverage_for_mixture",
    "polynomial_kernel",
    "precision_recall",
    "stacked_digits_mode_coverage",
    "train_digits_classifier",
]
