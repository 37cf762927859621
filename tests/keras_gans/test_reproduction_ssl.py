"""`python -m keras_gans reproduce ssl-table1`: the quick run's files and schema,
the accuracies recomputed from the saved predictions and classifiers, the bad
inputs the generic tests do not cover, and the protocol against the authors' code
(openai/improved-gan, `train_mnist_feature_matching.py` and `nn.py`)."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gans import cli, reproductions
from keras_gans.data.labelled_subset import labelled_subset
from keras_gans.models.semi_supervised_gan import unsupervised_discriminator_loss
from keras_gans.reproductions import pacgan_table1, ssl_table1

pytestmark = pytest.mark.tensorflow_only

QUICK_SEEDS = 2
RUN_KEYS = {"method", "accuracy", "test_errors", "last_accuracy", "curve"}
GRAPH_KEYS = {"method", "parameters", "cv_accuracy", "accuracy", "test_errors"}


@pytest.fixture(scope="module")
def quick_run(quick_reproduction):
    """`reproduce ssl-table1 --quick --seeds 2` (the session's one run): (folder, exit
    code, stdout)."""
    run = quick_reproduction(ssl_table1.NAME)
    return run.folder, run.code, run.stdout


def _results(folder):
    with open(os.path.join(folder, reproductions.RESULTS_JSON)) as file:
        return json.load(file)


def _predictions(folder, record):
    with np.load(os.path.join(folder, record["predictions"])) as arrays:
        return dict(arrays)


def test_quick_run_writes_its_files(quick_run):
    folder, code, stdout = quick_run
    assert code == 0
    results = _results(folder)
    assert results["figures"] == ["accuracy_per_seed.png", "curves.png"]
    for path in [reproductions.RESULTS_MD, *results["figures"]]:
        assert os.path.getsize(os.path.join(folder, path)) > 0, path
    for record in results["seeds"]:
        assert record["predictions"] == f"predictions/seed{record['seed']}.npz"
        assert os.path.isfile(os.path.join(folder, record["predictions"]))
    assert f"{ssl_table1.NAME} seed {QUICK_SEEDS}/{QUICK_SEEDS} | GAN step" in stdout
    assert "LabelPropagation knn (4/4): cross-validation" in stdout


def test_results_json_schema(quick_run):
    folder, _, _ = quick_run
    results = _results(folder)
    assert results["reproduction"] == ssl_table1.NAME
    assert results["quick"] is True and results["num_seeds"] == QUICK_SEEDS
    budget = results["budget"]
    steps = list(range(budget["eval_every"], budget["steps"] + 1, budget["eval_every"]))
    for record in results["seeds"]:
        assert set(record) == {"seed", "runs", "graph", "predictions", "wall_time_s"}
        assert [run["method"] for run in record["runs"]] == ["GAN", "labels only"]
        assert [graph["method"] for graph in record["graph"]] == list(
            ssl_table1.GRAPH_METHODS
        )
        for run in record["runs"]:
            assert set(run) == RUN_KEYS
            assert [point["step"] for point in run["curve"]] == steps
            # The curve's last point is the final model, averaged and not.
            assert run["curve"][-1]["accuracy"] == pytest.approx(run["accuracy"])
            assert run["curve"][-1]["last_accuracy"] == run["last_accuracy"]
        for graph in record["graph"]:
            assert set(graph) == GRAPH_KEYS
            assert 0 <= graph["cv_accuracy"] <= 1
    assert set(results["summary"]) == {
        "GAN",
        "labels only",
        "graph baseline",
        *ssl_table1.GRAPH_METHODS,
    }
    # The published row: Table 1, 100 labels, on MNIST (not the digits).
    published = results["published"]
    assert published["dataset"] == "MNIST"
    assert published["rows"] == {
        "GAN": {"test_errors": [93, 6.5], "test_images": 10_000}
    }
    with open(os.path.join(folder, reproductions.RESULTS_MD)) as file:
        markdown = file.read()
    assert "*93 ± 6.5 of 10,000* | *0.93%*" in markdown
    assert "**MNIST**" in markdown and "A `--quick` check, not a result." in markdown
    assert results["command"] in markdown


def test_accuracies_are_those_of_the_saved_predictions(quick_run):
    folder, _, _ = quick_run
    results = _results(folder)
    test_labels = ssl_table1.load_digits_pixels("test")[1]
    for record in results["seeds"]:
        arrays = _predictions(folder, record)
        np.testing.assert_array_equal(arrays["labels"], test_labels)
        for run, key in zip(
            record["runs"], ("gan_logits", "labels_only_logits"), strict=True
        ):
            logits = arrays[key]
            assert logits.shape == (len(test_labels), 10)
            # The GAN's accuracy is SemiSupervisedGAN.evaluate's; the saved
            # logits of the same averaged weights give it back.
            predicted = np.argmax(logits, axis=-1)
            assert run["accuracy"] == pytest.approx(
                np.mean(predicted == test_labels), abs=1e-6
            )
            assert run["test_errors"] == int(np.sum(predicted != test_labels))


def test_graph_baselines_are_recomputed_from_their_parameters(quick_run):
    folder, _, _ = quick_run
    results = _results(folder)
    train_pixels, train_labels = ssl_table1.load_digits_pixels("train")
    test_pixels, test_labels = ssl_table1.load_digits_pixels("test")
    for record in results["seeds"]:
        arrays = _predictions(folder, record)
        labelled, _ = labelled_subset(train_labels, 10, seed=record["seed"])
        targets = np.full(len(train_labels), -1)
        targets[labelled] = train_labels[labelled]
        for graph in record["graph"]:
            model = ssl_table1.fit_graph_model(
                graph["method"], graph["parameters"], train_pixels, targets
            )
            predicted = model.predict(test_pixels)
            saved = arrays[graph["method"].lower().replace(" ", "_")]
            np.testing.assert_array_equal(predicted, saved)
            assert graph["accuracy"] == np.mean(saved == test_labels)
            assert graph["test_errors"] == int(np.sum(saved != test_labels))


def test_summary_is_mean_and_std_over_seeds(quick_run):
    folder, _, _ = quick_run
    results = _results(folder)
    summary = results["summary"]
    for method in ("GAN", "labels only", *ssl_table1.GRAPH_METHODS):
        accuracies = [
            100 * run["accuracy"]
            for record in results["seeds"]
            for run in record["runs"] + record["graph"]
            if run["method"] == method
        ]
        assert len(accuracies) == QUICK_SEEDS
        assert summary[method]["accuracy"]["mean"] == pytest.approx(np.mean(accuracies))
        assert summary[method]["accuracy"]["std"] == pytest.approx(
            np.std(accuracies, ddof=1), abs=1e-12
        )
    best = max(ssl_table1.GRAPH_METHODS, key=lambda m: summary[m]["accuracy"]["mean"])
    assert summary["graph baseline"]["method"] == best
    assert summary["graph baseline"]["accuracy"] == summary[best]["accuracy"]


# --- bad input ------------------------------------------------------------------------


def test_zero_seeds_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["reproduce", ssl_table1.NAME, "--seeds", "0"])
    assert exit_info.value.code == 2
    assert "expected a positive integer, received 0" in capsys.readouterr().err
    with pytest.raises(ValueError, match="`seeds` should be a positive integer"):
        reproductions.run(ssl_table1.NAME, seeds=0, quick=True)


def test_another_reproductions_folder_is_not_overwritten(capsys, tmp_path):
    other = {"reproduction": pacgan_table1.NAME, "seeds": []}
    (tmp_path / reproductions.RESULTS_JSON).write_text(json.dumps(other))
    argv = ["reproduce", ssl_table1.NAME, "--quick", "--out", str(tmp_path)]
    assert cli.main(argv) == 1
    message = capsys.readouterr().err
    assert f"'{pacgan_table1.NAME}'" in message and "not overwritten" in message
    assert json.loads((tmp_path / reproductions.RESULTS_JSON).read_text()) == other
    assert os.listdir(tmp_path) == [reproductions.RESULTS_JSON]


def test_budget():
    budget = ssl_table1.budget()
    # 300 epochs of the 1,337 unlabelled digits at 100 a step: 300 x 13 steps.
    assert budget["steps_per_epoch"] == 13 and budget["steps"] == 3_900
    assert budget["eval_every"] == 300
    assert ssl_table1.paper_budget()["steps"] == 180_000  # 300 epochs x 600 steps
    # Their average spans 1/18 of training: 0.0001 x 180,000 = 18 = rate x steps.
    assert budget["averaging_rate"] * budget["steps"] == pytest.approx(18)
    assert ssl_table1.averaging_rate(180_000) == pytest.approx(1e-4)
    assert ssl_table1.budget(quick=True)["averaging_rate"] == 1.0
    with pytest.raises(ValueError, match="`eval_every` should divide `steps`"):
        ssl_table1.budget(steps=10, eval_every=3)


# --- the protocol against the authors' code ------------------------------------------


def test_their_unlabelled_loss_is_half_of_ours():
    # loss_unl = -0.5 mean(lse(unl)) + 0.5 mean(softplus(lse(unl)))
    #            + 0.5 mean(softplus(lse(fake))), with unlabeled_weight 1.
    rng = np.random.default_rng(0)
    unlabelled = rng.normal(size=(7, 10)).astype("float32")
    fake = rng.normal(size=(5, 10)).astype("float32")

    def log_sum_exp(x):
        top = x.max(axis=1)
        return top + np.log(np.exp(x - top[:, None]).sum(axis=1))

    def softplus(x):
        return np.log1p(np.exp(x))

    theirs = (
        -0.5 * np.mean(log_sum_exp(unlabelled))
        + 0.5 * np.mean(softplus(log_sum_exp(unlabelled)))
        + 0.5 * np.mean(softplus(log_sum_exp(fake)))
    )
    ours = ssl_table1.UNSUPERVISED_WEIGHT * float(
        unsupervised_discriminator_loss(unlabelled, fake)
    )
    assert ours == pytest.approx(theirs, rel=1e-5)


def test_discriminator_is_weight_normalised_with_their_initialisation():
    discriminator = ssl_table1.build_discriminator(seed=0)
    units = [250, 125, 62, 62, 62, 10]
    dense = [layer for layer in discriminator.layers if hasattr(layer, "initialise")]
    assert [layer.units for layer in dense] == units
    # The scale is trained in the last layer only (their train_scale=True).
    assert [layer.scale.trainable for layer in dense] == [False] * 5 + [True]
    assert discriminator.get_layer("features") is dense[4]
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(500, 64)).astype("float32")
    ssl_table1.initialise_discriminator(discriminator, images)
    for layer in dense:
        # W = g v / ||v||: each unit's weight vector has norm g, and the
        # data-dependent initialisation set a positive g for every unit.
        scale = keras.ops.convert_to_numpy(layer.scale)
        np.testing.assert_allclose(
            np.linalg.norm(_kernel(layer), axis=0), scale, rtol=1e-5
        )
        assert np.all(scale > 0) and not np.allclose(scale, 1)


def test_weight_norm_initialisation_standardises_its_inputs():
    discriminator = ssl_table1.build_discriminator(seed=0)
    layer = discriminator.get_layer("hidden_2")
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(500, 250)).astype("float32") * 3 + 1
    layer.initialise(inputs)
    outputs = inputs @ _kernel(layer) + keras.ops.convert_to_numpy(layer.bias)
    np.testing.assert_allclose(outputs.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(outputs.std(axis=0), 1, rtol=1e-4)


def _kernel(layer):
    direction = keras.ops.convert_to_numpy(layer.direction)
    scale = keras.ops.convert_to_numpy(layer.scale)
    return direction * scale / np.sqrt(np.sum(direction**2, axis=0))


def test_weight_average_is_their_running_average():
    # avg <- avg + rate (w - avg) from 0: after n steps at fixed w, (1 - (1-r)^n) w.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    weights = [w.copy() for w in model.get_weights()]
    average = ssl_table1._WeightAverage(model, rate=0.25)
    for _ in range(3):
        average.update()
    average.swap()
    for swapped, original in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_allclose(swapped, (1 - 0.75**3) * original, rtol=1e-6)
    average.swap()
    for restored, original in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(restored, original)
