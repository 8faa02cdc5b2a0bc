"""Zonal statistics: known answers, edge weighting, NoData, CRS, and bad input (Python and CLI)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from hygis.errors import HygisInputError
from hygis.plan import layers
from hygis.raster.cog import write_cog
from hygis.raster.grid import grid_for
from hygis.raster.zonal import ZonalWarning, zonal_stats

CELL = 200.0


@pytest.fixture(scope="module")
def counties():
    return layers.load("counties")


@pytest.fixture(scope="module")
def city_rasters(tmp_path_factory, counties):
    """A constant (7) and the cell-centre easting, 200 m cells over the city, in EPSG:4546."""
    folder = tmp_path_factory.mktemp("zonal")
    grid = grid_for(counties, cell=CELL)
    x, _ = grid.xy()
    const = write_cog(
        folder / "const.tif",
        [np.full(grid.shape, 7.0, dtype="float32")],
        grid,
        nodata=-9999.0,
        categorical=False,
    )
    east = write_cog(
        folder / "east.tif",
        [np.broadcast_to(x, grid.shape).astype("float64")],
        grid,
        nodata=-9999.0,
        categorical=False,
    )
    return grid, const, east


def test_constant_per_county(city_rasters, counties):
    _, const, _ = city_rasters
    out = zonal_stats(const, counties, "mean,min,max,std,count,sum")
    assert list(out.columns[:3]) == ["code", "name", "name_en"]  # id columns kept, in order
    assert np.allclose(out["mean"], 7.0) and np.allclose(out["min"], 7.0) and np.allclose(out["max"], 7.0)
    assert np.allclose(out["std"], 0.0, atol=1e-6)
    area_cells = counties.to_crs(4546).area.to_numpy() / CELL**2
    # Area-weighted count is the zone's area in cells, exactly (no cell-edge error).
    assert np.allclose(out["count"], area_cells, rtol=1e-6)
    assert np.allclose(out["sum"], 7.0 * area_cells, rtol=1e-6)


def test_easting_per_county_is_the_centroid(city_rasters, counties):
    _, _, east = city_rasters
    out = zonal_stats(east, counties, ["mean", "min", "max"])
    truth = counties.to_crs(4546).centroid.x.to_numpy()
    # The mean of the easting over a polygon is its centroid's easting; cell-edge error ≪ one cell.
    assert np.abs(out["mean"].to_numpy() - truth).max() < CELL / 20
    bounds = counties.to_crs(4546).bounds
    assert np.all(out["min"].to_numpy() >= bounds["minx"].to_numpy() - CELL)
    assert np.all(out["max"].to_numpy() <= bounds["maxx"].to_numpy() + CELL)


def _tiny(tmp_path, values, nodata=None, crs="EPSG:4546", name="tiny.tif"):
    path = tmp_path / name
    profile = {
        "driver": "GTiff",
        "width": values.shape[1],
        "height": values.shape[0],
        "count": 1,
        "dtype": values.dtype.name,
        "transform": from_origin(1000, 1004, 1, 1),
        "nodata": nodata,
    }
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(values, 1)
    return path


def test_partial_cells_vs_all_touched(tmp_path):
    values = np.arange(16, dtype="float64").reshape(4, 4)
    path = _tiny(tmp_path, values, nodata=-1)
    zone = gpd.GeoDataFrame({"id": ["z"]}, geometry=[shapely.box(1000.5, 1000.5, 1002.2, 1002.5)], crs=4546)
    # Coverage by hand: columns 0, 1, 2 cover 0.5, 1, 0.2 of a cell; rows 1, 2, 3 (from the top) 0.5, 1, 0.5.
    cov = np.zeros((4, 4))
    cov[1:4, 0:3] = np.outer([0.5, 1.0, 0.5], [0.5, 1.0, 0.2])
    weighted = zonal_stats(path, zone, "mean,count,sum")
    assert weighted["count"].iloc[0] == pytest.approx(cov.sum())
    assert weighted["mean"].iloc[0] == pytest.approx((cov * values).sum() / cov.sum())
    touched = zonal_stats(path, zone, "mean,count,sum", all_touched=True)
    assert touched["count"].iloc[0] == 9
    assert touched["mean"].iloc[0] == pytest.approx(values[1:4, 0:3].mean())
    assert touched["mean"].iloc[0] != pytest.approx(weighted["mean"].iloc[0])


def test_nodata_cells_are_left_out(tmp_path):
    values = np.full((4, 4), 5.0)
    values[0, :] = -1  # NoData row
    values[1, 1] = 100
    path = _tiny(tmp_path, values, nodata=-1)
    zone = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(1000, 1000, 1004, 1004)], crs=4546)
    out = zonal_stats(path, zone, "mean,count,max,min")
    assert out["count"].iloc[0] == 12
    assert out["mean"].iloc[0] == pytest.approx((11 * 5 + 100) / 12)
    assert out["min"].iloc[0] == 5
    # A value given by the user is NoData too.
    out = zonal_stats(path, zone, "mean,count", nodata=100)
    assert out["count"].iloc[0] == 11 and out["mean"].iloc[0] == pytest.approx(5.0)


def test_raster_without_nodata_warns_and_counts_every_cell(tmp_path):
    path = _tiny(tmp_path, np.zeros((4, 4), dtype="int16"), nodata=None)
    zone = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(1000, 1000, 1004, 1004)], crs=4546)
    with pytest.warns(ZonalWarning, match="has no NoData value: every cell is counted as data"):
        out = zonal_stats(path, zone, "count")
    assert out["count"].iloc[0] == 16
    assert "--nodata" in out.attrs["hygis_notes"][0]


def test_geographic_raster_with_gauss_kruger_zones(tmp_path, counties):
    """An EPSG:4326 raster (value = 3, and longitude) summarised over counties given in EPSG:4546."""
    minx, miny, maxx, maxy = counties.total_bounds
    res = 0.002
    width, height = int((maxx - minx) / res) + 2, int((maxy - miny) / res) + 2
    transform = from_origin(minx - res, maxy + res, res, res)
    lon = transform.c + (np.arange(width) + 0.5) * res
    path = tmp_path / "lonlat.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=2,
        dtype="float64",
        crs="EPSG:4326",
        transform=transform,
        nodata=-9999.0,
    ) as ds:
        ds.write(np.full((height, width), 3.0), 1)
        ds.write(np.broadcast_to(lon, (height, width)), 2)
    zones = counties.to_crs(4546)
    out = zonal_stats(path, zones, "mean")
    assert np.allclose(out["mean"], 3.0)
    assert out.crs.to_epsg() == 4546  # results stay in the zones' CRS
    lon_mean = zonal_stats(path, zones, "mean", band=2)["mean"].to_numpy()
    # Degree cells weighted by coverage: close to the centroid longitude (cells differ in area by <1 %).
    assert np.abs(lon_mean - counties.to_crs(4546).centroid.to_crs(4326).x.to_numpy()).max() < 0.01


def test_raster_without_crs_is_an_error(tmp_path):
    path = _tiny(tmp_path, np.ones((4, 4)), nodata=-1, crs=None)
    zone = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(1000, 1000, 1004, 1004)], crs=4546)
    with pytest.raises(HygisInputError, match="has no coordinate reference system"):
        zonal_stats(path, zone)
    out = zonal_stats(path, zone, "mean", raster_crs="EPSG:4546")
    assert out["mean"].iloc[0] == 1


def test_zones_outside_the_raster(tmp_path):
    path = _tiny(tmp_path, np.ones((4, 4)), nodata=-1)
    far = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(5000, 5000, 5010, 5010)], crs=4546)
    with pytest.raises(HygisInputError, match="None of the 1 zones overlaps"):
        zonal_stats(path, far)
    both = gpd.GeoDataFrame(
        {"id": [1, 2]},
        geometry=[shapely.box(1000, 1000, 1002, 1002), shapely.box(5000, 5000, 5010, 5010)],
        crs=4546,
    )
    with pytest.warns(ZonalWarning, match="1 zone"):
        out = zonal_stats(path, both, "mean,count")
    assert out["count"].tolist() == [4, 0] and np.isnan(out["mean"].iloc[1])
    assert any("lie outside" in n for n in out.attrs["hygis_notes"])


def test_cells_larger_than_the_zones_warn(tmp_path):
    path = tmp_path / "coarse.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:4546",
        transform=from_origin(0, 100_000, 50_000, 50_000),
        nodata=-1,
    ) as ds:
        ds.write(np.array([[1, 2], [3, 4]], dtype="float32"), 1)
    zone = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(1000, 1000, 2000, 2000)], crs=4546)
    with pytest.warns(ZonalWarning, match="smaller than one cell"):
        out = zonal_stats(path, zone, "mean")
    assert out["mean"].iloc[0] == 3


def test_corrupt_and_missing_files(tmp_path):
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"II*\x00" + b"\x00garbage" * 50)
    zone = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4546)
    with pytest.raises(HygisInputError, match="not a raster GDAL can read"):
        zonal_stats(bad, zone)
    with pytest.raises(HygisInputError, match="no such file"):
        zonal_stats(tmp_path / "missing.tif", zone)
    with pytest.raises(HygisInputError, match="Unknown statistic 'avg'"):
        zonal_stats(bad, zone, "avg")


def test_projects_without_geometry_keep_their_rows(city_rasters):
    _, const, _ = city_rasters
    projects = layers.load("projects")
    with pytest.warns(ZonalWarning) as said:
        out = zonal_stats(const, projects[["project_id", "name", "geometry"]], "mean")
    # The projects without a site and the linear ones are named, each group once.
    text = " ".join(str(w.message) for w in said)
    assert "have no geometry" in text and "are points or lines, not polygons" in text
    assert len(out) == len(projects) and out["project_id"].tolist() == projects["project_id"].tolist()
    polys = projects.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    assert np.allclose(out["mean"].to_numpy()[polys], 7.0)
    assert out["mean"].isna().sum() == (~polys).sum()


# ----------------------------------------------------------------------------- CLI
def test_cli_zonal_counties(cli, city_rasters, tmp_path):
    _, const, _ = city_rasters
    out = tmp_path / "z.csv"
    proc = cli("zonal", str(const), "--stats", "mean,count,p90", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "code,name,name_en,mean,count,p90"
    assert "珠晖区" in text and len(text.splitlines()) == 13


def test_cli_zonal_gpkg_with_zone_file(cli, city_rasters, tmp_path, counties):
    _, _, east = city_rasters
    zones = tmp_path / "zones.gpkg"
    counties.iloc[:3].to_crs(4490).to_file(zones)
    out = tmp_path / "z.gpkg"
    proc = cli("zonal", str(east), "--zones", str(zones), "--all-touched", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    result = gpd.read_file(out)
    assert len(result) == 3 and "mean" in result.columns


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("corrupt", "not a raster GDAL can read"),
        ("nocrs", "has no coordinate reference system"),
        ("outside", "None of the"),
    ],
)
def test_cli_zonal_bad_input(cli, tmp_path, kind, words):
    if kind == "corrupt":
        path = tmp_path / "bad.tif"
        path.write_bytes(b"not a tiff at all")
    elif kind == "nocrs":
        path = _tiny(tmp_path, np.ones((4, 4)), nodata=-1, crs=None)
    else:
        path = _tiny(tmp_path, np.ones((4, 4)), nodata=-1)  # 4 m square at easting 1000 m: far from Hengyang
    proc = cli("zonal", str(path), "--out", str(tmp_path / "z.csv"))
    assert proc.returncode == 2
    assert words in proc.stderr and "Traceback" not in proc.stderr


def test_cli_zonal_no_nodata_message(cli, tmp_path):
    path = tmp_path / "nonodata.tif"
    grid = grid_for(layers.load("counties"), cell=2000)
    with rasterio.open(path, "w", **{**grid.profile("int16", None), "nodata": None}) as ds:
        ds.write(np.ones(grid.shape, dtype="int16"), 1)
    proc = cli("zonal", str(path), "--out", str(tmp_path / "z.csv"))
    assert proc.returncode == 0, proc.stderr
    assert "has no NoData value: every cell is counted as data" in proc.stderr


def test_block_by_block_path_gives_the_same_answer(tmp_path, monkeypatch):
    """Rasters too big for memory are read through rasterio by exactextract: same results."""
    import hygis.raster.zonal as zonal_mod

    values = np.arange(64, dtype="float64").reshape(8, 8)
    values[2, 3] = -1
    path = _tiny(tmp_path, values, nodata=-1)
    zone = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(1000.3, 997.2, 1006.6, 1003.1)], crs=4546)
    expected = zonal_stats(path, zone, "mean,count", nodata=5)
    monkeypatch.setattr(zonal_mod, "MEMORY_BYTES", 0)
    got = zonal_stats(path, zone, "mean,count", nodata=5)
    assert got["mean"].iloc[0] == pytest.approx(expected["mean"].iloc[0])
    assert got["count"].iloc[0] == pytest.approx(expected["count"].iloc[0])
