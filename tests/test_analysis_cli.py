"""The analysis commands as a planner runs them (subprocess).

Outputs, figures with units and CRS, bad input.
"""

from __future__ import annotations

import hashlib
import re

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from hygis.analysis import counties, stats, urban
from hygis.errors import HygisWarning

from .monitor_fixtures import english_sentences

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
    sheets = pd.read_excel(tmp_path / "s.xlsx", sheet_name=None, dtype={"行政区代码": str})
    # A planner's workbook: sheets and headers in Chinese, areas with their units; notice first
    # (built on illustrative lines).
    assert list(sheets) == ["说明 notice", "分县统计", "分县分控制线明细", "方法与说明"]
    wide = sheets["分县统计"]
    assert len(wide) == 13 and "珠晖区" in set(wide["行政区名称"])
    for line in ("生态保护红线", "永久基本农田", "城镇开发边界"):
        assert {f"{line}面积（公顷）", f"{line}面积（亩）", f"{line}面积（平方千米）"} <= set(wide.columns)
    long = sheets["分县分控制线明细"]
    assert {"控制线", "控制线面积（公顷）", "控制线面积（亩）", "数据状态"} <= set(long.columns)
    assert set(long["控制线"]) == {"生态保护红线", "永久基本农田", "城镇开发边界"}
    assert set(long["数据状态"]) == {"示意数据（非正式）"} and set(long["层级"]) == {"县级行政区", "全市"}
    # the same figures as the Python API's table, which keeps its English names
    city = long[long["层级"] == "全市"].set_index("控制线")["控制线面积（公顷）"]
    with pytest.warns(HygisWarning, match="outside the county units"):  # as the command said
        api = stats.control_line_stats().query("level == 'city'").set_index("line_zh")["area_ha"]
    assert city.to_dict() == pytest.approx(api.to_dict())
    about = sheets["方法与说明"]
    assert {"本表内容", "计算坐标系", "警告"} <= set(about["事项"])
    assert about["内容"].str.contains("ILLUSTRATIVE").any()
    # the text beside each item is Chinese, but for the bilingual illustrative notice and the CRS's name
    told = about[~about["事项"].isin(["警告", "计算坐标系"])]
    assert english_sentences(told, ["内容"]) == []
    assert told["内容"].str.contains("公顷图斑位于各县级行政区之外").any()  # the note the command warned
    for frame in sheets.values():  # no header a planner reads is English only
        assert all(re.search("[\u4e00-\u9fff]", str(c)) for c in frame.columns), list(frame.columns)


def test_lang_en_gives_the_api_s_english_workbook_with_the_same_figures(cli, tmp_path):
    """--lang en (every command that writes a workbook): the sheet and column names of the Python
    API, for a colleague who reads no Chinese; the same figures as the default Chinese workbook."""
    cli("stats", "control-lines", "--out", str(tmp_path / "zh.xlsx"), check=True)
    cli("stats", "control-lines", "--out", str(tmp_path / "en.xlsx"), "--lang", "en", check=True)
    zh = pd.read_excel(tmp_path / "zh.xlsx", sheet_name=None)
    en = pd.read_excel(tmp_path / "en.xlsx", sheet_name=None)
    assert "by_county" in en and "分县统计" not in en
    long_en, long_zh = en["long"], zh["分县分控制线明细"]
    assert long_en["area_ha"].tolist() == pytest.approx(long_zh["控制线面积（公顷）"].tolist())
    told = dict(zip(en["about"]["item"], en["about"]["value"]))  # the about sheet's English as it was
    assert told["units"] == "ha = 公顷 (10,000 m²); 亩 = 666.67 m² (10,000/15); km² = 1,000,000 m²"
    assert "ha of its features lie outside the county units" in told["note"]
    proc = cli("stats", "control-lines", "--out", str(tmp_path / "x.xlsx"), "--lang", "fr")
    assert proc.returncode == 2 and "'fr' is not one of 'zh', 'en'" in proc.stderr


