"""The overlap engine measuring on the ellipsoid: the same figures as measuring the overlap polygons."""

from __future__ import annotations

import numpy as np
import shapely

from hygis.engine.area import AreaScale, measure
from hygis.engine.overlap import disjoint_layer, overlap, site_areas

GK = "EPSG:4546"  # zone 37 (CM 111°E); the case lies ~1.1° east of it, where the plane is 3.5e-4 too large
X0, Y0 = 610_000.0, 2_980_000.0


def case(seed: int = 3):
    rng = np.random.default_rng(seed)
    feats = []
    for _ in range(120):  # star-shaped (non-convex) patches
        cx, cy = X0 + rng.uniform(-8000, 8000), Y0 + rng.uniform(-8000, 8000)
        t = np.sort(rng.uniform(0, 2 * np.pi, 12))
        r = rng.uniform(300, 1500) * (0.5 + 0.5 * (np.arange(12) % 2))
        feats.append(shapely.Polygon(np.c_[cx + r * np.cos(t), cy + r * np.sin(t)]).buffer(0))
    feats += [shapely.box(X0 + 9000 + 800 * k, Y0, X0 + 9700 + 800 * k, Y0 + 700) for k in range(5)]  # convex
    ring = shapely.box(X0 - 3000, Y0 - 3000, X0 + 3000, Y0 + 3000)
    feats.append(ring.difference(shapely.box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)))  # a hole
    sites = []
    for _ in range(80):
        cx, cy = X0 + rng.uniform(-9000, 9000), Y0 + rng.uniform(-9000, 9000)
        w = rng.uniform(100, 2500)
        sites.append(shapely.box(cx - w, cy - w / 3, cx + w, cy + w / 3))
    sites.append(shapely.LineString([(X0 - 9000, Y0), (X0 + 9000, Y0 + 2000)]).buffer(40))  # a corridor
    sites.append(shapely.box(X0 + 9100, Y0 + 100, X0 + 9600, Y0 + 600))  # wholly inside a convex patch
    sites.append(None)
    return np.array(sites, dtype=object), disjoint_layer(np.array(feats, dtype=object))


def test_ellipsoidal_overlap_equals_measuring_the_overlap_polygons():
    sites, layer = case()
    scale = AreaScale.over(GK, (X0 - 12000, Y0 - 12000, X0 + 14000, Y0 + 12000))
    planar, geoms = overlap(sites, layer, workers=1)
    ellipsoidal, _ = overlap(sites, layer, geometry=False, workers=1, area_scale=scale)
    geoms = np.array(geoms, dtype=object)
    # The engine's region has the edges straight in the plane, as the sites and patches were drawn:
    # densified in the plane, measure() sees the same region.
    reference = measure(shapely.segmentize(geoms, 20.0), GK)
    hit = reference > 0
    assert hit.sum() > 20
    np.testing.assert_allclose(ellipsoidal[hit], reference[hit], rtol=1e-8)
    # Taken as geodesics between the same vertices, the edges enclose a region larger or smaller by
    # ~1e-7 of a km-sized site's area, 2e-6 of the 18 km corridor's.
    np.testing.assert_allclose(ellipsoidal[hit], measure(geoms, GK)[hit], rtol=3e-6)
    assert np.all(ellipsoidal[~hit] == 0)
    assert np.all(np.abs(planar[hit] / ellipsoidal[hit] - 1) > 2e-4)  # the plane's scale error, gone


def test_every_engine_gives_the_same_ellipsoidal_figures():
    sites, layer = case()
    scale = AreaScale.over(GK, (X0 - 12000, Y0 - 12000, X0 + 14000, Y0 + 12000))
    serial, _ = overlap(sites, layer, geometry=False, workers=1, chunk_size=20, area_scale=scale)
    forked, _ = overlap(sites, layer, geometry=False, workers=2, chunk_size=20, area_scale=scale)
    np.testing.assert_array_equal(serial, forked)


def test_site_areas_agree_with_measure_and_leave_nothing_outside_an_enclosing_feature():
    sites, layer = case()
    scale = AreaScale.over(GK, (X0 - 12000, Y0 - 12000, X0 + 14000, Y0 + 12000))
    got = site_areas(sites, area_scale=scale)
    np.testing.assert_allclose(got[:-1], measure(shapely.segmentize(sites[:-1], 20.0), GK), rtol=1e-8)
    assert got[-1] == 0.0
    inside, _ = overlap(sites[-2:-1], layer, geometry=False, workers=1, area_scale=scale)
    assert abs(got[-2] - inside[0]) <= 1e-9 * got[-2]
    np.testing.assert_array_equal(site_areas(sites[:-1]), shapely.area(sites[:-1]))
