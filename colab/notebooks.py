"""The notebook series in `colab/`: where it installs from, its setup cell, its
Open-in-Colab links, and how a notebook is executed (fully, or in smoke mode).

The one place that names the repository is `REPOSITORY` below. Every notebook's
setup cell and every Open-in-Colab link is built from it; `sync` copies the setup
cell into every notebook, and `tests/colab/test_notebooks.py` checks that each
notebook holds exactly this cell and that README.md's notebook list matches
`colab/*.ipynb`.

Commands (run from anywhere; they use this checkout):

    python colab/notebooks.py run 05_spectral_normalization   # full run, outputs saved
    python colab/notebooks.py run --smoke 05_spectral_normalization   # check only
    python colab/notebooks.py sync     # write the setup cell into every notebook
    python colab/notebooks.py readme   # print README.md's notebook section

`run` without `--smoke` executes the notebook top to bottom in a fresh kernel and
writes it back with its outputs and, in its metadata, the digest of its code and the
wall time (the tests check that the saved outputs belong to the code). `--smoke`
injects `SMOKE = True` after the cell tagged "parameters" and saves nothing.
"""

import argparse
import contextlib
import hashlib
import os
import pathlib
import re
import sys
import time

COLAB_FOLDER = pathlib.Path(__file__).resolve().parent
ROOT = COLAB_FOLDER.parent

# The GitHub repository ("owner/name") the notebooks install from and open in Colab.
# None while the project has no public address: the setup cell's default is then a
# placeholder that stops with a message saying what to set, and the README's badges
# carry the same placeholder. Set it, then run `sync` and `readme`.
REPOSITORY = None
PLACEHOLDER_REPOSITORY = "OWNER/keras-gans"
BRANCH = "main"  # the branch the Open-in-Colab links open

SETUP_TAG = "setup"  # the tag of the setup cell, the first code cell of a notebook
PARAMETERS_TAG = "parameters"  # papermill's tag: the cell that holds SMOKE
SMOKE_CELL = "SMOKE = True  # injected by colab/notebooks.py: the smoke-mode budget"
METADATA_KEY = "keras_gans"  # the notebook metadata written by a full run
README_HEADING = "## Notebooks"
NOTEBOOK_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")


def repository():
    """`REPOSITORY`, or the placeholder while it is unset."""
    return REPOSITORY or PLACEHOLDER_REPOSITORY


def default_source():
    """The pip source the setup cell installs from when nothing overrides it."""
    return f"git+https://github.com/{repository()}"


def colab_url(name):
    """The Open-in-Colab address of `colab/<name>` (a file name ending in .ipynb)."""
    return (
        f"https://colab.research.google.com/github/{repository()}/blob/{BRANCH}/"
        f"colab/{name}"
    )


def notebook_paths():
    """The notebooks of the series, in order: `colab/NN_name.ipynb`."""
    return sorted(
        path for path in COLAB_FOLDER.glob("*.ipynb") if NOTEBOOK_NAME.match(path.name)
    )


