"""A discriminator built from the drop-in layers learns a separable toy problem.

The data are two Gaussian blobs of 4x4x1 images (each pixel of class k is
drawn around a fixed random image of that class); the discriminator combines
SpectralNormalization, PixelNormalization, MinibatchStdDev and
MinibatchDiscrimination and is trained with plain `model.fit`. Its binary
cross-entropy on the training data must fall at least `LOSS_FALL_FACTOR`-fold
and end below a tenth of chance level (ln 2).
"""

import keras
import numpy as np
from keras import ops
from keras_gans.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_gans.layers.minibatch_stddev import MinibatchStdDev
from keras_gans.layers.pixel_normalization import PixelNormalization
from keras_gans.layers.spectral_normalization import SpectralNormalization

NUM_SAMPLES = 256  # 128 per class
BATCH_SIZE = 16  # a multiple of the MinibatchStdDev group size
EPOCHS = 3
NOISE_STDDEV = 0.7  # pixel noise around each class's mean image
LEARNING_RATE = 3e-3
LOSS_FALL_FACTOR = 5.0


def two_blobs(seed=0):
    generator = np.random.default_rng(seed)
    class_means = generator.normal(size=(2, 4, 4, 1))
    labels = np.repeat([0.0, 1.0], NUM_SAMPLES // 2)
    images = class_means[labels.astype(int)] + NOISE_STDDEV * generator.normal(
        size=(NUM_SAMPLES, 4, 4, 1)
    )
    order = generator.permutation(NUM_SAMPLES)
    return images[order].astype("float32"), labels[order].astype("float32")


def small_discriminator():
    inputs = keras.Input((4, 4, 1))
    hidden = SpectralNormalization(keras.layers.Conv2D(8, 3, padding="same"))(inputs)
    hidden = keras.layers.LeakyReLU(0.2)(hidden)
    hidden = PixelNormalization()(hidden)
    hidden = MinibatchStdDev(group_size=4)(hidden)
    hidden = keras.layers.Flatten()(hidden)
    hidden = SpectralNormalization(keras.layers.Dense(16))(hidden)
    hidden = keras.layers.LeakyReLU(0.2)(hidden)
    hidden = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)(hidden)
    logits = keras.layers.Dense(1)(hidden)
    return keras.Model(inputs, logits, name="toy_discriminator")


def test_discriminator_loss_falls_on_two_blobs():
    images, labels = two_blobs()
    model = small_discriminator()
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    initial_loss = model.evaluate(images, labels, batch_size=BATCH_SIZE, verbose=0)
    model.fit(images, labels, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0)
    final_loss = model.evaluate(images, labels, batch_size=BATCH_SIZE, verbose=0)
    assert np.isfinite(final_loss)
    assert final_loss * LOSS_FALL_FACTOR < initial_loss, (
        f"loss fell from {initial_loss:.4f} to {final_loss:.4f}, "
        f"less than {LOSS_FALL_FACTOR}-fold"
    )
    assert final_loss < 0.1 * np.log(2.0), f"final loss {final_loss:.4f}"
    logits = ops.convert_to_numpy(model(images[:BATCH_SIZE], training=False))
    accuracy = np.mean((logits[:, 0] > 0) == (labels[:BATCH_SIZE] > 0.5))
    assert accuracy == 1.0
