"""The main job: run folder contents, NaN handling with a loadable last checkpoint,
resume."""

import dataclasses
import json
import os

import keras
import numpy as np
import pytest

from keras_gans import presets, training_run
from keras_gans.callbacks import NonFiniteLossError

pytestmark = pytest.mark.tensorflow_only

# The DCGAN preset made small: 8x8 digits, narrow networks, 22 steps per epoch.
TINY = dataclasses.replace(
    presets.get("dcgan"), image_size=None, width=8, latent_dim=16, epochs=2
)


class SimulatedInterruptionError(Exception):
    pass


class InterruptAtEpoch(keras.callbacks.Callback):
    """Simulates a killed process: raises when `epoch` begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise SimulatedInterruptionError()


class PoisonAtEpoch(keras.callbacks.Callback):
    """Simulates divergence: sets a discriminator weight to NaN when `epoch` begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            kernel = self.model.discriminator.trainable_variables[0]
            kernel.assign(np.full(kernel.shape, np.nan, "float32"))


def _generator_weights(path):
    return [w.numpy() for w in training_run.load_generator(path).weights]


def test_run_folder_holds_every_artifact(tmp_path):
    out = tmp_path / "run"
    gan, history = training_run.train(TINY, out=str(out), seed=0, verbose=0)
    samples = sorted(os.listdir(out / "samples"))
    assert samples == [
        "epoch_001.png",
        "epoch_002.png",
        "final.png",
        "interpolation.png",
    ]
    assert sorted(os.listdir(out / "checkpoints")) == [
        "epoch_001.keras",
        "epoch_002.keras",
    ]
    for name in (
        "loss_curves.png",
        "metrics.png",
        "metrics.csv",
        "model.keras",
        "generator.keras",
        "config.json",
    ):
        assert (out / name).exists(), name
    assert os.listdir(out / "tensorboard")
    with open(out / "metrics.csv") as file:
        header = file.readline().strip().split(",")
        assert {"epoch", "d_loss", "g_loss", "real_logits", "fake_logits"} <= set(
            header
        )
        assert {"d_grad_norm", "g_grad_norm", "fid"} <= set(header)
        assert len(file.readlines()) == 2
    config = json.loads((out / "config.json").read_text())
    assert (
        config["dataset"] == "digits"
        and config["seed"] == 0
        and config["steps_per_epoch"] == 22
    )
    # The exported generator is the trained one.
    latents = np.random.default_rng(0).standard_normal((4, 16)).astype("float32")
    exported = training_run.load_generator(str(out))
    np.testing.assert_allclose(
        exported.predict(latents, verbose=0), gan.generator.predict(latents, verbose=0)
    )
    assert len(history.history["d_loss"]) == 2


def test_nan_loss_stops_with_step_and_loss_named_and_keeps_the_last_good_checkpoint(
    tmp_path,
):
    out = tmp_path / "run"
    with pytest.raises(NonFiniteLossError) as error:
        training_run.train(
            TINY, out=str(out), seed=0, verbose=0, extra_callbacks=[PoisonAtEpoch(1)]
        )
    message = str(error.value)
    assert "`d_loss` is nan at epoch 2, step 1" in message
    assert str(out / "checkpoints") in message
    # Nothing was saved from the broken weights: epoch 1's checkpoint is the newest.
    assert sorted(os.listdir(out / "checkpoints")) == ["epoch_001.keras"]
    assert not (out / "model.keras").exists()
    restored = keras.models.load_model(out / "checkpoints" / "epoch_001.keras")
    assert all(np.all(np.isfinite(w.numpy())) for w in restored.weights)
    assert np.all(np.isfinite(restored.generate(4, seed=0)))


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    uninterrupted = tmp_path / "uninterrupted"
    training_run.train(TINY, out=str(uninterrupted), seed=0, verbose=0)

    resumed = tmp_path / "resumed"
    with pytest.raises(SimulatedInterruptionError):
        training_run.train(
            TINY,
            out=str(resumed),
            seed=0,
            verbose=0,
            extra_callbacks=[InterruptAtEpoch(1)],
        )
    assert not (resumed / "model.keras").exists()
    _, history = training_run.train(TINY, out=str(resumed), seed=0, verbose=0)
    assert len(history.history["d_loss"]) == 1  # Only the second epoch ran.

    for a, b in zip(
        _generator_weights(str(uninterrupted)),
        _generator_weights(str(resumed)),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    full = keras.models.load_model(uninterrupted / "model.keras")
    again = keras.models.load_model(resumed / "model.keras")
    for a, b in zip(
        full.discriminator.weights, again.discriminator.weights, strict=True
    ):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Both epochs' rows are in the CSV of the resumed run.
    assert len((resumed / "metrics.csv").read_text().strip().splitlines()) == 3


def test_a_run_killed_between_backups_resumes_from_the_last_one_exactly(tmp_path):
    """20 epochs back up every 2 (epochs // 10): a run killed as epoch 14 begins
    (0-based 13) resumes from the backup after epoch 12, trains epochs 13-20 again,
    and ends with the uninterrupted run's weights."""
    recipe = dataclasses.replace(TINY, epochs=20)
    uninterrupted = tmp_path / "uninterrupted"
    training_run.train(
        recipe, out=str(uninterrupted), seed=0, verbose=0, steps_per_epoch=1
    )
    resumed = tmp_path / "resumed"
    with pytest.raises(SimulatedInterruptionError):
        training_run.train(
            recipe,
            out=str(resumed),
            seed=0,
            verbose=0,
            steps_per_epoch=1,
            extra_callbacks=[InterruptAtEpoch(13)],
        )
    assert sorted(os.listdir(resumed / "checkpoints")) == [
        "epoch_008.keras",
        "epoch_010.keras",
        "epoch_012.keras",
    ]
    _, history = training_run.train(
        recipe, out=str(resumed), seed=0, verbose=0, steps_per_epoch=1
    )
    assert len(history.history["d_loss"]) == 8  # epochs 13 to 20
    for a, b in zip(
        _generator_weights(str(uninterrupted)),
        _generator_weights(str(resumed)),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    rows = (resumed / "metrics.csv").read_text().strip().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == [str(e) for e in range(1, 21)]
