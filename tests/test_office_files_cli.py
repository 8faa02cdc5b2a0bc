"""The files a planning office holds, through the CLI: areas right or a clear refusal, inputs untouched.

Each test runs ``hygis`` as a subprocess on a corpus built by code (tests/survey_fixtures.py,
database_fixtures.py, format_fixtures.py) with areas known from the design.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from hygis.io import coordinates

from .database_fixtures import BOXES, CHINESE, CODES, write_database
from .format_fixtures import (
    CIRCLE_AREA,
    write_curved_boundary,
    write_dxf,
    write_kml,
    write_unclosed_shapefile,
)
from .survey_fixtures import AREAS, write_coordinate_file, write_vertex_table

warnings.filterwarnings("ignore", message="Field .* will be written as a Float64")


def tree_hash(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its hash: a run must neither change nor add any."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def intake(tmp_path: Path) -> Path:
    """A folder for a test's input files only, so that its hash says whether a run touched them."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def office(tmp_path):
    """An office's folder: the 三区三线 .gdb (Chinese layer names) and the parcels .txt (GBK)."""
    folder = tmp_path / "收件"
    folder.mkdir()
    gdb = write_database(folder / "三区三线.gdb")
    txt = write_coordinate_file(folder / "报盘坐标.txt")
    out = tmp_path / "out"
    out.mkdir()
    return folder, gdb, txt, out


def by_line(report: Path) -> pd.DataFrame:
    df = pd.read_csv(report, encoding="utf-8-sig", dtype={"project_id": str})
    return df.set_index(["project_id", "control_line"])


def assert_close(got: float, want: float, rel: float = 1e-4) -> None:
    assert abs(got - want) <= rel * abs(want), (got, want)


def test_layers_in_lists_the_database(cli, office):
    _, gdb, _, _ = office
    proc = cli("layers", "--in", str(gdb), check=True)
    for name in ("XZQ", "陆域生态保护红线", "永久基本农田", "城镇开发边界", "规划地类", "指标表"):
        assert name in proc.stdout
    assert "EPSG:4525" in proc.stdout and "Polygon" in proc.stdout


def test_check_parcels_txt_against_the_whole_database(cli, office):
    folder, gdb, txt, out = office
    before = tree_hash(folder)
    proc = cli(
        "check",
        "--projects",
        str(txt),
        "--control-lines",
        str(gdb),
        "--out",
        str(out / "审查.csv"),
        check=True,
    )
    said = proc.stdout + proc.stderr
    for layer in CHINESE.values():
        assert f"taken from layer {layer}" in said
    r = by_line(out / "审查.csv")
    for pid, area in AREAS.items():
        assert_close(r.loc[(pid, "permanent_farmland"), "site_ha"] * 1e4, area)
    assert_close(r.loc[("D1", "ecological_redline"), "overlap_ha"] * 1e4, 200 * 50 - 40 * 10)
    assert_close(r.loc[("D2", "permanent_farmland"), "overlap_ha"] * 1e4, AREAS["D2"])
    assert_close(r.loc[("D3", "urban_development_boundary"), "overlap_ha"] * 1e4, AREAS["D3"])
    assert r.loc[("D3", "ecological_redline"), "overlap_ha"] == 0
    assert tree_hash(folder) == before


def test_code_names_and_a_per_line_flag_that_settles_an_ambiguity(cli, tmp_path):
    gpkg = write_database(tmp_path / "plan.gpkg", names=CODES, extra={"永久基本农田": "permanent_farmland"})
    txt = write_coordinate_file(tmp_path / "p.txt")
    refused = cli(
        "check", "--projects", str(txt), "--control-lines", str(gpkg), "--out", str(tmp_path / "r.csv")
    )
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "HY_YJJBNTBHTB_2023" in refused.stderr and "永久基本农田" in refused.stderr
    assert "--permanent-farmland plan.gpkg:" in refused.stderr
    cli(
        "check",
        "--projects",
        str(txt),
        "--control-lines",
        str(gpkg),
        "--permanent-farmland",
        f"{gpkg}:永久基本农田",
        "--out",
        str(tmp_path / "r.csv"),
        check=True,
    )
    assert_close(
        by_line(tmp_path / "r.csv").loc[("D2", "permanent_farmland"), "overlap_ha"] * 1e4, AREAS["D2"]
    )


