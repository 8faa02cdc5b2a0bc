"""The printable compliance report (``.html``): what a meeting is given, on A4.

Laid out for paper (checked by printing it to PDF in Chromium, ``tests/test_report_print.py``):
A4 portrait with page numbers (``@page``), a summary that counts **projects** (each by its worst
verdict over the three lines), the conflicts and approvals first — each with a small map — the
compliant projects in a short table, the projects without a site in one list, the 用地预审 and
土地利用现状 tables, warnings and provenance (file names, never a machine's absolute paths), and the
whole result as an appendix on one landscape page (one row per project, the three lines side by
side). Chinese by default (:mod:`hygis.words`); every user text is escaped.
"""

from __future__ import annotations

import datetime as _dt
import html
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis import crs as hcrs
from hygis import io, words
from hygis.check.land_use import land_use_summary, project_table
from hygis.check.pipeline import summary
from hygis.check.report_tables import meta, preaudit_tables, relocations
from hygis.constants import (
    CONTROL_LINE_COLORS,
    CONTROL_LINE_EN,
    CONTROL_LINE_ZH,
    CONTROL_LINES,
    M2_PER_HA,
    M2_PER_MU,
    VERDICT_COLORS,
    VERDICTS,
)
from hygis.plan.inputs import PlanInputs

#: The summary column of each line's area in the appendix (the development boundary: the part outside).
_AREA_COLUMN = {"urban_development_boundary": "outside_boundary_ha"}

#: The verdicts a meeting discusses, worst first.
FLAGGED = ("conflict", "needs approval")


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.{digits}f}"
    return html.escape(str(value))


def _svg_path(geom, tx) -> str:
    parts = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = tx(np.asarray(ring.coords))
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + " Z")
    return " ".join(parts)


def conflict_svg(
    site,
    overlap,
    context: dict[str, Any] | None,
    *,
    size: int = 320,
    verdict: str = "conflict",
    line: str = "",
) -> str:
    """A small map (inline SVG) of one conflict: the site, the control line near it, the overlap.

    All geometries in a projected CRS (metres); north up, equal scale in x and y, scale bar.
    """
    frame = site if site is not None else overlap
    x0, y0, x1, y1 = shapely.bounds(frame)
    pad = max(x1 - x0, y1 - y0) * 0.15 + 50
    half = max(x1 - x0, y1 - y0) / 2 + pad  # a square frame: long corridors stay readable
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, y0, x1, y1 = cx - half, cy - half, cx + half, cy + half
    scale = size / max(x1 - x0, y1 - y0)
    w, h = (x1 - x0) * scale, (y1 - y0) * scale

    def tx(xy: np.ndarray) -> np.ndarray:
        return np.c_[(xy[:, 0] - x0) * scale, (y1 - xy[:, 1]) * scale]

    box = shapely.box(x0, y0, x1, y1)
    layers = []
    colour = CONTROL_LINE_COLORS.get(line, "#555")
    if context and context.get(line) is not None:
        near = context[line]
        near = near[shapely.intersects(near, box)]
        if len(near):
            clip = shapely.intersection(shapely.union_all(near), box)
            layers.append(
                f'<path d="{_svg_path(clip, tx)}" fill="{colour}" fill-opacity="0.25" '
                f'stroke="{colour}" stroke-width="0.8" fill-rule="evenodd"/>'
            )
    if site is not None:
        layers.append(
            f'<path d="{_svg_path(site, tx)}" fill="none" '
            'stroke="#222" stroke-width="1.5" stroke-dasharray="4 2" fill-rule="evenodd"/>'
        )
    if overlap is not None and not overlap.is_empty:
        fill = VERDICT_COLORS.get(verdict, VERDICT_COLORS["conflict"])
        layers.append(
            f'<path d="{_svg_path(overlap, tx)}" fill="{fill}" fill-opacity="0.7" '
            f'stroke="{fill}" stroke-width="0.6" fill-rule="evenodd"/>'
        )
    # Scale bar: a round length near a quarter of the width.
    span = (x1 - x0) / 4
    nice = 10 ** np.floor(np.log10(span))
    bar = max(v for v in (nice, 2 * nice, 5 * nice) if v <= span)
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    layers.append(
        '<g font-size="10" font-family="sans-serif">'
        f'<line x1="8" y1="{h - 10:.0f}" x2="{8 + bar * scale:.1f}" y2="{h - 10:.0f}" '
        'stroke="#000" stroke-width="2"/>'
        f'<text x="8" y="{h - 14:.0f}">{label}</text><text x="{w - 14:.0f}" y="14">N↑</text></g>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.1f} {h:.1f}" role="img" style="background:#fafafa;border:1px solid #ccc">'
        f"{''.join(layers)}</svg>"
    )


