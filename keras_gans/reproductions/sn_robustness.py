"""SNGAN Figures 1 and 2 on digits: how much each discriminator's sample quality
moves across the optimiser settings A-F of Table 1.

Claim: spectral normalization in D is robust to the optimiser's settings. Trained
with each of Table 1's six settings of Adam (learning rate α, β1, β2) and of the
number of D updates per G update (n_dis), an SN discriminator keeps a good score
where the other methods fail at some settings; "WGAN-GP fails to train good GANs
at high learning rates and high momentum parameters" (D, E and F). Our measure of
that robustness: the spread across the six settings of each method's mean FID
(the standard deviation and the range, max - min, of the six per-setting means);
the claim holds here when spectral normalization's spread is the smallest.

Paper: Miyato, Kataoka, Koyama and Yoshida, "Spectral normalization for
generative adversarial networks", ICLR 2018, https://arxiv.org/abs/1802.05957 :
Table 1 (the settings), Figures 1 and 2 (Inception Score and FID of each method at
each setting on CIFAR-10 and STL-10, drawn as bars, with no numbers printed) and
Table 2 (each method's score at its best setting). Section 4: every method but
WGAN-GP is trained with the standard loss (15), the non-saturating form for G
("the alternate cost" of Goodfellow et al. 2014), weight clipping included (c =
0.01 on each layer's weights, as Arjovsky et al. 2017); WGAN-GP with the
Wasserstein loss and the gradient penalty λ = 10; the networks are the "standard
CNN" of Table 3; 100,000 G updates per run; Adam for both players.

Protocol (ours):

- **Data.** scikit-learn's digits, the 1,437-image train split, padded to 16x16 on
  a -1 background, in [-1, 1]; a seeded shuffle per epoch, batches of 64 images
  per D update (a batch of 64 * n_dis per G update, split into n_dis parts, one per
  D update: `GAN.compile(discriminator_steps=n_dis)`).
- **Networks.** G: the library's DCGAN generator
  (`architectures.dcgan_generator`, width `WIDTH`, z ~ N(0, I) of 64, batch norm).
  D: the library's DCGAN discriminator (`architectures.dcgan_discriminator`, width
  `WIDTH`) with the method's `normalization`, the same for every method otherwise.
- **Methods** (`METHODS`):
  - `SN`: `normalization="spectral"`, the library's `SpectralNormalization` on
    every convolution and the logit layer (one power iteration per call),
    non-saturating loss;
  - `SN (keras.layers)`: the same D cloned (`keras.models.clone_model`) with each
    of our wrappers replaced by `keras.layers.SpectralNormalization` around the
    same inner layer, with the same initial kernels, biases and power-iteration
    vectors u (`keras_spectral_discriminator`): trained in the same runs (same
    seed, G, data and latents), so the two implementations are compared paired;
  - `WGAN-GP`: layer norm in the critic (the `wgan-gp` preset's), Wasserstein
    loss, `penalties.GradientPenalty(10)`;
  - `weight clipping`: `normalization="none"`, non-saturating loss (the paper's
    loss (15) for every method but WGAN-GP), `penalties.WeightClipping(0.01)` on
    every D weight after each D update;
  - `BN`: batch norm in D (`normalization="batch"`), non-saturating loss.
- **Settings** (`SETTINGS`, Table 1 as published): Adam(α, β1, β2) for both
  players and n_dis D updates per G update.
- **Steps.** `DEFAULT_STEPS` G updates per run (each with n_dis D updates), as the
  paper counts its 100,000.
- **Samples.** After training, `NUM_SAMPLES` samples from
  `GAN.generate(n, seed=1000 + s)`; their centre 8x8 rounded to 8 bits and saved
  as one PNG per run (`samples/seed<s>_<setting>_<method>.png`): the metrics are
  computed from the PNG's pixels.
- **Extractor and split.** The shipped digits classifier's 64-d features
  (extractor "digits"); the real side is the held-out test split, 360 digits.
- **Metrics.** FID (`metrics.frechet_distance`) and KID
  (`metrics.kernel_inception_distance`, 100 subsets), lower is better; FID also
  every `eval_every` G updates on the same latents (the curve). The floor: the
  first `NUM_SAMPLES` training digits, through the same PNG, in the place of the
  samples.
- **Summary.** Per method and setting: mean ± standard deviation of FID over
  seeds. Per method: the mean, standard deviation (ddof 1) and range (max - min)
  of its six per-setting mean FIDs, and which method has the smallest; the same
  over the aggressive settings D-F alone (`AGGRESSIVE_SETTINGS`: α = 1e-3 and
  n_dis = 5 for all three, only β1 and β2 differ), a secondary measure added
  because at this budget the settings with α = 1e-4 or 2e-4 are still early in
  training, so the spread over all six also measures how fast each setting
  learns. Per setting: the paired difference FID(SN) - FID(SN, keras.layers) of
  each seed, mean ± standard deviation over seeds.
- **Seeds.** 3 (0, 1, 2); seed s seeds the weights (`keras.utils.set_random_seed`
  and the builders' `seed`), the data shuffle, the latents and the evaluation
  latents.

What differs from the paper, and why: digits at 16x16, not CIFAR-10 / STL-10
(offline, and it fits one CPU core); the library's DCGAN networks (4x4 stride-2
convolutions, LeakyReLU 0.2) of width `WIDTH`, not Table 3's 7-layer CNN of 64 to
512 filters; `DEFAULT_STEPS` G updates, not 100,000: the whole run, 6 settings x
5 methods x 3 seeds = 90 runs, took 24 CPU core-minutes (1,349 s user and 113 s
system time, 2,079 s wall on a machine shared with other work); a run's fixed
cost, tracing its step functions, is about 6 s of it, nearly as much as its G
updates; FID of the digits classifier's features on
`NUM_SAMPLES` samples against 360 test digits, not of Inception features on
5,000 samples against 10,000 real images; batch norm and layer norm keep their
learned scale γ, which the paper removes; the paper's GAN-GP, layer norm,
weight norm and orthonormal rows are not run. At this budget the runs are early
in training, so a setting's FID also measures how fast it learns. The published
numbers stand beside ours for the direction of the claim only.

`--steps` changes the G updates per run and `--eval-every` the curve's spacing.
"""

