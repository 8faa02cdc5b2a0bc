"""Mutual-overlap QA and topology: known overlaps on fixtures, zero on the embedded lines."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import hygis
from hygis.analysis import qa
from hygis.engine.area import measure
from hygis.plan import layers

from .analysis_fixtures import GK, box, lines


def test_known_overlap_of_exactly_a_quarter_hectare():
    # Farmland F1 = [0,100]²; red line R1 = [50,150]² overlaps it by 50 m × 50 m = 2,500 m² = 0.25 ha.
    # Development boundary U1 = [100,200]×[0,100] only touches F1 (shared edge: no overlap)
    # and overlaps R1 by 0.25 ha.
    inputs = hygis.resolve(
        **lines(redline=[box(50, 50, 150, 150)], farmland=[box(0, 0, 100, 100)], udb=[box(100, 0, 200, 100)])
    )
    found = qa.control_line_overlaps(inputs, area="planar")  # hand calculation in the plane of EPSG:4546
    assert len(found) == 2
    rf = found[found["pair"] == "ecological_redline × permanent_farmland"].iloc[0]
    assert rf["area_m2"] == pytest.approx(2500.0, abs=1e-3)
    assert rf["area_ha"] == pytest.approx(0.25, abs=1e-7) and rf["area_mu"] == pytest.approx(3.75, abs=1e-6)
    assert (rf["id_a"], rf["id_b"]) == ("R1", "F1")
    ru = found[found["pair"] == "ecological_redline × urban_development_boundary"].iloc[0]
    assert (ru["id_a"], ru["id_b"]) == ("R1", "U1") and ru["area_ha"] == pytest.approx(0.25, abs=1e-7)
    totals = qa.overlap_totals(found).set_index("pair")
    assert totals.loc["permanent_farmland × urban_development_boundary", "overlaps"] == 0
    assert totals["area_ha"].sum() == pytest.approx(0.5, abs=1e-7)
    assert found.crs.to_epsg() == 4546 and (found["status"] == "user data").all()
    # By default the same overlaps are measured on the ellipsoid, and say so.
    ell = qa.control_line_overlaps(inputs)
    square = gpd.GeoSeries([box(50, 50, 100, 100)], crs=GK)
    assert ell["area_m2"].iloc[0] == pytest.approx(measure(square)[0], rel=1e-9)
    assert "ellipsoidal" in ell["area_method"].iloc[0] and "planar" in found["area_method"].iloc[0]


def test_nested_overlaps_count_once_in_totals():
    # Two farmland patches both overlap the same red-line square: two rows, but the union area once.
    inputs = hygis.resolve(
        **lines(redline=[box(0, 0, 100, 100)], farmland=[box(0, 0, 100, 50), box(0, 0, 100, 50)])
    )
    found = qa.control_line_overlaps(inputs, area="planar")
    pair = found[found["pair"] == "ecological_redline × permanent_farmland"]
    assert len(pair) == 2 and pair["area_m2"].sum() == pytest.approx(10000.0, abs=1e-3)
    totals = qa.overlap_totals(found).set_index("pair")
    assert totals.loc["ecological_redline × permanent_farmland", "area_m2"] == pytest.approx(5000.0, abs=1e-3)


def test_embedded_illustrative_lines_do_not_overlap():
    found = qa.control_line_overlaps()
    assert len(found) == 0
    assert list(qa.overlap_totals(found)["overlaps"]) == [0, 0, 0]
    assert "ILLUSTRATIVE" in found.attrs["banner"]


def test_topology_self_overlap_slivers_and_gap():
    tiles = [
        box(x, y, x + 100, y + 100) for x in (0, 100, 200) for y in (0, 100, 200) if (x, y) != (100, 100)
    ]
    extra = [
        box(0, 0, 50, 50),  # overlaps tile [0,100]² by 2,500 m²
        box(1000, 0, 2000, 1),  # 1,000 m² but 1 m wide: a sliver by width
        box(3000, 0, 3010, 10),
    ]  # 100 m²: a sliver by area
    gdf = gpd.GeoDataFrame({"id": [f"T{k}" for k in range(len(tiles) + 3)]}, geometry=tiles + extra, crs=GK)
    found = qa.topology(gdf, gaps=True)
    assert found.attrs["summary"] == {"self_overlap": 1, "sliver": 2, "gap": 1}
    overlap = found[found["kind"] == "self_overlap"].iloc[0]
    assert overlap["area_m2"] == pytest.approx(2500.0, abs=1e-6) and overlap["ids"] == "T0;T8"
    gap = found[found["kind"] == "gap"].iloc[0]
    assert gap["area_ha"] == pytest.approx(1.0, abs=1e-9)  # the missing centre tile
    slivers = found[found["kind"] == "sliver"].sort_values("area_m2")
    assert list(slivers["ids"]) == ["T10", "T9"]
    assert slivers["mean_width_m"].iloc[1] == pytest.approx(2 * 1000 / 2002, rel=1e-9)


def test_embedded_counties_tile_without_gaps_or_overlaps():
    found = qa.topology(layers.load("counties"), gaps=True)
    assert found.attrs["summary"] == {"self_overlap": 0, "sliver": 0, "gap": 0}


def test_embedded_red_line_has_no_self_overlap():
    assert qa.topology(layers.load("ecological_redline")).attrs["summary"]["self_overlap"] == 0


def test_nested_feature_is_found():
    # A forest-park disc wholly inside the 衡山 ellipse: a self-overlap of exactly the disc's area.
    red = layers.load("ecological_redline").iloc[[0]]
    inner = red.to_crs(4546).geometry.iloc[0].representative_point().buffer(1_000)
    disc = gpd.GeoDataFrame({"redline_id": ["ECO-02"]}, geometry=[inner], crs=4546).to_crs(red.crs)
    red = pd.concat([red, disc], ignore_index=True)
    found = qa.topology(red)
    assert found.attrs["summary"]["self_overlap"] == 1
    row = found[found["kind"] == "self_overlap"].iloc[0]
    small = red.to_crs(found.crs).set_index("redline_id").area["ECO-02"]
    assert row["area_m2"] == pytest.approx(small, rel=1e-9)


def test_touching_tiles_are_not_overlaps():
    gdf = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=GK)
    assert len(qa.topology(gdf, gaps=True)) == 0
