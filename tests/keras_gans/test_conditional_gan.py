"""ConditionalGAN (T18): labels reach G and D, AC-GAN's losses, uniform replica-sliced
label draws, penalties with labels, every conditional family (cGAN, AC-GAN, SNGAN
ResNet, SAGAN, BigGAN-lite) trains, saves and loads, and a MirroredStrategy step
equals the single-device step."""

import dataclasses
import json
import math

import keras
import numpy as np
import pytest
from keras import ops
from keras_test_case import mirrored_strategy, replica_values
from scipy import special, stats

from keras_gans import architectures, data, plotting, presets, training_run
from keras_gans.architectures.conditional_dcgan import (
    conditional_dcgan_discriminator,
    conditional_dcgan_generator,
)
from keras_gans.models import ConditionalGAN
from keras_gans.models.conditional_gan import classification_loss
from keras_gans.training import trainer

pytestmark = pytest.mark.tensorflow_only

NUM_CLASSES = 10
LATENT_DIM = 4
BATCH = 8
TOLERANCE = 1e-5


# --- Test networks --------------------------------------------------------------------


def _echo_generator(num_classes=NUM_CLASSES, latent_dim=LATENT_DIM):
    """G([z, y]) = concat(z, onehot(y)) as a `[1, latent_dim + K, 1]` image."""
    latents = keras.Input((latent_dim,), name="latents")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = keras.layers.CategoryEncoding(num_classes, output_mode="one_hot")(labels)
    echoed = keras.layers.Concatenate()([latents, one_hot])  # [batch, L + K]
    # A weight for the optimizer to hold, multiplied by 0: the output is the echo.
    unused = keras.layers.Rescaling(0.0)(keras.layers.Dense(echoed.shape[-1])(latents))
    echoed = keras.layers.Add()([echoed, unused])
    images = keras.layers.Reshape((1, latent_dim + num_classes, 1))(echoed)
    return keras.Model([latents, labels], images, name="generator")


def _label_linear_discriminator(image_shape, num_classes=NUM_CLASSES, seed=0):
    """D([x, y]) = <w_y, flatten(x)>: its input gradient is w_y, the row of y."""
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    flat = keras.layers.Flatten()(images)  # [batch, n]
    rows = keras.layers.Embedding(
        num_classes,
        flat.shape[-1],
        embeddings_initializer=keras.initializers.RandomNormal(seed=seed),
        name="class_rows",
    )(labels)  # [batch, n]
    logits = keras.layers.Dot(axes=1)([rows, flat])  # [batch, 1]
    return keras.Model([images, labels], logits, name="discriminator")


def _constant_class_discriminator(image_shape, class_bias):
    """AC-GAN D whose class logits are its class head's bias for every image
    (the head reads `0 * features`, so its kernel gets no gradient either)."""
    images = keras.Input(image_shape, name="images")
    features = keras.layers.Flatten()(images)  # [batch, n]
    logits = keras.layers.Dense(1, name="logits")(features)
    class_logits = keras.layers.Dense(
        len(class_bias),
        bias_initializer=keras.initializers.Constant(class_bias),
        name="class_logits",
    )(keras.layers.Rescaling(0.0)(features))
    return keras.Model(images, [logits, class_logits], name="discriminator")


class _FixedGeneratedLabels(ConditionalGAN):
    """Generated batches take the labels `GENERATED_LABELS` (a known draw)."""

    GENERATED_LABELS = np.array([0, 0, 1, 2], dtype="int32")

    def sample_labels(self, batch_size):
        return ops.convert_to_tensor(self.GENERATED_LABELS[:batch_size])


def _digits(count=BATCH, image_size=16):
    images, labels = data.load_arrays(
        "digits", "train", image_size=image_size, resize="pad"
    )
    return images[:count], labels[:count]


def _one_batch(images, labels):
    return data.from_array(images, labels, batch_size=len(images), shuffle=False)


