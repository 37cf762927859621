"""Pseudo-labels from discriminator features (catalogue T23, S²GAN-style).

Lučić et al. 2019 train a conditional GAN without human labels by inferring them:
cluster a (self-supervised) discriminator's representation of the real images with
k-means, and use each image's cluster index as its class. A conditional GAN
(`keras_gans.models.ConditionalGAN`, T18) then trains on `(images, cluster)` pairs,
and its class-conditional machinery (projection D, conditional batch norm) gains
most of the benefit of real labels.

- `kmeans_labels(features, num_clusters, seed)`: scikit-learn's k-means
  (k-means++ initialisation, the best of `KMEANS_INITIALISATIONS` runs), minimising
  `Σ_i min_c ||f_i - μ_c||²`; returns the cluster index of every row.
- `kmeans_pseudo_labels(discriminator, images, num_clusters)`: the same on
  `keras_gans.feature_extraction.discriminator_features` (D's convolution outputs
  max-pooled to 4x4 and concatenated, as DCGAN's feature extractor), or on the
  layers named in `layer_names`.
- `rotation_pretraining(discriminator, images, ...)`: the self-supervised
  representation the paper clusters: D's features trained on real images alone to
  predict which of the 4 rotations was applied (Gidaris et al. 2018, the auxiliary
  task of SS-GAN), through `with_rotation_head` and `rotation_batch` of
  `keras_gans.models.self_supervised_gan`; minimises
  `mean_{x, r} -log softmax(Q_D(x^r))_r` over every image's four rotations.
- `self_supervised_pseudo_labels(discriminator, images, num_clusters, ...)`: the
  two together, the paper's pre-trained clustering approach ("Clustering",
  section 3.1): rotation pre-training, then k-means of the features.
- `pseudo_labelled_dataset(images, labels, batch_size, seed)`: the shuffled,
  batched `(images, labels)` `tf.data` pipeline a `ConditionalGAN` trains on.

The `pseudo-labels` preset (`python -m keras_gans train --preset pseudo-labels`)
runs the whole pipeline: rotation pre-training of a DCGAN discriminator, k-means
into `num_classes` clusters, and a conditional DCGAN on the clusters.

References: Lučić, Tschannen, Ritter, Zhai, Bachem & Gelly 2019, "High-Fidelity
Image Generation With Fewer Labels", https://arxiv.org/abs/1903.02271; Gidaris,
Singh & Komodakis 2018, "Unsupervised Representation Learning by Predicting Image
Rotations", https://arxiv.org/abs/1803.07728
"""

import keras
import numpy as np
import tensorflow as tf
from sklearn.cluster import KMeans

from keras_gans import data
from keras_gans._checks import check_integer
from keras_gans.feature_extraction import discriminator_features
from keras_gans.models.self_supervised_gan import rotation_batch, with_rotation_head

__all__ = [
    "KMEANS_INITIALISATIONS",
    "PRETRAINING_EPOCHS",
    "kmeans_labels",
    "kmeans_pseudo_labels",
    "pseudo_labelled_dataset",
    "rotation_pretraining",
    "self_supervised_pseudo_labels",
]

# k-means runs from different k-means++ initialisations; the lowest inertia wins.
KMEANS_INITIALISATIONS = 10
# Rotation pre-training: passes over the real images (each seen in 4 rotations per
# pass), Adam(1e-3, beta_1=0.5), batches of 64 images (256 rotated images). On the
# 1,437 training digits, 10 passes reach about 90% rotation accuracy.
PRETRAINING_EPOCHS = 10
PRETRAINING_LEARNING_RATE = 1e-3
PRETRAINING_BATCH_SIZE = 64


def _check_num_clusters(num_clusters, num_examples):
    num_clusters = check_integer(num_clusters, "num_clusters", minimum=2)
    if num_clusters > num_examples:
        raise ValueError(
            "`num_clusters` should be an integer >= 2 and at most the number of "
            f"examples ({num_examples}). Received: `num_clusters={num_clusters!r}`."
        )
    return num_clusters


