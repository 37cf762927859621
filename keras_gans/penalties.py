"""Penalties and constraints P1-P7: one signature for every gradient penalty.

A GAN is a loss plus zero or more penalties. Every gradient penalty here is a pure
function with the same signature, so one training step serves them all (the
compare_gan idea):

    penalty(discriminator, real_images, generated_images, seed_generator) -> scalar

It returns the **unweighted** penalty, a float32 scalar averaged over the batch. The
`Penalty` classes wrap these functions with their weight, the player whose loss they
join and the log key, and are what `GAN.compile(penalties=[...])` takes; `get(name)`
returns one by name.

- P1 `WeightClipping` ("clip"): clip every D weight to [-c, c] after each D step.
- P2 `GradientPenalty` ("gp"): `λ E[(‖∇D(x̂)‖ - 1)²]`, x̂ on real-fake lines.
- P3 `DraganPenalty` ("dragan"): `λ E[(‖∇D(x̂)‖ - 1)²]`, x̂ near the real data.
- P4 `R1Penalty` ("r1"): `γ/2 E_x ‖∇D(x)‖²` at the real data.
- P5 `R2Penalty` ("r2"): `γ/2 E_z ‖∇D(G(z))‖²` at the generated data.
- P6 `ZeroCenteredGradientPenalty` ("zero_gp"): `λ E ‖∇D(x̂)‖²`, x̂ as in P2.
- P7 `OrthogonalRegularization` ("orthogonal"): `β Σ_W ‖WᵀW ⊙ (1 - I)‖²_F` over
  G's kernels.

The name in brackets is the log key and the registry name.

**TensorFlow-specific.** The input gradients `∇_x D(x)` are taken with a
`tf.GradientTape` nested inside the discriminator step's own tape, so the penalty is
differentiable with respect to D's weights (a second-order gradient; nothing here
stops gradients). Conventions shared by P2-P6:

- **Which gradient.** D may return per-example scores `[batch]` or `[batch, 1]`, a
  PatchGAN map `[batch, h, w, 1]`, or a list of such maps (a multi-scale D). The
  gradient taken is that of the sum of every output element over the batch; since
  example `i`'s output depends on example `i`'s input only, row `i` of that gradient
  is the gradient of example `i`'s own score (summed over its map) with respect to
  its own input. This holds when D mixes no information across the batch (no
  BatchNormalization, minibatch discrimination or minibatch stddev in D: WGAN-GP's
  paper removes BatchNorm from the critic for this reason).
- **Norm.** `‖g‖ = sqrt(sum of g² over every non-batch axis + 1e-10)` for the
  one-centred penalties; the 1e-10 keeps the derivative of the square root finite
  when the gradient is exactly zero, where the plain norm would give a NaN weight
  gradient. The zero-centred penalties (R1, R2, 0-GP) use `‖g‖²` and no root.
- **Precision.** Images, logits and gradients are cast to float32, so a D running
  under `mixed_float16` gives float32 penalties.
- **Randomness.** Interpolation coefficients and perturbations are drawn with
  `keras.random.uniform(..., seed=seed_generator)`. Under `tf.distribute` each
  replica draws the coefficients of the global batch and keeps its own slice (as
  the GAN model does for latents), so a step on N replicas draws what a step on one
  device draws for the same global batch.
- **Training mode.** D is called with `training=True`, as in the discriminator step.

References:
- P1: Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875
- P2: Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028
- P3: Kodali et al. 2017, https://arxiv.org/abs/1705.07215
- P4, P5: Mescheder et al. 2018, https://arxiv.org/abs/1801.04406
- Lazy regularisation: Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958
- P6: Thanh-Tung et al. 2019, https://arxiv.org/abs/1902.03984
- P7: Brock et al. 2018 (BigGAN), https://arxiv.org/abs/1809.11096
"""

import keras
from keras import ops

from keras_gans._checks import (
    check_bool,
    check_non_negative_number,
    check_positive_integer,
    check_positive_number,
)
from keras_gans.training import trainer
from keras_gans.training.component import StepComponent

__all__ = [
    "DraganPenalty",
    "GradientPenalty",
    "OrthogonalRegularization",
    "Penalty",
    "R1Penalty",
    "R2Penalty",
    "WeightClipping",
    "ZeroCenteredGradientPenalty",
    "clip_weights",
    "dragan_penalty",
    "generator_kernels",
    "get",
    "names",
    "orthogonal_regularization",
    "r1_penalty",
    "r2_penalty",
    "wasserstein_gradient_penalty",
    "zero_centered_gradient_penalty",
]

