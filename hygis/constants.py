"""The words and units hygis reports by, in one place.

Units are defined here; the names of the three control lines and the compliance verdicts
(with their Chinese labels and colours, worst verdict first) are data in
``data/vocabulary.json``, read once. Reports, maps and the CLI's choices all take them from here.

>>> CONTROL_LINE_ZH["permanent_farmland"]
'永久基本农田'
>>> VERDICTS[0], VERDICT_LABELS["conflict"]
('conflict', '冲突 conflict')
>>> round(10_000 / M2_PER_MU, 2)   # mu in a hectare
15.0
"""

from __future__ import annotations

import json
from typing import Any

from hygis.settings import DATA_DIR

#: Square metres in one hectare (公顷).
M2_PER_HA: float = 10_000.0

#: Square metres in one 亩 (mu): 10,000 / 15 m² (666.67 m²).
M2_PER_MU: float = 10_000 / 15


def _vocabulary() -> dict[str, Any]:
    with open(DATA_DIR / "vocabulary.json", encoding="utf-8") as fh:
        return json.load(fh)


_VOCABULARY = _vocabulary()

#: The three control lines (三条控制线), in the order every report lists them.
CONTROL_LINES: tuple[str, ...] = tuple(_VOCABULARY["control_lines"])

#: Chinese name of each control line.
CONTROL_LINE_ZH: dict[str, str] = {k: v["zh"] for k, v in _VOCABULARY["control_lines"].items()}

#: English name of each control line.
CONTROL_LINE_EN: dict[str, str] = {k: v["en"] for k, v in _VOCABULARY["control_lines"].items()}

#: Verdicts, from worst to best; ``not located`` = no site, nothing can be judged.
VERDICTS: tuple[str, ...] = tuple(_VOCABULARY["verdicts"])

#: Colour of each verdict, shared by the maps and the printable report.
VERDICT_COLORS: dict[str, str] = {k: v["color"] for k, v in _VOCABULARY["verdicts"].items()}

#: Bilingual label of each verdict (``冲突 conflict``).
VERDICT_LABELS: dict[str, str] = {k: f"{v['zh']} {k}" for k, v in _VOCABULARY["verdicts"].items()}

#: The engines the compliance check runs on: every core of this machine, or a dask cluster.
ENGINES: tuple[str, ...] = ("local", "dask")

#: The formats of a compliance report (the suffix of the output picks one).
REPORT_FORMATS: tuple[str, ...] = (".csv", ".xlsx", ".gpkg", ".html", ".docx")

#: The languages of the documents a bureau files (Chinese first: the default).
REPORT_LANGS: tuple[str, ...] = ("zh", "en")

#: Basemaps a web map can have under the data (gaode and tencent are GCJ-02; tianditu needs a key).
BASEMAPS: tuple[str, ...] = ("osm", "gaode", "tencent", "tianditu", "none")


def _map_styles() -> dict[str, Any]:
    with open(DATA_DIR / "map_styles.json", encoding="utf-8") as fh:
        return json.load(fh)


_MAP_STYLES = _map_styles()

#: The theme maps: the plan's chapters in ``data/map_styles.json``, and investment by county.
MAP_THEMES: tuple[str, ...] = (*_MAP_STYLES["themes"], "investment")

#: Outline colour of each control line, as the maps draw it (``data/map_styles.json``): the
#: printable report's small maps use the same, without loading the map room.
CONTROL_LINE_COLORS: dict[str, str] = {
    k: v["style"]["color"] for k, v in _MAP_STYLES["control_lines"].items()
}


def _figures() -> tuple[str, ...]:
    with open(DATA_DIR / "figure_styles.json", encoding="utf-8") as fh:
        return tuple(name for name in json.load(fh)["titles"] if name != "source")


#: The print figures of ``hygis figure``: the names of ``data/figure_styles.json``'s titles.
FIGURES: tuple[str, ...] = _figures()

__all__ = [
    "BASEMAPS",
    "ENGINES",
    "FIGURES",
    "MAP_THEMES",
    "REPORT_FORMATS",
    "REPORT_LANGS",
    "CONTROL_LINES",
    "CONTROL_LINE_COLORS",
    "CONTROL_LINE_EN",
    "CONTROL_LINE_ZH",
    "M2_PER_HA",
    "M2_PER_MU",
    "VERDICTS",
    "VERDICT_COLORS",
    "VERDICT_LABELS",
]
