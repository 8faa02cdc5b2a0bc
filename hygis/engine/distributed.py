"""The overlap engine on a dask.distributed cluster, both sides partitioned in space.

A province's control-line layer (millions of patches) need not fit on one worker. The sites'
extent is cut into square tiles holding about :data:`TILE_FEATURES` features each
(:func:`tile_grid`), and each task is one tile: the sites, or pieces of sites, whose centre lies
in it (:func:`partition`), and only the features near them (:func:`tile_features`: those of the
layer grid's cells they touch, a superset of those whose bounding box meets them). The client
sums the results per site. No worker ever holds the whole layer: each tile's share is
scattered to one worker, and only a few tiles per worker thread are in flight at a time.

Exact, and the local engine's numbers (:func:`hygis.engine.overlap.overlap`, to ~1e-13):

* A site within one tile, or no larger than :data:`~hygis.engine.overlap.SPLIT_CELL_M`, is sent
  whole. A larger site crossing a tile border is cut into the very pieces the engine cuts every
  site into (:func:`hygis.engine.kernel.bisect`), each piece as ``site ∩ its box`` (the pieces tile
  the site) going to the tile of its centre: the engine then measures each piece as it would
  inside the whole site, planar and ellipsoidal alike. (Cutting at the tile borders instead moves
  the points at which the ellipsoidal factor is taken: ~1e-9 relative.)
* The layer comes interior-disjoint (:func:`hygis.engine.overlap.disjoint_layer` dissolved every
  group of overlapping features once), so a tile's features are too, and a dissolved group that
  crosses tiles is present whole in each tile whose sites it meets. Each (piece, feature) pair is
  measured in exactly one tile: nothing counts twice, union semantics hold.
* A tile's features travel as the prepared arrays of :class:`hygis.engine.index.LayerIndex`,
  sliced: workers redo no preparation and decode only the features a piece crosses.

Overlap polygons are gathered per site (the union of its pieces'). Point projects are tested by
containment on the client (:func:`hygis.check.measure.measure_line`), which holds the layer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike

from hygis.engine import clip, kernel
from hygis.engine.index import GridIndex, LayerIndex
from hygis.engine.kernel import RingArrays
from hygis.engine.overlap import (
    CHUNK_SITES,
    SPLIT_CELL_M,
    AreaScaleFn,
    Pairs,
    Result,
    chunk_overlap,
    default_workers,
    spatial_order,
)
from hygis.errors import HygisInputError
from hygis.geometry import polygonal

log = logging.getLogger("hygis")

#: Features per tile, at most (a tile's pieces of sites reach up to SPLIT_CELL_M / 2 beyond it):
#: a task's memory. 50,000 patches are a few tens of MB of arrays (a worker peaked at 0.43 GB on
#: a province's 2 million, cut in 81 tiles). ``$HYGIS_TILE_FEATURES`` overrides it.
TILE_FEATURES = 50_000
#: Tiles per worker thread, at least, so that every thread has work until the end (a smaller
#: layer makes smaller tiles, down to MIN_TILE_FEATURES).
TILES_PER_THREAD = 4
#: Features per tile, at least, when the tiles are made smaller to spread a small layer.
MIN_TILE_FEATURES = 2_000
#: The finest grid :func:`tile_grid` makes (a dense cluster of features stops the refining here).
MAX_TILES = 65_536
#: Candidate features (from the grid's cells) up to which a tile's are refined box by box.
EXACT_BELOW = 5_000
#: Tiles in flight per worker thread: one computing, one arriving.
TILES_IN_FLIGHT = 2
#: Seconds to wait for a scheduler, and then for its first worker, to answer.
CONNECT_TIMEOUT_S = 10.0


def tile_features_limit(n_features: int, threads: int) -> int:
    """Features per tile for a layer of ``n_features`` on ``threads`` worker threads.

    ``$HYGIS_TILE_FEATURES`` if set (e.g. small, to test many tiles); else :data:`TILE_FEATURES`,
    or less so that there are :data:`TILES_PER_THREAD` tiles per thread (not below
    :data:`MIN_TILE_FEATURES`).

    >>> tile_features_limit(2_000_000, 2), tile_features_limit(200_000, 2), tile_features_limit(5_000, 8)
    (50000, 25000, 2000)
    """
    value = os.environ.get("HYGIS_TILE_FEATURES", "").strip()
    if not value:
        spread = -(-n_features // (TILES_PER_THREAD * max(threads, 1)))
        return min(TILE_FEATURES, max(MIN_TILE_FEATURES, spread))
    if not value.isdigit() or int(value) < 1:
        msg = f"HYGIS_TILE_FEATURES={value!r}: give a whole number of features per tile, e.g. 50000."
        raise HygisInputError(msg)
    return int(value)


# --------------------------------------------------------------------------- the kernel
def _measure(
    sites: np.ndarray, layer: Any, geometry: bool, area_scale: AreaScaleFn | None, pairs: bool
) -> tuple[np.ndarray, list | None, Pairs | None]:
    """The engine's kernel on one chunk of a tile: the one place its signature is spelled out here.

    Areas, overlap polygons (or None) and (site, feature, m²) pairs (or None), sites and features
    numbered within the chunk and the tile. ``layer`` is a :class:`~hygis.engine.index.LayerIndex`,
    which the kernel (typed for :class:`~hygis.engine.overlap.Layer`) takes as it is.
    """
    areas, geoms, found, _ = chunk_overlap(sites, layer, geometry, area_scale, pairs)
    return areas, geoms, found


# --------------------------------------------------------------------------- tiles
@dataclass(frozen=True)
class TileGrid:
    """Square tiles of side ``cell`` (m) from (``x0``, ``y0``), ``nx`` × ``ny``; tile id = iy · nx + ix.

    Points beyond the grid belong to the nearest tile at its edge.
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    def tile_of(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """The tile holding each point (x, y)."""
        ix = np.clip(np.floor((np.asarray(x, float) - self.x0) / self.cell), 0, self.nx - 1)
        iy = np.clip(np.floor((np.asarray(y, float) - self.y0) / self.cell), 0, self.ny - 1)
        return (iy * self.nx + ix).astype(np.int64)


def tile_grid(
    site_bounds: np.ndarray, feature_bounds: np.ndarray, per_tile: int, sites_per_tile: int | None = None
) -> TileGrid:
    """Square tiles over the sites' extent, fine enough that no tile holds more than ``per_tile`` features.

    Parameters
    ----------
    site_bounds, feature_bounds : (n, 4) float
        Bounding boxes (xmin, ymin, xmax, ymax) of the sites and of the layer's features (m).
    per_tile : int
        The most features one tile should hold.
    sites_per_tile : int, optional
        The most sites one tile should hold (so that a layer of a few large features, such as a
        red line, still spreads many sites over the workers). Default: no limit.

    Returns
    -------
    TileGrid
        From the features' (and sites') density over the sites' extent, then refined (side / √2
        each time) until the densest tile holds at most that many, counted by the centres of
        their boxes, or the grid has :data:`MAX_TILES` tiles.
    """
    x0, y0 = np.nanmin(site_bounds[:, 0]), np.nanmin(site_bounds[:, 1])
    w = max(float(np.nanmax(site_bounds[:, 2]) - x0), 1.0)
    h = max(float(np.nanmax(site_bounds[:, 3]) - y0), 1.0)
    f = _centres(feature_bounds)
    f = f[:, (f[0] >= x0) & (f[0] <= x0 + w) & (f[1] >= y0) & (f[1] <= y0 + h)]
    counted = [(f, per_tile), (_centres(site_bounds), sites_per_tile or len(site_bounds))]
    # The tiles cover the extent with a margin, so that its far edge lies inside the last tile.
    cell = max(w, h) * (1 + 1e-9)
    for points, most in counted:
        if points.shape[1] > most:
            cell = min(cell, float(np.sqrt(w * h * most / points.shape[1])))
    while True:
        grid = TileGrid(float(x0), float(y0), cell, int(w // cell) + 1, int(h // cell) + 1)
        dense = any(
            points.shape[1] > most and int(np.bincount(grid.tile_of(*points)).max()) > most
            for points, most in counted
        )
        if not dense or grid.nx * grid.ny * 2 > MAX_TILES:
            return grid
        cell /= np.sqrt(2.0)


def _centres(bounds: np.ndarray) -> np.ndarray:
    """(2, n): the centres of boxes (xmin, ymin, xmax, ymax)."""
    return np.vstack([(bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2])


@dataclass
class Partition:
    """The sites as items (whole sites, or pieces of them) on a :class:`TileGrid`.

    Attributes
    ----------
    grid : TileGrid
    site : (k,) int
        The site each item belongs to (an index into the sites given to :func:`partition`).
    geoms : (k,) object
        Each item: the whole site, or one of the engine's pieces of it (``site ∩ box``).
    bounds : (k, 4) float
        Each item's bounding box.
    tile : (k,) int
        The tile of each item (that of its box's centre).
    """

    grid: TileGrid
    site: np.ndarray
    geoms: np.ndarray
    bounds: np.ndarray
    tile: np.ndarray

    def tiles(self) -> list[np.ndarray]:
        """The items of each tile that has any, tile by tile (indices into the items)."""
        order = np.argsort(self.tile, kind="stable")
        cuts = np.flatnonzero(np.diff(self.tile[order])) + 1
        return np.split(order, cuts) if len(order) else []


def partition(
    sites: ArrayLike, layer: LayerIndex, per_tile: int, sites_per_tile: int | None = None
) -> Partition:
    """Cut the sites' extent into tiles and the sites into items, each item in one tile.

    Parameters
    ----------
    sites : array of Polygon/MultiPolygon or None
        In the layer's CRS (metres); None or empty ones, and those far from every feature, are
        left out (they overlap nothing).
    layer : LayerIndex
        The control line, interior-disjoint (its boxes size the grid).
    per_tile, sites_per_tile : int
        Features and sites per tile, at most (see :func:`tile_grid`).

    Returns
    -------
    Partition
        A site within one tile, or no larger than ``SPLIT_CELL_M``, is one item; a larger one
        crossing a tile border is cut into the pieces the engine cuts it into
        (:func:`hygis.engine.kernel.bisect`), which tile it, each an item.
    """
    sites = np.asarray(sites, dtype=object)
    located = np.flatnonzero(~(shapely.is_missing(sites) | shapely.is_empty(sites)))
    b = shapely.bounds(sites[located]).reshape(-1, 4)
    # Sites far from every feature overlap nothing: neither tiled nor cut (most, for a red line).
    near, _ = tile_features(layer, b)
    located, b = located[near], b[near]
    if not len(located):
        empty = np.zeros(0, np.int64)
        return Partition(TileGrid(0.0, 0.0, 1.0, 1, 1), empty, np.zeros(0, object), np.zeros((0, 4)), empty)
    grid = tile_grid(b, np.asarray(layer.tree.bounds), per_tile, sites_per_tile)
    small = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) <= SPLIT_CELL_M
    whole = small | (grid.tile_of(b[:, 0], b[:, 1]) == grid.tile_of(b[:, 2], b[:, 3]))
    cut = located[~whole]
    pieces, owner = kernel.bisect(clip.rings_of(sites[cut]), len(cut), SPLIT_CELL_M)
    pb = clip.owner_bounds(pieces, len(owner))
    piece_geoms = site_in_boxes(sites[cut[owner]], pb)
    keep = ~shapely.is_empty(piece_geoms)
    site = np.r_[located[whole], cut[owner[keep]]]
    geoms = np.concatenate([sites[located[whole]], piece_geoms[keep]])
    bounds = np.concatenate([b[whole], pb[keep]])
    tile = grid.tile_of((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2)
    return Partition(grid, site.astype(np.int64), geoms, bounds, tile)


def site_in_boxes(geoms: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Each polygon within its box (xmin, ymin, xmax, ymax): a piece of a site is ``site ∩ its box``.

    No other piece reaches into a piece's box, the halves being cut along axis-parallel lines.
    Rectangle clipping is linear in the vertices (an overlay ten times slower on long corridors);
    the few results it leaves invalid are redone by an overlay.
    """
    # shapely.clip_by_rect takes one rectangle for all; the ufunc beneath takes one per geometry.
    out = polygonal(shapely.lib.clip_by_rect(geoms, boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]))
    bad = np.flatnonzero(~shapely.is_valid(out))
    if len(bad):
        out[bad] = polygonal(shapely.intersection(geoms[bad], shapely.box(*boxes[bad].T)))
    return out


def tile_features(layer: LayerIndex, item_bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which items may meet a feature, and the features they may meet (sorted indices into ``layer``).

    From the layer's grid (:meth:`hygis.engine.index.GridIndex.near`): the features of every cell
    an item's box touches, a superset of those whose box meets one (a few % more on farmland
    patches), found 15× faster than the pairs. Where that leaves at most :data:`EXACT_BELOW`
    features (a layer of a few large features, whose cells are large), the boxes are tested
    pair by pair, which is cheap then. Items meeting no feature overlap nothing: they are not sent.
    """
    met, features = layer.tree.near(item_bounds)
    if not len(features) or len(features) > EXACT_BELOW:
        return met, features
    near = np.flatnonzero(met)
    tree = shapely.STRtree(shapely.box(*np.asarray(layer.tree.bounds[features]).T))
    item, feature = tree.query(shapely.box(*item_bounds[near].T))
    met = np.zeros(len(item_bounds), bool)
    met[near[item]] = True
    hit = np.zeros(len(features), bool)
    hit[feature] = True
    return met, features[hit]


def layer_subset(layer: LayerIndex, idx: np.ndarray) -> dict[str, Any]:
    """The prepared arrays of features ``idx`` of ``layer``, for :func:`tile_layer` (no feature built)."""
    start = np.asarray(layer.wkb_off[idx], np.int64)
    nbytes = np.asarray(layer.wkb_off[idx + 1], np.int64) - start
    first = np.asarray(layer.offsets[idx], np.int64)
    nvert = np.asarray(layer.offsets[idx + 1], np.int64) - first
    take = clip.ranges(first, nvert)
    return {
        "wkb": np.asarray(layer.wkb[clip.ranges(start, nbytes)]),
        "wkb_off": np.r_[0, np.cumsum(nbytes)],
        "areas": np.asarray(layer.areas[idx]),
        "convex": np.asarray(layer.convex[idx]),
        "clippable": np.asarray(layer.clippable[idx]),
        "offsets": np.r_[0, np.cumsum(nvert)],
        "cx": np.asarray(layer.cx[take]),
        "cy": np.asarray(layer.cy[take]),
        "bounds": np.asarray(layer.tree.bounds[idx]),
        "rings": ring_subset(layer.ring_arrays(), idx),
    }


def ring_subset(rings: RingArrays, idx: np.ndarray) -> RingArrays:
    """The rings of owners ``idx`` (renumbered 0…len(idx) − 1)."""
    n_rings = np.asarray(rings.start[idx + 1] - rings.start[idx], np.int64)
    ring = clip.ranges(np.asarray(rings.start[idx], np.int64), n_rings)
    count = np.asarray(rings.off[ring + 1] - rings.off[ring], np.int64)
    vert = clip.ranges(np.asarray(rings.off[ring], np.int64), count)
    return RingArrays(
        np.asarray(rings.x[vert], np.float64),
        np.asarray(rings.y[vert], np.float64),
        np.r_[0, np.cumsum(count)].astype(np.int64),
        np.asarray(rings.sign[ring], np.float64),
        np.r_[0, np.cumsum(n_rings)].astype(np.int64),
    )


def tile_layer(arrays: dict[str, Any]) -> LayerIndex:
    """A tile's features as a :class:`~hygis.engine.index.LayerIndex` (built where the tile is measured)."""
    a = arrays
    layer = LayerIndex.from_arrays(
        a, tree=GridIndex.build(a["bounds"]), source_row=np.arange(len(a["areas"])), rings=a["rings"]
    )
    return layer


def _run_tile(
    tile: dict[str, Any], geometry: bool, area_scale: AreaScaleFn | None, pairs: bool, chunk_size: int
) -> tuple[np.ndarray, np.ndarray | None, Pairs | None]:
    """On a worker: each item's overlap in one tile, in chunks of ``chunk_size`` compact items.

    Returns the areas, the overlap polygons as WKB (or None), and the (item, feature, m²) pairs
    (or None), items and features numbered within the tile.
    """
    layer = tile_layer(tile["layer"])
    items = shapely.from_wkb(tile["items"])
    areas = np.zeros(len(items))
    shapes = np.full(len(items), None, dtype=object) if geometry else None
    found: list[Pairs] = []
    order = spatial_order(items)
    for start in range(0, len(items), chunk_size):
        chunk = order[start : start + chunk_size]
        a, g, p = _measure(items[chunk], layer, geometry, area_scale, pairs)
        areas[chunk] = a
        if shapes is not None and g is not None:
            shapes[chunk] = g
        if p is not None:
            found.append((chunk[p[0]], p[1], p[2]))
    wkb = None if shapes is None else shapely.to_wkb(shapes)
    return areas, wkb, (_concat(found) if pairs else None)


def _concat(found: list[Pairs]) -> Pairs:
    """Pairs of several chunks (or tiles) as one."""
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    site, feature, m2 = (np.concatenate(v) for v in zip(*found))
    return site, feature, m2


def site_feature_sums(found: Pairs, n_features: int) -> Pairs:
    """Pieces' (site, feature, m²) summed per (site, feature), sorted by site then feature."""
    site, feature, m2 = found
    key, inv = np.unique(site.astype(np.int64) * n_features + feature, return_inverse=True)
    return key // n_features, key % n_features, np.bincount(inv.ravel(), weights=m2, minlength=len(key))


# --------------------------------------------------------------------------- running the tiles
def _tasks(
    part: Partition,
    layer: LayerIndex,
    skipped: Callable[[np.ndarray], None],
    held: list[tuple[int, int]],
) -> Iterator[tuple[tuple[np.ndarray, np.ndarray], dict[str, Any]]]:
    """Each tile with features: its (items, features) (indices) and what its task needs, built as sent.

    The items that meet no feature's box are passed to ``skipped`` (their overlap is 0);
    ``held`` receives the number of items and of features of each tile sent.
    """
    for items in part.tiles():
        met, features = tile_features(layer, part.bounds[items])
        skipped(items[~met])
        items = items[met]
        if len(items):
            held.append((len(items), len(features)))
            # WKB, encoded at once: pickling geometries one by one costs 40× more.
            payload = {"items": shapely.to_wkb(part.geoms[items]), "layer": layer_subset(layer, features)}
            yield (items, features), payload


def _on_cluster(
    client: Any, tasks: Iterator, geometry: bool, area_scale: AreaScaleFn | None, pairs: bool, chunk_size: int
) -> Iterator[tuple[Any, tuple]]:
    """Run the tiles on a ``distributed.Client``: each scattered to one worker, a few per thread in flight."""
    from distributed import KilledWorker, as_completed  # noqa: PLC0415 - the dask extra, only on a cluster
    from distributed.client import FutureCancelledError  # noqa: PLC0415 - as above

    # A key of its own (hash=False): with the content's hash, the three lines' checks shared one key,
    # and the first line's release of it took the data from under the next line's tiles ("lost
    # dependencies").
    scale = client.scatter(area_scale, broadcast=True, hash=False) if area_scale is not None else None
    slots = TILES_IN_FLIGHT * max(1, sum(client.nthreads().values()))
    running = as_completed(loop=client.loop)
    items_of: dict[str, tuple[tuple[Any, dict], Any, int]] = {}

    def send(task: tuple[Any, dict], tries: int = 0) -> None:
        data = client.scatter([task[1]], hash=False)[0]  # one worker, never broadcast
        future = client.submit(_run_tile, data, geometry, scale, pairs, chunk_size, pure=False)
        items_of[future.key] = (task, data, tries)
        running.add(future)

    for task in islice(tasks, slots):
        send(task)
    for future in running:
        sent, data, tries = items_of.pop(future.key)
        what = sent[0]
        try:
            result = future.result()
        except FutureCancelledError:
            # The worker holding the tile's data left the cluster (restarted, or dropped by the
            # scheduler when a long kernel starved its heartbeat): the tile is sent again, from
            # here, where its data still is; a tile lost three times is an error, said plainly.
            if tries >= 2:
                msg = (
                    f"A tile of {len(what[0]):,} projects or pieces was lost three times on the dask "
                    "cluster (its workers keep leaving). Check the workers' logs, or run the check "
                    "with the local engine (--engine local)."
                )
                raise HygisInputError(msg) from None
            send(sent, tries + 1)
            continue
        except KilledWorker:
            msg = (
                f"A dask worker died measuring a tile of {len(what[0]):,} projects or pieces "
                "(out of memory?). "
                "Give the workers more memory (dask worker --memory-limit), or smaller tiles: "
                "HYGIS_TILE_FEATURES=20000 hygis check …"
            )
            raise HygisInputError(msg) from None
        future.release()
        data.release()
        task = next(tasks, None)
        if task is not None:
            send(task)
        yield what, result


def _on_local_dask(
    tasks: Iterator, geometry: bool, area_scale: AreaScaleFn | None, pairs: bool, chunk_size: int
) -> Iterator[tuple[Any, tuple]]:
    """Run the tiles on dask's local scheduler (no cluster given), a few per core at a time."""
    try:
        import dask  # noqa: PLC0415 - the dask extra, only for this engine
    except ImportError:
        msg = "The dask engine needs dask: pip install 'hygis[dask]' (or use the local engine)."
        raise HygisInputError(msg) from None
    slots = TILES_IN_FLIGHT * default_workers()
    while batch := list(islice(tasks, slots)):
        jobs = [dask.delayed(_run_tile)(p, geometry, area_scale, pairs, chunk_size) for _, p in batch]
        yield from zip((what for what, _ in batch), dask.compute(*jobs))


def _current_client() -> Any:
    """The current ``distributed`` client, if there is one."""
    try:
        from distributed import default_client  # noqa: PLC0415 - optional

        return default_client()
    except (ImportError, ValueError):
        return None


def _per_site(site: np.ndarray, shapes: np.ndarray, n: int) -> list:
    """One (Multi)Polygon per site: its items' overlap polygons, unioned where it has several."""
    out = np.full(n, None, dtype=object)
    has = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    site, shapes = site[has], shapes[has]
    order = np.argsort(site, kind="stable")
    site, shapes = site[order], shapes[order]
    owners, first, count = np.unique(site, return_index=True, return_counts=True)
    out[owners[count == 1]] = shapes[first[count == 1]]
    multi = np.flatnonzero(count > 1)
    if len(multi):
        # One row per site, its pieces' polygons side by side (padded with None): one union per row.
        row = np.repeat(np.arange(len(multi)), count[multi])
        sel = clip.ranges(first[multi], count[multi])
        table = np.full((len(multi), int(count[multi].max())), None, dtype=object)
        table[row, sel - np.repeat(first[multi], count[multi])] = shapes[sel]
        out[owners[multi]] = polygonal(shapely.union_all(table, axis=1))
    return list(out)


def _spread(sites: np.ndarray, layer: LayerIndex, threads: int, per_tile: int | None) -> Partition:
    """The partition for ``threads`` worker threads: tiles bounded in features and in sites."""
    located = int(np.count_nonzero(~(shapely.is_missing(sites) | shapely.is_empty(sites))))
    sites_per_tile = max(CHUNK_SITES, -(-located // (TILES_PER_THREAD * threads)))
    return partition(sites, layer, per_tile or tile_features_limit(len(layer), threads), sites_per_tile)


def _log_tiling(held: list[tuple[int, int]], part: Partition, n_sites: int, n_features: int) -> None:
    """One line (``hygis -v``) on how the layer was cut: no tile should hold more than a part of it."""
    sent = np.array(held, dtype=np.int64).reshape(-1, 2)
    log.info(
        "dask: %d tiles sent of %d; %d items (whole sites or pieces) of %d sites meet the layer; "
        "features per tile at most %d of the layer's %d, %.2f× the layer sent in all",
        len(sent),
        len(np.unique(part.tile)),
        sent[:, 0].sum(),
        n_sites,
        sent[:, 1].max(initial=0),
        n_features,
        sent[:, 1].sum() / max(n_features, 1),
    )


def overlap_dask(
    sites: ArrayLike,
    layer: Any,
    *,
    geometry: bool = True,
    chunk_size: int = CHUNK_SITES,
    client: Any = None,
    progress: Callable[[int, int], None] | None = None,
    area_scale: AreaScaleFn | None = None,
    pairs: bool = False,
    per_tile: int | None = None,
) -> Result:
    """:func:`hygis.engine.overlap.overlap` on a dask cluster, the sites and the layer partitioned in tiles.

    Parameters
    ----------
    sites : array of Polygon/MultiPolygon or None
        Project footprints in the layer's projected CRS; None or empty = not located (area 0).
    layer : Layer or LayerIndex
        From :func:`hygis.engine.overlap.disjoint_layer`, or prepared (e.g. from the cache).
    geometry : bool
        Also return the overlap polygon of each site (None where there is none).
    chunk_size : int
        Items a worker measures at once within a tile.
    client : distributed.Client, optional
        The cluster; default the current client, else dask's local scheduler (this machine).
    progress : callable, optional
        Called with (sites done, sites total) as tiles come back.
    area_scale : AreaScale, optional
        Measure on the ellipsoid (:class:`hygis.engine.area.AreaScale`), as :func:`overlap` does.
    pairs : bool
        Also give the area of every (site, feature) overlap, features numbered as in ``layer``.
    per_tile : int, optional
        Features per tile, about (default :func:`tile_features_limit` for the layer and the cluster).

    Returns
    -------
    Result
        As :func:`hygis.engine.overlap.overlap`: m² per site in the sites' order, the polygons, the pairs.
    """
    sites = np.asarray(sites, dtype=object)
    n = len(sites)
    index = layer if isinstance(layer, LayerIndex) else LayerIndex.from_layer(layer)
    client = client if client is not None else _current_client()
    threads = sum(client.nthreads().values()) if client is not None else default_workers()
    part = _spread(sites, index, threads, per_tile)
    item_area = np.zeros(len(part.site))
    item_shape = np.full(len(part.site), None, dtype=object)
    found: list[Pairs] = []
    left = np.bincount(part.site, minlength=n)

    def skipped(items: np.ndarray) -> None:
        np.subtract.at(left, part.site[items], 1)

    held: list[tuple[int, int]] = []
    tasks = _tasks(part, index, skipped, held)
    results = (
        _on_cluster(client, tasks, geometry, area_scale, pairs, chunk_size)
        if client is not None
        else _on_local_dask(tasks, geometry, area_scale, pairs, chunk_size)
    )
    for (items, features), (areas, shapes, got) in results:
        item_area[items] = areas
        if shapes is not None:
            item_shape[items] = shapely.from_wkb(shapes)
        if got is not None:
            found.append((items[got[0]], features[got[1]], got[2]))  # (item, feature of the layer, m²)
        np.subtract.at(left, part.site[items], 1)
        if progress:
            progress(n - int(np.count_nonzero(left)), n)
    _log_tiling(held, part, n, len(index))
    # Summed in item order, whatever order the tiles came back in: the same figures every run.
    out = np.zeros(n)
    np.add.at(out, part.site, item_area)
    geoms = _per_site(part.site, item_shape, n) if geometry else None
    return Result(out, geoms, _pairs_per_site(found, part.site, len(index)) if pairs else None)


def _pairs_per_site(found: list[Pairs], item_site: np.ndarray, n_features: int) -> Pairs:
    """The tiles' (item, feature, m²) as (site, feature, m²), summed over a site's pieces in item order."""
    item, feature, m2 = _concat(found)
    order = np.lexsort((item, feature, item_site[item]))
    return site_feature_sums((item_site[item][order], feature[order], m2[order]), n_features)


# --------------------------------------------------------------------------- the cluster
def _ready_worker() -> str:
    """On a worker: load the engine and its compiled kernel before the first tile; hygis's version."""
    from hygis import __version__  # noqa: PLC0415 - run on a worker, where hygis is imported by this call
    from hygis.engine import kernel  # noqa: PLC0415

    spatial_order(np.zeros(0, dtype=object))  # imports geopandas, which orders a tile's items
    kernel.warm_up()
    return __version__


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S) -> Any:
    """A ``distributed.Client`` on the scheduler at ``address``, with workers running this hygis.

    Raises
    ------
    HygisInputError
        distributed is not installed; no scheduler answers at ``address`` within ``timeout``
        seconds; it has no worker; or a worker cannot run this version of hygis. Each message
        names the address and the fix.
    """
    try:
        from distributed import Client  # noqa: PLC0415 - the dask extra, only for a cluster
    except ImportError:
        msg = (
            f"--scheduler {address}: dask.distributed is not installed. "
            "Install it with pip install 'hygis[dask]' (here and on every worker)."
        )
        raise HygisInputError(msg) from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError):
        msg = (
            f"No dask scheduler answered at {address} within {timeout:g} s. "
            f"Start one there with `dask scheduler` and a worker on each machine with "
            f"`dask worker {address}`, or correct the address."
        )
        raise HygisInputError(msg) from None
    try:
        _check_workers(client, address, timeout)
    except BaseException:
        client.close()
        raise
    return client


def _check_workers(client: Any, address: str, timeout: float) -> None:
    """Refuse a cluster without workers, or whose workers run another hygis (the tasks would fail)."""
    from hygis import __version__  # noqa: PLC0415 - the package imports the engine

    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        msg = (
            f"The dask scheduler at {address} has no workers. Start one on each machine with "
            f"`dask worker {address}` (hygis {__version__} installed there)."
        )
        raise HygisInputError(msg) from None
    try:
        versions = client.run(_ready_worker)
    except Exception as exc:  # whatever a worker failed on (unpickling, importing), the fix is one
        msg = (
            f"The workers of {address} cannot run hygis ({type(exc).__name__}: {exc}). "
            f"Install hygis {__version__} on every worker: pip install 'hygis[dask]=={__version__}'."
        )
        raise HygisInputError(msg) from None
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        worker, version = next(iter(other.items()))
        msg = (
            f"Worker {worker} of {address} runs hygis {version}, this machine {__version__}: "
            f"install hygis {__version__} on every worker ({len(other)} differ)."
        )
        raise HygisInputError(msg)


def scheduler_address(scheduler: str | None, engine: str | None) -> tuple[str, str | None]:
    """The engine to run and the scheduler to connect to, from ``--engine`` and ``--scheduler``.

    ``--scheduler`` implies the dask engine; ``--engine dask`` alone takes
    ``$DASK_SCHEDULER_ADDRESS`` if set (else dask's local scheduler on this machine). No engine
    given and no scheduler: the local engine.
    """
    if scheduler and engine == "local":
        msg = f"--scheduler {scheduler} runs the check on a dask cluster: drop --engine local or --scheduler."
        raise HygisInputError(msg)
    if scheduler:
        return "dask", scheduler
    if engine == "dask":
        return "dask", os.environ.get("DASK_SCHEDULER_ADDRESS", "").strip() or None
    return engine or "local", None


@contextmanager
def cluster_client(scheduler: str | None, engine: str | None) -> Iterator[tuple[str, Any]]:
    """``(engine, client)`` for a command's flags: a client on the scheduler while the block runs, or None."""
    engine, address = scheduler_address(scheduler, engine)
    if address is None:
        yield engine, None
        return
    client = connect(address)
    try:
        yield engine, client
    finally:
        client.close()


@contextmanager
def local_cluster(
    folder: str | os.PathLike,
    *,
    workers: int = 2,
    memory_limit: str = "2GiB",
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> Iterator[tuple[str, list[int]]]:
    """A real cluster on this machine: ``dask scheduler`` on a free port of 127.0.0.1 and
    ``workers`` × ``dask worker`` (one thread each), as separate processes, stopped on exit.

    To try ``hygis check --scheduler`` before a bureau sets up several machines, and what the tests
    and ``benchmarks/bench_cluster.py`` run on. Logs and the workers' spill folders go in ``folder``.

    Yields
    ------
    (address, worker process ids)
    """
    import json  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import time  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    import distributed  # noqa: PLC0415

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = folder / "scheduler.json"
    info.unlink(missing_ok=True)
    procs: list[subprocess.Popen] = []
    logs = []

    def start(name: str, args: list[str]) -> subprocess.Popen:
        log = open(folder / f"{name}.log", "w")  # closed when the cluster stops
        logs.append(log)
        cmd = [sys.executable, "-m", "dask", *args]
        procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
        return procs[-1]

    try:
        start(
            "scheduler",
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
        )
        deadline = time.monotonic() + timeout
        while not info.exists():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                msg = f"the dask scheduler did not start: see {folder / 'scheduler.log'}"
                raise RuntimeError(msg)
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        pids = [
            start(
                f"worker{k}",
                ["worker", address, "--nthreads", "1", "--no-dashboard", "--memory-limit", memory_limit,
                 "--local-directory", str(folder / f"worker{k}")],
            ).pid
            for k in range(workers)
        ]  # fmt: skip
        with distributed.Client(address, timeout=timeout) as client:
            client.wait_for_workers(workers, timeout=timeout)
        yield address, pids
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


__all__ = [
    "CONNECT_TIMEOUT_S",
    "TILE_FEATURES",
    "Partition",
    "TileGrid",
    "cluster_client",
    "connect",
    "layer_subset",
    "local_cluster",
    "overlap_dask",
    "partition",
    "ring_subset",
    "scheduler_address",
    "site_feature_sums",
    "site_in_boxes",
    "tile_features",
    "tile_features_limit",
    "tile_grid",
    "tile_layer",
]
