"""The layer names of the three control lines in plan databases, kept as data in ``data/``.

A 三区三线 database calls the farmland layer 永久基本农田, YJJBNT or 430400_YJJBNTBHTB_2023;
:func:`layer_lines` tells which control line a layer name stands for, by
``data/control_line_layers.csv``.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from hygis.io.fields import normalise_name
from hygis.settings import DATA_DIR


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
