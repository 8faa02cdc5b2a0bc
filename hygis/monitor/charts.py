"""Charts a planner pastes into a report: one figure per indicator, and an offline dashboard page.

Each figure shows the observed values, the path the target needs from the baseline (compound
for growth-type indicators, straight for shares and rates) and the 2030/2035 targets. Figures
are drawn with matplotlib (no pyplot: no display and no global state) and written as PNG for
documents or SVG for the web; the dashboard inlines the SVGs (text as paths), so it needs no
network and no font on the reader's machine.

Chinese text needs a CJK font: the first of :data:`CJK_FONTS` installed is used (Debian:
``fonts-noto-cjk``). Without one the labels fall back to the indicators' English names.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io as _io
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hygis import io
from hygis.errors import HygisOutputError
from hygis.messages import warn
from hygis.monitor import grading
from hygis.plan.targets import load_targets

#: Fonts with Chinese glyphs, in order of preference (Linux, Windows, macOS).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)
FIGSIZE_IN = (6.4, 3.6)
DPI = 150


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed CJK font, or None (labels then fall back to English)."""
    from matplotlib import font_manager  # noqa: PLC0415 - matplotlib loads only when a chart is drawn

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in installed), None)
    if found is None:
        warn("No CJK font found (e.g. apt-get install fonts-noto-cjk): chart labels are in English.")
    return found


def _label(indicator: str, english: dict[str, str]) -> str:
    return indicator if cjk_font() else english.get(indicator, indicator)


def indicator_figure(
    row: pd.Series, values: pd.DataFrame, *, english: dict[str, str] | None = None, illustrative: bool = False
):
    """One indicator's chart: observed values, the needed path from the baseline, the targets.

    Parameters
    ----------
    row : Series
        The city's row of :func:`hygis.monitor.indicators.assess_indicators`.
    values : DataFrame
        The observed values (``attrs["values"]`` of the assessment).
    illustrative : bool
        Stamp the chart 示意数据 ILLUSTRATIVE (a chart pasted into a report keeps saying so).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib loads only when a chart is drawn
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - matplotlib loads only when a chart is drawn

    english = english or {}
    font = cjk_font()
    rc = {"family": [font, "DejaVu Sans"]} if font else {}
    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    obs = values[
        (values["indicator"] == row["indicator"]) & (values["county_code"] == row["county_code"])
    ].sort_values("year")
    colors = grading.status_colors("stock" if row["kind"] == "stock" else "indicator")
    colour = colors.get(row["status"], "#333333")
    base, y0 = row["baseline"], row["baseline_year"]
    for year, target, style in ((2030, row["target_2030"], "o"), (2035, row["target_2035"], "D")):
        if pd.notna(target):
            ax.plot([year], [target], style, color="#555555", markersize=7, zorder=3)
            ax.annotate(
                f"{target:g}",
                (year, target),
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=8,
                **_font(rc),
            )
    if row["kind"] in ("compound", "linear") and pd.notna(base):
        ends = [(h, t) for h, t in ((2030, row["target_2030"]), (2035, row["target_2035"])) if pd.notna(t)]
        xs: list[float] = []
        ys: list[float] = []
        start, start_y = y0, base
        for h, t in ends:
            x = np.arange(start, h + 1)
            if row["kind"] == "compound" and start_y > 0 and t > 0:
                y = start_y * (t / start_y) ** ((x - start) / (h - start))
            else:
                y = start_y + (t - start_y) * (x - start) / (h - start)
            xs.extend(x)
            ys.extend(y)
            start, start_y = h, t
        if xs:
            ax.plot(xs, ys, "--", color="#888888", linewidth=1.2, label=_t("目标路径 target path", rc))
    elif row["kind"] == "rate" and pd.notna(row["target"]):
        ax.axhline(row["target"], linestyle="--", color="#888888", linewidth=1.2, label=_t("目标 target", rc))
    elif row["kind"] == "stock" and pd.notna(base):
        ax.axhline(base, linestyle="--", color="#888888", linewidth=1.2, label=_t("基准 reference", rc))
    ax.plot(
        obs["year"],
        obs["value"],
        "-o",
        color=colour,
        linewidth=2,
        markersize=5,
        label=_t("监测值 observed", rc),
    )
    title = (
        f"{_label(row['indicator'], english)} — {row['status'] or '—'}"
        if font
        else f"{_label(row['indicator'], english)} — {row['status_en'] or '—'}"
    )
    ax.set_title(title, fontsize=10, **_font(rc))
    # with a CJK font the unit in Chinese where the targets table gives it (占GDP比重（%）)
    zh = row.get("unit_zh")
    unit = zh if rc and isinstance(zh, str) and zh else row["unit"]
    ax.set_ylabel(_unit(str(unit), rc), fontsize=8, **_font(rc))
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    years = list(obs["year"]) + [
        y for y, t in ((2030, row["target_2030"]), (2035, row["target_2035"])) if pd.notna(t)
    ]
    if pd.notna(y0) and row["kind"] != "rate":
        years.append(y0)
    if years:  # whole years, with room for the last target's label (one vintage alone would span a century)
        ax.set_xlim(min(years) - 0.5, max(max(years), min(years) + 2) + 0.8)
    if illustrative:
        ax.text(
            0.99,
            0.02,
            _t("示意数据 ILLUSTRATIVE, not official", rc),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color="#b36b00",
            **_font(rc),
        )
    legend = ax.legend(fontsize=7, loc="best", frameon=False)
    for text in legend.get_texts():
        text.set_fontfamily(rc.get("family", ["DejaVu Sans"]))
    return fig


def _font(rc: dict) -> dict:
    return {"fontfamily": rc["family"]} if rc else {}


#: Units of data/plan_targets.csv in English, for charts drawn without a CJK font.
UNITS_EN = {"亿元": "100 million yuan", "家": "firms", "个": "count", "亿人次": "100 million visits"}


def _unit(unit: str, rc: dict) -> str:
    return unit if rc or unit.isascii() else UNITS_EN.get(unit, "")


def _t(text: str, rc: dict) -> str:
    """A bilingual label, or its English half without a CJK font."""
    return text if rc else text.split(" ", 1)[-1]


def figure_bytes(fig, fmt: str) -> bytes:
    """A figure as PNG or SVG bytes (SVG text as paths: it renders without the font)."""
    import matplotlib  # noqa: PLC0415 - matplotlib loads only when a chart is drawn

    buf = _io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "hygis"}):
        # A fixed date and salt: the same chart gives the same bytes.
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def city_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The city's rows of an assessment (one chart each)."""
    return table[table["county_code"] == ""]


