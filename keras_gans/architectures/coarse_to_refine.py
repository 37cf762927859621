"""Coarse-to-refine inpainting networks (catalogue A8): a coarse generator, a
refinement generator, a discriminator, and the completion network that chains them.

The task is inpainting: an image `x` with a hole given by a binary mask `m` (1 in the
hole, 0 where the pixels are known). Both generators see the known pixels and the mask
as one tensor, `inputs = concat[(1 - m) x, m]` (`[height, width, channels + 1]`):

- the **coarse generator** maps `inputs` to a full image `c` (tanh);
- the **refinement generator** maps `(inputs, composite(c))` to a full image `r`;
- every output that leaves a network is composited back into the known pixels,
  `composite(g) = m g + (1 - m) x` (`MaskComposite`): the known pixels stay exact.

This is the two-stage design of Yu et al. 2018 (section 3.1, "coarse-to-fine network
architecture"): the coarse network gives a rough, blurry completion; the refinement
network sees it in place and sharpens it. Their networks use dilated convolutions to
reach a wide context; so do these (one 3x3 convolution with dilation 2 in each), at a
CPU size. No batch normalization, so a step under `tf.distribute` equals one on a
single device.

Reference: Yu, Lin, Yang, Shen, Lu & Huang 2018, "Generative Image Inpainting with
Contextual Attention", https://arxiv.org/abs/1801.07892
"""

import keras
from keras import ops

from keras_gans._checks import check_positive_integer

__all__ = [
    "MaskComposite",
    "coarse_generator",
    "completion_network",
    "inpainting_discriminator",
    "refine_generator",
]

_LEAKY_SLOPE = 0.2


def _check_image_size(image_size):
    check_positive_integer(image_size, "image_size")
    if image_size % 4:
        raise ValueError(
            "`image_size` should be a multiple of 4 (two 2x downsamplings). "
            f"Received: `image_size={image_size}`."
        )


def _initializer(seed, offset):
    seed = None if seed is None else seed + offset
    return keras.initializers.GlorotUniform(seed=seed)


@keras.saving.register_keras_serializable(package="keras_gans")
class MaskComposite(keras.layers.Layer):
    """Pastes generated pixels into the hole of the known image.

    `composite = m * generated + (1 - m) * known`, with `known` and the mask `m` read
    from the generators' input `concat[known, m]` (the last channel is `m`, 1 in the
    hole). Outside the hole the result is the known pixels exactly, so a generator
    is judged, and used, only on what it had to invent.

    Call arguments:
        inputs: A pair `(generated, masked_inputs)`: `generated` of shape `[batch,
            height, width, channels]` and `masked_inputs` of shape `[batch, height,
            width, channels + 1]`.

    Returns:
        The composited images, the shape of `generated`.

    Example:

    >>> import numpy as np
    >>> known = np.zeros((1, 2, 2, 1), "float32")
    >>> mask = np.array([1, 0, 0, 0], "float32").reshape(1, 2, 2, 1)
    >>> generated = np.ones((1, 2, 2, 1), "float32")
    >>> composite = MaskComposite()((generated, np.concatenate([known, mask], -1)))
    >>> [float(v) for v in np.ravel(composite)]
    [1.0, 0.0, 0.0, 0.0]
    """

    def call(self, inputs):
        generated, masked_inputs = inputs
        known = ops.cast(masked_inputs[..., :-1], generated.dtype)  # [b, h, w, c]
        mask = ops.cast(masked_inputs[..., -1:], generated.dtype)  # [b, h, w, 1]
        return mask * generated + (1.0 - mask) * known

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def _encoder_decoder(features, width, channels, seed, offset, name):
    """Conv, strided conv, dilated conv, 2x upsampling, conv, tanh output."""
    x = keras.layers.Conv2D(
        width, 3, padding="same", kernel_initializer=_initializer(seed, offset)
    )(features)
    x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(x)
    x = keras.layers.Conv2D(
        2 * width,
        3,
        strides=2,
        padding="same",
        kernel_initializer=_initializer(seed, offset + 1),
    )(x)
    x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(x)
    # Yu et al.'s dilated convolutions: a wider context at the same resolution.
    x = keras.layers.Conv2D(
        2 * width,
        3,
        dilation_rate=2,
        padding="same",
        kernel_initializer=_initializer(seed, offset + 2),
    )(x)
    x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(x)
    x = keras.layers.UpSampling2D(2)(x)
    x = keras.layers.Conv2D(
        width, 3, padding="same", kernel_initializer=_initializer(seed, offset + 3)
    )(x)
    x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(x)
    return keras.layers.Conv2D(
        channels,
        3,
        padding="same",
        activation="tanh",
        kernel_initializer=_initializer(seed, offset + 4),
        name=f"{name}_output",
    )(x)


