"""The trainer: the players of a step and the one function that updates them.

Every model family of the suite trains through this module. A **player** is a set of
networks and the optimizer that moves them (the discriminator, the generator, one
player per pyramid level, or one optimizer over both networks for the single-loss
step, T14); `Players` is a model's registry of them. `minimize(player, loss_fn)` is
the one place that differentiates a loss and applies an update:

- it takes the loss's gradient with a `tf.GradientTape`;
- under a `tf.distribute` strategy it differentiates the replica's **share** of the
  global-batch mean, `loss / num_replicas`: the optimizer sums the replicas'
  gradients, so N replicas take the step one device takes on the same global batch;
- under the `mixed_float16` policy it scales the loss (`LossScaleOptimizer`, made
  by `Players.add`) and the optimizer unscales the gradients;
- it returns the global L2 norm of the gradient in units of the batch mean (the
  replica share and the loss scale undone), the `*_grad_norm` logs.

The other gradients a step needs go through here too: `input_gradients` (∇_x D(x),
for the gradient penalties P2-P6, differentiable once more by the outer tape) and
`summed_gradients` (the look-ahead of the unrolled GAN, T15). So are the replica-aware
random draws and reductions (`normal_for_replica`, `global_mean`, ...): every replica
holds the same seed state, so a draw made for the **global** batch and sliced per
replica is the single-device draw, and the seed state stays identical everywhere.

This module and nothing else in the models touches `tf.GradientTape` and
`tf.distribute`: porting the suite's training to another Keras backend is this
module's work.
"""

import keras
import tensorflow as tf
from keras import ops

__all__ = [
    "Player",
    "Players",
    "global_mean",
    "global_sum",
    "in_multi_worker_mode",
    "input_gradients",
    "minimize",
    "normal_for_replica",
    "replica_position",
    "replica_share",
    "step_outputs",
    "strategy",
    "summed_gradients",
    "uniform_for_replica",
    "update_trackers",
]


class Player:
    """Networks and the optimizer that trains them.

    Args:
        name: How the model names the player ("discriminator", "generator", ...).
        networks: The Keras models (or layers) whose trainable variables it moves.
        optimizer: A built Keras optimizer over those variables.
    """

    def __init__(self, name, networks, optimizer):
        self.name = name
        self.networks = tuple(networks)
        self.optimizer = optimizer

    @property
    def trainable_variables(self):
        """The networks' trainable variables, in the order of `networks`."""
        return [v for network in self.networks for v in network.trainable_variables]

    def regularization(self):
        """The sum of the networks' `add_loss` terms (kernel regularizers)."""
        return sum((sum(network.losses, 0.0) for network in self.networks), 0.0)

    def __repr__(self):
        names = ", ".join(network.name for network in self.networks)
        return f"Player({self.name!r}, networks=[{names}])"


class Players:
    """A model's players by name, each with its own optimizer instance.

    `add` resolves the optimizer (instance, name or config), wraps it in a
    `LossScaleOptimizer` under the `mixed_float16` policy, and builds its slots at
    once, inside the strategy scope when there is one, so that weight loading and
    `BackupAndRestore` find them.
    """

    def __init__(self):
        self._players = {}

    def add(self, name, networks, optimizer):
        """Registers and returns the player `name`; `optimizer` must be an instance
        that no other player holds (an optimizer keeps state for one set of
        variables)."""
        if name in self._players:
            raise ValueError(f"A player named {name!r} is already registered.")
        optimizer = keras.optimizers.get(optimizer)
        for other in self._players.values():
            held = getattr(other.optimizer, "inner_optimizer", other.optimizer)
            if held is optimizer:
                raise ValueError(
                    f"The {name} and the {other.name} need two optimizer instances: "
                    "an optimizer keeps state for one set of variables. Received "
                    f"the same object twice: {optimizer}."
                )
        if keras.config.dtype_policy().name == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        player = Player(name, networks, optimizer)
        optimizer.build(player.trainable_variables)
        self._players[name] = player
        return player

    def __getitem__(self, name):
        if name not in self._players:
            raise KeyError(
                f"No player named {name!r}; the players are {list(self._players)}."
            )
        return self._players[name]

    def __contains__(self, name):
        return name in self._players

    def __iter__(self):
        return iter(self._players.values())

    def names(self):
        return list(self._players)


def replica_position():
    """(replica index, number of replicas) of the current replica context."""
    context = tf.distribute.get_replica_context()
    if context is None:  # Cross-replica context: behave as a single replica.
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def replica_share(loss):
    """What a replica differentiates of its batch-mean `loss`: `loss /
    num_replicas`, so that the replica-summed gradients are those of the
    global-batch mean."""
    _, num_replicas = replica_position()
    return loss / num_replicas


def _gradient_norm(gradients, loss_per_unit):
    """The global L2 norm of `gradients` divided by `loss_per_unit` (what one unit
    of batch-mean loss became after the replica share and the loss scale)."""
    squares = [
        ops.sum(ops.square(ops.cast(g, "float32"))) for g in gradients if g is not None
    ]
    return ops.sqrt(sum(squares, 0.0)) / loss_per_unit


