"""A compliance map of 10^4+ point and line sites: the big-layer rule, like the projects on the plan map.

Past :func:`hygis.maps.draw.is_big` the point and line sites are one light GeoJSON layer on the
map's canvas (a one-line tooltip, a colour per site), not an SVG circle and a popup table each;
a few sites keep their popups. The map is made by ``hygis map --check`` as a user runs it; the
last test loads it in headless Chromium (``-m browser``).
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

import hygis
from hygis.check.pipeline import check_projects
from hygis.constants import VERDICT_COLORS, VERDICT_LABELS, VERDICTS
from hygis.maps import compliance_map, save, styles
from hygis.maps.draw import BIG_LAYER_FEATURES

from .conftest import ARTIFACTS, run_cli
from .test_maps_big_layers import big_layer_names, geojson_layers
from .test_maps_big_projects import as_js_text

SITES = "项目用地（按最严结论） Project sites (worst verdict)"
N_POINTS = BIG_LAYER_FEATURES + 1
N_LINES = 2
#: Bytes of the page per point site, at most (an SVG circle with a popup table was ~820).
MAX_BYTES_PER_SITE = 300


def point_sites(n_points: int, n_lines: int = 0) -> gpd.GeoDataFrame:
    """Points 0.005° (~500 m) apart on a grid in Hengyang's centre (EPSG:4490), then short lines."""
    side = int(np.ceil(np.sqrt(n_points)))
    gx, gy = np.meshgrid(np.arange(side) * 0.005, np.arange(side) * 0.005)
    lon, lat = 112.30 + gx.ravel()[:n_points], 26.60 + gy.ravel()[:n_points]
    geoms = list(shapely.points(lon, lat))
    geoms += [
        shapely.LineString([(112.31, 26.61 + 0.01 * k), (112.35, 26.61 + 0.01 * k)]) for k in range(n_lines)
    ]
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "project_id": [f"S{i:05d}" for i in range(n)],
            "name": [f"站点{i}" for i in range(n)],
            "group": "产业升级",
            "investment_yi": 1.0,
        },
        geometry=geoms,
        crs=4490,
    )


def layer_features(html: str, name: str) -> list[dict]:
    """The features of the GeoJSON layer of that name on a written map."""
    var = re.search(re.escape(json.dumps(name)) + r" : (geo_json_[0-9a-f]+)", html).group(1)
    start = html.index(f"{var}_add(") + len(var) + 5
    return json.loads(html[start : html.index(");\n", start)])["features"]


@pytest.fixture(scope="module")
def big_sites(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bigsites")
    frame = point_sites(N_POINTS, N_LINES)
    frame.to_file(tmp / "sites.gpkg", engine="pyogrio")
    out = tmp / "compliance.html"
    run_cli(
        "map",
        "--check",
        "--basemap",
        "none",
        "--projects",
        str(tmp / "sites.gpkg"),
        "-o",
        str(out),
        check=True,
    )
    return frame, out, out.read_text(encoding="utf-8")


def test_many_point_sites_are_one_light_canvas_layer(big_sites):
    frame, _, html = big_sites
    assert not [n for n in big_layer_names(html) if n.startswith("项目用地")], (
        "no area: no canvas polygon layer"
    )
    sites = {n: size for n, size in geojson_layers(html).items() if n.startswith("项目用地")}
    assert list(sites) == [SITES], sites
    assert sites[SITES] < MAX_BYTES_PER_SITE * len(frame), "a light layer, not 10^4 popup tables"
    assert '"preferCanvas": true' in html, "the sites are drawn on one canvas, not as SVG elements"
    features = layer_features(html, SITES)
    assert len(features) == len(frame)
    # Lines first, so the circles stay on top; no popup table on any site.
    kinds = [f["geometry"]["type"] for f in features]
    assert kinds[:N_LINES] == ["LineString"] * N_LINES and set(kinds[N_LINES:]) == {"Point"}
    assert not [f for f in features if "_hy_pp" in f["properties"]]
    # Each site's one-line tooltip names it and its worst verdict, in that verdict's colour.
    label_of = {VERDICT_LABELS[v]: v for v in VERDICTS}
    verdicts = []
    for f in features:
        pid, name, label = f["properties"]["_hy_tt"].split(" · ")
        assert name == f"站点{int(pid[1:])}"
        assert f["properties"]["_hy_style"] == {"color": VERDICT_COLORS[label_of[label]]}, f
        verdicts.append(label_of[label])
    points = [VERDICTS.index(v) for v, k in zip(verdicts, kinds) if k == "Point"]
    assert len(set(points)) > 1, "the grid crosses more than one verdict"
    assert points == sorted(points, reverse=True), "the worst verdicts are drawn last, on top"


def test_the_big_site_map_keeps_its_legend_and_notice(big_sites):
    _, _, html = big_sites
    assert as_js_text(styles.get("sites", "big_note")) in html, "the legend says how the sites are drawn"
    assert as_js_text("虚线框颜色 = 最严结论 outline colour = worst verdict") in html
    for v in VERDICTS:
        assert as_js_text(VERDICT_LABELS[v]) in html, v
    assert "ILLUSTRATIVE, NOT OFFICIAL" in html, "the illustrative notice"


def test_a_few_point_sites_keep_their_popup_tables(tmp_path):
    inputs = hygis.resolve(projects=point_sites(5, 1))
    html = save(
        compliance_map(check_projects(inputs), inputs, basemap="none"), tmp_path / "c.html"
    ).read_text(encoding="utf-8")
    features = layer_features(html, SITES)
    assert len(features) == 6 and all("_hy_pp" in f["properties"] for f in features)
    assert '"preferCanvas": true' not in html, "a few sites stay SVG symbols"
    assert as_js_text(styles.get("sites", "big_note")) not in html


@pytest.mark.browser
def test_big_site_map_loads_in_chromium_and_a_site_answers(browser, big_sites):
    """The 10^4-site map loads offline with no JS error; hovering a site shows its tooltip."""
    from .test_maps_browser import Page

    frame, path, _ = big_sites
    page = Page(browser, path)
    try:
        assert page.js_errors() == [] and page.non_tile_failures() == []
        assert SITES in page.layer_names()
        site = frame.geometry.iloc[7]
        pg = page.page
        xy = page.centre_on(site.y, site.x, 15)
        pg.wait_for_timeout(500)
        pg.mouse.move(xy[0], xy[1])
        pg.wait_for_timeout(300)
        tip = pg.locator(".leaflet-tooltip.hy-tip")
        assert tip.count() == 1 and tip.inner_text().startswith("S00007 · 站点7 · "), tip.all_inner_texts()
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "compliance_map_big_sites.png"))
        text = pg.inner_text("body")
        assert "图例 Legend" in text and "ILLUSTRATIVE" in text
        assert page.js_errors() == []
    finally:
        page.page.close()
