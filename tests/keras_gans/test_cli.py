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


def test_sample_from_a_missing_run_is_a_clear_error(tmp_path, capsys):
    code = cli.main(["sample", "--model", os.fspath(tmp_path), "--out", "x.png"])
    assert code == 1
    assert "No generator.keras in" in capsys.readouterr().err
