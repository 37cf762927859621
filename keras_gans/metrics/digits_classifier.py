"""The offline digits classifier: a feature extractor for metrics on `digits` (M7).

FID, KID, Inception Score and mode coverage need a classifier of the data. For
ImageNet-like images that is InceptionV3; for the 8x8 `digits` of
`keras_gans.data` it is this small CNN, trained by the project and shipped with the
package (`assets/digits_classifier.weights.h5`, about 200 KB), so every metric works
on `digits` with no network.

Architecture (inputs `[n, 8, 8, 1]` in [-1, 1], as `keras_gans.data` gives them):

    conv 3x3, 32, ReLU -> conv 3x3, 32, ReLU -> max-pool 2x2   # [n, 4, 4, 32]
    -> flatten -> dropout 0.3 -> dense 64, ReLU ("features")   # [n, 64]
    -> dense 10 ("logits")                                     # [n, 10]

The 64-d output of the layer named "features" is the representation FID and KID
are computed on (the role of InceptionV3's 2048-d pool features); the logits feed the
Inception Score and the digits mode coverage.

Training protocol (reproducible): the digits TRAIN split only (1,437 images; the
360-image TEST split is never seen), Adam with learning rate 1e-3, batch size 32,
`TRAINING_EPOCHS` epochs, sparse categorical cross-entropy on the logits, Glorot
uniform initialisers seeded from `seed`, `keras.utils.set_random_seed(seed)` and, on
the TensorFlow backend, `tf.config.experimental.enable_op_determinism()`. Recreate
the shipped weights with

    python -m keras_gans.metrics.digits_classifier

which prints the test accuracy. Numbers computed with these features are only
comparable with numbers computed with the same weights: report "digits classifier
features" next to every FID/KID on digits (as papers report "InceptionV3 pool3").

References: FID on a domain classifier's features instead of InceptionV3 follows
the MNIST practice of e.g. Lucic et al. 2018, "Are GANs Created Equal?",
https://arxiv.org/abs/1711.10337; the digits are the UCI optical recognition set
(Alpaydin & Kaynak 1998) shipped with scikit-learn.
"""

import os

import keras
import numpy as np

__all__ = [
    "DIGITS_CLASSIFIER_WEIGHTS",
    "DigitsFeatures",
    "build_digits_classifier",
    "digits_test_accuracy",
    "load_digits_classifier",
    "train_digits_classifier",
]

DIGITS_CLASSIFIER_WEIGHTS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "assets",
    "digits_classifier.weights.h5",
)
RETRAIN_COMMAND = "python -m keras_gans.metrics.digits_classifier"
IMAGE_SHAPE = (8, 8, 1)
NUM_CLASSES = 10
FEATURE_LAYER_NAME = "features"
FEATURE_DIMENSION = 64  # width of the "features" layer
TRAINING_EPOCHS = 60  # enough for the training loss to flatten on 1,437 images
TRAINING_BATCH_SIZE = 32
LEARNING_RATE = 1e-3
DROPOUT_RATE = 0.3  # between flatten and "features"; regularises 1,437 images
PREDICT_BATCH_SIZE = 1024  # images per forward pass in `features` / `logits`
VALUE_TOLERANCE = 1e-5  # pixel values may exceed [-1, 1] by float rounding only


