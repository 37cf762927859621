"""A scatter plot of generated 2-D points over the mixture's modes every epoch."""

import os

import keras

from keras_gans import evaluation, metrics, plotting
from keras_gans._checks import check_choice
from keras_gans.callbacks._tensorboard_images import TensorBoardImages
from keras_gans.data.builtin import MIXTURES, mixture_means

__all__ = ["ModeScatter"]


class ModeScatter(keras.callbacks.Callback):
    """Writes `modes_epoch_NNN.png`: generated points over ring8 / grid25's modes.

    After every epoch, draws `num_samples` points with `model.generate(num_samples,
    seed=seed)` (the same latents every epoch; the EMA generator when there is
    one) and plots them over the mixture's means and their 3-sigma circles, with
    the M5 mode coverage (modes captured, high-quality fraction, KL to uniform) in
    the title. With `tensorboard_dir`, the picture is also written there as an
    image summary (tag "mode_scatter", step = epoch).

    Args:
        directory: Where the PNG files go.
        mixture: "ring8" or "grid25".
        num_samples: Points per plot (2,500: the M5 protocol's count).
        seed: Seed of the latents.
        reference_points: Optional real points drawn in grey under the samples.
        tensorboard_dir: Optional TensorBoard log folder for the image summaries.
    """

    def __init__(
        self,
        directory,
        mixture,
        num_samples=evaluation.DEFAULT_NUM_SAMPLES,
        seed=0,
        reference_points=None,
        tensorboard_dir=None,
    ):
        super().__init__()
        check_choice(mixture, "mixture", sorted(MIXTURES))
        self.directory = directory
        self.mixture = mixture
        self.num_samples = num_samples
        self.seed = seed
        self.reference_points = reference_points
        self.tensorboard = (
            TensorBoardImages(tensorboard_dir) if tensorboard_dir is not None else None
        )

    def write(self, filename, step=None):
        """Draws the current generator's points to `directory/filename`."""
        os.makedirs(self.directory, exist_ok=True)
        points = evaluation.generate_samples(
            self.model, self.num_samples, seed=self.seed
        )
        coverage = metrics.mode_coverage_for_mixture(points, self.mixture)
        title = (
            f"{self.mixture}: {coverage['modes_captured']}/{coverage['num_modes']} "
            f"modes, {100 * coverage['high_quality_fraction']:.1f}% high quality, "
            f"KL {coverage['kl_to_uniform']:.3f}"
            + (f" (epoch {step + 1})" if step is not None else "")
        )
        path = os.path.join(self.directory, filename)
        plotting.save_mode_scatter(
            points,
            mixture_means(self.mixture),
            MIXTURES[self.mixture],
            path,
            title=title,
            reference_points=self.reference_points,
        )
        if self.tensorboard is not None and step is not None:
            self.tensorboard.write("mode_scatter", path, step)
        return path

    def on_epoch_end(self, epoch, logs=None):
        self.write(f"modes_epoch_{epoch + 1:03d}.png", step=epoch)

    def on_train_end(self, logs=None):
        if self.tensorboard is not None:
            self.tensorboard.close()
