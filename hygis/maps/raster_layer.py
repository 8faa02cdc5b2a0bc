"""A classified raster on a folium map: an image overlay with its legend and provenance.

The raster (e.g. from ``hygis raster constraints`` or ``hygis suitability``) is warped to Web
Mercator (EPSG:3857, the map's own projection, so cells line up with the basemap) by
nearest neighbour, coloured by its legend and embedded as a PNG; the legend box lists
the classes and repeats the raster's "illustrative" banner when it has one. Text is escaped.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import numpy as np
import rasterio
from branca.element import MacroElement
from jinja2 import Template
from rasterio.warp import Resampling, calculate_default_transform, reproject

from hygis.crs import WEB_MERCATOR, WGS84
from hygis.errors import HygisInputError

#: Longest side of the embedded image, pixels (keeps the HTML a few MB at most).
MAX_PIXELS: int = 2048


def _rgba(color: str) -> tuple[int, int, int, int]:
    c = color.lstrip("#")
    if len(c) == 6:
        c += "ff"
    if len(c) != 8:
        msg = f"Colour {color!r} in the legend is not #rrggbb or #rrggbbaa: correct the legend's colour."
        raise HygisInputError(msg)
    return tuple(int(c[i : i + 2], 16) for i in (0, 2, 4, 6))  # type: ignore[return-value]


class RasterLegend(MacroElement):
    """A fixed legend box: title, one swatch per class, and a note (the illustrative banner)."""

    _template = Template(
        """
{% macro html(this, kwargs) %}
<div class="hygis-raster-legend" id="{{ this.get_name() }}" style="max-width: 320px; margin-top: 6px;
  background: rgba(255,255,255,0.92); padding: 8px 10px; border: 1px solid #999; border-radius: 4px;
  font: 12px/1.4 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;">
  <div style="font-weight: bold; margin-bottom: 4px;">{{ this.title }}</div>
  {% for item in this.items %}
  <div><span style="display:inline-block;width:14px;height:10px;margin-right:6px;border:1px solid #666;
    background:{{ item.color }};"></span>{{ item.label }}</div>
  {% endfor %}
  {% if this.note %}
  <div style="margin-top: 6px; color: #b00; font-weight: bold;">{{ this.note }}</div>
  {% endif %}
</div>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  // Several raster legends stack in one box in the corner instead of covering each other.
  var box = document.getElementById("hygis-raster-legends");
  if (!box) {
    box = document.createElement("div");
    box.id = "hygis-raster-legends";
    // Beside the map's own legend (bottom right), not over it.
    box.style.cssText = "position:fixed;bottom:24px;right:372px;z-index:9999;";
    document.body.appendChild(box);
  }
  var el = document.getElementById({{ this.get_name()|tojson }});
  if (el) { box.appendChild(el); }
})();
{% endmacro %}
"""
    )

    def __init__(self, title: str, items: Sequence[dict[str, str]], note: str | None = None):
        super().__init__()
        self._name = "RasterLegend"
        self.title = html.escape(title)
        self.items = [{"color": html.escape(i["color"]), "label": html.escape(i["label"])} for i in items]
        self.note = html.escape(note) if note else ""


def raster_layer(
    path: str | os.PathLike,
    *,
    band: int = 1,
    legend: Sequence[dict[str, Any]] | None = None,
    name: str | None = None,
    opacity: float = 0.7,
    gcj02: bool = False,
    max_pixels: int = MAX_PIXELS,
) -> folium.FeatureGroup:
    """A folium layer showing a classified raster, with its legend.

    Parameters
    ----------
    path : path
        A single-band class raster (uint8 codes) hygis wrote, or any with ``legend`` given.
    band : int
        Band to show.
    legend : list of dict, optional
        ``code``, ``name_zh``, ``name_en``, ``color``; default: the legend stored in the band's
        ``HYGIS_CLASSES`` tag.
    name : str, optional
        Layer name in the layer control (default: the band description or file name).
    opacity : float
        0–1.
    gcj02 : bool
        The basemap is Amap/Tencent (GCJ-02): shift the overlay by the GCJ-02 offset at the
        raster's centre (the offset varies by a few metres over a city).
    max_pixels : int
        Longest side of the embedded image; larger rasters are shown at a coarser resolution.

    Returns
    -------
    folium.FeatureGroup
        Holding the image overlay and the legend; add it to a map (``layer.add_to(m)``).
    """
    src_path = Path(path)
    with rasterio.open(src_path) as src:
        legend = list(legend) if legend is not None else json.loads(src.tags(band).get("HYGIS_CLASSES", "[]"))
        if not legend:
            msg = (
                f"{src_path.name}: no legend in the raster's metadata; "
                "pass legend=[{'code', 'name_zh', 'color'}, …]."
            )
            raise HygisInputError(msg)
        title = name or src.tags().get("HYGIS_PRODUCT") or src.descriptions[band - 1] or src_path.stem
        notes = src.tags().get("HYGIS_NOTES", "")
        dst_crs = WEB_MERCATOR
        transform, width, height = calculate_default_transform(
            src.crs, dst_crs, src.width, src.height, *src.bounds
        )
        scale = max(width, height) / max_pixels
        if scale > 1:
            width, height = int(np.ceil(width / scale)), int(np.ceil(height / scale))
            transform = transform @ transform.scale(scale, scale)
        nodata = src.nodata if src.nodata is not None else 255
        codes = np.full((height, width), nodata, dtype=src.dtypes[band - 1])
        reproject(
            rasterio.band(src, band),
            codes,
            dst_transform=transform,
            dst_crs=dst_crs,
            resampling=Resampling.nearest,
            dst_nodata=nodata,
        )
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    for item in legend:
        rgba[codes == int(item["code"])] = _rgba(item["color"])
    left, top = transform.c, transform.f
    right, bottom = left + width * transform.a, top + height * transform.e
    from pyproj import Transformer  # noqa: PLC0415

    to_ll = Transformer.from_crs(WEB_MERCATOR, WGS84, always_xy=True)
    (west, east), (south, north) = np.array(to_ll.transform([left, right], [bottom, top]))
    if gcj02:
        from hygis.gcj02 import wgs84_to_gcj02  # noqa: PLC0415

        clon, clat = (west + east) / 2, (south + north) / 2
        glon, glat = wgs84_to_gcj02(np.array([clon]), np.array([clat]))
        dlon, dlat = float(glon[0] - clon), float(glat[0] - clat)
        west, east, south, north = west + dlon, east + dlon, south + dlat, north + dlat
    group = folium.FeatureGroup(name=title)
    folium.raster_layers.ImageOverlay(
        rgba, bounds=[[south, west], [north, east]], opacity=opacity, name=title, mercator_project=False
    ).add_to(group)
    banner = next((n.strip() for n in notes.split("|") if "ILLUSTRATIVE" in n or "示意" in n), None)
    shown = set(np.unique(codes).tolist())
    items = [
        {"color": i["color"][:7], "label": f"{i.get('name_zh', '')} {i.get('name_en', '')}".strip()}
        for i in legend
        if int(i["code"]) in shown and int(i["code"]) != nodata
    ]
    RasterLegend(title, items, banner).add_to(group)
    return group


__all__ = ["raster_layer", "RasterLegend"]
