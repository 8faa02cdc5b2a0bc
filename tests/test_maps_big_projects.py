"""A user's projects file of 10^4+ projects on the plan map: the big-layer rule, like every other layer.

Past :func:`hygis.maps.draw.is_big` the project areas go to the canvas renderer (one layer per
group colour), the points and lines to light canvas symbols; the small embedded set (19 key
projects) stays one GeoJSON layer with popups and proportional circles. The last test loads a
big projects map in headless Chromium (``-m browser``).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

import hygis
from hygis.maps import plan_map, save, styles
from hygis.maps.draw import BIG_LAYER_FEATURES
from hygis.maps.escape import esc

from .conftest import ARTIFACTS
from .test_maps_big_layers import big_layer_names, geojson_layers

PROJECTS = styles.get("projects", "layer")
N_AREAS = BIG_LAYER_FEATURES + 1
#: Groups of the style table, one a user's file invents (drawn in the "other" colour).
GROUPS = ["产业升级", "交通基建", "生态环保", "自定义类别"]


def grid(n: int, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """n places 0.002° (~200 m) apart on a square grid from (lon0, lat0)."""
    side = int(np.ceil(np.sqrt(n)))
    gx, gy = np.meshgrid(np.arange(side) * 0.002, np.arange(side) * 0.002)
    return lon0 + gx.ravel()[:n], lat0 + gy.ravel()[:n]


def synthetic_projects(n_areas: int, n_points: int = 0, n_lines: int = 0, n_missing: int = 0):
    """Squares of ~100 m on a grid in the central city (EPSG:4490), then points, lines, unlocated rows."""
    lon, lat = grid(n_areas, 112.40, 26.75)
    geoms = list(shapely.box(lon, lat, lon + 0.001, lat + 0.001))
    geoms += list(shapely.points(*grid(n_points, 112.70, 26.75)))
    geoms += [
        shapely.LineString([(112.9, 27.0 + 0.01 * k), (113.0, 27.0 + 0.01 * k)]) for k in range(n_lines)
    ]
    geoms += [None] * n_missing
    n = len(geoms)
    precision = np.where(np.arange(n) % 50 == 0, "schematic", "surveyed")  # 2 % sketched: approximate
    return gpd.GeoDataFrame(
        {
            "project_id": [f"U{i:05d}" for i in range(n)],
            "name": [f"用户项目{i}" for i in range(n)],
            "group": [GROUPS[i % len(GROUPS)] for i in range(n)],
            "investment_yi": np.round(0.5 + (np.arange(n) % 97) * 0.5, 2),
            "location_precision": precision,
        },
        geometry=geoms,
        crs=4490,
    )


def page(tmp_path, projects=None, name="plan.html") -> tuple[object, str]:
    inputs = hygis.resolve(projects=projects) if projects is not None else hygis.resolve()
    out = save(plan_map(inputs, basemap="none", analysis=False), tmp_path / name)
    return out, out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def big_projects(tmp_path_factory):
    frame = synthetic_projects(N_AREAS, n_points=3, n_lines=2, n_missing=2)
    tmp = tmp_path_factory.mktemp("bigprojects")
    path, html = page(tmp, frame, "big.html")
    _, small = page(tmp, None, "small.html")
    return frame, path, html, small


def as_js_text(text: str) -> str:
    """How a panel's or legend's text is written in the page (a JSON string, ASCII-escaped)."""
    return json.dumps(text)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")


def test_many_project_areas_are_canvas_layers_one_per_group_colour(big_projects):
    frame, _, html, small = big_projects
    areas = frame.iloc[:N_AREAS]
    kinds = set(zip(areas["group"], areas["location_precision"].eq("schematic")))
    names = [n for n in big_layer_names(html) if n.startswith(PROJECTS)]
    # One layer per group colour (the invented group in the "other" colour), approximate ones apart.
    assert len(names) == len(kinds), names
    assert sum(int(n.rsplit("(", 1)[1][:-1].replace(",", "")) for n in names) == N_AREAS
    assert any("其他 other (" in n for n in names) and any(
        "产业升级 industrial upgrading (" in n for n in names
    )
    assert sum("示意/近似 approximate" in n for n in names) == sum(a for _, a in kinds)
    # The points and lines are one light vector layer, on one canvas; no GeoJSON holds the areas.
    vector = {n: size for n, size in geojson_layers(html).items() if n.startswith(PROJECTS)}
    assert list(vector) == [
        esc(f"{PROJECTS} — 用户数据 user data: GeoDataFrame passed in Python — 点、线 points & lines (5)")
    ], vector
    assert max(vector.values()) < 5_000, vector
    assert '"preferCanvas": true' in html, "the symbols are drawn on one canvas, not as SVG elements"
    # Far below a GeoJSON of 10^4 areas with popup tables and a circle each (~1.8 kB a project).
    assert len(html.encode()) - len(small.encode()) < 150 * N_AREAS
    # Tooltip and popup fields, Chinese first; the legend, the notice and the "not located" panel.
    for label in ("编号 id", "名称 name", "类别 group", "总投资 investment (亿元)"):
        assert f'{{"name":"{label}"' in html, label
    assert as_js_text(styles.get("projects", "big_note")) in html, (
        "the legend says how the projects are drawn"
    )
    assert as_js_text(styles.get("projects", "approximate", "canvas_label")) in html
    assert "ILLUSTRATIVE, NOT OFFICIAL" in html, "the illustrative notice"
    assert as_js_text(f"Not located: 2 / {len(frame)}") in html, "the not-located panel counts every project"


def test_the_19_key_projects_stay_one_geojson_layer_with_popups(big_projects):
    *_, small = big_projects
    assert not [n for n in big_layer_names(small) if n.startswith(PROJECTS)]
    vector = [n for n in geojson_layers(small) if n.startswith(PROJECTS)]
    assert vector == [PROJECTS], vector
    assert "_hy_pp" in small and '"preferCanvas": true' not in small, "popup tables, SVG symbols"
    assert as_js_text(styles.get("projects", "big_note")) not in small


def test_many_point_projects_are_light_canvas_circles(tmp_path):
    """10^4 point projects: one GeoJSON of circles on the canvas, a one-line tooltip, no popup table."""
    frame = synthetic_projects(0, n_points=N_AREAS)
    _, html = page(tmp_path, frame)
    assert not [n for n in big_layer_names(html) if n.startswith(PROJECTS)]
    vector = {n: size for n, size in geojson_layers(html).items() if n.startswith(PROJECTS)}
    ((name, size),) = vector.items()
    assert "点、线" not in name and size < 300 * N_AREAS, vector
    assert '"preferCanvas": true' in html
    tip = html.find(f'"_hy_tt": "{as_js_text("U00001 · 用户项目1 · 交通基建 · 1 亿元")}"')
    feature = html[html.rfind('{"geometry"', 0, tip) : tip]
    assert tip > 0 and '"_hy_r": ' in feature and "_hy_pp" not in feature, feature


@pytest.mark.browser
def test_big_projects_map_shows_in_chromium_with_tooltips(browser, big_projects):
    """The 10^4-project map loads offline with no JS error; hovering an area shows its project."""
    from .test_maps_browser import Page

    frame, path, _, _ = big_projects
    page = Page(browser, path)
    try:
        assert page.js_errors() == [] and page.non_tile_failures() == []
        assert sum(n.startswith(PROJECTS) for n in page.layer_names()) >= len(GROUPS) + 1
        site = frame.geometry.iloc[1].centroid  # U00001, 交通基建, surveyed
        pg = page.page
        xy = page.centre_on(site.y, site.x, 17)
        pg.wait_for_timeout(800)
        pg.mouse.move(xy[0], xy[1])
        pg.wait_for_timeout(300)
        tips = pg.locator(".hygis-big-tooltip")
        assert tips.count() == 1 and "U00001" in tips.inner_text() and "交通基建" in tips.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "plan_map_big_projects.png"))
        text = pg.inner_text("body")
        assert "图例 Legend" in text and "未定位项目 Not located" in text and "ILLUSTRATIVE" in text
        assert page.js_errors() == []
    finally:
        page.page.close()
