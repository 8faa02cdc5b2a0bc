"""`hygis web` started by a test on 127.0.0.1 (a free port), stopped by it; and the files it checks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis.io.coordinates import write_coordinate_txt
from hygis.plan import layers

from .conftest import REPO

#: How long a server may take to start (layers written, engine warmed) on a loaded CI machine.
START_TIMEOUT_S = 240


@dataclass
class Server:
    url: str
    state: Path
    proc: subprocess.Popen
    log: Path

    def get(
        self, path: str, accept: str = "application/json", timeout: float = 60
    ) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(self.url + path, headers={"Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def post(self, path: str, body: dict | bytes, timeout: float = 120, headers: dict | None = None):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except json.JSONDecodeError:
                return e.code, {"description": raw.decode("utf-8", "replace")}

    def check(self, inputs: dict, timeout: float = 120):
        return self.post("/processes/check/execution", {"inputs": inputs}, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(base: Path, *args: str, env: dict | None = None) -> Server:
    """``hygis web`` on 127.0.0.1 and a free port, its state in ``base``; returns once it answers."""
    port = free_port()
    state = base / "state"
    log = base / "server.log"
    environ = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hygis", "web", "--port", str(port), "--state-dir", str(state), *args],
            cwd=REPO,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    server = Server(f"http://127.0.0.1:{port}", state, proc, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"hygis web exited ({proc.returncode}):\n{log.read_text('utf-8', 'replace')}"
            )
        try:
            if server.get("/conformance", timeout=5)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(server)
    raise AssertionError(
        f"hygis web did not answer in {START_TIMEOUT_S} s:\n{log.read_text('utf-8', 'replace')}"
    )


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(15)


def sites_frame() -> gpd.GeoDataFrame:
    """Three square sites (≈70 ha) on the embedded (illustrative) farmland, red line and urban boundary."""
    points = [
        layers.load(name).geometry.iloc[0].representative_point()
        for name in ("permanent_farmland", "ecological_redline", "urban_development_boundary")
    ]
    half = 0.004
    return gpd.GeoDataFrame(
        {"project_id": ["J1", "J2", "J3"], "name": ["工业地块", "旅游设施", "商业地块"]},
        geometry=[shapely.box(p.x - half, p.y - half, p.x + half, p.y + half) for p in points],
        crs="EPSG:4326",
    )


def write_sites_txt(path: Path) -> Path:
    """The test sites as a 坐标交换格式 .txt (CGCS2000 3° zone, GB18030), as a survey office sends them."""
    return write_coordinate_txt(sites_frame(), path, id_field="project_id", name_field="name")


def sites_geojson() -> dict:
    return json.loads(sites_frame().to_json(drop_id=True))


def assert_same_rows(cli: pd.DataFrame, columns: list[str], rows: list[dict]) -> None:
    """The rows a process returned equal the CSV ``hygis check`` wrote: same columns, same values
    (numbers exactly; empty text and null alike, as a CSV cannot tell them apart)."""
    web = pd.DataFrame(rows, columns=columns)
    assert columns == list(cli.columns)
    assert len(web) == len(cli)
    for column in columns:
        left = cli[column]
        if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            right = pd.to_numeric(web[column]).to_numpy(dtype=float)
            np.testing.assert_array_equal(left.to_numpy(dtype=float), right, err_msg=column)
        else:

            def text(s: pd.Series) -> list[str]:
                return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in s]

            assert text(left) == text(web[column]), column
