"""The report of a human real/fake study (T8): accuracies with Wilson intervals.

Salimans et al. 2016 ("Improved Techniques for Training GANs", section 4) report
how often annotators told generated images from real ones. For every rater and for
all judgments together the report gives the accuracy (the fraction of judgments
whose answer was the truth; the paper's error rate is one minus it) with its 95 %
Wilson score interval, the accuracy on real images and on generated images
separately (a rater who calls everything real scores 100 % and 0 %), and the
generated images most often taken for real, as a PNG grid.

The overall interval treats every judgment as an independent trial; judgments of
one rater are not quite independent, so read the per-rater intervals too.

`write_report(folder)` writes `report.json`, `report.md` and
`generated_taken_for_real.png` into the study folder.

Reference: https://arxiv.org/abs/1606.03498
"""

import json
import math
import os
from statistics import NormalDist

from keras_gans import plotting
from keras_gans._checks import check_positive_integer
from keras_gans.human_eval.judgments import read_judgments
from keras_gans.human_eval.study import TECHNIQUE, load_study

__all__ = [
    "CONFIDENCE",
    "REPORT_JSON",
    "REPORT_MARKDOWN",
    "TAKEN_FOR_REAL_GRID",
    "build_report",
    "format_markdown",
    "wilson_interval",
    "write_report",
]

CONFIDENCE = 0.95
REPORT_JSON = "report.json"
REPORT_MARKDOWN = "report.md"
TAKEN_FOR_REAL_GRID = "generated_taken_for_real.png"
MAX_GRID_IMAGES = 16  # the generated images most often taken for real, in the grid


def wilson_interval(successes, trials, confidence=CONFIDENCE):
    """The Wilson score interval of a binomial proportion (Wilson 1927).

    With p = successes / trials, n = trials and z the standard normal quantile
    at 1 - (1 - confidence) / 2 (1.959964 for 95 %):

        centre     = (p + z^2 / (2 n)) / (1 + z^2 / n)
        half_width = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
        interval   = [centre - half_width, centre + half_width]

    Unlike p +- z sqrt(p (1 - p) / n) it stays inside [0, 1] and does not
    collapse to a point at 0 or n successes.

    Args:
        successes: Correct judgments, an integer in [0, trials].
        trials: Judgments, a positive integer.
        confidence: The coverage, in (0, 1).

    Returns:
        `(low, high)`.

    Example:

    >>> low, high = wilson_interval(7, 10)
    >>> round(low, 4), round(high, 4)
    (0.3968, 0.8922)
    """
    check_positive_integer(trials, "trials")
    if (
        isinstance(successes, bool)
        or not isinstance(successes, int)
        or not 0 <= successes <= trials
    ):
        raise ValueError(
            f"`successes` should be an integer in [0, trials={trials}]. Received: "
            f"`successes={successes!r}`."
        )
    if not 0 < confidence < 1:
        raise ValueError(
            f"`confidence` should be in (0, 1). Received: `confidence={confidence!r}`."
        )
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half_width = (
        z / denominator * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2))
    )
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def _accuracy(records, confidence):
    """Judgments, correct ones, accuracy, error rate and interval of `records`."""
    trials = len(records)
    correct = sum(record["answer"] == record["truth"] for record in records)
    if not trials:
        return {
            "judgments": 0,
            "correct": 0,
            "accuracy": None,
            "error_rate": None,
            "interval": None,
        }
    return {
        "judgments": trials,
        "correct": correct,
        "accuracy": correct / trials,
        "error_rate": 1 - correct / trials,
        "interval": list(wilson_interval(correct, trials, confidence)),
    }


def _breakdown(records, confidence):
    """`_accuracy` of all `records`, of those on real and on generated images."""
    return {
        **_accuracy(records, confidence),
        "real": _accuracy([r for r in records if r["truth"] == "real"], confidence),
        "generated": _accuracy(
            [r for r in records if r["truth"] == "fake"], confidence
        ),
    }


def build_report(folder, confidence=CONFIDENCE):
    """The report of the study in `folder` as a dict (see `write_report`)."""
    return _report(load_study(folder), read_judgments(folder), confidence)


