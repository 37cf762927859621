"""`reproduce wgan-gp-figure1` and `reproduce wgan-gp-no-bn`: the critics' numbers
recomputed from the saved float16 critics with a NumPy MLP (values, input
gradients, the fraction of weights at ±c, AUC, the value surface), clipping's
bound on a freshly trained critic, the four configurations as built, FID and KID
recomputed from the saved sample PNGs with the library's metric code, and the
budgets.

The files, the schema of results.json shared by every reproduction and the
progress line are tested for every reproduction in test_reproductions.py, which
runs both quick runs."""

import json
import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import metrics, reproductions
from keras_gans.data import builtin
from keras_gans.reproductions import wgan_gp_figure1 as figure1
from keras_gans.reproductions import wgan_gp_no_bn as no_bn

pytestmark = pytest.mark.tensorflow_only

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "reproductions")
FIGURE1 = os.path.join(ROOT, figure1.NAME)
NO_BN = os.path.join(ROOT, no_bn.NAME)
# The authors' scale of each toy set (gan_toy.py): ring8 x 2 / 1.414, grid25 /
# 2.828, the Swiss roll as built in.
SCALES = {"ring8": 2.0 / 1.414, "grid25": 1.0 / 2.828, "swiss_roll": 1.0}


def _committed(folder):
    path = os.path.join(folder, reproductions.RESULTS_JSON)
    if not os.path.isfile(path):
        pytest.skip("the full run's folder is not in this checkout")
    with open(path) as file:
        return json.load(file)


# --- A NumPy MLP: the oracle of the critics' values and input gradients ------------


def _load_npz(path):
    with np.load(path) as saved:
        names = sorted(saved.files, key=lambda name: int(name[1:]))
        return [saved[name].astype("float64") for name in names]


def _mlp_values_and_gradients(weights, points):
    """D(x) and ∇_x D(x) of a ReLU MLP with a linear output, `[n]` and `[n, 2]`."""
    kernels, biases = weights[0::2], weights[1::2]
    h, masks = np.asarray(points, "float64"), []
    for kernel, bias in zip(kernels[:-1], biases[:-1], strict=True):
        z = h @ kernel + bias
        masks.append(z > 0)
        h = np.maximum(z, 0.0)
    values = (h @ kernels[-1] + biases[-1])[:, 0]
    gradient = np.broadcast_to(kernels[-1][:, 0], h.shape)
    for kernel, mask in zip(kernels[-2::-1], masks[::-1], strict=True):
        gradient = (gradient * mask) @ kernel.T
    return values, gradient


def _evaluation_points(dataset, seed, count):
    """real, fake = real + N(0, I), x̂ = εx + (1 - ε)x̃: drawn here from the
    module docstring's definition."""
    if dataset == "swiss_roll":
        real = builtin.swiss_roll("test")[0]
    else:
        real = builtin.mixture(dataset, "test")[0]
    real = (real * np.float32(SCALES[dataset]))[:count].astype("float64")
    rng = np.random.default_rng(1000 + seed)
    fake = real + rng.standard_normal(real.shape)
    epsilon = rng.uniform(size=(count, 1))
    return real, fake, epsilon * real + (1 - epsilon) * fake


def _pairwise_auc(real_values, fake_values):
    above = (real_values[:, None] > fake_values[None, :]).mean()
    ties = (real_values[:, None] == fake_values[None, :]).mean()
    return above + 0.5 * ties


def test_numpy_mlp_oracle_matches_the_keras_critic():
    # The oracle itself, against the Keras critic and its tape gradient.
    critic = figure1.build_critic(8, 3, seed=1)
    points = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    values, gradients = _mlp_values_and_gradients(
        [w.astype("float64") for w in critic.get_weights()], points
    )
    np.testing.assert_allclose(values, np.asarray(critic(points))[:, 0], rtol=1e-4)
    norms = figure1._gradient_norms(critic, points)
    np.testing.assert_allclose(norms, np.linalg.norm(gradients, axis=1), rtol=1e-4)


# --- Figure 1a / 1b right: the critics -----------------------------------------------


