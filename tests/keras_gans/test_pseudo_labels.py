"""Pseudo-labels (T23, S²GAN-style): k-means on D's features recovers
well-separated clusters (adjusted Rand index 1); rotation pre-training makes D
predict np.rot90 rotations of held-out digits far above chance and leaves D's output
layer alone; the clusters of the pre-trained D agree with the digits' true classes
(normalised mutual information far above chance); the dataset pairs every image
with its label once per epoch; a ConditionalGAN trains on pseudo-labelled digits;
the `pseudo-labels` preset writes its clusters and trains from them."""

import dataclasses
import json
import math

import keras
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from keras_gans import data, presets, training_run
from keras_gans.architectures import dcgan_discriminator
from keras_gans.architectures.conditional_dcgan import (
    conditional_dcgan_discriminator,
    conditional_dcgan_generator,
)
from keras_gans.models import ConditionalGAN
from keras_gans.pseudo_labels import (
    kmeans_labels,
    kmeans_pseudo_labels,
    pseudo_labelled_dataset,
    rotation_pretraining,
    self_supervised_pseudo_labels,
)

NUM_CLUSTERS = 3


def _clustered_images(per_cluster=20, seed=0):
    """4x4 images around three constant levels, shuffled; and their cluster."""
    rng = np.random.default_rng(seed)
    clusters = rng.permutation(np.repeat(np.arange(NUM_CLUSTERS), per_cluster))
    levels = np.array([-0.8, 0.0, 0.8])[clusters]
    images = levels[:, None, None, None] + rng.normal(0, 0.05, (len(clusters), 4, 4, 1))
    return images.astype("float32"), clusters


def _identity_discriminator():
    """A 1x1 convolution with kernel 1: its pooled 4x4 output is the image."""
    images = keras.Input((4, 4, 1), name="images")
    x = keras.layers.Conv2D(
        1, 1, use_bias=False, kernel_initializer="ones", name="identity"
    )(images)
    x = keras.layers.Flatten()(x)  # [batch, 16]
    logits = keras.layers.Dense(1, name="logits")(x)
    return keras.Model(images, logits, name="discriminator")


def test_kmeans_labels_recover_separated_clusters_up_to_permutation():
    rng = np.random.default_rng(1)
    truth = rng.permutation(np.repeat(np.arange(4), 25))
    centres = rng.normal(0, 10, (4, 6))
    features = centres[truth] + rng.normal(0, 0.1, (100, 6))
    labels = kmeans_labels(features, 4, seed=0)
    assert labels.dtype == np.int32 and set(labels) == {0, 1, 2, 3}
    assert adjusted_rand_score(truth, labels) == 1.0


@pytest.mark.parametrize("layer_names", [None, ["identity"]])
def test_pseudo_labels_of_d_features_recover_the_clusters(layer_names):
    images, clusters = _clustered_images()
    labels = kmeans_pseudo_labels(
        _identity_discriminator(), images, NUM_CLUSTERS, layer_names=layer_names
    )
    assert labels.shape == (len(images),)
    assert adjusted_rand_score(clusters, labels) == 1.0


def test_pseudo_labels_are_repeatable_for_a_seed():
    images, _ = _clustered_images(seed=2)
    discriminator = _identity_discriminator()
    first = kmeans_pseudo_labels(discriminator, images, 5, seed=3)
    second = kmeans_pseudo_labels(discriminator, images, 5, seed=3)
    np.testing.assert_array_equal(first, second)


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="num_clusters"):
        kmeans_labels(np.zeros((5, 2)), 1)
    with pytest.raises(ValueError, match="num_clusters"):
        kmeans_labels(np.zeros((5, 2)), 6)
    with pytest.raises(ValueError, match="features"):
        kmeans_labels(np.zeros(5), 2)
    with pytest.raises(ValueError, match="labels"):
        pseudo_labelled_dataset(np.zeros((4, 4, 4, 1)), np.zeros(3, "int32"), 2)
    with pytest.raises(ValueError, match="labels"):
        pseudo_labelled_dataset(np.zeros((4, 4, 4, 1)), np.zeros(4), 2)


@pytest.mark.tensorflow_only
def test_dataset_pairs_each_image_with_its_label_once_per_epoch():
    count = 12
    # Image i is constant at a value that encodes i; its label is 3 * i.
    values = np.linspace(-1, 1, count).astype("float32")
    images = np.broadcast_to(values[:, None, None, None], (count, 2, 2, 1)).copy()
    labels = 3 * np.arange(count)
    seen = []
    for batch_images, batch_labels in pseudo_labelled_dataset(
        images, labels, batch_size=4, seed=0
    ):
        assert batch_labels.dtype == "int32"
        indices = np.argmin(
            np.abs(batch_images.numpy()[:, 0, 0, 0][:, None] - values), axis=1
        )
        np.testing.assert_array_equal(batch_labels.numpy(), 3 * indices)
        seen += list(indices)
    assert sorted(seen) == list(range(count))


