"""GeoParquet read a batch at a time (hygis.io.parquet): the frame geopandas reads, whatever the file."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from hygis.io import parquet

GEOMS = [shapely.box(i, i, i + 1, i + 1) for i in range(30)]
GEOMS[3] = None  # a feature without a geometry stays one
BASE = gpd.GeoDataFrame(
    {
        "DLBM": [f"01{i:02d}" for i in range(30)],
        "n": np.arange(30),
        "t": pd.date_range("2020", periods=30, tz="Asia/Shanghai"),
    },
    geometry=GEOMS,
    crs="EPSG:4546",
)

CASES = {
    "range index": (BASE, {}),
    "index of names": (BASE.set_index("DLBM"), {}),
    "repeated names as index": (BASE.assign(DLBM=["a", "b", "c"] * 10).set_index("DLBM"), {}),
    "two-level index": (BASE.set_index(["DLBM", "n"]), {}),
    "named range index": (BASE.rename_axis("fid"), {}),
    "index not written": (BASE, {"index": False}),
    "a slice (range from 5)": (BASE.iloc[5:25], {}),
    "no rows": (BASE.iloc[:0], {}),
    "two geometry columns": (BASE.assign(c=BASE.centroid), {}),
    "geometry first": (BASE[["geometry", "DLBM", "n"]], {}),
    "geometry renamed": (BASE.rename_geometry("shape"), {}),
    "no CRS": (BASE.set_crs(None, allow_override=True), {}),
    "longitude/latitude": (BASE.to_crs(4326), {}),
    "categories": (BASE.assign(k=pd.Categorical(["a", "b"] * 15)), {}),
    "GeoArrow encoding (read by geopandas)": (BASE, {"geometry_encoding": "geoarrow"}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_frame_geopandas_reads(case, tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "BATCH_ROWS", 7)  # several batches, the last one short
    frame, kwargs = CASES[case]
    path = tmp_path / "layer.parquet"
    frame.to_parquet(path, **kwargs)
    want, got = gpd.read_parquet(path), parquet.read_geoparquet(path)
    assert got.equals(want)
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index) and got.index.names == want.index.names
    assert (got.dtypes == want.dtypes).all()
    assert got.geometry.name == want.geometry.name and got.crs == want.crs


def test_a_file_without_pandas_metadata_is_in_crs84(tmp_path, monkeypatch):
    """Written by another tool (GDAL, DuckDB): no pandas metadata, no CRS (OGC:CRS84 by the spec)."""
    monkeypatch.setattr(parquet, "BATCH_ROWS", 7)
    table = pa.table({"id": list(range(30)), "geometry": shapely.to_wkb(np.array(GEOMS, dtype=object))})
    column = {"encoding": "WKB", "geometry_types": []}
    geo = json.dumps({"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}})
    pq.write_table(table.replace_schema_metadata({"geo": geo}), tmp_path / "other.parquet")
    got = parquet.read_geoparquet(tmp_path / "other.parquet")
    assert got.equals(gpd.read_parquet(tmp_path / "other.parquet"))
    assert got.crs == "OGC:CRS84" and list(got.index) == list(range(30))


@pytest.mark.parametrize(
    "damage",
    ["cut short (a copy stopped half-way)", "not Parquet at all", "a table without geometry"],
)
def test_a_damaged_or_plain_parquet_is_a_message_naming_the_file(damage, tmp_path):
    from hygis.errors import HygisInputError
    from hygis.io import read_vector

    path = tmp_path / "项目.parquet"
    if damage.startswith("cut"):
        BASE.to_parquet(tmp_path / "whole.parquet")
        path.write_bytes((tmp_path / "whole.parquet").read_bytes()[:600])
    elif damage.startswith("not"):
        path.write_text("项目名称,经度,纬度\n", encoding="utf-8")
    else:
        pd.DataFrame({"name": ["a"]}).to_parquet(path)
    with pytest.raises(HygisInputError, match=r"项目\.parquet as GeoParquet .*copied whole"):
        read_vector(path, label="projects")


def test_a_check_of_parquet_files_never_loads_gdal(tmp_path):
    """GDAL costs ~28 MB of a check's memory: a check of GeoParquet files reads the plan's own
    layers without it (hygis.io.geojson), and reads nothing else with it."""
    farmland = gpd.GeoDataFrame(
        {"DLBM": ["0101"]}, geometry=[shapely.box(612000, 2970000, 612300, 2970300)], crs=4546
    )
    projects = gpd.GeoDataFrame(
        {"project_id": ["A"], "name": ["示例"]},
        geometry=[shapely.box(612100, 2970100, 612400, 2970400)],
        crs=4546,
    )
    farmland.to_parquet(tmp_path / "farmland.parquet")
    projects.to_parquet(tmp_path / "projects.parquet")
    code = (
        "import sys\n"
        "from hygis.cli.main import cli\n"
        "cli.main(['check', '--projects', sys.argv[1], '--permanent-farmland', sys.argv[2],"
        " '--out', sys.argv[3]], standalone_mode=False)\n"
        "print('GDAL loaded' if 'pyogrio' in sys.modules else 'no GDAL')\n"
    )
    out = tmp_path / "report.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(tmp_path / "projects.parquet"),
            str(tmp_path / "farmland.parquet"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "no GDAL"
    assert "permanent_farmland" in out.read_text(encoding="utf-8-sig")
