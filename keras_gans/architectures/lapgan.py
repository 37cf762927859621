"""LAPGAN networks (catalogue A5): one generator and one discriminator per level of
a Laplacian pyramid, and the coarse-to-fine sampler that chains the generators.

Denton et al. 2015 generate an image level by level (`keras_gans.pyramid`): the
coarsest level `I_K` from noise alone, then each finer level k from noise and the
upsampled coarser image `l_k = u(I_{k+1})`, as the band-pass residual
`h_k = G_k(z_k, l_k)` that `I_k = l_k + h_k` adds back.

- **Coarsest level** (here 4x4): an MLP generator z -> `[4, 4, c]` (tanh, since a
  low-pass image of pixels in [-1, 1] stays in [-1, 1]) and an MLP discriminator,
  as the paper's coarsest CIFAR-10 level (fully connected nets).
- **Finer levels**: a convolutional generator whose input is the noise as extra
  image planes stacked on `l_k` (the paper presents z_k "as a 4th colour plane"),
  three 5x5 convolutions with ReLU and a linear output (a residual is signed);
  a convolutional discriminator (two strided 5x5 convolutions, LeakyReLU(0.2), a
  dense logit) on the residual and `l_k` stacked as channels, `[h_k, l_k]`. (The
  paper adds `l_k` to the residual before D's first layer; stacking them keeps
  both, and a first convolution can learn the sum.)

No batch normalization, so a step under `tf.distribute` equals one on a single
device exactly. Widths are arguments: the paper's CIFAR-10 nets use 1200-unit MLPs
and 128 filters.

Reference: Denton, Chintala, Szlam & Fergus 2015, "Deep Generative Image Models
using a Laplacian Pyramid of Adversarial Networks", https://arxiv.org/abs/1506.05751
(section 3 and the CIFAR-10 model of section 4).
"""

import math

import keras
from keras import ops

from keras_gans import pyramid
from keras_gans._checks import check_choice, check_positive_integer

__all__ = [
    "PyramidUpsampling",
    "SplitLevelLatents",
    "lapgan_coarse_discriminator",
    "lapgan_coarse_generator",
    "lapgan_level_discriminator",
    "lapgan_level_generator",
    "lapgan_networks",
    "lapgan_sampler",
    "level_latent_shapes",
]

_KERNEL_SIZE = 5
_LEAKY_SLOPE = 0.2


def _initializer(seed, offset):
    """Glorot-uniform weights; a distinct seed per layer when `seed` is given."""
    return keras.initializers.GlorotUniform(None if seed is None else seed + offset)