import dataclasses
import math
import os

import numpy as np

from keras_gans.reproductions._digits import (
    KID_SUBSET_SIZE,
    KID_SUBSETS,
    DigitsMetrics,
    generated_digits,
    show_samples,
)
from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
    summary_statistics,
)
from keras_gans.reproductions.improved_gan_ablation import _format

__all__ = [
    "DEFAULT_SEEDS",
    "METHODS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "SETTINGS",
    "TITLE",
    "Method",
    "Setting",
    "budget",
    "build_discriminator",
    "build_gan",
    "keras_spectral_discriminator",
    "markdown",
    "paper_budget",
    "run_seed",
    "samples_file",
    "spread",
    "summarise",
    "write_figures",
]

NAME = "sn-robustness"
TITLE = "SNGAN Figures 1-2 on digits: FID across the optimiser settings A-F"
REFERENCE = (
    "Miyato et al. 2018, https://arxiv.org/abs/1802.05957 (Table 1, Figures 1-2)"
)
DEFAULT_SEEDS = 3  # ours: the paper's Figures 1-2 show one run per bar


@dataclasses.dataclass(frozen=True)
class Setting:
    """One row of Table 1: Adam(`learning_rate`, `beta_1`, `beta_2`) for both
    players and `discriminator_steps` (n_dis) D updates per G update."""

    name: str
    learning_rate: float
    beta_1: float
    beta_2: float
    discriminator_steps: int


# Table 1 as published (A: Gulrajani et al. 2017; B: Warde-Farley & Bengio 2017;
# C: Radford et al. 2016; D-F: more aggressive learning rates and momenta).
SETTINGS = (
    Setting("A", 1e-4, 0.5, 0.9, 5),
    Setting("B", 1e-4, 0.5, 0.999, 1),
    Setting("C", 2e-4, 0.5, 0.999, 1),
    Setting("D", 1e-3, 0.5, 0.9, 5),
    Setting("E", 1e-3, 0.5, 0.999, 5),
    Setting("F", 1e-3, 0.9, 0.999, 5),
)
_SETTINGS = {setting.name: setting for setting in SETTINGS}


@dataclasses.dataclass(frozen=True)
class Method:
    """A discriminator and its loss: `normalization` of `dcgan_discriminator`,
    the adversarial `loss`, a `penalty` ("gp": WGAN-GP's, "clip": weight
    clipping, None) and whether spectral normalization is Keras' layer."""

    name: str
    slug: str  # in file names
    paper_row: str  # its row in Figures 1-2 and Table 2
    normalization: str
    loss: str
    penalty: str | None = None
    keras_spectral: bool = False


