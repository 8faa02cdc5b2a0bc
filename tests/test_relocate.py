"""Relocation: a conflicting project moves to the nearest clear site in its county."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from hygis.analysis.relocate import conflicting, suggest_relocation
from hygis.errors import HygisInputError
from hygis.plan import layers, resolve


@pytest.fixture(scope="module")
def inputs():
    return resolve()


@pytest.fixture(scope="module")
def fixture_conflict(inputs):
    """A 400 m × 250 m project centred on a permanent-farmland patch in 衡阳县 (430421), in WGS 84."""
    farm = inputs.permanent_farmland.to_crs(4546)
    patch = farm[farm["county_code"].astype(str) == "430421"].iloc[0].geometry
    c = patch.centroid
    site = gpd.GeoSeries([shapely.box(c.x - 200, c.y - 125, c.x + 200, c.y + 125)], crs=4546).to_crs(4326)
    return gpd.GeoDataFrame(
        {"project_id": ["X1"], "name": ["测试产业园"], "county_code": ["430421"]}, geometry=site, crs=4326
    )


def test_fixture_conflict_relocates_clear_of_both_exclusions(inputs, fixture_conflict):
    assert conflicting(fixture_conflict, inputs) == ["X1"]
    out = suggest_relocation(fixture_conflict, ["X1"], inputs)
    row = out.iloc[0]
    assert row["status"] == "relocated" and row["distance_m"] > 0
    new = gpd.GeoSeries([row.geometry], crs=4326).to_crs(4546).iloc[0]
    old = fixture_conflict.to_crs(4546).geometry.iloc[0]
    assert new.area == pytest.approx(old.area, rel=1e-9)  # same size
    assert shapely.equals_exact(
        shapely.normalize(shapely.affinity.translate(old, row["dx_m"], row["dy_m"])),
        shapely.normalize(new),
        tolerance=0.5,
    )  # same shape, only moved
    for layer in ("ecological_redline", "permanent_farmland"):
        assert not getattr(inputs, layer).to_crs(4546).intersects(new).any()
    county = layers.load("counties").to_crs(4546).set_index("code").loc["430421"].geometry
    assert county.covers(new)
    assert row["distance_m"] == pytest.approx(np.hypot(row["dx_m"], row["dy_m"]), abs=0.2)
    assert row["overlap_ha"] > 0


def test_default_conflicts_are_reported_honestly(inputs):
    out = suggest_relocation(inputs=inputs).set_index("project_id")
    assert out.loc["P08", "status"] == "not relocatable"  # a railway line follows its route
    # The Mount Heng resort is the mountain itself: no same-size site clear of the red line nearby.
    assert out.loc["P15", "status"] == "no site found"


def test_non_conflicting_project(inputs):
    out = suggest_relocation(inputs.projects, ["P14"], inputs)
    assert out["status"].iloc[0] == "no conflict"


def test_unknown_id(inputs):
    with pytest.raises(HygisInputError, match="No project with id NOPE"):
        suggest_relocation(inputs.projects, ["NOPE"], inputs)


def test_cli_relocate(cli, tmp_path, fixture_conflict):
    src = tmp_path / "projects.gpkg"
    fixture_conflict.to_file(src)
    out = tmp_path / "r.gpkg"
    proc = cli("relocate", "--projects", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "X1 测试产业园: relocated" in proc.stdout
    assert gpd.read_file(out)["status"].tolist() == ["relocated"]
