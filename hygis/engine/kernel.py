"""The overlap engine's compiled kernel: the area (and centroid) of many (piece, feature) pairs.

The same exact method as the numpy kernel of :mod:`hygis.engine.clip` — Sutherland–Hodgman
clipping by convex polygons, signed triangle fans for non-convex features (see that module for
why it is exact) — written pair by pair and compiled with numba, so that a pair costs what its
vertices cost and nothing is allocated per pass. Per pair ``(piece p, feature f)``:

* ``f`` convex: ``p``'s rings clipped by ``f``;
* else ``p`` convex: ``f``'s rings clipped by ``p`` (shells and holes cancel to 1e-12 of their sum
  where ``p`` lies in a hole);
* else: the larger of the two (by box) as its signed fan — per ring, the wedges from the ring's
  box centre to each edge, weighted ±1, add up to it exactly from any apex — and the smaller
  clipped by each wedge that meets its box (from a central apex, only the few around it).

Coordinates are taken relative to the clipper's first vertex, as the numpy kernel does, so that
Gauss–Krüger coordinates (10⁶ m) keep their digits. :data:`AVAILABLE` is False where numba is
not installed; the engine then uses the numpy kernel (``HYGIS_KERNEL=numpy`` forces it), which
gives the same areas to rounding. How the kernel is compiled and kept: :func:`_entry`.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from hygis.engine import clip

#: Whether the compiled kernel can run: numba is installed and ``HYGIS_KERNEL=numpy`` does not ask
#: for the numpy kernel. Made False, and said once, where numba is installed but cannot be
#: imported (:func:`ready`).
AVAILABLE = os.environ.get("HYGIS_KERNEL", "compiled") != "numpy" and (
    importlib.util.find_spec("numba") is not None
)

#: The kernel's functions, callee first: compiled together by numba (see :func:`_entry`).
_PARTS = (
    "_clip_ring",
    "_moments",
    "_clip_owner",
    "_box",
    "_fan_clip",
    "_pair_areas",
    "_one_ring_layer",
    "_orient",
    "_simple_rings",
    "_grid_pairs",
    "_halfplane",
    "_bisect",
)
#: Shewchuk's bound on the rounding error of a 2-D orientation determinant, relative to the sum
#: of its two products' magnitudes ((3 + 16ε)ε, ε = 2⁻⁵³): beyond it the determinant's sign is exact.
ORIENT_ERROR_BOUND = (3.0 + 16.0 * 2.0**-53) * 2.0**-53
#: The largest ring :func:`simple_polygons` proves (its test is quadratic in the vertices; GEOS's
#: is not): above it GEOS judges. Patches have tens of vertices, sites and red lines hundreds or more.
PROOF_MAX_VERTICES = 48
_MODULE: Any = None
_ENTRY: Callable[..., Any] | None = None


class KernelUnavailable(RuntimeError):
    """numba is installed but cannot run here (e.g. built for another NumPy): the numpy kernel runs."""


#: Held while the kernel is loaded: the validity thread of a large layer and the main thread may
#: both need it first; one loads it, the other waits and takes it. (Between processes numba's
#: cache does the work: its index and files are written atomically, a race costs a compile.)
_LOCK = threading.RLock()


def _entry() -> Callable[..., Any]:
    """The compiled ``_pair_areas``: numba's JIT, its machine code kept on disk by numba's cache.

    The cache lives in hygis's cache folder (:func:`cache_folder`), not beside the installed
    package (often read-only) nor in a folder of numba's choosing: the first run on a machine
    compiles (~10 s, said once), the next ones load it (~1 s). Only wheels are needed: no C
    compiler, no Python headers. Loaded once per process (a lock between its threads); the
    kernels release the GIL (``nogil``), so the engine's threads run them side by side.

    Raises :class:`KernelUnavailable` (once :data:`AVAILABLE` is made False, and said once) where
    numba is installed but cannot be imported or cannot compile here.
    """
    if _ENTRY is not None:
        return _ENTRY
    with _LOCK:
        if _ENTRY is not None:  # loaded by another thread while this one waited
            return _ENTRY
        return _load()


class _Compiled:
    """The kernel's entry points, compiled (numba dispatchers)."""

    def __init__(self, jit: dict[str, Any]) -> None:
        self.pair_areas = jit["_pair_areas"]
        self.one_ring_layer = jit["_one_ring_layer"]
        self.simple_rings = jit["_simple_rings"]
        self.grid_pairs = jit["_grid_pairs"]
        self.bisect = jit["_bisect"]


def _load() -> Callable[..., Any]:
    global _ENTRY, _MODULE
    if not AVAILABLE:
        raise KernelUnavailable("the compiled kernel is not in use here")
    broken = _numba_broken()
    if broken:
        _give_up(broken)
    folder = cache_folder()
    if folder is not None and not _cached(folder):
        # A planner waits ~10 s once: say why (the warning channel reaches the CLI and Python users).
        from hygis.messages import warn  # noqa: PLC0415 - only then

        warn(f"compiling hygis's overlap kernel for this machine, once (~10 s; kept in {folder})")
        _start_helpers(folder)
    try:
        module = _Compiled(_jit(folder))
        # Compiled (or loaded from the cache) now, under the lock, not by the first caller.
        module.pair_areas(*_warm_arguments())
    except Exception as exc:  # numba imports, yet cannot compile here
        _give_up(f"{type(exc).__name__}: {exc}")
    _MODULE = module
    _ENTRY = module.pair_areas
    return _ENTRY


#: The processes compiling kernels into numba's cache beside this one (a fresh cache only), by entry.
_HELPERS: dict[str, subprocess.Popen] = {}
#: The kernels compiled by a helper process on a fresh cache: numba's front end takes ~8 s on
#: :func:`_bisect`, as long as all the others together. (A helper per kernel does worse: each
#: process pays numba's first compile, ~5 s, again.)
HELPED = ("_bisect",)


