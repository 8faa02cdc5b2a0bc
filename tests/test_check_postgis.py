"""hygis's overlap areas against an independent engine, PostGIS.

The reference is ST_Area(ST_Intersection(site, ST_Union(ST_MakeValid(...)))).

PostGIS reads the files' raw geometries (before hygis repairs anything) in their own CRS, and
does the repair, the transformation to the area CRS, the union and the intersection itself.
Skipped when no PostgreSQL/PostGIS server is reachable (.ci/run installs and starts one).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

import hygis
from hygis.check.sites import footprints

from .check_fixtures import folder_hash, write_fixture
from .conftest import skip_or_fail

DB = "hygis_test"


def _psql_cmd(db: str = DB) -> list[str]:
    base = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", ",", "-d", db]
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *base]
    return [*base, "-h", os.environ.get("PGHOST", "/var/run/postgresql")]


def psql(sql: str, db: str = DB) -> str:
    proc = subprocess.run(_psql_cmd(db), input=sql, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return proc.stdout


@pytest.fixture(scope="module")
def postgis():
    if shutil.which("psql") is None:
        skip_or_fail("psql is not installed (apt-get install postgresql postgresql-postgis)")
    try:
        exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'", db="postgres").strip()
        if not exists:
            psql(f"CREATE DATABASE {DB}", db="postgres")
        psql("CREATE EXTENSION IF NOT EXISTS postgis")
        version = psql("SELECT postgis_lib_version()").strip()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        skip_or_fail(f"no PostGIS server reachable: {exc}")
    return version


def _rows(
    table: str, key: str, geoms, srid: int, *, transform_to: int | None = None, make_valid: bool = False
) -> str:
    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object), hex=True)
    expr = f"ST_SetSRID(ST_GeomFromWKB(decode(v.hex, 'hex')), {srid})"
    if make_valid:
        expr = f"ST_MakeValid({expr})"
    if transform_to:
        expr = f"ST_Transform({expr}, {transform_to})"
    values = ",\n".join(f"('{key}', '{h}')" for h in wkb)
    return f"INSERT INTO {table} SELECT v.k, {expr} FROM (VALUES {values}) AS v(k, hex);\n"


def postgis_overlaps(
    sites: dict[str, shapely.Geometry], site_srid: int, layers: dict[str, tuple], area_srid: int
) -> dict:
    """PostGIS's overlap area (m²) of each site with the union of each layer (raw geometries + their SRID)."""
    sql = [
        "CREATE TEMP TABLE ctrl(line text, geom geometry); CREATE TEMP TABLE site(pid text, geom geometry);"
    ]
    for line, (geoms, srid) in layers.items():
        sql.append(_rows("ctrl", line, geoms, srid, transform_to=area_srid, make_valid=True))
    for pid, geom in sites.items():
        sql.append(
            _rows(
                "site",
                pid,
                [geom],
                site_srid,
                transform_to=None if site_srid == area_srid else area_srid,
                make_valid=True,
            )
        )
    sql.append(
        "SELECT s.pid, u.line, ST_Area(ST_Intersection(s.geom, u.geom)) FROM site s, "
        "(SELECT line, ST_Union(geom) AS geom FROM ctrl GROUP BY line) u ORDER BY 1, 2;"
    )
    out = psql("\n".join(sql))
    result = {}
    for line in out.strip().splitlines():
        pid, layer, area = line.split(",")
        result[(pid, layer)] = float(area)
    return result


def _assert_same(report, reference: dict, what: str) -> None:
    checked = 0
    for (pid, line), ref in reference.items():
        row = report[(report.project_id == pid) & (report.control_line == line)].iloc[0]
        ours = row.overlap_ha * 1e4
        assert ours == pytest.approx(ref, rel=1e-6, abs=1e-4), (
            f"{what}: {pid} × {line}: hygis {ours} m², PostGIS {ref} m²"
        )
        checked += 1
    assert checked


