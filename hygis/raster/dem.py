"""Elevation: Copernicus GLO-30 DEM tiles for an extent, downloaded once into a local cache.

Copernicus GLO-30 is a global 1 arc-second (about 30 m) digital surface model, published as
one Cloud-Optimized GeoTIFF per 1° × 1° tile, named by the tile's south-west corner:
``Copernicus_DSM_COG_10_N26_00_E112_00_DEM`` covers 26–27°N, 112–113°E. The public copy on
AWS (registry of open data, no account needed) keeps each tile at
``{base}/{name}/{name}.tif``. Ocean tiles do not exist (height 0 there).

:func:`dem_for` returns a DEM for an extent: the user's own file (``--dem PATH``), or the
tiles from the cache, downloading those missing from ``base_url`` (default the AWS bucket;
``HYGIS_DEM_URL`` overrides it, for a mirror inside an office network). When no DEM can be
had it raises :class:`DemUnavailable` with the reason, and the callers run without it.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors
import rasterio.merge

from hygis import io, settings
from hygis.errors import HygisError, HygisInputError
from hygis.raster.cog import open_raster

#: The public Copernicus GLO-30 bucket (Registry of Open Data on AWS).
DEFAULT_BASE_URL = "https://copernicus-dem-30m.s3.amazonaws.com/"

#: Seconds to wait for the server before giving up on a tile.
TIMEOUT_S = 20.0

#: Licence note every output built on the DEM carries.
ATTRIBUTION = (
    "Copernicus GLO-30 DEM © DLR e.V. 2010-2014 and © Airbus Defence and Space GmbH 2014-2018, "
    "provided under COPERNICUS by the European Union and ESA; all rights reserved "
    "(free licence for the public)."
)


class DemUnavailable(HygisError):
    """No DEM could be had (no network, server refused, no tile). The message says why."""


def tile_name(lat: int, lon: int) -> str:
    """The GLO-30 tile name whose south-west corner is (lat, lon), whole degrees.

    >>> tile_name(26, 112)
    'Copernicus_DSM_COG_10_N26_00_E112_00_DEM'
    """
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"Copernicus_DSM_COG_10_{ns}{abs(lat):02d}_00_{ew}{abs(lon):03d}_00_DEM"


def tile_names(bounds: Sequence[float]) -> list[str]:
    """Names of the 1° tiles that cover (min lon, min lat, max lon, max lat), south-west first.

    A bound that falls exactly on a whole degree does not pull in the next tile.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        msg = (
            f"Not a longitude/latitude extent: {bounds}. "
            "Give (min lon, min lat, max lon, max lat) in degrees."
        )
        raise HygisInputError(msg)
    lats = range(math.floor(miny), math.ceil(maxy))
    lons = range(math.floor(minx), math.ceil(maxx))
    return [tile_name(lat, lon) for lat in lats for lon in lons]


def tile_url(name: str, base_url: str | None = None) -> str:
    """URL of a tile under ``base_url`` (default :data:`DEFAULT_BASE_URL` or ``$HYGIS_DEM_URL``)."""
    base = base_url or os.environ.get("HYGIS_DEM_URL") or DEFAULT_BASE_URL
    return f"{base.rstrip('/')}/{name}/{name}.tif"


def cache_dir() -> Path:
    """Where downloaded tiles are kept.

    ``$HYGIS_CACHE_DIR``/dem, else ``dem`` in the user cache folder (platformdirs).
    """
    return settings.cache_dir() / "dem"


def fetch_tile(
    name: str,
    *,
    base_url: str | None = None,
    cache: Path | None = None,
    timeout: float = TIMEOUT_S,
    report: Callable[[str], None] = lambda _m: None,
) -> Path | None:
    """Return the cached tile, downloading it first if needed.

    Returns
    -------
    Path or None
        None when the server has no such tile (HTTP 404: an ocean tile).

    Raises
    ------
    DemUnavailable
        When the server cannot be reached, times out or answers with an error.
    """
    folder = cache or cache_dir()
    target = folder / f"{name}.tif"
    if target.exists() and target.stat().st_size > 0:
        return target
    url = tile_url(name, base_url)
    report(f"downloading DEM tile {name}")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, io.atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                shutil.copyfileobj(response, fh, length=1 << 20)
            _check_tile(tmp, name)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        msg = f"The DEM server answered {exc.code} {exc.reason} for {url}."
        raise DemUnavailable(msg) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        msg = (
            f"No DEM: the tile server {url.split('/' + name)[0]} cannot be reached ({reason}). "
            "Give a DEM file with --dem PATH, or set HYGIS_DEM_URL to a mirror."
        )
        raise DemUnavailable(msg) from None
    return target


def _check_tile(path: Path, name: str) -> None:
    try:
        with rasterio.open(path) as ds:
            ds.read(1, window=((0, 1), (0, 1)))
    except (rasterio.errors.RasterioError, OSError) as exc:  # a truncated or HTML error page saved as .tif
        msg = f"The DEM tile {name} downloaded is not a readable GeoTIFF ({exc})."
        raise DemUnavailable(msg) from None


