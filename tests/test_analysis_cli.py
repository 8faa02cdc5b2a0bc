"""The analysis commands as a planner runs them (subprocess).

Outputs, figures with units and CRS, bad input.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

GK = "EPSG:4546"


def _gk_origin():
    # 衡阳 central city, in CGCS2000 / 3° GK CM 111°E
    return Transformer.from_crs("EPSG:4326", GK, always_xy=True).transform(112.6, 26.9)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_help_lists_the_analysis_commands(cli):
    out = cli("--help", check=True).stdout
    for sub in ("stats", "qa", "urban", "targets"):
        assert sub in out


def test_stats_control_lines_csv(cli, tmp_path):
    proc = cli("stats", "control-lines", "--out", str(tmp_path / "s.csv"), check=True)
    table = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig", dtype={"code": str})
    assert {"area_ha", "area_mu", "area_km2", "share_pct", "crs", "status"} <= set(table.columns)
    assert len(table) == 3 * 13 and "珠晖区" in set(table["name"])
    assert (table["status"] == "illustrative").all()
    assert "ILLUSTRATIVE" in proc.stderr and "EPSG:4546" in proc.stdout


def test_stats_control_lines_xlsx_has_sheets(cli, tmp_path):
    cli("stats", "control-lines", "--out", str(tmp_path / "s.xlsx"), check=True)
    sheets = pd.read_excel(tmp_path / "s.xlsx", sheet_name=None)
    assert set(sheets) == {"说明 notice", "by_county", "long", "about"}  # notice: built on illustrative lines
    assert len(sheets["by_county"]) == 13
    assert sheets["about"]["value"].str.contains("ILLUSTRATIVE").any()


def test_stats_counties_csv_keeps_unallocated(cli, tmp_path):
    cli("stats", "counties", "--out", str(tmp_path / "c.csv"), check=True)
    table = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    assert "未分配 (unallocated)" in set(table["name"])
    assert table.iloc[-1]["investment_yi"] == pytest.approx(2430.0)
    assert table.iloc[:-1]["investment_yi"].sum() == pytest.approx(2430.0)


def test_qa_control_lines_gpkg_embedded_zero(cli, tmp_path):
    proc = cli("qa", "control-lines", "--out", str(tmp_path / "q.gpkg"), check=True)
    assert [str(n) for n in pyogrio.list_layers(tmp_path / "q.gpkg")[:, 0]] == ["overlaps", "totals"]
    totals = gpd.read_file(tmp_path / "q.gpkg", layer="totals")
    assert list(totals["overlaps"]) == [0, 0, 0]
    assert proc.stdout.count("0 overlap(s)") == 3


def test_qa_known_overlap_from_files(cli, tmp_path):
    x, y = _gk_origin()
    red = gpd.GeoDataFrame({"id": ["R1"]}, geometry=[shapely.box(x + 50, y + 50, x + 150, y + 150)], crs=GK)
    farm = gpd.GeoDataFrame({"id": ["F1"]}, geometry=[shapely.box(x, y, x + 100, y + 100)], crs=GK)
    red.to_file(tmp_path / "red.gpkg", engine="pyogrio")
    farm.to_file(tmp_path / "farm.shp", engine="pyogrio")
    cli(
        "qa",
        "control-lines",
        "--ecological-redline",
        str(tmp_path / "red.gpkg"),
        "--permanent-farmland",
        str(tmp_path / "farm.shp"),
        "--area",
        "planar",  # 50 m × 50 m in the plane of the files' zone
        "--out",
        str(tmp_path / "q.csv"),
        check=True,
    )
    table = pd.read_csv(tmp_path / "q.csv", encoding="utf-8-sig")
    hit = table[(table["id_a"] == "R1") & (table["id_b"] == "F1")]
    assert len(hit) == 1 and hit["area_ha"].iloc[0] == pytest.approx(0.25, abs=1e-6)
    assert hit["area_method"].iloc[0].startswith("planar area in EPSG:4546")
    assert "合计 (total)" in set(table["id_a"])


def test_qa_topology_counties(cli, tmp_path):
    proc = cli("qa", "topology", "counties", "--out", str(tmp_path / "t.csv"), check=True)
    assert "0 self-overlap(s), 0 sliver(s), 0 gap(s)" in proc.stdout


def test_urban_xlsx(cli, tmp_path):
    proc = cli("urban", "--out", str(tmp_path / "u.xlsx"), check=True)
    sheets = pd.read_excel(tmp_path / "u.xlsx", sheet_name=None)
    assert {"distances", "merge_with_city", "catchments", "distance_bands", "rank_size", "about"} <= set(
        sheets
    )
    assert "西渡" in proc.stdout and "location not confirmed" in proc.stdout


def test_targets_prints_a_table(cli, tmp_path):
    proc = cli("targets", "--out", str(tmp_path / "t.csv"), check=True)
    assert "地区生产总值" in proc.stdout and "≥8000" in proc.stdout
    assert len(pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")) == 23


def test_control_line_file_without_crs(cli, tmp_path):
    x, y = _gk_origin()
    path = tmp_path / "red.shp"
    gpd.GeoDataFrame({"id": ["R1"]}, geometry=[shapely.box(x, y, x + 100, y + 100)], crs=GK).to_file(
        path, engine="pyogrio"
    )
    path.with_suffix(".prj").unlink()
    before = _digest(path)
    proc = cli("stats", "control-lines", "--ecological-redline", str(path), "--out", str(tmp_path / "s.csv"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "red.shp" in proc.stderr and "--crs" in proc.stderr and "EPSG:4546" in proc.stderr
    assert not (tmp_path / "s.csv").exists() and _digest(path) == before


def test_control_line_file_with_invalid_geometry(cli, tmp_path):
    x, y = _gk_origin()
    bowtie = shapely.Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100)])  # self-intersecting
    assert not bowtie.is_valid
    path = tmp_path / "red.gpkg"
    gpd.GeoDataFrame({"redline_id": ["BAD-1"]}, geometry=[bowtie], crs=GK).to_file(path, engine="pyogrio")
    before = _digest(path)
    proc = cli(
        "stats",
        "control-lines",
        "--ecological-redline",
        str(path),
        "--area",
        "planar",  # the hand calculation below is in the plane of the file's zone, EPSG:4546
        "--out",
        str(tmp_path / "s.csv"),
        check=True,
    )
    assert "invalid" in proc.stderr and "make-valid" in proc.stderr and "Traceback" not in proc.stderr
    assert "planar area in EPSG:4546" in proc.stdout
    table = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig")
    city = table[(table["level"] == "city") & (table["line"] == "ecological_redline")].iloc[0]
    assert city["area_ha"] == pytest.approx(0.5, abs=1e-6)  # two 50 × 100 / 2 triangles = 5,000 m²
    assert city["status"] == "user-file"
    assert _digest(path) == before


def test_output_suffix_checked(cli, tmp_path):
    proc = cli("qa", "control-lines", "--out", str(tmp_path / "q.txt"))
    assert proc.returncode == 2 and ".gpkg" in proc.stderr and "Traceback" not in proc.stderr


def test_run_writes_the_analysis_reports(cli, tmp_path):
    proc = cli("run", "--out-dir", str(tmp_path), check=True)
    reports = tmp_path / "reports"
    for name in ("control_lines_by_county.xlsx", "control_line_overlaps.gpkg", "counties.xlsx"):
        assert (reports / name).exists() and name in proc.stdout
    by_county = pd.read_excel(reports / "control_lines_by_county.xlsx", sheet_name="by_county")
    assert len(by_county) == 13
