"""OGC API – Processes plugins for pygeoapi: each calls hygis's Python API, nothing more.

``check`` is :func:`hygis.check.check_projects` on the projects a client sends (a GeoJSON
FeatureCollection, bare or in the standard's qualified form, an uploaded file in base64, or
pasted 坐标 text) against the control lines the server was started with; its rows are
:func:`hygis.check.report.table` (the columns of ``hygis check --out x.csv``) and its files are
written by :func:`hygis.check.report.write_report` in the job's own folder.

Every execution — done, refused or failed — is one line of the audit log
(:mod:`hygis.web.audit`).
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import contextlib
import contextvars
import json
import multiprocessing
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from hygis.check.pipeline import check_projects
from hygis.check.report import table, write_report
from hygis.constants import VERDICT_COLORS, VERDICT_LABELS, VERDICTS
from hygis.errors import HygisError, HygisInputError
from hygis.plan.inputs import resolve
from hygis.web import audit
from hygis.web.config import LINE_KEYS, WebSettings
from hygis.web.uploads import Limits, save_upload

#: The client of the request being answered (set by :mod:`hygis.web.app` for each request).
CLIENT: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("hygis_web_client", default={})

#: Files a check job may write: name → (media type, title shown on the page).
CHECK_FILES = {
    "report.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "审查报告 Excel"),
    "report.html": ("text/html", "审查报告 网页（可打印）"),
    "report.gpkg": ("application/geopackage+sqlite3", "审查结果 GeoPackage"),
    "report.csv": ("text/csv", "审查结果 CSV"),
    "sites.txt": ("text/plain", "地块坐标 坐标交换格式 .txt"),
    "map.html": ("text/html", "合规性审查地图"),
}

#: Every file a job may write (``/downloads/JOB/NAME`` serves these names only).
FILES = {
    **CHECK_FILES,
    "control_line_stats.xlsx": (CHECK_FILES["report.xlsx"][0], "三条控制线面积统计 Excel"),
    "control_line_stats.csv": ("text/csv", "三条控制线面积统计 CSV"),
    "monitor_changes.xlsx": (CHECK_FILES["report.xlsx"][0], "变化图斑预警 Excel"),
    "monitor_changes.csv": ("text/csv", "变化图斑预警 CSV"),
    "monitor_changes.gpkg": ("application/geopackage+sqlite3", "变化图斑预警 GeoPackage"),
}

#: The formats a client may ask for (``formats`` input); all by default.
FORMATS = ("xlsx", "html", "gpkg", "csv", "txt", "map")


@dataclass
class Service:
    """What every execution shares: the settings, the line inputs, the slots, the all-cores lock."""

    settings: WebSettings
    slots: threading.BoundedSemaphore
    #: Held by a check that runs on every core (the engine's threads): one at a time, since two
    #: would only share the cores and hold two checks' memory.
    all_cores_lock: threading.Lock = field(default_factory=threading.Lock)
    #: A dask.distributed client on ``settings.scheduler`` (every check then runs on that cluster).
    client: Any = None
    #: The worker processes the jobs run in (:func:`start_workers`); None: in threads of this process.
    pool: Any = None

    @property
    def limits(self) -> Limits:
        """Upload limits."""
        return Limits.from_settings(self.settings.limits)

    def line_inputs(self) -> dict[str, Any]:
        """The control-line options of :func:`hygis.plan.resolve` the server was started with."""
        return {k: self.settings.inputs.get(k) for k in LINE_KEYS}


_SERVICE: Service | None = None


def configure(settings: WebSettings) -> Service:
    """Set the service every processor of this process uses (called once by :mod:`hygis.web.app`)."""
    global _SERVICE
    client = None
    if settings.scheduler:
        from hygis.engine.distributed import connect  # noqa: PLC0415 - dask only with --scheduler

        client = connect(settings.scheduler)
    _SERVICE = Service(settings, threading.BoundedSemaphore(settings.concurrency()), client=client)
    return _SERVICE


# True in a worker process of the pool: a job there has the process to itself.
_IN_WORKER = False


def _orphan_watch(parent: int) -> None:
    """End this worker when the server that started it is gone (killed without a chance to stop it)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _init_worker(settings: WebSettings, parent: int) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    threading.Thread(target=_orphan_watch, args=(parent,), name="hygis-orphan-watch", daemon=True).start()
    if _SERVICE is None:  # a spawned (not forked) worker: configure and warm it here
        from hygis.check.pipeline import warm_up  # noqa: PLC0415 - spawned workers only

        configure(settings)
        warm_up()