def write_charts(table: pd.DataFrame, folder: str | os.PathLike, *, fmt: str = "png") -> list[Path]:
    """One chart file per indicator (the city's values) into ``folder``: ``NN_indicator.png``/``.svg``."""
    if fmt not in ("png", "svg"):
        msg = f"charts are written as png or svg, not {fmt}."
        raise HygisOutputError(msg)
    english = _english()
    out = []
    for k, (_, row) in enumerate(city_rows(table).iterrows(), start=1):
        fig = indicator_figure(
            row, table.attrs["values"], english=english, illustrative=bool(table.attrs.get("banner"))
        )
        safe = "".join(ch if ch.isalnum() else "_" for ch in row["indicator"])[:40]
        target = Path(folder) / f"{k:02d}_{safe}.{fmt}"
        with io.atomic_path(target) as tmp:
            tmp.write_bytes(figure_bytes(fig, fmt))
        out.append(target.resolve())
    return out


def _english() -> dict[str, str]:
    targets = load_targets()
    names = dict(zip(targets["indicator"], targets["indicator_en"]))
    names.update(
        {
            "生态保护红线面积": "Ecological red line area",
            "永久基本农田保护面积": "Permanent basic farmland area",
            "城镇开发边界面积": "Urban development boundary area",
        }
    )
    return names


