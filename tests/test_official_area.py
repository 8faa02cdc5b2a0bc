"""A layer's official area field (TBMJ …) against hygis's ellipsoidal areas: the data-quality line."""

from __future__ import annotations

import geopandas as gpd
import pyproj
import pytest
import shapely

import hygis
from hygis.io.fields import find_field
from hygis.plan.inputs import official_area_quality

GEOD = pyproj.Geod(ellps="GRS80")


def patches(n: int = 6) -> gpd.GeoDataFrame:
    """Farmland patches near 耒阳 (113.0°E), 300 m squares, in lon/lat."""
    to = pyproj.Transformer.from_crs("EPSG:4547", 4490, always_xy=True)
    geoms = []
    for k in range(n):
        x, y = 530_000 + 400 * k, 2_920_000
        xs, ys = to.transform([x, x + 300, x + 300, x], [y, y, y + 300, y + 300])
        geoms.append(shapely.Polygon(zip(xs, ys)))
    gdf = gpd.GeoDataFrame({"BSM": [str(k) for k in range(n)]}, geometry=geoms, crs=4490)
    # The survey's figure, independently: Karney's geodesic area (m²), as 三调 stores TBMJ.
    gdf["TBMJ"] = [round(abs(GEOD.geometry_area_perimeter(g)[0]), 2) for g in geoms]
    return gdf


def test_a_faithful_layer_gives_a_tiny_difference():
    [line] = official_area_quality(patches(), "permanent farmland")
    assert "TBMJ (m²)" in line and "6 features" in line and "0.000%" in line


def test_an_edited_feature_is_named():
    gdf = patches()
    gdf.loc[3, "TBMJ"] *= 1.02
    [line] = official_area_quality(gdf, "permanent farmland")
    assert "2.000%" in line and "feature #4" in line and "Above 0.1 %" in line


def test_planar_areas_stored_as_official_ones_show():
    gdf = patches()
    gdf["TBMJ"] = gdf.to_crs("EPSG:4546").area  # the plane of CM 111°E, 2° away
    [line] = official_area_quality(gdf, "permanent farmland")
    assert "Above 0.1 %" in line


def test_a_field_in_hectares_or_mu_is_recognised():
    gdf = patches().rename(columns={"TBMJ": "面积"})
    gdf["面积"] = gdf["面积"] * 15 / 10000
    [line] = official_area_quality(gdf, "x")
    assert "面积 (亩)" in line and "0.000%" in line


def test_no_field_no_line_and_the_line_reaches_the_check(tmp_path):
    assert official_area_quality(patches().drop(columns="TBMJ"), "x") == []
    gdf = patches()
    gdf.loc[0, "TBMJ"] *= 0.9
    path = tmp_path / "jbnt.gpkg"
    gdf.to_file(path)
    with pytest.warns(hygis.errors.HygisWarning, match="data quality"):
        inputs = hygis.resolve(permanent_farmland=path)
    assert any("10.000%" in n and "feature #1" in n for n in inputs.notes)


def test_aliases_are_found_whatever_the_case():
    assert find_field(["objectid", "tbmj"], "official_area") == "tbmj"
    assert find_field(["DLBM", "ZLDJ"], "quality_grade") == "ZLDJ"
    assert find_field(["x"], "land_class") is None
