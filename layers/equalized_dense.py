"""A dense layer with PGGAN's equalized learning rate."""

import math

import keras
from keras import ops

from ._arguments import check_positive_integer, check_positive_number

# He's gain for ReLU and leaky ReLU layers, the default of `gain`.
RELU_GAIN = math.sqrt(2.0)


@keras.saving.register_keras_serializable(package="keras_gans")
class EqualizedDense(keras.layers.Layer):
    """Dense layer whose weights are stored at unit scale and scaled at run time.

    Adaptive optimisers such as Adam normalise each update by the gradient's
    running scale, so a weight's effective learning rate is relative to its
    own magnitude. With He initialisation the weights of wide layers are
    small and learn relatively faster than those of narrow layers. PGGAN's
    equalized learning rate stores every weight as w ~ N(0, 1) and applies
    He's constant at run time, so all layers learn at the same relative
    speed:

        output = inputs @ (kernel * c) + bias * lr_multiplier
        c = gain / sqrt(fan_in) * lr_multiplier,   fan_in = inputs.shape[-1]

    with the stored kernel initialised N(0, 1 / lr_multiplier^2), so that
    `kernel * c` starts with He's standard deviation gain / sqrt(fan_in). The
    gradient with respect to the stored kernel is c times the gradient with
    respect to the effective kernel. StyleGAN's mapping network uses
    `lr_multiplier=0.01`, which lowers that network's learning rate 100-fold.

    Args:
        units: positive integer, the output dimension.
        gain: positive float, the gain of He's constant; `sqrt(2)` for ReLU
            and leaky ReLU layers, 1 for a linear output layer.
        lr_multiplier: positive float, multiplies the effective learning rate
            of the kernel and the bias.
        use_bias: bool, whether to add a bias (initialised to 0).
        activation: activation applied to the output (name or callable).
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[..., input_dim]`.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[..., units]`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(4, 16)).astype("float32")
    >>> tuple(EqualizedDense(8)(x).shape)
    (4, 8)

    Reference:
        Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for
        Improved Quality, Stability, and Variation", 2017 (section 4.1).
        https://arxiv.org/abs/1710.10196
    """

    def __init__(
        self,
        units,
        gain=RELU_GAIN,
        lr_multiplier=1.0,
        use_bias=True,
        activation=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_integer(units, "units")
        for name, value in (("gain", gain), ("lr_multiplier", lr_multiplier)):
            check_positive_number(value, name)
        if not isinstance(use_bias, bool):
            raise ValueError(
                f"`use_bias` should be a bool. Received: `use_bias={use_bias}`"
            )
        self.units = units
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = use_bias
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if len(input_shape) < 2 or input_dim is None:
            raise ValueError(
                "`EqualizedDense` expects an input of rank >= 2 with a known last "
                f"dimension. Received: input shape {input_shape}"
            )
        self.runtime_scale = self.gain / math.sqrt(input_dim) * self.lr_multiplier
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            name="kernel",
            initializer=keras.initializers.RandomNormal(
                stddev=1.0 / self.lr_multiplier
            ),
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), name="bias", initializer="zeros"
            )

    def call(self, inputs, training=None):
        outputs = ops.matmul(inputs, self.kernel * self.runtime_scale)
        if self.use_bias:
            outputs = outputs + self.bias * self.lr_multiplier
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "units": self.units,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "use_bias": self.use_bias,
            "activation": keras.activations.serialize(self.activation),
        }
        return {**base_config, **config}
