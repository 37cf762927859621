"""StyleGAN's per-pixel noise input with a learned per-channel strength."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class NoiseInjection(keras.layers.Layer):
    """Adds a single-channel Gaussian noise map, scaled per channel, to features.

    StyleGAN feeds explicit noise to every synthesis layer so that the
    generator does not have to spend capacity producing pseudo-randomness
    for stochastic detail (hair strands, freckles, pores); the style inputs
    then control only the global attributes. Each layer draws one noise image
    per sample, shared by all channels, and learns how strongly each channel
    receives it:

        output[b, h, w, c] = inputs[b, h, w, c] + strength[c] * noise[b, h, w, 0]

    with noise ~ N(0, 1). The strength has one value per channel, as in
    StyleGAN (StyleGAN2 uses a single scalar instead), and starts at 0, so the
    layer is the identity until training turns it on. As in StyleGAN, the
    noise is added in inference too (`always_apply=True`): it is part of the
    generator's sampling process, not a regulariser. Pass a fixed `noise`
    tensor to make the output deterministic (e.g. to vary only the latent
    code, or to compare two generators on the same noise).

    Args:
        always_apply: bool. If True (StyleGAN), noise is added in training and
            inference. If False, only in training; in inference the layer is
            the identity.
        strength_initializer: initializer of the per-channel strength.
            Defaults to `"zeros"`.
        seed: optional integer seed of the layer's `SeedGenerator`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, height, width, channels]` (channels last).
        noise: optional float tensor `[batch, height, width, 1]`, used instead
            of a random draw (and applied whatever `training` and
            `always_apply` say).
        training: bool, training or inference mode.

    Returns:
        A tensor of the shape of `inputs`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(2, 8, 8, 16)).astype("float32")
    >>> tuple(NoiseInjection()(x).shape)
    (2, 8, 8, 16)

    Reference:
        Karras, Laine and Aila, "A Style-Based Generator Architecture for
        Generative Adversarial Networks", 2018. https://arxiv.org/abs/1812.04948
    """

    def __init__(
        self, always_apply=True, strength_initializer="zeros", seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        if not isinstance(always_apply, bool):
            raise ValueError(
                "`always_apply` should be a bool. "
                f"Received: `always_apply={always_apply}`"
            )
        self.always_apply = always_apply
        self.strength_initializer = keras.initializers.get(strength_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`NoiseInjection` expects a 4-D input [batch, height, width, "
                f"channels] with known channels. Received: input shape {input_shape}"
            )
        self.strength = self.add_weight(
            shape=(input_shape[-1],),
            name="strength",
            initializer=self.strength_initializer,
        )

    def call(self, inputs, noise=None, training=None):
        if noise is None:
            if not (training or self.always_apply):
                return inputs
            batch_size, height, width = ops.shape(inputs)[:3]
            noise = keras.random.normal(
                (batch_size, height, width, 1),
                dtype=self.compute_dtype,
                seed=self.seed_generator,
            )
        else:
            expected = (*inputs.shape[:3], 1)
            compatible = len(noise.shape) == 4 and all(
                received is None or wanted is None or received == wanted
                for received, wanted in zip(noise.shape, expected, strict=True)
            )
            if not compatible:
                raise ValueError(
                    "`noise` should have shape [batch, height, width, 1] = "
                    f"{expected}. Received: noise shape {tuple(noise.shape)}"
                )
        return inputs + self.strength * ops.cast(noise, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "always_apply": self.always_apply,
            "strength_initializer": keras.initializers.serialize(
                self.strength_initializer
            ),
            "seed": self.seed,
        }
        return {**base_config, **config}