def test_a_layer_flag_on_a_multi_layer_file_names_the_syntax(cli, office):
    _, gdb, txt, out = office
    proc = cli("check", "--projects", str(txt), "--permanent-farmland", str(gdb), "--out", str(out / "r.csv"))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    # The example given is the layer named like the line asked for.
    assert f"{gdb.name}:永久基本农田" in proc.stderr and "hygis layers --in" in proc.stderr
    assert "--layer" not in proc.stderr.replace("hygis layers", "")


@pytest.mark.parametrize("name", ["界址点.csv", "界址点.xlsx"])
def test_vertex_tables_as_projects(cli, tmp_path, name):
    table = write_vertex_table(intake(tmp_path) / name)
    before = tree_hash(table.parent)
    cli("check", "--projects", str(table), "--out", str(tmp_path / "r.csv"), check=True)
    assert tree_hash(table.parent) == before
    r = by_line(tmp_path / "r.csv")
    for pid, area in AREAS.items():
        assert_close(r.loc[(pid, "permanent_farmland"), "site_ha"] * 1e4, area)


def test_vertex_table_without_zone_asks_for_crs(cli, tmp_path):
    table = write_vertex_table(tmp_path / "v.csv", prefix=False)
    proc = cli("check", "--projects", str(table), "--out", str(tmp_path / "r.csv"))
    assert (
        proc.returncode != 0
        and "v.csv" in proc.stderr
        and "--crs" in proc.stderr
        and "Traceback" not in proc.stderr
    )
    cli("check", "--projects", str(table), "--crs", "EPSG:4546", "--out", str(tmp_path / "r.csv"), check=True)


def test_dms_coordinates_mixed_with_decimal(cli, tmp_path):
    sheet = pd.DataFrame(
        {
            "项目编号": ["P1", "P2", "P3"],
            "项目名称": ["示例甲", "示例乙", "示例丙"],
            "经度": ["111°34′12.5″", "111.5701", "111度34分30秒"],
            "纬度": ["26°51′", "26.85", "26:51:10"],
        }
    )
    path = tmp_path / "项目.xlsx"
    sheet.to_excel(path, index=False)
    cli("check", "--projects", str(path), "--crs", "EPSG:4490", "--out", str(tmp_path / "r.csv"), check=True)
    r = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    assert not (r["verdict"] == "not located").any()
    sheet.loc[1, "纬度"] = "26.85度北纬x"
    sheet.to_excel(path, index=False)
    proc = cli("check", "--projects", str(path), "--crs", "EPSG:4490", "--out", str(tmp_path / "r2.csv"))
    assert proc.returncode != 0 and "row 2" in proc.stderr and "项目.xlsx" in proc.stderr


@pytest.mark.parametrize("suffix", [".kml", ".kmz"])
def test_kml_placemarks_as_projects(cli, tmp_path, suffix):
    path = write_kml(intake(tmp_path) / f"项目范围{suffix}")
    before = tree_hash(path.parent)
    cli("check", "--projects", str(path), "--out", str(tmp_path / "r.csv"), check=True)
    assert tree_hash(path.parent) == before
    r = by_line(tmp_path / "r.csv")
    assert set(r.index.get_level_values(0)) == {"地块甲", "地块乙"}
    assert_close(r.loc[("地块甲", "permanent_farmland"), "site_ha"] * 1e4, 200 * 100)
    assert_close(r.loc[("地块乙", "permanent_farmland"), "site_ha"] * 1e4, 60 * 50)


def test_dxf_closed_polylines_are_parcels_not_corridors(cli, tmp_path):
    path = write_dxf(intake(tmp_path) / "红线图.dxf")
    before = tree_hash(path.parent)
    proc = cli(
        "check", "--projects", str(path), "--crs", "EPSG:4546", "--out", str(tmp_path / "r.csv"), check=True
    )
    assert "closed polyline(s) read as polygons" in proc.stderr
    assert tree_hash(path.parent) == before
    r = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    sites = sorted(r.drop_duplicates("project_id")["site_ha"].dropna() * 1e4)
    assert any(abs(s - 200 * 100) / 20000 < 1e-4 for s in sites)
    assert any(abs(s - CIRCLE_AREA) / CIRCLE_AREA < 1e-4 for s in sites)


