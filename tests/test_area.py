"""The area measure: ellipsoidal areas that match an independent geodesic computation, in any CRS.

The independent reference is ``pyproj.Geod(ellps="GRS80")`` (Karney's geodesic polygon area).
GRS80 and the CGCS2000 ellipsoid share a = 6378137 m; their flattenings differ in the 12th
significant digit (GRS80's is derived from J2, CGCS2000's fixed at 1/298.257222101), which changes
an area by ~1e-12 relative: negligible against the 1e-6 asked here. Geod's own error is ~1e-4 m² a
ring whatever its size, so polygons of a few m² are checked against a local Lambert azimuthal
equal-area projection instead (exact to ~(size/R)²).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from hygis.engine import area
from hygis.errors import HygisInputError

GEOD = pyproj.Geod(ellps="GRS80")

# CGCS2000 3-degree Gauss–Krüger: zone 37 (CM 111°E) and zone 38 (CM 114°E), with and without the
# zone prefix on the easting. Hengyang straddles their boundary, 112.5°E.
ZONE37, ZONE37_PREFIXED = "EPSG:4546", "EPSG:4525"
ZONE38, ZONE38_PREFIXED = "EPSG:4547", "EPSG:4526"
LAT = 26.9


def geodesic_area(geom: shapely.Geometry, crs: str) -> float:
    """Karney's area of a polygon whose vertices are given in ``crs`` (edges geodesic)."""
    lonlat = gpd.GeoSeries([geom], crs=crs).to_crs("EPSG:4490").iloc[0]
    return abs(GEOD.geometry_area_perimeter(lonlat)[0])


def patch(lon: float, size_m: float, seed: int, crs: str, hole: bool = False) -> shapely.Polygon:
    """An irregular 图斑-like polygon of about ``size_m`` across, centred at (lon, 26.9°N), in ``crs``."""
    rng = np.random.default_rng(seed)
    cx, cy = pyproj.Transformer.from_crs("EPSG:4490", crs, always_xy=True).transform(lon, LAT)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 14))
    r = rng.uniform(0.3, 0.5, ang.size) * size_m
    shell = np.c_[cx + r * np.cos(ang), cy + r * np.sin(ang)]
    holes = [shapely.Point(cx, cy).buffer(size_m * 0.1, quad_segs=3).exterior.coords] if hole else []
    return shapely.Polygon(shell, holes)


def cases() -> list[tuple[str, float, str]]:
    return [
        ("zone 37, 1.2° west of the boundary", 111.3, ZONE37),
        ("zone 37, prefixed easting", 111.8, ZONE37_PREFIXED),
        ("zone 38, central city", 112.6, ZONE38),
        ("zone 38, far east (耒阳/衡东)", 113.4, ZONE38_PREFIXED),
        ("astride 112.5°E, in zone 37's plane", 112.5, ZONE37),
        ("astride 112.5°E, in zone 38's plane", 112.5, ZONE38),
    ]


@pytest.mark.parametrize(("label", "lon", "crs"), cases(), ids=[c[0] for c in cases()])
@pytest.mark.parametrize("size_m", [20.0, 150.0, 600.0, 3000.0])
def test_ellipsoidal_area_matches_geodesic_polygon_area(label, lon, crs, size_m):
    polys = [patch(lon, size_m, seed, crs, hole=seed % 2 == 1) for seed in range(6)]
    ours = area.measure(polys, crs)
    reference = np.array([geodesic_area(p, crs) for p in polys])
    assert np.all(np.abs(ours / reference - 1) <= 1e-6), (label, ours / reference - 1)


@pytest.mark.parametrize("lon", [111.3, 112.5, 113.4])
def test_tiny_polygons_match_a_local_equal_area_projection(lon):
    polys = [
        patch(lon, size, seed, ZONE38, hole=seed % 2 == 0) for seed, size in enumerate([0.5, 2.0, 8.0, 25.0])
    ]
    ours = area.measure(polys, ZONE38)
    lonlat = gpd.GeoSeries(polys, crs=ZONE38).to_crs("EPSG:4490")
    laea = f"+proj=laea +lat_0={LAT} +lon_0={lon} +ellps=GRS80"
    np.testing.assert_allclose(ours, lonlat.to_crs(laea).area.to_numpy(), rtol=1e-8)


def test_same_area_whatever_the_crs_the_data_is_in():
    polys = [patch(112.5, 400.0, seed, ZONE37, hole=True) for seed in range(4)]
    base = area.measure(polys, ZONE37)
    for crs in (ZONE38, ZONE38_PREFIXED, "EPSG:4490", "EPSG:4326", "EPSG:3857"):
        moved = gpd.GeoSeries(polys, crs=ZONE37).to_crs(crs)
        np.testing.assert_allclose(area.measure(moved), base, rtol=1e-8)


