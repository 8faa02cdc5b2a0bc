"""County tables: investment by county and project group, counts of projects and towns.

How a project's investment is shared among the county-level units (the rule, applied in
this order, per project):

1. **Located** (a non-empty geometry): split by the part of the geometry in each unit —
   polygons by (ellipsoidal) area, lines by length (in the area CRS of :func:`hygis.crs.area_crs_for`),
   points by containment (a multipoint by its number of points; a point exactly on a border
   is shared equally). Shares are of the part inside the units, so they sum to 1; the
   geometry wins over any ``county_code`` listing.
2. **Listed** (no geometry, but ``county_code`` lists one or more codes separated by ``;``):
   split equally among the listed units. Codes that are not units are reported and ignored.
3. **Unallocated** (neither, or a geometry wholly outside the units): the investment stays
   unallocated. It is never dropped: :func:`investment_by_county` reports it in
   ``attrs["unallocated"]`` and the report tables add it as its own row.

Investment is in 亿元 (100 million yuan), the plan's unit, from the ``investment_yi`` column.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis import io, words
from hygis.analysis.stats import load_counties
from hygis.crs import area_crs_for, describe
from hygis.engine.area import measure as ellipsoidal_area
from hygis.engine.regions import measure, split_by_regions
from hygis.errors import HygisInputError
from hygis.plan import layers
from hygis.plan.inputs import normalise_projects

#: The suffix of the ``by_group`` sheet's columns, one per project group (``交通基建_investment_yi``).
_PER_GROUP = "_investment_yi"

#: The row label for investment no rule can place.
UNALLOCATED = "未分配 (unallocated)"

#: Separators accepted between codes in ``county_code``.
_CODE_SEP = re.compile(r"[;,，；、\s]+")

ALLOCATION_RULE = (
    "Located projects are split by the part of their geometry in each unit (area for polygons, "
    "length for lines, containment for points); projects without a geometry but with county_code "
    "are split equally among the listed units; the rest is unallocated, reported in its own row."
)


def _projects(projects: gpd.GeoDataFrame | None, investment_field: str) -> gpd.GeoDataFrame:
    if projects is None:
        projects = layers.load("projects")
    if "project_id" not in projects.columns:
        projects = normalise_projects(projects)
    if investment_field not in projects.columns:
        msg = (
            f"projects: no investment column '{investment_field}' (亿元). The columns are: "
            f"{', '.join(map(str, projects.columns))}. "
            "Name the column with investment_field= (CLI: --investment-field)."
        )
        raise HygisInputError(msg)
    values = pd.to_numeric(projects[investment_field], errors="coerce")
    bad = (
        values.isna()
        & projects[investment_field].notna()
        & (projects[investment_field].astype(str).str.strip() != "")
    )
    if bad.any():
        which = ", ".join(projects.loc[bad, "project_id"].astype(str).head(10))
        msg = (
            f"projects: '{investment_field}' must be a number of 亿元; "
            f"not a number for project(s) {which}. Fix those cells."
        )
        raise HygisInputError(msg)
    if projects.crs is None and projects.geometry.notna().any():
        msg = "projects: the frame has no CRS. Set one (gdf.set_crs('EPSG:4490'))."
        raise HygisInputError(msg)
    out = projects.copy()
    out["_investment"] = values.fillna(0.0).to_numpy()
    return out


def allocate_projects(
    projects: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    investment_field: str = "investment_yi",
) -> pd.DataFrame:
    """Share each project's investment among the county units (the rule in this module's docstring).

    Parameters
    ----------
    projects : GeoDataFrame, optional
        With ``project_id`` (or an alias), ``investment_yi`` and optionally ``group``,
        ``group_en``, ``county_code``; geometry may be empty. Default: the plan's 19 projects.
    counties : GeoDataFrame, optional
        Units with ``code`` and ``name``; default the embedded 12.
    investment_field : str
        Column holding the investment in 亿元.

    Returns
    -------
    pandas.DataFrame
        One row per project and unit it is allocated to (one row with ``code`` None for an
        unallocated project): ``project_id``, ``project``, ``group``, ``group_en``, ``code``,
        ``county``, ``method`` (``area``, ``length``, ``point``, ``listed``, ``unallocated``),
        ``approximate`` (the split follows a schematic or approximate geometry:
        :func:`hygis.layers.approximate`), ``share`` (0–1), ``investment_yi`` (the share of the
        investment) and ``note``.
        ``attrs["crs"]`` is the CRS areas and lengths were measured in.
    """
    projects = _projects(projects, investment_field)
    counties = load_counties(counties)
    codes = counties["code"].astype(str).to_numpy()
    county_names = dict(zip(codes, counties["name"]))
    geoms = projects.geometry.to_numpy()
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    crs = area_crs_for(counties, projects[located]) if located.any() else area_crs_for(counties)
    zones = counties.geometry.to_crs(crs).to_numpy()
    group = projects["group"] if "group" in projects.columns else pd.Series("", index=projects.index)
    group_en = projects["group_en"] if "group_en" in projects.columns else pd.Series("", index=projects.index)
    base = pd.DataFrame(
        {
            "project_id": projects["project_id"].astype(str).to_numpy(),
            "project": projects["name"].astype(str).to_numpy()
            if "name" in projects
            else projects["project_id"].astype(str),
            "group": group.fillna("").astype(str).to_numpy(),
            "group_en": group_en.fillna("").astype(str).to_numpy(),
            "total_yi": projects["_investment"].to_numpy(),
            # A split by a schematic or approximate geometry is indicative: say so in every table.
            "approximate": layers.approximate(projects),
        }
    )
    rows = []

    # 1. located: split by the measure of the geometry in each unit
    loc_idx = np.flatnonzero(located)
    if len(loc_idx):
        g = projects.geometry.iloc[loc_idx].to_crs(crs).to_numpy()
        pieces, owner, zone = split_by_regions(g, zones)
        size = measure(pieces)
        # Areas as the official figures (椭球面积), not the plane's: a split by area is a split by land.
        polygonal_piece = shapely.get_dimensions(pieces) == 2
        size[polygonal_piece] = ellipsoidal_area(pieces[polygonal_piece], crs)
        whole = np.bincount(owner, weights=size, minlength=len(g))
        keep = size > 0
        method = np.array(["point", "length", "area"], dtype=object)[shapely.get_dimensions(pieces)]
        rows.append(
            pd.DataFrame(
                {
                    "row": loc_idx[owner[keep]],
                    "code": codes[zone[keep]],
                    "method": method[keep],
                    "share": size[keep] / whole[owner[keep]],
                    "note": "",
                }
            )
        )
        outside = loc_idx[whole == 0]
    else:
        outside = np.array([], dtype=int)

    # 2. listed: equal split among valid codes; 3. the rest unallocated
    listing = (
        projects["county_code"] if "county_code" in projects.columns else pd.Series("", index=projects.index)
    )
    unalloc: list[tuple[int, str]] = [
        (int(k), "its geometry lies outside every county unit") for k in outside
    ]
    for k in np.flatnonzero(~located):
        text = listing.iloc[k]
        listed = [c for c in _CODE_SEP.split(str(text).strip()) if c] if pd.notna(text) else []
        valid = [c for c in dict.fromkeys(listed) if c in county_names]
        unknown = [c for c in listed if c not in county_names]
        note = (
            f"county_code lists {', '.join(unknown)}, which are not county units; ignored." if unknown else ""
        )
        if valid:
            rows.append(
                pd.DataFrame(
                    {"row": k, "code": valid, "method": "listed", "share": 1.0 / len(valid), "note": note}
                )
            )
        else:
            unalloc.append(
                (int(k), "no located geometry and no county listed" + (f"; {note}" if note else ""))
            )
    if unalloc:
        rows.append(
            pd.DataFrame(
                {
                    "row": [k for k, _ in unalloc],
                    "code": None,
                    "method": "unallocated",
                    "share": 1.0,
                    "note": [why for _, why in unalloc],
                }
            )
        )
    alloc = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["row", "code", "method", "share", "note"])
    )
    # Say where a geometry and the project's own county listing disagree: the split follows the
    # geometry, but a schematic line for a basin-wide project may cover only part of its units.
    for k in loc_idx:
        text = listing.iloc[k]
        listed_set = {c for c in _CODE_SEP.split(str(text).strip()) if c} if pd.notna(text) else set()
        placed = set(alloc.loc[alloc["row"] == k, "code"].dropna())
        if listed_set and placed and listed_set != placed:
            alloc.loc[alloc["row"] == k, "note"] = (
                f"split by geometry over {', '.join(sorted(placed))}; the project's county_code lists "
                f"{', '.join(sorted(listed_set))} (check the geometry's extent and precision)"
            )
    alloc = base.iloc[alloc["row"].to_numpy()].reset_index(drop=True).join(alloc.drop(columns="row"))
    alloc["county"] = alloc["code"].map(county_names).fillna(UNALLOCATED)
    alloc["investment_yi"] = alloc["total_yi"] * alloc["share"]
    alloc["approximate"] = alloc["approximate"] & alloc["method"].isin(["area", "length", "point"])
    alloc = alloc.sort_values(["project_id", "code"], na_position="last", kind="stable").reset_index(
        drop=True
    )
    cols = [
        "project_id",
        "project",
        "group",
        "group_en",
        "code",
        "county",
        "method",
        "approximate",
        "share",
        "investment_yi",
        "total_yi",
        "note",
    ]
    alloc = alloc[cols]
    alloc.attrs.update({"crs": describe(crs), "rule": ALLOCATION_RULE})
    return alloc


def investment_by_county(
    projects: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    investment_field: str = "investment_yi",
) -> pd.DataFrame:
    """Investment (亿元) and number of projects per county unit.

    The split follows this module's rule: located projects by area/length/containment, listed
    ones equally among their units, the rest unallocated (never dropped).

    Parameters
    ----------
    projects, counties : GeoDataFrame, optional
        Default: the plan's 19 projects and the embedded 12 units.
    investment_field : str
        Column holding the investment in 亿元.

    Returns
    -------
    pandas.DataFrame
        One row per unit, in the layer's order: ``code``, ``name``, ``investment_yi``,
        ``investment_located_yi`` (from geometries), ``investment_listed_yi`` (from county
        listings), ``investment_approximate_yi`` (the part split by schematic or approximate
        geometries: indicative), ``projects`` (projects with a share in the unit; a project spanning units
        counts in each). ``attrs``: ``unallocated`` (DataFrame: project_id, project, group,
        investment_yi, note), ``unallocated_yi``, ``total_yi``, ``rule``, ``crs``.
    """
    counties = load_counties(counties)
    alloc = allocate_projects(projects, counties, investment_field=investment_field)
    table = _per_county(alloc, counties)
    _attach_unallocated(table, alloc)
    return table


def _per_county(alloc: pd.DataFrame, counties: gpd.GeoDataFrame, by: list[str] | None = None) -> pd.DataFrame:
    placed = alloc[alloc["code"].notna()].assign(
        located=lambda d: np.where(d["method"] != "listed", d["investment_yi"], 0.0),
        listed=lambda d: np.where(d["method"] == "listed", d["investment_yi"], 0.0),
        approx=lambda d: np.where(d["approximate"], d["investment_yi"], 0.0),
    )
    keys = ["code", *(by or [])]
    agg = placed.groupby(keys).agg(
        investment_yi=("investment_yi", "sum"),
        investment_located_yi=("located", "sum"),
        investment_listed_yi=("listed", "sum"),
        investment_approximate_yi=("approx", "sum"),
        projects=("project_id", "nunique"),
    )
    frame = pd.DataFrame(
        {"code": counties["code"].astype(str).to_numpy(), "name": counties["name"].to_numpy()}
    )
    if by:
        levels = alloc[by].drop_duplicates().sort_values(by)
        frame = frame.merge(levels, how="cross")
    out = frame.join(agg, on=keys)
    num = [
        "investment_yi",
        "investment_located_yi",
        "investment_listed_yi",
        "investment_approximate_yi",
        "projects",
    ]
    out[num] = out[num].fillna(0)
    out["projects"] = out["projects"].astype(int)
    return out


def _attach_unallocated(table: pd.DataFrame, alloc: pd.DataFrame) -> None:
    un = alloc[alloc["code"].isna()][["project_id", "project", "group", "investment_yi", "note"]].reset_index(
        drop=True
    )
    table.attrs.update(
        {
            "unallocated": un,
            "unallocated_yi": float(un["investment_yi"].sum()),
            "total_yi": float(alloc.drop_duplicates("project_id")["total_yi"].sum()),
            "rule": alloc.attrs["rule"],
            "crs": alloc.attrs["crs"],
        }
    )


def investment_by_county_and_group(
    projects: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    investment_field: str = "investment_yi",
) -> pd.DataFrame:
    """Investment (亿元) per county unit and project group (the plan's six groups), every combination.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``group``, ``group_en``, ``investment_yi``, ``investment_located_yi``,
        ``investment_listed_yi``, ``projects``; zeros where a group has nothing in a unit.
        ``attrs`` as :func:`investment_by_county` (``unallocated`` carries each project's group).
    """
    counties = load_counties(counties)
    alloc = allocate_projects(projects, counties, investment_field=investment_field)
    table = _per_county(alloc, counties, by=["group", "group_en"])
    _attach_unallocated(table, alloc)
    return table


def with_unallocated_row(table: pd.DataFrame) -> pd.DataFrame:
    """The county table with the unallocated investment and the total as rows, for a report.

    The unit rows plus the unallocated row sum to the total row, which is the sum of every
    project's investment.
    """
    un = table.attrs.get("unallocated", pd.DataFrame(columns=["investment_yi"]))
    extra = [
        {
            "code": "",
            "name": UNALLOCATED,
            "investment_yi": float(un["investment_yi"].sum()),
            "projects": len(un),
        },
        {
            "code": "",
            "name": "合计 (total)",
            "investment_yi": table.attrs.get("total_yi", np.nan),
            "projects": np.nan,
        },
    ]
    out = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    out.attrs = dict(table.attrs)
    return out


def town_counts(
    urban_system: gpd.GeoDataFrame | None = None, counties: gpd.GeoDataFrame | None = None
) -> pd.DataFrame:
    """Number of county seats (tier 2) and featured towns (tier 3) in each county unit.

    A place belongs to the unit its ``county_code`` names (one code); a place without a usable
    code is placed by its geometry (containment); a place with neither is not counted and is
    listed in ``attrs["unplaced"]``.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``county_seats``, ``featured_towns``, ``towns`` (their sum).
    """
    urban = layers.load("urban_system") if urban_system is None else urban_system
    counties = load_counties(counties)
    if "tier" not in urban.columns:
        msg = f"urban system: needs a 'tier' column (1–4); it has {', '.join(map(str, urban.columns))}."
        raise HygisInputError(msg)
    codes = counties["code"].astype(str).to_numpy()
    towns = urban[pd.to_numeric(urban["tier"], errors="coerce").isin([2, 3])].copy()
    code = (
        towns["county_code"].astype(str).str.strip()
        if "county_code" in towns
        else pd.Series("", index=towns.index)
    )
    code = code.where(code.isin(codes))
    missing = code.isna().to_numpy()
    geoms = towns.geometry.to_numpy()
    has_geom = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    todo = np.flatnonzero(missing & has_geom)
    if len(todo):
        crs = area_crs_for(counties)
        zones = counties.geometry.to_crs(crs).to_numpy()
        pts = towns.geometry.iloc[todo].to_crs(crs).to_numpy()
        k, z = shapely.STRtree(zones).query(pts, predicate="intersects")
        first = pd.Series(z, index=k).groupby(level=0).first()
        code.iloc[todo[first.index.to_numpy()]] = codes[first.to_numpy()]
    towns["_code"] = code.to_numpy()
    tier = pd.to_numeric(towns["tier"]).astype(int)
    out = pd.DataFrame({"code": codes, "name": counties["name"].to_numpy()})
    out["county_seats"] = out["code"].map(towns[tier == 2].groupby("_code").size()).fillna(0).astype(int)
    out["featured_towns"] = out["code"].map(towns[tier == 3].groupby("_code").size()).fillna(0).astype(int)
    out["towns"] = out["county_seats"] + out["featured_towns"]
    name_col = "name" if "name" in towns else towns.columns[0]
    out.attrs["unplaced"] = towns.loc[towns["_code"].isna(), name_col].astype(str).tolist()
    return out


def county_table(
    projects: gpd.GeoDataFrame | None = None,
    urban_system: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    investment_field: str = "investment_yi",
) -> pd.DataFrame:
    """Investment, projects and towns per county unit in one table (the report's main sheet)."""
    counties = load_counties(counties)
    inv = investment_by_county(projects, counties, investment_field=investment_field)
    towns = town_counts(urban_system, counties)
    out = inv.merge(towns.drop(columns="name"), on="code", how="left")
    out.attrs = dict(inv.attrs)
    out.attrs["unplaced_towns"] = towns.attrs["unplaced"]
    return out


def with_geometry(table: pd.DataFrame, counties: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Join a per-county table to the county polygons (WGS 84), for a choropleth.

    Rows whose ``code`` is not a unit (the unallocated and total rows) are left out.
    """
    counties = load_counties(counties)
    shapes = counties[["code", "geometry"]].assign(code=lambda d: d["code"].astype(str)).to_crs("EPSG:4326")
    out = shapes.merge(table.assign(code=table["code"].astype(str)), on="code", how="inner")
    out.attrs = dict(table.attrs)
    return out


def county_report(
    projects: gpd.GeoDataFrame | None = None,
    urban_system: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    investment_field: str = "investment_yi",
) -> dict[str, pd.DataFrame]:
    """The county tables as report sheets: ``by_county`` (with the unallocated and total rows),
    ``by_county_and_group``, ``by_group`` (investment, 亿元, counties × groups), ``allocation``
    (each project's split, with the method) and ``about`` (rule, unit, CRS, unallocated projects)."""
    counties = load_counties(counties)
    table = county_table(projects, urban_system, counties, investment_field=investment_field)
    groups = investment_by_county_and_group(projects, counties, investment_field=investment_field)
    alloc = allocate_projects(projects, counties, investment_field=investment_field)
    pivot = groups.pivot_table(
        index=["code", "name"], columns="group", values="investment_yi", aggfunc="sum", sort=False
    )
    pivot = pivot.reset_index()
    pivot.columns = [str(c) if c in ("code", "name") else f"{c}{_PER_GROUP}" for c in pivot.columns]
    about = [
        (
            "what",
            "县域统计 Investment (亿元) by county-level unit and project group; projects and towns per unit",
        ),
        ("unit", "亿元 = 100 million yuan"),
        ("rule", ALLOCATION_RULE),
        ("crs", table.attrs["crs"]),
        (
            "unallocated",
            f"{table.attrs['unallocated_yi']:,.1f} 亿元 of {table.attrs['total_yi']:,.1f} 亿元 "
            f"({len(table.attrs['unallocated'])} projects) cannot be placed in a unit",
        ),
    ]
    about += [
        ("unallocated project", f"{r.project_id} {r.project}: {r.investment_yi:,.1f} 亿元 — {r.note}")
        for r in table.attrs["unallocated"].itertuples()
    ]
    about += [("unplaced town", name) for name in table.attrs.get("unplaced_towns", [])]
    return {
        "by_county": with_unallocated_row(table),
        "by_county_and_group": groups,
        "by_group": pivot,
        "allocation": alloc,
        "about": pd.DataFrame(about, columns=["item", "value"]),
    }


def write_county_report(sheets: dict[str, pd.DataFrame], path, *, lang: str = "zh") -> Path:
    """Write :func:`county_report`: ``.xlsx`` every sheet, its name and headers in ``lang``
    (:mod:`hygis.words`: 分县统计, 分县分组投资, 分组投资, 项目投资分配, 方法与说明; ``"en"``: the
    keys of :func:`county_report`); ``.csv`` the ``by_county`` sheet (English column names, for scripts)."""
    if Path(path).suffix.lower() == ".xlsx":
        lang = words.check_lang(lang)
        if lang != "en" and "by_group" in sheets:  # one column per project group: 交通基建投资（亿元）…
            sheets = {
                **sheets,
                "by_group": sheets["by_group"].rename(
                    columns=lambda c: (
                        words.text("group_investment", lang, group=c.removesuffix(_PER_GROUP))
                        if str(c).endswith(_PER_GROUP)
                        else c
                    )
                ),
            }
        return io.write_table(words.workbook(sheets, "county_report", lang), path)
    return io.write_table(sheets["by_county"], path)


__all__ = [
    "ALLOCATION_RULE",
    "county_report",
    "write_county_report",
    "UNALLOCATED",
    "allocate_projects",
    "investment_by_county",
    "investment_by_county_and_group",
    "with_unallocated_row",
    "town_counts",
    "county_table",
    "with_geometry",
]
