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

As offices' files are: UTF-8, GBK or UTF-16 (Notepad's "Unicode"); the template's own wording
(坐标系=1980西安国家大地坐标系, 1954年北京坐标系) read in that datum with a warning that official
areas need CGCS2000; a ring ends where it returns to its first point, whatever its number; a
界址点数 that counts neither the point lines nor the distinct points, a 地块面积 the points do not
enclose (to the rounding written) and point numbers that jump (J3 then J5) are warned of, naming
the parcel and the line; a number that is not finite or is no coordinate (``inf``, ``1e300``) is
refused naming the line. Records sharing a 地块编号 are one parcel's parts, as hygis writes a
multi-part parcel: every reader of the format takes 圈号 2 and up as holes.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from hygis.errors import HygisInputError, HygisOutputError
from hygis.io.gauss_kruger import PREFIX_UNIT, GKZone, datum_note, gk_crs, gk_systems, zone_of
from hygis.io.vertices import (
    PARCEL_ID,
    PARCEL_NAME,
    POINT_COUNT,
    implausible,
    polygons_from_vertices,
    ring_numbers_ok,
    survey_axes,
)
from hygis.io.write import atomic_path
from hygis.messages import few, warn

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

#: How far a parcel's stated area may differ from its drawn one (plane or ellipsoidal) beyond the
#: rounding of the figure as written, relative: survey software's ellipsoidal methods differ by ~1e-5.
AREA_TOLERANCE = 2e-5

M2_PER_HA, M2_PER_MU = 10_000.0, 10_000.0 / 15


def _sniff_encoding(raw: bytes) -> str | None:
    """UTF-16 or UTF-32, by its byte-order mark or, without one, by its zero bytes; None otherwise.

    Notepad's "Unicode" is UTF-16 LE with a BOM; some exports drop the BOM. ASCII text in UTF-16
    has a zero byte beside every character, which GBK and UTF-8 text never has.
    """
    for bom, enc in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if raw.startswith(bom):
            return enc
    head = raw[:4096]
    if len(head) >= 4 and head.count(0) > len(head) // 4:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        return "utf-16-be" if even > odd else "utf-16-le"
    return None


def is_coordinate_txt(path: str | os.PathLike) -> bool:
    """True where ``path`` is a text file with a ``[地块坐标]`` section (UTF-8, GBK or UTF-16)."""
    src = Path(path)
    if src.suffix.lower() != ".txt" or not src.is_file():
        return False
    head = src.read_bytes()[: 1 << 16]
    sniffed = _sniff_encoding(head)
    if sniffed:
        return PARCELS_SECTION in head.decode(sniffed, errors="ignore")
    return any(PARCELS_SECTION.encode(enc) in head for enc in ("utf-8", "gb18030"))


def _decode(raw: bytes, encoding: str | None, source: str) -> str:
    sniffed = _sniff_encoding(raw) if encoding is None else None
    for enc in (encoding,) if encoding else (sniffed,) if sniffed else ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
        except LookupError:
            msg = f"{source}: '{encoding}' is not a text encoding Python knows; try GBK or UTF-8."
            raise HygisInputError(msg) from None
    msg = (
        f"{source}: the text is neither UTF-8 nor GBK nor UTF-16"
        f"{' nor ' + encoding if encoding else ''}. Save it as UTF-8 or GBK."
    )
    raise HygisInputError(msg)


