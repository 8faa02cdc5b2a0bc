"""Protected areas (自然保护地) met by the sites: core protection zones and reserves with their own laws.

自然资发〔2022〕142号 一(一) lets the limited human activities into the red line only outside a
自然保护地核心保护区, and says that inside 自然保护区, 风景名胜区 and 饮用水水源保护区 their own
laws and regulations apply. The red line layer does not say where those are: a planner gives them
as an optional layer (``hygis check --protected-areas``), one polygon per area or zone, with its
name, kind (``自然保护区``, ``风景名胜区`` …) and functional zone (``核心保护区``/``一般控制区``,
or the older ``核心区``/``缓冲区``/``实验区``; field aliases in ``data/field_aliases.csv``, zone
values in ``data/protected_zones.csv``). A feature without a zone is taken as a whole area: its
own laws apply, but it is no core zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis.check.rules import NULL
from hygis.errors import HygisInputError
from hygis.io.fields import find_field, normalise_name
from hygis.settings import DATA_DIR

#: Overlaps below this (m²) are slivers of shared edges, as in the verdicts of the control lines.
TOLERANCE_M2 = 0.01


@lru_cache(maxsize=1)
def zone_values() -> dict[str, str]:
    """Functional-zone value → ``core`` or ``general`` (``data/protected_zones.csv``).

    >>> zone_values()["核心保护区"], zone_values()["实验区"]
    ('core', 'general')
    """
    table = pd.read_csv(
        DATA_DIR / "protected_zones.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    return {normalise_name(v): z for v, z in zip(table["value"], table["zone"])}


def prepare_protected_areas(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The protected-area layer with ``name``, ``kind`` and ``zone`` (``core``/``general``/``""``).

    Raises
    ------
    HygisInputError
        A zone value hygis does not know, or a layer without a CRS.
    """
    if areas.crs is None:
        msg = "protected areas: the layer has no CRS; give it one (--crs EPSG:4490 …)."
        raise HygisInputError(msg)
    cols = {field: find_field(areas.columns, f"protected_{field}") for field in ("name", "kind", "zone")}
    out = gpd.GeoDataFrame(
        {
            field: areas[col].fillna("").astype(str).str.strip() if col else pd.Series("", index=areas.index)
            for field, col in cols.items()
        },
        geometry=areas.geometry.values,
        crs=areas.crs,
    )
    zones = zone_values()
    folded = out["zone"].map(normalise_name)
    unknown = sorted(set(out["zone"][(folded != "") & ~folded.isin(zones)]))
    if unknown:
        msg = (
            f"protected areas: functional zone value(s) {', '.join(unknown)} are not known; use "
            "核心保护区 or 一般控制区 (or 核心区 / 缓冲区 / 实验区): data/protected_zones.csv."
        )
        raise HygisInputError(msg)
    out["zone"] = folded.map(zones).fillna("")
    out["label"] = [
        f"{n or '未命名保护地'}（{k or '自然保护地'}{'，核心保护区' if z == 'core' else ''}）"
        for n, k, z in zip(out["name"], out["kind"], out["zone"])
    ]
    return out[~out.geometry.is_empty & out.geometry.notna()]


@dataclass
class ProtectedOverlap:
    """Which protected areas each site meets.

    Attributes
    ----------
    core : ndarray of bool
        The site overlaps a 核心保护区 (or 核心区/缓冲区).
    labels : ndarray of str
        The areas it overlaps (name, kind, zone), ``；``-joined; ``""`` where none.
    """

    core: np.ndarray
    labels: np.ndarray


def protected_overlap(
    sites: np.ndarray, points: np.ndarray, area_crs: Any, areas: gpd.GeoDataFrame | None
) -> ProtectedOverlap:
    """The protected areas each site (in ``area_crs``) meets: by area for sites, containment for points.

    ``points`` marks sites checked by containment (the site is then the point itself).
    """
    n = len(sites)
    core = np.zeros(n, dtype=bool)
    labels = np.full(n, "", dtype=object)
    if areas is None or len(areas) == 0:
        return ProtectedOverlap(core, labels)
    layer = prepare_protected_areas(areas).to_crs(area_crs)
    geoms = shapely.make_valid(layer.geometry.to_numpy())
    tree = shapely.STRtree(geoms)
    have = np.array([g is not None and not shapely.is_empty(g) for g in sites], dtype=bool)
    site_idx, area_idx = tree.query(np.where(have, sites, NULL), predicate="intersects")
    hits: dict[int, list[int]] = {}
    for i, j in zip(site_idx.tolist(), area_idx.tolist()):
        if not points[i]:
            piece = shapely.intersection(sites[i], geoms[j])
            if shapely.area(piece) <= TOLERANCE_M2:
                continue
        hits.setdefault(i, []).append(j)
    zone = layer["zone"].to_numpy()
    label = layer["label"].to_numpy()
    for i, found in hits.items():
        core[i] = bool((zone[found] == "core").any())
        labels[i] = "；".join(dict.fromkeys(label[found].tolist()))
    return ProtectedOverlap(core, labels)


__all__ = ["TOLERANCE_M2", "ProtectedOverlap", "prepare_protected_areas", "protected_overlap", "zone_values"]
