"""The frame every hygis map shares: basemap, datum of display, title, banner, legend, layer control.

A :class:`MapBuilder` collects layers and their legend entries; :meth:`MapBuilder.finish`
adds the legend, the layer control and the view, and returns the ``folium.Map``.
Chinese web basemaps (Amap/Gaode, Tencent) are drawn in GCJ-02: on them every vector
geometry is shifted from WGS 84 to GCJ-02 with :func:`hygis.gcj02.geometries_wgs84_to_gcj02`
before it is added (:meth:`MapBuilder.display`), or it would sit about 650 m off.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element
from folium.template import Template

from hygis import gcj02, io
from hygis.constants import BASEMAPS
from hygis.errors import HygisInputError
from hygis.maps import offline as assets
from hygis.maps import styles
from hygis.maps.big import BigPolygons
from hygis.maps.controls import HtmlControl, add_css, page_of
from hygis.maps.escape import esc

_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9., ]+\))$")


def css_color(value: Any, default: str = "#888888") -> str:
    """A CSS colour from the style table, or ``default`` if it is not one (keeps the legend markup sound)."""
    text = str(value)
    return text if _COLOR.match(text) else default


def swatch(style: dict[str, Any]) -> str:
    """Legend swatch markup for a Leaflet path style (fill box, or line if not filled)."""
    color = css_color(style.get("color", "#333333"))
    weight = min(float(style.get("weight", 1)), 4.0)
    dash = "dashed" if style.get("dashArray") else "solid"
    filled = style.get("fill", True) and float(style.get("fillOpacity", 0.2)) > 0
    if filled:
        fill = css_color(style.get("fillColor", color))
        opacity = min(max(float(style.get("fillOpacity", 0.2)), 0.25), 1.0)
        shown = opacity + (1 - opacity) * 0.3
        return (
            f'<span class="sw" style="border:{weight:g}px {dash} {color};'
            f'background:{fill};background-clip:padding-box;opacity:{shown:.2f}"></span>'
        )
    return (
        f'<span class="sw" style="border:{max(weight, 2):g}px {dash} {color};background:transparent"></span>'
    )


def line_swatch(color: str, weight: float = 3) -> str:
    return f'<span class="ln" style="border-top:{min(weight, 8):g}px solid {css_color(color)}"></span>'


def circle_swatch(color: str, radius: float, fill_opacity: float = 0.55) -> str:
    d = 2 * radius + 2
    return (
        f'<span class="sym" style="width:{max(d, 22):g}px"><svg width="{d:g}" height="{d:g}">'
        f'<circle cx="{d / 2:g}" cy="{d / 2:g}" r="{radius:g}" fill="{css_color(color)}"'
        f' fill-opacity="{fill_opacity}" stroke="{css_color(color)}" stroke-width="1.5"/></svg></span>'
    )


@dataclass
class MapBuilder:
    """A folium map under construction, with its legend and display datum.

    Attributes
    ----------
    m : folium.Map
    basemap : str
        One of :data:`BASEMAPS`.
    gcj02 : bool
        Vector data is shifted to GCJ-02 for display (Amap/Tencent tiles).
    legend : list of (title markup, list of (symbol markup, label markup))
    """

    m: folium.Map
    basemap: str
    gcj02: bool
    legend: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    bounds: list[float] | None = None

    def display(self, geoms: Any) -> np.ndarray:
        """Geometries (WGS 84 lon/lat) as the basemap draws them: shifted to GCJ-02 on Amap/Tencent."""
        arr = np.asarray(geoms.to_numpy() if hasattr(geoms, "to_numpy") else geoms, dtype=object)
        return gcj02.geometries_wgs84_to_gcj02(arr) if self.gcj02 else arr

    def add_legend(self, title: str, rows: list[tuple[str, str]]) -> None:
        """Add a legend section; ``title`` and labels are escaped, symbols are hygis markup."""
        self.legend.append((esc(title), [(sym, esc(label)) for sym, label in rows]))

    def fit(self, gdf: gpd.GeoDataFrame) -> None:
        """Frame the map on this layer (WGS 84 bounds; shifted like the data)."""
        if len(gdf) and not gdf.geometry.is_empty.all():
            self.bounds = list(gdf.total_bounds)

    def finish(self, *, collapsed: bool = False) -> folium.Map:
        """Add the legend, the layer control and the view; return the map."""
        if self.legend:
            parts = ['<details class="hy-legend" open><summary><b>图例 Legend</b></summary>']
            for title, rows in self.legend:
                if len(rows) == 1:  # one symbol: the layer's name is its label
                    parts.append(f'<div class="hy-row">{rows[0][0]}<span>{title}</span></div>')
                    continue
                parts.append(f"<h4>{title}</h4>")
                parts.extend(f'<div class="hy-row">{sym}<span>{label}</span></div>' for sym, label in rows)
            parts.append("</details>")
            HtmlControl("".join(parts), position="bottomright", css_class="hy-panel hy-legend-box").add_to(
                self.m
            )
        if any(isinstance(child, BigPolygons) for child in self.m._children.values()):
            # Beside canvas big layers, Chromium without a GPU repaints an SVG overlay (dashed county
            # lines of 10^4 vertices) at every zoom: ~40 % of the redraw on the 200k-patch plan map
            # (bench_plan_map.py). One canvas for the vector layers draws the same styles, faster.
            self.m.options["prefer_canvas"] = True
        folium.LayerControl(collapsed=collapsed, position="topright").add_to(self.m)
        if self.bounds is not None:
            x0, y0, x1, y1 = self.bounds
            if self.gcj02:
                (x0, x1), (y0, y1) = gcj02.wgs84_to_gcj02([x0, x1], [y0, y1])
            self.m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])
        return self.m


#: Zoom buttons below the title and banner; the class ``hy-far`` below zoom 10 hides minor label lines.
ZOOM_SCRIPT = """
L.control.zoom({position: "topleft"}).addTo({map});
(function (map) {
    function mark() { map.getContainer().classList.toggle("hy-far", map.getZoom() < 10); }
    map.on("zoomend", mark); mark();
})({map});
"""


class MapScript(folium.MacroElement):
    """A fixed snippet of hygis's own JavaScript run on the map (``{map}`` = the map's variable)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "MapScript"
        self.code = code

    def render(self, **kwargs):
        parent = cast(Element, self._parent)  # the map it was added to
        self.code = self.code.replace("{map}", parent.get_name())
        super().render(**kwargs)


