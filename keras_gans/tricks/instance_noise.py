"""Instance noise (T9): Gaussian noise on every discriminator input, annealed to 0.

Early in training the data and model distributions barely overlap, and a
discriminator can separate them perfectly, leaving the generator no useful gradient.
Adding N(0, σ²) noise to both real and generated images makes the two noisy
distributions overlap; annealing σ to 0 recovers the original problem.

Schedules (t = training step, T = `decay_steps`, σ0 = `initial_stddev`):
- "linear": σ_t = σ0 · max(0, 1 - t / T), 0 from step T on;
- "exponential": σ_t = σ0 · `final_fraction` ** (t / T), so σ_T = σ0 · final_fraction.

Reference: Sønderby et al. 2016, "Amortised MAP Inference for Image
Super-resolution", section 3.2 and appendix C, https://arxiv.org/abs/1610.04490;
Arjovsky & Bottou 2017, https://arxiv.org/abs/1701.04862
"""

import keras
from keras import ops

from keras_gans._checks import (
    check_choice,
    check_positive_integer,
    check_positive_number,
    check_rate,
)
from keras_gans.training import trainer
from keras_gans.training.component import StepComponent

__all__ = ["InstanceNoise"]

SCHEDULES = ("linear", "exponential")


@keras.saving.register_keras_serializable(package="keras_gans")
class InstanceNoise(StepComponent):
    """Annealed Gaussian noise on the discriminator's real and fake inputs (T9).

    As a step component (`GAN.compile(instance_noise=...)`) it perturbs every batch
    D sees, real and generated, with σ at the model's training step, and logs σ as
    "instance_noise".

    Args:
        initial_stddev: σ0, in the units of the images ([-1, 1]); 0.1 by default.
        decay_steps: T, the number of training steps of the schedule.
        schedule: "linear" (to 0 at step T) or "exponential".
        final_fraction: The exponential schedule's σ_T / σ0 (default 0.01).

    Example:

    >>> noise = InstanceNoise(initial_stddev=0.2, decay_steps=100)
    >>> [round(float(noise.stddev(step)), 3) for step in (0, 50, 100, 200)]
    [0.2, 0.1, 0.0, 0.0]
    """

    arguments = {"instance_noise": None}

    def __init__(
        self,
        initial_stddev=0.1,
        decay_steps=10_000,
        schedule="linear",
        final_fraction=0.01,
    ):
        initial_stddev = check_positive_number(initial_stddev, "initial_stddev")
        decay_steps = check_positive_integer(decay_steps, "decay_steps")
        schedule = check_choice(schedule, "schedule", SCHEDULES)
        final_fraction = check_rate(final_fraction, "final_fraction", include_low=False)
        self.initial_stddev = float(initial_stddev)
        self.decay_steps = decay_steps
        self.schedule = schedule
        self.final_fraction = float(final_fraction)

    def stddev(self, step):
        """σ at training step `step` (a number or a scalar tensor)."""
        progress = ops.cast(step, "float32") / self.decay_steps
        if self.schedule == "linear":
            return self.initial_stddev * ops.maximum(0.0, 1.0 - progress)
        return self.initial_stddev * ops.power(self.final_fraction, progress)

    def __call__(self, images, step, seed):
        """`images` plus N(0, σ_step²) noise (replica-aware draw)."""
        noise = trainer.normal_for_replica(tuple(ops.shape(images)), seed)
        return images + ops.cast(self.stddev(step) * noise, images.dtype)

    @classmethod
    def from_arguments(cls, instance_noise=None):
        """An `InstanceNoise`, or a number: its initial stddev."""
        return cls.from_option(
            instance_noise, "instance_noise", lambda stddev: cls(initial_stddev=stddev)
        )

    def log_names(self):
        return ["instance_noise"]

    def before_step(self, context):
        context.logs["instance_noise"] = self.stddev(context.model.training_steps)

    def discriminator_input(self, images, model):
        return self(images, model.training_steps, model.seed_generator)

    def get_config(self):
        return {
            "initial_stddev": self.initial_stddev,
            "decay_steps": self.decay_steps,
            "schedule": self.schedule,
            "final_fraction": self.final_fraction,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
