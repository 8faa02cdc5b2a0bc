"""Shared expectations of the monitor's tests."""

from __future__ import annotations

import re

import pandas as pd

#: Three English words in a row: a sentence a Chinese planner would have to translate
#: (a code, a file name, a unit or a dotted module name is not one).
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+(?:[ ,;:()'-]+[A-Za-z]+){2,}")


def english_sentences(sheet: pd.DataFrame, columns) -> list[str]:
    """The cells of ``columns`` of a workbook sheet that hold an English sentence."""
    return [str(v) for c in columns for v in sheet[c].dropna() if ENGLISH_SENTENCE.search(str(v))]


#: The columns issue 14 requires of the change table, one row per change polygon.
CHANGE_COLUMNS = (
    "change_id",
    "county_code",
    "class_before",
    "class_after",
    "area_ha",
    "redline_ha",
    "farmland_ha",
    "outside_udb_ha",
    "level",
    "rule",
)


def classified_changes(geometry, levels, area_ha: float):
    """Changes as :func:`hygis.monitor.changes.classify_changes` returns them (EPSG:4546, in 衡阳县),
    each of ``area_ha`` and at warning ``levels``: what a warning map draws, without measuring."""
    import geopandas as gpd

    n = len(levels)
    return gpd.GeoDataFrame(
        {
            "change_id": [f"C{i}" for i in range(n)],
            "year": 2026,
            "county_code": "430421",
            "county_name": "衡阳县",
            "level": levels,
            "level_zh": levels,
            "rule": "",
            "rule_label": "",
            "area_ha": area_ha,
            "redline_ha": 0.0,
            "farmland_ha": 0.0,
            "outside_udb_ha": area_ha,
            "class_before": "0101",
            "class_after": "0601",
            "rules": "",
        },
        geometry=geometry,
        crs=4546,
    )
