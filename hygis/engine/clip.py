"""Polygons as ragged arrays: the form the overlap kernel (:mod:`hygis.engine.kernel`) reads.

Everything works on *ragged* arrays — the vertices of many rings back to back, each with the id
of its ring, each ring with its owner (a polygon, or a piece of one) and its sign (shells +,
holes −) — so that one numpy operation prepares thousands of polygons at once, and the kernel
walks them without a Python object per ring.

* :func:`rings_of` — the rings of (Multi)Polygons as ragged arrays;
* :func:`convex_rings` — which owners are convex (one ring, all turns one way), CCW, as clippers;
* :func:`ring_centroids` — area and centroid of each owner (shoelace, near each ring's start);
* :func:`owner_bounds`, :func:`ranges` — boxes, and index ranges of ragged arrays.

The clipping itself (Sutherland–Hodgman by convex polygons, signed triangle fans for the
non-convex, why that is exact) is the kernel's: :mod:`hygis.engine.kernel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike


@dataclass
class Rings:
    """Rings back to back: vertex ``k`` is (``x[k]``, ``y[k]``) on ring ``rid[k]`` (no closing vertex).

    ``rid`` is non-decreasing. Ring-level arrays (indexed by ring id): ``owner`` (the polygon,
    piece or pair the ring belongs to, non-decreasing) and ``sign`` (+1 or −1: multiplies the
    ring's signed area to give its contribution — positive for shells, negative for holes).
    """

    x: np.ndarray
    y: np.ndarray
    rid: np.ndarray
    owner: np.ndarray
    sign: np.ndarray


def rings_of(geoms: ArrayLike) -> Rings:
    """The rings of Polygons/MultiPolygons (other types contribute nothing), owner = index in ``geoms``."""
    arr = np.asarray(geoms, dtype=object)
    type_id = shapely.get_type_id(arr)
    # Single-ring polygons (most features) are read in one call; the rest ring by ring.
    simple = (type_id == 3) & (shapely.get_num_interior_rings(arr) == 0) & ~shapely.is_empty(arr)
    s_idx = np.flatnonzero(simple)
    s_xy, s_ring = shapely.get_coordinates(arr[s_idx], return_index=True)
    other = np.flatnonzero(~simple & ((type_id == 3) | (type_id == 6)))
    parts, part_of = shapely.get_parts(arr[other], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    o_xy, o_ring = shapely.get_coordinates(rings, return_index=True)
    o_exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if len(rings) else np.zeros(0, bool)
    ring_owner = np.r_[s_idx, other[part_of[ring_part]]]
    exterior = np.r_[np.ones(len(s_idx), bool), o_exterior]
    xy = np.concatenate([s_xy, o_xy])
    vring = np.r_[s_ring, o_ring + len(s_idx)]
    # Rings ordered by owner, vertices by ring.
    order = np.argsort(ring_owner, kind="stable")
    new_id = np.empty(len(order), np.int64)
    new_id[order] = np.arange(len(order))
    vring = new_id[vring]
    n = len(order)
    counts = np.bincount(vring, minlength=n)
    last = np.r_[0, np.cumsum(counts)][1:] - 1
    vorder = np.argsort(vring, kind="stable")
    keep = np.ones(len(xy), bool)
    keep[last[counts > 0]] = False  # the closing vertex repeats the first
    vorder = vorder[keep]
    x, y, rid = xy[vorder, 0], xy[vorder, 1], vring[vorder]
    exterior = exterior[order]
    area = _signed_area(x - _ring_first(x, rid, n), y - _ring_first(y, rid, n), rid, n)
    sign = np.where(area >= 0, 1.0, -1.0) * np.where(exterior, 1.0, -1.0)
    return Rings(x=x, y=y, rid=rid, owner=ring_owner[order], sign=sign)


def _ring_first(v: np.ndarray, rid: np.ndarray, n: int) -> np.ndarray:
    """Per vertex, the value at its ring's first vertex (a local origin for accurate areas)."""
    if not len(v):
        return v
    starts = np.flatnonzero(np.r_[True, rid[1:] != rid[:-1]])
    return np.repeat(v[starts], np.diff(np.r_[starts, len(v)]))


def _prev(rid: np.ndarray) -> np.ndarray:
    """Index of each vertex's predecessor on its (cyclic) ring."""
    n = len(rid)
    prev = np.arange(-1, n - 1)
    if n:
        starts = np.flatnonzero(np.r_[True, rid[1:] != rid[:-1]])
        ends = np.r_[starts[1:], n]
        prev[starts] = ends - 1
    return prev


def _signed_area(x: np.ndarray, y: np.ndarray, rid: np.ndarray, n_rings: int) -> np.ndarray:
    """Shoelace signed area per ring (CCW positive); use coordinates near the origin for accuracy."""
    p = _prev(rid)
    return np.bincount(rid, weights=(x[p] * y - x * y[p]), minlength=n_rings) / 2.0


def _signed_moments(
    x: np.ndarray, y: np.ndarray, rid: np.ndarray, n_rings: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shoelace first moments (∫x dA, ∫y dA) per ring (CCW positive), in the coordinates given."""
    p = _prev(rid)
    cross = x[p] * y - x * y[p]
    mx = np.bincount(rid, weights=(x[p] + x) * cross, minlength=n_rings) / 6.0
    my = np.bincount(rid, weights=(y[p] + y) * cross, minlength=n_rings) / 6.0
    return mx, my


def ring_centroids(r: Rings, n_owners: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area and centroid (x, y) of each owner's polygon, shells plus and holes minus.

    Computed near each ring's first vertex, so that coordinates far from 0 (Gauss–Krüger, 10⁶ m)
    keep their digits. An owner without area gets a NaN centroid.
    """
    nr = len(r.owner)
    fx, fy = _ring_first(r.x, r.rid, nr), _ring_first(r.y, r.rid, nr)
    lx, ly = r.x - fx, r.y - fy
    a = _signed_area(lx, ly, r.rid, nr)
    mx, my = _signed_moments(lx, ly, r.rid, nr)
    starts = np.flatnonzero(np.r_[True, r.rid[1:] != r.rid[:-1]]) if len(r.rid) else np.zeros(0, np.int64)
    ox, oy = np.zeros(nr), np.zeros(nr)
    ox[r.rid[starts]], oy[r.rid[starts]] = r.x[starts], r.y[starts]
    area = np.bincount(r.owner, weights=a * r.sign, minlength=n_owners)
    sx = np.bincount(r.owner, weights=(mx + a * ox) * r.sign, minlength=n_owners)
    sy = np.bincount(r.owner, weights=(my + a * oy) * r.sign, minlength=n_owners)
    with np.errstate(invalid="ignore", divide="ignore"):
        return area, sx / area, sy / area


def convex_rings(r: Rings, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which of ``n`` owners can clip: one ring whose turns all go the same way; their CCW vertices.

    Returns
    -------
    (convex, offsets, cx, cy)
        ``convex`` flags each owner; for convex owner ``i``, its vertices (counter-clockwise,
        closed: the first repeated last) are ``cx[offsets[i]:offsets[i + 1]]`` (empty otherwise).

    >>> convex, offsets, cx, cy = convex_rings(rings_of([shapely.box(0, 0, 2, 1)]), 1)
    >>> convex.tolist(), offsets.tolist(), cx.tolist()
    ([True], [0, 5], [2.0, 2.0, 0.0, 0.0, 2.0])
    """
    x, y, rid = r.x, r.y, r.rid
    nr = len(r.owner)
    one_ring = np.bincount(r.owner, minlength=n) == 1
    p = _prev(rid)
    nxt = np.empty_like(p)
    nxt[p] = np.arange(len(p))
    lx, ly = x - _ring_first(x, rid, nr), y - _ring_first(y, rid, nr)
    # Turn at each vertex: cross product of the incoming and the outgoing edge.
    turn = (lx - lx[p]) * (ly[nxt] - ly) - (ly - ly[p]) * (lx[nxt] - lx)
    left = np.bincount(rid, weights=turn > 0, minlength=nr)
    right = np.bincount(rid, weights=turn < 0, minlength=nr)
    vcount = np.bincount(rid, minlength=nr)
    ring_ok = ((left == 0) | (right == 0)) & (vcount >= 3) & one_ring[r.owner]
    convex = np.zeros(n, bool)
    convex[r.owner[ring_ok]] = True
    counts = np.zeros(n, np.int64)
    counts[r.owner[ring_ok]] = vcount[ring_ok] + 1
    offsets = np.r_[0, np.cumsum(counts)]
    cx = np.empty(offsets[-1])
    cy = np.empty(offsets[-1])
    keep = ring_ok[rid]
    kx, ky, krid = x[keep], y[keep], rid[keep]
    # Position of each vertex on its ring, reversed for clockwise rings.
    rstart = np.r_[0, np.cumsum(vcount)][:-1]
    k = np.flatnonzero(keep) - rstart[krid]
    k = np.where((right == 0)[krid], k, vcount[krid] - 1 - k)
    base = offsets[r.owner[krid]]
    cx[base + k], cy[base + k] = kx, ky
    first, close = offsets[:-1][counts > 0], offsets[1:][counts > 0] - 1
    cx[close], cy[close] = cx[first], cy[first]
    return convex, offsets, cx, cy


def owner_bounds(r: Rings, n_owners: int) -> np.ndarray:
    """(xmin, ymin, xmax, ymax) of each owner's vertices (NaN for owners without any)."""
    b = np.full((n_owners, 4), np.nan)
    if len(r.x):
        vown = r.owner[r.rid]
        starts = np.flatnonzero(np.r_[True, vown[1:] != vown[:-1]])
        ow = vown[starts]
        b[ow, 0] = np.minimum.reduceat(r.x, starts)
        b[ow, 1] = np.minimum.reduceat(r.y, starts)
        b[ow, 2] = np.maximum.reduceat(r.x, starts)
        b[ow, 3] = np.maximum.reduceat(r.y, starts)
    return b


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each (s, n)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    base = np.repeat(starts - (ends - lengths), lengths)
    return base + np.arange(total)
