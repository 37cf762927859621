"""The run folder survives failures: nothing non-finite is saved, a finished run is
not overwritten, a resume keeps its settings, a broken backup falls back to the
newest good checkpoint, writes are atomic, and bad `out` paths or failed starts
leave clear errors and no debris."""

import dataclasses
import hashlib
import json
import os
import shutil
import sys

import keras
import numpy as np
import pytest

from keras_gans import cli, presets, run_folder, training_run
from keras_gans.callbacks import (
    AtomicBackupAndRestore,
    NonFiniteLossError,
    RollingCheckpoint,
)
from keras_gans.run_folder import RunFolder, RunFolderError

pytestmark = pytest.mark.tensorflow_only

# The DCGAN preset made small: 8x8 digits, narrow networks, 5 steps per epoch.
TINY = dataclasses.replace(
    presets.get("dcgan"), image_size=None, width=8, latent_dim=16, epochs=2
)
STEPS = 5


def _train(out, **kwargs):
    return training_run.train(
        TINY, out=str(out), seed=0, verbose=0, steps_per_epoch=STEPS, **kwargs
    )


class SimulatedInterruptionError(Exception):
    pass


class InterruptAtEpoch(keras.callbacks.Callback):
    """Simulates a killed process: raises when `epoch` (0-based) begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise SimulatedInterruptionError()


def _discriminator_kernel(model):
    return model.discriminator.trainable_variables[0]


def _discriminator_optimizer_slot(model):
    return next(v for v in model.d_optimizer.variables if len(v.shape) > 0)


def _set_nan(variable):
    variable.assign(np.full(variable.shape, np.nan, variable.dtype))


class BreakAfterLastBatch(keras.callbacks.Callback):
    """An update that breaks a variable on the last batch of `epoch` (0-based): the
    loss of that step, computed before the update, is still finite."""

    def __init__(self, epoch, select):
        super().__init__()
        self.epoch = epoch
        self.select = select
        self._epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._epoch == self.epoch and batch == self.params["steps"] - 1:
            assert all(np.isfinite(value) for value in logs.values())
            _set_nan(self.select(self.model))


class BreakAtTrainEnd(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        _set_nan(self.model.generator.trainable_variables[0])


def _state(model):
    """Every number a resume restores: the weights, both optimizers, the latent seed
    state."""
    variables = [
        *model.weights,
        *model.d_optimizer.variables,
        *model.g_optimizer.variables,
        model.seed_generator.state,
    ]
    return [keras.ops.convert_to_numpy(v) for v in variables]


class RecordStateAtTrainBegin(keras.callbacks.Callback):
    """Records `_state` when `fit` starts, after the backup was restored."""

    def on_train_begin(self, logs=None):
        self.state = _state(self.model)


def _hashes(folder):
    """{relative path: SHA-256} of every file under `folder`."""
    hashes = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                hashes[os.path.relpath(path, folder)] = hashlib.sha256(
                    file.read()
                ).hexdigest()
    return hashes


def _truncate(path):
    with open(path, "r+b") as file:
        file.truncate(os.path.getsize(path) // 2)


def _generator_weights(folder):
    return [w.numpy() for w in training_run.load_generator(str(folder)).weights]


# --- Non-finite weights are never saved ---------------------------------------------


@pytest.mark.parametrize(
    "select", [_discriminator_kernel, _discriminator_optimizer_slot]
)
def test_weights_broken_by_the_last_batch_of_an_epoch_are_never_saved(tmp_path, select):
    out = tmp_path / "run"
    with pytest.raises(NonFiniteLossError) as error:
        _train(out, extra_callbacks=[BreakAfterLastBatch(1, select)])
    message = str(error.value)
    assert "hold NaN or Inf at the end of epoch 2" in message
    assert "nothing was saved" in message
    newest = str(out / "checkpoints" / "epoch_001.keras")
    assert f"The newest good checkpoint is {newest!r}." in message
    assert os.listdir(out / "checkpoints") == ["epoch_001.keras"]
    assert not (out / "model.keras").exists()
    assert not (out / "generator.keras").exists()
    metadata = json.loads((out / "backup" / "training_metadata.json").read_text())
    assert metadata["epoch"] == 1
    # The backup is epoch 1's good state: a plain re-run resumes and finishes.
    _, history = _train(out)
    assert len(history.history["d_loss"]) == 1
    model = keras.models.load_model(out / "model.keras")
    assert all(np.all(np.isfinite(value)) for value in _state(model))


def test_weights_broken_after_the_last_epoch_are_not_saved_as_the_final_models(
    tmp_path,
):
    out = tmp_path / "run"
    with pytest.raises(NonFiniteLossError, match="hold NaN or Inf after training"):
        _train(out, extra_callbacks=[BreakAtTrainEnd()])
    assert not (out / "model.keras").exists()
    assert not (out / "generator.keras").exists()
    assert sorted(os.listdir(out / "checkpoints")) == [
        "epoch_001.keras",
        "epoch_002.keras",
    ]
    assert (out / "backup" / "training_metadata.json").exists()  # Resumable.


# --- A finished run is not overwritten ----------------------------------------------


def test_rerun_in_a_finished_folder_is_refused_unless_overwrite(tmp_path, monkeypatch):
    out = tmp_path / "run"
    _train(out)
    assert not (out / "backup").exists()
    before = _hashes(out)

    def no_loading(*args, **kwargs):
        raise AssertionError("data loaded before the run folder was checked")

    with monkeypatch.context() as patch:
        patch.setattr(training_run.data, "load", no_loading)
        with pytest.raises(RunFolderError) as error:
            _train(out, epochs=1)
    message = str(error.value)
    assert f"The run folder {str(out)!r} holds a finished run" in message
    assert "--overwrite" in message and "another --out" in message
    assert _hashes(out) == before  # Every file's bytes unchanged.

    (out / "notes.txt").write_text("mine")
    _, history = _train(out, epochs=1, overwrite=True)
    assert len(history.history["d_loss"]) == 1
    assert os.listdir(out / "checkpoints") == ["epoch_001.keras"]
    assert "epoch_002.png" not in os.listdir(out / "samples")
    assert len((out / "metrics.csv").read_text().strip().splitlines()) == 2
    assert json.loads((out / "config.json").read_text())["epochs"] == 1
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "backup").exists()


def _finished_folder(path):
    """A folder as a finished run leaves it (the files the checks look at)."""
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"epochs": 2}))
    (path / "model.keras").write_bytes(b"model")
    return path


def test_cli_refuses_a_finished_folder_on_a_line_of_its_own(
    tmp_path, capsys, monkeypatch
):
    out = _finished_folder(tmp_path / "run")
    before = _hashes(out)
    code = cli.main(["train", "--out", str(out), "--epochs", "1"])
    error = capsys.readouterr().err
    assert code == 1
    assert error.startswith("error: The run folder") and "--overwrite" in error
    assert _hashes(out) == before

    class Terminal:
        """A standard output that is a terminal (where a progress bar may be)."""

        def isatty(self):
            return True

        def write(self, text):
            return len(text)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", Terminal())
    cli.main(["train", "--out", str(out)])
    assert capsys.readouterr().err.startswith("\nerror: The run folder")


def test_cli_overwrite_flag_reaches_train(monkeypatch):
    received = {}

    def fake_train(**kwargs):
        received.update(kwargs)
        return None, None

    monkeypatch.setattr(training_run, "train", fake_train)
    assert cli.main(["train", "--out", "somewhere", "--overwrite"]) == 0
    assert received["overwrite"] is True
    assert cli.main(["train", "--out", "somewhere"]) == 0
    assert received["overwrite"] is False


# --- A resume keeps the interrupted run's settings ----------------------------------


def test_resume_with_other_settings_is_refused_and_epochs_may_grow(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(SimulatedInterruptionError):
        _train(out, extra_callbacks=[InterruptAtEpoch(1)])
    before = _hashes(out)
    with pytest.raises(RunFolderError) as error:
        training_run.train(
            TINY,
            out=str(out),
            seed=1,
            verbose=0,
            steps_per_epoch=STEPS,
            batch_size=32,
            d_learning_rate=1e-3,
        )
    message = str(error.value)
    assert "holds an unfinished run (1 of 2 epochs finished)" in message
    assert f"  batch_size: saved {TINY.batch_size}, requested 32" in message
    assert (
        f"  d_learning_rate: saved {TINY.d_learning_rate}, requested 0.001" in message
    )
    assert "  seed: saved 0, requested 1" in message
    assert message.count("\n  ") == 3  # Only the differing fields.
    assert "--overwrite" in message and "another --out" in message
    assert _hashes(out) == before

    # The data is counted later: another steps_per_epoch is refused before `fit`.
    with pytest.raises(RunFolderError, match="steps_per_epoch: saved 5, requested 4"):
        training_run.train(TINY, out=str(out), seed=0, verbose=0, steps_per_epoch=4)
    assert _hashes(out) == before

    _, history = _train(out, epochs=3)  # Extends the unfinished run.
    assert len(history.history["d_loss"]) == 2
    assert json.loads((out / "config.json").read_text())["epochs"] == 3
    assert sorted(os.listdir(out / "checkpoints")) == [
        "epoch_001.keras",
        "epoch_002.keras",
        "epoch_003.keras",
    ]


def _unfinished_folder(path, finished_epochs, **config):
    """A folder as an interrupted run leaves it (the files the checks read)."""
    (path / "backup").mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"epochs": 6, **config}))
    (path / "backup" / "training_metadata.json").write_text(
        json.dumps({"epoch": finished_epochs, "batch": 0})
    )
    return path


def test_resume_epochs_may_change_but_not_below_the_finished_ones(tmp_path):
    folder = _unfinished_folder(tmp_path / "run", 3, penalties=["gp"])
    # A tuple is saved as a JSON list: the same setting.
    for epochs in (3, 4, 10):
        RunFolder(str(folder)).prepare({"epochs": epochs, "penalties": ("gp",)})
    with pytest.raises(
        RunFolderError, match=r"epochs: saved 6, requested 2 \(fewer than the 3"
    ):
        RunFolder(str(folder)).prepare({"epochs": 2, "penalties": ("gp",)})


def test_resume_keeps_the_epochs_of_a_schedule_over_the_run(tmp_path):
    folder = _unfinished_folder(tmp_path / "run", 1, instance_noise=0.1)
    RunFolder(str(folder)).prepare({"epochs": 6, "instance_noise": 0.1})
    with pytest.raises(RunFolderError, match="instance noise or progressive growing"):
        RunFolder(str(folder)).prepare({"epochs": 8, "instance_noise": 0.1})


# --- A broken backup falls back to the newest good checkpoint -----------------------


def test_truncated_backup_resumes_from_the_newest_good_checkpoint(tmp_path, capsys):
    uninterrupted = tmp_path / "uninterrupted"
    _train(uninterrupted)
    out = tmp_path / "run"
    with pytest.raises(SimulatedInterruptionError):
        _train(out, extra_callbacks=[InterruptAtEpoch(1)])
    nothing_good = tmp_path / "nothing_good"
    shutil.copytree(out, nothing_good)

    _truncate(out / "backup" / "latest.weights.h5")
    checkpoint = out / "checkpoints" / "epoch_001.keras"
    expected = _state(keras.models.load_model(checkpoint))
    recorder = RecordStateAtTrainBegin()
    capsys.readouterr()
    _, history = _train(out, extra_callbacks=[recorder])
    stderr = capsys.readouterr().err
    assert f"The backup in {str(out / 'backup')!r} cannot be restored" in stderr
    assert f"Resuming from the newest good checkpoint, {str(checkpoint)!r}" in stderr
    for restored, saved in zip(recorder.state, expected, strict=True):
        np.testing.assert_array_equal(restored, saved)
    assert len(history.history["d_loss"]) == 1  # Only epoch 2 ran...
    # ... on epoch 2's batches: the same weights as the uninterrupted run.
    for a, b in zip(
        _generator_weights(uninterrupted), _generator_weights(out), strict=True
    ):
        np.testing.assert_array_equal(a, b)

    _truncate(nothing_good / "backup" / "latest.weights.h5")
    _truncate(nothing_good / "checkpoints" / "epoch_001.keras")
    with pytest.raises(RunFolderError) as error:
        _train(nothing_good)
    message = str(error.value)
    assert "its backup cannot be restored" in message
    assert "no checkpoint in" in message and "epoch_001.keras: " in message
    assert "--overwrite" in message


def test_backup_whose_weights_differ_from_its_metadata_is_not_restored(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    backup = tmp_path / "run" / "backup"
    run_folder.write_backup(model, str(backup), epoch=1)
    metadata = json.loads((backup / "training_metadata.json").read_text())
    metadata["weights_sha256"] = "0" * 64  # As if a kill came between the renames.
    (backup / "training_metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(RunFolderError, match="SHA-256 differs"):
        RunFolder(str(tmp_path / "run")).restore(model)


# --- Writes are atomic --------------------------------------------------------------


def _small_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _fail_midway(filepath, *args, **kwargs):
    """A save killed mid-write: part of the file, then an error."""
    with open(filepath, "wb") as file:
        file.write(b"half a file")
    raise OSError("No space left on device")


def test_checkpoint_write_that_fails_midway_leaves_no_file(tmp_path, monkeypatch):
    model = _small_model()
    checkpoint = RollingCheckpoint(str(tmp_path))
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {})
    monkeypatch.setattr(model, "save", _fail_midway)
    with pytest.raises(OSError, match="No space left"):
        checkpoint.on_epoch_end(1, {})
    assert os.listdir(tmp_path) == ["epoch_001.keras"]
    keras.models.load_model(tmp_path / "epoch_001.keras")


def test_backup_write_that_fails_midway_leaves_the_previous_backup(
    tmp_path, monkeypatch
):
    model = _small_model()
    backup = AtomicBackupAndRestore(str(tmp_path))
    backup.set_model(model)
    backup.on_epoch_end(0, {})
    before = _hashes(tmp_path)
    monkeypatch.setattr(model, "save_weights", _fail_midway)
    with pytest.raises(OSError, match="No space left"):
        backup.on_epoch_end(1, {})
    assert _hashes(tmp_path) == before


def test_rolling_checkpoints_are_ordered_by_epoch_number(tmp_path):
    for epoch in (998, 999, 1000, 1001):
        (tmp_path / f"epoch_{epoch:03d}.keras").write_bytes(b"")
    assert [os.path.basename(p) for p in run_folder.checkpoint_paths(tmp_path)] == [
        "epoch_998.keras",
        "epoch_999.keras",
        "epoch_1000.keras",
        "epoch_1001.keras",
    ]


# --- Bad `out` paths and failed starts ----------------------------------------------


def test_out_that_is_a_file_is_refused_before_loading_anything(tmp_path, monkeypatch):
    path = tmp_path / "notes.txt"
    path.write_text("mine")

    def no_loading(*args, **kwargs):
        raise AssertionError("data loaded before the run folder was checked")

    monkeypatch.setattr(training_run.data, "load", no_loading)
    with pytest.raises(
        RunFolderError, match=r"`out` should be a folder .* which is a file"
    ):
        _train(path)
    with pytest.raises(RunFolderError, match="inside the file"):
        _train(path / "run")
    assert path.read_text() == "mine"


def test_out_under_proc_is_refused_with_the_reason():
    with pytest.raises(
        RunFolderError,
        match=r"`out` should be a folder that this process can write in\. Received: "
        r"`out='/proc/keras-gans-run'`; creating a file in '/proc' fails",
    ):
        _train("/proc/keras-gans-run")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes in read-only folders",
)
def test_read_only_out_is_refused(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(RunFolderError, match="Permission denied"):
            _train(folder / "run")
    finally:
        folder.chmod(0o755)


def test_a_run_that_fails_before_loading_its_data_leaves_no_folder(tmp_path):
    empty = tmp_path / "no-images"
    empty.mkdir()
    with pytest.raises(ValueError):
        _train(tmp_path / "new" / "run", dataset=str(empty))
    assert sorted(os.listdir(tmp_path)) == ["no-images"]


class PoisonAtEpochBegin(keras.callbacks.Callback):
    """Simulates divergence: a NaN discriminator weight when `epoch` begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            _set_nan(_discriminator_kernel(self.model))


def test_a_run_that_fails_in_its_first_epoch_removes_only_what_it_created(tmp_path):
    with pytest.raises(NonFiniteLossError, match="No checkpoint was saved"):
        _train(tmp_path / "new" / "run", extra_callbacks=[PoisonAtEpochBegin(0)])
    assert not (tmp_path / "new").exists()

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    with pytest.raises(NonFiniteLossError):
        _train(existing, extra_callbacks=[PoisonAtEpochBegin(0)])
    assert os.listdir(existing) == ["notes.txt"]
    assert (existing / "notes.txt").read_text() == "mine"
