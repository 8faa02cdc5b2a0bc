"""`hygis web`'s WSGI application: pygeoapi (OGC API – Features and – Processes) with the page.

:func:`prepare` does once, at start, what every request would otherwise do: the plan's inputs
resolved, the layers written to the state folder's GeoPackage, pygeoapi's configuration and
OpenAPI document written, the engine warmed by one check. :func:`make_app` wraps pygeoapi's
WSGI application in :class:`Gate`, which answers what is not OGC API — the page (``/`` for a
browser), its assets, a job's files (``/downloads/JOB/NAME``) — and guards everything: the token,
the size of a request. :func:`serve` runs it under waitress, a production WSGI server that also
runs on Windows (never Flask's development server or its debugger).
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import yaml

from hygis.web import processes
from hygis.web.config import WebSettings, pygeoapi_config

#: The page and its assets.
PAGE_DIR = Path(__file__).resolve().parent / "page"

#: The processes this server offers: id → processor class.
PROCESSES = {
    "check": "hygis.web.processes.CheckProcessor",
    "stats": "hygis.web.processes.StatsProcessor",
    "monitor-changes": "hygis.web.processes.MonitorChangesProcessor",
}

#: The cookie a browser keeps the token in (set once from ``/?token=…``).
COOKIE = "hygis_token"

_JOB = re.compile(r"^[0-9a-fA-F-]{36}$")

Start = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], Start], Iterable[bytes]]


def _say(message: str) -> None:
    print(f"» {message}", file=sys.stderr, flush=True)


def prepare(settings: WebSettings, progress: Callable[[str], None] = _say) -> dict[str, Any]:
    """Write the state folder (layers, pygeoapi configuration, OpenAPI) and warm the engine.

    Returns
    -------
    dict
        ``config`` (path of pygeoapi's configuration), ``openapi`` (its OpenAPI document),
        ``collections`` (id → description, as :func:`hygis.web.collections.write_collections`).
    """
    from pygeoapi.openapi import get_oas  # noqa: PLC0415 - pygeoapi only for the server

    from hygis.check.pipeline import check_projects, warm_up  # noqa: PLC0415 - heavy
    from hygis.monitor.changes import classify_changes  # noqa: PLC0415
    from hygis.monitor.example import example_changes  # noqa: PLC0415
    from hygis.plan.inputs import resolve  # noqa: PLC0415
    from hygis.web.collections import write_collections  # noqa: PLC0415

    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    settings.jobs_dir.mkdir(exist_ok=True)
    (state / "job-results").mkdir(exist_ok=True)
    progress(f"state folder {state}")
    inputs = resolve(**{k: v for k, v in settings.inputs.items() if v is not None})
    progress("monitored changes (illustrative example)")
    changes = classify_changes(example_changes(inputs=inputs), inputs, workers=1)
    progress("layers → GeoPackage")
    collections = write_collections(inputs, state, changes=changes)
    cfg = pygeoapi_config(settings, collections, PROCESSES)
    config_path = state / "pygeoapi.yml"
    config_path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    openapi_path = state / "openapi.json"
    openapi_path.write_text(json.dumps(get_oas(cfg), ensure_ascii=False, default=str), encoding="utf-8")
    progress("warming the engine (one check of the plan's projects)")
    warm_up()
    check_projects(
        resolve(**{k: v for k, v in settings.inputs.items() if v is not None}, defer=True), workers=1
    )
    return {"config": config_path, "openapi": openapi_path, "collections": collections}


def _json(
    start: Start, status: str, body: dict[str, Any], headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    start(
        status,
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            *(headers or []),
        ],
    )
    return [data]


class Gate:
    """The WSGI layer in front of pygeoapi: token, request size, client for the audit log, the
    page, its assets and the jobs' files."""

    def __init__(self, api: WSGIApp, settings: WebSettings) -> None:
        self.api = api
        self.settings = settings
        # base64 makes a file 4/3 larger; the JSON around it is small.
        self.max_body = int(settings.limit("max_upload_mb") * (1 << 20) * 4 / 3) + (1 << 20)

    def _token_ok(self, environ: dict[str, Any]) -> bool:
        token = self.settings.token
        if not token:
            return True
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].strip(), token):
            return True
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        return COOKIE in cookie and hmac.compare_digest(cookie[COOKIE].value, token)

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if self.settings.token and not self._token_ok(environ):
            given = (query.get("token") or [""])[0]
            if path == "/" and given and hmac.compare_digest(given, self.settings.token):
                # A planner opens the link with ?token= once; the browser keeps it as a cookie.
                cookie = f"{COOKIE}={quote(given)}; Path=/; HttpOnly; SameSite=Strict"
                start("303 See Other", [("Location", "/"), ("Set-Cookie", cookie), ("Content-Length", "0")])
                return [b""]
            return _json(
                start,
                "401 Unauthorized",
                {
                    "code": "Unauthorized",
                    "description": (
                        "此服务需要令牌 token: send 'Authorization: Bearer TOKEN', "
                        "or open /?token=TOKEN once."
                    ),
                },
                [("WWW-Authenticate", "Bearer")],
            )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body:
            return _json(
                start,
                "413 Request Entity Too Large",
                {
                    "code": "PayloadTooLarge",
                    "description": f"the request is {length / (1 << 20):.0f} MB; a file may be at most "
                    f"{self.settings.limit('max_upload_mb'):.0f} MB (split it, or zip it).",
                },
            )
        if (
            path == "/"
            and environ.get("REQUEST_METHOD") == "GET"
            and "f" not in query
            and self._wants_html(environ)
        ):
            return self._file(start, PAGE_DIR / "index.html", "text/html; charset=utf-8")
        if path == "/favicon.ico":
            start("204 No Content", [("Content-Length", "0")])
            return [b""]
        if path.startswith("/page/"):
            name = path[len("/page/") :]
            asset = PAGE_DIR / name
            if "/" in name or name.startswith(".") or not asset.is_file():
                return _json(
                    start, "404 Not Found", {"code": "NotFound", "description": f"no page asset {name}"}
                )
            return self._file(start, asset, mimetypes.guess_type(name)[0] or "application/octet-stream")
        if path.startswith("/downloads/"):
            return self._download(path, start)
        token = processes.CLIENT.set(
            {
                "address": environ.get("REMOTE_ADDR", ""),
                "user": environ.get("REMOTE_USER") or environ.get("HTTP_X_REMOTE_USER", ""),
            }
        )
        try:
            return self.api(environ, start)
        finally:
            processes.CLIENT.reset(token)

    @staticmethod
    def _wants_html(environ: dict[str, Any]) -> bool:
        accept = environ.get("HTTP_ACCEPT", "")
        return "text/html" in accept or not accept

    @staticmethod
    def _file(
        start: Start, path: Path, media: str, extra: list[tuple[str, str]] | None = None
    ) -> list[bytes]:
        data = path.read_bytes()
        start("200 OK", [("Content-Type", media), ("Content-Length", str(len(data))), *(extra or [])])
        return [data]

    def _download(self, path: str, start: Start) -> list[bytes]:
        parts = path.split("/")
        if len(parts) != 4 or not _JOB.match(parts[2]) or parts[3] not in processes.FILES:
            return _json(start, "404 Not Found", {"code": "NotFound", "description": "no such file"})
        target = self.settings.jobs_dir / parts[2] / parts[3]
        if not target.is_file():
            return _json(
                start,
                "404 Not Found",
                {
                    "code": "NotFound",
                    "description": "no such file: results expire "
                    f"{self.settings.limit('results_ttl_h'):.0f} h after the check; run it again.",
                },
            )
        media = processes.FILES[parts[3]][0]
        inline = media == "text/html"
        disposition = "inline" if inline else f'attachment; filename="{parts[3]}"'
        return self._file(start, target, media, [("Content-Disposition", disposition)])


