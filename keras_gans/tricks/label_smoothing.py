"""One-sided label smoothing and label flipping (T4) for the discriminator's targets.

With real target α < 1 and fake target 0, the discriminator that minimises the
cross-entropy is no longer `p_data / (p_data + p_model)` but
`α p_data / (p_data + p_model)`: it stops short of full confidence on real data, which
keeps its gradients to the generator informative. Smoothing the fake target too
("two-sided") would give `(α p_data + β p_model) / (p_data + p_model)`, which rewards
the generator for samples where the data has none; Salimans et al. therefore smooth the
real side only. Targets may also be drawn per example from a range (e.g. [0.7, 1.2]),
and a fraction of the examples may have their real and fake targets swapped
("flipping").

Targets apply to the losses whose discriminator loss is a regression on a target: the
sigmoid cross-entropy of L1-L3 and the least squares of L4 (where target t stands for
`a + t (b - a)`). Hinge, Wasserstein and the relativistic losses have no target.

Reference: Salimans et al. 2016, section 3.4, https://arxiv.org/abs/1606.03498
"""

import keras
from keras import ops

from keras_gans import losses as gan_losses
from keras_gans._checks import check_rate
from keras_gans.training import trainer
from keras_gans.training.component import StepComponent

__all__ = ["LabelSmoothing", "smoothed_discriminator_loss"]

_CROSS_ENTROPY_LOSSES = ("minimax", "non_saturating", "maximum_likelihood")


