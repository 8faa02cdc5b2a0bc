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
import pyogrio
import shapely
from pyproj import CRS

from hygis import crs as hcrs
from hygis import gcj02
from hygis.errors import HygisInputError
from hygis.io.encoding import detect_dbf_encoding
from hygis.io.repair import check_coordinates, clean_geometries
from hygis.io.tables import TABLE_SUFFIXES, read_table_points
from hygis.io.write import register_inputs
from hygis.messages import warn

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
    register_inputs([src])

    target, enc = _resolve_dataset(src, encoding)
    suffix = Path(target.split("/vsizip/")[-1]).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        gdf = read_table_points(Path(target), name)
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

    if swap_xy:
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda c: c[:, ::-1]), crs=gdf.crs)
        notes.append(f"{name}: x and y swapped as asked (--swap-xy).")

    gdf, geom_notes = clean_geometries(
        gdf, label=name, geometry=geometry, id_field=id_field, keep_unlocated=keep_unlocated
    )
    notes.extend(geom_notes)
    if not gdf.geometry.notna().any():
        msg = f"{name}: no features with a usable geometry in {src}. " + (
            " ".join(geom_notes) or "The file is empty."
        )
        raise HygisInputError(msg)

    check_coordinates(gdf, name)

    if gcj02_input:
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

    for note in notes:
        warn(note)
    gdf.attrs[NOTES_ATTR] = notes
    gdf.attrs["hygis_source"] = str(src)
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
    target: str, src: Path, layer: str | None, encoding: str | None, name: str
) -> gpd.GeoDataFrame:
    suffix = src.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(target)
        if layer is None:
            layers = pyogrio.list_layers(target)
            if len(layers) > 1:
                spatial = [str(row[0]) for row in layers if row[1] is not None]
                if len(spatial) != 1:
                    msg = (
                        f"{name}: {src.name} holds several layers ({', '.join(map(str, layers[:, 0]))}). "
                        "Say which with --layer."
                    )
                    raise HygisInputError(msg)
                layer = spatial[0]
        kwargs = {"encoding": encoding} if encoding else {}
        return gpd.read_file(target, layer=layer, engine="pyogrio", **kwargs)
    except HygisInputError:
        raise
    except Exception as exc:
        msg = (
            f"{name}: cannot read {src} as vector data ({exc}). "
            "Is it a complete Shapefile (.shp, .shx, .dbf), GeoPackage or GeoJSON?"
        )
        raise HygisInputError(msg) from None
