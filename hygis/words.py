"""The words a planner reads, Chinese or English (``data/report_headers.csv``).

A bureau reads what hygis writes in Chinese: sheet and layer names, column headers with their units
(公顷, 亩, km²), verdicts and the values a reader sees (几何类型, 用地范围取法 …) come from one table,
``data/report_headers.csv`` (``table``, ``key``, ``zh``, ``en``), never from code: the compliance
reports', the analysis workbooks' (统计, 县域, 城镇体系) and the monitoring workbooks' (监测预警)
alike, localised where they are written; the DataFrames the Python API returns keep their English
names. ``-`` in a language's column drops that column in that language (``control_line_zh`` duplicates the
translated ``control_line``). A data file's own sentences (a note, a source, a meaning) carry their
Chinese beside them, in a ``<column>_zh`` column of that file; the sentences code composes are rows
of the vocabulary (``value``, ``pattern``, ``text``). Free text the check composes in English
(location notes, the basis of an assumed project type) is left as it is. A foundation module: every
room may use it.

``table`` is ``sheet`` / ``layer`` (names), ``*`` (a column of any table) or a table's own name
(a column of that table only: ``land_use`` has its own ``category``), ``verdict`` and ``value``
(exact values), ``pattern`` (a regular expression and its replacement), ``meta`` (the items of the
provenance sheet).

>>> label("report", "verdict", "zh"), label("verdict", "conflict", "zh")
('审查结论', '冲突')
>>> value_text("corridor 40 m (default width)", "zh")
'线状工程按 40 米廊道（默认宽度）'
>>> rule_text("不占用生态保护红线 — the site does not overlap the ecological protection red line.", "zh")
'不占用生态保护红线'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd

from hygis.constants import CONTROL_LINE_EN, CONTROL_LINE_ZH, REPORT_LANGS
from hygis.errors import HygisInputError
from hygis.settings import DATA_DIR

#: The languages of the reports; Chinese is the default of every document a bureau files.
LANGS: tuple[str, ...] = REPORT_LANGS

#: A column left out in that language.
DROP = "-"


@lru_cache(maxsize=1)
def headers() -> dict[tuple[str, str], dict[str, str]]:
    """The vocabulary: (``table``, ``key``) → {``zh``: …, ``en``: …}, in the file's order."""
    frame = pd.read_csv(DATA_DIR / "report_headers.csv", dtype=str, keep_default_na=False)
    twice = frame[frame.duplicated(["table", "key"])]
    if len(twice):  # a packaging mistake, not a user's: say which rows
        msg = f"report_headers.csv: ({twice.iloc[0]['table']}, {twice.iloc[0]['key']}) is listed twice."
        raise ValueError(msg)
    return {(r.table, r.key): {"zh": r.zh, "en": r.en} for r in frame.itertuples()}


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`, else a clear error."""
    if lang not in LANGS:
        msg = f"Unknown report language '{lang}': use zh (中文, the default) or en."
        raise HygisInputError(msg)
    return lang


def label(table: str, key: str, lang: str, default: str | None = None) -> str:
    """The word for ``key`` of ``table`` in ``lang``; a column falls back to the ``*`` row, then to itself."""
    words = headers()
    own = table in ("sheet", "layer", "verdict", "value", "meta", "text")
    for t in (table,) if own else (table, "*"):
        if (t, key) in words:
            return words[(t, key)][lang]
    if table == "value" and key in CONTROL_LINE_ZH:
        return CONTROL_LINE_ZH[key] if lang == "zh" else CONTROL_LINE_EN[key]
    return key if default is None else default


def text(key: str, lang: str, **fields: object) -> str:
    """A sentence of the printed reports in ``lang``, its ``{fields}`` filled in.

    >>> text("projects_total", "zh", n=19)
    '共 19 个项目（每个项目按三条控制线中最严重的结论计）'
    """
    return label("text", key, lang).format(**fields)


def rule_text(text: object, lang: str) -> str:
    """A bilingual rule ("中文 — English") in one language; text without the dash as it is."""
    value = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    if " — " not in value:
        return value
    zh, en = value.split(" — ", 1)
    return zh.strip() if lang == "zh" else en.strip()


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    return tuple((re.compile(k), w["zh"], w["en"]) for (t, k), w in headers().items() if t == "pattern")


def value_text(value: object, lang: str) -> object:
    """A value as a reader sees it: verdicts, control lines, kinds, statuses, site methods, yes/no."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    key = str(value)
    if lang == "en":
        return value
    words = headers()
    for table in ("verdict", "value"):
        if (table, key) in words:
            return words[(table, key)][lang]
    if key in CONTROL_LINE_ZH:
        return CONTROL_LINE_ZH[key]
    for pattern, zh, _en in _patterns():
        if pattern.match(key):
            return pattern.sub(zh, key)
    return value


#: Free-text columns that may come with their Chinese in ``<column>_zh`` (a data file's ``note`` and
#: ``note_zh``): Chinese shows that text in the column's place (the English where it is left empty),
#: English leaves the ``_zh`` column out, so each language reads its own sentence under one header.
_WITH_CHINESE = ("baseline_source", "meaning", "note", "pace_unit", "source", "unit")

#: Columns whose values are translated (the others are numbers, names or free text).
_TRANSLATED = (
    "approximate",
    "baseline_source",
    "baseline_status",
    "behind",
    "better",
    "category_before",
    "category_after",
    "control_line",
    "control_line_status",
    "data_status",
    "kind",
    "level",
    "line",
    "merge_with_city",
    "method",
    "pace_unit",
    "verdict",
    "worst_verdict",
    "point_inside",
    "scope",
    "status",
    "ecological_redline_verdict",
    "permanent_farmland_verdict",
    "urban_development_boundary_verdict",
)


def localise(frame: pd.DataFrame, table: str, lang: str, *, readable: bool = False) -> pd.DataFrame:
    """A table with its headers (and the values a reader sees) in ``lang``.

    English keeps the column names and values as they are (the data-interchange names scripts read),
    or, ``readable=True`` (a printed page), gives the headers in words ("overlap (ha)").
    Chinese translates the headers of ``data/report_headers.csv``, the values of the verdict,
    control-line, kind, status, method, level and yes/no columns, the items (and the fixed
    sentences) of an ``about`` sheet, keeps the Chinese part of a bilingual rule and shows a
    note's (a source's, a meaning's) Chinese from its ``_zh`` column; English leaves that column out.

    >>> frame = pd.DataFrame({"verdict": ["needs approval"], "overlap_ha": [1.5]})
    >>> localise(frame, "report", "zh").to_dict("list")
    {'审查结论': ['需审批'], '重叠面积（公顷）': [1.5]}
    >>> notes = pd.DataFrame({"note": ["share", "rate"], "note_zh": ["比重", ""]})
    >>> localise(notes, "x", "zh").to_dict("list"), localise(notes, "x", "en").to_dict("list")
    ({'说明': ['比重', 'rate']}, {'note': ['share', 'rate']})
    """
    check_lang(lang)
    chinese = [f"{c}_zh" for c in _WITH_CHINESE if c in frame.columns and f"{c}_zh" in frame.columns]
    if lang == "en":
        frame = frame.drop(columns=chinese)
        if not readable:
            return frame
        names = {c: label(table, str(c), lang) for c in frame.columns}
        return frame.drop(columns=[c for c, n in names.items() if n == DROP]).rename(columns=names)
    out = frame.copy()
    for zh in chinese:
        given = out[zh].fillna("").astype(str).str.strip() != ""
        out[zh[:-3]] = out[zh].where(given, out[zh[:-3]])
    out = out.drop(columns=chinese)
    for column in out.columns:
        if column in _TRANSLATED:
            out[column] = out[column].map(lambda v: value_text(v, lang)).astype(object)
        elif column == "rule":
            out[column] = out[column].map(lambda v: rule_text(v, lang))
        elif column == "item" and table == "about":  # an about sheet's items are the provenance's words
            out[column] = out[column].map(lambda v: label("meta", str(v), lang))
        elif column == "value" and table == "about":  # … and its fixed sentences the vocabulary's
            out[column] = out[column].map(lambda v: value_text(v, lang)).astype(object)
    names = {c: label(table, str(c), lang) for c in out.columns}
    out = out.drop(columns=[c for c, n in names.items() if n == DROP])
    return out.rename(columns={c: n for c, n in names.items() if n != DROP})


def sheet(key: str, lang: str) -> str:
    """The name of a workbook sheet (Excel allows 31 characters)."""
    return label("sheet", key, lang)[:31]


def workbook(sheets: Mapping[str, pd.DataFrame], table: str, lang: str) -> dict[str, pd.DataFrame]:
    """Sheets keyed by their English names, as a planner's workbook: names and headers in ``lang``.

    Each sheet's headers are ``table``'s words (an ``about`` sheet's, keyed ``about`` or
    ``<name>_about``, ``about``'s); geometry is left out (a spreadsheet cell holds none). English
    leaves every name as it is.

    >>> book = workbook({"about": pd.DataFrame({"item": ["crs"], "value": ["EPSG:4546"]})}, "x", "zh")
    >>> {k: list(v.columns) + v["事项"].tolist() for k, v in book.items()}
    {'方法与说明': ['事项', '内容', '计算坐标系']}
    """
    out = {}
    for key, frame in sheets.items():
        if isinstance(frame, gpd.GeoDataFrame):
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        about = key == "about" or key.endswith("_about")
        out[sheet(key, lang)] = localise(frame, "about" if about else table, lang)
    return out


def layer(key: str, lang: str) -> str:
    """The name of a GeoPackage layer."""
    return label("layer", key, lang)


__all__ = [
    "LANGS",
    "check_lang",
    "headers",
    "label",
    "layer",
    "localise",
    "rule_text",
    "sheet",
    "text",
    "value_text",
    "workbook",
]
