"""PacGAN Tables 2 and 3 on stacked digits: DCGAN, PacDCGAN2 and the unrolled GAN.

Claim: on Stacked MNIST (three digits stacked as the channels of one image, 1,000
modes), packing the discriminator's input (PacDCGAN2, T16) reaches more of the
1,000 modes, with a mode histogram closer to uniform, than DCGAN with the same
networks; and more than the unrolled GAN (T15, 5 look-ahead D steps) in Table 3.

Paper: Lin, Khetan, Fanti and Oh, "PacGAN: The power of two samples in generative
adversarial networks", NeurIPS 2018, Tables 2 and 3, https://arxiv.org/abs/1712.04086 ,
after the Stacked-MNIST protocol of Metz, Poole, Pfau and Sohl-Dickstein,
"Unrolled generative adversarial networks", ICLR 2017 (Table 1),
https://arxiv.org/abs/1611.02163 , and of VEEGAN (Srivastava et al. 2017,
https://arxiv.org/abs/1705.07761). Their budget is read from the authors' code
(https://github.com/fjxmlzn/PacGAN, `stacked_MNIST_experiments`): for Table 2
(`VEEGAN_experiment`: `config.py`, `model.py`) 128,000 stacked training images,
50 epochs in batches of 64 packs (100,000 D steps, two G steps each), DCGAN
networks of 64 base filters, z ~ U(-1, 1)^100, Adam(2e-4, β1 0.5), and the modes
of 26,000 samples; for Table 3 (`unrolled_GAN_experiment/D=0.25G` and
`D=0.5G`) 500,000 steps in batches of 128 with a D of a quarter or a half of
G's size, and 25,600 samples. Their numbers are Stacked MNIST numbers (28x28
MNIST digits, a CNN classifier trained on MNIST): they stand beside ours, and
none of them is one of our results.

Protocol (ours):

- **Data.** The library's built-in stacked digits
  (`keras_gans.data.builtin.stacked_digits`): three of scikit-learn's 8x8 digits of
  the train split (1,437 digits), drawn uniformly with replacement, as channels
  0, 1 and 2; 25,600 training images (about 25 per mode), padded to 16x16 on a -1
  background (the preset's `image_size=16, resize="pad"`), in [-1, 1]; a seeded
  shuffle per epoch.
- **Methods.** The `dcgan` preset (DCGAN G and D of width 32, z ~ N(0, I) of 64,
  batch norm, non-saturating loss, Adam(2e-4, β1 0.5) per player, one D step then
  one G step) on the stacked digits, and the same preset with one technique of
  the library added: `packing=2` (PacDCGAN2: D judges packs of 2 images, its
  input has 6 channels; 64 packs, so 128 images, per step as the authors' 64
  packs) or `unrolled_steps=5` (the G loss through 5 functional look-ahead D
  steps of plain gradient descent, step 1e-2, the library's default), each
  `dataclasses.replace(presets.get("dcgan"), dataset="stacked_digits", ...)`
  built by `presets.build_gan` (`METHODS` lists the fields).
- **Steps.** 1,200 per run for every method (3 passes of the 25,600 images at
  64 a step; PacDCGAN2 draws twice as many).
- **Samples.** After training, 26,000 samples (Table 2's count) from
  `GAN.generate(26000, seed=1000 + s)`; their centre 8x8x3 (the digit area)
  rounded to 8 bits, p / 127.5 - 1, is what is classified. Saved per run: each
  sample's mode, in the order of the latents, as
  `samples/seed<s>_<method>_modes.npz` (uint16, compressed), and the first
  `num_saved_samples` samples' 8-bit pixels as one RGB PNG
  (`samples/seed<s>_<method>.png`; all of them with `--quick`).
- **Metrics** (M6, `keras_gans.metrics.stacked_digits_mode_coverage`): each
  channel is classified by the shipped digits classifier (argmax), the mode is
  `100 c0 + 10 c1 + c2`; modes captured is the number of modes with at least one
  sample (of 1,000), KL is KL(q ‖ u) = Σ q log(1000 q) of the samples' mode
  histogram q against uniform, in nats (the authors' `log_metrics` computes the
  same two numbers). Both are also measured every `eval_every` steps on the same
  latents (the curve).
- **Floor.** 26,000 stacked digits of the held-out test split (360 digits) in the
  place of the samples, through the same 8-bit pixels: what a generator of the
  true distribution scores with this classifier and sample count (the
  classifier's errors and the finite sample leave a positive KL).
- **Seeds.** 5 per method (0 to 4); seed s seeds the weights, the data shuffle,
  G's latents and the evaluation latents. Mean ± standard deviation over seeds
  (`results.json` also holds the standard error).

Where ours differs from the paper: 8x8 digits padded to 16x16 in place of 28x28
MNIST, the digits classifier in place of their MNIST CNN, the preset's networks
(width 32, the same for G and D, neither the 1/4 nor the 1/2 D of Table 3), one G
step per D step (Table 2's code takes two), z ~ N(0, I) of 64, and 1.2 % of
Table 2's D steps. `budget()` is ours, written beside the paper's, sized for
about 25 minutes on one CPU core for the full run (3 methods x 5 seeds); most of
it is the unrolled GAN, whose steps differentiate through 5 D steps and cost
about 5 times a DCGAN step. `--steps` changes the steps per run and
`--eval-every` the curve's spacing.
"""

