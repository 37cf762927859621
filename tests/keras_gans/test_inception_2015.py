"""The 2015 TF Inception graph extractor (M7): loading, protocol, offline, default.

The real graph (95 MB) cannot be downloaded here, so the tests build a small frozen
graph with the tensor names and the operations of `classify_image_graph_def.pb`:
a decoded-JPEG input, `ExpandDims` (where the extractor feeds its images), the
legacy `ResizeBilinear`, `Sub` 128 and `Mul` 1/128, a convolution followed by the
deprecated `BatchNormWithGlobalNormalization` (which runs only in a graph of the
2015 graph's version, as the real one: the GraphDef's producer version is 8),
`CheckNumerics`, ReLU, a two-branch block joined by the old `Concat` op, the average
pool `pool_3`, its reshape with the batch size 1 written into the graph, and
`softmax/logits/MatMul` + bias + softmax. A NumPy computation of the same small
network is the oracle of the features and logits; a NumPy/SciPy transcription of
TTUR's `calculate_frechet_distance` is the oracle of the FID.
"""

import os
import tarfile
import warnings

import keras
import numpy as np
import pytest
from scipy import linalg

from keras_gans import evaluation
from keras_gans.metrics import (
    FeatureExtractorUnavailableError,
    Inception2015Features,
    frechet_distance,
    inception_2015,
)

RESIZE = 12  # the small graph's ResizeBilinear size (299 in the real graph)
STEM_CHANNELS = 4
BRANCH_CHANNELS = 3
FEATURE_DIM = BRANCH_CHANNELS + STEM_CHANNELS  # the concatenated block: pool_3
NUM_CLASSES = 5
BATCH_NORM_EPSILON = 1e-3
TTUR_EPSILON = 1e-6  # calculate_frechet_distance's eps


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "stem": rng.normal(size=(3, 3, 3, STEM_CHANNELS)).astype("float32") * 0.5,
        "mean": rng.normal(size=STEM_CHANNELS).astype("float32"),
        "variance": rng.uniform(0.5, 2.0, size=STEM_CHANNELS).astype("float32"),
        "beta": rng.normal(size=STEM_CHANNELS).astype("float32"),
        "gamma": rng.uniform(0.5, 1.5, size=STEM_CHANNELS).astype("float32"),
        "branch": rng.normal(size=(1, 1, STEM_CHANNELS, BRANCH_CHANNELS)).astype(
            "float32"
        ),
        "softmax": rng.normal(size=(FEATURE_DIM, NUM_CLASSES)).astype("float32"),
        "bias": rng.normal(size=NUM_CLASSES).astype("float32") * 10.0,
    }


