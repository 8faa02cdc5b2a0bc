"""Attribute values are data, never markup.

Every text that comes from a layer or a user's file reaches the page by one of two roads,
both safe whatever characters it holds (``<img onerror=…>``, ``</script>``, backticks,
``${…}``):

* feature popups, tooltips and labels are built here in Python with every value passed
  through :func:`html.escape`, stored as feature properties and embedded with Jinja's
  ``tojson`` (which also escapes ``<``, ``>`` and ``&``); Leaflet then shows the escaped
  markup as literal text;
* panels (title, banner, legend, lists) are :class:`HtmlControl`, whose markup is built
  with :func:`esc` and embedded the same way.

Folium's own ``Tooltip``/``Popup`` put text into a JavaScript template literal unescaped,
so hygis never hands them a user's string.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.template import Template
from folium.utilities import JsCode

#: Properties that hold pre-escaped markup (names unlikely to clash with a user's columns).
TOOLTIP, POPUP, LABEL, SYMBOL, RADIUS, STYLE = "_hy_tt", "_hy_pp", "_hy_label", "_hy_svg", "_hy_r", "_hy_style"

_BIND = JsCode(
    f"""function (feature, layer) {{
        var p = feature.properties || {{}};
        if (p.{TOOLTIP}) {{ layer.bindTooltip(p.{TOOLTIP}, {{sticky: true, className: "hy-tip"}}); }}
        if (p.{POPUP}) {{ layer.bindPopup(p.{POPUP}, {{maxWidth: 420, className: "hy-popup"}}); }}
    }}"""
)


def esc(value: Any) -> str:
    """Text of a value, escaped for HTML; missing values (None, NaN, "") give an empty string."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return html.escape(str(value), quote=True)


def fmt(value: Any, digits: int = 2) -> str:
    """A number for a popup (thousands separators, trailing zeros dropped); text escaped."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return text or "0"
    return esc(value)


def table_html(title: str | None, rows: Sequence[tuple[str, Any]], *, title_is_markup: bool = False) -> str:
    """A popup: an optional bold title and a two-column table of (label, value).

    Labels are hygis's own (from the code or the style table) and are escaped too; values
    are escaped (numbers formatted). Rows whose value is empty are dropped.
    """
    parts = []
    if title:
        parts.append(f'<div class="hy-pt">{title if title_is_markup else esc(title)}</div>')
    cells = [
        f"<tr><th>{esc(label)}</th><td>{fmt(value)}</td></tr>" for label, value in rows if fmt(value) != ""
    ]
    if cells:
        parts.append('<table class="hy-tbl">' + "".join(cells) + "</table>")
    return "".join(parts)


def popups(frame: pd.DataFrame, title: str | Iterable[Any] | None, fields: Sequence[tuple[str, str]]) -> list[str]:
    """One popup per row: ``title`` (a column name, or values) and ``fields`` as (label, column).

    Columns missing from ``frame`` are skipped, so user files with fewer columns still work.
    """
    cols = [(label, col) for label, col in fields if col in frame.columns]
    if isinstance(title, str):
        titles = frame[title].tolist() if title in frame.columns else [None] * len(frame)
    elif title is None:
        titles = [None] * len(frame)
    else:
        titles = list(title)
    values = [frame[c].tolist() for _, c in cols]
    return [
        table_html(t, [(label, vals[i]) for (label, _), vals in zip(cols, values)]) for i, t in enumerate(titles)
    ]


def tooltips(*columns: Iterable[Any], sep: str = " · ") -> list[str]:
    """Escaped one-line tooltips joining the non-empty values of several columns, row by row."""
    return [sep.join(e for e in map(esc, row) if e) for row in zip(*columns)]


def feature_collection(
    geometries: Any, properties: pd.DataFrame | None = None, *, precision: int = 6
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection from shapely geometries and a frame of JSON-able properties.

    Coordinates are rounded to ``precision`` decimals (1e-6° ≈ 0.1 m), which keeps the HTML
    small without a visible change; empty geometries are dropped.
    """
    geoms = np.asarray(geometries, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    props = properties.reset_index(drop=True) if properties is not None else pd.DataFrame(index=range(len(geoms)))
    geoms, props = geoms[keep], props[keep]
    texts = shapely.to_geojson(shapely.set_precision(geoms, 10.0**-precision, mode="pointwise"))
    records = json.loads(props.to_json(orient="records", force_ascii=False, double_precision=precision))
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": p} for g, p in zip(texts, records)
        ],
    }


def geojson_layer(
    data: dict[str, Any],
    name: str,
    *,
    style: dict[str, Any] | None = None,
    point_to_layer: str | None = None,
    show: bool = True,
    control: bool = True,
    interactive: bool = True,
) -> folium.GeoJson:
    """A GeoJSON layer that binds each feature's pre-escaped tooltip/popup properties.

    Parameters
    ----------
    data : dict
        From :func:`feature_collection`; a feature's ``_hy_style`` property overrides ``style``.
    name : str
        Layer name for the layer control (escaped here: Leaflet shows it as markup).
    point_to_layer : str, optional
        JavaScript ``function (feature, latlng)`` drawing point features.
    """
    base = json.dumps(style or {})
    options: dict[str, Any] = {
        "style": JsCode(
            f"function (feature) {{ return Object.assign({{}}, {base}, (feature.properties || {{}}).{STYLE} || {{}}); }}"
        ),
        "interactive": interactive,
    }
    if point_to_layer:
        options["pointToLayer"] = JsCode(point_to_layer)
    layer = folium.GeoJson(
        data, name=esc(name), show=show, control=control, on_each_feature=_BIND if interactive else None, **options
    )
    # Without a style_function folium also calls setStyle(feature.properties.style); our
    # features never carry a "style" property, so that call changes nothing.
    return layer


