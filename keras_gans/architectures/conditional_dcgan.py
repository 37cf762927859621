"""Class-conditional DCGAN networks (catalogue T18): cGAN and AC-GAN.

The DCGAN generator and discriminator (`keras_gans.architectures.dcgan`, A1) with a
class label y in [0, num_classes) as a second input, the two ways of the papers:

- **Concatenation** (conditional GAN, Mirza & Osindero 2014): G's input is
  `concat(z, c(y))`, `c(y)` the one-hot label or a learned embedding of it; D's
  input is the image with the one-hot label broadcast over every pixel as
  num_classes extra channels, `concat(x, onehot(y) ⊗ 1_{h×w})`, so that D judges
  whether x is a real image *of class y*.
- **Auxiliary classifier** (AC-GAN, Odena et al. 2017): G is conditioned as above,
  but D sees the image alone and has two heads on the same features, the
  real/fake logit and `num_classes` class logits; the class cross-entropy joins
  both players' losses (`keras_gans.models.ConditionalGAN(...,
  auxiliary_classifier=True)`).

The DCGAN body is built by `dcgan_generator` / `dcgan_discriminator` and used as a
nested model, so every DCGAN option means the same here (synchronized batch norm by
default, D normalization "batch", "layer", "spectral" or "none").

References:
    Mirza & Osindero 2014, https://arxiv.org/abs/1411.1784;
    Odena, Olah & Shlens 2017, https://arxiv.org/abs/1610.09585;
    Radford, Metz & Chintala 2015, https://arxiv.org/abs/1511.06434
"""

import keras

from keras_gans._checks import check_bool, check_positive_integer
from keras_gans.architectures.dcgan import dcgan_discriminator, dcgan_generator
from keras_gans.layers import SpectralNormalization

__all__ = ["conditional_dcgan_discriminator", "conditional_dcgan_generator"]


def _weights_init(seed):
    # DCGAN's N(0, 0.02) initialisation, for the layers added around the body.
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02, seed=seed)


def _one_hot(labels, num_classes, name):
    """`[batch]` int labels -> `[batch, num_classes]` one-hot floats."""
    return keras.layers.CategoryEncoding(num_classes, output_mode="one_hot", name=name)(
        labels
    )


def conditional_dcgan_generator(
    image_size=32,
    channels=1,
    num_classes=10,
    latent_dim=100,
    width=64,
    label_embedding_dim=None,
    synchronized_batch_norm=True,
    seed=None,
):
    """The conditional DCGAN generator: `G([z, y]) = DCGAN_G(concat(z, c(y)))`.

    `c(y)` is the one-hot label (Mirza & Osindero 2014) or, with
    `label_embedding_dim`, a learned embedding of it.

    Args:
        image_size: Output height and width, one of 8, 16, 28, 32, 64.
        channels: Output channels (1 grayscale, 3 RGB).
        num_classes: The number of classes K.
        latent_dim: Size of z.
        width: As `dcgan_generator`'s: filters of the last hidden layer.
        label_embedding_dim: None for the one-hot label (K numbers), or the size
            of a learned label embedding.
        synchronized_batch_norm: Synchronize batch statistics across replicas.
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` named "generator": `[latents [batch,
        latent_dim], int32 labels [batch]]` -> `[batch, image_size, image_size,
        channels]` in [-1, 1].

    Example:

    >>> generator = conditional_dcgan_generator(8, 1, num_classes=3, latent_dim=4,
    ...                                         width=4, seed=0)
    >>> generator.output_shape
    (None, 8, 8, 1)
    """
    check_positive_integer(num_classes, "num_classes")
    check_positive_integer(latent_dim, "latent_dim")
    check_positive_integer(label_embedding_dim, "label_embedding_dim", allow_none=True)
    latents = keras.Input((latent_dim,), name="latents")
    labels = keras.Input((), dtype="int32", name="labels")
    if label_embedding_dim is None:
        condition = _one_hot(labels, num_classes, "one_hot_labels")  # [batch, K]
    else:
        condition = keras.layers.Embedding(
            num_classes,
            label_embedding_dim,
            embeddings_initializer=_weights_init(seed),
            name="label_embedding",
        )(labels)  # [batch, label_embedding_dim]
    body = dcgan_generator(
        image_size,
        channels,
        latent_dim=latent_dim + condition.shape[-1],
        width=width,
        synchronized_batch_norm=synchronized_batch_norm,
        seed=seed,
    )
    body.name = "dcgan_generator"
    # [batch, latent_dim + condition_dim]
    conditioned = keras.layers.Concatenate(name="latents_and_labels")(
        [latents, condition]
    )
    return keras.Model([latents, labels], body(conditioned), name="generator")


