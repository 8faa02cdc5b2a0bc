"""Benchmark: ``hygis check --scheduler`` on a dask cluster, at the scale of a province.

A synthetic province (seeded, illustrative): by default 2,000,000 non-convex farmland patches
(14-vertex stars, one in ten with a hole; ``make_large_case.farmland``) and 200,000 projects
(four fifths polygons of 1–200 ha, one fifth corridors of 5–40 km; ``make_large_case.projects``),
at the density of ``make_large_case.py`` (one patch per 335 m cell), so the square grows with
the counts: 474 km a side at full scale, about Hunan's span, centred on the Hengyang case in
EPSG:4546. Generated once into ``$HYGIS_BENCH_CACHE/province`` (default ``~/.cache/hygis-bench``).

What runs: a local cluster of ``dask scheduler`` and ``--workers`` × ``dask worker`` processes
(1 thread each, ``--memory-limit`` each), started here; then the command a user runs, as a
fresh process, timed end to end (read, validate, prepare the layer, measure on the cluster,
judge, write)::

    python -m hygis -v check --projects P --permanent-farmland F --scheduler tcp://127.0.0.1:PORT \\
        --no-preaudit --out result.csv

``--no-preaudit`` as for any very large batch (no 用地预审 itemisation of every (project, patch) pair);
the areas are ellipsoidal (the default). **cold** = no prepared layer in the hygis cache (the
2M-patch layer is read, dissolved, prepared and its index written; the compiled kernel, which
hygis builds once per machine, is built before the timings); **warm** (``--warm``) = the same command
again, the index from the cache. Printed: wall time, the peak resident memory of the client
process (the command and its children) and of each worker (its nanny and worker process), polled
by psutil every 0.2 s, and the command's steps with their times (its progress lines, and the
tiling the engine logs: tiles, features per tile). ``--local`` also runs
``--engine local`` on this machine and compares the areas.

    pip install 'hygis[dask,bench]'
    python benchmarks/bench_cluster.py                                   # 2,000,000 × 200,000
    python benchmarks/bench_cluster.py --patches 200000 --projects 20000 --local
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import make_large_case  # noqa: E402 - a sibling script, on the path just above
from bench_peers import hygis_areas  # noqa: E402

#: The centre of make_large_case's square (EPSG:4546, metres), kept as the province grows.
CENTRE = (495_000.0, 2_975_000.0)


def case_files(patches: int, projects: int) -> tuple[Path, Path]:
    """(projects, farmland) GeoParquet of the province case, generated (seeded) when missing."""
    root = Path(os.environ.get("HYGIS_BENCH_CACHE", Path.home() / ".cache" / "hygis-bench"))
    folder = root / "province"
    folder.mkdir(parents=True, exist_ok=True)
    extent = make_large_case.EXTENT * math.sqrt(patches / 200_000)
    origin = (CENTRE[0] - extent / 2, CENTRE[1] - extent / 2)
    farmland = folder / f"farmland_{patches}.parquet"
    prj = folder / f"projects_{projects}_on_{patches}.parquet"
    if not farmland.exists():
        t = time.perf_counter()
        make_large_case.farmland(patches, origin=origin, extent=extent).to_parquet(farmland)
        print(f"generated {patches:,} patches over {extent / 1000:.0f} km in {time.perf_counter() - t:.0f} s")
    if not prj.exists():
        t = time.perf_counter()
        make_large_case.projects(projects, origin=origin, extent=extent).to_parquet(prj)
        print(f"generated {projects:,} projects in {time.perf_counter() - t:.0f} s")
    return prj, farmland


@contextmanager
def bench_cluster(workers: int, memory_limit: str, folder: Path, cache: Path):
    """:func:`hygis.engine.distributed.local_cluster` with this checkout and the benchmark's cache;
    yields (address, worker pids)."""
    from hygis.engine.distributed import local_cluster

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "HYGIS_CACHE_DIR": str(cache),  # the compiled kernel, built once before the timings
    }
    with local_cluster(folder, workers=workers, memory_limit=memory_limit, env=env, timeout=300) as found:
        yield found


class Peak:
    """Peak resident memory (MB) of a process and its descendants, polled every ``every`` seconds.

    Slower than bench_peers' 20 ms poll: runs last minutes here, and the poll shares the cores.
    """

    def __init__(self, pid: int, every: float = 0.2):
        import psutil

        self._proc, self.peak, self._every = psutil.Process(pid), 0.0, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        import psutil

        while not self._stop.is_set():
            rss = 0
            try:
                for p in [self._proc, *self._proc.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
            except psutil.Error:
                return
            self.peak = max(self.peak, rss / 2**20)
            self._stop.wait(self._every)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_check(
    projects: Path, farmland: Path, out: Path, cache: Path, flags: list[str], watch: list[int]
) -> dict:
    """One ``hygis check``: wall time, peak RSS (MB) of the command and of each watched process, and
    its progress lines stamped with the seconds since it started."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HYGIS_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-m", "hygis", "-v", "check", "--projects", str(projects),
           "--permanent-farmland", str(farmland), "--no-preaudit", "--out", str(out), *flags]  # fmt: skip
    watchers = [Peak(pid) for pid in watch]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    client = Peak(proc.pid)
    assert proc.stderr is not None
    lines = [(time.perf_counter() - t0, line.rstrip()) for line in proc.stderr]
    proc.wait()
    wall = time.perf_counter() - t0
    peaks = [w.stop() for w in watchers]
    if proc.returncode != 0:
        tail = "\n".join(x for _, x in lines[-30:])
        raise RuntimeError(f"hygis check failed ({proc.returncode}):\n{tail}")
    return {"wall": wall, "client": client.stop(), "workers": peaks, "log": lines}


