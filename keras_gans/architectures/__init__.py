"""Reference generators and discriminators, built as Keras Functional models."""

from keras_gans.architectures.biggan import (
    SplitLatents,
    biggan_discriminator,
    biggan_generator,
)
from keras_gans.architectures.dcgan import dcgan_discriminator, dcgan_generator
from keras_gans.architectures.mlp import mlp_discriminator, mlp_generator
from keras_gans.architectures.resnet import resnet_discriminator, resnet_generator
from keras_gans.architectures.sagan import sagan_discriminator, sagan_generator

__all__ = [
    "SplitLatents",
    "biggan_discriminator",
    "biggan_generator",
    "dcgan_discriminator",
    "dcgan_generator",
    "mlp_discriminator",
    "mlp_generator",
    "resnet_discriminator",
    "resnet_generator",
    "sagan_discriminator",
    "sagan_generator",
]
