"""A control-line fixture with every hard case, written as a planner's office would send it.

* red line: two overlapping polygons (shared ground must count once), in an EPSG:4490 GeoPackage;
* farmland: a GBK Shapefile without .cpg (Chinese attribute text), EPSG:4326, holding a
  self-intersecting (bow-tie) polygon and a patch that only touches a project's edge;
* development boundary: a polygon with a hole, a project sits in the hole;
* projects (EPSG:4490 GeoPackage): polygons of several groups and a railway line with width_m.

Geometries are designed in metres (EPSG:4546, near Hengyang) and written in the file's CRS.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import shapely

GK = "EPSG:4546"
# A point near Hengyang in EPSG:4546 (metres).
X0, Y0 = 660_000.0, 2_975_000.0


def _box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def write_fixture(folder: Path) -> dict[str, Path]:
    """Write the four files into ``folder``; return their paths by layer name."""
    folder.mkdir(parents=True, exist_ok=True)
    redline = gpd.GeoDataFrame(
        {"redline_id": ["R1", "R2"], "name": ["岣嵝峰水源涵养区", "岣嵝峰生物多样性区"]},
        geometry=[_box(0, 0, 1000, 1000), _box(600, 300, 1000, 400)],  # overlap 400×400 m
        crs=GK,
    ).to_crs("EPSG:4490")
    bowtie = shapely.Polygon([(X0 + 2000, Y0), (X0 + 2600, Y0 + 600), (X0 + 2600, Y0), (X0 + 2000, Y0 + 600)])
    farmland = gpd.GeoDataFrame(
        {
            "patch_id": ["F1", "F2", "F3"],
            "dlmc": ["水田", "旱地", "水浇地"],
            "qsdwmc": ["衡阳县西渡镇", "衡南县云集街道", "祁东县洪桥街道"],
        },
        geometry=[bowtie, _box(3000, 0, 500, 500), _box(2000, 1000, 300, 300)],
        crs=GK,
    ).to_crs("EPSG:4326")
    outer = shapely.Polygon(
        [(X0 - 500, Y0 - 500), (X0 + 5000, Y0 - 500), (X0 + 5000, Y0 + 3000), (X0 - 500, Y0 + 3000)],
        holes=[
            [(X0 + 3800, Y0 + 1500), (X0 + 4600, Y0 + 1500), (X0 + 4600, Y0 + 2500), (X0 + 3800, Y0 + 2500)]
        ],
    )
    udb = gpd.GeoDataFrame({"udb_id": ["U1"], "name": ["中心城区"]}, geometry=[outer], crs=GK).to_crs(
        "EPSG:4326"
    )
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["A", "B", "C", "D", "E", "F"],
            "name": [
                "智造产业园",
                "湿地生态修复工程",
                "衡州大道改造",
                "科创孵化基地",
                "南岳民宿集群",
                "疏港铁路",
            ],
            "group": ["产业升级", "生态环保", "交通基建", "创新平台", "文旅发展", "交通基建"],
            "width_m": [None, None, None, None, None, 30.0],
        },
        geometry=[
            _box(800, 200, 600, 600),  # A: across both red-line polygons and their shared ground
            _box(2200, 200, 600, 200),  # B: crosses the bow-tie
            _box(3500, 0, 300, 500),  # C: touches F2 along x=3500 only
            _box(3900, 1600, 400, 400),  # D: inside the UDB's hole
            _box(-800, -800, 600, 600),  # E: partly outside the UDB, no red line
            shapely.LineString([(X0 - 200, Y0 + 150), (X0 + 3400, Y0 + 150)]),  # F: railway, 30 m
        ],
        crs=GK,
    ).to_crs("EPSG:4490")
    paths = {
        "ecological_redline": folder / "redline_4490.gpkg",
        "permanent_farmland": folder / "farmland_gbk.shp",
        "urban_development_boundary": folder / "udb.geojson",
        "projects": folder / "projects_4490.gpkg",
    }
    redline.to_file(paths["ecological_redline"], engine="pyogrio")
    farmland.to_file(paths["permanent_farmland"], engine="pyogrio", encoding="GBK")
    cpg = paths["permanent_farmland"].with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()  # as offices send it: GBK text, nothing says so
    udb.to_file(paths["urban_development_boundary"], engine="pyogrio")
    projects.to_file(paths["projects"], engine="pyogrio")
    return paths


def check_args(paths: dict[str, Path]) -> list[str]:
    """``hygis check`` of the fixture's projects against its red line and farmland files."""
    return [
        "check",
        "--projects",
        str(paths["projects"]),
        "--permanent-farmland",
        str(paths["permanent_farmland"]),
        "--ecological-redline",
        str(paths["ecological_redline"]),
    ]


def folder_hash(folder: Path) -> str:
    """A hash of every file in ``folder`` (to prove inputs were not modified)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()
