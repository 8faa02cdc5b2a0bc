"""The report's tables, shared by every writer (:mod:`hygis.check.report`, the printable page
:mod:`hygis.check.report_html` and the Word opinion :mod:`hygis.check.report_docx`): the rows without
geometry, the provenance and method sheet, the warnings, the 用地预审, 土地利用现状 and relocation tables.

Kept apart from the writers so that they share it without importing each other.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hygis import words
from hygis.check.land_use import land_use_summary
from hygis.constants import CONTROL_LINE_ZH
from hygis.settings import DATA_DIR, LAYERS_DIR

_GEOMETRY_COLUMNS = ("geometry", "site_geometry")


def table(report: gpd.GeoDataFrame) -> pd.DataFrame:
    """The report as a plain table (no geometry)."""
    df = pd.DataFrame(report.drop(columns=[c for c in _GEOMETRY_COLUMNS if c in report.columns]))
    return df


def shown_path(path: object, *, full: bool = True) -> str:
    """A path as a report shows it: hygis's own files by their place in hygis (never a
    site-packages path); a user's file in full, or by its name alone (``full=False``, printed pages).

    >>> shown_path(DATA_DIR / "line_categories.csv")
    'hygis data/line_categories.csv'
    >>> shown_path("/home/me/项目/jbnt.shp", full=False)
    'jbnt.shp'
    >>> shown_path(f"{DATA_DIR / 'project_types.csv'}, /home/me/rules.csv", full=False)
    'hygis data/project_types.csv, rules.csv'
    """
    text = str(path or "")
    if not text or ("/" not in text and "\\" not in text):  # not a path: "rules passed in Python"
        return text
    if ", " in text:  # several files (the rule tables)
        return ", ".join(shown_path(part, full=full) for part in text.split(", "))
    p = Path(text)
    for root, name in ((DATA_DIR, "data"), (LAYERS_DIR, "layers")):
        try:
            return f"hygis {name}/{p.resolve().relative_to(root.resolve()).as_posix()}"
        except ValueError:
            continue
    return text if full else p.name


def meta(report: gpd.GeoDataFrame, lang: str = "en", *, full_paths: bool = True) -> pd.DataFrame:
    """The provenance table (``item``, ``value``): banner, area method and CRS, rules, engine, inputs.

    In Chinese, the method is the vocabulary's sentence and each input's source the catalog's
    ``source_zh`` (its English where the layer has none); the banner stays bilingual.
    """
    prov = report.attrs.get("provenance", {})
    item = lambda key: words.label("meta", key, lang)  # noqa: E731 - a short alias
    rows = [
        (
            item("illustrative"),
            report.attrs.get("illustrative") or words.label("meta", "not_illustrative", lang),
        ),
        (item("area_method"), words.value_text(report.attrs.get("area_method", ""), lang)),
        (item("area_crs"), report.attrs.get("area_crs", "")),
        (item("method"), words.value_text(prov.get("method", ""), lang)),
        (item("rules"), shown_path(prov.get("rules", ""), full=full_paths)),
        (item("corridor_widths"), shown_path(prov.get("corridor_widths", ""), full=full_paths)),
        (item("engine"), prov.get("engine", "")),
        (item("hygis"), prov.get("hygis", "")),
        (item("written"), _dt.datetime.now().isoformat(timespec="seconds")),
    ]
    for name, p in prov.get("inputs", {}).items():
        shown = CONTROL_LINE_ZH.get(name, name) if lang == "zh" else name
        status = words.value_text(p.get("status", ""), lang)
        where = shown_path(p.get("path", ""), full=full_paths)
        source = (p.get("source_zh") if lang == "zh" else None) or p.get("source", "")
        rows.append((f"{item('input')}: {shown}", f"{status} — {source} {where}".strip()))
    return pd.DataFrame(rows, columns=["item", "value"])


def warnings_table(report: gpd.GeoDataFrame) -> pd.DataFrame:
    """The warnings of the check, one a row (``(none)`` when there are none)."""
    return pd.DataFrame({"warning": list(report.attrs.get("warnings", [])) or ["(none)"]})


def preaudit_tables(
    report: gpd.GeoDataFrame, *, plain: bool = False
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """The 用地预审 tables the check attached: ``by_county`` and ``farmland_detail`` (absent when empty).

    With ``plain=True``, tables without geometry for spreadsheets.
    """
    out = {}
    for name in ("by_county", "farmland_detail"):
        found = report.attrs.get(name)
        if found is not None and len(found):
            out[name] = pd.DataFrame(found.drop(columns=found.geometry.name)) if plain else found
    return out


def land_use_tables(report: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    """The 土地利用现状 tables (``--land-use``): ``land_use_summary`` (one row per project) and
    ``land_use`` (per project × class × ownership); empty when the check had no land-use layer."""
    long = report.attrs.get("land_use")
    if long is None:
        return {}
    return {"land_use_summary": land_use_summary(long), "land_use": pd.DataFrame(long)}


def relocations(report: gpd.GeoDataFrame, *, plain: bool = False) -> gpd.GeoDataFrame | pd.DataFrame | None:
    """The relocation suggestions attached by the check (None when no project needed one).

    With ``plain=True``, a table without geometry for spreadsheets.
    """
    found = report.attrs.get("relocations")
    if found is None or len(found) == 0:
        return None
    return pd.DataFrame(found.drop(columns=found.geometry.name)) if plain else found


__all__ = [
    "land_use_tables",
    "meta",
    "preaudit_tables",
    "relocations",
    "shown_path",
    "table",
    "warnings_table",
]
