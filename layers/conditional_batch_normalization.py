"""Batch normalisation whose scale and offset depend on a class or a vector."""

import keras
from keras import ops

from ._arguments import check_positive_number

CONDITIONING_MODES = ("labels", "vector")


@keras.saving.register_keras_serializable(package="keras_gans")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalisation with a per-class (or per-vector) learned scale and offset.

    A class-conditional generator has to change its features with the class
    it draws. Conditional batch normalisation does this in every layer at
    little cost: the features are normalised with the batch statistics, with
    no affine transform of their own, and each sample is then scaled and
    shifted by parameters chosen by its condition y:

        output = gamma(y) * (x - mean) / sqrt(variance + epsilon) + beta(y)

    With `conditioning="labels"` (SNGAN, SAGAN), y is an integer class and
    gamma(y), beta(y) are rows of two learned embeddings of shape
    `[num_classes, channels]`, initialised to 1 and 0. With
    `conditioning="vector"` (BigGAN's shared embedding), y is a float vector
    (for example a shared class embedding concatenated with a chunk of the
    latent) and gamma(y) = 1 + y W_gamma, beta(y) = y W_beta, two linear maps
    without bias.

    The mean and variance are taken over every axis but the last (channels
    last), in float32. In training the batch statistics are used and the
    moving averages are updated, `moving = momentum * moving + (1 - momentum)
    * batch`; in inference the moving averages are used. Under
    `tf.distribute`, each replica normalises with its own batch statistics and
    the moving averages are averaged across replicas. Labels outside
    `[0, num_classes)` are not checked inside the graph: TensorFlow's gather
    raises an error for them on CPU, JAX returns NaN.

    Args:
        num_classes: positive integer, the number of classes, with
            `conditioning="labels"`. Must be None with `"vector"`.
        conditioning: `"labels"` (default) or `"vector"`.
        momentum: float in [0, 1), the momentum of the moving statistics.
        epsilon: positive float added to the variance. Defaults to 1e-5
            (BigGAN's value).
        kernel_initializer: initializer of W_gamma and W_beta with
            `conditioning="vector"`. Defaults to `"glorot_uniform"`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a list `[x, condition]`: x is a float tensor
            `[batch, ..., channels]`; condition is an integer tensor of labels
            `[batch]` or `[batch, 1]` (`"labels"`), or a float tensor
            `[batch, condition_dim]` (`"vector"`).
        training: bool; batch statistics (and moving-average updates) if True,
            moving statistics if False.

    Returns:
        A tensor of the shape of x.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(4, 8, 8, 16)).astype("float32")
    >>> labels = np.array([0, 3, 1, 3])
    >>> tuple(ConditionalBatchNormalization(num_classes=10)([x, labels]).shape)
    (4, 8, 8, 16)

    Reference:
        de Vries et al., "Modulating early visual processing by language",
        2017, https://arxiv.org/abs/1707.00683; Dumoulin, Shlens and Kudlur,
        https://arxiv.org/abs/1610.07629; Brock, Donahue and Simonyan,
        "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
        2018, https://arxiv.org/abs/1809.11096
    """

    def __init__(
        self,
        num_classes=None,
        conditioning="labels",
        momentum=0.99,
        epsilon=1e-5,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if conditioning not in CONDITIONING_MODES:
            raise ValueError(
                '`conditioning` should be "labels" or "vector". '
                f"Received: `conditioning={conditioning}`"
            )
        if conditioning == "labels" and (
            isinstance(num_classes, bool)
            or not isinstance(num_classes, int)
            or num_classes < 1
        ):
            raise ValueError(
                "`num_classes` should be a positive integer with "
                '`conditioning="labels"`. '
                f"Received: `num_classes={num_classes}`"
            )
        if conditioning == "vector" and num_classes is not None:
            raise ValueError(
                '`num_classes` should be None with `conditioning="vector"` (the '
                "condition is a vector). "
                f"Received: `num_classes={num_classes}`"
            )
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
        self.num_classes = num_classes
        self.conditioning = conditioning
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _check_input_list(self, inputs, what):
        is_pair = isinstance(inputs, (list, tuple)) and len(inputs) == 2
        if is_pair and what == "shapes":
            # A single shape is also a tuple: a pair of shapes holds sequences.
            is_pair = all(isinstance(shape, (list, tuple)) for shape in inputs)
        if not is_pair:
            raise ValueError(
                "`ConditionalBatchNormalization` expects two inputs [x, condition]. "
                f"Received: input {what} {inputs}"
            )

    def build(self, input_shape):
        self._check_input_list(input_shape, "shapes")
        features_shape, condition_shape = (tuple(shape) for shape in input_shape)
        if len(features_shape) < 2 or features_shape[-1] is None:
            raise ValueError(
                "`ConditionalBatchNormalization` expects x of rank >= 2 with known "
                f"channels. Received: x shape {features_shape}"
            )
        if self.conditioning == "labels":
            if len(condition_shape) not in (1, 2) or (
                len(condition_shape) == 2 and condition_shape[1] != 1
            ):
                raise ValueError(
                    "Labels should have shape [batch] or [batch, 1]. "
                    f"Received: labels shape {condition_shape}"
                )
        elif len(condition_shape) != 2 or condition_shape[1] is None:
            raise ValueError(
                "The condition vector should have shape [batch, condition_dim]. "
                f"Received: condition shape {condition_shape}"
            )
        channels = features_shape[-1]
        if self.conditioning == "labels":
            self.gamma_embeddings = self.add_weight(
                shape=(self.num_classes, channels),
                name="gamma_embeddings",
                initializer="ones",
                autocast=False,
            )
            self.beta_embeddings = self.add_weight(
                shape=(self.num_classes, channels),
                name="beta_embeddings",
                initializer="zeros",
                autocast=False,
            )
        else:
            self.gamma_kernel = self.add_weight(
                shape=(condition_shape[1], channels),
                name="gamma_kernel",
                initializer=self.kernel_initializer,
                autocast=False,
            )
            self.beta_kernel = self.add_weight(
                shape=(condition_shape[1], channels),
                name="beta_kernel",
                initializer=self.kernel_initializer,
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
        self._check_input_list(inputs, "values")
        features, condition = inputs
        features = ops.cast(features, "float32")
        rank = len(features.shape)
        if training:
            mean, variance = ops.moments(features, axes=list(range(rank - 1)))
            self.moving_mean.assign(
                self.momentum * self.moving_mean + (1.0 - self.momentum) * mean
            )
            self.moving_variance.assign(
                self.momentum * self.moving_variance + (1.0 - self.momentum) * variance
            )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        normalized = (features - mean) * ops.rsqrt(variance + self.epsilon)

        if self.conditioning == "labels":
            labels = ops.reshape(ops.cast(condition, "int32"), (-1,))  # [batch]
            gamma = ops.take(self.gamma_embeddings, labels, axis=0)  # [batch, C]
            beta = ops.take(self.beta_embeddings, labels, axis=0)  # [batch, C]
        else:
            condition = ops.cast(condition, "float32")
            gamma = 1.0 + ops.matmul(condition, self.gamma_kernel)  # [batch, C]
            beta = ops.matmul(condition, self.beta_kernel)  # [batch, C]
        # [batch, 1, ..., 1, C], broadcast over the spatial axes of x.
        broadcast_shape = (-1, *([1] * (rank - 2)), features.shape[-1])
        gamma = ops.reshape(gamma, broadcast_shape)
        beta = ops.reshape(beta, broadcast_shape)
        return ops.cast(gamma * normalized + beta, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape, "shapes")
        return tuple(input_shape[0])

    def get_config(self):
        base_config = super().get_config()
        config = {
            "num_classes": self.num_classes,
            "conditioning": self.conditioning,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**base_config, **config}
