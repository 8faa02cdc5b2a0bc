"""The exact overlap engine: area of (site ∩ union of a layer's features), per site, fast.

Semantics (the same as PostGIS ``ST_Area(ST_Intersection(site, ST_Union(layer)))``):

* Features of one layer that overlap each other count once. :func:`disjoint_layer` dissolves
  every group of features whose interiors meet (DE-9IM ``T********``) once per layer, so that the
  layer becomes a set of interior-disjoint polygons; the area of a site's overlap is then
  exactly the sum of its intersections with those polygons (their shared edges have no area).
* Touching along an edge, or lying in a hole, gives zero: the intersection has no area.

Speed, without changing the result beyond floating-point rounding (~1e-12 relative):

* no GEOS geometry is built for the areas: sites are cut into pieces of at most ``SPLIT_CELL_M``
  and each (piece, feature) pair whose boxes meet is clipped by compiled code
  (:mod:`hygis.engine.kernel`; exact for any valid site or feature, with holes or several
  parts): by the convex one of the two, or, when neither is convex, the smaller by the
  triangles of the larger's signed fan (whose weighted sum is that polygon exactly). Only
  non-polygon features go through GEOS;
* one grid-index bulk query per chunk of pieces;
* chunks of spatially sorted sites run on every core (threads over the GIL-free compiled kernels
  and GEOS share the layer and its index without copying; no fork, the same on every OS), or on
  a dask cluster (:func:`hygis.engine.distributed.overlap_dask`) with the same chunk
  function, so every engine gives identical numbers.

Memory: the layer and its index, plus one chunk of pairs at a time; results are one float per
site (and the overlap polygon when asked for).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike

from hygis.engine import clip, kernel
from hygis.engine.index import GridIndex, LazyGeoms
from hygis.geometry import polygonal
from hygis.memory import give_back

#: Ellipsoid m² per plane m² at points (x, y) of the sites' CRS: :class:`hygis.engine.area.AreaScale`.
AreaScaleFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Sites larger than this (metres) are cut in halves until no piece is (1 km measured best on the
#: large case: smaller pieces multiply the vertices, larger ones the candidate features).
SPLIT_CELL_M = 1_000.0
#: Features with more vertices than this are cut into cells of ``FEATURE_CELL_M`` (metres) when
#: a layer is prepared: a pair then costs what a piece of the feature costs, not the whole of it.
MAX_FEATURE_VERTICES = 512
FEATURE_CELL_M = 2_000.0
#: Features whose rings are read at a time when a layer is prepared (:func:`_layer_rings`).
PREPARE_FEATURES = 5_000
#: Sites per chunk: bounds the memory of one bulk query and spreads work across cores.
#: Features of a layer measured in this process, without workers, once the sites are cut.
SMALL_LAYER = 1_000
CHUNK_SITES = 2_000


@dataclass
class Layer:
    """A control layer ready for overlap queries: interior-disjoint polygons and their index."""

    #: The features (or, for a layer made of features let go of, their polygons built on demand
    #: from the rings: indexed like an array).
    geoms: np.ndarray | LazyGeoms
    areas: np.ndarray
    #: The features' boxes in a grid (:class:`hygis.engine.index.GridIndex`, ``geoms`` set, so
    #: that a predicate can be tested on the candidates).
    tree: GridIndex
    dissolved_groups: int = 0
    dissolved_features: int = 0
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: Row of each feature in the geometries given to :func:`disjoint_layer` (−1 for a merged
    #: group): how a pair's feature is traced back to its attributes (DLBM, ZLDJ …).
    source_row: np.ndarray | None = None
    #: Which features are convex (their own hull).
    convex: np.ndarray = field(init=False, repr=False)
    #: Which features the kernel clips (polygons; other kinds go to GEOS), and the convex ones'
    #: counter-clockwise vertices (:func:`hygis.engine.clip.convex_rings`) in ``offsets``/``cx``/``cy``.
    clippable: np.ndarray = field(init=False, repr=False)
    offsets: np.ndarray = field(init=False, repr=False)
    cx: np.ndarray = field(init=False, repr=False)
    cy: np.ndarray = field(init=False, repr=False)
    _rings: kernel.RingArrays | None = field(default=None, init=False, repr=False)
    #: What :meth:`__post_init__` would read from ``geoms``, read already (type ids, emptiness, rings
    #: and convex rings): for features given up as their rings were read (see :func:`disjoint_layer`).
    prepared: InitVar[tuple | None] = None

    def __post_init__(self, prepared: tuple | None = None) -> None:
        # One pass over the rings gives the kernel its arrays and tells the convex features
        # (one ring whose turns all go one way; straight vertices allowed: their two edges lie on
        # one line, which clips the same), which clip as they are.
        if prepared is None:
            geoms = np.asarray(self.geoms, dtype=object)
            type_id, empty = shapely.get_type_id(geoms), shapely.is_empty(geoms)
            self._rings, (own, off, cx, cy) = _layer_rings(geoms)
        else:
            type_id, empty, self._rings, (own, off, cx, cy) = prepared
        self.convex = own & (type_id == 3)
        counts = np.where(self.convex, np.diff(off), 0)
        self.offsets = np.r_[0, np.cumsum(counts)]
        mine = np.flatnonzero(self.convex)
        src = clip.ranges(off[mine], counts[mine])
        self.cx, self.cy = cx[src], cy[src]
        # The kernel clips any polygon; GEOS takes the other kinds.
        self.clippable = ((type_id == 3) | (type_id == 6)) & ~empty

    def ring_arrays(self) -> kernel.RingArrays:
        """The features' rings as flat arrays for the compiled kernel."""
        assert self._rings is not None
        return self._rings


