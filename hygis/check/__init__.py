"""The control-line compliance check (规划符合性审查) and its reports.

This room may import :mod:`hygis.plan`, :mod:`hygis.engine`, :mod:`hygis.io` and the foundation modules;
relocation suggestions (:func:`hygis.analysis.relocate.relocate_conflicts`) are a separate step.

* :mod:`~hygis.check.pipeline` — :func:`check_projects`: sites → measure → judge → provenance;
* :mod:`~hygis.check.sites` — step 1, the site each project occupies;
* :mod:`~hygis.check.measure` — step 2, the overlap engine per control line;
* :mod:`~hygis.check.judge` — step 3, the verdict of the project's category on each line;
* :mod:`~hygis.check.categories` — project types, their categories and the clauses (data);
* :mod:`~hygis.check.protected` — 自然保护地 (core zones, reserves) met by the sites;
* :mod:`~hygis.check.rules` — table matching and corridor widths (data);
* :mod:`~hygis.check.land_use` — the 土地利用现状 table of each project (a 三调 DLTB layer, ``land_use=``);
* :mod:`~hygis.check.report` — the report as .csv, .xlsx, .gpkg, a printable A4 .html
  (:mod:`~hygis.check.report_html`) or an editable .docx opinion (:mod:`~hygis.check.report_docx`), in
  Chinese by default (:mod:`~hygis.words`, ``data/report_headers.csv``).
"""

from __future__ import annotations

from hygis.check.categories import load_rules
from hygis.check.pipeline import check_projects, summary
from hygis.check.report import write_report
from hygis.check.rules import load_corridor_widths
from hygis.check.sites import footprints
from hygis.constants import CONTROL_LINE_ZH, REPORT_FORMATS, VERDICTS
from hygis.geometry import geometry_kind

__all__ = [
    "CONTROL_LINE_ZH",
    "REPORT_FORMATS",
    "VERDICTS",
    "check_projects",
    "footprints",
    "geometry_kind",
    "load_corridor_widths",
    "load_rules",
    "summary",
    "write_report",
]