_CSS = """
@page{size:A4;margin:14mm 13mm 16mm 13mm;
  @bottom-center{content:counter(page) " / " counter(pages);font-size:9pt;color:#555}}
@page appendix{size:A4 landscape;margin:12mm 12mm 14mm 12mm}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
  margin:0;color:#222;font-size:10pt;line-height:1.4}
h1{font-size:16pt;margin:0 0 .3em} h2{font-size:12pt;margin:1.1em 0 .4em;border-bottom:1px solid #999;
  break-after:avoid} h3{font-size:10.5pt;margin:0 0 .2em}
section.keep{break-inside:avoid}
.banner{background:#fff3cd;border:2px solid #d39e00;padding:.4em .8em;font-weight:bold;margin:.6em 0}
table{border-collapse:collapse;font-size:8.5pt;width:100%}
th,td{border:1px solid #bbb;padding:2px 4px;vertical-align:top}
th{background:#eee;font-weight:bold;white-space:nowrap} td.num{text-align:right;white-space:nowrap}
td.nm{min-width:9em} tr{break-inside:avoid}
.v{font-weight:bold;white-space:nowrap} .conflict{color:#c62828} .needs-approval{color:#e65100}
.compliant{color:#2e7d32} .not-located{color:#666}
.counts{display:flex;gap:.6em;margin:.4em 0}
.counts div{border:1px solid #ccc;padding:.3em .8em;text-align:center}
.counts b{font-size:15pt;display:block}
.cards{display:grid;grid-template-columns:1fr 1fr;gap:.5em}
.card{break-inside:avoid;border:1px solid #ccc;padding:.3em;display:flex;gap:.4em;font-size:9pt}
.card svg{flex:none} .card p{margin:.1em 0} .card .small{font-size:7pt;line-height:1.25}
.small{font-size:8pt;color:#555} .list{margin:.3em 0}
.appendix{page:appendix;break-before:page;max-width:none}
.appendix table{font-size:7.5pt} .appendix td.nm{min-width:12em} .appendix td{white-space:nowrap}
@media screen{body{margin:1.5em auto;padding:0 1em;max-width:190mm}}
"""


def _verdict(v: Any, lang: str) -> str:
    cls = html.escape(str(v).replace(" ", "-"))
    return f"<span class='v {cls}'>{html.escape(str(words.value_text(v, lang)))}</span>"


def _count(n: int, lang: str) -> str:
    return html.escape(f"{words.text('open', lang)}{n}{words.text('close', lang)}")


def _line_name(line: str, lang: str) -> str:
    return CONTROL_LINE_ZH.get(line, line) if lang == "zh" else CONTROL_LINE_EN.get(line, line)


def map_context(
    report: gpd.GeoDataFrame, inputs: PlanInputs | None
) -> tuple[Any, dict[str, np.ndarray] | None]:
    """The CRS the small maps are drawn in (the check's area CRS) and the control lines in it."""
    geoms = [g for g in list(report["site_geometry"]) if g is not None]
    area_crs = hcrs.area_crs_for(gpd.GeoSeries(geoms, crs=report.crs)) if geoms else None
    context = None
    if inputs is not None and area_crs is not None:
        context = {
            name: np.asarray(gdf.to_crs(area_crs).geometry.values, dtype=object)
            for name, gdf in inputs.control_lines().items()
        }
    return area_crs, context


