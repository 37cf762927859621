"""`python -m keras_gans reproduce veegan-table1`: the quick run's metrics
recomputed from its saved samples, its budget, the published rows, and that the
unrolled runs are compiled with `unrolled_steps` (the generic contract checks are
in test_reproductions.py)."""

import json
import math
import os

import numpy as np
import pytest

from keras_gans import metrics, reproductions
from keras_gans.reproductions import veegan_table1
from keras_gans.tricks.unrolled import Unrolled

pytestmark = pytest.mark.tensorflow_only

QUICK_SEEDS = 2
RUN_KEYS = {
    "dataset",
    "method",
    "unrolled_steps",
    "modes_captured",
    "num_modes",
    "high_quality_fraction",
    "reverse_kl",
    "samples",
    "curve",
    "wall_time_s",
}


@pytest.fixture(scope="module")
def quick_run(quick_reproduction):
    """`reproduce veegan-table1 --quick --seeds 2` (the session's one run):
    (folder, exit code, stdout)."""
    run = quick_reproduction(veegan_table1.NAME)
    return run.folder, run.code, run.stdout


def _results(folder):
    with open(os.path.join(folder, reproductions.RESULTS_JSON)) as file:
        return json.load(file)


def test_quick_run_covers_its_budget(quick_run):
    folder, code, stdout = quick_run
    assert code == 0
    results = _results(folder)
    budget = results["budget"]
    assert budget["steps"] == veegan_table1.QUICK_STEPS
    assert budget["batch_size"] == 500
    assert budget["num_samples"] == 2_500
    assert budget["methods"] == {"GAN": 0, "Unrolled GAN": 5}
    assert results["paper_budget"]["steps"] == 20_000
    assert results["paper_budget"]["seeds"] == veegan_table1.DEFAULT_SEEDS == 5
    expected = [(d, m) for d in ("ring8", "grid25") for m in ("GAN", "Unrolled GAN")]
    steps = list(range(budget["eval_every"], budget["steps"] + 1, budget["eval_every"]))
    for record in results["seeds"]:
        assert [(run["dataset"], run["method"]) for run in record["runs"]] == expected
        for run in record["runs"]:
            assert set(run) == RUN_KEYS
            assert run["unrolled_steps"] == budget["methods"][run["method"]]
            assert [point["step"] for point in run["curve"]] == steps
            final = run["curve"][-1]
            assert final["modes_captured"] == run["modes_captured"]
            assert final["high_quality_fraction"] == run["high_quality_fraction"]
    assert f"{veegan_table1.NAME} seed {QUICK_SEEDS}/{QUICK_SEEDS} | grid25" in stdout
    for figure in results["figures"]:
        assert os.path.getsize(os.path.join(folder, figure)) > 0
    assert "figures/seed0_ring8_unrolled-gan.png" in results["figures"]


def test_metrics_are_the_library_metric_of_the_saved_samples(quick_run):
    folder, _, _ = quick_run
    results = _results(folder)
    for record in results["seeds"]:
        for run in record["runs"]:
            samples = np.load(os.path.join(folder, run["samples"]))
            assert samples.shape == (2_500, 2)
            expected = metrics.mode_coverage_for_mixture(samples, run["dataset"])
            assert run["modes_captured"] == expected["modes_captured"]
            assert run["num_modes"] == expected["num_modes"]
            assert run["high_quality_fraction"] == pytest.approx(
                expected["high_quality_fraction"], abs=0
            )
            if math.isnan(expected["kl_to_uniform"]):
                assert run["reverse_kl"] is None
            else:
                assert run["reverse_kl"] == pytest.approx(expected["kl_to_uniform"])
    # The summary is the mean of the runs' numbers.
    summary = results["summary"]
    for method in ("GAN", "Unrolled GAN"):
        for dataset in ("ring8", "grid25"):
            runs = [
                run
                for record in results["seeds"]
                for run in record["runs"]
                if (run["method"], run["dataset"]) == (method, dataset)
            ]
            assert summary[method][dataset]["modes"]["mean"] == pytest.approx(
                np.mean([run["modes_captured"] for run in runs])
            )
            assert summary[method][dataset]["high_quality"]["mean"] == pytest.approx(
                100 * np.mean([run["high_quality_fraction"] for run in runs])
            )


def test_published_rows_and_markdown(quick_run):
    folder, _, _ = quick_run
    results = _results(folder)
    rows = results["published"]["rows"]
    assert set(rows) == {"GAN", "ALI", "Unrolled GAN", "VEEGAN"}
    assert rows["GAN"]["ring8"] == {"modes": [1.0, None], "high_quality": [99.3, None]}
    assert rows["Unrolled GAN"]["ring8"]["modes"][0] == 7.6
    assert rows["Unrolled GAN"]["ring8"]["high_quality"][0] == 35.6
    assert rows["VEEGAN"]["ring8"]["high_quality"][0] == 52.9
    assert rows["GAN"]["grid25"]["modes"][0] == 3.3
    assert rows["GAN"]["grid25"]["high_quality"][0] == 0.5
    assert rows["Unrolled GAN"]["grid25"]["modes"][0] == 23.6
    assert rows["Unrolled GAN"]["grid25"]["high_quality"][0] == 16.0
    assert rows["VEEGAN"]["grid25"]["modes"][0] == 24.6
    assert rows["VEEGAN"]["grid25"]["high_quality"][0] == 40.0
    with open(os.path.join(folder, reproductions.RESULTS_MD)) as file:
        markdown = file.read()
    assert "| *Unrolled GAN, published* | *7.6* | *35.6 %* | – |" in markdown
    assert "**Unrolled GAN, ours**" in markdown and "**GAN, ours**" in markdown
    assert "VEEGAN, ours" not in markdown and "ALI, ours" not in markdown
    assert "A `--quick` check, not a result." in markdown
    assert "The claim (the unrolled GAN captures more modes than the GAN):" in markdown


@pytest.mark.parametrize("method", ["GAN", "Unrolled GAN"])
def test_unrolled_runs_are_compiled_with_unrolled_steps(method):
    steps = veegan_table1.METHODS[method]
    gan = veegan_table1.build_gan(seed=0, unrolled_steps=steps)
    assert gan.unrolled_steps == steps
    unrolled = [c for c in gan.components if isinstance(c, Unrolled)]
    if steps:
        (component,) = unrolled
        assert component.steps == 5
        assert component.learning_rate == veegan_table1.UNROLLED_LEARNING_RATE
        assert component.first_order is False
    else:
        assert unrolled == []
    # Both use the same networks and optimisers: two Adam(1e-3, β1 0.5).
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(1e-3)
        assert optimizer.beta_1 == 0.5
    assert gan.generator.input_shape == (None, 254)
    assert gan.discriminator.count_params() == 2 * 128 + 128 + 128 + 1


def test_budget_overrides_and_full_budget():
    full = veegan_table1.budget()
    assert full["steps"] == veegan_table1.STEPS
    assert full["steps"] % full["eval_every"] == 0
    assert full["fraction_of_paper_steps"] == veegan_table1.STEPS / 20_000
    assert veegan_table1.budget(steps=300)["eval_every"] == 30
    with pytest.raises(ValueError, match="`eval_every` should divide `steps`"):
        veegan_table1.budget(steps=10, eval_every=3)
    with pytest.raises(ValueError, match="steps"):
        veegan_table1.budget(steps=0)
