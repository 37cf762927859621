"""Progressive growing of GANs (catalogue A6): the GAN model with a growth schedule
inside `fit`.

Karras et al. 2018 train at 4x4 first and double the resolution in stages; each new
resolution fades in over a number of images, then trains stably (section 2). Here
the networks are those of `keras_gans.architectures.progressive`: built once at the
final resolution, their active levels and fade-in weight set by a growth progress
variable, so the compiled step never retraces.

**The schedule** (a function of the number of real images seen, `images_seen`):
stage 0 (4x4) trains for `stable_images`; each later stage s fades in over
`fade_in_images` images (α rising linearly from 0 to 1) and then trains stably for
`stable_images`; the last stage then continues with α = 1:

    stage(n) = 0                                          if n < S
             = min(L - 1, 1 + (n - S) // (F + S))        otherwise
    α(n)     = 1                                          at stage 0
             = min(1, (n - S - (stage - 1)(F + S)) / F)  otherwise

with S = `stable_images`, F = `fade_in_images` and L levels (the paper: 800k real
images for each of F and S).

**State.** `images_seen`, `stage` and `alpha` are non-trainable variables of the
model, and the growth progress `p = stage - 1 + α` is a weight of G and of D
(`GrowthProgress`), so all of them save and load with the model (`.keras`,
`save_weights`, hence `keras.callbacks.BackupAndRestore`). The schedule runs
**inside `train_step`** (not in a callback, so a plain `fit` or `train_on_batch`
grows the networks too): at the start of each step the state is derived from
`images_seen`, after the step `images_seen` grows by the global batch and the
state is derived again, so after `fit` on N images the model is where the schedule
puts N. Under `tf.distribute` every replica computes the same values and the
first replica's are kept.

**Each step** is `GAN.train_step` (every loss, penalty and trick of
`GAN.compile`) on real images faded to the current resolution
(`fade_real_images`: average-pooled to it and blended with the coarser one while
α < 1, kept at the final size by pixel repetition). The paper's loss is WGAN-GP
(`compile(loss="wasserstein", penalties=["gp"])`, λ = 10, one critic step) with
a drift term `ε_drift E[D(x)²]` (ε_drift = 0.001, `drift_weight`) that keeps the
critic's outputs near 0; the drift is added to `d_loss` (logged together). Adam
with lr 1e-3, β1 = 0, β2 = 0.99 (section A.1). The logs add `stage` and `alpha`
(after the step).

Reference: Karras, Aila, Laine & Lehtinen 2018, https://arxiv.org/abs/1710.10196
"""

import keras
import numpy as np
from keras import ops

from keras_gans._checks import (
    check_integer,
    check_non_negative_number,
    check_positive_integer,
)
from keras_gans.architectures.progressive import (
    fade_real_images,
    growth_layer,
    growth_progress,
    num_growth_levels,
    progressive_discriminator,
    progressive_generator,
)
from keras_gans.models._preset_fields import reject_unsupported_fields
from keras_gans.models.gan import GAN, _split_real_data
from keras_gans.training import options as step_options
from keras_gans.training import trainer

__all__ = [
    "ProgressiveGAN",
    "build_progressive_gan",
    "check_preset",
    "growth_schedule",
]

# The paper's drift weight ε_drift (section A.1).
DEFAULT_DRIFT_WEIGHT = 1e-3
# Preset fields a progressive GAN does not take: its networks fix the
# normalizations (pixel norm in G, none in D) and its D input. (The GAN step
# components it cannot take declare so themselves: `family_traits`.)
_UNSUPPORTED_PRESET_FIELDS = (
    "num_classes",
    "auxiliary_classifier",
    "minibatch_kernels",
    "generator_dropout",
    "labels_per_class",
)


def growth_schedule(images_seen, num_levels, fade_in_images, stable_images):
    """The (stage, α) of progressive growing after `images_seen` real images.

    `stage = 0` for n < S, else `min(L - 1, 1 + (n - S) // (F + S))`;
    `α = 1` at stage 0, else `min(1, (n - S - (stage - 1)(F + S)) / F)`
    (S = `stable_images`, F = `fade_in_images`, L = `num_levels`).

    Args:
        images_seen: Real images trained on so far (an int or an integer tensor).
        num_levels: The number of resolutions (3 for 4 -> 8 -> 16).
        fade_in_images: F, the images over which a new level fades in.
        stable_images: S, the images of each stable phase.

    Returns:
        `(stage, alpha)`: an int32 scalar and a float32 scalar.

    Example:

    >>> stage, alpha = growth_schedule(150, 3, fade_in_images=100, stable_images=100)
    >>> int(stage), float(alpha)
    (1, 0.5)
    >>> [int(growth_schedule(n, 3, 100, 100)[0]) for n in (99, 100, 399, 10_000)]
    [0, 1, 2, 2]
    """
    num_levels = check_positive_integer(num_levels, "num_levels")
    fade_in_images = check_positive_integer(fade_in_images, "fade_in_images")
    stable_images = check_positive_integer(stable_images, "stable_images")
    images_seen = ops.cast(images_seen, "int64")
    cycle = fade_in_images + stable_images
    after_first = images_seen - stable_images
    stage = ops.where(
        images_seen < stable_images,
        ops.convert_to_tensor(0, "int64"),
        ops.minimum(
            num_levels - 1,
            1 + ops.floor_divide(ops.maximum(after_first, 0), cycle),
        ),
    )
    into_stage = after_first - (stage - 1) * cycle
    alpha = ops.where(
        stage > 0,
        ops.minimum(1.0, ops.cast(into_stage, "float32") / float(fade_in_images)),
        1.0,
    )
    return ops.cast(stage, "int32"), ops.cast(alpha, "float32")


