"""`keras_gans.human_eval` (T8, Salimans et al. 2016): the study's image set against
the dataset and the EMA generator, the fingerprint, the append-only log and its
resume, the report's numbers against hand counts and the textbook Wilson formula,
and the command line. The page's HTTP rules are in test_human_eval_server.py, the
browser run in test_human_eval_browser.py."""

import concurrent.futures
import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from human_eval_study import generated_pixels, save_run
from PIL import Image

from keras_gans import cli, data, human_eval, plotting
from keras_gans.human_eval import judgments, report, server, study

pytestmark = pytest.mark.tensorflow_only

NUM_IMAGES = 20
Z_95 = 1.959963984540054  # the standard normal quantile at 0.975 (tables: 1.96)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    save_run(folder)
    return folder


@pytest.fixture
def drawn(run_folder, tmp_path):
    return human_eval.open_study(
        run_folder, tmp_path / "study", num_images=NUM_IMAGES, seed=3
    )


# --- Wilson interval ----------------------------------------------------------------


def _textbook_wilson(successes, trials, z=Z_95):
    """(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), as in the textbooks."""
    p, n = successes / trials, trials
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


def test_wilson_interval_matches_hand_computed_values():
    # 7 of 10 at 95 %: the interval quoted in the textbooks, 0.3968 to 0.8922.
    low, high = human_eval.wilson_interval(7, 10)
    assert (round(low, 4), round(high, 4)) == (0.3968, 0.8922)
    for successes, trials in [(7, 10), (1, 3), (48, 100), (13, 57), (3, 3), (0, 4)]:
        expected = _textbook_wilson(successes, trials)
        got = human_eval.wilson_interval(successes, trials)
        assert got == pytest.approx(
            (max(0.0, expected[0]), min(1.0, expected[1])), abs=1e-12
        )
    # At 0 and n successes the interval touches 0 and 1 but keeps a width.
    assert human_eval.wilson_interval(0, 4) == pytest.approx((0.0, 0.4898909), abs=1e-6)
    assert human_eval.wilson_interval(4, 4)[1] == 1.0
    # 90 %: z = 1.644854.
    assert human_eval.wilson_interval(7, 10, confidence=0.9) == pytest.approx(
        _textbook_wilson(7, 10, z=1.6448536269514722)
    )


@pytest.mark.parametrize(
    "arguments,message",
    [
        ((1, 0), "`trials` should be a positive integer. Received: `trials=0`"),
        ((11, 10), "`successes` should be an integer in [0, trials=10]"),
        ((1.5, 10), "Received: `successes=1.5`"),
        ((1, 10, 1.0), "`confidence` should be in (0, 1). Received: `confidence=1.0`"),
    ],
)
def test_wilson_interval_refuses_impossible_counts(arguments, message):
    with pytest.raises(ValueError) as error:
        human_eval.wilson_interval(*arguments)
    assert message in str(error.value)


# --- The study --------------------------------------------------------------------


