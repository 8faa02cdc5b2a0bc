"""Printable HTML pages of the change and project monitors (offline: styles and charts inline).

Every value is escaped; the illustrative banner leads the page when any input is illustrative.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html

import numpy as np
import pandas as pd

from hygis.monitor import grading
from hygis.monitor.charts import CSS, figure_bytes, projects_figure
from hygis.monitor.report import changes_by_county, changes_trend, projects_by_county, projects_by_group

#: Rows of the warning list on the printable page: a year of 卫片 may hold 10^5 warnings.
PAGE_MAX_ROWS = 2_000


def _cell(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else ""
    if isinstance(v, (int, np.integer)):
        return f"{v:,d}"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.{digits}f}"
    return html.escape(str(v))


def html_table(
    df: pd.DataFrame, columns: list[tuple[str, str]], *, colour: dict[str, dict[str, str]] | None = None
) -> str:
    """A table of ``(heading, column)`` pairs, escaped; ``colour`` maps a column's values to a background."""
    colour = colour or {}
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h, _ in columns) + "</tr>"]
    for _, row in df.iterrows():
        cells = []
        for _, col in columns:
            v = row.get(col)
            if col in colour and str(v) in colour[col]:
                cells.append(
                    "<td><span class='st' "
                    f"style='background:{html.escape(colour[col][str(v)])}'>{_cell(v)}</span></td>"
                )
            elif col.endswith("year"):  # a year is a label, not a quantity: no thousands separator
                cells.append(f"<td>{html.escape(str(v))}</td>")
            else:
                cells.append(f"<td class='{'t' if isinstance(v, str) else ''}'>{_cell(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _page(title: str, banner: str | None, body: list[str]) -> str:
    head = (
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
    )
    warn = f"<div class='banner'>⚠ {html.escape(banner)}</div>" if banner else ""
    return (
        head
        + warn
        + "".join(body)
        + f"<p class='note'>hygis · {_dt.date.today().isoformat()}</p></body></html>"
    )


def changes_html(result: pd.DataFrame, rules: pd.DataFrame) -> str:
    """The change monitor as a page: the trend, the counties, the warnings and ``rules``."""

    levels = grading.load_levels()
    lv_colour = {"level_zh": dict(zip(levels["label_zh"], levels["color"]))}
    t = changes_trend(result)
    c = changes_by_county(result)
    counts = " · ".join(
        f"{levels.loc[lv, 'label_zh']} {lv}: {int((result['level'] == lv).sum())}" for lv in levels.index
    )
    body = [
        (
            f"<p>{len(result):,} 变化图斑 change polygons; {html.escape(counts)}. 面积 areas: "
            f"{html.escape(str(result.attrs.get('area_method', '')))}; overlaps cut exactly in "
            f"{html.escape(str(result.attrs.get('area_crs', '')))} (union of each control line).</p>"
        )
    ]
    lv_cols = [(f"{levels.loc[lv, 'label_zh']} n", f"n_{lv}") for lv in levels.index]
    body.append(
        "<h2>趋势 Trend by year</h2>"
        + html_table(
            t,
            [
                ("年度 year", "year"),
                ("图斑 changes", "changes"),
                ("面积 ha", "area_ha"),
                *lv_cols,
                ("红 ha", "red_ha"),
            ],
        )
    )
    body.append(
        "<h2>分县 By county</h2>"
        + html_table(
            c,
            [
                ("年度 year", "year"),
                ("县 county", "county_name"),
                ("图斑 changes", "changes"),
                ("面积 ha", "area_ha"),
                ("占红线 ha", "redline_ha"),
                ("占永农 ha", "farmland_ha"),
                ("边界外 ha", "outside_udb_ha"),
                *lv_cols,
            ],
        )
    )
    warned = result[result["level"] != "none"].copy()
    warned["_rank"] = warned["level"].map(levels["rank"])
    warned = warned.sort_values(["_rank", "area_ha"], ascending=[False, False])
    listed = warned.head(PAGE_MAX_ROWS)
    cut = (
        f"<p class='note'>The {len(listed):,} highest (by level, then area) of {len(warned):,}; "
        "every change is in the .xlsx, .csv and .gpkg reports.</p>"
        if len(warned) > len(listed)
        else ""
    )
    body.append(
        f"<h2>预警图斑 Changes with a warning ({len(warned):,})</h2>"
        + cut
        + html_table(
            listed,
            [
                ("编号 id", "change_id"),
                ("年度 year", "year"),
                ("县 county", "county_name"),
                ("预警 level", "level_zh"),
                ("规则 rule", "rule_label"),
                ("前 before", "class_before"),
                ("后 after", "class_after"),
                ("面积 ha", "area_ha"),
                ("占红线 ha", "redline_ha"),
                ("占永农 ha", "farmland_ha"),
                ("边界外 ha", "outside_udb_ha"),
            ],
            colour=lv_colour,
        )
    )
    body.append(
        "<h2>规则 Rules</h2>"
        + html_table(
            rules,
            [
                ("编号 id", "rule_id"),
                ("等级 level", "level"),
                ("变更前 before", "before"),
                ("变更后 after", "after"),
                ("控制线 line", "line"),
                ("规则 rule", "label_zh"),
                ("依据 source", "source"),
            ],
        )
    )
    notes = result.attrs.get("notes", [])
    if notes:
        body.append(
            "<h2>说明 Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
        )
    return _page("变化图斑监测预警 Land-use change monitoring", result.attrs.get("banner"), body)


def projects_html(table: pd.DataFrame) -> str:
    """The project monitor as a page: totals by group and county, the chart, each project."""

    colours = {"status": grading.status_colors("project"), "stage": dict(grading.load_stages()["color"])}
    png = figure_bytes(projects_figure(table, illustrative=bool(table.attrs.get("banner"))), "png")
    total, done = table["planned_yi"].sum(), table["invest_done_yi"].sum()
    summary = (
        f"<p>计划总投资 planned {total:,.0f} 亿元; 累计完成 completed {done:,.1f} 亿元 "
        f"({100 * done / max(total, 1e-9):.1f} %); "
        f"{int(table['behind'].sum())} project(s) behind the mid-term path. "
        f"Path: {html.escape(grading.load_settings()['project_path']['source'])}</p>"
    )
    body = [
        summary,
        "<img style='max-width:100%' alt='project progress' "
        f"src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'>",
        "<h2>分组 By group</h2>"
        + html_table(
            projects_by_group(table),
            [
                ("类别 group", "group"),
                ("项目 projects", "projects"),
                ("计划 planned 亿元", "planned_yi"),
                ("完成 done 亿元", "invest_done_yi"),
                ("完成率 %", "completion_pct"),
                ("路径 path %", "path_pct"),
                ("落后 behind", "behind"),
            ],
        ),
        "<h2>分县 By county</h2>"
        + html_table(
            projects_by_county(table),
            [
                ("代码 code", "code"),
                ("县 county", "county"),
                ("项目 projects", "projects"),
                ("计划 planned 亿元", "planned_yi"),
                ("完成 done 亿元", "invest_done_yi"),
                ("完成率 %", "completion_pct"),
                ("落后 behind", "behind"),
            ],
        ),
        "<h2>项目 Projects</h2>"
        + html_table(
            table,
            [
                ("编号 id", "project_id"),
                ("名称 name", "name"),
                ("类别 group", "group"),
                ("阶段 stage", "stage"),
                ("计划 planned 亿元", "planned_yi"),
                ("完成 done 亿元", "invest_done_yi"),
                ("完成率 %", "completion_pct"),
                ("路径 path %", "path_pct"),
                ("状态 status", "status"),
            ],
            colour=colours,
        ),
    ]
    unknown = table.attrs.get("unknown") or []
    if unknown:
        body.append(
            "<p class='note'>进展表中未知的项目 ids not among the projects: "
            f"{html.escape(', '.join(unknown))}</p>"
        )
    return _page("重点项目实施监测 Project progress", table.attrs.get("banner"), body)


__all__ = ["changes_html", "html_table", "projects_html"]
