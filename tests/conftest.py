"""Shared fixtures: small planner-style files, good and bad, made fresh in a temp folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]

# Near 衡阳站, WGS 84 (lon, lat).
HENGYANG = (112.6271, 26.8928)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Each test session keeps prepared indexes in its own folder, never in the user's cache.

    The compiled kernel is compiled once for the session (numba's cache, ~10 s), also for tests with a
    cache of their own.
    """
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(base / "hygis-cache"))
    monkeypatch.setenv("HYGIS_KERNEL_DIR", str(base / "hygis-cache" / "kernel"))


def square(lon: float, lat: float, half_deg: float = 0.01) -> shapely.Polygon:
    return shapely.box(lon - half_deg, lat - half_deg, lon + half_deg, lat + half_deg)


@pytest.fixture
def projects_gdf() -> gpd.GeoDataFrame:
    """Three small projects near the central city, with Chinese names, in CGCS2000."""
    lon, lat = HENGYANG
    return gpd.GeoDataFrame(
        {
            "project_id": ["A1", "A2", "A3"],
            "name": ["智造谷一期", "衡州大道改造", "东洲岛文创"],
            "group": ["产业升级", "交通基建", "文旅发展"],
        },
        geometry=[
            square(lon, lat),
            shapely.LineString([(lon, lat), (lon + 0.05, lat + 0.01)]),
            shapely.Point(lon + 0.01, lat - 0.02),
        ],
        crs="EPSG:4490",
    )


def run_cli(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run ``python -m hygis ARGS`` as a user would run ``hygis ARGS``, capturing output."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "hygis", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"hygis {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


@pytest.fixture
def cli():
    return run_cli


def skip_or_fail(reason: str) -> None:
    """Skip a test whose tool is missing on a developer's machine; fail it in CI, which must provide it.

    CI sets ``CI=true``; there a skipped browser or PostGIS test would hide a broken install step.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{reason} — .ci/run must install it")
    pytest.skip(reason)


#: Debian's Chromium, driven by Playwright (no browser download), with the flags this closed network
#: needs (no background connections that the machine would refuse, many at a time).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: Screenshots and printed pages the browser tests leave for a person to look at.
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for one test module (skipped, or failed under CI, where it is missing)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
