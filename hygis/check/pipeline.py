"""The control-line compliance check (规划符合性审查) as a short pipeline of named steps.

For every project and each of the three control lines (三条控制线) — the ecological protection
red line, permanent basic farmland and the urban development boundary — :func:`check_projects`
measures how much of the project's site overlaps the line and gives the verdict of the rule
that applies to the project's group, citing its source:

1. **sites** (:func:`hygis.check.sites.project_sites`) — polygons as drawn, lines as corridors,
   points by containment or as discs;
2. **measure** (:func:`hygis.check.measure.measure_line`) — the exact overlap engine, per line;
3. **judge** (:func:`hygis.check.judge.judge_line`) — the verdict of each project's category
   (:mod:`hygis.check.categories`: its given 项目类型, else the type its group and name imply), per line;
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
from hygis.check.categories import (
    load_line_categories,
    load_project_types,
    load_rules,
    load_type_defaults,
    project_types,
)
from hygis.check.judge import VERDICT_TOLERANCE_M2, judge_line
from hygis.check.land_use import land_use_table
from hygis.check.measure import measure_line, measure_together
from hygis.check.preaudit import (
    FIGURE_COLUMNS,
    ITEMISED_LINES,
    county_units,
    load_farmland_classes,
    preaudit_figures,
    preaudit_line,
)
from hygis.check.protected import protected_overlap
from hygis.check.rules import load_corridor_widths
from hygis.check.sites import project_sites
from hygis.constants import CONTROL_LINES, ENGINES, VERDICTS
from hygis.engine.area import ELLIPSOIDAL, METHODS, PLANAR
from hygis.engine.area import describe as describe_area
from hygis.engine.overlap import SiteCache
from hygis.errors import HygisInputError
from hygis.geometry import project
from hygis.memory import give_back
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
    protected_areas: gpd.GeoDataFrame | str | Path | None = None,
    overlap_geometry: bool = True,
    site_geometry: bool = True,
    area: str = ELLIPSOIDAL,
    planar_crs: Any = None,
    preaudit: bool | str = True,
    counties: gpd.GeoDataFrame | None = None,
    land_use: gpd.GeoDataFrame | None = None,
    progress: ProgressFn | None = None,
) -> gpd.GeoDataFrame:
    """Check projects against the three control lines; one row per project × control line.

    Parameters
    ----------
    inputs : PlanInputs, optional
        From :func:`hygis.resolve` (default: the embedded layers), e.g.
        ``hygis.resolve("mine.gpkg", permanent_farmland="jbnt.shp")``.
    point_radius_m : float, optional
        Check point projects as discs of this radius (metres) instead of by containment.
    engine, workers, client
        Where the overlaps are measured (:func:`measure_lines`); the results are identical.
    protected_areas : GeoDataFrame or path, optional
        自然保护地 (nature reserves, scenic areas …) with their functional zones
        (:func:`protected_step`): inside a 核心保护区 only the protection activities may take place
        (自然资发〔2022〕142号 一(一)); inside a reserve its own laws apply, which the red-line row says.
    overlap_geometry, site_geometry : bool
        Build the overlap polygons (``geometry``) and give each row its site (``site_geometry``);
        ``False`` where no map is drawn (a .csv or .xlsx report): same areas, the column None.
    area, planar_crs
        How areas are measured (:func:`area_settings`): on the CGCS2000 ellipsoid (椭球面积, the
        default) or in the plane of a Gauss–Krüger zone.
    preaudit : bool or "figures"
        The 用地预审 figures and tables of the projects touching the red line or the farmland
        (:func:`preaudit_step`).
    counties : GeoDataFrame, optional
        The county-level units the 用地预审 tables split by (default the embedded units).
    land_use : GeoDataFrame, optional
        The 三调 land-use patches (``DLTB``: ``DLBM``, ``QSXZ``, ``KCXS`` …): the 土地利用现状 table of
        every located project goes in ``attrs["land_use"]`` (:func:`hygis.check.land_use.land_use_table`).
    progress : callable, optional
        Receives one line of text per step and chunk.

    Returns
    -------
    geopandas.GeoDataFrame
        The report in EPSG:4326, its columns and ``attrs`` as :func:`assemble`, :func:`preaudit_step`
        and :func:`provenance` give them; ``attrs["land_use"]`` the 土地利用现状 table (or None).
    """
    say = progress or (lambda _m: None)
    if engine not in ENGINES:
        msg = f"Unknown engine '{engine}': use one of {', '.join(ENGINES)}."
        raise HygisInputError(msg)
    if inputs is None:
        say("reading inputs")
        inputs = resolve()
    rule_table = load_rules()
    notes = list(inputs.notes)
    given, native = inputs.projects_to_check()  # in the file's CRS when no map asked for WGS 84
    projects = checked_projects(given, rule_table, notes)
    area_crs, method = area_settings(inputs, area, planar_crs)
    say(f"sites in {hcrs.describe(area_crs)}; {method}")
    # The lines prepared before the sites are made: a large line's features, read to prepare it,
    # are let go (when no table needs them) before the sites take their memory, never held with them.
    layers = prepare_lines(inputs, area_crs, keep_features=preaudit is True or land_use is not None)
    ellipsoidal = area == ELLIPSOIDAL
    sites = project_sites(
        projects, area_crs, notes, point_radius_m=point_radius_m, ellipsoidal=ellipsoidal, native=native
    )
    types, basis = typed_projects(projects, inputs, notes)
    protected = protected_step(sites, area_crs, protected_areas)
    units = county_units(counties) if preaudit is True else None
    measures = measure_lines(
        sites,
        inputs,
        area_crs,
        notes,
        engine=engine,
        workers=workers,
        client=client,
        geometry=overlap_geometry,
        pairs=bool(preaudit),
        layers=layers,
        progress=say,
    )
    del layers
    give_back()  # the sites' pieces, the features read to prepare the lines
    frames, by_county, detail = [], [], []
    for line in CONTROL_LINES:
        frame = judge_line(
            sites,
            measures[line],
            types=types,
            type_basis=basis,
            with_geometry=overlap_geometry,
            protected=protected,
        )
        figures, cut = preaudit_step(
            line, sites, measures[line], inputs, area_crs, area, preaudit, units, counties, progress=say
        )
        if cut is not None:
            by_county.append(cut.by_county)
            detail += [cut.detail] if line == "permanent_farmland" else []
        frames.append(with_figures(frame, figures))
    report = assemble(frames, len(projects), area_crs, sites.geoms, with_sites=site_geometry)
    give_back()  # the lines' rows, joined and ordered into the report
    report.attrs["by_county"] = _to_wgs84(by_county)
    report.attrs["farmland_detail"] = _to_wgs84(detail)
    report.attrs["land_use"] = land_use_step(sites, inputs, area_crs, area, land_use, notes, progress=say)
    say("done")
    return provenance(report, inputs, rule_table, notes, engine=engine, area_crs=area_crs, area_method=method)


def area_settings(inputs: PlanInputs, area: str, planar_crs: Any = None) -> tuple[CRS, str]:
    """Step 1: the CRS the overlaps are computed in, and the line every report prints about areas.

    Parameters
    ----------
    inputs : PlanInputs
    area : {"ellipsoidal", "planar"}
        ``ellipsoidal``: areas on the CGCS2000 ellipsoid (椭球面积, as the official survey figures;
        :mod:`hygis.engine.area`), the overlaps computed in the Gauss–Krüger zone hygis chooses for
        the data. ``planar``: areas in the plane of ``planar_crs``.
    planar_crs : CRS, optional
        For ``planar``: the Gauss–Krüger zone to measure (and compute the overlaps) in; default the
        zone hygis chooses. Ignored for ellipsoidal areas.

    Returns
    -------
    (pyproj.CRS, str)
        The area CRS and the description of the method (:func:`hygis.engine.area.describe`).
    """
    if area not in METHODS:
        msg = f"Unknown area method '{area}': use 'ellipsoidal' (official 椭球面积, the default) or 'planar'."
        raise HygisInputError(msg)
    area_crs = inputs.area_crs() if area == ELLIPSOIDAL or planar_crs is None else CRS(planar_crs)
    if area == PLANAR and area_crs.is_geographic:
        msg = f"--area planar needs a projected CRS (a Gauss–Krüger zone), not {hcrs.describe(area_crs)}."
        raise HygisInputError(msg)
    return area_crs, describe_area(area, area_crs if area == PLANAR else None)


def typed_projects(
    projects: gpd.GeoDataFrame, inputs: PlanInputs, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Step 2: each project's type (项目类型), which decides the categories its verdicts follow.

    One way to judge: a given 项目类型, else the type the project's group and name imply by strict
    defaults (``data/project_type_defaults.csv``), never a class the law admits only when named. A
    user's file with projects whose type was assumed gets a warning that says which 项目类型 to give.
    """
    types, type_basis = project_types(projects, defaults=True)
    assumed = type_basis != "given"
    user_file = inputs.provenance.get("projects", {}).get("status") in ("user-file", "user-data")
    if user_file and assumed.any():
        warn(
            f"projects: {int(assumed.sum())} project(s) have no project_type (项目类型): their type is "
            "assumed from their group and name (data/project_type_defaults.csv), never a class the law "
            "admits only when named. Give 项目类型 (铁路, 高速公路, 机场, 电网, 能源, 水利, 生态修复 …: "
            "data/project_types.csv) where the project is of a class 自然资规〔2018〕3号 or "
            "自然资发〔2022〕142号 admits.",
            notes,
        )
    return types, type_basis