import dataclasses
import functools
import math
import os

import numpy as np

from keras_gans.reproductions._digits import centre, to_pixels
from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
    summary_statistics,
)

__all__ = [
    "DEFAULT_SEEDS",
    "METHODS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "TITLE",
    "budget",
    "build_gan",
    "load_modes",
    "load_samples",
    "markdown",
    "method_preset",
    "paper_budget",
    "run_seed",
    "save_samples",
    "summarise",
    "write_figures",
]

NAME = "stacked-digits"
TITLE = "PacGAN Tables 2 and 3 on stacked digits: DCGAN, PacDCGAN2, unrolled GAN"
REFERENCE = "Lin et al. 2018, https://arxiv.org/abs/1712.04086 (Tables 2 and 3)"
DEFAULT_SEEDS = 5  # ours: the paper's 10 (Table 2) and 50 (Table 3) do not fit

PRESET = "dcgan"
DATASET = "stacked_digits"
FLOOR = "real data"  # the floor's row: test stacked digits in the place of samples
BASE_BATCH_SIZE = 64  # the preset's: images (packs) per D step
PACKING = 2
UNROLLED_STEPS = 5  # Metz et al.'s and Table 3's middle setting
# (method, file name, the preset fields that make it).
METHODS = (
    ("DCGAN", "dcgan", {}),
    (
        "PacDCGAN2",
        "pacdcgan2",
        {"packing": PACKING, "batch_size": PACKING * BASE_BATCH_SIZE},
    ),
    ("Unrolled GAN (5 steps)", "unrolled5", {"unrolled_steps": UNROLLED_STEPS}),
)
TRAIN_IMAGES = 25_600  # builtin.STACKED_DIGITS_SIZES["train"]
STEPS_PER_EPOCH = TRAIN_IMAGES // BASE_BATCH_SIZE  # 400
DEFAULT_STEPS = 3 * STEPS_PER_EPOCH  # 1,200: what fits ~25 minutes on one core
DEFAULT_EVALUATIONS = 3  # points of the curve per run (each classifies 78,000 digits)
NUM_SAMPLES = 26_000  # Table 2's num_test_sample
NUM_MODES = 1_000
IMAGE_SIZE = 16  # the preset's: 8x8 digits padded on a -1 background
DIGITS_SIZE = 8
CHANNELS = 3
EVALUATION_SEED_OFFSET = 1_000  # the evaluation latents of seed s: seed 1000 + s
FLOOR_SEED = 1  # the floor's draw of test stacked digits, the same every seed
NUM_SAVED_SAMPLES = 64  # samples per run kept as PNG pixels (the seed-0 grid)
SAMPLE_COLUMNS = 32  # tiles per row of the samples PNG (no padding between tiles)
GENERATE_BATCH_SIZE = 1_000
QUICK_STEPS = 2
QUICK_EVAL_EVERY = 1
QUICK_NUM_SAMPLES = 200

