"""Streaming FID, KID, Inception Score and precision/recall as
`keras.metrics.Metric`s (M1-M4).

All three use `keras.ops` only, so they update inside a compiled step as well as
eagerly, and all three give the numbers of the one-shot functions of
`keras_gans.metrics` on the same data (tested).

**FID (M2).** `FrechetDistance` keeps, for real and for generated images, the
count, the sum and the sum of outer products of their features in float64
variables; `result()` turns them into means and unbiased covariances and computes

    FID = ||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2))

with `keras.ops` only, so the metric updates inside a compiled `test_step` and sums
across replicas (its variables aggregate with "sum"). The trace of the square root
comes, as in `keras_gans.metrics.frechet_distance`, from the eigenvalues of the
symmetric matrix `S_r^(1/2) S_f S_r^(1/2)` (same spectrum as `S_r S_f`), with
`S_r^(1/2)` from `keras.ops.eigh` and negative rounding noise clipped to 0: no
complex numbers. Heusel et al. 2017, https://arxiv.org/abs/1706.08500.

**KID (M3).** `KernelInceptionDistance` cannot be reduced to running sums: each
subset estimate needs the features themselves. It keeps them in a fixed-capacity
buffer of `max_samples` rows per side (float64 variables, `2 * max_samples *
feature_dim * 8` bytes: 328 MB for 10,000 InceptionV3 features, 10 MB for 10,000
digits-classifier features) and computes, on `num_subsets` random subsets of
`subset_size` real and `subset_size` generated features drawn without replacement,

    MMD^2 = sum_{i != j} k(x_i, x_j) / (m (m - 1))
          + sum_{i != j} k(y_i, y_j) / (m (m - 1))
          - 2 sum_{i, j} k(x_i, y_j) / m^2,        k(x, y) = (x . y / d + 1)^3,

reported as the mean and population standard deviation over subsets (Bińkowski et
al. 2018, https://arxiv.org/abs/1801.01401). The subsets come from a fixed integer
seed, so `result()` is a function of the stored features.

**Inception Score (M1).** `InceptionScore` keeps the log-probabilities of the
generated samples in a buffer of `max_samples` rows and computes, on `num_splits`
consecutive splits (split `i` holds samples `[i n // S, (i + 1) n // S)`, as
openai/improved-gan),

    IS_i = exp( E_x KL(p(y|x) || p_i(y)) ) = exp( H(p_i(y)) - E_x H(p(y|x)) ),

where `p_i(y)` is the mean prediction in split `i`; the result is the mean and
population standard deviation over splits (Salimans et al. 2016,
https://arxiv.org/abs/1606.03498).

**Capacity and sample counts.** Eagerly (a callback, a script), an update that
would overflow a buffer raises a `ValueError`, and so does `result()` with fewer
samples than `subset_size` (KID) or `num_splits` (IS). Inside a compiled function
errors cannot be raised from values: the samples past the capacity are dropped and
counted in `dropped_count`, and `result()` is NaN, until `reset_state()`. The
buffers are per replica: under `tf.distribute`, update the KID and IS metrics from
the cross-replica context (e.g. in a callback), not inside a replicated step.
"""

import keras
from keras import ops

__all__ = [
    "FrechetDistance",
    "InceptionScore",
    "KernelInceptionDistance",
    "PrecisionRecall",
]

MINIMUM_SAMPLES = 2  # an unbiased covariance needs n - 1 >= 1
MINIMUM_SUBSET_SIZE = 2  # the unbiased MMD^2 divides by m (m - 1)
KERNEL_ELEMENTS_PER_CHUNK = 2**24  # KID: 128 MB of float64 kernel values at once
SMALLEST_PROBABILITY = 1e-300  # keeps log(p) finite where p = 0 (then p log p = 0)


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"`{name}` should be a positive integer. Received: {name}={value!r}"
        )


def _check_feature_extractor(name, value, width_name="feature_dim"):
    if not callable(value):
        raise ValueError(
            f"`{name}` should be a callable mapping images to [batch, {width_name}] "
            f"outputs. Received: {name}={value!r}"
        )


def _checked_outputs(function, function_name, width, images_name, images):
    """`function(images)` as float64 `[batch, width]`; other shapes are an error."""
    outputs = ops.convert_to_tensor(function(images))
    if len(outputs.shape) != 2 or outputs.shape[-1] not in (None, width):
        raise ValueError(
            f"`{function_name}({images_name})` should return outputs of shape "
            f"[batch, {width}]. Received: shape={outputs.shape}"
        )
    return ops.cast(outputs, "float64")  # [batch, width]


