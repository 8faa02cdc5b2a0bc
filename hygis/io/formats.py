"""What particular formats need on the way in: CAD polylines, KML placemarks, rings and arcs.

* DXF has no polygons: a parcel drawn in CAD is a closed LWPOLYLINE, which GDAL reads as a
  LineString. :func:`closed_lines_to_polygons` makes the closed ones polygons (said in a note),
  so that a 50 ha parcel is not checked as a 30 m wide strip.
* KML/KMZ from 奥维互动地图 or Google Earth name each placemark; GDAL adds an ``id`` column
  that is always empty. :func:`placemark_ids` fills it from the placemark's name.
* A ring not closed in the file stops GEOS; :func:`read_gdal_repairing` closes it and names
  the feature. True curves (Esri arcs, DXF bulges) are linearised every
  :data:`ARC_STEPSIZE_DEG` degrees instead of GDAL's 4°.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Angle between vertices when GDAL linearises a circular arc. GDAL's default, 4°, loses
#: about 8e-4 of a circle's area; 0.1° loses 5e-7 (area error ~ θ²/6).
ARC_STEPSIZE_DEG = 0.1

#: Suffixes read as CAD drawings and as KML.
CAD_SUFFIXES = (".dxf",)
KML_SUFFIXES = (".kml", ".kmz")


@contextlib.contextmanager
def gdal_reading() -> Iterator[None]:
    """GDAL settings for reading planners' files: fine arc linearisation; restored afterwards."""
    import pyogrio  # noqa: PLC0415 - GDAL only when a file needs it (see hygis.io.geojson)

    before = pyogrio.get_gdal_config_option("OGR_ARC_STEPSIZE")
    pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": str(ARC_STEPSIZE_DEG)})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": before})


def read_gdal_repairing(
    target: str | os.PathLike, *, source: str, **kwargs
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read with pyogrio; where GEOS refuses a geometry (an unclosed ring), repair it and say so.

    Parameters
    ----------
    target : path-like
        What GDAL opens.
    source : str
        The file, for notes.
    **kwargs
        Passed to :func:`geopandas.read_file` (``layer``, ``encoding`` …).

    Returns
    -------
    (GeoDataFrame, list of str)
        The features, and one note per repaired feature (``feature #n``, 1-based).
    """
    with gdal_reading(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Non closed ring detected")
        try:
            return gpd.read_file(target, engine="pyogrio", **kwargs), []
        except shapely.errors.GEOSException as exc:
            if "LinearRing" not in str(exc):
                raise
        strict = gpd.read_file(target, engine="pyogrio", on_invalid="ignore", **kwargs)
        fixed = gpd.read_file(target, engine="pyogrio", on_invalid="fix", **kwargs)
    repaired = np.flatnonzero(strict.geometry.isna().to_numpy() & fixed.geometry.notna().to_numpy())
    notes = [
        f"{source}: feature #{i + 1} had a ring not closed in the file; closed by repeating its first point."
        for i in repaired
    ]
    return fixed, notes


def closed_lines_to_polygons(gdf: gpd.GeoDataFrame, *, source: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Turn closed polylines (first point = last, at least 3 distinct points) into polygons.

    Returns
    -------
    (GeoDataFrame, list of str)
        The frame with those features as polygons, and a note saying how many and which
        (by CAD layer where the drawing has one); open lines are left as lines.

    Examples
    --------
    >>> g = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 0), (1, 1), (0, 0)]),
    ...                                shapely.LineString([(0, 0), (2, 0)])])
    >>> out, notes = closed_lines_to_polygons(g, source="a.dxf")
    >>> out.geom_type.tolist()
    ['Polygon', 'LineString']
    """
    geoms = gdf.geometry.to_numpy()
    lines = shapely.get_type_id(geoms) == 1
    closed = np.zeros(len(gdf), dtype=bool)
    closed[lines] = shapely.is_closed(geoms[lines]) & (shapely.get_num_coordinates(geoms[lines]) >= 4)
    if not closed.any():
        return gdf, []
    out = gdf.copy()
    coords, index = shapely.get_coordinates(geoms[closed], return_index=True)
    geoms = geoms.copy()
    geoms[closed] = shapely.polygons(shapely.linearrings(coords, indices=index))
    out = out.set_geometry(geoms, crs=gdf.crs)
    which = _feature_names(gdf)[closed]
    shown = ", ".join(which[:8]) + (f" and {len(which) - 8} more" if len(which) > 8 else "")
    notes = [
        f"{source}: {int(closed.sum())} closed polyline(s) read as polygons (CAD draws parcels as closed "
        f"polylines): {shown}."
    ]
    if (lines & ~closed).any():
        notes.append(f"{source}: {int((lines & ~closed).sum())} open polyline(s) kept as lines.")
    return out, notes


def placemark_ids(gdf: gpd.GeoDataFrame, *, source: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Use each KML placemark's name as its ``id`` where the ``id`` column has no values.

    Returns
    -------
    (GeoDataFrame, list of str)
        The frame with ``id`` filled (placemarks without a name become ``placemark #n``),
        and a note saying so.
    """
    name_col = next((c for c in gdf.columns if str(c).lower() == "name"), None)
    ids = gdf["id"] if "id" in gdf.columns else pd.Series([None] * len(gdf), index=gdf.index)
    if name_col is None or not _blank(ids).all():
        return gdf, []
    names = gdf[name_col].where(~_blank(gdf[name_col]), "").astype(str).str.strip()
    numbered = pd.Series([f"placemark #{i + 1}" for i in range(len(gdf))], index=gdf.index)
    out = gdf.copy()
    out["id"] = names.where(names != "", numbered)
    dup = out["id"][out["id"].duplicated(keep=False)]
    if len(dup):
        counts = out.groupby("id").cumcount() + 1
        out.loc[dup.index, "id"] = out.loc[dup.index, "id"] + "-" + counts[dup.index].astype(str)
    note = f"{source}: placemark names used as ids (the KML's id column is empty)."
    if (names == "").any():
        note += f" {int((names == '').sum())} placemark(s) without a name numbered by position."
    return out, [note]


def cad_ids(gdf: gpd.GeoDataFrame, *, source: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Give CAD entities an ``id``: the entity handle where the drawing has one, else ``#n`` by position.

    A DXF has no attribute table, so nothing else can name a parcel in a report.
    """
    if "id" in gdf.columns:
        return gdf, []
    handles = (
        gdf["EntityHandle"]
        if "EntityHandle" in gdf.columns
        else pd.Series([None] * len(gdf), index=gdf.index)
    )
    numbered = pd.Series([f"#{i + 1}" for i in range(len(gdf))], index=gdf.index)
    out = gdf.copy()
    out["id"] = handles.where(~_blank(handles), numbered).astype(str)
    return out, [f"{source}: entities named by their CAD handle, or #n by position where they have none."]


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(object).astype(str).str.strip().isin(["", "None", "nan"])


def _feature_names(gdf: gpd.GeoDataFrame) -> np.ndarray:
    layer = gdf["Layer"].astype(str).to_numpy() if "Layer" in gdf.columns else None
    return np.array(
        [
            f"feature #{i + 1}" + (f" (layer {layer[i]})" if layer is not None else "")
            for i in range(len(gdf))
        ],
        dtype=object,
    )
