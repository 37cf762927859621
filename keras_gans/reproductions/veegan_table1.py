"""VEEGAN Table 1: the unrolled GAN against the plain GAN on the 2-D ring and grid.

Claim: unrolling the discriminator in the generator's loss (T15, k = 5 look-ahead
steps) recovers modes that a plain GAN with the same networks, optimiser and steps
drops on the 8-Gaussian ring and the 25-Gaussian grid (VEEGAN Table 1: ring 7.6
against 1 mode, grid 23.6 against 3.3).

Paper: Srivastava, Valkov, Russell, Gutmann and Sutton, "VEEGAN: Reducing mode
collapse in GANs using implicit variational learning", NeurIPS 2017, section 5.1
and Table 1, https://arxiv.org/abs/1705.07761 ; the unrolled GAN is Metz, Poole,
Pfau and Sohl-Dickstein, "Unrolled generative adversarial networks", ICLR 2017,
https://arxiv.org/abs/1611.02163 . The VEEGAN and ALI rows are other models and
are not reproduced; they stand in the published table only.

Sources. The authors' repository (https://github.com/akashgit/VEEGAN) holds the
project page (`index.md`: the metrics, 2,500 samples, five runs, five unrolling
steps "as suggested in the authors' reference implementation") and the table's
image (`tab.png`, from which the published rows below were read); its notebook
`VEEGAN_2D_RING.ipynb` is not readable in the copy we have. The networks,
optimiser and batch come from a public TensorFlow 2 port of that notebook
(radarsat1, "Steve's adaptation of VEEGAN example"), which keeps its parameters;
the paper gives no step count for the mixtures.

Protocol (ours where it differs is said):

- **Data.** 2D ring: 8 Gaussians with means (cos 2πk/8, sin 2πk/8) and σ = 0.01;
  2D grid: 25 Gaussians with means {-4, -2, 0, 2, 4}² and σ = 0.05 (the port's
  grid exactly). Equal weights. These are the library's `ring8` and `grid25`
  mixtures (`data.builtin.mixture`, which takes no other radius or σ); the
  ring's radius and σ of the authors' notebook could not be read, so the ring
  is PacGAN's (the same σ = 0.01 as the catalogue's M5 mixture). They draw a
  new batch of the mixture every step; we draw 100,000 training points per run
  and pass over them in shuffled batches.
- **Generator.** z ∈ R^254, z ~ N(0, I) (the port's `input_dim`, noted there
  as the notebook's 254); 2 hidden layers of 128 units with ReLU; a linear
  output of 2. The VEEGAN generator of the notebook also outputs a scale and
  samples x ~ N(μ, σ) from it; the GAN and unrolled GAN use the deterministic
  mean network.
- **Discriminator.** x (2) -> 1 hidden layer of 128 units with ReLU -> a linear
  logit (VEEGAN's D also takes z; a GAN's D sees x only).
- **Initialisation.** Keras's defaults (Glorot uniform weights, zero biases).
- **Losses.** D: mean softplus(-D(x)) + mean softplus(D(G(z))); G: the
  non-saturating mean softplus(-D(G(z))) (`loss="non_saturating"`).
- **Update.** Alternating: one D step, then one G step on new latents, each
  with its own Adam(1e-3, β1 = 0.5) (the port's optimiser for every player).
- **Unrolled GAN.** `GAN.compile(unrolled_steps=5)`: G's loss is taken against
  D after 5 look-ahead steps on the step's batch, differentiated through them
  (second order). The look-ahead steps are plain gradient steps of size
  `unrolled_learning_rate` = 1e-2 (the library's default; Metz et al. unroll
  Adam, see `keras_gans.tricks.unrolled`).
- **Batch.** 500 real and 500 generated points per step.
- **Steps.** The paper does not say; the port trains 200 epochs of 100
  iterations, 20,000 steps, which we take as the paper's budget. Ours is
  smaller (see `budget()` and `results.md`): it is set so that the full run (5
  seeds, 2 mixtures, 2 methods) finishes in about 20 minutes on one CPU core.
- **Metrics** (section 5.1 of the paper, on 2,500 samples from fixed latents
  after the last step): a sample is high quality when within 3σ of its nearest
  mode; a mode is captured when it is the nearest mode of at least one
  high-quality sample; the high-quality percentage is the fraction of such
  samples. `keras_gans.metrics.mode_coverage_for_mixture` computes both, and
  also KL(q ‖ uniform) of the high-quality samples' mode histogram (not in the
  paper's table; PacGAN's "reverse KL").
- **Trials.** Five runs per method and mixture, averaged (the paper gives means
  only). We give mean ± standard deviation over our seeds (`results.json` also
  holds the standard error).

`budget()` is ours; `--steps` trains another number of steps, and the metrics
are also evaluated every `eval_every` steps, so the run shows its course.
"""

