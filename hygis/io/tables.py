"""Tables (CSV/XLSX) with coordinate columns: points from 经度/纬度, or parcels from 界址点 lists.

What a table holds is told by its columns (aliases in ``data/field_aliases.csv``) and values:

* a parcel id repeated over rows with X and Y → a 界址点 vertex list, one polygon per parcel
  (:mod:`hygis.io.vertices`);
* 经度/纬度 (lon/lat) → points, each value decimal or 度分秒, mixed freely (:mod:`hygis.io.dms`);
* X/Y in metres → Gauss–Krüger points, X the northing as surveyors write it; X/Y in degrees →
  longitude/latitude.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from hygis.errors import HygisInputError
from hygis.io.dms import angle_column
from hygis.io.fields import field_aliases, find_field
from hygis.io.gauss_kruger import gk_crs
from hygis.io.vertices import is_vertex_table, read_table, survey_axes, vertex_table_to_gdf

#: Table suffixes read as points from coordinate columns.
TABLE_SUFFIXES = (".csv", ".xlsx", ".xls")

#: Column names recognised as x / y in tables (normalised), from ``data/field_aliases.csv``.
X_COLUMNS = (*field_aliases()["longitude"], *field_aliases()["easting"])
Y_COLUMNS = (*field_aliases()["latitude"], *field_aliases()["northing"])


def read_table_points(path: Path, name: str, *, crs: str | int | CRS | None = None) -> gpd.GeoDataFrame:
    """Read a coordinate table: vertex lists as polygons, otherwise one point per row.

    Parameters
    ----------
    path : pathlib.Path
        A .csv (UTF-8 or GBK) or .xlsx table.
    name : str
        The file as messages name it.
    crs : str, int or pyproj.CRS, optional
        The CRS the user gave. Without it, metres with a zone-prefixed easting get their
        CGCS2000 zone (noted); degrees and unprefixed metres stay without CRS for the caller
        to ask for.

    Returns
    -------
    geopandas.GeoDataFrame
        Rows with blank coordinates have no geometry (reported as not located by the check);
        ``attrs["hygis_notes"]`` says what was inferred.

    Raises
    ------
    HygisInputError
        If no coordinate columns are found, or a value is neither blank nor a number or angle
        (naming the rows).
    """
    df = read_table(path, name)
    if is_vertex_table(df):
        return vertex_table_to_gdf(df, source=name, crs=crs)
    lon, lat = find_field(df.columns, "longitude"), find_field(df.columns, "latitude")
    notes: list[str] = []
    if lon is not None and lat is not None:
        x = angle_column(df[lon], column=str(lon), source=name, limit=180)
        # Latitudes up to 180 pass here: the coordinate check names swapped columns better than a range error.
        y = angle_column(df[lat], column=str(lat), source=name, limit=180)
        out_crs = crs
    else:
        xcol, ycol = find_field(df.columns, "northing"), find_field(df.columns, "easting")
        if xcol is None or ycol is None:
            msg = (
                f"{name}: the table needs coordinate columns: 经度/纬度 (lon/lat) or X/Y (X the northing); "
                f"it has {', '.join(map(str, df.columns))}."
            )
            raise HygisInputError(msg)
        a, b = _numbers(df[xcol], str(xcol), name), _numbers(df[ycol], str(ycol), name)
        located = np.isfinite(a) & np.isfinite(b)
        out_crs = crs
        if located.any() and np.all(np.abs(a[located]) <= 180) and np.all(np.abs(b[located]) <= 180):
            x, y = a, b  # degrees in columns called x/y: x is the longitude
        else:
            east, north, notes = survey_axes(a[located], b[located], source=name)
            x, y = np.full(len(df), np.nan), np.full(len(df), np.nan)
            x[located], y[located] = east, north
            if crs is None:
                out_crs, why = gk_crs(east, source=name)
                notes.append(why)
    geom = np.asarray(gpd.points_from_xy(x, y), dtype=object)
    geom[~(np.isfinite(x) & np.isfinite(y))] = None
    gdf = gpd.GeoDataFrame(df, geometry=list(geom), crs=out_crs)
    gdf.attrs["hygis_notes"] = notes
    return gdf


def _numbers(values: pd.Series, column: str, source: str) -> np.ndarray:
    """Numbers of a column read as text; blanks are NaN, anything else unreadable is refused by row."""
    text = values.astype(str).str.strip()
    blank = values.isna() | text.isin(["", "nan", "None"])
    out = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = ~blank.to_numpy() & np.isnan(out)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = "; ".join(f"row {i + 1}: {values.iloc[i]!r}" for i in rows[:8])
        msg = (
            f"{source}: column '{column}' has values that are not numbers ({shown}; row 1 is the first under "
            "the header)."
        )
        raise HygisInputError(msg)
    return out
