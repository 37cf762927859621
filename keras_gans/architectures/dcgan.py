"""DCGAN generator and discriminator (catalogue A1) for 8, 16, 28, 32 and 64 pixels.

The architecture guidelines of Radford et al. 2015 (section 3):
- strided convolutions instead of pooling (transposed in G, strided in D);
- batch normalization in both networks, except at G's output and D's input;
- no hidden fully connected layers (G starts from a projection of z, D ends in one
  logit);
- ReLU in G with a tanh output, LeakyReLU(0.2) in D;
- weights initialised from N(0, 0.02); trained with Adam(2e-4, beta_1=0.5).

Kernel size 4 with stride 2 (divisible, so no checkerboard from uneven overlap).
Batch normalization is synchronized across replicas by default, so a step under
`tf.distribute` computes the same statistics as one device with the global batch.

Options for the recipes that change these networks:
- D normalization: "layer" for WGAN-GP (its penalty is per example, so the critic
  must not normalise across the batch; Gulrajani et al. 2017 suggest layer norm),
  "spectral" for SNGAN (spectral normalization on every convolution and the logit
  layer, no batch norm; Miyato et al. 2018), "none".
- minibatch discrimination before D's logit (Salimans et al. 2016, layer Y1);
- virtual batch normalization in G (Salimans et al. 2016, layer Y3): the generator is
  wrapped in `VirtualBatchNormGenerator` with a fixed batch of reference latents;
- dropout in G kept on at inference (T10, as pix2pix uses it for noise);
- no normalization in G and a constant number of filters (`normalization="none",
  constant_width=True`): the generator WGAN and WGAN-GP train to show robustness
  to the architecture (Arjovsky et al. 2017, Figure 6; Gulrajani et al. 2017,
  Figure 2).

Reference: Radford, Metz & Chintala 2015, https://arxiv.org/abs/1511.06434
"""

import keras

from keras_gans._checks import (
    check_bool,
    check_choice,
    check_integer,
    check_positive_integer,
    check_rate,
)
from keras_gans.layers import (
    MinibatchDiscrimination,
    NoiseInjection,
    PersistentDropout,
    SpectralNormalization,
    VirtualBatchNormalization,
    VirtualBatchNormGenerator,
)

__all__ = [
    "DISCRIMINATOR_NORMALIZATIONS",
    "GENERATOR_NORMALIZATIONS",
    "SUPPORTED_IMAGE_SIZES",
    "dcgan_discriminator",
    "dcgan_generator",
]

# Spatial size of the first (G) / last (D) feature map for each supported image size;
# the network doubles (G) or halves (D) it with each strided layer.
_BASE_SIZE = {8: 4, 16: 4, 28: 7, 32: 4, 64: 4}
SUPPORTED_IMAGE_SIZES = tuple(_BASE_SIZE)
_KERNEL_SIZE = 4
_LEAKY_SLOPE = 0.2
GENERATOR_NORMALIZATIONS = ("batch", "virtual_batch", "none")
DISCRIMINATOR_NORMALIZATIONS = ("batch", "layer", "spectral", "none")
# Salimans et al.'s minibatch features: 100 kernels of dimension 5 (their code).
MINIBATCH_KERNEL_DIM = 5


def _check(image_size, channels, width):
    check_choice(image_size, "image_size", SUPPORTED_IMAGE_SIZES)
    check_positive_integer(channels, "channels")
    check_positive_integer(width, "width")
    num_strided = 0
    size = _BASE_SIZE[image_size]
    while size < image_size:
        size *= 2
        num_strided += 1
    return num_strided


def _weights_init(seed):
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02, seed=seed)


def _batch_norm(synchronized, name):
    # momentum 0.9 is PyTorch's 0.1 (the DCGAN reference's); epsilon as there.
    return keras.layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, synchronized=synchronized, name=name
    )


