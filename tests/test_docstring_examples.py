"""The `Example:` sections of the docstrings run as doctests, so they cannot rot."""

import doctest
import importlib
import pathlib

import keras
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).parents[1]


def _modules(folder, package):
    """The public modules of the folder `folder`, named inside `package` (the
    top-level folder `layers/` is the package `keras_gans.layers`)."""
    return sorted(
        ".".join((package, *path.relative_to(ROOT / folder).with_suffix("").parts))
        for path in (ROOT / folder).rglob("*.py")
        if not path.name.startswith("_")  # private helpers, __init__, __main__
    )


def _run_doctests(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(
        module,
        extraglobs={"np": np, "keras": keras},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.failed == 0, (
        f"{result.failed} docstring example(s) failed in {module_name}"
    )
    return result.attempted


def test_every_layer_has_a_docstring_example():
    attempted = {
        name: _run_doctests(name) for name in _modules("layers", "keras_gans.layers")
    }
    assert all(count > 0 for count in attempted.values()), attempted


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("module_name", _modules("keras_gans", "keras_gans"))
def test_keras_gans_docstring_examples(module_name):
    _run_doctests(module_name)
