"""The overlap kernel gives GEOS's areas (exact to rounding) on general and adversarial inputs.

GEOS (shapely) is the oracle: every clipping path of :mod:`hygis.engine.kernel` (convex by convex,
a feature by a convex piece, signed fans), the cutting of sites into pieces and the engine built on
them are compared with it, within 1e-9 relative. The kernel runs compiled (as users run it) and
plain (the same functions run by Python, what a new machine runs while numba compiles): the
same bits.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from shapely import affinity

from hygis.engine import clip, kernel
from hygis.engine.overlap import disjoint_layer, overlap

# Gauss–Krüger-sized coordinates: where precision is lost if areas are taken carelessly.
X0, Y0 = 512_345.0, 2_987_654.0


@pytest.fixture
def engine_kernel():
    """The compiled kernel, as users run it (loaded, or compiled the first time on the machine).
    The plain one gives the same bits: :func:`test_the_plain_kernel_gives_the_compiled_kernels_bits`."""
    kernel.warm_up()
    return "compiled"


def _pair_areas(
    subs, clips: np.ndarray, a: np.ndarray, b: np.ndarray, n_subs: int | None = None
) -> np.ndarray:
    """area(subs[a[k]] ∩ clips[b[k]]) by the kernel, with no engine around it (``subs``: polygons,
    or :class:`hygis.engine.clip.Rings` of ``n_subs`` owners)."""
    s_rings = subs if isinstance(subs, clip.Rings) else clip.rings_of(subs)
    n_subs = len(subs) if n_subs is None else n_subs
    c_rings = clip.rings_of(clips)
    clippers = clip.convex_rings(c_rings, len(clips))
    layer = SimpleNamespace(**dict(zip(("convex", "offsets", "cx", "cy"), clippers)))
    area, _, _ = kernel.pair_areas(
        a,
        b,
        kernel.RingArrays.from_rings(s_rings, n_subs),
        clip.convex_rings(s_rings, n_subs),
        kernel.RingArrays.from_rings(c_rings, len(clips)),
        layer,
    )
    return area


def _subjects(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid non-convex polygons: discs with a hole or a notch, an arm, some multipart."""
    out = []
    for i in range(n):
        c = rng.uniform(0, 100, 2)
        g = shapely.Point(c).buffer(rng.uniform(5, 20), quad_segs=int(rng.integers(1, 6)))
        g = g.difference(shapely.Point(c + rng.uniform(-5, 5, 2)).buffer(rng.uniform(1, 4)))
        g = g.union(shapely.box(c[0] + 10, c[1] - 3, c[0] + 40, c[1] + 3))
        if i % 3 == 0:
            g = shapely.MultiPolygon(
                [*shapely.get_parts(g), shapely.box(c[0] - 40, c[1] - 40, c[0] - 30, c[1] - 35)]
            )
        if i % 4 == 0:
            g = g.reverse()  # clockwise shells, counter-clockwise holes
        out.append(g)
    arr = np.array(out, dtype=object)
    assert shapely.is_valid(arr).all()
    return arr


def _convex(rng: np.random.Generator, n: int) -> np.ndarray:
    hulls = shapely.convex_hull(shapely.multipoints(rng.uniform(0, 100, (n, 9, 2))))
    boxes = shapely.box(
        np.arange(0, 100, 10), 0, np.arange(10, 110, 10), 50
    )  # collinear-free, axis-parallel edges
    return np.concatenate([hulls, boxes, [h.reverse() for h in hulls[:10]]])


def _at(geoms: np.ndarray, dx: float, dy: float) -> np.ndarray:
    return np.array([affinity.translate(g, dx, dy) for g in geoms], dtype=object)


