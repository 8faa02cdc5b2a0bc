"""The five print figures, and :func:`figure`, which draws any of them on a sheet.

Each plate is a function ``(context, **options) -> Plate``: what the map must show (its extent),
a function that draws its layers and fills the legend, its title and its notes. :func:`figure`
does the rest the same way for all: the sheet, the true scale, the county base, 指北针, 比例尺,
坐标系, 编制单位/日期 and — when a layer in use is illustrative — the stamp.

========================  ===================================================================
``control-lines``          市域国土空间控制线规划图: the three control lines
``urban-system``           市域城镇体系规划图: the four-tier urban system
``projects``               重点项目布局图: the key projects by group
``project`` (with an id)   规划符合性审查图 of one project: site, lines, overlaps, 界址点, locator
``monitor-warning``        监测预警图: change polygons by warning level
========================  ===================================================================
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis.constants import CONTROL_LINE_ZH, CONTROL_LINES, FIGURES, VERDICT_COLORS, VERDICT_LABELS
from hygis.errors import HygisInputError
from hygis.figures import draw, elements, style
from hygis.figures.elements import Legend, area_handle, line_handle, marker_handle
from hygis.figures.layout import Box, Sheet, fit_scale, orientation_for, set_scale
from hygis.maps import styles as map_styles
from hygis.plan import PlanInputs, layers, resolve

#: The names ``hygis figure`` knows, in the order a plan's atlas has them.
NAMES = FIGURES


@dataclass
class Context:
    """What every plate draws from: the plan's inputs, the figure's CRS and the county units in it."""

    inputs: PlanInputs
    crs: CRS
    counties: gpd.GeoDataFrame

    def to_crs(self, gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
        """A layer's geometries in the figure's CRS (missing and empty ones dropped)."""
        geoms = gdf.to_crs(self.crs).geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf.to_crs(self.crs)
        arr = np.asarray(geoms.values, dtype=object)
        keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
        return arr[keep]


@dataclass
class Plate:
    """One figure before it is put on a sheet."""

    title: str
    bounds: tuple[float, float, float, float]
    draw: Callable[[Any, Sheet, Legend], None]
    notes: list[str] = field(default_factory=list)
    illustrative: bool = False
    banner: str | None = None
    locator: bool = False


def zh(text: str) -> str:
    """The Chinese part of a bilingual label of ``data/map_styles.json`` (up to the first Latin letter).

    >>> zh("一级 中心城区 Tier 1 · central city (area)")
    '一级 中心城区'
    """
    m = re.search(r"[A-Za-z]", text)
    return (text[: m.start()] if m else text).strip(" ·:：-—(（")


def short_name(name: str) -> str:
    """A place's name without its parenthetical note: 西渡镇（衡阳县驻地） → 西渡镇."""
    return re.split(r"[（(]", str(name), maxsplit=1)[0].strip()


def notice(inputs: PlanInputs, *, changes: bool = False) -> str | None:
    """The figure's illustrative notice in Chinese: which layers are not official (None if none is)."""
    texts = style.get("notices")
    parts = []
    lines = [k for k in CONTROL_LINES if k in inputs.illustrative()]
    if lines:
        parts.append(texts["lines"].format(layers="、".join(CONTROL_LINE_ZH[k] for k in lines)))
    if changes:
        parts.append(texts["changes"])
    return "".join(parts) or None


def sources_note(inputs: PlanInputs, keys: tuple[str, ...] = CONTROL_LINES) -> str:
    """Where each layer came from: the embedded layer's status or the user's file name."""
    status = style.get("status_zh")
    parts = []
    for key in keys:
        prov = inputs.provenance.get(key, {})
        st = str(prov.get("status", ""))
        where = status.get(st, st)
        if st in ("user-file", "user-data") and prov.get("source"):
            where += " " + os.path.basename(str(prov["source"]))
        parts.append(f"{CONTROL_LINE_ZH.get(key, key)}：{where}")
    return "数据来源：" + "；".join(parts) + "。"


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    b = shapely.total_bounds(geoms)
    if not np.all(np.isfinite(b)):
        msg = "Nothing to draw: the figure's layers have no geometry."
        raise HygisInputError(msg)
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def _city_bounds(ctx: Context) -> tuple[float, float, float, float]:
    return _bounds(np.asarray(ctx.counties.geometry.values, dtype=object))


