"""`reproduce single-loss`: each configuration read from its preset and the built
GAN, the single-loss step's gradients against each player's own gradient (an
oracle written here: the losses by their formulas, the gradient penalty with its
own nested tape) on a tiny DCGAN for each loss, the summary against NumPy, the
budget, and the committed full run's FID and KID recomputed from its sample PNGs
with the library's metric code.

The files, the schema of results.json shared by every reproduction and the
progress line are tested for every reproduction in test_reproductions.py."""

import dataclasses
import json
import os
import statistics

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from PIL import Image

from keras_gans import GAN, architectures, metrics, presets, reproductions
from keras_gans.data import builtin
from keras_gans.reproductions import single_loss as sl

pytestmark = pytest.mark.tensorflow_only

LOSSES = ["NS-GAN", "hinge", "WGAN-GP"]
LOSS_NAMES = {"NS-GAN": "non_saturating", "hinge": "hinge", "WGAN-GP": "wasserstein"}
TOLERANCE = 1e-5  # relative, float32
COMMITTED = os.path.join(
    os.path.dirname(__file__), "..", "..", "reproductions", sl.NAME
)


# --- Each configuration, read from its preset and the built GAN ---------------------


@pytest.mark.parametrize("loss", LOSSES)
def test_both_schedules_are_the_same_preset_but_for_single_loss(loss):
    alternating = sl.configuration_preset(loss, "alternating")
    single = sl.configuration_preset(loss, "single-loss")
    assert (alternating.single_loss, single.single_loss) == (False, True)
    assert dataclasses.replace(single, single_loss=False) == alternating
    assert alternating.loss == LOSS_NAMES[loss]
    # One learning rate: the single loss has one optimizer for both players.
    assert alternating.d_learning_rate == alternating.g_learning_rate
    assert alternating.discriminator_steps == 1
    assert (alternating.image_size, alternating.batch_size) == (16, 64)
    if loss == "WGAN-GP":
        wgan_gp = presets.get("wgan-gp")
        assert dataclasses.replace(alternating, discriminator_steps=5) == wgan_gp
        assert alternating.penalties == ("gp",)
        assert alternating.discriminator_normalization == "layer"
        assert (alternating.beta_1, alternating.beta_2) == (0.0, 0.9)
    else:
        dcgan = dataclasses.replace(presets.get("dcgan"), loss=alternating.loss)
        assert alternating == dcgan
        assert alternating.penalties == ()
    if loss == "NS-GAN":  # its single-loss form is the one-step preset
        one_step = presets.get("one-step")
        assert (
            dataclasses.replace(
                single, name=one_step.name, description=one_step.description
            )
            == one_step
        )


def test_the_built_gans_start_from_the_same_weights_with_their_optimizers():
    loss = "WGAN-GP"  # the one with a penalty and its own Adam hyperparameters
    gans = {}
    for schedule in sl.SCHEDULES:
        keras.utils.set_random_seed(0)  # as the run builds them
        gans[schedule] = sl.build_gan(loss, schedule, seed=0)
    alternating, single = gans["alternating"], gans["single-loss"]
    assert (alternating.single_loss, single.single_loss) == (False, True)
    assert single.optimizer is not None and single.d_optimizer is None
    recipe = sl.configuration_preset(loss, "alternating")
    optimizers = [alternating.d_optimizer, alternating.g_optimizer, single.optimizer]
    for optimizer in optimizers:
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(recipe.d_learning_rate)
        assert (optimizer.beta_1, optimizer.beta_2) == (recipe.beta_1, recipe.beta_2)
    for network in ("generator", "discriminator"):
        weights = getattr(single, network).get_weights()
        reference = getattr(alternating, network).get_weights()
        assert len(weights) == len(reference)
        for a, b in zip(weights, reference, strict=True):
            np.testing.assert_array_equal(a, b)
    penalties = [type(c).__name__ for c in single.components if c.role != "schedule"]
    assert penalties == ["GradientPenalty"]


def test_unknown_loss_or_schedule_lists_the_valid_ones():
    with pytest.raises(ValueError, match="NS-GAN, hinge, WGAN-GP.*`loss='lsgan'`"):
        sl.configuration_preset("lsgan", "alternating")
    with pytest.raises(ValueError, match="alternating, single-loss.*`schedule='x'`"):
        sl.configuration_preset("hinge", "x")
    with pytest.raises(ValueError, match="single-loss preset"):
        sl.gradient_check(None, sl.configuration_preset("hinge", "alternating"), None)


# --- The gradients of one single-loss step ------------------------------------------


