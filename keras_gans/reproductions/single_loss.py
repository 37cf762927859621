"""Single-loss stop_gradient training (T14) against alternating updates on digits,
for the non-saturating, hinge and WGAN-GP losses.

Claim: the players' two losses fold into one scalar,

    L = L_D(D(x), D(sg(G(z)))) + λ · [L_G(D(G(z))) - L_G(D(sg(G(z))))]

(sg = stop_gradient), whose one backward pass gives D the gradient of its own
loss and G the gradient of its own loss: the bracket is 0 in value, its
D-gradients cancel (both terms see the same D at the same inputs) and its
G-gradient is ∇_G L_G. One optimizer step on L therefore moves both players with
their own gradients, at the cost of one step, and GAN training can be written as
one loss and one optimizer (`GAN.compile(single_loss=True)`).

Reference: Su Jianlin's stop_gradient GAN code, https://github.com/bojone/gan
(`gan_one_step_with_hinge_loss.py`: `d_loss = relu(1 + D(x)) + relu(1 - D(sg(G(z))))`,
`g_loss = D(G(z)) - D(sg(G(z)))`, one `add_loss(mean(d_loss + g_loss))` and one
RMSprop(1e-4, ρ 0.99); its critic's sign is the opposite of ours). The code
publishes no numbers: there is no table to compare with, and what we check is the
identity itself and how the trick trains beside the alternating schedule. On
simultaneous against alternating gradient steps: Mescheder, Nowozin and Geiger,
"The Numerics of GANs", NeurIPS 2017, https://arxiv.org/abs/1705.10461 .

What one step is (the same for both schedules, so that "the same number of
steps" is the same number of updates of each player):

- **alternating**: one Adam step of D on `L_D(x, G(z₁))`, then one Adam step of
  G on `L_G(G(z₂))` against the **updated** D (`GAN.compile` with one D step per
  G step);
- **single loss**: one Adam step over G ∪ D on `L` with one draw z. G's gradient
  is taken against the D of **before** the step: the update is simultaneous, not
  alternating. (One Adam over the union is, parameter by parameter, the same
  optimizer as two Adams of the same hyperparameters: Adam's moments are per
  parameter and its bias correction counts steps, one per step in both
  schedules.)

Both see one batch of 64 real digits a step, and 64 generated digits for each
player's update.

Protocol (ours):

- **Data.** scikit-learn's digits, the 1,437-image train split, padded to 16x16
  on a -1 background (`image_size=16, resize="pad"`), in [-1, 1]; a seeded
  shuffle per epoch, the last incomplete batch dropped (22 batches of 64).
- **Configurations.** Three losses, each under both schedules; every
  configuration is a `dataclasses.replace` of a preset built by
  `presets.build_gan`, and the two schedules of a loss differ in `single_loss`
  alone:
  - *NS-GAN*: the `dcgan` preset (DCGAN G and D of width 32 with batch norm,
    z ~ N(0, I) of 64, non-saturating loss, Adam(2e-4, β1 0.5)); its single-loss
    form is the `one-step` preset.
  - *hinge*: the `dcgan` preset with the hinge loss (L6). The `hinge` preset's
    TTUR (D 4e-4, G 1e-4) needs two optimizers, which the single loss does not
    have, so both schedules take DCGAN's one learning rate.
  - *WGAN-GP*: the `wgan-gp` preset (Wasserstein loss, gradient penalty λ 10 on
    real-fake interpolates, layer norm in place of batch norm in the critic,
    Adam(1e-4, β1 0, β2 0.9)) with **one** critic step per G step in both
    schedules (the paper's 5 would make the alternating schedule 5 D updates a
    step against the single loss's one). In the single-loss step the penalty is
    taken on the stopped fakes and joins D's part of `L`.
- **Steps.** `DEFAULT_STEPS` (770: 35 epochs of 22 batches) per run, the same
  for both schedules; FID is measured every `eval_every` steps (the curve).
- **Samples and metrics.** After training, 1,000 samples from
  `GAN.generate(1000, seed=1000 + s)`, their centre 8x8 rounded to 8 bits and
  saved as one PNG (`samples/seed<s>_<loss>_<schedule>.png`); FID and KID
  (`keras_gans.reproductions._digits.DigitsMetrics`: the shipped digits
  classifier's 64-d features, against the 360 held-out test digits; KID over 100
  subsets of 360, subset seed 0) are computed from the PNG's pixels. The floor:
  the first 1,000 training digits through the same PNG.
- **Step time.** After training, for each loss, the two trained GANs' compiled
  train functions (`Model.make_train_function`, what `fit` runs per batch) are
  fed the same batch, interleaved (alternating, single loss; then the other
  order) after `timing_warmup` calls each; each repeat times `timing_calls`
  calls, and the ratio is the median single-loss time over the median
  alternating time over `timing_repeats` repeats. A benchmark figure of this
  machine, not a bound.
- **Gradient check.** At the single-loss GAN's weights after training and the
  timing calls, on the timing's real batch: one step of the library's compiled
  single-loss train step (`train_on_batch`) with an optimizer that only records
  its gradients (`GradientRecorder`: the weights stay as they were), against D's
  gradient of `L_D` (with λ·GP for WGAN-GP) and G's gradient of `L_G`, taken
  with two separate tapes from the same weights, latents (the model's seed
  state replayed) and batch. Recorded per player: the largest absolute
  difference, that over the largest component of the player's own gradient
  (`relative`), and that over the largest component of the terms the
  single-loss gradient sums (`relative_to_terms`). For D those terms are
  `∇_D L_D` and the bracket's two D-gradients `±∇_D L_G`, which cancel
  analytically but in float32 only to a few ulps of their own size, and after
  training `∇_D L_G` is often several times larger than `∇_D L_D`; for G the
  only term is `∇_G L_G`. The float32 tolerance, `GRADIENT_TOLERANCE` (1e-5),
  is for `relative_to_terms`. Because the step is simultaneous, G's single-loss
  gradient is also compared with G's gradient against D after one step of the
  GAN's own Adam (its state as training left it) on D's gradient, the update
  this step makes to D: what G would get in the alternating order. That
  difference is the simultaneous step's, expected far above float rounding.
- **Seeds.** 3 (0, 1, 2); seed s seeds the weights (the same initial weights for
  both schedules of a loss), the data shuffle, the latents and the evaluation
  latents. Mean ± standard deviation over seeds (`results.json` also holds the
  standard error), and the paired single − alternating FID difference per seed.

`paper_budget()` is the reference script's: CelebA-HQ at 128x128, batches of 64,
`epochs=1000`; the script reads the images from a folder that is not in the
repository, so its step count assumes the 30,000 CelebA-HQ images (469 steps an
epoch, 469,000 steps). Our 770 steps are 0.16 % of that, on 8x8-digit data. The
full run (3 losses x 2 schedules x 3 seeds, with the timings and checks) takes
about 8 minutes of CPU time (one core).
"""