@pytest.mark.tensorflow_only
def test_conditional_gan_trains_on_pseudo_labelled_digits():
    images, _ = data.load_arrays("digits", "train")
    images = images[:64]
    num_clusters = 4
    labels = kmeans_pseudo_labels(
        dcgan_discriminator(8, 1, width=4, seed=0), images, num_clusters
    )
    assert len(np.unique(labels)) == num_clusters
    gan = ConditionalGAN(
        conditional_dcgan_generator(
            8, 1, num_classes=num_clusters, latent_dim=4, width=4, seed=0
        ),
        conditional_dcgan_discriminator(
            8, 1, num_classes=num_clusters, width=4, seed=0
        ),
        num_classes=num_clusters,
        seed=0,
    )
    gan.compile()
    dataset = pseudo_labelled_dataset(images, labels, batch_size=8, seed=0)
    history = gan.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0)
    assert all(math.isfinite(values[-1]) for values in history.history.values())
    assert gan.generate(num_clusters, labels=np.arange(num_clusters)).shape == (
        num_clusters,
        8,
        8,
        1,
    )


# --- Rotation pre-training and the preset (the paper's clustering approach) ----------


def _digits(split):
    return data.load_arrays("digits", split, image_size=16, resize="pad")


@pytest.mark.tensorflow_only
def test_rotation_pretraining_predicts_rotations_of_held_out_digits():
    train_images, _ = _digits("train")
    test_images, _ = _digits("test")
    discriminator = dcgan_discriminator(
        16, 1, width=8, normalization="spectral", seed=0
    )
    output_layer = discriminator.layers[-1]
    before = [w.numpy().copy() for w in output_layer.trainable_weights]
    classifier = rotation_pretraining(
        discriminator, train_images, epochs=3, batch_size=64, seed=0
    )
    # The oracle: NumPy's rot90 of images D never saw, and the argmax.
    turns = np.arange(len(test_images)) % 4
    rotated = np.stack(
        [
            np.rot90(image, k, axes=(0, 1))
            for image, k in zip(test_images, turns, strict=True)
        ]
    )
    predicted = np.argmax(classifier.predict(rotated, verbose=0), axis=1)
    accuracy = float(np.mean(predicted == turns))
    assert accuracy > 0.6, accuracy  # chance: 0.25
    assert len(classifier.history.history["loss"]) == 3
    # The head and D's features were trained; D's own output layer was not.
    for weight, initial in zip(output_layer.trainable_weights, before, strict=True):
        np.testing.assert_array_equal(weight.numpy(), initial)


@pytest.mark.tensorflow_only
def test_clusters_of_the_pretrained_d_follow_the_digit_classes():
    images, labels = _digits("train")
    discriminator = dcgan_discriminator(
        16, 1, width=8, normalization="spectral", seed=0
    )
    clusters, _ = self_supervised_pseudo_labels(
        discriminator, images, 10, epochs=2, seed=0
    )
    assert clusters.shape == labels.shape and set(clusters) == set(range(10))
    # Labels permuted at random score about 0.01; the clusters of D's features
    # recover much of the class structure (about 0.7).
    shuffled = np.random.default_rng(0).permutation(labels)
    assert normalized_mutual_info_score(labels, shuffled) < 0.05
    assert normalized_mutual_info_score(labels, clusters) > 0.5


def test_pretraining_arguments_are_validated():
    discriminator = dcgan_discriminator(8, 1, width=4, seed=0)
    with pytest.raises(ValueError, match="square images"):
        rotation_pretraining(discriminator, np.zeros((4, 8, 6, 1)))
    with pytest.raises(ValueError, match="batch_size"):
        rotation_pretraining(discriminator, np.zeros((4, 8, 8, 1)), batch_size=5)
    with pytest.raises(ValueError, match="num_clusters"):
        self_supervised_pseudo_labels(discriminator, np.zeros((4, 8, 8, 1)), 5)


@pytest.mark.tensorflow_only
def test_pseudo_labels_preset_trains_a_conditional_gan_on_its_clusters(tmp_path):
    out = tmp_path / "run"
    gan, history = training_run.train(
        "pseudo-labels",
        out=str(out),
        epochs=1,
        width=8,
        batch_size=32,
        seed=0,
        verbose=0,
    )
    assert isinstance(gan, ConditionalGAN) and gan.num_classes == 10
    assert all(math.isfinite(values[-1]) for values in history.history.values())
    report = json.loads((out / "pseudo_labels.json").read_text())
    clusters = np.asarray(report["labels"])
    _, labels = _digits("train")
    assert clusters.shape == labels.shape and set(clusters) == set(range(10))
    assert report["nmi_with_labels"] == pytest.approx(
        normalized_mutual_info_score(labels, clusters)
    )
    assert 0.25 < report["rotation_accuracy"] <= 1.0
    assert (out / "samples" / "final.png").exists()


def test_pseudo_labels_need_classes_and_a_built_in_dataset(tmp_path):
    without_classes = dataclasses.replace(
        presets.get("pseudo-labels"), num_classes=None
    )
    with pytest.raises(ValueError, match="num_classes"):
        training_run.train(without_classes, out=str(tmp_path / "a"), verbose=0)
    with pytest.raises(ValueError, match="built-in image dataset"):
        training_run.train(
            "pseudo-labels", out=str(tmp_path / "b"), dataset=str(tmp_path), verbose=0
        )
