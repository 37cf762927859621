"""What the reproductions on digits share: generated digits as 8-bit pixels, the
samples PNG the metrics are computed from, and FID/KID against the held-out test
digits with the shipped digits classifier's features.

The generators of the digits presets draw 16x16 images (the 8x8 digits padded on
a -1 background); the digits extractor reads the centre 8x8, so the samples are
cropped to it, rounded to 8 bits and saved as one grayscale PNG, and the metrics
are computed from the PNG's pixels (p / 127.5 - 1): a reader can recompute every
reported number from the committed files.
"""

import math
import os

import numpy as np

__all__ = [
    "DIGITS_SIZE",
    "DigitsMetrics",
    "SAMPLE_COLUMNS",
    "centre",
    "from_pixels",
    "generated_digits",
    "load_samples",
    "save_samples",
    "show_samples",
    "to_pixels",
    "write_fid_figure",
    "write_samples_figure",
]

DIGITS_SIZE = 8  # the digits classifier's input
SAMPLE_COLUMNS = 40  # tiles per row of a samples PNG (no padding between tiles)
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1_000  # clamped to the 360 test digits
KID_SEED = 0  # KID's subsets, the same for every row of a table


def centre(images):
    """The centre 8x8 of padded `[n, h, w, c]` digits (the digit area)."""
    height, width = images.shape[1:3]
    top, left = (height - DIGITS_SIZE) // 2, (width - DIGITS_SIZE) // 2
    return images[:, top : top + DIGITS_SIZE, left : left + DIGITS_SIZE]


def to_pixels(images):
    """`[n, 8, 8, 1]` images in [-1, 1] as uint8 pixels round((x + 1) * 127.5)."""
    return np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype("uint8")


def from_pixels(pixels):
    """`[n, 8, 8]` uint8 pixels as `[n, 8, 8, 1]` images in [-1, 1]: p / 127.5 - 1."""
    return (pixels.astype("float32") / np.float32(127.5) - np.float32(1.0))[
        ..., np.newaxis
    ]


def generated_digits(gan, num_samples, seed):
    """`gan.generate(num_samples, seed=seed)`'s centre 8x8 through 8 bits:
    `[n, 8, 8, 1]` in [-1, 1], what a saved samples PNG holds."""
    generated = np.asarray(gan.generate(num_samples, seed=seed))
    return from_pixels(to_pixels(centre(generated))[..., 0])


def save_samples(images, path):
    """Writes `[n, 8, 8, 1]` images in [-1, 1] as one 8-bit grayscale PNG of
    `SAMPLE_COLUMNS` tiles per row, no padding (row-major; unused tiles black)."""
    from PIL import Image

    pixels = to_pixels(images)[..., 0]  # [n, 8, 8]
    count = len(pixels)
    rows = math.ceil(count / SAMPLE_COLUMNS)
    tiles = np.zeros((rows * SAMPLE_COLUMNS, DIGITS_SIZE, DIGITS_SIZE), "uint8")
    tiles[:count] = pixels
    grid = tiles.reshape(rows, SAMPLE_COLUMNS, DIGITS_SIZE, DIGITS_SIZE)
    grid = grid.transpose(0, 2, 1, 3).reshape(
        rows * DIGITS_SIZE, SAMPLE_COLUMNS * DIGITS_SIZE
    )  # [rows * 8, columns * 8]
    Image.fromarray(grid, mode="L").save(path, optimize=True)


def load_samples(path, num_samples):
    """The first `num_samples` images of a `save_samples` PNG, `[n, 8, 8, 1]` in
    [-1, 1] (p / 127.5 - 1): what the metrics were computed from."""
    from PIL import Image

    with Image.open(path) as picture:
        grid = np.asarray(picture.convert("L"))
    rows = grid.shape[0] // DIGITS_SIZE
    tiles = grid.reshape(rows, DIGITS_SIZE, SAMPLE_COLUMNS, DIGITS_SIZE)
    tiles = tiles.transpose(0, 2, 1, 3).reshape(-1, DIGITS_SIZE, DIGITS_SIZE)
    return from_pixels(tiles[:num_samples])


def show_samples(ax, path, count):
    """Draws the first `count` images of the samples PNG `path` on the Matplotlib
    axes `ax`, as one grid of 8-bit gray tiles."""
    from keras_gans.plotting import image_grid

    ax.imshow(
        image_grid(load_samples(path, count))[..., 0],
        cmap="gray",
        vmin=0,
        vmax=255,
        interpolation="nearest",
    )


