"""The GAN model: a generator, a discriminator and an adversarial loss, trained by
`fit`.

One `train_step` serves every loss of `keras_gans.losses` (they share one contract).
Each step is the alternating algorithm of Goodfellow et al. 2014 (Algorithm 1):

1. Discriminator step: draw latents, generate a batch, score the real batch and the
   generated batch in **separate** forward passes (so BatchNormalization statistics
   never mix real and fake, technique T19), and descend `d_loss(real, fake)`.
2. Generator step: draw fresh latents, generate, score, and descend
   `g_loss(fake, real)`.

The step is TensorFlow-specific (`tf.GradientTape`, `tf.distribute`). Under a
`tf.distribute` strategy each replica's loss is its local batch mean divided by the
number of replicas, so the gradients that the optimizer sums across replicas are
those of the global-batch mean: one step with N replicas equals one step on one
device with the same global batch (tested). Latents are drawn for the global batch
from one `keras.random.SeedGenerator` and each replica takes its own slice, so
replicas never draw the same latents and a seeded run repeats exactly.

Reference: Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661
"""

import keras
import tensorflow as tf
from keras import ops

from keras_gans import losses as gan_losses

__all__ = ["GAN"]

# DCGAN's optimizer (Radford et al. 2015, section 4): Adam, lr 2e-4, beta_1 0.5.
DEFAULT_OPTIMIZER = {
    "class_name": "Adam",
    "config": {"learning_rate": 2e-4, "beta_1": 0.5},
}


def _replica_position():
    """(replica index, number of replicas) of the current replica context."""
    context = tf.distribute.get_replica_context()
    if context is None:  # Cross-replica context: behave as a single replica.
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def _in_multi_worker_mode():
    strategy = tf.distribute.get_strategy()
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


def _split_real_data(data):
    """Images from a batch of `images` or `(images, labels)` (labels are not used
    here)."""
    if isinstance(data, (tuple, list)):
        if len(data) not in (1, 2):
            raise ValueError(
                "Expected each dataset element to be `images` or `(images, labels)`. "
                f"Received a tuple of {len(data)} elements."
            )
        return data[0]
    return data