def conditional_dcgan_discriminator(
    image_size=32,
    channels=1,
    num_classes=10,
    width=64,
    auxiliary_classifier=False,
    normalization="batch",
    synchronized_batch_norm=True,
    seed=None,
):
    """The conditional DCGAN discriminator: label channels (cGAN) or a class head
    (AC-GAN).

    Without `auxiliary_classifier`: `D([x, y]) = DCGAN_D(concat(x, onehot(y) ⊗
    1_{h×w}))`, the one-hot label as K constant input channels. With it:
    `D(x) = [logit, class_logits]`, two Dense heads on DCGAN_D's flattened
    features (Odena et al. 2017).

    Args:
        image_size: Input height and width, one of 8, 16, 28, 32, 64.
        channels: Image channels.
        num_classes: The number of classes K.
        width: As `dcgan_discriminator`'s: filters of the first convolution.
        auxiliary_classifier: Build AC-GAN's D (images only, two outputs).
        normalization: "batch", "layer", "spectral" (the heads too) or "none".
        synchronized_batch_norm: Synchronize batch statistics across replicas.
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` named "discriminator". cGAN: `[images, int32
        labels [batch]]` -> logits `[batch, 1]`. AC-GAN: images -> `[logits
        [batch, 1], class_logits [batch, num_classes]]`. Higher logits = more
        real.

    Example:

    >>> discriminator = conditional_dcgan_discriminator(8, 1, num_classes=3,
    ...                                                 width=4, seed=0)
    >>> discriminator.output_shape
    (None, 1)
    >>> acgan = conditional_dcgan_discriminator(8, 1, num_classes=3, width=4,
    ...                                         auxiliary_classifier=True, seed=0)
    >>> acgan.output_shape
    [(None, 1), (None, 3)]
    """
    check_positive_integer(num_classes, "num_classes")
    auxiliary_classifier = check_bool(auxiliary_classifier, "auxiliary_classifier")
    images = keras.Input((image_size, image_size, channels), name="images")
    if auxiliary_classifier:
        body = dcgan_discriminator(
            image_size,
            channels,
            width=width,
            synchronized_batch_norm=synchronized_batch_norm,
            normalization=normalization,
            seed=seed,
        )
        # DCGAN_D up to its last (logit) layer: the features [batch, features].
        features_model = keras.Model(
            body.inputs, body.layers[-1].input, name="dcgan_features"
        )
        features = features_model(images)

        def head(units, name):
            layer = keras.layers.Dense(
                units, kernel_initializer=_weights_init(seed), name=name
            )
            if normalization == "spectral":
                layer = SpectralNormalization(layer, seed=seed, name=f"{name}_sn")
            return layer(features)

        outputs = [head(1, "logits"), head(num_classes, "class_logits")]
        return keras.Model(images, outputs, name="discriminator")
    body = dcgan_discriminator(
        image_size,
        channels + num_classes,
        width=width,
        synchronized_batch_norm=synchronized_batch_norm,
        normalization=normalization,
        seed=seed,
    )
    body.name = "dcgan_discriminator"
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = _one_hot(labels, num_classes, "one_hot_labels")  # [batch, K]
    one_hot = keras.layers.Reshape((1, 1, num_classes), name="label_pixel")(
        one_hot
    )  # [batch, 1, 1, K]
    # Nearest upsampling of a 1x1 map repeats it: [batch, size, size, K].
    label_maps = keras.layers.UpSampling2D(
        (image_size, image_size), name="label_channels"
    )(one_hot)
    # [batch, size, size, channels + K]
    conditioned = keras.layers.Concatenate(name="images_and_labels")(
        [images, label_maps]
    )
    return keras.Model([images, labels], body(conditioned), name="discriminator")
