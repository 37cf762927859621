"""The 2015 TensorFlow Inception graph: the `pool_3` features of published FIDs (M7).

Published FIDs (Heusel et al. 2017, https://arxiv.org/abs/1706.08500, and the papers
that followed) come from one network: the frozen TensorFlow Inception graph of
December 2015, `classify_image_graph_def.pb` in
http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz, as
run by the authors' TTUR code (bioinf-jku/TTUR, `fid.py`), by TF-GAN (from its own
export of the same network) and, as a port, by clean-fid's `legacy_tensorflow` mode.
Its weights are not those of `keras.applications.InceptionV3`, so the Keras network
(`InceptionFeatures`, the "inception" extractor) gives other numbers; this one
follows TTUR's protocol:

1. images in [-1, 1], `[n, height, width, 1 or 3]` (the library's convention);
   grayscale is tiled to 3 channels;
2. mapped to the [0, 255] range of uint8 pixels as floats, `(x + 1) * 127.5`, not
   rounded (TTUR's `calculate_activation_statistics` takes a float array whose
   values "must lie between 0 and 255"; real images loaded as `x / 127.5 - 1` come
   back to their uint8 values);
3. fed to the graph's `ExpandDims:0` tensor, so that the graph's own operations
   resize them to 299 x 299 (its `ResizeBilinear`, TensorFlow 1's legacy bilinear
   resize: no antialiasing, no half-pixel centres) and scale them, `(x - 128) / 128`
   (its `Sub` and `Mul`);
4. features: the 2048-d `pool_3:0` activations, the input of FID and KID; TTUR then
   takes their mean and their unbiased covariance in float64, as
   `keras_gans.metrics.frechet_distance` does (with 2,048 samples or fewer the
   covariances are singular: where SciPy's `sqrtm` of their product is not finite,
   TTUR adds `1e-6 * I` to both, while the library's symmetric square root needs
   no offset; the two then differ by about `sqrt(1e-6 * lambda)` per dimension);
5. logits: `pool_3 @ W` with `W` the weight matrix of the graph's
   `softmax/logits/MatMul`, without its bias, over the graph's 1,008 outputs: the
   Inception Score code of Salimans et al. 2016 (openai/improved-gan,
   `inception_score/model.py`) that published Inception Scores come from.

Batches may be of any size (TTUR's `get_activations` drops a last partial batch;
here every image is used).

Absolute numbers match the papers' only under their whole protocol: 10,000 or more
generated samples (50,000 is the usual count; FID is biased upwards for fewer, and
the value depends on both sample counts) against the reference set the paper states
(e.g. CIFAR-10's 50,000 training images or its 10,000 test images), with the
reference images at the resolution the paper used. Report the extractor, both sample
counts and the reference split with every figure.

The graph is loaded into a TensorFlow 1-style graph and run with
`tf.compat.v1.Session`: the 2015 graph uses operations that TensorFlow removed from
later graph versions (`BatchNormWithGlobalNormalization`), which run only in a graph
that keeps the 2015 graph's version (a `tf.function` would refuse them). So the
extractor takes NumPy-like images and returns NumPy arrays, on any Keras backend
(TensorFlow is a dependency of the package), and cannot run inside a compiled
training step; `keras_gans.callbacks.EvaluateGenerator` calls it between epochs.

The graph (about 95 MB) is downloaded once: the archive (about 88 MB) through
`keras.utils.get_file` into the Keras cache folder (`~/.keras/models`, or
`$KERAS_HOME/models`), beside the InceptionV3 weights; its
`classify_image_graph_def.pb` is extracted there and the archive deleted. A cached
file is used without touching the network. There is no published checksum of the
archive to verify; the graph is checked for the tensors it must have. Without a
network and without the cached file, `Inception2015Features()` raises
`FeatureExtractorUnavailableError`, naming the file, the folder and a command that
downloads it.
"""

import os
import shlex
import tarfile

import keras
import numpy as np

from keras_gans._checks import check_positive_integer
from keras_gans.metrics.inception_features import (
    FeatureExtractorUnavailableError,
    checked_images,
    keras_models_folder,
)

__all__ = [
    "GRAPH_FILE",
    "Inception2015Features",
    "download_command",
    "inception_2015_graph_path",
]