def _small_graph_def(weights, with_logits=True):
    """A GraphDef with the real graph's tensor names around a tiny network."""
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        contents = tf.compat.v1.placeholder(tf.string, [], name="DecodeJpeg/contents")
        decoded = tf.io.decode_jpeg(contents, channels=3, name="DecodeJpeg")
        pixels = tf.cast(decoded, tf.float32, name="Cast")
        expanded = tf.expand_dims(pixels, 0, name="ExpandDims")  # [1, h, w, 3]
        resized = tf.raw_ops.ResizeBilinear(
            images=expanded,
            size=tf.constant([RESIZE, RESIZE], name="ResizeBilinear/size"),
            align_corners=False,
            name="ResizeBilinear",
        )
        scaled = tf.multiply(
            tf.subtract(resized, tf.constant(128.0, name="Sub/y"), name="Sub"),
            tf.constant(1.0 / 128.0, name="Mul/y"),
            name="Mul",
        )
        stem = tf.nn.conv2d(
            scaled,
            tf.constant(weights["stem"], name="conv/conv2d_params"),
            strides=[1, 2, 2, 1],
            padding="VALID",
            name="conv/Conv2D",
        )  # [n, 5, 5, 4]
        for name in ("mean", "variance", "beta", "gamma"):
            tf.constant(weights[name], name=f"conv/batchnorm/{name}")
        # Written as an Identity, then turned into the deprecated op below.
        normalised = tf.identity(stem, name="conv/batchnorm")
        checked = tf.debugging.check_numerics(normalised, "conv", name="conv/check")
        stem = tf.nn.relu(checked, name="conv")
        branch = tf.nn.relu(
            tf.nn.conv2d(
                stem,
                tf.constant(weights["branch"], name="mixed/conv/conv2d_params"),
                strides=[1, 1, 1, 1],
                padding="SAME",
            ),
            name="mixed/conv",
        )
        pooled = tf.nn.max_pool2d(stem, 3, 1, "SAME", name="mixed/pool")
        joined = tf.raw_ops.Concat(
            concat_dim=tf.constant(3, name="mixed/join/concat_dim"),
            values=[branch, pooled],
            name="mixed/join",
        )  # [n, 5, 5, 7]
        pool = tf.nn.avg_pool2d(
            joined,
            ksize=[1, 5, 5, 1],
            strides=[1, 1, 1, 1],
            padding="VALID",
            name="pool_3",
        )  # [n, 1, 1, 7]
        if with_logits:
            flat = tf.reshape(pool, [1, FEATURE_DIM], name="pool_3/_reshape")
            products = tf.matmul(
                flat,
                tf.constant(weights["softmax"], name="softmax/weights"),
                name="softmax/logits/MatMul",
            )
            logits = tf.nn.bias_add(
                products,
                tf.constant(weights["bias"], name="softmax/biases"),
                name="softmax/logits",
            )
            tf.nn.softmax(logits, name="softmax")
    # With the shapes inferred at writing (batch 1, from the single JPEG), which
    # the extractor must not keep.
    graph_def = graph.as_graph_def(add_shapes=True)
    (node,) = [node for node in graph_def.node if node.name == "conv/batchnorm"]
    node.op = "BatchNormWithGlobalNormalization"
    del node.input[:]
    node.input.extend(
        ["conv/Conv2D"]
        + [f"conv/batchnorm/{name}" for name in ("mean", "variance", "beta", "gamma")]
    )
    node.attr["variance_epsilon"].f = BATCH_NORM_EPSILON
    node.attr["scale_after_normalization"].b = True
    graph_def.versions.producer = 8  # removed from GraphDef version 9 onwards
    return graph_def


def _write_graph(path, weights, with_logits=True):
    path.write_bytes(_small_graph_def(weights, with_logits).SerializeToString())
    return path


@pytest.fixture(scope="module")
def weights():
    return _weights()


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory, weights):
    return _write_graph(
        tmp_path_factory.mktemp("graph") / inception_2015.GRAPH_FILE, weights
    )


@pytest.fixture(scope="module")
def extractor(graph_file):
    return Inception2015Features(graph_path=graph_file, batch_size=4)


# --- The NumPy oracle of the small graph ------------------------------------------


def _legacy_bilinear_resize(images, size):
    """TF 1's ResizeBilinear (align_corners=False, no half-pixel centres):
    output pixel i samples the input at i * in_size / out_size."""

    def axis(in_size):
        position = np.arange(size) * (in_size / size)
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, in_size - 1)
        return low, high, position - low

    top, bottom, dy = axis(images.shape[1])
    left, right, dx = axis(images.shape[2])
    dy, dx = dy[None, :, None, None], dx[None, None, :, None]
    upper = images[:, top][:, :, left] * (1 - dx) + images[:, top][:, :, right] * dx
    lower = (
        images[:, bottom][:, :, left] * (1 - dx) + images[:, bottom][:, :, right] * dx
    )
    return upper * (1 - dy) + lower * dy  # [n, size, size, c]


def _conv_valid(images, kernel, stride):
    windows = np.lib.stride_tricks.sliding_window_view(
        images, kernel.shape[:2], axis=(1, 2)
    )[:, ::stride, ::stride]  # [n, h', w', c, kh, kw]
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel)


def _max_pool_same_3x3(images):
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
    return windows.max(axis=(-2, -1))


def _oracle_pool_3(images, weights):
    """`[n, 7]` pool_3 of the small graph for `[n, h, w, 1 or 3]` images in
    [-1, 1], in float64: TTUR's input (x + 1) * 127.5, then the graph."""
    images = np.asarray(images, "float64")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    pixels = (images + 1.0) * 127.5  # what TTUR feeds: [0, 255]
    scaled = (_legacy_bilinear_resize(pixels, RESIZE) - 128.0) / 128.0
    stem = _conv_valid(scaled, weights["stem"].astype("float64"), stride=2)
    stem = (stem - weights["mean"]) / np.sqrt(
        weights["variance"] + BATCH_NORM_EPSILON
    ) * weights["gamma"] + weights["beta"]
    stem = np.maximum(stem, 0.0)
    branch = np.maximum(_conv_valid(stem, weights["branch"].astype("float64"), 1), 0)
    joined = np.concatenate([branch, _max_pool_same_3x3(stem)], axis=-1)
    return joined.mean(axis=(1, 2))  # the 5x5 average pool


