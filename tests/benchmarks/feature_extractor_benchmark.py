"""The DCGAN discriminator as a feature extractor on digits (catalogue A9; not a test).

Run from the repository root:

    python tests/benchmarks/feature_extractor_benchmark.py            # trains
    python tests/benchmarks/feature_extractor_benchmark.py --run runs/dcgan

Protocol (Radford et al. 2015, section 5.1, on the project's digits):

1. A discriminator: the `dcgan` preset (digits padded to 16x16, DCGAN G/D of width
   32, non-saturating loss, Adam(2e-4, 0.5), batch 64) trained for `--epochs`
   epochs with each seed of `--seeds` in a temporary run folder, or the one of an
   existing run folder (`--run`, its `model.keras`).
2. Features: `keras_gans.feature_extraction.discriminator_features` (every
   convolution's raw output, max-pooled to 4x4 and concatenated: 4*4*32 + 4*4*64 =
   1,536 values per image) of the fixed digits TRAIN (1,437) and TEST (360) splits,
   the same padded 16x16 images D was trained on.
3. Classifier: `linear_probe_accuracy` (standardisation, then a linear L2-SVM with
   C cross-validated on the training features), trained on all TRAIN labels and on
   10 labels per class (`labelled_subset`, same seed), scored on TEST.

Baselines with the same classifier: the raw 16x16 pixels (256 values), and the
features of an UNTRAINED discriminator of the same architecture, built with the
same seed (the initial weights of the trained one).
"""

import argparse
import os
import pathlib
import platform
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans import data, presets, training_run  # noqa: E402
from keras_gans.data.labelled_subset import labelled_subset  # noqa: E402
from keras_gans.feature_extraction import (  # noqa: E402
    discriminator_features,
    linear_probe_accuracy,
)

PRESET = "dcgan"  # The recipe whose discriminator is probed.
DEFAULT_EPOCHS = 10  # Training epochs per seed (the preset's full run is 50).
DEFAULT_SEEDS = (0, 1, 2)  # One GAN per seed; the table gives mean and spread.
FEW_LABELS_PER_CLASS = 10  # The low-label column (100 labelled images).


def _digits(split):
    recipe = presets.get(PRESET)
    return data.load_arrays(
        "digits", split, image_size=recipe.image_size, resize=recipe.resize
    )


def _probe(train_features, train_labels, test_features, test_labels, seed):
    """Accuracies `(all labels, FEW_LABELS_PER_CLASS labels per class)`."""
    labelled, _ = labelled_subset(train_labels, FEW_LABELS_PER_CLASS, seed=seed)
    return (
        linear_probe_accuracy(
            train_features, train_labels, test_features, test_labels, seed=seed
        ),
        linear_probe_accuracy(
            train_features[labelled],
            train_labels[labelled],
            test_features,
            test_labels,
            seed=seed,
        ),
    )


def _untrained_discriminator(seed):
    recipe = presets.get(PRESET)
    sample_shape = (recipe.image_size, recipe.image_size, 1)
    return presets.build_gan(recipe, sample_shape, seed=seed).discriminator


def _trained_discriminator(seed, epochs, run):
    if run is not None:
        return keras.models.load_model(os.path.join(run, "model.keras")).discriminator
    with tempfile.TemporaryDirectory() as out:
        gan, _ = training_run.train(
            preset=PRESET, epochs=epochs, out=out, seed=seed, verbose=0
        )
    return gan.discriminator


def _features(discriminator, train_images, test_images):
    return (
        discriminator_features(discriminator, train_images),
        discriminator_features(discriminator, test_images),
    )


def _cell(values):
    values = 100.0 * np.asarray(values)
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{values.mean():.1f} ± {values.std(ddof=1):.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a finished run folder with model.keras")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    arguments = parser.parse_args()
    seeds = arguments.seeds[:1] if arguments.run else arguments.seeds

    start = time.perf_counter()
    train_images, train_labels = _digits("train")
    test_images, test_labels = _digits("test")
    rows = {"raw pixels": [], "untrained D": [], "trained D": []}
    dimensions = {}
    raw_train = train_images.reshape(len(train_images), -1)  # [n, 16 * 16]
    raw_test = test_images.reshape(len(test_images), -1)  # [n, 16 * 16]
    for seed in seeds:
        trained = _trained_discriminator(seed, arguments.epochs, arguments.run)
        candidates = {
            "raw pixels": (raw_train, raw_test),
            "untrained D": _features(
                _untrained_discriminator(seed), train_images, test_images
            ),
            "trained D": _features(trained, train_images, test_images),
        }
        for name, (train_features, test_features) in candidates.items():
            dimensions[name] = train_features.shape[1]
            rows[name].append(
                _probe(train_features, train_labels, test_features, test_labels, seed)
            )
            print(f"seed {seed} {name}: {rows[name][-1]}", file=sys.stderr, flush=True)
    lines = [
        "| features | dimensions | test accuracy %, all 1,437 labels | "
        f"test accuracy %, {FEW_LABELS_PER_CLASS} labels per class |",
        "|---|---:|---:|---:|",
    ]
    for name, accuracies in rows.items():
        accuracies = np.asarray(accuracies)  # [num_seeds, 2]
        lines.append(
            f"| {name} | {dimensions[name]:,} | {_cell(accuracies[:, 0])} | "
            f"{_cell(accuracies[:, 1])} |"
        )
    print("\n".join(lines))
    print()
    source = (
        f"the run folder {arguments.run!r}"
        if arguments.run
        else f"the `{PRESET}` preset trained {arguments.epochs} epochs per seed"
    )
    print(
        f"Protocol: discriminator of {source}; seeds {seeds} (GAN weights, "
        "latents, data order, label subset, CV folds; mean ± sample std over seeds). "
        "Features: every convolution's raw output, max-pooled to 4x4, concatenated "
        "(`discriminator_features`), of the digits TRAIN (1,437) and TEST (360) "
        "splits padded to 16x16. Classifier: StandardScaler + LinearSVC (squared "
        "hinge, L2), C in {1e-3, 1e-2, 0.1, 1} by stratified 3-fold CV on the "
        "training features (`linear_probe_accuracy`). Untrained D: same architecture "
        "and seed, initial weights. "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, scikit-learn "
        f"{sklearn.__version__}, {os.cpu_count()} CPUs ({platform.machine()}). "
        f"Total time {time.perf_counter() - start:.0f} s."
    )


if __name__ == "__main__":
    main()
