"""Zonal statistics: a raster summarised over polygons, exact at the zone edges.

The engine is ``exactextract`` (Baston's exact coverage fractions): each cell a zone
boundary crosses is weighted by the fraction of its area inside the zone, so a county's
mean of a 30 m raster is the true area-weighted mean, not the mean of the cells whose centre
happens to fall inside. ``all_touched=True`` instead counts every cell the zone touches with
full weight (a conservative, larger footprint, as GDAL's ``ALL_TOUCHED``).

Decisions (tested, and stated in every result's ``attrs["hygis_notes"]``):

* The zones are reprojected to the raster's CRS (never the raster to the zones': warping
  would resample the values).
* NoData cells are left out of every statistic; NaN cells of a float raster too.
* A raster **without a NoData value** is read as having none: every cell counts as data, and
  a warning says so and how to give one (``nodata=`` / ``--nodata``).
* A raster **without a CRS** is an error, unless ``raster_crs=`` says what it is.
* Zones outside the raster get empty statistics (NaN, count 0) and a note; if none overlaps,
  it is an error that shows both extents.
* Cells larger than the zones are allowed (the statistics are still exact area-weighted
  values) but a warning says how many zones are smaller than one cell.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import CRS
from rasterio.enums import MaskFlags

from hygis import io
from hygis.crs import CrsLike, describe
from hygis.errors import HygisInputError, HygisWarning
from hygis.messages import warn
from hygis.raster.cog import check_readable, open_raster

#: hygis statistic → exactextract operation. ``count`` is the number of data cells (fractional
#: in the area-weighted mode: the sum of coverage fractions); ``std`` the population standard
#: deviation; ``majority``/``minority`` the most/least common value (area-weighted).
STATS: dict[str, str] = {
    "mean": "mean",
    "min": "min",
    "max": "max",
    "sum": "sum",
    "count": "count",
    "std": "stdev",
    "median": "median",
    "majority": "majority",
    "minority": "minority",
    "variety": "variety",
}

#: Statistics computed from others.
DERIVED: dict[str, tuple[str, ...]] = {"range": ("min", "max")}

#: The default statistics.
DEFAULT_STATS: tuple[str, ...] = ("mean", "min", "max", "count")

#: Attribute holding the notes of a result (as :data:`hygis.io.NOTES_ATTR`).
NOTES_ATTR = io.NOTES_ATTR


class ZonalWarning(HygisWarning):
    """An assumption zonal statistics made about the raster (e.g. no NoData value)."""


def parse_stats(stats: str | Sequence[str] | None) -> list[str]:
    """Parse ``"mean,min,p90"`` or a list into statistic names, checking each.

    ``pNN`` (0 < NN < 100) is the NN-th percentile.
    """
    if stats is None:
        return list(DEFAULT_STATS)
    items = [
        s.strip().lower() for s in (stats.split(",") if isinstance(stats, str) else stats) if str(s).strip()
    ]
    if not items:
        msg = "No statistic asked for: give e.g. --stats mean,min,max,count."
        raise HygisInputError(msg)
    known = [*STATS, *DERIVED]
    for s in items:
        if s in known or (
            s.startswith("p") and s[1:].replace(".", "", 1).isdigit() and 0 < float(s[1:]) < 100
        ):
            continue
        msg = f"Unknown statistic '{s}'. Choose from {', '.join(known)}, or pNN for a percentile (p10, p90)."
        raise HygisInputError(msg)
    return list(dict.fromkeys(items))


def _operation(stat: str, all_touched: bool) -> str:
    op = STATS[stat] if stat in STATS else f"quantile(q={float(stat[1:]) / 100:g})"
    # coverage_weight=none with the default min_coverage_frac counts every touched cell whole.
    args = "coverage_weight=none" if all_touched else ""
    if args:
        op = f"{op[:-1]},{args})" if op.endswith(")") else f"{op}({args})"
    return op


#: Largest raster window (bytes) read into memory at once; larger rasters are read block by block.
MEMORY_BYTES: int = 1_000_000_000


def _source(
    ds: rasterio.DatasetReader,
    band: int,
    nodata: float | None,
    bounds: tuple[float, float, float, float] | None,
    crs: CRS,
):
    """An exactextract raster source for the part of the band under the zones.

    The window under the zones is read once into memory when it fits in :data:`MEMORY_BYTES`
    (exactextract then runs without calling back into Python per feature, several times
    faster); otherwise exactextract reads it block by block through rasterio. Both honour the
    raster's NoData, its mask, a NoData given by the user, NaN cells and scale/offset.
    """
    from exactextract.raster import NumPyRasterSource, RasterioRasterSource  # noqa: PLC0415 - heavy import

    window = None
    if bounds is not None:
        w = rasterio.windows.from_bounds(*bounds, transform=ds.transform)
        col0, row0 = max(int(np.floor(w.col_off)), 0), max(int(np.floor(w.row_off)), 0)
        col1 = min(int(np.ceil(w.col_off + w.width)), ds.width)
        row1 = min(int(np.ceil(w.row_off + w.height)), ds.height)
        window = rasterio.windows.Window(col0, row0, max(col1 - col0, 1), max(row1 - row0, 1))
    size = (window.width * window.height if window is not None else ds.width * ds.height) * np.dtype(
        ds.dtypes[band - 1]
    ).itemsize
    if size <= MEMORY_BYTES:
        left, bottom, right, top = ds.window_bounds(window) if window is not None else ds.bounds
        flags = set(ds.mask_flag_enums[band - 1])
        scaled = ds.scales[band - 1] != 1.0 or ds.offsets[band - 1] != 0.0
        simple = flags <= {MaskFlags.all_valid, MaskFlags.nodata} and not scaled
        if simple and (nodata is None or ds.nodata is None or nodata == ds.nodata):
            # The common case: no mask band, at most one NoData value: a plain read (masked reads are slow).
            arr = ds.read(band, window=window)
            value = nodata if nodata is not None else ds.nodata
            if value is not None and arr.dtype.kind in "iu":
                value = int(value)
            return NumPyRasterSource(arr, left, bottom, right, top, nodata=value, srs_wkt=crs.to_wkt())
        arr = ds.read(band, window=window, masked=True)
        if nodata is not None:
            arr = np.ma.masked_where(np.ma.getdata(arr) == nodata, arr, copy=False)
        if scaled:
            arr = arr.astype("float64") * ds.scales[band - 1] + ds.offsets[band - 1]
        if np.ma.is_masked(arr):
            # NaN is exactextract's NoData for floats: one rule for masks, NoData values and scaled data.
            arr = arr.astype(
                "float64" if arr.dtype.itemsize > 4 or arr.dtype.kind in "iu" else "float32"
            ).filled(np.nan)
        else:
            arr = np.ma.getdata(arr)
        return NumPyRasterSource(np.ascontiguousarray(arr), left, bottom, right, top, srs_wkt=crs.to_wkt())

    class _Source(RasterioRasterSource):
        def nodata_value(self):
            return nodata if nodata is not None else super().nodata_value()

        def read_window(self, x0, y0, nx, ny):
            arr = super().read_window(x0, y0, nx, ny)
            if nodata is None:
                return arr
            arr = np.ma.asarray(arr)
            return np.ma.masked_where(np.ma.getdata(arr) == nodata, arr, copy=False)

    return _Source(ds, band)


def _features(geoms: np.ndarray, rows: np.ndarray, crs: CRS):
    """An exactextract feature source over shapely geometries, handing GEOS WKB (no GeoJSON round trip)."""
    from exactextract.feature import Feature, FeatureSource  # noqa: PLC0415

    class _Feature(Feature):
        def __init__(self, row: int, wkb: bytes):
            Feature.__init__(self)
            self.row, self.wkb = row, wkb

        def geometry(self):
            return self.wkb

        def get(self, name):
            return self.row

        def fields(self):
            return ["_row"]

        def set_geometry_format(self):
            return "wkb"

    class _Source(FeatureSource):
        def __init__(self):
            super().__init__()
            self.wkbs = shapely.to_wkb(geoms)

        def count(self):
            return len(self.wkbs)

        def __iter__(self):
            for row, wkb in zip(rows.tolist(), self.wkbs):
                yield _Feature(row, wkb)

        def srs_wkt(self):
            return crs.to_wkt()

    return _Source()


def zonal_stats(
    raster: str | os.PathLike | rasterio.DatasetReader,
    zones: gpd.GeoDataFrame,
    stats: str | Sequence[str] | None = DEFAULT_STATS,
    *,
    all_touched: bool = False,
    band: int = 1,
    nodata: float | None = None,
    raster_crs: CrsLike | None = None,
    id_columns: Sequence[str] | None = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Summarise a raster over each zone.

    Parameters
    ----------
    raster : path or open rasterio dataset
        Any raster GDAL reads, in any CRS.
    zones : GeoDataFrame
        Polygons (any CRS). Zones without a polygon get empty statistics.
    stats : str or sequence of str
        Names from :data:`STATS`, ``range`` and ``pNN`` percentiles; ``"mean,min"`` works.
    all_touched : bool
        False (default): cells weighted by the fraction of their area inside the zone.
        True: every cell the zone touches counts whole.
    band : int
        1-based band to summarise.
    nodata : float, optional
        Value that marks missing cells, overriding (or supplying) the raster's own.
    raster_crs : CRS-like, optional
        The raster's CRS when the file has none (e.g. ``"EPSG:4546"``).
    id_columns : sequence of str, optional
        Zone columns to keep (default: all of them).
    label : str, optional
        Name of the raster in messages (default: its file name).

    Returns
    -------
    GeoDataFrame
        One row per zone, in the zones' order and CRS: the kept zone columns, then one
        column per statistic named as the statistic. ``attrs["hygis_notes"]`` lists every
        assumption made.

    Raises
    ------
    HygisInputError
        Unknown statistic, unreadable or CRS-less raster, no zone overlapping the raster.
    """
    names = parse_stats(stats)
    if not isinstance(zones, gpd.GeoDataFrame):
        msg = "zones must be a GeoDataFrame of polygons."
        raise HygisInputError(msg)
    owns = not isinstance(raster, rasterio.io.DatasetReaderBase)
    ds: rasterio.DatasetReader = open_raster(raster, label=label or "raster") if owns else raster
    try:
        return _zonal(
            ds,
            zones,
            names,
            all_touched=all_touched,
            band=band,
            nodata=nodata,
            raster_crs=raster_crs,
            id_columns=id_columns,
            label=label or f"raster {Path(ds.name).name}",
        )
    finally:
        if owns:
            ds.close()


