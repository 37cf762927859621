"""Per-epoch `.keras` checkpoints that keep only the newest few on disk."""

import os

import keras

from keras_gans._checks import check_positive_integer
from keras_gans.callbacks.non_finite_loss import check_finite_weights
from keras_gans.run_folder import checkpoint_paths, write_atomically

__all__ = ["RollingCheckpoint"]


class RollingCheckpoint(keras.callbacks.Callback):
    """Saves the whole model to `directory/epoch_NNN.keras` after every epoch.

    Keeps the newest `keep` files and deletes older ones, so a long run does not fill
    the disk (the default DCGAN run would otherwise write 50 files of 1.7 MB). A file
    is only deleted after a newer one has been written.

    Every checkpoint is one a run can restart from: each is written to a temporary
    file and renamed into place (a process killed mid-write leaves no half file), and
    only when all weights and optimizer variables are finite; otherwise it raises
    `NonFiniteLossError` naming the newest checkpoint, the last good one.

    Args:
        directory: Where the checkpoints go.
        keep: How many of the newest checkpoints to keep (at least 1).
    """

    def __init__(self, directory, keep=3):
        keep = check_positive_integer(keep, "keep")
        super().__init__()
        self.directory = directory
        self.keep = keep

    def on_epoch_end(self, epoch, logs=None):
        check_finite_weights(
            self.model, f"at the end of epoch {epoch + 1}", self.directory
        )
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, f"epoch_{epoch + 1:03d}.keras")
        write_atomically(path, self.model.save)
        for old in checkpoint_paths(self.directory)[: -self.keep]:
            os.remove(old)
