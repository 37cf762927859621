"""Sample quality of the default run and mode coverage on the 2-D mixtures (not a
test).

Run from the repository root:

    python tests/benchmarks/evaluation_benchmark.py
    python tests/benchmarks/evaluation_benchmark.py --run runs/dcgan
    python tests/benchmarks/evaluation_benchmark.py --presets mlp-ring8,unrolled

Part (a), the default run on digits: trains the default preset (`dcgan`: DCGAN on
scikit-learn's digits padded to 16x16, 50 epochs, seed 0) into a temporary folder,
or takes a finished run folder (`--run`), and reports FID, KID, Inception Score and
classes covered with the offline digits classifier's features, next to

- the FLOOR: the same numbers for real digits, the 1,437-image train split in the
  place of the generated samples (two disjoint real splits: what a perfect
  generator would score with these sample counts);
- the CEILING: an untrained generator of the same architecture and seed.

Every row compares the same number of samples (1,437, the size of the train split)
with the 360 held-out test digits.

Part (b), mode coverage (catalogue M5): trains each preset of `--presets` (default
`mlp-ring8`, the plain GAN) on ring8 and on grid25 with its own hyperparameters
and each seed of `--seeds`, and reports modes captured, the percentage of
high-quality samples (within 3 standard deviations of a mode) and the KL of the
mode histogram to uniform, on 2,500 samples, as Markdown tables.

Both parts print the protocol (sample counts, extractor, seeds, versions).
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The metrics' NumPy work is small matrix products: one BLAS thread avoids
# oversubscribing a CPU that TensorFlow's thread pools already use.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans import data, evaluation, presets, training_run  # noqa: E402

DIGITS_METRICS = ("fid", "kid", "is", "modes")
NUM_DIGITS_SAMPLES = 1_437  # = the digits train split, the floor's sample count
MIXTURE_DATASETS = ("ring8", "grid25")
NUM_MIXTURE_SAMPLES = 2_500  # the M5 protocol
SAMPLE_SEED = 0  # latents of the evaluated samples and KID's subsets


def _seconds(start):
    return f"{time.perf_counter() - start:.0f} s"


def _row(name, values):
    return (
        f"| {name} | {values['fid']:.2f} | {values['kid']:.2f} ± "
        f"{values['kid_std']:.2f} | {values['inception_score']:.2f} ± "
        f"{values['inception_score_std']:.2f} | {values['modes_captured']} of 10 | "
        f"{values['mode_kl']:.3f} |"
    )


def digits_part(run, work_folder):
    """Part (a): the default run against the floor and the ceiling."""
    start = time.perf_counter()
    recipe = presets.get(presets.DEFAULT_PRESET)
    if run is None:
        run = os.path.join(work_folder, recipe.name)
        print(f"Training preset {recipe.name!r} into {run} ...", file=sys.stderr)
        training_run.train(recipe.name, out=run, seed=0, verbose=0)
        print(f"  trained in {_seconds(start)}", file=sys.stderr)
    with open(os.path.join(run, "config.json")) as file:
        config = json.load(file)
    image_size, resize = config.get("image_size"), config.get("resize", "bilinear")
    trained = keras.models.load_model(os.path.join(run, "model.keras"))
    sample_shape = trained.generate(1, seed=0).shape[1:]
    real_test = evaluation.load_real_samples(
        "digits", sample_shape, split="test", resize=resize
    )
    real_train = data.load_arrays(
        "digits", "train", image_size=image_size, resize=resize
    )[0]
    evaluator = evaluation.SampleEvaluator(
        real_test, DIGITS_METRICS, dataset="digits", resize=resize, seed=SAMPLE_SEED
    )
    keras.utils.set_random_seed(0)
    untrained = presets.build_gan(presets.get(config["name"]), sample_shape, seed=0)
    rows = {
        "floor: real train digits (1,437) vs test": evaluator(real_train),
        f"{config['name']} after {config['epochs']} epochs, seed 0": evaluator(
            trained.generate(NUM_DIGITS_SAMPLES, seed=SAMPLE_SEED)
        ),
        "ceiling: untrained generator, seed 0": evaluator(
            untrained.generate(NUM_DIGITS_SAMPLES, seed=SAMPLE_SEED)
        ),
    }
    lines = [
        "| samples | FID | KID ± std | IS ± std | classes covered | class KL |",
        "|---|---:|---:|---:|---:|---:|",
        *(_row(name, values) for name, values in rows.items()),
    ]
    protocol = evaluator.protocol(NUM_DIGITS_SAMPLES)
    notes = (
        f"Protocol: {NUM_DIGITS_SAMPLES:,} samples per row (generated with "
        f"`GAN.generate(n, seed={SAMPLE_SEED})`, or the digits train split) against "
        f"the {protocol['num_real_samples']} held-out test digits; features: "
        f"{protocol['extractor']}; KID: {protocol['kid_subsets']} subsets of "
        f"{protocol['kid_subset_size']}, seed {SAMPLE_SEED}; IS: "
        f"{protocol['inception_score_splits']} splits of the classifier's logits; "
        "classes covered and KL: M6 (argmax of the classifier). Run folder: "
        f"{run} (preset {config['name']!r}, {config.get('image_size')} px, resize "
        f"{resize!r}, {config.get('epochs')} epochs, batch "
        f"{config.get('batch_size')}, seed {config.get('seed')}). Part (a) took "
        f"{_seconds(start)}."
    )
    return "\n".join(lines), notes


def mixtures_part(preset_names, seeds, work_folder):
    """Part (b): M5 mode coverage of each preset on ring8 and grid25."""
    start = time.perf_counter()
    tables = []
    for dataset in MIXTURE_DATASETS:
        num_modes = 8 if dataset == "ring8" else 25
        lines = [
            f"| {dataset}: preset | seed | modes captured (of {num_modes}) | "
            "high-quality samples | KL(modes ‖ uniform) | train time |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for preset_name in preset_names:
            results = []
            for seed in seeds:
                run_start = time.perf_counter()
                out = os.path.join(work_folder, f"{preset_name}-{dataset}-{seed}")
                print(
                    f"Training {preset_name!r} on {dataset} (seed {seed}) ...",
                    file=sys.stderr,
                )
                training_run.train(
                    preset_name, out=out, dataset=dataset, seed=seed, verbose=0
                )
                train_time = _seconds(run_start)
                values = evaluation.evaluate(
                    out,
                    metrics="modes",
                    num_samples=NUM_MIXTURE_SAMPLES,
                    seed=SAMPLE_SEED,
                )["metrics"]
                results.append(values)
                lines.append(
                    f"| {preset_name} | {seed} | {values['modes_captured']} | "
                    f"{100 * values['high_quality_fraction']:.2f}% | "
                    f"{values['mode_kl']:.3f} | {train_time} |"
                )
                print(lines[-1], file=sys.stderr, flush=True)
            if len(seeds) > 1:
                modes = np.mean([result["modes_captured"] for result in results])
                quality = np.mean(
                    [result["high_quality_fraction"] for result in results]
                )
                divergence = np.nanmean([result["mode_kl"] for result in results])
                lines.append(
                    f"| {preset_name} | mean | {modes:.1f} | {100 * quality:.2f}% | "
                    f"{divergence:.3f} | |"
                )
        tables.append("\n".join(lines))
    epochs = {name: presets.get(name).epochs for name in preset_names}
    notes = (
        f"Protocol (M5): {NUM_MIXTURE_SAMPLES:,} samples from `GAN.generate(n, "
        f"seed={SAMPLE_SEED})` after training each preset with its own "
        f"hyperparameters (epochs: {epochs}) on the mixture's 51,200 training "
        "points; a sample is high quality within 3 standard deviations of its "
        "nearest mode (ring8: sigma 0.01, grid25: sigma 0.05); a mode is captured "
        "with at least one high-quality sample; KL of the high-quality samples' "
        f"mode histogram to uniform (NaN without any). Seeds {list(seeds)}. Part "
        f"(b) took {_seconds(start)}."
    )
    return "\n\n".join(tables), notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", help="a finished run folder of the default preset")
    parser.add_argument(
        "--presets",
        default="mlp-ring8",
        help="comma-separated presets trained on ring8 and grid25 (default mlp-ring8)",
    )
    parser.add_argument(
        "--seeds", default="0", help="comma-separated seeds of part (b)"
    )
    parser.add_argument("--skip-digits", action="store_true", help="skip part (a)")
    parser.add_argument("--skip-mixtures", action="store_true", help="skip part (b)")
    parser.add_argument("--out", help="keep the run folders here (default: a temp dir)")
    arguments = parser.parse_args(argv)
    preset_names = [name for name in arguments.presets.split(",") if name]
    for name in preset_names:
        presets.get(name)  # an unknown name fails now, listing the valid ones
    seeds = [int(seed) for seed in arguments.seeds.split(",") if seed]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        work_folder = arguments.out or temporary
        os.makedirs(work_folder, exist_ok=True)
        sections = []
        if not arguments.skip_digits:
            sections.append(digits_part(arguments.run, work_folder))
        if not arguments.skip_mixtures:
            sections.append(mixtures_part(preset_names, seeds, work_folder))
    for table, notes in sections:
        print(table)
        print()
        print(notes)
        print()
    print(
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), TensorFlow "
        f"{tf.__version__}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}. Total {_seconds(start)}."
    )


if __name__ == "__main__":
    main()
