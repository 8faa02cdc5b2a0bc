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
from hygis.io.gauss_kruger import EASTING_LIMIT, PREFIX_UNIT, gk_crs

#: Column names of the frames built here (the Chinese names surveyors' files use).
PARCEL_ID = "地块编号"
PARCEL_NAME = "地块名称"
POINT_COUNT = "界址点数"

# Northings in China lie between about 1e6 m (Hainan) and 6e6 m (Heilongjiang); an easting is
# under 1e6 m without zone prefix and over 1.3e7 m with one. The ranges do not overlap, so the
# values alone tell which column is which.
_NORTHING_RANGE = (PREFIX_UNIT, 1e7)


def implausible(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True where X or Y cannot be Gauss–Krüger metres: blank, not finite, negative, or absurdly large.

    >>> implausible(np.array([2971000.0, np.inf, 1e300]), np.array([37556500.0, 500000.0, 500000.0])).tolist()
    [False, True, True]
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~(
            np.isfinite(x) & np.isfinite(y) & (x >= 0) & (y >= 0) & (x < EASTING_LIMIT) & (y < EASTING_LIMIT)
        )


def ring_numbers_ok(ring: np.ndarray) -> np.ndarray:
    """True where a ring number (圈号) is a whole number a file can mean (0 to 999 999)."""
    ring = np.asarray(ring, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(ring) & (ring >= 0) & (ring < 1e6) & (ring == np.round(ring))


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


def _numbering_gaps(
    parcel: np.ndarray,
    ring: np.ndarray,
    points: np.ndarray,
    lines: np.ndarray,
    *,
    source: str,
    line_word: str,
) -> list[str]:
    """A note where a ring's point numbers (J1, J2 …) jump forward: a vertex row may be missing.

    Numbers are compared, ring by ring, with the highest one the ring has reached, so the closing
    point (back to J1) and rings numbered afresh or on from the last are no jump.
    """
    name = pd.Series(points, dtype=object).astype(str).str.strip()
    found = name.str.extract(r"^(\D*?)(\d{1,9})$")
    number = pd.to_numeric(found[1], errors="coerce")
    usual = found[0].groupby(ring).transform("first")
    number = number.where(found[0].eq(usual))
    reached = number.fillna(-1).groupby(ring).cummax().groupby(ring).shift()
    jump = (number > reached + 1) & (reached >= 0)
    at = jump.to_numpy()
    return [
        f"{source}: parcel {p}: the point numbers jump from {prefix}{int(r)} to {n} ({line_word} {line}): a "
        "point may be missing; check the parcel against its survey."
        for p, prefix, r, n, line in zip(
            parcel[at], found[0][at], reached[at], name[at], np.asarray(lines)[at]
        )
    ]


def _ring_spans(coords: np.ndarray, run_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each ring starts and ends in a list of runs: a ring ends where it returns to its first point.

    A run is a stretch of vertices of one parcel with one ring number. Files often number every
    ring of a parcel 1 (or two parts alike), so a run may hold several rings one after the other;
    each closes on its own first point. A return after fewer than three other points is no closure
    (a spike back to the start), and a run that never returns ends an open ring.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        First vertex, one past the last vertex, and whether the ring repeats its first point.
    """
    ends = np.r_[run_starts[1:], len(coords)]
    first, stop, closed = [], [], []
    for s, e in zip(run_starts.tolist(), ends.tolist()):
        i = s
        while i < e:
            same = np.flatnonzero(np.all(coords[i + 3 : e] == coords[i], axis=1))
            first.append(i)
            if len(same):
                j = i + 3 + int(same[0])
                stop.append(j + 1)
                closed.append(True)
                i = j + 1
            else:
                stop.append(e)
                closed.append(False)
                break
    return np.asarray(first, dtype=int), np.asarray(stop, dtype=int), np.asarray(closed, dtype=bool)


def polygons_from_vertices(
    parcel: np.ndarray,
    ring: np.ndarray | None,
    easting: np.ndarray,
    northing: np.ndarray,
    *,
    source: str,
    lines: np.ndarray | None = None,
    line_word: str = "line",
    points: np.ndarray | None = None,
) -> tuple[pd.Index, np.ndarray, list[str]]:
    """Build one (multi)polygon per parcel from its vertices in file order.

    Rings are told apart by ``ring`` (consecutive rows with the same number) and by closure: a
    ring ends where it returns to its first point, so two rings given the same number are two
    rings, not one (noted). A ring that does not repeat its first point is closed (noted); a
    vertex repeated on the next row is read once; a ring given twice is read once (noted). Which
    ring is a hole is decided by containment, so a ring numbered 2 or more that lies outside
    ring 1 becomes a second part of the parcel (noted) rather than a hole outside its shell.

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
    lines : array of int, optional
        The line (or row) number of each vertex in the file, for messages.
    line_word : str
        What ``lines`` count ("line" or "row").
    points : array of str, optional
        The point names (点号); where a parcel's numbers jump forward (J3 then J5) a note says a
        vertex may be missing.

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
    where = np.arange(1, n + 1) if lines is None else np.asarray(lines)
    df = pd.DataFrame(
        {
            "parcel": pd.Series(parcel, dtype=object).astype(str).str.strip(),
            "ring": ring,
            "e": np.asarray(easting, dtype=float),
            "n": np.asarray(northing, dtype=float),
            "line": where,
        }
    )
    bad = ~np.isfinite(df[["e", "n"]].to_numpy()).all(axis=1)
    if bad.any():
        rows = df["line"].to_numpy()[bad]
        msg = (
            f"{source}: {len(rows)} vertex {line_word}(s) without a number in X or Y ({line_word}s "
            f"{', '.join(str(r) for r in rows[:8])}). Fill them in."
        )
        raise HygisInputError(msg)
    parcels = pd.Index(pd.unique(df["parcel"]))
    # A new run starts where the parcel or the ring number changes.
    new_run = (df["parcel"].ne(df["parcel"].shift()) | df["ring"].ne(df["ring"].shift())).to_numpy()
    # A vertex repeated on the next row of the same run adds nothing to the ring.
    xy = df[["e", "n"]].to_numpy()
    repeat = np.r_[False, np.all(xy[1:] == xy[:-1], axis=1)] & ~new_run
    df, new_run = df[~repeat].reset_index(drop=True), new_run[~repeat]
    coords = df[["e", "n"]].to_numpy(dtype=float)
    first, stop, closed = _ring_spans(coords, np.flatnonzero(new_run))
    gaps = (
        _numbering_gaps(
            df["parcel"].to_numpy(),
            np.repeat(np.arange(len(first)), stop - first),
            np.asarray(points)[~repeat],
            df["line"].to_numpy(),
            source=source,
            line_word=line_word,
        )
        if points is not None
        else []
    )
    ring_parcel = df["parcel"].to_numpy()[first]
    ring_number = df["ring"].to_numpy()[first]
    ring_lines = df["line"].to_numpy()
    span = [f"{line_word}s {ring_lines[a]}–{ring_lines[b - 1]}" for a, b in zip(first, stop)]
    notes = [
        f"{source}: ring {r} of parcel {p} did not repeat its first point; closed."
        if lines is None
        else f"{source}: ring {r} of parcel {p} ({w}) did not repeat its first point; closed."
        for p, r, w in zip(ring_parcel[~closed], ring_number[~closed], np.array(span, dtype=object)[~closed])
    ]
    notes += gaps
    run_of = np.cumsum(new_run)[first]
    shared = pd.Series(run_of).duplicated(keep=False).to_numpy()
    for run in pd.unique(run_of[shared]):
        k = np.flatnonzero(run_of == run)
        notes.append(
            f"{source}: ring number {ring_number[k[0]]} of parcel {ring_parcel[k[0]]} holds {len(k)} rings, "
            f"each returning to its first point ({'; '.join(span[i] for i in k[:4])}); read as {len(k)} "
            "rings."
        )

    # Each ring's vertices, closed where the file left it open.
    length = stop - first
    take = np.concatenate([np.arange(a, b) for a, b in zip(first, stop)]) if len(first) else np.zeros(0, int)
    ring_of = np.repeat(np.arange(len(first)), length)
    coords = coords[take]
    ends = np.cumsum(length)
    coords = np.insert(coords, ends[~closed], coords[(ends - length)[~closed]], axis=0)
    ring_of = np.insert(ring_of, ends[~closed], np.flatnonzero(~closed))
    distinct = (
        pd.DataFrame({"r": ring_of, "e": coords[:, 0], "n": coords[:, 1]})
        .drop_duplicates()
        .groupby("r")
        .size()
    )
    small = distinct.reindex(range(len(first)), fill_value=0).to_numpy() < 3
    if small.any():
        which = ", ".join(
            f"{p} (ring {r}, {w})"
            for p, r, w in zip(ring_parcel[small][:8], ring_number[small][:8], np.array(span)[small][:8])
        )
        msg = (
            f"{source}: parcel(s) {which} have fewer than 3 distinct points: not an area. Check the vertex "
            "list."
        )
        raise HygisInputError(msg)
    rings = shapely.linearrings(coords, indices=ring_of)
    shells = shapely.polygons(rings)

    # A ring given twice (a copied block of lines) is one ring: read once.
    a, b = shapely.STRtree(shells).query(shells, predicate="within")
    twice = (a < b) & (ring_parcel[a] == ring_parcel[b])
    twice[twice] = shapely.equals(shells[a[twice]], shells[b[twice]])
    dup = np.zeros(len(shells), dtype=bool)
    dup[b[twice]] = True
    for i, j in zip(a[twice], b[twice]):
        if not dup[i]:
            notes.append(
                f"{source}: parcel {ring_parcel[j]} gives the same ring twice ({span[i]} and {span[j]}); "
                "read once."
            )
    keep = ~dup
    rings, shells = rings[keep], shells[keep]
    ring_parcel, ring_number = ring_parcel[keep], ring_number[keep]

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
    notes += [
        f"{source}: a ring numbered 1 of parcel {p} lies inside another of its rings, so it is read as a "
        "hole (holes are usually numbered 2 and up)."
        for p in ring_parcel[hole & (ring_number == 1)]
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
    cols = {
        f: find_field(df.columns, f)
        for f in ("parcel_id", "parcel_name", "northing", "easting", "ring", "point")
    }
    missing = [f for f in ("parcel_id", "northing", "easting") if cols[f] is None]
    if missing:
        msg = (
            f"{source}: a vertex table needs a parcel id (地块编号), X (northing) and Y (easting) column; "
            f"none found for {', '.join(missing)} among {', '.join(map(str, df.columns))}."
        )
        raise HygisInputError(msg)
    filled = df[cols["parcel_id"]].astype(str).str.strip() != ""
    # Row numbers as the user counts them (1 = the first under the header), kept through the filter.
    keep = (filled | (df[cols["northing"]].astype(str).str.strip() != "")).to_numpy()
    df, row_no = df[keep], np.arange(1, len(df) + 1)[keep]
    # Tables often name the parcel on its first vertex only.
    pid = df[cols["parcel_id"]].astype(str).str.strip().replace("", np.nan).ffill()
    x = pd.to_numeric(df[cols["northing"]], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[cols["easting"]], errors="coerce").to_numpy(dtype=float)
    ring = None
    bad_ring = np.zeros(len(df), dtype=bool)
    if cols["ring"] is not None:
        given = df[cols["ring"]].astype(str).str.strip()
        number = pd.to_numeric(given.replace("", "1"), errors="coerce").to_numpy(dtype=float)
        bad_ring = ~ring_numbers_ok(number)
        ring = np.where(bad_ring, 1, number).astype(int)
    bad = implausible(x, y) | bad_ring
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = "; ".join(
            f"row {row_no[r]}: X={df[cols['northing']].iloc[r]!r}, Y={df[cols['easting']].iloc[r]!r}"
            + (f", 圈号={df[cols['ring']].iloc[r]!r}" if bad_ring[r] else "")
            for r in rows[:6]
        )
        msg = (
            f"{source}: {len(rows)} vertex row(s) without usable numbers ({shown}; row 1 is the first "
            "under the header). X and Y are metres (X the northing, 1 000 000–10 000 000; Y the easting), "
            "圈号 a whole number. Fix them."
        )
        raise HygisInputError(msg)
    east, north, notes = survey_axes(x, y, source=source)
    ids, geoms, more = polygons_from_vertices(
        pid.to_numpy(),
        ring,
        east,
        north,
        source=source,
        lines=row_no,
        line_word="row",
        points=None if cols["point"] is None else df[cols["point"]].to_numpy(),
    )
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
