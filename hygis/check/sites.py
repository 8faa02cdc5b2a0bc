"""The site each project occupies — what the check measures — and how far its location can be trusted.

Polygons are checked as drawn; lines as corridors (``width_m`` attribute, else the default for
the project's group from ``data/corridor_widths.csv``); points by containment, or as a disc with
``point_radius_m``; a collection as the union of its parts treated the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis.check.rules import NULL, best_match, load_corridor_widths
from hygis.engine.area import AreaScale
from hygis.engine.overlap import site_areas
from hygis.engine.validity import is_valid
from hygis.errors import HygisInputError
from hygis.geometry import geometry_kind, project
from hygis.messages import few, warn
from hygis.plan import layers


@dataclass
class Sites:
    """The projects' sites in the area CRS, and what the check needs to know of each.

    Attributes
    ----------
    projects : GeoDataFrame
        The projects (``project_id``, ``name``, ``group`` …), in their input CRS.
    geoms : ndarray of shapely geometries
        Each project's site in ``area_crs`` (None where there is nothing to measure).
    kinds, methods : ndarray of str
        The geometry kind (point, line, polygon, mixed, none) and how the site was made.
    area_m2 : ndarray of float
        Area of each site (m²; 0 where there is no site): ellipsoidal, or planar in ``area_crs``
        (see ``area_scale``).
    points : ndarray of bool
        Point projects checked by containment (no footprint radius).
    unlocated : ndarray of bool
        Projects without any geometry: reported as ``not located``.
    location_notes : ndarray of str
        How far each location can be trusted.
    point_geoms : ndarray of shapely geometries
        The projects' own geometries in ``area_crs`` (for the containment test of points).
    area_crs : pyproj.CRS
    area_scale : AreaScale or None
        The area factor of ``area_crs`` over the sites when areas are ellipsoidal (the engine weighs
        every piece it measures by it); None for planar areas in ``area_crs``.
    """

    projects: gpd.GeoDataFrame
    geoms: np.ndarray
    kinds: np.ndarray
    methods: np.ndarray
    area_m2: np.ndarray
    points: np.ndarray
    unlocated: np.ndarray
    location_notes: np.ndarray
    point_geoms: np.ndarray
    area_crs: CRS
    area_scale: AreaScale | None = None


def project_sites(
    projects: gpd.GeoDataFrame,
    area_crs: CRS,
    notes: list[str],
    *,
    point_radius_m: float | None = None,
    ellipsoidal: bool = True,
    native: gpd.GeoSeries | None = None,
) -> Sites:
    """Step 1 of the check: the site of every project in ``area_crs`` (see :func:`footprints`).

    ``native`` is the projects' geometry as read (:attr:`hygis.plan.inputs.PlanInputs.native_projects`):
    the sites are made from it (as it is when already in ``area_crs``, else projected once), not
    from the WGS 84 copy projected back.

    Site areas are ellipsoidal (:mod:`hygis.engine.area`, as the official figures) unless
    ``ellipsoidal`` is False: then planar in ``area_crs``.

    Notes on every assumption (corridor widths, points, projects without a site) are issued
    through :func:`hygis.messages.warn` and appended to ``notes``.
    """
    if native is not None and len(native) == len(projects) and native.crs is not None:
        # From the coordinates as read, in one step: the same sites whether a WGS 84 copy was made
        # or not (a check of files makes none), and no round trip through WGS 84.
        as_read = native.to_numpy()
        geo = gpd.GeoSeries(
            as_read if native.crs.equals(area_crs) else project(as_read, native.crs, area_crs),
            index=projects.index,
            crs=area_crs,
        )
    else:
        geo = gpd.GeoSeries(
            project(projects.geometry.values, projects.crs, area_crs), index=projects.index, crs=area_crs
        )
    sites, kinds, methods, site_notes = footprints(
        projects.set_geometry(geo, crs=area_crs), area_crs, point_radius_m=point_radius_m
    )
    for note in site_notes:
        warn(note, notes)
    geoms = np.asarray(sites.values, dtype=object)
    has_site = np.array([g is not None for g in geoms], dtype=bool)
    scale = None
    if ellipsoidal and has_site.any():
        scale = AreaScale.over(area_crs, shapely.total_bounds(geoms[has_site].astype(object)))
    area_m2 = site_areas(np.where(has_site, geoms, NULL), area_scale=scale)
    unlocated = kinds == "none"
    if unlocated.any():
        warn(
            f"projects: {int(unlocated.sum())} project(s) have no site "
            f"({few(projects['project_id'].to_numpy()[unlocated])}): "
            "reported as 'not located'; they cannot be checked until a site (用地红线) is given.",
            notes,
        )
    return Sites(
        projects=projects,
        geoms=geoms,
        kinds=kinds,
        methods=methods,
        area_m2=area_m2,
        points=(kinds == "point") & ~has_site,
        unlocated=unlocated,
        location_notes=location_notes(projects, kinds),
        point_geoms=np.asarray(geo.values, dtype=object),
        area_crs=area_crs,
        area_scale=scale,
    )


def corridor_widths(
    projects: gpd.GeoDataFrame, widths: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The corridor width of every project (m): its ``width_m``, else its group's default.

    Returns
    -------
    (width_m, from_attribute, table_row)
        Per project: the width in metres, whether it came from the ``width_m`` attribute, and the
        row of ``widths`` whose default applies (used where the attribute is missing).

    Raises
    ------
    HygisInputError
        If a ``width_m`` is zero or negative.
    """
    n = len(projects)
    given = (
        pd.to_numeric(projects["width_m"], errors="coerce").to_numpy(dtype=float)
        if "width_m" in projects
        else np.full(n, np.nan)
    )
    bad = np.isfinite(given) & (given <= 0)
    if bad.any():
        ids = ", ".join(projects["project_id"].astype(str).to_numpy()[bad][:5])
        msg = (
            f"projects: width_m must be a positive number of metres; {ids} have {given[bad][:5].tolist()}. "
            "Correct the width_m column."
        )
        raise HygisInputError(msg)
    frame = pd.DataFrame(
        {
            "name": projects["name"].astype(str).to_numpy(),
            "group": projects["group"].to_numpy() if "group" in projects else np.full(n, "*"),
        }
    )
    best = best_match(frame, widths)
    from_attr = np.isfinite(given)
    return np.where(from_attr, given, widths["width_m"].to_numpy(dtype=float)[best]), from_attr, best


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

    # One corridor width per project — its width_m, else its group's default — for a line and for
    # the lines inside a collection alike.
    all_width, all_from_attr, all_best = corridor_widths(projects, widths)
    line = kinds == "line"
    if line.any():
        width, from_attr, best = all_width[line], all_from_attr[line], all_best[line]
        sites[line] = shapely.buffer(arr[line], width / 2, cap_style="flat", join_style="round")
        methods[line] = [
            f"corridor {w:g} m" + (" (width_m)" if a else " (default width)")
            for w, a in zip(width, from_attr)
        ]
        ids = projects["project_id"].to_numpy()[line]
        for k in np.unique(best[~from_attr]):
            sel = ~from_attr & (best == k)
            row = widths.iloc[k]
            notes.append(
                f"projects: {int(sel.sum())} line project(s) without a width_m ({few(ids[sel])}) "
                f"checked as corridors {row.width_m:g} m wide — {row.basis}"
            )

    pts = kinds == "point"
    if pts.any():
        ids = projects["project_id"].to_numpy()[pts]
        if point_radius_m:
            sites[pts] = shapely.buffer(arr[pts], point_radius_m, quad_segs=16)
            methods[pts] = f"point footprint {point_radius_m:g} m"
            notes.append(
                f"projects: {int(pts.sum())} point project(s) ({few(ids)}) "
                f"checked as discs of radius {point_radius_m:g} m (--point-radius)."
            )
        else:
            methods[pts] = "point"
            notes.append(
                f"projects: {int(pts.sum())} point project(s) ({few(ids)}) checked by containment only: "
                "no area is measured. Give --point-radius (Python: point_radius_m=) to check a footprint."
            )

    mixed = kinds == "mixed"
    for i in np.flatnonzero(mixed):
        parts = shapely.get_parts(arr[i])
        pk = geometry_kind(gpd.GeoSeries(parts))
        pieces = list(parts[pk == "polygon"])
        w = float(all_width[i])
        pieces += list(shapely.buffer(parts[pk == "line"], w / 2, cap_style="flat", join_style="round"))
        if point_radius_m:
            pieces += list(shapely.buffer(parts[pk == "point"], point_radius_m, quad_segs=16))
        sites[i] = shapely.union_all(pieces) if pieces else None
        methods[i] = (
            f"mixed (polygons; lines as corridors {w:g} m"
            + (f"; points {point_radius_m:g} m" if point_radius_m else "; points ignored")
            + ")"
        )
        notes.append(
            f"projects: {projects['project_id'].iloc[i]} is a collection of several geometry types; "
            f"checked as {methods[i]}."
        )

    # A site must be valid for exact areas (a buffer is; a user's polygon was repaired on reading).
    ok = np.array([s is not None for s in sites])
    if ok.any():
        invalid = ok.copy()
        invalid[ok] = ~is_valid(sites[ok].astype(object))
        if invalid.any():
            sites[invalid] = shapely.make_valid(sites[invalid].astype(object))
            notes.append(
                f"projects: {int(invalid.sum())} site(s) repaired with make-valid after projection: "
                f"{few(projects['project_id'].to_numpy()[invalid])}."
            )
    return gpd.GeoSeries(sites, index=projects.index, crs=area_crs), kinds, methods, notes


def location_notes(projects: gpd.GeoDataFrame, kinds: np.ndarray) -> np.ndarray:
    """Per project: how far its geometry can be trusted (from the embedded layer's precision columns)."""
    out = np.full(len(projects), "", dtype=object)
    approx = layers.approximate(projects)
    prec = projects["location_precision"].astype(str).to_numpy() if "location_precision" in projects else None
    metres = (
        pd.to_numeric(projects["precision_m"], errors="coerce").to_numpy()
        if "precision_m" in projects
        else None
    )
    for i in range(len(projects)):
        if kinds[i] == "none":
            status = str(projects["location_status"].iloc[i]) if "location_status" in projects else ""
            note = (
                str(projects["geometry_note"].iloc[i])
                if "geometry_note" in projects and pd.notna(projects["geometry_note"].iloc[i])
                else ""
            )
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


__all__ = ["Sites", "corridor_widths", "footprints", "location_notes", "project_sites"]
