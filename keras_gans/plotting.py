"""Pictures for the run folder: sample grids, 2-D scatter plots and loss curves.

Matplotlib is used through its object API (`Figure` + the Agg canvas), so nothing
here touches global plotting state or needs a display.
"""

import csv
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = [
    "image_grid",
    "save_image_grid",
    "save_points_plot",
    "save_loss_curves",
    "save_samples",
]

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


def save_samples(samples, path, reference_points=None, title=None):
    """Image grid for images, scatter plot for 2-D points."""
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        save_points_plot(samples, path, reference_points, title)
    else:
        save_image_grid(samples, path)


def save_loss_curves(csv_path, png_path):
    """Plots every column of a Keras `CSVLogger` file against the epoch."""
    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        return
    epochs = [int(row["epoch"]) + 1 for row in rows]
    figure = Figure(figsize=(8, 4))
    FigureCanvasAgg(figure)
    loss_axes, logit_axes = figure.subplots(1, 2)
    for name in rows[0]:
        # CSVLogger writes "NA" for the validation columns of a run without validation.
        points = [
            (e, float(r[name]))
            for e, r in zip(epochs, rows, strict=True)
            if r[name] not in ("", "NA")
        ]
        if name == "epoch" or not points:
            continue
        axes = loss_axes if "loss" in name else logit_axes
        axes.plot(*zip(*points, strict=True), marker="o", markersize=3, label=name)
    for axes, title in ((loss_axes, "losses"), (logit_axes, "discriminator outputs")):
        axes.set_xlabel("epoch")
        axes.set_title(title)
        if axes.get_legend_handles_labels()[0]:
            axes.legend()
    figure.tight_layout()
    figure.savefig(png_path, dpi=100)
