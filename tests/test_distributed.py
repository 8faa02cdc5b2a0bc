"""``hygis check --scheduler``: the check on a real dask.distributed cluster, partitioned in tiles.

A ``dask scheduler`` and two ``dask worker`` processes are started on localhost for the module;
the check run on them must give the local engine's areas (1e-9 relative) and verdicts, on a case
whose farmland has overlapping features and features crossing many tiles, with tiles made small
(``HYGIS_TILE_FEATURES``) so that the layer is really cut.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hygis.engine.distributed import local_cluster, partition, tile_features
from hygis.engine.index import LayerIndex
from hygis.engine.overlap import disjoint_layer
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.distributed

GK = "EPSG:4546"
#: South-west corner of the case (metres, EPSG:4546): inside Hengyang, so no territory warning.
X0, Y0 = 620_000.0, 2_960_000.0
#: Features per tile in these tests: the ~600 patches make a dozen tiles or more.
PER_TILE = 40


def farmland_geoms(rng: np.random.Generator) -> np.ndarray:
    """~600 patches over 12 km: squares, L-shapes (non-convex), some with a hole, overlapping extras,
    and long diagonal strips that cross many tiles and overlap the patches they pass."""
    gx, gy = np.meshgrid(np.arange(20), np.arange(20))
    x = X0 + gx.ravel() * 600.0 + rng.uniform(0, 100, gx.size)
    y = Y0 + gy.ravel() * 600.0 + rng.uniform(0, 100, gx.size)
    side = rng.uniform(250, 450, gx.size)
    patches = shapely.box(x, y, x + side, y + side)
    notched = np.arange(gx.size) % 5 == 1
    patches[notched] = shapely.difference(
        patches[notched],
        shapely.box(x[notched], y[notched], x[notched] + side[notched] / 2, y[notched] + 100),
    )
    holed = np.arange(gx.size) % 7 == 3
    c = shapely.centroid(patches[holed])
    patches[holed] = shapely.difference(patches[holed], shapely.buffer(c, 40.0, quad_segs=4))
    pick = rng.choice(gx.size, 60, replace=False)
    extra = shapely.box(x[pick] + 150, y[pick] + 150, x[pick] + 500, y[pick] + 420)
    t = np.linspace(0, 1, 30)
    strips = [
        shapely.buffer(
            shapely.LineString(np.c_[X0 + 300 + 11_000 * t, Y0 + 500 + k * 2500 + 6000 * t**1.2]), 35
        )
        for k in range(4)
    ]
    return np.concatenate([patches, extra, np.array(strips, dtype=object)])


def project_frame(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """~300 projects: rotated rectangles, corridors (lines with width_m), a multipolygon with a hole,
    a point."""
    n = 260
    cx, cy = X0 + rng.uniform(0, 12_000, n), Y0 + rng.uniform(0, 12_000, n)
    w, h = rng.uniform(40, 1600, n), rng.uniform(40, 700, n)
    rects = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    rects = np.array(
        [shapely.affinity.rotate(r, a) for r, a in zip(rects, rng.uniform(0, 90, n))], dtype=object
    )
    k = 40
    sx, sy = X0 + rng.uniform(1000, 6000, k), Y0 + rng.uniform(1000, 11_000, k)
    walk = np.cumsum(rng.normal(0, 0.25, (k, 12)), axis=1) + rng.uniform(-0.5, 0.5, (k, 1))
    lx = sx[:, None] + np.cumsum(np.cos(walk) * 500, axis=1)
    ly = sy[:, None] + np.cumsum(np.sin(walk) * 500, axis=1)
    lines = shapely.linestrings(np.stack([lx, ly], axis=2))
    ring = shapely.box(X0 + 2500, Y0 + 2500, X0 + 5100, Y0 + 4700)
    multi = shapely.MultiPolygon(
        [
            shapely.Polygon(
                ring.exterior.coords,
                [shapely.box(X0 + 3000, Y0 + 3000, X0 + 4000, Y0 + 4000).exterior.coords[::-1]],
            ),
            shapely.box(X0 + 7000, Y0 + 7000, X0 + 8200, Y0 + 7900),
        ]
    )
    geoms = np.concatenate([rects, lines, np.array([multi, shapely.Point(X0 + 930, Y0 + 930)], dtype=object)])
    kinds = ["交通基建", "产业升级", "民生保障", "文旅发展"]
    return gpd.GeoDataFrame(
        {
            "project_id": [f"P{i:04d}" for i in range(len(geoms))],
            "name": [f"项目{i}" for i in range(len(geoms))],
            "group": [kinds[i % 4] for i in range(len(geoms))],
            "width_m": np.r_[np.full(n, np.nan), rng.uniform(20, 80, k), np.nan, np.nan],
        },
        geometry=geoms,
        crs=GK,
    )


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> dict[str, Path]:
    """The case's two files (GeoParquet, EPSG:4546), written once for the module."""
    folder = tmp_path_factory.mktemp("dist-case")
    rng = np.random.default_rng(20261201)
    geoms = farmland_geoms(rng)
    farmland = gpd.GeoDataFrame({"patch_id": np.arange(len(geoms))}, geometry=geoms, crs=GK)
    paths = {"projects": folder / "projects.parquet", "permanent_farmland": folder / "farmland.parquet"}
    project_frame(rng).to_parquet(paths["projects"])
    farmland.to_parquet(paths["permanent_farmland"])
    return paths


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory) -> Iterator[str]:
    """A real cluster on localhost: ``dask scheduler`` (a free port) and two ``dask worker`` (1 thread)."""
    pytest.importorskip("distributed")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        # The session's cache (conftest's _own_cache), where the compiled kernel is built once.
        "HYGIS_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "hygis-cache"),
    }
    with local_cluster(tmp_path_factory.mktemp("dask-cluster"), workers=2, env=env) as (address, _pids):
        yield address


