"""The overlap engine's kernel: the area (and centroid) of many (piece, feature) pairs, compiled.

Sutherland–Hodgman clipping by convex polygons, written pair by pair and compiled with numba, so
that a pair costs what its vertices cost and nothing is allocated per pass. Why it is exact for
any valid subject (convex or not, with holes, multipart): clipping a closed chain against a
half-plane H gives a chain whose winding number is the original's inside H and zero outside it;
clipping against every edge of a convex polygon C therefore leaves chains whose signed area is
that of (ring ∩ C) — the bridges left along C's border are walked both ways and add nothing —
and summing ±(signed area) over the rings (shells +, holes −) gives area(polygon ∩ C) to
rounding, the number GEOS gives for ``area(intersection)``. Per pair ``(piece p, feature f)``:

* ``f`` convex: ``p``'s rings clipped by ``f``;
* else ``p`` convex: ``f``'s rings clipped by ``p`` (shells and holes cancel to 1e-12 of their sum
  where ``p`` lies in a hole);
* else: the larger of the two (by box) as its signed fan — per ring, the wedges from the ring's
  box centre to each edge, weighted ±1, add up to it exactly from any apex — and the smaller
  clipped by each wedge that meets its box (from a central apex, only the few around it).

Coordinates are taken relative to the clipper's first vertex, so that Gauss–Krüger coordinates
(10⁶ m) keep their digits. The same module cuts sites into pieces (:func:`bisect`), pairs boxes
in a grid (:func:`grid_pairs`), reads one-ring layers (:func:`one_ring_layer`) and proves rings
simple (:func:`simple_polygons`). One implementation of each: compiled by numba's JIT into a
per-machine cache (no C compiler), or the very same functions run by Python (:data:`PLAIN`)
while that compile runs on a new machine, or where numba cannot: see :func:`functions`. GEOS
(shapely) is the tests' oracle.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hygis.engine import clip

#: How the kernel runs: ``compiled`` (numba's JIT, the default) or ``plain`` (the same functions
#: run by Python: the same bits, ~100× slower; what runs where numba cannot, and what a test
#: compares the compiled kernel with). ``HYGIS_KERNEL=plain`` asks for it.
MODE = "plain" if os.environ.get("HYGIS_KERNEL", "compiled") == "plain" else "compiled"

#: The kernel's entry points, callees first (numba compiles a callee with its first caller).
_PARTS = (
    "_clip_ring",
    "_moments",
    "_clip_owner",
    "_box",
    "_box_inside",
    "_fan_clip",
    "_pair_areas",
    "_one_ring_layer",
    "_orient",
    "_simple_rings",
    "_sort_range",
    "_grid_pairs",
    "_grown",
    "_numbered",
    "_halfplane",
    "_bisect",
)
_ENTRIES = ("_pair_areas", "_one_ring_layer", "_simple_rings", "_grid_pairs", "_bisect")
#: Shewchuk's bound on the rounding error of a 2-D orientation determinant, relative to the sum
#: of its two products' magnitudes ((3 + 16ε)ε, ε = 2⁻⁵³): beyond it the determinant's sign is exact.
ORIENT_ERROR_BOUND = (3.0 + 16.0 * 2.0**-53) * 2.0**-53
#: The largest ring :func:`simple_polygons` proves (its test is quadratic in the vertices; GEOS's
#: is not): above it GEOS judges. Patches have tens of vertices, sites and red lines hundreds or more.
PROOF_MAX_VERTICES = 48
#: The geometries :func:`simple_polygons` reads at a time.
PROOF_PART = 5_000
#: The most work a call gives the plain kernel while the compiled one is being built on a new
#: machine, in inner-loop steps (vertex × clipper edge for a pair, vertex × pass for a cut): about
#: 2–3 s of Python (1–1.5 µs a step, measured), against ~15 s of compiling. A larger call waits.
PLAIN_MAX_WORK = 2_000_000
#: How long a compile may take another process before this one stops waiting for it, in seconds.
COMPILE_TIMEOUT_S = 300.0
#: The compiling helper touches its mark (``.compiling``) this often, in seconds; a mark untouched
#: for :data:`MARK_STALE_S` is a helper that was killed (a closed laptop lid, Task Manager): on every
#: OS, without asking whether its pid lives (which Windows cannot be asked without harm).
HEARTBEAT_S = 2.0
MARK_STALE_S = 15.0


class KernelUnavailable(RuntimeError):
    """numba is installed but cannot compile here (e.g. built for another NumPy)."""


class _Functions:
    """The kernel's entry points: numba dispatchers, or the plain functions."""

    def __init__(self, fns: dict[str, Any]) -> None:
        self.pair_areas = fns["_pair_areas"]
        self.one_ring_layer = fns["_one_ring_layer"]
        self.simple_rings = fns["_simple_rings"]
        self.grid_pairs = fns["_grid_pairs"]
        self.bisect = fns["_bisect"]


