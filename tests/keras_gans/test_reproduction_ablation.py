"""`reproduce improved-gan-ablation`: the six configurations and what each removes
(read from the built models), the quick run's layout, FID and KID recomputed from
the saved sample PNGs with the library's metric code, and the budget.

The files, the schema of results.json shared by every reproduction and the
progress line are tested for every reproduction in test_reproductions.py."""

import dataclasses
import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import metrics, presets, reproductions
from keras_gans.data import builtin
from keras_gans.reproductions import improved_gan_ablation as ablation

pytestmark = pytest.mark.tensorflow_only

QUICK_SEEDS = 2
METHODS = ["improved-gan", "-FM", "-MBD", "-LS", "-HA", "-VBN+BN"]
REMOVED = {
    "improved-gan": None,
    "-FM": "feature_matching",
    "-MBD": "minibatch_discrimination",
    "-LS": "label_smoothing",
    "-HA": "historical_averaging",
    "-VBN+BN": "virtual_batch_norm",
}
RUN_KEYS = {
    "method",
    "removed",
    "preset_changes",
    "techniques",
    "fid",
    "kid",
    "kid_std",
    "samples",
    "curve",
    "wall_time_s",
}


@pytest.fixture(scope="module")
def quick_run(quick_reproduction):
    """`reproduce improved-gan-ablation --quick --seeds 2` (the session's one
    run): (folder, results)."""
    run = quick_reproduction(ablation.NAME)
    assert run.code == 0, run.stdout
    return run.folder, run.results()


# --- What each configuration removes, read from the built models -------------------


def _layer_names(model):
    names = []
    for layer in model.layers:
        names.append(type(layer).__name__)
        if hasattr(layer, "layers"):
            names += _layer_names(layer)
    return names


def _present(gan):
    """The five techniques as the built GAN has them: compile options and layers."""
    options = gan.get_compile_config()
    generator_layers = _layer_names(gan.generator)
    return {
        "feature_matching": options["feature_matching"] is not None,
        "minibatch_discrimination": "MinibatchDiscrimination"
        in _layer_names(gan.discriminator),
        "label_smoothing": options["label_smoothing"] is not None,
        "historical_averaging": options["historical_averaging"] is not None,
        "virtual_batch_norm": "VirtualBatchNormalization" in generator_layers
        and "BatchNormalization" not in generator_layers,
    }


def _weights(model):
    return [np.asarray(weight) for weight in model.get_weights()]


def test_the_full_recipe_is_the_preset_with_its_five_techniques():
    preset = presets.get("improved-gan")
    assert ablation.configuration_preset("improved-gan") == preset
    gan = ablation.build_gan("improved-gan", seed=0)
    assert _present(gan) == dict.fromkeys(ablation.TECHNIQUES, True)
    options = gan.get_compile_config()
    assert options["label_smoothing"]["config"]["real_target"] == [0.9, 0.9]
    assert options["historical_averaging"]["config"]["weight"] == 1e-3
    discriminator = {type(layer).__name__: layer for layer in gan.discriminator.layers}
    assert discriminator["MinibatchDiscrimination"].num_kernels == 100


