"""Generate the large compliance-check case (seeded): farmland patches and projects, as GeoParquet.

* ~200,000 non-overlapping farmland patches over 150 km × 150 km, one per cell of a 335 m grid,
  kept inside its cell (so patches never overlap). By default they are **non-convex**, as real
  永久基本农田 图斑 are: a jittered star of 14 vertices (radii 55–100 %, so most patches have
  several reflex corners), one patch in ten with a hole (a farmstead or pond); ``--convex`` makes
  the earlier case of convex 9-gons (the hull of jittered vertices), which flatters engines that
  special-case convex features;
* 5,000 and 50,000 projects of 1–200 ha: four fifths irregular polygons, one fifth long linear
  corridors (5–40 km polylines buffered to 20–80 m).

In EPSG:4546 (CGCS2000 3° GK CM 111°E), placed around Hengyang. Written to a cache folder, not
the repository: $HYGIS_BENCH_CACHE or ~/.cache/hygis-bench, in a sub-folder per variant
(``nonconvex/``, ``convex/``) so the two cases never mix.

    python benchmarks/make_large_case.py            # nonconvex/: farmland_200000.parquet,
                                                    #   projects_5000.parquet, projects_50000.parquet
    python benchmarks/make_large_case.py --convex   # convex/: the same with convex patches
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
ORIGIN = (420_000.0, 2_900_000.0)  # south-west corner, metres
EXTENT = 150_000.0


def cache_dir(convex: bool = False) -> Path:
    """The folder of one variant of the case (the projects are the same in both)."""
    root = Path(os.environ.get("HYGIS_BENCH_CACHE", Path.home() / ".cache" / "hygis-bench"))
    path = root / ("convex" if convex else "nonconvex")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _ngons(cx, cy, radii_x, radii_y, rng, k=9):
    """Irregular convex k-gons (one per centre): the hull of vertices at jittered angles and radii."""
    n = len(cx)
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    r = rng.uniform(0.75, 1.0, (n, k))
    xs = cx[:, None] + np.cos(ang) * r * radii_x[:, None]
    ys = cy[:, None] + np.sin(ang) * r * radii_y[:, None]
    coords = np.stack([xs, ys], axis=2)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)
    # The hull: near-equal angles can make the raw ring self-touch; a hull is always valid.
    return shapely.convex_hull(shapely.polygons(coords))


def _stars(cx, cy, radii_x, radii_y, rng, k=14, hole_share=0.1):
    """Irregular non-convex patches (one per centre), some with a hole.

    Vertices at stratified angles (each in its own 1/k of the turn, so consecutive vertices are
    less than half a turn apart and the ring is simple: star-shaped about the centre) and radii
    of 55–100 %: the dents are reflex corners. A hole, when drawn, is a jittered hexagon of at
    most 30 % of the smallest radius around the centre, so it lies strictly inside the shell.
    """
    n = len(cx)
    ang = (np.arange(k) + rng.uniform(0.1, 0.9, (n, k))) * (2 * np.pi / k) + rng.uniform(0, 2 * np.pi, (n, 1))
    r = rng.uniform(0.55, 1.0, (n, k))
    xs = cx[:, None] + np.cos(ang) * r * radii_x[:, None]
    ys = cy[:, None] + np.sin(ang) * r * radii_y[:, None]
    shell = np.stack([xs, ys], axis=2)
    shell = np.concatenate([shell, shell[:, :1]], axis=1)
    geoms = shapely.polygons(shell)
    holed = np.flatnonzero(rng.uniform(size=n) < hole_share)
    h_ang = (np.arange(6) + rng.uniform(0.2, 0.8, (len(holed), 6))) * (2 * np.pi / 6)
    h_r = rng.uniform(0.1, 0.3, (len(holed), 1)) * 0.55 * np.minimum(radii_x, radii_y)[holed, None]
    hole = np.stack([cx[holed, None] + np.cos(h_ang) * h_r, cy[holed, None] + np.sin(h_ang) * h_r], axis=2)
    hole = np.concatenate([hole, hole[:, :1]], axis=1)
    # Holes clockwise, as OGC wants them.
    geoms[holed] = [shapely.Polygon(s, [h[::-1]]) for s, h in zip(shell[holed], hole)]
    geoms = shapely.orient_polygons(geoms) if hasattr(shapely, "orient_polygons") else geoms
    bad = ~shapely.is_valid(geoms)
    geoms[bad] = shapely.make_valid(geoms[bad])  # none expected; repaired rather than dropped if any
    return geoms


def farmland(
    n_target: int = 200_000,
    seed: int = 1,
    convex: bool = False,
    origin: tuple[float, float] = ORIGIN,
    extent: float = EXTENT,
) -> gpd.GeoDataFrame:
    """``n_target`` patches, one per cell of a square grid over ``extent`` metres from ``origin``."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_target)))
    cell = extent / side
    ix, iy = np.meshgrid(np.arange(side), np.arange(side))
    ix, iy = ix.ravel()[:n_target], iy.ravel()[:n_target]
    fill = rng.uniform(0.6, 0.95, n_target)
    half = cell / 2
    cx = origin[0] + (ix + 0.5) * cell
    cy = origin[1] + (iy + 0.5) * cell
    shape = _ngons if convex else _stars
    geoms = shape(cx, cy, half * fill, half * rng.uniform(0.6, 0.95, n_target), rng)
    return gpd.GeoDataFrame({"patch_id": np.arange(n_target)}, geometry=geoms, crs=CRS)