import dataclasses
import os
import statistics
import time

import keras
import numpy as np

from keras_gans.reproductions._digits import (
    KID_SUBSET_SIZE,
    KID_SUBSETS,
    DigitsMetrics,
    generated_digits,
    write_samples_figure,
)
from keras_gans.reproductions._runner import (
    seeds_text,
    step_schedule,
    summary_statistics,
)
from keras_gans.reproductions.improved_gan_ablation import _format

__all__ = [
    "DEFAULT_SEEDS",
    "GradientRecorder",
    "LOSSES",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "SCHEDULES",
    "TITLE",
    "budget",
    "build_gan",
    "configuration_preset",
    "gradient_check",
    "markdown",
    "paper_budget",
    "run_seed",
    "step_times",
    "summarise",
    "write_figures",
]

NAME = "single-loss"
TITLE = "Single-loss stop_gradient training against alternating updates on digits"
REFERENCE = (
    "Su Jianlin's stop_gradient GAN code, https://github.com/bojone/gan "
    "(gan_one_step_with_hinge_loss.py); Mescheder et al. 2017, "
    "https://arxiv.org/abs/1705.10461"
)
DEFAULT_SEEDS = 3  # ours: the reference code reports no trials

# (label, file name, base preset, the preset fields both schedules change).
LOSSES = (
    ("NS-GAN", "ns", "dcgan", {}),
    ("hinge", "hinge", "dcgan", {"loss": "hinge"}),
    ("WGAN-GP", "wgan_gp", "wgan-gp", {"discriminator_steps": 1}),
)
SCHEDULES = ("alternating", "single-loss")
FLOOR = "real data"  # the floor's row: training digits in the place of samples

TRAIN_IMAGES = 1_437  # the digits train split
BATCH_SIZE = 64  # the presets'
STEPS_PER_EPOCH = TRAIN_IMAGES // BATCH_SIZE  # 22: the last incomplete batch dropped
DEFAULT_EPOCHS = 35
DEFAULT_STEPS = DEFAULT_EPOCHS * STEPS_PER_EPOCH  # 770
NUM_SAMPLES = 1_000  # generated samples per run, and training digits in the floor
EVALUATION_SEED_OFFSET = 1_000  # the evaluation latents of seed s: seed 1000 + s
DEFAULT_EVALUATIONS = 5  # points of the FID curve per run
GRID_SAMPLES = 64  # samples per run in the seed-0 figure
TIMING = {"timing_warmup": 3, "timing_repeats": 9, "timing_calls": 3}
QUICK_TIMING = {"timing_warmup": 1, "timing_repeats": 3, "timing_calls": 1}
QUICK_STEPS = 2
QUICK_EVAL_EVERY = 1
QUICK_NUM_SAMPLES = 100
# The relative gradient difference the identity allows in float32: the bracket's
# D-gradients cancel to a few ulps of the largest term.
GRADIENT_TOLERANCE = 1e-5

