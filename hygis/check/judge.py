"""Judging each project against one control line: the condition, the rule that applies, the row of the report.

For the red line and permanent farmland the condition is ``overlap``/``none`` (the red line:
``core`` where the site meets a 自然保护地核心保护区 of ``--protected-areas``); for the urban
development boundary ``outside``/``inside`` (the part of the site outside it is what the rules
judge). The project's category on the line (:mod:`hygis.check.categories`, from its given or
assumed type) gives the verdict, with its requirement, clause, quote and source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from hygis.check.categories import judge_by_category, load_line_categories
from hygis.check.measure import LineOverlap
from hygis.check.protected import ProtectedOverlap
from hygis.check.rules import NULL
from hygis.check.sites import Sites
from hygis.constants import CONTROL_LINE_ZH, M2_PER_HA, M2_PER_MU

#: Overlaps smaller than this (m²) are numerical slivers of shared edges, not a use of the land:
#: they are reported as measured but do not change a verdict.
VERDICT_TOLERANCE_M2 = 0.01
#: … nor is a part of a site below this share of its area: ellipsoidal areas weigh the engine's
#: pieces at their centroids, and a site split among several features differs from the sum of
#: its parts by ~1e-9 of its area (the second-order term), where the plane differs by nothing.
VERDICT_TOLERANCE_REL = 1e-8


def judge_line(
    sites: Sites,
    measured: LineOverlap,
    *,
    types: np.ndarray,
    type_basis: np.ndarray,
    with_geometry: bool = True,
    protected: ProtectedOverlap | None = None,
) -> pd.DataFrame:
    """Step 3 of the check: the verdict of every project against one control line, as report rows.

    Parameters
    ----------
    sites : Sites
        From :func:`hygis.check.sites.project_sites`.
    measured : LineOverlap
        From :func:`hygis.check.measure.measure_line`.
    types, type_basis : arrays
        Each project's type and where it came from (:func:`hygis.check.categories.project_types`):
        every project is judged by its category under the rules in force
        (:func:`hygis.check.categories.judge_by_category`).
    with_geometry : bool
        Put the overlap polygon (the part outside, for the development boundary) in ``geometry``.
    protected : ProtectedOverlap, optional
        The 自然保护地 each site meets (:func:`hygis.check.protected.protected_overlap`): on the red
        line a core protection zone is its own condition, and a reserve's own laws are said.
    """
    prj, line, kinds, methods = sites.projects, measured.line, sites.kinds, sites.methods
    site_geoms, site_m2, unlocated, loc_notes = (
        sites.geoms,
        sites.area_m2,
        sites.unlocated,
        sites.location_notes,
    )
    inside_m2, inside_geom, point_inside = measured.inside_m2, measured.inside_geom, measured.point_inside
    n = len(prj)
    is_point = np.array([v is not None for v in point_inside], dtype=bool)
    pin = np.array([bool(v) if v is not None else False for v in point_inside], dtype=bool)
    udb = line == "urban_development_boundary"
    outside_m2 = (
        np.where(is_point | unlocated, np.nan, np.maximum(site_m2 - inside_m2, 0.0))
        if udb
        else np.full(n, np.nan)
    )
    if udb:
        judged = np.where(
            is_point, ~pin, outside_m2 > np.maximum(VERDICT_TOLERANCE_M2, VERDICT_TOLERANCE_REL * site_m2)
        )
        condition = np.where(judged, "outside", "inside")
    else:
        judged = np.where(is_point, pin, inside_m2 > VERDICT_TOLERANCE_M2)
        condition = np.where(judged, "overlap", "none")

    frame = pd.DataFrame(
        {
            "project_id": prj["project_id"].to_numpy(),
            "name": prj["name"].astype(str).to_numpy(),
            "group": prj["group"].to_numpy(),
        }
    )
    reserve = np.zeros(n, dtype=bool)
    if protected is not None and line == "ecological_redline":
        condition = np.where(protected.core, "core", condition)
        reserve = protected.labels != ""
    assumed = np.asarray(type_basis, dtype=object) != "given"
    verdict, rule, source, category = judge_by_category(types, line, condition, assumed)
    if reserve.any():
        # 142号 一(一): inside 自然保护区, 风景名胜区 … their own laws apply, whatever the category.
        row = load_line_categories().query("control_line == @line and condition == 'reserve'").iloc[0]
        said = f"{row['clause']}：“{row['quote']}” — {row['source']} [{row['status']}]"
        labels = protected.labels if protected is not None else np.full(n, "", dtype=object)
        verdict = np.where(reserve & (verdict == "compliant"), row["verdict"], verdict)
        said_rule = row["requirement"]
        rule = np.array(
            [f"位于 {lab}：{said_rule} {r}" if lab else r for lab, r in zip(labels, rule)],
            dtype=object,
        )
        source = np.array([f"{s}; {said}" if lab else s for lab, s in zip(labels, source)], dtype=object)
    verdict, rule, source = verdict.astype(object), rule.astype(object), source.astype(object)
    verdict[unlocated] = "not located"
    rule[unlocated] = (
        "没有用地位置，无法审查 — the project has no site, so it cannot be checked against this line."
    )
    source[unlocated] = ""

    geom = np.full(n, None, dtype=object)  # areas only (with_geometry=False): no polygon at all
    if with_geometry and udb:
        has = ~unlocated & ~is_point & (outside_m2 > 0)
        for i in np.flatnonzero(has):
            g = inside_geom[i]
            out = site_geoms[i] if g is None else shapely.difference(site_geoms[i], g)
            geom[i] = None if out is None or out.is_empty else out
    elif with_geometry:
        for k in range(n):
            geom[k] = inside_geom[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(site_m2 > 0, inside_m2 / np.where(site_m2 > 0, site_m2, 1), np.nan)
    share = np.where(is_point, pin.astype(float), share)
    overlap_m2 = np.where(is_point | unlocated, np.nan, inside_m2)
    site_ha = np.where(is_point | unlocated, np.nan, site_m2 / M2_PER_HA)
    return pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "name": frame["name"],
            "group": frame["group"],
            "control_line": _shared_text(np.full(n, line, dtype=object)),
            "control_line_zh": _shared_text(np.full(n, CONTROL_LINE_ZH[line], dtype=object)),
            "kind": _shared_text(kinds),
            "method": _shared_text(np.where(unlocated, "none (no site)", methods)),
            "site_ha": site_ha,
            "site_mu": site_ha * M2_PER_HA / M2_PER_MU,
            "overlap_ha": overlap_m2 / M2_PER_HA,
            "overlap_mu": overlap_m2 / M2_PER_MU,
            "share_of_site": np.where(unlocated, np.nan, share),
            "outside_ha": outside_m2 / M2_PER_HA,
            "outside_mu": outside_m2 / M2_PER_MU,
            "point_inside": point_inside,
            "project_type": _shared_text(types if types is not None else np.full(n, None, dtype=object)),
            "project_type_basis": _shared_text(
                type_basis if type_basis is not None else np.full(n, "", dtype=object)
            ),
            "category": _shared_text(np.where(unlocated, NULL, category)),
            "verdict": _shared_text(verdict),
            "rule": _shared_text(rule),
            "source": _shared_text(source),
            "location_note": _shared_text(loc_notes),
            "geometry": geom,
            "site_geometry": site_geoms,
        }
    )


def _shared_text(values: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A text column whose rows share one string per distinct text.

    A report's text columns hold a few dozen distinct texts over 10⁵ rows (a rule with its clause
    and quote, a verdict, a type's basis). Where pandas keeps text in Arrow (pandas ≥ 3: ``str``)
    each row gets its own copy of the bytes — ~60 MB a line for the rule and source of 50,000
    projects, then copied again as the lines' rows are put together. Here the rows refer to one
    Python string per distinct text, in pandas' ``str`` dtype with Python storage (same values,
    same missing value); where pandas keeps text as objects (pandas 2), an object array of them.
    """
    values = np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(values)
    shared = values.copy()
    has = codes >= 0
    shared[has] = np.asarray(uniques, dtype=object)[codes[has]]
    text = pd.Series(["text"]).dtype
    if isinstance(text, pd.StringDtype) and text.storage != "python":
        return pd.array(shared, dtype=pd.StringDtype("python", na_value=text.na_value))
    return shared


__all__ = ["VERDICT_TOLERANCE_M2", "VERDICT_TOLERANCE_REL", "judge_line"]