def test_a_study_is_balanced_held_out_real_and_ema_generated_images(run_folder, drawn):
    manifest = drawn.manifest
    truths = [image["truth"] for image in manifest["images"]]
    assert truths.count("real") == truths.count("fake") == NUM_IMAGES // 2
    assert truths != sorted(truths)  # shuffled, not all real first
    ids = [image["id"] for image in manifest["images"]]
    assert len(set(ids)) == NUM_IMAGES
    assert all(len(i) == 12 and int(i, 16) >= 0 for i in ids)
    # Real images: the digits test split at the recorded indices.
    test_images = data.load_arrays("digits", "test", 8, "bilinear")[0]
    real_pixels = np.round((test_images + 1.0) * 127.5).astype("uint8")
    # Generated images: GAN.generate's latents through the EMA generator.
    gan = keras.models.load_model(run_folder / "model.keras")
    ema = generated_pixels(gan.ema_generator, NUM_IMAGES // 2, seed=3)
    plain = generated_pixels(gan.generator, NUM_IMAGES // 2, seed=3)
    for index, image in enumerate(manifest["images"]):
        expected = (real_pixels if image["truth"] == "real" else ema)[
            image["source_index"]
        ]
        np.testing.assert_array_equal(drawn.pixels[index], expected)
    fake_indices = [i for i, t in enumerate(truths) if t == "fake"]
    assert not np.array_equal(drawn.pixels[fake_indices[0]], plain[0])
    assert manifest["generator"] == "ema"
    assert manifest["settings"] == {
        "dataset": "digits",
        "split": "test",
        "num_images": NUM_IMAGES,
        "seed": 3,
        "resize": "bilinear",
        "feedback": False,
    }
    assert "T8" in manifest["technique"] and "1606.03498" in manifest["technique"]


def test_the_same_seed_draws_the_same_study_and_another_seed_another(
    run_folder, drawn, tmp_path
):
    again = human_eval.open_study(
        run_folder / "model.keras", tmp_path / "again", num_images=NUM_IMAGES, seed=3
    )
    assert again.manifest["images"] == drawn.manifest["images"]
    np.testing.assert_array_equal(again.pixels, drawn.pixels)
    other = human_eval.open_study(
        run_folder, tmp_path / "other", num_images=NUM_IMAGES, seed=4
    )
    assert other.image_ids != drawn.image_ids
    # Raters see their own order, the same after every restart.
    order = drawn.rater_order("ana")
    assert sorted(order) == sorted(drawn.image_ids)
    assert human_eval.load_study(drawn.folder).rater_order("ana") == order
    assert drawn.rater_order("ben") != order


def test_reopening_a_study_folder_checks_the_model_and_the_settings(
    run_folder, drawn, tmp_path
):
    reopened = human_eval.open_study(
        run_folder, drawn.folder, num_images=NUM_IMAGES, seed=3
    )
    assert reopened.manifest == drawn.manifest  # read back, not drawn again
    with pytest.raises(ValueError) as error:
        human_eval.open_study(run_folder, drawn.folder, num_images=10, seed=3)
    message = str(error.value)
    assert "was made for another model or other settings" in message
    assert '"num_images": 20' in message and '"num_images": 10' in message
    with pytest.raises(ValueError, match="another model"):
        human_eval.open_study(
            run_folder, drawn.folder, num_images=NUM_IMAGES, seed=3, feedback=True
        )
    # Another model file (different weights) at the same path is refused too.
    other_run = tmp_path / "other_run"
    save_run(other_run, seed=1)
    with pytest.raises(ValueError) as error:
        human_eval.open_study(other_run, drawn.folder, num_images=NUM_IMAGES, seed=3)
    assert study._sha256(other_run / "model.keras")[:12] in str(error.value)
    assert drawn.manifest["model_sha256"][:12] in str(error.value)


@pytest.mark.parametrize(
    "keywords,message",
    [
        ({"num_images": 7}, "`num_images` should be even"),
        ({"num_images": 0}, "`num_images` should be an integer >= 2"),
        ({"seed": -1}, "`seed` should be an integer >= 0"),
        ({"dataset": "ring8"}, "shows images; 'ring8' is not an image generator"),
        ({"num_images": 1_000}, "has 360 images; a study of 1000 images needs 500"),
    ],
)
def test_study_arguments_are_checked(run_folder, tmp_path, keywords, message):
    with pytest.raises(ValueError) as error:
        human_eval.open_study(run_folder, tmp_path / "study", **keywords)
    assert message in str(error.value)
    assert not os.path.exists(tmp_path / "study" / study.MANIFEST)


def test_a_model_outside_a_run_needs_a_dataset_and_a_foreign_folder_is_refused(
    run_folder, tmp_path
):
    loose = tmp_path / "loose.keras"
    loose.write_bytes((run_folder / "model.keras").read_bytes())
    with pytest.raises(ValueError, match="`dataset` is needed"):
        human_eval.open_study(loose, tmp_path / "study")
    assert human_eval.default_study_folder(loose) == str(tmp_path / "human_eval_loose")
    assert human_eval.default_study_folder(run_folder) == str(run_folder / "human_eval")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("not a study")
    with pytest.raises(ValueError, match="is not empty and holds no study"):
        human_eval.open_study(run_folder, busy, num_images=4)
    with pytest.raises(ValueError, match="No model.keras or generator.keras"):
        human_eval.open_study(tmp_path, tmp_path / "study")


# --- The judgment log -------------------------------------------------------------


def test_every_judgment_is_one_synced_line_read_back_on_reopening(drawn, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(
        judgments.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd)
    )
    log = human_eval.JudgmentLog(drawn.folder)
    first, second = drawn.image_ids[:2]
    log.append("ana", first, drawn.truths[first], "real", 812.44, "single")
    log.append("ben", first, drawn.truths[first], "fake", 90, "grid")
    log.append("ana", second, drawn.truths[second], "fake", 1500, "single")
    assert len(synced) == 3  # one fsync per line, before `append` returns
    path = os.path.join(drawn.folder, judgments.JUDGMENTS)
    with open(path) as file:
        records = [json.loads(line) for line in file]
    assert [(r["rater"], r["image_id"], r["answer"]) for r in records] == [
        ("ana", first, "real"),
        ("ben", first, "fake"),
        ("ana", second, "fake"),
    ]
    assert records[0]["truth"] == drawn.truths[first]
    assert records[0]["response_time_ms"] == 812.4
    assert records[1]["display"] == "grid"
    reopened = human_eval.JudgmentLog(drawn.folder)
    assert reopened.judged("ana") == {first, second}
    assert reopened.judged("ben") == {first}
    assert reopened.judged("cleo") == set()
    size = os.path.getsize(path)
    with pytest.raises(human_eval.DuplicateJudgmentError, match="already judged"):
        reopened.append("ana", first, drawn.truths[first], "fake", 10, "single")
    with pytest.raises(ValueError, match="`answer` should be one of real, fake"):
        reopened.append("cleo", first, drawn.truths[first], "maybe", 10, "single")
    assert os.path.getsize(path) == size  # nothing written


def test_a_line_torn_by_a_crash_is_dropped_and_a_damaged_line_reported(drawn):
    log = human_eval.JudgmentLog(drawn.folder)
    first, second = drawn.image_ids[:2]
    log.append("ana", first, drawn.truths[first], "real", 100, "single")
    path = os.path.join(drawn.folder, judgments.JUDGMENTS)
    with open(path, "a") as file:
        file.write('{"rater": "ana", "image_id": "')  # the crash came mid-line
    assert len(human_eval.read_judgments(drawn.folder)) == 1  # read-only: left as is
    reopened = human_eval.JudgmentLog(drawn.folder)
    assert reopened.judged("ana") == {first}
    reopened.append("ana", second, drawn.truths[second], "fake", 100, "single")
    with open(path) as file:
        assert [json.loads(line)["image_id"] for line in file] == [first, second]
    with open(path, "a") as file:
        file.write("not json\n")
    with pytest.raises(ValueError, match="Line 3 of .* is not JSON"):
        human_eval.JudgmentLog(drawn.folder)


def test_raters_appending_at_once_all_get_their_line(drawn):
    log = human_eval.JudgmentLog(drawn.folder)
    tasks = [(rater, image_id) for rater in "abcd" for image_id in drawn.image_ids]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda task: log.append(
                    task[0], task[1], drawn.truths[task[1]], "real", 5, "grid"
                ),
                tasks,
            )
        )
    records = human_eval.read_judgments(drawn.folder)
    assert sorted((r["rater"], r["image_id"]) for r in records) == sorted(tasks)


