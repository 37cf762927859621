"""The human real/fake study page (T8) in headless Chromium, end to end.

`python -m keras_gans human-eval` runs as a subprocess; Playwright drives Debian's
Chromium (`/usr/bin/chromium`, not a Playwright download). A rater answers 5 images
one at a time with buttons and keys, a second rater joins, the server is killed
(a crash) and started again, the first rater comes back, resumes at 5 of 20 in
the grid display and answers 5 more; the judgment lines and the report's numbers
are compared with what was clicked and the study's truth.

Skipped when Chromium or Playwright is missing, unless KERAS_GANS_REQUIRE_BROWSER=1
(CI: .ci/run installs Chromium and sets it), which turns the skip into a failure.
"""

import json
import os
import pathlib
import queue
import re
import subprocess
import sys
import threading

import pytest
from human_eval_study import save_run

from keras_gans import cli

pytestmark = pytest.mark.tensorflow_only

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = pathlib.Path(__file__).parents[2]
NUM_IMAGES = 20
SERVER_START_SECONDS = 180  # the subprocess imports TensorFlow first
# The answers the rater clicks, in order: 5 before the crash, 5 after.
ANSWERS = [
    "real",
    "fake",
    "fake",
    "real",
    "real",
    "fake",
    "real",
    "fake",
    "fake",
    "real",
]
TIMEOUT_MS = 30_000