def _layer_rings(
    geoms: np.ndarray, *, consume: bool = False
) -> tuple[kernel.RingArrays, tuple[np.ndarray, ...]]:
    """The kernel's rings and :func:`hygis.engine.clip.convex_rings` of a layer, :data:`PREPARE_FEATURES`
    features at a time: one-ring polygons (most layers) by the compiled
    :func:`hygis.engine.kernel.one_ring_layer`, any other chunk by :func:`hygis.engine.clip.rings_of`.

    Every array is per feature, per ring or per vertex, so the chunks put end to end (their
    offsets shifted) are the arrays of the whole layer, the same numbers; but the temporaries of
    reading the rings (~5× their result: 360 MB for 2·10⁵ patches at once) are those of one chunk,
    and the chunks are joined one array at a time, each chunk's piece freed as it is copied.
    ``consume``: each chunk's items of ``geoms`` are set to None once its rings are read, so that
    features nothing else holds are freed as their rings grow (the layer's shapes and rings are
    then never held whole at once).
    """
    n = len(geoms)
    work = 4 * int(shapely.get_num_coordinates(geoms).sum())  # the layer's, not a chunk's
    # Per chunk: x, y, off, sign, start (the kernel's rings), convex, coff, cx, cy.
    fields: list[list[np.ndarray]] = [[] for _ in range(9)]
    for start in range(0, max(n, 1), PREPARE_FEATURES):
        part = geoms[start : start + PREPARE_FEATURES]
        prepared = kernel.one_ring_layer(part, work)
        if prepared is None:
            rings = clip.rings_of(part)
            prepared = (kernel.RingArrays.from_rings(rings, len(part)), clip.convex_rings(rings, len(part)))
            del rings
        r, convex = prepared
        for out, arr in zip(fields, (r.x, r.y, r.off, r.sign, r.start, *convex)):
            out.append(arr)
        del prepared, r, convex, part
        if consume:
            geoms[start : start + PREPARE_FEATURES] = None
            give_back()
    offsets = {2, 4, 6}  # off, start, coff: shifted by the items of the chunks before

    def joined(i: int) -> np.ndarray:
        parts, fields[i] = fields[i], []
        if len(parts) == 1:
            return parts[0]
        if i not in offsets:
            return np.concatenate(parts)
        base = np.cumsum([0] + [int(o[-1]) for o in parts])
        return np.concatenate([o[:-1] + b for o, b in zip(parts, base)] + [base[-1:]]).astype(np.int64)

    x, y, off, sign, first_ring, own, coff, cx, cy = (joined(i) for i in range(9))
    return kernel.RingArrays(x, y, off, sign, first_ring), (own, coff, cx, cy)


