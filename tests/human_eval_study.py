"""A tiny saved run for the human real/fake study tests (T8): an untrained 8x8 DCGAN
on digits, saved in a second, whose EMA generator differs from its generator (so a
test can tell which one drew the study's images). The page does not care about
sample quality."""

import json
import os

import keras
import numpy as np

from keras_gans import GAN, architectures

LATENT_DIM = 8
IMAGE_SIZE = 8


def save_run(folder, seed=0):
    """Writes `folder/model.keras` and `folder/config.json`; returns the GAN."""
    gan = GAN(
        architectures.dcgan_generator(
            IMAGE_SIZE, 1, latent_dim=LATENT_DIM, width=8, seed=seed
        ),
        architectures.dcgan_discriminator(IMAGE_SIZE, 1, width=8, seed=seed),
        seed=seed,
    )
    gan.compile(generator_ema=0.5)
    rng = np.random.default_rng(seed)
    for variable in gan.ema_generator.weights:
        if "kernel" in variable.path:
            variable.assign(rng.normal(size=variable.shape).astype("float32"))
    os.makedirs(folder, exist_ok=True)
    gan.save(os.path.join(folder, "model.keras"))
    with open(os.path.join(folder, "config.json"), "w") as file:
        json.dump(
            {"dataset": "digits", "image_size": IMAGE_SIZE, "resize": "bilinear"}, file
        )
    return gan


def generated_pixels(network, num_images, seed):
    """uint8 images of `network` on `GAN.generate`'s latent draw for `seed`."""
    latents = keras.random.normal(
        (num_images, LATENT_DIM), seed=keras.random.SeedGenerator(seed)
    )
    images = network.predict(latents, verbose=0)
    return np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype("uint8")
