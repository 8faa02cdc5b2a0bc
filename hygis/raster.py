"""Raster grids, reading and Cloud-Optimized GeoTIFF writing, and the constraint raster.

One grid rule for every raster hygis makes: cells of a whole number of metres in the
CGCS2000 Gauss–Krüger CRS that :func:`hygis.crs.area_crs_for` picks for the data (EPSG:4546
for Hengyang), with the origin snapped to a multiple of the cell size so that two rasters
of the same cell size from hygis always align cell for cell.

The constraint raster (:func:`constraint_raster`) burns the three control lines and the
county units onto one such grid, two bands:

* band 1 ``control_lines``: bit flags, 1 = ecological red line, 2 = permanent farmland,
  4 = urban development boundary (so 3, 5, 6, 7 are overlaps between the lines, which should
  not exist and are findings in themselves); 0 = none of them; 255 = outside the city.
  The codes, names and colours are data: ``data/constraint_classes.csv``.
* band 2 ``county``: 1 … n, the county units in order of their administrative code
  (the mapping is in the band's ``HYGIS_CLASSES`` tag and the summary table); 255 = outside.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.shutil
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.features import rasterize
from rasterio.io import MemoryFile

from . import io, layers
from .crs import area_crs_for, describe
from .errors import HygisInputError, HygisOutputError
from .settings import DATA_DIR, M2_PER_HA, M2_PER_MU

#: Most cells hygis puts in one grid (one byte each per band): about 10 m cells over Hengyang.
MAX_CELLS: int = 300_000_000

#: Fewest cells along the shorter side of a grid: coarser grids cannot show a control line.
MIN_CELLS_SIDE: int = 10

#: Block (tile) size of the GeoTIFFs hygis writes, in pixels.
BLOCKSIZE: int = 256

#: NoData of hygis's class rasters (uint8).
CLASS_NODATA: int = 255

#: Bit of each control line in band 1 of the constraint raster.
CONTROL_LINE_BITS: dict[str, int] = {"ecological_redline": 1, "permanent_farmland": 2, "urban_development_boundary": 4}


# --------------------------------------------------------------------------- grids
@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: CRS, affine transform and size.

    Attributes
    ----------
    crs : pyproj.CRS
    transform : affine.Affine
        Pixel corner → map coordinates (metres in a Gauss–Krüger CRS).
    width, height : int
        Columns and rows.
    """

    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def cell(self) -> float:
        """Cell size in CRS units (metres)."""
        return float(self.transform.a)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        left, top = self.transform.c, self.transform.f
        return (left, top - self.height * self.cell, left + self.width * self.cell, top)

    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x (1 × width) and y (height × 1) coordinates, broadcastable."""
        x = self.transform.c + (np.arange(self.width) + 0.5) * self.cell
        y = self.transform.f - (np.arange(self.height) + 0.5) * self.cell
        return x[np.newaxis, :], y[:, np.newaxis]

    def profile(self, dtype: str, nodata: float | None, count: int = 1) -> dict[str, Any]:
        """A rasterio profile for a GeoTIFF on this grid."""
        return {
            "driver": "GTiff", "width": self.width, "height": self.height, "count": count, "dtype": dtype,
            "crs": rasterio.crs.CRS.from_wkt(self.crs.to_wkt()), "transform": self.transform, "nodata": nodata,
        }


def grid_for(
    *frames: gpd.GeoDataFrame | None, cell: float = 30.0, crs: CRS | None = None, pad_cells: int = 1
) -> Grid:
    """The grid of ``cell`` metres that covers the frames, in their Gauss–Krüger area CRS.

    Parameters
    ----------
    *frames : GeoDataFrame
        Any CRS; the grid covers the union of their extents.
    cell : float
        Cell size in metres.
    crs : pyproj.CRS, optional
        Default :func:`hygis.crs.area_crs_for` of the frames (never choose another yourself).
    pad_cells : int
        Cells added on every side, so that edge features are not clipped.

    Raises
    ------
    HygisInputError
        If the cell size is not positive, so large that the grid has fewer than
        :data:`MIN_CELLS_SIDE` cells across, or so small that it exceeds :data:`MAX_CELLS`.
    """
    try:
        cell = float(cell)
    except (TypeError, ValueError):
        msg = f"The cell size must be a number of metres, not {cell!r}."
        raise HygisInputError(msg) from None
    if not math.isfinite(cell) or cell <= 0:
        msg = f"The cell size must be a positive number of metres, not {cell}."
        raise HygisInputError(msg)
    crs = CRS(crs) if crs is not None else area_crs_for(*frames)
    boxes = [f.to_crs(crs).total_bounds for f in frames if f is not None and len(f)]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if not boxes:
        msg = "Cannot lay a grid: none of the inputs has a geometry."
        raise HygisInputError(msg)
    arr = np.array(boxes)
    minx, miny, maxx, maxy = arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()
    left = (math.floor(minx / cell) - pad_cells) * cell
    bottom = (math.floor(miny / cell) - pad_cells) * cell
    right = (math.ceil(maxx / cell) + pad_cells) * cell
    top = (math.ceil(maxy / cell) + pad_cells) * cell
    width, height = int(round((right - left) / cell)), int(round((top - bottom) / cell))
    span_km = min(maxx - minx, maxy - miny) / 1000
    if min(width, height) - 2 * pad_cells < MIN_CELLS_SIDE:
        finest = (min(maxx - minx, maxy - miny)) / MIN_CELLS_SIDE
        msg = (
            f"A cell size of {cell:,.0f} m is too coarse: the area is {span_km:,.1f} km across, which gives fewer than "
            f"{MIN_CELLS_SIDE} cells. Use --cell {max(1, int(finest // 10 * 10)):,} m or less (30–100 m is usual for a city)."
        )
        raise HygisInputError(msg)
    if width * height > MAX_CELLS:
        coarsest = math.sqrt((right - left) * (top - bottom) / MAX_CELLS)
        msg = (
            f"A cell size of {cell:g} m gives {width:,} × {height:,} = {width * height / 1e6:,.0f} million cells, more than "
            f"hygis's limit of {MAX_CELLS / 1e6:,.0f} million. Use --cell {math.ceil(coarsest)} m or more."
        )
        raise HygisInputError(msg)
    return Grid(crs=crs, transform=Affine(cell, 0, left, 0, -cell, top), width=width, height=height)


def burn(geoms: Iterable, grid: Grid, *, value: int = 1, all_touched: bool = False, dtype: str = "uint8") -> np.ndarray:
    """Rasterize geometries (already in the grid's CRS) to a 0/value array on the grid.

    ``all_touched=False`` burns the cells whose centre is inside (GDAL's default);
    ``True`` every cell the geometry touches.
    """
    shapes = [(g, value) for g in geoms if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(grid.shape, dtype=dtype)
    return rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype=dtype, all_touched=all_touched)


# --------------------------------------------------------------------------- reading
def open_raster(path: str | os.PathLike, *, label: str = "raster") -> rasterio.DatasetReader:
    """Open a raster for reading, with a clear message when it cannot be used.

    Raises
    ------
    HygisInputError
        If the file is missing, not a raster GDAL can read (corrupt, truncated, a vector
        file), or rotated.
    """
    src_path = Path(path)
    if not src_path.exists():
        msg = f"{label} {src_path}: no such file."
        raise HygisInputError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            ds = rasterio.open(src_path)
    except RasterioIOError as exc:
        msg = (
            f"{label} {src_path.name}: not a raster GDAL can read ({exc}). The file may be corrupt or incomplete "
            "(download it again), or not a raster at all (GeoTIFF .tif, .img, .vrt … are; .shp, .gpkg vectors are not)."
        )
        raise HygisInputError(msg) from None
    # Outputs must never overwrite an input (hygis.io refuses paths recorded here).
    io._INPUT_PATHS.add(src_path.resolve())
    t = ds.transform
    if t.b != 0 or t.d != 0:
        ds.close()
        msg = f"{label} {src_path.name}: the raster is rotated (its geotransform has rotation terms). Warp it north-up first (gdalwarp)."
        raise HygisInputError(msg)
    return ds


def check_readable(ds: rasterio.DatasetReader, *, label: str = "raster") -> None:
    """Read the raster's first and last block: catches files cut short (a truncated download)."""
    try:
        windows = [w for _, w in ds.block_windows(1)]
        for w in {0: windows[0], 1: windows[-1]}.values():
            ds.read(1, window=w)
    except Exception as exc:  # GDAL raises various IO errors for damaged data
        msg = f"{label} {Path(ds.name).name}: the file is damaged or incomplete ({exc}). Download or export it again."
        raise HygisInputError(msg) from None


# --------------------------------------------------------------------------- writing
def cog_driver_available() -> bool:
    """True where rasterio's GDAL has the COG driver (GDAL ≥ 3.1)."""
    with rasterio.Env() as env:
        return "COG" in env.drivers()


def write_cog(
    path: str | os.PathLike,
    bands: Sequence[np.ndarray],
    grid: Grid,
    *,
    nodata: float | None,
    descriptions: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    band_tags: Sequence[Mapping[str, str]] | None = None,
    categorical: bool = True,
    use_cog_driver: bool | None = None,
) -> Path:
    """Write bands as a tiled, DEFLATE-compressed Cloud-Optimized GeoTIFF with overviews, atomically.

    Uses GDAL's COG driver where available, else GTiff with internal overviews copied in
    front of the data (``COPY_SRC_OVERVIEWS``), which is the same layout.

    Parameters
    ----------
    path : path
        Output ``.tif``.
    bands : sequence of 2-D arrays
        One per band, each ``grid.shape``, all of one dtype.
    nodata : number or None
    descriptions : sequence of str, optional
        Band names.
    tags, band_tags : mappings, optional
        Dataset and per-band metadata (legends, provenance).
    categorical : bool
        Overviews by MODE (class rasters) rather than AVERAGE (continuous values).
    use_cog_driver : bool, optional
        Force the COG driver on or off (default: use it where GDAL has it).

    Returns
    -------
    Path
        The file written; checked with :func:`verify_cog`.
    """
    target = Path(path)
    if target.suffix.lower() not in (".tif", ".tiff"):
        msg = f"{target.name}: a raster output must end in .tif (a Cloud-Optimized GeoTIFF)."
        raise HygisOutputError(msg)
    stack = np.stack([np.asarray(b) for b in bands])
    dtype = stack.dtype.name
    resampling = "MODE" if categorical else "AVERAGE"
    predictor = "2" if np.issubdtype(stack.dtype, np.integer) else "3"
    use_cog = cog_driver_available() if use_cog_driver is None else use_cog_driver
    with MemoryFile() as mem:
        with mem.open(**grid.profile(dtype, nodata, count=stack.shape[0])) as tmp:
            tmp.write(stack)
            for i, text in enumerate(descriptions or [], start=1):
                tmp.set_band_description(i, text)
            if tags:
                tmp.update_tags(**{k: str(v) for k, v in tags.items()})
            for i, bt in enumerate(band_tags or [], start=1):
                if bt:
                    tmp.update_tags(i, **{k: str(v) for k, v in bt.items()})
            if not use_cog:
                factors = _overview_factors(grid.width, grid.height)
                if factors:
                    tmp.build_overviews(factors, getattr(Resampling, resampling.lower()))
        with mem.open() as src, io.atomic_path(target) as out:
            if use_cog:
                rasterio.shutil.copy(
                    src, out, driver="COG", COMPRESS="DEFLATE", PREDICTOR=predictor, BLOCKSIZE=str(BLOCKSIZE),
                    OVERVIEW_RESAMPLING=resampling, NUM_THREADS="ALL_CPUS", BIGTIFF="IF_SAFER",
                )
            else:
                rasterio.shutil.copy(
                    src, out, driver="GTiff", TILED="YES", BLOCKXSIZE=str(BLOCKSIZE), BLOCKYSIZE=str(BLOCKSIZE),
                    COMPRESS="DEFLATE", PREDICTOR=predictor, COPY_SRC_OVERVIEWS="YES", BIGTIFF="IF_SAFER",
                )
            verify_cog(out)
    return target.resolve()


def _overview_factors(width: int, height: int) -> list[int]:
    factors, f = [], 2
    while max(width, height) / f >= BLOCKSIZE // 2:
        factors.append(f)
        f *= 2
    return factors


def verify_cog(path: str | os.PathLike) -> dict[str, Any]:
    """Check with rasterio that a GeoTIFF is tiled, compressed and has overviews.

    Overviews are required only when the raster is larger than one block.

    Returns
    -------
    dict
        ``tiled``, ``blocksize``, ``compression``, ``overviews`` (factors of band 1), ``layout``.

    Raises
    ------
    HygisOutputError
        If it is not.
    """
    with rasterio.open(path) as ds:
        info = {
            "tiled": bool(ds.profile.get("tiled", False)) or ds.block_shapes[0][1] < ds.width,
            "blocksize": ds.block_shapes[0],
            "compression": ds.compression.name if ds.compression else None,
            "overviews": ds.overviews(1),
            "layout": ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT", ""),
        }
        big = max(ds.width, ds.height) > ds.block_shapes[0][1]
    problems = []
    if not info["tiled"]:
        problems.append("not tiled")
    if info["compression"] is None:
        problems.append("not compressed")
    if big and not info["overviews"]:
        problems.append("no overviews")
    if problems:
        msg = f"{Path(path).name}: the GeoTIFF written is {', '.join(problems)}; this is a bug in hygis, please report it."
        raise HygisOutputError(msg)
    return info


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
        """Area of each control-line class in each county: cells, ha, 亩 and share of the county."""
        classes = constraint_classes().set_index("code")
        inside = self.county != CLASS_NODATA
        n_class = 256
        key = self.county[inside].astype(np.int64) * n_class + self.control_lines[inside]
        counts = np.bincount(key, minlength=(len(self.counties) + 1) * n_class)
        cell_m2 = self.grid.cell**2
        rows = []
        for c in self.counties.itertuples():
            county_total = counts[c.index * n_class : (c.index + 1) * n_class].sum()
            for code in np.flatnonzero(counts[c.index * n_class : (c.index + 1) * n_class]):
                cells = int(counts[c.index * n_class + code])
                rows.append({
                    "county_code": c.code, "county": c.name, "class_code": int(code),
                    "class": classes.loc[code, "name_zh"], "class_en": classes.loc[code, "name_en"], "cells": cells,
                    "area_ha": round(cells * cell_m2 / M2_PER_HA, 2), "area_mu": round(cells * cell_m2 / M2_PER_MU, 1),
                    "share_of_county": round(cells / county_total, 4),
                })
        return pd.DataFrame(rows)


def constraint_raster(inputs=None, *, cell: float = 30.0, all_touched: bool = False, counties: gpd.GeoDataFrame | None = None) -> ConstraintRaster:
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
    from .plan import illustrative_banner, resolve  # noqa: PLC0415 - plan imports layers, keep this light

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
    shapes = [(g, i + 1) for i, g in enumerate(counties.to_crs(crs).geometry) if g is not None and not g.is_empty]
    rasterize(shapes, out=county_band, transform=grid.transform, all_touched=False)
    lines_band = np.zeros(grid.shape, dtype=np.uint8)
    for name, gdf in lines.items():
        lines_band |= burn(gdf.to_crs(crs).geometry, grid, value=CONTROL_LINE_BITS[name], all_touched=all_touched)
    outside = county_band == CLASS_NODATA
    notes = [f"Grid: {grid.width} × {grid.height} cells of {grid.cell:g} m in {describe(crs)}."]
    clipped = int(np.count_nonzero(lines_band[outside]))
    if clipped:
        notes.append(f"{clipped:,} control-line cells lie outside the county units and were left out (the raster covers the city).")
    lines_band[outside] = CLASS_NODATA
    banner = illustrative_banner(inputs)
    if banner:
        notes.insert(0, banner)
    table = pd.DataFrame({
        "index": np.arange(1, len(counties) + 1), "code": counties["code"].astype(str).to_numpy(),
        "name": counties["name"].to_numpy(),
        "name_en": counties["name_en"].to_numpy() if "name_en" in counties else counties["name"].to_numpy(),
    })
    return ConstraintRaster(lines_band, county_band, table, grid, notes)


def write_constraints(path: str | os.PathLike, raster: ConstraintRaster) -> Path:
    """Write the constraint raster as a two-band COG with its legends in the metadata."""
    classes = constraint_classes()
    legend = [{"code": int(r.code), "name_zh": r.name_zh, "name_en": r.name_en, "color": r.color} for r in classes.itertuples()]
    county_legend = [{"code": int(r.index), "county_code": r.code, "name_zh": r.name, "name_en": r.name_en} for r in raster.counties.itertuples()]
    tags = {
        "HYGIS_PRODUCT": "constraint raster (三条控制线与县级行政区)",
        "HYGIS_NOTES": " | ".join(raster.notes),
        "HYGIS_CLASSES_SOURCE": "data/constraint_classes.csv",
    }
    band_tags = [
        {"HYGIS_CLASSES": json.dumps(legend, ensure_ascii=False), "HYGIS_ENCODING": "bit flags: 1 red line, 2 permanent farmland, 4 urban development boundary"},
        {"HYGIS_CLASSES": json.dumps(county_legend, ensure_ascii=False)},
    ]
    return write_cog(
        path, [raster.control_lines, raster.county], raster.grid, nodata=CLASS_NODATA,
        descriptions=["control_lines", "county"], tags=tags, band_tags=band_tags, categorical=True,
    )


def read_legend(path: str | os.PathLike, band: int = 1) -> list[dict[str, Any]]:
    """The class legend hygis stored in a raster's band metadata (empty if none)."""
    with rasterio.open(path) as ds:
        text = ds.tags(band).get("HYGIS_CLASSES")
    return json.loads(text) if text else []


__all__ = [
    "Grid", "grid_for", "burn", "open_raster", "check_readable", "write_cog", "verify_cog", "cog_driver_available",
    "constraint_classes", "ConstraintRaster", "constraint_raster", "write_constraints", "read_legend",
    "CONTROL_LINE_BITS", "CLASS_NODATA",
]