# --- The report -------------------------------------------------------------------


def _judge(drawn, rater, answers):
    """`answers[k]` for the rater's k-th image; returns the records' tuples."""
    log = human_eval.JudgmentLog(drawn.folder)
    made = []
    for image_id, answer in zip(drawn.rater_order(rater), answers, strict=False):
        log.append(rater, image_id, drawn.truths[image_id], answer, 700, "single")
        made.append((image_id, drawn.truths[image_id], answer))
    return made


def _hand_count(made):
    correct = sum(truth == answer for _, truth, answer in made)
    on_real = [(t, a) for _, t, a in made if t == "real"]
    on_fake = [(t, a) for _, t, a in made if t == "fake"]
    return (
        correct,
        (sum(a == "real" for _, a in on_real), len(on_real)),
        (sum(a == "fake" for _, a in on_fake), len(on_fake)),
    )


def test_the_report_counts_match_the_judgments_made(drawn):
    ana = _judge(drawn, "ana", ["real", "fake", "real", "real", "fake", "fake"] * 2)
    ben = _judge(drawn, "ben", ["real"] * 8)  # calls everything real
    result = human_eval.write_report(drawn.folder)
    for rater, made in (("ana", ana), ("ben", ben)):
        correct, (real_correct, real_total), (fake_correct, fake_total) = _hand_count(
            made
        )
        summary = result["raters"][rater]
        assert summary["judgments"] == len(made)
        assert summary["correct"] == correct
        assert summary["accuracy"] == pytest.approx(correct / len(made))
        assert summary["error_rate"] == pytest.approx(1 - correct / len(made))
        assert summary["interval"] == pytest.approx(
            list(_textbook_wilson(correct, len(made)))
        )
        assert summary["real"]["judgments"] == real_total
        assert summary["real"]["correct"] == real_correct
        assert summary["generated"]["judgments"] == fake_total
        assert summary["generated"]["correct"] == fake_correct
    assert result["raters"]["ben"]["real"]["accuracy"] == 1.0
    assert result["raters"]["ben"]["generated"]["accuracy"] == 0.0
    everyone = ana + ben
    correct = _hand_count(everyone)[0]
    assert result["overall"]["judgments"] == 20
    assert result["overall"]["accuracy"] == pytest.approx(correct / 20)
    assert result["overall"]["interval"] == pytest.approx(
        list(_textbook_wilson(correct, 20))
    )
    # Generated images most often taken for real, most first.
    taken = {}
    for image_id, truth, answer in everyone:
        if truth == "fake":
            votes = taken.setdefault(image_id, [0, 0])
            votes[0] += answer == "real"
            votes[1] += 1
    expected = {i: v for i, v in taken.items() if v[0]}
    listed = result["generated_taken_for_real"]
    assert {e["image_id"]: [e["taken_for_real"], e["judgments"]] for e in listed} == (
        expected
    )
    assert [e["taken_for_real"] for e in listed] == sorted(
        (v[0] for v in expected.values()), reverse=True
    )
    # The grid: those images, in that order, as `save_image_grid` draws them.
    grid_path = os.path.join(drawn.folder, report.TAKEN_FOR_REAL_GRID)
    oracle_path = os.path.join(drawn.folder, "oracle.png")
    plotting.save_image_grid(
        [drawn.image(e["image_id"]) / 127.5 - 1.0 for e in listed], oracle_path
    )
    np.testing.assert_array_equal(
        np.asarray(Image.open(grid_path)), np.asarray(Image.open(oracle_path))
    )
    with open(os.path.join(drawn.folder, report.REPORT_JSON)) as file:
        assert json.load(file) == json.loads(json.dumps(result))
    with open(os.path.join(drawn.folder, report.REPORT_MARKDOWN)) as file:
        markdown = file.read()
    ana_accuracy = 100 * result["raters"]["ana"]["accuracy"]
    assert f"| ana | 12 | {ana_accuracy:.1f} % |" in markdown
    assert "| ben | 8 | " in markdown and "0.0 % (0/" in markdown
    assert "Salimans et al. 2016" in markdown and "(T8)" in markdown