# The published rows, as the tables' images in the authors' repository print
# them (stacked_MNIST_experiments/results/Table2.png and Table3.png, the paper's
# Tables 2 and 3): [modes of 1,000, KL]; the PacGAN authors' own rows with
# [mean, standard error] over 10 (Table 2) or 50 (Table 3) trials; the rows
# cited from other papers as printed (Table 2: from VEEGAN; Table 3: from Metz et
# al.'s Table 1, [33] in the paper, not checked against that paper itself).
PUBLISHED = {
    "source": (
        "Lin et al. 2018, Tables 2 and 3: Stacked MNIST (28x28 MNIST digits, an "
        "MNIST classifier), another dataset than ours; modes of 1,000 and KL"
    ),
    "dataset": "Stacked MNIST",
    "spread": "standard error (the PacGAN authors' rows)",
    "tables": {
        "table2": {
            "title": "Table 2 (D as large as G, 26,000 samples; 10 trials)",
            "rows": [
                {
                    "row": "DCGAN [Radford et al.], from VEEGAN",
                    "modes": [99.0],
                    "kl": [3.40],
                },
                {"row": "ALI, from VEEGAN", "modes": [16.0], "kl": [5.40]},
                {"row": "Unrolled GAN, from VEEGAN", "modes": [48.7], "kl": [4.32]},
                {"row": "VEEGAN", "modes": [150.0], "kl": [2.95]},
                {
                    "row": "DCGAN (PacGAN authors)",
                    "modes": [78.9, 6.46],
                    "kl": [4.50, 0.127],
                },
                {"row": "PacDCGAN2", "modes": [1000.0, 0.00], "kl": [0.06, 0.003]},
                {"row": "PacDCGAN3", "modes": [1000.0, 0.00], "kl": [0.06, 0.003]},
                {"row": "PacDCGAN4", "modes": [1000.0, 0.00], "kl": [0.07, 0.005]},
            ],
        },
        "table3_quarter": {
            "title": "Table 3, D 1/4 the size of G (25,600 samples; 50 trials)",
            "rows": [
                {
                    "row": "DCGAN, from Metz et al.",
                    "modes": [30.6, 20.73],
                    "kl": [5.99, 0.42],
                },
                {
                    "row": "Unrolled GAN 1 step, from Metz et al.",
                    "modes": [65.4, 34.75],
                    "kl": [5.91, 0.14],
                },
                {
                    "row": "Unrolled GAN 5 steps, from Metz et al.",
                    "modes": [236.4, 63.30],
                    "kl": [4.67, 0.43],
                },
                {
                    "row": "Unrolled GAN 10 steps, from Metz et al.",
                    "modes": [327.2, 74.67],
                    "kl": [4.66, 0.46],
                },
                {
                    "row": "DCGAN (PacGAN authors)",
                    "modes": [78.5, 17.56],
                    "kl": [5.21, 0.19],
                },
                {"row": "PacDCGAN2", "modes": [484.5, 32.99], "kl": [2.61, 0.22]},
                {"row": "PacDCGAN3", "modes": [601.3, 32.18], "kl": [2.00, 0.17]},
                {"row": "PacDCGAN4", "modes": [667.4, 29.00], "kl": [1.81, 0.15]},
            ],
        },
        "table3_half": {
            "title": "Table 3, D 1/2 the size of G (25,600 samples; 50 trials)",
            "rows": [
                {
                    "row": "DCGAN, from Metz et al.",
                    "modes": [628.0, 140.9],
                    "kl": [2.58, 0.75],
                },
                {
                    "row": "Unrolled GAN 1 step, from Metz et al.",
                    "modes": [523.6, 55.77],
                    "kl": [2.44, 0.26],
                },
                {
                    "row": "Unrolled GAN 5 steps, from Metz et al.",
                    "modes": [732.0, 44.98],
                    "kl": [1.66, 0.09],
                },
                {
                    "row": "Unrolled GAN 10 steps, from Metz et al.",
                    "modes": [817.4, 37.91],
                    "kl": [1.43, 0.12],
                },
                {
                    "row": "DCGAN (PacGAN authors)",
                    "modes": [487.7, 34.59],
                    "kl": [2.24, 0.15],
                },
                {"row": "PacDCGAN2", "modes": [840.7, 15.92], "kl": [1.00, 0.05]},
                {"row": "PacDCGAN3", "modes": [866.6, 12.10], "kl": [0.90, 0.04]},
                {"row": "PacDCGAN4", "modes": [820.2, 25.50], "kl": [1.15, 0.14]},
            ],
        },
    },
    # Each method of ours and its rows in the tables above.
    "rows": {
        "DCGAN": {
            "table2": "DCGAN (PacGAN authors)",
            "table3_quarter": "DCGAN (PacGAN authors)",
            "table3_half": "DCGAN (PacGAN authors)",
        },
        "PacDCGAN2": {
            "table2": "PacDCGAN2",
            "table3_quarter": "PacDCGAN2",
            "table3_half": "PacDCGAN2",
        },
        "Unrolled GAN (5 steps)": {
            "table2": "Unrolled GAN, from VEEGAN",
            "table3_quarter": "Unrolled GAN 5 steps, from Metz et al.",
            "table3_half": "Unrolled GAN 5 steps, from Metz et al.",
        },
    },
}