# --- TTUR's calculate_frechet_distance, transcribed ----------------------------------


def _ttur_frechet_distance(features_a, features_b, eps=TTUR_EPSILON):
    """TTUR's FID of two feature sets and whether it took the singular branch.

    Float64 means and `np.cov` covariances; `scipy.linalg.sqrtm` of the product;
    when that square root is not finite, `eps * I` added to both covariances and
    the square root taken again; a complex result with a negligible imaginary
    diagonal (atol 1e-3) replaced by its real part.
    """
    features_a = np.asarray(features_a, "float64")
    features_b = np.asarray(features_b, "float64")
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    covariance_a = np.atleast_2d(np.cov(features_a, rowvar=False))
    covariance_b = np.atleast_2d(np.cov(features_b, rowvar=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's "Matrix is singular" warnings
        square_root = linalg.sqrtm(covariance_a @ covariance_b)
        singular = not np.all(np.isfinite(square_root))
        if singular:
            offset = np.eye(len(covariance_a)) * eps
            square_root = linalg.sqrtm(
                (covariance_a + offset) @ (covariance_b + offset)
            )
    if np.iscomplexobj(square_root):
        assert np.allclose(np.diagonal(square_root).imag, 0.0, atol=1e-3)
        square_root = square_root.real
    difference = mean_a - mean_b
    value = (
        difference @ difference
        + np.trace(covariance_a)
        + np.trace(covariance_b)
        - 2.0 * np.trace(square_root)
    )
    return float(value), singular


def _images(seed, shape):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=shape).astype("float32")


# --- (1) Loading the graph ----------------------------------------------------------


def test_features_and_logits_are_the_graphs(extractor, graph_file, weights):
    for shape in [(5, 9, 7, 3), (3, 8, 8, 1), (2, 32, 32, 3)]:
        images = _images(0, shape)
        features, logits = extractor.features_and_logits(images)
        assert extractor.feature_dim == FEATURE_DIM
        assert extractor.num_classes == NUM_CLASSES
        assert extractor.pool_3.shape.as_list() == [None, 1, 1, FEATURE_DIM]
        assert features.shape == (shape[0], FEATURE_DIM)
        assert features.dtype == logits.dtype == np.float32
        expected = _oracle_pool_3(images, weights)
        np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)
        # Salimans et al.'s logits: pool_3 @ W, the graph's bias left out.
        np.testing.assert_allclose(
            logits, expected @ weights["softmax"], rtol=1e-4, atol=1e-4
        )
        np.testing.assert_array_equal(extractor.features(images), features)
        np.testing.assert_array_equal(extractor.logits(images), logits)
    # Batches of 3 over 7 images: 3 + 3 + 1, none dropped (TTUR drops the last).
    images = _images(1, (7, 8, 8, 3))
    features = Inception2015Features(graph_path=graph_file, batch_size=3).features(
        images
    )
    assert features.shape == (7, FEATURE_DIM)
    np.testing.assert_allclose(
        features, _oracle_pool_3(images, weights), rtol=1e-4, atol=1e-5
    )


