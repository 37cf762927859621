"""PacGAN Table 1: mode collapse of GAN and PacGAN2-4 on the 2-D ring and grid.

Claim: packing the discriminator's input (m samples judged together, T16) captures
more modes of the 8-Gaussian ring and the 25-Gaussian grid than a plain GAN with
the same networks, at a similar fraction of high-quality samples.

Paper: Lin, Khetan, Fanti and Oh, "PacGAN: The power of two samples in generative
adversarial networks", NeurIPS 2018, Table 1, https://arxiv.org/abs/1712.04086 .
The protocol below is read from the authors' code
(https://github.com/fjxmlzn/PacGAN, `synthetic_data_experiments/2DRing_GAN&PacGAN`
and `2DGrid_GAN&PacGAN`: `config.py`, `pacgan_task.py`, and the `pacgan` package's
`bricks.py`, `datasets.py`, `extensions.py`), which trains with ALI's
`ali_algorithm` (https://github.com/IshmaelBelghazi/ALI, `ali/algorithms.py`).

Protocol (the paper's; ours where it differs is said):

- **Data.** 2D-ring: 8 Gaussians with means (cos 2πk/8, sin 2πk/8), k = 0..7, and
  standard deviation σ = 0.01; 2D-grid: 25 Gaussians with means {-4, -2, 0, 2, 4}²
  and σ = 0.05; equal weights. The built-in `ring8` and `grid25` mixtures of
  `keras_gans.data` have exactly these means and σ; the paper draws 100,000
  training points per run (`data.builtin.mixture(..., num_samples=100_000)`).
- **Generator.** z ∈ R², z ~ N(0, I); 4 hidden layers of 400 units, each linear
  without bias, batch normalisation, ReLU; a linear output of 2 with bias. Batch
  normalisation: ε = 1e-4 (Blocks' default), population statistics averaged with
  weight 0.05 on each batch (Keras momentum 0.95) and used for sampling.
- **Discriminator.** Input: m points concatenated (2m numbers); 3 maxout layers of
  200 units with 5 pieces each (`keras_gans.layers.Maxout`); a linear output (the
  logit). No dropout, no normalisation.
- **Initialisation.** Every weight N(0, 0.02²), every bias 0 (BN scale 1, shift 0).
- **Losses.** D: mean softplus(-D(x)) + mean softplus(D(G(z))); G: the
  non-saturating mean softplus(-D(G(z))) (`loss="non_saturating"`).
- **Update.** Simultaneous: both players' gradients on the same batch and latents,
  one Adam step each with learning rate 1e-4, β1 = 0.8, β2 = 0.999, ε = 1e-8
  (ALI's `ali_algorithm`). Here `GAN.compile(single_loss=True,
  optimizer=Adam(1e-4, beta_1=0.8))` (T14), which is that update: Adam is
  per-parameter, so one Adam over both players equals one per player.
- **Batch.** 100 packs per step: 100·m real and 100·m generated points; D scores
  100 real and 100 generated packs (`compile(packing=m)`, batch size 100·m).
- **Steps.** 400 epochs of the 100,000 packs at 100 per step: 400,000 steps per
  run, for every m.
- **Metrics** (their `MetricLogger`, on 2,500 samples from fixed latents, G in
  inference mode): each sample goes to its nearest mode; it is high quality when
  within 3σ of it; a mode is captured when at least one high-quality sample is
  on it; "high quality samples" is the high-quality fraction; "reverse KL" is
  KL(q ‖ u) = log M - H(q), with q the histogram of the high-quality samples over
  the M modes and u uniform (they log the entropy H(q)). That is
  `keras_gans.metrics.mode_coverage_for_mixture`'s `kl_to_uniform`; it is
  undefined (null in `results.json`) when no sample is high quality.
- **Trials.** 10 per method and mixture; the table gives mean ± standard error.
  We give mean ± standard deviation over our seeds (`results.json` also holds the
  standard error).

Where ours differs: G normalises one batch of 100·m latents where the authors call
G m times on 100 latents (batch statistics over 100·m instead of 100 points); a
pack takes m points of a shuffled pass over the data where the authors resample
each pack slot independently; Keras and TensorFlow instead of Blocks and Theano.
The ALI row of the table is another model and is not reproduced.

`budget()` is the paper's budget; `--steps` trains fewer steps (the samples and
metrics stay the paper's), and the metrics are also evaluated every `eval_every`
steps, so a short run shows how far it got on the way.
"""