def write_fid_figure(results, folder, methods, floor, step_name="training step"):
    """`fid.png` under `folder`: each method's final FID (each seed a dot, the mean a
    bar, `floor` a dashed line) and its FID curve against training steps (the mean
    over seeds, a band for their range), on log scales. `methods` are the
    `run["method"]` values of `results["seeds"][s]["runs"]`, in the order drawn;
    `step_name` names a step ("training step", "generator step"). Returns
    "fid.png"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from keras_gans.reproductions._runner import seeds_text

    by_method = {method: [] for method in methods}
    for record in results["seeds"]:
        for run in record["runs"]:
            by_method[run["method"]].append(run)
    figure = Figure(figsize=(12, 4.5))
    FigureCanvasAgg(figure)
    bars, curves = figure.subplots(1, 2)
    for index, method in enumerate(methods):
        color = f"C{index}"
        fids = [run["fid"] for run in by_method[method]]
        bars.bar(index, np.mean(fids), color=color, alpha=0.4)
        bars.scatter([index] * len(fids), fids, color=color, zorder=3)
        steps = [point["step"] for point in by_method[method][0]["curve"]]
        values = np.array(
            [[point["fid"] for point in run["curve"]] for run in by_method[method]]
        )  # [seeds, evaluations]
        curves.plot(steps, values.mean(axis=0), color=color, label=method)
        if len(values) > 1:
            curves.fill_between(
                steps, values.min(axis=0), values.max(axis=0), color=color, alpha=0.15
            )
    for ax in (bars, curves):
        ax.axhline(floor, color="black", linestyle="--", linewidth=1)
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    bars.set_xticks(range(len(methods)), [m.replace(", ", "\n") for m in methods])
    bars.set_ylabel("FID (lower is better)")
    bars.set_title("final FID: seeds (dots), mean (bar), floor (dashed)")
    curves.set_xlabel(step_name)
    curves.set_title("FID during training (mean, band: range over seeds)")
    curves.legend(fontsize="small")
    figure.suptitle(
        f"{results['title']}: {results['budget']['steps']:,} {step_name}s, "
        f"{seeds_text(results['num_seeds'])}",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "fid.png"), dpi=80)
    return "fid.png"


def write_samples_figure(
    folder, panels, count, seed, panel_size=(2.2, 2.8), path="samples_seed0.png"
):
    """One row of panels under `folder`: for each `(label, entry)` of `panels`, the
    first `count` images of `entry["samples"]` (a samples PNG relative to `folder`)
    titled with the label and `entry["fid"]`; `panel_size` is one panel's
    (width, height) in inches. Returns `path`, relative to `folder`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = panel_size
    figure = Figure(figsize=(width * len(panels), height))
    FigureCanvasAgg(figure)
    for ax, (label, entry) in zip(figure.subplots(1, len(panels)), panels, strict=True):
        show_samples(ax, os.path.join(folder, entry["samples"]), count)
        ax.set_title(f"{label}\nFID {entry['fid']:.2f}", fontsize="small")
        ax.axis("off")
    figure.suptitle(
        f"Seed {seed}: the first {count} evaluated samples (centre 8x8)",
        fontsize="medium",
    )
    figure.tight_layout(rect=(0, 0, 1, 0.9))  # room for the title
    figure.savefig(os.path.join(folder, path), dpi=80)
    return path


class DigitsMetrics:
    """FID and KID against the 360 held-out test digits, their features (the
    shipped digits classifier's 64-d) extracted once.

    `fid(images)` is the FID alone (for curves during training); `final` saves the
    samples PNG and measures FID and KID (`KID_SUBSETS` subsets of the smaller
    count, subset seed `KID_SEED`) of its pixels.
    """

    def __init__(self):
        from keras_gans import evaluation

        real = evaluation.load_real_samples("digits", (DIGITS_SIZE, DIGITS_SIZE, 1))
        self._fid = evaluation.SampleEvaluator(real, ("fid",), dataset="digits")
        self._fid_and_kid = evaluation.SampleEvaluator(
            real,
            ("fid", "kid"),
            dataset="digits",
            extractor=self._fid.extractor,
            kid_subsets=KID_SUBSETS,
            kid_subset_size=KID_SUBSET_SIZE,
            seed=KID_SEED,
        )
        self.num_real_samples = self._fid.num_real_samples

    def fid(self, images):
        """FID of `[n, 8, 8, 1]` images in [-1, 1] against the test digits."""
        return self._fid(images)["fid"]

    def fid_and_kid(self, images):
        """`{"fid", "kid", "kid_std"}` of `[n, 8, 8, 1]` images in [-1, 1]."""
        values = self._fid_and_kid(images)
        return {key: values[key] for key in ("fid", "kid", "kid_std")}

    def final(self, images, folder, path):
        """Saves `images` as `path` under `folder` and measures the PNG's pixels:
        `{"fid", "kid", "kid_std", "samples": path}`."""
        os.makedirs(os.path.join(folder, os.path.dirname(path)), exist_ok=True)
        save_samples(images, os.path.join(folder, path))
        loaded = load_samples(os.path.join(folder, path), len(images))
        return {**self.fid_and_kid(loaded), "samples": path}
