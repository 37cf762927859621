"""SAGAN generator and discriminator (catalogue A3): ResNet + self-attention + SN.

Zhang, Goodfellow, Metaxas & Odena 2018 add to the (projection) ResNet GAN of
Miyato & Koyama two things, both kept here:

- a self-attention block (`layers.SelfAttention2D`, Y6) in G and in D, after the
  block whose output has `attention_resolution` pixels a side, so that every
  position can use every other (the paper compares 8, 16, 32 and 64 and finds the
  larger, later feature maps best);
- spectral normalization (`layers.SpectralNormalization`, Y4) on every convolution
  and dense kernel of the generator as well as the discriminator, which the paper
  found to make G's training stable with fewer D steps per G step.

The networks are otherwise those of `keras_gans.architectures.resnet` (SNGAN): up
blocks in G with (conditional) batch normalization, down blocks to 8x8 then two
blocks without resampling in D, global sum pooling, and, with `num_classes`,
class-conditional BN in G and the projection discriminator
`logit = psi(phi(x)) + <embed(y), phi(x)>` in D. The attention block's own four
1x1 kernels are not spectrally normalised (SAGAN normalises them; the layer keeps
plain weights).

Training recipe of the paper (wired by the preset, not here): the hinge loss
(`keras_gans.losses`, "hinge"), imbalanced learning rates (TTUR) with Adam(beta_1=0,
beta_2=0.9): learning rate 4e-4 for D and 1e-4 for G, one D step per G step.

Size: the paper trains 128x128 ImageNet models (ch=64 with channel multipliers,
attention at 64x64). Here every block has `width` filters (SNGAN's CIFAR layout):
`width=256` in G and 128 in D is the full CIFAR-sized network; the small defaults
run a few steps on a CPU.

Reference: Zhang et al. 2018, https://arxiv.org/abs/1805.08318
"""

from keras_gans._checks import check_positive_integer
from keras_gans.architectures.resnet import (
    SUPPORTED_IMAGE_SIZES,
    _build_resnet_discriminator,
    _build_resnet_generator,
    _check_architecture_arguments,
    _check_attention_channels,
    _check_attention_resolution,
    _discriminator_plan,
    _generator_resolutions,
)

__all__ = ["sagan_generator", "sagan_discriminator", "attention_resolutions"]


def attention_resolutions(image_size):
    """The feature-map sizes at which both SAGAN networks can take self-attention.

    A size at which G has an up-block output and D a down-block output.

    Args:
        image_size: One of 16, 32, 64.

    Returns:
        A sorted tuple of sizes.

    Example:

    >>> attention_resolutions(32)
    (8, 16)
    """
    _check_architecture_arguments(image_size, 1, 1, None, SUPPORTED_IMAGE_SIZES)
    generator_sizes = set(_generator_resolutions(image_size))
    discriminator_sizes = {size for _, size in _discriminator_plan(image_size)}
    return tuple(sorted(generator_sizes & discriminator_sizes))


def _resolve_attention_resolution(image_size, attention_resolution, width):
    if attention_resolution is None:
        attention_resolution = image_size // 2
    _check_attention_resolution(attention_resolution, attention_resolutions(image_size))
    _check_attention_channels(width, attention_resolution, width)
    return attention_resolution


def sagan_generator(
    image_size=32,
    channels=3,
    latent_dim=128,
    width=32,
    num_classes=None,
    attention_resolution=None,
    seed=None,
):
    """The SAGAN generator: z (and a class) -> image in [-1, 1].

    The SNGAN ResNet generator with spectral normalization on every kernel and a
    self-attention block `x + gamma * attention(x)` after the up block whose
    output is `attention_resolution` pixels a side.

    Args:
        image_size: Output height and width, one of 16, 32, 64.
        channels: Output channels (1 grayscale, 3 RGB).
        latent_dim: Size of z (128 in the paper).
        width: Filters of every block, a multiple of 8 (self-attention projects to
            width / 8 channels); `width=256` is SNGAN's CIFAR-sized generator.
        num_classes: None (unconditional) or the number of classes (conditional BN).
        attention_resolution: Feature-map size of the attention block, one of
            `attention_resolutions(image_size)`; defaults to `image_size // 2`
            (8 for 16x16 images).
        seed: Seed of the weight initialisers and power-iteration vectors.

    Returns:
        A Functional `keras.Model` named "generator": `[batch, latent_dim]` (and
        int32 labels `[batch]` when conditional, as `[latents, labels]`) ->
        `[batch, image_size, image_size, channels]`.

    Example:

    >>> generator = sagan_generator(16, 1, latent_dim=8, width=8, seed=0)
    >>> generator.output_shape
    (None, 16, 16, 1)
    """
    _check_architecture_arguments(
        image_size, channels, width, num_classes, SUPPORTED_IMAGE_SIZES
    )
    check_positive_integer(latent_dim, "latent_dim")
    attention_resolution = _resolve_attention_resolution(
        image_size, attention_resolution, width
    )
    return _build_resnet_generator(
        image_size,
        channels,
        latent_dim,
        width,
        num_classes,
        spectral_norm=True,
        attention_resolution=attention_resolution,
        seed=seed,
    )


def sagan_discriminator(
    image_size=32,
    channels=3,
    width=32,
    num_classes=None,
    attention_resolution=None,
    seed=None,
):
    """The SAGAN discriminator: image (and a class) -> one raw logit.

    The SNGAN ResNet (projection) discriminator with a self-attention block after
    the first block whose output is `attention_resolution` pixels a side.

    Args:
        image_size: Input height and width, one of 16, 32, 64.
        channels: Input channels.
        width: Filters of every block, a multiple of 8; `width=128` is SNGAN's
            CIFAR-sized discriminator.
        num_classes: None (unconditional) or the number of classes (projection).
        attention_resolution: As in `sagan_generator`; defaults to
            `image_size // 2`.
        seed: Seed of the weight initialisers and power-iteration vectors.

    Returns:
        A Functional `keras.Model` named "discriminator": `[batch, image_size,
        image_size, channels]` (and int32 labels `[batch]` when conditional, as
        `[images, labels]`) -> `[batch, 1]` logits, higher = more real.

    Example:

    >>> discriminator = sagan_discriminator(16, 1, width=8, seed=0)
    >>> discriminator.output_shape
    (None, 1)
    """
    _check_architecture_arguments(
        image_size, channels, width, num_classes, SUPPORTED_IMAGE_SIZES
    )
    attention_resolution = _resolve_attention_resolution(
        image_size, attention_resolution, width
    )
    return _build_resnet_discriminator(
        image_size,
        channels,
        width,
        num_classes,
        attention_resolution=attention_resolution,
        seed=seed,
    )
