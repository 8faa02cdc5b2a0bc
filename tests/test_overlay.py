"""The overlay primitives against plain shapely (union_all, intersection) on random layers."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from hygis.engine.regions import connected_components, measure, split_by_regions, union_area_by_group


@pytest.mark.parametrize("seed", range(5))
def test_union_area_by_group_equals_union_all(seed):
    rng = np.random.default_rng(seed)
    n = 400
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    geoms = shapely.box(x, y, x + rng.uniform(50, 300, n), y + rng.uniform(50, 300, n))
    groups = rng.integers(0, 3, n)
    ours = union_area_by_group(geoms, groups, 4)
    ref = [shapely.union_all(geoms[groups == k]).area if (groups == k).any() else 0.0 for k in range(4)]
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_clip_to_zones_conserves_measure():
    rng = np.random.default_rng(7)
    x, y = rng.uniform(0, 1900, 200), rng.uniform(0, 1900, 200)
    geoms = shapely.box(x, y, x + 100, y + 100)
    zones = np.array([shapely.box(0, 0, 1000, 2000), shapely.box(1000, 0, 2000, 2000)], dtype=object)
    pieces, owner, zone = split_by_regions(geoms, zones)
    np.testing.assert_allclose(
        np.bincount(owner, weights=measure(pieces), minlength=200), shapely.area(geoms)
    )
    straddling = np.flatnonzero((x > 900) & (x < 1000))[0]  # reaches across x = 1000
    inside = np.flatnonzero(x + 100 < 1000)[0]
    assert set(zone[owner == straddling]) == {0, 1}
    assert set(zone[owner == inside]) == {0}


def test_connected_components():
    label = connected_components(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert list(label) == [0, 0, 0, 3, 4, 4]


def test_multipart_feature_with_parts_in_two_zones():
    zones = np.array([shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)], dtype=object)
    multi = shapely.MultiPolygon([shapely.box(100, 100, 200, 200), shapely.box(1500, 100, 1700, 200)])
    pieces, owner, zone = split_by_regions(np.array([multi], dtype=object), zones)
    assert dict(zip(zone.tolist(), shapely.area(pieces).tolist())) == {0: 10000.0, 1: 20000.0}
