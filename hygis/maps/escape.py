"""Attribute values are data, never markup: escaping and formatting for map text.

Every text that comes from a layer or a user's file reaches the page by one of two roads,
both safe whatever characters it holds (``<img onerror=…>``, ``</script>``, backticks,
``${…}``):

* feature popups, tooltips and labels are built here in Python with every value passed
  through :func:`html.escape`, stored as feature properties (:mod:`hygis.maps.geojson`) and
  embedded with Jinja's ``tojson`` (which also escapes ``<``, ``>`` and ``&``); Leaflet then
  shows the escaped markup as literal text;
* panels (title, banner, legend, lists) are :class:`hygis.maps.controls.HtmlControl`, whose
  markup is built with :func:`esc` and embedded the same way.

Folium's own ``Tooltip``/``Popup`` put text into a JavaScript template literal unescaped,
so hygis never hands them a user's string.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def esc(value: Any) -> str:
    """Text of a value, escaped for HTML; missing values (None, NaN, "") give an empty string."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return html.escape(str(value), quote=True)


def script_json(obj: object) -> str:
    """JSON safe inside a ``<script>``: no ``<``, ``>`` or ``&`` can end the script or start markup.

    >>> text = script_json({"name": "</script><b>"})
    >>> "<" in text, json.loads(text)["name"]
    (False, '</script><b>')
    """
    return (
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def fmt(value: Any, digits: int = 2) -> str:
    """A number for a popup (thousands separators, trailing zeros dropped); text escaped."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return text or "0"
    return esc(value)


def table_html(title: str | None, rows: Sequence[tuple[str, Any]], *, title_is_markup: bool = False) -> str:
    """A popup: an optional bold title and a two-column table of (label, value).

    Labels are hygis's own (from the code or the style table) and are escaped too; values
    are escaped (numbers formatted). Rows whose value is empty are dropped.
    """
    parts = []
    if title:
        parts.append(f'<div class="hy-pt">{title if title_is_markup else esc(title)}</div>')
    cells = [
        f"<tr><th>{esc(label)}</th><td>{fmt(value)}</td></tr>" for label, value in rows if fmt(value) != ""
    ]
    if cells:
        parts.append('<table class="hy-tbl">' + "".join(cells) + "</table>")
    return "".join(parts)


def popups(
    frame: pd.DataFrame, title: str | Iterable[Any] | None, fields: Sequence[tuple[str, str]]
) -> list[str]:
    """One popup per row: ``title`` (a column name, or values) and ``fields`` as (label, column).

    Columns missing from ``frame`` are skipped, so user files with fewer columns still work.
    """
    cols = [(label, col) for label, col in fields if col in frame.columns]
    if isinstance(title, str):
        titles = frame[title].tolist() if title in frame.columns else [None] * len(frame)
    elif title is None:
        titles = [None] * len(frame)
    else:
        titles = list(title)
    values = [frame[c].tolist() for _, c in cols]
    return [
        table_html(t, [(label, vals[i]) for (label, _), vals in zip(cols, values)])
        for i, t in enumerate(titles)
    ]


def tooltips(*columns: Iterable[Any], sep: str = " · ") -> list[str]:
    """Escaped one-line tooltips joining the non-empty values of several columns, row by row."""
    return [sep.join(e for e in map(esc, row) if e) for row in zip(*columns)]