# --- AC-GAN's losses ------------------------------------------------------------------


def _log_softmax(logits):
    return logits - special.logsumexp(logits, axis=-1, keepdims=True)


def test_classification_loss_is_the_mean_cross_entropy():
    logits = np.random.default_rng(0).normal(size=(6, 4)) * 3
    labels = np.array([0, 3, 1, 1, 2, 3])
    expected = -np.mean(_log_softmax(logits)[np.arange(6), labels])
    np.testing.assert_allclose(
        float(classification_loss(labels, logits)), expected, rtol=1e-6
    )


def test_acgan_losses_and_their_weight_match_the_numpy_formula():
    class_bias = np.array([0.5, -1.0, 2.0, 0.0])
    real_labels = np.array([3, 3, 1, 0], dtype="int32")
    generated_labels = _FixedGeneratedLabels.GENERATED_LABELS
    learning_rate, weight = 0.1, 0.5
    gan = _FixedGeneratedLabels(
        _echo_generator(num_classes=4),
        _constant_class_discriminator((1, LATENT_DIM + 4, 1), class_bias),
        num_classes=4,
        seed=0,
        auxiliary_classifier=True,
    )
    gan.compile(
        d_optimizer=keras.optimizers.SGD(learning_rate),
        g_optimizer=keras.optimizers.SGD(learning_rate),
        classification_weight=weight,
        run_eagerly=True,
    )
    images = np.zeros((4, 1, LATENT_DIM + 4, 1), "float32")
    logs = gan.train_on_batch(images, real_labels, return_dict=True)

    def cross_entropy(bias, labels):
        return -np.mean(_log_softmax(bias)[labels])

    def cross_entropy_gradient(bias, labels):  # d/d bias of the batch mean
        return special.softmax(bias) - np.eye(len(bias))[labels].mean(axis=0)

    # D: λ [C(real) + C(fake)], one SGD step on the class bias ...
    np.testing.assert_allclose(
        logs["d_classification"],
        cross_entropy(class_bias, real_labels)
        + cross_entropy(class_bias, generated_labels),
        rtol=1e-5,
    )
    updated_bias = class_bias - learning_rate * weight * (
        cross_entropy_gradient(class_bias, real_labels)
        + cross_entropy_gradient(class_bias, generated_labels)
    )
    bias = gan.discriminator.get_layer("class_logits").bias.numpy()
    np.testing.assert_allclose(bias, updated_bias, rtol=1e-5)
    # ... then G: C(fake) under the updated D.
    np.testing.assert_allclose(
        logs["g_classification"],
        cross_entropy(updated_bias, generated_labels),
        rtol=1e-5,
    )


# --- Labels: sampled, fed, validated --------------------------------------------------


def test_sampled_labels_are_uniform_over_the_classes():
    gan = ConditionalGAN(
        _echo_generator(),
        _label_linear_discriminator((1, LATENT_DIM + NUM_CLASSES, 1)),
        num_classes=NUM_CLASSES,
        seed=0,
    )
    labels = ops.convert_to_numpy(gan.sample_labels(20_000))
    assert labels.dtype == np.int32
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    assert len(counts) == NUM_CLASSES  # nothing outside [0, K)
    assert stats.chisquare(counts).pvalue > 1e-3, counts


def test_replicas_draw_slices_of_one_global_label_draw():
    import tensorflow as tf

    def build():
        return ConditionalGAN(
            _echo_generator(),
            _label_linear_discriminator((1, LATENT_DIM + NUM_CLASSES, 1)),
            num_classes=NUM_CLASSES,
            seed=0,
        )

    strategy = mirrored_strategy()
    with strategy.scope():
        gan = build()
    single = build()

    @tf.function
    def draw():
        return strategy.run(lambda: gan.sample_labels(16))

    first, second = (
        np.asarray(values) for values in strategy.experimental_local_results(draw())
    )
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(
        np.concatenate([first, second]), np.asarray(single.sample_labels(32))
    )


