"""Faults injected on purpose into the engine's cache and kernel (issue 20, "Trust first").

Each test runs ``hygis check`` as a user does (a subprocess) and asserts that the report equals a
clean serial run (or that the message a user needs is printed, once), and that no input changed:

* a control-line file replaced by another version of the same size whose time stamp was kept
  (an edit in place then ``touch -d``; ``cp -p``/``rsync -a``/unzip of another version);
* a prepared index truncated, or its bytes changed, or its ``meta.json`` damaged;
* two and four checks at once on a cold cache;
* numba installed but broken (its "needs NumPy ≤ x" ImportError);
* no writable cache folder;
* the kernel loaded by several threads at once (built once, ``warnings`` untouched).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from tests.check_fixtures import folder_hash
from tests.conftest import REPO

pytestmark = pytest.mark.faults

GK = "EPSG:4546"
X0, Y0 = 660_000.0, 2_975_000.0


def _box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _farmland(folder: Path, moved: bool) -> Path:
    """Four patches; ``moved``: the corrected delivery, where F1 lies 30 × 30 m inside the project.

    Both versions have the same vertices, attributes and so the same bytes count in every file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    f1 = _box(1000, 0, 200, 200) if not moved else _box(470, 170, 200, 200)
    gpd.GeoDataFrame(
        {"TBBH": ["F1", "F2", "F3", "F4"], "DLBM": ["0101", "0102", "0103", "0101"]},
        geometry=[f1, _box(0, 300, 100, 100), _box(150, 300, 100, 100), _box(0, 0, 100, 100)],
        crs=GK,
    ).to_file(folder / "farmland.shp", engine="pyogrio", encoding="UTF-8")
    return folder / "farmland.shp"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """The projects, the farmland as delivered (v1) and as corrected (v2, elsewhere), written once."""
    base = tmp_path_factory.mktemp("faults")
    v1 = _farmland(base / "v1", moved=False)
    v2 = _farmland(base / "v2", moved=True)
    for p1 in sorted(v1.parent.iterdir()):  # the premise of the fault: nothing but bytes differ
        assert p1.stat().st_size == (v2.parent / p1.name).stat().st_size
    assert (v1.parent / "farmland.shp").read_bytes() != (v2.parent / "farmland.shp").read_bytes()
    projects = base / "projects.gpkg"
    gpd.GeoDataFrame(
        {"project_id": ["P1", "P2"], "name": ["物流园", "污水厂"], "group": ["产业升级", "产业升级"]},
        geometry=[_box(200, 0, 300, 200), _box(-50, 250, 400, 200)],
        crs=GK,
    ).to_file(projects)
    return {"base": base, "v1": v1, "v2": v2, "projects": projects}


def _hygis(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``hygis ARGS`` as a user runs it, started (not waited for) by :func:`_start`, or run here."""
    return subprocess.run(
        [sys.executable, "-m", "hygis", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
        timeout=600,
    )


def _args(projects: Path, farmland: Path, out: Path, *extra: str) -> list[str]:
    return [
        "check",
        "--projects",
        str(projects),
        "--permanent-farmland",
        str(farmland),
        "--area",
        "planar",
    ] + [
        "--out",
        str(out),
        *extra,
    ]


def _check(projects: Path, farmland: Path, out: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    """Run a check; return its stderr (what the user read). Fails on an error or a traceback."""
    proc = _hygis(*_args(projects, farmland, out, *extra), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


def _report(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def _farmland_ha(path: Path) -> pd.Series:
    rep = _report(path)
    return rep[rep.control_line == "permanent_farmland"].set_index("project_id")["overlap_ha"]


def _clean(inputs: dict[str, Path], farmland: Path, out: Path) -> bytes:
    """The clean serial run: no cache at all."""
    _check(inputs["projects"], farmland, out, "--no-cache")
    return out.read_bytes()


def _copy_delivery(src: Path, dst: Path) -> None:
    """Every file of a shapefile copied over the other's, as ``cp -p`` does (bytes and mtime)."""
    for f in sorted(src.parent.glob(src.stem + ".*")):
        shutil.copy2(f, dst.parent / f.name)


def _same_stamps(src: Path, dst: Path) -> None:
    """Give ``src``'s files the modification times of ``dst``'s (an unzip's whole seconds, FAT …)."""
    for f in sorted(src.parent.glob(src.stem + ".*")):
        st = (dst.parent / f.name).stat()
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))


