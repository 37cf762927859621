"""Improved GAN Table 1: the semi-supervised K+1 GAN with 10 labels per class.

Claim: a discriminator that is also a K-class classifier (the fake class's logit
fixed at 0), trained on a few labels and on the GAN game over every training image
with feature matching for G, classifies far better than the same network trained on
the labels alone; on permutation-invariant MNIST with 100 labels it makes 93 test
errors in 10,000.

Paper: Salimans, Goodfellow, Zaremba, Cheung, Radford and Chen, "Improved
Techniques for Training GANs", NeurIPS 2016, section 5 and Table 1,
https://arxiv.org/abs/1606.03498 . The protocol below is read from the authors'
code (https://github.com/openai/improved-gan, `mnist_svhn_cifar10/
train_mnist_feature_matching.py` and its `nn.py`). It is mapped to scikit-learn's
8x8 digits (1,437 training and 360 held-out test images), so the published row is
on MNIST, a different and larger dataset: it stands beside ours, it is not a
target.

Protocol (their MNIST code; ours where it differs is said):

- **Data.** 10 labels per class: `labelled_subset(train_labels, 10, seed=s)` (they
  take the first 10 of each class after a seeded permutation). The GAN game uses
  every training image. Pixels in [0, 1] (MNIST's range in their `mnist.npz`):
  the digits' 64 pixels, flattened; permutation invariant (an MLP).
- **Discriminator.** Gaussian noise (stddev 0.3) on the input, then dense ReLU
  layers each followed by Gaussian noise (stddev 0.5), then 10 class logits.
  Every dense layer is weight normalised, `W = g · v / ‖v‖` per unit, `v ~ N(0,
  0.1²)`; the scale g is trained in the last layer only (`train_scale=True`);
  the hidden layers' g and every bias come from their data-dependent
  initialisation: one forward pass (noise on) over 500 training images, layer by
  layer, sets `g = 1 / std` and `b = -mean / std` of each unit's pre-activation.
  Their sizes are 1000-500-250-250-250 for 784 pixels; ours are the library's
  digits sizes, `architectures.semi_supervised.DIGITS_DISCRIMINATOR_UNITS`
  (250-125-62-62-62: the same depth and taper for 64 pixels, at a quarter of the
  cost). The noise layers are `architectures.semi_supervised.ReplicaGaussianNoise`;
  Keras 3 has no weight-normalised layer, so the module writes one
  (`WeightNormDense`).
- **Generator.** `architectures.semi_supervised.semi_supervised_generator`: z of
  100 -> 500 -> 500 (dense without bias, batch norm without scale, softplus) ->
  64 pixels, sigmoid. Theirs draws z ~ U[0, 1] and weight-normalises the output
  layer; ours draws z ~ N(0, I) (the GAN's draw) with a plain output layer.
- **Losses.** `models.SemiSupervisedGAN`: D minimises the labelled cross-entropy
  plus w times `softplus(-logsumexp(l(x))) + softplus(logsumexp(l(G(z))))`; their
  `loss_unl` is half of that (a `0.5` on each term) with `unlabeled_weight` 1, so
  w = 0.5. G minimises feature matching: the squared distance between the batch
  means of D's last hidden layer (before its noise, with D's training noise) on
  real and generated images.
- **Batches.** Per step, their D sees 100 labelled images (the 100 labels in a
  new order) and 100 unlabelled ones, and G matches another 100 unlabelled ones.
  Ours: `semi_supervised_dataset(batch_size=200, labelled_batch_size=100)`, 100
  labelled + 100 unlabelled interleaved; D's real GAN term and G's feature
  matching both use all 200 images of the step's batch (theirs: the unlabelled
  images only, and two different unlabelled batches). One epoch is one pass over
  the 1,337 unlabelled images: 13 steps.
- **Optimiser.** Adam, learning rate 0.003, β1 = 0.5, β2 = 0.999, for D and G,
  constant (the MNIST script has no decay). Their Adam adds 1e-8 under the
  square root; Keras's adds ε = 1e-7 outside it.
- **Steps.** 300 epochs: theirs 300 × 600 = 180,000 steps on MNIST, ours 300 × 13
  = 3,900 on the digits.
- **Evaluation.** They test with an average of D's trained weights:
  `avg ← avg + 0.0001 · (w - avg)` after every step, started at 0, so after
  180,000 steps the average spans the last ~10,000 steps (1/18 of training) and
  the zero start has weight e^-18. Ours: the same average with the rate scaled
  to the steps, `rate = 0.0001 · 180,000 / steps` (0.0046 at 3,900 steps), and
  the test accuracy of D (inference mode: no noise) with the averaged weights
  after the last step, measured by `SemiSupervisedGAN.evaluate`. No early
  stopping, no model selection on the test digits. The accuracy of the last
  weights (not averaged) is recorded too.
- **Labels only.** The same D with the same initial weights (after the same
  data-dependent initialisation) trained on the cross-entropy of the labelled
  halves of the same batches alone: same Adam, same steps, same weight average,
  same evaluation.
- **Graph-based baselines.** scikit-learn's `LabelSpreading` and
  `LabelPropagation` with the rbf and knn kernels, fitted on the 1,437 training
  digits (the 100 labels, the rest unlabelled) and predicting the test digits
  (inductively: the test digits are not in the graph). Each chooses its
  hyperparameters by 5-fold stratified cross-validation on the 100 labelled
  examples only (each fold's labelled examples taken out of the graph and
  predicted like the test digits from a fit on the other training digits; ties
  to the first in the grid): the rbf
  γ over (0.25, 0.5, 1, 2, 4, 8) / median squared distance between training
  digits, the knn k over (3, 5, 7, 10, 15, 20), and for `LabelSpreading` α over
  (0.1, 0.2, 0.5, 0.8); other arguments are scikit-learn's defaults. The
  strongest of the four by mean test accuracy over seeds is the graph baseline
  of the summary (a choice on the test digits, which favours the baseline).
- **Trials.** The paper averages 10 seeds per setting (mean ± standard
  deviation); ours 5 by default: seed s picks the labelled subset and seeds the
  initialisation, the noise, the latents and the batch order.

`budget()` is the mapped budget; `--steps` trains fewer or more steps (the
averaging rate follows), and the test accuracy is also measured every
`eval_every` steps for the curve (a curve, never a choice of step).
"""

