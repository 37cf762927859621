"""`reproduce stacked-digits`: each method's technique read from the compiled GAN,
the quick run's modes and KL recomputed from the saved samples with the library's
M6 metric, the saved modes, the published rows, the budget, and the committed
full run's numbers recomputed from its saved modes.

The files, the schema of results.json shared by every reproduction and the
progress line are tested for every reproduction in test_reproductions.py."""

import dataclasses
import json
import math
import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import metrics, presets, reproductions
from keras_gans.data import builtin
from keras_gans.reproductions import stacked_digits as stacked

pytestmark = pytest.mark.tensorflow_only

QUICK_SEEDS = 2
METHODS = ["DCGAN", "PacDCGAN2", "Unrolled GAN (5 steps)"]
# What each method is: (packing, unrolled steps, images per D step).
CONFIGURED = {
    "DCGAN": (1, 0, 64),
    "PacDCGAN2": (2, 0, 128),
    "Unrolled GAN (5 steps)": (1, 5, 64),
}
RUN_KEYS = {
    "method",
    "preset_changes",
    "packing",
    "unrolled_steps",
    "batch_size",
    "modes_captured",
    "kl",
    "samples",
    "modes",
    "curve",
    "wall_time_s",
}
COMMITTED = os.path.join(
    os.path.dirname(__file__), "..", "..", "reproductions", stacked.NAME
)


@pytest.fixture(scope="module")
def quick_run(quick_reproduction):
    """`reproduce stacked-digits --quick --seeds 2` (the session's one run): (folder,
    results)."""
    run = quick_reproduction(stacked.NAME)
    assert run.code == 0, run.stdout
    return run.folder, run.results()


# --- Each method as named, read from the compiled GAN -------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_each_method_is_the_dcgan_preset_with_its_technique(method):
    packing, unrolled_steps, batch_size = CONFIGURED[method]
    recipe = stacked.method_preset(method)
    # The dcgan preset on stacked digits, changed in the technique's fields only.
    dcgan = dataclasses.replace(presets.get("dcgan"), dataset="stacked_digits")
    changed = {
        field
        for field, value in dataclasses.asdict(recipe).items()
        if value != getattr(dcgan, field)
    }
    expected = {"DCGAN": set(), "PacDCGAN2": {"packing", "batch_size"}}
    assert changed == expected.get(method, {"unrolled_steps"})
    assert recipe.batch_size == batch_size
    keras.utils.set_random_seed(0)
    gan = stacked.build_gan(method, seed=0)
    options = gan.get_compile_config()
    assert options["packing"] == gan.packing == packing
    assert options["unrolled_steps"] == unrolled_steps
    # D reads a pack of `packing` stacked images: 3 channels each.
    assert gan.discriminator.input_shape == (None, 16, 16, 3 * packing)
    assert gan.generator.output_shape == (None, 16, 16, 3)


def test_the_networks_are_the_same_for_every_method():
    keras.utils.set_random_seed(0)
    generators = {}
    discriminators = {}
    for method in METHODS:
        keras.utils.set_random_seed(0)
        gan = stacked.build_gan(method, seed=0)
        generators[method] = [w.shape for w in gan.generator.get_weights()]
        discriminators[method] = [w.shape for w in gan.discriminator.get_weights()]
    assert generators["PacDCGAN2"] == generators["DCGAN"]
    assert generators["Unrolled GAN (5 steps)"] == generators["DCGAN"]
    assert discriminators["Unrolled GAN (5 steps)"] == discriminators["DCGAN"]
    # Packing widens D's first kernel from 3 to 6 input channels, nothing else.
    pac, plain = discriminators["PacDCGAN2"], discriminators["DCGAN"]
    assert pac[0][:2] == plain[0][:2] and (pac[0][2], plain[0][2]) == (6, 3)
    assert pac[1:] == plain[1:]


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match="PacDCGAN2.*Received: `method='GAN'`"):
        stacked.method_preset("GAN")


# --- The quick run ------------------------------------------------------------------


def test_quick_run_trains_every_method_as_configured(quick_run):
    _, results = quick_run
    budget = results["budget"]
    steps = list(range(budget["eval_every"], budget["steps"] + 1, budget["eval_every"]))
    assert budget["methods"] == METHODS
    for record in results["seeds"]:
        assert set(record["floor"]) == {"modes_captured", "kl", "samples", "modes"}
        assert [run["method"] for run in record["runs"]] == METHODS
        for run in record["runs"]:
            assert set(run) == RUN_KEYS
            # The compiled GAN that was trained had the method's technique.
            packing, unrolled_steps, batch_size = CONFIGURED[run["method"]]
            assert run["packing"] == packing
            assert run["unrolled_steps"] == unrolled_steps
            assert run["batch_size"] == batch_size
            assert [point["step"] for point in run["curve"]] == steps
            # The last point of the curve is the final result: the same latents.
            assert run["curve"][-1]["modes_captured"] == run["modes_captured"]
            assert run["curve"][-1]["kl"] == pytest.approx(run["kl"], rel=1e-12)


