"""The area measure every hygis table uses: ellipsoidal (椭球面积) by default, planar on request.

Official Chinese land figures — the land surveys (二调, 三调, 年度变更调查) and the 三区三线 results — are
**ellipsoidal areas**: the area on the reference ellipsoid, independent of the map projection, computed
by the method fixed in 国土调查办发〔2008〕32号 (《图幅理论面积与图斑椭球面积计算公式及要求》), on the
CGCS2000 ellipsoid since the third survey. A planar Gauss–Krüger area differs from it by the projection's
scale error, about 1e-3 two or three degrees from the central meridian: enough for a 图斑 to disagree
with its own ``TBMJ``. So hygis reports ellipsoidal areas, and planar areas in a stated zone only when
asked (``method="planar"``).

The 32号 method, and how hygis evaluates it
------------------------------------------
Each vertex is taken to geodetic latitude B and longitude L (the document's Gauss inverse projection;
here PROJ's, from whatever CRS the data is in). Formula (2) of the document gives the area of the
trapezoid on the ellipsoid bounded by the parallels B1, B2 and two meridians ΔL apart::

    S = 2 b² ΔL [ A sin(½(B2−B1)) cos Bm − B sin(3/2(B2−B1)) cos 3Bm + C sin(5/2(B2−B1)) cos 5Bm
                  − D sin(7/2(B2−B1)) cos 7Bm + E sin(9/2(B2−B1)) cos 9Bm ],        Bm = (B1+B2)/2

(A … E series in e² to e⁸; :func:`trapezoid_area`). It is the series of the authalic integral
b² ∫ cos B / (1 − e² sin² B)² dB = R_q² (sin ξ2 − sin ξ1), ξ the authalic latitude and R_q the authalic
radius (the tests check the two agree to 1e-10; the series stops at e⁸). A polygon's area is that
integral taken around its boundary, ∮ R_q² sin ξ dL. The document sums one trapezoid per narrow strip
of the 图斑; survey software sums one per edge, treating the edge as straight in (B, L). hygis takes
each edge as the geodesic between its vertices and integrates exactly along it on the authalic sphere,
in closed form per edge::

    R_q² · 2 atan[ tan(ΔL/2) (tan(ξ1/2) + tan(ξ2/2)) / (1 + tan(ξ1/2) tan(ξ2/2)) ]

summed around each ring; holes subtract, parts of a multipolygon add. Measured in the tests and by
``benchmarks/bench_area.py``: on 图斑-sized polygons this equals the per-edge 32号 sum to ~1e-6 and
Karney's geodesic area (``pyproj.Geod``) to ~1e-8 (~1e-7 on a 5 km polygon, ~1e-6 on a 50 km one,
where the great circle on the authalic sphere departs from the ellipsoid's geodesic); the per-edge sum
drifts from both by ~1e-5 on a 5 km polygon. An edge drawn straight in a Gauss–Krüger plane is not
quite a geodesic either: 2.3° from the central meridian the two differ by ~3e-7 of a 1 km polygon's
area, ~1.5e-6 of a 5 km one's.

Everything is vectorised over all the vertices of all the geometries at once (shapely's coordinate
arrays and numpy ``bincount`` by ring), with no Python loop per feature; most of the time goes to
PROJ's inverse projection of the vertices.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from hygis.crs import CGCS2000
from hygis.crs import describe as describe_crs
from hygis.errors import HygisInputError

#: The two methods: ``"ellipsoidal"`` (the default, as official figures) and ``"planar"``.
ELLIPSOIDAL = "ellipsoidal"
PLANAR = "planar"
METHODS = (ELLIPSOIDAL, PLANAR)

# The CGCS2000 ellipsoid's defining constants: the datum's definition, not a tunable, hence not a data file.
CGCS2000_A = 6378137.0  # semi-major axis, m
CGCS2000_F = 1 / 298.257222101  # flattening

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_COLLECTIONS = (shapely.GeometryType.MULTIPOLYGON, shapely.GeometryType.GEOMETRYCOLLECTION)


def _series_constants(a: float, f: float) -> tuple[float, np.ndarray]:
    """b² and the coefficients A … E of 32号 formula (2), from the ellipsoid's a and f."""
    b = a * (1 - f)
    e2 = (a * a - b * b) / (a * a)
    e4, e6, e8 = e2**2, e2**3, e2**4
    coef = np.array(
        [
            1 + 3 / 6 * e2 + 30 / 80 * e4 + 35 / 112 * e6 + 630 / 2304 * e8,
            1 / 6 * e2 + 15 / 80 * e4 + 21 / 112 * e6 + 420 / 2304 * e8,
            3 / 80 * e4 + 7 / 112 * e6 + 180 / 2304 * e8,
            1 / 112 * e6 + 45 / 2304 * e8,
            5 / 2304 * e8,
        ]
    )
    return b * b, coef


