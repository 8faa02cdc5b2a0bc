"""Control-line statistics.

Hand calculations on small fixtures, invariants, and an independent engine on the embedded data.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import hygis
from hygis.analysis import stats
from hygis.engine.area import measure
from hygis.plan import layers

from .analysis_fixtures import box, lines, two_counties


def _stats(area="planar", **kw):
    # Hand calculations are in the plane of EPSG:4546 (area="planar"); the default is ellipsoidal.
    inputs = hygis.resolve(**lines(**kw))
    return stats.control_line_stats(inputs, two_counties(), area=area)


def test_default_areas_are_ellipsoidal_and_say_so():
    table = _stats(area="ellipsoidal", farmland=[box(400, 0, 1400, 100)])
    pf = table[table["line"] == "permanent_farmland"].set_index("name")
    part_a = gpd.GeoSeries([box(400, 0, 1000, 100)], crs="EPSG:4546")  # the 600 m in 甲县
    assert pf.loc["甲县", "area_ha"] == pytest.approx(measure(part_a)[0] / 1e4, rel=1e-7)
    assert "ellipsoidal" in table.attrs["area_method"]
    assert "EPSG:4546" in _stats(farmland=[box(400, 0, 1400, 100)]).attrs["area_method"]


def test_farmland_patch_split_60_40_with_union_semantics():
    # A 1000 m × 100 m patch (10 ha) from x=400 to 1400: 600 m in A, 400 m in B; a second patch
    # lies wholly on the first (must count once).
    table = _stats(farmland=[box(400, 0, 1400, 100), box(400, 0, 900, 100)])
    pf = table[table["line"] == "permanent_farmland"].set_index("name")
    assert pf.loc["甲县", "area_ha"] == pytest.approx(6.0, abs=1e-6)
    assert pf.loc["乙县", "area_ha"] == pytest.approx(4.0, abs=1e-6)
    assert pf.loc["甲县", "area_mu"] == pytest.approx(90.0, abs=1e-4)  # 6 ha × 15 亩/ha
    assert pf.loc["甲县", "area_km2"] == pytest.approx(0.06, abs=1e-8)
    assert pf.loc["甲县", "share_pct"] == pytest.approx(6.0, abs=1e-6)  # of 100 ha of land
    assert pf.loc["甲县", "land_area_km2"] == pytest.approx(1.0, abs=1e-8)
    city = pf[pf["level"] == "city"].iloc[0]
    assert city["area_ha"] == pytest.approx(10.0, abs=1e-6) and city["share_pct"] == pytest.approx(
        5.0, abs=1e-6
    )
    assert city["code"] == "439900"
    assert set(table["crs"]) == {"EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E)"}


def test_part_outside_the_units_is_not_counted_and_is_noted():
    table = _stats(redline=[box(1900, 900, 2100, 1000)])  # 2 ha, half outside B
    rl = table[(table["line"] == "ecological_redline") & (table["level"] == "city")].iloc[0]
    assert rl["area_ha"] == pytest.approx(1.0, abs=1e-6)
    assert any("outside the county units" in n and "1.00 ha" in n for n in table.attrs["notes"])


def test_wide_layout_one_row_per_unit():
    table = _stats(farmland=[box(400, 0, 1400, 100)])
    w = stats.wide(table)
    assert list(w["name"]) == ["甲县", "乙县", "全市 (city total)"]
    assert w.loc[0, "permanent_farmland_area_ha"] == pytest.approx(6.0, abs=1e-6)
    assert "crs" in w.columns


@pytest.fixture(scope="module")
def embedded():
    return stats.control_line_stats()


def test_embedded_twelve_units_sum_to_the_city(embedded):
    assert embedded.attrs["banner"] and "ILLUSTRATIVE" in embedded.attrs["banner"]
    units = embedded[embedded["level"] == "county"]
    assert units["code"].nunique() == 12
    city = embedded[embedded["level"] == "city"].set_index("line")
    for line, area in units.groupby("line")["area_ha"].sum().items():
        assert area == pytest.approx(city.loc[line, "area_ha"], rel=1e-9)
    # docs/data.md: ellipsoidal 15,300.9 km² (15,310.7 in the plane of EPSG:4546); the plan's 15,310 km².
    assert city["land_area_km2"].iloc[0] == pytest.approx(15310, rel=3e-3)


def test_embedded_farmland_against_geopandas_overlay(embedded):
    """An independent path.

    Dissolve the farmland, intersect with the counties by geopandas.overlay, measure.
    """
    crs = hygis.crs.area_crs_for(layers.load("counties"))
    counties = layers.load("counties").to_crs(crs)[["code", "geometry"]]
    farmland = layers.load("permanent_farmland").to_crs(crs)
    dissolved = gpd.GeoDataFrame(geometry=[shapely.union_all(farmland.geometry.to_numpy())], crs=crs)
    ref = gpd.overlay(counties, dissolved, how="intersection", keep_geom_type=True)
    ref = ref.assign(ha=measure(ref.geometry) / 1e4).groupby("code")["ha"].sum()
    ours = embedded[(embedded["line"] == "permanent_farmland") & (embedded["level"] == "county")].set_index(
        "code"
    )["area_ha"]
    np.testing.assert_allclose(ours.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=1e-9)
    # the illustrative patches are built not to overlap, so the union loses nothing
    assert measure(farmland.geometry).sum() / 1e4 == pytest.approx(ours.sum(), rel=1e-9)


def test_county_layer_without_code_is_a_clear_error():
    with pytest.raises(hygis.HygisInputError, match="'code' and 'name'"):
        stats.control_line_stats(None, two_counties().rename(columns={"code": "dm"}))