def build_digits_classifier(seed=0):
    """The untrained digits CNN: `[n, 8, 8, 1]` images in [-1, 1] to `[n, 10]` logits.

    Args:
        seed: Integer seed of the Glorot uniform initialisers and of the dropout, so
            the same seed builds the same weights.

    Returns:
        A functional `keras.Model` named "digits_classifier" with a penultimate
        layer named "features" (`[n, 64]`) and raw logits as output.

    Example:

    >>> model = build_digits_classifier(seed=0)
    >>> model.output_shape, model.get_layer("features").output.shape
    ((None, 10), (None, 64))
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` should be an integer. Received: `seed={seed!r}`.")
    seed = int(seed)

    def initializer(offset):
        return keras.initializers.GlorotUniform(seed=seed + offset)

    inputs = keras.Input(shape=IMAGE_SHAPE, name="images")
    x = keras.layers.Conv2D(
        32, 3, padding="same", activation="relu", kernel_initializer=initializer(0)
    )(inputs)  # [n, 8, 8, 32]
    x = keras.layers.Conv2D(
        32, 3, padding="same", activation="relu", kernel_initializer=initializer(1)
    )(x)  # [n, 8, 8, 32]
    x = keras.layers.MaxPooling2D(2)(x)  # [n, 4, 4, 32]
    x = keras.layers.Flatten()(x)  # [n, 512]
    x = keras.layers.Dropout(DROPOUT_RATE, seed=seed + 2)(x)
    features = keras.layers.Dense(
        FEATURE_DIMENSION,
        activation="relu",
        kernel_initializer=initializer(3),
        name=FEATURE_LAYER_NAME,
    )(x)  # [n, 64]
    logits = keras.layers.Dense(
        NUM_CLASSES, kernel_initializer=initializer(4), name="logits"
    )(features)  # [n, 10]
    return keras.Model(inputs, logits, name="digits_classifier")


def _enable_determinism(seed):
    """Seeds Python, NumPy and the backend; deterministic kernels on TensorFlow."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def train_digits_classifier(seed=0, epochs=TRAINING_EPOCHS, verbose=0):
    """Trains `build_digits_classifier(seed)` on the digits TRAIN split.

    The protocol is in the module docstring. The same `seed` and `epochs` give the
    same weights on the same machine and versions. On the TensorFlow backend this
    turns on `tf.config.experimental.enable_op_determinism()` for the rest of the
    process (TensorFlow offers no public way to turn it off).

    Args:
        seed: Integer seed of the initialisers, the dropout and the shuffling.
        epochs: Positive number of passes over the 1,437 training images.
        verbose: Passed to `model.fit`.

    Returns:
        The trained `keras.Model` (compiled, with an "accuracy" metric).
    """
    from keras_gans.data import load_arrays

    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise ValueError(
            f"`epochs` should be a positive integer. Received: `epochs={epochs!r}`."
        )
    if epochs < 1:
        raise ValueError(
            f"`epochs` should be a positive integer. Received: `epochs={epochs!r}`."
        )
    images, labels = load_arrays("digits", "train")
    _enable_determinism(int(seed))
    model = build_digits_classifier(seed)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        images,
        labels,
        batch_size=TRAINING_BATCH_SIZE,
        epochs=int(epochs),
        shuffle=True,
        verbose=verbose,
    )
    return model


def _check_images(images):
    """`images` as float32 `[n, 8, 8, 1]`; `[n, 8, 8]` gains the channel axis."""
    array = np.asarray(images, dtype="float32")
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            "`images` should have shape [n, 8, 8, 1] or [n, 8, 8] (8x8 grayscale "
            f"digits). Received: shape={np.shape(images)}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            "`images` should contain only finite values. "
            f"Received: {int(np.sum(~np.isfinite(array)))} NaN or infinite values"
        )
    if array.size and (
        array.min() < -1.0 - VALUE_TOLERANCE or array.max() > 1.0 + VALUE_TOLERANCE
    ):
        raise ValueError(
            "`images` should have values in [-1, 1] (as `keras_gans.data` and a tanh "
            f"generator give them). Received: min={float(array.min()):.4g}, "
            f"max={float(array.max()):.4g}"
        )
    return np.clip(array, -1.0, 1.0)


