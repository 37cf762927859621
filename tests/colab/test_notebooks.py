"""Every tutorial notebook runs top to bottom (in smoke mode: tiny epochs)."""

import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.tensorflow_only

NOTEBOOKS = sorted((pathlib.Path(__file__).parents[2] / "colab").glob("*.ipynb"))
REPOSITORY = str(pathlib.Path(__file__).parents[2])


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_smoke_mode(path, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_SMOKE", "1")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([REPOSITORY, os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": REPOSITORY}},
    ).execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
