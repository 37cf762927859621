"""Maxout: a dense layer whose every unit is the largest of k affine pieces."""

import keras
from keras import ops

from ._arguments import check_positive_integer


@keras.saving.register_keras_serializable(package="keras_gans")
class Maxout(keras.layers.Layer):
    """A dense layer of `units * num_pieces` outputs, then the max over pieces.

    A maxout unit is the upper envelope of k affine functions of its input, a
    learned convex piecewise-linear activation. Goodfellow et al. introduced it
    with dropout; the first GAN paper's discriminators used it, and PacGAN's
    discriminator for the 2-D mixtures is three maxout layers of 200 units with
    5 pieces each (`LinearMaxout` bricks of the Blocks library). For input x of
    dimension d and unit i = 0..units-1:

        z[i, j] = x . W[:, i * k + j] + b[i * k + j],   j = 0..k-1
        h[i] = max_j z[i, j]

    with W of shape `[d, units * k]`: the k pieces of unit i are the consecutive
    columns `i * k, ..., i * k + k - 1` of one dense kernel.

    This is the form with its own kernel, not the parameter-free max over groups
    of the input's last axis: a maxout discriminator needs the affine pieces of
    every layer, and with the kernel inside the layer one `Maxout(200, 5)`
    replaces a `Dense(1000)` and a reshape-and-max, with one initializer for
    all pieces (PacGAN draws every weight from N(0, 0.02^2)). The other form is
    this layer's second half alone: `ops.max(ops.reshape(x, (..., units, k)),
    axis=-1)`.

    Args:
        units: positive int, the number of maxout units (the output dimension).
        num_pieces: positive int, k, the affine pieces per unit.
        use_bias: bool, whether the pieces have biases.
        kernel_initializer: initializer of the `[input_dim, units * num_pieces]`
            kernel.
        bias_initializer: initializer of the `[units * num_pieces]` bias.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[..., input_dim]`.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[..., units]`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(4, 6)).astype("float32")
    >>> tuple(Maxout(units=3, num_pieces=5)(x).shape)
    (4, 3)

    Reference:
        Goodfellow, Warde-Farley, Mirza, Courville and Bengio, "Maxout
        Networks", ICML 2013 (section 3). https://arxiv.org/abs/1302.4389 ;
        its use in a packed discriminator: Lin et al. 2018, "PacGAN",
        https://arxiv.org/abs/1712.04086
    """

    def __init__(
        self,
        units,
        num_pieces,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_integer(units, "units")
        check_positive_integer(num_pieces, "num_pieces")
        if not isinstance(use_bias, bool):
            raise ValueError(
                f"`use_bias` should be a bool. Received: `use_bias={use_bias}`"
            )
        self.units = units
        self.num_pieces = num_pieces
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if len(input_shape) < 2 or input_dim is None:
            raise ValueError(
                "`Maxout` expects an input of rank >= 2 with a known last "
                f"dimension. Received: input shape {tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units * self.num_pieces),
            name="kernel",
            initializer=self.kernel_initializer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units * self.num_pieces,),
                name="bias",
                initializer=self.bias_initializer,
            )

    def call(self, inputs, training=None):
        pieces = ops.matmul(inputs, self.kernel)  # [..., units * num_pieces]
        if self.use_bias:
            pieces = pieces + self.bias
        # [..., units, num_pieces]: unit i's pieces are columns i*k .. i*k + k - 1.
        pieces = ops.reshape(
            pieces, (*ops.shape(inputs)[:-1], self.units, self.num_pieces)
        )
        return ops.max(pieces, axis=-1)  # [..., units]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "units": self.units,
            "num_pieces": self.num_pieces,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
        return {**base_config, **config}
