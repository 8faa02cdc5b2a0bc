"""The plan's layers as map layers: counties, urban system, control lines, projects, precision.

Each ``add_*`` takes a :class:`~hygis.maps.base.MapBuilder` and a GeoDataFrame in WGS 84,
adds one layer (and its legend entry) and returns what it could not draw, so that every
feature is accounted for on the map. Popups and tooltips are built by :mod:`hygis.maps.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis.crs import WGS84, area_crs_for
from hygis.maps import styles
from hygis.maps.base import MapBuilder, circle_swatch, line_swatch, swatch
from hygis.maps.big import STYLE_DEFAULTS, add_big_polygons
from hygis.maps.controls import HtmlControl
from hygis.maps.escape import esc, fmt, popups, tooltips
from hygis.maps.geojson import (
    CIRCLE_POINTS,
    LABEL,
    LABEL_POINTS,
    POPUP,
    RADIUS,
    STYLE,
    SYMBOL,
    SYMBOL_POINTS,
    TOOLTIP,
    feature_collection,
    geojson_layer,
)
from hygis.plan import layers

#: A polygon layer goes to the canvas renderer (hygis.maps.big) above this many features …
BIG_LAYER_FEATURES = 10_000
#: … or above this many vertices, however few its features: as GeoJSON text a vertex costs ~30
#: bytes of HTML and Chromium builds and paints SVG paths at ~1 s per 10^5 vertices (the 7,946 QA
#: overlaps of a 200,704-patch farmland were 11.5 MB, 6 s of the map's first frame).
BIG_LAYER_VERTICES = 100_000
#: At most this many fields in a big layer's tooltip and popup (its attribute table grows with them).
BIG_LAYER_FIELDS = 6
#: Above this many features a polygon layer gets one-line tooltips instead of popup tables.
POPUP_MAX_FEATURES = 1_000
#: County units smaller than this (km²) show only their name when zoomed out.
MINOR_UNIT_KM2 = 500.0


def has_site(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geoms = gdf.geometry.to_numpy()
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def layer_name(base: str, illustrative: bool, note: str | None = None) -> str:
    """A layer's name for the control and legend; illustrative layers say so."""
    name = base + (styles.get("illustrative_suffix") if illustrative else "")
    return f"{name} — {note}" if note else name


# --------------------------------------------------------------------------- counties
COUNTY_FIELDS = [
    ("英文名 English", "name_en"),
    ("代码 code", "code"),
    ("类型 kind", "kind"),
    ("面积 area (km², EPSG:4546)", "area_km2"),
    ("公布面积 published (km²)", "area_published_km2"),
    ("驻地 seat", "seat"),
    ("Seat", "seat_en"),
    ("来源 source", "source"),
]


def add_counties(
    b: MapBuilder, counties: gpd.GeoDataFrame, *, as_base: bool = False, labels: bool = True
) -> None:
    """The 12 county-level units with labels (name, code, area) and popups (all facts).

    Parameters
    ----------
    as_base : bool
        Draw filled, as the base of a map without tiles.
    """
    spec = styles.get("counties")
    style = spec["base_style"] if as_base else spec["style"]
    props = pd.DataFrame(
        {
            POPUP: popups(counties, "name", COUNTY_FIELDS),
            TOOLTIP: tooltips(
                counties.get("name", counties.index),
                counties.get("code", [""] * len(counties)),
                counties.get("seat", [""] * len(counties)),
            ),
        }
    )
    data = feature_collection(b.display(counties.geometry), props)
    geojson_layer(data, spec["layer"], style=style).add_to(b.m)
    b.add_legend(spec["layer"], [(swatch(style), spec["legend"])])
    b.fit(counties)
    if labels:
        area = counties["area_km2"] if "area_km2" in counties else pd.Series(np.nan, index=counties.index)
        # Small units (the urban districts) lose their second line when zoomed out, or labels collide.
        text = [
            f'<span class="{"hy-minor" if pd.notna(a) and a < MINOR_UNIT_KM2 else ""}">{esc(n)}'
            f"<small>{esc(c)}{' · ' + fmt(float(a), 0) + ' km²' if pd.notna(a) else ''}</small></span>"
            for n, c, a in zip(
                counties.get("name", counties.index), counties.get("code", [""] * len(counties)), area
            )
        ]
        points = shapely.point_on_surface(counties.geometry.to_numpy())
        labels_fc = feature_collection(b.display(points), pd.DataFrame({LABEL: text}))
        geojson_layer(labels_fc, spec["label_layer"], point_to_layer=LABEL_POINTS, interactive=False).add_to(
            b.m
        )