import math
import os
import warnings

import numpy as np

from keras_gans._checks import check_positive_integer
from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
    summary_statistics,
)

__all__ = [
    "DEFAULT_SEEDS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "TITLE",
    "budget",
    "build_discriminator",
    "build_generator",
    "graph_baseline",
    "load_digits_pixels",
    "markdown",
    "paper_budget",
    "run_seed",
    "summarise",
    "write_figures",
]

NAME = "ssl-table1"
TITLE = "Improved GAN Table 1: semi-supervised digits, 10 labels per class"
REFERENCE = "Salimans et al. 2016, https://arxiv.org/abs/1606.03498 (Table 1)"
DEFAULT_SEEDS = 5  # the paper averages 10 seeds; 5 fit the CPU budget
PAPER_SEEDS = 10

LABELS_PER_CLASS = 10  # --count 10 in their script: 100 labels
NUM_CLASSES = 10
LABELLED_BATCH_SIZE = 100  # their --batch_size, labelled part
UNLABELLED_BATCH_SIZE = 100  # their --batch_size, unlabelled part
EPOCHS = 300  # their training loop
PAPER_STEPS_PER_EPOCH = 60_000 // 100  # MNIST train + valid at 100 per step
PAPER_STEPS = EPOCHS * PAPER_STEPS_PER_EPOCH  # 180,000
PAPER_TEST_IMAGES = 10_000
LATENT_DIM = 100
LEARNING_RATE = 3e-3  # lr, constant
BETA_1 = 0.5  # mom1
BETA_2 = 0.999  # mom2
UNSUPERVISED_WEIGHT = 0.5  # their loss_unl is 0.5 x ours, unlabeled_weight 1
INPUT_NOISE_STDDEV = 0.3
HIDDEN_NOISE_STDDEV = 0.5
DIRECTION_STDDEV = 0.1  # theta ~ N(0, 0.1²) of their weight-normalised layer
INIT_IMAGES = 500  # init_param(trainx[:500])
PAPER_AVERAGING_RATE = 1e-4  # avg <- avg + 0.0001 * (param - avg) every step
CV_FOLDS = 5
RBF_GAMMA_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # x 1 / median squared distance
KNN_NEIGHBOURS = (3, 5, 7, 10, 15, 20)
SPREADING_ALPHAS = (0.1, 0.2, 0.5, 0.8)
DEFAULT_EVALUATIONS = 13  # points of the curve per run when eval_every is not given
QUICK_STEPS = 4
QUICK_EVAL_EVERY = 2
EVALUATION_BATCH_SIZE = 360

GAN = "GAN"
LABELS_ONLY = "labels only"
GRAPH_BASELINE = "graph baseline"
GRAPH_METHODS = (
    "LabelSpreading rbf",
    "LabelSpreading knn",
    "LabelPropagation rbf",
    "LabelPropagation knn",
)

# Table 1 as published: test errors of 10,000 on permutation-invariant MNIST
# (mean ± standard deviation over 10 seeds), the "Our model" row, 100 labels; the
# ensemble of 10 models and the other label counts are not reproduced.
PUBLISHED = {
    "source": (
        "Salimans et al. 2016, Table 1: permutation-invariant MNIST (not the "
        "digits), 100 labelled examples, test errors of 10,000, mean ± standard "
        "deviation over 10 seeds"
    ),
    "dataset": "MNIST",
    "spread": "standard deviation",
    "rows": {GAN: {"test_errors": [93, 6.5], "test_images": PAPER_TEST_IMAGES}},
}


def averaging_rate(steps):
    """The weight-averaging rate for `steps` steps: their 0.0001 at 180,000 steps,
    scaled so that `rate · steps` stays 18 (at most 1: the last weights)."""
    return min(1.0, PAPER_AVERAGING_RATE * PAPER_STEPS / steps)