def _cards(report: gpd.GeoDataFrame, lang: str, area_crs: Any, context: Any) -> str:
    esc = html.escape
    flagged = report[report["verdict"].isin(FLAGGED)]
    if flagged.empty:
        return f"<p>{esc(words.text('none', lang))}</p>"
    out = ["<div class='cards'>"]
    c, op, cl = (esc(words.text(k, lang)) for k in ("colon", "open", "close"))
    for row in flagged.itertuples():
        site = _to(row.site_geometry, report.crs, area_crs)
        ov = _to(row.geometry, report.crs, area_crs)
        if site is not None or ov is not None:
            svg = conflict_svg(site, ov, context, verdict=row.verdict, line=row.control_line, size=130)
        else:
            svg = f"<div class='small'>{esc(words.text('point_no_map', lang))}</div>"
        udb = row.control_line == "urban_development_boundary"
        what = words.text("outside" if udb else "overlap", lang)
        amount = row.outside_ha if udb else row.overlap_ha
        amount_mu = amount * M2_PER_HA / M2_PER_MU if amount == amount else None
        out.append(
            f"<div class='card'>{svg}<div><h3>{esc(str(row.project_id))} {esc(str(row.name))}</h3>"
            f"<p>{esc(_line_name(row.control_line, lang))}{c}{_verdict(row.verdict, lang)}</p>"
            f"<p>{esc(what)} <b>{_fmt(amount, 2)} {esc(words.text('ha', lang))}</b>{op}{_fmt(amount_mu, 1)} "
            f"{esc(words.text('mu', lang))}{cl}{esc(words.text('comma', lang))}"
            f"{esc(words.text('of_site', lang, site=_fmt(row.site_ha, 2)))}</p>"
            f"<p class='small'>{esc(words.text('rule', lang))}{c}{esc(words.rule_text(row.rule, lang))}</p>"
            f"<p class='small'>{esc(words.text('source', lang))}{c}{esc(str(row.source))}</p></div></div>"
        )
    out.append("</div>")
    out.append(f"<p class='small'>{esc(words.text('map_legend', lang))}</p>")
    return "".join(out)


def _table(frame: pd.DataFrame, numeric: dict[str, int], cls: dict[str, str] | None = None) -> str:
    """A localised frame as an HTML table; ``numeric`` columns right-aligned with so many decimals."""
    esc = html.escape
    cls = cls or {}
    # A column with no figure in any row (a layer without DLBM or ZLDJ) says nothing on paper.
    frame = frame.drop(columns=[c for c in numeric if c in frame and frame[c].isna().all()])
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    body = []
    for values in frame.itertuples(index=False):
        cells = []
        for c, v in zip(frame.columns, values):
            if c in numeric:
                cells.append(f"<td class='num'>{_fmt(v, numeric[c])}</td>")
            else:
                cells.append(
                    f"<td class='{cls.get(c, '')}'>{esc('' if v is None or v != v else str(v))}</td>"
                )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _preaudit_html(report: gpd.GeoDataFrame, lang: str) -> str:
    by_county = preaudit_tables(report, plain=True).get("by_county")
    if by_county is None:
        return ""
    cols = [
        "project_id",
        "name",
        "control_line",
        "county_name",
        "overlap_ha",
        "overlap_mu",
        "overlap_patches",
    ]
    cols += ["overlap_paddy_ha", "overlap_irrigated_ha", "overlap_dry_ha", "overlap_grade_mean"]
    frame = words.localise(by_county[cols], "by_county", lang, readable=True)
    digits = dict(zip(frame.columns[4:], (2, 1, 0, 2, 2, 2, 1)))
    return (
        f"<section><h2>{html.escape(words.text('preaudit', lang))}</h2>"
        + _table(frame, digits, {frame.columns[1]: "nm"})
        + "</section>"
    )


