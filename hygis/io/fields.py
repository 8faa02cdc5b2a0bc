"""Which column of a planner's layer holds what: the field names of the survey databases, as data.

Survey and plan databases name their fields by convention (``TBMJ`` 图斑面积, ``DLBM`` 地类编码,
``ZLDJ`` 质量等别, ``XZQDM`` 行政区代码 …), and exports rename them (Chinese aliases, lower case).
The aliases hygis looks for, in order of preference, are ``data/field_aliases.csv`` (one row per
alias, with what the field means and where the name comes from), loaded by :func:`field_aliases`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from hygis.errors import HygisInputError
from hygis.settings import DATA_DIR

ALIASES_CSV = DATA_DIR / "field_aliases.csv"

# Units and remarks in brackets ("X坐标(m)", "Y（东）") say nothing about which column it is.
_BRACKETED = re.compile(r"[\(\[（【].*?[\)\]）】]")


def normalise_name(name: object) -> str:
    """Fold a column or layer name for matching: NFKC, lower case, no spaces, no bracketed remarks.

    >>> normalise_name(" X坐标（m） ")
    'x坐标'
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return re.sub(r"\s+", "", _BRACKETED.sub("", text))


@lru_cache(maxsize=1)
def field_aliases() -> dict[str, tuple[str, ...]]:
    """Each field hygis knows (``official_area``, ``land_class`` …) and its aliases, preferred first.

    >>> field_aliases()["official_area"][:2]
    ('TBMJ', 'MJ')
    """
    table = pd.read_csv(ALIASES_CSV, dtype=str, keep_default_na=False)
    return {field: tuple(rows["alias"]) for field, rows in table.groupby("field", sort=False)}


def find_field(columns: Iterable[object], field: str) -> str | None:
    """The column holding ``field`` (its first alias present), or None.

    Names are compared folded by :func:`normalise_name` (case, full-width characters, spaces
    and bracketed units ignored).

    >>> find_field(["bsm", "tbmj", "geometry"], "official_area")
    'tbmj'
    >>> find_field(["地块编号", "点号", "X坐标(m)", "Y坐标(m)"], "northing")
    'X坐标(m)'
    """
    aliases = field_aliases()
    if field not in aliases:
        msg = f"Unknown field '{field}': {ALIASES_CSV.name} knows {', '.join(sorted(aliases))}."
        raise HygisInputError(msg)
    by_name: dict[str, str] = {}
    for col in columns:
        by_name.setdefault(normalise_name(col), str(col))
    return next((by_name[a] for a in map(normalise_name, aliases[field]) if a in by_name), None)


def land_codes(values: Iterable[object]) -> np.ndarray:
    """DLBM values as code strings: ``101`` read as a number is ``0101``; ``11`` is the 2007 ``011``.

    >>> land_codes([101, "0102 水浇地", 11, None]).tolist()
    ['0101', '0102', '011', '']
    """
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
            continue
        text = str(v).strip()
        if isinstance(v, (int, float, np.integer, np.floating)):
            text = str(int(v))
            text = text.zfill(4) if len(text) == 3 else text.zfill(3) if len(text) == 2 else text
        m = re.match(r"\d+", text)
        out.append(m.group(0) if m else "")
    return np.array(out, dtype=str)


#: The survey attributes a 用地预审 itemises, by the field they are found in (data/field_aliases.csv).
SURVEY_FIELDS = ("land_class", "quality_grade")


def survey_attributes(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per row, the survey attributes the layer carries: ``land_class`` (DLBM codes, see
    :func:`land_codes`) and ``quality_grade`` (ZLDJ as a number, NaN where not one); absent
    fields are left out.

    >>> survey_attributes(pd.DataFrame({"DLBM": ["0101", 103], "ZLDJ": ["5", None]}))
    {'land_class': array(['0101', '0103'], dtype='<U4'), 'quality_grade': array([ 5., nan])}
    """
    out: dict[str, np.ndarray] = {}
    column = find_field(frame.columns, "land_class")
    if column is not None:
        out["land_class"] = land_codes(frame[column].tolist())
    column = find_field(frame.columns, "quality_grade")
    if column is not None:
        out["quality_grade"] = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    return out


__all__ = [
    "ALIASES_CSV",
    "SURVEY_FIELDS",
    "field_aliases",
    "find_field",
    "land_codes",
    "normalise_name",
    "survey_attributes",
]