def trapezoid_area(lat1, lat2, dlon, *, a: float = CGCS2000_A, f: float = CGCS2000_F) -> np.ndarray:
    """Area of the trapezoid between two parallels and two meridians: 32号 formula (2).

    Parameters
    ----------
    lat1, lat2 : array_like
        Latitudes of the southern and northern parallels, radians (signed: swapped, the area is negative).
    dlon : array_like
        Longitude difference between the meridians, radians (signed).
    a, f : float
        Semi-major axis (m) and flattening of the ellipsoid; CGCS2000 by default.

    Returns
    -------
    numpy.ndarray
        Area in m².

    Examples
    --------
    A 1° × 1° cell (the 32号 图幅理论面积 is formula (1), the same sum over a map sheet):

    >>> import numpy as np
    >>> cell = trapezoid_area(np.radians(26.0), np.radians(27.0), np.radians(1.0))
    >>> round(float(cell) / 1e6, 1)  # km²
    11045.1
    """
    b2, (ca, cb, cc, cd, ce) = _series_constants(a, f)
    lat1 = np.asarray(lat1, dtype=float)
    lat2 = np.asarray(lat2, dtype=float)
    db = lat2 - lat1
    bm = (lat1 + lat2) / 2
    series = (
        ca * np.sin(0.5 * db) * np.cos(bm)
        - cb * np.sin(1.5 * db) * np.cos(3 * bm)
        + cc * np.sin(2.5 * db) * np.cos(5 * bm)
        - cd * np.sin(3.5 * db) * np.cos(7 * bm)
        + ce * np.sin(4.5 * db) * np.cos(9 * bm)
    )
    return 2 * b2 * np.asarray(dlon, dtype=float) * series


def _authalic(a: float, f: float):
    """sin ξ as a function of geodetic latitude (radians), and R_q², for the ellipsoid (a, f)."""
    e2 = f * (2 - f)
    e = np.sqrt(e2)

    def q(sin_lat):
        return (1 - e2) * (
            sin_lat / (1 - e2 * sin_lat**2) - np.log((1 - e * sin_lat) / (1 + e * sin_lat)) / (2 * e)
        )

    q_pole = q(1.0)
    return (lambda lat: q(np.sin(lat)) / q_pole), a * a * q_pole / 2


_SIN_XI, _RQ2 = _authalic(CGCS2000_A, CGCS2000_F)


@lru_cache(maxsize=32)
def _to_cgcs2000(wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(wkt), CGCS2000, always_xy=True)


@lru_cache(maxsize=32)
def _from_cgcs2000(wkt: str) -> Transformer:
    return Transformer.from_crs(CGCS2000, CRS.from_wkt(wkt), always_xy=True)


def _as_geometry_array(geoms, crs) -> tuple[np.ndarray, CRS]:
    """The geometries as a numpy object array and their CRS, checked."""
    own = getattr(geoms, "crs", None)
    if isinstance(geoms, gpd.GeoDataFrame):
        geoms = geoms.geometry
    if isinstance(geoms, gpd.GeoSeries):
        arr = np.asarray(geoms.values, dtype=object)
    elif isinstance(geoms, shapely.Geometry):
        arr = np.array([geoms], dtype=object)
    else:
        arr = np.asarray(geoms, dtype=object).ravel()
    if crs is None and own is None:
        msg = (
            "Cannot measure areas of geometries without a coordinate reference system: "
            "set the layer's CRS (e.g. --crs EPSG:4490) or pass crs=."
        )
        raise HygisInputError(msg)
    if crs is not None and own is not None and not CRS(crs).equals(CRS(own)):
        msg = (
            f"The geometries are in {describe_crs(own)} but crs={describe_crs(crs)} was given: "
            "pass one or the other."
        )
        raise HygisInputError(msg)
    return arr, CRS(crs if crs is not None else own)


