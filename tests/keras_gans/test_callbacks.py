"""Callbacks: rolling checkpoints keep the newest files and stay loadable; the
evaluation callback feeds History, CSVLogger and ModelCheckpoint; the pictures."""

import csv
import math
import os
import types

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import GAN, architectures, data
from keras_gans.callbacks import (
    EvaluateGenerator,
    InterpolationStrips,
    LossCurves,
    MetricCurves,
    MetricsCSV,
    ModeScatter,
    RollingCheckpoint,
    Scheduled,
)
from keras_gans.data.builtin import mixture_means

pytestmark = pytest.mark.tensorflow_only


def test_rolling_checkpoint_keeps_the_newest_files(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    inputs, targets = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    model.fit(
        inputs,
        targets,
        epochs=5,
        verbose=0,
        callbacks=[RollingCheckpoint(str(tmp_path), keep=2)],
    )
    assert sorted(os.listdir(tmp_path)) == ["epoch_004.keras", "epoch_005.keras"]
    restored = keras.models.load_model(tmp_path / "epoch_005.keras")
    np.testing.assert_allclose(
        restored.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    )


def test_rolling_checkpoint_rejects_keep_below_one(tmp_path):
    with pytest.raises(
        ValueError, match="`keep` should be a positive integer. Received: `keep=0`"
    ):
        RollingCheckpoint(str(tmp_path), keep=0)


# --- Evaluation in the logs and the pictures (issue 6) ----------------------------


def _ring_gan(seed=0):
    gan = GAN(
        architectures.mlp_generator(4, 2, hidden_units=(16,), seed=seed),
        architectures.mlp_discriminator(2, hidden_units=(16,), seed=seed),
        seed=seed,
    )
    gan.compile()
    return gan


def _numpy_fid(real, fake):
    """FID from its definition (the oracle; eigenvalues of the product S_r S_f)."""
    covariance_real = np.cov(real, rowvar=False)
    covariance_fake = np.cov(fake, rowvar=False)
    eigenvalues = np.linalg.eigvals(covariance_real @ covariance_fake).real
    return float(
        np.sum((real.mean(axis=0) - fake.mean(axis=0)) ** 2)
        + np.trace(covariance_real + covariance_fake)
        - 2.0 * np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
    )


def test_evaluation_reaches_history_csv_and_model_checkpoint(tmp_path):
    real = data.load_arrays("ring8", "test")[0][:256]
    gan = _ring_gan()
    evaluate = EvaluateGenerator(
        real,
        metrics="fid,modes",
        dataset="ring8",
        num_samples=128,
        every_n_epochs=2,
        seed=11,
    )
    csv_path = tmp_path / "log.csv"
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "best_{epoch:02d}.keras"),
        monitor="fid",
        mode="min",
        save_best_only=True,
    )
    history = gan.fit(
        real,
        epochs=5,
        batch_size=64,
        verbose=0,
        # Before the loggers and the checkpoint, as the docstring says.
        # The checkpoint on the evaluation's schedule (Keras' ModelCheckpoint saves
        # on an epoch whose logs lack the monitored value).
        callbacks=[evaluate, MetricsCSV(str(csv_path)), Scheduled(checkpoint, 2)],
    )
    # First epoch, every 2nd (2, 4) and the last (5); nothing logged at epoch 3.
    assert sorted(evaluate.results_by_epoch) == [1, 2, 4, 5]
    fid = [evaluate.results_by_epoch[epoch]["fid"] for epoch in (1, 2, 4, 5)]
    assert history.history["fid"] == fid
    assert len(history.history["d_loss"]) == 5
    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["epoch"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert rows[2]["fid"] == "" and rows[2]["modes_captured"] == ""
    np.testing.assert_allclose(
        [float(rows[epoch - 1]["fid"]) for epoch in (1, 2, 4, 5)], fid
    )
    assert "high_quality_fraction" in rows[0]
    assert not any(key.startswith("val_") for key in rows[0])
    # ModelCheckpoint saved exactly at the epochs where the FID set a new minimum.
    best, expected = math.inf, []
    for epoch, value in zip((1, 2, 4, 5), fid, strict=True):
        if value < best:
            best, expected = value, [*expected, f"best_{epoch:02d}.keras"]
    saved = sorted(name for name in os.listdir(tmp_path) if name.startswith("best"))
    assert saved == expected and saved[0] == "best_01.keras"
    # The last value is the FID of model.generate(128, seed=11) after training.
    np.testing.assert_allclose(
        fid[-1], _numpy_fid(real, gan.generate(128, seed=11)), rtol=1e-6
    )


def test_evaluate_generator_argument_checks():
    real = np.zeros((16, 2), "float32")
    with pytest.raises(ValueError, match="`every_n_epochs` should be a positive"):
        EvaluateGenerator(real, metrics="fid", every_n_epochs=0)
    with pytest.raises(ValueError, match="one or more of fid, kid, is, pr, modes"):
        EvaluateGenerator(real, metrics="fjd")
    with pytest.raises(ValueError, match="needs class logits"):
        EvaluateGenerator(real, metrics="is", dataset="ring8")


class _PointsModel:
    """A stand-in GAN whose `generate` returns fixed points."""

    def __init__(self, points):
        self.points = np.asarray(points, "float32")

    def generate(self, num_images, seed=None, batch_size=256):
        return self.points[np.arange(num_images) % len(self.points)]


def _colour_fractions(path):
    with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("RGB")).astype("int32")
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    blue_pixels = (blue - red > 60) & (blue > 120)  # tab:blue, alpha-blended
    orange_pixels = (red - blue > 80) & (green > 90)  # tab:orange
    return blue_pixels.mean(), orange_pixels.mean(), pixels.shape


