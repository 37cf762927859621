"""Cost of each drop-in layer inside a small discriminator (not a test).

Run from the repository root:

    python tests/benchmarks/layers_benchmark.py

For every row of `ROWS`, two models are built: a small discriminator WITH the
layer and the same discriminator WITHOUT it (or with the named alternative,
e.g. `keras.layers.SpectralNormalization`). One training step's forward and
backward pass (`tf.GradientTape` inside a `tf.function`, no optimizer update) is
timed for both, interleaved in one run so that machine noise hits both alike:
each repetition times a few steps of one model and then of the other, in
alternating order. Warm-up steps (tracing included) are excluded. The table
gives the median step time of each and the median of the per-repetition ratios.

To add a layer, append a `Row` whose builders return a fresh `keras.Model`.
"""

import collections.abc
import dataclasses
import importlib
import os
import pathlib
import platform
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

BATCH_SIZE = 16  # samples per step
IMAGE_SHAPE = (16, 16, 3)  # discriminator input, channels last
SMALL_IMAGE_SHAPE = (8, 8, 3)  # input of the rows whose first block upsamples
NUM_CLASSES = 10  # labels of the conditional rows
WARMUP_STEPS = 3  # per model, untimed (the first one traces the function)
REPETITIONS = 30  # interleaved timings per model; the median is reported
STEPS_PER_REPETITION = 10  # steps per timing, averaged


def _layer(module, name):
    """`layers.<module>.<name>`, imported when a row is built."""
    return getattr(importlib.import_module(f"layers.{module}"), name)


def _conv(filters):
    return keras.layers.Conv2D(filters, 3, strides=2, padding="same")


def _dense(units):
    return keras.layers.Dense(units)


def discriminator(
    *,
    image_shape=IMAGE_SHAPE,
    stem=None,
    after_first_block=None,
    before_flatten=None,
    after_flatten=None,
    conv=_conv,
    dense=_dense,
):
    """The base discriminator, with optional layers inserted at named points.

    image [16, 16, 3] -> conv 32 (stride 2) -> LeakyReLU -> [after_first_block]
    -> conv 64 (stride 2) -> LeakyReLU -> [before_flatten] -> flatten
    -> [after_flatten] -> dense 1. `stem` maps the input image first (the
    upsampling rows); `conv` and `dense` make the convolutions and the head.
    """
    images = keras.Input(image_shape, name="images")
    inputs = [images]
    hidden = images if stem is None else stem(images)
    hidden = keras.layers.LeakyReLU(0.2)(conv(32)(hidden))
    if after_first_block is not None:
        hidden = after_first_block(hidden, inputs)
    hidden = keras.layers.LeakyReLU(0.2)(conv(64)(hidden))
    if before_flatten is not None:
        hidden = before_flatten(hidden)
    hidden = keras.layers.Flatten()(hidden)
    if after_flatten is not None:
        hidden = after_flatten(hidden)
    logits = dense(1)(hidden)
    return keras.Model(inputs if len(inputs) > 1 else images, logits)


def _insert(module, name, **kwargs):
    """An `after_first_block` hook that applies `name(**kwargs)`."""
    return lambda hidden, inputs: _layer(module, name)(**kwargs)(hidden)


def _conditional_batch_normalization(hidden, inputs):
    labels = keras.Input((), dtype="int32", name="labels")
    inputs.append(labels)
    layer = _layer("conditional_batch_normalization", "ConditionalBatchNormalization")
    return layer(num_classes=NUM_CLASSES)([hidden, labels])


def _spectral_normalization(layer_class_name):
    def wrap(factory):
        def build(size):
            if layer_class_name == "keras":
                return keras.layers.SpectralNormalization(factory(size))
            return _layer("spectral_normalization", "SpectralNormalization")(
                factory(size)
            )

        return build

    return {"conv": wrap(_conv), "dense": wrap(_dense)}


def _gated_conv(filters):
    layer = _layer("gated_conv2d", "GatedConv2D")
    return layer(filters, 3, strides=2, padding="same", activation=None)