def test_clipped_area_equals_geos_for_nonconvex_holed_multipart_subjects(engine_kernel):
    rng = np.random.default_rng(7)
    subs, clips = _subjects(rng, 120), _convex(rng, 80)
    # GEOS near the origin is the reference (its own rounding grows with the coordinates).
    a, b = np.meshgrid(np.arange(len(subs)), np.arange(len(clips)), indexing="ij")
    a, b = a.ravel(), b.ravel()
    expected = shapely.area(shapely.intersection(subs[a], clips[b]))
    got = _pair_areas(_at(subs, X0, Y0), _at(clips, X0, Y0), a, b)
    assert (expected > 0).sum() > 1000 and (expected == 0).sum() > 1000
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_two_nonconvex_polygons_clip_by_signed_fans_to_geos_areas(engine_kernel):
    """Neither convex: the larger becomes its signed fan, the smaller is clipped by each wedge."""
    rng = np.random.default_rng(5)
    feats, subs = _nonconvex_features(rng), _subjects(rng, 60)
    a, b = np.meshgrid(np.arange(len(subs)), np.arange(len(feats)), indexing="ij")
    a, b = a.ravel(), b.ravel()
    expected = shapely.area(shapely.intersection(subs[a], feats[b]))
    got = _pair_areas(_at(subs, X0, Y0), _at(feats, X0, Y0), a, b)
    assert (expected > 0).sum() > 100
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def _adversarial(rng: np.random.Generator) -> np.ndarray:
    """Rings that break careless clippers: slivers, needles, collinear runs, vertices on edges,
    shared edges, a hole touching its shell, a square in a hole, microscopic and huge rings."""
    out = [
        shapely.box(0, 0, 100, 1e-6),  # a sliver
        shapely.Polygon([(0, 0), (100, 0), (100, 100), (50, 100), (50, 100 - 1e-7), (49, 100), (0, 100)]),
        shapely.Polygon([(0, 0), (25, 0), (50, 0), (75, 0), (100, 0), (100, 50), (0, 50)]),  # collinear
        shapely.Polygon([(50, 0), (100, 50), (50, 100), (0, 50)]),  # vertices on the boxes' edges
        shapely.box(0, 0, 100, 100).difference(shapely.box(10, 10, 90, 90)),  # a frame
        shapely.box(20, 20, 80, 80),  # in the frame's hole, sharing nothing
        shapely.box(10, 10, 90, 90),  # exactly the hole: shares the hole's edges
        shapely.Polygon([(0, 0), (100, 0), (100, 100), (0, 100)], [[(0, 0), (50, 10), (10, 50)]]),
        shapely.box(40, 40, 40.001, 40.001),  # a millimetre
        shapely.box(-1e4, -1e4, 1e4, 1e4),  # covers everything
        shapely.Polygon([(0, 0), (100, 100), (100, 0)]).reverse(),  # clockwise triangle on a diagonal
    ]
    for _ in range(40):  # star-shaped random rings on a coarse grid: many exact coincidences
        k = int(rng.integers(3, 30))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = np.round(rng.uniform(5, 60, k))
        c = np.round(rng.uniform(20, 80, 2))
        out.append(shapely.Polygon(np.c_[c[0] + np.round(r * np.cos(ang)), c[1] + np.round(r * np.sin(ang))]))
    arr = shapely.make_valid(np.array(out, dtype=object), method="structure", keep_collapsed=False)
    return arr[(shapely.get_type_id(arr) == 3) | (shapely.get_type_id(arr) == 6)]


def test_adversarial_rings_measure_as_geos_measures_them(engine_kernel):
    """Every pair of adversarial rings, at Gauss–Krüger coordinates, against GEOS near the origin:
    within 1e-9 of the larger operand's area (a sliver's overlap is not held to its own digits)."""
    far = _at(_adversarial(np.random.default_rng(13)), X0, Y0)
    # The oracle on the very coordinates the kernel gets, moved back near 0 (exactly: Sterbenz).
    geoms = _at(far, -X0, -Y0)
    a, b = np.meshgrid(np.arange(len(geoms)), np.arange(len(geoms)), indexing="ij")
    a, b = a.ravel(), b.ravel()
    expected = shapely.area(shapely.intersection(geoms[a], geoms[b]))
    got = _pair_areas(far, far, a, b)
    scale = np.maximum(shapely.area(geoms[a]), shapely.area(geoms[b]))
    assert (np.abs(got - expected) <= 1e-9 * scale + 1e-12).all()
    # Touching along an edge, or lying in a hole, is exactly no area.
    frame, inner, hole = 4, 5, 6
    touching = [(frame, inner), (frame, hole), (inner, frame)]
    for i, j in touching:
        assert got[i * len(geoms) + j] == 0.0


def test_touching_edge_and_hole_give_zero(engine_kernel):
    square = shapely.box(0, 0, 10, 10)
    ring = shapely.box(-20, -20, 30, 30).difference(shapely.box(-1, -1, 11, 11))  # square sits in the hole
    beside = shapely.box(10, 0, 20, 10)  # shares an edge
    subs = np.array([ring, beside], dtype=object)
    got = _pair_areas(subs, np.array([square], dtype=object), np.array([0, 1]), np.array([0, 0]))
    assert got.tolist() == [0.0, 0.0]


