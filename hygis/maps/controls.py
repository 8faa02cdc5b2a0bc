"""Panels on the map (title, banner, legend, lists) as escaped markup, and the page's CSS."""

from __future__ import annotations

from typing import cast

import folium
from branca.element import Figure
from folium.template import Template


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
.leaflet-container {
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei",
    sans-serif;
}
.hy-panel {
  background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); font-size: 12px; line-height: 1.35;
  max-width: 360px; max-height: 55vh; overflow-y: auto;
}
.hy-title {
  background: rgba(255,255,255,0.94); padding: 6px 12px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); font-size: 16px; font-weight: 700;
}
.hy-title small { display: block; font-weight: 400; font-size: 11px; color: #495057; }
.hy-banner {
  background: #fff3bf; border: 2px solid #e67700; color: #7a3e00; padding: 5px 10px; border-radius: 5px;
  font-size: 12.5px; font-weight: 600; max-width: 560px;
}
.hy-legend h4 { margin: 4px 0 2px; font-size: 12px; }
.hy-legend .hy-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.hy-legend .sw { display: inline-block; width: 22px; height: 14px; flex: none; box-sizing: border-box; }
.hy-legend .ln { display: inline-block; width: 22px; height: 0; flex: none; }
.hy-legend .sym { display: inline-flex; width: 22px; justify-content: center; flex: none; }
.hy-list li { margin: 1px 0; }
.hy-list ul { margin: 2px 0 4px; padding-left: 16px; }
.hy-sym { background: none; border: none; }
.hy-label { background: none; border: none; }
.hy-label > span {
  position: absolute; transform: translate(-50%, -50%); white-space: nowrap; text-align: center;
  font-size: 12px; font-weight: 700; color: #212529; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff;
}
.hy-label small { display: block; font-weight: 400; font-size: 10px; }
.hy-far .hy-label .hy-minor small { display: none; }
.hy-legend summary, .hy-list summary { cursor: pointer; }
.hy-pt { font-weight: 700; font-size: 13px; margin-bottom: 4px; }
.hy-tbl { border-collapse: collapse; font-size: 12px; }
.hy-tbl th {
  text-align: left; color: #495057; font-weight: 400; padding: 1px 8px 1px 0;
  vertical-align: top; white-space: nowrap;
}
.hy-tbl td { padding: 1px 0; }
</style>
"""


def page_of(m: folium.Map) -> Figure:
    """The HTML page a map renders into.

    folium roots every map in a ``Figure`` (or hygis's offline subclass), but types
    ``get_root()`` as a bare ``Element``, which has no ``header`` or ``title``.
    """
    return cast(Figure, m.get_root())


def add_css(m: folium.Map) -> None:
    """Add hygis's stylesheet to the map's page (once)."""
    page_of(m).header.add_child(folium.Element(CSS), name="hygis_css")
