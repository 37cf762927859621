"""The progressive growing family (A6): networks that grow over the run.

`keras_gans.models.progressive_gan`: from 4x4 to the image size in equal fade-in
and stable phases of the run's `total_steps`. Set by `architecture="progressive"`.
"""

from keras_gans.architectures.progressive import num_growth_levels
from keras_gans.families._own_model import OwnModelFamily
from keras_gans.models import progressive_gan

__all__ = ["FAMILY", "ProgressiveFamily"]


class ProgressiveFamily(OwnModelFamily):
    """Takes presets with `architecture="progressive"`."""

    name = "progressive"
    description = "progressive growing: 4x4 up to the image size over the run"
    model_class = progressive_gan.ProgressiveGAN
    architecture = "progressive"
    check_preset = staticmethod(progressive_gan.check_preset)
    builder = staticmethod(progressive_gan.build_progressive_gan)
    schedules_over_run = True  # The growth phases split the run's steps.

    def check(self, preset):
        if preset.image_size is not None:
            num_growth_levels(preset.image_size)  # A power of two from 4 up.
        super().check(preset)

    def builder_arguments(self, preset, total_steps):
        return {
            **super().builder_arguments(preset, total_steps),
            "total_steps": total_steps,
        }


FAMILY = ProgressiveFamily()
