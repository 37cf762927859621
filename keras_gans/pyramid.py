"""Laplacian pyramids of images: the decomposition LAPGAN generates level by level.

Denton, Chintala, Szlam & Fergus 2015 ("Deep Generative Image Models using a
Laplacian Pyramid of Adversarial Networks", https://arxiv.org/abs/1506.05751)
write an image `I` as a pyramid: with `d` a 2x downsampling and `u` a
2x upsampling,

    I_0 = I,   I_{k+1} = d(I_k),
    h_k = I_k - u(I_{k+1})      for k = 0 .. K-1  (band-pass residuals, fine first),
    h_K = I_K                                     (the coarsest low-pass image),

and the image comes back coarse to fine by `I_k = u(I_{k+1}) + h_k`. This holds
exactly for ANY `d` and `u`, since each residual stores what `u(d(I_k))` misses;
LAPGAN's generator at level k produces `h_k` conditioned on `u(I_{k+1})`, so a
sample is built from the coarsest level up with `reconstruct`.

The filters here:
- `downsample`: 2x2 block mean (a box filter, then decimation). Denton et al. blur
  before decimating like Burt & Adelson; the box is the simplest such blur: it
  keeps the mean intensity (`d(constant) = constant`) and, with "nearest"
  upsampling, gives `d(u(x)) = x`.
- `upsample`: "bilinear" (the default; half-pixel centres, edge pixels repeated:
  `out[2k] = 0.75 x[k] + 0.25 x[k-1]`, `out[2k+1] = 0.75 x[k] + 0.25 x[k+1]` per
  axis), smooth, so the residuals hold only detail; or "nearest" (each pixel
  becomes a 2x2 block), with which `d(u(x)) = x` and every residual has zero 2x2
  block means.

Images are channels-last `[batch, height, width, channels]` (integer pixels are
cast to float32, float dtypes are kept); everything uses
`keras.ops`, so it runs on any backend and inside a model or a `tf.data` map.
"""

import keras
from keras import ops

from keras_gans._checks import check_choice, check_positive_integer

__all__ = [
    "INTERPOLATIONS",
    "downsample",
    "laplacian_pyramid",
    "reconstruct",
    "upsample",
]

INTERPOLATIONS = ("bilinear", "nearest")


def _check_images(images, name="images"):
    images = ops.convert_to_tensor(images)
    if not keras.backend.is_float_dtype(images.dtype):
        images = ops.cast(images, "float32")  # Integer pixels: means need floats.
    if len(images.shape) != 4:
        raise ValueError(
            f"`{name}` should be channels-last images of rank 4, "
            f"[batch, height, width, channels]. Received: shape={tuple(images.shape)}."
        )
    return images


