"""One grid rule for every raster hygis makes.

Cells of a whole number of metres in the CGCS2000 Gauss–Krüger CRS that
:func:`hygis.crs.area_crs_for` picks for the data (EPSG:4546 for Hengyang), with the origin
snapped to a multiple of the cell size, so that two rasters of the same cell size from hygis
always align cell for cell.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from pyproj import CRS
from rasterio.features import rasterize

from hygis.crs import area_crs_for
from hygis.engine.area import from_planar
from hygis.errors import HygisInputError

#: Most cells hygis puts in one grid (one byte each per band): about 10 m cells over Hengyang.
MAX_CELLS: int = 300_000_000


#: Fewest cells along the shorter side of a grid: coarser grids cannot show a control line.
MIN_CELLS_SIDE: int = 10


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

    def cell_areas(self) -> np.ndarray:
        """The ellipsoidal area (椭球面积, m²) of a cell in each column (1 × width), as official figures.

        A Gauss–Krüger cell of c × c metres covers c² / k² on the ellipsoid, k the projection's scale
        at the cell (:func:`hygis.engine.area.from_planar`). k varies with the distance from the central
        meridian (~4e-4 of area 160 km east of it) and only at second order with latitude (~5e-8 over a
        city's 1.6°), so one value a column, at the grid's middle row, is exact to ~1e-7.
        """
        x, y = self.xy()
        cols = x.ravel()
        middle = np.full(self.width, float(y.ravel()[self.height // 2]))
        return from_planar(np.full(self.width, self.cell**2), cols, middle, self.crs)[np.newaxis, :]

    def profile(self, dtype: str, nodata: float | None, count: int = 1) -> dict[str, Any]:
        """A rasterio profile for a GeoTIFF on this grid."""
        return {
            "driver": "GTiff",
            "width": self.width,
            "height": self.height,
            "count": count,
            "dtype": dtype,
            "crs": rasterio.crs.CRS.from_wkt(self.crs.to_wkt()),
            "transform": self.transform,
            "nodata": nodata,
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
            f"A cell size of {cell:,.0f} m is too coarse: the area is {span_km:,.1f} km across, "
            f"which gives fewer than {MIN_CELLS_SIDE} cells. "
            f"Use --cell {max(1, int(finest // 10 * 10)):,} m or less (30–100 m is usual for a city)."
        )
        raise HygisInputError(msg)
    if width * height > MAX_CELLS:
        coarsest = math.sqrt((right - left) * (top - bottom) / MAX_CELLS)
        msg = (
            f"A cell size of {cell:g} m gives {width:,} × {height:,} = "
            f"{width * height / 1e6:,.0f} million cells, more than hygis's limit of "
            f"{MAX_CELLS / 1e6:,.0f} million. Use --cell {math.ceil(coarsest)} m or more."
        )
        raise HygisInputError(msg)
    return Grid(crs=crs, transform=Affine(cell, 0, left, 0, -cell, top), width=width, height=height)


def burn(
    geoms: Iterable, grid: Grid, *, value: int = 1, all_touched: bool = False, dtype: str = "uint8"
) -> np.ndarray:
    """Rasterize geometries (already in the grid's CRS) to a 0/value array on the grid.

    ``all_touched=False`` burns the cells whose centre is inside (GDAL's default);
    ``True`` every cell the geometry touches.
    """
    shapes = [(g, value) for g in geoms if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(grid.shape, dtype=dtype)
    return rasterize(
        shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype=dtype, all_touched=all_touched
    )