class DigitsFeatures:
    """Features and logits of the digits classifier for any number of images.

    Wraps a model built by `build_digits_classifier` (by default the shipped
    weights, see `load_digits_classifier`) and runs it in batches of
    `PREDICT_BATCH_SIZE` in inference mode. Inputs are checked: `[n, 8, 8, 1]` or
    `[n, 8, 8]` images with finite values in [-1, 1].

    Args:
        model: A Keras model mapping `[n, 8, 8, 1]` images to `[n, 10]` logits with
            a layer named "features" (only `logits` works without one). `None`
            loads the shipped weights.
        batch_size: Positive number of images per forward pass.

    Example:

    >>> extractor = DigitsFeatures(build_digits_classifier(seed=0))
    >>> images = np.zeros((5, 8, 8, 1), dtype="float32")
    >>> extractor.features(images).shape, extractor.logits(images).shape
    ((5, 64), (5, 10))
    """

    def __init__(self, model=None, batch_size=PREDICT_BATCH_SIZE):
        if isinstance(batch_size, bool) or not isinstance(
            batch_size, (int, np.integer)
        ):
            raise ValueError(
                "`batch_size` should be a positive integer. "
                f"Received: `batch_size={batch_size!r}`."
            )
        if batch_size < 1:
            raise ValueError(
                "`batch_size` should be a positive integer. "
                f"Received: `batch_size={batch_size!r}`."
            )
        self.model = load_digits_classifier() if model is None else model
        self.batch_size = int(batch_size)
        self._feature_model = None

    @property
    def feature_dimension(self):
        return int(self.model.get_layer(FEATURE_LAYER_NAME).output.shape[-1])

    def _feature_and_logit_model(self):
        if self._feature_model is None:
            try:
                feature_layer = self.model.get_layer(FEATURE_LAYER_NAME)
            except ValueError as error:
                raise ValueError(
                    f"The model {self.model.name!r} has no layer named "
                    f"{FEATURE_LAYER_NAME!r}, so `features` is not available. "
                    "Build it with `build_digits_classifier`."
                ) from error
            self._feature_model = keras.Model(
                self.model.input, [feature_layer.output, self.model.outputs[0]]
            )
        return self._feature_model

    def _run(self, model, images, num_outputs):
        images = _check_images(images)
        outputs = [[] for _ in range(num_outputs)]
        for start in range(0, len(images), self.batch_size):
            batch = model(images[start : start + self.batch_size], training=False)
            batch = batch if isinstance(batch, (list, tuple)) else [batch]
            for collected, output in zip(outputs, batch, strict=True):
                collected.append(keras.ops.convert_to_numpy(output))
        if len(images) == 0:
            shapes = (
                [self.feature_dimension, NUM_CLASSES]
                if num_outputs == 2
                else [NUM_CLASSES]
            )
            return [np.zeros((0, size), dtype="float32") for size in shapes]
        return [np.concatenate(collected, axis=0) for collected in outputs]

    def features_and_logits(self, images):
        """`(features [n, 64], logits [n, 10])` of `[n, 8, 8(, 1)]` images."""
        return tuple(self._run(self._feature_and_logit_model(), images, 2))

    def features(self, images):
        """`[n, 64]` float32 "features" activations of `[n, 8, 8(, 1)]` images."""
        return self.features_and_logits(images)[0]

    def logits(self, images):
        """`[n, 10]` float32 class logits of `[n, 8, 8(, 1)]` images."""
        return self._run(self.model, images, 1)[0]

    def predict_classes(self, images):
        """`[n]` int64 predicted digit (argmax of the logits)."""
        return self.logits(images).argmax(axis=1)


def load_digits_classifier(path=None):
    """The digits CNN with the shipped (or given) weights.

    Args:
        path: A `.weights.h5` file written by this module; by default
            `DIGITS_CLASSIFIER_WEIGHTS` (shipped with the package).

    Returns:
        A `keras.Model` as built by `build_digits_classifier`, with the weights.

    Raises:
        FileNotFoundError: if the file does not exist; the message names the path
            and the command that recreates it.
    """
    path = DIGITS_CLASSIFIER_WEIGHTS if path is None else os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The digits classifier weights are missing: {path!r}. Recreate them "
            f"with `{RETRAIN_COMMAND}` (trains for about a minute on a CPU), or "
            "reinstall keras-gans."
        )
    model = build_digits_classifier()
    model.load_weights(path)
    return model


def digits_test_accuracy(model):
    """Accuracy of `model` on the 360-image digits TEST split (a float in [0, 1])."""
    from keras_gans.data import load_arrays

    images, labels = load_arrays("digits", "test")
    predicted = DigitsFeatures(model).predict_classes(images)
    return float(np.mean(predicted == labels))


def main(path=DIGITS_CLASSIFIER_WEIGHTS, seed=0, epochs=TRAINING_EPOCHS):
    """Retrains the classifier, writes the weights file and prints the accuracy."""
    model = train_digits_classifier(seed=seed, epochs=epochs)
    # An uncompiled copy: saving the trained model would also store Adam's moments.
    inference_model = build_digits_classifier(seed)
    inference_model.set_weights(model.get_weights())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    inference_model.save_weights(path)
    accuracy = digits_test_accuracy(model)
    print(
        f"digits classifier: seed={seed}, epochs={epochs}, "
        f"test accuracy {accuracy:.4f} on 360 images; weights written to {path} "
        f"({os.path.getsize(path) / 1024:.0f} KB)"
    )
    return accuracy


if __name__ == "__main__":
    main()
