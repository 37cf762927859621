"""`python -m keras_gans reproduce`: every reproduction's `--quick` run end to end
(files, the schema of results.json, the metrics recomputed from the saved samples),
the bad inputs, and the PacGAN protocol against the authors' definitions."""

import io
import json
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import cli, metrics, reproductions
from keras_gans.data import builtin
from keras_gans.reproductions import pacgan_table1

pytestmark = pytest.mark.tensorflow_only

QUICK_SEEDS = 2
RUN_KEYS = {
    "dataset",
    "method",
    "packing",
    "modes_captured",
    "num_modes",
    "high_quality_fraction",
    "reverse_kl",
    "samples",
    "curve",
    "wall_time_s",
}


@pytest.fixture(scope="module", params=reproductions.names())
def quick_run(request, quick_reproduction):
    """`reproduce NAME --quick --seeds 2` (the session's one run of NAME): (name,
    folder, argv, exit code, stdout)."""
    run = quick_reproduction(request.param)
    return run.name, run.folder, list(run.argv), run.code, run.stdout


def _results(folder):
    with open(os.path.join(folder, reproductions.RESULTS_JSON)) as file:
        return json.load(file)


def test_quick_run_writes_its_files(quick_run):
    name, folder, _, code, stdout = quick_run
    assert code == 0
    results = _results(folder)
    for path in [reproductions.RESULTS_MD, *results["figures"]]:
        assert os.path.getsize(os.path.join(folder, path)) > 0, path
    assert any(path.endswith(".png") for path in results["figures"])
    if name == pacgan_table1.NAME:  # Its runs keep their samples (the others' tests
        # check their own saved outputs).
        for record in results["seeds"]:
            for run in record["runs"]:
                assert os.path.isfile(os.path.join(folder, run["samples"]))
    # The progress line: one line per update off a terminal, then the table.
    assert stdout.count(f"{name} seed 1/{QUICK_SEEDS} |") >= 1
    assert f"{name} seed {QUICK_SEEDS}/{QUICK_SEEDS} |" in stdout
    assert "| method |" in stdout


def test_results_json_schema(quick_run):
    name, folder, argv, _, _ = quick_run
    results = _results(folder)
    assert {
        "reproduction",
        "title",
        "reference",
        "command",
        "quick",
        "num_seeds",
        "budget",
        "paper_budget",
        "published",
        "seeds",
        "summary",
        "wall_time_s",
        "versions",
        "figures",
    } <= set(results)
    assert results["reproduction"] == name
    assert results["quick"] is True
    assert results["command"] == " ".join(["python", "-m", "keras_gans", *argv])
    assert results["num_seeds"] == QUICK_SEEDS
    assert [record["seed"] for record in results["seeds"]] == list(range(QUICK_SEEDS))
    assert all(record["wall_time_s"] > 0 for record in results["seeds"])
    assert results["wall_time_s"] > 0
    assert results["versions"]["tensorflow"] == tf.__version__
    assert results["versions"]["keras"] == keras.__version__
    assert results["budget"]["steps"] < results["paper_budget"]["steps"]
    if name == pacgan_table1.NAME:  # Every method of ours has its published row.
        for method in results["summary"]:
            assert method in results["published"]["rows"]


def _pacgan_only(name):
    if name != pacgan_table1.NAME:
        pytest.skip("PacGAN's layout; the other reproductions test theirs")


def test_pacgan_quick_run_covers_its_budget(quick_run):
    name, folder, _, _, _ = quick_run
    _pacgan_only(name)
    results = _results(folder)
    budget = results["budget"]
    expected = [
        (dataset, pacgan_table1.method_name(packing))
        for dataset in budget["datasets"]
        for packing in budget["packings"]
    ]
    steps = list(range(budget["eval_every"], budget["steps"] + 1, budget["eval_every"]))
    for record in results["seeds"]:
        assert [(run["dataset"], run["method"]) for run in record["runs"]] == expected
        for run in record["runs"]:
            assert set(run) == RUN_KEYS
            assert [point["step"] for point in run["curve"]] == steps
            # The last point of the curve is the final result.
            final = run["curve"][-1]
            assert final["modes_captured"] == run["modes_captured"]
            assert final["high_quality_fraction"] == run["high_quality_fraction"]
    # The published rows as Table 1 prints them.
    rows = results["published"]["rows"]
    assert rows["GAN"]["ring8"]["high_quality"] == [98.2, 0.2]
    assert rows["PacGAN2"]["ring8"]["high_quality"] == [95.6, 2.0]
    assert set(rows) == {"GAN", "PacGAN2", "PacGAN3", "PacGAN4"}
    with open(os.path.join(folder, reproductions.RESULTS_MD)) as file:
        markdown = file.read()
    assert "*GAN, published* | *6.3 ± 0.5* | *98.2 ± 0.2 %* | *0.45 ± 0.09*" in markdown
    assert "**PacGAN2, ours**" in markdown
    assert results["command"] in markdown


