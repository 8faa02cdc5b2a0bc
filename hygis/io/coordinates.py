"""The Ministry's coordinate exchange text (国土资源部 坐标交换格式), read and written.

Land parcels for 用地预审 and 报批 travel as a ``.txt`` file, usually GBK::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=38
    精度=0.001
    [地块坐标]
    5,1.0000,D1,地块一,面,,,,@
    J1,1,3000000.000,38500000.000
    J2,1,3000000.000,38500100.000
    …
    J1,1,3000000.000,38500000.000

Each parcel has a header line ending in ``@`` (界址点数, 地块面积 in hectares, 地块编号,
地块名称, 图形属性, 图幅号, 地块用途, 地类编码) and then its points: name, ring number
(1 outer, 2 and up holes), **X the northing, Y the easting** (usually with the zone number in
front). Each ring repeats its first point. :func:`read_coordinate_txt` builds polygons in the
zone's CRS; :func:`write_coordinate_txt` writes any polygon layer back, so that reading what it
wrote returns the same vertices.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis.errors import HygisInputError, HygisOutputError
from hygis.io.gauss_kruger import GKZone, gk_crs, gk_systems, zone_of
from hygis.io.vertices import PARCEL_ID, PARCEL_NAME, POINT_COUNT, polygons_from_vertices, survey_axes
from hygis.io.write import atomic_path

#: Section names of the format.
HEADER_SECTION, PARCELS_SECTION = "[属性描述]", "[地块坐标]"

#: Fields of a parcel's header line, in the order the format gives them (then ``@``).
PARCEL_FIELDS = (
    POINT_COUNT,
    "地块面积",
    PARCEL_ID,
    PARCEL_NAME,
    "图形属性",
    "图幅号",
    "地块用途",
    "地类编码",
)

#: Text encodings tried in order when none is given; GB18030 reads GBK and GB2312.
ENCODINGS = ("utf-8-sig", "gb18030")

#: Attribute holding the ``[属性描述]`` entries of a file read.
HEADER_ATTR = "hygis_coordinate_header"

#: How far a parcel's stated area may differ from its drawn one before a note (relative).
AREA_TOLERANCE = 0.01

M2_PER_HA, M2_PER_MU = 10_000.0, 10_000.0 / 15


def is_coordinate_txt(path: str | os.PathLike) -> bool:
    """True where ``path`` is a text file with a ``[地块坐标]`` section (in UTF-8 or GBK)."""
    src = Path(path)
    if src.suffix.lower() != ".txt" or not src.is_file():
        return False
    head = src.read_bytes()[: 1 << 16]
    return any(PARCELS_SECTION.encode(enc) in head for enc in ("utf-8", "gb18030"))


def _decode(raw: bytes, encoding: str | None, source: str) -> str:
    for enc in (encoding,) if encoding else ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
        except LookupError:
            msg = f"{source}: '{encoding}' is not a text encoding Python knows; try GBK or UTF-8."
            raise HygisInputError(msg) from None
    msg = (
        f"{source}: the text is neither UTF-8 nor GBK{' nor ' + encoding if encoding else ''}. Save it as "
        "UTF-8 or GBK."
    )
    raise HygisInputError(msg)


def parse_coordinate_text(text: str, *, source: str) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame]:
    """Split the text into its header entries, its parcel header lines and its points.

    Returns
    -------
    (dict, DataFrame, DataFrame)
        ``{"坐标系": …, "带号": …}``; one row per parcel (:data:`PARCEL_FIELDS`);
        one row per point (parcel number, point, ring, x, y, line number).
    """
    lines = pd.Series(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    clean = lines.str.strip().str.replace("，", ",", regex=False)
    section = clean.where(clean.str.match(r"^\[.*\]$")).ffill().fillna("")
    head = clean[(section == HEADER_SECTION) & clean.str.contains("=", regex=False)]
    header = dict(head.str.split("=", n=1).map(lambda kv: (kv[0].strip(), kv[1].strip())).tolist())
    body = clean[(section == PARCELS_SECTION) & (clean != PARCELS_SECTION) & (clean != "")]
    if not len(body):
        msg = f"{source}: no {PARCELS_SECTION} section with coordinates. Is this a 坐标交换格式 file?"
        raise HygisInputError(msg)
    is_head = body.str.rstrip(",").str.endswith("@").to_numpy()
    if not is_head[0]:
        msg = (
            f"{source}: line {body.index[0] + 1} should be a parcel's header line ending in '@': "
            f"{body.iloc[0]!r}."
        )
        raise HygisInputError(msg)
    parcel_no = np.cumsum(is_head) - 1
    heads = body[is_head].str.rstrip(",").str[:-1].str.rstrip(",").str.split(",", expand=True)
    heads = heads.reindex(columns=range(len(PARCEL_FIELDS)), fill_value="").fillna("")
    heads.columns = list(PARCEL_FIELDS)
    heads = heads.apply(lambda c: c.str.strip()).reset_index(drop=True)
    pts = body[~is_head]
    parts = pts.str.split(",", expand=True)
    if parts.shape[1] < 4:
        msg = (
            f"{source}: point lines must read 'name,ring,X,Y', e.g. 'J1,1,3000000.000,38500000.000'; line "
            f"{pts.index[0] + 1} reads {pts.iloc[0]!r}."
        )
        raise HygisInputError(msg)
    points = pd.DataFrame(
        {
            "parcel": parcel_no[~is_head],
            "point": parts[0].str.strip(),
            "ring": pd.to_numeric(parts[1], errors="coerce"),
            "x": pd.to_numeric(parts[2], errors="coerce"),
            "y": pd.to_numeric(parts[3], errors="coerce"),
            "line": pts.index.to_numpy() + 1,
        }
    )
    bad = points[["ring", "x", "y"]].isna().any(axis=1).to_numpy()
    if bad.any():
        shown = "; ".join(
            f"line {n}: {pts.iloc[i]!r}" for n, i in zip(points["line"][bad][:6], np.flatnonzero(bad)[:6])
        )
        msg = (
            f"{source}: {int(bad.sum())} point line(s) without numbers for ring, X and Y ({shown}). Fix them."
        )
        raise HygisInputError(msg)
    return header, heads, points


def read_coordinate_txt(
    path: str | os.PathLike,
    *,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a 坐标交换格式 ``.txt`` into one polygon per parcel.

    Parameters
    ----------
    path : path-like
        The file (UTF-8 or GBK; several parcels; holes as rings 2 and up).
    crs : str, int or pyproj.CRS, optional
        The CRS, when the header and the eastings do not fix it. Default: from the header
        (坐标系, 几度分带, 带号) and the eastings' zone prefix, when they agree.
    encoding : str, optional
        Text encoding; default UTF-8, else GB18030 (which reads GBK).
    label : str, optional
        What the file is, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`PARCEL_FIELDS` (地块面积 as a number, as stated) and the polygons;
        ``attrs["hygis_notes"]`` says how the CRS was chosen and what was repaired, and
        ``attrs["hygis_coordinate_header"]`` holds the header.

    Raises
    ------
    HygisInputError
        With the file and the line, for anything that cannot be read as given.
    """
    src = Path(path)
    source = f"{label} file {src.name}" if label else src.name
    header, heads, points = parse_coordinate_text(_decode(src.read_bytes(), encoding, source), source=source)
    notes: list[str] = []
    unit = header.get("计量单位", "")
    if unit and unit.strip().lower() not in ("米", "m", "metre", "meter", "公尺"):
        msg = (
            f"{source}: 计量单位 = {unit}: hygis reads coordinates in metres (米). Convert the file, or give "
            "it as a table."
        )
        raise HygisInputError(msg)
    projection = header.get("投影类型", "")
    if crs is None and projection and "高斯" not in projection and "gauss" not in projection.lower():
        msg = f"{source}: 投影类型 = {projection}, not Gauss–Krüger: give the CRS with --crs (Python: crs=)."
        raise HygisInputError(msg)

    ids = heads[PARCEL_ID]
    unique = bool(ids.ne("").all() and not ids.duplicated().any())
    key = (
        ids.to_numpy()
        if unique
        else np.array([f"#{i + 1} ({v or 'no 地块编号'})" for i, v in enumerate(ids)])
    )
    east, north, axis_notes = survey_axes(points["x"].to_numpy(), points["y"].to_numpy(), source=source)
    notes += axis_notes
    found_ids, geoms, ring_notes = polygons_from_vertices(
        key[points["parcel"].to_numpy()], points["ring"].astype(int).to_numpy(), east, north, source=source
    )
    notes += ring_notes
    empty = np.setdiff1d(np.arange(len(heads)), np.unique(points["parcel"]))
    if len(empty):
        msg = (
            f"{source}: parcel(s) {', '.join(key[empty][:8])} have a header line but no points. Remove or "
            "complete them."
        )
        raise HygisInputError(msg)

    if crs is None:
        width = pd.to_numeric(header.get("几度分带", ""), errors="coerce")
        zone = pd.to_numeric(header.get("带号", ""), errors="coerce")
        crs, why = gk_crs(
            east,
            datum=header.get("坐标系") or None,
            width=None if np.isnan(width) else int(width),
            zone=None if np.isnan(zone) else int(zone),
            source=source,
        )
        notes.append(why)
    out = heads.copy()
    out["地块面积"] = pd.to_numeric(out["地块面积"], errors="coerce")
    gdf = gpd.GeoDataFrame(out, geometry=geoms[pd.Index(found_ids).get_indexer(key)], crs=crs)
    notes += _area_notes(gdf, key, source)
    gdf.attrs["hygis_notes"] = notes
    gdf.attrs[HEADER_ATTR] = header
    return gdf


