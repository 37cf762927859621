"""Coarse-to-refine GAN (catalogue A8) for inpainting, with the extra losses of T22.

A two-stage generator fills a square hole in an image (Yu et al. 2018, section 3.1):

1. **Coarse stage**: `c = G_c(concat[(1 - m) x, m])`, trained with the L1
   reconstruction loss alone, `coarse_l1 = mean|x - c|` over the whole image.
2. **Refinement stage**: `r = G_r(concat[(1 - m) x, m], composite(c))`, trained with
   an adversarial loss (any name of `keras_gans.losses`) plus
   `l1_weight * mean|x - r|` and, each when its weight is non-zero, the T22 losses of
   `keras_gans.image_losses` on the composited output `y = composite(r)` against `x`:
   `perceptual_weight * perceptual_loss(x, y, feature_model)`,
   `style_weight * style_loss(phi(x), phi(y))` and
   `total_variation_weight * total_variation_loss(y)`.
3. **Discriminator**: judges real images `x` against `y`. Only the hole is generated:
   `composite(g) = m g + (1 - m) x` keeps every known pixel exact.

The mask `m` is 1 in a `hole_size` square: at a random position per image
(`hole="random"`, drawn from the model's `SeedGenerator` for the global batch and
sliced per replica, `keras_gans.training.trainer`) or in the centre (`hole="centre"`).

**Schedule.** Both stages train jointly in every step, as Yu et al. train their
network end to end; the refinement stage receives the coarse output through a stop
gradient, so the coarse stage is trained by its L1 loss alone ("L1-trained coarse
stage then adversarial refinement"). With `coarse_steps = N` the first N steps train
the coarse stage alone: the refinement and discriminator losses are multiplied by 0,
so their gradients are 0 and (with Adam, RMSprop or SGD from a fresh state, whose
moments stay 0) their weights do not move. The step count is a non-trainable model
variable (`training_step`), saved with the model, so a restored run continues the
schedule where it stopped. (A gate, not a branch: the same graph serves both
phases, also under `tf.distribute`.)

The logs: `coarse_l1`, `refine_l1`, `d_loss`, `g_loss` (the adversarial part of G's
loss) and `perceptual`, `style`, `total_variation` when their weights are non-zero.
During the coarse-only steps the refinement logs are those of the frozen networks.
`evaluate` (and `fit(validation_data=...)`) reports the completion error inside a
centre hole, `hole_l1`, and the coarse stage's, `coarse_hole_l1`.

The three players (coarse generator, refinement generator, discriminator) step
through `keras_gans.training.trainer.minimize`, which differentiates each replica's
share of the global-batch losses, as in `GAN`.

Reference: Yu, Lin, Yang, Shen, Lu & Huang 2018, "Generative Image Inpainting with
Contextual Attention", https://arxiv.org/abs/1801.07892; the T22 losses: Johnson,
Alahi & Fei-Fei 2016, https://arxiv.org/abs/1603.08155
"""

import keras
import numpy as np
from keras import ops

from keras_gans import image_losses
from keras_gans import losses as gan_losses
from keras_gans._checks import (
    check_choice,
    check_integer,
    check_non_negative_number,
    check_positive_integer,
)
from keras_gans.architectures.coarse_to_refine import (
    MaskComposite,
    coarse_generator,
    completion_network,
    inpainting_discriminator,
    refine_generator,
)
from keras_gans.models._compile_arguments import refuse_unused
from keras_gans.models._preset_fields import reject_unsupported_fields
from keras_gans.models._seed_state import SavesSeedState
from keras_gans.models.gan import DEFAULT_OPTIMIZER, _split_real_data
from keras_gans.training import options as step_options
from keras_gans.training import trainer

__all__ = ["CoarseToRefineGAN", "build_coarse_to_refine_gan", "check_preset"]

HOLES = ("centre", "random")
# pix2pix's weight of the L1 term beside the adversarial loss (Isola et al. 2017).
DEFAULT_L1_WEIGHT = 100.0
_EXTRA_LOSSES = ("perceptual", "style", "total_variation")
# What `evaluate` (and `fit`'s validation) reports: see `CoarseToRefineGAN.test_step`.
EVALUATION_METRICS = ("hole_l1", "coarse_hole_l1")


