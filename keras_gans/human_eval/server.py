"""The local web page of a human real/fake study (T8): a Starlette app on uvicorn.

Salimans et al. 2016 ("Improved Techniques for Training GANs", section 4) had
annotators label real and generated images; this page does it for a `Study`. Each
rater enters a name, sees one image at a time or a grid, answers "real" or "fake"
with the buttons or the keys R and F, and follows a progress bar; in a study drawn
with `feedback=True` the truth is shown after each choice, as in the paper. Several
raters can take the study at once; each judgment is appended to the study's log
(`keras_gans.human_eval.judgments`) before the page hears back, so a restarted
server resumes every rater where they stopped.

Routes:

    GET  /                 the page (page.html, page.js: package data)
    GET  /api/study        the study's size, whether feedback is on, the grid size
    GET  /api/next         ?rater=NAME&count=K: the rater's next K unjudged image
                           ids and their progress
    GET  /images/{id}      the PNG of a study image, looked up by id in memory
    POST /api/judgments    {"rater", "image_id", "answer", "response_time_ms",
                           "display"} as JSON

Safety: the server binds to 127.0.0.1 unless told otherwise, and then answers only
requests addressed to 127.0.0.1 or localhost (no DNS rebinding); it serves the
study's images by id from an in-memory table, so no part of a request reaches the
file system; a malformed or oversized request, an unknown image id, a judgment
given twice or a request that is not JSON gets a 4xx and changes nothing.

Needs the `human-eval` extra: `pip install "keras-gans[human-eval]"`.

Reference: https://arxiv.org/abs/1606.03498
"""

import importlib.resources
import json
import math
import os
import re
import socket

from keras_gans.human_eval.judgments import (
    ANSWERS,
    DISPLAYS,
    JUDGMENTS,
    DuplicateJudgmentError,
)

INSTALL_HINT = (
    "The human evaluation page (T8) needs Starlette and uvicorn: "
    "pip install 'keras-gans[human-eval]'"
)
try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
except ImportError as error:
    raise ImportError(f"{INSTALL_HINT} (missing: {error.name})") from error

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "GRID_SIZE",
    "INSTALL_HINT",
    "MAX_BODY_BYTES",
    "create_app",
    "serve",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
GRID_SIZE = 9  # images per page in grid display (3 x 3)
MAX_BODY_BYTES = 1_024  # a judgment is about 120 bytes of JSON
MAX_RESPONSE_TIME_MS = 3_600_000.0  # an hour: anything longer is not a response time
RATER_NAME = re.compile(r"[\w][\w .'-]{0,63}")  # letters, digits, space, . ' - _
JUDGMENT_FIELDS = {"rater", "image_id", "answer", "response_time_ms", "display"}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
        "img-src 'self'; connect-src 'self'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
}


class _RequestError(Exception):
    """A request refused with `status` (4xx) and a message for the page."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _json(content, status=200):
    return JSONResponse(content, status_code=status, headers=SECURITY_HEADERS)


def _page_file(name):
    return (importlib.resources.files("keras_gans.human_eval") / name).read_bytes()


def _rater(value):
    """The rater's name, stripped; a `_RequestError` unless it is a short name."""
    name = value.strip() if isinstance(value, str) else None
    if not name or not RATER_NAME.fullmatch(name):
        raise _RequestError(
            422,
            "A rater's name is 1 to 64 letters, digits, spaces or . ' - _ , starting "
            f"with a letter or digit. Received: {str(value)[:80]!r}",
        )
    return name