# The reference's budget, `gan_one_step_with_hinge_loss.py` as published.
REFERENCE_IMAGES_ASSUMED = 30_000  # CelebA-HQ; the script's folder is not in the repo
REFERENCE_EPOCHS = 1_000
REFERENCE_BATCH_SIZE = 64

PUBLISHED = {
    "source": (
        "Su Jianlin, https://github.com/bojone/gan, gan_one_step_with_hinge_loss.py: "
        "the one-loss stop_gradient formulation (hinge loss, RMSprop(1e-4, rho "
        "0.99), CelebA-HQ 128x128); the code reports no numbers"
    ),
    "numbers": None,
    "claim": (
        "one backward pass of d_loss + [g_loss - g_loss(sg)] gives D the gradient "
        "of d_loss and G the gradient of g_loss, so one optimizer step trains both "
        "players (simultaneously)"
    ),
    "expected_gradient_difference": (
        "0 up to float32 rounding (an identity of the construction)"
    ),
}


def paper_budget():
    """The reference script's budget: `epochs=1000` of the CelebA-HQ training
    folder in batches of 64 (its image count assumed to be CelebA-HQ's 30,000:
    469 batches an epoch, the last one short), one single-loss step a batch."""
    steps_per_epoch = -(-REFERENCE_IMAGES_ASSUMED // REFERENCE_BATCH_SIZE)  # ceil
    return {
        "dataset": "CelebA-HQ 128x128",
        "train_images": REFERENCE_IMAGES_ASSUMED,
        "train_images_note": (
            "assumed: the script globs a folder that is not in the repository"
        ),
        "batch_size": REFERENCE_BATCH_SIZE,
        "epochs": REFERENCE_EPOCHS,
        "steps": REFERENCE_EPOCHS * steps_per_epoch,  # 469,000
        "optimizer": "RMSprop(1e-4, rho=0.99)",
        "loss": "hinge",
    }


def budget(quick=False, steps=None, eval_every=None):
    """The training budget of one seed.

    Args:
        quick: Every configuration for `QUICK_STEPS` steps, evaluated every
            `QUICK_EVAL_EVERY` on `QUICK_NUM_SAMPLES` samples, with short timings
            (seconds in all; what the tests run).
        steps: Training steps per run instead (default: 35 epochs, 770).
        eval_every: Measure FID every this many steps; it must divide `steps`
            (default: about `DEFAULT_EVALUATIONS` points per run).

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an `eval_every`
            that does not divide `steps`.
    """
    steps, eval_every = step_schedule(
        steps,
        eval_every,
        DEFAULT_STEPS,
        quick,
        QUICK_STEPS,
        QUICK_EVAL_EVERY,
        DEFAULT_EVALUATIONS,
    )
    return {
        "dataset": "digits",
        "train_images": TRAIN_IMAGES,
        "batch_size": BATCH_SIZE,
        "steps_per_epoch": STEPS_PER_EPOCH,
        "epochs": steps / STEPS_PER_EPOCH,
        "steps": steps,
        "eval_every": eval_every,
        "num_samples": QUICK_NUM_SAMPLES if quick else NUM_SAMPLES,
        "num_real_samples": 360,
        "real_split": "test",
        "extractor": "digits",
        "kid_subsets": KID_SUBSETS,
        "kid_subset_size": KID_SUBSET_SIZE,
        "losses": [label for label, *_ in LOSSES],
        "schedules": list(SCHEDULES),
        **(QUICK_TIMING if quick else TIMING),
        "gradient_tolerance": GRADIENT_TOLERANCE,
        "fraction_of_paper_steps": steps / paper_budget()["steps"],
    }


def _loss_entry(loss):
    entries = {label: entry for label, *entry in LOSSES}
    if loss not in entries:
        raise ValueError(
            f"`loss` should be one of {', '.join(entries)}. Received: `loss={loss!r}`."
        )
    return entries[loss]


def configuration_preset(loss, schedule):
    """The preset of `loss` (one of `LOSSES`' labels) under `schedule`
    ("alternating" or "single-loss"): the loss's base preset with its changes, and
    `single_loss` on for the single-loss schedule."""
    from keras_gans import presets

    _, base, changes = _loss_entry(loss)
    if schedule not in SCHEDULES:
        raise ValueError(
            f"`schedule` should be one of {', '.join(SCHEDULES)}. Received: "
            f"`schedule={schedule!r}`."
        )
    return dataclasses.replace(
        presets.get(base), **changes, single_loss=schedule == "single-loss"
    )


def build_gan(loss, schedule, seed=None):
    """The compiled GAN of `loss` under `schedule` on 16x16 digits
    (`presets.build_gan`)."""
    from keras_gans import presets

    recipe = configuration_preset(loss, schedule)
    return presets.build_gan(recipe, (recipe.image_size, recipe.image_size, 1), seed)


def samples_file(seed, slug, schedule):
    """Where the samples of a run are saved, relative to the folder."""
    return os.path.join(
        "samples", f"seed{seed}_{slug}_{schedule.replace('-', '_')}.png"
    )


# --- Training -------------------------------------------------------------------------


def _pipeline(recipe, seed):
    from keras_gans import data

    return data.load(
        recipe.dataset,
        batch_size=recipe.batch_size,
        seed=seed,
        image_size=recipe.image_size,
        resize=recipe.resize,
    )


def _train(loss, schedule, seed, budget, metrics, report):
    """Trains one configuration: `(gan, curve)`."""
    import keras

    keras.utils.set_random_seed(seed)
    recipe = configuration_preset(loss, schedule)
    gan = build_gan(loss, schedule, seed)
    evaluation_seed = EVALUATION_SEED_OFFSET + seed
    curve = []

    class Evaluate(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            step = (epoch + 1) * budget["eval_every"]
            images = generated_digits(gan, budget["num_samples"], evaluation_seed)
            point = {"step": step, "fid": metrics.fid(images)}
            curve.append(point)
            report(step, point)

    gan.fit(
        _pipeline(recipe, seed).repeat(),
        epochs=budget["steps"] // budget["eval_every"],
        steps_per_epoch=budget["eval_every"],
        callbacks=[Evaluate()],
        verbose=0,
        shuffle=False,
    )
    return gan, curve


# --- Step time ------------------------------------------------------------------------


def _timed_calls(gan, iterator, calls):
    """Seconds per call of `gan`'s compiled train function over `calls` calls (the
    last call's outputs read back, so the time includes the work)."""
    function = gan.make_train_function() or gan.train_function
    started = time.perf_counter()
    for _ in range(calls):
        outputs = function(iterator)
    keras.tree.map_structure(np.asarray, outputs)
    return (time.perf_counter() - started) / calls


def step_times(gans, batch, warmup, repeats, calls):
    """Interleaved timings of the compiled train functions of `gans` (a dict of
    name to trained GAN) on the same `batch`: `{name: [seconds per call, one per
    repeat]}`. Each repeat times every GAN once, in turn, the order reversed on
    every other repeat; `warmup` calls of each come first."""
    import tensorflow as tf

    names = list(gans)
    iterators = {
        name: iter(tf.data.Dataset.from_tensors(batch).repeat()) for name in names
    }
    for name in names:
        _timed_calls(gans[name], iterators[name], warmup)
    times = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else reversed(names):
            times[name].append(_timed_calls(gans[name], iterators[name], calls))
    return times


# --- Gradient check -------------------------------------------------------------------


class GradientRecorder(keras.optimizers.Optimizer):
    """An optimizer that records the gradients it is given and leaves the
    variables unchanged: `recorder.gradient(variable)` is the last gradient
    applied to `variable` (a NumPy array).

    Args:
        name: The optimizer's name.
    """

    def __init__(self, name="gradient_recorder"):
        super().__init__(learning_rate=0.0, name=name)
        self._recorded = []

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._recorded = [
            self.add_variable_from_reference(variable, "recorded_gradient")
            for variable in variables
        ]

    def update_step(self, gradient, variable, learning_rate):
        del learning_rate
        self.assign(self._recorded[self._get_variable_index(variable)], gradient)

    def gradient(self, variable):
        """The last gradient applied to `variable`."""
        return np.asarray(self._recorded[self._get_variable_index(variable)])


def _difference(measured, expected, terms_scale=0.0):
    """Largest absolute difference of two lists of arrays; that over the largest
    magnitude of `expected` (`relative`); and that over the largest of it and
    `terms_scale`, the largest component of the terms the measured gradient is a
    sum of (`relative_to_terms`: what float32 rounding scales with)."""
    absolute = max(
        float(np.max(np.abs(m - e))) for m, e in zip(measured, expected, strict=True)
    )
    scale = max(float(np.max(np.abs(e))) for e in expected)
    return {
        "max_abs": absolute,
        "relative": absolute / scale,
        "relative_to_terms": absolute / max(scale, terms_scale),
        "scale": scale,
        "terms_scale": max(scale, terms_scale),
    }


def _oracle_gradients(gan, recipe, real, latents, penalty_weight):
    """D's gradient of its loss (with the gradient penalty) and G's of its own, two
    tapes from the same weights, latents and batch."""
    import tensorflow as tf
    from keras import ops

    from keras_gans import losses, penalties

    loss = losses.get(recipe.loss)
    generator, discriminator = gan.generator, gan.discriminator
    with tf.GradientTape() as tape:
        stopped = ops.stop_gradient(generator(latents, training=True))
        real_logits = discriminator(real, training=True)
        d_loss = loss.discriminator_loss(
            real_logits, discriminator(stopped, training=True)
        )
        if penalty_weight:
            d_loss += penalty_weight * penalties.wasserstein_gradient_penalty(
                discriminator, real, stopped, gan.seed_generator
            )
    d_gradients = tape.gradient(d_loss, discriminator.trainable_variables)
    g_gradients = _generator_gradients(gan, loss, real, latents)
    return [np.asarray(g) for g in d_gradients], g_gradients


def _generator_gradients(gan, loss, real, latents, variables=None):
    """The gradient of G's loss with respect to `variables` (default G's)."""
    import tensorflow as tf

    variables = gan.generator.trainable_variables if variables is None else variables
    with tf.GradientTape() as tape:
        fake_logits = gan.discriminator(
            gan.generator(latents, training=True), training=True
        )
        real_logits = (
            gan.discriminator(real, training=True)
            if loss.generator_needs_real_logits
            else None
        )
        g_loss = loss.generator_loss(fake_logits, real_logits)
    return [np.asarray(g) for g in tape.gradient(g_loss, variables)]


def gradient_check(gan, recipe, real):
    """Checks the single-loss identity on `gan` (compiled by `build_gan` for the
    single-loss schedule of `recipe`) at its weights and the real batch `real`.

    `gan` is compiled again with a `GradientRecorder` and the preset's options; one
    step of its compiled train function gives the single-loss gradients (the
    weights stay). The model's seed state is replayed for the step's latents (and
    the penalty's interpolation coefficients), and D's gradient of `L_D` (+ λ·GP)
    and G's gradient of `L_G` are taken with two tapes.

    D's single-loss gradient is `∇_D L_D` plus the bracket's two D-gradients, equal
    and opposite (`±∇_D L_G`): in float32 they cancel to a few ulps of their own
    size, which can be well above `∇_D L_D`'s. So the difference is also given over
    the largest component of `∇_D L_G` and `∇_D L_D` (`relative_to_terms`, the
    measure `GRADIENT_TOLERANCE` is for); G's gradient has no cancelling terms.

    G's gradient is also taken against D after one step of `gan`'s own optimizer
    (its state as training left it) on D's gradient, the update the single-loss
    step makes to D: what G would get in the alternating order.

    Returns:
        `{"discriminator": {...}, "generator": {...},
        "generator_vs_updated_discriminator": {...}}`, each with `max_abs`,
        `relative` (over the largest component of the oracle's gradient),
        `relative_to_terms`, `scale` and `terms_scale`.
    """
    from keras_gans import losses
    from keras_gans.penalties import GradientPenalty
    from keras_gans.training import options

    if not recipe.single_loss:
        raise ValueError(
            "`gradient_check` takes the single-loss preset. Received: "
            f"`single_loss={recipe.single_loss}`."
        )
    own_optimizer = gan.optimizer  # before the recorder takes its place
    recorder = GradientRecorder()
    gan.compile(optimizer=recorder, loss=recipe.loss, **options.preset_options(recipe))
    penalty_weight = sum(
        component.weight
        for component in gan.components
        if isinstance(component, GradientPenalty)
    )
    loss = losses.get(recipe.loss)
    real = np.asarray(real, "float32")
    discriminator, generator = gan.discriminator, gan.generator
    before = [np.asarray(v) for v in gan.trainable_variables]
    state = np.asarray(gan.seed_generator.state)
    gan.train_on_batch(real)
    after = [np.asarray(v) for v in gan.trainable_variables]
    if not all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)):
        raise RuntimeError("The gradient recorder changed the weights.")
    gan.seed_generator.state.assign(state)
    latents = gan.sample_latents(len(real))  # the step's draw
    d_expected, g_expected = _oracle_gradients(
        gan, recipe, real, latents, penalty_weight
    )
    bracket = _generator_gradients(
        gan, loss, real, latents, discriminator.trainable_variables
    )  # ∇_D L_G: the D-gradient of each of the bracket's two terms
    bracket_scale = max(float(np.max(np.abs(g))) for g in bracket)
    d_measured = [recorder.gradient(v) for v in discriminator.trainable_variables]
    g_measured = [recorder.gradient(v) for v in generator.trainable_variables]
    # The alternating order: G's gradient against D after D's own step.
    d_before = [np.asarray(v) for v in discriminator.trainable_variables]
    own_optimizer.apply_gradients(
        zip(d_expected, discriminator.trainable_variables, strict=True)
    )
    g_alternating = _generator_gradients(gan, loss, real, latents)
    for variable, value in zip(
        discriminator.trainable_variables, d_before, strict=True
    ):
        variable.assign(value)
    return {
        "discriminator": _difference(d_measured, d_expected, bracket_scale),
        "generator": _difference(g_measured, g_expected),
        "generator_vs_updated_discriminator": _difference(g_measured, g_alternating),
    }


