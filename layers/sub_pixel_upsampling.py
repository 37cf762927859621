"""Sub-pixel upsampling (pixel shuffle): channels rearranged into space."""

import keras
from keras import ops

from ._arguments import check_positive_integer


@keras.saving.register_keras_serializable(package="keras_gans")
class SubPixelUpsampling(keras.layers.Layer):
    """Upsamples by moving blocks of channels into `scale x scale` pixel blocks.

    Transposed convolutions with a kernel size not divisible by the stride
    overlap unevenly and print checkerboard artifacts into generated images.
    The sub-pixel alternative computes all `scale^2` output pixels of a block
    at low resolution, as `scale^2` groups of channels of an ordinary
    convolution placed before this layer, and then only rearranges them:

        output[n, h * s + i, w * s + j, c] =
            inputs[n, h, w, (i * s + j) * out_channels + c]

    for 0 <= i, j < s = scale and out_channels = channels / s^2. This is
    TensorFlow's `depth_to_space` ordering (PyTorch's `pixel_shuffle` takes
    the channels in the order (c, i, j) instead). The layer has no weights;
    the convolution before it is the user's.

    Args:
        scale: positive int, the upsampling factor of height and width.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: tensor `[batch, height, width, channels]`, channels last, with
            channels a multiple of `scale^2`.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[batch, height * scale, width * scale, channels / scale^2]`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(2, 4, 4, 12)).astype("float32")
    >>> tuple(SubPixelUpsampling(scale=2)(x).shape)
    (2, 8, 8, 3)

    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an
        Efficient Sub-Pixel Convolutional Neural Network", 2016.
        https://arxiv.org/abs/1609.05158
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        check_positive_integer(scale, "scale")
        self.scale = scale

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`SubPixelUpsampling` expects a 4-D input [batch, height, width, "
                f"channels] with known channels. Received: input shape "
                f"{tuple(input_shape)}"
            )
        if input_shape[-1] % (self.scale**2):
            raise ValueError(
                f"The input channels ({input_shape[-1]}) should be a multiple of "
                f"scale^2 = {self.scale**2}. Received: `scale={self.scale}` and "
                f"input shape {tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)

    def call(self, inputs, training=None):
        batch_size, height, width = ops.shape(inputs)[:3]
        output_channels = inputs.shape[-1] // self.scale**2
        # [batch, height, width, scale_i, scale_j, output_channels]
        blocks = ops.reshape(
            inputs,
            (batch_size, height, width, self.scale, self.scale, output_channels),
        )
        # [batch, height, scale_i, width, scale_j, output_channels]
        blocks = ops.transpose(blocks, (0, 1, 3, 2, 4, 5))
        # [batch, height * scale, width * scale, output_channels]
        return ops.reshape(
            blocks,
            (batch_size, height * self.scale, width * self.scale, output_channels),
        )

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        batch_size, height, width, channels = input_shape
        return (
            batch_size,
            None if height is None else height * self.scale,
            None if width is None else width * self.scale,
            channels // self.scale**2,
        )

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "scale": self.scale}