def _report(study, records, confidence):
    raters = sorted({record["rater"] for record in records})
    generated_ids = [i for i in study.image_ids if study.truths[i] == "fake"]
    votes = {image_id: [0, 0] for image_id in generated_ids}  # [taken for real, all]
    for record in records:
        if record["image_id"] in votes:
            votes[record["image_id"]][0] += record["answer"] == "real"
            votes[record["image_id"]][1] += 1
    taken_for_real = sorted(
        (
            {
                "image_id": image_id,
                "taken_for_real": taken,
                "judgments": judged,
                "fraction": taken / judged,
            }
            for image_id, (taken, judged) in votes.items()
            if taken
        ),
        key=lambda entry: (-entry["taken_for_real"], -entry["fraction"]),
    )
    manifest = study.manifest
    return {
        "technique": TECHNIQUE,
        "study": os.path.abspath(study.folder),
        "model": manifest["model"],
        "model_sha256": manifest["model_sha256"],
        "fingerprint": manifest["fingerprint"],
        "generator": manifest["generator"],
        "settings": manifest["settings"],
        "num_images": study.num_images,
        "confidence": confidence,
        "interval": "Wilson score",
        "overall": _breakdown(records, confidence),
        "raters": {
            rater: _breakdown([r for r in records if r["rater"] == rater], confidence)
            for rater in raters
        },
        "generated_taken_for_real": taken_for_real,
        "taken_for_real_grid": TAKEN_FOR_REAL_GRID if taken_for_real else None,
    }


def _percent(value):
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _interval(summary):
    if summary["interval"] is None:
        return "n/a"
    low, high = summary["interval"]
    return f"{100 * low:.1f}-{100 * high:.1f} %"


def _row(name, summary):
    return (
        f"| {name} | {summary['judgments']} | {_percent(summary['accuracy'])} | "
        f"{_interval(summary)} | {_percent(summary['real']['accuracy'])} "
        f"({summary['real']['correct']}/{summary['real']['judgments']}) | "
        f"{_percent(summary['generated']['accuracy'])} "
        f"({summary['generated']['correct']}/{summary['generated']['judgments']}) |"
    )


def format_markdown(report):
    """`report` (from `build_report`) as Markdown."""
    settings = report["settings"]
    confidence = f"{100 * report['confidence']:g} %"
    lines = [
        "# Human real/fake evaluation (T8)",
        "",
        "Salimans et al. 2016, *Improved Techniques for Training GANs*, section 4 "
        "(https://arxiv.org/abs/1606.03498): raters judge real and generated images; "
        "an accuracy near 50 % means they cannot tell them apart (the paper reports "
        "the error rate, 1 - accuracy).",
        "",
        f"- model: `{report['model']}` (SHA-256 `{report['model_sha256'][:12]}`, "
        f"{report['generator']} weights)",
        f"- images: {report['num_images']} ({report['num_images'] // 2} real from "
        f"the {settings['dataset']} {settings['split']} split, "
        f"{report['num_images'] // 2} generated), seed {settings['seed']}, feedback "
        f"{'on' if settings['feedback'] else 'off'}",
        f"- intervals: {confidence} {report['interval']} intervals (the overall one "
        "treats every judgment as independent)",
        "",
        f"| rater | judgments | accuracy | {confidence} interval | on real images "
        "| on generated images |",
        "|---|---|---|---|---|---|",
        *(_row(rater, summary) for rater, summary in report["raters"].items()),
        _row("**all raters**", report["overall"]),
        "",
        "## Generated images most often taken for real",
        "",
    ]
    if report["generated_taken_for_real"]:
        lines += [
            f"![the generated images most often taken for real, most first]"
            f"({report['taken_for_real_grid']})",
            "",
            "| image id | taken for real | judgments |",
            "|---|---|---|",
            *(
                f"| `{entry['image_id']}` | {entry['taken_for_real']} | "
                f"{entry['judgments']} |"
                for entry in report["generated_taken_for_real"]
            ),
        ]
    else:
        lines.append("No generated image was taken for real.")
    return "\n".join(lines) + "\n"


def write_report(folder, confidence=CONFIDENCE):
    """Writes `report.json`, `report.md` and (when a generated image was taken for
    real) `generated_taken_for_real.png`, the at most 16 generated images most
    often taken for real, most first, into the study folder; returns the report.

    The report's keys: "overall" and "raters" (rater -> the same) hold
    "judgments", "correct", "accuracy", "error_rate" and "interval" (`[low,
    high]`, Wilson), and the same for "real" and "generated" images alone;
    "generated_taken_for_real" lists the generated images answered "real" at
    least once (id, "taken_for_real", "judgments", "fraction"); the model,
    its SHA-256, the settings and the confidence record the protocol.
    """
    study = load_study(folder)
    report = _report(study, read_judgments(folder), confidence)
    with open(os.path.join(folder, REPORT_JSON), "w") as file:
        json.dump(report, file, indent=2)
    with open(os.path.join(folder, REPORT_MARKDOWN), "w") as file:
        file.write(format_markdown(report))
    if report["generated_taken_for_real"]:
        shown = report["generated_taken_for_real"][:MAX_GRID_IMAGES]
        # uint8 pixels back to [-1, 1], the range `save_image_grid` takes.
        images = [study.image(entry["image_id"]) / 127.5 - 1.0 for entry in shown]
        plotting.save_image_grid(images, os.path.join(folder, TAKEN_FOR_REAL_GRID))
    return report
