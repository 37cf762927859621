"""What every reproduction shares: the output folder, the seeds loop, the progress
line, `results.json` and `results.md`.

A reproduction module (one per paper claim) defines:

- `NAME`, `TITLE`, `REFERENCE` (the paper's link), `DEFAULT_SEEDS` (the paper's
  number of trials) and `PUBLISHED` (the paper's rows, as published);
- `budget(quick, steps=None, eval_every=None)`: the training budget as a dict (the
  paper's without arguments, a tiny one with `quick=True`); it raises ValueError
  for overrides it cannot honour;
- `paper_budget()`: the paper's budget, written beside ours;
- `run_seed(seed, budget, folder, progress)`: one seed's numbers as a JSON-ready
  dict; it saves the samples the numbers were computed from under `folder`;
- `summarise(seed_results)`: mean, standard deviation and standard error over
  seeds;
- `markdown(results)`: the table of `results.md` (published rows beside ours);
- `write_figures(results, folder)`: its PNG figures; returns their names.
"""

import json
import math
import os
import platform
import sys
import time

import numpy as np

from keras_gans._checks import check_positive_integer

__all__ = [
    "Progress",
    "RESULTS_JSON",
    "RESULTS_MD",
    "check_out_folder",
    "run",
    "run_footer",
]

RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
DEFAULT_OUT_PARENT = "reproductions"


class Progress:
    """The progress line: rewritten in place on a terminal, one line per update
    otherwise (a log file or a pipe).

    Args:
        stream: Where to write (default `sys.stdout`).
    """

    def __init__(self, stream=None):
        self.stream = sys.stdout if stream is None else stream
        self.on_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self._width = 0

    def update(self, text):
        if self.on_terminal:
            padding = " " * max(0, self._width - len(text))
            self.stream.write(f"\r{text}{padding}")
            self._width = len(text)
        else:
            self.stream.write(f"{text}\n")
        self.stream.flush()

    def done(self):
        """Ends the line in place (on a terminal) before other output."""
        if self.on_terminal and self._width:
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0


def check_out_folder(out, name):
    """Refuses an `out` that is a file or holds another reproduction's results.

    A folder with this reproduction's results is rerun into (its files are
    replaced); a missing folder is made.

    Raises:
        ValueError: naming the folder and what is in it.
    """
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"`--out` {out!r} is a file, not a folder.")
    results_path = os.path.join(out, RESULTS_JSON)
    if os.path.isfile(results_path):
        try:
            with open(results_path) as file:
                existing = json.load(file).get("reproduction")
        except (OSError, ValueError, AttributeError):
            existing = None
        if existing != name:
            raise ValueError(
                f"`--out` {out!r} already holds {RESULTS_JSON} of "
                f"{'another run' if existing is None else repr(existing)}, not of "
                f"{name!r}; it is not overwritten. Choose another folder."
            )
    os.makedirs(out, exist_ok=True)


