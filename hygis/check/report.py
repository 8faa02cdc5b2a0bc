"""Compliance reports a planner can open: ``.csv``, ``.xlsx``, ``.gpkg`` and a printable ``.html``.

:func:`write_report` takes the frame of :func:`hygis.check.check_projects`; the suffix of the
path picks the format. Every format carries the area method (ellipsoidal or planar in which
zone), the area CRS, the warnings and, when an
illustrative layer was used, the banner that says so. Writes are atomic (:mod:`hygis.io`).
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis import crs as hcrs
from hygis import io
from hygis.check.pipeline import summary
from hygis.constants import (
    CONTROL_LINE_COLORS,
    CONTROL_LINE_ZH,
    M2_PER_HA,
    M2_PER_MU,
    REPORT_FORMATS,
    VERDICT_COLORS,
)
from hygis.errors import HygisOutputError
from hygis.plan.inputs import PlanInputs

_GEOMETRY_COLUMNS = ("geometry", "site_geometry")


def table(report: gpd.GeoDataFrame) -> pd.DataFrame:
    """The report as a plain table (no geometry)."""
    df = pd.DataFrame(report.drop(columns=[c for c in _GEOMETRY_COLUMNS if c in report.columns]))
    return df


def _meta(report: gpd.GeoDataFrame) -> pd.DataFrame:
    prov = report.attrs.get("provenance", {})
    rows = [
        (
            "illustrative",
            report.attrs.get("illustrative") or "no: every control layer is a user file or official",
        ),
        ("area_method", report.attrs.get("area_method", "")),
        ("area_crs", report.attrs.get("area_crs", "")),
        ("method", prov.get("method", "")),
        ("rules", prov.get("rules", "")),
        ("corridor_widths", prov.get("corridor_widths", "")),
        ("engine", prov.get("engine", "")),
        ("hygis", prov.get("hygis", "")),
        ("written", _dt.datetime.now().isoformat(timespec="seconds")),
    ]
    for name, p in prov.get("inputs", {}).items():
        rows.append(
            (f"input: {name}", f"{p.get('status', '')} — {p.get('source', '')} {p.get('path', '')}".strip())
        )
    return pd.DataFrame(rows, columns=["item", "value"])


def _warnings(report: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame({"warning": list(report.attrs.get("warnings", [])) or ["(none)"]})


def write_report(
    report: gpd.GeoDataFrame, path: str | os.PathLike, *, inputs: PlanInputs | None = None
) -> Path:
    """Write a compliance report; the suffix picks the format.

    Parameters
    ----------
    report : GeoDataFrame
        From :func:`hygis.check.check_projects`.
    path : path-like
        ``.csv`` (UTF-8 with BOM: opens in Excel/WPS with Chinese intact; the banner, area method,
        CRS and warnings go in a ``-meta.csv`` beside it), ``.xlsx`` (sheets report, summary,
        by_county, farmland_detail, warnings, provenance), ``.gpkg`` (layers compliance, overlaps,
        sites, by_county, farmland_detail, warnings, provenance) or ``.html`` (a printable report
        with a map of each conflict and the 用地预审 figures per project).
    inputs : PlanInputs, optional
        The inputs checked: the HTML maps then also draw the control-line features near each site.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in REPORT_FORMATS:
        msg = (
            f"{target.name}: a report is written as {', '.join(REPORT_FORMATS)}; the suffix picks the format."
        )
        raise HygisOutputError(msg)
    if suffix == ".csv":
        out = io.write_table(table(report), target)
        io.write_table(
            pd.concat(
                [_meta(report), _warnings(report).rename(columns={"warning": "value"}).assign(item="warning")]
            ),
            target.with_name(target.stem + "-meta.csv"),
        )
        return out
    if suffix == ".xlsx":
        sheets = {"report": table(report), "summary": summary(report), **preaudit_tables(report, plain=True)}
        if relocations(report) is not None:
            sheets["relocation"] = relocations(report, plain=True)
        return io.write_table(
            {**sheets, "warnings": _warnings(report), "provenance": _meta(report)},
            target,
            banner=report.attrs.get("illustrative"),
        )
    if suffix == ".gpkg":
        return _write_gpkg(report, target)
    return _write_html(report, target, inputs)


