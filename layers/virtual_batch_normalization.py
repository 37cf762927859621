"""Virtual batch normalization: statistics of a fixed reference batch plus x."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class VirtualBatchNormalization(keras.layers.Layer):
    """Virtual batch normalization: each example normalised with a fixed reference.

    Batch normalization makes a generator's output for one latent depend on
    the other latents of its batch, which lets samples within a batch become
    correlated (whole batches of one colour or mode). Virtual batch
    normalization (Salimans et al., 2016, section 3.4) removes that
    dependence: each example is normalised with the statistics of
    {reference batch} + {that example}, where the reference batch is fixed
    once at the start of training. Per feature (mean over the spatial axes
    too, for images), with N reference rows:

        mean_i = (N * mean_reference + mean(x_i)) / (N + 1)
        mean_square_i = (N * mean_reference(x^2) + mean(x_i^2)) / (N + 1)
        variance_i = mean_square_i - mean_i^2
        y_i = gamma * (x_i - mean_i) / sqrt(variance_i + epsilon) + beta

    and the reference rows themselves are normalised with the reference
    batch's own statistics (so on the reference batch this is batch
    normalization).

    How the reference batch reaches the layer: the layer treats the FIRST
    `reference_size` rows of its input as the reference batch and normalises
    the rows after them as examples; its output keeps all rows. The reference
    rows must therefore travel through the whole network, which is what
    `VirtualBatchNormGenerator` does: it prepends a fixed reference latent
    batch to every input batch and strips the reference rows from the
    output, so every VBN layer of the generator sees, at its own depth, the
    activations of the same reference latents. The reference batch is
    present in training and in inference alike, so there are no moving
    statistics and no `momentum`: inference computes exactly what training
    computes. Statistics are computed in float32 under `mixed_float16`.

    Under `tf.distribute`, wrap the generator in `VirtualBatchNormGenerator`
    (each replica then prepends the reference batch inside its own call);
    splitting a raw batch that already carries the reference rows across
    replicas would leave them on the first replica only. An input with no
    more than `reference_size` rows raises a `ValueError` whenever its batch
    size is known when the layer is called or traced (always on JAX). Inside a
    TensorFlow function traced with an unknown batch size, the rows are
    counted when it runs: such an input then fails with an
    `InvalidArgumentError` at the layer's `reference_batch_and_an_example/Slice`
    op, "Expected size[0] in [0, rows], but got reference_size + 1".

    Args:
        reference_size: Positive integer N, the number of leading rows of the
            input that form the reference batch.
        axis: Integer, the feature axis (not the batch axis). Defaults to -1.
        epsilon: Positive float added to the variance. Defaults to `1e-3`.
        center: Whether to add the learned offset beta. Defaults to `True`.
        scale: Whether to multiply by the learned scale gamma. Defaults to
            `True`.
        beta_initializer: Initializer of beta. Defaults to `"zeros"`.
        gamma_initializer: Initializer of gamma. Defaults to `"ones"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A tensor of rank >= 2 whose first `reference_size` rows are
            the reference batch, followed by at least one example.
        training: Unused: training and inference compute the same thing.

    Returns:
        A tensor of the shape of `inputs`: the reference rows normalised with
        the reference statistics, then each example normalised with the
        statistics of the reference batch and itself.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(10, 4, 4, 3)).astype("float32")
    >>> tuple(VirtualBatchNormalization(reference_size=8)(x).shape)
    (10, 4, 4, 3)

    Reference:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498)
    """

    def __init__(
        self,
        reference_size,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (
            not isinstance(reference_size, int)
            or isinstance(reference_size, bool)
            or reference_size < 1
        ):
            raise ValueError(
                "`reference_size` should be a positive integer. "
                f"Received: `reference_size={reference_size}`"
            )
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"`axis` should be an integer. Received: `axis={axis}`")
        if not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(
                f"`epsilon` should be a positive float. Received: `epsilon={epsilon}`"
            )
        self.reference_size = reference_size
        self.axis = axis
        self.epsilon = epsilon
        for name, value in (("center", center), ("scale", scale)):
            if not isinstance(value, bool):
                raise ValueError(
                    f"`{name}` should be a boolean. Received: `{name}={value}`"
                )
        self.center = center
        self.scale = scale
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        # Statistics are computed in float32 from float32 gamma and beta.
        self.autocast = False

    def _feature_axis(self, rank):
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if rank < 2 or axis in (None, 0):
            raise ValueError(
                "`VirtualBatchNormalization` expects an input of rank >= 2 with "
                "`axis` pointing at a feature axis, not the batch axis 0. "
                f"Received: `axis={self.axis}` for an input of rank {rank}"
            )
        return axis

    def build(self, input_shape):
        feature_axis = self._feature_axis(len(input_shape))
        features = input_shape[feature_axis]
        if features is None:
            raise ValueError(
                "`VirtualBatchNormalization` needs a known size of the feature "
                f"axis {self.axis}. Received: input shape {input_shape}"
            )
        self.gamma = None
        self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape=(features,),
                initializer=self.gamma_initializer,
                autocast=False,
                name="gamma",
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(features,),
                initializer=self.beta_initializer,
                autocast=False,
                name="beta",
            )

    def call(self, inputs, training=None):
        rank = len(inputs.shape)
        feature_axis = self._feature_axis(rank)
        rows = inputs.shape[0]
        if rows is not None and rows <= self.reference_size:
            raise ValueError(
                "`VirtualBatchNormalization` expects the reference batch of "
                f"`reference_size={self.reference_size}` rows followed by at "
                f"least one example. Received: an input with {rows} rows"
            )
        x = ops.cast(inputs, "float32")
        # Axes averaged within one example, and then also over the batch.
        example_axes = tuple(a for a in range(1, rank) if a != feature_axis)
        reference_axes = (0, *example_axes)

        # A batch size unknown when traced (TensorFlow) is checked when the
        # layer runs: slicing exactly N + 1 rows fails on an input with fewer.
        with keras.name_scope("reference_batch_and_an_example"):
            head = ops.slice(
                x, (0,) * rank, (self.reference_size + 1, *ops.shape(x)[1:])
            )  # [N + 1, ...]
        # Centring every row on the reference mean changes no variance and
        # keeps E[x^2] - E[x]^2 accurate when features have a large offset.
        reference_mean = ops.mean(
            head[: self.reference_size], axis=reference_axes, keepdims=True
        )  # [1, ...] with 1 on every averaged axis
        centered = x - reference_mean
        reference = centered[: self.reference_size]  # [N, ...]
        examples = centered[self.reference_size :]  # [rows - N, ...]
        reference_variance = ops.mean(
            ops.square(reference), axis=reference_axes, keepdims=True
        )  # [1, ...]
        # Statistics of {reference batch} + {example}, the example weighted
        # 1 / (N + 1); the centred reference has mean 0 and mean square equal
        # to its variance. [rows - N, ...] with 1 on every averaged axis.
        example_weight = 1.0 / (self.reference_size + 1.0)
        mean = example_weight * ops.mean(examples, axis=example_axes, keepdims=True)
        mean_square = (
            1.0 - example_weight
        ) * reference_variance + example_weight * ops.mean(
            ops.square(examples), axis=example_axes, keepdims=True
        )
        # Rounding can make E[x^2] - E[x]^2 slightly negative.
        variance = ops.maximum(mean_square - ops.square(mean), 0.0)
        outputs = ops.concatenate(
            [
                reference * ops.rsqrt(reference_variance + self.epsilon),
                (examples - mean) * ops.rsqrt(variance + self.epsilon),
            ],
            axis=0,
        )  # [rows, ...]
        # gamma and beta broadcast along the feature axis: [1, ..., features, ...]
        broadcast_shape = [1] * rank
        broadcast_shape[feature_axis] = inputs.shape[feature_axis]
        if self.scale:
            outputs = outputs * ops.reshape(
                ops.cast(self.gamma, "float32"), broadcast_shape
            )
        if self.center:
            outputs = outputs + ops.reshape(
                ops.cast(self.beta, "float32"), broadcast_shape
            )
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "reference_size": self.reference_size,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
        }
        return {**base_config, **config}