# --- One seed -------------------------------------------------------------------------


def run_seed(seed, budget, folder, progress):
    """Trains every loss under both schedules from `seed`, measures them, times
    their steps side by side and checks the single-loss gradients; saves each
    run's evaluated samples as `samples/seed<s>_<loss>_<schedule>.png` and the
    floor's as `samples/real_train.png` under `folder`.

    Returns:
        `{"seed", "floor", "runs", "losses", "cpu_time_s"}`: the floor's FID and
        KID; one run per loss and schedule with its FID, KID, samples file and FID
        curve; per loss the step times and their ratio and the gradient check.
    """
    from keras_gans import data

    started_cpu = time.process_time()
    metrics = DigitsMetrics()
    train_digits = data.load_arrays("digits", "train")[0][: budget["num_samples"]]
    floor = metrics.final(
        train_digits, folder, os.path.join("samples", "real_train.png")
    )
    runs, per_loss = [], []
    total = len(LOSSES) * len(SCHEDULES)
    for loss_index, (loss, slug, _, _) in enumerate(LOSSES):
        gans = {}
        for schedule_index, schedule in enumerate(SCHEDULES):
            index = loss_index * len(SCHEDULES) + schedule_index
            started = time.perf_counter()

            def report(step, point, label=f"{loss} {schedule}", index=index):
                progress(
                    f"{label} (run {index + 1}/{total}) step {step}/"
                    f"{budget['steps']}: FID {point['fid']:.2f} (floor "
                    f"{floor['fid']:.2f})"
                )

            gan, curve = _train(loss, schedule, seed, budget, metrics, report)
            images = generated_digits(
                gan, budget["num_samples"], EVALUATION_SEED_OFFSET + seed
            )
            runs.append(
                {
                    "loss": loss,
                    "schedule": schedule,
                    "single_loss": gan.single_loss,
                    **metrics.final(images, folder, samples_file(seed, slug, schedule)),
                    "curve": curve,
                    "wall_time_s": round(time.perf_counter() - started, 1),
                }
            )
            gans[schedule] = gan
        recipe = configuration_preset(loss, "single-loss")
        batch = next(iter(_pipeline(recipe, seed)))
        progress(f"{loss}: timing the two steps side by side")
        times = step_times(
            gans,
            batch,
            budget["timing_warmup"],
            budget["timing_repeats"],
            budget["timing_calls"],
        )
        medians = {name: statistics.median(values) for name, values in times.items()}
        progress(f"{loss}: checking the single-loss gradients")
        check = gradient_check(gans["single-loss"], recipe, batch)
        per_loss.append(
            {
                "loss": loss,
                "step_time_s": times,
                "median_step_time_s": medians,
                "step_time_ratio": medians["single-loss"] / medians["alternating"],
                "gradient_check": check,
            }
        )
    return {
        "seed": seed,
        "floor": floor,
        "runs": runs,
        "losses": per_loss,
        "cpu_time_s": round(time.process_time() - started_cpu, 1),
    }


