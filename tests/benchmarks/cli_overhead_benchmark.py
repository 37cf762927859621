"""The command line's cost over a bare `fit` of the same training, side by side.

    python tests/benchmarks/cli_overhead_benchmark.py [--preset dcgan] [--epochs N]
        [--repeats 2]

Both sides load the preset's data, build its GAN with the same seed and train the
same number of steps; the bare side is `gan.fit(pipeline, epochs, steps_per_epoch)`
with no callbacks, the command-line side is `training_run.train` (what
`python -m keras_gans train` runs: evaluations, pictures, checkpoints, backups,
TensorBoard, metrics.csv, the final models). Runs alternate (bare, command line,
bare, ...) so machine noise hits both; the table reports each run's wall time and
the ratio of the medians.
"""

import argparse
import dataclasses
import statistics
import tempfile
import time

import keras

from keras_gans import data, presets, training_run


def bare_fit(recipe, seed):
    """Seconds for the preset's training with `fit` alone."""
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    train_data = data.load(
        recipe.dataset,
        batch_size=recipe.batch_size * recipe.discriminator_steps,
        seed=seed,
        image_size=recipe.image_size,
        resize=recipe.resize,
    )
    steps_per_epoch = int(train_data.cardinality())
    sample_shape = tuple(train_data.element_spec.shape[1:])
    gan = presets.build_gan(
        recipe, sample_shape, seed=seed, total_steps=recipe.epochs * steps_per_epoch
    )
    gan.fit(
        train_data.repeat(),
        epochs=recipe.epochs,
        steps_per_epoch=steps_per_epoch,
        verbose=0,
    )
    return time.perf_counter() - start


def command_line_run(recipe, seed):
    """Seconds for `training_run.train` of the same recipe into a fresh folder."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        training_run.train(recipe, out=out, seed=seed, verbose=0)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default=presets.DEFAULT_PRESET)
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument("--repeats", type=int, default=2)
    arguments = parser.parse_args()
    recipe = presets.get(arguments.preset)
    if arguments.epochs:
        recipe = dataclasses.replace(recipe, epochs=arguments.epochs)
    bare, command_line = [], []
    for repeat in range(arguments.repeats):
        bare.append(bare_fit(recipe, seed=repeat))
        command_line.append(command_line_run(recipe, seed=repeat))
        print(
            f"repeat {repeat + 1}: bare fit {bare[-1]:.1f} s, "
            f"command line {command_line[-1]:.1f} s",
            flush=True,
        )
    ratio = statistics.median(command_line) / statistics.median(bare)
    print(
        f"\n| preset | epochs | bare fit (s) | command line (s) | ratio |\n"
        f"|---|---:|---:|---:|---:|\n"
        f"| {recipe.name} | {recipe.epochs} | {statistics.median(bare):.1f} | "
        f"{statistics.median(command_line):.1f} | {ratio:.2f} |"
    )


if __name__ == "__main__":
    main()
