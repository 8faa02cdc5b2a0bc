"""Change polygons against the three lines: hand-built overlaps give the right areas, classes and levels."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import hygis
from hygis.engine.area import measure
from hygis.errors import HygisInputError
from hygis.monitor import changes, grading

from .monitor_fixtures import CHANGE_COLUMNS, english_sentences

GK = "EPSG:4546"  # CGCS2000 3-degree Gauss–Krüger CM 111°E: the plan's area CRS, so hand areas are exact
LON, LAT = 112.25, 27.05  # open country in 衡阳县, 10 km of it east of here still in 衡阳县


def _origin() -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", GK, always_xy=True).transform(LON, LAT)


def box(x: float, y: float, w: float, h: float | None = None) -> shapely.Polygon:
    """A rectangle of w × h metres, its south-west corner (x, y) metres from the origin."""
    x0, y0 = _origin()
    return shapely.box(x0 + x, y0 + y, x0 + x + w, y0 + y + (w if h is None else h))


@pytest.fixture(scope="module")
def lines():
    """Farmland: two overlapping squares (their overlap counts once); red line; a boundary in two parts,
    one sharing the farmland's east edge."""
    farmland = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[box(0, 0, 1000), box(500, 0, 1000)], crs=GK)
    redline = gpd.GeoDataFrame({"id": [1]}, geometry=[box(3000, 0, 1000)], crs=GK)
    udb = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[box(6000, 0, 1000), box(1500, 0, 500)], crs=GK)
    return hygis.resolve(
        ecological_redline=redline, permanent_farmland=farmland, urban_development_boundary=udb
    )


#: id, before, after, polygon, expected (farmland_ha, redline_ha, outside_udb_ha, level, rule).
CASES = [
    # 1 ha paddy → industry, half of it over both overlapping farmland squares: 0.5 ha once, not twice.
    ("C1", "0101", "0601", box(1400, -50, 100), (0.5, 0.0, 1.0, "red", "R1")),
    # dry land → urban housing wholly inside the boundary: cultivated land built on, needs approval.
    ("C2", "0103", "0701", box(6200, 200, 100), (0.0, 0.0, 0.0, "yellow", "R6")),
    # paddy → dry land inside farmland: no construction land, no warning.
    ("C3", "0101", "0103", box(100, 100, 100), (1.0, 0.0, 1.0, "none", "")),
    # forest → industry, a quarter hectare inside the red line.
    ("C4", "0301", "0601", box(3950, 500, 100), (0.0, 0.5, 1.0, "red", "R2")),
    # grass → urban housing outside every line: urban construction outside the boundary.
    ("C5", "0404", "0701", box(9000, 0, 100), (0.0, 0.0, 1.0, "orange", "R3")),
    # paddy → fish pond inside farmland: 挖塘养鱼 on permanent farmland, which 土地管理法 第三十七条
    # forbids outright (no approval route): red (also matches the general rule R5).
    ("C6", "0101", "1104", box(200, 600, 100), (1.0, 0.0, 1.0, "red", "R4")),
    # irrigated land → orchard outside farmland: 非粮化.
    ("C7", "0102", "0201", box(9000, 500, 100), (0.0, 0.0, 1.0, "yellow", "R5")),
    # forest → rural homestead outside the boundary: not urban construction, no warning.
    ("C8", "0301", "0702", box(9500, 0, 100), (0.0, 0.0, 1.0, "none", "")),
    # paddy → industry inside the boundary, touching the farmland along an edge only: no overlap,
    # so only the general rule.
    ("C9", "0101", "0601", box(1500, 0, 100), (0.0, 0.0, 0.0, "yellow", "R6")),
    # half inside the boundary: 0.5 ha outside.
    ("C10", "0103", "0508", box(6950, 300, 100), (0.0, 0.0, 0.5, "orange", "R3")),
]


@pytest.fixture(scope="module")
def hand_changes():
    return gpd.GeoDataFrame(
        {
            "TBBH": [c[0] for c in CASES],
            "BGQDLBM": [c[1] for c in CASES],
            "BGHDLBM": [c[2] for c in CASES],
            "BGNF": 2026,
        },
        geometry=[c[3] for c in CASES],
        crs=GK,
    )


