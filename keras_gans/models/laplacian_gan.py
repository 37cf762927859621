"""LAPGAN (catalogue A5): a Laplacian pyramid of GANs, trained level by level and
sampled coarse to fine.

Denton et al. 2015 write an image as a Laplacian pyramid (`keras_gans.pyramid`):
with `d` a 2x downsampling and `u` a 2x upsampling, `I_0 = I`,
`I_{k+1} = d(I_k)`, band-pass residuals `h_k = I_k - u(I_{k+1})` and the coarsest
image `I_K`. A LAPGAN has one GAN per level:

- the **coarsest level** is an unconditional GAN on the low-pass images `I_K`;
- each **finer level** k is a conditional GAN: its generator draws a residual
  `h̃_k = G_k(z_k, l_k)` given the upsampled coarser image `l_k = u(I_{k+1})`, and
  its discriminator judges the pair `(h_k or h̃_k, l_k)`, stacked as channels.

**Training** (section 3.1): the levels are independent given the real pyramids,
so each is trained as its own GAN on pairs `(h_k, l_k)` taken from the pyramid of
the real batch (the conditioning is always the *real* `l_k`). `LaplacianGAN` does
all levels in one `train_step`: for each level, coarse to fine, one discriminator
step and one generator step of the alternating algorithm, each level with its own
pair of optimizers, under any loss of `keras_gans.losses`.

**Sampling** (equation 3): `Ĩ_K = G_K(z_K)`, then `Ĩ_k = u(Ĩ_{k+1}) +
G_k(z_k, u(Ĩ_{k+1}))` up to the finest level: `generate` runs the composed sampler
(`architectures.lapgan.lapgan_sampler`, also the model's `generator`), whose one
latent vector per image holds every level's noise, and clips the finest image to
[-1, 1] (the residuals are unbounded, so a sum can overshoot slightly).

**Distribution.** Each replica's losses are its batch means divided by the number
of replicas and every latent is drawn for the global batch and sliced per replica
(`keras_gans.training.trainer`), as in `GAN`: one step on N replicas equals one step on
one device with the same global batch (the reference networks have no batch
normalization). Under a `mixed_float16` policy pass
`keras.optimizers.LossScaleOptimizer` instances (the optimizers are not wrapped
here).

The logs: `d{size}_loss` and `g{size}_loss` per level (`d4_loss`, `g16_loss`, ...)
and their means over the levels as `d_loss` and `g_loss`.

Reference: Denton, Chintala, Szlam & Fergus 2015, "Deep Generative Image Models
using a Laplacian Pyramid of Adversarial Networks",
https://arxiv.org/abs/1506.05751
"""

import math

import keras
import numpy as np
from keras import ops

from keras_gans import losses as gan_losses
from keras_gans import pyramid
from keras_gans._checks import check_choice, check_positive_integer
from keras_gans.architectures.lapgan import (
    lapgan_networks,
    lapgan_sampler,
    level_latent_shapes,
)
from keras_gans.models._compile_arguments import refuse_unused
from keras_gans.models._preset_fields import reject_unsupported_fields
from keras_gans.models._seed_state import SavesSeedState
from keras_gans.models.gan import DEFAULT_OPTIMIZER, _split_real_data
from keras_gans.training import options as step_options
from keras_gans.training import trainer

__all__ = ["LaplacianGAN", "build_laplacian_gan", "check_preset"]

# The pyramid of the "lapgan" preset: 16x16 digits as 4 -> 8 -> 16.
PRESET_NUM_LEVELS = 3
# The coarsest level's MLPs have this many times the preset's `width` units (the
# paper's CIFAR-10 model: 1200-unit MLPs beside 128-filter convolutions).
COARSE_UNITS_PER_WIDTH = 4
# `GAN.compile` options of a preset that a LAPGAN does not take.
_UNSUPPORTED_PRESET_FIELDS = (
    *step_options.arguments(),  # it takes none of the GAN step components
    "num_classes",
    "auxiliary_classifier",
    "minibatch_kernels",
    "generator_dropout",
    "labels_per_class",
)


