"""The GAN model: a generator, a discriminator, an adversarial loss, penalties and
tricks, trained by `fit`.

One `train_step` serves every loss of `keras_gans.losses` (they share one contract)
and every option of `GAN.compile`, which compose freely. Each step is the alternating
algorithm of Goodfellow et al. 2014 (Algorithm 1):

1. Discriminator step(s): draw latents, generate a batch, score the real batch and
   the generated batch in **separate** forward passes (so BatchNormalization
   statistics never mix real and fake, technique T19), and descend
   `d_loss(real, fake)` plus the discriminator's penalties. With
   `discriminator_steps=k` (T12) each batch is split into k strided parts, one per
   step.
2. Generator step: draw fresh latents, generate, score, and descend
   `g_loss(fake, real)` (or feature matching, or the unrolled objective) plus the
   generator's penalties.

With `single_loss=True` (T14) the two steps become one simultaneous step of one
optimizer on one scalar loss.

The step is TensorFlow-specific (`tf.GradientTape`, `tf.distribute`). Under a
`tf.distribute` strategy each replica's loss is its local batch mean divided by the
number of replicas, so the gradients that the optimizer sums across replicas are
those of the global-batch mean, and every random draw is made for the global batch
and sliced per replica (`keras_gans.distribution`): one step with N replicas equals
one step on one device with the same global batch (tested for every option).

Reference: Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661
"""

import keras
import tensorflow as tf
from keras import ops

from keras_gans import distribution
from keras_gans import losses as gan_losses
from keras_gans import penalties as gan_penalties
from keras_gans.models._seed_state import SavesSeedState
from keras_gans.tricks.feature_matching import FeatureMatching, feature_matching_loss
from keras_gans.tricks.generator_ema import GeneratorEMA, copy_model
from keras_gans.tricks.historical_averaging import (
    HistoricalAveraging,
    ParameterAverage,
)
from keras_gans.tricks.instance_noise import InstanceNoise
from keras_gans.tricks.label_smoothing import (
    LabelSmoothing,
    smoothed_discriminator_loss,
)
from keras_gans.tricks.packing import pack
from keras_gans.tricks.single_loss import single_loss as single_loss_objective
from keras_gans.tricks.unrolled import look_ahead_variables

__all__ = ["GAN"]

# DCGAN's optimizer (Radford et al. 2015, section 4): Adam, lr 2e-4, beta_1 0.5.
DEFAULT_OPTIMIZER = {
    "class_name": "Adam",
    "config": {"learning_rate": 2e-4, "beta_1": 0.5},
}
# The unrolled look-ahead's step size η (plain gradient steps; see tricks/unrolled.py).
DEFAULT_UNROLLED_LEARNING_RATE = 1e-2


def _split_real_data(data):
    """Images from a batch of `images` or `(images, labels)` (labels are not used
    here), also as Keras packs them (`(images, None, None)` from `train_on_batch`)."""
    if isinstance(data, (tuple, list)):
        if len(data) not in (1, 2, 3):
            raise ValueError(
                "Expected each dataset element to be `images` or `(images, labels)`. "
                f"Received a tuple of {len(data)} elements."
            )
        return data[0]
    return data


def _checked_logits(logits, inputs):
    """`logits`, D's adversarial output for the batch `inputs`, once checked against
    the losses' contract (`keras_gans.losses`): one tensor of rank >= 1 whose leading
    axis is that batch. Checked when the step is traced; a batch size known only
    when the step runs is checked then (the returned tensor depends on the check).
    """
    batch_size = inputs.shape[0]
    expected = (
        "The discriminator should return one tensor of logits whose leading axis "
        "is the batch it scores ([batch], [batch, 1] or a map [batch, h, w, 1]; "
        "see keras_gans.losses)."
    )
    if isinstance(logits, (list, tuple, dict)):
        shapes = [tuple(output.shape) for output in tf.nest.flatten(logits)]
        raise ValueError(
            f"{expected} Received {len(shapes)} outputs of shapes {shapes} for a "
            f"batch of {batch_size}."
        )
    shape = tuple(logits.shape)
    if not shape or (None not in (shape[0], batch_size) and shape[0] != batch_size):
        raise ValueError(
            f"{expected} Received logits of shape {shape} for a batch of {batch_size}."
        )
    if None not in (shape[0], batch_size):
        return logits
    check = tf.debugging.assert_equal(
        tf.shape(logits)[0],
        tf.shape(inputs)[0],
        message=f"{expected} Received logits whose leading axis is not the batch.",
    )
    with tf.control_dependencies([check]):
        return tf.identity(logits)


def _strided_part(values, start, step):
    """`values[start::step]`, or None for None (a GAN's absent labels)."""
    return None if values is None else values[start::step]