# The setup cell; its default source is `default_source()`.
SETUP_CELL = '''\
# Setup: install keras-gans (it brings TensorFlow 2.21 and Keras 3) unless this
# kernel already imports it from KERAS_GANS_SOURCE, then check the versions.
import importlib
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import urllib.parse

# Where keras-gans comes from: the repository as a pip git URL
# ("git+https://github.com/OWNER/NAME", "@TAG" pins a release) or the path of a
# local checkout. Edit this line; an environment variable of the same name, when
# set, takes precedence (the tests set it to their checkout).
KERAS_GANS_SOURCE = "__DEFAULT_SOURCE__"
KERAS_GANS_SOURCE = os.environ.get("KERAS_GANS_SOURCE", KERAS_GANS_SOURCE)


def imported_from(source):
    """Whether `import keras_gans` loads the package that `source` names."""
    spec = importlib.util.find_spec("keras_gans")
    if spec is None:
        return False
    checkout = pathlib.Path(source).expanduser()
    if checkout.is_dir():  # a local checkout: the package is its folder
        return pathlib.Path(spec.origin).resolve().is_relative_to(checkout.resolve())
    try:
        record = importlib.metadata.distribution("keras-gans").read_text(
            "direct_url.json"
        )
    except importlib.metadata.PackageNotFoundError:
        return False
    if not record:  # installed from an index, not from a URL
        return False
    record = json.loads(record)
    parts = urllib.parse.urlsplit(source.removeprefix("git+"))
    path, _, revision = parts.path.partition("@")
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    requested = record.get("vcs_info", {}).get("requested_revision", "")
    return record["url"] == url and (not revision or requested == revision)


if "github.com/OWNER/" in KERAS_GANS_SOURCE:
    raise ValueError(
        "Set KERAS_GANS_SOURCE (the line above) to where keras-gans lives: its "
        "repository as 'git+https://github.com/OWNER/NAME', or the path of a local "
        "checkout (for instance after `!git clone URL keras-gans`: 'keras-gans'). "
        f"Received: KERAS_GANS_SOURCE={KERAS_GANS_SOURCE!r}"
    )
if imported_from(KERAS_GANS_SOURCE):
    print(f"keras-gans is already importable from {KERAS_GANS_SOURCE}: not installing")
else:
    print(f"pip install {KERAS_GANS_SOURCE} (a few minutes: it brings TensorFlow)")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", KERAS_GANS_SOURCE], check=True
    )
    importlib.invalidate_caches()
    if not imported_from(KERAS_GANS_SOURCE):
        raise RuntimeError(
            f"pip installed {KERAS_GANS_SOURCE}, but `import keras_gans` loads "
            f"another copy ({importlib.util.find_spec('keras_gans').origin}): "
            "uninstall it (pip uninstall keras-gans) and run this cell again."
        )

from packaging.requirements import Requirement  # noqa: E402 (pip brings it)

requirements_file = pathlib.Path(KERAS_GANS_SOURCE).expanduser() / "requirements.txt"
if requirements_file.is_file():  # a checkout: its requirements.txt
    lines = [
        line.partition("#")[0] for line in requirements_file.read_text().splitlines()
    ]
else:  # an installed package: the requirements it declares
    lines = importlib.metadata.requires("keras-gans")
requirements = [Requirement(line) for line in lines if line.strip()]
requirements = [r for r in requirements if not r.marker or r.marker.evaluate()]

# TensorFlow's C++ log (oneDNN, CUDA probing, graph-optimizer notes) says nothing
# about this notebook. The level applies to what is logged after TensorFlow loads;
# what it logs while loading goes to standard error regardless, so that is muted.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.stderr.flush()
saved_stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 2)
try:
    import tensorflow
finally:
    os.dup2(saved_stderr, 2)
    os.close(saved_stderr)
    os.close(devnull)
import keras  # noqa: E402 (after the install)

import keras_gans  # noqa: E402

loaded = {"keras": keras.__version__, "tensorflow": tensorflow.__version__}
print(f"keras-gans {keras_gans.__version__} (from {KERAS_GANS_SOURCE})")
unmet = []
for requirement in requirements:
    try:
        installed = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        installed = None
    # keras and tensorflow: the version this kernel has loaded (after an upgrade in
    # place, the old one stays loaded until the runtime restarts).
    version = loaded.get(requirement.name, installed)
    met = version is not None and requirement.specifier.contains(
        version, prereleases=True
    )
    if requirement.name in loaded:
        print(f"{requirement.name} {version} (required {requirement.specifier})")
    if not met:
        unmet.append(f"{requirement.name} {version} (required {requirement.specifier})")
if unmet:
    raise RuntimeError(
        "Installed versions outside the required ranges: "
        + "; ".join(unmet)
        + ". In Colab, restart the session (Runtime > Restart session) and run "
        "this cell again; elsewhere, pip install -r requirements.txt."
    )
print(f"all {len(requirements)} runtime requirements met")
gpus = tensorflow.config.list_physical_devices("GPU")
print(f"GPUs: {', '.join(gpu.name for gpu in gpus) if gpus else 'none (CPU only)'}")
'''


def setup_cell_source():
    """The source of every notebook's setup cell."""
    # No final newline: a notebook cell's source has none (ruff formats it so).
    return SETUP_CELL.replace("__DEFAULT_SOURCE__", default_source()).rstrip("\n")


def code_digest(notebook):
    """SHA-256 of the code cells' sources, the setup cell left out (it does not
    change what a notebook computes): what a full run's outputs belong to."""
    sources = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code"
        and SETUP_TAG not in cell.get("metadata", {}).get("tags", [])
    ]
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()


