"""Callbacks for GAN training: samples, loss curves, checkpoints, failure handling."""

from keras_gans.callbacks.loss_curves import LossCurves
from keras_gans.callbacks.non_finite_loss import NonFiniteLossError, StopOnNonFiniteLoss
from keras_gans.callbacks.rolling_checkpoint import RollingCheckpoint
from keras_gans.callbacks.sample_grid import SampleGrid

__all__ = [
    "LossCurves",
    "NonFiniteLossError",
    "RollingCheckpoint",
    "SampleGrid",
    "StopOnNonFiniteLoss",
]