# Added under the square root of the gradient norm: the derivative of sqrt(s) is
# 1 / (2 sqrt(s)), infinite at s = 0, so without it a zero input gradient gives a
# NaN weight gradient (the bug of keras-io issues #415 and #624).
NORM_EPSILON = 1e-10


# --- Shared pieces of the gradient penalties ------------------------------------------


def _as_float(images):
    return ops.cast(ops.convert_to_tensor(images), "float32")


def _per_example_uniform(images, seed_generator):
    """One `U[0, 1]` coefficient per example, `[batch, 1, ..., 1]` to broadcast."""
    rank = len(images.shape)
    return trainer.uniform_for_replica(
        (ops.shape(images)[0],) + (1,) * (rank - 1), seed_generator
    )


def _interpolates(real_images, generated_images, seed_generator):
    """`x̂ = ε x + (1 - ε) G(z)`, `ε ~ U[0, 1]` one per example (WGAN-GP)."""
    real_images, generated_images = _as_float(real_images), _as_float(generated_images)
    epsilon = _per_example_uniform(real_images, seed_generator)  # [batch, 1, ..., 1]
    return epsilon * real_images + (1.0 - epsilon) * generated_images


def _input_gradients(discriminator, inputs):
    """`∇_x Σ D(x)`: row `i` is the gradient of example `i`'s summed score (float32),
    differentiable once more by the step's own tape."""
    return trainer.input_gradients(
        lambda x: discriminator(x, training=True), _as_float(inputs)
    )


def _squared_gradient_norms(discriminator, inputs):
    """`‖∇_x D(x)‖²` per example, summed over every non-batch axis: `[batch]`."""
    gradients = _input_gradients(discriminator, inputs)
    gradients = ops.reshape(gradients, (ops.shape(gradients)[0], -1))  # [batch, n]
    return ops.sum(ops.square(gradients), axis=1)


def _one_centered_penalty(discriminator, inputs, target=1.0, one_sided=False):
    """`mean((‖∇D‖ - target)²)`, or `mean(relu(‖∇D‖ - target)²)` when one-sided."""
    norms = ops.sqrt(_squared_gradient_norms(discriminator, inputs) + NORM_EPSILON)
    deviations = norms - target
    if one_sided:
        deviations = ops.relu(deviations)
    return ops.mean(ops.square(deviations))


def _global_std(images):
    """The scalar standard deviation of every element of the global real batch.

    On one device `std(images)`; under `tf.distribute` the sums are all-reduced over
    the replicas, so the value is that of the whole global batch.
    """
    _, num_replicas = trainer.replica_position()
    if num_replicas == 1:
        return ops.std(images)
    moments = ops.stack(
        [
            ops.cast(ops.size(images), "float32"),
            ops.sum(images),
            ops.sum(ops.square(images)),
        ]
    )
    count, total, total_of_squares = ops.unstack(trainer.global_sum(moments))
    mean = total / count
    return ops.sqrt(ops.maximum(total_of_squares / count - ops.square(mean), 0.0))


# --- P2-P6: the gradient penalties as functions ---------------------------------------


def wasserstein_gradient_penalty(
    discriminator,
    real_images,
    generated_images,
    seed_generator,
    *,
    target=1.0,
    one_sided=False,
):
    """P2, the WGAN-GP penalty: `E[(‖∇_x̂ D(x̂)‖ - 1)²]` on random interpolates.

    `x̂ = ε x + (1 - ε) G(z)` with **one** `ε ~ U[0, 1]` per example (broadcast over
    every other axis, for images `[batch, h, w, c]` as for points `[batch, d]`), and
    `‖g‖ = sqrt(Σ g² + 1e-10)` over the non-batch axes. The one-sided variant
    `E[max(0, ‖∇‖ - 1)²]` penalises only slopes above 1; the paper discusses it
    (section 4) and keeps the two-sided form. Two common bugs: a normal ε samples
    the line through x and G(z) with the wrong weights and largely outside the
    segment between them, and a per-pixel ε leaves that line altogether.

    Args:
        discriminator: The critic, images to logits.
        real_images: A real batch `[batch, ...]`.
        generated_images: A generated batch of the same shape.
        seed_generator: A `keras.random.SeedGenerator` for ε.
        target: The gradient norm the penalty pulls towards (1 in the paper).
        one_sided: Whether to penalise only norms above `target`.

    Returns:
        The unweighted penalty, a float32 scalar (the batch mean).

    Example:

    >>> import keras
    >>> import numpy as np
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> critic.set_weights([np.array([[3.0], [4.0]]), np.zeros(1)])
    >>> points = np.random.default_rng(0).normal(size=(8, 2))
    >>> seeds = keras.random.SeedGenerator(0)
    >>> round(float(wasserstein_gradient_penalty(critic, points, -points, seeds)), 4)
    16.0

    Reference: Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028
    """
    target = check_non_negative_number(target, "target")
    one_sided = check_bool(one_sided, "one_sided")
    interpolates = _interpolates(real_images, generated_images, seed_generator)
    return _one_centered_penalty(discriminator, interpolates, target, one_sided)


