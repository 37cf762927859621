"""The Gumbel-softmax (concrete) relaxation of a categorical sample."""

import keras
from keras import ops

# Uniform samples are drawn from [UNIFORM_EPSILON, 1 - UNIFORM_EPSILON], away
# from 0 and 1, so that -log(-log(u)) stays finite; 1e-6 is well above the
# float32 resolution near 1.
UNIFORM_EPSILON = 1e-6


@keras.saving.register_keras_serializable(package="keras_gans")
class GumbelSoftmax(keras.layers.Layer):
    """Draws a differentiable, approximately one-hot sample from categorical logits.

    A generator that outputs discrete tokens (text, class labels, quantised
    values) cannot pass gradients through `argmax`. The Gumbel-softmax replaces
    the sample by a continuous relaxation: with Gumbel noise
    g = -log(-log(u)), u ~ Uniform(0, 1), drawn independently for every logit,

        y = softmax((logits + g) / temperature)

    over the last axis. `argmax(logits + g)` is an exact sample of
    `softmax(logits)` (the Gumbel-max trick); as the temperature goes to 0, y
    approaches that one-hot sample, and as it grows, y approaches the uniform
    vector. With `hard=True` the forward pass returns the one-hot
    `argmax(y)` while the gradient is that of the soft sample y (the
    straight-through estimator), so the discriminator sees true one-hot inputs.

    Args:
        temperature: positive float, the softmax temperature. Low values give
            samples close to one-hot with high-variance gradients.
        hard: bool. If True, output the one-hot sample with the gradient of
            the soft sample (straight-through).
        sample_at_inference: bool. If True (the paper's behaviour), noise is
            drawn in inference too. If False, inference returns the
            noise-free `softmax(logits / temperature)` (one-hot of
            `argmax(logits)` when `hard=True`).
        seed: optional integer seed of the layer's `SeedGenerator`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor of unnormalised logits `[..., num_categories]`.
        training: bool, training or inference mode.

    Returns:
        A tensor of the shape of `inputs` whose last axis sums to 1.

    Example:

    >>> import numpy as np
    >>> logits = np.random.normal(size=(4, 10)).astype("float32")
    >>> tuple(GumbelSoftmax(temperature=0.5, hard=True)(logits).shape)
    (4, 10)

    Reference:
        Jang, Gu and Poole, "Categorical Reparameterization with
        Gumbel-Softmax", 2016. https://arxiv.org/abs/1611.01144
    """

    def __init__(
        self,
        temperature=1.0,
        hard=False,
        sample_at_inference=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, (int, float))
            or not temperature > 0
        ):
            raise ValueError(
                "`temperature` should be a positive number. "
                f"Received: `temperature={temperature}`"
            )
        if not isinstance(hard, bool):
            raise ValueError(f"`hard` should be a bool. Received: `hard={hard}`")
        if not isinstance(sample_at_inference, bool):
            raise ValueError(
                "`sample_at_inference` should be a bool. "
                f"Received: `sample_at_inference={sample_at_inference}`"
            )
        self.temperature = float(temperature)
        self.hard = hard
        self.sample_at_inference = sample_at_inference
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) < 1 or input_shape[-1] is None or input_shape[-1] < 2:
            raise ValueError(
                "`GumbelSoftmax` expects logits with a known last axis of at "
                f"least 2 categories. Received: input shape {input_shape}"
            )

    def call(self, inputs, training=None):
        logits = ops.cast(inputs, "float32")
        if training or self.sample_at_inference:
            uniform = keras.random.uniform(
                ops.shape(logits),
                minval=UNIFORM_EPSILON,
                maxval=1.0 - UNIFORM_EPSILON,
                dtype="float32",
                seed=self.seed_generator,
            )
            logits = logits - ops.log(-ops.log(uniform))
        soft_sample = ops.softmax(logits / self.temperature, axis=-1)
        if not self.hard:
            return ops.cast(soft_sample, self.compute_dtype)
        hard_sample = ops.one_hot(
            ops.argmax(soft_sample, axis=-1),
            ops.shape(soft_sample)[-1],
            dtype="float32",
        )
        # Forward: hard_sample exactly (soft - soft is exactly 0); backward: the
        # gradient of soft_sample.
        straight_through = hard_sample + (soft_sample - ops.stop_gradient(soft_sample))
        return ops.cast(straight_through, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "temperature": self.temperature,
            "hard": self.hard,
            "sample_at_inference": self.sample_at_inference,
            "seed": self.seed,
        }
        return {**base_config, **config}
