"""Unrolled GAN (T15): the generator plays against D's future self.

The generator's loss is evaluated against the discriminator after k look-ahead
gradient steps, `θ_D^{i+1} = θ_D^i - η ∇_{θ_D} L_D(θ_G, θ_D^i)` from `θ_D^0 = θ_D`,
and differentiated through those steps:

    ∇_{θ_G} L_G(θ_G, θ_D^k(θ_G, θ_D))

The second-order term tells the generator how the discriminator would react to its
move, which discourages collapsing onto the mode D currently favours. The
first-order option treats θ_D^k as a constant (no gradient through the look-ahead).
The look-ahead is functional (tensors in place of D's variables): D's stored weights
and optimizer state are not changed by it.

The look-ahead steps are plain gradient steps of size η (`learning_rate`): Metz et al.
write the unrolling as gradient steps (eq. 11), while their experiments unroll Adam;
plain steps keep the second-order term smooth (Adam's normalised steps have almost no
second derivative). Under `tf.distribute` each look-ahead gradient is the global-batch
gradient (summed over replicas), so N replicas look ahead exactly as one device does.

Reference: Metz et al. 2017, https://arxiv.org/abs/1611.02163
"""

import keras
from keras import ops

from keras_gans._checks import check_bool, check_integer, check_positive_number
from keras_gans.training import trainer
from keras_gans.training.component import StepComponent
from keras_gans.training.context import substituted_variables

__all__ = ["Unrolled", "look_ahead_variables"]

# The look-ahead's step size η of `GAN.compile(unrolled_learning_rate=...)`.
DEFAULT_LEARNING_RATE = 1e-2


def look_ahead_variables(
    discriminator,
    discriminator_loss,
    real_images,
    generated_images,
    steps,
    learning_rate,
    first_order=False,
    discriminate=None,
):
    """D's trainable values after `steps` functional gradient steps.

    Args:
        discriminator: The discriminator (Keras model); its variables are read, never
            written.
        discriminator_loss: `fn(real_logits, fake_logits) -> scalar`, the replica's
            share of the global-batch loss (already divided by the number of
            replicas).
        real_images, generated_images: The batches D is trained on in the
            look-ahead (the generated ones carry G's gradient).
        steps: k >= 0.
        learning_rate: η.
        first_order: Stop the gradient through the look-ahead.
        discriminate: `fn(images, values, is_real) -> logits`, how D scores a batch
            with `values` in place of its trainable variables (a model family's
            conditioning); defaults to calling `discriminator` itself.

    Returns:
        A list of tensors in the order of `discriminator.trainable_variables`.
    """
    if discriminate is None:

        def discriminate(images, values, is_real):
            del is_real
            with substituted_variables(discriminator, values):
                return discriminator(images, training=True)

    values = [ops.copy(v.value) for v in discriminator.trainable_variables]
    if first_order:
        generated_images = ops.stop_gradient(generated_images)
    for _ in range(steps):
        gradients = trainer.summed_gradients(
            lambda values: discriminator_loss(
                discriminate(real_images, values, True),
                discriminate(generated_images, values, False),
            ),
            values,
        )
        values = [
            value - learning_rate * gradient
            for value, gradient in zip(values, gradients, strict=True)
        ]
        if first_order:
            values = [ops.stop_gradient(value) for value in values]
    return values


@keras.saving.register_keras_serializable(package="keras_gans")
class Unrolled(StepComponent):
    """The unrolled generator loss as a step component of `GAN.compile`.

    Args:
        steps: k >= 1 look-ahead steps.
        learning_rate: η, the look-ahead's step size.
        first_order: Do not differentiate through the look-ahead.
    """

    arguments = {
        "unrolled_steps": 0,
        "unrolled_learning_rate": DEFAULT_LEARNING_RATE,
        "unrolled_first_order": False,
    }
    role = "generator_loss"
    unavailable_in = {
        "conditional": (
            "unrolling a conditional discriminator is not covered by this "
            "library's oracle tests"
        ),
        "rotation_losses": "its steps bypass the rotation losses",
    }

    def __init__(self, steps, learning_rate=DEFAULT_LEARNING_RATE, first_order=False):
        self.steps = check_integer(steps, "unrolled_steps", minimum=1)
        self.learning_rate = check_positive_number(
            learning_rate, "unrolled_learning_rate"
        )
        self.first_order = check_bool(first_order, "unrolled_first_order")

    @classmethod
    def from_arguments(
        cls,
        unrolled_steps=0,
        unrolled_learning_rate=DEFAULT_LEARNING_RATE,
        unrolled_first_order=False,
    ):
        if check_integer(unrolled_steps, "unrolled_steps", minimum=0) == 0:
            return None
        return cls(unrolled_steps, unrolled_learning_rate, unrolled_first_order)

    @classmethod
    def argument_values(cls, components):
        if not components:
            return dict(cls.arguments)
        (unrolled,) = components
        return {
            "unrolled_steps": unrolled.steps,
            "unrolled_learning_rate": unrolled.learning_rate,
            "unrolled_first_order": unrolled.first_order,
        }

    def generator_loss(self, context, real_input, fake_input, labels):
        """G's loss against D after the look-ahead, and no auxiliary outputs."""
        real_labels, generated_labels = labels
        loss = context.adversarial_loss
        values = look_ahead_variables(
            context.model.discriminator,
            lambda real, fake: trainer.replica_share(
                loss.discriminator_loss(real, fake)
            ),
            real_input,
            fake_input,
            self.steps,
            self.learning_rate,
            self.first_order,
            discriminate=lambda images, values, is_real: context.discriminate(
                images, real_labels if is_real else generated_labels, values
            )[0],
        )
        fake_logits, _ = context.discriminate(fake_input, generated_labels, values)
        real_logits = (
            context.discriminate(real_input, real_labels, values)[0]
            if loss.generator_needs_real_logits
            else None
        )
        return loss.generator_loss(fake_logits, real_logits), None

    def get_config(self):
        return {
            "steps": self.steps,
            "learning_rate": self.learning_rate,
            "first_order": self.first_order,
        }
