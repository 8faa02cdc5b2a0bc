"""Parcels from surveyors' vertex lists: 界址点成果表 tables (CSV/XLSX), one row per vertex.

A table holds, per vertex, the parcel (地块编号), the point (点号), X and Y in Gauss–Krüger
metres — **X the northing, Y the easting**, as Chinese surveyors write them, the easting often
with the zone number in front — and optionally a ring number (圈号: 1 outer, 2 and up holes).
:func:`polygons_from_vertices` builds the polygons (also for :mod:`hygis.io.coordinates`);
:func:`read_vertex_table` reads a table file into a GeoDataFrame in the zone's CRS.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis.errors import HygisInputError
from hygis.io.fields import find_field
from hygis.io.gauss_kruger import PREFIX_UNIT, gk_crs

#: Column names of the frames built here (the Chinese names surveyors' files use).
PARCEL_ID = "地块编号"
PARCEL_NAME = "地块名称"
POINT_COUNT = "界址点数"

# Northings in China lie between about 1e6 m (Hainan) and 6e6 m (Heilongjiang); an easting is
# under 1e6 m without zone prefix and over 1.3e7 m with one. The ranges do not overlap, so the
# values alone tell which column is which.
_NORTHING_RANGE = (PREFIX_UNIT, 1e7)


def survey_axes(x: np.ndarray, y: np.ndarray, *, source: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return (easting, northing) from survey X/Y columns, where X should be the northing.

    A file that put the easting under X (as CAD and GIS tables do) is recognised by the values,
    which cannot be mistaken (see above), turned round and noted.

    Raises
    ------
    HygisInputError
        If neither column holds northings (metres from the equator): not Gauss–Krüger metres.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lo, hi = _NORTHING_RANGE
    x_north = bool(np.all((x >= lo) & (x < hi)))
    y_north = bool(np.all((y >= lo) & (y < hi)))
    if x_north and not y_north:
        return y, x, []
    if y_north and not x_north:
        return (
            x,
            y,
            [
                f"{source}: the X column holds eastings and Y northings (the reverse of the survey "
                "convention X = north); read accordingly."
            ],
        )
    msg = (
        f"{source}: X and Y are not Gauss–Krüger metres in China (X the northing, 1 000 000–10 000 000 m; Y "
        "the "
        "easting, under 1 000 000 m or with the zone number in front): X runs "
        f"{np.nanmin(x):.2f}…{np.nanmax(x):.2f}, "
        f"Y {np.nanmin(y):.2f}…{np.nanmax(y):.2f}. Longitude/latitude belong in 经度/纬度 columns."
    )
    raise HygisInputError(msg)


def polygons_from_vertices(
    parcel: np.ndarray, ring: np.ndarray | None, easting: np.ndarray, northing: np.ndarray, *, source: str
) -> tuple[pd.Index, np.ndarray, list[str]]:
    """Build one (multi)polygon per parcel from its vertices in file order.

    Rings are told apart by ``ring`` (consecutive rows with the same number); a ring that does
    not repeat its first point is closed (noted). Which ring is a hole is decided by
    containment, so a ring numbered 2 or more that lies outside ring 1 becomes a second part
    of the parcel (noted) rather than a hole outside its shell.

    Parameters
    ----------
    parcel : array
        Parcel id of each vertex.
    ring : array of int, optional
        Ring number of each vertex (1 = outer); all 1 if None.
    easting, northing : array of float
        Coordinates in metres.
    source : str
        The file, for messages.

    Returns
    -------
    (pandas.Index, ndarray of shapely geometries, list of str)
        Parcel ids in order of first appearance, their polygons, and notes.

    Examples
    --------
    >>> ids, geoms, notes = polygons_from_vertices(
    ...     np.array(["A"] * 4), None, np.array([0.0, 100, 100, 0]), np.array([0.0, 0, 50, 50]), source="t")
    >>> float(geoms[0].area), notes
    (5000.0, ['t: ring 1 of parcel A did not repeat its first point; closed.'])
    """
    n = len(parcel)
    ring = np.ones(n, dtype=int) if ring is None else np.asarray(ring)
    df = pd.DataFrame(
        {
            "parcel": pd.Series(parcel, dtype=object).astype(str).str.strip(),
            "ring": ring,
            "e": easting,
            "n": northing,
        }
    )
    bad = df[["e", "n"]].isna().any(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        msg = (
            f"{source}: {len(rows)} vertex row(s) without a number in X or Y (rows "
            f"{', '.join(str(r + 1) for r in rows[:8])}). Fill them in."
        )
        raise HygisInputError(msg)
    parcels = pd.Index(pd.unique(df["parcel"]))
    # A new ring starts where the parcel or the ring number changes.
    starts = (df["parcel"].ne(df["parcel"].shift()) | df["ring"].ne(df["ring"].shift())).to_numpy()
    ring_id = np.cumsum(starts) - 1
    first = df.groupby(ring_id).head(1).to_numpy()[:, 2:].astype(float)
    last = df.groupby(ring_id).tail(1).to_numpy()[:, 2:].astype(float)
    ring_parcel = df["parcel"].to_numpy()[starts]
    ring_number = df["ring"].to_numpy()[starts]
    open_ = ~np.all(first == last, axis=1)
    notes = [
        f"{source}: ring {r} of parcel {p} did not repeat its first point; closed."
        for p, r in zip(ring_parcel[open_], ring_number[open_])
    ]
    coords = df[["e", "n"]].to_numpy(dtype=float)
    # Append the missing closing point after the last row of each open ring.
    ends = np.r_[np.flatnonzero(starts)[1:], n]
    coords = np.insert(coords, ends[open_], first[open_], axis=0)
    ring_of = np.insert(ring_id, ends[open_], np.flatnonzero(open_))
    distinct = (
        pd.DataFrame({"r": ring_of, "e": coords[:, 0], "n": coords[:, 1]})
        .drop_duplicates()
        .groupby("r")
        .size()
    )
    small = distinct.reindex(range(len(first)), fill_value=0).to_numpy() < 3
    if small.any():
        which = ", ".join(f"{p} (ring {r})" for p, r in zip(ring_parcel[small][:8], ring_number[small][:8]))
        msg = (
            f"{source}: parcel(s) {which} have fewer than 3 distinct points: not an area. Check the vertex "
            "list."
        )
        raise HygisInputError(msg)
    rings = shapely.linearrings(coords, indices=ring_of)
    shells = shapely.polygons(rings)

    # Containment depth of each ring among the rings of its own parcel: odd depth = hole.
    tree = shapely.STRtree(shells)
    inner, outer = tree.query(shells, predicate="within")
    same = (inner != outer) & (ring_parcel[inner] == ring_parcel[outer])
    inner, outer = inner[same], outer[same]
    depth = np.bincount(inner, minlength=len(shells))
    hole = depth % 2 == 1
    parent = np.arange(len(shells))
    direct = depth[outer] == depth[inner] - 1
    parent[inner[direct]] = outer[direct]
    moved = ~hole & (ring_number != 1)
    notes += [
        f"{source}: ring {r} of parcel {p} lies outside ring 1, so it is read as a further part of the "
        "parcel, not a hole."
        for p, r in zip(ring_parcel[moved], ring_number[moved])
    ]

    order = np.lexsort((hole, parent))
    part_code = pd.factorize(parent[order])[0]
    parts = shapely.polygons(rings[order], indices=part_code)
    part_parcel = ring_parcel[order][np.r_[0, np.flatnonzero(np.diff(part_code)) + 1]]
    code = parcels.get_indexer(part_parcel)
    by = np.argsort(code, kind="stable")
    multi = shapely.multipolygons(parts[by], indices=code[by])
    single = shapely.get_num_geometries(multi) == 1
    geoms = np.where(single, shapely.get_geometry(multi, 0), multi)
    return parcels, geoms, notes


def read_table(path: Path, source: str) -> pd.DataFrame:
    """A CSV (UTF-8 or GBK) or Excel table, all cells as text so ids and numbers stay as written."""
    try:
        if path.suffix.lower() == ".csv":
            try:
                return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
            except UnicodeDecodeError:
                return pd.read_csv(path, encoding="gb18030", dtype=str, keep_default_na=False)
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        msg = f"{source}: cannot read the table {path} ({exc}). Save it as .csv or .xlsx."
        raise HygisInputError(msg) from None


def is_vertex_table(df: pd.DataFrame) -> bool:
    """True where a table lists vertices: X and Y columns, and a parcel id repeated over rows.

    With a point-number column (点号) a parcel may be named on its first row only (merged cells);
    without one, the id itself must repeat.
    """
    pid = find_field(df.columns, "parcel_id")
    if pid is None or find_field(df.columns, "northing") is None or find_field(df.columns, "easting") is None:
        return False
    ids = df[pid].astype(str).str.strip().replace("", np.nan)
    if find_field(df.columns, "point") is not None:
        ids = ids.ffill()
    counts = ids.dropna().value_counts()
    return bool(len(counts) and counts.max() >= 3)


def vertex_table_to_gdf(
    df: pd.DataFrame, *, source: str, crs: str | int | CRS | None = None
) -> gpd.GeoDataFrame:
    """Polygons from a vertex table already read (see :func:`read_vertex_table`)."""
    cols = {f: find_field(df.columns, f) for f in ("parcel_id", "parcel_name", "northing", "easting", "ring")}
    missing = [f for f in ("parcel_id", "northing", "easting") if cols[f] is None]
    if missing:
        msg = (
            f"{source}: a vertex table needs a parcel id (地块编号), X (northing) and Y (easting) column; "
            f"none found for {', '.join(missing)} among {', '.join(map(str, df.columns))}."
        )
        raise HygisInputError(msg)
    filled = df[cols["parcel_id"]].astype(str).str.strip() != ""
    df = df[filled | (df[cols["northing"]].astype(str).str.strip() != "")]
    # Tables often name the parcel on its first vertex only.
    pid = df[cols["parcel_id"]].astype(str).str.strip().replace("", np.nan).ffill()
    x = pd.to_numeric(df[cols["northing"]], errors="coerce").to_numpy()
    y = pd.to_numeric(df[cols["easting"]], errors="coerce").to_numpy()
    ring = None
    if cols["ring"] is not None:
        ring = pd.to_numeric(df[cols["ring"]], errors="coerce").fillna(1).astype(int).to_numpy()
    finite = np.isfinite(x) & np.isfinite(y)
    if (~finite).any():
        rows = np.flatnonzero(~finite)
        shown = "; ".join(
            f"row {r + 1}: X={df[cols['northing']].iloc[r]!r}, Y={df[cols['easting']].iloc[r]!r}"
            for r in rows[:6]
        )
        msg = (
            f"{source}: {len(rows)} vertex row(s) have no number in X or Y ({shown}; row 1 is the first "
            "under the header). Fix them."
        )
        raise HygisInputError(msg)
    east, north, notes = survey_axes(x, y, source=source)
    ids, geoms, more = polygons_from_vertices(pid.to_numpy(), ring, east, north, source=source)
    notes += more
    if crs is None:
        crs, why = gk_crs(east, source=source)
        notes.append(why)
    out = pd.DataFrame({PARCEL_ID: ids})
    if cols["parcel_name"] is not None:
        names = (
            df[cols["parcel_name"]]
            .astype(str)
            .str.strip()
            .replace("", np.nan)
            .groupby(pid.to_numpy())
            .first()
        )
        out[PARCEL_NAME] = names.reindex(ids).fillna("").to_numpy()
    out[POINT_COUNT] = pid.value_counts().reindex(ids).to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=geoms, crs=crs)
    gdf.attrs["hygis_notes"] = notes
    return gdf


def read_vertex_table(
    path: str | os.PathLike, *, crs: str | int | CRS | None = None, label: str | None = None
) -> gpd.GeoDataFrame:
    """Read a 界址点 table (CSV or XLSX, one row per vertex) into one polygon per parcel.

    Parameters
    ----------
    path : path-like
        The table. Columns are found by the names in ``data/field_aliases.csv``: 地块编号,
        点号, X (northing), Y (easting), optionally 圈号 and 地块名称.
    crs : str, int or pyproj.CRS, optional
        The CRS. Default: the CGCS2000 Gauss–Krüger zone named by the eastings' zone prefix;
        without a prefix the zone is unknown and hygis asks for ``--crs``.
    label : str, optional
        What the file is, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns 地块编号, 地块名称 (if any), 界址点数 and the polygons, in the order the
        parcels first appear; ``attrs["hygis_notes"]`` says how the CRS was chosen and
        what was repaired.
    """
    src = Path(path)
    source = f"{label} file {src.name}" if label else src.name
    return vertex_table_to_gdf(read_table(src, source), source=source, crs=crs)
