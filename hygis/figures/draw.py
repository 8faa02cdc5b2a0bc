"""Geometries as matplotlib artists, one artist per layer (fast to draw, small in the PDF).

Each function takes shapely geometries already in the figure's metric CRS and an ``Axes``;
polygons become one compound ``PathPatch`` (holes kept by the even-odd rule), lines one
``LineCollection``. No pyplot: figures carry no global state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from matplotlib.collections import LineCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath


def _rings(geoms: Iterable[Any]) -> list[np.ndarray]:
    rings: list[np.ndarray] = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for part in shapely.get_parts(geom):
            if part.geom_type != "Polygon":
                continue
            rings.append(np.asarray(part.exterior.coords)[:, :2])
            rings.extend(np.asarray(r.coords)[:, :2] for r in part.interiors)
    return rings


def polygon_path(geoms: Iterable[Any]) -> MplPath | None:
    """One compound path of every polygon ring (None when there is none)."""
    rings = [r for r in _rings(geoms) if len(r) >= 3]
    if not rings:
        return None
    verts = np.concatenate(rings)
    codes = np.full(len(verts), MplPath.LINETO, dtype=np.uint8)
    start = 0
    for r in rings:
        codes[start] = MplPath.MOVETO
        codes[start + len(r) - 1] = MplPath.CLOSEPOLY
        start += len(r)
    return MplPath(verts, codes)


def polygons(ax: Any, geoms: Iterable[Any], **kwargs: Any) -> PathPatch | None:
    """Draw polygons as one patch; ``kwargs`` go to :class:`matplotlib.patches.PathPatch`."""
    path = polygon_path(geoms)
    if path is None:
        return None
    patch = PathPatch(path, **kwargs)
    # add_artist, not add_patch: the map's limits are set from its scale, and add_patch would
    # walk every vertex to update data limits nobody uses (seconds for 10^4 patches).
    ax.add_artist(patch)
    return patch


def lines(ax: Any, geoms: Iterable[Any], **kwargs: Any) -> LineCollection | None:
    """Draw (multi)linestrings, and polygon outlines, as one collection."""
    segments = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for part in shapely.get_parts(geom):
            if part.geom_type == "LineString":
                segments.append(np.asarray(part.coords)[:, :2])
            elif part.geom_type == "Polygon":
                segments.append(np.asarray(part.exterior.coords)[:, :2])
                segments.extend(np.asarray(r.coords)[:, :2] for r in part.interiors)
    if not segments:
        return None
    coll = LineCollection(segments, **kwargs)
    ax.add_collection(coll, autolim=False)
    return coll


def view(ax: Any) -> Any:
    """The map's extent (its axes limits) as a shapely box."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def in_view(ax: Any, geoms: Iterable[Any], *, edges: bool = False) -> np.ndarray:
    """The geometries that show on the map (intersect its extent): the legend lists only these.

    With ``edges``, a polygon counts only if its outline crosses the extent (a boundary line
    that does not show need not be explained).
    """
    arr = np.asarray(list(geoms), dtype=object)
    if not len(arr):
        return arr
    box = view(ax)
    test = shapely.boundary(arr) if edges else arr
    return arr[shapely.intersects(test, box)]


def kinds(geoms: Iterable[Any]) -> np.ndarray:
    """``"area"``, ``"line"``, ``"point"`` or ``""`` (missing/empty) for each geometry."""
    arr = np.asarray(list(geoms), dtype=object)
    ids = shapely.get_type_id(arr)
    empty = shapely.is_missing(arr) | shapely.is_empty(arr)
    out = np.where(np.isin(ids, [3, 6]), "area", np.where(np.isin(ids, [1, 2, 5]), "line", "point"))
    return np.where(empty, "", out)


__all__ = ["in_view", "kinds", "lines", "polygon_path", "polygons", "view"]
