"""The Gumbel-softmax sequence GAN (T21, layer Y13): the Markov data follow their
closed-form marginals, `chain_distances` equals the total variation distances
written out here, the built-in "markov" dataset yields one-hot sequences, the
generator's rows are distributions whose sharpness follows the temperature, a short
run brings the generated per-position class frequencies closer to the data's, and
the `gumbel-markov` preset's run logs the chain distances of its samples."""

import keras
import numpy as np
import pytest
from keras_gans.layers import GumbelSoftmax

from keras_gans import cli, data, plotting, training_run
from keras_gans.architectures.categorical import (
    categorical_discriminator,
    categorical_generator,
)
from keras_gans.callbacks import ChainDistances
from keras_gans.data.markov import chain_distances, markov_chain, markov_sequences
from keras_gans.models import GAN

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
    dataset = data.from_array(sequences, batch_size=64, seed=0, sequences=True).repeat()
    gan.fit(dataset, steps_per_epoch=300, epochs=1, verbose=0, shuffle=False)
    after = _total_variation(gan.generate(2000, seed=1), marginals)
    # Measured: 0.136 at initialisation, 0.080 after 300 steps (data: 0.015).
    assert after < 0.75 * before, (before, after)


def _transition_total_variation(sequences, transition):
    """Σ_c n_c · 1/2 Σ_d |counts[c, d] / n_c - P[c, d]| / Σ_c n_c, by loops."""
    classes = np.asarray(sequences).argmax(axis=-1)
    num_classes = transition.shape[0]
    total, weight = 0.0, 0
    for state in range(num_classes):
        following = [
            row[t + 1]
            for row in classes
            for t in range(len(row) - 1)
            if row[t] == state
        ]
        if not following:
            continue
        frequencies = np.bincount(following, minlength=num_classes) / len(following)
        total += len(following) * 0.5 * np.abs(frequencies - transition[state]).sum()
        weight += len(following)
    return total / weight


def test_chain_distances_equal_the_total_variation_formulas():
    rng = np.random.default_rng(0)
    # Softmax rows of random logits: the argmax classes are what is measured.
    logits = rng.normal(size=(300, LENGTH, NUM_CLASSES))
    relaxed = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    distances = chain_distances(relaxed)
    np.testing.assert_allclose(
        distances["marginal_tv"],
        _total_variation(relaxed, _marginals(LENGTH, NUM_CLASSES)),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        distances["transition_tv"],
        _transition_total_variation(relaxed, _transition(NUM_CLASSES)),
        rtol=1e-12,
    )
    # The chain's own samples are close to 0 (sampling noise only).
    own = chain_distances(markov_sequences(20_000, LENGTH, NUM_CLASSES, seed=3))
    assert own["marginal_tv"] < 0.01 and own["transition_tv"] < 0.01
    with pytest.raises(ValueError, match="length >= 2"):
        chain_distances(np.zeros((4, 1, 3)))


def test_markov_dataset_yields_one_hot_sequences_unscaled():
    batch = next(iter(data.load("markov", batch_size=16, seed=0)))
    assert tuple(batch.shape) == (16, 8, 5)
    np.testing.assert_array_equal(batch.numpy().sum(axis=-1), 1.0)
    assert set(np.unique(batch.numpy())) == {0.0, 1.0}
    sequences, classes = data.load_arrays("markov", "test")
    assert sequences.shape == (10_240, 8, 5)
    np.testing.assert_array_equal(classes, sequences.argmax(axis=-1))
    with pytest.raises(ValueError, match="sequences"):
        data.load("markov", image_size=16)
    with pytest.raises(ValueError, match=r"\[n, length, features\]"):
        data.from_array(np.zeros((4, 2)), sequences=True)


def test_sequence_tiles_put_classes_in_rows_and_positions_in_columns():
    one_hot = np.eye(3)[[[0, 2]]]  # one sequence: class 0, then class 2
    tiles = plotting.sequence_tiles(one_hot)
    assert tiles.shape == (1, 3, 2, 1)
    expected = -np.ones((3, 2))
    expected[0, 0] = expected[2, 1] = 1.0
    np.testing.assert_array_equal(tiles[0, ..., 0], expected)


class _FixedSamples:
    """A stand-in GAN whose `generate` returns given sequences."""

    def __init__(self, sequences):
        self.sequences = sequences
        self.requests = []

    def generate(self, num, seed=None):
        self.requests.append((num, seed))
        return self.sequences[:num]


def test_chain_distances_callback_logs_the_distances_of_generated_sequences():
    sequences = markov_sequences(500, LENGTH, NUM_CLASSES, seed=4)[:, ::-1]
    callback = ChainDistances(num_samples=400, seed=7)
    callback.set_model(_FixedSamples(sequences))
    logs = {"d_loss": 1.0}
    callback.on_epoch_end(0, logs)
    assert callback.model.requests == [(400, 7)]
    expected = chain_distances(sequences[:400])
    assert logs == {"d_loss": 1.0, **expected}
    with pytest.raises(ValueError, match="num_samples"):
        ChainDistances(num_samples=0)


@pytest.mark.tensorflow_only
def test_gumbel_markov_preset_run_logs_samples_and_commands(tmp_path, capsys):
    out = tmp_path / "run"
    gan, history = training_run.train(
        "gumbel-markov", out=str(out), epochs=1, seed=0, verbose=0
    )
    # Straight-through rows: exactly one-hot.
    samples = gan.generate(100, seed=0)
    np.testing.assert_array_equal(np.sort(np.unique(samples)), [0.0, 1.0])
    for name in ("marginal_tv", "transition_tv"):
        assert 0.0 <= history.history[name][-1] <= 1.0, name
    header = (out / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"marginal_tv", "transition_tv"} <= set(header)
    assert (out / "samples" / "final.png").exists()
    assert (out / "metrics.png").exists()
    grid = tmp_path / "sequences.png"
    arguments = ["sample", "--model", str(out), "--num", "16", "--out", str(grid)]
    assert cli.main(arguments) == 0 and grid.exists()
    assert cli.main(["evaluate", "--model", str(out)]) == 1
    assert "chain_distances" in capsys.readouterr().err
