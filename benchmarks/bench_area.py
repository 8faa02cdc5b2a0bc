"""Benchmark: ellipsoidal areas (椭球面积) of many polygons, hygis vs a pyproj.Geod loop.

    python benchmarks/bench_area.py               # 100,000 图斑-like polygons + one of 100,000 vertices
    python benchmarks/bench_area.py --n 20000     # quicker

A seeded generator lays irregular 14-vertex polygons (10–300 m across, every third with a hole) over
Hengyang's extent, 111.3–113.4°E, in CGCS2000 / 3-degree Gauss–Krüger zone 37 (EPSG:4546), both sides of
the zone boundary at 112.5°E, as a farmland layer would come. Then it times, in the same run:

* hygis: ``hygis.engine.area.measure(polygons, "EPSG:4546")`` — inverse projection and area, all
  polygons at once;
* the peer: the same polygons taken to lon/lat (``GeoSeries.to_crs``, timed too) and
  ``pyproj.Geod(ellps="GRS80").geometry_area_perimeter`` on each in a Python loop — what one writes
  without hygis (Karney's geodesic area, the reference of the tests);
* for scale: the planar area in the zone (``shapely.area``), which is not the official figure;

and the same for one polygon of 100,000 vertices (a county boundary at survey detail). It prints the
largest difference between hygis and Geod, in m² (Geod's own is ~1e-4 m² a ring) and relative.
Timings are wall-clock on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from hygis.engine import area

GK = "EPSG:4546"  # CGCS2000 / 3-degree Gauss–Krüger CM 111°E (zone 37)


def make_patches(n: int, seed: int = 2026) -> np.ndarray:
    """``n`` irregular polygons over Hengyang's extent, in EPSG:4546."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(111.3, 113.4, n)
    lat = rng.uniform(26.1, 27.4, n)
    cx, cy = pyproj.Transformer.from_crs("EPSG:4490", GK, always_xy=True).transform(lon, lat)
    k = 14
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    size = rng.uniform(10, 300, n)[:, None]
    r = rng.uniform(0.3, 0.5, (n, k)) * size
    x = cx[:, None] + r * np.cos(ang)
    y = cy[:, None] + r * np.sin(ang)
    x = np.concatenate([x, x[:, :1]], axis=1)
    y = np.concatenate([y, y[:, :1]], axis=1)
    shells = shapely.linearrings(np.stack([x, y], axis=-1))
    holes = shapely.buffer(shapely.points(cx, cy), size[:, 0] * 0.08, quad_segs=2)
    with_hole = np.arange(n) % 3 == 0
    polys = shapely.polygons(shells)
    polys[with_hole] = shapely.polygons(
        shells[with_hole], [[shapely.get_exterior_ring(h)] for h in holes[with_hole]]
    )
    return polys


def make_big(vertices: int) -> shapely.Polygon:
    """A wiggly ring of ~40 km across with ``vertices`` vertices, centred at 112.6°E (zone 38's side)."""
    cx, cy = pyproj.Transformer.from_crs("EPSG:4490", GK, always_xy=True).transform(112.6, 26.9)
    t = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = 20_000 * (1 + 0.05 * np.sin(37 * t) + 0.02 * np.sin(211 * t))
    return shapely.Polygon(np.c_[cx + r * np.cos(t), cy + r * np.sin(t)])


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def compare(label: str, polys: np.ndarray) -> None:
    geod = pyproj.Geod(ellps="GRS80")
    ours, t_ours = timed(lambda: area.measure(polys, GK))
    lonlat, t_proj = timed(lambda: gpd.GeoSeries(polys, crs=GK).to_crs("EPSG:4490").to_numpy())
    ref, t_geod = timed(lambda: np.array([abs(geod.geometry_area_perimeter(p)[0]) for p in lonlat]))
    planar, t_planar = timed(lambda: shapely.area(polys))
    diff = np.abs(ours - ref)
    big = ref >= 1000
    n_vertices = int(shapely.get_num_coordinates(polys).sum())
    print(f"\n{label}: {polys.size:,} polygon(s), {n_vertices:,} vertices, {ours.sum() / 1e4:,.2f} ha")
    print(f"  hygis area.measure (ellipsoidal)    {t_ours:8.3f} s")
    t_peer = t_proj + t_geod
    print(f"  to_crs + pyproj.Geod loop           {t_peer:8.3f} s  ({t_peer / t_ours:,.1f}x hygis)")
    print(f"    of which the Geod loop            {t_geod:8.3f} s")
    print(f"  shapely.area (planar, EPSG:4546)    {t_planar:8.3f} s")
    # Geod's own error is ~1e-4 m² a ring whatever its size: compare relatively from 0.1 ha up.
    print(
        f"  hygis vs Geod: largest difference {diff.max():.1e} m², "
        f"relative {np.max(diff[big] / ref[big]):.1e} on the {big.sum():,} polygon(s) of 0.1 ha or more"
    )
    print(f"  planar vs ellipsoidal: {planar.sum() / ours.sum() - 1:+.2e} on the total")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of polygons (default 100,000)")
    parser.add_argument("--vertices", type=int, default=100_000, help="vertices of the big polygon")
    args = parser.parse_args()
    area.measure(make_patches(10), GK)  # PROJ's set-up, once, outside the timings
    compare("图斑-like polygons", make_patches(args.n))
    compare("one big polygon", np.array([make_big(args.vertices)], dtype=object))


if __name__ == "__main__":
    main()
