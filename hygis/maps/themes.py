"""Thematic maps of the plan's chapters, and a county choropleth (e.g. investment by county)."""

from __future__ import annotations

import dataclasses

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis.constants import MAP_THEMES
from hygis.errors import HygisInputError
from hygis.maps import styles
from hygis.maps.base import new_map, swatch
from hygis.maps.draw import (
    add_control_line,
    add_counties,
    add_not_located_panel,
    add_precision,
    add_projects,
    add_urban_system,
)
from hygis.maps.escape import esc, fmt, popups, tooltips
from hygis.maps.geojson import LABEL, LABEL_POINTS, POPUP, STYLE, TOOLTIP, feature_collection, geojson_layer
from hygis.maps.plan_map import source_note
from hygis.plan import layers, resolve
from hygis.plan.inputs import PlanInputs, illustrative_banner

#: Theme names for ``hygis map --theme``: the chapters of the style table, and the investment choropleth.
THEMES = MAP_THEMES


def theme_map(
    theme: str,
    inputs: PlanInputs | None = None,
    basemap: str = "osm",
    offline: bool = True,
) -> folium.Map:
    """One chapter of the plan: its projects over the layers that chapter is about.

    Parameters
    ----------
    theme : str
        ``industry``, ``transport``, ``culture-tourism`` or ``ecology`` (the ``themes`` of
        ``data/map_styles.json``: project groups and layers), or ``investment`` (county
        choropleth of investment, :func:`hygis.counties.investment_by_county`).
    inputs, basemap, offline
        As for :func:`hygis.maps.plan_map`.
    """
    table = styles.get("themes")
    inputs = inputs or resolve()
    if theme == "investment":
        try:
            from hygis.analysis.counties import investment_by_county  # noqa: PLC0415 - the statistics module
        except ImportError as exc:
            msg = (
                "The investment map needs hygis.counties (investment by county), "
                "which this install lacks: update hygis."
            )
            raise HygisInputError(msg) from exc

        values = investment_by_county(inputs.projects, layers.load("counties"))
        frame = values.rename(columns={"investment_yi": "value"}).assign(
            title="重点项目投资 Key-project investment by county", unit="亿元"
        )
        unallocated, total = values.attrs.get("unallocated_yi", 0.0), values.attrs.get("total_yi", np.nan)
        approx = (
            float(values["investment_approximate_yi"].sum()) if "investment_approximate_yi" in values else 0.0
        )
        notes = []
        if unallocated:
            notes.append(
                f"未分配 Unallocated: {fmt(unallocated)} of {fmt(total)} 亿元 — "
                "projects with neither a located site nor a listed county are not in any county's figure."
            )
        if approx:
            notes.append(
                f"示意 Indicative: {fmt(approx)} 亿元 is split by schematic or approximate sites (±km); "
                "those county figures are indicative."
            )
        note = " ".join(notes) or None
        return county_choropleth(frame, basemap=basemap, offline=offline, banner=note)
    if theme not in table:
        msg = f"Unknown theme '{theme}'. Choose one of: {', '.join(THEMES)}."
        raise HygisInputError(msg)
    spec = table[theme]
    wanted = set(spec["layers"])
    illustrative = [n for n in inputs.illustrative() if n in wanted]
    # The banner names only the illustrative layers this theme shows.
    shown = dataclasses.replace(
        inputs, provenance={k: v for k, v in inputs.provenance.items() if k in wanted}
    )
    banner = illustrative_banner(shown)
    b = new_map(
        f"{spec['title']} · {styles.get('title', 'plan').split(' · ')[0]}",
        basemap=basemap,
        offline=offline,
        banner=banner,
    )
    add_counties(b, layers.load("counties"), as_base=b.basemap == "none")
    for key, gdf in inputs.control_lines().items():
        if key in wanted:
            add_control_line(
                b, key, gdf, illustrative=key in illustrative, source_note=source_note(inputs, key)
            )
    urban = layers.load("urban_system")
    if "urban_system" in wanted:
        add_urban_system(b, urban)
    projects = inputs.projects
    groups = spec["groups"]
    if "group" in projects.columns:
        chosen = projects[projects["group"].isin(groups)]
    else:
        chosen = projects
    all_inv = pd.to_numeric(projects.get("investment_yi", pd.Series(dtype=float)), errors="coerce")
    note = source_note(inputs, "projects")
    missing = add_projects(
        b,
        chosen,
        name=f"{styles.get('projects', 'layer')} · {' / '.join(groups)}" + (f" — {note}" if note else ""),
        vmax=float(all_inv.max()) if all_inv.notna().any() else None,
    )
    add_precision(b, [chosen] + ([urban] if "urban_system" in wanted else []))
    add_not_located_panel(b, missing, len(chosen))
    return b.finish()