#: Held while the compiled kernel is loaded: the validity thread of a large layer and the main
#: thread may both need it first; one loads it, the other waits and takes it.
_LOCK = threading.RLock()
#: The entry points as numba dispatchers (decorated once, under the cache folder), and those of
#: them loaded (from numba's cache, or compiled here).
_DISPATCHERS: dict[str, Any] | None = None
_READY: set[str] = set()
_COMPILED: _Functions | None = None
#: Set once numba is found unable to run here (said once): the plain kernel from then on.
_BROKEN: str | None = None
#: The process compiling the kernel into numba's cache on a new machine (see :func:`entry`).
_HELPER: subprocess.Popen | None = None


def entry(name: str, work: int = -1) -> Callable[..., Any]:
    """The kernel's entry point ``name`` (e.g. ``"_pair_areas"``) to run a call of ``work`` steps.

    Compiled by numba's JIT, its machine code kept on disk by numba's cache in hygis's cache
    folder (:func:`cache_folder`): only wheels are needed, no C compiler, no Python headers. On a
    new machine the compile (~15 s of numba's front end) runs in a helper process, started by the
    first call; meanwhile a call of at most :data:`PLAIN_MAX_WORK` runs the same function by
    Python (:data:`PLAIN`: the same bits), a larger one waits for the compile (said once), and
    each entry point is taken compiled as soon as the helper has written it. Loaded once per
    process; the compiled kernels release the GIL (``nogil``), so the engine's threads run them
    side by side. Where numba cannot run (said once), or with ``HYGIS_KERNEL=plain``, the plain
    functions always. ``work < 0``: the compiled one, whatever it takes.
    """
    if MODE == "plain" or _BROKEN is not None:
        return _PLAIN_COPY[name]
    if name in _READY:
        return _DISPATCHERS[name]  # type: ignore[index]
    with _LOCK:
        if name in _READY:  # loaded by another thread while this one waited
            return _DISPATCHERS[name]  # type: ignore[index]
        folder = cache_folder()
        if _BROKEN is None and folder is not None and not _cached(folder, name):
            if _compiling_elsewhere(folder) or _start_helper(folder):
                if 0 <= work <= PLAIN_MAX_WORK:
                    return _PLAIN_COPY[name]
                _wait_for_compile(folder)
        if _BROKEN is not None:  # found so by _start_helper
            return _PLAIN_COPY[name]
        return _load(folder, name)


def functions() -> _Functions:
    """Every entry point compiled (loaded from numba's cache, or compiled, waiting for a helper
    that compiles them); the plain ones where numba cannot run."""
    global _COMPILED
    if MODE == "plain" or _BROKEN is not None:
        return PLAIN
    if _COMPILED is not None:
        return _COMPILED
    fns = {name: entry(name) for name in _ENTRIES}
    if _BROKEN is not None:
        return PLAIN
    with _LOCK:
        _COMPILED = _COMPILED or _Functions(fns)
    return _COMPILED


def _load(folder: Path | None, name: str) -> Callable[..., Any]:
    """Load from numba's cache, or compile, entry point ``name`` (under :data:`_LOCK`)."""
    global _DISPATCHERS
    broken = _numba_broken()
    if broken:
        return getattr(_give_up(broken), name.lstrip("_"))
    try:
        if _DISPATCHERS is None:
            _DISPATCHERS = _jit(folder)
        # Loaded (or compiled) now, on a tiny case of the engine's argument types, not by a caller.
        _DISPATCHERS[name](*_warm_arguments()[name])
    except Exception as exc:  # numba imports, yet cannot compile here
        return getattr(_give_up(f"{type(exc).__name__}: {exc}"), name.lstrip("_"))
    _READY.add(name)
    return _DISPATCHERS[name]