def dragan_penalty(
    discriminator,
    real_images,
    generated_images,
    seed_generator,
    *,
    perturbation_scale=0.5,
):
    """P3, the DRAGAN penalty: `E[(‖∇_x̂ D(x̂)‖ - 1)²]` on points near the data.

    `x_p = x + c · std(x) · u` with `u ~ U[0, 1]` per element and `c =
    perturbation_scale`, then `x̂ = x + α (x_p - x)` with one `α ~ U[0, 1]` per
    example. `std(x)` is the scalar standard deviation of every element of the real
    batch (the global batch under `tf.distribute`), as in the authors' reference
    code; it is data, so no gradient flows through it. Norm as in P2. The generated
    images are not used (accepted for the common signature): DRAGAN penalises sharp
    gradients around the real data, where mode collapse begins.

    Args:
        discriminator: The discriminator, images to logits.
        real_images: A real batch `[batch, ...]`.
        generated_images: Not used.
        seed_generator: A `keras.random.SeedGenerator` for `u` and `α`.
        perturbation_scale: `c`, the perturbation size in standard deviations.

    Returns:
        The unweighted penalty, a float32 scalar (the batch mean).

    Example:

    >>> import keras
    >>> import numpy as np
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> critic.set_weights([np.array([[0.6], [0.0]]), np.zeros(1)])
    >>> points = np.random.default_rng(0).normal(size=(8, 2))
    >>> seeds = keras.random.SeedGenerator(0)
    >>> round(float(dragan_penalty(critic, points, points, seeds)), 4)
    0.16

    Reference: Kodali et al. 2017, https://arxiv.org/abs/1705.07215
    """
    del generated_images  # DRAGAN perturbs the real data only.
    perturbation_scale = check_positive_number(perturbation_scale, "perturbation_scale")
    real_images = _as_float(real_images)
    # u ~ U[0, 1] per element, shaped like x.
    noise = trainer.uniform_for_replica(ops.shape(real_images), seed_generator)
    perturbation = perturbation_scale * _global_std(real_images) * noise  # x_p - x
    alpha = _per_example_uniform(real_images, seed_generator)  # [batch, 1, ..., 1]
    perturbed_images = real_images + alpha * perturbation
    return _one_centered_penalty(discriminator, perturbed_images)


def r1_penalty(discriminator, real_images, generated_images=None, seed_generator=None):
    """P4, the R1 penalty: `E_x ‖∇_x D(x)‖²` at the real images.

    A zero-centred penalty on the data: with it, simultaneous gradient descent on a
    GAN converges locally (Mescheder et al. 2018, section 4). Weighted by `γ/2`
    in `R1Penalty`. `generated_images` and `seed_generator` are not used (accepted
    for the common signature).

    Args:
        discriminator: The discriminator, images to logits.
        real_images: A real batch `[batch, ...]`.
        generated_images: Not used.
        seed_generator: Not used.

    Returns:
        The unweighted penalty `mean ‖∇D(x)‖²`, a float32 scalar.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> critic.set_weights([np.array([[3.0], [4.0]]), np.zeros(1)])
    >>> round(float(r1_penalty(critic, np.ones((4, 2)))), 4)
    25.0

    Reference: Mescheder et al. 2018, https://arxiv.org/abs/1801.04406
    """
    del generated_images, seed_generator
    return ops.mean(_squared_gradient_norms(discriminator, real_images))


def r2_penalty(discriminator, real_images, generated_images, seed_generator=None):
    """P5, the R2 penalty: `E_z ‖∇ D(G(z))‖²` at the generated images.

    R1's counterpart on the generator's distribution (Mescheder et al. 2018);
    weighted by `γ/2` in `R2Penalty`. `real_images` and `seed_generator` are not
    used (accepted for the common signature).

    Args:
        discriminator: The discriminator, images to logits.
        real_images: Not used.
        generated_images: A generated batch `[batch, ...]`.
        seed_generator: Not used.

    Returns:
        The unweighted penalty `mean ‖∇D(G(z))‖²`, a float32 scalar.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> critic.set_weights([np.array([[1.0], [2.0]]), np.zeros(1)])
    >>> round(float(r2_penalty(critic, None, np.zeros((4, 2)))), 4)
    5.0

    Reference: Mescheder et al. 2018, https://arxiv.org/abs/1801.04406
    """
    del real_images, seed_generator
    return ops.mean(_squared_gradient_norms(discriminator, generated_images))


