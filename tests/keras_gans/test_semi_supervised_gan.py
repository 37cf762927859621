"""T6, the semi-supervised K+1 GAN: its losses against the paper's formula written in
NumPy, the identity D(x) = Z / (Z + 1), the classifier that shares D's weights, `fit`
with held-out accuracy, saving, and the distributed step with uneven labels."""

import csv
import dataclasses
import math

import keras
import numpy as np
import pytest
from keras_test_case import mirrored_strategy, replica_values

from keras_gans import data, presets, training_run
from keras_gans.architectures import semi_supervised as networks
from keras_gans.data.labelled_subset import semi_supervised_dataset
from keras_gans.models import SemiSupervisedGAN
from keras_gans.models.semi_supervised_gan import (
    real_logit,
    real_probability,
    supervised_loss,
    unsupervised_discriminator_loss,
)

pytestmark = pytest.mark.tensorflow_only  # GradientTape train step, tf.distribute

NUM_CLASSES = 4
SAMPLE_SHAPE = (6,)
LATENT_DIM = 5
TOLERANCE = 1e-5


# --- The paper's formulas, written out in NumPy -------------------------------------


def _logsumexp(logits):
    largest = np.max(logits, axis=-1, keepdims=True)
    return largest[:, 0] + np.log(np.sum(np.exp(logits - largest), axis=-1))


def _softplus(values):
    return np.logaddexp(0.0, values)


def _numpy_supervised(logits, labels):
    """Cross-entropy of softmax(l) over the labelled rows only."""
    labelled = labels >= 0
    log_softmax = logits - _logsumexp(logits)[:, None]
    return -np.mean(log_softmax[labelled, labels[labelled]])


def _numpy_unsupervised(real_logits, fake_logits):
    """-E log D(x) - E log(1 - D(G(z))) with D = Z / (Z + 1) and Z = Σ exp(l)."""
    real_z = np.sum(np.exp(real_logits.astype("float64")), axis=-1)
    fake_z = np.sum(np.exp(fake_logits.astype("float64")), axis=-1)
    return np.mean(-np.log(real_z / (real_z + 1))) + np.mean(
        -np.log(1 - fake_z / (fake_z + 1))
    )


def _softmax(logits):
    shifted = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
    return shifted / np.sum(shifted, axis=-1, keepdims=True)


def _build(seed=0, noise=True, hidden_units=(12, 8)):
    generator = networks.semi_supervised_generator(
        LATENT_DIM, SAMPLE_SHAPE, hidden_units=(16,), seed=seed
    )
    discriminator = networks.semi_supervised_discriminator(
        SAMPLE_SHAPE,
        NUM_CLASSES,
        hidden_units=hidden_units,
        input_noise_stddev=0.3 if noise else 0.0,
        hidden_noise_stddev=0.5 if noise else 0.0,
        seed=seed,
    )
    gan = SemiSupervisedGAN(generator, discriminator, NUM_CLASSES, seed=seed)
    gan.compile(
        keras.optimizers.Adam(1e-2, beta_1=0.5),
        keras.optimizers.Adam(1e-2, beta_1=0.5),
        feature_layer=networks.FEATURE_LAYER,
    )
    return gan


def _batch(batch_size=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (batch_size, *SAMPLE_SHAPE)).astype("float32")
    labels = np.array([0, -1, 3, -1, 2, -1, -1, 1][:batch_size], dtype="int32")
    return images, labels


# --- The losses ---------------------------------------------------------------------


def test_losses_equal_the_numpy_formula_with_unlabelled_rows():
    rng = np.random.default_rng(0)
    real_logits = rng.normal(0, 2, (7, NUM_CLASSES)).astype("float32")
    fake_logits = rng.normal(0, 2, (5, NUM_CLASSES)).astype("float32")
    labels = np.array([2, -1, 0, -1, -1, 3, 1])
    np.testing.assert_allclose(
        float(supervised_loss(real_logits, labels)),
        _numpy_supervised(real_logits, labels),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        float(unsupervised_discriminator_loss(real_logits, fake_logits)),
        _numpy_unsupervised(real_logits, fake_logits),
        rtol=1e-5,
    )
    # Unlabelled rows have no say in the supervised loss, whatever their logits.
    changed = real_logits.copy()
    changed[labels < 0] += 100.0
    assert float(supervised_loss(changed, labels)) == pytest.approx(
        float(supervised_loss(real_logits, labels)), rel=1e-6
    )
    # A batch without labels has no supervised loss.
    assert float(supervised_loss(real_logits, np.full(7, -1))) == 0.0


