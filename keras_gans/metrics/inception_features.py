"""InceptionV3 pool features and logits for FID, KID and IS (catalogue M7).

The protocol of Heusel et al. 2017 (FID, https://arxiv.org/abs/1706.08500) and
Salimans et al. 2016 (IS, https://arxiv.org/abs/1606.03498), on Keras's InceptionV3
(Szegedy et al. 2015, https://arxiv.org/abs/1512.00567):

1. images in [-1, 1], `[n, height, width, channels]`; grayscale is tiled to 3
   channels;
2. resized to 299 x 299 with bilinear interpolation (no antialiasing, as TF-GAN);
3. fed as they are: `keras.applications.inception_v3.preprocess_input` maps [0, 255]
   to [-1, 1] (`x / 127.5 - 1`), so images already in [-1, 1] need nothing more;
4. features: the 2048-d output of the global average pool (`avg_pool`), the layer
   FID and KID use; logits: the 1000 pre-softmax values of the last Dense layer
   (`predictions`), `features @ kernel + bias`, the input of the Inception Score.

Absolute values are not comparable with published ones. Papers' FID and IS come from
the 2015 TensorFlow Inception graph (`pool_3`, used by the TTUR code, TF-GAN and, as
ported weights, pytorch-fid), whose weights differ from the Keras ImageNet weights:
`keras_gans.metrics.Inception2015Features` (the "inception-2015" extractor of
`keras_gans.evaluation`, its default for images) runs that graph. Compare numbers
computed with the same extractor and sample counts, and name the extractor with
every figure.

The ImageNet weights (about 92 MB) are downloaded by Keras once into its cache
folder (`~/.keras/models`, or `$KERAS_HOME/models`). Without a network and without
the cached file, constructing `InceptionFeatures()` raises
`FeatureExtractorUnavailableError`, naming the file, the folder and how to get it.
"""

import os

import keras
import numpy as np
from keras import ops

__all__ = ["FeatureExtractorUnavailableError", "InceptionFeatures"]

IMAGE_SIZE = 299  # InceptionV3's input resolution
FEATURE_DIM = 2048  # global average pool of the last Inception block
NUM_CLASSES = 1000  # ImageNet classes
WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    + WEIGHTS_FILE
)
WEIGHTS_HASH = "9a0d58056eeedaa3f26cb7ebd46da564"  # md5, as in keras.applications
RANGE_TOLERANCE = 1e-3  # images may overshoot [-1, 1] by this much (rounding)


class FeatureExtractorUnavailableError(RuntimeError):
    """A feature extractor's weights (or graph) are neither cached nor downloadable
    from here."""


def keras_models_folder():
    """The folder where Keras caches downloaded model weights.

    `$KERAS_HOME/models` (default `~/.keras/models`), or `/tmp/.keras/models` when
    that home is not writable, the rule of `keras.utils.get_file`.
    """
    home = os.path.expanduser(os.environ.get("KERAS_HOME", os.path.join("~", ".keras")))
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return os.path.join(home, "models")


def _unavailable_message(folder, state, reason):
    return (
        f"The InceptionV3 ImageNet weights file {WEIGHTS_FILE!r} {state} the Keras "
        f"cache folder {folder!r} and {reason}. On a machine with a network, "
        "download it with\n"
        '    python -c "import keras; keras.applications.InceptionV3()"\n'
        f"(it is saved as ~/.keras/models/{WEIGHTS_FILE}) or from\n"
        f"    {WEIGHTS_URL}\n"
        f"then copy it into {folder!r} on this machine, or pass its path: "
        "`InceptionFeatures(weights='path/to/file.h5')`. With no ImageNet weights "
        "at all, use a feature extractor trained offline (any Keras model)."
    )


def _imagenet_weights_path():
    """The cached ImageNet weights, downloading them when they are not cached."""
    folder = keras_models_folder()
    cached = os.path.isfile(os.path.join(folder, WEIGHTS_FILE))
    try:
        # With a cached file of the right md5, get_file does not touch the network.
        return keras.utils.get_file(
            WEIGHTS_FILE, WEIGHTS_URL, cache_subdir="models", file_hash=WEIGHTS_HASH
        )
    except Exception as error:  # Keras raises a bare Exception on a URL failure.
        state = "is not in" if not cached else "failed its md5 check in"
        raise FeatureExtractorUnavailableError(
            _unavailable_message(
                folder, state, f"downloading it failed ({error!s:.300})"
            )
        ) from error


