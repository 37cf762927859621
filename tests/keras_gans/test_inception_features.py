"""InceptionV3 feature extractor (M7): the offline error; shapes with random weights.

InceptionV3 is large (24M parameters): the random-weights extractor is built once per
module and fed batches of two images.
"""

import os
import time

import keras
import numpy as np
import pytest

from keras_gans.metrics import inception_features
from keras_gans.metrics.inception_features import (
    FeatureExtractorUnavailableError,
    InceptionFeatures,
)

BATCH_SIZE = 2


@pytest.fixture(scope="module")
def extractor():
    return InceptionFeatures(weights=None, batch_size=BATCH_SIZE)


def _images(seed, shape):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=shape).astype("float32")


def test_offline_imagenet_weights_raise_a_clear_error(monkeypatch, tmp_path):
    # What keras.utils.get_file raises on this machine, with no network, in ~0.1 s.
    def get_file_offline(fname, origin, **kwargs):
        raise Exception(
            f"URL fetch failure on {origin}: None -- [Errno -2] Name or service not "
            "known"
        )

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", get_file_offline)
    start = time.perf_counter()
    with pytest.raises(FeatureExtractorUnavailableError) as error:
        InceptionFeatures()
    assert time.perf_counter() - start < 1.0  # fails before building the network
    message = str(error.value)
    assert inception_features.WEIGHTS_FILE in message
    assert os.path.join(str(tmp_path), "models") in message  # the cache folder
    assert inception_features.WEIGHTS_URL in message
    assert "keras.applications.InceptionV3()" in message  # how to get it elsewhere
    assert "Name or service not known" in message  # the underlying failure
    assert isinstance(error.value, RuntimeError)

    # A corrupt cached copy (wrong md5) is re-downloaded by Keras: say so.
    (tmp_path / "models").mkdir(exist_ok=True)
    (tmp_path / "models" / inception_features.WEIGHTS_FILE).write_bytes(b"partial")
    with pytest.raises(FeatureExtractorUnavailableError, match="failed its md5 check"):
        InceptionFeatures()


@pytest.mark.parametrize(
    "shape", [(BATCH_SIZE, 8, 8, 1), (BATCH_SIZE, 32, 32, 3)], ids=["gray8", "rgb32"]
)
def test_features_and_logits_shapes(extractor, shape):
    images = _images(0, shape)
    features, logits = extractor.features_and_logits(images)
    assert features.shape == (BATCH_SIZE, inception_features.FEATURE_DIM)
    assert logits.shape == (BATCH_SIZE, inception_features.NUM_CLASSES)
    assert features.dtype == np.float32 and logits.dtype == np.float32
    assert np.all(np.isfinite(features)) and np.all(features >= 0.0)  # after ReLU
    np.testing.assert_array_equal(extractor.features(images), features)
    np.testing.assert_array_equal(extractor.logits(images), logits)


def test_softmax_of_logits_is_the_keras_model_output(extractor):
    images = _images(1, (BATCH_SIZE, 32, 32, 3))
    features, logits = extractor.features_and_logits(images)
    resized = extractor.preprocess(images)
    assert tuple(resized.shape) == (BATCH_SIZE, 299, 299, 3)
    probabilities = extractor.model(resized, training=False)  # softmax output
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.softmax(logits)),
        keras.ops.convert_to_numpy(probabilities),
        rtol=1e-4,
        atol=1e-7,
    )
    pool_features = extractor.feature_model(resized, training=False)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(pool_features), features, rtol=1e-4, atol=1e-5
    )


def test_grayscale_is_tiled_to_rgb(extractor):
    gray = _images(2, (BATCH_SIZE, 8, 8, 1))
    np.testing.assert_allclose(
        extractor.features(gray),
        extractor.features(np.repeat(gray, 3, axis=-1)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_input_checks(extractor):
    with pytest.raises(ValueError, match=r"\[num_images, height, width, channels\]"):
        extractor.features(np.zeros((8, 8, 3)))  # rank 3
    with pytest.raises(ValueError, match=r"Received: shape=\(2, 8, 8, 2\)"):
        extractor.features(np.zeros((2, 8, 8, 2)))  # 2 channels
    with pytest.raises(ValueError, match=r"\[-1, 1\].*Received values in \[0, 255\]"):
        extractor.logits(
            np.full((2, 8, 8, 3), 255.0) * (np.arange(2) > 0)[:, None, None, None]
        )
    with pytest.raises(ValueError, match="finite"):
        extractor.features(np.full((2, 8, 8, 3), np.nan))
    with pytest.raises(ValueError, match="Received: weights='missing.h5'"):
        InceptionFeatures(weights="missing.h5")
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        InceptionFeatures(weights=None, batch_size=0)


def test_batching_does_not_change_the_features(extractor):
    images = _images(3, (BATCH_SIZE + 1, 8, 8, 1))  # a full batch and a padded one
    np.testing.assert_allclose(
        extractor.features(images),
        # One eager pass over all images, keras.ops only (usable in a compiled step).
        keras.ops.convert_to_numpy(extractor(images)),
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.slow
def test_weights_from_a_local_file(extractor, tmp_path):
    path = str(tmp_path / "inception_v3.weights.h5")
    extractor.model.save_weights(path)
    loaded = InceptionFeatures(weights=path, batch_size=BATCH_SIZE)
    images = _images(4, (BATCH_SIZE, 8, 8, 3))
    np.testing.assert_allclose(
        loaded.features(images), extractor.features(images), rtol=1e-6, atol=1e-6
    )