def _regularization(model):
    """The sum of a model's `add_loss` terms (kernel regularizers and the like)."""
    return sum(model.losses, 0.0)


def _gradient_norm(gradients, scaled_loss_per_unit):
    """The global L2 norm of this replica's gradients, in units of its own batch mean
    (undoing the 1/num_replicas and the loss scale)."""
    squares = [
        ops.sum(ops.square(ops.cast(g, "float32"))) for g in gradients if g is not None
    ]
    return ops.sqrt(sum(squares, 0.0)) / scaled_loss_per_unit


def _option(value, option_class, argument, from_value=None):
    """`value` as an instance of `option_class`, or None (disabled).

    Accepts None/False (disabled), an instance, a config dict from a saved model, or a
    plain value that `from_value` turns into an instance.
    """
    if value is None or value is False:
        return None
    if isinstance(value, option_class):
        return value
    if isinstance(value, dict) and "class_name" in value:
        return keras.saving.deserialize_keras_object(value)
    if from_value is not None:
        return from_value(value)
    raise ValueError(
        f"`{argument}` should be None or a {option_class.__name__}. "
        f"Received: `{argument}={value!r}`."
    )


def _label_smoothing_option(value):
    return _option(
        value,
        LabelSmoothing,
        "label_smoothing",
        lambda target: LabelSmoothing(real_target=target),
    )


def _feature_matching_option(value):
    return _option(
        value,
        FeatureMatching,
        "feature_matching",
        lambda value: FeatureMatching(None if value is True else value),
    )