# --------------------------------------------------------------------------- urban system
PLACE_FIELDS = [
    ("英文名 English", "name_en"),
    ("等级 tier", "tier_name"),
    ("Tier", "tier_en"),
    ("所在县 county", "county_code"),
    ("融城 merges with city", "merge_with_city"),
    ("定位状态 location", "location_status"),
    ("定位精度 precision (m)", "precision_m"),
    ("坐标系 datum", "datum"),
    ("来源 source", "source"),
    ("说明 note", "note"),
]


def add_urban_system(b: MapBuilder, urban: gpd.GeoDataFrame, *, show: bool = True) -> gpd.GeoDataFrame:
    """The four tiers: tier 1 as an area, tiers 2–4 as distinct symbols (hollow = unconfirmed).

    Returns
    -------
    GeoDataFrame
        The places with no location (listed in the "not located" panel).
    """
    spec = styles.get("urban_system")
    located = has_site(urban)
    drawn = urban[located]
    tiers = (
        pd.to_numeric(drawn.get("tier", pd.Series(3, index=drawn.index)), errors="coerce")
        .fillna(3)
        .astype(int)
    )
    unconfirmed = drawn.get("location_status", pd.Series("", index=drawn.index)).astype(str).eq("unconfirmed")
    geoms = drawn.geometry.to_numpy()
    is_area = np.isin(shapely.get_type_id(geoms), [3, 6])
    symbols: list[str | None] = []
    sizes: list[float | None] = []
    styles_: list[dict[str, Any] | None] = []
    for tier, hollow, area in zip(tiers, unconfirmed, is_area):
        t = spec["tiers"].get(str(tier), spec["tiers"]["3"])
        styles_.append(t["style"] if area and "style" in t else None)
        if area:
            symbols.append(None)
            sizes.append(None)
        else:
            sym = t.get("symbol", "circle")
            size = t.get("size", 12)
            symbols.append(
                styles.symbol_svg(
                    sym, size, t.get("color", "#333"), spec["unconfirmed_fill"] if hollow else None
                )
            )
            sizes.append(size)
    props = pd.DataFrame(
        {
            POPUP: popups(drawn, "name", PLACE_FIELDS),
            TOOLTIP: tooltips(drawn.get("name", drawn.index), drawn.get("tier_name", [""] * len(drawn))),
            SYMBOL: symbols,
            RADIUS: sizes,
            STYLE: styles_,
        }
    )
    # Areas first so that the symbols of seats inside them stay clickable.
    order = np.argsort(~is_area, kind="stable")
    data = feature_collection(b.display(geoms[order]), props.iloc[order])
    geojson_layer(data, spec["layer"], point_to_layer=SYMBOL_POINTS, show=show).add_to(b.m)
    rows = []
    for key, t in spec["tiers"].items():
        sym = (
            swatch(t["style"])
            if t["kind"] == "area"
            else f'<span class="sym">{styles.symbol_svg(t["symbol"], t["size"], t["color"])}</span>'
        )
        rows.append((sym, t["label"]))
    unconfirmed = styles.symbol_svg("square", 12, "#2c3e50", spec["unconfirmed_fill"])
    rows.append((f'<span class="sym">{unconfirmed}</span>', spec["unconfirmed_legend"]))
    b.add_legend(spec["layer"], rows)
    return urban[~located]