def downsample(images):
    """Halves height and width by taking the mean of every 2x2 block.

    `d(I)[b, i, j, c] = (I[2i, 2j] + I[2i, 2j+1] + I[2i+1, 2j] + I[2i+1, 2j+1]) / 4`.

    Args:
        images: `[batch, height, width, channels]` with even height and width.

    Returns:
        `[batch, height / 2, width / 2, channels]` images.

    Example:

    >>> images = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> np.round(np.asarray(downsample(images))[0, :, :, 0], 2).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    images = _check_images(images)
    _, height, width, channels = images.shape
    if height is None or width is None or height % 2 or width % 2:
        raise ValueError(
            "`images` should have an even, known height and width to be "
            f"downsampled 2x. Received: shape={tuple(images.shape)}."
        )
    blocks = ops.reshape(
        images, (-1, height // 2, 2, width // 2, 2, channels)
    )  # [batch, height / 2, 2, width / 2, 2, channels]
    return ops.mean(blocks, axis=(2, 4))  # [batch, height / 2, width / 2, channels]


def upsample(images, interpolation="bilinear"):
    """Doubles height and width by bilinear or nearest-neighbour interpolation.

    Args:
        images: `[batch, height, width, channels]` images.
        interpolation: "bilinear" (half-pixel centres, edges repeated) or "nearest"
            (every pixel becomes a 2x2 block).

    Returns:
        `[batch, 2 * height, 2 * width, channels]` images.

    Example:

    >>> images = np.array([0.0, 4.0], dtype="float32").reshape(1, 1, 2, 1)
    >>> np.asarray(upsample(images))[0, 0, :, 0].tolist()
    [0.0, 1.0, 3.0, 4.0]
    >>> np.asarray(upsample(images, "nearest"))[0, 0, :, 0].tolist()
    [0.0, 0.0, 4.0, 4.0]
    """
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    images = _check_images(images)
    _, height, width, _ = images.shape
    if interpolation == "nearest":
        return ops.repeat(ops.repeat(images, 2, axis=1), 2, axis=2)
    if height is None or width is None:
        raise ValueError(
            "`images` should have a known height and width for bilinear "
            f"upsampling. Received: shape={tuple(images.shape)}."
        )
    return ops.image.resize(
        images,
        (2 * height, 2 * width),
        interpolation="bilinear",
        antialias=False,
        data_format="channels_last",
    )


def laplacian_pyramid(images, levels, interpolation="bilinear"):
    """The Laplacian pyramid of images: band-pass residuals, finest first, then the
    coarsest image.

    `[h_0, ..., h_{levels-2}, I_{levels-1}]` with `I_0 = images`,
    `I_{k+1} = downsample(I_k)` and `h_k = I_k - upsample(I_{k+1})`.

    Args:
        images: `[batch, height, width, channels]`; height and width divisible by
            `2 ** (levels - 1)`.
        levels: Positive number of pyramid entries; `levels=3` on 16x16 images gives
            residuals at 16x16 and 8x8 and a 4x4 low-pass image (LAPGAN's 4 -> 8 ->
            16). `levels=1` returns `[images]`.
        interpolation: The `upsample` filter; `reconstruct` needs the same one.

    Returns:
        A list of `levels` tensors, level k of size `height / 2**k`.

    Example:

    >>> images = np.zeros((2, 16, 16, 1), dtype="float32")
    >>> [tuple(level.shape) for level in laplacian_pyramid(images, 3)]
    [(2, 16, 16, 1), (2, 8, 8, 1), (2, 4, 4, 1)]
    """
    check_positive_integer(levels, "levels")
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    images = _check_images(images)
    _, height, width, _ = images.shape
    factor = 2 ** (levels - 1)
    if height is None or width is None or height % factor or width % factor:
        raise ValueError(
            f"`images` should have a height and width divisible by 2 ** (levels - 1) "
            f"= {factor} for `levels={levels}`. Received: shape={tuple(images.shape)}."
        )
    pyramid = []
    current = images
    for _ in range(levels - 1):
        coarser = downsample(current)
        pyramid.append(current - upsample(coarser, interpolation))
        current = coarser
    pyramid.append(current)
    return pyramid


def reconstruct(pyramid, interpolation="bilinear"):
    """Images from their Laplacian pyramid, coarse to fine: `I_k = u(I_{k+1}) + h_k`.

    Args:
        pyramid: The list `laplacian_pyramid` returns (finest residual first,
            coarsest image last), or a LAPGAN's generated levels in that order.
        interpolation: The `upsample` filter the pyramid was built with.

    Returns:
        The `[batch, height, width, channels]` images at the finest level's size.

    Example:

    >>> images = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 1))
    >>> restored = reconstruct(laplacian_pyramid(images, 3))
    >>> bool(np.max(np.abs(np.asarray(restored) - images)) < 1e-6)
    True
    """
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError(
            "`pyramid` should be a non-empty list of images, finest residual first. "
            f"Received: `pyramid={pyramid!r}`."
        )
    levels = [_check_images(level, "pyramid") for level in pyramid]
    images = levels[-1]
    for residual in reversed(levels[:-1]):
        upsampled = upsample(images, interpolation)
        if tuple(upsampled.shape[1:]) != tuple(residual.shape[1:]):
            raise ValueError(
                "Each pyramid level should be twice the size of the next one. "
                f"Received a level of shape {tuple(residual.shape)} above one of "
                f"shape {tuple(images.shape)}."
            )
        images = upsampled + residual
    return images
