"""Stop at the first NaN or Inf loss, before any callback saves the broken weights."""

import math

import keras

__all__ = ["NonFiniteLossError", "StopOnNonFiniteLoss"]


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or Inf during training."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` at the first batch whose losses are not finite.

    Unlike `keras.callbacks.TerminateOnNaN`, which only reads the "loss" entry, this
    checks every log whose name ends in "loss" (`d_loss`, `g_loss`, penalties). It
    raises instead of setting `stop_training`, so `fit` ends at once: the epoch-end
    callbacks (`ModelCheckpoint`, `BackupAndRestore`) never see the broken weights and
    the last good checkpoint stays the newest one on disk.

    Args:
        checkpoint_hint: Optional text added to the error (e.g. where the last good
            checkpoint is).
    """

    def __init__(self, checkpoint_hint=""):
        super().__init__()
        self.checkpoint_hint = checkpoint_hint
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if name.endswith("loss") and not math.isfinite(float(value)):
                raise NonFiniteLossError(
                    f"Training stopped: `{name}` is {float(value)} at epoch "
                    f"{self._epoch + 1}, step {batch + 1} (the epoch's running mean "
                    f"turned non-finite at this step). {self.checkpoint_hint}".strip()
                )