def tile_layers(basemap: str) -> list[folium.TileLayer]:
    """The tile layers of a basemap (Tianditu: vector + annotation), as base layers of the control.

    Raises
    ------
    HygisInputError
        For an unknown basemap, or Tianditu without ``TIANDITU_KEY`` in the environment.
    """
    table = styles.get("basemaps")
    if basemap not in table:
        msg = f"Unknown basemap '{basemap}'. Choose one of: {', '.join(BASEMAPS)}."
        raise HygisInputError(msg)
    spec = table[basemap]
    key = ""
    if spec.get("key_env"):
        key = os.environ.get(spec["key_env"], "").strip()
        if not key:
            msg = (
                f"The {spec['name']} basemap needs your key: set the environment variable {spec['key_env']} "
                f"(apply for a browser key at the Tianditu developer site), or choose another --basemap "
                f"({', '.join(b for b in BASEMAPS if b != basemap)})."
            )
            raise HygisInputError(msg)
        if not re.fullmatch(r"[0-9A-Za-z]{8,64}", key):
            msg = f"{spec['key_env']} does not look like a Tianditu key (letters and digits only)."
            raise HygisInputError(msg)
    out = []
    for i, url in enumerate(spec["tiles"]):
        kwargs: dict[str, Any] = {}
        if spec.get("subdomains"):
            kwargs["subdomains"] = spec["subdomains"]
        out.append(
            folium.TileLayer(
                tiles=url.replace("{key}", key),
                attr=spec["attribution"],
                name=spec["name"] if i == 0 else f"{spec['name']} 注记",
                max_zoom=spec.get("max_zoom", 18),
                overlay=i > 0,
                control=i == 0,
                **kwargs,
            )
        )
    return out


def new_map(
    title: str,
    *,
    basemap: str = "osm",
    offline: bool = True,
    banner: str | None = None,
    subtitle: str | None = None,
) -> MapBuilder:
    """Create the map frame: tiles, scale bar, title and (for illustrative data) the banner.

    Parameters
    ----------
    title : str
        Shown top-left and as the page title.
    basemap : {'osm', 'gaode', 'tencent', 'tianditu', 'none'}
        ``none`` draws no tiles (for machines without internet); the county layer is then the base.
    offline : bool
        Inline every JS/CSS asset so the HTML needs no network (tiles excepted).
    banner : str, optional
        Text shown in a highlighted box at the top of the map, e.g. from
        :func:`hygis.plan.illustrative_banner`.
    subtitle : str, optional
        Small line under the title (e.g. the sources).
    """
    basemap = (basemap or "none").lower()
    tiles = tile_layers(basemap)
    spec = styles.get("basemaps", basemap)
    m = folium.Map(location=[26.9, 112.6], zoom_start=8, tiles=None, control_scale=True, zoom_control=False)
    if offline:
        assets.make_offline(m)
    page_of(m).title = title
    add_css(m)
    for layer in tiles:
        layer.add_to(m)
    if not tiles:
        page_of(m).header.add_child(
            folium.Element("<style>.leaflet-container { background: #dde6ee; }</style>"), name="hygis_nobase"
        )
    sub = f"<small>{esc(subtitle)}</small>" if subtitle else ""
    HtmlControl(f"{esc(title)}{sub}", position="topleft", css_class="hy-title").add_to(m)
    if banner:
        HtmlControl(f"⚠ {esc(banner)}", position="topleft", css_class="hy-banner").add_to(m)
    MapScript(ZOOM_SCRIPT).add_to(m)
    if spec["datum"] == "gcj02":
        HtmlControl(
            esc("矢量数据已偏移至 GCJ-02 以对齐底图 · vector data shifted to GCJ-02 to match these tiles"),
            position="bottomleft",
            css_class="hy-panel",
        ).add_to(m)
    return MapBuilder(m=m, basemap=basemap, gcj02=spec["datum"] == "gcj02")


def save(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write a map as one HTML file (UTF-8), atomically, never over an input file.

    A map made with ``offline=True`` is written with every asset inlined.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        msg = f"{target.name}: a map is written as .html; change the file name."
        raise HygisInputError(msg)
    return io.write_text(m.get_root().render(), target)


__all__ = [
    "BASEMAPS",
    "MapBuilder",
    "new_map",
    "tile_layers",
    "save",
    "swatch",
    "line_swatch",
    "circle_swatch",
    "css_color",
]
