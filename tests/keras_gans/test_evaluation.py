"""`keras_gans.evaluation`: the report's numbers against SciPy/NumPy re-derivations
on the same samples, the protocol it records, the run-folder plumbing and the
errors."""

import dataclasses
import json
import os

import keras
import numpy as np
import pytest
from PIL import Image
from scipy.special import softmax
from scipy.stats import entropy

import keras_gans
from keras_gans import GAN, architectures, data, evaluation, presets, training_run
from keras_gans.data.builtin import mixture_means
from keras_gans.metrics import DigitsFeatures

pytestmark = pytest.mark.tensorflow_only

NUM_SAMPLES = 64


def _digits_gan(image_size=8, seed=0):
    """An untrained (0 steps) small DCGAN for digits."""
    gan = GAN(
        architectures.dcgan_generator(image_size, 1, latent_dim=8, width=8, seed=seed),
        architectures.dcgan_discriminator(image_size, 1, width=8, seed=seed),
        seed=seed,
    )
    gan.compile()
    return gan


# --- Independent oracles ---------------------------------------------------------


def _numpy_fid(real, fake):
    """FID from its definition; Tr((S_r S_f)^(1/2)) as the sum of the square roots
    of the eigenvalues of the (non-symmetric) product S_r S_f, which are real and
    non-negative (the library uses a symmetric form instead)."""
    mean_real, mean_fake = real.mean(axis=0), fake.mean(axis=0)
    covariance_real = np.cov(real, rowvar=False)
    covariance_fake = np.cov(fake, rowvar=False)
    eigenvalues = np.linalg.eigvals(covariance_real @ covariance_fake).real
    return float(
        np.sum((mean_real - mean_fake) ** 2)
        + np.trace(covariance_real + covariance_fake)
        - 2.0 * np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
    )


def _numpy_kid_all_samples(real, fake):
    """Unbiased MMD^2 with (x.y/d + 1)^3 on all samples (equal counts)."""
    d, m = real.shape[1], len(real)

    def kernel(a, b):
        return (a @ b.T / d + 1.0) ** 3

    within_real = kernel(real, real)
    within_fake = kernel(fake, fake)
    return float(
        (within_real.sum() - np.trace(within_real)) / (m * (m - 1))
        + (within_fake.sum() - np.trace(within_fake)) / (m * (m - 1))
        - 2.0 * kernel(real, fake).mean()
    )


def _numpy_precision_recall(real, fake, k=3):
    """Kynkäänniemi et al. 2019 with brute-force distances."""

    def radii(points):
        distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
        return np.sort(distances, axis=1)[:, k]  # column 0 is the point itself

    def inside(queries, centres):
        distances = np.linalg.norm(queries[:, None] - centres[None], axis=-1)
        return np.mean(np.any(distances <= radii(centres)[None], axis=1))

    return float(inside(fake, real)), float(inside(real, fake))


def _scipy_inception_score(logits, num_splits=10):
    probabilities = softmax(logits.astype("float64"), axis=1)
    n = len(probabilities)
    scores = []
    for index in range(num_splits):
        part = probabilities[index * n // num_splits : (index + 1) * n // num_splits]
        marginal = part.mean(axis=0)
        scores.append(np.exp(np.mean([entropy(row, marginal) for row in part])))
    return float(np.mean(scores))


# --- Tests -----------------------------------------------------------------------


def test_evaluate_a_saved_gan_gives_the_oracle_numbers_and_records_the_protocol(
    tmp_path,
):
    gan = _digits_gan()
    path = tmp_path / "model.keras"
    gan.save(path)
    out = tmp_path / "reports" / "report.json"
    report = evaluation.evaluate(
        str(path),
        dataset="digits",
        metrics="fid,kid,is,pr,modes",
        num_samples=NUM_SAMPLES,
        num_real_samples=NUM_SAMPLES,
        seed=3,
        out=str(out),
    )
    # The same samples, extracted independently: GAN.generate with the seed, the
    # first 64 test digits, the shipped classifier.
    fake = gan.generate(NUM_SAMPLES, seed=3)
    real = data.load_arrays("digits", "test")[0][:NUM_SAMPLES]
    classifier = DigitsFeatures()
    real_features = classifier.features(real).astype("float64")
    fake_features, fake_logits = classifier.features_and_logits(fake)
    fake_features = fake_features.astype("float64")
    values = report["metrics"]
    np.testing.assert_allclose(
        values["fid"], _numpy_fid(real_features, fake_features), rtol=1e-6
    )
    np.testing.assert_allclose(
        values["kid"], _numpy_kid_all_samples(real_features, fake_features), rtol=1e-9
    )
    assert values["kid_std"] == pytest.approx(0.0, abs=1e-9)  # every subset is all
    np.testing.assert_allclose(
        values["inception_score"], _scipy_inception_score(fake_logits), rtol=1e-6
    )
    assert (values["precision"], values["recall"]) == pytest.approx(
        _numpy_precision_recall(real_features, fake_features)
    )
    classes = np.bincount(fake_logits.argmax(axis=1), minlength=10)
    assert values["modes_captured"] == np.count_nonzero(classes)
    frequencies = classes[classes > 0] / NUM_SAMPLES
    np.testing.assert_allclose(
        values["mode_kl"], np.sum(frequencies * np.log(10 * frequencies)), atol=1e-12
    )
    assert report["num_fake_samples"] == report["num_real_samples"] == NUM_SAMPLES
    assert report["seed"] == 3 and report["dataset"] == "digits"
    assert report["split"] == "test" and report["model"] == str(path)
    assert report["generator"] == "generator"
    assert "digits classifier" in report["extractor"]
    assert report["kid_subsets"] == 100 and report["kid_subset_size"] == NUM_SAMPLES
    assert report["keras_gans_version"] == keras_gans.__version__
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))