def test_clipping_bounds_every_critic_weight_and_the_penalty_does_not():
    points = (builtin.mixture("ring8", "train")[0] * SCALES["ring8"]).astype("float32")
    keras.utils.set_random_seed(0)
    for method in figure1.METHODS:
        critic = figure1.build_critic(16, 2, seed=0)
        initial = np.concatenate([np.ravel(w) for w in critic.get_weights()])
        assert np.abs(initial).max() > 10 * figure1.CLIP_VALUE  # He init: unbounded
        curve = figure1._train_critic(
            critic, method, points, 4, 2, seed=0, run_eagerly=True
        )
        assert [point["step"] for point in curve] == [2, 4]
        trained = np.concatenate([np.ravel(w) for w in critic.get_weights()])
        if method == "clip":
            assert np.abs(trained).max() <= figure1.CLIP_VALUE
            # The He-init weights beyond c were clipped to ±c; four RMSProp steps
            # of 5e-5 (at most about 1.6e-4 each) since move them little.
            beyond = np.abs(initial) > figure1.CLIP_VALUE + 1e-3
            assert np.abs(trained[beyond]).min() >= figure1.CLIP_VALUE - 1e-3
        else:
            assert np.abs(trained).max() > 10 * figure1.CLIP_VALUE
    weights = [np.array([0.01, -0.01, 0.00995, 0.0]), np.array([[-0.0098, 0.5]])]
    assert figure1.fraction_near_clip(weights) == pytest.approx(3 / 6)


def test_committed_figure1_numbers_are_recomputed_from_the_saved_critics():
    results = _committed(FIGURE1)
    assert results["quick"] is False
    assert results["budget"] == figure1.budget()
    budget = results["budget"]
    c = budget["clip_value"]
    axis = np.linspace(
        -budget["grid_range"], budget["grid_range"], budget["grid_points"]
    )
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    datasets = {slug: name for _, slug, name, _ in figure1.DATASETS}
    for record in results["seeds"]:
        by_key = {}
        for entry in record["critics"]:
            weights = _load_npz(os.path.join(FIGURE1, entry["critic"]))
            assert len(weights) == 2 * (budget["critic_depth"] + 1)
            flat = np.concatenate([np.ravel(w) for w in weights])
            near = np.mean(np.abs(np.abs(flat) - c) <= 0.01 * c)
            assert entry["fraction_near_clip"] == pytest.approx(near, abs=1e-12)
            assert entry["max_abs_weight"] == pytest.approx(np.abs(flat).max())
            assert entry["num_parameters"] == flat.size
            if entry["method"] == "clip":  # [-c, c], to float16's rounding of c
                assert np.abs(flat).max() <= float(np.float16(c))
            real, fake, interpolates = _evaluation_points(
                datasets[entry["slug"]], record["seed"], budget["num_evaluation_points"]
            )
            real_values, _ = _mlp_values_and_gradients(weights, real)
            fake_values, _ = _mlp_values_and_gradients(weights, fake)
            _, gradients = _mlp_values_and_gradients(weights, interpolates)
            norms = np.linalg.norm(gradients, axis=1)
            assert entry["mean_gradient_norm"] == pytest.approx(norms.mean(), rel=1e-3)
            assert entry["mean_gradient_norm_deviation"] == pytest.approx(
                np.mean(np.abs(norms - 1)), rel=1e-3
            )
            assert entry["wasserstein_estimate"] == pytest.approx(
                real_values.mean() - fake_values.mean(), rel=1e-3, abs=1e-7
            )
            assert entry["auc"] == pytest.approx(
                _pairwise_auc(real_values, fake_values), abs=2e-3
            )
            surface, _ = _mlp_values_and_gradients(weights, grid)
            for key, value in (
                ("min", surface.min()),
                ("max", surface.max()),
                ("mean", surface.mean()),
            ):
                assert entry["surface"][key] == pytest.approx(value, rel=1e-3, abs=1e-7)
            by_key[(entry["slug"], entry["method"])] = (near, norms)
        # Figure 1b right and the penalty's target, as measured on these critics:
        # clipping piles the weights at ±c, the penalty's gradient norms are the
        # nearer to 1.
        for slug in datasets:
            clip_near, clip_norms = by_key[(slug, "clip")]
            gp_near, gp_norms = by_key[(slug, "gp")]
            assert clip_near > 0.5 > 0.05 > gp_near
            assert np.mean(np.abs(gp_norms - 1)) < np.mean(np.abs(clip_norms - 1))


