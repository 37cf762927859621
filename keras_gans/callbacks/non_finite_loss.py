"""Stop at the first NaN or Inf loss, before any callback saves the broken weights,
and refuse to save weights that are not finite."""

import math

import keras

from keras_gans.run_folder import newest_checkpoint_hint, non_finite_variables

__all__ = ["NonFiniteLossError", "StopOnNonFiniteLoss", "check_finite_weights"]

# Variables named in a non-finite weights error; the rest are counted.
MAX_NAMED_VARIABLES = 3


class NonFiniteLossError(FloatingPointError):
    """A loss, a weight or an optimizer's state became NaN or Inf during training."""


def _checkpoint_hint(checkpoint_dir):
    return "" if checkpoint_dir is None else newest_checkpoint_hint(checkpoint_dir)


def check_finite_weights(model, when, checkpoint_dir=None):
    """Raises `NonFiniteLossError` if a weight of `model` (any network, its
    statistics) or a variable of its optimizers is NaN or Inf.

    Call it before saving: an update can break the weights while the loss of its
    step is still finite (the loss is computed before the update), and a saved
    broken state would make every resume fail.

    Args:
        model: A `keras.Model`.
        when: Where the run is, for the message (e.g. "at the end of epoch 3").
        checkpoint_dir: Optional folder of `epoch_NNN.keras` checkpoints; the
            message names the newest one.
    """
    names = non_finite_variables(model)
    if not names:
        return
    shown = ", ".join(f"`{name}`" for name in names[:MAX_NAMED_VARIABLES])
    if len(names) > MAX_NAMED_VARIABLES:
        shown += f" and {len(names) - MAX_NAMED_VARIABLES} more"
    raise NonFiniteLossError(
        f"Training stopped: {len(names)} variables hold NaN or Inf {when} "
        f"({shown}); nothing was saved from them. "
        f"{_checkpoint_hint(checkpoint_dir)}".strip()
    )


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` at the first batch whose losses are not finite.

    Unlike `keras.callbacks.TerminateOnNaN`, which only reads the "loss" entry, this
    checks every log whose name ends in "loss" (`d_loss`, `g_loss`, penalties). It
    raises instead of setting `stop_training`, so `fit` ends at once: the epoch-end
    callbacks (`ModelCheckpoint`, `BackupAndRestore`) never see the broken weights and
    the last good checkpoint stays the newest one on disk. (An update that breaks the
    weights while its loss is still finite is caught before saving, by
    `check_finite_weights`.)

    Args:
        checkpoint_dir: Optional folder of `epoch_NNN.keras` checkpoints; the error
            names the newest one (the last good one).
    """

    def __init__(self, checkpoint_dir=None):
        super().__init__()
        self.checkpoint_dir = checkpoint_dir
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if name.endswith("loss") and not math.isfinite(float(value)):
                raise NonFiniteLossError(
                    f"Training stopped: `{name}` is {float(value)} at epoch "
                    f"{self._epoch + 1}, step {batch + 1} (the epoch's running mean "
                    "turned non-finite at this step). "
                    f"{_checkpoint_hint(self.checkpoint_dir)}".strip()
                )