import math
import os

import numpy as np

from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
)
from keras_gans.reproductions.pacgan_table1 import (
    _coverage,
    _format,
    curve_table,
    file_stem,
    summarise,
)
from keras_gans.reproductions.pacgan_table1 import write_figures as pacgan_write_figures

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

NAME = "veegan-table1"
TITLE = "VEEGAN Table 1: unrolled GAN and GAN on the 2-D ring and grid"
REFERENCE = (
    "Srivastava et al. 2017, https://arxiv.org/abs/1705.07761 (Table 1); the "
    "unrolled GAN of Metz et al. 2017, https://arxiv.org/abs/1611.02163"
)
DEFAULT_SEEDS = 5  # "average the numbers over five runs"

DATASETS = ("ring8", "grid25")
METHODS = {"GAN": 0, "Unrolled GAN": 5}  # table row: unrolled_steps
BATCH_SIZE = 500  # batch_size of the notebook
TRAIN_POINTS = 100_000  # ours: a fixed draw per run (they sample every step)
PAPER_STEPS = 200 * 100  # the notebook's 200 epochs of 100 iterations
STEPS = 5_000  # ours: the full run fits ~20 minutes on one CPU core
NUM_SAMPLES = 2_500  # "We generate 2500 samples from each trained model"
LATENT_DIM = 254  # input_dim of the notebook
HIDDEN_UNITS = 128  # n_hidden_gen, n_hidden_disc
GENERATOR_LAYERS = 2
DISCRIMINATOR_LAYERS = 1
LEARNING_RATE = 1e-3
BETA_1 = 0.5
UNROLLED_LEARNING_RATE = 1e-2  # the look-ahead's plain step size η
DEFAULT_EVALUATIONS = 10
MAX_STEPS_PER_EXECUTION = 50
QUICK_STEPS = 4
QUICK_EVAL_EVERY = 2
EVALUATION_SEED_OFFSET = 1_000  # the fixed latents of seed s: generate(seed=1000+s)

# Table 1 as published (means over five runs, no spread given); read from the
# table's image in the authors' repository (`tab.png`), the paper's Table 1. The
# paper reports no KL on the mixtures.
PUBLISHED = {
    "source": "Srivastava et al. 2017, Table 1 (mean over five runs)",
    "spread": None,
    "rows": {
        "GAN": {
            "ring8": {"modes": [1.0, None], "high_quality": [99.3, None]},
            "grid25": {"modes": [3.3, None], "high_quality": [0.5, None]},
        },
        "ALI": {
            "ring8": {"modes": [2.8, None], "high_quality": [0.13, None]},
            "grid25": {"modes": [15.8, None], "high_quality": [1.6, None]},
        },
        "Unrolled GAN": {
            "ring8": {"modes": [7.6, None], "high_quality": [35.6, None]},
            "grid25": {"modes": [23.6, None], "high_quality": [16.0, None]},
        },
        "VEEGAN": {
            "ring8": {"modes": [8.0, None], "high_quality": [52.9, None]},
            "grid25": {"modes": [24.6, None], "high_quality": [40.0, None]},
        },
    },
}


