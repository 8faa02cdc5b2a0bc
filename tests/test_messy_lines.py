"""Control lines as offices have them: bow-ties over their neighbours, duplicates, slivers, spikes.

Every figure of the check (ha, 亩, patches, per county, the patch list) is compared with the
union of the repaired features computed here independently — shapely ``make_valid`` and
``union_all``, ellipsoidal areas by ``pyproj.Geod`` on the CGCS2000 ellipsoid — never with what
hygis printed before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from pyproj import CRS, Geod, Transformer

from tests.check_fixtures import folder_hash
from tests.conftest import REPO

GK = "EPSG:4546"
X0, Y0 = 660_000.0, 2_975_000.0
MU_PER_HA = 15.0
#: The CGCS2000 ellipsoid (its official areas, 椭球面积).
GEOD = Geod(a=6378137.0, rf=298.257222101)


def _box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _at(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring given in metres from (X0, Y0)."""
    return [(X0 + x, Y0 + y) for x, y in ring]


def _bowtie(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.Polygon(_at([(x, y), (x + w, y + h), (x + w, y), (x, y + h)]))


def _run(*args: str, env: dict[str, str] | None = None) -> None:
    """``hygis ARGS`` as a user runs it (a subprocess), with ``env`` added; fails with its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "hygis", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
        timeout=600,
    )
    assert proc.returncode == 0, f"hygis {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr


def _check(
    folder: Path, out: Path, *extra: str, env: dict[str, str] | None = None
) -> dict[str, pd.DataFrame]:
    _run(
        "check",
        "--projects",
        str(folder / "projects.gpkg"),
        "--permanent-farmland",
        str(folder / "farmland.shp"),
        "--counties",
        str(folder / "counties.gpkg"),
        "--out",
        str(out),
        "--lang",
        "en",  # the sheets and columns by their data names (Chinese is the default for a bureau)
        *extra,
        env=env,
    )
    return pd.read_excel(out, sheet_name=None)


# --------------------------------------------------------------------------- the two reproductions
def _bowtie_case(folder: Path) -> None:
    """A bow-tie patch overlapping its neighbour (GEOS: TopologyException when merged unrepaired)."""
    folder.mkdir(parents=True, exist_ok=True)
    farmland = gpd.GeoDataFrame(
        {"TBBH": ["F1", "F2"], "DLBM": ["0101", "0103"]},
        geometry=[_bowtie(0, 0, 600, 600), _box(400, 100, 500, 400)],
        crs=GK,
    )
    farmland.to_file(folder / "farmland.shp", engine="pyogrio", encoding="UTF-8")
    gpd.GeoDataFrame(
        {"project_id": ["A"], "name": ["跨界项目"]}, geometry=[_box(300, 200, 400, 200)], crs=GK
    ).to_file(folder / "projects.gpkg")
    _counties(folder, 500)


def _counties(folder: Path, split: float) -> None:
    """Two county units split at ``X0 + split`` (XZQDM/XZQMC, as a 县级行政区 layer has them)."""
    gpd.GeoDataFrame(
        {"XZQDM": ["430421", "430422"], "XZQMC": ["衡阳县", "衡南县"]},
        geometry=[_box(-5000, -5000, 5000 + split, 10000), _box(split, -5000, 10000, 10000)],
        crs=GK,
    ).to_file(folder / "counties.gpkg")


def _expected(folder: Path, area: str) -> dict:
    """The figures computed here, without hygis: per project, per county, and patches."""
    farmland = gpd.read_file(folder / "farmland.shp").to_crs(GK)
    projects = gpd.read_file(folder / "projects.gpkg").to_crs(GK)
    counties = gpd.read_file(folder / "counties.gpkg").to_crs(GK)
    repaired = [_polygonal(shapely.make_valid(g)) for g in farmland.geometry]
    land = shapely.union_all(repaired)
    to_lonlat = Transformer.from_crs(CRS(GK), CRS("EPSG:4490"), always_xy=True)

    def ha(geom: shapely.Geometry) -> float:
        geom = _polygonal(geom)
        if area == "planar":
            return geom.area / 1e4
        lonlat = shapely.transform(geom, lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))
        return abs(GEOD.geometry_area_perimeter(lonlat)[0]) / 1e4

    # One count per piece of land: each feature's own ground is what no earlier feature covers; a
    # near duplicate's leftover narrower than 1 cm on average (2·area/perimeter) is no patch of its own.
    def patch(site: shapely.Geometry, i: int) -> bool:
        own = shapely.intersection(site, claimed[i])
        whole = shapely.intersection(site, repaired[i])
        if own.area <= 0.01:
            return False
        return whole.area - own.area < 1e-6 or 2 * own.area / own.length >= 0.01

    claimed, before = [], shapely.Polygon()
    for geom in repaired:
        claimed.append(shapely.difference(geom, before))
        before = shapely.union(before, geom)
    out: dict = {}
    for pid, site in zip(projects.project_id, projects.geometry):
        inside = shapely.intersection(site, land)
        out[pid] = {
            "ha": ha(inside),
            "patches": sum(patch(site, i) for i in range(len(claimed))),
            "county": {
                name: ha(shapely.intersection(inside, unit))
                for name, unit in zip(counties.XZQMC, counties.geometry)
                if shapely.intersection(inside, unit).area > 0.01
            },
        }
    return out


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _assert_figures(sheets: dict[str, pd.DataFrame], expected: dict) -> None:
    """Every figure of the check against the independent union, and consistent with each other."""
    rep = sheets["report"]
    rep = rep[rep.control_line == "permanent_farmland"].set_index("project_id")
    detail = sheets["farmland_detail"]
    county = sheets["by_county"]
    county = county[county.control_line == "permanent_farmland"]
    for pid, want in expected.items():
        row = rep.loc[pid]
        assert row.overlap_ha == pytest.approx(want["ha"], rel=1e-7, abs=1e-7), pid
        assert row.overlap_mu == pytest.approx(want["ha"] * MU_PER_HA, rel=1e-7, abs=1e-6), pid
        assert row.overlap_patches == want["patches"], pid
        mine = detail[detail.project_id == pid]
        assert len(mine) == want["patches"], pid  # the patch list: one row per piece of land
        assert mine.overlap_ha.sum() == pytest.approx(want["ha"], rel=1e-7, abs=1e-7), pid
        assert mine.overlap_mu.sum() == pytest.approx(want["ha"] * MU_PER_HA, rel=1e-7, abs=1e-6), pid
        by = county[county.project_id == pid].set_index("county_name")
        assert sorted(by.index) == sorted(want["county"]), pid
        for name, value in want["county"].items():
            assert by.loc[name, "overlap_ha"] == pytest.approx(value, rel=1e-7, abs=1e-7), (pid, name)
        assert by.overlap_ha.sum() == pytest.approx(want["ha"], rel=1e-7, abs=1e-7), pid


@pytest.mark.parametrize("area", ["planar", "ellipsoidal"])
def test_bowtie_overlapping_its_neighbour_topology_exception_is_repaired_then_merged(tmp_path, area):
    """Issue 20: a bow-tie over its neighbour gave `GEOSException: TopologyException` from
    disjoint_layer (with --no-cache, the numpy kernel, both area modes). Repair, then merge (compiled
    and plain kernel)."""
    _bowtie_case(tmp_path / "in")
    before = folder_hash(tmp_path / "in")
    sheets = _check(
        tmp_path / "in",
        tmp_path / f"{area}.xlsx",
        "--no-cache",
        "--area",
        area,
        env={"HYGIS_KERNEL": "plain"} if area == "planar" else None,
    )
    _assert_figures(sheets, _expected(tmp_path / "in", area))
    assert folder_hash(tmp_path / "in") == before


def test_duplicate_patches_60_listed_where_the_land_is_50_are_counted_once(tmp_path):
    """Issue 20: 50 patches of 0.25 ha, 10 of them delivered twice: overlap_ha was right (12.50 ha)
    but overlap_patches and the farmland_detail sheet said 60 patches / 15.00 ha."""
    folder = tmp_path / "in"
    folder.mkdir()
    patches = [_box(60 * i, 0, 50, 50) for i in range(50)]
    ids = [f"F{i:02d}" for i in range(50)]
    gpd.GeoDataFrame(
        {"TBBH": ids + ids[:10], "DLBM": ["0101"] * 60},
        geometry=patches + patches[:10],
        crs=GK,
    ).to_file(folder / "farmland.shp", engine="pyogrio", encoding="UTF-8")
    gpd.GeoDataFrame(
        {"project_id": ["A"], "name": ["全覆盖"]}, geometry=[_box(-10, -10, 3020, 70)], crs=GK
    ).to_file(folder / "projects.gpkg")
    _counties(folder, 1510)
    sheets = _check(folder, tmp_path / "dup.xlsx", "--area", "planar")
    row = sheets["report"].query("control_line == 'permanent_farmland'").iloc[0]
    assert row.overlap_ha == pytest.approx(12.5) and row.overlap_patches == 50
    detail = sheets["farmland_detail"]
    assert len(detail) == 50 and detail.overlap_ha.sum() == pytest.approx(12.5)
    assert sorted(detail.patch_id) == ids
    _assert_figures(sheets, _expected(folder, "planar"))


# --------------------------------------------------------------------------- an office's delivery
def _messy_farmland(rng: np.random.Generator) -> tuple[list[shapely.Geometry], list[str]]:
    """Patches as a county delivers them: every fault an office's 永久基本农田 layer has."""
    geoms: list[shapely.Geometry] = []
    kinds: list[str] = []

    def add(g: shapely.Geometry, kind: str) -> None:
        geoms.append(g)
        kinds.append(kind)

    # A field of ordinary patches (80 m, 20 m lanes), jittered.
    for i in range(6):
        for j in range(4):
            w, h = rng.uniform(60, 80, 2)
            add(_box(100 * i, 100 * j, w, h), "patch")
    # Bow-ties overlapping their neighbours.
    add(_bowtie(50, 30, 120, 60), "bow-tie over neighbours")
    add(_bowtie(330, 230, 90, 90), "bow-tie over neighbours")
    # Exact duplicates (the same 图斑 twice) and a near duplicate (its outline 1 mm off).
    add(geoms[3], "duplicate")
    add(geoms[10], "duplicate")
    add(shapely.affinity.translate(geoms[14], 0.001, 0.0), "near duplicate")
    # Slivers: a 0.5 m strip beside a patch, and a 2 cm overlap of two neighbours' shared edge.
    b = geoms[5].bounds
    add(shapely.box(b[2], b[1], b[2] + 0.5, b[3]), "sliver beside")
    b = geoms[6].bounds
    add(shapely.box(b[2] - 0.02, b[1], b[2] + 19.0, b[3]), "sliver overlap")
    # A spike: the ring runs out 30 m and back along the same line (invalid).
    add(
        shapely.Polygon(
            _at(
                [
                    (700, 0),
                    (780, 0),
                    (780, 40),
                    (810, 40),
                    (780, 40),
                    (780, 80),
                    (700, 80),
                ]
            )
        ),
        "spike",
    )
    # A ring with repeated points.
    add(
        shapely.Polygon(
            _at(
                [
                    (700, 100),
                    (700, 100),
                    (780, 100),
                    (780, 100),
                    (780, 180),
                    (700, 180),
                    (700, 180),
                ]
            )
        ),
        "repeated points",
    )
    # Two parts of one patch touching at a point.
    add(shapely.MultiPolygon([_box(700, 200, 40, 40), _box(740, 240, 40, 40)]), "parts touching at a point")
    # Holes touching the shell: at a point (valid) and along an edge (invalid).
    shell = [(700, 300), (800, 300), (800, 400), (700, 400)]
    add(
        shapely.Polygon(_at(shell), [_at([(700, 350), (740, 330), (740, 370)])]),
        "hole at a point",
    )
    shell = [(850, 300), (950, 300), (950, 400), (850, 400)]
    add(
        shapely.Polygon(_at(shell), [_at([(850, 320), (890, 320), (890, 380), (850, 380)])]),
        "hole along the shell",
    )
    return geoms, kinds


@pytest.mark.parametrize("area", ["planar", "ellipsoidal"])
def test_a_messy_office_farmland_layer_gives_the_union_of_its_repaired_land_in_every_figure(tmp_path, area):
    folder = tmp_path / "in"
    folder.mkdir()
    geoms, kinds = _messy_farmland(np.random.default_rng(20))
    invalid = [k for g, k in zip(geoms, kinds) if not g.is_valid]
    assert {"bow-tie over neighbours", "spike", "hole along the shell"} <= set(invalid)  # the case is messy
    gpd.GeoDataFrame(
        {"TBBH": [f"T{i:03d}" for i in range(len(geoms))], "DLBM": ["0101"] * len(geoms), "kind": kinds},
        geometry=geoms,
        crs=GK,
    ).to_file(folder / "farmland.shp", engine="pyogrio", encoding="UTF-8")
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["ALL", "WEST", "BOWTIE", "EAST", "SPIKE"],
            "name": ["全域", "西片", "蝶形", "东片", "尖刺"],
        },
        geometry=[
            _box(-50, -50, 1100, 500),  # every patch
            _box(-10, -10, 260, 420),  # the west field, across a county line
            _box(320, 220, 120, 120),  # the second bow-tie and its neighbours
            _box(690, 90, 300, 320),  # repeated points, parts at a point, both holes
            _box(770, 10, 60, 60),  # the spike's tip
        ],
        crs=GK,
    )
    projects.to_file(folder / "projects.gpkg")
    _counties(folder, 130)
    before = folder_hash(folder)
    extra = ("--no-cache",) if area == "planar" else ()
    env = {"HYGIS_KERNEL": "plain"} if area == "planar" else None
    sheets = _check(folder, tmp_path / "messy.xlsx", "--area", area, *extra, env=env)
    _assert_figures(sheets, _expected(folder, area))
    assert folder_hash(folder) == before


