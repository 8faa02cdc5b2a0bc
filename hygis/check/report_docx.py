"""The editable 审查意见 (``.docx``): the batch's review opinion, for a reviewer to edit and sign.

Opinions are written in Word: this gives the reviewer the document already filled in — the
summary (in projects), the projects flagged first, each with its verdict per control line and the
rule cited, its 用地预审 figures by county, its 土地利用现状 table (``--land-use``) and a figure;
the compliant projects; the projects without a site in one list; an empty 审查意见 paragraph per
project and a signature block. A4 portrait, Chinese by default (:mod:`hygis.words`).

The figure of a project is the PNG given in ``figures`` (e.g. ``hygis figure project ID``'s), else a
simple map drawn here with matplotlib: the site, the control lines near it and the part judged,
with a scale bar and north up. Written with python-docx, atomically.
"""

from __future__ import annotations

import datetime as _dt
import io as _io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis import words
from hygis.check.land_use import project_table
from hygis.check.pipeline import summary
from hygis.check.report_html import FLAGGED, map_context
from hygis.check.report_tables import meta, preaudit_tables
from hygis.constants import (
    CONTROL_LINE_COLORS,
    CONTROL_LINE_EN,
    CONTROL_LINE_ZH,
    CONTROL_LINES,
    M2_PER_HA,
    M2_PER_MU,
    VERDICTS,
)
from hygis.errors import HygisOutputError
from hygis.io.write import atomic_path, guard_not_input
from hygis.plan.inputs import PlanInputs

#: The font of Chinese text in the document (a Windows desk has it; WPS maps it too).
EAST_ASIAN_FONT = "宋体"


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{float(value):,.{digits}f}"


def _line(line: str, lang: str) -> str:
    return CONTROL_LINE_ZH.get(line, line) if lang == "zh" else CONTROL_LINE_EN.get(line, line)


