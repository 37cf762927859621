"""WGAN-GP Figure 1: what weight clipping does to a critic, and what the gradient
penalty does instead, on 2-D toy data.

Claims (Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville, "Improved training
of Wasserstein GANs", NeurIPS 2017, https://arxiv.org/abs/1704.00028, Section 3
and Figure 1):

- (1a) critics trained to optimality with weight clipping model very simple
  approximations of the optimal critic and ignore the higher moments of the
  data, while critics trained with the gradient penalty follow the data;
- (1b, right) weight clipping pushes the critic's weights to the two extremes
  of the clipping range, ±c; the gradient penalty does not;
- (1b, left) in deep critics (12-layer ReLU MLPs, no batch norm, trained on the
  Swiss roll) the gradient of the critic's loss with respect to successive
  layers' activations explodes or vanishes exponentially with depth under
  clipping, c in {0.1, 0.01, 0.001}; under the gradient penalty it neither
  explodes nor vanishes.

The paper's Figure 1 has no table: it shows value surfaces, histograms and
gradient-norm curves. Our numbers stand for what those pictures show.

Protocol (ours; the authors' toy script is `gan_toy.py` of
https://github.com/igul222/improved_wgan_training):

- **Data.** The three toy sets of the authors' script, drawn with the library's
  built-ins: "8 Gaussians" is `ring8` (radius 1, σ 0.01) times 2 / 1.414 (their
  radius 2 and σ 0.02, divided by 1.414); "25 Gaussians" is `grid25` (means
  {-4, ..., 4}², σ 0.05) divided by 2.828, as theirs; the Swiss roll is
  `swiss_roll` (scikit-learn's roll, noise 0.25, columns 0 and 2, divided by
  7.5). The train split (51,200 points) feeds training, the test split the
  measurements.
- **Figure 1a/1b right: critics to optimality against a fixed distribution.**
  The generator is held fixed at the real data plus unit-variance Gaussian
  noise: each step draws a real batch of 256 and its fake batch is the same
  points plus N(0, I) (as `gan_toy.py`'s fixed generator). The critic is
  `architectures.mlp_discriminator(2, (256, 256, 256))`: three ReLU layers of
  256 units, He-normal init, a linear output (the authors' critic has 512
  units; ours has half, so the saved critics stay small). Its loss is
  `losses.wasserstein_discriminator_loss`, E[D(fake)] - E[D(real)];
  - *clipping*: RMSProp(5e-5), and `penalties.WeightClipping(0.01)` on every
    critic parameter after each step (WGAN, Arjovsky et al. 2017, Algorithm 1);
  - *gradient penalty*: `penalties.GradientPenalty(10)` added to the loss
    (λ = 10 on interpolates x̂ = εx + (1 - ε)x̃, one ε ~ U[0, 1] per
    example), Adam(1e-4, β1 0, β2 0.9): the paper's defaults (Algorithm 1;
    `gan_toy.py` uses λ 0.1 and β1 0.5 for speed).
  `DEFAULT_CRITIC_STEPS` steps (2,000), one step per batch; the same initial
  weights for both methods (seed s). The loop is `_train_critic`, through the
  library's `training.trainer.minimize`.
- **Measured on each trained critic** (after its weights are rounded to
  float16, the precision they are saved in, so every number is recomputed from
  the saved file): the fraction of its parameters (kernels and biases: the ones
  clipping bounds) with | |w| - c | <= 0.01 c, "within 1 % of ±c", c = 0.01 for
  both methods; the largest |w|; on 1,024 test points x, their x̃ = x + N(0, I)
  and interpolates x̂ (evaluation seed 1000 + s): the mean gradient norm
  ‖∇D(x̂)‖ and the mean |‖∇D(x̂)‖ - 1|, the critic's Wasserstein estimate
  E[D(x)] - E[D(x̃)], and the AUC of D's value for real against fake points (the
  probability that a real point scores above a fake one: scale-free, so
  comparable between a clipped critic's tiny values and a GP critic's); and the
  value surface on a 128 x 128 grid over [-3, 3]² (the authors' plot), its
  minimum, maximum and mean. `value_surfaces.png` draws the surfaces
  (recomputed from the saved critics), `weights.png` the histograms of both
  critics' parameters.
- **Figure 1b left: deep critics.** A WGAN on the Swiss roll, G and critic
  12-hidden-layer ReLU MLPs of 512 units (`mlp_generator(2, 2, (512,) * 12)`,
  `mlp_discriminator(2, (512,) * 12)`, no batch norm), compiled as a
  `keras_gans.GAN` with the Wasserstein loss and 5 critic steps per G step on
  batches of 256: weight clipping with c = 0.1, 0.01 and 0.001 (RMSProp 5e-5),
  and the gradient penalty (λ 10, Adam(1e-4, 0, 0.9)). Every
  `DEEP_MEASURE_EVERY` G steps (and before training) the norm of the gradient
  of the critic loss E[D(x̃)] - E[D(x)] with respect to each hidden layer's
  activations (256 real test points and 256 generated ones from fixed latents;
  the Frobenius norm over the batch) is recorded. `gradient_norms.png` plots
  log10 of it against the layer. `DEEP_GENERATOR_STEPS` G steps (100, i.e. 500
  critic steps) per configuration.
- **Seeds.** 1 by default (the paper shows one critic per panel); seed s seeds
  the weights, the batches, the noise and the evaluation points.

Budget: the authors' toy script runs 100,000 generator iterations of 5 critic
steps (500,000 critic steps with the fixed generator); ours is 2,000 critic
steps per critic (0.4 %) and 500 per deep critic. The full run takes about 5
minutes of one CPU core (each seed records its CPU time). `--steps` changes
the critic steps of Figure 1a and `--eval-every` the spacing of its
critic-loss curve.
"""

