"""Writing hygis's outputs atomically, and never onto an input.

Everything hygis writes goes through :func:`write_vector`, :func:`write_layers`,
:func:`write_text` or :func:`write_table`: to a temporary file beside the target, renamed into
place only when complete, and never onto a file hygis has read as an input in this process
(:func:`register_inputs`, :func:`guard_not_input`).

A write killed before its rename (``kill -9``, a power cut) leaves its temporary file behind:
the name carries the writing process (host and pid), and the next write of the same target
removes the temporaries of processes that no longer run. A process whose caller is gone
(:func:`abandon`, ``hygis serve`` when the client was killed) renames nothing.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hygis.errors import HygisOutputError
from hygis.geometry import FAMILY

# Paths hygis has read in this process: outputs may never replace them.
_INPUT_PATHS: set[Path] = set()

# Set once whoever asked for this process's outputs is gone: no output is renamed into place.
_ABANDONED = threading.Event()

# This machine, in the names of temporary files: a pid means something only on its own host
# (an output folder may be a share that several machines write to).
_HOST = hashlib.blake2b(socket.gethostname().encode(), digest_size=3).hexdigest()

#: A temporary file of another machine, or of an older hygis, is removed once this old (s).
STALE_AFTER_S = 24 * 3600.0


def abandon() -> None:
    """Say that this process's caller is gone: every write still under way stops before its rename.

    ``hygis serve`` calls it in a command's process when the client that asked for the command
    has gone (its terminal closed, ``kill -9``): a newer report of the same name, written since
    by another command, must not be replaced by the orphan's.
    """
    _ABANDONED.set()


def abandoned() -> bool:
    """True once :func:`abandon` was called in this process."""
    return _ABANDONED.is_set()


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


# --------------------------------------------------------------------------- writing
def guard_not_input(path: str | os.PathLike) -> Path:
    """Refuse to write onto a file hygis has read as an input in this process."""
    target = Path(path).expanduser().resolve()
    if target in _INPUT_PATHS:
        msg = f"Refusing to overwrite the input file {target}: choose another output name (--out)."
        raise HygisOutputError(msg)
    return target


def _temp_prefix(target: Path) -> str:
    """Start of the name of a temporary file of ``target`` written by this process."""
    return f".tmp-{target.stem}-{_HOST}-{os.getpid()}-"


def _running(pid: int) -> bool | None:
    """Whether process ``pid`` of this machine runs; None where that cannot be asked safely."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it runs
        return True
    return True


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files of ``target`` left by writes that were killed; the removed paths.

    A temporary file (or folder, for a Shapefile) is stale when the process named in it no longer
    runs on this machine, or, written by another machine or an older hygis (or on Windows, where
    a process is not asked), when it is older than :data:`STALE_AFTER_S`. Temporaries of writes
    still under way are left alone.
    """
    head = f".tmp-{target.stem}-"
    removed: list[Path] = []
    try:
        candidates = list(target.parent.glob(glob.escape(head) + "*"))
    except OSError:
        return removed
    for leftover in candidates:
        host, pid, *_ = [*leftover.name[len(head) :].split("-", 2), "", ""]
        running = _running(int(pid)) if host == _HOST and pid.isdigit() else None
        if running is not None:
            stale = not running
        else:
            try:
                stale = time.time() - leftover.lstat().st_mtime > STALE_AFTER_S
            except OSError:
                continue
        if not stale:
            continue
        with contextlib.suppress(OSError):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
            removed.append(leftover)
    return removed


def _rename(tmp: Path, target: Path) -> None:
    """Move a complete output into place, unless its caller has gone (:func:`abandon`)."""
    if _ABANDONED.is_set():
        raise KeyboardInterrupt("the caller of this command is gone: its output is not written")
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    Temporaries that killed writes of the same target left behind are removed first
    (:func:`remove_stale_temporaries`).
    """
    target = guard_not_input(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target)
        # Keep the real suffix last: GDAL drivers choose behaviour by it.
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        msg = (
            f"Cannot write {target}: {exc.strerror or exc}. "
            "Choose a folder you can write to (--out / --out-dir)."
        )
        raise HygisOutputError(msg) from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL drivers want to create the file themselves
    try:
        yield tmp
        _rename(tmp, target)
    finally:
        for leftover in (tmp, *tmp.parent.glob(tmp.name + "*")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


_DRIVERS = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".shp": "ESRI Shapefile",
}