def versions():
    """The library, TensorFlow, Keras, NumPy and Python versions of this run."""
    import keras
    import numpy as np
    import tensorflow as tf

    import keras_gans

    return {
        "keras_gans": keras_gans.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def json_ready(value):
    """`value` with NaN and infinite floats as None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    return value


def run(
    module,
    out,
    seeds=None,
    quick=False,
    steps=None,
    eval_every=None,
    command=None,
    progress=None,
):
    """Runs a reproduction for `seeds` seeds and writes its folder.

    Args:
        module: The reproduction module (see the module docstring).
        out: The folder to write.
        seeds: Positive number of seeds, 0 .. seeds - 1 (default: the paper's number
            of trials, `module.DEFAULT_SEEDS`).
        quick: The same code at a tiny budget (seconds).
        steps, eval_every: Budget overrides (see `module.budget`).
        command: The command line to record (default: this process's).
        progress: A `Progress` (default: one on stdout).

    Returns:
        The results dict written to `results.json`.

    Raises:
        ValueError: for a bad number of seeds, a budget the reproduction cannot run
            or an `out` that holds another reproduction's results.
    """
    seeds = module.DEFAULT_SEEDS if seeds is None else seeds
    check_positive_integer(seeds, "seeds")
    budget = module.budget(quick, steps=steps, eval_every=eval_every)
    check_out_folder(out, module.NAME)
    progress = progress or Progress()
    if command is None:
        command = " ".join(["python", "-m", "keras_gans", *sys.argv[1:]])
    started = time.perf_counter()
    seed_results = []
    for seed in range(seeds):
        seed_started = time.perf_counter()
        record = module.run_seed(
            seed,
            budget,
            out,
            lambda text, seed=seed: progress.update(
                f"{module.NAME} seed {seed + 1}/{seeds} | {text}"
            ),
        )
        record["wall_time_s"] = round(time.perf_counter() - seed_started, 1)
        seed_results.append(record)
    progress.done()
    results = {
        "reproduction": module.NAME,
        "title": module.TITLE,
        "reference": module.REFERENCE,
        "command": command,
        "quick": bool(quick),
        "num_seeds": seeds,
        "budget": budget,
        "paper_budget": module.paper_budget(),
        "published": module.PUBLISHED,
        "seeds": seed_results,
        "summary": module.summarise(seed_results),
        "wall_time_s": round(time.perf_counter() - started, 1),
        "versions": versions(),
    }
    results["figures"] = module.write_figures(results, out)
    results = json_ready(results)
    with open(os.path.join(out, RESULTS_JSON), "w") as file:
        json.dump(results, file, indent=2, allow_nan=False)
        file.write("\n")
    with open(os.path.join(out, RESULTS_MD), "w") as file:
        file.write(module.markdown(results))
    return results


def run_footer(results):
    """The last lines of every `results.md`: the run's command, wall time and
    versions."""
    versions = results["versions"]
    return (
        f"Command: `{results['command']}`  \n"
        f"Wall time: {results['wall_time_s']:.0f} s  \n"
        f"Versions: keras_gans {versions['keras_gans']}, TensorFlow "
        f"{versions['tensorflow']}, Keras {versions['keras']}, NumPy "
        f"{versions['numpy']}, Python {versions['python']} ({versions['platform']})\n"
    )


def seeds_text(count):
    """ "1 seed" or "N seeds", for tables and titles."""
    return f"{count} seed" if count == 1 else f"{count} seeds"


def summary_statistics(values):
    """Mean, standard deviation (ddof 1; 0 for one value) and standard error of the
    finite values (None and NaN are left out), and how many there were."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return {"mean": math.nan, "std": math.nan, "standard_error": math.nan, "n": 0}
    std = float(np.std(finite, ddof=1)) if len(finite) > 1 else 0.0
    return {
        "mean": float(np.mean(finite)),
        "std": std,
        "standard_error": std / math.sqrt(len(finite)),
        "n": len(finite),
    }


def step_schedule(
    steps, eval_every, default_steps, quick, quick_steps, quick_eval_every, evaluations
):
    """`(steps, eval_every)` of a reproduction's budget.

    `steps` defaults to `quick_steps` with `quick`, else `default_steps`;
    `eval_every` to `quick_eval_every` for the quick budget, else the largest
    divisor of `steps` that gives at least `evaluations` evaluations (1 for fewer
    steps).

    Raises:
        ValueError: for a non-positive `steps` or `eval_every`, or an `eval_every`
            that does not divide `steps`.
    """
    if steps is None:
        steps = quick_steps if quick else default_steps
    check_positive_integer(steps, "steps")
    if eval_every is None:
        if quick and steps == quick_steps:
            eval_every = quick_eval_every
        else:
            limit = max(1, steps // evaluations)
            eval_every = max(d for d in range(1, limit + 1) if steps % d == 0)
    check_positive_integer(eval_every, "eval_every")
    if steps % eval_every:
        raise ValueError(
            f"`eval_every` should divide `steps`. Received: `eval_every={eval_every}` "
            f"and `steps={steps}`."
        )
    return steps, eval_every