def dem_for(
    bounds: Sequence[float] | None = None,
    *,
    dem_path: str | os.PathLike | None = None,
    base_url: str | None = None,
    cache: Path | None = None,
    download: bool = True,
    timeout: float = TIMEOUT_S,
    report: Callable[[str], None] = lambda _m: None,
) -> tuple[Path, str]:
    """A DEM file covering ``bounds`` (lon/lat), and a sentence saying where it comes from.

    Parameters
    ----------
    bounds : (min lon, min lat, max lon, max lat)
        Extent to cover (needed unless ``dem_path`` is given).
    dem_path : path, optional
        The user's own DEM (any CRS GDAL knows); used as is.
    base_url, cache, timeout :
        Where tiles come from and are kept (see :func:`fetch_tile`).
    download : bool
        False: use only tiles already in the cache.

    Returns
    -------
    (Path, str)
        A single raster (the tile, or a mosaic of the tiles written into the cache) and its
        provenance.

    Raises
    ------
    DemUnavailable
        When no DEM can be had; the message says why and what to do.
    """
    if dem_path is not None:
        ds = open_raster(dem_path, label="DEM")
        with ds:
            if ds.crs is None:
                msg = (
                    f"DEM {Path(dem_path).name} has no CRS: "
                    "set it (gdal_edit.py -a_srs EPSG:4490 FILE) and try again."
                )
                raise HygisInputError(msg)
        return Path(dem_path), f"DEM: the user's file {Path(dem_path).name}."
    if bounds is None:
        msg = "dem_for needs bounds or dem_path."
        raise HygisInputError(msg)
    folder = cache or cache_dir()
    names = tile_names(bounds)
    files: list[Path] = []
    for name in names:
        cached = folder / f"{name}.tif"
        if cached.exists() and cached.stat().st_size > 0:
            files.append(cached)
        elif not download:
            msg = f"No DEM: tile {name} is not in the cache {folder} and downloading is off."
            raise DemUnavailable(msg)
        else:
            # The first network failure stops the loop: no point waiting on every tile.
            got = fetch_tile(name, base_url=base_url, cache=folder, timeout=timeout, report=report)
            if got is not None:
                files.append(got)
    if not files:
        msg = f"No DEM: none of the tiles {', '.join(names)} exists on the server (ocean?)."
        raise DemUnavailable(msg)
    source = (
        f"DEM: Copernicus GLO-30 tiles {', '.join(p.stem for p in files)} (cache {folder}). {ATTRIBUTION}"
    )
    if len(files) == 1:
        return files[0], source
    mosaic = (
        folder
        / f"mosaic_{'_'.join(sorted(n.split('_')[4] + n.split('_')[6] for n in (p.stem for p in files)))}.tif"
    )
    if not mosaic.exists():
        _mosaic(files, mosaic)
    return mosaic, source


def _mosaic(files: Sequence[Path], out: Path) -> Path:
    """Merge tiles into one tiled, compressed GeoTIFF (atomically)."""
    sources = [rasterio.open(p) for p in files]
    try:
        arr, transform = rasterio.merge.merge(sources)
        profile = sources[0].profile
        profile.update(
            driver="GTiff",
            width=arr.shape[2],
            height=arr.shape[1],
            transform=transform,
            count=arr.shape[0],
            tiled=True,
            blockxsize=512,
            blockysize=512,
            compress="deflate",
            predictor=3 if arr.dtype.kind == "f" else 2,
            BIGTIFF="IF_SAFER",
        )
        with io.atomic_path(out) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(arr)
    finally:
        for s in sources:
            with contextlib.suppress(Exception):
                s.close()
    return out


def read_on_grid(path: str | os.PathLike, grid) -> np.ndarray:
    """Resample a DEM onto a hygis grid (bilinear), float32 with NaN where there is no data."""
    from rasterio.warp import Resampling, reproject  # noqa: PLC0415

    out = np.full(grid.shape, np.nan, dtype="float32")
    with rasterio.open(path) as src:
        reproject(
            source=rasterio.band(src, 1),
            destination=out,
            dst_transform=grid.transform,
            dst_crs=rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()),
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    return out


def slope_degrees(elevation: np.ndarray, cell: float) -> np.ndarray:
    """Slope in degrees from elevation on a square grid of ``cell`` metres (central differences)."""
    gy, gx = np.gradient(elevation.astype("float64"), cell)
    return np.degrees(np.arctan(np.hypot(gx, gy))).astype("float32")


__all__ = [
    "DEFAULT_BASE_URL",
    "DemUnavailable",
    "tile_name",
    "tile_names",
    "tile_url",
    "cache_dir",
    "fetch_tile",
    "dem_for",
    "read_on_grid",
    "slope_degrees",
    "ATTRIBUTION",
]
