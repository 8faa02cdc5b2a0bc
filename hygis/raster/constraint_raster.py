"""The constraint raster: the three control lines and the county units burnt onto one grid.

Two bands (:func:`constraint_raster`):

* band 1 ``control_lines``: bit flags, 1 = ecological red line, 2 = permanent farmland,
  4 = urban development boundary (so 3, 5, 6, 7 are overlaps between the lines, which should
  not exist and are findings in themselves); 0 = none of them; 255 = outside the city.
  The codes, names and colours are data: ``data/constraint_classes.csv``.
* band 2 ``county``: 1 … n, the county units in order of their administrative code
  (the mapping is in the band's ``HYGIS_CLASSES`` tag and the summary table); 255 = outside.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.shutil
from rasterio.features import rasterize

from hygis.constants import M2_PER_HA, M2_PER_MU
from hygis.crs import area_crs_for, describe
from hygis.errors import HygisInputError
from hygis.messages import warn
from hygis.plan import layers
from hygis.raster.cog import write_cog
from hygis.raster.grid import Grid, burn, grid_for
from hygis.settings import DATA_DIR

#: NoData of hygis's class rasters (uint8).
CLASS_NODATA: int = 255


#: Bit of each control line in band 1 of the constraint raster.
CONTROL_LINE_BITS: dict[str, int] = {
    "ecological_redline": 1,
    "permanent_farmland": 2,
    "urban_development_boundary": 4,
}


# --------------------------------------------------------------------------- constraint raster
@lru_cache(maxsize=1)
def _constraint_classes() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "constraint_classes.csv", dtype={"code": int}, keep_default_na=False)


def constraint_classes() -> pd.DataFrame:
    """The class codes of band 1 of the constraint raster: code, key, name_zh, name_en, color, note."""
    return _constraint_classes().copy()


@dataclass
class ConstraintRaster:
    """The constraint raster in memory.

    Attributes
    ----------
    control_lines : ndarray (uint8)
        Band 1: bit flags of the three lines (see :func:`constraint_classes`); 255 outside the city.
    county : ndarray (uint8)
        Band 2: 1 … n in the order of ``counties``; 255 outside.
    counties : DataFrame
        ``index`` (the band-2 value), ``code``, ``name``, ``name_en``.
    grid : Grid
    notes : list of str
        Provenance and the illustrative banner, for every output built on it.
    """

    control_lines: np.ndarray
    county: np.ndarray
    counties: pd.DataFrame
    grid: Grid
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Area of each control-line class in each county: cells, ha, 亩 (ellipsoidal: each cell's area
        on the CGCS2000 ellipsoid, :meth:`hygis.raster.grid.Grid.cell_areas`) and share of the county."""
        classes = constraint_classes().set_index("code")
        inside = self.county != CLASS_NODATA
        n_class = 256
        key = self.county[inside].astype(np.int64) * n_class + self.control_lines[inside]
        counts = np.bincount(key, minlength=(len(self.counties) + 1) * n_class)
        cell_m2 = np.broadcast_to(self.grid.cell_areas(), self.county.shape)[inside]
        m2 = np.bincount(key, weights=cell_m2, minlength=(len(self.counties) + 1) * n_class)
        rows = []
        for c in self.counties.itertuples():
            county_total = counts[c.index * n_class : (c.index + 1) * n_class].sum()
            for code in np.flatnonzero(counts[c.index * n_class : (c.index + 1) * n_class]):
                cells = int(counts[c.index * n_class + code])
                rows.append(
                    {
                        "county_code": c.code,
                        "county": c.name,
                        "class_code": int(code),
                        "class": classes.loc[code, "name_zh"],
                        "class_en": classes.loc[code, "name_en"],
                        "cells": cells,
                        "area_ha": round(m2[c.index * n_class + code] / M2_PER_HA, 2),
                        "area_mu": round(m2[c.index * n_class + code] / M2_PER_MU, 1),
                        "share_of_county": round(cells / county_total, 4),
                    }
                )
        return pd.DataFrame(rows)


