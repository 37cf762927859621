"""Minibatch standard deviation: the batch's variety as an extra feature map."""

import keras
from keras import ops

from ._arguments import check_positive_integer

# Added to the variance before the square root, as in StyleGAN2.
VARIANCE_EPSILON = 1e-8


@keras.saving.register_keras_serializable(package="keras_gans")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the standard deviation over groups of samples as extra channels.

    A generator that produces too little variety is hard to catch sample by
    sample. This layer, placed near the end of the discriminator, gives every
    sample a summary of how much the samples around it vary: the batch is split
    into groups of `group_size` samples, the standard deviation of every
    feature is taken over each group, averaged over the features, and appended
    as a constant feature map. Real batches vary more than a collapsed
    generator's, and the discriminator can use the difference. It is the
    parameter-free simplification of minibatch discrimination introduced by
    progressive GANs and kept by StyleGAN and StyleGAN2.

    With G the group size (clamped to the batch: min(group_size, batch)),
    n = batch / G groups and the channels split into F = num_channels groups
    of c = channels / F consecutive channels, sample i belongs to group
    i mod n (samples i, i + n, i + 2n, ...), and for each channel group f:

        std[g, p, f, k] = sqrt(mean over the G samples of the group of
                               (x - group mean)^2 + 1e-8)
        feature[g, f] = mean of std over all positions p and the c channels k
        output[i] = concat(x[i], feature[i mod n, :] at every position)

    The statistics are computed in float32 whatever the layer's dtype policy.
    The batch is the one the layer sees: under `tf.distribute.MirroredStrategy`,
    each replica's share of the global batch.

    Args:
        group_size: positive int, the number of samples per group. Clamped to
            the batch size when the batch is smaller. The batch size must be a
            multiple of the clamped group size.
        num_channels: positive int, F: the number of channels added. The input
            channels must be a multiple of it.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, ..., channels]`, channels last (for
            images `[batch, height, width, channels]`; `[batch, features]`
            works too). A batch that is not a multiple of
            min(group_size, batch), or channels that are not a multiple of
            `num_channels`, raise a `ValueError`; when the batch is unknown
            until run time (a TensorFlow graph with a dynamic batch), an
            indivisible batch fails in the reshape instead.
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[batch, ..., channels + num_channels]`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(8, 4, 4, 16)).astype("float32")
    >>> tuple(MinibatchStdDev(group_size=4, num_channels=1)(x).shape)
    (8, 4, 4, 17)

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", 2017, section 3.
        https://arxiv.org/abs/1710.10196 ; the grouped, multi-channel version:
        Karras et al., "Analyzing and Improving the Image Quality of
        StyleGAN", 2019, https://arxiv.org/abs/1912.04958
    """

    def __init__(self, group_size=4, num_channels=1, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("group_size", group_size), ("num_channels", num_channels)):
            check_positive_integer(value, name)
        self.group_size = group_size
        self.num_channels = num_channels

    def _check_input_shape(self, input_shape):
        channels = input_shape[-1] if len(input_shape) >= 2 else None
        if channels is None:
            raise ValueError(
                "`MinibatchStdDev` expects an input [batch, ..., channels] of rank "
                f"2 or more with known channels. Received: input shape "
                f"{tuple(input_shape)}"
            )
        if channels % self.num_channels:
            raise ValueError(
                f"The input channels ({channels}) should be a multiple of "
                f"`num_channels`. Received: `num_channels={self.num_channels}` "
                f"and input shape {tuple(input_shape)}"
            )
        batch_size = input_shape[0]
        if batch_size is not None:
            group_size = min(self.group_size, batch_size)
            if batch_size % group_size:
                raise ValueError(
                    f"The batch size ({batch_size}) should be a multiple of the "
                    f"group size min(group_size, batch size) = {group_size}. "
                    f"Received: `group_size={self.group_size}` and a batch of "
                    f"{batch_size}"
                )

    def build(self, input_shape):
        self._check_input_shape(input_shape)

    def call(self, inputs, training=None):
        self._check_input_shape(inputs.shape)
        batch_size = ops.shape(inputs)[0]
        if isinstance(batch_size, int):
            group_size = min(self.group_size, batch_size)
        else:
            group_size = ops.minimum(self.group_size, batch_size)
        num_groups = batch_size // group_size
        channels_per_group = inputs.shape[-1] // self.num_channels
        # [group_size, num_groups, positions, num_channels, channels_per_group]
        grouped = ops.reshape(
            ops.cast(inputs, "float32"),
            (group_size, num_groups, -1, self.num_channels, channels_per_group),
        )
        deviations = grouped - ops.mean(grouped, axis=0, keepdims=True)
        # [num_groups, positions, num_channels, channels_per_group]
        variance = ops.mean(ops.square(deviations), axis=0)
        stddev = ops.sqrt(variance + VARIANCE_EPSILON)
        # [num_groups, num_channels]
        group_features = ops.mean(stddev, axis=(1, 3))
        # Sample i gets the features of group i mod num_groups.
        # [group_size, num_groups, num_channels]
        per_sample = ops.zeros_like(grouped[:, :, 0, :, 0]) + group_features
        # [batch, 1, ..., 1, num_channels]
        per_sample = ops.reshape(
            per_sample, (-1, *([1] * (len(inputs.shape) - 2)), self.num_channels)
        )
        # [batch, ..., num_channels]
        feature_maps = ops.zeros_like(inputs[..., : self.num_channels]) + ops.cast(
            per_sample, self.compute_dtype
        )
        return ops.concatenate([inputs, feature_maps], axis=-1)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return (*input_shape[:-1], input_shape[-1] + self.num_channels)

    def get_config(self):
        base_config = super().get_config()
        config = {"group_size": self.group_size, "num_channels": self.num_channels}
        return {**base_config, **config}
