"""Improved GAN Table 3 on digits: the `improved-gan` recipe with each of its five
techniques removed in turn.

Claim: each technique of the paper helps sample quality, and removing one lowers
it; minibatch features most of all (-MBF), then the labels, label smoothing
(-LS) and virtual batch norm (-VBN+BN), while historical averaging recovers much
of what is lost without labels (-L+HA against -L).

Paper: Salimans, Goodfellow, Zaremba, Cheung, Radford and Chen, "Improved
techniques for training GANs", NeurIPS 2016, Table 3,
https://arxiv.org/abs/1606.03498 . Table 3 gives CIFAR-10 Inception Scores of
50,000 samples: "Our methods" is every technique of the paper except feature
matching and historical averaging, trained with labels; each other row changes
one thing ("-VBN+BN": batch norm in G in place of VBN; "-L": no labels; "-L+HA":
no labels, historical averaging added; "-LS": no label smoothing; "-MBF": no
minibatch features). Those numbers are another dataset and another measure: they
stand beside ours for the ordering of the rows only, and none of them is one of
our results. The paper's budget is read from the authors' released CIFAR-10
script with minibatch features (https://github.com/openai/improved-gan,
`mnist_svhn_cifar10/train_cifar_minibatch_discrimination.py`): 1,200 epochs of
the 50,000 training images in batches of 100, three G steps per D step.

Protocol (ours):

- **Data.** scikit-learn's digits, the 1,437-image train split, padded to 16x16 on
  a -1 background (the preset's `image_size=16, resize="pad"`), in [-1, 1];
  a seeded shuffle per epoch, the last incomplete batch dropped.
- **Configurations.** The `improved-gan` preset (DCGAN G and D of width 32,
  z ~ N(0, I) of 64, non-saturating loss, Adam(3e-4, β1 0.5) per player, batch 64,
  one D step then one G step) with its five techniques: feature matching (T1: G
  matches the mean of D's last hidden features), minibatch discrimination (Y1:
  100 kernels of dimension 5 before D's logit), one-sided label smoothing (T4:
  real target 0.9), historical averaging (T3: λ = 1e-3 on both players) and
  virtual batch norm in G (Y3: a fixed reference batch of 64 latents); and five
  configurations with one of them removed, each
  `dataclasses.replace(presets.get("improved-gan"), <field>=<off>)` built by
  `presets.build_gan` (`CONFIGURATIONS` lists the fields).
- **Steps.** 50 epochs of 22 batches (the preset's default): 1,100 steps per run.
- **Samples.** After training, 1,000 samples (the count `keras_gans.training_run`
  evaluates during a run) from `GAN.generate(1000, seed=1000 + s)`; their centre
  8x8 (the digit area, which the digits extractor crops from padded digits)
  rounded to 8 bits and saved as one PNG (`samples/seed<s>_<configuration>.png`):
  the metrics are computed from the PNG's pixels, p / 127.5 - 1.
- **Extractor and split.** The shipped digits classifier's 64-d features
  (`keras_gans.evaluation`, extractor "digits"); the real side is the held-out
  test split, 360 digits, for every row.
- **Metrics.** FID (`metrics.frechet_distance` of the features) and KID
  (`metrics.kernel_inception_distance`: 100 subsets of 360, the smaller count,
  subset seed 0), both lower is better. FID is also measured every `eval_every`
  steps on the same latents (the curve).
- **Floor.** The first 1,000 training digits, through the same 8-bit PNG, in the
  place of the samples: what a generator that reproduced its training set would
  score with these counts.
- **Seeds.** 3 per configuration (0, 1, 2); seed s seeds the weights, the data
  shuffle, G's latents and the evaluation latents. Mean ± standard deviation
  over seeds (`results.json` also holds the standard error).

`budget()` is ours, written beside the paper's (0.18 % of its D steps): the full
run (6 configurations x 3 seeds) takes about 25 minutes on one CPU core (80 to
90 seconds a run). `--steps` changes the steps per run and `--eval-every` the
curve's spacing.
"""

import dataclasses
import os

import numpy as np

from keras_gans.reproductions._digits import (
    KID_SUBSET_SIZE,
    KID_SUBSETS,
    DigitsMetrics,
    generated_digits,
    load_samples,
    save_samples,
    write_fid_figure,
    write_samples_figure,
)
from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
    summary_statistics,
)

