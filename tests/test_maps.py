"""Maps without a browser: styles as data, GCJ-02 shift, escaping, offline assets, CLI."""

from __future__ import annotations

import json
import re

import folium
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

import hygis
from hygis.constants import VERDICT_COLORS, VERDICT_LABELS
from hygis.errors import HygisInputError, HygisOutputError
from hygis.maps import compliance_map, county_choropleth, plan_map, save, styles, theme_map
from hygis.maps import offline as assets
from hygis.maps.escape import esc
from hygis.maps.geojson import feature_collection

from .maps_fixtures import HOSTILE, compliance_report, hostile_inputs


@pytest.fixture(scope="module")
def inputs():
    return hygis.resolve()


def _geojson_layers(m: folium.Map) -> dict[str, dict]:
    return {
        child.layer_name: child.data for child in m._children.values() if isinstance(child, folium.GeoJson)
    }


# --------------------------------------------------------------------------- styles
def test_control_lines_in_conventional_colours():
    red = styles.get("control_lines", "ecological_redline", "style")
    farm = styles.get("control_lines", "permanent_farmland", "style")
    udb = styles.get("control_lines", "urban_development_boundary", "style")
    r, g, b = (int(red["color"][i : i + 2], 16) for i in (1, 3, 5))
    assert r > 200 and g < 60 and b < 60, "the ecological red line is drawn red"
    fr, fg, fb = (int(farm["fillColor"][i : i + 2], 16) for i in (1, 3, 5))
    assert fr > 200 and fg > 180 and fb < 120, "permanent farmland is filled yellow"
    assert udb.get("fill") is False and udb["fillOpacity"] == 0, "the development boundary is an outline"


def test_tiers_groups_and_verdicts_are_distinct():
    tiers = styles.get("urban_system", "tiers")
    assert tiers["1"]["kind"] == "area"
    assert len({tiers[t]["symbol"] for t in "234"}) == 3, "tiers 2–4 use different symbols"
    groups = styles.get("projects", "groups")
    assert len({g["color"] for g in groups.values()}) == len(groups) == 6
    verdicts = {v: {"label": VERDICT_LABELS[v], "color": VERDICT_COLORS[v]} for v in VERDICT_COLORS}
    assert set(verdicts) == {"conflict", "needs approval", "compliant", "not located"}
    assert len({v["color"] for v in verdicts.values()}) == 4
    assert list(styles.group_color(["产业升级", "unknown"])) == [
        groups["产业升级"]["color"],
        styles.get("projects", "other_color"),
    ]


def test_symbol_size_area_proportional_to_investment():
    r = styles.scaled([0, 75, 300], 0, 20, 300)
    assert r[2] == 20 and r[1] == pytest.approx(10), "a quarter of the investment, half the radius"


# --------------------------------------------------------------------------- the plan map
def test_plan_map_has_every_layer_and_accounts_for_all_projects(inputs):
    m = plan_map(inputs, offline=False)
    names = set(_geojson_layers(m))
    for expected in (
        "县级行政区",
        "四级城乡空间体系",
        "生态保护红线",
        "永久基本农田",
        "城镇开发边界",
        "重点项目",
        "定位精度",
    ):
        assert any(expected in n for n in names), expected
    for key in hygis.layers.CONTROL_LINES:
        assert any(styles.get("control_lines", key, "layer") + " (示意 ILLUSTRATIVE)" in n for n in names)
    html = m.get_root().render()
    assert "ILLUSTRATIVE, NOT OFFICIAL" in html, "the illustrative banner is on the map"
    # the targets panel gives the plan's units in Chinese (unit_zh of plan_targets.csv)
    (panel,) = [c.html for c in m._children.values() if "hy-targets-box" in str(getattr(c, "css_class", ""))]
    assert "<td>占GDP比重（%）</td>" in panel and "<td>% of GDP</td>" not in panel
    counties = _geojson_layers(m)["县级行政区 County-level units (12)"]
    assert len(counties["features"]) == 12
    located = int(inputs.projects.geometry.notna().sum() - inputs.projects.geometry.is_empty.sum())
    assert "15 / 19" in html and f"located: {located}" in html, "the 15 not located are listed, 4 drawn"
    for pid in inputs.projects.loc[~inputs.projects["located"].astype(bool), "project_id"]:
        assert f"<b>{pid}</b>" in html.replace("\\u003c", "<").replace("\\u003e", ">")


def test_popups_state_precision(inputs):
    m = plan_map(inputs, offline=False)
    places = _geojson_layers(m)["四级城乡空间体系 Four-tier urban system"]["features"]
    assert any("定位精度 precision (m)" in f["properties"]["_hy_pp"] for f in places)