def _equalized():
    conv = _layer("equalized_conv2d", "EqualizedConv2D")
    dense = _layer("equalized_dense", "EqualizedDense")
    return {
        "conv": lambda filters: conv(filters, 3, strides=2, padding="same"),
        "dense": lambda units: dense(units),
    }


def _multi_scale_discriminator():
    def builder():
        return keras.Sequential(
            [
                _conv(32),
                keras.layers.LeakyReLU(0.2),
                _conv(64),
                keras.layers.LeakyReLU(0.2),
                keras.layers.Flatten(),
                _dense(1),
            ]
        )

    images = keras.Input(IMAGE_SHAPE, name="images")
    layer = _layer("multi_scale_discriminator", "MultiScaleDiscriminator")
    return keras.Model(images, layer(builder, num_scales=3)(images))


def _sub_pixel_stem(images):
    upsample = _layer("sub_pixel_upsampling", "SubPixelUpsampling")
    return upsample(2)(keras.layers.Conv2D(3 * 4, 3, padding="same")(images))


def _upsample_conv_stem(images):
    return _layer("upsample_conv2d", "UpsampleConv2D")(3, 3)(images)


def _transposed_conv_stem(images):
    return keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same")(images)


@dataclasses.dataclass
class Row:
    name: str  # the table's first column: the layer and, if not "without it",
    # the alternative it is compared with
    build_with: collections.abc.Callable
    build_without: collections.abc.Callable = discriminator


ROWS = [
    Row(
        "MinibatchDiscrimination(32, 8) after flatten",
        lambda: discriminator(
            after_flatten=lambda hidden: _layer(
                "minibatch_discrimination", "MinibatchDiscrimination"
            )(32, 8)(hidden)
        ),
    ),
    Row(
        "MinibatchStdDev(4) before flatten",
        lambda: discriminator(
            before_flatten=lambda hidden: _layer("minibatch_stddev", "MinibatchStdDev")(
                4
            )(hidden)
        ),
    ),
    Row(
        "PixelNormalization after block 1",
        lambda: discriminator(
            after_first_block=_insert("pixel_normalization", "PixelNormalization")
        ),
    ),
    Row(
        "VirtualBatchNormalization(8) after block 1",
        lambda: discriminator(
            after_first_block=_insert(
                "virtual_batch_normalization",
                "VirtualBatchNormalization",
                reference_size=8,
            )
        ),
    ),
    Row(
        "SpectralNormalization on every conv and dense",
        lambda: discriminator(**_spectral_normalization("ours")),
    ),
    Row(
        "SpectralNormalization, ours vs keras.layers.SpectralNormalization",
        lambda: discriminator(**_spectral_normalization("ours")),
        lambda: discriminator(**_spectral_normalization("keras")),
    ),
    Row(
        "SelfAttention2D after block 1",
        lambda: discriminator(
            after_first_block=_insert("self_attention_2d", "SelfAttention2D")
        ),
    ),
    Row(
        "ConditionalBatchNormalization(10) after block 1",
        lambda: discriminator(after_first_block=_conditional_batch_normalization),
    ),
    Row(
        "SwitchableNormalization after block 1",
        lambda: discriminator(
            after_first_block=_insert(
                "switchable_normalization", "SwitchableNormalization"
            )
        ),
    ),
    Row(
        "EqualizedConv2D/EqualizedDense instead of Conv2D/Dense",
        lambda: discriminator(**_equalized()),
    ),
    Row(
        "NoiseInjection after block 1",
        lambda: discriminator(
            after_first_block=_insert("noise_injection", "NoiseInjection")
        ),
    ),
    Row(
        "GumbelSoftmax(0.5) on the input channels",
        lambda: discriminator(
            stem=lambda images: _layer("gumbel_softmax", "GumbelSoftmax")(0.5)(images)
        ),
    ),
    Row(
        "MultiScaleDiscriminator (3 scales) vs one scale",
        _multi_scale_discriminator,
    ),
    Row(
        "GatedConv2D instead of Conv2D",
        lambda: discriminator(conv=_gated_conv),
    ),
    Row(
        "SubPixelUpsampling (conv + shuffle) vs Conv2DTranspose, 8->16 px stem",
        lambda: discriminator(image_shape=SMALL_IMAGE_SHAPE, stem=_sub_pixel_stem),
        lambda: discriminator(
            image_shape=SMALL_IMAGE_SHAPE, stem=_transposed_conv_stem
        ),
    ),
    Row(
        "UpsampleConv2D vs Conv2DTranspose, 8->16 px stem",
        lambda: discriminator(image_shape=SMALL_IMAGE_SHAPE, stem=_upsample_conv_stem),
        lambda: discriminator(
            image_shape=SMALL_IMAGE_SHAPE, stem=_transposed_conv_stem
        ),
    ),
]


