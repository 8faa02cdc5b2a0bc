"""GeoJSON read without GDAL, as OGR's GeoJSON driver reads it: the plan's own layers.

A check of a user's Parquet files needs GDAL for nothing but the plan's small embedded layers
(the county units, the two illustrative lines); loading GDAL for them costs ~28 MB of the
check's memory. :func:`read_geojson` reads such a file with the standard library and shapely,
to the same frame :func:`geopandas.read_file` gives: the same columns in the same order, the
same types (OGR's 32-bit integers where every value fits), the same CRS. Files from elsewhere
(other encodings, other CRSs, damaged) are read by GDAL (:mod:`hygis.io.read`).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

#: The CRS of a GeoJSON file without a ``crs`` member, or naming OGC CRS84 (RFC 7946): OGR reports
#: it as EPSG:4326 (longitude, latitude as written).
DEFAULT_CRS = "EPSG:4326"
CRS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84"}
INT32 = np.iinfo(np.int32)


def read_geojson(path: str | Path) -> gpd.GeoDataFrame:
    """A GeoJSON FeatureCollection as a GeoDataFrame, read without GDAL.

    Parameters
    ----------
    path : str or Path
        A GeoJSON file in UTF-8.

    Returns
    -------
    GeoDataFrame
        The properties as columns in the order they first appear, the geometry last; an integer
        property as ``int32`` where every value fits (as OGR types it), else ``int64``; the CRS of
        the ``crs`` member, EPSG:4326 for OGC CRS84 or none.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "units.geojson"
    >>> _ = path.write_text(json.dumps({"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {"code": 430407, "name": "石鼓区"},
    ...      "geometry": {"type": "Point", "coordinates": [112.6, 26.9]}}]}), encoding="utf-8")
    >>> frame = read_geojson(path)
    >>> list(frame.columns), frame["code"].dtype.name, frame.crs.to_string()
    (['code', 'name', 'geometry'], 'int32', 'EPSG:4326')
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    crs = _crs(data.get("crs"))
    features = data.get("features") or []
    if not features:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    frame = gpd.GeoDataFrame.from_features(features, crs=crs)
    frame = frame[[c for c in frame.columns if c != "geometry"] + ["geometry"]]
    for column in frame.columns:
        values = frame[column]
        if (
            values.dtype.kind == "i"
            and len(values)
            and INT32.min <= values.min()
            and values.max() <= INT32.max
        ):
            frame[column] = values.astype(np.int32)
    return frame


def _crs(member: dict | None) -> CRS:
    """The CRS a GeoJSON ``crs`` member names (the 2008 specification's ``name`` form)."""
    name = ((member or {}).get("properties") or {}).get("name")
    if not name or name in CRS84_NAMES:
        return CRS(DEFAULT_CRS)
    return CRS.from_user_input(name)


__all__ = ["read_geojson"]
