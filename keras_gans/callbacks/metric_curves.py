"""Redraws the metric-curve PNG (FID, KID, modes, ...) from the CSV log."""

import os

import keras

from keras_gans import plotting

__all__ = ["MetricCurves"]


class MetricCurves(keras.callbacks.Callback):
    """Plots the evaluation columns of the `CSVLogger` file after every epoch.

    The columns are those `EvaluateGenerator` logs (`fid`, `kid` ± `kid_std`,
    `inception_score`, `precision`, `recall`, `modes_captured`,
    `high_quality_fraction`, `mode_kl`), one panel each; epochs without an
    evaluation (NaN) are skipped. Nothing is written while no such column has a
    value. Place it after the `CSVLogger` in the callback list, so the row of the
    epoch that just ended is already written.

    Args:
        csv_path: The `CSVLogger` file.
        png_path: The picture to (re)write, e.g. `run/metrics.png`.
    """

    def __init__(self, csv_path, png_path):
        super().__init__()
        self.csv_path = csv_path
        self.png_path = png_path

    def on_epoch_end(self, epoch, logs=None):
        if os.path.exists(self.csv_path):
            plotting.save_metric_curves(self.csv_path, self.png_path)
