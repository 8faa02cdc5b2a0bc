"""Geometry families and the helpers that keep a geometry in its family (vectorised over shapely arrays)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike

from hygis.crs import transformer

#: Below this many items an array is processed in one call: threads only pay off on large layers.
THREADED_MIN = 20_000


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def threaded(fn: Callable[..., np.ndarray], values: np.ndarray, *args: Any) -> np.ndarray:
    """``fn(values, *args)`` computed on every core, in slices (shapely and PROJ release the GIL).

    >>> threaded(shapely.area, np.array([shapely.box(0, 0, 1, 2)] * 3)).tolist()
    [2.0, 2.0, 2.0]
    """
    values = np.asarray(values)
    cores = _cores()
    if len(values) < THREADED_MIN or cores == 1:
        return fn(values, *args)
    with ThreadPoolExecutor(cores) as pool:
        parts = list(pool.map(lambda part: fn(part, *args), np.array_split(values, cores)))
    return np.concatenate(parts)


def is_valid(geoms: ArrayLike) -> np.ndarray:
    """GEOS's validity of each geometry (``shapely.is_valid``), on every core for a large layer.

    The engine's :func:`hygis.engine.validity.is_valid` gives the same answer sooner for large
    control lines (the compiled kernel proves simple rings valid without asking GEOS).

    >>> is_valid([shapely.box(0, 0, 1, 1), shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])]).tolist()
    [True, False]
    """
    return threaded(shapely.is_valid, np.asarray(geoms, dtype=object))


def project(geoms: ArrayLike, src: Any, dst: Any) -> np.ndarray:
    """Geometries from CRS ``src`` to ``dst`` (x = easting/longitude), the coordinates on every core.

    What ``GeoSeries.to_crs`` does, for the large arrays of a check (10⁵ sites, 10⁶ vertices).
    """

    def move(xy: np.ndarray) -> np.ndarray:
        # One Transformer per thread: PROJ contexts are not shared between threads.
        x, y = transformer(src, dst).transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: threaded(move, xy))


def polygonal(geoms: ArrayLike) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (overlay results can hold stray lines and points).

    Returns an array of (Multi)Polygons; a geometry with no area becomes an empty Polygon.
    """
    arr = np.asarray(geoms, dtype=object)
    out = arr.copy()
    type_ids = shapely.get_type_id(arr)
    mixed = np.flatnonzero(type_ids == 7)  # GeometryCollection
    for i in mixed:
        parts = [p for p in shapely.get_parts(arr[i]) if p.geom_type in ("Polygon", "MultiPolygon")]
        parts = [q for p in parts for q in shapely.get_parts(p)]
        out[i] = shapely.MultiPolygon(parts) if len(parts) > 1 else (parts[0] if parts else shapely.Polygon())
    lower = np.isin(type_ids, [0, 1, 2, 4, 5])  # points and lines
    out[lower] = shapely.Polygon()
    return out


#: Geometry families; make-valid output is reduced to the family of the input.
FAMILY = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "LinearRing": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


TYPE_NAMES = (
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
)


def keep_family(geom, family: str):
    """Reduce a make-valid result to the parts of the input's family (polygon stays polygon)."""
    if geom is None or family == "other" or FAMILY.get(geom.geom_type) == family:
        return geom
    parts = [p for p in shapely.get_parts(geom) if FAMILY.get(p.geom_type) == family]
    if not parts:
        return shapely.Polygon() if family == "polygon" else shapely.GeometryCollection()
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if family == "polygon":
        return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
    if family == "line":
        return shapely.MultiLineString(parts) if len(parts) > 1 else parts[0]
    return shapely.MultiPoint(parts) if len(parts) > 1 else parts[0]


# --------------------------------------------------------------------------- sites
def geometry_kind(geoms: gpd.GeoSeries | np.ndarray) -> np.ndarray:
    """``point``, ``line``, ``polygon``, ``mixed`` (a collection) or ``none`` per feature."""
    arr = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    kinds = np.full(len(arr), "none", dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    t = shapely.get_type_id(arr)
    kinds[ok & np.isin(t, [0, 4])] = "point"
    kinds[ok & np.isin(t, [1, 2, 5])] = "line"
    kinds[ok & np.isin(t, [3, 6])] = "polygon"
    kinds[ok & (t == 7)] = "mixed"
    return kinds