def _polygon_parts(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every polygon in the geometries (multipolygons and collections opened), with its geometry's index."""
    parts = arr
    index = np.arange(arr.size)
    types = shapely.get_type_id(parts)
    while np.isin(types, _COLLECTIONS).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        index = index[sub]
        types = shapely.get_type_id(parts)
    keep = types == shapely.GeometryType.POLYGON
    return parts[keep], index[keep]


def _ellipsoidal(arr: np.ndarray, crs: CRS) -> np.ndarray:
    out = np.zeros(arr.size)
    polys, poly_geom = _polygon_parts(arr)
    if polys.size == 0:
        return out
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    if rings.size == 0:
        return out
    # get_rings lists each polygon's exterior first, then its holes.
    exterior = np.r_[True, ring_poly[1:] != ring_poly[:-1]]
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    if crs.equals(CGCS2000):
        lon, lat = xy[:, 0], xy[:, 1]
    else:
        lon, lat = _to_cgcs2000(crs.to_wkt()).transform(xy[:, 0], xy[:, 1])
    lon = np.radians(lon)
    lat = np.radians(lat)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= np.pi / 2))
    if bad.any():
        where = poly_geom[ring_poly[ring[np.argmax(bad)]]]
        msg = (
            f"The geometry at position {where} (and maybe others) has coordinates that are not a place "
            f"on Earth in {describe_crs(crs)}: the layer's CRS is probably wrong (a Gauss–Krüger zone "
            "with or without the zone prefix?). Set the right one (e.g. --crs EPSG:4546)."
        )
        raise HygisInputError(msg)
    same = ring[1:] == ring[:-1]  # an edge joins two vertices of the same (closed) ring
    # tan(ξ/2) from sin ξ without losing digits near the equator.
    sin_xi = _SIN_XI(lat)
    half = sin_xi / (1 + np.sqrt(1 - sin_xi**2))
    t1, t2 = half[:-1][same], half[1:][same]
    dlon = np.diff(lon)[same]
    # An edge across the antimeridian goes the short way round. (Not by a modulo: adding π to a
    # micro-radian difference would cost it six digits.)
    dlon = dlon - 2 * np.pi * np.round(dlon / (2 * np.pi))
    excess = 2 * np.arctan2(np.tan(dlon / 2) * (t1 + t2), 1 + t1 * t2)
    ring_area = _RQ2 * np.abs(np.bincount(ring[:-1][same], weights=excess, minlength=rings.size))
    signed = np.where(exterior, ring_area, -ring_area)
    poly_area = np.bincount(ring_poly, weights=signed, minlength=polys.size)
    out += np.bincount(poly_geom, weights=poly_area, minlength=arr.size)
    return out


def _planar(arr: np.ndarray, crs: CRS, planar_crs) -> np.ndarray:
    target = CRS(planar_crs) if planar_crs is not None else crs
    if target.is_geographic:
        msg = (
            f"A planar area needs a projected CRS, and {describe_crs(target)} is in degrees: state the "
            "Gauss–Krüger zone to measure in (e.g. EPSG:4546, CM 111°E) or measure ellipsoidal areas."
        )
        raise HygisInputError(msg)
    if not target.equals(crs):
        arr = np.asarray(gpd.GeoSeries(arr, crs=crs).to_crs(target).values, dtype=object)
    area = shapely.area(arr)
    return np.where(np.isnan(area), 0.0, area)


