"""WGAN-GP Figure 2 on digits: a DCGAN generator without batch norm and with a
constant number of filters, trained with the standard GAN and with WGAN-GP.

Claim: the gradient penalty trains architectures that the standard GAN cannot.
Among the generators of the paper's Figure 2, "no normalization in G, constant
number of filters" gives the non-saturating GAN (DCGAN's recipe) poor samples
while WGAN-GP, with its default hyperparameters, still trains it; with the
standard DCGAN generator (batch norm, doubling filters) both train.

Paper: Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville, "Improved training
of Wasserstein GANs", NeurIPS 2017, https://arxiv.org/abs/1704.00028, Section
5.2 and Figure 2 (LSUN bedrooms 64x64, samples only: no numbers). The
generators and recipes are read from the authors' `gan_64x64.py`
(https://github.com/igul222/improved_wgan_training):
`WGANPaper_CrippledDCGANGenerator` (ReLU after the projection of z and after
each transposed convolution, `dim` filters everywhere, no normalization, a tanh
output) against the DCGAN discriminator; DCGAN mode: one D step per G step,
Adam(2e-4, β1 0.5); WGAN-GP mode: 5 critic steps per G step, λ = 10,
Adam(1e-4, β1 0, β2 0.9), layer normalization in place of the critic's batch
norm; 200,000 generator iterations of batches of 64.

Protocol (ours):

- **Data.** scikit-learn's digits, the 1,437-image train split padded to 16x16
  on a -1 background, in [-1, 1] (the digits presets'); a seeded shuffle per
  epoch, the last incomplete batch dropped.
- **Generators.** `architectures.dcgan_generator(16, 1, latent_dim=64,
  width=32, normalization="none", constant_width=True)`: z (64) -> 4x4x32 ->
  8x8x32 -> 16x16x1, ReLU, biases, N(0, 0.02) init (DCGAN's; the authors' code
  keeps its library default here), kernel 4 (theirs 5). The control: the
  standard DCGAN generator of the presets (batch norm, 64 then 32 filters).
- **Recipes.** "NS-GAN": the `dcgan` preset (non-saturating loss, DCGAN D with
  batch norm, Adam(2e-4, β1 0.5), one D step per G step, batch 64).
  "WGAN-GP": the `wgan-gp` preset (Wasserstein loss, `penalties.GradientPenalty`
  λ = 10, DCGAN D with layer norm, Adam(1e-4, β1 0, β2 0.9), 5 critic steps per
  G step, each on 64 images). Each run is `GAN(G, D)` compiled by
  `families.gan.compile_gan` with the preset, D from `families.gan.networks`.
- **Steps.** The same number of generator steps for both recipes (the paper
  trains every model for the same number of generator iterations):
  `DEFAULT_STEPS` (500) per run, so a WGAN-GP run makes 2,500 critic steps.
- **Samples and metrics.** After training, 1,000 samples
  (`GAN.generate(1000, seed=1000 + s)`), their centre 8x8 rounded to 8 bits and
  saved as one PNG (`samples/seed<s>_<configuration>.png`); FID and KID with
  the shipped digits classifier's 64-d features against the 360 held-out test
  digits, computed from the PNG's pixels (`keras_gans.reproductions._digits`);
  FID also every `eval_every` steps (the curve). The floor: the first 1,000
  training digits through the same PNG.
- **Seeds.** 3 (0, 1, 2); seed s seeds the weights, the data order, the latents
  and the evaluation latents. Mean ± standard deviation over seeds.

`budget()` is ours: 500 generator steps are 0.25 % of the paper's 200,000. The
full run (4 configurations x 3 seeds) takes about 8 minutes of one CPU core
(each run records its wall and CPU time).
`--steps` changes the generator steps per run and `--eval-every` the curve's
spacing.
"""

import os

from keras_gans.reproductions._digits import (
    KID_SUBSET_SIZE,
    KID_SUBSETS,
    DigitsMetrics,
    generated_digits,
    load_samples,
    write_fid_figure,
    write_samples_figure,
)
from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
    summary_statistics,
)
from keras_gans.reproductions.improved_gan_ablation import curve_table

__all__ = [
    "CONFIGURATIONS",
    "DEFAULT_SEEDS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "TITLE",
    "budget",
    "build_gan",
    "load_samples",
    "markdown",
    "paper_budget",
    "run_seed",
    "samples_file",
    "summarise",
    "write_figures",
]

NAME = "wgan-gp-no-bn"
TITLE = "WGAN-GP Figure 2 on digits: no normalization in G, constant filters"
REFERENCE = "Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028 (Figure 2)"
DEFAULT_SEEDS = 3

