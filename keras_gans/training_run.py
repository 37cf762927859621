"""The main job: train a preset and write everything to a run folder.

Run folder layout (`out/`):

    config.json              the resolved preset and flags
    samples/epoch_NNN.png    samples from fixed latents (the inpainting preset:
                             fixed held-out images completed), about 10 per run
    samples/final.png        the final samples
    samples/interpolation.png   slerp interpolation strips (images), redrawn with
                             the grids
    samples/modes_epoch_NNN.png generated points over the modes (ring8, grid25;
                                not the Swiss roll, which has none)
    metrics.csv              one row of logs per epoch, from 1 (MetricsCSV), with
                             the evaluation metrics on built-in datasets (fid, modes;
                             markov sequences: marginal_tv, transition_tv;
                             inpainting: the held-out hole L1, val_hole_l1) on
                             the about 10 evaluated epochs, empty cells between
    loss_curves.png          metrics.csv plotted (losses, D outputs, gradient norms),
                             redrawn with the grids
    metrics.png              the evaluation metrics of metrics.csv plotted
    tensorboard/             TensorBoard logs (samples/: the pictures as images)
    checkpoints/epoch_NNN.keras   the whole GAN, the newest 3 of about 10 per run
    backup/                  while a run is unfinished: the weights, optimizers and
                             latent seed state of the last backed-up epoch (about
                             10 per run; Keras BackupAndRestore); removed after the
                             final models
    model.keras              the final GAN (generator, discriminator, optimizers)
    generator.keras          the final generator alone (inpainting, A8: the
                             completion network, input: masked image and mask)
    classifier.keras         semi-supervised presets (T6): the classifier alone; their
                             metrics.csv has its test-split accuracy (val_accuracy)
    pseudo_labels.json       pseudo-label presets (T23): the k-means cluster of every
                             training image, the rotation pre-training's accuracy and
                             the clusters' NMI with the dataset's labels

The pictures, evaluations, backups and checkpoints run on the first epoch, the last,
and every `epochs // 10` epochs in between (every epoch in runs of up to 19 epochs), so
the run folder costs little over a bare `fit`
(`tests/benchmarks/cli_overhead_benchmark.py`).

Re-running with the same `out` after an interruption resumes from the last backed-up
epoch and ends with the same weights as an uninterrupted run with the same seed: the
weights, both optimizers and the latent seed state come back from the backup, and the
data pipeline skips the batches the backed-up epochs consumed. The resume is refused,
with the differing fields listed, when the settings differ from `config.json`;
`epochs` may change (not below the finished epochs, and not when instance noise or
progressive growing is scheduled over the run). A backup that does not read back
falls back to the newest checkpoint that loads with finite weights (stderr says so).
A finished run is refused unless `overwrite=True` (`--overwrite`), which deletes the
run files above first. Every model, checkpoint and backup file is written to a
temporary file and renamed into place, and only when all weights and optimizer
variables are finite; a run that fails before its first epoch ends removes what it
created. The folder logic is in `keras_gans.run_folder`.
"""

import dataclasses
import json
import os
import sys

import keras
import tensorflow as tf

from keras_gans import callbacks as gan_callbacks
from keras_gans import data, families, presets, run_folder
from keras_gans._checks import check_integer
from keras_gans._files import prepare_output_file
from keras_gans.callbacks.non_finite_loss import check_finite_weights
from keras_gans.data.builtin import MIXTURES, SWISS_ROLL
from keras_gans.families import load_generator
from keras_gans.training import trainer

__all__ = ["load_generator", "sample", "train"]

NUM_CHECKPOINTS_KEPT = 3  # The newest checkpoints left in checkpoints/.
# Backups (backup/) and checkpoints (checkpoints/epoch_NNN.keras) are written about
# this many times per run, plus the first and the last epoch.
CHECKPOINTS_PER_RUN = 10
# Evaluation during the run (built-in datasets): FID (digits classifier features for
# digits, the points for the mixtures) and mode coverage (M5 / M6) against the
# held-out test split, about EVALUATIONS_PER_RUN times plus the first and last epoch.
EVALUATION_METRICS = ("fid", "modes")
EVALUATIONS_PER_RUN = 10
# The run folder's pictures (sample grid, curves, interpolation strips, 2-D mode
# scatter) are redrawn about this many times per run, plus the first and last epoch.
PICTURES_PER_RUN = 10
NUM_EVALUATION_IMAGES = 1_000  # generated images per evaluation
NUM_EVALUATION_POINTS = 2_500  # generated 2-D points per evaluation (M5's count)
EVALUATION_SEED_OFFSET = 20_011  # Evaluation latents differ from the grid's.