def _read_png_samples(path, count):
    """The PNG's 8x8 RGB tiles, row-major, as images in [-1, 1]: read with PIL."""
    grid = np.asarray(Image.open(path))
    assert grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 3
    size = stacked.DIGITS_SIZE
    tiles = [
        grid[top : top + size, left : left + size]
        for top in range(0, grid.shape[0], size)
        for left in range(0, grid.shape[1], size)
    ]
    return np.stack(tiles[:count]).astype("float32") / 127.5 - 1.0


def _kl_to_uniform(modes):
    """KL(q || uniform over 1,000) of the modes' histogram q, in nats."""
    counts = np.bincount(modes, minlength=1000)
    q = counts[counts > 0] / counts.sum()
    return float(np.sum(q * np.log(q * 1000)))


def _entries(results):
    for record in results["seeds"]:
        yield record["floor"]
        yield from record["runs"]


def test_modes_and_kl_are_the_library_metric_of_the_saved_samples(quick_run):
    folder, results = quick_run
    budget = results["budget"]
    assert budget["num_saved_samples"] == budget["num_samples"]  # all of them
    classifier = metrics.DigitsFeatures()
    for entry in _entries(results):
        images = _read_png_samples(
            os.path.join(folder, entry["samples"]), budget["num_samples"]
        )
        assert images.shape == (budget["num_samples"], 8, 8, 3)
        coverage = metrics.stacked_digits_mode_coverage(images, classifier)
        assert entry["modes_captured"] == coverage["classes_covered"]
        assert entry["kl"] == pytest.approx(coverage["kl_to_uniform"], rel=1e-9)
        # The saved modes are each sample's: the channels' digits, 100 c0 + 10 c1
        # + c2, in the order of the samples; their histogram is the metric's.
        channels = np.transpose(images, (0, 3, 1, 2)).reshape(-1, 8, 8, 1)
        digits = np.asarray(classifier.logits(channels)).argmax(axis=1)
        digits = digits.reshape(-1, 3)
        with np.load(os.path.join(folder, entry["modes"])) as saved:
            modes = saved["modes"]
        assert modes.dtype == np.uint16
        np.testing.assert_array_equal(modes, digits @ np.array([100, 10, 1]))
        np.testing.assert_array_equal(
            np.bincount(modes, minlength=1000), coverage["histogram"]
        )
        assert entry["kl"] == pytest.approx(_kl_to_uniform(modes), rel=1e-9)


def test_the_floor_is_the_held_out_stacked_digits(quick_run):
    folder, results = quick_run
    budget = results["budget"]
    floor = results["seeds"][0]["floor"]
    assert all(record["floor"] == floor for record in results["seeds"])
    images = _read_png_samples(
        os.path.join(folder, floor["samples"]), budget["num_samples"]
    )
    real, _ = builtin.stacked_digits(
        "test", num_samples=budget["num_samples"], seed=stacked.FLOOR_SEED
    )
    np.testing.assert_allclose(images, real, atol=0.5 / 127.5 + 1e-6)


def test_summary_is_mean_and_std_over_seeds(quick_run):
    _, results = quick_run
    summary = results["summary"]
    assert list(summary) == [stacked.FLOOR, *METHODS]
    for method in METHODS:
        runs = [
            run
            for record in results["seeds"]
            for run in record["runs"]
            if run["method"] == method
        ]
        for key, field in (("modes", "modes_captured"), ("kl", "kl")):
            values = [run[field] for run in runs]
            assert summary[method][key]["mean"] == pytest.approx(np.mean(values))
            assert summary[method][key]["std"] == pytest.approx(
                np.std(values, ddof=1), abs=1e-12
            )
            assert summary[method][key]["n"] == QUICK_SEEDS
    assert summary[stacked.FLOOR]["modes"]["std"] == 0.0