def preaudit_tables(
    report: gpd.GeoDataFrame, *, plain: bool = False
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """The 用地预审 tables the check attached: ``by_county`` and ``farmland_detail`` (absent when empty).

    With ``plain=True``, tables without geometry for spreadsheets.
    """
    out = {}
    for name in ("by_county", "farmland_detail"):
        found = report.attrs.get(name)
        if found is not None and len(found):
            out[name] = pd.DataFrame(found.drop(columns=found.geometry.name)) if plain else found
    return out


def relocations(report: gpd.GeoDataFrame, *, plain: bool = False) -> gpd.GeoDataFrame | pd.DataFrame | None:
    """The relocation suggestions attached by the check (None when no project needed one).

    With ``plain=True``, a table without geometry for spreadsheets.
    """
    found = report.attrs.get("relocations")
    if found is None or len(found) == 0:
        return None
    return pd.DataFrame(found.drop(columns=found.geometry.name)) if plain else found


def _write_gpkg(report: gpd.GeoDataFrame, target: Path) -> Path:
    compliance = gpd.GeoDataFrame(table(report), geometry=report.geometry.values, crs=report.crs)
    compliance["point_inside"] = compliance["point_inside"].map(lambda v: None if v is None else bool(v))
    overlaps = compliance[~(compliance.geometry.isna() | compliance.geometry.is_empty)]
    first = report.drop_duplicates("project_id")
    sites = gpd.GeoDataFrame(
        first[["project_id", "name", "group", "kind", "method", "site_ha", "location_note"]].reset_index(
            drop=True
        ),
        geometry=gpd.GeoSeries(first["site_geometry"].values, crs=report.crs).values,
        crs=report.crs,
    )
    moved = relocations(report)
    return io.write_layers(
        {
            "compliance": compliance,
            "overlaps": overlaps,
            "sites": sites,
            **({"relocations": moved} if moved is not None else {}),
            **preaudit_tables(report),
            "warnings": _warnings(report),
            "provenance": _meta(report),
        },
        target,
    )


# --------------------------------------------------------------------------- HTML
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


# One line a group of rules, as the report has always carried it (reports stay byte-for-byte the same).
_CSS = (
    "\n"
    'body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;'
    "margin:2em;color:#222;max-width:1200px}\n"
    "h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}\n"
    ".banner{background:#fff3cd;border:2px solid #d39e00;padding:.6em 1em;font-weight:bold;margin:1em 0}\n"
    "table{border-collapse:collapse;font-size:.85em;width:100%} "
    "th,td{border:1px solid #ccc;padding:3px 5px;vertical-align:top}\n"
    "th{background:#f0f0f0} td.num{text-align:right;white-space:nowrap}\n"
    ".v{font-weight:bold;white-space:nowrap} .conflict{color:#c62828} .needs-approval{color:#ef6c00} "
    ".compliant{color:#2e7d32}\n"
    ".not-located{color:#757575} "
    ".card{page-break-inside:avoid;display:flex;gap:1em;margin:1em 0;border:1px solid #ddd;padding:.6em}\n"
    ".small{font-size:.85em;color:#555} @media print{body{margin:0} .card{break-inside:avoid}}\n"
)


def _preaudit_html(report: gpd.GeoDataFrame) -> str:
    """Per project touching the red line or the farmland: the split by county, land class and grade."""
    by_county = preaudit_tables(report, plain=True).get("by_county")
    if by_county is None:
        return ""
    esc = html.escape
    rows = []
    for (pid, name), sub in by_county.groupby(["project_id", "name"], sort=False):
        for r in sub.itertuples():
            rows.append(
                f"<tr><td>{esc(str(pid))}</td><td>{esc(str(name))}</td><td>{esc(str(r.control_line_zh))}</td>"
                f"<td>{esc(str(r.county_name))} ({esc(str(r.county_code))})</td>"
                f"<td class='num'>{_fmt(r.overlap_ha)}</td><td class='num'>{_fmt(r.overlap_mu, 1)}</td>"
                + "".join(
                    f"<td class='num'>{_fmt(v, d)}</td>"
                    for v, d in (
                        (r.overlap_patches, 0),
                        (r.overlap_paddy_ha, 2),
                        (r.overlap_irrigated_ha, 2),
                        (r.overlap_dry_ha, 2),
                        (r.overlap_grade_mean, 1),
                    )
                )
                + "</tr>"
            )
    return (
        "<h2>用地预审 Figures for the pre-examination</h2><p class='small'>Each project touching the red "
        "line or permanent farmland, split by county-level unit (补划 is organised per county): the "
        "patches (图斑) touched, the area by land class (DLBM: 水田 0101, 水浇地 0102, 旱地 0103) and the "
        "area-weighted quality grade (ZLDJ), where the layer carries them (— where it does not). The "
        "patch list is the farmland_detail sheet/layer of the .xlsx/.gpkg report.</p><table><tr>"
        "<th>project</th><th>name</th><th>line</th><th>county</th><th>ha</th><th>亩</th><th>patches</th>"
        "<th>水田 ha</th><th>水浇地 ha</th><th>旱地 ha</th><th>grade</th></tr>" + "".join(rows) + "</table>"
    )


def _write_html(report: gpd.GeoDataFrame, target: Path, inputs: PlanInputs | None) -> Path:
    esc = html.escape
    geoms = [g for g in list(report["site_geometry"]) if g is not None]
    area_crs = hcrs.area_crs_for(gpd.GeoSeries(geoms, crs=report.crs)) if geoms else None
    context = None
    if inputs is not None and area_crs is not None:
        context = {
            name: np.asarray(gdf.to_crs(area_crs).geometry.values, dtype=object)
            for name, gdf in inputs.control_lines().items()
        }

    counts = report["verdict"].value_counts()
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<title>规划符合性审查 — compliance report</title>"
        f"<style>{_CSS}</style></head><body>"
    ]
    parts.append("<h1>规划符合性审查报告 — Control-line compliance report</h1>")
    banner = report.attrs.get("illustrative")
    if banner:
        parts.append(f"<div class='banner'>⚠ {esc(banner)}</div>")
    parts.append(
        f"<p>Areas: <b>{esc(report.attrs.get('area_method', ''))}</b>; overlaps computed in "
        f"{esc(report.attrs.get('area_crs', ''))}; hectares (ha) and 亩 (1 亩 = 666.67 m²). "
        f"{report['project_id'].nunique()} projects × 3 control lines. "
        + ", ".join(
            f"<span class='v {esc(v.replace(' ', '-'))}'>{esc(v)}</span>: {int(counts.get(v, 0))}"
            for v in counts.index
        )
        + f". Written {esc(_dt.datetime.now().isoformat(timespec='minutes'))}.</p>"
    )
    parts.append(f"<p class='small'>{esc(report.attrs.get('provenance', {}).get('method', ''))}.</p>")

    flagged = report[report["verdict"].isin(["conflict", "needs approval"])]
    parts.append(f"<h2>Conflicts and approvals ({len(flagged)})</h2>")
    if flagged.empty:
        parts.append("<p>None.</p>")
    for row in flagged.itertuples():
        site = _to(row.site_geometry, report.crs, area_crs)
        ov = _to(row.geometry, report.crs, area_crs)
        if site is not None or ov is not None:
            svg = conflict_svg(site, ov, context, verdict=row.verdict, line=row.control_line)
        else:
            svg = "<div class='small'>(a point: no map)</div>"
        what = "outside the boundary" if row.control_line == "urban_development_boundary" else "overlap"
        amount = row.outside_ha if row.control_line == "urban_development_boundary" else row.overlap_ha
        amount_mu = amount * M2_PER_HA / M2_PER_MU if amount == amount else None
        verdict_class = esc(row.verdict.replace(" ", "-"))
        parts.append(
            f"<div class='card'>{svg}<div><h3>{esc(str(row.project_id))} {esc(str(row.name))} — "
            f"{esc(CONTROL_LINE_ZH.get(row.control_line, row.control_line))} ({esc(row.control_line)})</h3>"
            f"<p><span class='v {verdict_class}'>{esc(row.verdict)}</span> · group {esc(str(row.group))} · "
            f"method {esc(str(row.method))}</p>"
            f"<p>{what}: <b>{_fmt(amount, 2)} ha</b> ({_fmt(amount_mu, 1)} 亩) "
            f"of a site of {_fmt(row.site_ha, 2)} ha</p>"
            f"<p>{esc(str(row.rule))}</p><p class='small'>Source: {esc(str(row.source))}</p>"
            + (f"<p class='small'>{esc(str(row.location_note))}</p>" if row.location_note else "")
            + "<p class='small'>Map: dashed = site checked; filled = the part judged; "
            "tint = control line.</p></div></div>"
        )

    parts.append(_preaudit_html(report))
    moved = relocations(report, plain=True)
    if moved is not None:
        parts.append(
            "<h2>建议选址 Relocation suggestions</h2>"
            "<p class='small'>For each project in conflict with the red "
            "line or permanent farmland: the nearest site of the same shape in the same county that touches "
            "neither (a suggestion to study, not a decision).</p><table><tr>"
            + "".join(
                f"<th>{esc(c)}</th>"
                for c in ("project_id", "name", "status", "distance m", "direction", "note")
            )
            + "</tr>"
        )
        for r in moved.itertuples():
            parts.append(
                f"<tr><td>{esc(str(r.project_id))}</td><td>{esc(str(r.name))}</td><td>{esc(str(r.status))}</td>"
                f"<td class='num'>{_fmt(r.distance_m, 0)}</td>"
                f"<td>{esc(str(getattr(r, 'direction', '') or ''))}</td>"
                f"<td class='small'>{esc(str(r.note or ''))}</td></tr>"
            )
        parts.append("</table>")
    parts.append(
        "<h2>All results</h2><table><tr>"
        + "".join(
            f"<th>{esc(c)}</th>"
            for c in (
                "project_id",
                "name",
                "group",
                "control line",
                "method",
                "site ha",
                "overlap ha",
                "overlap 亩",
                "share",
                "outside ha",
                "verdict",
                "rule",
            )
        )
        + "</tr>"
    )
    for row in report.itertuples():
        share_pct = row.share_of_site * 100 if row.share_of_site == row.share_of_site else None
        parts.append(
            "<tr>" + f"<td>{esc(str(row.project_id))}</td><td>{esc(str(row.name))}</td>"
            f"<td>{esc(str(row.group))}</td>"
            f"<td>{esc(CONTROL_LINE_ZH.get(row.control_line, ''))}<br>"
            f"<span class='small'>{esc(row.control_line)}</span></td>"
            f"<td>{esc(str(row.method))}</td><td class='num'>{_fmt(row.site_ha)}</td>"
            f"<td class='num'>{_fmt(row.overlap_ha)}</td>"
            f"<td class='num'>{_fmt(row.overlap_mu, 1)}</td><td class='num'>{_fmt(share_pct, 1)}%</td>"
            f"<td class='num'>{_fmt(row.outside_ha)}</td>"
            f"<td class='v {esc(row.verdict.replace(' ', '-'))}'>{esc(row.verdict)}</td>"
            f"<td class='small'>{esc(str(row.rule))}<br><i>{esc(str(row.source))}</i>"
            + (f"<br>{esc(str(row.location_note))}" if row.location_note else "")
            + "</td></tr>"
        )
    parts.append("</table>")
    parts.append(
        "<h2>Warnings</h2><ul>"
        + "".join(f"<li>{esc(w)}</li>" for w in report.attrs.get("warnings", []))
        + "</ul>"
    )
    parts.append(
        "<h2>Provenance</h2><table>"
        + "".join(
            f"<tr><th>{esc(str(r.item))}</th><td>{esc(str(r.value))}</td></tr>"
            for r in _meta(report).itertuples()
        )
        + "</table>"
    )
    parts.append("</body></html>")
    return io.write_text("\n".join(parts), target)


def _to(geom, src, dst):
    if geom is None or dst is None or (hasattr(geom, "is_empty") and geom.is_empty):
        return None
    return gpd.GeoSeries([geom], crs=src).to_crs(dst).iloc[0]


__all__ = ["REPORT_FORMATS", "write_report", "table", "conflict_svg"]
