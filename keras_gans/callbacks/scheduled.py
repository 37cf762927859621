"""Runs a callback's end-of-epoch work on a schedule instead of after every epoch."""

import keras

from keras_gans._checks import check_integer

__all__ = ["Scheduled", "is_scheduled_epoch"]


def is_scheduled_epoch(epoch, every_n_epochs, first_epoch, last_epoch):
    """True at `first_epoch`, at every `every_n_epochs`-th epoch and at `last_epoch`
    (epochs 0-based, as Keras passes them; `last_epoch` may be None)."""
    return (
        epoch == first_epoch
        or (epoch + 1) % every_n_epochs == 0
        or (last_epoch is not None and epoch == last_epoch)
    )


class Scheduled(keras.callbacks.Callback):
    """Calls `callback.on_epoch_end` only on the first epoch of each `fit`, every
    `every_n_epochs`-th epoch and the last one; every other hook is passed through.

    The run folder's pictures (sample grids, interpolation strips, curves) cost
    about as much as a training epoch of a small model on a CPU; drawn about ten
    times per run instead of every epoch, they keep the command line's run within a
    few percent of a bare `fit`.

    Args:
        callback: A Keras callback.
        every_n_epochs: The period in epochs (1: every epoch).

    Example:

    >>> class Count(keras.callbacks.Callback):
    ...     epochs = []
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.epochs.append(epoch + 1)
    >>> count = Count()
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(
    ...     np.zeros((4, 1)), np.zeros((4, 1)), epochs=7, verbose=0,
    ...     callbacks=[Scheduled(count, every_n_epochs=3)],
    ... )
    >>> count.epochs
    [1, 3, 6, 7]
    """

    def __init__(self, callback, every_n_epochs):
        super().__init__()
        self.callback = callback
        self.every_n_epochs = check_integer(every_n_epochs, "every_n_epochs")
        self._first_epoch = None

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.callback.set_params(params)

    def on_train_begin(self, logs=None):
        self._first_epoch = None
        self.callback.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
        self.callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        epochs = (self.params or {}).get("epochs")
        last_epoch = None if epochs is None else epochs - 1
        if is_scheduled_epoch(
            epoch, self.every_n_epochs, self._first_epoch, last_epoch
        ):
            self.callback.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        self.callback.on_train_end(logs)