__all__ = [
    "CONFIGURATIONS",
    "DEFAULT_SEEDS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "TITLE",
    "budget",
    "build_gan",
    "configuration_preset",
    "load_samples",
    "markdown",
    "paper_budget",
    "run_seed",
    "save_samples",
    "summarise",
    "techniques",
    "write_figures",
]

NAME = "improved-gan-ablation"
TITLE = "Improved GAN Table 3 on digits: each technique removed"
REFERENCE = "Salimans et al. 2016, https://arxiv.org/abs/1606.03498 (Table 3)"
DEFAULT_SEEDS = 3  # ours: Table 3's ± is over Inception Score splits of one model

PRESET = "improved-gan"
FLOOR = "real data"  # the floor's row: training digits in the place of samples
# (method, file name, the technique it removes, the preset fields that remove it).
CONFIGURATIONS = (
    ("improved-gan", "all", None, {}),
    ("-FM", "no_fm", "feature_matching", {"feature_matching": False}),
    ("-MBD", "no_mbd", "minibatch_discrimination", {"minibatch_kernels": 0}),
    ("-LS", "no_ls", "label_smoothing", {"label_smoothing": None}),
    ("-HA", "no_ha", "historical_averaging", {"historical_averaging": None}),
    (
        "-VBN+BN",
        "no_vbn",
        "virtual_batch_norm",
        {"generator_normalization": "batch"},
    ),
)
TECHNIQUES = (
    "feature_matching",
    "minibatch_discrimination",
    "label_smoothing",
    "historical_averaging",
    "virtual_batch_norm",
)
DEFAULT_EPOCHS = 50  # the improved-gan preset's
TRAIN_IMAGES = 1_437  # the digits train split
BATCH_SIZE = 64  # the preset's
STEPS_PER_EPOCH = TRAIN_IMAGES // BATCH_SIZE  # 22: the last incomplete batch dropped
DEFAULT_STEPS = DEFAULT_EPOCHS * STEPS_PER_EPOCH  # 1,100
# Generated samples per run, and training digits in the floor: the count
# keras_gans.training_run evaluates during a run (NUM_EVALUATION_IMAGES).
NUM_SAMPLES = 1_000
EVALUATION_SEED_OFFSET = 1_000  # the evaluation latents of seed s: seed 1000 + s
DEFAULT_EVALUATIONS = 5  # points of the FID curve per run
GRID_SAMPLES = 64  # samples per configuration in the seed-0 figure
QUICK_STEPS = 2
QUICK_EVAL_EVERY = 1
QUICK_NUM_SAMPLES = 100

# Table 3 as published: CIFAR-10 Inception Scores (higher is better) of 50,000
# samples, in the table's order; the ± of each score is left out.
TABLE3 = (
    ("Real data", 11.24),
    ("Our methods", 8.09),
    ("-VBN+BN", 7.54),
    ("-L+HA", 6.86),
    ("-LS", 6.83),
    ("-L", 4.36),
    ("-MBF", 3.87),
)
_TABLE3_SCORES = dict(TABLE3)


def _row(table3_row, note):
    return {
        "table3_row": table3_row,
        "inception_score": None if table3_row is None else _TABLE3_SCORES[table3_row],
        "note": note,
    }


PUBLISHED = {
    "source": (
        "Salimans et al. 2016, Table 3: CIFAR-10 Inception Scores of 50,000 "
        "samples (higher is better); another dataset and another measure than "
        "ours, shown for the ordering of the rows only"
    ),
    "dataset": "CIFAR-10",
    "measure": "Inception Score (higher is better)",
    "table3": [{"row": row, "inception_score": score} for row, score in TABLE3],
    # Each row of ours and its counterpart in Table 3.
    "rows": {
        FLOOR: _row("Real data", "real images scored in place of samples"),
        "improved-gan": _row(
            "Our methods",
            "theirs is trained with labels and has no feature matching or "
            "historical averaging; ours has no labels and all five",
        ),
        "-FM": _row(None, "Table 3's models have no feature matching"),
        "-MBD": _row("-MBF", "minibatch features removed"),
        "-LS": _row("-LS", "label smoothing removed"),
        "-HA": _row(
            "-L",
            "historical averaging without labels: Table 3's -L against -L+HA "
            f"({_TABLE3_SCORES['-L+HA']})",
        ),
        "-VBN+BN": _row("-VBN+BN", "batch norm in G in place of VBN"),
    },
}