def test_generate_feeds_the_requested_labels_and_truncates_latents():
    gan = ConditionalGAN(
        _echo_generator(),
        _label_linear_discriminator((1, LATENT_DIM + NUM_CLASSES, 1)),
        num_classes=NUM_CLASSES,
        seed=0,
    )
    gan.compile()

    def echoed(images):  # (latents, labels) that the generator received
        rows = images[:, 0, :, 0]  # [n, L + K]
        return rows[:, :LATENT_DIM], np.argmax(rows[:, LATENT_DIM:], axis=1)

    _, labels = echoed(gan.generate(5, labels=7))
    np.testing.assert_array_equal(labels, [7] * 5)
    _, labels = echoed(gan.generate(4, labels=np.array([3, 0, 9, 3])))
    np.testing.assert_array_equal(labels, [3, 0, 9, 3])
    latents, labels = echoed(gan.generate(3000, seed=4, truncation=0.5))
    assert np.abs(latents).max() <= 0.5
    assert stats.chisquare(np.bincount(labels, minlength=10)).pvalue > 1e-3
    np.testing.assert_array_equal(gan.generate(6, seed=2), gan.generate(6, seed=2))
    for bad in (10, -1, np.array([1.0, 2.0]), np.array([1, 2, 3])):
        with pytest.raises(ValueError, match="`labels` should be"):
            gan.generate(2, labels=bad)


def test_batches_without_integer_labels_raise_a_clear_error():
    images, labels = _digits(4, image_size=8)
    gan = ConditionalGAN(
        conditional_dcgan_generator(8, 1, NUM_CLASSES, LATENT_DIM, width=4, seed=0),
        conditional_dcgan_discriminator(8, 1, NUM_CLASSES, width=4, seed=0),
        num_classes=NUM_CLASSES,
        seed=0,
    )
    gan.compile(run_eagerly=True)
    with pytest.raises(ValueError, match=r"`\(images, labels\)` batches"):
        gan.train_on_batch(images)
    one_hot = np.eye(NUM_CLASSES, dtype="int32")[labels]
    with pytest.raises(ValueError, match="not one-hot"):
        gan.train_on_batch(images, one_hot)


def test_networks_and_options_without_meaning_for_labels_are_rejected():
    image_shape = (1, LATENT_DIM + NUM_CLASSES, 1)
    generator = _echo_generator()
    discriminator = _label_linear_discriminator(image_shape)
    with pytest.raises(ValueError, match="`num_classes` should be an integer >= 2"):
        ConditionalGAN(generator, discriminator, num_classes=1)
    unconditional = architectures.mlp_generator(LATENT_DIM, image_shape)
    with pytest.raises(ValueError, match="`generator` should take two inputs"):
        ConditionalGAN(unconditional, discriminator, NUM_CLASSES, LATENT_DIM)
    images_only = architectures.mlp_discriminator(image_shape)
    with pytest.raises(ValueError, match="`discriminator` should take two inputs"):
        ConditionalGAN(generator, images_only, NUM_CLASSES)
    with pytest.raises(ValueError, match="return `\\[logits, class_logits\\]`"):
        ConditionalGAN(generator, images_only, NUM_CLASSES, auxiliary_classifier=True)
    gan = ConditionalGAN(generator, discriminator, NUM_CLASSES)
    for option in (
        {"packing": 2},
        {"feature_matching": True},
        {"unrolled_steps": 1},
    ):
        (argument,) = option
        with pytest.raises(ValueError, match=f"`{argument}` is not available"):
            gan.compile(**option)
    with pytest.raises(ValueError, match="`classification_weight` should be"):
        gan.compile(classification_weight=-1)