class InceptionFeatures:
    """InceptionV3 2048-d pool features and 1000 logits of images in [-1, 1].

    The feature extractor of FID and KID (pool features) and of the Inception Score
    (logits), following the usual protocol: grayscale tiled to RGB, bilinear resize
    to 299 x 299, `avg_pool` activations (see the module docstring). Results depend
    on the weights: Keras's ImageNet weights are not the 2015 TF Inception graph of
    TTUR / TF-GAN / pytorch-fid, so FID values differ from papers' numbers (for
    those, use `Inception2015Features`).

    `features` and `logits` take NumPy-like images, check them and run in batches of
    `batch_size`; calling the object (`extractor(images)`) gives the features with
    `keras.ops` only, unchecked, so it can serve as the feature function of
    `keras_gans.metrics.FrechetDistance` inside a compiled step.

    Args:
        weights: `"imagenet"` (downloaded once by Keras into `~/.keras/models`;
            offline and uncached: `FeatureExtractorUnavailableError`), `None` (random
            weights, for tests) or the path of a local weights file of
            `keras.applications.InceptionV3(include_top=True)`.
        batch_size: Images per forward pass in `features` and `logits`.

    Attributes:
        model: The `keras.applications.InceptionV3` classifier (softmax output).
        feature_model: The same network up to the `avg_pool` layer.

    Raises:
        FeatureExtractorUnavailableError: for `weights="imagenet"` when the file is
            not cached and cannot be downloaded.
        ValueError: for an unknown `weights` value or a missing file, or a
            `batch_size` that is not a positive integer.

    Example:

    >>> extractor = InceptionFeatures(weights=None, batch_size=2)  # random weights
    >>> images = np.zeros((2, 8, 8, 1))  # grayscale, any size, in [-1, 1]
    >>> extractor.features(images).shape, extractor.logits(images).shape
    ((2, 2048), (2, 1000))

    Reference:
        Heusel et al. 2017, https://arxiv.org/abs/1706.08500 (FID);
        Szegedy et al. 2015, https://arxiv.org/abs/1512.00567 (InceptionV3).
    """

    def __init__(self, weights="imagenet", batch_size=50):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise ValueError(
                "`batch_size` should be a positive integer. "
                f"Received: batch_size={batch_size!r}"
            )
        if batch_size < 1:
            raise ValueError(
                "`batch_size` should be a positive integer. "
                f"Received: batch_size={batch_size}"
            )
        if weights == "imagenet":
            weights_path = _imagenet_weights_path()
        elif weights is None:
            weights_path = None
        elif isinstance(weights, str | os.PathLike) and os.path.isfile(weights):
            weights_path = os.fspath(weights)
        else:
            raise ValueError(
                '`weights` should be "imagenet", None or the path of an existing '
                f"weights file. Received: weights={weights!r}"
            )
        self.weights = weights
        self.batch_size = int(batch_size)
        self.model = keras.applications.InceptionV3(
            include_top=True, weights=None, classifier_activation="softmax"
        )
        if weights_path is not None:
            self.model.load_weights(weights_path)
        self.feature_model = keras.Model(
            self.model.inputs,
            self.model.get_layer("avg_pool").output,
            name="inception_v3_features",
        )
        self._classifier = self.model.get_layer("predictions")

    def preprocess(self, images):
        """`[n, h, w, 1 or 3]` images in [-1, 1] -> `[n, 299, 299, 3]` float32."""
        images = ops.cast(images, "float32")
        if images.shape[-1] == 1:
            images = ops.tile(images, [1, 1, 1, 3])  # grayscale -> RGB
        return ops.image.resize(
            images, (IMAGE_SIZE, IMAGE_SIZE), interpolation="bilinear"
        )

    def __call__(self, images):
        """`[n, 2048]` pool features, `keras.ops` only (no input checks)."""
        return self.feature_model(self.preprocess(images), training=False)

    def logits_from_features(self, features):
        """`[n, 1000]` pre-softmax logits from `[n, 2048]` pool features."""
        kernel, bias = self._classifier.kernel, self._classifier.bias
        return ops.matmul(ops.cast(features, kernel.dtype), kernel) + bias

    def features_and_logits(self, images):
        """`([n, 2048], [n, 1000])` float32 NumPy arrays, one pass in batches."""
        images = checked_images(images)
        features = []
        for start in range(0, images.shape[0], self.batch_size):
            batch = images[start : start + self.batch_size]
            size = batch.shape[0]
            if size < self.batch_size:  # pad the last batch: one traced shape only
                padding = np.zeros(
                    (self.batch_size - size, *batch.shape[1:]), "float32"
                )
                batch = np.concatenate([batch, padding], axis=0)
            outputs = self.feature_model.predict_on_batch(self.preprocess(batch))
            features.append(ops.convert_to_numpy(outputs)[:size])
        features = np.concatenate(features, axis=0).astype("float32")
        logits = ops.convert_to_numpy(self.logits_from_features(features))
        return features, logits.astype("float32")

    def features(self, images):
        """`[n, 2048]` InceptionV3 `avg_pool` features of images in [-1, 1]."""
        return self.features_and_logits(images)[0]

    def logits(self, images):
        """`[n, 1000]` InceptionV3 pre-softmax ImageNet logits of images in [-1, 1]."""
        return self.features_and_logits(images)[1]


def checked_images(images):
    """`images` as a float32 `[n, h, w, 1 or 3]` NumPy array in [-1, 1] (a
    rounding overshoot of `RANGE_TOLERANCE` is clipped), else a `ValueError`."""
    array = np.asarray(images, dtype="float32")
    if array.ndim != 4 or array.shape[-1] not in (1, 3) or array.shape[0] < 1:
        raise ValueError(
            "`images` should have shape [num_images, height, width, channels] with "
            f"1 or 3 channels and at least one image. Received: shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("`images` should contain only finite values. Received NaN/inf")
    low, high = float(array.min()), float(array.max())
    if low < -1.0 - RANGE_TOLERANCE or high > 1.0 + RANGE_TOLERANCE:
        raise ValueError(
            "`images` should be in [-1, 1] (e.g. `x / 127.5 - 1` for uint8 images). "
            f"Received values in [{low:.4g}, {high:.4g}]"
        )
    return np.clip(array, -1.0, 1.0)
