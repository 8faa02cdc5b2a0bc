"""Surveyors' parcels: 坐标交换格式 .txt, 界址点 tables, Gauss–Krüger zones, 度分秒."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from hygis.errors import HygisInputError, HygisWarning
from hygis.io import coordinates, dms, gauss_kruger, vertices

from .survey_fixtures import (
    AREAS,
    EPSG_CM,
    EPSG_PREFIXED,
    coordinate_text,
    write_coordinate_file,
    write_vertex_table,
)


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


# --------------------------------------------------------------------------- as offices meet the format
def _lines(**kwargs) -> list[str]:
    return coordinate_text(**kwargs).split("\r\n")


def _write(tmp_path, lines: list[str], name: str = "p.txt", encoding: str = "gbk"):
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def _with_easting(lines: list[str], value: str) -> tuple[list[str], int]:
    i = next(k for k, ln in enumerate(lines) if ln.startswith("J2,1"))
    cells = lines[i].split(",")
    cells[3] = value
    return [*lines[:i], ",".join(cells), *lines[i + 1 :]], i + 1


@pytest.mark.parametrize("value", ["inf", "-inf", "1e309", "nan", "-1e300"])
def test_txt_easting_inf_or_1e309_is_a_clean_error_with_the_line_number(tmp_path, value):
    lines, line_no = _with_easting(_lines(), value)
    with pytest.raises(
        HygisInputError, match=rf"p\.txt: 1 point line.*line {line_no}: 'J2,1,2971100\.000,{value}'"
    ):
        coordinates.read_coordinate_txt(_write(tmp_path, lines))


def test_txt_easting_1e300_is_one_plain_message_without_numpy_warning(tmp_path):
    lines, line_no = _with_easting(_lines(), "1e300")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail the test
        with pytest.raises(HygisInputError) as err:
            coordinates.read_coordinate_txt(_write(tmp_path, lines))
    assert f"line {line_no}" in str(err.value) and "zone numbers" not in str(err.value)
    # The same number reaching the zone logic from a table: one plain message too.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(HygisInputError, match="no Gauss–Krüger easting") as err:
            gauss_kruger.gk_crs(np.array([37_556_500.0, 1e300]), source="t.csv")
    assert "-9223372036854775808" not in str(err.value)


def test_vertex_table_easting_1e300_names_the_row(tmp_path):
    path = write_vertex_table(tmp_path / "v.csv")
    df = pd.read_csv(path, encoding="gbk")
    df.loc[4, "Y坐标(m)"] = 1e300
    df.to_csv(path, index=False, encoding="gbk")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(HygisInputError, match=r"v\.csv: 1 vertex row.*row 5: "):
            vertices.read_vertex_table(path)


def test_txt_header_61_points_60_present_warns_naming_the_parcel(tmp_path):
    from hygis.io import read_vector

    lines = _lines()
    del lines[next(k for k, ln in enumerate(lines) if ln.startswith("J3,1"))]  # D1 loses a point line
    path = _write(tmp_path, lines, "lost.txt")
    with pytest.warns(
        HygisWarning, match=r"lost\.txt: parcel D1 \(line 13\): 界址点数 says 10 but 9 point lines"
    ):
        read_vector(path)
    notes = coordinates.read_coordinate_txt(path).attrs["hygis_notes"]
    assert any("parcel D1 (line 13) states 地块面积 1.9200" in n for n in notes)  # the area says so too


@pytest.mark.parametrize("count", ["x", "-1", "0", "7", "99", ""])
def test_txt_point_count_that_is_no_count_or_wrong_is_never_silently_accepted(tmp_path, count):
    lines = _lines()
    i = next(k for k, ln in enumerate(lines) if ln.endswith(",D2,示例三角地块,面,,,,@"))
    lines[i] = count + lines[i][lines[i].index(",") :]
    gdf = coordinates.read_coordinate_txt(_write(tmp_path, lines))
    assert_areas(gdf)  # the points are used
    said = [n for n in gdf.attrs["hygis_notes"] if "界址点数" in n]
    assert len(said) == 1 and f"parcel D2 (line {i + 1})" in said[0], gdf.attrs["hygis_notes"]


def test_txt_point_count_of_distinct_points_is_accepted(tmp_path):
    lines = _lines()
    i = next(k for k, ln in enumerate(lines) if ln.endswith(",D2,示例三角地块,面,,,,@"))
    lines[i] = "3" + lines[i][lines[i].index(",") :]  # 3 corners, 4 point lines with the closing one
    gdf = coordinates.read_coordinate_txt(_write(tmp_path, lines))
    assert not [n for n in gdf.attrs["hygis_notes"] if "界址点数" in n]


def test_txt_two_rings_with_the_same_ring_number_are_two_rings(tmp_path):
    """1.25 ha of land, not 0.75, and no false "did not repeat its first point"."""
    e, n = 37_556_500.0, 2_971_000.0
    body = []
    for k, (de, dn, w, h) in enumerate([(0, 0, 100, 100), (300, 0, 50, 50)]):
        ring = [(e + de, n + dn), (e + de, n + dn + h), (e + de + w, n + dn + h), (e + de + w, n + dn)]
        body += [f"J{4 * k + j + 1},1,{y:.3f},{x:.3f}" for j, (x, y) in enumerate(ring)]
        body.append(f"J{4 * k + 1},1,{ring[0][1]:.3f},{ring[0][0]:.3f}")
    lines = [*_lines()[:12], f"{len(body)},1.2500,A,两块同圈号,面,,,,@", *body]
    gdf = coordinates.read_coordinate_txt(_write(tmp_path, lines))
    assert gdf.geometry.iloc[0].area == pytest.approx(12_500.0)
    notes = " ".join(gdf.attrs["hygis_notes"])
    assert "did not repeat" not in notes and "ring number 1 of parcel A holds 2 rings" in notes
    assert "地块面积" not in notes


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_utf16_txt_is_read_not_called_without_a_section(tmp_path, encoding):
    from hygis.io import read_vector

    path = _write(tmp_path, _lines(), "unicode.txt", encoding=encoding)
    assert coordinates.is_coordinate_txt(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HygisWarning)
        gdf = read_vector(path)
    assert_areas(gdf)


@pytest.mark.parametrize(
    ("wording", "epsg", "datum"),
    [("1980西安国家大地坐标系", 2361, "Xian 1980"), ("1954年北京坐标系", 2413, "Beijing 1954")],
)
def test_template_wording_xian80_and_beijing54_are_read_with_the_datum_warning(
    tmp_path, wording, epsg, datum
):
    gdf = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "old.txt", datum=wording))
    assert gdf.crs.to_epsg() == epsg and datum in gdf.crs.name
    assert_areas(gdf)
    said = [n for n in gdf.attrs["hygis_notes"] if "七参数" in n]
    assert len(said) == 1 and "CGCS2000" in said[0] and "Official areas" in said[0]


def test_writer_two_part_parcel_is_two_records_and_read_so_by_the_template_reader(tmp_path):
    from . import txt_template_reader as template

    layer = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "in.txt"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HygisWarning)  # 地块面积 ellipsoidal: said, tested below
        out = coordinates.write_coordinate_txt(layer, tmp_path / "out.txt")
    _, records = template.read(out, encoding="gb18030")
    assert [r.number for r in records] == ["D1", "D2", "D3", "D3"]
    assert [len(r.holes) for r in records] == [1, 0, 0, 0]
    by_number = pd.Series([r.area_m2() for r in records]).groupby([r.number for r in records]).sum()
    assert by_number.to_dict() == pytest.approx(AREAS)  # 2 900 m² for D3, not 2 000 − 900
    back = coordinates.read_coordinate_txt(out)
    assert back["地块编号"].tolist() == ["D1", "D2", "D3"]
    assert_areas(back)


def test_writer_in_epsg_4546_writes_zone_prefixed_eastings(tmp_path):
    from . import txt_template_reader as template

    layer = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "in.txt", prefix=False))
    assert layer.crs.to_epsg() == EPSG_CM
    out = coordinates.write_coordinate_txt(layer, tmp_path / "out.txt")
    header, records = template.read(out, encoding="gb18030")  # refuses an easting without its zone
    assert header["带号"] == "37"
    assert records[0].shell[0] == (2_971_000.0, 37_556_500.0)
    assert coordinates.read_coordinate_txt(out).crs.to_epsg() == EPSG_PREFIXED


def test_writer_warns_of_a_parcel_outside_the_zone(tmp_path):
    layer = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "in.txt"))
    with pytest.warns(HygisWarning, match=r"parcel\(s\) D1, D2, D3 lie partly outside CGCS2000 3° zone 38"):
        coordinates.write_coordinate_txt(layer, tmp_path / "z38.txt", crs="EPSG:4526")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HygisWarning)
        coordinates.write_coordinate_txt(layer, tmp_path / "z37.txt", area="planar")


def test_writer_without_a_name_column_writes_default_names(tmp_path):
    from . import txt_template_reader as template

    layer = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "in.txt"))
    layer = layer.drop(columns=["地块名称", "地块编号"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HygisWarning)
        out = coordinates.write_coordinate_txt(layer, tmp_path / "noname.txt")
    _, records = template.read(out, encoding="gb18030")  # "第1个地块的地块名称不存在" otherwise
    assert [(r.number, r.name) for r in records] == [
        ("1", "地块1"),
        ("2", "地块2"),
        ("3", "地块3"),
        ("3", "地块3"),
    ]


def test_written_area_is_ellipsoidal_as_the_reports_and_said_where_it_shows(tmp_path):
    from hygis.engine.area import measure

    layer = coordinates.read_coordinate_txt(write_coordinate_file(tmp_path / "in.txt"))
    with pytest.warns(HygisWarning, match="ellipsoidal area"):
        out = coordinates.write_coordinate_txt(layer, tmp_path / "out.txt")
    back = coordinates.read_coordinate_txt(out)
    official = measure(layer.geometry, layer.crs) / 10_000
    assert np.abs(back["地块面积"].to_numpy() - official).max() <= 0.0001  # two records for D3
    assert back["地块面积"].iloc[0] == pytest.approx(round(official[0], 4))
    planar = coordinates.read_coordinate_txt(
        coordinates.write_coordinate_txt(layer, tmp_path / "pl.txt", area="planar")
    )
    assert planar["地块面积"].tolist() == pytest.approx([1.92, 0.54, 0.29])
