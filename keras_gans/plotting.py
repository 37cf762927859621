"""Pictures for the run folder: sample grids (images, and sequences as tiles), 2-D
scatter plots, loss and metric curves, mode-coverage scatter plots and latent
interpolation strips.

Matplotlib is used through its object API (`Figure` + the Agg canvas), so nothing
here touches global plotting state or needs a display.
"""

import csv
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from PIL import Image

__all__ = [
    "EVALUATION_COLUMNS",
    "image_grid",
    "save_image_grid",
    "save_interpolation_strips",
    "save_loss_curves",
    "save_metric_curves",
    "save_mode_scatter",
    "save_points_plot",
    "save_samples",
    "sequence_tiles",
]

# The log keys of `keras_gans.evaluation` (the `EvaluateGenerator` callback) and of
# `ChainDistances` (the "markov" sequences): drawn by `save_metric_curves`, left out
# of the loss curves. One panel per row, in order.
EVALUATION_COLUMNS = (
    ("fid",),
    ("kid",),
    ("inception_score",),
    ("precision", "recall"),
    ("modes_captured",),
    ("high_quality_fraction",),
    ("mode_kl",),
    ("marginal_tv", "transition_tv"),
)
_STANDARD_DEVIATION_SUFFIX = "_std"

# Upscale small tiles so an 8x8 digit is visible in an image viewer.
_MIN_TILE_PIXELS = 48


