"""Pseudo-labels (T23, S²GAN-style): k-means on D's features recovers
well-separated clusters (adjusted Rand index 1), the dataset pairs every image with
its label once per epoch, and a ConditionalGAN trains on pseudo-labelled digits."""

import math

import keras
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from keras_gans import data
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