def test_gaode_basemap_shifts_data_to_gcj02(inputs):
    wgs = _geojson_layers(plan_map(inputs, offline=False))
    gcj = _geojson_layers(plan_map(inputs, basemap="gaode", offline=False))
    name = "县级行政区 County-level units (12)"
    a = np.array(wgs[name]["features"][0]["geometry"]["coordinates"][0][0][:50])
    b = np.array(gcj[name]["features"][0]["geometry"]["coordinates"][0][0][:50])
    _, _, dist = Geod(ellps="WGS84").inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert 450 < dist.min() and dist.max() < 800, (
        f"GCJ-02 shift in Hengyang is ~650 m, got {dist.min():.0f}–{dist.max():.0f}"
    )
    html = plan_map(inputs, basemap="tencent", offline=False).get_root().render()
    assert "gtimg.com" in html and "GCJ-02" in html


def test_tianditu_needs_its_key(inputs, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(HygisInputError, match="TIANDITU_KEY"):
        plan_map(inputs, basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    html = plan_map(inputs, basemap="tianditu", offline=False).get_root().render()
    assert "tk=0123456789abcdef0123456789abcdef" in html and "cva_w" in html


def test_no_basemap_draws_counties_as_base(inputs):
    m = plan_map(inputs, basemap="none", offline=False)
    assert not [c for c in m._children.values() if isinstance(c, folium.TileLayer)]


# --------------------------------------------------------------------------- safety
def test_hostile_text_never_reaches_the_page_as_markup():
    # Online: the page holds only folium's scripts and ours, so <script> tags can be counted.
    html = plan_map(hostile_inputs(), basemap="none", offline=False).get_root().render()
    for text in HOSTILE:
        if "<" in text:
            assert text not in html, f"raw {text!r} in the page"
    # `${…}` is inert inside JSON strings; it must never sit in a JavaScript template literal.
    assert not re.search(r"`[^`]*\$\{window\.__pwned", html.replace("`${window.__pwned=2}`", ""))
    assert html.count("</script>") == html.count("<script"), "no early end of a script element"
    assert "window.__pwned" in html, "the text itself is still there, escaped"


def test_escape_and_feature_properties():
    assert esc("<b>&") == "&lt;b&gt;&amp;" and esc(None) == "" and esc(float("nan")) == ""
    fc = feature_collection([None], pd.DataFrame({"a": [1]}))
    assert fc["features"] == [], "empty geometries are dropped"


# --------------------------------------------------------------------------- offline
def test_offline_map_links_nothing_remote(inputs):
    html = plan_map(inputs).get_root().render()
    assert not re.search(r'<script[^>]+src="https?:', html)
    assert not re.search(r'<link[^>]+href="https?:', html)
    assert "Leaflet 1.9" in html and ".leaflet-container" in html, "Leaflet's JS and CSS are inlined"
    online = plan_map(inputs, offline=False).get_root().render()
    assert re.search(r'<script[^>]+src="https://cdn.jsdelivr.net/npm/leaflet', online)


def test_every_asset_folium_links_is_available_offline():
    from folium.folium import _default_css, _default_js

    for _, url in _default_js + _default_css:
        assert assets.asset_text(url), url
    with pytest.raises(HygisOutputError, match="--online"):
        assets.asset_text("https://example.invalid/unknown-lib@1.0.0/x.js")
    assets.register("https://example.invalid/mine.js", "var mine = 1;")
    assert (
        assets.inline_assets('<script src="https://example.invalid/mine.js"></script>')
        == "<script>var mine = 1;</script>"
    )


def test_save_writes_utf8_html_atomically(inputs, tmp_path):
    out = save(plan_map(inputs, basemap="none"), tmp_path / "maps" / "plan.html")
    text = out.read_text(encoding="utf-8")
    assert "衡阳" in text  # written as UTF-8 text, not escaped
    assert re.search(r"<meta[^>]+charset=[\"']?utf-8", text, flags=re.IGNORECASE), (
        "the page declares its encoding"
    )
    assert not list(out.parent.glob(".tmp-*"))
    with pytest.raises(HygisInputError, match=r"\.html"):
        save(plan_map(inputs, basemap="none"), tmp_path / "plan.png")


# --------------------------------------------------------------------------- compliance, themes, choropleth
def test_compliance_map_colours_overlaps_by_verdict(inputs):
    report = compliance_report(inputs)
    m = compliance_map(report, inputs, offline=False)
    layers_ = _geojson_layers(m)
    overlaps = layers_[styles.get("overlap_layer")]["features"]
    fills = {f["properties"]["_hy_style"]["fillColor"] for f in overlaps}
    assert VERDICT_COLORS["conflict"] in fills
    assert len(overlaps) == int((report.geometry.notna() & ~report.geometry.is_empty).sum())
    html = m.get_root().render()
    assert "15 / 19" in html and "ILLUSTRATIVE" in html
    with pytest.raises(HygisInputError, match="verdict"):
        compliance_map(report.drop(columns="verdict"), inputs)


@pytest.mark.parametrize("theme", ["industry", "transport", "culture-tourism", "ecology"])
def test_theme_maps_show_their_groups(theme, inputs):
    m = theme_map(theme, inputs, offline=False)
    groups = styles.get("themes", theme, "groups")
    name = next(n for n in _geojson_layers(m) if n.startswith(styles.get("projects", "layer")))
    assert all(g in name for g in groups)
    with pytest.raises(HygisInputError, match="Choose one of"):
        theme_map("nope", inputs)


def test_county_choropleth_classes_and_bad_codes():
    counties = hygis.layers.load("counties")
    values = pd.DataFrame({"code": counties["code"], "value": np.arange(12, dtype=float) * 10})
    m = county_choropleth(values.assign(title="测试 test", unit="亿元"), offline=False)
    fc = next(iter(_geojson_layers(m).values()))
    fills = [f["properties"]["_hy_style"]["fillColor"] for f in fc["features"]]
    palette = styles.get("choropleth", "colors")
    assert fills[0] == palette[0] and fills[-1] == palette[-1] and len(set(fills)) == 5
    with pytest.raises(HygisInputError, match="999999"):
        county_choropleth(pd.DataFrame({"code": ["999999"], "value": [1.0]}))


# --------------------------------------------------------------------------- CLI
def test_cli_map_writes_the_plan_map(cli, tmp_path):
    out = tmp_path / "plan.html"
    proc = cli("map", "--out", str(out), "--basemap", "none")
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and "衡阳" in out.read_text(encoding="utf-8")


def test_cli_map_theme_and_user_projects(cli, tmp_path, projects_gdf):
    src = tmp_path / "projects.gpkg"
    projects_gdf.to_file(src)
    out = tmp_path / "industry.html"
    proc = cli("map", "--theme", "industry", "--projects", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert json.dumps("智造谷一期")[1:-1] in text, "the user's project is on the map"
    assert "projects.gpkg" in text, "the layer name says the projects are the user's file"


def test_cli_tianditu_without_key_is_a_clean_error(cli, tmp_path):
    import os

    env_had = os.environ.pop("TIANDITU_KEY", None)
    try:
        proc = cli("map", "--basemap", "tianditu", "--out", str(tmp_path / "t.html"))
    finally:
        if env_had is not None:
            os.environ["TIANDITU_KEY"] = env_had
    assert proc.returncode == 2 and "TIANDITU_KEY" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_map_check(cli, tmp_path):
    out = tmp_path / "check.html"
    proc = cli("map", "--check", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "冲突" in out.read_text(encoding="utf-8") or "conflict" in out.read_text(encoding="utf-8")


def test_cli_map_investment(cli, tmp_path):
    out = tmp_path / "inv.html"
    proc = cli("map", "--theme", "investment", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")

    def shows(text: str) -> bool:  # labels travel as JSON inside the page, where Chinese is \u-escaped
        return text in html or text.encode("ascii", "backslashreplace").decode() in html

    assert shows("亿元")
    # Investment that no county can take is stated on the map, not lost.
    assert shows("未分配") and "of 2,430" in html


def test_run_writes_the_plan_map(tmp_path):
    from hygis import workflow

    written = workflow.run(tmp_path)
    assert written["plan_map"] == tmp_path / "maps" / "hengyang_plan.html" and written["plan_map"].exists()


# --------------------------------------------------------------------------- big layers
def test_big_layer_goes_to_the_fast_renderer(inputs, monkeypatch):
    from hygis.maps import draw

    monkeypatch.setattr(draw, "BIG_LAYER_FEATURES", 1000)  # the farmland's ~3,100 patches count as big
    calls = []
    monkeypatch.setattr(
        draw,
        "add_big_polygons",
        lambda m, gdf, name, style, tooltip_fields=None, show=True, **kw: calls.append(
            (name, len(gdf), tooltip_fields)
        ),
    )
    plan_map(inputs, offline=False)
    assert calls, "the farmland layer was not handed to the fast renderer"
    name, n, tooltip_fields = calls[0]
    assert n == len(inputs.permanent_farmland) and "永久基本农田" in name and tooltip_fields[0] == "patch_id"


def test_choropleth_classes_follow_the_values():
    from hygis.maps.themes import classify

    cls, ranges = classify(np.array([0, 0, 90, 180, 300, np.nan]), 5)
    assert list(cls) == [0, 0, 1, 2, 3, -1] and ranges[0] == (0, 0), (
        "few values: one class each, NaN = no data"
    )
    cls, ranges = classify(np.arange(100.0), 5)
    assert cls.min() == 0 and cls.max() == 4 and len(ranges) == 5


def test_schematic_and_approximate_sites_are_drawn_dashed(inputs):
    """A site known only to ±kilometres must not look like a surveyed boundary."""
    approx = hygis.layers.approximate(inputs.projects)
    located = inputs.projects.geometry.notna()
    # Every embedded located project is schematic, area-level or worse than ±1 km.
    assert approx[located.to_numpy()].all()
    html = plan_map(inputs, offline=False, analysis=False).get_root().render()
    assert styles.get("projects", "approximate", "dashArray") in html
    assert "schematic or approximate location" in html
