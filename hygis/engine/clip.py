"""Exact intersection areas without building geometries: Sutherland–Hodgman clipping in numpy.

Why this is exact for any valid subject polygon (convex or not, with holes, multipart): clipping
a closed chain against a half-plane H gives a chain whose winding number is the original's
inside H and zero outside it (the parts of the chain outside H are replaced by segments along
H's border; those and the removed parts form closed chains lying outside H, which wind zero in
H). Clipping against every edge-half-plane of a **convex** polygon C therefore gives chains
whose signed area is the area of (ring ∩ C) with the ring's orientation; the bridges that
Sutherland–Hodgman leaves along C's border are traversed both ways and add no area. Summing
``±signed area`` over a polygon's rings (shells +, holes −) gives area(polygon ∩ C) to
floating-point rounding — the same number GEOS gives for ``area(intersection)``.

Everything works on *ragged* arrays — the vertices of many rings back to back, each with the id
of its ring — so one numpy operation advances thousands of pairs at once.

* :func:`rings_of` — the rings of (Multi)Polygons as ragged arrays;
* :func:`convex_clippers` — which polygons are convex (one ring, all turns one way), CCW;
* :func:`bisect` — cut large rings into pieces no larger than a cell (axis-parallel half-planes),
  so that long corridors meet only the features near each piece;
* :func:`clip_rings` / :func:`clipped_area` — (the area of) subject ∩ convex clipper for many pairs;
* :func:`fans` — signed triangle fans whose weighted sum is a non-convex polygon exactly, so
  non-convex features are clipped triangle by triangle.
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

    Computed near each ring's first vertex, as :func:`_polygon_area` does, so that coordinates far
    from 0 keep their digits. An owner without area gets a NaN centroid.
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


def clip_halfplane(x, y, rid, ax, ay, dx, dy, *, exact_x=None, exact_y=None):
    """Clip ragged rings by the half-planes left of (a, a + d) (per-vertex arrays), inclusive.

    A zero direction (``dx = dy = 0``) keeps everything, which pads clippers with fewer edges.
    ``exact_x``/``exact_y`` (per vertex, NaN where unused) put crossing points exactly on an
    axis-parallel line, so pieces cut by :func:`bisect` share their border bit for bit.

    Returns the clipped ``x, y, rid`` (rings left with no vertex disappear).
    """
    s = dx * (y - ay) - dy * (x - ax)
    inside = s >= 0
    p = _prev(rid)
    cross = inside != inside[p]
    emit_cur = inside
    cnt = cross.astype(np.int64) + emit_cur
    total = int(cnt.sum())
    start = np.cumsum(cnt) - cnt
    ox = np.empty(total)
    oy = np.empty(total)
    orid = np.empty(total, dtype=rid.dtype)
    ci = np.flatnonzero(cross)
    if len(ci):
        pi = p[ci]
        sp, sc = s[pi], s[ci]
        t = sp / (sp - sc)
        cx = x[pi] + t * (x[ci] - x[pi])
        cy = y[pi] + t * (y[ci] - y[pi])
        if exact_x is not None:
            ex = exact_x[ci]
            cx = np.where(np.isnan(ex), cx, ex)
        if exact_y is not None:
            ey = exact_y[ci]
            cy = np.where(np.isnan(ey), cy, ey)
        pos = start[ci]
        ox[pos], oy[pos], orid[pos] = cx, cy, rid[ci]
    ki = np.flatnonzero(emit_cur)
    pos = start[ki] + cross[ki]
    ox[pos], oy[pos], orid[pos] = x[ki], y[ki], rid[ki]
    return ox, oy, orid


def convex_clippers(geoms: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which polygons can clip: one ring whose turns all go the same way; their CCW vertices.

    Returns
    -------
    (convex, offsets, cx, cy)
        ``convex`` flags each geometry; for convex geometry ``i``, its vertices (counter-clockwise,
        closed: the first repeated last) are ``cx[offsets[i]:offsets[i + 1]]`` (empty otherwise).
    """
    arr = np.asarray(geoms, dtype=object)
    return convex_rings(rings_of(arr), len(arr))


