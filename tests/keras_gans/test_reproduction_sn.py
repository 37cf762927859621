"""`reproduce sn-robustness`: Table 1's settings as published, each method's
discriminator, loss and penalty read from the built models, the Keras-layer clone
of the SN discriminator, the summary against NumPy, the budget, and the committed
full run: its FID and KID recomputed from its saved sample PNGs with the library's
metric code (and FID's definition in SciPy), its spread and paired difference
recomputed from its per-seed numbers.

The `--quick` run (its files, the schema of results.json shared by every
reproduction and the progress line) is tested for every reproduction in
test_reproductions.py."""

import json
import math
import os

import keras
import numpy as np
import pytest
from keras_gans.layers import SpectralNormalization
from PIL import Image
from scipy import linalg

from keras_gans import metrics, reproductions
from keras_gans.data import builtin
from keras_gans.reproductions import sn_robustness as sn

pytestmark = pytest.mark.tensorflow_only

METHODS = ["SN", "SN (keras.layers)", "WGAN-GP", "weight clipping", "BN"]
# Table 1 of Miyato et al. 2018 as printed: (setting, α, β1, β2, n_dis).
TABLE1 = [
    ("A", 0.0001, 0.5, 0.9, 5),
    ("B", 0.0001, 0.5, 0.999, 1),
    ("C", 0.0002, 0.5, 0.999, 1),
    ("D", 0.001, 0.5, 0.9, 5),
    ("E", 0.001, 0.5, 0.999, 5),
    ("F", 0.001, 0.9, 0.999, 5),
]
AGGRESSIVE = ["D", "E", "F"]  # Table 1's α = 1e-3, n_dis = 5 rows
RUN_KEYS = {"setting", "method", "fid", "kid", "kid_std", "samples", "curve"}
COMMITTED = os.path.join(
    os.path.dirname(__file__), "..", "..", "reproductions", sn.NAME
)


# --- The protocol: Table 1 and the methods -------------------------------------------


def test_settings_are_table1_as_published():
    assert [
        (s.name, s.learning_rate, s.beta_1, s.beta_2, s.discriminator_steps)
        for s in sn.SETTINGS
    ] == TABLE1
    assert [
        tuple(row.values()) for row in sn.PUBLISHED["settings"]
    ] == TABLE1  # what results.json records
    # Table 2's standard-CNN FIDs at each method's best setting (CIFAR-10, STL-10).
    table2 = {entry["row"]: entry for entry in sn.PUBLISHED["table2"]}
    assert table2["(ours) SN-GANs"]["cifar10"]["fid"] == 29.3
    assert table2["(ours) SN-GANs"]["stl10"]["fid"] == 53.1
    assert table2["WGAN-GP"]["cifar10"]["fid"] == 40.2
    assert table2["Weight clipping"]["stl10"]["fid"] == 64.2
    assert table2["Batch Norm."]["cifar10"]["inception_score"] == 6.27
    assert table2["Batch Norm."]["stl10"] is None
    assert table2["Real data"]["cifar10"]["fid"] == 7.8


def _layer_types(model):
    return [type(layer) for layer in model.layers]


def test_each_method_is_built_with_its_loss_penalty_and_setting():
    for method, setting in [
        ("SN", "F"),
        ("WGAN-GP", "D"),
        ("weight clipping", "A"),
        ("BN", "B"),
    ]:
        gan = sn.build_gan(method, setting, seed=0)
        options = gan.get_compile_config()
        learning_rate, beta_1, beta_2, n_dis = {row[0]: row[1:] for row in TABLE1}[
            setting
        ]
        for key in ("d_optimizer", "g_optimizer"):
            config = options[key]["config"]
            assert config["learning_rate"] == pytest.approx(learning_rate)
            assert (config["beta_1"], config["beta_2"]) == (beta_1, beta_2)
        assert gan.discriminator_steps == n_dis
        # The paper's loss: Wasserstein for WGAN-GP, the standard (non-saturating)
        # one for every other method, weight clipping included.
        expected_loss = "wasserstein" if method == "WGAN-GP" else "non_saturating"
        assert gan.adversarial_loss.name == expected_loss
        penalties = [
            (type(p).__name__, p.get_config())
            for p in gan.components
            if type(p).__name__ in ("GradientPenalty", "WeightClipping")
        ]
        assert (
            penalties
            == {
                "SN": [],
                "BN": [],
                "WGAN-GP": [("GradientPenalty", {"weight": 10.0, "one_sided": False})],
                "weight clipping": [("WeightClipping", {"clip_value": 0.01})],
            }[method]
        )
        types = _layer_types(gan.discriminator)
        assert (SpectralNormalization in types) == (method == "SN")
        assert (keras.layers.BatchNormalization in types) == (method == "BN")
        assert (keras.layers.LayerNormalization in types) == (method == "WGAN-GP")
        # G is the same DCGAN generator for every method.
        assert keras.layers.BatchNormalization in _layer_types(gan.generator)
    with pytest.raises(ValueError, match="Received: `method='SNGAN'`"):
        sn.build_gan("SNGAN", "A")
    with pytest.raises(ValueError, match="one of A, B, C, D, E, F. Received"):
        sn.build_gan("SN", "G")


