"""Named recipes: a paper's combination of data, networks, loss and optimizers.

A preset is data, not a subclass: `build_gan` turns it into a `keras_gans.GAN`, and
`python -m keras_gans train --preset NAME` trains it (command-line flags override its
fields). Every preset's default data is offline.
"""

import dataclasses

from keras_gans import families
from keras_gans import losses as gan_losses
from keras_gans import penalties as gan_penalties
from keras_gans.architectures import biggan, dcgan, resnet

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "Flag",
    "Preset",
    "build_gan",
    "check",
    "get",
    "technique_flags",
]

FLAG = "flag"  # The `dataclasses.field` metadata key of a command-line flag.


@dataclasses.dataclass(frozen=True)
class Flag:
    """How a `Preset` field is set on the command line (`python -m keras_gans
    train`, the "techniques" group); the flag's value overrides the preset's.

    Args:
        name: The flag, e.g. "--d-lr".
        help: Its help text (None: none).
        type: How the value is read: "int", "float", "positive_int",
            "positive_float" or "probability" (a number in [0, 1]); None: a string.
        choices: The values it accepts (None: any).
        switch: A flag without a value that sets the field to True.
        repeatable: Each use adds one value to the field's tuple.
    """

    name: str
    help: str | None = None
    type: str | None = None
    choices: tuple | None = None
    switch: bool = False
    repeatable: bool = False


def _flag(default, name, **flag):
    """A `Preset` field with `default` that the command line sets with `name`."""
    return dataclasses.field(default=default, metadata={FLAG: Flag(name, **flag)})


def technique_flags():
    """`{field name: Flag}` of the `Preset` fields the command line sets, in field
    order."""
    return {
        field.name: field.metadata[FLAG]
        for field in dataclasses.fields(Preset)
        if FLAG in field.metadata
    }


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
    # "progressive" (A6) and "coarse-to-refine" (A8) build their own models
    # (keras_gans.families says which fields select which model family).
    architecture: str = "dcgan"
    latent_dim: int = 100
    # DCGAN: filters of the widest-resolution layer; MLP: hidden units.
    width: int = _flag(
        64,
        "--width",
        type="positive_int",
        help="the networks' width (base number of filters or units; the presets "
        "say which value is the paper's)",
    )
    loss: str = "non_saturating"
    optimizer: str = _flag(
        "adam",
        "--optimizer",
        choices=("adam", "rmsprop"),
        help="optimizer of both players",
    )
    d_learning_rate: float = _flag(
        2e-4, "--d-lr", type="positive_float", help="D learning rate"
    )
    # A different value from D's is TTUR (T11).
    g_learning_rate: float = _flag(
        2e-4,
        "--g-lr",
        type="positive_float",
        help="G learning rate (a different one from D's is TTUR, T11)",
    )
    beta_1: float = 0.5
    beta_2: float = 0.999
    epochs: int = 25
    batch_size: int = 64  # Images per discriminator step.
    discriminator_normalization: str = _flag(
        "batch", "--d-normalization", choices=("batch", "layer", "spectral", "none")
    )
    # Minibatch discrimination kernels in D (Y1).
    minibatch_kernels: int = _flag(
        0,
        "--minibatch-kernels",
        type="int",
        help="minibatch discrimination kernels in D (Y1; 0 disables)",
    )
    # "batch" or "virtual_batch" (Y3).
    generator_normalization: str = _flag(
        "batch", "--g-normalization", choices=("batch", "virtual_batch")
    )
    # Dropout kept on at inference in G (T10).
    generator_dropout: float = _flag(
        0.0, "--g-dropout", type="float", help="dropout kept on at inference in G (T10)"
    )
    # StyleGAN noise inputs in G (T10).
    generator_noise_injection: bool = _flag(
        False,
        "--g-noise-injection",
        switch=True,
        help="StyleGAN noise inputs after each G block (T10)",
    )
    # Names from keras_gans.penalties (P1-P7).
    penalties: tuple = _flag(
        (),
        "--penalty",
        repeatable=True,
        choices=tuple(gan_penalties.names()),
        help="add a penalty (repeatable): " + ", ".join(gan_penalties.names()),
    )
    discriminator_steps: int = _flag(
        1, "--discriminator-steps", type="positive_int", help="D steps per G step (T12)"
    )
    # Real target (T4).
    label_smoothing: float | None = _flag(
        None,
        "--label-smoothing",
        type="probability",
        help="real label target, e.g. 0.9 (T4)",
    )
    # Initial stddev, annealed to 0 over the run.
    instance_noise: float | None = _flag(
        None,
        "--instance-noise",
        type="positive_float",
        help="initial stddev of instance noise, annealed to 0 over the run (T9)",
    )
    feature_matching: bool = _flag(
        False,
        "--feature-matching",
        switch=True,
        help="G matches D's last hidden features (T1)",
    )
    historical_averaging: float | None = _flag(
        None, "--historical-averaging", type="positive_float", help="weight lambda (T3)"
    )
    # Decay β (T13)
    generator_ema: float | None = _flag(
        None, "--ema", type="probability", help="EMA generator decay (T13)"
    )
    unrolled_steps: int = _flag(
        0, "--unrolled-steps", type="int", help="look-ahead D steps for G's loss (T15)"
    )
    packing: int = _flag(
        1, "--packing", type="positive_int", help="PacGAN degree (T16)"
    )
    single_loss: bool = _flag(
        False,
        "--single-loss",
        switch=True,
        help="one optimizer, one stop_gradient loss (T14)",
    )
    consistency_regularization: float | None = _flag(
        None,
        "--consistency-regularization",
        type="positive_float",
        help="weight lambda of D's consistency under flips and shifts (P8, CR-GAN)",
    )
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