def _start_helpers(folder: Path) -> None:
    """Compile :data:`HELPED` in other processes while this one compiles the rest and meanwhile
    uses their numpy twins (:func:`hygis.engine.clip.bisect`: the same bits): the first run on a
    machine does not wait for them. Plain ``subprocess`` (no fork: the same on
    every OS); their output and warnings stay in them. Where one cannot start, this process
    compiles its kernel (numba's cache takes whichever is written first)."""
    package = str(Path(__file__).resolve().parents[2])
    for part in HELPED:
        if any(folder.glob(f"*/*{part}-*.nbi")):
            continue
        code = (
            f"import sys; sys.path.insert(0, {package!r}); "
            f"from hygis.engine.kernel import compile_here; compile_here({part!r})"
        )
        if not _HELPERS:
            atexit.register(_stop_helpers)
        try:
            _HELPERS[part] = subprocess.Popen(
                [sys.executable, "-c", code],
                env={**os.environ, "HYGIS_KERNEL_DIR": str(folder)},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            pass


def _stop_helpers() -> None:
    """At exit, stop the helpers this process did not wait for (a command leaves no process behind;
    numba writes its cache atomically, so a stopped compile leaves nothing half-written)."""
    for part in list(_HELPERS):
        helper = _HELPERS.pop(part)
        if helper.poll() is None and helper.pid:
            helper.terminate()
        helper.wait()


def _helped(part: str) -> bool:
    """Whether a helper is still compiling ``part`` (then the caller takes the numpy twin, which
    gives the same bits, rather than wait or compile it here a second time)."""
    helper = _HELPERS.get(part)
    if helper is None:
        return False
    if helper.poll() is None:
        return True
    _HELPERS.pop(part, None)  # done: numba's cache now has it (or this process compiles it)
    return False


def finish_compiling() -> None:
    """Load the kernel and wait for the helpers' kernels (a benchmark or a test that must time or
    test the compiled ones, not their numpy twins)."""
    ready()
    for part in list(_HELPERS):
        helper = _HELPERS.pop(part)
        helper.wait()


def compile_here(part: str) -> None:
    """Compile one kernel of :data:`HELPED` into numba's cache (in a helper process, see
    :func:`_start_helpers`), for the argument types the engine passes it."""
    import shapely  # noqa: PLC0415 - the helper process only

    jit = _jit(cache_folder())
    if part == "_bisect":
        r = clip.rings_of(np.array([shapely.box(0.0, 0.0, 3.0, 1.0)], dtype=object))
        jit[part](
            np.ascontiguousarray(r.x, dtype=np.float64),
            np.ascontiguousarray(r.y, dtype=np.float64),
            np.ascontiguousarray(r.rid, dtype=np.int64),
            np.ascontiguousarray(r.owner, dtype=np.int64),
            np.ascontiguousarray(r.sign, dtype=np.float64),
            1,
            1.0,
        )
    elif part == "_grid_pairs":
        box = np.array([[0.0, 0.0, 1.0, 1.0]])
        jit[part](box, 0.0, 0.0, 10.0, 2, 2, np.array([0, 1, 1, 1, 1], np.int64), np.zeros(1, np.int32), box)


def cache_folder() -> Path | None:
    """Where numba keeps the compiled kernel: ``$HYGIS_KERNEL_DIR``, else ``numba`` in hygis's cache
    folder (:func:`hygis.settings.cache_dir`); None where it cannot be written (the kernel is then
    compiled in each process, and kept nowhere)."""
    from hygis import settings  # noqa: PLC0415 - settings imports nothing of the engine's

    # $HYGIS_KERNEL_DIR: one compiled kernel shared by several cache folders (a test session's, a CI job's).
    env = os.environ.get("HYGIS_KERNEL_DIR")
    folder = Path(env) if env else settings.cache_dir() / "numba"
    return None if settings.cache_unwritable(folder) is not None else folder


def _cached(folder: Path) -> bool:
    """Whether numba's cache in ``folder`` has an index of the kernel's entry (else it compiles)."""
    return any(folder.glob("*/*_pair_areas-*.nbi"))


def _numba_broken() -> str | None:
    """Why numba, which is installed, cannot be imported (None when it can).

    numba refuses to import under a NumPy newer than it supports ("Numba needs NumPy 2.2 or
    less"), after an upgrade of one without the other.
    """
    try:
        import numba  # noqa: PLC0415, F401 - only to know that it imports
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _give_up(why: str) -> NoReturn:
    """Use the numpy kernel from now on in this process, say why once, and raise KernelUnavailable."""
    global AVAILABLE
    AVAILABLE = False
    from hygis.messages import warn  # noqa: PLC0415 - only then

    warn(
        f"numba is installed but cannot run here ({why}); hygis uses its numpy kernel instead "
        "(the same areas, slower). Reinstall numba to match NumPy (pip install -U numba), or set "
        "HYGIS_KERNEL=numpy to say you mean it."
    )
    raise KernelUnavailable(why)


def ready() -> bool:
    """Whether the compiled kernel runs: :data:`AVAILABLE`, and loaded (compiled the first time on a
    machine). False, said once, where numba is installed but cannot be imported."""
    if not AVAILABLE:
        return False
    try:
        _entry()
    except KernelUnavailable:
        return False
    return True


def loaded() -> bool:
    """Whether the compiled kernel is loaded in this process (using it then costs no compile)."""
    return _ENTRY is not None


def _jit(folder: Path | None) -> dict[str, Any]:
    """The kernel's functions compiled by numba (each callee bound before its caller), cached in
    ``folder`` (None: not cached).

    numba chooses a function's cache folder when it is decorated, from ``numba.config.CACHE_DIR``:
    set for these decorations only (under :data:`_LOCK`) and put back, so that other numba users
    in the process keep theirs.
    """
    import numba  # noqa: PLC0415 - numba is optional, and costs ~0.3 s to import
    from numba.core import config as numba_config  # noqa: PLC0415

    config: Any = numba_config  # CACHE_DIR is set at run time (numba.core.config declares it so)
    compiled = {}
    before = config.CACHE_DIR
    try:
        if folder is not None:
            config.CACHE_DIR = str(folder)
        for part in _PARTS:
            compiled[part] = globals()[part] = numba.njit(cache=folder is not None, nogil=True)(_PLAIN[part])
    finally:
        config.CACHE_DIR = before
    return compiled


@dataclass
class RingArrays:
    """Polygons as flat rings for the kernel.

    Vertex ``k`` of ring ``r`` is ``(x[off[r] + k], y[off[r] + k])``, ``k < off[r + 1] - off[r]`` (no
    closing vertex); ring ``r`` contributes ``sign[r]`` × its signed area; owner ``i`` has rings
    ``start[i]:start[i + 1]``.
    """

    x: np.ndarray
    y: np.ndarray
    off: np.ndarray
    sign: np.ndarray
    start: np.ndarray

    def polygons(self, owners: np.ndarray) -> np.ndarray:
        """The (Multi)Polygons of ``owners`` rebuilt from their rings (None for an owner without any).

        A ring is a shell where its orientation and its sign agree (see :class:`hygis.engine.clip.Rings`);
        the holes after a shell are its own, as :func:`hygis.engine.clip.rings_of` lists them.
        """
        import shapely  # noqa: PLC0415

        owners = np.atleast_1d(np.asarray(owners, dtype=np.int64))
        out = np.full(len(owners), None, dtype=object)
        n_rings = self.start[owners + 1] - self.start[owners]
        ring = clip.ranges(self.start[owners], n_rings)
        if not len(ring):
            return out
        count = self.off[ring + 1] - self.off[ring]
        vert = clip.ranges(self.off[ring], count)
        vring = np.repeat(np.arange(len(ring)), count)
        x, y = self.x[vert], self.y[vert]
        first = np.repeat(self.off[ring], count)
        lx, ly = x - self.x[first], y - self.y[first]
        nxt = np.arange(len(vert)) + 1
        last = np.r_[0, np.cumsum(count)][1:] - 1
        nxt[last] = np.r_[0, np.cumsum(count)][:-1]
        twice = np.bincount(vring, weights=lx * ly[nxt] - lx[nxt] * ly, minlength=len(ring))
        shell = twice * self.sign[ring] > 0
        part = np.cumsum(shell) - 1
        polys = shapely.polygons(shapely.linearrings(np.c_[x, y], indices=vring), indices=part)
        part_owner = np.repeat(np.arange(len(owners)), n_rings)[shell]
        parts = np.bincount(part_owner, minlength=len(owners))
        single = np.flatnonzero(parts == 1)
        out[single] = polys[np.searchsorted(part_owner, single)]
        multi = parts > 1
        if multi.any():
            sel = multi[part_owner]
            out[np.flatnonzero(multi)] = shapely.multipolygons(
                polys[sel], indices=np.searchsorted(np.flatnonzero(multi), part_owner[sel])
            )
        return out

    @classmethod
    def from_rings(cls, r: clip.Rings, n_owners: int) -> RingArrays:
        """From :class:`hygis.engine.clip.Rings` (rings ordered by owner, vertices by ring)."""
        counts = np.bincount(r.rid, minlength=len(r.owner))
        return cls(
            np.ascontiguousarray(r.x, dtype=np.float64),
            np.ascontiguousarray(r.y, dtype=np.float64),
            np.r_[0, np.cumsum(counts)].astype(np.int64),
            np.ascontiguousarray(r.sign, dtype=np.float64),
            np.searchsorted(r.owner, np.arange(n_owners + 1)).astype(np.int64),
        )


def _clip_ring(x, y, n, cx, cy, c0, m, ox, oy, bx, by, tx, ty):  # pragma: no cover - compiled
    """Ring (x[:n], y[:n]) relative to (ox, oy), clipped by convex clipper cx/cy[c0 : c0 + m + 1].

    Returns the vertex count of the result, left in ``bx``/``by``; a pass emits at most two
    vertices per vertex, and a buffer too small for that raises ValueError.
    """
    k = n
    for i in range(n):
        bx[i] = x[i]
        by[i] = y[i]
    for j in range(m):
        if k == 0:
            break
        if 2 * k > len(tx):
            raise ValueError("kernel buffer too small")  # pair_areas retries with a larger one
        ax = cx[c0 + j] - ox
        ay = cy[c0 + j] - oy
        dx = cx[c0 + j + 1] - cx[c0 + j]
        dy = cy[c0 + j + 1] - cy[c0 + j]
        out = 0
        sp = dx * (by[k - 1] - ay) - dy * (bx[k - 1] - ax)
        for i in range(k):
            sc = dx * (by[i] - ay) - dy * (bx[i] - ax)
            prev = i - 1 if i > 0 else k - 1
            if (sc >= 0) != (sp >= 0):
                t = sp / (sp - sc)
                tx[out] = bx[prev] + t * (bx[i] - bx[prev])
                ty[out] = by[prev] + t * (by[i] - by[prev])
                out += 1
            if sc >= 0:
                tx[out] = bx[i]
                ty[out] = by[i]
                out += 1
            sp = sc
        for i in range(out):
            bx[i] = tx[i]
            by[i] = ty[i]
        k = out
    return k


def _moments(bx, by, k):  # pragma: no cover - compiled
    """Signed area and first moments (∫x dA, ∫y dA) of the ring bx/by[:k] (CCW positive)."""
    a = 0.0
    mx = 0.0
    my = 0.0
    for i in range(k):
        p = i - 1 if i > 0 else k - 1
        cr = bx[p] * by[i] - bx[i] * by[p]
        a += cr
        mx += (bx[p] + bx[i]) * cr
        my += (by[p] + by[i]) * cr
    return a / 2.0, mx / 6.0, my / 6.0


def _clip_owner(  # pragma: no cover - compiled
    sx, sy, soff, ssign, s0, s1, cx, cy, c0, m, ox, oy, bx, by, tx, ty, lx, ly
):
    """Area, |area| sum and moments of the rings s0:s1 of a subject clipped by one convex clipper."""
    area = 0.0
    scale = 0.0
    mx = 0.0
    my = 0.0
    for r in range(s0, s1):
        v0 = soff[r]
        n = soff[r + 1] - v0
        for i in range(n):
            lx[i] = sx[v0 + i] - ox
            ly[i] = sy[v0 + i] - oy
        k = _clip_ring(lx, ly, n, cx, cy, c0, m, ox, oy, bx, by, tx, ty)
        if k == 0:
            continue
        a, rx, ry = _moments(bx, by, k)
        area += ssign[r] * a
        scale += abs(a)
        mx += ssign[r] * rx
        my += ssign[r] * ry
    return area, scale, mx, my


def _box(x, y, v0, v1):  # pragma: no cover - compiled
    """(xmin, ymin, xmax, ymax) of the vertices v0:v1."""
    x0 = np.inf
    y0 = np.inf
    x1 = -np.inf
    y1 = -np.inf
    for v in range(v0, v1):
        x0 = min(x0, x[v])
        x1 = max(x1, x[v])
        y0 = min(y0, y[v])
        y1 = max(y1, y[v])
    return (x0, y0, x1, y1)


def _fan_clip(  # pragma: no cover - compiled
    gx,
    gy,
    goff,
    gsign,
    g0,
    g1,
    sx,
    sy,
    soff,
    ssign,
    s0,
    s1,
    sbox,
    ox,
    oy,
    tri_x,
    tri_y,
    bx,
    by,
    tx,
    ty,
    lx,
    ly,
):
    """Area, |area| sum and moments (about ox, oy) of the subject's rings s0:s1 ∩ the polygon of rings g0:g1.

    The polygon is taken as its signed fan: per ring, the wedges from the ring's box centre to each
    edge, weighted ±1 by orientation and the ring's sign, add up to the polygon exactly (winding
    numbers add; from a central apex a small subject meets only the wedges around it). The subject
    is clipped by every wedge whose box meets ``sbox``.
    """
    total = 0.0
    scale = 0.0
    mx = 0.0
    my = 0.0
    for r in range(g0, g1):
        v0 = goff[r]
        nv = goff[r + 1] - v0
        rb = _box(gx, gy, v0, v0 + nv)
        ax = (rb[0] + rb[2]) / 2.0
        ay = (rb[1] + rb[3]) / 2.0
        for i in range(nv):
            j = i + 1 if i + 1 < nv else 0
            bxx = gx[v0 + i] - ax
            byy = gy[v0 + i] - ay
            cxx = gx[v0 + j] - ax
            cyy = gy[v0 + j] - ay
            twice = bxx * cyy - cxx * byy
            if twice == 0.0:
                continue
            if (
                min(ax, ax + bxx, ax + cxx) > sbox[2]
                or max(ax, ax + bxx, ax + cxx) < sbox[0]
                or min(ay, ay + byy, ay + cyy) > sbox[3]
                or max(ay, ay + byy, ay + cyy) < sbox[1]
            ):
                continue
            w = gsign[r]
            tri_x[0] = ax
            tri_y[0] = ay
            if twice > 0:
                tri_x[1] = gx[v0 + i]
                tri_y[1] = gy[v0 + i]
                tri_x[2] = gx[v0 + j]
                tri_y[2] = gy[v0 + j]
            else:
                w = -w
                tri_x[1] = gx[v0 + j]
                tri_y[1] = gy[v0 + j]
                tri_x[2] = gx[v0 + i]
                tri_y[2] = gy[v0 + i]
            tri_x[3] = ax
            tri_y[3] = ay
            ta, ts, tmx, tmy = _clip_owner(
                sx, sy, soff, ssign, s0, s1, tri_x, tri_y, 0, 3, ax, ay, bx, by, tx, ty, lx, ly
            )
            total += w * ta
            scale += abs(ta)
            # Moments about (ox, oy): shift the wedge's local moments.
            mx += w * (tmx + ta * (ax - ox))
            my += w * (tmy + ta * (ay - oy))
    return total, scale, mx, my


def _pair_areas(  # pragma: no cover - compiled
    pi,
    fj,
    px,
    py,
    poff,
    psign,
    pstart,
    p_convex,
    pcoff,
    pcx,
    pcy,
    fx,
    fy,
    foff,
    fsign,
    fstart,
    f_convex,
    fcoff,
    fcx,
    fcy,
    cap,
):
    n = len(pi)
    area = np.zeros(n)
    cenx = np.full(n, np.nan)
    ceny = np.full(n, np.nan)
    bx = np.empty(cap)
    by = np.empty(cap)
    tx = np.empty(cap)
    ty = np.empty(cap)
    lx = np.empty(cap)
    ly = np.empty(cap)
    tri_x = np.empty(4)
    tri_y = np.empty(4)
    for k in range(n):
        p = pi[k]
        f = fj[k]
        if f_convex[f]:
            c0 = fcoff[f]
            m = fcoff[f + 1] - c0 - 1
            ox = fcx[c0]
            oy = fcy[c0]
            a, s, mx, my = _clip_owner(
                px, py, poff, psign, pstart[p], pstart[p + 1], fcx, fcy, c0, m, ox, oy, bx, by, tx, ty, lx, ly
            )
        elif p_convex[p]:
            c0 = pcoff[p]
            m = pcoff[p + 1] - c0 - 1
            ox = pcx[c0]
            oy = pcy[c0]
            a, s, mx, my = _clip_owner(
                fx, fy, foff, fsign, fstart[f], fstart[f + 1], pcx, pcy, c0, m, ox, oy, bx, by, tx, ty, lx, ly
            )
            if a <= 1e-12 * s:
                a = 0.0
        else:
            ox = fx[foff[fstart[f]]]
            oy = fy[foff[fstart[f]]]
            pb = _box(px, py, poff[pstart[p]], poff[pstart[p + 1]])
            fb = _box(fx, fy, foff[fstart[f]], foff[fstart[f + 1]])
            # The larger of the two is fanned, the smaller clipped by the wedges that meet its box.
            if (pb[2] - pb[0]) * (pb[3] - pb[1]) >= (fb[2] - fb[0]) * (fb[3] - fb[1]):
                total, scale, mx, my = _fan_clip(
                    px, py, poff, psign, pstart[p], pstart[p + 1],
                    fx, fy, foff, fsign, fstart[f], fstart[f + 1], fb, ox, oy,
                    tri_x, tri_y, bx, by, tx, ty, lx, ly,
                )  # fmt: skip
            else:
                total, scale, mx, my = _fan_clip(
                    fx, fy, foff, fsign, fstart[f], fstart[f + 1],
                    px, py, poff, psign, pstart[p], pstart[p + 1], pb, ox, oy,
                    tri_x, tri_y, bx, by, tx, ty, lx, ly,
                )  # fmt: skip
            a = total if total > 1e-12 * scale else 0.0
        area[k] = a
        if a != 0.0:
            cenx[k] = ox + mx / a
            ceny[k] = oy + my / a
    return area, cenx, ceny


def _one_ring_layer(px, py, poff):  # pragma: no cover - compiled
    n = len(poff) - 1
    total = len(px) - n
    x = np.empty(total)
    y = np.empty(total)
    off = np.empty(n + 1, np.int64)
    sign = np.empty(n)
    convex = np.zeros(n, np.bool_)
    ccw = np.zeros(n, np.bool_)
    off[0] = 0
    for i in range(n):
        a = poff[i]
        m = poff[i + 1] - a - 1  # without the closing vertex
        o = off[i]
        off[i + 1] = o + m
        for k in range(m):
            x[o + k] = px[a + k]
            y[o + k] = py[a + k]
        if m == 0:
            sign[i] = 1.0
            continue
        # As numpy does it (clip.rings_of, clip.convex_rings): near the first vertex, in vertex order.
        fx = x[o]
        fy = y[o]
        twice = 0.0
        left = 0
        right = 0
        for k in range(m):
            p = o + (k - 1) % m
            v = o + k
            q = o + (k + 1) % m
            lpx, lpy = x[p] - fx, y[p] - fy
            lvx, lvy = x[v] - fx, y[v] - fy
            lqx, lqy = x[q] - fx, y[q] - fy
            twice += lpx * lvy - lvx * lpy
            turn = (lvx - lpx) * (lqy - lvy) - (lvy - lpy) * (lqx - lvx)
            if turn > 0:
                left += 1
            elif turn < 0:
                right += 1
        sign[i] = 1.0 if twice / 2.0 >= 0 else -1.0
        convex[i] = (left == 0 or right == 0) and m >= 3
        ccw[i] = right == 0
    coff = np.zeros(n + 1, np.int64)
    for i in range(n):
        coff[i + 1] = coff[i] + (off[i + 1] - off[i] + 1 if convex[i] else 0)
    cx = np.empty(coff[n])
    cy = np.empty(coff[n])
    for i in range(n):
        if not convex[i]:
            continue
        o = off[i]
        m = off[i + 1] - o
        c = coff[i]
        for k in range(m):
            src = o + k if ccw[i] else o + m - 1 - k
            cx[c + k] = x[src]
            cy[c + k] = y[src]
        cx[c + m] = cx[c]
        cy[c + m] = cy[c]
    return x, y, off, sign, convex, coff, cx, cy


def _orient(ax, ay, bx, by, cx, cy):  # pragma: no cover - compiled
    """The turn a → b → c: 1 left, -1 right, 0 straight or too close to call in floating point."""
    left = (bx - ax) * (cy - ay)
    right = (by - ay) * (cx - ax)
    det = left - right
    bound = ORIENT_ERROR_BOUND * (abs(left) + abs(right))
    if det > bound:
        return 1
    if det < -bound:
        return -1
    return 0


def _simple_rings(px, py, poff):  # pragma: no cover - compiled
    n = len(poff) - 1
    out = np.zeros(n, np.bool_)
    for r in range(n):
        a = poff[r]
        m = poff[r + 1] - a - 1  # edges; the last vertex closes the ring
        ok = m >= 3 and px[a] == px[a + m] and py[a] == py[a + m]
        k = a
        while ok and k < a + m:
            # Finite, and no edge of length zero (repeated vertices: GEOS decides those).
            ok = np.isfinite(px[k]) and np.isfinite(py[k]) and (px[k] != px[k + 1] or py[k] != py[k + 1])
            k += 1
        i = 0
        while ok and i < m:
            p0x, p0y, p1x, p1y = px[a + i], py[a + i], px[a + i + 1], py[a + i + 1]
            lox, hix, loy, hiy = min(p0x, p1x), max(p0x, p1x), min(p0y, p1y), max(p0y, p1y)
            for j in range(i + 1, m):
                q0x, q0y, q1x, q1y = px[a + j], py[a + j], px[a + j + 1], py[a + j + 1]
                if max(q0x, q1x) < lox or min(q0x, q1x) > hix or max(q0y, q1y) < loy or min(q0y, q1y) > hiy:
                    continue
                if j == i + 1:  # they share p1 = q0: q1 must not fold back along p
                    if _orient(p0x, p0y, p1x, p1y, q1x, q1y) == 0 and (
                        (q1x - p1x) * (p0x - p1x) + (q1y - p1y) * (p0y - p1y) >= 0
                    ):
                        ok = False
                        break
                    continue
                if i == 0 and j == m - 1:  # they share p0 = q1: p1 must not fold back along q
                    if _orient(q0x, q0y, q1x, q1y, p1x, p1y) == 0 and (
                        (p1x - p0x) * (q0x - p0x) + (p1y - p0y) * (q0y - p0y) >= 0
                    ):
                        ok = False
                        break
                    continue
                o1 = _orient(p0x, p0y, p1x, p1y, q0x, q0y)
                if o1 != 0 and o1 == _orient(p0x, p0y, p1x, p1y, q1x, q1y):
                    continue  # q wholly on one side of p's line
                o3 = _orient(q0x, q0y, q1x, q1y, p0x, p0y)
                if o3 != 0 and o3 == _orient(q0x, q0y, q1x, q1y, p1x, p1y):
                    continue
                ok = False  # they cross or touch, or may
                break
            i += 1
        out[r] = ok
    return out


def simple_polygons(geoms: np.ndarray) -> np.ndarray | None:
    """Which geometries are proven valid Polygons: one ring, and that ring simple.

    A simple ring (finite, closed, ≥ 3 edges, none of length zero, no two edges meeting but
    neighbours at their shared vertex, none folding back) bounds a valid polygon, as GEOS's
    ``is_valid`` finds. Each orientation is decided exactly or not at all (Shewchuk's error bound,
    :data:`ORIENT_ERROR_BOUND`): a pair too close to call is left unproven, as is any geometry of
    another kind (holes, several parts, repeated vertices) or of more than
    :data:`PROOF_MAX_VERTICES` vertices (every pair of edges is tested), for GEOS to judge. 5–10×
    faster than GEOS on patches of tens of vertices. None when the compiled kernel cannot run.

    >>> import shapely
    >>> simple_polygons(np.array([shapely.box(0, 0, 2, 1),
    ...     shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]),  # a bow-tie
    ...     shapely.Point(0, 0)])).tolist()
    [True, False, False]
    """
    import shapely  # noqa: PLC0415

    if not ready():
        return None
    arr = np.asarray(geoms, dtype=object)
    proven = np.zeros(len(arr), bool)
    one = np.flatnonzero(
        (shapely.get_type_id(arr) == 3)
        & (shapely.get_num_interior_rings(arr) == 0)
        & (shapely.get_num_coordinates(arr) <= PROOF_MAX_VERTICES)
    )
    if not len(one):
        return proven
    xy, owner = shapely.get_coordinates(arr[one], return_index=True)
    poff = np.searchsorted(owner, np.arange(len(one) + 1)).astype(np.int64)
    proven[one] = _MODULE.simple_rings(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), poff)
    return proven


