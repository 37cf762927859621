"""The offline digits classifier (M7) and the digits mode coverage (M6).

Oracles: the held-out digits TEST split (accuracy), a NumPy histogram of the
classifier's argmax and `scipy.stats.entropy` for the KL to uniform.
"""

import math
import subprocess
import sys

import numpy as np
import pytest
import scipy.stats

from keras_gans import data, metrics
from keras_gans.metrics import digits_classifier, digits_coverage

pytestmark = pytest.mark.tensorflow_only

MINIMUM_TEST_ACCURACY = 0.97  # issue 6: >= 97% on the held-out digits split


@pytest.fixture(scope="module")
def shipped():
    return metrics.DigitsFeatures()


@pytest.fixture(scope="module")
def test_split():
    return data.load_arrays("digits", "test")


# --- M7: the classifier --------------------------------------------------------------


def test_shipped_weights_reach_97_percent_on_the_test_split(shipped, test_split):
    images, labels = test_split
    accuracy = float(np.mean(shipped.predict_classes(images) == labels))
    print(f"shipped digits classifier: test accuracy {accuracy:.4f} (360 images)")
    assert accuracy >= MINIMUM_TEST_ACCURACY


def test_shipped_weights_file_is_small_and_packaged():
    import os

    import tomllib

    path = digits_classifier.DIGITS_CLASSIFIER_WEIGHTS
    assert os.path.getsize(path) < 300 * 1024
    with open(
        os.path.join(os.path.dirname(__file__), "../../pyproject.toml"), "rb"
    ) as f:
        package_data = tomllib.load(f)["tool"]["setuptools"]["package-data"]
    assert "metrics/assets/*.h5" in package_data["keras_gans"]


def test_missing_weights_error_names_the_path_and_the_command(tmp_path):
    missing = tmp_path / "nothing.weights.h5"
    with pytest.raises(FileNotFoundError) as error:
        metrics.load_digits_classifier(missing)
    assert str(missing) in str(error.value)
    assert "python -m keras_gans.metrics.digits_classifier" in str(error.value)


@pytest.mark.parametrize("num_images", [0, 1, 7, 2500])
def test_features_and_logits_shapes_for_any_number_of_images(shipped, num_images):
    images = np.random.default_rng(0).uniform(-1, 1, (num_images, 8, 8, 1))
    features, logits = shipped.features_and_logits(images)
    assert features.shape == (num_images, 64) and features.dtype == np.float32
    assert logits.shape == (num_images, 10) and logits.dtype == np.float32
    assert shipped.features(images).shape == (num_images, 64)
    assert shipped.logits(images[..., 0]).shape == (num_images, 10)  # [n, 8, 8]


def test_batched_outputs_equal_one_forward_pass(shipped, test_split):
    images = test_split[0][:50]
    small_batches = metrics.DigitsFeatures(shipped.model, batch_size=7)
    expected = shipped.model(images, training=False).numpy()
    np.testing.assert_allclose(small_batches.logits(images), expected, atol=1e-5)
    np.testing.assert_allclose(shipped.logits(images), expected, atol=1e-5)


def test_features_are_the_named_penultimate_layer(shipped, test_split):
    images = test_split[0][:20]
    features = shipped.features(images)
    logits_layer = shipped.model.get_layer("logits")
    kernel, bias = (weight.numpy() for weight in logits_layer.weights)
    np.testing.assert_allclose(
        features @ kernel + bias, shipped.logits(images), atol=1e-4
    )


@pytest.mark.parametrize(
    "images,match",
    [
        (
            np.zeros((4, 8, 8, 3)),
            r"shape \[n, 8, 8, 1\].*Received: shape=\(4, 8, 8, 3\)",
        ),
        (np.zeros((4, 28, 28, 1)), r"Received: shape=\(4, 28, 28, 1\)"),
        (np.zeros((8, 8)), r"Received: shape=\(8, 8\)"),
        (np.full((2, 8, 8, 1), 2.0), r"values in \[-1, 1\].*max=2"),
        (np.full((2, 8, 8, 1), -1.5), r"values in \[-1, 1\].*min=-1.5"),
        (np.full((2, 8, 8, 1), np.nan), "finite values"),
    ],
)
def test_bad_images_raise(shipped, images, match):
    with pytest.raises(ValueError, match=match):
        shipped.logits(images)
    with pytest.raises(ValueError, match=match):
        shipped.features(images)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_bad_batch_size_raises(shipped, batch_size):
    with pytest.raises(ValueError, match="`batch_size` should be a positive integer"):
        metrics.DigitsFeatures(shipped.model, batch_size=batch_size)