def paper_budget():
    """Table 2's budget in the authors' code: 50 epochs of 128,000 stacked images
    in batches of 64 packs (100,000 D steps, two G steps each), 26,000 samples,
    10 trials; Table 3's (500,000 steps of 128) is in `table3_steps`."""
    return {
        "dataset": "Stacked MNIST",
        "train_images": 128_000,
        "batch_size": 64,
        "epochs": 50,
        "steps": 50 * 128_000 // 64,  # 100,000 D steps
        "generator_steps_per_step": 2,
        "num_samples": NUM_SAMPLES,
        "seeds": 10,
        "table3_steps": 500_000,
        "table3_batch_size": 128,
        "table3_num_samples": 25_600,
        "table3_seeds": 50,
    }


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: Every method for `QUICK_STEPS` steps, evaluated every
            `QUICK_EVAL_EVERY` on `QUICK_NUM_SAMPLES` samples (seconds in all;
            what the tests run).
        steps: Training steps per run instead (default: 1,200).
        eval_every: Measure the modes every this many steps; it must divide
            `steps` (default: about `DEFAULT_EVALUATIONS` points per run).

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
    num_samples = QUICK_NUM_SAMPLES if quick else NUM_SAMPLES
    return {
        "preset": PRESET,
        "dataset": DATASET,
        "train_images": TRAIN_IMAGES,
        "batch_size": BASE_BATCH_SIZE,
        "steps_per_epoch": STEPS_PER_EPOCH,
        "epochs": steps / STEPS_PER_EPOCH,
        "steps": steps,
        "eval_every": eval_every,
        "num_samples": num_samples,
        # With --quick every sample is kept, so the tests recompute the metric.
        "num_saved_samples": num_samples if quick else NUM_SAVED_SAMPLES,
        "num_modes": NUM_MODES,
        "classifier": "digits",
        "methods": [method for method, *_ in METHODS],
        "fraction_of_paper_steps": steps / paper_budget()["steps"],
    }


def method_preset(method):
    """The `dcgan` preset on stacked digits with the fields of `method` (see
    `METHODS`)."""
    from keras_gans import presets

    changes = {name: fields for name, _, fields in METHODS}
    if method not in changes:
        raise ValueError(
            f"`method` should be one of {', '.join(changes)}. Received: "
            f"`method={method!r}`."
        )
    return dataclasses.replace(presets.get(PRESET), dataset=DATASET, **changes[method])


def build_gan(method, seed=None):
    """The compiled GAN of `method` on 16x16x3 stacked digits
    (`presets.build_gan`)."""
    from keras_gans import presets

    recipe = method_preset(method)
    return presets.build_gan(
        recipe, (recipe.image_size, recipe.image_size, CHANNELS), seed
    )


def _from_pixels(pixels):
    """uint8 pixels as images in [-1, 1]: p / 127.5 - 1."""
    return pixels.astype("float32") / np.float32(127.5) - np.float32(1.0)


