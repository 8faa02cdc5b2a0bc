"""A classified raster on a folium map: overlay, legend and the illustrative banner."""

from __future__ import annotations

import folium

from hygis import raster
from hygis.maps.raster_layer import raster_layer
from hygis.plan import resolve


def test_constraint_overlay_has_legend_and_banner(tmp_path):
    result = raster.constraint_raster(resolve(), cell=500)
    path = raster.write_constraints(tmp_path / "c.tif", result)
    m = folium.Map(location=[26.9, 112.6], zoom_start=9, tiles=None)
    raster_layer(path, name="三条控制线 <b>").add_to(m)
    html = m.get_root().render()
    assert "data:image/png;base64" in html
    assert "生态保护红线" in html and "永久基本农田" in html
    assert "ILLUSTRATIVE, NOT OFFICIAL" in html
    assert "三条控制线 &lt;b&gt;" in html  # names are escaped
