"""The planner's session's files, made up: what ``hygis example`` writes so the README runs as written.

A bureau's own files are not public, so the session of the README runs on these, which stand in
for them and say so (a ``README.txt`` beside them, a ``SJLY`` field on every layer, 示例 in every
name). Everything is designed in CGCS2000 3° Gauss–Krüger zone 37 with the zone prefix
(EPSG:4525, CM 111°E) in 祁东县 near 111.57°E, 26.85°N, inside the plan's territory:

* ``三区三线.gdb`` — a File Geodatabase as a bureau delivers one: the three control lines under
  their Chinese layer names beside an administrative layer (XZQ), a land-use layer and an
  attribute table;
* ``报盘坐标.txt`` — three parcels as a surveyor's 坐标交换格式 file (X = northing): ``D1`` a
  200 × 100 m rectangle with a 40 × 20 m hole, ``D2`` a right triangle with legs 120 m and 90 m,
  ``D3`` two parts;
* ``界址点.xlsx`` — the same parcels as a 界址点成果表, one row per vertex;
* ``变化图斑.gpkg`` — five change polygons (变化图斑) of 2026 with the 国土变更调查's field names,
  one for each warning level and one that is none.

The red line covers the north half of D1, the farmland all of D2, the development boundary all of
D3: the check finds conflicts, the relocation moves D1 and D2.

>>> parcels()[["地块编号", "地块名称"]].to_numpy().tolist()
[['D1', '示例地块一'], ['D2', '示例三角地块'], ['D3', '示例两块地']]
>>> round(float(parcels().area.sum()))
27500
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from hygis.errors import HygisOutputError
from hygis.io.coordinates import write_coordinate_txt
from hygis.io.write import write_table, write_text, write_vector

#: The zone everything is designed in: CGCS2000 3° zone 37, eastings with the zone prefix.
CRS = "EPSG:4525"
#: South-west corner of parcel D1: easting with the zone prefix, northing (metres).
E0, N0 = 37_556_500.0, 2_971_000.0

#: What every layer's ``SJLY`` (数据来源) field says.
SOURCE_NOTE = "hygis 示例数据 illustrative: made up, not a real plan"

#: Layer names of each line as the example database holds them (陆域…: a name the matching knows).
LAYER_NAMES = {
    "ecological_redline": "陆域生态保护红线",
    "permanent_farmland": "永久基本农田",
    "urban_development_boundary": "城镇开发边界",
}

#: Each line's rectangle (easting offset, northing offset, width, height) from (E0, N0), metres.
#: The red line covers the north half of D1 (200 × 50 m less the hole's part above the half:
#: 9 600 m²); the farmland all of D2 (5 400 m²); the development boundary all of D3 and 10 × 90 m
#: of the farmland (900 m², an overlap for the QA to find).
BOXES = {
    "ecological_redline": (-100.0, 50.0, 350.0, 200.0),
    "permanent_farmland": (290.0, -10.0, 140.0, 110.0),
    "urban_development_boundary": (420.0, -20.0, 260.0, 100.0),
}

#: The files ``write_example`` writes, by what they are.
FILES = {
    "database": "三区三线.gdb",
    "coordinates": "报盘坐标.txt",
    "vertices": "界址点.xlsx",
    "changes": "变化图斑.gpkg",
    "readme": "README.txt",
}

#: Change polygons: id, class before, class after (GB/T 21010 / 三调 codes), rectangle from (E0, N0).
CHANGES = (
    ("2026-00001", "0101", "0601", (320.0, 20.0, 30.0, 30.0)),  # paddy → industry, in the farmland
    ("2026-00002", "0301", "0702", (0.0, 150.0, 40.0, 40.0)),  # forest → rural homesteads, in the red line
    (
        "2026-00003",
        "0103",
        "0701",
        (800.0, 300.0, 50.0, 40.0),
    ),  # dry land → urban housing, outside the boundary
    ("2026-00004", "0101", "0701", (600.0, 0.0, 40.0, 40.0)),  # paddy → urban housing, inside the boundary
    ("2026-00005", "0101", "0103", (-400.0, -300.0, 60.0, 60.0)),  # paddy → dry land
)

README = """hygis 示例数据 — ILLUSTRATIVE example files (示意数据，非真实规划)
=========================================================================