def test_mode_scatter_shows_points_at_the_modes_as_high_quality(tmp_path):
    means = mixture_means("ring8")
    scatter = ModeScatter(str(tmp_path), "ring8", num_samples=80)
    scatter.set_model(_PointsModel(means))  # every mode, exactly
    at_modes = scatter.write("at_modes.png")
    scatter.set_model(_PointsModel(np.zeros((1, 2))))  # the centre: 1 from each mode
    off_modes = scatter.write("off_modes.png")
    blue, orange, shape = _colour_fractions(at_modes)
    assert shape == (500, 500, 3)
    assert blue > 0 and orange == 0  # all within 3 sigma of a mode
    blue, orange, _ = _colour_fractions(off_modes)
    assert orange > 0 and blue == 0  # none within 3 sigma


def test_interpolation_strips_use_the_ema_generator_and_write_tensorboard(tmp_path):
    import tensorflow as tf

    def generator(value):
        inputs = keras.Input((3,))
        # [n, 3] -> [n, 8, 8, 1], constant images of `value` (mean of latents * 0)
        outputs = keras.layers.Dense(
            64,
            kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant(value),
        )(inputs)
        return keras.Model(inputs, keras.layers.Reshape((8, 8, 1))(outputs))

    model = types.SimpleNamespace(generator=generator(1.0), ema_generator=None)
    path = tmp_path / "samples" / "interpolation.png"
    strips = InterpolationStrips(
        str(path), num_rows=3, num_steps=4, tensorboard_dir=str(tmp_path / "tb")
    )
    strips.set_model(model)
    strips.on_epoch_end(0)
    strips.on_train_end()
    with Image.open(path) as image:
        picture = np.asarray(image)
    # 3 rows x 4 steps of 8x8 tiles with 1-pixel gaps, upscaled 6x.
    assert picture.shape == (6 * (3 * 9 + 1), 6 * (4 * 9 + 1))
    assert picture[6, 6] == 255  # a tile of the generator: +1 -> white
    model.ema_generator = generator(-1.0)
    strips.write()
    with Image.open(path) as image:
        picture = np.asarray(image)
    assert picture[6, 6] == 0 and picture[0, 0] == 255  # EMA tiles (-1), white gaps
    (event_file,) = (tmp_path / "tb").iterdir()
    tags = {
        value.tag
        for record in tf.data.TFRecordDataset(str(event_file))
        for value in tf.compat.v1.Event.FromString(record.numpy()).summary.value
    }
    assert "interpolation" in tags


def test_interpolation_rows_follow_the_slerp_path(tmp_path):
    # Linear "generator": image = latents @ W, so each tile is W applied to the
    # slerp latent between the row's two seeded end points (NumPy oracle).
    kernel = np.random.default_rng(0).normal(size=(3, 64)).astype("float32")
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(64, use_bias=False)
    outputs = keras.layers.Reshape((8, 8, 1))(dense(inputs))
    generator = keras.Model(inputs, outputs)
    dense.kernel.assign(kernel / 10.0)
    strips = InterpolationStrips(str(tmp_path / "strip.png"), num_rows=2, num_steps=5)
    latents = strips.latents((3,))
    ends = np.random.default_rng(0).standard_normal((2, 2, 3))
    for row in range(2):
        start, end = ends[row]
        angle = np.arccos(start @ end / np.linalg.norm(start) / np.linalg.norm(end))
        for step, fraction in enumerate(np.linspace(0, 1, 5)):
            expected = (
                np.sin((1 - fraction) * angle) * start + np.sin(fraction * angle) * end
            ) / np.sin(angle)
            np.testing.assert_allclose(latents[row * 5 + step], expected, atol=1e-6)
    strips.set_model(types.SimpleNamespace(generator=generator))
    strips.write()
    assert (tmp_path / "strip.png").exists()