def measure(geoms, crs=None, *, method: str = ELLIPSOIDAL, planar_crs=None) -> np.ndarray:
    """Area of each geometry, in m²: the one measure behind every hygis table.

    Parameters
    ----------
    geoms : GeoSeries, GeoDataFrame, shapely geometry or array_like of geometries
        Polygons, multipolygons or collections (their polygonal parts count); lines, points,
        empty and missing geometries measure 0.
    crs : pyproj.CRS, str or int, optional
        CRS of ``geoms``; taken from a GeoSeries/GeoDataFrame when not given. Any CRS pyproj
        knows: lon/lat, Gauss–Krüger with or without zone prefix, Web Mercator …
    method : {"ellipsoidal", "planar"}
        ``"ellipsoidal"`` (default): the area on the CGCS2000 ellipsoid by 国土调查办发〔2008〕32号,
        independent of the projection, as the official survey figures. ``"planar"``: the area in the
        plane of ``planar_crs``.
    planar_crs : pyproj.CRS, str or int, optional
        The projected CRS (Gauss–Krüger zone) of a planar area; ``crs`` itself when not given.
        Ignored for ellipsoidal areas.

    Returns
    -------
    numpy.ndarray
        One area per geometry, m² (float64).

    Raises
    ------
    HygisInputError
        Geometries without a CRS, an unknown method, a planar area asked in degrees, or coordinates
        that cannot be in the CRS claimed.

    Examples
    --------
    A 1 km square in Gauss–Krüger CM 114°E, 150 km east of its central meridian, where the projection
    enlarges areas by about (150/6371)², 6e-4:

    >>> import shapely
    >>> sq = shapely.box(650_000, 2_980_000, 651_000, 2_981_000)
    >>> planar = measure([sq], "EPSG:4547", method="planar")[0]
    >>> ellipsoidal = measure([sq], "EPSG:4547")[0]
    >>> round(float(planar)), round(float(ellipsoidal)), round(float(planar / ellipsoidal - 1), 5)
    (1000000, 999441, 0.00056)
    """
    if method not in METHODS:
        msg = (
            f"Unknown area method '{method}': use 'ellipsoidal' (official 椭球面积, the default) or 'planar'."
        )
        raise HygisInputError(msg)
    arr, crs = _as_geometry_array(geoms, crs)
    if arr.size == 0:
        return np.zeros(0)
    if method == PLANAR:
        return _planar(arr, crs, planar_crs)
    return _ellipsoidal(arr, crs)


#: Above this many points, :func:`from_planar` interpolates the projection's scale on a grid.
_GRID_ABOVE = 4096
#: Nodes of that grid along its longer side: ~1 km apart over a city, where bilinear interpolation
#: of the inverse areal scale (curvature ~2/R²) errs by ~1e-8.
_GRID_NODES = 256