def coarse_generator(image_size=16, channels=1, width=16, seed=None):
    """The coarse stage: `concat[(1 - m) x, m]` -> a full image in [-1, 1].

    Args:
        image_size: Height and width, a multiple of 4.
        channels: Image channels.
        width: Filters of the full-resolution convolutions (twice as many at half
            resolution).
        seed: Seeds the kernel initialisers.

    Returns:
        A Functional model `[batch, size, size, channels + 1]` -> `[batch, size, size,
        channels]`.

    Example:

    >>> tuple(coarse_generator(16, 1, width=4, seed=0).output_shape)
    (None, 16, 16, 1)
    """
    _check_image_size(image_size)
    check_positive_integer(channels, "channels")
    check_positive_integer(width, "width")
    inputs = keras.Input((image_size, image_size, channels + 1), name="masked_inputs")
    outputs = _encoder_decoder(inputs, width, channels, seed, 0, "coarse")
    return keras.Model(inputs, outputs, name="coarse_generator")


def refine_generator(image_size=16, channels=1, width=16, seed=None):
    """The refinement stage: `(concat[(1 - m) x, m], composited coarse image)` -> a
    full image in [-1, 1].

    Args:
        image_size: Height and width, a multiple of 4.
        channels: Image channels.
        width: Filters of the full-resolution convolutions.
        seed: Seeds the kernel initialisers.

    Returns:
        A Functional model with inputs `[batch, size, size, channels + 1]` and
        `[batch, size, size, channels]` and output `[batch, size, size, channels]`.

    Example:

    >>> tuple(refine_generator(16, 1, width=4, seed=0).output_shape)
    (None, 16, 16, 1)
    """
    _check_image_size(image_size)
    check_positive_integer(channels, "channels")
    check_positive_integer(width, "width")
    masked_inputs = keras.Input(
        (image_size, image_size, channels + 1), name="masked_inputs"
    )
    coarse_images = keras.Input((image_size, image_size, channels), name="coarse")
    # [batch, size, size, 2 * channels + 1]
    features = keras.layers.Concatenate()([masked_inputs, coarse_images])
    outputs = _encoder_decoder(features, width, channels, seed, 10, "refine")
    return keras.Model([masked_inputs, coarse_images], outputs, name="refine_generator")


def inpainting_discriminator(image_size=16, channels=1, width=16, seed=None):
    """The discriminator: two strided 3x3 convolutions, LeakyReLU(0.2), a dense
    logit (raw, higher = more real).

    Args:
        image_size: Height and width, a multiple of 4.
        channels: Image channels.
        width: Filters of the first convolution (twice as many in the second).
        seed: Seeds the kernel initialisers.

    Returns:
        A Functional model `[batch, size, size, channels]` -> `[batch, 1]`.

    Example:

    >>> tuple(inpainting_discriminator(16, 1, width=4, seed=0).output_shape)
    (None, 1)
    """
    _check_image_size(image_size)
    check_positive_integer(channels, "channels")
    check_positive_integer(width, "width")
    images = keras.Input((image_size, image_size, channels), name="images")
    x = images
    for index, filters in enumerate((width, 2 * width)):
        x = keras.layers.Conv2D(
            filters,
            3,
            strides=2,
            padding="same",
            kernel_initializer=_initializer(seed, 20 + index),
        )(x)
        x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(x)
    x = keras.layers.Flatten()(x)
    logits = keras.layers.Dense(1, kernel_initializer=_initializer(seed, 22))(x)
    return keras.Model(images, logits, name="inpainting_discriminator")


def completion_network(coarse, refine):
    """Chains the stages: `concat[(1 - m) x, m]` -> the refined, composited image.

    `c = composite(coarse(inputs))`, `output = composite(refine(inputs, c))`, with
    `composite(g) = m g + (1 - m) x` (`MaskComposite`).

    Args:
        coarse: A coarse generator (`coarse_generator`).
        refine: A refinement generator (`refine_generator`).

    Returns:
        A Functional model `[batch, size, size, channels + 1]` -> `[batch, size, size,
        channels]` sharing the two generators' weights.

    Example:

    >>> network = completion_network(
    ...     coarse_generator(8, 1, width=2, seed=0),
    ...     refine_generator(8, 1, width=2, seed=1))
    >>> tuple(network.output_shape)
    (None, 8, 8, 1)
    """
    masked_inputs = keras.Input(coarse.input_shape[1:], name="masked_inputs")
    coarse_images = MaskComposite(name="coarse_composite")(
        (coarse(masked_inputs), masked_inputs)
    )
    refined = MaskComposite(name="refined_composite")(
        (refine([masked_inputs, coarse_images]), masked_inputs)
    )
    return keras.Model(masked_inputs, refined, name="completion_network")