@pytest.mark.parametrize("method", METHODS[1:])
def test_each_configuration_removes_exactly_its_technique(method):
    # As the reproduction builds them: from the global seed (not every layer's
    # initialiser takes `seed`) and the seed.
    keras.utils.set_random_seed(0)
    full = ablation.build_gan("improved-gan", seed=0)
    keras.utils.set_random_seed(0)
    gan = ablation.build_gan(method, seed=0)
    expected = {name: name != REMOVED[method] for name in ablation.TECHNIQUES}
    assert _present(gan) == expected
    assert ablation.techniques(gan) == expected
    # The preset differs from improved-gan in the removed technique's field only.
    changed = {
        field
        for field, value in dataclasses.asdict(
            ablation.configuration_preset(method)
        ).items()
        if value != getattr(presets.get("improved-gan"), field)
    }
    fields = {name: changes for name, _, _, changes in ablation.CONFIGURATIONS}
    assert changed == set(fields[method])
    # The other options and the networks are the full recipe's: the same compile
    # options but the removed one, the same initial weights where the network is
    # untouched (G without VBN and D without minibatch discrimination differ).
    full_options, options = full.get_compile_config(), gan.get_compile_config()
    for key in ("d_optimizer", "g_optimizer"):  # the same but for their names
        full_optimizer, optimizer = full_options.pop(key), options.pop(key)
        del full_optimizer["config"]["name"], optimizer["config"]["name"]
        assert optimizer == full_optimizer
    differing = {key for key in full_options if full_options[key] != options[key]}
    compile_options = ("feature_matching", "label_smoothing", "historical_averaging")
    assert differing == ({REMOVED[method]} & set(compile_options))
    for network in ("generator", "discriminator"):
        touched = (network == "generator" and method == "-VBN+BN") or (
            network == "discriminator" and method == "-MBD"
        )
        full_weights = _weights(getattr(full, network))
        weights = _weights(getattr(gan, network))
        if touched:
            assert [w.shape for w in weights] != [w.shape for w in full_weights]
        else:
            assert len(weights) == len(full_weights)
            for a, b in zip(weights, full_weights, strict=True):
                np.testing.assert_array_equal(a, b)


def test_unknown_configuration_lists_the_valid_ones():
    with pytest.raises(ValueError, match="-VBN\\+BN.*Received: `method='-XY'`"):
        ablation.configuration_preset("-XY")


# --- The quick run ------------------------------------------------------------------


def test_quick_run_trains_every_configuration(quick_run):
    _, results = quick_run
    budget = results["budget"]
    steps = list(range(budget["eval_every"], budget["steps"] + 1, budget["eval_every"]))
    assert budget["configurations"] == METHODS
    for record in results["seeds"]:
        assert set(record["floor"]) == {"fid", "kid", "kid_std", "samples"}
        assert [run["method"] for run in record["runs"]] == METHODS
        for run in record["runs"]:
            assert set(run) == RUN_KEYS
            assert run["removed"] == REMOVED[run["method"]]
            # The model that was trained had exactly the configuration's techniques.
            assert run["techniques"] == {
                name: name != run["removed"] for name in ablation.TECHNIQUES
            }
            assert [point["step"] for point in run["curve"]] == steps
            # The last point of the curve is the final FID: the same samples.
            assert run["curve"][-1]["fid"] == pytest.approx(run["fid"], rel=1e-9)


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


def test_metrics_are_the_library_metrics_of_the_saved_samples(quick_run):
    folder, results = quick_run
    budget = results["budget"]
    features = metrics.DigitsFeatures()
    real_images = builtin.digits("test")[0]
    assert len(real_images) == budget["num_real_samples"]
    real = features.features_and_logits(real_images)[0]
    entries = []
    for record in results["seeds"]:
        entries += [record["floor"], *record["runs"]]
    for entry in entries:
        images = _read_png_samples(
            os.path.join(folder, entry["samples"]), budget["num_samples"]
        )
        assert images.shape == (budget["num_samples"], 8, 8, 1)
        fake = features.features_and_logits(images)[0]
        assert entry["fid"] == pytest.approx(
            metrics.frechet_distance(real, fake), rel=1e-6
        )
        kid, kid_std = metrics.kernel_inception_distance(
            real,
            fake,
            num_subsets=budget["kid_subsets"],
            subset_size=budget["kid_subset_size"],
            seed=0,
        )
        assert entry["kid"] == pytest.approx(kid, rel=1e-6)
        assert entry["kid_std"] == pytest.approx(kid_std, rel=1e-6)
    # The floor's PNG holds the first training digits, to the nearest 8-bit level.
    floor = _read_png_samples(
        os.path.join(folder, results["seeds"][0]["floor"]["samples"]),
        budget["num_samples"],
    )
    train = builtin.digits("train")[0][: budget["num_samples"]]
    np.testing.assert_allclose(floor, train, atol=0.5 / 127.5 + 1e-6)