def paper_budget():
    """Their MNIST budget: 300 epochs of 600 steps, 100 + 100 images a step."""
    return {
        "steps": PAPER_STEPS,
        "epochs": EPOCHS,
        "labelled_batch_size": LABELLED_BATCH_SIZE,
        "unlabelled_batch_size": UNLABELLED_BATCH_SIZE,
        "labels_per_class": LABELS_PER_CLASS,
        "averaging_rate": PAPER_AVERAGING_RATE,
        "discriminator_units": [1000, 500, 250, 250, 250],
        "test_images": PAPER_TEST_IMAGES,
        "seeds": PAPER_SEEDS,
    }


def _steps_per_epoch():
    from keras_gans import data

    _, labels = data.load_arrays("digits", "train")
    unlabelled = len(labels) - LABELS_PER_CLASS * NUM_CLASSES
    return unlabelled // UNLABELLED_BATCH_SIZE


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: `QUICK_STEPS` steps evaluated every `QUICK_EVAL_EVERY`, and one
            hyperparameter per graph method with 2 folds (seconds in all; what the
            tests run).
        steps: Training steps per run instead (default: 300 epochs of the
            digits, 3,900 steps).
        eval_every: Measure the test accuracy every this many steps; it must
            divide `steps` (default: about `DEFAULT_EVALUATIONS` points per run).

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an `eval_every`
            that does not divide `steps`.
    """
    from keras_gans.architectures import semi_supervised

    steps_per_epoch = _steps_per_epoch()
    steps, eval_every = step_schedule(
        steps,
        eval_every,
        EPOCHS * steps_per_epoch,
        quick,
        QUICK_STEPS,
        QUICK_EVAL_EVERY,
        DEFAULT_EVALUATIONS,
    )
    return {
        "steps": steps,
        "epochs": steps / steps_per_epoch,
        "steps_per_epoch": steps_per_epoch,
        "eval_every": eval_every,
        "labelled_batch_size": LABELLED_BATCH_SIZE,
        "unlabelled_batch_size": UNLABELLED_BATCH_SIZE,
        "labels_per_class": LABELS_PER_CLASS,
        "averaging_rate": averaging_rate(steps),
        "discriminator_units": list(semi_supervised.DIGITS_DISCRIMINATOR_UNITS),
        "test_images": len(load_digits_pixels("test")[1]),
        "cv_folds": 2 if quick else CV_FOLDS,
        "rbf_gamma_factors": list(
            RBF_GAMMA_FACTORS[2:3] if quick else RBF_GAMMA_FACTORS
        ),
        "knn_neighbours": list(KNN_NEIGHBOURS[3:4] if quick else KNN_NEIGHBOURS),
        "spreading_alphas": list(SPREADING_ALPHAS[1:2] if quick else SPREADING_ALPHAS),
        "fraction_of_paper_steps": steps / PAPER_STEPS,
    }


def load_digits_pixels(split):
    """The digits `split` as `(pixels [n, 64] float32 in [0, 1], labels [n])`."""
    from keras_gans import data

    images, labels = data.load_arrays("digits", split)
    pixels = (images.reshape(len(images), -1).astype("float32") + 1.0) / 2.0
    return pixels, labels


def _weight_norm_dense_class():
    import keras
    from keras import ops

    class WeightNormDense(keras.layers.Layer):
        """A dense layer with weight normalisation, `W = g · v / ‖v‖` per unit.

        Salimans and Kingma's reparameterisation as the improved-GAN code's
        `nn.DenseLayer` writes it: the direction `v ~ N(0, 0.1²)` is trained, the
        scale `g` only with `train_scale` (else it keeps its data-dependent
        value), the bias always. `initialise(inputs)` is the data-dependent
        initialisation: `g = 1 / std` and `b = -mean / std` of each unit's
        pre-activation on `inputs`.

        Args:
            units: Output units.
            activation: "relu" or None.
            train_scale: Whether `g` is trained.
            seed: Seed of the direction's initialiser.
        """

        def __init__(
            self, units, activation=None, train_scale=False, seed=None, **kwargs
        ):
            super().__init__(**kwargs)
            self.units = check_positive_integer(units, "units")
            self.activation = keras.activations.get(activation)
            self.train_scale = bool(train_scale)
            self.seed = seed

        def build(self, input_shape):
            self.direction = self.add_weight(
                shape=(input_shape[-1], self.units),
                initializer=keras.initializers.RandomNormal(
                    stddev=DIRECTION_STDDEV, seed=self.seed
                ),
                name="direction",
            )
            self.scale = self.add_weight(
                shape=(self.units,),
                initializer="ones",
                trainable=self.train_scale,
                name="scale",
            )
            self.bias = self.add_weight(
                shape=(self.units,), initializer="zeros", name="bias"
            )

        def _unit_directions(self):
            norms = ops.sqrt(ops.sum(ops.square(self.direction), axis=0))  # [units]
            return self.direction / norms

        def call(self, inputs):
            kernel = self._unit_directions() * self.scale  # [inputs, units]
            return self.activation(ops.matmul(inputs, kernel) + self.bias)

        def initialise(self, inputs):
            activations = ops.matmul(inputs, self._unit_directions())  # [n, units]
            mean = ops.mean(activations, axis=0)
            std = ops.sqrt(ops.mean(ops.square(activations - mean), axis=0))
            self.scale.assign(1.0 / std)
            self.bias.assign(-mean / std)

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], self.units)

        def get_config(self):
            return {
                **super().get_config(),
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "train_scale": self.train_scale,
                "seed": self.seed,
            }

    return WeightNormDense


def build_discriminator(seed=None):
    """Their MNIST D on the digits: noise 0.3 -> [weight-normalised dense ReLU ->
    noise 0.5] x 5 (`DIGITS_DISCRIMINATOR_UNITS`) -> weight-normalised dense 10
    logits with a trained scale. The last hidden layer is `FEATURE_LAYER`. Call
    `initialise_discriminator` before training."""
    import keras

    from keras_gans.architectures import semi_supervised as networks

    weight_norm_dense = _weight_norm_dense_class()
    hidden_units = networks.DIGITS_DISCRIMINATOR_UNITS

    def layer_seed(index):
        return None if seed is None else seed + index

    pixels = keras.Input((64,), name="pixels")
    x = networks.ReplicaGaussianNoise(
        INPUT_NOISE_STDDEV, seed=layer_seed(0), name="input_noise"
    )(pixels)
    for index, units in enumerate(hidden_units, start=1):
        is_last = index == len(hidden_units)
        x = weight_norm_dense(
            units,
            "relu",
            seed=layer_seed(index),
            name=networks.FEATURE_LAYER if is_last else f"hidden_{index}",
        )(x)
        x = networks.ReplicaGaussianNoise(
            HIDDEN_NOISE_STDDEV, seed=layer_seed(index), name=f"noise_{index}"
        )(x)
    logits = weight_norm_dense(
        NUM_CLASSES,
        None,
        train_scale=True,
        seed=layer_seed(len(hidden_units) + 1),
        name="class_logits",
    )(x)  # [batch, 10]
    return keras.Model(pixels, logits, name="discriminator")


def initialise_discriminator(discriminator, images):
    """Their data-dependent initialisation: layer by layer from the input, each
    weight-normalised layer's g and b from its pre-activations on `images`
    (noise on, as their init pass)."""
    import keras

    for layer in discriminator.layers:
        if hasattr(layer, "initialise"):
            upstream = keras.Model(discriminator.input, layer.input)
            layer.initialise(upstream(images, training=True))


def build_generator(seed=None):
    """The paper's MNIST G for 64 pixels in [0, 1]: z (100) -> 500 -> 500 -> 64,
    sigmoid (`semi_supervised_generator`)."""
    from keras_gans.architectures import semi_supervised as networks

    return networks.semi_supervised_generator(
        LATENT_DIM,
        (64,),
        networks.PAPER_GENERATOR_UNITS,
        output_activation="sigmoid",
        seed=seed,
    )


def _adam():
    import keras

    return keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1, beta_2=BETA_2)


class _WeightAverage:
    """The average of a model's trainable weights, `avg ← avg + rate · (w - avg)`
    after every step, started at 0 (their `disc_param_avg`)."""

    def __init__(self, model, rate):
        import keras
        import tensorflow as tf

        self.variables = list(model.trainable_variables)
        self.averages = [
            keras.Variable(np.zeros(v.shape, "float32"), trainable=False)
            for v in self.variables
        ]
        self.rate = float(rate)

        @tf.function
        def update():
            for average, variable in zip(self.averages, self.variables, strict=True):
                average.assign_add(self.rate * (variable - average))

        self.update = update

    def swap(self):
        """Exchanges the model's weights and the averages (call twice to undo)."""
        for average, variable in zip(self.averages, self.variables, strict=True):
            current = variable.numpy()
            variable.assign(average.numpy())
            average.assign(current)