def disjoint_layer(geoms: ArrayLike, *, let_go: Callable[[], bool] | None = None) -> Layer:
    """Dissolve the features whose interiors overlap, so the layer is interior-disjoint.

    Parameters
    ----------
    geoms : array of (Multi)Polygon
        Valid polygons in a projected CRS (metres).
    let_go : callable, optional
        For a caller that needs the features no more once the layer is made: called when the
        layer will be the features as they are (none merged, none cut, all polygons). If it
        returns True, the caller holds the features nowhere else, and they are freed a chunk at
        a time as their rings are read (the items of ``geoms`` are set to None): a layer's shapes
        and its rings are never held whole at once (~180 and ~80 MB for 2·10⁵ patches). The
        layer is the same; its ``geoms`` are then built on demand from its rings.

    Returns
    -------
    Layer
        ``dissolved_groups`` groups of ``dissolved_features`` features were merged.

    Examples
    --------
    >>> given = np.array([shapely.box(0, 0, 2, 2), shapely.box(2, 0, 3, 1)], dtype=object)
    >>> layer = disjoint_layer(given, let_go=lambda: True)
    >>> layer.areas.tolist(), given.tolist(), layer.geoms[1].equals(shapely.box(2, 0, 3, 1))
    ([4.0, 1.0], [None, None], True)
    """
    given = np.asarray(geoms, dtype=object)
    del geoms  # ``given`` (the same array when it is one) is what let_go hands over
    rows = np.flatnonzero(~(shapely.is_missing(given) | shapely.is_empty(given)))
    arr = given[rows]
    tree = _grid(arr)
    # Boxes that meet, then the interiors test itself: an 'intersects' pass first only repeats work.
    left, right = tree.query_bounds(tree.bounds)
    keep = left < right
    left, right = left[keep], right[keep]
    overlapping = (
        shapely.relate_pattern(arr[left], arr[right], "T********") if len(left) else np.zeros(0, bool)
    )
    left, right = left[overlapping], right[overlapping]
    if let_go is not None and not len(left):
        layer = _taken_layer(given, arr, rows, tree, let_go)
        if layer is not None:
            return layer
    groups = features = 0
    if len(left):
        # Connected components of the overlap graph (union–find on integer arrays).
        parent = np.arange(len(arr))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for a, b in zip(left.tolist(), right.tolist()):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        roots = np.array([find(i) for i in range(len(arr))])
        involved = np.unique(np.concatenate([left, right]))
        merged = []
        for root in np.unique(roots[involved]):
            members = np.flatnonzero(roots == root)
            try:
                union = shapely.union_all(arr[members])
            except shapely.errors.GEOSException:
                # A member its reader left invalid (a bow-tie over its neighbour): repaired, then
                # merged, so that the group's area is that of the repaired land.
                union = shapely.union_all(polygonal(shapely.make_valid(arr[members])))
            merged.append(polygonal([union])[0])
        groups, features = len(merged), len(involved)
        alone = np.setdiff1d(np.arange(len(arr)), involved)
        arr = np.concatenate([arr[alone], np.array(merged, dtype=object)])
        rows = np.r_[rows[alone], np.full(len(merged), -1, dtype=rows.dtype)]
        tree = _grid(arr)
    arr, rows, tree = _split_large(arr, rows, tree)
    # Not shapely.prepare'd: GEOS uses a prepared geometry only as a predicate's first argument,
    # and the engine always gives the sites (or points) first; preparing 2·10⁵ patches cost
    # ~30 MB (held with the features read) and a tenth of a second for nothing.
    return Layer(
        geoms=arr,
        areas=shapely.area(arr),
        tree=tree,
        dissolved_groups=groups,
        dissolved_features=features,
        source_row=rows,
    )


def _taken_layer(
    given: np.ndarray, arr: np.ndarray, rows: np.ndarray, tree: GridIndex, let_go: Callable[[], bool]
) -> Layer | None:
    """The layer of features its caller lets go of (see :func:`disjoint_layer`), or None: kept.

    Only a layer that is its features as they are: none to cut (:func:`_split_large`), none
    measured by GEOS (not a polygon). What the layer needs of the shapes is read before they go.
    """
    type_id = shapely.get_type_id(arr)
    if not np.isin(type_id, (3, 6)).all() or (shapely.get_num_coordinates(arr) > MAX_FEATURE_VERTICES).any():
        return None
    if not let_go():
        return None
    given[:] = None  # the features are in ``arr`` only now
    areas = shapely.area(arr)
    rings, convex = _layer_rings(arr, consume=True)
    geoms = LazyGeoms(np.zeros(0, np.uint8), np.zeros(len(arr) + 1, np.int64), rings)
    tree.geoms = geoms
    empty = np.zeros(len(arr), dtype=bool)  # none: the empty ones were left out
    return Layer(
        geoms=geoms, areas=areas, tree=tree, source_row=rows, prepared=(type_id, empty, rings, convex)
    )


