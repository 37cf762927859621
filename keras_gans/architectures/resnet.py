"""SNGAN ResNet generator and discriminator (catalogue A2), optionally conditional.

The residual networks of Miyato et al. 2018 (appendix B, the CIFAR-10 ResNets),
which Miyato & Koyama 2018 made class-conditional:

- G: z -> Dense to a 4x4 map -> up blocks -> BN -> ReLU -> conv3x3 -> tanh. An up
  block is `BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3` plus an `upsample-conv1x1`
  shortcut (nearest-neighbour upsampling), so each block doubles the resolution.
- D: down blocks `ReLU-conv3x3-ReLU-conv3x3-avgpool2x2` plus a
  `conv1x1-avgpool2x2` shortcut, down to 8x8, then two blocks without resampling
  (identity shortcut), then ReLU, global SUM pooling (the features phi(x)) and one
  Dense unit psi. The first block is the "optimized" one: no ReLU before its first
  convolution (the input is the image) and a `avgpool-conv1x1` shortcut. Every
  convolution and dense kernel of D is spectrally normalised (`layers`' Y4).
- Class-conditional (`num_classes`): the batch normalizations of G's blocks become
  conditional (`layers.ConditionalBatchNormalization`, one scale and offset per
  class), and D becomes a projection discriminator (Miyato & Koyama 2018):

      logit(x, y) = psi(phi(x)) + <embed(y), phi(x)>,

  with embed a (spectrally normalised) class embedding of phi's dimension.

Every block of G has `width` filters and every block of D `width` filters (the CIFAR
models): the paper's full size is `resnet_generator(32, 3, width=256)` and
`resnet_discriminator(32, 3, width=128)`, z of dimension 128. The small default
widths let a few steps run on a CPU. D downsamples to 8x8 at every size, so 16x16
digits use one down block (16 -> 8) and G two up blocks (4 -> 8 -> 16).

Batch normalization (momentum 0.9, epsilon 1e-5: PyTorch's defaults) is not
synchronized across replicas, so that conditional and unconditional G behave alike
under `tf.distribute` (each replica normalises with its own batch) and the builders
also run on the JAX backend. Weights start from Glorot-uniform initialisers, each
layer with its own seed derived from `seed`.

Training recipe of the papers (set by the preset, not here): Adam(2e-4, beta_1=0,
beta_2=0.9) with 5 discriminator steps per generator step; the hinge loss for the
projection discriminator (Miyato et al. report the ResNet with both the
non-saturating and the hinge loss).

References:
    Miyato, Kataoka, Koyama & Yoshida 2018, https://arxiv.org/abs/1802.05957;
    Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637
"""

import itertools

import keras

from keras_gans._checks import check_positive_integer
from keras_gans.layers import (
    ConditionalBatchNormalization,
    SelfAttention2D,
    SpectralNormalization,
)

__all__ = ["resnet_generator", "resnet_discriminator", "SUPPORTED_IMAGE_SIZES"]

SUPPORTED_IMAGE_SIZES = (16, 32, 64)
# G starts from a _BASE_SIZE x _BASE_SIZE map and doubles it in every block.
_BASE_SIZE = 4
# D halves the resolution down to this size, then runs two blocks without resampling.
_DISCRIMINATOR_FINAL_SIZE = 8
_NUM_FINAL_DISCRIMINATOR_BLOCKS = 2
# Batch normalization as the reference code's (PyTorch momentum 0.1 is Keras 0.9).
_BATCH_NORM_MOMENTUM = 0.9
_BATCH_NORM_EPSILON = 1e-5


def _check_architecture_arguments(image_size, channels, width, num_classes, sizes):
    """Raises a ValueError naming the first invalid builder argument."""
    if image_size not in sizes:
        raise ValueError(
            f"`image_size` should be one of {sizes}. "
            f"Received: `image_size={image_size}`."
        )
    check_positive_integer(channels, "channels")
    check_positive_integer(width, "width")
    check_positive_integer(num_classes, "num_classes", allow_none=True)


