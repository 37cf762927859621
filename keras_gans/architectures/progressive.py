"""Progressive growing networks (catalogue A6): one generator and one discriminator
built at the final resolution, with a toRGB / fromRGB layer per resolution and the
fade-in of Karras et al. 2018 selected by a growth variable.

PGGAN trains at 4x4 first and doubles the resolution in stages. When a stage adds
a resolution, its layers fade in smoothly: with the fade weight α rising from 0
to 1,

    G: image = (1 - α) · upsample(toRGB_{r/2}(x_{r/2})) + α · toRGB_r(block_r(x_{r/2}))
    D: x_{r/2} = (1 - α) · fromRGB_{r/2}(avgpool(image)) + α · block_r(fromRGB_r(image))

(nearest-neighbour upsampling, 2x2 average-pool downsampling), and the real images
are faded the same way between the two resolutions.

**One graph for every stage.** Instead of rebuilding the networks at each stage,
both networks here are built once at the final resolution and compute every level;
a scalar *growth progress* `p` (state of the `GrowthProgress` layer, a
non-trainable variable) weighs level `k` (resolution `4 · 2^k`) by

    t_k = clip(p - k + 1, 0, 1),     p = stage - 1 + α  (p = 0 at stage 0),

so levels below the current stage have weight 1, the stage's own level has weight
α, and the levels above it weight 0 (`FadeIn` computes `(1 - t) · lower + t ·
grown`, exact at t = 0 and t = 1). The generator's output is always at the final
resolution: at stage s it is the 4·2^s image upsampled by nearest neighbour (each
pixel a block), and the discriminator takes final-resolution images, average-pools
them back (exactly, since the mean of a constant block is the constant) and reads
them at the current resolution. Changing `p` never changes a shape, so a compiled
`train_step` never retraces. **The cost**: every stage runs the full-resolution
networks, so the early stages cost as much as the last one (the paper's point that
early stages are cheap is lost; for 16x16 digits the whole network is small).
This is the "linear" structure of the authors' TensorFlow release; the alternative,
branching on the stage with `ops.cond`, skips the unused levels but traces every
branch.

Layers: equalized learning rate everywhere (`EqualizedConv2D`, `EqualizedDense`,
catalogue Y11), pixel normalization after every convolution of G and on the latent
(Y5), minibatch standard deviation before D's last block (Y2), LeakyReLU(0.2). The
toRGB layers are linear 1x1 convolutions (gain 1) and G has no tanh, as in the
paper: G's images are not bounded to [-1, 1] (the sample grids clip them).

Reference: Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs for
Improved Quality, Stability, and Variation", https://arxiv.org/abs/1710.10196
(section 2 and Figure 2: fade-in; section 3: minibatch stddev; section 4:
equalized learning rate and pixel norm; Table 2: the networks).
"""

import math

import keras
from keras import ops

from keras_gans import pyramid
from keras_gans._checks import check_positive_integer, check_rate
from keras_gans.layers import (
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    PixelNormalization,
)

__all__ = [
    "FadeIn",
    "GrowthProgress",
    "fade_real_images",
    "fade_weight",
    "growth_layer",
    "growth_progress",
    "num_growth_levels",
    "progressive_discriminator",
    "progressive_generator",
    "set_growth",
]

# The paper's LeakyReLU slope (section A.1).
LEAKY_SLOPE = 0.2
# The smallest resolution: stage 0 trains at 4x4.
BASE_SIZE = 4


def num_growth_levels(image_size):
    """The number of resolutions from 4x4 to `image_size`: `log2(image_size / 4) + 1`.

    Args:
        image_size: The final height and width, a power of 2 that is at least 4.

    Returns:
        The number of levels (= stages), e.g. 3 for 16 (4 -> 8 -> 16).

    Example:

    >>> num_growth_levels(16)
    3
    """
    check_positive_integer(image_size, "image_size")
    levels = round(math.log2(image_size / BASE_SIZE)) + 1 if image_size >= 4 else 0
    if image_size < BASE_SIZE or BASE_SIZE * 2 ** (levels - 1) != image_size:
        raise ValueError(
            "`image_size` should be 4 times a power of 2 (4, 8, 16, 32, ...). "
            f"Received: `image_size={image_size}`."
        )
    return levels