import os

import numpy as np

from keras_gans.reproductions._runner import (
    run_footer,
    seeds_text,
    step_schedule,
    summary_statistics,
)

__all__ = [
    "CLIP_VALUE",
    "DATASETS",
    "DEFAULT_SEEDS",
    "METHODS",
    "NAME",
    "PUBLISHED",
    "REFERENCE",
    "TITLE",
    "budget",
    "build_critic",
    "critic_file",
    "fraction_near_clip",
    "load_critic",
    "markdown",
    "paper_budget",
    "real_and_fake_points",
    "run_seed",
    "summarise",
    "value_grid",
    "write_figures",
]

NAME = "wgan-gp-figure1"
TITLE = "WGAN-GP Figure 1: weight clipping against the gradient penalty on toy data"
REFERENCE = "Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028 (Figure 1)"
DEFAULT_SEEDS = 1  # the paper shows one critic per panel

# (label, file slug, built-in dataset, factor to the authors' scale)
DATASETS = (
    ("8 Gaussians", "8gaussians", "ring8", 2.0 / 1.414),
    ("25 Gaussians", "25gaussians", "grid25", 1.0 / 2.828),
    ("Swiss roll", "swissroll", "swiss_roll", 1.0),
)
METHODS = ("clip", "gp")
METHOD_LABELS = {"clip": "weight clipping", "gp": "gradient penalty"}
CLIP_VALUE = 0.01  # c of Figure 1a and 1b right (WGAN's)
NEAR_CLIP_TOLERANCE = 0.01  # "within 1 % of ±c": | |w| - c | <= 0.01 c
GP_WEIGHT = 10.0  # λ, the paper's default
CLIP_LEARNING_RATE = 5e-5  # RMSProp, WGAN's
GP_LEARNING_RATE = 1e-4  # Adam(1e-4, β1 0, β2 0.9), the paper's Algorithm 1
GP_BETAS = (0.0, 0.9)
BATCH_SIZE = 256  # gan_toy.py's
NOISE_STD = 1.0  # the fixed generator: real data plus N(0, I)
CRITIC_WIDTH = 256  # the authors' is 512
CRITIC_DEPTH = 3
DEFAULT_CRITIC_STEPS = 2_000
DEFAULT_EVALUATIONS = 10  # points of the critic-loss curve
NUM_EVALUATION_POINTS = 1_024
EVALUATION_SEED_OFFSET = 1_000
GRID_POINTS = 128  # gan_toy.py's value map: 128 x 128 over [-3, 3]^2
GRID_RANGE = 3.0
# Figure 1b left.
DEEP_WIDTH = 512
DEEP_DEPTH = 12
DEEP_CLIP_VALUES = (0.1, 0.01, 0.001)
DEEP_GENERATOR_STEPS = 100
DEEP_MEASURE_EVERY = 20
DEEP_CRITIC_STEPS = 5
DEEP_BATCH = 256  # real and generated points of each gradient measurement
# The authors' toy script: 100,000 generator iterations of 5 critic steps.
PAPER_GENERATOR_ITERATIONS = 100_000
PAPER_CRITIC_STEPS = 5
QUICK = {
    "critic_steps": 3,
    "eval_every": 1,
    "critic_width": 16,
    "grid_points": 16,
    "num_evaluation_points": 64,
    "deep_width": 16,
    "deep_depth": 3,
    "deep_generator_steps": 1,
    "deep_measure_every": 1,
}