# --------------------------------------------------------------------------- control lines
CONTROL_FIELDS = {
    "ecological_redline": [
        ("编号 id", "redline_id"),
        ("类型 kind", "kind"),
        ("面积 area (ha)", "area_ha"),
        ("状态 status", "status"),
        ("来源 source", "source"),
    ],
    "permanent_farmland": [
        ("图斑 patch", "patch_id"),
        ("所在县 county", "county_code"),
        ("面积 area (ha)", "area_ha"),
        ("状态 status", "status"),
    ],
    "urban_development_boundary": [
        ("编号 id", "udb_id"),
        ("类型 kind", "kind"),
        ("所在县 county", "county_code"),
        ("面积 area (ha)", "area_ha"),
        ("状态 status", "status"),
    ],
}


def _generic_fields(
    gdf: gpd.GeoDataFrame, known: Sequence[tuple[str, str]], n: int = 6
) -> list[tuple[str, str]]:
    """The known fields if the frame has them, else its first ``n`` attribute columns (a user's file)."""
    present = [(label, col) for label, col in known if col in gdf.columns]
    if present:
        return present
    cols = [c for c in gdf.columns if c != gdf.geometry.name][:n]
    return [(str(c), c) for c in cols]


def is_big(geometries: Any) -> bool:
    """Whether a layer of these geometries is drawn by the canvas renderer (:mod:`hygis.maps.big`).

    The one rule for every map: more than :data:`BIG_LAYER_FEATURES` features or more than
    :data:`BIG_LAYER_VERTICES` vertices.

    Examples
    --------
    >>> import shapely
    >>> is_big([shapely.box(0, 0, 1, 1)] * 10)
    False
    >>> is_big([shapely.segmentize(shapely.box(0, 0, 1, 1), 1 / 30_000)])  # one polygon, 120,001 vertices
    True
    """
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) > BIG_LAYER_FEATURES:
        return True
    return int(shapely.get_num_coordinates(geoms).sum()) > BIG_LAYER_VERTICES


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Collections as their polygon parts: an overlap may hold slivers of line or point beside its area."""
    mixed = shapely.get_type_id(geoms) == 7  # other kinds reach big.py, which names them in its message
    if not mixed.any():
        return geoms
    parts, owner = shapely.get_parts(geoms[mixed], return_index=True)
    keep = np.isin(shapely.get_type_id(parts), [3, 6])
    parts, sub = shapely.get_parts(parts[keep], return_index=True)  # a MultiPolygon part: its polygons
    owner = owner[keep][sub]
    fixed = np.full(int(mixed.sum()), None, dtype=object)
    if len(parts):
        found, dense = np.unique(owner, return_inverse=True)
        fixed[found] = shapely.multipolygons(parts, indices=dense)
    out = geoms.copy()
    out[mixed] = fixed
    return out


def add_big_layer(
    b: MapBuilder,
    gdf: gpd.GeoDataFrame,
    name: str,
    style: dict[str, Any],
    *,
    fields: Sequence[tuple[str, str]] = (),
    show: bool = True,
    on_top: bool = False,
) -> int:
    """A polygon layer on the canvas renderer, its tooltip and popup the labelled ``fields``.

    Parameters
    ----------
    style : dict
        Leaflet path options; those a canvas layer has no use for (``dashArray`` …) are left out.
    fields : sequence of (label, column)
        The first :data:`BIG_LAYER_FIELDS` present are shown, as text, under their labels.
    on_top : bool
        Above the vector layers (results: overlaps, changes), not beneath them (base layers).

    Returns
    -------
    int
        Features drawn (polygonal parts; a feature with none is left out).
    """
    gdf = gdf[has_site(gdf)]
    geoms = _polygonal(b.display(gdf.geometry.to_crs(WGS84)) if b.gcj02 else gdf.geometry.to_numpy())
    gdf = gpd.GeoDataFrame(
        gdf.drop(columns=gdf.geometry.name), geometry=geoms, crs=WGS84 if b.gcj02 else gdf.crs
    )
    gdf = gdf[has_site(gdf)]
    if not len(gdf):
        return 0
    present = [(label, col) for label, col in fields if col in gdf.columns][:BIG_LAYER_FIELDS]
    canvas_style = {k: v for k, v in style.items() if k in STYLE_DEFAULTS}
    # big.py escapes the name for the layer control itself (and shows it as text in popups).
    add_big_polygons(
        b.m,
        gdf,
        name,
        canvas_style,
        tooltip_fields=[col for _, col in present] or None,
        show=show,
        field_labels={col: label for label, col in present},
        above_vectors=on_top,
    )
    return len(gdf)


def add_polygons(
    b: MapBuilder,
    gdf: gpd.GeoDataFrame,
    name: str,
    style: dict[str, Any],
    *,
    fields: Sequence[tuple[str, str]] = (),
    title_field: str | None = "name",
    show: bool = True,
    on_top: bool = False,
) -> str:
    """A polygon layer; past the big-layer rule (:func:`is_big`), the canvas renderer.

    Parameters
    ----------
    on_top : bool
        Drawn big, above the vector layers (see :func:`add_big_layer`).

    Returns
    -------
    str
        How the layer was drawn: ``"geojson"`` or ``"big"``.
    """
    gdf = gdf[has_site(gdf)]
    if is_big(gdf.geometry.to_numpy()):
        add_big_layer(b, gdf, name, style, fields=fields, show=show, on_top=on_top)
        return "big"
    display = gdf.set_geometry(b.display(gdf.geometry), crs=WGS84) if b.gcj02 else gdf
    fields = [(label, col) for label, col in fields if col in gdf.columns]
    title = title_field if title_field and title_field in gdf.columns else None
    if len(gdf) > POPUP_MAX_FEATURES:
        # Thousands of patches: a one-line tooltip of the same fields, a third of the bytes of a popup table.
        labelled = [
            [f"{label}: {v}" if pd.notna(v) and str(v) != "" else "" for v in gdf[c]] for label, c in fields
        ]
        props = pd.DataFrame({TOOLTIP: tooltips(*(labelled or [[name] * len(gdf)]))})
    else:
        props = pd.DataFrame(
            {
                POPUP: popups(gdf, title if title else [name] * len(gdf), fields),
                TOOLTIP: tooltips([name] * len(gdf), *(gdf[c] for _, c in fields[:1])),
            }
        )
    data = feature_collection(display.geometry.to_numpy(), props)
    geojson_layer(data, name, style=style, show=show).add_to(b.m)
    return "geojson"


def add_control_line(
    b: MapBuilder,
    key: str,
    gdf: gpd.GeoDataFrame,
    *,
    illustrative: bool,
    show: bool = True,
    source_note: str | None = None,
) -> str:
    """One of the three control lines in its conventional style; illustrative ones say so."""
    spec = styles.get("control_lines", key)
    name = layer_name(spec["layer"], illustrative, source_note)
    how = add_polygons(
        b, gdf, name, spec["style"], fields=_generic_fields(gdf, CONTROL_FIELDS[key]), show=show
    )
    b.add_legend(
        name,
        [
            (
                swatch(spec["style"]),
                spec["legend"] + (styles.get("illustrative_suffix") if illustrative else ""),
            )
        ],
    )
    return how


# --------------------------------------------------------------------------- projects
PROJECT_FIELDS = [
    ("英文名 English", "name_en"),
    ("编号 id", "project_id"),
    ("类别 group", "group"),
    ("Group", "group_en"),
    ("总投资 investment (亿元)", "investment_yi"),
    ("所在县 county", "county_code"),
    ("定位精度 location precision", "location_precision"),
    ("精度 precision (m)", "precision_m"),
    ("几何 geometry", "geometry_note"),
    ("规划原文 plan text", "plan_text"),
    ("说明 note", "note"),
    ("来源 source", "source"),
]
_PROJECT_LABELS = {col: label for label, col in PROJECT_FIELDS}
#: A project's tooltip and popup on a big layer: who, what, how much, where (at most BIG_LAYER_FIELDS).
BIG_PROJECT_FIELDS = [
    (_PROJECT_LABELS["project_id"], "project_id"),
    ("名称 name", "name"),
    (_PROJECT_LABELS["group"], "group"),
    (_PROJECT_LABELS["investment_yi"], "investment_yi"),
    (_PROJECT_LABELS["county_code"], "county_code"),
    (_PROJECT_LABELS["location_precision"], "location_precision"),
]


def add_projects(
    b: MapBuilder,
    projects: gpd.GeoDataFrame,
    *,
    name: str | None = None,
    vmax: float | None = None,
    show: bool = True,
) -> gpd.GeoDataFrame:
    """Projects coloured by group and sized by investment (area of circles, width of lines).

    Each located project is drawn as its geometry in the group's colour plus a circle at a
    point on it whose area is proportional to the investment, so points, lines and areas
    compare on one scale. Past the big-layer rule (:func:`is_big`, a user's file of 10^4+
    projects) the areas go to the canvas renderer, one layer per group colour, and the points
    and lines to light canvas symbols (see :func:`_add_many_projects`).

    Returns
    -------
    GeoDataFrame
        The projects with no geometry (for the "not located" panel).
    """
    spec = styles.get("projects")
    located = has_site(projects)
    drawn = projects[located]
    name = name or spec["layer"]
    invest = pd.to_numeric(drawn.get("investment_yi", pd.Series(np.nan, index=drawn.index)), errors="coerce")
    if vmax is None:
        all_inv = pd.to_numeric(projects.get("investment_yi", pd.Series(dtype=float)), errors="coerce")
        vmax = float(all_inv.max()) if all_inv.notna().any() else None
    colors = styles.group_color(drawn.get("group", pd.Series("", index=drawn.index)).fillna(""))
    radius = styles.scaled(invest, spec["radius_px"]["min"], spec["radius_px"]["max"], vmax)
    weight = styles.scaled(invest, spec["line_weight_px"]["min"], spec["line_weight_px"]["max"], vmax)
    geoms = drawn.geometry.to_numpy()
    types = shapely.get_type_id(geoms)
    is_line = np.isin(types, [1, 2, 5])
    # A schematic or approximate site is drawn dashed, so no one reads it as a surveyed 用地红线.
    approx_spec = spec["approximate"]
    approx = layers.approximate(drawn)
    if is_big(geoms):
        drawn_kinds = _add_many_projects(b, drawn, name, colors, approx, radius, weight, show=show)
    else:
        dash = [{"dashArray": approx_spec["dashArray"]} if a else {} for a in approx]
        area, circle = spec["area_style"], spec["circle_style"]
        shape_style = [
            {
                "color": c,
                "weight": float(w) if line else area["weight"],
                "fillColor": c,
                "fillOpacity": area["fillOpacity"],
                "opacity": area["opacity"],
                **d,
            }
            for c, w, line, d in zip(colors, weight, is_line, dash)
        ]
        point_style = [
            {
                "color": c,
                "weight": circle["weight"],
                "fillColor": c,
                "fillOpacity": circle["fillOpacity"],
                **d,
            }
            for c, d in zip(colors, dash)
        ]
        title = [
            f"{p} {n}".strip()
            for p, n in zip(drawn.get("project_id", [""] * len(drawn)), drawn.get("name", [""] * len(drawn)))
        ]
        pop = popups(drawn, title, PROJECT_FIELDS)
        tip = tooltips(
            drawn.get("name", drawn.index), [f"{fmt(v)} 亿元" if pd.notna(v) else "" for v in invest]
        )
        # Shapes (lines, polygons; points are only circles), then the proportional circles on top.
        shapes = ~np.isin(types, [0, 4])
        frames = [
            pd.DataFrame({POPUP: pop, TOOLTIP: tip, STYLE: shape_style, RADIUS: radius})[shapes],
            pd.DataFrame({POPUP: pop, TOOLTIP: tip, STYLE: point_style, RADIUS: radius}),
        ]
        all_geoms = np.concatenate([geoms[shapes], shapely.point_on_surface(geoms)])
        data = feature_collection(b.display(all_geoms), pd.concat(frames, ignore_index=True))
        geojson_layer(data, name, point_to_layer=CIRCLE_POINTS, show=show).add_to(b.m)
        drawn_kinds = {"circles": True, "lines": True, "dashed": bool(approx.any()), "outlined": False}
    groups_present = list(dict.fromkeys(projects.get("group", pd.Series(dtype=str)).dropna().astype(str)))
    rows = []
    for g in groups_present:
        color = styles.group_color([g])[0]
        en = spec["groups"].get(g, {}).get("en", "")
        rows.append((circle_swatch(color, 6), f"{g} {en}".strip()))
    if vmax:
        for v in spec["size_legend_yi"] if drawn_kinds["circles"] else ():
            if v <= vmax:
                r = float(styles.scaled([v], spec["radius_px"]["min"], spec["radius_px"]["max"], vmax)[0])
                rows.append((circle_swatch("#868e96", r, 0.25), f"{v} 亿元 investment"))
        if drawn_kinds["lines"]:
            rows.append(
                (line_swatch("#868e96", spec["line_weight_px"]["max"]), "线宽 ∝ 投资 line width ∝ investment")
            )
    if drawn_kinds["outlined"]:
        outline = {"color": "#495057", "weight": 2, "fillOpacity": 0}
        rows.append((swatch(outline), approx_spec["canvas_label"]))
    if drawn_kinds["dashed"]:
        rows.append(
            (
                swatch(
                    {"color": "#495057", "weight": 2, "dashArray": approx_spec["dashArray"], "fillOpacity": 0}
                ),
                approx_spec["label"],
            )
        )
    if drawn_kinds.get("big"):
        rows.append(("", spec["big_note"]))
    b.add_legend(f"{name} ({int(located.sum())}/{len(projects)} 已定位 located)", rows)
    return projects[~located]


def _add_many_projects(
    b: MapBuilder,
    drawn: gpd.GeoDataFrame,
    name: str,
    colors: np.ndarray,
    approx: np.ndarray,
    radius: np.ndarray,
    weight: np.ndarray,
    *,
    show: bool,
) -> dict[str, bool]:
    """Projects past the big-layer rule: areas on the canvas renderer, points and lines on one canvas.

    Areas go to :func:`add_big_layer`, one layer per group colour (a canvas layer has one
    style; unknown groups share the "other" colour, so there are at most a handful), with the
    approximate ones apart, drawn as outlines (a canvas layer draws no dashes). Their size is
    not drawn as a second circle: the investment is in the tooltip and popup.

    Points and lines keep their symbols (colour = group, circle area or line width ∝
    investment) but as :func:`add_light_symbols`: a one-line tooltip instead of a popup table,
    no second circle on a line, all on the map's one canvas.

    Parameters
    ----------
    colors, approx, radius, weight : numpy.ndarray
        Each project's group colour, whether its site is approximate, its circle's radius and
        its line's width (px), as on the small map.

    Returns
    -------
    dict
        Which symbols were drawn, for the legend.
    """
    spec = styles.get("projects")
    geoms = drawn.geometry.to_numpy()
    types = shapely.get_type_id(geoms)
    areas = np.isin(types, [3, 6])
    labels = {g["color"]: f"{k} {g.get('en', '')}".strip() for k, g in spec["groups"].items()}
    rank = {c: i for i, c in enumerate(labels)}  # the style table's order of groups, "other" last
    kinds = sorted(set(zip(colors[areas], approx[areas])), key=lambda k: (rank.get(k[0], len(rank)), k[1]))
    for color, ap in kinds:
        sub = drawn[areas & (colors == color) & (approx == ap)]
        style = {"color": color, "fillColor": color, **spec["area_style"]}
        if ap:
            style["fillOpacity"] = spec["approximate"]["canvas_fill_opacity"]
        kind = labels.get(color, spec["other_label"]) + (spec["approximate"]["layer_suffix"] if ap else "")
        add_big_layer(
            b,
            sub,
            f"{name} — {kind} ({len(sub):,})",
            style,
            fields=BIG_PROJECT_FIELDS,
            show=show,
            on_top=True,
        )
    rest = ~areas
    is_line = np.isin(types, [1, 2, 5])
    if rest.any():
        sub = drawn[rest]
        invest = pd.to_numeric(sub.get("investment_yi", pd.Series(np.nan, index=sub.index)), errors="coerce")
        dash = spec["approximate"]["dashArray"]
        # Per feature only what differs from the circle's base style (a byte saved is 10^4 saved).
        sym_style = [
            {
                "color": c,
                **({"weight": round(float(w), 1), "opacity": spec["area_style"]["opacity"]} if line else {}),
            }
            | ({"dashArray": dash} if a else {})
            for c, w, line, a in zip(colors[rest], weight[rest], is_line[rest], approx[rest])
        ]
        tip = tooltips(
            sub.get("project_id", [""] * len(sub)),
            sub.get("name", [""] * len(sub)),
            sub.get("group", [""] * len(sub)),
            [f"{fmt(v)} 亿元" if pd.notna(v) else "" for v in invest],
        )
        add_light_symbols(
            b,
            geoms[rest],
            name,
            tip,
            sym_style,
            spec["circle_style"],
            radius=radius[rest],
            beside_areas=bool(areas.any()),
            show=show,
        )
    return {
        "big": True,
        "circles": bool((rest & ~is_line).any()),
        "lines": bool(is_line.any()),
        "dashed": bool((approx & rest).any()),
        "outlined": bool((approx & areas).any()),
    }


def add_light_symbols(
    b: MapBuilder,
    geoms: np.ndarray,
    name: str,
    tooltip: Sequence[str],
    style: Sequence[dict[str, Any]],
    base_style: dict[str, Any],
    *,
    radius: np.ndarray | None = None,
    beside_areas: bool = False,
    show: bool = True,
) -> None:
    """Points and lines past the big-layer rule: the lightest vector layer there is, on one canvas.

    One GeoJSON layer drawn on the map's single canvas (``prefer_canvas``) rather than as one
    SVG element a feature, each feature with a one-line tooltip (no popup table) and only the
    style that differs from ``base_style``; lines first, so the circles stay on top and
    clickable. Marker clustering would hide the sizes and colours a legend promises and is no
    asset of the offline maps; the canvas renderer (:func:`add_big_layer`) draws polygons only,
    and a buffered point would change size with the zoom.

    Parameters
    ----------
    geoms : numpy.ndarray
        Points and lines (shapely, the map's CRS before :meth:`MapBuilder.display`).
    name : str
        The layer's name; with ``beside_areas`` it says these are the points and lines of it.
    tooltip : sequence of str
        Each feature's escaped one-line tooltip (:func:`hygis.maps.escape.tooltips`).
    style : sequence of dict
        Each feature's Leaflet path options that differ from ``base_style`` (its colour …).
    base_style : dict
        What every feature shares; a ``radius`` (px) here sizes every circle at once.
    radius : numpy.ndarray, optional
        Each circle's radius (px), rounded to 0.1 px.
    """
    # One canvas for the vector layers: 10^4 circles as SVG elements are what hung the browser.
    b.m.options["prefer_canvas"] = True
    props = pd.DataFrame({TOOLTIP: tooltip, STYLE: style})
    if radius is not None:
        props[RADIUS] = np.round(radius, 1)
    is_line = np.isin(shapely.get_type_id(geoms), [1, 2, 5])
    order = np.argsort(~is_line, kind="stable")  # lines first, circles on top
    data = feature_collection(b.display(geoms[order]), props.iloc[order])
    layer = f"{name} — 点、线 points & lines ({len(geoms):,})" if beside_areas else name
    geojson_layer(data, layer, style=base_style, point_to_layer=CIRCLE_POINTS, show=show).add_to(b.m)


# --------------------------------------------------------------------------- precision
def add_precision(b: MapBuilder, frames: Sequence[gpd.GeoDataFrame], *, show: bool = False) -> int:
    """Each located feature's uncertainty: its geometry buffered by ``precision_m`` metres.

    Buffers are computed in the CGCS2000 Gauss–Krüger CRS of :func:`hygis.crs.area_crs_for`,
    so a 2,000 m precision is a true 2 km circle (or corridor, for a schematic line).

    Returns
    -------
    int
        Number of features drawn.
    """
    spec = styles.get("precision")
    parts = []
    for gdf in frames:
        if "precision_m" not in gdf.columns:
            continue
        prec = pd.to_numeric(gdf["precision_m"], errors="coerce")
        keep = has_site(gdf) & prec.gt(0).to_numpy()
        if keep.any():
            sub = gdf[keep]
            parts.append(
                gpd.GeoDataFrame(
                    {"name": sub.get("name", sub.index).astype(str), "precision_m": prec[keep]},
                    geometry=sub.geometry,
                    crs=gdf.crs,
                )
            )
    if not parts:
        return 0
    frame = pd.concat(parts, ignore_index=True)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=parts[0].crs)
    metric = frame.to_crs(area_crs_for(frame))
    zones = metric.geometry.buffer(metric["precision_m"].to_numpy(), quad_segs=16).to_crs(WGS84)
    if is_big(zones.to_numpy()):
        frame = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=zones.to_numpy(), crs=WGS84)
        fields = [("名称 name", "name"), ("精度 precision (m)", "precision_m")]
        add_big_layer(b, frame, spec["layer"], spec["style"], fields=fields, show=show)
        b.add_legend(spec["layer"], [(swatch(spec["style"]), spec["legend"])])
        return len(frame)
    props = pd.DataFrame(
        {TOOLTIP: tooltips(frame["name"], [f"± {fmt(float(p), 0)} m" for p in frame["precision_m"]])}
    )
    data = feature_collection(b.display(zones), props)
    geojson_layer(data, spec["layer"], style=spec["style"], show=show).add_to(b.m)
    b.add_legend(spec["layer"], [(swatch(spec["style"]), spec["legend"])])
    return len(frame)


# --------------------------------------------------------------------------- not located
def add_not_located_panel(
    b: MapBuilder,
    projects: gpd.GeoDataFrame,
    total: int,
    places: gpd.GeoDataFrame | None = None,
    *,
    extra: str | None = None,
) -> None:
    """A panel listing every project (and place) that has no location, with the reason.

    Parameters
    ----------
    projects : GeoDataFrame
        The projects not drawn.
    total : int
        All projects, so that "located + not located = total" reads off the map.
    """
    title = styles.get("projects", "not_located_title")
    reason_col = "geometry_note" if "geometry_note" in projects.columns else None
    items = []
    for _, row in projects.iterrows():
        pid = esc(row.get("project_id", ""))
        nm = esc(row.get("name", ""))
        reason = esc(row.get(reason_col, "")) if reason_col else ""
        items.append(f"<li><b>{pid}</b> {nm}{' — ' + reason if reason else ''}</li>")
    n = len(projects)
    parts = [
        f'<details class="hy-list"><summary><b>{esc(title)}: {n} / {total}</b> '
        f"{esc(f'(已定位 located: {total - n})')}</summary>"
    ]
    if extra:
        parts.append(f"<div>{esc(extra)}</div>")
    parts.append(f"<ul>{''.join(items)}</ul>" if items else "<div>—</div>")
    if places is not None and len(places):
        plist = "".join(
            f"<li>{esc(r.get('name', ''))} — {esc(r.get('tier_name', ''))}</li>" for _, r in places.iterrows()
        )
        parts.append(f"<b>{esc('未定位地点 Places not located')}: {len(places)}</b><ul>{plist}</ul>")
    parts.append("</details>")
    HtmlControl("".join(parts), position="bottomleft", css_class="hy-panel hy-notlocated").add_to(b.m)


__all__ = [
    "BIG_LAYER_FEATURES",
    "BIG_LAYER_VERTICES",
    "is_big",
    "add_big_layer",
    "add_counties",
    "add_urban_system",
    "add_polygons",
    "add_control_line",
    "add_projects",
    "add_precision",
    "add_not_located_panel",
    "layer_name",
]
