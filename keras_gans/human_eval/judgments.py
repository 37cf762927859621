"""The append-only judgment log of a human real/fake study (T8) and resuming it.

Every judgment is one JSON line of `judgments.jsonl` in the study folder, written
when the rater makes it, flushed and `fsync`-ed before the page hears back, so a
judgment the page has shown as recorded survives a server crash or a power cut:

    {"rater": "ana", "image_id": "3fa2c1d09e0b", "truth": "fake", "answer": "real",
     "response_time_ms": 812.4, "display": "single", "recorded_at": "2026-...Z"}

`truth` is "real" or "fake" (generated), `answer` the rater's; `response_time_ms`
runs from the moment the image was shown to the click; `display` is "single" or
"grid". Reopening the log (a restarted server) reads every line back, so each
rater resumes with the images they have not judged yet. A line cut short by a crash
while it was being written (never acknowledged to the page) is dropped from the
file's end when the log is reopened.

Salimans et al. 2016, "Improved Techniques for Training GANs", section 4:
https://arxiv.org/abs/1606.03498
"""

import datetime
import json
import os
import threading

__all__ = [
    "ANSWERS",
    "DISPLAYS",
    "JUDGMENTS",
    "DuplicateJudgmentError",
    "JudgmentLog",
    "read_judgments",
]

JUDGMENTS = "judgments.jsonl"
ANSWERS = ("real", "fake")
DISPLAYS = ("single", "grid")
FIELDS = ("rater", "image_id", "truth", "answer", "response_time_ms")


class DuplicateJudgmentError(ValueError):
    """The rater has already judged this image (each rater judges each once)."""


def _complete_lines(content):
    """`content` up to its last newline: a line a crash cut short is left out."""
    return content[: content.rfind(b"\n") + 1]


def _drop_torn_line(path):
    """Cuts a line torn by a crash (never acknowledged) off the end of the log."""
    if not os.path.exists(path):
        return
    with open(path, "r+b") as file:
        content = file.read()
        complete = _complete_lines(content)
        if len(complete) != len(content):
            file.truncate(len(complete))
            file.flush()
            os.fsync(file.fileno())


def read_judgments(folder):
    """The judgments of the study in `folder`, in the order they were made (a
    torn last line is left out, and the file left as it is).

    Raises:
        ValueError: for a complete line that is not a judgment (a damaged file is
            reported, not silently skipped).
    """
    path = os.path.join(folder, JUDGMENTS)
    if not os.path.exists(path):
        return []
    with open(path, "rb") as file:
        lines = _complete_lines(file.read()).decode("utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"Line {number} of {path!r} is not JSON ({error}): {line!r}"
            ) from error
        if not isinstance(record, dict) or any(field not in record for field in FIELDS):
            raise ValueError(
                f"Line {number} of {path!r} is not a judgment with the fields "
                f"{', '.join(FIELDS)}: {line!r}"
            )
        records.append(record)
    return records


class JudgmentLog:
    """The judgments of a study folder: read back on opening, appended one line at
    a time (flush + fsync per line). Safe to share between threads.

    Args:
        folder: The study folder; the log is `folder/judgments.jsonl`.

    Raises:
        ValueError: see `read_judgments`.
    """

    def __init__(self, folder):
        self.path = os.path.join(folder, JUDGMENTS)
        self._lock = threading.Lock()
        _drop_torn_line(self.path)
        self.records = read_judgments(folder)
        self._judged = {}
        for record in self.records:
            self._judged.setdefault(record["rater"], set()).add(record["image_id"])

    def judged(self, rater):
        """The ids of the images `rater` has judged (a new set)."""
        with self._lock:
            return set(self._judged.get(rater, ()))

    def append(self, rater, image_id, truth, answer, response_time_ms, display):
        """Appends one judgment and returns its record, once it is on disk.

        Raises:
            DuplicateJudgmentError: when `rater` has judged `image_id` already
                (nothing is written).
            ValueError: for a truth or answer other than "real"/"fake", or a
                display other than "single"/"grid".
        """
        for name, value, allowed in (
            ("truth", truth, ANSWERS),
            ("answer", answer, ANSWERS),
            ("display", display, DISPLAYS),
        ):
            if value not in allowed:
                raise ValueError(
                    f"`{name}` should be one of {', '.join(allowed)}. Received: "
                    f"`{name}={value!r}`."
                )
        record = {
            "rater": rater,
            "image_id": image_id,
            "truth": truth,
            "answer": answer,
            "response_time_ms": round(float(response_time_ms), 1),
            "display": display,
            "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            judged = self._judged.setdefault(rater, set())
            if image_id in judged:
                raise DuplicateJudgmentError(
                    f"Rater {rater!r} has already judged image {image_id!r}."
                )
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(line)
                file.flush()
                os.fsync(file.fileno())
            judged.add(image_id)
            self.records.append(record)
        return record