@pytest.fixture(scope="module")
def result(hand_changes, lines):
    return changes.classify_changes(hand_changes, lines, workers=1)


def test_hand_built_overlaps_give_areas_levels_and_rules(result):
    got = result.set_index("change_id")
    for cid, _b, _a, geom, (farm, red, outside, level, rule) in CASES:
        row = got.loc[cid]
        # Official areas are ellipsoidal: the hand-built planar figures times the polygon's areal scale.
        k = measure([geom], GK)[0] / shapely.area(geom)
        assert 0.999 < k < 1.0  # ~4e-4 smaller on the ellipsoid, 160 km east of the central meridian
        assert row["area_ha"] == pytest.approx(shapely.area(geom) / 1e4 * k, abs=1e-6), cid
        assert row["farmland_ha"] == pytest.approx(farm * k, abs=1e-6), cid
        assert row["redline_ha"] == pytest.approx(red * k, abs=1e-6), cid
        assert row["outside_udb_ha"] == pytest.approx(outside * k, abs=1e-6), cid
        assert (row["level"], row["rule"]) == (level, rule), cid


def test_every_rule_matched_is_listed_and_levels_have_chinese_labels(result):
    got = result.set_index("change_id")
    assert got.loc["C6", "rules"] == "R4;R5"
    # Paddy → industry on farmland outside the boundary: also urban construction outside it, and
    # cultivated land built on.
    assert got.loc["C1", "rules"] == "R1;R3;R6"
    labels = dict(grading.load_levels()["label_zh"])
    assert set(result["level_zh"]) == {labels[lv] for lv in set(result["level"])}
    assert labels == {"red": "红", "orange": "橙", "yellow": "黄", "none": "无"}


def test_columns_and_county(result):
    for col in CHANGE_COLUMNS:
        assert col in result.columns
    assert set(result["county_code"]) == {"430421"} and set(result["county_name"]) == {"衡阳县"}
    # The control lines here are the user's: nothing is illustrative.
    assert result.attrs["banner"] is None and set(result["data_status"]) == {"user data"}


def test_by_county_and_trend_add_up(result, hand_changes, lines):
    table = changes.by_county(result)
    city = table[table["county_code"] == "全市"].iloc[0]
    assert city["changes"] == len(CASES) and city["n_red"] == 3 and city["n_orange"] == 2
    assert city["farmland_ha"] == pytest.approx(result["farmland_ha"].sum())
    later = hand_changes.assign(BGNF=2027).iloc[:3]
    with pytest.warns(hygis.HygisWarning, match="3 change id.s. repeat"):
        both = changes.classify_changes(pd.concat([hand_changes, later], ignore_index=True), lines, workers=1)
    trend = changes.trend(both)
    assert trend["year"].tolist() == [2026, 2027]
    assert trend["changes"].tolist() == [len(CASES), 3]
    assert trend.loc[1, "n_red_change"] == 1 - 3  # 2027 repeats C1-C3 (one red) after three reds


def test_codes_read_as_numbers_and_chinese_field_names(lines, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"图斑编号": ["A", "B"], "变更前地类": [101, 301], "变更后地类": [601, 601], "年度": [2026, 2026]},
        geometry=[box(1400, -50, 100), box(3950, 500, 100)],
        crs=GK,
    )
    path = tmp_path / "变化图斑.gpkg"
    gdf.to_file(path, engine="pyogrio")
    out = changes.classify_changes(path, lines, workers=1)
    assert out["class_before"].tolist() == ["0101", "0301"]
    assert out["level"].tolist() == ["red", "red"]