def _target_range(argument, value):
    """`value` (a number or a (low, high) pair) as a (low, high) pair of floats."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if (
        len(pair) != 2
        or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair
        )
        or pair[0] > pair[1]
    ):
        raise ValueError(
            f"`{argument}` should be a number or a (low, high) pair with low <= high. "
            f"Received: `{argument}={value!r}`."
        )
    return float(pair[0]), float(pair[1])


@keras.saving.register_keras_serializable(package="keras_gans")
class LabelSmoothing(StepComponent):
    """The discriminator's targets: smoothed, randomised and flipped (T4).

    As a step component (`GAN.compile(label_smoothing=...)`) it replaces D's
    adversarial loss by `smoothed_discriminator_loss` with targets drawn each step.

    Args:
        real_target: The real examples' target α: a number (0.9 in the paper) or a
            (low, high) range to draw from uniformly per example (e.g. (0.7, 1.2)).
        fake_target: The fake examples' target: 0.0 (one-sided, the paper's choice), or
            a number / range for two-sided smoothing (for comparison).
        flip_probability: Probability that an example's real and fake targets are
            swapped (drawn per example, independently for the real and the fake
            batch).

    Example:

    >>> smoothing = LabelSmoothing(real_target=0.9)
    >>> smoothing.real_target, smoothing.fake_target
    ((0.9, 0.9), (0.0, 0.0))
    """

    arguments = {"label_smoothing": None}
    role = "discriminator_loss"

    def __init__(self, real_target=0.9, fake_target=0.0, flip_probability=0.0):
        self.real_target = _target_range("real_target", real_target)
        self.fake_target = _target_range("fake_target", fake_target)
        check_rate(flip_probability, "flip_probability", include_high=True)
        self.flip_probability = float(flip_probability)

    def _draw(self, target, batch_size, seed):
        low, high = target
        if low == high:
            return ops.full((batch_size,), low, dtype="float32")
        return trainer.uniform_for_replica((batch_size,), seed, low, high)

    def _flip(self, own, other, batch_size, seed):
        if self.flip_probability == 0.0:
            return own
        flips = trainer.uniform_for_replica((batch_size,), seed)
        return ops.where(flips < self.flip_probability, other, own)

    def targets(self, batch_size, seed):
        """Per-example (real_targets, fake_targets), each `[batch_size]` float32.

        Args:
            batch_size: This replica's batch size.
            seed: A `keras.random.SeedGenerator`; draws are replica-aware (see
                `keras_gans.training.trainer`).
        """
        real = self._draw(self.real_target, batch_size, seed)
        fake = self._draw(self.fake_target, batch_size, seed)
        real_targets = self._flip(real, fake, batch_size, seed)
        fake_targets = self._flip(fake, real, batch_size, seed)
        return real_targets, fake_targets

    @classmethod
    def from_arguments(cls, label_smoothing=None):
        """A real target (0.9), a (low, high) range, or a `LabelSmoothing`."""
        return cls.from_option(
            label_smoothing, "label_smoothing", lambda target: cls(real_target=target)
        )

    def check(self, loss):
        self.check_loss(loss)

    def discriminator_loss(self, model, real_logits, fake_logits):
        """D's loss against this step's drawn targets."""
        real_targets, fake_targets = self.targets(
            ops.shape(real_logits)[0], model.seed_generator
        )
        return smoothed_discriminator_loss(
            model.adversarial_loss, real_logits, fake_logits, real_targets, fake_targets
        )

    def check_loss(self, loss):
        """Raises if `loss` (a `GANLoss`) has no targets to smooth."""
        if loss.name in _CROSS_ENTROPY_LOSSES or isinstance(
            loss, gan_losses.LeastSquaresLoss
        ):
            return
        raise ValueError(
            "Label smoothing needs a discriminator loss with targets: "
            f"{', '.join(_CROSS_ENTROPY_LOSSES)} (cross-entropy) or least_squares. "
            f"Received: `loss={loss.name!r}`."
        )

    def get_config(self):
        return {
            "real_target": list(self.real_target),
            "fake_target": list(self.fake_target),
            "flip_probability": self.flip_probability,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _per_example(targets, logits):
    """`targets` [batch] broadcast against `logits` [batch, ...]."""
    return ops.reshape(targets, (-1,) + (1,) * (len(logits.shape) - 1))


def smoothed_discriminator_loss(
    loss, real_logits, fake_logits, real_targets, fake_targets
):
    """The discriminator loss of `loss` with per-example targets.

    Cross-entropy (L1-L3): `mean(t softplus(-l) + (1 - t) softplus(l))` on each side,
    which is `mean(softplus(-l_r)) + mean(softplus(l_f))` for targets 1 and 0.
    Least squares (L4, targets a for fake and b for real): `½ mean(l - (a + t (b-a)))²`
    on each side.

    Args:
        loss: A `GANLoss` accepted by `LabelSmoothing.check_loss`.
        real_logits, fake_logits: D's logits `[batch, ...]`.
        real_targets, fake_targets: Targets `[batch]` in the 0 = fake, 1 = real scale.

    Returns:
        A float32 scalar.

    Example:

    >>> import numpy as np
    >>> from keras_gans import losses
    >>> value = smoothed_discriminator_loss(
    ...     losses.get("non_saturating"), np.zeros(2), np.zeros(2), np.ones(2),
    ...     np.zeros(2))
    >>> round(float(value), 4)  # 2 log 2
    1.3863
    """
    real_logits = ops.cast(real_logits, "float32")
    fake_logits = ops.cast(fake_logits, "float32")
    real_targets = _per_example(ops.cast(real_targets, "float32"), real_logits)
    fake_targets = _per_example(ops.cast(fake_targets, "float32"), fake_logits)
    if isinstance(loss, gan_losses.LeastSquaresLoss):
        span = loss.real_target - loss.fake_target
        real_goal = loss.fake_target + real_targets * span
        fake_goal = loss.fake_target + fake_targets * span
        return 0.5 * ops.mean(ops.square(real_logits - real_goal)) + 0.5 * ops.mean(
            ops.square(fake_logits - fake_goal)
        )

    def cross_entropy(logits, targets):
        return ops.mean(
            targets * ops.softplus(-logits) + (1.0 - targets) * ops.softplus(logits)
        )

    return cross_entropy(real_logits, real_targets) + cross_entropy(
        fake_logits, fake_targets
    )