def _age(folder: Path) -> None:
    """Let the files' change times fall behind the clock: a check records their stamps then."""
    newest = max(f.stat().st_ctime for f in folder.iterdir())
    time.sleep(max(0.0, newest + 2.2 - time.time()))


# --------------------------------------------------------------------------- stale answers
def test_same_size_same_mtime_edit_in_place_was_answered_from_the_old_index(inputs, tmp_path, monkeypatch):
    """Issue 20: an edit of the farmland that keeps its size and mtime (`touch -d` after it) was
    answered from the prepared index of the old file: 0 ha where the file now says 0.09 ha."""
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    work = tmp_path / "office"
    shutil.copytree(inputs["v1"].parent, work)
    fl = work / "farmland.shp"
    _age(work)
    _check(inputs["projects"], fl, tmp_path / "old.csv")  # cold: prepared and kept
    warm = _check(inputs["projects"], fl, tmp_path / "old-warm.csv")
    assert "cached" in warm
    assert _farmland_ha(tmp_path / "old.csv")["P1"] == 0
    # The corrected delivery written into the same files (same inodes), mtimes set back.
    stamps = {f.name: f.stat() for f in work.iterdir()}
    for f in sorted(inputs["v2"].parent.iterdir()):
        with open(work / f.name, "r+b") as fh:
            fh.write(f.read_bytes())
        st = stamps[f.name]
        os.utime(work / f.name, ns=(st.st_atime_ns, st.st_mtime_ns))
    for f in work.iterdir():
        assert (f.stat().st_size, f.stat().st_mtime_ns) == (
            stamps[f.name].st_size,
            stamps[f.name].st_mtime_ns,
        )
    before = folder_hash(work)
    _check(inputs["projects"], fl, tmp_path / "edited.csv")
    clean = _clean(inputs, fl, tmp_path / "clean.csv")
    assert (tmp_path / "edited.csv").read_bytes() == clean
    assert _farmland_ha(tmp_path / "edited.csv")["P1"] == pytest.approx(0.09)
    # and the next cached run is not stale again
    _check(inputs["projects"], fl, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == clean
    assert folder_hash(work) == before


def test_cp_p_of_another_version_with_the_same_size_and_mtime_was_answered_from_the_old_index(
    inputs, tmp_path, monkeypatch
):
    """Issue 20: `cp -p` (rsync -a, unzip) of a corrected delivery of the same size whose mtime is
    the old one's: the warm check said compliant (0 ha) where the file says 0.09 ha of farmland."""
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    work, other = tmp_path / "office", tmp_path / "reissued"
    shutil.copytree(inputs["v1"].parent, work)
    shutil.copytree(inputs["v2"].parent, other)
    fl = work / "farmland.shp"
    _same_stamps(other / "farmland.shp", fl)  # the re-issued package carries the same time stamps
    _age(work)
    _check(inputs["projects"], fl, tmp_path / "old.csv")
    assert _farmland_ha(tmp_path / "old.csv")["P1"] == 0
    _copy_delivery(other / "farmland.shp", fl)  # cp -p
    before = folder_hash(work)
    _check(inputs["projects"], fl, tmp_path / "copied.csv")
    clean = _clean(inputs, fl, tmp_path / "clean.csv")
    assert (tmp_path / "copied.csv").read_bytes() == clean
    assert _farmland_ha(tmp_path / "copied.csv")["P1"] == pytest.approx(0.09)
    _check(inputs["projects"], fl, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == clean
    assert folder_hash(work) == before


def test_an_index_prepared_by_other_code_is_not_answered_from(monkeypatch, tmp_path):
    """The key carries the preparing code, not only the hand-bumped FORMAT_VERSION."""
    from hygis.engine import index

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "a.geojson"
    f.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    first = index.cache_key(f, {})
    monkeypatch.setattr(index, "code_digest", lambda: "0" * 16)  # as another hygis would have it
    assert index.cache_key(f, {}) != first


# --------------------------------------------------------------------------- a damaged cache
@pytest.mark.parametrize("damage", ["truncated", "bytes changed", "meta.json cut"])
def test_a_corrupt_or_truncated_prepared_index_is_said_and_rebuilt(inputs, tmp_path, monkeypatch, damage):
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    fl = inputs["v2"]
    before = folder_hash(fl.parent)
    _check(inputs["projects"], fl, tmp_path / "cold.csv")
    entries = [m.parent for m in (tmp_path / "cache" / "layers").glob("*/meta.json")]
    assert len(entries) == 1
    victim = entries[0] / ("meta.json" if damage == "meta.json cut" else "ring_x.npy")
    data = victim.read_bytes()
    if damage == "bytes changed":  # the same size: a vertex moved 1 km, in place
        x = np.load(victim).copy()
        x[len(x) // 2] += 1000.0
        with open(victim, "r+b") as fh:
            fh.seek(len(data) - x.nbytes)
            fh.write(x.tobytes())
        assert victim.stat().st_size == len(data)
    else:
        victim.write_bytes(data[: len(data) // 2])
    said = _check(inputs["projects"], fl, tmp_path / "damaged.csv")
    assert said.count("damaged") == 1 and "prepared again" in said
    clean = _clean(inputs, fl, tmp_path / "clean.csv")
    assert (tmp_path / "damaged.csv").read_bytes() == clean
    # rebuilt: the next check is answered from a sound entry
    again = _check(inputs["projects"], fl, tmp_path / "again.csv")
    assert "damaged" not in again and "cached" in again
    assert (tmp_path / "again.csv").read_bytes() == clean
    assert folder_hash(fl.parent) == before


# --------------------------------------------------------------------------- checks at once
@pytest.mark.parametrize("at_once", [2, 4])
def test_checks_at_once_on_a_cold_cache_give_the_clean_report(inputs, tmp_path, monkeypatch, at_once):
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))  # cold
    fl = inputs["v2"]
    before = folder_hash(fl.parent)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "hygis", *_args(inputs["projects"], fl, tmp_path / f"r{k}.csv")],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(at_once)
    ]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0 and "Traceback" not in err, err
    clean = _clean(inputs, fl, tmp_path / "clean.csv")
    for k in range(at_once):
        assert (tmp_path / f"r{k}.csv").read_bytes() == clean
    # what they left in the cache answers the next check, the same
    again = _check(inputs["projects"], fl, tmp_path / "again.csv")
    assert "cached" in again and "damaged" not in again
    assert (tmp_path / "again.csv").read_bytes() == clean
    assert not list((tmp_path / "cache" / "layers").glob(".tmp-*"))  # no half-written entry left
    assert folder_hash(fl.parent) == before


# --------------------------------------------------------------------------- the machine
def test_numba_installed_but_broken_needs_numpy_importerror_fails_every_check(inputs, tmp_path):
    """Issue 20: numba that cannot import ("Numba needs NumPy 2.2 or less") made every check fail
    with ImportError: the fallback was chosen by "is a numba package present"."""
    fake = tmp_path / "site" / "numba"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        'raise ImportError("Numba needs NumPy 2.2 or less. Got NumPy 2.4.")\n', encoding="utf-8"
    )
    fl = inputs["v2"]
    before = folder_hash(fl.parent)
    env = {
        "PYTHONPATH": os.pathsep.join([str(fake.parent), str(REPO)]),
        "HYGIS_KERNEL_DIR": str(tmp_path / "kernel"),  # no kernel compiled here yet
        "HYGIS_CACHE_DIR": str(tmp_path / "cache"),
    }
    said = _check(inputs["projects"], fl, tmp_path / "broken.csv", env=env)
    assert said.count("numba cannot run here") == 1, said
    assert "Numba needs NumPy 2.2 or less" in said and "compiling" not in said
    # The kernel's own functions run by Python: the same report, to the byte.
    assert (tmp_path / "broken.csv").read_bytes() == _clean(inputs, fl, tmp_path / "clean.csv")
    assert folder_hash(fl.parent) == before


