"""Choosing a layer inside a multi-layer source, and listing what a source holds.

One syntax everywhere, in the CLI and in Python: ``PATH:LAYER`` — ``plan.gdb:YJJBNT``,
``results.gpkg:城镇开发边界``, ``C:\\data\\plan.gdb:STBHHX``. The colon is read as the layer
separator only after a multi-layer format's suffix (:data:`MULTI_LAYER_SUFFIXES`) and only
where the whole text is not itself an existing path, so Windows drive letters are safe.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from pyproj import CRS

from hygis.errors import HygisInputError

#: Formats that hold several layers, whose paths may carry ``:LAYER``.
MULTI_LAYER_SUFFIXES = (".gdb", ".gpkg", ".sqlite", ".kml", ".kmz", ".dxf", ".gml", ".mdb", ".xlsx")

#: How a message tells a user to choose a layer.
LAYER_SYNTAX = "PATH:LAYER"


def split_layer(value: str | os.PathLike) -> tuple[Path, str | None]:
    """Split ``plan.gdb:YJJBNT`` into the path and the layer; a plain path has layer None.

    >>> split_layer("plan.gdb:YJJBNT")
    (PosixPath('plan.gdb'), 'YJJBNT')
    >>> split_layer("plan.gdb")
    (PosixPath('plan.gdb'), None)
    >>> split_layer("C:/data/plan.gpkg:城镇开发边界")
    (PosixPath('C:/data/plan.gpkg'), '城镇开发边界')
    >>> split_layer("C:/data/projects.shp")
    (PosixPath('C:/data/projects.shp'), None)
    """
    text = os.fspath(value)
    path = Path(text).expanduser()
    if path.exists() or ":" not in text:
        return path, None
    head, layer = text.rsplit(":", 1)
    if Path(head).suffix.lower() in MULTI_LAYER_SUFFIXES and layer and not layer.startswith(("/", "\\")):
        return Path(head).expanduser(), layer
    return path, None


def with_layer(path: str | os.PathLike, layer: str) -> str:
    """The ``PATH:LAYER`` text for a layer of a source (what a user types)."""
    return f"{os.fspath(path)}:{layer}"


def list_layers(path: str | os.PathLike) -> pd.DataFrame:
    """What a source holds: one row per layer with its feature count, geometry type and CRS.

    Parameters
    ----------
    path : path-like
        A File Geodatabase (``.gdb`` folder), GeoPackage or any file GDAL reads.

    Returns
    -------
    pandas.DataFrame
        Columns ``layer``, ``features``, ``geometry`` (empty for an attribute table) and
        ``crs`` (``EPSG:4490`` style, else the CRS name, else empty), in the source's order.

    Raises
    ------
    HygisInputError
        If the path does not exist or GDAL cannot open it.
    """
    src = Path(path).expanduser()
    if not src.exists():
        msg = f"{src}: not found. Check the path (relative paths start from {Path.cwd()})."
        raise HygisInputError(msg)
    import pyogrio  # noqa: PLC0415 - GDAL only when a file needs it (see hygis.io.geojson)
    from pyogrio.errors import DataLayerError, DataSourceError  # noqa: PLC0415

    try:
        layers = pyogrio.list_layers(src)
    except (DataSourceError, DataLayerError, OSError) as exc:  # GDAL cannot open it: the user's file
        msg = (
            f"{src}: GDAL cannot open it as vector data ({exc}). Is it a .gdb folder, a GeoPackage or a "
            "Shapefile?"
        )
        raise HygisInputError(msg) from None
    rows = []
    for name, geometry in layers:
        info = pyogrio.read_info(src, layer=name, force_feature_count=True)
        crs = ""
        if info.get("crs"):
            parsed = CRS.from_user_input(info["crs"])
            code = parsed.to_epsg()
            crs = f"EPSG:{code}" if code else parsed.name
        rows.append(
            {"layer": str(name), "features": int(info["features"]), "geometry": geometry or "", "crs": crs}
        )
    return pd.DataFrame(rows, columns=["layer", "features", "geometry", "crs"])
