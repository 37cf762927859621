"""Named recipes: a paper's combination of data, networks, loss and optimizers.

A preset is data, not a subclass: `build_gan` turns it into a `keras_gans.GAN`, and
`python -m keras_gans train --preset NAME` trains it (command-line flags override its
fields). Every preset's default data is offline.
"""

import dataclasses

import keras

from keras_gans import architectures
from keras_gans import losses as gan_losses
from keras_gans.architectures import biggan, dcgan, resnet
from keras_gans.architectures.categorical import (
    categorical_discriminator,
    categorical_generator,
)
from keras_gans.architectures.conditional_dcgan import (
    conditional_dcgan_discriminator,
    conditional_dcgan_generator,
)
from keras_gans.architectures.progressive import num_growth_levels
from keras_gans.models import (
    GAN,
    ConditionalGAN,
    coarse_to_refine,
    laplacian_gan,
    progressive_gan,
    semi_supervised_gan,
)
from keras_gans.models.self_supervised_gan import (
    SelfSupervisedGAN,
    with_rotation_head,
)
from keras_gans.tricks import InstanceNoise

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "Preset",
    "build_gan",
    "check",
    "get",
]


@dataclasses.dataclass(frozen=True)
class Preset:
    """A training recipe. Field defaults are DCGAN's (Radford et al. 2015).

    The fields after `batch_size` map to `GAN.compile` options and builder arguments
    (see their docstrings); their defaults switch the option off.
    """

    name: str
    description: str
    dataset: str = "digits"
    image_size: int | None = None  # None: the dataset's own size.
    resize: str = "bilinear"  # digits only: how to reach `image_size`.
    # "dcgan", "mlp", "conditional-dcgan", "resnet" (A2), "sagan" (A3), "biggan" (A4),
    # "categorical" (T21: Gumbel-softmax MLP G over one-hot sequences);
    # "semi-supervised" (T6) is set by `labels_per_class`; "lapgan" (A5),
    # "progressive" (A6) and "coarse-to-refine" (A8) build their own models.
    architecture: str = "dcgan"
    latent_dim: int = 100
    width: int = 64  # DCGAN: filters of the widest-resolution layer; MLP: hidden units.
    loss: str = "non_saturating"
    optimizer: str = "adam"  # "adam" or "rmsprop".
    d_learning_rate: float = 2e-4
    g_learning_rate: float = 2e-4  # A different value from D's is TTUR (T11).
    beta_1: float = 0.5
    beta_2: float = 0.999
    epochs: int = 25
    batch_size: int = 64  # Images per discriminator step.
    discriminator_normalization: str = "batch"  # "batch", "layer", "spectral", "none"
    minibatch_kernels: int = 0  # Minibatch discrimination kernels in D (Y1).
    generator_normalization: str = "batch"  # "batch" or "virtual_batch" (Y3).
    generator_dropout: float = 0.0  # Dropout kept on at inference in G (T10).
    generator_noise_injection: bool = False  # StyleGAN noise inputs in G (T10).
    penalties: tuple = ()  # Names from keras_gans.penalties (P1-P7).
    discriminator_steps: int = 1  # T12
    label_smoothing: float | None = None  # Real target (T4).
    instance_noise: float | None = None  # Initial stddev, annealed to 0 over the run.
    feature_matching: bool = False  # T1
    historical_averaging: float | None = None  # λ (T3)
    generator_ema: float | None = None  # Decay β (T13)
    unrolled_steps: int = 0  # T15
    packing: int = 1  # T16
    single_loss: bool = False  # T14
    num_classes: int | None = None  # A ConditionalGAN on (images, labels) (T18).
    auxiliary_classifier: bool = False  # AC-GAN's class head in D (T18).
    truncation: float | None = None  # Sample grids from latents |z| <= this (T17).
    # > 0: the semi-supervised K+1 GAN (T6) with this many labels per class, built
    # by keras_gans.models.semi_supervised_gan.build_semi_supervised_gan.
    labels_per_class: int = 0
    # SS-GAN (T23): a 4-way rotation head on D and the rotation losses, with the
    # paper's weights (keras_gans.models.self_supervised_gan).
    self_supervised: bool = False
    # Pseudo-labels (T23): the conditional GAN's `num_classes` classes are k-means
    # clusters of a rotation-pre-trained D's features, not the dataset's labels
    # (keras_gans.pseudo_labels).
    pseudo_labels: bool = False
    # The "categorical" generator's Gumbel-softmax (T21, layer Y13): τ, and
    # straight-through one-hot outputs (exact one-hot forward, relaxed gradient).
    gumbel_temperature: float = 0.5
    gumbel_hard: bool = False


