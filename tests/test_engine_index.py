"""The prepared, cached control-line index: same answers as the engine's own layer, never stale."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
import shapely

from hygis.engine.index import GridIndex, LayerIndex, cache_key, content_hash, entries
from hygis.engine.overlap import disjoint_layer, overlap

from .check_fixtures import check_args, write_fixture


def _layer_geoms(rng: np.random.Generator, n: int = 400) -> np.ndarray:
    """Stars (non-convex), some holed, some overlapping each other, over 10 km."""
    cx, cy = rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n)
    ang = (np.arange(9) + rng.uniform(0.1, 0.9, (n, 9))) * (2 * np.pi / 9)
    r = rng.uniform(80, 300, (n, 1)) * rng.uniform(0.55, 1.0, (n, 9))
    xy = np.stack([cx[:, None] + np.cos(ang) * r, cy[:, None] + np.sin(ang) * r], axis=2)
    geoms = shapely.polygons(np.concatenate([xy, xy[:, :1]], axis=1))
    holed = np.arange(0, n, 7)
    geoms[holed] = shapely.difference(geoms[holed], shapely.buffer(shapely.points(cx[holed], cy[holed]), 20))
    return geoms


def test_grid_finds_the_same_candidates_as_an_strtree():
    rng = np.random.default_rng(3)
    x0, y0 = rng.uniform(0, 1000, (2, 2000))
    w, h = rng.uniform(0, 60, (2, 2000))
    feats = shapely.box(x0, y0, x0 + w, y0 + h)
    queries = shapely.box(*rng.uniform(-50, 1050, (2, 300)), *rng.uniform(-50, 1050, (2, 300)))
    queries = np.r_[
        queries, feats[:200], shapely.box(-500, -500, -400, -400)
    ]  # shared edges; outside the grid
    grid = GridIndex.build(shapely.bounds(feats))
    got = set(zip(*grid.query(queries)))
    want = set(zip(*shapely.STRtree(feats).query(queries)))
    assert got == want


def test_the_grid_query_gives_geos_pairs_in_order_compiled_or_not(monkeypatch):
    """The grid query must give exactly the pairs of boxes GEOS finds meeting (touching counts),
    sorted by box then feature: the engine sums each site's overlap in pair order, so another
    order could change an area in its last digit. Without numba the same function runs
    uncompiled (one implementation): the very same arrays."""
    from hygis.engine import kernel

    rng = np.random.default_rng(5)
    x0, y0 = rng.uniform(0, 1000, (2, 5000))
    w, h = rng.uniform(0, 60, (2, 5000))
    boxes = np.c_[x0, y0, x0 + w, y0 + h]
    grid = GridIndex.build(boxes)
    q = np.r_[
        np.c_[x0[:500], y0[:500], x0[:500] + w[:500], y0[:500] + h[:500]],  # shared edges
        np.sort(rng.uniform(-100, 1100, (2000, 2, 2)), axis=1).reshape(-1, 4),
        [[-500, -500, -400, -400], [2000, 0, 2100, 50], [np.nan, 0, 1, 1], [-1e9, -1e9, 1e9, 1e9]],
    ]
    got = grid.query_bounds(q)
    finite = np.flatnonzero(np.isfinite(q).all(axis=1))
    qi, fj = shapely.STRtree(shapely.box(*boxes.T)).query(shapely.box(*q[finite].T))
    order = np.lexsort((fj, finite[qi]))
    want = (finite[qi][order], fj[order])
    assert len(want[0]) > 10_000
    for g, e in zip(got, want):
        np.testing.assert_array_equal(g, e)
    # Uncompiled, on a part (pure Python is slow): the same arrays as compiled.
    small = q[::20]
    compiled = grid.query_bounds(small)
    monkeypatch.setattr(kernel, "MODE", "plain")
    plain = grid.query_bounds(small)
    for g, e in zip(plain, compiled):
        np.testing.assert_array_equal(g, e)


def test_prepared_index_measures_as_the_engine(tmp_path):
    rng = np.random.default_rng(7)
    layer = disjoint_layer(_layer_geoms(rng))
    assert layer.dissolved_groups > 0  # overlapping features were merged: union semantics kept
    sites = shapely.buffer(shapely.points(rng.uniform(0, 10_000, (300, 2))), rng.uniform(50, 900, 300))
    sites[::10] = shapely.buffer(shapely.linestrings(rng.uniform(0, 10_000, (30, 6, 2))), 25)
    want, want_geom = overlap(sites, layer, workers=1)
    LayerIndex.from_layer(layer).save(tmp_path / "idx")
    index = LayerIndex.load(tmp_path / "idx")
    got, got_geom = overlap(sites, index, workers=1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    got_area = np.array([0.0 if g is None else g.area for g in got_geom])
    np.testing.assert_allclose(got_area, want, rtol=1e-9, atol=1e-6)
    # Point containment through the index's grid (the check's test for point projects).
    pts = shapely.points(rng.uniform(0, 10_000, (500, 2)))
    pi, _ = index.tree.query(pts, predicate="intersects")
    assert set(pi) == set(shapely.STRtree(layer.geoms).query(pts, predicate="intersects")[0])


def test_a_changed_file_gets_a_new_key(tmp_path, monkeypatch):
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "layer.geojson"
    f.write_text('{"type": "FeatureCollection", "features": []}')
    first = cache_key(f, {"crs": None})
    assert cache_key(f, {"crs": None}) == first
    assert cache_key(f, {"crs": "EPSG:4490"}) != first
    digest = content_hash(f)
    f.write_text('{"type": "FeatureCollection", "features": [] }')  # same second, other bytes
    os.utime(f, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert content_hash(f) != digest
    assert cache_key(f, {"crs": None}) != first


def _farmland_rows(csv) -> pd.DataFrame:
    rep = pd.read_csv(csv, encoding="utf-8-sig")
    return rep[rep.control_line == "permanent_farmland"].set_index("project_id")


def test_warm_check_gives_the_cold_report_and_a_changed_layer_is_reread(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))  # empty: the first run is cold
    paths = write_fixture(tmp_path / "in")
    args = check_args(paths)
    cold = cli(*args, "--out", str(tmp_path / "cold.csv"), check=True)
    assert "cached" not in cold.stderr
    warm = cli(*args, "--out", str(tmp_path / "warm.csv"), check=True)
    assert "permanent_farmland: 3 features (prepared index, cached)" in warm.stderr
    assert (tmp_path / "cold.csv").read_bytes() == (tmp_path / "warm.csv").read_bytes()
    # The repair notes of the first reading are in the warm report too.
    assert (tmp_path / "cold-meta.csv").read_text(encoding="utf-8-sig").count("farmland") == (
        tmp_path / "warm-meta.csv"
    ).read_text(encoding="utf-8-sig").count("farmland")
    assert len([e for e in entries() if e.get("layer") == "permanent_farmland"]) == 1

    # The office edits the farmland: drop the patch project B crossed; the next check must see it.
    import geopandas as gpd

    shp = paths["permanent_farmland"]
    fl = gpd.read_file(shp, encoding="GBK")
    fl.iloc[1:].to_file(shp, engine="pyogrio", encoding="GBK")
    after = cli(*args, "--out", str(tmp_path / "after.csv"), check=True)
    assert (
        "permanent_farmland: 2 features" in after.stderr
        and "cached" not in after.stderr.split("permanent_farmland: 2")[1][:40]
    )
    before, now = _farmland_rows(tmp_path / "cold.csv"), _farmland_rows(tmp_path / "after.csv")
    assert before.loc["B", "overlap_ha"] > 0 and now.loc["B", "overlap_ha"] == 0

    nocache = cli(*args, "--no-cache", "--out", str(tmp_path / "nocache.csv"), check=True)
    assert "cached" not in nocache.stderr
    assert _farmland_rows(tmp_path / "nocache.csv")["overlap_ha"].equals(now["overlap_ha"])


def test_index_command_builds_lists_and_clears(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    paths = write_fixture(tmp_path / "in")
    built = cli("index", "build", "--permanent-farmland", str(paths["permanent_farmland"]), check=True)
    assert "permanent_farmland: 3 features" in built.stdout and "— prepared" in built.stdout
    again = cli("index", "build", "--permanent-farmland", str(paths["permanent_farmland"]), check=True)
    assert "already prepared" in again.stdout
    info = cli("index", "info", check=True)
    assert "1 prepared layer(s)" in info.stdout and "farmland_gbk.shp" in info.stdout
    check = cli(
        "check",
        "--permanent-farmland",
        str(paths["permanent_farmland"]),
        "--projects",
        str(paths["projects"]),
        "--out",
        str(tmp_path / "r.csv"),
        check=True,
    )
    assert "(prepared index, cached)" in check.stderr
    assert "removed 1 prepared layer(s)" in cli("index", "clear", check=True).stdout
    assert "0 prepared layer(s)" in cli("index", "info", check=True).stdout


def test_a_large_lines_validity_tested_beside_its_index_repairs_as_reading_does(
    tmp_path, monkeypatch, recwarn
):
    """A large line is read without the validity test, which runs in a thread while its index is
    prepared; an invalid feature then means reading it again with repairs: same figures and notes
    as the check of the features read and repaired first, each repair said once."""
    import geopandas as gpd

    import hygis
    from hygis.engine import index as index_module
    from hygis.plan.inputs import resolve

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(index_module, "SETTLE_IN_THREAD", 0)  # every layer takes the thread
    paths = write_fixture(tmp_path / "in")  # the farmland holds a bow-tie
    files = {name: str(path) for name, path in paths.items()}
    deferred = resolve(**files, defer=True)
    assert set(deferred.deferred) >= {"permanent_farmland"}
    got = hygis.check_projects(deferred, area="planar")
    said = [str(w.message) for w in recwarn if "repaired with make-valid" in str(w.message)]
    assert len(said) == 1 and "feature #1" in said[0]
    assert any("repaired with make-valid" in n for n in got.attrs["warnings"])

    read_first = resolve(**{k: gpd.read_file(v) if k != "projects" else v for k, v in files.items()})
    want = hygis.check_projects(read_first, area="planar")
    cols = ["project_id", "control_line", "overlap_ha", "verdict"]
    pd.testing.assert_frame_equal(
        got[cols].reset_index(drop=True), want[cols].reset_index(drop=True), check_exact=False, rtol=1e-9
    )
    assert (want.control_line == "permanent_farmland").any() and got.overlap_ha.sum() > 0


def test_what_reading_a_large_line_says_is_what_its_settled_features_say(tmp_path, monkeypatch, recwarn):
    """Read before its validity is known, a line's data-quality line (TBMJ against hygis's areas)
    would be computed on an unrepaired bow-tie; shown, it would contradict the report. Every warning
    shown must be one of the check's final notes, and none twice."""
    import geopandas as gpd

    import hygis
    from hygis.engine import index as index_module
    from hygis.plan.inputs import resolve

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(index_module, "SETTLE_IN_THREAD", 0)
    paths = write_fixture(tmp_path / "in")
    farmland = gpd.read_file(paths["permanent_farmland"], encoding="GBK")
    repaired = shapely.make_valid(farmland.to_crs("EPSG:4546").geometry.values)
    farmland["TBMJ"] = shapely.area(repaired)  # the survey's areas, of the repaired patches
    gpkg = tmp_path / "farmland.gpkg"
    farmland.to_file(gpkg, layer="YJJBNT")
    files = {name: str(path) for name, path in paths.items()} | {"permanent_farmland": str(gpkg)}
    got = hygis.check_projects(resolve(**files, defer=True), area="planar")
    shown = [str(w.message) for w in recwarn if "permanent farmland" in str(w.message)]
    assert any("TBMJ" in s for s in shown) and any("make-valid" in s for s in shown)
    assert len(shown) == len(set(shown))
    assert set(shown) <= set(got.attrs["warnings"])


