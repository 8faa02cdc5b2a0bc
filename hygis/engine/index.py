"""A control-line layer prepared once for overlap queries, as plain arrays, cached between checks.

Offices check batch after batch of projects against the same control-line database. Preparing a
200,000-patch layer (reading, repairing, reprojecting, dissolving overlapping features, the hulls
the clipping kernel needs) costs seconds; the prepared layer is a handful of numpy arrays that
load in milliseconds. :class:`DeferredLayer` keeps them in the user cache directory
(``platformdirs.user_cache_dir("hygis")``, or ``$HYGIS_CACHE_DIR``), keyed by the file's content
and everything that changes the result (the area CRS, the reading options, the format version and
the code that prepared it, :func:`code_digest`):

* a file whose stamp is the one recorded is not hashed again (fast path). The stamp is device,
  inode, size, modification *and change* time (ns) of every file of the source: ``touch``,
  ``cp -p``, ``rsync -a`` or an unzip can set the modification time back, not the change time,
  so a replaced or edited file never matches an old stamp (on Windows, where ``st_ctime`` is the
  creation time, no stamp is trusted: the content is hashed every time, :data:`TRUST_STAMPS`);
* otherwise its bytes are hashed (SHA-256; for a shapefile its sidecars, for a folder such as a
  FileGDB every file in it) and a changed file gets a new entry: an edited layer is never
  answered from a stale index;
* a prepared index is checked against the sizes and CRC-32 of its arrays when loaded: a damaged
  or truncated one is said and rebuilt, never answered from. Entries are written to a temporary
  folder and renamed: checks run at once on a cold cache see a whole entry or none.

Without a writable cache folder a check runs without a cache, and says so once.

:class:`LayerIndex` quacks like :class:`hygis.overlap.Layer` (``geoms``, ``areas``, ``tree``,
``convex``, ``clippable``, ``offsets``, ``cx``, ``cy``), so the overlap engine
runs on it unchanged; its ``tree`` is a uniform grid over the features' bounding boxes
(:class:`GridIndex`), and its geometries are decoded from WKB only for the features a query
needs (those crossing a site, and for overlap polygons).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import mmap
import os
import shutil
import tempfile
import time
import uuid
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from hygis import settings
from hygis.engine import clip, kernel
from hygis.engine.kernel import RingArrays
from hygis.engine.validity import is_valid
from hygis.errors import HygisInputError
from hygis.geometry import project

#: Bumped whenever the stored arrays change meaning: older entries are then ignored.
FORMAT_VERSION = 4
#: From this many features a layer's validity is tested in a thread while its index is prepared.
SETTLE_IN_THREAD = 20_000
#: The code that decides what a prepared layer holds (paths in the ``hygis`` package; a folder is
#: its modules): reading and repairing the file, projecting it, dissolving and preparing it. Its
#: digest is in every key (:func:`code_digest`), so that an index is never answered from after
#: an upgrade or a fix that changes what it would hold, whether FORMAT_VERSION was bumped or not.
PREPARING_CODE = ("engine", "io", "geometry.py", "crs.py", "plan/inputs.py")
#: The tables in ``data/`` that reading uses (field aliases for the attributes an index keeps, the
#: DBF code pages, the Gauss–Krüger datums, the control lines' layer names): in the digest too.
PREPARING_DATA = (
    "field_aliases.csv",
    "dbf_language_drivers.csv",
    "gauss_kruger.json",
    "control_line_layers.csv",
)
#: A file changed this recently (ns) is hashed again next time: a same-size edit within the file
#: system's time-stamp tick after its stamp was recorded would otherwise match it ("racy" stamps).
RACY_NS = 2_000_000_000
#: Whether a file's stamp may stand for its content. Not on Windows: there ``st_ctime`` is the
#: creation time, which a copy over an existing file (or NTFS "tunnelling") keeps, so only the
#: content tells (SHA-256, ~0.15 s for a 77 MB layer).
TRUST_STAMPS = os.name != "nt"


class DamagedIndex(ValueError):
    """A prepared index on disk that is not what was written (truncated, corrupt, incomplete)."""


_ARRAYS = (
    "wkb",
    "wkb_off",
    "areas",
    "bounds",
    "convex",
    "clippable",
    "offsets",
    "cx",
    "cy",
    "cell_start",
    "cell_feat",
    "source_row",
    "ring_x",
    "ring_y",
    "ring_off",
    "ring_sign",
    "ring_start",
)


def cache_root() -> Path:
    """Where prepared layers are kept: ``$HYGIS_CACHE_DIR`` or the user cache directory, ``layers/`` in it."""
    return settings.cache_dir() / "layers"


#: Boxes whose grid cells are listed at a time (:func:`_cells_of`).
CELLS_PART = 32_768


# --------------------------------------------------------------------------- the grid index
@dataclass
class GridIndex:
    """A uniform grid over bounding boxes: cell ``c`` lists ``cell_feat[cell_start[c]:cell_start[c + 1]]``.

    Answers the same candidates as ``shapely.STRtree(boxes).query(box)`` (boxes that meet,
    boundaries included), as pure numpy on arrays that can be memory-mapped.
    """

    bounds: np.ndarray
    origin: tuple[float, float]
    cell: float
    shape: tuple[int, int]
    cell_start: np.ndarray
    cell_feat: np.ndarray
    #: The features, indexable as an object array; needed only for a ``predicate``.
    geoms: Any = None

    @classmethod
    def build(cls, bounds: np.ndarray) -> GridIndex:
        """Cells about twice the median feature's extent, coarsened until each feature spans few cells."""
        bounds = np.asarray(bounds, dtype=float)
        ok = np.isfinite(bounds).all(axis=1)
        if not ok.any():
            return cls(bounds, (0.0, 0.0), 1.0, (1, 1), np.zeros(2, np.int64), np.zeros(0, np.int32))
        b = bounds[ok]
        x0, y0 = float(b[:, 0].min()), float(b[:, 1].min())
        span = max(float(b[:, 2].max()) - x0, float(b[:, 3].max()) - y0, 1e-9)
        extent = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        cell = max(2.0 * float(np.median(extent)), span / 2048, 1e-9)
        while True:
            nx, ny = int((b[:, 2].max() - x0) // cell) + 1, int((b[:, 3].max() - y0) // cell) + 1
            spans = ((b[:, 2] - x0) // cell - (b[:, 0] - x0) // cell + 1) * (
                (b[:, 3] - y0) // cell - (b[:, 1] - y0) // cell + 1
            )
            if spans.sum() <= 8 * len(b) + 100_000:
                break
            cell *= 2
        ids = np.flatnonzero(ok).astype(np.int32)
        cells, feat = _cells_of(b, (x0, y0), cell, (nx, ny), ids)
        order = np.argsort(cells, kind="stable")
        start = np.searchsorted(cells[order], np.arange(nx * ny + 1))
        return cls(bounds, (x0, y0), cell, (nx, ny), start.astype(np.int64), feat[order])

    def query(self, geoms: Any, predicate: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(query index, feature index) of every pair whose bounding boxes meet, sorted by both.

        ``geoms`` are shapely geometries; their bounds are used. A ``predicate`` (a shapely
        binary predicate's name, e.g. ``"intersects"``) is then tested on the candidates.
        """
        arr = np.asarray(geoms, dtype=object)
        qi, fj = self.query_bounds(shapely.bounds(arr))
        if predicate is None or not len(qi):
            return qi, fj
        if self.geoms is None:
            msg = "GridIndex.query: a predicate needs the features (GridIndex.geoms)"
            raise ValueError(msg)
        feats, inv = np.unique(fj, return_inverse=True)
        keep = getattr(shapely, predicate)(arr[qi], self.geoms[feats][inv])
        return qi[keep], fj[keep]

    def query_bounds(self, qb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`query` for an (m, 4) array of boxes."""
        qb = np.asarray(qb, dtype=float).reshape(-1, 4)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if not len(qb) or not len(self.cell_feat):
            return empty
        return kernel.grid_pairs(
            qb, self.origin, self.cell, self.shape, self.cell_start, self.cell_feat, self.bounds
        )

    def near(self, qb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of the (m, 4) boxes touch a cell holding a feature, and every feature of those cells.

        A superset of :meth:`query_bounds`' features (a cell's features need not meet the box)
        found without forming a pair: its cost is in cells, not in candidates. What a partition
        needs to send a tile every feature its sites may meet (:mod:`hygis.engine.distributed`).
        """
        qb = np.asarray(qb, dtype=float).reshape(-1, 4)
        ok = np.flatnonzero(np.isfinite(qb).all(axis=1))
        cells, box = _cells_of(qb[ok], self.origin, self.cell, self.shape, ok)
        count = self.cell_start[cells + 1] - self.cell_start[cells]
        met = np.zeros(len(qb), bool)
        met[box[count > 0]] = True
        used = np.zeros(self.shape[0] * self.shape[1], bool)
        used[cells] = True
        c = np.flatnonzero(used)
        hit = np.zeros(len(self.bounds), bool)
        count = self.cell_start[c + 1] - self.cell_start[c]
        hit[self.cell_feat[clip.ranges(self.cell_start[c], count)]] = True
        return met, np.flatnonzero(hit)


def _cells_of(
    b: np.ndarray, origin: tuple[float, float], cell: float, shape: tuple[int, int], ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(cell, feature) for every cell each box covers, :data:`CELLS_PART` boxes at a time.

    By parts: a layer's boxes at once made ~10 temporaries of 8 bytes per (cell, box) pair
    (~80 MB for 2·10⁵ patches), held at the top of a cold check's memory. The cells are int32
    (a grid has at most ~2049² cells, see :meth:`GridIndex.build`).
    """
    nx, ny = shape
    x0, y0 = origin
    cells, feats = [], []
    for at in range(0, len(b), CELLS_PART):
        part = b[at : at + CELLS_PART]
        ix0 = np.clip(((part[:, 0] - x0) // cell).astype(np.int64), 0, nx - 1)
        ix1 = np.clip(((part[:, 2] - x0) // cell).astype(np.int64), 0, nx - 1)
        iy0 = np.clip(((part[:, 1] - y0) // cell).astype(np.int64), 0, ny - 1)
        iy1 = np.clip(((part[:, 3] - y0) // cell).astype(np.int64), 0, ny - 1)
        wx, wy = ix1 - ix0 + 1, iy1 - iy0 + 1
        n = wx * wy
        fi = np.repeat(np.arange(len(part)), n)
        k = clip.ranges(np.zeros(len(part), np.int64), n)
        cells.append(((iy0[fi] + k // wx[fi]) * nx + ix0[fi] + k % wx[fi]).astype(np.int32))
        feats.append(ids[at : at + CELLS_PART][fi])
    if not cells:
        return np.zeros(0, np.int32), ids[:0]
    return np.concatenate(cells), np.concatenate(feats)


# --------------------------------------------------------------------------- the prepared layer
class LazyGeoms:
    """The layer's features built on demand (indexing as a numpy object array).

    Polygons are rebuilt from the kernel's ring arrays (:meth:`hygis.engine.kernel.RingArrays.polygons`);
    the rare feature without rings (not a polygon) is kept as WKB.
    """

    def __init__(self, wkb: np.ndarray, off: np.ndarray, rings: RingArrays):
        self._wkb, self._off, self._rings = wkb, off, rings
        self._done: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._off) - 1

    def __getitem__(self, idx: Any) -> np.ndarray:
        if self._done is not None:
            return self._done[idx]
        sel = np.arange(len(self))[idx]
        scalar = np.ndim(sel) == 0
        out = self._build(np.atleast_1d(sel))
        return out[0] if scalar else out

    def _build(self, sel: np.ndarray) -> np.ndarray:
        out = np.empty(len(sel), dtype=object)
        blob = (self._off[sel + 1] - self._off[sel]) > 0
        out[~blob] = self._rings.polygons(sel[~blob])
        if blob.any():
            data = [self._wkb[self._off[i] : self._off[i + 1]].tobytes() for i in sel[blob].tolist()]
            out[blob] = shapely.from_wkb(np.array(data, dtype=object))
        return out

    def all(self) -> np.ndarray:
        """Every feature (built once and kept)."""
        if self._done is None:
            self._done = self._build(np.arange(len(self)))
        return self._done


@dataclass
class LayerIndex:
    """An interior-disjoint control-line layer as arrays, ready for :func:`hygis.overlap.overlap`.

    Attributes
    ----------
    areas : (n,) float
        Area of each feature (square units of the area CRS, m²).
    convex, clippable, offsets, cx, cy
        As :class:`hygis.overlap.Layer`: which features are convex, and their vertices as clippers.
    tree : GridIndex
        Bounding-box candidates.
    source_row : (n,) int
        Each feature's row in the file (−1 for a group of overlapping features merged into one).
    attributes : dict of (rows,) arrays
        Per row of the file, the survey attributes the check itemises (``land_class``,
        ``quality_grade``: see :func:`hygis.io.fields.survey_attributes`), so that a cached layer
        answers them without reading the file.
    meta : dict
        ``crs`` (WKT), ``features_read``, ``dissolved_groups``, ``dissolved_features``, ``notes``
        (what reading the file said), ``source``, ``key``.
    """

    wkb: np.ndarray
    wkb_off: np.ndarray
    areas: np.ndarray
    convex: np.ndarray
    clippable: np.ndarray
    offsets: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    tree: GridIndex
    source_row: np.ndarray
    #: The features' rings for the compiled kernel (:class:`hygis.engine.kernel.RingArrays`).
    rings: Any
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.geoms = LazyGeoms(self.wkb, self.wkb_off, self.rings)
        self.tree.geoms = self.geoms

    def ring_arrays(self) -> Any:
        """The features' rings as flat arrays for the compiled kernel."""
        return self.rings

    @property
    def dissolved_groups(self) -> int:
        return int(self.meta.get("dissolved_groups", 0))

    @property
    def dissolved_features(self) -> int:
        return int(self.meta.get("dissolved_features", 0))

    def __len__(self) -> int:
        return len(self.areas)

    @classmethod
    def from_layer(
        cls, layer: Any, meta: dict | None = None, attributes: dict[str, np.ndarray] | None = None
    ) -> LayerIndex:
        """From a :class:`hygis.overlap.Layer` (the features already interior-disjoint)."""
        # Indexed, never made whole: a layer's features may be built on demand (LazyGeoms).
        geoms = layer.geoms if isinstance(layer.geoms, LazyGeoms) else np.asarray(layer.geoms, dtype=object)
        # Polygons are kept as the kernel's rings (rebuilt on demand); only others need WKB.
        rings = layer.ring_arrays()
        other = np.flatnonzero(np.diff(rings.start) == 0)
        lengths = np.zeros(len(geoms), np.int64)
        wkb = np.zeros(0, np.uint8)
        if len(other):
            blobs = shapely.to_wkb(geoms[other])
            lengths[other] = [len(b) for b in blobs]
            wkb = np.frombuffer(b"".join(blobs), dtype=np.uint8)
        # The layer's own grid (the same boxes), without its features: the index has its own.
        grid = layer.tree
        if not isinstance(grid, GridIndex):
            grid = GridIndex.build(shapely.bounds(geoms))
        return cls(
            wkb=wkb,
            wkb_off=np.r_[0, np.cumsum(lengths)],
            areas=np.asarray(layer.areas, float),
            convex=layer.convex,
            clippable=layer.clippable,
            offsets=layer.offsets,
            cx=layer.cx,
            cy=layer.cy,
            tree=dataclasses.replace(grid, geoms=None),
            source_row=np.arange(len(geoms)) if layer.source_row is None else np.asarray(layer.source_row),
            rings=rings,
            attributes=dict(attributes or {}),
            meta=dict(meta or {}),
            token=layer.token,
        )

    # ---- storage
    def save(self, folder: Path) -> None:
        """Write the arrays (``.npy``, memory-mappable) and ``meta.json`` into ``folder`` (atomically).

        The entry is written in a temporary folder and renamed into place; where ``folder`` is
        already there (another check of the same file, at once) that one is kept: its key says
        it holds the same.
        """
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
        try:
            arrays = {
                name: getattr(self, name)
                for name in _ARRAYS
                if name not in ("bounds", "cell_start", "cell_feat") and not name.startswith("ring_")
            }
            arrays.update({f"attr_{name}": values for name, values in self.attributes.items()})
            for name in ("x", "y", "off", "sign", "start"):
                arrays[f"ring_{name}"] = getattr(self.rings, name)
            arrays.update(
                bounds=self.tree.bounds, cell_start=self.tree.cell_start, cell_feat=self.tree.cell_feat
            )
            files = {}
            for name, arr in arrays.items():
                files[f"{name}.npy"] = _save_checked(tmp / f"{name}.npy", arr)
            grid = {"origin": list(self.tree.origin), "cell": self.tree.cell, "shape": list(self.tree.shape)}
            meta = {
                **self.meta,
                "grid": grid,
                "format": FORMAT_VERSION,
                "token": self.token,
                "attributes": sorted(self.attributes),
                "files": files,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
            try:
                os.rename(tmp, folder)
            except OSError:
                if not (folder / "meta.json").exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LayerIndex:
        """Read a saved index (arrays memory-mapped: only the pages a query touches are read).

        Copy-on-write maps: writeable like the arrays of a layer built in memory (so the compiled
        kernel has one variant to load, not two), while nothing is ever written back to the file.
        """
        folder = Path(folder)
        LOADED.append(str(folder))
        stamp = _meta_stamp(folder)
        kept = _MEMO.get(str(folder))
        if kept is not None and kept[0] == stamp:
            return kept[1]
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DamagedIndex(f"meta.json unreadable ({exc})") from exc
        if meta.get("format") != FORMAT_VERSION:
            msg = f"{folder}: prepared layer of format {meta.get('format')}, not {FORMAT_VERSION}"
            raise ValueError(msg)
        _verify(folder, meta.pop("files", None))
        a = {name: np.load(folder / f"{name}.npy", mmap_mode="c") for name in _ARRAYS}
        g = meta.pop("grid")
        tree = GridIndex(
            a["bounds"],
            tuple(g["origin"]),
            float(g["cell"]),
            tuple(g["shape"]),
            a["cell_start"],
            a["cell_feat"],
        )
        token = meta.pop("token")
        attributes = {name: np.load(folder / f"attr_{name}.npy") for name in meta.pop("attributes", [])}
        rings = RingArrays(*(np.asarray(a[f"ring_{k}"]) for k in ("x", "y", "off", "sign", "start")))
        return cls.from_arrays(
            a,
            tree=tree,
            source_row=a["source_row"],
            rings=rings,
            attributes=attributes,
            meta=meta,
            token=token,
        )

    @classmethod
    def from_arrays(
        cls,
        a: Any,
        *,
        tree: GridIndex,
        source_row: np.ndarray,
        rings: RingArrays,
        attributes: dict[str, np.ndarray] | None = None,
        meta: dict | None = None,
        token: str | None = None,
    ) -> LayerIndex:
        """From the per-feature arrays (``wkb``, ``wkb_off``, ``areas``, ``convex``, ``clippable``,
        ``offsets``, ``cx``, ``cy``: a mapping, as :meth:`load` or a dask tile has them)."""
        names = ("wkb", "wkb_off", "areas", "convex", "clippable", "offsets", "cx", "cy")
        layer = cls(
            **{name: a[name] for name in names},
            tree=tree,
            source_row=source_row,
            rings=rings,
            attributes=dict(attributes or {}),
            meta=dict(meta or {}),
        )
        if token is not None:
            layer.token = token
        return layer


class _Checked:
    """A file written through, with the size and CRC-32 of what was written."""

    def __init__(self, fh: Any) -> None:
        self.fh, self.size, self.crc = fh, 0, 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.size += len(view)
        self.crc = zlib.crc32(view, self.crc)
        return self.fh.write(view)


def _save_checked(path: Path, arr: np.ndarray) -> list[int]:
    """``np.save(path, arr)``, and the file's (size, CRC-32) as :func:`_file_check` gives them.

    Checked as it is written: reading the new file back would map its pages into this process
    (~80 MB of rings for 2·10⁵ patches on top of the check's own peak).
    """
    with open(path, "wb") as fh:
        out = _Checked(fh)
        # Not a real file to numpy: it writes the array 16 MiB at a time through out.write.
        np.lib.format.write_array(out, np.ascontiguousarray(arr))
    return [out.size, out.crc]


def _file_check(path: Path) -> list[int]:
    """(size, CRC-32) of a file: what :func:`_verify` compares.

    Over a memory map (no copy): ~0.1 s for the 180 MB of 2·10⁵ patches' arrays, once per process
    (a server keeps what it loaded).
    """
    size = path.stat().st_size
    if size == 0:
        return [0, 0]
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return [size, zlib.crc32(mm)]


def _verify(folder: Path, files: Any) -> None:
    """Raise :class:`DamagedIndex` unless every array file of the entry is as it was written."""
    if not isinstance(files, dict) or not files:
        raise DamagedIndex("meta.json lists no files")
    for name, expected in files.items():
        try:
            found = _file_check(folder / name)
        except FileNotFoundError as exc:
            raise DamagedIndex(f"{name} is missing") from exc
        if found[0] != expected[0]:
            raise DamagedIndex(f"{name} has {found[0]:,} bytes, {expected[0]:,} were written")
        if found[1] != expected[1]:
            raise DamagedIndex(f"{name} is not what was written (CRC-32)")


# --------------------------------------------------------------------------- kept in memory (hygis serve)
#: The folders :meth:`LayerIndex.load` read in this process (a server child reports them).
LOADED: list[str] = []
#: How many prepared layers a server keeps loaded at most (a 三区三线 database is three).
MEMO_LAYERS = 12
#: Prepared layers a server keeps loaded: folder -> (meta.json stamp, index); its children inherit them.
_MEMO: dict[str, tuple[tuple[int, int], LayerIndex]] = {}


def _meta_stamp(folder: Path) -> tuple[int, int]:
    st = (folder / "meta.json").stat()
    return st.st_size, st.st_mtime_ns


def preload(folder: str | os.PathLike) -> bool:
    """Keep the prepared layer in ``folder`` loaded in this process (see :mod:`hygis.server`).

    Returns True when it was newly loaded; False when already kept or no longer valid.
    """
    folder = Path(folder)
    try:
        stamp = _meta_stamp(folder)
        kept = _MEMO.get(str(folder))
        if kept is not None and kept[0] == stamp:
            return False
        _MEMO.pop(str(folder), None)
        layer = LayerIndex.load(folder)
    except (OSError, ValueError, KeyError):
        _MEMO.pop(str(folder), None)
        return False
    _MEMO[str(folder)] = (stamp, layer)
    while len(_MEMO) > MEMO_LAYERS:  # the least recently loaded goes (dicts keep insertion order)
        _MEMO.pop(next(iter(_MEMO)))
    return True


def memo_folders() -> list[str]:
    """The prepared layers this process keeps loaded (:func:`preload`)."""
    return sorted(_MEMO)


# --------------------------------------------------------------------------- keys and the cache
def file_parts(path: str | os.PathLike) -> list[Path]:
    """The files that make up a vector source: a folder's files, a shapefile's sidecars, else the file."""
    p = Path(path)
    if p.is_dir():
        return sorted(q for q in p.rglob("*") if q.is_file())
    if p.suffix.lower() == ".shp":
        return sorted(q for q in p.parent.glob(p.stem + ".*") if q.is_file() and q.stem == p.stem)
    return [p]


def _stamp(parts: list[Path]) -> list[list]:
    """Per file: path, device, inode, size, modification and change time (ns).

    The change time (ctime) is set by the system on any write, rename or metadata change and
    cannot be set by ``touch``, ``cp -p``, ``rsync -a`` or an unzip: with the inode it tells a
    replaced or edited file whose size and modification time were kept.
    """
    out = []
    for q in parts:
        st = q.stat()
        out.append([str(q.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return out


def _racy(stamp: list[list]) -> bool:
    """Whether a file of the stamp changed too recently for its time stamps to tell the next change."""
    now = time.time_ns()
    return any(now - max(rec[4], rec[5]) < RACY_NS for rec in stamp)


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the source of the modules that prepare an index (:data:`PREPARING_CODE`).

    In every cache key: an index prepared by other code (an upgrade, a fix) is not answered from.
    """
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    files = [
        q
        for part in PREPARING_CODE
        for q in (sorted((root / part).glob("*.py")) if (root / part).is_dir() else [root / part])
    ]
    for q in files + [Path(settings.DATA_DIR) / name for name in PREPARING_DATA]:
        h.update(q.name.encode() + b"\0")
        try:
            h.update(q.read_bytes())
        except OSError:  # pragma: no cover - a package without its sources: its version
            from hygis import __version__  # noqa: PLC0415 - only then

            h.update(__version__.encode())
    return h.hexdigest()[:16]


# Taken as this module is imported: the digest of the code this process runs, even when a
# long-running process (``hygis serve``) outlives an upgrade of the files beside it (~1 ms).
code_digest()


#: The content hash's algorithm, named in every digest (a record of another is not reused).
CONTENT_HASH = "sha256"


def content_hash(path: str | os.PathLike) -> str:
    """SHA-256 of the bytes of every file of the source (names relative to it included).

    SHA-256 because CPUs hash it in hardware (SHA extensions): 0.15 s for a 77 MB GeoParquet of
    200k patches, where BLAKE2b took 0.28 s — time a cold check spends beside its reading.
    """
    h = hashlib.new(CONTENT_HASH)
    p = Path(path)
    for q in file_parts(p):
        h.update(str(q.relative_to(p) if p.is_dir() else q.name).encode() + b"\0")
        with open(q, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return f"{CONTENT_HASH}:{h.hexdigest()}"


def _stamp_book(path: Path, root: Path) -> Path:
    return (
        root
        / "stamps"
        / (hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest() + ".json")
    )


def recorded_hash(path: str | os.PathLike, root: Path | None = None) -> str | None:
    """The content hash recorded for the file while its stamp (:func:`_stamp`) is unchanged, else None."""
    path = Path(path)
    if not TRUST_STAMPS:
        return None
    book = _stamp_book(path, cache_root() if root is None else root)
    try:
        rec = json.loads(book.read_text(encoding="utf-8"))
        if (
            rec.get("trusted")
            and rec["stamp"] == _stamp(file_parts(path))
            and rec["hash"].startswith(f"{CONTENT_HASH}:")
        ):
            return rec["hash"]
    except (OSError, ValueError, KeyError):
        pass
    return None


def _known_hash(path: Path, root: Path) -> str:
    """The content hash, without reading the file when its stamp is the one recorded.

    The stamp is trusted next time only when the file did not change while it was hashed and not
    so recently that a next change could keep every time stamp (:data:`RACY_NS`); recorded
    untrusted otherwise, which still tells that the file was seen (:func:`_seen`).
    """
    known = recorded_hash(path, root)
    if known is not None:
        return known
    stamp = _stamp(file_parts(path))
    digest = content_hash(path)
    if _stamp(file_parts(path)) == stamp:
        trusted = TRUST_STAMPS and not _racy(stamp)
        record = {"stamp": stamp, "hash": digest, "trusted": trusted}
        settings.keep_in_cache(_stamp_book(path, root), json.dumps(record))
    return digest


def _seen(path: Path) -> bool:
    """Whether this file was hashed before (its stamp recorded, trusted or not)."""
    return _stamp_book(path, cache_root()).exists()


def cache_key(path: str | os.PathLike, options: dict[str, Any], root: Path | None = None) -> str:
    """The entry of a layer file read with ``options`` (reading flags …) under the current format."""
    root = cache_root() if root is None else root
    digest = _known_hash(Path(path), root)
    text = json.dumps(
        {"content": digest, "options": options, "format": FORMAT_VERSION, "code": code_digest()},
        sort_keys=True,
        default=str,
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class DeferredLayer:
    """A control-line file not read until needed, and then, when its prepared index is cached, not at all.

    Parameters
    ----------
    name : str
        The layer's name (for messages).
    path : path-like
        The file (or folder) as the user gave it.
    read : callable
        Reads the file: returns ``(GeoDataFrame, notes)``, the features (any CRS) and what reading
        them said (repairs, the territory test); ``read(validate=False)`` without the validity
        test and its repairs.
    options : dict
        Everything besides the file's content that changes what ``read`` returns (reading flags).
    use_cache : bool
        False: read every time, keep nothing.
    attributes : callable, optional
        Per row of the features as read, the attribute arrays to keep in the index
        (``frame -> {name: array}``; see :attr:`LayerIndex.attributes`).
    """

    def __init__(
        self,
        name: str,
        path: str | os.PathLike,
        read: Callable[..., tuple[Any, list[str]]],
        *,
        options: dict[str, Any],
        use_cache: bool = True,
        attributes: Callable[[Any], dict[str, np.ndarray]] | None = None,
    ):
        self.name, self.path, self._read, self.use_cache = name, Path(path), read, use_cache
        self._attributes = attributes
        self._options = {"layer": name, **options}
        self._frame: Any = None
        self._source: dict | None = None
        self._key: str | None = None
        self._hashing: Any = None  # the key being computed in a thread (see source)
        # The features read without the validity test, their notes, and the test's result (or
        # its future) until :meth:`_settle`.
        self._unsettled: tuple[Any, list[str], Any] | None = None
        self._said: list[warnings.WarningMessage] = []  # the warnings of that reading, held
        #: True when the last :meth:`index` came from the cache.
        self.hit = False
        #: The features as read were let go (:meth:`release`): read again if needed, quietly.
        self._released = False

    def _root_key(self) -> str | None:
        if not self.use_cache:
            return None
        if not _cache_usable():
            self.use_cache = False
            return None
        if self._key is None:
            try:
                self._key = self._hashing.result() if self._hashing else cache_key(self.path, self._options)
            except OSError:
                self.use_cache = False
                return None
            finally:
                self._hashing = None
        return self._key

    def _raw(self) -> Any:
        """The features as read, before the validity test when the layer is large (see :meth:`index`).

        A large layer's validity (GEOS, ~1 s for 2·10⁵ patches) is tested in a thread from here on,
        while this thread prepares the index from the same features: they are nearly always valid,
        and when they are not the file is read again as :meth:`frame` reads it.
        """
        if self._frame is not None:
            return self._frame
        if self._unsettled is None:
            # What this reading says (repairs aside) may rest on invalid features — a data-quality
            # line on a bow-tie's area: held until the features are settled (see _settle).
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                frame, notes = self._read(validate=False)
            self._said = said
            geoms = np.asarray(frame.geometry.values)
            if len(geoms) < SETTLE_IN_THREAD:
                valid: Any = is_valid(geoms)
            else:
                from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

                pool = ThreadPoolExecutor(1)
                valid = pool.submit(is_valid, geoms)  # GEOS lets go of the GIL
                pool.shutdown(wait=False)
            self._unsettled = (frame, notes, valid)
        return self._unsettled[0]

    def _settle(self) -> bool:
        """Wait for the validity test; with invalid features, read the file again, repairing them.

        Returns True when the features changed (repairs), so that what was built from them is not
        kept.
        """
        if self._unsettled is None:
            return False
        frame, notes, valid = self._unsettled
        valid = valid if isinstance(valid, np.ndarray) else valid.result()
        self._unsettled = None
        said, self._said = self._said, []
        if valid.all():
            for w in said if not self._released else []:  # true of the features as they stand: said now
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            self._keep(frame, notes)
            return False
        with warnings.catch_warnings():
            if self._released:  # read again after release(): said the first time
                warnings.simplefilter("ignore")
            frame, repaired = self._read()  # says what it says of the repaired features, once
        self._keep(frame, repaired)
        return True

    def release(self) -> None:
        """Let go of the features as read once the index is made (~150 MB for 2·10⁵ patches).

        For a check whose outputs need only the index (its areas and the (site, patch) figures):
        a map or a table that needs the features after all reads the file again, as a check
        answered from the cache does, without saying again what reading it said.
        """
        if self._frame is not None and self._unsettled is None:
            self._frame, self._released = None, True

    def _keep(self, frame: Any, notes: list[str]) -> None:
        from hygis.crs import extent_wgs84  # noqa: PLC0415 - geopandas: with the features read

        b = extent_wgs84(frame) if len(frame) else np.full(4, np.nan)
        self._frame = frame
        self._source = {"features": len(frame), "bounds_wgs84": [float(v) for v in b], "notes": list(notes)}
        key = self._root_key()
        if key is not None:
            book = cache_root() / "sources" / f"{key}.json"
            settings.keep_in_cache(book, json.dumps(self._source, ensure_ascii=False))

    def frame(self) -> Any:
        """The features as read (a GeoDataFrame in the file's CRS or WGS 84), read once.

        Read after the index was taken from the cache, or after :meth:`release`, the file must be
        the one the index was made of: if it changed in between (saved again while the command
        ran), the features would not be the index's, and an error says so rather than mixing them.
        """
        key = self._key if self._frame is None and self._unsettled is None else None
        self._raw()
        self._settle()
        if key is not None:
            self._unchanged_since(
                key, "its prepared index was made of it as it was; its features are needed again now"
            )
        return self._frame

    def _unchanged_since(self, key: str, why: str) -> None:
        """Raise if the file's key is no longer ``key``: saved again while this command used it."""
        try:
            now = cache_key(self.path, self._options)
        except OSError:
            return  # gone since it was read: what was read is all there is
        if now != key:
            self._frame, self._source = None, None
            msg = (
                f"{self.name}: {self.path} changed while hygis was using it ({why}). Nothing was "
                "written from the two versions. Run the command again once the file is saved (is it "
                "being edited or copied?)."
            )
            raise HygisInputError(msg)

    def _begin(self) -> None:
        """Read the file if what reading it gave is not kept; hash it meanwhile if it is new."""
        if self._source is not None or self._unsettled is not None:
            return
        if self.use_cache and _cache_usable() and self._key is None and not _seen(self.path):
            # A file not seen before is hashed for its key while it is read (hashlib lets go of
            # the GIL): one of them is needed anyway, and mostly both. A file seen before is
            # hashed first where its stamp changed: its index is then often kept already.
            from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

            with ThreadPoolExecutor(1) as pool:
                self._hashing = pool.submit(cache_key, self.path, self._options)
                self._raw()
            self._root_key()  # takes the key from the thread
            return
        key = self._root_key()
        if key is not None:
            try:
                self._source = json.loads(
                    (cache_root() / "sources" / f"{key}.json").read_text(encoding="utf-8")
                )
            except (OSError, ValueError):
                self._source = None
            else:
                from hygis.messages import warn  # noqa: PLC0415

                for note in self._source.get("notes", []):
                    warn(note)  # said again, as reading the file said it the first time
        if self._source is None:
            self._raw()

    def source(self) -> dict:
        """What reading the file gave: ``features`` (count), ``bounds_wgs84``, ``notes``; cached if kept."""
        self._begin()
        self._settle()
        assert self._source is not None
        return self._source

    def bounds_wgs84(self) -> list[float]:
        """The features' extent in WGS 84 (west, south, east, north), without waiting for validity.

        Repairs move no vertex (make-valid), so the extent of the features as read is theirs.
        """
        self._begin()
        if self._source is not None:
            return list(self._source["bounds_wgs84"])
        frame = self._raw()
        from hygis.crs import extent_wgs84  # noqa: PLC0415 - geopandas: with the features read

        return [float(v) for v in (extent_wgs84(frame) if len(frame) else np.full(4, np.nan))]

    def index(self, area_crs: Any, build: Callable[..., Any], *, keep_features: bool = True) -> LayerIndex:
        """The prepared index in ``area_crs``: from the cache, else ``build(geoms in area_crs)`` and kept.

        ``build`` turns the features (a numpy array of geometries in the area CRS) into a
        :class:`hygis.engine.overlap.Layer` (:func:`hygis.engine.overlap.disjoint_layer`).
        ``keep_features=False``: the features are not kept once the index is made (as
        :meth:`release`), and a large layer's are let go of while it is made: ``build`` is given
        ``let_go=`` (see :func:`~hygis.engine.overlap.disjoint_layer`).
        """
        from pyproj import CRS  # noqa: PLC0415

        crs = CRS(area_crs)
        key = self._root_key()
        folder = None
        if key is not None:
            sub = hashlib.blake2b(f"{key}:{crs.to_wkt()}".encode(), digest_size=16).hexdigest()
            folder = cache_root() / sub
            if (folder / "meta.json").exists():
                try:
                    index = LayerIndex.load(folder)
                    index.meta["cached"] = self.hit = True
                    return index
                except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
                    from hygis.messages import warn  # noqa: PLC0415 - only for a damaged entry

                    why = exc if isinstance(exc, DamagedIndex) else f"{type(exc).__name__}: {exc}"
                    warn(
                        f"{self.name}: its prepared index in the cache ({folder}) is damaged ({why}); "
                        f"it is prepared again from {self.path}."
                    )
                    shutil.rmtree(folder, ignore_errors=True)
        self.hit = False
        self._begin()
        layer, attributes = self._build(crs, build, let_go=not keep_features)
        meta = {
            **self.source(),
            "layer": self.name,
            # As the user names it: a database's layer as PATH:LAYER.
            "source": ":".join(filter(None, (str(self.path.resolve()), self._options.get("source_layer")))),
            "area_crs": crs.to_string(),
            "options": json.loads(json.dumps(self._options, default=str)),
            "dissolved_groups": int(layer.dissolved_groups),
            "dissolved_features": int(layer.dissolved_features),
            "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        index = LayerIndex.from_layer(layer, meta, attributes)
        if folder is not None:
            # Kept under the key of the file as hashed while it was read: only if it is still that
            # file, or a later command would be answered with features of another version.
            assert key is not None
            self._unchanged_since(key, "it was read to prepare its index")
            try:
                index.save(folder)
            except OSError:
                pass  # an unwritable cache only costs the build next time
        if not keep_features:
            self.release()
        return index

    def _build(self, crs: Any, build: Callable[..., Any], *, let_go: bool) -> tuple[Any, dict | None]:
        """``build`` of the features in ``crs``, and the attributes of the features it was made of.

        ``let_go``: a large layer's features (their validity still tested in a thread) are handed
        to ``build`` to be freed as it reads them (:meth:`_let_go`).
        """
        from pyproj import CRS  # noqa: PLC0415

        frame = self._raw()
        # Two codes for one projection (EPSG:4546 and EPSG:4508 are both CGCS2000 TM 111°E):
        # the coordinates are already those of the area CRS.
        same = frame.crs is not None and _same_projection(CRS(frame.crs), crs)
        # Repair, then merge: a bow-tie overlapping its neighbour makes the union of their group
        # fail (GEOS TopologyException) or come out wrong. Where the validity test is already
        # done (a small layer) the features are settled first; a large layer's test runs in a
        # thread beside this build, and a build that fails on an invalid feature waits for it.
        if self._unsettled is not None and isinstance(self._unsettled[2], np.ndarray):
            self._settle()
            frame = self._frame
        kept: dict[str, Any] = {}
        options: dict[str, Any] = {}
        geoms = _in_crs(frame, crs, same)
        if let_go and self._unsettled is not None:
            # A copy of the references (8 bytes a feature), so that build empties its own array,
            # never the frame's: features anything else still holds are only not freed.
            geoms = geoms.copy()
            options["let_go"] = functools.partial(self._let_go, kept)
        del frame
        try:
            layer = build(geoms, **options)
        except Exception:  # GEOS's TopologyException on an invalid feature, most often
            if self._unsettled is None:
                raise  # the features were settled: not a repair's business
            layer = None  # built again below from the settled features (raises if it still fails)
        del geoms
        if self._settle() or layer is None:  # repaired: build again from the repaired features
            kept.clear()
            layer = build(_in_crs(self._frame, crs, same))
        if "attributes" not in kept:
            kept["attributes"] = self._attributes(self._frame) if self._attributes is not None else None
        return layer, kept["attributes"]

    def _let_go(self, kept: dict[str, Any]) -> bool:
        """Let go of the features being built into a layer, once they are known valid.

        Waits for their validity test; True when they are valid and nothing here holds them any
        more: what reading them gave is kept (:meth:`source`), their attributes in ``kept``, and
        the features are released (read again if a later step needs them). False (invalid): kept,
        to be repaired and built again.
        """
        assert self._unsettled is not None
        frame, notes, valid = self._unsettled
        if not isinstance(valid, np.ndarray):
            valid = valid.result()
            self._unsettled = (frame, notes, valid)
        del frame
        if not valid.all():
            return False
        self._settle()
        kept["attributes"] = self._attributes(self._frame) if self._attributes is not None else None
        self.release()
        return True


#: Whether this process was told its cache folder cannot be written (said once, see :func:`_cache_usable`).
_SAID_UNWRITABLE = False


def _cache_usable() -> bool:
    """Whether prepared layers can be kept; if not, say so once per process and go on without."""
    global _SAID_UNWRITABLE
    root = cache_root()
    why = settings.cache_unwritable(root)
    if why is None:
        return True
    if not _SAID_UNWRITABLE:
        _SAID_UNWRITABLE = True
        from hygis.messages import warn  # noqa: PLC0415 - only then

        warn(
            f"the cache folder {root} cannot be written ({why}): control lines are prepared "
            "afresh and not kept (every check reads them again). Set HYGIS_CACHE_DIR to a writable "
            "folder to keep them."
        )
    return False


#: Keys of a PROJJSON that name or describe a CRS without changing its coordinates.
_NAMING = frozenset({"name", "id", "ids", "remarks", "scope", "area", "bbox", "usages", "$schema"})


def _same_projection(a: Any, b: Any) -> bool:
    """Whether two CRSs give the same coordinates (names and codes aside; the method kept whole).

    Compares PROJJSON rather than PROJ strings: ``CRS.to_dict`` warns, and silencing it would take
    ``warnings.catch_warnings``, which is not thread-safe (a large layer's validity thread may warn
    meanwhile, e.g. that the kernel is being compiled).
    """

    def plain(d: Any, key: str = "") -> Any:
        if isinstance(d, dict):
            return d if key == "method" else {k: plain(v, k) for k, v in d.items() if k not in _NAMING}
        if isinstance(d, list):
            return [plain(v) for v in d]
        return d

    return bool(plain(a.to_json_dict()) == plain(b.to_json_dict()))


def _in_crs(frame: Any, crs: Any, same: bool) -> np.ndarray:
    geoms = frame.geometry.values if same else project(frame.geometry.values, frame.crs, crs)
    return np.asarray(geoms, dtype=object)


def entries(root: Path | None = None) -> list[dict]:
    """What the cache holds: one dict per prepared layer (``meta.json`` plus its size on disk)."""
    root = cache_root() if root is None else root
    out = []
    for meta_file in sorted(root.glob("*/meta.json"), key=lambda q: q.stat().st_mtime):
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        size = sum(q.stat().st_size for q in meta_file.parent.iterdir())
        out.append({**meta, "folder": str(meta_file.parent), "bytes": size})
    return out


def clear(root: Path | None = None) -> int:
    """Remove every prepared layer (and the size/mtime records); returns how many were removed."""
    root = cache_root() if root is None else root
    n = len(list(root.glob("*/meta.json")))
    shutil.rmtree(root, ignore_errors=True)
    return n


__all__ = [
    "FORMAT_VERSION",
    "PREPARING_CODE",
    "PREPARING_DATA",
    "TRUST_STAMPS",
    "DamagedIndex",
    "DeferredLayer",
    "GridIndex",
    "LayerIndex",
    "cache_key",
    "cache_root",
    "clear",
    "code_digest",
    "content_hash",
    "entries",
    "file_parts",
]