def growth_progress(stage, alpha):
    """The scalar growth progress `p = stage - 1 + α` (0 at stage 0).

    Args:
        stage: The current stage (0 trains at 4x4); an int or an integer tensor.
        alpha: The fade-in weight α in [0, 1] of the stage's new level (1 once the
            stage is stable; ignored at stage 0, which has nothing to fade in).

    Returns:
        A float32 scalar.

    Example:

    >>> float(growth_progress(2, 0.25)), float(growth_progress(0, 0.5))
    (1.25, 0.0)
    """
    stage = ops.cast(stage, "float32")
    alpha = ops.cast(alpha, "float32")
    return ops.where(stage > 0, stage - 1.0 + alpha, 0.0)


def fade_weight(progress, level):
    """Level `level`'s weight `t = clip(p - level + 1, 0, 1)` at growth progress `p`.

    1 for the levels already grown, α for the level fading in, 0 above it.

    Args:
        progress: The growth progress `p` (scalar or tensor).
        level: The level (0 is 4x4, k is `4 · 2^k`).

    Returns:
        The weight, float32.

    Example:

    >>> [round(float(fade_weight(1.25, level)), 2) for level in (1, 2, 3)]
    [1.0, 0.25, 0.0]
    """
    progress = ops.cast(progress, "float32")
    return ops.clip(progress - float(level) + 1.0, 0.0, 1.0)


def _nearest_upsample(images, times):
    """`images` upsampled 2x by nearest neighbour `times` times."""
    for _ in range(times):
        images = pyramid.upsample(images, "nearest")
    return images


def fade_real_images(images, progress, num_levels):
    """Real images as the discriminator sees them at growth progress `p`.

    At stage s with fade-in α: `(1 - α) · u(d(x_s)) + α · x_s`, with `x_s` the
    images average-pooled to `4 · 2^s` pixels, `d` a 2x2 average pool and `u` a
    nearest-neighbour upsampling, then upsampled by nearest neighbour back to the
    input size (the paper's interpolation of the real images between the two
    resolutions during a transition, Figure 2's caption).

    Args:
        images: `[batch, size, size, channels]` at the final resolution
            `size = 4 · 2^(num_levels - 1)`.
        progress: The growth progress `p` (`growth_progress`).
        num_levels: The number of resolutions (`num_growth_levels(size)`).

    Returns:
        Images of the input's shape, float.

    Example:

    >>> images = np.arange(64, dtype="float32").reshape(1, 8, 8, 1)
    >>> at_4x4 = fade_real_images(images, growth_progress(0, 1.0), num_levels=2)
    >>> np.asarray(at_4x4)[0, :2, :2, 0].tolist()  # the mean of pixels 0, 1, 8, 9
    [[4.5, 4.5], [4.5, 4.5]]
    >>> halfway = fade_real_images(images, growth_progress(1, 0.5), num_levels=2)
    >>> float(np.asarray(halfway)[0, 0, 0, 0])  # (4.5 + 0) / 2
    2.25
    """
    images = ops.convert_to_tensor(images)
    if not keras.backend.is_float_dtype(images.dtype):
        images = ops.cast(images, "float32")
    # Level k's images at the final size: average-pooled to 4 · 2^k pixels, then
    # upsampled back by repeating pixels.
    low_passes = [images]  # finest first
    for _ in range(num_levels - 1):
        low_passes.append(pyramid.downsample(low_passes[-1]))
    faded = _nearest_upsample(low_passes[-1], num_levels - 1)
    for level in range(1, num_levels):
        weight = ops.cast(fade_weight(progress, level), images.dtype)
        level_images = _nearest_upsample(
            low_passes[num_levels - 1 - level], num_levels - 1 - level
        )
        faded = (1.0 - weight) * faded + weight * level_images
    return faded


