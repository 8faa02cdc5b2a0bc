"""Fast overlay primitives on an R-tree, shared by the statistics, the QA and the county tables.

``geopandas.overlay`` intersects every candidate pair and rebuilds a frame; on a
200,000-patch farmland layer that takes minutes. These functions do the same work in
bulk with shapely's STRtree and vectorised GEOS calls, and skip what cannot change a
result: a patch wholly inside a county needs no clipping, and a union needs computing
only among the features that actually overlap one another.

All inputs are shapely geometry arrays in one *projected* CRS (metres); the callers
project with :func:`hygis.crs.area_crs_for` first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from numpy.typing import ArrayLike

from hygis.geometry import polygonal

#: Overlaps below this area (m²) are floating-point noise, not findings: features that share
#: an edge after reprojection from degrees intersect in slivers of about 1e-6 m² or less.
NOISE_AREA_M2: float = 0.01


def split_by_regions(geoms: ArrayLike, zones: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split geometries by zones (e.g. control-line patches by county): the pieces and their owners.

    A geometry wholly inside a zone is passed through untouched; only those crossing a zone
    boundary are intersected. Parts outside every zone are not returned.

    Parameters
    ----------
    geoms, zones : array of shapely geometries
        In the same projected CRS.

    Returns
    -------
    (pieces, geom_index, zone_index)
        ``pieces[k]`` is the part of ``geoms[geom_index[k]]`` inside ``zones[zone_index[k]]``;
        pieces with nothing left of the input's dimension are dropped.
    """
    geoms = np.asarray(geoms, dtype=object)
    zones = np.asarray(zones, dtype=object)
    tree = shapely.STRtree(geoms)
    # One prepared pass finds the geometries crossing a zone's boundary (the few to cut); the
    # many others are wholly inside or wholly outside, told apart by one point-in-polygon test.
    z_box, g_box = tree.query(zones)
    zc, gc = tree.query(shapely.boundary(zones), predicate="intersects")
    n = len(geoms)
    crossing = np.isin(z_box.astype(np.int64) * n + g_box, zc.astype(np.int64) * n + gc)
    # A multipart geometry can have parts in two zones without touching a border: always cut it.
    multi = shapely.get_num_geometries(geoms) > 1
    crossing |= multi[g_box]
    zc, gc = z_box[crossing], g_box[crossing]
    z_rest, g_rest = z_box[~crossing], g_box[~crossing]
    probe = shapely.get_coordinates(shapely.point_on_surface(geoms[g_rest]))
    # One vectorised, prepared test for every (zone, geometry) pair: a loop over the zones with a
    # mask each was quadratic when the zones are many (patches split by thousands of sites).
    shapely.prepare(zones[np.unique(z_rest)])
    inside = np.zeros(len(z_rest), dtype=bool)
    if len(z_rest):
        inside = shapely.contains_xy(zones[z_rest], probe[:, 0], probe[:, 1])
    z_in, g_in = z_rest[inside], g_rest[inside]
    cut = shapely.intersection(geoms[gc], zones[zc])
    dims = shapely.get_dimensions(geoms[gc])
    keep = ~shapely.is_empty(cut) & (shapely.get_dimensions(cut) >= dims)
    cut = _same_dimension(cut[keep], dims[keep])
    pieces = np.concatenate([geoms[g_in], cut])
    geom_index = np.concatenate([g_in, gc[keep]])
    zone_index = np.concatenate([z_in, zc[keep]])
    order = np.lexsort((geom_index, zone_index))
    return pieces[order], geom_index[order], zone_index[order]


def _same_dimension(geoms: np.ndarray, dims: np.ndarray) -> np.ndarray:
    """Drop the lower-dimensional debris an intersection can leave (a polygon touching a border in a line)."""
    out = geoms.copy()
    poly = dims == 2
    if poly.any():
        out[poly] = polygonal(geoms[poly])
    line = (dims == 1) & (shapely.get_type_id(geoms) == 7)
    for i in np.flatnonzero(line):
        parts = [p for p in shapely.get_parts(geoms[i]) if p.geom_type in ("LineString", "MultiLineString")]
        out[i] = shapely.line_merge(shapely.union_all(parts)) if parts else shapely.LineString()
    return out


