"""The 土地利用现状 table (``--land-use 三调.gdb:DLTB``) on a hand-built 三调 layer.

Every expected figure is computed here independently: the pieces with shapely, their ellipsoidal
areas with ``pyproj.Geod`` on the CGCS2000 ellipsoid, the 田坎 deduction by hand (area × KCXS to
1203, the rest to the patch's class).
"""

from __future__ import annotations

import docx
import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from PIL import Image
from pyproj import Geod, Transformer

import hygis
from hygis.check.land_use import land_use_summary, land_use_table, project_table
from hygis.check.report import write_report
from hygis.errors import HygisInputError

GK = "EPSG:4546"  # CGCS2000 3° Gauss–Krüger CM 111°E, no zone prefix (Hengyang lies in it)
E0, N0 = 660_000.0, 2_980_000.0
GEOD = Geod(a=6378137.0, f=1 / 298.257222101)  # the CGCS2000 ellipsoid
TO_LONLAT = Transformer.from_crs(GK, "EPSG:4490", always_xy=True)

# Six 100 m patches in two rows: (DLBM, QSXZ, KCXS).
PATCHES = [
    ("0101", "30", 0.08),  # 水田, 集体, 8 % 田坎
    ("0103", "32", 0.12),  # 旱地, 村集体经济组织, 12 % 田坎
    ("0702", "30", 0.0),  # 农村宅基地
    ("0301", "10", 0.0),  # 乔木林地, 国有
    ("1003", "20", 0.0),  # 公路用地, 国有土地使用权
    ("1101", "10", 0.0),  # 河流水面 (未利用地)
]
SITE = shapely.Polygon([(E0 + 50, N0 + 30), (E0 + 260, N0 + 60), (E0 + 240, N0 + 170), (E0 + 40, N0 + 150)])
FARM = shapely.box(E0, N0, E0 + 150, N0 + 60)
CATEGORY = {"0101": "农用地", "0103": "农用地", "1203": "农用地", "0301": "农用地"}
CATEGORY |= {"0702": "建设用地", "1003": "建设用地", "1101": "未利用地"}


def _squares() -> list[shapely.Polygon]:
    return [
        shapely.box(E0 + 100 * (k % 3), N0 + 100 * (k // 3), E0 + 100 * (k % 3 + 1), N0 + 100 * (k // 3 + 1))
        for k in range(6)
    ]


def dltb() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "BSM": [f"T{k}" for k in range(6)],
            "DLBM": [p[0] for p in PATCHES],
            "QSXZ": [p[1] for p in PATCHES],
            "KCXS": [p[2] for p in PATCHES],
        },
        geometry=_squares(),
        crs=GK,
    )


def geod_ha(geom) -> float:
    """The ellipsoidal area of a polygon in GK metres, by pyproj.Geod (independent of hygis)."""
    total = 0.0
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        lon, lat = TO_LONLAT.transform(*np.asarray(poly.exterior.coords).T)
        total += abs(GEOD.polygon_area_perimeter(lon, lat)[0])
    return total / 10_000


def expected() -> pd.DataFrame:
    """(land class, ownership) → ha and 永久基本农田 ha, by hand."""
    rows = []
    for (code, qsxz, k), square in zip(PATCHES, _squares()):
        piece = SITE.intersection(square)
        a = geod_ha(piece)
        own = "state" if qsxz[0] in "12" else "collective"
        farm = geod_ha(piece.intersection(FARM)) if code.startswith("01") else 0.0
        rows.append((code, own, a * (1 - k), farm * (1 - k)))
        if k:
            rows.append(("1203", own, a * k, 0.0))
    frame = pd.DataFrame(rows, columns=["land_class", "ownership", "area_ha", "farm_ha"])
    return frame.groupby(["land_class", "ownership"]).sum()


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    projects = pd.DataFrame({"project_id": ["S1", "S0"], "name": ["示例项目", "无位置"]})
    farm = gpd.GeoDataFrame({"DLBM": ["0101"]}, geometry=[FARM], crs=GK).to_crs(4490)
    return land_use_table(
        projects, np.array([SITE, None], dtype=object), dltb().to_crs(4490), GK, farmland=farm
    )


