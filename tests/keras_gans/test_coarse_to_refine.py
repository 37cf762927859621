"""Coarse-to-refine inpainting GAN (A8) with the T22 losses.

Oracles: the composite `m g + (1 - m) x` written in NumPy (known pixels exact, holes
`hole_size`² squares); the coarse stage's L1 falling on digits while the gated
refinement and discriminator weights stay put; each logged T22 term equal to the
`keras_gans.image_losses` function recomputed here on the same tensors (pre-step
weights); save/load giving identical completions and the same step count; the
held-out hole L1 of `evaluate` equal to the NumPy mean over a centre hole of
`complete`'s output; the `coarse-to-refine` preset's run folder (completion grids,
val_hole_l1) and its `sample` and `evaluate` commands.
"""

import os

import keras
import numpy as np
import pytest
from keras_test_case import mirrored_strategy, replica_values
from PIL import Image

from keras_gans import cli, image_losses, presets, training_run
from keras_gans.architectures import coarse_to_refine as networks
from keras_gans.data import load_arrays
from keras_gans.models import CoarseToRefineGAN

pytestmark = pytest.mark.tensorflow_only

SIZE = 16
HOLE = 6


def _digits(count):
    images, _ = load_arrays("digits", "train", image_size=SIZE)
    return images[:count].astype("float32")  # [count, 16, 16, 1] in [-1, 1]


def _feature_model():
    inputs = keras.Input((SIZE, SIZE, 1))
    features = keras.layers.Conv2D(
        3, 3, kernel_initializer=keras.initializers.RandomNormal(seed=5)
    )(inputs)
    return keras.Model(inputs, features)


def _gan(width=4, **kwargs):
    return CoarseToRefineGAN(
        networks.coarse_generator(SIZE, 1, width, seed=0),
        networks.refine_generator(SIZE, 1, width, seed=1),
        networks.inpainting_discriminator(SIZE, 1, width, seed=2),
        hole_size=HOLE,
        seed=0,
        **kwargs,
    )


def _weights(model):
    return [v.numpy().copy() for v in model.trainable_variables]


def test_composite_keeps_known_pixels_and_masks_are_squares():
    gan = _gan()
    images = np.random.default_rng(0).uniform(-1, 1, (6, SIZE, SIZE, 1))
    masks = keras.ops.convert_to_numpy(gan.make_masks(6))
    assert set(np.unique(masks)) == {0.0, 1.0}
    np.testing.assert_array_equal(masks.sum(axis=(1, 2, 3)), HOLE * HOLE)
    for mask in masks[..., 0]:
        rows, columns = np.nonzero(mask)
        assert np.ptp(rows) == np.ptp(columns) == HOLE - 1  # one solid square
    completed = gan.complete(images.astype("float32"), masks)
    known = masks == 0
    np.testing.assert_array_equal(completed[known], images.astype("float32")[known])
    # The composite layer against its NumPy formula m g + (1 - m) x.
    generated = np.random.default_rng(1).uniform(-1, 1, images.shape)
    inputs = np.concatenate([(1 - masks) * images, masks], -1).astype("float32")
    composite = networks.MaskComposite()((generated.astype("float32"), inputs))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(composite),
        masks * generated + (1 - masks) * images,
        atol=1e-6,
    )


def test_centre_hole_position():
    masks = keras.ops.convert_to_numpy(_gan().make_masks(1, hole="centre"))[0, ..., 0]
    expected = np.zeros((SIZE, SIZE))
    start = (SIZE - HOLE) // 2
    expected[start : start + HOLE, start : start + HOLE] = 1
    np.testing.assert_array_equal(masks, expected)