def _pid(_: int) -> int:
    time.sleep(0.2)  # long enough for every worker to be started, each taking one
    return os.getpid()


def start_workers(svc: Service) -> list[int]:
    """Start ``concurrency`` worker processes for the jobs, now (before the server's threads): forked
    where the system forks, so that each inherits the warm engine and layers. Jobs then run side by
    side on the cores (a thread of this process would share one, Python's lock), and a job cannot
    disturb another's module state. Returns the workers' process ids."""
    n = svc.settings.concurrency()
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    svc.pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=n,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(svc.settings, os.getpid()),
    )
    return sorted(set(svc.pool.map(_pid, range(n))))


def stop_workers(svc: Service) -> None:
    """Stop the worker processes (when the server stops): running jobs are abandoned."""
    pool, svc.pool = svc.pool, None
    if pool is None:
        return
    workers = list(getattr(pool, "_processes", {}).values())  # the executor has no public handle
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()


def _run_isolated(
    cls: Any, job_id: str, data: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any], BaseException | None]:
    """A job in a worker process: (outputs, audit fields, the exception it raised, if any)."""
    processor = cls({"name": cls.__name__})
    processor.job_id = job_id
    processor.entry = {}
    try:
        return processor.run(data), processor.entry, None
    except Exception as exc:  # handed back to the request's process, which answers and records it
        return None, processor.entry, exc


def service() -> Service:
    """The service :func:`configure` set."""
    if _SERVICE is None:
        msg = "hygis.web.processes.configure(settings) was not called"
        raise RuntimeError(msg)
    return _SERVICE


def _literal(value: Any, name: str) -> Any:
    """An input's value: the standard's qualified form ``{"value": …}`` or the value itself;
    ``href`` (a reference the server would fetch) refused — no server path or URL is read."""
    if isinstance(value, dict) and "href" in value:
        msg = (
            f"{name}: a reference (href) is not accepted — the server reads no path or URL a client "
            "names; send the content itself (GeoJSON, or the file in base64)."
        )
        raise HygisInputError(msg)
    if (
        isinstance(value, dict)
        and "value" in value
        and value.get("type") not in ("FeatureCollection", "Feature")
    ):
        return value["value"]
    return value


