"""Per-epoch `.keras` checkpoints that keep only the newest few on disk."""

import glob
import os

import keras

__all__ = ["RollingCheckpoint"]


class RollingCheckpoint(keras.callbacks.ModelCheckpoint):
    """Saves the whole model to `directory/epoch_NNN.keras` after every epoch.

    Keeps the newest `keep` files and deletes older ones, so a long run does not fill
    the disk (the default DCGAN run would otherwise write 50 files of 1.7 MB). A file
    is only deleted after a newer one has been written.

    Args:
        directory: Where the checkpoints go.
        keep: How many of the newest checkpoints to keep (at least 1).
    """

    def __init__(self, directory, keep=3):
        if not isinstance(keep, int) or keep < 1:
            raise ValueError(
                f"`keep` should be a positive integer. Received: `keep={keep}`."
            )
        super().__init__(os.path.join(directory, "epoch_{epoch:03d}.keras"))
        self.directory = directory
        self.keep = keep

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        checkpoints = sorted(glob.glob(os.path.join(self.directory, "epoch_*.keras")))
        for path in checkpoints[: -self.keep]:
            os.remove(path)