def _zonal(ds, zones, names, *, all_touched, band, nodata, raster_crs, id_columns, label) -> gpd.GeoDataFrame:
    """:func:`zonal_stats` on an open raster: checks, the output frame, coverage, then exactextract."""
    notes: list[str] = []
    rcrs = _checked_raster(
        ds, zones, band=band, nodata=nodata, raster_crs=raster_crs, label=label, notes=notes
    )
    out, keep = _output_frame(zones, names, id_columns, notes)
    geoms = zones.geometry.to_crs(rcrs).to_numpy()
    inside, outside = _coverage(
        geoms, io.feature_labels(zones, keep[0] if keep else None), ds, rcrs, label, notes
    )
    result = _extract(
        ds,
        geoms,
        inside,
        outside,
        names,
        band=band,
        nodata=nodata,
        all_touched=all_touched,
        rcrs=rcrs,
        label=label,
    )
    if "range" in names:
        result["range"] = result["max"] - result["min"]
    for n in names:
        out[n] = result[n].to_numpy()
    out.attrs.clear()  # the zones' layer metadata does not describe this table
    out.attrs[NOTES_ATTR] = notes
    out.attrs["hygis_zonal"] = {
        "raster": str(ds.name),
        "band": band,
        "mode": "all_touched" if all_touched else "area-weighted",
        "raster_crs": describe(rcrs),
        "stats": names,
    }
    return out


