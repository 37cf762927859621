"""Consistency regularisation (CR-GAN, bCR): D should not notice a flip or a shift.

The discriminator is penalised for scoring an image and a semantics-preserving
augmentation T of it differently:

    L_cr = λ_real · E_x ‖D(x) - D(T(x))‖²  +  λ_fake · E_z ‖D(G(z)) - D(T(G(z)))‖²

added to D's loss (G's loss is unchanged). Zhang et al. 2020 (CR-GAN) penalise the
real images only (λ_real = 10, λ_fake = 0); Zhao et al. 2021 (bCR, "balanced") add
the same term on the generated images (λ_real = λ_fake = 10). T is the papers'
augmentation for natural images: a horizontal flip with probability ½ and a
translation by up to `max_shift` pixels in each direction with reflection padding,
drawn per example (replica-aware, from the GAN's seed state). D(·) is D's adversarial
output, through the model family's conditioning (a conditional D scores T(x) with
x's label). Images only: D's input must be `[batch, height, width, channels]`.

References: Zhang et al. 2020, https://arxiv.org/abs/1910.12027; Zhao et al. 2021,
https://arxiv.org/abs/2002.04724
"""

import keras
from keras import ops

from keras_gans._checks import check_integer, check_non_negative_number
from keras_gans.training import trainer
from keras_gans.training.component import StepComponent

__all__ = ["ConsistencyRegularization", "flip_and_translate"]


def flip_and_translate(images, flips, shifts, max_shift):
    """T(images): each image flipped left-right where `flips` is true, then moved
    by its `shifts` (dy, dx) pixels, the uncovered border filled by reflection.

    Args:
        images: `[batch, height, width, channels]`.
        flips: `[batch]` booleans.
        shifts: `[batch, 2]` integers in [-max_shift, max_shift]: rows, columns.
        max_shift: The largest shift (the reflection padding's width).

    Returns:
        The augmented images, `[batch, height, width, channels]`.

    Example:

    >>> import numpy as np
    >>> image = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> moved = flip_and_translate(image, np.array([False]), np.array([[0, 1]]), 1)
    >>> np.asarray(moved)[0, :, :, 0].tolist()  # one column left: x' = x + 1
    [[1.0, 2.0, 1.0], [4.0, 5.0, 4.0], [7.0, 8.0, 7.0]]
    """
    images = ops.convert_to_tensor(images)
    flipped = ops.where(
        ops.reshape(flips, (-1, 1, 1, 1)), ops.flip(images, axis=2), images
    )
    if max_shift == 0:
        return flipped
    height, width = images.shape[1], images.shape[2]
    s = max_shift
    # [batch, height + 2s, width + 2s, channels]
    padded = ops.pad(flipped, ((0, 0), (s, s), (s, s), (0, 0)), mode="reflect")
    shifts = ops.cast(shifts, "int32")
    # Output pixel (i, j) reads padded pixel (i + s + dy, j + s + dx).
    rows = ops.arange(height)[None, :] + s + shifts[:, 0:1]  # [batch, height]
    columns = ops.arange(width)[None, :] + s + shifts[:, 1:2]  # [batch, width]
    picked_rows = ops.take_along_axis(padded, rows[:, :, None, None], axis=1)
    return ops.take_along_axis(picked_rows, columns[:, None, :, None], axis=2)


@keras.saving.register_keras_serializable(package="keras_gans")
class ConsistencyRegularization(StepComponent):
    """The consistency-regularisation option of `GAN.compile`.

    Args:
        real_weight: λ_real (10 in both papers).
        fake_weight: λ_fake: 0 is CR-GAN, 10 is bCR.
        max_shift: The largest translation in pixels (None: an eighth of the image
            width, rounded up, as the papers' few pixels on 32×32 images).

    Example:

    >>> ConsistencyRegularization(fake_weight=10.0).fake_weight
    10.0
    """

    arguments = {"consistency_regularization": None}

    def __init__(self, real_weight=10.0, fake_weight=0.0, max_shift=None):
        self.real_weight = check_non_negative_number(real_weight, "real_weight")
        self.fake_weight = check_non_negative_number(fake_weight, "fake_weight")
        if self.real_weight == self.fake_weight == 0:
            raise ValueError(
                "`real_weight` and `fake_weight` are both 0: the term would be 0. "
                "Give one a positive weight."
            )
        self.max_shift = check_integer(
            max_shift, "max_shift", minimum=0, allow_none=True
        )

    @classmethod
    def from_arguments(cls, consistency_regularization=None):
        """A weight λ_real (CR-GAN) or a `ConsistencyRegularization`."""
        return cls.from_option(
            consistency_regularization,
            "consistency_regularization",
            lambda weight: cls(real_weight=weight),
        )

    def log_names(self):
        return ["consistency"]

    def build(self, model):
        shape = getattr(model.discriminator, "input_shape", None)
        if isinstance(shape, list):  # [images, labels]: a conditional D
            shape = shape[0]
        if shape is not None and len(shape) != 4:
            raise ValueError(
                "Consistency regularisation flips and shifts images: D's input "
                "should be [batch, height, width, channels]. Received a "
                f"discriminator with input shape {shape}."
            )

    def augment(self, images, seed_generator):
        """T(images) with this replica's rows of a global-batch draw."""
        batch_size, width = ops.shape(images)[0], images.shape[2]
        max_shift = -(-width // 8) if self.max_shift is None else self.max_shift
        flips = trainer.uniform_for_replica((batch_size,), seed_generator) < 0.5
        shifts = ops.floor(
            trainer.uniform_for_replica(
                (batch_size, 2), seed_generator, 0.0, 2.0 * max_shift + 1.0
            )
        )
        shifts = ops.minimum(ops.cast(shifts, "int32"), 2 * max_shift) - max_shift
        return flip_and_translate(images, flips, shifts, max_shift)

    def _term(self, context, images, labels):
        logits = ops.cast(context.discriminate(images, labels)[0], "float32")
        augmented = self.augment(images, context.seed_generator)
        moved = ops.cast(context.discriminate(augmented, labels)[0], "float32")
        # ‖D(x) - D(T(x))‖² per example, then the batch mean.
        squared = ops.reshape(ops.square(logits - moved), (ops.shape(logits)[0], -1))
        return ops.mean(ops.sum(squared, axis=1))

    def loss_terms(self, context, player, real_input, fake_input, labels):
        if player != "discriminator":
            return 0.0
        real_labels, generated_labels = labels
        value = 0.0
        if self.real_weight:
            value += self.real_weight * self._term(context, real_input, real_labels)
        if self.fake_weight:
            value += self.fake_weight * self._term(
                context, fake_input, generated_labels
            )
        context.logs["consistency"] = value
        return value

    def get_config(self):
        return {
            "real_weight": self.real_weight,
            "fake_weight": self.fake_weight,
            "max_shift": self.max_shift,
        }