def test_a_report_without_judgments_says_so(drawn):
    result = human_eval.write_report(drawn.folder)
    assert result["overall"]["judgments"] == 0
    assert result["overall"]["accuracy"] is None
    assert result["raters"] == {} and result["taken_for_real_grid"] is None
    assert not os.path.exists(os.path.join(drawn.folder, report.TAKEN_FOR_REAL_GRID))
    with open(os.path.join(drawn.folder, report.REPORT_MARKDOWN)) as file:
        assert "No generated image was taken for real." in file.read()


# --- The command line -------------------------------------------------------------


def test_help_needs_neither_starlette_nor_uvicorn():
    blocked = (
        "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
        "from keras_gans.cli import main; main(['human-eval', '--help'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for flag in ("--model", "--report", "--num", "--port", "--host", "--study"):
        assert flag in result.stdout
    assert "Salimans et al. 2016" in result.stdout
    listing = subprocess.run(
        [sys.executable, "-m", "keras_gans", "--help"], capture_output=True, text=True
    )
    assert listing.returncode == 0 and "human-eval" in listing.stdout


def test_a_missing_web_stack_says_what_to_install(
    run_folder, tmp_path, capsys, monkeypatch
):
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda *a, **k: pytest.fail("served"))
    # `import starlette...` fails as if it were not installed ...
    for name in list(sys.modules):
        if name == "starlette" or name.startswith("starlette."):
            monkeypatch.setitem(sys.modules, name, None)
    # ... and the command imports the server module afresh.
    monkeypatch.delitem(sys.modules, "keras_gans.human_eval.server")
    monkeypatch.delattr(human_eval, "server")
    code = cli.main(
        ["human-eval", "--model", str(run_folder), "--study", str(tmp_path / "s")]
    )
    assert code == 1
    message = capsys.readouterr().err
    assert "pip install 'keras-gans[human-eval]'" in message
    assert "missing: starlette" in message
    assert not os.path.exists(tmp_path / "s")  # refused before drawing anything