def protected_step(sites: Any, area_crs: Any, protected_areas: gpd.GeoDataFrame | str | Path | None) -> Any:
    """Step 2b: the 自然保护地 each site meets (:func:`hygis.check.protected.protected_overlap`), or None.

    Only with ``protected_areas`` (``--protected-areas``): a layer of nature reserves, scenic areas …
    with their functional zones, read by :func:`hygis.io.read.read_vector` when given as a path.
    """
    if protected_areas is None:
        return None
    from hygis.io.read import read_vector  # noqa: PLC0415 - only with --protected-areas

    areas = (
        protected_areas
        if isinstance(protected_areas, gpd.GeoDataFrame)
        else read_vector(protected_areas, geometry="polygon", label="protected areas")
    )
    geoms = np.where(sites.points, sites.point_geoms, sites.geoms)
    return protected_overlap(geoms, sites.points, area_crs, areas)


def land_use_step(
    sites: Any,
    inputs: PlanInputs,
    area_crs: Any,
    area: str,
    land_use: gpd.GeoDataFrame | None,
    notes: list[str],
    *,
    progress: ProgressFn | None = None,
) -> pd.DataFrame | None:
    """Step 6: the 土地利用现状 table of every located project from the 三调 patches, or None."""
    if land_use is None:
        return None
    (progress or (lambda _m: None))(
        "land use (土地利用现状): the 三调 patches of each site, by class and ownership"
    )
    return land_use_table(
        sites.projects,
        sites.geoms,
        land_use,
        area_crs,
        farmland=inputs.permanent_farmland,
        area=area,
        notes=notes,
    )