@keras.saving.register_keras_serializable(package="keras_gans")
class CoarseToRefineGAN(SavesSeedState, keras.Model):
    """A coarse-to-refine inpainting GAN that trains with `model.fit`.

    See the module docstring for the algorithm. `fit` takes batches of complete
    images in [-1, 1] (or `(images, labels)`; the labels are not used) and makes
    the holes itself.

    Args:
        coarse_generator: A built model `[b, h, w, c + 1]` -> `[b, h, w, c]`
            (`architectures.coarse_to_refine.coarse_generator`).
        refine_generator: A built model `([b, h, w, c + 1], [b, h, w, c])` ->
            `[b, h, w, c]`.
        discriminator: A built model `[b, h, w, c]` -> logits.
        hole_size: The side of the square hole, < the image size.
        hole: "random" (a random position per image in training) or "centre".
        coarse_steps: The first `coarse_steps` steps train the coarse stage alone.
        feature_model: The network `phi` of the perceptual and style losses (any
            Keras model from images to a feature map or a list of them; kept frozen
            and saved with the model). Needed when those weights are non-zero.
        seed: Seed of the model's `SeedGenerator` (the hole positions).

    Example:

    >>> import numpy as np
    >>> from keras_gans.architectures import coarse_to_refine as networks
    >>> gan = CoarseToRefineGAN(
    ...     networks.coarse_generator(8, width=2, seed=0),
    ...     networks.refine_generator(8, width=2, seed=1),
    ...     networks.inpainting_discriminator(8, width=2, seed=2),
    ...     hole_size=4, seed=0)
    >>> gan.compile(total_variation_weight=0.1)
    >>> history = gan.fit(np.zeros((4, 8, 8, 1), "float32"), batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['coarse_l1', 'd_loss', 'g_loss', 'refine_l1', 'total_variation']
    >>> gan.complete(np.zeros((3, 8, 8, 1), "float32")).shape
    (3, 8, 8, 1)
    """

    def __init__(
        self,
        coarse_generator,
        refine_generator,
        discriminator,
        hole_size=None,
        hole="random",
        coarse_steps=0,
        feature_model=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for argument, model in (
            ("coarse_generator", coarse_generator),
            ("refine_generator", refine_generator),
            ("discriminator", discriminator),
        ):
            if not isinstance(model, keras.layers.Layer) or not model.built:
                raise ValueError(
                    f"`{argument}` should be a built Keras model. "
                    f"Received: `{argument}={model!r}`."
                )
        image_shape = tuple(coarse_generator.output_shape[1:])
        if len(image_shape) != 3 or image_shape[0] != image_shape[1]:
            raise ValueError(
                "`coarse_generator` should output square images [batch, size, size, "
                f"channels]. Received output shape {coarse_generator.output_shape}."
            )
        image_size = image_shape[0]
        if hole_size is None:
            hole_size = image_size // 2
        hole_size = check_positive_integer(hole_size, "hole_size")
        if hole_size >= image_size:
            raise ValueError(
                f"`hole_size` should be an integer in [1, {image_size - 1}]. "
                f"Received: `hole_size={hole_size!r}`."
            )
        hole = check_choice(hole, "hole", HOLES)
        coarse_steps = check_integer(coarse_steps, "coarse_steps", minimum=0)
        if feature_model is not None and not callable(feature_model):
            raise ValueError(
                "`feature_model` should be None or a Keras model. "
                f"Received: `feature_model={feature_model!r}`."
            )
        self.coarse_generator = coarse_generator
        self.refine_generator = refine_generator
        self.discriminator = discriminator
        self.feature_model = feature_model
        if isinstance(feature_model, keras.layers.Layer):
            feature_model.trainable = False  # A fixed measuring device.
        self.image_shape = image_shape
        self.image_size = image_size
        self.hole_size = hole_size
        self.hole = hole
        self.coarse_steps = coarse_steps
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="mask_seed")
        # The schedule's step count: non-trainable, saved with the weights.
        self.training_step = self.add_weight(
            shape=(),
            dtype="int64",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="training_step",
        )
        # The sampling network: inputs concat[(1 - m) x, m] -> completed images.
        self.generator = completion_network(coarse_generator, refine_generator)
        self.built = True

    # --- Keras plumbing ---------------------------------------------------------------

    def call(self, masked_inputs, training=False):
        return self.generator(masked_inputs, training=training)

    @property
    def metrics(self):
        return [
            *getattr(self, "_trackers", {}).values(),
            *getattr(self, "_evaluation_trackers", {}).values(),
        ]

    @property
    def sampling_generator(self):
        """The completion network (what `save_generator` writes)."""
        return self.generator

    def compile(
        self,
        coarse_optimizer=None,
        refine_optimizer=None,
        d_optimizer=None,
        loss="non_saturating",
        *,
        l1_weight=DEFAULT_L1_WEIGHT,
        perceptual_weight=0.0,
        style_weight=0.0,
        total_variation_weight=0.0,
        **kwargs,
    ):
        """Configures the three optimizers, the adversarial loss and the weights of
        the refinement stage's extra losses (T22, `keras_gans.image_losses`).

        Args:
            coarse_optimizer: The coarse generator's optimizer. Defaults to DCGAN's
                Adam(2e-4, beta_1=0.5), as the other two.
            refine_optimizer: The refinement generator's optimizer.
            d_optimizer: The discriminator's optimizer.
            loss: A name from `keras_gans.losses.names()` or a `GANLoss`.
            l1_weight: λ of `mean|x - r|` in the refinement loss (pix2pix: 100).
            perceptual_weight: Weight of `perceptual_loss(x, y, feature_model)`.
            style_weight: Weight of `style_loss(phi(x), phi(y))`.
            total_variation_weight: Weight of `total_variation_loss(y)`.
            **kwargs: Passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`).
        """
        refuse_unused(
            "CoarseToRefineGAN",
            "`coarse_optimizer`, `refine_optimizer`, `d_optimizer` and `loss`",
            kwargs,
            ("loss_weights", "metrics", "optimizer"),
        )
        weights = {
            "l1_weight": l1_weight,
            "perceptual_weight": perceptual_weight,
            "style_weight": style_weight,
            "total_variation_weight": total_variation_weight,
        }
        for argument, value in weights.items():
            check_non_negative_number(value, argument)
        if (perceptual_weight or style_weight) and self.feature_model is None:
            raise ValueError(
                "`perceptual_weight` and `style_weight` need the model's "
                "`feature_model`. Received: "
                f"`perceptual_weight={perceptual_weight}`, "
                f"`style_weight={style_weight}` and `feature_model=None`."
            )
        super().compile(**kwargs)
        self.adversarial_loss = gan_losses.get(loss)
        self.players = trainer.Players()
        self.coarse_optimizer, self.refine_optimizer, self.d_optimizer = (
            self.players.add(name, [network], optimizer or DEFAULT_OPTIMIZER).optimizer
            for name, network, optimizer in (
                ("coarse generator", self.coarse_generator, coarse_optimizer),
                ("refinement generator", self.refine_generator, refine_optimizer),
                ("discriminator", self.discriminator, d_optimizer),
            )
        )
        self.l1_weight = float(l1_weight)
        self.extra_loss_weights = {
            "perceptual": float(perceptual_weight),
            "style": float(style_weight),
            "total_variation": float(total_variation_weight),
        }
        names = ["coarse_l1", "refine_l1", "d_loss", "g_loss"] + [
            name for name in _EXTRA_LOSSES if self.extra_loss_weights[name]
        ]
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self._evaluation_trackers = {
            name: keras.metrics.Mean(name=name) for name in EVALUATION_METRICS
        }
        self._c2r_compile_kwargs = kwargs

    def get_compile_config(self):
        if not self.compiled:
            return None
        serialize = keras.saving.serialize_keras_object
        return {
            "coarse_optimizer": serialize(self.coarse_optimizer),
            "refine_optimizer": serialize(self.refine_optimizer),
            "d_optimizer": serialize(self.d_optimizer),
            "loss": serialize(self.adversarial_loss),
            "l1_weight": self.l1_weight,
            "perceptual_weight": self.extra_loss_weights["perceptual"],
            "style_weight": self.extra_loss_weights["style"],
            "total_variation_weight": self.extra_loss_weights["total_variation"],
            **self._c2r_compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        deserialize = keras.saving.deserialize_keras_object
        for key in ("coarse_optimizer", "refine_optimizer", "d_optimizer", "loss"):
            config[key] = deserialize(config[key])
        self.compile(**config)

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "coarse_generator": serialize(self.coarse_generator),
            "refine_generator": serialize(self.refine_generator),
            "discriminator": serialize(self.discriminator),
            "hole_size": self.hole_size,
            "hole": self.hole,
            "coarse_steps": self.coarse_steps,
            "feature_model": (
                None if self.feature_model is None else serialize(self.feature_model)
            ),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        deserialize = keras.saving.deserialize_keras_object
        for key in ("coarse_generator", "refine_generator", "discriminator"):
            config[key] = deserialize(config[key])
        if config.get("feature_model") is not None:
            config["feature_model"] = deserialize(config["feature_model"])
        return cls(**config)

    # The hole positions' seed state (`SavesSeedState`), under its own key.
    _SEED_STATE_KEY = "mask_seed_state"

    # --- Masks and the two stages -----------------------------------------------------

    def make_masks(self, batch_size, hole=None):
        """Binary hole masks `[batch_size, size, size, 1]`, 1 in a `hole_size`
        square.

        Args:
            batch_size: This replica's batch size.
            hole: "centre" or "random" (one position per image, drawn uniformly
                among the `(size - hole_size + 1)^2` positions for the global batch
                and sliced per replica). Defaults to the model's `hole`.

        Returns:
            A float32 tensor of 0s and 1s.
        """
        hole = self.hole if hole is None else hole
        span = self.image_size - self.hole_size + 1  # possible top-left corners
        if hole == "centre":
            corners = ops.full((batch_size, 2), (span - 1) // 2, dtype="int32")
        else:
            draws = trainer.uniform_for_replica(
                (batch_size, 2), self.seed_generator
            )  # [b, 2] in [0, 1)
            corners = ops.minimum(
                ops.cast(ops.floor(draws * span), "int32"), span - 1
            )  # [b, 2]: (top, left)
        positions = ops.arange(self.image_size, dtype="int32")  # [size]
        # [b, size] indicator of the hole's rows and of its columns
        rows = ops.logical_and(
            positions[None, :] >= corners[:, :1],
            positions[None, :] < corners[:, :1] + self.hole_size,
        )
        columns = ops.logical_and(
            positions[None, :] >= corners[:, 1:],
            positions[None, :] < corners[:, 1:] + self.hole_size,
        )
        rows = ops.cast(rows, "float32")
        columns = ops.cast(columns, "float32")
        return (rows[:, :, None] * columns[:, None, :])[..., None]  # [b, h, w, 1]

    @staticmethod
    def masked_inputs(images, masks):
        """The generators' input `concat[(1 - m) x, m]`, `[b, h, w, c + 1]`."""
        images = ops.cast(images, "float32")
        masks = ops.cast(masks, "float32")
        return ops.concatenate([(1.0 - masks) * images, masks], axis=-1)

    def stage_outputs(self, images, masks, training=False):
        """Every tensor of one forward pass, for inspection and the losses.

        Args:
            images: Complete images `[b, h, w, c]`.
            masks: Hole masks `[b, h, w, 1]` (`make_masks`).
            training: The networks' training flag.

        Returns:
            A dict: `masked_inputs`, `coarse` (raw `G_c` output),
            `coarse_composite`, `refined` (raw `G_r` output) and `completed`
            (`composite(refined)`).
        """
        inputs = self.masked_inputs(images, masks)
        coarse = self.coarse_generator(inputs, training=training)
        coarse_composite = MaskComposite()((coarse, inputs))
        refined = self.refine_generator(
            [inputs, ops.stop_gradient(coarse_composite)], training=training
        )
        return {
            "masked_inputs": inputs,
            "coarse": coarse,
            "coarse_composite": coarse_composite,
            "refined": refined,
            "completed": MaskComposite()((refined, inputs)),
        }

    def _extra_losses(self, images, completed):
        """The enabled T22 terms on the composited output, by log name."""
        terms = {}
        weights = self.extra_loss_weights
        if weights["perceptual"]:
            terms["perceptual"] = image_losses.perceptual_loss(
                images, completed, self.feature_model
            )
        if weights["style"]:
            terms["style"] = image_losses.style_loss(
                self.feature_model(images, training=False),
                self.feature_model(completed, training=False),
            )
        if weights["total_variation"]:
            terms["total_variation"] = image_losses.total_variation_loss(completed)
        return terms

    # --- Training ---------------------------------------------------------------------

    def train_step(self, data):
        images = ops.cast(_split_real_data(data), "float32")
        masks = self.make_masks(ops.shape(images)[0])
        inputs = self.masked_inputs(images, masks)
        # 1 once the coarse-only steps are over, else 0 (see the module docstring).
        refining = ops.cast(self.training_step >= self.coarse_steps, "float32")
        logs = {}

        # Coarse stage: L1 reconstruction alone.
        coarse_player = self.players["coarse generator"]

        def coarse_loss():
            logs["coarse"] = self.coarse_generator(inputs, training=True)
            logs["coarse_l1"] = image_losses.l1_reconstruction_loss(
                images, logs["coarse"]
            )
            return logs["coarse_l1"] + coarse_player.regularization()

        trainer.minimize(coarse_player, coarse_loss)
        # The refinement stage sees the coarse output in place, without gradient.
        coarse_composite = ops.stop_gradient(
            MaskComposite()((logs.pop("coarse"), inputs))
        )

        # Discriminator: real images against the composited refinements.
        refined = self.refine_generator([inputs, coarse_composite], training=True)
        completed = MaskComposite()((refined, inputs))
        d_player = self.players["discriminator"]

        def discriminator_loss():
            real_logits = self.discriminator(images, training=True)
            fake_logits = self.discriminator(completed, training=True)
            logs["d_loss"] = self.adversarial_loss.discriminator_loss(
                real_logits, fake_logits
            )
            return refining * (logs["d_loss"] + d_player.regularization())

        trainer.minimize(d_player, discriminator_loss)

        # Refinement stage: adversarial + λ_L1 L1 + the enabled T22 terms.
        refine_player = self.players["refinement generator"]

        def refinement_loss():
            refined = self.refine_generator([inputs, coarse_composite], training=True)
            completed = MaskComposite()((refined, inputs))
            fake_logits = self.discriminator(completed, training=True)
            real_logits = (
                self.discriminator(images, training=True)
                if self.adversarial_loss.generator_needs_real_logits
                else None
            )
            g_loss = self.adversarial_loss.generator_loss(fake_logits, real_logits)
            refine_l1 = image_losses.l1_reconstruction_loss(images, refined)
            extra = self._extra_losses(images, completed)
            logs.update(g_loss=g_loss, refine_l1=refine_l1, **extra)
            total = g_loss + self.l1_weight * refine_l1
            for name, value in extra.items():
                total = total + self.extra_loss_weights[name] * value
            return refining * (total + refine_player.regularization())

        trainer.minimize(refine_player, refinement_loss)

        self.training_step.assign_add(1)
        trainer.update_trackers(self._trackers, logs)
        return trainer.step_outputs(
            {name: tracker.result() for name, tracker in self._trackers.items()}
        )

    def test_step(self, data):
        """The held-out completion error with the centre hole (`evaluate`, and
        `fit(validation_data=...)` as `val_hole_l1`, `val_coarse_hole_l1`).

        `hole_l1 = Σ m |x - y| / (C Σ m)`: the mean absolute error over the hole's
        pixels and channels of the completion `y`, and `coarse_hole_l1` the same of
        the coarse stage's composite (what the refinement stage improves on). The
        known pixels are exact in both, so they are left out of the mean.
        """
        images = ops.cast(_split_real_data(data), "float32")
        masks = self.make_masks(ops.shape(images)[0], hole="centre")
        outputs = self.stage_outputs(images, masks)
        hole_values = ops.sum(masks) * images.shape[-1]
        # (value, weight) pairs: the epoch's mean is over every hole pixel.
        logs = {
            name: (
                ops.sum(masks * ops.abs(images - outputs[key])) / hole_values,
                hole_values,
            )
            for name, key in (
                ("hole_l1", "completed"),
                ("coarse_hole_l1", "coarse_composite"),
            )
        }
        trainer.update_trackers(self._evaluation_trackers, logs)
        return trainer.step_outputs(
            {name: t.result() for name, t in self._evaluation_trackers.items()}
        )

    # --- Completion and export --------------------------------------------------------

    def complete(self, images, masks=None, batch_size=256):
        """Fills the holes of `images`: `m r + (1 - m) x` (NumPy).

        Args:
            images: Images `[n, h, w, c]` in [-1, 1] (the hole's pixels are ignored).
            masks: Hole masks `[n, h, w, 1]` (1 in the hole); defaults to the
                centre square of side `hole_size`.
            batch_size: Images per network call.

        Returns:
            A NumPy array of the shape of `images`: the known pixels unchanged, the
            hole filled by the refinement stage.
        """
        images = np.asarray(images, dtype="float32")
        if images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"`images` should have shape [n, *{self.image_shape}]. "
                f"Received: shape={images.shape}."
            )
        if masks is None:
            masks = self.make_masks(images.shape[0], hole="centre")
        inputs = ops.convert_to_numpy(self.masked_inputs(images, masks))
        return self.generator.predict(inputs, batch_size=batch_size, verbose=0)

    def save_generator(self, filepath):
        """Saves the completion network alone as a `.keras` file."""
        self.generator.save(filepath)


# The preset's hole: 6x6 of a 16x16 digit, at a random position in training.
PRESET_HOLE_SIZE = 6
# The preset's coarse-only warm-up, in steps.
PRESET_COARSE_STEPS = 200


# Preset fields that `build_coarse_to_refine_gan` has no option for: its networks,
# losses and steps are its own (`CoarseToRefineGAN.compile`).
_UNSUPPORTED_PRESET_FIELDS = (
    *step_options.arguments(),  # it takes none of the GAN step components
    "num_classes",
    "auxiliary_classifier",
    "truncation",
    "labels_per_class",
    "discriminator_normalization",
    "minibatch_kernels",
    "generator_normalization",
    "generator_dropout",
    "generator_noise_injection",
)


def check_preset(preset):
    """Raises a ValueError for the fields of `preset` that coarse-to-refine
    inpainting has no option for (`build_coarse_to_refine_gan` checks this
    first)."""
    reject_unsupported_fields(
        preset, _UNSUPPORTED_PRESET_FIELDS, "Coarse-to-refine inpainting"
    )


def build_coarse_to_refine_gan(
    preset, sample_shape, seed=None, d_optimizer=None, g_optimizer=None
):
    """A compiled `CoarseToRefineGAN` for a preset with
    `architecture="coarse-to-refine"` (what `keras_gans.presets.build_gan` returns).

    Networks of `architectures.coarse_to_refine` with `preset.width` filters, a
    random `PRESET_HOLE_SIZE` hole, `PRESET_COARSE_STEPS` coarse-only steps,
    `preset.loss` and λ_L1 = 100; no perceptual or style term (no offline feature
    model is implied), total variation 0.

    Args:
        preset: A `keras_gans.presets.Preset`.
        sample_shape: One image's shape, e.g. `(16, 16, 1)`.
        seed: Seeds the weight initialisers and the holes.
        d_optimizer: The discriminator's optimizer.
        g_optimizer: The generators' optimizer, copied for the two stages.

    Returns:
        A compiled `CoarseToRefineGAN`.

    Example:

    >>> from keras_gans import presets
    >>> gan = build_coarse_to_refine_gan(
    ...     presets.get("coarse-to-refine"), (16, 16, 1), seed=0)
    >>> gan.hole_size, gan.coarse_steps
    (6, 200)
    """
    check_preset(preset)
    if len(sample_shape) != 3 or sample_shape[0] != sample_shape[1]:
        raise ValueError(
            "Coarse-to-refine inpainting needs square images [size, size, channels]. "
            f"Received samples of shape {tuple(sample_shape)}."
        )
    size, _, channels = sample_shape
    seeds = (None, None, None) if seed is None else (seed, seed + 1, seed + 2)
    gan = CoarseToRefineGAN(
        coarse_generator(size, channels, preset.width, seed=seeds[0]),
        refine_generator(size, channels, preset.width, seed=seeds[1]),
        inpainting_discriminator(size, channels, preset.width, seed=seeds[2]),
        hole_size=min(PRESET_HOLE_SIZE, size - 1),
        coarse_steps=PRESET_COARSE_STEPS,
        seed=seed,
    )
    template = keras.optimizers.serialize(
        keras.optimizers.get(g_optimizer or DEFAULT_OPTIMIZER)
    )
    gan.compile(
        coarse_optimizer=keras.optimizers.deserialize(template),
        refine_optimizer=keras.optimizers.deserialize(template),
        d_optimizer=d_optimizer,
        loss=preset.loss,
    )
    return gan