_DIGITS_16 = {"image_size": 16, "resize": "pad", "latent_dim": 64, "width": 32}
_RING_MLP = {
    # Metz et al. 2017, appendix A: G 2x128 ReLU, D 1x128 ReLU, batch 512.
    "dataset": "ring8",
    "architecture": "mlp",
    "latent_dim": 256,
    "width": 128,
    "d_learning_rate": 1e-3,
    "g_learning_rate": 1e-3,
    "epochs": 10,
    "batch_size": 512,
}

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
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="improved-gan",
            description=(
                "Improved Techniques (Salimans et al. 2016, arXiv:1606.03498): feature "
                "matching, minibatch discrimination (100 kernels of dim 5), one-sided "
                "label smoothing 0.9, historical averaging, virtual batch norm in G; "
                "Adam(3e-4, beta_1=0.5) as their code; DCGAN networks on digits."
            ),
            d_learning_rate=3e-4,
            g_learning_rate=3e-4,
            epochs=50,
            minibatch_kernels=100,
            generator_normalization="virtual_batch",
            feature_matching=True,
            label_smoothing=0.9,
            historical_averaging=1e-3,
            **_DIGITS_16,
        ),
        Preset(
            name="wgan",
            description=(
                "WGAN (Arjovsky et al. 2017, arXiv:1701.07875, Algorithm 1): "
                "Wasserstein loss, weight clipping c=0.01, RMSProp(5e-5), 5 critic "
                "steps per G step, DCGAN networks on digits."
            ),
            loss="wasserstein",
            optimizer="rmsprop",
            d_learning_rate=5e-5,
            g_learning_rate=5e-5,
            penalties=("clip",),
            discriminator_steps=5,
            epochs=100,
            **_DIGITS_16,
        ),
        Preset(
            name="wgan-gp",
            description=(
                "WGAN-GP (Gulrajani et al. 2017, arXiv:1704.00028, Algorithm 1): "
                "gradient penalty lambda=10, Adam(1e-4, beta_1=0, beta_2=0.9), 5 "
                "critic steps, layer norm instead of batch norm in the critic."
            ),
            loss="wasserstein",
            d_learning_rate=1e-4,
            g_learning_rate=1e-4,
            beta_1=0.0,
            beta_2=0.9,
            penalties=("gp",),
            discriminator_steps=5,
            discriminator_normalization="layer",
            epochs=100,
            **_DIGITS_16,
        ),
        Preset(
            name="lsgan",
            description=(
                "LSGAN (Mao et al. 2017, arXiv:1611.04076): least-squares loss with "
                "a=0, b=c=1, Adam(2e-4, beta_1=0.5), DCGAN networks on digits."
            ),
            loss="least_squares",
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="hinge",
            description=(
                "Hinge loss (Lim & Ye 2017, arXiv:1705.02894) with the TTUR recipe of "
                "SAGAN (Heusel et al. 2017; Zhang et al. 2018): D Adam(4e-4), G "
                "Adam(1e-4), beta_1=0, beta_2=0.9."
            ),
            loss="hinge",
            d_learning_rate=4e-4,
            g_learning_rate=1e-4,
            beta_1=0.0,
            beta_2=0.9,
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="ragan",
            description=(
                "RaGAN (Jolicoeur-Martineau 2018, arXiv:1807.00734): relativistic "
                "average loss, Adam(2e-4, beta_1=0.5), DCGAN networks on digits."
            ),
            loss="relativistic_average",
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="dragan",
            description=(
                "DRAGAN (Kodali et al. 2017, arXiv:1705.07215): non-saturating loss "
                "with the gradient penalty around the data (lambda=10, c=0.5), "
                "Adam(1e-4, beta_1=0.5, beta_2=0.9), no batch norm in D."
            ),
            penalties=("dragan",),
            d_learning_rate=1e-4,
            g_learning_rate=1e-4,
            beta_2=0.9,
            discriminator_normalization="none",
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="r1",
            description=(
                "R1 regularisation (Mescheder et al. 2018, arXiv:1801.04406): "
                "non-saturating loss, gamma=10 on real data, RMSProp(1e-4) as their "
                "main configuration, no batch norm in D."
            ),
            penalties=("r1",),
            optimizer="rmsprop",
            d_learning_rate=1e-4,
            g_learning_rate=1e-4,
            discriminator_normalization="none",
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="sngan",
            description=(
                "SNGAN (Miyato et al. 2018, arXiv:1802.05957): spectral normalization "
                "on every D layer (no batch norm), hinge loss, Adam(2e-4, beta_1=0.5, "
                "beta_2=0.999), one D step (the paper's setting C)."
            ),
            loss="hinge",
            discriminator_normalization="spectral",
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="one-step",
            description=(
                "Single-loss stop_gradient training (T14; Su Jianlin, "
                "github.com/bojone/gan): one Adam(2e-4, beta_1=0.5) over G and D, "
                "one scalar loss, simultaneous updates; DCGAN networks on digits."
            ),
            single_loss=True,
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="mlp-ring8",
            description=(
                "A plain GAN on the 8-Gaussian ring (the M5 protocol): MLP G "
                "(2x128 ReLU) and D (1x128 ReLU) as in the unrolled-GAN paper "
                "(Metz et al. 2017, arXiv:1611.02163, appendix A), non-saturating "
                "loss, Adam(1e-3, beta_1=0.5)."
            ),
            **_RING_MLP,
        ),
        Preset(
            name="unrolled",
            description=(
                "Unrolled GAN (Metz et al. 2017, arXiv:1611.02163): mlp-ring8 with "
                "the generator's loss taken through 5 look-ahead D steps."
            ),
            unrolled_steps=5,
            **_RING_MLP,
        ),
        Preset(
            name="pacgan",
            description=(
                "PacGAN2 (Lin et al. 2018, arXiv:1712.04086): mlp-ring8 with D "
                "judging packs of 2 samples."
            ),
            packing=2,
            **_RING_MLP,
        ),
        Preset(
            name="cgan",
            description=(
                "Conditional DCGAN (Mirza & Osindero 2014, arXiv:1411.1784, with "
                "DCGAN networks): the one-hot label concatenated to z in G and as "
                "10 constant input channels of D; non-saturating loss, Adam(2e-4, "
                "beta_1=0.5), on digits and their labels."
            ),
            architecture="conditional-dcgan",
            num_classes=10,
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="acgan",
            description=(
                "AC-GAN (Odena et al. 2017, arXiv:1610.09585): G as cgan's, D with a "
                "10-way auxiliary classifier head whose cross-entropy on real and "
                "fake joins both losses (weight 1); Adam(2e-4, beta_1=0.5)."
            ),
            architecture="conditional-dcgan",
            num_classes=10,
            auxiliary_classifier=True,
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="sngan-resnet",
            description=(
                "Conditional SNGAN ResNet (Miyato & Koyama 2018, arXiv:1802.05637): "
                "conditional BN in G, projection D with spectral norm, hinge loss, "
                "Adam(2e-4, beta_1=0, beta_2=0.9), 5 D steps; --width 256 is the "
                "paper's CIFAR-10 G (its D has 128)."
            ),
            architecture="resnet",
            num_classes=10,
            loss="hinge",
            beta_1=0.0,
            beta_2=0.9,
            discriminator_steps=5,
            epochs=100,
            **{**_DIGITS_16, "latent_dim": 128},
        ),
        Preset(
            name="sagan",
            description=(
                "SAGAN (Zhang et al. 2018, arXiv:1805.08318): the conditional "
                "ResNet with self-attention at 8x8 and spectral norm in G and D, "
                "projection D, hinge loss, TTUR D Adam(4e-4) G Adam(1e-4), "
                "beta_1=0, beta_2=0.9, one D step."
            ),
            architecture="sagan",
            num_classes=10,
            loss="hinge",
            d_learning_rate=4e-4,
            g_learning_rate=1e-4,
            beta_1=0.0,
            beta_2=0.9,
            epochs=50,
            **{**_DIGITS_16, "latent_dim": 128},
        ),
        Preset(
            name="biggan-lite",
            description=(
                "BigGAN-lite (Brock et al. 2018, arXiv:1809.11096): shared class "
                "embedding, hierarchical latent (z of 120 in 3 chunks), conditional "
                "BN, self-attention, SN, projection D, orthogonal regularisation "
                "1e-4, hinge loss, D Adam(4e-4) G Adam(1e-4) beta_1=0, 2 D steps, "
                "EMA generator (0.99 for this short run; the paper's 0.9999), "
                "sample grids truncated at 0.5; --width 96 is the paper's ch."
            ),
            architecture="biggan",
            num_classes=10,
            loss="hinge",
            d_learning_rate=4e-4,
            g_learning_rate=1e-4,
            beta_1=0.0,
            beta_2=0.999,
            discriminator_steps=2,
            penalties=("orthogonal",),
            generator_ema=0.99,
            truncation=0.5,
            epochs=50,
            **{**_DIGITS_16, "latent_dim": 120, "width": 8},
        ),
        Preset(
            name="semi-supervised",
            description=(
                "Semi-supervised K+1 GAN (Salimans et al. 2016, arXiv:1606.03498, "
                "section 5): D is a 10-class classifier with the fake logit fixed "
                "at 0, an MLP on the 64 pixels with Gaussian noise (0.3 on the "
                "input, 0.5 after each layer), 250-125-62-62-62 units (--width "
                "1000 is the paper's 1000-500-250-250-250); G 500-500 with batch "
                "norm and softplus, feature matching on D's last hidden layer; 10 "
                "labels per class, batches of 50 labelled + 50 unlabelled; "
                "Adam(1e-3, beta_1=0.5) (their MNIST code: 3e-3). Logs the "
                "held-out accuracy as val_accuracy."
            ),
            architecture="semi-supervised",
            labels_per_class=10,
            latent_dim=100,
            width=250,
            d_learning_rate=1e-3,
            g_learning_rate=1e-3,
            batch_size=100,
            epochs=50,
        ),
        Preset(
            name="lapgan",
            description=(
                "LAPGAN (Denton et al. 2015, arXiv:1506.05751): a Laplacian pyramid "
                "4 -> 8 -> 16 of GANs on digits: an MLP GAN on the 4x4 low-pass "
                "images (z of 64, 128 units; the paper's coarsest CIFAR-10 level: "
                "1200-unit MLPs), and at 8x8 and 16x16 conditional GANs on the "
                "band-pass residuals given the upsampled coarser image (noise as "
                "an extra plane, three 5x5 convolutions in G, two in D, 32 filters; "
                "the paper's 128); non-saturating loss, Adam(2e-4, beta_1=0.5) per "
                "level (the paper: SGD, lr 0.02, momentum 0.5 rising to 0.8); "
                "samples drawn coarse to fine."
            ),
            architecture="lapgan",
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="progressive",
            description=(
                "Progressive growing (Karras et al. 2018, arXiv:1710.10196): 4 -> 8 "
                "-> 16 on digits with equalized learning rate, pixel norm in G, "
                "minibatch stddev in D, WGAN-GP (lambda=10, one D step) plus drift "
                "0.001, Adam(1e-3, beta_1=0, beta_2=0.99), batch 16, EMA generator "
                "0.999, as the paper; the run is split into 5 equal phases (4x4 "
                "stable, then a fade-in and a stable phase per resolution; the "
                "paper: 800k images each); 32 filters per resolution (the paper's "
                "512)."
            ),
            architecture="progressive",
            loss="wasserstein",
            penalties=("gp",),
            d_learning_rate=1e-3,
            g_learning_rate=1e-3,
            beta_1=0.0,
            beta_2=0.99,
            batch_size=16,
            generator_ema=0.999,
            epochs=30,
            **_DIGITS_16,
        ),
        Preset(
            name="ss-gan",
            description=(
                "SS-GAN (Chen et al. 2019, arXiv:1811.11212): D also predicts "
                "which of 4 rotations (0/90/180/270 degrees) was applied to an "
                "image, a 4-way head on its last hidden layer; rotation "
                "cross-entropy of real images in D's loss (beta=1) and of "
                "generated images in G's loss (alpha=0.2), the paper's weights; "
                "non-saturating loss, spectral norm in D; DCGAN networks and "
                "Adam(2e-4, beta_1=0.5) (not the paper's ResNets) on digits."
            ),
            self_supervised=True,
            discriminator_normalization="spectral",
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="pseudo-labels",
            description=(
                "Pseudo-labels (Lučić et al. 2019, arXiv:1903.02271, their "
                "pre-trained clustering approach): a DCGAN D with spectral norm "
                "pre-trained to predict the 4 rotations of the real images "
                "(Gidaris et al. 2018; 10 passes, Adam(1e-3, beta_1=0.5)), k-means "
                "(10 clusters, k-means++, best of 10) on its convolution features "
                "max-pooled to 4x4, then cgan's conditional DCGAN trained on the "
                "clusters instead of the labels; non-saturating loss, Adam(2e-4, "
                "beta_1=0.5); on digits. The run folder's pseudo_labels.json has "
                "the clusters' agreement with the true labels (NMI)."
            ),
            architecture="conditional-dcgan",
            num_classes=10,
            pseudo_labels=True,
            epochs=50,
            **_DIGITS_16,
        ),
        Preset(
            name="gumbel-markov",
            description=(
                "Gumbel-softmax GAN over discrete sequences (Jang et al. 2016, "
                "arXiv:1611.01144; the GAN use of Kusner & Hernández-Lobato 2016, "
                "arXiv:1611.04051): one-hot sequences of 8 positions over 5 "
                "classes from a fixed Markov chain (dataset markov); MLP G "
                "(z of 8, 2x32 ReLU) ending in a straight-through Gumbel-softmax "
                "(exact one-hot rows forward, the tau=0.5 relaxation's gradient "
                "back: with relaxed rows D tells them from the data's exact ones "
                "by their values), MLP D (1x32 LeakyReLU); non-saturating loss, "
                "Adam(1e-3, beta_1=0.5), batch 64. Logs the exact distances of the "
                "generated sequences from the chain (marginal_tv, transition_tv)."
            ),
            dataset="markov",
            architecture="categorical",
            latent_dim=8,
            width=32,
            gumbel_hard=True,
            d_learning_rate=1e-3,
            g_learning_rate=1e-3,
            epochs=10,
        ),
        Preset(
            name="coarse-to-refine",
            description=(
                "Coarse-to-refine inpainting (Yu et al. 2018, arXiv:1801.07892): "
                "16x16 digits (bilinear upsampling) with a random 6x6 hole; a "
                "coarse generator trained with L1 alone (200 coarse-only steps), "
                "then a refinement generator on the composited coarse output "
                "trained with the non-saturating loss + 100 L1; D judges the "
                "composited completion against real digits; dilated convolutions, "
                "16 filters; Adam(2e-4, beta_1=0.5) per network. The T22 losses "
                "(perceptual, style, total variation) are CoarseToRefineGAN.compile "
                "weights. Sample grids: held-out digits with a centre hole (input, "
                "coarse, completed, original); logs the held-out hole L1 as "
                "val_hole_l1."
            ),
            architecture="coarse-to-refine",
            image_size=16,
            width=16,
            epochs=20,
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


def _optimizer(learning_rate, preset):
    if preset.optimizer == "adam":
        return keras.optimizers.Adam(
            learning_rate, beta_1=preset.beta_1, beta_2=preset.beta_2
        )
    if preset.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(
        f"Unknown optimizer {preset.optimizer!r}. Expected 'adam' or 'rmsprop'."
    )


# The ResNet families (A2-A4): (generator builder, discriminator builder), each
# class-conditional with `num_classes` (conditional BN in G, projection D).
_RESIDUAL_BUILDERS = {
    "resnet": (architectures.resnet_generator, architectures.resnet_discriminator),
    "sagan": (architectures.sagan_generator, architectures.sagan_discriminator),
    "biggan": (architectures.biggan_generator, architectures.biggan_discriminator),
}


def _networks(preset, sample_shape, seed):
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


_FAMILY_BUILDERS = {
    "semi-supervised": semi_supervised_gan.build_semi_supervised_gan,
    "lapgan": laplacian_gan.build_laplacian_gan,
    "coarse-to-refine": coarse_to_refine.build_coarse_to_refine_gan,
    "progressive": progressive_gan.build_progressive_gan,
}
# What each family builder checks of a preset's fields before it builds anything.
_FAMILY_CHECKS = {
    "semi-supervised": semi_supervised_gan.check_preset,
    "lapgan": laplacian_gan.check_preset,
    "coarse-to-refine": coarse_to_refine.check_preset,
    "progressive": progressive_gan.check_preset,
}
# The image sizes the fixed-layout architectures build.
_SUPPORTED_IMAGE_SIZES = {
    "dcgan": dcgan.SUPPORTED_IMAGE_SIZES,
    "conditional-dcgan": dcgan.SUPPORTED_IMAGE_SIZES,
    "resnet": resnet.SUPPORTED_IMAGE_SIZES,
    "sagan": resnet.SUPPORTED_IMAGE_SIZES,
    "biggan": biggan.SUPPORTED_IMAGE_SIZES,
}
# A step compares the examples of a batch: batch normalization statistics,
# minibatch features, and the run's mode-collapse check need two at least.
MIN_BATCH_SIZE = 2


def _family(preset):
    """The family builder's name for a preset that has one, else None."""
    family = "semi-supervised" if preset.labels_per_class else preset.architecture
    return family if family in _FAMILY_BUILDERS else None


def _check_image_size(preset):
    if preset.image_size is None:
        return
    supported = _SUPPORTED_IMAGE_SIZES.get(preset.architecture)
    if supported is not None and preset.image_size not in supported:
        raise ValueError(
            f"The {preset.architecture!r} architecture (preset {preset.name!r}) "
            f"builds images of size {', '.join(map(str, supported))}. Received: "
            f"`image_size={preset.image_size}` (command line: --image-size)."
        )
    if preset.architecture == "progressive":
        num_growth_levels(preset.image_size)


def check(preset):
    """Raises a ValueError for a preset that `build_gan` would reject for its fields
    alone, without loading data or building networks.

    Checks the loss name, the batch size, the image size against what the
    architecture builds, and the options against the model's own checks
    (`GAN.check_options` of the model class, or a family builder's field check),
    so that `keras_gans.training_run.train` fails before it loads anything.
    """
    gan_losses.get(preset.loss)
    if preset.batch_size < MIN_BATCH_SIZE:
        raise ValueError(
            f"`batch_size` should be at least {MIN_BATCH_SIZE}: a GAN step compares "
            "the examples of a batch (batch normalization statistics, minibatch "
            "features, the run's mode-collapse check). Received: "
            f"`batch_size={preset.batch_size}` (command line: --batch-size)."
        )
    _check_image_size(preset)
    family = _family(preset)
    if family is not None:
        _FAMILY_CHECKS[family](preset)
        return
    if preset.self_supervised:
        model_class, model_arguments = SelfSupervisedGAN, {}
    elif preset.num_classes is None:
        model_class, model_arguments = GAN, {}
    else:
        model_class = ConditionalGAN
        model_arguments = {"auxiliary_classifier": preset.auxiliary_classifier}
    model_class.check_options(
        loss=preset.loss,
        penalties=preset.penalties,
        discriminator_steps=preset.discriminator_steps,
        label_smoothing=preset.label_smoothing,
        feature_matching=preset.feature_matching,
        unrolled_steps=preset.unrolled_steps,
        packing=preset.packing,
        single_loss=preset.single_loss,
        **model_arguments,
    )


def build_gan(preset, sample_shape, seed=None, total_steps=None):
    """A compiled `GAN` for `preset` and data samples of shape `sample_shape`.

    Args:
        preset: A `Preset`.
        sample_shape: The shape of one real sample, e.g. `(16, 16, 1)` or `(2,)`.
        seed: Seeds the weight initialisers and the latent `SeedGenerator`.
        total_steps: The run's number of training steps, over which instance noise
            anneals to 0 and the progressive preset grows (needed only by those).
    """
    sample_shape = tuple(sample_shape)
    check(preset)
    # The families that build their own model, loss and networks: T6 (set by
    # `labels_per_class`), A5 (one GAN per pyramid level), A8 (inpainting in two
    # stages) and A6 (grows over `total_steps`).
    family = _family(preset)
    if family is not None:
        arguments = {
            "d_optimizer": _optimizer(preset.d_learning_rate, preset),
            "g_optimizer": _optimizer(preset.g_learning_rate, preset),
        }
        if family == "progressive":
            arguments["total_steps"] = total_steps
        return _FAMILY_BUILDERS[family](preset, sample_shape, seed=seed, **arguments)
    if preset.auxiliary_classifier and preset.architecture != "conditional-dcgan":
        raise ValueError(
            "`auxiliary_classifier` needs the 'conditional-dcgan' architecture. "
            f"Received: `architecture={preset.architecture!r}`."
        )
    if preset.self_supervised and preset.num_classes is not None:
        raise ValueError(
            "`self_supervised` (SS-GAN) is an unconditional GAN. Received: "
            f"`num_classes={preset.num_classes}`."
        )
    generator, discriminator = _networks(preset, sample_shape, seed)
    if preset.self_supervised:  # T23: D gets the rotation head.
        gan = SelfSupervisedGAN(
            generator,
            with_rotation_head(discriminator, seed=seed),
            latent_dim=preset.latent_dim,
            seed=seed,
        )
    elif preset.num_classes is None:
        gan = GAN(generator, discriminator, latent_dim=preset.latent_dim, seed=seed)
    else:
        gan = ConditionalGAN(
            generator,
            discriminator,
            num_classes=preset.num_classes,
            latent_dim=preset.latent_dim,
            seed=seed,
            auxiliary_classifier=preset.auxiliary_classifier,
        )
    options = {
        "loss": preset.loss,
        "penalties": list(preset.penalties),
        "label_smoothing": preset.label_smoothing,
        "feature_matching": preset.feature_matching,
        "historical_averaging": preset.historical_averaging,
        "generator_ema": preset.generator_ema,
        "discriminator_steps": preset.discriminator_steps,
        "unrolled_steps": preset.unrolled_steps,
        "packing": preset.packing,
    }
    if preset.instance_noise is not None:
        if total_steps is None:
            raise ValueError(
                "Instance noise anneals over the run: pass `total_steps`. "
                f"Received: `total_steps=None` for preset {preset.name!r}."
            )
        options["instance_noise"] = InstanceNoise(
            initial_stddev=preset.instance_noise, decay_steps=total_steps
        )
    if preset.single_loss:
        gan.compile(
            optimizer=_optimizer(preset.d_learning_rate, preset),
            single_loss=True,
            **options,
        )
    else:
        gan.compile(
            d_optimizer=_optimizer(preset.d_learning_rate, preset),
            g_optimizer=_optimizer(preset.g_learning_rate, preset),
            **options,
        )
    return gan
