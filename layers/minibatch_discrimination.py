"""Minibatch discrimination: features that compare each sample with the batch."""

import keras
from keras import ops

from ._arguments import check_positive_integer


@keras.saving.register_keras_serializable(package="keras_gans")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends to each sample's features its closeness to the other samples.

    A discriminator that looks at one sample at a time cannot tell that a
    generator has collapsed onto a few outputs: each of them may look real.
    Minibatch discrimination lets it look at the whole batch. Each sample's
    features `x_i` (A of them) are projected by a learned tensor `T` of shape
    [A, B, C] to B rows of C numbers, `M_i = x_i T`; for each row b the layer
    measures how close sample i is to every other sample j of the batch and
    adds these closenesses up:

        c_b(i, j) = exp(-sum_k |M_i[b, k] - M_j[b, k]|)
        o(x_i)_b = sum over j != i of c_b(i, j)
        output_i = concat(x_i, o(x_i))

    Samples far from all others get o near 0; a batch of n identical samples
    gets o = n - 1 in every row, the largest value possible. A collapsed batch
    of generated samples is thus easy to tell from a varied real batch, and
    the generator is pushed to keep its samples apart.

    The pairwise differences are computed for all pairs at once, so memory
    grows with batch^2 x B x C (a batch of 64 with B = 100, C = 5 holds 2M
    floats). The batch is the one the layer sees: under
    `tf.distribute.MirroredStrategy`, each replica's share of the global batch.
    The statistics are computed in float32 whatever the layer's dtype policy.

    A batch of one has no other sample to compare with, so the layer refuses
    it (ValueError) whenever the batch size is known when it is called or
    traced (always on JAX). Under TensorFlow a function traced with an unknown
    batch size cannot check it: there a batch of one gets o = 0 in every row,
    the empty sum, which is the value of a sample far from all others. This is
    what `predict` gives the last row of 33 with `batch_size=32`; score
    samples in batches of at least 2 (e.g. a batch size that divides their
    number). The features of any sample depend on the rest of its batch, so
    scores from different batch compositions differ.

    Args:
        num_kernels: positive int, B: the number of minibatch features added.
        kernel_dim: positive int, C: the size of each projected row.
        kernel_initializer: initializer of `T`. Defaults to `"random_normal"`
            (mean 0, standard deviation 0.05).
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, features]` with a batch of at least 2
            (see above for a batch of one whose size is not known statically).
        training: unused; the layer behaves the same in training and inference.

    Returns:
        A tensor `[batch, features + num_kernels]`: the inputs followed by the
        minibatch features.

    Example:

    >>> import numpy as np
    >>> x = np.random.normal(size=(8, 16)).astype("float32")
    >>> tuple(MinibatchDiscrimination(num_kernels=5, kernel_dim=3)(x).shape)
    (8, 21)

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", 2016, section
        3.2. https://arxiv.org/abs/1606.03498
    """

    def __init__(
        self, num_kernels, kernel_dim, kernel_initializer="random_normal", **kwargs
    ):
        super().__init__(**kwargs)
        for name, value in (("num_kernels", num_kernels), ("kernel_dim", kernel_dim)):
            check_positive_integer(value, name)
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                "`MinibatchDiscrimination` expects a 2-D input [batch, features] "
                f"with known features. Received: input shape {tuple(input_shape)}"
            )
        if input_shape[0] is not None and input_shape[0] < 2:
            raise ValueError(
                "`MinibatchDiscrimination` compares each sample with the others "
                "and needs a batch of at least 2. Received: a batch of "
                f"{input_shape[0]} (input shape {tuple(input_shape)})"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        # Kept in float32 under mixed precision: the distances are statistics.
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.num_kernels, self.kernel_dim),
            initializer=self.kernel_initializer,
            name="kernel",
            autocast=False,
        )

    def call(self, inputs, training=None):
        self._check_input_shape(inputs.shape)
        features = ops.cast(inputs, "float32")
        kernel = ops.cast(self.kernel, "float32")
        # [batch, num_kernels, kernel_dim]
        projected = ops.einsum("na,abc->nbc", features, kernel)
        # [batch, batch, num_kernels, kernel_dim]
        differences = ops.expand_dims(projected, 1) - ops.expand_dims(projected, 0)
        # [batch, batch, num_kernels]
        closeness = ops.exp(-ops.sum(ops.abs(differences), axis=-1))
        # Each sample's pair with itself has distance 0 and closeness exactly 1.
        # [batch, num_kernels]
        minibatch_features = ops.sum(closeness, axis=1) - 1.0
        return ops.concatenate(
            [inputs, ops.cast(minibatch_features, self.compute_dtype)], axis=-1
        )

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return (input_shape[0], input_shape[1] + self.num_kernels)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**base_config, **config}