def test_areas_by_class_and_ownership_match_an_independent_computation(table):
    want = expected()
    got = table.set_index(["land_class", "ownership"])
    assert set(got.index) == set(want.index)
    for key, row in want.iterrows():
        assert got.loc[key, "area_ha"] == pytest.approx(row.area_ha, rel=1e-7)
        assert got.loc[key, "permanent_farmland_ha"] == pytest.approx(row.farm_ha, rel=1e-7, abs=1e-12)
        assert got.loc[key, "category_name"] == CATEGORY[key[0]]
    # 田坎 comes from both farmland patches: collective, 8 % and 12 % of their pieces.
    assert got.loc[("1203", "collective"), "level1_name"] == "其他土地"
    assert set(table.project_id) == {"S1"}  # the project without a site has no rows


def test_summary_adds_up_to_the_site(table):
    s = land_use_summary(table).set_index("project_id").loc["S1"]
    want = expected()
    site = geod_ha(SITE)
    assert s.site_ha == pytest.approx(site, rel=1e-7) and s.total_ha == pytest.approx(site, rel=1e-7)
    assert s.uncovered_ha == pytest.approx(0, abs=1e-6)
    state = want.xs("state", level="ownership").area_ha.sum()
    assert s.state_ha == pytest.approx(state, rel=1e-7)
    assert s.collective_ha == pytest.approx(site - state, rel=1e-7)
    cultivated = want.loc[["0101", "0103"]].area_ha.sum()
    assert s.cultivated_ha == pytest.approx(cultivated, rel=1e-7)
    assert s.permanent_farmland_ha == pytest.approx(want.farm_ha.sum(), rel=1e-7)
    assert s.agricultural_ha == pytest.approx(cultivated + want.loc[["1203", "0301"]].area_ha.sum(), rel=1e-7)
    assert s.unused_ha == pytest.approx(want.loc["1101"].area_ha.sum(), rel=1e-7)
    layout = project_table(table, "S1").set_index("label")
    assert layout.loc["合计", "total_ha"] == pytest.approx(site, rel=1e-7)
    assert layout.loc["耕地（01）", "collective_ha"] == pytest.approx(cultivated, rel=1e-7)
    assert layout.loc["其中：永久基本农田", "total_ha"] == pytest.approx(want.farm_ha.sum(), rel=1e-7)
    assert list(layout.index[:2]) == ["合计", "农用地"]


def test_a_layer_without_dlbm_is_refused_with_the_fix():
    projects = pd.DataFrame({"project_id": ["S1"], "name": ["x"]})
    with pytest.raises(HygisInputError, match="DLTB"):
        land_use_table(projects, np.array([SITE]), dltb().drop(columns="DLBM"), GK)


def test_kcxs_in_percent_is_read_as_percent_with_a_warning():
    projects = pd.DataFrame({"project_id": ["S1"], "name": ["x"]})
    layer = dltb().assign(KCXS=[8.0, 12.0, 0, 0, 0, 0])
    notes: list[str] = []
    with pytest.warns(UserWarning, match="percentages"):
        got = land_use_table(projects, np.array([SITE]), layer, GK, notes=notes)
    want = expected()
    assert got.set_index(["land_class", "ownership"]).loc[("1203", "collective"), "area_ha"] == pytest.approx(
        want.loc[("1203", "collective"), "area_ha"], rel=1e-7
    )


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A projects file, the three lines and the DLTB layer, as a planner's files."""
    folder = tmp_path_factory.mktemp("landuse")
    gpd.GeoDataFrame(
        {"project_id": ["S1"], "name": ["示例产业园"], "group": ["产业升级"]}, geometry=[SITE], crs=GK
    ).to_file(folder / "projects.gpkg")
    far = shapely.box(E0 + 5000, N0 + 5000, E0 + 5100, N0 + 5100)
    gpd.GeoDataFrame({"id": [1]}, geometry=[far], crs=GK).to_file(folder / "stbhhx.gpkg")
    gpd.GeoDataFrame({"DLBM": ["0101"]}, geometry=[FARM], crs=GK).to_file(folder / "jbnt.gpkg")
    gpd.GeoDataFrame(
        {"id": [1]}, geometry=[shapely.box(E0 - 1000, N0 - 1000, E0 + 1000, N0 + 1000)], crs=GK
    ).to_file(folder / "czkfbj.gpkg")
    dltb().to_file(folder / "三调.gpkg", layer="DLTB")
    gpd.GeoDataFrame({"x": [1]}, geometry=[far], crs=GK).to_file(folder / "三调.gpkg", layer="XZQ")
    return folder


def _tiny_png(path) -> bytes:
    Image.new("RGB", (40, 30), (200, 30, 30)).save(path)
    return path.read_bytes()


