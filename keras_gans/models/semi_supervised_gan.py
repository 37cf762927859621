"""The semi-supervised K+1 GAN (catalogue T6): the discriminator is also a K-class
classifier, trained on a few labels and on the GAN game over all the data.

Salimans et al. 2016 (section 5) give D the K class logits `l_1..l_K` of a
classifier and fix the logit of a (K+1)-th class, "generated", at 0. With
`Z(x) = Σ_k exp(l_k(x))` the probability that x is real is then

    D(x) = Z(x) / (Z(x) + 1) = sigmoid(log Z(x)),

so `log Z = logsumexp(l)` is an ordinary real/fake logit, and

    -log D(x)       = softplus(-logsumexp(l(x)))
    -log(1 - D(x))  = softplus(logsumexp(l(x)))

are the non-saturating GAN terms in their stable form. D minimises

    L_D = L_supervised + w · L_unsupervised
    L_supervised   = E_(x, y labelled) [logsumexp(l(x)) - l_y(x)]   (cross-entropy)
    L_unsupervised = E_x [softplus(-logsumexp(l(x)))]
                     + E_z [softplus(logsumexp(l(G(z))))]

(w = `unsupervised_weight`, 1 in the paper's equation; the real expectation runs
over every image of the batch, labelled or not), and G minimises feature matching
(T1) on an intermediate D layer, the generator objective the paper found best for
semi-supervised learning. The product is the classifier: `model.classifier` maps
images to the softmax of D's K logits and shares D's weights.

Batches are `(images, labels)` with the label -1 on unlabelled examples, as
`keras_gans.data.labelled_subset.semi_supervised_dataset` makes them. Each mean
above is over the **global** batch: under `tf.distribute` the replicas may hold
different numbers of labelled examples, so each replica differentiates its own sum
divided by the all-reduced count, and the optimizer's sum over replicas is the
gradient of the global mean (a step on N replicas equals the single-device step).

The steps go through `keras_gans.training.trainer` (players, `minimize`).

Reference: Salimans et al. 2016, "Improved Techniques for Training GANs", section 5,
https://arxiv.org/abs/1606.03498
"""

import keras
import numpy as np
from keras import ops

from keras_gans import data
from keras_gans._checks import check_integer, check_non_negative_number
from keras_gans.architectures import semi_supervised as networks
from keras_gans.data.labelled_subset import UNLABELLED
from keras_gans.models._compile_arguments import refuse_unused
from keras_gans.models._preset_fields import reject_unsupported_fields
from keras_gans.models.gan import GAN
from keras_gans.training import options as step_options
from keras_gans.training import trainer
from keras_gans.tricks.feature_matching import FeatureMatching, feature_matching_loss

__all__ = [
    "SemiSupervisedGAN",
    "build_semi_supervised_gan",
    "check_preset",
    "real_logit",
    "real_probability",
    "supervised_loss",
    "unsupervised_discriminator_loss",
]

# The optimizer of the paper's MNIST code (train_mnist_feature_matching.py in
# github.com/openai/improved-gan): Adam, lr 0.003, beta_1 0.5, for D and for G.
DEFAULT_OPTIMIZER = {
    "class_name": "Adam",
    "config": {"learning_rate": 3e-3, "beta_1": 0.5},
}
# Preset fields for options of `GAN.compile` that this model does not have: a preset
# that sets one is rejected rather than silently trained without it.
_UNSUPPORTED_PRESET_FIELDS = (
    # G always matches D's features (T1); no other GAN step component applies.
    *(name for name in step_options.arguments() if name != "feature_matching"),
    "loss",
    "minibatch_kernels",
    "num_classes",
)
# The log names, in the order of the progress bar.
LOG_NAMES = ("d_loss", "g_loss", "supervised_loss", "unsupervised_loss", "accuracy")


def real_logit(class_logits):
    """The real/fake logit of a K+1 discriminator whose fake logit is 0:
    `log Z = logsumexp_k(l_k)`, so that `D(x) = sigmoid(log Z) = Z / (Z + 1)`.

    Args:
        class_logits: `[batch, K]` class logits.

    Returns:
        `[batch]` float32 logits.

    Example:

    >>> import numpy as np
    >>> round(float(real_logit(np.log([[1.0, 3.0]]))[0]), 4)  # log(1 + 3)
    1.3863
    """
    return ops.logsumexp(ops.cast(class_logits, "float32"), axis=-1)


