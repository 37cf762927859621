"""Bad input fails early with an error that names what was received and what is
expected: through the Python API and through the command line (`error: ...`, exit
code 1), before data is loaded, a run folder is written or metrics are lost."""

import dataclasses
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from PIL import Image

from keras_gans import GAN, ConditionalGAN, architectures, cli, data, presets

pytestmark = pytest.mark.tensorflow_only


def _tiny_gan():
    return GAN(
        architectures.mlp_generator(latent_dim=4, output_dim=2, hidden_units=(4,)),
        architectures.mlp_discriminator(input_dim=2, hidden_units=(4,)),
        seed=0,
    )


def _compile_error(**options):
    with pytest.raises(ValueError) as error:
        _tiny_gan().compile(**options)
    return str(error.value)


# --- a: the preset path rejects what GAN.compile rejects ---------------------------


@pytest.mark.parametrize(
    "flags, options",
    [
        (["--single-loss", "--discriminator-steps", "5"], {"discriminator_steps": 5}),
        (["--single-loss", "--unrolled-steps", "3"], {"unrolled_steps": 3}),
        (["--single-loss", "--penalty", "clip"], {"penalties": ["clip"]}),
    ],
)
def test_single_loss_combinations_fail_on_the_command_line_as_in_compile(
    flags, options, tmp_path, capsys
):
    expected = _compile_error(single_loss=True, **options)
    out = tmp_path / "run"
    code = cli.main(["train", *flags, "--epochs", "1", "--out", str(out)])
    assert code == 1
    assert f"error: {expected}" in capsys.readouterr().err
    assert not out.exists()  # no config.json recording the ignored options


def test_feature_matching_with_unrolled_steps_fails_before_the_run_starts(
    tmp_path, capsys
):
    expected = _compile_error(feature_matching=True, unrolled_steps=2)
    out = tmp_path / "run"
    flags = ["--feature-matching", "--unrolled-steps", "2", "--out", str(out)]
    assert cli.main(["train", *flags]) == 1
    assert f"error: {expected}" in capsys.readouterr().err
    assert not out.exists()


# --- b: the discriminator's output is checked against the losses' contract ---------


class _BatchMean(keras.layers.Layer):
    """Averages over the batch: `[batch, 1]` -> `[1, 1]` (`keepdims`) or `[]`."""

    def __init__(self, keepdims, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = keepdims

    def call(self, inputs):
        if self.keepdims:
            return ops.mean(inputs, axis=0, keepdims=True)
        return ops.mean(inputs)

    def compute_output_shape(self, input_shape):
        return (1, 1) if self.keepdims else ()


def _discriminator(kind):
    points = keras.Input((2,))
    logits = keras.layers.Dense(1)(points)
    if kind == "two outputs":
        return keras.Model(points, [logits, keras.layers.Dense(3)(points)])
    return keras.Model(points, _BatchMean(keepdims=kind == "batch mean")(logits))


@pytest.mark.parametrize(
    "kind, received",
    [
        ("scalar", r"Received logits of shape \(\) for a batch of 8"),
        ("two outputs", r"Received 2 outputs of shapes \[\(8, 1\), \(8, 3\)\]"),
        ("batch mean", r"Received logits of shape \(1, 1\) for a batch of 8"),
    ],
)
@pytest.mark.parametrize("single_loss", [False, True])
def test_a_discriminator_breaking_the_logits_contract_is_named(
    kind, received, single_loss
):
    gan = GAN(
        architectures.mlp_generator(latent_dim=4, output_dim=2, hidden_units=(4,)),
        _discriminator(kind),
        seed=0,
    )
    gan.compile(single_loss=single_loss)
    points = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    with pytest.raises(ValueError, match="one tensor of logits.*" + received):
        gan.fit(data.from_array(points, batch_size=8), epochs=1, verbose=0)


def test_every_model_family_rejects_options_it_would_ignore_before_loading():
    inpainting = dataclasses.replace(
        presets.get("coarse-to-refine"), penalties=("gp",), generator_ema=0.99
    )
    with pytest.raises(
        ValueError, match="Coarse-to-refine inpainting .* no option `penalties`"
    ):
        presets.check(inpainting)
    for name in presets.PRESETS:  # the shipped recipes all pass
        presets.check(presets.get(name))


# --- j, k: batch and image sizes are checked against the recipe before loading -----


def test_a_batch_of_one_is_refused_with_the_reason(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--batch-size", "1", "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "error: `batch_size` should be at least 2: a GAN step compares" in error
    assert "Received: `batch_size=1` (command line: --batch-size)" in error
    assert "diversity" not in error and not out.exists()


def test_an_image_size_the_architecture_cannot_build_fails_at_once(
    tmp_path, capsys, monkeypatch
):
    def no_loading(*args, **kwargs):
        raise AssertionError("the data was loaded before the size was checked")

    monkeypatch.setattr(data, "load", no_loading)
    out = tmp_path / "run"
    assert cli.main(["train", "--image-size", "1000", "--out", str(out)]) == 1
    assert (
        "error: The 'dcgan' architecture (preset 'dcgan') builds images of size 8, "
        "16, 28, 32, 64. Received: `image_size=1000`" in capsys.readouterr().err
    )
    assert not out.exists()


def test_a_batch_mean_discriminator_fails_when_the_batch_size_is_known_late():
    gan = GAN(
        architectures.mlp_generator(latent_dim=4, output_dim=2, hidden_units=(4,)),
        _discriminator("batch mean"),
        seed=0,
    )
    gan.compile()
    points = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    # Without drop_remainder the traced batch size is unknown: checked as it runs.
    batches = tf.data.Dataset.from_tensor_slices(points).batch(8)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match="one tensor of logits.*leading axis is not the batch",
    ):
        gan.fit(batches, epochs=1, verbose=0)


# --- c: labels outside [0, num_classes) ------------------------------------------


def _conditional_gan(num_classes):
    from keras_gans.architectures import conditional_dcgan

    return ConditionalGAN(
        conditional_dcgan.conditional_dcgan_generator(
            8, 1, num_classes=num_classes, latent_dim=4, width=4, seed=0
        ),
        conditional_dcgan.conditional_dcgan_discriminator(
            8, 1, num_classes=num_classes, width=4, seed=0
        ),
        num_classes=num_classes,
        seed=0,
    )


def test_a_conditional_step_fails_on_a_label_outside_its_classes():
    gan = _conditional_gan(num_classes=3)
    gan.compile()
    images = np.zeros((8, 8, 8, 1), "float32")
    labels = np.arange(8, dtype="int32")  # 0..7, but the classes are 0, 1, 2
    # A tf.data pipeline that skips keras_gans.data's checks: the traced step fails.
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"`num_classes=3` takes labels in \[0, 3\)",
    ):
        gan.fit(batches, epochs=1, verbose=0)


