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

from keras import ops

__all__ = ["single_loss"]


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
    bracket = ops.cast(generator_loss, "float32") - ops.cast(
        stopped_generator_loss, "float32"
    )
    objective = ops.cast(d_loss, "float32") + generator_weight * bracket
    return objective, d_loss, generator_loss
