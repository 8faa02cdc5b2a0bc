"""Reading planners' files: each bad input gets a clear message or a correct result."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from hygis import io
from hygis.errors import HygisInputError, HygisOutputError, HygisWarning

from .conftest import HENGYANG, square

NAMES = ["智造谷一期", "衡州大道改造", "东洲岛文创"]


def write_gbk_shapefile_without_cpg(gdf: gpd.GeoDataFrame, path) -> None:
    """Write as Chinese GIS software often does: GBK attributes, no .cpg, no code page byte."""
    gdf.to_file(path, driver="ESRI Shapefile", encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    raw[29] = 0  # language driver id: unknown, so GDAL cannot tell the encoding by itself
    dbf.write_bytes(bytes(raw))


def test_gbk_shapefile_without_cpg_reads_chinese(tmp_path, projects_gdf):
    polys = projects_gdf.iloc[[0]].copy()
    path = tmp_path / "项目.shp"
    write_gbk_shapefile_without_cpg(polys, path)
    naive = gpd.read_file(path, engine="pyogrio")
    assert naive["name"].iloc[0] != NAMES[0]  # without detection the text is garbled
    with pytest.warns(HygisWarning, match=r"decoded as GB18030"):
        gdf = io.read_vector(path)
    assert gdf["name"].iloc[0] == NAMES[0]
    assert any("GB18030" in note for note in gdf.attrs[io.NOTES_ATTR])


def test_gbk_shapefile_inside_zip(tmp_path, projects_gdf):
    folder = tmp_path / "shp"
    folder.mkdir()
    write_gbk_shapefile_without_cpg(projects_gdf.iloc[[0]], folder / "farmland.shp")
    archive = tmp_path / "farmland.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    with pytest.warns(HygisWarning, match=r"decoded as GB18030"):
        gdf = io.read_vector(archive)
    assert gdf["name"].iloc[0] == NAMES[0]


def test_no_crs_is_an_error_that_says_how_to_fix(tmp_path, projects_gdf):
    path = tmp_path / "noprj.shp"
    projects_gdf.iloc[[0]].to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    with pytest.raises(HygisInputError) as err:
        io.read_vector(path)
    text = str(err.value)
    assert "noprj.shp" in text and "--crs" in text and "EPSG:4490" in text
    gdf = io.read_vector(path, crs="EPSG:4490")
    assert gdf.crs.to_epsg() == 4490


def test_no_crs_gauss_kruger_hint_names_the_zone(tmp_path):
    # A CGCS2000 3° zone 38 file (eastings with the zone prefix), .prj lost.
    pt = gpd.GeoSeries([shapely.Point(112.6, 26.9)], crs=4490).to_crs(4526).iloc[0]
    path = tmp_path / "zone38.gpkg"
    # The file is written without a CRS on purpose; pyogrio warns about that, which is the point.
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame({"project_id": ["x"]}, geometry=[pt.buffer(100)], crs=None).to_file(
            path, engine="pyogrio"
        )
    with pytest.raises(HygisInputError, match="EPSG:4526"):
        io.read_vector(path)


def test_swapped_lat_lon_is_caught(tmp_path):
    lon, lat = HENGYANG
    df = pd.DataFrame(
        {"project_id": ["P1"], "lon": [lat], "lat": [lon]}
    )  # columns filled the wrong way round
    path = tmp_path / "swapped.csv"
    df.to_csv(path, index=False)
    with pytest.raises(HygisInputError) as err:
        io.read_vector(path, crs="EPSG:4490")
    assert "swapped" in str(err.value) and "112°N" in str(err.value) and "--swap-xy" in str(err.value)
    with pytest.warns(HygisWarning, match=r"x and y swapped as asked"):
        fixed = io.read_vector(path, crs="EPSG:4490", swap_xy=True)
    assert fixed.geometry.iloc[0].x == pytest.approx(lon)


def test_degrees_declared_but_metres_given(tmp_path):
    path = tmp_path / "wrongcrs.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(38_400_000, 2_980_000)], crs=4326).to_file(path)
    with pytest.raises(HygisInputError, match="metres"):
        io.read_vector(path)


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    lon, lat = HENGYANG
    bowtie = shapely.Polygon([(lon, lat), (lon + 0.01, lat + 0.01), (lon + 0.01, lat), (lon, lat + 0.01)])
    assert not bowtie.is_valid
    path = tmp_path / "bowtie.gpkg"
    gpd.GeoDataFrame({"project_id": ["B"]}, geometry=[bowtie], crs=4490).to_file(path, engine="pyogrio")
    with pytest.warns(HygisWarning, match=r"Self-intersection"):
        gdf = io.read_vector(path, geometry="polygon", id_field="project_id")
    assert gdf.is_valid.all()
    assert gdf.geom_type.iloc[0] == "MultiPolygon"  # split at the self-intersection, as ST_MakeValid does
    notes = " ".join(gdf.attrs[io.NOTES_ATTR])
    assert "project_id=B" in notes and "Self-intersection" in notes


def test_empty_geometries_dropped_and_reported(tmp_path, projects_gdf):
    gdf = projects_gdf.copy()
    gdf.loc[1, "geometry"] = None
    gdf.loc[2, "geometry"] = shapely.Polygon()
    path = tmp_path / "empties.gpkg"
    gdf.to_file(path, engine="pyogrio")
    with pytest.warns(HygisWarning, match=r"dropped 2 feature"):
        out = io.read_vector(path, id_field="project_id")
    assert list(out["project_id"]) == ["A1"]
    assert "dropped 2 feature(s) with empty or no geometry" in " ".join(out.attrs[io.NOTES_ATTR])


def test_all_empty_is_an_error(tmp_path):
    path = tmp_path / "nothing.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=[None], crs=4326).to_file(path)
    with pytest.raises(HygisInputError, match="no features with a usable geometry"):
        io.read_vector(path)


def test_z_coordinates_dropped(tmp_path):
    lon, lat = HENGYANG
    poly = shapely.Polygon(
        [(lon, lat, 50), (lon + 0.01, lat, 55), (lon + 0.01, lat + 0.01, 60), (lon, lat, 50)]
    )
    path = tmp_path / "z.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[poly], crs=4490).to_file(path, engine="pyogrio")
    with pytest.warns(HygisWarning, match=r"Z \(height\) coordinates dropped"):
        gdf = io.read_vector(path)
    assert not shapely.has_z(gdf.geometry.to_numpy()).any()


def test_mixed_types_keep_polygons_for_a_control_line(tmp_path, projects_gdf):
    path = tmp_path / "mixed.geojson"
    projects_gdf.to_file(path)
    with pytest.warns(HygisWarning, match=r"not polygons"):
        gdf = io.read_vector(path, geometry="polygon", id_field="project_id")
    assert list(gdf["project_id"]) == ["A1"]
    assert "LineString, Point, not polygons" in " ".join(gdf.attrs[io.NOTES_ATTR])
    everything = io.read_vector(path)
    assert len(everything) == 3  # projects may be points, lines and polygons together


def test_gcj02_input_corrected(tmp_path):
    from hygis import gcj02

    lon, lat = HENGYANG
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
    path = tmp_path / "amap.csv"
    pd.DataFrame({"project_id": ["G"], "经度": [glon], "纬度": [glat]}).to_csv(path, index=False)
    with pytest.warns(HygisWarning, match=r"corrected from GCJ-02"):
        gdf = io.read_vector(path, crs="EPSG:4326", gcj02_input=True)
    _, _, err = Geod(ellps="WGS84").inv(lon, lat, gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0])
    assert err < 0.01


def test_gcj02_on_projected_data_is_refused(tmp_path, projects_gdf):
    path = tmp_path / "gk.gpkg"
    projects_gdf.to_crs(4546).to_file(path, engine="pyogrio")
    with pytest.raises(HygisInputError, match="projected"):
        io.read_vector(path, gcj02_input=True)


def test_folder_with_several_datasets_asks_for_one(tmp_path, projects_gdf):
    projects_gdf.to_file(tmp_path / "a.geojson")
    projects_gdf.to_file(tmp_path / "b.geojson")
    with pytest.raises(HygisInputError, match="exactly one"):
        io.read_vector(tmp_path)


def test_multilayer_geopackage_asks_for_layer(tmp_path, projects_gdf):
    path = tmp_path / "multi.gpkg"
    projects_gdf.to_file(path, layer="one", engine="pyogrio")
    projects_gdf.to_file(path, layer="two", engine="pyogrio")
    # The message names the syntax that exists (PATH:LAYER), with an example from this file.
    with pytest.raises(HygisInputError, match=r"PATH:LAYER, e\.g\. multi\.gpkg:one"):
        io.read_vector(path)
    assert len(io.read_vector(path, layer="two")) == 3
    assert len(io.read_vector(f"{path}:two")) == 3
    with pytest.raises(HygisInputError, match="no layer 'three'.*one, two"):
        io.read_vector(f"{path}:three")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(HygisInputError, match="not found"):
        io.read_vector(tmp_path / "nope.shp")


def test_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage")
    with pytest.raises(HygisInputError, match="cannot read"):
        io.read_vector(path)


def test_formats_round_trip(tmp_path, projects_gdf):
    for suffix in (".gpkg", ".geojson", ".fgb", ".parquet"):
        out = io.write_vector(projects_gdf, tmp_path / f"p{suffix}")
        back = io.read_vector(out)
        assert sorted(back["name"]) == sorted(NAMES), suffix  # FlatGeobuf's index reorders features
    with pytest.raises(HygisOutputError, match="one geometry type"):
        io.write_vector(projects_gdf, tmp_path / "mixed.shp")
    out = io.write_vector(projects_gdf.iloc[[0]], tmp_path / "poly.shp")
    assert io.read_vector(out)["name"].iloc[0] == NAMES[0]


def test_never_overwrites_an_input(tmp_path, projects_gdf):
    path = tmp_path / "input.gpkg"
    projects_gdf.to_file(path, engine="pyogrio")
    before = path.read_bytes()
    io.read_vector(path)
    with pytest.raises(HygisOutputError, match="Refusing to overwrite"):
        io.write_vector(projects_gdf, path)
    with pytest.raises(HygisOutputError):
        io.write_table(pd.DataFrame({"a": [1]}), path)
    assert path.read_bytes() == before


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    target.write_bytes(b"previous report")

    class Boom:
        """Arrow's CSV writer running out of disk after half a report (rows go in slices)."""

        def __init__(self, sink, *a, **k):
            self.sink = sink

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write_table(self, table):
            self.sink.write(b"half a rep")
            raise RuntimeError("disk full")

    import pyarrow.csv

    monkeypatch.setattr(pyarrow.csv, "CSVWriter", Boom)
    with pytest.raises(RuntimeError):
        io.write_table(pd.DataFrame({"a": [1]}), target)
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_csv_opens_in_excel_with_chinese(tmp_path):
    out = io.write_table(pd.DataFrame({"name": NAMES}), tmp_path / "t.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    assert NAMES[0] in raw.decode("utf-8-sig")
    back = pd.read_excel(
        io.write_table({"表一": pd.DataFrame({"name": NAMES})}, tmp_path / "t.xlsx"), sheet_name="表一"
    )
    assert list(back["name"]) == NAMES


def test_detect_dbf_encoding_on_ascii_is_none(tmp_path):
    path = tmp_path / "ascii.shp"
    gpd.GeoDataFrame({"a": ["abc"]}, geometry=[square(*HENGYANG)], crs=4490).to_file(path, engine="pyogrio")
    assert io.detect_dbf_encoding(path.with_suffix(".dbf").read_bytes()) is None
    assert np.isfinite(io.read_vector(path).total_bounds).all()


def test_swapped_geodataframe_passed_in_python_is_caught():
    from hygis.plan import inputs as plan

    lon, lat = HENGYANG
    gdf = gpd.GeoDataFrame({"project_id": ["S"]}, geometry=[shapely.Point(lat, lon)], crs=4490)
    with pytest.raises(HygisInputError, match="swapped"):
        plan.resolve(projects=gdf)


def test_projects_without_coordinates_are_kept_as_not_located(tmp_path):
    lon, lat = HENGYANG
    path = tmp_path / "projects.xlsx"
    pd.DataFrame(
        {"project_id": ["A", "B", "C"], "经度": [lon, None, lon + 0.01], "纬度": [lat, None, lat]}
    ).to_excel(path, index=False)
    with pytest.warns(HygisWarning, match=r"reported as not located"):
        gdf = io.read_vector(path, crs="EPSG:4490", keep_unlocated=True, id_field="project_id")
    assert list(gdf["project_id"]) == ["A", "B", "C"]
    assert gdf.geometry.isna().tolist() == [False, True, False]
    assert "reported as not located" in " ".join(gdf.attrs[io.NOTES_ATTR])


def test_crs_option_only_fills_in_a_missing_crs(tmp_path, projects_gdf):
    path = tmp_path / "gk.gpkg"
    projects_gdf.to_crs(4546).to_file(path, engine="pyogrio")
    with pytest.warns(HygisWarning, match=r"kept \(--crs only fills in"):
        gdf = io.read_vector(path, crs="EPSG:4490")
    assert gdf.crs.to_epsg() == 4546
    assert "kept (--crs only fills in a missing CRS)" in " ".join(gdf.attrs[io.NOTES_ATTR])


def test_wrong_gauss_kruger_zone_is_flagged(tmp_path, projects_gdf):
    """A file labelled CM 114°E whose numbers are CM 111°E lands ~300 km away, still in China: the
    territory check says so (the user's file is read, not rejected: it may be another prefecture's)."""
    from hygis.plan import inputs as plan

    path = tmp_path / "wrong_zone.gpkg"
    projects_gdf.to_crs(4546).set_crs(4547, allow_override=True).to_file(path, engine="pyogrio")
    with pytest.warns(HygisWarning, match="outside the plan's territory"):
        inputs = plan.resolve(projects=path)
    assert any("outside the plan's territory" in n and "Is the CRS right?" in n for n in inputs.notes)
    assert not any("outside the plan's territory" in n for n in plan.resolve(projects=projects_gdf).notes)


def test_the_territory_kept_in_the_cache_flags_the_same_files(tmp_path, projects_gdf):
    """The county units' buffered union is kept per machine: a process that reads it from the cache
    must judge a wrong zone and a right one as the process that built it did."""
    import os
    import subprocess
    import sys

    wrong, right = tmp_path / "wrong_zone.gpkg", tmp_path / "right_zone.gpkg"
    projects_gdf.to_crs(4546).set_crs(4547, allow_override=True).to_file(wrong, engine="pyogrio")
    projects_gdf.to_crs(4546).to_file(right, engine="pyogrio")
    probe = (
        "import sys; from hygis.plan import inputs as plan; "
        "print(*[any('outside the plan' in n for n in plan.resolve(projects=p).notes) for p in sys.argv[1:]])"
    )
    env = {**os.environ, "HYGIS_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe, str(wrong), str(right)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert list((tmp_path / "cache" / "territory").glob("*.json"))
    assert runs == [["True", "False"], ["True", "False"]]