def _inverse_areal_scale(crs: CRS, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ellipsoid area per unit of plane area at projected points: M N cos B / |det J|.

    J is the Jacobian of (L, B) → (x, y), by central differences 0.01° wide (their truncation is
    ~(1 km / R)², 3e-8; their rounding 1e-13). Valid for any projection, conformal or not (PROJ's
    own factors treat Web Mercator on the sphere).
    """
    lon, lat = _to_cgcs2000(crs.to_wkt()).transform(x, y)
    fwd = _from_cgcs2000(crs.to_wkt())
    d = 0.01
    xe, ye = fwd.transform(lon + d, lat)
    xw, yw = fwd.transform(lon - d, lat)
    xn, yn = fwd.transform(lon, lat + d)
    xs, ys = fwd.transform(lon, lat - d)
    det = np.abs((xe - xw) * (yn - ys) - (xn - xs) * (ye - yw)) / (2 * np.radians(d)) ** 2
    e2 = CGCS2000_F * (2 - CGCS2000_F)
    w = 1 - e2 * np.sin(np.radians(lat)) ** 2
    element = CGCS2000_A**2 * (1 - e2) / w**2 * np.cos(np.radians(lat))  # M N cos B
    return element / det


def from_planar(planar_m2, x, y, crs) -> np.ndarray:
    """Ellipsoidal areas of small pieces from their planar areas and centroids in a projected CRS.

    A projection scales areas by a factor (k² for a conformal one such as Gauss–Krüger) that is smooth
    over a small piece, so the area on the ellipsoid is the planar area divided by that factor at the
    piece's centroid, to second order in the piece's size: ~1e-8 relative for a piece of 1 km (the
    edges, straight in the plane, differ from geodesics by up to ~3e-7 of the area at that size).
    This lets an engine that measures pieces in the plane (:mod:`hygis.engine.overlap`) report the
    same figures as :func:`measure` without building their polygons. The areal scale is the
    projection's, from PROJ (bilinearly interpolated on a ~1 km grid when there are many pieces).
    Pieces larger than a few km should be measured with :func:`measure`.

    Parameters
    ----------
    planar_m2 : array_like
        Planar areas of the pieces in ``crs``, m² (signed areas stay signed).
    x, y : array_like
        The pieces' centroids in ``crs``.
    crs : pyproj.CRS, str or int
        A projected CRS.

    Returns
    -------
    numpy.ndarray
        Ellipsoidal areas, m².

    Examples
    --------
    >>> import shapely
    >>> sq = shapely.box(650_000, 2_980_000, 651_000, 2_981_000)
    >>> c = sq.centroid
    >>> ratio = from_planar([sq.area], [c.x], [c.y], "EPSG:4547")[0] / measure([sq], "EPSG:4547")[0]
    >>> abs(float(ratio) - 1) < 1e-7
    True
    """
    crs = CRS(crs)
    if crs.is_geographic:
        msg = f"from_planar needs planar areas in a projected CRS, not in {describe_crs(crs)} (degrees)."
        raise HygisInputError(msg)
    planar = np.asarray(planar_m2, dtype=float)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    out = np.zeros(planar.shape)
    out[~ok & (planar != 0)] = np.nan  # a piece with area but no centroid: not to be hidden as 0
    todo = ok & (planar != 0)
    if not todo.any():
        return out
    px, py = x[todo], y[todo]
    if px.size <= _GRID_ABOVE:
        factor = _inverse_areal_scale(crs, px, py)
    else:
        factor = AreaScale.over(crs, (px.min(), py.min(), px.max(), py.max()))(px, py)
    out[todo] = planar[todo] * factor
    return out


@dataclass(frozen=True)
class AreaScale:
    """Ellipsoid m² per plane m² over an extent of a projected CRS, tabulated once for an engine.

    An engine that measures pieces in the plane multiplies each piece's planar area by this
    factor at the piece's centroid (:func:`from_planar` explains why that is exact to ~1e-8 for
    pieces of 1 km). The factor is computed by PROJ on a grid of ~``_GRID_NODES`` nodes along the
    extent's longer side and interpolated bilinearly; points outside the extent are computed
    directly. Picklable, so forked and dask workers get the table with the work.

    Examples
    --------
    >>> scale = AreaScale.over("EPSG:4546", (400_000, 2_900_000, 650_000, 3_050_000))
    >>> round(float(scale([500_000.0], [2_980_000.0])[0]), 6)  # 1 / k0² on the central meridian
    1.0
    """

    crs_wkt: str
    x0: float
    y0: float
    step: float
    grid: np.ndarray

    @classmethod
    def over(cls, crs, bounds, nodes: int = _GRID_NODES) -> AreaScale:
        """The table over ``bounds`` = (xmin, ymin, xmax, ymax) of projected CRS ``crs``."""
        crs = CRS(crs)
        if crs.is_geographic:
            msg = f"An area scale needs a projected CRS, not {describe_crs(crs)} (degrees)."
            raise HygisInputError(msg)
        x0, y0, x1, y1 = (float(v) for v in bounds)
        step = max(x1 - x0, y1 - y0, 1.0) / (nodes - 1)
        gx = x0 + step * np.arange(int(np.ceil((x1 - x0) / step)) + 2)
        gy = y0 + step * np.arange(int(np.ceil((y1 - y0) / step)) + 2)
        mx, my = np.meshgrid(gx, gy)
        grid = _inverse_areal_scale(crs, mx.ravel(), my.ravel()).reshape(mx.shape)
        return cls(crs.to_wkt(), x0, y0, step, grid)

    def __call__(self, x, y) -> np.ndarray:
        """The factor at points (x, y) of the CRS."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        fx, fy = (x - self.x0) / self.step, (y - self.y0) / self.step
        ny, nx = self.grid.shape
        inside = (fx >= 0) & (fy >= 0) & (fx <= nx - 1) & (fy <= ny - 1)
        out = np.empty(x.shape)
        i = np.minimum(fx[inside].astype(np.int64), nx - 2)
        j = np.minimum(fy[inside].astype(np.int64), ny - 2)
        tx, ty = fx[inside] - i, fy[inside] - j
        g = self.grid
        out[inside] = (
            g[j, i] * (1 - tx) * (1 - ty)
            + g[j, i + 1] * tx * (1 - ty)
            + g[j + 1, i] * (1 - tx) * ty
            + g[j + 1, i + 1] * tx * ty
        )
        rest = ~inside & np.isfinite(x) & np.isfinite(y)
        if rest.any():
            out[rest] = _inverse_areal_scale(CRS.from_wkt(self.crs_wkt), x[rest], y[rest])
        out[~inside & ~rest] = np.nan
        return out