def dcgan_generator(
    image_size=32,
    channels=1,
    latent_dim=100,
    width=64,
    synchronized_batch_norm=True,
    normalization="batch",
    reference_size=64,
    dropout_rate=0.0,
    noise_injection=False,
    constant_width=False,
    seed=None,
):
    """The DCGAN generator: z -> image in [-1, 1].

    `normalization="none", constant_width=True` is the "no normalization in G,
    constant number of filters" generator that WGAN (Arjovsky et al. 2017,
    Figure 6) and WGAN-GP (Gulrajani et al. 2017, Figure 2) train against the
    standard GAN: ReLU after the projection of z and after each transposed
    convolution, every hidden layer with `width` filters, biases in place of the
    batch-norm shift.

    Args:
        image_size: Output height and width, one of 8, 16, 28, 32, 64.
        channels: Output channels (1 grayscale, 3 RGB).
        latent_dim: Size of z.
        width: Filters of the last hidden layer; each layer closer to z has twice as
            many, capped at 8 * width (DCGAN's 64 px generator is width=128).
        synchronized_batch_norm: Synchronize batch statistics across replicas.
        normalization: "batch", "virtual_batch" (VBN with a fixed reference batch
            of `reference_size` latents; Salimans et al. 2016) or "none" (no
            normalization; each layer then has a bias).
        reference_size: The VBN reference batch size.
        dropout_rate: Dropout after each hidden block, active in training AND
            inference (T10, `PersistentDropout`; 0 disables).
        noise_injection: Learned-strength Gaussian noise after each hidden block,
            in training and inference (T10, `NoiseInjection`, StyleGAN).
        constant_width: Every hidden layer has `width` filters, the projection
            of z included, instead of doubling towards z.
        seed: Seed of the weight initialisers (and of the VBN reference latents).

    Returns:
        A Functional `keras.Model` named "generator": `[batch, latent_dim]` ->
        `[batch, image_size, image_size, channels]`; with "virtual_batch", a
        `VirtualBatchNormGenerator` wrapping it.
    """
    num_strided = _check(image_size, channels, width)
    check_choice(normalization, "normalization", GENERATOR_NORMALIZATIONS)
    check_rate(dropout_rate, "dropout_rate")
    check_bool(constant_width, "constant_width")
    virtual = normalization == "virtual_batch"
    normalized = normalization != "none"

    def normalize(x, name):
        if not normalized:
            return x
        if virtual:
            return VirtualBatchNormalization(reference_size, epsilon=1e-5, name=name)(x)
        return _batch_norm(synchronized_batch_norm, name)(x)

    def drop(x):
        if noise_injection:
            x = NoiseInjection(seed=seed)(x)
        if dropout_rate:
            x = PersistentDropout(dropout_rate, seed=seed)(x)
        return x

    base = _BASE_SIZE[image_size]
    if constant_width:
        filters = [width] * num_strided
    else:
        filters = [min(width * 2**k, 8 * width) for k in reversed(range(num_strided))]
    latents = keras.Input((latent_dim,), name="latents")
    x = keras.layers.Dense(
        base * base * filters[0],
        use_bias=not normalized,
        kernel_initializer=_weights_init(seed),
    )(latents)
    x = keras.layers.Reshape((base, base, filters[0]))(
        x
    )  # [batch, base, base, filters]
    x = drop(keras.layers.ReLU()(normalize(x, "project_bn")))
    for index, layer_filters in enumerate(filters[1:], start=1):
        x = keras.layers.Conv2DTranspose(
            layer_filters,
            _KERNEL_SIZE,
            strides=2,
            padding="same",
            use_bias=not normalized,
            kernel_initializer=_weights_init(seed),
        )(x)
        x = drop(keras.layers.ReLU()(normalize(x, f"up{index}_bn")))
    images = keras.layers.Conv2DTranspose(
        channels,
        _KERNEL_SIZE,
        strides=2,
        padding="same",
        activation="tanh",
        kernel_initializer=_weights_init(seed),
        name="images",
    )(x)
    generator = keras.Model(latents, images, name="generator")
    if virtual:
        wrapped = VirtualBatchNormGenerator(
            generator, reference_latents=reference_size, seed=seed, name="vbn_generator"
        )
        wrapped.build((None, latent_dim))
        return wrapped
    return generator


def dcgan_discriminator(
    image_size=32,
    channels=1,
    width=64,
    synchronized_batch_norm=True,
    normalization="batch",
    minibatch_kernels=0,
    seed=None,
):
    """The DCGAN discriminator: image -> one raw logit (higher = more real).

    Args:
        image_size: Input height and width, one of 8, 16, 28, 32, 64.
        channels: Input channels.
        width: Filters of the first convolution; each later one has twice as many,
            capped at 8 * width.
        synchronized_batch_norm: Synchronize batch statistics across replicas.
        normalization: "batch" (DCGAN), "layer" (WGAN-GP), "spectral" (SNGAN) or
            "none".
        minibatch_kernels: Number of minibatch-discrimination kernels B before the
            logit (kernel dimension 5, as Salimans et al.); 0 disables.
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` named "discriminator": `[batch, image_size,
        image_size, channels]` -> `[batch, 1]` logits.
    """
    num_strided = _check(image_size, channels, width)
    check_choice(normalization, "normalization", DISCRIMINATOR_NORMALIZATIONS)
    check_integer(minibatch_kernels, "minibatch_kernels", minimum=0)
    spectral = normalization == "spectral"

    def weighted(layer):
        return SpectralNormalization(layer, seed=seed) if spectral else layer

    images = keras.Input((image_size, image_size, channels), name="images")
    x = images
    for index in range(num_strided):
        x = weighted(
            keras.layers.Conv2D(
                min(width * 2**index, 8 * width),
                _KERNEL_SIZE,
                strides=2,
                padding="same",
                use_bias=index == 0 or normalization in ("spectral", "none"),
                kernel_initializer=_weights_init(seed),
            )
        )(x)
        if index > 0:  # No normalization at D's input layer.
            if normalization == "batch":
                x = _batch_norm(synchronized_batch_norm, f"down{index}_bn")(x)
            elif normalization == "layer":
                x = keras.layers.LayerNormalization(
                    axis=(1, 2, 3), epsilon=1e-5, name=f"down{index}_ln"
                )(x)
        x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(x)
    x = keras.layers.Flatten()(x)  # [batch, base * base * filters]
    if minibatch_kernels:
        x = MinibatchDiscrimination(
            minibatch_kernels, MINIBATCH_KERNEL_DIM, name="minibatch_features"
        )(x)
    logits = weighted(
        keras.layers.Dense(1, kernel_initializer=_weights_init(seed), name="logits")
    )(x)
    return keras.Model(images, logits, name="discriminator")