def test_build_is_seeded():
    first = metrics.build_digits_classifier(seed=3).get_weights()
    second = metrics.build_digits_classifier(seed=3).get_weights()
    other = metrics.build_digits_classifier(seed=4).get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_training_is_reproducible():
    """Two trainings with one seed give identical weights (in a fresh process,
    because op determinism cannot be turned off once on)."""
    script = (
        "import numpy as np\n"
        "from keras_gans.metrics import train_digits_classifier\n"
        "a = train_digits_classifier(seed=5, epochs=1).get_weights()\n"
        "b = train_digits_classifier(seed=5, epochs=1).get_weights()\n"
        "print(all(np.array_equal(x, y) for x, y in zip(a, b)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr[-2000:]


# --- M6: digits mode coverage ---------------------------------------------------------


def _numpy_coverage(predicted, num_classes):
    histogram, _ = np.histogram(predicted, bins=np.arange(num_classes + 1))
    uniform = np.full(num_classes, 1.0 / num_classes)
    return histogram, scipy.stats.entropy(histogram / histogram.sum(), uniform)


def test_real_test_digits_cover_all_ten_classes_with_small_kl(shipped, test_split):
    images, _ = test_split
    result = metrics.digits_mode_coverage(images, shipped)
    assert result["classes_covered"] == 10 and result["num_classes"] == 10
    assert result["num_samples"] == 360
    assert result["kl_to_uniform"] < 0.01  # 34-38 images per class
    histogram, kl = _numpy_coverage(shipped.predict_classes(images), 10)
    np.testing.assert_array_equal(result["histogram"], histogram)
    assert result["kl_to_uniform"] == pytest.approx(kl, abs=1e-12)


def test_one_class_gives_one_class_and_kl_log_10(shipped, test_split):
    images, labels = test_split
    copies = np.repeat(images[labels == 3][:1], 50, axis=0)
    result = metrics.digits_mode_coverage(copies, shipped)
    assert result["classes_covered"] == 1
    assert result["kl_to_uniform"] == pytest.approx(math.log(10), abs=1e-12)
    assert result["histogram"].sum() == 50 and result["histogram"][3] == 50


class _FixedLogits:
    """A stand-in classifier that returns given logits, whatever the images."""

    def __init__(self, logits):
        self.fixed = np.asarray(logits, dtype="float32")

    def logits(self, images):
        return self.fixed[: len(images)]


def test_histogram_and_kl_against_numpy_oracle():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(300, 10)) + 3.0 * (np.arange(10) < 4)  # skewed
    images = np.zeros((300, 8, 8, 1), dtype="float32")
    result = metrics.digits_mode_coverage(images, _FixedLogits(logits))
    histogram, kl = _numpy_coverage(logits.argmax(axis=1), 10)
    np.testing.assert_array_equal(result["histogram"], histogram)
    assert result["classes_covered"] == np.count_nonzero(histogram)
    assert result["kl_to_uniform"] == pytest.approx(kl, rel=1e-12)


def test_default_classifier_is_the_shipped_one(shipped, test_split):
    images = test_split[0][:40]
    expected = metrics.digits_mode_coverage(images, shipped)
    result = metrics.digits_mode_coverage(images)
    np.testing.assert_array_equal(result["histogram"], expected["histogram"])
    # A Keras model works as the classifier too.
    keras_model = metrics.digits_mode_coverage(images, shipped.model)
    np.testing.assert_array_equal(keras_model["histogram"], expected["histogram"])


def test_coverage_input_errors(shipped):
    with pytest.raises(ValueError, match="at least one image"):
        metrics.digits_mode_coverage(np.zeros((0, 8, 8, 1)), shipped)
    with pytest.raises(ValueError, match=r"Received: shape=\(3, 8, 8, 2\)"):
        metrics.digits_mode_coverage(np.zeros((3, 8, 8, 2)), shipped)
    with pytest.raises(ValueError, match="`classifier` should be"):
        metrics.digits_mode_coverage(np.zeros((3, 8, 8, 1)), "lenet")
    with pytest.raises(ValueError, match=r"\[n, 10\] logits"):
        metrics.digits_mode_coverage(
            np.zeros((3, 8, 8, 1)), _FixedLogits(np.zeros((3, 4)))
        )
    with pytest.raises(ValueError, match=r"\[n, 8, 8, 3\].*\(3, 8, 8, 1\)"):
        metrics.stacked_digits_mode_coverage(np.zeros((3, 8, 8, 1)), shipped)


# --- M6: stacked digits ---------------------------------------------------------------


def test_stacked_real_digits_modes_match_the_labels(shipped):
    images, labels = data.builtin.stacked_digits("test", num_samples=2000, seed=0)
    result = metrics.stacked_digits_mode_coverage(images, shipped)
    assert result["num_classes"] == 1000 and result["num_samples"] == 2000
    # Oracle: classify each channel separately and combine.
    digit = [shipped.predict_classes(images[..., c]) for c in range(3)]
    modes = 100 * digit[0] + 10 * digit[1] + digit[2]
    histogram, kl = _numpy_coverage(modes, 1000)
    np.testing.assert_array_equal(result["histogram"], histogram)
    assert result["kl_to_uniform"] == pytest.approx(kl, rel=1e-12)
    # With a >= 97% classifier almost every mode is the true label.
    assert np.mean(modes == labels) > 0.9
    label_histogram = np.bincount(labels, minlength=1000)
    assert abs(result["classes_covered"] - np.count_nonzero(label_histogram)) < 30


def test_stacked_one_mode(shipped, test_split):
    images, labels = test_split
    one = np.concatenate(
        [images[labels == 1][:1], images[labels == 2][:1], images[labels == 7][:1]],
        axis=-1,
    )  # [1, 8, 8, 3]
    result = metrics.stacked_digits_mode_coverage(np.repeat(one, 20, axis=0), shipped)
    assert result["classes_covered"] == 1
    assert result["histogram"][127] == 20
    assert result["kl_to_uniform"] == pytest.approx(math.log(1000), abs=1e-12)


def test_module_exports():
    assert set(digits_coverage.__all__) <= set(metrics.__all__)
    assert {"DigitsFeatures", "build_digits_classifier", "load_digits_classifier"} <= (
        set(metrics.__all__)
    )