def _check_attention_resolution(attention_resolution, resolutions):
    """Raises a ValueError unless `attention_resolution` is one of `resolutions`.

    `resolutions` are the sizes at which both networks have a block output.
    """
    if attention_resolution not in resolutions:
        raise ValueError(
            f"`attention_resolution` should be one of {tuple(resolutions)} for this "
            f"image size. Received: `attention_resolution={attention_resolution}`."
        )


def _check_attention_channels(filters, attention_resolution, width):
    """Raises a ValueError unless `filters`, the channels where self-attention goes,
    is a multiple of 8 (`SelfAttention2D` projects keys to C / 8, values to C / 2).
    """
    if filters % 8:
        raise ValueError(
            "Self-attention needs a multiple of 8 channels; increase `width`. "
            f"Received: `width={width}`, giving {filters} channels at "
            f"resolution {attention_resolution}."
        )


class _LayerFactory:
    """Makes the convolution, dense and embedding layers of one network.

    Each layer gets an initializer with its own seed (`seed`, `seed + 1`, ...; all
    unseeded when `seed` is None), so that layers of the same shape do not start
    identical, and is wrapped in `SpectralNormalization` when `spectral_norm`.

    Args:
        spectral_norm: Wrap every layer made in `layers.SpectralNormalization`.
        initializer_class: A `keras.initializers` class taking `seed`.
        seed: Integer or None.
    """

    def __init__(self, spectral_norm, initializer_class, seed):
        self.spectral_norm = spectral_norm
        self.initializer_class = initializer_class
        self.seeds = itertools.count(seed) if seed is not None else None

    def next_seed(self):
        return None if self.seeds is None else next(self.seeds)

    def _wrap(self, layer, name):
        if not self.spectral_norm:
            return layer
        return SpectralNormalization(layer, seed=self.next_seed(), name=name)

    def convolution(self, filters, kernel_size, name):
        layer = keras.layers.Conv2D(
            filters,
            kernel_size,
            padding="same",
            kernel_initializer=self.initializer_class(seed=self.next_seed()),
            name=f"{name}_kernel" if self.spectral_norm else name,
        )
        return self._wrap(layer, name)

    def dense(self, units, name):
        layer = keras.layers.Dense(
            units,
            kernel_initializer=self.initializer_class(seed=self.next_seed()),
            name=f"{name}_kernel" if self.spectral_norm else name,
        )
        return self._wrap(layer, name)

    def embedding(self, input_dim, output_dim, name):
        layer = keras.layers.Embedding(
            input_dim,
            output_dim,
            embeddings_initializer=self.initializer_class(seed=self.next_seed()),
            name=f"{name}_kernel" if self.spectral_norm else name,
        )
        return self._wrap(layer, name)


def _batch_normalization(x, name):
    """Unconditional batch normalization of G (no synchronization across replicas)."""
    return keras.layers.BatchNormalization(
        momentum=_BATCH_NORM_MOMENTUM, epsilon=_BATCH_NORM_EPSILON, name=name
    )(x)


def _conditional_normalization(condition, num_classes):
    """A normalization function `(x, name) -> tensor` conditioned on `condition`.

    With `num_classes`, `condition` holds integer labels (one learned scale and
    offset per class); with `num_classes=None`, a float vector (scale and offset
    linear in it).
    """

    def normalize(x, name):
        return ConditionalBatchNormalization(
            num_classes=num_classes,
            conditioning="labels" if num_classes is not None else "vector",
            momentum=_BATCH_NORM_MOMENTUM,
            epsilon=_BATCH_NORM_EPSILON,
            name=name,
        )([x, condition])

    return normalize