def real_probability(class_logits):
    """D(x) = Z / (Z + 1) with `Z = Σ_k exp(l_k)`: the K+1 discriminator's
    probability that x is real, computed stably as `sigmoid(logsumexp(l))`.

    Args:
        class_logits: `[batch, K]` class logits.

    Returns:
        `[batch]` float32 probabilities.

    Example:

    >>> import numpy as np
    >>> round(float(real_probability(np.log([[1.0, 3.0]]))[0]), 4)  # 4 / (4 + 1)
    0.8
    """
    return ops.sigmoid(real_logit(class_logits))


def _replica_share_of_mean(values, weights):
    """This replica's share of the global weighted mean of `values`:
    `Σ_replica values·weights / Σ_global weights` (0 when every weight is 0).

    The shares of all replicas add up to the global mean, so the gradients the
    optimizer sums over replicas are those of the global mean. Outside a strategy
    this is the plain weighted mean.
    """
    local_sum = ops.sum(ops.where(weights > 0, values * weights, 0.0))
    global_weight = ops.stop_gradient(trainer.global_sum(ops.sum(weights)))
    return local_sum / ops.maximum(global_weight, 1.0)


def supervised_loss(class_logits, labels):
    """The mean cross-entropy `logsumexp(l) - l_y` of softmax(l) over the labelled
    examples (`labels >= 0`); unlabelled examples (label -1) do not count.

    Under `tf.distribute` (in a replica context) it returns this replica's share:
    its sum over the global number of labelled examples (the replicas' shares add
    up to the global mean). 0 for a batch without labels.

    Args:
        class_logits: `[batch, K]` class logits.
        labels: `[batch]` integer labels in [0, K), or -1 for unlabelled.

    Returns:
        A float32 scalar.

    Example:

    >>> import numpy as np
    >>> logits = np.log([[1.0, 3.0], [1.0, 1.0]])
    >>> round(float(supervised_loss(logits, np.array([1, -1]))), 4)  # -log(3/4)
    0.2877
    """
    class_logits = ops.cast(class_logits, "float32")
    labels = ops.cast(labels, "int32")
    is_labelled = ops.cast(labels >= 0, "float32")
    safe_labels = ops.maximum(labels, 0)  # Any valid index for unlabelled rows.
    label_logits = ops.take_along_axis(
        class_logits, ops.expand_dims(safe_labels, -1), axis=-1
    )[:, 0]  # [batch]
    cross_entropy = real_logit(class_logits) - label_logits
    return _replica_share_of_mean(cross_entropy, is_labelled)


def unsupervised_discriminator_loss(real_class_logits, fake_class_logits):
    """The K+1 discriminator's GAN loss
    `E_x[-log D(x)] + E_z[-log(1 - D(G(z)))]`
    `= mean softplus(-logsumexp(l_real)) + mean softplus(logsumexp(l_fake))`.

    Under `tf.distribute` it returns this replica's share of the global-batch
    value, like `supervised_loss`.

    Args:
        real_class_logits: `[batch, K]` class logits of real images (labelled or
            not).
        fake_class_logits: `[batch_fake, K]` class logits of generated images.

    Returns:
        A float32 scalar.

    Example:

    >>> import numpy as np
    >>> real = np.log([[1.0, 3.0]])  # D(x) = 0.8
    >>> fake = np.log([[0.5, 0.5]])  # D(G(z)) = 0.5
    >>> round(float(unsupervised_discriminator_loss(real, fake)), 4)  # -log .8 .5
    0.9163
    """
    real_term = ops.softplus(-real_logit(real_class_logits))
    fake_term = ops.softplus(real_logit(fake_class_logits))
    return _replica_share_of_mean(
        real_term, ops.ones_like(real_term)
    ) + _replica_share_of_mean(fake_term, ops.ones_like(fake_term))