def test_keras_clone_holds_keras_spectral_normalization_around_the_same_layers():
    keras.utils.set_random_seed(0)
    ours = sn.build_discriminator("SN", seed=0)
    keras.utils.set_random_seed(0)
    clone = sn.build_discriminator("SN (keras.layers)", seed=0)
    types = _layer_types(clone)
    assert keras.layers.SpectralNormalization in types
    assert SpectralNormalization not in types  # no wrapper of ours left
    assert not any(isinstance(layer, SpectralNormalization) for layer in clone.layers)
    wrapped = [
        layer for layer in ours.layers if isinstance(layer, SpectralNormalization)
    ]
    theirs = [
        layer
        for layer in clone.layers
        if isinstance(layer, keras.layers.SpectralNormalization)
    ]
    assert len(wrapped) == len(theirs) == 3  # two convolutions and the logit
    for a, b in zip(wrapped, theirs, strict=True):
        assert type(a.layer) is type(b.layer)
        assert a.layer.kernel.shape == b.layer.kernel.shape
        np.testing.assert_array_equal(a.layer.kernel.numpy(), b.layer.kernel.numpy())
        np.testing.assert_array_equal(a.u.numpy(), b.vector_u.numpy()[0])
    first_u = [a.u.numpy() for a in wrapped]
    # The same state: one training call gives the same logits (both normalise W
    # by the same one-step power iteration from the same u) ...
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(
        ours(images, training=True), clone(images, training=True), rtol=1e-4, atol=1e-6
    )
    # ... but Keras' layer wrote W / sigma into its kernel; ours kept W.
    # sigma of one power-iteration step from u: v = W u / |W u|, sigma = |v W|.
    for a, b, u in zip(wrapped, theirs, first_u, strict=True):
        kernel = a.layer.kernel.numpy()
        matrix = kernel.reshape(-1, kernel.shape[-1])  # [fan_in, out]
        sigma = np.linalg.norm(_normalized(matrix @ u) @ matrix)
        assert sigma > 0
        np.testing.assert_allclose(b.layer.kernel.numpy(), kernel / sigma, rtol=1e-4)


def _normalized(vector):
    return vector / np.linalg.norm(vector)


def _read_png_samples(path, count):
    """The PNG's 8x8 tiles, row-major, as images in [-1, 1]: read here with PIL."""
    grid = np.asarray(Image.open(path))
    assert grid.dtype == np.uint8 and grid.ndim == 2  # 8-bit grayscale
    size = 8
    tiles = [
        grid[top : top + size, left : left + size]
        for top in range(0, grid.shape[0], size)
        for left in range(0, grid.shape[1], size)
    ]
    return np.stack(tiles[:count])[..., None].astype("float32") / 127.5 - 1.0


def _scipy_frechet_distance(real, fake):
    """FID's definition, ||mu_r - mu_f||^2 + Tr(C_r + C_f - 2 (C_r C_f)^1/2), with
    Tr((C_r C_f)^1/2) the sum of the square roots of the eigenvalues of the
    symmetric C_r^1/2 C_f C_r^1/2 (SciPy's eigh; stable for singular C_f)."""
    real, fake = np.asarray(real, "float64"), np.asarray(fake, "float64")
    covariance_real = np.cov(real, rowvar=False)
    covariance_fake = np.cov(fake, rowvar=False)
    values, vectors = linalg.eigh(covariance_real)
    root_real = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    product = linalg.eigvalsh(root_real @ covariance_fake @ root_real)
    trace_root = np.sqrt(np.clip(product, 0, None)).sum()
    difference = real.mean(axis=0) - fake.mean(axis=0)
    return float(
        difference @ difference
        + np.trace(covariance_real)
        + np.trace(covariance_fake)
        - 2.0 * trace_root
    )