def _patches_file(tmp_path, n=60):
    """A valid farmland of ``n`` patches (stars with a notch, one with a hole) in EPSG:4546, with
    the survey attributes the check itemises."""
    import geopandas as gpd

    rng = np.random.default_rng(7)
    shapes = []
    for i in range(n):
        x, y = 560_000 + (i % 10) * 300.0, 2_990_000 + (i // 10) * 300.0
        a = np.linspace(0, 2 * np.pi, 9)[:-1]
        r = np.where(np.arange(8) % 2, 60.0, 120.0) + rng.uniform(0, 10, 8)
        shell = np.c_[x + r * np.cos(a), y + r * np.sin(a)]
        hole = [shapely.box(x - 10, y - 10, x + 10, y + 10).exterior.coords] if i == 3 else None
        shapes.append(shapely.Polygon(shell, hole))
    frame = gpd.GeoDataFrame(
        {"DLBM": ["0101", "0102", "0103"] * (n // 3), "ZLDJ": [str(1 + i % 15) for i in range(n)]},
        geometry=shapes,
        crs="EPSG:4546",
    )
    path = tmp_path / "farmland.gpkg"
    frame.to_file(path, layer="YJJBNT")
    return path


def test_a_line_let_go_of_while_prepared_gives_the_same_index_and_is_read_again_when_asked(
    tmp_path, monkeypatch
):
    """A check that needs only the index lets go of the farmland's features while their rings are
    read (a province's shapes and rings never held whole at once). The index must be the one made
    from features kept, array for array; the features must really be gone from the build; and a
    later step that needs them gets them read again from the file."""
    from pyproj import CRS

    from hygis.engine import index as index_module
    from hygis.plan.inputs import _deferred

    monkeypatch.setattr(index_module, "SETTLE_IN_THREAD", 0)  # the validity test in its thread
    path = _patches_file(tmp_path)
    kept = _deferred("permanent_farmland", path, crs=None, cache=False).index(CRS(4546), disjoint_layer)

    given: list[np.ndarray] = []

    def build(geoms, **options):
        given.append(geoms)
        return disjoint_layer(geoms, **options)

    layer = _deferred("permanent_farmland", path, crs=None, cache=False)
    lean = layer.index(CRS(4546), build, keep_features=False)
    assert len(given) == 1 and len(given[0]) == 60
    assert all(g is None for g in given[0])  # handed over and freed as the rings were read
    for name in ("areas", "convex", "clippable", "offsets", "cx", "cy", "source_row"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(kept, name), err_msg=name)
    for name in ("x", "y", "off", "sign", "start"):
        np.testing.assert_array_equal(getattr(lean.rings, name), getattr(kept.rings, name), err_msg=name)
    np.testing.assert_array_equal(lean.tree.bounds, kept.tree.bounds)
    assert lean.attributes.keys() == kept.attributes.keys() and lean.attributes
    for name, values in kept.attributes.items():
        np.testing.assert_array_equal(lean.attributes[name], values)
    assert layer.source()["features"] == 60
    assert shapely.equals(lean.geoms[3], kept.geoms[3])  # the holed patch, built from its rings
    again = layer.frame()  # a map needs them after all: read again from the file
    assert len(again) == 60 and again.geometry.iloc[3].equals(kept.geoms[3])


def test_invalid_features_are_not_let_go_of_but_repaired_and_built_again(tmp_path, monkeypatch):
    """An invalid patch (a bow-tie) found by the validity test running beside the build: the build
    keeps the features (nothing handed over), and the index is that of the repaired features, as a
    check that keeps them makes it."""
    from pyproj import CRS

    from hygis.engine import index as index_module
    from hygis.plan.inputs import _deferred

    monkeypatch.setattr(index_module, "SETTLE_IN_THREAD", 0)
    paths = write_fixture(tmp_path / "in")  # its farmland holds a bow-tie
    fl = paths["permanent_farmland"]
    with pytest.warns(UserWarning, match="make-valid"):
        kept = _deferred("permanent_farmland", fl, crs=None, cache=False).index(CRS(4546), disjoint_layer)
    given: list[np.ndarray] = []

    def build(geoms, **options):
        given.append(geoms)
        return disjoint_layer(geoms, **options)

    with pytest.warns(UserWarning, match="make-valid"):
        lean = _deferred("permanent_farmland", fl, crs=None, cache=False).index(
            CRS(4546), build, keep_features=False
        )
    assert len(given) == 2 and not any(g is None for g in given[0])  # kept, then built again
    np.testing.assert_array_equal(lean.areas, kept.areas)
    np.testing.assert_array_equal(lean.rings.x, kept.rings.x)


def test_a_deferred_check_projects_no_site_to_wgs84_and_gives_the_report_of_the_projected_ones(
    tmp_path, monkeypatch
):
    """A check of files (``resolve(defer=True)``) measures from the projects as read; their WGS 84
    copy (a map's) is made only when asked, and the report is the one of the inputs read at once.
    A deferred line's extent is finite (it chooses the area CRS with the others)."""
    import hygis
    from hygis.plan.inputs import resolve

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    paths = write_fixture(tmp_path / "in")
    files = {name: str(path) for name, path in paths.items()}
    deferred = resolve(**files, defer=True)
    assert "projects" not in deferred.__dict__
    got = hygis.check_projects(deferred, area="planar")
    assert "projects" not in deferred.__dict__  # nothing in the check asked for WGS 84
    assert np.isfinite(deferred.deferred["permanent_farmland"].bounds_wgs84()).all()

    at_once = resolve(**files)
    want = hygis.check_projects(at_once, area="planar")
    cols = ["project_id", "control_line", "overlap_ha", "verdict", "rule"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
    assert sorted(got.attrs["warnings"]) == sorted(want.attrs["warnings"])  # a deferred line says later
    # Asked for, the WGS 84 copy is the one reading at once makes, and a check then starts from it.
    assert deferred.projects.crs == "EPSG:4326"
    assert deferred.projects.geometry.geom_equals_exact(at_once.projects.geometry, 0).all()
    frame, native = deferred.projects_to_check()
    assert frame is deferred.projects and native is deferred.native_projects