def test_the_command_draws_the_study_and_serves_it_on_localhost(
    run_folder, tmp_path, monkeypatch
):
    served = {}
    monkeypatch.setattr(
        server,
        "serve",
        lambda drawn, log, host, port: served.update(
            study=drawn, log=log, host=host, port=port
        ),
    )
    assert cli.main(["human-eval", "--model", str(run_folder), "--num", "8"]) == 0
    assert (served["host"], served["port"]) == ("127.0.0.1", 8000)
    assert served["study"].folder == str(run_folder / "human_eval")
    assert served["study"].manifest["settings"]["num_images"] == 8
    assert served["log"].path == str(run_folder / "human_eval" / "judgments.jsonl")
    assert (
        cli.main(
            [
                *("human-eval", "--model", str(run_folder), "--num", "6"),
                *("--seed", "2", "--feedback", "--study", str(tmp_path / "s")),
                *("--host", "0.0.0.0", "--port", "0"),
            ]
        )
        == 0
    )
    assert (served["host"], served["port"]) == ("0.0.0.0", 0)
    assert served["study"].feedback and served["study"].folder == str(tmp_path / "s")


def test_the_command_refuses_a_study_of_another_model(run_folder, tmp_path, capsys):
    folder = tmp_path / "s"
    human_eval.open_study(run_folder, folder, num_images=4)
    code = cli.main(
        ["human-eval", "--model", str(run_folder), "--num", "6", "--study", str(folder)]
    )
    assert code == 1
    assert "was made for another model or other settings" in capsys.readouterr().err


def test_the_report_command_writes_and_prints_the_report(drawn, capsys, tmp_path):
    made = _judge(drawn, "ana", ["fake"] * 5)
    assert cli.main(["human-eval", "--report", str(drawn.folder)]) == 0
    printed = capsys.readouterr().out
    correct = sum(truth == answer for _, truth, answer in made)
    assert f"| ana | 5 | {100 * correct / 5:.1f} % |" in printed
    assert os.path.isfile(os.path.join(drawn.folder, "report.json"))
    assert cli.main(["human-eval", "--report", str(tmp_path / "nothing")]) == 1
    assert "holds no human evaluation study" in capsys.readouterr().err
