"""PacGAN packing (T16): the discriminator judges m samples at once.

A discriminator that sees m samples concatenated along the channel axis (all real or
all generated) can tell a collapsed generator by the lack of variety inside a pack: in
the paper's analysis packing penalises distributions with missing modes much more
than single-sample discrimination. Any discriminator works whose input has m times
the data's channels.

Here a batch of B samples becomes B / m packs of m consecutive samples, so with
`packing=m` the discriminator sees B / m inputs per batch (the paper keeps D's batch
and has G produce m times more samples: use batch size m·B for that).

Reference: Lin et al. 2018, https://arxiv.org/abs/1712.04086
"""

import keras
from keras import ops

from keras_gans._checks import check_integer
from keras_gans.training.component import StepComponent

__all__ = ["Packing", "pack"]


def pack(samples, degree):
    """Groups every `degree` consecutive samples into one along the last axis.

    Args:
        samples: `[batch, ..., channels]` with `batch` divisible by `degree`.
        degree: m, the packing degree.

    Returns:
        `[batch / degree, ..., degree * channels]`: pack i holds samples
        `i·m, ..., i·m + m - 1` in channel blocks of size `channels`.

    Example:

    >>> import numpy as np
    >>> points = np.arange(8.0).reshape(4, 2)  # four 2-D points
    >>> np.asarray(pack(points, 2)).tolist()
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
    """
    if degree == 1:
        return samples
    shape = tuple(samples.shape)
    batch_size = ops.shape(samples)[0]
    # [batch / m, m, ..., channels]
    grouped = ops.reshape(samples, (batch_size // degree, degree, *shape[1:]))
    # [batch / m, ..., m, channels]: the pack axis next to the channels.
    moved = ops.moveaxis(grouped, 1, -2)
    # [batch / m, ..., m * channels]
    return ops.reshape(moved, (batch_size // degree, *shape[1:-1], degree * shape[-1]))


@keras.saving.register_keras_serializable(package="keras_gans")
class Packing(StepComponent):
    """The packing option of `GAN.compile` (T16): D judges packs of `degree`
    samples, real and generated alike; each (replica's) batch must divide by it.

    Args:
        degree: m >= 2.
    """

    arguments = {"packing": 1}
    unavailable_in = {
        "conditional": "a pack would mix images of different classes under one label",
        "rotation_losses": "the rotation losses score single images, not packs",
        "growing_discriminator": "its discriminator is built for single images",
    }

    def __init__(self, degree):
        self.degree = check_integer(degree, "packing", minimum=2)
        self.batch_divisor = self.degree

    @classmethod
    def from_arguments(cls, packing=1):
        return None if check_integer(packing, "packing") == 1 else cls(packing)

    @classmethod
    def argument_values(cls, components):
        return {"packing": components[0].degree if components else 1}

    def build(self, model):
        """Checks that D's input has `degree` times the channels of G's output."""
        try:
            generator_shape = model.generator.output_shape
            discriminator_shape = model.discriminator.input_shape
        except (AttributeError, ValueError):  # subclassed models: no static shapes
            return
        if not all(
            isinstance(shape, tuple) for shape in (generator_shape, discriminator_shape)
        ):
            return  # several inputs or outputs: not a plain image-to-logits pair
        channels = generator_shape[-1]
        if None in (channels, discriminator_shape[-1]):
            return
        if discriminator_shape[-1] != channels * self.degree:
            raise ValueError(
                f"The discriminator's input has {discriminator_shape[-1]} input "
                f"channels; packing needs the generator's {channels} output channels "
                f"× `packing={self.degree}` = {channels * self.degree}. Build the "
                "discriminator for input shape "
                f"{(*generator_shape[1:-1], channels * self.degree)}."
            )

    def discriminator_input(self, images, model):
        del model
        return pack(images, self.degree)

    def get_config(self):
        return {"degree": self.degree}