async def _read_body(request):
    """The request body, at most `MAX_BODY_BYTES` (413 beyond, without reading
    further)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit()):
        raise _RequestError(400, f"Bad Content-Length header: {declared[:40]!r}.")
    if declared is not None and int(declared) > MAX_BODY_BYTES:
        raise _RequestError(
            413, f"A judgment is at most {MAX_BODY_BYTES} bytes; received {declared}."
        )
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _RequestError(
                413, f"A judgment is at most {MAX_BODY_BYTES} bytes; received more."
            )
    return body


def _parse_judgment(body):
    """`(rater, image_id, answer, response_time_ms, display)` of a judgment's JSON
    body, or a `_RequestError` saying what is wrong."""
    try:
        judgment = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _RequestError(400, f"The body is not JSON: {error}.") from error
    if not isinstance(judgment, dict) or set(judgment) != JUDGMENT_FIELDS:
        received = sorted(judgment) if isinstance(judgment, dict) else type(judgment)
        raise _RequestError(
            422,
            f"A judgment is a JSON object with exactly the fields "
            f"{', '.join(sorted(JUDGMENT_FIELDS))}. Received: {received}.",
        )
    rater = _rater(judgment["rater"])
    for field, allowed in (("answer", ANSWERS), ("display", DISPLAYS)):
        if judgment[field] not in allowed:
            raise _RequestError(
                422,
                f"`{field}` should be one of {', '.join(allowed)}. Received: "
                f"{judgment[field]!r}",
            )
    time_ms = judgment["response_time_ms"]
    if (
        isinstance(time_ms, bool)
        or not isinstance(time_ms, int | float)
        or not math.isfinite(time_ms)
        or not 0 <= time_ms <= MAX_RESPONSE_TIME_MS
    ):
        raise _RequestError(
            422,
            "`response_time_ms` should be a number of milliseconds in [0, "
            f"{MAX_RESPONSE_TIME_MS:.0f}]. Received: {time_ms!r}",
        )
    if not isinstance(judgment["image_id"], str):
        raise _RequestError(
            422, f"`image_id` should be a string. Received: {judgment['image_id']!r}"
        )
    return rater, judgment["image_id"], judgment["answer"], time_ms, judgment["display"]


def create_app(study, log, allowed_hosts=LOOPBACK_NAMES):
    """The Starlette app of `study`, recording judgments in `log`.

    Args:
        study: A `keras_gans.human_eval.Study`.
        log: The study's `JudgmentLog`.
        allowed_hosts: The host names requests may be addressed to (the Host
            header): loopback names by default; `("*",)` for any.

    Returns:
        A `starlette.applications.Starlette` app (ASGI).
    """
    page_html, page_js = _page_file("page.html"), _page_file("page.js")

    def progress(rater):
        return {"judged": len(log.judged(rater)), "total": study.num_images}

    async def page(request):
        return Response(page_html, media_type="text/html", headers=SECURITY_HEADERS)

    async def script(request):
        return Response(page_js, media_type="text/javascript", headers=SECURITY_HEADERS)

    async def study_info(request):
        return _json(
            {
                "technique": "T8, Salimans et al. 2016, section 4",
                "num_images": study.num_images,
                "feedback": study.feedback,
                "grid_size": GRID_SIZE,
            }
        )

    async def next_images(request):
        try:
            rater = _rater(request.query_params.get("rater"))
            count = request.query_params.get("count", "1")
            if not count.isdigit() or not 1 <= int(count) <= GRID_SIZE:
                raise _RequestError(
                    422,
                    f"`count` should be an integer in [1, {GRID_SIZE}]. Received: "
                    f"{count[:20]!r}",
                )
        except _RequestError as error:
            return _json({"error": error.message}, error.status)
        judged = log.judged(rater)
        remaining = [i for i in study.rater_order(rater) if i not in judged]
        return _json(
            {"rater": rater, **progress(rater), "image_ids": remaining[: int(count)]}
        )

    async def image(request):
        png = study.png(request.path_params["image_id"])
        if png is None:
            return _json({"error": "No such image in this study."}, 404)
        return Response(png, media_type="image/png", headers=SECURITY_HEADERS)

    async def record(request):
        try:
            content_type = request.headers.get("content-type", "")
            if content_type.split(";")[0].strip() != "application/json":
                raise _RequestError(
                    415,
                    "A judgment is sent as application/json. Received: "
                    f"{content_type[:60]!r}",
                )
            rater, image_id, answer, time_ms, display = _parse_judgment(
                await _read_body(request)
            )
            truth = study.truths.get(image_id)
            if truth is None:
                raise _RequestError(404, f"No image {image_id[:40]!r} in this study.")
            log.append(rater, image_id, truth, answer, time_ms, display)
        except _RequestError as error:
            return _json({"error": error.message}, error.status)
        except DuplicateJudgmentError as error:
            return _json({"error": str(error)}, 409)
        answer_shown = {"truth": truth, "correct": answer == truth}
        return _json(
            {
                **progress(rater),
                **({"feedback": answer_shown} if study.feedback else {}),
            }
        )

    return Starlette(
        routes=[
            Route("/", page),
            Route("/page.js", script),
            Route("/api/study", study_info),
            Route("/api/next", next_images),
            Route("/api/judgments", record, methods=["POST"]),
            Route("/images/{image_id}", image),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)],
    )


def serve(study, log, host=DEFAULT_HOST, port=DEFAULT_PORT):
    """Serves `study` at `http://host:port/` until Ctrl+C, printing the address
    first (`port=0`: a free port, printed).

    Raises:
        OSError: when the address cannot be bound (the message names it).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise OSError(
            f"Cannot listen on {host}:{port} ({error.strerror}). Choose another "
            "--port, or the --host of a network interface of this machine."
        ) from error
    # Listening before the address is printed: a browser that connects at once
    # waits in the backlog until uvicorn accepts, instead of being refused.
    listener.listen(128)
    port = listener.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    half = study.num_images // 2
    print(
        f"Human real/fake evaluation (T8, Salimans et al. 2016): {study.num_images} "
        f"images ({half} real, {half} generated), feedback "
        f"{'on' if study.feedback else 'off'}.\n"
        f"Open http://{url_host}:{port}/ - each rater enters a name.\n"
        f"Judgments: {os.path.join(study.folder, JUDGMENTS)} (one line each, kept "
        "through restarts: run the same command to resume).\n"
        f"Report: python -m keras_gans human-eval --report {study.folder}\n"
        "Stop with Ctrl+C.",
        flush=True,
    )
    loopback = host in LOOPBACK_NAMES
    if not loopback:
        print(
            f"Warning: --host {host} serves the study to every machine that can "
            f"reach this one on port {port}.",
            flush=True,
        )
    app = create_app(study, log, LOOPBACK_NAMES if loopback else ("*",))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    with listener:
        uvicorn.Server(config).run(sockets=[listener])