def _grid_pairs(qb, x0, y0, cell, nx, ny, cell_start, cell_feat, fb):  # pragma: no cover - compiled
    m = qb.shape[0]
    cap = max(64, 8 * m)
    pq = np.empty(cap, np.int64)
    pf = np.empty(cap, np.int64)
    n = 0
    for q in range(m):
        b0, b1, b2, b3 = qb[q, 0], qb[q, 1], qb[q, 2], qb[q, 3]
        if not (np.isfinite(b0) and np.isfinite(b1) and np.isfinite(b2) and np.isfinite(b3)):
            continue
        if b2 < x0 or b3 < y0 or b0 > x0 + nx * cell or b1 > y0 + ny * cell:
            continue  # wholly beyond the grid on one side
        ix0 = min(max(int((b0 - x0) // cell), 0), nx - 1)
        ix1 = min(max(int((b2 - x0) // cell), 0), nx - 1)
        iy0 = min(max(int((b1 - y0) // cell), 0), ny - 1)
        iy1 = min(max(int((b3 - y0) // cell), 0), ny - 1)
        first = n
        for cy in range(iy0, iy1 + 1):
            for cx in range(ix0, ix1 + 1):
                c = cy * nx + cx
                for k in range(cell_start[c], cell_start[c + 1]):
                    f = cell_feat[k]
                    f0, f1, f2, f3 = fb[f, 0], fb[f, 1], fb[f, 2], fb[f, 3]
                    if f0 > b2 or f2 < b0 or f1 > b3 or f3 < b1:
                        continue
                    # Each pair once: in the cell of the lower-left corner of the boxes' intersection.
                    rx = min(max(int((max(f0, b0) - x0) // cell), 0), nx - 1)
                    ry = min(max(int((max(f1, b1) - y0) // cell), 0), ny - 1)
                    if ry * nx + rx != c:
                        continue
                    if n == cap:
                        cap *= 2
                        grown_q = np.empty(cap, np.int64)
                        grown_f = np.empty(cap, np.int64)
                        grown_q[:n] = pq[:n]
                        grown_f[:n] = pf[:n]
                        pq, pf = grown_q, grown_f
                    pq[n] = q
                    pf[n] = f
                    n += 1
        if n - first > 1:
            pf[first:n] = np.sort(pf[first:n])
    return pq[:n].copy(), pf[:n].copy()


def grid_pairs(
    qb: np.ndarray,
    origin: tuple[float, float],
    cell: float,
    shape: tuple[int, int],
    cell_start: np.ndarray,
    cell_feat: np.ndarray,
    bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(box, feature) of every query box meeting a feature's box in the grid of
    :class:`hygis.engine.index.GridIndex`, sorted by box then feature (closed boxes: touching
    counts; a box with a non-finite bound meets nothing).

    Compiled where the kernel runs; else the same function, uncompiled (~10× slower than numpy
    would be: fine for the small layers of a machine without numba, slow for 10⁵ features).
    """
    args = (
        np.ascontiguousarray(qb, dtype=np.float64),
        float(origin[0]),
        float(origin[1]),
        float(cell),
        int(shape[0]),
        int(shape[1]),
        np.ascontiguousarray(cell_start, dtype=np.int64),
        np.ascontiguousarray(cell_feat, dtype=np.int32),
        np.ascontiguousarray(bounds, dtype=np.float64),
    )
    if not ready():
        return _PLAIN["_grid_pairs"](*args)
    return _MODULE.grid_pairs(*args)


def _halfplane(x, y, rid, lo, hi, v_axis, v_mid, flip, ox, oy, orid, n):  # pragma: no cover - compiled
    # clip.clip_halfplane on vertices lo:hi (whole rings) by the half-plane of one axis-parallel cut,
    # the same operations in the same order; appends at n, returns the new n.
    k = lo
    while k < hi:
        e = k
        while e < hi and rid[e] == rid[k]:
            e += 1
        for v in range(k, e):
            p = e - 1 if v == k else v - 1
            along_x = v_axis[v]
            mid = v_mid[v]
            # As numpy computes s = dx * (y - ay) - dy * (x - ax): the same bits.
            ax, ay = (mid, 0.0) if along_x else (0.0, mid)
            dx, dy = (0.0, -1.0) if along_x else (-1.0, 0.0)
            if flip:
                dx, dy = -dx, -dy
            sv = dx * (y[v] - ay) - dy * (x[v] - ax)
            sp = dx * (y[p] - ay) - dy * (x[p] - ax)
            if (sv >= 0) != (sp >= 0):
                t = sp / (sp - sv)
                cx = x[p] + t * (x[v] - x[p])
                cy = y[p] + t * (y[v] - y[p])
                if along_x:
                    cx = mid
                else:
                    cy = mid
                ox[n], oy[n], orid[n] = cx, cy, rid[v]
                n += 1
            if sv >= 0:
                ox[n], oy[n], orid[n] = x[v], y[v], rid[v]
                n += 1
        k = e
    return n


def _bisect(x, y, rid, owner, sign, n_owners, cell):  # pragma: no cover - compiled
    # clip.bisect pass by pass: the same pieces, vertices and numbering.
    piece_owner = np.arange(n_owners)
    done_x = np.empty(len(x) * 2 + 16)
    done_y = np.empty(len(x) * 2 + 16)
    done_rid = np.empty(len(x) * 2 + 16, np.int64)
    done_owner = np.empty(len(owner) + 16, np.int64)
    done_sign = np.empty(len(owner) + 16)
    done_po = np.empty(n_owners + 16, np.int64)
    nv = nr = npc = 0
    while len(x):
        n_own = len(piece_owner)
        b = np.empty((n_own, 4))
        has = np.zeros(n_own, np.bool_)
        for v in range(len(x)):
            o = owner[rid[v]]
            if not has[o]:
                has[o] = True
                b[o, 0] = b[o, 2] = x[v]
                b[o, 1] = b[o, 3] = y[v]
            else:
                b[o, 0] = min(b[o, 0], x[v])
                b[o, 1] = min(b[o, 1], y[v])
                b[o, 2] = max(b[o, 2], x[v])
                b[o, 3] = max(b[o, 3], y[v])
        split = np.zeros(n_own, np.bool_)
        small = np.zeros(n_own, np.bool_)
        for o in range(n_own):
            if has[o]:
                wx, wy = b[o, 2] - b[o, 0], b[o, 3] - b[o, 1]
                split[o] = max(wx, wy) > cell
                small[o] = not split[o]
        # Finished pieces, in owner order, numbered after those of the passes before.
        rank = np.cumsum(small) - 1
        need_v = nv + len(x)
        if need_v > len(done_x):
            grown = max(need_v, 2 * len(done_x))
            done_x = np.concatenate((done_x[:nv], np.empty(grown - nv)))
            done_y = np.concatenate((done_y[:nv], np.empty(grown - nv)))
            done_rid = np.concatenate((done_rid[:nv], np.empty(grown - nv, np.int64)))
        if nr + len(owner) > len(done_owner):
            grown = max(nr + len(owner), 2 * len(done_owner))
            done_owner = np.concatenate((done_owner[:nr], np.empty(grown - nr, np.int64)))
            done_sign = np.concatenate((done_sign[:nr], np.empty(grown - nr)))
        if npc + n_own > len(done_po):
            grown = max(npc + n_own, 2 * len(done_po))
            done_po = np.concatenate((done_po[:npc], np.empty(grown - npc, np.int64)))
        ring_new = np.full(len(owner), -1, np.int64)
        kept_rings = 0
        for r in range(len(owner)):
            if small[owner[r]]:
                ring_new[r] = nr + kept_rings
                done_owner[nr + kept_rings] = npc + rank[owner[r]]
                done_sign[nr + kept_rings] = sign[r]
                kept_rings += 1
        for v in range(len(x)):
            r = ring_new[rid[v]]
            if r >= 0:
                done_x[nv], done_y[nv], done_rid[nv] = x[v], y[v], r
                nv += 1
        for o in range(n_own):
            if small[o]:
                done_po[npc + rank[o]] = piece_owner[o]
        nr += kept_rings
        npc += int(small.sum())
        if not split.any():
            break
        # The split owners' rings, renumbered (clip._select).
        srank = np.cumsum(split) - 1
        n_p = int(split.sum())
        sring = np.full(len(owner), -1, np.int64)
        n_r = 0
        for r in range(len(owner)):
            if split[owner[r]]:
                sring[r] = n_r
                n_r += 1
        s_owner = np.empty(n_r, np.int64)
        s_sign = np.empty(n_r)
        for r in range(len(owner)):
            if sring[r] >= 0:
                s_owner[sring[r]] = srank[owner[r]]
                s_sign[sring[r]] = sign[r]
        m = 0
        for v in range(len(x)):
            if sring[rid[v]] >= 0:
                m += 1
        sx = np.empty(m)
        sy = np.empty(m)
        srid = np.empty(m, np.int64)
        m = 0
        for v in range(len(x)):
            if sring[rid[v]] >= 0:
                sx[m], sy[m], srid[m] = x[v], y[v], sring[rid[v]]
                m += 1
        sb = np.empty((n_p, 4))
        s_po = np.empty(n_p, np.int64)
        for o in range(n_own):
            if split[o]:
                sb[srank[o]] = b[o]
                s_po[srank[o]] = piece_owner[o]
        # Cut along the middle of the longer side, crossing points exactly on the cut.
        v_axis = np.empty(m, np.bool_)
        v_mid = np.empty(m)
        for v in range(m):
            o = s_owner[srid[v]]
            along_x = (sb[o, 2] - sb[o, 0]) >= (sb[o, 3] - sb[o, 1])
            v_axis[v] = along_x
            v_mid[v] = (sb[o, 0] + sb[o, 2]) / 2 if along_x else (sb[o, 1] + sb[o, 3]) / 2
        cx = np.empty(4 * m + 4)
        cy = np.empty(4 * m + 4)
        crid = np.empty(4 * m + 4, np.int64)
        half = _halfplane(sx, sy, srid, 0, m, v_axis, v_mid, False, cx, cy, crid, 0)
        total = _halfplane(sx, sy, srid, 0, m, v_axis, v_mid, True, cx, cy, crid, half)
        for v in range(half, total):
            crid[v] += n_r  # the second halves are new rings of new pieces
        c_owner = np.concatenate((s_owner, s_owner + n_p))
        c_sign = np.concatenate((s_sign, s_sign))
        # Rings of exactly zero area wind nowhere (clip._drop_flat), measured as numpy does.
        area = np.zeros(2 * n_r)
        k = 0
        while k < total:
            e = k
            while e < total and crid[e] == crid[k]:
                e += 1
            fx, fy = cx[k], cy[k]
            acc = 0.0
            for v in range(k, e):
                p = e - 1 if v == k else v - 1
                acc += (cx[p] - fx) * (cy[v] - fy) - (cx[v] - fx) * (cy[p] - fy)
            area[crid[k]] = acc / 2.0
            k = e
        used_ring = np.zeros(2 * n_r, np.bool_)
        keep_v = 0
        for v in range(total):
            if area[crid[v]] != 0:
                used_ring[crid[v]] = True
                keep_v += 1
        ring_id = np.cumsum(used_ring) - 1
        used_owner = np.zeros(2 * n_p, np.bool_)
        for r in range(2 * n_r):
            if used_ring[r]:
                used_owner[c_owner[r]] = True
        owner_id = np.cumsum(used_owner) - 1
        x = np.empty(keep_v)
        y = np.empty(keep_v)
        rid = np.empty(keep_v, np.int64)
        keep_v = 0
        for v in range(total):
            if area[crid[v]] != 0:
                x[keep_v], y[keep_v], rid[keep_v] = cx[v], cy[v], ring_id[crid[v]]
                keep_v += 1
        n_used = int(used_ring.sum())
        owner = np.empty(n_used, np.int64)
        sign = np.empty(n_used)
        for r in range(2 * n_r):
            if used_ring[r]:
                owner[ring_id[r]] = owner_id[c_owner[r]]
                sign[ring_id[r]] = c_sign[r]
        both = np.concatenate((s_po, s_po))
        piece_owner = np.empty(int(used_owner.sum()), np.int64)
        for o in range(2 * n_p):
            if used_owner[o]:
                piece_owner[owner_id[o]] = both[o]
    vertices = (done_x[:nv].copy(), done_y[:nv].copy(), done_rid[:nv].copy())
    return vertices + (done_owner[:nr].copy(), done_sign[:nr].copy(), done_po[:npc].copy())


def bisect(r: clip.Rings, n_owners: int, cell: float) -> tuple[clip.Rings, np.ndarray] | None:
    """:func:`hygis.engine.clip.bisect` compiled: the same pieces, vertices and numbering.

    None when the compiled kernel cannot run, or while a helper still compiles it
    (:func:`finish_compiling` waits for it).
    """
    if not ready() or _helped("_bisect"):
        return None  # the numpy bisection: the same pieces
    x, y, rid, owner, sign, piece_owner = _MODULE.bisect(
        np.ascontiguousarray(r.x, dtype=np.float64),
        np.ascontiguousarray(r.y, dtype=np.float64),
        np.ascontiguousarray(r.rid, dtype=np.int64),
        np.ascontiguousarray(r.owner, dtype=np.int64),
        np.ascontiguousarray(r.sign, dtype=np.float64),
        int(n_owners),
        float(cell),
    )
    return clip.Rings(x, y, rid, owner, sign), piece_owner


def one_ring_layer(geoms: np.ndarray) -> tuple[RingArrays, tuple[np.ndarray, ...]] | None:
    """The kernel's rings and the convex features of a layer of one-ring polygons, in one pass.

    What :func:`hygis.engine.clip.rings_of`, :func:`hygis.engine.clip.convex_rings` and
    :meth:`RingArrays.from_rings` give, the same numbers, ~10× faster on 10⁵ patches; None when a
    feature is not a Polygon without holes (those take that way).

    >>> import shapely
    >>> rings, (convex, offsets, cx, cy) = one_ring_layer(np.array([shapely.box(0, 0, 2, 1)]))
    >>> rings.off.tolist(), convex.tolist(), offsets.tolist(), len(cx)
    ([0, 4], [True], [0, 5], 5)
    """
    import shapely  # noqa: PLC0415

    arr = np.asarray(geoms, dtype=object)
    if not len(arr) or not (
        (shapely.get_type_id(arr) == 3).all()
        and not shapely.get_num_interior_rings(arr).any()
        and not shapely.is_empty(arr).any()
    ):
        return None
    xy, owner = shapely.get_coordinates(arr, return_index=True)
    poff = np.searchsorted(owner, np.arange(len(arr) + 1)).astype(np.int64)
    if not ready():
        return None
    x, y, off, sign, convex, coff, cx, cy = _MODULE.one_ring_layer(
        np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), poff
    )
    rings = RingArrays(x, y, off, sign, np.arange(len(arr) + 1, dtype=np.int64))
    return rings, (convex, coff, cx, cy)


#: The kernel's functions as written (numba compiles them in :func:`_entry`).
_PLAIN = {part: globals()[part] for part in _PARTS}


def pair_areas(
    pi: np.ndarray,
    fj: np.ndarray,
    pieces: RingArrays,
    piece_clippers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    features: RingArrays,
    layer,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area of piece ``pi[k]`` ∩ feature ``fj[k]`` for every pair, and the centroid of each overlap.

    Parameters
    ----------
    pi, fj : int arrays
        The pairs.
    pieces : RingArrays
        The sites' pieces (:func:`hygis.engine.clip.bisect`).
    piece_clippers : (convex, offsets, cx, cy)
        :func:`hygis.engine.clip.convex_rings` of the pieces.
    features : RingArrays
        The layer's features.
    layer : Layer or LayerIndex
        ``convex``, ``offsets``, ``cx``, ``cy``: which features are convex, and their vertices.

    Returns
    -------
    (area, cx, cy)
        In the square of the coordinates' unit; the centroid is NaN where the area is 0.
    """
    p_convex, p_off, p_cx, p_cy = piece_clippers
    longest = max(
        int(np.diff(pieces.off).max(initial=0)),
        int(np.diff(features.off).max(initial=0)),
    )
    clipper = max(
        int(np.diff(p_off).max(initial=0)), int(np.diff(np.asarray(layer.offsets)).max(initial=0)), 4
    )
    # Room for a ring crossing every clipper edge; a rare larger result retries with more.
    cap = 2 * (longest + clipper) + 8
    while True:
        try:
            return _run(pi, fj, pieces, piece_clippers, features, layer, cap)
        except ValueError:
            cap *= 4


def _run(pi, fj, pieces, piece_clippers, features, layer, cap):
    p_convex, p_off, p_cx, p_cy = piece_clippers
    return _entry()(
        np.ascontiguousarray(pi, dtype=np.int64),
        np.ascontiguousarray(fj, dtype=np.int64),
        pieces.x,
        pieces.y,
        pieces.off,
        pieces.sign,
        pieces.start,
        np.ascontiguousarray(p_convex, dtype=np.bool_),
        np.ascontiguousarray(p_off, dtype=np.int64),
        np.ascontiguousarray(p_cx, dtype=np.float64),
        np.ascontiguousarray(p_cy, dtype=np.float64),
        features.x,
        features.y,
        features.off,
        features.sign,
        features.start,
        np.ascontiguousarray(layer.convex, dtype=np.bool_),
        np.ascontiguousarray(layer.offsets, dtype=np.int64),
        np.ascontiguousarray(layer.cx, dtype=np.float64),
        np.ascontiguousarray(layer.cy, dtype=np.float64),
        cap,
    )


def _warm_arguments() -> tuple[Any, ...]:
    """A one-pair case in the argument types :func:`_run` passes: compiling the kernel for it
    compiles (or loads) the one the engine calls."""
    ring = (np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0, 1.0]))
    convex, off, cx, cy = (
        np.ones(1, bool),
        np.array([0, 5], np.int64),
        np.r_[ring[0], 0.0],
        np.r_[ring[1], 0.0],
    )
    zero = np.zeros(1, np.int64)
    rings = (ring[0], ring[1], np.array([0, 4], np.int64), np.ones(1), np.array([0, 1], np.int64))
    clipper = (convex, off, cx, cy)
    return (zero, zero, *rings, *clipper, *rings, *clipper, 16)


def warm_up() -> None:
    """Load the compiled kernel now (from numba's cache, or compiling it the first time on a machine).

    Called before the engine starts its threads (and before ``hygis serve`` forks its children),
    so that the load is paid once, up front.
    """
    ready()


__all__ = [
    "AVAILABLE",
    "RingArrays",
    "bisect",
    "cache_folder",
    "grid_pairs",
    "pair_areas",
    "simple_polygons",
    "warm_up",
]
