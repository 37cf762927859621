"""The command line starts without TensorFlow's start-up diagnostics.

Loading TensorFlow prints C++ log lines (oneDNN, CUDA drivers, CPU instructions;
later graph-attribute errors such as "NodeDef mentions attribute
use_unbounded_threadpool") that say nothing about the user's run. The command line
(`python -m keras_gans`, the `keras-gans` script) hides them: it sets
`TF_CPP_MIN_LOG_LEVEL=3` and sends the file descriptor of standard error to
/dev/null while TensorFlow's libraries load (lines logged before absl's
initialisation ignore the variable). Nothing changes when the variable is already
set (the user chose a level) or when the library is imported by a program of the
user's own.
"""

import os
import sys

COMMAND_NAME = "keras-gans"


def is_command_line():
    """True while `python -m keras_gans` or the `keras-gans` script starts."""
    arguments = getattr(sys, "orig_argv", [])
    launched_as_module = any(
        flag == "-m" and module == "keras_gans"
        for flag, module in zip(arguments, arguments[1:], strict=False)
    )
    return launched_as_module or os.path.basename(sys.argv[0]) == COMMAND_NAME


def import_tensorflow():
    """Imports TensorFlow, quietly when the command line starts (see above)."""
    if not is_command_line() or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import tensorflow  # noqa: F401

        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)
