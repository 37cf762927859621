"""Presets: each carries its paper's hyperparameters, builds the networks and options
it names, trains a step with finite logs, and is reachable from the command line."""

import dataclasses
import math

import keras
import numpy as np
import pytest
from keras_gans.layers import (
    MinibatchDiscrimination,
    SpectralNormalization,
    VirtualBatchNormGenerator,
)

from keras_gans import cli, data, penalties, presets, training_run

pytestmark = pytest.mark.tensorflow_only

REQUIRED = [
    "dcgan",
    "improved-gan",
    "wgan",
    "wgan-gp",
    "lsgan",
    "hinge",
    "ragan",
    "dragan",
    "r1",
    "sngan",
    "one-step",
    "unrolled",
    "pacgan",
]


def test_every_required_preset_exists_with_offline_data_and_a_citation():
    for name in REQUIRED:
        preset = presets.get(name)
        assert preset.dataset in data.BUILTIN_DATASETS, name
        assert "arXiv:" in preset.description or "github.com/" in preset.description


# The papers' numbers, written out here independently of presets.py.
PAPER_HYPERPARAMETERS = {
    "wgan": {  # Arjovsky et al. 2017, Algorithm 1
        "loss": "wasserstein",
        "optimizer": "rmsprop",
        "d_learning_rate": 5e-5,
        "discriminator_steps": 5,
        "penalties": ("clip",),
    },
    "wgan-gp": {  # Gulrajani et al. 2017, Algorithm 1
        "loss": "wasserstein",
        "d_learning_rate": 1e-4,
        "beta_1": 0.0,
        "beta_2": 0.9,
        "discriminator_steps": 5,
        "penalties": ("gp",),
        "discriminator_normalization": "layer",
    },
    "sngan": {"loss": "hinge", "discriminator_normalization": "spectral"},
    "hinge": {"d_learning_rate": 4e-4, "g_learning_rate": 1e-4, "beta_1": 0.0},
    "improved-gan": {
        "feature_matching": True,
        "label_smoothing": 0.9,
        "generator_normalization": "virtual_batch",
    },
    "unrolled": {"unrolled_steps": 5, "dataset": "ring8"},
    "pacgan": {"packing": 2, "dataset": "ring8"},
    "one-step": {"single_loss": True},
}


@pytest.mark.parametrize("name", sorted(PAPER_HYPERPARAMETERS))
def test_presets_carry_the_papers_hyperparameters(name):
    preset = presets.get(name)
    for field, value in PAPER_HYPERPARAMETERS[name].items():
        assert getattr(preset, field) == value, (name, field)


def _tiny(name):
    """The preset at test size: small networks, small batches."""
    preset = presets.get(name)
    return dataclasses.replace(
        preset, width=8 if preset.architecture == "dcgan" else 16, batch_size=8
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", REQUIRED)
def test_each_preset_builds_its_options_and_trains_a_step(name):
    preset = _tiny(name)
    shape = (2,) if preset.dataset == "ring8" else (16, 16, 1)
    gan = presets.build_gan(preset, shape, seed=0, total_steps=10)
    # The networks and options the preset names.
    d_layers = gan.discriminator.layers
    if preset.discriminator_normalization == "spectral":
        assert any(isinstance(layer, SpectralNormalization) for layer in d_layers)
    if preset.minibatch_kernels:
        assert any(isinstance(layer, MinibatchDiscrimination) for layer in d_layers)
    if preset.generator_normalization == "virtual_batch":
        assert isinstance(gan.generator, VirtualBatchNormGenerator)
    assert [p.name for p in gan.penalties] == [
        penalties.get(name).name for name in preset.penalties
    ]
    assert gan.single_loss == preset.single_loss
    assert gan.packing == preset.packing
    assert (gan.feature_model is not None) == preset.feature_matching
    # One step on random data in the data's range.
    steps = 1 if preset.single_loss else preset.discriminator_steps
    batch = np.random.default_rng(0).uniform(-1, 1, (8 * steps, *shape))
    logs = gan.train_on_batch(batch.astype("float32"), return_dict=True)
    assert all(math.isfinite(float(value)) for value in logs.values()), logs


def test_the_cli_passes_technique_flags_as_preset_fields(monkeypatch):
    received = {}

    def fake_train(**kwargs):
        received.update(kwargs)
        return None, None

    monkeypatch.setattr(training_run, "train", fake_train)
    code = cli.main(
        [
            "train",
            "--preset",
            "dcgan",
            "--penalty",
            "gp",
            "--penalty",
            "r1",
            "--discriminator-steps",
            "5",
            "--label-smoothing",
            "0.9",
            "--ema",
            "0.999",
            "--unrolled-steps",
            "3",
            "--packing",
            "2",
            "--d-lr",
            "4e-4",
            "--g-lr",
            "1e-4",
            "--d-normalization",
            "spectral",
            "--feature-matching",
        ]
    )
    assert code == 0
    assert received["penalties"] == ["gp", "r1"]
    assert received["discriminator_steps"] == 5
    assert received["label_smoothing"] == 0.9
    assert received["generator_ema"] == 0.999
    assert received["unrolled_steps"] == 3
    assert received["packing"] == 2
    assert (received["d_learning_rate"], received["g_learning_rate"]) == (4e-4, 1e-4)
    assert received["discriminator_normalization"] == "spectral"
    assert received["feature_matching"] is True
    # Flags not given do not override the preset.
    assert "single_loss" not in received and "instance_noise" not in received


def test_train_rejects_unknown_preset_fields(tmp_path):
    with pytest.raises(
        ValueError, match="Unknown preset fields: \\['gradient_penalty'\\]"
    ):
        training_run.train(out=str(tmp_path), gradient_penalty=10)


def test_instance_noise_preset_needs_the_run_length():
    preset = dataclasses.replace(presets.get("dcgan"), instance_noise=0.1, width=8)
    with pytest.raises(ValueError, match="pass `total_steps`"):
        presets.build_gan(preset, (16, 16, 1))
    gan = presets.build_gan(preset, (16, 16, 1), total_steps=100)
    assert gan.instance_noise.decay_steps == 100
    keras.backend.clear_session()


def test_single_loss_refuses_two_learning_rates():
    # One optimizer over both players: hinge's TTUR rates (4e-4 / 1e-4) cannot both
    # be honoured, and are refused rather than training G at D's rate.
    recipe = dataclasses.replace(presets.get("hinge"), single_loss=True)
    with pytest.raises(
        ValueError, match=r"d_learning_rate=0\.0004.*g_learning_rate=0\.0001"
    ):
        presets.check(recipe)
    equal = dataclasses.replace(recipe, g_learning_rate=recipe.d_learning_rate)
    presets.check(equal)
    gan = presets.build_gan(equal, (16, 16, 1), seed=0)
    assert float(gan.optimizer.learning_rate) == pytest.approx(equal.d_learning_rate)
