"""Surveyors' parcels: 坐标交换格式 .txt, 界址点 tables, Gauss–Krüger zones, 度分秒."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from hygis.errors import HygisInputError
from hygis.io import coordinates, dms, gauss_kruger, vertices

from .survey_fixtures import AREAS, EPSG_CM, EPSG_PREFIXED, write_coordinate_file, write_vertex_table


def assert_areas(gdf, id_col="地块编号"):
    got = dict(zip(gdf[id_col], gdf.geometry.area))
    assert set(got) == set(AREAS)
    for pid, area in AREAS.items():
        assert abs(got[pid] - area) / area < 1e-4, (pid, got[pid], area)


# --------------------------------------------------------------------------- 坐标交换格式
def test_gbk_coordinate_file_gives_parcels_with_holes_and_parts(tmp_path):
    path = write_coordinate_file(tmp_path / "报盘坐标.txt", encoding="gbk")
    gdf = coordinates.read_coordinate_txt(path)
    assert gdf.crs.to_epsg() == EPSG_PREFIXED
    assert_areas(gdf)
    assert gdf["地块名称"].tolist() == ["示例地块一", "示例三角地块", "示例两块地"]
    assert len(gdf.geometry.iloc[0].interiors) == 1
    assert gdf.geometry.iloc[2].geom_type == "MultiPolygon"
    assert any("ring 2 of parcel D3" in n for n in gdf.attrs["hygis_notes"])
    assert coordinates.is_coordinate_txt(path)
    assert not coordinates.is_coordinate_txt(write_vertex_table(tmp_path / "v.csv"))
    assert gdf.geometry.is_valid.all()


def test_utf8_file_without_zone_prefix_takes_the_zone_from_the_header(tmp_path):
    path = write_coordinate_file(tmp_path / "p.txt", encoding="utf-8", prefix=False)
    gdf = coordinates.read_coordinate_txt(path)
    assert gdf.crs.to_epsg() == EPSG_CM
    assert_areas(gdf)


def test_file_without_prefix_or_zone_asks_for_crs(tmp_path):
    path = write_coordinate_file(tmp_path / "nozone.txt", prefix=False, header_zone=False)
    with pytest.raises(HygisInputError, match=r"nozone\.txt.*--crs"):
        coordinates.read_coordinate_txt(path)
    assert coordinates.read_coordinate_txt(path, crs="EPSG:4546").crs.to_epsg() == EPSG_CM


def test_header_zone_disagreeing_with_prefix_is_refused(tmp_path):
    path = write_coordinate_file(tmp_path / "bad.txt")
    path.write_bytes(path.read_bytes().replace("带号=37".encode("gbk"), "带号=38".encode("gbk")))
    with pytest.raises(HygisInputError, match="zone 38.*start with 37"):
        coordinates.read_coordinate_txt(path)


def test_unclosed_rings_are_closed_and_said(tmp_path):
    gdf = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "open.txt", close=False))
    assert_areas(gdf)
    assert any("did not repeat its first point" in n for n in gdf.attrs["hygis_notes"])


def test_xian80_header_picks_the_xian80_zone(tmp_path):
    gdf = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "x80.txt", datum="1980西安坐标系"))
    assert gdf.crs.to_epsg() == 2361 and "Xian 1980" in gdf.crs.name


def test_round_trip_returns_the_same_vertices(tmp_path):
    src = write_coordinate_file(tmp_path / "in.txt")
    first = coordinates.read_coordinate_txt(src)
    out = coordinates.write_coordinate_txt(first, tmp_path / "out.txt")
    again = coordinates.read_coordinate_txt(out)
    assert again.crs.to_epsg() == EPSG_PREFIXED
    assert again["地块编号"].tolist() == first["地块编号"].tolist()
    assert shapely.equals_exact(again.geometry.to_numpy(), first.geometry.to_numpy(), 0).all()
    # Point lines come back byte for byte (the header's date aside), but for D3's second part: the
    # file gave it as ring 2 outside ring 1; hygis writes each part as its own record, ring 1.
    point_lines = [ln for ln in src.read_text(encoding="gbk").splitlines() if ln.startswith("J")]
    written = [ln for ln in out.read_text(encoding="gbk").splitlines() if ln.startswith("J")]
    assert written[:19] == point_lines[:19]
    assert [ln.split(",", 2)[2] for ln in written[19:]] == [ln.split(",", 2)[2] for ln in point_lines[19:]]
    assert {ln.split(",")[1] for ln in written[14:]} == {"1"}


def test_any_polygon_layer_is_written_in_a_zone_and_reads_back(tmp_path):
    first = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "in.txt"))
    lonlat = first.to_crs(4490)
    out = coordinates.write_coordinate_txt(lonlat, tmp_path / "from_lonlat.txt")
    back = coordinates.read_coordinate_txt(out)
    assert back.crs.to_epsg() == EPSG_PREFIXED  # the zone whose central meridian is nearest
    assert_areas(back)


def test_writer_refuses_lines(tmp_path):
    import geopandas as gpd

    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4490)
    with pytest.raises(OSError, match="polygons"):
        coordinates.write_coordinate_txt(lines, tmp_path / "l.txt")


# --------------------------------------------------------------------------- 界址点 tables
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_vertex_table_gives_polygons_with_x_as_northing(tmp_path, suffix):
    gdf = vertices.read_vertex_table(write_vertex_table(tmp_path / f"界址点{suffix}"))
    assert gdf.crs.to_epsg() == EPSG_PREFIXED
    assert_areas(gdf)
    assert gdf["界址点数"].tolist() == [10, 4, 10]


def test_vertex_table_with_columns_the_other_way_round_is_read_and_said(tmp_path):
    gdf = vertices.read_vertex_table(write_vertex_table(tmp_path / "swapped.csv", swap=True, close=False))
    assert_areas(gdf)
    notes = " ".join(gdf.attrs["hygis_notes"])
    assert "X column holds eastings" in notes and "closed" in notes


def test_vertex_table_without_zone_prefix_asks_for_crs(tmp_path):
    path = write_vertex_table(tmp_path / "noprefix.csv", prefix=False)
    with pytest.raises(HygisInputError, match=r"noprefix\.csv.*--crs"):
        vertices.read_vertex_table(path)
    assert_areas(vertices.read_vertex_table(path, crs=EPSG_CM))


def test_vertex_table_with_a_blank_coordinate_names_the_row(tmp_path):
    path = write_vertex_table(tmp_path / "blank.csv")
    df = pd.read_csv(path, encoding="gbk")
    df.loc[6, "X坐标(m)"] = None
    df.to_csv(path, index=False, encoding="gbk")
    with pytest.raises(HygisInputError, match=r"blank\.csv.*row 7"):
        vertices.read_vertex_table(path)


def test_lonlat_values_in_x_y_are_refused_with_the_reason(tmp_path):
    df = pd.DataFrame(
        {"地块编号": ["A"] * 4, "X": [26.9, 26.9, 26.91, 26.9], "Y": [112.6, 112.61, 112.61, 112.6]}
    )
    with pytest.raises(HygisInputError, match="经度/纬度"):
        vertices.vertex_table_to_gdf(df, source="t.csv")


# --------------------------------------------------------------------------- zones
def test_every_epsg_block_names_the_zone_it_claims():
    for datum, spec in gauss_kruger.gk_systems().items():
        for width in ("3", "6"):
            for kind, (code, first, last) in spec[width].items():
                step = 1 if kind == "prefixed" else int(width)
                for i, key in enumerate(range(first, last + 1, step)):
                    name = CRS.from_epsg(code + i).name
                    assert name.startswith(datum), name
                    assert name.endswith(f"zone {key}" if kind == "prefixed" else f"CM {key}E"), name
                    assert ("3-degree" in name) == (width == "3"), name


@pytest.mark.parametrize(
    ("eastings", "kwargs", "epsg"),
    [
        ([37_500_000.0], {}, 4525),
        ([19_500_000.0], {}, 4497),
        ([500_000.0], {"width": 3, "zone": 37}, 4546),
        ([500_000.0], {"zone": 37}, 4546),
        ([500_000.0], {"width": 6, "zone": 19}, 4508),
        ([500_000.0], {"width": 3, "zone": 111}, 4546),
    ],
)
def test_zone_is_chosen_when_unambiguous(eastings, kwargs, epsg):
    crs, note = gauss_kruger.gk_crs(np.array(eastings), **kwargs)
    assert crs.to_epsg() == epsg and f"EPSG:{epsg}" in note


@pytest.mark.parametrize(
    ("eastings", "kwargs"),
    [
        ([500_000.0], {}),  # no prefix, no zone
        ([500_000.0], {"zone": 111}),  # 111°E is a 3° and a 6° central meridian
        ([37_500_000.0, 38_500_000.0], {}),  # two zones in one file
        ([37_500_000.0, 500_000.0], {}),  # prefixed and not
        ([37_500_000.0], {"width": 6}),  # 37 is a 3° zone
        ([24_500_000.0], {}),  # no zone 24 in China
        ([37_500_000.0], {"datum": "WGS 84"}),  # a datum without Chinese GK codes
    ],
)
def test_ambiguous_zone_asks_for_crs(eastings, kwargs):
    with pytest.raises(HygisInputError, match="--crs"):
        gauss_kruger.gk_crs(np.array(eastings), source="f.txt", **kwargs)


# --------------------------------------------------------------------------- 度分秒
def test_dms_and_decimal_mixed_per_row():
    values = [
        "112°34′12.5″",
        "112度34分12.5秒",
        "112:34:12.5",
        "112.570139",
        112.570139,
        "E112°34'12.5\"",
        "",
        None,
    ]
    deg, bad = dms.parse_angles(values)
    assert not bad.any()
    assert np.allclose(deg[:6], 112 + 34 / 60 + 12.5 / 3600, atol=1e-6)
    assert np.isnan(deg[6:]).all()


def test_unreadable_angles_are_reported_by_row():
    col = pd.Series(["26°53′", "26.9", "26度61分", "abc", "26:53:10"])
    with pytest.raises(HygisInputError) as err:
        dms.angle_column(col, column="纬度", source="projects.xlsx", limit=90)
    text = str(err.value)
    assert "projects.xlsx" in text and "'纬度'" in text and "row 3" in text and "row 4" in text
    assert "row 1:" not in text and "row 5" not in text


def test_point_table_in_metres_has_x_as_northing(tmp_path):
    from hygis.io import read_vector

    path = tmp_path / "点位.csv"
    pd.DataFrame(
        {"项目编号": ["P1", "P2"], "X": [2_971_000.0, 2_971_500.0], "Y": [37_556_500.0, 37_557_000.0]}
    ).to_csv(path, index=False, encoding="gbk")
    gdf = read_vector(path)
    assert gdf.crs.to_epsg() == EPSG_PREFIXED
    assert (gdf.geometry.x.tolist(), gdf.geometry.y.tolist()) == (
        [37_556_500.0, 37_557_000.0],
        [2_971_000.0, 2_971_500.0],
    )


def test_vertex_table_naming_each_parcel_on_its_first_row_only(tmp_path):
    path = write_vertex_table(tmp_path / "merged.csv")
    df = pd.read_csv(path, encoding="gbk")
    df.loc[df["地块编号"].duplicated(), "地块编号"] = None  # as merged cells come out of Excel
    df.to_csv(path, index=False, encoding="gbk")
    assert_areas(vertices.read_vertex_table(path))
