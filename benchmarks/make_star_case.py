"""Generate the star-patch compliance-check case (seeded, synthetic), as GeoParquet.

The second case of issue #13, beside :mod:`make_large_case`:

* 200,704 farmland patches (a 448 × 448 grid over 150 km × 150 km), each a star-shaped polygon
  of 24 vertices (25 with the closing one) kept inside its own cell, so patches never overlap;
  no holes;
* 5,000 and 50,000 projects: 60 % rectangles (rotated, 1–100 ha), 20 % buffered polylines
  (2–15 km, 10–60 m wide, round joins), 20 % blobs (buffered irregular polygons, 5–150 ha).

In EPSG:4546 (CGCS2000 3° Gauss–Krüger CM 111°E), placed over central Hengyang: the plan's
area CRS, so the territory test sees them inside the plan and every engine measures areas in
the same projection (a case in another zone would differ by the zones' scale, ~1e-3, not by
engine). Written to ``$HYGIS_BENCH_CACHE/stars`` (default
``~/.cache/hygis-bench/stars``), never into the repository.

    python benchmarks/make_star_case.py    # farmland_200704.parquet, projects_5000/50000.parquet
    python benchmarks/make_star_case.py --patches 20000 --projects 500
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:4546"
#: South-west corner (metres, EPSG:4546): about 111.8°E 26.2°N; the square reaches 113.3°E 27.5°N.
ORIGIN = (580_000.0, 2_900_000.0)
EXTENT = 150_000.0


def cache_dir() -> Path:
    root = Path(os.environ.get("HYGIS_BENCH_CACHE", Path.home() / ".cache" / "hygis-bench"))
    path = root / "stars"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _star(cx, cy, rx, ry, rng, k):
    """Star-shaped rings about each centre: stratified angles (simple rings), radii 55–100 %."""
    n = len(cx)
    ang = (np.arange(k) + rng.uniform(0.1, 0.9, (n, k))) * (2 * np.pi / k) + rng.uniform(0, 2 * np.pi, (n, 1))
    r = rng.uniform(0.55, 1.0, (n, k))
    xy = np.stack(
        [cx[:, None] + np.cos(ang) * r * rx[:, None], cy[:, None] + np.sin(ang) * r * ry[:, None]], axis=2
    )
    return shapely.polygons(np.concatenate([xy, xy[:, :1]], axis=1))


def farmland(n_target: int = 200_704, seed: int = 11) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_target)))
    cell = EXTENT / side
    ix, iy = np.meshgrid(np.arange(side), np.arange(side))
    ix, iy = ix.ravel()[:n_target], iy.ravel()[:n_target]
    cx = ORIGIN[0] + (ix + 0.5) * cell
    cy = ORIGIN[1] + (iy + 0.5) * cell
    half = cell / 2
    geoms = _star(
        cx, cy, half * rng.uniform(0.6, 0.95, n_target), half * rng.uniform(0.6, 0.95, n_target), rng, 24
    )
    bad = ~shapely.is_valid(geoms)
    geoms[bad] = shapely.make_valid(geoms[bad])  # none expected; repaired rather than dropped if any
    return gpd.GeoDataFrame({"patch_id": np.arange(n_target)}, geometry=geoms, crs=CRS)


def projects(n: int, seed: int = 12) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed + n)
    n_rect, n_line = int(n * 0.6), int(n * 0.2)
    n_blob = n - n_rect - n_line

    def centres(k: int, margin: float = 2_000.0) -> tuple[np.ndarray, np.ndarray]:
        return (
            rng.uniform(ORIGIN[0] + margin, ORIGIN[0] + EXTENT - margin, k),
            rng.uniform(ORIGIN[1] + margin, ORIGIN[1] + EXTENT - margin, k),
        )

    # Rectangles: 1–100 ha, aspect 1:1–1:4, rotated.
    cx, cy = centres(n_rect)
    area = rng.uniform(1, 100, n_rect) * 1e4
    aspect = rng.uniform(1, 4, n_rect)
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    theta = rng.uniform(0, np.pi, n_rect)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    lx, ly = corners[None, :, 0] * w[:, None], corners[None, :, 1] * h[:, None]
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    rects = shapely.polygons(np.stack([cx[:, None] + lx * c - ly * s, cy[:, None] + lx * s + ly * c], axis=2))
    # Polylines: random walks of 2–15 km in 250 m steps, buffered 10–60 m wide.
    cx, cy = centres(n_line, 16_000.0)
    length = rng.uniform(2_000, 15_000, n_line)
    steps = 60
    heading = rng.uniform(0, 2 * np.pi, (n_line, 1)) + np.cumsum(rng.normal(0, 0.12, (n_line, steps)), axis=1)
    step = (length / steps)[:, None]
    xs = cx[:, None] + np.c_[np.zeros(n_line), np.cumsum(np.cos(heading) * step, axis=1)]
    ys = cy[:, None] + np.c_[np.zeros(n_line), np.cumsum(np.sin(heading) * step, axis=1)]
    # Fewer vertices on shorter lines: keep every vertex, the walk is smooth at 250 m.
    lines = shapely.linestrings(np.stack([xs, ys], axis=2))
    corridors = shapely.buffer(lines, rng.uniform(10, 60, n_line) / 2, quad_segs=4)
    # Blobs: irregular 10-gons rounded by a buffer (5–150 ha).
    cx, cy = centres(n_blob)
    r = np.sqrt(rng.uniform(5, 150, n_blob) * 1e4 / np.pi)
    blobs = shapely.buffer(
        _star(cx, cy, 0.8 * r, 0.8 * r * rng.uniform(0.5, 1.0, n_blob), rng, 10), 0.2 * r, quad_segs=4
    )
    geoms = np.concatenate([rects, corridors, blobs])
    kind = np.r_[np.full(n_rect, "rectangle"), np.full(n_line, "corridor"), np.full(n_blob, "blob")]
    gdf = gpd.GeoDataFrame(
        {"project_id": [f"S{i:06d}" for i in range(n)], "kind": kind}, geometry=geoms, crs=CRS
    )
    return gdf[shapely.is_valid(gdf.geometry.values)].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patches", type=int, default=200_704)
    parser.add_argument("--projects", type=int, nargs="+", default=[5_000, 50_000])
    args = parser.parse_args()
    out = cache_dir()
    t = time.perf_counter()
    fl = farmland(args.patches)
    fl.to_parquet(out / f"farmland_{args.patches}.parquet")
    nv = shapely.get_num_coordinates(fl.geometry.values)
    print(
        f"farmland: {len(fl):,} star patches, {nv.mean():.1f} vertices on average → {out} "
        f"({time.perf_counter() - t:.1f} s)"
    )
    for n in args.projects:
        pr = projects(n)
        pr.to_parquet(out / f"projects_{n}.parquet")
        print(
            f"projects: {len(pr):,} ({pr.kind.value_counts().to_dict()}), "
            f"{shapely.get_num_coordinates(pr.geometry.values).mean():.0f} vertices on average, "
            f"{pr.area.sum() / 1e4:,.0f} ha"
        )


if __name__ == "__main__":
    main()
