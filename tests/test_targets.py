"""The plan's targets table: validation, the plan's own words, the printed table."""

from __future__ import annotations

import pandas as pd
import pytest

from hygis import HygisInputError
from hygis.plan import targets
from hygis.settings import DATA_DIR

#: The plan's text, kept in the repository as the source the targets cite.
PLAN = DATA_DIR / "plan" / "hengyang-plan-2026-2035.txt"


def test_load_targets_table():
    t = targets.load_targets()
    assert len(t) == 23
    gdp = t[t["indicator"] == "地区生产总值"].iloc[0]
    assert (gdp["target_2030"], gdp["target_2035"], gdp["unit"]) == ("8000", "12000", "亿元")


def test_english_units_have_their_chinese_and_it_may_be_left_out(tmp_path):
    t = targets.load_targets().set_index("indicator")
    assert t.loc["研发投入强度（2030）", ["unit", "unit_zh"]].tolist() == ["% of GDP", "占GDP比重（%）"]
    assert (
        t.loc["单位GDP能耗较2025年下降", "unit_zh"] == "下降率（%）"
        and t.loc["地区生产总值", "unit_zh"] == ""
    )
    # a bureau's own table without the column reads as before, the Chinese unit empty
    own = tmp_path / "t.csv"
    pd.read_csv(targets.targets_path(), dtype=str, keep_default_na=False).drop(columns="unit_zh").to_csv(
        own, index=False
    )
    assert set(targets.load_targets(own)["unit_zh"]) == {""}


def test_every_plan_line_occurs_verbatim_in_the_plan():
    missing = targets.verify_plan_lines(targets.load_targets(), PLAN.read_text(encoding="utf-8"))
    assert missing.empty, missing


def test_a_line_not_in_the_text_is_reported():
    t = targets.load_targets()
    missing = targets.verify_plan_lines(t.head(1), "地区生产总值突破8000亿元")
    assert list(missing["missing"]) == ["地区生产总值突破1.2万亿元"]


def test_bad_table_names_row_and_problem(tmp_path):
    src = targets.targets_path().read_text(encoding="utf-8").splitlines()
    src[2] = src[2].replace(",>=,", ",about,")
    bad = tmp_path / "t.csv"
    bad.write_text("\n".join(src), encoding="utf-8")
    with pytest.raises(HygisInputError, match="row 3 .*comparison 'about'"):
        targets.load_targets(bad)


def test_format_has_units_and_at_least_marks():
    text = targets.format_targets(targets.load_targets())
    assert "≥8000" in text and "亿元" in text and "3-5" in text
