"""The 用地预审 figures on a hand-built farmland layer with DLBM and ZLDJ, values computed by hand.

Planar areas in EPSG:4547 so that every figure is a product of the rectangles' sides:

    county A = [0, 1000] × [0, 1000], county B = [1000, 2000] × [0, 1000]   (a user's XZQ layer)
    site S1 = [300, 1300] × [0, 200]; site S2 = [0, 100] × [800, 900] touches nothing
    P1 [0, 600] × [0, 100]       0101 水田   grade 5  → 300 × 100 = 3 ha, in A
    P2 [600, 1200] × [0, 100]    0102 水浇地 grade 7  → 600 × 100 = 6 ha: 4 in A, 2 in B
    P3 [1200, 1400] × [100, 300] 0103 旱地   grade 9  → 100 × 100 = 1 ha, in B
    P4 [1300, 1500] × [0, 100]   0101 only touches S1's edge: not touched
    P6 [700, 800] × [150, 250]   0201 (orchard, no grade) → 100 × 50 = 0.5 ha, in A
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hygis.check.preaudit import county_units, preaudit_line

GK = "EPSG:4547"
X0, Y0 = 460_000.0, 2_975_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def case():
    farmland = gpd.GeoDataFrame(
        {
            "TBBH": ["P1", "P2", "P3", "P4", "P6"],
            "DLBM": ["0101", "0102", "0103", "0101", "0201"],
            "ZLDJ": ["05", "7", "9", "5", None],
        },
        geometry=[
            box(0, 0, 600, 100),
            box(600, 0, 1200, 100),
            box(1200, 100, 1400, 300),
            box(1300, 0, 1500, 100),
            box(700, 150, 800, 250),
        ],
        crs=GK,
    ).to_crs(4326)
    xzq = gpd.GeoDataFrame(
        {"XZQDM": ["430401", "430402"], "XZQMC": ["甲县", "乙县"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=GK,
    )
    projects = pd.DataFrame({"project_id": ["S1", "S2", "S3"], "name": ["一", "二", "三"]})
    sites = np.array([box(300, 0, 1300, 200), box(0, 800, 100, 900), None], dtype=object)
    return projects, sites, farmland, county_units(xzq)


def run(case, touched=(True, False, False)):
    projects, sites, farmland, counties = case
    return preaudit_line(
        projects, sites, np.array(touched), "permanent_farmland", farmland, counties, GK, area="planar"
    )


def test_per_project_split_and_weighted_grade(case):
    got = run(case).per_site
    s1 = got.iloc[0]
    assert s1.overlap_patches == 4
    assert s1.overlap_paddy_ha == pytest.approx(3.0, abs=1e-9)
    assert s1.overlap_irrigated_ha == pytest.approx(6.0, abs=1e-9)
    assert s1.overlap_dry_ha == pytest.approx(1.0, abs=1e-9)
    assert s1.overlap_grade_mean == pytest.approx((3 * 5 + 6 * 7 + 1 * 9) / 10, abs=1e-9)
    s2 = got.iloc[1]  # located, touches nothing
    assert s2.overlap_patches == 0 and s2.overlap_paddy_ha == 0 and np.isnan(s2.overlap_grade_mean)
    assert got.iloc[2].isna().all()  # no site


def test_by_county(case):
    bc = run(case).by_county.set_index("county_name")
    assert list(bc.index) == ["甲县", "乙县"] and list(bc.county_code) == ["430401", "430402"]
    a, b = bc.loc["甲县"], bc.loc["乙县"]
    assert a.overlap_ha == pytest.approx(3 + 4 + 0.5) and b.overlap_ha == pytest.approx(2 + 1)
    assert (a.overlap_patches, b.overlap_patches) == (3, 2)
    assert (a.overlap_paddy_ha, a.overlap_irrigated_ha, a.overlap_dry_ha) == pytest.approx((3, 4, 0))
    assert (b.overlap_paddy_ha, b.overlap_irrigated_ha, b.overlap_dry_ha) == pytest.approx((0, 2, 1))
    assert a.overlap_grade_mean == pytest.approx((3 * 5 + 4 * 7) / 7)
    assert b.overlap_grade_mean == pytest.approx((2 * 7 + 1 * 9) / 3)
    assert a.overlap_mu == pytest.approx(7.5 * 15)
    assert bc.geometry.area.sum() == pytest.approx(105_000.0)


def test_patch_list_is_exactly_the_touched_patches(case):
    d = run(case).detail
    assert list(d.patch_id) == ["P1", "P2", "P3", "P6"]
    assert list(d.land_class) == ["0101", "0102", "0103", "0201"]
    assert list(d.land_class_name[:3]) == ["水田", "水浇地", "旱地"] and pd.isna(d.land_class_name.iloc[3])
    assert list(d.county_name) == ["甲县", "甲县", "乙县", "甲县"]  # P2: 4 ha in 甲县, 2 in 乙县
    np.testing.assert_allclose(d.overlap_ha, [3, 6, 1, 0.5])
    assert list(d.quality_grade[:3]) == [5, 7, 9] and np.isnan(d.quality_grade.iloc[3])


def test_a_layer_without_survey_attributes_gives_empty_columns(case):
    projects, sites, farmland, counties = case
    bare = farmland[["geometry"]]
    got = preaudit_line(
        projects, sites, np.array([True, False, False]), "ecological_redline", bare, counties, GK
    )
    s1 = got.per_site.iloc[0]
    assert s1.overlap_patches == 5 - 1  # P4 only touches
    assert np.isnan(s1.overlap_paddy_ha) and np.isnan(s1.overlap_grade_mean)
    assert got.detail.patch_id.isna().all() and got.by_county.overlap_ha.sum() == pytest.approx(
        10.5, rel=1e-3
    )


def test_numeric_codes_read_as_codes(case):
    projects, sites, farmland, counties = case
    farmland = farmland.assign(DLBM=[101, 102, 103, 101, 201], ZLDJ=[5, 7, 9, 5, np.nan])
    s1 = preaudit_line(
        projects,
        sites,
        np.array([True, False, False]),
        "permanent_farmland",
        farmland,
        counties,
        GK,
        area="planar",
    ).per_site.iloc[0]
    assert (s1.overlap_paddy_ha, s1.overlap_irrigated_ha, s1.overlap_dry_ha) == pytest.approx((3, 6, 1))


def test_the_check_reports_them_in_every_format(case, tmp_path, cli):
    """Through the CLI: the columns in the CSV, by_county and farmland_detail in the .xlsx and .gpkg."""
    projects, sites, farmland, counties = case
    gpd.GeoDataFrame(projects.assign(group="交通基建"), geometry=list(sites[:2]) + [None], crs=GK).iloc[
        :2
    ].to_file(tmp_path / "projects.gpkg")
    farmland.to_file(tmp_path / "jbnt.gpkg")
    counties.rename(columns={"code": "XZQDM", "name": "XZQMC"}).to_file(tmp_path / "xzq.gpkg")
    common = [
        "check",
        "--lang",
        "en",  # the data-interchange names this test reads (Chinese: tests/test_report_zh.py)
        "--projects",
        str(tmp_path / "projects.gpkg"),
        "--permanent-farmland",
        str(tmp_path / "jbnt.gpkg"),
        "--counties",
        str(tmp_path / "xzq.gpkg"),
        "--area",
        "planar",
        "--planar-crs",
        GK,
    ]
    cli(*common, "--out", str(tmp_path / "r.xlsx"), check=True)
    sheets = pd.read_excel(tmp_path / "r.xlsx", sheet_name=None)
    report = sheets["report"]
    s1 = report[(report.project_id == "S1") & (report.control_line == "permanent_farmland")].iloc[0]
    assert s1.overlap_ha == pytest.approx(10.5, abs=1e-6) and s1.overlap_patches == 4
    assert (s1.overlap_paddy_ha, s1.overlap_irrigated_ha, s1.overlap_dry_ha) == pytest.approx(
        (3, 6, 1), abs=1e-6
    )
    assert s1.overlap_grade_mean == pytest.approx(6.6, abs=1e-6)
    bc = sheets["by_county"]
    farm = bc[bc.control_line == "permanent_farmland"].set_index("county_name")
    assert farm.loc["甲县", "overlap_ha"] == pytest.approx(7.5, abs=1e-6)
    assert farm.loc["乙县", "overlap_dry_ha"] == pytest.approx(1.0, abs=1e-6)
    assert sorted(sheets["farmland_detail"]["patch_id"]) == ["P1", "P2", "P3", "P6"]
    cli(*common, "--out", str(tmp_path / "r.gpkg"), check=True)
    detail = gpd.read_file(tmp_path / "r.gpkg", layer="farmland_detail")
    assert sorted(detail["patch_id"]) == ["P1", "P2", "P3", "P6"]
    # A .csv takes the figures from the engine's own (project, patch) areas, here from the farmland's
    # prepared index (DLBM/ZLDJ kept in it) that the runs above left in the cache: the file is not read.
    proc = cli(*common, "--out", str(tmp_path / "r.csv"), check=True)
    assert "prepared index, cached" in proc.stderr
    csv = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    c1 = csv[(csv.project_id == "S1") & (csv.control_line == "permanent_farmland")].iloc[0]
    assert c1.overlap_patches == 4 and c1.overlap_grade_mean == pytest.approx(6.6, abs=1e-9)
    assert (c1.overlap_paddy_ha, c1.overlap_irrigated_ha, c1.overlap_dry_ha) == pytest.approx(
        (3, 6, 1), abs=1e-9
    )
    c2 = csv[(csv.project_id == "S2") & (csv.control_line == "permanent_farmland")].iloc[0]
    assert c2.overlap_patches == 0 and c2.overlap_paddy_ha == 0 and np.isnan(c2.overlap_grade_mean)


def test_a_duplicated_patch_is_counted_once_in_every_mode(case):
    """A farmland patch delivered twice (a topology error) is one piece of land: counted once in the
    patches and the land-class areas, its ground going to the first copy (by row)."""
    import hygis

    projects, sites, farmland, _ = case
    dup = pd.concat([farmland, farmland.iloc[[0]].assign(TBBH="P1b", DLBM="0103", ZLDJ="9")])
    frame = gpd.GeoDataFrame(projects.iloc[:2], geometry=list(sites[:2]), crs=GK).to_crs(4326)
    inputs = hygis.resolve(frame, permanent_farmland=dup)
    rows = {}
    for mode in (True, "figures"):
        report = hygis.check_projects(inputs, preaudit=mode, area="planar", planar_crs=GK)
        rows[mode] = report[(report.project_id == "S1") & (report.control_line == "permanent_farmland")].iloc[
            0
        ]
    for row in rows.values():
        assert row.overlap_patches == 4  # P1, P2, P3, P6: P1b is P1's ground again
        assert row.overlap_dry_ha == pytest.approx(1, abs=1e-6)  # P3 only (P1b's ground is P1's)
    assert report.attrs["by_county"] is None  # "figures": the rows only