SPECTRAL = "SN"
KERAS_SPECTRAL = "SN (keras.layers)"
METHODS = (
    Method(SPECTRAL, "sn", "SN", "spectral", "non_saturating"),
    Method(
        KERAS_SPECTRAL,
        "sn_keras",
        "SN",
        "spectral",
        "non_saturating",
        keras_spectral=True,
    ),
    Method("WGAN-GP", "wgan_gp", "WGAN-GP", "layer", "wasserstein", "gp"),
    Method("weight clipping", "clip", "Weight clip.", "none", "non_saturating", "clip"),
    Method("BN", "bn", "BN", "batch", "non_saturating"),
)
_METHODS = {method.name: method for method in METHODS}
GRADIENT_PENALTY_WEIGHT = 10.0  # λ, Section 4.1 (as Gulrajani et al. 2017)
CLIP_VALUE = 0.01  # c, Section 4.1 (as Arjovsky et al. 2017)

IMAGE_SIZE = 16  # the digits padded to 16x16 (the digits presets')
LATENT_DIM = 64  # the digits presets'
WIDTH = 16  # D's first and G's last filters (the presets' 32, halved for time)
BATCH_SIZE = 64  # images per D update
TRAIN_IMAGES = 1_437  # the digits train split
DEFAULT_STEPS = 300  # G updates per run
DEFAULT_EVALUATIONS = 3  # points of the FID curve per run
NUM_SAMPLES = 250  # generated samples per run, and training digits in the floor
EVALUATION_SEED_OFFSET = 1_000  # the evaluation latents of seed s: seed 1000 + s
FLOOR = "real data"
GRID_SAMPLES = 25  # samples per run in the seed-0 figure
QUICK_STEPS = 1
QUICK_EVAL_EVERY = 1
QUICK_NUM_SAMPLES = 100
QUICK_SETTINGS = ("A", "B")  # one with n_dis = 5, one with n_dis = 1
# Table 1's aggressive settings: α = 1e-3 and n_dis = 5, only the momenta differ.
AGGRESSIVE_SETTINGS = ("D", "E", "F")
PAPER_STEPS = 100_000  # G updates per run, Section 4.1

# Table 2 as published, the standard-CNN rows of our methods and the real data:
# each method at its best setting; (Inception Score, its ±, FID) on CIFAR-10 and
# STL-10 (None: not reported).
TABLE2 = (
    ("Real data", (11.24, 0.12, 7.8), (26.08, 0.26, 7.9)),
    ("Weight clipping", (6.41, 0.11, 42.6), (7.57, 0.10, 64.2)),
    ("WGAN-GP", (6.68, 0.06, 40.2), (8.42, 0.13, 55.1)),
    ("Batch Norm.", (6.27, 0.10, 56.3), None),
    ("(ours) SN-GANs", (7.42, 0.08, 29.3), (8.28, 0.09, 53.1)),
)
_TABLE2_ROWS = {
    FLOOR: "Real data",
    SPECTRAL: "(ours) SN-GANs",
    KERAS_SPECTRAL: "(ours) SN-GANs",
    "WGAN-GP": "WGAN-GP",
    "weight clipping": "Weight clipping",
    "BN": "Batch Norm.",
}


def _table2_entry(values):
    if values is None:
        return None
    score, error, fid = values
    return {"inception_score": score, "inception_score_error": error, "fid": fid}


PUBLISHED = {
    "source": (
        "Miyato et al. 2018: Table 1 (the settings), Table 2 (standard CNN, each "
        "method at its best setting) and Figures 1-2 (each setting, as bars: no "
        "numbers printed); CIFAR-10 and STL-10, another dataset and measure than "
        "ours, shown for the direction of the claim only"
    ),
    "settings": [dataclasses.asdict(setting) for setting in SETTINGS],
    "table2": [
        {
            "row": row,
            "cifar10": _table2_entry(cifar),
            "stl10": _table2_entry(stl),
        }
        for row, cifar, stl in TABLE2
    ],
    "rows": _TABLE2_ROWS,
    "claims": [
        "spectral normalization is relatively robust with aggressive learning "
        "rates and momentum parameters (Figures 1-2)",
        "WGAN-GP fails to train good GANs at high learning rates and high "
        "momentum parameters (settings D, E and F)",
    ],
    "fid_protocol": "Inception features, 5,000 samples against 10,000 real images",
}