These files were written by `hygis example` so that the planner's session in hygis's README
runs as written. They are MADE UP: no real plan, parcel or survey stands behind them. Every
layer says so in its SJLY field; the parcels' names begin with 示例.

  三区三线.gdb    File Geodatabase: 陆域生态保护红线, 永久基本农田, 城镇开发边界 (rectangles),
                  XZQ, 规划地类 and the table 指标表 — as a bureau's 三区三线 database is laid out
  报盘坐标.txt    three parcels D1–D3 in the 坐标交换格式 (X = northing, eastings with the zone
                  prefix), CGCS2000 3° Gauss–Krüger zone 37 (EPSG:4525), GB18030
  界址点.xlsx     the same parcels as a 界址点成果表, one row per vertex
  变化图斑.gpkg   five change polygons of 2026 (TBBH, BGQDLBM, BGHDLBM, BGNF)

All lie in 祁东县 near 111.57°E, 26.85°N. Replace them with your office's files.

hygis layers --in 三区三线.gdb
hygis check    --projects 报盘坐标.txt --control-lines 三区三线.gdb --out 审查.xlsx
hygis relocate --projects 报盘坐标.txt --control-lines 三区三线.gdb --out 调整建议.txt
"""


def _box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(E0 + x, N0 + y, E0 + x + w, N0 + y + h)


def _rect(x: float, y: float, w: float, h: float, clockwise: bool = True) -> list[tuple[float, float]]:
    """Corners from the south-west corner, clockwise as surveyors number them."""
    pts = [(E0 + x, N0 + y), (E0 + x, N0 + y + h), (E0 + x + w, N0 + y + h), (E0 + x + w, N0 + y)]
    return pts if clockwise else pts[::-1]


def parcels() -> gpd.GeoDataFrame:
    """The three example parcels, D1–D3.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``地块编号``, ``地块名称``, ``SJLY``; polygons in EPSG:4525 (metres). Areas:
        19 200, 5 400 and 2 900 m².
    """
    d1 = shapely.Polygon(_rect(0, 0, 200, 100), [_rect(80, 40, 40, 20, clockwise=False)])
    d2 = shapely.Polygon([(E0 + 300, N0), (E0 + 300, N0 + 90), (E0 + 420, N0)])
    d3 = shapely.MultiPolygon(
        [shapely.Polygon(_rect(500, 0, 50, 40)), shapely.Polygon(_rect(600, 0, 30, 30))]
    )
    return gpd.GeoDataFrame(
        {
            "地块编号": ["D1", "D2", "D3"],
            "地块名称": ["示例地块一", "示例三角地块", "示例两块地"],
            "SJLY": SOURCE_NOTE,
        },
        geometry=[d1, d2, d3],
        crs=CRS,
    )


def vertex_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A 界址点成果表 of a parcel layer: one row per vertex, rings closed, X = northing, Y = easting.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons in a Gauss–Krüger CRS (metres) with ``地块编号`` and ``地块名称``.

    Returns
    -------
    pandas.DataFrame
        Columns ``地块编号``, ``地块名称``, ``点号``, ``圈号`` (1 the first ring, 2 and up the
        others), ``X坐标(m)``, ``Y坐标(m)``.
    """
    rows = []
    for pid, name, geom in zip(gdf["地块编号"], gdf["地块名称"], gdf.geometry):
        k = 0
        rings = [r for part in shapely.get_parts(geom) for r in shapely.get_rings(part)]
        for r, ring in enumerate(rings, start=1):
            for e, n in shapely.get_coordinates(ring):
                k += 1
                rows.append(
                    {
                        "地块编号": pid,
                        "地块名称": name,
                        "点号": f"J{k}",
                        "圈号": r,
                        "X坐标(m)": n,
                        "Y坐标(m)": e,
                    }
                )
    return pd.DataFrame(rows)