# --- Summary, tables and figures ------------------------------------------------------


def summarise(seed_results):
    """Statistics over seeds: the floor's FID and KID; per loss, each schedule's
    FID and KID, the paired single − alternating FID difference, the step time
    ratio and the gradient check's relative differences."""
    floor = {
        key: summary_statistics([record["floor"][key] for record in seed_results])
        for key in ("fid", "kid")
    }
    losses = {}
    for loss, *_ in LOSSES:
        runs = {
            schedule: [
                next(
                    run
                    for run in record["runs"]
                    if run["loss"] == loss and run["schedule"] == schedule
                )
                for record in seed_results
            ]
            for schedule in SCHEDULES
        }
        checks = [
            next(entry for entry in record["losses"] if entry["loss"] == loss)
            for record in seed_results
        ]
        losses[loss] = {
            **{
                schedule: {
                    key: summary_statistics([run[key] for run in runs[schedule]])
                    for key in ("fid", "kid")
                }
                for schedule in SCHEDULES
            },
            "fid_difference": summary_statistics(
                [
                    single["fid"] - alternating["fid"]
                    for single, alternating in zip(
                        runs["single-loss"], runs["alternating"], strict=True
                    )
                ]
            ),
            "step_time_ratio": summary_statistics(
                [entry["step_time_ratio"] for entry in checks]
            ),
            "max_relative_gradient_difference": {
                player: {
                    measure: max(
                        entry["gradient_check"][player][measure] for entry in checks
                    )
                    for measure in ("relative", "relative_to_terms")
                }
                for player in (
                    "discriminator",
                    "generator",
                    "generator_vs_updated_discriminator",
                )
            },
        }
    return {FLOOR: floor, "losses": losses}