def _checked_raster(ds, zones, *, band, nodata, raster_crs, label, notes: list[str]) -> CRS:
    """The raster's CRS, once the band, the CRSs and the file are checked; NoData said if unset."""
    if not 1 <= band <= ds.count:
        msg = f"{label} has {ds.count} band(s); band {band} does not exist."
        raise HygisInputError(msg)
    if ds.crs is None and raster_crs is None:
        msg = (
            f"{label} has no coordinate reference system, so hygis cannot tell where its cells are. "
            "Give it with --raster-crs (Python: raster_crs=), "
            "e.g. EPSG:4546 for CGCS2000 3° Gauss–Krüger CM 111°E, "
            "or fix the file (gdal_edit.py -a_srs EPSG:4546 FILE)."
        )
        raise HygisInputError(msg)
    if zones.crs is None:
        msg = (
            "The zones have no CRS: set one (gdf.set_crs('EPSG:4490')) "
            "or read them with hygis.io.read_vector."
        )
        raise HygisInputError(msg)
    check_readable(ds, label=label)
    if nodata is None and ds.nodata is None and not ds.dtypes[band - 1].startswith("float"):
        text = (
            f"{label} has no NoData value: every cell is counted as data. If a value marks missing cells "
            "(e.g. -9999, or 0 outside the surveyed area), give it with --nodata VALUE (Python: nodata=)."
        )
        warn(text, notes, category=ZonalWarning)
    elif nodata is None and ds.nodata is None:
        text = (
            f"{label} has no NoData value: NaN cells are left out, "
            "every other cell is counted as data (--nodata VALUE to change)."
        )
        warn(text, notes, category=ZonalWarning)
    return CRS(raster_crs) if raster_crs is not None else CRS(ds.crs.to_wkt())


