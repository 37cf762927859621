"""Evaluate a generator: FID, KID, IS, precision/recall and mode coverage, with the
protocol recorded (catalogue M1-M7).

`evaluate(model, dataset, metrics=...)` draws `num_samples` samples from a trained
GAN (its EMA generator when it has one, through `GAN.generate`) or from a bare
generator, extracts features of them and of the dataset's held-out split, and
returns a report: the metric values and everything needed to reproduce them
(sample counts real and fake, the feature extractor, the seed, the dataset and
split, the subset and split counts, the package version). `python -m keras_gans
evaluate` prints it and writes it as JSON. `SampleEvaluator` does the work for
`evaluate` and for the `EvaluateGenerator` callback; it extracts the real
features once.

Metric names and what they log (the keys of the report's "metrics", of the Keras
logs and of `metrics.csv`):

    fid    -> fid                                   (M2, Heusel 2017)
    kid    -> kid, kid_std                          (M3, Bińkowski 2018)
    is     -> inception_score, inception_score_std  (M1, Salimans 2016)
    pr     -> precision, recall                     (M4, Kynkäänniemi 2019, k = 3)
    modes  -> modes_captured, mode_kl (+ high_quality_fraction on ring8/grid25)
              (M5 on the 2-D mixtures: 3 sigma; M6 on digits / stacked digits with
              the digits classifier: classes covered; or any `mode_classifier`)

Feature extractors (M7): "digits" (the shipped digits classifier: 64-d features
and 10 logits; images larger than 8x8 are brought back to 8x8 by a centre crop
when they were padded, by an antialiased resize otherwise; stacked digits give
3 x 64 features and the 1,000 joint log-probabilities of the channels' digits),
"inception-2015" (the 2015 TensorFlow Inception graph of published FIDs, TTUR's
protocol: 2048-d `pool_3` features and 1008 logits, `metrics.Inception2015Features`),
"inception" (InceptionV3, Keras ImageNet weights, 2048-d pool features and 1000
logits: other numbers than the papers'), "identity" (the samples themselves,
flattened: the 2-D mixtures), or any Keras model or callable mapping samples to
`[n, d]` features. Both Inception networks are downloaded once; offline and not
cached they raise `FeatureExtractorUnavailableError`. "auto" picks digits for
digits and stacked digits, identity for ring8, grid25 and swiss_roll,
inception-2015 otherwise (real images: tensorflow-datasets names and folders).

Values depend on the extractor and on both sample counts: compare only numbers
computed with the same protocol (the report records it).
"""

import json
import math
import os

import keras
import numpy as np

from keras_gans import data as gan_data
from keras_gans import metrics as gan_metrics
from keras_gans._checks import check_positive_integer
from keras_gans._files import load_model_file, prepare_output_file
from keras_gans.data.builtin import MIXTURES, POINT_DATASETS, SWISS_ROLL

__all__ = [
    "DEFAULT_NUM_SAMPLES",
    "EXTRACTOR_NAMES",
    "METRIC_LOG_KEYS",
    "METRIC_NAMES",
    "SampleEvaluator",
    "evaluate",
    "format_report",
    "generate_samples",
    "load_real_samples",
    "log_keys",
    "parse_metric_names",
    "resolve_extractor",
]

METRIC_LOG_KEYS = {
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "is": ("inception_score", "inception_score_std"),
    "pr": ("precision", "recall"),
    "modes": ("modes_captured", "mode_kl"),
}
METRIC_NAMES = tuple(METRIC_LOG_KEYS)
EXTRACTOR_NAMES = ("auto", "digits", "inception-2015", "inception", "identity")
DIGITS_DATASETS = ("digits", "stacked_digits")
DIGITS_SIZE = 8  # the digits classifier's input is 8x8
DEFAULT_NUM_SAMPLES = 2_500  # generated samples: the M5 protocol's count
MAX_REAL_SAMPLES = 10_000  # the most held-out samples of a built-in dataset used
KID_SUBSETS = 100  # Bińkowski et al.'s code: 100 subsets ...
KID_SUBSET_SIZE = 1_000  # ... of 1,000 (clamped to the smaller sample count)
INCEPTION_SCORE_SPLITS = 10  # Salimans et al. 2016
PRECISION_RECALL_K = 3  # Kynkäänniemi et al. 2019
GENERATION_BATCH_SIZE = 256  # samples per generator call


