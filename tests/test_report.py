"""The compliance reports: what a planner opens (CSV/XLSX in Excel, GPKG in QGIS, HTML in a browser)."""

from __future__ import annotations

import html

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

import hygis
from hygis.check.report import write_report
from hygis.errors import HygisOutputError

from .check_fixtures import write_fixture


@pytest.fixture(scope="module")
def default_report():
    inputs = hygis.resolve()
    return hygis.check_projects(inputs), inputs


def test_csv_has_bom_chinese_and_meta(default_report, tmp_path):
    report, _ = default_report
    path = write_report(report, tmp_path / "r.csv")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    df = pd.read_csv(path, encoding="utf-8-sig")
    assert len(df) == 57 and "衡阳·中国智造谷项目" in set(df.name)
    meta = pd.read_csv(tmp_path / "r-meta.csv", encoding="utf-8-sig")
    assert meta.value.str.contains("EPSG:4546").any() and meta.value.str.contains("ILLUSTRATIVE").any()


def test_xlsx_sheets(default_report, tmp_path):
    report, _ = default_report
    path = write_report(report, tmp_path / "r.xlsx", lang="en")
    sheets = pd.read_excel(path, sheet_name=None)
    assert set(sheets) == {
        "说明 notice",
        "report",
        "summary",
        "by_county",
        "farmland_detail",
        "warnings",
        "provenance",
    }  # notice: built on illustrative lines; by_county and farmland_detail: P08 … touch the farmland
    summary = sheets["summary"].set_index("project_id")
    assert len(summary) == 19 and summary.loc["P08", "worst_verdict"] == "needs approval"
    assert summary.loc["P01", "worst_verdict"] == "not located"
    assert sheets["provenance"].value.astype(str).str.contains("EPSG:4546").any()


def test_gpkg_layers_open_in_qgis_terms(default_report, tmp_path):
    report, _ = default_report
    path = write_report(report, tmp_path / "r.gpkg", lang="en")
    names = {row[0] for row in pyogrio.list_layers(path)}
    assert {"compliance", "overlaps", "sites", "warnings", "provenance"} <= names
    overlaps = gpd.read_file(path, layer="overlaps")
    assert len(overlaps) > 0 and overlaps.crs.to_epsg() == 4326 and not overlaps.geometry.is_empty.any()
    assert "南衡高铁（衡阳段）" in set(overlaps.name)
    sites = gpd.read_file(path, layer="sites")
    assert len(sites) == 19


def test_html_banner_maps_and_escaping(tmp_path):
    paths = write_fixture(tmp_path / "in")
    gdf = gpd.read_file(paths["projects"])
    gdf.loc[0, "name"] = "<script>alert('x')</script>智造产业园"
    inputs = hygis.resolve(
        gdf, *(paths[k] for k in ("ecological_redline", "permanent_farmland", "urban_development_boundary"))
    )
    report = hygis.check_projects(inputs)
    text = write_report(report, tmp_path / "r.html", inputs=inputs).read_text(encoding="utf-8")
    assert "<script>alert" not in text and html.escape("<script>alert('x')</script>") in text
    assert (
        "<meta charset='utf-8'>" in text and "http://" not in text.split("<body>")[0]
    )  # offline: no external assets
    flagged = report.verdict.isin(["conflict", "needs approval"]).sum()
    assert text.count("<svg") == flagged  # one map per conflict or approval
    assert "ILLUSTRATIVE" not in text  # every control layer here is a user file


def test_html_default_has_banner(default_report, tmp_path):
    report, inputs = default_report
    text = write_report(report, tmp_path / "r.html", inputs=inputs).read_text(encoding="utf-8")
    assert "示意数据，非官方成果" in text and "EPSG:4546" in text and "南衡高铁" in text


def test_unknown_format_refused(default_report, tmp_path):
    with pytest.raises(HygisOutputError, match="suffix picks the format"):
        write_report(default_report[0], tmp_path / "r.pdf")


def test_reports_on_illustrative_lines_say_so_on_their_face(tmp_path):
    import pandas as pd

    import hygis
    from hygis import io
    from hygis.analysis import stats
    from hygis.check.report import write_report

    report = hygis.check_projects()
    assert set(report["control_line_status"]) == {"illustrative"}
    first = pd.ExcelFile(write_report(report, tmp_path / "r.xlsx")).sheet_names[0]
    assert first == io.NOTICE_SHEET
    assert "NOT OFFICIAL" in pd.read_excel(tmp_path / "r.xlsx", sheet_name=first).iloc[0, 0]
    csv = pd.read_csv(write_report(report, tmp_path / "r.csv"), encoding="utf-8-sig")
    assert set(csv["control_line_status"]) == {"illustrative"}
    table = stats.control_line_stats()
    assert (
        pd.ExcelFile(stats.write_control_line_stats(table, tmp_path / "s.xlsx")).sheet_names[0]
        == io.NOTICE_SHEET
    )
