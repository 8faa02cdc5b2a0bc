"""Benchmark: ``hygis check`` (the command, end to end) beside its peers, on the same files, in one run.

What is timed, for every tool: the wall time of a fresh process that reads the two GeoParquet
files (projects, farmland patches), computes the area of each project's overlap with the patches
and writes one CSV — the whole job a user waits for. For hygis that process is the CLI as a user
runs it, with its default outputs::

    python -m hygis check --area planar --projects projects_N.parquet --permanent-farmland farmland.parquet \
        --out result.csv

which also resolves the plan's other two control lines, tests the inputs against the plan's
territory, validates, judges the rules and writes the report (3 rows per project). ``hygis
check (warm)`` is the same command run again, with the farmland's prepared index in the user
cache (``hygis index``); ``(cold)`` runs without it (``hygis index clear``). ``(served)`` is the
warm command while ``hygis serve`` runs (started before the case, given one untimed command, so it
holds the index; stopped after); ``(served-cold)`` the cold command while a server runs (started
before the case, the prepared layers emptied before each run). Served, the timed process only
passes the command to the server, whose forked child does the work; the peak memory is that of the
server, the child and the command (their PSS summed: a page the child shares with the server
counted once). All use hygis's compiled kernel, which the first run on a machine builds
into the user cache (~30 s), and the PROJ operations and the plan's territory it keeps there: made
before the timings by one untimed check, so that cold is what a user meets with every new
control-line file, not the first run ever. hygis's modules are byte-compiled first, as ``pip
install`` leaves them (and the peers' wheels).

The peers, each in one small function below (``peer_*``), each the plain way to do it:

* ``shapely`` — STRtree ``intersects`` query + ``intersection`` + area summed per project;
* ``overlay`` — ``geopandas.overlay(how="intersection")``, area summed per project;
* ``duckdb`` — DuckDB spatial (the extension from the ``duckdb-extension-spatial`` wheel, no
  download): ``JOIN ON ST_Intersects`` + ``sum(ST_Area(ST_Intersection))``;
* ``sedonadb`` — the same SQL on SedonaDB;
* ``dask`` — dask-geopandas, projects in 2 spatial partitions (2 processes), STRtree + intersection
  per partition;
* ``postgis`` — COPY into a local PostGIS, GiST index, the same SQL (only when a server answers).

Peers sum pairwise intersections: that is the union semantics hygis guarantees only because these
layers are interior-disjoint (patches never overlap); hygis dissolves overlapping features first.

Per row: intersecting pairs, vertices (projects, patches), wall time (median of ``--repeat``),
CPU time (user + system of the process and all its children: beside the wall time, how many cores
a run kept busy), peak memory (the PSS of the process and all its children summed, polled by
psutil every 0.2 s: a page shared by two processes counted once; RSS where the system reports no
PSS) and the largest relative
difference of a project's area from hygis's (against ``max(area, 1 m²)``). The case files come
from ``make_large_case.py`` (``nonconvex``: star patches with holes, projects with corridors;
``convex``) and ``make_star_case.py`` (``stars``: 25-vertex patches), generated on first use::

    pip install 'hygis[bench]'
    python benchmarks/bench_peers.py            # 3 cases × 5k, 50k projects × every peer
    python benchmarks/bench_peers.py --quick    # 20k patches × 1k projects: minutes, for development
    python benchmarks/bench_peers.py --cases stars --sizes 5000 --peers hygis,duckdb --repeat 3
    python benchmarks/bench_peers.py --cases stars --patches 802816 --sizes 200000   # 4× the work
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

PEERS = (
    "hygis-cold",
    "hygis-warm",
    "hygis-served-cold",
    "hygis-served",
    "shapely",
    "overlay",
    "duckdb",
    "sedonadb",
    "dask",
    "postgis",
)
CASES = ("convex", "stars", "nonconvex")
QUICK = {"patches": 20_000, "sizes": [1_000]}


# --------------------------------------------------------------------------- the cases
def case_files(case: str, n: int, quick: bool, patches: int | None = None) -> tuple[Path, Path]:
    """(projects, farmland) GeoParquet of a case, generated (seeded) when missing; ``patches``: the
    farmland's size (default the case's, 200,704 stars or 200,000 patches)."""
    root = Path(os.environ.get("HYGIS_BENCH_CACHE", Path.home() / ".cache" / "hygis-bench"))
    if quick:
        root = root / "quick"
    folder = root / case
    folder.mkdir(parents=True, exist_ok=True)
    if case == "stars":
        import make_star_case as gen

        patches = patches or (QUICK["patches"] if quick else 200_704)
        make_farmland, make_projects = (lambda: gen.farmland(patches)), gen.projects
    else:
        import make_large_case as gen

        patches = patches or (QUICK["patches"] if quick else 200_000)
        make_farmland, make_projects = (lambda: gen.farmland(patches, convex=case == "convex")), gen.projects
    farmland = folder / f"farmland_{patches}.parquet"
    projects = folder / f"projects_{n}.parquet"
    if not farmland.exists():
        make_farmland().to_parquet(farmland)
    if not projects.exists():
        make_projects(n).to_parquet(projects)
    return projects, farmland


# --------------------------------------------------------------------------- the peers
# Each reads the two files, computes the overlap area per project and writes (project_id, area_m2) as CSV.
def _write(ids, areas, out: str) -> None:
    import pandas as pd

    pd.DataFrame({"project_id": ids, "area_m2": areas}).to_csv(out, index=False)


def peer_shapely(projects: str, farmland: str, out: str) -> dict:
    import geopandas as gpd
    import shapely

    prj, fl = gpd.read_parquet(projects), gpd.read_parquet(farmland)
    p, f = prj.geometry.values._data, fl.geometry.values._data
    pi, fj = shapely.STRtree(f).query(p, predicate="intersects")
    areas = np.bincount(pi, weights=shapely.area(shapely.intersection(p[pi], f[fj])), minlength=len(p))
    _write(prj["project_id"], areas, out)
    return {"pairs": len(pi)}


def peer_overlay(projects: str, farmland: str, out: str) -> dict:
    import geopandas as gpd

    prj, fl = gpd.read_parquet(projects), gpd.read_parquet(farmland)
    res = gpd.overlay(
        prj[["project_id", "geometry"]], fl[["geometry"]], how="intersection", keep_geom_type=True
    )
    sums = res.geometry.area.groupby(res["project_id"]).sum()
    _write(prj["project_id"], sums.reindex(prj["project_id"]).fillna(0.0).to_numpy(), out)
    return {}


_SQL = (
    "SELECT p.project_id, sum(ST_Area(ST_Intersection(p.geometry, f.geometry))) AS area_m2 "
    "FROM p JOIN f ON ST_Intersects(p.geometry, f.geometry) GROUP BY p.project_id"
)


def peer_duckdb(projects: str, farmland: str, out: str) -> dict:
    import duckdb
    import duckdb_extension_spatial

    ext = next(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
    con = duckdb.connect()
    con.load_extension(str(ext))
    con.execute(f"CREATE TABLE p AS SELECT project_id, geometry FROM read_parquet('{projects}')")
    con.execute(f"CREATE TABLE f AS SELECT geometry FROM read_parquet('{farmland}')")
    con.execute(f"COPY ({_SQL}) TO '{out}' (HEADER, DELIMITER ',')")
    return {}


def peer_sedonadb(projects: str, farmland: str, out: str) -> dict:
    import sedonadb

    sd = sedonadb.connect()
    sd.read_parquet(projects).to_view("p")
    sd.read_parquet(farmland).to_view("f")
    sd.sql(_SQL).to_pandas().to_csv(out, index=False)
    return {}


def _dask_part(frame, farmland):
    import shapely

    p, f = frame.geometry.values._data, farmland.geometry.values._data
    pi, fj = shapely.STRtree(f).query(p, predicate="intersects")
    a = np.bincount(pi, weights=shapely.area(shapely.intersection(p[pi], f[fj])), minlength=len(p))
    return frame[["project_id"]].assign(area_m2=a)


def peer_dask(projects: str, farmland: str, out: str) -> dict:
    import dask
    import dask_geopandas
    import geopandas as gpd

    # Projects in 2 spatial partitions, one process each (threads contend on GEOS here); the
    # farmland goes to both, as a broadcast join does.
    fl = gpd.read_parquet(farmland)
    prj = dask_geopandas.from_geopandas(gpd.read_parquet(projects), npartitions=2).spatial_shuffle(
        npartitions=2
    )
    with dask.config.set(scheduler="processes", num_workers=2):
        res = prj.map_partitions(_dask_part, fl, meta={"project_id": "object", "area_m2": "f8"}).compute()
    res.to_csv(out, index=False)
    return {}


def _psql(sql: str) -> str:
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", ",", "-d", "hygis_test"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, input=sql, capture_output=True, text=True, check=True).stdout


def peer_postgis(projects: str, farmland: str, out: str) -> dict:
    import geopandas as gpd
    import shapely

    prj, fl = gpd.read_parquet(projects), gpd.read_parquet(farmland)

    def copy(table, ids, geoms):
        rows = "\n".join(f"{i}\t{h}" for i, h in zip(ids, shapely.to_wkb(geoms._data, hex=True)))
        return f"COPY {table}(id, hex) FROM STDIN;\n{rows}\n\\.\n"

    text = _psql(
        "\n".join(
            [
                "DROP TABLE IF EXISTS p, f; CREATE TABLE p(id text, hex text, geometry geometry);",
                "CREATE TABLE f(id int, hex text, geometry geometry);",
                copy("p", prj["project_id"], prj.geometry.values),
                copy("f", range(len(fl)), fl.geometry.values),
                "UPDATE p SET geometry = ST_GeomFromWKB(decode(hex, 'hex'));",
                "UPDATE f SET geometry = ST_GeomFromWKB(decode(hex, 'hex'));",
                "CREATE INDEX ON f USING gist(geometry); ANALYZE f; ANALYZE p;",
                _SQL.replace("p.project_id", "p.id") + ";",
            ]
        )
    )
    Path(out).write_text("project_id,area_m2\n" + text)
    return {}


def postgis_up() -> bool:
    if shutil.which("psql") is None:
        return False
    try:
        _psql("CREATE EXTENSION IF NOT EXISTS postgis;")
        return True
    except (subprocess.CalledProcessError, OSError):
        return False


# --------------------------------------------------------------------------- running and measuring
class PeakMemory:
    """Peak memory (MB) of a process and all its descendants: their PSS summed, polled every 0.2 s.

    PSS (proportional set size, Linux: ``/proc/PID/smaps_rollup``) shares each page among the
    processes that map it, so that a process tree's sum counts a shared page (a forked child's, a
    library's, a memory-mapped file's) once, as the machine holds it. Where PSS is not reported
    (macOS, Windows) the resident sizes are summed, which counts a shared page once per process
    (``kind`` says which was measured).
    """

    def __init__(self, pid: int, *others: int):
        import psutil

        self._proc, self.peak, self._stop = psutil.Process(pid), 0.0, threading.Event()
        self._others = [psutil.Process(p) for p in others]
        self.kind = "PSS"
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _size(self, p) -> int:
        import psutil

        if self.kind == "PSS":
            try:
                return int(p.memory_full_info().pss)
            except (AttributeError, psutil.AccessDenied):
                self.kind = "RSS"  # not reported here: resident sizes from now on
        return int(p.memory_info().rss)

    def _poll(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self._proc, *self._proc.children(recursive=True)]
                for other in self._others:
                    procs += [other, *other.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += self._size(p)
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total / 2**20)
            except psutil.Error:
                return
            # Not more often: reading PSS walks the process's page tables under its memory-map
            # lock, and every 20 ms that stalled a check's allocations (+35 % wall on hygis cold).
            time.sleep(0.2)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's waited-for children and their descendants."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no rusage; CPU time not reported
        return float("nan")
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_timed(
    cmd: list[str], env: dict | None = None, also: tuple[int, ...] = ()
) -> tuple[float, float, float, str]:
    """Wall time (s), peak memory (MB), CPU time (s) and stdout of one process (memory: and of the
    processes ``also``, whose CPU time is not counted).

    The CPU time is that of the process and every descendant it waited for (all threads, all
    cores): with the wall time it tells how much of the machine a run kept busy (a 16-core run).
    """
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    mem = PeakMemory(proc.pid, *also)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    peak = mem.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed:\n{stderr[-1500:]}")
    return wall, peak, cpu, stdout


def hygis_areas(csv: Path) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    rep = pd.read_csv(csv, encoding="utf-8-sig", usecols=["project_id", "control_line", "overlap_ha"])
    rep = rep[rep.control_line == "permanent_farmland"]
    return rep["project_id"].astype(str).to_numpy(), rep["overlap_ha"].fillna(0.0).to_numpy() * 1e4


def run_peer(peer: str, projects: Path, farmland: Path, work: Path, cache: Path) -> dict:
    out = work / f"{peer}.csv"
    out.unlink(missing_ok=True)
    if peer.startswith("hygis"):
        env = hygis_env(cache, served=peer.startswith("hygis-served"))
        if peer in ("hygis-cold", "hygis-served-cold"):
            shutil.rmtree(cache / "layers", ignore_errors=True)  # the prepared indexes ('hygis index clear')
        cmd = [
            sys.executable,
            "-m",
            "hygis",
            "check",
            "--area",
            "planar",  # the peers measure in the files' Gauss–Krüger plane; hygis's default is the ellipsoid
            "--projects",
            str(projects),
            "--permanent-farmland",
            str(farmland),
            "--out",
            str(out),
        ]
        also = (server_pid(cache),) if peer.startswith("hygis-served") else ()
        wall, peak, cpu, _ = run_timed(cmd, env, also)
        ids, areas = hygis_areas(out)
        return {"wall": wall, "peak": peak, "cpu": cpu, "ids": ids, "areas": areas}
    cmd = [sys.executable, __file__, "--run", peer, str(projects), str(farmland), str(out)]
    wall, peak, cpu, stdout = run_timed(cmd)
    import pandas as pd

    res = pd.read_csv(out)
    extra = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    return {
        "wall": wall,
        "peak": peak,
        "cpu": cpu,
        "ids": res["project_id"].astype(str).to_numpy(),
        "areas": res["area_m2"].fillna(0.0).to_numpy(),
        **extra,
    }


def compile_kernel(cache: Path) -> None:
    """hygis compiles its kernel once per machine (into the user cache, ~15 s), and keeps PROJ's
    operations and the plan's territory there: done before the timings, so that 'cold' is what a
    user meets with every new control-line file, not the first run ever."""
    subprocess.run(
        [sys.executable, "-c", "from hygis.engine import kernel; kernel.warm_up()"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "HYGIS_CACHE_DIR": str(cache)},
    )


def hygis_env(cache: Path, served: bool = False) -> dict:
    """hygis from this checkout, its cache in ``cache``; a running server used only when ``served``."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HYGIS_CACHE_DIR": str(cache)}
    env["HYGIS_SERVER"] = "1" if served else "0"
    return env


