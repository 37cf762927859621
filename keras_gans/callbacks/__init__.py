"""Callbacks for GAN training: samples, loss curves, checkpoints, failure handling
and detection (T20), evaluation metrics in the logs (FID, KID, IS,
precision/recall, mode coverage), metric curves, 2-D mode scatter plots, latent
interpolation strips, inpainting completions, the exact distance of generated
sequences from the Markov data, the run's metrics.csv, and a schedule for any of
them."""

from keras_gans.callbacks.atomic_backup_and_restore import AtomicBackupAndRestore
from keras_gans.callbacks.chain_distances import ChainDistances
from keras_gans.callbacks.evaluate_generator import EvaluateGenerator
from keras_gans.callbacks.failure_detector import (
    FailureDetector,
    TrainingFailureWarning,
)
from keras_gans.callbacks.inpainting_grid import InpaintingGrid, save_inpainting_grid
from keras_gans.callbacks.interpolation_strips import InterpolationStrips
from keras_gans.callbacks.loss_curves import LossCurves
from keras_gans.callbacks.metric_curves import MetricCurves
from keras_gans.callbacks.metrics_csv import MetricsCSV
from keras_gans.callbacks.mode_scatter import ModeScatter
from keras_gans.callbacks.non_finite_loss import NonFiniteLossError, StopOnNonFiniteLoss
from keras_gans.callbacks.rolling_checkpoint import RollingCheckpoint
from keras_gans.callbacks.sample_grid import SampleGrid
from keras_gans.callbacks.scheduled import Scheduled

__all__ = [
    "AtomicBackupAndRestore",
    "ChainDistances",
    "EvaluateGenerator",
    "FailureDetector",
    "InpaintingGrid",
    "InterpolationStrips",
    "LossCurves",
    "MetricCurves",
    "MetricsCSV",
    "ModeScatter",
    "NonFiniteLossError",
    "RollingCheckpoint",
    "SampleGrid",
    "Scheduled",
    "StopOnNonFiniteLoss",
    "TrainingFailureWarning",
    "save_inpainting_grid",
]