def phases(log: list[tuple[float, str]]) -> list[str]:
    """The progress lines that mark a step (each line's first and last progress), with their times."""
    out, last = [], {}
    for t, line in log:
        if line.startswith("» ") and "/" in line and "projects" in line:
            last[line.split(":")[0]] = (t, line)  # per-chunk progress: keep the last of each line
            continue
        for key in list(last):
            out.append(f"{last[key][0]:7.1f} s  {last[key][1]}")
            del last[key]
        if line.startswith(("» ", "hygis: dask:")):
            out.append(f"{t:7.1f} s  {line}")
    out += [f"{t:7.1f} s  {line}" for t, line in last.values()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patches", type=int, default=2_000_000)
    parser.add_argument("--projects", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2, help="dask worker processes (1 thread each)")
    parser.add_argument("--memory-limit", default="6GiB", help="per worker (dask worker --memory-limit)")
    parser.add_argument("--warm", action="store_true", help="run again with the prepared layer in the cache")
    parser.add_argument("--local", action="store_true", help="also run --engine local and compare the areas")
    args = parser.parse_args()
    projects, farmland = case_files(args.patches, args.projects)
    print(f"case: {args.patches:,} patches × {args.projects:,} projects ({farmland.parent})")
    work = Path(tempfile.mkdtemp(prefix="hygis-bench-cluster-"))
    rows = []
    try:
        cache = work / "cache"
        # hygis builds its compiled kernel once per machine (~30 s, into the cache): done here, as
        # bench_peers does, so that no timing includes it; "cold" empties only the prepared layers.
        subprocess.run(
            [sys.executable, "-c", "from hygis.engine import kernel; kernel.warm_up()"],
            check=True,
            env={**os.environ, "PYTHONPATH": str(REPO), "HYGIS_CACHE_DIR": str(cache)},
        )
        with bench_cluster(args.workers, args.memory_limit, work, cache) as (address, pids):
            limit = args.memory_limit
            print(f"cluster: {address}, {args.workers} workers × 1 thread, memory limit {limit} each")
            runs = ["cold", "warm"] if args.warm else ["cold"]
            for run in runs:
                res = run_check(
                    projects, farmland, work / "cluster.csv", cache, ["--scheduler", address], pids
                )
                rows.append((f"--scheduler ({run})", res))
        if args.local:
            shutil.rmtree(cache / "layers", ignore_errors=True)
            res = run_check(projects, farmland, work / "local.csv", cache, ["--engine", "local"], [])
            rows.append(("--engine local (cold)", res))
        peaks = " | ".join(f"worker {k} peak" for k in range(args.workers))
        print(f"\n| hygis check | wall | client peak | {peaks} |")
        print("|---|---|---|" + "---|" * args.workers)
        for name, res in rows:
            workers = " | ".join(f"{p / 1024:.2f} GB" for p in res["workers"]) or " | ".join(
                ["—"] * args.workers
            )
            print(f"| {name} | {res['wall']:.1f} s | {res['client'] / 1024:.2f} GB | {workers} |")
        for name, res in rows:
            print(f"\n{name}: the command's steps (seconds since it started)")
            print("\n".join(phases(res["log"])))
        if args.local:
            ids, dist = hygis_areas(work / "cluster.csv")
            ids_l, local = hygis_areas(work / "local.csv")
            assert (ids == ids_l).all()
            rel = np.max(np.abs(dist - local) / np.maximum(np.abs(local), 1.0)) if len(local) else 0.0
            print(f"areas, cluster against local: largest relative difference {rel:.1e} (of max(area, 1 m²))")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