def _check_non_negative_integer(argument, value, minimum):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(
            f"`{argument}` should be an integer >= {minimum}. "
            f"Received: `{argument}={value!r}`."
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(SavesSeedState, keras.Model):
    """A generative adversarial network that trains with `model.fit`.

    Holds a generator `G: latents -> images` and a discriminator
    `D: images -> logits` (raw logits, higher = more real; any rank >= 1). `fit` runs
    the discriminator step(s) then one generator step per batch of real data, for any
    adversarial loss of `keras_gans.losses` and any combination of the penalties and
    tricks that `compile` takes.

    Args:
        generator: A built Keras model mapping latents `[batch, *latent_shape]` to
            images in [-1, 1] (use a tanh output).
        discriminator: A built Keras model mapping images to logits. With
            `compile(packing=m)` its input has m times the images' channels.
        latent_dim: The latent shape without the batch axis (an int or a tuple).
            Defaults to the generator's input shape.
        seed: Seed of the model's `SeedGenerator`: latents and every other random draw
            of the step repeat exactly for a given seed on CPU. `None` draws a random
            seed.

    Example:

    >>> from keras_gans import architectures
    >>> gan = GAN(
    ...     architectures.mlp_generator(latent_dim=4, output_dim=2),
    ...     architectures.mlp_discriminator(input_dim=2),
    ...     seed=0,
    ... )
    >>> gan.compile(loss="hinge", penalties=["r1"])
    >>> gan.generate(5).shape
    (5, 2)
    """

    def __init__(self, generator, discriminator, latent_dim=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        for argument, model in (
            ("generator", generator),
            ("discriminator", discriminator),
        ):
            if not isinstance(model, keras.layers.Layer):
                raise ValueError(
                    f"`{argument}` should be a Keras model or layer. "
                    f"Received: `{argument}={model!r}` of type {type(model).__name__}."
                )
            if not model.built:
                raise ValueError(
                    f"`{argument}` should be built (a Functional/Sequential model with "
                    f"an Input, or call it once on data). Received an unbuilt "
                    f"{type(model).__name__} named {model.name!r}."
                )
        if latent_dim is None:
            input_shape = getattr(generator, "input_shape", None)
            if input_shape is None or isinstance(input_shape, list):
                raise ValueError(
                    "Could not read the latent shape from the generator's input; pass "
                    f"`latent_dim`. Received generator input shape: {input_shape}."
                )
            latent_dim = tuple(input_shape[1:])
        latent_shape = (
            (latent_dim,) if isinstance(latent_dim, int) else tuple(latent_dim)
        )
        if not latent_shape or not all(
            isinstance(d, int) and d > 0 for d in latent_shape
        ):
            raise ValueError(
                "`latent_dim` should be a positive integer or a tuple of them. "
                f"Received: `latent_dim={latent_dim}`."
            )
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_shape[0] if len(latent_shape) == 1 else latent_shape
        self.latent_shape = latent_shape
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self.ema_generator = None
        self.built = True

    # --- Keras plumbing ---------------------------------------------------------------

    def call(self, latents, training=False):
        return self.generator(latents, training=training)

    @property
    def metrics(self):
        # Listed here so Keras resets them at the start of every epoch.
        return list(getattr(self, "_trackers", {}).values())

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        loss="non_saturating",
        *,
        penalties=(),
        discriminator_steps=1,
        label_smoothing=None,
        instance_noise=None,
        feature_matching=None,
        historical_averaging=None,
        generator_ema=None,
        unrolled_steps=0,
        unrolled_learning_rate=DEFAULT_UNROLLED_LEARNING_RATE,
        unrolled_first_order=False,
        packing=1,
        single_loss=False,
        generator_loss_weight=1.0,
        optimizer=None,
        **kwargs,
    ):
        """Configures the optimizers, the adversarial loss, penalties and tricks.

        Every option composes with every other (a few pairs that have no meaning
        together raise a ValueError saying so).

        Args:
            d_optimizer: The discriminator's optimizer (instance, name or config).
                Defaults to DCGAN's Adam(2e-4, beta_1=0.5).
            g_optimizer: The generator's optimizer, a separate instance. TTUR (T11,
                Heusel et al. 2017) is a different learning rate here, e.g.
                D Adam(4e-4) and G Adam(1e-4). Defaults as `d_optimizer`.
            loss: A name from `keras_gans.losses.names()` or a `GANLoss`.
            penalties: Penalties P1-P7 (`keras_gans.penalties`: names such as "gp",
                "r1", "clip" or `Penalty` instances). Each logs its value under its
                name.
            discriminator_steps: k discriminator steps per generator step (T12). Each
                batch of B images is split into k strided parts of B / k, one per D
                step (so every D step sees new real images); the G step generates
                B / k images. Feed batches of k·B for D steps of B.
            label_smoothing: One-sided label smoothing (T4): a real target (0.9), a
                (low, high) range, or a `LabelSmoothing`.
            instance_noise: Annealed noise on D's inputs (T9): an `InstanceNoise` or
                a number (its initial stddev).
            feature_matching: Feature matching for G (T1): True (D's last hidden
                layer), a layer name, or a `FeatureMatching`.
            historical_averaging: Historical averaging (T3): a weight λ or a
                `HistoricalAveraging`. Logs `d_history` and `g_history`.
            generator_ema: An EMA copy of G for sampling and export (T13): a decay β
                or a `GeneratorEMA`. `generate`, `save_generator` and the evaluation
                callback then use `ema_generator`.
            unrolled_steps: k look-ahead D steps for the G loss (T15); 0 disables.
            unrolled_learning_rate: The look-ahead's step size η.
            unrolled_first_order: Do not differentiate through the look-ahead.
            packing: PacGAN degree m (T16): D judges packs of m samples; D's input
                needs m times the images' channels, and batches must divide by m.
            single_loss: One optimizer over G and D and one scalar loss (T14);
                simultaneous updates. Give `optimizer` instead of `d_optimizer` and
                `g_optimizer`.
            generator_loss_weight: λ of the single loss (G's share).
            optimizer: The single-loss optimizer (only with `single_loss=True`).
            **kwargs: Passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`).
        """
        for argument in ("loss_weights", "metrics"):
            if argument in kwargs:
                raise ValueError(
                    f"GAN.compile takes `d_optimizer`, `g_optimizer` and `loss`; "
                    f"`{argument}` is not used. "
                    f"Received: `{argument}={kwargs[argument]}`."
                )
        super().compile(**kwargs)
        self.adversarial_loss = gan_losses.get(loss)
        self._configure_optimizers(d_optimizer, g_optimizer, optimizer, single_loss)
        self.single_loss = bool(single_loss)
        self.generator_loss_weight = float(generator_loss_weight)
        self.penalties = [gan_penalties.get(penalty) for penalty in penalties or ()]
        self.discriminator_steps = discriminator_steps
        self.unrolled_steps = unrolled_steps
        self.unrolled_learning_rate = float(unrolled_learning_rate)
        self.unrolled_first_order = bool(unrolled_first_order)
        self.packing = packing
        self.label_smoothing = _label_smoothing_option(label_smoothing)
        self.instance_noise = _option(
            instance_noise,
            InstanceNoise,
            "instance_noise",
            lambda stddev: InstanceNoise(initial_stddev=stddev),
        )
        self.feature_matching = _feature_matching_option(feature_matching)
        self.historical_averaging = _option(
            historical_averaging,
            HistoricalAveraging,
            "historical_averaging",
            lambda weight: HistoricalAveraging(weight=weight),
        )
        self.generator_ema_option = _option(
            generator_ema,
            GeneratorEMA,
            "generator_ema",
            lambda decay: GeneratorEMA(decay=decay),
        )
        self._check_combinations()
        self._build_compiled_state()
        self._gan_compile_kwargs = kwargs

    def _configure_optimizers(self, d_optimizer, g_optimizer, optimizer, single_loss):
        if single_loss:
            if d_optimizer is not None or g_optimizer is not None:
                raise ValueError(
                    "With `single_loss=True` one optimizer trains both players: give "
                    "`optimizer`, not `d_optimizer`/`g_optimizer`. Received: "
                    f"`d_optimizer={d_optimizer}`, `g_optimizer={g_optimizer}`."
                )
            self.optimizer = keras.optimizers.get(optimizer or DEFAULT_OPTIMIZER)
            self.d_optimizer = self.g_optimizer = None
            optimizers = {"optimizer": self.optimizer}
        else:
            if optimizer is not None:
                raise ValueError(
                    "`optimizer` is the single-loss optimizer (`single_loss=True`); "
                    "alternating training takes `d_optimizer` and `g_optimizer`. "
                    f"Received: `optimizer={optimizer}`."
                )
            self.d_optimizer = keras.optimizers.get(d_optimizer or DEFAULT_OPTIMIZER)
            self.g_optimizer = keras.optimizers.get(g_optimizer or DEFAULT_OPTIMIZER)
            if self.d_optimizer is self.g_optimizer:
                raise ValueError(
                    "`d_optimizer` and `g_optimizer` must be two optimizer instances: "
                    "an optimizer keeps state for one set of variables. Received the "
                    f"same object twice: {self.d_optimizer}."
                )
            optimizers = {
                "d_optimizer": self.d_optimizer,
                "g_optimizer": self.g_optimizer,
            }
        if keras.config.dtype_policy().name == "mixed_float16":
            for attribute, value in optimizers.items():
                setattr(self, attribute, keras.optimizers.LossScaleOptimizer(value))
        # Build the optimizers' slots now (inside the strategy scope, when there is
        # one), so that weight loading and BackupAndRestore find them.
        if single_loss:
            self.optimizer.build(self._all_trainable_variables())
        else:
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.g_optimizer.build(self.generator.trainable_variables)

    def _all_trainable_variables(self):
        return (
            self.discriminator.trainable_variables + self.generator.trainable_variables
        )

    @classmethod
    def check_options(
        cls,
        *,
        loss="non_saturating",
        penalties=(),
        discriminator_steps=1,
        label_smoothing=None,
        feature_matching=None,
        unrolled_steps=0,
        packing=1,
        single_loss=False,
    ):
        """Raises a ValueError for `compile` options that are invalid or have no
        meaning together in this model, without building anything.

        `compile` makes this check; call it to validate a configuration before
        loading data or building networks (`keras_gans.presets.check` does). The
        arguments are those of `compile`, as it takes them (names, numbers or
        option objects).
        """
        loss = gan_losses.get(loss)
        penalties = [gan_penalties.get(penalty) for penalty in penalties or ()]
        _check_non_negative_integer("discriminator_steps", discriminator_steps, 1)
        _check_non_negative_integer("unrolled_steps", unrolled_steps, 0)
        _check_non_negative_integer("packing", packing, 1)
        label_smoothing = _label_smoothing_option(label_smoothing)
        if label_smoothing is not None:
            label_smoothing.check_loss(loss)
        if single_loss and (discriminator_steps > 1 or unrolled_steps):
            raise ValueError(
                "`single_loss=True` makes one simultaneous step per batch, so it has "
                "no separate discriminator steps or look-ahead. Received: "
                f"`discriminator_steps={discriminator_steps}`, "
                f"`unrolled_steps={unrolled_steps}`."
            )
        if _feature_matching_option(feature_matching) is not None and unrolled_steps:
            raise ValueError(
                "Feature matching replaces the generator's adversarial loss, so there "
                "is nothing to unroll. Use one of `feature_matching` and "
                f"`unrolled_steps` (received `unrolled_steps={unrolled_steps}`)."
            )
        for penalty in penalties:
            if single_loss and not penalty.adds_loss:
                raise ValueError(
                    f"The constraint {penalty.name!r} acts after a discriminator step, "
                    "which `single_loss=True` does not have. Use a gradient penalty."
                )

    def _options_to_check(self):
        """The compiled options, as `check_options` takes them."""
        return {
            "loss": self.adversarial_loss,
            "penalties": self.penalties,
            "discriminator_steps": self.discriminator_steps,
            "label_smoothing": self.label_smoothing,
            "feature_matching": self.feature_matching,
            "unrolled_steps": self.unrolled_steps,
            "packing": self.packing,
            "single_loss": self.single_loss,
        }

    def _check_combinations(self):
        self.check_options(**self._options_to_check())
        if self.packing > 1:
            self._check_packing_channels()

    def _check_packing_channels(self):
        """T16: D's input needs `packing` times the channels of G's output."""
        try:
            generator_shape = self.generator.output_shape
            discriminator_shape = self.discriminator.input_shape
        except (AttributeError, ValueError):  # subclassed models: no static shapes
            return
        if not all(
            isinstance(s, tuple) for s in (generator_shape, discriminator_shape)
        ):
            return  # several inputs or outputs: not a plain image-to-logits pair
        generator_channels = generator_shape[-1]
        packed_channels = (
            None if generator_channels is None else (generator_channels * self.packing)
        )
        if None in (packed_channels, discriminator_shape[-1]):
            return
        if discriminator_shape[-1] != packed_channels:
            raise ValueError(
                f"The discriminator's input has {discriminator_shape[-1]} input "
                f"channels; packing needs the generator's {generator_channels} "
                f"output channels × `packing={self.packing}` = {packed_channels}. "
                "Build the discriminator for input shape "
                f"{(*generator_shape[1:-1], packed_channels)}."
            )

    def _build_compiled_state(self):
        """Creates the state the options need (inside the strategy scope, if any)."""
        self.feature_model = (
            self.feature_matching.feature_model(self.discriminator)
            if self.feature_matching is not None
            else None
        )
        players = self.historical_averaging.players if self.historical_averaging else ()
        self.discriminator_history = (
            ParameterAverage(
                self.discriminator.trainable_variables, name="discriminator_history"
            )
            if "discriminator" in players
            else None
        )
        self.generator_history = (
            ParameterAverage(
                self.generator.trainable_variables, name="generator_history"
            )
            if "generator" in players
            else None
        )
        self.ema_generator = (
            copy_model(self.generator, name="ema_generator")
            if self.generator_ema_option is not None
            else None
        )
        names = ["d_loss", "g_loss", "real_logits", "fake_logits"]
        names += [penalty.name for penalty in self.penalties]
        if self.discriminator_history is not None:
            names.append("d_history")
        if self.generator_history is not None:
            names.append("g_history")
        if self.instance_noise is not None:
            names.append("instance_noise")
        names += ["d_grad_norm", "g_grad_norm"]
        if len(set(names)) != len(names):
            raise ValueError(
                f"Two options log under the same name: {names}. Give each penalty once."
            )
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def get_compile_config(self):
        if not self.compiled:
            return None
        serialize = keras.saving.serialize_keras_object
        if self.single_loss:
            optimizers = {"optimizer": serialize(self.optimizer)}
        else:
            optimizers = {
                "d_optimizer": serialize(self.d_optimizer),
                "g_optimizer": serialize(self.g_optimizer),
            }
        return {
            **optimizers,
            "loss": serialize(self.adversarial_loss),
            "penalties": [serialize(penalty) for penalty in self.penalties],
            "discriminator_steps": self.discriminator_steps,
            "label_smoothing": serialize(self.label_smoothing),
            "instance_noise": serialize(self.instance_noise),
            "feature_matching": serialize(self.feature_matching),
            "historical_averaging": serialize(self.historical_averaging),
            "generator_ema": serialize(self.generator_ema_option),
            "unrolled_steps": self.unrolled_steps,
            "unrolled_learning_rate": self.unrolled_learning_rate,
            "unrolled_first_order": self.unrolled_first_order,
            "packing": self.packing,
            "single_loss": self.single_loss,
            "generator_loss_weight": self.generator_loss_weight,
            **self._gan_compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        deserialize = keras.saving.deserialize_keras_object
        for key in ("d_optimizer", "g_optimizer", "optimizer", "loss"):
            if key in config:
                config[key] = deserialize(config[key])
        config["penalties"] = [deserialize(p) for p in config.get("penalties", [])]
        self.compile(**config)

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        if isinstance(config.get("latent_dim"), list):
            config["latent_dim"] = tuple(config["latent_dim"])
        return cls(**config)

    # --- Training: the pieces ---------------------------------------------------------

    def sample_latents(self, batch_size):
        """This replica's `[batch_size, *latent_shape]` slice of the global latent
        batch.

        Every replica draws the same global batch from the shared seed state (so the
        state stays identical across replicas) and keeps its own rows.
        """
        return distribution.normal_for_replica(
            (batch_size, *self.latent_shape), self.seed_generator
        )

    # Conditioning hooks: how a batch, a generated batch and D's scores look. A GAN
    # has no labels (they are None); `ConditionalGAN` overrides these five.

    def _real_batch(self, data):
        """`(real_images, real_labels)` of a dataset element."""
        return _split_real_data(data), None

    def _generate_batch(self, batch_size):
        """`(generated_images, generated_labels)`: this replica's generated batch."""
        return self.generator(self.sample_latents(batch_size), training=True), None

    def _discriminate(self, inputs, labels):
        """`(logits, auxiliary_outputs)`: D's adversarial logits for `inputs` (and
        their `labels`) and its other outputs (None here)."""
        del labels
        return self.discriminator(inputs, training=True), None

    def _auxiliary_loss(self, player, real, fake, logs):
        """`player`'s loss term from D's auxiliary outputs; `real` and `fake` are
        `(auxiliary_outputs, labels)` (`real` is None for the generator). 0 here."""
        del player, real, fake, logs
        return 0.0

    def _penalty_discriminator(self, penalty, real_labels, generated_labels):
        """The images -> logits function that `penalty` differentiates."""
        del penalty, real_labels, generated_labels
        return self.discriminator

    @property
    def training_steps(self):
        """How many train steps have run (the generator's optimizer's iterations)."""
        optimizer = self.optimizer if self.single_loss else self.g_optimizer
        return optimizer.iterations

    def _discriminator_input(self, images):
        """What D sees of a batch: instance noise (T9), then PacGAN packing (T16)."""
        if self.instance_noise is not None:
            images = self.instance_noise(
                images, self.training_steps, self.seed_generator
            )
        return pack(images, self.packing)

    def _discriminator_loss(self, real_logits, fake_logits):
        if self.label_smoothing is None:
            return self.adversarial_loss.discriminator_loss(real_logits, fake_logits)
        real_targets, fake_targets = self.label_smoothing.targets(
            ops.shape(real_logits)[0], self.seed_generator
        )
        return smoothed_discriminator_loss(
            self.adversarial_loss, real_logits, fake_logits, real_targets, fake_targets
        )

    def _penalty_terms(self, player, real_input, fake_input, step, logs, labels):
        """The sum of `player`'s penalty terms; their values go into `logs`.
        `labels` is `(real_labels, generated_labels)` (None for a GAN)."""
        total = 0.0
        for penalty in self.penalties:
            if penalty.player != player or not penalty.adds_loss:
                continue
            term, value = penalty(
                self._penalty_discriminator(penalty, *labels),
                self.generator,
                real_input,
                fake_input,
                self.seed_generator,
                step,
            )
            total += term
            # A lazy penalty (interval > 1) is logged only on the steps it runs.
            logs[penalty.name] = (value, ops.cast(penalty.applies_at(step), "float32"))
        return total

    def _history_term(self, history, variables, log_name, logs):
        if history is None:
            return 0.0
        value = history.penalty(variables)
        logs[log_name] = value
        return self.historical_averaging.weight * value

    @staticmethod
    def _replica_share(loss, optimizer):
        """What a replica differentiates: its loss / num_replicas (so the
        replica-summed gradients are those of the global-batch mean), times the
        mixed-precision loss scale. Call it inside the tape."""
        _, num_replicas = distribution.replica_position()
        return optimizer.scale_loss(loss / num_replicas)

    def _apply(self, optimizer, tape, scaled_loss, variables, norm_name, logs):
        """One optimizer step on the replica's share of the loss."""
        gradients = tape.gradient(scaled_loss, variables)
        logs[norm_name] = _gradient_norm(gradients, self._replica_share(1.0, optimizer))
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    def _generator_adversarial_loss(self, real_input, fake_input, labels):
        """G's loss against D (or D's look-ahead, T15), or feature matching (T1),
        and D's auxiliary outputs on the fakes (None without them). `labels` is
        `(real_labels, generated_labels)` (None for a GAN)."""
        real_labels, generated_labels = labels
        if self.feature_model is not None:
            return feature_matching_loss(
                self.feature_model(real_input, training=True),
                self.feature_model(fake_input, training=True),
            ), None
        needs_real = self.adversarial_loss.generator_needs_real_logits
        if self.unrolled_steps:
            _, num_replicas = distribution.replica_position()
            trainable = look_ahead_variables(
                self.discriminator,
                lambda real, fake: (
                    self.adversarial_loss.discriminator_loss(real, fake) / num_replicas
                ),
                real_input,
                fake_input,
                self.unrolled_steps,
                self.unrolled_learning_rate,
                self.unrolled_first_order,
            )
            non_trainable = self.discriminator.non_trainable_variables

            def discriminator(images, labels):
                logits, _ = self.discriminator.stateless_call(
                    trainable, non_trainable, images, training=True
                )
                return logits, None

        else:
            discriminator = self._discriminate

        fake_logits, fake_auxiliary = discriminator(fake_input, generated_labels)
        real_logits = discriminator(real_input, real_labels)[0] if needs_real else None
        return self.adversarial_loss.generator_loss(
            fake_logits, real_logits
        ), fake_auxiliary

    # --- Training: the steps ----------------------------------------------------------

    def _discriminator_step(self, real_images, real_labels, logs):
        batch_size = ops.shape(real_images)[0]
        step = self.d_optimizer.iterations
        generated_images, generated_labels = self._generate_batch(batch_size)
        real_input = self._discriminator_input(real_images)
        fake_input = self._discriminator_input(generated_images)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits, real_auxiliary = self._discriminate(real_input, real_labels)
            real_logits = _checked_logits(real_logits, real_input)
            fake_logits, fake_auxiliary = self._discriminate(
                fake_input, generated_labels
            )
            d_loss = self._discriminator_loss(real_logits, fake_logits)
            total = (
                d_loss
                + self._auxiliary_loss(
                    "discriminator",
                    (real_auxiliary, real_labels),
                    (fake_auxiliary, generated_labels),
                    logs,
                )
                + _regularization(self.discriminator)
                + self._penalty_terms(
                    "discriminator",
                    real_input,
                    fake_input,
                    step,
                    logs,
                    (real_labels, generated_labels),
                )
                + self._history_term(
                    self.discriminator_history, variables, "d_history", logs
                )
            )
            scaled_loss = self._replica_share(total, self.d_optimizer)
        self._apply(self.d_optimizer, tape, scaled_loss, variables, "d_grad_norm", logs)
        for penalty in self.penalties:
            if penalty.player == "discriminator" and not penalty.adds_loss:
                logs[penalty.name] = penalty.constrain(
                    self.discriminator, self.generator
                )
        if self.discriminator_history is not None:
            self.discriminator_history.record(variables)
        logs.update(d_loss=d_loss, real_logits=real_logits, fake_logits=fake_logits)

    def _generator_step(self, real_images, real_labels, logs):
        batch_size = ops.shape(real_images)[0]
        step = self.g_optimizer.iterations
        real_input = self._discriminator_input(real_images)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            generated_images, generated_labels = self._generate_batch(batch_size)
            fake_input = self._discriminator_input(generated_images)
            g_loss, fake_auxiliary = self._generator_adversarial_loss(
                real_input, fake_input, (real_labels, generated_labels)
            )
            total = (
                g_loss
                + self._auxiliary_loss(
                    "generator", None, (fake_auxiliary, generated_labels), logs
                )
                + _regularization(self.generator)
                + self._penalty_terms(
                    "generator",
                    real_input,
                    fake_input,
                    step,
                    logs,
                    (real_labels, generated_labels),
                )
                + self._history_term(
                    self.generator_history, variables, "g_history", logs
                )
            )
            scaled_loss = self._replica_share(total, self.g_optimizer)
        self._apply(self.g_optimizer, tape, scaled_loss, variables, "g_grad_norm", logs)
        if self.generator_history is not None:
            self.generator_history.record(variables)
        logs["g_loss"] = g_loss

    def _single_loss_step(self, real_images, real_labels, logs):
        """T14: one optimizer step on `d_loss + λ [g_loss - sg-g_loss]`."""
        batch_size = ops.shape(real_images)[0]
        step = self.optimizer.iterations
        real_input = self._discriminator_input(real_images)
        d_variables = self.discriminator.trainable_variables
        g_variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            generated_images, generated_labels = self._generate_batch(batch_size)
            fake_input = self._discriminator_input(generated_images)
            stopped_fake_input = ops.stop_gradient(fake_input)
            real_logits, _ = self._discriminate(real_input, real_labels)
            real_logits = _checked_logits(real_logits, real_input)
            fake_logits, _ = self._discriminate(fake_input, generated_labels)
            stopped_fake_logits, _ = self._discriminate(
                stopped_fake_input, generated_labels
            )
            generator_losses = {}
            if self.feature_model is not None:
                real_features = self.feature_model(real_input, training=True)
                generator_losses = {
                    "generator_loss": feature_matching_loss(
                        real_features, self.feature_model(fake_input, training=True)
                    ),
                    "stopped_generator_loss": feature_matching_loss(
                        real_features,
                        self.feature_model(stopped_fake_input, training=True),
                    ),
                }
            objective, d_loss, g_loss = single_loss_objective(
                self.adversarial_loss,
                real_logits,
                fake_logits,
                stopped_fake_logits,
                self.generator_loss_weight,
                **generator_losses,
            )
            if self.label_smoothing is not None:
                smoothed = self._discriminator_loss(real_logits, stopped_fake_logits)
                objective = objective - d_loss + smoothed
                d_loss = smoothed
            total = (
                objective
                + _regularization(self.discriminator)
                + _regularization(self.generator)
                + self._penalty_terms(
                    "discriminator",
                    real_input,
                    stopped_fake_input,
                    step,
                    logs,
                    (real_labels, generated_labels),
                )
                + self._penalty_terms(
                    "generator",
                    real_input,
                    fake_input,
                    step,
                    logs,
                    (real_labels, generated_labels),
                )
                + self._history_term(
                    self.discriminator_history, d_variables, "d_history", logs
                )
                + self._history_term(
                    self.generator_history, g_variables, "g_history", logs
                )
            )
            scaled_loss = self._replica_share(total, self.optimizer)
        self._apply(
            self.optimizer,
            tape,
            scaled_loss,
            d_variables + g_variables,
            "d_grad_norm",
            logs,
        )
        for history, variables in (
            (self.discriminator_history, d_variables),
            (self.generator_history, g_variables),
        ):
            if history is not None:
                history.record(variables)
        logs.update(
            d_loss=d_loss,
            g_loss=g_loss,
            real_logits=real_logits,
            fake_logits=fake_logits,
            g_grad_norm=logs["d_grad_norm"],
        )

    def _check_batch_size(self, real_images):
        """T12 splits each (replica's) batch into k parts and T16 each part into
        packs of m: the batch must divide by k · m. Returns `real_images`; with a
        batch size known only in the graph, the returned tensor depends on the
        check, so every split and pack of the step runs after it."""
        divisor = self.discriminator_steps * self.packing
        if divisor == 1:
            return real_images
        message = (
            "Each batch (each replica's share under `tf.distribute`) should be "
            "divisible by `discriminator_steps` × `packing` = "
            f"{self.discriminator_steps} × {self.packing} = {divisor}."
        )
        batch_size = real_images.shape[0]
        if batch_size is None:
            check = tf.debugging.assert_equal(
                tf.shape(real_images)[0] % divisor, 0, message=message
            )
            with tf.control_dependencies([check]):
                return tf.identity(real_images)
        if batch_size % divisor:
            raise ValueError(f"{message} Received a batch of {batch_size}.")
        return real_images

    def train_step(self, data):
        real_images, real_labels = self._real_batch(data)
        real_images = self._check_batch_size(real_images)
        logs = {}
        if self.instance_noise is not None:
            logs["instance_noise"] = self.instance_noise.stddev(self.training_steps)
        if self.single_loss:
            self._single_loss_step(real_images, real_labels, logs)
        else:
            # T12: k strided parts of the batch, one per D step. Strided (not
            # contiguous) parts make the same split on one device and on N replicas.
            k = self.discriminator_steps
            for part in range(k):
                self._discriminator_step(
                    real_images[part::k], _strided_part(real_labels, part, k), logs
                )
            self._generator_step(
                real_images[k - 1 :: k], _strided_part(real_labels, k - 1, k), logs
            )
        if self.ema_generator is not None:
            _, num_replicas = distribution.replica_position()
            self.generator_ema_option.update(
                self.ema_generator,
                self.generator,
                ops.shape(real_images)[0] // self.discriminator_steps * num_replicas,
            )
        distribution.update_trackers(self._trackers, logs)
        return distribution.step_outputs(
            {name: tracker.result() for name, tracker in self._trackers.items()}
        )

    # --- Sampling and export ----------------------------------------------------------

    @property
    def sampling_generator(self):
        """The generator that samples and exports: the EMA copy when there is one."""
        return self.generator if self.ema_generator is None else self.ema_generator

    def generate(self, num_images, seed=None, batch_size=256, truncation=None):
        """Generates `num_images` samples (NumPy) in inference mode, with the EMA
        generator when `compile(generator_ema=...)` made one.

        Args:
            num_images: How many samples.
            seed: An int for a repeatable draw that leaves the model's seed state
                untouched; `None` draws from the model's `SeedGenerator`.
            batch_size: How many samples per generator call.
            truncation: The truncation trick (T17, BigGAN): latents are drawn from
                N(0, 1) restricted to |z| <= `truncation`. `None` disables.

        Returns:
            A NumPy array `[num_images, *image_shape]`; images are in [-1, 1] when
            the generator ends in tanh (as every generator of
            `keras_gans.architectures` does).
        """
        source = self._sampling_source(num_images, seed)
        latents = self._sampling_latents(num_images, truncation, source)
        return self.sampling_generator.predict(
            latents, batch_size=batch_size, verbose=0
        )

    def _sampling_source(self, num_images, seed):
        """Checks `num_images`; the `SeedGenerator` that `generate` draws from."""
        if not isinstance(num_images, int) or num_images < 1:
            raise ValueError(
                "`num_images` should be a positive integer. "
                f"Received: `num_images={num_images}`."
            )
        return self.seed_generator if seed is None else keras.random.SeedGenerator(seed)

    def _sampling_latents(self, num_images, truncation, source):
        """`generate`'s latents: N(0, I), or truncated at `truncation` (T17)."""
        shape = (num_images, *self.latent_shape)
        if truncation is None:
            return keras.random.normal(shape, seed=source)
        from keras_gans.latent import truncated_normal

        return truncated_normal(shape, truncation, seed=source)

    def save_generator(self, filepath):
        """Saves the sampling generator alone (the EMA copy when there is one) as a
        `.keras` file (what `sample` and users load)."""
        self.sampling_generator.save(filepath)