def test_penalties_differentiate_d_at_each_batchs_own_labels():
    # D = <w_y, x>: R1 = mean over real ‖w_{y_real}‖², R2 = mean over fake
    # ‖w_{y_generated}‖², and the real logits <w_{y_real}, x_real>.
    images, real_labels = _digits(4, image_size=8)
    gan = _FixedGeneratedLabels(
        conditional_dcgan_generator(8, 1, NUM_CLASSES, LATENT_DIM, width=4, seed=0),
        _label_linear_discriminator((8, 8, 1), seed=1),
        num_classes=NUM_CLASSES,
        seed=0,
    )
    rows = gan.discriminator.get_layer("class_rows").embeddings.numpy()  # [K, 64]
    gan.compile(penalties=["r1", "r2"], run_eagerly=True)
    logs = gan.train_on_batch(images, real_labels, return_dict=True)
    squared_norms = np.sum(rows**2, axis=1)  # [K]
    np.testing.assert_allclose(logs["r1"], squared_norms[real_labels].mean(), 1e-5)
    generated_labels = _FixedGeneratedLabels.GENERATED_LABELS
    np.testing.assert_allclose(
        logs["r2"], squared_norms[generated_labels].mean(), rtol=1e-5
    )
    real_logits = np.sum(rows[real_labels] * images.reshape(4, -1), axis=1)
    np.testing.assert_allclose(logs["real_logits"], real_logits.mean(), rtol=1e-4)


# --- The conditional families: presets, fit, save and load ----------------------------

# Each family at test width (SAGAN's attention needs a multiple of 8; BigGAN's
# blocks have 4 x width filters).
FAMILY_WIDTHS = {
    "cgan": 4,
    "acgan": 4,
    "sngan-resnet": 8,
    "sagan": 8,
    "biggan-lite": 2,
}

# The papers' numbers, written out here independently of presets.py.
PAPER_HYPERPARAMETERS = {
    "cgan": {"architecture": "conditional-dcgan", "loss": "non_saturating"},
    "acgan": {  # Odena et al. 2017: Adam(2e-4, beta_1=0.5)
        "architecture": "conditional-dcgan",
        "auxiliary_classifier": True,
        "d_learning_rate": 2e-4,
        "beta_1": 0.5,
    },
    "sngan-resnet": {  # Miyato & Koyama 2018
        "architecture": "resnet",
        "loss": "hinge",
        "d_learning_rate": 2e-4,
        "beta_1": 0.0,
        "beta_2": 0.9,
        "discriminator_steps": 5,
    },
    "sagan": {  # Zhang et al. 2018
        "architecture": "sagan",
        "loss": "hinge",
        "d_learning_rate": 4e-4,
        "g_learning_rate": 1e-4,
        "beta_1": 0.0,
        "beta_2": 0.9,
        "discriminator_steps": 1,
    },
    "biggan-lite": {  # Brock et al. 2018
        "architecture": "biggan",
        "loss": "hinge",
        "d_learning_rate": 4e-4,
        "g_learning_rate": 1e-4,
        "beta_1": 0.0,
        "beta_2": 0.999,
        "discriminator_steps": 2,
        "penalties": ("orthogonal",),
        "latent_dim": 120,
    },
}


@pytest.mark.parametrize("name", sorted(PAPER_HYPERPARAMETERS))
def test_conditional_presets_carry_the_papers_hyperparameters(name):
    preset = presets.get(name)
    assert preset.num_classes == 10 and preset.dataset == "digits"
    assert "arXiv:" in preset.description
    for field, value in PAPER_HYPERPARAMETERS[name].items():
        assert getattr(preset, field) == value, (name, field)
    if name == "biggan-lite":
        assert preset.generator_ema is not None and preset.truncation is not None


def _layer_types(model):
    """The class names and names of every layer of `model` and its nested models."""
    names = set()
    for layer in model.layers:
        names |= {type(layer).__name__, layer.name}
        if isinstance(layer, keras.Model):
            names |= _layer_types(layer)
    return names