@keras.saving.register_keras_serializable(package="keras_gans")
class ProgressiveGAN(GAN):
    """A GAN whose networks grow from 4x4 to their final resolution during `fit`.

    `GAN` with a growth schedule: see the module docstring for the schedule, the
    state it keeps and the paper's recipe. `generate`, `save_generator` and the
    generator itself give final-size images at the current stage (a stage-s image
    is its `4 · 2^s` image with each pixel repeated).

    Args:
        generator: From `architectures.progressive.progressive_generator` (a
            network with a `GrowthProgress` layer, final-size output).
        discriminator: From `progressive_discriminator`, for the same size.
        fade_in_images: Real images over which each new level fades in (800k in
            the paper).
        stable_images: Real images of each stable phase, stage 0's included (800k
            in the paper).
        drift_weight: ε_drift of the drift term `ε_drift E[D(x)²]` added to D's
            loss (0.001 in the paper; 0 disables).
        latent_dim: The latent size; defaults to the generator's input.
        seed: Seed of the latent `SeedGenerator`.

    Example:

    >>> from keras_gans.architectures import progressive
    >>> gan = ProgressiveGAN(
    ...     progressive.progressive_generator(8, latent_dim=4, width=4),
    ...     progressive.progressive_discriminator(8, width=4),
    ...     fade_in_images=8,
    ...     stable_images=8,
    ...     seed=0,
    ... )
    >>> gan.compile(loss="wasserstein", penalties=["gp"])
    >>> images = np.zeros((16, 8, 8, 1), "float32")
    >>> _ = gan.fit(images, batch_size=4, epochs=1, verbose=0)
    >>> int(gan.stage.numpy()), float(gan.alpha.numpy())  # after 16 images
    (1, 1.0)
    """

    # D's input is built for single images and its active layers change with the
    # stage (`StepComponent.unavailable_in`).
    family_traits = frozenset({"growing_discriminator"})
    model_description = "a ProgressiveGAN"

    def __init__(
        self,
        generator,
        discriminator,
        fade_in_images,
        stable_images,
        drift_weight=DEFAULT_DRIFT_WEIGHT,
        latent_dim=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            generator, discriminator, latent_dim=latent_dim, seed=seed, **kwargs
        )
        fade_in_images = check_positive_integer(fade_in_images, "fade_in_images")
        stable_images = check_positive_integer(stable_images, "stable_images")
        drift_weight = check_non_negative_number(drift_weight, "drift_weight")
        output_shape = generator.output_shape
        if len(output_shape) != 4 or output_shape[1] != output_shape[2]:
            raise ValueError(
                "The generator should output square images [batch, size, size, "
                f"channels]. Received output shape {output_shape}."
            )
        self.num_levels = num_growth_levels(output_shape[1])
        self.image_size = output_shape[1]
        self.fade_in_images = fade_in_images
        self.stable_images = stable_images
        self.drift_weight = float(drift_weight)
        self.generator_growth = growth_layer(generator)
        self.discriminator_growth = growth_layer(discriminator)
        # The schedule's state; aggregation: every replica computes the same value
        # and the first replica's is kept.
        self.images_seen = self.add_weight(
            shape=(),
            dtype="int64",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="images_seen",
        )
        self.stage = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="stage",
        )
        self.alpha = self.add_weight(
            shape=(),
            initializer="ones",
            trainable=False,
            aggregation="only_first_replica",
            name="alpha",
        )
        self._apply_schedule()

    # --- The growth schedule ----------------------------------------------------------

    @property
    def progress(self):
        """The growth progress `p = stage - 1 + α` (0 at stage 0), float32."""
        return growth_progress(self.stage, self.alpha)

    def _apply_schedule(self):
        """Sets `stage`, `alpha` and the networks' progress (G's, D's and the EMA
        generator's) from `images_seen`."""
        stage, alpha = growth_schedule(
            self.images_seen,
            self.num_levels,
            self.fade_in_images,
            self.stable_images,
        )
        self.stage.assign(stage)
        self.alpha.assign(alpha)
        progress = growth_progress(stage, alpha)
        self.generator_growth.progress.assign(progress)
        self.discriminator_growth.progress.assign(progress)
        if getattr(self, "ema_generator", None) is not None:  # T13's copy of G
            growth_layer(self.ema_generator).progress.assign(progress)

    def set_images_seen(self, images_seen):
        """Moves the schedule to `images_seen` real images (e.g. to resume at a
        stage, or to inspect one): sets `images_seen`, `stage`, `alpha` and the
        networks' progress.

        Args:
            images_seen: A non-negative integer.
        """
        images_seen = check_integer(images_seen, "images_seen", minimum=0)
        self.images_seen.assign(images_seen)
        self._apply_schedule()

    # --- Training ---------------------------------------------------------------------

    def _real_batch(self, data):
        real_images, real_labels = super()._real_batch(data)
        return fade_real_images(real_images, self.progress, self.num_levels), (
            real_labels
        )

    def _discriminator_loss(self, real_logits, fake_logits):
        loss = super()._discriminator_loss(real_logits, fake_logits)
        if not self.drift_weight:
            return loss
        drift = ops.mean(ops.square(ops.cast(real_logits, "float32")))
        return loss + self.drift_weight * drift

    def train_step(self, data):
        self._apply_schedule()
        results = super().train_step(data)
        _, num_replicas = trainer.replica_position()
        batch_size = ops.shape(_split_real_data(data))[0] * num_replicas
        self.images_seen.assign_add(ops.cast(batch_size, "int64"))
        self._apply_schedule()
        growth = {
            "stage": ops.cast(self.stage, "float32"),
            "alpha": ops.convert_to_tensor(self.alpha),
        }
        return {**results, **trainer.step_outputs(growth)}

    def generate(self, num_images, seed=None, batch_size=256, truncation=None):
        """`GAN.generate` clipped to [-1, 1] (PGGAN's toRGB layers are linear).

        Args:
            num_images: How many samples.
            seed: An int for a repeatable draw; `None` draws from the model's
                `SeedGenerator`.
            batch_size: Samples per generator call.
            truncation: Latents truncated at this |z| (T17); `None` disables.

        Returns:
            A NumPy array `[num_images, size, size, channels]` in [-1, 1], at the
            current stage (a stage-s image has blocks of `size / 4 / 2^s` pixels).
        """
        images = super().generate(num_images, seed, batch_size, truncation)
        return np.clip(images, -1.0, 1.0)

    def get_config(self):
        return {
            **super().get_config(),
            "fade_in_images": self.fade_in_images,
            "stable_images": self.stable_images,
            "drift_weight": self.drift_weight,
        }


