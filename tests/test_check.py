"""The compliance check: semantics, rules, engines and bad input (Python and the CLI as a subprocess)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import hygis
from hygis import gcj02
from hygis.check import categories
from hygis.check.categories import load_rules
from hygis.constants import VERDICTS
from hygis.engine.area import measure
from hygis.engine.overlap import disjoint_layer, overlap
from hygis.errors import HygisInputError

from .check_fixtures import folder_hash, write_fixture


@pytest.fixture
def fixture_paths(tmp_path):
    return write_fixture(tmp_path / "in")


# --------------------------------------------------------------------------- the default plan
def test_default_plan_one_row_per_project_and_line():
    report = hygis.check_projects()
    assert len(report) == 19 * 3
    assert set(report.control_line) == {
        "ecological_redline",
        "permanent_farmland",
        "urban_development_boundary",
    }
    assert report.crs.to_epsg() == 4326
    assert report.attrs["area_crs"].startswith("EPSG:4546")
    assert "ILLUSTRATIVE" in report.attrs["illustrative"]
    # 15 projects have no site: reported, never dropped.
    unlocated = report[report.verdict == "not located"]
    assert unlocated.project_id.nunique() == 15
    assert unlocated.rule.str.contains("no site").all()
    assert set(report.verdict) <= set(VERDICTS)
    for col in (
        "project_id",
        "name",
        "group",
        "site_ha",
        "overlap_ha",
        "overlap_mu",
        "share_of_site",
        "verdict",
        "rule",
        "method",
        "outside_ha",
    ):
        assert col in report.columns
    # The high-speed railway crosses farmland: a transport project → needs approval under art. 35.
    row = report[(report.project_id == "P08") & (report.control_line == "permanent_farmland")].iloc[0]
    assert row.overlap_ha > 0 and row.verdict == "needs approval" and "第三十五条" in row.source
    assert row.method.startswith("corridor 40 m")
    assert row.overlap_mu == pytest.approx(row.overlap_ha * 15)
    assert "schematic" in row.location_note


def test_udb_overlap_is_inside_and_outside_is_judged(fixture_paths):
    report = hygis.check_projects(hygis.resolve(**fixture_paths))
    e = report[(report.project_id == "E") & (report.control_line == "urban_development_boundary")].iloc[0]
    assert e.overlap_ha + e.outside_ha == pytest.approx(e.site_ha)
    assert e.outside_ha > e.overlap_ha > 0
    # Areas are ellipsoidal by default: the part outside, as drawn, measured on the ellipsoid.
    assert measure(gpd.GeoSeries([e.geometry], crs=4326))[0] / 1e4 == pytest.approx(e.outside_ha, rel=1e-6)
    assert e.verdict == "needs approval"  # tourism outside the boundary
    # --area planar: the plane of the stated zone.
    zone = "EPSG:4547"
    planar = hygis.check_projects(hygis.resolve(**fixture_paths), area="planar", planar_crs=zone)
    p = planar[(planar.project_id == "E") & (planar.control_line == "urban_development_boundary")].iloc[0]
    outside_geom_ha = gpd.GeoSeries([p.geometry], crs=4326).to_crs(zone).area.iloc[0] / 1e4
    assert outside_geom_ha == pytest.approx(p.outside_ha, rel=1e-6)
    assert "EPSG:4547" in planar.attrs["area_method"] and "ellipsoidal" in report.attrs["area_method"]
    assert 1e-4 < p.outside_ha / e.outside_ha - 1 < 1e-3  # the zone's scale error at ~112.6°E


# --------------------------------------------------------------------------- semantics of the engine
def test_overlapping_features_count_once_touching_and_holes_are_zero():
    a = shapely.box(0, 0, 10, 10)
    b = shapely.box(5, 0, 15, 10)  # overlaps a
    holed = shapely.Polygon(
        [(20, 0), (40, 0), (40, 20), (20, 20)], holes=[[(25, 5), (35, 5), (35, 15), (25, 15)]]
    )
    layer = disjoint_layer([a, b, holed])
    assert layer.dissolved_groups == 1 and layer.dissolved_features == 2
    sites = [
        shapely.box(0, 0, 15, 10),
        shapely.box(15, 0, 20, 10),
        shapely.box(26, 6, 34, 14),
        None,
        shapely.box(-5, -5, 2, 2),
    ]
    areas, geoms = overlap(np.array(sites, dtype=object), layer, workers=1)
    assert areas.tolist() == [150.0, 0.0, 0.0, 0.0, 4.0]
    assert geoms[1] is None and geoms[2] is None and geoms[3] is None
    assert geoms[0].area == 150.0


def test_long_corridors_are_split_without_changing_the_area():
    patches = [shapely.box(x, y, x + 90, y + 90) for x in range(0, 20_000, 100) for y in range(0, 1000, 100)]
    layer = disjoint_layer(patches)
    line = shapely.LineString(np.c_[np.linspace(0, 20_000, 50), 500 + 300 * np.sin(np.linspace(0, 6, 50))])
    site = line.buffer(40, cap_style="flat")
    areas, _ = overlap(np.array([site], dtype=object), layer, workers=1, geometry=False)
    exact = shapely.intersection(site, shapely.union_all(patches)).area
    assert areas[0] == pytest.approx(exact, rel=1e-9)


def test_local_parallel_and_serial_identical():
    rng = np.random.default_rng(7)
    patches = [shapely.box(x, y, x + 95, y + 95) for x in range(0, 3000, 100) for y in range(0, 3000, 100)]
    layer = disjoint_layer(patches)
    xy = rng.uniform(0, 3000, (300, 2))
    sites = np.array(shapely.buffer(shapely.points(xy), rng.uniform(20, 200, 300)), dtype=object)
    serial, g1 = overlap(sites, layer, workers=1, chunk_size=50)
    parallel, g2 = overlap(sites, layer, workers=2, chunk_size=50)
    assert np.array_equal(serial, parallel)
    assert all((a is None and b is None) or a.equals_exact(b, 0) for a, b in zip(g1, g2))


def test_dask_engine_identical_on_a_local_cluster(fixture_paths):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask_report = hygis.check_projects(hygis.resolve(**fixture_paths), engine="dask", client=client)
    local = hygis.check_projects(hygis.resolve(**fixture_paths))
    pd.testing.assert_series_equal(dask_report.overlap_ha, local.overlap_ha)
    pd.testing.assert_series_equal(dask_report.verdict, local.verdict)
    assert dask_report.attrs["provenance"]["engine"] == "dask"


def test_overlap_geometry_off_same_areas_no_polygons(fixture_paths):
    with_polygons = hygis.check_projects(hygis.resolve(**fixture_paths))
    areas_only = hygis.check_projects(hygis.resolve(**fixture_paths), overlap_geometry=False)
    for column in ("overlap_ha", "overlap_mu", "outside_ha", "share_of_site", "verdict"):
        pd.testing.assert_series_equal(areas_only[column], with_polygons[column])
    assert areas_only.geometry.isna().all()
    drawn = ~(with_polygons.geometry.isna() | with_polygons.geometry.is_empty)
    assert drawn.any()  # the fixture has overlaps (inside the red line, outside the boundary) to draw
    assert set(with_polygons.loc[drawn, "control_line"]) >= {
        "ecological_redline",
        "urban_development_boundary",
    }


def test_site_geometry_off_same_rows_no_sites(fixture_paths):
    full = hygis.check_projects(hygis.resolve(**fixture_paths))
    rows_only = hygis.check_projects(
        hygis.resolve(**fixture_paths), overlap_geometry=False, site_geometry=False
    )
    assert rows_only["site_geometry"].isna().all()
    assert rows_only.crs.equals(full.crs) and full.crs.to_epsg() == 4326
    plain = [c for c in full.columns if c not in ("geometry", "site_geometry")]
    pd.testing.assert_frame_equal(pd.DataFrame(rows_only[plain]), pd.DataFrame(full[plain]))
    # The sites a map draws are in WGS 84, like the overlaps.
    lon_min, lat_min, lon_max, lat_max = gpd.GeoSeries(full["site_geometry"]).total_bounds
    assert 73 < lon_min < lon_max < 136 and 3 < lat_min < lat_max < 54


# --------------------------------------------------------------------------- rules
def test_rules_table_is_data_with_sources():
    rules = load_rules()
    # Derived from the category tables (one way to judge), not a second table that could disagree.
    assert {
        "control_line",
        "group",
        "name_pattern",
        "project_type",
        "condition",
        "verdict",
        "rule",
        "source",
    } <= set(rules.columns)
    assert rules.source.str.len().gt(0).all()
    assert rules.source.str.contains("自然资发〔2022〕142号").any()
    assert rules.source.str.contains("第三十五条").any()


def test_group_and_name_decide_the_type_and_the_rule(fixture_paths):
    report = hygis.check_projects(hygis.resolve(**fixture_paths)).set_index(["project_id", "control_line"])
    assert report.loc[("A", "ecological_redline"), "verdict"] == "conflict"  # industry in the red line
    assert (
        report.loc[("F", "ecological_redline"), "verdict"] == "needs approval"
    )  # railway: linear infrastructure
    assert "142号" in report.loc[("F", "ecological_redline"), "source"]
    # Restoration is no 3号 class, and 166号 forbids turning farmland into forest or grass: conflict.
    assert report.loc[("B", "permanent_farmland"), "verdict"] == "conflict"
    assert report.loc[("B", "permanent_farmland"), "project_type"] == "ecological_restoration"
    assert (
        report.loc[("D", "urban_development_boundary"), "verdict"] == "conflict"
    )  # science park outside the boundary
    assert report.loc[("C", "permanent_farmland"), "verdict"] == "compliant"  # touches only


def test_bad_rule_table_is_refused(tmp_path, monkeypatch):
    table = pd.read_csv(hygis.settings.DATA_DIR / "line_categories.csv", dtype=str, keep_default_na=False)
    table.loc[0, "verdict"] = "maybe"
    table.to_csv(tmp_path / "line_categories.csv", index=False)
    monkeypatch.setattr(categories, "DATA_DIR", tmp_path)
    categories.load_line_categories.cache_clear()
    try:
        with pytest.raises(HygisInputError, match="unknown verdict"):
            categories.load_line_categories()
    finally:
        categories.load_line_categories.cache_clear()


# --------------------------------------------------------------------------- points, lines, mixtures
def test_points_by_containment_or_footprint(tmp_path, fixture_paths):
    pts = gpd.GeoDataFrame(
        {"project_id": ["P", "Q"], "name": ["垃圾焚烧厂", "科技馆"], "group": ["生态环保", "创新平台"]},
        geometry=gpd.GeoSeries.from_xy([660_500, 655_000], [2_975_500, 2_970_000], crs="EPSG:4546")
        .to_crs(4490)
        .values,
        crs=4490,
    )
    fixture = {k: v for k, v in fixture_paths.items() if k != "projects"}
    contained = hygis.check_projects(hygis.resolve(pts, **fixture)).set_index(["project_id", "control_line"])
    assert contained.loc[("P", "ecological_redline"), "point_inside"] is True
    assert (
        contained.loc[("P", "ecological_redline"), "verdict"] == "conflict"
    )  # a waste plant in the red line
    assert contained.loc[("P", "ecological_redline"), "method"] == "point"
    assert np.isnan(contained.loc[("P", "ecological_redline"), "overlap_ha"])
    assert (
        contained.loc[("Q", "urban_development_boundary"), "verdict"] == "conflict"
    )  # outside: a science venue
    disc = hygis.check_projects(hygis.resolve(pts, **fixture), point_radius_m=100).set_index(
        ["project_id", "control_line"]
    )
    assert disc.loc[("P", "ecological_redline"), "method"] == "point footprint 100 m"
    assert disc.loc[("P", "ecological_redline"), "site_ha"] == pytest.approx(np.pi, rel=1e-2)


def test_mixed_geometries_are_each_checked(fixture_paths):
    mixed = gpd.read_file(fixture_paths["projects"])
    mixed.loc[0, "geometry"] = mixed.geometry.iloc[0].centroid  # A becomes a point
    report = hygis.check_projects(
        hygis.resolve(mixed, **{k: v for k, v in fixture_paths.items() if k != "projects"})
    )
    kinds = report.drop_duplicates("project_id").set_index("project_id")["kind"]
    assert kinds["A"] == "point" and kinds["F"] == "line" and kinds["B"] == "polygon"


# --------------------------------------------------------------------------- bad input, in Python
def test_inputs_never_modified(fixture_paths, tmp_path):
    before = folder_hash(tmp_path / "in")
    hygis.check_projects(hygis.resolve(**fixture_paths))
    assert folder_hash(tmp_path / "in") == before


def test_no_ids_duplicates_empty(fixture_paths, tmp_path):
    gdf = gpd.read_file(fixture_paths["projects"])
    with pytest.raises(HygisInputError, match="no project id column"):
        hygis.check_projects(hygis.resolve(gdf.drop(columns="project_id")))
    dup = gdf.assign(project_id=["A", "A", "C", "D", "E", "F"])
    with pytest.raises(HygisInputError, match="unique; repeated: A"):
        hygis.check_projects(hygis.resolve(dup))
    with pytest.raises(HygisInputError, match="no usable geometry|empty"):
        hygis.check_projects(hygis.resolve(gdf.iloc[0:0]))


def test_gcj02_input_is_corrected(fixture_paths, tmp_path):
    gdf = gpd.read_file(fixture_paths["projects"]).to_crs(4326)
    shifted = gdf.set_geometry(gcj02.geometries_wgs84_to_gcj02(gdf.geometry.values))
    path = tmp_path / "amap.geojson"
    shifted.to_file(path)
    fixture = {k: v for k, v in fixture_paths.items() if k != "projects"}
    wrong = hygis.check_projects(hygis.resolve(path, **fixture))
    right = hygis.check_projects(hygis.resolve(path, **fixture, gcj02_input=True))
    good = hygis.check_projects(hygis.resolve(fixture_paths["projects"], **fixture))
    assert not np.allclose(wrong.overlap_ha.fillna(0), good.overlap_ha.fillna(0), rtol=1e-4)
    np.testing.assert_allclose(right.overlap_ha.fillna(0), good.overlap_ha.fillna(0), rtol=2e-3, atol=0.05)


# --------------------------------------------------------------------------- bad input, on the command line
def test_cli_default_data_writes_all_four_formats(cli, tmp_path):
    for suffix in (".csv", ".xlsx", ".gpkg", ".html"):
        out = tmp_path / f"report{suffix}"
        proc = cli("check", "--out", str(out), check=True)
        assert out.exists() and "report:" in proc.stdout
        assert "ILLUSTRATIVE" in proc.stderr
    df = pd.read_csv(tmp_path / "report.csv", encoding="utf-8")
    assert df.columns[0] == "\ufeffproject_id" or df.columns[0] == "project_id"
    assert "南衡高铁（衡阳段）" in set(pd.read_csv(tmp_path / "report.csv", encoding="utf-8-sig").name)
    assert "南衡高铁（衡阳段）" in set(
        pd.read_excel(tmp_path / "report.xlsx", sheet_name="审查结果")["项目名称"]
    )
    # The tables are written without building overlap polygons: same areas as the .gpkg, which has them.
    gpkg = gpd.read_file(tmp_path / "report.gpkg", layer="审查结果")
    assert not (gpkg.geometry.isna() | gpkg.geometry.is_empty).all()
    csv = pd.read_csv(tmp_path / "report.csv", encoding="utf-8-sig")
    np.testing.assert_array_equal(csv["overlap_ha"].to_numpy(), gpkg["重叠面积（公顷）"].to_numpy())
    assert (
        csv["verdict"]
        .map({"conflict": "冲突", "needs approval": "需审批", "compliant": "符合", "not located": "未定位"})
        .tolist()
        == gpkg["审查结论"].tolist()
    )


def test_cli_fixture_with_progress(cli, fixture_paths, tmp_path):
    out = tmp_path / "r.xlsx"
    before = folder_hash(tmp_path / "in")
    args = [
        "check",
        "--projects",
        fixture_paths["projects"],
        "--ecological-redline",
        fixture_paths["ecological_redline"],
        "--permanent-farmland",
        fixture_paths["permanent_farmland"],
        "--urban-development-boundary",
        fixture_paths["urban_development_boundary"],
        "--out",
        out,
    ]
    proc = cli(*map(str, args), check=True)
    assert "permanent_farmland: 6/6 projects" in proc.stderr
    assert folder_hash(tmp_path / "in") == before
    warnings = pd.read_excel(out, sheet_name="警告")["警告"].tolist()
    assert any("make-valid" in w for w in warnings) and any("GB18030" in w for w in warnings)


def _bad(cli, tmp_path, gdf, *extra, name="bad.geojson", crs=True):
    path = tmp_path / name
    if len(gdf) == 0:
        path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    elif crs:
        gdf.to_file(path)
    else:
        gdf.to_file(path.with_suffix(".shp"))
        path.with_suffix(".prj").unlink()
        path = path.with_suffix(".shp")
    proc = cli("check", "--projects", str(path), *extra, "--out", str(tmp_path / "o.csv"))
    assert "Traceback" not in proc.stderr
    return proc


def test_cli_bad_projects_files(cli, fixture_paths, tmp_path):
    gdf = gpd.read_file(fixture_paths["projects"]).to_crs(4326)
    proc = _bad(cli, tmp_path, gdf.drop(columns="project_id"))
    assert (
        proc.returncode == 2 and "no project id column" in proc.stderr and "--project-id-field" in proc.stderr
    )
    proc = _bad(cli, tmp_path, gdf.assign(project_id=["A", "B", "B", "D", "E", "F"]))
    assert proc.returncode == 2 and "repeated: B" in proc.stderr
    proc = _bad(cli, tmp_path, gdf.iloc[:5], name="nocrs.shp", crs=False)
    assert proc.returncode == 2 and "no coordinate reference system" in proc.stderr and "--crs" in proc.stderr
    swapped = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda c: c[:, ::-1]))
    proc = _bad(cli, tmp_path, swapped, name="swapped.geojson")
    assert proc.returncode == 2 and "swapped" in proc.stderr and "112°N" in proc.stderr
    proc = _bad(cli, tmp_path, swapped, "--swap-xy", name="swapped2.geojson")
    assert proc.returncode == 0, proc.stderr
    proc = _bad(cli, tmp_path, gdf.iloc[0:0], name="empty.geojson")
    assert (
        proc.returncode == 2
        and "no features with a usable geometry" in proc.stderr
        and "empty" in proc.stderr
    )


def test_cli_gcj02_flag(cli, fixture_paths, tmp_path):
    out = tmp_path / "g.csv"
    proc = cli("check", "--projects", str(fixture_paths["projects"]), "--gcj02", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    meta = pd.read_csv(tmp_path / "g-meta.csv", encoding="utf-8-sig")
    assert meta.value.str.contains("GCJ-02").any()


def test_cli_bad_output_suffix(cli, tmp_path):
    proc = cli("check", "--out", str(tmp_path / "r.pdf"))
    assert proc.returncode == 2 and ".csv, .xlsx, .gpkg, .html, .docx" in proc.stderr


def test_project_without_coordinates_is_reported_not_dropped(tmp_path):
    import pandas as pd

    import hygis

    path = tmp_path / "projects.csv"
    pd.DataFrame(
        {
            "project_id": ["A", "B"],
            "name": ["有坐标", "缺坐标"],
            "lon": [112.6271, None],
            "lat": [26.8928, None],
        }
    ).to_csv(path, index=False)
    report = hygis.check_projects(hygis.resolve(projects=path, crs="EPSG:4490"))
    b = report[report["project_id"] == "B"]
    assert len(b) == 3 and set(b["verdict"]) == {"not located"}
    assert any("not located" in w for w in report.attrs["warnings"])


def test_a_line_inside_a_collection_gets_its_group_corridor_width():
    """The same 生态环保 line is a 200 m corridor alone and inside a GeometryCollection.

    Inside the collection it used to get the generic 30 m.
    """
    from hygis.check.rules import load_corridor_widths
    from hygis.check.sites import footprints

    line = shapely.LineString([(500_000, 2_970_000), (501_000, 2_970_000)])  # 1 km, EPSG:4546
    far_square = shapely.box(503_000, 2_970_000, 503_010, 2_970_010)  # 100 m², apart from the corridor
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["alone", "inside"],
            "name": ["湘江生态修复", "湘江生态修复"],
            "group": ["生态环保", "生态环保"],
        },
        geometry=[line, shapely.GeometryCollection([line, far_square])],
        crs=4546,
    )
    sites, _kinds, _methods, _notes = footprints(projects, projects.crs, widths=load_corridor_widths())
    assert sites.iloc[0].area == pytest.approx(1_000 * 200)
    assert sites.iloc[1].area == pytest.approx(1_000 * 200 + 100)


def test_overlap_is_the_ellipsoidal_area_in_both_zones():
    """Sites in zone 37 (111.6°E), astride 112.5°E and in zone 38 (113.3°E), against patches drawn in
    zone 38's plane: overlap_ha equals an independent geodesic area of the overlap (pyproj.Geod)."""
    import pyproj

    zone38 = "EPSG:4547"
    to38 = pyproj.Transformer.from_crs(4490, zone38, always_xy=True)
    sites, patches = [], []
    for k, lon in enumerate((111.6, 112.5, 113.3)):
        x, y = to38.transform(lon, 26.9)
        sites.append(shapely.box(x - 600, y - 400, x + 600, y + 400))
        patches += [
            shapely.box(x - 900, y - 100, x + 100, y + 700),
            shapely.Point(x + 400, y - 300).buffer(250),
        ]
    ids = [f"S{k}" for k in range(len(sites))]
    projects = gpd.GeoDataFrame(
        {"project_id": ids, "name": ids, "group": "产业升级"}, geometry=sites, crs=zone38
    )
    farmland = gpd.GeoDataFrame(geometry=patches, crs=zone38)
    report = hygis.check_projects(hygis.resolve(projects.to_crs(4490), permanent_farmland=farmland))
    rows = report[report.control_line == "permanent_farmland"].set_index("project_id")
    geod = pyproj.Geod(ellps="GRS80")
    area_crs = report.attrs["area_crs"].split()[0]
    for sid, site in zip(ids, gpd.GeoSeries(sites, crs=zone38).to_crs(area_crs)):
        piece = shapely.intersection(site, shapely.union_all(farmland.to_crs(area_crs).geometry.to_numpy()))
        lonlat = gpd.GeoSeries([piece], crs=area_crs).to_crs(4490).iloc[0]
        expected_ha = abs(geod.geometry_area_perimeter(lonlat)[0]) / 1e4
        assert rows.loc[sid, "overlap_ha"] == pytest.approx(expected_ha, rel=1e-6)
        assert rows.loc[sid, "site_ha"] == pytest.approx(
            abs(geod.geometry_area_perimeter(gpd.GeoSeries([site], crs=area_crs).to_crs(4490).iloc[0])[0])
            / 1e4,
            rel=1e-6,
        )