def test_fixture_areas_equal_postgis(postgis, tmp_path):
    paths = write_fixture(tmp_path / "in")
    before = folder_hash(tmp_path / "in")
    # PostGIS measures in the plane of the area SRID: compare hygis's planar figures (its ellipsoidal ones are
    # checked against pyproj.Geod in tests/test_area.py and test_overlap_ellipsoidal.py).
    report = hygis.check_projects(hygis.resolve(**paths), area="planar")
    assert folder_hash(tmp_path / "in") == before

    # PostGIS gets the raw file geometries, with the files' own SRIDs; the GBK shapefile's
    # geometry does not depend on its text encoding.
    layers = {}
    for line in ("ecological_redline", "permanent_farmland", "urban_development_boundary"):
        raw = pyogrio.read_dataframe(paths[line], columns=[])  # geometry only: no decoding, no repair
        layers[line] = (raw.geometry.values, raw.crs.to_epsg())
    assert layers["ecological_redline"][1] == 4490
    assert not shapely.is_valid(layers["permanent_farmland"][0]).all(), (
        "the fixture must hold an invalid polygon"
    )
    projects = gpd.read_file(paths["projects"], engine="pyogrio")
    area_srid = hygis.resolve(**paths).area_crs().to_epsg()
    assert report.attrs["area_crs"].startswith(f"EPSG:{area_srid} (CGCS2000 / 3-degree Gauss-Kruger")
    # Polygon sites go to PostGIS raw (EPSG:4490); the railway as a 30 m flat-ended buffer made by PostGIS.
    polys = {pid: g for pid, g in zip(projects.project_id, projects.geometry) if g.geom_type == "Polygon"}
    ref = postgis_overlaps(polys, 4490, layers, area_srid)
    line = projects[projects.project_id == "F"].to_crs(area_srid).geometry.iloc[0]
    sql_line = postgis_overlaps({"F": line}, area_srid, layers, area_srid)  # the line itself: must be 0
    assert all(v == 0 for v in sql_line.values())
    corridor = psql(
        f"SELECT encode(ST_AsBinary(ST_Buffer(ST_GeomFromText('{line.wkt}', {area_srid}), 15, "
        "'quad_segs=16 endcap=flat join=round')), 'hex')"
    ).strip()
    ref.update(postgis_overlaps({"F": shapely.from_wkb(corridor)}, area_srid, layers, area_srid))
    _assert_same(report, ref, "fixture")

    # The hard cases, as a planner would read them:
    row = report.set_index(["project_id", "control_line"])
    # 12 + 24 − 8 shared = 28 ha as designed in EPSG:4546; measured in the zone the rule picks
    # (CM 114°E here), whose scale differs by about 2e-4 at this longitude.
    assert row.loc[("A", "ecological_redline"), "overlap_ha"] == pytest.approx(28.0, rel=1e-3)
    assert row.loc[("C", "permanent_farmland"), "overlap_ha"] == 0  # touching edge
    assert row.loc[("D", "urban_development_boundary"), "overlap_ha"] == 0  # in the hole
    assert row.loc[("D", "urban_development_boundary"), "verdict"] == "conflict"
    assert row.loc[("B", "permanent_farmland"), "overlap_ha"] > 0  # the repaired bow-tie counts
    assert any("invalid" in w and "make-valid" in w for w in report.attrs["warnings"])
    assert any("GB18030" in w for w in report.attrs["warnings"])


def test_embedded_layers_equal_postgis(postgis):
    """The plan's own check: the 4 located projects' sites against the 3,230 farmland patches etc."""
    inputs = hygis.resolve()
    report = hygis.check_projects(inputs, area="planar")  # PostGIS measures in the plane, as above
    area_crs = inputs.area_crs()
    sites, *_ = footprints(inputs.projects, area_crs)
    located = {pid: g for pid, g in zip(inputs.projects.project_id, sites) if g is not None}
    assert len(located) == 4
    layers = {name: (gdf.geometry.values, 4326) for name, gdf in inputs.control_lines().items()}
    ref = postgis_overlaps(located, area_crs.to_epsg(), layers, area_crs.to_epsg())
    _assert_same(report, ref, "embedded")
    assert sum(ref.values()) > 0
