"""Test session set-up shared by both packages' tests.

Under the TensorFlow backend the single physical CPU is split into two logical
devices before TensorFlow initialises, so that `tf.distribute.MirroredStrategy`
can be tested with two replicas on any machine.

`--fast` keeps only the oracle tests of the losses, penalties, layers and training-step
components (a tier for development, not what CI runs):

    python -m pytest -m "not slow" -x --fast
"""

import fnmatch
import pathlib

import keras
import pytest

NUM_LOGICAL_CPUS = 2

TESTS_DIRECTORY = pathlib.Path(__file__).parent

# The files of the `--fast` tier, as glob patterns relative to tests/.
FAST_TIER_PATTERNS = (
    "layers/*.py",
    "keras_gans/test_losses.py",
    "keras_gans/test_penalties.py",
    "keras_gans/test_tricks.py",
    "keras_gans/test_components*.py",
    "keras_gans/test_trainer*.py",
)

# Tests of those files left out of the tier, as glob patterns on
# "<path relative to tests/>::<test>": the slowest ones by `--durations` on 2 CPU cores,
# all of them harness, saving, distribution or end-to-end training checks rather
# than oracles (the layer harness builds, fits, jit-compiles, saves and distributes
# each layer: several seconds a test). The full run keeps every one of them.
FAST_TIER_EXCLUDED_TESTS = (
    "layers/test_keras_test_case.py::*",
    "layers/test_discriminator_end_to_end.py::*",
    "*::test_layer_harness*",
    "*::test_layer_with_*",
    "*::test_layer_dense",
    "*::test_layer_image_channels_first",
    "*::test_model_saving*",
    "*::test_saving_*",
    "*::test_serialization_and_model_saving",
    "*::test_noise_as_model_input_saves_and_loads",
    "*::test_mirrored_*",
    "*::test_weight_clipping_under_mirrored_strategy_clips_every_replica",
    "*::test_one_fit_step_with_every_loss_changes_both_networks*",
    "*::test_historical_averages_survive_save_and_load",
    "*::test_generate_and_save_generator_use_the_ema_generator",
)


def pytest_addoption(parser):
    parser.addoption(
        "--fast",
        action="store_true",
        default=False,
        help="run only the oracle tests of losses, penalties, layers and step "
        "components (tests/layers, test_losses, test_penalties, test_tricks, "
        "test_components*, test_trainer*); use with -m 'not slow'",
    )


def _in_fast_tier(item):
    try:
        relative = pathlib.Path(item.path).relative_to(TESTS_DIRECTORY).as_posix()
    except ValueError:
        return False
    if not any(fnmatch.fnmatch(relative, pattern) for pattern in FAST_TIER_PATTERNS):
        return False
    test_id = relative + "::" + item.nodeid.split("::", 1)[-1]
    return not any(
        fnmatch.fnmatch(test_id, pattern) for pattern in FAST_TIER_EXCLUDED_TESTS
    )


def pytest_configure(config):
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * NUM_LOGICAL_CPUS
        )


def pytest_collection_modifyitems(config, items):
    """Deselect what `--fast` leaves out; skip TensorFlow-only tests when another
    backend is selected."""
    if config.getoption("--fast"):
        kept = [item for item in items if _in_fast_tier(item)]
        deselected = [item for item in items if not _in_fast_tier(item)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept
    if keras.backend.backend() == "tensorflow":
        return
    skip = pytest.mark.skip(
        reason=f"needs TensorFlow, backend is {keras.backend.backend()}"
    )
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_keras_state(request):
    """Every test starts from a clean Keras session and a fixed global seed.

    Under `--fast` the session is cleared without `clear_session`'s full garbage
    collection (its only other effect): `gc.collect()` costs 0.5-2.5 s a test on
    2 CPU cores once the suite has built a few hundred models, more than most oracle
    tests take to run.
    """
    keras.backend.clear_session(free_memory=not request.config.getoption("--fast"))
    keras.utils.set_random_seed(1337)
    yield
    keras.config.set_dtype_policy("float32")
