"""Illustrative monitoring data, made by code with a fixed seed: ``hygis monitor`` runs on a fresh install.

No official monitoring data for 2026 is public. These sets are **made up** to show the
workflow and are marked so in every output, as the illustrative control lines are:

* :func:`example_changes` — change polygons (变化图斑) over the embedded layers, with the field
  names of the 国土变更调查 (``TBBH``, ``BGQDLBM``, ``BGHDLBM``, ``BGNF``);
* :func:`example_values` — a few years of indicator values for the city and its counties;
  baselines are derived backwards from the plan's 2030 targets at a pace chosen for the
  demonstration, **not statistics**;
* :func:`example_progress` — yearly progress of the plan's 19 projects.

>>> from hygis.monitor import example
>>> len(example.example_changes(n_per_year=10, years=(2026,)))
10
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis.monitor import grading
from hygis.monitor.indicators import load_indicators
from hygis.plan import PlanInputs, layers, resolve
from hygis.plan.targets import load_targets

SEED = 2026
YEARS = (2026, 2027, 2028)

#: Example transitions (before, after, weight): what 变更调查 typically records around a growing city.
TRANSITIONS = (
    ("0101", "0601", 3),
    ("0103", "0701", 3),
    ("0101", "0702", 2),
    ("0103", "1003", 2),
    ("0101", "0201", 2),
    ("0101", "1104", 2),
    ("0301", "0601", 2),
    ("0101", "0103", 3),
    ("0404", "0701", 2),
    ("0301", "0602", 1),
    ("0102", "0508", 1),
    ("0702", "0701", 2),
)
#: Where the example polygons fall, as shares: inside each line, anywhere in the city.
PLACEMENT = {
    "permanent_farmland": 0.35,
    "ecological_redline": 0.12,
    "urban_development_boundary": 0.23,
    "anywhere": 0.30,
}


def _points_in(area: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random points inside ``area`` (rejection sampling in its bounding box)."""
    x0, y0, x1, y1 = area.bounds
    shapely.prepare(area)
    out_x, out_y = [], []
    got = 0
    while got < n:
        x = rng.uniform(x0, x1, 4 * (n - got) + 16)
        y = rng.uniform(y0, y1, len(x))
        inside = shapely.contains_xy(area, x, y)
        out_x.append(x[inside])
        out_y.append(y[inside])
        got += int(inside.sum())
    return np.column_stack([np.concatenate(out_x)[:n], np.concatenate(out_y)[:n]])


