"""Overlap pieces feature by feature: exactly the touched patches, each with its own area."""

from __future__ import annotations

import numpy as np
import shapely

from hygis.engine.area import measure
from hygis.engine.pieces import overlap_pieces

GK = "EPSG:4547"  # CGCS2000 3° Gauss–Krüger CM 114°E: the central city's zone
X0, Y0 = 460_000.0, 2_975_000.0  # near 112.6°E, 26.9°N


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def test_each_touched_patch_once_with_its_area():
    site = box(0, 0, 300, 200)
    patches = [
        box(-100, -100, 100, 100),  # a quarter-ish: 100 × 100 inside
        box(150, 50, 250, 150),  # wholly inside: 100 × 100
        box(300, 0, 400, 200),  # touches the east edge only: no area
        shapely.Polygon(box(200, 100, 400, 300).exterior.coords, [box(250, 120, 280, 180).exterior.coords]),
        box(1000, 1000, 1100, 1100),  # far away
        None,
    ]
    got = overlap_pieces([site, None], patches, GK, method="planar")
    assert got["site"].tolist() == [0, 0, 0]
    assert got["feature"].tolist() == [0, 1, 3]
    # By hand: 100·100; 100·100; (100·100 − the hole's 30·60 part inside the site: 30·60).
    np.testing.assert_allclose(got["area_m2"], [10_000.0, 10_000.0, 10_000.0 - 1_800.0])
    assert all(g.geom_type == "MultiPolygon" for g in got["geometry"])


def test_ellipsoidal_by_default_and_the_same_as_measuring_the_pieces():
    site = box(0, 0, 300, 200)
    patches = [box(-100, -100, 100, 100), box(150, 50, 250, 150)]
    got = overlap_pieces([site], patches, GK)
    expected = measure([box(0, 0, 100, 100), box(150, 50, 250, 150)], GK)
    np.testing.assert_allclose(got["area_m2"], expected, rtol=1e-9)
    assert not np.allclose(got["area_m2"], 10_000.0, rtol=1e-6)  # 1.4° off the meridian: the plane differs


def test_pieces_split_again_by_county():
    site = box(0, 0, 300, 200)
    patch = box(100, -50, 250, 250)
    counties = [box(-1000, -1000, 200, 1000), box(200, -1000, 2000, 1000)]
    pieces = overlap_pieces([site], [patch], GK, method="planar")
    split = overlap_pieces(pieces["geometry"], counties, GK, method="planar")
    assert split["feature"].tolist() == [0, 1]
    np.testing.assert_allclose(split["area_m2"], [100 * 200, 50 * 200])
    assert split["area_m2"].sum() == pieces["area_m2"].sum()


def test_nothing_touched_gives_an_empty_table_with_its_columns():
    got = overlap_pieces([box(0, 0, 10, 10)], [box(50, 50, 60, 60)], GK)
    assert got.empty and list(got.columns) == ["site", "feature", "area_m2", "geometry"]
