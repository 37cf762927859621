"""Data pipelines: built-ins against their definitions, clear errors for bad data."""

import os

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from keras_gans import data
from keras_gans.data import builtin, sources

pytestmark = pytest.mark.tensorflow_only


def _first_batch(dataset):
    return next(iter(dataset))


def test_digits_are_sklearn_digits_scaled_to_unit_range():
    raw = load_digits()
    images, labels = data.load_arrays("digits", "all")
    assert images.shape == (1797, 8, 8, 1) and labels.shape == (1797,)
    np.testing.assert_allclose(images[..., 0], raw.images / 8.0 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(labels, raw.target)
    assert images.min() == -1.0 and images.max() == 1.0


def test_digits_split_is_fixed_stratified_and_disjoint():
    train_images, train_labels = data.load_arrays("digits", "train")
    test_images, test_labels = data.load_arrays("digits", "test")
    assert len(train_images) == 1437 and len(test_images) == 360
    flat_train = {row.tobytes() for row in train_images}
    # sklearn's digits contain no duplicate images across these splits.
    assert not any(row.tobytes() in flat_train for row in test_images)
    assert np.bincount(test_labels).min() >= 35  # ~36 per class: stratified.
    again, _ = data.load_arrays("digits", "train")
    np.testing.assert_array_equal(again, train_images)


def test_digits_pad_to_16_keeps_the_pixels_centred():
    images, _ = data.load_arrays("digits", "all")
    padded, _ = data.load_arrays("digits", "all", image_size=16, resize="pad")
    np.testing.assert_array_equal(
        padded, np.pad(images, ((0, 0), (4, 4), (4, 4), (0, 0)), constant_values=-1)
    )


def test_digits_resize_to_16_stays_in_range_and_keeps_the_mean_intensity():
    images, _ = data.load_arrays("digits", "all")
    resized, _ = data.load_arrays("digits", "all", image_size=16)
    assert resized.shape == (1797, 16, 16, 1)
    assert resized.min() >= -1.0 and resized.max() <= 1.0
    np.testing.assert_allclose(
        resized.mean(axis=(1, 2, 3)), images.mean(axis=(1, 2, 3)), atol=0.02
    )


@pytest.mark.parametrize(
    "name,num_modes,std", [("ring8", 8, 0.01), ("grid25", 25, 0.05)]
)
def test_mixtures_match_the_m5_protocol(name, num_modes, std):
    points, component = data.load_arrays(name, "train")
    if name == "ring8":
        angles = 2 * np.pi * np.arange(8) / 8
        expected_means = np.stack([np.cos(angles), np.sin(angles)], 1)
    else:
        expected_means = np.array(
            [(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]
        )
    np.testing.assert_allclose(builtin.mixture_means(name), expected_means, atol=1e-6)
    counts = np.bincount(component, minlength=num_modes)
    assert counts.min() > 0.8 * len(points) / num_modes  # Equal weights.
    for mode in range(num_modes):
        offsets = points[component == mode] - expected_means[mode]
        np.testing.assert_allclose(
            offsets.mean(0), 0.0, atol=5 * std / np.sqrt(counts[mode])
        )
        np.testing.assert_allclose(offsets.std(0), std, rtol=0.1)


def test_swiss_roll_is_sklearns_roll_at_the_wgan_gp_scale():
    from sklearn.datasets import make_swiss_roll

    points, t = data.load_arrays("swiss_roll", "train")
    assert points.shape == (51_200, 2) and t.shape == (51_200,)
    assert points.dtype == np.float32
    # gan_toy.py: make_swiss_roll(noise=0.25)[0][:, [0, 2]] / 7.5, the same draw
    # for the same random_state (0 for the train split, 1 for the test split).
    for split, seed in (("train", 0), ("test", 1)):
        roll, roll_t = make_swiss_roll(
            n_samples=builtin.MIXTURE_SIZES[split], noise=0.25, random_state=seed
        )
        expected = np.stack([roll[:, 0], roll[:, 2]], axis=1) / 7.5
        got, got_t = data.load_arrays("swiss_roll", split)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got_t, roll_t, rtol=1e-6)
    test_points, _ = data.load_arrays("swiss_roll", "test")
    assert len(test_points) == 10_240
    assert not np.allclose(test_points[:100], points[:100])  # different draws
    # The roll spans about [-1.7, 2] after the scaling.
    assert -1.8 < points.min() and points.max() < 2.1
    assert points.std() == pytest.approx(0.9, abs=0.15)
    np.testing.assert_array_equal(builtin.swiss_roll("train")[0], points)  # fixed
    assert builtin.swiss_roll("train", num_samples=5, seed=3)[0].shape == (5, 2)
    batch = _first_batch(data.load("swiss_roll", batch_size=32, seed=0))
    assert tuple(batch.shape) == (32, 2)
    with pytest.raises(ValueError, match="`image_size` does not apply"):
        data.load_arrays("swiss_roll", image_size=16)
    with pytest.raises(ValueError, match="Unknown split 'valid'"):
        builtin.swiss_roll("valid")


def test_swiss_roll_has_no_modes_to_count():
    from keras_gans import evaluation

    real = data.load_arrays("swiss_roll", "test")[0][:200]
    assert evaluation.resolve_extractor("auto", dataset="swiss_roll").name == "identity"
    evaluator = evaluation.SampleEvaluator(real, ("fid",), dataset="swiss_roll")
    assert evaluator(real[::-1].copy())["fid"] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="not defined for the Swiss roll"):
        evaluation.SampleEvaluator(real, ("fid", "modes"), dataset="swiss_roll")


