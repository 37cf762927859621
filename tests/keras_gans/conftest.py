"""Fixtures shared by the reproduction tests.

`quick_reproduction(name)` runs `python -m keras_gans reproduce NAME --quick --seeds 2`
once per test session and hands every test the same folder: the generic contract
(`test_reproductions.py`) and each reproduction's own checks read one run. Under
pytest-xdist the workers share the folder (the first to ask runs it, under a file
lock; the others wait and read it), so each quick run is paid for once.
"""

import contextlib
import dataclasses
import io
import json
import os

import keras
import pytest

QUICK_SEEDS = 2


@dataclasses.dataclass(frozen=True)
class QuickRun:
    """A `reproduce NAME --quick` run: its folder, argv, exit code and stdout."""

    name: str
    folder: str
    argv: tuple
    code: int
    stdout: str

    def results(self):
        """The run's `results.json`."""
        from keras_gans import reproductions

        with open(os.path.join(self.folder, reproductions.RESULTS_JSON)) as file:
            return json.load(file)


@contextlib.contextmanager
def _exclusive(path):
    """Holds an exclusive lock on `path` (where the platform has `fcntl`)."""
    try:
        import fcntl
    except ImportError:  # No lock: each worker has its own folder then.
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def quick_reproduction(tmp_path_factory):
    """`run(name) -> QuickRun`: the session's one quick run of reproduction `name`."""
    from keras_gans import cli

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # The base folder every worker's temp folder is under.
    root = root / "quick_reproductions"
    root.mkdir(exist_ok=True)

    def run(name):
        folder = root / name
        record = root / f"{name}.json"
        with _exclusive(root / f"{name}.lock"):
            if not record.is_file():
                argv = [
                    "reproduce",
                    name,
                    "--quick",
                    "--seeds",
                    str(QUICK_SEEDS),
                    "--out",
                    str(folder / "out"),
                ]
                stdout = io.StringIO()
                keras.utils.set_random_seed(0)
                with contextlib.redirect_stdout(stdout):
                    code = cli.main(argv)
                record.write_text(
                    json.dumps(
                        {"argv": argv, "code": code, "stdout": stdout.getvalue()}
                    )
                )
        saved = json.loads(record.read_text())
        return QuickRun(
            name,
            str(folder / "out"),
            tuple(saved["argv"]),
            saved["code"],
            saved["stdout"],
        )

    return run