def test_committed_deep_critics_have_one_norm_per_layer_at_each_measurement():
    results = _committed(FIGURE1)
    budget = results["budget"]
    steps = list(
        range(0, budget["deep_generator_steps"] + 1, budget["deep_measure_every"])
    )
    for record in results["seeds"]:
        assert [entry["configuration"] for entry in record["deep"]] == [
            "clip c=0.1",
            "clip c=0.01",
            "clip c=0.001",
            "gradient penalty",
        ]
        for entry in record["deep"]:
            assert [m["step"] for m in entry["measurements"]] == steps
            for measurement in entry["measurements"]:
                norms = measurement["gradient_norms"]
                assert len(norms) == budget["deep_depth"]
                assert all(np.isfinite(norms)) and min(norms) >= 0
    ratios = results["summary"]["deep_log10_first_over_last"]
    first = results["seeds"][0]["deep"][0]["measurements"]
    expected = np.mean(
        [np.log10(m["gradient_norms"][0] / m["gradient_norms"][-1]) for m in first[1:]]
    )
    if results["num_seeds"] == 1:
        assert ratios["clip c=0.1"]["mean"] == pytest.approx(expected)


def test_figure1_budget_and_published_claims():
    default = figure1.budget()
    assert default["critic_steps"] == default["steps"] == 2_000
    assert default["eval_every"] == 200
    assert default["deep_depth"] == 12 and default["deep_width"] == 512
    assert default["deep_clip_values"] == [0.1, 0.01, 0.001]
    assert figure1.paper_budget()["critic_steps"] == 500_000
    assert default["fraction_of_paper_critic_steps"] == pytest.approx(2_000 / 500_000)
    quick = figure1.budget(quick=True)
    assert quick["steps"] < 10 and quick["run_eagerly"] and not default["run_eagerly"]
    with pytest.raises(ValueError, match="`eval_every` should divide `steps`"):
        figure1.budget(steps=10, eval_every=3)
    published = figure1.PUBLISHED
    assert published["clip_values"] == [0.1, 0.01, 0.001]
    assert "explode or vanish" in published["figure_1b_left"]
    assert "extremes of the clipping range" in published["figure_1b_right"]


# --- wgan-gp-no-bn ---------------------------------------------------------------


def _conv_layers(model):
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    ]


@pytest.mark.parametrize("label", [entry[0] for entry in no_bn.CONFIGURATIONS])
def test_each_configuration_is_built_as_its_recipe(label):
    gan = no_bn.build_gan(label, seed=0)
    _, _, preset, generator = next(e for e in no_bn.CONFIGURATIONS if e[0] == label)
    g_layers = gan.generator.layers
    has_batch_norm = any(
        isinstance(layer, keras.layers.BatchNormalization) for layer in g_layers
    )
    filters = [layer.filters for layer in _conv_layers(gan.generator)][:-1]
    projection = next(
        layer for layer in g_layers if isinstance(layer, keras.layers.Dense)
    )
    if generator == "no_bn":
        assert not has_batch_norm
        assert filters == [32] and projection.units == 4 * 4 * 32
    else:
        assert has_batch_norm and projection.units == 4 * 4 * 64
    assert tuple(gan.generator.output_shape) == (None, 16, 16, 1)
    config = gan.get_compile_config()
    d_optimizer = config["d_optimizer"]["config"]
    d_layers = gan.discriminator.layers
    if preset == "wgan-gp":
        assert config["loss"]["config"]["name"] == "wasserstein"
        assert config["discriminator_steps"] == 5
        (penalty,) = config["penalties"]
        assert penalty["config"] == {"weight": 10.0, "one_sided": False}
        assert d_optimizer["learning_rate"] == pytest.approx(1e-4)
        assert d_optimizer["beta_1"] == 0.0
        assert d_optimizer["beta_2"] == 0.9
        assert any(
            isinstance(layer, keras.layers.LayerNormalization) for layer in d_layers
        )
        assert not any(
            isinstance(layer, keras.layers.BatchNormalization) for layer in d_layers
        )
    else:
        assert config["loss"]["config"]["name"] == "non_saturating"
        assert config["discriminator_steps"] == 1 and not config["penalties"]
        assert d_optimizer["learning_rate"] == pytest.approx(2e-4)
        assert d_optimizer["beta_1"] == 0.5
        assert any(
            isinstance(layer, keras.layers.BatchNormalization) for layer in d_layers
        )


