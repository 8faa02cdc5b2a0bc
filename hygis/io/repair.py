"""Repair on read: drop Z, make invalid geometries valid, drop empty ones, and catch impossible coordinates.

Each change is returned as a note naming the feature, for the report's warnings.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from hygis import crs as hcrs
from hygis.errors import HygisInputError
from hygis.geometry import FAMILY, TYPE_NAMES, is_valid, keep_family, project
from hygis.messages import few, warn

# Temporary column holding each feature's original position while geometries are cleaned.
_POS = "__hygis_position"


def feature_labels(
    gdf: gpd.GeoDataFrame, id_field: str | None = None, rows: np.ndarray | None = None
) -> np.ndarray:
    """Human labels for features in messages: the id attribute, else ``feature #n`` (1-based).

    ``rows``: only the labels of these positions (a message names a few of 10⁵ features).

    >>> frame = gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[None, None])
    >>> feature_labels(frame, "code", rows=np.array([1])).tolist()
    ['feature #2 (code=B)']
    """
    rows = np.arange(len(gdf)) if rows is None else np.asarray(rows, dtype=np.int64)
    numbers = np.array([f"feature #{i + 1}" for i in rows], dtype=object)
    if id_field and id_field in gdf.columns:
        ids = gdf[id_field].iloc[rows].astype(str).to_numpy(dtype=object)
        return np.array([f"{n} ({id_field}={i})" for n, i in zip(numbers, ids)], dtype=object)
    return numbers


def clean_geometries(
    gdf: gpd.GeoDataFrame,
    *,
    label: str,
    geometry: str = "any",
    id_field: str | None = None,
    keep_unlocated: bool = False,
    validate: bool = True,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Drop Z, repair invalid geometries, drop empty ones and those of the wrong family.

    With ``keep_unlocated``, features without a geometry are kept (geometry None) and noted
    instead of dropped, in their original order.

    Repairs follow OGC make-valid semantics, as PostGIS ``ST_MakeValid`` (shapely's
    ``make_valid``, "linework" method): nothing is moved, self-intersections are split.
    Where a repair yields a collection, the parts of the input's family are kept.

    ``validate=False`` leaves out the validity test and its repairs, for a caller that tests
    validity itself meanwhile (a large control line: see :class:`hygis.engine.index.DeferredLayer`).

    Returns
    -------
    (GeoDataFrame, list of str)
        The cleaned frame and one note per change, naming the feature.
    """
    notes: list[str] = []
    gdf = gdf.copy()
    gdf[_POS] = np.arange(len(gdf))  # to put kept unlocated features back in their place
    geoms = gdf.geometry.values
    source = gdf
    rows = np.arange(len(gdf))  # each kept feature's position in the input, for its label

    def labels_of(mask: np.ndarray) -> np.ndarray:
        return feature_labels(source, id_field, rows=rows[mask])

    missing = shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms))
    unlocated = gdf.iloc[0:0]
    if missing.any() and keep_unlocated:
        notes.append(
            f"{label}: {int(missing.sum())} feature(s) have no geometry (blank coordinates?): kept and "
            f"reported as not located: {few(labels_of(missing))}."
        )
        unlocated = gdf[missing].set_geometry([None] * int(missing.sum()), crs=gdf.crs)
    elif missing.any():
        notes.append(
            f"{label}: dropped {int(missing.sum())} feature(s) with empty or no geometry: "
            f"{few(labels_of(missing))}."
        )
    keep = ~missing
    gdf, rows = gdf[keep], rows[keep]
    geoms = np.asarray(gdf.geometry.values)

    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        notes.append(f"{label}: Z (height) coordinates dropped; hygis works in 2D.")

    invalid = ~is_valid(geoms) if validate else np.zeros(len(geoms), bool)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        families = np.array([FAMILY.get(TYPE_NAMES[t], "other") for t in shapely.get_type_id(geoms[invalid])])
        repaired = shapely.make_valid(geoms[invalid])
        repaired = np.array([keep_family(g, fam) for g, fam in zip(repaired, families)], dtype=object)
        geoms[invalid] = repaired
        for lab, why in zip(labels_of(invalid), reasons):
            notes.append(f"{label}: {lab} was invalid ({why}); repaired with make-valid.")

    gdf = gdf.set_geometry(geoms, crs=gdf.crs)
    collapsed = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    if collapsed.any():
        notes.append(
            f"{label}: dropped {int(collapsed.sum())} feature(s) that collapsed to nothing when repaired: "
            f"{few(labels_of(collapsed))}."
        )
        gdf, rows, geoms = gdf[~collapsed], rows[~collapsed], geoms[~collapsed]

    if geometry != "any" and len(gdf):
        by_type = np.array([FAMILY.get(name, "other") for name in TYPE_NAMES], dtype=object)
        fams = by_type[shapely.get_type_id(np.asarray(gdf.geometry.values))]
        wrong = fams != geometry
        if wrong.any():
            kinds = ", ".join(sorted(set(gdf.geom_type[wrong])))
            notes.append(
                f"{label}: dropped {int(wrong.sum())} feature(s) that are {kinds}, not {geometry}s "
                f"(this input must be {geometry}s): {few(labels_of(wrong))}."
            )
            gdf = gdf[~wrong]
    if len(unlocated):
        gdf = pd.concat([gdf, unlocated]).sort_values(_POS, kind="stable")
    return gdf.drop(columns=_POS), notes


