"""Quality assurance of the control lines: mutual overlaps, and the topology of a single layer.

The 2019 guiding opinion on the three control lines (《关于在国土空间规划中统筹划定落实三条控制线的
指导意见》) requires them 不交叉、不重叠、不冲突 — not to cross, overlap or conflict.
:func:`control_line_overlaps` finds every place where two of them overlap: red line ×
permanent farmland, red line × development boundary, farmland × development boundary,
each as a polygon with its area and the ids of the two features. :func:`topology` checks one
layer on its own: features overlapping each other, slivers, and gaps in a layer that should
tile (such as the county units).

Overlaps are cut in the CGCS2000 Gauss–Krüger CRS of :func:`hygis.crs.area_crs_for` (for
Hengyang EPSG:4546) and their areas are ellipsoidal (:mod:`hygis.engine.area`; planar on
request) in :func:`control_line_overlaps`; overlaps below :data:`hygis.overlay.NOISE_AREA_M2` (0.01 m²) are
floating-point noise along shared edges and are not reported.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis import io
from hygis.constants import CONTROL_LINE_ZH, M2_PER_HA, M2_PER_MU
from hygis.crs import area_crs_for, describe
from hygis.engine.area import ELLIPSOIDAL, PLANAR, measure
from hygis.engine.area import describe as describe_area
from hygis.engine.regions import NOISE_AREA_M2, overlapping_pairs
from hygis.errors import HygisInputError
from hygis.geometry import polygonal
from hygis.io.sources import split_layer
from hygis.plan import layers, resolve
from hygis.plan.inputs import PlanInputs, illustrative_banner

#: Columns that name a feature, tried in order; else the feature's number (``#1`` …).
ID_COLUMNS = (
    "redline_id",
    "patch_id",
    "udb_id",
    "code",
    "id",
    "ID",
    "fid",
    "编号",
    "图斑编号",
    "BSM",
    "name",
)

#: Sliver thresholds (defaults of :func:`topology`): a polygon part is a sliver if it is smaller
#: than ``SLIVER_AREA_M2`` — smaller than the patches land surveys map at all — or thinner than
#: ``SLIVER_WIDTH_M`` on average (mean width = 2 × area / perimeter: exact for a long strip,
#: the side of a square ÷ 2), i.e. a digitising artefact rather than land.
SLIVER_AREA_M2: float = 200.0
SLIVER_WIDTH_M: float = 2.0

OVERLAP_COLUMNS = [
    "pair",
    "pair_zh",
    "layer_a",
    "id_a",
    "layer_b",
    "id_b",
    "area_m2",
    "area_ha",
    "area_mu",
    "crs",
    "area_method",
]


def feature_ids(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """A readable id per feature: the first id-like column, else ``#1``, ``#2`` … (1-based order)."""
    col = next(
        (c for c in ID_COLUMNS if c in gdf.columns and gdf[c].notna().all() and gdf[c].is_unique), None
    )
    if col is None:
        return np.array([f"#{k + 1}" for k in range(len(gdf))], dtype=object)
    return gdf[col].astype(str).to_numpy(dtype=object)


