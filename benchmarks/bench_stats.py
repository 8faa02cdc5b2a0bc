"""Benchmark: control-line statistics and QA on a 200,000-patch farmland layer, hygis vs geopandas.overlay.

    python benchmarks/bench_stats.py                 # 200,000 patches (the issue's figure)
    python benchmarks/bench_stats.py --patches 20000 # quicker

A seeded generator lays rotated rectangular "farmland" patches (about 1–6 ha, a few percent
overlapping a neighbour, as a draft layer does) over the embedded Hengyang county units
(~150 × 170 km, 12 units with real, detailed boundaries), plus 40 red-line discs and 15
development-boundary discs that overlap the farmland. It then times, in the same run:

* hygis: ``stats.control_line_stats`` (union per county and for the city, all three lines),
  ``qa.control_line_overlaps`` (every pair of lines) and ``qa.topology`` (self-overlaps, slivers);
* the naive baseline: ``geopandas.overlay`` of each line with the counties + ``dissolve`` per
  county (the union), and ``geopandas.overlay`` of each pair of lines;

and checks that both give the same areas. Timings are wall-clock on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

import hygis
from hygis.analysis import qa, stats
from hygis.engine.area import measure
from hygis.plan import layers

GK = "EPSG:4546"


def make_layers(n_patches: int, seed: int = 2026) -> dict[str, gpd.GeoDataFrame]:
    """Seeded synthetic control lines over the embedded counties, in EPSG:4326 like resolved inputs."""
    rng = np.random.default_rng(seed)
    counties = layers.load("counties").to_crs(GK)
    city = shapely.union_all(counties.geometry.to_numpy())
    minx, miny, maxx, maxy = city.bounds
    share = city.area / ((maxx - minx) * (maxy - miny))
    n_cells = int(n_patches / share * 1.02)
    cell = np.sqrt((maxx - minx) * (maxy - miny) / n_cells)
    xs = np.arange(minx + cell / 2, maxx, cell)
    ys = np.arange(miny + cell / 2, maxy, cell)
    cx, cy = (a.ravel() for a in np.meshgrid(xs, ys))
    cx = cx + rng.uniform(-0.15, 0.15, cx.size) * cell
    cy = cy + rng.uniform(-0.15, 0.15, cy.size) * cell
    shapely.prepare(city)
    inside = shapely.contains_xy(city, cx, cy)
    cx, cy = cx[inside][:n_patches], cy[inside][:n_patches]
    n = cx.size
    w = rng.uniform(0.45, 0.85, n) * cell
    h = rng.uniform(0.45, 0.85, n) * cell
    grow = rng.random(n) < 0.03  # a few patches overlap a neighbour, as in a draft layer
    w[grow] *= 1.6
    angle = rng.uniform(-0.3, 0.3, n)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    coords = np.stack([cx[:, None] + dx * c - dy * s, cy[:, None] + dx * s + dy * c], axis=-1)
    patches = shapely.polygons(np.concatenate([coords, coords[:, :1]], axis=1))
    farmland = gpd.GeoDataFrame({"patch_id": [f"PF{k:06d}" for k in range(n)]}, geometry=patches, crs=GK)

    def discs(k, rmin, rmax, prefix, col):
        px = rng.uniform(minx, maxx, k * 3)
        py = rng.uniform(miny, maxy, k * 3)
        ok = shapely.contains_xy(city, px, py)
        px, py = px[ok][:k], py[ok][:k]
        geoms = shapely.buffer(shapely.points(px, py), rng.uniform(rmin, rmax, px.size), quad_segs=16)
        return gpd.GeoDataFrame({col: [f"{prefix}{i}" for i in range(px.size)]}, geometry=geoms, crs=GK)

    return {
        "ecological_redline": discs(40, 1500, 5000, "R", "redline_id").to_crs(4326),
        "permanent_farmland": farmland.to_crs(4326),
        "urban_development_boundary": discs(15, 1500, 4000, "U", "udb_id").to_crs(4326),
    }


def timed(label: str, func, *args, **kwargs):
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    dt = time.perf_counter() - t0
    print(f"  {label:<58} {dt:8.2f} s", flush=True)
    return out, dt


def baseline_stats(lines: dict[str, gpd.GeoDataFrame], counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """geopandas.overlay with the counties, then dissolve per county (union), then the area.

    The area is hygis's own ellipsoidal measure of the overlay's polygons, so both sides report the
    same figure (椭球面积) and the comparison tests the geometry, not the measure.
    """
    rows = []
    cty = counties.to_crs(GK)[["code", "geometry"]]
    for name, gdf in lines.items():
        pieces = gpd.overlay(gdf.to_crs(GK), cty, how="intersection", keep_geom_type=True)
        per = pieces.dissolve(by="code")
        areas = measure(per.geometry)
        rows += [{"line": name, "code": code, "area_ha": a / 1e4} for code, a in zip(per.index, areas)]
    return pd.DataFrame(rows)


def baseline_qa(lines: dict[str, gpd.GeoDataFrame]) -> dict[str, float]:
    out = {}
    names = list(lines)
    for i in range(3):
        for j in range(i + 1, 3):
            inter = gpd.overlay(
                lines[names[i]].to_crs(GK),
                lines[names[j]].to_crs(GK),
                how="intersection",
                keep_geom_type=True,
            )
            out[f"{names[i]} × {names[j]}"] = (len(inter), float(measure(inter.geometry).sum()) / 1e4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patches", type=int, default=200_000)
    parser.add_argument("--no-baseline", action="store_true", help="Skip the geopandas.overlay baseline.")
    args = parser.parse_args()

    print(
        f"hygis {hygis.__version__}; geopandas {gpd.__version__}; shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string})"
    )
    t0 = time.perf_counter()
    lines = make_layers(args.patches)
    counties = layers.load("counties")
    print(
        f"generated {len(lines['permanent_farmland']):,} farmland patches, "
        f"{len(lines['ecological_redline'])} red-line and {len(lines['urban_development_boundary'])} "
        f"development-boundary discs in {time.perf_counter() - t0:.1f} s"
    )

    print("hygis")
    inputs, t_resolve = timed("resolve (validity checks, reprojection of the inputs)", hygis.resolve, **lines)
    table, t_stats = timed(
        "stats.control_line_stats (12 units + city, 3 lines)", stats.control_line_stats, inputs
    )
    overlaps, t_qa = timed("qa.control_line_overlaps (3 pairs of lines)", qa.control_line_overlaps, inputs)
    farm_crs = inputs.area_crs()
    topo, t_topo = timed(
        "qa.topology of the farmland (self-overlaps, slivers)",
        qa.topology,
        inputs.permanent_farmland,
        crs=farm_crs,
    )
    totals = qa.overlap_totals(overlaps)
    print(
        f"  → {len(overlaps):,} overlap polygons; "
        f"{topo.attrs['summary']['self_overlap']:,} farmland self-overlaps; "
        f"{topo.attrs['summary']['sliver']:,} slivers"
    )

    if args.no_baseline:
        return
    print("baseline: geopandas.overlay")
    ref, t_bstats = timed(
        "overlay with counties + dissolve per county (3 lines)", baseline_stats, lines, counties
    )
    ref_qa, t_bqa = timed("overlay of each pair of lines", baseline_qa, lines)

    ours = table[table["level"] == "county"].set_index(["line", "code"])["area_ha"]
    theirs = ref.set_index(["line", "code"])["area_ha"]
    diff = (ours.reindex(theirs.index) - theirs).abs().max()
    print(f"agreement: largest per-county area difference {diff:.2e} ha")
    for row in totals.itertuples():
        n_ref, ha_ref = ref_qa[row.pair]
        ha_ours = overlaps.loc[overlaps["pair"] == row.pair, "area_ha"].sum()
        print(
            f"  {row.pair}: hygis {row.overlaps:,} polygons, sum {ha_ours:,.4f} ha"
            f" | overlay {n_ref:,} polygons, sum {ha_ref:,.4f} ha"
        )
    print(f"speed-up: statistics {t_bstats / t_stats:.1f}×, overlap QA {t_bqa / t_qa:.1f}×")


if __name__ == "__main__":
    main()
