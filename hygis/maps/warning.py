"""Monitoring maps: change polygons coloured by warning level (预警图), and projects by stage.

:func:`warning_map` draws the result of :func:`hygis.monitor.changes.classify_changes` over the
county units and the three control lines, one layer per level (红/橙/黄/无), with a panel
counting each county's warnings. A level past the big-layer rule (:func:`hygis.maps.draw.is_big`)
is drawn by the canvas big-layer technique (:mod:`hygis.maps.big`), above the control lines, so
10^5 change polygons stay usable. :func:`progress_map` draws the projects coloured by stage.
Every text is escaped (:mod:`hygis.maps.escape`); assets are inlined when ``offline``.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import shapely

from hygis.crs import WGS84
from hygis.errors import HygisInputError
from hygis.maps.base import MapBuilder, circle_swatch, new_map, swatch
from hygis.maps.controls import HtmlControl
from hygis.maps.draw import add_control_line, add_counties, add_not_located_panel, add_polygons
from hygis.maps.escape import esc, fmt, popups, tooltips
from hygis.maps.geojson import CIRCLE_POINTS, POPUP, RADIUS, STYLE, TOOLTIP, feature_collection, geojson_layer
from hygis.maps.themes import county_choropleth
from hygis.monitor import grading
from hygis.plan import PlanInputs, layers, resolve

CHANGE_FIELDS = [
    ("年度 year", "year"),
    ("县 county", "county_name"),
    ("预警 level", "level_zh"),
    ("规则 rule", "rule_label"),
    ("变更前 before", "class_before"),
    ("变更后 after", "class_after"),
    ("面积 area (ha)", "area_ha"),
    ("占生态保护红线 red line (ha)", "redline_ha"),
    ("占永久基本农田 farmland (ha)", "farmland_ha"),
    ("开发边界外 outside boundary (ha)", "outside_udb_ha"),
    ("全部规则 rules matched", "rules"),
]
#: Numbers in the county panel: right-aligned, apart from their neighbours.
_NUM = " style='text-align:right;padding:1px 0 1px 10px'"
LEVEL_STYLE = {"weight": 1.2, "opacity": 0.95, "fillOpacity": 0.7}


def _level_styles() -> dict[str, dict]:
    levels = grading.load_levels()
    return {lv: {**LEVEL_STYLE, "color": c, "fillColor": c} for lv, c in levels["color"].items()}


def county_panel_html(result: pd.DataFrame) -> str:
    """Per county: changes by level (counts) and the area in red, as an escaped HTML table."""
    levels = grading.load_levels()
    order = [lv for lv in levels.index if lv != "none"]
    counts = result.pivot_table(
        index="county_name", columns="level", values="area_ha", aggfunc="size", fill_value=0
    )
    red_ha = result[result["level"] == "red"].groupby("county_name")["area_ha"].sum()
    rank = sum(counts.get(lv, 0) * 10 ** (3 * (len(order) - i)) for i, lv in enumerate(order))
    head = "".join(f"<th>{esc(levels.loc[lv, 'label_zh'])}</th>" for lv in order)
    rows = []
    for county in rank.sort_values(ascending=False).index if len(counts) else []:
        cells = "".join(f"<td{_NUM}>{int(counts.loc[county].get(lv, 0)):,}</td>" for lv in order)
        rows.append(
            f"<tr><th>{esc(county or '—')}</th>{cells}"
            f"<td{_NUM}>{fmt(float(red_ha.get(county, 0.0)), 1)}</td></tr>"
        )
    years = sorted(set(result["year"])) if len(result) else []
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
    return (
        f'<details class="hy-list hy-county-warnings" open><summary><b>{esc("分县预警 Warnings by county")} '
        f"{esc(span)}</b>"
        f"</summary><table class='hy-tbl'><tr><th>{esc('县 county')}</th>{head}<th>{esc('红 ha')}</th></tr>"
        + "".join(rows)
        + "</table></details>"
    )


#: Red and orange changes get a marker (visible at city scale, where a 1 ha change is a speck) up to this
#: many; past it the canvas layers alone show them.
MARKERS_MAX = 5_000
MARKER_LEVELS = ("red", "orange")


def _add_markers(b: MapBuilder, frame: gpd.GeoDataFrame, level_styles: dict[str, dict]) -> None:
    """A small circle on each red and orange change, above the polygons, with the same popup."""
    marked = frame[frame["level"].isin(MARKER_LEVELS)]
    if marked.empty or len(marked) > MARKERS_MAX:
        return
    levels = grading.load_levels()
    points = shapely.point_on_surface(marked.geometry.to_numpy())
    style = [
        {"color": "#ffffff", "weight": 1, "fillColor": level_styles[lv]["fillColor"], "fillOpacity": 0.95}
        for lv in marked["level"]
    ]
    props = pd.DataFrame(
        {
            TOOLTIP: tooltips(
                marked["change_id"], marked["level_zh"], marked["rule_label"], marked["county_name"]
            ),
            POPUP: popups(marked, "change_id", CHANGE_FIELDS),
            STYLE: style,
            RADIUS: 4,
        }
    )
    zh = " / ".join(levels.loc[lv, "label_zh"] for lv in MARKER_LEVELS)
    name = f"预警位置 {zh} warning locations ({len(marked):,})"
    layer = geojson_layer(feature_collection(b.display(points), props), name, point_to_layer=CIRCLE_POINTS)
    layer.add_to(b.m)


def warning_map(
    result: gpd.GeoDataFrame,
    inputs: PlanInputs | None = None,
    *,
    basemap: str = "osm",
    offline: bool = True,
    title: str = "变化图斑预警 Change polygons by warning level",
    show_none: bool = False,
) -> folium.Map:
    """Map change polygons by warning level over the counties and the three control lines.

    Parameters
    ----------
    result : GeoDataFrame
        From :func:`hygis.monitor.changes.classify_changes` (``attrs["banner"]`` becomes the banner).
    inputs : PlanInputs, optional
        The control lines the changes were measured against (default the embedded ones).
    basemap, offline
        As for :func:`hygis.maps.plan_map`.
    show_none : bool
        Show the changes without a warning when the map opens (they are in the layer control either way).

    Returns
    -------
    folium.Map
    """
    need = {"change_id", "level", "area_ha", "county_name"}
    if not need <= set(result.columns):
        msg = (
            "warning_map needs the frame of hygis.monitor.changes.classify_changes (change_id, level, "
            "area_ha …)."
        )
        raise HygisInputError(msg)
    if result.crs is not None and not result.crs.equals(WGS84):
        result = result.to_crs(WGS84)
    inputs = inputs or resolve()
    crs = result.attrs.get("area_crs")
    method = result.attrs.get("area_method")
    b = new_map(
        title,
        basemap=basemap,
        offline=offline,
        banner=result.attrs.get("banner"),
        subtitle=(f"面积 areas: {method}; overlaps cut in {crs}" if method else f"面积 areas: {crs}")
        if crs
        else None,
    )
    # Never an opaque base: past the big-layer threshold the changes draw on canvas tiles beneath it.
    add_counties(b, layers.load("counties"))
    illustrative = set(inputs.illustrative())
    for key, gdf in inputs.control_lines().items():
        add_control_line(b, key, gdf, illustrative=key in illustrative, show=key != "permanent_farmland")
    levels = grading.load_levels()
    level_styles = _level_styles()
    frame = result.assign(
        **{
            c: result[c].round(3)
            for c in ("area_ha", "redline_ha", "farmland_ha", "outside_udb_ha")
            if c in result.columns
        }
    )
    rows = []
    for level in reversed(levels.index):  # red drawn last: on top
        sub = frame[frame["level"] == level]
        label = f"{levels.loc[level, 'label_zh']} {levels.loc[level, 'label_en']}"
        name = f"变化图斑 {label} ({len(sub):,})"
        if len(sub):
            add_polygons(
                b,
                sub,
                name,
                level_styles[level],
                fields=CHANGE_FIELDS,
                title_field="change_id",
                show=level != "none" or show_none,
                on_top=True,
            )
        rows.append((swatch(level_styles[level]), f"{label}: {len(sub):,}"))
    b.add_legend("预警等级 warning level", list(reversed(rows)))
    _add_markers(b, frame, level_styles)
    HtmlControl(county_panel_html(result), position="bottomleft", css_class="hy-panel").add_to(b.m)
    if len(result):
        b.fit(result)
    return b.finish()


def progress_map(
    table: pd.DataFrame,
    inputs: PlanInputs | None = None,
    *,
    basemap: str = "osm",
    offline: bool = True,
    title: str = "项目进展 Projects by stage",
) -> folium.Map:
    """Map the projects coloured by stage (前期/在建/竣工), with completion in the popups.

    Parameters
    ----------
    table : DataFrame
        From :func:`hygis.monitor.projects.assess_projects`.
    inputs : PlanInputs, optional
        The projects' geometries (default the plan's 19); projects without a site are listed.
    """
    inputs = inputs or resolve()
    stages = grading.load_stages()
    projects = inputs.projects.merge(
        table.drop(columns=["name", "group", "county_code"], errors="ignore"), on="project_id", how="left"
    )
    b = new_map(title, basemap=basemap, offline=offline, banner=table.attrs.get("banner"))
    add_counties(b, layers.load("counties"), as_base=b.basemap == "none")
    located = ~(projects.geometry.isna() | projects.geometry.is_empty).to_numpy()
    drawn = projects[located].copy()
    drawn["completion"] = [f"{fmt(c, 1)} %" if pd.notna(c) else "—" for c in drawn["completion_pct"]]
    drawn["path"] = [f"{fmt(c, 1)} %" if pd.notna(c) else "—" for c in drawn["path_pct"]]
    fields = [
        ("编号 id", "project_id"),
        ("类别 group", "group"),
        ("阶段 stage", "stage"),
        ("状态 status", "status"),
        ("计划投资 planned (亿元)", "investment_yi"),
        ("累计完成 done (亿元)", "invest_done_yi"),
        ("完成率 completion", "completion"),
        ("中期路径 path", "path"),
        ("年度 year", "latest_year"),
    ]
    colors = drawn["stage"].map(stages["color"]).fillna("#666666")
    kinds = drawn.geom_type.to_numpy()
    style = [
        {
            "color": c,
            "fillColor": c,
            "weight": 4 if k in ("LineString", "MultiLineString") else 2,
            "fillOpacity": 0.55,
            "opacity": 0.95,
        }
        for c, k in zip(colors, kinds)
    ]
    props = pd.DataFrame(
        {
            POPUP: popups(drawn, "name", fields),
            TOOLTIP: tooltips(drawn["name"], drawn["stage"], drawn["completion"]),
            STYLE: style,
            RADIUS: 9,
        }
    )
    geojson_layer(
        feature_collection(b.display(drawn.geometry), props),
        "项目 projects by stage",
        point_to_layer=CIRCLE_POINTS,
    ).add_to(b.m)
    counts = table["stage"].value_counts()
    b.add_legend(
        "阶段 stage",
        [
            (
                circle_swatch(stages.loc[s, "color"], 6),
                f"{s} {stages.loc[s, 'stage_en']}: {int(counts.get(s, 0))}",
            )
            for s in stages.index
        ],
    )
    behind = table[table["behind"]]
    extra = (
        f"计划总投资 planned {fmt(float(table['planned_yi'].sum()), 0)} 亿元 · 累计完成 done "
        f"{fmt(float(table['invest_done_yi'].sum()), 1)} 亿元 · 落后于中期路径 behind the mid-term path: "
        f"{len(behind)}"
    )
    add_not_located_panel(b, projects[~located], len(projects), extra=extra)
    if located.any():
        b.fit(projects[located])
    return b.finish()


def indicator_map(
    table: pd.DataFrame,
    indicator: str | None = None,
    *,
    basemap: str = "osm",
    offline: bool = True,
) -> folium.Map:
    """A choropleth of one indicator's pace ratio (achieved ÷ needed) per county.

    Parameters
    ----------
    table : DataFrame
        From :func:`hygis.monitor.indicators.assess_indicators`, with county rows.
    indicator : str, optional
        Which indicator; default the first one given per county.

    Raises
    ------
    HygisInputError
        When no county values were given (for that indicator).
    """
    counties = table[table["county_code"] != ""]
    if indicator is None and len(counties):
        indicator = str(counties["indicator"].iloc[0])
    rows = counties[counties["indicator"] == indicator]
    if rows.empty:
        given = ", ".join(sorted(set(counties["indicator"]))) or "none"
        msg = f"No county values for '{indicator}': a choropleth needs them (given per county: {given})."
        raise HygisInputError(msg)
    values = pd.DataFrame({"code": rows["county_code"], "value": rows["ratio"].round(3)})
    title = f"{indicator} — 进度比 pace ratio (achieved ÷ needed; ≥ 1 on track)"
    return county_choropleth(
        values,
        "value",
        title=title,
        unit="",
        basemap=basemap,
        offline=offline,
        banner=table.attrs.get("banner"),
    )


__all__ = ["CHANGE_FIELDS", "county_panel_html", "indicator_map", "progress_map", "warning_map"]