def test_a_projects_file_in_the_zone_is_measured_as_read_until_a_site_is_edited(tmp_path):
    """Projects already in the plan's Gauss–Krüger zone skip the WGS 84 round trip (their areas are
    the file's own); a site edited afterwards in Python is the one measured, not the stale file's."""
    import hygis

    sites = [
        shapely.box(620_000, 2_970_000, 621_000, 2_971_000),
        shapely.box(630_000, 2_980_000, 630_500, 2_980_500),
    ]
    gpd.GeoDataFrame({"project_id": ["A", "B"], "name": ["a", "b"]}, geometry=sites, crs=4546).to_file(
        tmp_path / "p.gpkg"
    )
    inputs = hygis.resolve(str(tmp_path / "p.gpkg"))
    first = hygis.check_projects(inputs, area="planar").groupby("project_id").site_ha.first()
    assert first.to_dict() == {"A": 100.0, "B": 25.0}  # exactly the file's squares in EPSG:4546
    moved = shapely.box(112.6, 26.9, 112.61, 26.91)
    inputs.projects.loc[inputs.projects.project_id == "B", "geometry"] = moved
    again = hygis.check_projects(inputs, area="planar").groupby("project_id").site_ha.first()
    expected = gpd.GeoSeries([moved], crs=4326).to_crs(4546).area.iloc[0] / 1e4
    assert again["B"] == pytest.approx(expected, rel=1e-9) and again["B"] > 100
