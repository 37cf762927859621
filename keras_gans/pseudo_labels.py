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
- `pseudo_labelled_dataset(images, labels, batch_size, seed)`: the shuffled,
  batched `(images, labels)` `tf.data` pipeline a `ConditionalGAN` trains on.

An SS-GAN discriminator (`keras_gans.models.self_supervised_gan`) trained first is
the paper's choice of feature extractor; any Functional D works here.

Reference: Lučić, Tschannen, Ritter, Zhai, Bachem & Gelly 2019, "High-Fidelity
Image Generation With Fewer Labels", https://arxiv.org/abs/1903.02271
"""

import numpy as np
from sklearn.cluster import KMeans

from keras_gans import data
from keras_gans.feature_extraction import discriminator_features

__all__ = [
    "KMEANS_INITIALISATIONS",
    "kmeans_labels",
    "kmeans_pseudo_labels",
    "pseudo_labelled_dataset",
]

# k-means runs from different k-means++ initialisations; the lowest inertia wins.
KMEANS_INITIALISATIONS = 10


def _check_num_clusters(num_clusters, num_examples):
    if (
        isinstance(num_clusters, bool)
        or not isinstance(num_clusters, (int, np.integer))
        or not 2 <= num_clusters <= num_examples
    ):
        raise ValueError(
            "`num_clusters` should be an integer >= 2 and at most the number of "
            f"examples ({num_examples}). Received: `num_clusters={num_clusters!r}`."
        )
    return int(num_clusters)


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