@pytest.mark.slow  # an end-to-end training run (a few seconds)
def test_the_command_line_trains_on_the_swiss_roll(tmp_path, capsys):
    import csv

    from keras_gans import cli

    out = str(tmp_path / "run")
    argv = ["train", "--preset", "mlp-ring8", "--dataset", "swiss_roll"]
    argv += ["--epochs", "1", "--steps-per-epoch", "2", "--out", out]
    assert cli.main(argv) == 0
    with open(os.path.join(out, "metrics.csv")) as file:
        rows = list(csv.DictReader(file))
    # Evaluated by FID of the identity features; no modes for the Swiss roll.
    assert np.isfinite(float(rows[-1]["fid"])) and "modes_captured" not in rows[-1]
    assert not any(name.startswith("modes_") for name in os.listdir(f"{out}/samples"))


def test_load_returns_batched_images_or_pairs():
    images = _first_batch(data.load("digits", batch_size=32, seed=0))
    assert images.shape == (32, 8, 8, 1)
    pair = _first_batch(data.load("digits", batch_size=32, seed=0, with_labels=True))
    assert pair[0].shape == (32, 8, 8, 1) and pair[1].shape == (32,)
    # 1,437 training digits, last incomplete batch dropped.
    assert int(data.load("digits", batch_size=64).cardinality()) == 1437 // 64


def test_shuffle_with_a_seed_repeats_and_reshuffles_every_epoch():
    first = data.load("digits", batch_size=16, seed=3, with_labels=True)
    second = data.load("digits", batch_size=16, seed=3, with_labels=True)
    epoch_one = np.concatenate([labels.numpy() for _, labels in first])
    np.testing.assert_array_equal(
        epoch_one, np.concatenate([labels.numpy() for _, labels in second])
    )
    epoch_two = np.concatenate([labels.numpy() for _, labels in first])
    assert not np.array_equal(epoch_one, epoch_two)


def test_from_array_scales_uint8_and_explicit_ranges():
    pixels = np.array([0, 255, 51], dtype="uint8").reshape(3, 1, 1)
    batch = _first_batch(data.from_array(pixels, batch_size=3, shuffle=False)).numpy()
    np.testing.assert_allclose(batch.ravel(), [-1.0, 1.0, 51 / 127.5 - 1.0], atol=1e-6)
    unit = np.array([0.0, 1.0, 0.25], dtype="float32").reshape(3, 1, 1, 1)
    batch = _first_batch(
        data.from_array(unit, batch_size=3, shuffle=False, value_range=(0, 1))
    )
    np.testing.assert_allclose(batch.numpy().ravel(), [-1.0, 1.0, -0.5], atol=1e-6)


