"""Training tricks, composed by `GAN.compile` options.

- `LabelSmoothing` (T4): one-sided smoothing, random targets, label flipping.
- `InstanceNoise` (T9): annealed Gaussian noise on D's inputs.
- `FeatureMatching`, `feature_matching_loss` (T1).
- `HistoricalAveraging` (T3).
- `GeneratorEMA` (T13): an exponential moving average of G's weights.
- `pack` (T16): PacGAN packing.
- `look_ahead_variables` (T15): the unrolled discriminator.
- `single_loss` (T14): one optimizer, one scalar loss.

The penalties P1-P7 are in `keras_gans.penalties`; minibatch discrimination, virtual
batch normalisation and spectral normalisation are layers (package `layers`).
"""

from keras_gans.tricks.feature_matching import FeatureMatching, feature_matching_loss
from keras_gans.tricks.generator_ema import GeneratorEMA
from keras_gans.tricks.historical_averaging import HistoricalAveraging
from keras_gans.tricks.instance_noise import InstanceNoise
from keras_gans.tricks.label_smoothing import (
    LabelSmoothing,
    smoothed_discriminator_loss,
)
from keras_gans.tricks.packing import pack
from keras_gans.tricks.single_loss import single_loss
from keras_gans.tricks.unrolled import look_ahead_variables

__all__ = [
    "FeatureMatching",
    "GeneratorEMA",
    "HistoricalAveraging",
    "InstanceNoise",
    "LabelSmoothing",
    "feature_matching_loss",
    "look_ahead_variables",
    "pack",
    "single_loss",
    "smoothed_discriminator_loss",
]
