"""Samples from a fixed set of latents after every epoch, so progress is comparable."""

import os

import keras
import numpy as np

from keras_gans import plotting

__all__ = ["SampleGrid"]


class SampleGrid(keras.callbacks.Callback):
    """Writes `epoch_NNN.png` from the same latents after every epoch.

    Image samples become a grid; 2-D points a scatter plot over `reference_points`.

    Args:
        directory: Where the PNG files go.
        latents: The fixed latents, `[num_samples, *latent_shape]`.
        reference_points: For 2-D data: real points drawn under the samples.
    """

    def __init__(self, directory, latents, reference_points=None):
        super().__init__()
        self.directory = directory
        self.latents = np.asarray(latents, dtype="float32")
        self.reference_points = reference_points

    def write(self, filename, title=None):
        os.makedirs(self.directory, exist_ok=True)
        samples = self.model.generator.predict(self.latents, verbose=0)
        path = os.path.join(self.directory, filename)
        plotting.save_samples(samples, path, self.reference_points, title)
        return path

    def on_epoch_end(self, epoch, logs=None):
        self.write(f"epoch_{epoch + 1:03d}.png", title=f"epoch {epoch + 1}")