def _projects_input(
    data: dict[str, Any], folder: Path, limits: Limits, key: str = "projects"
) -> tuple[Path, dict[str, str]]:
    """Save the features a client sent (``key``: GeoJSON, or ``file``, or ``coordinates``) in the
    job's folder: (path for hygis's reader, SHA-256 by input)."""
    given = [k for k in (key, "file", "coordinates") if data.get(k) not in (None, "", {})]
    if len(given) != 1:
        msg = (
            "give the projects one way: 'projects' (a GeoJSON FeatureCollection in WGS 84), 'file' "
            "(a file in base64 with its 'filename') or 'coordinates' (坐标交换格式 text)"
            + (f"; got {', '.join(given)}" if given else "")
            + "."
        )
        raise HygisInputError(msg)
    kind = given[0]
    folder.mkdir(parents=True, exist_ok=True)
    if kind == key:
        value = _literal(data[key], key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                msg = "projects: not JSON; send a GeoJSON FeatureCollection."
                raise HygisInputError(msg) from None
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = {"type": "FeatureCollection", "features": [value]}
        if not isinstance(value, dict) or value.get("type") != "FeatureCollection":
            msg = (
                "projects: a GeoJSON FeatureCollection is expected "
                '({"type": "FeatureCollection", "features": […]}).'
            )
            raise HygisInputError(msg)
        raw = json.dumps(value, ensure_ascii=False).encode("utf-8")
        if len(raw) > limits.max_bytes:
            msg = (
                f"projects: {len(raw) >> 20} MB of GeoJSON, "
                f"more than the {limits.max_bytes >> 20} MB allowed."
            )
            raise HygisInputError(msg)
        path = folder / f"{key}.geojson"
        path.write_bytes(raw)
        return path, {key: audit.sha256(raw)}
    if kind == "coordinates":
        text = _literal(data["coordinates"], "coordinates")
        if not isinstance(text, str):
            msg = "coordinates: the 坐标交换格式 text is expected as a string."
            raise HygisInputError(msg)
        raw = text.encode("utf-8")
        return save_upload(raw, "coordinates.txt", folder, limits), {"coordinates": audit.sha256(raw)}
    spec = data["file"]
    if isinstance(spec, dict) and "href" in spec:
        _literal(spec, "file")
    value = spec.get("value") if isinstance(spec, dict) else spec
    filename = (spec.get("filename") if isinstance(spec, dict) else None) or data.get("filename")
    if not isinstance(value, str) or not filename:
        msg = (
            'file: send {"value": "<the file in base64>", "encoding": "base64"} '
            'and "filename" (e.g. 界址点.txt).'
        )
        raise HygisInputError(msg)
    if len(value) > limits.max_bytes * 4 // 3 + 4:
        msg = f"{filename}: more than the {limits.max_bytes >> 20} MB allowed."
        raise HygisInputError(msg)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        msg = f"{filename}: the file's content is not valid base64."
        raise HygisInputError(msg) from None
    return save_upload(raw, str(filename), folder, limits), {"file": audit.sha256(raw)}


def _options(data: dict[str, Any]) -> dict[str, Any]:
    """The check's options from the inputs, typed; unknown values refused with the choices."""
    opts: dict[str, Any] = {}
    crs = _literal(data.get("crs"), "crs")
    opts["crs"] = str(crs) if crs not in (None, "") else None
    radius = _literal(data.get("point_radius_m"), "point_radius_m")
    try:
        opts["point_radius_m"] = float(radius) if radius not in (None, "") else None
    except (TypeError, ValueError):
        msg = f"point_radius_m: {radius!r} is not a number of metres."
        raise HygisInputError(msg) from None
    area = _literal(data.get("area"), "area") or "ellipsoidal"
    if area not in ("ellipsoidal", "planar"):
        msg = f"area: '{area}' is not 'ellipsoidal' (椭球面积, the default) or 'planar'."
        raise HygisInputError(msg)
    opts["area"] = area
    planar = _literal(data.get("planar_crs"), "planar_crs")
    opts["planar_crs"] = str(planar) if planar else None
    for flag in ("gcj02", "swap_xy", "relocate"):
        opts[flag] = bool(_literal(data.get(flag), flag))
    field_name = _literal(data.get("project_id_field"), "project_id_field")
    opts["project_id_field"] = str(field_name) if field_name else None
    formats = _literal(data.get("formats"), "formats")
    formats = list(FORMATS) if formats in (None, "", []) else formats
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        msg = f"formats: {', '.join(map(str, unknown))} unknown; choose among {', '.join(FORMATS)}."
        raise HygisInputError(msg)
    opts["formats"] = [f for f in FORMATS if f in formats]
    return opts


def _value(v: Any) -> Any:
    """A cell as JSON holds it: numpy scalars as Python numbers (floats keep every digit), missing as null."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        return None if isinstance(v, float) and v != v else v
    return v


def _column(values: pd.Series) -> list[Any]:
    """One column as JSON values, converted at once (a 15,000-row report has 420,000 cells)."""
    if pd.api.types.is_float_dtype(values.dtype):
        array = values.to_numpy(dtype=float, na_value=np.nan)
        out = array.tolist()  # Python floats: the same doubles, which JSON writes to the last digit
        return [None if v != v else v for v in out] if np.isnan(array).any() else out
    missing = values.isna().to_numpy()
    out = values.astype(object).tolist()
    return [None if m else _value(v) for v, m in zip(out, missing, strict=True)]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: numbers exactly as computed (JSON floats round-trip), NaN as null."""
    columns = [str(c) for c in df.columns]
    values = [_column(df[c]) for c in df.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _plain_records(frame: Any) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return _records(
        pd.DataFrame(frame.drop(columns=[c for c in frame.columns if str(frame[c].dtype) == "geometry"]))
    )


class HygisProcessor(BaseProcessor):
    """What the hygis processes share: the job's folder, the slot, the time limit, the audit line."""

    def __init__(self, processor_def: dict[str, Any], metadata: dict[str, Any]) -> None:
        super().__init__(processor_def, metadata)
        self.job_id = str(uuid.uuid4())
        self.client = dict(CLIENT.get())

    def set_job_id(self, job_id: str) -> None:
        """The manager's job id names the job's folder (called in the request's thread)."""
        self.job_id = job_id
        self.client = dict(CLIENT.get())

    @property
    def folder(self) -> Path:
        """This job's folder: every file it reads or writes is below it."""
        return service().settings.jobs_dir / self.job_id

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        """The process itself; returns the outputs and fills ``self.entry`` for the audit log."""
        raise NotImplementedError

    def execute(self, data: dict[str, Any], outputs: dict[str, Any] | None = None) -> tuple[str, Any]:
        """Run in a free slot within the time limit; one audit line whatever happens."""
        svc = service()
        settings = svc.settings
        started = time.perf_counter()
        self.entry: dict[str, Any] = {
            "time": audit.now(),
            "client": self.client.get("address", ""),
            "user": self.client.get("user", ""),
            "process": self.metadata["id"],
            "job": self.job_id,
        }
        result: dict[str, Any] = {}
        error: list[BaseException] = []
        try:
            if not svc.slots.acquire(timeout=settings.limit("queue_timeout_s")):
                msg = (
                    f"the server is busy ({settings.concurrency()} checks at once and more waiting "
                    f"{settings.limit('queue_timeout_s'):.0f} s); try again in a minute."
                )
                raise ProcessorExecuteError(user_msg=msg)

            if svc.pool is not None:
                future = svc.pool.submit(_run_isolated, type(self), self.job_id, data)
                future.add_done_callback(lambda _f: svc.slots.release())
                try:
                    outputs_, fields, exc = future.result(timeout=settings.limit("job_timeout_s"))
                except concurrent.futures.TimeoutError:
                    raise ProcessorExecuteError(user_msg=self._late(settings)) from None
                self.entry.update(fields)
                if exc is not None:
                    raise exc
                result.update(outputs_ or {})
            else:
                self._in_thread(data, result, error, svc)
                if error:
                    raise error[0]
            self.entry["status"] = "done"
            return "application/json", result
        except HygisError as exc:
            self.entry["status"] = f"refused: {exc}"
            raise ProcessorExecuteError(user_msg=str(exc)) from None
        except ProcessorExecuteError as exc:
            self.entry["status"] = f"refused: {exc.message}"
            raise
        except Exception as exc:
            self.entry["status"] = f"failed: {type(exc).__name__}: {exc}"
            raise
        finally:
            self.entry["duration_s"] = round(time.perf_counter() - started, 3)
            audit.append(settings.audit_log, self.entry)

    @staticmethod
    def _late(settings: WebSettings) -> str:
        return (
            f"the job took longer than the {settings.limit('job_timeout_s'):.0f} s allowed; its "
            "result is discarded. Split the projects into smaller files, or ask the administrator."
        )

    def _in_thread(
        self, data: dict[str, Any], result: dict[str, Any], error: list[BaseException], svc: Service
    ) -> None:
        """Run the job in a thread of this process (no worker processes), within the time limit."""

        def work() -> None:
            try:
                result.update(self.run(data))
            except BaseException as exc:  # handed to the request's thread
                error.append(exc)
            finally:
                svc.slots.release()

        worker = threading.Thread(target=work, name=f"hygis-job-{self.job_id}", daemon=True)
        worker.start()
        worker.join(svc.settings.limit("job_timeout_s"))
        if worker.is_alive():
            raise ProcessorExecuteError(user_msg=self._late(svc.settings))


CHECK_METADATA: dict[str, Any] = {
    "version": "1.0.0",
    "id": "check",
    "title": {"zh": "规划符合性审查（三条控制线）", "en": "Compliance check against the three control lines"},
    "description": {
        "zh": (
            "项目用地与生态保护红线、永久基本农田、城镇开发边界的叠加分析与审查结论；"
            "与 `hygis check` 结果一致。"
        ),
        "en": "Each project's overlap with the ecological red line, permanent farmland and the urban "
        "development boundary, the verdict and the rule that decides it; the same rows as `hygis check`.",
    },
    "jobControlOptions": ["sync-execute", "async-execute"],
    "keywords": ["规划符合性审查", "用地预审", "三区三线", "hygis"],
    "links": [],
    "inputs": {
        "projects": {
            "title": "项目用地 GeoJSON",
            "description": (
                "A GeoJSON FeatureCollection (WGS 84), bare or as {value, mediaType: application/geo+json}."
            ),
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "file": {
            "title": "上传文件",
            "description": "A file in base64 ({value, encoding: base64}): 坐标交换格式 .txt, "
            "zipped Shapefile, "
            ".gpkg, .kml/.kmz, .dxf, 界址点 .xlsx, CSV with 经度/纬度.",
            "schema": {"type": "string", "contentEncoding": "base64"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "filename": {
            "title": "文件名",
            "description": "The uploaded file's name (its suffix picks the reader).",
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "coordinates": {
            "title": "坐标文本",
            "description": "Pasted 坐标交换格式 text.",
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "crs": {
            "title": "坐标系",
            "description": "CRS of a file that has none, e.g. EPSG:4546 (never guessed).",
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "point_radius_m": {
            "title": "点状项目半径（米）",
            "description": "Check point projects as discs of this radius.",
            "schema": {"type": "number", "minimum": 0},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "area": {
            "title": "面积计算方法",
            "description": "ellipsoidal (椭球面积, default) or planar.",
            "schema": {"type": "string", "enum": ["ellipsoidal", "planar"], "default": "ellipsoidal"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "planar_crs": {
            "title": "平面面积的投影",
            "description": "With area=planar: the Gauss–Krüger zone, e.g. EPSG:4547.",
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "gcj02": {
            "title": "GCJ-02 坐标",
            "description": "The projects were digitised on Amap/Tencent maps (GCJ-02).",
            "schema": {"type": "boolean", "default": False},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "swap_xy": {
            "title": "经纬度互换",
            "description": "Latitude and longitude are swapped in the file.",
            "schema": {"type": "boolean", "default": False},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "project_id_field": {
            "title": "项目编号字段",
            "description": "Column identifying each project (default: project_id, 项目编号, id …).",
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "relocate": {
            "title": "建议避让选址",
            "description": "Also suggest a clear site for each conflict with the red line or farmland.",
            "schema": {"type": "boolean", "default": False},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "formats": {
            "title": "输出文件",
            "description": f"Files to make, among {', '.join(FORMATS)} (default all).",
            "schema": {"type": "array", "items": {"type": "string", "enum": list(FORMATS)}},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "result": {
            "title": "审查结果",
            "description": "rows (the columns of `hygis check --out x.csv`), verdicts, banner, area method, "
            "warnings, 用地预审 by county, and links to the job's files.",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {
        "inputs": {
            "projects": {
                "value": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"project_id": "P1", "name": "示例地块", "group": "产业升级"},
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [
                                    [
                                        [112.60, 26.90],
                                        [112.61, 26.90],
                                        [112.61, 26.91],
                                        [112.60, 26.91],
                                        [112.60, 26.90],
                                    ]
                                ],
                            },
                        }
                    ],
                },
                "mediaType": "application/geo+json",
            }
        }
    },
}


class CheckProcessor(HygisProcessor):
    """``check``: :func:`hygis.check.check_projects` on the client's projects."""

    def __init__(self, processor_def: dict[str, Any]) -> None:
        super().__init__(processor_def, CHECK_METADATA)

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        """Read the projects, check them, write the files, say what was done."""
        svc = service()
        settings = svc.settings
        if not isinstance(data, dict):
            msg = "inputs: a JSON object of named inputs is expected."
            raise HygisInputError(msg)
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=False)
        opts = _options(data)
        self.entry["options"] = {k: v for k, v in opts.items() if v not in (None, False)}
        path, hashes = _projects_input(data, folder / "input", svc.limits)
        self.entry["inputs"] = hashes
        inputs = resolve(
            projects=path,
            **svc.line_inputs(),
            crs=opts["crs"],
            gcj02_input=opts["gcj02"],
            swap_xy=opts["swap_xy"],
            project_id_field=opts["project_id_field"],
            defer=True,
        )
        area: dict[str, Any] = {"area": opts["area"]}
        if opts["planar_crs"]:
            from hygis.crs import parse_crs  # noqa: PLC0415 - only for planar areas

            area["planar_crs"] = parse_crs(opts["planar_crs"])
        many = len(inputs.projects) > settings.limit("all_cores_above_projects")
        # A large check runs on every core, one such check at a time; small checks run in their
        # own thread, side by side.
        formats = set(opts["formats"])
        # As `hygis check` chooses for its output: polygons only for the files that draw them, the
        # 用地预审 tables (by county, patches) only for the files that hold them.
        drawn = bool(formats & {"gpkg", "html", "map"}) or opts["relocate"]
        tables = bool(formats & {"xlsx", "gpkg", "html"})
        on_cluster = svc.client is not None
        # In a thread of the server, a large check takes the all-cores lock; a worker process
        # runs one job at a time anyway.
        shared = many and not on_cluster and not _IN_WORKER
        with svc.all_cores_lock if shared else contextlib.nullcontext():
            report = check_projects(
                inputs=inputs,
                point_radius_m=opts["point_radius_m"],
                engine="dask" if on_cluster else "local",
                client=svc.client,
                workers=settings.workers if many else 1,
                overlap_geometry=drawn,
                site_geometry=drawn,
                preaudit=True if tables else "figures",
                **area,
            )
        if opts["relocate"]:
            from hygis.analysis.relocate import relocate_conflicts  # noqa: PLC0415 - only when asked for

            relocate_conflicts(report, inputs)
        rows = table(report)
        links = self._write(report, inputs, opts["formats"])
        counts = {v: int(n) for v, n in report["verdict"].value_counts().items()}
        self.entry["verdicts"] = counts
        self.entry["outputs"] = {link["name"]: link["sha256"] for link in links}
        per_project = report.drop_duplicates("project_id")
        return {
            "job": self.job_id,
            "columns": [str(c) for c in rows.columns],
            "rows": _records(rows),
            "verdicts": {v: counts[v] for v in VERDICTS if v in counts},
            "verdict_labels": {v: {"label": VERDICT_LABELS[v], "color": VERDICT_COLORS[v]} for v in VERDICTS},
            "projects": int(len(per_project)),
            "banner": report.attrs.get("illustrative"),
            "area_method": report.attrs.get("area_method"),
            "area_crs": report.attrs.get("area_crs"),
            "warnings": list(report.attrs.get("warnings") or []),
            "by_county": _plain_records(report.attrs.get("by_county")),
            "sites": _sites_geojson(report) if drawn else None,
            "links": links,
        }

    def _write(self, report: Any, inputs: Any, formats: list[str]) -> list[dict[str, Any]]:
        folder = self.folder
        base = f"{service().settings.base_url}/downloads/{self.job_id}"
        written = []
        for fmt in formats:
            if fmt in ("xlsx", "html", "gpkg", "csv"):
                name = f"report.{fmt}"
                write_report(report, folder / name, inputs=inputs)
            elif fmt == "txt":
                name = "sites.txt"
                if not _write_sites_txt(inputs, folder / name):
                    continue
            else:
                from hygis.maps.compliance import compliance_map  # noqa: PLC0415 - folium only for the map

                name = "map.html"
                compliance_map(report, inputs, basemap="none", offline=True).save(str(folder / name))
            media, title = FILES[name]
            written.append(
                {
                    "href": f"{base}/{name}",
                    "rel": "enclosure",
                    "type": media,
                    "title": title,
                    "name": name,
                    "sha256": audit.sha256(folder / name),
                }
            )
        return written


def _links(job_id: str, folder: Path, names: list[str]) -> list[dict[str, Any]]:
    """Links to files a job wrote, with their SHA-256 (for the audit log)."""
    base = f"{service().settings.base_url}/downloads/{job_id}"
    return [
        {
            "href": f"{base}/{name}",
            "rel": "enclosure",
            "type": FILES[name][0],
            "title": FILES[name][1],
            "name": name,
            "sha256": audit.sha256(folder / name),
        }
        for name in names
    ]


def _area_options(data: dict[str, Any]) -> dict[str, Any]:
    opts = _options({k: data.get(k) for k in ("area", "planar_crs")})
    area: dict[str, Any] = {"area": opts["area"]}
    if opts["planar_crs"]:
        from hygis.crs import parse_crs  # noqa: PLC0415 - only for planar areas

        area["planar_crs"] = parse_crs(opts["planar_crs"])
    return area


_AREA_INPUTS = {k: CHECK_METADATA["inputs"][k] for k in ("area", "planar_crs")}

STATS_METADATA: dict[str, Any] = {
    "version": "1.0.0",
    "id": "stats",
    "title": {"zh": "三条控制线面积统计（分县）", "en": "Control-line areas by county"},
    "description": {
        "zh": "各县级行政区与全市的三条控制线面积（公顷、亩、平方公里、占比）；"
        "与 `hygis stats control-lines` 一致。",
        "en": "The area of each control line per county and for the city; the rows of "
        "`hygis stats control-lines --out x.csv`.",
    },
    "jobControlOptions": ["sync-execute", "async-execute"],
    "keywords": ["三条控制线", "面积统计", "hygis"],
    "links": [],
    "inputs": _AREA_INPUTS,
    "outputs": CHECK_METADATA["outputs"],
    "example": {"inputs": {"area": "ellipsoidal"}},
}


class StatsProcessor(HygisProcessor):
    """``stats``: :func:`hygis.analysis.stats.control_line_stats` on the server's control lines."""

    def __init__(self, processor_def: dict[str, Any]) -> None:
        super().__init__(processor_def, STATS_METADATA)

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        """The statistics, their rows and files."""
        from hygis.analysis import stats  # noqa: PLC0415 - only for this process

        data = data if isinstance(data, dict) else {}
        area = _area_options(data)
        self.entry["options"] = {k: str(v) for k, v in area.items()}
        self.entry["inputs"] = {}
        inputs = resolve(**service().line_inputs())
        table = stats.control_line_stats(inputs, **area)
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=False)
        names = ["control_line_stats.xlsx", "control_line_stats.csv"]
        for name in names:
            stats.write_control_line_stats(table, folder / name)
        links = _links(self.job_id, folder, names)
        self.entry["outputs"] = {link["name"]: link["sha256"] for link in links}
        return {
            "job": self.job_id,
            "columns": [str(c) for c in table.columns],
            "rows": _records(table),
            "banner": table.attrs.get("banner"),
            "area_method": table.attrs.get("area_method"),
            "links": links,
        }


MONITOR_METADATA: dict[str, Any] = {
    "version": "1.0.0",
    "id": "monitor-changes",
    "title": {"zh": "变化图斑监测预警", "en": "Change polygons against the control lines, warning levels"},
    "description": {
        "zh": "变化图斑与三条控制线叠加，按 data/monitor_rules.csv 给出预警等级（红/橙/黄/无）；"
        "未提交图斑时使用示意数据。与 `hygis monitor changes` 一致。",
        "en": "Each change polygon measured against the three lines and given a warning level; "
        "without a file, the illustrative example. The rows of `hygis monitor changes --out x.csv`.",
    },
    "jobControlOptions": ["sync-execute", "async-execute"],
    "keywords": ["监测评估预警", "变化图斑", "hygis"],
    "links": [],
    "inputs": {
        "changes": {
            "title": "变化图斑 GeoJSON",
            "description": "Change polygons as a GeoJSON FeatureCollection (TBBH, BGQDLBM, BGHDLBM, BGNF …).",
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "file": CHECK_METADATA["inputs"]["file"],
        "filename": CHECK_METADATA["inputs"]["filename"],
        "crs": CHECK_METADATA["inputs"]["crs"],
        "year": {
            "title": "监测年度",
            "description": "Fills a file without a year field, or keeps only that year.",
            "schema": {"type": "integer"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    },
    "outputs": CHECK_METADATA["outputs"],
    "example": {"inputs": {}},
}


class MonitorChangesProcessor(HygisProcessor):
    """``monitor-changes``: :func:`hygis.monitor.changes.classify_changes` on the client's change
    polygons (or the illustrative example)."""

    def __init__(self, processor_def: dict[str, Any]) -> None:
        super().__init__(processor_def, MONITOR_METADATA)

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        """Read (or make) the changes, classify them, write the files."""
        from hygis.monitor import changes, example  # noqa: PLC0415 - only for this process

        svc = service()
        data = data if isinstance(data, dict) else {}
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=False)
        year = _literal(data.get("year"), "year")
        try:
            year = int(year) if year not in (None, "") else None
        except (TypeError, ValueError):
            msg = f"year: {year!r} is not a year."
            raise HygisInputError(msg) from None
        crs = _literal(data.get("crs"), "crs") or None
        self.entry["options"] = {k: v for k, v in (("year", year), ("crs", crs)) if v is not None}
        inputs = resolve(**svc.line_inputs())
        if any(data.get(k) not in (None, "", {}) for k in ("changes", "file")):
            path, hashes = _projects_input(data, folder / "input", svc.limits, key="changes")
            self.entry["inputs"] = hashes
            source = changes.read_changes(path, year=year, crs=crs)
            result = changes.classify_changes(source, inputs, workers=1)
        else:
            self.entry["inputs"] = {}
            result = changes.classify_changes(
                example.example_changes(inputs=inputs), inputs, year=year, workers=1
            )
        names = ["monitor_changes.xlsx", "monitor_changes.csv", "monitor_changes.gpkg"]
        for name in names:
            changes.write_changes(result, folder / name)
        links = _links(self.job_id, folder, names)
        self.entry["outputs"] = {link["name"]: link["sha256"] for link in links}
        rows = changes.table(result)
        counts = {str(k): int(v) for k, v in result["level"].value_counts().items()}
        self.entry["verdicts"] = counts
        return {
            "job": self.job_id,
            "columns": [str(c) for c in rows.columns],
            "rows": _records(rows),
            "levels": counts,
            "banner": result.attrs.get("banner"),
            "links": links,
        }


def _write_sites_txt(inputs: Any, path: Path) -> bool:
    """The checked parcels as a 坐标交换格式 .txt (polygons only: the format holds nothing else)."""
    from hygis.io.coordinates import write_coordinate_txt  # noqa: PLC0415 - only for this output

    projects = inputs.projects
    polygons = projects[projects.geometry.notna() & projects.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(polygons) != len(projects) or not len(polygons):
        return False
    write_coordinate_txt(polygons, path)
    return True


def _sites_geojson(report: Any) -> dict[str, Any]:
    """The sites checked (WGS 84) with each project's worst verdict, for the page's map."""
    from hygis.maps.compliance import worst_verdict  # noqa: PLC0415 - the page's map only

    first = report.drop_duplicates("project_id")
    worst = worst_verdict(report)
    features = []
    for row in first.itertuples():
        geom = getattr(row, "site_geometry", None)
        if geom is None or (hasattr(geom, "is_empty") and geom.is_empty):
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "project_id": str(row.project_id),
                    "name": None if pd.isna(row.name) else str(row.name),
                    "verdict": str(worst.get(str(row.project_id), "")),
                },
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


__all__ = [
    "CHECK_FILES",
    "FILES",
    "MonitorChangesProcessor",
    "StatsProcessor",
    "CHECK_METADATA",
    "CLIENT",
    "FORMATS",
    "CheckProcessor",
    "HygisProcessor",
    "Service",
    "configure",
    "service",
    "start_workers",
    "stop_workers",
]