def save_samples(pixels, path):
    """Writes `[n, 8, 8, 3]` uint8 pixels as one RGB PNG of `SAMPLE_COLUMNS`
    tiles per row, no padding (row-major; unused tiles black)."""
    from PIL import Image

    count = len(pixels)
    rows = math.ceil(count / SAMPLE_COLUMNS)
    tiles = np.zeros(
        (rows * SAMPLE_COLUMNS, DIGITS_SIZE, DIGITS_SIZE, CHANNELS), "uint8"
    )
    tiles[:count] = pixels
    grid = tiles.reshape(rows, SAMPLE_COLUMNS, DIGITS_SIZE, DIGITS_SIZE, CHANNELS)
    grid = grid.transpose(0, 2, 1, 3, 4).reshape(
        rows * DIGITS_SIZE, SAMPLE_COLUMNS * DIGITS_SIZE, CHANNELS
    )  # [rows * 8, columns * 8, 3]
    Image.fromarray(grid, mode="RGB").save(path, optimize=True)


def load_samples(path, num_samples):
    """The first `num_samples` images of a `save_samples` PNG, `[n, 8, 8, 3]` in
    [-1, 1] (p / 127.5 - 1): what the metrics were computed from."""
    from PIL import Image

    with Image.open(path) as picture:
        grid = np.asarray(picture.convert("RGB"))
    rows = grid.shape[0] // DIGITS_SIZE
    tiles = grid.reshape(rows, DIGITS_SIZE, SAMPLE_COLUMNS, DIGITS_SIZE, CHANNELS)
    tiles = tiles.transpose(0, 2, 1, 3, 4).reshape(
        -1, DIGITS_SIZE, DIGITS_SIZE, CHANNELS
    )
    return _from_pixels(tiles[:num_samples])


def load_modes(path):
    """The `[n]` modes (0..999, in the order of the latents) of a saved run."""
    with np.load(path) as saved:
        return saved["modes"].astype("int64")


@functools.cache
def _classifier():
    """The shipped digits classifier, loaded once."""
    from keras_gans import metrics

    return metrics.DigitsFeatures()


def _coverage(images):
    """M6 of `[n, 8, 8, 3]` images: modes captured (of 1,000) and KL."""
    from keras_gans import metrics

    result = metrics.stacked_digits_mode_coverage(images, _classifier())
    return {
        "modes_captured": result["classes_covered"],
        "kl": result["kl_to_uniform"],
    }


def _modes_of(images):
    """Each image's mode, 100 c0 + 10 c1 + c2 of its channels' predicted digits
    (as `stacked_digits_mode_coverage` counts them)."""
    channels = np.transpose(images, (0, 3, 1, 2)).reshape(-1, 8, 8, 1)  # [n * 3, ...]
    digits = np.asarray(_classifier().logits(channels)).argmax(axis=1)
    digits = digits.reshape(-1, CHANNELS)  # [n, 3]
    return 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2]


def samples_file(stem):
    """Where the first samples of a run (`seed<s>_<method>`) or of the floor
    (`real_test`) are saved, relative to the folder."""
    return os.path.join("samples", f"{stem}.png")


def modes_file(stem):
    """Where the modes of a run's (or the floor's) samples are saved, relative to
    the folder."""
    return os.path.join("samples", f"{stem}_modes.npz")


def _measure_and_save(pixels, folder, stem, budget):
    """M6 of 8-bit `[n, 8, 8, 3]` pixels; saves each one's mode and the first
    `num_saved_samples` as PNG under `folder`."""
    images = _from_pixels(pixels)
    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    png, npz = samples_file(stem), modes_file(stem)
    save_samples(pixels[: budget["num_saved_samples"]], os.path.join(folder, png))
    np.savez_compressed(
        os.path.join(folder, npz), modes=_modes_of(images).astype("uint16")
    )
    return {**_coverage(images), "samples": png, "modes": npz}