def test_metrics_are_the_library_metric_of_the_saved_samples(quick_run):
    name, folder, _, _, _ = quick_run
    _pacgan_only(name)
    results = _results(folder)
    for record in results["seeds"]:
        for run in record["runs"]:
            samples = np.load(os.path.join(folder, run["samples"]))
            assert samples.shape == (results["budget"]["num_samples"], 2)
            coverage = metrics.mode_coverage_for_mixture(samples, run["dataset"])
            assert run["modes_captured"] == coverage["modes_captured"]
            assert run["high_quality_fraction"] == coverage["high_quality_fraction"]
            if math.isnan(coverage["kl_to_uniform"]):
                assert run["reverse_kl"] is None
            else:
                assert run["reverse_kl"] == coverage["kl_to_uniform"]


def test_summary_is_mean_and_std_over_seeds(quick_run):
    name, folder, _, _, _ = quick_run
    _pacgan_only(name)
    results = _results(folder)
    for method, datasets in results["summary"].items():
        for dataset, statistics in datasets.items():
            runs = [
                run
                for record in results["seeds"]
                for run in record["runs"]
                if run["method"] == method and run["dataset"] == dataset
            ]
            quality = [100 * run["high_quality_fraction"] for run in runs]
            assert statistics["high_quality"]["mean"] == pytest.approx(np.mean(quality))
            assert statistics["high_quality"]["std"] == pytest.approx(
                np.std(quality, ddof=1), abs=1e-12
            )
            modes = [run["modes_captured"] for run in runs]
            assert statistics["modes"]["mean"] == pytest.approx(np.mean(modes))


REPOSITORY = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)


@pytest.mark.parametrize("name", reproductions.names())
def test_committed_run_is_complete_and_its_markdown_is_its_results(name):
    """Every reproduction has its full run committed under `reproductions/NAME`
    (not a `--quick` check), with its figures, and the committed `results.md` is
    what the module writes from the committed `results.json`."""
    folder = os.path.join(REPOSITORY, "reproductions", name)
    with open(os.path.join(folder, reproductions.RESULTS_JSON)) as file:
        results = json.load(file)
    assert results["reproduction"] == name and results["quick"] is False
    for path in results["figures"]:
        assert os.path.getsize(os.path.join(folder, path)) > 0, path
    with open(os.path.join(folder, reproductions.RESULTS_MD)) as file:
        assert file.read() == reproductions.get(name).markdown(results)


# --- bad input ------------------------------------------------------------------------


def test_list_names_every_reproduction(capsys):
    assert cli.main(["reproduce", "--list"]) == 0
    output = capsys.readouterr().out
    for name in reproductions.names():
        assert name in output
        assert reproductions.get(name).TITLE in output


def test_unknown_name_lists_the_valid_ones(capsys, tmp_path):
    assert cli.main(["reproduce", "nope", "--quick", "--out", str(tmp_path)]) == 1
    message = capsys.readouterr().err
    assert "Unknown reproduction 'nope'" in message
    for name in reproductions.names():
        assert name in message
    assert not os.listdir(tmp_path)


def test_missing_name_is_refused(capsys):
    assert cli.main(["reproduce"]) == 1
    assert "--list" in capsys.readouterr().err


def test_zero_seeds_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["reproduce", pacgan_table1.NAME, "--seeds", "0"])
    assert exit_info.value.code == 2
    assert "expected a positive integer, received 0" in capsys.readouterr().err
    with pytest.raises(ValueError, match="`seeds` should be a positive integer"):
        reproductions.run(pacgan_table1.NAME, seeds=0, quick=True)


def test_another_reproductions_folder_is_not_overwritten(capsys, tmp_path):
    other = {"reproduction": "another-claim", "seeds": []}
    (tmp_path / reproductions.RESULTS_JSON).write_text(json.dumps(other))
    argv = ["reproduce", pacgan_table1.NAME, "--quick", "--out", str(tmp_path)]
    assert cli.main(argv) == 1
    message = capsys.readouterr().err
    assert "'another-claim'" in message and "not overwritten" in message
    assert json.loads((tmp_path / reproductions.RESULTS_JSON).read_text()) == other
    assert os.listdir(tmp_path) == [reproductions.RESULTS_JSON]


def test_out_that_is_a_file_is_refused(capsys, tmp_path):
    path = tmp_path / "file"
    path.write_text("")
    assert cli.main(["reproduce", pacgan_table1.NAME, "--quick", "--out", str(path)])
    assert "is a file" in capsys.readouterr().err


def test_eval_every_must_divide_steps(capsys, tmp_path):
    argv = ["reproduce", pacgan_table1.NAME, "--steps", "10", "--eval-every", "3"]
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 1
    assert "`eval_every` should divide `steps`" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_progress_writes_a_line_per_update_off_a_terminal():
    stream = io.StringIO()
    progress = reproductions.Progress(stream)
    progress.update("a")
    progress.update("bb")
    progress.done()
    assert stream.getvalue() == "a\nbb\n"