def _input_data(model, generator):
    data = []
    for tensor in model.inputs:
        shape = (BATCH_SIZE, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            data.append(tf.constant(generator.integers(0, NUM_CLASSES, size=shape)))
        else:
            data.append(tf.constant(generator.normal(size=shape).astype("float32")))
    return data if len(data) > 1 else data[0]


def _training_step(model):
    """A compiled forward + backward pass: the gradients of a scalar loss."""

    @tf.function
    def step(inputs):
        with tf.GradientTape() as tape:
            outputs = tf.nest.flatten(model(inputs, training=True))
            loss = tf.add_n([tf.reduce_mean(tf.square(output)) for output in outputs])
        gradients = tape.gradient(loss, model.trainable_variables)
        return loss, gradients

    return step


def _time_steps(step, inputs):
    start = time.perf_counter()
    for _ in range(STEPS_PER_REPETITION):
        loss, _ = step(inputs)
    loss.numpy()  # wait for the last step
    return (time.perf_counter() - start) / STEPS_PER_REPETITION


def measure(row, seed=0):
    """Median step seconds with and without, and the median paired ratio."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    generator = np.random.default_rng(seed)
    steps, inputs = [], []
    for build in (row.build_with, row.build_without):
        model = build()
        steps.append(_training_step(model))
        inputs.append(_input_data(model, generator))
        for _ in range(WARMUP_STEPS):
            steps[-1](inputs[-1])[0].numpy()
    with_times, without_times = [], []
    for repetition in range(REPETITIONS):
        order = (0, 1) if repetition % 2 == 0 else (1, 0)
        for index in order:
            seconds = _time_steps(steps[index], inputs[index])
            (with_times if index == 0 else without_times).append(seconds)
    ratios = [
        with_time / without_time
        for with_time, without_time in zip(with_times, without_times, strict=True)
    ]
    return (
        statistics.median(with_times),
        statistics.median(without_times),
        statistics.median(ratios),
    )


def main():
    start = time.perf_counter()
    lines = [
        "| layer | step ms with | step ms without | ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in ROWS:
        try:
            with_seconds, without_seconds, ratio = measure(row)
        except ModuleNotFoundError as error:
            print(f"skipped {row.name}: {error}", file=sys.stderr)
            continue
        lines.append(
            f"| {row.name} | {1000 * with_seconds:.2f} | "
            f"{1000 * without_seconds:.2f} | {ratio:.2f} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    print()
    print(
        "Protocol: forward + backward pass of one training step (tf.GradientTape "
        "inside a tf.function, gradients of mean(logits^2), no optimizer update), "
        f"TensorFlow backend, batch {BATCH_SIZE}, input {IMAGE_SHAPE} "
        f"({SMALL_IMAGE_SHAPE} for the upsampling rows); base discriminator: "
        "conv 32 s2, LeakyReLU, conv 64 s2, LeakyReLU, flatten, dense 1. "
        f"{WARMUP_STEPS} warm-up steps per model excluded; {REPETITIONS} "
        f"interleaved repetitions of {STEPS_PER_REPETITION} steps per model, "
        "order alternating; medians of the step times and of the paired "
        "per-repetition ratios (with / without). "
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"Python {platform.python_version()}. "
        f"Total benchmark time {time.perf_counter() - start:.0f} s."
    )


if __name__ == "__main__":
    main()
