"""The compliance map: each project's overlap with the three control lines, coloured by verdict.

It draws the report of :func:`hygis.check.check_projects` (one row per project × control
line; geometry = the overlap polygon in WGS 84, empty when there is none) over the control
lines and the project sites.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis.constants import VERDICT_COLORS, VERDICT_LABELS, VERDICTS
from hygis.crs import WGS84
from hygis.errors import HygisInputError
from hygis.maps import styles
from hygis.maps.base import MapBuilder, new_map, swatch
from hygis.maps.draw import (
    add_big_layer,
    add_control_line,
    add_counties,
    add_light_symbols,
    add_not_located_panel,
    has_site,
    is_big,
)
from hygis.maps.escape import fmt, popups, tooltips
from hygis.maps.geojson import POPUP, STYLE, TOOLTIP, feature_collection, geojson_layer
from hygis.maps.plan_map import source_note
from hygis.plan import layers, resolve
from hygis.plan.inputs import PlanInputs, illustrative_banner

REPORT_COLUMNS = ("project_id", "name", "control_line", "verdict")

OVERLAP_FIELDS = [
    ("编号 id", "project_id"),
    ("类别 group", "group"),
    ("控制线 control line", "control_line_label"),
    ("结论 verdict", "verdict_label"),
    ("项目用地 site (ha)", "site_ha"),
    ("叠加面积 overlap (ha)", "overlap_ha"),
    ("叠加面积 overlap (亩 mu)", "overlap_mu"),
    ("占用地比例 share of site", "share_pct"),
    ("规则 rule", "rule"),
    ("方法 method", "method"),
]

#: The popup of a canvas overlap layer (at most BIG_LAYER_FIELDS): what the planner reads first.
BIG_OVERLAP_FIELDS = [
    ("名称 name", "name"),
    ("编号 id", "project_id"),
    ("控制线 control line", "control_line_label"),
    ("结论 verdict", "verdict_label"),
    ("叠加面积 overlap (ha)", "overlap_ha"),
    ("占用地比例 share of site", "share_pct"),
]

#: The popup of a canvas site layer.
SITE_FIELDS = [
    ("名称 name", "name"),
    ("编号 id", "project_id"),
    ("最严结论 worst verdict", "verdict_label"),
    ("类别 group", "group"),
    ("总投资 investment (亿元)", "investment_yi"),
    ("定位精度 precision (m)", "precision_m"),
]


def _check_report(report: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = [c for c in REPORT_COLUMNS if c not in report.columns]
    if missing:
        msg = (
            f"The compliance report lacks the column(s) {', '.join(missing)}: "
            "pass the GeoDataFrame returned by hygis.check.check_projects."
        )
        raise HygisInputError(msg)
    if report.crs is not None and not report.crs.equals(WGS84):
        report = report.to_crs(WGS84)
    return report


def worst_verdict(report: pd.DataFrame) -> pd.Series:
    """Each project's worst verdict over the control lines (order of :data:`hygis.constants.VERDICTS`)."""
    order = {v: i for i, v in enumerate(VERDICTS)}
    rank = report["verdict"].map(order).fillna(len(order))
    idx = rank.groupby(report["project_id"].astype(str)).idxmin()
    return pd.Series(report.loc[idx, "verdict"].to_numpy(), index=idx.index)


def compliance_map(
    report: gpd.GeoDataFrame,
    inputs: PlanInputs | None = None,
    basemap: str = "osm",
    offline: bool = True,
    *,
    title: str | None = None,
) -> folium.Map:
    """Map a compliance report: overlap polygons by verdict over the control lines and the sites.

    Parameters
    ----------
    report : GeoDataFrame
        From :func:`hygis.check.check_projects`: columns ``project_id``, ``name``, ``group``,
        ``control_line``, ``site_ha``, ``overlap_ha``, ``overlap_mu``, ``share_of_site``,
        ``verdict``, ``rule``, ``method``; geometry = overlap (EPSG:4326, may be empty).
        ``report.attrs["illustrative"]`` is shown as the banner.
    inputs : PlanInputs, optional
        The layers the report was made from (default: the embedded ones).
    basemap, offline
        As for :func:`hygis.maps.plan_map`.

    Returns
    -------
    folium.Map
    """
    report = _check_report(report)
    inputs = inputs or resolve()
    banner = report.attrs.get("illustrative") or illustrative_banner(inputs)
    b = new_map(title or styles.get("title", "compliance"), basemap=basemap, offline=offline, banner=banner)
    add_counties(b, layers.load("counties"), as_base=b.basemap == "none")
    illustrative = set(inputs.illustrative())
    line_labels = {}
    for key, gdf in inputs.control_lines().items():
        add_control_line(b, key, gdf, illustrative=key in illustrative, source_note=source_note(inputs, key))
        line_labels[key] = styles.get("control_lines", key, "legend")
    verdicts = {v: {"label": VERDICT_LABELS[v], "color": VERDICT_COLORS[v]} for v in VERDICTS}
    _add_sites(b, report, inputs.projects)
    _add_overlaps(b, report, line_labels, verdicts)
    _add_relocations(b, report.attrs.get("relocations"))
    not_located = report[report["verdict"].eq("not located")].drop_duplicates("project_id")
    projects = inputs.projects
    total = (
        int(projects["project_id"].nunique()) if "project_id" in projects else report["project_id"].nunique()
    )
    counts = report.groupby("verdict")["project_id"].nunique()
    summary = " · ".join(
        f"{verdicts.get(v, {'label': v})['label']}: {int(counts[v])}" for v in VERDICTS if v in counts
    )
    add_not_located_panel(b, not_located, total, extra=f"项目数 projects by verdict: {summary}")
    if "site_geometry" in report.columns:
        # Open on the projects checked, not the whole city: that is what the planner came to see.
        sites = gpd.GeoSeries(report["site_geometry"].to_numpy(), crs=report.crs)
        sites = sites[sites.notna() & ~sites.is_empty]
        if len(sites):
            x0, y0, x1, y1 = sites.to_crs(WGS84).total_bounds
            pad = 0.01  # degrees, about 1 km: the site's surroundings stay in view
            b.bounds = [x0 - pad, y0 - pad, x1 + pad, y1 + pad]
    return b.finish()