def _land_use_html(report: gpd.GeoDataFrame, lang: str) -> str:
    long = report.attrs.get("land_use")
    if long is None:
        return ""
    esc = html.escape
    sums = land_use_summary(long)
    # The per-project tables below hold the rest (亩, 一级类); a column of zeros says nothing.
    shown = sums.drop(columns=["site_ha", "total_mu"])
    shown = shown.drop(columns=[c for c in ("unknown_class_ha", "uncovered_ha") if not (shown[c] > 0).any()])
    frame = words.localise(shown, "land_use_summary", lang, readable=True)
    parts = [f"<h2>{esc(words.text('land_use', lang))}</h2>"]
    parts.append(_table(frame, {c: 2 for c in frame.columns[2:]}, {frame.columns[1]: "nm"}))
    heads = ("地类", "合计（公顷）", "国有（公顷）", "集体（公顷）", "合计（亩）")
    if lang == "en":
        heads = ("class", "total (ha)", "state (ha)", "collective (ha)", "total (mu)")
    for pid, name in sums[["project_id", "name"]].itertuples(index=False):
        rows = project_table(long, pid)
        if rows.empty or rows["total_ha"].iloc[0] <= 0:
            continue
        body = "".join(
            f"<tr><td style='padding-left:{0.3 + 1.0 * r.level:.1f}em'>{'<b>' if r.level < 2 else ''}"
            f"{esc(r.label)}{'</b>' if r.level < 2 else ''}</td>"
            + "".join(
                f"<td class='num'>{_fmt(v, d)}</td>"
                for v, d in ((r.total_ha, 4), (r.state_ha, 4), (r.collective_ha, 4), (r.total_mu, 2))
            )
            + "</tr>"
            for r in rows.itertuples()
        )
        parts.append(
            f"<section class='keep'><h3>{esc(str(pid))} {esc(str(name))}</h3><table><tr>"
            + "".join(f"<th>{esc(h)}</th>" for h in heads)
            + f"</tr>{body}</table></section>"
        )
    return "".join(parts)


def _relocation_html(report: gpd.GeoDataFrame, lang: str) -> str:
    moved = relocations(report, plain=True)
    if moved is None:
        return ""
    cols = [c for c in ("project_id", "name", "status", "distance_m", "direction", "note") if c in moved]
    frame = words.localise(moved[cols], "relocation", lang, readable=True)
    return (
        f"<section><h2>{html.escape(words.text('relocation', lang))}</h2>"
        + _table(frame, {frame.columns[3]: 0} if "distance_m" in cols else {})
        + "</section>"
    )


def _appendix(report: gpd.GeoDataFrame, lang: str) -> str:
    """One row per project, the three lines side by side: the whole result on one landscape page."""
    esc = html.escape
    table = summary(report).set_index("project_id")
    udb_method = report.drop_duplicates("project_id").set_index("project_id")["method"]
    first = [words.label("*", c, lang) for c in ("project_id", "name", "group", "method", "site_ha")]
    head = "".join(f"<th rowspan='2'>{esc(h)}</th>" for h in first)
    head += "".join(f"<th colspan='2'>{esc(_line_name(line, lang))}</th>" for line in CONTROL_LINES)
    head += f"<th rowspan='2'>{esc(words.label('*', 'worst_verdict', lang))}</th>"
    sub = "".join(
        f"<th>{esc(words.label('*', 'verdict', lang))}</th><th>{esc(words.label('*', k, lang))}</th>"
        for k in ("overlap_ha", "overlap_ha", "outside_ha")
    )
    rows = []
    for pid, r in table.iterrows():
        cells = [
            esc(str(pid)),
            esc(str(r["name"])),
            esc(str(r["group"])),
            esc(str(words.value_text(udb_method.get(pid, ""), lang))),
        ]
        line_cells = "".join(
            f"<td>{_verdict(r[f'{line}_verdict'], lang)}</td>"
            f"<td class='num'>{_fmt(r[_AREA_COLUMN.get(line, f'{line}_ha')])}</td>"
            for line in CONTROL_LINES
        )
        rows.append(
            f"<tr><td>{cells[0]}</td><td class='nm'>{cells[1]}</td><td>{cells[2]}</td><td>{cells[3]}</td>"
            f"<td class='num'>{_fmt(r['site_ha'])}</td>{line_cells}"
            f"<td>{_verdict(r['worst_verdict'], lang)}</td></tr>"
        )
    return (
        f"<div class='appendix'><h2>{esc(words.text('appendix', lang))}</h2>"
        f"<table><tr>{head}</tr><tr>{sub}</tr>{''.join(rows)}</table>"
        f"<p class='small'>{esc(words.text('appendix_more', lang))}</p></div>"
    )


