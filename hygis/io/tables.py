"""Tables of projects with coordinate columns (CSV/XLSX) read as points."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hygis.errors import HygisInputError

#: Table suffixes read as points from coordinate columns.
TABLE_SUFFIXES = (".csv", ".xlsx", ".xls")


#: Column names recognised as x / y in tables (lower-cased).
X_COLUMNS = ("lon", "lng", "longitude", "x", "经度", "东坐标", "easting")


Y_COLUMNS = ("lat", "latitude", "y", "纬度", "北坐标", "northing")


def read_table_points(path: Path, name: str) -> gpd.GeoDataFrame:
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
            f"{name}: the table {path.name} needs coordinate columns: "
            f"one of {', '.join(X_COLUMNS)} and one of {', '.join(Y_COLUMNS)}; "
            f"it has {', '.join(map(str, df.columns))}."
        )
        raise HygisInputError(msg)
    x = pd.to_numeric(df[xcol], errors="coerce")
    y = pd.to_numeric(df[ycol], errors="coerce")
    geom = gpd.points_from_xy(x, y)
    geom = np.where(x.isna() | y.isna(), None, geom)
    return gpd.GeoDataFrame(df, geometry=list(geom), crs=None)
