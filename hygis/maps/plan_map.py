"""The plan map: the whole plan on one interactive map (``hygis map``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import folium

from hygis.maps import styles
from hygis.maps.base import new_map
from hygis.maps.draw import (
    add_control_line,
    add_counties,
    add_not_located_panel,
    add_precision,
    add_projects,
    add_urban_system,
)
from hygis.maps.raster_layer import raster_layer
from hygis.maps.results import add_catchments, add_qa_overlaps, add_targets_panel
from hygis.plan import layers, resolve
from hygis.plan.inputs import PlanInputs, illustrative_banner


def source_note(inputs: PlanInputs, key: str) -> str | None:
    """ "user file NAME" for a layer the user replaced (said in the layer's name), else None."""
    prov = inputs.provenance.get(key, {})
    if prov.get("status") in ("user-file", "user-data"):
        src = prov.get("source") or ""
        return (
            f"用户数据 user data: {src.replace(chr(92), '/').rsplit('/', 1)[-1]}"
            if src
            else "用户数据 user data"
        )
    return None


def plan_map(
    inputs: PlanInputs | None = None,
    basemap: str = "osm",
    offline: bool = True,
    *,
    title: str | None = None,
    analysis: bool = True,
    rasters: Sequence[str | os.PathLike] = (),
) -> folium.Map:
    """The plan map: 12 county units, the four-tier urban system, the three control lines and the projects.

    Parameters
    ----------
    inputs : PlanInputs, optional
        From :func:`hygis.plan.inputs` (default: the embedded layers). User files given there
        replace the embedded control lines and projects on the map.
    basemap : {'osm', 'gaode', 'tencent', 'tianditu', 'none'}
        Tiles under the data. ``gaode``/``tencent`` are GCJ-02 tiles: the data is shifted to
        match them. ``tianditu`` needs the key in the environment variable ``TIANDITU_KEY``.
        ``none``: no tiles, the county layer is the base (no network needed at all).
    offline : bool
        Inline Leaflet and every other asset into the HTML (tiles are the only network use).
    title : str, optional
        Map title (default from the style table).
    analysis : bool
        Add the analysis layers: county-seat service areas (off until switched on), the
        control-line overlaps found by the QA, and the plan-targets panel.
    rasters : sequence of path
        Classified rasters hygis wrote (``hygis raster constraints``, ``hygis suitability``)
        to overlay, each with its legend.

    Returns
    -------
    folium.Map
        Show it in a notebook, add layers to it, or write it with :func:`hygis.maps.save`.

    Examples
    --------
    >>> import hygis.maps
    >>> m = hygis.maps.plan_map()
    >>> hygis.maps.save(m, "maps/hengyang_plan.html")  # doctest: +SKIP
    """
    inputs = inputs or resolve()
    banner = illustrative_banner(inputs)
    b = new_map(
        title or styles.get("title", "plan"),
        basemap=basemap,
        offline=offline,
        banner=banner,
        subtitle="数据来源见各图层弹窗 · sources in each feature's popup",
    )
    illustrative = set(inputs.illustrative())
    add_counties(b, layers.load("counties"), as_base=b.basemap == "none")
    for key, gdf in inputs.control_lines().items():
        add_control_line(b, key, gdf, illustrative=key in illustrative, source_note=source_note(inputs, key))
    urban = layers.load("urban_system")
    places_missing = add_urban_system(b, urban)
    projects = inputs.projects
    name = styles.get("projects", "layer")
    note = source_note(inputs, "projects")
    missing = add_projects(b, projects, name=f"{name} — {note}" if note else name)
    add_precision(b, [urban, projects])
    add_not_located_panel(b, missing, len(projects), places_missing)
    if analysis:
        from hygis.analysis import qa, urban  # noqa: PLC0415 - analysis routines load only when drawn
        from hygis.plan import targets  # noqa: PLC0415 - analysis routines load only when drawn

        add_catchments(b, urban.seat_catchments())
        add_qa_overlaps(b, qa.control_line_overlaps(inputs))
        add_targets_panel(b, targets.load_targets())
    for path in rasters:
        raster_layer(path, gcj02=b.gcj02).add_to(b.m)
    return b.finish()


__all__ = ["plan_map", "source_note"]