def change_polygons() -> gpd.GeoDataFrame:
    """Five change polygons of 2026 near the parcels, with the 国土变更调查's field names.

    Returns
    -------
    geopandas.GeoDataFrame
        ``TBBH``, ``BGQDLBM``, ``BGHDLBM``, ``BGNF``, ``SJLY``; EPSG:4525. One lies in the farmland,
        one in the red line, one outside the development boundary, one inside it, one changes
        paddy to dry land.
    """
    return gpd.GeoDataFrame(
        {
            "TBBH": [c[0] for c in CHANGES],
            "BGQDLBM": [c[1] for c in CHANGES],
            "BGHDLBM": [c[2] for c in CHANGES],
            "BGNF": 2026,
            "SJLY": SOURCE_NOTE,
        },
        geometry=[_box(*c[3]) for c in CHANGES],
        crs=CRS,
    )


def write_database(
    path: str | Path,
    *,
    names: Mapping[str, str] = LAYER_NAMES,
    extra: Mapping[str, str] | None = None,
    boxes: Mapping[str, tuple[float, float, float, float]] = BOXES,
) -> Path:
    """Write a 三区三线 database: the three lines as layers beside XZQ, 规划地类 and a table.

    Parameters
    ----------
    path : str or path-like
        ``.gdb`` (File Geodatabase, GDAL's OpenFileGDB driver) or ``.gpkg``. An existing one is
        replaced.
    names : mapping
        Layer name of each line (``ecological_redline``, ``permanent_farmland``,
        ``urban_development_boundary``); a line left out is not written.
    extra : mapping, optional
        Further layers, name → the line whose rectangle they hold (a second candidate for a line).
    boxes : mapping
        Each line's rectangle (easting offset, northing offset, width, height) from (E0, N0), metres.

    Returns
    -------
    pathlib.Path
        The database written.
    """
    path = Path(path)
    driver = "OpenFileGDB" if path.suffix.lower() == ".gdb" else "GPKG"

    def frame(box: tuple[float, float, float, float], code: str) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"BSM": [code], "YSDM": ["示例"], "SJLY": [SOURCE_NOTE]}, geometry=[_box(*box)], crs=CRS
        )

    layers = {"XZQ": frame((-1000, -1000, 3000, 3000), "XZQ")}
    layers |= {layer: frame(boxes[line], line) for line, layer in names.items()}
    layers |= {layer: frame(boxes[line], line) for layer, line in (extra or {}).items()}
    layers["规划地类"] = frame((-500, -500, 100, 100), "GHDL")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and moved onto it whole: a database is a folder (or one file).
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".tmp-example-") as tmpdir:
        tmp = Path(tmpdir) / path.name
        for layer, gdf in layers.items():
            gdf.to_file(tmp, layer=layer, driver=driver, engine="pyogrio")
        import pyogrio  # noqa: PLC0415 - GDAL only when a file needs it (see hygis.io.geojson)

        pyogrio.write_dataframe(
            pd.DataFrame({"指标": ["耕地保有量"], "数值": ["示例"]}), tmp, layer="指标表", driver=driver
        )
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        tmp.replace(path)
    return path


def write_example(directory: str | Path = "hygis-example", *, force: bool = False) -> dict[str, Path]:
    """Write the planner's session's example files into ``directory``.

    Parameters
    ----------
    directory : str or path-like
        Created if missing.
    force : bool
        Replace files of the same names. Without it, existing files are never overwritten: the
        call refuses and names them.

    Returns
    -------
    dict
        What each file is (the keys of :data:`FILES`) → its path.

    Raises
    ------
    hygis.errors.HygisOutputError
        A file of the same name exists and ``force`` is false.
    """
    folder = Path(directory)
    paths = {key: folder / name for key, name in FILES.items()}
    existing = [p.name for p in paths.values() if p.exists()]
    if existing and not force:
        msg = (
            f"{folder}: {', '.join(existing)} already there; hygis example never overwrites a file. "
            "Choose another folder, or add --force to replace them."
        )
        raise HygisOutputError(msg)
    folder.mkdir(parents=True, exist_ok=True)
    sites = parcels()
    write_database(paths["database"])
    write_coordinate_txt(sites, paths["coordinates"], crs=CRS, id_field="地块编号", name_field="地块名称")
    write_table(vertex_table(sites), paths["vertices"])
    write_vector(change_polygons(), paths["changes"], layer="变化图斑")
    write_text(README, paths["readme"])
    return paths
