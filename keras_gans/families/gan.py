"""The plain GAN family: a generator of latents judged by one discriminator.

Its networks are any of the unconditional architectures (`preset.architecture`:
"dcgan", "mlp", "categorical" (T21: a Gumbel-softmax G over one-hot sequences) or
the ResNets), its model `keras_gans.models.GAN` compiled with the preset's loss,
penalties and tricks. The conditional and self-supervised families reuse
`networks` and `compile_gan`.
"""

from keras_gans import architectures
from keras_gans.architectures.categorical import (
    categorical_discriminator,
    categorical_generator,
)
from keras_gans.architectures.conditional_dcgan import (
    conditional_dcgan_discriminator,
    conditional_dcgan_generator,
)
from keras_gans.families._family import Family, optimizer
from keras_gans.models import GAN
from keras_gans.training import options as step_options

__all__ = ["FAMILY", "GANFamily", "compile_gan", "networks"]


# The ResNet families (A2-A4): (generator builder, discriminator builder), each
# class-conditional with `num_classes` (conditional BN in G, projection D).
_RESIDUAL_BUILDERS = {
    "resnet": (architectures.resnet_generator, architectures.resnet_discriminator),
    "sagan": (architectures.sagan_generator, architectures.sagan_discriminator),
    "biggan": (architectures.biggan_generator, architectures.biggan_discriminator),
}


def networks(preset, sample_shape, seed):
    """(generator, discriminator) for `preset` and samples of `sample_shape`."""
    *spatial, channels = sample_shape
    if preset.architecture == "dcgan":
        if len(sample_shape) != 3 or spatial[0] != spatial[1]:
            raise ValueError(
                f"The DCGAN architecture needs square images [size, size, channels]. "
                f"Received samples of shape {sample_shape} "
                f"(dataset {preset.dataset!r})."
            )
        generator = architectures.dcgan_generator(
            spatial[0],
            channels,
            latent_dim=preset.latent_dim,
            width=preset.width,
            normalization=preset.generator_normalization,
            reference_size=preset.batch_size,
            dropout_rate=preset.generator_dropout,
            noise_injection=preset.generator_noise_injection,
            seed=seed,
        )
        discriminator = architectures.dcgan_discriminator(
            spatial[0],
            channels * preset.packing,
            width=preset.width,
            normalization=preset.discriminator_normalization,
            minibatch_kernels=preset.minibatch_kernels,
            seed=seed,
        )
        return generator, discriminator
    if preset.architecture == "mlp":
        is_image = len(sample_shape) == 3
        generator = architectures.mlp_generator(
            preset.latent_dim,
            sample_shape,
            hidden_units=(preset.width, preset.width),
            output_activation="tanh" if is_image else None,
            seed=seed,
        )
        discriminator = architectures.mlp_discriminator(
            (*spatial, channels * preset.packing),
            hidden_units=(preset.width,),
            seed=seed,
        )
        return generator, discriminator
    if preset.architecture == "categorical":
        if len(sample_shape) != 2:
            raise ValueError(
                "The categorical architecture needs sequences [length, num_classes] "
                f"(e.g. dataset 'markov'). Received samples of shape {sample_shape} "
                f"(dataset {preset.dataset!r})."
            )
        length, num_classes = sample_shape
        generator = categorical_generator(
            preset.latent_dim,
            length,
            num_classes,
            hidden_units=(preset.width, preset.width),
            temperature=preset.gumbel_temperature,
            hard=preset.gumbel_hard,
            seed=seed,
        )
        discriminator = categorical_discriminator(
            length,
            num_classes * preset.packing,
            hidden_units=(preset.width,),
            seed=seed,
        )
        return generator, discriminator
    if preset.architecture == "conditional-dcgan":
        if preset.num_classes is None or len(sample_shape) != 3:
            raise ValueError(
                "The conditional-dcgan architecture needs `num_classes` and images. "
                f"Received: `num_classes={preset.num_classes}`, samples of shape "
                f"{sample_shape}."
            )
        generator = conditional_dcgan_generator(
            spatial[0],
            channels,
            num_classes=preset.num_classes,
            latent_dim=preset.latent_dim,
            width=preset.width,
            seed=seed,
        )
        discriminator = conditional_dcgan_discriminator(
            spatial[0],
            channels,
            num_classes=preset.num_classes,
            width=preset.width,
            auxiliary_classifier=preset.auxiliary_classifier,
            normalization=preset.discriminator_normalization,
            seed=seed,
        )
        return generator, discriminator
    if preset.architecture in _RESIDUAL_BUILDERS:
        build_generator, build_discriminator = _RESIDUAL_BUILDERS[preset.architecture]
        generator = build_generator(
            spatial[0],
            channels,
            latent_dim=preset.latent_dim,
            width=preset.width,
            num_classes=preset.num_classes,
            seed=seed,
        )
        discriminator = build_discriminator(
            spatial[0],
            channels,
            width=preset.width,
            num_classes=preset.num_classes,
            seed=seed,
        )
        return generator, discriminator
    raise ValueError(
        f"Unknown architecture {preset.architecture!r}. Expected one of 'dcgan', "
        f"'mlp', 'categorical', 'conditional-dcgan', "
        f"{', '.join(map(repr, _RESIDUAL_BUILDERS))}."
    )


def compile_gan(gan, preset, total_steps=None):
    """Compiles `gan` with the preset's loss, step components and optimizers (one
    optimizer over both players for `single_loss`, T14)."""
    if preset.instance_noise is not None and total_steps is None:
        raise ValueError(
            "Instance noise anneals over the run: pass `total_steps`. "
            f"Received: `total_steps=None` for preset {preset.name!r}."
        )
    options = step_options.preset_options(preset, total_steps)
    if preset.single_loss:
        gan.compile(
            optimizer=optimizer(preset.d_learning_rate, preset),
            loss=preset.loss,
            **options,
        )
    else:
        gan.compile(
            d_optimizer=optimizer(preset.d_learning_rate, preset),
            g_optimizer=optimizer(preset.g_learning_rate, preset),
            loss=preset.loss,
            **options,
        )


class GANFamily(Family):
    """The plain GAN (`keras_gans.models.GAN`): takes every preset that no other
    family takes, so it is asked last."""

    name = "gan"
    description = "a generator of latents and one discriminator (GAN)"
    model_class = GAN

    def takes(self, preset):
        return True

    def model_options(self, preset):
        """The model's own `check_options` / constructor arguments."""
        return {}

    def check(self, preset):
        self.model_class.check_options(
            loss=preset.loss,
            **step_options.preset_options(preset),
            **self.model_options(preset),
        )

    def check_networks(self, preset):
        """Raises for fields the family's networks cannot take (before building)."""
        if preset.auxiliary_classifier and preset.architecture != "conditional-dcgan":
            raise ValueError(
                "`auxiliary_classifier` needs the 'conditional-dcgan' architecture. "
                f"Received: `architecture={preset.architecture!r}`."
            )

    def model(self, preset, generator, discriminator, seed):
        """The uncompiled model of the family on these networks."""
        return GAN(generator, discriminator, latent_dim=preset.latent_dim, seed=seed)

    def build(self, preset, sample_shape, seed=None, total_steps=None):
        self.check_networks(preset)
        generator, discriminator = networks(preset, sample_shape, seed)
        gan = self.model(preset, generator, discriminator, seed)
        compile_gan(gan, preset, total_steps)
        return gan


FAMILY = GANFamily()
