"""Completions of fixed held-out images after every epoch (inpainting, catalogue A8)."""

import os

import keras
import numpy as np
from keras import ops

from keras_gans import plotting

__all__ = ["InpaintingGrid", "save_inpainting_grid"]

# The columns of every row of the grid.
COLUMNS = ("input", "coarse", "completed", "original")


def save_inpainting_grid(model, images, path):
    """Writes one row per image: the input with its centre hole (hole pixels at 0,
    mid-grey), the coarse stage's composite, the completion and the original.

    Args:
        model: A `keras_gans.models.CoarseToRefineGAN`.
        images: Complete images `[n, h, w, c]` in [-1, 1].
        path: The PNG file to write.

    Returns:
        `path`.
    """
    images = np.asarray(images, dtype="float32")
    masks = model.make_masks(len(images), hole="centre")
    outputs = model.stage_outputs(images, masks)
    channels = images.shape[-1]
    tiles = [
        ops.convert_to_numpy(outputs["masked_inputs"])[..., :channels],
        ops.convert_to_numpy(outputs["coarse_composite"]),
        ops.convert_to_numpy(outputs["completed"]),
        images,
    ]
    # [n, 4, h, w, c] -> [4 n, h, w, c]: row i holds image i's four tiles.
    rows = np.stack(tiles, axis=1).reshape(-1, *images.shape[1:])
    plotting.save_image_grid(rows, path, columns=len(COLUMNS))
    return path


class InpaintingGrid(keras.callbacks.Callback):
    """Writes `epoch_NNN.png` after every epoch: the same images completed by a
    `CoarseToRefineGAN` (rows: input, coarse, completed, original; see
    `save_inpainting_grid`).

    Args:
        directory: Where the PNG files go.
        images: The fixed images `[n, h, w, c]` (held out from training).
    """

    def __init__(self, directory, images):
        super().__init__()
        self.directory = directory
        self.images = np.asarray(images, dtype="float32")

    def write(self, filename, title=None):
        """Writes `directory/filename` (`title` is unused: the tiles say it)."""
        os.makedirs(self.directory, exist_ok=True)
        return save_inpainting_grid(
            self.model, self.images, os.path.join(self.directory, filename)
        )

    def on_epoch_end(self, epoch, logs=None):
        self.write(f"epoch_{epoch + 1:03d}.png")