def test_the_real_probability_is_z_over_z_plus_one():
    logits = np.random.default_rng(1).normal(0, 3, (16, NUM_CLASSES))
    z = np.sum(np.exp(logits), axis=-1)
    np.testing.assert_allclose(
        real_probability(logits.astype("float32")), z / (z + 1), rtol=1e-5
    )
    np.testing.assert_allclose(
        real_logit(logits.astype("float32")), np.log(z), rtol=1e-5, atol=1e-6
    )


def test_large_logits_stay_finite_with_finite_gradients():
    import tensorflow as tf

    logits = tf.constant(
        [[1e4, 0.0, -5.0, 1.0], [-1e4, -1e4, -1e4, -1e4], [500.0, 500.0, 0.0, 0.0]]
    )
    labels = tf.constant([1, 0, -1])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        losses = [
            supervised_loss(logits, labels),
            unsupervised_discriminator_loss(logits, -logits),
        ]
        total = losses[0] + losses[1]
    gradient = tape.gradient(total, logits).numpy()
    assert all(math.isfinite(float(loss)) for loss in losses)
    assert np.all(np.isfinite(gradient))
    # Row 0 (label 1, class 0 at 1e4): 1e4; row 1 (four equal logits): log 4.
    assert float(losses[0]) == pytest.approx((1e4 + np.log(4)) / 2, rel=1e-6)
    np.testing.assert_allclose(real_probability(logits), [1.0, 0.0, 1.0])


# --- The model ----------------------------------------------------------------------


def test_one_step_logs_the_numpy_formulas_of_its_losses():
    """With the noise off, every logged value is recomputed from the networks: D's
    losses on the step's inputs before the update, G's feature matching with D
    after its update and G before its own."""
    gan = _build(seed=3, noise=False)
    images, labels = _batch()
    generator_weights = gan.generator.get_weights()
    # The step's two latent draws: the same seed gives the same stream.
    latent_stream = keras.random.SeedGenerator(3)
    d_latents = keras.random.normal((8, LATENT_DIM), seed=latent_stream)
    g_latents = keras.random.normal((8, LATENT_DIM), seed=latent_stream)
    fake_images = gan.generator(d_latents, training=True)
    real_logits = keras.ops.convert_to_numpy(gan.discriminator(images))
    fake_logits = keras.ops.convert_to_numpy(gan.discriminator(fake_images))

    logs = gan.train_on_batch(images, labels, return_dict=True)

    supervised = _numpy_supervised(real_logits, labels)
    unsupervised = _numpy_unsupervised(real_logits, fake_logits)
    assert logs["supervised_loss"] == pytest.approx(supervised, rel=1e-5)
    assert logs["unsupervised_loss"] == pytest.approx(unsupervised, rel=1e-5)
    assert logs["d_loss"] == pytest.approx(supervised + unsupervised, rel=1e-5)
    labelled = labels >= 0
    accuracy = np.mean(np.argmax(real_logits[labelled], -1) == labels[labelled])
    assert logs["accuracy"] == pytest.approx(accuracy)

    old_generator = keras.models.clone_model(gan.generator)
    old_generator.set_weights(generator_weights)
    features = keras.Model(
        gan.discriminator.inputs,
        gan.discriminator.get_layer(networks.FEATURE_LAYER).output,
    )
    real_features = keras.ops.convert_to_numpy(features(images))
    fake_features = keras.ops.convert_to_numpy(
        features(old_generator(g_latents, training=True))
    )
    feature_matching = np.sum(
        (real_features.mean(axis=0) - fake_features.mean(axis=0)) ** 2
    )
    assert logs["g_loss"] == pytest.approx(feature_matching, rel=1e-4)


