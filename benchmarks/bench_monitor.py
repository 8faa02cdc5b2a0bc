"""Benchmark: change polygons (变化图斑) against the three lines, hygis vs geopandas.overlay.

    python benchmarks/bench_monitor.py                  # 100,000 change polygons (a year of 卫片, large city)
    python benchmarks/bench_monitor.py --changes 20000  # quicker

The change polygons are hygis's illustrative example set (``hygis.monitor.example``, fixed seed)
over the embedded lines. It times, in the same run:

* hygis: ``hygis.monitor.changes.classify_changes`` end to end (read the frame, three exact
  overlaps with union semantics, counties, rules);
* the naive baseline: for each line, ``geopandas.overlay`` of the changes with the dissolved line
  and the intersection areas summed per change (the same union semantics), no rules;

and checks that both give the same overlap areas. Timings are wall-clock on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

import hygis
from hygis.monitor import changes, example

COLUMN = {"ecological_redline": "redline_ha", "permanent_farmland": "farmland_ha"}


def naive(frame: gpd.GeoDataFrame, inputs, crs) -> dict[str, np.ndarray]:
    """Overlap (ha) of each change with each line by geopandas.overlay against the dissolved line."""
    sites = frame[["geometry"]].to_crs(crs).assign(i=np.arange(len(frame)))
    out = {}
    for line, column in COLUMN.items():
        layer = inputs.control_lines()[line].to_crs(crs)[["geometry"]].dissolve()
        pieces = gpd.overlay(sites, layer, how="intersection", keep_geom_type=True)
        area = np.bincount(
            pieces["i"].to_numpy(), weights=pieces.geometry.area.to_numpy(), minlength=len(frame)
        )
        out[column] = area / 10_000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=100_000, help="number of change polygons")
    args = parser.parse_args()
    inputs = hygis.resolve()
    frame = example.example_changes(n_per_year=int(args.changes / 2.64) + 1, inputs=inputs)
    print(f"{len(frame):,} change polygons over the embedded (illustrative) lines; {hygis.__version__=}")
    t0 = time.perf_counter()
    result = changes.classify_changes(frame, inputs)
    t_hygis = time.perf_counter() - t0
    print(f"hygis classify_changes (3 lines, counties, rules)  {t_hygis:8.1f} s")
    t0 = time.perf_counter()
    peer = naive(frame, inputs, inputs.area_crs())
    t_peer = time.perf_counter() - t0
    print(f"geopandas.overlay (2 lines, areas only)           {t_peer:8.1f} s")
    for column, areas in peer.items():
        diff = float(np.abs(result[column].to_numpy() - areas).max())
        print(f"  max |hygis − overlay| {column}: {diff:.2e} ha")
        assert diff < 1e-6, column


if __name__ == "__main__":
    main()