def paper_budget():
    """Section 4.1 and Appendix B.1: 100,000 G updates per run, the six settings,
    Inception Score of 5,000 samples (10 repeats) and FID of 5,000 samples against
    10,000 real images, on CIFAR-10 (50,000 images) and STL-10."""
    return {
        "dataset": "CIFAR-10, STL-10",
        "steps": PAPER_STEPS,
        "step": "one G update after n_dis D updates",
        "settings": [setting.name for setting in SETTINGS],
        "num_samples": 5_000,
        "num_real_samples": 10_000,
        "measure": "Inception Score and FID (Inception features)",
    }


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: Settings `QUICK_SETTINGS` only, `QUICK_STEPS` G update per run,
            run eagerly (tracing the step functions costs more than one step),
            evaluated on `QUICK_NUM_SAMPLES` samples (seconds in all; what the
            tests run).
        steps: G updates per run instead (default `DEFAULT_STEPS`).
        eval_every: Measure FID every this many G updates; it must divide `steps`
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
        "dataset": "digits",
        "image_size": IMAGE_SIZE,
        "train_images": TRAIN_IMAGES,
        "batch_size": BATCH_SIZE,
        "latent_dim": LATENT_DIM,
        "width": WIDTH,
        "steps": steps,
        "eval_every": eval_every,
        "num_samples": QUICK_NUM_SAMPLES if quick else NUM_SAMPLES,
        "num_real_samples": 360,
        "real_split": "test",
        "extractor": "digits",
        "kid_subsets": KID_SUBSETS,
        "kid_subset_size": KID_SUBSET_SIZE,
        "settings": list(QUICK_SETTINGS if quick else _SETTINGS),
        "methods": [method.name for method in METHODS],
        "run_eagerly": bool(quick),
        "fraction_of_paper_steps": steps / PAPER_STEPS,
    }


def _method(name):
    if name not in _METHODS:
        raise ValueError(
            f"`method` should be one of {', '.join(map(repr, _METHODS))}. "
            f"Received: `method={name!r}`."
        )
    return _METHODS[name]


def _setting(name):
    if name not in _SETTINGS:
        raise ValueError(
            f"`setting` should be one of {', '.join(_SETTINGS)}. Received: "
            f"`setting={name!r}`."
        )
    return _SETTINGS[name]


def keras_spectral_discriminator(discriminator):
    """A copy of `discriminator` with each `keras_gans.layers.SpectralNormalization`
    replaced by `keras.layers.SpectralNormalization` around the same inner layer.

    Built with `keras.models.clone_model`: every other layer is cloned from its
    config; each wrapper becomes Keras' wrapper (same name and number of power
    iterations) around a layer of the same config. The weights are then copied:
    every inner kernel and bias, and each power-iteration vector u (ours `[out]`,
    Keras' `[1, out]`), so that both start from the same state.

    How the two differ in training (our layer's docstring has it in full): ours
    runs the inner layer on W / σ(W) and keeps W stored, with the gradient
    through σ; Keras' assigns W / σ(W) into the kernel at every training call,
    so its optimizer updates the normalised kernel and no gradient flows through
    σ.
    """
    import keras

    from keras_gans.layers import SpectralNormalization

    def clone(layer):
        if isinstance(layer, SpectralNormalization):
            inner = layer.layer
            return keras.layers.SpectralNormalization(
                inner.__class__.from_config(inner.get_config()),
                power_iterations=layer.power_iterations,
                name=layer.name,
            )
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(discriminator, clone_function=clone)
    originals = {layer.name: layer for layer in discriminator.layers}
    for layer in copy.layers:
        original = originals[layer.name]
        if isinstance(original, SpectralNormalization):
            layer.layer.set_weights(original.layer.get_weights())
            layer.vector_u.assign(np.asarray(original.u)[np.newaxis])  # [1, out]
        else:
            layer.set_weights(original.get_weights())
    return copy


def build_discriminator(method, seed=None):
    """The DCGAN discriminator of `method` (a `METHODS` name) on 16x16 digits."""
    from keras_gans import architectures

    method = _method(method)
    discriminator = architectures.dcgan_discriminator(
        IMAGE_SIZE, 1, width=WIDTH, normalization=method.normalization, seed=seed
    )
    if method.keras_spectral:
        return keras_spectral_discriminator(discriminator)
    return discriminator


def _penalties(method):
    from keras_gans import penalties

    if method.penalty == "gp":
        return [penalties.GradientPenalty(GRADIENT_PENALTY_WEIGHT)]
    if method.penalty == "clip":
        return [penalties.WeightClipping(CLIP_VALUE)]
    return []