def project_png(
    site, overlaps: list, context: dict[str, np.ndarray] | None, *, size_in: float = 3.2
) -> bytes:
    """A simple PNG map of one project (projected metres): the control lines near it (tints), the
    site (dashed), the parts judged (filled), a scale bar, north up. Text is ASCII (no CJK font needed).
    """
    import matplotlib  # noqa: PLC0415 - only a .docx draws

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.patches import PathPatch  # noqa: PLC0415
    from matplotlib.path import Path as MplPath  # noqa: PLC0415

    frame = site if site is not None else shapely.union_all([o for o in overlaps if o is not None])
    x0, y0, x1, y1 = shapely.bounds(frame)
    half = max(x1 - x0, y1 - y0) / 2 * 1.25 + 50
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    box = shapely.box(cx - half, cy - half, cx + half, cy + half)

    def patch(geom, **kw) -> None:
        verts, codes = [], []
        for poly in shapely.get_parts(geom):
            if poly.geom_type != "Polygon":
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)[:, :2]
                verts.extend(xy.tolist())
                codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY])
        if verts:
            ax.add_patch(PathPatch(MplPath(verts, codes), **kw))

    fig, ax = plt.subplots(figsize=(size_in, size_in), dpi=150)
    for name in CONTROL_LINES:
        if context and context.get(name) is not None:
            near = context[name][shapely.intersects(context[name], box)]
            if len(near):
                colour = CONTROL_LINE_COLORS[name]
                patch(
                    shapely.intersection(shapely.union_all(near), box),
                    facecolor=colour,
                    alpha=0.25,
                    lw=0.5,
                    edgecolor=colour,
                )
    for ov in overlaps:
        if ov is not None and not ov.is_empty:
            patch(ov, facecolor="#d7191c", alpha=0.75, lw=0.4, edgecolor="#d7191c")
    if site is not None:
        patch(site, facecolor="none", edgecolor="#222", lw=1.2, ls="--")
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    span = half / 2
    nice = 10 ** np.floor(np.log10(span))
    bar = max(v for v in (nice, 2 * nice, 5 * nice) if v <= span)
    bx, by = cx - half * 0.92, cy - half * 0.9
    ax.plot([bx, bx + bar], [by, by], color="black", lw=2.5)
    ax.text(bx, by + half * 0.04, f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m", fontsize=7)
    ax.annotate(
        "N",
        xy=(cx + half * 0.88, cy + half * 0.9),
        xytext=(cx + half * 0.88, cy + half * 0.7),
        ha="center",
        fontsize=8,
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _to(geom, src, dst):
    if geom is None or dst is None or (hasattr(geom, "is_empty") and geom.is_empty):
        return None
    return gpd.GeoSeries([geom], crs=src).to_crs(dst).iloc[0]


def _set_fonts(doc) -> None:
    from docx.oxml.ns import qn  # noqa: PLC0415
    from docx.shared import Pt  # noqa: PLC0415

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[name]
        style.font.name = "Times New Roman" if name == "Normal" else style.font.name
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT if name == "Normal" else "黑体")
    doc.styles["Normal"].font.size = Pt(10.5)


def _table(doc, header: list[str], rows: list[list[str]], widths: list[float] | None = None):
    from docx.shared import Cm  # noqa: PLC0415

    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = t.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = text
    if widths:
        for row in t.rows:
            for cell, w in zip(row.cells, widths):
                cell.width = Cm(w)
    return t


def write_docx(
    report: gpd.GeoDataFrame,
    target: str | os.PathLike,
    *,
    inputs: PlanInputs | None = None,
    lang: str = "zh",
    figures: Mapping[Any, str | os.PathLike] | None = None,
) -> Path:
    """Write the 审查意见 (see the module's description); returns the path written."""
    try:
        import docx  # noqa: PLC0415 - an optional part of the reports
        from docx.enum.section import WD_ORIENT  # noqa: PLC0415
        from docx.shared import Cm, Mm, RGBColor  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - python-docx is a dependency
        msg = "A .docx report needs python-docx: pip install python-docx."
        raise HygisOutputError(msg) from err
    t = lambda key, **kw: words.text(key, lang, **kw)  # noqa: E731 - a short alias
    head = lambda key: words.label("*", key, lang)  # noqa: E731
    path = guard_not_input(target)
    doc = docx.Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    _set_fonts(doc)

    doc.add_heading(t("opinion") + t("colon") + t("title"), level=0)
    banner = report.attrs.get("illustrative")
    if banner:
        run = doc.add_paragraph().add_run("⚠ " + banner)
        run.bold = True
        run.font.color.rgb = RGBColor(0x9C, 0x57, 0x00)

    table = summary(report)
    worst = table["worst_verdict"].value_counts()
    doc.add_heading(t("summary"), level=1)
    doc.add_paragraph(
        t("projects_total", n=len(table))
        + t("colon")
        + t("comma").join(f"{words.value_text(v, lang)} {int(worst.get(v, 0))}" for v in VERDICTS)
        + t("stop")
    )
    doc.add_paragraph(
        t(
            "areas",
            method=words.value_text(report.attrs.get("area_method", ""), lang),
            crs=report.attrs.get("area_crs", ""),
            written=_dt.datetime.now().isoformat(timespec="minutes"),
        )
    )

    area_crs, context = map_context(report, inputs) if "site_geometry" in report else (None, None)
    by_county = preaudit_tables(report, plain=True).get("by_county")
    land_use = report.attrs.get("land_use")
    order = table.assign(_r=table["worst_verdict"].map({v: k for k, v in enumerate(VERDICTS)})).sort_values(
        "_r", kind="stable"
    )
    located = order[order["worst_verdict"] != "not located"]
    doc.add_heading(t("verdicts"), level=1)
    for pid, name in zip(located["project_id"], located["name"]):
        rows = report[report["project_id"] == pid]
        first = rows.iloc[0]
        doc.add_heading(f"{pid} {name}", level=2)
        doc.add_paragraph(
            f"{head('group')}{t('colon')}{first['group']}{t('semicolon')}"
            f"{head('method')}{t('colon')}{words.value_text(first['method'], lang)}{t('semicolon')}"
            f"{head('site_ha')}{t('colon')}{_num(first['site_ha'])}{t('open')}{_num(first['site_mu'], 1)} "
            f"{t('mu')}{t('close')}"
        )
        body = []
        for r in rows.itertuples():
            udb = r.control_line == "urban_development_boundary"
            amount = r.outside_ha if udb else r.overlap_ha
            body.append(
                [
                    _line(r.control_line, lang),
                    str(words.value_text(r.verdict, lang)),
                    _num(amount),
                    _num(amount * M2_PER_HA / M2_PER_MU if amount == amount else None, 1),
                    f"{words.rule_text(r.rule, lang)}{t('open')}{r.source}{t('close')}"
                    if r.source
                    else words.rule_text(r.rule, lang),
                ]
            )
        _table(
            doc,
            [
                head("control_line"),
                head("verdict"),
                f"{t('overlap')}/{t('outside')}{t('open')}{t('ha')}{t('close')}",
                t("mu"),
                head("rule"),
            ],
            body,
            [2.6, 1.6, 2.2, 1.6, 8.0],
        )
        if by_county is not None:
            mine = by_county[by_county["project_id"] == pid]
            if len(mine):
                doc.add_paragraph(t("preaudit"))
                _table(
                    doc,
                    [
                        head("control_line"),
                        head("county_name"),
                        head("overlap_ha"),
                        head("overlap_mu"),
                        head("overlap_patches"),
                    ],
                    [
                        [
                            _line(r.control_line, lang),
                            str(r.county_name),
                            _num(r.overlap_ha),
                            _num(r.overlap_mu, 1),
                            _num(r.overlap_patches, 0),
                        ]
                        for r in mine.itertuples()
                    ],
                )
        if land_use is not None:
            lt = project_table(land_use, pid)
            doc.add_paragraph(t("land_use"))
            heads = (
                ["地类", "合计（公顷）", "国有（公顷）", "集体（公顷）", "合计（亩）"]
                if lang == "zh"
                else ["class", "total (ha)", "state (ha)", "collective (ha)", "total (mu)"]
            )
            _table(
                doc,
                heads,
                [
                    [
                        "　" * int(r.level) + r.label,
                        _num(r.total_ha, 4),
                        _num(r.state_ha, 4),
                        _num(r.collective_ha, 4),
                        _num(r.total_mu, 2),
                    ]
                    for r in lt.itertuples()
                ],
            )
        picture = _figure(report, rows, pid, area_crs, context, figures)
        if picture is not None:
            doc.add_picture(picture, width=Cm(8))
            doc.add_paragraph(f"{t('figure')}{t('colon')}{pid} {name}{t('stop')} {t('map_legend')}")
        doc.add_paragraph(t("opinion") + t("colon") + t("opinion_blank"))

    missing = order[order["worst_verdict"] == "not located"]
    if len(missing):
        doc.add_heading(f"{t('not_located')}{t('open')}{len(missing)}{t('close')}", level=1)
        listed = t("list_sep").join(f"{p} {n}" for p, n in zip(missing["project_id"], missing["name"]))
        doc.add_paragraph(listed + t("stop"))
        doc.add_paragraph(t("not_located_fix"))
    warns = report.attrs.get("warnings", [])
    if warns:
        doc.add_heading(t("warnings"), level=1)
        for w in warns:
            doc.add_paragraph(str(w), style="List Bullet")
    doc.add_heading(t("provenance"), level=1)
    prov = meta(report, lang, full_paths=False)
    _table(
        doc,
        [head("item"), head("value")],
        [[str(a), str(b)] for a, b in prov.itertuples(index=False)],
        [4, 12.5],
    )
    doc.add_paragraph()
    doc.add_paragraph(f"{t('reviewer')}＿＿＿＿＿＿＿＿　　{t('date')}＿＿＿＿年＿＿月＿＿日")
    doc.add_paragraph(f"{t('unit')}＿＿＿＿＿＿＿＿＿＿＿＿＿＿")
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path.resolve()


def _figure(report, rows: pd.DataFrame, pid, area_crs, context, figures) -> _io.BytesIO | str | None:
    if figures and pid in figures:
        return str(figures[pid])
    first = rows.iloc[0]
    if area_crs is None or first["site_geometry"] is None:
        return None
    site = _to(first["site_geometry"], report.crs, area_crs)
    if site is None or shapely.area(site) <= 0:
        return None
    flagged = rows[rows["verdict"].isin(FLAGGED)]
    overlaps = [_to(g, report.crs, area_crs) for g in flagged["geometry"]]
    return _io.BytesIO(project_png(site, overlaps, context))


__all__ = ["EAST_ASIAN_FONT", "project_png", "write_docx"]