def test_convexity_is_detected_exactly():
    shapes = np.array(
        [
            shapely.box(0, 0, 2, 1),
            shapely.Polygon([(0, 0), (1, 0), (2, 0), (2, 2), (0, 2)]),  # a straight vertex: still convex
            shapely.Polygon([(0, 0), (2, 0), (1, 0.1), (2, 2), (0, 2)]),  # one reflex vertex
            shapely.box(0, 0, 10, 10).difference(shapely.box(4, 4, 6, 6)),  # a hole
            shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
            shapely.box(0, 0, 2, 1).reverse(),
            shapely.Polygon(),
        ],
        dtype=object,
    )
    convex, off, cx, cy = clip.convex_rings(clip.rings_of(shapes), len(shapes))
    assert convex.tolist() == [True, True, False, False, False, True, False]
    # Clippers come out counter-clockwise and closed, whatever the input orientation.
    for i in np.flatnonzero(convex):
        ring = shapely.LinearRing(np.c_[cx[off[i] : off[i + 1]], cy[off[i] : off[i + 1]]])
        assert ring.is_ccw and ring.is_closed


@pytest.mark.parametrize("cell", [3.0, 7.0, 25.0])
def test_bisected_pieces_tile_the_polygon(cell, engine_kernel):
    rng = np.random.default_rng(3)
    subs = _subjects(rng, 60)
    pieces, owner = kernel.bisect(clip.rings_of(subs), len(subs), cell)
    bounds = clip.owner_bounds(pieces, len(owner))
    assert (bounds[:, 2] - bounds[:, 0] <= cell).all() and (bounds[:, 3] - bounds[:, 1] <= cell).all()
    # The pieces (rings whose winding numbers add up to their subject's: zero-width bridges along
    # a cut are walked both ways) add up to the subject, and clipped by each convex polygon to
    # the subject's intersection with it.
    area, _, _ = clip.ring_centroids(pieces, len(owner))
    np.testing.assert_allclose(np.bincount(owner, area, len(subs)), shapely.area(subs), rtol=1e-9)
    clips = _convex(rng, 30)
    p, c = np.meshgrid(np.arange(len(owner)), np.arange(len(clips)), indexing="ij")
    p, c = p.ravel(), c.ravel()
    total = np.zeros((len(subs), len(clips)))
    np.add.at(total, (owner[p], c), _pair_areas(pieces, clips, p, c, len(owner)))
    a, b = np.meshgrid(np.arange(len(subs)), np.arange(len(clips)), indexing="ij")
    expected = shapely.area(shapely.intersection(subs[a.ravel()], clips[b.ravel()]))
    np.testing.assert_allclose(total.ravel(), expected, rtol=1e-9, atol=1e-9)


def test_overlap_engine_mixes_convex_and_nonconvex_features(engine_kernel):
    """Convex features are clipped directly, the others by hull then signed fan.

    The sum is GEOS's, on every engine path.
    """
    rng = np.random.default_rng(11)
    subs = _at(_subjects(rng, 80), X0, Y0)
    convex = _convex(rng, 40)
    nonconvex = np.array(
        [
            shapely.Point(x, y).buffer(6).difference(shapely.box(x, y, x + 10, y + 10))
            for x, y in rng.uniform(0, 100, (40, 2))
        ],
        dtype=object,
    )
    holed = np.array(
        [
            shapely.box(x, y, x + 15, y + 15).difference(shapely.box(x + 5, y + 5, x + 10, y + 10))
            for x, y in rng.uniform(0, 100, (20, 2))
        ],
        dtype=object,
    )
    feats = _at(np.concatenate([convex, nonconvex, holed]), X0, Y0)
    layer = disjoint_layer(feats)
    assert layer.dissolved_groups > 0  # the random features overlap: merged groups are non-convex
    expected = np.array([shapely.area(shapely.intersection(s, shapely.union_all(feats))) for s in subs])
    for geometry in (False, True):
        for workers in (1, 2):
            got, geoms = overlap(subs, layer, geometry=geometry, workers=workers, chunk_size=25)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6)
            if geometry:
                areas = np.array([0.0 if g is None else g.area for g in geoms])
                np.testing.assert_allclose(areas, expected, rtol=1e-9, atol=1e-6)