def projects(
    n: int, seed: int = 2, origin: tuple[float, float] = ORIGIN, extent: float = EXTENT
) -> gpd.GeoDataFrame:
    """``n`` projects over ``extent`` metres from ``origin``: four fifths polygons, one fifth corridors."""
    rng = np.random.default_rng(seed + n)
    n_lines = n // 5
    n_poly = n - n_lines
    area = rng.uniform(1, 200, n_poly) * 1e4  # m²
    cx = rng.uniform(origin[0], origin[0] + extent, n_poly)
    cy = rng.uniform(origin[1], origin[1] + extent, n_poly)
    aspect = rng.uniform(0.5, 2.0, n_poly)
    r = np.sqrt(area / np.pi)
    polys = _ngons(cx, cy, r * np.sqrt(aspect), r / np.sqrt(aspect), rng, k=12)
    # Corridors: random walks of 5–40 km, 20–80 m wide.
    lengths = rng.uniform(5_000, 40_000, n_lines)
    widths = rng.uniform(20, 80, n_lines)
    lines = []
    for L in lengths:
        steps = max(int(L // 500), 2)
        heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.15, steps))
        x0 = rng.uniform(origin[0] + 20_000, origin[0] + extent - 20_000)
        y0 = rng.uniform(origin[1] + 20_000, origin[1] + extent - 20_000)
        xy = np.c_[x0 + np.cumsum(np.cos(heading) * L / steps), y0 + np.cumsum(np.sin(heading) * L / steps)]
        lines.append(shapely.LineString(np.vstack([[x0, y0], xy])))
    corridors = shapely.buffer(np.array(lines, dtype=object), widths / 2, cap_style="flat")
    geoms = np.concatenate([polys, corridors])
    kind = np.r_[np.full(n_poly, "polygon"), np.full(n_lines, "corridor")]
    gdf = gpd.GeoDataFrame(
        {"project_id": [f"B{i:06d}" for i in range(n)], "kind": kind}, geometry=geoms, crs=CRS
    )
    gdf = gdf[shapely.is_valid(gdf.geometry.values)].reset_index(drop=True)
    return gdf


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patches", type=int, default=200_000)
    parser.add_argument("--projects", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--convex", action="store_true", help="convex patches (the earlier, flattering case)")
    args = parser.parse_args()
    out = cache_dir(args.convex)
    t = time.perf_counter()
    fl = farmland(args.patches, convex=args.convex)
    fl.to_parquet(out / f"farmland_{args.patches}.parquet")
    g = fl.geometry.values
    nonconvex = ~shapely.equals_exact(shapely.normalize(shapely.convex_hull(g)), shapely.normalize(g), 0.0)
    print(
        f"farmland: {len(fl):,} patches ({nonconvex.sum():,} non-convex, "
        f"{(shapely.get_num_interior_rings(g) > 0).sum():,} with a hole, "
        f"{shapely.get_num_coordinates(g).mean():.1f} vertices on average), {fl.area.sum() / 1e6:,.0f} km² "
        f"→ {out} ({time.perf_counter() - t:.1f} s)"
    )
    for n in args.projects:
        pr = projects(n)
        pr.to_parquet(out / f"projects_{n}.parquet")
        print(
            f"projects: {len(pr):,} ({(pr.kind == 'corridor').sum():,} corridors), "
            f"{pr.area.sum() / 1e4:,.0f} ha"
        )


if __name__ == "__main__":
    main()
