"""The generated maps in a real headless Chromium (Debian's), with the network blocked.

Run with ``python -m pytest -q -m browser tests/test_maps_browser.py`` (they run in the
default suite too). Screenshots go to tests/artifacts/ — look at them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hygis
from hygis.maps import compliance_map, plan_map, save, styles, theme_map

from .conftest import ARTIFACTS
from .maps_fixtures import HOSTILE, compliance_report, hostile_inputs

pytestmark = pytest.mark.browser

# Tile servers: the only requests allowed to fail offline.
TILE_HOSTS = ("tile.openstreetmap.org", "autonavi.com", "gtimg.com", "tianditu.gov.cn")


class Page:
    """A page that loaded a map offline, with what went wrong on the way."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        pg = self.page
        pg.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        pg.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        pg.on("requestfailed", lambda r: self.failed.append(r.url))
        pg.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        # No network: only the file itself and inline data: URIs may load.
        pg.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
            ),
        )
        pg.goto(path.as_uri())
        pg.wait_for_function("() => document.querySelectorAll('.leaflet-control-layers label').length > 0")
        pg.wait_for_timeout(500)

    def non_tile_failures(self) -> list[str]:
        return [u for u in self.failed if not any(h in u for h in TILE_HOSTS)]

    def js_errors(self) -> list[str]:
        # A blocked tile logs "Failed to load resource"; anything else is an error of the page.
        tiles_only = not self.non_tile_failures()
        return [e for e in self.errors if not (tiles_only and "Failed to load resource" in e)]

    def layer_names(self) -> list[str]:
        return self.page.evaluate(
            "() => Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
            ".map(l => l.textContent.trim())"
        )

    def centre_on(self, lat: float, lon: float, zoom: int) -> tuple[float, float]:
        """Centre the map on (lat, lon) at ``zoom``, without animation; that point's page pixel."""
        return self.page.evaluate(
            """([lat, lon, zoom]) => { const map = Object.values(window).find(v => v instanceof L.Map);
                 map.setView([lat, lon], zoom, {animate: false});
                 const p = map.latLngToContainerPoint([lat, lon]);
                 const box = map.getContainer().getBoundingClientRect();
                 return [box.left + p.x, box.top + p.y]; }""",
            [lat, lon, zoom],
        )

    def click_feature(self, tooltip_contains: str) -> str:
        """Click, with the mouse, the first vector feature whose tooltip contains the text.

        Returns the popup's text.
        """
        point = self.page.evaluate(
            """(needle) => {
                const map = Object.values(window).find(v => v instanceof L.Map);
                let found = null;
                map.eachLayer(l => {
                    const p = l.feature && l.feature.properties;
                    if (!found && p && p._hy_tt && p._hy_tt.includes(needle)) { found = l; }
                });
                if (!found) { return null; }
                const ll = found.getLatLng ? found.getLatLng() : found.getBounds().getCenter();
                const pt = map.latLngToContainerPoint(ll);
                const box = map.getContainer().getBoundingClientRect();
                return [box.left + pt.x, box.top + pt.y];
            }""",
            tooltip_contains,
        )
        assert point is not None, f"no feature with tooltip containing {tooltip_contains!r}"
        self.page.mouse.click(*point)
        self.page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        return self.page.inner_text(".leaflet-popup-content")


@pytest.fixture(scope="module")
def plan_page(browser, tmp_path_factory):
    path = save(plan_map(), tmp_path_factory.mktemp("maps") / "hengyang_plan.html")
    page = Page(browser, path)
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "plan_map.png"))
    yield page
    page.page.close()


def test_plan_map_loads_offline_without_errors(plan_page):
    assert plan_page.page.evaluate(
        "() => typeof L !== 'undefined' && !!document.querySelector('.leaflet-container')"
    )
    assert plan_page.non_tile_failures() == [], "every asset is inlined"
    assert plan_page.js_errors() == []
    assert (
        plan_page.page.evaluate("() => document.querySelectorAll('.leaflet-overlay-pane path').length") > 3000
    )


def test_plan_map_layer_control_has_every_layer(plan_page):
    names = plan_page.layer_names()
    expected = [
        styles.get("counties", "layer"),
        styles.get("urban_system", "layer"),
        styles.get("projects", "layer"),
        styles.get("precision", "layer"),
        styles.get("analysis", "catchments", "layer"),
    ]
    expected += [
        styles.get("control_lines", k, "layer") + " (示意 ILLUSTRATIVE)" for k in hygis.layers.CONTROL_LINES
    ]
    for name in expected:
        assert name in names, f"{name} missing from {names}"


def test_plan_map_shows_banner_title_and_all_projects(plan_page):
    text = plan_page.page.inner_text("body")
    assert "ILLUSTRATIVE, NOT OFFICIAL" in text and "衡阳市发展规划" in text
    assert "15 / 19" in text
    assert len(plan_page.page.query_selector_all(".hy-label")) == 12, "the 12 county units are labelled"


