"""Resize-then-convolve upsampling, free of transposed-convolution checkerboards."""

import keras

from ._arguments import check_positive_integer, pair_of_positive_integers

INTERPOLATIONS = ("nearest", "bilinear")


@keras.saving.register_keras_serializable(package="keras_gans")
class UpsampleConv2D(keras.layers.Layer):
    """Upsamples by resizing the image, then applies a stride-1 convolution.

    A transposed convolution whose kernel size is not a multiple of its stride
    covers some output pixels more often than others, and generators built
    from it print a checkerboard pattern into their images, which the
    discriminator can then use. Resizing first (nearest neighbour or bilinear)
    and convolving after, with "same" padding, gives every output pixel the
    same number of contributions:

        output = conv2d(resize(inputs, scale), kernel) + bias

    It costs `scale^2` times the multiply-adds of a convolution at the input
    resolution, like a transposed convolution of the same kernel size.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: positive int or tuple of 2 positive ints.
        scale: positive int, the upsampling factor of height and width.
            Defaults to 2.
        interpolation: `"nearest"` (default) or `"bilinear"`.
        activation: activation of the convolution. Defaults to None (linear).
        use_bias: bool, whether the convolution adds a bias. Defaults to True.
        kernel_initializer: initializer of the convolution kernel. Defaults to
            `"glorot_uniform"`.
        bias_initializer: initializer of the bias. Defaults to `"zeros"`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, height, width, channels]`, channels last.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[batch, height * scale, width * scale, filters]`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(2, 4, 4, 8)).astype("float32")
    >>> tuple(UpsampleConv2D(filters=3, kernel_size=3)(x).shape)
    (2, 8, 8, 3)

    Reference:
        Odena, Dumoulin and Olah, "Deconvolution and Checkerboard Artifacts",
        Distill, 2016. https://distill.pub/2016/deconv-checkerboard/
    """

    def __init__(
        self,
        filters,
        kernel_size,
        scale=2,
        interpolation="nearest",
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("filters", filters), ("scale", scale)):
            check_positive_integer(value, name)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"`interpolation` should be one of {INTERPOLATIONS}. "
                f"Received: `interpolation={interpolation}`"
            )
        if not isinstance(use_bias, bool):
            raise ValueError(
                f"`use_bias` should be a bool. Received: `use_bias={use_bias}`"
            )
        self.filters = filters
        self.kernel_size = pair_of_positive_integers(kernel_size, "kernel_size")
        self.scale = scale
        self.interpolation = interpolation
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.upsampling = keras.layers.UpSampling2D(
            size=scale,
            interpolation=interpolation,
            dtype=self.dtype_policy,
            name="upsampling",
        )
        self.convolution = keras.layers.Conv2D(
            filters,
            self.kernel_size,
            padding="same",
            activation=self.activation,
            use_bias=use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            dtype=self.dtype_policy,
            name="convolution",
        )

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`UpsampleConv2D` expects a 4-D input [batch, height, width, "
                f"channels] with known channels. Received: input shape "
                f"{tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.upsampling.build(input_shape)
        self.convolution.build(self.upsampling.compute_output_shape(input_shape))

    def call(self, inputs, training=None):
        return self.convolution(self.upsampling(inputs))

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return self.convolution.compute_output_shape(
            self.upsampling.compute_output_shape(input_shape)
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
        return {**base_config, **config}