PUBLISHED = {
    "source": (
        "Gulrajani et al. 2017, Section 3 and Figure 1 (value surfaces, weight "
        "histograms and gradient norms as pictures; no table)"
    ),
    "figure_1a": (
        "Value surfaces of WGAN critics trained to optimality on toy datasets "
        "(8 Gaussians, 25 Gaussians, Swiss roll), the generator held fixed at the "
        "real data plus Gaussian noise: with weight clipping the critics ignore "
        "higher moments of the data and model very simple approximations of the "
        "optimal functions; with the gradient penalty they do not."
    ),
    "figure_1b_left": (
        "Gradient norms of deep WGAN critics (12-layer ReLU MLPs, no batch norm) "
        "during training on the Swiss roll either explode or vanish with weight "
        "clipping, c in {0.1, 0.01, 0.001}, but not with the gradient penalty."
    ),
    "figure_1b_right": (
        "Weight clipping pushes the critic's weights towards two values, the "
        "extremes of the clipping range; the gradient penalty does not."
    ),
    "clip_values": list(DEEP_CLIP_VALUES),
    "deep_layers": DEEP_DEPTH,
}


def paper_budget():
    """The authors' toy script (`gan_toy.py`): 100,000 generator iterations of 5
    critic steps on batches of 256, a critic of three 512-unit ReLU layers."""
    return {
        "script": "gan_toy.py",
        "generator_iterations": PAPER_GENERATOR_ITERATIONS,
        "critic_steps_per_iteration": PAPER_CRITIC_STEPS,
        "critic_steps": PAPER_GENERATOR_ITERATIONS * PAPER_CRITIC_STEPS,
        "steps": PAPER_GENERATOR_ITERATIONS * PAPER_CRITIC_STEPS,
        "batch_size": BATCH_SIZE,
        "critic_width": 512,
        "critic_depth": CRITIC_DEPTH,
        "gradient_penalty_weight_in_script": 0.1,
        "gradient_penalty_weight_in_paper": GP_WEIGHT,
    }


def budget(quick=False, steps=None, eval_every=None):
    """The budget of one seed.

    Args:
        quick: Tiny networks and a few steps (seconds; what the tests run).
        steps: Critic steps of each Figure 1a critic (default 2,000).
        eval_every: Record the critic loss every this many steps; it must
            divide `steps`.

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an
            `eval_every` that does not divide `steps`.
    """
    steps, eval_every = step_schedule(
        steps,
        eval_every,
        DEFAULT_CRITIC_STEPS,
        quick,
        QUICK["critic_steps"],
        QUICK["eval_every"],
        DEFAULT_EVALUATIONS,
    )
    sizes = (
        QUICK
        if quick
        else {
            "critic_width": CRITIC_WIDTH,
            "grid_points": GRID_POINTS,
            "num_evaluation_points": NUM_EVALUATION_POINTS,
            "deep_width": DEEP_WIDTH,
            "deep_depth": DEEP_DEPTH,
            "deep_generator_steps": DEEP_GENERATOR_STEPS,
            "deep_measure_every": DEEP_MEASURE_EVERY,
        }
    )
    return {
        "steps": steps,
        "critic_steps": steps,
        "eval_every": eval_every,
        # A few steps run faster eagerly than traced.
        "run_eagerly": bool(quick),
        "batch_size": BATCH_SIZE,
        "critic_width": sizes["critic_width"],
        "critic_depth": CRITIC_DEPTH,
        "clip_value": CLIP_VALUE,
        "gradient_penalty_weight": GP_WEIGHT,
        "noise_std": NOISE_STD,
        "grid_points": sizes["grid_points"],
        "grid_range": GRID_RANGE,
        "num_evaluation_points": sizes["num_evaluation_points"],
        "deep_width": sizes["deep_width"],
        "deep_depth": sizes["deep_depth"],
        "deep_clip_values": list(DEEP_CLIP_VALUES),
        "deep_generator_steps": sizes["deep_generator_steps"],
        "deep_critic_steps": DEEP_CRITIC_STEPS,
        "deep_measure_every": sizes["deep_measure_every"],
        "fraction_of_paper_critic_steps": steps
        / (PAPER_GENERATOR_ITERATIONS * PAPER_CRITIC_STEPS),
    }


# --- Data -------------------------------------------------------------------------


def toy_points(dataset, split):
    """`[n, 2]` float32 points of a built-in at the authors' scale (see
    `DATASETS`)."""
    from keras_gans import data

    factors = {name: factor for _, _, name, factor in DATASETS}
    points = data.load_arrays(dataset, split)[0]
    return (points * np.float32(factors[dataset])).astype("float32")