def test_grayscale_is_tiled_and_inputs_are_checked(extractor, tmp_path, weights):
    gray = _images(2, (3, 8, 8, 1))
    np.testing.assert_allclose(
        extractor.features(gray), extractor.features(np.repeat(gray, 3, axis=-1))
    )
    np.testing.assert_allclose(
        extractor.preprocess(np.array([-1.0, 0.0, 1.0]).reshape(1, 1, 3, 1)),
        np.repeat(np.array([0.0, 127.5, 255.0]).reshape(1, 1, 3, 1), 3, axis=-1),
    )
    with pytest.raises(ValueError, match=r"\[-1, 1\].*Received values in \[0, 255\]"):
        extractor.features(
            np.concatenate([np.zeros((1, 8, 8, 3)), np.full((1, 8, 8, 3), 255.0)])
        )
    with pytest.raises(ValueError, match=r"Received: shape=\(2, 8, 8, 2\)"):
        extractor.features(np.zeros((2, 8, 8, 2)))
    with pytest.raises(ValueError, match="graph_path='missing.pb'"):
        Inception2015Features(graph_path="missing.pb")
    with pytest.raises(ValueError, match="`batch_size` should be a positive integer"):
        Inception2015Features(graph_path=str(tmp_path), batch_size=0)
    corrupt = tmp_path / "corrupt.pb"
    corrupt.write_bytes(b"\x0a\xff\xff not a graph")
    with pytest.raises(ValueError, match="not a TensorFlow GraphDef"):
        Inception2015Features(graph_path=corrupt)
    other = tmp_path / "other.pb"
    graph_def = _small_graph_def(weights)
    for node in graph_def.node:
        if node.name == "pool_3":
            node.name = "avg_pool"
    other.write_bytes(graph_def.SerializeToString())
    with pytest.raises(ValueError, match="has no node 'pool_3'"):
        Inception2015Features(graph_path=other)
    no_logits = Inception2015Features(
        graph_path=_write_graph(tmp_path / "pool_only.pb", weights, with_logits=False)
    )
    features, logits = no_logits.features_and_logits(gray)
    assert logits is None and no_logits.num_classes is None
    np.testing.assert_allclose(features, extractor.features(gray), rtol=1e-6)
    with pytest.raises(ValueError, match="gives no logits"):
        no_logits.logits(gray)


def test_the_cached_graph_is_loaded_and_a_download_extracted_once(
    monkeypatch, tmp_path, weights, extractor
):
    folder = tmp_path / "keras_home" / "models"
    folder.parent.mkdir()  # a writable Keras home (else Keras uses /tmp/.keras)
    monkeypatch.setenv("KERAS_HOME", str(folder.parent))
    # The archive as published: the graph at its top level, beside other files.
    archive = tmp_path / "download" / inception_2015.ARCHIVE_FILE
    archive.parent.mkdir()
    _write_graph(tmp_path / inception_2015.GRAPH_FILE, weights)
    (tmp_path / "LICENSE").write_text("license")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "LICENSE", arcname="LICENSE")
        tar.add(tmp_path / inception_2015.GRAPH_FILE, arcname=inception_2015.GRAPH_FILE)
    downloads = []

    def get_file(fname, origin, cache_subdir, **kwargs):
        downloads.append((fname, origin, cache_subdir))
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / fname  # where keras.utils.get_file saves it
        copy.write_bytes(archive.read_bytes())
        return str(copy)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    images = _images(3, (2, 8, 8, 3))
    downloaded = Inception2015Features()
    assert downloads == [
        (inception_2015.ARCHIVE_FILE, inception_2015.ARCHIVE_URL, "models")
    ]
    assert downloaded.graph_path == str(folder / inception_2015.GRAPH_FILE)
    assert sorted(os.listdir(folder)) == [inception_2015.GRAPH_FILE]  # archive gone
    np.testing.assert_array_equal(
        downloaded.features(images), extractor.features(images)
    )

    def no_network(*args, **kwargs):
        raise AssertionError("a cached graph must not be downloaded again")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    cached = Inception2015Features()
    np.testing.assert_array_equal(cached.features(images), extractor.features(images))


# --- (2) The numerical path of FID ---------------------------------------------------


def test_fid_through_the_evaluator_matches_ttur(extractor, weights):
    real = _images(4, (40, 8, 8, 3))
    fake = np.clip(_images(5, (30, 8, 8, 3)) * 0.8 + 0.1, -1.0, 1.0)
    evaluator = evaluation.SampleEvaluator(real, "fid", extractor=extractor)
    assert evaluator.extractor.name == "inception-2015"
    assert "2015 TensorFlow Inception graph" in evaluator.protocol(30)["extractor"]
    value = evaluator(fake)["fid"]
    expected, singular = _ttur_frechet_distance(
        _oracle_pool_3(real, weights), _oracle_pool_3(fake, weights)
    )
    assert not singular and expected > 0.05  # 7-d features, 30+ samples
    assert value == pytest.approx(expected, rel=1e-3)  # float32 network vs float64
    # On the same features, the library's float64 statistics and TTUR's agree to
    # rounding: sums of outer products (streamable) against np.cov's centred sums,
    # and the symmetric eigendecomposition against sqrtm, give one value.
    real_features, fake_features = extractor.features(real), extractor.features(fake)
    assert frechet_distance(real_features, fake_features) == pytest.approx(
        _ttur_frechet_distance(real_features, fake_features)[0], rel=1e-6
    )