def server(cache: Path, action: str) -> None:
    """``hygis serve`` (start) or ``hygis serve --stop`` with the benchmark's cache."""
    cmd = [sys.executable, "-m", "hygis", "serve", *(["--stop"] if action == "stop" else [])]
    subprocess.run(cmd, check=True, env=hygis_env(cache, served=True), capture_output=True)


def server_pid(cache: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "hygis", "serve", "--status"],
        check=True,
        env=hygis_env(cache, served=True),
        capture_output=True,
        text=True,
    ).stdout
    return int(out.split()[1].rstrip(","))


def rel_diff(ref_ids, ref, ids, areas) -> float:
    import pandas as pd

    other = pd.Series(areas, index=ids).groupby(level=0).sum().reindex(ref_ids).fillna(0.0).to_numpy()
    return float(np.max(np.abs(other - ref) / np.maximum(np.abs(ref), 1.0))) if len(ref) else 0.0


def vertices(path: Path) -> int:
    import geopandas as gpd
    import shapely

    return int(
        shapely.get_num_coordinates(gpd.read_parquet(path, columns=["geometry"]).geometry.values._data).sum()
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=None, help="project counts (default 5000 50000)"
    )
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated, of {', '.join(PEERS)}")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the median is printed")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK['patches']:,} patches × {QUICK['sizes'][0]:,} projects"
    )
    parser.add_argument(
        "--patches",
        type=int,
        default=None,
        help="farmland patches (default 200,704 stars, 200,000 otherwise): --patches 802816 --sizes "
        "200000 is four times the work of the stars case",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--run", nargs=4, metavar=("PEER", "PROJECTS", "FARMLAND", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.run:
        peer, projects, farmland, out = args.run
        print(json.dumps(globals()[f"peer_{peer}"](projects, farmland, out)))
        return
    sizes = args.sizes or (QUICK["sizes"] if args.quick else [5_000, 50_000])
    peers = [p for p in args.peers.split(",") if p]
    if "postgis" in peers and not postgis_up():
        print("postgis: no local server answers; left out")
        peers.remove("postgis")
    if not any(p.startswith("hygis") for p in peers):
        peers.insert(0, "hygis-cold")  # the reference areas
    print(
        f"{os.cpu_count()} CPUs (shared with other work: figures are noisy), "
        f"load average {os.getloadavg()[0]:.2f}; "
        f"median of {args.repeat} run(s); wall time of the whole process (read + compute + write)"
    )
    rows = []
    # hygis as pip installs it, with its modules byte-compiled, as the peers' are: a checkout run
    # under PYTHONDONTWRITEBYTECODE (or read-only) would compile ~100 modules from source in every
    # timed process (0.15-0.2 s here).
    compileall.compile_dir(str(REPO / "hygis"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="hygis-bench-") as tmp:
        work, cache = Path(tmp), Path(tmp) / "cache"
        compile_kernel(cache)
        first = case_files(args.cases.split(",")[0], sizes[0], args.quick, args.patches)
        if any(p.startswith("hygis") for p in peers):
            run_peer("hygis-cold", *first, work, cache)
        for case in args.cases.split(","):
            for n in sizes:
                projects, farmland = case_files(case, n, args.quick, args.patches)
                row = {
                    "case": case,
                    "projects": n,
                    "vertices": (vertices(projects), vertices(farmland)),
                    "tools": {},
                }
                print(
                    f"\n{case}, {n:,} projects ({row['vertices'][0]:,} vertices) × "
                    f"{farmland.stem.split('_')[1]} patches "
                    f"({row['vertices'][1]:,} vertices)"
                )
                ref = None
                for peer in peers:
                    runs = []
                    try:
                        for _ in range(args.repeat):
                            layers = cache / "layers"
                            if peer in ("hygis-warm", "hygis-served") and not (
                                layers.exists() and any(layers.iterdir())
                            ):
                                run_peer("hygis-cold", projects, farmland, work, cache)  # fills the cache
                            if peer.startswith("hygis-served") and not runs:
                                server(cache, "start")
                                if peer == "hygis-served":
                                    run_peer(peer, projects, farmland, work, cache)  # loads the index
                            runs.append(run_peer(peer, projects, farmland, work, cache))
                    except RuntimeError as exc:
                        print(f"  {peer:>11}: failed — {exc}")
                        continue
                    finally:
                        if peer.startswith("hygis-served"):
                            server(cache, "stop")
                    r = runs[-1]
                    if ref is None and peer.startswith("hygis"):
                        ref = (r["ids"], r["areas"])
                    diff = rel_diff(ref[0], ref[1], r["ids"], r["areas"]) if ref is not None else float("nan")
                    fig = {
                        "wall_s": statistics.median(x["wall"] for x in runs),
                        "peak_mb": max(x["peak"] for x in runs),
                        "cpu_s": statistics.median(x["cpu"] for x in runs),
                        "max_rel_diff": diff,
                    }
                    if "pairs" in r:
                        row["pairs"] = r["pairs"]
                    row["tools"][peer] = fig
                    print(
                        f"  {peer:>17}: {fig['wall_s']:7.2f} s wall  {fig['cpu_s']:7.2f} s CPU  "
                        f"peak {fig['peak_mb']:7,.0f} MB  "
                        f"max rel. area diff from hygis {diff:.1e}",
                        flush=True,
                    )
                rows.append(row)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}\n")
    print(table(rows, peers))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


def table(rows: list[dict], peers: list[str]) -> str:
    """The results as a Markdown table (seconds, median), the fastest of each row in bold."""
    head = "| case | pairs | " + " | ".join(peers) + " |"
    lines = [head, "|" + "---|" * (len(peers) + 2)]
    for row in rows:
        t = {p: row["tools"][p]["wall_s"] for p in peers if p in row["tools"]}
        best = min(t.values()) if t else None
        cells = [
            f"**{t[p]:.1f} s**" if t.get(p) == best else (f"{t[p]:.1f} s" if p in t else "—") for p in peers
        ]
        lines.append(
            f"| {row['case']}, {row['projects']:,} projects | {row.get('pairs', 0):,} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
