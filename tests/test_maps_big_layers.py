"""Every potentially big polygon layer of the plan, compliance and warning maps goes to the canvas.

The rule is :func:`hygis.maps.draw.is_big` (features *or* vertices), applied by every map: a
user's farmland, its QA overlaps with the other lines, compliance overlaps and change polygons.
The last test loads a plan map whose QA overlaps are big in headless Chromium (``-m browser``).
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

import hygis
from hygis.constants import VERDICT_LABELS
from hygis.maps import compliance_map, plan_map, save, styles
from hygis.maps.draw import BIG_LAYER_FEATURES, BIG_LAYER_VERTICES, is_big
from hygis.maps.warning import warning_map

from .conftest import ARTIFACTS
from .monitor_fixtures import classified_changes

BIG_CALL = "L.hygisBigPolygons("
QA_LAYER = styles.get("analysis", "qa_overlaps", "layer")


def big_layer_names(html: str) -> list[str]:
    """Names of the canvas layers on a written map (from their options, in drawing order)."""
    calls = re.findall(r"L\.hygisBigPolygons\(\s*\"[^\"]*\",\s*\{[^}]*\},\s*[^,]+,\s*(\{.*?\})\s*\);", html)
    return [json.loads(re.search(r'"name":\s*("(?:[^"\\]|\\.)*")', c).group(1)) for c in calls]


def geojson_layers(html: str) -> dict[str, int]:
    """The GeoJSON layers of a written map: name in the layer control → bytes of its data."""
    names = {
        var: json.loads(name) for name, var in re.findall(r'("(?:[^"\\]|\\.)*") : (geo_json_[0-9a-f]+)', html)
    }
    sizes = {}
    for m in re.finditer(r"(geo_json_[0-9a-f]+)_add\((?=\{)", html):
        sizes[names.get(m.group(1), m.group(1))] = html.find(");\n", m.end()) - m.end()
    return sizes


@pytest.fixture(scope="module")
def dense_farmland(tmp_path_factory):
    """A user's farmland of 21 patches and ~125,000 vertices, each inside an embedded 开发边界 polygon.

    Few features, many vertices: the patches and their QA overlaps with the development boundary
    are big by size only (the case of the 7,946 overlaps, 11.5 MB, of a 200k-patch farmland).
    """
    inputs = hygis.resolve()
    udb = inputs.urban_development_boundary.to_crs(4546)
    patches = shapely.segmentize(udb.geometry.buffer(-20).to_numpy(), 2.0)  # a vertex every 2 m
    farm = gpd.GeoDataFrame({"patch_id": [f"P{i}" for i in range(len(udb))]}, geometry=patches, crs=4546)
    farm = farm[~farm.geometry.is_empty]
    path = tmp_path_factory.mktemp("dense") / "farmland.gpkg"
    farm.to_file(path, engine="pyogrio")
    return path, farm


@pytest.fixture(scope="module")
def dense_plan(dense_farmland, tmp_path_factory):
    path, _ = dense_farmland
    out = save(
        plan_map(hygis.resolve(permanent_farmland=path)), tmp_path_factory.mktemp("plan") / "plan.html"
    )
    return out, out.read_text(encoding="utf-8")


def test_the_rule_counts_features_and_vertices():
    tiny = shapely.box(0, 0, 1, 1)
    assert not is_big([tiny] * BIG_LAYER_FEATURES)
    assert is_big([tiny] * (BIG_LAYER_FEATURES + 1)), "one feature more than the threshold"
    ring = shapely.segmentize(shapely.box(0, 0, 1, 1), 3 / BIG_LAYER_VERTICES)
    assert shapely.get_num_coordinates(ring) > BIG_LAYER_VERTICES and is_big([ring]), "one huge polygon"


def test_plan_map_draws_big_qa_overlaps_on_the_canvas(dense_farmland, dense_plan):
    """The QA overlaps of a dense user farmland: canvas, above the lines, legend and notice kept."""
    _, farm = dense_farmland
    assert (
        len(farm) < BIG_LAYER_FEATURES
        and shapely.get_num_coordinates(farm.geometry).sum() > BIG_LAYER_VERTICES
    )
    _, html = dense_plan
    names = big_layer_names(html)
    assert any(n.startswith("永久基本农田") for n in names), names
    qa = [n for n in names if n.startswith(QA_LAYER)]
    assert len(qa) == 1, names
    assert '"pane":"hygisBigAbove"' in html.replace(" ", ""), "results are drawn above the control lines"
    # No GeoJSON copy of either: what stays GeoJSON is the small embedded layers (counties …).
    geojson = geojson_layers(html)
    assert not [n for n in geojson if n.startswith((QA_LAYER, "永久基本农田"))], geojson
    assert max(geojson.values()) < 500_000, geojson
    # The QA tooltip has its fields, the legend its entry, the page its illustrative notice.
    assert (
        '"name":"pair"' in html.replace(" ", "") and "permanent_farmland × urban_development_boundary" in html
    )
    escaped = json.dumps(f"<span>{QA_LAYER}")[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")
    assert escaped in html, "the legend's QA entry"
    assert "ILLUSTRATIVE, NOT OFFICIAL" in html, "the illustrative notice"


def test_compliance_map_draws_many_overlaps_one_canvas_layer_per_verdict(tmp_path):
    """More overlaps and sites than the threshold: one canvas layer per verdict (one colour a layer)."""
    inputs = hygis.resolve()
    n = BIG_LAYER_FEATURES + 1
    rng = np.random.default_rng(0)
    lon = 112.5 + rng.uniform(0, 0.2, n)
    lat = 26.8 + rng.uniform(0, 0.2, n)
    verdicts = np.array(["conflict", "needs approval", "compliant"])[np.arange(n) % 3]
    report = gpd.GeoDataFrame(
        {
            "project_id": [f"X{i}" for i in range(n)],
            "name": [f"项目 {i}" for i in range(n)],
            "group": "产业升级",
            "control_line": "permanent_farmland",
            "site_ha": 1.0,
            "overlap_ha": 0.5,
            "overlap_mu": 7.5,
            "share_of_site": 0.5,
            "verdict": verdicts,
            "rule": "fixture",
            "method": "fixture",
        },
        geometry=shapely.box(lon, lat, lon + 0.0005, lat + 0.0005),
        crs=4326,
    )
    # The sites: one square each, all but one line (drawn as a vector symbol, not on the canvas).
    sites = report[["project_id", "name", "group"]].assign(investment_yi=1.0)
    geoms = shapely.box(lon - 0.0005, lat - 0.0005, lon + 0.001, lat + 0.001)
    geoms[0] = shapely.LineString([(lon[0], lat[0]), (lon[0] + 0.01, lat[0])])
    inputs.projects = gpd.GeoDataFrame(sites, geometry=geoms, crs=4326)
    html = save(compliance_map(report, inputs), tmp_path / "compliance.html").read_text(encoding="utf-8")
    names = big_layer_names(html)
    site_layers = [n for n in names if n.startswith("项目用地")]
    assert (
        len(site_layers) == 3
        and sum(int(x.rsplit("(", 1)[1][:-1].replace(",", "")) for x in site_layers) == n - 1
    )
    assert [n for n in geojson_layers(html) if n.startswith("项目用地")], "the one line site stays a vector"
    overlap = styles.get("overlap_layer")
    for verdict in ("conflict", "needs approval", "compliant"):
        k = int((verdicts == verdict).sum())
        assert f"{overlap} — {VERDICT_LABELS[verdict]} ({k:,})" in names, names
    assert names[-1].startswith(f"{overlap} — {VERDICT_LABELS['conflict']}"), "conflicts drawn last: on top"
    assert not [n for n in geojson_layers(html) if n.startswith(overlap)]
    assert '"name":"叠加面积 overlap (ha)"' in html, "the popup's fields keep their labels"


def test_warning_map_draws_a_level_big_by_size_only(tmp_path):
    """One red change of ~190,000 vertices is a canvas layer; the small levels stay GeoJSON."""
    inputs = hygis.resolve()
    centre = gpd.GeoSeries([shapely.Point(650_000, 2_980_000)], crs=4546)
    big = shapely.segmentize(centre.buffer(300).iloc[0], 0.01)  # a vertex every centimetre
    small = [centre.translate(1_000 * k).buffer(100).iloc[0] for k in (1, 2, 3)]
    levels = ["red", "orange", "yellow", "none"]
    frame = classified_changes([big, *small], levels, area_ha=1.0)
    html = save(warning_map(frame, inputs, basemap="none"), tmp_path / "w.html").read_text(encoding="utf-8")
    names = big_layer_names(html)
    assert names == ["变化图斑 红 red (1)"], names
    geojson = geojson_layers(html)
    changes = {n: size for n, size in geojson.items() if n.startswith("变化图斑")}
    assert len(changes) == 3 and max(changes.values()) < 10_000, geojson


@pytest.mark.browser
def test_big_qa_overlaps_show_in_chromium_with_their_tooltip(browser, dense_farmland, dense_plan):
    """Zoomed on an overlap: magenta pixels on the canvas, the QA tooltip alone, no console error."""
    from .test_maps_browser import Page
    from .test_monitor_browser import _pixels

    path, _ = dense_plan
    _, farm = dense_farmland
    spot = farm.to_crs(4326).geometry.iloc[int(np.argmax(farm.area))].point_on_surface()
    page = Page(browser, path)
    try:
        assert page.js_errors() == [] and page.non_tile_failures() == []
        assert any(n.startswith(QA_LAYER) for n in page.layer_names())
        pg = page.page
        xy = page.centre_on(spot.y, spot.x, 16)
        pg.wait_for_timeout(1500)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = pg.screenshot(path=str(ARTIFACTS / "plan_map_big_qa_overlaps.png"))
        px = _pixels(shot)
        magenta = (px[:, 0] > 180) & (px[:, 1] < 130) & (px[:, 2] > 160)
        assert magenta.mean() > 0.02, f"QA overlaps not drawn: {magenta.mean():.4f} of the pixels"
        pg.mouse.move(xy[0], xy[1])
        pg.wait_for_timeout(300)
        tips = pg.locator(".hygis-big-tooltip")
        assert tips.count() == 1, "one tooltip: the topmost big layer answers"
        assert "urban_development_boundary" in tips.inner_text()
        pg.mouse.click(xy[0], xy[1])
        popup = pg.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        assert popup.count() == 1 and QA_LAYER in popup.inner_text() and "area_ha" in popup.inner_text()
        text = pg.inner_text("body")
        assert "图例 Legend" in text and QA_LAYER in text and "ILLUSTRATIVE" in text
        assert page.js_errors() == []
    finally:
        page.page.close()


def test_an_attribute_that_looks_like_a_template_is_written_as_text():
    """A user's value ``{{ 7*7 }}`` is data: branca's Element once ran it as Jinja (and wrote 49)."""
    import folium

    from hygis.maps.big import add_big_polygons

    values = ["{{ 7*7 }}", "{% if true %}ran{% endif %}"]
    frame = gpd.GeoDataFrame(
        {"v": values},
        geometry=[shapely.box(112.0, 26.0, 112.1, 26.1), shapely.box(112.2, 26.0, 112.3, 26.1)],
        crs=4326,
    )
    m = folium.Map()
    add_big_polygons(m, frame, "layer", {}, tooltip_fields=["v"])
    html = m.get_root().render()
    attributes = re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, flags=re.S)
    assert attributes and sorted(json.loads(attributes.group(1))[0]["values"]) == sorted(values)