def real_and_fake_points(dataset, seed, num_points):
    """The evaluation points of seed `seed`: `(real, fake, interpolates)`, each
    `[num_points, 2]` float32: the first test points, the same plus N(0, I)
    noise, and x̂ = εx + (1 - ε)x̃ with ε ~ U[0, 1] per point, all drawn from
    `np.random.default_rng(1000 + seed)` (noise first, then ε)."""
    real = toy_points(dataset, "test")[:num_points]
    rng = np.random.default_rng(EVALUATION_SEED_OFFSET + seed)
    fake = real + NOISE_STD * rng.standard_normal(real.shape).astype("float32")
    epsilon = rng.uniform(size=(len(real), 1)).astype("float32")  # [n, 1]
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    return real, fake.astype("float32"), interpolates.astype("float32")


def value_grid(points, grid_range=GRID_RANGE):
    """`[points * points, 2]` grid over [-r, r]²; row i * points + j is
    (x_i, y_j), as `gan_toy.py` lays it out."""
    axis = np.linspace(-grid_range, grid_range, points, dtype="float32")
    grid = np.zeros((points, points, 2), "float32")
    grid[:, :, 0] = axis[:, None]
    grid[:, :, 1] = axis[None, :]
    return grid.reshape(-1, 2)  # [points * points, 2]


# --- The critic and its training -----------------------------------------------------


def build_critic(width, depth, seed):
    """`architectures.mlp_discriminator(2, (width,) * depth)`: ReLU layers,
    He-normal init, a linear output."""
    from keras_gans.architectures import mlp_discriminator

    return mlp_discriminator(2, (width,) * depth, seed=seed)


def _optimizer(method):
    import keras

    if method == "clip":
        return keras.optimizers.RMSprop(CLIP_LEARNING_RATE)
    return keras.optimizers.Adam(
        GP_LEARNING_RATE, beta_1=GP_BETAS[0], beta_2=GP_BETAS[1]
    )


def _constraint(method, clip_value=CLIP_VALUE):
    from keras_gans import penalties

    if method == "clip":
        return penalties.WeightClipping(clip_value)
    return penalties.GradientPenalty(GP_WEIGHT)


def _train_critic(critic, method, points, steps, eval_every, seed, run_eagerly=False):
    """Trains `critic` against the fixed generator (real data plus N(0, I)) for
    `steps` steps; returns the critic loss (without the penalty) every
    `eval_every` steps.

    One step: a batch x of 256 training points, x̃ = x + N(0, I), loss
    E[D(x̃)] - E[D(x)] (+ λ GP for "gp"), one optimizer step through
    `trainer.minimize`, then clipping for "clip"."""
    import keras
    import tensorflow as tf

    from keras_gans import losses
    from keras_gans.training import trainer

    constraint = _constraint(method)
    player = trainer.Player("critic", [critic], _optimizer(method))
    seed_generator = keras.random.SeedGenerator(seed)

    def step(real, noise):
        fake = real + noise
        wasserstein = []

        def loss_fn():
            loss = losses.wasserstein_discriminator_loss(
                critic(real, training=True), critic(fake, training=True)
            )
            wasserstein.append(loss)
            if constraint.adds_loss:
                term, _ = constraint(critic, None, real, fake, seed_generator)
                loss = loss + term
            return loss

        trainer.minimize(player, loss_fn)
        if not constraint.adds_loss:
            constraint.constrain(critic, None)
        return wasserstein[0]

    if not run_eagerly:
        step = tf.function(step)
    rng = np.random.default_rng(seed)
    curve = []
    for index in range(steps):
        real = points[rng.integers(0, len(points), BATCH_SIZE)]  # [256, 2]
        noise = NOISE_STD * rng.standard_normal(real.shape).astype("float32")
        loss = step(real, noise)
        if (index + 1) % eval_every == 0:
            curve.append({"step": index + 1, "critic_loss": float(loss)})
    return curve


def _round_to_float16(critic):
    """Rounds the critic's weights to float16 (the saved precision), in place."""
    critic.set_weights(
        [w.astype("float16").astype("float32") for w in critic.get_weights()]
    )


def critic_file(seed, slug, method):
    """Where a Figure 1a critic's weights are saved, relative to the folder."""
    return os.path.join("critics", f"seed{seed}_{slug}_{method}.npz")


