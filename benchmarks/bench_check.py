"""Benchmark: hygis's overlap engine against geopandas.overlay (and PostGIS, serial) on the large case.

Each engine runs in its own process (so peak memory is its own), on the same GeoParquet files
from make_large_case.py, and returns the overlap area per project. The areas must agree to
1e-9 relative; the script prints times, the ratio and peak memory (max RSS, incl. worker
processes).

    python benchmarks/make_large_case.py                         # the realistic case: non-convex patches
    python benchmarks/bench_check.py --projects 50000            # hygis vs geopandas.overlay
    python benchmarks/bench_check.py --projects 5000 --postgis   # + PostGIS serial
    python benchmarks/make_large_case.py --convex                # convex patches
    python benchmarks/bench_check.py --convex

The baseline is the textbook way: ``geopandas.overlay(projects, farmland, how="intersection")``
then the area summed per project. ``hygis+ellipsoid`` is the same engine measuring on the
CGCS2000 ellipsoid, as the check does by default; its cost over the planar run is printed.
Both read with pyogrio/Arrow (GeoParquet); reading is timed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_large_case import cache_dir


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024  # Linux: KiB; workers run alongside, so this is the larger of the two


def run_engine(engine: str, patches: int, n: int, workers: int, convex: bool) -> dict:
    import geopandas as gpd

    out = cache_dir(convex)
    t0 = time.perf_counter()
    farmland = gpd.read_parquet(out / f"farmland_{patches}.parquet")
    projects = gpd.read_parquet(out / f"projects_{n}.parquet")
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    if engine == "hygis":
        from hygis.engine.overlap import disjoint_layer, overlap

        layer = disjoint_layer(farmland.geometry.values)
        areas, _ = overlap(
            np.asarray(projects.geometry.values, dtype=object), layer, geometry=False, workers=workers
        )
    elif engine == "hygis+ellipsoid":
        from hygis.engine.area import AreaScale
        from hygis.engine.overlap import disjoint_layer, overlap

        layer = disjoint_layer(farmland.geometry.values)
        # What the check does by default: the area factor tabulated once, each piece weighted by it.
        scale = AreaScale.over(projects.crs, projects.total_bounds)
        areas, _ = overlap(
            np.asarray(projects.geometry.values, dtype=object),
            layer,
            geometry=False,
            workers=workers,
            area_scale=scale,
        )
    elif engine == "hygis+geometry":
        from hygis.engine.overlap import disjoint_layer, overlap

        layer = disjoint_layer(farmland.geometry.values)
        areas, geoms = overlap(
            np.asarray(projects.geometry.values, dtype=object), layer, geometry=True, workers=workers
        )
    elif engine == "overlay":
        res = gpd.overlay(
            projects[["project_id", "geometry"]],
            farmland[["geometry"]],
            how="intersection",
            keep_geom_type=True,
        )
        sums = res.geometry.area.groupby(res["project_id"]).sum()
        areas = sums.reindex(projects["project_id"]).fillna(0.0).to_numpy()
    elif engine == "postgis":
        areas, query_s = _postgis(projects, farmland)
    else:
        raise SystemExit(f"unknown engine {engine}")
    t_run = time.perf_counter() - t0
    np.save(out / f"areas_{engine}_{n}.npy", areas)
    result = {
        "engine": engine,
        "read_s": t_read,
        "run_s": t_run,
        "peak_mb": _peak_mb(),
        "total_ha": float(areas.sum() / 1e4),
    }
    if engine == "postgis":
        result["query_s"] = query_s  # run_s also counts COPY, WKB decoding and the GiST index build
    return result


def _postgis(projects, farmland) -> np.ndarray:
    """PostGIS serial: ST_Area(ST_Intersection) per intersecting pair (GiST index), summed per project."""
    import shapely

    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", ",", "-d", "hygis_test"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]

    def copy_sql(table, ids, geoms):
        hexes = shapely.to_wkb(np.asarray(geoms, dtype=object), hex=True)
        rows = "\n".join(f"{i}\t{h}" for i, h in zip(ids, hexes))
        return f"COPY {table}(id, hex) FROM STDIN;\n{rows}\n\\.\n"

    sql = [
        "CREATE EXTENSION IF NOT EXISTS postgis; SET max_parallel_workers_per_gather = 0;",
        "DROP TABLE IF EXISTS bp, bf; "
        "CREATE TABLE bp(id int, hex text, geom geometry); CREATE TABLE bf(id int, hex text, geom geometry);",
        copy_sql("bp", range(len(projects)), projects.geometry.values),
        copy_sql("bf", range(len(farmland)), farmland.geometry.values),
        "UPDATE bp SET geom = ST_GeomFromWKB(decode(hex, 'hex'), 4546); "
        "UPDATE bf SET geom = ST_GeomFromWKB(decode(hex, 'hex'), 4546);",
        "CREATE INDEX ON bf USING gist(geom); ANALYZE bf; ANALYZE bp;",
        "\\timing on",
        "SELECT p.id, sum(ST_Area(ST_Intersection(p.geom, f.geom))) "
        "FROM bp p JOIN bf f ON ST_Intersects(p.geom, f.geom) GROUP BY p.id;",
    ]
    proc = subprocess.run(cmd, input="\n".join(sql), capture_output=True, text=True, check=True)
    areas = np.zeros(len(projects))
    query_s = float("nan")
    for line in proc.stdout.splitlines():
        if line.startswith("Time:"):  # psql \timing: the query alone, without loading and indexing
            query_s = float(line.split()[1]) / 1000
        elif "," in line:
            i, a = line.split(",")
            areas[int(i)] = float(a)
    return areas, query_s


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patches", type=int, default=200_000)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgis", action="store_true", help="also run PostGIS serially (slow at 50k)")
    parser.add_argument(
        "--geometry", action="store_true", help="also time hygis building the overlap polygons"
    )
    parser.add_argument(
        "--convex", action="store_true", help="the convex-patch case (make_large_case.py --convex)"
    )
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # internal: run one engine in this process
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(run_engine(args.engine, args.patches, args.projects, args.workers, args.convex)))
        return
    engines = (
        ["hygis", "hygis+ellipsoid", "overlay"]
        + (["hygis+geometry"] if args.geometry else [])
        + (["postgis"] if args.postgis else [])
    )
    print(
        f"case: {args.patches:,} {'convex' if args.convex else 'non-convex'} farmland patches "
        f"× {args.projects:,} projects, {args.workers} workers for hygis, "
        f"{os.cpu_count()} CPUs on this machine, load average {os.getloadavg()[0]:.2f}"
    )
    results = {}
    for engine in engines:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--engine",
                engine,
                "--patches",
                str(args.patches),
                "--projects",
                str(args.projects),
                "--workers",
                str(args.workers),
            ]
            + (["--convex"] if args.convex else []),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(f"{engine}: failed\n{proc.stderr[-2000:]}")
            continue
        results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = results[engine]
        extra = f"; query alone {r['query_s']:.2f} s" if "query_s" in r else ""
        print(
            f"{engine:>15}: {r['run_s']:8.2f} s (read {r['read_s']:.2f} s{extra}), "
            f"peak {r['peak_mb']:,.0f} MB, total {r['total_ha']:,.2f} ha"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    base = np.load(cache_dir(args.convex) / f"areas_hygis_{args.projects}.npy")
    if "hygis+ellipsoid" in results:
        ell = np.load(cache_dir(args.convex) / f"areas_hygis+ellipsoid_{args.projects}.npy")
        cost = results["hygis+ellipsoid"]["run_s"] / results["hygis"]["run_s"] - 1
        print(
            f"ellipsoidal areas (the check's default) cost {cost:+.1%} of the planar engine's time; "
            f"they differ from the planar ones by {ell.sum() / base.sum() - 1:+.2e} on the total"
        )
    for engine in results:
        if engine in ("hygis", "hygis+ellipsoid"):
            continue
        other = np.load(cache_dir(args.convex) / f"areas_{engine}_{args.projects}.npy")
        rel = np.abs(base - other) / np.maximum(np.abs(other), 1.0)
        ok = rel.max() <= 1e-9
        ratio = f"hygis is {results[engine]['run_s'] / results['hygis']['run_s']:.1f}× faster"
        if "query_s" in results[engine]:
            ratio += (
                f" ({results[engine]['query_s'] / results['hygis']['run_s']:.1f}× against the query alone)"
            )
        print(
            f"areas hygis vs {engine}: max relative difference {rel.max():.2e} "
            f"({'OK' if ok else 'DIFFERENT'}); {ratio}"
        )
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