GRAPH_FILE = "classify_image_graph_def.pb"  # the frozen graph inside the archive
ARCHIVE_FILE = "inception-2015-12-05.tgz"
ARCHIVE_URL = "http://download.tensorflow.org/models/image/imagenet/" + ARCHIVE_FILE
INPUT_TENSOR = "ExpandDims:0"  # [n, h, w, 3] float32 in [0, 255], before the resize
FEATURE_TENSOR = "pool_3:0"  # [n, 1, 1, 2048]
LOGITS_MATMUL = "softmax/logits/MatMul"  # pool_3 (reshaped) @ W, before the bias
IMAGE_SIZE = 299  # what the graph's ResizeBilinear resizes to
FEATURE_DIM = 2048  # pool_3 of the 2015 graph
NUM_CLASSES = 1008  # the graph's outputs: 1,000 ImageNet classes and 8 unused
PIXEL_SCALE = 127.5  # [-1, 1] -> [0, 255]: (x + 1) * 127.5
IMPORT_NAME = "inception_2015"  # the name scope of the imported graph


def download_command(folder):
    """A shell command that downloads the archive and extracts the graph into
    `folder` (what the offline error message prints).

    Example:

    >>> print(download_command("/data/models"))  # doctest: +NORMALIZE_WHITESPACE
    mkdir -p /data/models && curl -L
    http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz
    | tar -xzf - -C /data/models classify_image_graph_def.pb
    """
    quoted = shlex.quote(os.fspath(folder))
    return (
        f"mkdir -p {quoted} && curl -L {ARCHIVE_URL} | tar -xzf - -C {quoted} "
        f"{GRAPH_FILE}"
    )


def _unavailable_message(folder, reason):
    return (
        f"The 2015 TensorFlow Inception graph file {GRAPH_FILE!r} (the network of "
        f"published FIDs) is not in the Keras cache folder {folder!r} and {reason}. "
        "On a machine with a network, download it with\n"
        f"    {download_command(folder)}\n"
        f"(the archive {ARCHIVE_URL} holds it), copy the file into {folder!r} on "
        "this machine if you downloaded it elsewhere, or pass its path: "
        f"`Inception2015Features(graph_path='path/to/{GRAPH_FILE}')`. Without it, "
        "use extractor='inception' (Keras InceptionV3: numbers not comparable with "
        "papers') or a feature extractor of your own."
    )


def _extract_graph(archive_path, folder):
    """Writes the archive's `GRAPH_FILE` into `folder` (atomically)."""
    target = os.path.join(folder, GRAPH_FILE)
    partial = target + ".partial"
    try:
        with tarfile.open(archive_path, mode="r:*") as archive:
            source = archive.extractfile(archive.getmember(GRAPH_FILE))
            if source is None:
                raise tarfile.TarError(f"{GRAPH_FILE!r} in the archive is not a file")
            with source, open(partial, "wb") as output:
                while chunk := source.read(1 << 20):
                    output.write(chunk)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return target


def inception_2015_graph_path():
    """The cached `classify_image_graph_def.pb`, downloaded once when missing.

    Looks in the Keras cache folder (`keras_gans.metrics.inception_features.
    keras_models_folder()`, `~/.keras/models` by default); when the file is not
    there, downloads the archive with `keras.utils.get_file` into that folder,
    extracts the graph beside it and deletes the archive (also one that could not
    be read, so the next call downloads it again).

    Returns:
        The path of the graph file.

    Raises:
        FeatureExtractorUnavailableError: when the file is not cached and the
            archive cannot be downloaded or read (the message names the file, the
            folder and a download command).
    """
    folder = keras_models_folder()
    path = os.path.join(folder, GRAPH_FILE)
    if os.path.isfile(path):
        return path
    try:
        archive_path = keras.utils.get_file(
            ARCHIVE_FILE, ARCHIVE_URL, cache_subdir="models"
        )
    except Exception as error:  # Keras raises a bare Exception on a URL failure.
        raise FeatureExtractorUnavailableError(
            _unavailable_message(
                folder, f"downloading its archive failed ({error!s:.300})"
            )
        ) from error
    try:
        os.makedirs(folder, exist_ok=True)
        _extract_graph(archive_path, folder)
    except (tarfile.TarError, KeyError, OSError) as error:
        raise FeatureExtractorUnavailableError(
            _unavailable_message(
                folder,
                f"it could not be extracted from the downloaded archive "
                f"{archive_path!r} ({type(error).__name__}: {error!s:.300}; the "
                "archive is deleted)",
            )
        ) from error
    finally:
        # The graph is what is cached; the archive is downloaded only once.
        if os.path.dirname(os.path.abspath(archive_path)) == os.path.abspath(folder):
            os.remove(archive_path)
    return path