# The conditioning each family's networks must show (layer types or names): the
# label concatenated to z and as D's input channels, AC-GAN's class head,
# conditional BN in G and the projection in D, self-attention, BigGAN's shared
# embedding and latent chunks.
FAMILY_LAYERS = {
    "cgan": ({"one_hot_labels"}, {"one_hot_labels", "label_channels"}),
    "acgan": ({"one_hot_labels"}, {"class_logits"}),
    "sngan-resnet": ({"ConditionalBatchNormalization"}, {"projection"}),
    "sagan": (
        {"ConditionalBatchNormalization", "SelfAttention2D"},
        {"SelfAttention2D", "projection"},
    ),
    "biggan-lite": (
        {"ConditionalBatchNormalization", "SplitLatents", "shared_embedding"},
        {"SelfAttention2D", "projection"},
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FAMILY_WIDTHS))
def test_each_conditional_family_trains_two_steps_and_saves(name, tmp_path):
    preset = dataclasses.replace(
        presets.get(name),
        width=FAMILY_WIDTHS[name],
        batch_size=BATCH,
        latent_dim=12,  # divisible into BigGAN's 3 chunks
        discriminator_steps=1,
    )
    gan = presets.build_gan(preset, (16, 16, 1), seed=0)
    assert isinstance(gan, ConditionalGAN) and gan.num_classes == 10
    assert gan.auxiliary_classifier == (name == "acgan")
    generator_layers, discriminator_layers = FAMILY_LAYERS[name]
    assert generator_layers <= _layer_types(gan.generator)
    assert discriminator_layers <= _layer_types(gan.discriminator)
    # Eager steps: tracing these networks costs more than two steps.
    gan.run_eagerly = True
    steps = preset.discriminator_steps
    dataset = data.load(
        "digits",
        batch_size=BATCH * steps,
        image_size=16,
        resize="pad",
        with_labels=True,
        seed=0,
    ).take(2)
    history = gan.fit(dataset, epochs=1, verbose=0)
    logs = {key: values[-1] for key, values in history.history.items()}
    assert all(math.isfinite(value) for value in logs.values()), logs
    assert int(gan.g_optimizer.iterations.numpy()) == 2
    assert ("d_classification" in logs) == (name == "acgan")
    assert ("orthogonal" in logs) == (name == "biggan-lite")
    assert (gan.ema_generator is not None) == (name == "biggan-lite")

    path = str(tmp_path / f"{name}.keras")
    gan.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is ConditionalGAN
    assert (restored.num_classes, restored.auxiliary_classifier) == (
        10,
        gan.auxiliary_classifier,
    )
    for key in ("loss", "penalties", "discriminator_steps", "classification_weight"):
        assert restored.get_compile_config()[key] == gan.get_compile_config()[key]
    labels = np.array([0, 3, 9, 3])
    np.testing.assert_allclose(
        restored.generate(4, labels=labels, seed=1, truncation=preset.truncation),
        gan.generate(4, labels=labels, seed=1, truncation=preset.truncation),
        atol=1e-6,
    )


# --- MirroredStrategy: one step equals the single-device step -------------------------


def _largest_difference(single, mirrored):
    largest = 0.0
    for single_variable, mirrored_variable in zip(
        single.variables, mirrored.variables, strict=True
    ):
        replicas = replica_values(mirrored_variable)
        for replica in replicas[1:]:  # the replicas agree ...
            np.testing.assert_array_equal(replica, replicas[0])
        largest = max(  # ... with the single device
            largest, float(np.max(np.abs(replicas[0] - np.asarray(single_variable))))
        )
    return largest


def test_mirrored_cgan_step_equals_the_single_device_step():
    import tensorflow as tf

    images, labels = _digits(BATCH, image_size=8)

    def one_step(strategy):
        with strategy.scope():
            gan = ConditionalGAN(
                conditional_dcgan_generator(8, 1, NUM_CLASSES, 8, width=4, seed=3),
                conditional_dcgan_discriminator(8, 1, NUM_CLASSES, width=4, seed=3),
                num_classes=NUM_CLASSES,
                seed=3,
            )
            gan.compile(loss="hinge", run_eagerly=True)
        gan.fit(_one_batch(images, labels), epochs=1, verbose=0, shuffle=False)
        return gan

    single = one_step(tf.distribute.get_strategy())
    mirrored = one_step(mirrored_strategy())
    assert _largest_difference(single, mirrored) <= TOLERANCE


