"""Adversarial losses L1-L8: one contract for every GAN objective.

The discriminator (critic) returns **raw logits**, higher meaning "more real". Every
loss here is a pair of pure functions with the same contract, so that one training
step serves them all (the compare_gan idea):

    discriminator_loss(real_logits, fake_logits) -> scalar
    generator_loss(fake_logits, real_logits) -> scalar

`real_logits = D(x)` and `fake_logits = D(G(z))` may have any rank >= 1 (per-example
scores of shape `[batch]` or `[batch, 1]`, or PatchGAN maps `[batch, h, w, 1]`); each
loss averages over every element. Sigmoid-based losses use the numerically stable
softplus form, `-log(sigmoid(t)) = softplus(-t)`, so they never take the log of 0.

A `GANLoss` bundles the two functions under a name; `get(name)` returns a registered
one. Under `tf.distribute` the batch means here are per replica; the GAN model divides
by the number of replicas so gradients average over the global batch. The relativistic
average losses (L8) use the *per-replica* mean of the other side's logits, the same
approximation BatchNormalization makes per replica.

References:
- L1, L2: Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661
- L3: Goodfellow 2016 (NIPS tutorial), section 3.2.3, https://arxiv.org/abs/1701.00160
- L4: Mao et al. 2017, https://arxiv.org/abs/1611.04076
- L5: Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875
- L6: Lim & Ye 2017, https://arxiv.org/abs/1705.02894
- L7, L8: Jolicoeur-Martineau 2018, https://arxiv.org/abs/1807.00734
"""

import keras
from keras import ops

__all__ = [
    "GANLoss",
    "LeastSquaresLoss",
    "get",
    "names",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "non_saturating_generator_loss",
    "maximum_likelihood_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "relativistic_discriminator_loss",
    "relativistic_generator_loss",
    "relativistic_average_discriminator_loss",
    "relativistic_average_generator_loss",
    "relativistic_average_least_squares_discriminator_loss",
    "relativistic_average_least_squares_generator_loss",
    "relativistic_average_hinge_discriminator_loss",
    "relativistic_average_hinge_generator_loss",
]


def _as_float(logits):
    """Logits as a float32 tensor (losses are computed in float32 under mixed
    precision)."""
    return ops.cast(ops.convert_to_tensor(logits), "float32")


# --- L1 / L2: minimax and non-saturating (Goodfellow 2014) ---------------------------


def minimax_discriminator_loss(real_logits, fake_logits):
    """Cross-entropy of D: `mean(-log D(x)) + mean(-log(1 - D(G(z))))`.

    In logits: `mean(softplus(-real_logits)) + mean(softplus(fake_logits))`. Shared by
    L1 (minimax), L2 (non-saturating) and L3 (maximum likelihood).
    """
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def minimax_generator_loss(fake_logits, real_logits=None):
    """L1, the saturating minimax G loss: `mean(log(1 - D(G(z))))` =
    `mean(-softplus(l_f))`.

    Its gradient with respect to `l_f` is `-sigmoid(l_f)`, which vanishes when D
    confidently rejects the samples (`l_f -> -inf`): the reason L2 exists.
    """
    del real_logits  # Not used by this loss; kept for the common contract.
    return -ops.mean(ops.softplus(_as_float(fake_logits)))


def non_saturating_generator_loss(fake_logits, real_logits=None):
    """L2, the non-saturating G loss: `mean(-log D(G(z)))` = `mean(softplus(-l_f))`.

    Same fixed point as L1, but its gradient `sigmoid(l_f) - 1` stays near -1 when D
    rejects the samples, so G learns early in training.
    """
    del real_logits
    return ops.mean(ops.softplus(-_as_float(fake_logits)))


def maximum_likelihood_generator_loss(fake_logits, real_logits=None):
    """L3, maximum-likelihood G loss: `-0.5 * mean(exp(l_f))`.

    `exp(sigmoid^-1(D)) = D / (1 - D)` is the density ratio estimate, so minimising this
    minimises KL(p_data || p_model) when D is optimal (Goodfellow 2016, section 3.2.3).
    `exp` overflows float32 for logits above ~88: keep D's logits bounded.
    """
    del real_logits
    return -0.5 * ops.mean(ops.exp(_as_float(fake_logits)))


# --- L4: least squares (Mao 2017) -----------------------------------------------------


def least_squares_discriminator_loss(
    real_logits, fake_logits, real_target=1.0, fake_target=0.0
):
    """L4 D loss: `0.5 * mean((l_r - b)^2) + 0.5 * mean((l_f - a)^2)`, a=0, b=1."""
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    return 0.5 * ops.mean(ops.square(real_logits - real_target)) + 0.5 * ops.mean(
        ops.square(fake_logits - fake_target)
    )


