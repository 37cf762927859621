"""The self-supervised GAN family (SS-GAN, T23): D also predicts image rotations.

`keras_gans.models.self_supervised_gan.SelfSupervisedGAN` on the preset's
unconditional networks, D given a 4-way rotation head; the rotation losses carry
the paper's weights. Set by `preset.self_supervised`.
"""

from keras_gans.families.gan import GANFamily
from keras_gans.models.self_supervised_gan import (
    SelfSupervisedGAN,
    with_rotation_head,
)

__all__ = ["FAMILY", "SelfSupervisedFamily"]


class SelfSupervisedFamily(GANFamily):
    """Takes presets with `self_supervised=True`."""

    name = "self-supervised"
    description = "SS-GAN: D also predicts which of 4 rotations an image had"
    model_class = SelfSupervisedGAN

    def takes(self, preset):
        return preset.self_supervised

    def check_networks(self, preset):
        super().check_networks(preset)
        if preset.num_classes is not None:
            raise ValueError(
                "`self_supervised` (SS-GAN) is an unconditional GAN. Received: "
                f"`num_classes={preset.num_classes}`."
            )

    def model(self, preset, generator, discriminator, seed):
        return SelfSupervisedGAN(
            generator,
            with_rotation_head(discriminator, seed=seed),
            latent_dim=preset.latent_dim,
            seed=seed,
        )


FAMILY = SelfSupervisedFamily()