def control_line_overlaps(
    inputs: PlanInputs | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    min_area_m2: float = NOISE_AREA_M2,
    area: str = ELLIPSOIDAL,
    planar_crs=None,
) -> gpd.GeoDataFrame:
    """Every overlap between two of the three control lines, one polygon per pair of features.

    Parameters
    ----------
    inputs : PlanInputs, optional
        The plan's layers (:func:`hygis.plan.inputs`); default the embedded ones.
    counties : GeoDataFrame, optional
        The plan's territory (default the embedded units): only used to choose the area CRS,
        :meth:`hygis.plan.PlanInputs.area_crs`, so that these areas agree with the statistics.
    min_area_m2 : float
        Smallest overlap reported (m², in the plane); the default only filters floating-point noise.
    area, planar_crs
        Ellipsoidal areas (the default, :mod:`hygis.engine.area`) or planar in ``planar_crs`` (default
        the area CRS); ``attrs["area_method"]`` says which.

    Returns
    -------
    geopandas.GeoDataFrame
        In the area CRS, columns ``pair`` (``ecological_redline × permanent_farmland`` …),
        ``pair_zh``, ``layer_a``, ``id_a``, ``layer_b``, ``id_b``, ``area_m2``, ``area_ha``,
        ``area_mu``, ``crs``, ``status`` (``ILLUSTRATIVE, NOT OFFICIAL`` where an illustrative
        layer is involved) and the overlap polygon. Empty (with these columns) when the lines
        do not overlap. ``attrs``: ``crs``, ``banner``, ``notes``, ``status``. Totals per pair
        of lines: :func:`overlap_totals`.
    """
    inputs = inputs or resolve()
    lines = inputs.control_lines()
    crs = CRS(planar_crs) if area == PLANAR and planar_crs is not None else inputs.area_crs(counties)
    crs_text = describe(crs)
    method = describe_area(area, crs if area == PLANAR else None)
    projected = {name: gdf.geometry.to_crs(crs).to_numpy() for name, gdf in lines.items()}
    ids = {name: feature_ids(gdf) for name, gdf in lines.items()}
    parts = []
    for a, b in combinations(layers.CONTROL_LINES, 2):
        i, j, inter = _cross_pairs(projected[a], projected[b], min_area_m2)
        m2 = measure(inter, crs, method=area)
        parts.append(
            pd.DataFrame(
                {
                    "pair": f"{a} × {b}",
                    "pair_zh": f"{CONTROL_LINE_ZH[a]} × {CONTROL_LINE_ZH[b]}",
                    "layer_a": a,
                    "id_a": ids[a][i],
                    "layer_b": b,
                    "id_b": ids[b][j],
                    "area_m2": m2,
                    "area_ha": m2 / M2_PER_HA,
                    "area_mu": m2 / M2_PER_MU,
                    "crs": crs_text,
                    "area_method": method,
                    "geometry": inter,
                },
                columns=[*OVERLAP_COLUMNS, "geometry"],
            )
        )
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
    illustrative = set(inputs.illustrative())
    out["status"] = [
        "ILLUSTRATIVE, NOT OFFICIAL" if {a, b} & illustrative else "user data"
        for a, b in zip(out["layer_a"], out["layer_b"])
    ]
    out = out.sort_values(["pair", "area_m2"], ascending=[True, False], kind="stable").reset_index(drop=True)
    out.attrs.update(
        {
            "crs": crs_text,
            "area_method": method,
            "banner": illustrative_banner(inputs),
            "notes": list(inputs.notes),
            "status": "ILLUSTRATIVE, NOT OFFICIAL" if illustrative else "user data",
        }
    )
    return out


def _cross_pairs(ga: np.ndarray, gb: np.ndarray, min_area_m2: float):
    """Overlaps between geometries of ``ga`` and ``gb``: indices into each, and the overlap polygons."""
    # The tree holds the larger layer; the smaller one is the (prepared) query side.
    if len(ga) >= len(gb):
        j, i = shapely.STRtree(ga).query(gb, predicate="intersects")
    else:
        i, j = shapely.STRtree(gb).query(ga, predicate="intersects")
    touch = shapely.touches(ga[i], gb[j])
    i, j = i[~touch], j[~touch]
    inter = polygonal(shapely.intersection(ga[i], gb[j]))
    big = shapely.area(inter) >= min_area_m2
    return i[big], j[big], inter[big]