def write_html(
    report: gpd.GeoDataFrame, target: Path, inputs: PlanInputs | None = None, *, lang: str = "zh"
) -> Path:
    """Write the printable report (see the module's description); returns the path written."""
    esc = html.escape
    area_crs, context = map_context(report, inputs)
    table = summary(report)
    worst = table["worst_verdict"].value_counts()
    parts = [
        f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
        f"<title>{esc(words.text('title', lang))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(words.text('title', lang))}</h1>",
    ]
    banner = report.attrs.get("illustrative")
    if banner:
        parts.append(f"<div class='banner'>⚠ {esc(banner)}</div>")
    parts.append(f"<section class='keep'><h2>{esc(words.text('summary', lang))}</h2>")
    parts.append(f"<p>{esc(words.text('projects_total', lang, n=len(table)))}</p><div class='counts'>")
    for v in VERDICTS:
        parts.append(
            f"<div><b class='v {esc(v.replace(' ', '-'))}'>{int(worst.get(v, 0))}</b>"
            f"{esc(str(words.value_text(v, lang)))}</div>"
        )
    parts.append("</div>")
    written = _dt.datetime.now().isoformat(timespec="minutes")
    parts.append(
        "<p class='small'>"
        + esc(
            words.text(
                "areas",
                lang,
                method=words.value_text(report.attrs.get("area_method", ""), lang),
                crs=report.attrs.get("area_crs", ""),
                written=written,
            )
        )
        + "</p></section>"
    )
    n_flagged = int(table["worst_verdict"].isin(FLAGGED).sum())
    parts.append(f"<h2>{esc(words.text('flagged', lang))}{_count(n_flagged, lang)}</h2>")
    parts.append(_cards(report, lang, area_crs, context))

    ok = table[table["worst_verdict"] == "compliant"]
    if len(ok):
        frame = words.localise(ok[["project_id", "name", "group", "site_ha"]], "summary", lang, readable=True)
        parts.append(
            f"<section class='keep'><h2>{esc(words.text('compliant', lang))}{_count(len(ok), lang)}</h2>"
            + _table(frame, {frame.columns[3]: 2}, {frame.columns[1]: "nm"})
            + "</section>"
        )
    missing = table[table["worst_verdict"] == "not located"]
    if len(missing):
        sep = words.text("list_sep", lang)
        listed = sep.join(
            f"{esc(str(p))} {esc(str(n))}" for p, n in zip(missing["project_id"], missing["name"])
        )
        parts.append(
            f"<section class='keep'><h2>{esc(words.text('not_located', lang))}"
            f"{_count(len(missing), lang)}</h2>"
            f"<p class='list'>{listed}{esc(words.text('stop', lang))}</p>"
            f"<p class='small'>{esc(words.text('not_located_fix', lang))}</p></section>"
        )
    parts.append(_preaudit_html(report, lang))
    parts.append(_land_use_html(report, lang))
    parts.append(_relocation_html(report, lang))
    warns = report.attrs.get("warnings", [])
    if warns:
        parts.append(
            f"<section><h2>{esc(words.text('warnings', lang))}</h2><ul class='small'>"
            + "".join(f"<li>{esc(w)}</li>" for w in warns)
            + "</ul></section>"
        )
    parts.append(
        f"<section><h2>{esc(words.text('provenance', lang))}</h2><table class='small'>"
        + "".join(
            f"<tr><th>{esc(str(r.item))}</th><td>{esc(str(r.value))}</td></tr>"
            for r in meta(report, lang, full_paths=False).itertuples()
        )
        + "</table></section>"
    )
    parts.append(_appendix(report, lang))
    parts.append("</body></html>")
    return io.write_text("\n".join(parts), target)


def _to(geom, src, dst):
    if geom is None or dst is None or (hasattr(geom, "is_empty") and geom.is_empty):
        return None
    return gpd.GeoSeries([geom], crs=src).to_crs(dst).iloc[0]


__all__ = ["FLAGGED", "conflict_svg", "map_context", "write_html"]
