"""The control-line compliance check (规划符合性审查) as a short pipeline of named steps.

For every project and each of the three control lines (三条控制线) — the ecological protection
red line, permanent basic farmland and the urban development boundary — :func:`check_projects`
measures how much of the project's site overlaps the line and gives the verdict of the rule
that applies to the project's group, citing its source:

1. **sites** (:func:`hygis.check.sites.project_sites`) — polygons as drawn, lines as corridors,
   points by containment or as discs;
2. **measure** (:func:`hygis.check.measure.measure_line`) — the exact overlap engine, per line;
3. **judge** (:func:`hygis.check.judge.judge_line`) — the rule table's verdict, per line;
4. **provenance** (:func:`provenance`) — where every input, rule and figure came from.

Relocation suggestions for the conflicts are a separate step the user asks for
(:func:`hygis.analysis.relocate.relocate_conflicts`).

>>> import hygis
>>> report = hygis.check_projects()            # the plan's 19 projects, embedded layers
>>> report.groupby("control_line").size().to_dict()
{'ecological_redline': 19, 'permanent_farmland': 19, 'urban_development_boundary': 19}

Semantics
---------
* Areas are ellipsoidal (椭球面积 on the CGCS2000 ellipsoid, as the official survey figures;
  :mod:`hygis.engine.area`), in hectares and 亩 (1 亩 = 10000/15 m²); the overlaps themselves are
  computed exactly in the CGCS2000 Gauss–Krüger CRS of :func:`hygis.crs.area_crs_for` (EPSG:4546
  for Hengyang). ``area="planar"`` measures in the plane of that (or a stated) zone instead.
* Overlap = area(site ∩ union of the line's features): overlapping features count once,
  touching edges and holes give nothing (:mod:`hygis.engine.overlap`).
* Projects without a site are reported as ``not located``, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis import crs as hcrs
from hygis.check.categories import load_line_categories, load_project_types, load_type_defaults, project_types
from hygis.check.judge import VERDICT_TOLERANCE_M2, judge_line
from hygis.check.measure import measure_line
from hygis.check.preaudit import (
    FIGURE_COLUMNS,
    ITEMISED_LINES,
    county_units,
    load_farmland_classes,
    preaudit_figures,
    preaudit_line,
)
from hygis.check.rules import load_corridor_widths, load_rules
from hygis.check.sites import project_sites
from hygis.constants import CONTROL_LINES, ENGINES, VERDICTS
from hygis.engine.area import ELLIPSOIDAL, METHODS, PLANAR
from hygis.engine.area import describe as describe_area
from hygis.engine.overlap import SiteCache
from hygis.errors import HygisInputError
from hygis.geometry import project
from hygis.messages import warn
from hygis.plan import inputs as plan_inputs
from hygis.plan.inputs import PlanInputs, illustrative_banner, resolve
from hygis.settings import DATA_DIR

ProgressFn = Callable[[str], None]

#: How the check measures, for the report's provenance sheet.
METHOD = (
    "overlap = area(site ∩ union of the control line's features) in the area CRS; "
    "overlapping features count once, touching edges and holes give 0; "
    "invalid geometries repaired with make-valid (as ST_MakeValid); "
    "lines as corridors (width_m or the default per group), points by containment or a footprint radius"
)


def check_projects(
    inputs: PlanInputs | None = None,
    *,
    point_radius_m: float | None = None,
    engine: str = "local",
    workers: int | None = None,
    client: Any = None,
    rules: pd.DataFrame | str | Path | None = None,
    overlap_geometry: bool = True,
    site_geometry: bool = True,
    area: str = ELLIPSOIDAL,
    planar_crs: Any = None,
    preaudit: bool | str = True,
    counties: gpd.GeoDataFrame | None = None,
    progress: ProgressFn | None = None,
) -> gpd.GeoDataFrame:
    """Check projects against the three control lines; one row per project × control line.

    Parameters
    ----------
    inputs : PlanInputs, optional
        The plan's inputs from :func:`hygis.resolve` (default: the embedded layers), e.g.
        ``hygis.resolve("mine.gpkg", permanent_farmland="jbnt.shp")``.
    point_radius_m : float, optional
        Check point projects as discs of this radius (metres) instead of by containment.
    engine : {"local", "dask"}
        ``local`` uses every core of this machine; ``dask`` runs the same computation on a
        dask cluster (``client``, the current ``dask.distributed`` client, or dask's local
        scheduler). Results are identical.
    workers : int, optional
        Processes for the local engine (default: every core).
    client : dask.distributed.Client, optional
        For ``engine="dask"``.
    rules : DataFrame or path, optional
        A rule table in the format of :func:`hygis.check.rules.load_rules` (default: the packaged one).
    overlap_geometry : bool
        Build the overlap polygons (the ``geometry`` column). ``False`` when only the areas and
        verdicts are needed (a .csv or .xlsx report): the areas are the same, and ``geometry``
        is empty (None) in every row.
    site_geometry : bool
        Give each row its site (``site_geometry``, in WGS 84). ``False`` when no site is drawn (a
        .csv or .xlsx report): the column is then None in every row, and the sites are not projected.
    area : {"ellipsoidal", "planar"}
        How areas are measured: on the CGCS2000 ellipsoid (椭球面积, as the official survey
        figures; :mod:`hygis.engine.area`), or in the plane of ``planar_crs``.
    planar_crs : CRS, optional
        For ``area="planar"``: the Gauss–Krüger zone to measure in (and to compute the overlaps
        in); default the area CRS hygis chooses for the data. Ignored for ellipsoidal areas.
    preaudit : bool or "figures"
        Also give the 用地预审 figures of the projects touching the red line or the farmland
        (:mod:`hygis.check.preaudit`): ``overlap_patches``, ``overlap_paddy_ha``,
        ``overlap_irrigated_ha``, ``overlap_dry_ha``, ``overlap_grade_mean`` on the rows (from the
        engine's own (project, patch) areas), and ``attrs["by_county"]`` /
        ``attrs["farmland_detail"]`` (the pieces cut by county: a table a .csv report does not
        hold). ``"figures"`` gives the row figures only (``attrs`` tables None); False skips both
        (a very large batch where only the verdicts matter): the columns are then empty.
    counties : GeoDataFrame, optional
        The county-level units to split by (a user's XZQ layer, ``XZQDM``/``XZQMC`` or
        ``code``/``name``); default the embedded units.
    progress : callable, optional
        Receives one line of text per step and chunk.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, columns ``project_id``, ``name``, ``group``, ``control_line``,
        ``control_line_zh``, ``control_line_status`` (illustrative, user-file …: where that line
        came from), ``kind``, ``method``, ``site_ha``, ``site_mu``, ``overlap_ha``,
        ``overlap_mu``, ``share_of_site`` (overlap / site), ``outside_ha``, ``outside_mu``
        (development boundary only: the part of the site outside it), the 用地预审 columns
        ``overlap_patches``, ``overlap_paddy_ha``, ``overlap_irrigated_ha``, ``overlap_dry_ha``,
        ``overlap_grade_mean`` (red line and farmland rows), ``point_inside``
        (point projects), ``verdict``, ``rule``, ``source``, ``location_note``, ``geometry`` —
        the overlap polygon (for the development boundary: the part of the site *outside* it,
        which the verdict judges) — and ``site_geometry`` (the site checked).
        ``attrs``: ``area_method``, ``area_crs``, ``warnings``, ``provenance``, ``illustrative``
        (banner or None), ``by_county`` and ``farmland_detail`` (GeoDataFrames, or None).
    """
    say = progress or (lambda _m: None)
    if engine not in ENGINES:
        msg = f"Unknown engine '{engine}': use one of {', '.join(ENGINES)}."
        raise HygisInputError(msg)
    if inputs is None:
        say("reading inputs")
        inputs = resolve()
    rule_table = rules if isinstance(rules, pd.DataFrame) else load_rules(rules)
    notes = list(inputs.notes)
    projects = checked_projects(inputs.projects, rule_table, notes)
    if area not in METHODS:
        msg = f"Unknown area method '{area}': use 'ellipsoidal' (official 椭球面积, the default) or 'planar'."
        raise HygisInputError(msg)
    area_crs = inputs.area_crs() if area == ELLIPSOIDAL or planar_crs is None else CRS(planar_crs)
    if area == PLANAR and area_crs.is_geographic:
        msg = f"--area planar needs a projected CRS (a Gauss–Krüger zone), not {hcrs.describe(area_crs)}."
        raise HygisInputError(msg)
    method = describe_area(area, area_crs if area == PLANAR else None)
    say(f"sites in {hcrs.describe(area_crs)}; {method}")
    sites = project_sites(
        projects,
        area_crs,
        notes,
        point_radius_m=point_radius_m,
        ellipsoidal=area == ELLIPSOIDAL,
        native=inputs.projects_as_read(projects),
    )
    # The plan's own projects get a type from their group and name; a user's file says its own.
    own_plan = inputs.provenance.get("projects", {}).get("status") not in ("user-file", "user-data")
    types, type_basis = project_types(projects, defaults=own_plan)
    untyped = np.array([t is None for t in types], dtype=bool)
    if untyped.any():
        warn(
            f"projects: {int(untyped.sum())} project(s) have no project_type (项目类型): judged by the "
            "rules of their group. Give a project_type (data/project_types.csv: railway_national, "
            "water_local, tourism_facilities …) to judge them by the categories of 自然资发〔2022〕142号 "
            "and 自然资规〔2018〕3号.",
            notes,
        )
    tables = preaudit is True
    units = county_units(counties) if tables else None
    frames, by_county, detail = [], [], []
    cache = SiteCache()  # the sites ordered and cut once for the three lines
    # A control-line file comes as its prepared index (from the cache when unchanged); the
    # 用地预审 tables need its features and attributes, and read it if it was not read yet.
    layers = {line: inputs.line_for_check(line, area_crs) for line in CONTROL_LINES}
    notes.extend(inputs.deferred_notes())  # once prepared: a large line's validity is tested meanwhile
    # The largest line first: its workers cut the sites, which the smaller lines then reuse.
    by_size = sorted(CONTROL_LINES, key=lambda name: -len(layers[name]))
    measures = {
        line: measure_line(
            sites,
            line,
            layers[line],
            notes,
            engine=engine,
            workers=workers,
            client=client,
            geometry=overlap_geometry,
            pairs=bool(preaudit) and line in ITEMISED_LINES,
            cache=cache,
            progress=say,
        )
        for line in by_size
    }
    for line in CONTROL_LINES:
        itemise = bool(preaudit) and line in ITEMISED_LINES
        measured = measures[line]
        frame = judge_line(
            sites, measured, rule_table, with_geometry=overlap_geometry, types=types, type_basis=type_basis
        )
        figures = pd.DataFrame({c: np.full(len(frame), np.nan) for c in FIGURE_COLUMNS})
        if itemise:
            touched = np.nan_to_num(measured.inside_m2) > VERDICT_TOLERANCE_M2
            found = None
            if measured.pairs is not None and measured.source_row is not None:
                found = preaudit_figures(
                    sites.geoms, touched, measured.pairs, measured.source_row, measured.attributes
                )
            if tables or found is None:
                say(f"{line}: the 用地预审 tables of the projects touching it (by county, patches)")
                # Features that share ground: the engine merged them (rows −1), or was not asked.
                rows = measured.source_row
                shared = rows is None or bool((np.asarray(rows) < 0).any())
                cut = preaudit_line(
                    sites.projects,
                    sites.geoms,
                    touched,
                    line,
                    getattr(inputs, line),
                    units if units is not None else county_units(counties),
                    area_crs,
                    area=area,
                    shared_ground=shared,
                )
                if tables:
                    by_county.append(cut.by_county)
                    if line == "permanent_farmland":
                        detail.append(cut.detail)
                found = cut.per_site if found is None else found
            figures = found
        at = frame.columns.get_loc("point_inside")
        for k, column in enumerate(FIGURE_COLUMNS):
            frame.insert(at + k, column, figures[column].to_numpy())
        frames.append(frame)
    report = assemble(frames, len(projects), area_crs, sites.geoms, with_sites=site_geometry)
    report.attrs["by_county"] = _to_wgs84(by_county)
    report.attrs["farmland_detail"] = _to_wgs84(detail)
    say("done")
    return provenance(report, inputs, rule_table, notes, engine=engine, area_crs=area_crs, area_method=method)


def warm_up() -> None:
    """Do once, in a process that forks a child per check (``hygis serve``), what every check would
    otherwise do first: the plan's coordinate operations and territory
    (:func:`hygis.plan.inputs.warm_up`) and the rule tables read."""
    plan_inputs.warm_up()
    load_rules()
    load_corridor_widths()
    load_project_types()
    load_line_categories()
    load_type_defaults()
    load_farmland_classes()


def checked_projects(projects: gpd.GeoDataFrame, rules: pd.DataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """The projects ready to check: refused when empty, ``group`` filled in, unknown groups noted."""
    if len(projects) == 0:
        msg = (
            "projects: there are no projects to check (the input is empty). "
            "Give a file with at least one project."
        )
        raise HygisInputError(msg)
    group = projects["group"] if "group" in projects.columns else pd.Series("*", index=projects.index)
    projects = projects.assign(group=group.fillna("*").astype(str))
    if (projects["group"] == "*").any():
        warn(
            f"projects: {int((projects['group'] == '*').sum())} project(s) have no 'group' "
            "(e.g. 交通基建, 产业升级): "
            "the general rules apply to them, which treat any overlap as construction. Add a group column.",
            notes,
        )
    known = set(rules.group) - {"*"}
    unknown = sorted(set(projects["group"]) - known - {"*"})
    if unknown:
        warn(
            f"projects: group(s) {', '.join(unknown)} have no specific rule; the general rules apply. "
            f"Known groups: {', '.join(sorted(known))}.",
            notes,
        )
    return projects


def _to_wgs84(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame | None:
    """The 用地预审 tables of every line in one frame, in WGS 84 like the report (None if not asked)."""
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs).to_crs(hcrs.WGS84)


def assemble(
    frames: list[pd.DataFrame],
    n_projects: int,
    area_crs: Any,
    sites: np.ndarray | None = None,
    *,
    with_sites: bool = True,
) -> gpd.GeoDataFrame:
    """The rows of every line, project by project in input order and lines in their order, in WGS 84.

    ``sites`` (each project's site in ``area_crs``, as every line's ``site_geometry``) are then
    projected once rather than once per line. ``with_sites=False``: ``site_geometry`` None in every
    row (nothing projected).
    """
    report = pd.concat(frames, ignore_index=True)
    line_rank = report["control_line"].map({name: k for k, name in enumerate(CONTROL_LINES)}).to_numpy()
    project_rank = np.tile(np.arange(n_projects), len(frames))
    report = report.iloc[np.lexsort((line_rank, project_rank))].reset_index(drop=True)
    overlaps = np.asarray(report["geometry"].to_numpy(), dtype=object)
    drawn = ~shapely.is_missing(overlaps)
    if drawn.any():
        overlaps = overlaps.copy()
        overlaps[drawn] = project(overlaps[drawn], area_crs, hcrs.WGS84)
    # Areas only (no overlap polygon in any row): nothing to project.
    report["geometry"] = overlaps
    gdf = gpd.GeoDataFrame(report, geometry="geometry", crs=hcrs.WGS84)
    if not with_sites:
        site_wgs84 = np.full(len(report), None, dtype=object)
    elif sites is None:
        site_wgs84 = gpd.GeoSeries(report["site_geometry"], crs=area_crs).to_crs(hcrs.WGS84).values
    else:
        site_wgs84 = np.repeat(project(sites, area_crs, hcrs.WGS84), len(frames))
    gdf["site_geometry"] = site_wgs84
    return gdf


def provenance(
    report: gpd.GeoDataFrame,
    inputs: PlanInputs,
    rules: pd.DataFrame,
    notes: list[str],
    *,
    engine: str,
    area_crs: Any = None,
    area_method: str | None = None,
) -> gpd.GeoDataFrame:
    """Step 4 of the check: provenance.

    Say on every row and in ``attrs`` where the inputs, rules and figures came from;
    ``attrs["area_method"]`` is the one line every report prints about how the areas were measured.
    """
    area_crs = inputs.area_crs() if area_crs is None else area_crs
    area_method = area_method or describe_area()
    # Each row says what the control line it was checked against is, so no row reads as official by itself.
    status = {name: prov.get("status", "") for name, prov in inputs.provenance.items()}
    report.insert(
        report.columns.get_loc("control_line_zh") + 1,
        "control_line_status",
        report["control_line"].map(status),
    )
    report.attrs["area_crs"] = hcrs.describe(area_crs)
    report.attrs["area_method"] = area_method
    report.attrs["warnings"] = notes
    report.attrs["illustrative"] = illustrative_banner(inputs)
    report.attrs["provenance"] = {
        "inputs": {k: {kk: str(vv) for kk, vv in v.items()} for k, v in inputs.provenance.items()},
        "rules": rules.attrs.get("path", "rules passed in Python"),
        "corridor_widths": str(DATA_DIR / "corridor_widths.csv"),
        "area_crs": hcrs.describe(area_crs),
        "area_method": area_method,
        "engine": engine,
        "hygis": _hygis_version(),
        "method": METHOD,
    }
    report.attrs["relocations"] = None
    return report


def _hygis_version() -> str:
    from hygis import __version__  # noqa: PLC0415 - the package imports this module

    return __version__


def summary(report: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per project: the worst verdict over the three lines and the overlap of each."""
    rank = {v: k for k, v in enumerate(VERDICTS)}
    df = pd.DataFrame(report.drop(columns=[c for c in ("geometry", "site_geometry") if c in report]))
    df["_rank"] = df["verdict"].map(rank)
    base = df.groupby("project_id", sort=False).agg(
        name=("name", "first"),
        group=("group", "first"),
        method=("method", "first"),
        site_ha=("site_ha", "first"),
        _rank=("_rank", "min"),
    )
    base["worst_verdict"] = base["_rank"].map(dict(enumerate(VERDICTS)))
    wide = df.pivot_table(index="project_id", columns="control_line", values="verdict", aggfunc="first")
    ha = df.pivot_table(
        index="project_id", columns="control_line", values="overlap_ha", aggfunc="first", dropna=False
    )
    out = base.drop(columns="_rank")
    for line in CONTROL_LINES:
        out[f"{line}_verdict"] = wide[line] if line in wide else None
        out[f"{line}_ha"] = ha[line] if line in ha else np.nan
    udb_out = df[df.control_line == "urban_development_boundary"].set_index("project_id")["outside_ha"]
    out["outside_boundary_ha"] = udb_out
    return out.reset_index()


__all__ = ["METHOD", "assemble", "check_projects", "checked_projects", "provenance", "summary", "warm_up"]