def kmeans_labels(features, num_clusters, seed=0):
    """k-means cluster indices of feature rows: `argmin_c ||f_i - μ_c||²`.

    Args:
        features: `[n, num_features]` features (other ranks are flattened per row).
        num_clusters: The number of clusters k, 2 <= k <= n.
        seed: Seed of the k-means++ initialisations.

    Returns:
        An int32 NumPy array `[n]` of cluster indices in [0, k).

    Example:

    >>> import numpy as np
    >>> features = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> labels = kmeans_labels(features, 2)
    >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
    True
    """
    features = np.asarray(features, dtype="float64")
    if features.ndim < 2 or len(features) == 0:
        raise ValueError(
            "`features` should be a non-empty array [n, num_features]. "
            f"Received: shape={features.shape}."
        )
    features = features.reshape(len(features), -1)  # [n, num_features]
    num_clusters = _check_num_clusters(num_clusters, len(features))
    kmeans = KMeans(
        n_clusters=num_clusters, n_init=KMEANS_INITIALISATIONS, random_state=seed
    )
    return kmeans.fit_predict(features).astype("int32")


def kmeans_pseudo_labels(discriminator, images, num_clusters, seed=0, layer_names=None):
    """Pseudo-labels of `images`: k-means clusters of D's features (S²GAN).

    Args:
        discriminator: A Functional or Sequential `keras.Model` (one or several
            outputs, e.g. an SS-GAN D).
        images: `[n, height, width, channels]` images as D expects them.
        num_clusters: The number of pseudo-classes k, 2 <= k <= n.
        seed: Seed of the k-means++ initialisations.
        layer_names: The layers whose outputs make the features (see
            `discriminator_features`); `None`: every convolution of D.

    Returns:
        An int32 NumPy array `[n]` of pseudo-labels in [0, k).

    Example:

    >>> import numpy as np
    >>> from keras_gans.architectures import dcgan_discriminator
    >>> discriminator = dcgan_discriminator(8, 1, width=4, seed=0)
    >>> images = np.random.default_rng(0).uniform(-1, 1, (6, 8, 8, 1))
    >>> kmeans_pseudo_labels(discriminator, images, num_clusters=2).shape
    (6,)
    """
    features = discriminator_features(discriminator, images, layer_names=layer_names)
    return kmeans_labels(features, num_clusters, seed=seed)


def _check_square_image_batch(images):
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[1] != images.shape[2]:
        raise ValueError(
            "`images` should be square images [n, size, size, channels]. "
            f"Received: shape={images.shape}."
        )
    return images