def _generator_block(x, filters, factory, normalize, name):
    """An up block: `norm-ReLU-up-conv3-norm-ReLU-conv3` + `up-conv1` shortcut.

    Args:
        x: The block's input `[batch, size, size, in_channels]`.
        filters: Output channels.
        factory: The network's `_LayerFactory`.
        normalize: A function `(x, name) -> normalized x`.
        name: Prefix of the block's layer names.

    Returns:
        `[batch, 2 * size, 2 * size, filters]`.
    """
    shortcut = keras.layers.UpSampling2D(2, name=f"{name}_shortcut_upsample")(x)
    shortcut = factory.convolution(filters, 1, f"{name}_shortcut_conv")(shortcut)
    x = normalize(x, f"{name}_norm1")
    x = keras.layers.ReLU(name=f"{name}_relu1")(x)
    x = keras.layers.UpSampling2D(2, name=f"{name}_upsample")(x)
    x = factory.convolution(filters, 3, f"{name}_conv1")(x)
    x = normalize(x, f"{name}_norm2")
    x = keras.layers.ReLU(name=f"{name}_relu2")(x)
    x = factory.convolution(filters, 3, f"{name}_conv2")(x)
    return keras.layers.Add(name=f"{name}_output")([x, shortcut])


def _generator_output(x, channels, factory):
    """G's output layers: BN-ReLU-conv3x3-tanh -> `[batch, size, size, channels]`."""
    x = _batch_normalization(x, "output_norm")
    x = keras.layers.ReLU(name="output_relu")(x)
    x = factory.convolution(channels, 3, "output_conv")(x)
    return keras.layers.Activation("tanh", name="images")(x)


def _discriminator_block(x, filters, factory, downsample, optimized, name):
    """A D block: `ReLU-conv3-ReLU-conv3[-avgpool]` + a shortcut.

    The shortcut is `conv1x1[-avgpool]` when the block downsamples or changes the
    number of channels, the identity otherwise. The optimized (first) block has no
    ReLU before its first convolution and an `avgpool-conv1x1` shortcut.

    Args:
        x: The block's input `[batch, size, size, in_channels]`.
        filters: Output channels.
        factory: The network's `_LayerFactory`.
        downsample: Halve the resolution (2x2 average pooling).
        optimized: The first block of D, applied to the image.
        name: Prefix of the block's layer names.

    Returns:
        `[batch, size / 2, size / 2, filters]` or `[batch, size, size, filters]`.
    """
    in_channels = x.shape[-1]
    residual = x
    if not optimized:
        residual = keras.layers.ReLU(name=f"{name}_relu1")(residual)
    residual = factory.convolution(filters, 3, f"{name}_conv1")(residual)
    residual = keras.layers.ReLU(name=f"{name}_relu2")(residual)
    residual = factory.convolution(filters, 3, f"{name}_conv2")(residual)
    if downsample:
        residual = keras.layers.AveragePooling2D(2, name=f"{name}_downsample")(residual)
    shortcut = x
    if optimized:
        shortcut = keras.layers.AveragePooling2D(2, name=f"{name}_shortcut_downsample")(
            shortcut
        )
        shortcut = factory.convolution(filters, 1, f"{name}_shortcut_conv")(shortcut)
    elif downsample or in_channels != filters:
        shortcut = factory.convolution(filters, 1, f"{name}_shortcut_conv")(shortcut)
        if downsample:
            shortcut = keras.layers.AveragePooling2D(
                2, name=f"{name}_shortcut_downsample"
            )(shortcut)
    return keras.layers.Add(name=f"{name}_output")([residual, shortcut])


