import numpy as np
import shapely
from pyproj import Geod

from hygis import gcj02

GEOD = Geod(ellps="WGS84")


def test_offset_in_hengyang_is_about_650_m():
    lon, lat = 112.6271, 26.8928
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
    _, _, dist = GEOD.inv(lon, lat, glon, glat)
    assert 600 < dist < 700
    # GCJ-02 lies east and south of WGS 84 here (public-facts.md: +0.0052° lon, −0.0036° lat).
    assert 0.004 < glon - lon < 0.006 and -0.0045 < glat - lat < -0.003


def test_inverse_converges_below_a_millimetre_over_the_city():
    rng = np.random.default_rng(0)
    lon = rng.uniform(111.5, 113.3, 10_000)
    lat = rng.uniform(26.1, 27.5, 10_000)
    back_lon, back_lat = gcj02.gcj02_to_wgs84(*gcj02.wgs84_to_gcj02(lon, lat))
    _, _, err = GEOD.inv(lon, lat, back_lon, back_lat)
    assert err.max() < 1e-3


def test_no_shift_outside_china():
    lon, lat = gcj02.wgs84_to_gcj02(2.35, 48.85)
    assert (lon, lat) == (2.35, 48.85)


def test_geometries_round_trip():
    poly = shapely.box(112.6, 26.8, 112.7, 26.9)
    shifted = gcj02.geometries_wgs84_to_gcj02([poly])[0]
    back = gcj02.geometries_gcj02_to_wgs84([shifted])[0]
    assert shapely.hausdorff_distance(poly, shifted) > 0.004
    assert shapely.hausdorff_distance(poly, back) < 1e-9