def zero_centered_gradient_penalty(
    discriminator, real_images, generated_images, seed_generator
):
    """P6, the zero-centred penalty on interpolates: `E ‖∇_x̂ D(x̂)‖²`.

    `x̂ = ε x + (1 - ε) G(z)`, one `ε ~ U[0, 1]` per example, as in P2. Pulling the
    gradient towards 0 rather than 1 on the lines between real and generated
    samples makes D generalise and GAN training converge (Thanh-Tung et al. 2019).

    Args:
        discriminator: The discriminator, images to logits.
        real_images: A real batch `[batch, ...]`.
        generated_images: A generated batch of the same shape.
        seed_generator: A `keras.random.SeedGenerator` for ε.

    Returns:
        The unweighted penalty `mean ‖∇D(x̂)‖²`, a float32 scalar.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> critic.set_weights([np.array([[3.0], [4.0]]), np.zeros(1)])
    >>> points = np.random.default_rng(0).normal(size=(8, 2))
    >>> seeds = keras.random.SeedGenerator(0)
    >>> round(float(zero_centered_gradient_penalty(critic, points, -points, seeds)), 4)
    25.0

    Reference: Thanh-Tung et al. 2019, https://arxiv.org/abs/1902.03984
    """
    interpolates = _interpolates(real_images, generated_images, seed_generator)
    return ops.mean(_squared_gradient_norms(discriminator, interpolates))


# --- P7: orthogonal regularisation ----------------------------------------------------


def orthogonal_regularization(kernels):
    """P7, BigGAN's orthogonal regularisation: `Σ_W ‖WᵀW ⊙ (1 - I)‖²_F`.

    Each kernel is reshaped to a matrix `W` of shape `[fan_in, out]`, where `out`
    is the **last** axis (the units of a `Dense` kernel `[in, units]`, the filters
    of a `Conv2D` kernel `[kh, kw, in, filters]`) and `fan_in` the product of the
    others. `WᵀW` is then the `[out, out]` Gram matrix of the output filters, as in
    BigGAN (whose rows are the filters), and only its off-diagonal entries are
    penalised: the filters are pushed towards mutual orthogonality while their norms
    stay free. For a `Conv2DTranspose` kernel `[kh, kw, filters, in]` the last axis
    is the *input* channels, so the penalty decorrelates the kernel slices that each
    input channel paints (the filters of the convolution it transposes).

    When `out > fan_in` (a wide `Dense` from the latents) the value is computed
    without the `[out, out]` matrix, from `‖WᵀW‖_F = ‖WWᵀ‖_F` and
    `diag(WᵀW)_j = ‖W_:j‖²`: `‖WWᵀ‖²_F - Σ_j ‖W_:j‖⁴`, which needs a
    `[fan_in, fan_in]` matrix only.

    Args:
        kernels: An iterable of kernels (variables or tensors) of rank >= 2.

    Returns:
        The unweighted sum over the kernels, a float32 scalar (0 for no kernels).

    Example:

    >>> import numpy as np
    >>> round(float(orthogonal_regularization([np.eye(3)])), 4)
    0.0
    >>> round(float(orthogonal_regularization([np.ones((2, 2))])), 4)
    8.0

    Reference: Brock et al. 2018, https://arxiv.org/abs/1809.11096, section 3.1
    """
    total = ops.convert_to_tensor(0.0, "float32")
    for kernel in kernels:
        kernel = _as_float(kernel)
        if len(kernel.shape) < 2:
            raise ValueError(
                "`kernels` should hold tensors of rank >= 2. Received a kernel of "
                f"shape {tuple(kernel.shape)}."
            )
        out_channels = kernel.shape[-1]
        matrix = ops.reshape(kernel, (-1, out_channels))  # [kh*kw*in, out]
        fan_in = matrix.shape[0]
        if out_channels <= fan_in:
            gram = ops.matmul(ops.transpose(matrix), matrix)  # [out, out]
            off_diagonal = gram * (1.0 - ops.eye(out_channels, dtype="float32"))
            total = total + ops.sum(ops.square(off_diagonal))
        else:
            gram = ops.matmul(matrix, ops.transpose(matrix))  # [fan_in, fan_in]
            column_norms = ops.sum(ops.square(matrix), axis=0)  # [out], diag(WᵀW)
            total = total + (
                ops.sum(ops.square(gram)) - ops.sum(ops.square(column_norms))
            )
    return total


