"""The warning map, the projects map and the indicator dashboard in headless Chromium, offline.

Run with ``python -m pytest -q -m browser tests/test_monitor_browser.py``. Screenshots go to
tests/artifacts/ — look at them.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import hygis
from hygis.maps import save
from hygis.maps.warning import progress_map, warning_map
from hygis.monitor import changes, example, grading, indicators, projects

from .conftest import ARTIFACTS
from .monitor_fixtures import classified_changes
from .test_maps_browser import Page

pytestmark = pytest.mark.browser


def _pixels(png: bytes) -> np.ndarray:
    """A screenshot's pixels as an (n, 3) array of RGB."""
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)


@pytest.fixture(scope="module")
def inputs():
    return hygis.resolve()


@pytest.fixture(scope="module")
def warning_page(browser, inputs, tmp_path_factory):
    result = changes.classify_changes(
        example.example_changes(n_per_year=150, inputs=inputs), inputs, workers=1
    )
    path = save(warning_map(result, inputs), tmp_path_factory.mktemp("monitor") / "warning.html")
    page = Page(browser, path)
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "monitor_warning_map.png"))
    yield page, result
    page.page.close()


def test_warning_map_loads_offline_with_levels_banner_and_county_panel(warning_page):
    page, result = warning_page
    assert page.js_errors() == [] and page.non_tile_failures() == []
    names = page.layer_names()
    levels = grading.load_levels()
    for level in ("red", "orange", "yellow", "none"):
        n = int((result["level"] == level).sum())
        assert f"变化图斑 {levels.loc[level, 'label_zh']} {level} ({n:,})" in names, names
    text = page.page.inner_text("body")
    assert "ILLUSTRATIVE, NOT OFFICIAL" in text and "ILLUSTRATIVE, NOT OBSERVED" in text
    panel = page.page.inner_text(".hy-county-warnings")
    busiest = result[result["level"] == "red"]["county_name"].value_counts().index[0]
    assert "分县预警" in panel and busiest in panel


def test_warning_map_popup_shows_level_and_rule(warning_page):
    page, result = warning_page
    popup = page.click_feature("红 red")
    assert (
        "红" in popup and "规则 rule" in popup and any(r in popup for r in result["rule_label"].unique() if r)
    ), popup


def test_warning_map_with_a_hundred_thousand_changes_uses_the_canvas_layer(browser, inputs, tmp_path):
    """10^5 change polygons (a year of 卫片 for a large city) draw on canvas tiles and load offline."""
    n, side = 100_000, 317
    x0, y0 = 600_000, 2_950_000  # EPSG:4546, over 衡阳县 and 衡南县
    xs, ys = np.meshgrid(np.arange(side) * 120.0, np.arange(side) * 120.0)
    boxes = shapely.box(x0 + xs.ravel(), y0 + ys.ravel(), x0 + xs.ravel() + 60, y0 + ys.ravel() + 60)[:n]
    levels = np.array(["red", "orange", "yellow", "none"])[np.arange(n) % 4]
    frame = classified_changes(boxes, levels, area_ha=0.36)
    path = save(warning_map(frame, inputs, basemap="none", show_none=True), tmp_path / "warning_big.html")
    html = path.read_text(encoding="utf-8")
    assert html.count("L.hygisBigPolygons(") == 4, (
        "each level past the big-layer threshold goes to the canvas"
    )
    page = Page(browser, path)
    try:
        assert page.js_errors() == [] and page.non_tile_failures() == []
        assert "变化图斑 红 red (25,000)" in page.layer_names()
        page.page.evaluate(
            "() => Object.values(window).find(v => v instanceof L.Map).setView([26.83, 112.197], 15, "
            "{animate: false})"
        )
        page.page.wait_for_timeout(1500)
        # Zoomed in, each change is a square in its level's colour on the canvas tiles.
        shot = page.page.screenshot(clip={"x": 300, "y": 300, "width": 400, "height": 300})
        px = _pixels(shot)
        red = (px[:, 0] > 190) & (px[:, 1] < 120) & (px[:, 2] < 120)
        orange = (px[:, 0] > 220) & (px[:, 1] > 130) & (px[:, 1] < 195) & (px[:, 2] < 150)
        assert red.sum() > 1000 and orange.sum() > 1000, (red.sum(), orange.sum())
        page.page.screenshot(path=str(ARTIFACTS / "monitor_warning_map_100k_zoom15.png"))
        page.page.screenshot(path=str(ARTIFACTS / "monitor_warning_map_100k.png"))
    finally:
        page.page.close()


def test_dashboard_and_projects_map_load_offline(browser, inputs, tmp_path):
    table = indicators.assess_indicators(example.example_values(), inputs=inputs)
    dash = indicators.write_indicators(table, tmp_path / "dashboard.html")
    pg = browser.new_page(viewport={"width": 1400, "height": 900})
    errors, failed = [], []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("requestfailed", lambda r: failed.append(r.url))
    pg.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
        ),
    )
    try:
        pg.goto(dash.as_uri())
        assert errors == [] and failed == []
        n_city = int((table["county_code"] == "").sum())
        assert pg.evaluate("() => document.querySelectorAll('.card svg').length") == n_city
        # Every chart has drawn to a visible size.
        sizes = pg.evaluate(
            "() => Array.from(document.querySelectorAll('.card svg')).map(s => "
            "s.getBoundingClientRect().height)"
        )
        assert min(sizes) > 100
        assert "ILLUSTRATIVE" in pg.inner_text(".banner")
        pg.screenshot(path=str(ARTIFACTS / "monitor_dashboard.png"), full_page=True)
    finally:
        pg.close()
    prog = projects.assess_projects(example.example_progress(inputs=inputs), inputs)
    page = Page(browser, save(progress_map(prog, inputs), tmp_path / "progress.html"))
    try:
        assert page.js_errors() == [] and page.non_tile_failures() == []
        assert "项目 projects by stage" in page.layer_names()
        popup = page.click_feature("抗战纪念城")
        assert "阶段 stage" in popup and "完成率 completion" in popup, popup
        page.page.screenshot(path=str(ARTIFACTS / "monitor_progress_map.png"))
    finally:
        page.page.close()