def test_fid_of_a_singular_product_is_ttur_without_its_offset():
    # Two samples of 3-d integer features: rank-1 covariances whose product has no
    # finite sqrtm in SciPy, so TTUR adds 1e-6 * I to both covariances.
    real = np.array([[-1.0, 0.0, 0.0], [1.0, 1.0, -1.0]])
    fake = np.array([[2.0, -1.0, 1.0], [0.0, 1.0, 2.0]])
    value = frechet_distance(real, fake)
    ttur, singular = _ttur_frechet_distance(real, fake)
    assert singular
    # The offset moves each of the 3 square-root eigenvalues by about
    # sqrt(eps * lambda_max); the library's exact PSD square root is its eps -> 0
    # limit: TTUR's value approaches it as eps shrinks.
    largest = max(
        np.linalg.eigvalsh(np.cov(real, rowvar=False)).max(),
        np.linalg.eigvalsh(np.cov(fake, rowvar=False)).max(),
    )
    assert abs(value - ttur) <= 3 * np.sqrt(TTUR_EPSILON * largest)
    gaps = [
        abs(value - _ttur_frechet_distance(real, fake, eps=eps)[0])
        for eps in (1e-4, 1e-6, 1e-8)
    ]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-6


# --- (3) Offline ---------------------------------------------------------------------


def test_offline_without_the_graph_names_file_folder_and_command(monkeypatch, tmp_path):
    # What keras.utils.get_file raises on this machine, with no network.
    def get_file_offline(fname, origin, **kwargs):
        raise Exception(
            f"URL fetch failure on {origin}: None -- [Errno -2] Name or service not "
            "known"
        )

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", get_file_offline)
    folder = os.path.join(str(tmp_path), "models")
    for make in (
        Inception2015Features,
        lambda: evaluation.resolve_extractor("inception-2015"),
        lambda: evaluation.resolve_extractor("auto", dataset="cifar10"),
    ):
        with pytest.raises(FeatureExtractorUnavailableError) as error:
            make()
        message = str(error.value)
        assert inception_2015.GRAPH_FILE in message
        assert repr(folder) in message
        assert inception_2015.download_command(folder) in message
        assert inception_2015.ARCHIVE_URL in message
        assert "Name or service not known" in message  # the underlying failure
    assert not os.path.exists(os.path.join(folder, inception_2015.GRAPH_FILE))

    # A download that is not the archive says so, with the same instructions.
    def get_file_html(fname, origin, cache_subdir, **kwargs):
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, fname)
        with open(path, "w") as file:
            file.write("<html>captive portal</html>")
        return path

    monkeypatch.setattr(keras.utils, "get_file", get_file_html)
    with pytest.raises(
        FeatureExtractorUnavailableError, match="could not be extracted"
    ):
        Inception2015Features()
    assert os.listdir(folder) == []  # no partial graph, no unreadable archive kept


# --- (4) The default extractor -------------------------------------------------------


def test_auto_picks_the_2015_graph_for_real_images(monkeypatch, tmp_path, graph_file):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / inception_2015.GRAPH_FILE).write_bytes(
        graph_file.read_bytes()
    )
    expected = {
        "digits": "digits",
        "stacked_digits": "digits",
        "ring8": "identity",
        "grid25": "identity",
        "cifar10": "inception-2015",
        "celeb_a": "inception-2015",
        "path/to/image_folder": "inception-2015",
        None: "inception-2015",
    }
    chosen = {
        dataset: evaluation.resolve_extractor("auto", dataset=dataset).name
        for dataset in expected
    }
    assert chosen == expected
    assert evaluation.resolve_extractor("inception-2015").name == "inception-2015"
    assert "inception-2015" in evaluation.EXTRACTOR_NAMES
    with pytest.raises(ValueError, match="inception-2015, inception, identity"):
        evaluation.resolve_extractor("inception-v3")