def test_no_writable_cache_folder_runs_without_a_cache_and_says_so_once(inputs, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    fl = inputs["v2"]
    before = folder_hash(fl.parent)
    env = {"HYGIS_CACHE_DIR": str(blocker / "cache")}  # under a file: no one can make it (root neither)
    said = _check(inputs["projects"], fl, tmp_path / "nocache.csv", env=env)
    assert said.count("cannot be written") == 1, said
    assert "HYGIS_CACHE_DIR" in said
    assert (tmp_path / "nocache.csv").read_bytes() == _clean(inputs, fl, tmp_path / "clean.csv")
    assert folder_hash(fl.parent) == before


def test_threads_loading_the_kernel_at_once_load_it_once_and_leave_warnings_alone(monkeypatch):
    """Issue 20: the validity thread and the main thread could both start the kernel's build, inside
    a `warnings.catch_warnings()` that is not thread-safe. Now: one load, the filters untouched."""
    from hygis.engine import kernel

    kernel.warm_up()  # compiled into the cache (once per machine): the threads below load it
    monkeypatch.setattr(kernel, "_COMPILED", None)
    monkeypatch.setattr(kernel, "_DISPATCHERS", None)
    monkeypatch.setattr(kernel, "_READY", set())
    calls = []
    real = kernel._jit

    def counted(folder):
        calls.append(threading.get_ident())
        time.sleep(0.2)  # a slow disk: the others arrive meanwhile
        return real(folder)

    monkeypatch.setattr(kernel, "_jit", counted)
    filters = list(warnings.filters)
    shown = warnings.showwarning
    got = []
    threads = [threading.Thread(target=lambda: got.append(kernel.functions())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 4 and len({id(g) for g in got}) == 1
    assert warnings.filters == filters and warnings.showwarning is shown


@pytest.mark.slow  # real compiles (~10 s each, more on a loaded machine): pytest -m "faults and slow"
def test_first_check_on_a_new_machine_compiles_the_kernel_across_threads_and_processes(tmp_path):
    """Issue 20: on a new machine two threads (and two commands) could each start the kernel's
    build. Now each process compiles it once whatever its threads do (numba's cache, written
    atomically, copes with two processes at once); warnings stay as they were; the next command
    loads it without compiling."""
    probe = (
        "import threading, warnings\n"
        "from hygis.engine import kernel\n"
        "before = list(warnings.filters)\n"
        "threads = [threading.Thread(target=kernel.warm_up) for _ in range(2)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(kernel.loaded(), warnings.filters == before)\n"
        "warnings.warn('still heard after the compile', UserWarning)\n"
    )
    env = {
        **os.environ,
        "HYGIS_KERNEL_DIR": str(tmp_path / "kernel"),
        "HYGIS_CACHE_DIR": str(tmp_path / "cache"),
    }

    def start():
        return subprocess.Popen(
            [sys.executable, "-c", probe],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    said = []
    for p in [start() for _ in range(2)]:
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err
        assert out.split() == ["True", "True"]
        assert "still heard after the compile" in err
        assert err.count("compiling hygis's overlap kernel") <= 1  # once per process at most
        said.append(err)
    assert list((tmp_path / "kernel").glob("*/kernel._pair_areas-*.nbi"))
    later = start()
    out, err = later.communicate(timeout=900)
    assert later.returncode == 0 and out.split() == ["True", "True"], err
    assert "compiling" not in err  # the next command loads what the first ones compiled


def test_a_compile_killed_on_windows_does_not_hold_the_next_command(tmp_path, monkeypatch):
    """A helper killed mid-compile leaves its mark (.compiling). Windows cannot be asked whether its
    pid lives, so the mark's heartbeat decides: untouched for MARK_STALE_S, the next command stops
    waiting for it (it used to be believed for the whole 300 s compile timeout)."""
    import os
    import threading
    import time

    from hygis.engine import kernel

    monkeypatch.setattr(kernel.sys, "platform", "win32")  # the pid is not asked
    mark = tmp_path / ".compiling"
    mark.write_text("999999999", encoding="utf-8")  # a pid that is no process
    assert kernel._compiling_elsewhere(tmp_path)  # fresh: believed
    old = time.time() - kernel.MARK_STALE_S - 1
    os.utime(mark, (old, old))
    assert not kernel._compiling_elsewhere(tmp_path)  # no heartbeat: a killed helper

    # A living helper's heartbeat keeps its mark fresh however long numba takes.
    monkeypatch.setattr(kernel, "HEARTBEAT_S", 0.05)
    done = threading.Event()
    beat = threading.Thread(target=kernel._heartbeat, args=(mark, done))
    beat.start()
    try:
        deadline = time.monotonic() + 5
        while not kernel._compiling_elsewhere(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kernel._compiling_elsewhere(tmp_path)
    finally:
        done.set()
        beat.join(5)
    assert not beat.is_alive()


def test_features_read_again_after_release_must_be_of_the_indexed_file(inputs, tmp_path, monkeypatch):
    """A check lets go of the farmland's features once its index is made and reads them again
    if a map or table needs them. If the file was saved again in between, those features are not
    the index's: an error names the file, rather than figures of one version beside another's."""
    from pyproj import CRS

    from hygis.engine.overlap import disjoint_layer
    from hygis.errors import HygisInputError
    from hygis.plan.inputs import _deferred

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    work = tmp_path / "office"
    shutil.copytree(inputs["v1"].parent, work)
    fl = work / "farmland.shp"
    layer = _deferred("permanent_farmland", fl, crs=None, cache=True)
    layer.index(CRS(4546), disjoint_layer)
    features = len(layer.frame())
    layer.release()
    assert len(layer.frame()) == features  # the same file: read again, quietly
    layer.release()
    for f in sorted(inputs["v2"].parent.iterdir()):  # the corrected delivery saved over it
        shutil.copyfile(f, work / f.name)
    with pytest.raises(HygisInputError, match=r"farmland\.shp changed while hygis was using it"):
        layer.frame()


def test_a_file_saved_again_while_it_is_read_is_refused_and_nothing_is_kept(inputs, tmp_path, monkeypatch):
    """The farmland is hashed (its cache key) while it is read. Saved again meanwhile, the hash and
    the features could be of two versions, and an index kept under that key would answer the next
    check with another version's features: refused, and nothing kept in the cache."""
    from pyproj import CRS

    from hygis.engine.overlap import disjoint_layer
    from hygis.errors import HygisInputError
    from hygis.plan.inputs import _deferred

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    work = tmp_path / "office"
    shutil.copytree(inputs["v1"].parent, work)
    fl = work / "farmland.shp"
    layer = _deferred("permanent_farmland", fl, crs=None, cache=True)
    read = layer._read

    def read_then_saved_again(**kwargs):
        out = read(**kwargs)
        for f in sorted(inputs["v2"].parent.iterdir()):  # the corrected delivery lands meanwhile
            shutil.copyfile(f, work / f.name)
        return out

    layer._read = read_then_saved_again
    layer._key = layer._root_key()  # hashed before the reading saw the file replaced
    with pytest.raises(HygisInputError, match=r"farmland\.shp changed while hygis was using it"):
        layer.index(CRS(4546), disjoint_layer)
    assert not list((tmp_path / "cache").rglob("meta.json"))  # no index kept under the old key
