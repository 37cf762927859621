"""Gated convolution: a learned soft mask on every feature at every pixel."""

import keras
from keras import ops

from ._arguments import check_positive_integer, pair_of_positive_integers

PADDINGS = ("same", "valid")


def _clone_initializer(initializer, seed_offset):
    """A new instance of `initializer`, its integer seed (if any) shifted.

    Keras initializers draw the same values on every call of one instance, so
    the two convolutions each get their own, with different seeds.
    """
    serialized = keras.initializers.serialize(initializer)
    seed = serialized["config"].get("seed")
    if isinstance(seed, int):
        serialized["config"]["seed"] = seed + seed_offset
    return keras.initializers.deserialize(serialized)


@keras.saving.register_keras_serializable(package="keras_gans")
class GatedConv2D(keras.layers.Layer):
    """Convolution whose features are multiplied by a learned gate in (0, 1).

    In image inpainting, a generator sees valid pixels and holes; an ordinary
    convolution treats both alike, and a hand-made binary mask (partial
    convolution) cannot learn which features to trust. A gated convolution
    learns a soft mask per channel and per position, from the same inputs, with
    a second convolution:

        features = conv_f(x)
        gate = sigmoid(conv_g(x))
        output = activation(features) * gate

    The gate lets the network pass or suppress each feature depending on the
    hole, the user's sketch or the layer's own evidence; Yu et al. use it in
    every layer of the coarse and refinement generators, trained with a
    spectrally normalized patch discriminator (SN-PatchGAN).

    Args:
        filters: positive int, the number of output channels.
        kernel_size: positive int or tuple of 2 positive ints.
        strides: positive int or tuple of 2 positive ints. Defaults to 1.
        padding: `"same"` (default) or `"valid"`.
        activation: activation of the features (not of the gate). Defaults
            to `"elu"`, the paper's choice.
        dilation_rate: positive int or tuple of 2 positive ints. Defaults to 1.
        use_bias: bool, whether both convolutions add a bias. Defaults to True.
        kernel_initializer: initializer of both kernels. Defaults to
            `"glorot_uniform"`.
        bias_initializer: initializer of both biases. Defaults to `"zeros"`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, height, width, channels]`, channels last.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[batch, new_height, new_width, filters]`, with the sizes of a
        `keras.layers.Conv2D` of the same arguments.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(2, 8, 8, 4)).astype("float32")
    >>> tuple(GatedConv2D(filters=6, kernel_size=3)(x).shape)
    (2, 8, 8, 6)

    Reference:
        Yu et al., "Free-Form Image Inpainting with Gated Convolution", 2018.
        https://arxiv.org/abs/1806.03589
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="same",
        activation="elu",
        dilation_rate=1,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_integer(filters, "filters")
        if padding not in PADDINGS:
            raise ValueError(
                f"`padding` should be one of {PADDINGS}. Received: `padding={padding}`"
            )
        if not isinstance(use_bias, bool):
            raise ValueError(
                f"`use_bias` should be a bool. Received: `use_bias={use_bias}`"
            )
        self.filters = filters
        self.kernel_size = pair_of_positive_integers(kernel_size, "kernel_size")
        self.strides = pair_of_positive_integers(strides, "strides")
        self.padding = padding
        self.activation = keras.activations.get(activation)
        self.dilation_rate = pair_of_positive_integers(dilation_rate, "dilation_rate")
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        convolution_arguments = {
            "filters": filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": padding,
            "dilation_rate": self.dilation_rate,
            "use_bias": use_bias,
            "dtype": self.dtype_policy,
        }
        self.feature_convolution = keras.layers.Conv2D(
            kernel_initializer=_clone_initializer(self.kernel_initializer, 0),
            bias_initializer=_clone_initializer(self.bias_initializer, 0),
            name="feature_convolution",
            **convolution_arguments,
        )
        self.gate_convolution = keras.layers.Conv2D(
            kernel_initializer=_clone_initializer(self.kernel_initializer, 1),
            bias_initializer=_clone_initializer(self.bias_initializer, 1),
            name="gate_convolution",
            **convolution_arguments,
        )

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`GatedConv2D` expects a 4-D input [batch, height, width, "
                f"channels] with known channels. Received: input shape "
                f"{tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.feature_convolution.build(input_shape)
        self.gate_convolution.build(input_shape)

    def call(self, inputs, training=None):
        features = self.activation(self.feature_convolution(inputs))
        gate = ops.sigmoid(self.gate_convolution(inputs))
        return features * gate

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return self.feature_convolution.compute_output_shape(input_shape)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "activation": keras.activations.serialize(self.activation),
            "dilation_rate": self.dilation_rate,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
        return {**base_config, **config}
