"""The semi-supervised K+1 GAN family (T6): D is also a K-class classifier.

`keras_gans.models.semi_supervised_gan`: trained on batches of
`preset.labels_per_class` labelled examples per class and unlabelled ones; `fit`
validates the classifier on the test split (val_accuracy), and the run folder gets
the classifier alone as `classifier.keras`. Set by `labels_per_class > 0`, whatever
the architecture.
"""

import os

import numpy as np

from keras_gans import data
from keras_gans.data.labelled_subset import semi_supervised_dataset
from keras_gans.families._own_model import OwnModelFamily
from keras_gans.models import semi_supervised_gan

__all__ = ["FAMILY", "SemiSupervisedFamily"]

CLASSIFIER_FILE = "classifier.keras"


class SemiSupervisedFamily(OwnModelFamily):
    """Takes presets with `labels_per_class > 0`."""

    name = "semi-supervised"
    description = "the K+1 GAN: D classifies K classes and tells fakes apart"
    model_class = semi_supervised_gan.SemiSupervisedGAN
    check_preset = staticmethod(semi_supervised_gan.check_preset)
    builder = staticmethod(semi_supervised_gan.build_semi_supervised_gan)

    def takes(self, preset):
        return preset.labels_per_class > 0

    def training_data(self, preset, *, batch_size, seed, out, data_dir, download):
        """The train batches hold `preset.labels_per_class` labelled examples per
        class of the TRAIN split (half of each batch) and unlabelled ones (label
        -1); the TEST split gives the held-out accuracy that `fit` logs as
        `val_accuracy`."""
        if preset.dataset not in data.BUILTIN_DATASETS:
            raise ValueError(
                "A semi-supervised run needs a built-in dataset with labels "
                f"({', '.join(data.BUILTIN_DATASETS)}). Received: "
                f"`dataset={preset.dataset!r}`."
            )
        train_images, train_labels = data.load_arrays(
            preset.dataset, "train", preset.image_size, preset.resize
        )
        train_data = semi_supervised_dataset(
            train_images,
            train_labels,
            preset.labels_per_class,
            preset.batch_size,
            seed=int(np.random.default_rng().integers(2**31)) if seed is None else seed,
        )
        test_split = data.load_arrays(
            preset.dataset, "test", preset.image_size, preset.resize
        )
        return train_data, test_split

    def write_artefacts(self, gan, out, write_atomically):
        write_atomically(os.path.join(out, CLASSIFIER_FILE), gan.classifier.save)


FAMILY = SemiSupervisedFamily()
