"""Reading planners' vector files and writing hygis's outputs.

Everything that enters hygis from a file passes through :func:`read_vector`, which
settles the questions Chinese planning data raises: the text encoding of Shapefiles
(GBK without a ``.cpg``), a missing or implausible CRS, GCJ-02 offsets, swapped
latitude/longitude, Z coordinates, invalid, empty and mixed geometries. Each fix it makes
is recorded as a note in ``gdf.attrs["hygis_notes"]`` so that reports can list it.

Everything hygis writes goes through :func:`write_vector`, :func:`write_layers` or
:func:`write_table`: to a temporary file beside the target, renamed into place only when
complete, and never onto a file hygis has read as an input.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from . import crs as hcrs
from . import gcj02
from .errors import HygisInputError, HygisOutputError
from .settings import DBF_FALLBACK_ENCODINGS

log = logging.getLogger("hygis")

#: File suffixes read as vector data, in the order a folder or zip is searched.
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".parquet", ".geoparquet", ".gml", ".kml", ".tab")
#: Table suffixes read as points from coordinate columns.
TABLE_SUFFIXES = (".csv", ".xlsx", ".xls")
#: Column names recognised as x / y in tables (lower-cased).
X_COLUMNS = ("lon", "lng", "longitude", "x", "经度", "东坐标", "easting")
Y_COLUMNS = ("lat", "latitude", "y", "纬度", "北坐标", "northing")

#: Geometry families; make-valid output is reduced to the family of the input.
_FAMILY = {
    "Point": "point", "MultiPoint": "point",
    "LineString": "line", "MultiLineString": "line", "LinearRing": "line",
    "Polygon": "polygon", "MultiPolygon": "polygon",
}

_TYPE_NAMES = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection")

# Paths hygis has read in this process: outputs may never replace them.
_INPUT_PATHS: set[Path] = set()

NOTES_ATTR = "hygis_notes"

# Temporary column holding each feature's original position while geometries are cleaned.
_POS = "__hygis_position"


# --------------------------------------------------------------------------- reading
def read_vector(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    crs: str | int | CRS | None = None,
    gcj02_input: bool = False,
    swap_xy: bool = False,
    encoding: str | None = None,
    geometry: str = "any",
    id_field: str | None = None,
    label: str | None = None,
    keep_unlocated: bool = False,
    override_crs: bool = False,
) -> gpd.GeoDataFrame:
    """Read a planner's vector file, checked and repaired, in its own CRS.

    Parameters
    ----------
    path : path-like
        A file in any GDAL vector format (Shapefile, GeoPackage, GeoJSON, FlatGeobuf,
        GeoParquet, …), a folder or ``.zip`` holding one such dataset, or a ``.csv`` /
        ``.xlsx`` table with longitude/latitude (or x/y) columns, read as points.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage). Default: the only layer, else an error
        that lists them.
    crs : str, int or pyproj.CRS, optional
        The CRS of a file that has none. Without it, a file with no CRS is an error: hygis
        never guesses. A file that has its own CRS keeps it (with a note), unless ``override_crs``.
    gcj02_input : bool
        The coordinates come from Amap/Gaode or Tencent (GCJ-02): correct them to WGS 84.
    swap_xy : bool
        The file has latitude where longitude belongs; swap the axes.
    encoding : str, optional
        Text encoding of attributes. Default: the ``.cpg`` if any, else detected (UTF-8 or GBK).
    geometry : {"any", "polygon", "line", "point"}
        The geometry family the caller needs; features of other families are dropped and noted.
    id_field : str, optional
        Attribute that names features in notes and errors (default: feature number).
    label : str, optional
        What the file is, for messages (e.g. "permanent farmland").
    keep_unlocated : bool
        Keep features without a geometry (e.g. projects whose coordinates are blank) with an
        empty geometry and a note, so that a report can list them as not located. At least
        one feature must still have a geometry.
    override_crs : bool
        Replace a CRS the file declares by ``crs`` (for a file known to be mislabelled).

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's CRS (or ``crs``; WGS 84 after a GCJ-02 correction), with 2D valid
        non-empty geometries; ``attrs["hygis_notes"]`` lists every repair made.

    Raises
    ------
    HygisInputError
        With the file, the feature and the fix, for anything that cannot be read as given.
    """
    src = Path(path).expanduser()
    name = f"{label} file {src.name}" if label else src.name
    if not src.exists():
        msg = f"{name}: file not found: {src}. Check the path (relative paths start from {Path.cwd()})."
        raise HygisInputError(msg)
    _INPUT_PATHS.update(_companions(src))

    target, enc = _resolve_dataset(src, encoding)
    suffix = Path(target.split("/vsizip/")[-1]).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        gdf = _read_table_points(Path(target), name)
    else:
        gdf = _read_gdal(target, src, layer, enc, name)

    notes: list[str] = []
    if enc and enc.lower() not in ("utf-8", "utf8"):
        notes.append(f"{name}: attributes decoded as {enc} (no .cpg file said which encoding).")

    user_crs = hcrs.parse_crs(crs) if crs is not None else None
    if user_crs is not None:
        if gdf.crs is None:
            gdf = gdf.set_crs(user_crs)
        elif not CRS(gdf.crs).equals(user_crs):
            if override_crs:
                notes.append(f"{name}: CRS {hcrs.describe(gdf.crs)} in the file replaced by {hcrs.describe(user_crs)} as asked.")
                gdf = gdf.set_crs(user_crs, allow_override=True)
            else:
                notes.append(f"{name}: the file declares {hcrs.describe(gdf.crs)}; kept (--crs only fills in a missing CRS).")
    if gdf.crs is None:
        bounds = gdf.total_bounds if len(gdf) else [np.nan] * 4
        msg = (
            f"{name}: the file has no coordinate reference system (for a Shapefile: no .prj). "
            f"{hcrs.guess_crs_hint(bounds)} Give it with --crs (Python: crs=...); hygis does not guess."
        )
        raise HygisInputError(msg)

    if swap_xy:
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda c: c[:, ::-1]), crs=gdf.crs)
        notes.append(f"{name}: x and y swapped as asked (--swap-xy).")

    gdf, geom_notes = clean_geometries(gdf, label=name, geometry=geometry, id_field=id_field, keep_unlocated=keep_unlocated)
    notes.extend(geom_notes)
    if not gdf.geometry.notna().any():
        msg = f"{name}: no features with a usable geometry in {src}. " + (" ".join(geom_notes) or "The file is empty.")
        raise HygisInputError(msg)

    check_coordinates(gdf, name)

    if gcj02_input:
        if not hcrs.is_geographic(gdf.crs):
            msg = (
                f"{name}: --gcj02 corrects longitude/latitude copied from Amap/Gaode or Tencent maps, but this file "
                f"is in the projected CRS {hcrs.describe(gdf.crs)}. Drop --gcj02, or give the lon/lat file."
            )
            raise HygisInputError(msg)
        gdf = gdf.set_geometry(gcj02.geometries_gcj02_to_wgs84(gdf.geometry.values), crs=hcrs.WGS84)
        notes.append(f"{name}: coordinates corrected from GCJ-02 (Amap/Tencent) to WGS 84 (about 650 m in Hengyang).")

    for note in notes:
        log.warning(note)
    gdf.attrs[NOTES_ATTR] = notes
    gdf.attrs["hygis_source"] = str(src)
    return gdf


def register_inputs(paths) -> None:
    """Record files (and a Shapefile's sidecars) as inputs that no output may replace."""
    for path in paths:
        _INPUT_PATHS.update(_companions(Path(path).expanduser()))


def _companions(src: Path) -> set[Path]:
    """The file and, for a Shapefile, its sidecar files: all are inputs hygis must not overwrite."""
    out = {src.resolve()}
    if src.suffix.lower() == ".shp":
        for ext in (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx"):
            for cand in (src.with_suffix(ext), src.with_suffix(ext.upper())):
                out.add(cand.resolve())
    return out


def _resolve_dataset(src: Path, encoding: str | None) -> tuple[str, str | None]:
    """Find the dataset in a folder or zip, and the attribute encoding of a Shapefile."""
    if src.is_dir():
        found = sorted(p for p in src.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES + TABLE_SUFFIXES)
        if src.suffix.lower() == ".gdb":
            return str(src), encoding
        if len(found) != 1:
            listing = ", ".join(p.name for p in found) or "no vector file"
            msg = f"{src}: a folder must hold exactly one vector dataset; found {listing}. Give the file itself."
            raise HygisInputError(msg)
        return _resolve_dataset(found[0], encoding)
    if src.suffix.lower() == ".zip":
        with zipfile.ZipFile(src) as zf:
            members = [m for m in zf.namelist() if Path(m).suffix.lower() in VECTOR_SUFFIXES]
            if len(members) != 1:
                listing = ", ".join(members) or "no vector file"
                msg = f"{src}: a zip must hold exactly one vector dataset; found {listing}. Unzip it and give the file."
                raise HygisInputError(msg)
            member = members[0]
            enc = encoding
            if enc is None and member.lower().endswith(".shp"):
                stem = member[:-4]
                names = {n.lower(): n for n in zf.namelist()}
                cpg = names.get(f"{stem}.cpg".lower())
                dbf = names.get(f"{stem}.dbf".lower())
                if cpg is None and dbf is not None:
                    enc = detect_dbf_encoding(zf.read(dbf))
        return f"/vsizip/{src}/{member}", enc
    enc = encoding
    if enc is None and src.suffix.lower() == ".shp":
        cpg = next((p for p in (src.with_suffix(".cpg"), src.with_suffix(".CPG")) if p.exists()), None)
        dbf = next((p for p in (src.with_suffix(".dbf"), src.with_suffix(".DBF")) if p.exists()), None)
        if cpg is None and dbf is not None:
            enc = detect_dbf_encoding(dbf.read_bytes())
    return str(src), enc


def detect_dbf_encoding(dbf: bytes) -> str | None:
    """Detect the text encoding of a dBASE (.dbf) file's records.

    Returns ``None`` where the records are plain ASCII (any encoding reads them), else the
    first of UTF-8 and GB18030 (a superset of GBK/GB2312) that decodes every record.

    Parameters
    ----------
    dbf : bytes
        The whole .dbf file.
    """
    if len(dbf) < 32:
        return None
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    body = dbf[header_len : header_len + n_records * record_len]
    if body.isascii():
        return None
    for enc in DBF_FALLBACK_ENCODINGS:
        try:
            body.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc.upper()
    return None


def _read_gdal(target: str, src: Path, layer: str | None, encoding: str | None, name: str) -> gpd.GeoDataFrame:
    suffix = src.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(target)
        if layer is None:
            layers = pyogrio.list_layers(target)
            if len(layers) > 1:
                spatial = [str(row[0]) for row in layers if row[1] is not None]
                if len(spatial) != 1:
                    msg = f"{name}: {src.name} holds several layers ({', '.join(map(str, layers[:, 0]))}). Say which with --layer."
                    raise HygisInputError(msg)
                layer = spatial[0]
        kwargs = {"encoding": encoding} if encoding else {}
        return gpd.read_file(target, layer=layer, engine="pyogrio", **kwargs)
    except HygisInputError:
        raise
    except Exception as exc:
        msg = f"{name}: cannot read {src} as vector data ({exc}). Is it a complete Shapefile (.shp, .shx, .dbf), GeoPackage or GeoJSON?"
        raise HygisInputError(msg) from None


def _read_table_points(path: Path, name: str) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path, encoding="utf-8-sig") if path.suffix.lower() == ".csv" else pd.read_excel(path)
    except UnicodeDecodeError:
        df = pd.read_csv(path, encoding="gb18030")
    except Exception as exc:
        msg = f"{name}: cannot read the table {path} ({exc})."
        raise HygisInputError(msg) from None
    lower = {str(c).strip().lower(): c for c in df.columns}
    xcol = next((lower[c] for c in X_COLUMNS if c in lower), None)
    ycol = next((lower[c] for c in Y_COLUMNS if c in lower), None)
    if xcol is None or ycol is None:
        msg = (
            f"{name}: the table {path.name} needs coordinate columns: one of {', '.join(X_COLUMNS)} and one of "
            f"{', '.join(Y_COLUMNS)}; it has {', '.join(map(str, df.columns))}."
        )
        raise HygisInputError(msg)
    x = pd.to_numeric(df[xcol], errors="coerce")
    y = pd.to_numeric(df[ycol], errors="coerce")
    geom = gpd.points_from_xy(x, y)
    geom = np.where(x.isna() | y.isna(), None, geom)
    return gpd.GeoDataFrame(df, geometry=list(geom), crs=None)


def feature_labels(gdf: gpd.GeoDataFrame, id_field: str | None = None) -> np.ndarray:
    """Human labels for features in messages: the id attribute, else ``feature #n`` (1-based)."""
    numbers = np.array([f"feature #{i + 1}" for i in range(len(gdf))], dtype=object)
    if id_field and id_field in gdf.columns:
        ids = gdf[id_field].astype(str).to_numpy(dtype=object)
        return np.array([f"{numbers[i]} ({id_field}={ids[i]})" for i in range(len(gdf))], dtype=object)
    return numbers


def clean_geometries(
    gdf: gpd.GeoDataFrame, *, label: str, geometry: str = "any", id_field: str | None = None,
    keep_unlocated: bool = False,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Drop Z, repair invalid geometries, drop empty ones and those of the wrong family.

    With ``keep_unlocated``, features without a geometry are kept (geometry None) and noted
    instead of dropped, in their original order.

    Repairs follow OGC make-valid semantics, as PostGIS ``ST_MakeValid`` (shapely's
    ``make_valid``, "linework" method): nothing is moved, self-intersections are split.
    Where a repair yields a collection, the parts of the input's family are kept.

    Returns
    -------
    (GeoDataFrame, list of str)
        The cleaned frame and one note per change, naming the feature.
    """
    notes: list[str] = []
    gdf = gdf.copy()
    gdf[_POS] = np.arange(len(gdf))  # to put kept unlocated features back in their place
    geoms = gdf.geometry.values
    labels = feature_labels(gdf, id_field)

    missing = shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms))
    unlocated = gdf.iloc[0:0]
    if missing.any() and keep_unlocated:
        notes.append(f"{label}: {int(missing.sum())} feature(s) have no geometry (blank coordinates?): kept and "
                     f"reported as not located: {_few(labels[missing])}.")
        unlocated = gdf[missing].set_geometry([None] * int(missing.sum()), crs=gdf.crs)
    elif missing.any():
        notes.append(f"{label}: dropped {int(missing.sum())} feature(s) with empty or no geometry: {_few(labels[missing])}.")
    keep = ~missing
    gdf, labels = gdf[keep], labels[keep]
    geoms = np.asarray(gdf.geometry.values)

    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        notes.append(f"{label}: Z (height) coordinates dropped; hygis works in 2D.")

    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        families = np.array([_FAMILY.get(_TYPE_NAMES[t], "other") for t in shapely.get_type_id(geoms[invalid])])
        repaired = shapely.make_valid(geoms[invalid])
        repaired = np.array([_keep_family(g, fam) for g, fam in zip(repaired, families)], dtype=object)
        geoms[invalid] = repaired
        for lab, why in zip(labels[invalid], reasons):
            notes.append(f"{label}: {lab} was invalid ({why}); repaired with make-valid.")

    gdf = gdf.set_geometry(geoms, crs=gdf.crs)
    collapsed = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    if collapsed.any():
        notes.append(f"{label}: dropped {int(collapsed.sum())} feature(s) that collapsed to nothing when repaired: {_few(labels[collapsed])}.")
        gdf, labels, geoms = gdf[~collapsed], labels[~collapsed], geoms[~collapsed]

    if geometry != "any" and len(gdf):
        fams = np.array([_FAMILY.get(t, "other") for t in gdf.geom_type.to_numpy()])
        wrong = fams != geometry
        if wrong.any():
            kinds = ", ".join(sorted(set(gdf.geom_type[wrong])))
            notes.append(
                f"{label}: dropped {int(wrong.sum())} feature(s) that are {kinds}, not {geometry}s "
                f"(this input must be {geometry}s): {_few(labels[wrong])}."
            )
            gdf = gdf[~wrong]
    if len(unlocated):
        gdf = pd.concat([gdf, unlocated]).sort_values(_POS, kind="stable")
    return gdf.drop(columns=_POS), notes


def _keep_family(geom, family: str):
    """Reduce a make-valid result to the parts of the input's family (polygon stays polygon)."""
    if geom is None or family == "other" or _FAMILY.get(geom.geom_type) == family:
        return geom
    parts = [p for p in shapely.get_parts(geom) if _FAMILY.get(p.geom_type) == family]
    if not parts:
        return shapely.Polygon() if family == "polygon" else shapely.GeometryCollection()
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if family == "polygon":
        return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
    if family == "line":
        return shapely.MultiLineString(parts) if len(parts) > 1 else parts[0]
    return shapely.MultiPoint(parts) if len(parts) > 1 else parts[0]


def _few(labels: np.ndarray, n: int = 5) -> str:
    shown = ", ".join(map(str, labels[:n]))
    return shown + (f" and {len(labels) - n} more" if len(labels) > n else "")


def check_coordinates(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Raise if coordinates cannot be what the CRS says. Catch coordinates that cannot be what the CRS says: degrees out of range, swapped axes."""
    minx, miny, maxx, maxy = gdf.total_bounds
    c = hcrs.CHINA_BOUNDS
    if hcrs.is_geographic(gdf.crs):
        if c[1] <= minx and maxx <= c[3] and c[0] <= miny and maxy <= c[2]:
            _raise_swapped(name, minx, miny, maxx, maxy)
        if abs(minx) > 180 or abs(maxx) > 180 or abs(miny) > 90 or abs(maxy) > 90:
            msg = (
                f"{name}: the CRS says degrees ({hcrs.describe(gdf.crs)}) but coordinates reach "
                f"x={maxx:.0f}, y={maxy:.0f}: they are metres. {hcrs.guess_crs_hint((minx, miny, maxx, maxy))} "
                "Give the right CRS with --crs."
            )
            raise HygisInputError(msg)
        lon_min, lat_min, lon_max, lat_max = minx, miny, maxx, maxy
    else:
        try:
            lon_min, lat_min, lon_max, lat_max = gpd.GeoSeries(
                shapely.box(minx, miny, maxx, maxy), crs=gdf.crs
            ).to_crs(hcrs.WGS84).total_bounds
        except Exception:
            return
    in_china = c[0] <= lon_min and lon_max <= c[2] and c[1] <= lat_min and lat_max <= c[3]
    swapped = c[1] <= lon_min and lon_max <= c[3] and c[0] <= lat_min and lat_max <= c[2]
    if in_china:
        return
    if swapped:
        _raise_swapped(name, lon_min, lat_min, lon_max, lat_max)
    msg = (
        f"{name}: the data lies outside China ({lon_min:.2f}…{lon_max:.2f}°E, {lat_min:.2f}…{lat_max:.2f}°N in "
        f"WGS 84) with the CRS {hcrs.describe(gdf.crs)}: the CRS is probably wrong. "
        f"{hcrs.guess_crs_hint(gdf.total_bounds)} Give the right one with --crs."
    )
    raise HygisInputError(msg)


def _raise_swapped(name: str, xmin: float, ymin: float, xmax: float, ymax: float) -> None:
    msg = (
        f"{name}: latitude and longitude look swapped: x runs {xmin:.2f}…{xmax:.2f} and y "
        f"{ymin:.2f}…{ymax:.2f}, which would put the data at {int(ymax)}°N — impossible "
        "(Hengyang is near 26.9°N, 112.6°E). Swap the columns in the file, or pass --swap-xy."
    )
    raise HygisInputError(msg)


# --------------------------------------------------------------------------- writing
def guard_not_input(path: str | os.PathLike) -> Path:
    """Refuse to write onto a file hygis has read as an input in this process."""
    target = Path(path).expanduser().resolve()
    if target in _INPUT_PATHS:
        msg = f"Refusing to overwrite the input file {target}: choose another output name (--out)."
        raise HygisOutputError(msg)
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds."""
    target = guard_not_input(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Keep the real suffix last: GDAL drivers choose behaviour by it.
        fd, tmp_name = tempfile.mkstemp(prefix=f".tmp-{target.stem}-", suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        msg = f"Cannot write {target}: {exc.strerror or exc}. Choose a folder you can write to (--out / --out-dir)."
        raise HygisOutputError(msg) from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL drivers want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, *tmp.parent.glob(tmp.name + "*")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".fgb": "FlatGeobuf", ".shp": "ESRI Shapefile"}


def write_layers(layers: Mapping[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write several layers into one GeoPackage atomically (all or nothing).

    GeoDataFrames become spatial layers; plain DataFrames (warnings, provenance) attribute tables.
    """
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        msg = f"Several layers go into a GeoPackage (.gpkg), not {target.suffix}: change the output name."
        raise HygisOutputError(msg)
    with atomic_path(target) as tmp:
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            else:
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
    return target.resolve()


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write a text file (HTML, JSON) as UTF-8, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path).resolve()


def write_vector(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str | None = None) -> Path:
    """Write a GeoDataFrame atomically; the suffix picks the format (.gpkg, .geojson, .fgb, .shp, .parquet)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".parquet":
        with atomic_path(target) as tmp:
            gdf.to_parquet(tmp)
        return target.resolve()
    driver = _DRIVERS.get(suffix)
    if driver is None:
        msg = f"Cannot write vector data as '{suffix}': use .gpkg, .geojson, .fgb, .shp or .parquet."
        raise HygisOutputError(msg)
    if suffix == ".shp":
        families = {_FAMILY.get(t, "other") for t in gdf.geom_type.dropna()}
        if len(families) > 1:
            msg = f"{target.name}: a Shapefile holds one geometry type, but this data mixes {', '.join(sorted(families))}s. Write .gpkg instead."
            raise HygisOutputError(msg)
        # A Shapefile is several files: write them to a temporary folder, then move each.
        final = guard_not_input(target)
        final.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=final.parent) as tmpdir:
            tmp = Path(tmpdir) / final.name
            gdf.to_file(tmp, driver=driver, engine="pyogrio", encoding="UTF-8")
            for part in Path(tmpdir).iterdir():
                os.replace(part, guard_not_input(final.with_suffix(part.suffix)))
        return final
    with atomic_path(target) as tmp:
        kwargs = {"layer": layer or target.stem} if driver in ("GPKG", "FlatGeobuf") else {}
        gdf.to_file(tmp, driver=driver, engine="pyogrio", **kwargs)
    return target.resolve()


TABLE_FORMATS = (".csv", ".xlsx")


#: Name of the first sheet of a workbook built on data that is not official.
NOTICE_SHEET = "说明 notice"


def write_table(
    table: pd.DataFrame | Mapping[str, pd.DataFrame], path: str | os.PathLike, *, banner: str | None = None
) -> Path:
    """Write a table (or several, as sheets) atomically as .csv or .xlsx.

    CSV is written as UTF-8 with a byte-order mark, so that Excel and WPS open Chinese
    text correctly by double-click. Geometry columns are left out. A ``banner`` (e.g. "built on
    illustrative layers, not official") becomes the workbook's first sheet, the one it opens
    on; a CSV carries such a statement in its own columns instead.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    sheets = dict(table) if isinstance(table, Mapping) else {"report": table}
    if banner and suffix == ".xlsx":
        sheets = {NOTICE_SHEET: pd.DataFrame({NOTICE_SHEET: [f"⚠ {banner}"]}), **sheets}
    sheets = {k: _plain(v) for k, v in sheets.items()}
    if suffix == ".csv":
        if len(sheets) != 1:
            msg = "A CSV file holds one table; write several tables to .xlsx."
            raise HygisOutputError(msg)
        with atomic_path(target) as tmp:
            next(iter(sheets.values())).to_csv(tmp, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        with atomic_path(target) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                for sheet, df in sheets.items():
                    df.to_excel(writer, sheet_name=str(sheet)[:31], index=False)
    else:
        msg = f"Cannot write a table as '{suffix}': use .csv or .xlsx."
        raise HygisOutputError(msg)
    return target.resolve()


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    return df.drop(columns=[c for c in df.columns if str(df[c].dtype) == "geometry"])
