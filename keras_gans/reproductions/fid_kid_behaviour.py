"""FID and KID behaviour on digits: six disturbances of real digits at rising
levels, and the sample-size bias of FID against the unbiased KID.

Claims:

- (a) Heusel et al. 2017, "GANs trained by a two time-scale update rule converge
  to a local Nash equilibrium", NeurIPS 2017, https://arxiv.org/abs/1706.08500 ,
  Appendix, Figure A1: the FID of real images (CelebA) rises with the level of each
  of six disturbances (Gaussian noise, Gaussian blur, black rectangles, swirl,
  salt-and-pepper noise, contamination with ImageNet images), where the Inception
  Score does not. We measure FID and KID and report, per disturbance and measure,
  whether the mean over seeds rises strictly with the level.
- (b) Bińkowski, Sutherland, Arbel and Gretton 2018, "Demystifying MMD GANs", ICLR
  2018, https://arxiv.org/abs/1801.01401 : the FID estimator is biased (its
  expectation depends on the sample count n, falling as n grows), while KID, the
  unbiased estimator of the squared MMD with a cubic polynomial kernel, has the
  same expectation at every n: zero for two samples of one distribution.

The definitions of the disturbances are the authors' (the paper's appendix text,
repeated in their repository https://github.com/bioinf-jku/TTUR ,
`FID_vs_Inception_Score/README.md`, and their code, `FIDvsINC/fidutils.py` and
`FIDvsINC/main.py`), on images in [-1, 1]; every disturbed image is clipped to
[-1, 1]. Each takes a level `a`:

- **Gaussian noise** `(1 - a) x + a N`: `N` a standard normal draw of the shape
  of the whole image set, min-max scaled over that set to [-1, 1] (so its standard
  deviation is 2 / (max - min), about 0.24 for 360 digits).
- **Gaussian blur**: `scipy.ndimage.gaussian_filter` of each image with standard
  deviation `a` pixels, truncated at 4 standard deviations, edges extended with
  the nearest pixel (`scikit-image`'s `gaussian` defaults, which the authors used).
- **Black rectangles**: five squares of side `floor(a * 8)` pixels at uniformly
  random positions (inside the image; overlaps allowed) set to the images'
  minimum, -1 (the authors' `apply_mult_rect(5, ..., val=X.min())`).
- **Swirl** (scikit-image's mapping, written with NumPy and
  `scipy.ndimage.map_coordinates`): the output pixel at column x, row y reads the
  input at `(x0 + rho cos t, y0 + rho sin t)`, `rho` its distance to the centre
  `(x0, y0)`, `t = atan2(y - y0, x - x0) + s a exp(-rho / r)`,
  `r = ln(2) radius / 5`; bilinear interpolation, mirrored at the edges
  (scikit-image's `order=1, mode="reflect"`). As in the authors' code: one swirl at
  the centre `(8 // 2, 8 // 2)`, a random direction `s = ±1` per image, and the
  radius of their CelebA run (70 pixels on 64x64 images) scaled to 8x8: 8.75
  pixels. Their code restores a 3-pixel border of the 64x64 image after the swirl;
  scaled to 8x8 that border is under half a pixel, so none is restored.
- **Salt and pepper**: each pixel independently, with probability `a`, set to -1
  or to 1 (each with probability 1/2).
- **Contamination**: a fraction `a` of the images (`round(a n)` of them, at
  random positions) replaced by images of another kind. Heusel et al. replaced
  CelebA faces by ImageNet photographs; our analogue is 8x8 grayscale patches of
  the two photographs scikit-learn ships offline
  (`sklearn.datasets.load_sample_images`: china.jpg and flower.jpg, 427x640 RGB): a
  photograph chosen at random, a 32x32 crop at a uniformly random position, its
  luma 0.299 R + 0.587 G + 0.114 B averaged over 4x4 blocks (the UCI digits were
  made from 32x32 bitmaps by counting over 4x4 blocks), scaled p / 127.5 - 1.

Levels: the paper's three non-zero levels of each disturbance, and one milder
level below them (so four levels beside the undisturbed level 0; `LEVELS`):
noise 0.1 (ours), 0.25, 0.5, 0.75; blur 0.5 (ours), 1, 2, 4 pixels; rectangles
0.125 (ours), 0.25, 0.5, 0.75 of the side (1, 2, 4, 6 pixels); swirl 0.5 (ours), 1,
2, 4; salt and pepper 0.05 (ours), 0.1, 0.2, 0.3; contamination 0.1 (ours), 0.25,
0.5, 0.75. The levels are in pixels of 8x8 images where the paper's were of 64x64
ones: a blur of 1 pixel is, relative to the image, eight times the paper's.

Protocol (ours):

- **Features.** The shipped digits classifier's 64-d features
  (`keras_gans.metrics.DigitsFeatures`), in the place of InceptionV3's 2048-d pool
  features. FID is `metrics.frechet_distance` (sample means, unbiased covariances);
  KID is `metrics.kernel_inception_distance` (unbiased MMD^2, kernel
  `(x . y / 64 + 1)^3`, mean over random subsets drawn without replacement).
- **(a) Disturbances.** The 360 held-out test digits, disturbed, rounded to 8
  bits (what a saved PNG holds; p / 127.5 - 1) and measured against the 1,437
  train digits (undisturbed). KID over 100 subsets of 360 (the smaller count),
  subset seed s. The paper disturbed 50,000 CelebA images against the statistics
  of CelebA, one repeat.
- **(b) Sample-size bias, two designs** (the features of each digit are computed
  once; a draw picks rows):
  - *pooled*: both sides disjoint random draws of n from all 1,797 digits (train
    and test together, so both sides sample one distribution: the expectation of
    KID is exactly 0 there), n = 100, 250, 500 and 898. Disjoint sides of 1,000
    need 2,000 digits; 898 = 1,797 // 2 is the largest n the pool allows. The
    sides of one draw are nested: a permutation of the pool, side A its first n,
    side B its n from position 898. KID is the estimator on the two full sides
    (one subset of n: with equal counts every subset of n is the whole set).
  - *protocol*: the way the digits reproductions measure a generator: n digits
    drawn from the 1,437 train digits against the fixed 360 held-out test digits,
    n = 100, 250, 500 and 1,000 (KID over 100 subsets of min(n, 360)). The train
    and test digits differ for the classifier (it was trained on the former), so
    neither measure tends to 0 here; the claim is about the dependence on n.
  Each seed makes `BIAS_DRAWS` draws (one `numpy.random.default_rng(1000 + s)`
  per seed: for each draw a permutation of the 1,797 pooled digits, then one of
  the 1,437 train digits); the tables give the mean ± standard deviation over all
  draws of all seeds.
- **Seeds.** 3 (0, 1, 2): seed s draws the disturbances
  (`numpy.random.default_rng(s)`, the disturbances and levels in `LEVELS` order),
  the KID subsets (seed s) and the draws of (b). The blur is deterministic, so its
  FID is the same every seed. A measure is *monotone* for a disturbance when its
  mean over seeds rises strictly from level 0 through level 4; the tables also
  count the seeds in which it does.
- **Saved.** Seed 0's 25 image sets of (a) (level 0 and 24 disturbed) as 8-bit
  PNGs, `samples/seed0_<disturbance>_<level>.png` (`_digits.save_samples`, 40
  tiles per row): the tests recompute their FID and KID with the library's
  functions and check each disturbance against its definition.

There is no training: `budget()["training_steps"]` is 0 and `budget()["steps"]`
counts the disturbed images the feature extractor scores per seed, 24 sets of 360
(8,640), beside the paper's 18 sets of 50,000 CelebA images (900,000); `--steps`
and `--eval-every` are refused. The full run (3 seeds) takes about 3 minutes of
CPU time (388 s of wall time on 2 CPU cores shared with other work).
"""

