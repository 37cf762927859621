"""An exponential moving average of the generator's weights (T13).

Sampling from the average of the generator's recent weights instead of the last
iterate removes much of the oscillation of GAN training: Yazıcı et al. show it
consistently improves IS and FID, and StyleGAN and BigGAN sample, evaluate and export
the averaged generator. The update after every generator step is

    θ_ema ← β θ_ema + (1 - β) θ

and non-trainable weights (batch-norm moving statistics) are copied. β is given
directly (`decay`) or, as StyleGAN2 does, as a half-life in images: after
`half_life_images` generated images an old weight's share has halved, so
`β = 0.5 ** (global_batch_size / half_life_images)`, independent of the batch size.

Reference: Yazıcı et al. 2018, https://arxiv.org/abs/1806.04498; Karras et al. 2020
(StyleGAN2-ADA, `ema_kimg`), https://arxiv.org/abs/2006.06676
"""

import keras
from keras import ops

from keras_gans._checks import check_positive_number, check_rate
from keras_gans.training.component import StepComponent

__all__ = ["GeneratorEMA", "copy_model"]


@keras.saving.register_keras_serializable(package="keras_gans")
class GeneratorEMA(StepComponent):
    """The EMA-generator option of `GAN.compile` (T13).

    As a step component it keeps the copy as the GAN's `ema_generator` (which
    `generate`, `save_generator` and the evaluation callback then use) and updates
    it after every training step.

    Give exactly one of `decay` and `half_life_images`.

    Args:
        decay: β in [0, 1).
        half_life_images: The half-life in generated images (StyleGAN2 uses 10,000
            images for small datasets with batch 32-64).

    Example:

    >>> ema = GeneratorEMA(half_life_images=1000)
    >>> round(float(ema.beta(100)), 4)  # 0.5 ** (100 / 1000)
    0.933
    """

    arguments = {"generator_ema": None}

    def __init__(self, decay=None, half_life_images=None):
        if (decay is None) == (half_life_images is None):
            raise ValueError(
                "Give exactly one of `decay` and `half_life_images`. Received: "
                f"`decay={decay!r}`, `half_life_images={half_life_images!r}`."
            )
        if decay is not None:
            check_rate(decay, "decay")
        if half_life_images is not None:
            check_positive_number(half_life_images, "half_life_images")
        self.decay = None if decay is None else float(decay)
        self.half_life_images = (
            None if half_life_images is None else float(half_life_images)
        )

    def beta(self, global_batch_size):
        """β for one step over `global_batch_size` generated images."""
        if self.decay is not None:
            return ops.convert_to_tensor(self.decay, "float32")
        return ops.power(
            0.5, ops.cast(global_batch_size, "float32") / self.half_life_images
        )

    def update(self, ema_generator, generator, global_batch_size):
        """One EMA step of `ema_generator`'s weights towards `generator`'s."""
        beta = self.beta(global_batch_size)
        for average, weight in zip(
            ema_generator.weights, generator.weights, strict=True
        ):
            if weight.trainable:
                average.assign(
                    beta * average + (1.0 - beta) * ops.cast(weight, average.dtype)
                )
            else:
                average.assign(weight)

    @classmethod
    def from_arguments(cls, generator_ema=None):
        """A decay β, or a `GeneratorEMA`."""
        return cls.from_option(
            generator_ema, "generator_ema", lambda decay: cls(decay=decay)
        )

    def build(self, model):
        model.ema_generator = copy_model(model.generator, name="ema_generator")

    def after_step(self, context, global_batch_size):
        model = context.model
        self.update(model.ema_generator, model.generator, global_batch_size)

    def get_config(self):
        return {"decay": self.decay, "half_life_images": self.half_life_images}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def copy_model(model, name):
    """A new model with `model`'s architecture (rebuilt from its config) and a copy
    of its weights. Raises a clear error for a model without a config."""
    config = keras.saving.serialize_keras_object(model)
    config["config"] = {**config["config"], "name": name}
    try:
        copy = keras.saving.deserialize_keras_object(config)
    except (NotImplementedError, TypeError, ValueError) as error:
        raise ValueError(
            f"Could not copy the model {model.name!r} of type "
            f"{type(model).__name__} for the EMA generator: it must be rebuildable "
            "from its config (a Functional or Sequential model, or a subclass "
            f"with get_config/from_config). The error was: {error}"
        ) from error
    if not copy.built:
        copy.build(model.input_shape)
    copy.set_weights(model.get_weights())
    copy.trainable = False
    return copy