def _grid(geoms: np.ndarray) -> GridIndex:
    """The features' boxes in a grid, the features kept for predicate queries."""
    tree = GridIndex.build(shapely.bounds(geoms))
    tree.geoms = geoms
    return tree


def _split_large(
    arr: np.ndarray, rows: np.ndarray, tree: GridIndex
) -> tuple[np.ndarray, np.ndarray, GridIndex]:
    """Cut features of more than :data:`MAX_FEATURE_VERTICES` into cells of :data:`FEATURE_CELL_M`.

    A red-line polygon of 10⁵ vertices would otherwise be clipped whole by every site that meets
    its box. The pieces tile the feature (their areas add up to its own; a site's overlap with
    them to its overlap with it) and keep its row (``rows``), so figures per feature are unchanged.
    """
    big = np.flatnonzero(shapely.get_num_coordinates(arr) > MAX_FEATURE_VERTICES)
    if not len(big):
        return arr, rows, tree
    pieces, owner = kernel.bisect(clip.rings_of(arr[big]), len(big), FEATURE_CELL_M)
    cut = kernel.RingArrays.from_rings(pieces, len(owner)).polygons(np.arange(len(owner)))
    # Half-plane cuts leave zero-width bridges along the cut (and a hole's cut edge on them): the
    # "structure" repair (shells unioned, holes subtracted) keeps the area where "linework" fills holes.
    cut = polygonal(shapely.make_valid(cut, method="structure", keep_collapsed=False))
    ok = ~(shapely.is_missing(cut) | shapely.is_empty(cut))
    small = np.setdiff1d(np.arange(len(arr)), big)
    arr = np.concatenate([arr[small], cut[ok]])
    rows = np.r_[rows[small], rows[big][owner][ok]]
    return arr, rows, _grid(arr)


@dataclass
class Pieces:
    """A chunk's sites cut into pieces of at most :data:`SPLIT_CELL_M`, as every layer meets them."""

    #: The pieces' rings (owner = piece).
    rings: clip.Rings
    #: The site (index in the chunk) of each piece.
    site: np.ndarray
    #: (xmin, ymin, xmax, ymax) of each piece.
    boxes: np.ndarray
    #: :func:`hygis.engine.clip.convex_rings` of the pieces.
    clippers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    #: The pieces' rings as the kernel takes them.
    arrays: kernel.RingArrays


def cut_sites(sites: np.ndarray) -> Pieces:
    """The located sites of a chunk cut into :class:`Pieces` (:func:`hygis.engine.kernel.bisect`)."""
    located = ~(shapely.is_missing(sites) | shapely.is_empty(sites))
    idx = np.flatnonzero(located)
    rings, piece_site = kernel.bisect(clip.rings_of(sites[idx]), len(idx), SPLIT_CELL_M)
    n = len(piece_site)
    arrays = kernel.RingArrays.from_rings(rings, n)
    return Pieces(rings, idx[piece_site], clip.owner_bounds(rings, n), clip.convex_rings(rings, n), arrays)


