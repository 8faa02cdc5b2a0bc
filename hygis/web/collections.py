"""The plan's layers as OGC API – Features collections: written once, at start, to a GeoPackage.

Each collection says in its description and keywords where it came from and its status
(``official-derived``, ``public-facts``, ``illustrative``, ``user-file``): a client reading the
layer in QGIS sees that an illustrative control line is not the office's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hygis import io
from hygis.constants import CONTROL_LINE_ZH, CONTROL_LINES
from hygis.crs import WGS84
from hygis.plan import layers
from hygis.plan.inputs import PlanInputs

#: The file below the state folder holding every collection.
GPKG_NAME = "layers.gpkg"

#: Collection id → Chinese title of the layers that are not control lines.
TITLES = {
    "counties": "县级行政区",
    "urban_system": "四级城乡空间体系",
    "projects": "重点项目",
    "monitored_changes": "监测变化图斑",
}

#: A status as a planner reads it.
STATUS_ZH = {
    "illustrative": "示意数据，非官方",
    "public-facts": "公开资料整理",
    "official-derived": "官方资料派生",
    "user-file": "本单位数据",
    "user-data": "本单位数据",
}


def _plain(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns a GeoPackage and JSON hold as they are: lists, dicts and timestamps as text."""
    out = gdf.to_crs(WGS84).reset_index(drop=True)
    for column in out.columns:
        if column == out.geometry.name:
            continue
        values = out[column]
        if values.dtype == object or isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = values.map(lambda v: None if v is None else v if isinstance(v, str) else str(v))
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.astype(str)
    return out


def _spec(
    name: str, gdf: gpd.GeoDataFrame, prov: dict[str, Any], title_zh: str, path: Path
) -> dict[str, Any]:
    status = str(prov.get("status", ""))
    said = STATUS_ZH.get(status, status)
    source = str(prov.get("source", "")) or str(prov.get("path", ""))
    title = f"{title_zh}（{said}）" if status in ("illustrative",) else title_zh
    bounds = gdf.total_bounds if len(gdf) and gdf.geometry.notna().any() else [108.0, 25.0, 114.0, 29.0]
    return {
        "title": title,
        "description": (
            f"{title_zh} — {prov.get('title', name)}. 状态 status: {status} ({said}). 来源 source: {source}"
        ),
        "keywords": [title_zh, name, f"status:{status}", said],
        "bbox": [float(v) for v in bounds],
        "data": str(path),
        "table": name,
        "title_field": "name" if "name" in gdf.columns else gdf.columns[0],
        "status": status,
        "features": len(gdf),
    }


def write_collections(
    inputs: PlanInputs, state_dir: Path, *, changes: gpd.GeoDataFrame | None = None
) -> dict[str, dict[str, Any]]:
    """Write the server's layers to ``state_dir/layers.gpkg`` (atomically) and describe them.

    Parameters
    ----------
    inputs : PlanInputs
        The plan's inputs the server checks against (:func:`hygis.plan.resolve`): its projects
        and three control lines are served as they are.
    state_dir : Path
        The server's folder.
    changes : GeoDataFrame, optional
        Monitored change polygons (:func:`hygis.monitor.changes.classify_changes`), served as
        ``monitored_changes`` when given.

    Returns
    -------
    dict
        Collection id → title, description, keywords, bbox (lon/lat), data, table, status, features.
    """
    path = state_dir / GPKG_NAME
    frames: dict[str, gpd.GeoDataFrame] = {}
    provs: dict[str, dict[str, Any]] = {}
    titles: dict[str, str] = {}
    for name in ("counties", "urban_system"):
        gdf = layers.load(name)
        frames[name] = gdf
        provs[name] = dict(gdf.attrs.get("hygis_layer", {}))
        titles[name] = TITLES[name]
    for name in CONTROL_LINES:
        frames[name] = getattr(inputs, name)
        provs[name] = inputs.provenance.get(name, {})
        titles[name] = CONTROL_LINE_ZH[name]
    frames["projects"] = inputs.projects
    provs["projects"] = inputs.provenance.get("projects", {})
    titles["projects"] = TITLES["projects"]
    if changes is not None:
        frames["monitored_changes"] = changes
        provs["monitored_changes"] = {
            "status": "illustrative"
            if changes.attrs.get("banner") or changes.attrs.get("illustrative")
            else "",
            "source": "hygis.monitor.example (fixed seed), classified by hygis.monitor.changes",
            "title": "变化图斑 change polygons, warning levels",
        }
        titles["monitored_changes"] = TITLES["monitored_changes"]
    plain = {name: _plain(gdf) for name, gdf in frames.items()}
    state_dir.mkdir(parents=True, exist_ok=True)
    io.write_layers(plain, path)
    return {name: _spec(name, plain[name], provs[name], titles[name], path) for name in plain}


__all__ = ["GPKG_NAME", "STATUS_ZH", "TITLES", "write_collections"]
