"""The GAN model: training contract, seeding, sampling, saving, and clear errors."""

import keras
import numpy as np
import pytest

from keras_gans import GAN, architectures, data

pytestmark = pytest.mark.tensorflow_only


def _small_gan(seed=0, loss="non_saturating"):
    generator = architectures.dcgan_generator(8, 1, latent_dim=8, width=8, seed=seed)
    discriminator = architectures.dcgan_discriminator(8, 1, width=8, seed=seed)
    gan = GAN(generator, discriminator, seed=seed)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        loss=loss,
    )
    return gan


def _digits(count=32, with_labels=False):
    images, labels = data.load_arrays("digits", "train")
    return data.from_array(
        images[:count], labels[:count] if with_labels else None, batch_size=16, seed=0
    )


def _weights(model):
    return [v.numpy().copy() for v in model.weights]


def test_history_reports_every_metric_per_epoch():
    gan = _small_gan()
    history = gan.fit(_digits(), epochs=2, verbose=0, shuffle=False)
    assert sorted(history.history) == [
        "d_grad_norm",
        "d_loss",
        "fake_logits",
        "g_grad_norm",
        "g_loss",
        "real_logits",
    ]
    assert all(len(values) == 2 for values in history.history.values())
    assert gan.d_optimizer.iterations.numpy() == gan.g_optimizer.iterations.numpy() == 4


def test_images_with_labels_train_the_same_as_images():
    plain, labelled = _small_gan(), _small_gan()
    plain.fit(_digits(), epochs=1, verbose=0, shuffle=False)
    labelled.fit(_digits(with_labels=True), epochs=1, verbose=0, shuffle=False)
    for a, b in zip(_weights(plain), _weights(labelled), strict=True):
        np.testing.assert_array_equal(a, b)


def test_seeded_runs_repeat_exactly_and_other_seeds_differ():
    runs = []
    for seed in (0, 0, 1):
        keras.utils.set_random_seed(123)
        gan = _small_gan(seed=seed)
        gan.fit(_digits(), epochs=1, verbose=0, shuffle=False)
        runs.append(_weights(gan.generator))
    for a, b in zip(runs[0], runs[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(runs[0], runs[2], strict=True))


def test_discriminator_sees_real_and_fake_in_separate_passes():
    calls = []

    class RecordingDiscriminator(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, images, training=False):
            calls.append(images.shape[0])
            return self.inner(images, training=training)

    inner = architectures.dcgan_discriminator(8, 1, width=8, seed=0)
    discriminator = RecordingDiscriminator(inner)
    discriminator(np.zeros((1, 8, 8, 1), "float32"))
    calls.clear()
    gan = GAN(architectures.dcgan_generator(8, 1, latent_dim=8, width=8), discriminator)
    gan.compile()
    gan.fit(_digits(16), epochs=1, verbose=0, shuffle=False)
    # Traced once: D on real (16), D on fake (16) in the D step, D on fake in the G
    # step.
    assert calls == [16, 16, 16]


def test_generate_is_repeatable_with_a_seed_and_inside_the_tanh_range():
    gan = _small_gan()
    first, second = gan.generate(10, seed=5), gan.generate(10, seed=5)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (10, 8, 8, 1)
    assert first.min() >= -1.0 and first.max() <= 1.0
    # Without a seed, draws come from the model's SeedGenerator and move on.
    assert not np.array_equal(gan.generate(10), gan.generate(10))


def test_save_and_load_restore_networks_optimizers_and_loss(tmp_path):
    gan = _small_gan(loss="hinge")
    gan.fit(_digits(), epochs=1, verbose=0, shuffle=False)
    path = tmp_path / "run.keras"
    gan.save(path)
    restored = keras.models.load_model(path)

    assert isinstance(restored, GAN)
    assert restored.adversarial_loss.name == "hinge"
    for original, loaded in (
        (gan.d_optimizer, restored.d_optimizer),
        (gan.g_optimizer, restored.g_optimizer),
    ):
        assert loaded.get_config() == original.get_config()
        assert int(loaded.iterations.numpy()) == int(original.iterations.numpy()) == 2
        for a, b in zip(original.variables, loaded.variables, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(_weights(gan), _weights(restored), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(gan.generate(4, seed=1), restored.generate(4, seed=1))
    # Training goes on from the restored state.
    restored.fit(_digits(), epochs=1, verbose=0, shuffle=False)
    assert int(restored.d_optimizer.iterations.numpy()) == 4


def test_generator_exports_alone(tmp_path):
    gan = _small_gan()
    path = tmp_path / "generator.keras"
    gan.save_generator(path)
    generator = keras.models.load_model(path)
    latents = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
    np.testing.assert_allclose(
        generator.predict(latents, verbose=0), gan.generator.predict(latents, verbose=0)
    )


def test_compile_rejects_a_shared_optimizer_and_unknown_arguments():
    gan = GAN(architectures.mlp_generator(4, 2), architectures.mlp_discriminator(2))
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer instances"):
        gan.compile(d_optimizer=shared, g_optimizer=shared)
    with pytest.raises(ValueError, match="`optimizer` is the single-loss optimizer"):
        gan.compile(optimizer="adam")
    with pytest.raises(ValueError, match="Unknown GAN loss: 'nope'"):
        gan.compile(loss="nope")


def test_constructor_errors_name_the_argument():
    with pytest.raises(ValueError, match="`generator` should be a Keras model"):
        GAN("not a model", architectures.mlp_discriminator(2))
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="`discriminator` should be built"):
        GAN(architectures.mlp_generator(4, 2), unbuilt)
    with pytest.raises(ValueError, match="`latent_dim` should be a positive integer"):
        GAN(
            architectures.mlp_generator(4, 2),
            architectures.mlp_discriminator(2),
            latent_dim=0,
        )
    with pytest.raises(ValueError, match="`num_images` should be a positive integer"):
        GAN(
            architectures.mlp_generator(4, 2), architectures.mlp_discriminator(2)
        ).generate(0)


def test_mlp_gan_moves_samples_onto_the_ring():
    # A behaviour only a working step shows: after 500 steps on the 8-ring, generated
    # points are much closer to the mixture's means than the untrained generator's.
    keras.utils.set_random_seed(0)
    gan = GAN(
        architectures.mlp_generator(16, 2, seed=0),
        architectures.mlp_discriminator(2, seed=0),
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    )
    means = data.builtin.mixture_means("ring8")

    def mean_distance_to_nearest_mode():
        points = gan.generate(1000, seed=1)
        return (
            np.linalg.norm(points[:, None, :] - means[None], axis=-1).min(axis=1).mean()
        )

    before = mean_distance_to_nearest_mode()
    points, _ = data.load_arrays("ring8", "train")
    dataset = data.from_array(points[:25_600], batch_size=256, seed=0)
    gan.fit(dataset, epochs=5, verbose=0, shuffle=False)
    after = mean_distance_to_nearest_mode()
    print(f"mean distance to the nearest mode: {before:.3f} -> {after:.3f}")
    assert after < 0.5 * before