@keras.saving.register_keras_serializable(package="keras_gans")
class GrowthProgress(keras.layers.Layer):
    """Holds a progressive network's growth progress as a non-trainable variable.

    The progress `p = stage - 1 + α` (`growth_progress`) says which levels of a
    network built at the final resolution are active and how far the newest one
    has faded in. Being a weight of the network, it is saved with it: a saved
    generator keeps generating at the stage it was trained to. `ProgressiveGAN`
    writes it (in G and in D) from its schedule; `set_growth` sets it by hand.

    Call arguments:
        inputs: Any tensor whose first axis is the batch (the network's input).

    Returns:
        The progress repeated over the batch, `[batch, 1]`.

    Example:

    >>> layer = GrowthProgress()
    >>> layer.build(None)
    >>> _ = layer.progress.assign(1.5)
    >>> np.asarray(layer(np.zeros((2, 3)))).tolist()
    [[1.5], [1.5]]
    """

    def build(self, input_shape):
        # The same value on every replica: assigned by the first replica.
        self.progress = self.add_weight(
            shape=(),
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="progress",
        )

    def call(self, inputs):
        batch_size = ops.shape(inputs)[0]
        progress = ops.cast(self.progress, self.compute_dtype)
        return ops.broadcast_to(ops.reshape(progress, (1, 1)), (batch_size, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


@keras.saving.register_keras_serializable(package="keras_gans")
class FadeIn(keras.layers.Layer):
    """Blends a lower-resolution path with a grown one: `(1 - t) · lower + t · grown`.

    With `t = clip(p - level + 1, 0, 1)` at growth progress `p` (`fade_weight`):
    the fade-in of PGGAN's new layers (Figure 2), where `t` is the stage's α
    while level `level` fades in, 0 before, 1 after. Exactly `lower` at t = 0 and
    exactly `grown` at t = 1.

    Args:
        level: The level of the grown path (1 is 8x8, k is `4 · 2^k`).
        **kwargs: Base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[lower, grown, progress]`: two tensors of one shape `[batch, ...]`
            and the progress `[batch, 1]` (from `GrowthProgress`).

    Returns:
        The blend, of `lower`'s shape.

    Example:

    >>> lower, grown = np.zeros((1, 2, 2, 1)), np.ones((1, 2, 2, 1))
    >>> blend = FadeIn(level=1)([lower, grown, np.full((1, 1), 0.25)])
    >>> float(np.asarray(blend)[0, 0, 0, 0])
    0.25

    Reference: Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Figure 2)
    """

    def __init__(self, level, **kwargs):
        super().__init__(**kwargs)
        check_positive_integer(level, "level")
        self.level = level

    def call(self, inputs):
        lower, grown, progress = inputs
        weight = ops.cast(fade_weight(progress, self.level), lower.dtype)
        # [batch, 1] -> [batch, 1, ..., 1] to broadcast over lower's axes.
        weight = ops.reshape(weight, (-1,) + (1,) * (len(lower.shape) - 1))
        return (1.0 - weight) * lower + weight * grown

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "level": self.level}


def set_growth(model, stage, alpha=1.0):
    """Sets the growth progress of a progressive network to (stage, α).

    Args:
        model: A network from `progressive_generator` or `progressive_discriminator`
            (it has one `GrowthProgress` layer).
        stage: The stage, 0 (4x4) to `levels - 1`.
        alpha: The fade-in weight of the stage's level, in [0, 1].

    Example:

    >>> generator = progressive_generator(8, latent_dim=4, width=4)
    >>> set_growth(generator, 1, 0.5)
    >>> float(generator.get_layer("growth_progress").progress.numpy())
    0.5
    """
    alpha = check_rate(alpha, "alpha", include_high=True)
    growth_layer(model).progress.assign(growth_progress(stage, alpha))


def growth_layer(model):
    """The one `GrowthProgress` layer of a progressive network (a ValueError if it
    has none or several)."""
    layers = [layer for layer in model.layers if isinstance(layer, GrowthProgress)]
    if len(layers) != 1:
        raise ValueError(
            "Expected a progressive network with one `GrowthProgress` layer (see "
            "`progressive_generator` / `progressive_discriminator`). Received "
            f"{type(model).__name__} {model.name!r} with {len(layers)}."
        )
    return layers[0]


def _conv(filters, kernel_size, name, padding="same"):
    return EqualizedConv2D(filters, kernel_size, padding=padding, name=name)


def _leaky(name):
    return keras.layers.LeakyReLU(LEAKY_SLOPE, name=name)


def progressive_generator(image_size=16, channels=1, latent_dim=128, width=64):
    """PGGAN's generator: latents -> `[image_size, image_size, channels]` images at
    the current growth stage.

    Table 2 of the paper, with `width` filters at every resolution (the paper keeps
    512 up to 32x32): pixel norm on z; block 4: a 4x4 dense projection and a 3x3
    convolution; block r (8, 16, ...): nearest 2x upsampling and two 3x3
    convolutions; each convolution followed by LeakyReLU(0.2) and pixel norm;
    a linear 1x1 toRGB per resolution, blended by `FadeIn`. Weights from the
    Keras global seed (`keras.utils.set_random_seed`).

    Args:
        image_size: The final resolution, 4 times a power of 2.
        channels: Image channels.
        latent_dim: Size of z.
        width: Filters of every convolution.

    Returns:
        A Functional `keras.Model` named "progressive_generator" whose layers
        include "growth_progress", "block_R" (R = 4, 8, ...; Sequential), "to_rgb_R"
        and "fade_in_R".

    Example:

    >>> generator = progressive_generator(16, latent_dim=8, width=4)
    >>> tuple(generator(np.zeros((2, 8), "float32")).shape)
    (2, 16, 16, 1)
    """
    num_levels = num_growth_levels(image_size)
    for argument, value in (
        ("channels", channels),
        ("latent_dim", latent_dim),
        ("width", width),
    ):
        check_positive_integer(value, argument)
    latents = keras.Input((latent_dim,), name="latents")
    progress = GrowthProgress(name="growth_progress")(latents)
    block = keras.Sequential(
        [
            keras.Input((latent_dim,)),
            PixelNormalization(name="normalize_latents"),
            EqualizedDense(BASE_SIZE * BASE_SIZE * width, name="dense"),
            # [batch, 4, 4, width]
            keras.layers.Reshape((BASE_SIZE, BASE_SIZE, width), name="reshape"),
            _leaky("dense_activation"),
            PixelNormalization(name="dense_normalization"),
            _conv(width, 3, "conv"),
            _leaky("conv_activation"),
            PixelNormalization(name="conv_normalization"),
        ],
        name=f"block_{BASE_SIZE}",
    )
    features = block(latents)
    images = EqualizedConv2D(channels, 1, gain=1.0, name=f"to_rgb_{BASE_SIZE}")(
        features
    )
    size = BASE_SIZE
    for level in range(1, num_levels):
        size *= 2
        block = keras.Sequential(
            [
                keras.Input((size // 2, size // 2, width)),
                keras.layers.UpSampling2D(2, name="upsample"),
                _conv(width, 3, "conv_1"),
                _leaky("activation_1"),
                PixelNormalization(name="normalization_1"),
                _conv(width, 3, "conv_2"),
                _leaky("activation_2"),
                PixelNormalization(name="normalization_2"),
            ],
            name=f"block_{size}",
        )
        features = block(features)
        grown = EqualizedConv2D(channels, 1, gain=1.0, name=f"to_rgb_{size}")(features)
        lower = keras.layers.UpSampling2D(2, name=f"upsample_image_{size}")(images)
        images = FadeIn(level, name=f"fade_in_{size}")([lower, grown, progress])
    return keras.Model(latents, images, name="progressive_generator")


def progressive_discriminator(image_size=16, channels=1, width=64, group_size=4):
    """PGGAN's discriminator: `[image_size, image_size, channels]` images -> logits
    `[batch, 1]`, reading them at the current growth stage.

    Table 2 of the paper, with `width` filters at every resolution: a 1x1 fromRGB
    per resolution; block r (16, 8, ...): two 3x3 convolutions and a 2x2 average
    pool; the last block: minibatch stddev (one channel, groups of `group_size`),
    a 3x3 and a 4x4 valid convolution, a linear dense logit; LeakyReLU(0.2) after
    every convolution. The fromRGB outputs are blended into the blocks' by
    `FadeIn`. No normalization (the paper's D has none). Weights from the Keras
    global seed.

    Minibatch stddev mixes the samples of a group, so under `tf.distribute` its
    statistic is per replica (as in the paper's multi-GPU runs), and a one-step
    equality with one device holds only with `group_size=1`.

    Args:
        image_size: The final resolution, 4 times a power of 2.
        channels: Image channels.
        width: Filters of every convolution.
        group_size: Minibatch stddev group size (4 in the paper).

    Returns:
        A Functional `keras.Model` named "progressive_discriminator" whose layers
        include "growth_progress", "from_rgb_R" and "block_R" (Sequential, R = 8,
        16, ...), "fade_in_R" and "output_block" (Sequential, at 4x4).

    Example:

    >>> discriminator = progressive_discriminator(16, width=4)
    >>> tuple(discriminator(np.zeros((4, 16, 16, 1), "float32")).shape)
    (4, 1)
    """
    num_levels = num_growth_levels(image_size)
    for argument, value in (
        ("channels", channels),
        ("width", width),
        ("group_size", group_size),
    ):
        check_positive_integer(value, argument)

    def from_rgb(size):
        return keras.Sequential(
            [
                keras.Input((size, size, channels)),
                _conv(width, 1, "conv"),
                _leaky("activation"),
            ],
            name=f"from_rgb_{size}",
        )

    images = keras.Input((image_size, image_size, channels), name="images")
    progress = GrowthProgress(name="growth_progress")(images)
    features = from_rgb(image_size)(images)
    downsampled = images
    size = image_size
    for level in range(num_levels - 1, 0, -1):
        block = keras.Sequential(
            [
                keras.Input((size, size, width)),
                _conv(width, 3, "conv_1"),
                _leaky("activation_1"),
                _conv(width, 3, "conv_2"),
                _leaky("activation_2"),
                keras.layers.AveragePooling2D(2, name="downsample"),
            ],
            name=f"block_{size}",
        )
        grown = block(features)
        size //= 2
        downsampled = keras.layers.AveragePooling2D(2, name=f"downsample_image_{size}")(
            downsampled
        )
        lower = from_rgb(size)(downsampled)
        features = FadeIn(level, name=f"fade_in_{size * 2}")([lower, grown, progress])
    output_block = keras.Sequential(
        [
            keras.Input((BASE_SIZE, BASE_SIZE, width)),
            MinibatchStdDev(group_size=group_size, name="minibatch_stddev"),
            _conv(width, 3, "conv"),
            _leaky("conv_activation"),
            _conv(width, BASE_SIZE, "dense_conv", padding="valid"),  # [batch, 1, 1, w]
            _leaky("dense_activation"),
            keras.layers.Flatten(name="flatten"),  # [batch, width]
            EqualizedDense(1, gain=1.0, name="logit"),
        ],
        name="output_block",
    )
    logits = output_block(features)
    return keras.Model(images, logits, name="progressive_discriminator")