def measure_lines(
    sites: Any,
    inputs: PlanInputs,
    area_crs: Any,
    notes: list[str],
    engine: str = "local",
    workers: int | None = None,
    client: Any = None,
    *,
    geometry: bool = True,
    pairs: bool = True,
    layers: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Step 3: each control line's overlap with every site, by the exact engine.

    Parameters
    ----------
    sites : Sites
        From :func:`hygis.check.sites.project_sites`.
    inputs : PlanInputs
        A control-line file comes as its prepared index (from the cache when unchanged).
    area_crs : CRS
    notes : list of str
        The check's warnings; the reading's deferred ones are added once the lines are prepared.
    engine : {"local", "dask"}
        ``local`` uses every core of this machine; ``dask`` runs the same computation on a dask
        cluster (``client``, the current ``dask.distributed`` client, or dask's local scheduler).
    workers : int, optional
        Processes for the local engine (default: every core).
    client : dask.distributed.Client, optional
        For ``engine="dask"``.
    geometry : bool
        Build the overlap polygons, not only the areas.
    pairs : bool
        Keep the (project, patch) areas of the lines the 用地预审 itemises.
    layers : dict, optional
        The lines as :func:`prepare_lines` gives them (default: prepared here).
    progress : callable, optional

    Returns
    -------
    dict
        Control line → its measure (:func:`hygis.check.measure.measure_line`).
    """
    cache = SiteCache()  # the sites ordered and cut once for the three lines
    layers = prepare_lines(inputs, area_crs) if layers is None else layers
    notes.extend(inputs.deferred_notes())  # once prepared: a large line's validity is tested meanwhile
    # The largest line first: its workers cut the sites, which the smaller lines then reuse.
    by_size = sorted(CONTROL_LINES, key=lambda name: -len(layers[name]))
    if engine == "local" and client is None:
        # Here, each chunk of sites is cut once and measured against the three lines at once.
        return measure_together(
            sites,
            {line: layers[line] for line in by_size},
            notes,
            workers=workers,
            geometry=geometry,
            pairs={line: pairs and line in ITEMISED_LINES for line in by_size},
            progress=progress,
        )
    return {
        line: measure_line(
            sites,
            line,
            layers[line],
            notes,
            engine=engine,
            workers=workers,
            client=client,
            geometry=geometry,
            pairs=pairs and line in ITEMISED_LINES,
            cache=cache,
            progress=progress or (lambda _m: None),
        )
        for line in by_size
    }


def prepare_lines(inputs: PlanInputs, area_crs: Any, *, keep_features: bool = True) -> dict[str, Any]:
    """Each control line ready to measure (:meth:`hygis.plan.inputs.PlanInputs.line_for_check`).

    A line given as a file comes as its prepared index, from the cache when the file is unchanged;
    ``keep_features=False``: the features read to prepare it are not kept once it is (~150 MB for
    2·10⁵ patches; read again if a later step needs them after all).
    """
    layers = {
        line: inputs.line_for_check(line, area_crs, keep_features=keep_features) for line in CONTROL_LINES
    }
    give_back()  # what preparing took
    return layers


def preaudit_step(
    line: str,
    sites: Any,
    measured: Any,
    inputs: PlanInputs,
    area_crs: Any,
    area: str = ELLIPSOIDAL,
    preaudit: bool | str = True,
    units: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    progress: ProgressFn | None = None,
) -> tuple[pd.DataFrame | None, Any]:
    """Step 5: the 用地预审 figures of the projects touching the red line or the farmland.

    The row figures ``overlap_patches``, ``overlap_paddy_ha`` (DLBM 0101), ``overlap_irrigated_ha``
    (0102), ``overlap_dry_ha`` (0103) and ``overlap_grade_mean`` (area-weighted ZLDJ) come from the
    engine's own (project, patch) areas where it kept them; the tables (the overlap cut by county,
    and each touched farmland patch) are cut from the line's features (:mod:`hygis.check.preaudit`).

    Parameters
    ----------
    line : str
    sites, measured
        The sites and this line's measure.
    inputs : PlanInputs
    area_crs : CRS
    area : {"ellipsoidal", "planar"}
    preaudit : bool or "figures"
        ``True``: figures and tables; ``"figures"``: the row figures only; ``False``: neither (a
        very large batch where only the verdicts matter; the columns are then empty).
    units, counties : GeoDataFrame, optional
        The county-level units (prepared once by the caller, or ``counties`` as given).
    progress : callable, optional

    Returns
    -------
    (DataFrame or None, PreauditCut or None)
        The figures, one row per site (None for a line that is not itemised), and the cut whose
        ``by_county`` and ``detail`` go to the report's ``attrs["by_county"]`` and
        ``attrs["farmland_detail"]`` when the tables were asked for.
    """
    say = progress or (lambda _m: None)
    tables = preaudit is True
    if not (preaudit and line in ITEMISED_LINES):
        return None, None
    touched = np.nan_to_num(measured.inside_m2) > VERDICT_TOLERANCE_M2
    found = None
    if measured.pairs is not None and measured.source_row is not None:
        found = preaudit_figures(
            sites.geoms, touched, measured.pairs, measured.source_row, measured.attributes
        )
    if not tables and found is not None:
        return found, None
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
    return (cut.per_site if found is None else found), (cut if tables else None)


def with_figures(frame: pd.DataFrame, figures: pd.DataFrame | None) -> pd.DataFrame:
    """A line's judged rows with the 用地预审 figures inserted before ``point_inside`` (NaN if None)."""
    if figures is None:
        figures = pd.DataFrame({c: np.full(len(frame), np.nan) for c in FIGURE_COLUMNS})
    at = frame.columns.get_loc("point_inside")
    for k, column in enumerate(FIGURE_COLUMNS):
        frame.insert(at + k, column, figures[column].to_numpy())
    return frame


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
            "their type is assumed from the name alone, else the strictest reading "
            "(no class the law admits). "
            "Add a group column, or better a 项目类型 column.",
            notes,
        )
    known = set(rules.group) - {"*"}
    unknown = sorted(set(projects["group"]) - known - {"*"})
    if unknown:
        warn(
            f"projects: group(s) {', '.join(unknown)} have no default type; the name decides, else the "
            f"strictest reading. Known groups: {', '.join(sorted(known))}.",
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
    row (nothing projected). ``frames`` is emptied: each line's rows are let go of once joined,
    so that they, the joined rows and the ordered ones are not held at once (3 × 40 MB for 50,000
    projects).
    """
    n_lines = len(frames)
    report = pd.concat(frames, ignore_index=True)
    frames.clear()
    line_rank = report["control_line"].map({name: k for k, name in enumerate(CONTROL_LINES)}).to_numpy()
    project_rank = np.tile(np.arange(n_projects), n_lines)
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
        site_wgs84 = np.repeat(project(sites, area_crs, hcrs.WGS84), n_lines)
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
        "rules": rules.attrs.get("path", ""),
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


__all__ = [
    "METHOD",
    "area_settings",
    "assemble",
    "check_projects",
    "checked_projects",
    "measure_lines",
    "preaudit_step",
    "prepare_lines",
    "provenance",
    "summary",
    "typed_projects",
    "warm_up",
    "with_figures",
]