def test_published_rows_are_the_papers_and_marked_as_stacked_mnist(quick_run):
    folder, results = quick_run
    published = results["published"]
    tables = published["tables"]

    def row(table, name):
        (entry,) = [e for e in tables[table]["rows"] if e["row"] == name]
        return entry["modes"], entry["kl"]

    # Table 2 and Table 3 as the authors' repository prints them.
    assert row("table2", "DCGAN (PacGAN authors)") == ([78.9, 6.46], [4.50, 0.127])
    assert row("table2", "PacDCGAN2") == ([1000.0, 0.0], [0.06, 0.003])
    assert row("table2", "DCGAN [Radford et al.], from VEEGAN") == ([99.0], [3.40])
    assert row("table3_quarter", "PacDCGAN2") == ([484.5, 32.99], [2.61, 0.22])
    assert row("table3_quarter", "Unrolled GAN 5 steps, from Metz et al.") == (
        [236.4, 63.30],
        [4.67, 0.43],
    )
    assert row("table3_half", "PacDCGAN2") == ([840.7, 15.92], [1.00, 0.05])
    assert row("table3_half", "DCGAN, from Metz et al.") == (
        [628.0, 140.9],
        [2.58, 0.75],
    )
    for method in METHODS:  # every method of ours has a row in every table
        for table, name in published["rows"][method].items():
            row(table, name)
    assert published["dataset"] == "Stacked MNIST"
    with open(os.path.join(folder, reproductions.RESULTS_MD)) as file:
        markdown = file.read()
    assert "Stacked MNIST" in markdown and "none of them is ours" in markdown
    assert "*1000.0 ± 0.00 / 0.06 ± 0.003*" in markdown
    assert "| 628.0 ± 140.9 |" not in markdown  # published cells stay in italics
    # Our cells are measured: the summary's numbers.
    modes = results["summary"]["PacDCGAN2"]["modes"]
    kl = results["summary"]["PacDCGAN2"]["kl"]
    assert (
        f"| **PacDCGAN2** | {modes['mean']:.1f} ± {modes['std']:.1f} | "
        f"{kl['mean']:.3f} ± {kl['std']:.3f} |"
    ) in markdown
    assert results["command"] in markdown


# --- Samples file and budget --------------------------------------------------------


def test_samples_png_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(45, 8, 8, 3), dtype=np.uint8)
    path = str(tmp_path / "samples.png")
    stacked.save_samples(pixels, path)
    loaded = stacked.load_samples(path, len(pixels))
    assert loaded.shape == (45, 8, 8, 3) and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, pixels.astype("float32") / 127.5 - 1.0)
    np.testing.assert_array_equal(_read_png_samples(path, 45), loaded)


def test_budget():
    default = stacked.budget()
    assert default["steps"] == 1_200  # 3 passes of 25,600 images at 64 a step
    assert default["epochs"] == 3
    assert default["eval_every"] == 400
    assert default["num_samples"] == 26_000  # Table 2's sample count
    assert default["num_saved_samples"] == 64
    assert default["methods"] == METHODS
    assert stacked.DEFAULT_SEEDS == 5
    paper = stacked.paper_budget()
    assert paper["steps"] == 100_000  # 50 epochs x 128,000 / 64
    assert paper["num_samples"] == 26_000 and paper["table3_steps"] == 500_000
    assert default["fraction_of_paper_steps"] == pytest.approx(1_200 / 100_000)
    quick = stacked.budget(quick=True)
    assert quick["steps"] < 10 and quick["methods"] == METHODS
    assert quick["num_samples"] < 1_000
    assert stacked.budget(steps=7)["eval_every"] == 1
    with pytest.raises(ValueError, match="`eval_every` should divide `steps`"):
        stacked.budget(steps=10, eval_every=3)
    with pytest.raises(ValueError, match="`steps` should be a positive integer"):
        stacked.budget(steps=0)


# --- The committed full run ---------------------------------------------------------


def test_committed_run_is_the_default_budget_and_its_saved_modes():
    path = os.path.join(COMMITTED, reproductions.RESULTS_JSON)
    if not os.path.isfile(path):
        pytest.skip("the full run's folder is not in this checkout")
    with open(path) as file:
        results = json.load(file)
    assert results["quick"] is False
    assert results["num_seeds"] == stacked.DEFAULT_SEEDS
    assert results["budget"] == stacked.budget()
    for record in results["seeds"]:
        for run in record["runs"]:
            packing, unrolled_steps, _ = CONFIGURED[run["method"]]
            assert (run["packing"], run["unrolled_steps"]) == (
                packing,
                unrolled_steps,
            )
    classifier = metrics.DigitsFeatures()
    saved_count = results["budget"]["num_saved_samples"]
    for entry in _entries(results):
        with np.load(os.path.join(COMMITTED, entry["modes"])) as saved:
            modes = saved["modes"]
        assert len(modes) == results["budget"]["num_samples"]
        # The saved first samples are the first of those classified.
        images = _read_png_samples(os.path.join(COMMITTED, entry["samples"]), 64)
        assert len(images) == saved_count
        channels = np.transpose(images, (0, 3, 1, 2)).reshape(-1, 8, 8, 1)
        digits = np.asarray(classifier.logits(channels)).argmax(axis=1)
        np.testing.assert_array_equal(
            digits.reshape(-1, 3) @ np.array([100, 10, 1]), modes[:saved_count]
        )
        assert entry["modes_captured"] == len(np.unique(modes))
        assert entry["kl"] == pytest.approx(_kl_to_uniform(modes), rel=1e-9)
        assert math.isfinite(entry["kl"])
