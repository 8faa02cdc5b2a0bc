"""Analyses built on the plan's inputs and the engine: one module per question a planner asks.

This room may import :mod:`hygis.plan`, :mod:`hygis.engine`, :mod:`hygis.io` and the foundation modules.

* :mod:`~hygis.analysis.stats` — control-line areas by county (三条控制线面积统计);
* :mod:`~hygis.analysis.qa` — overlaps between the lines and topology (不交叉、不重叠、不冲突);
* :mod:`~hygis.analysis.counties` — investment by county and group;
* :mod:`~hygis.analysis.urban` — the four-tier urban system: distances, service areas;
* :mod:`~hygis.analysis.relocate` — sites clear of the hard exclusions for conflicting projects.
"""