def test_the_classifier_shares_the_discriminators_weights():
    gan = _build()
    images, _ = _batch()
    logits = keras.ops.convert_to_numpy(gan.discriminator(images))
    probabilities = gan.classifier.predict(images, verbose=0)
    np.testing.assert_allclose(probabilities, _softmax(logits), atol=1e-6)
    np.testing.assert_array_equal(np.argmax(probabilities, -1), np.argmax(logits, -1))
    # Changing D changes the classifier the same way.
    layer = gan.discriminator.get_layer("class_logits")
    kernel, bias = layer.get_weights()
    layer.set_weights([-kernel, bias + np.arange(NUM_CLASSES)])
    new_logits = keras.ops.convert_to_numpy(gan.discriminator(images))
    new_probabilities = gan.classifier.predict(images, verbose=0)
    assert not np.allclose(new_probabilities, probabilities)
    np.testing.assert_allclose(new_probabilities, _softmax(new_logits), atol=1e-6)
    assert {id(v) for v in gan.classifier.weights} == {
        id(v) for v in gan.discriminator.weights
    }


def test_fit_on_semi_supervised_digits_logs_val_accuracy_and_saves(tmp_path):
    train_images, train_labels = data.load_arrays("digits", "train")
    test_images, test_labels = data.load_arrays("digits", "test")
    test_images, test_labels = test_images[:40], test_labels[:40]
    generator = networks.semi_supervised_generator(8, (8, 8, 1), hidden_units=(16,))
    discriminator = networks.semi_supervised_discriminator(
        (8, 8, 1), 10, hidden_units=(16, 8), seed=0
    )
    gan = SemiSupervisedGAN(generator, discriminator, 10, seed=0)
    gan.compile(feature_layer=networks.FEATURE_LAYER)
    dataset = semi_supervised_dataset(
        train_images, train_labels, 2, batch_size=16, seed=0
    ).take(2)
    history = gan.fit(
        dataset, epochs=1, validation_data=(test_images, test_labels), verbose=0
    )
    logs = {name: values[-1] for name, values in history.history.items()}
    for name in ("d_loss", "g_loss", "supervised_loss", "unsupervised_loss"):
        assert math.isfinite(logs[name]), logs
    # val_accuracy is the classifier's held-out accuracy (inference mode).
    predicted = np.argmax(gan.classifier.predict(test_images, verbose=0), -1)
    assert logs["val_accuracy"] == pytest.approx(np.mean(predicted == test_labels))
    assert int(gan.g_optimizer.iterations.numpy()) == 2

    path = str(tmp_path / "semi_supervised.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, SemiSupervisedGAN)
    np.testing.assert_array_equal(
        restored.classifier.predict(test_images, verbose=0),
        gan.classifier.predict(test_images, verbose=0),
    )
    assert restored.feature_layer == networks.FEATURE_LAYER
    assert int(restored.d_optimizer.iterations.numpy()) == 2
    # The classifier also saves and loads on its own.
    classifier_path = str(tmp_path / "classifier.keras")
    gan.classifier.save(classifier_path)
    np.testing.assert_array_equal(
        keras.models.load_model(classifier_path).predict(test_images, verbose=0),
        gan.classifier.predict(test_images, verbose=0),
    )


def test_arguments_are_checked():
    gan = _build()
    with pytest.raises(ValueError, match="num_classes"):
        SemiSupervisedGAN(gan.generator, gan.discriminator, NUM_CLASSES + 1)
    with pytest.raises(ValueError, match="unsupervised_weight"):
        gan.compile(unsupervised_weight=-1.0)
    with pytest.raises(ValueError, match="`loss` is not used"):
        gan.compile(loss="hinge")
    images, _ = _batch()
    with pytest.raises(ValueError, match="without labels"):
        gan.train_on_batch(images)
    with pytest.raises(ValueError, match="stddev"):
        networks.ReplicaGaussianNoise(-0.1)


def test_the_paper_sized_networks():
    discriminator = networks.semi_supervised_discriminator(
        (28, 28, 1), 10, hidden_units=networks.PAPER_DISCRIMINATOR_UNITS
    )
    dense = [
        layer.units
        for layer in discriminator.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert dense == [1000, 500, 250, 250, 250, 10]
    noise = [
        layer.stddev
        for layer in discriminator.layers
        if isinstance(layer, networks.ReplicaGaussianNoise)
    ]
    assert noise == [0.3] + [0.5] * 5
    generator = networks.semi_supervised_generator(100, (28, 28, 1))
    outputs = keras.ops.convert_to_numpy(
        generator(np.random.default_rng(0).normal(0, 30, (4, 100)), training=False)
    )
    assert outputs.shape == (4, 28, 28, 1)
    assert np.all(np.abs(outputs) <= 1.0)


# --- The preset and the run folder ---------------------------------------------------


def test_the_preset_builds_the_papers_recipe_and_rejects_other_options():
    preset = presets.get("semi-supervised")
    assert (preset.dataset, preset.labels_per_class, preset.latent_dim) == (
        "digits",
        10,
        100,
    )
    gan = presets.build_gan(preset, (8, 8, 1), seed=0)
    assert isinstance(gan, SemiSupervisedGAN) and gan.num_classes == 10
    assert gan.feature_layer == networks.FEATURE_LAYER
    assert float(gan.d_optimizer.beta_1) == 0.5
    # --width 1000 is the paper's 1000-500-250-250-250 discriminator.
    wide = presets.build_gan(dataclasses.replace(preset, width=1000), (8, 8, 1))
    units = [
        layer.units
        for layer in wide.discriminator.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert units == [1000, 500, 250, 250, 250, 10]
    with pytest.raises(ValueError, match="no option `loss`"):
        presets.build_gan(dataclasses.replace(preset, loss="hinge"), (8, 8, 1))


def test_a_run_folder_logs_the_held_out_accuracy_and_keeps_the_classifier(
    tmp_path,
):
    tiny = dataclasses.replace(
        presets.get("semi-supervised"), width=40, latent_dim=8, epochs=1
    )
    out = tmp_path / "run"
    training_run.train(tiny, out=str(out), seed=0, verbose=0)
    with open(out / "metrics.csv") as file:
        (row,) = list(csv.DictReader(file))
    # The logged accuracy is the saved classifier's on the digits test split.
    test_images, test_labels = data.load_arrays("digits", "test")
    classifier = keras.models.load_model(out / "classifier.keras")
    predicted = np.argmax(classifier.predict(test_images, verbose=0), axis=-1)
    assert float(row["val_accuracy"]) == pytest.approx(
        np.mean(predicted == test_labels)
    )
    assert math.isfinite(float(row["supervised_loss"]))


# --- tf.distribute ------------------------------------------------------------------


def _one_distributed_step(strategy, images, labels):
    import tensorflow as tf

    with strategy.scope():
        gan = _build(seed=7)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(len(images))
    history = gan.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return gan, {name: values[-1] for name, values in history.history.items()}


def test_mirrored_step_equals_single_device_step_with_uneven_labels():
    import tensorflow as tf

    images, _ = _batch()
    # Replica 0 gets rows 0-3 (three labelled), replica 1 rows 4-7 (one labelled).
    labels = np.array([0, 3, 2, -1, -1, -1, 1, -1], dtype="int32")
    single, single_logs = _one_distributed_step(
        tf.distribute.get_strategy(), images, labels
    )
    mirrored, mirrored_logs = _one_distributed_step(mirrored_strategy(), images, labels)
    largest = 0.0
    for single_variable, mirrored_variable in zip(
        single.variables, mirrored.variables, strict=True
    ):
        replicas = replica_values(mirrored_variable)
        for replica in replicas[1:]:
            np.testing.assert_array_equal(replica, replicas[0])
        largest = max(
            largest, float(np.max(np.abs(replicas[0] - np.asarray(single_variable))))
        )
    assert largest <= TOLERANCE
    for name, value in single_logs.items():
        assert mirrored_logs[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name


def test_replicas_draw_independent_noise_that_makes_up_the_global_draw():
    import tensorflow as tf

    strategy = mirrored_strategy()
    with strategy.scope():
        layer = networks.ReplicaGaussianNoise(0.5, seed=4)
    single = networks.ReplicaGaussianNoise(0.5, seed=4)
    zeros = np.zeros((8, 3), dtype="float32")

    @tf.function
    def noise(replica_zeros):
        return layer(replica_zeros, training=True)

    per_replica = strategy.experimental_local_results(
        strategy.run(noise, args=(zeros[:4],))
    )
    first, second = (np.asarray(values) for values in per_replica)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(
        np.concatenate([first, second]),
        keras.ops.convert_to_numpy(single(zeros, training=True)),
        atol=1e-6,
    )