def test_metric_curves_plot_the_evaluated_epochs(tmp_path):
    csv_path, png_path = tmp_path / "metrics.csv", tmp_path / "metrics.png"
    csv_path.write_text(
        "epoch,d_loss,fid,kid,kid_std,precision,recall\n"
        "0,1.0,50.0,0.5,0.1,0.2,0.3\n"
        "1,0.9,nan,nan,nan,nan,nan\n"
        "2,0.8,20.0,0.2,0.05,0.6,0.5\n"
    )
    callback = MetricCurves(str(csv_path), str(png_path))
    callback.on_epoch_end(2)
    with Image.open(png_path) as picture:
        assert picture.size == (1200, 300)  # 3 panels: fid, kid, precision & recall
        assert np.asarray(picture.convert("L")).std() > 10  # not blank
    # Without an evaluation column nothing is drawn.
    csv_path.write_text("epoch,d_loss\n0,1.0\n")
    os.remove(png_path)
    callback.on_epoch_end(0)
    assert not png_path.exists()


class _LogsModel:
    """Stand-in for `fit`: calls a callback's hooks with given logs per epoch."""

    def run(self, callback, epochs_logs, first_epoch=0):
        callback.set_params({"epochs": first_epoch + len(epochs_logs)})
        callback.on_train_begin()
        for epoch, logs in enumerate(epochs_logs, start=first_epoch):
            callback.on_epoch_begin(epoch)
            callback.on_epoch_end(epoch, dict(logs))
        callback.on_train_end()


def test_metrics_csv_columns_appear_when_logged_and_resume_keeps_older_rows(tmp_path):
    path = tmp_path / "metrics.csv"
    _LogsModel().run(
        MetricsCSV(str(path)),
        [{"d_loss": 1.5}, {"d_loss": 1.25, "fid": 40.0}, {"d_loss": 1.0}],
    )
    assert path.read_text().splitlines() == [
        "epoch,d_loss,fid",
        "1,1.5,",
        "2,1.25,40.0",
        "3,1.0,",
    ]
    # A run resumed after epoch 2 (Keras restarts at 0-based epoch 2): the row of
    # the epoch being trained again is replaced, the earlier ones kept.
    _LogsModel().run(
        MetricsCSV(str(path), append=True), [{"d_loss": 0.5, "kid": 2.0}], 2
    )
    assert path.read_text().splitlines() == [
        "epoch,d_loss,fid,kid",
        "1,1.5,,",
        "2,1.25,40.0,",
        "3,0.5,,2.0",
    ]


def test_scheduled_runs_the_epoch_end_on_first_every_nth_and_last_epochs():
    ends = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(epoch + 1)

    _LogsModel().run(Scheduled(Record(), 4), [{}] * 10)
    assert ends == [1, 4, 8, 10]
    ends.clear()
    _LogsModel().run(Scheduled(Record(), 4), [{}] * 5, first_epoch=5)  # resumed
    assert ends == [6, 8, 10]


def test_loss_curves_put_gradient_norms_on_their_own_axes(tmp_path):
    csv_path, png_path = tmp_path / "metrics.csv", tmp_path / "curves.png"
    csv_path.write_text(
        "epoch,d_loss,g_loss,real_logits,d_grad_norm,fid\n"
        "1,1.0,0.5,0.2,150.0,40.0\n"
        "2,0.9,0.6,0.3,175.0,\n"
    )
    LossCurves(str(csv_path), str(png_path)).on_epoch_end(1)
    with Image.open(png_path) as picture:
        assert picture.size == (1200, 400)  # losses | D outputs | gradient norms
        gray = np.asarray(picture.convert("L")).astype("float32")
    # Each third of the picture has a curve of its own (not a blank panel).
    for third in np.array_split(gray, 3, axis=1):
        assert third.std() > 10