def check(preset):
    """Raises a ValueError for a preset that `build_gan` would reject for its fields
    alone, without loading data or building networks.

    Checks the loss name, the batch size, one learning rate for `single_loss`
    (one optimizer over both players), the image size against what the
    architecture builds, and the options against the model family's own check
    (`keras_gans.families`: `GAN.check_options` of the model class, or a family
    builder's field check), so that `keras_gans.training_run.train` fails before it
    loads anything.
    """
    gan_losses.get(preset.loss)
    if preset.batch_size < MIN_BATCH_SIZE:
        raise ValueError(
            f"`batch_size` should be at least {MIN_BATCH_SIZE}: a GAN step compares "
            "the examples of a batch (batch normalization statistics, minibatch "
            "features, the run's mode-collapse check). Received: "
            f"`batch_size={preset.batch_size}` (command line: --batch-size)."
        )
    if preset.single_loss and preset.d_learning_rate != preset.g_learning_rate:
        raise ValueError(
            "`single_loss` trains both players with one optimizer, so D and G take "
            "one learning rate. Received: "
            f"`d_learning_rate={preset.d_learning_rate}` and "
            f"`g_learning_rate={preset.g_learning_rate}` (command line: --d-lr, "
            "--g-lr); set them equal."
        )
    _check_image_size(preset)
    families.for_preset(preset).check(preset)


def build_gan(preset, sample_shape, seed=None, total_steps=None):
    """A compiled model for `preset` and data samples of shape `sample_shape`,
    built by the preset's model family (`keras_gans.families.for_preset`): a
    `GAN`, or the family's own model (LAPGAN, progressive, inpainting, ...).

    Args:
        preset: A `Preset`.
        sample_shape: The shape of one real sample, e.g. `(16, 16, 1)` or `(2,)`.
        seed: Seeds the weight initialisers and the latent `SeedGenerator`.
        total_steps: The run's number of training steps, over which instance noise
            anneals to 0 and the progressive preset grows (needed only by those).
    """
    sample_shape = tuple(sample_shape)
    check(preset)
    return families.for_preset(preset).build(
        preset, sample_shape, seed=seed, total_steps=total_steps
    )
