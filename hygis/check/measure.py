"""Measuring the sites against one control line through the overlap engine.

Overlap = area(site ∩ union of the line's features): features of one layer that overlap each
other count once, touching edges and holes give nothing (:mod:`hygis.engine.overlap`). Point
projects without a footprint are tested by containment instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np

from hygis.check.sites import Sites
from hygis.constants import ENGINES
from hygis.engine.distributed import overlap_dask
from hygis.engine.overlap import Pairs, SiteCache, disjoint_layer, overlap, overlap_layers
from hygis.geometry import project
from hygis.io.fields import survey_attributes
from hygis.messages import warn


@dataclass
class LineOverlap:
    """What the engine measured of every site against one control line.

    Attributes
    ----------
    line : str
        The control line's name.
    inside_m2 : ndarray of float
        Area of each site inside the line (m²): ellipsoidal, or planar in the sites' area CRS (as
        the sites' own areas, :attr:`hygis.check.sites.Sites.area_scale`).
    inside_geom : list
        The overlap polygon of each site (None where not built or empty).
    point_inside : ndarray of object
        For point projects checked by containment: whether the point lies in the line; None otherwise.
    pairs : (site, feature, m²) or None
        When asked for: the area of every (site, feature) overlap (the 用地预审 figures itemise them).
    source_row : ndarray of int or None
        With ``pairs``: each feature's row in the line's layer (−1 for merged overlapping features).
    attributes : dict
        With ``pairs``: the layer's survey attributes per row (:func:`hygis.io.fields.survey_attributes`).
    """

    line: str
    inside_m2: np.ndarray
    inside_geom: list[Any]
    point_inside: np.ndarray
    pairs: Pairs | None = None
    source_row: np.ndarray | None = None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)


def measure_line(
    sites: Sites,
    line: str,
    layer: gpd.GeoDataFrame,
    notes: list[str],
    *,
    engine: str = "local",
    workers: int | None = None,
    client: Any = None,
    geometry: bool = True,
    pairs: bool = False,
    cache: SiteCache | None = None,
    progress: Callable[[str], None] | None = None,
) -> LineOverlap:
    """Step 2 of the check: the overlap of every site with one control line.

    Parameters
    ----------
    sites : Sites
        From :func:`hygis.check.sites.project_sites`.
    line : str
        The control line's name (for messages).
    layer : GeoDataFrame or LayerIndex
        The line's polygons, in any CRS (projected to the sites' area CRS here), or already
        prepared in the sites' area CRS (:class:`hygis.engine.index.LayerIndex`, e.g. from the
        cache: see :meth:`hygis.plan.inputs.PlanInputs.line_for_check`).
    notes : list of str
        Receives a note when features of the layer overlap each other (they are merged).
    engine : {"local", "dask"}
        Every core of this machine, or a dask cluster (``client``; the layer and the sites cut in
        tiles, :mod:`hygis.engine.distributed`); results are identical.
    workers : int, optional
        Processes for the local engine (default: every core).
    geometry : bool
        Build the overlap polygons too (not only their areas).
    pairs : bool
        Also measure every (site, feature) overlap and give the features' survey attributes.
    cache : SiteCache, optional
        Shared by the lines of one check: the sites are ordered and cut once (local engine).
    progress : callable, optional
        Receives a line of text per chunk of sites.
    """
    say = progress or (lambda _m: None)
    prepared, attributes = _prepared(sites, line, layer, notes, pairs, say)

    def tick(done: int, total: int) -> None:
        say(f"{line}: {done:,}/{total:,} projects")

    # The same chunk function runs on this machine's cores or on the dask cluster: only where differs.
    where: dict[str, Any] = {"client": client} if engine == "dask" else {"workers": workers, "cache": cache}
    run = overlap_dask if engine == "dask" else overlap
    result = run(
        sites.geoms,
        prepared,
        geometry=geometry,
        progress=tick,
        area_scale=sites.area_scale,
        pairs=pairs,
        **where,
    )
    return _line_overlap(sites, line, prepared, attributes, result, pairs)


def measure_together(
    sites: Sites,
    layers: dict[str, Any],
    notes: list[str],
    *,
    workers: int | None = None,
    geometry: bool = True,
    pairs: dict[str, bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, LineOverlap]:
    """:func:`measure_line` of several lines on this machine's cores, each chunk of sites cut once for all.

    The same figures as one :func:`measure_line` per line sharing a :class:`SiteCache`, without
    holding the pieces of every site until the last line is measured (~120 MB for 50,000 sites):
    a chunk's pieces are measured against every line, then let go
    (:func:`hygis.engine.overlap.overlap_layers`).

    Parameters
    ----------
    sites : Sites
    layers : dict
        Line name → its layer, as :func:`measure_line` takes it; measured (and noted) in this order.
    notes : list of str
    workers, geometry
        As :func:`measure_line` (local engine).
    pairs : dict, optional
        Line name → whether to measure its (site, feature) overlaps (default: none).
    progress : callable, optional
    """
    say = progress or (lambda _m: None)
    pairs = pairs or {}
    prepared = {
        line: _prepared(sites, line, layer, notes, pairs.get(line, False), say)
        for line, layer in layers.items()
    }

    def tick(done: int, total: int) -> None:
        for line in layers:  # each line's progress, as measure_line says it
            say(f"{line}: {done:,}/{total:,} projects")

    results = overlap_layers(
        sites.geoms,
        [layer for layer, _ in prepared.values()],
        geometry=geometry,
        workers=workers,
        progress=tick,
        area_scale=sites.area_scale,
        pairs=[pairs.get(line, False) for line in layers],
    )
    return {
        line: _line_overlap(sites, line, layer, attributes, result, pairs.get(line, False))
        for (line, (layer, attributes)), result in zip(prepared.items(), results)
    }


def _prepared(
    sites: Sites, line: str, layer: Any, notes: list[str], pairs: bool, say: Callable[[str], None]
) -> tuple[Any, dict[str, np.ndarray]]:
    """The line ready for the engine (dissolved, in the sites' CRS) and its survey attributes."""
    if isinstance(layer, gpd.GeoDataFrame):
        say(f"{line}: {len(layer):,} features")
        geoms = np.asarray(layer.geometry.values, dtype=object)
        if not layer.crs.equals(sites.area_crs):
            geoms = project(geoms, layer.crs, sites.area_crs)
        prepared = disjoint_layer(geoms)
        attributes = survey_attributes(layer) if pairs else {}
    else:
        prepared = layer
        attributes = prepared.attributes
        read = prepared.meta.get("features", len(prepared))
        say(f"{line}: {read:,} features (prepared index{', cached' if prepared.meta.get('cached') else ''})")
    if prepared.dissolved_groups:
        warn(
            f"{line}: {prepared.dissolved_features} features overlap each other; merged into "
            f"{prepared.dissolved_groups} so that shared ground counts once.",
            notes,
        )
    return prepared, attributes


def _line_overlap(
    sites: Sites, line: str, prepared: Any, attributes: dict[str, np.ndarray], result: Any, pairs: bool
) -> LineOverlap:
    """What the engine measured of one line, with the points tested by containment."""
    inside_m2, inside_geom = result
    point_inside = np.full(len(sites.geoms), None, dtype=object)
    if sites.points.any():
        pi, _ = prepared.tree.query(sites.point_geoms[sites.points], predicate="intersects")
        hit = np.zeros(int(sites.points.sum()), dtype=bool)
        hit[pi] = True
        point_inside[sites.points] = hit
    return LineOverlap(
        line,
        inside_m2,
        list(inside_geom) if inside_geom is not None else [None] * len(sites.geoms),
        point_inside,
        result.pairs,
        prepared.source_row if pairs else None,
        attributes,
    )


__all__ = ["ENGINES", "LineOverlap", "measure_line", "measure_together"]
