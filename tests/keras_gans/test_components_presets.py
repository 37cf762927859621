"""Step components reach the presets and the command line through the registry.

A preset's `GAN.compile` options are its fields named like the components'
arguments (`training.options.preset_options`); the families that take no GAN step
component refuse every such field; the progressive GAN takes the components that
its growing discriminator allows (unrolling, the single loss, instance noise,
consistency regularisation) and refuses packing and feature matching by their own
declaration.
"""

import dataclasses
import math

import numpy as np
import pytest

from keras_gans import cli, presets
from keras_gans.models.progressive_gan import ProgressiveGAN
from keras_gans.training import options as step_options
from keras_gans.tricks import InstanceNoise
from keras_gans.tricks.consistency_regularization import ConsistencyRegularization

pytestmark = pytest.mark.tensorflow_only


def test_preset_options_are_the_fields_named_like_component_arguments():
    preset = dataclasses.replace(
        presets.get("dcgan"), packing=2, consistency_regularization=10.0
    )
    options = step_options.preset_options(preset)
    preset_fields = {field.name for field in dataclasses.fields(presets.Preset)}
    assert set(options) == set(step_options.arguments()) & preset_fields
    assert options["packing"] == 2 and options["consistency_regularization"] == 10.0
    noisy = dataclasses.replace(preset, instance_noise=0.2)
    annealed = step_options.preset_options(noisy, total_steps=30)["instance_noise"]
    assert isinstance(annealed, InstanceNoise)
    assert (annealed.initial_stddev, annealed.decay_steps) == (0.2, 30)


def test_the_consistency_flag_reaches_the_compiled_gan():
    parser = cli.build_parser()
    arguments = parser.parse_args(["train", "--consistency-regularization", "5"])
    assert arguments.consistency_regularization == 5.0
    preset = dataclasses.replace(
        presets.get("dcgan"), consistency_regularization=5.0, width=4, latent_dim=4
    )
    gan = presets.build_gan(preset, (16, 16, 1), seed=0, total_steps=4)
    assert isinstance(gan.consistency_regularization, ConsistencyRegularization)
    assert gan.consistency_regularization.real_weight == 5.0


@pytest.mark.parametrize("preset_name", ["lapgan", "coarse-to-refine"])
def test_families_without_gan_step_components_refuse_every_component_field(
    preset_name,
):
    preset = dataclasses.replace(
        presets.get(preset_name), consistency_regularization=10.0
    )
    with pytest.raises(ValueError, match="no option `consistency_regularization`"):
        presets.check(preset)


@pytest.mark.parametrize(
    "options",
    [
        {"unrolled_steps": 1},
        {"single_loss": True},
        {"instance_noise": 0.1},
        {"consistency_regularization": 10.0},
    ],
    ids=["unrolled", "single_loss", "instance_noise", "consistency"],
)
def test_the_progressive_gan_trains_the_components_its_discriminator_allows(options):
    preset = dataclasses.replace(
        presets.get("progressive"), width=4, latent_dim=8, batch_size=4, **options
    )
    gan = presets.build_gan(preset, (16, 16, 1), seed=0, total_steps=10)
    assert isinstance(gan, ProgressiveGAN)
    gan.run_eagerly = True
    batch = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 1)).astype("float32")
    logs = gan.train_on_batch(batch, return_dict=True)
    assert all(math.isfinite(float(value)) for value in logs.values()), logs


@pytest.mark.parametrize(
    "options, reason",
    [
        ({"packing": 2}, "built for single images"),
        ({"feature_matching": True}, "change with the growth stage"),
    ],
)
def test_the_progressive_gan_refuses_what_its_discriminator_cannot_take(
    options, reason
):
    preset = dataclasses.replace(presets.get("progressive"), **options)
    (argument,) = options
    with pytest.raises(
        ValueError,
        match=f"`{argument}` is not available in a ProgressiveGAN: .*{reason}",
    ):
        presets.check(preset)