def least_squares_generator_loss(fake_logits, real_logits=None, generator_target=1.0):
    """L4 G loss: `0.5 * mean((l_f - c)^2)`, c=1."""
    del real_logits
    return 0.5 * ops.mean(ops.square(_as_float(fake_logits) - generator_target))


# --- L5: Wasserstein (Arjovsky 2017) --------------------------------------------------


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """L5 critic loss: `mean(l_f) - mean(l_r)`; needs a Lipschitz constraint (P1/P2)."""
    return ops.mean(_as_float(fake_logits)) - ops.mean(_as_float(real_logits))


def wasserstein_generator_loss(fake_logits, real_logits=None):
    """L5 G loss: `-mean(l_f)`; also the hinge G loss (L6)."""
    del real_logits
    return -ops.mean(_as_float(fake_logits))


# --- L6: hinge (Lim & Ye 2017) --------------------------------------------------------


def hinge_discriminator_loss(real_logits, fake_logits):
    """L6 D loss: `mean(relu(1 - l_r)) + mean(relu(1 + l_f))`."""
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


hinge_generator_loss = wasserstein_generator_loss


# --- L7: relativistic standard (Jolicoeur-Martineau 2018) -----------------------------


def relativistic_discriminator_loss(real_logits, fake_logits):
    """L7 RSGAN D loss: `mean(softplus(-(l_r - l_f)))`, real and fake paired by
    position."""
    return ops.mean(ops.softplus(_as_float(fake_logits) - _as_float(real_logits)))


def relativistic_generator_loss(fake_logits, real_logits):
    """L7 RSGAN G loss: `mean(softplus(-(l_f - l_r)))`."""
    return ops.mean(ops.softplus(_as_float(real_logits) - _as_float(fake_logits)))


# --- L8: relativistic average (Jolicoeur-Martineau 2018) ------------------------------


def _relativistic_average(real_logits, fake_logits):
    """`(l_r - mean l_f, l_f - mean l_r)`: each side relative to the other's batch
    mean."""
    real_logits, fake_logits = _as_float(real_logits), _as_float(fake_logits)
    return real_logits - ops.mean(fake_logits), fake_logits - ops.mean(real_logits)


def relativistic_average_discriminator_loss(real_logits, fake_logits):
    """L8 RaGAN D loss:
    `mean(softplus(-(l_r - mean l_f))) + mean(softplus(l_f - mean l_r))`."""
    real_relative, fake_relative = _relativistic_average(real_logits, fake_logits)
    return ops.mean(ops.softplus(-real_relative)) + ops.mean(
        ops.softplus(fake_relative)
    )


def relativistic_average_generator_loss(fake_logits, real_logits):
    """L8 RaGAN G loss: the D loss with real and fake swapped."""
    return relativistic_average_discriminator_loss(fake_logits, real_logits)


def relativistic_average_least_squares_discriminator_loss(real_logits, fake_logits):
    """L8 RaLSGAN D loss:
    `mean((l_r - mean l_f - 1)^2) + mean((l_f - mean l_r + 1)^2)`."""
    real_relative, fake_relative = _relativistic_average(real_logits, fake_logits)
    return ops.mean(ops.square(real_relative - 1.0)) + ops.mean(
        ops.square(fake_relative + 1.0)
    )


def relativistic_average_least_squares_generator_loss(fake_logits, real_logits):
    """L8 RaLSGAN G loss: the D loss with real and fake swapped."""
    return relativistic_average_least_squares_discriminator_loss(
        fake_logits, real_logits
    )


def relativistic_average_hinge_discriminator_loss(real_logits, fake_logits):
    """L8 RaHinge D loss:
    `mean(relu(1 - (l_r - mean l_f))) + mean(relu(1 + (l_f - mean l_r)))`."""
    real_relative, fake_relative = _relativistic_average(real_logits, fake_logits)
    return ops.mean(ops.relu(1.0 - real_relative)) + ops.mean(
        ops.relu(1.0 + fake_relative)
    )


def relativistic_average_hinge_generator_loss(fake_logits, real_logits):
    """L8 RaHinge G loss: the D loss with real and fake swapped."""
    return relativistic_average_hinge_discriminator_loss(fake_logits, real_logits)


# --- Loss objects and the registry ----------------------------------------------------