def test_a_bare_generator_file_draws_the_same_latents_as_its_gan(tmp_path):
    gan = _digits_gan(seed=1)
    gan.save(tmp_path / "model.keras")
    gan.save_generator(tmp_path / "generator.keras")
    kwargs = {"dataset": "digits", "metrics": "fid", "num_samples": 32, "seed": 5}
    from_gan = evaluation.evaluate(str(tmp_path / "model.keras"), **kwargs)
    from_generator = evaluation.evaluate(str(tmp_path / "generator.keras"), **kwargs)
    assert from_generator["metrics"]["fid"] == pytest.approx(
        from_gan["metrics"]["fid"], rel=1e-6
    )
    assert from_gan["num_real_samples"] == 360  # the whole digits test split


def test_a_run_folder_gives_dataset_and_resize_and_padded_digits_are_cropped(
    tmp_path,
):
    run = tmp_path / "run"
    run.mkdir()
    gan = _digits_gan(image_size=16)
    gan.save(run / "model.keras")
    (run / "config.json").write_text(
        json.dumps({"dataset": "digits", "image_size": 16, "resize": "pad"})
    )
    report = evaluation.evaluate(str(run), metrics=["fid"], num_samples=48, seed=0)
    assert report["dataset"] == "digits" and report["resize"] == "pad"
    assert report["sample_shape"] == [16, 16, 1]
    assert report["model"] == str(run / "model.keras")
    # Oracle: the centre 8x8 of the padded 16x16 samples against the 8x8 digits.
    classifier = DigitsFeatures()
    fake = gan.generate(48, seed=0)[:, 4:12, 4:12]
    real = data.load_arrays("digits", "test")[0]
    np.testing.assert_allclose(
        report["metrics"]["fid"],
        _numpy_fid(
            classifier.features(real).astype("float64"),
            classifier.features(fake).astype("float64"),
        ),
        rtol=1e-6,
    )


def test_mode_coverage_on_ring8_follows_the_m5_protocol():
    gan = GAN(
        architectures.mlp_generator(4, 2, hidden_units=(16,), seed=0),
        architectures.mlp_discriminator(2, hidden_units=(16,), seed=0),
        seed=0,
    )
    report = evaluation.evaluate(
        gan, "ring8", metrics="modes,pr", num_samples=500, num_real_samples=300
    )
    points = gan.generate(500, seed=0)
    distances = np.linalg.norm(
        points[:, None] - mixture_means("ring8")[None], axis=-1
    )  # [500, 8]
    high_quality = distances.min(axis=1) <= 3 * 0.01
    values = report["metrics"]
    assert values["high_quality_fraction"] == high_quality.mean()
    assert values["modes_captured"] == len(set(distances.argmin(axis=1)[high_quality]))
    real = data.load_arrays("ring8", "test")[0][:300]
    assert (values["precision"], values["recall"]) == pytest.approx(
        _numpy_precision_recall(real.astype("float64"), points.astype("float64"))
    )
    assert report["extractor"].startswith("identity")
    assert "M5: ring8" in report["modes"]


def test_the_evaluator_extracts_the_real_features_once():
    calls = []

    def extractor(samples):
        calls.append(len(samples))
        return samples

    real = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    evaluator = evaluation.SampleEvaluator(real, "fid,kid", extractor=extractor)
    for seed in range(3):
        fake = np.random.default_rng(seed + 1).normal(size=(30, 3))
        evaluator(fake.astype("float32"))
    assert calls == [30, 40, 30, 30]  # real (40) once, at the first call


