"""The command line: help, name validation, train and sample."""

import os
import subprocess
import sys

import pytest
from PIL import Image

from keras_gans import cli, data, presets
from keras_gans import losses as gan_losses

pytestmark = pytest.mark.tensorflow_only


def test_module_help_lists_presets_datasets_and_losses():
    result = subprocess.run(
        [sys.executable, "-m", "keras_gans", "train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for name in [*presets.PRESETS, *data.BUILTIN_DATASETS, *gan_losses.names()]:
        assert name in result.stdout, name


@pytest.mark.parametrize(
    "arguments,valid_names",
    [
        (["train", "--preset", "nope"], list(presets.PRESETS)),
        (["train", "--loss", "nope"], gan_losses.names()),
    ],
)
def test_unknown_names_list_the_valid_ones(arguments, valid_names, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(arguments)
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "nope" in message
    for name in valid_names:
        assert name in message


def test_unknown_dataset_is_an_error_exit_listing_the_built_ins(tmp_path, capsys):
    code = cli.main(
        ["train", "--dataset", "nope", "--epochs", "1", "--out", str(tmp_path)]
    )
    assert code == 1
    message = capsys.readouterr().err
    assert "Unknown dataset 'nope'" in message
    for name in data.BUILTIN_DATASETS:
        assert name in message


def test_train_then_sample(tmp_path):
    out = tmp_path / "run"
    code = cli.main(
        [
            "train",
            "--epochs",
            "1",
            "--image-size",
            "8",
            "--batch-size",
            "128",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert (out / "generator.keras").exists() and (
        out / "samples" / "final.png"
    ).exists()
    grid = tmp_path / "grid.png"
    assert (
        cli.main(["sample", "--model", str(out), "--num", "16", "--out", str(grid)])
        == 0
    )
    with Image.open(grid) as picture:
        width, height = picture.size
    assert width == height > 8 * 4  # A 4x4 grid of upscaled 8x8 digits.
    assert (
        cli.main(["sample", "--model", str(out / "model.keras"), "--out", str(grid)])
        == 0
    )
    truncated = ["--truncation", "0.5", "--out", str(tmp_path / "truncated.png")]
    assert cli.main(["sample", "--model", str(out), *truncated]) == 0


def test_sample_from_a_missing_run_is_a_clear_error(tmp_path, capsys):
    code = cli.main(["sample", "--model", os.fspath(tmp_path), "--out", "x.png"])
    assert code == 1
    assert "No generator.keras in" in capsys.readouterr().err


# --- evaluate --------------------------------------------------------------------


@pytest.fixture
def saved_run(tmp_path):
    """A run folder holding an untrained (0 steps) small DCGAN for 8x8 digits."""
    import json

    from keras_gans import GAN, architectures

    gan = GAN(
        architectures.dcgan_generator(8, 1, latent_dim=8, width=8, seed=0),
        architectures.dcgan_discriminator(8, 1, width=8, seed=0),
        seed=0,
    )
    gan.compile()
    run = tmp_path / "run"
    run.mkdir()
    gan.save(run / "model.keras")
    (run / "config.json").write_text(json.dumps({"dataset": "digits"}))
    return gan, run


def test_evaluate_prints_the_metrics_and_writes_the_report(saved_run, capsys):
    import json

    from keras_gans import evaluation

    gan, run = saved_run
    code = cli.main(
        [
            "evaluate",
            "--model",
            str(run),
            "--metrics",
            "fid,kid,is,modes",
            "--num-samples",
            "40",
            "--seed",
            "2",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    report = json.loads((run / "evaluation.json").read_text())  # the default path
    assert f"Report: {run / 'evaluation.json'}" in printed
    assert "40 generated vs 360 real samples, seed 2" in printed
    assert report["num_fake_samples"] == 40 and report["seed"] == 2
    for name in ("fid", "kid", "kid_std", "inception_score", "modes_captured"):
        assert name in report["metrics"]
    # The command and the function agree (same model, samples and protocol).
    again = evaluation.evaluate(gan, "digits", "fid", num_samples=40, seed=2)
    assert again["metrics"]["fid"] == pytest.approx(report["metrics"]["fid"])


def test_evaluate_errors_exit_with_code_1(saved_run, capsys, tmp_path):
    _, run = saved_run
    assert cli.main(["evaluate", "--model", str(run), "--metrics", "fid,vibes"]) == 1
    assert "one or more of fid, kid, is, pr, modes" in capsys.readouterr().err
    code = cli.main(
        ["evaluate", "--model", str(run), "--dataset", "cifar10", "--metrics", "modes"]
    )
    assert code == 1
    assert "`modes`) is defined for the 2-D mixtures" in capsys.readouterr().err
    assert cli.main(["evaluate", "--model", str(tmp_path / "nothing")]) == 1
    assert "Model file not found" in capsys.readouterr().err


def test_evaluate_with_inception_offline_names_the_missing_weights(
    saved_run, capsys, monkeypatch, tmp_path
):
    import keras

    from keras_gans.metrics import inception_features

    # What keras.utils.get_file raises on a machine without a network.
    def get_file_offline(fname, origin, **kwargs):
        raise Exception(f"URL fetch failure on {origin}: Name or service not known")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(keras.utils, "get_file", get_file_offline)
    _, run = saved_run
    code = cli.main(["evaluate", "--model", str(run), "--extractor", "inception"])
    assert code == 1
    error = capsys.readouterr().err
    assert inception_features.WEIGHTS_FILE in error
    assert "keras.applications.InceptionV3()" in error
    assert not (run / "evaluation.json").exists()