def build_gan(method, setting, seed=None, run_eagerly=False):
    """The compiled GAN of `method` (a `METHODS` name) trained with `setting` (a
    `SETTINGS` name): the DCGAN generator, the method's discriminator, loss and
    penalty, Adam(α, β1, β2) for each player and n_dis D updates per G update.

    Seeds the global generators with `seed` first (the clone's layers and the
    Keras wrapper draw from them), so a call with the same arguments builds the
    same model.
    """
    import keras

    from keras_gans import GAN, architectures

    method, setting = _method(method), _setting(setting)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    generator = architectures.dcgan_generator(
        IMAGE_SIZE, 1, latent_dim=LATENT_DIM, width=WIDTH, seed=seed
    )
    gan = GAN(
        generator,
        build_discriminator(method.name, seed),
        latent_dim=LATENT_DIM,
        seed=seed,
    )

    def adam():
        return keras.optimizers.Adam(
            setting.learning_rate, beta_1=setting.beta_1, beta_2=setting.beta_2
        )

    gan.compile(
        d_optimizer=adam(),
        g_optimizer=adam(),
        loss=method.loss,
        penalties=_penalties(method),
        discriminator_steps=setting.discriminator_steps,
        run_eagerly=run_eagerly,
    )
    return gan


def samples_file(seed, setting, method):
    """Where the samples of a run are saved, relative to the folder."""
    return os.path.join("samples", f"seed{seed}_{setting}_{_method(method).slug}.png")


