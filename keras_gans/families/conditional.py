"""The conditional GAN family (T18): G and D see a class label.

`keras_gans.models.ConditionalGAN` on `(images, labels)`: the dataset's labels, or
(`preset.pseudo_labels`, T23) k-means clusters of a rotation-pre-trained
discriminator's features, `preset.num_classes` of them, written to the run
folder's `pseudo_labels.json`. With `preset.auxiliary_classifier` D has AC-GAN's
class head. Its grids hold one class per row.
"""

import json
import os

import numpy as np

from keras_gans import architectures, data, plotting, pseudo_labels
from keras_gans import callbacks as gan_callbacks
from keras_gans.families._family import grid_latents
from keras_gans.families.gan import GANFamily
from keras_gans.models import ConditionalGAN

__all__ = ["FAMILY", "ConditionalFamily"]

# A grid: one class per row (at most this many classes), the same latents down
# the columns.
MAX_GRID_CLASSES = 16
GRID_COLUMNS = 8
PSEUDO_LABELS_FILE = "pseudo_labels.json"


class _ClassRowsSampleGrid(gan_callbacks.SampleGrid):
    """`SampleGrid` for a conditional GAN: row k holds class k, column j latent j."""

    def __init__(self, directory, latents, num_classes):
        rows = min(num_classes, MAX_GRID_CLASSES)
        columns = min(len(latents), GRID_COLUMNS)
        # [rows * columns, *latent_shape]: the first `columns` latents, row by row.
        super().__init__(
            directory, np.tile(latents[:columns], (rows,) + (1,) * (latents.ndim - 1))
        )
        self.labels = np.repeat(np.arange(rows, dtype="int32"), columns)
        self.columns = columns

    def write(self, filename, title=None):
        os.makedirs(self.directory, exist_ok=True)
        samples = self.model.generator.predict([self.latents, self.labels], verbose=0)
        path = os.path.join(self.directory, filename)
        plotting.save_image_grid(samples, path, columns=self.columns)
        return path


def _pseudo_labelled_data(preset, batch_size, seed, out):
    """T23: the train split paired with k-means clusters of a rotation-pre-trained
    DCGAN discriminator's features (`keras_gans.pseudo_labels`), `preset.num_classes`
    of them. The clusters are written to `out/pseudo_labels.json` and read back from
    there when a run resumes, so a resumed run trains on the same classes."""
    if preset.num_classes is None or preset.dataset not in data.BUILTIN_DATASETS:
        raise ValueError(
            "A pseudo-label run needs `num_classes` (the number of clusters) and a "
            f"built-in image dataset ({', '.join(data.BUILTIN_DATASETS)}). Received: "
            f"`num_classes={preset.num_classes}`, `dataset={preset.dataset!r}`."
        )
    images, labels = data.load_arrays(
        preset.dataset, "train", preset.image_size, preset.resize
    )
    if images.ndim != 4:
        raise ValueError(
            f"Pseudo-labels cluster images; {preset.dataset!r} holds samples of "
            f"shape {images.shape[1:]}."
        )
    path = os.path.join(out, PSEUDO_LABELS_FILE)
    os.makedirs(out, exist_ok=True)  # Before the run folder's `start`.
    if os.path.exists(path):
        with open(path) as file:
            clusters = np.asarray(json.load(file)["labels"], dtype="int32")
    else:
        from sklearn.metrics import normalized_mutual_info_score

        discriminator = architectures.dcgan_discriminator(
            images.shape[1],
            images.shape[-1],
            width=preset.width,
            normalization="spectral",
            seed=seed,
        )
        clusters, rotation_classifier = pseudo_labels.self_supervised_pseudo_labels(
            discriminator, images, preset.num_classes, seed=seed
        )
        with open(path, "w") as file:
            json.dump(
                {
                    "num_clusters": preset.num_classes,
                    "rotation_accuracy": rotation_classifier.history.history[
                        "accuracy"
                    ][-1],
                    "nmi_with_labels": normalized_mutual_info_score(labels, clusters),
                    "labels": clusters.tolist(),
                },
                file,
            )
    return pseudo_labels.pseudo_labelled_dataset(
        images, clusters, batch_size=batch_size, seed=seed
    )


class ConditionalFamily(GANFamily):
    """Takes presets with `num_classes` (a label per image) or `pseudo_labels`."""

    name = "conditional"
    description = (
        "a class-conditional GAN on labels or k-means pseudo-labels "
        "(cGAN, AC-GAN, projection D)"
    )
    model_class = ConditionalGAN

    def takes(self, preset):
        return preset.num_classes is not None or preset.pseudo_labels

    def model_options(self, preset):
        return {"auxiliary_classifier": preset.auxiliary_classifier}

    def model(self, preset, generator, discriminator, seed):
        return ConditionalGAN(
            generator,
            discriminator,
            num_classes=preset.num_classes,
            latent_dim=preset.latent_dim,
            seed=seed,
            auxiliary_classifier=preset.auxiliary_classifier,
        )

    def training_data(self, preset, *, batch_size, seed, out, data_dir, download):
        if preset.pseudo_labels:  # k-means pseudo-labels (T23).
            return _pseudo_labelled_data(preset, batch_size, seed, out), None
        return (
            data.load(
                preset.dataset,
                batch_size=batch_size,
                seed=seed,
                image_size=preset.image_size,
                resize=preset.resize,
                data_dir=data_dir,
                download=download,
                with_labels=True,
                num_classes=preset.num_classes,  # Its labels must be in [0, K).
            ),
            None,
        )

    def sample_grid(self, preset, gan, sample_shape, directory, seed, train_data):
        return _ClassRowsSampleGrid(
            directory, grid_latents(preset, gan.latent_shape, seed), preset.num_classes
        )

    def picture_callbacks(self, sample_shape, samples_directory, seed, tensorboard_dir):
        return []  # The interpolation strips are for unconditional generators.


FAMILY = ConditionalFamily()
