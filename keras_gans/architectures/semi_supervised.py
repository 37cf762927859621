"""The networks of the semi-supervised K+1 GAN (catalogue T6): a permutation-invariant
MLP classifier-discriminator with Gaussian noise on every layer, and an MLP generator.

Salimans et al. 2016 (section 5) train on permutation-invariant MNIST with:

- **D**: Gaussian noise (stddev 0.3) on the input, then dense ReLU layers of 1000,
  500, 250, 250 and 250 units, each followed by Gaussian noise (stddev 0.5), then a
  dense layer of K = 10 class logits. The fake class has no logit of its own (it is
  fixed at 0, see `keras_gans.models.SemiSupervisedGAN`). The generator's feature
  matching reads the last hidden layer (before its noise), named `FEATURE_LAYER`.
- **G**: z (100-d) -> dense 500 -> batch norm -> softplus -> dense 500 -> batch norm
  -> softplus -> dense to the image with a sigmoid output.

Here the same networks, with these differences: the images live in [-1, 1], so G
ends in tanh (sigmoid stays available for [0, 1] data) and the noise stddevs apply
to [-1, 1] inputs; the latents are N(0, I) (the GAN's draw) instead of U[0, 1];
the dense layers are plain `Dense` layers (their code uses weight normalization with
a data-dependent initialisation, which Keras 3 does not ship); and the default
sizes are smaller for the 8x8 digits (`DIGITS_DISCRIMINATOR_UNITS`). The paper's
sizes are `PAPER_DISCRIMINATOR_UNITS` and `PAPER_GENERATOR_UNITS`.

The noise layer, `ReplicaGaussianNoise`, draws its noise for the global batch and
keeps this replica's rows (`keras_gans.training.trainer`), so a step under
`tf.distribute` equals the single-device step (Keras's `GaussianNoise` draws the
same noise on every replica). That makes this module TensorFlow-specific.

Reference: Salimans et al. 2016, section 5 and their code's MNIST model,
https://arxiv.org/abs/1606.03498
"""

import math

import keras
from keras import ops

from keras_gans._checks import (
    check_choice,
    check_integer,
    check_non_negative_number,
    check_positive_integer,
    check_positive_integers,
)
from keras_gans.training import trainer

__all__ = [
    "DIGITS_DISCRIMINATOR_UNITS",
    "FEATURE_LAYER",
    "PAPER_DISCRIMINATOR_UNITS",
    "PAPER_GENERATOR_UNITS",
    "ReplicaGaussianNoise",
    "semi_supervised_discriminator",
    "semi_supervised_generator",
]

# Hidden layers of the paper's permutation-invariant MNIST discriminator.
PAPER_DISCRIMINATOR_UNITS = (1000, 500, 250, 250, 250)
# The same depth and taper at a quarter of the width: enough for 64-pixel digits.
DIGITS_DISCRIMINATOR_UNITS = (250, 125, 62, 62, 62)
# Hidden layers of the paper's MNIST generator.
PAPER_GENERATOR_UNITS = (500, 500)
# Noise stddevs of the paper's discriminator: on its input, after each hidden layer.
INPUT_NOISE_STDDEV = 0.3
HIDDEN_NOISE_STDDEV = 0.5
# The name of D's last hidden layer, the features that G's feature matching reads.
FEATURE_LAYER = "features"
_OUTPUT_ACTIVATIONS = ("tanh", "sigmoid")


def _check_shape(shape, argument):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not shape or not all(isinstance(d, int) and d > 0 for d in shape):
        raise ValueError(
            f"`{argument}` should be a positive integer or a tuple of them. "
            f"Received: `{argument}={shape}`."
        )
    return shape


def _layer_seed(seed, index):
    """A distinct seed per layer, so two layers of one shape do not start equal."""
    return None if seed is None else seed + index