def _correct_and_count(class_logits, labels):
    """(correct predictions, labelled examples) over the global batch."""
    labels = ops.cast(labels, "int32")
    is_labelled = labels >= 0
    predictions = ops.cast(ops.argmax(class_logits, axis=-1), "int32")
    correct = ops.sum(ops.cast(is_labelled & (predictions == labels), "float32"))
    count = ops.sum(ops.cast(is_labelled, "float32"))
    return trainer.global_sum([correct, count])


def _split_labelled_batch(data):
    """`(images, labels)` from a batch, also as Keras packs it (`(x, y, None)`)."""
    if isinstance(data, (tuple, list)) and len(data) in (2, 3):
        images, labels = data[0], data[1]
        if labels is not None:
            return images, labels
    raise ValueError(
        "The semi-supervised GAN trains on `(images, labels)` batches with the label "
        f"{UNLABELLED} on unlabelled examples (see "
        "`keras_gans.data.labelled_subset.semi_supervised_dataset`). Received: "
        f"{type(data).__name__} without labels."
    )


@keras.saving.register_keras_serializable(package="keras_gans")
class SemiSupervisedGAN(GAN):
    """The semi-supervised K+1 GAN (T6): a GAN whose discriminator is a K-class
    classifier with the fake class's logit fixed at 0.

    `fit` on `(images, labels)` batches (label -1 = unlabelled) runs one
    discriminator step on `supervised_loss + w · unsupervised_discriminator_loss`
    and one generator step on feature matching (T1), and logs `d_loss`, `g_loss`,
    `supervised_loss`, `unsupervised_loss` and `accuracy` (on the labelled
    examples of the training batches, with D's training noise). Given
    `validation_data=(images, labels)`, `fit` also logs `val_accuracy`: the
    held-out accuracy of the classifier in inference mode, measured by
    `test_step` (so `evaluate(images, labels)` returns it too).

    `model.classifier` is a Keras model `images -> softmax(l)` that shares D's
    weights: `model.classifier.predict(images)` gives class probabilities, and it
    can be saved alone. Sampling (`generate`, `save_generator`) is the GAN's.

    Args:
        generator: A built Keras model `latents -> images` (tanh output for
            images in [-1, 1]).
        discriminator: A built Functional or Sequential model `images -> [batch,
            num_classes]` class logits (raw, no softmax). Feature matching reads
            one of its layers.
        num_classes: K, the number of real classes (D's output width).
        latent_dim: The latent shape; defaults to the generator's input shape.
        seed: Seed of the latent draws (see `GAN`).

    Example:

    >>> import numpy as np
    >>> from keras_gans.architectures import semi_supervised as networks
    >>> gan = SemiSupervisedGAN(
    ...     networks.semi_supervised_generator(8, (4,), hidden_units=(16,)),
    ...     networks.semi_supervised_discriminator((4,), 3, hidden_units=(8,)),
    ...     num_classes=3,
    ...     seed=0,
    ... )
    >>> gan.compile(feature_layer=networks.FEATURE_LAYER)
    >>> images = np.zeros((4, 4), dtype="float32")
    >>> logs = gan.train_on_batch(images, np.array([0, -1, 2, -1]), return_dict=True)
    >>> sorted(logs)
    ['accuracy', 'd_loss', 'g_loss', 'supervised_loss', 'unsupervised_loss']
    >>> tuple(gan.classifier.predict(images, verbose=0).shape)
    (4, 3)

    Reference: Salimans et al. 2016, https://arxiv.org/abs/1606.03498
    """

    def __init__(
        self,
        generator,
        discriminator,
        num_classes,
        latent_dim=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            generator, discriminator, latent_dim=latent_dim, seed=seed, **kwargs
        )
        num_classes = check_integer(num_classes, "num_classes", minimum=2)
        output_shape = getattr(discriminator, "output_shape", None)
        if isinstance(output_shape, list) or output_shape is None:
            raise ValueError(
                "`discriminator` should have one output of class logits. Received "
                f"output shape: {output_shape}."
            )
        if tuple(output_shape[1:]) != (num_classes,):
            raise ValueError(
                f"`discriminator` should output `[batch, num_classes]` = `[batch, "
                f"{num_classes}]` class logits. Received output shape: {output_shape}."
            )
        self.num_classes = num_classes
        images = keras.Input(tuple(discriminator.input_shape[1:]), name="images")
        probabilities = keras.layers.Softmax(name="class_probabilities")(
            discriminator(images)
        )  # [batch, num_classes]
        self.classifier = keras.Model(images, probabilities, name="classifier")

    # --- Keras plumbing ---------------------------------------------------------------

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        *,
        feature_layer=None,
        unsupervised_weight=1.0,
        **kwargs,
    ):
        """Configures the optimizers, the feature-matching layer and the weight of
        the unsupervised loss.

        Args:
            d_optimizer: The discriminator's optimizer (instance, name or config).
                Defaults to the paper's MNIST code: Adam(3e-3, beta_1=0.5).
            g_optimizer: The generator's optimizer, a separate instance. Defaults as
                `d_optimizer`.
            feature_layer: The D layer whose activations G matches (T1). `None`:
                the input of D's last layer. With
                `architectures.semi_supervised_discriminator`, the paper's choice is
                `FEATURE_LAYER` ("features", the last hidden layer before its
                noise).
            unsupervised_weight: w in `L_D = L_supervised + w · L_unsupervised`
                (1 in the paper's equation; the code's MNIST loss is w = 0.5).
            **kwargs: Passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`).
        """
        refuse_unused(
            "SemiSupervisedGAN",
            "`d_optimizer`, `g_optimizer`, `feature_layer` and `unsupervised_weight`",
            kwargs,
            ("loss", "loss_weights", "metrics", "optimizer"),
        )
        check_non_negative_number(unsupervised_weight, "unsupervised_weight")
        keras.Model.compile(self, **kwargs)
        self.players = trainer.Players()
        self.d_optimizer = self.players.add(
            "discriminator", [self.discriminator], d_optimizer or DEFAULT_OPTIMIZER
        ).optimizer
        self.g_optimizer = self.players.add(
            "generator", [self.generator], g_optimizer or DEFAULT_OPTIMIZER
        ).optimizer
        self.feature_layer = feature_layer
        self.feature_model = FeatureMatching(feature_layer).feature_model(
            self.discriminator
        )
        self.unsupervised_weight = float(unsupervised_weight)
        self._trackers = {name: keras.metrics.Mean(name=name) for name in LOG_NAMES}
        self._semi_supervised_compile_kwargs = kwargs

    def get_compile_config(self):
        if not self.compiled:
            return None
        serialize = keras.saving.serialize_keras_object
        return {
            "d_optimizer": serialize(self.d_optimizer),
            "g_optimizer": serialize(self.g_optimizer),
            "feature_layer": self.feature_layer,
            "unsupervised_weight": self.unsupervised_weight,
            **self._semi_supervised_compile_kwargs,
        }

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}

    @property
    def training_steps(self):
        """How many train steps have run (the generator's optimizer's iterations)."""
        return self.g_optimizer.iterations

    # --- Training ---------------------------------------------------------------------

    def _discriminator_step(self, images, labels, logs):
        batch_size = ops.shape(images)[0]
        generated_images = self.generator(
            self.sample_latents(batch_size), training=True
        )
        _, num_replicas = trainer.replica_position()
        player = self.players["discriminator"]
        terms = {}

        def loss():
            # Real and generated images in separate passes (T19).
            real_logits = self.discriminator(images, training=True)
            fake_logits = self.discriminator(generated_images, training=True)
            # Each is this replica's share of the global-batch mean.
            terms.update(
                real_logits=real_logits,
                supervised=supervised_loss(real_logits, labels),
                unsupervised=unsupervised_discriminator_loss(real_logits, fake_logits),
            )
            d_loss = (
                terms["supervised"] + self.unsupervised_weight * terms["unsupervised"]
            )
            # Every replica holds the whole regularization term: one copy in all.
            return d_loss + player.regularization() / num_replicas

        trainer.minimize(player, loss, already_shared=True)
        supervised, unsupervised = trainer.global_sum(
            [
                ops.stop_gradient(terms["supervised"]),
                ops.stop_gradient(terms["unsupervised"]),
            ]
        )
        correct, count = _correct_and_count(terms["real_logits"], labels)
        logs.update(
            supervised_loss=(supervised, 1.0),
            unsupervised_loss=(unsupervised, 1.0),
            d_loss=(supervised + self.unsupervised_weight * unsupervised, 1.0),
            accuracy=(correct / ops.maximum(count, 1.0), count),
        )

    def _generator_step(self, images, logs):
        batch_size = ops.shape(images)[0]
        player = self.players["generator"]

        def loss():
            generated_images = self.generator(
                self.sample_latents(batch_size), training=True
            )
            # The global-batch value on every replica (its means are all-reduced):
            # `minimize` differentiates 1/num_replicas of it on each.
            g_loss = feature_matching_loss(
                self.feature_model(images, training=True),
                self.feature_model(generated_images, training=True),
            )
            logs["g_loss"] = (g_loss, 1.0)
            return g_loss + player.regularization()

        trainer.minimize(player, loss)

    def _results(self):
        return trainer.step_outputs(
            {name: tracker.result() for name, tracker in self._trackers.items()}
        )

    def train_step(self, data):
        images, labels = _split_labelled_batch(data)
        logs = {}
        self._discriminator_step(images, labels, logs)
        self._generator_step(images, logs)
        trainer.update_trackers(self._trackers, logs)
        return self._results()

    def test_step(self, data):
        """The classifier's accuracy (inference mode: no noise) on labelled data."""
        images, labels = _split_labelled_batch(data)
        class_logits = self.discriminator(images, training=False)
        correct, count = _correct_and_count(class_logits, labels)
        self._trackers["accuracy"].update_state(
            correct / ops.maximum(count, 1.0), sample_weight=count
        )
        results = self._results()
        return {"accuracy": results["accuracy"]}