def _images(element):
    """The images of a dataset element, `images` or `(images, labels)`."""
    return element[0] if isinstance(element, tuple) else element


def _evaluation_and_picture_callbacks(family, recipe, sample_shape, out, paths, seed):
    """`(before_loggers, after_loggers)`: the run's evaluation callback (it must
    come before the CSV and TensorBoard loggers that record its metrics):
    `EvaluateGenerator` for built-in images and points, `ChainDistances` for the
    "markov" sequences; and its pictures (metric curves, 2-D mode scatter, the
    family's own pictures such as interpolation strips)."""
    if not family.samples_from_latents:  # `fit` validates it (val_hole_l1).
        return [], []
    is_points = len(sample_shape) == 1
    evaluation_seed = EVALUATION_SEED_OFFSET + (seed or 0)
    tensorboard_images = os.path.join(paths["tensorboard"], "samples")
    before_loggers, after_loggers = [], []
    if recipe.dataset == "markov":  # T21: exact distances from the chain.
        before_loggers.append(
            gan_callbacks.Scheduled(
                gan_callbacks.ChainDistances(seed=evaluation_seed),
                max(1, recipe.epochs // EVALUATIONS_PER_RUN),
            )
        )
    elif recipe.dataset in data.BUILTIN_DATASETS:
        real_samples = data.load_arrays(
            recipe.dataset,
            "test",
            image_size=None if is_points else recipe.image_size,
            resize=recipe.resize,
        )[0]
        before_loggers.append(
            gan_callbacks.EvaluateGenerator(
                real_samples,
                # The Swiss roll has no modes to count.
                metrics=EVALUATION_METRICS
                if recipe.dataset != SWISS_ROLL
                else ("fid",),
                dataset=recipe.dataset,
                num_samples=NUM_EVALUATION_POINTS
                if is_points
                else NUM_EVALUATION_IMAGES,
                every_n_epochs=max(1, recipe.epochs // EVALUATIONS_PER_RUN),
                seed=evaluation_seed,
                resize=recipe.resize,
            )
        )
    if before_loggers:
        after_loggers.append(
            gan_callbacks.MetricCurves(
                os.path.join(out, "metrics.csv"), os.path.join(out, "metrics.png")
            )
        )
    if is_points and recipe.dataset in MIXTURES:
        after_loggers.append(
            gan_callbacks.ModeScatter(
                paths["samples"],
                recipe.dataset,
                num_samples=NUM_EVALUATION_POINTS,
                seed=evaluation_seed,
                tensorboard_dir=tensorboard_images,
            )
        )
    after_loggers.extend(
        family.picture_callbacks(
            sample_shape, paths["samples"], evaluation_seed, tensorboard_images
        )
    )
    return before_loggers, after_loggers


def train(
    preset="dcgan",
    out=None,
    dataset=None,
    epochs=None,
    batch_size=None,
    loss=None,
    image_size=None,
    seed=0,
    data_dir=None,
    download=True,
    strategy="default",
    verbose="auto",
    extra_callbacks=(),
    steps_per_epoch=None,
    overwrite=False,
    **preset_fields,
):
    """Trains a preset, writing samples, curves, metrics, checkpoints and models to
    `out`.

    Args:
        preset: A preset name (`keras_gans.presets.PRESETS`) or a `Preset`.
        out: The run folder; default `runs/<preset>`.
        dataset, epochs, batch_size, loss, image_size: Override the preset's fields.
        seed: Seeds weights, latents and the data order; runs with a seed repeat exactly
            on CPU (TensorFlow op determinism is switched on). `None` for a random run.
        data_dir, download: For tensorflow-datasets datasets.
        strategy: "default" (one device) or "mirrored" (`tf.distribute.MirroredStrategy`
            over every visible GPU).
        verbose: Passed to `fit`; "auto": the Keras progress bar when standard
            output is a terminal, one line per epoch otherwise (a log file).
        extra_callbacks: More Keras callbacks, run after the job's own.
        steps_per_epoch: Batches per epoch; default one pass over the training
            data (a smaller number gives a quick end-to-end check of a preset).
        overwrite: Train afresh in an `out` that holds a run: its run files are
            deleted first (other files stay). Without it a finished run is refused,
            and an unfinished one resumes only with the same settings.
        **preset_fields: Any other `Preset` field to override (e.g.
            `penalties=("gp",)`, `discriminator_steps=5`, `generator_ema=0.999`).

    Returns:
        `(gan, history)`.

    Raises:
        NonFiniteLossError: when a loss, a weight or an optimizer variable turns
            NaN or Inf; nothing is saved from it, the newest checkpoint in
            `out/checkpoints` is the last good one.
        TrainingFailureError: when a loss or the mean logits pass ±1e6 (the
            "diverged" symptom of `FailureDetector`), likewise.
        RunFolderError: (a ValueError) before anything is loaded, when `out` is a
            file or cannot be written, holds a finished run (without `overwrite`),
            or an unfinished run with other settings; and when an unfinished run's
            backup and checkpoints all fail to load.
    """
    recipe = presets.get(preset) if isinstance(preset, str) else preset
    overrides = {
        "dataset": dataset,
        "epochs": epochs,
        "batch_size": batch_size,
        "loss": loss,
        "image_size": image_size,
    }
    unknown = set(preset_fields) - {field.name for field in dataclasses.fields(recipe)}
    if unknown:
        raise ValueError(
            f"Unknown preset fields: {sorted(unknown)}. Expected fields of "
            f"keras_gans.presets.Preset: "
            f"{', '.join(field.name for field in dataclasses.fields(recipe))}."
        )
    overrides.update(preset_fields)
    recipe = dataclasses.replace(
        recipe, **{k: v for k, v in overrides.items() if v is not None}
    )
    presets.check(recipe)  # Fail on a bad recipe before loading or writing anything.
    family = families.for_preset(recipe)
    out = out or os.path.join("runs", recipe.name)
    # Refuses an unusable `out`, a finished run and a resume with other settings;
    # creates nothing until `folder.start` below.
    folder = run_folder.RunFolder(out)
    folder.prepare({**dataclasses.asdict(recipe), "seed": seed}, overwrite=overwrite)
    paths = folder.paths

    if seed is not None:
        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()

    # With k discriminator steps per generator step (T12), each batch holds k
    # discriminator batches.
    steps_per_batch = 1 if recipe.single_loss else recipe.discriminator_steps
    # The family's data: labels, a labelled subset or pseudo-labels, and the
    # validation data that `fit` evaluates, if any.
    train_data, validation_data = family.training_data(
        recipe,
        batch_size=recipe.batch_size * steps_per_batch,
        seed=seed,
        out=out,
        data_dir=data_dir,
        download=download,
    )
    batches_per_pass = int(train_data.cardinality())
    if batches_per_pass <= 0:
        raise ValueError(
            f"Could not count the batches of dataset {recipe.dataset!r} "
            f"(cardinality {batches_per_pass}); it must be finite and non-empty."
        )
    if steps_per_epoch is None:
        steps_per_epoch = batches_per_pass
    else:
        steps_per_epoch = check_integer(steps_per_epoch, "steps_per_epoch")
    sample_shape = tuple(_images(train_data.element_spec).shape[1:])

    with trainer.strategy(strategy).scope():
        gan = presets.build_gan(
            recipe, sample_shape, seed=seed, total_steps=recipe.epochs * steps_per_epoch
        )

    folder.start(
        {**dataclasses.asdict(recipe), "seed": seed, "steps_per_epoch": steps_per_epoch}
    )
    # Epoch k's batches are the k-th pass of the seeded shuffle; after a resume, skip
    # the passes that the finished epochs consumed so the run continues exactly.
    finished_epochs = folder.restore(gan)
    pipeline = train_data.repeat().skip(finished_epochs * steps_per_epoch)

    sample_grid = family.sample_grid(
        recipe, gan, sample_shape, paths["samples"], seed, train_data
    )
    csv_path = os.path.join(out, "metrics.csv")
    csv_logger = gan_callbacks.MetricsCSV(csv_path, append=finished_epochs > 0)
    tensorboard = keras.callbacks.TensorBoard(paths["tensorboard"])
    evaluation_callbacks, picture_callbacks = _evaluation_and_picture_callbacks(
        family, recipe, sample_shape, out, paths, seed
    )
    # The pictures are drawn about PICTURES_PER_RUN times (and at the first and the
    # last epoch), not after every epoch: on a CPU each costs about a training epoch.
    picture_every = max(1, recipe.epochs // PICTURES_PER_RUN)
    evaluation_every = max(1, recipe.epochs // EVALUATIONS_PER_RUN)
    checkpoint_every = max(1, recipe.epochs // CHECKPOINTS_PER_RUN)
    callbacks = [
        # First, so a broken batch stops the run before anything saves it.
        gan_callbacks.StopOnNonFiniteLoss(checkpoint_dir=paths["checkpoints"]),
        # Warns (stderr) on the failure symptoms of T20; a diverged run (losses or
        # logits beyond ±1e6) raises before anything saves it.
        gan_callbacks.FailureDetector(
            # The collapse check samples latents: an inpainting model has none.
            real_samples=_images(next(iter(train_data.take(1)))).numpy()
            if family.samples_from_latents
            else None,
            raise_on=("diverged",),
            collapse_check_every_n_epochs=evaluation_every,
            checkpoint_hint=(
                f"The last good checkpoints are in {paths['checkpoints']!r}."
            ),
        ),
        # Kept until the final models are saved (`folder.finish`). Backups and
        # checkpoints are written about CHECKPOINTS_PER_RUN times (and at the first
        # and the last epoch): a resumed run repeats at most that share of the run.
        gan_callbacks.Scheduled(
            gan_callbacks.AtomicBackupAndRestore(
                paths["backup"], paths["checkpoints"], delete_checkpoint=False
            ),
            checkpoint_every,
        ),
        gan_callbacks.Scheduled(
            gan_callbacks.RollingCheckpoint(
                paths["checkpoints"], keep=NUM_CHECKPOINTS_KEPT
            ),
            checkpoint_every,
        ),
        # Before the loggers, so the CSV, TensorBoard and History get its metrics.
        *evaluation_callbacks,
        csv_logger,
        tensorboard,
        *(
            gan_callbacks.Scheduled(callback, picture_every)
            for callback in (
                gan_callbacks.LossCurves(
                    csv_path, os.path.join(out, "loss_curves.png")
                ),
                sample_grid,
                *picture_callbacks,
            )
        ),
        *extra_callbacks,
    ]
    try:
        history = gan.fit(
            pipeline,
            epochs=recipe.epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            verbose=(1 if sys.stdout.isatty() else 2) if verbose == "auto" else verbose,
            shuffle=False,
            validation_data=validation_data,
        )
    except BaseException:
        # `fit` ended without `on_train_end`: close the files the loggers hold. The
        # backup is left in place for the resume; before a first finished epoch,
        # what this run created is removed.
        csv_logger.on_train_end()
        tensorboard.on_train_end()
        folder.discard_failed_start()
        raise
    check_finite_weights(gan, "after training", paths["checkpoints"])
    run_folder.write_atomically(os.path.join(out, "model.keras"), gan.save)
    run_folder.write_atomically(
        os.path.join(out, "generator.keras"), gan.save_generator
    )
    family.write_artefacts(gan, out, run_folder.write_atomically)
    sample_grid.write("final.png", title="final")
    folder.finish()
    return gan, history


SAMPLE_FILE = "sample.png"  # `sample`'s default picture, in RUN_DIR/samples/.


def _default_sample_path(model_path):
    """Where `sample` writes by default: `RUN_DIR/samples/sample.png` when
    `model_path` is a run folder or a file in one, else `./samples.png`."""
    folder = _run_folder(model_path)
    if folder is None:
        return "samples.png"
    return os.path.join(folder, "samples", SAMPLE_FILE)


def sample(model_path, num=64, out=None, seed=0, truncation=None):
    """Writes `num` samples of a trained generator to `out` (a grid or a scatter
    plot; default `RUN_DIR/samples/sample.png` for a run folder or a file in one,
    else `./samples.png`; its folder is made if missing);
    `truncation` draws the latents with the truncation trick (T17). A conditional
    generator (T18) draws classes 0, 1, ... in turn, one per column. An inpainting
    run (A8) completes `num` held-out images (chosen with `seed`) in a centre hole
    instead: rows of input, coarse, completed, original (the run's model family
    draws them, `keras_gans.families`). Returns the path written.
    """
    out = _default_sample_path(model_path) if out is None else out
    prepare_output_file(out, SAMPLE_FILE)  # Before loading or sampling anything.
    config = _run_config(model_path)
    return families.for_config(config).sample(
        model_path,
        config,
        _run_folder(model_path),
        num=num,
        out=out,
        seed=seed,
        truncation=truncation,
    )


def _run_folder(model_path):
    """The run folder that `model_path` is or is in (a run's model.keras, or a
    checkpoint in its checkpoints/): the nearest folder with a config.json; None
    when there is none."""
    folder = (
        model_path
        if os.path.isdir(model_path)
        else os.path.dirname(os.path.abspath(model_path))
    )
    for candidate in (folder, os.path.dirname(folder)):
        if os.path.isfile(os.path.join(candidate, "config.json")):
            return candidate
    return None


def _run_config(model_path):
    """The config.json of the run folder `model_path` is (or is in); {} if none."""
    folder = _run_folder(model_path)
    if folder is None:
        return {}
    with open(os.path.join(folder, "config.json")) as file:
        return json.load(file)