import math
import os

import numpy as np

from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
    summary_statistics,
)

__all__ = [
    "DEFAULT_SEEDS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "TITLE",
    "budget",
    "build_discriminator",
    "build_generator",
    "markdown",
    "paper_budget",
    "run_seed",
    "summarise",
    "write_figures",
]

NAME = "pacgan-table1"
TITLE = "PacGAN Table 1: 2-D ring and grid"
REFERENCE = "Lin et al. 2018, https://arxiv.org/abs/1712.04086 (Table 1)"
DEFAULT_SEEDS = 10  # the paper's trials per setting

DATASETS = ("ring8", "grid25")
PACKINGS = (1, 2, 3, 4)
PACKS_PER_BATCH = 100  # batch_size in the authors' config
TRAIN_POINTS = 100_000  # num_sample
PAPER_STEPS = 400 * TRAIN_POINTS // PACKS_PER_BATCH  # num_epoch 400: 400,000
NUM_SAMPLES = 2_500  # num_log_figure_sample
LATENT_DIM = 2  # num_zdim
GENERATOR_UNITS = 400  # gen_hidden_size
GENERATOR_LAYERS = 4
DISCRIMINATOR_UNITS = 200  # disc_hidden_size
DISCRIMINATOR_LAYERS = 3
MAXOUT_PIECES = 5  # disc_maxout_pieces
WEIGHTS_STDDEV = 0.02  # weights_init_std
LEARNING_RATE = 1e-4
BETA_1 = 0.8
BATCH_NORM_EPSILON = 1e-4  # Blocks' BatchNormalization default
BATCH_NORM_MOMENTUM = 0.95  # population update m * 0.05 + p * 0.95
DEFAULT_EVALUATIONS = 10  # points of the curve per run when eval_every is not given
MAX_STEPS_PER_EXECUTION = 50
QUICK_STEPS = 4
QUICK_EVAL_EVERY = 2
QUICK_PACKINGS = (1, 2)  # --quick trains GAN and PacGAN2 only
EVALUATION_SEED_OFFSET = 1_000  # the fixed latents of seed s: generate(seed=1000+s)

# Table 1 as published (mean ± standard error over 10 trials); read from the
# table's image in the authors' repository, synthetic_data_experiments/results/
# Table1.png, which is the paper's Table 1.
PUBLISHED = {
    "source": "Lin et al. 2018, Table 1 (mean ± standard error over 10 trials)",
    "spread": "standard error",
    "rows": {
        "GAN": {
            "ring8": {
                "modes": [6.3, 0.5],
                "high_quality": [98.2, 0.2],
                "kl": [0.45, 0.09],
            },
            "grid25": {
                "modes": [17.3, 0.8],
                "high_quality": [94.8, 0.7],
                "kl": [0.70, 0.07],
            },
        },
        "PacGAN2": {
            "ring8": {
                "modes": [7.9, 0.1],
                "high_quality": [95.6, 2.0],
                "kl": [0.07, 0.03],
            },
            "grid25": {
                "modes": [23.8, 0.7],
                "high_quality": [91.3, 0.8],
                "kl": [0.13, 0.04],
            },
        },
        "PacGAN3": {
            "ring8": {
                "modes": [7.8, 0.1],
                "high_quality": [97.7, 0.3],
                "kl": [0.10, 0.02],
            },
            "grid25": {
                "modes": [24.6, 0.4],
                "high_quality": [94.2, 0.4],
                "kl": [0.06, 0.02],
            },
        },
        "PacGAN4": {
            "ring8": {
                "modes": [7.8, 0.1],
                "high_quality": [95.9, 1.4],
                "kl": [0.07, 0.02],
            },
            "grid25": {
                "modes": [24.8, 0.2],
                "high_quality": [93.6, 0.6],
                "kl": [0.04, 0.01],
            },
        },
    },
}