def _add_sites(b: MapBuilder, report: gpd.GeoDataFrame, projects: gpd.GeoDataFrame) -> None:
    """The located project sites, outlined in the colour of their worst verdict."""
    located = projects[has_site(projects)]
    if not len(located):
        return
    spec = styles.get("sites")
    worst = worst_verdict(report)
    verdict = located["project_id"].astype(str).map(worst).fillna("not located")
    colors = styles.verdict_color(verdict)
    frame = located.assign(verdict_label=verdict.map(VERDICT_LABELS).fillna(verdict))
    name = "项目用地（按最严结论） Project sites (worst verdict)"
    outline = {"color": "#495057", "weight": spec["style"]["weight"], "fillOpacity": 0, "fill": False}
    dashed = (
        swatch({**outline, "dashArray": spec["style"]["dashArray"]}),
        "虚线框颜色 = 最严结论 outline colour = worst verdict",
    )
    if is_big(located.geometry.to_numpy()):
        _add_many_sites(b, frame, verdict, colors, name, dashed)
        return
    style = [
        {
            "color": c,
            "weight": spec["style"]["weight"],
            "fillColor": c,
            "fillOpacity": spec["style"]["fillOpacity"],
            "dashArray": spec["style"]["dashArray"],
        }
        for c in colors
    ]
    props = pd.DataFrame(
        {
            POPUP: popups(
                frame,
                [f"{p} {n}" for p, n in zip(frame["project_id"], frame.get("name", ""))],
                [
                    ("最严结论 worst verdict", "verdict_label"),
                    ("类别 group", "group"),
                    ("总投资 investment (亿元)", "investment_yi"),
                    ("定位精度 precision (m)", "precision_m"),
                ],
            ),
            TOOLTIP: tooltips(frame.get("name", frame["project_id"]), frame["verdict_label"]),
            STYLE: style,
        }
    )
    data = feature_collection(b.display(located.geometry), props)
    geojson_layer(data, name, point_to_layer=_site_points(spec["radius_px"])).add_to(b.m)
    b.add_legend(name, [dashed])


def _add_many_sites(
    b: MapBuilder,
    frame: gpd.GeoDataFrame,
    verdict: pd.Series,
    colors: np.ndarray,
    name: str,
    dashed: tuple[str, str],
) -> None:
    """Sites past the big-layer rule: areas on the canvas renderer, points and lines on one canvas.

    The areas go to :func:`~hygis.maps.draw.add_big_layer`, one layer per verdict (a canvas
    layer has one style; its outlines are solid), the worst last so on top. The points and
    lines keep their dashed symbol in the verdict's colour, as
    :func:`~hygis.maps.draw.add_light_symbols`: one layer on the map's canvas with a one-line
    tooltip (id · name · verdict) instead of an SVG element and a popup table each, the worst
    verdicts drawn last.
    """
    spec = styles.get("sites")
    order = {v: i for i, v in enumerate(VERDICTS)}
    areas = np.isin(shapely.get_type_id(frame.geometry.to_numpy()), [3, 6])
    rows = []
    for v in sorted(set(verdict[areas]), key=lambda v: -order.get(v, len(order))):
        sub = frame[areas & verdict.eq(v).to_numpy()]
        color = styles.verdict_color([v])[0]
        add_big_layer(
            b,
            sub,
            f"{name} — {VERDICT_LABELS.get(v, v)} ({len(sub):,})",
            {"color": color, "weight": 2, "fillColor": color, "fillOpacity": 0.08},
            fields=SITE_FIELDS,
            on_top=True,
        )
    if areas.any():
        rows.append(
            (
                swatch({"color": "#495057", "weight": 2, "fillOpacity": 0}),
                "框颜色 = 最严结论 outline = worst verdict",
            )
        )
    rest = ~areas
    if rest.any():
        rank = verdict[rest].map(order).fillna(len(order)).to_numpy()
        worst_last = np.argsort(-rank, kind="stable")
        sub = frame[rest].iloc[worst_last]
        add_light_symbols(
            b,
            sub.geometry.to_numpy(),
            name,
            tooltips(sub["project_id"], sub.get("name", [""] * len(sub)), sub["verdict_label"]),
            [{"color": c} for c in colors[rest][worst_last]],
            # Leaflet's circleMarker takes its radius from the style too (setStyle).
            {**spec["style"], "radius": spec["radius_px"]},
            beside_areas=bool(areas.any()),
        )
        rows.append(dashed)
    rows.append(("", spec["big_note"]))
    b.add_legend(name, rows)


