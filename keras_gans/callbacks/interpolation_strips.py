"""Latent interpolation strips (slerp, catalogue T17) every epoch."""

import os

import keras
import numpy as np

from keras_gans import latent, plotting
from keras_gans._checks import check_choice, check_integer
from keras_gans.callbacks._tensorboard_images import TensorBoardImages

__all__ = ["InterpolationStrips"]


def _sampling_generator(model):
    """The network that samples: `GAN.sampling_generator` (the EMA generator when
    there is one), else an `ema_generator` or `generator` attribute, else `model`
    itself (a bare generator)."""
    sampling = getattr(model, "sampling_generator", None)
    if sampling is not None:
        return sampling
    ema_generator = getattr(model, "ema_generator", None)
    if ema_generator is not None:
        return ema_generator
    return getattr(model, "generator", model)


class InterpolationStrips(keras.callbacks.Callback):
    """Writes rows of images generated along paths between fixed pairs of latents.

    Each row interpolates, in `num_steps` steps, between two latents drawn once
    from `N(0, I)` with `seed`; with `method="slerp"` (the default) along the great
    circle (White 2016, https://arxiv.org/abs/1609.04468), so every step keeps the
    norm typical of the latents the generator was trained on. A smooth row means a
    smooth latent space; sudden jumps or repeated images point at memorisation or
    collapse. The PNG (`path`, rewritten every epoch, so it ends with the final
    generator) uses the EMA generator when the GAN has one. With
    `tensorboard_dir`, every epoch's strips also go there as an image summary (tag
    "interpolation").

    Args:
        path: The PNG file, e.g. `run/samples/interpolation.png`.
        num_rows: Interpolations (rows).
        num_steps: Images per row, both ends included (>= 2).
        seed: Seed of the end-point latents.
        method: "slerp" or "linear".
        tensorboard_dir: Optional TensorBoard log folder for the image summaries.

    Example:

    >>> strips = InterpolationStrips("interpolation.png", num_rows=2, num_steps=5)
    >>> strips.latents((16,)).shape  # row by row: 2 paths of 5 latents
    (10, 16)
    """

    def __init__(
        self,
        path,
        num_rows=8,
        num_steps=10,
        seed=0,
        method="slerp",
        tensorboard_dir=None,
    ):
        super().__init__()
        check_integer(num_rows, "num_rows", minimum=1)
        check_integer(num_steps, "num_steps", minimum=2)
        check_choice(method, "method", latent.INTERPOLATION_METHODS)
        self.path = path
        self.num_rows = num_rows
        self.num_steps = num_steps
        self.seed = seed
        self.method = method
        self.tensorboard = (
            TensorBoardImages(tensorboard_dir) if tensorboard_dir is not None else None
        )

    def latents(self, latent_shape):
        """`[num_rows * num_steps, *latent_shape]` latents, row by row."""
        ends = np.random.default_rng(self.seed).standard_normal(
            (self.num_rows, 2, *latent_shape)
        )
        paths = [
            keras.ops.convert_to_numpy(
                latent.interpolate(start, end, self.num_steps, method=self.method)
            )
            for start, end in ends
        ]  # num_rows x [num_steps, *latent_shape]
        return np.concatenate(paths, axis=0).astype("float32")

    def write(self, step=None):
        """Draws the strips of the current generator to `path`."""
        generator = _sampling_generator(self.model)
        # A GAN knows its latent shape; a bare functional generator has an input
        # shape (a subclassed one, such as `VirtualBatchNormGenerator`, has none).
        latent_shape = getattr(self.model, "latent_shape", None)
        if latent_shape is None:
            latent_shape = tuple(generator.input_shape[1:])
        images = generator.predict(self.latents(latent_shape), verbose=0)
        if images.ndim != 4:
            raise ValueError(
                "`InterpolationStrips` draws images [n, height, width, channels]. "
                f"The generator gives samples of shape {images.shape[1:]}."
            )
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        # [num_rows, num_steps, height, width, channels]
        strips = images.reshape(self.num_rows, self.num_steps, *images.shape[1:])
        plotting.save_interpolation_strips(strips, self.path)
        if self.tensorboard is not None and step is not None:
            self.tensorboard.write("interpolation", self.path, step)
        return self.path

    def on_epoch_end(self, epoch, logs=None):
        self.write(step=epoch)

    def on_train_end(self, logs=None):
        if self.tensorboard is not None:
            self.tensorboard.close()
