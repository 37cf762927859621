"""Reference generators and discriminators, built as Keras Functional models."""

from keras_gans.architectures.dcgan import dcgan_discriminator, dcgan_generator
from keras_gans.architectures.mlp import mlp_discriminator, mlp_generator

__all__ = [
    "dcgan_discriminator",
    "dcgan_generator",
    "mlp_discriminator",
    "mlp_generator",
]