def _missing_browser():
    """Why the browser test cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install '.[dev]')"
    return None


def _skip_or_fail(reason):
    """Skips the browser test for `reason`, or fails it under
    KERAS_GANS_REQUIRE_BROWSER=1."""
    if os.environ.get("KERAS_GANS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"KERAS_GANS_REQUIRE_BROWSER=1, but {reason}")
    pytest.skip(f"the human-eval browser test needs Chromium and Playwright: {reason}")


@pytest.fixture
def browser():
    reason = _missing_browser()
    if reason is not None:
        _skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class _Server:
    """`python -m keras_gans human-eval ...` in a subprocess; `url` once it serves."""

    def __init__(self, arguments):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "keras_gans", "human-eval", *arguments],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        self.lines = queue.Queue()
        self.output = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = self._wait_for_address()

    def _drain(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _wait_for_address(self):
        while True:
            try:
                line = self.lines.get(timeout=SERVER_START_SECONDS)
            except queue.Empty:
                line = None
            if line is None:
                self.kill()
                pytest.fail("the server printed no address:\n" + "".join(self.output))
            self.output.append(line)
            match = re.search(r"Open (http://127\.0\.0\.1:\d+/)", line)
            if match:
                return match.group(1)

    def kill(self):
        """SIGKILL: a crash, no clean shutdown."""
        self.process.kill()
        self.process.wait(timeout=30)
        self.process.stdout.close()


def _answer(page, answer, use_key):
    """Answers the framed image; returns its id once the server has recorded it."""
    tile = page.locator(".tile.current[data-state=ready]")
    tile.wait_for(timeout=TIMEOUT_MS)
    image_id = tile.get_attribute("data-image-id")
    judged_before = int(page.inner_text("#progress-text").split(" / ")[0])
    if use_key:
        page.keyboard.press("R" if answer == "real" else "F")
    else:
        tile.locator(f".answer-{answer}").click()
    page.wait_for_function(
        "expected => document.querySelector('#progress-text').textContent"
        ".startsWith(expected + ' / ')",
        arg=str(judged_before + 1),
        timeout=TIMEOUT_MS,
    )
    return image_id


def _start(page, url, rater, display):
    page.goto(url)
    page.fill("#rater-name", rater)
    page.select_option("#display", display)
    page.click("#start-button")
    page.locator(".tile").first.wait_for(timeout=TIMEOUT_MS)


def test_a_rater_answers_ten_images_across_a_server_crash(browser, tmp_path):
    run, study = tmp_path / "run", tmp_path / "study"
    save_run(run)
    arguments = [
        *("--model", str(run), "--num", str(NUM_IMAGES), "--feedback"),
        *("--port", "0", "--study", str(study)),
    ]
    server = _Server(arguments)
    manifest = json.loads((study / "manifest.json").read_text())
    truths = {image["id"]: image["truth"] for image in manifest["images"]}
    clicked = []
    try:
        page = browser.new_page()
        _start(page, server.url, "Ana", "single")
        assert page.inner_text("#progress-text") == f"0 / {NUM_IMAGES} judged"
        assert page.is_visible("#feedback-note")
        for step, answer in enumerate(ANSWERS[:5]):
            image_id = _answer(page, answer, use_key=step % 2 == 1)
            clicked.append((image_id, answer, "single"))
            truth = "real" if truths[image_id] == "real" else "generated"
            verdict = "Right" if truths[image_id] == answer else "Wrong"
            assert page.inner_text("#feedback") == f"{verdict}: that image was {truth}."
        # A second rater at the same time, with their own progress.
        other = browser.new_page()
        _start(other, server.url, "Ben", "single")
        assert other.inner_text("#progress-text") == f"0 / {NUM_IMAGES} judged"
        ben_image = _answer(other, "fake", use_key=False)
    finally:
        server.kill()  # the crash
    server = _Server(arguments)
    try:
        page = browser.new_page()
        _start(page, server.url, "Ana", "grid")
        assert page.inner_text("#progress-text") == f"5 / {NUM_IMAGES} judged"
        shown = page.locator(".tile").evaluate_all(
            "tiles => tiles.map(tile => tile.dataset.imageId)"
        )
        assert len(shown) == 9
        assert not set(shown) & {image_id for image_id, _, _ in clicked}
        for step, answer in enumerate(ANSWERS[5:]):
            image_id = _answer(page, answer, use_key=step % 2 == 0)
            clicked.append((image_id, answer, "grid"))
        assert page.inner_text("#progress-text") == f"10 / {NUM_IMAGES} judged"
    finally:
        server.kill()
    # The log: one line per click, in order, with the study's truth.
    log = (study / "judgments.jsonl").read_text().splitlines()
    lines = [json.loads(line) for line in log]
    ana = [line for line in lines if line["rater"] == "Ana"]
    assert [(r["image_id"], r["answer"], r["display"]) for r in ana] == clicked
    assert all(r["truth"] == truths[r["image_id"]] for r in lines)
    assert all(0 < r["response_time_ms"] < 600_000 for r in lines)
    assert [(r["rater"], r["image_id"]) for r in lines if r["rater"] == "Ben"] == [
        ("Ben", ben_image)
    ]
    # The report: accuracy of what was clicked.
    assert cli.main(["human-eval", "--report", str(study)]) == 0
    report = json.loads((study / "report.json").read_text())
    correct = sum(truths[image_id] == answer for image_id, answer, _ in clicked)
    assert report["raters"]["Ana"]["judgments"] == 10
    assert report["raters"]["Ana"]["accuracy"] == pytest.approx(correct / 10)
    on_real = [answer for image_id, answer, _ in clicked if truths[image_id] == "real"]
    assert report["raters"]["Ana"]["real"]["judgments"] == len(on_real)
    assert report["raters"]["Ana"]["real"]["correct"] == on_real.count("real")
    assert report["overall"]["judgments"] == 11


def test_a_missing_browser_skips_with_its_reason_unless_required(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    assert _missing_browser() == (
        "no Chromium at /nonexistent/chromium (apt-get install -y chromium)"
    )
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", sys.executable)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    reason = _missing_browser()
    assert reason == "Playwright is not installed (pip install '.[dev]')"
    monkeypatch.delenv("KERAS_GANS_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Playwright is not installed"):
        _skip_or_fail(reason)
    monkeypatch.setenv("KERAS_GANS_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="KERAS_GANS_REQUIRE_BROWSER=1"):
        _skip_or_fail(reason)
