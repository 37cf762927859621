"""Test session set-up shared by both packages' tests.

Under the TensorFlow backend the single physical CPU is split into two logical
devices before TensorFlow initialises, so that `tf.distribute.MirroredStrategy`
can be tested with two replicas on any machine.
"""

import keras
import pytest

NUM_LOGICAL_CPUS = 2


def pytest_configure(config):
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * NUM_LOGICAL_CPUS
        )


def pytest_collection_modifyitems(config, items):
    """Skip TensorFlow-only tests when another backend is selected."""
    if keras.backend.backend() == "tensorflow":
        return
    skip = pytest.mark.skip(
        reason=f"needs TensorFlow, backend is {keras.backend.backend()}"
    )
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Every test starts from a clean Keras session and a fixed global seed."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(1337)
    yield
    keras.config.set_dtype_policy("float32")