@keras.saving.register_keras_serializable(package="keras_gans")
class ReplicaGaussianNoise(keras.layers.Layer):
    """Additive zero-mean Gaussian noise in training, drawn for the global batch.

    The regulariser of the semi-supervised discriminator (Salimans et al. 2016): the
    same as `keras.layers.GaussianNoise` on one device, but under `tf.distribute`
    each replica keeps its own rows of one draw for the global batch, so the
    replicas' noise is independent and one step on N replicas equals one step on one
    device with the same global batch.

    Args:
        stddev: Standard deviation of the noise (>= 0; 0 disables it).
        seed: Seed of the layer's `keras.random.SeedGenerator`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`).

    Call arguments:
        inputs: A tensor whose first axis is the batch.
        training: Adds noise only when True.

    Returns:
        `inputs + stddev * N(0, 1)` in training, `inputs` otherwise.

    Example:

    >>> import numpy as np
    >>> layer = ReplicaGaussianNoise(0.5, seed=0)
    >>> x = np.zeros((4, 3), dtype="float32")
    >>> float(np.abs(layer(x)).max()), tuple(layer(x, training=True).shape)
    (0.0, (4, 3))

    Reference: Salimans et al. 2016, https://arxiv.org/abs/1606.03498
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = check_non_negative_number(stddev, "stddev")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = trainer.normal_for_replica(
            tuple(ops.shape(inputs)), self.seed_generator, stddev=self.stddev
        )
        return inputs + ops.cast(noise, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


def semi_supervised_discriminator(
    input_shape=(8, 8, 1),
    num_classes=10,
    hidden_units=DIGITS_DISCRIMINATOR_UNITS,
    input_noise_stddev=INPUT_NOISE_STDDEV,
    hidden_noise_stddev=HIDDEN_NOISE_STDDEV,
    seed=None,
):
    """The permutation-invariant classifier-discriminator: images -> K class logits.

    `noise(input) -> [dense ReLU -> noise] * len(hidden_units) -> dense K`. The
    K+1-th (fake) logit is implicit and 0; the last hidden layer is named
    `FEATURE_LAYER` for feature matching.

    Args:
        input_shape: One example's shape (flattened first: the model sees pixels as
            an unordered vector).
        num_classes: K, the number of real classes.
        hidden_units: Units of the dense ReLU layers; `PAPER_DISCRIMINATOR_UNITS`
            for the paper's MNIST size.
        input_noise_stddev: Stddev of the Gaussian noise on the input.
        hidden_noise_stddev: Stddev of the Gaussian noise after each hidden layer.
        seed: Seeds the weight initialisers and the noise (each layer its own).

    Returns:
        A Functional `keras.Model` named "discriminator": -> `[batch, num_classes]`
        logits.

    Example:

    >>> discriminator = semi_supervised_discriminator(
    ...     (8, 8, 1), num_classes=10, hidden_units=(16, 8), seed=0)
    >>> tuple(discriminator.output.shape), discriminator.get_layer("features").units
    ((None, 10), 8)
    """
    input_shape = _check_shape(input_shape, "input_shape")
    check_integer(num_classes, "num_classes", minimum=2)
    hidden_units = check_positive_integers(hidden_units, "hidden_units")
    input_noise_stddev = check_non_negative_number(
        input_noise_stddev, "input_noise_stddev"
    )
    hidden_noise_stddev = check_non_negative_number(
        hidden_noise_stddev, "hidden_noise_stddev"
    )
    images = keras.Input(input_shape, name="images")
    x = keras.layers.Flatten(name="pixels")(images)  # [batch, prod(input_shape)]
    x = ReplicaGaussianNoise(
        input_noise_stddev, seed=_layer_seed(seed, 0), name="input_noise"
    )(x)
    for index, units in enumerate(hidden_units, start=1):
        is_last = index == len(hidden_units)
        x = keras.layers.Dense(
            units,
            activation="relu",
            kernel_initializer=keras.initializers.HeNormal(_layer_seed(seed, index)),
            name=FEATURE_LAYER if is_last else f"hidden_{index}",
        )(x)
        x = ReplicaGaussianNoise(
            hidden_noise_stddev, seed=_layer_seed(seed, index), name=f"noise_{index}"
        )(x)
    logits = keras.layers.Dense(
        num_classes,
        kernel_initializer=keras.initializers.GlorotUniform(
            _layer_seed(seed, len(hidden_units) + 1)
        ),
        name="class_logits",
    )(x)
    return keras.Model(images, logits, name="discriminator")


def semi_supervised_generator(
    latent_dim=100,
    output_shape=(8, 8, 1),
    hidden_units=PAPER_GENERATOR_UNITS,
    output_activation="tanh",
    seed=None,
):
    """The paper's MLP generator: z -> `[dense -> batch norm -> softplus] * n` ->
    dense -> tanh (or sigmoid) -> an image.

    Batch normalization is synchronized across replicas and, as in the paper's
    code, has no scale (the dense layer before it has no bias).

    Args:
        latent_dim: Size of z.
        output_shape: One sample's shape, e.g. `(8, 8, 1)`.
        hidden_units: Units of the hidden layers (`PAPER_GENERATOR_UNITS`).
        output_activation: "tanh" for data in [-1, 1] (the project's convention) or
            "sigmoid" for data in [0, 1] (the paper's).
        seed: Seeds the weight initialisers.

    Returns:
        A Functional `keras.Model` named "generator": `[batch, latent_dim]` ->
        `[batch, *output_shape]`.

    Example:

    >>> generator = semi_supervised_generator(16, (8, 8, 1), hidden_units=(32,))
    >>> tuple(generator.output.shape)
    (None, 8, 8, 1)
    """
    check_positive_integer(latent_dim, "latent_dim")
    output_shape = _check_shape(output_shape, "output_shape")
    hidden_units = check_positive_integers(hidden_units, "hidden_units")
    check_choice(output_activation, "output_activation", _OUTPUT_ACTIVATIONS)
    latents = keras.Input((latent_dim,), name="latents")
    x = latents
    for index, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(
            units,
            use_bias=False,
            kernel_initializer=keras.initializers.HeNormal(_layer_seed(seed, index)),
            name=f"hidden_{index}",
        )(x)
        x = keras.layers.BatchNormalization(
            scale=False, synchronized=True, name=f"hidden_{index}_bn"
        )(x)
        x = keras.layers.Activation("softplus", name=f"hidden_{index}_softplus")(x)
    x = keras.layers.Dense(
        math.prod(output_shape),
        activation=output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(
            _layer_seed(seed, len(hidden_units) + 1)
        ),
        name="pixels",
    )(x)
    images = keras.layers.Reshape(output_shape, name="images")(
        x
    )  # [batch, *output_shape]
    return keras.Model(latents, images, name="generator")
