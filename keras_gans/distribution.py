"""Replica-aware helpers for training steps under `tf.distribute`.

A `tf.distribute` strategy runs the training step once per replica, each on its slice
of the global batch. Two things then need care for one step on N replicas to equal one
step on one device with the same global batch:

- **Random draws.** Every replica holds the same seed state, so a draw made per replica
  repeats the same numbers on every replica. `uniform_for_replica` and
  `normal_for_replica` draw for the global batch and return this replica's rows: the
  union over replicas is the single-device draw, and the seed state stays identical on
  every replica.
- **Batch statistics.** A mean over "the batch" is a mean over the replica's slice.
  `global_mean` all-reduces it to the global-batch mean (and gradients flow through
  it).

TensorFlow-specific (`tf.distribute`); outside a strategy these are the plain ops.
"""

import keras
import tensorflow as tf
from keras import ops

__all__ = [
    "global_mean",
    "global_sum",
    "in_multi_worker_mode",
    "normal_for_replica",
    "replica_position",
    "step_outputs",
    "uniform_for_replica",
    "update_trackers",
]


def replica_position():
    """(replica index, number of replicas) of the current replica context."""
    context = tf.distribute.get_replica_context()
    if context is None:  # Cross-replica context: behave as a single replica.
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


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