def _accuracy(logits, labels):
    return float(np.mean(np.argmax(logits, axis=-1) == labels))


def _train_networks(seed, budget, report):
    """Trains the GAN and the labels-only D of `seed`; returns their results and
    the test logits of their averaged weights."""
    import keras
    import tensorflow as tf

    from keras_gans.architectures import semi_supervised as networks
    from keras_gans.data.labelled_subset import semi_supervised_dataset
    from keras_gans.models import SemiSupervisedGAN

    keras.utils.set_random_seed(seed)
    train_pixels, train_labels = load_digits_pixels("train")
    dataset = semi_supervised_dataset(
        train_pixels,
        train_labels,
        budget["labels_per_class"],
        budget["labelled_batch_size"] + budget["unlabelled_batch_size"],
        seed=seed,
        labelled_batch_size=budget["labelled_batch_size"],
    ).repeat()
    init_images = train_pixels[
        np.random.default_rng(seed).permutation(len(train_pixels))[:INIT_IMAGES]
    ]
    discriminator = build_discriminator(seed)
    initialise_discriminator(discriminator, init_images)
    labels_only = build_discriminator(seed)
    labels_only.set_weights(discriminator.get_weights())  # the same initial D

    gan = SemiSupervisedGAN(
        build_generator(seed), discriminator, NUM_CLASSES, seed=seed
    )
    gan.compile(
        _adam(),
        _adam(),
        feature_layer=networks.FEATURE_LAYER,
        unsupervised_weight=UNSUPERVISED_WEIGHT,
    )
    labels_only.compile(
        optimizer=_adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    labelled_halves = dataset.map(
        lambda images, labels: (
            tf.boolean_mask(images, labels >= 0),
            tf.boolean_mask(labels, labels >= 0),
        )
    )

    return {
        GAN: _fit_and_test(GAN, discriminator, gan, dataset, budget, report),
        LABELS_ONLY: _fit_and_test(
            LABELS_ONLY, labels_only, labels_only, labelled_halves, budget, report
        ),
    }


def _fit_and_test(method, model, fit_model, pipeline, budget, report):
    """Fits `fit_model` (whose classifier is `model`) for the budget's steps,
    averaging `model`'s weights and measuring the test accuracy every
    `eval_every` steps; then the test accuracy of the averaged weights by
    `fit_model.evaluate`, and their test logits."""
    import keras

    test_pixels, test_labels = load_digits_pixels("test")
    average = _WeightAverage(model, budget["averaging_rate"])
    curve = []

    class Evaluate(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            average.update()

        def on_epoch_end(self, epoch, logs=None):
            step = (epoch + 1) * budget["eval_every"]
            last = _accuracy(model(test_pixels, training=False), test_labels)
            average.swap()
            averaged = _accuracy(model(test_pixels, training=False), test_labels)
            average.swap()
            point = {"step": step, "accuracy": averaged, "last_accuracy": last}
            curve.append(point)
            report(method, step, point)

    fit_model.fit(
        pipeline,
        epochs=budget["steps"] // budget["eval_every"],
        steps_per_epoch=budget["eval_every"],
        callbacks=[Evaluate()],
        verbose=0,
        shuffle=False,
    )
    last_accuracy = _accuracy(model(test_pixels, training=False), test_labels)
    average.swap()  # evaluate and predict with the averaged weights
    accuracy = fit_model.evaluate(
        test_pixels,
        test_labels,
        batch_size=EVALUATION_BATCH_SIZE,
        verbose=0,
        return_dict=True,
    )["accuracy"]
    logits = model.predict(test_pixels, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    return {
        "accuracy": float(accuracy),
        "test_errors": int(np.sum(np.argmax(logits, axis=-1) != test_labels)),
        "last_accuracy": last_accuracy,
        "curve": curve,
        "logits": logits.astype("float32"),
    }


def _median_squared_distance(pixels):
    from sklearn.metrics import pairwise_distances

    distances = pairwise_distances(pixels, metric="sqeuclidean")
    return float(np.median(distances[np.triu_indices(len(pixels), k=1)]))


def _graph_grid(method, budget, median_squared_distance):
    """Every hyperparameter setting of `method` in the budget's grid, in order."""
    estimator, kernel = method.split()
    if kernel == "rbf":
        kernel_settings = [
            {"kernel": "rbf", "gamma": factor / median_squared_distance}
            for factor in budget["rbf_gamma_factors"]
        ]
    else:
        kernel_settings = [
            {"kernel": "knn", "n_neighbors": k} for k in budget["knn_neighbours"]
        ]
    if estimator == "LabelSpreading":
        return [
            {**setting, "alpha": alpha}
            for setting in kernel_settings
            for alpha in budget["spreading_alphas"]
        ]
    return kernel_settings


def make_graph_model(method, parameters):
    """The scikit-learn estimator of `method` ("LabelSpreading rbf", ...) with
    `parameters`."""
    from sklearn import semi_supervised

    estimator = method.split()[0]
    return getattr(semi_supervised, estimator)(**parameters)


def fit_graph_model(method, parameters, pixels, labels):
    """Fits `method` on `pixels` with `labels` (-1 = unlabelled), quietly: a
    propagation that does not converge or a kernel that underflows still gives
    an answer, and cross-validation judges it."""
    from sklearn.exceptions import ConvergenceWarning

    model = make_graph_model(method, parameters)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model.fit(pixels, labels)
    return model


def _predict(model, pixels):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return model.predict(pixels)


def graph_baseline(method, seed, budget):
    """`method` on the split of `seed`: its hyperparameters by cross-validation on
    the 100 labelled training digits, then fitted with all of them.

    Returns:
        `(record, predictions)`: the chosen parameters, the cross-validated and
        the test accuracy, and the predicted test labels.
    """
    from sklearn.model_selection import StratifiedKFold

    from keras_gans.data.labelled_subset import labelled_subset

    train_pixels, train_labels = load_digits_pixels("train")
    test_pixels, test_labels = load_digits_pixels("test")
    labelled, _ = labelled_subset(train_labels, budget["labels_per_class"], seed)
    median = _median_squared_distance(train_pixels)
    folds = StratifiedKFold(budget["cv_folds"], shuffle=True, random_state=seed)
    best_parameters, best_score = None, -1.0
    for parameters in _graph_grid(method, budget, median):
        scores = []
        for kept, hidden in folds.split(labelled, train_labels[labelled]):
            # The fold's hidden examples leave the graph and are predicted like the
            # test digits: inductively, from the others.
            in_graph = np.ones(len(train_labels), dtype=bool)
            in_graph[labelled[hidden]] = False
            targets = np.full(len(train_labels), -1)
            targets[labelled[kept]] = train_labels[labelled[kept]]
            model = fit_graph_model(
                method, parameters, train_pixels[in_graph], targets[in_graph]
            )
            predicted = _predict(model, train_pixels[labelled[hidden]])
            scores.append(np.mean(predicted == train_labels[labelled[hidden]]))
        if np.mean(scores) > best_score:
            best_parameters, best_score = parameters, float(np.mean(scores))
    targets = np.full(len(train_labels), -1)
    targets[labelled] = train_labels[labelled]
    model = fit_graph_model(method, best_parameters, train_pixels, targets)
    predictions = _predict(model, test_pixels).astype("int64")
    return {
        "method": method,
        "parameters": best_parameters,
        "cv_accuracy": best_score,
        "accuracy": float(np.mean(predictions == test_labels)),
        "test_errors": int(np.sum(predictions != test_labels)),
    }, predictions


def predictions_file(seed):
    """Where a seed's test predictions are saved, relative to the folder."""
    return os.path.join("predictions", f"seed{seed}.npz")


def run_seed(seed, budget, folder, progress):
    """Trains the GAN and the labels-only D from `seed`, fits the four graph
    baselines, and saves the test logits and predictions as
    `predictions/seed<s>.npz` under `folder` (`labels`, `gan_logits`,
    `labels_only_logits`, and one array per graph method).

    Returns:
        `{"seed", "runs", "graph", "predictions"}`: the GAN's and the labels-only
        D's accuracy (averaged weights), test errors, last-weights accuracy and
        curve; each graph method's chosen parameters and accuracies.
    """

    def report(method, step, point):
        progress(
            f"{method} step {step}/{budget['steps']}: test accuracy "
            f"{100 * point['accuracy']:.1f}% (averaged weights), "
            f"{100 * point['last_accuracy']:.1f}% (last)"
        )

    networks = _train_networks(seed, budget, report)
    arrays = {"labels": load_digits_pixels("test")[1].astype("int64")}
    runs = []
    for method, key in ((GAN, "gan_logits"), (LABELS_ONLY, "labels_only_logits")):
        result = networks[method]
        arrays[key] = result.pop("logits")
        runs.append({"method": method, **result})
    graph = []
    for index, method in enumerate(GRAPH_METHODS):
        progress(f"{method} ({index + 1}/{len(GRAPH_METHODS)}): cross-validation")
        record, predictions = graph_baseline(method, seed, budget)
        arrays[_graph_key(method)] = predictions
        graph.append(record)
    path = predictions_file(seed)
    os.makedirs(os.path.join(folder, "predictions"), exist_ok=True)
    np.savez_compressed(os.path.join(folder, path), **arrays)
    return {"seed": seed, "runs": runs, "graph": graph, "predictions": path}


def _graph_key(method):
    return method.lower().replace(" ", "_")


def summarise(seed_results):
    """`{method: {accuracy, test_errors, last_accuracy}}` statistics over seeds
    (accuracy in %) for the GAN, the labels-only D and every graph method, and
    `graph baseline`: the graph method of the best mean accuracy."""
    per_method = {}
    for record in seed_results:
        for run in record["runs"] + record["graph"]:
            entry = per_method.setdefault(
                run["method"], {"accuracy": [], "test_errors": []}
            )
            entry["accuracy"].append(100 * run["accuracy"])
            entry["test_errors"].append(run["test_errors"])
            if "last_accuracy" in run:
                entry.setdefault("last_accuracy", []).append(100 * run["last_accuracy"])
    summary = {
        method: {key: summary_statistics(values) for key, values in entry.items()}
        for method, entry in per_method.items()
    }
    best = max(GRAPH_METHODS, key=lambda m: summary[m]["accuracy"]["mean"])
    summary[GRAPH_BASELINE] = {**summary[best], "method": best}
    return summary


def _mean_std(statistics, digits=1, suffix="%"):
    return f"{statistics['mean']:.{digits}f} ± {statistics['std']:.{digits}f}{suffix}"


def table(results):
    """The Markdown table: the published MNIST row, then ours on the digits."""
    summary = results["summary"]
    test_images = results["budget"]["test_images"]
    published = results["published"]["rows"][GAN]
    errors, spread = published["test_errors"]
    images = published["test_images"]
    best = summary[GRAPH_BASELINE]["method"]
    lines = [
        "| method | data | test accuracy | test errors | error rate |",
        "|---|---|---:|---:|---:|",
        f"| *K+1 GAN, feature matching, published* | *MNIST, 100 labels* | "
        f"*{100 * (1 - errors / images):.2f}%* | *{errors} ± {spread} of "
        f"{images:,}* | *{100 * errors / images:.2f}%* |",
    ]
    for label, method in (
        ("**K+1 GAN, feature matching, ours**", GAN),
        ("same D, labels only", LABELS_ONLY),
        (f"graph baseline: {best}", GRAPH_BASELINE),
    ):
        statistics = summary[method]
        errors_mean = statistics["test_errors"]["mean"]
        lines.append(
            f"| {label} | digits, 100 labels | {_mean_std(statistics['accuracy'])} | "
            f"{_mean_std(statistics['test_errors'], 1, '')} of {test_images} | "
            f"{100 * errors_mean / test_images:.2f}% |"
        )
    return "\n".join(lines) + "\n"


def seed_table(results):
    """Every seed's test accuracy (%) for the three methods and each graph
    method."""
    header = ["seed", GAN, LABELS_ONLY, *GRAPH_METHODS]
    lines = [
        "| " + " | ".join(header) + " |",
        "|---:|" + "---:|" * (len(header) - 1),
    ]
    for record in results["seeds"]:
        accuracies = {
            run["method"]: run["accuracy"] for run in record["runs"] + record["graph"]
        }
        lines.append(
            f"| {record['seed']} |"
            + "".join(f" {100 * accuracies[m]:.1f} |" for m in header[1:])
        )
    summary = results["summary"]
    lines.append(
        "| mean ± std |"
        + "".join(f" {_mean_std(summary[m]['accuracy'], 1, '')} |" for m in header[1:])
    )
    return "\n".join(lines) + "\n"


def graph_parameters_table(results):
    """The hyperparameters cross-validation chose, per seed and graph method."""
    lines = ["| seed | method | chosen by 5-fold CV | CV accuracy | test accuracy |"]
    lines[0] = lines[0].replace("5-fold", f"{results['budget']['cv_folds']}-fold")
    lines.append("|---:|---|---|---:|---:|")
    for record in results["seeds"]:
        for graph in record["graph"]:
            parameters = ", ".join(
                f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                for key, value in graph["parameters"].items()
            )
            lines.append(
                f"| {record['seed']} | {graph['method']} | {parameters} | "
                f"{100 * graph['cv_accuracy']:.1f}% | {100 * graph['accuracy']:.1f}% |"
            )
    return "\n".join(lines) + "\n"


def curve_table(results, points=5):
    """Mean test accuracy (averaged weights) over seeds at up to `points` steps."""
    curves = {}
    for record in results["seeds"]:
        for run in record["runs"]:
            curves.setdefault(run["method"], []).append(run["curve"])
    steps = [point["step"] for point in curves[GAN][0]]
    chosen = sorted({steps[round(i)] for i in np.linspace(0, len(steps) - 1, points)})
    lines = [
        "| step |" + "".join(f" {step:,} |" for step in chosen),
        "|---|" + "---:|" * len(chosen),
    ]
    for method, runs in curves.items():
        cells = []
        for step in chosen:
            index = steps.index(step)
            cells.append(
                f" {np.mean([100 * run[index]['accuracy'] for run in runs]):.1f}% |"
            )
        lines.append(f"| {method} |" + "".join(cells))
    return "\n".join(lines) + "\n"


def _verdict(results):
    summary = results["summary"]
    gan = summary[GAN]["accuracy"]
    baseline = summary[GRAPH_BASELINE]
    wins = sum(
        next(r for r in record["runs"] if r["method"] == GAN)["accuracy"]
        > next(g for g in record["graph"] if g["method"] == baseline["method"])[
            "accuracy"
        ]
        for record in results["seeds"]
    )
    difference = gan["mean"] - baseline["accuracy"]["mean"]
    comparison = "beats" if difference > 0 else "does not beat"
    return (
        f"The GAN {comparison} the strongest graph baseline ({baseline['method']}): "
        f"{difference:+.1f} points on the mean, higher on {wins} of "
        f"{len(results['seeds'])} seeds; against the same D trained on the labels "
        f"alone: {gan['mean'] - summary[LABELS_ONLY]['accuracy']['mean']:+.1f} "
        "points."
    )


def markdown(results):
    """`results.md`: the protocol in brief, the tables, the curve, the run's
    command, wall time and versions."""
    budget = results["budget"]
    units = "-".join(str(u) for u in budget["discriminator_units"])
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of `keras_gans.reproductions.ssl_table1` "
        "has it in full, and how it maps the authors' MNIST code): scikit-learn's "
        "digits, 10 labels per class drawn by the seed from the 1,437 training "
        "digits, accuracy on the 360 held-out digits. K+1 GAN "
        "(`SemiSupervisedGAN`): D a weight-normalised MLP on the 64 pixels in "
        f"[0, 1], {units}, Gaussian noise 0.3 on the input and 0.5 after each "
        "layer, data-dependent initialisation; G 500-500 softplus + batch norm, "
        "sigmoid; feature matching on D's last hidden layer; unsupervised weight "
        f"0.5; Adam(3e-3, β1 0.5); {budget['labelled_batch_size']} labelled + "
        f"{budget['unlabelled_batch_size']} unlabelled images a step; tested with "
        f"the running average of D's weights (rate {budget['averaging_rate']:.3g}) "
        "after the last step. Labels only: the same D, same initial weights, "
        "optimiser, steps and average, on the labelled images alone. Graph "
        "baselines: scikit-learn's LabelSpreading and LabelPropagation (rbf, knn), "
        "hyperparameters by cross-validation on the 100 labels only.\n",
        f"Budget: **{budget['steps']:,} steps ({budget['epochs']:.4g} epochs of the "
        f"unlabelled digits), the paper's 300 epochs = "
        f"{results['paper_budget']['steps']:,} steps on MNIST**; "
        f"{seeds_text(results['num_seeds'])} (the paper: "
        f"{results['paper_budget']['seeds']})."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        "Ours: mean ± standard deviation over seeds. Published (italics): Table 1's "
        '"Our model" row at 100 labels, on permutation-invariant **MNIST** (a '
        "different, larger dataset: 60,000 training and 10,000 test images of "
        "28×28), mean ± standard deviation over 10 seeds; it is not comparable "
        "number for number.\n",
        table(results),
        _verdict(results) + "\n",
        "Test accuracy (%) per seed (GAN and labels only with averaged weights):\n",
        seed_table(results),
        "The graph baselines' hyperparameters, chosen by cross-validation on the "
        "labelled training digits (never on the test digits):\n",
        graph_parameters_table(results),
        f"Test accuracy (averaged weights, mean over seeds) during training, "
        f"measured every {budget['eval_every']:,} steps (a curve, not a choice of "
        "step; figure `curves.png`):\n",
        curve_table(results),
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """`accuracy_per_seed.png` (each seed's test accuracy for the GAN, the
    labels-only D and the graph baseline) and `curves.png` (test accuracy of the
    averaged and the last weights against steps, mean over seeds with the range).

    Returns:
        The figure paths relative to `folder`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    summary = results["summary"]
    best = summary[GRAPH_BASELINE]["method"]
    seeds = [record["seed"] for record in results["seeds"]]
    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    width = 0.27
    for index, (label, method) in enumerate(
        ((GAN, GAN), (LABELS_ONLY, LABELS_ONLY), (f"graph: {best}", best))
    ):
        values = [
            100
            * next(
                run
                for run in record["runs"] + record["graph"]
                if run["method"] == method
            )["accuracy"]
            for record in results["seeds"]
        ]
        positions = np.arange(len(seeds)) + (index - 1) * width
        ax.bar(positions, values, width, label=label, color=f"C{index}")
        ax.axhline(
            summary[method]["accuracy"]["mean"],
            color=f"C{index}",
            linestyle=":",
            linewidth=1,
        )
    ax.set_xticks(np.arange(len(seeds)), [str(seed) for seed in seeds])
    ax.set_xlabel("seed")
    ax.set_ylabel("test accuracy (%), 360 digits")
    low = min(
        100 * run["accuracy"]
        for record in results["seeds"]
        for run in record["runs"] + record["graph"]
    )
    ax.set_ylim(max(0, math.floor(low) - 5), 100)
    ax.legend(fontsize="small", loc="lower right")
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(
        f"Digits, 10 labels per class (dotted: mean over {seeds_text(len(seeds))})",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "accuracy_per_seed.png"), dpi=100)

    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    for index, method in enumerate((GAN, LABELS_ONLY)):
        curves = [
            next(run for run in record["runs"] if run["method"] == method)["curve"]
            for record in results["seeds"]
        ]
        steps = [point["step"] for point in curves[0]]
        for key, style, suffix in (
            ("accuracy", "-", "averaged weights"),
            ("last_accuracy", "--", "last weights"),
        ):
            values = 100 * np.array(
                [[point[key] for point in curve] for curve in curves]
            )  # [seeds, evaluations]
            ax.plot(
                steps,
                values.mean(axis=0),
                style,
                color=f"C{index}",
                label=f"{method}, {suffix}",
            )
            if len(curves) > 1 and key == "accuracy":
                ax.fill_between(
                    steps,
                    values.min(axis=0),
                    values.max(axis=0),
                    color=f"C{index}",
                    alpha=0.15,
                )
    ax.axhline(
        summary[GRAPH_BASELINE]["accuracy"]["mean"],
        color="C2",
        linestyle=":",
        label=f"graph: {best} (mean)",
    )
    ax.set_xlabel("training step")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title(
        f"Test accuracy during training (mean over {seeds_text(len(seeds))}, "
        "band: range)",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "curves.png"), dpi=100)
    return ["accuracy_per_seed.png", "curves.png"]