def output_suffix(path: str | os.PathLike[str], formats: tuple[str, ...], what: str) -> tuple[Path, str]:
    """The output path and its lower-case suffix, refused unless the suffix is one of ``formats``.

    >>> output_suffix("审查.XLSX", (".csv", ".xlsx"), "the report")[1]
    '.xlsx'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in formats:
        msg = f"{target.name}: {what} is written as {', '.join(formats)}; the suffix picks the format."
        raise HygisOutputError(msg)
    return target, suffix


def write_layers(layers: Mapping[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write several layers into one GeoPackage atomically (all or nothing).

    GeoDataFrames become spatial layers; plain DataFrames (warnings, provenance) attribute tables.
    """
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        msg = f"Several layers go into a GeoPackage (.gpkg), not {target.suffix}: change the output name."
        raise HygisOutputError(msg)
    import pyogrio  # noqa: PLC0415 - GDAL only when a file needs it (see hygis.io.geojson)

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
    """Write a GeoDataFrame atomically; the suffix picks the format.

    The formats are .gpkg, .geojson, .fgb, .shp and .parquet.
    """
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
        families = {FAMILY.get(t, "other") for t in gdf.geom_type.dropna()}
        if len(families) > 1:
            msg = (
                f"{target.name}: a Shapefile holds one geometry type, "
                f"but this data mixes {', '.join(sorted(families))}s. Write .gpkg instead."
            )
            raise HygisOutputError(msg)
        # A Shapefile is several files: write them to a temporary folder, then move each.
        final = guard_not_input(target)
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(final)
        with tempfile.TemporaryDirectory(dir=final.parent, prefix=_temp_prefix(final)) as tmpdir:
            tmp = Path(tmpdir) / final.name
            gdf.to_file(tmp, driver=driver, engine="pyogrio", encoding="UTF-8")
            for part in Path(tmpdir).iterdir():
                _rename(part, guard_not_input(final.with_suffix(part.suffix)))
        return final
    with atomic_path(target) as tmp:
        # The layer is named for the output, not for the temporary file (GeoJSON's "name" member):
        # the same data writes the same bytes.
        gdf.to_file(tmp, driver=driver, engine="pyogrio", layer=layer or target.stem)
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
            _write_csv(next(iter(sheets.values())), tmp)
    elif suffix == ".xlsx":
        with atomic_path(target) as tmp, open(tmp, "wb") as handle:
            writer = pd.ExcelWriter(handle, engine="openpyxl")
            try:
                for sheet, df in sheets.items():
                    df.to_excel(writer, sheet_name=str(sheet)[:31], index=False)
            except BaseException:
                # Abandoned (atomic_path removes it). Saving a half-built workbook can fail in its
                # turn ("At least one sheet must be visible") and hide why it stopped: a Ctrl-C
                # would show as that error's traceback instead of "Interrupted".
                with contextlib.suppress(Exception):
                    writer.close()
                raise
            writer.close()
    else:
        msg = f"Cannot write a table as '{suffix}': use .csv or .xlsx."
        raise HygisOutputError(msg)
    return target.resolve()


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 with a byte-order mark; through Arrow (15x pandas on a 150k-row report), else pandas.

    Arrow is given the rows :data:`CSV_ROWS` at a time, each slice converted to the one schema of
    the whole frame (so that every value is written as the whole table would write it): a report of
    10⁵ rows repeats long texts (rules with their clauses, sources) that a whole Arrow table would
    copy into every row, ~180 MB for 50,000 projects × 3 lines — more than the report itself.
    """
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pa_csv  # noqa: PLC0415

    try:
        schema = _arrow_schema(df)
        first = pa.Table.from_pandas(df.iloc[:CSV_ROWS], schema=schema, preserve_index=False, nthreads=1)
    except (pa.ArrowException, TypeError, ValueError):  # a column of mixed types: pandas writes it as text
        df.to_csv(path, index=False, encoding="utf-8-sig")
        return
    # Arrow quotes every header name: the header is written as pandas writes it, the rows by Arrow.
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([str(c) for c in df.columns])
    with open(path, "wb") as fh:
        fh.write(("\ufeff" + header.getvalue()).encode())
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        with pa_csv.CSVWriter(fh, first.schema, write_options=options) as writer:
            writer.write_table(first)
            del first
            for start in range(CSV_ROWS, len(df), CSV_ROWS):
                part = df.iloc[start : start + CSV_ROWS]
                # One thread: Arrow's threads would keep pages of their own.
                table = pa.Table.from_pandas(part, schema=schema, preserve_index=False, nthreads=1)
                writer.write_table(table)
                pa.default_memory_pool().release_unused()  # else it keeps every slice's pages


#: Rows of a table converted to Arrow at a time when a .csv is written (:func:`_write_csv`).
CSV_ROWS = 4_096


def _arrow_schema(df: pd.DataFrame) -> Any:
    """``pyarrow.Schema.from_pandas(df)`` without converting the whole of a text column.

    The Arrow type of a pandas text column (``str``, ``string``) is its dtype's, whatever its
    values; ``from_pandas`` converts the whole column to find it (the report's rule texts: 60 MB).
    Other columns (objects, whose type the values tell) are inferred from all their rows.
    """
    import pyarrow as pa  # noqa: PLC0415 - with the writer

    fields = []
    for k in range(df.shape[1]):
        column = df.iloc[:, [k]]
        if isinstance(column.dtypes.iloc[0], pd.StringDtype):
            column = column.iloc[:1]
        fields.append(pa.Schema.from_pandas(column, preserve_index=False).field(0))
    return pa.schema(fields)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    return df.drop(columns=[c for c in df.columns if str(df[c].dtype) == "geometry"])