def _nonconvex_features(rng: np.random.Generator) -> np.ndarray:
    """Stars with reflex corners (some holed, some clockwise, some with straight vertices), multiparts."""
    out = []
    for i in range(60):
        c = rng.uniform(0, 100, 2)
        k = int(rng.integers(5, 18))
        ang = (np.arange(k) + rng.uniform(0.1, 0.9, k)) * 2 * np.pi / k
        r = rng.uniform(3, 12, k)
        ring = np.c_[c[0] + r * np.cos(ang), c[1] + r * np.sin(ang)]
        if i % 5 == 0:
            ring = np.insert(ring, 1, (ring[0] + ring[1]) / 2, axis=0)  # a straight vertex
        g = shapely.Polygon(ring)
        if i % 3 == 0:
            g = g.difference(shapely.Point(c).buffer(1.5, quad_segs=2))
        if i % 4 == 0:
            g = shapely.MultiPolygon(
                [*shapely.get_parts(g), shapely.box(c[0] + 15, c[1], c[0] + 18, c[1] + 4)]
            )
        if i % 7 == 0:
            g = g.reverse()
        out.append(g)
    arr = np.array(out, dtype=object)
    assert shapely.is_valid(arr).all()
    return arr


def test_overlap_engine_on_nonconvex_holed_multipart_layer_equals_geos(engine_kernel):
    """A layer with no convex feature: every area comes from hull + fan clipping, none from GEOS."""
    rng = np.random.default_rng(9)
    feats = _at(_nonconvex_features(rng), X0, Y0)
    layer = disjoint_layer(feats)
    assert not layer.convex.any()
    subs = _at(_subjects(rng, 60), X0, Y0)
    union = shapely.union_all(_at(feats, -X0, -Y0))
    expected = shapely.area(shapely.intersection(_at(subs, -X0, -Y0), union))
    assert (expected > 0).sum() > 20
    for geometry in (False, True):
        got, geoms = overlap(subs, layer, geometry=geometry, workers=1, chunk_size=20)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
        if geometry:
            drawn = np.array([0.0 if g is None else g.area for g in geoms])
            np.testing.assert_allclose(drawn, expected, rtol=1e-9, atol=1e-6)


def test_a_site_in_a_hole_or_touching_an_edge_measures_exactly_zero(engine_kernel):
    """Shell and hole cancel: what is left below their rounding must not show as a sliver of overlap."""
    ring = shapely.Point(X0, Y0).buffer(500, quad_segs=8)
    holed = shapely.Polygon(ring.exterior, [shapely.Point(X0, Y0).buffer(200, quad_segs=8).exterior.coords])
    star = shapely.Polygon([(X0 + 600, Y0), (X0 + 900, Y0 + 100), (X0 + 1200, Y0), (X0 + 900, Y0 + 400)])
    layer = disjoint_layer(np.array([holed, star], dtype=object))
    sites = np.array(
        [
            shapely.box(X0 - 50, Y0 - 50, X0 + 50, Y0 + 50),  # convex, in the hole
            shapely.Polygon(
                [(X0 - 60, Y0 - 60), (X0, Y0 - 10), (X0 + 60, Y0 - 60), (X0, Y0 + 60)]
            ),  # notched
            shapely.box(X0 + 600, Y0 - 300, X0 + 1200, Y0),  # shares the star's bottom edge only
            shapely.box(X0 - 50, Y0 + 250, X0 + 50, Y0 + 350),  # wholly in the ring: its own area
        ],
        dtype=object,
    )
    got, _ = overlap(sites, layer, geometry=False, workers=1)
    assert got[:3].tolist() == [0.0, 0.0, 0.0]
    assert got[3] == pytest.approx(10_000.0, rel=1e-12)


