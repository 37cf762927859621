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

from keras import ops

__all__ = ["pack"]


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