@pytest.mark.parametrize("kernel_kind", ["compiled", "plain"])
def test_bowtie_over_its_neighbour_while_a_large_lines_validity_thread_runs_is_repaired_then_merged(
    tmp_path, monkeypatch, kernel_kind
):
    """The same bow-tie in a line large enough that its validity is tested in a thread while its
    index is built (the build met the unrepaired bow-tie first): repaired, then merged."""
    import hygis
    from hygis.engine import index as index_module
    from hygis.engine import kernel
    from hygis.plan.inputs import resolve

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(index_module, "SETTLE_IN_THREAD", 0)  # every layer takes the thread
    if kernel_kind == "plain":
        monkeypatch.setattr(kernel, "MODE", "plain")
    folder = tmp_path / "in"
    _bowtie_case(folder)
    inputs = resolve(
        projects=str(folder / "projects.gpkg"), permanent_farmland=str(folder / "farmland.shp"), defer=True
    )
    got = hygis.check_projects(inputs, area="planar", planar_crs=GK, preaudit="figures")
    row = got[(got.project_id == "A") & (got.control_line == "permanent_farmland")].iloc[0]
    want = _expected(folder, "planar")["A"]
    assert row.overlap_ha == pytest.approx(want["ha"], rel=1e-9)
    assert row.overlap_patches == want["patches"]