def test_a_feature_of_many_vertices_is_measured_in_pieces_with_the_same_areas(engine_kernel):
    """A red-line polygon of 10^4 vertices is cut into cells when the layer is prepared: same areas."""
    rng = np.random.default_rng(3)
    ang = np.linspace(0, 2 * np.pi, 12_000, endpoint=False)
    r = 6_000 + 800 * np.sin(7 * ang) + rng.uniform(0, 30, len(ang))
    big = shapely.Polygon(np.c_[X0 + r * np.cos(ang), Y0 + r * np.sin(ang)])
    big = big.difference(shapely.Point(X0 + 1_000, Y0).buffer(1_500, quad_segs=64))  # a hole
    small = shapely.box(X0 + 20_000, Y0, X0 + 20_100, Y0 + 100)
    layer = disjoint_layer(np.array([big, small], dtype=object))
    assert len(layer.geoms) > 2 and shapely.is_valid(layer.geoms).all()
    assert sorted(set(layer.source_row.tolist())) == [0, 1]  # every piece keeps its feature's row
    inner = [affinity.scale(g, 40, 40, origin=(0, 0)) for g in _subjects(rng, 40)]  # 4 km, holed
    border = [affinity.scale(g, 30, 30, origin=(0, 0)) for g in _convex(rng, 30)]  # 3 km, across the edge
    sites = np.concatenate(
        [
            _at(np.array(inner, dtype=object), X0 - 2_000, Y0 - 2_000),
            _at(np.array(border, dtype=object), X0 + 4_500, Y0 - 1_500),
        ]
    )
    expected = shapely.area(shapely.intersection(sites, big))
    assert (expected > 0).sum() > 20 and (expected < shapely.area(sites) * 0.99).sum() > 10
    got, _ = overlap(sites, layer, geometry=False, workers=1)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6)


def test_the_kernel_is_compiled_once_into_the_cache_folder_even_under_a_chinese_path(tmp_path):
    """A check should not pay numba's compile (~10 s) on every run, nor need a C compiler or a
    writable site-packages: the first run on a machine compiles the kernel into numba's cache in
    hygis's cache folder (here under a path with spaces and Chinese), later runs load it."""
    import os
    import subprocess
    import sys

    cache = tmp_path / "缓存 目录 hygis"
    env = {k: v for k, v in os.environ.items() if k != "HYGIS_KERNEL_DIR"}
    env["HYGIS_CACHE_DIR"] = str(cache)
    probe = "from hygis.engine import kernel; kernel.warm_up(); print(kernel.loaded())"
    first = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == again.stdout.split() == ["True"]
    assert "compiling hygis's overlap kernel" in first.stderr
    assert "compiling" not in again.stderr  # loaded from the cache
    assert list((cache / "numba").glob("*/kernel._pair_areas-*.nbi"))
    package = Path(kernel.__file__).parent
    assert not list(package.rglob("*.nbi"))  # nothing written beside the installed package


def test_a_layer_of_one_ring_polygons_is_prepared_as_the_numpy_path_prepares_it():
    """The compiled preparation must give the kernel the very arrays the numpy path gives: a
    different sign, convexity or vertex order would change every area measured against the layer."""
    rng = np.random.default_rng(7)
    x0, y0 = 660_000.0, 2_975_000.0  # Gauss–Krüger metres: digits matter
    star = shapely.Polygon(
        [
            (
                x0 + (30 if k % 2 else 12) * np.cos(k * np.pi / 12),
                y0 + (30 if k % 2 else 12) * np.sin(k * np.pi / 12),
            )
            for k in range(24)
        ]
    )
    geoms = [
        shapely.box(x0, y0, x0 + 100, y0 + 50),
        shapely.box(x0, y0, x0 + 100, y0 + 50).reverse(),  # clockwise
        shapely.Polygon(
            [(x0, y0), (x0 + 10, y0), (x0 + 20, y0), (x0 + 20, y0 + 20), (x0, y0 + 20)]
        ),  # straight vertex
        shapely.Polygon([(x0, y0), (x0 + 1, y0), (x0, y0 + 1)]),  # triangle
        star,
        star.reverse(),
        *(shapely.MultiPoint(rng.random((9, 2)) * 500 + (x0, y0)).convex_hull for _ in range(50)),
    ]
    arr = np.array(geoms, dtype=object)
    fast = kernel.one_ring_layer(arr)
    assert fast is not None
    rings, (convex, offsets, cx, cy) = fast
    slow = clip.rings_of(arr)
    want_rings = kernel.RingArrays.from_rings(slow, len(arr))
    want = clip.convex_rings(slow, len(arr))
    for got, expected in zip(
        (rings.x, rings.y, rings.off, rings.sign, rings.start, convex, offsets, cx, cy),
        (want_rings.x, want_rings.y, want_rings.off, want_rings.sign, want_rings.start, *want),
    ):
        np.testing.assert_array_equal(got, expected)
    assert convex.tolist()[:6] == [True, True, True, True, False, False]
    # A hole or a second part: not this path.
    assert (
        kernel.one_ring_layer(np.array([shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))])) is None
    )


