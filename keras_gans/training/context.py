"""The step context: what a step component sees of the training step in progress.

`StepContext.discriminate` is the one way a component reaches D: it calls the model
family's own `_discriminate` (which feeds a conditional D its labels, or takes the
adversarial head of a multi-head D), optionally with other values in place of D's
trainable variables (the unrolled look-ahead, T15). No component calls D directly,
so none can bypass the family's conditioning.
"""

import contextlib

import keras

__all__ = ["StepContext", "substituted_variables"]


@contextlib.contextmanager
def substituted_variables(model, values):
    """Within the block, calls of `model` read `values` (tensors, in the order of
    `model.trainable_variables`) in place of its trainable variables; the
    variables themselves, and any state the calls would update (batch-norm
    statistics, power-iteration vectors), are left unchanged."""
    mapping = list(zip(model.trainable_variables, values, strict=True))
    with keras.StatelessScope(state_mapping=mapping):
        yield


class StepContext:
    """The training step in progress, as the step components see it.

    Args:
        model: The GAN being trained.
        logs: The step's logs (name -> value or `(value, weight)`), which the
            components add to.
    """

    def __init__(self, model, logs):
        self.model = model
        self.logs = logs

    @property
    def seed_generator(self):
        """The model's `SeedGenerator`: every random draw of the step uses it."""
        return self.model.seed_generator

    @property
    def adversarial_loss(self):
        return self.model.adversarial_loss

    def player(self, name):
        """The `trainer.Player` named `name` ("discriminator", "generator")."""
        return self.model.players[name]

    def discriminate(self, inputs, labels, variables=None):
        """`(logits, auxiliary_outputs)` of D for `inputs` and their `labels`
        (None for an unconditional GAN), through the family's conditioning; with
        `variables`, D's trainable variables are replaced by those values."""
        if variables is None:
            return self.model._discriminate(inputs, labels)
        with substituted_variables(self.model.discriminator, variables):
            return self.model._discriminate(inputs, labels)

    def discriminator_for(self, labels):
        """D's adversarial logits as a function of images alone, `labels` fixed:
        what a gradient penalty differentiates with respect to its input."""

        def scores(images, training=True):
            del training  # Always the training-mode D of the step.
            return self.discriminate(images, labels)[0]

        return scores