def test_planar_area_differs_by_the_zone_scale_the_ellipsoidal_does_not():
    # At 113.3°E, in zone 37's plane (2.3° from its central meridian, y ≈ 228 km) the projection
    # enlarges areas by ~(y/R)² ≈ 1.3e-3; in zone 38's (0.7° away, y ≈ 70 km) by ~1.2e-4.
    poly = patch(113.3, 1000.0, 3, ZONE37)
    ellipsoidal = area.measure([poly], ZONE37)[0]
    planar = area.measure([poly], ZONE37, method="planar")[0]
    assert planar == pytest.approx(poly.area, rel=1e-12)
    assert 1.1e-3 < planar / ellipsoidal - 1 < 1.5e-3
    in_zone38 = area.measure([poly], ZONE37, method="planar", planar_crs=ZONE38)[0]
    moved = gpd.GeoSeries([poly], crs=ZONE37).to_crs(ZONE38).iloc[0]
    assert in_zone38 == pytest.approx(moved.area, rel=1e-12)
    assert 0.8e-4 < in_zone38 / ellipsoidal - 1 < 1.6e-4


def test_the_32_formula_series_equals_the_authalic_integral():
    # Closed form of b² ∫ cos B / (1 − e² sin² B)² dB, written independently of hygis.
    a, f = 6378137.0, 1 / 298.257222101
    b = a * (1 - f)
    e2 = f * (2 - f)
    e = np.sqrt(e2)

    def primitive(lat):
        s = np.sin(lat)
        return b * b * (s / (2 * (1 - e2 * s * s)) + np.log((1 + e * s) / (1 - e * s)) / (4 * e))

    lat1 = np.radians(np.array([0.0, 10.0, 24.5, 26.0, 45.0, 60.0]))
    lat2 = lat1 + np.radians(np.array([5.0, 1.0, 0.5, 1 / 60, 10.0, 0.25]))
    dlon = np.radians(np.array([6.0, 3.0, 0.25, 1 / 60, 1.0, 0.5]))
    expected = dlon * (primitive(lat2) - primitive(lat1))
    # The series stops at e⁸: its truncation is of the order of e¹⁰ ≈ 2e-11.
    np.testing.assert_allclose(area.trapezoid_area(lat1, lat2, dlon), expected, rtol=1e-10)


def test_per_edge_32_sum_and_hygis_agree_on_survey_patches():
    """What survey software does (one 32号 trapezoid per edge, straight in B, L) vs hygis."""
    a, f = 6378137.0, 1 / 298.257222101
    b = a * (1 - f)
    e2 = f * (2 - f)
    ca = 1 + 3 / 6 * e2 + 30 / 80 * e2**2 + 35 / 112 * e2**3 + 630 / 2304 * e2**4
    cb = 1 / 6 * e2 + 15 / 80 * e2**2 + 21 / 112 * e2**3 + 420 / 2304 * e2**4
    cc = 3 / 80 * e2**2 + 7 / 112 * e2**3 + 180 / 2304 * e2**4
    cd = 1 / 112 * e2**3 + 45 / 2304 * e2**4
    ce = 5 / 2304 * e2**4

    def per_edge(poly_lonlat):
        lon, lat = (np.radians(v) for v in np.asarray(poly_lonlat.exterior.coords).T)
        db, bm = np.diff(lat), (lat[1:] + lat[:-1]) / 2
        lm = (lon[1:] + lon[:-1]) / 2 - lon[0]
        s = (
            ca * np.sin(db / 2) * np.cos(bm)
            - cb * np.sin(1.5 * db) * np.cos(3 * bm)
            + cc * np.sin(2.5 * db) * np.cos(5 * bm)
            - cd * np.sin(3.5 * db) * np.cos(7 * bm)
            + ce * np.sin(4.5 * db) * np.cos(9 * bm)
        )
        return abs(np.sum(2 * b * b * lm * s))

    for lon, crs in ((111.4, ZONE37), (112.5, ZONE38), (113.3, ZONE38)):
        polys = [patch(lon, 80.0, seed, crs) for seed in range(5)]
        lonlat = gpd.GeoSeries(polys, crs=crs).to_crs("EPSG:4490")
        survey = np.array([per_edge(p) for p in lonlat])
        np.testing.assert_allclose(area.measure(polys, crs), survey, rtol=1e-6)


def test_holes_parts_collections_and_non_polygons():
    crs = ZONE38
    outer = patch(112.6, 500.0, 1, crs)
    with_hole = patch(112.6, 500.0, 1, crs, hole=True)
    hole = shapely.Polygon(with_hole.interiors[0])
    other = patch(112.7, 300.0, 2, crs)
    line = shapely.LineString([(0, 0), (1, 1)])
    geoms = [
        outer,
        with_hole,
        shapely.MultiPolygon([outer, other]),
        shapely.GeometryCollection([outer, line, shapely.Point(1, 1)]),
        line,
        None,
        shapely.Polygon(),
        shapely.reverse(outer),
    ]
    got = area.measure(geoms, crs)
    a_outer, a_hole, a_other = area.measure([outer, hole, other], crs)
    assert got[1] == pytest.approx(a_outer - a_hole, rel=1e-12)
    assert got[2] == pytest.approx(a_outer + a_other, rel=1e-12)
    assert got[3] == pytest.approx(a_outer, rel=1e-12)
    assert list(got[4:7]) == [0.0, 0.0, 0.0]
    assert got[7] == pytest.approx(a_outer, rel=1e-10)