def test_coarse_stage_alone_reduces_l1_and_gates_the_rest():
    images = _digits(64)
    gan = _gan(width=8, coarse_steps=1000, hole="centre")
    gan.compile(coarse_optimizer=keras.optimizers.Adam(3e-3))
    masks = gan.make_masks(len(images))

    def coarse_l1():
        coarse = gan.stage_outputs(images, masks)["coarse"]
        return float(np.mean(np.abs(images - keras.ops.convert_to_numpy(coarse))))

    before = coarse_l1()
    refine_before = _weights(gan.refine_generator)
    discriminator_before = _weights(gan.discriminator)
    gan.fit(images, batch_size=32, epochs=15, verbose=0, shuffle=False)  # 30 steps
    after = coarse_l1()
    assert after < 0.7 * before, (before, after)
    assert int(gan.training_step.numpy()) == 30
    for old, new in zip(refine_before, _weights(gan.refine_generator), strict=True):
        np.testing.assert_array_equal(old, new)
    for old, new in zip(discriminator_before, _weights(gan.discriminator), strict=True):
        np.testing.assert_array_equal(old, new)


def test_logged_losses_equal_image_losses_recomputed():
    images = _digits(8)
    feature_model = _feature_model()
    gan = _gan(hole="centre", feature_model=feature_model)
    gan.compile(
        loss="hinge",
        perceptual_weight=0.5,
        style_weight=2.0,
        total_variation_weight=0.1,
        run_eagerly=True,  # two steps: faster than tracing
    )
    outputs = gan.stage_outputs(images, gan.make_masks(len(images)))
    completed = outputs["completed"]
    expected = {
        "coarse_l1": image_losses.l1_reconstruction_loss(images, outputs["coarse"]),
        "refine_l1": image_losses.l1_reconstruction_loss(images, outputs["refined"]),
        "perceptual": image_losses.perceptual_loss(images, completed, feature_model),
        "style": image_losses.style_loss(
            feature_model(images), feature_model(completed)
        ),
        "total_variation": image_losses.total_variation_loss(completed),
    }
    history = gan.fit(images, batch_size=8, epochs=1, verbose=0)
    for name, value in expected.items():
        np.testing.assert_allclose(
            history.history[name][0], float(value), rtol=1e-4, err_msg=name
        )
    # A second step: every log present and finite.
    history = gan.fit(images, batch_size=8, epochs=1, verbose=0)
    assert sorted(history.history) == sorted(["d_loss", "g_loss", *expected])
    assert all(np.isfinite(values).all() for values in history.history.values())


def test_save_load_round_trip(tmp_path):
    images = _digits(8)
    gan = _gan(coarse_steps=5, feature_model=_feature_model())
    gan.compile(perceptual_weight=1.0, run_eagerly=True)
    gan.fit(images, batch_size=4, epochs=1, verbose=0)
    path = os.path.join(tmp_path, "c2r.keras")
    gan.save(path)
    restored = keras.saving.load_model(path)
    assert int(restored.training_step.numpy()) == 2
    assert restored.coarse_steps == 5
    np.testing.assert_array_equal(restored.complete(images), gan.complete(images))
    np.testing.assert_array_equal(
        restored.seed_generator.state.numpy(), gan.seed_generator.state.numpy()
    )


def test_mirrored_step_equals_single_device_step():
    images = _digits(8)

    def compiled(run_eagerly):
        gan = _gan()  # random holes: drawn for the global batch, sliced per replica
        gan.compile(
            coarse_optimizer=keras.optimizers.SGD(0.1),
            refine_optimizer=keras.optimizers.SGD(0.1),
            d_optimizer=keras.optimizers.SGD(0.1),
            l1_weight=1.0,
            run_eagerly=run_eagerly,
        )
        return gan

    single = compiled(run_eagerly=True)
    initial = [v.numpy().copy() for v in single.trainable_variables]
    single.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    with mirrored_strategy().scope():
        mirrored = compiled(run_eagerly=False)
    mirrored.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert any(
        not np.array_equal(v.numpy(), b)
        for v, b in zip(single.trainable_variables, initial, strict=True)
    )
    assert int(replica_values(mirrored.training_step)[0]) == 1
    for single_variable, mirrored_variable in zip(
        single.trainable_variables, mirrored.trainable_variables, strict=True
    ):
        replicas = replica_values(mirrored_variable)
        assert len(replicas) == 2, mirrored_variable.path
        np.testing.assert_array_equal(replicas[1], replicas[0])
        np.testing.assert_allclose(replicas[0], single_variable.numpy(), atol=1e-5)


