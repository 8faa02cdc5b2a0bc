"""The big polygon layer (hygis.maps.big): encoding, input checks, and a 20,000-patch map in Chromium."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
import shapely

from hygis.errors import HygisInputError
from hygis.maps import big

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
HOSTILE = "<img src=x onerror=alert(1)>"
LAYER_NAME = "永久基本农田 <b>示意</b>"

# The benchmark's generator and offline page helpers are the ones the figures in docs/benchmarks.md come from.
_spec = importlib.util.spec_from_file_location("bench_map_big", REPO / "benchmarks" / "bench_map_big.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


# --------------------------------------------------------------------------- encoding
def test_varints_and_zigzag_round_trip():
    values = np.array([0, 1, 127, 128, 300, 2**21, 2**31 - 1, 2**35], dtype=np.uint64)
    assert np.array_equal(big._varint_decode(big._varint_encode(values)), values)
    signed = np.array([0, -1, 1, -64, 64, -(2**30), 2**30], dtype=np.int64)
    assert np.array_equal(big._unzigzag(big._zigzag(signed)), signed)


def decode_patches(encoded: big.EncodedPatches) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode the payload as the browser's big_polygons.js does: (patch → rings, ring → vertices, xy)."""
    values = big._varint_decode(encoded.payload)
    n, nr = encoded.n_patches, encoded.n_rings
    patch_ring = np.concatenate([[0], np.cumsum(values[:n].astype(np.int64))])
    ring_vertex = np.concatenate([[0], np.cumsum(values[n : n + nr].astype(np.int64))])
    q = np.cumsum(big._unzigzag(values[n + nr :]).reshape(-1, 2), axis=0)
    return patch_ring, ring_vertex, q * encoded.unit + np.array(encoded.origin)


def test_encoding_round_trips_within_quantization():
    gdf = bench.generate_patches(2_000, seed=3)
    # A patch with a hole and a two-part patch must come back as such.
    assert (shapely.get_num_interior_rings(gdf.geometry.values) > 0).any()
    assert (gdf.geom_type == "MultiPolygon").any()
    enc = big.encode_patches(gdf, precision_m=0.1)
    patch_ring, ring_vertex, xy = decode_patches(enc)
    assert enc.n_patches == len(gdf)
    assert len(xy) == enc.n_vertices and patch_ring[-1] == enc.n_rings

    merc = gdf.geometry.to_crs(big.WEB_MERCATOR).to_numpy()[enc.order]
    rings = shapely.linearrings(
        np.vstack([np.vstack([xy[s:e], xy[s : s + 1]]) for s, e in zip(ring_vertex[:-1], ring_vertex[1:])]),
        indices=np.repeat(np.arange(enc.n_rings), np.diff(ring_vertex) + 1),
    )
    # Each decoded patch's rings lie within half a step (per axis) of the original boundary, and back.
    max_shift = enc.unit * np.sqrt(2) / 2 * 1.0001
    ring_patch = np.repeat(np.arange(enc.n_patches), np.diff(patch_ring))
    decoded = shapely.multilinestrings(rings, indices=ring_patch)
    original = shapely.boundary(merc)
    assert shapely.hausdorff_distance(decoded, original).max() <= max_shift
    assert shapely.hausdorff_distance(decoded, original).max() > 0  # it is quantized, not copied
    # Nothing is lost: each ring keeps its vertices (no two fall on the same 0.1 m step here).
    assert enc.n_vertices == int(
        (shapely.get_num_coordinates(shapely.get_rings(shapely.get_parts(merc)))).sum() - enc.n_rings
    )
    # The step is 0.1 ground metres at the central latitude (Mercator scale 1/cos φ).
    lat = np.radians(gdf.geometry.union_all().centroid.y)
    assert enc.unit == pytest.approx(0.1 / np.cos(lat), rel=1e-3)


def test_bad_inputs_are_clear_errors():
    import folium

    gdf = bench.generate_patches(50, seed=1)
    m = folium.Map(tiles=None)
    with pytest.raises(HygisInputError, match="no CRS"):
        big.add_big_polygons(m, gdf.set_crs(None, allow_override=True), "农田", {})
    with pytest.raises(HygisInputError, match="no field.*'dkbh'.*tbbh"):
        big.add_big_polygons(m, gdf, "农田", {}, tooltip_fields=["dkbh"])
    with pytest.raises(HygisInputError, match="Unknown style key"):
        big.add_big_polygons(m, gdf, "农田", {"fill_colour": "red"})
    points = gdf.copy()
    points.loc[points.index[7], "geometry"] = shapely.Point(112.6, 26.9)
    with pytest.raises(HygisInputError, match="feature 7 is a Point"):
        big.add_big_polygons(m, points, "农田", {})


# --------------------------------------------------------------------------- in Chromium
def _browser_available() -> bool:
    return Path(bench.CHROMIUM).exists() and importlib.util.find_spec("playwright") is not None


# Skipped without a browser on a developer's machine; CI (CI=true) must have one, so there it runs
# and fails loudly.
browser = pytest.mark.skipif(
    not _browser_available() and not os.environ.get("CI"),
    reason="needs /usr/bin/chromium and the playwright package",
)