def _rectangles(centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotated rectangles of 0.2–4 ha around the centres (metres), built as arrays."""
    n = len(centres)
    area = rng.uniform(2_000, 40_000, n)
    aspect = rng.uniform(1.0, 3.0, n)
    w = np.sqrt(area / aspect)
    h = w * aspect
    theta = rng.uniform(0, np.pi, n)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x = centres[:, 0:1] + dx * c - dy * s
    y = centres[:, 1:2] + dx * s + dy * c
    return shapely.polygons(np.stack([x, y], axis=-1))


def example_changes(
    n_per_year: int = 400,
    years: tuple[int, ...] = YEARS,
    *,
    seed: int = SEED,
    inputs: PlanInputs | None = None,
) -> gpd.GeoDataFrame:
    """Illustrative change polygons over the plan's layers, several years.

    Parameters
    ----------
    n_per_year : int
        Polygons per year (the last years get a little fewer, to show a trend).
    years : tuple of int
    seed : int
        Same seed, same polygons.
    inputs : PlanInputs, optional
        The layers to place them over (default the embedded ones).

    Returns
    -------
    GeoDataFrame
        EPSG:4490 (CGCS2000, as a 变更调查 delivery) with ``TBBH``, ``BGQDLBM``, ``BGHDLBM``,
        ``BGNF``, ``SJLY`` (data source: says illustrative); ``attrs["hygis_layer"]["status"]`` is
        ``illustrative``.
    """
    rng = np.random.default_rng(seed)
    inputs = inputs or resolve()
    crs = inputs.area_crs()
    city = shapely.union_all(layers.load("counties").to_crs(crs).geometry.to_numpy())
    lines = {
        k: shapely.intersection(shapely.union_all(v.to_crs(crs).geometry.to_numpy()), city)
        for k, v in inputs.control_lines().items()
    }
    weights = np.array([t[2] for t in TRANSITIONS], dtype=float)
    frames = []
    for k, year in enumerate(years):
        n = max(1, round(n_per_year * (1 - 0.12 * k)))
        counts = rng.multinomial(n, list(PLACEMENT.values()))
        centres = np.concatenate(
            [_points_in(lines.get(where, city), int(m), rng) for where, m in zip(PLACEMENT, counts) if m]
        )
        pick = rng.choice(len(TRANSITIONS), size=n, p=weights / weights.sum())
        frames.append(
            pd.DataFrame(
                {
                    "TBBH": [f"{year}-{i + 1:05d}" for i in range(n)],
                    "BGQDLBM": [TRANSITIONS[p][0] for p in pick],
                    "BGHDLBM": [TRANSITIONS[p][1] for p in pick],
                    "BGNF": year,
                    "SJLY": f"hygis 示意数据 illustrative (generated, seed {seed})",
                    "geometry": _rectangles(centres, rng),
                }
            )
        )
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs).to_crs(
        "EPSG:4490"
    )
    gdf.attrs["hygis_layer"] = {
        "status": grading.ILLUSTRATIVE,
        "source": f"hygis.monitor.example.example_changes(seed={seed})",
        "title": "变化图斑 change polygons (example)",
    }
    return gdf


#: Indicators in the example values: (indicator, annual pace of the example, pace of the 2030 target).
#: A pace ratio of the example below 1 makes an indicator lag, to show every status.
EXAMPLE_PACE = {
    "地区生产总值": 1.04,
    "常住人口城镇化率": 0.90,
    "研发投入强度（2030）": 0.70,
    "先进制造业占工业比重": 1.10,
    "县域经济总量占全市比重": 0.95,
    "文旅综合收入占GDP比重": 0.60,
    "单位GDP能耗较2025年下降": 1.05,
    "秸秆综合利用率": 1.03,
    "地区生产总值年均增速（2026-2030）": 0.97,
    "规模工业增加值年均增长": 1.05,
}
#: The example's baseline distance from the 2030 target: baseline = target / (1 + r)^5 (growth), or
#: target − 5·d with d = the share of the target per year (linear).
EXAMPLE_GAP = {"compound": 0.08, "linear": 0.015}


def example_values(years: tuple[int, ...] = (2025, 2026, 2027), *, seed: int = SEED) -> pd.DataFrame:
    """Illustrative observed values of some of the plan's indicators, city and per county.

    Returns
    -------
    DataFrame
        ``indicator``, ``year``, ``value``, ``county_code`` (``""`` for the city), ``source`` (says
        illustrative). Not statistics: baselines are derived from the plan's targets.
    """
    rng = np.random.default_rng(seed)
    targets = load_targets().set_index("indicator")
    kinds = load_indicators().set_index("indicator")
    rows: list[dict[str, Any]] = []
    t0 = years[0]
    for name, pace in EXAMPLE_PACE.items():
        target = float(targets.loc[name, "target_2030"])
        kind = kinds.loc[name, "kind"]
        if kind == "rate":
            values = [np.nan] + [target * pace * rng.uniform(0.97, 1.03) for _ in years[1:]]
        elif kind == "compound":
            base = target / (1 + EXAMPLE_GAP["compound"]) ** (2030 - t0)
            g = (target / base) ** (1 / (2030 - t0)) - 1
            values = [base * (1 + g * pace) ** (y - t0) for y in years]
        else:
            step = (
                target * EXAMPLE_GAP["linear"] if name != "单位GDP能耗较2025年下降" else target / (2030 - t0)
            )
            base = 0.0 if name == "单位GDP能耗较2025年下降" else target - step * (2030 - t0)
            values = [base + step * pace * (y - t0) for y in years]
        for y, v in zip(years, values):
            if not np.isnan(v):
                rows.append({"indicator": name, "year": y, "value": round(float(v), 2), "county_code": ""})
    counties = layers.load("counties")
    codes = counties["code"].astype(str).to_numpy()
    # GDP per county: shares of the city's example value, each county at its own pace.
    share = rng.dirichlet(np.full(len(codes), 4.0))
    county_pace = rng.uniform(0.75, 1.2, len(codes))
    city = {int(r["year"]): float(r["value"]) for r in rows if r["indicator"] == "地区生产总值"}
    g_city = (city[years[-1]] / city[t0]) ** (1 / (years[-1] - t0)) - 1
    for c, s, p in zip(codes, share, county_pace):
        for y in years:
            rows.append(
                {
                    "indicator": "地区生产总值",
                    "year": y,
                    "county_code": c,
                    "value": round(city[t0] * s * (1 + g_city * p) ** (y - t0), 2),
                }
            )
    table = pd.DataFrame(rows)
    table["source"] = f"hygis 示意数据 illustrative (generated, seed {seed}; not statistics)"
    table.attrs["hygis_layer"] = {
        "status": grading.ILLUSTRATIVE,
        "title": "指标监测值 indicator values (example)",
    }
    return table


#: Stages of a project, in order (data/projects.csv gives none: every project is planned).
STAGES = ("前期", "在建", "竣工")


def example_progress(
    years: tuple[int, ...] = (2026, 2027), *, seed: int = SEED, inputs: PlanInputs | None = None
) -> pd.DataFrame:
    """Illustrative yearly progress of the plan's projects: cumulative investment completed and stage.

    Returns
    -------
    DataFrame
        ``project_id``, ``year``, ``invest_done_yi`` (cumulative, 亿元), ``stage`` (前期/在建/竣工),
        ``source`` (says illustrative).
    """
    rng = np.random.default_rng(seed)
    projects = (inputs or resolve()).projects
    planned = pd.to_numeric(projects["investment_yi"], errors="coerce").fillna(0).to_numpy()
    pace = rng.uniform(0.3, 1.5, len(projects))  # share of the even-pace path each project keeps
    start = rng.integers(0, 3, len(projects))  # years spent in 前期 before building starts
    rows = []
    for y in years:
        k = y - 2025
        done = np.minimum(planned, planned * 0.1 * pace * np.clip(k - start, 0, None))
        stage = np.where(done <= 0, STAGES[0], np.where(done >= planned - 1e-9, STAGES[2], STAGES[1]))
        rows.append(
            pd.DataFrame(
                {
                    "project_id": projects["project_id"].to_numpy(),
                    "year": y,
                    "invest_done_yi": np.round(done, 1),
                    "stage": stage,
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    table["source"] = f"hygis 示意数据 illustrative (generated, seed {seed})"
    table.attrs["hygis_layer"] = {
        "status": grading.ILLUSTRATIVE,
        "title": "项目进展 project progress (example)",
    }
    return table


__all__ = ["SEED", "STAGES", "YEARS", "example_changes", "example_progress", "example_values"]