def save_critic(critic, path):
    """The critic's weights as float16 arrays `w0, w1, ...` (kernels and biases
    in layer order) in a compressed `.npz`."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(
        path,
        **{f"w{i}": w.astype("float16") for i, w in enumerate(critic.get_weights())},
    )


def load_weights(path):
    """The float32 weights of a `save_critic` file, in layer order."""
    with np.load(path) as saved:
        return [saved[f"w{i}"].astype("float32") for i in range(len(saved.files))]


def load_critic(path, seed=None):
    """A `build_critic` critic with the weights of a `save_critic` file."""
    weights = load_weights(path)
    width, depth = weights[0].shape[1], len(weights) // 2 - 1
    critic = build_critic(int(width), depth, seed)
    critic.set_weights(weights)
    return critic


# --- Measurements -----------------------------------------------------------------


def fraction_near_clip(weights, clip_value=CLIP_VALUE, tolerance=NEAR_CLIP_TOLERANCE):
    """The fraction of the parameters with | |w| - c | <= tolerance · c."""
    flat = np.concatenate([np.ravel(w) for w in weights])
    return float(np.mean(np.abs(np.abs(flat) - clip_value) <= tolerance * clip_value))


def _auc(real_values, fake_values):
    """P(D(real) > D(fake)) + P(equal) / 2 over all real-fake pairs (the
    Mann-Whitney AUC)."""
    real_values = np.asarray(real_values, "float64")
    fake_values = np.sort(np.asarray(fake_values, "float64"))
    below = np.searchsorted(fake_values, real_values, side="left")
    not_above = np.searchsorted(fake_values, real_values, side="right")
    return float(np.mean(below + 0.5 * (not_above - below)) / len(fake_values))


def _gradient_norms(critic, points):
    """‖∇_x D(x)‖ per point, `[n]` float64."""
    from keras import ops

    from keras_gans.training import trainer

    gradients = trainer.input_gradients(
        lambda x: critic(x), ops.convert_to_tensor(points)
    )
    return np.sqrt(np.sum(np.square(np.asarray(gradients, "float64")), axis=1))


def _values(critic, points):
    return np.asarray(critic(points), "float64")[:, 0]


def measure_critic(critic, dataset, seed, budget):
    """The numbers of one trained (float16-rounded) critic (see the module
    docstring)."""
    real, fake, interpolates = real_and_fake_points(
        dataset, seed, budget["num_evaluation_points"]
    )
    norms = _gradient_norms(critic, interpolates)
    real_values, fake_values = _values(critic, real), _values(critic, fake)
    surface = _values(critic, value_grid(budget["grid_points"]))
    weights = critic.get_weights()
    return {
        "fraction_near_clip": fraction_near_clip(weights),
        "max_abs_weight": float(max(np.abs(w).max() for w in weights)),
        "num_parameters": int(sum(w.size for w in weights)),
        "mean_gradient_norm": float(norms.mean()),
        "mean_gradient_norm_deviation": float(np.mean(np.abs(norms - 1.0))),
        "wasserstein_estimate": float(real_values.mean() - fake_values.mean()),
        "auc": _auc(real_values, fake_values),
        "surface": {
            "min": float(surface.min()),
            "max": float(surface.max()),
            "mean": float(surface.mean()),
        },
    }


# --- Figure 1b left: deep critics ---------------------------------------------------


def _deep_configurations():
    return [(f"clip c={c:g}", "clip", c) for c in DEEP_CLIP_VALUES] + [
        ("gradient penalty", "gp", None)
    ]


def _activation_gradient_norms(critic, real, fake):
    """‖∂L/∂h_l‖ for each hidden layer l of an MLP critic, L = E[D(fake)] -
    E[D(real)], over the batch [real; fake] (Frobenius norm)."""
    from keras import ops

    from keras_gans.training import trainer

    dense = [layer for layer in critic.layers if hasattr(layer, "kernel")]
    hidden, logits = dense[:-1], dense[-1]
    count = len(real)
    inputs = ops.convert_to_tensor(np.concatenate([real, fake]))  # [2n, 2]
    activations = []
    h = inputs
    for layer in hidden:
        h = layer(h)
        activations.append(h)

    norms = []
    for index, activation in enumerate(activations):

        def loss_fn(h, index=index):
            for layer in hidden[index + 1 :]:
                h = layer(h)
            values = logits(h)[:, 0]
            return ops.mean(values[count:]) - ops.mean(values[:count])

        gradient = trainer.summed_gradients(loss_fn, activation)
        norms.append(float(np.sqrt(np.sum(np.square(np.asarray(gradient, "float64"))))))
    return norms


def _train_deep(method, clip_value, seed, budget, report):
    """A WGAN on the Swiss roll with deep MLPs; the activation gradient norms of
    its critic every `deep_measure_every` G steps, from step 0."""
    import keras

    from keras_gans import GAN, data
    from keras_gans.architectures import mlp_discriminator, mlp_generator

    keras.utils.set_random_seed(seed)
    width, depth = budget["deep_width"], budget["deep_depth"]
    generator = mlp_generator(2, 2, (width,) * depth, seed=seed)
    critic = mlp_discriminator(2, (width,) * depth, seed=seed)
    gan = GAN(generator, critic, latent_dim=2, seed=seed)
    gan.compile(
        d_optimizer=_optimizer(method),
        g_optimizer=_optimizer(method),
        loss="wasserstein",
        penalties=[_constraint(method, clip_value or CLIP_VALUE)],
        discriminator_steps=DEEP_CRITIC_STEPS,
        run_eagerly=budget["run_eagerly"],
    )
    points = data.load_arrays("swiss_roll", "train")[0]
    pipeline = data.from_array(
        points, batch_size=DEEP_CRITIC_STEPS * BATCH_SIZE, seed=seed
    ).repeat()
    real = data.load_arrays("swiss_roll", "test")[0][:DEEP_BATCH]
    latents = np.random.default_rng(EVALUATION_SEED_OFFSET + seed).standard_normal(
        (DEEP_BATCH, 2)
    )
    measurements = []

    def measure(step):
        fake = np.asarray(generator(latents.astype("float32")), "float32")
        norms = _activation_gradient_norms(critic, real, fake)
        measurements.append({"step": step, "gradient_norms": norms})
        report(step, norms)

    class Measure(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            measure((epoch + 1) * budget["deep_measure_every"])

    measure(0)
    gan.fit(
        pipeline,
        epochs=budget["deep_generator_steps"] // budget["deep_measure_every"],
        steps_per_epoch=budget["deep_measure_every"],
        callbacks=[Measure()],
        verbose=0,
        shuffle=False,
    )
    return measurements


# --- The reproduction ---------------------------------------------------------------


def run_seed(seed, budget, folder, progress):
    """Trains the six Figure 1a critics (three datasets x two methods) and the
    four deep WGANs of Figure 1b from `seed`; saves each Figure 1a critic as
    `critics/seed<s>_<dataset>_<method>.npz` under `folder`.

    Returns:
        `{"seed", "critics": [...], "deep": [...]}`: one entry per critic with its
        measurements and critic-loss curve, one per deep configuration with its
        gradient norms per layer at each measurement.
    """
    import time

    import keras

    cpu_started = time.process_time()
    critics = []
    for label, slug, dataset, _ in DATASETS:
        points = toy_points(dataset, "train")
        for method in METHODS:
            progress(f"{label}, {METHOD_LABELS[method]}: training the critic")
            keras.utils.set_random_seed(seed)
            critic = build_critic(budget["critic_width"], budget["critic_depth"], seed)
            curve = _train_critic(
                critic,
                method,
                points,
                budget["critic_steps"],
                budget["eval_every"],
                seed,
                budget["run_eagerly"],
            )
            _round_to_float16(critic)
            path = critic_file(seed, slug, method)
            save_critic(critic, os.path.join(folder, path))
            measured = measure_critic(critic, dataset, seed, budget)
            critics.append(
                {
                    "dataset": label,
                    "slug": slug,
                    "method": method,
                    **measured,
                    "critic": path,
                    "curve": curve,
                }
            )
            progress(
                f"{label}, {METHOD_LABELS[method]}: within 1 % of ±c "
                f"{measured['fraction_near_clip']:.3f}, AUC {measured['auc']:.3f}"
            )
    deep = []
    for label, method, clip_value in _deep_configurations():

        def report(step, norms, label=label):
            progress(
                f"deep critic, {label}: step {step}/"
                f"{budget['deep_generator_steps']}, gradient norm layer 1 "
                f"{norms[0]:.3g}, layer {len(norms)} {norms[-1]:.3g}"
            )

        deep.append(
            {
                "configuration": label,
                "method": method,
                "clip_value": clip_value,
                "measurements": _train_deep(method, clip_value, seed, budget, report),
            }
        )
    return {
        "seed": seed,
        "critics": critics,
        "deep": deep,
        # Core-seconds: CPU time of every thread of the process.
        "cpu_time_s": round(time.process_time() - cpu_started, 1),
    }


def _deep_ratio(measurements):
    """log10 of the gradient norm at the first hidden layer over the last's,
    averaged over the measurements after step 0: > 0 when the gradient grows
    backwards through the critic (explodes), < 0 when it vanishes."""
    ratios = [
        np.log10(m["gradient_norms"][0] / m["gradient_norms"][-1])
        for m in measurements
        if m["step"] > 0
    ]
    return float(np.mean(ratios)) if ratios else float("nan")


def summarise(seed_results):
    """Mean ± std over seeds of each critic's numbers, per dataset and method,
    and of each deep configuration's log10 gradient ratio (first over last
    layer)."""
    critics = {}
    for record in seed_results:
        for entry in record["critics"]:
            key = f"{entry['dataset']} / {entry['method']}"
            values = critics.setdefault(key, {})
            for name in (
                "fraction_near_clip",
                "max_abs_weight",
                "mean_gradient_norm",
                "mean_gradient_norm_deviation",
                "auc",
            ):
                values.setdefault(name, []).append(entry[name])
    deep = {}
    for record in seed_results:
        for entry in record["deep"]:
            deep.setdefault(entry["configuration"], []).append(
                _deep_ratio(entry["measurements"])
            )
    return {
        "critics": {
            key: {name: summary_statistics(series) for name, series in values.items()}
            for key, values in critics.items()
        },
        "deep_log10_first_over_last": {
            key: summary_statistics(series) for key, series in deep.items()
        },
    }


def _format(statistics, digits=3):
    if statistics["n"] == 0:
        return "–"
    if statistics["n"] == 1:
        return f"{statistics['mean']:.{digits}f}"
    return f"{statistics['mean']:.{digits}f} ± {statistics['std']:.{digits}f}"


def table(results):
    """The Markdown table of the Figure 1a/1b-right critics."""
    lines = [
        "| data | method | within 1 % of ±c | max \\|w\\| | mean ‖∇D(x̂)‖ | "
        "mean \\|‖∇D(x̂)‖ - 1\\| | AUC real vs fake |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, values in results["summary"]["critics"].items():
        dataset, method = key.split(" / ")
        lines.append(
            f"| {dataset} | {METHOD_LABELS[method]} | "
            f"{_format(values['fraction_near_clip'])} | "
            f"{_format(values['max_abs_weight'], 4)} | "
            f"{_format(values['mean_gradient_norm'], 4)} | "
            f"{_format(values['mean_gradient_norm_deviation'], 3)} | "
            f"{_format(values['auc'])} |"
        )
    return "\n".join(lines) + "\n"


def deep_table(results):
    """The Markdown table of Figure 1b left: the gradient norm per layer at the
    last measurement of seed 0, and the mean log10 ratio over seeds."""
    first = results["seeds"][0]["deep"]
    depth = len(first[0]["measurements"][-1]["gradient_norms"])
    shown = sorted({0, depth // 3, 2 * depth // 3, depth - 1})
    lines = [
        "| critic | "
        + " | ".join(f"‖∂L/∂h{layer + 1}‖" for layer in shown)
        + " | log10(layer 1 / layer "
        + f"{depth}) |",
        "|---|" + "---:|" * (len(shown) + 1),
    ]
    ratios = results["summary"]["deep_log10_first_over_last"]
    for entry in first:
        norms = entry["measurements"][-1]["gradient_norms"]
        lines.append(
            f"| {entry['configuration']} | "
            + " | ".join(f"{norms[layer]:.3g}" for layer in shown)
            + f" | {_format(ratios[entry['configuration']], 2)} |"
        )
    return "\n".join(lines) + "\n"


def markdown(results):
    """`results.md`: the protocol in brief, both tables, the claims as published,
    the command, wall time and versions."""
    budget = results["budget"]
    published = results["published"]
    last_step = results["seeds"][0]["deep"][0]["measurements"][-1]["step"]
    parts = [
        f"# {results['title']}\n",
        f"Reproduction `{results['reproduction']}` of {results['reference']}.\n",
        "Protocol (the module docstring of "
        "`keras_gans.reproductions.wgan_gp_figure1` has it in full): critics "
        f"(`mlp_discriminator`, {budget['critic_depth']} ReLU layers of "
        f"{budget['critic_width']}) trained for {budget['critic_steps']:,} steps "
        "against a fixed generator, the real data plus N(0, I), on 8 Gaussians, 25 "
        "Gaussians and the Swiss roll; weight clipping c = "
        f"{budget['clip_value']:g} (RMSProp 5e-5) or the gradient penalty λ = "
        f"{budget['gradient_penalty_weight']:g} (Adam 1e-4, β1 0, β2 0.9). "
        "Measured on the saved (float16) critics; gradient norms and AUC on "
        f"{budget['num_evaluation_points']:,} test points, their noisy copies "
        "and interpolates.\n",
        f"Budget: {budget['critic_steps']:,} critic steps per critic, "
        f"{100 * budget['fraction_of_paper_critic_steps']:.2g} % of the 500,000 "
        "of the authors' toy script; deep critics "
        f"{budget['deep_generator_steps']} G steps of {budget['deep_critic_steps']} "
        f"critic steps; {seeds_text(results['num_seeds'])}."
        + (" A `--quick` check, not a result." if results["quick"] else "")
        + "\n",
        "Figure 1a and 1b right (`value_surfaces.png`, `weights.png`), mean ± std "
        "over seeds:\n",
        table(results),
        f"Figure 1b left (`gradient_norms.png`): {budget['deep_depth']}-layer ReLU "
        f"MLPs of {budget['deep_width']} units on the Swiss roll; the norm of the "
        "gradient of the critic loss with respect to each hidden layer's "
        f"activations at G step {last_step} (seed 0), and log10 of the first "
        "layer's norm over the last's, averaged over the measurements during "
        "training (> 0: the gradient grows towards the input, explodes; < 0: it "
        "vanishes):\n",
        deep_table(results),
        "As published (no numbers; the claims of the figure):\n",
        f"- 1a: {published['figure_1a']}\n"
        f"- 1b left: {published['figure_1b_left']}\n"
        f"- 1b right: {published['figure_1b_right']}\n",
        run_footer(results),
    ]
    return "\n".join(parts)


def write_figures(results, folder):
    """`value_surfaces.png` (Figure 1a: each seed-0 critic's value over [-3, 3]²,
    recomputed from its saved file, with real points), `weights.png` (Figure 1b
    right: histograms of the seed-0 critics' parameters, all three datasets) and
    `gradient_norms.png` (Figure 1b left: log10 gradient norm against layer).

    Returns:
        The figure paths relative to `folder`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    budget = results["budget"]
    first = results["seeds"][0]
    by_key = {(entry["slug"], entry["method"]): entry for entry in first["critics"]}
    points = budget["grid_points"]
    axis = np.linspace(-budget["grid_range"], budget["grid_range"], points)

    figure = Figure(figsize=(4 * len(DATASETS), 8))
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(METHODS), len(DATASETS))
    for column, (label, slug, dataset, _) in enumerate(DATASETS):
        real = toy_points(dataset, "test")[:1_000]
        for row, method in enumerate(METHODS):
            entry = by_key[(slug, method)]
            critic = load_critic(os.path.join(folder, entry["critic"]))
            surface = _values(critic, value_grid(points, budget["grid_range"]))
            surface = surface.reshape(points, points)  # [x, y]
            ax = axes[row, column]
            ax.contourf(axis, axis, surface.T, levels=20, cmap="viridis")
            ax.contour(axis, axis, surface.T, levels=20, colors="k", linewidths=0.3)
            ax.scatter(real[:, 0], real[:, 1], s=3, c="orange", alpha=0.6, linewidths=0)
            ax.set_title(
                f"{label}, {METHOD_LABELS[method]}\nAUC {entry['auc']:.3f}",
                fontsize="small",
            )
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
    figure.suptitle(
        "Critic value surfaces, generator fixed at real data + N(0, I) "
        f"({budget['critic_steps']:,} critic steps)",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "value_surfaces.png"), dpi=55)
    written = ["value_surfaces.png"]

    figure = Figure(figsize=(10, 3.5))
    FigureCanvasAgg(figure)
    for ax, method in zip(figure.subplots(1, len(METHODS)), METHODS, strict=True):
        weights = np.concatenate(
            [
                np.ravel(w)
                for _, slug, _, _ in DATASETS
                for w in load_weights(
                    os.path.join(folder, by_key[(slug, method)]["critic"])
                )
            ]
        )
        span = budget["clip_value"] if method == "clip" else np.abs(weights).max()
        ax.hist(weights, bins=100, range=(-span * 1.05, span * 1.05), color="C0")
        ax.set_yscale("log")
        near = fraction_near_clip([weights])
        ax.set_title(
            f"{METHOD_LABELS[method]}: {100 * near:.1f} % within 1 % of ±c",
            fontsize="small",
        )
        ax.set_xlabel("parameter value")
    figure.suptitle(
        f"Critic parameters (three datasets, c = {budget['clip_value']:g})",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "weights.png"), dpi=70)
    written.append("weights.png")

    figure = Figure(figsize=(6, 4.5))
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    for index, entry in enumerate(first["deep"]):
        norms = entry["measurements"][-1]["gradient_norms"]
        ax.plot(
            range(1, len(norms) + 1),
            np.log10(norms),
            marker="o",
            color=f"C{index}",
            label=entry["configuration"],
        )
    ax.set_xlabel("critic layer (1 = nearest the input)")
    ax.set_ylabel("log10 ‖∂ critic loss / ∂ activations‖")
    ax.set_title(
        f"Deep critics on the Swiss roll, G step "
        f"{first['deep'][0]['measurements'][-1]['step']}",
        fontsize="medium",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(os.path.join(folder, "gradient_norms.png"), dpi=70)
    written.append("gradient_norms.png")
    return written