def _candidates(layer: Layer, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(piece, feature) of every piece box meeting a feature's box, sorted by piece then feature."""
    return layer.tree.query_bounds(boxes)


@dataclass
class SiteCache:
    """What :func:`overlap` works out about the sites themselves, kept for the next layer.

    Pass the same (empty at first) cache to every :func:`overlap` call on the same sites with the
    same ``chunk_size``: the sites are ordered and cut once, not once per control line.
    """

    order: np.ndarray | None = None
    pieces: dict[int, Pieces] = field(default_factory=dict)
    #: The sites per chunk the pieces were cut for.
    chunk_size: int = 0


def _chunk(
    sites: np.ndarray,
    layer: Layer,
    want_geometry: bool,
    area_scale: AreaScaleFn | None = None,
    want_pairs: bool = False,
    cut: Pieces | None = None,
) -> tuple[np.ndarray, list | None, Pairs | None, Pieces | None]:
    """Overlap area (and polygon) of each site in ``sites`` with ``layer``; sites may be None.

    Areas: sites are cut into pieces of at most ``SPLIT_CELL_M`` (:func:`hygis.engine.kernel.bisect`),
    each piece meets the features whose bounding box its own meets, and each (piece, feature)
    pair is clipped by the compiled kernel (:func:`hygis.engine.kernel.pair_areas`: by the
    convex one of the two, or by the signed fan of the larger). No GEOS geometry is built, except
    for features that are not polygons (GEOS then intersects them with the whole site, once per
    (site, feature)).

    With ``area_scale`` (ellipsoid m² per plane m² at a point, :class:`hygis.engine.area.AreaScale`)
    each (piece, feature) area is multiplied by it at the centroid of that overlap, which the
    clipping gives for free: the areas returned are then ellipsoidal (pieces are at most
    ``SPLIT_CELL_M`` across, where this is exact to ~1e-8).

    With ``want_pairs``, also the area of each (site, feature) overlap that has one
    (:data:`Pairs`; sites numbered within ``sites``): what the 用地预审 figures itemise.
    ``cut`` is the sites' :class:`Pieces` from an earlier layer (returned last, for the next one).
    """
    n = len(sites)
    areas = np.zeros(n)
    cut = cut_sites(sites) if cut is None else cut
    if len(cut.site) == 0:
        return areas, ([None] * n if want_geometry else None), (_no_pairs() if want_pairs else None), cut
    piece_site = cut.site
    pi, fj = _candidates(layer, cut.boxes)
    keep = layer.clippable[fj]
    geos_f = np.unique(fj[~keep])  # no hull to clip by (not a polygon): GEOS
    pi, fj = pi[keep], fj[keep]
    pair_area, pair_cx, pair_cy = kernel.pair_areas(
        pi, fj, cut.arrays, cut.clippers, layer.ring_arrays(), layer
    )
    pair_site = piece_site[pi]
    if area_scale is None:
        measured = pair_area
    else:
        has = pair_area != 0
        measured = np.zeros(len(pair_area))
        measured[has] = pair_area[has] * area_scale(pair_cx[has], pair_cy[has])
    np.add.at(areas, pair_site, measured)  # unbuffered, in pair order: identical on every engine
    # Features the numpy path could not take: GEOS, once per (site, feature).
    g_pi, g_fj = _candidates(layer, cut.boxes) if len(geos_f) else (pi[:0], fj[:0])
    g_sel = np.isin(g_fj, geos_f)
    key = np.unique(piece_site[g_pi[g_sel]].astype(np.int64) * len(layer.geoms) + g_fj[g_sel])
    gs, gf = key // len(layer.geoms), key % len(layer.geoms)
    g_area, g_shape = _geos_pairs(sites[gs], gs, gf, layer, want_geometry or area_scale is not None)
    if area_scale is not None and len(gs):
        gc = shapely.centroid(g_shape)
        has = g_area > 0
        g_area = g_area.copy()
        g_area[has] = g_area[has] * area_scale(shapely.get_x(gc[has]), shapely.get_y(gc[has]))
    np.add.at(areas, gs, g_area)
    pairs = (
        _site_feature_sums(np.r_[pair_site, gs], np.r_[fj, gf], np.r_[measured, g_area])
        if want_pairs
        else None
    )
    if not want_geometry:
        return areas, None, pairs, cut
    # Overlap polygons: only for (site, feature) with area, then dissolved per site.
    nonzero = pair_area != 0
    pair_site, fc, pair_area = pair_site[nonzero], fj[nonzero], pair_area[nonzero]
    ckey, inv = np.unique(pair_site.astype(np.int64) * len(layer.geoms) + fc, return_inverse=True)
    c_area = np.bincount(inv.ravel(), weights=pair_area, minlength=len(ckey))
    hit = c_area > 0
    cs, cf, c_area = ckey[hit] // len(layer.geoms), ckey[hit] % len(layer.geoms), c_area[hit]
    # A feature (or the site) whose whole area is in the overlap is its own piece of it (to 1e-9
    # of its area, a sliver no map shows): GEOS only intersects the pairs that cross.
    c_shape = np.empty(len(cs), dtype=object)
    whole_f = np.abs(c_area - layer.areas[cf]) <= 1e-9 * layer.areas[cf]
    site_area = shapely.area(sites[cs])
    whole_s = ~whole_f & (np.abs(c_area - site_area) <= 1e-9 * site_area)
    cross = ~(whole_f | whole_s)
    c_shape[whole_f] = layer.geoms[cf[whole_f]]
    c_shape[whole_s] = sites[cs[whole_s]]
    # Long sites are first cut to the feature's box (linear time), so the overlay handles a short polygon.
    near = sites[cs[cross]].copy()
    long_ = np.flatnonzero(shapely.get_num_coordinates(near) > 64)
    fb = shapely.bounds(layer.geoms[cf[cross][long_]])
    near[long_] = [shapely.clip_by_rect(g, *b) for g, b in zip(near[long_], fb.tolist())]
    c_shape[cross] = polygonal(shapely.intersection(near, layer.geoms[cf[cross]]))
    owners = np.r_[cs, gs]
    shapes = np.concatenate([c_shape, g_shape]) if len(gs) else c_shape
    keep = np.r_[np.ones(len(cs), bool), g_area > 0]
    owners, shapes = owners[keep], shapes[keep]
    return areas, _gather(owners, shapes, n), pairs, cut


#: (site, feature, m²) of every (site, feature) overlap with an area, sorted by site then feature.
Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def _no_pairs() -> Pairs:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)


