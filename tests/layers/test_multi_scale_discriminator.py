"""MultiScaleDiscriminator against each discriminator on NumPy-pooled inputs."""

import keras
import numpy as np
import pytest
from keras import ops
from keras_gans.layers.multi_scale_discriminator import MultiScaleDiscriminator
from keras_test_case import TestCase


def random_images(shape, seed=42):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def build_patch_discriminator():
    """A tiny fully convolutional PatchGAN-style discriminator."""
    return keras.Sequential(
        [
            keras.layers.Conv2D(4, 3, strides=2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(1, 3, padding="same"),
        ]
    )


def build_functional_discriminator():
    images = keras.Input((None, None, 2))
    features = keras.layers.Conv2D(3, 2, padding="same", activation="relu")(images)
    logits = keras.layers.Conv2D(1, 1)(features)
    return keras.Model(images, logits)


def build_identity():
    return keras.Sequential([keras.layers.Identity()])


def numpy_pix2pixhd_downsample(images):
    """3x3 average pool, stride 2, padding 1, padding excluded from the count."""
    batch_size, height, width, channels = images.shape
    out_height, out_width = (height + 1) // 2, (width + 1) // 2
    pooled = np.zeros((batch_size, out_height, out_width, channels), "float64")
    for i in range(out_height):
        for j in range(out_width):
            # Window centred on input pixel (2i, 2j): rows 2i-1 .. 2i+1.
            rows = [r for r in range(2 * i - 1, 2 * i + 2) if 0 <= r < height]
            columns = [c for c in range(2 * j - 1, 2 * j + 2) if 0 <= c < width]
            total = np.zeros((batch_size, channels))
            for r in rows:
                for c in columns:
                    total += images[:, r, c, :]
            pooled[:, i, j, :] = total / (len(rows) * len(columns))
    return pooled


class TestMultiScaleDiscriminator(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            MultiScaleDiscriminator,
            {"discriminator_builder": build_patch_discriminator},
            random_images((2, 8, 10, 3)),
            [(2, 4, 5, 1), (2, 2, 3, 1), (2, 1, 2, 1)],
            expected_num_trainable_weights=12,
            expected_num_non_trainable_weights=0,
        )

    def test_layer_harness_functional_discriminators(self):
        self.run_layer_test(
            MultiScaleDiscriminator,
            {"discriminator_builder": build_functional_discriminator, "num_scales": 2},
            random_images((2, 5, 4, 2)),
            [(2, 5, 4, 1), (2, 3, 2, 1)],
            expected_num_trainable_weights=8,
        )

    @pytest.mark.parametrize("shape", [(2, 8, 8, 3), (1, 7, 5, 2)])
    def test_downsampling_matches_pix2pixhd_pooling(self, shape):
        # With identity discriminators the outputs are the pooled images.
        images = random_images(shape)
        outputs = MultiScaleDiscriminator(build_identity, num_scales=3)(images)
        expected = images.astype("float64")
        for scale, output in enumerate(outputs):
            if scale > 0:
                expected = numpy_pix2pixhd_downsample(expected)
            np.testing.assert_allclose(
                ops.convert_to_numpy(output), expected, atol=1e-5
            )

    def test_each_scale_is_its_discriminator_on_pooled_input(self):
        images = random_images((2, 12, 8, 3))
        layer = MultiScaleDiscriminator(build_patch_discriminator)
        outputs = layer(images)
        pooled = images.astype("float64")
        for scale, (output, discriminator) in enumerate(
            zip(outputs, layer.discriminators, strict=True)
        ):
            if scale > 0:
                pooled = numpy_pix2pixhd_downsample(pooled)
            expected = discriminator(pooled.astype("float32"))
            np.testing.assert_allclose(
                ops.convert_to_numpy(output),
                ops.convert_to_numpy(expected),
                atol=1e-5,
            )
        assert [tuple(output.shape) for output in outputs] == [
            (2, 6, 4, 1),
            (2, 3, 2, 1),
            (2, 2, 1, 1),
        ]

    def test_scales_do_not_share_weights(self):
        images = random_images((2, 8, 8, 3))
        layer = MultiScaleDiscriminator(build_patch_discriminator)
        layer(images)
        variables = [
            variable
            for discriminator in layer.discriminators
            for variable in discriminator.weights
        ]
        assert len({id(variable) for variable in variables}) == len(variables) == 12
        assert len(layer.trainable_weights) == 12
        # Changing scale 0's weights changes only scale 0's output.
        before = [ops.convert_to_numpy(output) for output in layer(images)]
        for variable in layer.discriminators[0].weights:
            variable.assign(variable + 0.5)
        after = [ops.convert_to_numpy(output) for output in layer(images)]
        assert not np.allclose(after[0], before[0])
        np.testing.assert_array_equal(after[1], before[1])
        np.testing.assert_array_equal(after[2], before[2])

    def test_builder_that_reuses_a_model_is_rejected(self):
        shared = build_patch_discriminator()
        with pytest.raises(ValueError, match="distinct objects"):
            MultiScaleDiscriminator(lambda: shared)

    def test_discriminators_sharing_a_layer_are_rejected(self):
        shared_convolution = keras.layers.Conv2D(1, 3, padding="same")

        def build_with_shared_layer():
            return keras.Sequential([shared_convolution])

        layer = MultiScaleDiscriminator(build_with_shared_layer, num_scales=2)
        with pytest.raises(ValueError, match="share weights"):
            layer(random_images((1, 4, 4, 3)))

    def test_list_of_discriminators(self):
        discriminators = [build_patch_discriminator() for _ in range(2)]
        layer = MultiScaleDiscriminator(discriminators=discriminators)
        assert layer.num_scales == 2
        outputs = layer(random_images((1, 8, 8, 3)))
        assert [tuple(output.shape) for output in outputs] == [
            (1, 4, 4, 1),
            (1, 2, 2, 1),
        ]

    def test_config_rebuilds_without_the_builder(self):
        images = random_images((2, 8, 8, 3))
        layer = MultiScaleDiscriminator(build_patch_discriminator, num_scales=2)
        outputs = layer(images)
        config = layer.get_config()
        assert "discriminator_builder" not in config
        revived = MultiScaleDiscriminator.from_config(config)
        revived(images)
        revived.set_weights(layer.get_weights())
        for original, restored in zip(outputs, revived(images), strict=True):
            np.testing.assert_allclose(
                ops.convert_to_numpy(restored), ops.convert_to_numpy(original)
            )

    def test_saving_in_a_model(self):
        images = keras.Input((8, 8, 3))
        logits = MultiScaleDiscriminator(build_patch_discriminator)(images)
        model = keras.Model(images, logits)
        restored = self.run_model_saving_test(model, random_images((2, 8, 8, 3)))
        (restored_layer,) = [
            layer
            for layer in restored.layers
            if isinstance(layer, MultiScaleDiscriminator)
        ]
        assert len(restored_layer.discriminators) == 3
        assert len(restored_layer.trainable_weights) == 12

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({}, "exactly one of"),
            (
                {
                    "discriminator_builder": build_patch_discriminator,
                    "discriminators": [build_patch_discriminator()],
                },
                "exactly one of",
            ),
            (
                {"discriminator_builder": build_patch_discriminator, "num_scales": 0},
                "`num_scales=0`",
            ),
            ({"discriminator_builder": "patch"}, "`discriminator_builder=patch`"),
            (
                {"discriminators": [build_identity()], "num_scales": 2},
                "`num_scales=2`",
            ),
            ({"discriminator_builder": lambda: "model"}, "`keras.Model`"),
        ],
    )
    def test_invalid_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            MultiScaleDiscriminator(**kwargs)

    def test_a_layer_instance_is_not_a_builder(self):
        with pytest.raises(ValueError, match="new discriminator on each call"):
            MultiScaleDiscriminator(build_patch_discriminator())

    def test_wrong_rank_is_rejected(self):
        with pytest.raises(ValueError, match=r"4-D input.*\(2, 8, 3\)"):
            MultiScaleDiscriminator(build_identity)(random_images((2, 8, 3)))
