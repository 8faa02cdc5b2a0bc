"""The control-line compliance check (规划符合性审查).

For every project and each of the three control lines (三条控制线) — the ecological protection
red line, permanent basic farmland and the urban development boundary — :func:`check_projects`
measures how much of the project's site overlaps the line and gives the verdict of the rule
that applies to the project's group, citing its source. The rules are data
(``data/compliance_rules.csv``, :func:`load_rules`); so are the default corridor widths of
linear projects (``data/corridor_widths.csv``, :func:`load_corridor_widths`).

>>> import hygis
>>> report = hygis.check_projects()            # the plan's 19 projects, embedded layers
>>> report[["project_id", "control_line", "overlap_ha", "verdict"]]

Semantics
---------
* Areas in the CGCS2000 Gauss–Krüger CRS of :func:`hygis.crs.area_crs_for` (EPSG:4546 for
  Hengyang), in hectares and 亩 (1 亩 = 10000/15 m²).
* Overlap = area(site ∩ union of the line's features): overlapping features count once,
  touching edges and holes give nothing (:mod:`hygis.overlap`).
* Polygons are checked as drawn; lines as corridors (``width_m`` attribute, else the default
  for the project's group); points by containment, or as a disc with ``point_radius_m``.
* Projects without a site are reported as ``not located``, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import crs as hcrs
from . import layers
from .errors import HygisInputError
from .layers import CONTROL_LINES
from .overlap import disjoint_layer, overlap, overlap_dask
from .plan import PlanInputs, illustrative_banner, resolve
from .settings import DATA_DIR, M2_PER_HA, M2_PER_MU

#: Verdicts, from worst to best; ``not located`` = no site, nothing can be judged.
VERDICTS = ("conflict", "needs approval", "compliant", "not located")

#: Chinese names of the control lines, for reports.
CONTROL_LINE_ZH = {
    "ecological_redline": "生态保护红线",
    "permanent_farmland": "永久基本农田",
    "urban_development_boundary": "城镇开发边界",
}

#: Overlaps smaller than this (m²) are numerical slivers of shared edges, not a use of the land:
#: they are reported as measured but do not change a verdict.
VERDICT_TOLERANCE_M2 = 0.01

_RULE_COLUMNS = ("control_line", "group", "kind", "name_pattern", "condition", "verdict", "rule", "source")
_CONDITIONS = {
    "ecological_redline": ("overlap", "none"),
    "permanent_farmland": ("overlap", "none"),
    "urban_development_boundary": ("outside", "inside"),
}
_KINDS = ("point", "line", "polygon", "mixed", "*")

ProgressFn = Callable[[str], None]


# --------------------------------------------------------------------------- rule tables
@lru_cache(maxsize=4)
def _read_csv(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def load_rules(path: str | Path | None = None) -> pd.DataFrame:
    """Load the compliance rule table (default ``data/compliance_rules.csv``).

    Columns: ``control_line``, ``group`` (a project group, or ``*``), ``kind`` (``point``,
    ``line``, ``polygon``, ``mixed`` or ``*``), ``name_pattern`` (a regular expression on the
    project name, or empty), ``condition`` (``overlap``/``none`` for the red line and farmland,
    ``outside``/``inside`` for the development boundary), ``verdict``, ``rule``, ``source``.
    For each project the matching row with the most specific group, name pattern and kind wins.

    Raises
    ------
    HygisInputError
        If the table lacks a column, uses an unknown value, or leaves a case without a rule.
    """
    path = Path(path) if path is not None else DATA_DIR / "compliance_rules.csv"
    if not path.exists():
        msg = f"The rule table {path} is missing: reinstall hygis or give a rules file."
        raise HygisInputError(msg)
    rules = _read_csv(str(path)).copy()
    missing = [c for c in _RULE_COLUMNS if c not in rules.columns]
    if missing:
        msg = f"{path.name}: the rule table lacks the column(s) {', '.join(missing)}."
        raise HygisInputError(msg)
    for col, allowed in (("control_line", CONTROL_LINES), ("kind", _KINDS), ("verdict", VERDICTS[:3])):
        bad = sorted(set(rules[col]) - set(allowed))
        if bad:
            msg = f"{path.name}: unknown {col} value(s) {', '.join(bad)}; use one of {', '.join(allowed)}."
            raise HygisInputError(msg)
    for line, conds in _CONDITIONS.items():
        sub = rules[rules.control_line == line]
        bad = sorted(set(sub.condition) - set(conds))
        if bad:
            msg = f"{path.name}: condition(s) {', '.join(bad)} do not apply to {line}; use {' or '.join(conds)}."
            raise HygisInputError(msg)
        for cond in conds:
            generic = sub[(sub.condition == cond) & (sub.group == "*") & (sub.kind == "*") & (sub.name_pattern == "")]
            if generic.empty:
                msg = f"{path.name}: no general rule (group * , kind *) for {line} / {cond}; every case needs one."
                raise HygisInputError(msg)
    for pattern in set(rules.name_pattern) - {""}:
        try:
            re.compile(pattern)
        except re.error as exc:
            msg = f"{path.name}: name_pattern '{pattern}' is not a valid regular expression ({exc})."
            raise HygisInputError(msg) from None
    rules["specificity"] = (
        (rules.group != "*").astype(int) * 4 + (rules.name_pattern != "").astype(int) * 2 + (rules.kind != "*").astype(int)
    )
    rules.attrs["path"] = str(path)
    return rules


def load_corridor_widths(path: str | Path | None = None) -> pd.DataFrame:
    """Load the default corridor widths of linear projects (default ``data/corridor_widths.csv``).

    Columns: ``group`` (or ``*``), ``name_pattern`` (regex on the name, or empty), ``width_m``,
    ``basis`` (why that width). Used only where a line project has no ``width_m`` attribute.
    """
    path = Path(path) if path is not None else DATA_DIR / "corridor_widths.csv"
    table = _read_csv(str(path)).copy()
    table["width_m"] = pd.to_numeric(table["width_m"], errors="raise")
    if not ((table.group == "*") & (table.name_pattern == "")).any():
        msg = f"{path.name}: needs a default row (group *, empty name_pattern)."
        raise HygisInputError(msg)
    table["specificity"] = (table.group != "*").astype(int) * 2 + (table.name_pattern != "").astype(int)
    table.attrs["path"] = str(path)
    return table


def _best_match(frame: pd.DataFrame, table: pd.DataFrame, extra: Callable[[pd.Series], np.ndarray] | None = None) -> np.ndarray:
    """Index (into ``table``) of the most specific row matching each project (vectorised per rule row)."""
    best = np.full(len(frame), -1)
    best_spec = np.full(len(frame), -1)
    names = frame["name"].astype(str)
    for k, row in enumerate(table.itertuples(index=False)):
        mask = np.ones(len(frame), bool)
        if row.group != "*":
            mask &= frame["group"].to_numpy() == row.group
        if row.name_pattern:
            mask &= names.str.contains(row.name_pattern, regex=True).to_numpy()
        if extra is not None:
            mask &= extra(row)
        better = mask & (row.specificity > best_spec)
        best[better], best_spec[better] = k, row.specificity
    return best


# --------------------------------------------------------------------------- sites
def geometry_kind(geoms: gpd.GeoSeries) -> np.ndarray:
    """``point``, ``line``, ``polygon``, ``mixed`` (a collection) or ``none`` per feature."""
    arr = np.asarray(geoms.values, dtype=object)
    kinds = np.full(len(arr), "none", dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    t = shapely.get_type_id(arr)
    kinds[ok & np.isin(t, [0, 4])] = "point"
    kinds[ok & np.isin(t, [1, 2, 5])] = "line"
    kinds[ok & np.isin(t, [3, 6])] = "polygon"
    kinds[ok & (t == 7)] = "mixed"
    return kinds


def footprints(
    projects: gpd.GeoDataFrame,
    area_crs: CRS,
    *,
    point_radius_m: float | None = None,
    widths: pd.DataFrame | None = None,
) -> tuple[gpd.GeoSeries, np.ndarray, np.ndarray, list[str]]:
    """The site each project occupies, in ``area_crs``: what the check measures.

    Polygons as drawn; lines buffered to a corridor of their ``width_m`` (else the default of
    :func:`load_corridor_widths`) with flat ends; points as a disc of ``point_radius_m`` if given,
    else None (checked by containment).

    Returns
    -------
    (sites, kinds, methods, notes)
        ``sites`` a GeoSeries in ``area_crs`` (None where nothing to measure), the geometry kind
        and the method text of each project, and notes on every assumption made.
    """
    if point_radius_m is not None and not point_radius_m > 0:
        msg = f"The point footprint radius must be a positive number of metres, not {point_radius_m}."
        raise HygisInputError(msg)
    widths = load_corridor_widths() if widths is None else widths
    geo = projects.geometry.to_crs(area_crs)
    arr = np.asarray(geo.values, dtype=object).copy()
    kinds = geometry_kind(geo)
    methods = np.full(len(arr), "none", dtype=object)
    notes: list[str] = []
    sites = np.full(len(arr), None, dtype=object)

    poly = kinds == "polygon"
    sites[poly] = arr[poly]
    methods[poly] = "polygon"

    line = kinds == "line"
    if line.any():
        given = pd.to_numeric(projects["width_m"], errors="coerce").to_numpy() if "width_m" in projects else np.full(len(arr), np.nan)
        bad = line & np.isfinite(given) & (given <= 0)
        if bad.any():
            ids = ", ".join(projects["project_id"].to_numpy()[bad][:5])
            msg = f"projects: width_m must be a positive number of metres; {ids} have {given[bad][:5].tolist()}."
            raise HygisInputError(msg)
        frame = projects.loc[line, ["project_id", "name"]].assign(group=projects.loc[line, "group"] if "group" in projects else "*")
        best = _best_match(frame, widths)
        default_w = widths["width_m"].to_numpy()[best]
        width = np.where(np.isfinite(given[line]), given[line], default_w)
        from_attr = np.isfinite(given[line])
        sites[line] = shapely.buffer(arr[line], width / 2, cap_style="flat", join_style="round")
        methods[line] = [f"corridor {w:g} m" + (" (width_m)" if a else " (default width)") for w, a in zip(width, from_attr)]
        ids = projects["project_id"].to_numpy()[line]
        for k in np.unique(best[~from_attr]):
            sel = ~from_attr & (best == k)
            row = widths.iloc[k]
            notes.append(
                f"projects: {int(sel.sum())} line project(s) without a width_m ({_few(ids[sel])}) checked as corridors "
                f"{row.width_m:g} m wide — {row.basis}"
            )

    pts = kinds == "point"
    if pts.any():
        ids = projects["project_id"].to_numpy()[pts]
        if point_radius_m:
            sites[pts] = shapely.buffer(arr[pts], point_radius_m, quad_segs=16)
            methods[pts] = f"point footprint {point_radius_m:g} m"
            notes.append(f"projects: {int(pts.sum())} point project(s) ({_few(ids)}) checked as discs of radius {point_radius_m:g} m (--point-radius).")
        else:
            methods[pts] = "point"
            notes.append(
                f"projects: {int(pts.sum())} point project(s) ({_few(ids)}) checked by containment only: no area is measured. "
                "Give --point-radius (Python: point_radius_m=) to check a footprint."
            )

    mixed = kinds == "mixed"
    for i in np.flatnonzero(mixed):
        parts = shapely.get_parts(arr[i])
        pk = geometry_kind(gpd.GeoSeries(parts))
        pieces = list(parts[pk == "polygon"])
        w = float(projects["width_m"].iloc[i]) if "width_m" in projects and pd.notna(projects["width_m"].iloc[i]) else float(widths.loc[(widths.group == "*") & (widths.name_pattern == ""), "width_m"].iloc[0])
        pieces += list(shapely.buffer(parts[pk == "line"], w / 2, cap_style="flat", join_style="round"))
        if point_radius_m:
            pieces += list(shapely.buffer(parts[pk == "point"], point_radius_m, quad_segs=16))
        sites[i] = shapely.union_all(pieces) if pieces else None
        methods[i] = f"mixed (polygons; lines as corridors {w:g} m" + (f"; points {point_radius_m:g} m" if point_radius_m else "; points ignored") + ")"
        notes.append(f"projects: {projects['project_id'].iloc[i]} is a collection of several geometry types; checked as {methods[i]}.")

    # A site must be valid for exact areas (a buffer is; a user's polygon was repaired on reading).
    ok = np.array([s is not None for s in sites])
    if ok.any():
        invalid = ok.copy()
        invalid[ok] = ~shapely.is_valid(sites[ok].astype(object))
        if invalid.any():
            sites[invalid] = shapely.make_valid(sites[invalid].astype(object))
            notes.append(f"projects: {int(invalid.sum())} site(s) repaired with make-valid after projection: {_few(projects['project_id'].to_numpy()[invalid])}.")
    return gpd.GeoSeries(sites, index=projects.index, crs=area_crs), kinds, methods, notes


def _few(values: np.ndarray, n: int = 5) -> str:
    values = list(map(str, values))
    return ", ".join(values[:n]) + (f" and {len(values) - n} more" if len(values) > n else "")


def _location_notes(projects: gpd.GeoDataFrame, kinds: np.ndarray) -> np.ndarray:
    """Per project: how far its geometry can be trusted (from the embedded layer's precision columns)."""
    out = np.full(len(projects), "", dtype=object)
    approx = layers.approximate(projects)
    prec = projects["location_precision"].astype(str).to_numpy() if "location_precision" in projects else None
    metres = pd.to_numeric(projects["precision_m"], errors="coerce").to_numpy() if "precision_m" in projects else None
    for i in range(len(projects)):
        if kinds[i] == "none":
            status = str(projects["location_status"].iloc[i]) if "location_status" in projects else ""
            note = str(projects["geometry_note"].iloc[i]) if "geometry_note" in projects and pd.notna(projects["geometry_note"].iloc[i]) else ""
            out[i] = f"no site ({status or 'no geometry'})" + (f": {note}" if note else "")
            continue
        bits = []
        if prec is not None and prec[i] not in ("", "nan", "None"):
            bits.append(f"location precision: {prec[i]}")
        if metres is not None and np.isfinite(metres[i]):
            bits.append(f"±{metres[i]:g} m")
        if bits:
            text = ", ".join(bits)
            if approx[i]:
                text += " — the overlap is indicative only; check with the project's surveyed 用地红线"
            out[i] = text
    return out


# --------------------------------------------------------------------------- the check
def check_projects(
    projects: Any = None,
    ecological_redline: Any = None,
    permanent_farmland: Any = None,
    urban_development_boundary: Any = None,
    *,
    inputs: PlanInputs | None = None,
    project_id_field: str | None = None,
    crs: Any = None,
    gcj02_input: bool = False,
    swap_xy: bool = False,
    point_radius_m: float | None = None,
    engine: str = "local",
    workers: int | None = None,
    client: Any = None,
    rules: pd.DataFrame | str | Path | None = None,
    relocate: bool = True,
    overlap_geometry: bool = True,
    progress: ProgressFn | None = None,
) -> gpd.GeoDataFrame:
    """Check projects against the three control lines; one row per project × control line.

    Parameters
    ----------
    projects, ecological_redline, permanent_farmland, urban_development_boundary : path, GeoDataFrame or None
        As :func:`hygis.plan.resolve` (None = the embedded layer).
    inputs : PlanInputs, optional
        Already resolved inputs (then the four layer arguments and reading options are ignored).
    project_id_field, crs, gcj02_input, swap_xy
        Reading options, as :func:`hygis.plan.resolve`.
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
        A rule table in the format of :func:`load_rules` (default: the packaged one).
    relocate : bool
        For each project in conflict with the red line or permanent farmland, suggest the
        nearest same-shape site in its county clear of both (:func:`hygis.relocate.suggest_relocation`),
        in ``attrs["relocations"]``.
    overlap_geometry : bool
        Build the overlap polygons (the ``geometry`` column). ``False`` when only the areas and
        verdicts are needed (a .csv or .xlsx report): the areas are the same, computed without
        building any polygon, and ``geometry`` is empty (None) in every row.
    progress : callable, optional
        Receives one line of text per step and chunk.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, columns ``project_id``, ``name``, ``group``, ``control_line``,
        ``control_line_zh``, ``control_line_status`` (illustrative, user-file …: where that line
        came from), ``kind``, ``method``, ``site_ha``, ``site_mu``, ``overlap_ha``,
        ``overlap_mu``, ``share_of_site`` (overlap / site), ``outside_ha``, ``outside_mu``
        (development boundary only: the part of the site outside it), ``point_inside``
        (point projects), ``verdict``, ``rule``, ``source``, ``location_note``, ``geometry`` —
        the overlap polygon (for the development boundary: the part of the site *outside* it,
        which the verdict judges) — and ``site_geometry`` (the site checked).
        ``attrs``: ``area_crs``, ``warnings``, ``provenance``, ``illustrative`` (banner or None),
        ``relocations`` (GeoDataFrame of suggestions, possibly empty).
    """
    say = progress or (lambda _m: None)
    if engine not in ("local", "dask"):
        msg = f"Unknown engine '{engine}': use 'local' or 'dask'."
        raise HygisInputError(msg)
    if inputs is None:
        say("reading inputs")
        inputs = resolve(
            projects, ecological_redline, permanent_farmland, urban_development_boundary,
            crs=crs, gcj02_input=gcj02_input, swap_xy=swap_xy, project_id_field=project_id_field,
        )
    rule_table = rules if isinstance(rules, pd.DataFrame) else load_rules(rules)
    prj = inputs.projects
    if len(prj) == 0:
        msg = "projects: there are no projects to check (the input is empty)."
        raise HygisInputError(msg)
    if "group" not in prj.columns:
        prj = prj.assign(group="*")
    prj = prj.assign(group=prj["group"].fillna("*").astype(str))
    area_crs = inputs.area_crs()
    warnings = list(inputs.notes)
    if (prj["group"] == "*").any():
        warnings.append(
            f"projects: {int((prj['group'] == '*').sum())} project(s) have no 'group' (e.g. 交通基建, 产业升级): "
            "the general rules apply to them, which treat any overlap as construction. Add a group column."
        )
    known = set(rule_table.group) - {"*"}
    unknown = sorted(set(prj["group"]) - known - {"*"})
    if unknown:
        warnings.append(f"projects: group(s) {', '.join(unknown)} have no specific rule; the general rules apply. Known groups: {', '.join(sorted(known))}.")

    say(f"sites in {hcrs.describe(area_crs)}")
    sites, kinds, methods, site_notes = footprints(prj, area_crs, point_radius_m=point_radius_m)
    warnings.extend(site_notes)
    site_arr = np.asarray(sites.values, dtype=object)
    has_site = np.array([s is not None for s in site_arr])
    site_m2 = np.zeros(len(prj))
    if has_site.any():
        site_m2[has_site] = shapely.area(site_arr[has_site].astype(object))
    points = (kinds == "point") & ~has_site
    unlocated = kinds == "none"
    if unlocated.any():
        warnings.append(
            f"projects: {int(unlocated.sum())} project(s) have no site ({_few(prj['project_id'].to_numpy()[unlocated])}): "
            "reported as 'not located'; they cannot be checked until a site (用地红线) is given."
        )
    loc_notes = _location_notes(prj, kinds)

    frames = []
    for line, layer_gdf in inputs.control_lines().items():
        say(f"{line}: {len(layer_gdf):,} features")
        geoms = np.asarray(layer_gdf.to_crs(area_crs).geometry.values, dtype=object)
        layer = disjoint_layer(geoms)
        if layer.dissolved_groups:
            warnings.append(
                f"{line}: {layer.dissolved_features} features overlap each other; merged into {layer.dissolved_groups} "
                "so that shared ground counts once."
            )

        def tick(done: int, total: int, _line: str = line) -> None:
            say(f"{_line}: {done:,}/{total:,} projects")

        if engine == "dask":
            inside_m2, inside_geom = overlap_dask(site_arr, layer, geometry=overlap_geometry, client=client, progress=tick)
        else:
            inside_m2, inside_geom = overlap(site_arr, layer, geometry=overlap_geometry, workers=workers, progress=tick)
        if inside_geom is None:
            inside_geom = [None] * len(prj)
        point_inside = np.full(len(prj), None, dtype=object)
        if points.any():
            pgeo = np.asarray(prj.geometry.to_crs(area_crs).values, dtype=object)[points]
            pi, _ = layer.tree.query(pgeo, predicate="intersects")
            hit = np.zeros(int(points.sum()), bool)
            hit[pi] = True
            point_inside[points] = hit
        frames.append(
            _rows(prj, line, rule_table, kinds, methods, site_arr, site_m2, inside_m2, inside_geom, point_inside,
                  unlocated, loc_notes, area_crs, overlap_geometry)
        )

    report = pd.concat(frames, ignore_index=True)
    order = {name: k for k, name in enumerate(CONTROL_LINES)}
    report["_p"] = np.tile(np.arange(len(prj)), len(CONTROL_LINES))
    report["_c"] = report["control_line"].map(order)
    report = report.sort_values(["_p", "_c"], kind="stable").drop(columns=["_p", "_c"]).reset_index(drop=True)
    gdf = gpd.GeoDataFrame(report, geometry="geometry", crs=area_crs).to_crs(hcrs.WGS84)
    gdf["site_geometry"] = gpd.GeoSeries(report["site_geometry"], crs=area_crs).to_crs(hcrs.WGS84).values
    gdf.attrs["area_crs"] = hcrs.describe(area_crs)
    gdf.attrs["warnings"] = warnings
    gdf.attrs["illustrative"] = illustrative_banner(inputs)
    # Each row says what the control line it was checked against is, so no row reads as official by itself.
    status = {name: prov.get("status", "") for name, prov in inputs.provenance.items()}
    gdf.insert(gdf.columns.get_loc("control_line_zh") + 1, "control_line_status", gdf["control_line"].map(status))
    gdf.attrs["provenance"] = {
        "inputs": {k: {kk: str(vv) for kk, vv in v.items()} for k, v in inputs.provenance.items()},
        "rules": rule_table.attrs.get("path", "rules passed in Python"),
        "corridor_widths": str(DATA_DIR / "corridor_widths.csv"),
        "area_crs": hcrs.describe(area_crs),
        "engine": engine,
        "hygis": _hygis_version(),
        "method": (
            "overlap = area(site ∩ union of the control line's features) in the area CRS; overlapping features "
            "count once, touching edges and holes give 0; invalid geometries repaired with make-valid (as ST_MakeValid); "
            "lines as corridors (width_m or the default per group), points by containment or a footprint radius"
        ),
    }
    gdf.attrs["relocations"] = _relocations(gdf, inputs, say) if relocate else None
    say("done")
    return gdf


#: Control lines whose conflicts a relocation can resolve (the development boundary is not an exclusion).
RELOCATE_FOR = ("ecological_redline", "permanent_farmland")


def _relocations(report: gpd.GeoDataFrame, inputs: PlanInputs, say: ProgressFn) -> gpd.GeoDataFrame | None:
    """Suggestions for the projects in conflict with a hard exclusion (None when there are none)."""
    hit = report["verdict"].eq("conflict") & report["control_line"].isin(RELOCATE_FOR)
    ids = list(dict.fromkeys(report.loc[hit, "project_id"].astype(str)))
    if not ids:
        return None
    from .relocate import suggest_relocation  # noqa: PLC0415

    say(f"suggesting relocation sites for {len(ids)} conflicting project(s)")
    return suggest_relocation(inputs.projects, ids, inputs)


def _rows(
    prj: gpd.GeoDataFrame,
    line: str,
    rules: pd.DataFrame,
    kinds: np.ndarray,
    methods: np.ndarray,
    sites: np.ndarray,
    site_m2: np.ndarray,
    inside_m2: np.ndarray,
    inside_geom: list,
    point_inside: np.ndarray,
    unlocated: np.ndarray,
    loc_notes: np.ndarray,
    area_crs: CRS,
    with_geometry: bool = True,
) -> pd.DataFrame:
    n = len(prj)
    is_point = np.array([v is not None for v in point_inside])
    pin = np.array([bool(v) if v is not None else False for v in point_inside])
    udb = line == "urban_development_boundary"
    outside_m2 = np.where(is_point | unlocated, np.nan, np.maximum(site_m2 - inside_m2, 0.0)) if udb else np.full(n, np.nan)
    if udb:
        judged = np.where(is_point, ~pin, outside_m2 > VERDICT_TOLERANCE_M2)
        condition = np.where(judged, "outside", "inside")
    else:
        judged = np.where(is_point, pin, inside_m2 > VERDICT_TOLERANCE_M2)
        condition = np.where(judged, "overlap", "none")

    sub = rules[rules.control_line == line].reset_index(drop=True)
    frame = pd.DataFrame({"project_id": prj["project_id"].to_numpy(), "name": prj["name"].astype(str).to_numpy(),
                          "group": prj["group"].to_numpy()})
    best = _best_match(frame, sub, extra=lambda row: (condition == row.condition) & ((row.kind == "*") | (kinds == row.kind)))
    verdict = sub["verdict"].to_numpy()[best].astype(object)
    rule = sub["rule"].to_numpy()[best].astype(object)
    source = sub["source"].to_numpy()[best].astype(object)
    verdict[unlocated] = "not located"
    rule[unlocated] = "没有用地位置，无法审查 — the project has no site, so it cannot be checked against this line."
    source[unlocated] = ""

    geom = np.full(n, None, dtype=object)  # areas only (with_geometry=False): no polygon at all
    if with_geometry and udb:
        has = ~unlocated & ~is_point & (outside_m2 > 0)
        for i in np.flatnonzero(has):
            g = inside_geom[i]
            out = sites[i] if g is None else shapely.difference(sites[i], g)
            geom[i] = None if out is None or out.is_empty else out
    elif with_geometry:
        for i in range(n):
            geom[i] = inside_geom[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(site_m2 > 0, inside_m2 / np.where(site_m2 > 0, site_m2, 1), np.nan)
    share = np.where(is_point, pin.astype(float), share)
    overlap_m2 = np.where(is_point | unlocated, np.nan, inside_m2)
    site_ha = np.where(is_point | unlocated, np.nan, site_m2 / M2_PER_HA)
    return pd.DataFrame({
        "project_id": frame["project_id"],
        "name": frame["name"],
        "group": frame["group"],
        "control_line": line,
        "control_line_zh": CONTROL_LINE_ZH[line],
        "kind": kinds,
        "method": np.where(unlocated, "none (no site)", methods),
        "site_ha": site_ha,
        "site_mu": site_ha * M2_PER_HA / M2_PER_MU,
        "overlap_ha": overlap_m2 / M2_PER_HA,
        "overlap_mu": overlap_m2 / M2_PER_MU,
        "share_of_site": np.where(unlocated, np.nan, share),
        "outside_ha": outside_m2 / M2_PER_HA,
        "outside_mu": outside_m2 / M2_PER_MU,
        "point_inside": point_inside,
        "verdict": verdict,
        "rule": rule,
        "source": source,
        "location_note": loc_notes,
        "geometry": geom,
        "site_geometry": sites,
    })


def _hygis_version() -> str:
    from . import __version__  # noqa: PLC0415 - the package imports this module

    return __version__


def summary(report: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per project: the worst verdict over the three lines and the overlap of each."""
    rank = {v: k for k, v in enumerate(VERDICTS)}
    df = pd.DataFrame(report.drop(columns=[c for c in ("geometry", "site_geometry") if c in report]))
    df["_rank"] = df["verdict"].map(rank)
    base = df.groupby("project_id", sort=False).agg(name=("name", "first"), group=("group", "first"),
                                                     method=("method", "first"), site_ha=("site_ha", "first"),
                                                     _rank=("_rank", "min"))
    base["worst_verdict"] = base["_rank"].map(dict(enumerate(VERDICTS)))
    wide = df.pivot_table(index="project_id", columns="control_line", values="verdict", aggfunc="first")
    ha = df.pivot_table(index="project_id", columns="control_line", values="overlap_ha", aggfunc="first", dropna=False)
    out = base.drop(columns="_rank")
    for line in CONTROL_LINES:
        out[f"{line}_verdict"] = wide[line] if line in wide else None
        out[f"{line}_ha"] = ha[line] if line in ha else np.nan
    udb_out = df[df.control_line == "urban_development_boundary"].set_index("project_id")["outside_ha"]
    out["outside_boundary_ha"] = udb_out
    return out.reset_index()


__all__ = [
    "VERDICTS",
    "CONTROL_LINE_ZH",
    "check_projects",
    "footprints",
    "geometry_kind",
    "load_rules",
    "load_corridor_widths",
    "summary",
]
