"""CAD polylines, KML placemarks, unclosed rings and true curves: read right, and said."""

from __future__ import annotations

import pyogrio
import pytest

from hygis.io import formats

from .format_fixtures import (
    CIRCLE_AREA,
    DXF_SHAPES,
    write_curved_boundary,
    write_dxf,
    write_kml,
    write_unclosed_shapefile,
)


def test_dxf_closed_polylines_become_polygons_and_the_note_says_which(tmp_path):
    path = write_dxf(tmp_path / "红线.dxf")
    gdf, _ = formats.read_gdal_repairing(path, source=path.name)
    gdf, more = formats.closed_lines_to_polygons(gdf, source=path.name)
    by_layer = dict(zip(gdf["Layer"], gdf.geometry))
    for layer, (closed, area) in DXF_SHAPES.items():
        assert by_layer[layer].geom_type == ("Polygon" if closed else "LineString")
        if closed:
            assert abs(by_layer[layer].area - area) / area < 1e-5, layer
    text = " ".join(more)
    assert "2 closed polyline(s) read as polygons" in text and "PARCEL_CIRCLE" in text and "1 open" in text


@pytest.mark.parametrize("suffix", [".kml", ".kmz"])
def test_kml_placemark_names_become_ids(tmp_path, suffix):
    path = write_kml(tmp_path / f"项目{suffix}")
    gdf, _ = formats.read_gdal_repairing(path, source=path.name)
    gdf, notes = formats.placemark_ids(gdf, source=path.name)
    assert gdf["id"].tolist() == ["地块甲", "地块乙"]
    assert path.name in notes[0]


def test_unclosed_ring_is_closed_and_the_feature_named(tmp_path):
    path = write_unclosed_shapefile(tmp_path / "farmland.shp")
    gdf, notes = formats.read_gdal_repairing(path, source=path.name)
    assert gdf.geometry.notna().all()
    assert [round(a) for a in gdf.area] == [20_000, 5_000]
    assert notes == [
        "farmland.shp: feature #1 had a ring not closed in the file; closed by repeating its first point."
    ]


@pytest.mark.parametrize("suffix", [".gpkg", ".gdb"])
def test_true_curves_are_linearised_finely(tmp_path, suffix):
    path = write_curved_boundary(tmp_path / f"udb{suffix}")
    coarse = abs(pyogrio.read_dataframe(path).area.iloc[0] / CIRCLE_AREA - 1)
    assert coarse > 1e-4  # GDAL's default 4° step: the reason for the setting
    gdf, _ = formats.read_gdal_repairing(path, source=path.name)
    assert abs(gdf.area.iloc[0] / CIRCLE_AREA - 1) < 1e-5
    assert pyogrio.get_gdal_config_option("OGR_ARC_STEPSIZE") is None  # restored for others
