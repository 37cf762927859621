"""A generator wrapper that feeds a fixed reference batch to its VBN layers."""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class VirtualBatchNormGenerator(keras.Model):
    """A generator wrapper that feeds a fixed reference batch to its VBN layers.

    `VirtualBatchNormalization` normalises every example with the statistics
    of a fixed reference batch plus that example, and reads the reference
    batch from the first `reference_size` rows of its input. This model makes
    that hold for an ordinary Keras generator: it keeps a fixed batch of N
    reference latents (a non-trainable weight, drawn once from a seeded
    standard normal or given as an array), prepends it to every batch of
    latents, runs the generator on the N + batch rows and returns the output
    rows after the first N. Every VBN layer of the generator (built with
    `reference_size=N`) thus sees the activations of the same reference
    latents, in `model.fit`, in `predict` and in a custom training step, on
    every replica of a `tf.distribute` strategy (each replica prepends the
    reference batch inside its own call), and an example's output does not
    depend on the other examples of its batch.

    Cost: every call is a forward (and in training a backward) pass over
    N + batch rows instead of batch rows, about (N + batch) / batch times the
    cost of the plain generator: twice the cost for N equal to the batch
    size, as in the paper (which therefore used VBN in the generator only).
    Since the reference batch is always present, inference computes exactly
    what training computes and needs no moving statistics.

    Only single-input generators are supported (the latent vector).

    Args:
        generator: A Keras model or layer mapping a batch of latents to
            samples; its `VirtualBatchNormalization` layers must have
            `reference_size` equal to the size of the reference batch.
        reference_latents: Either an array of reference latents
            [N, *latent_shape], or a positive integer N: N latents are then
            drawn from a standard normal distribution with `seed`.
        latent_shape: Shape of one latent, needed with an integer
            `reference_latents` when the generator does not declare its
            input shape (a subclassed model). Defaults to the generator's
            input shape without the batch axis.
        seed: Optional integer, the seed of the reference latents' draw.
        **kwargs: Base model keyword arguments, such as `name`.

    Call arguments:
        inputs: A batch of latents [batch, *latent_shape].
        training: Passed to the generator.

    Returns:
        The generator's output for `inputs`, [batch, ...].

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from keras_gans.layers import VirtualBatchNormalization
    >>> generator = keras.Sequential(
    ...     [
    ...         keras.Input(shape=(8,)),
    ...         keras.layers.Dense(16),
    ...         VirtualBatchNormalization(reference_size=4),
    ...         keras.layers.ReLU(),
    ...         keras.layers.Dense(2),
    ...     ]
    ... )
    >>> wrapped = VirtualBatchNormGenerator(generator, reference_latents=4, seed=1)
    >>> z = np.random.normal(size=(3, 8)).astype("float32")
    >>> tuple(wrapped(z).shape)
    (3, 2)

    Reference:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498)
    """

    def __init__(
        self, generator, reference_latents, latent_shape=None, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        if not isinstance(generator, keras.layers.Layer):
            raise ValueError(
                "`generator` should be a Keras model or layer. "
                f"Received: `generator={generator}`"
            )
        if seed is not None and not isinstance(seed, int):
            raise ValueError(
                f"`seed` should be an integer or None. Received: `seed={seed}`"
            )
        if isinstance(reference_latents, int) and not isinstance(
            reference_latents, bool
        ):
            if reference_latents < 1:
                raise ValueError(
                    "`reference_latents` should be a positive integer or an "
                    f"array. Received: `reference_latents={reference_latents}`"
                )
            reference_size = reference_latents
            if latent_shape is None:
                latent_shape = self._generator_latent_shape(generator)
            initializer = keras.initializers.RandomNormal(stddev=1.0, seed=seed)
            initial_value = None
        else:
            initial_value = np.asarray(reference_latents, dtype="float32")
            if initial_value.ndim < 2 or initial_value.shape[0] < 1:
                raise ValueError(
                    "`reference_latents` should be a positive integer or an "
                    "array [reference_size, *latent_shape]. Received: an array "
                    f"of shape {initial_value.shape}"
                )
            if latent_shape is not None and tuple(latent_shape) != tuple(
                initial_value.shape[1:]
            ):
                raise ValueError(
                    "`latent_shape` should match the shape of one reference "
                    f"latent {initial_value.shape[1:]}. Received: "
                    f"`latent_shape={latent_shape}`"
                )
            reference_size = initial_value.shape[0]
            latent_shape = initial_value.shape[1:]
            initializer = "zeros"
        self.generator = generator
        self.reference_size = reference_size
        self.latent_shape = tuple(int(size) for size in latent_shape)
        self.seed = seed
        self.reference_latents = self.add_weight(
            shape=(reference_size, *self.latent_shape),
            initializer=initializer,
            dtype="float32",
            trainable=False,
            autocast=False,
            name="reference_latents",
        )
        if initial_value is not None:
            self.reference_latents.assign(initial_value)

    @staticmethod
    def _generator_latent_shape(generator):
        input_shape = getattr(generator, "input_shape", None)
        if not isinstance(input_shape, tuple) or None in input_shape[1:]:
            raise ValueError(
                "`latent_shape` is needed with an integer `reference_latents` "
                "when the generator does not declare a single input of known "
                f"shape. Received: generator input shape {input_shape}"
            )
        return input_shape[1:]

    def call(self, inputs, training=None):
        reference = ops.cast(self.reference_latents, inputs.dtype)
        latents = ops.concatenate([reference, inputs], axis=0)  # [N + batch, ...]
        outputs = self.generator(latents, training=training)
        return keras.tree.map_structure(
            lambda output: output[self.reference_size :],  # [batch, ...]
            outputs,
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "generator": keras.saving.serialize_keras_object(self.generator),
            # The size only: the latents themselves are saved as a weight.
            "reference_latents": self.reference_size,
            "latent_shape": list(self.latent_shape),
            "seed": self.seed,
        }
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(
            config.pop("generator"), custom_objects=custom_objects
        )
        return cls(generator, **config)
