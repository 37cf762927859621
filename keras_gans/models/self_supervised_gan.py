"""The self-supervised GAN (catalogue T23, SS-GAN): D also predicts image rotations.

Chen et al. 2019 give the discriminator a second head `Q_D` that classifies which of
four rotations `r in {0, 90, 180, 270}` degrees was applied to its input. Learning
that task keeps D's features informative while the fake distribution moves, which
counters the discriminator forgetting of a non-stationary GAN game. With `x^r` the
image x rotated by r and the rotation cross-entropy

    C(x) = E_{r ~ U{0, 1, 2, 3}} [-log softmax(Q_D(x^r))_r]

(exact over the four rotations: every image is scored in all four), the losses are

    L_D = d_loss(real, fake) + β C(x_real)
    L_G = g_loss(fake, real) + α C(G(z))

with the paper's α = 0.2 and β = 1 (`compile(generator_rotation_weight=...,
discriminator_rotation_weight=...)`). D learns rotations on real images only; G is
rewarded for images whose rotations D can tell, i.e. images with the real data's
orientation cues. Both terms are logged, unweighted, as `d_rotation` and `g_rotation`.

D returns `[logits, rotation_logits]`; `with_rotation_head(discriminator)` adds the
four-way rotation head to any single-output Functional D, on the input of its output
layer (its last hidden features). Rotations act on square channels-last images.

The model is `GAN` with its hooks overridden: `_discriminate` returns the batch D
judged as its "auxiliary output", and `_auxiliary_loss` scores its four rotations
for the player that needs them (real images in the D step, fakes in the G step), so
no rotated batch is computed that a loss does not use.

Reference: Chen, Zhai, Ritter, Lucic & Houlsby 2019, "Self-Supervised GANs via
Auxiliary Rotation Loss", https://arxiv.org/abs/1811.11212
"""

import keras
from keras import ops

from keras_gans._checks import check_integer, check_non_negative_number
from keras_gans.models.gan import GAN

__all__ = [
    "NUM_ROTATIONS",
    "SelfSupervisedGAN",
    "rotate_images",
    "rotation_batch",
    "rotation_loss",
    "with_rotation_head",
]

NUM_ROTATIONS = 4  # 0, 90, 180 and 270 degrees.
# The paper's weights (Chen et al. 2019, section 4): α for G, β for D.
DEFAULT_GENERATOR_ROTATION_WEIGHT = 0.2
DEFAULT_DISCRIMINATOR_ROTATION_WEIGHT = 1.0


def _check_square_images(images):
    shape = tuple(images.shape)
    if len(shape) != 4 or (
        shape[1] is not None and shape[2] is not None and shape[1] != shape[2]
    ):
        raise ValueError(
            "Rotations need square channels-last images [batch, size, size, "
            f"channels]. Received a tensor of shape {shape}."
        )


def rotate_images(images, quarter_turns):
    """Rotates images counter-clockwise by `quarter_turns` × 90 degrees.

    As `np.rot90(image, quarter_turns)` on each `[height, width, channels]` image:
    one quarter turn is a flip of the width axis followed by a transpose of the
    height and width axes.

    Args:
        images: Square images `[batch, size, size, channels]`.
        quarter_turns: A Python int; taken modulo 4.

    Returns:
        The rotated images, of the shape of `images`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> image = np.arange(4.0).reshape(1, 2, 2, 1)  # [[0, 1], [2, 3]]
    >>> ops.convert_to_numpy(rotate_images(image, 1))[0, :, :, 0].tolist()
    [[1.0, 3.0], [0.0, 2.0]]
    """
    quarter_turns = check_integer(quarter_turns, "quarter_turns", minimum=None)
    images = ops.convert_to_tensor(images)
    _check_square_images(images)
    quarter_turns = int(quarter_turns) % NUM_ROTATIONS
    if quarter_turns == 0:
        return images
    if quarter_turns == 2:
        return ops.flip(ops.flip(images, axis=1), axis=2)
    if quarter_turns == 1:
        flipped = ops.flip(images, axis=2)  # [batch, height, width, channels]
        return ops.transpose(flipped, (0, 2, 1, 3))  # [batch, width, height, channels]
    transposed = ops.transpose(images, (0, 2, 1, 3))  # [batch, width, height, channels]
    return ops.flip(transposed, axis=2)


