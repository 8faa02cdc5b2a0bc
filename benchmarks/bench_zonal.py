"""Zonal statistics benchmark: hygis.zonal vs rasterstats, in the same run.

5,000 project-sized polygons (rotated rectangles and irregular hexagons, 100 m – 2 km across)
over a 30 m raster of the whole of Hengyang (the county units: about 17 million data cells,
NoData outside the city), written as a tiled, compressed GeoTIFF by hygis.

Two comparisons of the means:

* polygons whose edges lie on cell edges (a quarter of them): area-weighted and cell-centre
  rules select the same cells, so hygis and rasterstats must agree to rounding;
* all polygons, on a raster whose value is the cell-centre easting: the true mean of the
  field over a polygon is its centroid's easting, so each engine's error is measured against
  the exact answer (rasterstats' cell-centre rule vs hygis's coverage fractions).

Run: ``python benchmarks/bench_zonal.py`` (needs ``pip install rasterstats``; a minute or two).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hygis.plan import layers
from hygis.raster.cog import write_cog
from hygis.raster.grid import burn, grid_for
from hygis.raster.zonal import zonal_stats


def make_raster(path: Path, cell: float) -> tuple:
    counties = layers.load("counties")
    grid = grid_for(counties, cell=cell)
    x, _ = grid.xy()
    inside = burn(counties.to_crs(grid.crs).geometry, grid).astype(bool)
    values = np.where(inside, np.broadcast_to(x, grid.shape), -9999.0).astype("float64")
    write_cog(path, [values], grid, nodata=-9999.0, categorical=False)
    return grid, counties, int(inside.sum())


def make_polygons(grid, counties, n: int, seed: int = 2026) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    city = shapely.union_all(counties.to_crs(grid.crs).geometry.to_numpy())
    shapely.prepare(city)
    minx, miny, maxx, maxy = city.bounds
    cx = rng.uniform(minx, maxx, n * 3)
    cy = rng.uniform(miny, maxy, n * 3)
    keep = shapely.contains_xy(city, cx, cy)
    cx, cy = cx[keep][:n], cy[keep][:n]
    size = rng.uniform(100, 2000, n)
    kind = np.arange(n) % 4
    polys = np.empty(n, dtype=object)
    cell = grid.cell
    # Kind 0: rectangles snapped to cell edges. 1–2: rotated rectangles. 3: irregular hexagons.
    a = np.round((cx - size / 2 - grid.transform.c) / cell) * cell + grid.transform.c
    b = np.round((cy - size / 2 - grid.transform.f) / cell) * cell + grid.transform.f
    w = np.maximum(np.round(size / cell), 2) * cell
    h = np.maximum(np.round(0.7 * size / cell), 2) * cell
    polys[kind == 0] = shapely.box(a, b, a + w, b + h)[kind == 0]
    theta = rng.uniform(0, np.pi, n)
    corners = np.array([[-0.5, -0.35], [0.5, -0.35], [0.5, 0.35], [-0.5, 0.35]])
    cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
    xs = cx[:, None] + size[:, None] * (corners[:, 0] * cos - corners[:, 1] * sin)
    ys = cy[:, None] + size[:, None] * (corners[:, 0] * sin + corners[:, 1] * cos)
    rects = shapely.polygons(np.stack([xs, ys], axis=-1))
    polys[(kind == 1) | (kind == 2)] = rects[(kind == 1) | (kind == 2)]
    ang = np.linspace(0, 2 * np.pi, 7)[:-1] + rng.uniform(0, 0.5, (n, 6))
    rad = size[:, None] / 2 * rng.uniform(0.6, 1.0, (n, 6))
    hexes = shapely.polygons(
        np.stack([cx[:, None] + rad * np.cos(ang), cy[:, None] + rad * np.sin(ang)], axis=-1)
    )
    polys[kind == 3] = hexes[kind == 3]
    return gpd.GeoDataFrame(
        {"project_id": [f"B{i:05d}" for i in range(n)], "kind": kind}, geometry=polys, crs=grid.crs
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="number of polygons (default 5000)")
    parser.add_argument("--cell", type=float, default=30.0, help="raster cell size in metres (default 30)")
    args = parser.parse_args()
    try:
        from rasterstats import zonal_stats as rs_zonal
    except ImportError:
        sys.exit("The baseline needs rasterstats: pip install rasterstats")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "easting.tif"
        t = time.perf_counter()
        grid, counties, cells = make_raster(path, args.cell)
        print(
            f"raster: {grid.width} × {grid.height} cells of {grid.cell:g} m, "
            f"{cells / 1e6:.1f} million data cells (written in {time.perf_counter() - t:.1f} s)"
        )
        zones = make_polygons(grid, counties, args.n)
        print(f"zones: {len(zones)} polygons, median area {np.median(zones.area) / 1e4:.1f} ha")

        t = time.perf_counter()
        ours = zonal_stats(path, zones, ["mean"])
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        theirs = rs_zonal(zones.geometry.to_numpy(), str(path), stats=["mean"], nodata=-9999.0)
        t_theirs = time.perf_counter() - t

    m_ours = ours["mean"].to_numpy()
    m_theirs = np.array([r["mean"] if r["mean"] is not None else np.nan for r in theirs], dtype=float)
    truth = zones.centroid.x.to_numpy()
    # The exact answer is the centroid only where the whole polygon has data (inside the city).
    city = shapely.union_all(counties.to_crs(grid.crs).geometry.to_numpy())
    within = shapely.within(zones.geometry.to_numpy(), city)
    snapped = zones["kind"].to_numpy() == 0
    both = np.isfinite(m_ours) & np.isfinite(m_theirs)
    print(f"hygis.zonal (exactextract, area-weighted): {t_ours:8.2f} s")
    print(f"rasterstats 0.21 (cell centres):           {t_theirs:8.2f} s")
    print(f"speed-up: {t_theirs / t_ours:.1f}×")
    d = np.abs(m_ours - m_theirs)
    print(
        f"max |mean difference|, cell-aligned polygons ({int((snapped & both).sum())}): "
        f"{np.nanmax(d[snapped & both]):.2e} m"
    )
    print(
        f"max |mean difference|, all polygons ({int(both.sum())}): {np.nanmax(d[both]):.2f} m "
        f"(cell size {grid.cell:g} m; the engines weight edge cells differently)"
    )
    ok = both & within
    print(
        f"max |error| against the exact mean (centroid easting), {int(ok.sum())} polygons inside the city: "
        f"hygis {np.nanmax(np.abs(m_ours - truth)[ok]):.4f} m, "
        f"rasterstats {np.nanmax(np.abs(m_theirs - truth)[ok]):.2f} m"
    )


if __name__ == "__main__":
    main()