def _args(folder, out) -> list[str]:
    return [
        "check",
        "--projects",
        str(folder / "projects.gpkg"),
        "--ecological-redline",
        str(folder / "stbhhx.gpkg"),
        "--permanent-farmland",
        str(folder / "jbnt.gpkg"),
        "--urban-development-boundary",
        str(folder / "czkfbj.gpkg"),
        "--land-use",
        f"{folder / '三调.gpkg'}:DLTB",
        "--out",
        str(out),
    ]


def test_cli_land_use_in_the_chinese_workbook_and_the_word_opinion(cli, office, tmp_path):
    xlsx = tmp_path / "r.xlsx"
    cli(*_args(office, xlsx), check=True)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert {"审查结果", "项目汇总", "土地利用现状汇总", "土地利用现状明细", "警告", "数据来源与方法"} <= set(
        book.sheetnames
    )
    rows = list(book["土地利用现状汇总"].values)
    head = dict(zip(rows[0], rows[1]))
    want = expected()
    assert head["项目编号"] == "S1"
    assert head["国有（公顷）"] == pytest.approx(want.xs("state", level="ownership").area_ha.sum(), rel=1e-7)
    assert head["其中耕地（公顷）"] == pytest.approx(want.loc[["0101", "0103"]].area_ha.sum(), rel=1e-7)
    assert head["其中永久基本农田（公顷）"] == pytest.approx(want.farm_ha.sum(), rel=1e-7)
    detail = pd.read_excel(xlsx, sheet_name="土地利用现状明细")
    assert {"三大类", "一级类", "地类编码", "权属性质", "面积（公顷）"} <= set(detail.columns)
    tiankan = detail[(detail["地类编码"] == 1203) | (detail["地类编码"] == "1203")]
    assert tiankan["面积（公顷）"].sum() == pytest.approx(want.loc["1203"].area_ha.sum(), rel=1e-7)

    opinion = tmp_path / "审查意见.docx"
    figures = tmp_path / "figures"
    figures.mkdir()
    png = _tiny_png(figures / "S1.png")  # as `hygis figure project S1` would leave it
    cli(*_args(office, opinion), "--figures", str(figures), check=True)
    doc = docx.Document(str(opinion))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "S1 示例产业园" in text and "审查人" in text
    land = next(t for t in doc.tables if t.rows[0].cells[0].text == "地类")
    labels = [r.cells[0].text.strip("　") for r in land.rows]
    assert labels[:3] == ["地类", "合计", "农用地"] and "其中：永久基本农田" in labels
    assert doc.sections[0].page_width.mm == pytest.approx(210, abs=0.5)
    rid = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert doc.part.related_parts[rid].blob == png  # the figure given, not one drawn here


def test_cli_land_use_layer_without_dlbm_is_a_clear_error(cli, office, tmp_path):
    proc = cli(
        *_args(office, tmp_path / "r.xlsx")[:-4],
        "--land-use",
        f"{office / '三调.gpkg'}:XZQ",
        "--out",
        str(tmp_path / "r.xlsx"),
    )
    assert proc.returncode == 2 and "DLBM" in proc.stderr and "Traceback" not in proc.stderr


def test_land_use_in_the_printable_report_and_beside_the_csv(office, tmp_path):
    inputs = hygis.resolve(
        office / "projects.gpkg",
        ecological_redline=office / "stbhhx.gpkg",
        permanent_farmland=office / "jbnt.gpkg",
        urban_development_boundary=office / "czkfbj.gpkg",
    )
    report = hygis.check_projects(inputs, land_use=gpd.read_file(office / "三调.gpkg", layer="DLTB"))
    zh = write_report(report, tmp_path / "r.html", inputs=inputs).read_text(encoding="utf-8")
    assert "土地利用现状" in zh and "其中：永久基本农田" in zh and "耕地（01）" in zh
    want = expected()
    assert f"{want.farm_ha.sum():,.4f}" in zh  # the 永久基本农田 within the 耕地, to 0.0001 ha
    en = write_report(report, tmp_path / "r_en.html", inputs=inputs, lang="en").read_text(encoding="utf-8")
    assert "Current land use" in en and "state (ha)" in en
    write_report(report, tmp_path / "r.csv")  # the .csv's table is the rows: the land use goes beside it
    beside = pd.read_csv(tmp_path / "r-land_use.csv", encoding="utf-8-sig", dtype={"land_class": str})
    got = beside.groupby(["land_class", "ownership"])["area_ha"].sum()
    for key, row in want.iterrows():
        assert got[key] == pytest.approx(row.area_ha, rel=1e-7)