def paper_budget():
    """The authors' budget: 20,000 steps of 500 points per run, five runs."""
    return {
        "steps": PAPER_STEPS,
        "batch_size": BATCH_SIZE,
        "num_samples": NUM_SAMPLES,
        "datasets": list(DATASETS),
        "methods": dict(METHODS),
        "seeds": DEFAULT_SEEDS,
    }


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: `QUICK_STEPS` steps per run, evaluated every `QUICK_EVAL_EVERY`
            (seconds in all; what the tests run).
        steps: Training steps per run instead (default: ours, `STEPS`).
        eval_every: Evaluate the metrics every this many steps; it must divide
            `steps` (default: about `DEFAULT_EVALUATIONS` points per run).

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an `eval_every`
            that does not divide `steps`.
    """
    steps, eval_every = step_schedule(
        steps,
        eval_every,
        STEPS,
        quick,
        QUICK_STEPS,
        QUICK_EVAL_EVERY,
        DEFAULT_EVALUATIONS,
    )
    paper = paper_budget()
    del paper["seeds"]  # the number of seeds is the run's, not the budget's
    return {
        **paper,
        "train_points": TRAIN_POINTS,
        "unrolled_learning_rate": UNROLLED_LEARNING_RATE,
        "steps": steps,
        "eval_every": eval_every,
        "steps_per_execution": math.gcd(eval_every, MAX_STEPS_PER_EXECUTION),
        "fraction_of_paper_steps": steps / PAPER_STEPS,
    }


def build_generator():
    """The notebook's generator (mean network): z (254) -> 2 x [Dense(128), ReLU]
    -> Dense(2)."""
    import keras

    latents = keras.Input((LATENT_DIM,), name="latents")
    x = latents
    for _ in range(GENERATOR_LAYERS):
        x = keras.layers.Dense(HIDDEN_UNITS, activation="relu")(x)
    points = keras.layers.Dense(2, name="points")(x)
    return keras.Model(latents, points, name="generator")


def build_discriminator():
    """The notebook's discriminator on x alone: x (2) -> Dense(128), ReLU ->
    Dense(1) logit."""
    import keras

    points = keras.Input((2,), name="points")
    x = points
    for _ in range(DISCRIMINATOR_LAYERS):
        x = keras.layers.Dense(HIDDEN_UNITS, activation="relu")(x)
    logits = keras.layers.Dense(1, name="logits")(x)
    return keras.Model(points, logits, name="discriminator")


def samples_file(seed, dataset, method):
    """Where the final samples of a run are saved, relative to the folder."""
    return os.path.join("samples", f"seed{seed}_{dataset}_{file_stem(method)}.npy")


def build_gan(seed, unrolled_steps, steps_per_execution=1):
    """The compiled GAN of one run: plain (`unrolled_steps=0`) or unrolled."""
    import keras

    from keras_gans import GAN

    gan = GAN(build_generator(), build_discriminator(), seed=seed)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1),
        g_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1),
        loss="non_saturating",
        unrolled_steps=unrolled_steps,
        unrolled_learning_rate=UNROLLED_LEARNING_RATE,
        steps_per_execution=steps_per_execution,
    )
    return gan


def _train_one(seed, dataset, method, budget, folder, report):
    import keras

    from keras_gans import data as gan_data
    from keras_gans.data import builtin

    keras.utils.set_random_seed(seed)
    points, _ = builtin.mixture(
        dataset, "train", seed=seed, num_samples=budget["train_points"]
    )
    pipeline = gan_data.from_array(
        points, batch_size=budget["batch_size"], seed=seed
    ).repeat()
    gan = build_gan(seed, budget["methods"][method], budget["steps_per_execution"])
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
    path = samples_file(seed, dataset, method)
    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    np.save(os.path.join(folder, path), evaluate.samples)
    return {
        **_coverage(evaluate.samples, dataset),
        "unrolled_steps": int(gan.unrolled_steps),
        "samples": path,
        "curve": curve,
    }


def run_seed(seed, budget, folder, progress):
    """Trains every (mixture, method) of the budget from `seed`; saves each run's
    final 2,500 samples as `samples/seed<s>_<mixture>_<method>.npy` under
    `folder`.

    Returns:
        `{"seed": seed, "runs": [...]}`, one run per mixture and method with its
        final metrics, its `unrolled_steps` (read from the compiled GAN), its
        samples file and its curve (the metrics every `eval_every` steps).
    """
    import time

    runs = []
    settings = [(d, m) for d in budget["datasets"] for m in budget["methods"]]
    for index, (dataset, method) in enumerate(settings):
        started = time.perf_counter()

        def report(step, point, dataset=dataset, method=method, index=index):
            kl = point["reverse_kl"]
            progress(
                f"{dataset} {method} (run {index + 1}/{len(settings)}) "
                f"step {step}/{budget['steps']}: modes {point['modes_captured']}/"
                f"{point['num_modes']}, high quality "
                f"{100 * point['high_quality_fraction']:.1f}%, KL "
                + ("-" if math.isnan(kl) else f"{kl:.3f}")
            )

        result = _train_one(seed, dataset, method, budget, folder, report)
        runs.append(
            {
                "dataset": dataset,
                "method": method,
                **result,
                "wall_time_s": round(time.perf_counter() - started, 1),
            }
        )
    return {"seed": seed, "runs": runs}


def _published(values, key):
    if values is None:
        return "–"
    mean = values[0]
    text = f"{mean:g}"
    return text + " %" if key == "high_quality" else text


def table(results):
    """The Markdown table: every published row (ALI and VEEGAN have no row of
    ours), each of our methods' rows below its published one."""
    seeds = results["num_seeds"]
    datasets = results["budget"]["datasets"]
    names = {"ring8": "2D ring", "grid25": "2D grid"}
    header = "| method |" + "".join(
        f" {names[d]} modes (of {25 if d == 'grid25' else 8}) | high quality | "
        "KL to uniform |"
        for d in datasets
    )
    lines = [header, "|---|" + "---:|" * 3 * len(datasets)]
    keys = ("modes", "high_quality", "kl")
    for method, published in results["published"]["rows"].items():
        lines.append(
            f"| *{method}, published* |"
            + "".join(
                f" *{_published(published[d].get(k), k)}* |"
                if k in published[d]
                else " – |"
                for d in datasets
                for k in keys
            )
        )
        measured = results["summary"].get(method)
        if measured is not None:
            lines.append(
                f"| **{method}, ours** |"
                + "".join(
                    f" {_format(measured[d][k], k, seeds)} |"
                    for d in datasets
                    for k in keys
                )
            )
    return "\n".join(lines) + "\n"


