"""The coarse-to-refine inpainting family (A8): a model that completes images.

`keras_gans.models.coarse_to_refine`: a coarse and a refinement generator fill a
hole in given images, so there are no latents to sample: the run's grids complete
held-out images (input, coarse, completed, original), `fit` validates the hole's
L1 on the test split (val_hole_l1), `sample` completes held-out images, and the
latent sample metrics of `evaluate` do not apply. Set by
`architecture="coarse-to-refine"`.
"""

import os

import numpy as np

from keras_gans import callbacks as gan_callbacks
from keras_gans import data
from keras_gans._files import load_model_file
from keras_gans.families._own_model import OwnModelFamily
from keras_gans.models import coarse_to_refine

__all__ = ["FAMILY", "CoarseToRefineFamily"]

NUM_INPAINTING_IMAGES = 8  # Held-out images in the run's grid, one per row.
INPAINTING_VALIDATION_BATCH = 120  # Held-out images per validation batch.


def _images(element):
    """The images of a dataset element, `images` or `(images, labels)`."""
    return element[0] if isinstance(element, tuple) else element


class CoarseToRefineFamily(OwnModelFamily):
    """Takes presets with `architecture="coarse-to-refine"`."""

    name = "coarse-to-refine"
    description = "inpainting: a coarse then a refining generator fill a hole"
    model_class = coarse_to_refine.CoarseToRefineGAN
    architecture = "coarse-to-refine"
    check_preset = staticmethod(coarse_to_refine.check_preset)
    builder = staticmethod(coarse_to_refine.build_coarse_to_refine_gan)
    samples_from_latents = False
    evaluation_refusal = (
        "The model is an inpainting model (coarse-to-refine, A8): it completes "
        "images instead of sampling them from latents, so the sample metrics do "
        "not apply. Its held-out completion error is `model.evaluate(images)` "
        "(hole_l1), logged by its run as val_hole_l1 in metrics.csv."
    )

    def training_data(self, preset, *, batch_size, seed, out, data_dir, download):
        """The images, and for a built-in dataset the test split, on which `fit`
        measures the held-out completion error (centre hole) after every epoch."""
        train_data, _ = super().training_data(
            preset,
            batch_size=batch_size,
            seed=seed,
            out=out,
            data_dir=data_dir,
            download=download,
        )
        validation_data = None
        if preset.dataset in data.BUILTIN_DATASETS:
            validation_data = data.load(
                preset.dataset,
                batch_size=INPAINTING_VALIDATION_BATCH,
                split="test",
                shuffle=False,
                image_size=preset.image_size,
                resize=preset.resize,
            )
        return train_data, validation_data

    def sample_grid(self, preset, gan, sample_shape, directory, seed, train_data):
        """Held-out images completed: the test split's for a built-in dataset, else
        the first training batch's."""
        if preset.dataset in data.BUILTIN_DATASETS:
            images = data.load_arrays(
                preset.dataset, "test", preset.image_size, preset.resize
            )[0]
        else:
            images = _images(next(iter(train_data.take(1)))).numpy()
        return gan_callbacks.InpaintingGrid(directory, images[:NUM_INPAINTING_IMAGES])

    def picture_callbacks(self, sample_shape, samples_directory, seed, tensorboard_dir):
        return []

    def sample(self, model_path, config, folder, *, num, out, seed, truncation):
        """Completes `num` held-out images of the run's built-in dataset (chosen
        with `seed`) in a centre hole with the run's `model.keras` (which has the
        coarse stage the grid also shows)."""
        if truncation is not None:
            raise ValueError(
                f"{model_path!r} is an inpainting run: it completes images and has "
                f"no latents to truncate. Received: `truncation={truncation}`."
            )
        model_file = os.path.join(folder, "model.keras")
        if not os.path.exists(model_file) or config["dataset"] not in (
            data.BUILTIN_DATASETS
        ):
            raise ValueError(
                "Sampling an inpainting run needs its model.keras (in "
                f"{folder!r}) and a built-in dataset to take held-out "
                f"images from ({', '.join(data.BUILTIN_DATASETS)}). Received: dataset "
                f"{config['dataset']!r}."
            )
        images = data.load_arrays(
            config["dataset"], "test", config["image_size"], config["resize"]
        )[0]
        chosen = np.random.default_rng(seed).choice(
            len(images), size=min(num, len(images)), replace=False
        )
        return gan_callbacks.save_inpainting_grid(
            load_model_file(model_file), images[np.sort(chosen)], out
        )


FAMILY = CoarseToRefineFamily()
