"""Class-conditional GANs (catalogue T18): G and D see a class label.

A conditional GAN learns `p(x | y)` for labels y in [0, K): the generator draws
`G(z, y)`, and the discriminator judges pairs, so that a sample must look real
*for its class*. `ConditionalGAN` is the `GAN` model (every loss, penalty and most
tricks of `GAN.compile`) trained on `(images, labels)` batches; the networks choose
how the label enters:

- **Concatenation** (Mirza & Osindero 2014): G's input `concat(z, onehot(y))`, D's
  input the image with the one-hot label as extra channels
  (`architectures.conditional_dcgan_*`); `D([x, y]) -> logits`.
- **Projection discriminator** (Miyato & Koyama 2018): `D([x, y]) = psi(phi(x)) +
  <embed(y), phi(x)>`, with class-conditional batch normalization in G (the
  ResNet, SAGAN and BigGAN builders with `num_classes`).
- **Auxiliary classifier** (AC-GAN, Odena et al. 2017; `auxiliary_classifier=True`):
  D sees the image alone and returns `[logits, class_logits]`. With `C` the class
  cross-entropy `C(x, y) = -log softmax(class_logits(x))_y` (batch means) and
  weight `λ` (`compile(classification_weight=...)`, 1 in the paper):

      L_D = d_loss(real, fake) + λ [C(x_real, y_real) + C(G(z, y_g), y_g)]
      L_G = g_loss(fake, real) + λ C(G(z, y_g), y_g)

  (the paper's D maximises `L_S + L_C`, G maximises `L_C - L_S`). Both terms are
  logged, unweighted, as `d_classification` and `g_classification`.

The generated batch's labels `y_g` are uniform over the K classes, drawn for the
global batch and sliced per replica like the latents (`keras_gans.training.trainer`),
so a step on N replicas equals a step on one device. The D step's fakes and the
G step's fakes have labels of their own; the real batch keeps its labels.

Penalties differentiate D with the labels fixed: R1 and DRAGAN (at or near the
real images) and the interpolation penalties (gp, zero_gp) with the real batch's
labels, R2 (at the generated images) with the generated labels.

Not available with labels (ValueError in `compile`): PacGAN packing (a pack mixes
classes), feature matching and unrolled steps (both call D on images alone), and
single-loss training with the auxiliary classifier.

References:
    Mirza & Osindero 2014, https://arxiv.org/abs/1411.1784;
    Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637;
    Odena, Olah & Shlens 2017, https://arxiv.org/abs/1610.09585
"""

import numbers

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_gans import losses as gan_losses
from keras_gans._checks import check_bool, check_integer, check_non_negative_number
from keras_gans.models.gan import GAN
from keras_gans.training import options as step_options
from keras_gans.training import trainer

__all__ = ["ConditionalGAN", "classification_loss"]


def classification_loss(labels, class_logits):
    """AC-GAN's class cross-entropy: `mean_i -log softmax(class_logits_i)[y_i]`.

    Args:
        labels: Integer labels `[batch]`.
        class_logits: Class logits `[batch, num_classes]` (any float dtype).

    Returns:
        The batch mean, a float32 scalar.

    Example:

    >>> import numpy as np
    >>> logits = np.array([[0.0, 0.0], [2.0, 0.0]])
    >>> # (log 2 + log(1 + e^-2)) / 2
    >>> round(float(classification_loss(np.array([0, 0]), logits)), 4)
    0.41
    """
    class_logits = ops.cast(class_logits, "float32")
    labels = ops.cast(labels, "int32")
    return ops.mean(
        keras.losses.sparse_categorical_crossentropy(
            labels, class_logits, from_logits=True
        )
    )


def _num_inputs(model):
    inputs = getattr(model, "inputs", None)
    return None if inputs is None else len(inputs)


