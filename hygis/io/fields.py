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


__all__ = ["ALIASES_CSV", "field_aliases", "find_field", "normalise_name"]
