"""GAN models that train with `model.fit`."""

from keras_gans.models.gan import GAN

__all__ = ["GAN"]
