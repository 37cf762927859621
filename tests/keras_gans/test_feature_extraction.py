"""A9 discriminator features against a NumPy max-pool of known conv outputs, layer
selection and errors, and the linear probe on toy features."""

import keras
import numpy as np
import pytest
from keras_gans.layers import SpectralNormalization

from keras_gans.feature_extraction import (
    discriminator_features,
    linear_probe_accuracy,
)


def _random(shape, seed):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape).astype("float32")


def _scaling_convolution(channel_scales, name, strides=1):
    """A 1x1 convolution without bias whose output channel k is `scale_k * x`: its
    output is known in closed form for any one-channel input."""
    convolution = keras.layers.Conv2D(
        len(channel_scales), 1, strides=strides, use_bias=False, name=name
    )
    convolution.build((None, None, None, 1))
    kernel = np.asarray(channel_scales, dtype="float32")[
        np.newaxis, np.newaxis, np.newaxis
    ]
    convolution.kernel.assign(kernel)  # [1, 1, 1, channels]
    return convolution


def _tiny_discriminator(image_size=8):
    """image x -> conv_a: channels (x, -x) -> LeakyReLU(0.2) -> conv_b: 1x1, stride 2,
    kernel of ones (the sum of the two channels) -> flatten -> dense 1."""
    images = keras.Input((image_size, image_size, 1), name="images")
    first = _scaling_convolution([1.0, -1.0], "conv_a")(images)  # [b, s, s, 2]
    hidden = keras.layers.LeakyReLU(0.2, name="leaky_a")(first)
    second = keras.layers.Conv2D(
        1, 1, strides=2, use_bias=False, name="conv_b", kernel_initializer="ones"
    )(hidden)  # [b, s / 2, s / 2, 1]: the sum of the two channels of `hidden`
    flat = keras.layers.Flatten()(second)
    logits = keras.layers.Dense(1, name="logits")(flat)
    return keras.Model(images, logits, name="tiny_discriminator")


def _leaky_relu(x):
    return np.where(x >= 0, x, 0.2 * x)


def _max_pool_oracle(feature_map, pool_size):
    """Adaptive max-pool, one output cell at a time: cell i of an axis of size n > p
    covers [floor(i n / p), ceil((i + 1) n / p)); an axis with n <= p is kept."""
    batch, height, width, channels = feature_map.shape

    def bins(size):
        if size <= pool_size:
            return [(i, i + 1) for i in range(size)]
        return [
            (
                int(np.floor(i * size / pool_size)),
                int(np.ceil((i + 1) * size / pool_size)),
            )
            for i in range(pool_size)
        ]

    row_bins, column_bins = bins(height), bins(width)
    pooled = np.zeros((batch, len(row_bins), len(column_bins), channels))
    for b in range(batch):
        for r, (row_start, row_end) in enumerate(row_bins):
            for c, (column_start, column_end) in enumerate(column_bins):
                for k in range(channels):
                    pooled[b, r, c, k] = max(
                        feature_map[b, i, j, k]
                        for i in range(row_start, row_end)
                        for j in range(column_start, column_end)
                    )
    return pooled.reshape(batch, -1)  # channels-last flattening


def test_features_are_max_pooled_conv_outputs_concatenated():
    images = _random((3, 8, 8, 1), 0)
    conv_a = np.concatenate([images, -images], axis=-1)  # [3, 8, 8, 2]
    conv_b = _leaky_relu(conv_a).sum(axis=-1, keepdims=True)[
        :, ::2, ::2
    ]  # [3, 4, 4, 1]
    expected = np.concatenate(
        [_max_pool_oracle(conv_a, 4), _max_pool_oracle(conv_b, 4)], axis=1
    )
    features = discriminator_features(_tiny_discriminator(), images)
    assert features.shape == (3, 4 * 4 * 2 + 4 * 4 * 1) and features.dtype == np.float32
    np.testing.assert_allclose(features, expected, atol=1e-6)


def test_sizes_that_do_not_divide_use_overlapping_adaptive_bins():
    images = _random((2, 6, 6, 1), 1)  # conv_a is 6x6: bins [0,2) [1,3) [3,5) [4,6)
    conv_a = np.concatenate([images, -images], axis=-1)
    features = discriminator_features(
        _tiny_discriminator(image_size=6), images, layer_names=["conv_a"]
    )
    np.testing.assert_allclose(features, _max_pool_oracle(conv_a, 4), atol=1e-6)


def test_maps_already_at_most_the_pool_size_are_kept_as_they_are():
    images = _random((2, 8, 8, 1), 2)
    conv_b = _leaky_relu(np.concatenate([images, -images], -1)).sum(-1)[:, ::2, ::2]
    features = discriminator_features(
        _tiny_discriminator(), images, pool_size=8, layer_names=["conv_b"]
    )  # conv_b is 4x4 <= 8: not pooled, not padded
    np.testing.assert_allclose(features, conv_b.reshape(2, 16), atol=1e-6)
    features = discriminator_features(
        _tiny_discriminator(), images, pool_size=2, layer_names=["conv_b"]
    )
    np.testing.assert_allclose(
        features, _max_pool_oracle(conv_b[..., np.newaxis], 2), atol=1e-6
    )