def check_coordinates(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Raise if coordinates cannot be what the CRS says.

    Catches degrees out of range, swapped axes, and data that lies outside China.
    """
    minx, miny, maxx, maxy = gdf.total_bounds
    c = hcrs.CHINA_BOUNDS
    if hcrs.is_geographic(gdf.crs):
        if c[1] <= minx and maxx <= c[3] and c[0] <= miny and maxy <= c[2]:
            _raise_swapped(name, minx, miny, maxx, maxy)
        if abs(minx) > 180 or abs(maxx) > 180 or abs(miny) > 90 or abs(maxy) > 90:
            msg = (
                f"{name}: the CRS says degrees ({hcrs.describe(gdf.crs)}) but coordinates reach "
                f"x={maxx:.0f}, y={maxy:.0f}: they are metres. "
                f"{hcrs.guess_crs_hint((minx, miny, maxx, maxy))} Give the right CRS with --crs."
            )
            raise HygisInputError(msg)
        lon_min, lat_min, lon_max, lat_max = minx, miny, maxx, maxy
    else:
        try:
            box = project([shapely.box(minx, miny, maxx, maxy)], gdf.crs, hcrs.WGS84)
            lon_min, lat_min, lon_max, lat_max = shapely.total_bounds(box)
        except pyproj.exceptions.ProjError as exc:
            # PROJ knows no way from this CRS to WGS 84 here (a missing grid, an engineering CRS):
            # the territory test cannot run, and the user hears so rather than nothing.
            warn(
                f"{name}: coordinates in {hcrs.describe(gdf.crs)} could not be carried to WGS 84 ({exc}), "
                "so hygis could not check that they lie in China. Check the CRS (--crs)."
            )
            return
    in_china = c[0] <= lon_min and lon_max <= c[2] and c[1] <= lat_min and lat_max <= c[3]
    swapped = c[1] <= lon_min and lon_max <= c[3] and c[0] <= lat_min and lat_max <= c[2]
    if in_china:
        return
    if swapped:
        _raise_swapped(name, lon_min, lat_min, lon_max, lat_max)
    msg = (
        f"{name}: the data lies outside China "
        f"({lon_min:.2f}…{lon_max:.2f}°E, {lat_min:.2f}…{lat_max:.2f}°N in WGS 84) "
        f"with the CRS {hcrs.describe(gdf.crs)}: the CRS is probably wrong. "
        f"{hcrs.guess_crs_hint(gdf.total_bounds)} Give the right one with --crs."
    )
    raise HygisInputError(msg)


def _raise_swapped(name: str, xmin: float, ymin: float, xmax: float, ymax: float) -> None:
    msg = (
        f"{name}: latitude and longitude look swapped: x runs {xmin:.2f}…{xmax:.2f} and y "
        f"{ymin:.2f}…{ymax:.2f}, which would put the data at {int(ymax)}°N — impossible "
        "(Hengyang is near 26.9°N, 112.6°E). Swap the columns in the file, or pass --swap-xy."
    )
    raise HygisInputError(msg)
