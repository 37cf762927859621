"""Dropout that stays on at inference: a noise source for generators."""

import keras

from ._arguments import check_positive_number


@keras.saving.register_keras_serializable(package="keras_gans")
class PersistentDropout(keras.layers.Layer):
    """Dropout applied in training and in inference alike.

    `keras.layers.Dropout` is the identity at inference, and a Functional model
    passes its own `training` flag to every layer, so it cannot be kept on from
    outside. A conditional generator with no latent input (pix2pix) uses dropout
    as its only source of randomness, at test time too: Isola et al. apply it in
    several generator layers "at both training and test time". Inverted dropout:
    each unit is zeroed with probability `rate` and the others scaled by
    1 / (1 - rate), so the expected activation is unchanged.

    Args:
        rate: float in (0, 1), the probability of dropping a unit.
        seed: optional integer seed of the layer's `SeedGenerator`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a float tensor of any shape.
        training: ignored: the layer drops units in both modes.

    Returns:
        A tensor of the shape of `inputs`.

    Example:

    >>> import numpy as np
    >>> x = np.ones((2, 1000), dtype="float32")
    >>> y = PersistentDropout(0.5, seed=1)(x, training=False)
    >>> sorted(set(np.round(np.asarray(y).ravel(), 3).tolist()))
    [0.0, 2.0]

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial
        Networks", 2017, section 3.1. https://arxiv.org/abs/1611.07004
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_positive_number(rate, "rate")
        if rate >= 1:
            raise ValueError(
                f"`rate` should be a number in (0, 1). Received: `rate={rate}`"
            )
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, inputs, training=None):
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