def paper_budget():
    """The authors' released CIFAR-10 script with minibatch features: 1,200
    epochs of 50,000 images, batches of 100 (500 D steps per epoch, 3 G steps
    each), Inception Score of 50,000 samples."""
    return {
        "dataset": "CIFAR-10",
        "train_images": 50_000,
        "batch_size": 100,
        "epochs": 1_200,
        "steps": 1_200 * 50_000 // 100,  # 600,000 D steps
        "generator_steps_per_step": 3,
        "num_samples": 50_000,
        "measure": "Inception Score",
    }


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: Every configuration for `QUICK_STEPS` steps, evaluated every
            `QUICK_EVAL_EVERY` on `QUICK_NUM_SAMPLES` samples (seconds in all;
            what the tests run).
        steps: Training steps per run instead (default: 50 epochs, 1,100).
        eval_every: Measure FID every this many steps; it must divide `steps`
            (default: about `DEFAULT_EVALUATIONS` points per run).

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an `eval_every`
            that does not divide `steps`.
    """
    steps, eval_every = step_schedule(
        steps,
        eval_every,
        DEFAULT_STEPS,
        quick,
        QUICK_STEPS,
        QUICK_EVAL_EVERY,
        DEFAULT_EVALUATIONS,
    )
    return {
        "preset": PRESET,
        "dataset": "digits",
        "train_images": TRAIN_IMAGES,
        "batch_size": BATCH_SIZE,
        "steps_per_epoch": STEPS_PER_EPOCH,
        "epochs": steps / STEPS_PER_EPOCH,
        "steps": steps,
        "eval_every": eval_every,
        "num_samples": QUICK_NUM_SAMPLES if quick else NUM_SAMPLES,
        "num_real_samples": 360,
        "real_split": "test",
        "extractor": "digits",
        "kid_subsets": KID_SUBSETS,
        "kid_subset_size": KID_SUBSET_SIZE,
        "configurations": [method for method, *_ in CONFIGURATIONS],
        "fraction_of_paper_steps": steps / paper_budget()["steps"],
    }


def configuration_preset(method):
    """The `improved-gan` preset with the technique of `method` removed (see
    `CONFIGURATIONS`); `method="improved-gan"` is the preset itself."""
    from keras_gans import presets

    changes = {name: fields for name, _, _, fields in CONFIGURATIONS}
    if method not in changes:
        raise ValueError(
            f"`method` should be one of {', '.join(changes)}. Received: "
            f"`method={method!r}`."
        )
    return dataclasses.replace(presets.get(PRESET), **changes[method])


def build_gan(method, seed=None):
    """The compiled GAN of `method` on 16x16 digits (`presets.build_gan`)."""
    from keras_gans import presets

    recipe = configuration_preset(method)
    return presets.build_gan(recipe, (recipe.image_size, recipe.image_size, 1), seed)


def _layers(model):
    """Every layer of `model`, nested models included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def techniques(gan):
    """Which of the five techniques the built `gan` has, read from the model
    itself: its compile options (FM, LS, HA) and its layers (a
    `MinibatchDiscrimination` layer in D, `VirtualBatchNormalization` in G)."""
    from keras_gans.layers import MinibatchDiscrimination, VirtualBatchNormalization

    options = gan.get_compile_config()
    return {
        "feature_matching": options["feature_matching"] is not None,
        "minibatch_discrimination": any(
            isinstance(layer, MinibatchDiscrimination)
            for layer in _layers(gan.discriminator)
        ),
        "label_smoothing": options["label_smoothing"] is not None,
        "historical_averaging": options["historical_averaging"] is not None,
        "virtual_batch_norm": any(
            isinstance(layer, VirtualBatchNormalization)
            for layer in _layers(gan.generator)
        ),
    }


def samples_file(seed, slug):
    """Where the samples of a run are saved, relative to the folder."""
    return os.path.join("samples", f"seed{seed}_{slug}.png")


