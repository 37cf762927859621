"""FailureDetector (T20): each symptom is reported once per epoch, named, and stops
training when asked; healthy logs and diverse samples raise nothing."""

import warnings

import keras
import numpy as np
import pytest

from keras_gans import GAN, architectures
from keras_gans.callbacks import FailureDetector, TrainingFailureWarning
from keras_gans.callbacks.failure_detector import (
    TrainingFailureError,
    mean_pairwise_distance,
)


class _FakeModel:
    """What the detector reads of a model: its loss, `stop_training`, `generate`."""

    def __init__(self, loss_name="non_saturating", samples=None):
        self.adversarial_loss = type("Loss", (), {"name": loss_name})()
        self.stop_training = False
        self._samples = samples

    def generate(self, num_images, seed=None):
        return self._samples[:num_images]


def _run(detector, model, batch_logs):
    detector.set_model(model)
    detector.on_epoch_begin(0)
    for step, logs in enumerate(batch_logs):
        detector.on_train_batch_end(step, logs)
    detector.on_epoch_end(0)


HEALTHY = {"d_loss": 1.2, "g_loss": 0.8, "d_grad_norm": 3.0, "g_grad_norm": 1.0}


def test_healthy_training_reports_nothing():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(64, 2))
    detector = FailureDetector(real_samples=real, num_samples=64)
    model = _FakeModel(samples=rng.normal(size=(64, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _run(detector, model, [HEALTHY] * 3)
    assert detector.reported == []
    assert not model.stop_training


@pytest.mark.parametrize(
    "logs, symptom, words",
    [
        ({**HEALTHY, "d_loss": 2e-4}, "discriminator_wins", "`d_loss` is 0.0002"),
        ({**HEALTHY, "g_grad_norm": 250.0}, "exploding_gradients", "`g_grad_norm`"),
        ({**HEALTHY, "gp": float("nan")}, "non_finite", "`gp` is nan"),
        ({**HEALTHY, "g_loss": float("inf")}, "non_finite", "`g_loss` is inf"),
        ({**HEALTHY, "d_loss": 1.3e14}, "diverged", "`d_loss` is 1.3e+14, beyond"),
        ({**HEALTHY, "real_logits": -2e7}, "diverged", "`real_logits` is -2e+07"),
    ],
)
def test_each_symptom_is_named_once_per_run(logs, symptom, words):
    detector = FailureDetector(stop_on=())
    model = _FakeModel()
    with pytest.warns(TrainingFailureWarning, match=symptom) as record:
        _run(detector, model, [logs, logs, logs])
    assert len(record) == 1  # Three bad steps, one report.
    assert words in str(record[0].message)
    assert "epoch 1, step 1" in str(record[0].message)
    assert [s for _, s, _ in detector.reported] == [symptom]
    assert not model.stop_training
    # A later epoch records the symptom again without a second warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        detector.on_epoch_begin(1)
        detector.on_train_batch_end(0, logs)
    assert [epoch for epoch, _, _ in detector.reported] == [0, 1]


def test_symptoms_in_stop_on_stop_training():
    detector = FailureDetector(stop_on=("exploding_gradients",))
    model = _FakeModel()
    with pytest.warns(TrainingFailureWarning):
        _run(detector, model, [{**HEALTHY, "d_grad_norm": 1e3}])
    assert model.stop_training


def test_symptoms_in_raise_on_raise_at_once_with_the_hint():
    detector = FailureDetector(
        raise_on=("diverged",), checkpoint_hint="The last good checkpoint is in x."
    )
    logs = [HEALTHY, {**HEALTHY, "g_loss": -4e9}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raised instead of warned
        with pytest.raises(TrainingFailureError) as error:
            _run(detector, _FakeModel(), logs)
    assert error.value.symptom == "diverged"
    assert str(error.value) == (
        "Training stopped (diverged): `g_loss` is -4e+09, beyond ±1e+06, at epoch 1, "
        "step 2: the updates have blown up (is a learning rate far too high?). "
        "The last good checkpoint is in x."
    )
    # Large but healthy-scale values pass: the bound is DIVERGENCE_THRESHOLD.
    quiet = FailureDetector(raise_on=("diverged",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _run(quiet, _FakeModel(), [{**HEALTHY, "fake_logits": 0.99 * 1e6}])


def test_the_wasserstein_critic_loss_has_no_floor_to_check():
    detector = FailureDetector()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _run(detector, _FakeModel("wasserstein"), [{**HEALTHY, "d_loss": 1e-6}])


def test_mean_pairwise_distance_matches_a_loop():
    points = np.random.default_rng(1).normal(size=(7, 3, 2))
    flat = points.reshape(7, -1)
    distances = [
        np.linalg.norm(flat[i] - flat[j]) for i in range(7) for j in range(7) if i != j
    ]
    assert mean_pairwise_distance(points) == pytest.approx(np.mean(distances))


def test_collapsed_samples_are_reported():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(100, 2))
    collapsed = 0.01 * rng.normal(size=(100, 2)) + 3.0  # One tight blob.
    detector = FailureDetector(real_samples=real, num_samples=100)
    with pytest.warns(TrainingFailureWarning, match="mode_collapse"):
        _run(detector, _FakeModel(samples=collapsed), [HEALTHY])


@pytest.mark.tensorflow_only
def test_a_gan_fit_with_a_constant_generator_reports_collapse():
    # A generator with zero output weights produces one point: total collapse.
    generator = architectures.mlp_generator(4, 2, hidden_units=(8,), seed=0)
    last = [layer for layer in generator.layers if hasattr(layer, "kernel")][-1]
    last.kernel.assign(np.zeros(last.kernel.shape, dtype="float32"))
    gan = GAN(generator, architectures.mlp_discriminator(2, (8,), seed=0), seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0))
    real = np.random.default_rng(3).normal(size=(32, 2)).astype("float32")
    detector = FailureDetector(real_samples=real, num_samples=32)
    with pytest.warns(TrainingFailureWarning, match="mode_collapse"):
        gan.fit(real, batch_size=16, epochs=1, verbose=0, callbacks=[detector])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`stop_on` should name symptoms"):
        FailureDetector(stop_on=("bored",))
    with pytest.raises(ValueError, match="`raise_on` should name symptoms"):
        FailureDetector(raise_on=("bored",))
    with pytest.raises(ValueError, match="`divergence_threshold=0`"):
        FailureDetector(divergence_threshold=0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        FailureDetector(real_samples=np.zeros((1, 2)))