def generator_kernels(model):
    """The weights orthogonal regularisation applies to: a model's kernels.

    Every trainable variable of rank >= 2 whose path ends with "kernel" (`Dense`,
    convolution, attention and conditional-BatchNorm projection kernels). Biases,
    BatchNorm γ and β (rank 1) and embeddings (named "embeddings") are left out, as
    BigGAN leaves out its shared class embedding.

    Args:
        model: A Keras model or layer.

    Returns:
        A list of variables.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> [tuple(kernel.shape) for kernel in generator_kernels(model)]
    [(3, 2)]
    """
    return [
        variable
        for variable in model.trainable_variables
        if len(variable.shape) >= 2 and variable.path.endswith("kernel")
    ]


# --- P1: weight clipping --------------------------------------------------------------


def clip_weights(variables, clip_value):
    """P1, WGAN's weight clipping: assigns `clip(v, -c, c)` to every variable.

    Args:
        variables: The variables to clip (for WGAN: every trainable D variable).
        clip_value: `c > 0`.

    Returns:
        The largest `|w|` over the clipped variables, a float32 scalar for the logs
        (0 for no variables).

    Example:

    >>> import keras
    >>> variable = keras.Variable([0.5, -0.003, -2.0])
    >>> round(float(clip_weights([variable], 0.01)), 4)
    0.01
    >>> [round(float(value), 4) for value in variable.numpy()]
    [0.01, -0.003, -0.01]

    Reference: Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875, Algorithm 1
    """
    clip_value = check_positive_number(clip_value, "clip_value")
    largest = ops.convert_to_tensor(0.0, "float32")
    for variable in variables:
        clipped = ops.clip(variable, -clip_value, clip_value)
        variable.assign(clipped)
        largest = ops.maximum(largest, ops.cast(ops.max(ops.abs(clipped)), "float32"))
    return largest


# --- The Penalty classes --------------------------------------------------------------


