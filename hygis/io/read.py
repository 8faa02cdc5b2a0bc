"""Reading planners' vector files.

Everything that enters hygis from a file passes through :func:`read_vector`.

It settles the questions Chinese planning data raises: the text encoding of Shapefiles
(GBK without a ``.cpg``), a missing or implausible CRS, GCJ-02 offsets, swapped
latitude/longitude, Z coordinates, invalid, empty and mixed geometries. Each fix it makes
is recorded as a note in ``gdf.attrs["hygis_notes"]`` so that reports can list it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely.errors import GEOSException

from hygis import crs as hcrs
from hygis import gcj02
from hygis.errors import HygisInputError
from hygis.io.coordinates import is_coordinate_txt, read_coordinate_txt
from hygis.io.encoding import detect_dbf_encoding
from hygis.io.formats import (
    CAD_SUFFIXES,
    KML_SUFFIXES,
    cad_ids,
    closed_lines_to_polygons,
    placemark_ids,
    read_gdal_repairing,
)
from hygis.io.layer_names import layer_lines
from hygis.io.parquet import read_geoparquet
from hygis.io.repair import check_coordinates, clean_geometries
from hygis.io.sources import LAYER_SYNTAX, split_layer
from hygis.io.tables import TABLE_SUFFIXES, read_table_points
from hygis.io.write import register_inputs
from hygis.memory import give_back
from hygis.messages import warn


def read_errors() -> tuple[type[Exception], ...]:
    """What reading a damaged or foreign file raises: GDAL's errors through pyogrio (by driver), a
    geometry GEOS refuses, undecodable text, an unreadable file. Anything else (MemoryError, a bug
    in hygis) is not the user's file and goes through with its own traceback.

    A function, evaluated when an error is being matched: GDAL is loaded only when a file needs it.
    """
    from pyogrio.errors import DataLayerError, DataSourceError  # noqa: PLC0415

    return (DataSourceError, DataLayerError, GEOSException, UnicodeError, OSError)


#: File suffixes read as vector data, in the order a folder or zip is searched.
VECTOR_SUFFIXES = (
    ".gpkg",
    ".shp",
    ".geojson",
    ".json",
    ".fgb",
    ".parquet",
    ".geoparquet",
    ".gml",
    ".kml",
    ".kmz",
    ".dxf",
    ".tab",
)


NOTES_ATTR = "hygis_notes"


# --------------------------------------------------------------------------- reading
def read_vector(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    crs: hcrs.CrsLike | None = None,
    gcj02_input: bool = False,
    swap_xy: bool = False,
    encoding: str | None = None,
    geometry: str = "any",
    id_field: str | None = None,
    label: str | None = None,
    keep_unlocated: bool = False,
    override_crs: bool = False,
    validate: bool = True,
) -> gpd.GeoDataFrame:
    """Read a planner's vector file, checked and repaired, in its own CRS.

    Parameters
    ----------
    path : path-like
        A file in any GDAL vector format (Shapefile, GeoPackage, File Geodatabase, GeoJSON,
        FlatGeobuf, GeoParquet, KML/KMZ, DXF …), a folder or ``.zip`` holding one such dataset,
        the Ministry's coordinate exchange ``.txt`` (坐标交换格式), or a ``.csv`` / ``.xlsx``
        table: 界址点 vertex lists become polygons, 经度/纬度 (decimal or 度分秒) or X/Y
        columns points. ``PATH:LAYER`` (``plan.gdb:YJJBNT``) chooses a layer.
    layer : str, optional
        Layer of a multi-layer source (same as ``PATH:LAYER``). Default: the only spatial
        layer, else an error that lists them.
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
    validate : bool
        False: no validity test nor repair (the caller tests validity; see :func:`clean_geometries`).

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
    src, path_layer = split_layer(path)
    layer = layer or path_layer
    name = f"{label} file {src.name}" if label else src.name
    if not src.exists():
        msg = f"{name}: file not found: {src}. Check the path (relative paths start from {Path.cwd()})."
        raise HygisInputError(msg)
    register_inputs([src])

    notes: list[str] = []
    user_crs = (
        hcrs.parse_crs(str(crs) if not isinstance(crs, CRS) else crs.to_wkt()) if crs is not None else None
    )
    gdf, enc = _read_source(src, layer, user_crs, encoding, name, label, notes)
    if enc and enc.lower() not in ("utf-8", "utf8"):
        notes.append(f"{name}: attributes decoded as {enc} (no .cpg file said which encoding).")

    gdf = _with_crs(gdf, user_crs, override_crs, name, notes)

    if swap_xy:
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda c: c[:, ::-1]), crs=gdf.crs)
        notes.append(f"{name}: x and y swapped as asked (--swap-xy).")

    gdf, geom_notes = clean_geometries(
        gdf,
        label=name,
        geometry=geometry,
        id_field=id_field,
        keep_unlocated=keep_unlocated,
        validate=validate,
    )
    notes.extend(geom_notes)
    if not gdf.geometry.notna().any():
        msg = f"{name}: no features with a usable geometry in {src}. " + (
            " ".join(geom_notes) or "The file is empty."
        )
        raise HygisInputError(msg)

    check_coordinates(gdf, name)

    if gcj02_input:
        gdf = _from_gcj02(gdf, name, notes)

    for note in notes:
        warn(note)
    gdf.attrs[NOTES_ATTR] = notes
    gdf.attrs["hygis_source"] = str(src)
    return gdf