@keras.saving.register_keras_serializable(package="keras_gans")
class PyramidUpsampling(keras.layers.Layer):
    """2x upsampling with the Laplacian pyramid's filter (`keras_gans.pyramid`).

    The sampler must upsample exactly as the pyramid that built the training
    residuals did, or the residuals would be added to a different `l_k`.

    Args:
        interpolation: "bilinear" or "nearest" (`pyramid.INTERPOLATIONS`).
        **kwargs: Base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: Images `[batch, height, width, channels]`.

    Returns:
        `[batch, 2 * height, 2 * width, channels]`.

    Example:

    >>> layer = PyramidUpsampling("nearest")
    >>> np.asarray(layer(np.array([[[[1.0]]]], "float32")))[0, :, :, 0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, interpolation="bilinear", **kwargs):
        super().__init__(**kwargs)
        self.interpolation = check_choice(
            interpolation, "interpolation", pyramid.INTERPOLATIONS
        )

    def call(self, inputs):
        return pyramid.upsample(inputs, self.interpolation)

    def compute_output_shape(self, input_shape):
        batch_size, height, width, channels = input_shape
        return (
            batch_size,
            None if height is None else 2 * height,
            None if width is None else 2 * width,
            channels,
        )

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


@keras.saving.register_keras_serializable(package="keras_gans")
class SplitLevelLatents(keras.layers.Layer):
    """Splits flat latents into one latent per pyramid level.

    The sampler takes one latent vector per image (what sample grids, latent
    interpolation and `generate` draw) and gives each level's generator its part:
    the first `prod(shapes[0])` values reshaped to `shapes[0]`, and so on.

    Args:
        shapes: The per-level latent shapes (without the batch axis), coarse to
            fine, e.g. `[(64,), (8, 8, 1), (16, 16, 1)]`.
        **kwargs: Base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[batch, sum of prod(shape)]`.

    Returns:
        A list of `[batch, *shape]` tensors.

    Example:

    >>> parts = SplitLevelLatents([(2,), (2, 2, 1)])(np.arange(12.0).reshape(2, 6))
    >>> [tuple(part.shape) for part in parts]
    [(2, 2), (2, 2, 2, 1)]
    >>> np.asarray(parts[1])[1, :, :, 0].tolist()
    [[8.0, 9.0], [10.0, 11.0]]
    """

    def __init__(self, shapes, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(shapes, (list, tuple)) or not shapes:
            raise ValueError(
                "`shapes` should be a non-empty list of latent shapes. "
                f"Received: `shapes={shapes!r}`."
            )
        self.shapes = [tuple(shape) for shape in shapes]
        for shape in self.shapes:
            if not shape or not all(
                isinstance(size, int) and size > 0 for size in shape
            ):
                raise ValueError(
                    "Each latent shape should be a tuple of positive integers. "
                    f"Received: `shapes={shapes!r}`."
                )
        self.sizes = [math.prod(shape) for shape in self.shapes]

    def call(self, inputs):
        parts = []
        start = 0
        for shape, size in zip(self.shapes, self.sizes, strict=True):
            part = inputs[:, start : start + size]  # [batch, size]
            parts.append(ops.reshape(part, (-1, *shape)))  # [batch, *shape]
            start += size
        return parts

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], *shape) for shape in self.shapes]

    def get_config(self):
        return {**super().get_config(), "shapes": [list(s) for s in self.shapes]}


def lapgan_coarse_generator(
    image_size=4, channels=1, latent_dim=64, hidden_units=128, seed=None
):
    """The coarsest level's generator: z -> `[image_size, image_size, channels]`
    in [-1, 1] (two ReLU dense layers, a tanh output).

    Args:
        image_size: The coarsest resolution.
        channels: Image channels.
        latent_dim: Size of z.
        hidden_units: Units of each hidden layer (the paper's CIFAR-10: 1200).
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model`.

    Example:

    >>> generator = lapgan_coarse_generator(4, latent_dim=8, hidden_units=16)
    >>> tuple(generator(np.zeros((2, 8), "float32")).shape)
    (2, 4, 4, 1)
    """
    for argument, value in (
        ("image_size", image_size),
        ("channels", channels),
        ("latent_dim", latent_dim),
        ("hidden_units", hidden_units),
    ):
        check_positive_integer(value, argument)
    latents = keras.Input((latent_dim,), name="latents")
    hidden = latents
    for index in range(2):
        hidden = keras.layers.Dense(
            hidden_units,
            activation="relu",
            kernel_initializer=_initializer(seed, index),
            name=f"dense_{index + 1}",
        )(hidden)
    pixels = keras.layers.Dense(
        image_size * image_size * channels,
        activation="tanh",
        kernel_initializer=_initializer(seed, 2),
        name="pixels",
    )(hidden)
    images = keras.layers.Reshape((image_size, image_size, channels), name="image")(
        pixels
    )  # [batch, image_size, image_size, channels]
    return keras.Model(latents, images, name=f"lapgan_generator_{image_size}")


def lapgan_coarse_discriminator(image_size=4, channels=1, hidden_units=128, seed=None):
    """The coarsest level's discriminator: an MLP (two LeakyReLU(0.2) dense layers)
    from `[image_size, image_size, channels]` images to logits `[batch, 1]`.

    Args:
        image_size: The coarsest resolution.
        channels: Image channels.
        hidden_units: Units of each hidden layer (the paper's CIFAR-10: 600).
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model`.

    Example:

    >>> discriminator = lapgan_coarse_discriminator(4, hidden_units=16)
    >>> tuple(discriminator(np.zeros((2, 4, 4, 1), "float32")).shape)
    (2, 1)
    """
    for argument, value in (
        ("image_size", image_size),
        ("channels", channels),
        ("hidden_units", hidden_units),
    ):
        check_positive_integer(value, argument)
    images = keras.Input((image_size, image_size, channels), name="images")
    hidden = keras.layers.Flatten(name="flatten")(images)  # [batch, pixels]
    for index in range(2):
        hidden = keras.layers.Dense(
            hidden_units,
            kernel_initializer=_initializer(seed, 10 + index),
            name=f"dense_{index + 1}",
        )(hidden)
        hidden = keras.layers.LeakyReLU(_LEAKY_SLOPE, name=f"activation_{index + 1}")(
            hidden
        )
    logits = keras.layers.Dense(
        1, kernel_initializer=_initializer(seed, 12), name="logit"
    )(hidden)
    return keras.Model(images, logits, name=f"lapgan_discriminator_{image_size}")


def lapgan_level_generator(
    image_size, channels=1, noise_channels=1, width=32, seed=None
):
    """A finer level's generator: `[noise, conditioning]` -> the band-pass residual.

    The noise planes are stacked on the upsampled coarser image `l_k`
    (`conditioning`), then three 5x5 convolutions (ReLU, ReLU, linear).

    Args:
        image_size: The level's resolution.
        channels: Image channels (of `l_k` and of the residual).
        noise_channels: Noise planes (the paper: 1).
        width: Filters of the hidden convolutions (the paper's CIFAR-10: 128).
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` with inputs `[noise, conditioning]`, shapes
        `[batch, image_size, image_size, noise_channels]` and
        `[batch, image_size, image_size, channels]`, and output the residual
        `[batch, image_size, image_size, channels]`.

    Example:

    >>> generator = lapgan_level_generator(8, width=4)
    >>> noise, low_pass = np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 1))
    >>> tuple(generator([noise, low_pass]).shape)
    (2, 8, 8, 1)
    """
    for argument, value in (
        ("image_size", image_size),
        ("channels", channels),
        ("noise_channels", noise_channels),
        ("width", width),
    ):
        check_positive_integer(value, argument)
    noise = keras.Input((image_size, image_size, noise_channels), name="noise")
    conditioning = keras.Input((image_size, image_size, channels), name="conditioning")
    # [batch, size, size, noise_channels + channels]
    hidden = keras.layers.Concatenate(name="stack")([noise, conditioning])
    for index in range(2):
        hidden = keras.layers.Conv2D(
            width,
            _KERNEL_SIZE,
            padding="same",
            activation="relu",
            kernel_initializer=_initializer(seed, 20 + index),
            name=f"conv_{index + 1}",
        )(hidden)
    residual = keras.layers.Conv2D(
        channels,
        _KERNEL_SIZE,
        padding="same",
        kernel_initializer=_initializer(seed, 22),
        name="residual",
    )(hidden)
    return keras.Model(
        [noise, conditioning], residual, name=f"lapgan_generator_{image_size}"
    )


def lapgan_level_discriminator(image_size, channels=1, width=32, seed=None):
    """A finer level's discriminator: `[residual, l_k]` stacked as channels ->
    logits `[batch, 1]` (two strided 5x5 convolutions with LeakyReLU(0.2), a dense
    logit).

    Args:
        image_size: The level's resolution.
        channels: Image channels; the input has `2 * channels`.
        width: Filters of the convolutions (the paper's CIFAR-10: 128).
        seed: Seed of the weight initialisers.

    Returns:
        A Functional `keras.Model` on `[batch, image_size, image_size, 2 *
        channels]`.

    Example:

    >>> discriminator = lapgan_level_discriminator(8, width=4)
    >>> tuple(discriminator(np.zeros((2, 8, 8, 2), "float32")).shape)
    (2, 1)
    """
    for argument, value in (
        ("image_size", image_size),
        ("channels", channels),
        ("width", width),
    ):
        check_positive_integer(value, argument)
    pairs = keras.Input((image_size, image_size, 2 * channels), name="residual_and_l")
    hidden = pairs
    for index in range(2):
        hidden = keras.layers.Conv2D(
            width,
            _KERNEL_SIZE,
            strides=2,
            padding="same",
            kernel_initializer=_initializer(seed, 30 + index),
            name=f"conv_{index + 1}",
        )(hidden)
        hidden = keras.layers.LeakyReLU(_LEAKY_SLOPE, name=f"activation_{index + 1}")(
            hidden
        )
    hidden = keras.layers.Flatten(name="flatten")(hidden)  # [batch, features]
    logits = keras.layers.Dense(
        1, kernel_initializer=_initializer(seed, 32), name="logit"
    )(hidden)
    return keras.Model(pairs, logits, name=f"lapgan_discriminator_{image_size}")


def lapgan_networks(
    image_size=16,
    channels=1,
    num_levels=3,
    latent_dim=64,
    width=32,
    hidden_units=128,
    noise_channels=1,
    seed=None,
):
    """The per-level generators and discriminators of a LAPGAN, coarse to fine.

    Level 0 is `image_size / 2^(num_levels - 1)` pixels (4 for 16 and 3 levels),
    each next level twice the size.

    Args:
        image_size: The finest resolution.
        channels: Image channels.
        num_levels: Pyramid levels (3: 4 -> 8 -> 16).
        latent_dim: The coarsest level's z size.
        width: Filters of the finer levels' convolutions.
        hidden_units: Units of the coarsest level's MLPs.
        noise_channels: Noise planes of each finer level.
        seed: Seed of the weight initialisers (each network gets its own).

    Returns:
        `(generators, discriminators)`, two lists of `num_levels` models.

    Example:

    >>> generators, discriminators = lapgan_networks(16, width=4, hidden_units=8)
    >>> [g.output_shape[1] for g in generators]
    [4, 8, 16]
    >>> [d.input_shape[-1] for d in discriminators]  # image, then [h_k, l_k]
    [1, 2, 2]
    """
    check_positive_integer(num_levels, "num_levels")
    check_positive_integer(image_size, "image_size")
    factor = 2 ** (num_levels - 1)
    if image_size % factor:
        raise ValueError(
            f"`image_size` should be divisible by 2 ** (num_levels - 1) = {factor}. "
            f"Received: `image_size={image_size}`, `num_levels={num_levels}`."
        )

    def level_seed(level):
        return None if seed is None else seed + 100 * level

    size = image_size // factor
    generators = [
        lapgan_coarse_generator(
            size, channels, latent_dim, hidden_units, seed=level_seed(0)
        )
    ]
    discriminators = [
        lapgan_coarse_discriminator(size, channels, hidden_units, seed=level_seed(0))
    ]
    for level in range(1, num_levels):
        size *= 2
        generators.append(
            lapgan_level_generator(
                size, channels, noise_channels, width, seed=level_seed(level)
            )
        )
        discriminators.append(
            lapgan_level_discriminator(size, channels, width, seed=level_seed(level))
        )
    return generators, discriminators


def lapgan_sampler(generators, interpolation="bilinear"):
    """The coarse-to-fine sampler: one flat latent per image -> the finest image.

    `I = G_0(z_0)`, then for each finer level `l = u(I)`, `I = l + G_k(z_k, l)`
    (Denton et al., equation 3). Its latent is the concatenation of the levels'
    latents, flattened (`SplitLevelLatents`). The output is not clipped.

    Args:
        generators: The per-level generators, coarse to fine (as
            `lapgan_networks` builds them).
        interpolation: The pyramid's upsampling filter.

    Returns:
        A Functional `keras.Model` named "lapgan_sampler" sharing the generators'
        weights.

    Example:

    >>> generators, _ = lapgan_networks(8, num_levels=2, latent_dim=4, width=4,
    ...                                 hidden_units=8)
    >>> sampler = lapgan_sampler(generators)
    >>> sampler.input_shape  # 4 + 8 * 8 * 1
    (None, 68)
    >>> tuple(sampler(np.zeros((3, 68), "float32")).shape)
    (3, 8, 8, 1)
    """
    shapes = level_latent_shapes(generators)
    total = sum(math.prod(shape) for shape in shapes)
    latents = keras.Input((total,), name="latents")
    parts = SplitLevelLatents(shapes, name="split_latents")(latents)
    images = generators[0](parts[0])
    for level in range(1, len(generators)):
        conditioning = PyramidUpsampling(interpolation, name=f"upsample_{level}")(
            images
        )
        residual = generators[level]([parts[level], conditioning])
        images = keras.layers.Add(name=f"add_residual_{level}")(
            [conditioning, residual]
        )
    return keras.Model(latents, images, name="lapgan_sampler")


def level_latent_shapes(generators):
    """The latent shape of each level's generator (its first input), coarse to
    fine; a ValueError when a generator's inputs do not fit a LAPGAN level."""
    if not isinstance(generators, (list, tuple)) or not generators:
        raise ValueError(
            "`generators` should be a non-empty list of per-level generators. "
            f"Received: `generators={generators!r}`."
        )
    shapes = []
    for level, generator in enumerate(generators):
        inputs = getattr(generator, "inputs", None)
        expected = 1 if level == 0 else 2
        if not inputs or len(inputs) != expected:
            raise ValueError(
                f"The level-{level} generator should be a built Functional model "
                f"with {expected} input(s) ({'z' if level == 0 else '[z, l_k]'}). "
                f"Received {getattr(generator, 'name', generator)!r} with "
                f"{0 if not inputs else len(inputs)}."
            )
        shapes.append(tuple(inputs[0].shape[1:]))
    return shapes
