"""Spectral normalization as a reparameterisation W / sigma(W) that keeps W stored."""

import warnings

import keras
from keras import ops
from keras.src.backend.common.symbolic_scope import in_symbolic_scope

# Wrapped layers whose kernel is laid out [..spatial.., out_channels, in_channels]:
# the output axis is -2 and has to be moved last before flattening.
TRANSPOSED_CONVOLUTIONS = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)


class _WithoutAutocast(keras.layers.Layer):
    """Runs `function(inputs)` with variable autocasting switched off.

    Keras enters a float16 autocast scope around the outermost call of a layer
    with a mixed policy even when that layer sets `autocast = False` (the case
    of a wrapper called directly, or inside `Model.stateless_call` as the JAX
    trainer does); a nested layer with `autocast=False` clears that scope, so
    float32 variables read inside `function` keep their float32 values.
    """

    def __init__(self, **kwargs):
        super().__init__(autocast=False, **kwargs)
        # No weights to create: report built, or a model holding it looks unbuilt
        # and `fit` under a strategy tries to build it by calling it.
        self.built = True

    def call(self, inputs, function):
        return function(inputs)


@keras.saving.register_keras_serializable(package="keras_gans")
class SpectralNormalization(keras.layers.Wrapper):
    """Spectral normalization of a layer's kernel, as a reparameterisation.

    A discriminator whose layers all have spectral norm (largest singular
    value) at most 1 is 1-Lipschitz up to its activations, which keeps its
    gradients to the generator bounded and made GAN training stable enough to
    drop most other tricks (Miyato et al., 2018). The wrapped layer runs with
    the normalised kernel

        W_bar = W / sigma(W),

    where sigma(W) is estimated by power iteration on a persistent vector u
    (one entry per output unit), starting from the stored u:

        v = normalize(W^T u),  u = normalize(W v),  sigma = u^T W v.

    `u` and `v` are held constant in the backward pass (`stop_gradient`), so
    the gradient with respect to W includes the term through sigma, as in the
    paper: for G = dL/dW_bar, dL/dW = (G - <G, W_bar> u v^T) / sigma.

    How this differs from `keras.layers.SpectralNormalization`: the Keras
    wrapper assigns W / sigma into the wrapped layer's kernel variable on
    every training call and then runs the layer on that variable. The stored
    kernel is therefore overwritten (the optimizer updates W_bar, not W), no
    gradient flows through sigma, and a discriminator called on real and fake
    batches separately renormalises its already normalised kernel on the
    second call. This
    wrapper never assigns the kernel: the kernel variable keeps holding W and
    the normalised kernel only exists inside the forward pass.

    How W_bar reaches the wrapped layer: the wrapped layer is called inside a
    `keras.StatelessScope` that maps its kernel variable to W_bar (a tensor
    computed from the kernel, so the gradient path is kept) and its other
    variables to their current values. This is the mechanism of
    `Layer.stateless_call`, which is not used directly because it runs the
    wrapped layer's `call` and skips its `__call__`; going through `__call__`
    keeps the wrapped layer's dtype policy (autocasting under
    `mixed_float16`), and its strides, padding, dilation, bias and activation
    apply unchanged, for any layer with a `kernel` or `embeddings` variable,
    without re-implementing its computation with `keras.ops`. It works under
    `jit_compile`, `tf.distribute` and the JAX trainer (which itself runs
    inside a stateless scope). State updates and losses (an activity
    regularizer) of the wrapped layer are carried back out of the scope.

    The kernel is viewed as a matrix with one column per output unit, which
    is W^T in the paper's notation and has the same singular values: a
    `Dense` kernel [in, out] as is; a `Conv1D`/`Conv2D`/`Conv3D` kernel
    [..spatial.., in, out] as [prod(spatial) * in, out]; a transposed
    convolution kernel [..spatial.., out, in] with its output axis moved last
    first; an `Embedding` table [vocab, dim] as is.

    `u` is updated (`power_iterations` steps, assigned once) only when
    `training=True`, once per call: a discriminator called separately on the
    real and on the fake batch advances `u` twice per training step, which
    only makes the estimate converge faster; both calls use the same,
    unmodified W. With `training=False` the same power iteration runs from
    the stored `u` but nothing is assigned, so inference is deterministic.
    `u`, `v` and sigma are computed in float32 from the float32 kernel under
    a `mixed_float16` policy.

    Args:
        layer: A `keras.layers.Layer` with a `kernel` (`Dense`, `Conv1D`,
            `Conv2D`, `Conv3D`, their transposed versions, ...) or an
            `embeddings` (`Embedding`) variable.
        power_iterations: Positive integer, the number of power iteration
            steps per call. Defaults to 1, as in the paper.
        epsilon: Positive float added to vector norms in the power iteration,
            and the smallest value sigma may take (so an all-zero kernel stays
            zero instead of becoming NaN). Defaults to `1e-12`.
        seed: Optional integer, the seed of the normal draw that initialises
            `u`.
        **kwargs: Base layer keyword arguments, such as `name`; `dtype`
            defaults to the wrapped layer's dtype policy.

    Call arguments:
        inputs: The inputs of the wrapped layer.
        training: Python boolean. When `True`, the power-iterated `u` is
            stored for the next call.

    Returns:
        The output of the wrapped layer computed with the normalised kernel.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> x = np.random.normal(size=(4, 8, 8, 3)).astype("float32")
    >>> tuple(SpectralNormalization(keras.layers.Conv2D(6, 3))(x, training=True).shape)
    (4, 6, 6, 6)

    Reference:
        - [Miyato et al., 2018](https://arxiv.org/abs/1802.05957)
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, seed=None, **kwargs):
        if isinstance(layer, keras.layers.Layer):
            # The wrapper's outputs are the wrapped layer's: same dtype policy.
            kwargs.setdefault("dtype", layer.dtype_policy)
        super().__init__(layer, **kwargs)
        if (
            not isinstance(power_iterations, int)
            or isinstance(power_iterations, bool)
            or power_iterations < 1
        ):
            raise ValueError(
                "`power_iterations` should be a positive integer. "
                f"Received: `power_iterations={power_iterations}`"
            )
        if not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(
                f"`epsilon` should be a positive float. Received: `epsilon={epsilon}`"
            )
        if seed is not None and not isinstance(seed, int):
            raise ValueError(
                f"`seed` should be an integer or None. Received: `seed={seed}`"
            )
        self.power_iterations = power_iterations
        self.epsilon = epsilon
        self.seed = seed
        # The power iteration reads the kernel in float32; the wrapped layer
        # still autocasts under its own policy.
        self.autocast = False
        self._without_autocast = _WithoutAutocast()
        self._warned_training_unset = False

    def _kernel_variable(self):
        for name in ("kernel", "embeddings"):
            variable = getattr(self.layer, name, None)
            if isinstance(variable, keras.Variable):
                return variable
        raise ValueError(
            "`SpectralNormalization` needs a wrapped layer with a `kernel` or "
            "`embeddings` variable. Received: `layer` of class "
            f"{type(self.layer).__name__}, which has neither."
        )

    def build(self, input_shape):
        super().build(input_shape)
        kernel = self._kernel_variable()
        output_axis = -2 if isinstance(self.layer, TRANSPOSED_CONVOLUTIONS) else -1
        self.u = self.add_weight(
            shape=(kernel.shape[output_axis],),
            initializer=keras.initializers.RandomNormal(seed=self.seed),
            dtype="float32",
            trainable=False,
            autocast=False,
            # Every replica computes the same u from the same kernel.
            aggregation="only_first_replica",
            name="u",
        )

    def _kernel_matrix(self, kernel):
        if isinstance(self.layer, TRANSPOSED_CONVOLUTIONS):
            kernel = ops.moveaxis(kernel, -2, -1)  # [..spatial.., in, out]
        return ops.reshape(kernel, (-1, kernel.shape[-1]))  # [fan_in, out]

    def _normalize(self, vector):
        return vector / (ops.sqrt(ops.sum(ops.square(vector))) + self.epsilon)

    def _power_iteration(self, u):
        kernel_variable = self._kernel_variable()
        kernel = ops.cast(kernel_variable, "float32")
        # The matrix is W^T of the paper: v lives on its rows, u on its columns.
        kernel_matrix = self._kernel_matrix(kernel)  # [fan_in, out]
        for _ in range(self.power_iterations):
            v = self._normalize(ops.matmul(kernel_matrix, u))  # [fan_in]
            u = self._normalize(ops.matmul(v, kernel_matrix))  # [out]
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(v)
        sigma = ops.sum(v * ops.matmul(kernel_matrix, u))
        normalized_kernel = kernel / ops.maximum(sigma, self.epsilon)
        # The values the wrapped layer will see for each of its variables, all
        # read in float32; every one is mapped, so that nothing it reads falls
        # outside the stateless scope.
        values = [
            normalized_kernel
            if variable is kernel_variable
            else ops.convert_to_tensor(variable)
            for variable in self.layer.variables
        ]
        return values, u

    def call(self, inputs, training=None):
        if (
            training is None
            and not self._warned_training_unset
            and not in_symbolic_scope()  # Keras building a model: not a real call
        ):
            # Once per layer: a hand-written train step that calls D without
            # `training=True` (as many tutorials do) never advances `u`, so sigma
            # stays at its first, too small estimate and D is not 1-Lipschitz.
            self._warned_training_unset = True
            warnings.warn(
                f"SpectralNormalization {self.name!r} was called without a "
                "`training` argument, so it runs in inference mode: its power "
                "iteration does not advance and sigma(W) stays stale. Call the "
                "discriminator with `training=True` in a training step (`fit` "
                "does), or `training=False` for inference, to silence this.",
                stacklevel=1,  # Keras' call machinery lies between here and the user
            )
        values, u = self._without_autocast(self.u, function=self._power_iteration)
        state_mapping = list(zip(self.layer.variables, values, strict=True))
        with keras.StatelessScope(
            state_mapping=state_mapping, collect_losses=True
        ) as scope:
            outputs = self.layer(inputs, training=training)
        for variable in self.layer.non_trainable_variables:
            variable.assign(scope.get_current_value(variable))
        for loss in scope.losses:
            self.add_loss(loss)

        if training:
            self.u.assign(u)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "power_iterations": self.power_iterations,
            "epsilon": self.epsilon,
            "seed": self.seed,
        }
        return {**base_config, **config}
