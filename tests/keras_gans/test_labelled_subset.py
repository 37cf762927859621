"""T6 data helper: a balanced seeded label subset of the digits TRAIN split, and
batches in which the label -1 marks exactly the unlabelled examples."""

import numpy as np
import pytest

from keras_gans import data
from keras_gans.data.labelled_subset import labelled_subset, semi_supervised_dataset

pytestmark = pytest.mark.tensorflow_only  # tf.data pipelines


def _digits_train_labels():
    return data.load_arrays("digits", "train")[1]


def test_exactly_n_labels_per_class_and_a_partition_of_the_indices():
    labels = _digits_train_labels()
    labelled, unlabelled = labelled_subset(labels, 10, seed=0)
    np.testing.assert_array_equal(
        np.bincount(labels[labelled], minlength=10), [10] * 10
    )
    assert len(labelled) == 100 and len(unlabelled) == len(labels) - 100
    assert not set(labelled.tolist()) & set(unlabelled.tolist())
    np.testing.assert_array_equal(
        np.sort(np.concatenate([labelled, unlabelled])), np.arange(len(labels))
    )


def test_labelled_images_are_disjoint_from_the_digits_test_split():
    train_images, train_labels = data.load_arrays("digits", "train")
    test_images, _ = data.load_arrays("digits", "test")
    labelled, _ = labelled_subset(train_labels, 20, seed=3)
    test_rows = {image.tobytes() for image in test_images}
    assert not any(train_images[index].tobytes() in test_rows for index in labelled)


def test_the_seed_decides_the_subset():
    labels = _digits_train_labels()
    first, _ = labelled_subset(labels, 10, seed=0)
    again, _ = labelled_subset(labels, 10, seed=0)
    other, _ = labelled_subset(labels, 10, seed=1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # Two random 100-of-1,437 draws share few indices, not the whole set.
    assert len(set(first.tolist()) & set(other.tolist())) < 50


def test_too_many_labels_per_class_names_the_classes_and_their_counts():
    labels = _digits_train_labels()
    counts = np.bincount(labels)
    smallest = int(np.argmin(counts))
    assert np.sum(counts == counts[smallest]) == 1  # one class is the smallest
    with pytest.raises(
        ValueError,
        match=f"some classes have: class {smallest} has {counts[smallest]} examples",
    ):
        labelled_subset(labels, int(counts[smallest]) + 1)
    toy_labels = np.array([0, 0, 0, 1, 2, 2])
    with pytest.raises(ValueError, match="class 1 has 1, class 2 has 2 examples"):
        labelled_subset(toy_labels, 3)


@pytest.mark.parametrize(
    "labels,labels_per_class,message",
    [
        (np.array([0.0, 1.0]), 1, "integer class labels"),
        (np.array([0, -1, 1]), 1, "-1 is reserved"),
        (np.array([0, 1]), 0, "`labels_per_class` should be an integer >= 1"),
    ],
)
def test_bad_labels_and_counts_raise(labels, labels_per_class, message):
    with pytest.raises(ValueError, match=message):
        labelled_subset(labels, labels_per_class)


def _indexed_vectors(labels):
    """Vectors `[n, 1]` holding each example's own index, so a batch row says which
    example it is (vectors are not rescaled)."""
    return np.arange(len(labels), dtype="float32")[:, np.newaxis]


def test_label_minus_one_marks_exactly_the_unlabelled_examples():
    labels = _digits_train_labels()
    labelled, unlabelled = labelled_subset(labels, 10, seed=5)
    dataset = semi_supervised_dataset(
        _indexed_vectors(labels), labels, 10, batch_size=32, seed=5
    )
    seen_unlabelled, seen_labelled = [], []
    for batch_vectors, batch_labels in dataset:
        indices = batch_vectors.numpy()[:, 0].astype("int64")
        batch_labels = batch_labels.numpy()
        hidden = batch_labels == -1
        assert hidden.sum() == 16  # batch_size // 2 unlabelled examples per batch
        assert set(indices[hidden].tolist()) <= set(unlabelled.tolist())
        assert set(indices[~hidden].tolist()) <= set(labelled.tolist())
        np.testing.assert_array_equal(batch_labels[~hidden], labels[indices[~hidden]])
        seen_unlabelled.extend(indices[hidden].tolist())
        seen_labelled.extend(indices[~hidden].tolist())
    # One epoch: every unlabelled example at most once, all but the remainder seen.
    assert len(seen_unlabelled) == len(set(seen_unlabelled))
    assert len(seen_unlabelled) == (len(unlabelled) // 16) * 16
    # The 100 labelled examples are oversampled: all of them, several times each.
    assert set(seen_labelled) == set(labelled.tolist())
    assert len(seen_labelled) == len(seen_unlabelled)


@pytest.mark.parametrize(
    "batch_size,labelled_batch_size,num_replicas",
    [(12, 4, 2), (12, 4, 4), (12, 3, 3), (64, 32, 2), (64, 16, 8)],
)
def test_labelled_examples_are_spread_evenly_over_replica_shares(
    batch_size, labelled_batch_size, num_replicas
):
    labels = _digits_train_labels()
    dataset = semi_supervised_dataset(
        _indexed_vectors(labels),
        labels,
        10,
        batch_size=batch_size,
        labelled_batch_size=labelled_batch_size,
    )
    _, batch_labels = next(iter(dataset))
    is_labelled = batch_labels.numpy() >= 0
    # tf.distribute gives replica r the r-th contiguous share of the batch.
    per_share = is_labelled.reshape(num_replicas, -1).sum(axis=1)
    np.testing.assert_array_equal(
        per_share, [labelled_batch_size // num_replicas] * num_replicas
    )


def test_images_are_scaled_like_from_array_and_the_pipeline_repeats_with_its_seed():
    images, labels = data.load_arrays("digits", "train")
    uint8_images = np.round((images + 1.0) * 127.5).astype("uint8")
    dataset = semi_supervised_dataset(uint8_images, labels, 5, batch_size=64, seed=2)
    assert int(dataset.cardinality()) == (len(labels) - 50) // 32
    first = [(x.numpy(), y.numpy()) for x, y in dataset.take(2)]
    again = semi_supervised_dataset(uint8_images, labels, 5, batch_size=64, seed=2)
    for (x, y), (x_again, y_again) in zip(first, again.take(2), strict=True):
        assert x.dtype == np.float32 and x.shape == (64, 8, 8, 1)
        assert x.min() >= -1.0 and x.max() <= 1.0
        np.testing.assert_array_equal(x, x_again.numpy())
        np.testing.assert_array_equal(y, y_again.numpy())


def test_dataset_arguments_are_checked():
    labels = np.repeat(np.arange(3), 4)
    vectors = np.zeros((12, 2), dtype="float32")
    with pytest.raises(ValueError, match="`labelled_batch_size` should be smaller"):
        semi_supervised_dataset(vectors, labels, 2, batch_size=4, labelled_batch_size=4)
    with pytest.raises(ValueError, match="12 labels"):
        semi_supervised_dataset(vectors[:10], labels, 2, batch_size=4)
    with pytest.raises(ValueError, match="`batch_size` should be an integer >= 2"):
        semi_supervised_dataset(vectors, labels, 2, batch_size=1)
    with pytest.raises(ValueError, match="Only 3 examples are left unlabelled"):
        semi_supervised_dataset(vectors, labels, 3, batch_size=10)