def overlapping_pairs(
    geoms: ArrayLike, groups: ArrayLike | None = None, *, min_area_m2: float = NOISE_AREA_M2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of polygons (i < j, same group) whose interiors overlap, with the overlap.

    Parameters
    ----------
    geoms : array of polygons
        In a projected CRS (metres).
    groups : array, optional
        Only pairs with equal group labels are compared (e.g. the county of each piece).
    min_area_m2 : float
        Overlaps smaller than this (m²) are ignored as noise; see :data:`NOISE_AREA_M2`.

    Returns
    -------
    (i, j, overlap)
        Indices into ``geoms`` and the overlap polygons.
    """
    geoms = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    if groups is not None:
        groups = np.asarray(groups)
        keep &= groups[i] == groups[j]
    i, j = i[keep], j[keep]
    # Touching neighbours (shared edges) are the common case in a tiling: rule them out cheaply.
    touch = shapely.touches(geoms[i], geoms[j])
    i, j = i[~touch], j[~touch]
    inter = polygonal(shapely.intersection(geoms[i], geoms[j]))
    big = shapely.area(inter) >= min_area_m2
    return i[big], j[big], inter[big]


def union_area_by_group(
    geoms: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    min_area_m2: float = NOISE_AREA_M2,
    area_of: Callable[[np.ndarray], np.ndarray] = shapely.area,
) -> np.ndarray:
    """Area (m²) of the union of the polygons in each group: overlapping parts count once.

    Exact, and fast where overlaps are local (as in any real layer): polygons that overlap
    nothing add their own area; a pair overlapping only each other adds
    ``area(a) + area(b) - area(a ∩ b)``; only clusters of three or more mutually overlapping
    polygons are unioned. Overlaps below ``min_area_m2`` are treated as none (an error of at
    most that much per pair).

    Parameters
    ----------
    geoms : array of polygons
        In a projected CRS (metres).
    groups : array of int
        Group of each polygon, in ``0 … n_groups - 1``.
    n_groups : int
        Number of groups (groups with no polygon get 0).
    area_of : callable
        Measures an array of polygons (m²): planar by default; e.g.
        ``lambda g: hygis.engine.area.measure(g, crs)`` for ellipsoidal areas. The overlaps are
        found in the plane either way; only the measure changes.
    """
    geoms = np.asarray(geoms, dtype=object)
    groups = np.asarray(groups, dtype=np.int64)
    out = np.zeros(n_groups)
    if len(geoms) == 0:
        return out
    area = area_of(geoms)
    i, j, inter = overlapping_pairs(geoms, groups, min_area_m2=min_area_m2)
    np.add.at(out, groups, area)
    if len(i) == 0:
        return out
    label = connected_components(len(geoms), i, j)
    size = np.bincount(label, minlength=len(geoms))
    pair = size[label[i]] == 2
    # Two polygons overlapping only each other: inclusion–exclusion with the overlap already computed.
    np.subtract.at(out, groups[i[pair]], area_of(inter[pair]))
    for root in np.flatnonzero(size >= 3):
        members = np.flatnonzero(label == root)
        union = np.array([shapely.union_all(geoms[members])], dtype=object)
        out[groups[root]] += area_of(union)[0] - area[members].sum()
    return out


def connected_components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Label of each of ``n`` nodes in the graph with edges (i, j).

    The label is the smallest node index of the node's connected component.
    """
    label = np.arange(n)
    while True:
        low = np.minimum(label[i], label[j])
        before = label.copy()
        np.minimum.at(label, i, low)
        np.minimum.at(label, j, low)
        label = label[label]  # pointer jumping: converges in a few rounds on local clusters
        if np.array_equal(label, before):
            return label


def measure(geoms: ArrayLike) -> np.ndarray:
    """The size of each geometry by its dimension.

    Area (m²) of polygons, length (m) of lines, count of points.
    """
    geoms = np.asarray(geoms, dtype=object)
    dims = shapely.get_dimensions(geoms)
    return np.where(
        dims == 2,
        shapely.area(geoms),
        np.where(dims == 1, shapely.length(geoms), shapely.get_num_geometries(geoms).astype(float)),
    )