class _Recorder(keras.optimizers.Optimizer):
    """Keeps the gradients it is given; the variables are left as they were."""

    def __init__(self):
        super().__init__(learning_rate=0.0, name="recorder")

    def build(self, variables):
        super().build(variables)
        self.kept = [self.add_variable_from_reference(v, "kept") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        self.kept[self._get_variable_index(variable)].assign(gradient)


def _d_loss(name, real, fake):
    if name == "non_saturating":  # -log σ(l_r) - log(1 - σ(l_f))
        return tf.reduce_mean(tf.nn.softplus(-real)) + tf.reduce_mean(
            tf.nn.softplus(fake)
        )
    if name == "hinge":
        return tf.reduce_mean(tf.nn.relu(1.0 - real)) + tf.reduce_mean(
            tf.nn.relu(1.0 + fake)
        )
    return tf.reduce_mean(fake) - tf.reduce_mean(real)  # the critic's


def _g_loss(name, fake):
    if name == "non_saturating":  # -log σ(l_f)
        return tf.reduce_mean(tf.nn.softplus(-fake))
    return -tf.reduce_mean(fake)  # hinge and Wasserstein


def _gradient_penalty(critic, real, fake, epsilon):
    """10 · mean((‖∇ D(x̂)‖ - 1)²), x̂ = ε x + (1 - ε) x_g (Gulrajani et al.)."""
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = tf.reduce_sum(critic(interpolates, training=True))
    gradients = tape.gradient(scores, interpolates)  # [batch, 8, 8, 1]
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]) + 1e-10)
    return 10.0 * tf.reduce_mean(tf.square(norms - 1.0))


def _relative(measured, expected):
    difference = max(
        np.max(np.abs(np.asarray(m) - np.asarray(e)))
        for m, e in zip(measured, expected, strict=True)
    )
    return difference / max(np.max(np.abs(np.asarray(e))) for e in expected)


def _tiny_gan(loss):
    normalization = "layer" if loss == "WGAN-GP" else "batch"
    generator = architectures.dcgan_generator(
        image_size=8, channels=1, latent_dim=4, width=4, seed=1
    )
    discriminator = architectures.dcgan_discriminator(
        image_size=8, channels=1, width=4, normalization=normalization, seed=2
    )
    return GAN(generator, discriminator, latent_dim=4, seed=3)


@pytest.mark.parametrize("loss", LOSSES)
def test_one_single_loss_step_gives_each_player_its_own_gradient(loss):
    name = LOSS_NAMES[loss]
    gan = _tiny_gan(loss)
    recorder = _Recorder()
    gan.compile(
        optimizer=recorder,
        loss=name,
        single_loss=True,
        penalties=["gp"] if loss == "WGAN-GP" else [],
    )
    real = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    generator, critic = gan.generator, gan.discriminator
    state = np.asarray(gan.seed_generator.state)
    weights = [np.asarray(v) for v in gan.trainable_variables]
    gan.train_on_batch(real)  # the compiled single-loss step
    for variable, before in zip(gan.trainable_variables, weights, strict=True):
        np.testing.assert_array_equal(np.asarray(variable), before)
    recorded = {
        id(v): np.asarray(recorder.kept[recorder._get_variable_index(v)])
        for v in gan.trainable_variables
    }
    # The step's draws, replayed: the latents, then the penalty's ε.
    gan.seed_generator.state.assign(state)
    latents = keras.random.normal((8, 4), seed=gan.seed_generator)
    epsilon = keras.random.uniform((8, 1, 1, 1), seed=gan.seed_generator)

    # Each player's own loss, each with its own tape, from the same weights.
    with tf.GradientTape() as tape:
        fake = tf.stop_gradient(generator(latents, training=True))
        d_loss = _d_loss(name, critic(real, training=True), critic(fake, training=True))
        if loss == "WGAN-GP":
            d_loss += _gradient_penalty(critic, real, fake, epsilon)
    d_expected = tape.gradient(d_loss, critic.trainable_variables)
    with tf.GradientTape() as tape:
        g_loss = _g_loss(name, critic(generator(latents, training=True), training=True))
    g_expected = tape.gradient(g_loss, generator.trainable_variables)
    d_measured = [recorded[id(v)] for v in critic.trainable_variables]
    g_measured = [recorded[id(v)] for v in generator.trainable_variables]
    assert _relative(d_measured, d_expected) < TOLERANCE
    assert _relative(g_measured, g_expected) < TOLERANCE

    # Simultaneous, not alternating: against D after a step of its own gradient,
    # G's gradient is another one.
    for variable, gradient in zip(critic.trainable_variables, d_expected, strict=True):
        variable.assign_sub(0.05 * gradient)
    with tf.GradientTape() as tape:
        g_loss = _g_loss(name, critic(generator(latents, training=True), training=True))
    g_after = tape.gradient(g_loss, generator.trainable_variables)
    assert _relative(g_measured, g_after) > 100 * TOLERANCE
    for variable, before in zip(gan.trainable_variables, weights, strict=True):
        variable.assign(before)

    # The reproduction's own check on the same GAN: within the tolerance, its
    # scale the largest component of the gradients computed here, and G's gradient
    # against the updated D far from it.
    gan.seed_generator.state.assign(state)  # the same draws again
    gan.compile(  # the check updates D with the GAN's own optimizer
        optimizer=keras.optimizers.Adam(1e-3),
        loss=name,
        single_loss=True,
        penalties=["gp"] if loss == "WGAN-GP" else [],
    )
    check = sl.gradient_check(gan, sl.configuration_preset(loss, "single-loss"), real)
    for player, expected in (("discriminator", d_expected), ("generator", g_expected)):
        assert check[player]["relative"] < TOLERANCE
        assert check[player]["relative_to_terms"] <= check[player]["relative"]
        assert check[player]["scale"] == pytest.approx(
            max(float(np.max(np.abs(e))) for e in expected), rel=1e-5
        )
    assert check["generator_vs_updated_discriminator"]["relative"] > 100 * TOLERANCE
    for variable, before in zip(gan.trainable_variables, weights, strict=True):
        np.testing.assert_array_equal(np.asarray(variable), before)


