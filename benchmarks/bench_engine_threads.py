"""Parallel efficiency of the overlap engine's measure step: 1 thread against N (issue 23).

The engine runs chunks of sites on threads over its GIL-free compiled kernels (no fork, the same
on every OS). This times :func:`hygis.engine.overlap.overlap` on the star case of
:mod:`make_star_case` (generated in memory, seeded) with ``workers`` = 1, 2, … and prints, per
count, the wall seconds and the CPU seconds of the process (all its threads), so that a run on a
16-core workstation can be read as well as one on 2 cores: CPU ÷ wall is the cores kept busy.
Each run measures the sites from scratch (cut and measured, as the first line of a check does)
and must give the 1-thread areas to the last bit. The process's peak memory (summed PSS of the
process tree where Linux reports it, else peak RSS) is printed at the end.

    python benchmarks/bench_engine_threads.py                       # 20,000 patches × 5,000 projects
    python benchmarks/bench_engine_threads.py --patches 200704 --projects 50000 --workers 1 2 4 16
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_star_case

from hygis.engine import kernel
from hygis.engine.overlap import SiteCache, disjoint_layer, overlap


def _pss_mb() -> float | None:
    """Summed PSS of this process (MB), where Linux reports it (threads share it: one process)."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patches", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2, help="runs per count; the best is printed")
    args = parser.parse_args()

    t = time.perf_counter()
    patches = make_star_case.farmland(args.patches).geometry.to_numpy()
    sites = make_star_case.projects(args.projects).geometry.to_numpy()
    layer = disjoint_layer(patches)
    # Every kernel compiled (or loaded from numba's cache) before anything is timed.
    kernel.warm_up()
    overlap(sites[:50], layer, geometry=False, workers=1, pairs=True)
    print(
        f"case: {len(patches):,} patches × {len(sites):,} projects, prepared in "
        f"{time.perf_counter() - t:.1f} s; compiled kernel: {kernel.loaded()}; "
        f"{os.cpu_count()} CPUs here",
        flush=True,
    )
    reference = None
    peak_pss = _pss_mb() or 0.0
    print(f"{'workers':>7} {'wall s':>8} {'CPU s':>8} {'CPU/wall':>8} {'speed-up':>8}  same areas")
    base_wall = None
    for workers in args.workers:
        best = None
        for _ in range(args.repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            res = overlap(sites, layer, geometry=False, workers=workers, pairs=True, cache=SiteCache())
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            peak_pss = max(peak_pss, _pss_mb() or 0.0)
            if best is None or wall < best[0]:
                best = (wall, cpu)
            got = (res.areas, *res.pairs)
            if reference is None:
                reference = got
            same = all(np.array_equal(a, b) for a, b in zip(got, reference))
            if not same:
                raise SystemExit(f"{workers} workers gave other areas than 1: a bug")
        wall, cpu = best
        base_wall = base_wall or wall
        print(
            f"{workers:>7} {wall:>8.2f} {cpu:>8.2f} {cpu / wall:>8.2f} {base_wall / wall:>8.2f}  yes",
            flush=True,
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pss = f"{peak_pss:,.0f} MB (sampled after each run)" if peak_pss else "not reported here"
    print(f"peak memory: RSS {rss_mb:,.0f} MB; PSS {pss}")


if __name__ == "__main__":
    main()
