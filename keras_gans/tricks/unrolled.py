"""Unrolled GAN (T15): the generator plays against D's future self.

The generator's loss is evaluated against the discriminator after k look-ahead
gradient steps, `θ_D^{i+1} = θ_D^i - η ∇_{θ_D} L_D(θ_G, θ_D^i)` from `θ_D^0 = θ_D`,
and differentiated through those steps:

    ∇_{θ_G} L_G(θ_G, θ_D^k(θ_G, θ_D))

The second-order term tells the generator how the discriminator would react to its
move, which discourages collapsing onto the mode D currently favours. The
first-order option treats θ_D^k as a constant (no gradient through the look-ahead).
The look-ahead is functional (`stateless_call` with tensors in place of D's
variables): D's stored weights and optimizer state are not changed by it.

The look-ahead steps are plain gradient steps of size η (`learning_rate`): Metz et al.
write the unrolling as gradient steps (eq. 11), while their experiments unroll Adam;
plain steps keep the second-order term smooth (Adam's normalised steps have almost no
second derivative). Under `tf.distribute` each look-ahead gradient is the global-batch
gradient (summed over replicas), so N replicas look ahead exactly as one device does.

TensorFlow-specific (`tf.GradientTape`).

Reference: Metz et al. 2017, https://arxiv.org/abs/1611.02163
"""

import tensorflow as tf
from keras import ops

from keras_gans import distribution

__all__ = ["look_ahead_variables"]


def look_ahead_variables(
    discriminator,
    discriminator_loss,
    real_images,
    generated_images,
    steps,
    learning_rate,
    first_order=False,
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
        steps: k >= 1.
        learning_rate: η.
        first_order: Stop the gradient through the look-ahead.

    Returns:
        A list of tensors in the order of `discriminator.trainable_variables`.
    """
    trainable = [tf.identity(v.value) for v in discriminator.trainable_variables]
    non_trainable = [
        tf.identity(v.value) for v in discriminator.non_trainable_variables
    ]
    if first_order:
        generated_images = ops.stop_gradient(generated_images)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(trainable)
            real_logits, _ = discriminator.stateless_call(
                trainable, non_trainable, real_images, training=True
            )
            fake_logits, _ = discriminator.stateless_call(
                trainable, non_trainable, generated_images, training=True
            )
            loss = discriminator_loss(real_logits, fake_logits)
        gradients = distribution.global_sum(tape.gradient(loss, trainable))
        trainable = [
            value - learning_rate * gradient
            for value, gradient in zip(trainable, gradients, strict=True)
        ]
        if first_order:
            trainable = [ops.stop_gradient(value) for value in trainable]
    return trainable
