"""Small geometry helpers shared by the routines (vectorised over shapely arrays)."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike


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