def rotation_batch(images):
    """The four rotations of every image and their rotation labels.

    Args:
        images: Square images `[batch, size, size, channels]`.

    Returns:
        `(rotated_images, rotation_labels)`: `[4 * batch, size, size, channels]`,
        the batch rotated by 0, 90, 180 then 270 degrees, and the int32 labels
        `[4 * batch]` (k for a rotation by k × 90 degrees).

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> rotated, labels = rotation_batch(np.zeros((3, 4, 4, 1), "float32"))
    >>> tuple(rotated.shape), ops.convert_to_numpy(labels).tolist()[::3]
    ((12, 4, 4, 1), [0, 1, 2, 3])
    """
    images = ops.convert_to_tensor(images)
    _check_square_images(images)
    rotated = ops.concatenate(
        [rotate_images(images, k) for k in range(NUM_ROTATIONS)], axis=0
    )  # [4 * batch, size, size, channels]
    batch_size = ops.shape(images)[0]
    labels = ops.repeat(ops.arange(NUM_ROTATIONS, dtype="int32"), batch_size)
    return rotated, labels


def rotation_loss(rotation_labels, rotation_logits):
    """The rotation cross-entropy `mean_i -log softmax(rotation_logits_i)[r_i]`.

    Args:
        rotation_labels: Integer rotations `[n]` in [0, 4).
        rotation_logits: `[n, 4]` logits of D's rotation head (any float dtype).

    Returns:
        The mean, a float32 scalar.

    Example:

    >>> import numpy as np
    >>> round(float(rotation_loss(np.array([2]), np.zeros((1, 4)))), 4)  # log 4
    1.3863
    """
    rotation_logits = ops.cast(rotation_logits, "float32")
    return ops.mean(
        keras.losses.sparse_categorical_crossentropy(
            ops.cast(rotation_labels, "int32"), rotation_logits, from_logits=True
        )
    )


def with_rotation_head(discriminator, seed=None):
    """A copy of the graph of `discriminator` with SS-GAN's 4-way rotation head.

    The head is a Dense layer with 4 outputs on the input of D's output layer (its
    last hidden features), shared by both outputs; D's weights are shared with the
    given model.

    Args:
        discriminator: A Functional `keras.Model` with one input and one output
            whose output layer has a single input tensor.
        seed: Seed of the head's initialiser.

    Returns:
        A Functional `keras.Model` `images -> [logits, rotation_logits]`, with the
        name of `discriminator`.

    Example:

    >>> from keras_gans.architectures import dcgan_discriminator
    >>> discriminator = with_rotation_head(dcgan_discriminator(8, 1, width=4))
    >>> [tuple(output.shape) for output in discriminator.outputs]
    [(None, 1), (None, 4)]
    """
    inputs = getattr(discriminator, "inputs", None)
    outputs = getattr(discriminator, "outputs", None)
    if (
        not isinstance(discriminator, keras.Model)
        or inputs is None
        or len(inputs) != 1
        or outputs is None
        or len(outputs) != 1
    ):
        raise ValueError(
            "`discriminator` should be a Functional keras.Model with one input and "
            f"one output. Received: `discriminator={discriminator!r}` with inputs "
            f"{inputs} and outputs {outputs}."
        )
    output_layer = discriminator.layers[-1]
    hidden = output_layer.input
    if isinstance(hidden, (list, tuple, dict)):
        raise ValueError(
            "The rotation head goes on the input of D's output layer, which should "
            f"be one tensor. Received layer {output_layer.name!r} with inputs "
            f"{hidden}."
        )
    if len(hidden.shape) > 2:
        hidden = keras.layers.Flatten(name="rotation_features")(hidden)
    rotation_logits = keras.layers.Dense(
        NUM_ROTATIONS,
        kernel_initializer=keras.initializers.GlorotUniform(seed),
        name="rotation_logits",
    )(hidden)
    return keras.Model(
        inputs[0], [outputs[0], rotation_logits], name=discriminator.name
    )


