"""The tutorial notebooks in colab/: one setup cell for the series, a parameters cell,
saved outputs that belong to the code (a full run, no errors, the plots present), a
run top to bottom in smoke mode, and README.md's list of them.

`colab/notebooks.py` runs and refreshes the notebooks (see colab/README.md).
"""

import ast
import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest

pytestmark = pytest.mark.tensorflow_only

ROOT = pathlib.Path(__file__).parents[2]


def _load_series_module():
    # By path: tests/colab and colab/ would otherwise share the package name.
    spec = importlib.util.spec_from_file_location(
        "colab_notebooks", ROOT / "colab" / "notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notebooks = _load_series_module()
NOTEBOOKS = notebooks.notebook_paths()
IDS = [path.name for path in NOTEBOOKS]


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _output_problems(notebook):
    """What is wrong with the outputs of an executed notebook: errors, tracebacks
    on stderr, a plotting cell without its PNG, a printing cell without output."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        for output in outputs:
            if output.output_type == "error":
                problems.append(f"cell {index}: {output.ename}: {output.evalue}")
            if output.output_type == "stream" and "Traceback" in output.text:
                problems.append(f"cell {index}: a traceback on {output.name}")
        images = [output for output in outputs if "image/png" in output.get("data", {})]
        if "plt.show()" in cell.source and len(images) < cell.source.count(
            "plt.show()"
        ):
            problems.append(f"cell {index}: plt.show() without its image/png output")
        printed = [output for output in outputs if output.output_type == "stream"]
        if re.search(r"^\s*print\(", cell.source, re.MULTILINE) and not printed:
            problems.append(f"cell {index}: prints, but has no printed output")
    if not any(
        "image/png" in output.get("data", {})
        for cell in _code_cells(notebook)
        for output in cell.get("outputs", [])
    ):
        problems.append("no image/png output anywhere")
    return problems


def test_there_are_notebooks():
    assert NOTEBOOKS
    names = sorted(path.name for path in (ROOT / "colab").glob("*.ipynb"))
    assert names == IDS, "every notebook is named colab/NN_name.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_is_the_series_one(path):
    notebook = nbformat.read(path, as_version=4)
    setup = notebooks.tagged_cells(notebook, notebooks.SETUP_TAG)
    assert len(setup) == 1
    assert notebook.cells[setup[0]] is _code_cells(notebook)[0], "the first code cell"
    assert notebook.cells[setup[0]].source == notebooks.setup_cell_source(), (
        "run `python colab/notebooks.py sync`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_parameters_cell_holds_smoke_false(path):
    notebook = nbformat.read(path, as_version=4)
    indices = notebooks.tagged_cells(notebook, notebooks.PARAMETERS_TAG)
    assert len(indices) == 1
    index = indices[0]
    assignments = {
        target.id: node.value
        for node in ast.parse(notebook.cells[index].source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
    }
    # The saved notebook is the full run; the smoke mode is injected by the tests.
    assert isinstance(assignments.get("SMOKE"), ast.Constant)
    assert assignments["SMOKE"].value is False
    uses = [
        position
        for position, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and position != index
        and re.search(r"\bSMOKE\b", cell.source)
    ]
    assert uses, "SMOKE sets the budget somewhere"
    assert min(uses) > index, "SMOKE is used after the parameters cell only"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_saved_outputs_are_a_full_run_of_this_code(path):
    notebook = nbformat.read(path, as_version=4)
    record = notebook.metadata.get(notebooks.METADATA_KEY, {})
    refresh = f"python colab/notebooks.py run {path.stem}"
    assert record.get("execution") == "full", f"no full run saved: {refresh}"
    assert record.get("code_sha256") == notebooks.code_digest(notebook), (
        f"the code changed after its outputs were saved: {refresh}"
    )
    counts = [cell.execution_count for cell in _code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1)), "one run, top to bottom"
    assert _output_problems(notebook) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_in_smoke_mode(path):
    notebook, seconds = notebooks.execute(path, smoke=True, timeout=600)
    print(f"{path.name}: smoke mode in {seconds:.1f} s")
    assert _output_problems(notebook) == []
    setup_output = "".join(
        output.get("text", "")
        for output in notebook.cells[
            notebooks.tagged_cells(notebook, notebooks.SETUP_TAG)[0]
        ].outputs
    )
    # The kernel imports this checkout: the setup cell installs nothing.
    assert "already importable" in setup_output
    assert "runtime requirements met" in setup_output


def test_setup_cell_default_source(tmp_path):
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", notebooks.setup_cell_source()],
        cwd=tmp_path,
        env=environment,  # no KERAS_GANS_SOURCE: the cell's own default
        capture_output=True,
        text=True,
        timeout=120,
    )
    if notebooks.REPOSITORY is None:
        # No public address yet: the placeholder stops before any install.
        assert result.returncode != 0
        assert "ValueError: Set KERAS_GANS_SOURCE" in result.stderr
        assert notebooks.default_source() in result.stderr
        assert "pip install" not in result.stdout
    else:
        assert notebooks.default_source() == (
            f"git+https://github.com/{notebooks.REPOSITORY}"
        )


def _imported_from():
    """The setup cell's `imported_from`, compiled from the cell itself."""
    tree = ast.parse(notebooks.setup_cell_source())
    function = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "imported_from"
    )
    namespace = {}
    exec(  # noqa: S102 (the cell's own code)
        "import importlib.metadata, importlib.util, json, pathlib, urllib.parse\n"
        + ast.unparse(function),
        namespace,
    )
    return namespace["imported_from"]


def test_setup_cell_recognises_a_git_install(tmp_path, monkeypatch):
    # A distribution that pip installed from a git URL records it (PEP 610).
    info = tmp_path / "keras_gans-9.9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: keras-gans\nVersion: 9.9.9\n"
    )
    (info / "direct_url.json").write_text(
        json.dumps(
            {
                "url": "https://github.com/someone/keras-gans",
                "vcs_info": {
                    "vcs": "git",
                    "requested_revision": "v1",
                    "commit_id": "0" * 40,
                },
            }
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    imported_from = _imported_from()
    assert imported_from("git+https://github.com/someone/keras-gans")
    assert imported_from("git+https://github.com/someone/keras-gans@v1")
    assert not imported_from("git+https://github.com/someone/keras-gans@v2")
    assert not imported_from("git+https://github.com/another/keras-gans")
    assert not imported_from(str(tmp_path))  # a folder without the package


def test_readme_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    lines = readme.splitlines()
    assert notebooks.README_HEADING in lines, (
        f"README.md has no {notebooks.README_HEADING!r} section: paste the output "
        "of `python colab/notebooks.py readme`"
    )
    start = lines.index(notebooks.README_HEADING) + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    section = "\n".join(lines[start:end])
    listed = re.findall(r"\]\(colab/(\d\d_[a-z0-9_]+\.ipynb)\)", section)
    assert listed == IDS, "README.md lists every notebook of colab/, in order"
    badges = re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", section)
    assert badges == [notebooks.colab_url(name) for name in IDS]
