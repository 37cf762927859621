"""Training tricks: the step components of `GAN.compile` and their functions.

Each class is a step component (`keras_gans.training.component.StepComponent`),
registered in `keras_gans.training.options` under its `compile` argument:

- `LabelSmoothing` (T4, `label_smoothing`): one-sided smoothing, random targets,
  label flipping; `smoothed_discriminator_loss`.
- `InstanceNoise` (T9, `instance_noise`): annealed Gaussian noise on D's inputs.
- `FeatureMatching` (T1, `feature_matching`), `feature_matching_loss`.
- `HistoricalAveraging` (T3, `historical_averaging`).
- `GeneratorEMA` (T13, `generator_ema`): an exponential moving average of G's weights.
- `Packing` (T16, `packing`), `pack`: PacGAN packing.
- `Unrolled` (T15, `unrolled_steps`), `look_ahead_variables`: the unrolled
  discriminator.
- `DiscriminatorSteps` (T12, `discriminator_steps`): k D steps per G step.
- `SingleLoss` (T14, `single_loss`), `single_loss`: one optimizer, one scalar loss.
- `ConsistencyRegularization` (P8, `consistency_regularization`): CR-GAN and bCR.

The penalties P1-P7 are in `keras_gans.penalties`; minibatch discrimination, virtual
batch normalisation and spectral normalisation are layers (`keras_gans.layers`).
"""

from keras_gans.tricks.consistency_regularization import ConsistencyRegularization
from keras_gans.tricks.discriminator_steps import DiscriminatorSteps
from keras_gans.tricks.feature_matching import FeatureMatching, feature_matching_loss
from keras_gans.tricks.generator_ema import GeneratorEMA
from keras_gans.tricks.historical_averaging import HistoricalAveraging
from keras_gans.tricks.instance_noise import InstanceNoise
from keras_gans.tricks.label_smoothing import (
    LabelSmoothing,
    smoothed_discriminator_loss,
)
from keras_gans.tricks.packing import Packing, pack
from keras_gans.tricks.single_loss import SingleLoss, single_loss
from keras_gans.tricks.unrolled import Unrolled, look_ahead_variables

__all__ = [
    "ConsistencyRegularization",
    "DiscriminatorSteps",
    "FeatureMatching",
    "GeneratorEMA",
    "HistoricalAveraging",
    "InstanceNoise",
    "LabelSmoothing",
    "Packing",
    "SingleLoss",
    "Unrolled",
    "feature_matching_loss",
    "look_ahead_variables",
    "pack",
    "single_loss",
    "smoothed_discriminator_loss",
]
