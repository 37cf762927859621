"""A 2-D convolution with PGGAN's equalized learning rate."""

import math

import keras
from keras import ops

from ._arguments import (
    check_positive_integer,
    check_positive_number,
    pair_of_positive_integers,
)

# He's gain for ReLU and leaky ReLU layers, the default of `gain`.
RELU_GAIN = math.sqrt(2.0)


@keras.saving.register_keras_serializable(package="keras_gans")
class EqualizedConv2D(keras.layers.Layer):
    """2-D convolution whose kernel is stored at unit scale and scaled at run time.

    Adaptive optimisers such as Adam normalise each update by the gradient's
    running scale, so a weight's effective learning rate is relative to its
    own magnitude. With He initialisation the kernels of layers with many
    input channels are small and learn relatively faster. PGGAN's equalized
    learning rate stores every weight as w ~ N(0, 1) and applies He's
    constant at run time, so all layers learn at the same relative speed:

        output = conv(inputs, kernel * c) + bias * lr_multiplier
        c = gain / sqrt(fan_in) * lr_multiplier,
        fan_in = kernel_height * kernel_width * input_channels

    with the stored kernel initialised N(0, 1 / lr_multiplier^2), so that
    `kernel * c` starts with He's standard deviation gain / sqrt(fan_in). The
    gradient with respect to the stored kernel is c times the gradient with
    respect to the effective kernel. Channels-last inputs only.

    Args:
        filters: positive integer, the number of output channels.
        kernel_size: positive integer or pair of positive integers.
        strides: positive integer or pair of positive integers. Defaults to 1.
        padding: `"same"` (default) or `"valid"`.
        gain: positive float, the gain of He's constant; `sqrt(2)` for ReLU
            and leaky ReLU layers, 1 for a linear output layer.
        lr_multiplier: positive float, multiplies the effective learning rate
            of the kernel and the bias.
        use_bias: bool, whether to add a bias (initialised to 0).
        activation: activation applied to the output (name or callable).
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, height, width, channels]`.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[batch, new_height, new_width, filters]`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(2, 8, 8, 3)).astype("float32")
    >>> tuple(EqualizedConv2D(16, 3)(x).shape)
    (2, 8, 8, 16)

    Reference:
        Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for
        Improved Quality, Stability, and Variation", 2017 (section 4.1).
        https://arxiv.org/abs/1710.10196
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="same",
        gain=RELU_GAIN,
        lr_multiplier=1.0,
        use_bias=True,
        activation=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_integer(filters, "filters")
        self.kernel_size = pair_of_positive_integers(kernel_size, "kernel_size")
        self.strides = pair_of_positive_integers(strides, "strides")
        if padding not in ("same", "valid"):
            raise ValueError(
                f'`padding` should be "same" or "valid". Received: `padding={padding}`'
            )
        for name, value in (("gain", gain), ("lr_multiplier", lr_multiplier)):
            check_positive_number(value, name)
        if not isinstance(use_bias, bool):
            raise ValueError(
                f"`use_bias` should be a bool. Received: `use_bias={use_bias}`"
            )
        self.filters = filters
        self.padding = padding
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = use_bias
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`EqualizedConv2D` expects a 4-D input [batch, height, width, "
                f"channels] with known channels. Received: input shape {input_shape}"
            )
        input_channels = input_shape[-1]
        fan_in = self.kernel_size[0] * self.kernel_size[1] * input_channels
        self.runtime_scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, input_channels, self.filters),
            name="kernel",
            initializer=keras.initializers.RandomNormal(
                stddev=1.0 / self.lr_multiplier
            ),
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), name="bias", initializer="zeros"
            )

    def call(self, inputs, training=None):
        outputs = ops.conv(
            inputs,
            self.kernel * self.runtime_scale,
            strides=self.strides,
            padding=self.padding,
            data_format="channels_last",
        )
        if self.use_bias:
            outputs = outputs + self.bias * self.lr_multiplier
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        batch_size, height, width, _ = input_shape
        spatial = []
        for size, kernel, stride in zip(
            (height, width), self.kernel_size, self.strides, strict=True
        ):
            if size is None:
                spatial.append(None)
            elif self.padding == "same":
                spatial.append(-(-size // stride))
            else:
                spatial.append((size - kernel) // stride + 1)
        return (batch_size, *spatial, self.filters)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "use_bias": self.use_bias,
            "activation": keras.activations.serialize(self.activation),
        }
        return {**base_config, **config}
