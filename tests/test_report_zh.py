"""The reports speak Chinese to a Chinese office: sheet and layer names, headers with units, verdicts.

English on request (``lang="en"`` / ``--lang en``); the .csv keeps its data-interchange names unless
Chinese is asked for.
"""

from __future__ import annotations

import docx
import openpyxl
import pandas as pd
import pyogrio
import pytest

import hygis
from hygis.check.report import write_report
from hygis.errors import HygisInputError


@pytest.fixture(scope="module")
def checked():
    inputs = hygis.resolve()
    return hygis.check_projects(inputs), inputs


def test_xlsx_is_chinese_by_default(checked, tmp_path):
    report, _ = checked
    book = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx"), read_only=True)
    assert book.sheetnames == [
        "说明 notice",
        "审查结果",
        "项目汇总",
        "分县统计",
        "永久基本农田图斑明细",
        "警告",
        "数据来源与方法",
    ]
    head = next(book["审查结果"].values)
    assert head[:4] == ("项目编号", "项目名称", "项目分组", "控制线")
    assert {"重叠面积（公顷）", "重叠面积（亩）", "审查结论", "审查依据"} <= set(head)
    assert "overlap_ha" not in head and "control_line_zh" not in head
    rows = pd.read_excel(tmp_path / "r.xlsx", sheet_name="项目汇总").set_index("项目编号")
    assert rows.loc["P08", "综合结论"] == "需审批" and rows.loc["P01", "综合结论"] == "未定位"
    assert set(pd.read_excel(tmp_path / "r.xlsx", sheet_name="审查结果")["控制线"]) == {
        "生态保护红线",
        "永久基本农田",
        "城镇开发边界",
    }
    meta = pd.read_excel(tmp_path / "r.xlsx", sheet_name="数据来源与方法")
    assert list(meta.columns) == ["项目", "内容"] and meta["内容"].str.contains("椭球面积").any()
    assert not meta["内容"].astype(str).str.contains("site-packages|/work/wt", regex=True).any()


def test_xlsx_in_english_on_request(checked, tmp_path):
    report, _ = checked
    book = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", lang="en"), read_only=True)
    assert "report" in book.sheetnames and "summary" in book.sheetnames
    assert "overlap_ha" in next(book["report"].values)


def test_gpkg_layer_names_are_chinese(checked, tmp_path):
    report, _ = checked
    names = [str(n) for n in pyogrio.list_layers(write_report(report, tmp_path / "r.gpkg"))[:, 0]]
    assert {"审查结果", "判定范围", "项目用地范围", "警告", "数据来源与方法"} <= set(names)
    sites = pyogrio.read_dataframe(tmp_path / "r.gpkg", layer="项目用地范围")
    assert "项目名称" in sites.columns and len(sites) == 19


def test_csv_keeps_its_interchange_names_unless_asked(checked, tmp_path):
    report, _ = checked
    plain = pd.read_csv(write_report(report, tmp_path / "a.csv"), encoding="utf-8-sig")
    assert "overlap_ha" in plain.columns and "needs approval" in set(plain.verdict)
    zh = pd.read_csv(write_report(report, tmp_path / "b.csv", lang="zh"), encoding="utf-8-sig")
    assert "重叠面积（公顷）" in zh.columns and "需审批" in set(zh["审查结论"])
    assert len(zh) == len(plain) == 57


def test_docx_is_chinese_and_editable(checked, tmp_path):
    report, inputs = checked
    doc = docx.Document(str(write_report(report, tmp_path / "审查意见.docx", inputs=inputs)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "审查意见" in text and "共 19 个项目" in text and "审查人" in text
    assert "P08 南衡高铁（衡阳段）" in text and "未定位项目" in text
    verdicts = doc.tables[0]
    assert [c.text for c in verdicts.rows[0].cells][:2] == ["控制线", "审查结论"]
    assert {r.cells[1].text for r in verdicts.rows[1:]} <= {"冲突", "需审批", "符合"}
    assert len(doc.inline_shapes) >= 1  # a figure of each located project


def test_unknown_language_is_refused(checked, tmp_path):
    with pytest.raises(HygisInputError, match="zh"):
        write_report(checked[0], tmp_path / "r.xlsx", lang="fr")


def test_cli_xlsx_chinese_by_default_english_on_request(cli, tmp_path):
    cli("check", "--out", str(tmp_path / "zh.xlsx"), check=True)
    assert "审查结果" in openpyxl.load_workbook(tmp_path / "zh.xlsx", read_only=True).sheetnames
    cli("check", "--lang", "en", "--out", str(tmp_path / "en.xlsx"), check=True)
    assert "report" in openpyxl.load_workbook(tmp_path / "en.xlsx", read_only=True).sheetnames