def ordering(results):
    """Per mixture, whether the unrolled GAN's mean modes exceed the GAN's."""
    summary = results["summary"]
    return {
        dataset: summary["Unrolled GAN"][dataset]["modes"]["mean"]
        > summary["GAN"][dataset]["modes"]["mean"]
        for dataset in results["budget"]["datasets"]
        if "Unrolled GAN" in summary and "GAN" in summary
    }


def markdown(results):
    """`results.md`: the protocol in brief, the table, the ordering, the curves,
    the run's command, wall time and versions."""
    budget = results["budget"]
    held = ordering(results)
    verdict = "; ".join(
        f"{dataset}: {'holds' if holds else 'does not hold'}"
        for dataset, holds in held.items()
    )
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of `keras_gans.reproductions.veegan_table1` "
        "has it in full, with its sources): G z (254) -> 2×128 ReLU -> 2, D 2 -> "
        "128 ReLU -> logit, non-saturating loss, alternating Adam(1e-3, β1 0.5) "
        f"steps on {budget['batch_size']} points; the unrolled GAN looks "
        f"{budget['methods']['Unrolled GAN']} plain gradient steps "
        f"(η {budget['unrolled_learning_rate']:g}) ahead, second order. Metrics on "
        f"{budget['num_samples']:,} samples: modes that are the nearest mode of a "
        "sample within 3σ, the fraction of samples within 3σ of their nearest "
        "mode, and KL(q ‖ uniform) of those samples' mode histogram q (not in the "
        "paper's table; undefined without any).\n",
        f"Budget: **{budget['steps']:,} steps per run, "
        f"{100 * budget['fraction_of_paper_steps']:.3g} % of the "
        f"{results['paper_budget']['steps']:,} of the authors' notebook**; "
        f"{seeds_text(results['num_seeds'])} (the paper: "
        f"{results['paper_budget']['seeds']} runs)."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        f"Ours: mean ± standard deviation over {seeds_text(results['num_seeds'])}, at "
        "the last step. Published (italics): the mean over five runs, as Table 1 "
        "prints it (no spread given); ALI and VEEGAN are other models, shown for "
        "reference only.\n",
        table(results),
        f"The claim (the unrolled GAN captures more modes than the GAN): {verdict}.\n",
        "Published numbers: all of them were checked against the paper's Table 1 "
        "as the authors' repository shows it (`tab.png`).\n",
        f"High quality % / modes captured during training (mean over seeds; "
        f"evaluated every {budget['eval_every']:,} steps, figure `curves.png`):\n",
        *(curve_table(results, dataset) for dataset in budget["datasets"]),
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """PacGAN's figures (`pacgan_table1.write_figures`) for these runs: `curves.png`
    and seed 0's samples over the modes (`figures/seed0_<mixture>_<method>.png`).

    Returns:
        The figure paths relative to `folder`.
    """
    return pacgan_write_figures(results, folder, published_label="published")