def _mm(sheet: Sheet, value: float) -> float:
    """A marker size given in mm (at A3), in points on this sheet."""
    return sheet.pt(float(value) * style.PT_PER_MM)


# ---------------------------------------------------------------------- control lines
def _line_label(key: str, illustrative: bool) -> str:
    return CONTROL_LINE_ZH[key] + ("（示意）" if illustrative else "")


def draw_control_lines(
    ctx: Context, ax: Any, sheet: Sheet, items: Legend, *, faint: float = 1.0, zorder: float = 2
) -> None:
    """The three control lines in their conventional colours (farmland, then red line, then boundary).

    Only the features in the map's extent are drawn and only lines with one get a legend entry;
    ``faint`` scales the fills' opacity (lines under other data).
    """
    illustrative = set(ctx.inputs.illustrative())
    f = sheet.factor**0.8
    for i, key in enumerate(("permanent_farmland", "ecological_redline", "urban_development_boundary")):
        # The boundary is drawn as its outline: it shows only where the outline crosses the map.
        geoms = draw.in_view(
            ax, ctx.to_crs(getattr(ctx.inputs, key)), edges=key == "urban_development_boundary"
        )
        if not len(geoms):
            continue
        web = map_styles.get("control_lines", key, "style")
        spec = style.get("layers", key)
        label = _line_label(key, key in illustrative)
        lw = sheet.line(spec["linewidth_mm"])
        edge = web.get("color", "#333333")
        z = zorder + i * 0.1
        if key == "urban_development_boundary":
            ls = style.dashes(spec, "dashes_mm", f)
            draw.lines(ax, geoms, colors=edge, linewidths=lw, linestyles=[ls], zorder=z + 3)
            items.add(line_handle(edge, lw, ls), label)
            continue
        alpha = float(spec["alpha"]) * faint
        fill = _rgba(web.get("fillColor", edge), alpha)
        outline = _rgba(edge, min(1.0, faint))
        draw.polygons(ax, geoms, facecolor=fill, edgecolor=outline, linewidth=lw, zorder=z)
        items.add(area_handle(fill, outline, lw), label)


def _darker(color: str, share: float) -> tuple[float, float, float, float]:
    """``color`` mixed with ``share`` of black."""
    r, g, b, _ = _rgba(color, 1.0)
    return (r * (1 - share), g * (1 - share), b * (1 - share), 1.0)