def method_name(packing):
    """The table's row for packing degree m: "GAN" for m = 1, "PacGANm" else."""
    return "GAN" if packing == 1 else f"PacGAN{packing}"


def paper_budget():
    """The authors' budget: 400,000 steps per run, 8 runs per trial, 10 trials."""
    return {
        "steps": PAPER_STEPS,
        "packs_per_batch": PACKS_PER_BATCH,
        "train_points": TRAIN_POINTS,
        "num_samples": NUM_SAMPLES,
        "datasets": list(DATASETS),
        "packings": list(PACKINGS),
        "seeds": DEFAULT_SEEDS,
    }


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: GAN and PacGAN2 (`QUICK_PACKINGS`) for `QUICK_STEPS` steps per
            run, evaluated every `QUICK_EVAL_EVERY` (seconds in all; what the tests
            run).
        steps: Training steps per run instead (default: the paper's 400,000).
        eval_every: Evaluate the metrics every this many steps; it must divide
            `steps` (default: about `DEFAULT_EVALUATIONS` points per run).

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an `eval_every`
            that does not divide `steps`.
    """
    steps, eval_every = step_schedule(
        steps,
        eval_every,
        PAPER_STEPS,
        quick,
        QUICK_STEPS,
        QUICK_EVAL_EVERY,
        DEFAULT_EVALUATIONS,
    )
    paper = paper_budget()
    del paper["seeds"]  # the number of seeds is the run's, not the budget's
    return {
        **paper,
        "packings": list(QUICK_PACKINGS if quick else PACKINGS),
        "steps": steps,
        "eval_every": eval_every,
        "steps_per_execution": math.gcd(eval_every, MAX_STEPS_PER_EXECUTION),
        "fraction_of_paper_steps": steps / PAPER_STEPS,
    }


def build_generator(seed=None):
    """PacGAN's 2-D generator: z (2) -> 4 x [Dense(400, no bias), BN, ReLU] ->
    Dense(2), every weight N(0, 0.02²)."""
    import keras

    initializer = keras.initializers.RandomNormal(stddev=WEIGHTS_STDDEV, seed=seed)
    latents = keras.Input((LATENT_DIM,), name="latents")
    x = latents
    for _ in range(GENERATOR_LAYERS):
        x = keras.layers.Dense(
            GENERATOR_UNITS, use_bias=False, kernel_initializer=initializer
        )(x)
        x = keras.layers.BatchNormalization(
            momentum=BATCH_NORM_MOMENTUM, epsilon=BATCH_NORM_EPSILON
        )(x)
        x = keras.layers.ReLU()(x)
    points = keras.layers.Dense(2, kernel_initializer=initializer, name="points")(x)
    return keras.Model(latents, points, name="generator")


def build_discriminator(packing, seed=None):
    """PacGAN's 2-D discriminator: m packed points (2m) -> 3 x Maxout(200 units, 5
    pieces) -> Dense(1) logit, every weight N(0, 0.02²)."""
    import keras

    from keras_gans.layers import Maxout

    initializer = keras.initializers.RandomNormal(stddev=WEIGHTS_STDDEV, seed=seed)
    packs = keras.Input((2 * packing,), name="packs")
    x = packs
    for _ in range(DISCRIMINATOR_LAYERS):
        x = Maxout(DISCRIMINATOR_UNITS, MAXOUT_PIECES, kernel_initializer=initializer)(
            x
        )
    logits = keras.layers.Dense(1, kernel_initializer=initializer, name="logits")(x)
    return keras.Model(packs, logits, name="discriminator")


def _coverage(samples, dataset):
    from keras_gans import metrics

    coverage = metrics.mode_coverage_for_mixture(samples, dataset)
    return {
        "modes_captured": coverage["modes_captured"],
        "num_modes": coverage["num_modes"],
        "high_quality_fraction": coverage["high_quality_fraction"],
        "reverse_kl": coverage["kl_to_uniform"],
    }


def file_stem(method):
    """`Unrolled GAN` -> `unrolled-gan`: a method's name in file names."""
    return method.lower().replace(" ", "-")