def expire(settings: WebSettings, manager: Any = None) -> int:
    """Delete what jobs older than ``results_ttl_h`` left: their folders, and their entries and
    result files in pygeoapi's job manager (``manager``); the number of folders deleted."""
    limit = time.time() - settings.limit("results_ttl_h") * 3600
    gone = 0
    for job in settings.jobs_dir.iterdir() if settings.jobs_dir.is_dir() else []:
        if _JOB.match(job.name) and job.stat().st_mtime < limit:
            shutil.rmtree(job, ignore_errors=True)
            gone += 1
    if manager is not None:
        cutoff = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(limit))
        try:
            jobs = manager.get_jobs(limit=100_000).get("jobs", [])
        except Exception:
            jobs = []
        for job in jobs:
            created = str(job.get("created") or "")
            if created and created < cutoff and job.get("status") not in ("accepted", "running"):
                try:
                    manager.delete_job(job["identifier"])
                except Exception:
                    continue
    return gone


def _janitor(settings: WebSettings, manager: Any) -> None:
    while True:
        expire(settings, manager)
        time.sleep(600)


def make_app(settings: WebSettings, progress: Callable[[str], None] = _say) -> WSGIApp:
    """The server's WSGI application (pygeoapi behind :class:`Gate`), its state folder prepared.

    pygeoapi reads its configuration when its Flask module is imported: one server per process.
    """
    prepared = prepare(settings, progress)
    svc = processes.configure(settings)
    if settings.limits.get("isolation", "process") == "process":
        pids = processes.start_workers(svc)
        progress(f"{len(pids)} worker process(es) for the jobs: {', '.join(map(str, pids))}")
    os.environ["PYGEOAPI_CONFIG"] = str(prepared["config"])
    os.environ["PYGEOAPI_OPENAPI"] = str(prepared["openapi"])
    from pygeoapi import flask_app  # noqa: PLC0415 - reads the configuration written above

    manager = flask_app.api_.manager
    threading.Thread(target=_janitor, args=(settings, manager), name="hygis-web-janitor", daemon=True).start()
    return Gate(flask_app.APP, settings)


def serve(settings: WebSettings, progress: Callable[[str], None] = _say) -> None:
    """Serve until interrupted, with waitress (threads and limits from the settings)."""
    import waitress  # noqa: PLC0415 - the server only

    app = make_app(settings, progress)
    progress(f"hygis web: {settings.base_url}/ (OGC API: {settings.base_url}/collections, /processes)")

    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)  # unwinds waitress's loop, so that the workers are stopped below

    signal.signal(signal.SIGTERM, stop)
    try:
        waitress.serve(
            app,
            host=settings.host,
            port=settings.port,
            threads=int(settings.limit("threads")),
            max_request_body_size=int(settings.limit("max_upload_mb") * (1 << 20) * 4 / 3) + (1 << 20),
            ident="hygis",
            _quiet=True,
        )
    finally:
        processes.stop_workers(processes.service())


__all__ = ["COOKIE", "PAGE_DIR", "PROCESSES", "Gate", "expire", "make_app", "prepare", "serve"]