def _lock_file(folder: Path) -> Path:
    return folder / ".compiling"


def _compiling_elsewhere(folder: Path) -> bool:
    """Whether a process compiles the kernel into ``folder`` now: its mark was touched within
    :data:`MARK_STALE_S` (its heartbeat) and, where that can be asked without harm (not on Windows,
    where ``os.kill(pid, 0)`` kills), it is alive."""
    import time  # noqa: PLC0415

    mark = _lock_file(folder)
    try:
        age = time.time() - mark.stat().st_mtime
        pid = int(mark.read_text(encoding="utf-8").strip() or 0)
    except (OSError, ValueError):
        return False
    if age >= MARK_STALE_S:
        return False  # its helper stopped beating: killed before it could remove its mark
    if pid and sys.platform != "win32":
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False  # killed before it could remove its mark
        except OSError:
            pass  # alive, another user's
    return True


def _start_helper(folder: Path) -> bool:
    """Start compiling every entry point into ``folder`` in a helper process (False if it cannot).

    A plain ``subprocess`` (no fork: the same on every OS), its output and warnings kept in it.
    It outlives the command if the command ends first: the compile is written atomically by
    numba, so the next command finds it whole (or compiles again).
    """
    global _HELPER
    if _HELPER is not None:
        return _HELPER.poll() is None
    broken = _numba_broken()
    if broken:
        _give_up(broken)
        return False
    from hygis.messages import warn  # noqa: PLC0415 - only then

    try:
        folder.mkdir(parents=True, exist_ok=True)
        _lock_file(folder).write_text(str(os.getpid()), encoding="utf-8")
    except OSError:
        return False
    package = str(Path(__file__).resolve().parents[2])
    code = (
        f"import sys; sys.path.insert(0, {package!r}); "
        "from hygis.engine.kernel import compile_here; compile_here()"
    )
    try:
        _HELPER = subprocess.Popen(
            [sys.executable, "-c", code],
            env={**os.environ, "HYGIS_KERNEL_DIR": str(folder), "HYGIS_KERNEL": "compiled"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **_detached(),
        )
    except OSError:
        _lock_file(folder).unlink(missing_ok=True)
        return False
    try:
        _lock_file(folder).write_text(str(_HELPER.pid), encoding="utf-8")  # the one to ask after
    except OSError:
        pass
    # A planner waits once: say why (the warning channel reaches the CLI and Python users).
    warn(
        f"compiling hygis's overlap kernel for this machine, once (~15 s, in the background; kept in "
        f"{folder})"
    )
    return True


def _detached() -> dict[str, Any]:
    """Popen options that keep the helper out of the command's Ctrl-C (it is not the user's job)."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def _wait_for_compile(folder: Path) -> None:
    """Wait for the helper (this process's, or another's) to finish compiling into ``folder``."""
    import time  # noqa: PLC0415

    from hygis.messages import warn  # noqa: PLC0415

    warn("waiting for the overlap kernel to finish compiling (once per machine)")
    if _HELPER is not None:
        try:
            _HELPER.wait(timeout=COMPILE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        return
    deadline = time.monotonic() + COMPILE_TIMEOUT_S  # then this process compiles for itself
    while _compiling_elsewhere(folder) and not _cached(folder) and time.monotonic() < deadline:
        time.sleep(0.2)


def compile_here() -> None:
    """Compile every entry point into numba's cache (in the helper process of :func:`functions`),
    for the argument types the engine passes them; then remove the mark saying it compiles."""
    folder = cache_folder()
    done = threading.Event()
    if folder is not None:
        threading.Thread(target=_heartbeat, args=(_lock_file(folder), done), daemon=True).start()
    try:
        for name in _ENTRIES:  # the pair areas first: the first entry a check needs compiled
            _load(folder, name)
    finally:
        done.set()
        if folder is not None:
            _lock_file(folder).unlink(missing_ok=True)


def _heartbeat(mark: Path, done: threading.Event) -> None:
    """Touch ``mark`` every :data:`HEARTBEAT_S` until ``done``: the sign that its compile lives."""
    while not done.wait(HEARTBEAT_S):
        try:
            os.utime(mark)
        except OSError:
            return  # removed (its folder cleared): nothing to keep fresh


def cache_folder() -> Path | None:
    """Where numba keeps the compiled kernel: ``$HYGIS_KERNEL_DIR``, else ``numba`` in hygis's cache
    folder (:func:`hygis.settings.cache_dir`); None where it cannot be written (the kernel is then
    compiled in each process, and kept nowhere)."""
    from hygis import settings  # noqa: PLC0415 - settings imports nothing of the engine's

    # $HYGIS_KERNEL_DIR: one compiled kernel shared by several cache folders (a test session's, a CI job's).
    env = os.environ.get("HYGIS_KERNEL_DIR")
    folder = Path(env) if env else settings.cache_dir() / "numba"
    return None if settings.cache_unwritable(folder) is not None else folder


def _cached(folder: Path, name: str | None = None) -> bool:
    """Whether numba's cache in ``folder`` has entry point ``name`` (None: all of them)."""
    return all(any(folder.glob(f"*/*{part}-*.nbi")) for part in ([name] if name else _ENTRIES))


def _numba_broken() -> str | None:
    """Why numba cannot be imported (None when it can).

    numba refuses to import under a NumPy newer than it supports ("Numba needs NumPy 2.2 or
    less"), after an upgrade of one without the other.
    """
    try:
        import numba  # noqa: PLC0415, F401 - only to know that it imports
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _give_up(why: str) -> _Functions:
    """Run the plain kernel from now on in this process, and say why once."""
    global _BROKEN
    if _BROKEN is not None:  # said already
        return PLAIN
    _BROKEN = why
    globals().update(_PLAIN)  # a compile that failed half-way may have bound some callees
    from hygis.messages import warn  # noqa: PLC0415 - only then

    warn(
        f"numba cannot run here ({why}); hygis runs its kernel uncompiled instead (the same areas, "
        "much slower on large layers). Reinstall numba to match NumPy: pip install -U numba"
    )
    return PLAIN


def loaded() -> bool:
    """Whether the compiled kernel is loaded in this process (using it then costs no compile)."""
    return _READY.issuperset(_ENTRIES)


def warm_up() -> None:
    """Load the compiled kernel now (from numba's cache, or compiling it the first time on a
    machine, waiting for that): before the engine starts its threads, before a benchmark times."""
    functions()


def load_soon() -> threading.Thread | None:
    """Start loading the compiled kernel from numba's cache in a thread of its own, and return it.

    Loading takes ~0.8 s (importing numba, LLVM linking the machine code): started when a job
    starts, it runs while the job reads its files (pyarrow and GEOS release the GIL) instead of
    before the first overlap is measured. Only where the kernel is in the cache: on a new machine
    (or where numba cannot run, or with ``HYGIS_KERNEL=plain``) nothing starts, and the first call
    starts the compile as before. Not a daemon: a job that ends sooner waits for the load (it is
    not stopped half-way through LLVM).

    >>> thread = load_soon()
    >>> thread is None or (thread.join() or loaded())
    True
    """
    if MODE == "plain" or _BROKEN is not None or loaded():
        return None
    folder = cache_folder()
    if folder is None or not _cached(folder):
        return None
    thread = threading.Thread(target=functions, name="hygis-kernel-load")
    thread.start()
    return thread


def _jit(folder: Path | None) -> dict[str, Any]:
    """The kernel's functions compiled by numba (each callee bound before its caller), cached in
    ``folder`` (None: not cached).

    numba chooses a function's cache folder when it is decorated, from ``numba.config.CACHE_DIR``:
    set for these decorations only (under :data:`_LOCK`) and put back, so that other numba users
    in the process keep theirs.
    """
    import numba  # noqa: PLC0415 - costs ~0.3 s to import: only when the kernel is compiled
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
    sx, sy, soff, ssign, s0, s1, cx, cy, c0, m, ox, oy, bx, by, tx, ty, lx, ly, whole=False
):
    """Area, |area| sum and moments of the rings s0:s1 of a subject clipped by one convex clipper.

    ``whole``: the subject lies inside the clipper (:func:`_box_inside`), where every pass would keep
    every vertex in order: its rings are measured as they are, the same numbers, unclipped.
    """
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
        if whole:
            if n == 0:
                continue
            a, rx, ry = _moments(lx, ly, n)
        else:
            k = _clip_ring(lx, ly, n, cx, cy, c0, m, ox, oy, bx, by, tx, ty)
            if k == 0:
                continue
            a, rx, ry = _moments(bx, by, k)
        area += ssign[r] * a
        scale += abs(a)
        mx += ssign[r] * rx
        my += ssign[r] * ry
    return area, scale, mx, my


