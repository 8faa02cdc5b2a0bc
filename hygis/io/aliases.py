"""Names that Chinese planning files give to the same thing, kept as data in ``data/``.

Surveyors' tables call the parcel id 地块编号, 宗地编号 or DKBH, and the northing X, X坐标 or
北坐标; :func:`find_field` finds each by any of its aliases in ``data/field_aliases.csv``.
A 三区三线 database calls the farmland layer 永久基本农田, YJJBNT or 430400_YJJBNTBHTB_2023;
:func:`layer_lines` tells which control line a layer name stands for, by
``data/control_line_layers.csv``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

from hygis.settings import DATA_DIR

# Units and remarks in brackets ("X坐标(m)", "Y（东）") say nothing about which column it is.
_BRACKETED = re.compile(r"[\(\[（【].*?[\)\]）】]")


def normalise_name(name: object) -> str:
    """Fold a column or layer name for matching: NFKC, lower case, no spaces, no bracketed remarks.

    >>> normalise_name(" X坐标（m） ")
    'x坐标'
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return re.sub(r"\s+", "", _BRACKETED.sub("", text))


@functools.cache
def field_aliases() -> dict[str, tuple[str, ...]]:
    """Aliases of each field hygis looks for in tables, from ``data/field_aliases.csv``.

    Returns
    -------
    dict
        ``{"parcel_id": ("地块编号", …), "northing": ("x", …), …}``, aliases normalised by
        :func:`normalise_name`, in the file's order (the first match wins).
    """
    table = pd.read_csv(DATA_DIR / "field_aliases.csv", dtype=str, keep_default_na=False)
    out: dict[str, list[str]] = {}
    for field, alias in zip(table["field"], table["alias"]):
        out.setdefault(field, []).append(normalise_name(alias))
    return {k: tuple(v) for k, v in out.items()}


def find_field(columns: Iterable[object], field: str) -> object | None:
    """The column among ``columns`` that holds ``field`` (e.g. ``"northing"``), or None.

    >>> find_field(["地块编号", "点号", "X坐标(m)", "Y坐标(m)"], "northing")
    'X坐标(m)'
    """
    by_name: dict[str, object] = {}
    for col in columns:
        by_name.setdefault(normalise_name(col), col)
    return next((by_name[a] for a in field_aliases()[field] if a in by_name), None)


@functools.cache
def layer_aliases() -> dict[str, tuple[str, ...]]:
    """Layer names of each control line in plan databases, from ``data/control_line_layers.csv``.

    Returns
    -------
    dict
        ``{"permanent_farmland": ("永久基本农田", …, "yjjbnt", …), …}``, normalised.
    """
    table = pd.read_csv(DATA_DIR / "control_line_layers.csv", dtype=str, keep_default_na=False)
    out: dict[str, list[str]] = {}
    for line, alias in zip(table["line"], table["alias"]):
        out.setdefault(line, []).append(normalise_name(alias))
    return {k: tuple(v) for k, v in out.items()}


def layer_lines(layer: str) -> list[str]:
    """The control lines a layer name stands for (usually one; none for XZQ, 规划地类 …).

    Chinese aliases match anywhere in the name (陆域生态保护红线_2023 is a red line); pinyin
    codes match a whole word of it, between separators and digits (430400_YJJBNT_2023), so
    that short codes do not match inside unrelated ones.

    >>> layer_lines("430400_YJJBNTBHTB_2023")
    ['permanent_farmland']
    >>> layer_lines("衡阳市陆域生态保护红线")
    ['ecological_redline']
    >>> layer_lines("XZQ")
    []
    """
    folded = normalise_name(layer)
    words = set(re.split(r"[^a-z]+", folded))
    found = []
    for line, aliases in layer_aliases().items():
        if any((a in words) if a.isascii() else (a in folded) for a in aliases):
            found.append(line)
    return found
