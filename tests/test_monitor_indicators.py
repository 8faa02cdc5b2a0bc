"""Indicator statuses equal hand-computed ones, for growth and share indicators, at and around thresholds."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

import hygis
from hygis.errors import HygisInputError
from hygis.monitor import grading, indicators

from .monitor_fixtures import english_sentences

# The plan's targets (data/plan_targets.csv): GDP 8,000 亿元 in 2030 (growth: compound pace);
# urbanisation 65 % in 2030 (a rate: linear pace). Baselines here are the test's own, for 2025.
GDP_BASE, GDP_2030 = 5000.0, 8000.0
URB_BASE, URB_2030 = 60.0, 65.0


def assess(rows: list[tuple[str, int, float, str]], **kwargs) -> pd.DataFrame:
    values = pd.DataFrame(rows, columns=["indicator", "year", "value", "county"])
    return indicators.assess_indicators(values, with_layers=False, **kwargs)


def city(table: pd.DataFrame, name: str) -> pd.Series:
    return table[(table["indicator"] == name) & (table["county_code"] == "")].iloc[0]


# Hand computation: GDP needs g = (8000 / 5000) ** (1 / 5) - 1 a year; a 2027 value of
# 5000 · (1 + k·g)² has achieved pace k·g, ratio k. Statuses by data/monitor_status.csv:
# ≥ 1 正常, ≥ 0.8 预警, below 滞后; at the target 已达标.
G = (GDP_2030 / GDP_BASE) ** (1 / 5) - 1


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (1.20, "正常"),
        (1.0, "正常"),
        (0.9999, "预警"),
        (0.8, "预警"),
        (0.7999, "滞后"),
        (0.2, "滞后"),
        (-0.5, "滞后"),
    ],
)
def test_growth_indicator_status_at_and_around_thresholds(k, expected):
    value = GDP_BASE * (1 + k * G) ** 2
    row = city(
        assess([("地区生产总值", 2025, GDP_BASE, ""), ("地区生产总值", 2027, value, "")]), "地区生产总值"
    )
    assert row["required_2030"] == pytest.approx(100 * G)
    assert row["achieved"] == pytest.approx(100 * k * G)
    assert row["status"] == expected


@pytest.mark.parametrize(
    ("value_2027", "expected"),
    [
        (62.0, "正常"),  # 1 point a year: exactly the pace needed (65 − 60) / 5
        (61.999, "预警"),  # a hair below
        (61.6, "预警"),  # 0.8 of the pace: the warning threshold itself
        (61.598, "滞后"),
        (59.0, "滞后"),  # going backwards
        (65.0, "已达标"),  # the 2030 target already reached
    ],
)
def test_share_indicator_status_at_and_around_thresholds(value_2027, expected):
    rows = [
        ("常住人口城镇化率", 2025, URB_BASE, ""),
        ("常住人口城镇化率", 2026, 60.5, ""),
        ("常住人口城镇化率", 2027, value_2027, ""),
    ]
    row = city(assess(rows), "常住人口城镇化率")
    assert row["required_2030"] == pytest.approx((URB_2030 - URB_BASE) / 5)
    assert row["achieved"] == pytest.approx((value_2027 - URB_BASE) / 2)
    assert row["latest"] == value_2027 and row["latest_year"] == 2027
    assert row["status"] == expected


def test_required_pace_to_2035_and_horizon_after_2030():
    rows = [("常住人口城镇化率", 2025, URB_BASE, ""), ("常住人口城镇化率", 2031, 66.0, "")]
    row = city(assess(rows), "常住人口城镇化率")
    assert row["required_2035"] == pytest.approx((72 - URB_BASE) / 10)
    assert row["horizon"] == 2035 and row["target"] == 72
    # Achieved (66 − 60) / 6 = 1.0 point a year against 1.2 needed: ratio 0.83, a warning.
    assert row["ratio"] == pytest.approx(1.0 / 1.2) and row["status"] == "预警"


def test_rate_target_is_met_by_the_mean_of_observed_rates():
    rows = [("规模工业增加值年均增长", 2026, 8.0, ""), ("规模工业增加值年均增长", 2027, 7.0, "")]
    row = city(assess(rows), "规模工业增加值年均增长")
    assert row["achieved"] == pytest.approx(7.5)
    assert row["ratio"] == pytest.approx(7.5 / 8)
    assert row["status"] == "预警"


def test_counties_are_measured_against_the_city_pace_or_their_own_targets():
    rows = [
        ("地区生产总值", 2025, GDP_BASE, ""),
        ("地区生产总值", 2027, GDP_BASE * (1 + G) ** 2, ""),
        ("地区生产总值", 2025, 500.0, "衡阳县"),
        ("地区生产总值", 2027, 500.0 * (1 + 0.5 * G) ** 2, "430421"),
        ("地区生产总值", 2025, 400.0, "耒阳市"),
        ("地区生产总值", 2027, 400.0 * (1 + G) ** 2, "耒阳市"),
    ]
    table = assess(rows)
    county = table[table["county_code"] == "430421"].iloc[0]
    assert (
        county["county_name"] == "衡阳县"
        and county["ratio"] == pytest.approx(0.5)
        and county["status"] == "滞后"
    )
    # 耒阳市 with its own 2030 target of 800: it needs 2 ** (1/5) − 1 a year; at the city's pace it lags.
    own = pd.DataFrame(
        {"indicator": ["地区生产总值"], "county": ["耒阳市"], "target_2030": ["800"], "target_2035": [""]}
    )
    leiyang = assess(rows, county_targets=own).query("county_code == '430481'").iloc[0]
    needed = 2 ** (1 / 5) - 1
    assert leiyang["required_2030"] == pytest.approx(100 * needed)
    assert leiyang["ratio"] == pytest.approx(G / needed)
    assert leiyang["status"] == grading.grade([G / needed], "indicator")[0] == "滞后"


def test_each_note_reads_in_english_and_in_chinese():
    # urbanisation with no 2025 value (the settings file gives none) and GDP with only its baseline
    table = assess([("常住人口城镇化率", 2027, 61.0, ""), ("地区生产总值", 2025, GDP_BASE, "")])
    urb, gdp = city(table, "常住人口城镇化率"), city(table, "地区生产总值")
    assert urb["note"] == "no baseline (2025): give the 2025 value"
    assert urb["note_zh"] == "缺少 2025 年基期值：请补充 2025 年数值"
    assert (gdp["note"], gdp["note_zh"]) == ("no value after the baseline yet", "基期后尚无监测值")
    assert (gdp["baseline_source"], gdp["baseline_source_zh"]) == ("values given", "监测值表")
    energy = city(assess([("单位GDP能耗较2025年下降", 2027, 5.0, "")]), "单位GDP能耗较2025年下降")
    assert energy["baseline"] == 0.0  # from the settings file, with its reason in both languages
    assert energy["baseline_source"].startswith("monitor_indicators.csv: the indicator is measured")
    assert (
        energy["baseline_source_zh"]
        == "monitor_indicators.csv：该指标以 2025 年为基准计算，2025 年值按定义为 0"
    )


def test_protected_area_that_shrinks_is_a_warning():
    rows = [
        ("永久基本农田保护面积", 2025, 1000.0, ""),
        ("永久基本农田保护面积", 2026, 999.0, ""),
        ("城镇开发边界面积", 2025, 500.0, ""),
        ("城镇开发边界面积", 2026, 500.0, ""),
    ]
    table = assess(rows)
    assert city(table, "永久基本农田保护面积")["status"] == "预警"
    assert city(table, "城镇开发边界面积")["status"] == "正常"


def test_layer_areas_are_filled_in_and_agree_with_the_statistics():
    from hygis.analysis.stats import control_line_stats

    inputs = hygis.resolve()
    table = indicators.assess_indicators(
        pd.DataFrame({"indicator": ["地区生产总值"], "year": [2025], "value": [1.0]}),
        inputs=inputs,
        layers_year=2026,
    )
    stats = control_line_stats(inputs)
    farm = city(table, "永久基本农田保护面积")
    expected = stats.query("level == 'city' and line == 'permanent_farmland'")["area_ha"].iloc[0]
    assert farm["latest"] == pytest.approx(expected) and farm["latest_year"] == 2026
    assert (farm["unit"], farm["pace_unit"], farm["unit_zh"], farm["pace_unit_zh"]) == (
        "ha",
        "ha/yr",
        "公顷",
        "公顷/年",
    )
    assert "ILLUSTRATIVE" in table.attrs["banner"]  # measured on the illustrative lines
    assert (table["county_code"] != "").sum() >= 3 * 12


def test_two_vintages_of_the_lines_show_a_farmland_loss(tmp_path):
    before = hygis.resolve()
    farmland = before.permanent_farmland
    after = hygis.resolve(permanent_farmland=farmland.iloc[: len(farmland) // 2])  # half the patches gone
    values = pd.DataFrame({"indicator": ["地区生产总值"], "year": [2025], "value": [1.0]})
    table = indicators.assess_indicators(
        values, inputs=after, layers_year=2027, previous=before, previous_year=2026
    )
    farm = city(table, "永久基本农田保护面积")
    assert (farm["baseline_year"], farm["latest_year"]) == (2026, 2027)
    assert farm["latest"] < farm["baseline"] and farm["status"] == "预警"
    assert city(table, "生态保护红线面积")["status"] == "正常"


def test_bad_values_tables_are_refused_with_the_file_name(tmp_path):
    path = tmp_path / "指标.csv"
    pd.DataFrame({"指标": ["地区生产总值"], "年度": ["二〇二六"], "值": [1]}).to_csv(path, index=False)
    with pytest.raises(HygisInputError, match=r"指标\.csv.*年度.*number"):
        indicators.read_values(path)
    pd.DataFrame({"指标": ["地区生产总值"], "值": [1]}).to_csv(path, index=False)
    with pytest.raises(HygisInputError, match=r"指标\.csv.*'year'"):
        indicators.read_values(path)
    pd.DataFrame({"指标": ["地区生产总值"], "年度": [2026], "值": [1], "县市区": ["火星县"]}).to_csv(
        path, index=False
    )
    with pytest.raises(HygisInputError, match="火星县"):
        indicators.read_values(path)


def test_gbk_csv_and_xlsx_with_chinese_headers(tmp_path):
    frame = pd.DataFrame(
        {
            "指标": ["常住人口城镇化率"] * 2,
            "年度": [2025, 2026],
            "值": [60.0, 61.0],
            "县市区": ["全市", "全市"],
        }
    )
    frame.to_csv(tmp_path / "gbk.csv", index=False, encoding="gb18030")
    frame.to_excel(tmp_path / "v.xlsx", index=False)
    for name in ("gbk.csv", "v.xlsx"):
        got = indicators.read_values(tmp_path / name)
        assert got["value"].tolist() == [60.0, 61.0] and set(got["county_code"]) == {""}


def _dashboard_notes(page: str) -> list[str]:
    """The note cells of a written dashboard, as a reader sees them."""
    return [html.unescape(n) for n in re.findall(r"<td class='t note'>(.*?)</td>", page) if n]


def test_outputs_and_charts_say_illustrative(tmp_path):
    from hygis.monitor import charts, example

    table = indicators.assess_indicators(example.example_values(), with_layers=False)
    assert "ILLUSTRATIVE" in table.attrs["banner"] and set(table["data_status"]) == {"illustrative"}
    page = indicators.write_indicators(table, tmp_path / "dash.html").read_text(encoding="utf-8")
    n_city = int((table["county_code"] == "").sum())
    assert page.count("<svg") == n_city and "ILLUSTRATIVE" in page
    assert re.search(r"""(src|href)=["']https?:""", page) is None, (
        "the dashboard loads nothing from the network"
    )
    # its notes and units read in Chinese (note_zh, unit_zh); English on request
    notes = _dashboard_notes(page)
    assert english_sentences(pd.DataFrame({"note": notes}), ["note"]) == [] and notes
    assert "未给出分县目标：按全市所需进度评估" in notes and "(占GDP比重（%）)" in page
    english = indicators.write_indicators(table, tmp_path / "en.html", lang="en").read_text(encoding="utf-8")
    assert "no county target: measured against the city's pace" in _dashboard_notes(english)
    assert "(% of GDP)" in english and "(占GDP比重（%）)" not in english and "未给出分县目标" not in english
    book = pd.ExcelFile(indicators.write_indicators(table, tmp_path / "i.xlsx"))
    assert book.sheet_names[1:] == ["指标评估", "指标监测值", "指标测算设置", "评估阈值"]
    assert book.sheet_names[0] == hygis.io.NOTICE_SHEET
    sheet = pd.read_excel(book, "指标评估")
    assert "status_en" not in sheet and set(sheet["数据状态"]) == {"示意数据（非正式）"}
    city = sheet[sheet["县级行政区代码"].isna()].set_index("指标")
    api = table[table["county_code"] == ""].set_index("indicator")
    assert city["最新值"].to_dict() == pytest.approx(api["latest"].to_dict())
    assert city["评估状态"].fillna("").to_dict() == api["status"].to_dict()
    assert set(pd.read_excel(book, "指标测算设置")["向好方向"]) <= {"越高越好", "越低越好"}
    assert pd.read_excel(book, "指标监测值").columns.tolist()[:3] == ["指标", "年度", "监测值"]
    # the sentences a planner reads beside the figures are Chinese: notes, sources, meanings
    for name, columns in (
        ("指标评估", ["基期值来源", "说明"]),
        ("指标测算设置", ["基期值来源", "说明"]),
        ("评估阈值", ["含义", "出处"]),
    ):
        assert english_sentences(pd.read_excel(book, name), columns) == [], name
    notes = set(sheet["说明"].dropna())
    assert "未给出分县目标：按全市所需进度评估" in notes, "a county without its own target says so"
    # the plan's English units read in Chinese (unit_zh of plan_targets.csv), their paces too
    units = city.loc["单位GDP能耗较2025年下降", ["单位", "进度单位"]].tolist()
    assert units == ["下降率（%）", "下降率（%）/年"]
    shown = set(sheet["单位"]) | set(sheet["进度单位"])
    assert {"占GDP比重（%）", "占GDP比重（%）/年"} <= shown
    assert not [u for u in shown if re.search("of GDP|reduction|/yr", str(u))], shown
    assert "hygis 默认值；各局可在本文件中自行设定" in set(pd.read_excel(book, "评估阈值")["出处"])
    old = pd.ExcelFile(indicators.write_indicators(table, tmp_path / "en.xlsx", lang="en"))
    assert old.sheet_names[1:] == ["指标 assessment", "监测值 values", "规则 indicators", "阈值 thresholds"]
    # … and English on request, as before: no Chinese stand-in column
    assessed = pd.read_excel(old, "指标 assessment")
    assert "no county target: measured against the city's pace" in set(assessed["note"].dropna())
    assert "note_zh" not in assessed and "baseline_source_zh" not in assessed
    assert {"% of GDP", "% reduction"} <= set(assessed["unit"]) and "unit_zh" not in assessed
    assert {"% of GDP/yr", "% reduction/yr"} <= set(assessed["pace_unit"]) and "pace_unit_zh" not in assessed
    settings = pd.read_excel(old, "规则 indicators", keep_default_na=False)
    spec = pd.read_csv(hygis.settings.DATA_DIR / "monitor_indicators.csv", keep_default_na=False)
    assert settings["note"].tolist() == spec["note"].tolist() and "note_zh" not in settings
    thresholds = pd.read_excel(old, "阈值 thresholds")
    assert "hygis default; a bureau sets its own in this file" in set(thresholds["source"])
    assert english_sentences(thresholds, ["meaning"]) == thresholds["meaning"].tolist()
    files = charts.write_charts(table, tmp_path / "charts", fmt="png")
    assert len(files) == n_city and all(f.read_bytes()[:4] == b"\x89PNG" for f in files)


def test_charts_fall_back_to_english_without_a_cjk_font(monkeypatch):
    from hygis.monitor import charts, example

    table = indicators.assess_indicators(example.example_values(), with_layers=False)
    row = table[table["county_code"] == ""].iloc[0]
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    fig = charts.indicator_figure(
        row, table.attrs["values"], english={row["indicator"]: "GDP"}, illustrative=True
    )
    texts = [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text"))]
    assert any(t.startswith("GDP") for t in texts)
    assert not any(ch >= "\u2e80" for t in texts for ch in t), "no Chinese text without a font that has it"
    assert charts.figure_bytes(fig, "png")[:4] == b"\x89PNG"


def test_an_indicator_without_a_rule_is_said_not_dropped_silently():
    with pytest.warns(hygis.HygisWarning, match="火星指数"):
        table = assess([("火星指数", 2025, 1.0, ""), ("常住人口城镇化率", 2025, 60.0, "")])
    assert "火星指数" not in set(table["indicator"]) and any("火星指数" in n for n in table.attrs["notes"])
