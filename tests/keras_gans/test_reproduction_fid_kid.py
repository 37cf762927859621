"""`reproduce fid-kid-behaviour`: each disturbance against its definition (NumPy
oracles written here), the saved image sets recomputed with the library's FID and
KID, the summary and the budget, on the quick run and on the committed full run.

The files, the schema of results.json shared by every reproduction and the
progress line are tested for every reproduction in test_reproductions.py."""

import json
import math
import os

import numpy as np
import pytest
from PIL import Image

from keras_gans import metrics, reproductions
from keras_gans.data import builtin
from keras_gans.reproductions import fid_kid_behaviour as behaviour

pytestmark = pytest.mark.tensorflow_only

QUICK_SEEDS = 2
COMMITTED = os.path.join(
    os.path.dirname(__file__), "..", "..", "reproductions", behaviour.NAME
)
TILES_PER_ROW = 40  # the samples PNG layout


@pytest.fixture(scope="module")
def quick_run(quick_reproduction):
    """`reproduce fid-kid-behaviour --quick --seeds 2` (the session's one run): (folder,
    results)."""
    run = quick_reproduction(behaviour.NAME)
    assert run.code == 0, run.stdout
    return run.folder, run.results()


def _committed():
    path = os.path.join(COMMITTED, reproductions.RESULTS_JSON)
    if not os.path.isfile(path):
        pytest.skip("the full run's folder is not in this checkout")
    with open(path) as file:
        return COMMITTED, json.load(file)


@pytest.fixture(scope="module")
def features():
    """The digits classifier's features of the train and the test digits."""
    extractor = metrics.DigitsFeatures()
    return (
        extractor,
        extractor.features(builtin.digits("train")[0]),
        extractor.features(builtin.digits("test")[0]),
    )


def _read_png(path, count):
    """The first `count` 8x8 tiles of a samples PNG (40 per row), uint8."""
    grid = np.asarray(Image.open(path).convert("L"))
    rows = grid.shape[0] // 8
    tiles = grid.reshape(rows, 8, TILES_PER_ROW, 8).transpose(0, 2, 1, 3)
    return tiles.reshape(-1, 8, 8)[:count]


def _as_images(pixels):
    return (pixels.astype("float64") / 127.5 - 1.0)[..., np.newaxis]


# --- the disturbances against their definitions ------------------------------------


def _digits(count=200):
    return builtin.digits("test")[0][:count].astype("float64")


def test_gaussian_noise_is_min_max_scaled_normal_noise():
    images = _digits()
    alpha = 0.5
    noisy = behaviour.gaussian_noise(images, alpha, np.random.default_rng(0))
    noise = (noisy - (1 - alpha) * images) / alpha
    assert noise.min() == pytest.approx(-1.0, abs=1e-12)
    assert noise.max() == pytest.approx(1.0, abs=1e-12)
    standard = (noise - noise.mean()) / noise.std()
    assert abs(np.mean(standard**3)) < 0.1  # skewness of a normal: 0
    assert abs(np.mean(standard**4) - 3.0) < 0.15  # kurtosis of a normal: 3
    # Its standard deviation: 2 / (the range of as many standard normals).
    ranges = [
        np.ptp(np.random.default_rng(s).normal(size=noise.size)) for s in range(5)
    ]
    assert noise.std() == pytest.approx(2.0 / np.mean(ranges), rel=0.06)
    assert np.array_equal(behaviour.disturb(images, "gaussian_noise", 0, None), images)