def _rgba(color: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba  # noqa: PLC0415 - matplotlib loads only when a figure is drawn

    return to_rgba(color, alpha)


def plate_control_lines(ctx: Context) -> Plate:
    """市域国土空间控制线规划图: 生态保护红线, 永久基本农田, 城镇开发边界 over the county units."""
    return Plate(
        title=style.get("titles", "control-lines").format(city=style.get("city")),
        bounds=_city_bounds(ctx),
        draw=lambda ax, sheet, items: draw_control_lines(ctx, ax, sheet, items),
        notes=[sources_note(ctx.inputs)],
        illustrative=bool(ctx.inputs.illustrative()),
        banner=notice(ctx.inputs),
    )


# ---------------------------------------------------------------------- urban system
MARKERS = {"square": "s", "triangle": "^", "circle": "o"}


def plate_urban_system(ctx: Context) -> Plate:
    """市域城镇体系规划图: 中心城区 (area), 县城, 特色乡镇 and 中心村 by symbol, with names."""
    urban = layers.load("urban_system")
    spec = map_styles.get("urban_system")
    sizes = style.get("layers", "urban_system", "marker_mm")
    geoms_all = urban.to_crs(ctx.crs).geometry.to_numpy()
    kind = draw.kinds(geoms_all)
    tiers = pd.to_numeric(urban.get("tier"), errors="coerce").fillna(3).astype(int).to_numpy()
    names = urban["name"].astype(str).to_numpy()
    missing = names[kind == ""]

    def paint(ax: Any, sheet: Sheet, items: Legend) -> None:
        for tier in sorted(set(tiers[kind != ""].tolist())):
            t = spec["tiers"].get(str(tier), spec["tiers"]["3"])
            label = zh(t["label"])
            sel = (tiers == tier) & (kind != "")
            areas = geoms_all[sel & (kind == "area")]
            if len(areas):
                st = t.get("style", {})
                fill = _rgba(
                    st.get("fillColor", "#e67e22"), float(style.get("layers", "urban_system", "tier1_alpha"))
                )
                lw = sheet.line(0.5)
                draw.polygons(
                    ax, areas, facecolor=fill, edgecolor=st.get("color", "#c0392b"), linewidth=lw, zorder=3
                )
                items.add(area_handle(fill, st.get("color", "#c0392b"), lw), label)
            points = geoms_all[sel & (kind != "area")]
            if len(points):
                xy = np.array([(p.x, p.y) for p in shapely.point_on_surface(points)])
                marker = MARKERS.get(t.get("symbol", "circle"), "o")
                size = _mm(sheet, sizes.get(str(tier), 2.5))
                ax.plot(
                    xy[:, 0],
                    xy[:, 1],
                    linestyle="none",
                    marker=marker,
                    markersize=size,
                    markerfacecolor=t.get("color", "#333333"),
                    markeredgecolor="white",
                    markeredgewidth=sheet.pt(0.6),
                    zorder=10,
                )
                items.add(marker_handle(marker, size, t.get("color", "#333333"), "white"), label)
        for geom, name, k in zip(geoms_all, names, kind):
            if not k:
                continue
            p = shapely.point_on_surface(geom)
            elements.label(
                ax,
                sheet,
                short_name(name),
                (p.x, p.y),
                xytext=(4, 3) if k != "area" else (0, 0),
                textcoords="offset points",
                ha="left" if k != "area" else "center",
                va="bottom" if k != "area" else "center",
                fontsize=sheet.font("label") * (1.15 if k == "area" else 1.0),
                fontweight="bold" if k == "area" else "normal",
                color="#222222",
                zorder=11,
            )

    notes = []
    if len(missing):
        notes.append(f"未上图（位置未核实）：{'、'.join(short_name(n) for n in missing)}。")
    if not (tiers[kind != ""] == 4).any():
        notes.append("四级 中心村：规划未列名，图中无。")
    return Plate(
        title=style.get("titles", "urban-system").format(city=style.get("city")),
        bounds=_city_bounds(ctx),
        draw=paint,
        notes=notes,
    )


# ---------------------------------------------------------------------- projects
def _project_style(sheet: Sheet) -> dict[str, Any]:
    spec = style.get("layers", "projects")
    return {
        "spec": spec,
        "dash": style.dashes(
            {"linewidth_mm": spec["line_width_mm"], **spec}, "approximate_dashes_mm", sheet.factor**0.8
        ),
    }


def draw_projects(
    ax: Any,
    sheet: Sheet,
    items: Legend,
    projects: gpd.GeoDataFrame,
    geoms: np.ndarray,
    *,
    labels: bool = True,
) -> None:
    """Projects in their group's colour: areas filled, lines thick, points as circles; schematic
    sites dashed."""
    ps = _project_style(sheet)
    spec = ps["spec"]
    kind = draw.kinds(geoms)
    groups = projects.get("group", pd.Series("", index=projects.index)).fillna("").astype(str).to_numpy()
    colors = map_styles.group_color(groups)
    approx = layers.approximate(projects)
    lw_line = sheet.line(spec["line_width_mm"])
    lw_edge = sheet.line(0.35)
    for geom, k, c, a in zip(geoms, kind, colors, approx):
        if k == "area":
            draw.polygons(
                ax,
                [geom],
                facecolor=_rgba(c, float(spec["area_alpha"])),
                edgecolor=c,
                linewidth=lw_edge * 1.5,
                linestyle=ps["dash"] if a else "solid",
                zorder=12,
            )
        elif k == "line":
            draw.lines(
                ax, [geom], colors=c, linewidths=lw_line, linestyles=[ps["dash"] if a else "solid"], zorder=12
            )
        elif k == "point":
            p = shapely.point_on_surface(geom)
            ax.plot([p.x], [p.y], marker="o", markersize=_mm(sheet, spec["point_mm"]), color=c, zorder=12)
    for g in dict.fromkeys(groups[kind != ""].tolist()):
        c = map_styles.group_color([g])[0]
        drawn = set(kind[(groups == g) & (kind != "")].tolist())
        # The swatch is of the shape the group's projects have on this map: a line for corridors.
        if drawn == {"line"}:
            items.add(line_handle(c, lw_line), g or "其他")
        elif drawn == {"point"}:
            items.add(marker_handle("o", _mm(sheet, spec["point_mm"]), c, c), g or "其他")
        else:
            items.add(area_handle(_rgba(c, float(spec["area_alpha"])), c, lw_edge * 1.5), g or "其他")
    if approx[kind != ""].any():
        items.add(line_handle("#495057", lw_edge * 2, ps["dash"]), spec["approximate_legend"])
    if not labels:
        return
    ids = projects.get("project_id", pd.Series("", index=projects.index)).astype(str).to_numpy()
    names = projects.get("name", pd.Series("", index=projects.index)).astype(str).to_numpy()
    for geom, k, pid, name in zip(geoms, kind, ids, names):
        if not k:
            continue
        p = shapely.point_on_surface(geom)
        elements.label(
            ax,
            sheet,
            f"{pid} {name}",
            (p.x, p.y),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=sheet.font("label"),
            color="#111111",
            zorder=20,
        )


def plate_projects(ctx: Context) -> Plate:
    """重点项目布局图: the located projects by group over the county units; the others listed."""
    projects = ctx.inputs.projects
    geoms = projects.to_crs(ctx.crs).geometry.to_numpy()
    kind = draw.kinds(geoms)
    located = kind != ""
    missing = projects.loc[~located, "project_id"].astype(str).tolist()
    notes = [f"已上图项目 {int(located.sum())} 个，共 {len(projects)} 个。"]
    if missing:
        notes.append(f"未定位项目 {len(missing)} 个，未上图（无用地位置）：{'、'.join(missing)}。")
    if layers.approximate(projects)[located].any():
        notes.append("虚线所示为示意或近似位置（precision_m），不是用地红线。")
    return Plate(
        title=style.get("titles", "projects").format(city=style.get("city")),
        bounds=_city_bounds(ctx),
        draw=lambda ax, sheet, items: draw_projects(ax, sheet, items, projects[located], geoms[located]),
        notes=notes,
        illustrative=False,
    )


# ---------------------------------------------------------------------- one project
def boundary_points(geom: Any) -> np.ndarray:
    """The 界址点 of a site: the vertices of each polygon's outer ring, clockwise from the north-west.

    >>> boundary_points(shapely.box(0, 0, 10, 10)).tolist()
    [[0.0, 10.0], [10.0, 10.0], [10.0, 0.0], [0.0, 0.0]]
    """
    out = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon":
            continue
        ring = np.asarray(shapely.polygons(part.exterior).exterior.coords)[:-1, :2]
        ring = np.asarray(shapely.geometry.polygon.orient(shapely.Polygon(ring), sign=-1.0).exterior.coords)[
            :-1, :2
        ]
        start = int(np.argmin(ring[:, 0] - ring[:, 1]))  # north-west: small x (easting), large y (northing)
        out.append(np.roll(ring, -start, axis=0))
    return np.concatenate(out) if out else np.empty((0, 2))


def plate_project(ctx: Context, project_id: str) -> Plate:
    """规划符合性审查图 of one project: its site, the three lines, the overlaps, 界址点 and a locator."""
    from hygis.check.pipeline import check_projects  # noqa: PLC0415 - the check loads only for this figure

    projects = ctx.inputs.projects
    ids = projects["project_id"].astype(str)
    if project_id not in set(ids):
        msg = f"No project '{project_id}'. The projects are: {', '.join(ids.tolist()[:40])}."
        raise HygisInputError(msg)
    one = projects[ids == project_id]
    row = one.iloc[0]
    if draw.kinds(one.geometry.to_numpy())[0] == "":
        msg = (
            f"Project {project_id} ({row.get('name', '')}) has no site: a 审查 figure needs one. "
            "Give its 用地红线 with --projects (a 坐标 .txt, 界址点 table or vector file)."
        )
        raise HygisInputError(msg)
    sub_inputs = dataclasses.replace(ctx.inputs, projects=one, native_projects=None, native_wgs84=None)
    report = check_projects(sub_inputs)
    given = draw.kinds(one.geometry.to_numpy())[0]
    corridor = given == "line"
    point = given == "point"  # a point is checked as a point (inside or not): it has no site area
    site_col = report["site_geometry"] if "site_geometry" in report else pd.Series([None])
    site_geom = one.geometry.iloc[0] if point or site_col.isna().iloc[0] else site_col.iloc[0]
    site = gpd.GeoSeries([site_geom], crs=one.crs).to_crs(ctx.crs).iloc[0]
    x0, y0, x1, y1 = site.bounds
    pad = max(0.25 * max(x1 - x0, y1 - y0), 500.0)
    bounds = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    verdict_zh = {k: v for k, v in _verdict_zh().items()}
    site_spec = style.get("layers", "site")
    over = style.get("layers", "overlap")
    pts_spec = style.get("layers", "boundary_points")
    points = np.empty((0, 2)) if corridor else boundary_points(site)

    def paint(ax: Any, sheet: Sheet, items: Legend) -> None:
        draw_control_lines(ctx, ax, sheet, items, faint=0.5)
        lw = sheet.line(over["linewidth_mm"])
        for r in report.itertuples():
            geom = r.geometry
            if geom is None or geom.is_empty:
                continue
            g = gpd.GeoSeries([geom], crs=report.crs).to_crs(ctx.crs).to_numpy()
            color = VERDICT_COLORS.get(r.verdict, "#868e96")
            fill = _rgba(color, float(over["alpha"]))
            # The hatch takes the edge's colour: a darker shade of the verdict's reads on its own fill.
            edge = _darker(color, float(over["hatch_shade"]))
            hatch = over["hatch"].get(r.control_line, "xx")
            draw.polygons(ax, g, facecolor=fill, edgecolor=edge, linewidth=lw, hatch=hatch, zorder=14)
            # The check's geometry is the overlap, or for the boundary the part of the site outside it.
            side = "outside" if r.control_line == "urban_development_boundary" else "inside"
            label = over["legend"][side].format(
                line=CONTROL_LINE_ZH.get(r.control_line, r.control_line),
                verdict=verdict_zh.get(r.verdict, r.verdict),
            )
            items.add(area_handle(fill, edge, lw, hatch=hatch), label)
        slw = sheet.line(site_spec["linewidth_mm"])
        if point:
            size = _mm(sheet, site_spec["point_mm"])
            p = shapely.point_on_surface(site)
            ax.plot([p.x], [p.y], marker="*", markersize=size, color=site_spec["edgecolor"], zorder=16)
            items.add(
                marker_handle("*", size, site_spec["edgecolor"], site_spec["edgecolor"]),
                site_spec["point_legend"],
            )
        else:
            draw.lines(ax, [site], colors=site_spec["edgecolor"], linewidths=slw, zorder=16)
            items.add(
                area_handle("none", site_spec["edgecolor"], slw),
                site_spec["corridor_legend"] if corridor else site_spec["legend"],
            )
        if len(points):
            size = _mm(sheet, pts_spec["marker_mm"])
            ax.plot(
                points[:, 0],
                points[:, 1],
                linestyle="none",
                marker="o",
                markersize=size,
                markerfacecolor="white",
                markeredgecolor=pts_spec["color"],
                markeredgewidth=sheet.pt(0.6),
                zorder=17,
            )
            step = int(np.ceil(len(points) / int(pts_spec["max_labels"])))
            for i in range(0, len(points), step):
                elements.label(
                    ax,
                    sheet,
                    f"J{i + 1}",
                    (float(points[i][0]), float(points[i][1])),
                    halo=1.6,
                    xytext=(3, 3),
                    textcoords="offset points",
                    fontsize=sheet.font("label") * 0.85,
                    color=pts_spec["color"],
                    zorder=18,
                )
            items.add(marker_handle("o", size, "white", pts_spec["color"]), pts_spec["legend"])

    notes = _project_notes(report, row, corridor, points, int(pts_spec["max_labels"]), point=point)
    return Plate(
        title=style.get("titles", "project").format(name=row.get("name", project_id), id=project_id),
        bounds=bounds,
        draw=paint,
        notes=notes,
        illustrative=bool(ctx.inputs.illustrative()),
        banner=notice(ctx.inputs),
        locator=True,
    )


def _verdict_zh() -> dict[str, str]:
    # The vocabulary's labels are "冲突 conflict": the Chinese word is the first.
    return {k: v.split(" ", 1)[0] for k, v in VERDICT_LABELS.items()}


def _project_notes(
    report: pd.DataFrame,
    row: Any,
    corridor: bool,
    points: np.ndarray,
    max_labels: int,
    *,
    point: bool = False,
) -> list[str]:
    verdict_zh = _verdict_zh()
    first = report.iloc[0]
    name = f"项目：{row.get('project_id', '')} {row.get('name', '')}"
    if point or pd.isna(first["site_ha"]):
        notes = [f"{name}；点位项目，无用地范围：仅判断是否落入各控制线，应补充用地红线。"]
        for r in report.itertuples():
            where = "内" if bool(r.point_inside) else "外"
            notes.append(
                f"{CONTROL_LINE_ZH.get(r.control_line, r.control_line)}：位于线{where}"
                f"— {verdict_zh.get(r.verdict, r.verdict)}。"
            )
        return notes
    notes = [f"{name}；用地面积 {first['site_ha']:,.2f} 公顷（{first['site_mu']:,.1f} 亩，椭球面积）。"]
    for r in report.itertuples():
        zh_line = CONTROL_LINE_ZH.get(r.control_line, r.control_line)
        verdict = verdict_zh.get(r.verdict, r.verdict)
        if r.control_line == "urban_development_boundary":
            out_ha = float(r.outside_ha) if pd.notna(r.outside_ha) else 0.0
            out_mu = float(r.outside_mu) if pd.notna(r.outside_mu) else 0.0
            notes.append(f"{zh_line}：界外 {out_ha:,.2f} 公顷（{out_mu:,.1f} 亩）— {verdict}。")
            continue
        ha = float(r.overlap_ha) if pd.notna(r.overlap_ha) else 0.0
        mu = float(r.overlap_mu) if pd.notna(r.overlap_mu) else 0.0
        notes.append(f"{zh_line}：重叠 {ha:,.2f} 公顷（{mu:,.1f} 亩）— {verdict}。")
    if corridor:
        notes.append("线状项目按走廊宽度审查（见 hygis check 的说明），无界址点。")
    elif len(points) > max_labels:
        step = int(np.ceil(len(points) / max_labels))
        notes.append(f"界址点 {len(points)} 个，自西北角起顺时针编号；图中每 {step} 点标注一个编号。")
    elif len(points):
        notes.append(f"界址点 {len(points)} 个，自西北角起顺时针编号。")
        if len(points) <= COORDINATE_TABLE_MAX:
            # The 界址点 table as a survey states it: X northing, Y easting, metres, in the figure's zone.
            rows = [f"J{i + 1}  X={y:,.3f}  Y={x:,.3f}" for i, (x, y) in enumerate(points)]
            notes.append("界址点坐标（X 纵/北，Y 横/东，米）：\n" + "\n".join(rows))
    return notes


#: Up to this many 界址点, their coordinates are listed in the figure's notes.
COORDINATE_TABLE_MAX = 12


# ---------------------------------------------------------------------- monitoring
def plate_monitor_warning(
    ctx: Context,
    changes: Any = None,
    *,
    year: int | None = None,
    result: gpd.GeoDataFrame | None = None,
    crs: Any = None,
) -> Plate:
    """监测预警图: change polygons by warning level over the counties and the three lines.

    ``result`` (from :func:`hygis.monitor.changes.classify_changes`) is drawn as given; otherwise
    ``changes`` (a path or GeoDataFrame of change polygons, as ``hygis monitor changes --changes``)
    is classified, or the monitor's illustrative example when it is None.
    """
    from hygis.monitor import changes as monitor_changes  # noqa: PLC0415 - the monitor loads only for this figure
    from hygis.monitor import example, grading  # noqa: PLC0415

    if result is None:
        if changes is None:
            source = example.example_changes(inputs=ctx.inputs)
        elif isinstance(changes, gpd.GeoDataFrame):
            source = changes
        else:
            source = monitor_changes.read_changes(changes, year=year, crs=crs)
        result = monitor_changes.classify_changes(source, ctx.inputs, year=year if changes is None else None)
    levels = grading.load_levels()
    spec = style.get("layers", "changes")
    geoms = result.to_crs(ctx.crs).geometry.to_numpy()
    level = result["level"].astype(str).to_numpy()
    years = sorted({int(y) for y in pd.to_numeric(result.get("year"), errors="coerce").dropna()})
    span = f"（{years[0]}—{years[-1]}年）" if len(years) > 1 else (f"（{years[0]}年）" if years else "")

    def paint(ax: Any, sheet: Sheet, items: Legend) -> None:
        draw_control_lines(ctx, ax, sheet, items, faint=0.3)
        lw = sheet.line(spec["linewidth_mm"])
        for lv in reversed(levels.index):  # red last: on top
            sel = level == lv
            if not sel.any():
                continue
            color = levels.loc[lv, "color"]
            draw.polygons(
                ax,
                geoms[sel],
                facecolor=_rgba(color, float(spec["alpha"])),
                edgecolor=color,
                linewidth=lw,
                zorder=20,
            )
        for lv in levels.index:
            n = int((level == lv).sum())
            if n:
                color = levels.loc[lv, "color"]
                label = (
                    f"{levels.loc[lv, 'label_zh']}色预警变化图斑（{n:,} 处）"
                    if lv != "none"
                    else f"无预警变化图斑（{n:,} 处）"
                )
                items.add(area_handle(_rgba(color, float(spec["alpha"])), color, lw), label)
        marked = np.isin(level, spec["marker_levels"])
        if marked.any():
            size = _mm(sheet, spec["marker_mm"])
            for lv in reversed(spec["marker_levels"]):
                sel = level == lv
                if sel.any():
                    xy = np.array([(p.x, p.y) for p in shapely.point_on_surface(geoms[sel])])
                    ax.plot(
                        xy[:, 0],
                        xy[:, 1],
                        linestyle="none",
                        marker="o",
                        markersize=size,
                        markerfacecolor=levels.loc[lv, "color"],
                        markeredgecolor="white",
                        markeredgewidth=sheet.pt(0.3),
                        zorder=22,
                    )
            items.add(marker_handle("o", size, "#555555", "white", sheet.pt(0.3)), spec["marker_legend"])

    area_crs = result.attrs.get("area_crs", "")
    notes = [
        f"变化图斑 {len(result):,} 个；面积按 {area_crs} 平面量算。"
        if area_crs
        else f"变化图斑 {len(result):,} 个。"
    ]
    by_county = result[result["level"] == "red"].groupby("county_name").size().sort_values(ascending=False)
    if len(by_county):
        notes.append(
            "红色预警较多的县市区：" + "、".join(f"{c} {n}" for c, n in by_county.head(5).items()) + "。"
        )
    made_up = bool(
        (result.get("data_status", pd.Series(dtype=str)).astype(str) == grading.ILLUSTRATIVE).any()
    )
    banner = notice(ctx.inputs, changes=made_up)
    return Plate(
        title=style.get("titles", "monitor-warning").format(city=style.get("city"), years=span),
        bounds=_city_bounds(ctx),
        draw=paint,
        notes=notes,
        illustrative=bool(banner),
        banner=banner,
    )


# ---------------------------------------------------------------------- the figure
def figure(
    name: str,
    inputs: PlanInputs | None = None,
    *,
    paper: str = "A3",
    orientation: str | None = None,
    unit: str | None = None,
    date: str | None = None,
    title: str | None = None,
    project_id: str | None = None,
    changes: Any = None,
    year: int | None = None,
    result: gpd.GeoDataFrame | None = None,
    changes_crs: Any = None,
) -> Any:
    """Draw one of the print figures on a sheet of paper, at a true scale.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`: ``control-lines``, ``urban-system``, ``projects``, ``project``
        (with ``project_id``), ``monitor-warning``.
    inputs : PlanInputs, optional
        The plan's layers (:func:`hygis.plan.resolve`); default the embedded ones.
    paper : {"A4", "A3", "A1"}
        The paper (GB/T 148); the figure is that size, so 1 mm of the figure prints as 1 mm.
    orientation : {"landscape", "portrait"}, optional
        Default: the one that shows the map at the larger scale.
    unit, date : str, optional
        编制单位 and 编制日期 (default: the placeholder of ``data/figure_styles.json``; this month).
    title : str, optional
        Replaces the figure's name (图名).
    project_id : str
        With ``name="project"``: the project to draw.
    changes, year, result
        With ``name="monitor-warning"``: change polygons (path or GeoDataFrame; default the
        monitor's illustrative example), the year to keep, or an already classified result.
    changes_crs : str, optional
        CRS of a change file that has none.

    Returns
    -------
    matplotlib.figure.Figure
        Its ``hygis`` attribute holds the scale denominator, the CRS, the map axes, the scale bar
        and whether the stamp was drawn.
    """
    if name not in NAMES:
        msg = f"Unknown figure '{name}': choose one of {', '.join(NAMES)}."
        raise HygisInputError(msg)
    if name == "project" and not project_id:
        msg = "The 'project' figure needs a project id (hygis figure project P14)."
        raise HygisInputError(msg)
    with style.drawing():
        inputs = inputs or resolve()
        crs = inputs.area_crs()
        ctx = Context(inputs, crs, layers.load("counties").to_crs(crs))
        if name == "control-lines":
            plate = plate_control_lines(ctx)
        elif name == "urban-system":
            plate = plate_urban_system(ctx)
        elif name == "projects":
            plate = plate_projects(ctx)
        elif name == "project":
            plate = plate_project(ctx, str(project_id))
        else:
            plate = plate_monitor_warning(ctx, changes, year=year, result=result, crs=changes_crs)
        return render(plate, ctx, paper=paper, orientation=orientation, unit=unit, date=date, title=title)


@dataclass
class FigureInfo:
    """What a drawn figure is: kept on it as ``fig.hygis`` for tests and tools."""

    name: str
    sheet: Sheet
    scale: int
    crs: CRS
    map_axes: Any
    scale_bar: Any
    north_arrow: Any
    stamp: Any
    legend_labels: list[str]


def render(
    plate: Plate,
    ctx: Context,
    *,
    paper: str = "A3",
    orientation: str | None = None,
    unit: str | None = None,
    date: str | None = None,
    title: str | None = None,
) -> Any:
    """Put a plate on a sheet: frame, true-scale map, county base, map elements, legend, notes."""
    orientation = orientation or orientation_for(plate.bounds, paper)
    sheet = Sheet.make(paper, orientation)
    fig, ax, panel = elements.new_sheet(sheet)
    scale = fit_scale(plate.bounds, sheet.map)
    b = plate.bounds
    set_scale(ax, ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2), scale, sheet.map)
    base = Legend()
    counties = ctx.counties
    elements.counties(ax, sheet, base, counties.geometry.to_numpy(), counties["name"].astype(str).tolist())
    items = Legend()
    plate.draw(ax, sheet, items)
    arrow = elements.north_arrow(ax, sheet, ctx.crs)
    bar = elements.scale_bar(ax, sheet, scale)
    stamp = elements.stamp(ax, sheet) if plate.illustrative else None
    elements.title(fig, sheet, title or plate.title)
    elements.footer(fig, sheet, unit or style.get("default_unit"), date or _this_month())
    # The legend lists what the figure is about first, the county base last.
    ordered = Legend(items.handles + base.handles, items.labels + base.labels)
    elements.legend(
        panel, sheet, ordered, ncol=1 if sheet.panel_side == "right" or len(ordered.labels) <= 5 else 2
    )
    notes = [elements.crs_note(ctx.crs), *plate.notes]
    if plate.banner:
        notes.append(plate.banner)
    p = sheet.panel
    if sheet.panel_side == "right":
        notes_box = Box(p.x, p.y, p.w, p.h * 0.4)
        height = elements.notes_block(fig, sheet, notes_box, notes)
        if plate.locator:
            side = min(p.w, p.h * 0.3)
            elements.locator(
                fig,
                sheet,
                Box(p.x, p.y + height + 6 * sheet.factor, side, side * 0.9),
                counties.geometry.to_numpy(),
                _limits(ax),
            )
    else:
        # Below the map: the legend on the left, then the notes, the locator at the right end.
        legend_w = p.w * 0.45
        side = p.h * 0.95 if plate.locator else 0.0
        if plate.locator:
            elements.locator(
                fig,
                sheet,
                Box(p.right - side, p.y, side, side * 0.9),
                counties.geometry.to_numpy(),
                _limits(ax),
            )
        gap = 2 * sheet.factor
        notes_box = Box(p.x + legend_w + gap, p.y, p.w - legend_w - side - 3 * gap, p.h)
        elements.notes_block(fig, sheet, notes_box, notes)
    fig.hygis = FigureInfo(  # type: ignore[attr-defined]
        name=plate.title,
        sheet=sheet,
        scale=scale,
        crs=ctx.crs,
        map_axes=ax,
        scale_bar=bar,
        north_arrow=arrow,
        stamp=stamp,
        legend_labels=ordered.labels,
    )
    return fig


def _limits(ax: Any) -> tuple[float, float, float, float]:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return x0, y0, x1, y1


def _this_month() -> str:
    today = _dt.date.today()
    return f"{today.year}年{today.month}月"


__all__ = ["NAMES", "Context", "FigureInfo", "Plate", "boundary_points", "figure", "render"]
