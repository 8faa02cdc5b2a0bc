"""Investment by county: hand-computed splits on two 1 km units, and the embedded projects' totals."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

import hygis
from hygis.analysis import counties
from hygis.engine.area import measure
from hygis.plan import layers

from .analysis_fixtures import GK, box, pt, two_counties


def _projects(rows):
    return gpd.GeoDataFrame(
        {
            "project_id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "group": [r[1] for r in rows],
            "investment_yi": [r[2] for r in rows],
            "county_code": [r[3] for r in rows],
        },
        geometry=[r[4] for r in rows],
        crs=GK,
    )


@pytest.fixture
def alloc_table():
    projects = _projects(
        [
            ("POLY", "产业", 100.0, "", box(400, 0, 1400, 100)),  # area 60 / 40
            (
                "LINE",
                "交通",
                130.0,
                "",
                shapely.LineString([pt(200, 500), pt(1500, 500)]),
            ),  # length 800 / 500
            ("PT", "交通", 10.0, "", pt(1500, 500)),  # in B
            ("EDGE", "交通", 10.0, "", pt(1000, 500)),  # on the border: halved
            ("LIST", "文旅", 50.0, "439901;439902", None),  # listed: equal split
            ("ODD", "文旅", 20.0, "439999;439901", None),  # unknown code ignored
            ("NONE", "文旅", 40.0, "", None),  # unallocated
        ]
    )
    return projects


def test_split_rules_by_hand(alloc_table):
    table = counties.investment_by_county(alloc_table, two_counties()).set_index("code")
    # A: 60 + 80 + 0 + 5 + 25 + 20 = 190;  B: 40 + 50 + 10 + 5 + 25 = 130 — POLY's 60/40 by its
    # ellipsoidal areas (椭球面积), which differ from the plane's by the projection's scale across it (~1e-6).
    in_a, in_b = (measure([box(x0, 0, x1, 100)], GK)[0] for x0, x1 in ((400, 1000), (1000, 1400)))
    poly_a = 100.0 * in_a / (in_a + in_b)
    assert abs(poly_a - 60.0) > 1e-7  # not the planar split
    assert table.loc["439901", "investment_yi"] == pytest.approx(190.0 - 60.0 + poly_a, abs=1e-9)
    assert table.loc["439902", "investment_yi"] == pytest.approx(130.0 + 60.0 - poly_a, abs=1e-9)
    assert table.loc["439901", "investment_listed_yi"] == pytest.approx(45.0)
    assert table.loc["439902", "projects"] == 5 and table.loc["439901", "projects"] == 5
    assert table.attrs["unallocated_yi"] == pytest.approx(40.0)
    assert list(table.attrs["unallocated"]["project_id"]) == ["NONE"]
    assert table["investment_yi"].sum() + table.attrs["unallocated_yi"] == pytest.approx(
        table.attrs["total_yi"]
    )


def test_allocation_rows_say_the_method(alloc_table):
    alloc = counties.allocate_projects(alloc_table, two_counties())
    methods = alloc.groupby("project_id")["method"].first()
    assert methods.to_dict() == {
        "EDGE": "point",
        "LINE": "length",
        "LIST": "listed",
        "NONE": "unallocated",
        "ODD": "listed",
        "POLY": "area",
        "PT": "point",
    }
    line = alloc[alloc["project_id"] == "LINE"].set_index("code")["share"]
    assert line["439901"] == pytest.approx(800 / 1300) and line["439902"] == pytest.approx(500 / 1300)
    assert "439999" in alloc.loc[alloc["project_id"] == "ODD", "note"].iloc[0]


def test_by_group_every_combination(alloc_table):
    g = counties.investment_by_county_and_group(alloc_table, two_counties())
    assert len(g) == 2 * 3
    cell = g[(g["code"] == "439902") & (g["group"] == "交通")]["investment_yi"].iloc[0]
    assert cell == pytest.approx(50 + 10 + 5)


def test_embedded_projects_nothing_dropped():
    table = counties.investment_by_county()
    total = layers.load("projects")["investment_yi"].sum()
    assert table.attrs["total_yi"] == pytest.approx(total) == pytest.approx(2430.0)
    assert table["investment_yi"].sum() + table.attrs["unallocated_yi"] == pytest.approx(total)
    assert list(table.columns[:3]) == ["code", "name", "investment_yi"] and len(table) == 12
    report = counties.with_unallocated_row(table)
    assert report.iloc[-1]["investment_yi"] == pytest.approx(report.iloc[:-1]["investment_yi"].sum())


def test_embedded_geometry_disagreeing_with_listing_is_noted():
    alloc = counties.allocate_projects()
    # P14's point (±2 km) falls in 珠晖区 while its listing says 雁峰区: the allocation says so.
    p14 = alloc[alloc["project_id"] == "P14"]
    assert (p14["method"] == "area").all() and "county_code lists 430406" in p14["note"].iloc[0]


def test_town_counts_embedded():
    towns = counties.town_counts().set_index("name")
    assert towns["county_seats"].sum() == 7  # tier 2: the seven county seats
    us = layers.load("urban_system")
    changning = us[(us["tier"] == 3) & us["county_code"].eq("430482")]
    assert towns.loc["常宁市", "featured_towns"] == len(changning)
    assert towns["towns"].sum() == us["tier"].isin([2, 3]).sum()


def test_choropleth_frame_has_the_twelve_polygons():
    gdf = counties.with_geometry(counties.county_table())
    assert len(gdf) == 12 and gdf.crs.to_epsg() == 4326 and "investment_yi" in gdf


def test_missing_investment_column_is_a_clear_error(alloc_table):
    with pytest.raises(hygis.HygisInputError, match="investment_field"):
        counties.investment_by_county(alloc_table.drop(columns="investment_yi"), two_counties())


def test_investment_split_by_approximate_sites_is_flagged():
    table = counties.investment_by_county()
    alloc = counties.allocate_projects()
    # Every embedded located project is schematic or approximate, so all of its split is indicative.
    by_geometry = alloc.loc[alloc["method"].isin(["area", "length", "point"]), "investment_yi"].sum()
    assert by_geometry > 0
    assert table["investment_approximate_yi"].sum() == pytest.approx(by_geometry)
    assert not alloc.loc[alloc["method"] == "listed", "approximate"].any()