def _site_feature_sums(site: np.ndarray, feature: np.ndarray, m2: np.ndarray) -> Pairs:
    """The pieces' areas summed per (site, feature), in key order; pairs without area left out."""
    has = m2 != 0
    site, feature, m2 = site[has].astype(np.int64), feature[has].astype(np.int64), m2[has]
    if not len(site):
        return _no_pairs()
    span = int(feature.max()) + 1
    key, inv = np.unique(site * span + feature, return_inverse=True)
    return key // span, key % span, np.bincount(inv.ravel(), weights=m2, minlength=len(key))


def site_areas(sites: ArrayLike, *, area_scale: AreaScaleFn | None = None) -> np.ndarray:
    """Area of each site (m²), measured as :func:`overlap` measures overlaps.

    Planar (GEOS) by default; with ``area_scale``, the site is cut into the same pieces the
    engine cuts it into and each piece is weighted at its centroid, so that a site wholly inside
    a layer has, to rounding, its overlap's area (and nothing is left "outside" by a difference of
    two approximations). None or empty sites measure 0.
    """
    sites = np.asarray(sites, dtype=object)
    out = np.zeros(len(sites))
    located = np.flatnonzero(~(shapely.is_missing(sites) | shapely.is_empty(sites)))
    if not len(located):
        return out
    if area_scale is None:
        out[located] = shapely.area(sites[located])
        return out
    pieces, piece_site = kernel.bisect(clip.rings_of(sites[located]), len(located), SPLIT_CELL_M)
    a, cx, cy = clip.ring_centroids(pieces, len(piece_site))
    has = a != 0
    out[located] = np.bincount(
        piece_site[has], weights=a[has] * area_scale(cx[has], cy[has]), minlength=len(located)
    )
    return out


