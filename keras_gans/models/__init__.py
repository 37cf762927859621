"""GAN models that train with `model.fit`."""

from keras_gans.models.coarse_to_refine import CoarseToRefineGAN
from keras_gans.models.conditional_gan import ConditionalGAN
from keras_gans.models.gan import GAN
from keras_gans.models.laplacian_gan import LaplacianGAN
from keras_gans.models.progressive_gan import ProgressiveGAN
from keras_gans.models.semi_supervised_gan import SemiSupervisedGAN

__all__ = [
    "CoarseToRefineGAN",
    "ConditionalGAN",
    "GAN",
    "LaplacianGAN",
    "ProgressiveGAN",
    "SemiSupervisedGAN",
]