@pytest.mark.parametrize(
    "array,kwargs,message",
    [
        (
            np.full((4, 8, 8, 1), 3.0, "float32"),
            {},
            r"values in \[3, 3\] after scaling; expected \[-1, 1\]",
        ),
        (np.zeros((4, 8, 8), "int64"), {"value_range": (0, 0)}, "high > low"),
        (np.zeros((4, 8, 8), "int16"), {}, "need `value_range"),
        (np.zeros((0, 8, 8, 1), "float32"), {}, "empty"),
        (np.zeros((4,), "float32"), {}, "rank 1"),
        (np.zeros((4, 2, 2, 2, 1), "float32"), {}, "rank 5"),
        (np.zeros((4, 3, 8, 8), "float32"), {}, "channels first"),
        (np.full((4, 8, 8, 1), np.nan, "float32"), {}, "NaN"),
        (
            np.zeros((4, 8, 8, 1), "float32"),
            {"labels": np.zeros(3)},
            r"one entry per example: shape \[4\]",
        ),
        (
            np.zeros((4, 8, 8, 1), "float32"),
            {"batch_size": 5},
            "larger than the dataset's 4 examples",
        ),
        (
            np.zeros((4, 8, 8, 1), "float32"),
            {"batch_size": 0},
            "`batch_size` should be a positive integer",
        ),
    ],
)
def test_bad_arrays_fail_before_training_with_a_clear_message(array, kwargs, message):
    kwargs = {"batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        data.from_array(array, **kwargs)


def test_image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for index in range(6):
        pixels = rng.integers(0, 256, size=(10, 12, 3), dtype="uint8")
        Image.fromarray(pixels).save(tmp_path / f"{index}.png")
    batch = _first_batch(data.load(str(tmp_path), batch_size=4, image_size=16, seed=0))
    assert batch.shape == (4, 16, 16, 3)
    assert -1.0 <= float(batch.numpy().min()) and float(batch.numpy().max()) <= 1.0
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="No usable images in folder"):
        data.load(str(empty))


def test_unknown_names_list_the_built_ins():
    with pytest.raises(ValueError) as error:
        data.load("not_a_dataset_anywhere")
    for name in data.BUILTIN_DATASETS:
        assert name in str(error.value)
    with pytest.raises(ValueError, match="Image folder not found"):
        data.load("./no/such/folder")


def test_tfds_dataset_offline_names_dataset_folder_and_remedy(tmp_path):
    with pytest.raises(data.DatasetUnavailableError) as error:
        data.load("mnist", data_dir=str(tmp_path), download=False)
    message = str(error.value)
    assert "'mnist'" in message and str(tmp_path) in message
    assert "download_and_prepare()" in message and "--data-dir" in message


def test_tfds_download_failure_is_reported_with_what_is_missing(tmp_path, monkeypatch):
    # The real download would retry a missing network for minutes; replace it with the
    # error it ends in, and check what the user is told.
    import tensorflow_datasets as tfds

    def no_network(self, *args, **kwargs):
        raise ConnectionError("Failed to resolve 'storage.googleapis.com'")

    # The quick pre-check of the download host passes (a flaky network).
    monkeypatch.setattr(sources, "_connection_error", lambda host: None)
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", no_network)
    with pytest.raises(data.DatasetUnavailableError) as error:
        data.load("mnist", data_dir=str(tmp_path))
    message = str(error.value)
    assert "downloading it failed" in message and "Failed to resolve" in message
    assert "'mnist'" in message and str(tmp_path) in message


def test_tfds_image_dataset_is_scaled_batched_and_labelled(monkeypatch):
    # tfds's own mock generates examples that follow the dataset's real feature spec;
    # it replaces the download, not the check that the download host answers.
    import tensorflow_datasets as tfds

    monkeypatch.setattr(sources, "_connection_error", lambda host: None)
    with tfds.testing.mock_data(num_examples=20):
        images, labels = _first_batch(
            data.load("mnist", batch_size=8, with_labels=True, seed=0)
        )
        assert images.shape == (8, 28, 28, 1) and labels.shape == (8,)
        assert (
            -1.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0
        )
        assert int(data.load("mnist", batch_size=8).cardinality()) == 20 // 8
        resized = _first_batch(data.load("cifar10", batch_size=4, image_size=16))
        assert resized.shape == (4, 16, 16, 3)