def _read_graph_def(path):
    """The `tf.compat.v1.GraphDef` in `path`, checked for the tensors used."""
    import tensorflow as tf
    from google.protobuf.message import DecodeError

    graph_def = tf.compat.v1.GraphDef()
    with open(path, "rb") as file:
        contents = file.read()
    try:
        graph_def.ParseFromString(contents)
    except DecodeError as error:
        raise ValueError(
            f"{path!r} is not a TensorFlow GraphDef (a truncated or corrupt "
            f"{GRAPH_FILE}?): {error}. Delete it and download it again."
        ) from error
    for node in graph_def.node:
        # Shapes recorded by the graph's writer (batch 1 in a graph fed one JPEG)
        # would override the ones inferred from the batched input.
        if "_output_shapes" in node.attr:
            del node.attr["_output_shapes"]
    names = {node.name for node in graph_def.node}
    missing = [
        name
        for name in (INPUT_TENSOR.split(":")[0], FEATURE_TENSOR.split(":")[0])
        if name not in names
    ]
    if missing:
        raise ValueError(
            f"The graph {path!r} has no node {', '.join(map(repr, missing))}: it is "
            f"not the 2015 Inception graph {GRAPH_FILE!r} (it should hold "
            f"{INPUT_TENSOR!r} and {FEATURE_TENSOR!r})."
        )
    return graph_def