def test_errors_name_the_problem_before_any_sampling(tmp_path):
    gan = _digits_gan()
    with pytest.raises(ValueError, match=r"one or more of fid, kid, is, pr, modes.*"):
        evaluation.evaluate(gan, "digits", metrics="fid,sharpness")
    # No mode protocol and no classifier for a tensorflow-datasets name; raised
    # before the dataset is looked up.
    with pytest.raises(ValueError, match=r"`modes`\) is defined for the 2-D"):
        evaluation.evaluate(gan, "mnist", metrics="modes", extractor="identity")
    with pytest.raises(ValueError, match="needs class logits"):
        evaluation.evaluate(gan, "ring8", metrics="is")
    with pytest.raises(ValueError, match="`dataset` is needed"):
        evaluation.evaluate(gan, metrics="fid")
    with pytest.raises(ValueError, match="`num_samples` should be a positive"):
        evaluation.evaluate(gan, "digits", num_samples=0)
    with pytest.raises(ValueError, match="Model file not found"):
        evaluation.evaluate(str(tmp_path / "missing.keras"), "digits")
    with pytest.raises(ValueError, match="`extractor` should be one of"):
        evaluation.evaluate(gan, "digits", extractor="vgg")
    # Generated 8x8 images against 2-D points.
    with pytest.raises(ValueError, match="should have the same shape"):
        evaluation.SampleEvaluator(np.zeros((10, 2)), "fid", extractor="identity")(
            np.zeros((10, 8, 8, 1))
        )


def test_a_custom_keras_extractor_and_the_printed_summary():
    extractor = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(4)],
        name="tiny_features",
    )
    gan = _digits_gan()
    report = evaluation.evaluate(
        gan, "digits", metrics="fid", num_samples=32, extractor=extractor
    )
    real = data.load_arrays("digits", "test")[0]
    expected = _numpy_fid(
        keras.ops.convert_to_numpy(extractor(real)).astype("float64"),
        keras.ops.convert_to_numpy(extractor(gan.generate(32, seed=0))).astype(
            "float64"
        ),
    )
    np.testing.assert_allclose(report["metrics"]["fid"], expected, rtol=1e-5)
    assert "tiny_features" in report["extractor"]
    summary = evaluation.format_report(report)
    assert "32 generated vs 360 real samples" in summary
    assert f"fid                    {report['metrics']['fid']:.6g}" in summary


@pytest.mark.slow
def test_the_run_folder_gets_metrics_curves_and_interpolation_strips(tmp_path):
    # The DCGAN preset made tiny (8x8 digits, 22 steps), one epoch.
    tiny = dataclasses.replace(
        presets.get("dcgan"), image_size=None, width=8, latent_dim=8
    )
    out = tmp_path / "run"
    _, history = training_run.train(tiny, out=str(out), epochs=1, seed=0, verbose=0)
    for key in ("fid", "modes_captured", "mode_kl"):
        assert np.isfinite(history.history[key][0]), key
    header = (out / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"fid", "modes_captured", "mode_kl"} <= set(header)
    with Image.open(out / "metrics.png") as picture:
        assert picture.size == (1200, 300)  # 3 panels: fid, modes, KL
        assert np.asarray(picture.convert("L")).std() > 10  # not blank
    # 8 rows x 10 steps of 8x8 tiles, 1-pixel gaps, upscaled 6x.
    with Image.open(out / "samples" / "interpolation.png") as picture:
        assert picture.size == (6 * (10 * 9 + 1), 6 * (8 * 9 + 1))
    assert os.listdir(out / "tensorboard" / "samples")
    # `evaluate` on the run folder (dataset from its config.json) with the run's
    # evaluation protocol reproduces the logged FID of the final generator.
    report = evaluation.evaluate(
        str(out),
        metrics="fid",
        num_samples=training_run.NUM_EVALUATION_IMAGES,
        seed=training_run.EVALUATION_SEED_OFFSET,
    )
    assert report["dataset"] == "digits"
    assert report["metrics"]["fid"] == pytest.approx(history.history["fid"][0])


def test_evaluate_samples_the_ema_generator_when_the_gan_has_one():
    gan = GAN(
        architectures.dcgan_generator(8, 1, latent_dim=8, width=8, seed=0),
        architectures.dcgan_discriminator(8, 1, width=8, seed=0),
        seed=0,
    )
    gan.compile(generator_ema=0.5)
    # Make the EMA copy differ from the generator: random kernels.
    rng = np.random.default_rng(0)
    kernels = [w for w in gan.ema_generator.weights if "kernel" in w.path]
    assert kernels
    for variable in kernels:
        variable.assign(rng.normal(size=variable.shape).astype("float32"))
    report = evaluation.evaluate(gan, "digits", "fid", num_samples=32, seed=4)
    assert report["generator"] == "ema"
    latents = keras.random.normal((32, 8), seed=keras.random.SeedGenerator(4))
    classifier = DigitsFeatures()
    real = classifier.features(data.load_arrays("digits", "test")[0])

    def fid_of(network):
        fake = network.predict(latents, verbose=0)
        fake_features = classifier.features(fake).astype("float64")
        return _numpy_fid(real.astype("float64"), fake_features)

    assert report["metrics"]["fid"] == pytest.approx(fid_of(gan.ema_generator))
    assert abs(report["metrics"]["fid"] - fid_of(gan.generator)) > 1.0
