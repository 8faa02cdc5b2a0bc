"""Property-based fuzzing of the survey-file parsers: 坐标交换格式 .txt, 界址点 tables, 度分秒.

A generated valid file round-trips exactly (geometry and areas); a mutated one — a line dropped,
the file cut short, a field replaced by garbage, inf/nan/huge numbers, a wrong 界址点数, a 圈号
repeated, another encoding — gives the right areas, a warning naming the parcel or line, or a
clear :class:`HygisInputError`: never another exception, a hang or a silently different area.
What hygis writes (multi-part, holed, any CGCS2000 Gauss–Krüger CRS EPSG:4491–4554, no name
column) is read right by an independent reader written from the Ministry's template
(:mod:`tests.txt_template_reader`), and the template's own wording is read right by hygis.

Examples are bounded (``max_examples``, a deadline, no example database) so that the module runs
in well under a minute in CI.
"""

from __future__ import annotations

import math
import warnings
from datetime import timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyproj import CRS

from hygis.engine.area import measure
from hygis.errors import HygisInputError, HygisWarning
from hygis.io import coordinates, dms, vertices
from hygis.io.gauss_kruger import GKZone, zone_of

from . import txt_template_reader as template


def fuzz(examples: int) -> settings:
    """Bounded: ``examples`` cases, a deadline per case, no example database left behind."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=10),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


#: Every CGCS2000 Gauss–Krüger CRS: 6° and 3° zones, with and without the zone prefix.
GK_EPSG = list(range(4491, 4555))
#: The wording the template asks surveyors to write, and the datum hygis must read from it.
TEMPLATE_DATUMS = {
    "2000国家大地坐标系": "CGCS2000",
    "1980西安国家大地坐标系": "Xian 1980",
    "1954年北京坐标系": "Beijing 1954",
}
#: What a note says when hygis doubts a parcel (as opposed to how it chose the CRS).
DOUBT = (
    "界址点数",
    "地块面积",
    "did not repeat",
    "holds",
    "same ring twice",
    "read as a hole",
    "further part",
    "records (lines",
)


# --------------------------------------------------------------------------- generated layers
def star(rng_radii: list[int], angles: list[float], cx: int, cy: int) -> list[tuple[int, int]]:
    """A simple polygon's vertices in millimetres: star-shaped around (cx, cy), angles increasing."""
    return [
        (cx + round(r * math.cos(a)), cy + round(r * math.sin(a)))
        for r, a in zip(rng_radii, angles, strict=True)
    ]


