"""`keras.callbacks.BackupAndRestore` whose backup is whole and finite."""

import keras

from keras_gans.callbacks.non_finite_loss import check_finite_weights
from keras_gans.run_folder import write_backup

__all__ = ["AtomicBackupAndRestore"]


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Backs up the training state after every epoch, restores it when `fit` starts.

    Keras writes `latest.weights.h5` in place: a process killed during the
    end-of-epoch write leaves a truncated file that every later run fails to open.
    This subclass changes only the end-of-epoch write
    (`keras_gans.run_folder.write_backup`): each file goes to a temporary name and is
    renamed into place, and the metadata records the weights' SHA-256 so that
    `keras_gans.run_folder.RunFolder.restore` detects a mismatched pair. Before
    writing, it checks that every weight and optimizer variable is finite; if not it
    raises `NonFiniteLossError` and the previous backup stays. Restoring is Keras's.

    Args:
        backup_dir: The backup's folder (its own: no other files go there).
        checkpoint_dir: Optional folder of the run's `epoch_NNN.keras` checkpoints;
            the non-finite error names the newest one.
        delete_checkpoint: Whether to delete the backup when `fit` ends (as in
            Keras); `False` leaves that to the caller, e.g. after the final models
            are saved.
    """

    def __init__(self, backup_dir, checkpoint_dir=None, delete_checkpoint=True):
        super().__init__(backup_dir, delete_checkpoint=delete_checkpoint)
        self.checkpoint_dir = checkpoint_dir

    def on_epoch_end(self, epoch, logs=None):
        check_finite_weights(
            self.model, f"at the end of epoch {epoch + 1}", self.checkpoint_dir
        )
        write_backup(self.model, self.backup_dir, epoch + 1)