def rotation_pretraining(
    discriminator,
    images,
    epochs=PRETRAINING_EPOCHS,
    batch_size=PRETRAINING_BATCH_SIZE,
    learning_rate=PRETRAINING_LEARNING_RATE,
    seed=None,
):
    """Trains D's features to predict the rotation of real images, in place.

    A 4-way rotation head (`with_rotation_head`) goes on D's last hidden layer; D's
    layers and the head minimise the rotation cross-entropy of every image in its
    four rotations (0, 90, 180, 270 degrees). D's own output layer is not trained.
    `discriminator` shares its weights with the trained model, so its features
    (`discriminator_features`) are the self-supervised representation afterwards.

    Args:
        discriminator: A Functional `keras.Model` with one image input and one
            output (as `with_rotation_head` takes).
        images: Square images `[n, size, size, channels]` in D's input range.
        epochs: Passes over `images`.
        batch_size: Images per step (each step sees `4 * batch_size` rotations);
            at most `n`.
        learning_rate: Adam's learning rate (beta_1 = 0.5).
        seed: Seeds the head's initialiser and the shuffle.

    Returns:
        The trained rotation classifier, a Functional `keras.Model`
        `images -> [batch, 4]` rotation logits sharing D's layers; its `history`
        (a `keras.callbacks.History`) holds the rotation cross-entropy `loss` and
        the `accuracy` of every epoch.

    Example:

    >>> import numpy as np
    >>> from keras_gans.architectures import dcgan_discriminator
    >>> discriminator = dcgan_discriminator(8, 1, width=4, seed=0)
    >>> images = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1))
    >>> classifier = rotation_pretraining(discriminator, images, epochs=1, batch_size=4)
    >>> tuple(classifier.output_shape), sorted(classifier.history.history)
    ((None, 4), ['accuracy', 'loss'])
    """
    images = _check_square_image_batch(images)
    if check_integer(batch_size, "batch_size") > len(images):
        raise ValueError(
            f"`batch_size` should be an integer in [1, {len(images)}] (the number of "
            f"images). Received: `batch_size={batch_size!r}`."
        )
    with_head = with_rotation_head(discriminator, seed=seed)
    classifier = keras.Model(
        with_head.input, with_head.outputs[1], name="rotation_classifier"
    )
    classifier.compile(
        optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rotations = (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
        .map(rotation_batch)  # ([4 * batch, size, size, channels], [4 * batch])
        .prefetch(tf.data.AUTOTUNE)
    )
    classifier.fit(rotations, epochs=epochs, verbose=0, shuffle=False)
    return classifier


def self_supervised_pseudo_labels(
    discriminator,
    images,
    num_clusters,
    epochs=PRETRAINING_EPOCHS,
    batch_size=PRETRAINING_BATCH_SIZE,
    seed=0,
):
    """Pseudo-labels from a rotation-pre-trained D: the paper's clustering approach.

    `rotation_pretraining` on `images`, then `kmeans_pseudo_labels` on D's
    convolution features of the same images.

    Args:
        discriminator: A Functional D (trained in place; see `rotation_pretraining`).
        images: Square images `[n, size, size, channels]`.
        num_clusters: The number of pseudo-classes k, 2 <= k <= n.
        epochs, batch_size: Of the rotation pre-training.
        seed: Seeds the pre-training and the k-means initialisations.

    Returns:
        `(labels, rotation_classifier)`: int32 pseudo-labels `[n]` in [0, k) and
        the rotation classifier of `rotation_pretraining` (its `history` has the
        pre-training's loss and accuracy).
    """
    images = _check_square_image_batch(images)
    _check_num_clusters(num_clusters, len(images))
    rotation_classifier = rotation_pretraining(
        discriminator, images, epochs=epochs, batch_size=batch_size, seed=seed
    )
    labels = kmeans_pseudo_labels(discriminator, images, num_clusters, seed=seed)
    return labels, rotation_classifier


def pseudo_labelled_dataset(images, labels, batch_size=64, seed=None):
    """The `(images, labels)` pipeline a `ConditionalGAN` trains on.

    Shuffled every epoch (reproducibly for a given `seed`), batched with the last
    incomplete batch dropped, prefetched (`keras_gans.data.from_array`).

    Args:
        images: `[n, height, width, channels]` images in [-1, 1].
        labels: Integer (pseudo-)labels `[n]`.
        batch_size: Examples per batch.
        seed: Shuffle seed.

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches.

    Example:

    >>> import numpy as np
    >>> dataset = pseudo_labelled_dataset(
    ...     np.zeros((8, 4, 4, 1)), np.arange(8) % 2, batch_size=4, seed=0)
    >>> [tuple(part.shape) for part in next(iter(dataset))]
    [(4, 4, 4, 1), (4,)]
    """
    labels = np.asarray(labels)
    if (
        labels.ndim != 1
        or not np.issubdtype(labels.dtype, np.integer)
        or len(labels) != len(images)
        or (len(labels) and labels.min() < 0)
    ):
        raise ValueError(
            "`labels` should be non-negative integers [n], one per image "
            f"({len(images)} images). Received: dtype {labels.dtype}, shape "
            f"{labels.shape}."
        )
    return data.from_array(
        images,
        labels.astype("int32"),
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
    )
