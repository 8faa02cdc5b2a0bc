"""A 三区三线 database as a bureau delivers it: one .gdb or .gpkg, many layers, Chinese or code names.

The three lines are simple rectangles in CGCS2000 3° Gauss–Krüger zone 37 (EPSG:4525) near the
parcels of :mod:`tests.survey_fixtures`, beside an administrative layer (XZQ), a land-use layer
and an attribute table, as real databases hold. Synthetic test data, not a real plan.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from .survey_fixtures import E0, N0

CRS = "EPSG:4525"

#: Layer names of each line in the two naming styles databases use.
CHINESE = {
    "ecological_redline": "陆域生态保护红线",
    "permanent_farmland": "永久基本农田",
    "urban_development_boundary": "城镇开发边界",
}
CODES = {
    "ecological_redline": "STBHHX",
    "permanent_farmland": "HY_YJJBNTBHTB_2023",
    "urban_development_boundary": "CZKFBJ",
}

#: Each line's rectangle (easting offset, northing offset, width, height) from (E0, N0), metres.
#: The red line covers the north half of parcel D1 (200 × 50 m less the hole's 40 × 10 m above the
#: half: 9 600 m²); the farmland covers all of D2 (5 400 m²); the development boundary all of D3 and
#: 10 × 90 m of the farmland (900 m², for the overlap QA).
BOXES = {
    "ecological_redline": (-100, 50, 350, 200),
    "permanent_farmland": (290, -10, 140, 110),
    "urban_development_boundary": (420, -20, 260, 100),
}


def _frame(box: tuple[float, float, float, float], code: str) -> gpd.GeoDataFrame:
    x, y, w, h = box
    geom = shapely.box(E0 + x, N0 + y, E0 + x + w, N0 + y + h)
    return gpd.GeoDataFrame({"BSM": [code], "YSDM": ["示例"]}, geometry=[geom], crs=CRS)


def write_database(
    path: Path, *, names: dict[str, str] = CHINESE, extra: dict[str, str] | None = None
) -> Path:
    """Write the database (driver by suffix: .gdb → OpenFileGDB, .gpkg → GPKG) and return its path."""
    driver = "OpenFileGDB" if path.suffix == ".gdb" else "GPKG"
    if path.exists():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    xzq = _frame((-1000, -1000, 3000, 3000), "XZQ")
    xzq.to_file(path, layer="XZQ", driver=driver, engine="pyogrio")
    for line, layer in names.items():
        _frame(BOXES[line], line).to_file(path, layer=layer, driver=driver, engine="pyogrio")
    for layer, line in (extra or {}).items():
        _frame(BOXES[line], line).to_file(path, layer=layer, driver=driver, engine="pyogrio")
    _frame((-500, -500, 100, 100), "GHDL").to_file(path, layer="规划地类", driver=driver, engine="pyogrio")
    pyogrio.write_dataframe(
        pd.DataFrame({"指标": ["耕地保有量"], "数值": ["示例"]}), path, layer="指标表", driver=driver
    )
    return path