@keras.saving.register_keras_serializable(package="keras_gans")
class GANLoss:
    """A named pair of adversarial losses with the common contract.

    Args:
        name: The registry name (or any name, for a custom loss).
        discriminator_loss: `fn(real_logits, fake_logits) -> scalar`.
        generator_loss: `fn(fake_logits, real_logits) -> scalar`.
        generator_needs_real_logits: Whether `generator_loss` reads `real_logits`
            (relativistic losses). When False the training step skips the extra forward
            pass of D on real data in the generator step.

    Example:

    >>> loss = get("hinge")
    >>> float(loss.discriminator_loss(np.array([2.0]), np.array([-2.0])))
    0.0
    """

    def __init__(
        self,
        name,
        discriminator_loss,
        generator_loss,
        generator_needs_real_logits=False,
    ):
        self.name = name
        self.discriminator_loss = discriminator_loss
        self.generator_loss = generator_loss
        self.generator_needs_real_logits = generator_needs_real_logits

    def __repr__(self):
        return f"<GANLoss {self.name}>"

    def get_config(self):
        if _REGISTRY.get(self.name) is not self:
            raise ValueError(
                f"The GANLoss {self.name!r} is not in the registry, so it cannot be "
                "saved by name. Subclass GANLoss with a get_config/from_config, or "
                f"use one of {names()}."
            )
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return get(config["name"])


@keras.saving.register_keras_serializable(package="keras_gans")
class LeastSquaresLoss(GANLoss):
    """L4 with chosen targets: `a` for fake, `b` for real, `c` for G's fakes.

    The paper gives two schemes: `a=0, b=1, c=1` (the default, registered as
    "least_squares") and `a=-1, b=1, c=0` (`b - c = 1, b - a = 2`, which minimises the
    Pearson chi-square divergence). Mao et al. 2017, https://arxiv.org/abs/1611.04076

    Args:
        fake_target: `a`, the value D is trained to give fake samples.
        real_target: `b`, the value D is trained to give real samples.
        generator_target: `c`, the value G wants D to give its samples.
    """

    def __init__(self, fake_target=0.0, real_target=1.0, generator_target=1.0):
        if fake_target == real_target:
            raise ValueError(
                "`fake_target` and `real_target` must differ. Received: "
                f"`fake_target={fake_target}`, `real_target={real_target}`."
            )
        self.fake_target = float(fake_target)
        self.real_target = float(real_target)
        self.generator_target = float(generator_target)
        name = (
            "least_squares"
            if (self.fake_target, self.real_target, self.generator_target)
            == (0.0, 1.0, 1.0)
            else f"least_squares({fake_target},{real_target},{generator_target})"
        )
        super().__init__(
            name,
            discriminator_loss=lambda real_logits, fake_logits: (
                least_squares_discriminator_loss(
                    real_logits, fake_logits, self.real_target, self.fake_target
                )
            ),
            generator_loss=lambda fake_logits, real_logits=None: (
                least_squares_generator_loss(
                    fake_logits, generator_target=self.generator_target
                )
            ),
        )

    def get_config(self):
        return {
            "fake_target": self.fake_target,
            "real_target": self.real_target,
            "generator_target": self.generator_target,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_REGISTRY = {
    loss.name: loss
    for loss in [
        GANLoss("minimax", minimax_discriminator_loss, minimax_generator_loss),
        GANLoss(
            "non_saturating", minimax_discriminator_loss, non_saturating_generator_loss
        ),
        GANLoss(
            "maximum_likelihood",
            minimax_discriminator_loss,
            maximum_likelihood_generator_loss,
        ),
        LeastSquaresLoss(),
        GANLoss(
            "wasserstein", wasserstein_discriminator_loss, wasserstein_generator_loss
        ),
        GANLoss("hinge", hinge_discriminator_loss, hinge_generator_loss),
        GANLoss(
            "relativistic",
            relativistic_discriminator_loss,
            relativistic_generator_loss,
            generator_needs_real_logits=True,
        ),
        GANLoss(
            "relativistic_average",
            relativistic_average_discriminator_loss,
            relativistic_average_generator_loss,
            generator_needs_real_logits=True,
        ),
        GANLoss(
            "relativistic_average_least_squares",
            relativistic_average_least_squares_discriminator_loss,
            relativistic_average_least_squares_generator_loss,
            generator_needs_real_logits=True,
        ),
        GANLoss(
            "relativistic_average_hinge",
            relativistic_average_hinge_discriminator_loss,
            relativistic_average_hinge_generator_loss,
            generator_needs_real_logits=True,
        ),
    ]
}


def names():
    """The registered loss names, in catalogue order (L1-L8)."""
    return list(_REGISTRY)


def get(identifier):
    """Returns the `GANLoss` for a registered name, or `identifier` if it is one.

    Args:
        identifier: A name from `names()` (hyphens are accepted for underscores:
            "non-saturating"), or a `GANLoss` instance.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    if isinstance(identifier, GANLoss):
        return identifier
    if isinstance(identifier, str):
        key = identifier.strip().lower().replace("-", "_")
        if key in _REGISTRY:
            return _REGISTRY[key]
    raise ValueError(
        f"Unknown GAN loss: {identifier!r}. Expected a GANLoss or one of: "
        f"{', '.join(names())}."
    )