def _train_one(method, slug, seed, budget, folder, metrics, report):
    import keras

    from keras_gans import data

    keras.utils.set_random_seed(seed)
    recipe = configuration_preset(method)
    pipeline = data.load(
        recipe.dataset,
        batch_size=recipe.batch_size,
        seed=seed,
        image_size=recipe.image_size,
        resize=recipe.resize,
    ).repeat()
    gan = build_gan(method, seed)
    evaluation_seed = EVALUATION_SEED_OFFSET + seed
    curve = []

    def samples():
        return generated_digits(gan, budget["num_samples"], evaluation_seed)

    class Evaluate(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            step = (epoch + 1) * budget["eval_every"]
            point = {"step": step, "fid": metrics.fid(samples())}
            curve.append(point)
            report(step, point)

    gan.fit(
        pipeline,
        epochs=budget["steps"] // budget["eval_every"],
        steps_per_epoch=budget["eval_every"],
        callbacks=[Evaluate()],
        verbose=0,
        shuffle=False,
    )
    return {
        "techniques": techniques(gan),
        **metrics.final(samples(), folder, samples_file(seed, slug)),
        "curve": curve,
    }


def run_seed(seed, budget, folder, progress):
    """Trains every configuration from `seed` and measures it and the floor;
    saves each run's evaluated samples as `samples/seed<s>_<configuration>.png`
    and the floor's as `samples/real_train.png` under `folder`.

    Returns:
        `{"seed": seed, "floor": {...}, "runs": [...]}`: the floor's FID and KID,
        and one run per configuration with its FID, KID, the techniques its
        built model has, its samples file and its FID curve.
    """
    import time

    from keras_gans import data

    metrics = DigitsMetrics()
    train_digits = data.load_arrays("digits", "train")[0][: budget["num_samples"]]
    floor = metrics.final(
        train_digits, folder, os.path.join("samples", "real_train.png")
    )
    runs = []
    for index, (method, slug, removed, changes) in enumerate(CONFIGURATIONS):
        started = time.perf_counter()

        def report(step, point, method=method, index=index):
            progress(
                f"{method} (run {index + 1}/{len(CONFIGURATIONS)}) step "
                f"{step}/{budget['steps']}: FID {point['fid']:.2f} (floor "
                f"{floor['fid']:.2f})"
            )

        result = _train_one(method, slug, seed, budget, folder, metrics, report)
        runs.append(
            {
                "method": method,
                "removed": removed,
                "preset_changes": changes,
                **result,
                "wall_time_s": round(time.perf_counter() - started, 1),
            }
        )
    return {"seed": seed, "floor": floor, "runs": runs}


def summarise(seed_results):
    """`{method: {"fid": ..., "kid": ...}}` statistics over seeds, the floor
    (`"real data"`) first."""
    values = {FLOOR: {"fid": [], "kid": []}}
    for record in seed_results:
        entries = [(FLOOR, record["floor"])]
        entries += [(run["method"], run) for run in record["runs"]]
        for method, entry in entries:
            metrics = values.setdefault(method, {"fid": [], "kid": []})
            metrics["fid"].append(entry["fid"])
            metrics["kid"].append(entry["kid"])
    return {
        method: {key: summary_statistics(series) for key, series in metrics.items()}
        for method, metrics in values.items()
    }


def _format(statistics, seeds, digits=2):
    if statistics["n"] == 0:
        return "–"
    text = f"{statistics['mean']:.{digits}f} ± {statistics['std']:.{digits}f}"
    if statistics["n"] < seeds:
        text += f" ({statistics['n']} of {seeds} seeds)"
    return text


def _label(method):
    if method == FLOOR:
        return "real data (floor: train digits)"
    if method == "improved-gan":
        return "improved-gan (all five)"
    return method


def table(results):
    """The Markdown table: our FID and KID beside each row's Table 3 counterpart."""
    seeds = results["num_seeds"]
    rows = results["published"]["rows"]
    lines = [
        "| method | FID ↓ | KID ↓ | Table 3 row | *its CIFAR-10 Inception Score ↑ "
        "(paper; ordering only)* |",
        "|---|---:|---:|---|---:|",
    ]
    for method, measured in results["summary"].items():
        published = rows[method]
        score = published["inception_score"]
        lines.append(
            f"| **{_label(method)}** | {_format(measured['fid'], seeds)} | "
            f"{_format(measured['kid'], seeds)} | "
            f"{published['table3_row'] or '–'} ({published['note']}) | "
            + (f"*{score:.2f}* |" if score is not None else "– |")
        )
    return "\n".join(lines) + "\n"


def _ordering(results):
    """Our configurations from best to worst FID, and Table 3's rows from best
    to worst Inception Score."""
    summary = results["summary"]
    ours = sorted(
        (method for method in summary if method != FLOOR),
        key=lambda method: summary[method]["fid"]["mean"],
    )
    theirs = [entry["row"] for entry in results["published"]["table3"]]
    return (
        "Best to worst, ours by mean FID: "
        + ", ".join(f"{m} ({summary[m]['fid']['mean']:.2f})" for m in ours)
        + ". Table 3 by Inception Score (CIFAR-10): "
        + ", ".join(theirs)
        + ".\n"
    )


def curve_table(results, points=5):
    """Mean FID over seeds at up to `points` evaluation steps."""
    curves = {}
    for record in results["seeds"]:
        for run in record["runs"]:
            curves.setdefault(run["method"], []).append(run["curve"])
    steps = [point["step"] for point in next(iter(curves.values()))[0]]
    chosen = sorted({steps[round(i)] for i in np.linspace(0, len(steps) - 1, points)})
    lines = [
        "| FID at step |" + "".join(f" {step:,} |" for step in chosen),
        "|---|" + "---:|" * len(chosen),
    ]
    for method, runs in curves.items():
        cells = [
            f" {np.mean([run[steps.index(step)]['fid'] for run in runs]):.2f} |"
            for step in chosen
        ]
        lines.append(f"| {method} |" + "".join(cells))
    return "\n".join(lines) + "\n"


def markdown(results):
    """`results.md`: the protocol in brief, the table, Table 3 as published, the
    curve, the run's command, wall time and versions."""
    budget = results["budget"]
    paper = results["paper_budget"]
    table3 = results["published"]["table3"]
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of "
        "`keras_gans.reproductions.improved_gan_ablation` has it in full): the "
        f"`{budget['preset']}` preset (DCGAN G and D on digits padded to 16x16, "
        "feature matching, minibatch discrimination, label smoothing 0.9, "
        "historical averaging, virtual batch norm in G), and the same recipe with "
        "each technique removed (`dataclasses.replace` of the preset, built by "
        f"`presets.build_gan`). FID and KID (lower is better) of "
        f"{budget['num_samples']:,} samples (their centre 8x8, saved as 8-bit "
        "PNG) against the "
        f"{budget['num_real_samples']} held-out test digits with the shipped digits "
        f"classifier's features; KID over {budget['kid_subsets']} subsets. The "
        f"floor: the {budget['num_samples']:,} training digits in the place of the "
        "samples.\n",
        f"Budget: **{budget['steps']:,} steps per run ({budget['epochs']:.3g} epochs "
        f"of {budget['steps_per_epoch']} batches of {budget['batch_size']})**, "
        f"{100 * budget['fraction_of_paper_steps']:.2g} % of the D steps of the "
        f"authors' CIFAR-10 script ({paper['steps']:,}: {paper['epochs']:,} "
        f"epochs of {paper['train_images']:,} images in batches of "
        f"{paper['batch_size']}, {paper['generator_steps_per_step']} G steps "
        f"each); {seeds_text(results['num_seeds'])} per configuration."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        f"Ours: mean ± standard deviation over {seeds_text(results['num_seeds'])} "
        "(the floor is the same every seed). In italics, for the ordering of the "
        "rows only: each row's counterpart in Table 3, a **CIFAR-10 Inception "
        "Score** (higher is better), another dataset and measure; none of those "
        "numbers is ours.\n",
        table(results),
        _ordering(results),
        "Table 3 as published (CIFAR-10 Inception Scores of 50,000 samples; its ± "
        "left out):\n",
        "| " + " | ".join(entry["row"] for entry in table3) + " |\n"
        "|" + "---:|" * len(table3) + "\n"
        "| "
        + " | ".join(f"*{entry['inception_score']:.2f}*" for entry in table3)
        + " |\n",
        f"FID during training (mean over seeds; measured every "
        f"{budget['eval_every']:,} steps, figure `fid.png`):\n",
        curve_table(results),
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """`fid.png` (final FID per configuration: each seed a dot, the mean a bar,
    the floor a dashed line; and FID against steps, mean over seeds with the
    range) and `samples_seed0.png` (the first 64 evaluated samples of each
    configuration and of the floor, for seed 0).

    Returns:
        The figure paths relative to `folder`.
    """
    floor = results["summary"][FLOOR]["fid"]["mean"]
    written = [
        write_fid_figure(
            results,
            folder,
            [method for method, *_ in CONFIGURATIONS],
            floor,
        )
    ]

    first = results["seeds"][0]
    panels = [(f"{FLOOR} (floor)", first["floor"])]
    panels += [(run["method"], run) for run in first["runs"]]
    written.append(
        write_samples_figure(
            folder,
            panels,
            min(GRID_SAMPLES, results["budget"]["num_samples"]),
            first["seed"],
            panel_size=(2.2, 2.6),
        )
    )
    return written