def _check_saved_metrics(folder, results, kid_entries=None):
    """Every entry's FID, and the KID of the first `kid_entries` (None: all),
    recomputed from its saved PNG."""
    budget = results["budget"]
    features = metrics.DigitsFeatures()
    real_images = builtin.digits("test")[0]
    assert len(real_images) == budget["num_real_samples"]
    real = features.features_and_logits(real_images)[0]
    entries = []
    for record in results["seeds"]:
        entries += [record["floor"], *record["runs"]]
    for index, entry in enumerate(entries):
        images = _read_png_samples(
            os.path.join(folder, entry["samples"]), budget["num_samples"]
        )
        assert images.shape == (budget["num_samples"], 8, 8, 1)
        fake = features.features_and_logits(images)[0]
        assert entry["fid"] == pytest.approx(
            metrics.frechet_distance(real, fake), rel=1e-6
        )
        if index == 1:  # one run against FID's definition in SciPy
            assert entry["fid"] == pytest.approx(
                _scipy_frechet_distance(real, fake), rel=1e-4
            )
        if kid_entries is not None and index >= kid_entries:
            continue  # KID costs a second a run at the full run's sample count
        kid, kid_std = metrics.kernel_inception_distance(
            real,
            fake,
            num_subsets=budget["kid_subsets"],
            subset_size=budget["kid_subset_size"],
            seed=0,
        )
        assert entry["kid"] == pytest.approx(kid, rel=1e-6)
        assert entry["kid_std"] == pytest.approx(kid_std, rel=1e-6)


def _check_summary(results):
    """The spread and the paired difference, recomputed from the per-seed FIDs."""
    summary = results["summary"]
    settings = results["budget"]["settings"]
    fid = {}  # {(method, setting): [per-seed FID]}
    by_seed = {}
    for record in results["seeds"]:
        for run in record["runs"]:
            fid.setdefault((run["method"], run["setting"]), []).append(run["fid"])
            by_seed[(record["seed"], run["method"], run["setting"])] = run["fid"]
    spreads = {}
    for method in METHODS:
        means = [np.mean(fid[(method, setting)]) for setting in settings]
        measured = summary["methods"][method]
        for setting, mean in zip(settings, means, strict=True):
            assert measured["settings"][setting]["fid"]["mean"] == pytest.approx(mean)
            assert measured["settings"][setting]["fid"]["n"] == results["num_seeds"]
        spreads[method] = np.std(means, ddof=1)
        assert measured["spread"]["std"] == pytest.approx(spreads[method])
        assert measured["spread"]["range"] == pytest.approx(max(means) - min(means))
        assert measured["spread"]["mean"] == pytest.approx(np.mean(means))
    smallest = min(spreads, key=spreads.get)
    assert summary["smallest_spread"]["std"] == smallest
    assert summary["spectral_spread_smallest"]["std"] == (smallest == "SN")
    if set(AGGRESSIVE) <= set(settings):  # D-F alone: α 1e-3, n_dis 5
        aggressive = {
            method: [np.mean(fid[(method, s)]) for s in AGGRESSIVE]
            for method in METHODS
        }
        for method, means in aggressive.items():
            measured = summary["methods"][method]["spread_aggressive"]
            assert measured["std"] == pytest.approx(np.std(means, ddof=1))
            assert measured["range"] == pytest.approx(np.ptp(means))
        ranges = {method: np.ptp(means) for method, means in aggressive.items()}
        assert summary["smallest_spread_aggressive"]["range"] == min(
            ranges, key=ranges.get
        )
    else:
        assert summary["smallest_spread_aggressive"]["std"] is None
    for setting in settings:
        differences = [
            by_seed[(record["seed"], "SN", setting)]
            - by_seed[(record["seed"], "SN (keras.layers)", setting)]
            for record in results["seeds"]
        ]
        paired = summary["paired_difference"][setting]
        assert paired["mean"] == pytest.approx(np.mean(differences), abs=1e-9)
        assert paired["n"] == results["num_seeds"]


def _record(seed, fids):
    """A seed's record with the FID of each (setting, method) from `fids`."""
    return {
        "seed": seed,
        "floor": {"fid": 1.0, "kid": 0.0},
        "runs": [
            {"setting": setting, "method": method, "fid": fid, "kid": fid / 100}
            for (setting, method), fid in fids.items()
        ],
    }