def test_unclosed_ring_and_curves_repaired_and_reported(cli, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shp = write_unclosed_shapefile(inputs / "farmland.shp")
    udb = write_curved_boundary(inputs / "udb.gdb")
    before = tree_hash(inputs)
    out = tmp_path / "r.xlsx"
    txt = write_coordinate_file(tmp_path / "p.txt")
    proc = cli(
        "check",
        "--projects",
        str(txt),
        "--permanent-farmland",
        str(shp),
        "--urban-development-boundary",
        str(udb),
        "--out",
        str(out),
        check=True,
    )
    assert "feature #1 had a ring not closed" in proc.stderr
    warnings_sheet = pd.read_excel(out, sheet_name="警告").astype(str).to_string()
    assert "feature #1 had a ring not closed" in warnings_sheet
    assert tree_hash(inputs) == before


def test_stats_qa_and_map_take_the_same_inputs(cli, office):
    folder, gdb, txt, out = office
    before = tree_hash(folder)
    cli("stats", "control-lines", "--control-lines", str(gdb), "--out", str(out / "s.csv"), check=True)
    s = pd.read_csv(out / "s.csv", encoding="utf-8-sig")
    city = s[s["level"] == "city"].set_index("line")["area_ha"]
    for line, (_, _, w, h) in BOXES.items():
        assert_close(city[line] * 1e4, w * h)
    cli("qa", "control-lines", "--control-lines", str(gdb), "--out", str(out / "q.csv"), check=True)
    q = pd.read_csv(out / "q.csv", encoding="utf-8-sig").set_index(["pair", "id_a"])
    assert_close(
        q.loc[("permanent_farmland × urban_development_boundary", "合计 (total)"), "area_m2"], 10 * 90
    )
    topo = cli("qa", "topology", f"{gdb}:永久基本农田", "--out", str(out / "t.csv"), check=True)
    assert "永久基本农田" in topo.stdout + topo.stderr
    cli(
        "map",
        "--projects",
        str(txt),
        "--control-lines",
        str(gdb),
        "--online",
        "--basemap",
        "none",
        "--no-analysis",
        "--out",
        str(out / "m.html"),
        check=True,
    )
    html = (out / "m.html").read_text(encoding="utf-8")
    assert json.dumps("示例地块一")[1:-1] in html  # the parcel's name, in the map's (ASCII-escaped) data
    assert tree_hash(folder) == before


def test_relocation_written_back_as_coordinate_txt(cli, office):
    _, gdb, txt, out = office
    moved = out / "调整建议.txt"
    cli("relocate", "--projects", str(txt), "--control-lines", str(gdb), "--out", str(moved), check=True)
    back = coordinates.read_coordinate_txt(moved)
    original = coordinates.read_coordinate_txt(txt).set_index("地块编号")
    assert len(back) >= 1
    for row in back.itertuples():
        # A translation: same area and the same number of vertices as the parcel it moves.
        assert_close(row.geometry.area, original.geometry[row.地块编号].area)
    assert not math.isnan(back["地块面积"].iloc[0])


def test_relocate_txt_written_in_the_input_zone_not_the_nearest(cli, office):
    """A parcel surveyed in zone 38 (CM 114°E) but nearer CM 111°E comes back in zone 38, translated:
    not rotated into zone 37, and with the 地块面积 hygis's reports give (ellipsoidal)."""
    from hygis.engine.area import measure

    _, gdb, txt, out = office
    z38 = out.parent / "in38"
    z38.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the parcels lie outside zone 38: said when written
        layer = coordinates.read_coordinate_txt(txt)
        src = coordinates.write_coordinate_txt(layer, z38 / "zone38.txt", crs="EPSG:4526")
    original = coordinates.read_coordinate_txt(src).set_index("地块编号")
    assert original.crs.to_epsg() == 4526
    moved = out / "调整建议38.txt"
    cli("relocate", "--projects", str(src), "--control-lines", str(gdb), "--out", str(moved), check=True)
    back = coordinates.read_coordinate_txt(moved)
    assert back.crs.to_epsg() == 4526
    assert len(back) >= 1
    for row in back.itertuples():
        before = original.geometry[row.地块编号]
        a = shapely.get_coordinates(before)
        b = shapely.get_coordinates(row.geometry)
        shift = b - a
        # A pure translation in the surveyed plane: every vertex moved alike (to the written mm).
        assert np.abs(shift - shift[0]).max() <= 0.002, np.abs(shift - shift[0]).max()
        assert_close(row.geometry.area, before.area, rel=2e-5)  # vertices rounded to the mm
        assert row.地块面积 == pytest.approx(round(measure([row.geometry], back.crs)[0] / 1e4, 4), abs=1e-9)