def _discriminator_head(x, labels, num_classes, factory):
    """ReLU, global sum pooling phi(x), psi(phi(x)) [+ <embed(y), phi(x)>].

    Args:
        x: The last block's output `[batch, size, size, channels]`.
        labels: Integer labels `[batch]`, or None when `num_classes` is None.
        num_classes: The number of classes, or None (no projection term).
        factory: The network's `_LayerFactory`.

    Returns:
        Logits `[batch, 1]`. The layer "features" outputs phi(x); with classes,
        "unconditional_logits" outputs psi(phi(x)), "class_embedding" embed(y) and
        "projection" the inner product.
    """
    x = keras.layers.ReLU(name="head_relu")(x)
    height, width, channels = x.shape[1:]
    # Global sum pooling = global average pooling times the number of positions.
    x = keras.layers.GlobalAveragePooling2D(name="global_average_pooling")(x)
    features = keras.layers.Rescaling(float(height * width), name="features")(x)
    if num_classes is None:
        return factory.dense(1, "logits")(features)  # [batch, 1]
    unconditional_logits = factory.dense(1, "unconditional_logits")(features)
    class_embeddings = factory.embedding(num_classes, channels, "class_embedding")(
        labels
    )  # [batch, channels]
    projection = keras.layers.Dot(axes=1, name="projection")(
        [class_embeddings, features]
    )  # [batch, 1]
    return keras.layers.Add(name="logits")([unconditional_logits, projection])


def _generator_resolutions(image_size):
    """The output sizes of G's up blocks: 8, 16, ..., image_size."""
    return [_BASE_SIZE * 2**index for index in range(1, _num_up_blocks(image_size) + 1)]


def _discriminator_plan(image_size):
    """`(downsample, output size)` of every D block, first to last."""
    plan = []
    size = image_size
    while size > _DISCRIMINATOR_FINAL_SIZE:
        size //= 2
        plan.append((True, size))
    plan += [(False, size)] * _NUM_FINAL_DISCRIMINATOR_BLOCKS
    return plan


