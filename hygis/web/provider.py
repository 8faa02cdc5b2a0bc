"""A pygeoapi feature provider for the server's GeoPackage, read with pyogrio (no SpatiaLite).

pygeoapi's own ``SQLiteGPKG`` provider loads the ``mod_spatialite`` extension into Python's
sqlite3, which needs a Python built with loadable extensions (pyenv's and python.org's
Windows builds are not) and SpatiaLite installed (not on a planner's Windows desk). The
layers ``hygis web`` serves are written once at start and are small (the plan's layers, the
illustrative or office's lines), so this provider reads each one once and answers paging,
bbox and property filters from memory; the GeoPackage stays the one copy on disk.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pygeoapi.provider.base import BaseProvider, ProviderItemNotFoundError, ProviderQueryError

_LOCK = threading.Lock()
_FRAMES: dict[tuple[str, str, float], gpd.GeoDataFrame] = {}


def read_layer(path: str | Path, table: str) -> gpd.GeoDataFrame:
    """The layer ``table`` of the GeoPackage at ``path``, read once while the file is unchanged."""
    key = (str(path), table, Path(path).stat().st_mtime)
    with _LOCK:
        frame = _FRAMES.get(key)
        if frame is None:
            frame = pyogrio.read_dataframe(path, layer=table, fid_as_index=True)
            frame.index.name = "fid"
            _FRAMES[key] = frame
    return frame


def _json_type(dtype: Any) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    return "string"


def _features(frame: gpd.GeoDataFrame, *, skip_geometry: bool = False) -> list[dict[str, Any]]:
    """GeoJSON features, the fid as id; NaN as null (JSON has no NaN)."""
    plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    records = json.loads(plain.to_json(orient="records", force_ascii=False, date_format="iso"))
    geoms = frame.geometry.to_numpy()
    out = []
    for fid, props, geom in zip(frame.index.tolist(), records, geoms, strict=True):
        shape = None
        if not skip_geometry and geom is not None and not shapely.is_empty(geom):
            shape = shapely.geometry.mapping(geom)
        out.append({"type": "Feature", "id": int(fid), "properties": props, "geometry": shape})
    return out


class GeoPackageProvider(BaseProvider):
    """OGC API – Features over one layer of a GeoPackage: paging, bbox, property equality, sortby."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        self.table = provider_def["table"]
        self.id_field = "fid"
        self._fields = self.get_fields()

    def _frame(self) -> gpd.GeoDataFrame:
        return read_layer(self.data, self.table)

    def get_fields(self) -> dict[str, dict[str, str]]:
        """Field names and their JSON Schema types."""
        frame = self._frame()
        return {
            str(name): {"type": _json_type(dtype)}
            for name, dtype in frame.dtypes.items()
            if name != frame.geometry.name
        }

    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        bbox: list[float] | None = None,
        datetime_: Any = None,
        properties: list[tuple[str, Any]] | None = None,
        sortby: list[dict[str, Any]] | None = None,
        select_properties: list[str] | None = None,
        skip_geometry: bool = False,
        q: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A page of features matching ``bbox`` (lon/lat) and ``properties`` (equality)."""
        frame = self._frame()
        keep = np.ones(len(frame), dtype=bool)
        if bbox:
            if len(bbox) != 4:
                msg = "bbox: give minx,miny,maxx,maxy in longitude/latitude"
                raise ProviderQueryError(msg)
            box = shapely.box(*map(float, bbox))
            keep &= np.asarray(shapely.intersects(frame.geometry.to_numpy(), box), dtype=bool)
        for name, value in properties or []:
            if name not in frame.columns:
                msg = f"unknown property {name}"
                raise ProviderQueryError(msg)
            keep &= frame[name].astype(str).to_numpy() == str(value)
        matched = frame[keep]
        if sortby:
            matched = matched.sort_values(
                [s["property"] for s in sortby], ascending=[s.get("order", "+") == "+" for s in sortby]
            )
        result: dict[str, Any] = {"type": "FeatureCollection", "numberMatched": int(len(matched))}
        if resulttype == "hits":
            result.update(features=[], numberReturned=0)
            return result
        page = matched.iloc[int(offset) : int(offset) + int(limit)]
        if select_properties:
            page = page[[c for c in page.columns if c in select_properties or c == page.geometry.name]]
        result["features"] = _features(page, skip_geometry=skip_geometry)
        result["numberReturned"] = len(result["features"])
        return result

    def get(self, identifier: Any, **kwargs: Any) -> dict[str, Any]:
        """One feature by its fid."""
        frame = self._frame()
        try:
            row = frame.loc[[int(identifier)]]
        except (KeyError, ValueError):
            msg = f"no feature {identifier}"
            raise ProviderItemNotFoundError(msg) from None
        return _features(row)[0]

    def __repr__(self) -> str:
        return f"<GeoPackageProvider> {self.data}:{self.table}"


__all__ = ["GeoPackageProvider", "read_layer"]