def overlap_totals(overlaps: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per pair of lines: number of overlap polygons and their area (union: nested overlaps count once).

    Always three rows (zeros and an empty geometry where nothing overlaps), with the CRS; the
    geometry is the union of the pair's overlaps.
    """
    rows, geoms = [], []
    for a, b in combinations(layers.CONTROL_LINES, 2):
        pair = f"{a} × {b}"
        sub = overlaps[overlaps["pair"] == pair]
        union = shapely.union_all(sub.geometry.to_numpy()) if len(sub) else shapely.MultiPolygon()
        method = PLANAR if overlaps.attrs.get("area_method", "").startswith("planar") else ELLIPSOIDAL
        area = float(measure([union], overlaps.crs, method=method)[0]) if overlaps.crs is not None else 0.0
        rows.append(
            {
                "pair": pair,
                "pair_zh": f"{CONTROL_LINE_ZH[a]} × {CONTROL_LINE_ZH[b]}",
                "overlaps": len(sub),
                "area_m2": area,
                "area_ha": area / M2_PER_HA,
                "area_mu": area / M2_PER_MU,
                "crs": overlaps.attrs.get("crs", ""),
                "area_method": overlaps.attrs.get("area_method", ""),
            }
        )
        geoms.append(union)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=overlaps.crs)


def write_overlaps(overlaps: gpd.GeoDataFrame, path) -> Path:
    """Write the mutual-overlap QA.

    ``.gpkg``: layers ``overlaps`` (one polygon per pair of features) and ``totals`` (one row
    per pair of lines), in the area CRS. ``.csv``: the overlaps, then one 合计 (total) row per
    pair of lines, so that a file with no overlaps still says so.
    """
    totals = overlap_totals(overlaps)
    if Path(path).suffix.lower() == ".gpkg":
        return io.write_layers({"overlaps": overlaps, "totals": totals}, path)
    total_rows = pd.DataFrame(
        {
            "pair": totals["pair"],
            "pair_zh": totals["pair_zh"],
            "id_a": "合计 (total)",
            "id_b": [f"{n} overlap(s)" for n in totals["overlaps"]],
            "area_m2": totals["area_m2"],
            "area_ha": totals["area_ha"],
            "area_mu": totals["area_mu"],
            "crs": totals["crs"],
            "area_method": totals["area_method"],
            "status": overlaps["status"].iloc[0] if len(overlaps) else overlaps.attrs.get("status", ""),
        }
    )
    table = pd.concat([pd.DataFrame(overlaps.drop(columns="geometry")), total_rows], ignore_index=True)
    return io.write_table(table, path)


def topology_input(layer: str, *, crs=None) -> tuple[gpd.GeoDataFrame, object, str]:
    """The layer a topology check runs on, the CRS to measure it in, and its label.

    ``layer`` is an embedded layer's name (measured in the CRS of the plan's extent, so that its
    areas agree with the plan's other tables) or a polygon file (read with
    :func:`hygis.io.read_vector`, measured in the CRS of its own extent).
    """
    if layer in layers.names():
        gdf = layers.load(layer)
        return gdf, area_crs_for(gdf, layers.load("counties")), layer
    path, inner = split_layer(layer)
    if not path.exists():
        msg = f"'{layer}' is neither an embedded layer ({', '.join(layers.names())}) nor an existing file."
        raise HygisInputError(msg)
    gdf = io.read_vector(layer, crs=crs, geometry="polygon", label="topology input")
    return gdf, area_crs_for(gdf), f"{path.name}:{inner}" if inner else path.name


def write_topology(findings: gpd.GeoDataFrame, path) -> Path:
    """Write a topology check: ``.gpkg`` (layer ``findings``, area CRS) or ``.csv`` (no geometry)."""
    if Path(path).suffix.lower() == ".gpkg":
        return io.write_layers({"findings": findings}, path)
    return io.write_table(findings, path)


TOPOLOGY_COLUMNS = ["kind", "ids", "area_m2", "area_ha", "mean_width_m", "crs"]


def topology(
    gdf: gpd.GeoDataFrame,
    *,
    gaps: bool = False,
    sliver_area_m2: float = SLIVER_AREA_M2,
    sliver_width_m: float = SLIVER_WIDTH_M,
    min_area_m2: float = NOISE_AREA_M2,
    crs=None,
) -> gpd.GeoDataFrame:
    """Topology problems of one polygon layer: self-overlaps, slivers and (optionally) gaps.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons, any CRS (checked in :func:`hygis.crs.area_crs_for`'s CRS).
    gaps : bool
        The layer should tile its area (county units, land-use patches): report every hole in
        the union of the features, i.e. the gaps inside the layer's outer boundary. A true
        enclave (land of another unit inside this one) is reported too: judge it.
    sliver_area_m2 : float
        A polygon part smaller than this (m²) is a sliver (default :data:`SLIVER_AREA_M2`).
    sliver_width_m : float
        A polygon part whose mean width ``2 × area / perimeter`` (m) is below this is a sliver
        (default :data:`SLIVER_WIDTH_M`), whatever its area.
    min_area_m2 : float
        Overlaps and gaps smaller than this (m²) are floating-point noise and not reported.
    crs : CRS, optional
        The projected CRS to measure in; default ``area_crs_for(gdf)``. Pass the plan's
        (``PlanInputs.area_crs()``) to make the areas agree with the plan's other tables.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per finding, in the area CRS: ``kind`` (``self_overlap``, ``sliver``, ``gap``),
        ``ids`` (the features involved, ``;``-separated), ``area_m2``, ``area_ha``,
        ``mean_width_m``, ``crs`` and the polygon. ``attrs["summary"]`` counts each kind.
    """
    crs = crs if crs is not None else area_crs_for(gdf)
    crs_text = describe(crs)
    geoms = gdf.geometry.to_crs(crs).to_numpy()
    ids = feature_ids(gdf)
    frames = []

    i, j, inter = overlapping_pairs(geoms, min_area_m2=min_area_m2)
    frames.append(_findings("self_overlap", [f"{ids[a]};{ids[b]}" for a, b in zip(i, j)], inter))

    parts, owner = shapely.get_parts(geoms, return_index=True)
    width = _mean_width(parts)
    thin = (shapely.area(parts) < sliver_area_m2) | (width < sliver_width_m)
    frames.append(_findings("sliver", ids[owner[thin]], parts[thin]))

    if gaps:
        union = shapely.union_all(geoms)
        rings = [ring for poly in shapely.get_parts(union) for ring in poly.interiors]
        holes = np.array([shapely.Polygon(r) for r in rings], dtype=object)
        if len(holes):
            holes = holes[shapely.area(holes) >= min_area_m2]
        # Name each gap by the features around it.
        tree = shapely.STRtree(geoms)
        around = [
            ";".join(ids[tree.query(h, predicate="touches")]) or ";".join(ids[tree.query(h)]) for h in holes
        ]
        frames.append(_findings("gap", around, holes))

    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
    out["crs"] = crs_text
    out.attrs["crs"] = crs_text
    out.attrs["summary"] = {k: int((out["kind"] == k).sum()) for k in ("self_overlap", "sliver", "gap")}
    out.attrs["thresholds"] = {
        "sliver_area_m2": sliver_area_m2,
        "sliver_width_m": sliver_width_m,
        "min_area_m2": min_area_m2,
        "gaps_checked": gaps,
    }
    return out


def _mean_width(geoms: np.ndarray) -> np.ndarray:
    perimeter = shapely.length(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(perimeter > 0, 2.0 * shapely.area(geoms) / perimeter, 0.0)


def _findings(kind: str, ids, geoms) -> pd.DataFrame:
    geoms = np.asarray(geoms, dtype=object)
    area = shapely.area(geoms) if len(geoms) else np.array([], dtype=float)
    return pd.DataFrame(
        {
            "kind": kind,
            "ids": list(ids),
            "area_m2": area,
            "area_ha": area / M2_PER_HA,
            "mean_width_m": _mean_width(geoms) if len(geoms) else np.array([], dtype=float),
            "crs": "",
            "geometry": geoms,
        },
        columns=[*TOPOLOGY_COLUMNS, "geometry"],
    )


__all__ = [
    "control_line_overlaps",
    "overlap_totals",
    "write_overlaps",
    "topology",
    "write_topology",
    "topology_input",
    "feature_ids",
    "SLIVER_AREA_M2",
    "SLIVER_WIDTH_M",
]
