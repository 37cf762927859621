"""Two worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy) equal one device.

The test starts this file twice as a script, once per worker, with a `TF_CONFIG` that
describes a two-worker cluster on local ports; each worker trains one step of the same
GAN on its share of one global batch and writes its weights. Both workers must hold the
same weights, equal to a single-device step on the whole batch.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

GLOBAL_BATCH = 8
TOLERANCE = 1e-5
WORKER_TIMEOUT_SECONDS = 300


def _one_step_weights(strategy):
    from keras_gans import GAN, architectures, data

    with strategy.scope():
        generator = architectures.dcgan_generator(8, 1, latent_dim=16, width=8, seed=3)
        discriminator = architectures.dcgan_discriminator(8, 1, width=8, seed=3)
        gan = GAN(generator, discriminator, seed=3)
        gan.compile()
    images, _ = data.load_arrays("digits", "train")
    dataset = data.from_array(
        images[:GLOBAL_BATCH], batch_size=GLOBAL_BATCH, shuffle=False
    )
    gan.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return [v.numpy() for v in gan.variables]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.tensorflow_only
def test_two_workers_equal_one_device(tmp_path):
    import tensorflow as tf

    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    repository = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    )
    workers = []
    for index in range(2):
        environment = {
            **os.environ,
            "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}}
            ),
            "PYTHONPATH": os.pathsep.join(
                [repository, os.environ.get("PYTHONPATH", "")]
            ),
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        workers.append(
            subprocess.Popen(
                [sys.executable, __file__, str(tmp_path / f"worker{index}.npz")],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    for worker in workers:
        output, _ = worker.communicate(timeout=WORKER_TIMEOUT_SECONDS)
        assert worker.returncode == 0, output[-3000:]

    single = _one_step_weights(tf.distribute.get_strategy())
    first, second = (np.load(tmp_path / f"worker{i}.npz") for i in range(2))
    largest = 0.0
    for position, expected in enumerate(single):
        key = f"arr_{position}"
        np.testing.assert_array_equal(first[key], second[key])
        largest = max(largest, float(np.max(np.abs(first[key] - expected))))
    print(f"largest |two workers - one device| over all variables: {largest:.3g}")
    assert largest <= TOLERANCE


if __name__ == "__main__":
    import tensorflow as tf

    weights = _one_step_weights(tf.distribute.MultiWorkerMirroredStrategy())
    np.savez(sys.argv[1], *weights)