import math
import os

import numpy as np

from keras_gans.reproductions._digits import (
    DIGITS_SIZE,
    from_pixels,
    load_samples,
    save_samples,
    to_pixels,
)
from keras_gans.reproductions._runner import run_footer, seeds_text, summary_statistics

__all__ = [
    "BIAS_DRAWS",
    "DEFAULT_SEEDS",
    "DISTURBANCES",
    "LEVELS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "TITLE",
    "black_rectangles",
    "budget",
    "contamination",
    "disturb",
    "gaussian_blur",
    "gaussian_noise",
    "markdown",
    "paper_budget",
    "photo_patches",
    "run_seed",
    "salt_and_pepper",
    "samples_file",
    "summarise",
    "swirl",
    "write_figures",
]

NAME = "fid-kid-behaviour"
TITLE = "FID and KID under six disturbances, and the sample-size bias, on digits"
REFERENCE = (
    "Heusel et al. 2017, https://arxiv.org/abs/1706.08500 (Appendix, Figure A1); "
    "Bińkowski et al. 2018, https://arxiv.org/abs/1801.01401 (KID)"
)
DEFAULT_SEEDS = 3  # ours: the paper's Figure A1 is one repeat

# The disturbances in the paper's order, and their levels: the paper's three
# non-zero levels and one milder one below them (first), level 0 = undisturbed.
DISTURBANCES = (
    "gaussian_noise",
    "gaussian_blur",
    "black_rectangles",
    "swirl",
    "salt_and_pepper",
    "contamination",
)
LEVELS = {
    "gaussian_noise": (0.1, 0.25, 0.5, 0.75),
    "gaussian_blur": (0.5, 1.0, 2.0, 4.0),
    "black_rectangles": (0.125, 0.25, 0.5, 0.75),
    "swirl": (0.5, 1.0, 2.0, 4.0),
    "salt_and_pepper": (0.05, 0.1, 0.2, 0.3),
    "contamination": (0.1, 0.25, 0.5, 0.75),
}
PAPER_LEVELS = {
    "gaussian_noise": (0.25, 0.5, 0.75),
    "gaussian_blur": (1.0, 2.0, 4.0),
    "black_rectangles": (0.25, 0.5, 0.75),
    "swirl": (1.0, 2.0, 4.0),
    "salt_and_pepper": (0.1, 0.2, 0.3),
    "contamination": (0.25, 0.5, 0.75),
}
LABELS = {
    "gaussian_noise": "Gaussian noise",
    "gaussian_blur": "Gaussian blur",
    "black_rectangles": "black rectangles",
    "swirl": "swirl",
    "salt_and_pepper": "salt and pepper",
    "contamination": "contamination (photo patches)",
}
LEVEL_NAMES = {
    "gaussian_noise": "α in (1 - α) x + α N",
    "gaussian_blur": "σ (pixels)",
    "black_rectangles": "side / image side (5 squares)",
    "swirl": "strength",
    "salt_and_pepper": "fraction of pixels",
    "contamination": "fraction of images replaced",
}
MEASURES = ("fid", "kid")
RECTANGLES = 5  # the authors' n_rect
BLUR_TRUNCATE = 4.0  # scikit-image's gaussian default
SWIRL_RADIUS = 70 * DIGITS_SIZE / 64  # the authors' CelebA radius, 64 -> 8 pixels
PATCH_SIZE = 32  # photo crop, averaged over 4x4 blocks to 8x8
LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's "L" conversion

