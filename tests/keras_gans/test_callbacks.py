"""Callbacks: rolling checkpoints keep the newest files and stay loadable."""

import os

import keras
import numpy as np
import pytest

from keras_gans.callbacks import RollingCheckpoint

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