#: Units an official area field may be in, by the factor from m²: the survey's TBMJ is in m²;
#: a generic 面积 field may hold 公顷, 亩 or km². A unit is recognised within 10 % of its factor.
AREA_UNITS = {"m²": 1.0, "公顷 (ha)": 1e-4, "亩": 15 / 10000, "km²": 1e-6}


@dataclass(frozen=True)
class OfficialAreaCheck:
    """How a layer's official area field compares with the measured areas (see :func:`compare_official`)."""

    unit: str | None  #: the unit the field appears to be in (None: none fits)
    max_rel: float  #: largest |official / measured − 1| once in m² (NaN if nothing to compare)
    worst: int  #: position of that feature (−1 if none)
    compared: int  #: features compared (both values positive)


def compare_official(official, measured_m2) -> OfficialAreaCheck:
    """Compare an official area field (TBMJ, MJ …) with hygis's areas of the same features.

    The field's unit is taken from the median ratio (m², ha, 亩 or km², within 10 %); the largest
    relative difference then catches a wrong CRS, a layer edited after its areas were computed, or
    planar areas stored as official ones (~1e-3 in Hengyang's eastern counties).

    Examples
    --------
    >>> c = compare_official([100.0, 200.1], [100.0, 200.0])
    >>> c.unit, round(c.max_rel, 6), c.worst
    ('m²', 0.0005, 1)
    >>> compare_official([0.01, 0.02], [100.0, 200.0]).unit
    '公顷 (ha)'
    """
    off = pd.to_numeric(pd.Series(np.asarray(official, dtype=object)), errors="coerce").to_numpy(dtype=float)
    got = np.asarray(measured_m2, dtype=float)
    ok = np.isfinite(off) & (off > 0) & np.isfinite(got) & (got > 0)
    if not ok.any():
        return OfficialAreaCheck(None, float("nan"), -1, 0)
    ratio = float(np.median(off[ok] / got[ok]))
    unit = next((u for u, f in AREA_UNITS.items() if abs(ratio / f - 1) <= 0.1), None)
    factor = AREA_UNITS[unit] if unit else 1.0
    rel = np.full(got.shape, -1.0)
    rel[ok] = np.abs(off[ok] / factor / got[ok] - 1)
    worst = int(np.argmax(rel))
    return OfficialAreaCheck(unit, float(rel[worst]), worst, int(ok.sum()))


def describe(method: str = ELLIPSOIDAL, planar_crs=None) -> str:
    """One line saying how areas were measured, for every report.

    Examples
    --------
    >>> describe()
    'ellipsoidal area (椭球面积) on the CGCS2000 ellipsoid, as 国土调查办发〔2008〕32号'
    >>> describe("planar", "EPSG:4546")
    'planar area in EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E)'
    """
    if method == ELLIPSOIDAL:
        return "ellipsoidal area (椭球面积) on the CGCS2000 ellipsoid, as 国土调查办发〔2008〕32号"
    if method == PLANAR:
        if planar_crs is None:
            msg = "A planar area method must state its projected CRS (the Gauss–Krüger zone)."
            raise HygisInputError(msg)
        return f"planar area in {describe_crs(planar_crs)}"
    msg = f"Unknown area method '{method}': use 'ellipsoidal' or 'planar'."
    raise HygisInputError(msg)