FLOOR = "real data"
# (label, file slug, preset, generator): "no_bn" is the no-normalization,
# constant-filters G; "dcgan" the presets' standard DCGAN G (the control).
CONFIGURATIONS = (
    ("NS-GAN, no-BN G", "nsgan_no_bn", "dcgan", "no_bn"),
    ("WGAN-GP, no-BN G", "wgangp_no_bn", "wgan-gp", "no_bn"),
    ("NS-GAN, DCGAN G", "nsgan_dcgan", "dcgan", "dcgan"),
    ("WGAN-GP, DCGAN G", "wgangp_dcgan", "wgan-gp", "dcgan"),
)
DEFAULT_STEPS = 500  # generator steps per run
TRAIN_IMAGES = 1_437
NUM_SAMPLES = 1_000
EVALUATION_SEED_OFFSET = 1_000
DEFAULT_EVALUATIONS = 5
GRID_SAMPLES = 64
QUICK_STEPS = 2
QUICK_EVAL_EVERY = 1
QUICK_NUM_SAMPLES = 100
PAPER_GENERATOR_ITERATIONS = 200_000  # gan_64x64.py's ITERS

PUBLISHED = {
    "source": (
        "Gulrajani et al. 2017, Section 5.2 and Figure 2: LSUN bedroom samples "
        "(64x64) of six generator/discriminator architectures, each trained with "
        "DCGAN, LSGAN, WGAN with clipping and WGAN-GP for 200K iterations; "
        "samples only, no numbers"
    ),
    "claim": (
        "Only WGAN-GP trained every architecture with one shared set of "
        "hyperparameters; with 'no normalization in G, constant filters' the "
        "DCGAN objective's samples are poor while WGAN-GP's are good. The "
        "baseline (DCGAN G and D) trains with every method."
    ),
    "dataset": "LSUN bedrooms 64x64",
    "generator_iterations": PAPER_GENERATOR_ITERATIONS,
}


def paper_budget():
    """The authors' `gan_64x64.py`: 200,000 generator iterations of batches of
    64 (5 critic steps each for WGAN-GP, one D step for DCGAN), LSUN bedrooms."""
    return {
        "script": "gan_64x64.py",
        "dataset": "LSUN bedrooms 64x64",
        "batch_size": 64,
        "generator_iterations": PAPER_GENERATOR_ITERATIONS,
        "steps": PAPER_GENERATOR_ITERATIONS,
        "critic_steps_per_iteration": {"WGAN-GP": 5, "DCGAN": 1},
    }


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: `QUICK_STEPS` generator steps, evaluated every `QUICK_EVAL_EVERY`
            on `QUICK_NUM_SAMPLES` samples (seconds; what the tests run).
        steps: Generator steps per run instead (default 500).
        eval_every: Measure FID every this many steps; it must divide `steps`.

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an
            `eval_every` that does not divide `steps`.
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
        "dataset": "digits",
        "image_size": 16,
        "train_images": TRAIN_IMAGES,
        "batch_size": 64,
        "steps": steps,
        "eval_every": eval_every,
        "num_samples": QUICK_NUM_SAMPLES if quick else NUM_SAMPLES,
        "num_real_samples": 360,
        "real_split": "test",
        "extractor": "digits",
        "kid_subsets": KID_SUBSETS,
        "kid_subset_size": KID_SUBSET_SIZE,
        "configurations": [label for label, *_ in CONFIGURATIONS],
        # A few steps run faster eagerly than traced.
        "run_eagerly": bool(quick),
        "fraction_of_paper_steps": steps / PAPER_GENERATOR_ITERATIONS,
    }


def _configuration(label):
    for entry in CONFIGURATIONS:
        if entry[0] == label:
            return entry
    raise ValueError(
        f"`configuration` should be one of "
        f"{', '.join(entry[0] for entry in CONFIGURATIONS)}. Received: "
        f"`configuration={label!r}`."
    )


def build_gan(label, seed=None):
    """The compiled GAN of the configuration `label` on 16x16 digits.

    D and the standard G come from `families.gan.networks` with the preset; the
    no-BN G is `dcgan_generator(..., normalization="none", constant_width=True)`
    at the preset's width and latent size."""
    from keras_gans import GAN, presets
    from keras_gans.architectures import dcgan_generator
    from keras_gans.families import gan as gan_family

    _, _, preset_name, generator_kind = _configuration(label)
    recipe = presets.get(preset_name)
    shape = (recipe.image_size, recipe.image_size, 1)
    generator, discriminator = gan_family.networks(recipe, shape, seed)
    if generator_kind == "no_bn":
        generator = dcgan_generator(
            recipe.image_size,
            1,
            latent_dim=recipe.latent_dim,
            width=recipe.width,
            normalization="none",
            constant_width=True,
            seed=seed,
        )
    model = GAN(generator, discriminator, latent_dim=recipe.latent_dim, seed=seed)
    gan_family.compile_gan(model, recipe)
    return model


def samples_file(seed, slug):
    """Where the samples of a run are saved, relative to the folder."""
    return os.path.join("samples", f"seed{seed}_{slug}.png")


def _train_one(label, slug, seed, budget, folder, metrics, report):
    import keras

    from keras_gans import data, presets

    keras.utils.set_random_seed(seed)
    recipe = presets.get(_configuration(label)[2])
    pipeline = data.load(
        recipe.dataset,
        batch_size=recipe.batch_size * recipe.discriminator_steps,
        seed=seed,
        image_size=recipe.image_size,
        resize=recipe.resize,
    ).repeat()
    gan = build_gan(label, seed)
    gan.run_eagerly = budget["run_eagerly"]
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
        "preset": recipe.name,
        "discriminator_steps": recipe.discriminator_steps,
        "generator_parameters": int(gan.generator.count_params()),
        **metrics.final(samples(), folder, samples_file(seed, slug)),
        "curve": curve,
    }