def test_the_compiled_validity_proof_never_passes_what_geos_finds_invalid():
    """A layer's features proven valid by the kernel skip GEOS's test: a wrong proof would let a
    self-intersecting patch into the index unrepaired, and its area would count twice or cancel."""
    rng = np.random.default_rng(11)
    x0, y0 = 660_000.0, 2_975_000.0
    geoms = []
    for k in rng.integers(3, 12, 30_000):
        kind = rng.integers(0, 4)
        if kind == 0:  # on a 4×4 grid: touching vertices, collinear edges, spikes, repeats
            pts = rng.integers(0, 4, (k, 2)).astype(float)
        elif kind == 1:  # random order: mostly self-intersecting
            pts = rng.uniform(0, 1, (k, 2))
        else:  # star-shaped (valid), then the same a nanometre across at Gauss–Krüger coordinates
            a = np.sort(rng.uniform(0, 2 * np.pi, k))
            pts = np.c_[np.cos(a), np.sin(a)] * rng.uniform(0.5, 1, (k, 1))
            pts = pts if kind == 2 else pts * 1e-9 + (x0, y0)
        geoms.append(shapely.Polygon(pts))
    hand = [
        shapely.Polygon([(0, 0), (2, 0), (2, 2), (1, 0), (0, 2)]),  # a vertex touching an edge
        shapely.Polygon([(0, 0), (2, 0), (1, 0), (1, 1)]),  # an edge folding back on itself
        shapely.Polygon([(0, 0), (1, 0), (2, 0)]),  # no area
        shapely.Polygon([(0, 0), (2, 0), (2, 0), (1, 1)]),  # a repeated vertex (valid: left to GEOS)
        shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (2, 1), (2, 2)]]),  # a hole
        shapely.Polygon([(0, 0), (np.nan, 0), (1, 1)]),
        shapely.box(x0, y0, x0 + 1, y0 + 1),
    ]
    arr = np.array(geoms + hand, dtype=object)
    proven = kernel.simple_polygons(arr)
    geos = shapely.is_valid(arr)
    assert not (proven & ~geos).any()
    assert proven[-1] and not proven[-7:-1].any()
    # Most valid one-ring polygons are proven (else the shortcut saves nothing).
    assert proven.sum() > 0.8 * geos[: len(geoms)].sum()
    from hygis.engine.validity import is_valid

    np.testing.assert_array_equal(is_valid(arr), geos)
    assert kernel.loaded()  # a few geometries then take the proof too
    np.testing.assert_array_equal(is_valid(arr[-7:]), geos[-7:])
    # Its test is quadratic in a ring's vertices: a red line of 10^4 vertices is left to GEOS.
    line = shapely.Point(x0, y0).buffer(5_000, quad_segs=2_500)
    assert not kernel.simple_polygons(np.array([line]))[0] and is_valid([line]).tolist() == [True]