def _area_notes(gdf: gpd.GeoDataFrame, key: np.ndarray, source: str) -> list[str]:
    """A note for each parcel whose stated 地块面积 matches its drawn area in no usual unit."""
    stated = gdf["地块面积"].to_numpy(dtype=float)
    drawn = shapely.area(gdf.geometry.to_numpy())
    ratios = np.stack([stated * M2_PER_HA, stated, stated * M2_PER_MU]) / np.where(drawn > 0, drawn, np.nan)
    agree = (np.abs(ratios - 1) <= AREA_TOLERANCE).any(axis=0)
    off = np.isfinite(stated) & (stated > 0) & ~agree
    return [
        f"{source}: parcel {k} states 地块面积 {s:g} but its points enclose {d / M2_PER_HA:.4f} ha; the "
        "points are used."
        for k, s, d in zip(key[off], stated[off], drawn[off])
    ]


def _datum_name(zone: GKZone) -> str:
    """The 坐标系 text surveyors write for a datum (its first name in data/gauss_kruger.json)."""
    return gk_systems()[zone.datum]["names"][0]


def write_coordinate_txt(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike,
    *,
    crs: str | int | CRS | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    decimals: int = 3,
    encoding: str = "gb18030",
) -> Path:
    """Write a polygon layer as a 坐标交换格式 ``.txt``, atomically.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        (Multi)polygons in any CRS.
    path : path-like
        The ``.txt`` to write (never an input file).
    crs : str, int or pyproj.CRS, optional
        A Gauss–Krüger CRS to write in (e.g. EPSG:4526). Default: the layer's own CRS if it
        is one, else the CGCS2000 3° zone (with zone prefix) whose central meridian is
        nearest the layer's centre.
    id_field, name_field : str, optional
        Columns for 地块编号 and 地块名称. Default: those columns if present, else the row
        number and nothing.
    decimals : int
        Decimals of the coordinates (3 = millimetres); 精度 in the header says the same.
    encoding : str
        GB18030 by default: byte for byte GBK for every character GBK has, which the
        Ministry's systems expect; ``"utf-8"`` on request.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    kinds = set(gdf.geom_type.dropna())
    if not len(gdf) or not kinds or kinds - {"Polygon", "MultiPolygon"}:
        msg = (
            f"{Path(path).name}: the 坐标交换格式 holds parcels (polygons); this layer has "
            f"{', '.join(sorted(kinds)) or 'no geometries'}."
        )
        raise HygisOutputError(msg)
    if gdf.crs is None:
        msg = (
            f"{Path(path).name}: the layer has no CRS, so its coordinates cannot be written as Gauss–Krüger "
            "metres."
        )
        raise HygisOutputError(msg)
    target = CRS.from_user_input(crs) if crs is not None else CRS(gdf.crs)
    zone = zone_of(target)
    if zone is None:
        if crs is not None:
            msg = (
                f"{Path(path).name}: {target.name} is not a Gauss–Krüger zone hygis knows; give one such as "
                "EPSG:4526."
            )
            raise HygisOutputError(msg)
        lon = float(gdf.to_crs(4490).union_all().centroid.x)
        zone = GKZone("CGCS2000", 3, round(lon / 3), True)
        target = zone.crs()
    geo = gdf.to_crs(target)
    geoms = geo.geometry.to_numpy()
    n = len(geo)
    ids = (
        geo[id_field].astype(str)
        if id_field
        else geo[PARCEL_ID].astype(str)
        if PARCEL_ID in geo
        else pd.Series(np.arange(1, n + 1)).astype(str)
    )
    names = (
        geo[name_field].astype(str)
        if name_field
        else geo[PARCEL_NAME].astype(str)
        if PARCEL_NAME in geo
        else pd.Series([""] * n)
    )
    extra = {f: geo[f].fillna("").astype(str) if f in geo else pd.Series([""] * n) for f in PARCEL_FIELDS[4:]}
    extra["图形属性"] = extra["图形属性"].replace("", "面")

    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_feature = part_of[ring_part]
    ring_no = pd.Series(ring_feature).groupby(ring_feature).cumcount().to_numpy() + 1
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(coords, decimals)
    closing = np.r_[vertex_ring[1:] != vertex_ring[:-1], True]
    feature = ring_feature[vertex_ring]
    number = pd.Series(~closing).groupby(feature).cumsum().to_numpy().copy()
    # The closing point repeats the ring's first point and its name.
    ring_start = np.r_[0, np.flatnonzero(closing)[:-1] + 1]
    number[closing] = number[ring_start]
    fmt = f"%.{decimals}f"
    point_lines = (
        "J"
        + pd.Series(number).astype(str)
        + ","
        + pd.Series(ring_no[vertex_ring]).astype(str)
        + ","
        + np.char.mod(fmt, coords[:, 1])
        + ","
        + np.char.mod(fmt, coords[:, 0])
    )
    counts = np.bincount(feature, minlength=n)
    area_ha = shapely.area(geoms) / M2_PER_HA

    def field(values: pd.Series) -> pd.Series:
        return (
            values.reset_index(drop=True)
            .str.replace(",", "，", regex=False)
            .str.replace("@", "＠", regex=False)
        )

    head_lines = (
        pd.Series(counts).astype(str)
        + ","
        + pd.Series(np.char.mod("%.4f", area_ha))
        + ","
        + field(ids)
        + ","
        + field(names)
        + ","
        + field(extra["图形属性"])
        + ","
        + field(extra["图幅号"])
        + ","
        + field(extra["地块用途"])
        + ","
        + field(extra["地类编码"])
        + ",@"
    )
    order = pd.DataFrame(
        {
            "feature": np.r_[np.arange(n), feature],
            "rank": np.r_[np.full(n, -1), np.arange(len(feature))],
            "text": np.r_[head_lines.to_numpy(dtype=object), point_lines.to_numpy(dtype=object)],
        }
    ).sort_values(["feature", "rank"], kind="stable")
    header = [
        HEADER_SECTION,
        "格式版本号=1.0",
        "数据产生单位=hygis",
        f"数据产生日期={_dt.date.today():%Y-%m-%d}",
        f"坐标系={_datum_name(zone)}",
        f"几度分带={zone.width}",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={zone.zone}",
        f"精度={10.0**-decimals:g}",
        "转换参数=,,,,,,",
        PARCELS_SECTION,
    ]
    text = "\n".join([*header, *order["text"].tolist()]) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode(encoding))
    return Path(path).resolve()
