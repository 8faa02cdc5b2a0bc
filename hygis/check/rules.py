"""Table matching for the check, and the corridor widths of linear projects.

:func:`best_match` picks, for each project, the most specific row of a table keyed by plan group
and name pattern (the type defaults of :mod:`hygis.check.categories`, the corridor widths); the
default corridor widths of linear projects are ``data/corridor_widths.csv``
(:func:`load_corridor_widths`). The verdicts themselves are :mod:`hygis.check.categories`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from hygis.errors import HygisInputError
from hygis.settings import DATA_DIR

#: An object-array None that numpy's typed np.where accepts as a branch.
NULL = np.array(None, dtype=object)


@lru_cache(maxsize=4)
def _read_csv(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def load_corridor_widths(path: str | Path | None = None) -> pd.DataFrame:
    """Load the default corridor widths of linear projects (default ``data/corridor_widths.csv``).

    Columns: ``group`` (or ``*``), ``name_pattern`` (regex on the name, or empty), ``width_m``,
    ``basis`` (why that width). Used only where a line project has no ``width_m`` attribute.
    """
    path = Path(path) if path is not None else DATA_DIR / "corridor_widths.csv"
    table = _read_csv(str(path)).copy()
    table["width_m"] = pd.to_numeric(table["width_m"], errors="raise")
    if not ((table.group == "*") & (table.name_pattern == "")).any():
        msg = f"{path.name}: needs a default row (group *, empty name_pattern)."
        raise HygisInputError(msg)
    table["specificity"] = (table.group != "*").astype(int) * 2 + (table.name_pattern != "").astype(int)
    table.attrs["path"] = str(path)
    return table


def best_match(
    frame: pd.DataFrame, table: pd.DataFrame, extra: Callable[[pd.Series], np.ndarray] | None = None
) -> np.ndarray:
    """Index (into ``table``) of the most specific row matching each project (vectorised per rule row).

    ``frame`` has ``group`` and ``name`` columns; ``table`` the ``group``, ``name_pattern`` and
    ``specificity`` columns of :func:`hygis.check.categories.load_type_defaults` or
    :func:`load_corridor_widths`; ``extra``
    narrows each row's match further. -1 where no row matches.
    """
    best = np.full(len(frame), -1)
    best_spec = np.full(len(frame), -1)
    names = frame["name"].astype(str)
    for k, row in enumerate(table.itertuples(index=False)):
        mask = np.ones(len(frame), bool)
        if row.group != "*":
            mask &= frame["group"].to_numpy() == row.group
        if row.name_pattern:
            mask &= names.str.contains(row.name_pattern, regex=True).to_numpy()
        if extra is not None:
            mask &= extra(row)
        better = mask & (row.specificity > best_spec)
        best[better], best_spec[better] = k, row.specificity
    return best


__all__ = ["NULL", "best_match", "load_corridor_widths"]
