"""Mode coverage on digits and stacked digits with the digits classifier (M6).

The offline digits classifier (`keras_gans.metrics.digits_classifier`) labels each
generated sample with its most likely class (argmax of the logits). From the
`M` classes (10 digits, or 1,000 modes of stacked digits):

- **classes covered**: the number of classes predicted for at least one sample;
- **KL to uniform**: `KL(q || u) = sum_m q_m log(q_m * M)`, where `q` is the
  histogram of predicted classes normalised by the number of samples and
  `u = 1 / M`. Empty classes add nothing (`0 log 0 = 0`, no smoothing), so the value
  is in `[0, log M]`: 0 when the predictions are spread evenly over all classes,
  `log M` when every sample gets the same class.

This is the Stacked-MNIST protocol of Metz et al. 2017 ("Unrolled Generative
Adversarial Networks", https://arxiv.org/abs/1611.02163), VEEGAN (Srivastava et al.
2017, https://arxiv.org/abs/1705.07761) and PacGAN (Lin et al. 2018,
https://arxiv.org/abs/1712.04086) on the 8x8 digits instead of MNIST: for a stacked
image, each of the 3 channels is classified on its own and the mode is
`100 * c0 + 10 * c1 + c2`. The figures are not comparable with the papers' MNIST
tables (another dataset, another classifier). With `n` samples at most `n` classes
can be covered and the KL has a positive floor even for a perfect generator (real
test-split digits give the floor to report next to a generator's value), so state
the sample count with every figure.
"""

import functools

import keras
import numpy as np

from keras_gans.metrics.digits_classifier import NUM_CLASSES, DigitsFeatures

__all__ = ["digits_mode_coverage", "stacked_digits_mode_coverage"]

NUM_STACKED_CHANNELS = 3
NUM_STACKED_MODES = NUM_CLASSES**NUM_STACKED_CHANNELS  # 1,000


def _digits_features(classifier):
    """A `DigitsFeatures` (or an object with `logits`) from `classifier`."""
    if classifier is None:
        return _default_classifier()
    if isinstance(classifier, keras.Model):
        return DigitsFeatures(classifier)
    if callable(getattr(classifier, "logits", None)):
        return classifier
    raise ValueError(
        "`classifier` should be None (the shipped digits classifier), a "
        "`DigitsFeatures`, an object with a `logits(images)` method or a Keras model "
        f"mapping [n, 8, 8, 1] images to [n, 10] logits. Received: {classifier!r}"
    )


@functools.cache
def _default_classifier():
    """The shipped classifier, loaded once on first use."""
    return DigitsFeatures()


def _predicted_classes(classifier, images):
    logits = np.asarray(classifier.logits(images))
    if logits.ndim != 2 or logits.shape[1] != NUM_CLASSES:
        raise ValueError(
            f"The classifier should give [n, 10] logits. Received: shape={logits.shape}"
        )
    return logits.argmax(axis=1)


def _coverage(predicted, num_classes):
    """Classes covered, KL to uniform and the histogram of `[n]` predicted classes."""
    counts = np.bincount(predicted, minlength=num_classes)  # [num_classes]
    num_samples = int(counts.sum())
    frequencies = counts[counts > 0] / num_samples  # 0 log 0 = 0
    kl_to_uniform = float(np.sum(frequencies * np.log(frequencies * num_classes)))
    return {
        "classes_covered": int(np.count_nonzero(counts)),
        "num_classes": int(num_classes),
        # Rounding can leave -1e-16 for a perfectly even histogram.
        "kl_to_uniform": max(kl_to_uniform, 0.0),
        "num_samples": num_samples,
        "histogram": counts,
    }


def _check_not_empty(images):
    if np.ndim(images) < 1 or len(images) == 0:
        raise ValueError(
            "`images` should hold at least one image. "
            f"Received: shape={np.shape(images)}"
        )


def digits_mode_coverage(images, classifier=None):
    """Digit classes covered and KL to uniform of generated 8x8 digits.

    See the module docstring for the definitions.

    Args:
        images: `[n, 8, 8, 1]` or `[n, 8, 8]` generated digits in [-1, 1], n >= 1.
        classifier: None for the shipped digits classifier, a `DigitsFeatures`, an
            object with a `logits(images)` method, or a Keras model mapping images
            to `[n, 10]` logits.

    Returns:
        A dict with `classes_covered` (int in 1..10), `num_classes` (10),
        `kl_to_uniform` (float in [0, log 10]), `num_samples` (int) and `histogram`
        (`[10]` int array: samples predicted as each digit).

    Raises:
        ValueError: for an empty batch, another shape, values outside [-1, 1] or
            NaN (from `DigitsFeatures`), or a classifier with another output shape.

    Example:

    >>> from keras_gans.metrics.digits_classifier import build_digits_classifier
    >>> images = np.zeros((6, 8, 8, 1), dtype="float32")  # 6 copies of one image
    >>> result = digits_mode_coverage(images, build_digits_classifier(seed=0))
    >>> result["classes_covered"], round(result["kl_to_uniform"], 4)  # log 10
    (1, 2.3026)
    """
    _check_not_empty(images)
    classifier = _digits_features(classifier)
    return _coverage(_predicted_classes(classifier, images), NUM_CLASSES)


def stacked_digits_mode_coverage(images, classifier=None):
    """Modes covered (of 1,000) and KL to uniform of generated stacked digits.

    Each of the 3 channels is classified as a digit on its own; the mode of an image
    is `100 * c0 + 10 * c1 + c2` (as the labels of `keras_gans.data`'s
    "stacked_digits"). See the module docstring for the definitions.

    Args:
        images: `[n, 8, 8, 3]` generated images in [-1, 1], n >= 1.
        classifier: As for `digits_mode_coverage`.

    Returns:
        A dict with `classes_covered` (modes reached, int in 1..1000),
        `num_classes` (1000), `kl_to_uniform` (float in [0, log 1000]),
        `num_samples` (int) and `histogram` (`[1000]` int array, indexed by mode).

    Raises:
        ValueError: for an empty batch, a shape other than `[n, 8, 8, 3]`, values
            outside [-1, 1] or NaN.

    Example:

    >>> from keras_gans.metrics.digits_classifier import build_digits_classifier
    >>> images = np.zeros((4, 8, 8, 3), dtype="float32")
    >>> result = stacked_digits_mode_coverage(images, build_digits_classifier())
    >>> result["classes_covered"], result["num_classes"], result["histogram"].shape
    (1, 1000, (1000,))
    """
    _check_not_empty(images)
    array = np.asarray(images, dtype="float32")
    if array.ndim != 4 or array.shape[1:] != (8, 8, NUM_STACKED_CHANNELS):
        raise ValueError(
            "`images` should have shape [n, 8, 8, 3] (three 8x8 digits as channels). "
            f"Received: shape={np.shape(images)}"
        )
    classifier = _digits_features(classifier)
    num_samples = array.shape[0]
    channels = np.transpose(array, (0, 3, 1, 2)).reshape(-1, 8, 8, 1)  # [n * 3, ...]
    predicted = _predicted_classes(classifier, channels).reshape(
        num_samples, NUM_STACKED_CHANNELS
    )  # [n, 3]
    modes = 100 * predicted[:, 0] + 10 * predicted[:, 1] + predicted[:, 2]
    return _coverage(modes, NUM_STACKED_MODES)