def _num_up_blocks(image_size):
    return (image_size // _BASE_SIZE).bit_length() - 1


def _build_resnet_generator(
    image_size,
    channels,
    latent_dim,
    width,
    num_classes,
    spectral_norm,
    attention_resolution,
    seed,
):
    """The SNGAN generator, with SN on every kernel and attention when asked (SAGAN).

    Arguments are those of `resnet_generator`, already checked, plus
    `spectral_norm` (bool) and `attention_resolution` (None or a block output size).
    """
    factory = _LayerFactory(spectral_norm, keras.initializers.GlorotUniform, seed)
    latents = keras.Input((latent_dim,), name="latents")
    x = factory.dense(_BASE_SIZE * _BASE_SIZE * width, "project")(latents)
    x = keras.layers.Reshape((_BASE_SIZE, _BASE_SIZE, width), name="project_reshape")(
        x
    )  # [batch, 4, 4, width]
    if num_classes is None:
        inputs = latents
        normalize = _batch_normalization
    else:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [latents, labels]
        normalize = _conditional_normalization(labels, num_classes)
    for index, resolution in enumerate(_generator_resolutions(image_size), start=1):
        x = _generator_block(x, width, factory, normalize, f"block{index}")
        if resolution == attention_resolution:
            x = SelfAttention2D(name="attention")(x)
    images = _generator_output(x, channels, factory)
    return keras.Model(inputs, images, name="generator")


def _build_discriminator(
    image_size,
    channels,
    block_plan,
    num_classes,
    attention_resolution,
    initializer_class,
    seed,
):
    """A ResNet (projection) discriminator with every kernel spectrally normalised.

    Args:
        image_size, channels, num_classes, seed: As in `resnet_discriminator`,
            already checked.
        block_plan: `(filters, downsample)` of every block, first to last.
        attention_resolution: None, or the size of the first block output
            followed by a `SelfAttention2D` block (SAGAN, BigGAN).
        initializer_class: The `keras.initializers` class of the kernels.

    Returns:
        The Functional discriminator.
    """
    factory = _LayerFactory(True, initializer_class, seed)
    images = keras.Input((image_size, image_size, channels), name="images")
    x = images
    attention_added = False
    for index, (filters, downsample) in enumerate(block_plan):
        x = _discriminator_block(
            x, filters, factory, downsample, index == 0, f"block{index + 1}"
        )
        if x.shape[1] == attention_resolution and not attention_added:
            x = SelfAttention2D(name="attention")(x)
            attention_added = True
    if num_classes is None:
        return keras.Model(
            images, _discriminator_head(x, None, None, factory), name="discriminator"
        )
    labels = keras.Input((), dtype="int32", name="labels")
    logits = _discriminator_head(x, labels, num_classes, factory)
    return keras.Model([images, labels], logits, name="discriminator")


def _build_resnet_discriminator(
    image_size, channels, width, num_classes, attention_resolution, seed
):
    """The SNGAN discriminator (`width` filters in every block), for SNGAN and SAGAN.

    Arguments are those of `resnet_discriminator`, already checked, plus
    `attention_resolution` (None or a block output size).
    """
    block_plan = [
        (width, downsample) for downsample, _ in _discriminator_plan(image_size)
    ]
    return _build_discriminator(
        image_size,
        channels,
        block_plan,
        num_classes,
        attention_resolution,
        keras.initializers.GlorotUniform,
        seed,
    )


def resnet_generator(
    image_size=32, channels=3, latent_dim=128, width=32, num_classes=None, seed=None
):
    """The SNGAN ResNet generator: z (and a class) -> image in [-1, 1].

    Dense(z) to a 4x4 map, one up block per doubling (`BN-ReLU-upsample-conv3x3-
    BN-ReLU-conv3x3` + `upsample-conv1x1`), then `BN-ReLU-conv3x3-tanh`. With
    `num_classes`, the blocks' batch normalizations are class-conditional:
    `gamma[y] * (x - mean) / sqrt(var + eps) + beta[y]`.

    Args:
        image_size: Output height and width, one of 16, 32, 64.
        channels: Output channels (1 grayscale, 3 RGB).
        latent_dim: Size of z (128 in the paper).
        width: Filters of the 4x4 map and of every block; the paper's CIFAR-10
            generator is `width=256`.
        num_classes: None (unconditional) or the number of classes (conditional BN).
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` named "generator": `[batch, latent_dim]` (and
        int32 labels `[batch]` when conditional, as `[latents, labels]`) ->
        `[batch, image_size, image_size, channels]`.

    Example:

    >>> generator = resnet_generator(16, 1, latent_dim=8, width=8, seed=0)
    >>> generator.output_shape
    (None, 16, 16, 1)
    """
    _check_architecture_arguments(
        image_size, channels, width, num_classes, SUPPORTED_IMAGE_SIZES
    )
    check_positive_integer(latent_dim, "latent_dim")
    return _build_resnet_generator(
        image_size,
        channels,
        latent_dim,
        width,
        num_classes,
        spectral_norm=False,
        attention_resolution=None,
        seed=seed,
    )


def resnet_discriminator(
    image_size=32, channels=3, width=32, num_classes=None, seed=None
):
    """The SNGAN ResNet discriminator: image (and a class) -> one raw logit.

    Down blocks to 8x8 (the first one optimized), two blocks without resampling,
    ReLU, global sum pooling phi(x), a Dense unit psi; spectral normalization on
    every convolution, dense and embedding kernel. With `num_classes`, the
    projection discriminator: `psi(phi(x)) + <embed(y), phi(x)>`.

    Args:
        image_size: Input height and width, one of 16, 32, 64.
        channels: Input channels.
        width: Filters of every block; the paper's CIFAR-10 discriminator is
            `width=128`.
        num_classes: None (unconditional) or the number of classes (projection).
        seed: Seed of the weight initialisers and of the power-iteration vectors.

    Returns:
        A Functional `keras.Model` named "discriminator": `[batch, image_size,
        image_size, channels]` (and int32 labels `[batch]` when conditional, as
        `[images, labels]`) -> `[batch, 1]` logits, higher = more real.

    Example:

    >>> discriminator = resnet_discriminator(16, 1, width=8, num_classes=10, seed=0)
    >>> discriminator.output_shape
    (None, 1)
    """
    _check_architecture_arguments(
        image_size, channels, width, num_classes, SUPPORTED_IMAGE_SIZES
    )
    return _build_resnet_discriminator(
        image_size, channels, width, num_classes, attention_resolution=None, seed=seed
    )
