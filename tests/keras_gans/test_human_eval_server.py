"""The page server of the human real/fake study (T8) through Starlette's TestClient:
what it serves, what it records, and that every malformed, oversized or foreign
request gets a 4xx and changes nothing."""

import builtins
import io
import json
import os
import pathlib
import socket

import numpy as np
import pytest
from human_eval_study import save_run
from PIL import Image
from starlette.testclient import TestClient

from keras_gans import human_eval
from keras_gans.human_eval import judgments, server

pytestmark = pytest.mark.tensorflow_only

NUM_IMAGES = 12
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    save_run(folder)
    return folder


def _client(study_folder, **app_options):
    drawn = human_eval.load_study(study_folder)
    log = human_eval.JudgmentLog(study_folder)
    return TestClient(server.create_app(drawn, log, **app_options), base_url=LOCAL)


@pytest.fixture
def drawn(run_folder, tmp_path):
    return human_eval.open_study(run_folder, tmp_path / "study", num_images=NUM_IMAGES)


def _judgment(image_id, rater="ana", answer="real", **changes):
    return {
        "rater": rater,
        "image_id": image_id,
        "answer": answer,
        "response_time_ms": 640.5,
        "display": "single",
        **changes,
    }


def _log_bytes(folder):
    path = pathlib.Path(folder, judgments.JUDGMENTS)
    return path.read_bytes() if path.exists() else b""


def test_the_page_its_script_and_the_study_description(drawn):
    client = _client(drawn.folder)
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith(
        "text/html"
    )
    assert "Salimans et al. 2016" in page.text and "T8" in page.text
    for element in ('id="rater-name"', 'id="display"', 'id="progress"'):
        assert element in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/page.js")
    assert script.status_code == 200 and "/api/judgments" in script.text
    info = client.get("/api/study").json()
    assert info["num_images"] == NUM_IMAGES and info["feedback"] is False
    assert info["grid_size"] == server.GRID_SIZE
    # Nothing served before a judgment says which image is real.
    listed = client.get("/api/next", params={"rater": "ana", "count": 9}).json()
    assert "truth" not in json.dumps(info) + json.dumps(listed)


def test_raters_get_their_own_order_and_progress_and_resume_after_a_restart(drawn):
    client = _client(drawn.folder)
    first = client.get("/api/next", params={"rater": "ana", "count": 3}).json()
    assert first == {
        "rater": "ana",
        "judged": 0,
        "total": NUM_IMAGES,
        "image_ids": drawn.rater_order("ana")[:3],
    }
    for image_id in first["image_ids"][:2]:
        answer = client.post("/api/judgments", json=_judgment(image_id))
        assert answer.status_code == 200
    assert answer.json() == {"judged": 2, "total": NUM_IMAGES}  # no truth shown
    ben = client.get("/api/next", params={"rater": "ben", "count": 1}).json()
    assert ben["judged"] == 0 and ben["image_ids"] == drawn.rater_order("ben")[:1]
    assert client.post(
        "/api/judgments", json=_judgment(ben["image_ids"][0], rater="ben")
    ).json() == {"judged": 1, "total": NUM_IMAGES}
    # A new server on the same folder (a restart): each rater resumes.
    restarted = _client(drawn.folder)
    ana = restarted.get("/api/next", params={"rater": "ana", "count": 9}).json()
    assert ana["judged"] == 2
    assert ana["image_ids"] == drawn.rater_order("ana")[2:11]
    with open(os.path.join(drawn.folder, judgments.JUDGMENTS)) as file:
        records = [json.loads(line) for line in file]
    assert [(r["rater"], r["image_id"]) for r in records] == [
        ("ana", first["image_ids"][0]),
        ("ana", first["image_ids"][1]),
        ("ben", ben["image_ids"][0]),
    ]
    assert [r["truth"] for r in records] == [
        drawn.truths[r["image_id"]] for r in records
    ]
    assert records[0]["answer"] == "real" and records[0]["response_time_ms"] == 640.5


def test_feedback_mode_answers_with_the_truth(run_folder, tmp_path):
    drawn = human_eval.open_study(
        run_folder, tmp_path / "feedback", num_images=NUM_IMAGES, feedback=True
    )
    client = _client(drawn.folder)
    assert client.get("/api/study").json()["feedback"] is True
    for image_id in drawn.image_ids[:4]:
        reply = client.post("/api/judgments", json=_judgment(image_id, answer="fake"))
        truth = drawn.truths[image_id]
        assert reply.json()["feedback"] == {"truth": truth, "correct": truth == "fake"}


def test_images_are_served_by_id_from_memory_only(drawn, monkeypatch):
    client = _client(drawn.folder)
    client.get("/")  # the client's first request, before `open` is taken away

    def no_files(*args, **kwargs):
        raise AssertionError(f"the server opened a file: {args!r}")

    monkeypatch.setattr(builtins, "open", no_files)
    monkeypatch.setattr(io, "open", no_files)
    monkeypatch.setattr(os, "open", no_files)
    for index, image_id in enumerate(drawn.image_ids):
        reply = client.get(f"/images/{image_id}")
        assert reply.status_code == 200 and reply.headers["content-type"] == (
            "image/png"
        )
        shown = np.asarray(Image.open(io.BytesIO(reply.content)))
        np.testing.assert_array_equal(shown, drawn.pixels[index][..., 0])
    for path in (
        "/images/000000000000",
        "/images/..%2Fmanifest.json",
        "/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/images/../manifest.json",
        "/manifest.json",
        "/judgments.jsonl",
        "/images.npz",
        "/images/",
    ):
        reply = client.get(path)
        assert reply.status_code == 404, path
        assert b"fingerprint" not in reply.content


