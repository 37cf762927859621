"""Named recipes: a paper's combination of data, networks, loss and optimizers.

A preset is data, not a subclass: `build_gan` turns it into a `keras_gans.GAN`, and
`python -m keras_gans train --preset NAME` trains it (command-line flags override its
fields). Every preset's default data is offline.
"""

import dataclasses

import keras

from keras_gans import architectures
from keras_gans.models import GAN

__all__ = ["DEFAULT_PRESET", "PRESETS", "Preset", "build_gan", "get"]


@dataclasses.dataclass(frozen=True)
class Preset:
    """A training recipe. Field defaults are DCGAN's (Radford et al. 2015)."""

    name: str
    description: str
    dataset: str = "digits"
    image_size: int | None = None  # None: the dataset's own size.
    resize: str = "bilinear"  # digits only: how to reach `image_size`.
    architecture: str = "dcgan"  # "dcgan" or "mlp".
    latent_dim: int = 100
    width: int = 64  # DCGAN: filters of the widest-resolution layer; MLP: hidden units.
    loss: str = "non_saturating"
    d_learning_rate: float = 2e-4
    g_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    epochs: int = 25
    batch_size: int = 64


PRESETS = {
    preset.name: preset
    for preset in [
        Preset(
            name="dcgan",
            description=(
                "DCGAN (Radford et al. 2015, arXiv:1511.06434): strided convolutions, "
                "batch norm, ReLU/tanh G, LeakyReLU(0.2) D, non-saturating loss, "
                "Adam(2e-4, beta_1=0.5), batch 64 (the paper used 128), on "
                "scikit-learn's digits padded to 16x16."
            ),
            image_size=16,
            resize="pad",
            latent_dim=64,
            width=32,
            epochs=50,
        ),
        Preset(
            name="mlp-ring8",
            description=(
                "A plain GAN on the 8-Gaussian ring (the M5 protocol): MLP G "
                "(2x128 ReLU) and D (1x128 ReLU) as in the unrolled-GAN paper "
                "(Metz et al. 2017, arXiv:1611.02163, appendix A), non-saturating "
                "loss, Adam(1e-3, beta_1=0.5)."
            ),
            dataset="ring8",
            architecture="mlp",
            latent_dim=256,
            width=128,
            d_learning_rate=1e-3,
            g_learning_rate=1e-3,
            epochs=10,
            batch_size=512,
        ),
    ]
}
DEFAULT_PRESET = "dcgan"


def get(name):
    """The preset called `name`; an unknown name lists the valid ones."""
    if name not in PRESETS:
        raise ValueError(
            f"Unknown preset {name!r}. Expected one of: {', '.join(PRESETS)}."
        )
    return PRESETS[name]


def _adam(learning_rate, preset):
    return keras.optimizers.Adam(
        learning_rate, beta_1=preset.beta_1, beta_2=preset.beta_2
    )


def build_gan(preset, sample_shape, seed=None):
    """A compiled `GAN` for `preset` and data samples of shape `sample_shape`.

    Args:
        preset: A `Preset`.
        sample_shape: The shape of one real sample, e.g. `(16, 16, 1)` or `(2,)`.
        seed: Seeds the weight initialisers and the latent `SeedGenerator`.
    """
    sample_shape = tuple(sample_shape)
    if preset.architecture == "dcgan":
        if len(sample_shape) != 3 or sample_shape[0] != sample_shape[1]:
            raise ValueError(
                f"The DCGAN architecture needs square images [size, size, channels]. "
                f"Received samples of shape {sample_shape} "
                f"(dataset {preset.dataset!r})."
            )
        size, _, channels = sample_shape
        generator = architectures.dcgan_generator(
            size, channels, latent_dim=preset.latent_dim, width=preset.width, seed=seed
        )
        discriminator = architectures.dcgan_discriminator(
            size, channels, width=preset.width, seed=seed
        )
    elif preset.architecture == "mlp":
        is_image = len(sample_shape) == 3
        generator = architectures.mlp_generator(
            preset.latent_dim,
            sample_shape,
            hidden_units=(preset.width, preset.width),
            output_activation="tanh" if is_image else None,
            seed=seed,
        )
        discriminator = architectures.mlp_discriminator(
            sample_shape, hidden_units=(preset.width,), seed=seed
        )
    else:
        raise ValueError(
            f"Unknown architecture {preset.architecture!r}. Expected 'dcgan' or 'mlp'."
        )
    gan = GAN(generator, discriminator, seed=seed)
    gan.compile(
        d_optimizer=_adam(preset.d_learning_rate, preset),
        g_optimizer=_adam(preset.g_learning_rate, preset),
        loss=preset.loss,
    )
    return gan