@pytest.mark.parametrize("cell", [1000.0, 250.0])
def test_the_plain_kernel_gives_the_compiled_kernels_bits(cell, monkeypatch):
    """A new machine runs small jobs with the kernel's functions run by Python while numba
    compiles them; a later run, compiled. A report must not change by a digit between the two:
    the same pieces, vertices, numbering, pairs and areas, bit for bit."""
    rng = np.random.default_rng(2)
    x0, y0 = 660_000.0, 2_975_000.0
    geoms = [
        *shapely.buffer(shapely.linestrings(rng.uniform(0, 8000, (60, 6, 2)) + (x0, y0)), 40),  # corridors
        *shapely.buffer(shapely.points(rng.uniform(0, 8000, (80, 2)) + (x0, y0)), rng.uniform(50, 2500, 80)),
        shapely.box(x0, y0, x0 + 3000, y0 + 5000).difference(
            shapely.box(x0 + 500, y0 + 500, x0 + 1500, y0 + 4000)
        ),
        shapely.MultiPolygon(
            [shapely.box(x0, y0, x0 + 10, y0 + 10), shapely.box(x0 + 3000, y0, x0 + 3010, y0 + 10)]
        ),
        shapely.Polygon([(x0, y0), (x0 + 2000, y0), (x0 + 2000, y0 + 2000)]),  # its cut runs through a vertex
        shapely.Polygon(),
    ]
    arr = np.array(geoms, dtype=object)
    rings = clip.rings_of(arr)
    # Rings to prove simple: star-shaped and random (mostly self-intersecting), 3–12 vertices.
    small = np.array(
        [shapely.Polygon(rng.uniform(0, 1, (k, 2)) + (x0, y0)) for k in rng.integers(3, 12, 150)]
        + [shapely.Polygon(shapely.Point(x0, y0).buffer(r, quad_segs=2).exterior) for r in (1, 2, 3)],
        dtype=object,
    )

    def run() -> list[np.ndarray]:
        pieces, owner = kernel.bisect(rings, len(geoms), cell)
        n = len(owner)
        arrays = kernel.RingArrays.from_rings(pieces, n)
        layer = disjoint_layer(arr[:-1])
        pi, fj = layer.tree.query_bounds(clip.owner_bounds(pieces, n))
        area, cx, cy = kernel.pair_areas(
            pi, fj, arrays, clip.convex_rings(pieces, n), layer.ring_arrays(), layer
        )
        one = kernel.one_ring_layer(arr[60:140])
        assert one is not None
        proven = kernel.simple_polygons(small)  # few vertices: Python proves them too
        assert proven is not None
        return [
            pieces.x,
            pieces.y,
            pieces.rid,
            pieces.owner,
            pieces.sign,
            owner,
            pi,
            fj,
            area,
            cx,
            cy,
            one[0].x,
            one[0].y,
            one[1][0],
            one[1][2],
            proven,
        ]

    kernel.warm_up()
    compiled = run()
    assert len(compiled[5]) > 2 * len(geoms) and (compiled[8] > 0).sum() > 100  # many cuts, many areas
    monkeypatch.setattr(kernel, "MODE", "plain")  # the functions run by Python, callees too
    plain = run()
    for got, want in zip(plain, compiled):
        np.testing.assert_array_equal(got, want)


def _inside_cases() -> tuple[np.ndarray, np.ndarray]:
    """Non-convex holed subjects inside convex clippers: well inside, touching an edge, 1e-7 m and
    1 m from one (the kernel measures the first and last unclipped, the others by clipping); and
    one across an edge by 1e-7 m."""
    square = shapely.box(0, 0, 100, 100)
    hexagon = shapely.Point(50, 50).buffer(50, quad_segs=2)  # an octagon, oblique edges
    small = shapely.Point(0, 0).buffer(8, quad_segs=3).difference(shapely.box(-2, -2, 2, 2))
    small = small.union(shapely.box(0, -1, 12, 1))  # an arm: not convex, with a hole
    xmin = shapely.bounds(small)[0]
    subjects = [affinity.translate(small, 50, 50)]  # well inside both
    for gap in (0.0, 1e-7, 1.0, -1e-7):
        subjects.append(affinity.translate(small, gap - xmin, 50))  # near the square's left edge
    return np.array(subjects, dtype=object), np.array([square, hexagon], dtype=object)


def test_a_subject_inside_a_convex_clipper_measures_as_geos_and_as_clipped(engine_kernel, monkeypatch):
    subjects, clippers = _inside_cases()
    a, b = np.meshgrid(np.arange(len(subjects)), np.arange(len(clippers)), indexing="ij")
    a, b = a.ravel(), b.ravel()
    expected = shapely.area(shapely.intersection(subjects[a], clippers[b]))
    # Both ways round: the subject as the site's piece in a convex feature, and as a feature in a
    # convex piece.
    got_piece = _pair_areas(_at(subjects, X0, Y0), _at(clippers, X0, Y0), a, b)
    got_feature = _pair_areas(_at(clippers, X0, Y0), _at(subjects, X0, Y0), b, a)
    np.testing.assert_allclose(got_piece, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got_feature, expected, rtol=1e-9, atol=1e-9)
    # Measured without clipping, the same bits as clipping gives (the plain kernel, its test off).
    plain = kernel._PLAIN_COPY["_pair_areas"].__globals__
    monkeypatch.setattr(kernel, "MODE", "plain")
    monkeypatch.setitem(plain, "_box_inside", lambda *args: False)
    assert _pair_areas(_at(subjects, X0, Y0), _at(clippers, X0, Y0), a, b).tolist() == got_piece.tolist()
    assert _pair_areas(_at(clippers, X0, Y0), _at(subjects, X0, Y0), b, a).tolist() == got_feature.tolist()
