"""Benchmark: a province on one machine — ``hygis check --engine local`` beside DuckDB and SedonaDB.

    python benchmarks/bench_province.py                              # 2,000,000 patches × 200,000 projects
    python benchmarks/bench_province.py --patches 800000 --projects 200000 --peers duckdb

The case is :mod:`bench_cluster`'s province (``make_large_case`` grown to the patch count at the
same density: non-convex patches, one in ten with a hole; a fifth of the projects 5–40 km
corridors), generated once with a fixed seed into ``$HYGIS_BENCH_CACHE`` (default
``~/.cache/hygis-bench``). What is timed, for every tool, is what :mod:`bench_peers` times: the
wall time of a fresh process that reads the two GeoParquet files, computes every project's overlap
area with the farmland and writes a CSV, and the process tree's peak memory (summed PSS where
Linux reports it). hygis runs the command a user runs, cold (no prepared index of the farmland:
what a province's new delivery meets), on this machine only (``--engine local``: threads, no
cluster); ``--warm`` runs it again with the index prepared. The peers' areas are compared with
hygis's (max relative difference).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cluster import case_files
from bench_peers import compile_kernel, rel_diff, run_peer


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--patches", type=int, default=2_000_000)
    parser.add_argument("--projects", type=int, default=200_000)
    parser.add_argument(
        "--peers",
        default="duckdb,sedonadb",
        help="comma-separated, of bench_peers.py's: duckdb, sedonadb, dask, shapely, overlay",
    )
    parser.add_argument("--warm", action="store_true", help="also hygis with the farmland's index prepared")
    args = parser.parse_args()
    projects, farmland = case_files(args.patches, args.projects)
    print(
        f"{args.patches:,} patches × {args.projects:,} projects; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; wall time of the whole process, peak memory of its tree",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="hygis-province-") as tmp:
        work, cache = Path(tmp), Path(tmp) / "cache"
        compile_kernel(cache)  # once per machine, before anything is timed
        tools = ["hygis-cold", *(["hygis-warm"] if args.warm else []), *args.peers.split(",")]
        ref = None
        for tool in filter(None, tools):
            try:
                r = run_peer(tool, projects, farmland, work, cache)
            except RuntimeError as exc:
                print(f"  {tool:>11}: failed — {exc}", flush=True)
                continue
            if ref is None:
                ref = (r["ids"], r["areas"])
            diff = rel_diff(ref[0], ref[1], r["ids"], r["areas"])
            print(
                f"  {tool:>11}: {r['wall']:7.1f} s  peak {r['peak'] / 1024:5.2f} GB  "
                f"max rel. area diff from hygis {diff:.1e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
