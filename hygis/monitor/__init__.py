"""Monitoring and early warning (监测评估预警): is the plan being kept, year by year?

The plan asks for it (§五: 完善规划实施监测评估机制 … 定期向社会公布规划实施进展情况), and the national
"一张图" supervision system (GB/T 39972-2021) has the same module beside the compliance review.

* :mod:`~hygis.monitor.changes` — change polygons (变化图斑) against the three lines, by rules kept as data;
* :mod:`~hygis.monitor.indicators` — observed values against the plan's 2030/2035 targets;
* :mod:`~hygis.monitor.projects` — the key projects' investment against their plan and mid-term path;
* :mod:`~hygis.monitor.charts` and :mod:`~hygis.monitor.pages` — figures and printable pages;
  :mod:`hygis.maps.warning` — the warning map and the projects-by-stage map;
* :mod:`~hygis.monitor.example` — illustrative data (fixed seed), so every command runs on a fresh install;
* :mod:`~hygis.monitor.grading` — levels, statuses and thresholds, loaded from ``data/``.
"""

from __future__ import annotations

from hygis.monitor.changes import classify_changes, read_changes, write_changes
from hygis.monitor.indicators import assess_indicators, layer_indicators, read_values, write_indicators
from hygis.monitor.projects import assess_projects, read_progress, write_projects

__all__ = [
    "assess_indicators",
    "assess_projects",
    "classify_changes",
    "layer_indicators",
    "read_changes",
    "read_progress",
    "read_values",
    "write_changes",
    "write_indicators",
    "write_projects",
]