def check_preset(preset):
    """Raises a ValueError for the fields of `preset` that a progressive GAN has no
    option for, or whose `GAN.compile` options do not combine
    (`build_progressive_gan` checks this first)."""
    reject_unsupported_fields(preset, _UNSUPPORTED_PRESET_FIELDS, "A progressive GAN")
    ProgressiveGAN.check_options(
        loss=preset.loss, **step_options.preset_options(preset)
    )


def build_progressive_gan(
    preset,
    sample_shape,
    seed=None,
    total_steps=None,
    d_optimizer=None,
    g_optimizer=None,
):
    """A compiled `ProgressiveGAN` for a preset with `architecture="progressive"`
    (what `keras_gans.presets.build_gan` returns for it).

    The run's real images (`total_steps * preset.batch_size`) are split into
    equal phases, the paper's equal fade-in and stable phases: `2L - 1` of them
    for L levels (stage 0 stable, then a fade-in and a stable phase per stage), so
    the last stage is stable for the last phase. Networks of
    `architectures.progressive` with `preset.width` filters and
    `preset.latent_dim` latents; the preset's loss, penalties, discriminator
    steps, label smoothing, historical averaging and EMA generator go to
    `GAN.compile`; the drift weight is the paper's 0.001.

    Args:
        preset: A `keras_gans.presets.Preset`.
        sample_shape: One image's shape, e.g. `(16, 16, 1)`.
        seed: Seeds the latents (the weights come from the Keras global seed).
        total_steps: The run's number of training steps (sets the schedule).
        d_optimizer, g_optimizer: The optimizers.

    Returns:
        A compiled `ProgressiveGAN`.
    """
    check_preset(preset)
    if total_steps is None:
        raise ValueError(
            "The growth schedule spans the run: pass `total_steps`. "
            f"Received: `total_steps=None` for preset {preset.name!r}."
        )
    if len(sample_shape) != 3 or sample_shape[0] != sample_shape[1]:
        raise ValueError(
            "A progressive GAN needs square images [size, size, channels]. "
            f"Received samples of shape {tuple(sample_shape)} "
            f"(dataset {preset.dataset!r})."
        )
    size, _, channels = sample_shape
    num_levels = num_growth_levels(size)
    phase_images = max(1, total_steps * preset.batch_size // (2 * num_levels - 1))
    gan = ProgressiveGAN(
        progressive_generator(size, channels, preset.latent_dim, preset.width),
        progressive_discriminator(size, channels, preset.width),
        fade_in_images=phase_images,
        stable_images=phase_images,
        seed=seed,
    )
    options = step_options.preset_options(preset, total_steps)
    if preset.single_loss:
        gan.compile(optimizer=d_optimizer, loss=preset.loss, **options)
    else:
        gan.compile(d_optimizer, g_optimizer, loss=preset.loss, **options)
    return gan
