"""A project in conflict with permanent farmland, relocation asked for, gets a suggestion in every output."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from hygis import check_projects, resolve
from hygis.analysis.relocate import relocate_conflicts
from hygis.check.report import write_report
from hygis.maps import compliance_map
from hygis.plan import layers


@pytest.fixture(scope="module")
def conflicting_report():
    farmland = layers.load("permanent_farmland").to_crs(4546)
    patch = farmland[farmland["county_code"] == "430421"].iloc[0]
    c = patch.geometry.centroid
    site = shapely.box(c.x - 200, c.y - 125, c.x + 200, c.y + 125)  # 400 m × 250 m on the patch
    projects = gpd.GeoDataFrame(
        {"project_id": ["X1"], "name": ["示例工业园 <b>X</b>"], "group": ["产业升级"]},
        geometry=[site],
        crs=4546,
    )
    inputs = resolve(projects=projects)
    report = check_projects(inputs)
    relocate_conflicts(report, inputs)
    return report


def test_conflict_gets_a_site_clear_of_both_exclusions(conflicting_report):
    row = conflicting_report.set_index("control_line").loc["permanent_farmland"]
    assert row["verdict"] == "conflict"
    moved = conflicting_report.attrs["relocations"]
    assert list(moved["status"]) == ["relocated"]
    new = moved.to_crs(4546).geometry.iloc[0]
    for name in ("ecological_redline", "permanent_farmland"):
        assert not shapely.intersects(
            shapely.union_all(layers.load(name).to_crs(4546).geometry.to_numpy()), new
        )
    county = layers.load("counties").to_crs(4546).set_index("code").geometry["430421"]
    assert county.contains(new)
    assert new.area == pytest.approx(400 * 250, rel=1e-6)


def test_relocation_in_the_reports(conflicting_report, tmp_path):
    xlsx = write_report(conflicting_report, tmp_path / "r.xlsx", lang="en")
    sheet = pd.read_excel(xlsx, sheet_name="relocation")
    assert sheet["project_id"].tolist() == ["X1"] and sheet["distance_m"].iloc[0] > 0
    gpkg = write_report(conflicting_report, tmp_path / "r.gpkg", lang="en")
    assert "relocations" in {row[0] for row in pyogrio.list_layers(gpkg)}
    html = write_report(conflicting_report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "建议选址" in html and "示例工业园 &lt;b&gt;X&lt;/b&gt;" in html


def test_relocation_on_the_compliance_map(conflicting_report):
    html = compliance_map(conflicting_report, offline=False).get_root().render()
    assert "Suggested relocation" in html