def check_preset(preset):
    """Raises a ValueError for the fields of `preset` that the semi-supervised GAN
    has no option for (`build_semi_supervised_gan` checks this first)."""
    reject_unsupported_fields(
        preset, _UNSUPPORTED_PRESET_FIELDS, "The semi-supervised GAN"
    )


def build_semi_supervised_gan(
    preset, sample_shape, seed=None, d_optimizer=None, g_optimizer=None
):
    """A compiled `SemiSupervisedGAN` for a preset with `labels_per_class > 0`
    (what `keras_gans.presets.build_gan` returns for such a preset).

    The networks are `architectures.semi_supervised`'s: D's hidden layers are the
    paper's 1000-500-250-250-250 scaled by `preset.width / 1000` (`width=1000` is
    the paper's MNIST model), G has the paper's two layers of 500, z has
    `preset.latent_dim` entries, and G matches D's `FEATURE_LAYER`. K is the number
    of classes of the preset's (built-in) dataset.

    Args:
        preset: A `keras_gans.presets.Preset`.
        sample_shape: One image's shape, e.g. `(8, 8, 1)`.
        seed: Seeds the weight initialisers, the noise and the latents.
        d_optimizer, g_optimizer: The optimizers; default the model's.

    Returns:
        A compiled `SemiSupervisedGAN`.
    """
    check_preset(preset)
    if preset.dataset not in data.BUILTIN_DATASETS:
        raise ValueError(
            "The semi-supervised GAN draws its labelled subset from a built-in "
            f"dataset with labels ({', '.join(data.BUILTIN_DATASETS)}). Received: "
            f"`dataset={preset.dataset!r}`."
        )
    _, labels = data.load_arrays(preset.dataset, "train")
    num_classes = len(np.unique(labels))
    hidden_units = tuple(
        max(1, round(units * preset.width / 1000))
        for units in networks.PAPER_DISCRIMINATOR_UNITS
    )
    generator = networks.semi_supervised_generator(
        preset.latent_dim, sample_shape, networks.PAPER_GENERATOR_UNITS, seed=seed
    )
    discriminator = networks.semi_supervised_discriminator(
        sample_shape, num_classes, hidden_units, seed=seed
    )
    gan = SemiSupervisedGAN(
        generator, discriminator, num_classes, latent_dim=preset.latent_dim, seed=seed
    )
    gan.compile(d_optimizer, g_optimizer, feature_layer=networks.FEATURE_LAYER)
    return gan