def _numpy_gaussian_blur(images, sigma):
    """A separable Gaussian of standard deviation sigma, radius int(4 sigma + 0.5),
    the edges extended with the nearest pixel."""
    radius = int(4.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    out = images[..., 0]
    for axis in (1, 2):
        padding = [(0, 0)] * 3
        padding[axis] = (radius, radius)
        padded = np.pad(out, padding, mode="edge")
        size = out.shape[axis]
        out = sum(
            weight * np.take(padded, np.arange(size) + index, axis=axis)
            for index, weight in enumerate(kernel)
        )
    return out[..., np.newaxis]


def test_gaussian_blur_is_the_gaussian_convolution():
    images = _digits(50)
    for sigma in (0.5, 1.0, 4.0):
        np.testing.assert_allclose(
            behaviour.gaussian_blur(images, sigma), _numpy_gaussian_blur(images, sigma)
        )


def test_black_rectangles_cover_what_five_random_squares_cover():
    for share in (0.125, 0.5, 0.75):
        _check_black_rectangles(share)


def _check_black_rectangles(share):
    white = np.ones((3_000, 8, 8, 1))
    covered = behaviour.black_rectangles(white, share, np.random.default_rng(1))
    assert set(np.unique(covered)) <= {-1.0, 1.0}
    side = int(8 * share)
    black = covered[..., 0] == -1.0
    # Every black pixel lies in a side x side black square inside the image.
    squares = np.zeros_like(black)
    for top in range(9 - side):
        for left in range(9 - side):
            full = black[:, top : top + side, left : left + side].all(axis=(1, 2))
            squares[:, top : top + side, left : left + side] |= full[:, None, None]
    assert np.array_equal(squares, black)
    counts = black.sum(axis=(1, 2))
    assert counts.min() >= side * side and counts.max() <= 5 * side * side
    # A pixel (i, j) is under one uniformly placed square with probability
    # rows(i) columns(j) / (9 - side)^2, under one of five with 1 - (1 - p)^5.
    positions = np.array(
        [sum(t <= i < t + side for t in range(9 - side)) for i in range(8)]
    )
    single = np.outer(positions, positions) / (9 - side) ** 2
    expected = 1.0 - (1.0 - single) ** 5
    np.testing.assert_allclose(black.mean(axis=0), expected, atol=0.04)
    # On digits only the pixels above -1 change, and only to -1.
    images = _digits()
    changed = behaviour.black_rectangles(images, share, np.random.default_rng(2))
    moved = changed != images
    assert np.all(changed[moved] == -1.0)


def _mirror(index, size):
    period = 2 * (size - 1)
    index = np.mod(index, period)
    return np.where(index >= size, period - index, index)


def _numpy_swirl(image, strength, radius):
    """scikit-image's swirl mapping about (w // 2, h // 2), bilinear, mirrored."""
    height, width = image.shape
    x0, y0 = width // 2, height // 2
    out = np.empty_like(image)
    for row in range(height):
        for column in range(width):
            rho = math.hypot(column - x0, row - y0)
            theta = math.atan2(row - y0, column - x0) + strength * math.exp(
                -rho / (math.log(2) * radius / 5)
            )
            x, y = x0 + rho * math.cos(theta), y0 + rho * math.sin(theta)
            left, top = math.floor(x), math.floor(y)
            fx, fy = x - left, y - top
            value = 0.0
            for dy, wy in ((0, 1 - fy), (1, fy)):
                for dx, wx in ((0, 1 - fx), (1, fx)):
                    value += (
                        wy
                        * wx
                        * image[
                            int(_mirror(top + dy, height)),
                            int(_mirror(left + dx, width)),
                        ]
                    )
            out[row, column] = value
    return out


def test_swirl_is_scikit_images_mapping_in_a_random_direction():
    images = _digits(20)
    strength = 2.0
    swirled = behaviour.swirl(images, strength, np.random.default_rng(3))
    directions = []
    for image, result in zip(images[..., 0], swirled[..., 0], strict=True):
        errors = {
            sign: np.abs(
                np.clip(
                    _numpy_swirl(image, sign * strength, behaviour.SWIRL_RADIUS), -1, 1
                )
                - result
            ).max()
            for sign in (-1, 1)
        }
        sign = min(errors, key=errors.get)
        assert errors[sign] < 1e-9
        directions.append(sign)
    assert set(directions) == {-1, 1}
    assert behaviour.SWIRL_RADIUS == pytest.approx(70 / 8)
    np.testing.assert_allclose(
        behaviour.swirl(images, 0.0, np.random.default_rng(0)), images, atol=1e-12
    )


def test_salt_and_pepper_flips_the_fraction_to_black_or_white():
    grey = np.zeros((500, 8, 8, 1))
    fraction = 0.2
    noisy = behaviour.salt_and_pepper(grey, fraction, np.random.default_rng(4))
    flipped = noisy != 0.0
    assert set(np.unique(noisy[flipped])) == {-1.0, 1.0}
    spread = 4 * math.sqrt(fraction * (1 - fraction) / grey.size)
    assert abs(flipped.mean() - fraction) < spread
    assert abs((noisy[flipped] == 1.0).mean() - 0.5) < 0.03


def test_contamination_replaces_the_fraction_with_photo_patches():
    from sklearn.datasets import load_sample_images

    images = _digits(100)
    fraction = 0.25
    mixed = behaviour.contamination(images, fraction, np.random.default_rng(5))
    replaced = np.flatnonzero(np.any(mixed != images, axis=(1, 2, 3)))
    assert len(replaced) == 25
    # Each replacement is the 4x4 block mean of a 32x32 crop of a photograph's
    # luma, scaled to [-1, 1]: found by an exhaustive search over every crop.
    for patch in mixed[replaced[:3], ..., 0]:
        best = np.inf
        for photo in load_sample_images().images:
            luma = photo.astype("float64") @ np.array([0.299, 0.587, 0.114])
            integral = np.pad(luma.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
            # means[r, c]: the mean of luma[r : r + 4, c : c + 4]
            means = (
                integral[4:, 4:]
                - integral[:-4, 4:]
                - integral[4:, :-4]
                + integral[:-4, :-4]
            ) / 16.0
            tops, lefts = luma.shape[0] - 31, luma.shape[1] - 31
            distance = np.zeros((tops, lefts))
            for i in range(8):
                for j in range(8):
                    block = means[4 * i : 4 * i + tops, 4 * j : 4 * j + lefts]
                    distance += np.abs(block / 127.5 - 1.0 - patch[i, j])
            best = min(best, distance.min())
        assert best < 1e-9


def test_disturb_refuses_unknown_names_and_bad_levels():
    images = _digits(4)
    with pytest.raises(ValueError, match="`disturbance` should be one of"):
        behaviour.disturb(images, "jpeg", 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="Received: `fraction=1.5`"):
        behaviour.salt_and_pepper(images, 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="Received: `sigma=-1`"):
        behaviour.gaussian_blur(images, -1)
    with pytest.raises(ValueError, match=r"\[n, height, width, 1\]"):
        behaviour.swirl(images[..., 0], 1.0, np.random.default_rng(0))


# --- the budget ----------------------------------------------------------------------


def test_budget_counts_scored_images_and_refuses_steps():
    default = behaviour.budget()
    assert default["training_steps"] == 0
    assert default["steps"] == 24 * 360
    assert behaviour.paper_budget()["steps"] == 18 * 50_000
    assert default["fraction_of_paper_steps"] == pytest.approx(8_640 / 900_000)
    assert default["pooled_sizes"] == [100, 250, 500, 898]
    assert default["protocol_sizes"] == [100, 250, 500, 1_000]
    assert behaviour.budget(quick=True)["steps"] < default["steps"]
    for name in ("steps", "eval_every"):
        with pytest.raises(ValueError, match=f"Received: `{name}=10`"):
            behaviour.budget(**{name: 10})
    # The paper's levels are three of our four, in order.
    for name, levels in behaviour.PAPER_LEVELS.items():
        assert list(behaviour.LEVELS[name][1:]) == list(levels)


# --- the saved image sets, recomputed ------------------------------------------------


def _check_saved_sets(folder, results, features, kid_sets):
    """Seed 0's saved sets: each against its disturbance's definition, FID of every
    set and KID of `kid_sets` of them recomputed from the PNG pixels."""
    extractor, train_features, _ = features
    budget = results["budget"]
    count = budget["num_images"]
    record = results["seeds"][0]
    test_pixels = np.round((builtin.digits("test")[0][:count, ..., 0] + 1) * 127.5)
    level0 = _read_png(os.path.join(folder, record["level0"]["samples"]), count)
    assert np.array_equal(level0, test_pixels)
    original = _as_images(level0)
    checked = 0
    for name in behaviour.DISTURBANCES:
        entry = record["disturbances"][name]
        for index, level in enumerate(entry["levels"]):
            pixels = _read_png(os.path.join(folder, entry["samples"][index]), count)
            images = _as_images(pixels)
            values = extractor.features(images)
            assert entry["fid"][index] == pytest.approx(
                metrics.frechet_distance(train_features, values), rel=1e-6
            )
            if (name, index) in kid_sets:
                kid, kid_std = metrics.kernel_inception_distance(
                    train_features,
                    values,
                    budget["kid_subsets"],
                    budget["kid_subset_size"],
                    record["kid_seed"],
                )
                assert entry["kid"][index] == pytest.approx(kid, rel=1e-6, abs=1e-9)
                assert entry["kid_std"][index] == pytest.approx(kid_std, rel=1e-6)
                checked += 1
            if index == 0:
                assert np.array_equal(pixels, level0)
                continue
            changed = pixels != level0
            if name == "salt_and_pepper":
                assert set(np.unique(pixels[changed])) <= {0, 255}
                expected = level * np.mean((level0 != 0) / 2 + (level0 != 255) / 2)
                spread = 4 * math.sqrt(level / changed.size) + 0.01
                assert abs(changed.mean() - expected) < spread
            elif name == "black_rectangles":
                assert np.all(pixels[changed] == 0)
            elif name == "contamination":
                replaced = np.any(changed, axis=(1, 2)).sum()
                assert replaced == round(level * count)
            elif name == "gaussian_noise":
                noise = (images - (1 - level) * original) / level
                slack = 1.5 / 127.5 / level  # two 8-bit roundings
                assert noise.min() == pytest.approx(-1.0, abs=slack)
                assert noise.max() == pytest.approx(1.0, abs=slack)
            elif name == "gaussian_blur":
                digits = builtin.digits("test")[0][:count].astype("float64")
                blurred = _numpy_gaussian_blur(digits, level)
                expected_pixels = np.round((np.clip(blurred, -1, 1) + 1) * 127.5)
                assert np.abs(expected_pixels[..., 0] - pixels).max() <= 1
    assert checked == len(kid_sets)


def test_quick_run_recomputes_from_its_saved_sets(quick_run, features):
    folder, results = quick_run
    kid_sets = {(name, 4) for name in behaviour.DISTURBANCES} | {("swirl", 0)}
    _check_saved_sets(folder, results, features, kid_sets)
    # Only seed 0's sets are saved.
    assert results["seeds"][1]["level0"]["samples"] is None
    assert set(results["seeds"][1]["disturbances"]["swirl"]["samples"]) == {None}


def _check_summary(results):
    summary = results["summary"]["disturbances"]
    for name in behaviour.DISTURBANCES:
        for measure in ("fid", "kid"):
            series = np.array(
                [record["disturbances"][name][measure] for record in results["seeds"]]
            )  # [seeds, levels]
            means = [statistics["mean"] for statistics in summary[name][measure]]
            np.testing.assert_allclose(means, series.mean(axis=0), rtol=1e-12)
            rising = bool(np.all(np.diff(series.mean(axis=0)) > 0))
            assert summary[name][f"{measure}_monotone"] is rising
            seeds_rising = int(np.sum(np.all(np.diff(series, axis=1) > 0, axis=1)))
            assert summary[name][f"{measure}_monotone_seeds"] == seeds_rising
    for design in ("pooled", "protocol"):
        draws = [d for record in results["seeds"] for d in record["bias"][design]]
        for measure in ("fid", "kid"):
            values = np.array([draw[measure] for draw in draws])  # [draws, sizes]
            statistics = results["summary"]["bias"][design][measure]
            np.testing.assert_allclose(
                [s["mean"] for s in statistics], values.mean(axis=0), rtol=1e-12
            )
            np.testing.assert_allclose(
                [s["std"] for s in statistics], values.std(axis=0, ddof=1), rtol=1e-9
            )


def test_quick_run_summary_is_over_seeds_and_draws(quick_run):
    _, results = quick_run
    _check_summary(results)
    assert results["budget"] == behaviour.budget(quick=True)
    for record in results["seeds"]:
        for design in ("pooled", "protocol"):
            assert len(record["bias"][design]) == results["budget"]["bias_draws"]


def _check_bias_draws(results, features, draws):
    """Seed 0's first `draws` draws of (b), redrawn as the module docstring says:
    `default_rng(1000)`, per draw a permutation of the 1,797 pooled digits (train
    then test) and one of the 1,437 train digits."""
    _, train_features, test_features = features
    budget = results["budget"]
    pool = np.concatenate([train_features, test_features])
    half = len(pool) // 2
    rng = np.random.default_rng(1000)
    record = results["seeds"][0]
    for draw in range(draws):
        order = rng.permutation(len(pool))
        saved = record["bias"]["pooled"][draw]
        for index, n in enumerate(budget["pooled_sizes"]):
            side_a, side_b = pool[order[:n]], pool[order[half : half + n]]
            assert saved["fid"][index] == pytest.approx(
                metrics.frechet_distance(side_a, side_b), rel=1e-6
            )
            kid = metrics.kernel_inception_distance(side_a, side_b, 1, n, 0)[0]
            assert saved["kid"][index] == pytest.approx(kid, rel=1e-6, abs=1e-9)
        order = rng.permutation(len(train_features))
        saved = record["bias"]["protocol"][draw]
        for index, n in enumerate(budget["protocol_sizes"]):
            assert saved["fid"][index] == pytest.approx(
                metrics.frechet_distance(test_features, train_features[order[:n]]),
                rel=1e-6,
            )
        kid = metrics.kernel_inception_distance(
            test_features,
            train_features[order[: budget["protocol_sizes"][0]]],
            budget["kid_subsets"],
            budget["kid_subset_size"],
            0,
        )[0]
        assert saved["kid"][0] == pytest.approx(kid, rel=1e-6, abs=1e-9)


def test_quick_run_bias_draws_are_the_documented_draws(quick_run, features):
    _, results = quick_run
    _check_bias_draws(results, features, draws=results["budget"]["bias_draws"])


# --- the committed full run ----------------------------------------------------------


def test_committed_run_is_the_default_budget_and_recomputes(features):
    folder, results = _committed()
    assert results["quick"] is False
    assert results["num_seeds"] == behaviour.DEFAULT_SEEDS
    assert results["budget"] == behaviour.budget()
    assert results["command"] == "python -m keras_gans reproduce fid-kid-behaviour"
    kid_sets = {("gaussian_noise", 0), ("contamination", 4)}
    _check_saved_sets(folder, results, features, kid_sets)
    _check_summary(results)
    _check_bias_draws(results, features, draws=1)
    with open(os.path.join(folder, reproductions.RESULTS_MD)) as file:
        text = file.read()
    for name in behaviour.DISTURBANCES:
        assert f"**{behaviour.LABELS[name]}**" in text
    size = sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(folder)
        for name in names
    )
    assert size < 1_500_000