def _check_networks(generator, discriminator, num_classes, auxiliary_classifier):
    if _num_inputs(generator) != 2:
        raise ValueError(
            "`generator` should take two inputs, `[latents, labels]` (integer "
            f"labels [batch]). Received a generator with inputs "
            f"{getattr(generator, 'inputs', None)}."
        )
    outputs = getattr(discriminator, "outputs", None) or []
    if auxiliary_classifier:
        if (
            _num_inputs(discriminator) != 1
            or len(outputs) != 2
            or outputs[1].shape[-1] != num_classes
        ):
            raise ValueError(
                "With `auxiliary_classifier=True`, `discriminator` should take "
                "images alone and return `[logits, class_logits]` with "
                f"num_classes={num_classes} class logits. Received a discriminator "
                f"with inputs {discriminator.inputs} and outputs {outputs}."
            )
    elif _num_inputs(discriminator) != 2:
        raise ValueError(
            "`discriminator` should take two inputs, `[images, labels]` (or pass "
            "`auxiliary_classifier=True` for an AC-GAN discriminator of images "
            "alone). Received a discriminator with inputs "
            f"{getattr(discriminator, 'inputs', None)}."
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class ConditionalGAN(GAN):
    """A class-conditional GAN that trains with `model.fit` on `(images, labels)`.

    The `GAN` model with a label: `G([z, y]) -> images`, and either
    `D([x, y]) -> logits` (label concatenation or a projection discriminator) or,
    with `auxiliary_classifier=True`, `D(x) -> [logits, class_logits]` and
    AC-GAN's class cross-entropy in both losses (see the module docstring).
    Generated batches draw their labels uniformly over the classes.

    Args:
        generator: A built Keras model `[latents, labels] -> images` (int32
            labels `[batch]`), images in [-1, 1].
        discriminator: A built Keras model `[images, labels] -> logits`, or
            `images -> [logits, class_logits]` with `auxiliary_classifier`.
        num_classes: The number of classes K; labels are in [0, K) (a training
            step with a label outside fails with an InvalidArgumentError).
        latent_dim: The latent shape without the batch axis. Defaults to the
            generator's first input.
        seed: Seed of the model's `SeedGenerator` (latents, labels and every other
            random draw of the step).
        auxiliary_classifier: Whether D is AC-GAN's (images in, two outputs).

    Example:

    >>> from keras_gans.architectures import conditional_dcgan
    >>> gan = ConditionalGAN(
    ...     conditional_dcgan.conditional_dcgan_generator(
    ...         8, 1, num_classes=3, latent_dim=4, width=4, seed=0),
    ...     conditional_dcgan.conditional_dcgan_discriminator(
    ...         8, 1, num_classes=3, width=4, seed=0),
    ...     num_classes=3,
    ...     seed=0,
    ... )
    >>> gan.compile(loss="hinge")
    >>> gan.generate(6, labels=2).shape
    (6, 8, 8, 1)
    """

    def __init__(
        self,
        generator,
        discriminator,
        num_classes,
        latent_dim=None,
        seed=None,
        auxiliary_classifier=False,
        **kwargs,
    ):
        num_classes = check_integer(num_classes, "num_classes", minimum=2)
        auxiliary_classifier = check_bool(auxiliary_classifier, "auxiliary_classifier")
        if latent_dim is None and _num_inputs(generator) == 2:
            latent_dim = tuple(generator.inputs[0].shape[1:])
        super().__init__(
            generator, discriminator, latent_dim=latent_dim, seed=seed, **kwargs
        )
        _check_networks(generator, discriminator, num_classes, auxiliary_classifier)
        self.num_classes = num_classes
        self.auxiliary_classifier = auxiliary_classifier
        self.classification_weight = 1.0

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        loss="non_saturating",
        *,
        classification_weight=1.0,
        **kwargs,
    ):
        """Configures the GAN as `GAN.compile`, plus AC-GAN's class-loss weight.

        Args:
            d_optimizer, g_optimizer, loss: As `GAN.compile`.
            classification_weight: λ of the auxiliary classifier's cross-entropy
                in both players' losses (AC-GAN only; 1 in the paper).
            **kwargs: Every other option of `GAN.compile`, except `packing`,
                `feature_matching` and `unrolled_steps` (and `single_loss` with the
                auxiliary classifier), which raise a ValueError.
        """
        classification_weight = check_non_negative_number(
            classification_weight, "classification_weight"
        )
        self.classification_weight = float(classification_weight)
        super().compile(d_optimizer, g_optimizer, loss, **kwargs)

    @staticmethod
    def _traits(auxiliary_classifier):
        traits = {"conditional"}
        if auxiliary_classifier:
            traits.add("auxiliary_classifier")
        return frozenset(traits)

    @property
    def family_traits(self):
        return self._traits(self.auxiliary_classifier)

    model_description = "a ConditionalGAN"

    @classmethod
    def check_options(
        cls, *, auxiliary_classifier=False, loss="non_saturating", **options
    ):
        """`GAN.check_options` for a ConditionalGAN with `auxiliary_classifier` as
        given to the constructor: packing, feature matching and unrolling (and the
        single loss with the auxiliary classifier) are unavailable."""
        cls._check_options_of(
            gan_losses.get(loss),
            step_options.components_from(options),
            cls._traits(auxiliary_classifier),
            cls.model_description,
        )

    def _auxiliary_log_names(self):
        if self.auxiliary_classifier:
            return ["d_classification", "g_classification"]
        return []

    # --- Training: the conditioning hooks of GAN -------------------------------------

    def sample_labels(self, batch_size):
        """This replica's `[batch_size]` slice of uniform labels in [0, K) for the
        global generated batch (one draw shared by the replicas, as the latents).
        """
        uniform = trainer.uniform_for_replica(
            (batch_size,), self.seed_generator, maxval=float(self.num_classes)
        )
        # floor(U[0, K)) is uniform over 0..K-1; the minimum guards float rounding.
        return ops.minimum(ops.cast(ops.floor(uniform), "int32"), self.num_classes - 1)

    def _real_batch(self, data):
        if (
            not isinstance(data, (tuple, list))
            or len(data) not in (2, 3)
            or data[1] is None
        ):
            raise ValueError(
                "A ConditionalGAN trains on `(images, labels)` batches (integer "
                "labels [batch]); received a batch without labels. Load data with "
                "`keras_gans.data.load(..., with_labels=True)` or "
                "`data.from_array(images, labels)`."
            )
        # Tensors (an eager `train_on_batch` passes NumPy arrays through).
        images, labels = ops.convert_to_tensor(data[0]), ops.convert_to_tensor(data[1])
        if not keras.backend.is_int_dtype(labels.dtype) or (
            len(labels.shape) == 2 and labels.shape[1] != 1
        ):
            raise ValueError(
                "A ConditionalGAN takes integer class labels of shape [batch] (not "
                f"one-hot). Received labels of dtype {labels.dtype} and shape "
                f"{tuple(labels.shape)}."
            )
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))  # [batch]
        # Out-of-range labels would index past the class embeddings (or one-hot to
        # zeros) without an error: fail the step instead.
        message = (
            f"A ConditionalGAN with `num_classes={self.num_classes}` takes labels in "
            f"[0, {self.num_classes}); this batch holds a label outside that range."
        )
        checks = [
            tf.debugging.assert_non_negative(labels, message=message),
            tf.debugging.assert_less(labels, self.num_classes, message=message),
        ]
        with tf.control_dependencies(checks):
            return images, tf.identity(labels)

    def _generate_batch(self, batch_size):
        labels = self.sample_labels(batch_size)
        latents = self.sample_latents(batch_size)
        return self.generator([latents, labels], training=True), labels

    def _discriminate(self, inputs, labels):
        if self.auxiliary_classifier:
            logits, class_logits = self.discriminator(inputs, training=True)
            return logits, class_logits
        return self.discriminator([inputs, labels], training=True), None

    def _auxiliary_loss(self, player, real, fake, logs):
        if not self.auxiliary_classifier:
            return 0.0
        fake_loss = classification_loss(fake[1], fake[0])
        if player == "generator":
            logs["g_classification"] = fake_loss
            return self.classification_weight * fake_loss
        value = classification_loss(real[1], real[0]) + fake_loss
        logs["d_classification"] = value
        return self.classification_weight * value

    # --- Sampling -------------------------------------------------------------------

    def _generation_labels(self, num_images, labels, source):
        if labels is None:
            draw = keras.random.randint(
                (num_images,), 0, self.num_classes, seed=source, dtype="int32"
            )
            return ops.convert_to_numpy(draw)
        if isinstance(labels, (numbers.Integral, np.integer)) and not isinstance(
            labels, bool
        ):
            labels = np.full((num_images,), labels)
        labels = np.asarray(labels)
        if (
            not np.issubdtype(labels.dtype, np.integer)
            or labels.shape != (num_images,)
            or labels.min() < 0
            or labels.max() >= self.num_classes
        ):
            raise ValueError(
                "`labels` should be None, one class or `num_images` classes, "
                f"integers in [0, {self.num_classes}). Received: `labels` of dtype "
                f"{labels.dtype}, shape {labels.shape} and values {labels}."
            )
        return labels.astype("int32")

    def generate(
        self, num_images, labels=None, seed=None, batch_size=256, truncation=None
    ):
        """Generates `num_images` samples (NumPy) of the given classes, in inference
        mode, with the EMA generator when `compile(generator_ema=...)` made one.

        Args:
            num_images: How many samples.
            labels: None (uniform random classes), one class for every sample (an
                int), or one class per sample (`[num_images]` integers).
            seed: An int for a repeatable draw (latents and random labels) that
                leaves the model's seed state untouched; `None` draws from the
                model's `SeedGenerator`.
            batch_size: How many samples per generator call.
            truncation: The truncation trick (T17): latents from N(0, 1)
                restricted to |z| <= `truncation`. `None` disables.

        Returns:
            A NumPy array `[num_images, *image_shape]`.
        """
        source = self._sampling_source(num_images, seed)
        latents = self._sampling_latents(num_images, truncation, source)
        labels = self._generation_labels(num_images, labels, source)
        return self.sampling_generator.predict(
            [ops.convert_to_numpy(latents), labels], batch_size=batch_size, verbose=0
        )

    # --- Saving ---------------------------------------------------------------------

    def get_compile_config(self):
        config = super().get_compile_config()
        if config is not None:
            config["classification_weight"] = self.classification_weight
        return config

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "auxiliary_classifier": self.auxiliary_classifier,
        }
