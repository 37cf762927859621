"""Every preset of the command line, run as a user runs it: `python -m keras_gans
train` in a fresh process with all its callbacks and its run folder, at a budget of
two epochs of two batches, then `sample` and `evaluate` on the folder it wrote."""

import csv
import os
import subprocess
import sys

import pytest

from keras_gans import cli, presets

pytestmark = pytest.mark.tensorflow_only

EPOCHS = 2
STEPS_PER_EPOCH = 2
# Presets whose samples the sample metrics do not measure, with the measure their
# run logs instead.
NO_SAMPLE_METRICS = {
    "coarse-to-refine": "val_hole_l1",
    "gumbel-markov": "transition_tv",
}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _train(out, preset):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_gans",
            "train",
            "--preset",
            preset,
            "--epochs",
            str(EPOCHS),
            "--steps-per-epoch",
            str(STEPS_PER_EPOCH),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        # The user's environment: no TF_CPP_MIN_LOG_LEVEL of the test run's own.
        env={
            **{k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"},
            "PYTHONPATH": ROOT,
        },
    )


@pytest.mark.parametrize("preset", list(presets.PRESETS))
def test_preset_trains_samples_and_evaluates_from_the_command_line(
    tmp_path, preset, capsys
):
    out = tmp_path / "run"
    result = _train(out, preset)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # Quiet, honest output: one line per epoch (no progress-bar redraws when the
    # output is not a terminal) and no TensorFlow start-up or C++ log lines.
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("Epoch ")] == [
        f"Epoch {epoch}/{EPOCHS}" for epoch in range(1, EPOCHS + 1)
    ]
    assert "\r" not in result.stdout and "\x08" not in result.stdout
    assert len(result.stdout) < 4_000, result.stdout
    for noise in ("cuda", "oneDNN", "NodeDef", "absl", "Traceback"):
        assert noise not in result.stderr, result.stderr
    # What stderr holds is the failure detector's one-line warnings.
    for line in result.stderr.splitlines():
        assert line.startswith("warning: "), result.stderr
    # The run folder.
    for name in ("config.json", "model.keras", "generator.keras", "loss_curves.png"):
        assert (out / name).is_file(), name
    samples = sorted(os.listdir(out / "samples"))
    assert "final.png" in samples and "epoch_001.png" in samples
    assert f"epoch_{EPOCHS:03d}.png" in samples
    with open(out / "metrics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["epoch"] for row in rows] == [str(e) for e in range(1, EPOCHS + 1)]
    for column in rows[0]:
        cells = [row[column] for row in rows]
        assert any(cells), f"column {column!r} is empty on every epoch"
        # The only NaN a run logs is a value undefined for its samples: the KL of
        # the mode histogram when no sample lies within 3 sigma of a mode (M5).
        if column != "mode_kl":
            assert "nan" not in cells, f"column {column!r}: {cells}"

    sample_path = out / "grid.png"
    assert cli.main(["sample", "--model", str(out), "--out", str(sample_path)]) == 0
    assert sample_path.is_file()
    capsys.readouterr()
    status = cli.main(["evaluate", "--model", str(out), "--num-samples", "64"])
    if preset in NO_SAMPLE_METRICS:
        # Refused with the reason and where the run logged its own measure.
        assert status == 1
        assert NO_SAMPLE_METRICS[preset] in capsys.readouterr().err
    else:
        assert status == 0
        assert (out / "evaluation.json").is_file()
