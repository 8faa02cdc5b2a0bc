"""``hygis monitor changes|indicators|projects`` as a user runs them: subprocesses."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from .monitor_fixtures import CHANGE_COLUMNS


def test_changes_on_the_example_writes_report_and_map(cli, tmp_path):
    proc = cli(
        "monitor",
        "changes",
        "--out",
        str(tmp_path / "c.csv"),
        "--map",
        str(tmp_path / "w.html"),
        "--workers",
        "1",
        check=True,
    )
    assert "ILLUSTRATIVE" in proc.stderr and "change polygons" in proc.stdout
    table = pd.read_csv(tmp_path / "c.csv", dtype={"county_code": str})
    assert set(CHANGE_COLUMNS) <= set(table.columns)
    assert set(table["level"]) <= {"red", "orange", "yellow", "none"} and set(table["data_status"]) == {
        "illustrative"
    }
    assert "变化图斑" in (tmp_path / "w.html").read_text(encoding="utf-8")


def test_changes_on_a_user_file_with_year(cli, tmp_path):
    path = tmp_path / "变化图斑.gpkg"
    lon, lat = 112.30, 27.05  # 衡阳县
    gpd.GeoDataFrame(
        {"JCBH": ["A", "B"], "变更前地类": ["0101", "0101"], "变更后地类": ["0701", "0103"]},
        geometry=[shapely.box(lon, lat, lon + 0.002, lat + 0.002)] * 2,
        crs="EPSG:4490",
    ).to_file(path)
    proc = cli(
        "monitor",
        "changes",
        "--changes",
        str(path),
        "--year",
        "2026",
        "--out",
        str(tmp_path / "o.xlsx"),
        "--workers",
        "1",
        check=True,
    )
    assert "2 change polygons" in proc.stdout
    table = pd.read_excel(tmp_path / "o.xlsx", sheet_name="变化图斑明细", dtype={"县级行政区代码": str})
    assert table.set_index("变化图斑编号").loc["B", "预警等级"] == "无"  # paddy to dry land: no warning
    assert table["监测年度"].tolist() == [2026, 2026] and table["县级行政区代码"].tolist() == ["430421"] * 2
    assert table["县级行政区"].tolist() == ["衡阳县"] * 2


def test_changes_without_year_is_a_clear_error(cli, tmp_path):
    path = tmp_path / "no_year.gpkg"
    gpd.GeoDataFrame(
        {"BGQDLBM": ["0101"], "BGHDLBM": ["0601"]},
        geometry=[shapely.box(112.3, 27.05, 112.302, 27.052)],
        crs="EPSG:4490",
    ).to_file(path)
    proc = cli("monitor", "changes", "--changes", str(path), "--out", str(tmp_path / "o.csv"))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "no_year.gpkg" in proc.stderr and "--year" in proc.stderr
    assert not (tmp_path / "o.csv").exists()


def test_indicators_dashboard_and_charts(cli, tmp_path):
    proc = cli(
        "monitor",
        "indicators",
        "--out",
        str(tmp_path / "dash.html"),
        "--charts",
        str(tmp_path / "charts"),
        "--chart-format",
        "svg",
        check=True,
    )
    assert "地区生产总值" in proc.stdout and "ILLUSTRATIVE" in proc.stderr
    page = (tmp_path / "dash.html").read_text(encoding="utf-8")
    assert "<svg" in page and ("已达标" in page or "正常" in page)
    assert len(list((tmp_path / "charts").glob("*.svg"))) >= 10
    proc = cli(
        "monitor",
        "indicators",
        "--out",
        str(tmp_path / "i.csv"),
        "--map",
        str(tmp_path / "gdp.html"),
        check=True,
    )
    assert "地区生产总值" in (tmp_path / "gdp.html").read_text(
        encoding="utf-8"
    )  # the county values of the example


def test_indicators_from_a_user_table(cli, tmp_path):
    path = tmp_path / "指标监测.xlsx"
    pd.DataFrame(
        {"指标": ["常住人口城镇化率"] * 3, "年度": [2025, 2026, 2027], "值": [60.0, 61.0, 62.0]}
    ).to_excel(path, index=False)
    cli("monitor", "indicators", "--values", str(path), "--out", str(tmp_path / "i.csv"), check=True)
    table = pd.read_csv(tmp_path / "i.csv", keep_default_na=False)
    row = table[(table["indicator"] == "常住人口城镇化率") & (table["county_code"] == "")].iloc[0]
    assert row["status"] == "正常"  # 1 point a year, the pace 65 % by 2030 needs


def test_projects_report_chart_and_map(cli, tmp_path):
    proc = cli(
        "monitor",
        "projects",
        "--out",
        str(tmp_path / "p.xlsx"),
        "--chart",
        str(tmp_path / "p.png"),
        "--map",
        str(tmp_path / "p.html"),
        check=True,
    )
    assert "19 projects: planned 2,430 亿元" in proc.stdout
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert "项目" in (tmp_path / "p.html").read_text(encoding="utf-8")


def test_help_lists_the_monitor_commands(cli):
    out = cli("monitor", "--help", check=True).stdout
    for sub in ("changes", "indicators", "projects"):
        assert sub in out


def test_run_adds_the_three_monitor_outputs(cli, tmp_path):
    proc = cli("run", "--out-dir", str(tmp_path), check=True)
    for name in (
        "reports/monitor_changes.xlsx",
        "maps/monitor_warning.html",
        "reports/monitor_indicators.html",
        "reports/monitor_projects.xlsx",
    ):
        assert (tmp_path / name).exists(), name
    assert "monitor_changes" in proc.stdout and "monitor_projects" in proc.stdout
    book = pd.ExcelFile(tmp_path / "reports" / "monitor_changes.xlsx")
    assert (
        book.sheet_names[0] == "说明 notice"
    )  # built on illustrative data: the workbook opens on the notice
    assert "ILLUSTRATIVE" in (tmp_path / "reports" / "monitor_indicators.html").read_text(encoding="utf-8")