def run_seed(seed, budget, folder, progress):
    """Trains every configuration from `seed` and measures it and the floor;
    saves each run's evaluated samples as `samples/seed<s>_<configuration>.png`
    and the floor's as `samples/real_train.png` under `folder`.

    Returns:
        `{"seed", "floor": {...}, "runs": [...]}`: the floor's FID and KID, and
        one run per configuration with its FID, KID, samples file and FID curve.
    """
    import time

    from keras_gans import data

    metrics = DigitsMetrics()
    train_digits = data.load_arrays("digits", "train")[0][: budget["num_samples"]]
    floor = metrics.final(
        train_digits, folder, os.path.join("samples", "real_train.png")
    )
    runs = []
    for index, (label, slug, _, generator_kind) in enumerate(CONFIGURATIONS):
        started, cpu_started = time.perf_counter(), time.process_time()

        def report(step, point, label=label, index=index):
            progress(
                f"{label} (run {index + 1}/{len(CONFIGURATIONS)}) step "
                f"{step}/{budget['steps']}: FID {point['fid']:.2f} (floor "
                f"{floor['fid']:.2f})"
            )

        result = _train_one(label, slug, seed, budget, folder, metrics, report)
        runs.append(
            {
                "method": label,
                "generator": generator_kind,
                **result,
                "wall_time_s": round(time.perf_counter() - started, 1),
                # Core-seconds: CPU time of every thread of the process.
                "cpu_time_s": round(time.process_time() - cpu_started, 1),
            }
        )
    return {"seed": seed, "floor": floor, "runs": runs}


def summarise(seed_results):
    """Mean, standard deviation and standard error over seeds of each
    configuration's FID and KID, and of the floor's."""
    values = {FLOOR: {"fid": [], "kid": []}}
    for record in seed_results:
        values[FLOOR]["fid"].append(record["floor"]["fid"])
        values[FLOOR]["kid"].append(record["floor"]["kid"])
        for run in record["runs"]:
            entry = values.setdefault(run["method"], {"fid": [], "kid": []})
            entry["fid"].append(run["fid"])
            entry["kid"].append(run["kid"])
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


def table(results):
    """The Markdown table: FID and KID of each configuration and of the floor."""
    seeds = results["num_seeds"]
    lines = ["| method | FID ↓ | KID ↓ |", "|---|---:|---:|"]
    for method, measured in results["summary"].items():
        label = "real data (floor: train digits)" if method == FLOOR else method
        lines.append(
            f"| **{label}** | {_format(measured['fid'], seeds)} | "
            f"{_format(measured['kid'], seeds, 4)} |"
        )
    return "\n".join(lines) + "\n"


def markdown(results):
    """`results.md`: the protocol in brief, the table, the claim as published,
    the FID curve, the command, wall time and versions."""
    budget = results["budget"]
    published = results["published"]
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of "
        "`keras_gans.reproductions.wgan_gp_no_bn` has it in full): on digits "
        "padded to 16x16, the DCGAN generator without normalization and with a "
        'constant 32 filters (`dcgan_generator(normalization="none", '
        "constant_width=True)`), and the standard DCGAN generator as the "
        "control, each trained with the `dcgan` preset (non-saturating loss, "
        "Adam 2e-4, β1 0.5, one D step) and the `wgan-gp` preset (λ = 10, Adam "
        "1e-4, β1 0, β2 0.9, 5 critic steps, layer-norm critic). FID and KID "
        f"(lower is better) of {budget['num_samples']:,} samples (centre 8x8, "
        f"8-bit PNG) against the {budget['num_real_samples']} test digits with "
        "the shipped digits classifier's features.\n",
        f"Budget: **{budget['steps']:,} generator steps per run**, "
        f"{100 * budget['fraction_of_paper_steps']:.2g} % of the paper's "
        f"{results['paper_budget']['generator_iterations']:,}; "
        f"{seeds_text(results['num_seeds'])} per configuration."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        "Ours, mean ± standard deviation over seeds:\n",
        table(results),
        f"As published ({published['source']}): {published['claim']}\n",
        f"FID during training (mean over seeds; measured every "
        f"{budget['eval_every']:,} generator steps, figure `fid.png`):\n",
        curve_table(results),
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """`fid.png` (final FID per configuration: each seed a dot, the mean a bar,
    the floor a dashed line; and FID against generator steps, mean over seeds
    with the range)
    and `samples_seed0.png` (the first 64 evaluated samples of each
    configuration and of the floor, seed 0).

    Returns:
        The figure paths relative to `folder`.
    """
    floor = results["summary"][FLOOR]["fid"]["mean"]
    written = [
        write_fid_figure(
            results,
            folder,
            [label for label, *_ in CONFIGURATIONS],
            floor,
            step_name="generator step",
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
            panel_size=(2.4, 2.8),
        )
    )
    return written
