"""Human real/fake evaluation of a generator (catalogue T8).

Salimans et al. 2016, "Improved Techniques for Training GANs" (section 4): people
are shown real and generated images one by one and say which is which; how often
they are wrong measures how real the samples look. This package runs such a study
on a local web page for a researcher and their colleagues:

- `study`: the fixed, seeded, balanced image set (`open_study`, `load_study`)
  and its manifest, with a fingerprint of the model file and settings;
- `judgments`: the append-only log, one JSON line per judgment, fsync-ed, read
  back when a server restarts so that every rater resumes (`JudgmentLog`);
- `report`: per-rater and overall accuracy with 95 % Wilson intervals, on real
  and on generated images, and the generated images most often taken for real
  (`write_report`, `wilson_interval`);
- `server`: the Starlette app and uvicorn server of the page (`create_app`,
  `serve`); it needs the `human-eval` extra, `pip install
  "keras-gans[human-eval]"`, so it is imported on its own:
  `from keras_gans.human_eval import server`.

Command line: `python -m keras_gans human-eval --model RUN_DIR` serves a study and
prints its address; `python -m keras_gans human-eval --report STUDY_DIR` writes the
report.

Reference: https://arxiv.org/abs/1606.03498
"""

from keras_gans.human_eval.judgments import (
    DuplicateJudgmentError,
    JudgmentLog,
    read_judgments,
)
from keras_gans.human_eval.report import build_report, wilson_interval, write_report
from keras_gans.human_eval.study import (
    Study,
    default_study_folder,
    load_study,
    open_study,
)

__all__ = [
    "DuplicateJudgmentError",
    "JudgmentLog",
    "Study",
    "build_report",
    "default_study_folder",
    "load_study",
    "open_study",
    "read_judgments",
    "wilson_interval",
    "write_report",
]