def test_progress_rewrites_its_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = reproductions.Progress(stream)
    progress.update("long text")
    progress.update("short")
    progress.done()
    assert stream.getvalue() == "\rlong text\rshort    \n"


# --- the PacGAN protocol against the authors' code -----------------------------------


def test_pacgan_mixtures_are_the_built_in_ones():
    # The authors' config.py: ring MEANS (cos 2πk/8, sin 2πk/8), VARIANCES 0.01² I;
    # grid MEANS {-4, -2, 0, 2, 4}², VARIANCES 0.05² I.
    angles = 2 * np.pi * np.arange(8) / 8
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    grid = np.array([[i, j] for i in range(-4, 5, 2) for j in range(-4, 5, 2)])
    np.testing.assert_allclose(builtin.mixture_means("ring8"), ring, atol=1e-7)
    np.testing.assert_allclose(builtin.mixture_means("grid25"), grid)
    assert builtin.MIXTURES == {"ring8": 0.01, "grid25": 0.05}
    points, _ = builtin.mixture("ring8", seed=0, num_samples=100_000)
    assert points.shape == (100_000, 2)
    # The default size draws the same points as before the argument existed.
    default, _ = builtin.mixture("ring8")
    np.testing.assert_array_equal(
        default, builtin.mixture("ring8", num_samples=builtin.MIXTURE_SIZES["train"])[0]
    )
    with pytest.raises(ValueError, match="Received: `num_samples=0`"):
        builtin.mixture("grid25", num_samples=0)


def pacgan_metric_logger(points, means, standard_deviation):
    """The authors' MetricLogger on isotropic components: each point goes to the
    mode of smallest Mahalanobis distance sqrt(sum(d² / σ²)) and counts when that
    distance is below 3; modes with a count, the counted fraction, and reverse KL
    log M - H(q) of the counts' distribution q (they log the entropy H(q))."""
    counts = np.zeros(len(means))
    for point in points.astype("float64"):
        distances = [
            math.sqrt(np.sum((point - mean) ** 2 / standard_deviation**2))
            for mean in means
        ]
        nearest = int(np.argmin(distances))
        if distances[nearest] < 3:
            counts[nearest] += 1
    q = counts / counts.sum()
    entropy = -sum(p * math.log(p) for p in q if p > 0)
    return (
        int(np.count_nonzero(counts)),
        counts.sum() / len(points),
        math.log(len(means)) - entropy,
    )


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_library_metric_is_pacgans_definition(name):
    means = builtin.mixture_means(name)
    sigma = builtin.MIXTURES[name]
    rng = np.random.default_rng(3)
    # Uneven over a subset of modes, some far from every mode.
    modes = rng.choice(len(means) - 2, size=600, p=None)
    points = means[modes] + sigma * rng.normal(size=(600, 2)) * rng.choice(
        [0.5, 1.5, 4.0], size=(600, 1)
    )
    expected_modes, expected_quality, expected_kl = pacgan_metric_logger(
        points, means, sigma
    )
    coverage = metrics.mode_coverage_for_mixture(points, name)
    assert 0 < expected_quality < 1 and expected_kl > 0.01
    assert coverage["modes_captured"] == expected_modes
    assert coverage["high_quality_fraction"] == pytest.approx(expected_quality)
    assert coverage["kl_to_uniform"] == pytest.approx(expected_kl, rel=1e-12)


@pytest.mark.parametrize("packing", [1, 3])
def test_pacgan_networks(packing):
    generator = pacgan_table1.build_generator(seed=0)
    discriminator = pacgan_table1.build_discriminator(packing, seed=0)
    # G: 4 x (2 or 400 -> 400 without bias, BN scale and shift) + 400 -> 2 with bias.
    generator_weights = 2 * 400 + 3 * 400 * 400 + 4 * 2 * 400 + 400 * 2 + 2
    assert generator.count_params() - 4 * 2 * 400 == generator_weights  # BN statistics
    # D: maxout 2m -> 200 x 5, 200 -> 200 x 5 twice, then 200 -> 1.
    assert discriminator.count_params() == (
        (2 * packing + 1) * 1000 + 2 * 201 * 1000 + 201
    )
    assert discriminator(np.zeros((5, 2 * packing), "float32")).shape == (5, 1)


def test_pacgan_budget():
    paper = pacgan_table1.budget()
    assert paper["steps"] == 400_000  # 400 epochs x 100,000 packs / 100 per step
    assert paper["packings"] == [1, 2, 3, 4]
    assert paper["fraction_of_paper_steps"] == 1.0
    assert pacgan_table1.budget(steps=3_000)["eval_every"] == 300
    assert pacgan_table1.budget(steps=7)["eval_every"] == 1
    assert pacgan_table1.budget(quick=True)["packings"] == [1, 2]
    with pytest.raises(ValueError, match="`steps` should be a positive integer"):
        pacgan_table1.budget(steps=0)