def _site_points(radius: float) -> str:
    """Point sites as circles of ``radius`` px (JavaScript ``pointToLayer``)."""
    return (
        "function (feature, latlng) {\n    return L.circleMarker(\n        latlng, Object.assign("
        f"{{radius: {radius}}}, feature.properties.{STYLE} || {{}}, {{fillOpacity: 0.4}}));\n}}"
    )


def _add_overlaps(
    b: MapBuilder, report: gpd.GeoDataFrame, line_labels: dict[str, str], verdicts: dict
) -> None:
    """The overlap polygons, one colour per verdict, conflicts on top."""
    order = {v: i for i, v in enumerate(VERDICTS)}
    sub = report[has_site(report)]
    rank = sub["verdict"].map(order).fillna(len(order)).to_numpy()
    rows = sub.iloc[np.argsort(-rank, kind="stable")].copy()
    labels = {k: v["label"] for k, v in verdicts.items()}
    share = pd.to_numeric(rows.get("share_of_site", pd.Series(np.nan, index=rows.index)), errors="coerce")
    rows = rows.assign(
        control_line_label=rows["control_line"].map(line_labels).fillna(rows["control_line"]),
        verdict_label=rows["verdict"].map(labels).fillna(rows["verdict"]),
        share_pct=[f"{fmt(100 * s, 1)} %" if pd.notna(s) else "" for s in share],
    )
    colors = styles.verdict_color(rows["verdict"])
    name = styles.get("overlap_layer")
    legend = [
        (swatch({"color": v["color"], "fillColor": v["color"], "fillOpacity": 0.7}), v["label"])
        for k, v in verdicts.items()
    ]
    if is_big(rows.geometry.to_numpy()):
        # Thousands of overlaps (a province's projects): one canvas layer per verdict (a canvas
        # layer has one style), conflicts last, so on top.
        rows = rows.assign(
            **{c: rows[c].round(3) for c in ("overlap_ha", "overlap_mu", "site_ha") if c in rows}
        )
        for verdict in dict.fromkeys(rows["verdict"]):
            sub = rows[rows["verdict"].eq(verdict).to_numpy()]
            color = styles.verdict_color(sub["verdict"].iloc[:1])[0]
            add_big_layer(
                b,
                sub,
                f"{name} — {labels.get(verdict, verdict)} ({len(sub):,})",
                {"color": "#212529", "weight": 1.5, "fillColor": color, "fillOpacity": 0.75},
                fields=BIG_OVERLAP_FIELDS,
                on_top=True,
            )
        b.add_legend(name, legend)
        return
    props = pd.DataFrame(
        {
            POPUP: popups(rows, "name", OVERLAP_FIELDS),
            TOOLTIP: tooltips(
                rows["name"],
                rows["verdict_label"],
                [f"{fmt(v)} ha" for v in pd.to_numeric(rows.get("overlap_ha"), errors="coerce")],
            ),
            STYLE: [{"color": "#212529", "weight": 1.5, "fillColor": c, "fillOpacity": 0.75} for c in colors],
        }
    )
    data = feature_collection(b.display(rows.geometry), props)
    geojson_layer(data, name).add_to(b.m)
    b.add_legend(name, legend)
    if not len(rows):
        b.add_legend(name, [("", "无叠加 no overlap")])


RELOCATION_FIELDS = [
    ("编号 id", "project_id"),
    ("状态 status", "status"),
    ("距离 distance (m)", "distance_m"),
    ("方向 direction", "direction"),
    ("面积 area (ha)", "area_ha"),
    ("说明 note", "note"),
]


def _add_relocations(b: MapBuilder, moved: gpd.GeoDataFrame | None) -> None:
    """The suggested sites for conflicting projects (from the check's ``attrs["relocations"]``)."""
    if moved is None or not len(moved):
        return
    rows = moved[~(moved.geometry.isna() | moved.geometry.is_empty)]
    if not len(rows):
        return
    spec = styles.get("relocation")
    props = pd.DataFrame(
        {
            POPUP: popups(rows, "name", RELOCATION_FIELDS),
            TOOLTIP: tooltips(
                rows["name"], [f"{fmt(d, 0)} m {r}" for d, r in zip(rows["distance_m"], rows["direction"])]
            ),
            STYLE: [spec["style"]] * len(rows),
        }
    )
    geojson_layer(feature_collection(b.display(rows.geometry), props), spec["label"]).add_to(b.m)
    b.add_legend(spec["label"], [(swatch(spec["style"]), spec["label"])])


__all__ = ["compliance_map", "worst_verdict", "REPORT_COLUMNS"]
