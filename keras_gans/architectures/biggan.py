"""BigGAN-lite generator and discriminator (catalogue A4).

The architecture of Brock, Donahue & Simonyan 2018 (section 3 and appendix B) at
16, 32 and 64 pixels, small by default:

- **Hierarchical latent.** z (`latent_dim`, 120 in the paper's 128x128 model) is
  split into `num_blocks + 1` equal chunks: the first feeds the initial Dense (to a
  4x4 map), and chunk k+1 conditions up block k only, so that each resolution gets
  its own part of the noise.
- **Shared class embedding.** One `keras.layers.Embedding` (`embedding_dim`, 128
  in the paper) maps the label to e(y), shared by every block: block k's condition
  is `c_k = concat(e(y), z_{k+1})`.
- **Conditional batch normalization** from that vector
  (`layers.ConditionalBatchNormalization(conditioning="vector")`, Y7): both
  normalizations of block k compute
  `(1 + c_k W_gamma) * (x - mean) / sqrt(var + eps) + c_k W_beta`, with their own
  W_gamma, W_beta (so a class has no table of its own scales: they are linear in
  its shared embedding). G's last normalization, before the output convolution, is
  unconditional.
- **ResNet blocks** as SNGAN's (`keras_gans.architectures.resnet`), with the
  channel multipliers of the BigGAN reference layouts, spectral normalization on
  every kernel of G and D, orthogonal initialisation, and one self-attention block
  (`layers.SelfAttention2D`, Y6) in each network at `attention_resolution`.
- **Projection discriminator**: `logit = psi(phi(x)) + <embed(y), phi(x)>` with
  global sum pooling phi.

With `num_classes=None` the same networks are unconditional: block k's condition is
the chunk z_{k+1} alone and D has no projection term.

Not here: orthogonal regularisation of G's kernels (P7) is a penalty, and the
truncation trick (T17) is a way of sampling z; both act on these models from the
outside. The paper's training recipe (set by the preset): hinge loss,
Adam(beta_1=0, beta_2=0.999) with learning rates 1e-4 for G and 4e-4 for D, 2 D
steps per G step, an exponential moving average of G's weights.

Size: `width` is the paper's channel width "ch"; block k has `width * multiplier_k`
filters. The paper's ImageNet models use ch = 96, the reference code's default is
64; `width=16` (the default) runs a few steps on a CPU.

Reference: Brock, Donahue & Simonyan 2018, https://arxiv.org/abs/1809.11096
"""

import keras
from keras import ops

from keras_gans._checks import check_positive_integer
from keras_gans.architectures.resnet import (
    _BASE_SIZE,
    _build_discriminator,
    _check_architecture_arguments,
    _check_attention_channels,
    _check_attention_resolution,
    _conditional_normalization,
    _generator_block,
    _generator_output,
    _LayerFactory,
)
from keras_gans.layers import SelfAttention2D

__all__ = [
    "SplitLatents",
    "biggan_generator",
    "biggan_discriminator",
    "SUPPORTED_IMAGE_SIZES",
]

# Channel multipliers of the BigGAN reference layouts: G's initial 4x4 map and the
# output of each up block (one per doubling); D's blocks as (multiplier,
# downsample). The 32 and 64 px layouts are the reference code's; 16 px drops the
# last up block and the second down block of the 32 px layout.
_GENERATOR_LAYOUTS = {
    16: (4, (4, 4)),
    32: (4, (4, 4, 4)),
    64: (16, (16, 8, 4, 2)),
}
_DISCRIMINATOR_LAYOUTS = {
    16: ((4, True), (4, False), (4, False)),
    32: ((4, True), (4, True), (4, False), (4, False)),
    64: ((1, True), (2, True), (4, True), (8, True), (16, False)),
}
SUPPORTED_IMAGE_SIZES = tuple(_GENERATOR_LAYOUTS)


