"""Construction-development suitability (城镇建设适宜性): a weighted overlay with hard exclusions.

The dual evaluation (双评价) grades each factor, combines the grades and excludes protected
land. hygis does that on one Gauss–Krüger grid (:func:`hygis.raster.grid_for`):

1. each factor (slope and elevation from a DEM; distance to the central city, to a county
   seat, to the urban development boundary and from the ecological red line) is graded 1–5
   by its breaks;
2. the weighted mean of the grades is classified by the class breaks into 不适宜 / 一般适宜 /
   适宜;
3. the ecological red line and permanent farmland are class 0, excluded whatever the score.

Factors, weights, breaks and classes are data: ``data/suitability_weights.json`` (the
defaults, with their source stated there), or the user's copy (``--weights``). Without a DEM
the terrain factors are left out, the remaining weights rescaled, and every output says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rasterio.features import rasterize
from scipy import ndimage

from hygis.constants import M2_PER_HA
from hygis.crs import WGS84, area_crs_for, describe
from hygis.errors import HygisInputError
from hygis.messages import warn
from hygis.plan import layers
from hygis.raster.cog import write_cog
from hygis.raster.constraint_raster import CLASS_NODATA
from hygis.raster.grid import Grid, burn, grid_for
from hygis.settings import DATA_DIR

#: Factors hygis knows how to compute, by key.
FACTOR_KEYS = (
    "slope",
    "elevation",
    "distance_central_city",
    "distance_county_seat",
    "distance_urban_development_boundary",
    "distance_ecological_redline",
)

DEFAULT_WEIGHTS = DATA_DIR / "suitability_weights.json"


def load_weights(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read and check a weights file (default: the packaged one).

    Raises
    ------
    HygisInputError
        Naming the file and the entry at fault: unknown factor, negative weight, breaks not
        increasing, scores not one more than breaks, classes not matching class breaks.
    """
    src = Path(path) if path is not None else DEFAULT_WEIGHTS
    label = src.name
    try:
        spec = json.loads(src.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"Weights file {src}: no such file."
        raise HygisInputError(msg) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"Weights file {label} is not valid JSON ({exc}). Start from a copy of {DEFAULT_WEIGHTS.name}."
        raise HygisInputError(msg) from None
    factors = spec.get("factors")
    if not isinstance(factors, list) or not factors:
        msg = f"Weights file {label}: no 'factors' list."
        raise HygisInputError(msg)
    for f in factors:
        key = f.get("key")
        where = f"{label}, factor '{key}'"
        if key not in FACTOR_KEYS:
            msg = f"{where}: unknown factor. hygis computes: {', '.join(FACTOR_KEYS)}."
            raise HygisInputError(msg)
        try:
            weight = float(f.get("weight"))
            breaks = [float(b) for b in f["breaks"]]
            scores = [float(s) for s in f["scores"]]
        except (TypeError, ValueError, KeyError) as exc:
            msg = f"{where}: needs a numeric 'weight', and 'breaks' and 'scores' lists of numbers ({exc})."
            raise HygisInputError(msg) from None
        if weight < 0 or not np.isfinite(weight):
            msg = f"{where}: the weight must be zero or positive, not {weight}."
            raise HygisInputError(msg)
        if any(b >= a for b, a in zip(breaks, breaks[1:])) or not breaks:
            msg = f"{where}: the breaks must increase strictly, got {breaks}."
            raise HygisInputError(msg)
        if len(scores) != len(breaks) + 1:
            msg = (
                f"{where}: give one score more than breaks "
                f"({len(breaks)} breaks → {len(breaks) + 1} scores), got {len(scores)}."
            )
            raise HygisInputError(msg)
        f["weight"], f["breaks"], f["scores"] = weight, breaks, scores
    if sum(f["weight"] for f in factors) <= 0:
        msg = f"{label}: the weights add up to zero."
        raise HygisInputError(msg)
    class_breaks = [float(b) for b in spec.get("class_breaks", [])]
    classes = spec.get("classes", [])
    graded = [c for c in classes if int(c.get("code", -1)) != 0]
    if len(graded) != len(class_breaks) + 1 or any(b >= a for b, a in zip(class_breaks, class_breaks[1:])):
        msg = (
            f"{label}: 'class_breaks' must increase and give one class fewer than "
            f"the classes numbered 1, 2, … ({len(graded)})."
        )
        raise HygisInputError(msg)
    unknown = [
        e
        for e in spec.get("exclusions", [])
        if e not in ("ecological_redline", "permanent_farmland", "urban_development_boundary")
    ]
    if unknown:
        msg = (
            f"{label}: unknown exclusion(s) {', '.join(unknown)}; use ecological_redline, permanent_farmland."
        )
        raise HygisInputError(msg)
    spec["class_breaks"] = class_breaks
    spec["path"] = str(src)
    return spec


@dataclass
class Suitability:
    """The result of :func:`suitability`.

    Attributes
    ----------
    classes : ndarray (uint8)
        0 excluded, 1 … n suitability classes, 255 outside the city.
    score : ndarray (float32)
        Weighted mean grade (1–5), NaN outside the city.
    grid : Grid
    spec : dict
        The weights file used.
    used, left_out : list of str
        Factor keys used, and left out with the reason (``key: reason``).
    notes : list of str
        Provenance, the illustrative banner and what was left out.
    """

    classes: np.ndarray
    score: np.ndarray
    grid: Grid
    spec: dict[str, Any]
    used: list[str]
    left_out: list[str]
    county: np.ndarray
    counties: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def legend(self) -> list[dict[str, Any]]:
        return [{k: c[k] for k in ("code", "name_zh", "name_en", "color")} for c in self.spec["classes"]]

    def summary(self) -> pd.DataFrame:
        """Area of each class, for the city and each county: ha (ellipsoidal, as official figures:
        :meth:`hygis.raster.grid.Grid.cell_areas`) and share."""
        cell_ha = np.broadcast_to(self.grid.cell_areas(), self.classes.shape) / M2_PER_HA
        rows = []
        inside = self.classes != CLASS_NODATA
        units = [("全市", "city", inside)] + [
            (c.name, c.code, self.county == c.index) for c in self.counties.itertuples()
        ]
        for name, code, mask in units:
            counts = np.bincount(self.classes[mask], minlength=256)
            ha = np.bincount(self.classes[mask], weights=cell_ha[mask], minlength=256)
            total = counts[:255].sum()
            for c in self.spec["classes"]:
                n = int(counts[int(c["code"])])
                rows.append(
                    {
                        "unit": name,
                        "unit_code": code,
                        "class_code": int(c["code"]),
                        "class": c["name_zh"],
                        "class_en": c["name_en"],
                        "area_ha": round(float(ha[int(c["code"])]), 1),
                        "share": round(n / total, 4) if total else np.nan,
                    }
                )
        return pd.DataFrame(rows)


def _grade(values: np.ndarray, breaks: list[float], scores: list[float]) -> np.ndarray:
    idx = np.digitize(values, breaks, right=False)
    return np.asarray(scores, dtype="float32")[idx]


def _distance(mask: np.ndarray, cell: float) -> np.ndarray | None:
    """Euclidean distance (m) from every cell to the nearest True cell; None if there is none."""
    if not mask.any():
        return None
    return (ndimage.distance_transform_edt(~mask) * cell).astype("float32")


def suitability(
    inputs=None,
    *,
    cell: float = 100.0,
    weights: str | os.PathLike | Mapping | None = None,
    dem: str | os.PathLike | None = None,
    download_dem: bool = True,
    dem_base_url: str | None = None,
    report: Callable[[str], None] = lambda _m: None,
) -> Suitability:
    """Classify the city's land by suitability for construction.

    Parameters
    ----------
    inputs : hygis.plan.PlanInputs, optional
        The plan's layers (default: the embedded ones).
    cell : float
        Cell size in metres (100 m: about 2.6 million cells, a few seconds for the city).
    weights : path or dict, optional
        Weights file (default ``data/suitability_weights.json``).
    dem : path, optional
        The user's DEM; otherwise Copernicus GLO-30 tiles from the cache or the network.
    download_dem : bool
        False: use only cached tiles (no network).
    dem_base_url : str, optional
        Tile server (default the public AWS bucket, or ``$HYGIS_DEM_URL``).
    report : callable
        Receives progress lines.
    """
    from hygis.plan import resolve  # noqa: PLC0415
    from hygis.plan.inputs import illustrative_banner  # noqa: PLC0415
    from hygis.raster import dem as dem_mod  # noqa: PLC0415

    spec = dict(weights) if isinstance(weights, Mapping) else load_weights(weights)
    inputs = inputs if inputs is not None else resolve()
    counties = layers.load("counties").sort_values("code").reset_index(drop=True)
    lines = inputs.control_lines()
    grid = grid_for(counties, cell=cell, crs=area_crs_for(counties, *lines.values()))
    crs = grid.crs
    county_band = np.full(grid.shape, CLASS_NODATA, dtype=np.uint8)
    rasterize(
        [(g, i + 1) for i, g in enumerate(counties.to_crs(crs).geometry)],
        out=county_band,
        transform=grid.transform,
    )
    inside = county_band != CLASS_NODATA
    notes: list[str] = [f"Grid: {grid.width} × {grid.height} cells of {grid.cell:g} m in {describe(crs)}."]
    banner = illustrative_banner(inputs)
    if banner:
        notes.insert(0, banner)

    wanted = {f["key"] for f in spec["factors"] if f["weight"] > 0}
    values: dict[str, np.ndarray] = {}
    left_out: list[str] = []
    if wanted & {"slope", "elevation"}:
        bounds = counties.to_crs(WGS84).total_bounds
        try:
            path, source = dem_mod.dem_for(
                bounds, dem_path=dem, base_url=dem_base_url, download=download_dem, report=report
            )
            report(f"DEM: {path}")
            elevation = dem_mod.read_on_grid(path, grid)
            if not np.isfinite(elevation[inside]).any():
                msg = f"No DEM: {Path(path).name} does not cover the city."
                raise dem_mod.DemUnavailable(msg)
            values["elevation"] = elevation
            values["slope"] = dem_mod.slope_degrees(elevation, grid.cell)
            notes.append(source)
        except dem_mod.DemUnavailable as exc:
            reason = str(exc)
            left_out += [f"{k}: no DEM" for k in ("slope", "elevation") if k in wanted]
            warn(
                f"Terrain left out (slope, elevation): {reason} The suitability uses the other factors only.",
                notes,
            )

    urban = layers.load("urban_system").to_crs(crs)
    located = urban[urban.geometry.notna() & ~urban.geometry.is_empty]
    if "distance_central_city" in wanted:
        d = _distance(burn(located[located["tier"] == 1].geometry, grid).astype(bool), grid.cell)
        if d is None:
            left_out.append("distance_central_city: the urban_system layer has no located central city")
        else:
            values["distance_central_city"] = d
    if "distance_county_seat" in wanted:
        d = _distance(
            burn(located[located["tier"] == 2].geometry, grid, all_touched=True).astype(bool), grid.cell
        )
        if d is None:
            left_out.append("distance_county_seat: no county seat is located in the urban_system layer")
        else:
            values["distance_county_seat"] = d
    for key, line in (
        ("distance_urban_development_boundary", "urban_development_boundary"),
        ("distance_ecological_redline", "ecological_redline"),
    ):
        if key in wanted:
            d = _distance(burn(lines[line].to_crs(crs).geometry, grid).astype(bool), grid.cell)
            if d is None:
                left_out.append(f"{key}: the {line.replace('_', ' ')} layer is empty")
            else:
                values[key] = d

    used = [f for f in spec["factors"] if f["key"] in values and f["weight"] > 0]
    if not used:
        msg = "No suitability factor could be computed: " + "; ".join(left_out)
        raise HygisInputError(msg)
    total_w = sum(f["weight"] for f in used)
    score = np.zeros(grid.shape, dtype="float32")
    for f in used:
        score += (f["weight"] / total_w) * _grade(values[f["key"]], f["breaks"], f["scores"])
    terrain_missing = np.zeros(grid.shape, dtype=bool)
    for key in ("slope", "elevation"):
        if key in values:
            terrain_missing |= ~np.isfinite(values[key])
    if terrain_missing[inside].any():
        warn(
            f"{int(terrain_missing[inside].sum()):,} cells have no DEM value: they are left without a class.",
            notes,
        )
    score[~inside | terrain_missing] = np.nan
    if left_out:
        kept = ", ".join(f"{f['key']} {f['weight'] / total_w:.0%}" for f in used)
        warn(f"Weights rescaled over the factors used: {kept}.", notes)

    graded = sorted((c for c in spec["classes"] if int(c["code"]) != 0), key=lambda c: int(c["code"]))
    codes = np.array([int(c["code"]) for c in graded], dtype=np.uint8)
    classes = np.full(grid.shape, CLASS_NODATA, dtype=np.uint8)
    valid = np.isfinite(score)
    classes[valid] = codes[np.digitize(score[valid], spec["class_breaks"], right=False)]
    excluded = np.zeros(grid.shape, dtype=bool)
    for name in spec.get("exclusions", []):
        excluded |= burn(lines[name].to_crs(crs).geometry, grid).astype(bool)
    classes[excluded & inside] = 0
    notes.append(
        "Hard exclusions (class 0): "
        + ", ".join(n.replace("_", " ") for n in spec.get("exclusions", []))
        + f". Weights and breaks: {Path(spec.get('path', 'dict')).name} ({spec.get('source', '')})"
    )
    table = pd.DataFrame(
        {
            "index": np.arange(1, len(counties) + 1),
            "code": counties["code"].astype(str).to_numpy(),
            "name": counties["name"].to_numpy(),
        }
    )
    return Suitability(
        classes, score, grid, spec, [f["key"] for f in used], left_out, county_band, table, notes
    )


def write_suitability(path: str | os.PathLike, result: Suitability) -> dict[str, Path]:
    """Write the class raster (COG) and, beside it, ``.csv`` and ``.json``.

    The CSV holds the areas, the JSON the legend, factors and notes.
    """
    from hygis import io  # noqa: PLC0415

    target = Path(path)
    legend = result.legend()
    meta = {
        "product": "construction-development suitability (城镇建设适宜性)",
        "legend": legend,
        "factors_used": [
            {k: f[k] for k in ("key", "name_zh", "name_en", "weight", "breaks", "scores") if k in f}
            for f in result.spec["factors"]
            if f["key"] in result.used
        ],
        "left_out": result.left_out,
        "class_breaks": result.spec["class_breaks"],
        "exclusions": result.spec.get("exclusions", []),
        "weights_file": result.spec.get("path", ""),
        "weights_source": result.spec.get("source", ""),
        "notes": result.notes,
        "cell_m": result.grid.cell,
        "crs": describe(result.grid.crs),
    }
    tif = write_cog(
        target,
        [result.classes],
        result.grid,
        nodata=CLASS_NODATA,
        descriptions=["suitability_class"],
        tags={
            "HYGIS_PRODUCT": meta["product"],
            "HYGIS_NOTES": " | ".join(result.notes),
            "HYGIS_FACTORS": ", ".join(result.used),
            "HYGIS_LEFT_OUT": " | ".join(result.left_out) or "none",
        },
        band_tags=[{"HYGIS_CLASSES": json.dumps(legend, ensure_ascii=False)}],
        categorical=True,
    )
    csv = io.write_table(result.summary(), target.with_suffix(".csv"))
    js = io.write_text(json.dumps(meta, ensure_ascii=False, indent=2), target.with_suffix(".json"))
    return {"raster": tif, "summary": csv, "legend": js}


__all__ = [
    "suitability",
    "write_suitability",
    "load_weights",
    "Suitability",
    "FACTOR_KEYS",
    "DEFAULT_WEIGHTS",
]