def classify(values: np.ndarray, k: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Class of each value (−1 = no data) and each class's (low, high).

    With at most ``k`` distinct values each value is its own class; otherwise ``k`` classes
    at the quantiles of the distinct values (so a few large values do not wash the map out).
    """
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    distinct = np.unique(v[finite])
    cls = np.full(v.shape, -1, dtype=int)
    if distinct.size == 0:
        return cls, []
    if distinct.size <= k:
        cls[finite] = np.searchsorted(distinct, v[finite])
        return cls, [(float(x), float(x)) for x in distinct]
    edges = np.unique(np.quantile(distinct, np.linspace(0, 1, k + 1)))
    n = len(edges) - 1
    cls[finite] = np.clip(np.searchsorted(edges, v[finite], side="right") - 1, 0, n - 1)
    return cls, [(float(edges[i]), float(edges[i + 1])) for i in range(n)]


def county_choropleth(
    values: pd.DataFrame,
    value_col: str = "value",
    *,
    title: str | None = None,
    unit: str | None = None,
    counties: gpd.GeoDataFrame | None = None,
    basemap: str = "osm",
    offline: bool = True,
    banner: str | None = None,
) -> folium.Map:
    """A value per county unit, in classes (quantiles of the distinct values).

    Parameters
    ----------
    values : DataFrame
        Column ``code`` (the 6-digit county code) and ``value_col``; optional ``title`` and
        ``unit`` columns (their first value titles the map, unless given as arguments), e.g.
        the frame of :func:`hygis.counties.investment_by_county` with ``value_col="investment_yi"``.
    counties : GeoDataFrame, optional
        Default: the embedded 12 county units.
    banner : str, optional
        A warning shown on the map (e.g. when the values come from illustrative data).

    Raises
    ------
    HygisInputError
        If a code matches no county, or the columns are missing.
    """
    for col in ("code", value_col):
        if col not in values.columns:
            msg = (
                f"The values table needs the columns 'code' and '{value_col}'; "
                f"it has: {', '.join(map(str, values.columns))}."
            )
            raise HygisInputError(msg)
    counties = counties if counties is not None else layers.load("counties")
    title = title or (
        str(values["title"].iloc[0])
        if "title" in values and len(values)
        else styles.get("title", "choropleth")
    )
    unit = (
        unit
        if unit is not None
        else (str(values["unit"].iloc[0]) if "unit" in values and len(values) else "")
    )
    vals = values.assign(code=values["code"].astype(str).str.strip())
    unknown = sorted(set(vals["code"]) - set(counties["code"].astype(str)))
    if unknown:
        msg = (
            f"County code(s) {', '.join(unknown[:10])} in the values table match no county unit; "
            "use the 6-digit codes of the counties layer."
        )
        raise HygisInputError(msg)
    per = vals.groupby("code")[value_col].sum(min_count=1)
    frame = counties.assign(code=counties["code"].astype(str))
    frame["value"] = pd.to_numeric(frame["code"].map(per), errors="coerce")
    spec = styles.get("choropleth")
    palette = spec["colors"]
    v = frame["value"].to_numpy(dtype=float)
    cls, ranges = classify(v, len(palette))
    n_classes = max(len(ranges), 1)
    colors = palette[-n_classes:]
    fill = np.where(cls >= 0, np.array(colors, dtype=object)[np.maximum(cls, 0)], spec["no_data"])
    b = new_map(title, basemap=basemap, offline=offline, banner=banner)
    label = f"{title} ({unit})" if unit else title
    frame["value_text"] = [f"{fmt(x)} {unit}".strip() if np.isfinite(x) else "无数据 no data" for x in v]
    props = pd.DataFrame(
        {
            POPUP: popups(
                frame, "name", [("代码 code", "code"), ("英文名 English", "name_en"), (label, "value_text")]
            ),
            TOOLTIP: tooltips(frame["name"], frame["value_text"]),
            STYLE: [{**spec["style"], "fillColor": c} for c in fill],
        }
    )
    geojson_layer(feature_collection(b.display(frame.geometry), props), label).add_to(b.m)
    rows = []
    for color, (lo, hi) in zip(colors, ranges):
        text = f"{fmt(lo)} – {fmt(hi)} {unit}" if lo != hi else f"{fmt(lo)} {unit}"
        rows.append((swatch({**spec["style"], "fillColor": color}), text.strip()))
    if not np.isfinite(v).all():
        rows.append((swatch({**spec["style"], "fillColor": spec["no_data"]}), "无数据 no data"))
    b.add_legend(label, rows)
    b.fit(frame)
    add_counties_labels_only(b, frame)
    return b.finish()


def add_counties_labels_only(b, frame: gpd.GeoDataFrame) -> None:
    """County names over a choropleth (the outlines are the choropleth's own)."""

    text = [f"{esc(n)}<small>{esc(t)}</small>" for n, t in zip(frame["name"], frame["value_text"])]
    pts = shapely.point_on_surface(frame.geometry.to_numpy())
    data = feature_collection(b.display(pts), pd.DataFrame({LABEL: text}))
    geojson_layer(
        data, styles.get("counties", "label_layer"), point_to_layer=LABEL_POINTS, interactive=False
    ).add_to(b.m)


__all__ = ["THEMES", "theme_map", "county_choropleth", "classify"]
