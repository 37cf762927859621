"""Switchable normalisation: a learned mix of instance, layer and batch statistics."""

import keras
from keras import ops

from ._arguments import check_positive_number

# Order of the statistics in `mean_weights` and `variance_weights`.
STATISTICS = ("instance", "layer", "batch")


@keras.saving.register_keras_serializable(package="keras_gans")
class SwitchableNormalization(keras.layers.Layer):
    """Normalises with a learned softmax mix of instance, layer and batch statistics.

    Which normalisation suits a GAN layer is an empirical question: batch
    normalisation couples the samples of a batch (and behaves differently in
    training and inference), instance normalisation removes per-image
    contrast that style and image-to-image models rely on, layer
    normalisation sits in between. Switchable normalisation lets every layer
    learn its own answer. For a channels-last input x of shape
    [batch, height, width, channels] it computes the means and variances
    over (height, width) per sample and channel (IN), over (height, width,
    channels) per sample (LN) and over (batch, height, width) per channel (BN),
    and mixes them with two separate softmax weightings:

        mean = sum_k softmax(mean_weights)_k * mean_k
        variance = sum_k softmax(variance_weights)_k * variance_k
        output = gamma * (x - mean) / sqrt(variance + epsilon) + beta

    for k in (IN, LN, BN), in that order. The mixing logits start equal (a
    uniform mix). In training the BN statistics come from the batch and
    update moving averages, `moving = momentum * moving + (1 - momentum) *
    batch`; in inference the moving averages replace them (IN and LN
    statistics are always those of the sample). All variances are biased
    (divided by the count), and all statistics are computed in float32. Under
    `tf.distribute` each replica uses its own batch statistics and the moving
    averages are averaged across replicas. For instance normalisation alone,
    use `keras.layers.GroupNormalization(groups=-1)`.

    Args:
        momentum: float in [0, 1), the momentum of the moving BN statistics.
            Defaults to 0.997 (the authors' code).
        epsilon: positive float added to the variance. Defaults to 1e-5.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, height, width, channels]` (channels last).
        training: bool; batch statistics (and moving-average updates) if True,
            moving statistics for the BN part if False.

    Returns:
        A tensor of the shape of `inputs`.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(4, 8, 8, 16)).astype("float32")
    >>> tuple(SwitchableNormalization()(x).shape)
    (4, 8, 8, 16)

    Reference:
        Luo, Ren, Peng, Zhang and Li, "Differentiable Learning-to-Normalize
        via Switchable Normalization", 2018. https://arxiv.org/abs/1806.10779
    """

    def __init__(self, momentum=0.997, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float))
            or not 0 <= momentum < 1
        ):
            raise ValueError(
                "`momentum` should be a number in [0, 1). "
                f"Received: `momentum={momentum}`"
            )
        check_positive_number(epsilon, "epsilon")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`SwitchableNormalization` expects a 4-D input [batch, height, "
                f"width, channels] with known channels. Received: input shape "
                f"{input_shape}"
            )
        channels = input_shape[-1]
        self.gamma = self.add_weight(
            shape=(channels,), name="gamma", initializer="ones", autocast=False
        )
        self.beta = self.add_weight(
            shape=(channels,), name="beta", initializer="zeros", autocast=False
        )
        self.mean_weights = self.add_weight(
            shape=(len(STATISTICS),),
            name="mean_weights",
            initializer="ones",
            autocast=False,
        )
        self.variance_weights = self.add_weight(
            shape=(len(STATISTICS),),
            name="variance_weights",
            initializer="ones",
            autocast=False,
        )
        self.moving_mean = self.add_weight(
            shape=(channels,),
            name="moving_mean",
            initializer="zeros",
            trainable=False,
            autocast=False,
            aggregation="mean",
        )
        self.moving_variance = self.add_weight(
            shape=(channels,),
            name="moving_variance",
            initializer="ones",
            trainable=False,
            autocast=False,
            aggregation="mean",
        )

    def call(self, inputs, training=None):
        features = ops.cast(inputs, "float32")
        # [batch, 1, 1, channels] each
        instance_mean, instance_variance = ops.moments(
            features, axes=[1, 2], keepdims=True
        )
        # [batch, 1, 1, 1] each
        layer_mean, layer_variance = ops.moments(
            features, axes=[1, 2, 3], keepdims=True
        )
        if training:
            # [channels] each
            batch_mean, batch_variance = ops.moments(features, axes=[0, 1, 2])
            self.moving_mean.assign(
                self.momentum * self.moving_mean + (1.0 - self.momentum) * batch_mean
            )
            self.moving_variance.assign(
                self.momentum * self.moving_variance
                + (1.0 - self.momentum) * batch_variance
            )
        else:
            batch_mean, batch_variance = self.moving_mean, self.moving_variance
        mean_mix = ops.softmax(self.mean_weights)
        variance_mix = ops.softmax(self.variance_weights)
        mean = (
            mean_mix[0] * instance_mean
            + mean_mix[1] * layer_mean
            + mean_mix[2] * batch_mean
        )  # [batch, 1, 1, channels]
        variance = (
            variance_mix[0] * instance_variance
            + variance_mix[1] * layer_variance
            + variance_mix[2] * batch_variance
        )  # [batch, 1, 1, channels]
        normalized = (features - mean) * ops.rsqrt(variance + self.epsilon)
        return ops.cast(self.gamma * normalized + self.beta, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        base_config = super().get_config()
        config = {"momentum": self.momentum, "epsilon": self.epsilon}
        return {**base_config, **config}