def image_grid(images, columns=None, padding=1):
    """Tiles `[n, h, w, c]` images in [-1, 1] into one uint8 `[H, W, c]` grid.

    `columns` defaults to ceil(sqrt(n)), a square grid.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "Expected images [n, h, w, 1|3|4]. "
            f"Received an array of shape {images.shape}."
        )
    count, height, width, channels = images.shape
    columns = max(1, min(columns or math.ceil(math.sqrt(count)), count))
    rows = math.ceil(count / columns)
    grid = np.full(
        (
            rows * (height + padding) + padding,
            columns * (width + padding) + padding,
            channels,
        ),
        255,
        dtype="uint8",
    )
    pixels = np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype("uint8")
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = (
            padding + row * (height + padding),
            padding + column * (width + padding),
        )
        grid[top : top + height, left : left + width] = pixels[index]
    return grid


def save_image_grid(images, path, columns=None):
    """Writes a PNG grid of images in [-1, 1], upscaled so small images stay visible."""
    grid = image_grid(images, columns)
    factor = max(1, math.ceil(_MIN_TILE_PIXELS / np.asarray(images).shape[1]))
    picture = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    picture = picture.resize(
        (grid.shape[1] * factor, grid.shape[0] * factor), Image.NEAREST
    )
    picture.save(path)


def save_points_plot(points, path, reference_points=None, title=None):
    """Writes a scatter plot of generated 2-D points over reference points (the
    data)."""
    figure = Figure(figsize=(5, 5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if reference_points is not None:
        axes.scatter(
            *np.asarray(reference_points).T, s=4, c="tab:gray", alpha=0.3, label="data"
        )
    axes.scatter(*np.asarray(points).T, s=4, c="tab:blue", alpha=0.5, label="generated")
    axes.set_aspect("equal")
    axes.legend(loc="upper right")
    if title:
        axes.set_title(title)
    figure.savefig(path, dpi=100)


def sequence_tiles(sequences):
    """`[n, length, K]` rows of class probabilities as `[n, K, length, 1]` images in
    [-1, 1]: position t is column t, class c row c, white where the row's
    probability is 1."""
    sequences = np.asarray(sequences, dtype="float32")
    return (2.0 * np.transpose(sequences, (0, 2, 1)) - 1.0)[..., np.newaxis]


def save_samples(samples, path, reference_points=None, title=None):
    """Image grid for images, scatter plot for 2-D points, a grid of
    `sequence_tiles` for sequences `[n, length, K]`."""
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        save_points_plot(samples, path, reference_points, title)
    elif samples.ndim == 3:
        save_image_grid(sequence_tiles(samples), path)
    else:
        save_image_grid(samples, path)


# Margins of the curve figures (fractions of the figure).
CURVE_MARGINS = {"left": 0.06, "right": 0.98, "bottom": 0.12, "top": 0.9, "wspace": 0.3}


def save_loss_curves(csv_path, png_path):
    """Plots the training logs of a `metrics.csv` (`callbacks.MetricsCSV`: epochs
    from 1, empty cells where a value was not logged) against the epoch, on three
    axes of their own scales: losses and penalties; D's mean outputs (`*logits`);
    gradient norms (`*grad_norm`, log scale). Evaluation metrics are left to
    `save_metric_curves`."""
    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        return
    epochs = [int(row["epoch"]) for row in rows]
    figure = Figure(figsize=(12, 4))
    FigureCanvasAgg(figure)
    loss_axes, logit_axes, norm_axes = figure.subplots(1, 3)
    for name in rows[0]:
        if name == "epoch" or _is_evaluation_column(name):
            continue
        points_epochs, values = _finite_points(epochs, rows, name)
        if not values:
            continue
        if name.endswith("grad_norm"):
            axes = norm_axes
        elif name.endswith("logits"):
            axes = logit_axes
        else:
            axes = loss_axes
        axes.plot(points_epochs, values, marker="o", markersize=3, label=name)
    for axes, title in (
        (loss_axes, "losses and penalties"),
        (logit_axes, "discriminator outputs"),
        (norm_axes, "gradient norms"),
    ):
        axes.set_xlabel("epoch")
        axes.set_title(title)
        if axes.get_legend_handles_labels()[0]:
            axes.legend()
    if norm_axes.get_legend_handles_labels()[0]:
        norm_axes.set_yscale("log")
    # Fixed margins: `tight_layout` measures every tick label and costs about twice
    # the drawing itself, and a run redraws these curves several times.
    figure.subplots_adjust(**CURVE_MARGINS)
    figure.savefig(png_path, dpi=100)


def _is_evaluation_column(name):
    if name.endswith(_STANDARD_DEVIATION_SUFFIX):
        name = name[: -len(_STANDARD_DEVIATION_SUFFIX)]
    return any(name in panel for panel in EVALUATION_COLUMNS)


def _finite_points(epochs, rows, name):
    """`(epochs, values)` of a CSV column, skipping empty, "NA" and NaN cells."""
    points = [
        (epoch, float(row[name]))
        for epoch, row in zip(epochs, rows, strict=True)
        if row.get(name) not in (None, "", "NA") and math.isfinite(float(row[name]))
    ]
    return [point[0] for point in points], [point[1] for point in points]


def save_metric_curves(csv_path, png_path):
    """Plots the evaluation metrics of a `CSVLogger` file, one panel per metric.

    Panels follow `EVALUATION_COLUMNS` (FID, KID ± std, IS ± std, precision and
    recall, modes captured, high-quality fraction, mode KL); columns that are
    missing or never finite are skipped, and NaN cells (epochs without an
    evaluation) are left out of the lines.

    Returns:
        The number of panels drawn; 0 writes no file.
    """
    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        return 0
    epochs = [int(row["epoch"]) for row in rows]
    panels = []
    for names in EVALUATION_COLUMNS:
        lines = [(name, *_finite_points(epochs, rows, name)) for name in names]
        lines = [line for line in lines if line[1]]
        if lines:
            panels.append(lines)
    if not panels:
        return 0
    columns = min(3, len(panels))
    grid_rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(4 * columns, 3 * grid_rows))
    FigureCanvasAgg(figure)
    for index, lines in enumerate(panels):
        axes = figure.add_subplot(grid_rows, columns, index + 1)
        for name, line_epochs, values in lines:
            axes.plot(line_epochs, values, marker="o", markersize=3, label=name)
            deviation_epochs, deviations = _finite_points(
                epochs, rows, name + _STANDARD_DEVIATION_SUFFIX
            )
            if deviation_epochs == line_epochs:
                values, deviations = np.asarray(values), np.asarray(deviations)
                axes.fill_between(
                    line_epochs, values - deviations, values + deviations, alpha=0.2
                )
        axes.set_xlabel("epoch")
        axes.set_title(", ".join(name for name, _, _ in lines))
        if len(lines) > 1:
            axes.legend()
    figure.subplots_adjust(**CURVE_MARGINS, hspace=0.35)
    figure.savefig(png_path, dpi=100)
    return len(panels)


def save_mode_scatter(
    points, means, standard_deviation, path, title=None, reference_points=None
):
    """Scatter plot of generated 2-D points over a mixture's modes (catalogue M5).

    Each mode is drawn as its mean (a black cross) and the 3-sigma circle within
    which a sample counts as high quality; generated points inside a circle are
    blue, the others orange; real `reference_points`, if given, are grey.

    Args:
        points: `[n, 2]` generated points.
        means: `[num_modes, 2]` mixture means.
        standard_deviation: The components' standard deviation.
        path: The PNG file to write (500 x 500 pixels).
        title: The plot's title (e.g. the mode coverage).
        reference_points: Optional `[m, 2]` real points.
    """
    points = np.asarray(points, dtype="float64")
    means = np.asarray(means, dtype="float64")
    radius = 3.0 * float(standard_deviation)
    distances = np.linalg.norm(
        points[:, np.newaxis, :] - means[np.newaxis, :, :], axis=-1
    )  # [n, num_modes]
    high_quality = distances.min(axis=1) <= radius
    figure = Figure(figsize=(5, 5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if reference_points is not None:
        axes.scatter(
            *np.asarray(reference_points).T, s=3, c="tab:gray", alpha=0.3, label="data"
        )
    # Only non-empty groups, so the legend names only what is drawn.
    for selected, colour, label in (
        (~high_quality, "tab:orange", "generated"),
        (high_quality, "tab:blue", "generated, within 3 sigma"),
    ):
        if np.any(selected):
            axes.scatter(*points[selected].T, s=4, c=colour, alpha=0.5, label=label)
    for mean in means:
        axes.add_patch(Circle(mean, radius, fill=False, color="black", linewidth=0.8))
    axes.scatter(*means.T, marker="x", s=30, c="black", label="modes")
    # Frame the modes (and most samples) even when the generator has diverged.
    low, high = means.min(axis=0), means.max(axis=0)
    margin = 0.25 * float(np.max(high - low)) + radius
    axes.set_xlim(low[0] - margin, high[0] + margin)
    axes.set_ylim(low[1] - margin, high[1] + margin)
    axes.set_aspect("equal")
    axes.legend(loc="upper right", fontsize="small")
    if title:
        axes.set_title(title)
    figure.savefig(path, dpi=100)


def save_interpolation_strips(images, path):
    """Writes latent interpolation strips: `[rows, steps, h, w, c]` images in
    [-1, 1], one interpolation per row (upscaled as `save_image_grid`)."""
    images = np.asarray(images)
    if images.ndim != 5:
        raise ValueError(
            "Expected interpolation strips [rows, steps, height, width, channels]. "
            f"Received an array of shape {images.shape}."
        )
    rows, steps = images.shape[:2]
    save_image_grid(images.reshape(rows * steps, *images.shape[2:]), path, steps)
