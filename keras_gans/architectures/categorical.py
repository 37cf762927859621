"""A GAN over discrete sequences through the Gumbel-softmax (catalogue T21, layer Y13).

A generator of categorical data (tokens, class labels) cannot backpropagate through
a sample. Jang et al. 2016 relax it: with Gumbel noise `g = -log(-log u)`,
`u ~ U(0, 1)`, the generator outputs `softmax((logits + g) / τ)` per position, a
differentiable approximately one-hot sample whose argmax is an exact sample of
`softmax(logits)` (`layers.GumbelSoftmax`). The discriminator then judges one-hot
rows like the data's.

- The training data: `keras_gans.data.markov` (the built-in dataset "markov"),
  one-hot sequences of a fixed Markov chain whose per-position class frequencies
  `p_t = p_0 Pᵗ` are known in closed form.
- `categorical_generator`: an MLP `z -> [length, num_classes]` logits, then
  `GumbelSoftmax(temperature)`.
- `categorical_discriminator`: an MLP over the flattened one-hot sequence.

Reference: Jang, Gu & Poole 2016, "Categorical Reparameterization with
Gumbel-Softmax", https://arxiv.org/abs/1611.01144; the same relaxation for GANs
over sequences: Kusner & Hernández-Lobato 2016, https://arxiv.org/abs/1611.04051
"""

import keras

from keras_gans._checks import check_integer, check_positive_integers
from keras_gans.layers import GumbelSoftmax

__all__ = ["categorical_discriminator", "categorical_generator"]


def categorical_generator(
    latent_dim,
    sequence_length,
    num_classes,
    hidden_units=(128, 128),
    temperature=1.0,
    hard=False,
    seed=None,
):
    """An MLP generator of one-hot-like sequences ending in a Gumbel-softmax.

    `z -> ReLU MLP -> logits [length, K] -> softmax((logits + g) / τ)`.

    Args:
        latent_dim: Size of z.
        sequence_length: Positions per sequence.
        num_classes: Classes K >= 2 per position.
        hidden_units: Units of each hidden ReLU layer.
        temperature: τ of the Gumbel-softmax (lower: closer to one-hot, noisier
            gradients).
        hard: Straight-through one-hot outputs (see `layers.GumbelSoftmax`).
        seed: Seed of the weight initialisers and of the Gumbel noise.

    Returns:
        A Functional `keras.Model` named "generator":
        `[batch, latent_dim] -> [batch, sequence_length, num_classes]`, rows summing
        to 1.

    Example:

    >>> generator = categorical_generator(4, 3, 5, hidden_units=(8,), seed=0)
    >>> tuple(generator.output_shape)
    (None, 3, 5)
    """
    latent_dim = check_integer(latent_dim, "latent_dim")
    sequence_length = check_integer(sequence_length, "sequence_length")
    num_classes = check_integer(num_classes, "num_classes", minimum=2)
    latents = keras.Input((latent_dim,), name="latents")
    x = latents
    hidden_units = check_positive_integers(hidden_units, "hidden_units")
    for index, units in enumerate(hidden_units):
        x = keras.layers.Dense(
            units,
            activation="relu",
            kernel_initializer=keras.initializers.HeNormal(seed),
            name=f"hidden{index}",
        )(x)
    x = keras.layers.Dense(
        sequence_length * num_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed),
        name="flat_logits",
    )(x)
    logits = keras.layers.Reshape((sequence_length, num_classes), name="logits")(
        x
    )  # [batch, sequence_length, num_classes]
    samples = GumbelSoftmax(
        temperature=temperature, hard=hard, seed=seed, name="gumbel_softmax"
    )(logits)
    return keras.Model(latents, samples, name="generator")


def categorical_discriminator(
    sequence_length, num_classes, hidden_units=(128,), seed=None
):
    """An MLP discriminator of (relaxed) one-hot sequences.

    `[length, K] -> flatten -> LeakyReLU(0.2) MLP -> logit`.

    Args:
        sequence_length: Positions per sequence.
        num_classes: Classes K >= 2 per position.
        hidden_units: Units of each hidden layer.
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` named "discriminator":
        `[batch, sequence_length, num_classes] -> [batch, 1]` raw logits.

    Example:

    >>> discriminator = categorical_discriminator(3, 5, hidden_units=(8,), seed=0)
    >>> tuple(discriminator.output_shape)
    (None, 1)
    """
    sequence_length = check_integer(sequence_length, "sequence_length")
    num_classes = check_integer(num_classes, "num_classes", minimum=2)
    sequences = keras.Input((sequence_length, num_classes), name="sequences")
    x = keras.layers.Flatten()(sequences)  # [batch, sequence_length * num_classes]
    hidden_units = check_positive_integers(hidden_units, "hidden_units")
    for index, units in enumerate(hidden_units):
        x = keras.layers.Dense(
            units,
            kernel_initializer=keras.initializers.GlorotUniform(seed),
            name=f"hidden{index}",
        )(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    logits = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.GlorotUniform(seed), name="logits"
    )(x)
    return keras.Model(sequences, logits, name="discriminator")
