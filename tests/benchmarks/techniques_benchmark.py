"""Cost of each training technique: its train step over the plain step (not a test).

Run from the repository root:

    python tests/benchmarks/techniques_benchmark.py

Every row builds two `keras_gans.GAN`s on the same small DCGAN networks (16x16x1,
width 16, latent 32): the plain non-saturating GAN and the GAN compiled with the
row's option (or built with the row's networks). One whole training step
(`GAN.train_step` in a `tf.function`: D step(s), G step, option state updates) is
timed for both on a fixed batch, interleaved in one run so that machine noise hits
both alike: each repetition times a few steps of one and then of the other, in
alternating order. Warm-up steps (tracing included) are excluded. The table gives
the median step time of each and the median of the per-repetition ratios.

The row with k discriminator steps per generator step is fed k times the batch, so
each of its D steps sees the plain step's batch size (its ratio is the cost of one G
step with k D steps over one with 1).
"""

import dataclasses
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

from keras_gans import GAN, architectures  # noqa: E402

BATCH_SIZE = 32  # images per discriminator step
IMAGE_SIZE = 16  # digits-sized images, 1 channel
WIDTH = 16  # DCGAN width
LATENT_DIM = 32
WARMUP_STEPS = 3  # per model, untimed (the first one traces the function)
REPETITIONS = 15  # interleaved timings per model; the median is reported
STEPS_PER_REPETITION = 5  # steps per timing, averaged


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    options: dict = dataclasses.field(default_factory=dict)  # GAN.compile options
    discriminator: dict = dataclasses.field(default_factory=dict)  # builder kwargs
    generator: dict = dataclasses.field(default_factory=dict)
    batch_multiple: int = 1  # images per step / BATCH_SIZE


ROWS = [
    Row("P1 weight clipping", {"penalties": ["clip"]}),
    Row("P2 WGAN-GP", {"penalties": ["gp"]}),
    Row("P3 DRAGAN", {"penalties": ["dragan"]}),
    Row("P4 R1", {"penalties": ["r1"]}),
    Row("P4 R1, lazy every 4 steps", {"penalties": ["r1_lazy"]}),
    Row("P5 R2", {"penalties": ["r2"]}),
    Row("P6 0-GP", {"penalties": ["zero_gp"]}),
    Row("P7 orthogonal regularization (G)", {"penalties": ["orthogonal"]}),
    Row("T1 feature matching", {"feature_matching": True}),
    Row("T3 historical averaging", {"historical_averaging": 1e-3}),
    Row("T4 one-sided label smoothing", {"label_smoothing": 0.9}),
    Row("T9 instance noise", {"instance_noise": 0.1}),
    Row("T10 dropout in G", generator={"dropout_rate": 0.5}),
    Row("T12 5 D steps per G step", {"discriminator_steps": 5}, batch_multiple=5),
    Row("T13 EMA generator", {"generator_ema": 0.999}),
    Row("T14 single loss (vs alternating)", {"single_loss": True}),
    Row("T15 unrolled, 5 steps", {"unrolled_steps": 5}),
    Row(
        "T15 unrolled, 5 steps, first order",
        {"unrolled_steps": 5, "unrolled_first_order": True},
    ),
    Row("T16 PacGAN, m=2", {"packing": 2}),
    Row("Y1 minibatch discrimination in D", discriminator={"minibatch_kernels": 100}),
    Row(
        "Y3 virtual batch norm in G",
        generator={"normalization": "virtual_batch", "reference_size": BATCH_SIZE},
    ),
    Row("Y4 spectral norm in D (SNGAN)", discriminator={"normalization": "spectral"}),
]


def _penalties(names):
    from keras_gans import penalties

    return [
        penalties.R1Penalty(interval=4) if name == "r1_lazy" else penalties.get(name)
        for name in names
    ]


def build(row):
    """The row's GAN (or the plain GAN for `Row("plain")`)."""
    packing = row.options.get("packing", 1)
    generator = architectures.dcgan_generator(
        IMAGE_SIZE, 1, latent_dim=LATENT_DIM, width=WIDTH, seed=0, **row.generator
    )
    discriminator = architectures.dcgan_discriminator(
        IMAGE_SIZE, packing, width=WIDTH, seed=0, **row.discriminator
    )
    gan = GAN(generator, discriminator, latent_dim=LATENT_DIM, seed=0)
    options = dict(row.options)
    if "penalties" in options:
        options["penalties"] = _penalties(options["penalties"])
    if options.get("single_loss"):
        gan.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), **options)
    else:
        gan.compile(**options)
    return gan


def step_function(gan, batch_multiple):
    images = tf.constant(
        np.random.default_rng(0).uniform(
            -1, 1, (BATCH_SIZE * batch_multiple, IMAGE_SIZE, IMAGE_SIZE, 1)
        ),
        tf.float32,
    )
    train_step = tf.function(gan.train_step)
    return lambda: train_step(images)


def seconds_per_step(step):
    start = time.perf_counter()
    for _ in range(STEPS_PER_REPETITION):
        logs = step()
    float(logs["d_loss"])  # Wait for the last step to finish.
    return (time.perf_counter() - start) / STEPS_PER_REPETITION


def measure(row):
    """(plain step seconds, row step seconds, median ratio row / plain)."""
    plain = step_function(build(Row("plain")), 1)
    technique = step_function(build(row), row.batch_multiple)
    for _ in range(WARMUP_STEPS):
        plain(), technique()
    plain_times, technique_times, ratios = [], [], []
    for repetition in range(REPETITIONS):
        order = (plain, technique) if repetition % 2 == 0 else (technique, plain)
        times = {id(step): seconds_per_step(step) for step in order}
        plain_times.append(times[id(plain)])
        technique_times.append(times[id(technique)])
        ratios.append(times[id(technique)] / times[id(plain)])
    return (
        statistics.median(plain_times),
        statistics.median(technique_times),
        statistics.median(ratios),
    )


def main():
    print(
        f"One training step of a DCGAN pair ({IMAGE_SIZE}x{IMAGE_SIZE}x1, width "
        f"{WIDTH}, batch {BATCH_SIZE} per D step), TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; median of {REPETITIONS} interleaved repetitions of "
        f"{STEPS_PER_REPETITION} steps.\n"
    )
    print("| technique | plain step (ms) | with it (ms) | ratio |")
    print("|---|---:|---:|---:|")
    for row in ROWS:
        keras.backend.clear_session()
        plain, technique, ratio = measure(row)
        print(
            f"| {row.name} | {plain * 1e3:.1f} | {technique * 1e3:.1f} | {ratio:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
