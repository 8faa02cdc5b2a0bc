"""The maps' cartography as data: colours, symbols and legend labels from ``data/map_styles.json``.

Nothing in :mod:`hygis.maps` hard-codes a colour; a bureau with its own drawing standard
edits the JSON (or passes its own copy through ``HYGIS_DATA_DIR``).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

import numpy as np

from hygis.constants import VERDICT_COLORS
from hygis.errors import HygisInputError
from hygis.settings import DATA_DIR

STYLES_FILE = "map_styles.json"


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    path = DATA_DIR / STYLES_FILE
    if not path.exists():
        msg = f"The map style table {path} is missing: reinstall hygis."
        raise HygisInputError(msg)
    return json.loads(path.read_text(encoding="utf-8"))


def styles() -> dict[str, Any]:
    """Return a copy of the whole style table (safe to modify)."""
    return copy.deepcopy(_load())


def get(*keys: str) -> Any:
    """One entry of the style table, e.g. ``get("control_lines", "ecological_redline", "style")``."""
    node: Any = _load()
    for key in keys:
        node = node[key]
    return copy.deepcopy(node)


def group_color(groups) -> np.ndarray:
    """Colour of each project group (array of hex strings); unknown groups get ``other_color``."""
    table = _load()["projects"]
    palette = {name: spec["color"] for name, spec in table["groups"].items()}
    return np.array(
        [palette.get(g, table["other_color"]) for g in np.asarray(groups, dtype=object)], dtype=object
    )


def verdict_color(verdicts) -> np.ndarray:
    """Colour of each compliance verdict (array of hex strings); unknown verdicts grey."""
    grey = VERDICT_COLORS["not located"]
    return np.array([VERDICT_COLORS.get(v, grey) for v in np.asarray(verdicts, dtype=object)], dtype=object)


def scaled(values, lo: float, hi: float, vmax: float | None = None) -> np.ndarray:
    """Map non-negative values to ``[lo, hi]`` by square root, so a symbol's AREA is proportional.

    Parameters
    ----------
    values : array_like
        E.g. investment in 亿元; NaN → ``lo``.
    lo, hi : float
        Size (pixels) of the smallest and the largest value.
    vmax : float, optional
        Value drawn at ``hi`` (default: the largest of ``values``), so several maps share a scale.
    """
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=float), nan=0.0), 0.0, None)
    top = float(vmax if vmax is not None else (v.max() if v.size else 0.0))
    if top <= 0:
        return np.full(v.shape, float(lo))
    return lo + (hi - lo) * np.sqrt(np.minimum(v, top) / top)


SYMBOLS = {
    "square": (
        '<rect x="1.5" y="1.5" width="{s3}" height="{s3}" fill="{fill}" stroke="{color}" stroke-width="2.2"/>'
    ),
    "triangle": (
        '<polygon points="{h},1.5 {s1},{s1} 1.5,{s1}" fill="{fill}" stroke="{color}" stroke-width="2.2"/>'
    ),
    "circle": '<circle cx="{h}" cy="{h}" r="{r}" fill="{fill}" stroke="{color}" stroke-width="2"/>',
}


def symbol_svg(symbol: str, size: float, color: str, fill: str | None = None) -> str:
    """Inline SVG of a point symbol (our own markup from the style table; never user text)."""
    s = float(size)
    svg = SYMBOLS[symbol].format(
        s3=s - 3, s1=s - 1.5, h=s / 2, r=s / 2 - 1.5, color=color, fill=fill or color
    )
    return f'<svg width="{s:g}" height="{s:g}" viewBox="0 0 {s:g} {s:g}" xmlns="http://www.w3.org/2000/svg">{svg}</svg>'


__all__ = ["styles", "get", "group_color", "verdict_color", "scaled", "symbol_svg", "SYMBOLS"]