def _concrete(value):
    """`value` as NumPy when it has a value now (eager), else None (traced).

    Inside `tf.function` or `jax.jit` the conversion fails; any failure means the
    value is symbolic, so the checks that need numbers are left to `result()`.
    """
    try:
        return ops.convert_to_numpy(value)
    except Exception:  # symbolic tensor: each backend raises its own error type
        return None


def _reject_sample_weight(metric, sample_weight):
    if sample_weight is not None:
        raise ValueError(
            f"`{type(metric).__name__}` does not support `sample_weight`. "
            f"Received: sample_weight={sample_weight!r}"
        )


def _mean_and_covariance(count, total, sum_of_outer_products):
    """Mean and unbiased covariance from count, sum and sum of outer products."""
    safe_count = ops.maximum(count, float(MINIMUM_SAMPLES))  # NaN-free when empty
    mean = total / safe_count
    centred = sum_of_outer_products - safe_count * ops.outer(mean, mean)
    covariance = centred / (safe_count - 1.0)
    return mean, (covariance + ops.transpose(covariance)) / 2.0


def _square_root_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix via `eigh`."""
    eigenvalues, eigenvectors = ops.eigh(matrix)
    eigenvalues = ops.maximum(eigenvalues, 0.0)
    scaled = eigenvectors * ops.sqrt(eigenvalues)[None, :]
    return ops.matmul(scaled, ops.transpose(eigenvectors))


def _frechet_distance_from_moments(mean_a, covariance_a, mean_b, covariance_b):
    """`||mean_a - mean_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))` with `keras.ops`."""
    square_root_a = _square_root_psd(covariance_a)
    middle = ops.matmul(ops.matmul(square_root_a, covariance_b), square_root_a)
    middle = (middle + ops.transpose(middle)) / 2.0
    eigenvalues = ops.maximum(ops.eigh(middle)[0], 0.0)
    trace_square_root = ops.sum(ops.sqrt(eigenvalues))
    difference = mean_a - mean_b
    return (
        ops.sum(difference * difference)
        + ops.trace(covariance_a)
        + ops.trace(covariance_b)
        - 2.0 * trace_square_root
    )


@keras.saving.register_keras_serializable(package="keras_gans")
class FrechetDistance(keras.metrics.Metric):
    """Streaming Fréchet distance (FID) between features of real and fake images.

    GAN papers compare generators by the FID of thousands of samples. This metric
    accumulates the statistics batch by batch (count, sum, sum of outer products of
    the features, in float64), so it can be updated in `test_step` or a callback
    without keeping the features, and gives the same number as
    `keras_gans.metrics.frechet_distance` on all the features at once. Report the
    feature extractor and both sample counts (`real_count`, `fake_count`) with it.

    Args:
        feature_extractor: A callable mapping a batch of images to `[batch,
            feature_dim]` features: a Keras model, `InceptionFeatures` (called
            directly, it uses `keras.ops` only) or any function of tensors.
        feature_dim: The number of features it returns (2048 for InceptionV3).
        name: The metric's name.
        dtype: The dtype of `result()`; the state is float64 regardless.

    Call arguments (`update_state`):
        real_images: A batch of real images (any input `feature_extractor` takes).
        fake_images: A batch of generated images; the two batch sizes may differ.

    Returns (`result`):
        The FID of everything seen since the last `reset_state()`, a scalar; NaN
        while real or fake has fewer than 2 samples.

    Example:

    >>> metric = FrechetDistance(feature_extractor=lambda x: x, feature_dim=2)
    >>> real = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    >>> metric.update_state(real[:2], real[:2] + 1.0)
    >>> metric.update_state(real[2:], real[2:] + 1.0)
    >>> round(float(metric.result()), 6)
    2.0

    Reference:
        Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", https://arxiv.org/abs/1706.08500.
    """

    def __init__(
        self, feature_extractor, feature_dim, name="frechet_distance", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        _check_feature_extractor("feature_extractor", feature_extractor)
        _check_positive_int("feature_dim", feature_dim)
        self.feature_extractor = feature_extractor
        self.feature_dim = feature_dim
        self.real_count = self.add_variable(
            (), "zeros", dtype="float64", name="real_count"
        )
        self.real_sum = self.add_variable(
            (feature_dim,), "zeros", dtype="float64", name="real_sum"
        )
        self.real_sum_of_outer_products = self.add_variable(
            (feature_dim, feature_dim),
            "zeros",
            dtype="float64",
            name="real_sum_of_outer_products",
        )
        self.fake_count = self.add_variable(
            (), "zeros", dtype="float64", name="fake_count"
        )
        self.fake_sum = self.add_variable(
            (feature_dim,), "zeros", dtype="float64", name="fake_sum"
        )
        self.fake_sum_of_outer_products = self.add_variable(
            (feature_dim, feature_dim),
            "zeros",
            dtype="float64",
            name="fake_sum_of_outer_products",
        )

    def _features(self, name, images):
        return _checked_outputs(
            self.feature_extractor,
            "feature_extractor",
            self.feature_dim,
            name,
            images,
        )

    def _accumulate(self, features, count, total, sum_of_outer_products):
        count.assign(count + ops.cast(ops.shape(features)[0], "float64"))
        total.assign(total + ops.sum(features, axis=0))
        sum_of_outer_products.assign(
            sum_of_outer_products + ops.matmul(ops.transpose(features), features)
        )

    def update_state(self, real_images, fake_images, sample_weight=None):
        _reject_sample_weight(self, sample_weight)
        self._accumulate(
            self._features("real_images", real_images),
            self.real_count,
            self.real_sum,
            self.real_sum_of_outer_products,
        )
        self._accumulate(
            self._features("fake_images", fake_images),
            self.fake_count,
            self.fake_sum,
            self.fake_sum_of_outer_products,
        )

    def result(self):
        real_mean, real_covariance = _mean_and_covariance(
            self.real_count, self.real_sum, self.real_sum_of_outer_products
        )
        fake_mean, fake_covariance = _mean_and_covariance(
            self.fake_count, self.fake_sum, self.fake_sum_of_outer_products
        )
        distance = _frechet_distance_from_moments(
            real_mean, real_covariance, fake_mean, fake_covariance
        )
        enough = ops.logical_and(
            ops.greater_equal(self.real_count, float(MINIMUM_SAMPLES)),
            ops.greater_equal(self.fake_count, float(MINIMUM_SAMPLES)),
        )
        distance = ops.where(enough, distance, float("nan"))
        return ops.cast(distance, self.dtype)

    def get_config(self):
        config = {
            "feature_extractor": keras.saving.serialize_keras_object(
                self.feature_extractor
            ),
            "feature_dim": self.feature_dim,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["feature_extractor"] = keras.saving.deserialize_keras_object(
            config["feature_extractor"]
        )
        return cls(**config)


def _check_capacity(metric, side, buffer, count, rows):
    """Eagerly: raises when `rows` do not fit after the `count` stored rows."""
    capacity = buffer.shape[0]
    stored = _concrete(count)
    if stored is not None and rows.shape[0] is not None:
        total = int(stored) + int(rows.shape[0])
        if total > capacity:
            raise ValueError(
                f"`{type(metric).__name__}` keeps at most `max_samples={capacity}` "
                f"{side} samples, and this update would bring them to {total}. "
                "Create the metric with a larger `max_samples`, or call "
                "`reset_state()` before a new evaluation."
            )


def _append_rows(buffer, count, dropped_count, rows):
    """Writes `rows` `[batch, width]` after the `count` rows already in `buffer`.

    Traced, an overflow cannot raise (`_check_capacity` does that eagerly): the
    rows past the capacity are dropped and counted instead. The update touches only
    the window `[window_start, window_start + batch)` of the buffer, where
    `window_start` is `count` clamped so that the window fits, and writes each new
    row at its own position `count + i` (rows whose position is past the end are
    not written).
    """
    capacity = buffer.shape[0]
    rows = rows[:capacity]  # a batch larger than the whole buffer
    batch_size = ops.shape(rows)[0]
    start = ops.cast(count, "int32")
    window_start = ops.maximum(ops.minimum(start, capacity - batch_size), 0)
    positions = window_start + ops.arange(batch_size, dtype="int32")  # [batch]
    source = positions - start  # which new row lands at each position
    is_new = ops.greater_equal(source, 0)
    new_rows = ops.take(rows, ops.maximum(source, 0), axis=0)  # [batch, width]
    old_rows = ops.slice(buffer, [window_start, 0], [batch_size, buffer.shape[1]])
    window = ops.where(is_new[:, None], new_rows, old_rows)
    buffer.assign(ops.slice_update(buffer, [window_start, 0], window))
    written = ops.minimum(ops.maximum(capacity - start, 0), batch_size)
    count.assign(count + ops.cast(written, count.dtype))
    dropped_count.assign(
        dropped_count + ops.cast(batch_size - written, dropped_count.dtype)
    )


def _check_result_inputs(metric, counts, minimum, minimum_name):
    """Eagerly: raises when samples were dropped or there are too few of them."""
    dropped = _concrete(metric.dropped_count)
    if dropped is not None and int(dropped) > 0:
        raise ValueError(
            f"`{type(metric).__name__}` dropped {int(dropped)} samples that did not "
            f"fit in `max_samples={metric.max_samples}` inside a compiled function. "
            "Create it with a larger `max_samples` and `reset_state()`."
        )
    for side, count in counts.items():
        value = _concrete(count)
        if value is not None and int(value) < minimum:
            raise ValueError(
                f"`{type(metric).__name__}` needs at least `{minimum_name}={minimum}` "
                f"{side} samples. Received: {int(value)} {side} samples. Update it "
                f"with more samples or lower `{minimum_name}`."
            )


def _polynomial_kernel_sums(features_a, features_b, feature_dim):
    """Per subset, `sum_ij (a_i . b_j / d + 1)^3` and the kernel's trace.

    `features_a`, `features_b`: `[num_subsets, m, d]`; returns two `[num_subsets]`.
    """
    products = ops.matmul(features_a, ops.transpose(features_b, (0, 2, 1)))
    kernel = (products / feature_dim + 1.0) ** 3  # [num_subsets, m, m]
    return ops.sum(kernel, axis=(1, 2)), ops.trace(kernel, axis1=1, axis2=2)


class _PairedFeatureBuffers(keras.metrics.Metric):
    """The state and update shared by the metrics that need the features themselves
    (KID, precision/recall): a buffer of `max_samples` float64 rows of real and of
    generated features, their counts, and the count of rows dropped inside a
    compiled function (see "Capacity and sample counts" above)."""

    def __init__(self, feature_extractor, feature_dim, max_samples, name, dtype):
        super().__init__(name=name, dtype=dtype)
        _check_feature_extractor("feature_extractor", feature_extractor)
        _check_positive_int("feature_dim", feature_dim)
        _check_positive_int("max_samples", max_samples)
        self.feature_extractor = feature_extractor
        self.feature_dim = feature_dim
        self.max_samples = max_samples
        self.real_features = self.add_variable(
            (max_samples, feature_dim), "zeros", dtype="float64", name="real_features"
        )
        self.fake_features = self.add_variable(
            (max_samples, feature_dim), "zeros", dtype="float64", name="fake_features"
        )
        self.real_count = self.add_variable(
            (), "zeros", dtype="int32", name="real_count"
        )
        self.fake_count = self.add_variable(
            (), "zeros", dtype="int32", name="fake_count"
        )
        self.dropped_count = self.add_variable(
            (), "zeros", dtype="int32", name="dropped_count"
        )

    def update_state(self, real_images, fake_images, sample_weight=None):
        _reject_sample_weight(self, sample_weight)
        sides = [
            ("real", real_images, self.real_features, self.real_count),
            ("fake", fake_images, self.fake_features, self.fake_count),
        ]
        features = [
            _checked_outputs(
                self.feature_extractor,
                "feature_extractor",
                self.feature_dim,
                f"{side}_images",
                images,
            )
            for side, images, _, _ in sides
        ]
        # Both checks before any write: a failed update leaves the state as it was.
        for (side, _, buffer, count), rows in zip(sides, features, strict=True):
            _check_capacity(self, side, buffer, count, rows)
        for (_, _, buffer, count), rows in zip(sides, features, strict=True):
            _append_rows(buffer, count, self.dropped_count, rows)

    def get_config(self):
        config = {
            "feature_extractor": keras.saving.serialize_keras_object(
                self.feature_extractor
            ),
            "feature_dim": self.feature_dim,
            "max_samples": self.max_samples,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["feature_extractor"] = keras.saving.deserialize_keras_object(
            config["feature_extractor"]
        )
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_gans")
class KernelInceptionDistance(_PairedFeatureBuffers):
    """Streaming KID: unbiased MMD^2 with a cubic kernel, mean ± std over subsets.

    KID (Bińkowski et al. 2018) is FID's unbiased alternative: its estimator has no
    bias in the sample count, so values from different sample counts compare, and
    it can be slightly negative when the two distributions are close. The features
    of the real and the generated images are kept in buffers of `max_samples` rows
    (see the module docstring for the memory); `result()` gives the mean over
    `num_subsets` random subsets and `result_with_standard_deviation()` the mean and
    the population standard deviation, as `keras_gans.metrics.kernel_inception_distance`
    (the same numbers for the same subsets; the subsets themselves are drawn by
    `keras.random` from `seed` rather than by NumPy).

    Args:
        feature_extractor: A callable mapping a batch of images to `[batch,
            feature_dim]` features (a Keras model, `InceptionFeatures`, or any
            function of tensors).
        feature_dim: The number of features it returns.
        max_samples: The capacity of each buffer: the most real and the most
            generated samples one evaluation can hold.
        num_subsets: Number of random subsets (100 in the paper's code).
        subset_size: Real and generated samples per subset (1,000 in the paper's
            code); `result()` needs at least this many of each, and it cannot
            exceed `max_samples`.
        seed: Integer seed of the subset draws.
        name: The metric's name.
        dtype: The dtype of `result()`; the state is float64 regardless.

    Call arguments (`update_state`):
        real_images: A batch of real images (any input `feature_extractor` takes).
        fake_images: A batch of generated images; the two batch sizes may differ.

    Returns (`result`):
        The mean KID over the subsets, a scalar.

    Raises:
        ValueError: eagerly, from `update_state` when a buffer would overflow and
            from `result()` with fewer than `subset_size` samples on a side.

    Example:

    >>> metric = KernelInceptionDistance(lambda x: x, feature_dim=2, max_samples=8,
    ...                                  num_subsets=3, subset_size=4)
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> metric.update_state(points, points + 2.0)
    >>> mean, standard_deviation = metric.result_with_standard_deviation()
    >>> round(float(mean), 4), round(float(standard_deviation), 4)
    (358.4271, 0.0)

    Reference:
        Bińkowski et al. 2018, "Demystifying MMD GANs",
        https://arxiv.org/abs/1801.01401.
    """

    def __init__(
        self,
        feature_extractor,
        feature_dim,
        max_samples=10_000,
        num_subsets=100,
        subset_size=1000,
        seed=0,
        name="kernel_inception_distance",
        dtype=None,
    ):
        super().__init__(feature_extractor, feature_dim, max_samples, name, dtype)
        _check_positive_int("num_subsets", num_subsets)
        if (
            isinstance(subset_size, bool)
            or not isinstance(subset_size, int)
            or not MINIMUM_SUBSET_SIZE <= subset_size <= max_samples
        ):
            raise ValueError(
                f"`subset_size` should be an integer from {MINIMUM_SUBSET_SIZE} to "
                f"`max_samples={max_samples}`. Received: subset_size={subset_size!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"`seed` should be an integer. Received: seed={seed!r}")
        self.num_subsets = num_subsets
        self.subset_size = subset_size
        self.seed = seed

    def _random_subset_indices(self, count, subset_seed):
        """`[num_subsets, subset_size]` row indices; each row of the result holds
        distinct stored rows, drawn uniformly at random."""
        # Random keys for the stored rows, 2 (past every key) for the empty ones:
        # the rows of the `subset_size` smallest keys of a subset are a uniform
        # draw without replacement.
        keys = keras.random.uniform(
            (self.num_subsets, self.max_samples), seed=subset_seed
        )
        keys = ops.where(ops.arange(self.max_samples)[None, :] < count, keys, 2.0)
        return ops.argsort(keys, axis=-1)[:, : self.subset_size]

    def _subset_estimates(self):
        """`[num_subsets]` unbiased MMD^2 estimates (NaN when a check failed)."""
        _check_result_inputs(
            self,
            {"real": self.real_count, "fake": self.fake_count},
            self.subset_size,
            "subset_size",
        )
        real_indices = self._random_subset_indices(self.real_count, self.seed)
        fake_indices = self._random_subset_indices(self.fake_count, self.seed + 1)
        m = float(self.subset_size)
        # Subsets go through the kernel in chunks so that the `[chunk, m, m]` kernel
        # matrices and `[chunk, m, d]` gathered features stay near
        # `KERNEL_ELEMENTS_PER_CHUNK` elements.
        chunk = max(
            1,
            KERNEL_ELEMENTS_PER_CHUNK
            // (self.subset_size * max(self.subset_size, self.feature_dim)),
        )
        estimates = []
        for start in range(0, self.num_subsets, chunk):
            # [chunk, subset_size, feature_dim]
            real = ops.take(
                self.real_features, real_indices[start : start + chunk], axis=0
            )
            fake = ops.take(
                self.fake_features, fake_indices[start : start + chunk], axis=0
            )
            real_sum, real_trace = _polynomial_kernel_sums(real, real, self.feature_dim)
            fake_sum, fake_trace = _polynomial_kernel_sums(fake, fake, self.feature_dim)
            cross_sum, _ = _polynomial_kernel_sums(real, fake, self.feature_dim)
            within = (real_sum - real_trace + fake_sum - fake_trace) / (m * (m - 1.0))
            estimates.append(within - 2.0 * cross_sum / (m * m))
        estimates = ops.concatenate(estimates, axis=0)  # [num_subsets]
        valid = ops.logical_and(
            ops.logical_and(
                self.real_count >= self.subset_size,
                self.fake_count >= self.subset_size,
            ),
            ops.equal(self.dropped_count, 0),
        )
        return ops.where(valid, estimates, float("nan"))

    def result_with_standard_deviation(self):
        """`(mean, standard_deviation)` of the KID over the subsets."""
        estimates = self._subset_estimates()
        return (
            ops.cast(ops.mean(estimates), self.dtype),
            ops.cast(ops.std(estimates), self.dtype),
        )

    def result(self):
        return ops.cast(ops.mean(self._subset_estimates()), self.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "num_subsets": self.num_subsets,
            "subset_size": self.subset_size,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="keras_gans")
class InceptionScore(keras.metrics.Metric):
    """Streaming Inception Score: exp(E_x KL(p(y|x) || p(y))) over 10 splits.

    The Inception Score (Salimans et al. 2016) rewards confident and diverse class
    predictions on generated samples: 1 when every prediction is the same
    distribution, `num_classes` when each is certain and the classes are used
    equally. This metric keeps the log-probabilities of every generated sample in a
    buffer of `max_samples` rows and splits them as openai/improved-gan does (see
    the module docstring), giving the numbers of
    `keras_gans.metrics.inception_score` on the same samples.

    Args:
        classifier: A callable mapping a batch of generated images to `[batch,
            num_classes]` logits (or probabilities with `from_logits=False`): e.g.
            `lambda x: extractor.logits_from_features(extractor(x))` for an
            `InceptionFeatures` extractor, or a Keras classifier.
        num_classes: The number of classes (1000 for ImageNet).
        max_samples: The most samples one evaluation can hold.
        num_splits: Number of consecutive splits (10 in the paper); `result()`
            needs at least this many samples.
        from_logits: Whether `classifier` returns logits rather than probabilities.
        name: The metric's name.
        dtype: The dtype of `result()`; the state is float64 regardless.

    Call arguments (`update_state`):
        fake_images: A batch of generated images.

    Returns (`result`):
        The mean score over the splits, a scalar.

    Raises:
        ValueError: eagerly, from `update_state` when the buffer would overflow and
            from `result()` with fewer than `num_splits` samples.

    Example:

    >>> metric = InceptionScore(lambda x: x, num_classes=4, max_samples=40)
    >>> confident_logits = 50.0 * np.eye(4)[np.arange(40) % 4]
    >>> metric.update_state(confident_logits[:25])
    >>> metric.update_state(confident_logits[25:])
    >>> mean, standard_deviation = metric.result_with_standard_deviation()
    >>> round(float(mean), 4), round(float(standard_deviation), 4)
    (4.0, 0.0)

    Reference:
        Salimans et al. 2016, "Improved Techniques for Training GANs",
        https://arxiv.org/abs/1606.03498.
    """

    def __init__(
        self,
        classifier,
        num_classes,
        max_samples=10_000,
        num_splits=10,
        from_logits=True,
        name="inception_score",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        _check_feature_extractor("classifier", classifier, "num_classes")
        _check_positive_int("num_classes", num_classes)
        _check_positive_int("max_samples", max_samples)
        _check_positive_int("num_splits", num_splits)
        if num_splits > max_samples:
            raise ValueError(
                f"`num_splits` should be at most `max_samples={max_samples}`. "
                f"Received: num_splits={num_splits}"
            )
        if not isinstance(from_logits, bool):
            raise ValueError(
                f"`from_logits` should be a bool. Received: from_logits={from_logits!r}"
            )
        self.classifier = classifier
        self.num_classes = num_classes
        self.max_samples = max_samples
        self.num_splits = num_splits
        self.from_logits = from_logits
        self.log_probabilities = self.add_variable(
            (max_samples, num_classes),
            "zeros",
            dtype="float64",
            name="log_probabilities",
        )
        self.count = self.add_variable((), "zeros", dtype="int32", name="count")
        self.dropped_count = self.add_variable(
            (), "zeros", dtype="int32", name="dropped_count"
        )

    def update_state(self, fake_images, sample_weight=None):
        _reject_sample_weight(self, sample_weight)
        outputs = _checked_outputs(
            self.classifier, "classifier", self.num_classes, "fake_images", fake_images
        )
        if self.from_logits:
            log_probabilities = ops.log_softmax(outputs, axis=-1)
        else:
            log_probabilities = ops.log(ops.maximum(outputs, 0.0))  # log 0 = -inf
        _check_capacity(
            self, "generated", self.log_probabilities, self.count, log_probabilities
        )
        _append_rows(
            self.log_probabilities, self.count, self.dropped_count, log_probabilities
        )

    def _split_scores(self):
        """`[num_splits]` scores (NaN when a check failed)."""
        _check_result_inputs(
            self, {"generated": self.count}, self.num_splits, "num_splits"
        )
        count = ops.maximum(self.count, 1)
        # Sample j is in split i when i n // S <= j < (i + 1) n // S, that is
        # i = ceil((j + 1) S / n) - 1.
        rows = ops.arange(self.max_samples, dtype="int32")
        split_of_row = (
            ops.floor_divide((rows + 1) * self.num_splits + count - 1, count) - 1
        )
        membership = ops.cast(
            ops.logical_and(
                ops.equal(
                    split_of_row[None, :],
                    ops.arange(self.num_splits, dtype="int32")[:, None],
                ),
                (rows < self.count)[None, :],
            ),
            "float64",
        )  # [num_splits, max_samples]
        split_sizes = ops.sum(membership, axis=1)  # [num_splits]
        log_probabilities = self.log_probabilities  # [max_samples, num_classes]
        probabilities = ops.exp(log_probabilities)
        # 0 log 0 = 0: a class with p(y|x) = 0 adds nothing.
        negative_entropy = ops.sum(
            ops.where(probabilities > 0.0, probabilities * log_probabilities, 0.0),
            axis=1,
        )  # [max_samples]
        mean_negative_entropy = ops.matmul(membership, negative_entropy) / split_sizes
        marginal = ops.matmul(membership, probabilities) / split_sizes[:, None]
        marginal_negative_entropy = ops.sum(
            ops.where(
                marginal > 0.0,
                marginal * ops.log(ops.maximum(marginal, SMALLEST_PROBABILITY)),
                0.0,
            ),
            axis=1,
        )  # [num_splits]
        scores = ops.exp(mean_negative_entropy - marginal_negative_entropy)
        valid = ops.logical_and(
            self.count >= self.num_splits, ops.equal(self.dropped_count, 0)
        )
        return ops.where(valid, scores, float("nan"))

    def result_with_standard_deviation(self):
        """`(mean, standard_deviation)` of the score over the splits."""
        scores = self._split_scores()
        return (
            ops.cast(ops.mean(scores), self.dtype),
            ops.cast(ops.std(scores), self.dtype),
        )

    def result(self):
        return ops.cast(ops.mean(self._split_scores()), self.dtype)

    def get_config(self):
        config = {
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "num_classes": self.num_classes,
            "max_samples": self.max_samples,
            "num_splits": self.num_splits,
            "from_logits": self.from_logits,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classifier"] = keras.saving.deserialize_keras_object(
            config["classifier"]
        )
        return cls(**config)


def _squared_distance_matrix(rows, columns):
    """`[len(rows), len(columns)]` squared Euclidean distances, clipped at 0."""
    squared = (
        ops.sum(rows**2, axis=1)[:, None]
        - 2.0 * ops.matmul(rows, ops.transpose(columns))
        + ops.sum(columns**2, axis=1)[None, :]
    )
    return ops.maximum(squared, 0.0)


@keras.saving.register_keras_serializable(package="keras_gans")
class PrecisionRecall(_PairedFeatureBuffers):
    """Streaming improved precision and recall (M4) with k-NN manifolds.

    Like KID, precision and recall need the features themselves (each manifold is
    the union of balls around its points, of radius the distance to the point's
    k-th nearest neighbour), so the real and generated features are kept in buffers
    of `max_samples` rows. `result()` returns `{"precision": p, "recall": r}`, the
    numbers `keras_gans.metrics.precision_recall` gives on the same features:
    precision = fraction of generated features inside the real manifold (quality),
    recall = fraction of real features inside the generated manifold (coverage).
    The distance matrices are `[n, n]`: keep `max_samples` to a few thousand.

    Args:
        feature_extractor: A callable mapping a batch of images to `[batch,
            feature_dim]` features.
        feature_dim: The number of features it returns.
        max_samples: The capacity of each buffer.
        k: The neighbourhood size (3 in the paper); each side needs more than `k`
            samples.
        name: The metric's name.
        dtype: The dtype of the results; the state is float64 regardless.

    Call arguments (`update_state`):
        real_images: A batch of real images.
        fake_images: A batch of generated images; the two batch sizes may differ.

    Returns (`result`):
        A dict with the scalars "precision" and "recall".

    Example:

    >>> metric = PrecisionRecall(lambda x: x, feature_dim=2, max_samples=8, k=1)
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> metric.update_state(points, points + 0.1)
    >>> {name: float(value) for name, value in metric.result().items()}
    {'precision': 1.0, 'recall': 1.0}

    Reference:
        Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for
        Assessing Generative Models", https://arxiv.org/abs/1904.06991.
    """

    def __init__(
        self,
        feature_extractor,
        feature_dim,
        max_samples=5_000,
        k=3,
        name="precision_recall",
        dtype=None,
    ):
        super().__init__(feature_extractor, feature_dim, max_samples, name, dtype)
        _check_positive_int("k", k)
        if k >= max_samples:
            raise ValueError(
                f"`k` should be smaller than `max_samples={max_samples}`. "
                f"Received: k={k}"
            )
        self.k = k

    def _manifold_coverage(self, manifold, manifold_valid, queries, queries_valid):
        """The fraction of valid `queries` inside the k-NN manifold of `manifold`."""
        # [n, n] distances within the manifold; the empty rows are pushed away.
        within = _squared_distance_matrix(manifold, manifold)
        unused = ops.logical_not(manifold_valid)[None, :]
        within = ops.where(unused, float("inf"), within)
        # The k-th smallest distance counting the point itself as the 0-th.
        radii = ops.sort(within, axis=1)[:, self.k]  # [n]
        # [queries, n]: query j is inside when it is within some valid point's ball.
        distances = _squared_distance_matrix(queries, manifold)
        inside = ops.logical_and(distances <= radii[None, :], manifold_valid[None, :])
        inside_any = ops.logical_and(ops.any(inside, axis=1), queries_valid)
        return ops.sum(ops.cast(inside_any, "float64")) / ops.maximum(
            ops.sum(ops.cast(queries_valid, "float64")), 1.0
        )

    def result(self):
        _check_result_inputs(
            self,
            {"real": self.real_count, "fake": self.fake_count},
            self.k + 1,
            "k + 1",
        )
        positions = ops.arange(self.max_samples)
        real_valid = positions < self.real_count
        fake_valid = positions < self.fake_count
        precision = self._manifold_coverage(
            self.real_features, real_valid, self.fake_features, fake_valid
        )
        recall = self._manifold_coverage(
            self.fake_features, fake_valid, self.real_features, real_valid
        )
        valid = ops.logical_and(
            ops.logical_and(self.real_count > self.k, self.fake_count > self.k),
            ops.equal(self.dropped_count, 0),
        )
        return {
            "precision": ops.cast(
                ops.where(valid, precision, float("nan")), self.dtype
            ),
            "recall": ops.cast(ops.where(valid, recall, float("nan")), self.dtype),
        }

    def get_config(self):
        return {**super().get_config(), "k": self.k}
