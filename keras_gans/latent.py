"""Latent space tools (catalogue T17): slerp, vector arithmetic, truncation.

A generator maps latents `z ~ N(0, I)` to samples; these functions choose latents.

**Spherical interpolation** (White 2016, "Sampling Generative Networks",
https://arxiv.org/abs/1609.04468). In high dimension almost all the mass of
`N(0, I)` lies near the sphere of radius `sqrt(d)`, and a straight line between two
latents passes through the low-norm interior that the generator rarely saw. Slerp
follows the great circle instead:

    slerp(p0, p1, t) = sin((1 - t) W) / sin W * p0 + sin(t W) / sin W * p1,
    W = arccos(p0 . p1 / (|p0| |p1|)),

so the angle to `p0` grows linearly with `t` (it is `t W`), and unit vectors stay
unit vectors. When `p0` and `p1` are parallel or anti-parallel (`sin W` close to
0, where the great circle is not defined) or one of them is zero, it falls back
to linear interpolation `(1 - t) p0 + t p1`.

**Latent vector arithmetic** (Radford et al. 2015, DCGAN,
https://arxiv.org/abs/1511.06434, section 6.3): a concept is the mean of the
latents of a few samples showing it (the paper averages 3), and "smiling woman -
neutral woman + neutral man" is `mean(a) - mean(b) + mean(c)`.

**Truncation trick** (Brock et al. 2018, BigGAN, https://arxiv.org/abs/1809.11096,
section 3.1): latents from `N(0, 1)` restricted to `[-threshold, threshold]` trade
variety for fidelity. BigGAN resamples the values whose magnitude exceeds the
threshold; `truncated_normal` draws from exactly that distribution (the standard
normal conditioned on `|z| <= threshold`) by inverse-CDF sampling instead of a
loop: with `c = erf(threshold / sqrt(2))`, `v ~ Uniform(-c, c)` and
`z = sqrt(2) erfinv(v)`, so `P(z <= x) = (erf(x / sqrt(2)) + c) / (2 c)`, the
truncated normal's CDF. It is computed in float64 and clipped to the threshold
against rounding.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_gans._checks import check_choice, check_integer, check_positive_number

__all__ = ["interpolate", "latent_arithmetic", "slerp", "truncated_normal"]

# Below this `sin W` (W < 1e-6 rad from parallel or anti-parallel), slerp's weights
# are 0/0-like and it interpolates linearly.
PARALLEL_TOLERANCE = 1e-6
INTERPOLATION_METHODS = ("slerp", "linear")


def _float_tensor(name, value):
    tensor = ops.convert_to_tensor(value)
    if not keras.backend.is_float_dtype(tensor.dtype):
        tensor = ops.cast(tensor, keras.config.floatx())
    if len(tensor.shape) == 0:
        raise ValueError(
            f"`{name}` should be a latent vector (rank >= 1). "
            f"Received: {name}={value!r}"
        )
    return tensor


def slerp(start, end, fraction):
    """Spherical linear interpolation between two latents (White 2016).

    `slerp(p0, p1, t) = sin((1 - t) W) / sin W * p0 + sin(t W) / sin W * p1` with
    `W` the angle between `p0` and `p1` over all their elements; linear
    interpolation when they are (anti)parallel or one is zero (see the module
    docstring). `t = 0` gives `start` and `t = 1` gives `end` exactly.

    Args:
        start: One latent, any shape (e.g. `[latent_dim]`), float.
        end: One latent of the same shape.
        fraction: A scalar `t`, or a 1-D array of them (usually in [0, 1]; values
            outside extrapolate along the circle).

    Returns:
        A tensor of `start`'s shape for a scalar `fraction`, or `[len(fraction),
        *start.shape]` for an array of fractions.

    Example:

    >>> start, end = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> middle = slerp(start, end, 0.5)  # 45 degrees, still on the unit circle
    >>> np.round(keras.ops.convert_to_numpy(middle), 4)
    array([0.7071, 0.7071])
    """
    start = _float_tensor("start", start)
    end = ops.cast(_float_tensor("end", end), start.dtype)
    if tuple(start.shape) != tuple(end.shape):
        raise ValueError(
            "`start` and `end` should have the same shape. "
            f"Received: {tuple(start.shape)} and {tuple(end.shape)}"
        )
    fraction = ops.cast(ops.convert_to_tensor(fraction), start.dtype)
    if len(fraction.shape) > 1:
        raise ValueError(
            "`fraction` should be a scalar or a 1-D array. "
            f"Received: shape={tuple(fraction.shape)}"
        )
    # [num_fractions, 1, ..., 1] so the weights broadcast over the latent's axes.
    weight_shape = (-1,) + (1,) * len(start.shape)
    fractions = ops.reshape(fraction, weight_shape)
    norm_product = ops.norm(ops.reshape(start, (-1,))) * ops.norm(
        ops.reshape(end, (-1,))
    )
    cosine = ops.sum(start * end) / ops.maximum(norm_product, 1e-30)
    angle = ops.arccos(ops.clip(cosine, -1.0, 1.0))
    sine = ops.sin(angle)
    spherical = ops.logical_and(
        sine > PARALLEL_TOLERANCE, norm_product > 0.0
    )  # a scalar: fall back to linear when False
    safe_sine = ops.where(spherical, sine, 1.0)
    start_weight = ops.where(
        spherical, ops.sin((1.0 - fractions) * angle) / safe_sine, 1.0 - fractions
    )
    end_weight = ops.where(spherical, ops.sin(fractions * angle) / safe_sine, fractions)
    path = start_weight * start[None] + end_weight * end[None]
    return path[0] if len(fraction.shape) == 0 else path


def interpolate(start, end, num_steps, method="slerp"):
    """`num_steps` latents from `start` to `end`, both included, evenly spaced in
    the fraction `t` (so, with slerp, in angle).

    Args:
        start: One latent, any shape.
        end: One latent of the same shape.
        num_steps: Number of latents (>= 2).
        method: "slerp" (spherical, White 2016) or "linear".

    Returns:
        A `[num_steps, *start.shape]` tensor; row 0 is `start`, the last is `end`.

    Example:

    >>> path = interpolate(np.zeros(3), np.ones(3), num_steps=5, method="linear")
    >>> tuple(path.shape), float(path[2, 0])
    ((5, 3), 0.5)
    """
    num_steps = check_integer(num_steps, "num_steps", minimum=2)
    check_choice(method, "method", INTERPOLATION_METHODS)
    start = _float_tensor("start", start)
    fractions = np.linspace(0.0, 1.0, int(num_steps))
    if method == "slerp":
        return slerp(start, end, fractions)
    end = ops.cast(_float_tensor("end", end), start.dtype)
    if tuple(start.shape) != tuple(end.shape):
        raise ValueError(
            "`start` and `end` should have the same shape. "
            f"Received: {tuple(start.shape)} and {tuple(end.shape)}"
        )
    # [num_steps, 1, ..., 1]
    weights = ops.reshape(
        ops.cast(fractions, start.dtype), (-1,) + (1,) * len(start.shape)
    )
    return (1.0 - weights) * start[None] + weights * end[None]


def latent_arithmetic(positive, negative, added):
    """`mean(positive) - mean(negative) + mean(added)` over groups of latents.

    DCGAN's vector arithmetic (Radford et al. 2015, section 6.3): each argument
    holds the latents of a few samples that show one concept (3 in the paper),
    and their means stand for the concepts, e.g. smiling woman - neutral woman +
    neutral man. Feed the result (or it plus small noise, as the paper does) to
    the generator.

    Args:
        positive: `[group_size, *latent_shape]` latents of the first concept.
        negative: `[group_size, *latent_shape]` latents of the concept to take
            away (the group sizes may differ).
        added: `[group_size, *latent_shape]` latents of the concept to add.

    Returns:
        A `[*latent_shape]` tensor.

    Example:

    >>> result = latent_arithmetic(
    ...     np.array([[2.0, 0.0], [4.0, 0.0]]), np.array([[1.0, 1.0]]),
    ...     np.array([[0.0, 3.0]]))
    >>> keras.ops.convert_to_numpy(result)
    array([2., 2.])
    """
    groups = {}
    for name, value in (
        ("positive", positive),
        ("negative", negative),
        ("added", added),
    ):
        group = _float_tensor(name, value)
        if len(group.shape) < 2 or group.shape[0] == 0:
            raise ValueError(
                f"`{name}` should be a non-empty group of latents, [group_size, "
                f"*latent_shape]; pass one latent as [1, *latent_shape]. "
                f"Received: shape={tuple(group.shape)}"
            )
        groups[name] = group
    shapes = {name: tuple(group.shape[1:]) for name, group in groups.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(
            f"All groups should hold latents of one shape. Received: {shapes}"
        )
    dtype = groups["positive"].dtype
    means = {
        name: ops.mean(ops.cast(group, dtype), axis=0) for name, group in groups.items()
    }
    return means["positive"] - means["negative"] + means["added"]


def truncated_normal(shape, threshold, seed=None, dtype=None):
    """Latents from `N(0, 1)` conditioned on `|z| <= threshold` (BigGAN's trick).

    Exact in distribution: inverse-CDF sampling of the standard normal restricted
    to `[-threshold, threshold]` (see the module docstring), not a clipped normal.
    BigGAN obtains the same distribution by resampling the values whose magnitude
    exceeds the threshold. Smaller thresholds give samples closer to the mode:
    more fidelity, less variety.

    Args:
        shape: The output shape, e.g. `(num_samples, latent_dim)`.
        threshold: A positive number; values lie in `[-threshold, threshold]`.
        seed: None, an integer (the same integer gives the same latents) or a
            `keras.random.SeedGenerator` (advances its state).
        dtype: The output dtype (default `keras.config.floatx()`).

    Returns:
        A tensor of `shape`.

    Example:

    >>> z = keras.ops.convert_to_numpy(truncated_normal((1000, 4), 0.5, seed=0))
    >>> z.shape, bool(np.abs(z).max() <= 0.5)
    ((1000, 4), True)
    """
    threshold = check_positive_number(threshold, "threshold")
    if not (
        seed is None
        or isinstance(seed, keras.random.SeedGenerator)
        or (isinstance(seed, int | np.integer) and not isinstance(seed, bool))
    ):
        raise ValueError(
            "`seed` should be None, an integer or a `keras.random.SeedGenerator`. "
            f"Received: seed={seed!r}"
        )
    dtype = dtype or keras.config.floatx()
    bound = math.erf(float(threshold) / math.sqrt(2.0))  # P(|z| <= threshold)
    uniform = keras.random.uniform(
        shape, minval=-bound, maxval=bound, dtype="float64", seed=seed
    )
    latents = math.sqrt(2.0) * ops.erfinv(uniform)
    latents = ops.clip(latents, -float(threshold), float(threshold))
    return ops.cast(latents, dtype)