def _read_source(
    src: Path,
    layer: str | None,
    user_crs: CRS | None,
    encoding: str | None,
    name: str,
    label: str | None,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame, str | None]:
    """The file read by its kind: 坐标交换格式 .txt, a table of points or vertices, or GDAL vector data.

    Returns the frame as read and the attributes' encoding where it was detected; the reader's
    notes are added to ``notes``.
    """
    if src.suffix.lower() == ".txt":
        if not is_coordinate_txt(src):
            msg = (
                f"{name}: a .txt is read as the coordinate exchange format (坐标交换格式), but {src.name} "
                "has no [地块坐标] section. Give a .txt in that format, or a table (.csv/.xlsx) of 界址点."
            )
            raise HygisInputError(msg)
        gdf = read_coordinate_txt(src, crs=user_crs, encoding=encoding, label=label)
        enc = None
    else:
        target, enc = _resolve_dataset(src, encoding)
        suffix = Path(target.split("/vsizip/")[-1]).suffix.lower()
        if suffix in TABLE_SUFFIXES:
            gdf = read_table_points(Path(target), name, crs=user_crs)
        else:
            gdf, repairs = _read_gdal(target, src, layer, enc, name, label)
            give_back(arenas=False)  # pyarrow's pool: what decoding the file took
            notes.extend(repairs)
    notes.extend(gdf.attrs.get(NOTES_ATTR, []))
    return gdf, enc


def _with_crs(
    gdf: gpd.GeoDataFrame, user_crs: CRS | None, override: bool, name: str, notes: list[str]
) -> gpd.GeoDataFrame:
    """The frame with its CRS: the file's, else the user's; refused without either (hygis never guesses)."""
    if user_crs is not None:
        if gdf.crs is None:
            gdf = gdf.set_crs(user_crs)
        elif not CRS(gdf.crs).equals(user_crs):
            if override:
                notes.append(
                    f"{name}: CRS {hcrs.describe(gdf.crs)} in the file replaced by "
                    f"{hcrs.describe(user_crs)} as asked."
                )
                gdf = gdf.set_crs(user_crs, allow_override=True)
            else:
                notes.append(
                    f"{name}: the file declares {hcrs.describe(gdf.crs)}; "
                    "kept (--crs only fills in a missing CRS)."
                )
    if gdf.crs is None:
        bounds = gdf.total_bounds if len(gdf) else [np.nan] * 4
        msg = (
            f"{name}: the file has no coordinate reference system (for a Shapefile: no .prj). "
            f"{hcrs.guess_crs_hint(bounds)} Give it with --crs (Python: crs=...); hygis does not guess."
        )
        raise HygisInputError(msg)
    return gdf