def parse_metric_names(metrics):
    """`metrics` (a sequence of names or a comma-separated string) as a tuple of
    known names, in the given order without duplicates.

    Example:

    >>> parse_metric_names("fid, kid,fid")
    ('fid', 'kid')
    """
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    names = [str(name).strip().lower() for name in names if str(name).strip()]
    unknown = [name for name in names if name not in METRIC_LOG_KEYS]
    if unknown or not names:
        raise ValueError(
            f"`metrics` should be one or more of {', '.join(METRIC_NAMES)}. "
            f"Received: metrics={metrics!r}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    return tuple(dict.fromkeys(names))


def log_keys(metrics, dataset=None):
    """The log keys the metrics produce (see the module docstring), in order.

    Example:

    >>> log_keys(("fid", "modes"), dataset="ring8")
    ('fid', 'modes_captured', 'mode_kl', 'high_quality_fraction')
    """
    keys = []
    for name in parse_metric_names(metrics):
        keys.extend(METRIC_LOG_KEYS[name])
        if name == "modes" and dataset in MIXTURES:
            keys.append("high_quality_fraction")
    return tuple(keys)


# --- Feature extractors ---------------------------------------------------------------


def _to_digits_resolution(images, resize):
    """`[n, h, w, c]` images back to the classifier's 8x8: a centre crop for
    images that were padded (`resize="pad"`), an antialiased resize otherwise."""
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:
        images = images[..., np.newaxis]  # [n, h, w] -> [n, h, w, 1]
    if images.ndim != 4:
        raise ValueError(
            "The digits extractor takes images [n, height, width, channels]. "
            f"Received: shape={images.shape}"
        )
    height, width = images.shape[1:3]
    if (height, width) == (DIGITS_SIZE, DIGITS_SIZE):
        return images
    if resize == "pad":
        top, left = (height - DIGITS_SIZE) // 2, (width - DIGITS_SIZE) // 2
        return images[:, top : top + DIGITS_SIZE, left : left + DIGITS_SIZE]
    resized = keras.ops.image.resize(
        images, (DIGITS_SIZE, DIGITS_SIZE), interpolation="bilinear", antialias=True
    )
    return np.clip(keras.ops.convert_to_numpy(resized), -1.0, 1.0)


class _Extractor:
    """A feature extractor: `name`, `description` and `features_and_logits`."""

    name = "custom"
    description = ""

    def features_and_logits(self, samples):
        """`(features [n, d], logits [n, classes] or None)` as NumPy."""
        raise NotImplementedError


class _DigitsExtractor(_Extractor):
    """The digits classifier on 8x8 images, on larger digits and on stacked digits."""

    name = "digits"

    def __init__(self, digits_features=None, resize=None):
        self.digits_features = digits_features or _shipped_digits_features()
        self.resize = resize
        self.description = (
            "digits classifier (keras_gans.metrics.DigitsFeatures): 64-d 'features' "
            "layer and 10 logits, shipped weights"
            + (f"; inputs brought to 8x8 ('{resize}' inverse)" if resize else "")
        )

    def to_digits(self, images):
        return _to_digits_resolution(images, self.resize)

    def features_and_logits(self, images):
        images = self.to_digits(images)  # [n, 8, 8, channels]
        if images.shape[-1] == 1:
            return self.digits_features.features_and_logits(images)
        num_images, channels = images.shape[0], images.shape[-1]
        # Each channel is a digit: features side by side, and the joint
        # log-probability of the channels' classes (mode 100 c0 + 10 c1 + c2).
        per_channel = np.transpose(images, (0, 3, 1, 2)).reshape(
            -1, DIGITS_SIZE, DIGITS_SIZE, 1
        )  # [n * channels, 8, 8, 1]
        features, logits = self.digits_features.features_and_logits(per_channel)
        features = features.reshape(num_images, -1)  # [n, channels * 64]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_probabilities = log_probabilities.reshape(num_images, channels, -1)
        joint = log_probabilities[:, 0]  # [n, 10]
        for channel in range(1, channels):
            joint = (
                joint[:, :, np.newaxis] + log_probabilities[:, channel, np.newaxis, :]
            ).reshape(num_images, -1)  # [n, 10 ** (channel + 1)]
        return features, joint


_SHIPPED_DIGITS_FEATURES = []


def _shipped_digits_features():
    """The shipped digits classifier, loaded once per process."""
    if not _SHIPPED_DIGITS_FEATURES:
        _SHIPPED_DIGITS_FEATURES.append(gan_metrics.DigitsFeatures())
    return _SHIPPED_DIGITS_FEATURES[0]


class _IdentityExtractor(_Extractor):
    name = "identity"
    description = "identity: the samples themselves, flattened (no network)"

    def features_and_logits(self, samples):
        samples = np.asarray(samples, dtype="float64")
        return samples.reshape(len(samples), -1), None


class _InceptionExtractor(_Extractor):
    name = "inception"

    def __init__(self, inception_features=None):
        self.inception_features = inception_features or gan_metrics.InceptionFeatures()
        self.description = (
            "InceptionV3 (keras.applications, ImageNet weights "
            f"{self.inception_features.weights!r}): 2048-d avg_pool features and "
            "1000 logits, images resized to 299x299 (not the 2015 TF graph of "
            "published FIDs)"
        )

    def features_and_logits(self, images):
        return self.inception_features.features_and_logits(images)


class _Inception2015Extractor(_Extractor):
    name = "inception-2015"

    def __init__(self, inception_2015_features=None):
        self.inception_features = (
            inception_2015_features or gan_metrics.Inception2015Features()
        )
        self.description = (
            "2015 TensorFlow Inception graph (classify_image_graph_def.pb, the "
            "network of published FIDs, TTUR protocol): 2048-d pool_3 features and "
            "1008 logits, images mapped to [0, 255] and resized to 299x299 by the "
            "graph"
        )

    def features_and_logits(self, images):
        return self.inception_features.features_and_logits(images)


class _CallableExtractor(_Extractor):
    """Any Keras model or callable giving `[n, d]` features (no logits)."""

    def __init__(self, function, batch_size=GENERATION_BATCH_SIZE):
        self.function = function
        self.batch_size = batch_size
        label = getattr(function, "name", None) or getattr(
            function, "__name__", type(function).__name__
        )
        self.description = f"custom feature extractor {label!r}"

    def features_and_logits(self, samples):
        samples = np.asarray(samples, dtype="float32")
        features = [
            np.asarray(
                keras.ops.convert_to_numpy(
                    self.function(samples[start : start + self.batch_size])
                )
            )
            for start in range(0, len(samples), self.batch_size)
        ]
        features = np.concatenate(features, axis=0)
        return features.reshape(len(samples), -1), None


class _ObjectExtractor(_Extractor):
    """An object with `features_and_logits(samples)` (e.g. a `DigitsFeatures`)."""

    def __init__(self, extractor):
        self.extractor = extractor
        self.description = f"custom feature extractor {type(extractor).__name__}"

    def features_and_logits(self, samples):
        features, logits = self.extractor.features_and_logits(samples)
        return np.asarray(features), None if logits is None else np.asarray(logits)


def _default_extractor_name(dataset):
    if dataset in DIGITS_DATASETS:
        return "digits"
    if dataset in POINT_DATASETS:
        return "identity"
    return "inception-2015"


def resolve_extractor(extractor="auto", dataset=None, resize=None):
    """The feature extractor for a name or an object (see the module docstring).

    Args:
        extractor: "auto", "digits", "inception-2015", "inception", "identity", a
            `DigitsFeatures`, `Inception2015Features` or `InceptionFeatures` (or
            any object with `features_and_logits`), a Keras model or a callable
            giving `[n, d]` features, or the path of a `.keras` model giving
            features. "auto": digits for digits and stacked digits, identity for
            the 2-D datasets, inception-2015 otherwise.
        dataset: The dataset name, for "auto".
        resize: How the digits were enlarged for training ("pad", "bilinear",
            "nearest"), so the digits extractor can bring them back to 8x8.

    Returns:
        An object with `name`, `description` and `features_and_logits(samples)`
        returning `(features [n, d], logits [n, classes] or None)` as NumPy.

    Raises:
        FeatureExtractorUnavailableError: for "inception-2015" (so "auto" on
            images) or "inception" offline without the cached graph or weights
            (the message names the file, its folder and how to get it).
        ValueError: for an unknown name.

    Example:

    >>> extractor = resolve_extractor("auto", dataset="ring8")
    >>> features, logits = extractor.features_and_logits(np.zeros((3, 2)))
    >>> extractor.name, features.shape, logits
    ('identity', (3, 2), None)
    """
    if isinstance(extractor, str):
        if extractor.endswith(".keras"):
            return _CallableExtractor(
                load_model_file(extractor, what="Feature extractor file")
            )
        name = _default_extractor_name(dataset) if extractor == "auto" else extractor
        if name == "digits":
            return _DigitsExtractor(resize=resize)
        if name == "identity":
            return _IdentityExtractor()
        if name == "inception-2015":
            return _Inception2015Extractor()
        if name == "inception":
            return _InceptionExtractor()
        raise ValueError(
            f"`extractor` should be one of {', '.join(EXTRACTOR_NAMES)}, the path of "
            "a .keras model, a Keras model or a callable. "
            f"Received: extractor={extractor!r}"
        )
    if isinstance(extractor, gan_metrics.DigitsFeatures):
        return _DigitsExtractor(extractor, resize=resize)
    if isinstance(extractor, gan_metrics.Inception2015Features):
        return _Inception2015Extractor(extractor)
    if isinstance(extractor, gan_metrics.InceptionFeatures):
        return _InceptionExtractor(extractor)
    if callable(getattr(extractor, "features_and_logits", None)):
        return _ObjectExtractor(extractor)
    if callable(extractor):
        return _CallableExtractor(extractor)
    raise ValueError(
        f"`extractor` should be one of {', '.join(EXTRACTOR_NAMES)}, the path of a "
        f".keras model, a Keras model or a callable. Received: extractor={extractor!r}"
    )


# --- Checks and data ------------------------------------------------------------------


FEATURE_METRICS = ("fid", "kid", "is", "pr")  # the metrics that need an extractor


def _needs_extractor(metrics):
    return any(name in metrics for name in FEATURE_METRICS)


def _check_extractor_fits(metrics, extractor):
    """Raises a `ValueError` for a metric the extractor cannot give."""
    if "is" in metrics and isinstance(
        extractor, _IdentityExtractor | _CallableExtractor
    ):
        raise ValueError(
            "The Inception Score (`is`) needs class logits, and the "
            f"{extractor.name!r} feature extractor gives none. Use the 'digits', "
            "'inception-2015' or 'inception' extractor, or an object with a "
            "`features_and_logits` method."
        )


def _check_dataset_fits(metrics, dataset, mode_classifier):
    """Raises a `ValueError` for a metric the dataset cannot give."""
    if "modes" in metrics and mode_classifier is None and dataset == SWISS_ROLL:
        raise ValueError(
            "Mode coverage (`modes`) is not defined for the Swiss roll: it is a "
            "continuous manifold, with no modes to count. Received: "
            f"dataset={dataset!r} and metrics {', '.join(metrics)}. Use fid, kid "
            "or pr (identity features)."
        )
    if (
        "modes" in metrics
        and mode_classifier is None
        and dataset not in (*MIXTURES, *DIGITS_DATASETS)
    ):
        raise ValueError(
            "Mode coverage (`modes`) is defined for the 2-D mixtures "
            f"({', '.join(MIXTURES)}: M5) and for {', '.join(DIGITS_DATASETS)} (with "
            f"the digits classifier: M6). Received: dataset={dataset!r}. For another "
            "dataset pass a classifier of it as `mode_classifier` (Python API)."
        )


def _collect(samples, limit):
    """NumPy samples from an array or an iterable of batches (`x` or `(x, y)`)."""
    if isinstance(samples, np.ndarray) or keras.ops.is_tensor(samples):
        array = np.asarray(keras.ops.convert_to_numpy(samples))
        return array if limit is None else array[:limit]
    batches, count = [], 0
    for batch in samples:
        batch = batch[0] if isinstance(batch, tuple | list) else batch
        batch = np.asarray(keras.ops.convert_to_numpy(batch))
        batches.append(batch)
        count += len(batch)
        if limit is not None and count >= limit:
            break
    if not batches:
        raise ValueError("`real_samples` is empty.")
    array = np.concatenate(batches, axis=0)
    return array if limit is None else array[:limit]


def load_real_samples(
    dataset,
    sample_shape=None,
    split="test",
    num_samples=None,
    resize=None,
    data_dir=None,
    download=True,
):
    """The held-out real samples of `dataset` that generated samples are compared
    with, at the generator's resolution.

    Built-in datasets: their `split` (digits: the 360-image test split; ring8,
    grid25, stacked digits: 10,240), at most `num_samples` (default: all, capped at
    `MAX_REAL_SAMPLES`). Other datasets (tensorflow-datasets names, image folders):
    the first `num_samples` of `split` without shuffling (folders have no splits:
    the folder itself).

    Args:
        dataset: A dataset name or folder (see `keras_gans.data.load`).
        sample_shape: The generated samples' shape without the batch axis; images
            are loaded at its height (and digits resized as `resize` says).
        split: The split to compare with.
        num_samples: How many real samples (see above).
        resize: digits only: "pad", "bilinear" or "nearest" (default "bilinear").
        data_dir, download: tensorflow-datasets only.

    Returns:
        A NumPy array `[n, *sample_shape]`.
    """
    image_size = None
    if sample_shape is not None and len(sample_shape) == 3:
        image_size = int(sample_shape[0])
    if dataset in gan_data.BUILTIN_DATASETS:
        if dataset in POINT_DATASETS:
            image_size = None
        elif image_size == DIGITS_SIZE:
            image_size = None  # the native size
        samples = gan_data.load_arrays(
            dataset, split, image_size=image_size, resize=resize or "bilinear"
        )[0]
        return samples[: num_samples or MAX_REAL_SAMPLES]
    if num_samples is None:
        raise ValueError(
            f"`num_real_samples` is needed for dataset {dataset!r} (not built in)."
        )
    pipeline = gan_data.load(
        dataset,
        batch_size=min(GENERATION_BATCH_SIZE, num_samples),
        split=split,
        shuffle=False,
        image_size=image_size,
        data_dir=data_dir,
        download=download,
        channels=int(sample_shape[-1]) if sample_shape else 3,
    )
    return _collect(pipeline, num_samples)


# --- The evaluator --------------------------------------------------------------------


def _coverage_from_classes(predicted, num_classes):
    """Classes covered and KL(histogram || uniform) of `[n]` predicted classes."""
    counts = np.bincount(predicted, minlength=num_classes)
    frequencies = counts[counts > 0] / counts.sum()  # 0 log 0 = 0
    return {
        "modes_captured": int(np.count_nonzero(counts)),
        "num_modes": int(num_classes),
        "kl_to_uniform": max(
            float(np.sum(frequencies * np.log(frequencies * num_classes))), 0.0
        ),
    }


class SampleEvaluator:
    """Metrics of generated samples against fixed real samples.

    The real features are extracted once, on first use, and reused for every
    call, so a training callback pays for them once. See the module docstring for
    the metric names, their log keys and the extractors.

    Args:
        real_samples: Real samples (NumPy, `[n, ...]`) or an iterable of batches.
        metrics: Names from `METRIC_NAMES` (a sequence or "fid,kid").
        dataset: The dataset name: chooses the "auto" extractor and the mode
            coverage protocol (ring8/grid25: M5; digits/stacked_digits: M6).
        extractor: See `resolve_extractor` (a resolved extractor is accepted).
        resize: How digits were enlarged ("pad", ...), for the digits extractor.
        num_real_samples: Use at most this many real samples.
        kid_subsets, kid_subset_size: KID's subsets (the size is clamped to the
            smaller sample count).
        inception_score_splits: IS splits.
        precision_recall_k: The k of the k-NN manifolds.
        mode_classifier: For `modes` on another dataset: a classifier (a Keras
            model or callable giving logits, or an object with `logits(samples)`).
        seed: Seed of KID's subsets.

    Raises:
        ValueError: for unknown metric names, or a metric the dataset or the
            extractor cannot give (`is` without logits, `modes` on a dataset with
            no mode protocol and no `mode_classifier`).

    Example:

    >>> real = np.random.default_rng(0).normal(size=(200, 2))
    >>> evaluator = SampleEvaluator(real, metrics="fid,pr", extractor="identity")
    >>> results = evaluator(real[::-1] + 10.0)
    >>> round(results["fid"], 1), results["precision"], results["recall"]
    (200.0, 0.0, 0.0)
    """

    def __init__(
        self,
        real_samples,
        metrics=("fid", "kid"),
        dataset=None,
        extractor="auto",
        resize=None,
        num_real_samples=None,
        kid_subsets=KID_SUBSETS,
        kid_subset_size=KID_SUBSET_SIZE,
        inception_score_splits=INCEPTION_SCORE_SPLITS,
        precision_recall_k=PRECISION_RECALL_K,
        mode_classifier=None,
        seed=0,
    ):
        self.metrics = parse_metric_names(metrics)
        self.dataset = dataset
        _check_dataset_fits(self.metrics, dataset, mode_classifier)
        self.extractor = None  # mode coverage alone needs no feature extractor
        if isinstance(extractor, _Extractor):
            self.extractor = extractor
        elif _needs_extractor(self.metrics):
            self.extractor = resolve_extractor(extractor, dataset, resize)
        _check_extractor_fits(self.metrics, self.extractor)
        self.resize = resize
        self.real_samples = _collect(real_samples, num_real_samples)
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.inception_score_splits = inception_score_splits
        self.precision_recall_k = precision_recall_k
        self.mode_classifier = mode_classifier
        self.seed = seed
        self.keys = log_keys(self.metrics, dataset)
        self._real_features = None

    @property
    def num_real_samples(self):
        return int(len(self.real_samples))

    @property
    def real_features(self):
        """`[num_real, d]` features of the real samples (extracted once)."""
        if self._real_features is None and any(
            name in self.metrics for name in ("fid", "kid", "pr")
        ):
            self._real_features = self.extractor.features_and_logits(self.real_samples)[
                0
            ]
        return self._real_features

    def _mode_coverage(self, fake_samples):
        if self.mode_classifier is not None:
            classifier = self.mode_classifier
            if callable(getattr(classifier, "logits", None)):
                logits = classifier.logits(fake_samples)
            else:
                logits = _CallableExtractor(classifier).features_and_logits(
                    fake_samples
                )[0]
            logits = np.asarray(logits)
            return _coverage_from_classes(logits.argmax(axis=1), logits.shape[1])
        if self.dataset in MIXTURES:
            return gan_metrics.mode_coverage_for_mixture(fake_samples, self.dataset)
        digits = (
            self.extractor
            if isinstance(self.extractor, _DigitsExtractor)
            else _DigitsExtractor(resize=self.resize)
        )
        images = digits.to_digits(fake_samples)
        coverage = (
            gan_metrics.digits_mode_coverage
            if self.dataset == "digits"
            else gan_metrics.stacked_digits_mode_coverage
        )(images, digits.digits_features)
        return {
            "modes_captured": coverage["classes_covered"],
            "num_modes": coverage["num_classes"],
            "kl_to_uniform": coverage["kl_to_uniform"],
        }

    def kid_subset_size_for(self, num_fake_samples):
        """KID's subset size after clamping to the smaller sample count."""
        return min(self.kid_subset_size, self.num_real_samples, num_fake_samples)

    def __call__(self, fake_samples):
        """The metrics of `fake_samples` as a dict of Python numbers (`self.keys`)."""
        fake_samples = np.asarray(fake_samples)
        if fake_samples.shape[1:] != self.real_samples.shape[1:]:
            raise ValueError(
                "Generated and real samples should have the same shape. Received: "
                f"generated {fake_samples.shape[1:]}, real "
                f"{self.real_samples.shape[1:]} (dataset {self.dataset!r}). Load the "
                "real data at the generator's resolution (`image_size`, `resize`)."
            )
        fake_features, fake_logits = (
            self.extractor.features_and_logits(fake_samples)
            if _needs_extractor(self.metrics)
            else (None, None)
        )
        results = {}
        if "fid" in self.metrics:
            results["fid"] = gan_metrics.frechet_distance(
                self.real_features, fake_features
            )
        if "kid" in self.metrics:
            results["kid"], results["kid_std"] = gan_metrics.kernel_inception_distance(
                self.real_features,
                fake_features,
                num_subsets=self.kid_subsets,
                subset_size=self.kid_subset_size_for(len(fake_samples)),
                seed=self.seed,
            )
        if "is" in self.metrics:
            if fake_logits is None:
                raise ValueError(
                    "The Inception Score needs logits; the feature extractor "
                    f"{self.extractor.description!r} returned none."
                )
            (
                results["inception_score"],
                results["inception_score_std"],
            ) = gan_metrics.inception_score(
                fake_logits, num_splits=self.inception_score_splits
            )
        if "pr" in self.metrics:
            results["precision"], results["recall"] = gan_metrics.precision_recall(
                self.real_features, fake_features, k=self.precision_recall_k
            )
        if "modes" in self.metrics:
            coverage = self._mode_coverage(fake_samples)
            results["modes_captured"] = coverage["modes_captured"]
            results["num_modes"] = coverage["num_modes"]
            results["mode_kl"] = coverage["kl_to_uniform"]
            if "high_quality_fraction" in coverage:
                results["high_quality_fraction"] = coverage["high_quality_fraction"]
        return results

    def protocol(self, num_fake_samples):
        """The settings that produced the numbers, for the report."""
        protocol = {
            "extractor": "none (no feature metric)"
            if self.extractor is None
            else self.extractor.description,
            "num_real_samples": self.num_real_samples,
            "num_fake_samples": int(num_fake_samples),
            "seed": self.seed,
        }
        if "kid" in self.metrics:
            protocol["kid_subsets"] = self.kid_subsets
            protocol["kid_subset_size"] = self.kid_subset_size_for(num_fake_samples)
        if "is" in self.metrics:
            protocol["inception_score_splits"] = self.inception_score_splits
        if "pr" in self.metrics:
            protocol["precision_recall_k"] = self.precision_recall_k
        if "modes" in self.metrics:
            protocol["modes"] = (
                "mode_classifier"
                if self.mode_classifier is not None
                else (
                    f"M5: {self.dataset}, high quality within 3 sigma = "
                    f"{3 * MIXTURES[self.dataset]:g} of the nearest mean"
                    if self.dataset in MIXTURES
                    else f"M6: {self.dataset}, classes of the digits classifier"
                )
            )
        return protocol


# --- Sampling from a model ------------------------------------------------------------


def _read_run_config(path):
    """`config.json` of the run folder `path` is in (or is), if any."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    for candidate in (folder, os.path.dirname(folder)):
        config_path = os.path.join(candidate, "config.json")
        if os.path.isfile(config_path):
            with open(config_path) as file:
                return json.load(file)
    return {}


def _load_model(path):
    """A GAN or a generator from a run folder or a `.keras` file."""
    if os.path.isdir(path):
        for name in ("model.keras", "generator.keras"):
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                return load_model_file(candidate), candidate
        raise ValueError(
            f"No model.keras or generator.keras in {path!r}: is it a finished run "
            "folder?"
        )
    return load_model_file(path), path


def generate_samples(model, num_samples, seed=0, batch_size=GENERATION_BATCH_SIZE):
    """`num_samples` samples of a GAN (`model.generate`, which uses the EMA
    generator when there is one) or of a bare generator (the same latent draw:
    `keras.random.normal` with a `SeedGenerator(seed)`), as NumPy."""
    if callable(getattr(model, "generate", None)):
        return np.asarray(model.generate(num_samples, seed=seed, batch_size=batch_size))
    latent_shape = tuple(model.input_shape[1:])
    latents = keras.random.normal(
        (num_samples, *latent_shape), seed=keras.random.SeedGenerator(seed)
    )
    return np.asarray(model.predict(latents, batch_size=batch_size, verbose=0))


def evaluate(
    model,
    dataset=None,
    metrics=("fid", "kid"),
    num_samples=DEFAULT_NUM_SAMPLES,
    extractor="auto",
    seed=0,
    num_real_samples=None,
    split="test",
    resize=None,
    out=None,
    kid_subsets=KID_SUBSETS,
    kid_subset_size=KID_SUBSET_SIZE,
    inception_score_splits=INCEPTION_SCORE_SPLITS,
    precision_recall_k=PRECISION_RECALL_K,
    mode_classifier=None,
    data_dir=None,
    download=True,
):
    """Evaluates a generator against a dataset's held-out split; returns a report.

    Generated samples come from `model.generate(num_samples, seed=seed)` for a
    GAN (the EMA generator when the model has one) and from the same latent draw
    for a bare generator; real samples from `load_real_samples` (digits: the
    360-image test split). See the module docstring for the metrics and the
    feature extractors.

    Args:
        model: A run folder (its `model.keras`, else `generator.keras`; dataset,
            image size and resize read from its `config.json`), a `.keras` file
            (a GAN or a generator), or a GAN / generator object.
        dataset: The dataset name or folder; default: the run's dataset.
        metrics: Names from `METRIC_NAMES`, a sequence or "fid,kid,is,pr,modes".
        num_samples: Generated samples.
        extractor: See `resolve_extractor`.
        seed: Seed of the latents and of KID's subsets.
        num_real_samples: Real samples (default: see `load_real_samples`).
        split: The real split compared with ("test": held out from training).
        resize: How digits were enlarged for training ("pad", "bilinear",
            "nearest"); default: the run's, else "bilinear".
        out: Write the report as JSON to this file (checked, and its folder made,
            before anything is computed).
        kid_subsets, kid_subset_size, inception_score_splits, precision_recall_k,
            mode_classifier: See `SampleEvaluator`.
        data_dir, download: tensorflow-datasets only.

    Returns:
        A dict: "metrics" (name -> value), the protocol (`num_real_samples`,
        `num_fake_samples`, `extractor`, `seed`, `dataset`, `split`, `model`,
        `generator` ("ema" or "generator"), KID/IS/PR settings) and
        `keras_gans_version`.

    Raises:
        ValueError: for unknown metric or extractor names, a metric the dataset
            cannot give, a missing model or one that is not a complete `.keras`
            file, an `out` that is a folder, an inpainting model, the "markov"
            sequences or a shape mismatch.
        FeatureExtractorUnavailableError: for the Inception graph (the default
            on images) or InceptionV3 offline and not cached.
    """
    import keras_gans

    metric_names = parse_metric_names(metrics)
    check_positive_integer(num_samples, "num_samples")
    check_positive_integer(num_real_samples, "num_real_samples", allow_none=True)
    if out is not None:  # Before the metrics are computed, so none are lost.
        prepare_output_file(out, "evaluation.json")
    config = {}
    model_path = None
    if isinstance(model, str | os.PathLike):
        model_path = os.fspath(model)
        config = _read_run_config(model_path)
        model, model_path = _load_model(model_path)
    # A model family whose models sample no latents (inpainting) says why not.
    # (Imported here: keras_gans.callbacks, which the families use, imports this.)
    from keras_gans import families

    refusal = families.for_run(config, model).evaluation_refusal
    if refusal is not None:
        raise ValueError(refusal)
    dataset = dataset or config.get("dataset")
    if dataset == "markov":
        raise ValueError(
            "The 'markov' sequences are measured exactly against their chain, not "
            "with these sample metrics: `keras_gans.data.markov.chain_distances("
            "samples)`, logged by a run as marginal_tv and transition_tv in "
            "metrics.csv."
        )
    if not dataset:
        raise ValueError(
            "`dataset` is needed: the model is not in a run folder with a "
            "config.json. Received: dataset=None"
        )
    resize = resize or config.get("resize")
    # Checks before any sampling: a wrong request fails fast.
    _check_dataset_fits(metric_names, dataset, mode_classifier)
    resolved_extractor = None
    if _needs_extractor(metric_names):
        resolved_extractor = resolve_extractor(extractor, dataset, resize)
        _check_extractor_fits(metric_names, resolved_extractor)
    fake_samples = generate_samples(model, num_samples, seed=seed)
    real_samples = load_real_samples(
        dataset,
        fake_samples.shape[1:],
        split=split,
        num_samples=num_real_samples
        if num_real_samples is not None or dataset in gan_data.BUILTIN_DATASETS
        else num_samples,
        resize=resize,
        data_dir=data_dir,
        download=download,
    )
    evaluator = SampleEvaluator(
        real_samples,
        metric_names,
        dataset=dataset,
        extractor=resolved_extractor or extractor,
        resize=resize,
        kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size,
        inception_score_splits=inception_score_splits,
        precision_recall_k=precision_recall_k,
        mode_classifier=mode_classifier,
        seed=seed,
    )
    values = evaluator(fake_samples)
    report = {
        "metrics": values,
        "dataset": dataset,
        "split": split,
        **evaluator.protocol(len(fake_samples)),
        "sample_shape": list(fake_samples.shape[1:]),
        "resize": resize,
        "model": model_path or getattr(model, "name", type(model).__name__),
        "generator": "ema"
        if getattr(model, "ema_generator", None) is not None
        else "generator",
        "keras_gans_version": keras_gans.__version__,
    }
    if out is not None:
        with open(out, "w") as file:
            json.dump(report, file, indent=2, allow_nan=True)
    return report


def _format_value(value):
    if isinstance(value, int | np.integer):
        return str(int(value))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    return f"{value:.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


def format_report(report):
    """A readable multi-line summary of an `evaluate` report.

    Example:

    >>> print(format_report({"metrics": {"fid": 1.5, "kid": 0.01, "kid_std": 0.002},
    ...                      "dataset": "digits", "split": "test", "model": "m",
    ...                      "num_fake_samples": 10, "num_real_samples": 20,
    ...                      "extractor": "digits classifier", "seed": 0}))
    m on digits (test split): 10 generated vs 20 real samples, seed 0
    features: digits classifier
      fid                    1.5
      kid                    0.01 ± 0.002
    """
    values = dict(report["metrics"])
    lines = [
        f"{report['model']} on {report['dataset']} ({report['split']} split): "
        f"{report['num_fake_samples']} generated vs {report['num_real_samples']} "
        f"real samples, seed {report['seed']}",
        f"features: {report['extractor']}",
    ]
    for name, value in values.items():
        if name.endswith("_std") or name == "num_modes":
            continue  # printed beside their metric
        text = _format_value(value)
        if f"{name}_std" in values:
            text += f" ± {_format_value(values[f'{name}_std'])}"
        if name == "modes_captured" and "num_modes" in values:
            text += f" of {values['num_modes']}"
        lines.append(f"  {name:<22} {text}")
    return "\n".join(lines)
