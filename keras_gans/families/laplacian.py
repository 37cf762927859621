"""The Laplacian pyramid family (LAPGAN, A5): one GAN per pyramid level.

`keras_gans.models.laplacian_gan`: an MLP GAN on the coarsest low-pass images and
conditional GANs on the band-pass residuals of the finer levels, sampled coarse to
fine. Set by `architecture="lapgan"`.
"""

from keras_gans.families._own_model import OwnModelFamily
from keras_gans.models import laplacian_gan

__all__ = ["FAMILY", "LaplacianFamily"]


class LaplacianFamily(OwnModelFamily):
    """Takes presets with `architecture="lapgan"`."""

    name = "lapgan"
    description = "LAPGAN: a Laplacian pyramid of GANs, sampled coarse to fine"
    model_class = laplacian_gan.LaplacianGAN
    architecture = "lapgan"
    check_preset = staticmethod(laplacian_gan.check_preset)
    builder = staticmethod(laplacian_gan.build_laplacian_gan)


FAMILY = LaplacianFamily()