def minimize(player, loss_fn, already_shared=False):
    """One optimizer step of `player` on the loss `loss_fn()` returns.

    Args:
        player: A `Player`.
        loss_fn: A function of no argument returning the scalar loss: this
            replica's batch mean (the function runs inside the tape, so every
            forward pass the loss needs belongs in it).
        already_shared: `loss_fn` already returns the replica's share of the
            global-batch loss (a loss made of all-reduced means, as the K+1 GAN's
            labelled mean), so it is not divided again.

    Returns:
        The gradient's global L2 norm, in units of the batch-mean loss.
    """
    variables = player.trainable_variables
    with tf.GradientTape() as tape:
        loss = loss_fn()
        share = loss if already_shared else replica_share(loss)
        scaled_loss = player.optimizer.scale_loss(share)
    gradients = tape.gradient(scaled_loss, variables)
    unit = player.optimizer.scale_loss(1.0 if already_shared else replica_share(1.0))
    norm = _gradient_norm(gradients, unit)
    player.optimizer.apply_gradients(zip(gradients, variables, strict=True))
    return norm


def input_gradients(function, inputs):
    """`∇_x Σ function(x)`: the gradient of the sum of every output element over the
    batch with respect to `inputs` (float32, zeros where unconnected).

    Taken with a tape inside the caller's tape, so the caller can differentiate the
    result once more (with respect to D's weights, for a gradient penalty).
    """
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = function(inputs)
        total = sum(
            ops.sum(ops.cast(output, "float32"))
            for output in keras.tree.flatten(outputs)
        )
    gradients = tape.gradient(
        total, inputs, unconnected_gradients=tf.UnconnectedGradients.ZERO
    )
    return ops.cast(gradients, "float32")


def summed_gradients(loss_fn, values):
    """The gradients of `loss_fn(values)` with respect to the tensors `values`,
    summed over the replicas (the replica's share of a global-batch loss thus gives
    the global gradient). Differentiable by an enclosing tape."""
    with tf.GradientTape() as tape:
        tape.watch(values)
        loss = loss_fn(values)
    return global_sum(tape.gradient(loss, values))


STRATEGIES = ("default", "mirrored")


def strategy(name):
    """The `tf.distribute` strategy a run trains under: "default" (the current
    one, a single device outside any scope) or "mirrored" (`MirroredStrategy`
    over every visible GPU, or the CPU)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise ValueError(
        f"Unknown strategy {name!r}. Expected one of {', '.join(STRATEGIES)}."
    )


def in_multi_worker_mode():
    """Whether the step runs under a MultiWorkerMirroredStrategy with several
    workers."""
    strategy = tf.distribute.get_strategy()
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


def _rows_for_replica(draw, shape):
    replica, num_replicas = replica_position()
    batch_size = shape[0]
    global_values = draw((batch_size * num_replicas, *shape[1:]))
    return global_values[replica * batch_size : (replica + 1) * batch_size]


def uniform_for_replica(shape, seed, minval=0.0, maxval=1.0):
    """U[minval, maxval) values of `shape` (its first axis is the replica's batch):
    this replica's rows of one draw for the global batch.

    Args:
        shape: The replica's shape, batch axis first.
        seed: A `keras.random.SeedGenerator` (shared by the replicas).
    """
    return _rows_for_replica(
        lambda global_shape: keras.random.uniform(
            global_shape, minval=minval, maxval=maxval, seed=seed
        ),
        tuple(shape),
    )


def normal_for_replica(shape, seed, stddev=1.0):
    """N(0, stddev²) values of `shape`, drawn like `uniform_for_replica`."""
    return _rows_for_replica(
        lambda global_shape: keras.random.normal(
            global_shape, stddev=stddev, seed=seed
        ),
        tuple(shape),
    )


def global_sum(values):
    """The sum of `values` (a tensor or a list of tensors) over all replicas."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return values
    return context.all_reduce(tf.distribute.ReduceOp.SUM, values)


def global_mean(values):
    """The mean of `values` over all replicas: with equal per-replica batches, the
    mean of per-replica batch means is the global-batch mean."""
    _, num_replicas = replica_position()
    if num_replicas == 1:
        return values
    summed = global_sum(values)
    if isinstance(summed, (list, tuple)):
        return [ops.divide(value, num_replicas) for value in summed]
    return ops.divide(summed, num_replicas)


def update_trackers(trackers, logs):
    """Feeds a step's `logs` to the `keras.metrics.Mean` trackers of the same names.

    A log is a value (its mean is tracked with weight 1) or a `(value,
    sample_weight)` pair (e.g. a lazy penalty, weighted 0 on the steps it skips).
    """
    for name, entry in logs.items():
        value, weight = entry if isinstance(entry, tuple) else (entry, 1.0)
        trackers[name].update_state(ops.mean(ops.cast(value, "float32")), weight)


def step_outputs(values):
    """A train or test step's outputs in the form Keras can reduce.

    Keras 3 reduces a step's outputs across workers with
    `strategy.reduce("MEAN", value, axis=0)`, which rejects scalars
    (tensorflow/tensorflow#72388): under a multi-worker strategy each scalar becomes
    shape [1], which reduces to the scalar. Elsewhere `values` is returned as is.
    """
    if not in_multi_worker_mode():
        return values
    return {name: ops.reshape(value, (1,)) for name, value in values.items()}