def test_summarise_three_seeds_against_numpy():
    rng = np.random.default_rng(0)
    settings = ("B", "D", "E", "F")
    records = []
    values = {}  # {(setting, method): [fid per seed]}
    for seed in range(3):
        fids = {
            (setting, method): float(rng.uniform(5, 50))
            for setting in settings
            for method in METHODS
        }
        for key, value in fids.items():
            values.setdefault(key, []).append(value)
        records.append(_record(seed, fids))
    summary = sn.summarise(records)
    spreads, aggressive = {}, {}
    for method in METHODS:
        means = {s: np.mean(values[(s, method)]) for s in settings}
        statistics = summary["methods"][method]["settings"]["B"]["fid"]
        assert statistics["std"] == pytest.approx(np.std(values[("B", method)], ddof=1))
        spreads[method] = np.ptp(list(means.values()))
        assert summary["methods"][method]["spread"]["range"] == pytest.approx(
            spreads[method]
        )
        aggressive[method] = np.std([means[s] for s in AGGRESSIVE], ddof=1)
        assert summary["methods"][method]["spread_aggressive"]["std"] == (
            pytest.approx(aggressive[method])
        )
    assert summary["smallest_spread"]["range"] == min(spreads, key=spreads.get)
    assert summary["smallest_spread_aggressive"]["std"] == min(
        aggressive, key=aggressive.get
    )
    differences = np.subtract(values[("E", "SN")], values[("E", "SN (keras.layers)")])
    assert summary["paired_difference"]["E"]["mean"] == pytest.approx(
        differences.mean()
    )
    assert summary["paired_difference"]["E"]["std"] == pytest.approx(
        differences.std(ddof=1)
    )
    # A diverged run (FID None) leaves its setting's mean over the other seeds.
    records[0]["runs"][0]["fid"] = None  # B, SN, seed 0
    summary = sn.summarise(records)
    assert summary["methods"]["SN"]["settings"]["B"]["fid"]["n"] == 2
    assert summary["methods"]["SN"]["settings"]["B"]["fid"]["mean"] == pytest.approx(
        np.mean(values[("B", "SN")][1:])
    )
    # Fewer than two finite per-setting means, or a missing one: no spread.
    assert math.isnan(sn.spread([1.0, math.nan])["std"])
    assert math.isnan(sn.spread([4.0])["range"])
    assert sn.spread([2.0, 5.0, 3.0]) == {
        "mean": pytest.approx(10 / 3),
        "std": pytest.approx(np.std([2.0, 5.0, 3.0], ddof=1)),
        "range": 3.0,
    }


def test_budget():
    default = sn.budget()
    assert default["steps"] == sn.DEFAULT_STEPS
    assert default["settings"] == ["A", "B", "C", "D", "E", "F"]
    assert default["methods"] == METHODS
    assert default["run_eagerly"] is False
    assert sn.paper_budget()["steps"] == 100_000  # G updates, Section 4.1
    assert default["fraction_of_paper_steps"] == pytest.approx(
        sn.DEFAULT_STEPS / 100_000
    )
    quick = sn.budget(quick=True)
    assert quick["steps"] == 1 and quick["settings"] == ["A", "B"]
    assert quick["run_eagerly"] is True
    assert sn.budget(steps=300)["eval_every"] == 100
    with pytest.raises(ValueError, match="`eval_every` should divide `steps`"):
        sn.budget(steps=10, eval_every=3)
    with pytest.raises(ValueError, match="`steps` should be a positive integer"):
        sn.budget(steps=0)


# --- The committed full run -----------------------------------------------------------


@pytest.fixture(scope="module")
def committed():
    """The committed full run's results.json (skipped only where the folder is
    not in the checkout)."""
    path = os.path.join(COMMITTED, reproductions.RESULTS_JSON)
    if not os.path.isfile(path):
        pytest.skip("the full run's folder is not in this checkout")
    with open(path) as file:
        return json.load(file)


def test_committed_run_is_the_default_budget_of_every_method_and_setting(committed):
    results = committed
    assert results["quick"] is False
    assert results["num_seeds"] == sn.DEFAULT_SEEDS
    assert results["budget"] == sn.budget()
    assert results["published"] == json.loads(json.dumps(sn.PUBLISHED))
    budget = results["budget"]
    steps = list(range(budget["eval_every"], budget["steps"] + 1, budget["eval_every"]))
    for record in results["seeds"]:
        assert [(run["setting"], run["method"]) for run in record["runs"]] == [
            (setting, method) for setting, *_ in TABLE1 for method in METHODS
        ]
        for run in record["runs"]:
            assert RUN_KEYS <= set(run)
            assert run["samples"] == sn.samples_file(
                record["seed"], run["setting"], run["method"]
            )
            # The last point of the curve is the final FID: the same samples.
            assert [point["step"] for point in run["curve"]] == steps
            assert run["curve"][-1]["fid"] == run["fid"]
            assert math.isfinite(run["fid"])


def test_committed_metrics_are_the_library_metrics_of_its_saved_samples(committed):
    _check_saved_metrics(COMMITTED, committed, kid_entries=2)


def test_committed_summary_is_recomputed_from_its_per_seed_numbers(committed):
    _check_summary(committed)
    with open(os.path.join(COMMITTED, reproductions.RESULTS_MD)) as file:
        markdown = file.read()
    assert "| **SN (keras.layers)** | non-saturating |" in markdown
    assert "| **WGAN-GP** | wasserstein |" in markdown
    assert "FID(SN) − FID(SN (keras.layers))" in markdown
    assert "| F | 0.001 | 0.9 | 0.999 | 5 |" in markdown  # Table 1 as published
    # Our cells are the measured means, never the paper's numbers.
    fid = committed["summary"]["methods"]["SN"]["settings"]["D"]["fid"]
    assert f"{fid['mean']:.2f} ± {fid['std']:.2f}" in markdown
    assert committed["command"] in markdown