@keras.saving.register_keras_serializable(package="keras_gans")
class Penalty(StepComponent):
    """Base class of a penalty or constraint of one player, as `GAN.compile` takes it.

    A subclass sets the class attributes `name` (the log key), `player`
    (`"discriminator"` or `"generator"`: whose loss the term joins and after whose
    optimizer step `constrain` runs) and `adds_loss`, and implements `compute` (the
    unweighted value) or `constrain` (a projection after each step).

    Lazy regularisation (StyleGAN2): with `interval = k > 1` the penalty
    is computed only on steps where `step % k == 0` and weighted `weight * k` there,
    so its average contribution is unchanged at 1/k of the cost. The skip is a
    conditional (`ops.cond`): on the other steps D is not even called.

    Args:
        weight: The positive factor in front of the value.
        interval: Apply every `interval` steps (1: every step).

    Example:

    >>> import keras
    >>> import numpy as np
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> critic.set_weights([np.array([[3.0], [4.0]]), np.zeros(1)])
    >>> penalty = R1Penalty(gamma=10.0)
    >>> term, value = penalty(critic, None, np.ones((4, 2)), None, None, step=0)
    >>> round(float(term), 4), round(float(value), 4)
    (125.0, 25.0)
    """

    name = "penalty"
    player = "discriminator"
    adds_loss = True
    # Which labels D is given when a conditional D is differentiated: the generated
    # ones for a penalty at the generated data (R2), else the real ones.
    uses_generated_labels = False
    arguments = {"penalties": ()}

    def __init__(self, weight, interval=1):
        self.weight = check_positive_number(weight, "weight")
        self.interval = check_positive_integer(interval, "interval")

    def compute(
        self, discriminator, generator, real_images, generated_images, seed_generator
    ):
        """The unweighted penalty, a float32 scalar. Subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} should implement `compute` (or set "
            "`adds_loss = False` and implement `constrain`)."
        )

    def applies_at(self, step):
        """Whether the penalty is computed at `step`: a boolean scalar tensor.

        Useful to average the logged value over the applied steps only.
        """
        if self.interval == 1:
            return ops.convert_to_tensor(True)
        step = ops.cast(ops.convert_to_tensor(step), "int64")
        return ops.equal(ops.mod(step, self.interval), 0)

    def __call__(
        self,
        discriminator,
        generator,
        real_images,
        generated_images,
        seed_generator,
        step=None,
    ):
        """`(weighted_term, value)`, both float32 scalars.

        `weighted_term` joins the player's loss: `weight * value`, or with an
        interval `k > 1`, `weight * k * value` on steps where `step % k == 0` and 0
        on the others. `value` is the unweighted penalty for the logs (0 on skipped
        steps). `step` is the player's optimizer iteration count before the update
        (needed only when `interval > 1`).
        """
        if not self.adds_loss:
            raise ValueError(
                f"{type(self).__name__} adds no loss term (`adds_loss=False`); it "
                "acts through `constrain` after each optimizer step."
            )

        def penalty_terms():
            value = ops.cast(
                self.compute(
                    discriminator,
                    generator,
                    real_images,
                    generated_images,
                    seed_generator,
                ),
                "float32",
            )
            return self.weight * self.interval * value, value

        if self.interval == 1:
            return penalty_terms()
        if step is None:
            raise ValueError(
                f"`step` is needed for a penalty with `interval={self.interval}`. "
                "Received: `step=None`."
            )
        zero = ops.convert_to_tensor(0.0, "float32")
        return ops.cond(self.applies_at(step), penalty_terms, lambda: (zero, zero))

    # --- As a step component of `GAN.compile(penalties=[...])` ---------------------

    @classmethod
    def from_arguments(cls, penalties=()):
        """The list of `Penalty`s for names, instances or saved configs."""
        return [
            keras.saving.deserialize_keras_object(penalty)
            if isinstance(penalty, dict)
            else get(penalty)
            for penalty in penalties or ()
        ]

    @classmethod
    def argument_values(cls, components):
        return {"penalties": list(components)}

    def received(self):
        return f"`penalties=[{self.name!r}]`"

    @property
    def excludes(self):
        if self.adds_loss:
            return {}
        return {
            "single_loss": (
                f"The constraint {self.name!r} acts after a discriminator step, "
                "which `single_loss=True` does not have. Use a gradient penalty."
            )
        }

    def log_names(self):
        return [self.name]

    def loss_terms(self, context, player, real_input, fake_input, labels):
        """The weighted term for `player`'s loss (logged unweighted, and with weight
        0 on the steps a lazy penalty skips)."""
        if player != self.player or not self.adds_loss:
            return 0.0
        real_labels, generated_labels = labels
        discriminator = context.discriminator_for(
            generated_labels if self.uses_generated_labels else real_labels
        )
        term, value = self(
            discriminator,
            context.model.generator,
            real_input,
            fake_input,
            context.seed_generator,
            context.step,
        )
        context.logs[self.name] = (
            value,
            ops.cast(self.applies_at(context.step), "float32"),
        )
        return term

    def after_update(self, context, player):
        if player == self.player and not self.adds_loss:
            model = context.model
            context.logs[self.name] = self.constrain(
                model.discriminator, model.generator
            )

    def constrain(self, discriminator, generator):
        """Called after each optimizer step of `player`; a scalar to log, or None.

        The default does nothing and returns None.
        """
        del discriminator, generator
        return None

    def get_config(self):
        return {"weight": self.weight, "interval": self.interval}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        config = self.get_config()
        arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({arguments})"


@keras.saving.register_keras_serializable(package="keras_gans")
class WeightClipping(Penalty):
    """P1, weight clipping: after each D step every D weight is clipped to [-c, c].

    WGAN's way to keep the critic K-Lipschitz so that its loss estimates the
    Wasserstein distance. Every trainable variable of D is clipped, biases and
    normalisation parameters included, as the paper clips all parameters. It adds no
    loss term (`adds_loss = False`); `constrain` returns the largest `|w|` after
    clipping, logged as "clip". The paper's recipe around it: RMSProp with learning
    rate 5e-5 and 5 critic steps per generator step (Algorithm 1). The WGAN-GP paper
    (P2) shows clipping's weaknesses: capacity underuse, and exploding or vanishing
    gradients depending on c.

    Args:
        clip_value: `c`, the bound (0.01 in the paper).

    Example:

    >>> import keras
    >>> import numpy as np
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> critic.set_weights([np.array([[0.5], [-0.003]]), np.array([-2.0])])
    >>> round(float(WeightClipping(0.01).constrain(critic, None)), 4)
    0.01

    Reference: Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875
    """

    name = "clip"
    player = "discriminator"
    adds_loss = False

    def __init__(self, clip_value=0.01):
        self.clip_value = check_positive_number(clip_value, "clip_value")
        self.weight = None  # No loss term, so no weight.
        self.interval = 1

    def constrain(self, discriminator, generator):
        del generator
        return clip_weights(discriminator.trainable_variables, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}


@keras.saving.register_keras_serializable(package="keras_gans")
class GradientPenalty(Penalty):
    """P2, WGAN-GP: `λ E[(‖∇_x̂ D(x̂)‖ - 1)²]` on real-fake interpolates.

    Softly keeps the critic 1-Lipschitz along the lines between real and generated
    samples, where the optimal critic has unit gradient norm; replaces P1's clipping.
    See `wasserstein_gradient_penalty` for the sampling (one `ε ~ U[0, 1]` per
    example) and the norm. The paper's recipe: λ = 10, Adam(1e-4, β1 = 0, β2 = 0.9),
    5 critic steps per generator step, no BatchNorm in the critic (use layer
    normalisation or none).

    Args:
        weight: λ (10 in the paper).
        one_sided: Penalise only norms above 1, `max(0, ‖∇‖ - 1)²`.

    Example:

    >>> GradientPenalty().get_config()
    {'weight': 10.0, 'one_sided': False}

    Reference: Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028
    """

    name = "gp"

    def __init__(self, weight=10.0, one_sided=False):
        super().__init__(weight)
        self.one_sided = check_bool(one_sided, "one_sided")

    def compute(
        self, discriminator, generator, real_images, generated_images, seed_generator
    ):
        del generator
        return wasserstein_gradient_penalty(
            discriminator,
            real_images,
            generated_images,
            seed_generator,
            one_sided=self.one_sided,
        )

    def get_config(self):
        return {"weight": self.weight, "one_sided": self.one_sided}


@keras.saving.register_keras_serializable(package="keras_gans")
class DraganPenalty(Penalty):
    """P3, DRAGAN: `λ E[(‖∇_x̂ D(x̂)‖ - 1)²]` at points perturbed around the data.

    Mode collapse goes with sharp discriminator gradients around real samples;
    DRAGAN penalises them in a neighbourhood of the data. See `dragan_penalty` for
    the perturbation (`c · std(x) · u`, u ~ U[0, 1], one α per example). The
    paper's defaults: λ = 10, c = 0.5.

    Args:
        weight: λ (10 in the paper).
        perturbation_scale: c (0.5 in the paper).

    Example:

    >>> DraganPenalty().get_config()
    {'weight': 10.0, 'perturbation_scale': 0.5}

    Reference: Kodali et al. 2017, https://arxiv.org/abs/1705.07215
    """

    name = "dragan"

    def __init__(self, weight=10.0, perturbation_scale=0.5):
        super().__init__(weight)
        self.perturbation_scale = check_positive_number(
            perturbation_scale, "perturbation_scale"
        )

    def compute(
        self, discriminator, generator, real_images, generated_images, seed_generator
    ):
        del generator
        return dragan_penalty(
            discriminator,
            real_images,
            generated_images,
            seed_generator,
            perturbation_scale=self.perturbation_scale,
        )

    def get_config(self):
        return {"weight": self.weight, "perturbation_scale": self.perturbation_scale}


class _GammaPenalty(Penalty):
    """R1 and R2: weight `γ/2`, optionally lazy (every `interval` D steps)."""

    def __init__(self, gamma=10.0, interval=1):
        self.gamma = check_positive_number(gamma, "gamma")
        super().__init__(self.gamma / 2.0, interval)

    def get_config(self):
        return {"gamma": self.gamma, "interval": self.interval}


@keras.saving.register_keras_serializable(package="keras_gans")
class R1Penalty(_GammaPenalty):
    """P4, R1: `γ/2 · E_x ‖∇_x D(x)‖²` at the real data (weight `γ/2`).

    Makes GAN training locally convergent (Mescheder et al. 2018); used by StyleGAN
    and most GANs since. The default γ = 10 is the value of the paper's image
    experiments. With `interval = k` (lazy regularisation, StyleGAN2 uses k = 16) R1 is
    computed every k D steps and weighted `γ/2 · k`.

    Args:
        gamma: γ (10 in the paper).
        interval: Apply every `interval` D steps.

    Example:

    >>> penalty = R1Penalty(gamma=10.0, interval=4)
    >>> penalty.weight, penalty.interval
    (5.0, 4)

    Reference: Mescheder et al. 2018, https://arxiv.org/abs/1801.04406
    """

    name = "r1"

    def compute(
        self, discriminator, generator, real_images, generated_images, seed_generator
    ):
        del generator
        return r1_penalty(discriminator, real_images, generated_images, seed_generator)


@keras.saving.register_keras_serializable(package="keras_gans")
class R2Penalty(_GammaPenalty):
    """P5, R2: `γ/2 · E_z ‖∇ D(G(z))‖²` at the generated data (weight `γ/2`).

    R1's counterpart on the generator's samples (Mescheder et al. 2018); same
    defaults and lazy option as `R1Penalty`.

    Args:
        gamma: γ (10 as for R1).
        interval: Apply every `interval` D steps.

    Example:

    >>> R2Penalty(gamma=1.0).weight
    0.5

    Reference: Mescheder et al. 2018, https://arxiv.org/abs/1801.04406
    """

    name = "r2"
    uses_generated_labels = True

    def compute(
        self, discriminator, generator, real_images, generated_images, seed_generator
    ):
        del generator
        return r2_penalty(discriminator, real_images, generated_images, seed_generator)


@keras.saving.register_keras_serializable(package="keras_gans")
class ZeroCenteredGradientPenalty(Penalty):
    """P6, 0-GP: `λ E ‖∇_x̂ D(x̂)‖²` on real-fake interpolates.

    Pushes D towards the theoretically optimal discriminator between the real and
    generated samples, improving generalisation and convergence (Thanh-Tung et al.
    2019). x̂ is drawn as in P2. The default λ = 10 is that of the authors' released
    code for their 2-D experiments; their MNIST script uses λ = 500 with a D ending
    in a sigmoid (penalising the gradient of a probability, which is smaller than
    that of a logit), so image experiments call for a larger λ than 10.

    Args:
        weight: λ.

    Example:

    >>> ZeroCenteredGradientPenalty().weight
    10.0

    Reference: Thanh-Tung et al. 2019, https://arxiv.org/abs/1902.03984
    """

    name = "zero_gp"

    def __init__(self, weight=10.0):
        super().__init__(weight)

    def compute(
        self, discriminator, generator, real_images, generated_images, seed_generator
    ):
        del generator
        return zero_centered_gradient_penalty(
            discriminator, real_images, generated_images, seed_generator
        )

    def get_config(self):
        return {"weight": self.weight}


@keras.saving.register_keras_serializable(package="keras_gans")
class OrthogonalRegularization(Penalty):
    """P7, BigGAN's orthogonal regularisation of G: `β Σ_W ‖WᵀW ⊙ (1 - I)‖²_F`.

    Joins the generator's loss. Applied to `generator_kernels(generator)` (every
    trainable kernel of rank >= 2; see `orthogonal_regularization` for the reshape).
    In BigGAN it makes G amenable to the truncation trick (T17): more models keep
    their quality when latents are truncated. The paper's β = 1e-4.

    Args:
        beta: β (1e-4 in the paper).

    Example:

    >>> OrthogonalRegularization().get_config()
    {'beta': 0.0001}

    Reference: Brock et al. 2018, https://arxiv.org/abs/1809.11096, section 3.1
    """

    name = "orthogonal"
    player = "generator"

    def __init__(self, beta=1e-4):
        self.beta = check_positive_number(beta, "beta")
        super().__init__(self.beta)

    def compute(
        self, discriminator, generator, real_images, generated_images, seed_generator
    ):
        del discriminator, real_images, generated_images, seed_generator
        return orthogonal_regularization(generator_kernels(generator))

    def get_config(self):
        return {"beta": self.beta}


# --- The registry ---------------------------------------------------------------------

_REGISTRY = {
    "clip": WeightClipping,
    "gp": GradientPenalty,
    "dragan": DraganPenalty,
    "r1": R1Penalty,
    "r2": R2Penalty,
    "zero_gp": ZeroCenteredGradientPenalty,
    "orthogonal": OrthogonalRegularization,
}
_ALIASES = {"weight_clipping": "clip", "wgan_gp": "gp"}


def names():
    """The registered penalty names, in catalogue order (P1-P7).

    Example:

    >>> names()
    ['clip', 'gp', 'dragan', 'r1', 'r2', 'zero_gp', 'orthogonal']
    """
    return list(_REGISTRY)


def get(identifier):
    """Returns a `Penalty`: `identifier` itself, or a new default one for a name.

    Args:
        identifier: A `Penalty`, or a name from `names()` or an alias
            ("weight_clipping", "wgan_gp"); hyphens are accepted for underscores
            ("zero-gp", "wgan-gp").

    Returns:
        A `Penalty` instance.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.

    Example:

    >>> get("wgan-gp")
    GradientPenalty(weight=10.0, one_sided=False)
    """
    if isinstance(identifier, Penalty):
        return identifier
    if isinstance(identifier, str):
        key = identifier.strip().lower().replace("-", "_")
        key = _ALIASES.get(key, key)
        if key in _REGISTRY:
            return _REGISTRY[key]()
    valid = names() + list(_ALIASES)
    raise ValueError(
        f"Unknown penalty: {identifier!r}. Expected a Penalty or one of: "
        f"{', '.join(valid)} (hyphens or underscores)."
    )