def test_the_data_pipeline_refuses_labels_outside_num_classes():
    images = np.zeros((10, 8, 8, 1), "float32")
    with pytest.raises(
        ValueError,
        match=r"integer classes in \[0, 3\).*Received labels in \[0, 9\]: 7 of 10",
    ):
        data.from_array(images, np.arange(10), batch_size=2, num_classes=3)
    with pytest.raises(ValueError, match=r"Received labels in \[0, 9\]"):
        data.load("digits", with_labels=True, num_classes=3)
    data.load("digits", with_labels=True, num_classes=10)  # digits' own classes


def test_a_conditional_preset_on_a_dataset_with_more_classes_fails_before_training(
    tmp_path, capsys
):
    out = tmp_path / "run"
    flags = ["--preset", "cgan", "--dataset", "stacked_digits", "--out", str(out)]
    assert cli.main(["train", *flags]) == 1
    assert (
        r"error: Labels should be integer classes in [0, 10) (`num_classes=10`). "
        "Received labels in [0, 99" in capsys.readouterr().err
    )


# --- i, j: image folders -------------------------------------------------------------


def _image_folder(folder, count, size=8):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        pixels = np.full((size, size, 3), index * 3 % 256, "uint8")
        Image.fromarray(pixels).save(folder / f"{index:03d}.png")
    return folder


def test_a_corrupt_image_in_a_folder_is_named_before_training(tmp_path):
    folder = _image_folder(tmp_path / "images", 6)
    (folder / "002.png").write_bytes((folder / "002.png").read_bytes()[:30])
    (folder / "notes.png").write_text("not an image")
    with pytest.raises(ValueError) as error:
        data.load(str(folder), batch_size=2, image_size=8)
    message = str(error.value)
    assert "2 of the 7 files of image folder" in message
    assert "002.png" in message and "notes.png" in message
    assert "Remove or replace them" in message