def _output_frame(zones, names, id_columns, notes: list[str]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The zones' columns to keep (``id_columns`` or all), renamed where a statistic takes the name."""
    keep = list(zones.columns.drop(zones.geometry.name)) if id_columns is None else list(id_columns)
    missing_cols = [c for c in keep if c not in zones.columns]
    if missing_cols:
        msg = (
            f"The zones have no column(s) {', '.join(missing_cols)}; "
            f"they have: {', '.join(map(str, zones.columns))}."
        )
        raise HygisInputError(msg)
    out = gpd.GeoDataFrame(zones[keep].copy(), geometry=zones.geometry.copy(), crs=zones.crs)
    clash = [c for c in names if c in out.columns]
    if clash:
        out = out.rename(columns={c: f"{c}_zone" for c in clash})
        warn(
            f"Zone column(s) {', '.join(clash)} renamed with the suffix _zone, "
            "to make room for the statistics.",
            notes,
            category=ZonalWarning,
        )
    return out, keep


def _coverage(geoms, labels, ds, rcrs: CRS, label: str, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which zones the raster covers (``inside``) and which it misses (``outside``), each case said."""
    absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6]) & ~absent
    if absent.any():
        warn(
            f"{int(absent.sum())} zone(s) have no geometry "
            f"(e.g. {', '.join(map(str, labels[absent][:5]))}): "
            "their statistics are empty.",
            notes,
            category=ZonalWarning,
        )
    other = ~absent & ~polygonal
    if other.any():
        warn(
            f"{int(other.sum())} zone(s) are points or lines, not polygons "
            f"({', '.join(map(str, labels[other][:5]))}): "
            "their statistics are empty. Buffer them to a footprint first.",
            notes,
            category=ZonalWarning,
        )
    raster_box = shapely.box(*ds.bounds)
    inside = polygonal & shapely.intersects(geoms, raster_box)
    if polygonal.any() and not inside.any():
        zb = shapely.total_bounds(geoms[polygonal])
        msg = (
            f"None of the {int(polygonal.sum())} zones overlaps {label}: the raster covers "
            f"x {ds.bounds.left:,.4f}…{ds.bounds.right:,.4f}, y {ds.bounds.bottom:,.4f}…{ds.bounds.top:,.4f} "
            "and the zones "
            f"x {zb[0]:,.4f}…{zb[2]:,.4f}, y {zb[1]:,.4f}…{zb[3]:,.4f} in {describe(rcrs)}. "
            "Is it the raster of this area, and is its CRS right?"
        )
        raise HygisInputError(msg)
    outside = polygonal & ~inside
    if outside.any():
        warn(
            f"{int(outside.sum())} zone(s) lie outside {label} "
            f"({', '.join(map(str, labels[outside][:5]))}): "
            "their statistics are empty.",
            notes,
            category=ZonalWarning,
        )
    partly = inside & ~shapely.covered_by(geoms, raster_box)
    if partly.any():
        warn(
            f"{int(partly.sum())} zone(s) extend beyond {label} "
            f"({', '.join(map(str, labels[partly][:5]))}): "
            "statistics cover the part inside.",
            notes,
            category=ZonalWarning,
        )
    cell_area = abs(ds.transform.a * ds.transform.e)
    small = inside & (shapely.area(geoms) < cell_area)
    if small.any():
        text = (
            f"{int(small.sum())} of {int(inside.sum())} zone(s) are smaller than one cell of {label} "
            f"({abs(ds.transform.a):g} × {abs(ds.transform.e):g} "
            f"{'degrees' if rcrs.is_geographic else 'm'}): "
            "their statistics come from one or a few cells. Use a finer raster for zones this small."
        )
        warn(text, notes, category=ZonalWarning)
    return inside, outside


def _extract(ds, geoms, inside, outside, names, *, band, nodata, all_touched, rcrs, label) -> pd.DataFrame:
    """The statistics of the zones ``inside`` by exactextract (NaN or 0 for the others), one column each."""
    from exactextract import exact_extract  # noqa: PLC0415

    base = [n for n in names if n not in DERIVED]
    for n in names:
        base.extend(d for d in DERIVED.get(n, ()) if d not in base)
    if "count" not in base:
        base.append("count")  # tells a zone with no data cell (whose min/max/mean are empty)
    result = pd.DataFrame(np.nan, index=np.arange(len(geoms)), columns=base, dtype=float)
    if inside.any():
        bounds = tuple(shapely.total_bounds(geoms[inside]))
        frame = _features(geoms[inside], np.flatnonzero(inside), rcrs)
        ops = [f"s{i}={_operation(n, all_touched)}" for i, n in enumerate(base)]
        try:
            df = exact_extract(
                _source(ds, band, nodata, bounds, rcrs),
                frame,
                ops,
                include_cols=["_row"],
                output="pandas",
                strategy="feature-sequential",
            )
        except ValueError as exc:
            msg = f"{label}: cannot compute zonal statistics ({exc})."
            raise HygisInputError(msg) from None
        values = df.drop(columns="_row").to_numpy(dtype=float)
        result.iloc[df["_row"].to_numpy(), :] = values
        # exactextract reports 0 for the min/max/mean of a zone with no data cell; empty is NaN.
        empty = result["count"].to_numpy() == 0
        result.loc[empty, [c for c in base if c not in ("count", "sum", "variety")]] = np.nan
    result.loc[outside, ["count"] + [c for c in ("sum", "variety") if c in base]] = 0.0
    return result


__all__ = ["zonal_stats", "parse_stats", "STATS", "DEFAULT_STATS", "ZonalWarning"]