def _report(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"project_id": str})


def _check(case: dict[str, Path], out: Path, *flags: str) -> pd.DataFrame:
    args = ["--projects", str(case["projects"]), "--permanent-farmland", str(case["permanent_farmland"])]
    run_cli("check", *args, *flags, "--out", str(out), check=True)
    return _report(out)


def _assert_same(got: pd.DataFrame, local: pd.DataFrame) -> None:
    assert list(got.project_id) == list(local.project_id)
    assert list(got.control_line) == list(local.control_line)
    a, b = got.overlap_ha.to_numpy(float), local.overlap_ha.to_numpy(float)
    # Not measured (the point, checked by containment) on both, or within 1e-9 of each other.
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert list(got.verdict) == list(local.verdict)
    pd.testing.assert_series_equal(got.point_inside, local.point_inside)
    # The 用地预审 count of farmland patches each project touches: from the engine's (site, feature) pairs.
    pd.testing.assert_series_equal(got.overlap_patches, local.overlap_patches)
    assert local.overlap_patches.max() > 1


def test_check_on_a_cluster_gives_the_local_engines_figures(case, scheduler, tmp_path, monkeypatch):
    monkeypatch.setenv("HYGIS_TILE_FEATURES", str(PER_TILE))
    local = _check(case, tmp_path / "local.csv", "--engine", "local")
    on_cluster = _check(case, tmp_path / "cluster.csv", "--scheduler", scheduler)
    farmland = local.control_line == "permanent_farmland"
    # The case is worth its name: many projects touch the farmland, the point is tested by containment.
    assert (local.overlap_ha[farmland] > 0).sum() > 100
    assert local.point_inside.notna().any()
    _assert_same(on_cluster, local)


def test_engine_dask_takes_the_scheduler_from_the_environment(case, scheduler, tmp_path, monkeypatch):
    monkeypatch.setenv("HYGIS_TILE_FEATURES", str(PER_TILE))
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", scheduler)
    proc = run_cli(
        "check",
        "--projects",
        str(case["projects"]),
        "--permanent-farmland",
        str(case["permanent_farmland"]),
        "--engine",
        "dask",
        "--out",
        str(tmp_path / "env.csv"),
        check=True,
    )
    assert scheduler in proc.stderr  # the progress names the cluster it ran on
    local = _check(case, tmp_path / "local.csv", "--engine", "local")
    _assert_same(_report(tmp_path / "env.csv"), local)


def test_no_tile_holds_the_layer_and_every_overlap_is_in_exactly_one_tile(case):
    sites_frame = gpd.read_parquet(case["projects"])
    lines = sites_frame.geom_type == "LineString"
    sites = sites_frame.geometry.to_numpy().copy()
    sites[lines] = shapely.buffer(sites[lines], 25.0, cap_style="flat")
    sites = sites[shapely.get_type_id(sites) != 0]  # the point is tested by containment, not measured
    layer = LayerIndex.from_layer(
        disjoint_layer(gpd.read_parquet(case["permanent_farmland"]).geometry.to_numpy())
    )
    part = partition(sites, layer, PER_TILE)
    tiles = part.tiles()
    features = [tile_features(layer, part.bounds[items])[1] for items in tiles]
    held = np.array([len(f) for f in features])
    assert len(tiles) >= 9 and held.max() < len(layer) / 3
    # Sites crossing tile borders were cut, into pieces that tile them.
    assert len(part.site) > len(sites)
    np.testing.assert_allclose(
        np.bincount(part.site, shapely.area(part.geoms)), shapely.area(sites), rtol=1e-10
    )
    # Features crossing tiles (the strips, the groups they were dissolved into) go to several.
    assert np.bincount(np.concatenate(features)).max() > 1
    # Every (site, feature) overlap is measured once, whole, in the tiles its pieces went to.
    whole = _pair_areas(sites, np.arange(len(sites)), layer, np.arange(len(layer)))
    tiled: dict[tuple[int, int], float] = {}
    for items, feats in zip(tiles, features):
        for key, area in _pair_areas(part.geoms[items], part.site[items], layer, feats).items():
            tiled[key] = tiled.get(key, 0.0) + area
    assert set(tiled) == set(whole) and len(whole) > 100
    for key, area in whole.items():
        assert tiled[key] == pytest.approx(area, rel=1e-9), key


def _pair_areas(geoms: np.ndarray, owner: np.ndarray, layer: LayerIndex, feats: np.ndarray) -> dict:
    """GEOS area of every (owner, feature) intersection with area, over the features ``feats``."""
    shapes = layer.geoms[feats]
    gi, fi = shapely.STRtree(shapes).query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[gi], shapes[fi]))
    keep = area > 1e-6
    out: dict[tuple[int, int], float] = {}
    for o, f, a in zip(owner[gi[keep]].tolist(), feats[fi[keep]].tolist(), area[keep].tolist()):
        out[(o, f)] = out.get((o, f), 0.0) + a
    return out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_closed_port()}"
    proc = run_cli("check", "--scheduler", address, "--out", str(tmp_path / "r.csv"))
    assert proc.returncode == 2
    assert (
        address in proc.stderr and "dask scheduler" in proc.stderr and f"dask worker {address}" in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.csv").exists()


def test_scheduler_with_the_local_engine_is_refused(tmp_path):
    proc = run_cli(
        "check", "--engine", "local", "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path / "r.csv")
    )
    assert proc.returncode == 2 and "--engine local" in proc.stderr and "Traceback" not in proc.stderr