def test_gradient_recorder_keeps_the_gradient_and_the_weights():
    variable = keras.Variable(np.array([1.0, -2.0, 3.0], "float32"))
    recorder = sl.GradientRecorder()
    x = np.array([0.5, 4.0, -1.0], "float32")
    with tf.GradientTape() as tape:
        loss = ops.sum(variable * variable * x)  # ∂/∂v = 2 v x
    recorder.apply_gradients([(tape.gradient(loss, variable), variable)])
    np.testing.assert_allclose(recorder.gradient(variable), 2 * variable.numpy() * x)
    np.testing.assert_array_equal(variable.numpy(), [1.0, -2.0, 3.0])


# --- The summary and the budget ------------------------------------------------------


def _seed_record(seed, rng):
    runs = [
        {"loss": loss, "schedule": schedule, "fid": rng.uniform(5, 50), "kid": 1.0}
        for loss in LOSSES
        for schedule in sl.SCHEDULES
    ]
    losses = [
        {
            "loss": loss,
            "step_time_ratio": rng.uniform(0.5, 2),
            "gradient_check": {
                player: {
                    "relative": rng.uniform(0, 1e-5),
                    "relative_to_terms": rng.uniform(0, 1e-6),
                }
                for player in (
                    "discriminator",
                    "generator",
                    "generator_vs_updated_discriminator",
                )
            },
        }
        for loss in LOSSES
    ]
    return {
        "seed": seed,
        "floor": {"fid": 3.0, "kid": -1.0},
        "runs": runs,
        "losses": losses,
    }


def _check_summary(records, summary):
    """The summary is the mean and standard deviation (ddof 1) over seeds of the
    per-seed numbers."""
    for loss in LOSSES:
        entry = summary["losses"][loss]
        fids = {
            schedule: [
                run["fid"]
                for record in records
                for run in record["runs"]
                if run["loss"] == loss and run["schedule"] == schedule
            ]
            for schedule in sl.SCHEDULES
        }
        for schedule in sl.SCHEDULES:
            assert entry[schedule]["fid"]["mean"] == pytest.approx(
                np.mean(fids[schedule])
            )
            assert entry[schedule]["fid"]["std"] == pytest.approx(
                np.std(fids[schedule], ddof=1)
            )
            assert entry[schedule]["fid"]["n"] == len(records)
        differences = np.subtract(fids["single-loss"], fids["alternating"])
        assert entry["fid_difference"]["mean"] == pytest.approx(differences.mean())
        assert entry["fid_difference"]["std"] == pytest.approx(
            np.std(differences, ddof=1)
        )
        per_loss = [
            next(e for e in record["losses"] if e["loss"] == loss) for record in records
        ]
        ratios = [e["step_time_ratio"] for e in per_loss]
        assert entry["step_time_ratio"]["mean"] == pytest.approx(np.mean(ratios))
        for player, values in entry["max_relative_gradient_difference"].items():
            for measure in ("relative", "relative_to_terms"):
                assert values[measure] == max(
                    e["gradient_check"][player][measure] for e in per_loss
                )


def test_summary_is_mean_and_std_over_seeds():
    rng = np.random.default_rng(0)
    records = [_seed_record(seed, rng) for seed in range(3)]
    summary = sl.summarise(records)
    _check_summary(records, summary)
    assert summary[sl.FLOOR]["fid"]["mean"] == 3.0
    assert summary[sl.FLOOR]["fid"]["std"] == 0.0


