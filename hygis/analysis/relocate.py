"""Relocation suggestions for projects that conflict with the hard exclusions.

For a project whose footprint touches the ecological red line or permanent farmland,
:func:`suggest_relocation` finds the nearest place where the same footprint — same size, same
shape, same orientation (a pure translation) — lies inside the project's own county (or
counties) and touches neither exclusion. It is a planner's first answer to "where could this
go instead?", not a site selection: land use, access and ownership are not looked at.

Method: candidate translations on a square grid of ``step_m`` metres, nearest first (a
spiral), tested in vectorised batches with shapely (an STR-tree for the many farmland patches,
prepared geometries for the few large red-line polygons); the first valid one is then refined
on a grid four times finer between it and the original position. Translations and distances
are in the Gauss–Krüger zone the projects were surveyed in when they came in one (a 坐标交换格式
file, a 界址点 table), else in the CGCS2000 zone of :func:`hygis.crs.area_crs_for`.

Linear projects (railways, river works) are not moved: their route is fixed by what they
connect, so they are reported as "not relocatable: adjust the alignment".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis.constants import M2_PER_HA
from hygis.crs import WGS84, area_crs_for
from hygis.engine.area import measure
from hygis.errors import HygisInputError, HygisOutputError
from hygis.io.gauss_kruger import zone_of
from hygis.plan import layers, resolve
from hygis.plan.inputs import PlanInputs

#: The layers a relocated footprint must not touch.
EXCLUSIONS: tuple[str, ...] = ("ecological_redline", "permanent_farmland")

#: Default search radius, metres.
MAX_DISTANCE_M: float = 30_000.0

#: Candidates tested per vectorised batch.
BATCH: int = 4096

_DIRECTIONS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


class _Obstacles:
    """The exclusion layers in one CRS, tested against many candidate footprints at once."""

    def __init__(self, frames: Iterable[gpd.GeoDataFrame], crs: CRS):
        kept = [
            g for f in frames for g in f.to_crs(crs).geometry.to_numpy() if g is not None and not g.is_empty
        ]
        geoms = np.asarray(kept, dtype=object)
        # A few big polygons are best prepared and tested directly; many small ones go in a tree.
        big = shapely.get_num_coordinates(geoms) > 2000 if len(geoms) else np.zeros(0, dtype=bool)
        self.big = list(geoms[big])
        for g in self.big:
            shapely.prepare(g)
        self.tree = shapely.STRtree(geoms[~big]) if (~big).any() else None

    def hits(self, candidates: np.ndarray) -> np.ndarray:
        """True where a candidate intersects (touches included) any exclusion."""
        hit = np.zeros(len(candidates), dtype=bool)
        for g in self.big:
            hit |= shapely.intersects(candidates, g)
        if self.tree is not None:
            left = np.flatnonzero(~hit)
            if len(left):
                pairs = self.tree.query(candidates[left], predicate="intersects")
                hit[left[np.unique(pairs[0])]] = True
        return hit

    def area_in(self, geom) -> float:
        """Area (m²) of a footprint inside the exclusions."""
        parts = list(self.big)
        if self.tree is not None:
            parts += list(self.tree.geometries[self.tree.query(geom, predicate="intersects")])
        if not parts:
            return 0.0
        return float(shapely.area(shapely.intersection(geom, shapely.union_all(parts))))


def _translated(geom, offsets: np.ndarray) -> np.ndarray:
    """Copies of ``geom`` moved by each (dx, dy) row of ``offsets``, built in one vectorised call."""
    n = len(offsets)
    copies = np.full(n, geom, dtype=object)
    k = shapely.get_num_coordinates(geom)
    shift = np.repeat(offsets, k, axis=0)
    return shapely.transform(copies, lambda xy: xy + shift)


def _offsets(step: float, radius: float, inner: float = 0.0) -> np.ndarray:
    """Grid offsets with inner < |offset| ≤ radius, nearest first."""
    n = int(np.ceil(radius / step))
    ij = np.arange(-n, n + 1) * step
    dx, dy = np.meshgrid(ij, ij)
    off = np.column_stack([dx.ravel(), dy.ravel()])
    d = np.hypot(off[:, 0], off[:, 1])
    keep = (d > inner) & (d <= radius)
    off, d = off[keep], d[keep]
    order = np.lexsort((np.arctan2(off[:, 1], off[:, 0]), d))
    return off[order]


def _first_valid(geom, offsets: np.ndarray, region, obstacles: _Obstacles) -> np.ndarray | None:
    for start in range(0, len(offsets), BATCH):
        batch = offsets[start : start + BATCH]
        cands = _translated(geom, batch)
        ok = shapely.covered_by(cands, region)
        idx = np.flatnonzero(ok)
        if len(idx):
            ok[idx[obstacles.hits(cands[idx])]] = False
        if ok.any():
            return batch[np.flatnonzero(ok)[0]]
    return None


def _as_frame(projects: gpd.GeoDataFrame | pd.Series, inputs: PlanInputs) -> gpd.GeoDataFrame:
    if isinstance(projects, gpd.GeoDataFrame):
        if projects.crs is None:
            msg = "The projects GeoDataFrame has no CRS: set one (gdf.set_crs('EPSG:4490'))."
            raise HygisInputError(msg)
        return projects
    if isinstance(projects, pd.Series) and "geometry" in projects:
        # A row taken from a frame loses its CRS: it is taken to be the plan's (WGS 84).
        return gpd.GeoDataFrame([projects.to_dict()], geometry="geometry", crs=inputs.projects.crs)
    msg = "projects must be a GeoDataFrame (or one row of the plan's projects)."
    raise HygisInputError(msg)


def conflicting(projects: gpd.GeoDataFrame, inputs: PlanInputs | None = None) -> list[str]:
    """Ids of the projects whose footprint touches a hard exclusion (red line, permanent farmland)."""
    inputs = inputs if inputs is not None else resolve()
    crs = area_crs_for(projects, *[getattr(inputs, n) for n in EXCLUSIONS])
    obstacles = _Obstacles([getattr(inputs, n) for n in EXCLUSIONS], crs)
    geoms = projects.to_crs(crs).geometry.to_numpy()
    has = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    hit = np.zeros(len(geoms), dtype=bool)
    hit[has] = obstacles.hits(geoms[has])
    return [str(i) for i in projects["project_id"].to_numpy()[hit]]


def suggest_relocation(
    projects: gpd.GeoDataFrame | pd.Series | None = None,
    conflicting_ids: Sequence[str] | None = None,
    inputs: PlanInputs | None = None,
    *,
    counties: gpd.GeoDataFrame | None = None,
    step_m: float | None = None,
    max_distance_m: float = MAX_DISTANCE_M,
) -> gpd.GeoDataFrame:
    """Suggest the nearest same-size, same-shape site, in the same county, clear of both hard exclusions.

    Parameters
    ----------
    projects : GeoDataFrame or row, optional
        Projects with ``project_id`` (any CRS). Default: the plan's projects (``inputs.projects``).
    conflicting_ids : sequence of str, optional
        The projects to relocate (e.g. the compliance check's conflicts). Default: those whose
        footprint touches the red line or permanent farmland.
    inputs : hygis.plan.PlanInputs, optional
        The plan's layers (the user's control lines replace the embedded ones).
    counties : GeoDataFrame, optional
        County units with ``code`` (default: the embedded layer).
    step_m : float, optional
        Search grid spacing in metres; default a quarter of the footprint's width, 25–500 m.
    max_distance_m : float
        Search radius in metres.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        One row per project asked about: ``project_id``, ``name``, ``county_code``, ``status``
        (relocated | no site found | not relocatable | no conflict | no location),
        ``distance_m``, ``dx_m``, ``dy_m``, ``direction``, ``area_ha`` (ellipsoidal, 4 decimals),
        ``overlap_ha`` (area inside the exclusions before the move), ``step_m``, ``note``; the
        geometry is the new footprint (empty when there is none). ``attrs["hygis_survey_crs"]``
        is the zone the footprints were moved in (WKT) when they came in one, else None.
    """
    inputs = inputs if inputs is not None else resolve()
    frame = _as_frame(projects if projects is not None else inputs.projects, inputs)
    if "project_id" not in frame.columns:
        msg = "The projects have no project_id column (see hygis.plan.normalise_projects)."
        raise HygisInputError(msg)
    ids = frame["project_id"].astype(str).to_numpy()
    counties = counties if counties is not None else layers.load("counties")
    exclusion_frames = [getattr(inputs, n) for n in EXCLUSIONS]
    # A footprint surveyed in a Gauss–Krüger zone is moved in that zone's plane, so that written
    # back in it (.txt) it is the same footprint translated: not rotated by another zone's
    # meridian convergence, the same area.
    native = inputs.projects_as_read(frame) if projects is None or projects is inputs.projects else None
    source_crs = native.crs if native is not None else frame.crs
    surveyed = zone_of(CRS(source_crs)) if source_crs is not None else None
    crs = surveyed.crs() if surveyed is not None else area_crs_for(frame, counties, *exclusion_frames)
    obstacles = _Obstacles(exclusion_frames, crs)
    local = frame.to_crs(crs)
    county_local = counties.to_crs(crs)
    county_geom = dict(zip(county_local["code"].astype(str), county_local.geometry))

    wanted = conflicting_ids if conflicting_ids is not None else conflicting(frame, inputs)
    wanted = [str(i) for i in wanted]
    unknown = [i for i in wanted if i not in set(ids)]
    if unknown:
        msg = f"No project with id {', '.join(unknown)} among the projects (ids: {', '.join(ids[:20])}…)."
        raise HygisInputError(msg)

    rows: list[dict[str, Any]] = []
    geoms_out: list[shapely.Geometry | None] = []
    for pid in wanted:
        row = local.iloc[int(np.flatnonzero(ids == pid)[0])]
        fields, moved = _relocate_one(
            pid, row, county_local, county_geom, obstacles, step_m=step_m, max_distance_m=max_distance_m
        )
        rows.append(fields)
        geoms_out.append(moved)
    out = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms_out, crs=crs), crs=crs)
    if out.empty:
        out = gpd.GeoDataFrame(
            columns=["project_id", "name", "status", "geometry"], geometry="geometry", crs=crs
        )
    out = out.to_crs(WGS84)
    # The zone a .txt of the moved footprints is written in (write_relocations).
    out.attrs["hygis_survey_crs"] = crs.to_wkt() if surveyed is not None else None
    return out


#: A suggestion's fields before anything is known (the columns of suggest_relocation's result).
_EMPTY_ROW: dict[str, Any] = {
    "project_id": "",
    "name": "",
    "county_code": "",
    "status": "",
    "distance_m": np.nan,
    "dx_m": np.nan,
    "dy_m": np.nan,
    "direction": "",
    "area_ha": np.nan,
    "overlap_ha": np.nan,
    "step_m": np.nan,
    "note": "",
}


def _relocate_one(
    pid: str,
    row: pd.Series,
    county_local: gpd.GeoDataFrame,
    county_geom: dict[str, Any],
    obstacles: _Obstacles,
    *,
    step_m: float | None,
    max_distance_m: float,
) -> tuple[dict[str, Any], shapely.Geometry | None]:
    """One project's suggestion (the fields of its row) and its new footprint, in the area CRS."""
    geom = row.geometry
    base = {**_EMPTY_ROW, "project_id": pid, "name": row.get("name", pid)}
    if geom is None or geom.is_empty:
        fields = {**base, "status": "no location", "note": "The project has no geometry: nothing to move."}
        return fields, None
    codes = _county_codes(row, geom, county_local, county_geom)
    base["county_code"] = ";".join(codes)
    kind = shapely.get_type_id(geom)
    if kind in (1, 2, 5):
        fields = {
            **base,
            "status": "not relocatable",
            "note": (
                "A linear project's route is set by what it connects: "
                "adjust the alignment around the exclusions instead."
            ),
        }
        return fields, None
    if not codes:
        fields = {**base, "status": "no site found", "note": "The project lies outside every county unit."}
        return fields, None
    region = shapely.union_all([county_geom[c] for c in codes])
    shapely.prepare(region)
    overlap = obstacles.area_in(geom)
    base["overlap_ha"] = round(overlap / M2_PER_HA, 2)
    # Ellipsoidal (椭球面积), as the check's report and the .txt's 地块面积 give it.
    base["area_ha"] = (
        round(float(measure([geom], county_local.crs)[0]) / M2_PER_HA, 4) if kind in (3, 6) else 0.0
    )
    if not obstacles.hits(np.array([geom]))[0]:
        fields = {
            **base,
            "status": "no conflict",
            "distance_m": 0.0,
            "note": "The footprint touches neither exclusion.",
        }
        return fields, geom
    minx, miny, maxx, maxy = geom.bounds
    width = min(maxx - minx, maxy - miny) or 100.0
    step = float(step_m) if step_m else float(np.clip(width / 4, 25.0, 500.0))
    base["step_m"] = step
    best = _nearest_offset(geom, step, region, obstacles, max_distance_m)
    if best is None:
        fields = {
            **base,
            "status": "no site found",
            "note": (
                f"No place within {max_distance_m / 1000:g} km in county {base['county_code']} "
                "fits this footprint clear of the red line and permanent farmland."
            ),
        }
        return fields, None
    dx, dy = (float(v) for v in best)
    d = float(np.hypot(dx, dy))
    bearing = (np.degrees(np.arctan2(dx, dy)) + 360) % 360
    direction = _DIRECTIONS[int(((bearing + 22.5) % 360) // 45)]
    moved = _translated(geom, np.array([[dx, dy]]))[0]
    fields = {
        **base,
        "status": "relocated",
        "distance_m": round(d, 1),
        "dx_m": round(dx, 1),
        "dy_m": round(dy, 1),
        "direction": direction,
        "note": (
            f"Moved {d:,.0f} m {direction}; same shape and orientation; nearest on a {step / 4:g} m grid."
        ),
    }
    return fields, moved


def _county_codes(
    row: pd.Series, geom: Any, county_local: gpd.GeoDataFrame, county_geom: dict[str, Any]
) -> list[str]:
    """The county units a project stays in: its ``county_code``, else the unit it overlaps most."""
    codes = [c for c in str(row.get("county_code", "") or "").split(";") if c.strip() in county_geom]
    if not codes:
        hits = county_local[county_local.intersects(geom)]
        if len(hits):
            share = hits.intersection(geom).area if geom.area > 0 else hits.distance(geom) * -1
            codes = [str(hits["code"].iloc[int(np.argmax(share.to_numpy()))])]
    return codes


def _nearest_offset(
    geom: Any, step: float, region: Any, obstacles: _Obstacles, max_distance_m: float
) -> np.ndarray | None:
    """The shortest translation clearing the exclusions inside ``region``: found on a ``step`` grid,
    then refined on a grid four times finer in the ring just inside it; None if there is none."""
    best = _first_valid(geom, _offsets(step, max_distance_m), region, obstacles)
    if best is None:
        return None
    d = float(np.hypot(*best))
    fine = _first_valid(geom, _offsets(step / 4, d - 1e-6, inner=max(d - 2 * step, 0.0)), region, obstacles)
    return best if fine is None else fine


def relocate_conflicts(
    report: gpd.GeoDataFrame, inputs: Any, *, progress: Callable[[str], None] | None = None
) -> gpd.GeoDataFrame | None:
    """The optional step after a check: suggestions for the projects in conflict with a hard exclusion.

    Parameters
    ----------
    report : GeoDataFrame
        From :func:`hygis.check_projects`.
    inputs : PlanInputs
        The inputs the report was checked against.
    progress : callable, optional
        Receives a line of text.

    Returns
    -------
    GeoDataFrame or None
        As :func:`suggest_relocation` for every project whose verdict against the red line or
        permanent farmland is ``conflict``; None when there is none. Also stored in
        ``report.attrs["relocations"]``, where the report writers and the compliance map find it.
    """
    hit = report["verdict"].eq("conflict") & report["control_line"].isin(EXCLUSIONS)
    ids = list(dict.fromkeys(report.loc[hit, "project_id"].astype(str)))
    moved = None
    if ids:
        if progress is not None:
            progress(f"suggesting relocation sites for {len(ids)} conflicting project(s)")
        moved = suggest_relocation(inputs.projects, ids, inputs)
    report.attrs["relocations"] = moved
    return moved


#: Output suffixes of :func:`write_relocations`.
OUTPUT_SUFFIXES = (".gpkg", ".geojson", ".csv", ".xlsx", ".txt")


def write_relocations(result: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write relocation suggestions; the suffix picks the format.

    ``.txt`` writes the relocated footprints in the Ministry's coordinate exchange format
    (坐标交换格式, 地块编号 = project id, 地块面积 ellipsoidal as ``area_ha``), in the
    Gauss–Krüger zone the projects were surveyed in when they came in one, ready to go back to
    the surveyor or the approval system; ``.csv``/``.xlsx`` the table; ``.gpkg``/``.geojson``
    the table with the footprints.

    Raises
    ------
    HygisOutputError
        For ``.txt`` when no project was relocated (there is no footprint to write).
    """
    from hygis import io  # noqa: PLC0415 - the writers load GDAL
    from hygis.io.coordinates import write_coordinate_txt  # noqa: PLC0415

    suffix = Path(path).suffix.lower()
    if suffix == ".txt":
        moved = result[result["status"] == "relocated"]
        if not len(moved):
            msg = (
                f"{Path(path).name}: no project was relocated, so there is no footprint to write; "
                "use .csv for the table."
            )
            raise HygisOutputError(msg)
        # In the zone the footprints were surveyed in (not the one nearest the new site): a
        # translation there keeps the shape and orientation, and the surveyor reads their own zone.
        survey_crs = result.attrs.get("hygis_survey_crs")
        return write_coordinate_txt(moved, path, crs=survey_crs, id_field="project_id", name_field="name")
    if suffix in (".csv", ".xlsx"):
        return io.write_table(result, path)
    return io.write_vector(result, path)


__all__ = ["suggest_relocation", "conflicting", "relocate_conflicts", "write_relocations", "EXCLUSIONS"]