@pytest.fixture(scope="module")
def big_map(tmp_path_factory):
    """A 20,000-patch map, one patch carrying a hostile value, opened offline in Chromium."""
    from playwright.sync_api import sync_playwright

    gdf = bench.generate_patches(20_000, seed=11)
    target = 12_345
    gdf.loc[gdf.index[target], "tbbh"] = HOSTILE
    path = tmp_path_factory.mktemp("bigmap") / "big_map.html"
    bench.hygis_map(gdf, name=LAYER_NAME).save(str(path))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        chromium = bench.launch(p)
        page = bench.offline_page(chromium)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_function("window.__hyFirstFrame !== undefined", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "map_big_overview.png"))
        yield {"page": page, "gdf": gdf, "target": target, "dialogs": dialogs, "path": path}
        chromium.close()


# JavaScript helpers run in the page: the map, the big layer, and a patch's screen position.
_LAYER_JS = (
    "(() => { var r; "
    "window.__hyMaps()[0].eachLayer(l => { if (l instanceof L.HygisBigPolygons) r = l; }); "
    "return r; })()"
)


def _show(page, lon: float, lat: float, zoom: int) -> dict:
    """Centre the map on (lon, lat) at zoom, wait for the tiles, return the container point."""
    page.evaluate(
        """([lon, lat, z]) => { window.__shown = undefined; var map = window.__hyMaps()[0];
             map.setView([lat, lon], z, {animate: false});
             window.__hyWhenDrawn(map).then(() => { window.__shown = true; }); }""",
        [lon, lat, zoom],
    )
    page.wait_for_function("window.__shown === true", timeout=30_000)
    return page.evaluate(
        """([lon, lat]) => { var map = window.__hyMaps()[0], p = map.latLngToContainerPoint([lat, lon]),
             r = map.getContainer().getBoundingClientRect(); return {x: r.left + p.x, y: r.top + p.y}; }""",
        [lon, lat],
    )


def _layer_pixel(page, x: float, y: float) -> list[int]:
    """RGBA of the big layer's own canvas at page point (x, y)."""
    return page.evaluate(
        """([x, y]) => { var layer = """
        + _LAYER_JS
        + """;
             for (var key in layer._tiles) { var c = layer._tiles[key].el, r = c.getBoundingClientRect();
               if (layer._tiles[key].coords.z !== layer._map.getZoom()) continue;
               if (x >= r.left && x < r.right && y >= r.top && y < r.bottom) {
                 var s = c.width / r.width;
                 var px = c.getContext('2d').getImageData(
                   Math.floor((x - r.left) * s), Math.floor((y - r.top) * s), 1, 1);
                 return Array.from(px.data); } }
             return null; }""",
        [x, y],
    )


@browser
@pytest.mark.browser
def test_loads_offline_without_errors(big_map):
    page = big_map["page"]
    assert page.hygis_errors == []
    assert page.hygis_failed == [] and page.hygis_remote == []
    assert page.evaluate("!!window.L && window.__hyMaps().length === 1")
    stats = page.evaluate(_LAYER_JS + "._n")
    assert stats == 20_000


@browser
@pytest.mark.browser
def test_layer_is_in_the_layer_control_with_its_name_as_text(big_map):
    page = big_map["page"]
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [label.strip() for label in labels] == [LAYER_NAME]
    assert page.locator(".leaflet-control-layers-overlays label b").count() == 0
    # Unticking removes the layer from the map, ticking brings it back.
    box = page.locator(".leaflet-control-layers-overlays input")
    box.uncheck()
    assert page.evaluate(_LAYER_JS) is None
    box.check()
    assert page.evaluate(_LAYER_JS + "._n") == 20_000


@browser
@pytest.mark.browser
def test_zoomed_in_the_patch_is_drawn_in_its_place(big_map):
    page, gdf = big_map["page"], big_map["gdf"]
    patch = gdf.geometry.iloc[777]
    inside = patch.representative_point()
    where = _show(page, inside.x, inside.y, 15)
    rgba = _layer_pixel(page, where["x"], where["y"])
    # The fill colour at the fill opacity (#f2d14b at 0.65), not an outline, not nothing.
    # (±2: the canvas stores premultiplied colour.)
    assert np.abs(np.array(rgba) - [0xF2, 0xD1, 0x4B, 0.65 * 255]).max() <= 2
    # 10 m west of the patch's bounding box is outside it and its neighbours (≥ 100 m apart).
    minx = patch.bounds[0] - 10 / (111_320 * np.cos(np.radians(inside.y)))
    outside = page.evaluate(
        """([lon, lat]) => { var map = window.__hyMaps()[0], p = map.latLngToContainerPoint([lat, lon]),
             r = map.getContainer().getBoundingClientRect(); return {x: r.left + p.x, y: r.top + p.y}; }""",
        [minx, inside.y],
    )
    assert _layer_pixel(page, outside["x"], outside["y"])[3] == 0


@browser
@pytest.mark.browser
def test_tooltip_and_popup_show_a_hostile_value_as_text(big_map):
    page, gdf, target = big_map["page"], big_map["gdf"], big_map["target"]
    inside = gdf.geometry.iloc[target].representative_point()
    where = _show(page, inside.x, inside.y, 15)
    page.mouse.move(where["x"], where["y"])
    tooltip = page.locator(".hygis-big-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    assert HOSTILE in tooltip.inner_text()
    assert gdf["county"].iloc[target] in tooltip.inner_text()
    assert tooltip.locator("img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "map_big_tooltip.png"))

    page.mouse.click(where["x"], where["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    assert HOSTILE in popup.inner_text() and LAYER_NAME in popup.inner_text()
    assert page.locator(".leaflet-popup-content img, .leaflet-popup-content b").count() == 0
    assert big_map["dialogs"] == [] and page.hygis_errors == []
    page.mouse.move(5, 5)
