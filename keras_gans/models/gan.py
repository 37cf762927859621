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

Every option is a step component (`keras_gans.training.component`): it says what
it adds to D's input, which loss terms it contributes for which player, and what it
does after an update, and reaches D only through the step context, that is through
this model's `_discriminate` (so a family's conditioning is never bypassed). The
updates go through `keras_gans.training.trainer.minimize`, the one place that owns
the tape, the replica share of the global-batch loss and the mixed-precision loss
scale: under a `tf.distribute` strategy each replica differentiates its local batch
mean divided by the number of replicas, and every random draw is made for the global
batch and sliced per replica, so one step with N replicas equals one step on one
device with the same global batch (tested for every option).

Reference: Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661
"""

import keras
import tensorflow as tf
from keras import ops

from keras_gans import losses as gan_losses
from keras_gans._checks import check_positive_integer, check_positive_integers
from keras_gans.models._compile_arguments import refuse_unused
from keras_gans.models._seed_state import SavesSeedState
from keras_gans.training import options as step_options
from keras_gans.training import trainer
from keras_gans.training.component import check_combinations
from keras_gans.training.context import StepContext
from keras_gans.tricks.discriminator_steps import DiscriminatorSteps
from keras_gans.tricks.single_loss import single_loss_objective

__all__ = ["GAN"]

# The model attribute of each player's optimizer.
_OPTIMIZER_ATTRIBUTES = {
    "discriminator": "d_optimizer",
    "generator": "g_optimizer",
    "players": "optimizer",
}

# DCGAN's optimizer (Radford et al. 2015, section 4): Adam, lr 2e-4, beta_1 0.5.
DEFAULT_OPTIMIZER = {
    "class_name": "Adam",
    "config": {"learning_rate": 2e-4, "beta_1": 0.5},
}
# What `compile` passes on to `keras.Model.compile`.
KERAS_COMPILE_ARGUMENTS = ("jit_compile", "steps_per_execution", "run_eagerly")


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
            check_positive_integers(latent_dim, "latent_dim")
            if isinstance(latent_dim, (tuple, list))
            else (check_positive_integer(latent_dim, "latent_dim"),)
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
        optimizer=None,
        **options,
    ):
        """Configures the optimizers, the adversarial loss, penalties and tricks.

        Each option is a step component (`keras_gans.training.options` lists them);
        they compose freely, and the pairs that have no meaning together (or in
        this model family) raise a ValueError saying why.

        Args:
            d_optimizer: The discriminator's optimizer (instance, name or config).
                Defaults to DCGAN's Adam(2e-4, beta_1=0.5).
            g_optimizer: The generator's optimizer, a separate instance. TTUR (T11,
                Heusel et al. 2017) is a different learning rate here, e.g.
                D Adam(4e-4) and G Adam(1e-4). Defaults as `d_optimizer`.
            loss: A name from `keras_gans.losses.names()` or a `GANLoss`.
            optimizer: The single-loss optimizer (only with `single_loss=True`).
            **options: The step components' arguments:
                penalties: Penalties P1-P7 (`keras_gans.penalties`: names such as
                    "gp", "r1", "clip" or `Penalty` instances). Each logs its
                    value under its name.
                discriminator_steps: k discriminator steps per generator step
                    (T12). Each batch of B images is split into k strided parts
                    of B / k, one per D step (so every D step sees new real
                    images); the G step generates B / k images. Feed batches of
                    k·B for D steps of B.
                label_smoothing: One-sided label smoothing (T4): a real target
                    (0.9), a (low, high) range, or a `LabelSmoothing`.
                instance_noise: Annealed noise on D's inputs (T9): an
                    `InstanceNoise` or a number (its initial stddev).
                feature_matching: Feature matching for G (T1): True (D's last
                    hidden layer), a layer name, or a `FeatureMatching`.
                historical_averaging: Historical averaging (T3): a weight λ or a
                    `HistoricalAveraging`. Logs `d_history` and `g_history`.
                generator_ema: An EMA copy of G for sampling and export (T13): a
                    decay β or a `GeneratorEMA`. `generate`, `save_generator` and
                    the evaluation callback then use `ema_generator`.
                unrolled_steps: k look-ahead D steps for the G loss (T15); 0
                    disables. `unrolled_learning_rate` is the look-ahead's step
                    size η, `unrolled_first_order` stops the gradient through it.
                packing: PacGAN degree m (T16): D judges packs of m samples; D's
                    input needs m times the images' channels, and batches must
                    divide by m.
                single_loss: One optimizer over G and D and one scalar loss
                    (T14); simultaneous updates. Give `optimizer` instead of
                    `d_optimizer` and `g_optimizer`; `generator_loss_weight` is λ
                    (G's share).
                consistency_regularization: D penalised for scoring an image and
                    its flipped and shifted copy differently (P8, CR-GAN): a
                    weight λ or a `ConsistencyRegularization` (bCR with both
                    weights). Logs `consistency`.
                jit_compile, steps_per_execution, run_eagerly: Passed to
                    `keras.Model.compile`.
        """
        refuse_unused(
            "GAN",
            "`d_optimizer`, `g_optimizer` and `loss`",
            options,
            ("loss_weights", "metrics"),
        )
        keras_arguments = {
            name: options.pop(name)
            for name in KERAS_COMPILE_ARGUMENTS
            if name in options
        }
        super().compile(**keras_arguments)
        self.adversarial_loss = gan_losses.get(loss)
        self.components = step_options.components_from(options)
        self._check_components(self.adversarial_loss, self.components)
        for name, value in step_options.argument_values(self.components).items():
            setattr(self, name, value)
        self.players = trainer.Players()
        self.schedule.add_players(self, d_optimizer, g_optimizer, optimizer)
        for name in ("d_optimizer", "g_optimizer", "optimizer"):
            setattr(self, name, None)
        for player in self.players:
            setattr(self, _OPTIMIZER_ATTRIBUTES[player.name], player.optimizer)
        # The options' state (inside the strategy scope, if any).
        self.feature_model = self.discriminator_history = None
        self.generator_history = self.ema_generator = None
        for component in self.components:
            component.build(self)
        self._trackers = self._make_trackers()
        self._gan_compile_kwargs = keras_arguments

    default_optimizer = DEFAULT_OPTIMIZER

    # The model's traits that step components may be unavailable in
    # (`StepComponent.unavailable_in`), and how errors name the model.
    family_traits = frozenset()
    model_description = "a GAN"

    @property
    def schedule(self):
        """The component that runs the step: the single loss (T14) or the
        alternating k D steps and one G step (T12; k = 1 by default)."""
        for component in self.components:
            if component.role == "schedule":
                return component
        return DiscriminatorSteps(1)

    @classmethod
    def check_options(cls, *, loss="non_saturating", **options):
        """Raises a ValueError for `compile` options that are invalid or have no
        meaning together in this model, without building anything.

        `compile` makes this check; call it to validate a configuration before
        loading data or building networks (`keras_gans.presets.check` does). The
        arguments are `compile`'s options, as it takes them (names, numbers or
        option objects).
        """
        cls._check_options_of(
            gan_losses.get(loss),
            step_options.components_from(options),
            cls.family_traits,
            cls.model_description,
        )

    def _check_components(self, loss, components):
        self._check_options_of(
            loss, components, self.family_traits, self.model_description
        )

    @staticmethod
    def _check_options_of(loss, components, traits, model_description):
        for component in components:
            component.check(loss)
        check_combinations(components, traits, model_description)
        names = [name for component in components for name in component.log_names()]
        if len(set(names)) != len(names):
            raise ValueError(
                f"Two options log under the same name: {names}. Give each penalty once."
            )

    def _make_trackers(self):
        """One `keras.metrics.Mean` per logged value of the step."""
        names = ["d_loss", "g_loss", "real_logits", "fake_logits"]
        names += [name for c in self.components for name in c.log_names()]
        names += self._auxiliary_log_names() + ["d_grad_norm", "g_grad_norm"]
        return {name: keras.metrics.Mean(name=name) for name in names}

    def _auxiliary_log_names(self):
        """The names a family logs for its own loss terms (none for a GAN)."""
        return []

    def get_compile_config(self):
        if not self.compiled:
            return None
        serialize = keras.saving.serialize_keras_object
        optimizers = {
            attribute: serialize(getattr(self, attribute))
            for attribute in ("d_optimizer", "g_optimizer", "optimizer")
            if getattr(self, attribute) is not None
        }
        values = step_options.argument_values(self.components)
        values["penalties"] = [serialize(penalty) for penalty in values["penalties"]]
        return {
            **optimizers,
            "loss": serialize(self.adversarial_loss),
            **{
                name: serialize(value) if hasattr(value, "get_config") else value
                for name, value in values.items()
            },
            **self._gan_compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        deserialize = keras.saving.deserialize_keras_object
        for key in ("d_optimizer", "g_optimizer", "optimizer", "loss"):
            if key in config:
                config[key] = deserialize(config[key])
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

    # --- Training: the family's hooks -------------------------------------------------

    def sample_latents(self, batch_size):
        """This replica's `[batch_size, *latent_shape]` slice of the global latent
        batch.

        Every replica draws the same global batch from the shared seed state (so the
        state stays identical across replicas) and keeps its own rows.
        """
        return trainer.normal_for_replica(
            (batch_size, *self.latent_shape), self.seed_generator
        )

    # How a batch, a generated batch and D's scores look, and the family's own loss
    # terms. A GAN has no labels (they are None); the conditional, self-supervised
    # and progressive families override these.

    def _real_batch(self, data):
        """`(real_images, real_labels)` of a dataset element."""
        return _split_real_data(data), None

    def _generate_batch(self, batch_size):
        """`(generated_images, generated_labels)`: this replica's generated batch."""
        return self.generator(self.sample_latents(batch_size), training=True), None

    def _discriminate(self, inputs, labels):
        """`(logits, auxiliary_outputs)`: D's adversarial logits for `inputs` (and
        their `labels`) and its other outputs (None here). Step components reach it
        through `StepContext.discriminate`."""
        del labels
        return self.discriminator(inputs, training=True), None

    def _auxiliary_loss(self, player, real, fake, logs):
        """`player`'s loss term from D's auxiliary outputs; `real` and `fake` are
        `(auxiliary_outputs, labels)` (`real` is None for the generator). 0 here."""
        del player, real, fake, logs
        return 0.0

    def _discriminator_loss(self, real_logits, fake_logits):
        """D's adversarial loss: the loss's own, or the "discriminator_loss"
        component's (label smoothing, T4)."""
        for component in self.components:
            if component.role == "discriminator_loss":
                return component.discriminator_loss(self, real_logits, fake_logits)
        return self.adversarial_loss.discriminator_loss(real_logits, fake_logits)

    def _generator_loss(
        self, context, real_input, fake_input, labels, real_logits=None
    ):
        """`(g_loss, fake_auxiliary_outputs)`: G's adversarial term, or the
        "generator_loss" component's (feature matching T1, unrolling T15).
        `labels` is `(real_labels, generated_labels)`; `real_logits`, when the
        caller has them, saves a pass of D over the real batch."""
        for component in self.components:
            if component.role == "generator_loss":
                return component.generator_loss(context, real_input, fake_input, labels)
        real_labels, generated_labels = labels
        fake_logits, fake_auxiliary = context.discriminate(fake_input, generated_labels)
        if self.adversarial_loss.generator_needs_real_logits and real_logits is None:
            real_logits = context.discriminate(real_input, real_labels)[0]
        elif not self.adversarial_loss.generator_needs_real_logits:
            real_logits = None
        return self.adversarial_loss.generator_loss(
            fake_logits, real_logits
        ), fake_auxiliary

    @property
    def training_steps(self):
        """How many train steps have run (the generator's optimizer's iterations)."""
        optimizer = self.optimizer if self.single_loss else self.g_optimizer
        return optimizer.iterations

    # --- Training: the steps ----------------------------------------------------------

    def _discriminator_input(self, images):
        """What D sees of a batch: each component's transform in registry order
        (instance noise T9, then packing T16)."""
        for component in self.components:
            images = component.discriminator_input(images, self)
        return images

    def _generated_input(self, real_images):
        """`(fake_input, generated_labels)`: as many generated images as
        `real_images`, as D sees them."""
        generated_images, generated_labels = self._generate_batch(
            ops.shape(real_images)[0]
        )
        return self._discriminator_input(generated_images), generated_labels

    def _terms(self, context, player, real_input, fake_input, labels):
        """The sum of the components' loss terms for `player`."""
        return sum(
            (
                component.loss_terms(context, player, real_input, fake_input, labels)
                for component in self.components
            ),
            0.0,
        )

    def _after_update(self, context, player):
        for component in self.components:
            component.after_update(context, player)

    def _discriminator_step(self, context, real_images, real_labels):
        logs = context.logs
        player = self.players["discriminator"]
        context.step = player.optimizer.iterations
        generated_images, generated_labels = self._generate_batch(
            ops.shape(real_images)[0]
        )
        # The draws in this order: latents, then D's view of the real batch, then of
        # the generated one (instance noise draws for each).
        real_input = self._discriminator_input(real_images)
        fake_input = self._discriminator_input(generated_images)
        labels = (real_labels, generated_labels)

        def loss():
            real_logits, real_auxiliary = context.discriminate(real_input, real_labels)
            real_logits = _checked_logits(real_logits, real_input)
            fake_logits, fake_auxiliary = context.discriminate(
                fake_input, generated_labels
            )
            d_loss = self._discriminator_loss(real_logits, fake_logits)
            logs.update(d_loss=d_loss, real_logits=real_logits, fake_logits=fake_logits)
            return (
                d_loss
                + self._auxiliary_loss(
                    "discriminator",
                    (real_auxiliary, real_labels),
                    (fake_auxiliary, generated_labels),
                    logs,
                )
                + player.regularization()
                + self._terms(context, "discriminator", real_input, fake_input, labels)
            )

        logs["d_grad_norm"] = trainer.minimize(player, loss)
        self._after_update(context, "discriminator")

    def _generator_step(self, context, real_images, real_labels):
        logs = context.logs
        player = self.players["generator"]
        context.step = player.optimizer.iterations
        real_input = self._discriminator_input(real_images)

        def loss():
            fake_input, generated_labels = self._generated_input(real_images)
            labels = (real_labels, generated_labels)
            g_loss, fake_auxiliary = self._generator_loss(
                context, real_input, fake_input, labels
            )
            logs["g_loss"] = g_loss
            return (
                g_loss
                + self._auxiliary_loss(
                    "generator", None, (fake_auxiliary, generated_labels), logs
                )
                + player.regularization()
                + self._terms(context, "generator", real_input, fake_input, labels)
            )

        logs["g_grad_norm"] = trainer.minimize(player, loss)
        self._after_update(context, "generator")

    def _single_loss_step(self, context, real_images, real_labels, generator_weight):
        """T14: one optimizer step on `d_loss + λ [g_loss - sg-g_loss]`."""
        logs = context.logs
        player = self.players["players"]
        context.step = player.optimizer.iterations
        real_input = self._discriminator_input(real_images)

        def loss():
            fake_input, generated_labels = self._generated_input(real_images)
            stopped_fake_input = ops.stop_gradient(fake_input)
            real_logits, _ = context.discriminate(real_input, real_labels)
            real_logits = _checked_logits(real_logits, real_input)
            stopped_fake_logits, _ = context.discriminate(
                stopped_fake_input, generated_labels
            )
            labels = (real_labels, generated_labels)
            g_loss, _ = self._generator_loss(
                context, real_input, fake_input, labels, real_logits
            )
            stopped_g_loss, _ = self._generator_loss(
                context, real_input, stopped_fake_input, labels, real_logits
            )
            d_loss = self._discriminator_loss(real_logits, stopped_fake_logits)
            fake_logits, _ = context.discriminate(fake_input, generated_labels)
            logs.update(
                d_loss=d_loss,
                g_loss=g_loss,
                real_logits=real_logits,
                fake_logits=fake_logits,
            )
            return (
                single_loss_objective(d_loss, g_loss, stopped_g_loss, generator_weight)
                + player.regularization()
                + self._terms(
                    context, "discriminator", real_input, stopped_fake_input, labels
                )
                + self._terms(context, "generator", real_input, fake_input, labels)
            )

        logs["d_grad_norm"] = logs["g_grad_norm"] = trainer.minimize(player, loss)
        for network in ("discriminator", "generator"):
            self._after_update(context, network)

    def _check_batch_size(self, real_images):
        """T12 splits each (replica's) batch into k parts and T16 each part into
        packs of m: the batch must divide by k · m (the components' divisors).
        Returns `real_images`; with a batch size known only in the graph, the
        returned tensor depends on the check, so every split and pack of the step
        runs after it."""
        divisor = 1
        for component in self.components:
            divisor *= component.batch_divisor
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
        context = StepContext(self, logs={})
        for component in self.components:
            component.before_step(context)
        schedule = self.schedule
        schedule.run(self, context, real_images, real_labels)
        _, num_replicas = trainer.replica_position()
        generated_per_step = (
            ops.shape(real_images)[0] // schedule.batch_divisor * num_replicas
        )
        for component in self.components:
            component.after_step(context, generated_per_step)
        trainer.update_trackers(self._trackers, context.logs)
        return trainer.step_outputs(
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
        check_positive_integer(num_images, "num_images")
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