def parse_coordinate_text(text: str, *, source: str) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame]:
    """Split the text into its header entries, its parcel header lines and its points.

    Returns
    -------
    (dict, DataFrame, DataFrame)
        ``{"坐标系": …, "带号": …}``; one row per parcel record (:data:`PARCEL_FIELDS` as
        written, and ``line``, its line number); one row per point (record number, point,
        ring, x, y, line number).

    Raises
    ------
    HygisInputError
        Naming the lines whose ring, X or Y is no number, not finite, or out of any
        Gauss–Krüger range (e.g. ``inf``, ``1e309``, ``1e300``).
    """
    lines = pd.Series(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    clean = lines.str.strip().str.replace("，", ",", regex=False).str.replace("\x00", "", regex=False)
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
    heads["line"] = body.index[is_head].to_numpy() + 1
    pts = body[~is_head]
    if not len(pts):
        msg = f"{source}: the {PARCELS_SECTION} section has parcel header lines but no point lines."
        raise HygisInputError(msg)
    parts = pts.str.split(",", expand=True).reindex(columns=range(4))
    points = pd.DataFrame(
        {
            "parcel": parcel_no[~is_head],
            "point": parts[0].fillna("").str.strip(),
            "ring": pd.to_numeric(parts[1], errors="coerce"),
            "x": pd.to_numeric(parts[2], errors="coerce"),
            "y": pd.to_numeric(parts[3], errors="coerce"),
            "line": pts.index.to_numpy() + 1,
        }
    )
    bad = implausible(points["x"].to_numpy(), points["y"].to_numpy()) | ~ring_numbers_ok(points["ring"])
    if bad.any():
        shown = "; ".join(
            f"line {n}: {pts.iloc[i]!r}" for n, i in zip(points["line"][bad][:6], np.flatnonzero(bad)[:6])
        )
        msg = (
            f"{source}: {int(bad.sum())} point line(s) without usable numbers ({shown}). A point line reads "
            "点号,圈号,X,Y: 圈号 a whole number, X the northing and Y the easting in metres (e.g. "
            "'J1,1,2971000.000,37556500.000'). Fix them."
        )
        raise HygisInputError(msg)
    points["ring"] = points["ring"].astype(int)
    return header, heads, points


def _count_notes(heads: pd.DataFrame, points: pd.DataFrame, label: np.ndarray, source: str) -> list[str]:
    """A note for each record whose 界址点数 is no count, or matches neither count of its points.

    Producers count the point lines (the closing repeats included, as the template's example and
    hygis do) or the distinct points; either is accepted. Anything else means a point line was
    lost or added, or the header is wrong: the area drawn may not be the surveyed one.
    """
    n = len(heads)
    given = pd.to_numeric(heads[POINT_COUNT], errors="coerce").to_numpy(dtype=float)
    lines = np.bincount(points["parcel"].to_numpy(), minlength=n)
    distinct = (
        points.drop_duplicates(["parcel", "x", "y"])["parcel"].value_counts().reindex(range(n), fill_value=0)
    ).to_numpy()
    notes = []
    for i in range(n):
        raw, where = heads[POINT_COUNT].iloc[i], f"parcel {label[i]} (line {heads['line'].iloc[i]})"
        g = given[i]
        if not (np.isfinite(g) and g > 0 and g == round(g)):
            notes.append(
                f"{source}: {where}: 界址点数 {raw!r} is not a count of points; {lines[i]} point lines "
                "follow and are used. Check the parcel against its survey."
            )
        elif g not in (lines[i], distinct[i]):
            notes.append(
                f"{source}: {where}: 界址点数 says {int(g)} but {lines[i]} point lines follow "
                f"({distinct[i]} distinct points): a point line may have been lost or added, so the area "
                "drawn may not be the surveyed one. Check the parcel against its survey."
            )
    return notes


def read_coordinate_txt(
    path: str | os.PathLike,
    *,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a 坐标交换格式 ``.txt`` into one polygon per parcel.

    Records that share a 地块编号 are one parcel of several parts (as :func:`write_coordinate_txt`
    writes a multi-part parcel: one record per part); records without a 地块编号 stay apart.

    Parameters
    ----------
    path : path-like
        The file (UTF-8, GBK or UTF-16; several parcels; holes as rings 2 and up).
    crs : str, int or pyproj.CRS, optional
        The CRS, when the header and the eastings do not fix it. Default: from the header
        (坐标系, 几度分带, 带号) and the eastings' zone prefix, when they agree.
    encoding : str, optional
        Text encoding; default UTF-16 when the file has its byte-order mark (or its zero
        bytes), else UTF-8, else GB18030 (which reads GBK).
    label : str, optional
        What the file is, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`PARCEL_FIELDS` (地块面积 as a number, as stated) and the polygons;
        ``attrs["hygis_notes"]`` says how the CRS was chosen and what was repaired or is
        doubtful (a 界址点数 that does not match the points, a datum other than CGCS2000), and
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

    empty = np.setdiff1d(np.arange(len(heads)), np.unique(points["parcel"]))
    if len(empty):
        msg = (
            f"{source}: parcel record(s) on line(s) {few(heads['line'].to_numpy()[empty])} have a header "
            "line but no points. Remove or complete them."
        )
        raise HygisInputError(msg)
    ids = heads[PARCEL_ID]
    # A parcel is its 地块编号; records sharing one are its parts. A record without one stands alone.
    key = np.where(ids.ne(""), ids, [f"#{i + 1} (no 地块编号)" for i in range(len(ids))])
    repeated = pd.Series(key).duplicated(keep=False).to_numpy()
    record = np.where(repeated, [f"{k} (line {line})" for k, line in zip(key, heads["line"])], key).astype(
        object
    )
    notes += _count_notes(heads, points, record, source)
    east, north, axis_notes = survey_axes(points["x"].to_numpy(), points["y"].to_numpy(), source=source)
    notes += axis_notes
    found, record_geoms, ring_notes = polygons_from_vertices(
        record[points["parcel"].to_numpy()],
        points["ring"].to_numpy(),
        east,
        north,
        source=source,
        lines=points["line"].to_numpy(),
        points=points["point"].to_numpy(),
    )
    notes += ring_notes
    record_geoms = record_geoms[pd.Index(found).get_indexer(record)]

    out = heads.drop(columns="line")
    stated = pd.to_numeric(out["地块面积"], errors="coerce")
    odd = out["地块面积"].ne("") & stated.isna()
    notes += [
        f"{source}: parcel {r} (line {line}): 地块面积 {a!r} is not a number; the area is taken from the "
        "points."
        for r, line, a in zip(record[odd], heads["line"][odd], out["地块面积"][odd])
    ]
    out["地块面积"] = stated
    geoms = record_geoms.copy()
    for k in pd.unique(key[repeated]):
        rows = np.flatnonzero(key == k)
        parts = shapely.get_parts(record_geoms[rows])
        copy = np.array(
            [any(shapely.equals(parts[i], parts[j]) for j in range(i)) for i in range(len(parts))]
        )
        geoms[rows[0]] = parts[~copy][0] if (~copy).sum() == 1 else shapely.multipolygons(parts[~copy])
        out.loc[rows[0], "地块面积"] = stated.iloc[rows].sum(min_count=len(rows))
        counts = pd.to_numeric(out[POINT_COUNT].iloc[rows], errors="coerce")
        out.loc[rows[0], POINT_COUNT] = str(int(counts.sum())) if counts.notna().all() else ""
        said = f"{source}: parcel {k} is given in {len(rows)} records (lines {few(heads['line'].iloc[rows])})"
        notes.append(
            f"{said}; read as one parcel of {int((~copy).sum())} part(s)"
            + (f", {int(copy.sum())} repeated part(s) read once." if copy.any() else ".")
        )
    first = ~pd.Series(key).duplicated().to_numpy()
    out, geoms = out[first].reset_index(drop=True), geoms[first]

    if crs is None:
        stated_zone: dict[str, int | None] = {}
        for entry in ("几度分带", "带号"):
            given = header.get(entry, "")
            value = pd.to_numeric(given, errors="coerce")
            if given and not (np.isfinite(value) and 0 < value < 1000 and value == round(value)):
                msg = (
                    f"{source}: {entry} = {given!r} is not a zone width or zone number (几度分带 3 or 6, "
                    "带号 e.g. 38). Correct the header, or give the CRS with --crs (Python: crs=)."
                )
                raise HygisInputError(msg)
            stated_zone[entry] = int(value) if given else None
        crs, why = gk_crs(
            east,
            datum=header.get("坐标系") or None,
            width=stated_zone["几度分带"],
            zone=stated_zone["带号"],
            source=source,
        )
        notes.append(why)
    gk = zone_of(CRS.from_user_input(crs))
    datum = datum_note(gk.datum, source=source, parameters=header.get("转换参数", "")) if gk else None
    if datum:
        notes.append(datum)
    gdf = gpd.GeoDataFrame(out, geometry=geoms, crs=crs)
    notes += _area_notes(
        heads["地块面积"], record_geoms, CRS(gdf.crs), record, heads["line"].to_numpy(), source
    )
    gdf.attrs["hygis_notes"] = notes
    gdf.attrs[HEADER_ATTR] = header
    return gdf


def _area_notes(
    stated: pd.Series, geoms: np.ndarray, crs: CRS, record: np.ndarray, lines: np.ndarray, source: str
) -> list[str]:
    """A note for each record whose stated 地块面积 matches its drawn area in no usual unit or method.

    The stated figure is compared in 公顷, m² and 亩 with the points' plane area and their
    ellipsoidal area, allowing the rounding of the figure as written (``6.5`` ± 0.05) and
    :data:`AREA_TOLERANCE`: a point line lost, added or mistyped shows here even when 界址点数
    cannot tell (a file counting distinct points).
    """
    value = pd.to_numeric(stated, errors="coerce").to_numpy(dtype=float)
    text = stated.astype(str).str.strip()
    decimals = text.str.extract(r"\.(\d+)$")[0].str.len().fillna(0).to_numpy(dtype=float)
    half = 0.5 * 10.0**-decimals
    planar = shapely.area(geoms)
    ellipsoidal = _ellipsoidal_m2(geoms, crs)
    agree = np.zeros(len(value), dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):  # a stated 1e300 is simply off, not an error
        for unit in (M2_PER_HA, 1.0, M2_PER_MU):
            for drawn in (planar, ellipsoidal):
                agree |= np.abs(value * unit - drawn) <= half * unit + AREA_TOLERANCE * drawn
    off = np.isfinite(value) & (value > 0) & ~agree
    return [
        f"{source}: parcel {k} (line {line}) states 地块面积 {t} but its points enclose "
        f"{d / M2_PER_HA:.4f} ha ({e / M2_PER_HA:.4f} ha on the ellipsoid): a point line may be lost, "
        "added or mistyped, or the figure is wrong; the points are used."
        for k, line, t, d, e in zip(record[off], lines[off], text[off], planar[off], ellipsoidal[off])
    ]


def _datum_name(zone: GKZone) -> str:
    """The 坐标系 text surveyors write for a datum (its first name in data/gauss_kruger.json)."""
    return gk_systems()[zone.datum]["names"][0]


@functools.lru_cache(maxsize=32)
def _to_lonlat(wkt: str) -> Transformer:
    """From a projected CRS to its own geographic CRS (no datum change), x = longitude; kept per CRS."""
    crs = CRS.from_wkt(wkt)
    return Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)


def _ellipsoidal_m2(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Area (m²) of each (multi)polygon on its datum's ellipsoid, by geodesic edges (Karney, ``pyproj.Geod``).

    The same 椭球面积 as :mod:`hygis.engine.area` (which io may not import) to ~1e-8 on
    parcel-sized polygons: see that module's measurements.
    """
    geodetic = crs.geodetic_crs
    ellipsoid = geodetic.ellipsoid if geodetic is not None else None
    if geodetic is None or ellipsoid is None:  # pragma: no cover - every Gauss–Krüger CRS has both
        return shapely.area(geoms)
    geod = Geod(a=ellipsoid.semi_major_metre, rf=ellipsoid.inverse_flattening)
    to_lonlat = _to_lonlat(crs.to_wkt())
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    lon, lat = to_lonlat.transform(coords[:, 0], coords[:, 1])
    cut = np.flatnonzero(np.diff(ring_of)) + 1
    ring_area = np.array(
        [abs(geod.polygon_area_perimeter(a, b)[0]) for a, b in zip(np.split(lon, cut), np.split(lat, cut))]
    )
    # The first ring of each polygon is its shell; the others are holes.
    shell = np.r_[True, ring_part[1:] != ring_part[:-1]]
    signed = np.where(shell, ring_area, -ring_area) if len(ring_area) else np.zeros(0)
    return np.bincount(owner[ring_part], weights=signed, minlength=len(geoms))


def _write_zone(gdf: gpd.GeoDataFrame, crs: str | int | CRS | None, name: str) -> tuple[GKZone, np.ndarray]:
    """The zone to write in (always with the zone number in front) and the geometries in it.

    A layer in a zone's central-meridian CRS (EPSG:4534–4554 …) is written in the same zone with
    the prefix: the eastings gain the zone number × 10⁶ exactly, nothing is reprojected.
    """
    target = CRS.from_user_input(crs) if crs is not None else CRS(gdf.crs)
    zone = zone_of(target)
    if zone is None:
        if crs is not None:
            msg = f"{name}: {target.name} is not a Gauss–Krüger zone hygis knows; give one such as EPSG:4526."
            raise HygisOutputError(msg)
        lon = float(gdf.to_crs(4490).union_all().centroid.x)
        zone = GKZone("CGCS2000", 3, round(lon / 3), True)
    zone = GKZone(zone.datum, zone.width, zone.zone, True)
    out = zone.crs()
    own = zone_of(CRS(gdf.crs))
    geoms = gdf.geometry.to_numpy()
    if own == zone:
        return zone, geoms
    if own is not None and (own.datum, own.width, own.zone) == (zone.datum, zone.width, zone.zone):
        shift = zone.zone * PREFIX_UNIT
        return zone, shapely.transform(geoms, lambda xy: xy + [shift, 0.0])
    return zone, gdf.to_crs(out).geometry.to_numpy()


def _outside_zone(parts: np.ndarray, labels: np.ndarray, zone: GKZone, name: str) -> str | None:
    """A warning naming the parcels that reach beyond the zone's meridians, or None."""
    to_lonlat = _to_lonlat(zone.crs().to_wkt())
    coords, part = shapely.get_coordinates(parts, return_index=True)
    lon, _ = to_lonlat.transform(coords[:, 0], coords[:, 1])
    half = zone.width / 2
    off = np.abs(np.asarray(lon) - zone.central_meridian) - half
    # Beyond the edge by more than ~1 m of longitude: an edge parcel's rounding is not "outside".
    far = pd.Series(off).groupby(part).max().to_numpy()
    bad = far > 1e-5
    if not bad.any():
        return None
    cm = zone.central_meridian
    return (
        f"{name}: parcel(s) {few(pd.unique(labels[bad]))} lie partly outside {zone.describe()} "
        f"({cm - half:g}–{cm + half:g}°E), by up to {far.max():.3f}°; written in that zone all the same, "
        "where the projection's scale error grows. Write them in their own zone with crs= (e.g. the next "
        "zone's EPSG code) if the recipient expects that."
    )


def write_coordinate_txt(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike,
    *,
    crs: str | int | CRS | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    decimals: int = 3,
    encoding: str = "gb18030",
    area: str = "ellipsoidal",
) -> Path:
    """Write a polygon layer as a 坐标交换格式 ``.txt``, atomically, as the Ministry's template has it.

    Each polygon is one 地块 record: a multi-part feature is written as one record per part (all
    with the feature's 地块编号 and 地块名称; :func:`read_coordinate_txt` reads them back as one
    parcel), because every reader of the format takes 圈号 1 as the shell and 圈号 2 and up as
    its holes. Eastings always carry the zone number in front, as ``带号`` says.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        (Multi)polygons in any CRS. Rows without a geometry are left out (warned).
    path : path-like
        The ``.txt`` to write (never an input file).
    crs : str, int or pyproj.CRS, optional
        A Gauss–Krüger CRS to write in (e.g. EPSG:4525); one without the zone prefix (e.g.
        EPSG:4546) means the same zone with it. Default: the layer's own zone if it is in
        one, else the CGCS2000 3° zone whose central meridian is nearest the layer's centre.
        A parcel reaching beyond the zone's meridians is written in it all the same, with a
        warning naming it.
    id_field, name_field : str, optional
        Columns for 地块编号 and 地块名称. Default: those columns if present, else the row
        number and 地块1, 地块2, … (the template's naming; some readers refuse an empty name).
    decimals : int
        Decimals of the coordinates (3 = millimetres); 精度 in the header says the same.
    encoding : str
        GB18030 by default: byte for byte GBK for every character GBK has, which the
        Ministry's systems expect; ``"utf-8"`` on request.
    area : {"ellipsoidal", "planar"}
        What 地块面积 (公顷, 4 decimals) holds. ``"ellipsoidal"`` (default): the area on the
        datum's ellipsoid (椭球面积), the figure hygis's reports give for the same land, so that
        the file and the report agree. ``"planar"``: the Gauss–Krüger plane area of the
        written points (坐标解析法, as a surveyor's 勘测定界 computes it). The two differ by
        the projection's scale error (~1e-4 near the central meridian, ~1e-3 at a 3° zone's
        edge); where that shows in the 4 decimals a warning says which one was written.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    name = Path(path).name
    if area not in ("ellipsoidal", "planar"):
        msg = f"{name}: area must be 'ellipsoidal' (椭球面积) or 'planar', not {area!r}."
        raise HygisOutputError(msg)
    geoms_in = gdf.geometry.to_numpy() if len(gdf) else np.zeros(0, dtype=object)
    present = ~(shapely.is_missing(geoms_in) | shapely.is_empty(geoms_in))
    kinds = set(gdf.geom_type[present]) if len(gdf) else set()
    if not present.any() or kinds - {"Polygon", "MultiPolygon"}:
        msg = (
            f"{name}: the 坐标交换格式 holds parcels (polygons); this layer has "
            f"{', '.join(sorted(kinds)) or 'no geometries'}."
        )
        raise HygisOutputError(msg)
    if gdf.crs is None:
        msg = f"{name}: the layer has no CRS, so its coordinates cannot be written as Gauss–Krüger metres."
        raise HygisOutputError(msg)
    n_all = len(gdf)
    ids_all = (
        gdf[id_field]
        if id_field
        else gdf[PARCEL_ID]
        if PARCEL_ID in gdf
        else pd.Series(np.arange(1, n_all + 1), index=gdf.index)
    )
    ids_all = ids_all.astype(object).where(ids_all.notna(), "").astype(str).str.strip().to_numpy()
    ids_all = np.where(ids_all == "", np.arange(1, n_all + 1).astype(str), ids_all)
    if not present.all():
        warn(
            f"{name}: {int((~present).sum())} feature(s) without a geometry left out (地块编号 "
            f"{few(ids_all[~present])})."
        )
    geo = gdf[present]
    zone, geoms = _write_zone(geo, crs, name)
    n = len(geo)
    ids = ids_all[present]
    names = geo[name_field] if name_field else geo[PARCEL_NAME] if PARCEL_NAME in geo else pd.Series([""] * n)
    names = names.astype(object).where(names.notna(), "").astype(str).str.strip().to_numpy()
    names = np.where(names == "", [f"地块{i}" for i in range(1, n + 1)], names)
    extra = {
        f: geo[f].astype(object).where(geo[f].notna(), "").astype(str).to_numpy()
        if f in geo
        else np.full(n, "")
        for f in PARCEL_FIELDS[4:]
    }
    extra["图形属性"] = np.where(extra["图形属性"] == "", "面", extra["图形属性"])

    # One record per polygon part; ring 1 its shell, 2 and up its holes.
    parts, record_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_no = pd.Series(ring_part).groupby(ring_part).cumcount().to_numpy() + 1
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(coords, decimals)
    closing = np.r_[vertex_ring[1:] != vertex_ring[:-1], True]
    part = ring_part[vertex_ring]
    number = pd.Series(~closing).groupby(part).cumsum().to_numpy().copy()
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
    n_parts = len(parts)
    counts = np.bincount(part, minlength=n_parts)
    planar = shapely.area(parts)
    m2 = _ellipsoidal_m2(parts, zone.crs()) if area == "ellipsoidal" else planar
    labels = ids[record_of]
    shown = np.round(m2 / M2_PER_HA, 4) != np.round(planar / M2_PER_HA, 4)
    if area == "ellipsoidal" and shown.any():
        warn(
            f"{name}: 地块面积 is written as the ellipsoidal area (椭球面积, 公顷) — the figure hygis's "
            f"reports give — for parcel(s) {few(pd.unique(labels[shown]))}, whose plane area in "
            f"{zone.describe()} differs by up to {np.max(np.abs(m2 - planar)[shown]) / M2_PER_HA:.4f} ha "
            "(the projection's scale error). Pass area='planar' for the plane area (坐标解析法)."
        )
    beyond = _outside_zone(parts, labels, zone, name)
    if beyond:
        warn(beyond)

    def field(values: np.ndarray) -> pd.Series:
        return (
            pd.Series(values[record_of], dtype=object)
            .astype(str)
            .str.replace(",", "，", regex=False)
            .str.replace("@", "＠", regex=False)
            .str.replace(r"[\r\n]+", " ", regex=True)
        )

    head_lines = (
        pd.Series(counts).astype(str)
        + ","
        + pd.Series(np.char.mod("%.4f", m2 / M2_PER_HA))
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
            "part": np.r_[np.arange(n_parts), part],
            "rank": np.r_[np.full(n_parts, -1), np.arange(len(part))],
            "text": np.r_[head_lines.to_numpy(dtype=object), point_lines.to_numpy(dtype=object)],
        }
    ).sort_values(["part", "rank"], kind="stable")
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