def _from_gcj02(gdf: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Longitude/latitude from Amap/Gaode or Tencent (GCJ-02) corrected to WGS 84."""
    if not hcrs.is_geographic(gdf.crs):
        msg = (
            f"{name}: --gcj02 corrects longitude/latitude copied from Amap/Gaode or Tencent maps, "
            f"but this file is in the projected CRS {hcrs.describe(gdf.crs)}. "
            "Drop --gcj02, or give the lon/lat file."
        )
        raise HygisInputError(msg)
    gdf = gdf.set_geometry(gcj02.geometries_gcj02_to_wgs84(gdf.geometry.values), crs=hcrs.WGS84)
    notes.append(
        f"{name}: coordinates corrected from GCJ-02 (Amap/Tencent) to WGS 84 (about 650 m in Hengyang)."
    )
    return gdf


def _resolve_dataset(src: Path, encoding: str | None) -> tuple[str, str | None]:
    """Find the dataset in a folder or zip, and the attribute encoding of a Shapefile."""
    if src.is_dir():
        found = sorted(p for p in src.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES + TABLE_SUFFIXES)
        if src.suffix.lower() == ".gdb":
            return str(src), encoding
        if len(found) != 1:
            listing = ", ".join(p.name for p in found) or "no vector file"
            msg = (
                f"{src}: a folder must hold exactly one vector dataset; found {listing}. "
                "Give the file itself."
            )
            raise HygisInputError(msg)
        return _resolve_dataset(found[0], encoding)
    if src.suffix.lower() == ".zip":
        with zipfile.ZipFile(src) as zf:
            members = [m for m in zf.namelist() if Path(m).suffix.lower() in VECTOR_SUFFIXES]
            if len(members) != 1:
                listing = ", ".join(members) or "no vector file"
                msg = (
                    f"{src}: a zip must hold exactly one vector dataset; found {listing}. "
                    "Unzip it and give the file."
                )
                raise HygisInputError(msg)
            member = members[0]
            enc = encoding
            if enc is None and member.lower().endswith(".shp"):
                stem = member[:-4]
                names = {n.lower(): n for n in zf.namelist()}
                cpg_name = names.get(f"{stem}.cpg".lower())
                dbf_name = names.get(f"{stem}.dbf".lower())
                if cpg_name is None and dbf_name is not None:
                    enc = detect_dbf_encoding(zf.read(dbf_name))
        return f"/vsizip/{src}/{member}", enc
    enc = encoding
    if enc is None and src.suffix.lower() == ".shp":
        cpg = next((p for p in (src.with_suffix(".cpg"), src.with_suffix(".CPG")) if p.exists()), None)
        dbf = next((p for p in (src.with_suffix(".dbf"), src.with_suffix(".DBF")) if p.exists()), None)
        if cpg is None and dbf is not None:
            enc = detect_dbf_encoding(dbf.read_bytes())
    return str(src), enc


def _read_gdal(
    target: str, src: Path, layer: str | None, encoding: str | None, name: str, label: str | None = None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read through GDAL, with the repairs and format fixes of :mod:`hygis.io.formats` (noted)."""
    suffix = Path(target).suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            try:
                return read_geoparquet(target), []
            except ValueError as exc:  # pyarrow's ArrowInvalid (not Parquet, cut short); no geometry
                msg = (
                    f"{name}: cannot read {src} as GeoParquet ({' '.join(str(exc).split())}). Is the "
                    "file complete (copied whole), and GeoParquet: a table with its geometry, as "
                    "GeoDataFrame.to_parquet or ogr2ogr -f Parquet write it?"
                )
                raise HygisInputError(msg) from None
        import pyogrio  # noqa: PLC0415 - GDAL only when a file needs it (see hygis.io.geojson)

        layers = pyogrio.list_layers(target)
        names = [str(row[0]) for row in layers]
        if layer is not None and layer not in names:
            msg = (
                f"{name}: {src.name} has no layer '{layer}'. Its layers: {', '.join(names)}. "
                f"Choose one as {LAYER_SYNTAX}, e.g. {src.name}:{names[0]}."
            )
            raise HygisInputError(msg)
        if layer is None and len(layers) > 1:
            spatial = [str(row[0]) for row in layers if row[1] is not None]
            if len(spatial) != 1:
                # The example is the layer named like the line asked for, where there is one.
                line = (label or "").replace(" ", "_")
                example = ([n for n in spatial if line in layer_lines(n)] or spatial or names)[0]
                msg = (
                    f"{name}: {src.name} holds several layers ({', '.join(names)}). Choose one as "
                    f"{LAYER_SYNTAX}, e.g. {src.name}:{example} (`hygis layers --in {src.name}` lists them)."
                )
                raise HygisInputError(msg)
            layer = spatial[0]
        kwargs = {"encoding": encoding} if encoding else {}
        gdf, notes = read_gdal_repairing(target, source=name, layer=layer, **kwargs)
    except HygisInputError:
        raise
    except read_errors() as exc:  # each means "cannot read this file"; hygis's own bugs go through
        msg = (
            f"{name}: cannot read {src} as vector data ({exc}). Is it a complete Shapefile (.shp, .shx, "
            ".dbf), GeoPackage, File Geodatabase or GeoJSON?"
        )
        raise HygisInputError(msg) from None
    if suffix in KML_SUFFIXES:
        gdf, more = placemark_ids(gdf, source=name)
        notes += more
    if suffix in CAD_SUFFIXES:
        gdf, more = closed_lines_to_polygons(gdf, source=name)
        notes += more
        gdf, more = cad_ids(gdf, source=name)
        notes += more
    return gdf, notes