class Inception2015Features:
    """`pool_3` features and logits of the 2015 TF Inception graph, as TTUR takes them.

    The feature extractor of FIDs comparable with papers' (Heusel et al. 2017,
    whose TTUR code defines the protocol): images in [-1, 1] are mapped to
    [0, 255], fed to the frozen graph `classify_image_graph_def.pb` before its own
    bilinear resize to 299 x 299 and its `(x - 128) / 128` scaling, and its 2048-d
    `pool_3` activations are taken; grayscale is tiled to RGB (see the module
    docstring). FID and KID of these features, from 10,000 or more samples (50,000
    is the usual count) against the reference split a paper names, are on the
    scale of published numbers; fewer samples give larger FIDs. The Keras
    InceptionV3 (`InceptionFeatures`) has other weights and gives other numbers.

    The logits are those of the Inception Score code of Salimans et al. 2016:
    `pool_3 @ W` over the graph's 1,008 outputs, `W` the weights of its
    `softmax/logits/MatMul`, no bias.

    Args:
        graph_path: The path of `classify_image_graph_def.pb`, or `None` for the
            copy in the Keras cache folder (`~/.keras/models`), downloaded once
            (offline and not cached: `FeatureExtractorUnavailableError`).
        batch_size: Images per forward pass.

    Attributes:
        graph_path: The graph file used.
        feature_dim: The size of the features (2048 for the 2015 graph).
        num_classes: The size of the logits (1008), or `None` for a graph without
            `softmax/logits/MatMul` (then `logits` raises).
        weights: "inception-2015-12-05", for reports.
        graph: The `tf.Graph` the GraphDef is imported into (run by a
            `tf.compat.v1.Session`).
        pool_3: Its `pool_3:0` tensor, `[None, 1, 1, 2048]`.

    Raises:
        FeatureExtractorUnavailableError: for `graph_path=None` when the graph is
            not cached and cannot be downloaded.
        ValueError: for a missing file, a file that is not the graph, or a
            `batch_size` that is not a positive integer.

    Example (with the graph downloaded):

    >>> extractor = Inception2015Features()  # doctest: +SKIP
    >>> images = np.zeros((2, 32, 32, 3))  # any size, in [-1, 1]
    >>> extractor.features(images).shape  # doctest: +SKIP
    (2, 2048)

    Reference:
        Heusel, Ramsauer, Unterthiner, Nessler, Hochreiter 2017,
        https://arxiv.org/abs/1706.08500 (FID; code: bioinf-jku/TTUR);
        Salimans et al. 2016, https://arxiv.org/abs/1606.03498 (Inception Score);
        Szegedy et al. 2015, https://arxiv.org/abs/1512.00567 (the network).
    """

    weights = "inception-2015-12-05"

    def __init__(self, graph_path=None, batch_size=50):
        import tensorflow as tf

        self.batch_size = check_positive_integer(batch_size, "batch_size")
        if graph_path is None:
            graph_path = inception_2015_graph_path()
        elif not (
            isinstance(graph_path, str | os.PathLike) and os.path.isfile(graph_path)
        ):
            raise ValueError(
                f"`graph_path` should be None or the path of an existing "
                f"{GRAPH_FILE}. Received: graph_path={graph_path!r}"
            )
        self.graph_path = os.fspath(graph_path)
        graph_def = _read_graph_def(self.graph_path)
        self.graph = tf.Graph()
        with self.graph.as_default():
            # [n, h, w, 3] in [0, 255]: in place of the graph's decoded JPEG.
            self._images = tf.compat.v1.placeholder(
                tf.float32, [None, None, None, 3], name="images"
            )
            (self.pool_3,) = tf.graph_util.import_graph_def(
                graph_def,
                input_map={INPUT_TENSOR: self._images},
                return_elements=[FEATURE_TENSOR],
                name=IMPORT_NAME,
            )
        self._session = tf.compat.v1.Session(graph=self.graph)
        self.feature_dim = int(np.prod(self.pool_3.shape[1:]))
        self._logits_weights = self._read_logits_weights()
        self.num_classes = (
            None if self._logits_weights is None else self._logits_weights.shape[1]
        )

    def _read_logits_weights(self):
        """`[feature_dim, num_classes]` float32 `W` of `softmax/logits/MatMul`."""
        try:
            matmul = self.graph.get_operation_by_name(f"{IMPORT_NAME}/{LOGITS_MATMUL}")
        except KeyError:
            return None
        weights = np.asarray(self._session.run(matmul.inputs[1]), "float32")
        if matmul.get_attr("transpose_b"):
            weights = weights.T
        return weights

    def preprocess(self, images):
        """`[n, h, w, 1 or 3]` images in [-1, 1] -> `[n, h, w, 3]` float32 in
        [0, 255], what the graph's `ExpandDims:0` takes (checked)."""
        images = checked_images(images)
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)  # grayscale -> RGB
        return (images + 1.0) * np.float32(PIXEL_SCALE)

    def _pool_features(self, pixels):
        """`[n, feature_dim]` float32 `pool_3` of `[n, h, w, 3]` pixels in [0, 255]."""
        batches = [
            self._session.run(
                self.pool_3, {self._images: pixels[start : start + self.batch_size]}
            ).reshape(-1, self.feature_dim)  # [n, 1, 1, d] -> [n, d]
            for start in range(0, len(pixels), self.batch_size)
        ]
        return np.concatenate(batches, axis=0).astype("float32")

    def logits_from_features(self, features):
        """`[n, 1008]` float32 logits `features @ W` (no bias) of `[n, 2048]`
        `pool_3` features."""
        if self._logits_weights is None:
            raise ValueError(
                f"The graph {self.graph_path!r} has no {LOGITS_MATMUL!r} node, so "
                "it gives no logits (the 2015 Inception graph has it)."
            )
        features = np.asarray(features, "float64")
        return (features @ self._logits_weights.astype("float64")).astype("float32")

    def features_and_logits(self, images):
        """`([n, 2048], [n, 1008] or None)` float32 NumPy arrays, one pass in
        batches; the logits are `None` for a graph without them."""
        features = self._pool_features(self.preprocess(images))
        logits = (
            None
            if self._logits_weights is None
            else self.logits_from_features(features)
        )
        return features, logits

    def features(self, images):
        """`[n, 2048]` `pool_3` features of images in [-1, 1]."""
        return self._pool_features(self.preprocess(images))

    def logits(self, images):
        """`[n, 1008]` logits (Salimans et al.'s, no bias) of images in [-1, 1]."""
        return self.logits_from_features(self.features(images))

    def close(self):
        """Releases the TensorFlow session (the extractor is unusable after)."""
        self._session.close()