def constraint_raster(
    inputs=None, *, cell: float = 30.0, all_touched: bool = False, counties: gpd.GeoDataFrame | None = None
) -> ConstraintRaster:
    """Burn the three control lines and the county units onto one grid.

    Parameters
    ----------
    inputs : hygis.plan.PlanInputs, optional
        The plan's layers (default: the embedded ones); the user's control-line files replace
        the defaults as in ``hygis check``.
    cell : float
        Cell size in metres (30 m: about 29 million cells over Hengyang's extent).
    all_touched : bool
        Burn every cell a control line touches (a conservative, larger footprint) rather than
        the cells whose centre lies inside.
    counties : GeoDataFrame, optional
        County units with ``code`` and ``name`` (default: the embedded layer).

    Returns
    -------
    ConstraintRaster
    """
    from hygis.plan.inputs import illustrative_banner, resolve  # noqa: PLC0415 - plan imports layers, keep this light

    inputs = inputs if inputs is not None else resolve()
    counties = counties if counties is not None else layers.load("counties")
    lines = inputs.control_lines()
    crs = area_crs_for(counties, *lines.values())
    grid = grid_for(counties, cell=cell, crs=crs)
    counties = counties.sort_values("code").reset_index(drop=True)
    if len(counties) >= CLASS_NODATA:
        msg = f"The county layer has {len(counties)} units; the county band holds at most {CLASS_NODATA - 1}."
        raise HygisInputError(msg)
    county_band = np.full(grid.shape, CLASS_NODATA, dtype=np.uint8)
    shapes = [
        (g, i + 1) for i, g in enumerate(counties.to_crs(crs).geometry) if g is not None and not g.is_empty
    ]
    rasterize(shapes, out=county_band, transform=grid.transform, all_touched=False)
    lines_band = np.zeros(grid.shape, dtype=np.uint8)
    for name, gdf in lines.items():
        lines_band |= burn(
            gdf.to_crs(crs).geometry, grid, value=CONTROL_LINE_BITS[name], all_touched=all_touched
        )
    outside = county_band == CLASS_NODATA
    notes = [f"Grid: {grid.width} × {grid.height} cells of {grid.cell:g} m in {describe(crs)}."]
    clipped = int(np.count_nonzero(lines_band[outside]))
    if clipped:
        warn(
            f"{clipped:,} control-line cells lie outside the county units and were left out "
            "(the raster covers the city).",
            notes,
        )
    lines_band[outside] = CLASS_NODATA
    banner = illustrative_banner(inputs)
    if banner:
        notes.insert(0, banner)
    table = pd.DataFrame(
        {
            "index": np.arange(1, len(counties) + 1),
            "code": counties["code"].astype(str).to_numpy(),
            "name": counties["name"].to_numpy(),
            "name_en": counties["name_en"].to_numpy()
            if "name_en" in counties
            else counties["name"].to_numpy(),
        }
    )
    return ConstraintRaster(lines_band, county_band, table, grid, notes)


def write_constraints(path: str | os.PathLike, raster: ConstraintRaster) -> Path:
    """Write the constraint raster as a two-band COG with its legends in the metadata."""
    classes = constraint_classes()
    legend = [
        {"code": int(r.code), "name_zh": r.name_zh, "name_en": r.name_en, "color": r.color}
        for r in classes.itertuples()
    ]
    county_legend = [
        {"code": int(r.index), "county_code": r.code, "name_zh": r.name, "name_en": r.name_en}
        for r in raster.counties.itertuples()
    ]
    tags = {
        "HYGIS_PRODUCT": "constraint raster (三条控制线与县级行政区)",
        "HYGIS_NOTES": " | ".join(raster.notes),
        "HYGIS_CLASSES_SOURCE": "data/constraint_classes.csv",
    }
    band_tags = [
        {
            "HYGIS_CLASSES": json.dumps(legend, ensure_ascii=False),
            "HYGIS_ENCODING": "bit flags: 1 red line, 2 permanent farmland, 4 urban development boundary",
        },
        {"HYGIS_CLASSES": json.dumps(county_legend, ensure_ascii=False)},
    ]
    return write_cog(
        path,
        [raster.control_lines, raster.county],
        raster.grid,
        nodata=CLASS_NODATA,
        descriptions=["control_lines", "county"],
        tags=tags,
        band_tags=band_tags,
        categorical=True,
    )


def read_legend(path: str | os.PathLike, band: int = 1) -> list[dict[str, Any]]:
    """The class legend hygis stored in a raster's band metadata (empty if none)."""
    with rasterio.open(path) as ds:
        text = ds.tags(band).get("HYGIS_CLASSES")
    return json.loads(text) if text else []