def test_a_folder_smaller_than_a_batch_says_so(tmp_path, capsys):
    folder = _image_folder(tmp_path / "images", 5)
    out = tmp_path / "run"
    assert cli.main(["train", "--dataset", str(folder), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert f"Batches of 64 images need at least 64 images; folder '{folder}' " in error
    assert "holds 5" in error and "--batch-size" in error and "cardinality" not in error


def test_a_conditional_preset_on_a_folder_without_class_subfolders_says_so(
    tmp_path, capsys
):
    folder = _image_folder(tmp_path / "images", 70)
    flags = ["--preset", "cgan", "--dataset", str(folder)]
    assert cli.main(["train", *flags, "--out", str(tmp_path / "run")]) == 1
    error = capsys.readouterr().err
    assert "come from class subfolders, and folder" in error
    assert "holds 70 images at its top level" in error and "--preset dcgan" in error
    assert "No images found" not in error


def test_a_folder_with_more_classes_than_the_model_is_refused(tmp_path):
    for label in range(4):
        _image_folder(tmp_path / "images" / f"class_{label}", 2)
    with pytest.raises(ValueError, match="has 4 class subfolders .*`num_classes=3`"):
        data.load(
            str(tmp_path / "images"), batch_size=2, with_labels=True, num_classes=3
        )


# --- k: tensorflow-datasets offline ------------------------------------------------


def test_an_offline_tfds_download_fails_in_seconds_with_the_prepare_command(
    tmp_path, capsys, monkeypatch
):
    import tensorflow_datasets as tfds

    from keras_gans.data import sources

    checked = []

    def unreachable(host, timeout=sources.NETWORK_CHECK_TIMEOUT):
        checked.append(host)
        return "[Errno -3] Temporary failure in name resolution"

    def no_download(self, *args, **kwargs):
        raise AssertionError("tfds tried to download although the host is offline")

    monkeypatch.setattr(sources, "_connection_error", unreachable)
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", no_download)
    for proxy in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    flags = ["--dataset", "mnist", "--data-dir", str(tmp_path / "tfds")]
    assert cli.main(["train", *flags, "--out", str(tmp_path / "run")]) == 1
    error = capsys.readouterr().err
    assert checked == ["storage.googleapis.com"]
    assert "error: The tensorflow-datasets dataset 'mnist' is not prepared" in error
    assert "its download host storage.googleapis.com cannot be reached" in error
    assert "download_and_prepare()" in error and "--data-dir DIR" in error


# --- f: a diverging run ends with an error, not with exit code 0 ----------------


def test_a_diverging_run_stops_with_exit_code_1_and_saves_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    flags = ["--d-lr", "1e6", "--epochs", "2", "--steps-per-epoch", "5"]
    flags += ["--image-size", "8", "--batch-size", "32", "--out", str(out)]
    assert cli.main(["train", *flags]) == 1
    error = capsys.readouterr().err
    assert "error: Training stopped (diverged): `" in error
    assert "beyond ±1e+06, at epoch 1, step" in error
    assert "is a learning rate far too high?" in error
    assert f"The last good checkpoints are in '{out / 'checkpoints'}'" in error
    assert not list(out.rglob("*.keras"))  # no checkpoint or model of the blow-up


# --- g, h: the files that sample and evaluate read and write ----------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A run folder holding an untrained (0 steps) small DCGAN for 8x8 digits."""
    gan = GAN(
        architectures.dcgan_generator(8, 1, latent_dim=8, width=8, seed=0),
        architectures.dcgan_discriminator(8, 1, width=8, seed=0),
        seed=0,
    )
    gan.compile()
    run = tmp_path_factory.mktemp("files") / "run"
    (run / "checkpoints").mkdir(parents=True)
    gan.save(run / "model.keras")
    gan.save(run / "checkpoints" / "epoch_001.keras")
    gan.save_generator(run / "generator.keras")
    (run / "config.json").write_text(json.dumps({"dataset": "digits"}))
    return run


def test_sample_writes_into_the_run_folder_by_default(run_folder, tmp_path, capsys):
    assert cli.main(["sample", "--model", str(run_folder), "--num", "4"]) == 0
    expected = run_folder / "samples" / "sample.png"
    assert expected.exists() and f"Wrote {expected}" in capsys.readouterr().out
    checkpoint = run_folder / "checkpoints" / "epoch_001.keras"
    expected.unlink()
    assert cli.main(["sample", "--model", str(checkpoint), "--num", "4"]) == 0
    assert expected.exists()


def test_sample_into_a_missing_folder_creates_it(run_folder, tmp_path):
    out = tmp_path / "new" / "folder" / "grid.png"
    assert cli.main(["sample", "--model", str(run_folder), "--out", str(out)]) == 0
    assert out.exists()


def test_an_output_path_that_is_a_folder_fails_before_any_work(
    run_folder, tmp_path, capsys, monkeypatch
):
    from keras_gans import evaluation

    def no_work(*args, **kwargs):
        raise AssertionError("the metrics were computed before `out` was checked")

    monkeypatch.setattr(evaluation, "generate_samples", no_work)
    folder = tmp_path / "reports"
    folder.mkdir()
    model = ["--model", str(run_folder)]
    assert cli.main(["evaluate", *model, "--out", str(folder)]) == 1
    error = capsys.readouterr().err
    assert "error: `out` (command line: --out) should be a file path, not the " in error
    assert f"{folder / 'evaluation.json'}" in error
    assert cli.main(["sample", *model, "--out", str(folder)]) == 1
    assert f"not the folder '{folder}'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, contents, words",
    [
        ("model.h5", b"\x89HDF\r\n\x1a\n", "should be a .keras file"),
        ("model.keras", "truncated", "is not a complete .keras archive"),
        ("notes.keras", b"just some text", "is not a complete .keras archive"),
    ],
)
@pytest.mark.parametrize("command", ["sample", "evaluate"])
def test_a_model_file_that_is_not_a_keras_archive_says_what_it_is(
    name, contents, words, command, run_folder, tmp_path, capsys
):
    path = tmp_path / name
    if contents == "truncated":
        whole = (run_folder / "generator.keras").read_bytes()
        contents = whole[: len(whole) // 2]
    path.write_bytes(contents)
    out = str(tmp_path / "out.file")
    assert cli.main([command, "--model", str(path), "--out", out]) == 1
    error = capsys.readouterr().err
    assert words in error and "File not found" not in error
    if name.endswith(".h5"):
        assert ".h5 is the legacy Keras 2 format" in error