def _bad_requests(image_id):
    """(description, request keywords, expected status) of refused judgments."""
    valid = _judgment(image_id)
    as_json = {"content-type": "application/json"}
    without_display = {k: v for k, v in valid.items() if k != "display"}
    nan_time = json.dumps({**valid, "response_time_ms": float("nan")})
    oversized = json.dumps({**valid, "pad": "x" * 4_000})
    return [
        ("not JSON", {"content": b"{nope", "headers": as_json}, 400),
        ("not UTF-8", {"content": b'{"\xff": 1}', "headers": as_json}, 400),
        ("a list", {"json": [valid]}, 422),
        ("a field missing", {"json": without_display}, 422),
        ("an extra field", {"json": {**valid, "truth": "real"}}, 422),
        ("an unknown answer", {"json": {**valid, "answer": "maybe"}}, 422),
        ("an unknown display", {"json": {**valid, "display": "list"}}, 422),
        ("a negative time", {"json": {**valid, "response_time_ms": -1}}, 422),
        ("a text time", {"json": {**valid, "response_time_ms": "fast"}}, 422),
        ("a boolean time", {"json": {**valid, "response_time_ms": True}}, 422),
        ("a huge time", {"json": {**valid, "response_time_ms": 1e12}}, 422),
        ("a NaN time", {"content": nan_time, "headers": as_json}, 422),
        ("an empty name", {"json": {**valid, "rater": " "}}, 422),
        ("markup as a name", {"json": {**valid, "rater": "<script>"}}, 422),
        ("a long name", {"json": {**valid, "rater": "a" * 65}}, 422),
        ("a number as id", {"json": {**valid, "image_id": 7}}, 422),
        ("an unknown id", {"json": {**valid, "image_id": "ffffffffffff"}}, 404),
        ("a path as id", {"json": {**valid, "image_id": "../manifest.json"}}, 404),
        ("form data", {"data": valid}, 415),
        ("an oversized body", {"content": oversized, "headers": as_json}, 413),
        (
            "an oversized stream without a length",
            {"content": (b"x" * 512 for _ in range(8)), "headers": as_json},
            413,
        ),
    ]


def test_malformed_oversized_and_unknown_requests_get_a_4xx_and_change_nothing(drawn):
    client = _client(drawn.folder)
    image_id = drawn.image_ids[0]
    before = _log_bytes(drawn.folder)
    for description, keywords, status in _bad_requests(image_id):
        reply = client.post("/api/judgments", **keywords)
        assert reply.status_code == status, (description, reply.text)
        assert "error" in reply.json(), description
        assert _log_bytes(drawn.folder) == before, description
    assert client.get("/api/judgments").status_code == 405
    for params in (
        {"rater": "ana", "count": "0"},
        {"rater": "ana", "count": str(server.GRID_SIZE + 1)},
        {"rater": "ana", "count": "x"},
        {"rater": "", "count": "1"},
        {"count": "1"},
    ):
        assert client.get("/api/next", params=params).status_code == 422, params
    # The same judgment twice: the second is refused, the log keeps one line.
    assert client.post("/api/judgments", json=_judgment(image_id)).status_code == 200
    once = _log_bytes(drawn.folder)
    again = client.post("/api/judgments", json=_judgment(image_id, answer="fake"))
    assert again.status_code == 409 and _log_bytes(drawn.folder) == once
    assert once.count(b"\n") == 1
    reopened = _client(drawn.folder)
    assert reopened.get("/api/next", params={"rater": "ana"}).json()["judged"] == 1


def test_requests_addressed_to_another_host_are_refused(drawn):
    drawn_study = human_eval.load_study(drawn.folder)
    log = human_eval.JudgmentLog(drawn.folder)
    app = server.create_app(drawn_study, log)
    rebound = TestClient(app, base_url="http://attacker.example")
    assert rebound.get("/").status_code == 400
    image_id = drawn.image_ids[0]
    assert rebound.post("/api/judgments", json=_judgment(image_id)).status_code == 400
    assert _log_bytes(drawn.folder) == b""
    assert TestClient(app, base_url="http://localhost").get("/").status_code == 200
    anywhere = server.create_app(drawn_study, log, allowed_hosts=("*",))
    lab = TestClient(anywhere, base_url="http://lab-pc.local")
    assert lab.get("/").status_code == 200


def test_serve_binds_to_localhost_and_prints_the_address(drawn, monkeypatch, capsys):
    bound = {}

    def fake_run(self, sockets):
        bound["address"] = sockets[0].getsockname()

    monkeypatch.setattr(server.uvicorn.Server, "run", fake_run)
    log = human_eval.JudgmentLog(drawn.folder)
    server.serve(drawn, log, port=0)
    host, port = bound["address"]
    assert host == "127.0.0.1" and port > 0
    printed = capsys.readouterr().out
    assert f"Open http://127.0.0.1:{port}/" in printed
    assert "T8, Salimans et al. 2016" in printed and "Warning" not in printed
    server.serve(drawn, log, host="0.0.0.0", port=0)
    assert bound["address"][0] == "0.0.0.0"
    assert "Warning: --host 0.0.0.0 serves the study" in capsys.readouterr().out
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(
            OSError, match="Cannot listen on 127.0.0.1:.*another --port"
        ):
            server.serve(drawn, log, port=taken.getsockname()[1])