@st.composite
def parts_strategy(draw, cx: int, cy: int) -> shapely.Polygon:
    """One part: a star-shaped shell (4–8 vertices, 5–400 m) and at times a hole well inside it."""
    k = draw(st.integers(4, 8))
    # Vertices spread round the centre (gaps under 2π·1.4/k), so the shell is simple and a hole of a
    # quarter of its smallest radius lies inside it.
    cuts = draw(st.lists(st.floats(0.3, 0.7), min_size=k, max_size=k))
    angles = [2 * math.pi * (i + c) / k for i, c in enumerate(cuts)]
    base = draw(st.integers(10_000, 400_000))  # mm
    radii = [base + draw(st.integers(0, base // 2)) for _ in range(k)]
    shell = star(radii, angles, cx, cy)
    if draw(st.booleans()):
        shell = shell[::-1]
    holes = []
    if draw(st.booleans()):
        inner = max(base // 4, 2_000)
        h = star([inner] * 4, [0.3, 1.9, 3.4, 5.0], cx, cy)
        holes.append(h if draw(st.booleans()) else h[::-1])
    return shapely.Polygon(np.array(shell) / 1000, [np.array(h) / 1000 for h in holes])


@st.composite
def layers(draw, epsg: int | None = None) -> gpd.GeoDataFrame:
    """1–4 parcels (1–3 parts each, some holed) in a CGCS2000 Gauss–Krüger CRS, coordinates on a mm grid."""
    code = epsg if epsg is not None else draw(st.sampled_from(GK_EPSG))
    zone = zone_of(CRS.from_epsg(code))
    assert zone is not None
    # Within ±80 km of the central meridian, at Chinese northings; parts in 2 km cells, disjoint.
    e0 = 500_000_000 + draw(st.integers(-80_000, 80_000)) * 1000
    n0 = draw(st.integers(2_300_000, 4_500_000)) * 1000
    if zone.prefixed:
        e0 += zone.zone * 1_000_000_000
    n = draw(st.integers(1, 4))
    geoms, cell = [], 0
    for _ in range(n):
        parts = []
        for _ in range(draw(st.integers(1, 3))):
            parts.append(draw(parts_strategy(e0 + (cell % 5) * 2_000_000, n0 + (cell // 5) * 2_000_000)))
            cell += 1
        geoms.append(parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts))
    columns: dict[str, list] = {}
    if draw(st.booleans()):
        columns["地块编号"] = [f"D{i + 1}" for i in range(n)]
    if draw(st.booleans()):
        columns["地块名称"] = [
            draw(st.sampled_from(["一号地块", "园区,东片", "地块@2", ""])) for _ in range(n)
        ]
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=code)


def in_written_zone(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, int]:
    """The layer's geometries as the writer must write them: the zone prefix added, nothing else."""
    zone = zone_of(CRS(gdf.crs))
    assert zone is not None
    prefixed = GKZone(zone.datum, zone.width, zone.zone, True)
    geoms = gdf.geometry.to_numpy()
    if not zone.prefixed:
        geoms = shapely.transform(geoms, lambda xy: xy + [zone.zone * 1e6, 0.0])
    epsg = prefixed.crs().to_epsg()
    assert epsg is not None
    return geoms, epsg


def write_quietly(gdf, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HygisWarning)
        return coordinates.write_coordinate_txt(gdf, path, **kwargs)


# --------------------------------------------------------------------------- what hygis writes
@fuzz(50)
@given(gdf=layers())
def test_what_hygis_writes_is_read_right_by_the_template_reader(tmp_path_factory, gdf):
    path = write_quietly(gdf, tmp_path_factory.mktemp("w") / "out.txt")
    header, records = template.read(path, encoding="gb18030")
    expected, epsg = in_written_zone(gdf)
    zone = zone_of(CRS.from_epsg(epsg))
    assert zone is not None
    assert header["带号"] == str(zone.zone) and header["几度分带"] == str(zone.width)
    # One record per polygon part, its shell ring 1, its holes 2 and up.
    parts, of = shapely.get_parts(expected, return_index=True)
    assert len(records) == len(parts)
    for rec, part, i in zip(records, parts, of):
        assert len(rec.holes) == len(part.interiors)
        assert math.isclose(rec.area_m2(), part.area, rel_tol=1e-9)
        assert rec.name  # a default name where the layer has none
        if "地块编号" in gdf:
            assert rec.number == gdf["地块编号"].iloc[i]
        # 地块面积 is the ellipsoidal area, to the 4 decimals written.
        ellipsoidal = measure([part], CRS.from_epsg(epsg))[0] / 1e4
        assert abs(rec.area_ha - ellipsoidal) <= 0.00005 + 1e-9
    # Summed by 地块编号, the records give each parcel's area.
    by_number = pd.Series([r.area_m2() for r in records]).groupby([r.number for r in records]).sum()
    if "地块编号" in gdf:
        for number, geom in zip(gdf["地块编号"], expected):
            assert math.isclose(by_number[number], geom.area, rel_tol=1e-9)
    assert math.isclose(by_number.sum(), shapely.area(expected).sum(), rel_tol=1e-9)


@fuzz(40)
@given(gdf=layers())
def test_what_hygis_writes_reads_back_exactly(tmp_path_factory, gdf):
    path = write_quietly(gdf, tmp_path_factory.mktemp("w") / "out.txt")
    back = coordinates.read_coordinate_txt(path)
    expected, epsg = in_written_zone(gdf)
    assert back.crs.to_epsg() == epsg
    assert len(back) == len(gdf)
    tolerance = 0.0 if zone_of(CRS(gdf.crs)).prefixed else 1e-6  # type: ignore[union-attr]
    assert shapely.equals_exact(back.geometry.to_numpy(), expected, tolerance).all()
    ellipsoidal = measure(expected, CRS.from_epsg(epsg)) / 1e4
    n_parts = shapely.get_num_geometries(expected)
    assert np.all(np.abs(back["地块面积"].to_numpy() - ellipsoidal) <= 0.00005 * n_parts + 1e-9)
    doubts = [n for n in back.attrs["hygis_notes"] if any(d in n for d in DOUBT) and "records" not in n]
    assert doubts == []


# --------------------------------------------------------------------------- generated files
@st.composite
def template_files(draw) -> tuple[str, gpd.GeoDataFrame, str]:
    """A valid file as a surveyor's software writes it from the template, the layer it holds, the datum.

    Written here, not by hygis: parts as their own records (same 地块编号), holes 2 and up, the
    closing point repeated, 界址点数 counting lines or distinct points, the template's wording.
    """
    wording = draw(st.sampled_from(list(TEMPLATE_DATUMS)))
    width = draw(st.sampled_from([3, 6]))
    zone = draw(st.integers(25, 45) if width == 3 else st.integers(13, 23))
    epsg = GKZone("CGCS2000", width, zone, True).crs().to_epsg()
    gdf = draw(layers(epsg=epsg))
    gdf["地块编号"] = [f"{i + 1}" for i in range(len(gdf))]
    lines = [
        "[属性描述]",
        "格式版本号=1.01",
        "数据产生单位=测试测绘院",
        "数据产生日期=2025-6-15",
        f"坐标系={wording}",
        f"几度分带={width}",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={zone}",
        f"精度={draw(st.sampled_from(['0.001', '3', '0.01']))}",
        "转换参数=,,,,,,",
        "[地块坐标]",
    ]
    count_distinct = draw(st.booleans())
    for i, geom in enumerate(gdf.geometry):
        for part in shapely.get_parts(geom):
            body, k = [], 0
            for r, ring in enumerate([part.exterior, *part.interiors], start=1):
                pts = list(ring.coords)
                first = k + 1
                for x, y in pts[:-1]:
                    k += 1
                    body.append(f"J{k},{r},{y:.3f},{x:.3f}")
                body.append(f"J{first},{r},{pts[0][1]:.3f},{pts[0][0]:.3f}")
            count = k if count_distinct else len(body)
            area = shapely.area(part) / 1e4
            lines.append(f"{count},{area:.4f},{i + 1},地块{i + 1},面,,,,@")
            lines += body
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    return eol.join(lines) + eol, gdf, TEMPLATE_DATUMS[wording]


def parts_of(geoms) -> list[bytes]:
    """The polygons of a layer, part by part, as comparable values (normalised WKB), sorted."""
    parts = shapely.normalize(shapely.get_parts(np.asarray(geoms, dtype=object)))
    return sorted(shapely.to_wkb(parts).tolist())


def read_text(tmp_path_factory, text: str | bytes, encoding: str = "gbk") -> gpd.GeoDataFrame:
    path = tmp_path_factory.mktemp("f") / "地块坐标.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return coordinates.read_coordinate_txt(path)


@fuzz(30)
@given(case=template_files(), encoding=st.sampled_from(["gbk", "utf-8", "utf-8-sig", "utf-16", "utf-16-le"]))
def test_a_generated_valid_file_round_trips_exactly(tmp_path_factory, case, encoding):
    text, gdf, datum = case
    first = read_text(tmp_path_factory, text, encoding)
    zone = zone_of(first.crs)
    assert zone is not None and zone.datum == datum and zone.prefixed
    assert first["地块编号"].tolist() == gdf["地块编号"].tolist()
    assert shapely.equals_exact(first.geometry.to_numpy(), gdf.geometry.to_numpy(), 0).all()
    if datum != "CGCS2000":
        assert any("七参数" in n for n in first.attrs["hygis_notes"])
    again_path = write_quietly(first, tmp_path_factory.mktemp("r") / "again.txt", area="planar")
    again = coordinates.read_coordinate_txt(again_path)
    assert again.crs.equals(first.crs)
    assert shapely.equals_exact(again.geometry.to_numpy(), first.geometry.to_numpy(), 0).all()
    assert np.allclose(again["地块面积"], first["地块面积"], atol=0.00005 * 3 + 1e-9)
    header, records = template.read(again_path, encoding="gb18030")
    assert header["坐标系"] in TEMPLATE_DATUMS and TEMPLATE_DATUMS[header["坐标系"]] == datum


# --------------------------------------------------------------------------- mutated files
def mutate(draw, text: str) -> tuple[str | bytes, str]:
    """One mutation of a valid file, and its kind."""
    lines = text.split("\n")
    body = [i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("[")]
    points = [i for i in body if lines[i].startswith("J")]
    heads = [i for i in body if lines[i].rstrip().endswith("@")]
    kind = draw(
        st.sampled_from(
            [
                "drop",
                "truncate",
                "garbage",
                "number",
                "count",
                "ring",
                "copy_ring",
                "encoding",
                "blank",
                "header",
            ]
        )
    )
    if kind == "drop":
        del lines[draw(st.sampled_from(body))]
    elif kind == "truncate":
        cut = draw(st.integers(0, len(text) - 1))
        return text[:cut], kind
    elif kind == "garbage":
        i = draw(st.sampled_from(body))
        cells = lines[i].rstrip("\r").split(",")
        j = draw(st.integers(0, len(cells) - 1))
        cells[j] = draw(
            st.sampled_from(["", "abc", "１２３", "--", "0x1F", "1,5", "Ｊ", "@", "=", "[地块坐标]"])
        )
        lines[i] = ",".join(cells)
    elif kind == "number":
        i = draw(st.sampled_from(points))
        cells = lines[i].rstrip("\r").split(",")
        j = draw(st.sampled_from([1, 2, 3]))
        cells[j] = draw(
            st.sampled_from(
                ["inf", "-inf", "nan", "1e309", "1e300", "-1e300", "9e99", "1e8", "-5", "0", "1.5"]
            )
        )
        lines[i] = ",".join(cells)
    elif kind == "count":
        i = draw(st.sampled_from(heads))
        cells = lines[i].split(",")
        cells[0] = draw(st.sampled_from(["x", "-1", "0", "7", "99", "1e9", "", "4.5"]))
        lines[i] = ",".join(cells)
    elif kind == "ring":
        # A ring number repeated: a hole or a later ring renumbered 1, or a shell renumbered 2.
        i = draw(st.sampled_from(points))
        r = lines[i].split(",")[1]
        new = draw(st.sampled_from(["1", "2", "3"]))
        k = i
        while k < len(lines) and lines[k].startswith("J") and lines[k].split(",")[1] == r:
            cells = lines[k].split(",")
            cells[1] = new
            lines[k] = ",".join(cells)
            k += 1
    elif kind == "copy_ring":
        i = draw(st.sampled_from(points))
        r = lines[i].split(",")[1]
        a = i
        while a - 1 >= 0 and lines[a - 1].startswith("J") and lines[a - 1].split(",")[1] == r:
            a -= 1
        b = i
        while b + 1 < len(lines) and lines[b + 1].startswith("J") and lines[b + 1].split(",")[1] == r:
            b += 1
        lines[b + 1 : b + 1] = lines[a : b + 1]
    elif kind == "header":
        i = draw(st.sampled_from([k for k, ln in enumerate(lines) if "=" in ln]))
        value = draw(
            st.sampled_from(["", "abc", "3.5", "1e400", "-3", "99", "0", "111", "１", "2000", "WGS 84"])
        )
        lines[i] = lines[i][: lines[i].index("=") + 1] + value
    elif kind == "blank":
        # Blank lines, spaces and full-width commas, as hand-edited files have them: nothing changes.
        i = draw(st.sampled_from(body))
        lines[i] = "  " + lines[i].replace(",", "，", 1) + " \t"
        lines.insert(i, "")
    else:
        enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030"]))
        return "\n".join(lines).encode(enc), kind
    return "\n".join(lines), kind


@fuzz(120)
@given(case=template_files(), data=st.data())
def test_a_mutated_file_gives_the_right_areas_a_warning_or_a_clear_refusal(tmp_path_factory, case, data):
    text, gdf, _ = case
    mutated, kind = mutate(data.draw, text)
    try:
        got = read_text(tmp_path_factory, mutated)
    except HygisInputError as err:
        assert "地块坐标.txt" in str(err)  # the file named
        assert kind not in ("encoding", "blank"), str(err)
        return
    if kind in ("encoding", "blank"):
        assert got["地块编号"].tolist() == gdf["地块编号"].tolist()
        assert shapely.equals_exact(got.geometry.to_numpy(), gdf.geometry.to_numpy(), 0).all()
        return
    # The same land, parcel by parcel or regrouped (a 地块编号 lost or changed), needs no word.
    if parts_of(got.geometry) == parts_of(gdf.geometry):
        return
    original = dict(zip(gdf["地块编号"], shapely.area(gdf.geometry.to_numpy())))
    read = dict(zip(got["地块编号"], shapely.area(got.geometry.to_numpy())))
    different = [k for k, a in original.items() if not math.isclose(read.get(k, -1.0), a, rel_tol=1e-9)]
    if different or set(read) - set(original):
        doubts = [n for n in got.attrs["hygis_notes"] if any(d in n for d in DOUBT)]
        assert doubts, (kind, different, got.attrs["hygis_notes"])
        assert all("parcel" in n or "line" in n for n in doubts), doubts


@fuzz(40)
@given(case=template_files(), drop=st.data())
def test_a_lost_point_line_is_never_silent(tmp_path_factory, case, drop):
    """The issue's case: the header says 61 points and 60 are present."""
    text, gdf, _ = case
    lines = text.split("\n")
    points = [i for i, ln in enumerate(lines) if ln.startswith("J")]
    i = drop.draw(st.sampled_from(points))
    del lines[i]
    try:
        got = read_text(tmp_path_factory, "\n".join(lines))
    except HygisInputError:
        return
    doubts = [n for n in got.attrs["hygis_notes"] if any(d in n for d in DOUBT)]
    assert doubts, got.attrs["hygis_notes"]
    if parts_of(got.geometry) != parts_of(gdf.geometry):  # the drawn land changed: the count or area says so
        assert any("界址点数" in n or "地块面积" in n for n in doubts), doubts


# --------------------------------------------------------------------------- 界址点 tables
def vertex_rows(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A 界址点成果表 of the layer: one row per vertex, X the northing, Y the easting, 圈号 per part."""
    rows = []
    for i, geom in enumerate(gdf.geometry):
        for part in shapely.get_parts(geom):
            for r, ring in enumerate([part.exterior, *part.interiors], start=1):
                coords = list(ring.coords)
                for k, (x, y) in enumerate(coords):  # the closing point repeats J1
                    name = f"J{k % (len(coords) - 1) + 1}"
                    rows.append({"地块编号": f"P{i + 1}", "点号": name, "圈号": r, "X": y, "Y": x})
    return pd.DataFrame(rows)


@fuzz(40)
@given(gdf=layers(), encoding=st.sampled_from(["gbk", "utf-8-sig"]), data=st.data())
def test_vertex_table_round_trips_and_bad_cells_name_the_row(tmp_path_factory, gdf, encoding, data):
    # Eastings with the zone number tell the zone; without it the user gives the CRS.
    crs = None if zone_of(CRS(gdf.crs)).prefixed else gdf.crs  # type: ignore[union-attr]
    table = vertex_rows(gdf)
    path = tmp_path_factory.mktemp("t") / "界址点.csv"
    table.to_csv(path, index=False, encoding=encoding, float_format="%.3f")
    got = vertices.read_vertex_table(path, crs=crs)
    assert got.crs.equals(CRS(gdf.crs))
    assert shapely.equals_exact(got.geometry.to_numpy(), gdf.geometry.to_numpy(), 0).all()
    # One cell spoilt: refused, naming its row (row 1 = the first under the header).
    row = data.draw(st.integers(0, len(table) - 1))
    col = data.draw(st.sampled_from(["X", "Y", "圈号"]))
    bad = data.draw(st.sampled_from(["inf", "-inf", "nan", "1e309", "1e300", "abc", "-1", "1.5"]))
    assume(not (col != "圈号" and bad in ("-1", "1.5")))
    spoilt = table.astype(object)
    spoilt.loc[row, col] = bad
    spoilt.to_csv(path, index=False, encoding=encoding)
    with pytest.raises(HygisInputError, match=rf"row {row + 1}\b"):
        vertices.read_vertex_table(path, crs=crs)


@fuzz(40)
@given(gdf=layers(), data=st.data())
def test_vertex_table_with_a_row_lost_warns_or_refuses(tmp_path_factory, gdf, data):
    """A table has no 界址点数: a lost row shows in its 点号 (J3 then J5) or an unclosed ring.

    Not tested, because nothing in a table can tell: the last point before the closing one
    (J1 J2 J3 [J4] J1) — the README says so.
    """
    crs = None if zone_of(CRS(gdf.crs)).prefixed else gdf.crs  # type: ignore[union-attr]
    table = vertex_rows(gdf)
    closing = table["点号"].eq("J1") & table["点号"].shift().ne("J1") & table.index.to_series().gt(0)
    closing &= table["地块编号"].eq(table["地块编号"].shift()) & table["圈号"].eq(table["圈号"].shift())
    silent = closing.shift(-1, fill_value=False)  # the row before a closing row
    row = data.draw(st.sampled_from(list(np.flatnonzero(~silent.to_numpy()))))
    path = tmp_path_factory.mktemp("t") / "界址点.csv"
    table.drop(index=row).to_csv(path, index=False, encoding="gbk", float_format="%.3f")
    try:
        got = vertices.read_vertex_table(path, crs=crs)
    except HygisInputError as err:
        assert "界址点.csv" in str(err)
        return
    if parts_of(got.geometry) == parts_of(gdf.geometry):
        return
    said = [n for n in got.attrs["hygis_notes"] if "jump" in n or "did not repeat" in n]
    assert said and any("row" in n or "parcel" in n for n in said), got.attrs["hygis_notes"]


# --------------------------------------------------------------------------- 度分秒
@st.composite
def angles(draw) -> tuple[str, float]:
    d = draw(st.integers(0, 179))
    m = draw(st.integers(0, 59))
    s = draw(st.integers(0, 5999)) / 100
    style = draw(
        st.sampled_from(["{d}°{m}′{s}″", "{d}度{m}分{s}秒", "{d}:{m}:{s}", "{d}°{m}'{s}\"", "{d} {m} {s}"])
    )
    hemi = draw(st.sampled_from(["", "E", "N", "东经", "W", "S"]))
    text = style.format(d=d, m=m, s=f"{s:g}")
    text = f"{hemi}{text}" if hemi in ("东经",) or draw(st.booleans()) else f"{text}{hemi}"
    sign = -1.0 if hemi in ("W", "S") else 1.0
    return text, sign * (d + m / 60 + s / 3600)


@fuzz(100)
@given(cases=st.lists(angles(), min_size=1, max_size=20))
def test_dms_written_any_way_reads_to_the_same_degrees(cases):
    texts, want = zip(*cases)
    deg, bad = dms.parse_angles(list(texts))
    assert not bad.any(), [t for t, b in zip(texts, bad) if b]
    assert np.allclose(deg, want, atol=1e-9, rtol=0)


@fuzz(100)
@given(values=st.lists(st.one_of(st.text(max_size=12), st.floats(allow_nan=True), st.none()), max_size=20))
def test_any_text_in_an_angle_column_is_read_or_named_never_a_traceback(values):
    deg, bad = dms.parse_angles(values)
    assert len(deg) == len(values) and len(bad) == len(values)
    assert np.all(np.isfinite(deg[~bad]) | np.isnan(deg[~bad]))  # NaN only where blank
    col = pd.Series(values, dtype=object)
    try:
        dms.angle_column(col, column="经度", source="p.xlsx", limit=180)
    except HygisInputError as err:
        assert "p.xlsx" in str(err) and "row " in str(err)


@fuzz(50)
@given(d=st.integers(0, 89), m=st.integers(60, 999), s=st.integers(0, 59))
def test_minutes_of_60_or_more_are_refused(d, m, s):
    deg, bad = dms.parse_angles([f"{d}°{m}′{s}″"])
    assert bad[0] and np.isnan(deg[0])