class _RepeatedHalves(ConditionalGAN):
    """Draws half of the global generated batch and repeats it: each replica's half
    batch then has the global batch's statistics."""

    def _half(self, batch_size):
        _, num_replicas = trainer.replica_position()
        half = batch_size * num_replicas // 2
        return half, batch_size // half

    def sample_latents(self, batch_size):
        half, repeats = self._half(batch_size)
        latents = keras.random.normal(
            (half, *self.latent_shape), seed=self.seed_generator
        )
        return ops.tile(latents, (repeats, 1))

    def sample_labels(self, batch_size):
        half, repeats = self._half(batch_size)
        labels = keras.random.randint(
            (half,), 0, self.num_classes, seed=self.seed_generator
        )
        return ops.tile(labels, (repeats,))


@pytest.mark.slow
def test_mirrored_projection_resnet_step_equals_the_single_device_step():
    # The ResNet builders' batch norms (conditional in G) are not synchronized:
    # each replica normalises with its own half batch, which differs from the
    # global batch's statistics. With halves that repeat each other (real images
    # and labels [A; A], generated latents and labels [Z; Z]) a half has exactly
    # the global statistics, so the rest of the step must match to 1e-5. SGD, not
    # Adam: the convolution biases before G's batch norms have a true gradient of
    # 0, and Adam's first step g / (|g| + 1e-7) turns the ~1e-9 rounding noise of
    # that zero into steps of up to the learning rate, different on each side.
    import tensorflow as tf

    images, labels = _digits(BATCH // 2, image_size=16)
    images, labels = np.concatenate([images] * 2), np.concatenate([labels] * 2)

    def one_step(strategy):
        with strategy.scope():
            gan = _RepeatedHalves(
                architectures.resnet_generator(
                    16, 1, latent_dim=8, width=4, num_classes=NUM_CLASSES, seed=3
                ),
                architectures.resnet_discriminator(
                    16, 1, width=4, num_classes=NUM_CLASSES, seed=3
                ),
                num_classes=NUM_CLASSES,
                seed=3,
                name="repeated_halves",
            )
            gan.compile(
                keras.optimizers.SGD(0.1),
                keras.optimizers.SGD(0.1),
                loss="hinge",
                run_eagerly=True,
            )
        gan.fit(_one_batch(images, labels), epochs=1, verbose=0, shuffle=False)
        return gan

    single = one_step(tf.distribute.get_strategy())
    mirrored = one_step(mirrored_strategy())
    assert _largest_difference(single, mirrored) <= TOLERANCE


# --- The command line's sampling of a conditional run ---------------------------------


def test_sample_draws_classes_in_turn_from_a_conditional_run_folder(
    tmp_path, monkeypatch
):
    _echo_generator(num_classes=3).save(str(tmp_path / "generator.keras"))
    written = {}

    def save_image_grid(images, path, columns=None):
        written.update(images=images, columns=columns)

    monkeypatch.setattr(plotting, "save_image_grid", save_image_grid)
    with pytest.raises(ValueError, match="config.json"):
        training_run.sample(str(tmp_path), num=7, out=str(tmp_path / "s.png"))
    (tmp_path / "config.json").write_text(json.dumps({"num_classes": 3}))
    training_run.sample(str(tmp_path), num=7, out=str(tmp_path / "s.png"))
    one_hot = written["images"][:, 0, LATENT_DIM:, 0]  # [7, 3]
    np.testing.assert_array_equal(np.argmax(one_hot, axis=1), [0, 1, 2, 0, 1, 2, 0])
    assert written["columns"] == 3
