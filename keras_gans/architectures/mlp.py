"""Multilayer-perceptron generator and discriminator (catalogue A7).

For 2-D toy data (the 8-ring and 25-grid mixtures) and for permutation-invariant
image models. The defaults follow the 2-D setup of the unrolled-GAN paper (Metz et al.
2017, appendix A): G with two hidden ReLU layers of 128 units and a linear output, D
with one hidden layer of 128 units.

Reference: Metz et al. 2017, https://arxiv.org/abs/1611.02163
"""

import math

import keras

from keras_gans._checks import check_positive_integers

__all__ = ["mlp_generator", "mlp_discriminator"]


def _as_shape(shape, argument):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not shape or not all(isinstance(d, int) and d > 0 for d in shape):
        raise ValueError(
            f"`{argument}` should be a positive integer or a tuple of them. "
            f"Received: `{argument}={shape}`."
        )
    return shape


def mlp_generator(
    latent_dim=2,
    output_dim=2,
    hidden_units=(128, 128),
    output_activation=None,
    seed=None,
):
    """An MLP generator: z -> a sample of shape `output_dim`.

    Args:
        latent_dim: Size of z.
        output_dim: Output shape without the batch axis: an int (2 for points) or a
            tuple (e.g. `(8, 8, 1)` for images, with `output_activation="tanh"`).
        hidden_units: Units of each hidden ReLU layer.
        output_activation: None (linear, for points) or "tanh" (for images in [-1, 1]).
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` named "generator".
    """
    output_shape = _as_shape(output_dim, "output_dim")
    latents = keras.Input((latent_dim,), name="latents")
    x = latents
    hidden_units = check_positive_integers(
        hidden_units, "hidden_units", allow_empty=True
    )
    for units in hidden_units:
        x = keras.layers.Dense(
            units,
            activation="relu",
            kernel_initializer=keras.initializers.HeNormal(seed),
        )(x)
    x = keras.layers.Dense(
        math.prod(output_shape),
        activation=output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed),
    )(x)
    outputs = keras.layers.Reshape(output_shape, name="samples")(
        x
    )  # [batch, *output_shape]
    return keras.Model(latents, outputs, name="generator")


def mlp_discriminator(input_dim=2, hidden_units=(128,), seed=None):
    """An MLP discriminator: a sample -> one raw logit (higher = more real).

    Args:
        input_dim: Input shape without the batch axis (an int or a tuple); inputs are
            flattened.
        hidden_units: Units of each hidden ReLU layer.
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` named "discriminator": -> `[batch, 1]`.
    """
    input_shape = _as_shape(input_dim, "input_dim")
    samples = keras.Input(input_shape, name="samples")
    x = keras.layers.Flatten()(samples)  # [batch, prod(input_shape)]
    hidden_units = check_positive_integers(
        hidden_units, "hidden_units", allow_empty=True
    )
    for units in hidden_units:
        x = keras.layers.Dense(
            units,
            activation="relu",
            kernel_initializer=keras.initializers.HeNormal(seed),
        )(x)
    logits = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.GlorotUniform(seed), name="logits"
    )(x)
    return keras.Model(samples, logits, name="discriminator")
