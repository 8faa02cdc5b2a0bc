"""Project progress against the planned investment and the mid-term path."""

from __future__ import annotations

import pandas as pd
import pytest

import hygis
from hygis.errors import HygisInputError
from hygis.monitor import grading, projects


@pytest.fixture(scope="module")
def inputs():
    return hygis.resolve()


def test_statuses_against_the_midterm_path(inputs):
    # 2027 on the default path (half by 2030, evenly from 2025): 0.5 · 2 / 5 = 20 % of the plan.
    # P01 plans 300 亿元 (path 60), P02 200 (path 40), P03 150 (path 30), P05 250 (path 50).
    progress = pd.DataFrame(
        {
            "项目编号": ["P01", "P02", "P03", "P05", "P06"],
            "年度": [2027] * 5,
            "累计完成投资": [60.0, 27.9, 21.0, 250.0, 1.0],
            "阶段": ["在建", "在建", "在建", "在建", "竣工"],
        }
    )
    table = projects.assess_projects(progress, inputs).set_index("project_id")
    assert table.loc["P01", "path_yi"] == pytest.approx(60.0) and table.loc["P01", "status"] == "正常"
    assert table.loc["P02", "ratio"] == pytest.approx(27.9 / 40) and table.loc["P02", "status"] == "滞后"
    assert table.loc["P03", "ratio"] == pytest.approx(0.7) and table.loc["P03", "status"] == "预警"
    assert table.loc["P05", "status"] == "已完成"  # the whole planned investment done
    assert table.loc["P06", "status"] == "已完成"  # stage 竣工
    assert table.loc["P01", "completion_pct"] == pytest.approx(20.0)
    without_progress = set(table.index) - {"P01", "P02", "P03", "P05", "P06"}
    assert set(table.index[table["behind"]]) == {"P02", "P03"} | without_progress
    # Projects without any progress are 前期 with nothing done, and behind the path.
    assert (
        table.loc["P04", "stage"] == "前期"
        and table.loc["P04", "invest_done_yi"] == 0
        and table.loc["P04", "behind"]
    )
    assert table["planned_yi"].sum() == pytest.approx(2430)


def test_annual_investment_is_summed_over_the_years(inputs):
    progress = pd.DataFrame(
        {"project_id": ["P01", "P01"], "year": [2026, 2027], "年度完成投资": [20.0, 25.0]}
    )
    table = projects.assess_projects(progress, inputs).set_index("project_id")
    assert (
        table.loc["P01", "invest_done_yi"] == pytest.approx(45.0) and table.loc["P01", "latest_year"] == 2027
    )


def test_group_and_county_totals_add_up(inputs):
    from hygis.monitor import example

    table = projects.assess_projects(example.example_progress(inputs=inputs), inputs)
    groups = projects.by_group(table)
    total = groups[groups["group"] == "合计 total"].iloc[0]
    assert total["planned_yi"] == pytest.approx(2430) and total["projects"] == 19
    assert groups.iloc[:-1]["invest_done_yi"].sum() == pytest.approx(table["invest_done_yi"].sum())
    counties = projects.by_county(table)
    assert counties["planned_yi"].sum() == pytest.approx(2430)
    assert counties["invest_done_yi"].sum() == pytest.approx(table["invest_done_yi"].sum())
    assert "ILLUSTRATIVE" in table.attrs["banner"] and set(table["data_status"]) == {grading.ILLUSTRATIVE}


def test_bad_progress_tables_are_refused(tmp_path):
    path = tmp_path / "项目进展.csv"
    pd.DataFrame({"项目编号": ["P01"], "年度": [2027], "阶段": ["在建"]}).to_csv(path, index=False)
    with pytest.raises(HygisInputError, match=r"项目进展\.csv.*累计完成投资"):
        projects.read_progress(path)
    pd.DataFrame({"项目编号": ["P01"], "年度": [2027], "累计完成投资": [1], "阶段": ["开工"]}).to_csv(
        path, index=False
    )
    with pytest.raises(HygisInputError, match="开工"):
        projects.read_progress(path)


def test_writers(tmp_path, inputs):
    from hygis.monitor import charts, example

    table = projects.assess_projects(example.example_progress(inputs=inputs), inputs)
    book = pd.ExcelFile(projects.write_projects(table, tmp_path / "p.xlsx"))
    assert book.sheet_names == [hygis.io.NOTICE_SHEET, "重点项目进展", "分组进展", "分县进展", "年度进展"]
    sheet = pd.read_excel(book, "重点项目进展").set_index("项目编号")
    api = table.set_index("project_id")
    assert sheet["累计完成投资（亿元）"].to_dict() == pytest.approx(api["invest_done_yi"].to_dict())
    assert (sheet["是否滞后于中期进度"] == "是").to_dict() == api["behind"].to_dict()
    groups = pd.read_excel(book, "分组进展").set_index("项目分组")
    assert groups["滞后项目数"].drop("合计 total").sum() == int(api["behind"].sum())
    counties = pd.read_excel(book, "分县进展")
    assert counties["计划投资（亿元）"].sum() == pytest.approx(api["planned_yi"].sum(), rel=1e-6)
    old = pd.ExcelFile(projects.write_projects(table, tmp_path / "en.xlsx", lang="en"))
    assert old.sheet_names[1:] == ["项目 projects", "分组 by group", "分县 by county", "进展 progress"]
    page = projects.write_projects(table, tmp_path / "p.html").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in page and "data:image/png;base64," in page
    png = charts.write_projects_chart(table, tmp_path / "p.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