def _read_png_samples(path, count):
    """The PNG's 8x8 tiles, row-major, as images in [-1, 1]: read here with PIL."""
    grid = np.asarray(Image.open(path))
    assert grid.dtype == np.uint8 and grid.ndim == 2
    tiles = [
        grid[top : top + 8, left : left + 8]
        for top in range(0, grid.shape[0], 8)
        for left in range(0, grid.shape[1], 8)
    ]
    return np.stack(tiles[:count])[..., None].astype("float32") / 127.5 - 1.0


def test_committed_no_bn_fid_and_kid_are_the_library_metrics_of_the_saved_samples():
    results = _committed(NO_BN)
    assert results["quick"] is False
    assert results["num_seeds"] == no_bn.DEFAULT_SEEDS
    assert results["budget"] == no_bn.budget()
    budget = results["budget"]
    features = metrics.DigitsFeatures()
    real = features.features_and_logits(builtin.digits("test")[0])[0]
    steps = list(range(budget["eval_every"], budget["steps"] + 1, budget["eval_every"]))
    kid_checked = 0
    for record in results["seeds"]:
        assert [run["method"] for run in record["runs"]] == budget["configurations"]
        for entry in [record["floor"], *record["runs"]]:
            images = _read_png_samples(
                os.path.join(NO_BN, entry["samples"]), budget["num_samples"]
            )
            assert images.shape == (budget["num_samples"], 8, 8, 1)
            fake = features.features_and_logits(images)[0]
            assert entry["fid"] == pytest.approx(
                metrics.frechet_distance(real, fake), rel=1e-6
            )
            if kid_checked < 3:  # KID (100 subsets, 1.6 s each): seed 0's floor
                # and no-BN runs
                kid_checked += 1
                kid, _ = metrics.kernel_inception_distance(
                    real,
                    fake,
                    num_subsets=budget["kid_subsets"],
                    subset_size=budget["kid_subset_size"],
                    seed=0,
                )
                assert entry["kid"] == pytest.approx(kid, rel=1e-6)
        for run in record["runs"]:
            assert [point["step"] for point in run["curve"]] == steps
            assert run["curve"][-1]["fid"] == pytest.approx(run["fid"], rel=1e-9)
    for label in budget["configurations"]:
        fids = [
            run["fid"]
            for record in results["seeds"]
            for run in record["runs"]
            if run["method"] == label
        ]
        assert results["summary"][label]["fid"]["mean"] == pytest.approx(np.mean(fids))
        assert results["summary"][label]["fid"]["std"] == pytest.approx(
            np.std(fids, ddof=1)
        )


def test_no_bn_budget_and_published_claim():
    default = no_bn.budget()
    assert default["steps"] == 500 and default["num_samples"] == 1_000
    assert default["eval_every"] == 100
    assert no_bn.paper_budget()["generator_iterations"] == 200_000
    assert default["fraction_of_paper_steps"] == pytest.approx(500 / 200_000)
    assert default["configurations"] == [e[0] for e in no_bn.CONFIGURATIONS]
    quick = no_bn.budget(quick=True)
    assert quick["steps"] < 10 and quick["run_eagerly"] and not default["run_eagerly"]
    assert "200K iterations" in no_bn.PUBLISHED["source"]
    with pytest.raises(ValueError, match="`configuration` should be one of"):
        no_bn.build_gan("NS-GAN, MLP G")