def _output_size(model, argument):
    shape = model.output_shape
    if not isinstance(shape, tuple) or len(shape) != 4 or shape[1] != shape[2]:
        raise ValueError(
            f"Each of `{argument}` should output square images [batch, size, size, "
            f"channels]. Received {model.name!r} with output shape {shape}."
        )
    return shape[1], shape[3]


@keras.saving.register_keras_serializable(package="keras_gans")
class LaplacianGAN(SavesSeedState, keras.Model):
    """A Laplacian pyramid of GANs (LAPGAN) that trains with `model.fit`.

    See the module docstring for the algorithm. `fit` takes batches of images at
    the finest resolution (or `(images, labels)`; the labels are not used).

    Args:
        generators: One built Keras model per level, coarse to fine. Level 0 maps
            latents to `[size_0, size_0, channels]` images; level k maps
            `[noise_k, l_k]` to a residual `[size_k, size_k, channels]`, with
            `l_k` of that shape and `size_k = 2 size_{k-1}`
            (`architectures.lapgan.lapgan_networks` builds a set).
        discriminators: One built model per level, coarse to fine: level 0 on
            `[size_0, size_0, channels]` images, level k on `[size_k, size_k, 2 *
            channels]` (the residual and `l_k` stacked), each returning logits.
        interpolation: The pyramid's upsampling, "bilinear" (default) or "nearest"
            (`keras_gans.pyramid.upsample`).
        seed: Seed of the model's `SeedGenerator` (every latent of the steps).

    Example:

    >>> from keras_gans.architectures import lapgan
    >>> generators, discriminators = lapgan.lapgan_networks(
    ...     16, latent_dim=8, width=4, hidden_units=8, seed=0)
    >>> gan = LaplacianGAN(generators, discriminators, seed=0)
    >>> gan.compile()
    >>> history = gan.fit(np.zeros((8, 16, 16, 1), "float32"), batch_size=4,
    ...                   epochs=1, verbose=0)
    >>> sorted(history.history)[:3]
    ['d16_loss', 'd4_loss', 'd8_loss']
    >>> gan.generate(3).shape
    (3, 16, 16, 1)
    """

    def __init__(
        self, generators, discriminators, interpolation="bilinear", seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        check_choice(interpolation, "interpolation", pyramid.INTERPOLATIONS)
        generators, discriminators = list(generators), list(discriminators)
        if not generators or len(generators) != len(discriminators):
            raise ValueError(
                "`generators` and `discriminators` should be two non-empty lists "
                "with one model per level. Received "
                f"{len(generators)} generators and {len(discriminators)} "
                "discriminators."
            )
        latent_shapes = level_latent_shapes(generators)
        self.sizes, self.channels = self._check_levels(generators, discriminators)
        self.level_generators = generators
        self.level_discriminators = discriminators
        self.num_levels = len(generators)
        self.image_size = self.sizes[-1]
        self.interpolation = interpolation
        self.latent_shapes = latent_shapes
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        # The coarse-to-fine sampler: one flat latent per image.
        self.generator = lapgan_sampler(generators, interpolation)
        self.latent_dim = sum(math.prod(shape) for shape in latent_shapes)
        self.latent_shape = (self.latent_dim,)
        self.built = True

    @staticmethod
    def _check_levels(generators, discriminators):
        """The levels' sizes and the channels; a ValueError naming what does not
        fit."""
        sizes = []
        channels = None
        for level, (generator, discriminator) in enumerate(
            zip(generators, discriminators, strict=True)
        ):
            for argument, model in (
                ("generators", generator),
                ("discriminators", discriminator),
            ):
                if not isinstance(model, keras.layers.Layer) or not model.built:
                    raise ValueError(
                        f"Each of `{argument}` should be a built Keras model. "
                        f"Received {model!r} at level {level}."
                    )
            size, level_channels = _output_size(generator, "generators")
            channels = level_channels if channels is None else channels
            if level_channels != channels or (level and size != 2 * sizes[-1]):
                raise ValueError(
                    "Each level's generator should output the coarser level's "
                    "channels at twice its size. Received output shapes "
                    f"{[g.output_shape for g in generators]}."
                )
            if level:
                conditioning_shape = tuple(generator.inputs[1].shape[1:])
                if conditioning_shape != (size, size, channels):
                    raise ValueError(
                        f"The level-{level} generator's second input (the upsampled "
                        f"coarser image l_k) should have shape "
                        f"{(size, size, channels)}. Received {conditioning_shape}."
                    )
            expected = (size, size, channels * (2 if level else 1))
            received = tuple(discriminator.input_shape[1:])
            if received != expected:
                raise ValueError(
                    f"The level-{level} discriminator should take inputs of shape "
                    f"{expected} ({'[h_k, l_k] stacked' if level else 'images'}). "
                    f"Received input shape {received}."
                )
            sizes.append(size)
        return sizes, channels

    # --- Keras plumbing ---------------------------------------------------------------

    def call(self, latents, training=False):
        return self.generator(latents, training=training)

    @property
    def metrics(self):
        return list(getattr(self, "_trackers", {}).values())

    @property
    def sampling_generator(self):
        """The network that samples and exports: the coarse-to-fine sampler."""
        return self.generator

    def _level_optimizers(self, optimizer, argument):
        """One optimizer per level: a list of them, or fresh copies of one."""
        if isinstance(optimizer, (list, tuple)):
            if len(optimizer) != self.num_levels:
                raise ValueError(
                    f"`{argument}` should be one optimizer (copied for each level) "
                    f"or a list of {self.num_levels}, one per level. Received a "
                    f"list of {len(optimizer)}."
                )
            optimizers = [keras.optimizers.get(item) for item in optimizer]
        else:
            template = keras.optimizers.serialize(
                keras.optimizers.get(optimizer or DEFAULT_OPTIMIZER)
            )
            optimizers = [
                keras.optimizers.deserialize(template) for _ in range(self.num_levels)
            ]
        if len({id(item) for item in optimizers}) != len(optimizers):
            raise ValueError(
                f"`{argument}` should hold a distinct optimizer instance per level: "
                "an optimizer keeps state for one set of variables."
            )
        return optimizers

    def compile(
        self, d_optimizer=None, g_optimizer=None, loss="non_saturating", **kwargs
    ):
        """Configures one optimizer pair per level and the adversarial loss.

        Args:
            d_optimizer: The discriminators' optimizer (instance, name or config),
                copied for each level, or a list with one per level. Defaults to
                DCGAN's Adam(2e-4, beta_1=0.5).
            g_optimizer: The generators' optimizer(s), as `d_optimizer`.
            loss: A name from `keras_gans.losses.names()` or a `GANLoss` (the
                paper: the original GAN loss, "non_saturating").
            **kwargs: Passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`).
        """
        refuse_unused(
            "LaplacianGAN",
            "`d_optimizer`, `g_optimizer` and `loss`",
            kwargs,
            ("loss_weights", "metrics", "optimizer"),
        )
        super().compile(**kwargs)
        self.adversarial_loss = gan_losses.get(loss)
        d_optimizers = self._level_optimizers(d_optimizer, "d_optimizer")
        g_optimizers = self._level_optimizers(g_optimizer, "g_optimizer")
        self.players = trainer.Players()
        for level in range(self.num_levels):
            self.players.add(
                f"discriminator_{level}",
                [self.level_discriminators[level]],
                d_optimizers[level],
            )
            self.players.add(
                f"generator_{level}",
                [self.level_generators[level]],
                g_optimizers[level],
            )
        self.d_optimizers = [
            self.players[f"discriminator_{level}"].optimizer
            for level in range(self.num_levels)
        ]
        self.g_optimizers = [
            self.players[f"generator_{level}"].optimizer
            for level in range(self.num_levels)
        ]
        names = ["d_loss", "g_loss"]
        for size in self.sizes:
            names += [f"d{size}_loss", f"g{size}_loss"]
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self._lapgan_compile_kwargs = kwargs

    def get_compile_config(self):
        if not self.compiled:
            return None
        serialize = keras.saving.serialize_keras_object
        return {
            "d_optimizer": [serialize(item) for item in self.d_optimizers],
            "g_optimizer": [serialize(item) for item in self.g_optimizers],
            "loss": serialize(self.adversarial_loss),
            **self._lapgan_compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        deserialize = keras.saving.deserialize_keras_object
        for key in ("d_optimizer", "g_optimizer"):
            config[key] = [deserialize(item) for item in config[key]]
        config["loss"] = deserialize(config["loss"])
        self.compile(**config)

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "generators": [serialize(model) for model in self.level_generators],
            "discriminators": [serialize(model) for model in self.level_discriminators],
            "interpolation": self.interpolation,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        deserialize = keras.saving.deserialize_keras_object
        for key in ("generators", "discriminators"):
            config[key] = [deserialize(item) for item in config[key]]
        return cls(**config)

    # --- Training ---------------------------------------------------------------------

    def training_pairs(self, images):
        """Each level's real training data, from the Laplacian pyramid of `images`.

        Level 0: `(I_K, None)`, the coarsest low-pass images. Level k:
        `(h, u(I))` with `h` the residual at that level's size and `u(I)` the
        upsampled next-coarser low-pass image (the conditioning `l_k`).

        Args:
            images: `[batch, size, size, channels]` at the finest size.

        Returns:
            A list of `num_levels` pairs `(targets, conditioning)`, coarse to fine.
        """
        residuals = pyramid.laplacian_pyramid(
            images, self.num_levels, self.interpolation
        )  # finest first, the coarsest image last
        low_passes = [ops.cast(images, residuals[0].dtype)]  # finest first
        for _ in range(self.num_levels - 1):
            low_passes.append(pyramid.downsample(low_passes[-1]))
        pairs = [(residuals[-1], None)]
        for level in range(1, self.num_levels):
            index = self.num_levels - 1 - level  # the pyramid's finest-first index
            conditioning = pyramid.upsample(low_passes[index + 1], self.interpolation)
            pairs.append((residuals[index], conditioning))
        return pairs

    def _level_generate(self, level, batch_size, conditioning, training):
        """Level `level`'s generated images (level 0) or residuals, for this
        replica's `batch_size` rows."""
        latents = trainer.normal_for_replica(
            (batch_size, *self.latent_shapes[level]), self.seed_generator
        )
        generator = self.level_generators[level]
        if conditioning is None:
            return generator(latents, training=training)
        return generator([latents, conditioning], training=training)

    @staticmethod
    def _discriminator_input(targets, conditioning):
        """What D sees: the images (level 0), or `[h_k, l_k]` stacked as channels."""
        if conditioning is None:
            return targets
        conditioning = ops.cast(conditioning, targets.dtype)
        return ops.concatenate([targets, conditioning], axis=-1)

    def _level_step(self, level, targets, conditioning, logs):
        """One discriminator step and one generator step of level `level`."""
        discriminator = self.level_discriminators[level]
        batch_size = ops.shape(targets)[0]
        real_input = self._discriminator_input(targets, conditioning)
        losses = {}

        # Discriminator step: real pairs against generated ones.
        generated = self._level_generate(level, batch_size, conditioning, True)
        fake_input = self._discriminator_input(generated, conditioning)
        d_player = self.players[f"discriminator_{level}"]

        def discriminator_loss():
            real_logits = discriminator(real_input, training=True)
            fake_logits = discriminator(fake_input, training=True)
            losses["d"] = self.adversarial_loss.discriminator_loss(
                real_logits, fake_logits
            )
            return losses["d"] + d_player.regularization()

        trainer.minimize(d_player, discriminator_loss)

        # Generator step: fresh latents, the same conditioning.
        g_player = self.players[f"generator_{level}"]

        def generator_loss():
            generated = self._level_generate(level, batch_size, conditioning, True)
            fake_logits = discriminator(
                self._discriminator_input(generated, conditioning), training=True
            )
            real_logits = (
                discriminator(real_input, training=True)
                if self.adversarial_loss.generator_needs_real_logits
                else None
            )
            losses["g"] = self.adversarial_loss.generator_loss(fake_logits, real_logits)
            return losses["g"] + g_player.regularization()

        trainer.minimize(g_player, generator_loss)
        d_loss, g_loss = losses["d"], losses["g"]
        size = self.sizes[level]
        logs[f"d{size}_loss"] = d_loss
        logs[f"g{size}_loss"] = g_loss

    def train_step(self, data):
        real_images = _split_real_data(data)
        logs = {}
        for level, (targets, conditioning) in enumerate(
            self.training_pairs(real_images)
        ):
            self._level_step(level, targets, conditioning, logs)
        for player in ("d", "g"):
            logs[f"{player}_loss"] = sum(
                logs[f"{player}{size}_loss"] for size in self.sizes
            ) / float(self.num_levels)
        trainer.update_trackers(self._trackers, logs)
        return trainer.step_outputs(
            {name: tracker.result() for name, tracker in self._trackers.items()}
        )

    # --- Sampling and export ----------------------------------------------------------

    def generate(self, num_images, seed=None, batch_size=256):
        """Samples `num_images` images coarse to fine, clipped to [-1, 1].

        Args:
            num_images: How many images.
            seed: An int for a repeatable draw that leaves the model's seed state
                untouched; `None` draws from the model's `SeedGenerator`.
            batch_size: Images per sampler call.

        Returns:
            A NumPy array `[num_images, size, size, channels]` in [-1, 1].
        """
        num_images = check_positive_integer(num_images, "num_images")
        source = (
            self.seed_generator if seed is None else keras.random.SeedGenerator(seed)
        )
        latents = keras.random.normal((num_images, self.latent_dim), seed=source)
        images = self.generator.predict(latents, batch_size=batch_size, verbose=0)
        return np.clip(images, -1.0, 1.0)

    def save_generator(self, filepath):
        """Saves the coarse-to-fine sampler alone as a `.keras` file."""
        self.generator.save(filepath)


def check_preset(preset):
    """Raises a ValueError for the fields of `preset` that a LAPGAN has no option
    for (`build_laplacian_gan` checks this first)."""
    reject_unsupported_fields(preset, _UNSUPPORTED_PRESET_FIELDS, "A LAPGAN")


def build_laplacian_gan(
    preset, sample_shape, seed=None, d_optimizer=None, g_optimizer=None
):
    """A compiled `LaplacianGAN` for a preset with `architecture="lapgan"` (what
    `keras_gans.presets.build_gan` returns for it).

    Three levels (4 -> 8 -> 16 for 16x16 images) from
    `architectures.lapgan.lapgan_networks`: the coarsest level's z has
    `preset.latent_dim` entries and its MLPs `4 * preset.width` units, the finer
    levels' convolutions `preset.width` filters; `preset.loss` for every level.

    Args:
        preset: A `keras_gans.presets.Preset`.
        sample_shape: One image's shape, e.g. `(16, 16, 1)`.
        seed: Seeds the weight initialisers and the latents.
        d_optimizer, g_optimizer: One optimizer each, copied for every level.

    Returns:
        A compiled `LaplacianGAN`.
    """
    check_preset(preset)
    if len(sample_shape) != 3 or sample_shape[0] != sample_shape[1]:
        raise ValueError(
            "A LAPGAN needs square images [size, size, channels]. Received samples "
            f"of shape {tuple(sample_shape)} (dataset {preset.dataset!r})."
        )
    generators, discriminators = lapgan_networks(
        sample_shape[0],
        sample_shape[2],
        num_levels=PRESET_NUM_LEVELS,
        latent_dim=preset.latent_dim,
        width=preset.width,
        hidden_units=COARSE_UNITS_PER_WIDTH * preset.width,
        seed=seed,
    )
    gan = LaplacianGAN(generators, discriminators, seed=seed)
    gan.compile(d_optimizer, g_optimizer, loss=preset.loss)
    return gan
