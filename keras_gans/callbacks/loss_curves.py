"""Redraws the loss-curve PNG from the CSV log after every epoch."""

import os

import keras

from keras_gans import plotting

__all__ = ["LossCurves"]


class LossCurves(keras.callbacks.Callback):
    """Plots the `CSVLogger` file at `csv_path` to `png_path` after every epoch.

    Place it after the `CSVLogger` in the callback list, so the row of the epoch that
    just ended is already written.
    """

    def __init__(self, csv_path, png_path):
        super().__init__()
        self.csv_path = csv_path
        self.png_path = png_path

    def on_epoch_end(self, epoch, logs=None):
        if os.path.exists(self.csv_path):
            plotting.save_loss_curves(self.csv_path, self.png_path)