def test_budget():
    default = sl.budget()
    assert default["steps"] == 770  # 35 epochs x 22 batches of 64 of 1,437 digits
    assert default["epochs"] == 35
    assert default["eval_every"] == 154
    assert default["num_samples"] == 1_000
    assert default["losses"] == LOSSES
    assert default["gradient_tolerance"] == TOLERANCE
    paper = sl.paper_budget()
    assert paper["steps"] == 1_000 * 469  # 1,000 epochs of ceil(30,000 / 64) batches
    assert default["fraction_of_paper_steps"] == pytest.approx(770 / 469_000)
    quick = sl.budget(quick=True)
    assert quick["steps"] < 10 and quick["timing_repeats"] < default["timing_repeats"]
    assert sl.budget(steps=7)["eval_every"] == 1
    with pytest.raises(ValueError, match="`eval_every` should divide `steps`"):
        sl.budget(steps=10, eval_every=3)
    with pytest.raises(ValueError, match="`steps` should be a positive integer"):
        sl.budget(steps=0)


# --- The committed full run ---------------------------------------------------------


def _read_png_samples(path, count):
    """The PNG's 8x8 tiles, row-major, as images in [-1, 1]: read here with PIL."""
    grid = np.asarray(Image.open(path))
    assert grid.dtype == np.uint8 and grid.ndim == 2  # 8-bit grayscale
    size = 8  # the digits' side
    tiles = [
        grid[top : top + size, left : left + size]
        for top in range(0, grid.shape[0], size)
        for left in range(0, grid.shape[1], size)
    ]
    return np.stack(tiles[:count])[..., None].astype("float32") / 127.5 - 1.0


@pytest.fixture(scope="module")
def committed():
    path = os.path.join(COMMITTED, reproductions.RESULTS_JSON)
    if not os.path.isfile(path):
        pytest.skip("the full run's folder is not in this checkout")
    with open(path) as file:
        return json.load(file)


def test_committed_run_is_the_default_budget_and_its_summary(committed):
    assert committed["quick"] is False
    assert committed["num_seeds"] == sl.DEFAULT_SEEDS
    assert committed["budget"] == sl.budget()
    _check_summary(committed["seeds"], committed["summary"])
    size = sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(COMMITTED)
        for name in names
    )
    assert size < 1.5e6


def test_committed_gradient_checks_and_step_times(committed):
    budget = committed["budget"]
    for record in committed["seeds"]:
        assert [entry["loss"] for entry in record["losses"]] == LOSSES
        for entry in record["losses"]:
            check = entry["gradient_check"]
            # D's gradient sums terms that cancel: float32 rounding scales with
            # the largest of them. G's has one term.
            assert check["discriminator"]["relative_to_terms"] < TOLERANCE
            assert (
                check["discriminator"]["terms_scale"]
                >= (check["discriminator"]["scale"])
            )
            assert check["generator"]["relative"] < TOLERANCE
            assert (
                check["generator_vs_updated_discriminator"]["relative"]
                > 100 * TOLERANCE
            )
            times = entry["step_time_s"]
            assert set(times) == set(sl.SCHEDULES)
            assert all(len(t) == budget["timing_repeats"] for t in times.values())
            assert entry["step_time_ratio"] == pytest.approx(
                statistics.median(times["single-loss"])
                / statistics.median(times["alternating"])
            )


def test_committed_fid_and_kid_are_the_library_metrics_of_the_saved_samples(
    committed,
):
    budget = committed["budget"]
    features = metrics.DigitsFeatures()
    real = features.features_and_logits(builtin.digits("test")[0])[0]
    # FID of every saved PNG; KID (100 subsets, 1.5 s each) of the floor and of
    # the first and last run of the first seed.
    first = committed["seeds"][0]
    with_kid = {id(first["floor"]), id(first["runs"][0]), id(first["runs"][-1])}
    for record in committed["seeds"]:
        entries = [record["floor"], *record["runs"]]
        for run in record["runs"]:
            # The last point of the curve is the final FID: the same samples.
            assert run["curve"][-1]["step"] == budget["steps"]
            assert run["curve"][-1]["fid"] == pytest.approx(run["fid"], rel=1e-9)
        for entry in entries:
            images = _read_png_samples(
                os.path.join(COMMITTED, entry["samples"]), budget["num_samples"]
            )
            assert images.shape == (budget["num_samples"], 8, 8, 1)
            fake = features.features_and_logits(images)[0]
            assert entry["fid"] == pytest.approx(
                metrics.frechet_distance(real, fake), rel=1e-6
            )
            if id(entry) not in with_kid:
                continue
            kid, kid_std = metrics.kernel_inception_distance(
                real,
                fake,
                num_subsets=budget["kid_subsets"],
                subset_size=budget["kid_subset_size"],
                seed=0,
            )
            assert entry["kid"] == pytest.approx(kid, rel=1e-6)
            assert entry["kid_std"] == pytest.approx(kid_std, rel=1e-6)