def _train_one(method, setting, seed, budget, folder, metrics, report):
    import keras

    from keras_gans import data

    gan = build_gan(method, setting, seed, run_eagerly=budget["run_eagerly"])
    discriminator_steps = _setting(setting).discriminator_steps
    pipeline = data.load(
        "digits",
        batch_size=BATCH_SIZE * discriminator_steps,  # split into n_dis D batches
        seed=seed,
        image_size=IMAGE_SIZE,
        resize="pad",
    ).repeat()
    evaluation_seed = EVALUATION_SEED_OFFSET + seed
    epochs = budget["steps"] // budget["eval_every"]
    curve = []

    def samples():
        return generated_digits(gan, budget["num_samples"], evaluation_seed)

    class Evaluate(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == epochs:  # the final samples are measured below
                return
            step = (epoch + 1) * budget["eval_every"]
            point = {"step": step, "fid": metrics.fid(samples())}
            curve.append(point)
            report(step, point)

    gan.fit(
        pipeline,
        epochs=epochs,
        steps_per_epoch=budget["eval_every"],
        callbacks=[Evaluate()],
        verbose=0,
        shuffle=False,
    )
    final = metrics.final(samples(), folder, samples_file(seed, setting, method))
    point = {"step": budget["steps"], "fid": final["fid"]}
    curve.append(point)
    report(budget["steps"], point)
    return {**final, "curve": curve}


def run_seed(seed, budget, folder, progress):
    """Trains every method with every setting of `budget["settings"]` from
    `seed`, and measures them and the floor; saves each run's evaluated samples
    as `samples/seed<s>_<setting>_<method>.png` and the floor's as
    `samples/real_train.png` under `folder`.

    Returns:
        `{"seed": seed, "floor": {...}, "runs": [...]}`: the floor's FID and KID,
        and one run per (setting, method) with its FID, KID, samples file and FID
        curve.
    """
    import time

    from keras_gans import data

    metrics = DigitsMetrics()
    train_digits = data.load_arrays("digits", "train")[0][: budget["num_samples"]]
    floor = metrics.final(
        train_digits, folder, os.path.join("samples", "real_train.png")
    )
    pairs = [(s, m.name) for s in budget["settings"] for m in METHODS]
    runs = []
    for index, (setting, method) in enumerate(pairs):
        started = time.perf_counter()

        def report(step, point, setting=setting, method=method, index=index):
            progress(
                f"{setting} {method} (run {index + 1}/{len(pairs)}) step "
                f"{step}/{budget['steps']}: FID {point['fid']:.2f} (floor "
                f"{floor['fid']:.2f})"
            )

        result = _train_one(method, setting, seed, budget, folder, metrics, report)
        runs.append(
            {
                "setting": setting,
                "method": method,
                **result,
                "wall_time_s": round(time.perf_counter() - started, 1),
            }
        )
    return {"seed": seed, "floor": floor, "runs": runs}


def _finite(value):
    """Whether `value` is a finite number (results.json holds NaN as None)."""
    return value is not None and math.isfinite(value)


def spread(values):
    """The spread of a method's per-setting mean FIDs `values`: their mean,
    standard deviation (ddof 1) and range (max - min); NaN for fewer than two
    finite values (a standard deviation and range need two)."""
    finite = [float(v) for v in values if _finite(v)]
    if len(finite) < 2 or len(finite) < len(values):
        return {"mean": math.nan, "std": math.nan, "range": math.nan}
    return {
        "mean": float(np.mean(finite)),
        "std": float(np.std(finite, ddof=1)),
        "range": float(max(finite) - min(finite)),
    }


def summarise(seed_results):
    """The floor's FID and KID; per method, per setting FID and KID over seeds
    and the spread of the per-setting mean FIDs, over every setting and over
    `AGGRESSIVE_SETTINGS` (NaN unless all three ran); the method with the
    smallest spread of each; and per setting the paired difference FID(SN) -
    FID(SN, keras.layers) over seeds.

    Returns:
        `{"floor": {"fid", "kid"}, "methods": {method: {"settings": {setting:
        {"fid", "kid"}}, "spread": {"mean", "std", "range"},
        "spread_aggressive": {...}}}, "smallest_spread": {"std": method, "range":
        method}, "spectral_spread_smallest": {"std": bool, "range": bool},
        "smallest_spread_aggressive": {...}, "spectral_spread_smallest_aggressive":
        {...}, "paired_difference": {setting: statistics}}`.
    """
    floor = {
        key: summary_statistics([record["floor"][key] for record in seed_results])
        for key in ("fid", "kid")
    }
    values = {}  # {method: {setting: {"fid": [...], "kid": [...]}}}
    by_seed = {}  # {(seed, setting, method): fid}
    for record in seed_results:
        for run in record["runs"]:
            entry = values.setdefault(run["method"], {}).setdefault(
                run["setting"], {"fid": [], "kid": []}
            )
            entry["fid"].append(run["fid"])
            entry["kid"].append(run["kid"])
            by_seed[(record["seed"], run["setting"], run["method"])] = run["fid"]
    methods = {}
    for method, settings in values.items():
        statistics = {
            setting: {key: summary_statistics(series) for key, series in entry.items()}
            for setting, entry in settings.items()
        }
        means = {setting: entry["fid"]["mean"] for setting, entry in statistics.items()}
        aggressive = [means.get(setting, math.nan) for setting in AGGRESSIVE_SETTINGS]
        methods[method] = {
            "settings": statistics,
            "spread": spread(list(means.values())),
            "spread_aggressive": spread(aggressive),
        }

    def smallest(name):
        found = {}
        for key in ("std", "range"):
            finite = {
                method: entry[name][key]
                for method, entry in methods.items()
                if math.isfinite(entry[name][key])
            }
            found[key] = min(finite, key=finite.get) if finite else None
        return found

    settings = list(next(iter(values.values()))) if values else []
    paired = {}
    for setting in settings:
        differences = []
        for record in seed_results:
            ours = by_seed.get((record["seed"], setting, SPECTRAL))
            theirs = by_seed.get((record["seed"], setting, KERAS_SPECTRAL))
            if ours is not None and theirs is not None:
                differences.append(ours - theirs)
        paired[setting] = summary_statistics(differences)
    smallest_spread = smallest("spread")
    smallest_aggressive = smallest("spread_aggressive")
    return {
        "floor": floor,
        "methods": methods,
        "smallest_spread": smallest_spread,
        "spectral_spread_smallest": {
            key: smallest_spread[key] == SPECTRAL for key in ("std", "range")
        },
        "smallest_spread_aggressive": smallest_aggressive,
        "spectral_spread_smallest_aggressive": {
            key: smallest_aggressive[key] == SPECTRAL for key in ("std", "range")
        },
        "paired_difference": paired,
    }


def table(results):
    """The Markdown table: each method's FID per setting (mean ± std over seeds),
    the spread of its per-setting means, and its Table 2 row's FID."""
    seeds = results["num_seeds"]
    summary = results["summary"]
    settings = results["budget"]["settings"]
    published = {entry["row"]: entry for entry in results["published"]["table2"]}
    rows = results["published"]["rows"]
    smallest = summary["smallest_spread"]
    lines = [
        "| method | loss |"
        + "".join(f" {setting} |" for setting in settings)
        + " mean | std across settings ↓ | max − min ↓ | *Table 2 FID, CIFAR-10 / "
        "STL-10 (paper, best setting)* |",
        "|---|---|" + "---:|" * (len(settings) + 4),
    ]
    for method in METHODS:
        if method.name not in summary["methods"]:
            continue
        measured = summary["methods"][method.name]
        cells = "".join(
            f" {_format(measured['settings'][setting]['fid'], seeds)} |"
            for setting in settings
        )
        spread_cells = []
        for key in ("mean", "std", "range"):
            value = measured["spread"][key]
            text = f"{value:.2f}" if _finite(value) else "–"
            if key != "mean" and smallest.get(key) == method.name:
                text = f"**{text}**"
            spread_cells.append(f" {text} |")
        row = published[rows[method.name]]
        paper = " / ".join(
            "–" if row[key] is None else f"{row[key]['fid']:.1f}"
            for key in ("cifar10", "stl10")
        )
        lines.append(
            f"| **{method.name}** | {method.loss.replace('_', '-')} |"
            + cells
            + "".join(spread_cells)
            + f" *{paper}* |"
        )
    floor = summary["floor"]["fid"]
    real = published[rows[FLOOR]]
    lines.append(
        f"| {FLOOR} (floor: train digits) | – |"
        + f" {floor['mean']:.2f} |" * len(settings)
        + " – | – | – |"
        + f" *{real['cifar10']['fid']:.1f} / {real['stl10']['fid']:.1f}* |"
    )
    return "\n".join(lines) + "\n"


def paired_table(results):
    """FID(SN) - FID(SN, keras.layers) per setting, mean ± std over seeds."""
    seeds = results["num_seeds"]
    paired = results["summary"]["paired_difference"]
    settings = list(paired)
    return (
        "| paired difference |"
        + "".join(f" {setting} |" for setting in settings)
        + "\n|---|"
        + "---:|" * len(settings)
        + f"\n| FID({SPECTRAL}) − FID({KERAS_SPECTRAL}) |"
        + "".join(f" {_format(paired[setting], seeds)} |" for setting in settings)
        + "\n"
    )


def _holds(holds):
    if holds["std"] and holds["range"]:
        return "holds on both measures"
    if holds["std"] or holds["range"]:
        return "holds on one measure only"
    return "does not hold"


def _verdict(results):
    summary = results["summary"]
    smallest = summary["smallest_spread"]
    spreads = {
        method: entry["spread"]["std"] for method, entry in summary["methods"].items()
    }
    order = sorted((m for m in spreads if _finite(spreads[m])), key=spreads.get)
    return (
        "Smallest spread across settings: "
        f"{smallest['std']} by standard deviation, {smallest['range']} by max − min. "
        "The claim (SN's FID varies least across the settings) "
        + _holds(summary["spectral_spread_smallest"])
        + " at this budget. By standard deviation, smallest first: "
        + ", ".join(f"{method} ({spreads[method]:.2f})" for method in order)
        + ".\n"
    )


def aggressive_table(results):
    """The spread over `AGGRESSIVE_SETTINGS` (α = 1e-3, n_dis = 5; only β1 and
    β2 differ), or "" when they did not all run."""
    summary = results["summary"]
    smallest = summary["smallest_spread_aggressive"]
    if smallest["std"] is None:
        return ""
    lines = [
        f"Over the aggressive settings {', '.join(AGGRESSIVE_SETTINGS)} only (α = "
        "1e-3, n_dis = 5; only β1 and β2 differ), where every method gets the same "
        "learning rate and D updates, so the spread is not how fast a setting "
        "learns:\n",
        "| method | mean | std across D-F ↓ | max − min ↓ |",
        "|---|---:|---:|---:|",
    ]
    for method in METHODS:
        if method.name not in summary["methods"]:
            continue
        values = summary["methods"][method.name]["spread_aggressive"]
        cells = []
        for key in ("mean", "std", "range"):
            text = f"{values[key]:.2f}" if _finite(values[key]) else "–"
            if key != "mean" and smallest[key] == method.name:
                text = f"**{text}**"
            cells.append(f" {text} |")
        lines.append(f"| {method.name} |" + "".join(cells))
    return (
        "\n".join(lines)
        + "\n\nThe claim over D-F "
        + _holds(summary["spectral_spread_smallest_aggressive"])
        + ".\n"
    )


def markdown(results):
    """`results.md`: the protocol in brief, the table, the paired difference of
    the two SN implementations, Table 1 and Table 2 as published, the run's
    command, wall time and versions."""
    budget = results["budget"]
    paper = results["paper_budget"]
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of `keras_gans.reproductions.sn_robustness` "
        "has it in full): the library's DCGAN G and D (width "
        f"{budget['width']}) on digits padded to 16x16; D with spectral "
        "normalization (ours, and `keras.layers.SpectralNormalization` in a clone "
        "of the same D), layer norm with WGAN-GP (λ = 10), weight clipping (c = "
        "0.01) or batch norm; the paper's loss of each (non-saturating but for "
        "WGAN-GP's Wasserstein). Each trained with each setting of Table 1: "
        "Adam(α, β1, β2) for both players, n_dis D updates of "
        f"{budget['batch_size']} images per G update. FID (lower is better) of "
        f"{budget['num_samples']:,} samples (their centre 8x8, saved as 8-bit PNG) "
        f"against the {budget['num_real_samples']} held-out test digits with the "
        "shipped digits classifier's features.\n",
        f"Budget: **{budget['steps']:,} G updates per run**, "
        f"{100 * budget['fraction_of_paper_steps']:.2g} % of the paper's "
        f"{paper['steps']:,}; {seeds_text(results['num_seeds'])} per method and "
        "setting."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        f"Ours: FID, mean ± standard deviation over "
        f"{seeds_text(results['num_seeds'])}; then the mean, the standard "
        "deviation (ddof 1) and the range of each method's per-setting means (the "
        "smallest in bold). In italics: the method's FID at its best setting in "
        "Table 2 (standard CNN, CIFAR-10 / STL-10, Inception features): another "
        "dataset and measure, none of those numbers is ours.\n",
        table(results),
        _verdict(results),
        aggressive_table(results),
        "Ours against Keras' layer, the same runs but for the SN implementation "
        "(same seed, initial weights and latents), FID difference per seed, mean "
        "± std over seeds:\n",
        paired_table(results),
        "Table 1 as published (the settings):\n",
        "| setting | α | β1 | β2 | n_dis |\n|---|---:|---:|---:|---:|\n"
        + "".join(
            f"| {s['name']} | {s['learning_rate']:g} | {s['beta_1']:g} | "
            f"{s['beta_2']:g} | {s['discriminator_steps']} |\n"
            for s in results["published"]["settings"]
        ),
        "The paper's claims (Figures 1-2, bars without printed numbers): "
        + "; ".join(results["published"]["claims"])
        + ".\n",
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """`fid.png` (FID per method, one bar per setting as Figure 2 draws it, mean
    over seeds with each seed a dot, log scale, the floor dashed) and
    `samples_seed0.png` (the first `GRID_SAMPLES` evaluated samples of each
    method and setting, seed 0).

    Returns:
        The figure paths relative to `folder`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    settings = results["budget"]["settings"]
    methods = [m.name for m in METHODS if m.name in results["summary"]["methods"]]
    fids = {}  # {(method, setting): [fid of each seed]}
    for record in results["seeds"]:
        for run in record["runs"]:
            fids.setdefault((run["method"], run["setting"]), []).append(run["fid"])

    figure = Figure(figsize=(12, 4.2))
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    width = 0.8 / len(settings)
    for column, setting in enumerate(settings):
        positions = np.arange(len(methods)) + (column - (len(settings) - 1) / 2) * width
        values = [fids[(method, setting)] for method in methods]
        ax.bar(
            positions,
            [np.mean(v) for v in values],
            width,
            color=f"C{column}",
            alpha=0.6,
            label=setting,
        )
        for position, seeds in zip(positions, values, strict=True):
            ax.scatter([position] * len(seeds), seeds, color="black", s=6, zorder=3)
    ax.axhline(
        results["summary"]["floor"]["fid"]["mean"],
        color="black",
        linestyle="--",
        linewidth=1,
        label="floor",
    )
    ax.set_yscale("log")
    ax.set_xticks(range(len(methods)), methods)
    ax.set_ylabel("FID (lower is better)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(
        title="setting", fontsize="small", loc="upper left", bbox_to_anchor=(1, 1)
    )
    ax.set_title(
        f"{results['title']}: {results['budget']['steps']:,} G updates, "
        f"{seeds_text(results['num_seeds'])} (dots)",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "fid.png"), dpi=72)
    written = ["fid.png"]

    first = results["seeds"][0]
    runs = {(run["method"], run["setting"]): run for run in first["runs"]}
    count = min(GRID_SAMPLES, results["budget"]["num_samples"])
    figure = Figure(figsize=(1.3 * len(settings) + 1.2, 1.45 * len(methods)))
    FigureCanvasAgg(figure)
    axes = np.asarray(figure.subplots(len(methods), len(settings))).reshape(
        len(methods), len(settings)
    )  # [methods, settings]
    for row, method in enumerate(methods):
        for column, setting in enumerate(settings):
            ax = axes[row, column]
            run = runs[(method, setting)]
            show_samples(ax, os.path.join(folder, run["samples"]), count)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{setting}: FID {run['fid']:.1f}", fontsize="x-small")
            if column == 0:
                ax.set_ylabel(method, fontsize="x-small")
    figure.suptitle(
        f"Seed {first['seed']}: the first {count} evaluated samples (centre 8x8)",
        fontsize="small",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "samples_seed0.png"), dpi=60)
    written.append("samples_seed0.png")
    return written
