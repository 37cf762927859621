"""Consistency regularisation (CR-GAN / bCR) as a `GAN.compile` step component.

Oracles: the augmentation T against a NumPy reflection-pad-and-slice of each image;
the loss term against `λ mean ‖D(x) - D(T(x))‖²` computed in NumPy from D's outputs
on the NumPy-augmented batch (the flips and shifts drawn as the component draws
them: U[0, 1) < ½ per example, then floor(U[0, 2s + 1)) - s per example and axis);
one step under a two-replica MirroredStrategy against the single-device step.
"""

import os

import keras
import numpy as np
import pytest
from keras_test_case import mirrored_strategy

from keras_gans import GAN
from keras_gans.training import options as step_options
from keras_gans.training.context import StepContext
from keras_gans.tricks.consistency_regularization import (
    ConsistencyRegularization,
    flip_and_translate,
)

pytestmark = pytest.mark.tensorflow_only

SIZE, CHANNELS, LATENT_DIM, BATCH = 8, 1, 4, 6


def _numpy_augment(images, flips, shifts, max_shift):
    s = max_shift
    out = np.empty_like(images)
    for i, image in enumerate(images):
        if flips[i]:
            image = image[:, ::-1]
        padded = np.pad(image, ((s, s), (s, s), (0, 0)), mode="reflect")
        dy, dx = shifts[i]
        out[i] = padded[s + dy : s + dy + SIZE, s + dx : s + dx + SIZE]
    return out


def _images(count=BATCH, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(count, SIZE, SIZE, CHANNELS)).astype("float32")


def _gan(seed=0):
    generator = keras.Sequential(
        [
            keras.Input((LATENT_DIM,)),
            keras.layers.Dense(SIZE * SIZE * CHANNELS, activation="tanh"),
            keras.layers.Reshape((SIZE, SIZE, CHANNELS)),
        ]
    )
    # No batch statistics in D, so the MirroredStrategy split cannot change it.
    discriminator = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, CHANNELS)),
            keras.layers.Conv2D(3, 3, activation="tanh"),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    for model, model_seed in ((generator, seed), (discriminator, seed + 1)):
        rng = np.random.default_rng(model_seed)
        model.set_weights(
            [rng.normal(0, 0.5, w.shape).astype("float32") for w in model.weights]
        )
    return GAN(generator, discriminator, seed=seed)


@pytest.mark.parametrize("max_shift", [0, 1, 2])
def test_flip_and_translate_equals_numpy(max_shift):
    rng = np.random.default_rng(max_shift)
    images = _images()
    flips = rng.uniform(size=BATCH) < 0.5
    shifts = rng.integers(-max_shift, max_shift + 1, size=(BATCH, 2))
    got = np.asarray(flip_and_translate(images, flips, shifts, max_shift))
    np.testing.assert_array_equal(got, _numpy_augment(images, flips, shifts, max_shift))


@pytest.mark.parametrize(
    "real_weight, fake_weight", [(10.0, 0.0), (10.0, 5.0)], ids=["cr", "bcr"]
)
def test_loss_term_equals_numpy(real_weight, fake_weight):
    gan = _gan()
    component = ConsistencyRegularization(real_weight, fake_weight, max_shift=2)
    gan.compile(consistency_regularization=component)
    real, fake = _images(seed=1), _images(seed=2)
    context = StepContext(gan, logs={})
    term = float(
        component.loss_terms(context, "discriminator", real, fake, (None, None))
    )

    # The same draws from a fresh SeedGenerator with the GAN's seed.
    seed = keras.random.SeedGenerator(0)
    expected = 0.0
    for weight, images in ((real_weight, real), (fake_weight, fake)):
        if not weight:
            continue
        flips = np.asarray(keras.random.uniform((BATCH,), seed=seed)) < 0.5
        draws = np.asarray(keras.random.uniform((BATCH, 2), 0.0, 5.0, seed=seed))
        shifts = np.minimum(np.floor(draws).astype(int), 4) - 2
        augmented = _numpy_augment(images, flips, shifts, 2)
        logits = np.asarray(gan.discriminator(images, training=True))
        moved = np.asarray(gan.discriminator(augmented, training=True))
        expected += weight * np.mean(np.sum((logits - moved) ** 2, axis=1))
    assert term == pytest.approx(expected, rel=1e-5)
    assert float(context.logs["consistency"]) == pytest.approx(expected, rel=1e-5)
    # G's loss gets nothing.
    assert component.loss_terms(context, "generator", real, fake, (None, None)) == 0


def test_a_step_logs_the_term_and_the_option_round_trips_through_saving(tmp_path):
    gan = _gan()
    gan.compile(consistency_regularization=10.0)
    history = gan.fit(_images(12), batch_size=BATCH, epochs=1, verbose=0)
    assert history.history["consistency"][0] > 0
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.consistency_regularization.get_config() == {
        "real_weight": 10.0,
        "fake_weight": 0.0,
        "max_shift": None,
    }


def test_the_mirrored_step_equals_the_single_device_step():
    images = _images(8)
    single = _gan()
    single.compile(
        keras.optimizers.SGD(0.1),
        keras.optimizers.SGD(0.1),
        consistency_regularization=ConsistencyRegularization(10.0, 10.0),
    )
    single.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    with mirrored_strategy().scope():
        mirrored = _gan()
        mirrored.compile(
            keras.optimizers.SGD(0.1),
            keras.optimizers.SGD(0.1),
            consistency_regularization=ConsistencyRegularization(10.0, 10.0),
        )
    mirrored.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(single.get_weights(), mirrored.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_bad_input_is_refused_with_what_was_received():
    with pytest.raises(ValueError, match="both 0"):
        ConsistencyRegularization(0.0, 0.0)
    with pytest.raises(ValueError, match="`max_shift=-1`"):
        ConsistencyRegularization(max_shift=-1)
    points = GAN(
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]),
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]),
    )
    with pytest.raises(ValueError, match=r"input shape \(None, 2\)"):
        points.compile(consistency_regularization=10.0)
    with pytest.raises(ValueError, match="Unknown `compile` option 'consistency'"):
        points.compile(consistency=10.0)


def test_the_option_is_registered_with_its_default():
    assert step_options.arguments()["consistency_regularization"] is None