def _train_one(method, slug, seed, budget, folder, report):
    import keras

    from keras_gans import data

    keras.utils.set_random_seed(seed)
    recipe = method_preset(method)
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

    def pixels():
        generated = gan.generate(
            budget["num_samples"],
            seed=evaluation_seed,
            batch_size=GENERATE_BATCH_SIZE,
        )
        return to_pixels(centre(np.asarray(generated)))  # [n, 8, 8, 3] uint8

    class Evaluate(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            step = (epoch + 1) * budget["eval_every"]
            point = {"step": step, **_coverage(_from_pixels(pixels()))}
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
    options = gan.get_compile_config()
    return {
        # The compiled model's options: what made this method.
        "packing": options["packing"],
        "unrolled_steps": options["unrolled_steps"],
        "batch_size": recipe.batch_size,
        **_measure_and_save(pixels(), folder, f"seed{seed}_{slug}", budget),
        "curve": curve,
    }


def run_seed(seed, budget, folder, progress):
    """Trains every method from `seed` and measures it and the floor; saves each
    run's modes (`samples/seed<s>_<method>_modes.npz`) and first samples
    (`samples/seed<s>_<method>.png`), and the floor's (`samples/real_test*`), under
    `folder`.

    Returns:
        `{"seed": seed, "floor": {...}, "runs": [...]}`: the floor's modes and
        KL, and one run per method with its modes and KL, the packing and
        unrolled steps of its compiled GAN, its files and its curve.
    """
    import time

    from keras_gans.data import builtin

    real, _ = builtin.stacked_digits(
        "test", num_samples=budget["num_samples"], seed=FLOOR_SEED
    )
    floor_pixels = to_pixels(np.ascontiguousarray(real))
    floor = _measure_and_save(floor_pixels, folder, "real_test", budget)
    runs = []
    for index, (method, slug, changes) in enumerate(METHODS):
        started = time.perf_counter()

        def report(step, point, method=method, index=index):
            progress(
                f"{method} (run {index + 1}/{len(METHODS)}) step "
                f"{step}/{budget['steps']}: modes {point['modes_captured']}/"
                f"{NUM_MODES}, KL {point['kl']:.3f} (floor {floor['modes_captured']}"
                f", {floor['kl']:.3f})"
            )

        result = _train_one(method, slug, seed, budget, folder, report)
        runs.append(
            {
                "method": method,
                "preset_changes": changes,
                **result,
                "wall_time_s": round(time.perf_counter() - started, 1),
            }
        )
    return {"seed": seed, "floor": floor, "runs": runs}


def summarise(seed_results):
    """`{method: {"modes": ..., "kl": ...}}` statistics over seeds, the floor
    (`"real data"`) first."""
    values = {FLOOR: {"modes": [], "kl": []}}
    for record in seed_results:
        entries = [(FLOOR, record["floor"])]
        entries += [(run["method"], run) for run in record["runs"]]
        for method, entry in entries:
            series = values.setdefault(method, {"modes": [], "kl": []})
            series["modes"].append(entry["modes_captured"])
            series["kl"].append(entry["kl"])
    return {
        method: {key: summary_statistics(items) for key, items in series.items()}
        for method, series in values.items()
    }


def _format(statistics, seeds, digits):
    if statistics["n"] == 0:
        return "–"
    text = f"{statistics['mean']:.{digits}f} ± {statistics['std']:.{digits}f}"
    if statistics["n"] < seeds:
        text += f" ({statistics['n']} of {seeds} seeds)"
    return text


def _printed(value, minimum):
    """`value` with at least `minimum` decimals and as many as it has."""
    decimals = len(repr(float(value)).split(".")[1].rstrip("0"))
    return f"{value:.{max(minimum, decimals)}f}"


def _published_cell(values, digits):
    """A published number as the table prints it: mean (± error)."""
    text = _printed(values[0], digits)
    if len(values) > 1:
        text += f" ± {_printed(values[1], 2 if values[1] < 100 else 1)}"
    return text


def _published_row(results, table, row):
    for entry in results["published"]["tables"][table]["rows"]:
        if entry["row"] == row:
            return entry
    raise ValueError(f"No row {row!r} in the published {table}.")


def table(results):
    """The Markdown table: our modes and KL beside each method's Table 2 and
    Table 3 rows (Stacked MNIST)."""
    seeds = results["num_seeds"]
    published = results["published"]
    columns = ("table2", "table3_quarter", "table3_half")
    names = {
        "table2": "Table 2",
        "table3_quarter": "Table 3, D = G/4",
        "table3_half": "Table 3, D = G/2",
    }
    lines = [
        "| method | modes (of 1,000) ↑ | KL ↓ |"
        + "".join(f" *{names[c]}: modes / KL (MNIST)* |" for c in columns),
        "|---|---:|---:|" + "---:|" * len(columns),
    ]
    for method, measured in results["summary"].items():
        if method == FLOOR:
            label = "real data (floor: test stacked digits)"
            cells = " – |" * len(columns)
        else:
            label = method
            cells = ""
            for column in columns:
                entry = _published_row(
                    results, column, published["rows"][method][column]
                )
                cells += (
                    f" *{_published_cell(entry['modes'], 1)} / "
                    f"{_published_cell(entry['kl'], 2)}* |"
                )
        lines.append(
            f"| **{label}** | {_format(measured['modes'], seeds, 1)} | "
            f"{_format(measured['kl'], seeds, 3)} |" + cells
        )
    return "\n".join(lines) + "\n"


def published_tables(results):
    """The published tables in full, as the paper prints them (Stacked MNIST)."""
    parts = []
    for entry in results["published"]["tables"].values():
        lines = [
            f"*{entry['title']}*\n",
            "| row | modes (of 1,000) | KL |",
            "|---|---:|---:|",
        ]
        for row in entry["rows"]:
            lines.append(
                f"| {row['row']} | *{_published_cell(row['modes'], 1)}* | "
                f"*{_published_cell(row['kl'], 2)}* |"
            )
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _ordering(results):
    """Our methods from most to fewest modes, with their KL."""
    summary = results["summary"]
    ours = sorted(
        (method for method in summary if method != FLOOR),
        key=lambda method: -summary[method]["modes"]["mean"],
    )
    return (
        "Most to fewest modes, ours (mean over seeds): "
        + ", ".join(
            f"{m} ({summary[m]['modes']['mean']:.1f} modes, KL "
            f"{summary[m]['kl']['mean']:.3f})"
            for m in ours
        )
        + ". The paper (Table 3, both D sizes): PacDCGAN2, then the unrolled GAN "
        "with 5 steps, then DCGAN.\n"
    )


def curve_table(results, points=5):
    """Mean modes / KL over seeds at up to `points` evaluation steps."""
    curves = {}
    for record in results["seeds"]:
        for run in record["runs"]:
            curves.setdefault(run["method"], []).append(run["curve"])
    steps = [point["step"] for point in next(iter(curves.values()))[0]]
    chosen = sorted({steps[round(i)] for i in np.linspace(0, len(steps) - 1, points)})
    lines = [
        "| modes / KL at step |" + "".join(f" {step:,} |" for step in chosen),
        "|---|" + "---:|" * len(chosen),
    ]
    for method, runs in curves.items():
        cells = []
        for step in chosen:
            index = steps.index(step)
            modes = np.mean([run[index]["modes_captured"] for run in runs])
            kl = np.mean([run[index]["kl"] for run in runs])
            cells.append(f" {modes:.1f} / {kl:.3f} |")
        lines.append(f"| {method} |" + "".join(cells))
    return "\n".join(lines) + "\n"


def markdown(results):
    """`results.md`: the protocol in brief, the table, the published tables, the
    curve, the run's command, wall time and versions."""
    budget = results["budget"]
    paper = results["paper_budget"]
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of "
        "`keras_gans.reproductions.stacked_digits` has it in full): the "
        f"`{budget['preset']}` preset (DCGAN G and D of width 32 on three digits "
        "stacked as channels, padded to 16x16) as DCGAN, with `packing=2` "
        "(PacDCGAN2, 64 packs per step) and with `unrolled_steps=5` (the unrolled "
        "GAN), each a `dataclasses.replace` of the preset built by "
        "`presets.build_gan`. Modes captured (of 1,000) and KL(mode histogram ‖ "
        f"uniform) of {budget['num_samples']:,} samples (their centre 8x8x3 in 8 "
        "bits), each channel classified by the shipped digits classifier. The "
        f"floor: {budget['num_samples']:,} stacked digits of the held-out test "
        "split in the place of the samples.\n",
        f"Budget: **{budget['steps']:,} steps per run ({budget['epochs']:.3g} "
        f"passes of the {budget['train_images']:,} training images at "
        f"{budget['batch_size']} a step)**, "
        f"{100 * budget['fraction_of_paper_steps']:.2g} % of Table 2's "
        f"{paper['steps']:,} D steps ({paper['epochs']} epochs of "
        f"{paper['train_images']:,} images in batches of {paper['batch_size']}, "
        f"{paper['generator_steps_per_step']} G steps each; Table 3: "
        f"{paper['table3_steps']:,} steps of {paper['table3_batch_size']}); "
        f"{seeds_text(results['num_seeds'])} per method (the paper: "
        f"{paper['seeds']} trials in Table 2, {paper['table3_seeds']} in Table 3)."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        f"Ours: mean ± standard deviation over {seeds_text(results['num_seeds'])} "
        "(the floor is the same every seed). In italics: the paper's **Stacked "
        "MNIST** numbers (28x28 MNIST digits, an MNIST classifier; the PacGAN "
        "authors' rows ± standard error), another dataset; none of them is "
        "ours.\n",
        table(results),
        _ordering(results),
        "The published tables (Stacked MNIST), as the authors' repository "
        "prints them (`stacked_MNIST_experiments/results/Table2.png`, "
        "`Table3.png`); the rows cited from VEEGAN and from Metz et al. are "
        "given as PacGAN prints them:\n",
        published_tables(results),
        f"Modes / KL during training (mean over seeds; measured every "
        f"{budget['eval_every']:,} steps on the same latents, figure "
        "`modes.png`):\n",
        curve_table(results),
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """`modes.png` (final modes captured and KL per method: each seed a dot, the
    mean a bar, the floor a dashed line) and, for the first seed, a grid of each
    method's first samples and the floor's (`figures/seed0_<method>.png`).

    Returns:
        The figure paths relative to `folder`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from keras_gans.plotting import image_grid

    methods = [method for method, *_ in METHODS]
    by_method = {method: [] for method in methods}
    for record in results["seeds"]:
        for run in record["runs"]:
            by_method[run["method"]].append(run)
    floor = results["summary"][FLOOR]

    figure = Figure(figsize=(10, 4))
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, 2)
    for ax, key, label, floor_key in (
        (panels[0], "modes_captured", "modes captured (of 1,000) ↑", "modes"),
        (panels[1], "kl", "KL(mode histogram ‖ uniform) ↓", "kl"),
    ):
        for index, method in enumerate(methods):
            values = [run[key] for run in by_method[method]]
            ax.bar(index, np.mean(values), color=f"C{index}", alpha=0.4)
            ax.scatter([index] * len(values), values, color=f"C{index}", zorder=3)
        ax.axhline(floor[floor_key]["mean"], color="black", linestyle="--", lw=1)
        ax.set_xticks(range(len(methods)), [m.replace(" (", "\n(") for m in methods])
        ax.set_title(label, fontsize="medium")
        ax.grid(alpha=0.3, axis="y")
    panels[0].set_ylim(0, NUM_MODES * 1.05)
    figure.suptitle(
        f"{results['title']}\n{results['budget']['steps']:,} steps, "
        f"{seeds_text(results['num_seeds'])} (dots), mean (bar), real test digits "
        "(dashed)",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "modes.png"), dpi=80)
    written = ["modes.png"]

    os.makedirs(os.path.join(folder, "figures"), exist_ok=True)
    first = results["seeds"][0]
    count = min(NUM_SAVED_SAMPLES, results["budget"]["num_saved_samples"])
    entries = [("real_test", first["floor"])]
    entries += [
        (slug, run) for (_, slug, _), run in zip(METHODS, first["runs"], strict=True)
    ]
    for slug, entry in entries:
        images = load_samples(os.path.join(folder, entry["samples"]), count)
        grid = image_grid(images, columns=8)  # [H, W, 3] uint8
        picture = Image.fromarray(grid, mode="RGB")
        picture = picture.resize((picture.width * 3, picture.height * 3), Image.NEAREST)
        name = os.path.join("figures", f"seed{first['seed']}_{slug}.png")
        picture.save(os.path.join(folder, name), optimize=True)
        written.append(name)
    return written