def _box_inside(b, cx, cy, c0, m, ox, oy):  # pragma: no cover - compiled
    """Whether the box ``b`` (xmin, ymin, xmax, ymax) lies inside the convex clipper cx/cy[c0 : c0 + m + 1]
    with room to spare: each corner on the inner side of every edge by more than 1e-9 of the
    largest terms of the edge test :func:`_clip_ring` computes over the box, so that the test keeps
    every vertex inside the box (its rounding is ~1e-16 of those terms)."""
    x0 = b[0] - ox
    y0 = b[1] - oy
    x1 = b[2] - ox
    y1 = b[3] - oy
    for j in range(m):
        ax = cx[c0 + j] - ox
        ay = cy[c0 + j] - oy
        dx = cx[c0 + j + 1] - cx[c0 + j]
        dy = cy[c0 + j + 1] - cy[c0 + j]
        terms = abs(dx) * max(abs(y0 - ay), abs(y1 - ay)) + abs(dy) * max(abs(x0 - ax), abs(x1 - ax))
        least = min(
            dx * (y0 - ay) - dy * (x0 - ax),
            dx * (y1 - ay) - dy * (x0 - ax),
            dx * (y0 - ay) - dy * (x1 - ax),
            dx * (y1 - ay) - dy * (x1 - ax),
        )
        if not least > 1e-9 * terms:
            return False
    return True


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
        # A subject whose box lies inside a convex clipper is measured without clipping: a patch
        # inside a site's piece (most pairs where sites are larger than patches), a piece inside
        # a large convex feature.
        if f_convex[f]:
            c0 = fcoff[f]
            m = fcoff[f + 1] - c0 - 1
            ox = fcx[c0]
            oy = fcy[c0]
            whole = _box_inside(_box(px, py, poff[pstart[p]], poff[pstart[p + 1]]), fcx, fcy, c0, m, ox, oy)
            a, s, mx, my = _clip_owner(
                px, py, poff, psign, pstart[p], pstart[p + 1], fcx, fcy, c0, m, ox, oy,
                bx, by, tx, ty, lx, ly, whole,
            )  # fmt: skip
        elif p_convex[p]:
            c0 = pcoff[p]
            m = pcoff[p + 1] - c0 - 1
            ox = pcx[c0]
            oy = pcy[c0]
            whole = _box_inside(_box(fx, fy, foff[fstart[f]], foff[fstart[f + 1]]), pcx, pcy, c0, m, ox, oy)
            a, s, mx, my = _clip_owner(
                fx, fy, foff, fsign, fstart[f], fstart[f + 1], pcx, pcy, c0, m, ox, oy,
                bx, by, tx, ty, lx, ly, whole,
            )  # fmt: skip
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
    faster than GEOS on patches of tens of vertices. None while the compiled kernel is being built
    for a large call, or where it cannot run: GEOS judges then.

    >>> import shapely
    >>> simple_polygons(np.array([shapely.box(0, 0, 2, 1),
    ...     shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]),  # a bow-tie
    ...     shapely.Point(0, 0)])).tolist()
    [True, False, False]
    """
    import shapely  # noqa: PLC0415

    arr = np.asarray(geoms, dtype=object)
    proven = np.zeros(len(arr), bool)
    one = np.flatnonzero(
        (shapely.get_type_id(arr) == 3)
        & (shapely.get_num_interior_rings(arr) == 0)
        & (shapely.get_num_coordinates(arr) <= PROOF_MAX_VERTICES)
    )
    if not len(one):
        return proven
    n_xy = int(shapely.get_num_coordinates(arr[one]).sum())
    simple_rings = entry("_simple_rings", n_xy * PROOF_MAX_VERTICES // 2)  # every pair of edges
    if simple_rings is _PLAIN_COPY["_simple_rings"] and n_xy > 2_000:  # GEOS is faster than Python
        return None
    # A part at a time: the coordinates' copies (~40 B a vertex) are those of one part, not of the layer.
    for at in range(0, len(one), PROOF_PART):
        part = one[at : at + PROOF_PART]
        xy, owner = shapely.get_coordinates(arr[part], return_index=True)
        poff = np.searchsorted(owner, np.arange(len(part) + 1)).astype(np.int64)
        proven[part] = simple_rings(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), poff)
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
            _sort_range(pf, first, n)
    return pq[:n].copy(), pf[:n].copy()


def _sort_range(a, lo, hi):  # pragma: no cover - compiled
    # a[lo:hi] sorted in place (Shell's sort, Knuth's gaps): what np.sort gives for integers, in
    # plain loops — numba compiles np.sort's generic quicksort in ~1.7 s on a new machine.
    gap = 1
    while gap < (hi - lo) // 3:
        gap = 3 * gap + 1
    while gap >= 1:
        for i in range(lo + gap, hi):
            v = a[i]
            j = i
            while j - gap >= lo and a[j - gap] > v:
                a[j] = a[j - gap]
                j -= gap
            a[j] = v
        gap //= 3


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

    >>> grid_pairs(np.array([[0.0, 0.0, 1.0, 1.0]]), (0.0, 0.0), 10.0, (1, 1),
    ...            np.array([0, 2]), np.array([1, 0]), np.array([[5.0, 5.0, 6.0, 6.0], [0.5, 0.5, 2.0, 2.0]]))
    (array([0]), array([1]))
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
    return entry("_grid_pairs", 4 * (len(qb) + len(bounds)))(*args)


def _halfplane(x, y, rid, lo, hi, v_axis, v_mid, flip, ox, oy, orid, n):  # pragma: no cover - compiled
    # Clip vertices lo:hi (whole rings) by the half-plane of one axis-parallel cut, inclusive (each
    # crossing point put exactly on the cut); appends at n, returns the new n.
    k = lo
    while k < hi:
        e = k
        while e < hi and rid[e] == rid[k]:
            e += 1
        for v in range(k, e):
            p = e - 1 if v == k else v - 1
            along_x = v_axis[v]
            mid = v_mid[v]
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


def _grown(a, n, size):  # pragma: no cover - compiled
    # A copy of a[:n] in an array of ``size`` (np.concatenate costs numba a compile per dtype).
    out = np.empty(size, a.dtype)
    for i in range(n):
        out[i] = a[i]
    return out


def _numbered(flags):  # pragma: no cover - compiled
    # The new number of each flagged item (its rank among them), and how many there are.
    ids = np.empty(len(flags), np.int64)
    n = 0
    for i in range(len(flags)):
        ids[i] = n if flags[i] else n - 1
        if flags[i]:
            n += 1
    return ids, n


def _bisect(x, y, rid, owner, sign, n_owners, cell):  # pragma: no cover - compiled
    # Cut each owner's rings, pass by pass, along the middle of the longer side of its box until
    # every piece is at most ``cell`` across. Plain loops, no numpy routine beyond allocation:
    # numba compiles each routine it meets (cumsum, concatenate, full ...) on a new machine.
    piece_owner = np.empty(n_owners, np.int64)
    for o in range(n_owners):
        piece_owner[o] = o
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
        # Finished pieces (``rank``), in owner order, numbered after those of the passes before;
        # split pieces (``srank``) numbered among themselves.
        rank = np.empty(n_own, np.int64)
        srank = np.empty(n_own, np.int64)
        n_small = n_p = 0
        for o in range(n_own):
            rank[o] = srank[o] = -1
            if has[o]:
                wx, wy = b[o, 2] - b[o, 0], b[o, 3] - b[o, 1]
                if max(wx, wy) > cell:
                    split[o] = True
                    srank[o] = n_p
                    n_p += 1
                else:
                    rank[o] = n_small
                    n_small += 1
        need_v = nv + len(x)
        if need_v > len(done_x):
            grown = max(need_v, 2 * len(done_x))
            done_x = _grown(done_x, nv, grown)
            done_y = _grown(done_y, nv, grown)
            done_rid = _grown(done_rid, nv, grown)
        if nr + len(owner) > len(done_owner):
            grown = max(nr + len(owner), 2 * len(done_owner))
            done_owner = _grown(done_owner, nr, grown)
            done_sign = _grown(done_sign, nr, grown)
        if npc + n_own > len(done_po):
            done_po = _grown(done_po, npc, max(npc + n_own, 2 * len(done_po)))
        ring_new = np.empty(len(owner), np.int64)
        kept_rings = 0
        for r in range(len(owner)):
            ring_new[r] = -1
            if rank[owner[r]] >= 0:
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
            if rank[o] >= 0:
                done_po[npc + rank[o]] = piece_owner[o]
        nr += kept_rings
        npc += n_small
        if n_p == 0:
            break
        # The split owners' rings, renumbered.
        sring = np.empty(len(owner), np.int64)
        n_r = 0
        for r in range(len(owner)):
            sring[r] = -1
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
                for c in range(4):
                    sb[srank[o], c] = b[o, c]
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
        # Rings of exactly zero area wind nowhere: dropped.
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
        # Ring r < n_r is the first half of split ring r, r >= n_r the second: owner + n_p.
        used_owner = np.zeros(2 * n_p, np.bool_)
        for r in range(2 * n_r):
            if used_ring[r]:
                used_owner[s_owner[r % n_r] + (n_p if r >= n_r else 0)] = True
        ring_id, n_used = _numbered(used_ring)
        owner_id, n_pieces = _numbered(used_owner)
        x = np.empty(keep_v)
        y = np.empty(keep_v)
        rid = np.empty(keep_v, np.int64)
        keep_v = 0
        for v in range(total):
            if area[crid[v]] != 0:
                x[keep_v], y[keep_v], rid[keep_v] = cx[v], cy[v], ring_id[crid[v]]
                keep_v += 1
        owner = np.empty(n_used, np.int64)
        sign = np.empty(n_used)
        for r in range(2 * n_r):
            if used_ring[r]:
                owner[ring_id[r]] = owner_id[s_owner[r % n_r] + (n_p if r >= n_r else 0)]
                sign[ring_id[r]] = s_sign[r % n_r]
        piece_owner = np.empty(n_pieces, np.int64)
        for o in range(2 * n_p):
            if used_owner[o]:
                piece_owner[owner_id[o]] = s_po[o % n_p]
    vertices = (done_x[:nv].copy(), done_y[:nv].copy(), done_rid[:nv].copy())
    return vertices + (done_owner[:nr].copy(), done_sign[:nr].copy(), done_po[:npc].copy())


def bisect(r: clip.Rings, n_owners: int, cell: float) -> tuple[clip.Rings, np.ndarray]:
    """The owners' rings cut into pieces of at most ``cell`` across (m), and each piece's owner.

    Each owner whose box is wider or taller than ``cell`` is cut along the middle of its box's
    longer side (crossing points exactly on the cut), again until every piece fits; rings of
    exactly zero area are dropped. Pieces are numbered by the pass that finished them, then by
    owner. Exact: the pieces of an owner tile it (their signed areas add up to its own).

    >>> import shapely
    >>> pieces, owner = bisect(clip.rings_of([shapely.box(0, 0, 4, 1)]), 1, 1.0)
    >>> owner.tolist(), sorted(set(pieces.x.tolist()))
    ([0, 0, 0, 0], [0.0, 1.0, 2.0, 3.0, 4.0])
    """
    span = max(float(np.ptp(r.x)), float(np.ptp(r.y))) if len(r.x) else 0.0
    passes = max(1.0, float(np.log2(max(span, cell) / cell)))  # at most: the whole extent halved
    x, y, rid, owner, sign, piece_owner = entry("_bisect", int(2 * len(r.x) * passes))(
        np.ascontiguousarray(r.x, dtype=np.float64),
        np.ascontiguousarray(r.y, dtype=np.float64),
        np.ascontiguousarray(r.rid, dtype=np.int64),
        np.ascontiguousarray(r.owner, dtype=np.int64),
        np.ascontiguousarray(r.sign, dtype=np.float64),
        int(n_owners),
        float(cell),
    )
    return clip.Rings(x, y, rid, owner, sign), piece_owner


def one_ring_layer(
    geoms: np.ndarray, work: int | None = None
) -> tuple[RingArrays, tuple[np.ndarray, ...]] | None:
    """The kernel's rings and the convex features of a layer of one-ring polygons, in one pass.

    What :func:`hygis.engine.clip.rings_of`, :func:`hygis.engine.clip.convex_rings` and
    :meth:`RingArrays.from_rings` give, the same numbers, ~10× faster on 10⁵ patches; None when a
    feature is not a Polygon without holes (those take that way). ``work``: the steps of the whole
    job this call is a part of (4 per vertex), where a layer is read in parts: what decides, on a
    new machine, whether the part waits for the compiled kernel (see :func:`entry`).

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
    x, y, off, sign, convex, coff, cx, cy = entry("_one_ring_layer", 4 * len(xy) if work is None else work)(
        np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), poff
    )
    rings = RingArrays(x, y, off, sign, np.arange(len(arr) + 1, dtype=np.int64))
    return rings, (convex, coff, cx, cy)


