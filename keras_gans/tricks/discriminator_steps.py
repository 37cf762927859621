"""k discriminator steps per generator step (T12).

The alternating algorithm of Goodfellow et al. 2014 (Algorithm 1) makes k steps of D
for each step of G; WGAN (Arjovsky et al. 2017) uses k = 5 critic steps. Here each
batch of B real images is split into k **strided** parts (`batch[i::k]`), one per D
step, so every D step sees new real images and the split is the same on one device
and on N replicas; the G step generates B / k images. Feed batches of k·B for D steps
of B.

Reference: Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661
"""

import keras

from keras_gans._checks import check_integer
from keras_gans.training.component import StepComponent

__all__ = ["DiscriminatorSteps"]


def _strided_part(values, start, step):
    """`values[start::step]`, or None for None (an unconditional GAN's labels)."""
    return None if values is None else values[start::step]


@keras.saving.register_keras_serializable(package="keras_gans")
class DiscriminatorSteps(StepComponent):
    """The alternating schedule of a GAN step: k D steps, then one G step.

    Every GAN trains under one schedule component: this one (k = 1 when
    `discriminator_steps` is left at its default) or the single loss (T14).

    Args:
        steps: k >= 1.
    """

    arguments = {"discriminator_steps": 1}
    role = "schedule"

    def __init__(self, steps=1):
        self.steps = check_integer(steps, "discriminator_steps")
        self.batch_divisor = self.steps

    @classmethod
    def from_arguments(cls, discriminator_steps=1):
        steps = check_integer(discriminator_steps, "discriminator_steps")
        return None if steps == 1 else cls(steps)

    @classmethod
    def argument_values(cls, components):
        return {"discriminator_steps": components[0].steps if components else 1}

    @staticmethod
    def add_players(model, d_optimizer, g_optimizer, optimizer):
        """One player per network, each with its own optimizer."""
        if optimizer is not None:
            raise ValueError(
                "`optimizer` is the single-loss optimizer (`single_loss=True`); "
                "alternating training takes `d_optimizer` and `g_optimizer`. "
                f"Received: `optimizer={optimizer}`."
            )
        model.players.add(
            "discriminator",
            [model.discriminator],
            d_optimizer or model.default_optimizer,
        )
        model.players.add(
            "generator", [model.generator], g_optimizer or model.default_optimizer
        )

    def run(self, model, context, real_images, real_labels):
        k = self.steps
        for part in range(k):
            model._discriminator_step(
                context, real_images[part::k], _strided_part(real_labels, part, k)
            )
        model._generator_step(
            context, real_images[k - 1 :: k], _strided_part(real_labels, k - 1, k)
        )

    def get_config(self):
        return {"steps": self.steps}
