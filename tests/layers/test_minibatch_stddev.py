"""MinibatchStdDev against a NumPy loop over StyleGAN2's definition."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.minibatch_stddev import MinibatchStdDev
from keras_test_case import TestCase


def minibatch_stddev_loop(inputs, group_size, num_channels):
    """StyleGAN2's minibatch stddev, one sample and one channel group at a time.

    Sample i is grouped with every j such that j = i (mod batch / group size).
    """
    inputs = inputs.astype("float64")
    batch_size, channels = inputs.shape[0], inputs.shape[-1]
    group_size = min(group_size, batch_size)
    num_groups = batch_size // group_size
    channels_per_group = channels // num_channels
    added = np.zeros((*inputs.shape[:-1], num_channels))
    for i in range(batch_size):
        members = [j for j in range(batch_size) if j % num_groups == i % num_groups]
        assert len(members) == group_size
        for f in range(num_channels):
            channel_slice = slice(f * channels_per_group, (f + 1) * channels_per_group)
            group = inputs[members][..., channel_slice]
            mean = sum(group[m] for m in range(group_size)) / group_size
            variance = (
                sum((group[m] - mean) ** 2 for m in range(group_size)) / group_size
            )
            added[i, ..., f] = np.mean(np.sqrt(variance + 1e-8))
    return np.concatenate([inputs, added], axis=-1)


class TestMinibatchStdDev(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            MinibatchStdDev,
            {"group_size": 4, "num_channels": 2},
            np.random.default_rng(0).normal(size=(8, 3, 3, 4)).astype("float32"),
            (8, 3, 3, 6),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
        )

    @pytest.mark.parametrize(
        "shape, group_size, num_channels",
        [
            ((8, 3, 3, 4), 4, 1),
            ((8, 2, 3, 6), 2, 3),
            ((6, 4, 4, 2), 3, 2),
            ((4, 5), 2, 1),
        ],
    )
    def test_matches_numpy_loop(self, shape, group_size, num_channels):
        inputs = np.random.default_rng(1).normal(size=shape).astype("float32")
        # Different scales per sample, so that the groups' deviations differ.
        inputs *= np.arange(1, shape[0] + 1).reshape(-1, *([1] * (len(shape) - 1)))
        layer = MinibatchStdDev(group_size=group_size, num_channels=num_channels)
        expected = minibatch_stddev_loop(inputs, group_size, num_channels)
        added = expected[..., shape[-1] :]
        assert np.ptp(added) > 0.1, "oracle features do not tell the groups apart"
        np.testing.assert_allclose(
            ops.convert_to_numpy(layer(inputs)), expected, rtol=1e-5, atol=1e-6
        )

    def test_group_size_is_clamped_to_a_smaller_batch(self):
        inputs = np.random.default_rng(2).normal(size=(3, 2, 2, 2)).astype("float32")
        output = ops.convert_to_numpy(MinibatchStdDev(group_size=4)(inputs))
        np.testing.assert_allclose(
            output, minibatch_stddev_loop(inputs, 3, 1), rtol=1e-5, atol=1e-6
        )
        # One group of all 3 samples: every sample gets the same feature.
        np.testing.assert_allclose(output[..., -1], output[0, 0, 0, -1], atol=1e-6)

    def test_identical_samples_give_the_epsilon_floor(self):
        inputs = np.repeat(
            np.random.default_rng(3).normal(size=(1, 2, 2, 3)), 4, axis=0
        ).astype("float32")
        output = ops.convert_to_numpy(MinibatchStdDev(group_size=4)(inputs))
        np.testing.assert_allclose(output[..., -1], np.sqrt(1e-8), rtol=1e-3)

    def test_batch_not_divisible_by_group_size_is_rejected(self):
        layer = MinibatchStdDev(group_size=4)
        with pytest.raises(ValueError, match=r"batch size \(6\).*= 4.*group_size=4"):
            layer(np.ones((6, 2, 2, 1), "float32"))

    def test_channels_not_divisible_by_num_channels_are_rejected(self):
        layer = MinibatchStdDev(group_size=2, num_channels=2)
        with pytest.raises(ValueError, match=r"channels \(3\).*num_channels=2"):
            layer(np.ones((4, 2, 2, 3), "float32"))

    def test_rank_one_input_is_rejected(self):
        with pytest.raises(ValueError, match="rank 2 or more"):
            MinibatchStdDev().compute_output_shape((4,))

    @pytest.mark.parametrize(
        "arguments, received",
        [
            ({"group_size": 0}, "group_size=0"),
            ({"group_size": 2.0}, "group_size=2.0"),
            ({"num_channels": -1}, "num_channels=-1"),
        ],
    )
    def test_bad_arguments_are_rejected(self, arguments, received):
        with pytest.raises(ValueError, match=f"Received: `{received}`"):
            MinibatchStdDev(**arguments)

    def test_unknown_batch_in_a_model(self):
        # Functional model with an unknown batch: the group size is clamped at
        # run time, for a batch of 8 (groups of 4) and a batch of 2 (clamped).
        inputs = keras.Input((2, 2, 3))
        model = keras.Model(inputs, MinibatchStdDev(group_size=4)(inputs))
        for batch_size in (8, 2):
            data = (
                np.random.default_rng(batch_size)
                .normal(size=(batch_size, 2, 2, 3))
                .astype("float32")
            )
            output = model.predict(data, batch_size=batch_size, verbose=0)
            np.testing.assert_allclose(
                output, minibatch_stddev_loop(data, 4, 1), rtol=1e-5, atol=1e-6
            )

    def test_model_saving(self):
        inputs = keras.Input((2, 2, 3))
        hidden = MinibatchStdDev(group_size=2)(inputs)
        model = keras.Model(inputs, keras.layers.Conv2D(2, 1)(hidden))
        data = np.random.default_rng(4).normal(size=(4, 2, 2, 3)).astype("float32")
        self.run_model_saving_test(model, data)
