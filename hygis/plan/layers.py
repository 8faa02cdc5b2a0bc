"""The plan's embedded vector layers, by name, with their provenance.

The layers live in ``layers/`` as GeoJSON (WGS 84), described by ``layers/catalog.json``:
for each layer its title, source, licence and status — ``official-derived``,
``public-facts`` (with the precision of each location in the features themselves) or
``illustrative`` (made by a documented rule, never to be shown as official).

>>> import hygis
>>> for name in hygis.layers.names():
...     print(name)
counties
urban_system
ecological_redline
permanent_farmland
urban_development_boundary
projects
>>> counties = hygis.layers.load("counties")
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hygis import constants
from hygis.crs import WGS84
from hygis.errors import HygisInputError
from hygis.io.geojson import read_geojson
from hygis.settings import LAYERS_DIR

#: The three statuses a layer can have, with what each promises.
STATUSES = {
    "official-derived": "derived from an official published dataset",
    "public-facts": "built from public sources; each location carries its precision",
    "illustrative": "made by a documented rule for demonstration; NOT official data",
}

#: Location precisions (``location_precision``) that are not a surveyed site.
APPROXIMATE_PRECISIONS = ("schematic", "area", "county", "unconfirmed")

#: A located feature whose uncertainty (``precision_m``) reaches this is approximate: larger than
#: most project sites, so an overlap computed on it is indicative only.
APPROXIMATE_PRECISION_M = 500.0

#: Names of the three control lines (三条控制线), in the order the 2019 guiding opinion lists them.
CONTROL_LINES = constants.CONTROL_LINES


@lru_cache(maxsize=1)
def _catalog() -> dict[str, dict[str, Any]]:
    path = LAYERS_DIR / "catalog.json"
    if not path.exists():
        msg = (
            f"The layer catalog {path} is missing: reinstall hygis, or rebuild the layers with `hygis build`."
        )
        raise HygisInputError(msg)
    return json.loads(path.read_text(encoding="utf-8"))["layers"]


def names() -> list[str]:
    """Return the names of the embedded layers, in catalog order."""
    return list(_catalog())


def info(name: str) -> dict[str, Any]:
    """Return a layer's metadata: title, status, source, licence, description, file …

    Parameters
    ----------
    name : str
        One of :func:`names`.
    """
    catalog = _catalog()
    if name not in catalog:
        msg = f"No layer named '{name}'. The layers are: {', '.join(catalog)}."
        raise HygisInputError(msg)
    meta = copy.deepcopy(catalog[name])
    meta["name"] = name
    meta["path"] = str(path(name))
    return meta


def path(name: str) -> Path:
    """Return the file of an embedded layer."""
    return LAYERS_DIR / _catalog()[name]["file"] if name in _catalog() else LAYERS_DIR / f"{name}.geojson"


@lru_cache(maxsize=16)
def _read(name: str) -> gpd.GeoDataFrame:
    # Without GDAL: the frame GDAL reads, and a check of Parquet files never loads GDAL.
    return read_geojson(path(name))


def load(name: str) -> gpd.GeoDataFrame:
    """Load an embedded layer as a GeoDataFrame in WGS 84 (EPSG:4326).

    The layer's metadata is in ``gdf.attrs["hygis_layer"]``, so that maps and reports
    built from the frame can state its status and source.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    """
    meta = info(name)
    gdf = _read(name).copy()
    if gdf.crs is None or not gdf.crs.equals(WGS84):
        gdf = gdf.set_crs(WGS84, allow_override=True) if gdf.crs is None else gdf.to_crs(WGS84)
    gdf.attrs["hygis_layer"] = meta
    return gdf


def load_or_check(
    name: str, gdf: gpd.GeoDataFrame | None, columns: tuple[str, ...], label: str
) -> gpd.GeoDataFrame:
    """The embedded layer ``name``, or a user's frame in its place checked for ``columns`` and a CRS.

    Raises
    ------
    HygisInputError
        Naming the missing columns (and those the frame has), or the missing CRS.
    """
    if gdf is None:
        return load(name)
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        msg = (
            f"{label}: needs the columns {' and '.join(repr(c) for c in columns)} "
            f"(missing: {', '.join(missing)}); it has {', '.join(map(str, gdf.columns))}. Rename the columns."
        )
        raise HygisInputError(msg)
    if gdf.crs is None:
        msg = f"{label}: the frame has no CRS. Set one (gdf.set_crs('EPSG:4490'))."
        raise HygisInputError(msg)
    return gdf


def approximate(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Which features have a schematic or approximate location (one rule for every map and report).

    True where ``location_precision`` is one of :data:`APPROXIMATE_PRECISIONS` or ``precision_m``
    is at least :data:`APPROXIMATE_PRECISION_M`; frames without those columns (a user's surveyed
    sites) are taken as they come, all False.
    """
    kind = gdf.get("location_precision", pd.Series("", index=gdf.index)).fillna("").astype(str)
    metres = pd.to_numeric(gdf.get("precision_m", pd.Series(np.nan, index=gdf.index)), errors="coerce")
    return (kind.isin(APPROXIMATE_PRECISIONS) | (metres >= APPROXIMATE_PRECISION_M)).to_numpy()


def status(gdf: gpd.GeoDataFrame) -> str | None:
    """The status recorded on a frame loaded with :func:`load` (None for a user's file)."""
    meta = gdf.attrs.get("hygis_layer")
    return meta.get("status") if meta else None


def summary() -> gpd.pd.DataFrame:
    """One row per layer: name, features, geometry types, status, source, licence."""
    rows = []
    for name in names():
        meta, gdf = info(name), load(name)
        types = sorted(set(gdf.geom_type.dropna()))
        rows.append(
            {
                "layer": name,
                "title": meta.get("title", ""),
                "features": len(gdf),
                "located": int((gdf.geometry.notna() & ~gdf.geometry.is_empty).sum()),
                "geometry": "/".join(types) if types else "-",
                "status": meta["status"],
                "source": meta.get("source", ""),
                "licence": meta.get("licence", ""),
            }
        )
    return gpd.pd.DataFrame(rows)