def table(results):
    """The Markdown table: per loss, FID and KID under each schedule, the paired
    difference, the step time ratio and the gradient check."""
    seeds = results["num_seeds"]
    summary = results["summary"]
    lines = [
        "| method | FID ↓ alternating | FID ↓ single loss | single − alternating "
        "(paired) | KID ↓ alternating | KID ↓ single loss | step time single / "
        "alternating | gradient difference D (over the summed terms; over D's "
        "own) / G, max over seeds | G's gradient against G's with the updated D "
        "|",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for loss, entry in summary["losses"].items():
        gradients = entry["max_relative_gradient_difference"]
        lines.append(
            f"| **{loss}** | {_format(entry['alternating']['fid'], seeds)} | "
            f"{_format(entry['single-loss']['fid'], seeds)} | "
            f"{_format(entry['fid_difference'], seeds)} | "
            f"{_format(entry['alternating']['kid'], seeds)} | "
            f"{_format(entry['single-loss']['kid'], seeds)} | "
            f"{_format(entry['step_time_ratio'], seeds, 3)} | "
            f"{gradients['discriminator']['relative_to_terms']:.1e} "
            f"({gradients['discriminator']['relative']:.1e}) / "
            f"{gradients['generator']['relative']:.1e} | "
            f"{gradients['generator_vs_updated_discriminator']['relative']:.1e} |"
        )
    floor = summary[FLOOR]
    lines.append(
        f"| real data (floor: train digits) | {_format(floor['fid'], seeds)} | | | "
        f"{_format(floor['kid'], seeds)} | | | | |"
    )
    return "\n".join(lines) + "\n"


def curve_table(results, points=5):
    """Mean FID over seeds at up to `points` evaluation steps, per loss and
    schedule."""
    curves = {}
    for record in results["seeds"]:
        for run in record["runs"]:
            curves.setdefault((run["loss"], run["schedule"]), []).append(run["curve"])
    steps = [point["step"] for point in next(iter(curves.values()))[0]]
    chosen = sorted({steps[round(i)] for i in np.linspace(0, len(steps) - 1, points)})
    lines = [
        "| FID at step |" + "".join(f" {step:,} |" for step in chosen),
        "|---|" + "---:|" * len(chosen),
    ]
    for (loss, schedule), runs in curves.items():
        cells = [
            f" {np.mean([run[steps.index(step)]['fid'] for run in runs]):.2f} |"
            for step in chosen
        ]
        lines.append(f"| {loss} {schedule} |" + "".join(cells))
    return "\n".join(lines) + "\n"


def markdown(results):
    """`results.md`: the protocol in brief, the table, the curve, the run's
    command, wall and CPU time and versions."""
    budget = results["budget"]
    paper = results["paper_budget"]
    versions = results["versions"]
    cpu = sum(record.get("cpu_time_s", 0.0) for record in results["seeds"])
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of `keras_gans.reproductions.single_loss` "
        "has it in full): NS-GAN (the `dcgan` preset), hinge (the `dcgan` preset "
        "with the hinge loss) and WGAN-GP (the `wgan-gp` preset with one critic "
        "step), each trained with alternating updates (one D step, then one G "
        "step against the updated D) and with the single stop_gradient loss "
        "(`GAN.compile(single_loss=True)`: one Adam step over G and D together; G's "
        "gradient is taken against the D of before the step, a simultaneous "
        "update). One step of either updates each player once on one batch of "
        f"{budget['batch_size']}; both schedules of a loss start from the same "
        f"weights. FID and KID (lower is better) of {budget['num_samples']:,} "
        "samples (their centre 8x8, saved as 8-bit PNG) against the "
        f"{budget['num_real_samples']} held-out test digits with the shipped "
        "digits classifier's features.\n",
        f"Budget: **{budget['steps']:,} steps per run ({budget['epochs']:.3g} "
        f"epochs of {budget['steps_per_epoch']} batches of "
        f"{budget['batch_size']})**, {seeds_text(results['num_seeds'])}; "
        f"{100 * budget['fraction_of_paper_steps']:.2g} % of the steps of the "
        f"reference script ({paper['epochs']:,} epochs of {paper['dataset']} in "
        f"batches of {paper['batch_size']}: {paper['steps']:,} steps with "
        f"{paper['train_images']:,} images, the count assumed). The reference "
        "code reports no numbers, so no published row stands beside ours."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        f"Ours: mean ± standard deviation over {seeds_text(results['num_seeds'])}. "
        "Step time: the median time of a call of the compiled train function, "
        f"single loss over alternating, {budget['timing_repeats']} interleaved "
        f"repeats of {budget['timing_calls']} calls on the same batch after "
        f"{budget['timing_warmup']} warm-up calls (this machine; a benchmark, "
        "not a bound). Gradient difference: the single-loss step's gradients "
        "against each player's own loss differentiated on its own, at the same "
        "weights, latents and batch: the largest absolute difference over the "
        "largest component of the terms the single-loss gradient sums (for D, "
        "its own gradient and the bracket's two D-gradients, which cancel to "
        "float32 rounding of their size; in parentheses, over D's own "
        f"gradient), against a float32 tolerance of "
        f"{budget['gradient_tolerance']:.0e}. The last column compares G's "
        "single-loss gradient with G's gradient against D after this step's "
        "update of D (one step of the GAN's own Adam): what the alternating "
        "order would give G, the difference of a simultaneous step.\n",
        table(results),
        f"FID during training (mean over seeds; measured every "
        f"{budget['eval_every']:,} steps, figure `fid.png`):\n",
        curve_table(results),
        f"Command: `{results['command']}`  \n"
        f"Wall time: {results['wall_time_s']:.0f} s (CPU time {cpu:.0f} s)  \n"
        f"Versions: keras_gans {versions['keras_gans']}, TensorFlow "
        f"{versions['tensorflow']}, Keras {versions['keras']}, NumPy "
        f"{versions['numpy']}, Python {versions['python']} ({versions['platform']})\n",
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """`fid.png` (final FID per loss and schedule: each seed a dot, the mean a
    bar, the floor a dashed line; and FID against steps, mean over seeds) and
    `samples_seed0.png` (the first 64 evaluated samples of each run and of the
    floor, for seed 0).

    Returns:
        The figure paths relative to `folder`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [(loss, schedule) for loss, *_ in LOSSES for schedule in SCHEDULES]
    by_label = {label: [] for label in labels}
    for record in results["seeds"]:
        for run in record["runs"]:
            by_label[(run["loss"], run["schedule"])].append(run)
    floor = results["summary"][FLOOR]["fid"]["mean"]

    figure = Figure(figsize=(12, 4.5))
    FigureCanvasAgg(figure)
    bars, curves = figure.subplots(1, 2)
    for index, label in enumerate(labels):
        loss_index, single = divmod(index, len(SCHEDULES))
        color = f"C{loss_index}"
        fids = [run["fid"] for run in by_label[label]]
        bars.bar(index, np.mean(fids), color=color, alpha=0.25 if single else 0.5)
        bars.scatter([index] * len(fids), fids, color=color, zorder=3)
        steps = [point["step"] for point in by_label[label][0]["curve"]]
        values = np.array(
            [[point["fid"] for point in run["curve"]] for run in by_label[label]]
        )  # [seeds, evaluations]
        curves.plot(
            steps,
            values.mean(axis=0),
            color=color,
            linestyle="--" if single else "-",
            label=" ".join(label),
        )
    for ax in (bars, curves):
        ax.axhline(floor, color="black", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    bars.set_xticks(
        range(len(labels)),
        [f"{loss}\n{schedule}" for loss, schedule in labels],
        fontsize="small",
    )
    bars.set_ylabel("FID (lower is better)")
    bars.set_title("final FID: seeds (dots), mean (bar), floor (dotted)")
    curves.set_xlabel("training step")
    curves.set_title("FID during training (mean over seeds)")
    curves.legend(fontsize="small")
    figure.suptitle(
        f"{results['title']}: {results['budget']['steps']:,} steps, "
        f"{seeds_text(results['num_seeds'])}",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "fid.png"), dpi=80)
    written = ["fid.png"]

    first = results["seeds"][0]
    panels = [(f"{FLOOR} (floor)", first["floor"])]
    panels += [(f"{run['loss']}\n{run['schedule']}", run) for run in first["runs"]]
    written.append(
        write_samples_figure(
            folder,
            panels,
            min(GRID_SAMPLES, results["budget"]["num_samples"]),
            first["seed"],
            panel_size=(2.2, 3.1),
        )
    )
    return written