def tagged_cells(notebook, tag):
    """Indices of the cells of `notebook` tagged `tag`."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if tag in cell.get("metadata", {}).get("tags", [])
    ]


def with_smoke_cell(notebook):
    """A copy of `notebook` with `SMOKE = True` in a cell after its parameters cell
    (papermill's convention for injected parameters)."""
    import copy

    import nbformat

    indices = tagged_cells(notebook, PARAMETERS_TAG)
    if len(indices) != 1:
        raise ValueError(
            f"A notebook needs exactly one cell tagged {PARAMETERS_TAG!r}. "
            f"Received: {len(indices)} such cells."
        )
    notebook = copy.deepcopy(notebook)
    injected = nbformat.v4.new_code_cell(
        SMOKE_CELL, metadata={"tags": ["injected-parameters"]}
    )
    notebook.cells.insert(indices[0] + 1, injected)
    return notebook


@contextlib.contextmanager
def _kernel_environment(source):
    """The kernel's environment: KERAS_GANS_SOURCE and this checkout first on the
    path (the setup cell then finds the package there and installs nothing)."""
    saved = dict(os.environ)
    os.environ["KERAS_GANS_SOURCE"] = source
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [saved.get("PYTHONPATH")])]
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def execute(path, smoke, timeout=1_800, source=None):
    """Runs the notebook at `path` top to bottom in a fresh kernel whose working
    folder is the repository root.

    Args:
        path: The `.ipynb` file.
        smoke: True runs the smoke-mode budget (`SMOKE = True` injected after the
            parameters cell); False runs the notebook as saved.
        timeout: Seconds a single cell may take.
        source: KERAS_GANS_SOURCE for the kernel; defaults to this checkout's path.

    Returns:
        `(notebook, seconds)`: the executed notebook (the injected cell removed
        again) and the wall time of the execution.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    if smoke:
        notebook = with_smoke_cell(notebook)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    with _kernel_environment(str(ROOT) if source is None else source):
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    notebook.cells = [
        cell
        for cell in notebook.cells
        if "injected-parameters" not in cell.get("metadata", {}).get("tags", [])
    ]
    return notebook, seconds


def refresh(path):
    """The full run of one notebook, saved in place with its outputs."""
    import nbformat

    # The saved setup cell reads "importable from .": no local path in the file.
    notebook, seconds = execute(path, smoke=False, source=".")
    notebook.metadata[METADATA_KEY] = {
        "execution": "full",
        "code_sha256": code_digest(notebook),
        "wall_time_seconds": round(seconds, 1),
    }
    nbformat.write(notebook, path)
    return seconds


def sync():
    """Writes `setup_cell_source()` into every notebook's setup cell."""
    import nbformat

    changed = []
    for path in notebook_paths():
        notebook = nbformat.read(path, as_version=4)
        indices = tagged_cells(notebook, SETUP_TAG)
        if len(indices) != 1:
            raise ValueError(
                f"{path.name} needs exactly one cell tagged {SETUP_TAG!r}. "
                f"Received: {len(indices)} such cells."
            )
        cell = notebook.cells[indices[0]]
        if cell.source != setup_cell_source():
            cell.source = setup_cell_source()
            nbformat.write(notebook, path)
            changed.append(path.name)
    return changed


def title(path):
    """A notebook's title: the first heading of its first markdown cell."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError(f"{path.name} has no '# ' title in its first markdown cell.")


def readme_section():
    """README.md's notebook section: one line per notebook, with its badge."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    lines = [
        README_HEADING,
        "",
        "Each notebook teaches one technique, runs in minutes on a CPU and is saved",
        "with the outputs of its full run. Its first cell installs keras-gans from",
        "`KERAS_GANS_SOURCE` and checks the versions; `colab/README.md` describes",
        "the series (setup, smoke mode, refreshing the outputs).",
    ]
    if REPOSITORY is None:
        lines += [
            f"The badges name the placeholder repository `{PLACEHOLDER_REPOSITORY}`",
            "until `REPOSITORY` in `colab/notebooks.py` is set; then",
            "`python colab/notebooks.py readme` prints this section with the",
            "repository's own links.",
        ]
    lines.append("")
    for path in notebook_paths():
        lines.append(
            f"- [![Open In Colab]({badge})]({colab_url(path.name)}) "
            f"[`colab/{path.name}`](colab/{path.name}): {title(path)}"
        )
    return "\n".join(lines) + "\n"


def _notebook_path(name):
    path = pathlib.Path(name)
    if path.suffix != ".ipynb":
        path = path.with_suffix(".ipynb")
    if not path.is_file():
        path = COLAB_FOLDER / path.name
    if not path.is_file():
        names = ", ".join(p.stem for p in notebook_paths())
        raise SystemExit(f"No notebook {name!r}. Expected one of: {names}")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute notebooks (saved unless --smoke)")
    run.add_argument("names", nargs="*", help="notebooks (default: all)")
    run.add_argument("--smoke", action="store_true", help="smoke mode, save nothing")
    commands.add_parser("sync", help="write the setup cell into every notebook")
    commands.add_parser("readme", help="print README.md's notebook section")
    arguments = parser.parse_args(argv)
    if arguments.command == "sync":
        changed = sync()
        print("updated:", ", ".join(changed) if changed else "nothing")
    elif arguments.command == "readme":
        sys.stdout.write(readme_section())
    else:
        paths = [_notebook_path(name) for name in arguments.names] or notebook_paths()
        for path in paths:
            if arguments.smoke:
                _, seconds = execute(path, smoke=True)
                print(f"{path.name}: smoke mode ran in {seconds:.1f} s")
            else:
                seconds = refresh(path)
                print(f"{path.name}: full run in {seconds:.1f} s, saved")


if __name__ == "__main__":
    main()