def projects_figure(table: pd.DataFrame, *, illustrative: bool = False):
    """Each project's completed investment against its plan and the mid-term path (亿元), coloured by stage.

    Parameters
    ----------
    table : DataFrame
        From :func:`hygis.monitor.projects.assess_projects`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib loads only when a chart is drawn

    font = cjk_font()
    rc = {"family": [font, "DejaVu Sans"]} if font else {}
    stages = grading.load_stages()
    rows = table.iloc[::-1]
    fig = Figure(figsize=(7.5, 0.32 * len(rows) + 1.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    ax.barh(y, rows["planned_yi"], color="#eeeeee", edgecolor="#bbbbbb", label=_t("计划投资 planned", rc))
    ax.barh(
        y, rows["invest_done_yi"], color=rows["stage"].map(stages["color"]).fillna("#666666"), height=0.55
    )
    ax.scatter(
        rows["path_yi"],
        y,
        marker="|",
        s=160,
        color="#d7191c",
        zorder=3,
        label=_t("中期路径 mid-term path", rc),
    )
    names = [f"{p} {n}" if font else str(p) for p, n in zip(rows["project_id"], rows["name"])]
    ax.set_yticks(y, names, fontsize=7, **_font(rc))
    for k, flag in enumerate(rows["behind"]):
        if flag:
            ax.get_yticklabels()[k].set_color("#d7191c")
    ax.set_xlabel(_t("亿元 100 million yuan", rc), fontsize=8, **_font(rc))
    ax.tick_params(axis="x", labelsize=8)
    handles, labels = ax.get_legend_handles_labels()
    from matplotlib.patches import Patch  # noqa: PLC0415 - matplotlib loads only when a chart is drawn

    for stage, row in stages.iterrows():
        handles.append(Patch(color=row["color"]))
        labels.append(_t(f"{stage} {row['stage_en']}", rc))
    legend = ax.legend(handles, labels, fontsize=7, loc="lower right", frameon=False)
    for text in legend.get_texts():
        text.set_fontfamily(rc.get("family", ["DejaVu Sans"]))
    ax.set_title(
        _t(f"项目进展 Project progress ({int(table['latest_year'].max())})", rc), fontsize=10, **_font(rc)
    )
    ax.grid(axis="x", alpha=0.3)
    if illustrative:
        fig.text(
            0.01,
            0.005,
            _t("示意数据 ILLUSTRATIVE, not official", rc),
            ha="left",
            va="bottom",
            fontsize=8,
            color="#b36b00",
            **_font(rc),
        )
    return fig


def write_projects_chart(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write :func:`projects_figure` as ``.png`` or ``.svg`` (the suffix picks), atomically."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        msg = f"{target.name}: a chart is written as .png or .svg; change the file name."
        raise HygisOutputError(msg)
    with io.atomic_path(target) as tmp:
        tmp.write_bytes(
            figure_bytes(projects_figure(table, illustrative=bool(table.attrs.get("banner"))), fmt)
        )
    return target.resolve()


#: The stylesheet of hygis's monitoring pages (dashboard, change and project reports).
CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em}
.banner{background:#fff3cd;border:2px solid #d39e00;padding:.6em 1em;font-weight:bold;margin:1em 0}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}
td:first-child,th:first-child,td.t{text-align:left} th{background:#f2f2f2}
.st{display:inline-block;padding:0 .5em;border-radius:3px;color:#000}
.grid{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ddd;border-radius:4px;padding:4px;width:640px}
.card svg,.card img{width:100%;height:auto}
.note{color:#666;font-size:.85em}
"""


def _fmt(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
        return "—"
    if isinstance(v, (int, np.integer)):
        return f"{v:d}"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.{digits}f}"
    return html.escape(str(v))


def _status_cell(value: str, colors: dict[str, str]) -> str:
    if not value:
        return "—"
    return (
        "<span class='st' "
        f"style='background:{html.escape(colors.get(value, '#eee'))}'>{html.escape(value)}</span>"
    )


def _in(row: Any, column: str, lang: str) -> str:
    """A row's text in ``lang``: in Chinese its ``<column>_zh`` where given (the English where not)."""
    given = getattr(row, f"{column}_zh", "") if lang == "zh" else ""
    return given if isinstance(given, str) and given.strip() else str(getattr(row, column))