def _gather(owners: np.ndarray, shapes: np.ndarray, n: int) -> list:
    """One (Multi)Polygon per site from its interior-disjoint pieces (None where there is none).

    The pieces come from interior-disjoint features, so they only need dissolving where two
    share an edge (which makes the MultiPolygon invalid): only those sites go through a union.
    """
    geoms: list = [None] * n
    parts, part_of = shapely.get_parts(shapes, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owners[part_of[keep]]
    if not len(parts):
        return geoms
    order = np.argsort(owner, kind="stable")
    parts, owner = parts[order], owner[order]
    uniq, first, count = np.unique(owner, return_index=True, return_counts=True)
    out = np.empty(len(uniq), dtype=object)
    single = count == 1
    out[single] = parts[first[single]]
    multi = np.flatnonzero(~single)
    if len(multi):
        sel = np.isin(owner, uniq[multi])
        mp = shapely.multipolygons(parts[sel], indices=np.searchsorted(uniq[multi], owner[sel]))
        bad = np.flatnonzero(~shapely.is_valid(mp))
        group = np.searchsorted(uniq[multi], owner[sel])
        for k in bad:
            mp[k] = polygonal([shapely.union_all(parts[sel][group == k])])[0]
        out[multi] = mp
    for i, g in zip(uniq.tolist(), out):
        geoms[i] = g
    return geoms


def _geos_pairs(
    site_geoms: np.ndarray, site_idx: np.ndarray, feat: np.ndarray, layer: Layer, want_shape: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Area (and polygon) of site ∩ feature by GEOS, skipping the intersection when one covers the other."""
    k = len(feat)
    area = np.zeros(k)
    shape = np.empty(k, dtype=object)
    if k == 0:
        return area, shape
    fg = layer.geoms[feat]
    feature_in_site = shapely.covers(site_geoms, fg)
    site_in_feature = ~feature_in_site & shapely.covered_by(site_geoms, fg)
    rest = ~(feature_in_site | site_in_feature)
    area[feature_in_site] = layer.areas[feat[feature_in_site]]
    area[site_in_feature] = shapely.area(site_geoms[site_in_feature])
    inter = shapely.intersection(site_geoms[rest], fg[rest])
    area[rest] = shapely.area(inter)
    if want_shape:
        shape[feature_in_site] = fg[feature_in_site]
        shape[site_in_feature] = site_geoms[site_in_feature]
        shape[rest] = polygonal(inter)
    return area, shape


#: What one chunk gives: areas, overlap polygons (or None), pairs (or None), and the sites' pieces.
ChunkResult = tuple[np.ndarray, list | None, Any, Any]


def spatial_order(sites: np.ndarray) -> np.ndarray:
    """Order sites along a Hilbert curve so that chunks are compact (few index pages each)."""
    import geopandas as gpd  # noqa: PLC0415

    located = ~(shapely.is_missing(sites) | shapely.is_empty(sites))
    key = np.full(len(sites), np.iinfo(np.int64).max)
    if located.any():
        key[located] = gpd.GeoSeries(sites[located]).hilbert_distance().to_numpy()
    return np.argsort(key, kind="stable")


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Result:
    """What :func:`overlap` measured: per site, and per (site, feature) when asked for.

    Unpacks as ``areas, geometries`` (the 0.1 return value).
    """

    #: Area of each site's overlap (m²).
    areas: np.ndarray
    #: Each site's overlap polygon (None where none, or None when not asked for).
    geometries: list | None
    #: (site, feature, m²) of every overlapping (site, feature), sites in input order, features
    #: as in the layer (see :attr:`Layer.source_row`); None when not asked for.
    pairs: Pairs | None = None

    def __iter__(self):
        return iter((self.areas, self.geometries))


def _collect(
    chunks: list[np.ndarray],
    results,
    n: int,
    geometry: bool,
    progress: Callable[[int, int], None] | None,
    cache: SiteCache | None = None,
) -> Result:
    """Put each chunk's results back in the sites' order, reporting progress as chunks arrive."""
    areas = np.zeros(n)
    geoms: list | None = [None] * n if geometry else None
    found: list[Pairs] = []
    done = 0
    for k, (c, (a, g, pairs, cut)) in enumerate(zip(chunks, results)):
        if cache is not None and cut is not None:
            cache.pieces[k] = cut
        areas[c] = a
        if geoms is not None:
            for k, v in zip(c, g):
                geoms[k] = v
        if pairs is not None:
            found.append((c[pairs[0]], pairs[1], pairs[2]))
        done += len(c)
        if progress:
            progress(done, n)
    if not found:
        return Result(areas, geoms)
    site, feat, m2 = (np.concatenate(v) for v in zip(*found))
    order = np.lexsort((feat, site))
    return Result(areas, geoms, (site[order], feat[order], m2[order]))


def overlap(
    sites: ArrayLike,
    layer: Layer,
    *,
    geometry: bool = True,
    workers: int | None = None,
    chunk_size: int = CHUNK_SITES,
    progress: Callable[[int, int], None] | None = None,
    area_scale: AreaScaleFn | None = None,
    pairs: bool = False,
    cache: SiteCache | None = None,
) -> Result:
    """Area of each site's overlap with the layer (m²), and optionally the overlap polygon.

    Parameters
    ----------
    sites : array of Polygon/MultiPolygon or None
        Project footprints in the layer's projected CRS; None or empty = not located (area 0).
    layer : Layer
        From :func:`disjoint_layer`.
    geometry : bool
        Also return the overlap polygon of each site (None where there is none).
    workers : int, optional
        Threads to use (default: every core). 1 runs in the calling thread.
    chunk_size : int
        Sites per chunk.
    progress : callable, optional
        Called with (sites done, sites total) after each chunk.
    area_scale : AreaScale, optional
        Measure on the ellipsoid: each piece of overlap is weighted by this factor at its centroid
        (:class:`hygis.engine.area.AreaScale` over the sites' CRS). Default: planar areas in that CRS.
    pairs : bool
        Also give the area of every (site, feature) overlap (:attr:`Result.pairs`).
    cache : SiteCache, optional
        The same sites measured against several layers: ordered and cut once (:class:`SiteCache`).

    Returns
    -------
    Result
        ``areas, geometries = overlap(...)`` unpacks it.
    """
    sites = np.asarray(sites, dtype=object)
    n = len(sites)
    cache = SiteCache() if cache is None else cache
    if cache.order is None or len(cache.order) != n:
        cache.order, cache.pieces = spatial_order(sites), {}
    workers = default_workers() if workers is None else max(1, workers)
    if workers > 1:
        # At least two chunks per worker: three chunks on two workers leave one idle a third of the time.
        chunk_size = max(1, min(chunk_size, -(-n // (2 * workers))))
    if cache.chunk_size != chunk_size:
        cache.pieces, cache.chunk_size = {}, chunk_size
    chunks = [cache.order[i : i + chunk_size] for i in range(0, n, chunk_size)]
    # A small layer against sites already cut (an earlier line of the check) is a few thousand
    # pairs: here in less time than handing them to threads takes.
    cut_already = all(k in cache.pieces for k in range(len(chunks)))
    small = cut_already and len(layer.areas) <= SMALL_LAYER

    def run(k: int) -> ChunkResult:
        return _chunk(sites[chunks[k]], layer, geometry, area_scale, pairs, cache.pieces.get(k))

    if workers == 1 or len(chunks) < 2 or small:
        results = (run(k) for k in range(len(chunks)))
        return _collect(chunks, results, n, geometry, progress=progress, cache=cache)
    # Threads, not processes: the compiled kernels release the GIL (nogil), as do GEOS (shapely)
    # and numpy's large operations; the threads share the layer and its index without copying
    # them, and it is one way on Linux, macOS and Windows (no fork).
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hygis-overlap") as pool:
        return _collect(
            chunks, pool.map(run, range(len(chunks))), n, geometry, progress=progress, cache=cache
        )


def overlap_layers(
    sites: ArrayLike,
    layers: list[Any],
    *,
    geometry: bool = True,
    workers: int | None = None,
    chunk_size: int = CHUNK_SITES,
    progress: Callable[[int, int], None] | None = None,
    area_scale: AreaScaleFn | None = None,
    pairs: list[bool] | None = None,
) -> list[Result]:
    """:func:`overlap` of the same sites with several layers, each chunk of sites cut once for all.

    The same numbers as one :func:`overlap` per layer sharing a :class:`SiteCache` (the same
    chunks, the same pieces), but a chunk's pieces are measured against every layer and let go,
    rather than all kept until the last layer (~120 MB for 50,000 sites). ``pairs``: per layer.
    """
    sites = np.asarray(sites, dtype=object)
    n = len(sites)
    want_pairs = list(pairs) if pairs is not None else [False] * len(layers)
    order = spatial_order(sites)
    workers = default_workers() if workers is None else max(1, workers)
    if workers > 1:
        # As overlap(): at least two chunks per worker.
        chunk_size = max(1, min(chunk_size, -(-n // (2 * workers))))
    chunks = [order[i : i + chunk_size] for i in range(0, n, chunk_size)]

    def run(k: int) -> list[ChunkResult]:
        cut, found = None, []
        for layer, want in zip(layers, want_pairs):
            a, g, p, cut = _chunk(sites[chunks[k]], layer, geometry, area_scale, want, cut)
            found.append((a, g, p, None))
        return found

    pool = None
    results: Iterator[list[ChunkResult]]
    if workers == 1 or len(chunks) < 2:
        results = map(run, range(len(chunks)))
    else:
        # Threads over the GIL-free kernels, as overlap(); each call takes the kernel it may (a
        # new machine's small calls run it uncompiled while it compiles).
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hygis-overlap")
        results = pool.map(run, range(len(chunks)))
    per_chunk, done = [], 0
    try:
        for c, found in zip(chunks, results):
            per_chunk.append(found)
            done += len(c)
            if progress:
                progress(done, n)
    finally:
        if pool is not None:
            pool.shutdown()
    return [
        _collect(chunks, (found[i] for found in per_chunk), n, geometry, progress=None)
        for i in range(len(layers))
    ]


#: The kernel, public for the engines built on it (:mod:`hygis.engine.distributed`).
chunk_overlap = _chunk

__all__ = [
    "AreaScaleFn",
    "Layer",
    "Pairs",
    "Pieces",
    "Result",
    "SiteCache",
    "chunk_overlap",
    "cut_sites",
    "default_workers",
    "disjoint_layer",
    "overlap",
    "overlap_layers",
    "site_areas",
    "spatial_order",
]
