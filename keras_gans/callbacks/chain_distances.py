"""The exact distance of generated sequences from the "markov" data (T21)."""

import keras

from keras_gans._checks import check_integer
from keras_gans.data.markov import chain_distances

__all__ = ["ChainDistances"]


class ChainDistances(keras.callbacks.Callback):
    """Adds `marginal_tv` and `transition_tv` to the epoch logs of a GAN trained on
    the built-in "markov" sequences (`keras_gans.data.markov.chain_distances`).

    The samples are `model.generate(num_samples, seed=seed)`: the same latents each
    epoch. Place it before the loggers (CSV, TensorBoard) that should record them.

    Args:
        num_samples: Generated sequences per measurement (standard error of a class
            frequency: at most `0.5 / sqrt(num_samples)`).
        seed: Seed of the latents.
    """

    def __init__(self, num_samples=2_000, seed=0):
        super().__init__()
        self.num_samples = check_integer(num_samples, "num_samples")
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        samples = self.model.generate(self.num_samples, seed=self.seed)
        if logs is not None:
            logs.update(chain_distances(samples))
