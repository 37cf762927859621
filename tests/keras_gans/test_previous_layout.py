"""`.keras` files saved before the GAN step became step components still load.

The files in `data/` were saved by the library's previous layout (compile options
handled inside `GAN`, `keras_gans.distribution`): a GAN with k D steps, R1 and weight
clipping, label smoothing with flips, instance noise, historical averaging and the
EMA generator; a single-loss GAN with feature matching, WGAN-GP and historical
averaging; an unrolled GAN. Each was saved after one epoch, and the previous layout
then trained it one more epoch (`previous_layout_next_step.npz`): the loaded model,
trained the same epoch by today's code, must reach the same weights, so the options,
the optimizer moments, the averages, the EMA copy and the seed state all carried
over.
"""

import os

import keras
import numpy as np
import pytest

from keras_gans.penalties import R1Penalty, WeightClipping

pytestmark = pytest.mark.tensorflow_only

DATA = os.path.join(os.path.dirname(__file__), "data")
POINTS = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")


def _load(name):
    return keras.saving.load_model(os.path.join(DATA, f"previous_layout_{name}.keras"))


def test_the_options_of_the_previous_layout_are_restored():
    alternating = _load("alternating")
    assert alternating.discriminator_steps == 2
    assert [type(p) for p in alternating.penalties] == [R1Penalty, WeightClipping]
    assert alternating.label_smoothing.get_config()["flip_probability"] == 0.1
    assert alternating.instance_noise.initial_stddev == 0.1
    assert alternating.historical_averaging.weight == 0.01
    assert alternating.ema_generator is not None
    single = _load("single_loss")
    assert single.single_loss and single.generator_loss_weight == 0.5
    assert single.feature_model is not None and single.d_optimizer is None
    unrolled = _load("unrolled")
    assert unrolled.unrolled_steps == 2 and unrolled.unrolled_first_order


@pytest.mark.parametrize("name", ["alternating", "single_loss", "unrolled"])
def test_one_more_epoch_matches_the_previous_layout(name):
    gan = _load(name)
    gan.fit(POINTS, batch_size=8, epochs=1, verbose=0, shuffle=False)
    saved = np.load(os.path.join(DATA, "previous_layout_next_step.npz"))
    expected = [saved[f"{name}_{i}"] for i in range(len(gan.get_weights()))]
    assert len([key for key in saved if key.startswith(f"{name}_")]) == len(expected)
    for got, want in zip(gan.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
