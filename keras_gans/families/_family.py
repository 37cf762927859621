"""`Family`: what one model family owns, with the behaviour most families share.

A family is a kind of model (the plain GAN, the conditional GAN, LAPGAN, ...). The
base class below is a GAN that samples images or points from latents; a family
overrides only what is its own. `keras_gans.families` holds one instance of each.
"""

import os

import keras
import numpy as np
from keras import ops

from keras_gans import callbacks as gan_callbacks
from keras_gans import data, plotting
from keras_gans._files import load_model_file
from keras_gans.latent import truncated_normal

__all__ = ["Family", "grid_latents", "load_generator", "optimizer"]

NUM_SAMPLE_LATENTS = 64  # Samples in every grid (an 8x8 grid).
SAMPLE_LATENT_SEED_OFFSET = 10_007  # The grid's latents differ from the training draws.
NUM_REFERENCE_POINTS = 2_500  # Real points under the 2-D scatter plots (M5's count).


def optimizer(learning_rate, preset):
    """The optimizer `preset.optimizer` names, with `learning_rate`."""
    if preset.optimizer == "adam":
        return keras.optimizers.Adam(
            learning_rate, beta_1=preset.beta_1, beta_2=preset.beta_2
        )
    if preset.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(
        f"Unknown optimizer {preset.optimizer!r}. Expected 'adam' or 'rmsprop'."
    )


def grid_latents(preset, latent_shape, seed):
    """The run's fixed grid latents, `[NUM_SAMPLE_LATENTS, *latent_shape]`, drawn
    with the truncation trick (T17) when `preset.truncation` is set."""
    sample_seed = SAMPLE_LATENT_SEED_OFFSET + (seed or 0)
    shape = (NUM_SAMPLE_LATENTS, *latent_shape)
    if preset.truncation is None:
        return np.random.default_rng(sample_seed).standard_normal(shape)
    return ops.convert_to_numpy(
        truncated_normal(shape, preset.truncation, seed=sample_seed)
    )


def load_generator(path):
    """The generator of a run folder, a `generator.keras`, or a saved GAN's `.keras`
    file (a `.h5`, truncated or non-model file fails with what it is)."""
    if os.path.isdir(path):
        candidate = os.path.join(path, "generator.keras")
        if not os.path.exists(candidate):
            raise ValueError(
                f"No generator.keras in {path!r}: is it a finished run folder? "
                "(an unfinished run has checkpoints in "
                f"{os.path.join(path, 'checkpoints')!r})"
            )
        path = candidate
    model = load_model_file(path)
    return getattr(model, "sampling_generator", model)


class Family:
    """One model family: the presets it takes and what it does with them.

    Attributes:
        name: The family's name (`keras_gans.families.get(name)`).
        description: One line for listings.
        model_class: The class of the model its builder returns (or None); an
            object of this class belongs to the family when no run config says.
        samples_from_latents: False for a model that completes given images
            instead of sampling latents: no latent evaluation, collapse check or
            interpolation during its run.
        evaluation_refusal: Why `keras_gans.evaluation.evaluate` does not apply to
            the family's models, or None when it does.
        schedules_over_run: True when the model's schedule spans the run's
            `epochs` (progressive growing), so a resumed run cannot change them.
    """

    name = None
    description = None
    model_class = None
    samples_from_latents = True
    evaluation_refusal = None
    schedules_over_run = False

    def takes(self, preset):
        """Whether `preset` selects this family (families are asked in the
        registry's order; the first that takes a preset has it)."""
        raise NotImplementedError

    def check(self, preset):
        """Raises a ValueError for fields of `preset` the family rejects, before
        any data is loaded or any network built."""
        raise NotImplementedError

    def build(self, preset, sample_shape, seed=None, total_steps=None):
        """The compiled model for `preset` and samples of `sample_shape`."""
        raise NotImplementedError

    def training_data(self, preset, *, batch_size, seed, out, data_dir, download):
        """`(train_data, validation_data)` of a run: `batch_size` samples per
        element (the discriminator steps of a generator step), validation_data
        None unless `fit` validates the model."""
        return (
            data.load(
                preset.dataset,
                batch_size=batch_size,
                seed=seed,
                image_size=preset.image_size,
                resize=preset.resize,
                data_dir=data_dir,
                download=download,
            ),
            None,
        )

    def sample_grid(self, preset, gan, sample_shape, directory, seed, train_data):
        """The callback that writes `samples/epoch_NNN.png` and `final.png`: fixed
        latents; 2-D points over the test split's."""
        reference_points = None
        if len(sample_shape) == 1:
            reference_points = data.load_arrays(preset.dataset, "test")[0][
                :NUM_REFERENCE_POINTS
            ]
        return gan_callbacks.SampleGrid(
            directory, grid_latents(preset, gan.latent_shape, seed), reference_points
        )

    def picture_callbacks(self, sample_shape, samples_directory, seed, tensorboard_dir):
        """The family's own pictures of a run: slerp interpolation strips for an
        image generator."""
        if len(sample_shape) != 3:
            return []
        return [
            gan_callbacks.InterpolationStrips(
                os.path.join(samples_directory, "interpolation.png"),
                seed=seed,
                tensorboard_dir=tensorboard_dir,
            )
        ]

    def write_artefacts(self, gan, out, write_atomically):
        """Writes the family's own files of a finished run to `out` (beside
        model.keras and generator.keras) with `write_atomically(path, save)`."""

    def sample(self, model_path, config, folder, *, num, out, seed, truncation):
        """Writes `num` samples from the generator saved at `model_path` to `out`
        (a grid or a scatter plot); `config` is its run's config.json ({} without
        one) and `folder` the run folder (or None). A generator with two inputs
        (latents, labels) draws classes 0, 1, ... in turn, one per column.
        Returns `out`."""
        generator = load_generator(model_path)
        conditional = len(getattr(generator, "inputs", None) or ()) == 2
        latent_shape = getattr(generator, "latent_shape", None) or tuple(
            generator.inputs[0].shape[1:] if conditional else generator.input_shape[1:]
        )
        if truncation is None:
            latents = np.random.default_rng(seed).standard_normal((num, *latent_shape))
        else:
            latents = truncated_normal((num, *latent_shape), truncation, seed=seed)
        latents = ops.convert_to_numpy(latents).astype("float32")
        if conditional:  # `[latents, labels]`: one class per column (T18).
            if config.get("num_classes") is None:
                raise ValueError(
                    f"{model_path!r} holds a conditional generator; sampling it needs "
                    "the number of classes from its run folder's config.json, and "
                    f"there is none with `num_classes` in or above {model_path!r}. "
                    "Pass the run folder."
                )
            num_classes = int(config["num_classes"])
            labels = np.arange(num, dtype="int32") % num_classes
            samples = generator.predict([latents, labels], verbose=0)
            plotting.save_image_grid(samples, out, columns=num_classes)
            return out
        samples = generator.predict(latents, verbose=0)
        plotting.save_samples(samples, out)
        return out

    def __repr__(self):
        return f"<model family {self.name!r}>"