def test_layer_names_choose_and_order_the_layers_and_dense_outputs_pass_through():
    discriminator = _tiny_discriminator()
    images = _random((2, 8, 8, 1), 3)
    leaky = _leaky_relu(np.concatenate([images, -images], axis=-1))
    logits = keras.ops.convert_to_numpy(discriminator(images, training=False))
    features = discriminator_features(
        discriminator, images, layer_names=["logits", "leaky_a"]
    )
    assert features.shape == (2, 1 + 4 * 4 * 2)
    np.testing.assert_allclose(features[:, :1], logits, atol=1e-6)
    np.testing.assert_allclose(features[:, 1:], _max_pool_oracle(leaky, 4), atol=1e-6)


def test_features_do_not_depend_on_the_batch_size_and_use_inference_mode():
    images = keras.Input((8, 8, 1))
    hidden = keras.layers.Conv2D(4, 3, padding="same", name="conv")(images)
    hidden = keras.layers.BatchNormalization(name="bn")(hidden)
    hidden = keras.layers.Dropout(0.5)(hidden)
    discriminator = keras.Model(
        images, keras.layers.Dense(1)(keras.layers.Flatten()(hidden))
    )
    batch = _random((5, 8, 8, 1), 4)
    one_at_a_time = discriminator_features(
        discriminator, batch, layer_names=["bn"], batch_size=1
    )
    all_at_once = discriminator_features(discriminator, batch, layer_names=["bn"])
    # Batch statistics or dropout (training mode) would make these differ.
    np.testing.assert_allclose(one_at_a_time, all_at_once, atol=1e-5)


def test_spectrally_normalized_convolutions_are_found():
    images = keras.Input((8, 8, 1))
    hidden = SpectralNormalization(
        keras.layers.Conv2D(3, 3, padding="same"), name="sn"
    )(images)
    hidden = keras.layers.Flatten()(keras.layers.LeakyReLU(0.2)(hidden))
    discriminator = keras.Model(images, keras.layers.Dense(1)(hidden))
    features = discriminator_features(discriminator, _random((2, 8, 8, 1), 5))
    assert features.shape == (2, 4 * 4 * 3)


def test_a_conditional_discriminator_gives_the_features_of_its_image_path():
    images = keras.Input((8, 8, 1), name="images")
    labels = keras.Input((1,), name="labels")
    conv = _scaling_convolution([2.0], "conv")(images)
    joined = keras.layers.Concatenate()(
        [keras.layers.Flatten()(conv), keras.layers.Dense(2)(labels)]
    )
    discriminator = keras.Model([images, labels], keras.layers.Dense(1)(joined))
    batch = _random((2, 8, 8, 1), 6)
    np.testing.assert_allclose(
        discriminator_features(discriminator, batch),
        _max_pool_oracle(2.0 * batch, 4),
        atol=1e-6,
    )


def test_a_discriminator_without_convolutions_needs_layer_names():
    images = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(6, name="hidden")(keras.layers.Flatten()(images))
    discriminator = keras.Model(images, keras.layers.Dense(1)(hidden), name="mlp_d")
    batch = _random((2, 8, 8, 1), 7)
    with pytest.raises(
        ValueError, match="'mlp_d' has no convolution layer.*layer_names"
    ):
        discriminator_features(discriminator, batch)
    assert discriminator_features(
        discriminator, batch, layer_names=["hidden"]
    ).shape == (
        2,
        6,
    )


def test_bad_arguments_raise_clear_errors():
    discriminator = _tiny_discriminator()
    images = _random((2, 8, 8, 1), 8)
    with pytest.raises(ValueError, match=r"does not have: \['nope'\]"):
        discriminator_features(discriminator, images, layer_names=["nope"])
    with pytest.raises(ValueError, match="`pool_size` should be a positive integer"):
        discriminator_features(discriminator, images, pool_size=0)
    with pytest.raises(ValueError, match=r"`images` should have shape \[n, 8, 8, 1\]"):
        discriminator_features(discriminator, _random((2, 16, 16, 1), 9))

    class Subclassed(keras.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError, match="subclassed model has none"):
        discriminator_features(Subclassed(), images)


def test_probe_separates_linearly_separable_classes_perfectly():
    rng = np.random.default_rng(0)
    centres = 10.0 * rng.standard_normal((4, 6))  # four well separated classes
    train_labels = np.repeat(np.arange(4), 15)
    test_labels = np.repeat(np.arange(4), 5)
    train = centres[train_labels] + 0.1 * rng.standard_normal((60, 6))
    test = centres[test_labels] + 0.1 * rng.standard_normal((20, 6))
    assert linear_probe_accuracy(train, train_labels, test, test_labels) == 1.0
    assert linear_probe_accuracy(train, train_labels, test, test_labels, C=0.1) == 1.0


def test_probe_on_features_unrelated_to_the_labels_is_near_chance():
    rng = np.random.default_rng(1)
    train = rng.standard_normal((200, 5))
    test = rng.standard_normal((400, 5))
    accuracy = linear_probe_accuracy(
        train, rng.integers(0, 4, 200), test, rng.integers(0, 4, 400)
    )
    assert accuracy < 0.4  # chance is 0.25


def test_probe_arguments_are_checked():
    features = np.zeros((6, 2))
    labels = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="same number of features"):
        linear_probe_accuracy(features, labels, np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="`test_labels` should be a 1-D array"):
        linear_probe_accuracy(features, labels, features, labels[:4])
    with pytest.raises(ValueError, match="`C` should be a positive number"):
        linear_probe_accuracy(features, labels, features, labels, C=0.0)
    with pytest.raises(ValueError, match="at least 3 training examples per class"):
        linear_probe_accuracy(features[:4], labels[[0, 1, 3, 4]], features, labels)
