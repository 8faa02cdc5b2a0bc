"""Reading rasters with clear errors, and writing Cloud-Optimized GeoTIFFs."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.io import MemoryFile

from hygis import io
from hygis.errors import HygisInputError, HygisOutputError
from hygis.raster.grid import Grid

#: Block (tile) size of the GeoTIFFs hygis writes, in pixels.
BLOCKSIZE: int = 256


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
            f"{label} {src_path.name}: not a raster GDAL can read ({exc}). "
            "The file may be corrupt or incomplete (download it again), or not a raster at all "
            "(GeoTIFF .tif, .img, .vrt … are; .shp, .gpkg vectors are not)."
        )
        raise HygisInputError(msg) from None
    # Outputs must never overwrite an input (hygis.io refuses paths recorded here).
    io.register_inputs([src_path])
    t = ds.transform
    if t.b != 0 or t.d != 0:
        ds.close()
        msg = (
            f"{label} {src_path.name}: the raster is rotated (its geotransform has rotation terms). "
            "Warp it north-up first (gdalwarp)."
        )
        raise HygisInputError(msg)
    return ds


def check_readable(ds: rasterio.DatasetReader, *, label: str = "raster") -> None:
    """Read the raster's first and last block: catches files cut short (a truncated download)."""
    try:
        windows = [w for _, w in ds.block_windows(1)]
        for w in {0: windows[0], 1: windows[-1]}.values():
            ds.read(1, window=w)
    except (RasterioError, OSError) as exc:  # GDAL's IO errors for damaged data (RasterioIOError …)
        msg = (
            f"{label} {Path(ds.name).name}: the file is damaged or incomplete ({exc}). "
            "Download or export it again."
        )
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
                    src,
                    out,
                    driver="COG",
                    COMPRESS="DEFLATE",
                    PREDICTOR=predictor,
                    BLOCKSIZE=str(BLOCKSIZE),
                    OVERVIEW_RESAMPLING=resampling,
                    NUM_THREADS="ALL_CPUS",
                    BIGTIFF="IF_SAFER",
                )
            else:
                rasterio.shutil.copy(
                    src,
                    out,
                    driver="GTiff",
                    TILED="YES",
                    BLOCKXSIZE=str(BLOCKSIZE),
                    BLOCKYSIZE=str(BLOCKSIZE),
                    COMPRESS="DEFLATE",
                    PREDICTOR=predictor,
                    COPY_SRC_OVERVIEWS="YES",
                    BIGTIFF="IF_SAFER",
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
        msg = (
            f"{Path(path).name}: the GeoTIFF written is {', '.join(problems)}; "
            "this is a bug in hygis, please report it."
        )
        raise HygisOutputError(msg)
    return info