def test_summary_is_mean_and_std_over_seeds(quick_run):
    _, results = quick_run
    summary = results["summary"]
    assert list(summary) == [ablation.FLOOR, *METHODS]
    for method in METHODS:
        runs = [
            run
            for record in results["seeds"]
            for run in record["runs"]
            if run["method"] == method
        ]
        for key in ("fid", "kid"):
            values = [run[key] for run in runs]
            assert summary[method][key]["mean"] == pytest.approx(np.mean(values))
            assert summary[method][key]["std"] == pytest.approx(
                np.std(values, ddof=1), abs=1e-12
            )
            assert summary[method][key]["n"] == QUICK_SEEDS
    floors = [record["floor"]["fid"] for record in results["seeds"]]
    assert summary[ablation.FLOOR]["fid"]["mean"] == pytest.approx(floors[0])
    assert summary[ablation.FLOOR]["fid"]["std"] == 0.0  # the same digits each seed


def test_published_rows_are_table3_and_marked_as_cifar_inception_scores(quick_run):
    folder, results = quick_run
    published = results["published"]
    assert [(row["row"], row["inception_score"]) for row in published["table3"]] == [
        ("Real data", 11.24),
        ("Our methods", 8.09),
        ("-VBN+BN", 7.54),
        ("-L+HA", 6.86),
        ("-LS", 6.83),
        ("-L", 4.36),
        ("-MBF", 3.87),
    ]
    rows = published["rows"]
    assert rows["-MBD"]["table3_row"] == "-MBF"
    assert rows["-VBN+BN"]["inception_score"] == 7.54
    assert rows["-FM"]["table3_row"] is None  # no Table 3 model has FM
    assert published["dataset"] == "CIFAR-10"
    with open(os.path.join(folder, reproductions.RESULTS_MD)) as file:
        markdown = file.read()
    assert "CIFAR-10 Inception Score" in markdown and "ordering" in markdown
    assert "| **-MBD** |" in markdown and "*3.87* |" in markdown
    # Published scores are never ours: our table's FID/KID cells are measured.
    fid = results["summary"]["-LS"]["fid"]
    assert f"| **-LS** | {fid['mean']:.2f} ± {fid['std']:.2f} |" in markdown
    assert results["command"] in markdown


# --- Samples file and budget --------------------------------------------------------


def test_samples_png_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1.2, 1.2, size=(45, 8, 8, 1)).astype("float32")
    path = str(tmp_path / "samples.png")
    ablation.save_samples(images, path)
    loaded = ablation.load_samples(path, len(images))
    assert loaded.shape == images.shape and loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, np.clip(images, -1, 1), atol=0.5 / 127.5 + 1e-6)
    # Pixels already on the 8-bit levels come back exactly.
    np.testing.assert_array_equal(ablation.load_samples(path, 45), loaded)
    ablation.save_samples(loaded, path)
    np.testing.assert_array_equal(ablation.load_samples(path, 45), loaded)
    np.testing.assert_array_equal(_read_png_samples(path, 45), loaded)


def test_budget():
    default = ablation.budget()
    assert default["steps"] == 1_100  # 50 epochs x 22 batches of 64 of 1,437 digits
    assert default["epochs"] == 50
    assert default["eval_every"] == 220
    assert default["num_samples"] == 1_000
    assert default["configurations"] == METHODS
    paper = ablation.paper_budget()
    assert paper["steps"] == 600_000  # 1,200 epochs x 50,000 / 100
    assert default["fraction_of_paper_steps"] == pytest.approx(1_100 / 600_000)
    quick = ablation.budget(quick=True)
    assert quick["steps"] < 10 and quick["configurations"] == METHODS
    assert ablation.budget(steps=7)["eval_every"] == 1
    with pytest.raises(ValueError, match="`eval_every` should divide `steps`"):
        ablation.budget(steps=10, eval_every=3)
    with pytest.raises(ValueError, match="`steps` should be a positive integer"):
        ablation.budget(steps=0)
