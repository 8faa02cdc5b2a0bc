"""Interactive web maps of the plan, on folium (Leaflet): offline-capable and safe with any text.

* :func:`plan_map` — the whole plan: counties, urban system, control lines, projects;
* :func:`theme_map` — one chapter (industry, transport, culture-tourism, ecology);
* :func:`county_choropleth` — a value per county (e.g. investment);
* :func:`compliance_map` — the projects' overlaps with the three control lines, by verdict;
* :func:`save` — write a map as one HTML file, atomically.

Every function returns a ``folium.Map`` that a notebook shows and extends. Offline maps
(the default) inline Leaflet and every other asset: only basemap tiles use the network.
"""

from __future__ import annotations

from hygis.maps.base import BASEMAPS, new_map, save
from hygis.maps.compliance import compliance_map
from hygis.maps.offline import register as register_asset
from hygis.maps.plan_map import plan_map
from hygis.maps.themes import THEMES, county_choropleth, theme_map

__all__ = [
    "BASEMAPS",
    "THEMES",
    "compliance_map",
    "county_choropleth",
    "new_map",
    "plan_map",
    "register_asset",
    "save",
    "theme_map",
]
