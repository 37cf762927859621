"""Pixel normalization: unit mean square of the feature vector at every pixel."""

import keras
from keras import ops

from ._arguments import check_positive_number


@keras.saving.register_keras_serializable(package="keras_gans")
class PixelNormalization(keras.layers.Layer):
    """Scales the feature vector at every position to unit mean square.

    Progressive GANs replace batch normalization in the generator with this
    parameter-free normalization: after each convolution, the channels at
    every pixel are divided by their root mean square,

        output[..., c] = x[..., c] / sqrt(mean over channels of x^2 + epsilon)

    It keeps the signal magnitudes of the generator and discriminator from
    spiralling out of control through their competition, without making one
    sample's output depend on the rest of the batch as batch normalization
    does. The statistics are computed in float32 whatever the layer's dtype
    policy.

    Args:
        epsilon: positive float added to the mean square before the square
            root, so that an all-zero pixel stays zero instead of becoming NaN.
            Defaults to 1e-8, the paper's value.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, ..., channels]`, channels last.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor of the shape of `inputs`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(2, 4, 4, 8)).astype("float32")
    >>> tuple(PixelNormalization()(x).shape)
    (2, 4, 4, 8)

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", 2017, section 4.2.
        https://arxiv.org/abs/1710.10196
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        check_positive_number(epsilon, "epsilon")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                "`PixelNormalization` expects an input [batch, ..., channels] of "
                f"rank 2 or more. Received: input shape {tuple(input_shape)}"
            )

    def call(self, inputs, training=None):
        features = ops.cast(inputs, "float32")
        mean_square = ops.mean(ops.square(features), axis=-1, keepdims=True)
        normalized = features * ops.rsqrt(mean_square + self.epsilon)
        return ops.cast(normalized, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "epsilon": self.epsilon}