def test_year_option_fills_or_selects(hand_changes, lines, tmp_path):
    path = tmp_path / "no_year.gpkg"
    hand_changes.drop(columns="BGNF").to_file(path, engine="pyogrio")
    assert set(changes.read_changes(path, year=2027)["year"]) == {2027}
    two = pd.concat([hand_changes, hand_changes.assign(BGNF=2027)], ignore_index=True)
    assert len(changes.read_changes(two, year=2027)) == len(CASES)


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_bad_inputs_get_clear_messages_and_stay_unchanged(hand_changes, tmp_path):
    no_year = tmp_path / "no_year.gpkg"
    hand_changes.drop(columns="BGNF").to_file(no_year, engine="pyogrio")
    no_class = tmp_path / "no_class.gpkg"
    hand_changes.drop(columns="BGQDLBM").to_file(no_class, engine="pyogrio")
    no_crs = tmp_path / "no_crs.shp"
    hand_changes.to_file(no_crs, engine="pyogrio")
    no_crs.with_suffix(".prj").unlink()
    wrong_zone = tmp_path / "wrong_zone.gpkg"
    hand_changes.set_crs("EPSG:4547", allow_override=True).to_file(
        wrong_zone, engine="pyogrio"
    )  # CM 114°E, not 111°E
    wrong_crs = tmp_path / "wrong_crs.gpkg"
    hand_changes.set_crs("EPSG:4490", allow_override=True).to_file(
        wrong_crs, engine="pyogrio"
    )  # metres labelled degrees
    before = _digest(tmp_path)
    with pytest.raises(HygisInputError, match=r"no_year\.gpkg.*no year field.*--year"):
        changes.read_changes(no_year)
    with pytest.raises(
        HygisInputError, match=r"no_class\.gpkg.*class before.*变更前地类.*--class-before-field"
    ):
        changes.read_changes(no_class)
    with pytest.raises(HygisInputError, match=r"no_crs\.shp"):
        changes.read_changes(no_crs)
    with pytest.raises(HygisInputError, match=r"wrong_crs\.gpkg"):
        changes.read_changes(wrong_crs)
    with pytest.raises(HygisInputError, match=r"wrong_zone\.gpkg.*none of the 10 change polygons.*--crs"):
        changes.classify_changes(wrong_zone, workers=1)
    assert _digest(tmp_path) == before, "inputs are never modified"


def test_unknown_class_is_said_not_guessed(lines):
    gdf = gpd.GeoDataFrame(
        {"TBBH": ["X"], "BGQDLBM": ["9999"], "BGHDLBM": ["0601"], "BGNF": [2026]},
        geometry=[box(1400, -50, 100)],
        crs=GK,
    )
    with pytest.warns(hygis.HygisWarning, match="'9999'"):
        out = changes.classify_changes(gdf, lines, workers=1)
    assert out["level"].tolist() == ["none"]
    assert any("'9999'" in n for n in out.attrs["notes"])


def test_rules_table_cites_a_source_for_every_rule():
    rules = changes.load_rules()
    assert rules["source"].str.len().gt(10).all()
    cited = " ".join(rules["source"])
    for doc in (
        "土地管理法",
        "自然资发〔2022〕142号",
        "国办发〔2020〕44号",
        "自然资发〔2021〕166号",
        "管理办法",
    ):
        assert doc in cited
    # R3's wording comes from the 城镇开发边界 texts, not from 厅字〔2019〕48号.
    r3 = rules.set_index("rule_id").loc["R3", "source"]
    assert "城镇开发边界管理办法" in r3 and "48号" not in r3


def test_a_rule_without_source_is_refused(tmp_path):
    table = changes.load_rules()
    table.loc[0, "source"] = ""
    path = tmp_path / "rules.csv"
    table.to_csv(path, index=False)
    with pytest.raises(HygisInputError, match="no source"):
        changes.load_rules(path)