@keras.saving.register_keras_serializable(package="keras_gans")
class SplitLatents(keras.layers.Layer):
    """Splits latents into equal chunks along their last axis (hierarchical z).

    BigGAN feeds a different part of z to each resolution of the generator: the
    first chunk to the initial dense layer, each other chunk to one block's
    conditional batch normalizations. For z of size d and n chunks, chunk k holds
    `z[:, k * d / n : (k + 1) * d / n]`.

    Args:
        num_chunks: Positive integer that divides the latent size.
        **kwargs: Base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: Latents `[batch, latent_dim]`.

    Returns:
        A list of `num_chunks` tensors `[batch, latent_dim // num_chunks]`.

    Example:

    >>> import numpy as np
    >>> chunks = SplitLatents(3)(np.arange(12, dtype="float32").reshape(2, 6))
    >>> [tuple(chunk.shape) for chunk in chunks]
    [(2, 2), (2, 2), (2, 2)]
    >>> np.asarray(chunks[1]).tolist()
    [[2.0, 3.0], [8.0, 9.0]]

    Reference:
        Brock, Donahue & Simonyan 2018, https://arxiv.org/abs/1809.11096
    """

    def __init__(self, num_chunks, **kwargs):
        super().__init__(**kwargs)
        self.num_chunks = check_positive_integer(num_chunks, "num_chunks")

    def build(self, input_shape):
        latent_dim = input_shape[-1]
        if len(input_shape) != 2 or latent_dim is None or latent_dim % self.num_chunks:
            raise ValueError(
                f"`SplitLatents` expects latents [batch, latent_dim] with latent_dim "
                f"divisible by `num_chunks={self.num_chunks}`. "
                f"Received: input shape {tuple(input_shape)}."
            )

    def call(self, inputs):
        return ops.split(inputs, self.num_chunks, axis=-1)

    def compute_output_shape(self, input_shape):
        chunk_shape = (input_shape[0], input_shape[-1] // self.num_chunks)
        return [chunk_shape] * self.num_chunks

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "num_chunks": self.num_chunks}


def _check_biggan_arguments(image_size, channels, width, num_classes, embedding_dim):
    _check_architecture_arguments(
        image_size, channels, width, num_classes, SUPPORTED_IMAGE_SIZES
    )
    check_positive_integer(embedding_dim, "embedding_dim")


def _attention_channels(image_size, width):
    """Channels of G's and D's block outputs at every size both networks have."""
    initial, generator_multipliers = _GENERATOR_LAYOUTS[image_size]
    generator = {
        _BASE_SIZE * 2 ** (index + 1): multiplier * width
        for index, multiplier in enumerate(generator_multipliers)
    }
    discriminator = {}
    size = image_size
    for multiplier, downsample in _DISCRIMINATOR_LAYOUTS[image_size]:
        size = size // 2 if downsample else size
        discriminator.setdefault(size, multiplier * width)
    return {
        size: (generator[size], discriminator[size])
        for size in sorted(set(generator) & set(discriminator))
    }


def _resolve_attention_resolution(image_size, attention_resolution, width):
    if attention_resolution is None:
        attention_resolution = image_size // 2
    channels_by_size = _attention_channels(image_size, width)
    _check_attention_resolution(attention_resolution, tuple(channels_by_size))
    for filters in channels_by_size[attention_resolution]:
        _check_attention_channels(filters, attention_resolution, width)
    return attention_resolution