#: The kernel's functions as written (numba compiles them in :func:`_jit`).
_PLAIN = {part: globals()[part] for part in _PARTS}


def _plain_copy() -> dict[str, Any]:
    """The functions again, bound to globals of their own in which every callee is plain: once
    :func:`_jit` binds the module's names to numba dispatchers, the plain kernel must not call
    them (a dispatcher not yet in the cache would compile here, in the middle of a call)."""
    namespace = dict(globals())
    copies = {
        part: types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
        for part, fn in _PLAIN.items()
    }
    namespace.update(copies)
    return copies


_PLAIN_COPY = _plain_copy()
#: The kernel run by Python (:data:`MODE`): the same functions, the same bits, ~100× slower.
PLAIN = _Functions(_PLAIN_COPY)


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


def _pair_work(pi: np.ndarray, fj: np.ndarray, pieces: RingArrays, features: RingArrays) -> int:
    """Inner-loop steps of clipping the pairs: each piece's vertices × its feature's (an upper bound)."""
    if not len(pi):
        return 0
    pv = np.diff(pieces.off[pieces.start]).astype(np.float64)
    fv = np.diff(features.off[features.start]).astype(np.float64)
    return int(min(np.dot(pv[pi], fv[fj]), 1e18))


def _run(pi, fj, pieces, piece_clippers, features, layer, cap):
    p_convex, p_off, p_cx, p_cy = piece_clippers
    return entry("_pair_areas", _pair_work(pi, fj, pieces, features))(
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


def _warm_arguments() -> dict[str, tuple[Any, ...]]:
    """A tiny case of each entry point, in the argument types its wrapper passes: calling it
    compiles (or loads) the machine code the engine calls."""
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
    closed = (np.r_[ring[0], 0.0], np.r_[ring[1], 0.0], np.array([0, 5], np.int64))
    box = np.array([[0.0, 0.0, 1.0, 1.0]])
    return {
        "_pair_areas": (zero, zero, *rings, *clipper, *rings, *clipper, 16),
        "_one_ring_layer": closed,
        "_simple_rings": closed,
        "_grid_pairs": (box, 0.0, 0.0, 10.0, 1, 1, np.array([0, 1], np.int64), np.zeros(1, np.int32), box),
        "_bisect": (*ring, np.zeros(4, np.int64), zero, np.ones(1), 1, 1.0),
    }


__all__ = [
    "MODE",
    "PLAIN",
    "RingArrays",
    "bisect",
    "cache_folder",
    "entry",
    "functions",
    "grid_pairs",
    "loaded",
    "pair_areas",
    "simple_polygons",
    "warm_up",
]