def test_stats_counties_csv_keeps_unallocated(cli, tmp_path):
    cli("stats", "counties", "--out", str(tmp_path / "c.csv"), check=True)
    table = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    assert "未分配 (unallocated)" in set(table["name"])
    assert table.iloc[-1]["investment_yi"] == pytest.approx(2430.0)
    assert table.iloc[:-1]["investment_yi"].sum() == pytest.approx(2430.0)


def test_stats_counties_xlsx_in_chinese(cli, tmp_path):
    cli("stats", "counties", "--out", str(tmp_path / "c.xlsx"), check=True)
    sheets = pd.read_excel(tmp_path / "c.xlsx", sheet_name=None)
    assert ["分县统计", "分县分组投资", "分组投资", "项目投资分配", "方法与说明"] == [
        s for s in sheets if s != "说明 notice"
    ]
    by_county = sheets["分县统计"]
    assert "未分配 (unallocated)" in set(by_county["县级行政区"])
    assert by_county.iloc[-1]["投资（亿元）"] == pytest.approx(2430.0)
    assert "交通基建投资（亿元）" in sheets["分组投资"].columns  # one column per project group
    assert "未分配" in set(sheets["项目投资分配"]["分配方法"])
    for frame in sheets.values():
        assert all(re.search("[\u4e00-\u9fff]", str(c)) for c in frame.columns), list(frame.columns)
    # the method and the unallocated projects read in Chinese, but for the CRS's name
    about = sheets["方法与说明"]
    assert english_sentences(about[about["事项"] != "计算坐标系"], ["内容"]) == []
    told = about.set_index("事项")["内容"]
    assert told["未分配投资"] == "2,430.0 亿元中有 1,560.0 亿元（13 个项目）无法分配到县级行政区"
    assert "P01 衡阳·中国智造谷项目：300.0 亿元 — 无定位几何，也未列出所属县级行政区" in set(about["内容"])
    # … and English on request, as the Python API composes it
    cli("stats", "counties", "--lang", "en", "--out", str(tmp_path / "en.xlsx"), check=True)
    english = pd.read_excel(tmp_path / "en.xlsx", sheet_name="about")
    assert english["value"].tolist() == counties.county_report()["about"]["value"].tolist()
    assert "1,560.0 亿元 of 2,430.0 亿元 (13 projects) cannot be placed in a unit" in set(english["value"])


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
    assert list(sheets) == ["城镇距离", "融城城镇", "服务范围", "距离圈层", "位序规模", "方法与说明"]
    heads = set(sheets["城镇距离"].columns)
    assert {"名称", "至县城距离（千米）", "至中心城区边缘距离（千米）", "位置精度（米）"} <= heads
    assert {"面积（平方千米）", "面积占比（%）"} <= set(sheets["服务范围"].columns)
    assert "位置未确认" in set(sheets["方法与说明"]["事项"])
    for frame in sheets.values():
        assert all(re.search("[\u4e00-\u9fff]", str(c)) for c in frame.columns), list(frame.columns)
    assert "西渡" in proc.stdout and "location not confirmed" in proc.stdout
    # the method's sentences read in Chinese, but for the CRS's name
    about = sheets["方法与说明"]
    assert english_sentences(about[about["事项"] != "计算坐标系"], ["内容"]) == []
    told = about.set_index("事项")["内容"]
    assert told["计算坐标系"].endswith(" — 直线距离和面积均在此坐标系中量算；图层以 WGS 84 存储")
    assert told["位序规模"].startswith("各地点均无有出处的人口数据")
    # … and English on request, as the Python API composes it
    cli("urban", "--lang", "en", "--out", str(tmp_path / "en.xlsx"), check=True)
    english = pd.read_excel(tmp_path / "en.xlsx", sheet_name="about")
    assert english["value"].tolist() == urban.urban_report()["about"]["value"].tolist()
    assert english["value"].str.contains("Voronoi cells of the central-city centroid").any()


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
    by_county = pd.read_excel(reports / "control_lines_by_county.xlsx", sheet_name="分县统计")
    assert len(by_county) == 13 and "永久基本农田面积（亩）" in by_county.columns
    assert "分县统计" in pd.ExcelFile(reports / "counties.xlsx").sheet_names
