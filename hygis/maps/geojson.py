"""GeoJSON layers whose popups, tooltips and labels are escaped markup (see :mod:`hygis.maps.escape`)."""

from __future__ import annotations

import json
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from folium.utilities import JsCode

from hygis.maps.escape import esc

#: Properties that hold pre-escaped markup (names unlikely to clash with a user's columns).
TOOLTIP, POPUP, LABEL, SYMBOL, RADIUS, STYLE = (
    "_hy_tt",
    "_hy_pp",
    "_hy_label",
    "_hy_svg",
    "_hy_r",
    "_hy_style",
)


_BIND = JsCode(
    f"""function (feature, layer) {{
        var p = feature.properties || {{}};
        if (p.{TOOLTIP}) {{ layer.bindTooltip(p.{TOOLTIP}, {{sticky: true, className: "hy-tip"}}); }}
        if (p.{POPUP}) {{ layer.bindPopup(p.{POPUP}, {{maxWidth: 420, className: "hy-popup"}}); }}
    }}"""
)


def feature_collection(
    geometries: Any, properties: pd.DataFrame | None = None, *, precision: int = 6
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection from shapely geometries and a frame of JSON-able properties.

    Coordinates are rounded to ``precision`` decimals (1e-6° ≈ 0.1 m), which keeps the HTML
    small without a visible change; empty geometries are dropped.
    """
    geoms = np.asarray(geometries, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    props = (
        properties.reset_index(drop=True) if properties is not None else pd.DataFrame(index=range(len(geoms)))
    )
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
            "function (feature) { "
            f"return Object.assign({{}}, {base}, (feature.properties || {{}}).{STYLE} || {{}}); }}"
        ),
        "interactive": interactive,
    }
    if point_to_layer:
        options["pointToLayer"] = JsCode(point_to_layer)
    layer = folium.GeoJson(
        data,
        name=esc(name),
        show=show,
        control=control,
        on_each_feature=_BIND if interactive else None,
        **options,
    )
    # Without a style_function folium also calls setStyle(feature.properties.style); our
    # features never carry a "style" property, so that call changes nothing.
    return layer


#: Point symbols: inline SVG from the style table (our markup, stored in a property).
SYMBOL_POINTS = f"""function (feature, latlng) {{
    var p = feature.properties, s = p.{RADIUS} || 12;
    return L.marker(latlng, {{icon: L.divIcon(
        {{html: p.{SYMBOL}, className: "hy-sym", iconSize: [s, s], iconAnchor: [s / 2, s / 2]}})}});
}}"""


#: Proportional circles: radius in pixels from a property, style from the feature.
CIRCLE_POINTS = f"""function (feature, latlng) {{
    var p = feature.properties;
    return L.circleMarker(latlng, Object.assign({{radius: p.{RADIUS} || 6}}, p.{STYLE} || {{}}));
}}"""


#: Permanent text labels (escaped text in a property).
LABEL_POINTS = f"""function (feature, latlng) {{
    return L.marker(latlng, {{interactive: false, keyboard: false,
        icon: L.divIcon({{html: '<span>' + feature.properties.{LABEL} + '</span>',
                          className: "hy-label", iconSize: null}})}});
}}"""