def biggan_generator(
    image_size=32,
    channels=3,
    latent_dim=120,
    width=16,
    num_classes=None,
    embedding_dim=128,
    attention_resolution=None,
    seed=None,
):
    """The BigGAN generator: z and a class -> image in [-1, 1].

    z is split into `num_blocks + 1` chunks (`SplitLatents`): chunk 0 goes through
    a spectrally normalised Dense to a 4x4 map; up block k (SNGAN's, with SN) is
    normalised by `ConditionalBatchNormalization(conditioning="vector")` on
    `c_k = concat(e(y), z_{k+1})`, e the shared class embedding; a self-attention
    block follows the block whose output is `attention_resolution` a side; then
    `BN-ReLU-conv3x3-tanh`.

    Args:
        image_size: Output height and width, one of 16, 32, 64 (2, 3 and 4 up
            blocks, so z is split into 3, 4 and 5 chunks).
        channels: Output channels (1 grayscale, 3 RGB).
        latent_dim: Size of z, divisible by the number of chunks; the default 120
            (the paper's 128x128 value) divides for every size.
        width: The paper's "ch": block filters are `width` times the layout's
            multipliers (4, 4, 4 at 32 px; 16, 8, 4, 2 at 64 px). A multiple of 8
            where attention is. The paper uses 96.
        num_classes: The number of classes, or None for an unconditional generator
            (each block conditioned on its latent chunk alone).
        embedding_dim: Size of the shared class embedding (128 in the paper).
        attention_resolution: Feature-map size of the attention block; defaults to
            `image_size // 2`.
        seed: Seed of the weight initialisers and power-iteration vectors.

    Returns:
        A Functional `keras.Model` named "generator": `[latents, labels]` (latents
        `[batch, latent_dim]`, int32 labels `[batch]`), or latents alone when
        unconditional, -> `[batch, image_size, image_size, channels]`.

    Example:

    >>> generator = biggan_generator(16, 1, latent_dim=12, width=2, num_classes=10,
    ...                              embedding_dim=4, seed=0)
    >>> generator.output_shape
    (None, 16, 16, 1)
    """
    _check_biggan_arguments(image_size, channels, width, num_classes, embedding_dim)
    check_positive_integer(latent_dim, "latent_dim")
    initial_multiplier, block_multipliers = _GENERATOR_LAYOUTS[image_size]
    num_chunks = len(block_multipliers) + 1
    if latent_dim % num_chunks:
        raise ValueError(
            f"`latent_dim` should be divisible by {num_chunks} (one chunk for the "
            f"initial layer and one per up block at image size {image_size}). "
            f"Received: `latent_dim={latent_dim}`."
        )
    attention_resolution = _resolve_attention_resolution(
        image_size, attention_resolution, width
    )
    factory = _LayerFactory(True, keras.initializers.Orthogonal, seed)
    latents = keras.Input((latent_dim,), name="latents")
    chunks = SplitLatents(num_chunks, name="latent_chunks")(latents)
    inputs = latents
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [latents, labels]
        shared_embedding = keras.layers.Embedding(
            num_classes,
            embedding_dim,
            embeddings_initializer=keras.initializers.Orthogonal(
                seed=factory.next_seed()
            ),
            name="shared_embedding",
        )(labels)  # [batch, embedding_dim]
    filters = initial_multiplier * width
    x = factory.dense(_BASE_SIZE * _BASE_SIZE * filters, "project")(chunks[0])
    x = keras.layers.Reshape((_BASE_SIZE, _BASE_SIZE, filters), name="project_reshape")(
        x
    )  # [batch, 4, 4, filters]
    for index, multiplier in enumerate(block_multipliers, start=1):
        condition = chunks[index]
        if num_classes is not None:
            # [batch, embedding_dim + latent_dim // num_chunks]
            condition = keras.layers.Concatenate(name=f"block{index}_condition")(
                [shared_embedding, condition]
            )
        x = _generator_block(
            x,
            multiplier * width,
            factory,
            _conditional_normalization(condition, None),
            f"block{index}",
        )
        if x.shape[1] == attention_resolution:
            x = SelfAttention2D(name="attention")(x)
    images = _generator_output(x, channels, factory)
    return keras.Model(inputs, images, name="generator")


def biggan_discriminator(
    image_size=32,
    channels=3,
    width=16,
    num_classes=None,
    attention_resolution=None,
    seed=None,
):
    """The BigGAN discriminator: image and a class -> one raw logit.

    ResNet down blocks (the first optimized) with the layout's multipliers,
    spectral normalization and orthogonal initialisation on every kernel, a
    self-attention block after the first block output of `attention_resolution`
    pixels, ReLU, global sum pooling phi(x), and the projection
    `psi(phi(x)) + <embed(y), phi(x)>`.

    Args:
        image_size: Input height and width, one of 16, 32, 64.
        channels: Input channels.
        width: The paper's "ch" (block filters `width` times 4, 4, 4, 4 at 32 px;
            1, 2, 4, 8, 16 at 64 px); the paper uses 96.
        num_classes: The number of classes, or None (no projection term).
        attention_resolution: As in `biggan_generator`; defaults to
            `image_size // 2`.
        seed: Seed of the weight initialisers and power-iteration vectors.

    Returns:
        A Functional `keras.Model` named "discriminator": `[images, labels]`
        (images `[batch, image_size, image_size, channels]`, int32 labels
        `[batch]`), or images alone when unconditional, -> `[batch, 1]` logits,
        higher = more real.

    Example:

    >>> discriminator = biggan_discriminator(16, 1, width=2, num_classes=10, seed=0)
    >>> discriminator.output_shape
    (None, 1)
    """
    _check_architecture_arguments(
        image_size, channels, width, num_classes, SUPPORTED_IMAGE_SIZES
    )
    attention_resolution = _resolve_attention_resolution(
        image_size, attention_resolution, width
    )
    block_plan = [
        (multiplier * width, downsample)
        for multiplier, downsample in _DISCRIMINATOR_LAYOUTS[image_size]
    ]
    return _build_discriminator(
        image_size,
        channels,
        block_plan,
        num_classes,
        attention_resolution,
        keras.initializers.Orthogonal,
        seed,
    )