def test_writers_mark_illustrative_data_in_every_format(tmp_path):
    from hygis.monitor import example

    out = changes.classify_changes(example.example_changes(n_per_year=30, years=(2026, 2027)), workers=1)
    assert "ILLUSTRATIVE" in out.attrs["banner"] and set(out["data_status"]) == {"illustrative"}
    paths = {s: changes.write_changes(out, tmp_path / f"c.{s}") for s in ("csv", "xlsx", "gpkg", "html")}
    csv = pd.read_csv(paths["csv"], dtype={"county_code": str})
    assert len(csv) == len(out) and set(csv["data_status"]) == {"illustrative"}
    book = pd.ExcelFile(paths["xlsx"])
    assert book.sheet_names[0] == hygis.io.NOTICE_SHEET
    assert "ILLUSTRATIVE" in str(pd.read_excel(book, book.sheet_names[0]).iloc[0, 0])
    rows = pd.read_excel(book, "变化图斑明细", dtype={"变化图斑编号": str})
    assert set(rows["数据状态"]) == {"示意数据（非正式）"} and len(rows) == len(out)
    assert len(gpd.read_file(paths["gpkg"], layer="changes")) == len(out)
    page = paths["html"].read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in page and "土地管理法" in page


def test_example_changes_are_reproducible():
    from hygis.monitor import example

    a, b = (
        example.example_changes(n_per_year=20, years=(2026,)),
        example.example_changes(n_per_year=20, years=(2026,)),
    )
    assert a.geometry.equals(b.geometry) and a["BGHDLBM"].tolist() == b["BGHDLBM"].tolist()


def test_workbook_is_a_planners_in_chinese_and_english_on_request(tmp_path):
    from hygis.monitor import example

    out = changes.classify_changes(example.example_changes(n_per_year=30, years=(2026, 2027)), workers=1)
    book = pd.read_excel(changes.write_changes(out, tmp_path / "c.xlsx"), sheet_name=None)
    assert list(book)[1:] == ["变化图斑明细", "分县分年度统计", "年度趋势", "预警规则", "方法与说明"]
    rows = book["变化图斑明细"].set_index("变化图斑编号")
    # the level as a planner names it (红/橙/黄/无), once: the English key is left out
    assert set(rows["预警等级"]) <= set(grading.load_levels()["label_zh"]) and "level" not in rows
    api = out.set_index("change_id")
    assert rows["变化图斑面积（公顷）"].to_dict() == pytest.approx(api["area_ha"].to_dict())
    counties = book["分县分年度统计"]
    city = counties[counties["县级行政区代码"].astype(str) == "全市"].set_index("监测年度")
    red = out[out["level"] == "red"].groupby("year")["area_ha"].sum()
    assert city["面积（红，公顷）"].to_dict() == pytest.approx(red.to_dict())
    assert city["图斑数（红）"].sum() == int((out["level"] == "red").sum())
    rules = book["预警规则"].set_index("规则编号")
    assert rules.loc["R4", "变更后地类大类"] == "园地、林地、草地、坑塘水面"
    assert rules.loc["R1", "涉及控制线"] == "永久基本农田" and rules.loc["R1", "预警等级"] == "红"
    assert "计算坐标系" in set(book["方法与说明"]["事项"])
    # the basis of each rule, the method and each layer's source read in Chinese (but for the
    # bilingual illustrative notice and the CRS's name)
    assert english_sentences(book["预警规则"], ["依据出处", "规则名称"]) == []
    about = book["方法与说明"]
    told = about[~about["事项"].isin(["示意数据说明", "计算坐标系"])]
    assert english_sentences(told, ["内容"]) == []
    about = about.set_index("事项")["内容"]
    assert about["叠加分析方法"] == "精确叠加分析（hygis.engine.overlap），各控制线按并集计算"
    assert about["输入数据：永久基本农田"].startswith("示意数据（非正式） — 由 hygis.illustrative 生成")
    old = pd.read_excel(changes.write_changes(out, tmp_path / "en.xlsx", lang="en"), sheet_name=None)
    assert list(old)[1:] == ["图斑 changes", "分县 by county", "趋势 trend", "规则 rules", "说明 about"]
    about_en = dict(zip(old["说明 about"]["item"], old["说明 about"]["value"]))
    assert about_en["input: permanent_farmland"].startswith("illustrative — Generated by hygis.illustrative")
    rules_en = old["规则 rules"]
    assert (
        rules_en["source"].tolist() == changes.load_rules()["source"].tolist() and "source_zh" not in rules_en
    )
    assert list(old["图斑 changes"].columns) == list(changes.table(out).columns)