#: Point symbols: inline SVG from the style table (our markup, stored in a property).
SYMBOL_POINTS = f"""function (feature, latlng) {{
    var p = feature.properties, s = p.{RADIUS} || 12;
    return L.marker(latlng, {{icon: L.divIcon({{html: p.{SYMBOL}, className: "hy-sym", iconSize: [s, s], iconAnchor: [s / 2, s / 2]}})}});
}}"""

#: Proportional circles: radius in pixels from a property, style from the feature.
CIRCLE_POINTS = f"""function (feature, latlng) {{
    var p = feature.properties;
    return L.circleMarker(latlng, Object.assign({{radius: p.{RADIUS} || 6}}, p.{STYLE} || {{}}));
}}"""

#: Permanent text labels (escaped text in a property).
LABEL_POINTS = f"""function (feature, latlng) {{
    return L.marker(latlng, {{interactive: false, keyboard: false,
        icon: L.divIcon({{html: '<span>' + feature.properties.{LABEL} + '</span>', className: "hy-label", iconSize: null}})}});
}}"""


class HtmlControl(folium.MacroElement):
    """A Leaflet control holding hygis-built markup (title, banner, legend, lists).

    Parameters
    ----------
    html : str
        Markup built with :func:`esc` for every data value.
    position : str
        ``topleft``, ``topright``, ``bottomleft`` or ``bottomright``.
    css_class : str
        Class of the control's ``div`` (see :data:`CSS`).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str = "topright", css_class: str = "hy-panel"):
        super().__init__()
        self._name = "HtmlControl"
        self.html, self.position, self.css_class = html, position, css_class


#: The maps' own stylesheet (fonts that carry Chinese first; panels; labels).
CSS = """
<style>
.leaflet-container { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif; }
.hy-panel { background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 5px; box-shadow: 0 1px 5px rgba(0,0,0,0.35); font-size: 12px; line-height: 1.35; max-width: 360px; max-height: 55vh; overflow-y: auto; }
.hy-title { background: rgba(255,255,255,0.94); padding: 6px 12px; border-radius: 5px; box-shadow: 0 1px 5px rgba(0,0,0,0.35); font-size: 16px; font-weight: 700; }
.hy-title small { display: block; font-weight: 400; font-size: 11px; color: #495057; }
.hy-banner { background: #fff3bf; border: 2px solid #e67700; color: #7a3e00; padding: 5px 10px; border-radius: 5px; font-size: 12.5px; font-weight: 600; max-width: 560px; }
.hy-legend h4 { margin: 4px 0 2px; font-size: 12px; }
.hy-legend .hy-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.hy-legend .sw { display: inline-block; width: 22px; height: 14px; flex: none; box-sizing: border-box; }
.hy-legend .ln { display: inline-block; width: 22px; height: 0; flex: none; }
.hy-legend .sym { display: inline-flex; width: 22px; justify-content: center; flex: none; }
.hy-list li { margin: 1px 0; }
.hy-list ul { margin: 2px 0 4px; padding-left: 16px; }
.hy-sym { background: none; border: none; }
.hy-label { background: none; border: none; }
.hy-label > span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap; text-align: center; font-size: 12px; font-weight: 700; color: #212529; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; }
.hy-label small { display: block; font-weight: 400; font-size: 10px; }
.hy-far .hy-label .hy-minor small { display: none; }
.hy-legend summary, .hy-list summary { cursor: pointer; }
.hy-pt { font-weight: 700; font-size: 13px; margin-bottom: 4px; }
.hy-tbl { border-collapse: collapse; font-size: 12px; }
.hy-tbl th { text-align: left; color: #495057; font-weight: 400; padding: 1px 8px 1px 0; vertical-align: top; white-space: nowrap; }
.hy-tbl td { padding: 1px 0; }
</style>
"""


def add_css(m: folium.Map) -> None:
    """Add hygis's stylesheet to the map's page (once)."""
    m.get_root().header.add_child(folium.Element(CSS), name="hygis_css")


def representative_points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """A point inside each geometry (vectorised), for symbols and labels."""
    return shapely.point_on_surface(gdf.geometry.to_numpy())


__all__ = [
    "esc",
    "fmt",
    "table_html",
    "popups",
    "tooltips",
    "feature_collection",
    "geojson_layer",
    "HtmlControl",
    "CSS",
    "add_css",
    "SYMBOL_POINTS",
    "CIRCLE_POINTS",
    "LABEL_POINTS",
    "TOOLTIP",
    "POPUP",
    "LABEL",
    "SYMBOL",
    "RADIUS",
    "STYLE",
]