def status_table_html(table: pd.DataFrame, *, cities_only: bool = False, lang: str = "zh") -> str:
    """The assessment as an HTML table (every text escaped), statuses coloured; each note and unit in
    ``lang`` (Chinese: ``note_zh``, ``unit_zh`` where given)."""
    rows = city_rows(table) if cities_only else table
    head = [
        "指标 indicator",
        "县 county",
        "基期 baseline",
        "最新 latest (year)",
        "目标 target (horizon)",
        "需 needed /yr",
        "实 achieved /yr",
        "比 ratio",
        "状态 status",
        "说明 note",
    ]
    out = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in rows.itertuples():
        colors = grading.status_colors("stock" if r.kind == "stock" else "indicator")
        need = r.required_2030 if r.horizon == 2030 else r.required_2035
        out.append(
            "<tr>"
            f"<td class='t'>{html.escape(r.indicator)} <span "
            f"class='note'>({html.escape(_in(r, 'unit', lang))})</span></td>"
            f"<td class='t'>{html.escape(str(r.county_name))}</td><td>{_fmt(r.baseline)}</td>"
            f"<td>{_fmt(r.latest)} ({r.latest_year})</td>"
            f"<td>{_fmt(r.target)}{f' ({int(r.horizon)})' if pd.notna(r.horizon) else ''}</td>"
            f"<td>{_fmt(need)}</td><td>{_fmt(r.achieved)}</td><td>{_fmt(r.ratio)}</td>"
            f"<td>{_status_cell(r.status, colors)}</td><td class='t "
            f"note'>{html.escape(_in(r, 'note', lang))}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def dashboard_html(
    table: pd.DataFrame,
    *,
    image: str = "svg",
    title: str = "规划实施监测 — 指标 Indicator dashboard",
    lang: str = "zh",
) -> str:
    """An offline HTML page: the banner, the status table and one chart per indicator (inline).

    Parameters
    ----------
    table : DataFrame
        From :func:`hygis.monitor.indicators.assess_indicators` (with ``attrs["values"]``).
    image : {'svg', 'png'}
        Inline SVG (sharp, larger) or base64 PNG.
    lang : {'zh', 'en'}
        The language of each indicator's note and unit (the headings stay bilingual).
    """
    english = _english()
    banner = table.attrs.get("banner")
    counts = city_rows(table)["status"].value_counts()
    summary = " · ".join(f"{html.escape(k)}: {int(v)}" for k, v in counts.items() if k)
    parts = [
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
    ]
    if banner:
        parts.append(f"<div class='banner'>⚠ {html.escape(banner)}</div>")
    parts.append(
        f"<p>全市 city: {summary}. 状态 statuses by the pace ratio (achieved ÷ needed) and the thresholds of "
        f"data/monitor_status.csv; written {_dt.date.today().isoformat()}.</p>"
    )
    parts.append("<h2>全市 City</h2>" + status_table_html(table, cities_only=True, lang=lang))
    parts.append("<h2>图表 Charts</h2><div class='grid'>")
    for _, row in city_rows(table).iterrows():
        fig = indicator_figure(
            row, table.attrs["values"], english=english, illustrative=bool(table.attrs.get("banner"))
        )
        data = figure_bytes(fig, image)
        if image == "svg":
            svg = data.decode("utf-8")
            svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype inside HTML
            parts.append(f"<div class='card'>{svg}</div>")
        else:
            parts.append(
                f"<div class='card'><img alt='{html.escape(row['indicator'])}' "
                f"src='data:image/png;base64,{base64.b64encode(data).decode('ascii')}'></div>"
            )
    parts.append("</div>")
    counties = table[table["county_code"] != ""]
    if len(counties):
        parts.append("<h2>分县 By county</h2>" + status_table_html(counties, lang=lang))
    parts.append("</body></html>")
    return "".join(parts)


__all__ = [
    "CJK_FONTS",
    "cjk_font",
    "dashboard_html",
    "figure_bytes",
    "indicator_figure",
    "projects_figure",
    "status_table_html",
    "write_charts",
    "write_projects_chart",
]