TRAIN_IMAGES = 1_437
TEST_IMAGES = 360
POOL_IMAGES = TRAIN_IMAGES + TEST_IMAGES  # 1,797
KID_SUBSETS = 100  # the KID authors' default
KID_SUBSET_SIZE = 1_000  # clamped to the smaller count
POOLED_SIZES = (100, 250, 500, POOL_IMAGES // 2)  # 898: disjoint sides
PROTOCOL_SIZES = (100, 250, 500, 1_000)
BIAS_DRAWS = 4  # draws per seed and n
BIAS_SEED_OFFSET = 1_000  # seed s draws (b) from default_rng(1000 + s)
EXAMPLES = 4  # digits per cell of the examples figure

QUICK_IMAGES = 40
QUICK_KID_SUBSETS = 5
QUICK_POOLED_SIZES = (20, 40)
QUICK_PROTOCOL_SIZES = (20, 40)
QUICK_BIAS_DRAWS = 2

PUBLISHED = {
    "source": (
        "Heusel et al. 2017, Appendix (Figure A1) and the authors' repository "
        "(bioinf-jku/TTUR, FID_vs_Inception_Score/README.md, FIDvsINC/); "
        "Bińkowski et al. 2018 (KID). The paper gives Figure A1 as plots, "
        "without a table of numbers: only its levels and claims are written here"
    ),
    "dataset": "CelebA (64x64), 50,000 images, InceptionV3 pool features",
    "levels": {key: list(levels) for key, levels in PAPER_LEVELS.items()},
    "claims": {
        "disturbances": (
            "The FID rises with the disturbance level of every one of the six "
            "disturbances (Heusel et al. 2017, Figure A1)."
        ),
        "fid_bias": (
            "The FID estimator is biased: its expectation depends on the number "
            "of samples n (Bińkowski et al. 2018)."
        ),
        "kid_unbiased": (
            "KID has an unbiased estimator: its expectation does not depend on n, "
            "and is 0 for two samples of one distribution (Bińkowski et al. 2018)."
        ),
    },
}


# --- the disturbances ----------------------------------------------------------------


def _check_images(images):
    array = np.asarray(images, dtype="float64")
    if array.ndim != 4 or array.shape[-1] != 1:
        raise ValueError(
            "`images` should be grayscale images [n, height, width, 1]. Received: "
            f"shape={np.shape(images)}."
        )
    return array


def _check_level(level, name, upper=None):
    if isinstance(level, bool) or not isinstance(level, (int, float, np.number)):
        raise ValueError(f"`{name}` should be a number. Received: `{name}={level!r}`.")
    if not math.isfinite(level) or level < 0 or (upper is not None and level > upper):
        bound = "" if upper is None else f" and at most {upper}"
        raise ValueError(
            f"`{name}` should be non-negative{bound}. Received: `{name}={level!r}`."
        )
    return float(level)


def gaussian_noise(images, alpha, rng):
    """`(1 - alpha) x + alpha N`, clipped to [-1, 1], for `[n, h, w, 1]` images.

    `N` is a standard normal draw of the shape of the whole set, min-max scaled
    over the set to [-1, 1]: `2 (Z - min Z) / (max Z - min Z) - 1` (Heusel et al.
    2017, Appendix: "Gaussian noise scaled to [0, 255]"; the authors'
    `apply_gauss_noise`).
    """
    images = _check_images(images)
    alpha = _check_level(alpha, "alpha", 1.0)
    normal = rng.standard_normal(images.shape)
    noise = 2.0 * (normal - normal.min()) / (normal.max() - normal.min()) - 1.0
    return np.clip((1.0 - alpha) * images + alpha * noise, -1.0, 1.0)


def gaussian_blur(images, sigma, rng=None):
    """Each image convolved with a Gaussian of standard deviation `sigma` pixels
    (truncated at 4 sigma, edges extended with the nearest pixel), clipped to
    [-1, 1]. `rng` is unused: the blur is deterministic."""
    from scipy import ndimage

    images = _check_images(images)
    sigma = _check_level(sigma, "sigma")
    blurred = ndimage.gaussian_filter(
        images, sigma=(0.0, sigma, sigma, 0.0), mode="nearest", truncate=BLUR_TRUNCATE
    )
    return np.clip(blurred, -1.0, 1.0)


def black_rectangles(images, share, rng, count=RECTANGLES):
    """`count` squares of side `floor(share * height)` pixels, each at a uniformly
    random position inside the image, set to -1 (black, the images' minimum)."""
    images = _check_images(images).copy()
    share = _check_level(share, "share", 1.0)
    height, width = images.shape[1:3]
    side_rows, side_columns = int(height * share), int(width * share)
    for image in images:
        for _ in range(count):
            top = rng.integers(0, height - side_rows + 1)
            left = rng.integers(0, width - side_columns + 1)
            image[top : top + side_rows, left : left + side_columns] = -1.0
    return images


def swirl(images, strength, rng, radius=SWIRL_RADIUS):
    """scikit-image's swirl of each image about its centre `(w // 2, h // 2)`, in a
    random direction per image; bilinear, mirrored at the edges, clipped to
    [-1, 1].

    The output pixel at column x, row y reads the input at `(x0 + rho cos t,
    y0 + rho sin t)`: `rho` its distance to the centre, `t = atan2(y - y0, x - x0)
    + s strength exp(-rho / r)`, `r = ln(2) radius / 5`, `s = ±1`.
    """
    from scipy import ndimage

    images = _check_images(images)
    strength = _check_level(strength, "strength")
    count, height, width = images.shape[:3]
    directions = rng.choice((-1.0, 1.0), size=count)
    x0, y0 = width // 2, height // 2
    rows, columns = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    rho = np.hypot(columns - x0, rows - y0)  # [h, w]
    angle = np.arctan2(rows - y0, columns - x0)  # [h, w]
    decay = math.log(2) * radius / 5
    theta = angle + directions[:, None, None] * strength * np.exp(-rho / decay)
    source_columns = x0 + rho * np.cos(theta)  # [n, h, w]
    source_rows = y0 + rho * np.sin(theta)  # [n, h, w]
    indices = np.broadcast_to(np.arange(count)[:, None, None], source_rows.shape)
    swirled = ndimage.map_coordinates(
        images[..., 0], [indices, source_rows, source_columns], order=1, mode="mirror"
    )  # [n, h, w]
    return np.clip(swirled, -1.0, 1.0)[..., np.newaxis]


def salt_and_pepper(images, fraction, rng):
    """Each pixel, independently with probability `fraction`, set to -1 or 1 (each
    with probability 1/2)."""
    images = _check_images(images).copy()
    fraction = _check_level(fraction, "fraction", 1.0)
    flipped = rng.random(images.shape) < fraction
    values = np.where(rng.random(int(flipped.sum())) < 0.5, 1.0, -1.0)
    images[flipped] = values
    return images


_PHOTOS = []


def _photos():
    """The luma of scikit-learn's two sample photographs, `[2, 427, 640]` in
    [0, 255] (cached)."""
    if not _PHOTOS:
        from sklearn.datasets import load_sample_images

        for photo in load_sample_images().images:
            _PHOTOS.append(np.asarray(photo, "float64") @ np.asarray(LUMA))
    return _PHOTOS


def photo_patches(count, rng):
    """`count` 8x8 grayscale patches of scikit-learn's sample photographs,
    `[count, 8, 8, 1]` in [-1, 1]: a photograph chosen at random, a 32x32 crop at
    a random position, its luma averaged over 4x4 blocks, p / 127.5 - 1."""
    photos = _photos()
    block = PATCH_SIZE // DIGITS_SIZE
    patches = np.empty((count, DIGITS_SIZE, DIGITS_SIZE, 1))
    for index in range(count):
        photo = photos[rng.integers(len(photos))]
        top = rng.integers(0, photo.shape[0] - PATCH_SIZE + 1)
        left = rng.integers(0, photo.shape[1] - PATCH_SIZE + 1)
        crop = photo[top : top + PATCH_SIZE, left : left + PATCH_SIZE]
        blocks = crop.reshape(DIGITS_SIZE, block, DIGITS_SIZE, block)  # [8, 4, 8, 4]
        patches[index, ..., 0] = blocks.mean(axis=(1, 3)) / 127.5 - 1.0
    return patches


def contamination(images, fraction, rng):
    """`round(fraction * n)` of the images, at random positions, replaced by
    `photo_patches` (Heusel et al.'s ImageNet contamination of CelebA)."""
    images = _check_images(images).copy()
    fraction = _check_level(fraction, "fraction", 1.0)
    replaced = rng.choice(len(images), round(fraction * len(images)), replace=False)
    images[replaced] = photo_patches(len(replaced), rng)
    return images


_DISTURB = {
    "gaussian_noise": gaussian_noise,
    "gaussian_blur": gaussian_blur,
    "black_rectangles": black_rectangles,
    "swirl": swirl,
    "salt_and_pepper": salt_and_pepper,
    "contamination": contamination,
}


def disturb(images, disturbance, level, rng):
    """`images` under `disturbance` (one of `DISTURBANCES`) at `level`; level 0 is
    the images unchanged."""
    if disturbance not in _DISTURB:
        raise ValueError(
            f"`disturbance` should be one of {', '.join(DISTURBANCES)}. Received: "
            f"`disturbance={disturbance!r}`."
        )
    if level == 0:
        return _check_images(images).copy()
    return _DISTURB[disturbance](images, level, rng)


# --- the budget ----------------------------------------------------------------------


def paper_budget():
    """Heusel et al.'s Figure A1: 50,000 CelebA images at each of the 6 x 3
    disturbed settings, InceptionV3 pool features, one repeat."""
    return {
        "dataset": "CelebA",
        "training_steps": 0,
        "num_images": 50_000,
        "disturbed_sets": 6 * 3,
        "steps": 6 * 3 * 50_000,  # disturbed images scored
        "extractor": "InceptionV3 pool3 (2048-d)",
    }


def budget(quick=False, steps=None, eval_every=None):
    """The budget of one seed. Nothing is trained: `steps` counts the disturbed
    images the feature extractor scores (24 sets of the 360 test digits).

    Args:
        quick: `QUICK_IMAGES` test digits per set, `QUICK_KID_SUBSETS` KID subsets
            and small draws for (b) (seconds; what the tests run).
        steps, eval_every: Refused: there are no training steps to set.

    Raises:
        ValueError: for a `steps` or `eval_every`.
    """
    for name, value in (("steps", steps), ("eval_every", eval_every)):
        if value is not None:
            raise ValueError(
                f"`{name}` has no meaning for {NAME!r}: it trains nothing (it "
                f"measures real digits). Received: `{name}={value!r}`. Expected: no "
                f"`--{name.replace('_', '-')}`."
            )
    images = QUICK_IMAGES if quick else TEST_IMAGES
    sets = len(DISTURBANCES) * len(next(iter(LEVELS.values())))
    return {
        "dataset": "digits",
        "training_steps": 0,
        "num_images": images,
        "disturbed_sets": sets,
        "steps": sets * images,  # disturbed images scored per seed
        "reference": "train split (1,437 digits)",
        "extractor": "digits",
        "kid_subsets": QUICK_KID_SUBSETS if quick else KID_SUBSETS,
        "kid_subset_size": KID_SUBSET_SIZE,
        "levels": {key: list(levels) for key, levels in LEVELS.items()},
        "pooled_sizes": list(QUICK_POOLED_SIZES if quick else POOLED_SIZES),
        "protocol_sizes": list(QUICK_PROTOCOL_SIZES if quick else PROTOCOL_SIZES),
        "bias_draws": QUICK_BIAS_DRAWS if quick else BIAS_DRAWS,
        "fraction_of_paper_steps": sets * images / paper_budget()["steps"],
    }


# --- one seed ------------------------------------------------------------------------


def samples_file(seed, disturbance, level_index):
    """Where a saved image set lies, relative to the folder (level 0 is shared)."""
    stem = "level0" if level_index == 0 else f"{disturbance}_{level_index}"
    return os.path.join("samples", f"seed{seed}_{stem}.png")


def _eight_bit(images):
    """Images through 8 bits, what a saved PNG holds: `[n, 8, 8, 1]` float32."""
    return from_pixels(to_pixels(images)[..., 0])


def _measure(features, reference, subsets, seed):
    from keras_gans import metrics

    kid, kid_std = metrics.kernel_inception_distance(
        reference, features, subsets, KID_SUBSET_SIZE, seed
    )
    return {
        "fid": metrics.frechet_distance(reference, features),
        "kid": kid,
        "kid_std": kid_std,
    }


def _bias(train_features, test_features, seed, budget):
    """(b): `{"pooled": [...], "protocol": [...]}`, one list of draws each, a draw
    `{"fid": [per n], "kid": [per n]}`."""
    from keras_gans import metrics

    pool = np.concatenate([train_features, test_features])  # [1797, 64]
    half = POOL_IMAGES // 2
    rng = np.random.default_rng(BIAS_SEED_OFFSET + seed)
    pooled, protocol = [], []
    for _ in range(budget["bias_draws"]):
        order = rng.permutation(POOL_IMAGES)
        draw = {"fid": [], "kid": []}
        for n in budget["pooled_sizes"]:
            side_a, side_b = pool[order[:n]], pool[order[half : half + n]]
            draw["fid"].append(metrics.frechet_distance(side_a, side_b))
            draw["kid"].append(
                metrics.kernel_inception_distance(side_a, side_b, 1, n, seed)[0]
            )
        pooled.append(draw)
        order = rng.permutation(TRAIN_IMAGES)
        draw = {"fid": [], "kid": []}
        for n in budget["protocol_sizes"]:
            values = _measure(
                train_features[order[:n]], test_features, budget["kid_subsets"], seed
            )
            draw["fid"].append(values["fid"])
            draw["kid"].append(values["kid"])
        protocol.append(draw)
    return {"pooled": pooled, "protocol": protocol}


def run_seed(seed, budget, folder, progress):
    """Measures the disturbed test digits (a) and the draws of (b) for `seed`;
    saves seed 0's image sets under `folder/samples`.

    Returns:
        `{"seed", "kid_seed", "level0": {...}, "disturbances": {name: {"levels",
        "fid", "kid", "kid_std", "samples"}}, "bias": {...}}`; the lists of a
        disturbance run over its levels, level 0 first.
    """
    from keras_gans import data, metrics

    extractor = metrics.DigitsFeatures()
    train = data.load_arrays("digits", "train")[0]
    test = data.load_arrays("digits", "test")[0][: budget["num_images"]]
    train_features = extractor.features(train)
    full_test_features = extractor.features(data.load_arrays("digits", "test")[0])
    rng = np.random.default_rng(seed)
    subsets = budget["kid_subsets"]

    def measured(images, path):
        images = _eight_bit(images)
        if seed == 0:
            os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
            save_samples(images, os.path.join(folder, path))
        values = _measure(extractor.features(images), train_features, subsets, seed)
        return values, path if seed == 0 else None

    level0, level0_path = measured(test, samples_file(seed, None, 0))
    level0["samples"] = level0_path
    disturbances = {}
    for name in DISTURBANCES:
        record = {"levels": [0.0, *LEVELS[name]], "samples": [level0_path]}
        for measure in ("fid", "kid", "kid_std"):
            record[measure] = [level0[measure]]
        for index, level in enumerate(LEVELS[name], start=1):
            values, path = measured(
                disturb(test, name, level, rng), samples_file(seed, name, index)
            )
            for measure in ("fid", "kid", "kid_std"):
                record[measure].append(values[measure])
            record["samples"].append(path)
            progress(
                f"{LABELS[name]} level {level:g}: FID {values['fid']:.2f}, KID "
                f"{values['kid']:.3f} (undisturbed FID {level0['fid']:.2f})"
            )
        disturbances[name] = record
    progress("sample-size draws")
    bias = _bias(train_features, full_test_features, seed, budget)
    return {
        "seed": seed,
        "kid_seed": seed,
        "level0": level0,
        "disturbances": disturbances,
        "bias": bias,
    }


# --- summary, tables, figures --------------------------------------------------------


def _strictly_rising(values):
    return bool(all(b > a for a, b in zip(values, values[1:], strict=False)))


def summarise(seed_results):
    """Per disturbance and measure: statistics over seeds at each level and
    whether the mean rises strictly (`monotone`), with the seeds in which the
    seed's own values do; per design of (b): statistics over all draws per n."""
    disturbances = {}
    for name in DISTURBANCES:
        entry = {"levels": seed_results[0]["disturbances"][name]["levels"]}
        for measure in MEASURES:
            series = [record["disturbances"][name][measure] for record in seed_results]
            statistics = [
                summary_statistics(values) for values in zip(*series, strict=True)
            ]
            entry[measure] = statistics
            entry[f"{measure}_monotone"] = _strictly_rising(
                [value["mean"] for value in statistics]
            )
            entry[f"{measure}_monotone_seeds"] = sum(
                _strictly_rising(values) for values in series
            )
        disturbances[name] = entry
    bias = {}
    for design in ("pooled", "protocol"):
        draws = [draw for record in seed_results for draw in record["bias"][design]]
        bias[design] = {
            measure: [
                summary_statistics(values)
                for values in zip(*(draw[measure] for draw in draws), strict=True)
            ]
            for measure in MEASURES
        }
        bias[design]["draws"] = len(draws)
    return {"disturbances": disturbances, "bias": bias}


def _cell(statistics, digits):
    if statistics["n"] == 0:
        return "–"
    return f"{statistics['mean']:.{digits}f} ± {statistics['std']:.{digits}f}"


def disturbance_table(results, measure):
    """The Markdown table of one measure: a row per disturbance, its value (mean ±
    std over seeds) at each level, and whether it rises strictly."""
    seeds = results["num_seeds"]
    digits = 2 if measure == "fid" else 3
    lines = [
        f"| method | {measure.upper()} at level 0 | level 1 | level 2 | level 3 | "
        "level 4 | monotone |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in DISTURBANCES:
        entry = results["summary"]["disturbances"][name]
        cells = [
            f"{level:g}: {_cell(statistics, digits)}"
            for level, statistics in zip(entry["levels"], entry[measure], strict=True)
        ]
        verdict = "yes" if entry[f"{measure}_monotone"] else "**no**"
        lines.append(
            f"| **{LABELS[name]}** ({LEVEL_NAMES[name]}) | "
            + " | ".join(cells)
            + f" | {verdict} (in {entry[f'{measure}_monotone_seeds']} of {seeds} "
            "seeds) |"
        )
    return "\n".join(lines) + "\n"


def bias_table(results):
    """The Markdown table of (b): FID and KID per n, mean ± std over draws."""
    budget = results["budget"]
    summary = results["summary"]["bias"]
    lines = []
    for design, sizes, text in (
        ("pooled", budget["pooled_sizes"], "pooled: n vs n disjoint, all digits"),
        ("protocol", budget["protocol_sizes"], "protocol: n train vs 360 test"),
    ):
        lines += [
            f"| {text} ({summary[design]['draws']} draws) |"
            + "".join(f" n = {n:,} |" for n in sizes),
            "|---|" + "---:|" * len(sizes),
        ]
        for measure, digits in (("fid", 2), ("kid", 3)):
            lines.append(
                f"| {measure.upper()} |"
                + "".join(
                    f" {_cell(statistics, digits)} |"
                    for statistics in summary[design][measure]
                )
            )
        lines.append("")
    return "\n".join(lines)


def _verdicts(results):
    summary = results["summary"]
    parts = []
    for measure in MEASURES:
        rising = [
            LABELS[name]
            for name in DISTURBANCES
            if summary["disturbances"][name][f"{measure}_monotone"]
        ]
        parts.append(
            f"{measure.upper()} rises strictly with the level for {len(rising)} of "
            f"{len(DISTURBANCES)} disturbances"
            + (f" ({', '.join(rising)})" if 0 < len(rising) < len(DISTURBANCES) else "")
        )
    pooled = summary["bias"]["pooled"]
    sizes = results["budget"]["pooled_sizes"]
    fid = [statistics["mean"] for statistics in pooled["fid"]]
    kid = pooled["kid"]
    parts.append(
        f"pooled draws: mean FID {fid[0]:.2f} at n = {sizes[0]:,} and "
        f"{fid[-1]:.2f} at n = {sizes[-1]:,}; mean KID from "
        f"{kid[0]['mean']:.3f} ± {kid[0]['std']:.3f} to "
        f"{kid[-1]['mean']:.3f} ± {kid[-1]['std']:.3f}"
    )
    return "; ".join(parts) + ".\n"


def markdown(results):
    """`results.md`: the protocol in brief, the disturbance tables, the bias table,
    the paper's levels, the command, wall time and versions."""
    budget = results["budget"]
    published = results["published"]
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of "
        "`keras_gans.reproductions.fid_kid_behaviour` has it in full): "
        f"(a) the {budget['num_images']} held-out test digits under six "
        "disturbances as Heusel et al. define them, each at four levels (level 0 "
        "undisturbed), rounded to 8 bits, FID and KID against the 1,437 train "
        "digits with the shipped digits classifier's 64-d features (KID over "
        f"{budget['kid_subsets']} subsets); (b) FID and KID of real against real "
        "digits at several n: *pooled*, two disjoint draws of n from all 1,797 "
        "digits (one distribution; 898 per side is the most the pool allows, in "
        "place of 1,000), and *protocol*, n train digits against the 360 test "
        "digits. Nothing is trained.\n",
        f"Ours: mean ± standard deviation over {seeds_text(results['num_seeds'])} "
        "(the disturbances' random draws and KID subsets; the blur is "
        "deterministic). *Monotone*: the mean rises strictly from level 0 to "
        "level 4."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        "FID (lower is better):\n",
        disturbance_table(results, "fid"),
        "KID (lower is better):\n",
        disturbance_table(results, "kid"),
        _verdicts(results),
        "Sample-size bias (figure `bias.png`; mean ± std over draws):\n",
        bias_table(results),
        "The paper's levels (Heusel et al. 2017, Appendix; CelebA 64x64; Figure A1 "
        "gives plots, no numbers): "
        + "; ".join(
            f"{LABELS[name]} {', '.join(f'{level:g}' for level in levels)}"
            for name, levels in published["levels"].items()
        )
        + ". Claims: "
        + " ".join(published["claims"].values())
        + "\n",
        run_footer(results),
    ]
    return "\n".join(parts)


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def write_figures(results, folder):
    """`disturbances.png` (FID and KID against the level of each disturbance:
    seeds as dots, the mean with ± std bars), `examples.png` (seed 0's first
    digits at every level of every disturbance) and `bias.png` (FID and KID of
    real against real against n, both designs, mean ± std over draws).

    Returns:
        The figure paths relative to `folder`.
    """
    from keras_gans.plotting import image_grid

    summary = results["summary"]
    figure = _figure(3.0 * len(DISTURBANCES), 6.0)
    axes = figure.subplots(2, len(DISTURBANCES))
    for column, name in enumerate(DISTURBANCES):
        entry = summary["disturbances"][name]
        for row, measure in enumerate(MEASURES):
            ax = axes[row, column]
            levels = entry["levels"]
            for record in results["seeds"]:
                ax.scatter(
                    levels,
                    record["disturbances"][name][measure],
                    color="C0",
                    alpha=0.35,
                    s=12,
                )
            ax.errorbar(
                levels,
                [statistics["mean"] for statistics in entry[measure]],
                yerr=[statistics["std"] for statistics in entry[measure]],
                color="C3",
                marker="o",
                capsize=3,
            )
            verdict = "rises" if entry[f"{measure}_monotone"] else "NOT monotone"
            ax.set_title(f"{LABELS[name]}: {verdict}", fontsize="small")
            ax.set_xlabel(LEVEL_NAMES[name], fontsize="small")
            ax.grid(alpha=0.3)
            if column == 0:
                ax.set_ylabel(f"{measure.upper()} vs train digits")
    figure.suptitle(
        f"FID and KID of the {results['budget']['num_images']} held-out digits "
        f"under each disturbance ({seeds_text(results['num_seeds'])}: dots; mean ± "
        "std: red)",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "disturbances.png"), dpi=70)
    written = ["disturbances.png"]

    first = results["seeds"][0]
    count = min(EXAMPLES, results["budget"]["num_images"])
    levels = len(next(iter(LEVELS.values()))) + 1
    figure = _figure(1.5 * levels, 1.6 * len(DISTURBANCES))
    axes = figure.subplots(len(DISTURBANCES), levels)
    for row, name in enumerate(DISTURBANCES):
        record = first["disturbances"][name]
        for column in range(levels):
            ax = axes[row, column]
            images = load_samples(
                os.path.join(folder, record["samples"][column]), count
            )
            ax.imshow(
                image_grid(images, columns=2)[..., 0],
                cmap="gray",
                vmin=0,
                vmax=255,
                interpolation="nearest",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{record['levels'][column]:g}", fontsize="small")
            if column == 0:
                ax.set_ylabel(LABELS[name].split(" (")[0], fontsize="small")
    figure.suptitle(
        "Seed 0: the first held-out digits at each level", fontsize="medium"
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "examples.png"), dpi=70)
    written.append("examples.png")

    budget = results["budget"]
    figure = _figure(11.0, 4.2)
    axes = figure.subplots(1, 2)
    for design, sizes, label, color in (
        ("pooled", budget["pooled_sizes"], "n vs n disjoint (all digits)", "C0"),
        ("protocol", budget["protocol_sizes"], "n train vs 360 test", "C1"),
    ):
        for ax, measure in zip(axes, MEASURES, strict=True):
            for record in results["seeds"]:
                for draw in record["bias"][design]:
                    ax.scatter(sizes, draw[measure], color=color, alpha=0.25, s=10)
            statistics = summary["bias"][design][measure]
            ax.errorbar(
                sizes,
                [value["mean"] for value in statistics],
                yerr=[value["std"] for value in statistics],
                color=color,
                marker="o",
                capsize=3,
                label=label,
            )
    for ax, measure in zip(axes, MEASURES, strict=True):
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("n (samples per side)")
        ax.set_ylabel(f"{measure.upper()}, real vs real")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    axes[0].set_title("FID against n", fontsize="small")
    axes[1].set_title("KID against n (black: 0)", fontsize="small")
    figure.suptitle(
        f"Sample-size bias: draws (dots), mean ± std over "
        f"{summary['bias']['pooled']['draws']} draws per n",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "bias.png"), dpi=70)
    written.append("bias.png")
    return written
