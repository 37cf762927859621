"""Bad input fails early with an error that names what was received and what is
expected: through the Python API and through the command line (`error: ...`, exit
code 1), before data is loaded, a run folder is written or metrics are lost."""

import dataclasses

import keras
import numpy as np
import pytest
from keras import ops

from keras_gans import GAN, architectures, cli, data, presets

pytestmark = pytest.mark.tensorflow_only


def _tiny_gan():
    return GAN(
        architectures.mlp_generator(latent_dim=4, output_dim=2, hidden_units=(4,)),
        architectures.mlp_discriminator(input_dim=2, hidden_units=(4,)),
        seed=0,
    )


def _compile_error(**options):
    with pytest.raises(ValueError) as error:
        _tiny_gan().compile(**options)
    return str(error.value)


# --- a: the preset path rejects what GAN.compile rejects ---------------------------


@pytest.mark.parametrize(
    "flags, options",
    [
        (["--single-loss", "--discriminator-steps", "5"], {"discriminator_steps": 5}),
        (["--single-loss", "--unrolled-steps", "3"], {"unrolled_steps": 3}),
        (["--single-loss", "--penalty", "clip"], {"penalties": ["clip"]}),
    ],
)
def test_single_loss_combinations_fail_on_the_command_line_as_in_compile(
    flags, options, tmp_path, capsys
):
    expected = _compile_error(single_loss=True, **options)
    out = tmp_path / "run"
    code = cli.main(["train", *flags, "--epochs", "1", "--out", str(out)])
    assert code == 1
    assert f"error: {expected}" in capsys.readouterr().err
    assert not out.exists()  # no config.json recording the ignored options


def test_feature_matching_with_unrolled_steps_fails_before_the_run_starts(
    tmp_path, capsys
):
    expected = _compile_error(feature_matching=True, unrolled_steps=2)
    out = tmp_path / "run"
    flags = ["--feature-matching", "--unrolled-steps", "2", "--out", str(out)]
    assert cli.main(["train", *flags]) == 1
    assert f"error: {expected}" in capsys.readouterr().err
    assert not out.exists()


# --- b: the discriminator's output is checked against the losses' contract ---------


class _BatchMean(keras.layers.Layer):
    """Averages over the batch: `[batch, 1]` -> `[1, 1]` (`keepdims`) or `[]`."""

    def __init__(self, keepdims, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = keepdims

    def call(self, inputs):
        if self.keepdims:
            return ops.mean(inputs, axis=0, keepdims=True)
        return ops.mean(inputs)

    def compute_output_shape(self, input_shape):
        return (1, 1) if self.keepdims else ()


def _discriminator(kind):
    points = keras.Input((2,))
    logits = keras.layers.Dense(1)(points)
    if kind == "two outputs":
        return keras.Model(points, [logits, keras.layers.Dense(3)(points)])
    return keras.Model(points, _BatchMean(keepdims=kind == "batch mean")(logits))


@pytest.mark.parametrize(
    "kind, received",
    [
        ("scalar", r"Received logits of shape \(\) for a batch of 8"),
        ("two outputs", r"Received 2 outputs of shapes \[\(8, 1\), \(8, 3\)\]"),
        ("batch mean", r"Received logits of shape \(1, 1\) for a batch of 8"),
    ],
)
@pytest.mark.parametrize("single_loss", [False, True])
def test_a_discriminator_breaking_the_logits_contract_is_named(
    kind, received, single_loss
):
    gan = GAN(
        architectures.mlp_generator(latent_dim=4, output_dim=2, hidden_units=(4,)),
        _discriminator(kind),
        seed=0,
    )
    gan.compile(single_loss=single_loss)
    points = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    with pytest.raises(ValueError, match="one tensor of logits.*" + received):
        gan.fit(data.from_array(points, batch_size=8), epochs=1, verbose=0)


def test_every_model_family_rejects_options_it_would_ignore_before_loading():
    inpainting = dataclasses.replace(
        presets.get("coarse-to-refine"), penalties=("gp",), generator_ema=0.99
    )
    with pytest.raises(
        ValueError, match="Coarse-to-refine inpainting .* no option `penalties`"
    ):
        presets.check(inpainting)
    for name in presets.PRESETS:  # the shipped recipes all pass
        presets.check(presets.get(name))


# --- j, k: batch and image sizes are checked against the recipe before loading -----


def test_a_batch_of_one_is_refused_with_the_reason(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--batch-size", "1", "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "error: `batch_size` should be at least 2: a GAN step compares" in error
    assert "Received: `batch_size=1` (command line: --batch-size)" in error
    assert "diversity" not in error and not out.exists()


def test_an_image_size_the_architecture_cannot_build_fails_at_once(
    tmp_path, capsys, monkeypatch
):
    def no_loading(*args, **kwargs):
        raise AssertionError("the data was loaded before the size was checked")

    monkeypatch.setattr(data, "load", no_loading)
    out = tmp_path / "run"
    assert cli.main(["train", "--image-size", "1000", "--out", str(out)]) == 1
    assert (
        "error: The 'dcgan' architecture (preset 'dcgan') builds images of size 8, "
        "16, 28, 32, 64. Received: `image_size=1000`" in capsys.readouterr().err
    )
    assert not out.exists()