def test_preset_builds_and_trains_one_step():
    preset = presets.get("coarse-to-refine")
    gan = presets.build_gan(preset, (SIZE, SIZE, 1), seed=0)
    assert isinstance(gan, CoarseToRefineGAN)
    gan.run_eagerly = True  # one step: faster than tracing
    history = gan.fit(_digits(4), batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["coarse_l1"][0])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [({"hole_size": SIZE}, "hole_size"), ({"hole": "corner"}, "hole")],
)
def test_invalid_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        CoarseToRefineGAN(
            networks.coarse_generator(SIZE, 1, 2),
            networks.refine_generator(SIZE, 1, 2),
            networks.inpainting_discriminator(SIZE, 1, 2),
            **kwargs,
        )


def test_style_without_feature_model_raises():
    with pytest.raises(ValueError, match="feature_model"):
        _gan().compile(style_weight=1.0)


def test_evaluate_reports_the_hole_l1_of_the_completion_and_the_coarse_stage():
    gan = _gan()
    gan.compile()
    images = _digits(8)
    # The oracle: the centre hole of side 6 in a 16x16 image starts at (5, 5).
    masks = np.zeros((8, SIZE, SIZE, 1), dtype="float32")
    masks[:, 5:11, 5:11] = 1.0
    completed = gan.complete(images)
    inputs = np.concatenate([(1 - masks) * images, masks], axis=-1)
    coarse = gan.coarse_generator.predict(inputs, verbose=0)
    coarse_composite = masks * coarse + (1 - masks) * images

    def hole_l1(output):
        return np.sum(masks * np.abs(images - output)) / np.sum(masks)

    # Batches of 4: the tracker weights each batch by its hole pixels.
    logs = gan.evaluate(images, batch_size=4, verbose=0, return_dict=True)
    assert set(logs) == {"hole_l1", "coarse_hole_l1"}
    np.testing.assert_allclose(logs["hole_l1"], hole_l1(completed), rtol=1e-5)
    np.testing.assert_allclose(
        logs["coarse_hole_l1"], hole_l1(coarse_composite), rtol=1e-5
    )


def test_preset_run_folder_sample_and_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    _, history = training_run.train(
        "coarse-to-refine", out=str(out), epochs=1, width=4, seed=0, verbose=0
    )
    assert {"val_hole_l1", "val_coarse_hole_l1", "coarse_l1"} <= set(history.history)
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    assert "val_hole_l1" in (out / "metrics.csv").read_text().splitlines()[0]

    # 8 held-out images, one per row of 4 tiles; a tile is 16 pixels and a 1-pixel
    # border, upscaled 3 times (plotting's minimum of 48 pixels per tile).
    def tiles(count):
        return 3 * (count * (SIZE + 1) + 1)

    with Image.open(out / "samples" / "final.png") as grid:
        assert grid.size == (tiles(4), tiles(8))
    assert (out / "generator.keras").exists()

    picture = tmp_path / "completions.png"
    arguments = ["sample", "--model", str(out), "--num", "3", "--out", str(picture)]
    assert cli.main(arguments) == 0
    with Image.open(picture) as completions:
        assert completions.size == (tiles(4), tiles(3))
    assert cli.main([*arguments, "--truncation", "0.5"]) == 1
    assert "no latents" in capsys.readouterr().err
    assert cli.main(["evaluate", "--model", str(out)]) == 1
    assert "inpainting model" in capsys.readouterr().err