def test_many_geometries_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(7)
    polys = [
        patch(lon, size, int(s), ZONE37, hole=bool(s % 3 == 0))
        for lon, size, s in zip(
            rng.uniform(111.2, 113.4, 60), rng.uniform(10, 2000, 60), rng.integers(0, 1000, 60)
        )
    ]
    polys[10] = shapely.MultiPolygon([polys[10], polys[11]])
    together = area.measure(gpd.GeoSeries(polys, crs=ZONE37))
    alone = np.array([area.measure([p], ZONE37)[0] for p in polys])
    np.testing.assert_allclose(together, alone, rtol=1e-13)


def test_county_total_of_the_embedded_boundaries():
    """The 12 embedded county units (approximate boundaries) total ~15,301 km² ellipsoidal.

    The plan gives the city as 15,310 km²; the embedded boundaries are Amap's, not the survey's,
    so the two agree only to the boundaries' own precision (a few per mille).
    """
    from hygis import layers

    counties = layers.load("counties")
    ours = area.measure(counties)
    reference = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in counties.geometry])
    np.testing.assert_allclose(ours, reference, rtol=1e-6)
    total_km2 = ours.sum() / 1e6
    assert total_km2 == pytest.approx(15_310, rel=3e-3)


def test_user_mistakes_are_input_errors():
    poly = patch(112.6, 100.0, 1, ZONE38)
    with pytest.raises(HygisInputError, match="without a coordinate reference system"):
        area.measure([poly])
    with pytest.raises(HygisInputError, match="pass one or the other"):
        area.measure(gpd.GeoSeries([poly], crs=ZONE38), ZONE37)
    with pytest.raises(HygisInputError, match="Unknown area method"):
        area.measure([poly], ZONE38, method="flat")
    with pytest.raises(HygisInputError, match="projected CRS"):
        area.measure([poly], ZONE38, method="planar", planar_crs="EPSG:4490")
    # Gauss–Krüger metres labelled as longitude/latitude: a wrong CRS, not a huge area.
    with pytest.raises(HygisInputError, match="CRS is probably wrong"):
        area.measure([poly], "EPSG:4490")


def test_reports_say_which_method():
    assert "32号" in area.describe() and "CGCS2000" in area.describe()
    assert "EPSG:4546" in area.describe("planar", ZONE37)
    with pytest.raises(HygisInputError):
        area.describe("planar")


# Edges straight in Web Mercator are rhumb lines, ~1e-5 of a 1 km polygon's area off the geodesics.
@pytest.mark.parametrize(("crs", "rtol"), [(ZONE37, 1e-6), (ZONE38_PREFIXED, 1e-6), ("EPSG:3857", 2e-5)])
def test_planar_pieces_convert_to_the_ellipsoidal_measure(crs, rtol):
    """What the overlap engine does for pieces it measures in the plane, without building polygons."""
    rng = np.random.default_rng(11)
    lons = rng.uniform(111.3, 113.4, 40)
    sizes = rng.uniform(5, 1000, 40)
    polys = np.array(
        [patch(lon, size, k, crs, hole=k % 4 == 0) for k, (lon, size) in enumerate(zip(lons, sizes))]
    )
    c = shapely.centroid(polys)
    direct = area.from_planar(shapely.area(polys), shapely.get_x(c), shapely.get_y(c), crs)
    np.testing.assert_allclose(direct, area.measure(polys, crs), rtol=rtol)
    # Many pieces: the projection's scale is interpolated on a grid, to the same figures.
    many = np.tile(polys, 150)
    cm = shapely.centroid(many)
    gridded = area.from_planar(shapely.area(many), shapely.get_x(cm), shapely.get_y(cm), crs)
    np.testing.assert_allclose(gridded, np.tile(direct, 150), rtol=1e-7)
    assert area.from_planar([0.0, 5.0], [np.nan, np.nan], [0.0, np.nan], crs)[0] == 0.0
    assert np.isnan(area.from_planar([5.0], [np.nan], [np.nan], crs)[0])


def test_area_scale_table_is_picklable_and_exact_outside_its_extent():
    import pickle

    scale = area.AreaScale.over(ZONE37, (400_000, 2_900_000, 650_000, 3_050_000))
    again = pickle.loads(pickle.dumps(scale))
    x = np.array([450_000.0, 640_000.0, 900_000.0])  # the last one outside the table
    y = np.array([2_950_000.0, 3_000_000.0, 3_000_000.0])
    direct = area.from_planar(np.ones(3), x, y, ZONE37)  # few points: computed directly
    np.testing.assert_allclose(again(x, y), direct, rtol=1e-8)
