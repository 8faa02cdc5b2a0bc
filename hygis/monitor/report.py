"""The monitor's summary tables: what the writers and the printable pages both show.

Per county and year for the change polygons, per group and county for the projects. Kept apart
from :mod:`~hygis.monitor.changes` and :mod:`~hygis.monitor.projects` so that their writers and
:mod:`~hygis.monitor.pages` share them without importing one another (``changes.by_county`` and
the other old names still work).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hygis.analysis.counties import allocate_projects
from hygis.monitor import grading
from hygis.plan import resolve


def _level_order() -> list[str]:
    return list(grading.load_levels().index)


def changes_by_county(result: pd.DataFrame) -> pd.DataFrame:
    """Per year and county (and the city, ``county_code`` = ``全市``): changes, areas and counts per level.

    Columns: ``year``, ``county_code``, ``county_name``, ``changes``, ``area_ha``, ``redline_ha``,
    ``farmland_ha``, ``outside_udb_ha``, then ``n_<level>`` and ``<level>_ha`` for each level.
    """
    df = pd.DataFrame(result.drop(columns=[c for c in ("geometry",) if c in result.columns]))
    city = df.assign(county_code="全市", county_name="全市 (city total)")
    df = pd.concat([df, city], ignore_index=True)
    keys = ["year", "county_code", "county_name"]
    base = df.groupby(keys, sort=True).agg(
        changes=("change_id", "size"),
        area_ha=("area_ha", "sum"),
        redline_ha=("redline_ha", "sum"),
        farmland_ha=("farmland_ha", "sum"),
        outside_udb_ha=("outside_udb_ha", "sum"),
    )
    counts = df.pivot_table(index=keys, columns="level", values="area_ha", aggfunc="size", fill_value=0)
    areas = df.pivot_table(index=keys, columns="level", values="area_ha", aggfunc="sum", fill_value=0.0)
    for level in _level_order():
        base[f"n_{level}"] = counts[level].astype(int) if level in counts else 0
        base[f"{level}_ha"] = areas.get(level, 0.0)
    return base.reset_index()


def changes_trend(result: pd.DataFrame) -> pd.DataFrame:
    """Per year for the city: changes and area per level, and each count's change on the year before."""
    table = changes_by_county(result)
    table = (
        table[table["county_code"] == "全市"]
        .drop(columns=["county_code", "county_name"])
        .reset_index(drop=True)
    )
    for level in _level_order():
        table[f"n_{level}_change"] = table[f"n_{level}"].diff()
    return table


def projects_by_group(table: pd.DataFrame) -> pd.DataFrame:
    """Planned and completed investment (亿元), projects and projects behind, per group and for the plan."""
    agg = {
        "projects": ("project_id", "size"),
        "planned_yi": ("planned_yi", "sum"),
        "invest_done_yi": ("invest_done_yi", "sum"),
        "path_yi": ("path_yi", "sum"),
        "behind": ("behind", "sum"),
    }
    out = table.groupby("group", sort=False).agg(**agg).reset_index()
    total = table.assign(group="合计 total").groupby("group").agg(**agg).reset_index()
    out = pd.concat([out, total], ignore_index=True)
    out["completion_pct"] = 100 * out["invest_done_yi"] / out["planned_yi"]
    out["path_pct"] = 100 * out["path_yi"] / out["planned_yi"]
    return out


def projects_by_county(table: pd.DataFrame) -> pd.DataFrame:
    """Planned and completed investment per county (projects split as the county investment table does)."""
    inputs = table.attrs.get("inputs") or resolve()
    alloc = allocate_projects(inputs.projects)
    done = table.set_index("project_id")
    alloc["invest_done_yi"] = alloc["share"] * alloc["project_id"].map(done["invest_done_yi"]).fillna(0.0)
    alloc["path_yi"] = alloc["share"] * alloc["project_id"].map(done["path_yi"]).fillna(0.0)
    alloc["behind"] = alloc["project_id"].map(done["behind"]).fillna(False).astype(bool)
    alloc["county"] = alloc["county"].fillna("未分配 unallocated")
    alloc["code"] = alloc["code"].fillna("")
    out = (
        alloc.groupby(["code", "county"], sort=False, dropna=False)
        .agg(
            projects=("project_id", "nunique"),
            planned_yi=("investment_yi", "sum"),
            invest_done_yi=("invest_done_yi", "sum"),
            path_yi=("path_yi", "sum"),
            behind=("behind", "sum"),
        )
        .reset_index()
    )
    out["completion_pct"] = np.where(
        out["planned_yi"] > 0, 100 * out["invest_done_yi"] / out["planned_yi"], np.nan
    )
    return out.sort_values("code", key=lambda s: s.eq(""), kind="stable").reset_index(drop=True)


__all__ = ["changes_by_county", "changes_trend", "projects_by_county", "projects_by_group"]