def _regularization(model):
    """The sum of a model's `add_loss` terms (kernel regularizers and the like)."""
    return sum(model.losses, 0.0)


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(keras.Model):
    """A generative adversarial network that trains with `model.fit`.

    Holds a generator `G: latents -> images` and a discriminator
    `D: images -> logits` (raw logits, higher = more real; any rank >= 1). `fit` runs
    one discriminator step then one generator step per batch of real data, for any
    adversarial loss of `keras_gans.losses`.

    Args:
        generator: A built Keras model mapping latents `[batch, *latent_shape]` to
            images in [-1, 1] (use a tanh output).
        discriminator: A built Keras model mapping images to logits.
        latent_dim: The latent shape without the batch axis (an int or a tuple).
            Defaults to the generator's input shape.
        seed: Seed of the model's `SeedGenerator`: latents repeat exactly for a given
            seed on CPU. `None` draws a random seed.

    Example:

    >>> from keras_gans import architectures
    >>> gan = GAN(
    ...     architectures.mlp_generator(latent_dim=4, output_dim=2),
    ...     architectures.mlp_discriminator(input_dim=2),
    ...     seed=0,
    ... )
    >>> gan.compile(loss="hinge")
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
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_logits_tracker = keras.metrics.Mean(name="real_logits")
        self.fake_logits_tracker = keras.metrics.Mean(name="fake_logits")
        self.built = True

    # --- Keras plumbing ---------------------------------------------------------------

    def call(self, latents, training=False):
        return self.generator(latents, training=training)

    @property
    def metrics(self):
        # Listed here so Keras resets them at the start of every epoch.
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.real_logits_tracker,
            self.fake_logits_tracker,
        ]

    def compile(
        self, d_optimizer=None, g_optimizer=None, loss="non_saturating", **kwargs
    ):
        """Configures the two optimizers and the adversarial loss.

        Args:
            d_optimizer: The discriminator's optimizer (instance, name or config).
                Defaults to DCGAN's Adam(2e-4, beta_1=0.5).
            g_optimizer: The generator's optimizer; a separate instance (TTUR is a
                different learning rate here). Defaults as `d_optimizer`.
            loss: A name from `keras_gans.losses.names()` or a `GANLoss`.
            **kwargs: Passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`).
        """
        for argument in ("optimizer", "loss_weights", "metrics"):
            if argument in kwargs:
                raise ValueError(
                    f"GAN.compile takes `d_optimizer`, `g_optimizer` and `loss`; "
                    f"`{argument}` is not used. "
                    f"Received: `{argument}={kwargs[argument]}`."
                )
        super().compile(**kwargs)
        self.d_optimizer = keras.optimizers.get(d_optimizer or DEFAULT_OPTIMIZER)
        self.g_optimizer = keras.optimizers.get(g_optimizer or DEFAULT_OPTIMIZER)
        if self.d_optimizer is self.g_optimizer:
            raise ValueError(
                "`d_optimizer` and `g_optimizer` must be two optimizer instances: an "
                "optimizer keeps state for one set of variables. Received the same "
                f"object twice: {self.d_optimizer}."
            )
        if keras.config.dtype_policy().name == "mixed_float16":
            self.d_optimizer = keras.optimizers.LossScaleOptimizer(self.d_optimizer)
            self.g_optimizer = keras.optimizers.LossScaleOptimizer(self.g_optimizer)
        self.adversarial_loss = gan_losses.get(loss)
        self._gan_compile_kwargs = kwargs
        # Build the optimizers' slots now (inside the strategy scope, when there is
        # one), so that weight loading and BackupAndRestore find them.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    # Keras does not save SeedGenerator states with the weights; the latent state is
    # saved here so a restored run (BackupAndRestore, load_model) draws the latents an
    # uninterrupted run would have drawn.
    _SEED_STATE_KEY = "latent_seed_state"

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[self._SEED_STATE_KEY] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        keys = list(store.keys())
        if self._SEED_STATE_KEY in keys:
            self.seed_generator.state.assign(store[self._SEED_STATE_KEY])
        super().load_own_variables(
            {key: store[key] for key in keys if key != self._SEED_STATE_KEY}
        )

    def get_compile_config(self):
        if not self.compiled:
            return None
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "loss": keras.saving.serialize_keras_object(self.adversarial_loss),
            **self._gan_compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        self.compile(
            d_optimizer=keras.saving.deserialize_keras_object(
                config.pop("d_optimizer")
            ),
            g_optimizer=keras.saving.deserialize_keras_object(
                config.pop("g_optimizer")
            ),
            loss=keras.saving.deserialize_keras_object(config.pop("loss")),
            **config,
        )

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

    # --- Training ---------------------------------------------------------------------

    def sample_latents(self, batch_size):
        """This replica's `[batch_size, *latent_shape]` slice of the global latent
        batch.

        Every replica draws the same global batch from the shared seed state (so the
        state stays identical across replicas) and keeps rows
        `[replica * batch_size, (replica + 1) * batch_size)`.
        """
        replica, num_replicas = _replica_position()
        global_latents = keras.random.normal(
            (batch_size * num_replicas, *self.latent_shape), seed=self.seed_generator
        )
        return global_latents[replica * batch_size : (replica + 1) * batch_size]

    def _distributed_mean(self, loss, optimizer):
        """The per-replica loss whose replica-summed gradient is the global-batch
        mean's."""
        _, num_replicas = _replica_position()
        return optimizer.scale_loss(loss / num_replicas)

    def _discriminator_step(self, real_images, batch_size):
        generated_images = self.generator(
            self.sample_latents(batch_size), training=True
        )
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(generated_images, training=True)
            d_loss = self.adversarial_loss.discriminator_loss(real_logits, fake_logits)
            scaled_loss = self._distributed_mean(
                d_loss + _regularization(self.discriminator), self.d_optimizer
            )
        variables = self.discriminator.trainable_variables
        gradients = tape.gradient(scaled_loss, variables)
        self.d_optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return d_loss, real_logits, fake_logits

    def _generator_step(self, real_images, batch_size):
        with tf.GradientTape() as tape:
            generated_images = self.generator(
                self.sample_latents(batch_size), training=True
            )
            fake_logits = self.discriminator(generated_images, training=True)
            real_logits = (
                self.discriminator(real_images, training=True)
                if self.adversarial_loss.generator_needs_real_logits
                else None
            )
            g_loss = self.adversarial_loss.generator_loss(fake_logits, real_logits)
            scaled_loss = self._distributed_mean(
                g_loss + _regularization(self.generator), self.g_optimizer
            )
        variables = self.generator.trainable_variables
        gradients = tape.gradient(scaled_loss, variables)
        self.g_optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return g_loss

    def train_step(self, data):
        real_images = _split_real_data(data)
        batch_size = ops.shape(real_images)[0]
        d_loss, real_logits, fake_logits = self._discriminator_step(
            real_images, batch_size
        )
        g_loss = self._generator_step(real_images, batch_size)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_logits_tracker.update_state(
            ops.mean(ops.cast(real_logits, "float32"))
        )
        self.fake_logits_tracker.update_state(
            ops.mean(ops.cast(fake_logits, "float32"))
        )
        logs = {metric.name: metric.result() for metric in self.metrics}
        if _in_multi_worker_mode():
            # Keras 3 reduces a step's outputs across workers with
            # `strategy.reduce("MEAN", value, axis=0)`, which rejects scalars
            # (tensorflow/tensorflow#72388); shape [1] reduces to the scalar.
            logs = {name: ops.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    # --- Sampling and export ----------------------------------------------------------

    def generate(self, num_images, seed=None, batch_size=256):
        """Generates `num_images` samples (NumPy) with the generator in inference mode.

        Args:
            num_images: How many samples.
            seed: An int for a repeatable draw that leaves the model's seed state
                untouched; `None` draws from the model's `SeedGenerator`.
            batch_size: How many samples per generator call.

        Returns:
            A NumPy array `[num_images, *image_shape]`; images are in [-1, 1] when
            the generator ends in tanh (as every generator of
            `keras_gans.architectures` does).
        """
        if not isinstance(num_images, int) or num_images < 1:
            raise ValueError(
                "`num_images` should be a positive integer. "
                f"Received: `num_images={num_images}`."
            )
        source = (
            self.seed_generator if seed is None else keras.random.SeedGenerator(seed)
        )
        latents = keras.random.normal((num_images, *self.latent_shape), seed=source)
        return self.generator.predict(latents, batch_size=batch_size, verbose=0)

    def save_generator(self, filepath):
        """Saves the generator alone as a `.keras` file (what `sample` and users
        load)."""
        self.generator.save(filepath)