def test_plan_map_targets_panel_opens(plan_page):
    plan_page.page.get_by_text("Plan targets (2030 / 2035)").click()
    text = plan_page.page.inner_text(".hy-targets-box")
    assert "地区生产总值" in text and "12000" in text.replace(",", "")


def test_plan_map_popup_opens_on_click(plan_page):
    text = plan_page.click_feature("南岳衡山生态文旅度假区")
    assert "南岳衡山生态文旅度假区" in text and "180" in text and "8,000" in text, text


def test_hostile_text_is_shown_literally(browser, tmp_path):
    path = save(plan_map(hostile_inputs(), basemap="none"), tmp_path / "hostile.html")
    page = Page(browser, path)
    try:
        pg = page.page
        assert page.js_errors() == [] and page.non_tile_failures() == []
        assert page.dialogs == [], "no alert() ran"
        assert pg.evaluate("() => window.__pwned") is None, "no injected script ran"
        assert pg.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
        popup = page.click_feature("onerror")
        assert HOSTILE[0] in popup and HOSTILE[1] in popup, popup
        pg.click(".hy-notlocated summary")
        panel = pg.inner_text(".hy-notlocated")
        assert HOSTILE[2] in panel and HOSTILE[0] in panel, panel
        legend = pg.inner_text(".hy-legend")
        assert HOSTILE[3] in legend, "a hostile group name is shown literally in the legend"
        pg.screenshot(path=str(ARTIFACTS / "hostile_map.png"))
    finally:
        page.page.close()


def test_compliance_and_theme_maps_load(browser, tmp_path):
    inputs = hygis.resolve()
    for name, m in {
        "compliance_map": compliance_map(compliance_report(inputs), inputs),
        "theme_ecology": theme_map("ecology", inputs),
    }.items():
        page = Page(browser, save(m, tmp_path / f"{name}.html"))
        try:
            assert page.js_errors() == [] and page.non_tile_failures() == [], name
            if name == "compliance_map":
                assert styles.get("overlap_layer") in page.layer_names()
                popup = page.click_feature("抗战纪念城")
                # Overlaps of other projects may lie on top of this site: any verdict popup will do.
                assert "结论 verdict" in popup and any(v in popup for v in ("需审批", "符合", "冲突")), popup
            page.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        finally:
            page.page.close()


def test_real_check_report_and_raster_overlay_load(browser, tmp_path):
    """The compliance map of a real check, and the plan map with a constraint raster, load offline cleanly."""
    from hygis import check_projects
    from hygis.raster.constraint_raster import constraint_raster, write_constraints

    inputs = hygis.resolve()
    tif = write_constraints(tmp_path / "constraints.tif", constraint_raster(inputs, cell=500))
    maps = {
        "compliance_real": compliance_map(check_projects(inputs), inputs),
        "plan_raster": plan_map(inputs, rasters=[tif]),
    }
    for name, m in maps.items():
        page = Page(browser, save(m, tmp_path / f"{name}.html"))
        try:
            assert page.js_errors() == [] and page.non_tile_failures() == [], name
            if name == "plan_raster":
                assert (
                    page.page.evaluate("() => document.querySelectorAll('img.leaflet-image-layer').length")
                    == 1
                )
                assert "禁止建设" in page.page.inner_text("body") or "生态保护红线" in page.page.inner_text(
                    ".hygis-raster-legend"
                )
        finally:
            page.page.close()


def test_big_user_farmland_through_the_plan_map(browser, tmp_path):
    """A user's farmland layer past the big-layer threshold goes to the canvas renderer.

    It still loads offline.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from hygis.maps import draw

    n = draw.BIG_LAYER_FEATURES + 500
    side = int(np.ceil(np.sqrt(n)))
    x0, y0 = 640_000, 2_950_000  # EPSG:4546, south-west of the central city
    xs, ys = np.meshgrid(np.arange(side) * 150.0, np.arange(side) * 150.0)
    boxes = shapely.box(x0 + xs.ravel(), y0 + ys.ravel(), x0 + xs.ravel() + 100, y0 + ys.ravel() + 100)[:n]
    farm = gpd.GeoDataFrame({"patch_id": [f"F{i}" for i in range(n)]}, geometry=boxes, crs=4546)
    path = tmp_path / "farmland.gpkg"
    farm.to_file(path, engine="pyogrio")
    page = Page(
        browser, save(plan_map(hygis.resolve(permanent_farmland=path), analysis=False), tmp_path / "big.html")
    )
    try:
        assert page.js_errors() == [] and page.non_tile_failures() == []
        assert any("永久基本农田" in name for name in page.layer_names())
        page.page.screenshot(path=str(ARTIFACTS / "plan_map_big_farmland.png"))
    finally:
        page.page.close()


def test_docs_screenshot_exists_and_is_current():
    docs = Path(__file__).resolve().parents[1] / "docs" / "plan_map.png"
    assert docs.exists() and docs.stat().st_size > 50_000, "docs/plan_map.png is the README's picture"


if __name__ == "__main__":  # pragma: no cover - regenerate docs/plan_map.png by hand
    shutil.copy(ARTIFACTS / "plan_map.png", Path(__file__).resolve().parents[1] / "docs" / "plan_map.png")
