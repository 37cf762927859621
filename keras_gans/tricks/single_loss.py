"""Single-loss stop_gradient training (T14): one optimizer, one scalar loss.

The two players' losses fold into one objective over the union of their parameters:

    L = d_loss(D(x), D(sg(G(z)))) + λ · [g_loss(D(G(z))) - g_loss(D(sg(G(z))))]

where sg is stop_gradient. The bracket's value is 0 and its gradient with respect to
D's parameters cancels (both terms see the same D at the same inputs), while its
gradient with respect to G's parameters is ∇_G g_loss (the second term has none). So
∇_D L = ∇_D d_loss and ∇_G L = λ ∇_G g_loss: one optimizer step moves both players
with their own gradients, **simultaneously** rather than alternately (the generator
sees the discriminator of before this step, not after it).

Consequences: TTUR (different learning rates for D and G) needs the two-optimizer mode;
λ sets G's step relative to D's only for optimizers without per-parameter scale
invariance (SGD). Adam divides each parameter's gradient by its own running RMS, so
with Adam λ cancels out (up to ε) and both players take Adam steps of the same size.

Reference: Su Jianlin's stop_gradient GAN code,
https://github.com/bojone/gan; on simultaneous vs alternating updates, Mescheder et
al. 2017, https://arxiv.org/abs/1705.10461
"""

import keras
from keras import ops

from keras_gans._checks import check_positive_number
from keras_gans.training.component import StepComponent

__all__ = ["SingleLoss", "single_loss", "single_loss_objective"]


def single_loss_objective(
    discriminator_loss, generator_loss, stopped_generator_loss, generator_weight=1.0
):
    """`d_loss + λ · [g_loss - g_loss(sg)]`, float32: T14's scalar from the
    discriminator's loss (on the stopped fakes) and the generator's loss on the
    fakes with and without their gradient to G."""
    bracket = ops.cast(generator_loss, "float32") - ops.cast(
        stopped_generator_loss, "float32"
    )
    return ops.cast(discriminator_loss, "float32") + generator_weight * bracket


def single_loss(
    loss,
    real_logits,
    fake_logits,
    stopped_fake_logits,
    generator_weight=1.0,
    generator_loss=None,
    stopped_generator_loss=None,
):
    """The single scalar objective of T14.

    Args:
        loss: A `GANLoss` (any of L1-L8).
        real_logits: `D(x)`.
        fake_logits: `D(G(z))`, with gradients to G and D.
        stopped_fake_logits: `D(sg(G(z)))`: the same values, no gradient to G.
        generator_weight: λ.
        generator_loss, stopped_generator_loss: The generator's loss for the two
            fake branches when it is not `loss.generator_loss` (feature matching);
            give both or neither.

    Returns:
        (objective, discriminator_loss, generator_loss) float32 scalars; the last two
        are for the logs.

    Example:

    >>> import numpy as np
    >>> from keras_gans import losses
    >>> real, fake = np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    >>> objective, d_loss, g_loss = single_loss(losses.get("hinge"), real, fake, fake)
    >>> float(objective) == float(d_loss)  # the bracket's value is 0
    True
    """
    d_loss = loss.discriminator_loss(real_logits, stopped_fake_logits)
    if generator_loss is None:
        real_for_generator = real_logits if loss.generator_needs_real_logits else None
        generator_loss = loss.generator_loss(fake_logits, real_for_generator)
        stopped_generator_loss = loss.generator_loss(
            stopped_fake_logits, real_for_generator
        )
    objective = single_loss_objective(
        d_loss, generator_loss, stopped_generator_loss, generator_weight
    )
    return objective, d_loss, generator_loss


@keras.saving.register_keras_serializable(package="keras_gans")
class SingleLoss(StepComponent):
    """The single-loss schedule of `GAN.compile(single_loss=True)` (T14): one
    optimizer over both networks and one simultaneous step on `single_loss`'s
    objective per batch.

    Args:
        generator_weight: λ, G's share of the objective.
    """

    arguments = {"single_loss": False, "generator_loss_weight": 1.0}
    role = "schedule"
    excludes = {
        argument: (
            "`single_loss=True` makes one simultaneous step per batch, so it has no "
            "separate discriminator steps or look-ahead."
        )
        for argument in ("discriminator_steps", "unrolled_steps")
    }
    unavailable_in = {
        "auxiliary_classifier": "its class loss has no stop-gradient form here",
        "rotation_losses": "its steps bypass the rotation losses",
    }

    def __init__(self, generator_weight=1.0):
        self.generator_weight = check_positive_number(
            generator_weight, "generator_loss_weight"
        )

    @classmethod
    def from_arguments(cls, single_loss=False, generator_loss_weight=1.0):
        return cls(generator_loss_weight) if single_loss else None

    @classmethod
    def argument_values(cls, components):
        if not components:
            return dict(cls.arguments)
        return {
            "single_loss": True,
            "generator_loss_weight": components[0].generator_weight,
        }

    @staticmethod
    def add_players(model, d_optimizer, g_optimizer, optimizer):
        """One player over both networks with the one optimizer."""
        if d_optimizer is not None or g_optimizer is not None:
            raise ValueError(
                "With `single_loss=True` one optimizer trains both players: give "
                "`optimizer`, not `d_optimizer`/`g_optimizer`. Received: "
                f"`d_optimizer={d_optimizer}`, `g_optimizer={g_optimizer}`."
            )
        model.players.add(
            "players",
            [model.discriminator, model.generator],
            optimizer or model.default_optimizer,
        )

    def run(self, model, context, real_images, real_labels):
        model._single_loss_step(
            context, real_images, real_labels, self.generator_weight
        )

    def get_config(self):
        return {"generator_weight": self.generator_weight}
