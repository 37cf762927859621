"""Losses L1-L8 against NumPy re-derivations of the papers' formulas."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import GAN, architectures, data
from keras_gans import losses as gan_losses

pytestmark = pytest.mark.tensorflow_only

REAL_LOGITS = np.array([2.0, -0.5, 0.3, 4.0, -3.0, 1.2], dtype="float32")
FAKE_LOGITS = np.array([-1.0, 0.7, -2.5, 0.1, 3.0, -0.4], dtype="float32")


# NumPy oracles, written from TECHNIQUES.md (probabilities, not logits, where the paper
# states it that way: D = sigmoid(l)).
def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def _ra(real, fake):
    return real - fake.mean(), fake - real.mean()


ORACLES = {
    "minimax": (
        lambda r, f: np.mean(-np.log(_sigmoid(r))) + np.mean(-np.log(1 - _sigmoid(f))),
        lambda f, r: np.mean(np.log(1 - _sigmoid(f))),
    ),
    "non_saturating": (
        lambda r, f: np.mean(-np.log(_sigmoid(r))) + np.mean(-np.log(1 - _sigmoid(f))),
        lambda f, r: np.mean(-np.log(_sigmoid(f))),
    ),
    "maximum_likelihood": (
        lambda r, f: np.mean(-np.log(_sigmoid(r))) + np.mean(-np.log(1 - _sigmoid(f))),
        # -1/2 E exp(sigmoid^-1(D(G(z)))), sigmoid^-1(D) = log(D / (1 - D)).
        lambda f, r: -0.5 * np.mean(np.exp(np.log(_sigmoid(f) / (1 - _sigmoid(f))))),
    ),
    "least_squares": (
        lambda r, f: 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2),
        lambda f, r: 0.5 * np.mean((f - 1) ** 2),
    ),
    "wasserstein": (
        lambda r, f: np.mean(f) - np.mean(r),
        lambda f, r: -np.mean(f),
    ),
    "hinge": (
        lambda r, f: np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)),
        lambda f, r: -np.mean(f),
    ),
    "relativistic": (
        lambda r, f: np.mean(-np.log(_sigmoid(r - f))),
        lambda f, r: np.mean(-np.log(_sigmoid(f - r))),
    ),
    "relativistic_average": (
        lambda r, f: (
            np.mean(-np.log(_sigmoid(_ra(r, f)[0])))
            + np.mean(-np.log(1 - _sigmoid(_ra(r, f)[1])))
        ),
        lambda f, r: (
            np.mean(-np.log(_sigmoid(_ra(f, r)[0])))
            + np.mean(-np.log(1 - _sigmoid(_ra(f, r)[1])))
        ),
    ),
    "relativistic_average_least_squares": (
        lambda r, f: (
            np.mean((_ra(r, f)[0] - 1) ** 2) + np.mean((_ra(r, f)[1] + 1) ** 2)
        ),
        lambda f, r: (
            np.mean((_ra(f, r)[0] - 1) ** 2) + np.mean((_ra(f, r)[1] + 1) ** 2)
        ),
    ),
    "relativistic_average_hinge": (
        lambda r, f: (
            np.mean(np.maximum(0, 1 - _ra(r, f)[0]))
            + np.mean(np.maximum(0, 1 + _ra(r, f)[1]))
        ),
        lambda f, r: (
            np.mean(np.maximum(0, 1 - _ra(f, r)[0]))
            + np.mean(np.maximum(0, 1 + _ra(f, r)[1]))
        ),
    ),
}
ALL_LOSSES = gan_losses.names()


def test_every_registered_loss_has_an_oracle():
    assert sorted(ALL_LOSSES) == sorted(ORACLES)


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("shape", [(6,), (6, 1), (2, 3), (1, 2, 3, 1)])
def test_golden_values_for_any_rank(name, shape):
    loss = gan_losses.get(name)
    real, fake = REAL_LOGITS.reshape(shape), FAKE_LOGITS.reshape(shape)
    d_oracle, g_oracle = ORACLES[name]
    expected_d = d_oracle(REAL_LOGITS.astype("float64"), FAKE_LOGITS.astype("float64"))
    expected_g = g_oracle(FAKE_LOGITS.astype("float64"), REAL_LOGITS.astype("float64"))
    np.testing.assert_allclose(
        float(loss.discriminator_loss(real, fake)), expected_d, rtol=1e-5
    )
    np.testing.assert_allclose(
        float(loss.generator_loss(fake, real)), expected_g, rtol=1e-5
    )


# An undecided discriminator: logits inside every loss's active region (below the LSGAN
# real target 1 and above its fake target 0, inside the hinge margins).
UNDECIDED_REAL = np.array([0.1, 0.4, 0.2, 0.3], dtype="float32")
UNDECIDED_FAKE = np.array([0.3, 0.1, 0.5, 0.2], dtype="float32")
NUDGE = 0.05


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_discriminator_loss_falls_when_real_rises_or_fake_falls(name):
    loss = gan_losses.get(name)
    base = float(loss.discriminator_loss(UNDECIDED_REAL, UNDECIDED_FAKE))
    assert float(loss.discriminator_loss(UNDECIDED_REAL + NUDGE, UNDECIDED_FAKE)) < base
    assert float(loss.discriminator_loss(UNDECIDED_REAL, UNDECIDED_FAKE - NUDGE)) < base


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_generator_loss_falls_when_fake_rises(name):
    loss = gan_losses.get(name)
    base = float(loss.generator_loss(UNDECIDED_FAKE, UNDECIDED_REAL))
    assert float(loss.generator_loss(UNDECIDED_FAKE + NUDGE, UNDECIDED_REAL)) < base


@pytest.mark.parametrize("name", [n for n in ALL_LOSSES if n != "maximum_likelihood"])
def test_stable_at_extreme_logits(name):
    # softplus forms: no log(0) = -inf even where sigmoid saturates in float32.
    # (maximum_likelihood's exp overflows by definition; its docstring says so.)
    loss = gan_losses.get(name)
    extreme = np.array([-200.0, 200.0, -90.0, 90.0], dtype="float32")
    assert np.isfinite(float(loss.discriminator_loss(extreme, -extreme)))
    assert np.isfinite(float(loss.generator_loss(extreme, -extreme)))


def _generator_gradient(name, fake_logits):
    fake = tf.constant(fake_logits)
    with tf.GradientTape() as tape:
        tape.watch(fake)
        value = gan_losses.get(name).generator_loss(fake, tf.zeros_like(fake))
    return tape.gradient(value, fake).numpy()


def test_minimax_gradient_vanishes_where_non_saturating_does_not():
    # A confident D: sigmoid(l_f) ~ 0. d/dl of mean(-softplus(l)) = -sigmoid(l)/n;
    # d/dl of mean(softplus(-l)) = (sigmoid(l) - 1)/n.
    fake = np.array([-12.0, -8.0, 0.0, 3.0], dtype="float32")
    n = len(fake)
    minimax = _generator_gradient("minimax", fake)
    non_saturating = _generator_gradient("non_saturating", fake)
    np.testing.assert_allclose(minimax, -_sigmoid(fake) / n, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(non_saturating, (_sigmoid(fake) - 1) / n, rtol=1e-5)
    assert abs(minimax[0]) < 1e-5 * abs(non_saturating[0])


def test_maximum_likelihood_gradient_is_the_density_ratio():
    # d/dl of -0.5 mean(exp(l)) = -0.5 exp(l)/n = -0.5 (D / (1 - D))/n.
    fake = np.array([-2.0, 0.0, 1.5], dtype="float32")
    gradient = _generator_gradient("maximum_likelihood", fake)
    density_ratio = _sigmoid(fake) / (1 - _sigmoid(fake))
    np.testing.assert_allclose(gradient, -0.5 * density_ratio / len(fake), rtol=1e-5)


def test_least_squares_second_scheme():
    # a=-1, b=1, c=0 (Mao et al. 2017, eq. 9).
    loss = gan_losses.LeastSquaresLoss(
        fake_target=-1, real_target=1, generator_target=0
    )
    r, f = REAL_LOGITS.astype("float64"), FAKE_LOGITS.astype("float64")
    expected_d = 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean((f + 1) ** 2)
    np.testing.assert_allclose(
        float(loss.discriminator_loss(r, f)), expected_d, rtol=1e-5
    )
    np.testing.assert_allclose(
        float(loss.generator_loss(f)), 0.5 * np.mean(f**2), rtol=1e-5
    )
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert restored.get_config() == loss.get_config()


def test_registry_accepts_hyphens_and_objects_and_lists_names_on_error():
    assert gan_losses.get("non-saturating") is gan_losses.get("non_saturating")
    loss = gan_losses.get("hinge")
    assert gan_losses.get(loss) is loss
    with pytest.raises(ValueError) as error:
        gan_losses.get("nonsaturating")
    for name in ALL_LOSSES:
        assert name in str(error.value)


def test_unregistered_loss_refuses_to_serialize_with_a_clear_message():
    custom = gan_losses.GANLoss(
        "mine", gan_losses.hinge_discriminator_loss, gan_losses.hinge_generator_loss
    )
    with pytest.raises(ValueError, match="not in the registry"):
        custom.get_config()


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_one_fit_step_with_every_loss_changes_both_networks(name):
    images, _ = data.load_arrays("digits", "train")
    generator = architectures.dcgan_generator(8, 1, latent_dim=8, width=8, seed=1)
    discriminator = architectures.dcgan_discriminator(8, 1, width=8, seed=1)
    gan = GAN(generator, discriminator, seed=1)
    gan.compile(loss=name)
    g_before = [v.numpy().copy() for v in generator.trainable_variables]
    d_before = [v.numpy().copy() for v in discriminator.trainable_variables]
    history = gan.fit(
        data.from_array(images[:16], batch_size=16, seed=0),
        epochs=1,
        verbose=0,
        shuffle=False,
    )
    for key in ("d_loss", "g_loss", "real_logits", "fake_logits"):
        assert np.isfinite(history.history[key][0]), key
    assert any(
        not np.array_equal(b, v.numpy())
        for b, v in zip(g_before, generator.trainable_variables, strict=True)
    )
    assert any(
        not np.array_equal(b, v.numpy())
        for b, v in zip(d_before, discriminator.trainable_variables, strict=True)
    )