@keras.saving.register_keras_serializable(package="keras_gans")
class SelfSupervisedGAN(GAN):
    """SS-GAN: a GAN whose discriminator also learns to predict image rotations.

    The `GAN` model (its losses, penalties and most tricks) with D's rotation
    cross-entropy on the four rotations of the real images added to D's loss
    (weight β) and on those of the generated images added to G's loss (weight α);
    see the module docstring.

    Args:
        generator: A built Keras model `latents -> images` (square, channels last).
        discriminator: A built Keras model `images -> [logits, rotation_logits]`
            with 4 rotation logits (`with_rotation_head` makes one).
        latent_dim: The latent shape without the batch axis. Defaults to the
            generator's input shape.
        seed: Seed of the model's `SeedGenerator`.

    Example:

    >>> from keras_gans import architectures
    >>> gan = SelfSupervisedGAN(
    ...     architectures.dcgan_generator(8, 1, latent_dim=4, width=4, seed=0),
    ...     with_rotation_head(architectures.dcgan_discriminator(8, 1, width=4)),
    ...     seed=0,
    ... )
    >>> gan.compile(loss="hinge")
    >>> gan.generate(2).shape
    (2, 8, 8, 1)

    Reference:
        Chen et al. 2019, https://arxiv.org/abs/1811.11212
    """

    def __init__(self, generator, discriminator, latent_dim=None, seed=None, **kwargs):
        super().__init__(
            generator, discriminator, latent_dim=latent_dim, seed=seed, **kwargs
        )
        outputs = getattr(discriminator, "outputs", None) or []
        if len(outputs) != 2 or outputs[1].shape[-1] != NUM_ROTATIONS:
            raise ValueError(
                "`discriminator` should return `[logits, rotation_logits]` with "
                f"{NUM_ROTATIONS} rotation logits (see `with_rotation_head`). "
                f"Received a discriminator with outputs {outputs}."
            )
        self.generator_rotation_weight = DEFAULT_GENERATOR_ROTATION_WEIGHT
        self.discriminator_rotation_weight = DEFAULT_DISCRIMINATOR_ROTATION_WEIGHT

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        loss="non_saturating",
        *,
        generator_rotation_weight=DEFAULT_GENERATOR_ROTATION_WEIGHT,
        discriminator_rotation_weight=DEFAULT_DISCRIMINATOR_ROTATION_WEIGHT,
        **kwargs,
    ):
        """Configures the GAN as `GAN.compile`, plus the rotation-loss weights.

        Args:
            d_optimizer, g_optimizer, loss: As `GAN.compile`.
            generator_rotation_weight: α, the weight of the rotation loss of the
                generated images in G's loss (0.2 in the paper).
            discriminator_rotation_weight: β, the weight of the rotation loss of
                the real images in D's loss (1 in the paper).
            **kwargs: Every other option of `GAN.compile`, except `packing`,
                `feature_matching`, `unrolled_steps` and `single_loss`, which raise
                a ValueError.
        """
        self.generator_rotation_weight = check_non_negative_number(
            generator_rotation_weight, "generator_rotation_weight"
        )
        self.discriminator_rotation_weight = check_non_negative_number(
            discriminator_rotation_weight, "discriminator_rotation_weight"
        )
        super().compile(d_optimizer, g_optimizer, loss, **kwargs)

    # Its steps add the rotation losses (`_auxiliary_loss`), which the options
    # that replace a step or score packs would bypass.
    family_traits = frozenset({"rotation_losses"})
    model_description = "a SelfSupervisedGAN"

    def _auxiliary_log_names(self):
        return ["d_rotation", "g_rotation"]

    # --- Training: the hooks of GAN ---------------------------------------------------

    def _discriminate(self, inputs, labels):
        del labels
        logits, _ = self.discriminator(inputs, training=True)
        # The judged batch itself: `_auxiliary_loss` rotates it for its player.
        return logits, inputs

    def _rotation_loss(self, images):
        rotated_images, rotation_labels = rotation_batch(images)
        _, rotation_logits = self.discriminator(rotated_images, training=True)
        return rotation_loss(rotation_labels, rotation_logits)

    def _auxiliary_loss(self, player, real, fake, logs):
        if player == "generator":
            value = self._rotation_loss(fake[0])
            logs["g_rotation"] = value
            return self.generator_rotation_weight * value
        value = self._rotation_loss(real[0])
        logs["d_rotation"] = value
        return self.discriminator_rotation_weight * value

    # --- Saving ---------------------------------------------------------------------

    def get_compile_config(self):
        config = super().get_compile_config()
        if config is not None:
            config["generator_rotation_weight"] = self.generator_rotation_weight
            config["discriminator_rotation_weight"] = self.discriminator_rotation_weight
        return config
