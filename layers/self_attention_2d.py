"""SAGAN's self-attention block for channels-last feature maps."""

import keras
from keras import ops

from ._arguments import check_positive_integer


@keras.saving.register_keras_serializable(package="keras_gans")
class SelfAttention2D(keras.layers.Layer):
    """Self-attention over the positions of a feature map, gated by a learned scale.

    Convolutions only relate nearby pixels, so a convolutional generator
    struggles with structure that spans the image (four legs on a dog, two
    symmetric eyes) and a convolutional discriminator cannot check it. SAGAN
    adds an attention block that lets every position draw on every other
    position. With 1x1 convolutions (matrix products over channels, no bias)
    f(x) = x W_f and g(x) = x W_g to C / key_divisor channels, h(x) = x W_h to
    C / value_divisor channels and an output convolution W_o back to C:

        attention[j, i] = softmax over i of ( g(x_j) . f(x_i) )
        o_j = ( sum_i attention[j, i] h(x_i) ) W_o
        output_j = x_j + gamma * o_j

    where j runs over the H * W query positions and i over the key positions
    (the layer's weights: `query_kernel` is W_g, `key_kernel` W_f,
    `value_kernel` W_h, `output_kernel` W_o).
    gamma is a learned scalar initialised to 0: the block starts as the
    identity and the network learns how much non-local evidence to use. As in
    the SAGAN reference code, the keys f(x) and values h(x) are 2x2
    max-pooled (`downsample_keys=True`), which divides the attention cost by 4;
    set it to False for the paper's full attention. SAGAN puts spectral
    normalisation on W_f, W_g, W_h and W_o; this layer does not (its kernels
    are plain weights).

    Cost: the attention matrix has (H * W) x (H * W / 4) entries per sample,
    so use the block on feature maps of 32 x 32 or smaller.

    Args:
        key_divisor: positive integer; f and g project to
            `channels // key_divisor` channels. Defaults to 8 (SAGAN).
        value_divisor: positive integer; h projects to
            `channels // value_divisor` channels. Defaults to 2 (the SAGAN and
            BigGAN reference code).
        downsample_keys: bool; 2x2 max-pool the keys and values (the SAGAN
            reference code, default True). Needs height and width of at least 2;
            odd sizes drop the last row or column of the pooled map.
        kernel_initializer: initializer of the four 1x1 kernels. Defaults to
            `"glorot_uniform"` (the reference code's Xavier initialisation).
        gamma_initializer: initializer of gamma. Defaults to `"zeros"`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, height, width, channels]` (channels last).
        return_attention_scores: bool; if True also return the attention
            matrix.

    Returns:
        A tensor of the shape of `inputs`; with `return_attention_scores=True`,
        the pair `(outputs, attention)` with attention
        `[batch, height * width, num_keys]`, each row summing to 1, where
        `num_keys` is `height * width`, or `(height // 2) * (width // 2)` with
        `downsample_keys=True`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(2, 8, 8, 16)).astype("float32")
    >>> tuple(SelfAttention2D()(x).shape)
    (2, 8, 8, 16)

    Reference:
        Zhang, Goodfellow, Metaxas and Odena, "Self-Attention Generative
        Adversarial Networks", 2018. https://arxiv.org/abs/1805.08318
    """

    def __init__(
        self,
        key_divisor=8,
        value_divisor=2,
        downsample_keys=True,
        kernel_initializer="glorot_uniform",
        gamma_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("key_divisor", key_divisor),
            ("value_divisor", value_divisor),
        ):
            check_positive_integer(value, name)
        if not isinstance(downsample_keys, bool):
            raise ValueError(
                "`downsample_keys` should be a bool. "
                f"Received: `downsample_keys={downsample_keys}`"
            )
        self.key_divisor = key_divisor
        self.value_divisor = value_divisor
        self.downsample_keys = downsample_keys
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`SelfAttention2D` expects a 4-D input [batch, height, width, "
                f"channels] with known channels. Received: input shape {input_shape}"
            )
        channels = input_shape[-1]
        if channels < max(self.key_divisor, self.value_divisor):
            raise ValueError(
                f"`SelfAttention2D` needs at least {self.key_divisor} channels "
                f"(`key_divisor`) and {self.value_divisor} (`value_divisor`). "
                f"Received: input shape {input_shape}"
            )
        if self.downsample_keys and any(
            size is not None and size < 2 for size in input_shape[1:3]
        ):
            raise ValueError(
                "`downsample_keys=True` needs height and width of at least 2. "
                f"Received: input shape {input_shape}"
            )
        key_channels = channels // self.key_divisor
        value_channels = channels // self.value_divisor
        self.query_kernel = self.add_weight(
            shape=(channels, key_channels),
            name="query_kernel",
            initializer=self.kernel_initializer,
        )
        self.key_kernel = self.add_weight(
            shape=(channels, key_channels),
            name="key_kernel",
            initializer=self.kernel_initializer,
        )
        self.value_kernel = self.add_weight(
            shape=(channels, value_channels),
            name="value_kernel",
            initializer=self.kernel_initializer,
        )
        self.output_kernel = self.add_weight(
            shape=(value_channels, channels),
            name="output_kernel",
            initializer=self.kernel_initializer,
        )
        self.gamma = self.add_weight(
            shape=(), name="gamma", initializer=self.gamma_initializer
        )

    def call(self, inputs, return_attention_scores=False):
        batch_size, height, width, _ = ops.shape(inputs)
        # 1x1 convolutions: [batch, H, W, key_channels] for queries and keys,
        # [batch, H, W, value_channels] for values.
        queries = ops.matmul(inputs, self.query_kernel)
        keys = ops.matmul(inputs, self.key_kernel)
        values = ops.matmul(inputs, self.value_kernel)
        if self.downsample_keys:
            keys = ops.max_pool(keys, pool_size=2, strides=2, padding="valid")
            values = ops.max_pool(values, pool_size=2, strides=2, padding="valid")
        key_channels = ops.shape(keys)[-1]
        value_channels = ops.shape(values)[-1]
        # [batch, H * W, key_channels]
        queries = ops.reshape(queries, (batch_size, -1, key_channels))
        # [batch, num_keys, key_channels]
        keys = ops.reshape(keys, (batch_size, -1, key_channels))
        # [batch, num_keys, value_channels]
        values = ops.reshape(values, (batch_size, -1, value_channels))
        # Softmax in float32 so that float16 logits cannot overflow.
        logits = ops.matmul(
            ops.cast(queries, "float32"),
            ops.transpose(ops.cast(keys, "float32"), (0, 2, 1)),
        )  # [batch, H * W, num_keys]
        attention = ops.softmax(logits, axis=-1)
        attended = ops.matmul(
            ops.cast(attention, self.compute_dtype), values
        )  # [batch, H * W, value_channels]
        # [batch, H, W, value_channels]
        attended = ops.reshape(attended, (batch_size, height, width, value_channels))
        outputs = inputs + self.gamma * ops.matmul(attended, self.output_kernel)
        if return_attention_scores:
            return outputs, ops.cast(attention, self.compute_dtype)
        return outputs

    def _num_keys(self, height, width):
        if height is None or width is None:
            return None
        if self.downsample_keys:
            return (height // 2) * (width // 2)
        return height * width

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_output_spec(self, inputs, return_attention_scores=False):
        outputs = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        if not return_attention_scores:
            return outputs
        batch_size, height, width, _ = inputs.shape
        num_queries = None if height is None or width is None else height * width
        attention = keras.KerasTensor(
            (batch_size, num_queries, self._num_keys(height, width)),
            dtype=self.compute_dtype,
        )
        return outputs, attention

    def get_config(self):
        base_config = super().get_config()
        config = {
            "key_divisor": self.key_divisor,
            "value_divisor": self.value_divisor,
            "downsample_keys": self.downsample_keys,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
        }
        return {**base_config, **config}
