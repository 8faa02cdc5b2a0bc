"""GCJ-02, the offset coordinates of Chinese web maps (Amap/Gaode, Tencent), and back.

Data digitised on Amap or Tencent maps, or downloaded from them (district boundaries,
POIs), is in GCJ-02: WGS 84 shifted by a published non-linear formula, about 650 m in
Hengyang. :func:`gcj02_to_wgs84` inverts the formula by fixed-point iteration, which
converges to far below a millimetre (the common one-step inverse is good only to metres).
Outside mainland China the shift is not applied, as the web maps do.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323

#: Coarse box of mainland China inside which the shift is applied.
_CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < _CHINA_BOX[0]) | (lon > _CHINA_BOX[2]) | (lat < _CHINA_BOX[1]) | (lat > _CHINA_BOX[3])


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (degrees) at WGS 84 positions."""
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS 84 longitude/latitude (degrees) to GCJ-02, as Amap and Tencent display them."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Correct GCJ-02 longitude/latitude (degrees) to WGS 84.

    Fixed-point iteration ``w ← g − offset(w)``; the offset changes slowly, so each step
    shrinks the error about a thousandfold.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees.
    tol_deg : float
        Stop when no coordinate moves more than this (1e-10° ≈ 0.01 mm).
    max_iter : int
        Upper bound on iterations (3–4 are needed in practice).
    """
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        dlon, dlat = _offset(wlon, wlat)
        new_lon, new_lat = glon - dlon, glat - dlat
        moved = max(
            np.nanmax(np.abs(new_lon - wlon), initial=0.0), np.nanmax(np.abs(new_lat - wlat), initial=0.0)
        )
        wlon, wlat = new_lon, new_lat
        if moved < tol_deg:
            break
    return wlon, wlat


def _apply(geoms: ArrayLike, func) -> np.ndarray:
    def xy(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms), xy)


def geometries_gcj02_to_wgs84(geoms: ArrayLike) -> np.ndarray:
    """Correct an array of shapely geometries (lon/lat degrees) from GCJ-02 to WGS 84."""
    return _apply(geoms, gcj02_to_wgs84)


def geometries_wgs84_to_gcj02(geoms: ArrayLike) -> np.ndarray:
    """Shift an array of shapely geometries (lon/lat degrees) from WGS 84 to GCJ-02.

    For drawing on Amap/Tencent tiles.
    """
    return _apply(geoms, wgs84_to_gcj02)
