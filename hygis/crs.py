"""The coordinate reference systems hygis uses, in one place.

* Storage and web maps: WGS 84 (EPSG:4326). CGCS2000 (EPSG:4490) differs from it by a few
  centimetres, far below the precision of any plan layer, so the two are exchanged directly.
* Areas and distances: a CGCS2000 Gauss–Krüger projection chosen for the data's extent by
  :func:`area_crs`, used by every routine so that every table agrees with every other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
from pyproj import CRS, Transformer

from hygis import settings
from hygis.errors import HygisInputError

#: What a user may give as a CRS: ``"EPSG:4546"``, ``4546``, ``"4546"``, a WKT or PROJ string,
#: or a ``pyproj.CRS``.
CrsLike: TypeAlias = str | int | CRS

#: Geographic WGS 84: the storage CRS of hygis's layers and the CRS of web maps.
WGS84 = CRS.from_epsg(4326)

#: China Geodetic Coordinate System 2000, geographic.
CGCS2000 = CRS.from_epsg(4490)

#: Web Mercator: the projection web maps draw in (display only, never for areas or distances).
WEB_MERCATOR = CRS.from_epsg(3857)

#: EPSG codes of CGCS2000 / 3-degree Gauss–Krüger "CM nnnE" (no zone prefix in the easting),
#: central meridians 75°E … 135°E.
_GK3_FIRST_EPSG, _GK3_FIRST_CM = 4534, 75
#: EPSG codes of CGCS2000 / Gauss–Krüger (6-degree) "CM nnnE", central meridians 75°E … 135°E.
_GK6_FIRST_EPSG, _GK6_FIRST_CM = 4502, 75
#: 3-degree zones with the zone number prefixed to the easting (zone 25 … 45).
_GK3_ZONE_FIRST_EPSG, _GK3_FIRST_ZONE = 4513, 25
#: 6-degree zones with the zone number prefixed to the easting (zone 13 … 23).
_GK6_ZONE_FIRST_EPSG, _GK6_FIRST_ZONE = 4491, 13

#: The rough extent of China (lon min, lat min, lon max, lat max), for plausibility checks.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def gk3_crs(central_meridian: int) -> CRS:
    """Return CGCS2000 / 3-degree Gauss–Krüger with the given central meridian (°E).

    Parameters
    ----------
    central_meridian : int
        A multiple of 3 between 75 and 135.
    """
    if central_meridian % 3 or not 75 <= central_meridian <= 135:
        msg = f"3-degree Gauss–Krüger zones have central meridians 75, 78, … 135°E, not {central_meridian}."
        raise HygisInputError(msg)
    return CRS.from_epsg(_GK3_FIRST_EPSG + (central_meridian - _GK3_FIRST_CM) // 3)


def gk6_crs(central_meridian: int) -> CRS:
    """Return CGCS2000 / 6-degree Gauss–Krüger with the given central meridian (°E: 75, 81, … 135)."""
    if (central_meridian - 75) % 6 or not 75 <= central_meridian <= 135:
        msg = f"6-degree Gauss–Krüger zones have central meridians 75, 81, … 135°E, not {central_meridian}."
        raise HygisInputError(msg)
    return CRS.from_epsg(_GK6_FIRST_EPSG + (central_meridian - _GK6_FIRST_CM) // 6)


def area_crs(bounds: Sequence[float]) -> CRS:
    """Choose the CGCS2000 Gauss–Krüger CRS for areas and distances over an extent.

    The rule, used everywhere in hygis: the 3-degree zone whose central meridian is
    nearest the extent's centre, if the extent fits in 3° of longitude (scale error under
    about 1/1000 at the zone edge in Hunan); otherwise the 6-degree zone; wider extents get
    an Albers equal-area projection on CGCS2000 centred on the data.

    Parameters
    ----------
    bounds : sequence of float
        (min lon, min lat, max lon, max lat) in degrees, WGS 84 or CGCS2000.

    Returns
    -------
    pyproj.CRS
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        msg = "Cannot choose an area CRS for an empty extent: the data has no geometries."
        raise HygisInputError(msg)
    centre = (minx + maxx) / 2
    span = maxx - minx
    if span <= 3.0:
        cm = int(round(centre / 3.0) * 3)
        return gk3_crs(min(max(cm, 75), 135))
    if span <= 6.0:
        cm = int(round((centre - 75) / 6.0) * 6 + 75)
        return gk6_crs(min(max(cm, 75), 135))
    lat1, lat2 = miny + (maxy - miny) / 6, maxy - (maxy - miny) / 6
    return CRS.from_proj4(
        f"+proj=aea +lat_1={lat1:.4f} +lat_2={lat2:.4f} +lat_0=0 +lon_0={centre:.4f} "
        "+x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


def area_crs_for(*frames: gpd.GeoDataFrame | gpd.GeoSeries | None) -> CRS:
    """Choose :func:`area_crs` for the union of the extents of several frames (any CRS)."""
    boxes = []
    for frame in frames:
        if frame is None or len(frame) == 0:
            continue
        geo = frame.to_crs(WGS84) if frame.crs is not None and not CRS(frame.crs).equals(WGS84) else frame
        b = geo.total_bounds
        if np.all(np.isfinite(b)):
            boxes.append(b)
    if not boxes:
        msg = "Cannot choose an area CRS: none of the inputs has a geometry."
        raise HygisInputError(msg)
    arr = np.array(boxes)
    return area_crs((arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()))


def extent_wgs84(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """The frame's extent (west, south, east, north) in WGS 84 from its box's densified border
    (21 points a side): no feature is projected (2·10⁵ patches would take seconds).

    The border's points go through :func:`transformer` itself: ``Transformer.transform_bounds`` of
    a transformer made from a PROJ pipeline gives ``inf`` (pyproj 3.7: a pipeline has no CRS).

    Examples
    --------
    >>> import shapely
    >>> frame = gpd.GeoSeries([shapely.box(560000, 2990000, 561000, 2991000)], crs="EPSG:4546")
    >>> [round(float(v), 3) for v in extent_wgs84(frame)]
    [111.605, 27.02, 111.615, 27.029]
    """
    b = frame.total_bounds
    if frame.crs is None or CRS(frame.crs).equals(WGS84):
        return b
    side = np.linspace(0.0, 1.0, 21)
    x = b[0] + (b[2] - b[0]) * np.r_[side, np.ones(21), side, np.zeros(21)]
    y = b[1] + (b[3] - b[1]) * np.r_[np.zeros(21), side, np.ones(21), side]
    lon, lat = transformer(frame.crs, WGS84).transform(x, y)
    return np.array([lon.min(), lat.min(), lon.max(), lat.max()], dtype=float)


#: The (src, dst) pairs whose operation this process searched for (a server child reports them,
#: so that the server finds them once for every later command).
SEARCHED: list[tuple[CRS, CRS]] = []


@lru_cache(maxsize=64)
def _operation(src: CRS, dst: CRS) -> str | None:
    """The one coordinate operation PROJ chooses from ``src`` to ``dst`` as the PROJ pipeline it runs
    (x = easting), or None when it picks among several by where each point lies."""
    SEARCHED.append((src, dst))

    # What PROJ chose is kept in the user cache: the next process does not search again either.
    key = hashlib.blake2b(
        f"{src.to_wkt()}\0{dst.to_wkt()}\0{pyproj.__version__}\0{pyproj.proj_version_str}\0"
        f"{pyproj.network.is_network_enabled()}".encode(),
        digest_size=16,
    ).hexdigest()
    book = settings.cache_dir() / "proj" / f"{key}.txt"
    try:
        kept = book.read_text(encoding="utf-8")
    except OSError:
        pass
    else:
        return kept or None
    found = Transformer.from_crs(src, dst, always_xy=True)
    # Several candidate operations (chosen point by point) have no single definition.
    operation = None if found.name == "unknown" else found.to_proj4()
    settings.keep_in_cache(book, operation or "")
    return operation


def transformer(src: CrsLike, dst: CrsLike) -> Transformer:
    """A ``Transformer`` from ``src`` to ``dst`` (``always_xy``), made from the operation found once.

    ``Transformer.from_crs`` searches PROJ's database each time — ~0.1 s for CGCS2000 to WGS 84,
    longer than projecting 10⁵ vertices — and again in every thread that uses it. The operation it
    finds is kept (per process) and rebuilt in microseconds: the same operation, the same numbers.

    >>> x, y = transformer("EPSG:4546", "EPSG:4326").transform(500000.0, 0.0)
    >>> round(x, 6), round(y, 6)
    (111.0, 0.0)
    """
    src, dst = CRS(src), CRS(dst)
    operation = _operation(src, dst)
    if operation is None:
        return Transformer.from_crs(src, dst, always_xy=True)
    return Transformer.from_pipeline(operation)


def describe(crs: CRS | str | int) -> str:
    """Return ``"EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E)"`` style text for reports."""
    crs = CRS(crs)
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def is_geographic(crs: CRS | str | int | None) -> bool:
    """True where the CRS is in degrees (WGS 84, CGCS2000, …)."""
    return crs is not None and CRS(crs).is_geographic


def parse_crs(text: CrsLike) -> CRS:
    """Parse a user's ``--crs`` value: ``EPSG:4490``, ``4490``, a WKT or PROJ string.

    A Python caller may also pass an EPSG number or a ``pyproj.CRS``.

    Raises
    ------
    HygisInputError
        If pyproj does not know it, with examples of what works.
    """
    value = str(text).strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        return CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:  # what pyproj raises for a text it cannot parse
        msg = (
            f"'{text}' is not a coordinate reference system hygis knows ({exc}). Give an EPSG code such as "
            "EPSG:4490 (CGCS2000 lon/lat), EPSG:4546 (CGCS2000 3° Gauss–Krüger CM 111°E) or "
            "EPSG:4527 (CGCS2000 3° Gauss–Krüger zone 39, easting with zone prefix)."
        )
        raise HygisInputError(msg) from None


def guess_crs_hint(bounds: Sequence[float]) -> str:
    """Suggest, from raw coordinates, which CRS a file without one is probably in.

    Only a hint for an error message: hygis never assigns a guessed CRS.
    """
    minx, miny, maxx, maxy = bounds
    if (
        CHINA_BOUNDS[0] <= minx
        and maxx <= CHINA_BOUNDS[2]
        and CHINA_BOUNDS[1] <= miny
        and maxy <= CHINA_BOUNDS[3]
    ):
        return "The coordinates look like longitude/latitude in China: probably --crs EPSG:4490 (CGCS2000)."
    if 1e7 < minx < 5e7 and 1e6 < miny < 6e6:
        zone = int(minx // 1_000_000)
        if _GK3_FIRST_ZONE <= zone <= 45:
            cm = zone * 3
            return (
                f"The eastings start with {zone}: probably a 3-degree Gauss–Krüger zone with prefix, "
                f"--crs EPSG:{_GK3_ZONE_FIRST_EPSG + zone - _GK3_FIRST_ZONE} "
                f"(CGCS2000 zone {zone}, CM {cm}°E)."
            )
        if _GK6_FIRST_ZONE <= zone <= 23:
            return (
                f"The eastings start with {zone}: probably a 6-degree Gauss–Krüger zone with prefix, "
                f"--crs EPSG:{_GK6_ZONE_FIRST_EPSG + zone - _GK6_FIRST_ZONE} (CGCS2000 zone {zone})."
            )
    if 0 < minx < 1e6 and 1e6 < miny < 6e6:
        return (
            "The coordinates look like Gauss–Krüger metres without a zone prefix: for Hengyang probably "
            "--crs EPSG:4546 (CGCS2000 3° CM 111°E) or EPSG:4547 (CM 114°E)."
        )
    return "Ask whoever sent the file which coordinate system it is in."