def convex_rings(r: Rings, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`convex_clippers` of ``n`` owners given as rings (e.g. the pieces of :func:`bisect`)."""
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


def clipper_areas(offsets: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Area of each clipper of :func:`convex_clippers` (0 for none), near its first vertex as clipping is."""
    n = len(offsets) - 1
    count = offsets[1:] - offsets[:-1]
    if not len(cx):
        return np.zeros(n)
    owner = np.repeat(np.arange(n), count)
    first = np.repeat(offsets[:-1], count)
    x, y = cx - cx[first], cy - cy[first]
    # Closed rings: each vertex with the next, except the closing one.
    nxt = np.minimum(np.arange(len(cx)) + 1, len(cx) - 1)
    term = np.where(np.arange(len(cx)) == np.repeat(offsets[1:] - 1, count), 0.0, x * y[nxt] - x[nxt] * y)
    return np.bincount(owner, weights=term, minlength=n) / 2.0


def _compact(r: Rings) -> Rings:
    """Drop rings without vertices and renumber rings (order kept)."""
    used = np.zeros(len(r.owner), bool)
    used[r.rid] = True
    new_id = np.cumsum(used) - 1
    return Rings(r.x, r.y, new_id[r.rid], r.owner[used], r.sign[used])


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


def _select(r: Rings, owners: np.ndarray) -> tuple[Rings, np.ndarray]:
    """The rings of the flagged owners (flags per owner), renumbered; and their owners' old ids."""
    ring_keep = owners[r.owner]
    vkeep = ring_keep[r.rid]
    new_ring = np.cumsum(ring_keep) - 1
    kept_owner = r.owner[ring_keep]
    old_owner = np.flatnonzero(owners)
    new_owner = np.cumsum(owners) - 1
    out = Rings(r.x[vkeep], r.y[vkeep], new_ring[r.rid[vkeep]], new_owner[kept_owner], r.sign[ring_keep])
    return out, old_owner


def bisect(r: Rings, n_owners: int, cell: float) -> tuple[Rings, np.ndarray]:
    """Cut polygons whose extent exceeds ``cell`` in halves until no piece does.

    Returns
    -------
    (pieces, piece_owner)
        Rings whose ``owner`` is a piece id, and the original owner of each piece. The pieces of a
        polygon tile it: their areas add up to its area and, clipped by anything, to its
        intersection's area.
    """
    done_rings: list[Rings] = []
    done_owner: list[np.ndarray] = []
    piece_owner = np.arange(n_owners)
    while len(r.x):
        b = owner_bounds(r, len(piece_owner))
        wx, wy = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        split = np.maximum(wx, wy) > cell
        small = ~split & np.isfinite(wx)
        if small.any():
            kept, old = _select(r, small)
            done_rings.append(kept)
            done_owner.append(piece_owner[old])
        if not split.any():
            break
        r, old = _select(r, split)
        piece_owner, wx, wy, b = piece_owner[old], wx[old], wy[old], b[old]
        n_p, n_r = len(piece_owner), len(r.owner)
        # Cut along the middle of the longer side, crossing points exactly on the cut.
        vown = r.owner[r.rid]
        along_x = (wx >= wy)[vown]
        mid = np.where(wx >= wy, (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2)[vown]
        zero = np.zeros(len(r.x))
        ax, ay = np.where(along_x, mid, zero), np.where(along_x, zero, mid)
        exact_x, exact_y = np.where(along_x, mid, np.nan), np.where(along_x, np.nan, mid)
        # Left of direction (0, -1) is x <= mid; left of (-1, 0) is y >= mid.
        dx, dy = np.where(along_x, 0.0, -1.0), np.where(along_x, -1.0, 0.0)
        lx, ly, lrid = clip_halfplane(r.x, r.y, r.rid, ax, ay, dx, dy, exact_x=exact_x, exact_y=exact_y)
        hx, hy, hrid = clip_halfplane(r.x, r.y, r.rid, ax, ay, -dx, -dy, exact_x=exact_x, exact_y=exact_y)
        # The second halves are new rings (id + n_r) of new pieces (id + n_p).
        r = _drop_flat(
            Rings(
                np.concatenate([lx, hx]),
                np.concatenate([ly, hy]),
                np.concatenate([lrid, hrid + n_r]),
                np.r_[r.owner, r.owner + n_p],
                np.r_[r.sign, r.sign],
            )
        )
        r = _compact(r)
        used = np.zeros(2 * n_p, bool)
        used[r.owner] = True
        r.owner = (np.cumsum(used) - 1)[r.owner]
        piece_owner = np.r_[piece_owner, piece_owner][used]
    # Finished pieces, numbered in turn.
    xs, ys, rids, owners, signs = [], [], [], [], []
    n_r = n_p = 0
    for k, o in zip(done_rings, done_owner):
        xs.append(k.x)
        ys.append(k.y)
        rids.append(k.rid + n_r)
        owners.append(k.owner + n_p)
        signs.append(k.sign)
        n_r += len(k.owner)
        n_p += len(o)
    if not done_rings:
        return Rings(
            np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        ), np.zeros(0, np.int64)
    out = Rings(
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate(rids),
        np.concatenate(owners),
        np.concatenate(signs),
    )
    return out, np.concatenate(done_owner)


def _drop_flat(r: Rings) -> Rings:
    """Drop the vertices of rings with exactly zero area (they wind nowhere, so clip to nothing)."""
    if not len(r.x):
        return r
    starts = np.flatnonzero(np.r_[True, r.rid[1:] != r.rid[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(r.x)]))
    area = _signed_area(r.x - r.x[first], r.y - r.y[first], r.rid, len(r.owner))
    keep = area[r.rid] != 0
    return Rings(r.x[keep], r.y[keep], r.rid[keep], r.owner, r.sign)


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each (s, n)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    base = np.repeat(starts - (ends - lengths), lengths)
    return base + np.arange(total)


@dataclass
class Clipped:
    """Rings left by clipping pairs, in coordinates relative to each pair's origin.

    Vertex ``k`` is (``x[k] + ox[pair[rid[k]]]``, ``y[k] + oy[pair[rid[k]]]``); ring ``r`` belongs
    to pair ``pair[r]`` and contributes ``sign[r]`` × its signed area. ``area`` is the area of each
    pair's intersection (the sum of its rings' contributions); ``scale`` the sum of its rings'
    absolute areas (what rounding is relative to where shells and holes cancel).
    """

    x: np.ndarray
    y: np.ndarray
    rid: np.ndarray
    pair: np.ndarray
    sign: np.ndarray
    ox: np.ndarray
    oy: np.ndarray
    area: np.ndarray
    scale: np.ndarray

    def centroids(self) -> tuple[np.ndarray, np.ndarray]:
        """Centroid (x, y) of each pair's intersection, in absolute coordinates (NaN where it has no area)."""
        n_pairs = len(self.area)
        mx, my = _signed_moments(self.x, self.y, self.rid, len(self.pair))
        sx = np.bincount(self.pair, weights=mx * self.sign, minlength=n_pairs)
        sy = np.bincount(self.pair, weights=my * self.sign, minlength=n_pairs)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.ox + sx / self.area, self.oy + sy / self.area

    def subjects(self, keep: np.ndarray) -> tuple[Rings, np.ndarray, np.ndarray]:
        """The rings of the pairs flagged in ``keep`` as subjects (owner = rank among the kept pairs).

        Returns the rings (coordinates relative to the origins) and each kept pair's origin.
        """
        # Rings come group by group (see clip_rings): put them in pair order, as Rings wants.
        kept = np.flatnonzero(keep[self.pair])
        kept = kept[np.argsort(self.pair[kept], kind="stable")]
        new_ring = np.full(len(self.pair), -1)
        new_ring[kept] = np.arange(len(kept))
        vr = new_ring[self.rid]
        vsel = np.flatnonzero(vr >= 0)
        vsel = vsel[np.argsort(vr[vsel], kind="stable")]
        new_pair = np.cumsum(keep) - 1
        rings = Rings(self.x[vsel], self.y[vsel], vr[vsel], new_pair[self.pair[kept]], self.sign[kept])
        return rings, self.ox[keep], self.oy[keep]


def clip_rings(
    sub: Rings,
    n_owners: int,
    pair_owner: np.ndarray,
    pair_clip: np.ndarray,
    offsets: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    origin: tuple[np.ndarray, np.ndarray] | None = None,
) -> Clipped:
    """Clip subject ``pair_owner[k]`` by convex clipper ``pair_clip[k]`` for every pair ``k``.

    Parameters
    ----------
    sub : Rings
        The subjects' rings (``owner`` = subject id in ``range(n_owners)``), any valid polygons.
    pair_owner, pair_clip : int arrays
        The pairs.
    offsets, cx, cy
        Convex clippers as from :func:`convex_clippers` (counter-clockwise, closed).
    origin : (array, array), optional
        Per subject, the point its coordinates are relative to (as :meth:`Clipped.subjects`
        gives), so that a clipped result can be clipped again without losing precision.

    Returns
    -------
    Clipped
        The rings of each pair's intersection, relative to the clipper's first vertex.
    """
    n_pairs = len(pair_owner)
    empty_i = np.zeros(0, np.int64)
    o_pair = offsets[pair_clip] if n_pairs else empty_i
    out = Clipped(
        np.zeros(0),
        np.zeros(0),
        empty_i,
        empty_i,
        np.zeros(0),
        cx[o_pair],
        cy[o_pair],
        np.zeros(n_pairs),
        np.zeros(n_pairs),
    )
    if n_pairs == 0 or not len(sub.x):
        return out
    ring_count = np.bincount(sub.owner, minlength=n_owners)
    ring_start = np.r_[0, np.cumsum(ring_count)][:-1]
    vcount = np.bincount(sub.rid, minlength=len(sub.owner))
    vstart = np.r_[0, np.cumsum(vcount)][:-1]
    m = offsets[pair_clip + 1] - offsets[pair_clip] - 1  # edges of each clipper
    xs, ys, rids, pairs, signs = [], [], [], [], []
    n_rings = 0
    # Pairs in groups of similar clipper size: each group runs max(m) half-plane steps.
    group = np.ceil(np.log2(np.maximum(m, 1))).astype(int)
    for g in np.unique(group):
        pk = np.flatnonzero(group == g)
        rings = ranges(ring_start[pair_owner[pk]], ring_count[pair_owner[pk]])
        ring_pair = np.repeat(pk, ring_count[pair_owner[pk]])
        verts = ranges(vstart[rings], vcount[rings])
        rid = np.repeat(np.arange(len(rings)), vcount[rings])
        f = pair_clip[ring_pair]  # clipper of each ring
        o = offsets[f]
        ox, oy = cx[o], cy[o]  # local origin: the clipper's first vertex
        if origin is None:
            x = sub.x[verts] - ox[rid]
            y = sub.y[verts] - oy[rid]
        else:
            # Nearby origins: their difference is exact, the small local coordinates keep their digits.
            own = sub.owner[rings]
            x = sub.x[verts] + (origin[0][own] - ox)[rid]
            y = sub.y[verts] + (origin[1][own] - oy)[rid]
        mr = m[ring_pair]
        for j in range(int(mr.max())):
            e = o + np.minimum(j, mr - 1)
            live = j < mr
            ax, ay = cx[e] - ox, cy[e] - oy
            dx = np.where(live, cx[e + 1] - cx[e], 0.0)
            dy = np.where(live, cy[e + 1] - cy[e], 0.0)
            x, y, rid = clip_halfplane(x, y, rid, ax[rid], ay[rid], dx[rid], dy[rid])
            if not len(x):
                break
        area = _signed_area(x, y, rid, len(rings)) * sub.sign[rings]
        out.area += np.bincount(ring_pair, weights=area, minlength=n_pairs)
        out.scale += np.bincount(ring_pair, weights=np.abs(area), minlength=n_pairs)
        xs.append(x)
        ys.append(y)
        rids.append(rid + n_rings)
        pairs.append(ring_pair)
        signs.append(sub.sign[rings])
        n_rings += len(rings)
    out.x, out.y, out.rid = np.concatenate(xs), np.concatenate(ys), np.concatenate(rids)
    out.pair, out.sign = np.concatenate(pairs), np.concatenate(signs)
    return out


def clipped_area(
    sub: Rings,
    n_owners: int,
    pair_owner: np.ndarray,
    pair_clip: np.ndarray,
    offsets: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
) -> np.ndarray:
    """Area of (subject ``pair_owner[k]`` ∩ convex clipper ``pair_clip[k]``) for every pair ``k``.

    As :func:`clip_rings` (same parameters), returning only the areas, in the square of the
    coordinates' unit.
    """
    return clip_rings(sub, n_owners, pair_owner, pair_clip, offsets, cx, cy).area


def fans(geoms: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Signed triangle fans of polygons: convex pieces whose weighted sum is each polygon exactly.

    Why: a ring ``p0 … p(n−1)`` winds around a point as many times as its fan of oriented
    triangles ``(p0, pi, pi+1)`` do together (the winding number is additive over the fan's
    edges; the edges from ``p0`` cancel in pairs). Give each triangle the weight ``±1`` of its
    orientation times its ring's sign (shell +, hole −, see :class:`Rings`), and the weighted sum
    of the triangles' indicator functions is the polygon's own — holes and parts included, for
    any valid polygon, convex or not. So for any region R,
    ``area(R ∩ polygon) = Σ weight × area(R ∩ triangle)``, each term an exact convex clip
    (:func:`clipped_area`). Unlike a triangulation, the fan needs no computation and cannot
    fail; its triangles overlap (with opposite weights) instead of tiling.

    Returns
    -------
    (offsets, weight, cx, cy)
        The triangles of geometry ``i`` are ``offsets[i]:offsets[i + 1]``; triangle ``t`` is
        ``cx[4t:4t + 4]``, ``cy[...]``, counter-clockwise and closed (clipper offsets ``4 * t``
        for :func:`clipped_area`), weighted ``weight[t]``. Straight (zero-area) triangles are left out.
    """
    arr = np.asarray(geoms, dtype=object)
    r = rings_of(arr)
    nr = len(r.owner)
    vcount = np.bincount(r.rid, minlength=nr)
    rstart = np.r_[0, np.cumsum(vcount)][:-1]
    ntri = np.maximum(vcount - 2, 0)
    ring = np.repeat(np.arange(nr), ntri)
    i = rstart[ring] + 1 + (np.arange(len(ring)) - np.repeat(np.r_[0, np.cumsum(ntri)][:-1], ntri))
    p0 = rstart[ring]
    x = np.stack([r.x[p0], r.x[i], r.x[i + 1], r.x[p0]], axis=1)
    y = np.stack([r.y[p0], r.y[i], r.y[i + 1], r.y[p0]], axis=1)
    lx, ly = x - x[:, :1], y - y[:, :1]
    twice = lx[:, 1] * ly[:, 2] - lx[:, 2] * ly[:, 1]
    keep = twice != 0
    x, y, twice, ring = x[keep], y[keep], twice[keep], ring[keep]
    cw = twice < 0
    x[cw, 1], x[cw, 2] = x[cw, 2].copy(), x[cw, 1].copy()
    y[cw, 1], y[cw, 2] = y[cw, 2].copy(), y[cw, 1].copy()
    weight = np.where(cw, -1.0, 1.0) * r.sign[ring]
    count = np.bincount(r.owner[ring], minlength=len(arr))
    return np.r_[0, np.cumsum(count)], weight, x.ravel(), y.ravel()


def _polygon_area(geoms: np.ndarray) -> np.ndarray:
    """Area of each (Multi)Polygon from its rings, each near its own first vertex (accurate far from 0)."""
    r = rings_of(geoms)
    nr = len(r.owner)
    a = _signed_area(r.x - _ring_first(r.x, r.rid, nr), r.y - _ring_first(r.y, r.rid, nr), r.rid, nr)
    return np.bincount(r.owner, weights=a * r.sign, minlength=len(geoms))
