"""The GAN step under `tf.distribute.MirroredStrategy` equals the single-device step."""

import numpy as np
import pytest
from keras_test_case import replica_values

from keras_gans import GAN, architectures, data

pytestmark = pytest.mark.tensorflow_only

GLOBAL_BATCH = 8
TOLERANCE = 1e-5


def _build_gan(image_size, seed):
    generator = architectures.dcgan_generator(
        image_size, 1, latent_dim=16, width=8, seed=seed
    )
    discriminator = architectures.dcgan_discriminator(image_size, 1, width=8, seed=seed)
    return GAN(generator, discriminator, seed=seed)


def _one_step(strategy, loss, images):
    with strategy.scope():
        gan = _build_gan(image_size=8, seed=3)
        gan.compile(loss=loss)
    dataset = data.from_array(images, batch_size=GLOBAL_BATCH, shuffle=False)
    gan.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return gan


@pytest.mark.parametrize("loss", ["non_saturating", "hinge", "least_squares"])
def test_mirrored_step_equals_single_device_step(loss):
    import tensorflow as tf

    images, _ = data.load_arrays("digits", "train")
    images = images[:GLOBAL_BATCH]
    single = _one_step(tf.distribute.get_strategy(), loss, images)
    mirrored = _one_step(
        tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]), loss, images
    )

    largest = 0.0
    for single_variable, mirrored_variable in zip(
        single.variables, mirrored.variables, strict=True
    ):
        assert single_variable.shape == mirrored_variable.shape
        replicas = replica_values(mirrored_variable)
        # Both replicas hold the same value ...
        for replica in replicas[1:]:
            np.testing.assert_array_equal(replica, replicas[0])
        # ... and it equals the single-device value.
        largest = max(
            largest, float(np.max(np.abs(replicas[0] - np.asarray(single_variable))))
        )
    print(f"largest |mirrored - single| over all variables ({loss}): {largest:.3g}")
    assert largest <= TOLERANCE


def test_replicas_draw_different_latents():
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        gan = _build_gan(image_size=8, seed=0)
    single = _build_gan(image_size=8, seed=0)

    @tf.function
    def draw():
        return strategy.run(lambda: gan.sample_latents(4))

    per_replica = strategy.experimental_local_results(draw())
    first, second = (np.asarray(t) for t in per_replica)
    assert not np.allclose(first, second)
    # Together they are the global batch a single device draws from the same seed.
    np.testing.assert_array_equal(
        np.concatenate([first, second]), np.asarray(single.sample_latents(8))
    )
