"""The Gumbel-softmax sequence GAN (T21, layer Y13): the Markov data follow their
closed-form marginals, the generator's rows are distributions whose sharpness
follows the temperature, and a short run brings the generated per-position class
frequencies closer to the data's."""

import keras
import numpy as np
import pytest

from keras_gans import data
from keras_gans.architectures.categorical import (
    categorical_discriminator,
    categorical_generator,
    markov_chain,
    markov_sequences,
)
from keras_gans.models import GAN
from layers import GumbelSoftmax

LENGTH = 4
NUM_CLASSES = 4


def _transition(num_classes):
    """The chain as the docstring states it, written out independently."""
    transition = np.full((num_classes, num_classes), 0.1 / num_classes)
    for state in range(num_classes):
        transition[state, state] += 0.3
        transition[state, (state + 1) % num_classes] += 0.6
    return transition


def _marginals(length, num_classes):
    """p_t = p_0 P^t with p_0 ∝ (1, 2, ..., K): `[length, K]`."""
    initial = np.arange(1, num_classes + 1) / (num_classes * (num_classes + 1) / 2)
    transition = _transition(num_classes)
    rows = [initial]
    for _ in range(1, length):
        rows.append(rows[-1] @ transition)
    return np.stack(rows)


def _histograms(sequences):
    """Per-position class frequencies of the argmax classes: `[length, K]`."""
    classes = np.asarray(sequences).argmax(axis=-1)
    num_classes = np.asarray(sequences).shape[-1]
    return np.stack(
        [
            np.bincount(classes[:, t], minlength=num_classes) / len(classes)
            for t in range(classes.shape[1])
        ]
    )


def _total_variation(sequences, marginals):
    """Mean over positions of 1/2 Σ_c |frequency - p_t(c)|."""
    return 0.5 * np.abs(_histograms(sequences) - marginals).sum(axis=1).mean()


def test_markov_chain_is_the_documented_chain():
    initial, transition = markov_chain(5)
    np.testing.assert_allclose(initial, np.arange(1, 6) / 15)
    np.testing.assert_allclose(transition, _transition(5))


def test_markov_sequences_are_one_hot_with_the_chains_statistics():
    sequences = markov_sequences(20_000, length=5, num_classes=3, seed=0)
    assert sequences.shape == (20_000, 5, 3) and sequences.dtype == np.float32
    np.testing.assert_array_equal(sequences.sum(axis=-1), 1.0)
    assert set(np.unique(sequences)) == {0.0, 1.0}
    # Per-position marginals within 4 standard errors (sqrt(p(1-p)/n) <= 0.0036).
    np.testing.assert_allclose(_histograms(sequences), _marginals(5, 3), atol=0.015)
    # Empirical transition frequencies.
    classes = sequences.argmax(axis=-1)
    counts = np.zeros((3, 3))
    np.add.at(counts, (classes[:, :-1].ravel(), classes[:, 1:].ravel()), 1)
    np.testing.assert_allclose(
        counts / counts.sum(axis=1, keepdims=True), _transition(3), atol=0.01
    )
    # Repeatable for a seed, different for another.
    np.testing.assert_array_equal(
        markov_sequences(50, 5, 3, seed=1), markov_sequences(50, 5, 3, seed=1)
    )
    assert not np.array_equal(
        markov_sequences(50, 5, 3, seed=1), markov_sequences(50, 5, 3, seed=2)
    )


def test_generator_rows_are_distributions_and_follow_the_temperature():
    latents = np.random.default_rng(0).normal(size=(256, 6)).astype("float32")
    sharpness = {}
    for temperature in (0.05, 50.0):
        generator = categorical_generator(
            6, LENGTH, NUM_CLASSES, hidden_units=(16,), temperature=temperature, seed=0
        )
        layer = generator.get_layer("gumbel_softmax")
        assert isinstance(layer, GumbelSoftmax)
        assert layer.temperature == temperature
        samples = keras.ops.convert_to_numpy(generator(latents))
        assert samples.shape == (256, LENGTH, NUM_CLASSES)
        assert samples.min() >= 0.0
        np.testing.assert_allclose(samples.sum(axis=-1), 1.0, atol=1e-5)
        sharpness[temperature] = samples.max(axis=-1).mean()
    # τ -> 0: one-hot rows; τ -> ∞: uniform rows (max 1/K).
    assert sharpness[0.05] > 0.95
    assert sharpness[50.0] < 1.0 / NUM_CLASSES + 0.05


def test_hard_generator_outputs_exact_one_hot_rows():
    generator = categorical_generator(
        3, LENGTH, NUM_CLASSES, hidden_units=(8,), hard=True
    )
    samples = keras.ops.convert_to_numpy(generator(np.ones((5, 3), "float32")))
    np.testing.assert_array_equal(samples.sum(axis=-1), 1.0)
    assert set(np.unique(samples)) <= {0.0, 1.0}


def test_discriminator_maps_sequences_to_one_logit():
    discriminator = categorical_discriminator(LENGTH, NUM_CLASSES, hidden_units=(8,))
    logits = discriminator(markov_sequences(3, LENGTH, NUM_CLASSES))
    assert tuple(logits.shape) == (3, 1)


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="num_classes"):
        markov_sequences(4, 3, num_classes=1)
    with pytest.raises(ValueError, match="length"):
        markov_sequences(4, 0, num_classes=3)
    with pytest.raises(ValueError, match="hidden_units"):
        categorical_generator(2, 3, 4, hidden_units=())
    with pytest.raises(ValueError, match="temperature"):
        categorical_generator(2, 3, 4, temperature=0.0)


@pytest.mark.tensorflow_only
def test_training_brings_class_frequencies_closer_to_the_data():
    marginals = _marginals(LENGTH, NUM_CLASSES)
    sequences = markov_sequences(2048, LENGTH, NUM_CLASSES, seed=0)
    gan = GAN(
        categorical_generator(
            8, LENGTH, NUM_CLASSES, hidden_units=(32,), temperature=0.5, seed=0
        ),
        categorical_discriminator(LENGTH, NUM_CLASSES, hidden_units=(32,), seed=0),
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    )
    before = _total_variation(gan.generate(2000, seed=1), marginals)
    dataset = data.from_array(sequences, batch_size=64, seed=0).repeat()
    gan.fit(dataset, steps_per_epoch=300, epochs=1, verbose=0, shuffle=False)
    after = _total_variation(gan.generate(2000, seed=1), marginals)
    # Measured: 0.136 at initialisation, 0.080 after 300 steps (data: 0.015).
    assert after < 0.75 * before, (before, after)