def samples_file(seed, dataset, packing):
    """Where the final samples of a run are saved, relative to the folder."""
    return os.path.join(
        "samples", f"seed{seed}_{dataset}_{method_name(packing).lower()}.npy"
    )


def _train_one(seed, dataset, packing, budget, folder, report):
    import keras

    from keras_gans import GAN
    from keras_gans import data as gan_data
    from keras_gans.data import builtin

    keras.utils.set_random_seed(seed)
    points, _ = builtin.mixture(
        dataset, "train", seed=seed, num_samples=budget["train_points"]
    )
    batch_size = budget["packs_per_batch"] * packing
    pipeline = gan_data.from_array(points, batch_size=batch_size, seed=seed).repeat()
    gan = GAN(build_generator(seed), build_discriminator(packing, seed), seed=seed)
    gan.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1),
        loss="non_saturating",
        single_loss=True,
        packing=packing,
        steps_per_execution=budget["steps_per_execution"],
    )
    curve = []
    evaluation_seed = EVALUATION_SEED_OFFSET + seed

    class Evaluate(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            step = (epoch + 1) * budget["eval_every"]
            samples = gan.generate(budget["num_samples"], seed=evaluation_seed)
            point = {"step": step, **_coverage(samples, dataset)}
            curve.append(point)
            self.samples = samples
            report(step, point)

    evaluate = Evaluate()
    gan.fit(
        pipeline,
        epochs=budget["steps"] // budget["eval_every"],
        steps_per_epoch=budget["eval_every"],
        callbacks=[evaluate],
        verbose=0,
        shuffle=False,
    )
    path = samples_file(seed, dataset, packing)
    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    np.save(os.path.join(folder, path), evaluate.samples)
    return {**_coverage(evaluate.samples, dataset), "samples": path, "curve": curve}


def run_seed(seed, budget, folder, progress):
    """Trains every (mixture, m) of the budget from `seed`; saves each run's final
    2,500 samples as `samples/seed<s>_<mixture>_<method>.npy` under `folder`.

    Returns:
        `{"seed": seed, "runs": [...]}`, one run per mixture and packing degree with
        its final metrics, its samples file and its curve (the metrics every
        `eval_every` steps).
    """
    import time

    runs = []
    settings = [(d, m) for d in budget["datasets"] for m in budget["packings"]]
    for index, (dataset, packing) in enumerate(settings):
        started = time.perf_counter()

        def report(step, point, dataset=dataset, packing=packing, index=index):
            kl = point["reverse_kl"]
            progress(
                f"{dataset} {method_name(packing)} (run {index + 1}/{len(settings)}) "
                f"step {step}/{budget['steps']}: modes {point['modes_captured']}/"
                f"{point['num_modes']}, high quality "
                f"{100 * point['high_quality_fraction']:.1f}%, reverse KL "
                + ("-" if math.isnan(kl) else f"{kl:.3f}")
            )

        result = _train_one(seed, dataset, packing, budget, folder, report)
        runs.append(
            {
                "dataset": dataset,
                "method": method_name(packing),
                "packing": packing,
                **result,
                "wall_time_s": round(time.perf_counter() - started, 1),
            }
        )
    return {"seed": seed, "runs": runs}


def summarise(seed_results):
    """`{method: {mixture: {modes, high_quality (in %), kl}}}` statistics over seeds
    of the final metrics."""
    summary = {}
    for record in seed_results:
        for run in record["runs"]:
            entry = summary.setdefault(run["method"], {}).setdefault(
                run["dataset"], {"modes": [], "high_quality": [], "kl": []}
            )
            entry["modes"].append(run["modes_captured"])
            entry["high_quality"].append(100 * run["high_quality_fraction"])
            entry["kl"].append(run["reverse_kl"])
    return {
        method: {
            dataset: {key: summary_statistics(values) for key, values in entry.items()}
            for dataset, entry in datasets.items()
        }
        for method, datasets in summary.items()
    }


def _format(statistics, key, seeds):
    if statistics["n"] == 0:
        return "–"
    digits = {"modes": 1, "high_quality": 1, "kl": 2}[key]
    text = f"{statistics['mean']:.{digits}f} ± {statistics['std']:.{digits}f}"
    if key == "high_quality":
        text += " %"
    if statistics["n"] < seeds:
        text += f" ({statistics['n']} of {seeds} seeds)"
    return text


def _published(values, key):
    mean, error = values
    digits = {"modes": 1, "high_quality": 1, "kl": 2}[key]
    text = f"{mean:.{digits}f} ± {error:.{digits}f}"
    return text + " %" if key == "high_quality" else text


def table(results):
    """The Markdown table: each method's published row, then ours."""
    seeds = results["num_seeds"]
    datasets = results["budget"]["datasets"]
    names = {"ring8": "2D-ring", "grid25": "2D-grid"}
    header = "| method |" + "".join(
        f" {names[d]} modes (of {25 if d == 'grid25' else 8}) | high quality | "
        "reverse KL |"
        for d in datasets
    )
    lines = [header, "|---|" + "---:|" * 3 * len(datasets)]
    keys = ("modes", "high_quality", "kl")
    for method, measured in results["summary"].items():
        published = results["published"]["rows"][method]
        lines.append(
            f"| *{method}, published* |"
            + "".join(
                f" *{_published(published[d][k], k)}* |" for d in datasets for k in keys
            )
        )
        lines.append(
            f"| **{method}, ours** |"
            + "".join(
                f" {_format(measured[d][k], k, seeds)} |"
                for d in datasets
                for k in keys
            )
        )
    return "\n".join(lines) + "\n"


def curve_table(results, dataset, points=5):
    """Mean high-quality % and modes over seeds at up to `points` evaluation steps."""
    curves = {}
    for record in results["seeds"]:
        for run in record["runs"]:
            if run["dataset"] == dataset:
                curves.setdefault(run["method"], []).append(run["curve"])
    steps = [point["step"] for point in next(iter(curves.values()))[0]]
    chosen = sorted({steps[round(i)] for i in np.linspace(0, len(steps) - 1, points)})
    lines = [
        f"| {dataset}: step |" + "".join(f" {step:,} |" for step in chosen),
        "|---|" + "---:|" * len(chosen),
    ]
    for method, runs in curves.items():
        cells = []
        for step in chosen:
            index = steps.index(step)
            quality = np.mean(
                [100 * run[index]["high_quality_fraction"] for run in runs]
            )
            modes = np.mean([run[index]["modes_captured"] for run in runs])
            cells.append(f" {quality:.1f} % / {modes:.1f} |")
        lines.append(f"| {method} |" + "".join(cells))
    return "\n".join(lines) + "\n"


def markdown(results):
    """`results.md`: the protocol in brief, the table, the curves, the run's
    command, wall time and versions."""
    budget = results["budget"]
    spread = results["published"]["spread"]
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of `keras_gans.reproductions.pacgan_table1` "
        "has it in full): G 4×400 ReLU + batch norm, D 3 maxout layers of 200 units "
        "× 5 pieces, z ~ N(0, I) in 2-D, non-saturating loss, simultaneous Adam(1e-4, "
        f"β1 0.8) updates, {budget['packs_per_batch']} packs per step, "
        f"{budget['train_points']:,} training points, metrics on "
        f"{budget['num_samples']:,} samples: modes with a sample within 3σ, the "
        "fraction within 3σ of their nearest mode, and KL(q ‖ uniform) of those "
        "samples' mode histogram q (undefined without any).\n",
        f"Budget: **{budget['steps']:,} steps per run, "
        f"{100 * budget['fraction_of_paper_steps']:.3g} % of the paper's "
        f"{results['paper_budget']['steps']:,}**; {seeds_text(results['num_seeds'])} "
        f"(the paper: {results['paper_budget']['seeds']} trials)."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        f"Ours: mean ± standard deviation over {seeds_text(results['num_seeds'])}, at "
        f"the last step. Published (italics): mean ± {spread} over 10 trials, after "
        f"{results['paper_budget']['steps']:,} steps.\n",
        table(results),
        "Published numbers: all of them were checked against the paper's Table 1 as "
        "the authors' repository shows it (`synthetic_data_experiments/results/"
        "Table1.png`). The ALI row is another model and is left out.\n",
        f"High quality % / modes captured during training (mean over seeds; "
        f"evaluated every {budget['eval_every']:,} steps, figure `curves.png`):\n",
        *(curve_table(results, dataset) for dataset in budget["datasets"]),
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder, published_label=None):
    """`curves.png` (modes and high-quality % against steps, mean over seeds with
    the range, the published value as a dotted line) and, for the first seed,
    each run's final samples over the modes (`figures/seed0_<mixture>_<method>.png`).
    `published_label` names the dotted values in the title (default: "published
    after" the paper's steps). The VEEGAN reproduction draws its figures here too.

    Returns:
        The figure paths relative to `folder`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from keras_gans.data import builtin
    from keras_gans.plotting import save_mode_scatter

    datasets = results["budget"]["datasets"]
    figure = Figure(figsize=(10, 4 * len(datasets)))
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(datasets), 2, squeeze=False)
    for row, dataset in enumerate(datasets):
        runs_by_method = {}
        for record in results["seeds"]:
            for run in record["runs"]:
                if run["dataset"] == dataset:
                    runs_by_method.setdefault(run["method"], []).append(run["curve"])
        for column, (key, label, scale, published_key) in enumerate(
            (
                ("modes_captured", "modes captured", 1.0, "modes"),
                ("high_quality_fraction", "high quality (%)", 100.0, "high_quality"),
            )
        ):
            ax = axes[row][column]
            for index, (method, curves) in enumerate(runs_by_method.items()):
                colour = f"C{index}"
                steps = [point["step"] for point in curves[0]]
                values = scale * np.array(
                    [[point[key] for point in curve] for curve in curves], "float64"
                )  # [seeds, evaluations]
                ax.plot(steps, values.mean(axis=0), color=colour, label=method)
                if len(curves) > 1:
                    ax.fill_between(
                        steps,
                        values.min(axis=0),
                        values.max(axis=0),
                        color=colour,
                        alpha=0.15,
                    )
                published = results["published"]["rows"][method][dataset]
                ax.axhline(
                    published[published_key][0],
                    color=colour,
                    linestyle=":",
                    linewidth=1,
                )
            ax.set_ylim(
                0, 105 if scale > 1 else len(builtin.mixture_means(dataset)) + 1
            )
            ax.set_title(f"{dataset}: {label}")
            ax.set_xlabel("training step")
            ax.grid(alpha=0.3)
        axes[row][0].legend(fontsize="small", loc="lower right")
    figure.subplots_adjust(hspace=0.35, top=0.9)
    if published_label is None:
        published_label = f"published after {results['paper_budget']['steps']:,} steps"
    figure.suptitle(
        f"{results['title']}: ours (lines: mean over {seeds_text(results['num_seeds'])}"
        f", band: range) and {published_label} (dotted)",
        fontsize="medium",
    )
    figure.savefig(os.path.join(folder, "curves.png"), dpi=100)
    written = ["curves.png"]
    os.makedirs(os.path.join(folder, "figures"), exist_ok=True)
    first = results["seeds"][0]
    for run in first["runs"]:
        samples = np.load(os.path.join(folder, run["samples"]))
        name = os.path.join(
            "figures",
            f"seed{first['seed']}_{run['dataset']}_{file_stem(run['method'])}.png",
        )
        kl = run["reverse_kl"]
        save_mode_scatter(
            samples,
            builtin.mixture_means(run["dataset"]),
            builtin.MIXTURES[run["dataset"]],
            os.path.join(folder, name),
            title=(
                f"{run['method']}, {run['dataset']}, step "
                f"{results['budget']['steps']:,}: {run['modes_captured']} modes, "
                f"{100 * run['high_quality_fraction']:.1f}% HQ, KL "
                + ("-" if kl is None or math.isnan(kl) else f"{kl:.2f}")
            ),
        )
        written.append(name)
    return written
