"""The plan's projects against their planned investment: the project monitor.

A planner gives the progress of each project by year (``project_id``, ``year``, investment
completed in 亿元, stage 前期/在建/竣工). :func:`assess_projects` compares each project's
cumulative investment with its plan (``investment_yi`` of the projects layer: the plan's 19
projects and 2,430 亿元, or the user's own) and with the **mid-term path** of
``data/monitor_settings.json`` (by default an even pace from 2025 to 2035, half by 2030 — a
placeholder: the plan sets no schedule per project). A project whose completed share is below
the path for its year is flagged ``behind``; its status follows ``data/monitor_status.csv``.

Totals are given by group and by county, a county's share split by
:func:`hygis.analysis.counties.allocate_projects` (the same rule as the investment tables).

>>> from hygis.monitor import example, projects
>>> table = projects.assess_projects(example.example_progress())
>>> round(float(table["planned_yi"].sum()))
2430
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hygis import io, words
from hygis.errors import HygisInputError
from hygis.messages import few, warn
from hygis.monitor import grading, pages
from hygis.monitor.indicators import read_table_file
from hygis.monitor.report import projects_by_county as by_county
from hygis.monitor.report import projects_by_group as by_group
from hygis.plan import PlanInputs, illustrative_banner, resolve

STAGES = ("前期", "在建", "竣工")
#: Column aliases of a progress table (matched case-insensitively). ``annual`` columns hold the
#: year's investment and are summed over the years; ``cumulative`` ones hold the total to date.
PROGRESS_ALIASES = {
    "project_id": ("project_id", "项目编号", "项目代码", "编号", "id"),
    "year": ("year", "年度", "年份"),
    "cumulative": (
        "invest_done_yi",
        "累计完成投资",
        "累计完成投资(亿元)",
        "累计完成投资（亿元）",
        "cumulative_yi",
    ),
    "annual": (
        "annual_yi",
        "年度完成投资",
        "本年完成投资",
        "年度完成投资(亿元)",
        "年度完成投资（亿元）",
        "完成投资",
    ),
    "stage": ("stage", "阶段", "项目阶段", "建设阶段"),
}
COLUMNS = (
    "project_id",
    "name",
    "group",
    "county_code",
    "planned_yi",
    "latest_year",
    "stage",
    "invest_done_yi",
    "completion_pct",
    "path_yi",
    "path_pct",
    "ratio",
    "behind",
    "status",
    "status_en",
    "data_status",
)
FORMATS = (".csv", ".xlsx", ".html")


def read_progress(progress: Any) -> pd.DataFrame:
    """Read project progress: ``project_id``, ``year``, ``invest_done_yi`` (cumulative 亿元), ``stage``.

    Raises
    ------
    HygisInputError
        A missing column, a number that is not one, an unknown stage; naming the file and the fix.
    """
    if isinstance(progress, pd.DataFrame):
        table, label = progress.copy(), "project progress (DataFrame)"
    else:
        label = f"project progress file {Path(progress).name}"
        table = read_table_file(Path(progress), label)
    lower = {str(c).strip().lower(): c for c in table.columns}
    found = {
        f: next((lower[a.lower()] for a in al if a.lower() in lower), None)
        for f, al in PROGRESS_ALIASES.items()
    }
    for field in ("project_id", "year"):
        if found[field] is None:
            msg = (
                f"{label}: no '{field}' column (hygis looks for {', '.join(PROGRESS_ALIASES[field])}); "
                f"the columns are: {', '.join(map(str, table.columns))}."
            )
            raise HygisInputError(msg)
    if found["cumulative"] is None and found["annual"] is None:
        msg = (
            f"{label}: no investment column: give 累计完成投资 (cumulative, 亿元) "
            "or 年度完成投资 (the year's, 亿元); "
            ""
            f"the columns are: {', '.join(map(str, table.columns))}."
        )
        raise HygisInputError(msg)
    out = pd.DataFrame({"project_id": table[found["project_id"]].astype(str).str.strip()})
    out["year"] = pd.to_numeric(table[found["year"]], errors="coerce")
    column = found["cumulative"] or found["annual"]
    out["invest_done_yi"] = pd.to_numeric(table[column], errors="coerce")
    bad = out["year"].isna() | out["invest_done_yi"].isna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
        msg = (
            f"{label}: rows {rows} lack a year or an investment that is a number ({found['year']}, "
            f"{column}). Fill them in."
        )
        raise HygisInputError(msg)
    out["year"] = out["year"].astype(int)
    out = out.sort_values(["project_id", "year"], kind="stable")
    if found["cumulative"] is None:
        out["invest_done_yi"] = out.groupby("project_id")["invest_done_yi"].cumsum()
    if found["stage"] is not None:
        out["stage"] = table.loc[out.index, found["stage"]].fillna("").astype(str).str.strip()
        bad = sorted(set(out["stage"]) - set(STAGES) - {""})
        if bad:
            msg = f"{label}: unknown stage(s) {', '.join(bad)}; use {' / '.join(STAGES)}."
            raise HygisInputError(msg)
    else:
        out["stage"] = ""
    out = out.reset_index(drop=True)
    out.attrs["hygis_layer"] = dict(getattr(progress, "attrs", {}).get("hygis_layer", {}))
    return out


def path_share(year: Any) -> np.ndarray:
    """The share (0–1) of a project's investment the mid-term path expects completed by ``year``."""
    p = grading.load_settings()["project_path"]
    y = np.asarray(year, dtype=float)
    s0, mid, end, share = p["start_year"], p["midterm_year"], p["end_year"], p["midterm_share"]
    first = share * (y - s0) / (mid - s0)
    second = share + (1 - share) * (y - mid) / (end - mid)
    return np.clip(np.where(y <= mid, first, second), 0.0, 1.0)


def assess_projects(progress: Any, inputs: PlanInputs | None = None) -> pd.DataFrame:
    """Each project's latest completed investment against its plan and the mid-term path.

    Parameters
    ----------
    progress : path or DataFrame
        :func:`read_progress`.
    inputs : PlanInputs, optional
        The projects (default the plan's 19, with ``investment_yi``).

    Returns
    -------
    DataFrame
        One row per project of the plan (those without progress: stage 前期, nothing done),
        columns :data:`COLUMNS`; ``ratio`` = completed ÷ path. ``attrs``: ``illustrative``,
        ``progress`` (the table read), ``unknown`` (progress ids not among the projects).
    """
    prog = read_progress(progress)
    inputs = inputs or resolve()
    plan = inputs.projects
    if "investment_yi" not in plan.columns:
        msg = "projects: no 'investment_yi' column (planned investment, 亿元): add it to your projects file."
        raise HygisInputError(msg)
    latest = prog.sort_values("year").groupby("project_id").tail(1).set_index("project_id")
    ids = plan["project_id"].astype(str)
    planned = pd.to_numeric(plan["investment_yi"], errors="coerce").fillna(0.0).to_numpy()
    year_now = int(prog["year"].max()) if len(prog) else 2025
    table = pd.DataFrame(
        {
            "project_id": ids.to_numpy(),
            "name": plan["name"].astype(str).to_numpy(),
            "group": plan.get("group", pd.Series("", index=plan.index)).fillna("").astype(str).to_numpy(),
            "county_code": plan.get("county_code", pd.Series("", index=plan.index))
            .fillna("")
            .astype(str)
            .to_numpy(),
            "planned_yi": planned,
        }
    )
    table["latest_year"] = ids.map(latest["year"]).fillna(year_now).astype(int).to_numpy()
    table["invest_done_yi"] = ids.map(latest["invest_done_yi"]).fillna(0.0).to_numpy()
    stage = ids.map(latest["stage"]).fillna("").to_numpy()
    table["stage"] = np.where(stage == "", np.where(table["invest_done_yi"] > 0, "在建", "前期"), stage)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["completion_pct"] = np.where(planned > 0, 100 * table["invest_done_yi"] / planned, np.nan)
        share = path_share(table["latest_year"])
        table["path_pct"] = 100 * share
        table["path_yi"] = planned * share
        table["ratio"] = np.where(table["path_yi"] > 0, table["invest_done_yi"] / table["path_yi"], np.nan)
    done = (table["stage"] == "竣工") | (table["invest_done_yi"] >= planned - 1e-9) & (planned > 0)
    graded = grading.grade(table["ratio"], "project")
    table["status"] = np.where(done, "已完成", np.where(graded == "", "正常", graded))
    table["status_en"] = table["status"].map(grading.status_english("project"))
    table["behind"] = table["status"].isin(["预警", "滞后"])
    illustrative = prog.attrs.get("hygis_layer", {}).get("status") == grading.ILLUSTRATIVE
    banner = grading.banner(
        illustrative_banner(inputs)
        if inputs.provenance.get("projects", {}).get("status") == grading.ILLUSTRATIVE
        else None,
        grading.example_notice("project progress figures") if illustrative else None,
    )
    table["data_status"] = grading.ILLUSTRATIVE if banner else "user data"
    table = table[list(COLUMNS)]
    unknown = sorted(set(prog["project_id"]) - set(ids))
    notes: list[str] = []
    if unknown:
        warn(
            f"project progress: id(s) {few(unknown)} are not among the projects; their rows are left out.",
            notes,
        )
    table.attrs.update(
        banner=banner,
        progress=prog,
        year=year_now,
        unknown=unknown,
        notes=notes,
        inputs=inputs,
    )
    return table


def write_projects(table: pd.DataFrame, path: str | os.PathLike, *, lang: str = "zh") -> Path:
    """Write the assessment: ``.csv`` (one row per project; English column names, for scripts),
    ``.xlsx`` (notice first when illustrative; 重点项目进展, 分组进展, 分县进展, 年度进展, their
    names and headers (with units: 亿元, %) in ``lang`` (:mod:`hygis.words`; ``"en"``: the old
    sheets 项目 projects, 分组 by group, 分县 by county, 进展 progress with English headers) or
    ``.html`` (table and chart inline)."""
    target, suffix = io.output_suffix(path, FORMATS, "the project report")
    lang = words.check_lang(lang)
    if suffix == ".csv":
        return io.write_table(table, target)
    if suffix == ".xlsx":
        book = {
            **words.workbook({"project_progress": table}, "monitor_projects", lang),
            # a total's ``behind`` counts the projects behind; a project's says whether it is
            **words.workbook(
                {"projects_by_group": by_group(table), "projects_by_county": by_county(table)},
                "monitor_project_totals",
                lang,
            ),
            **words.workbook(
                {"progress_by_year": table.attrs.get("progress", pd.DataFrame())}, "monitor_projects", lang
            ),
        }
        return io.write_table(book, target, banner=table.attrs.get("banner"))
    return io.write_text(pages.projects_html(table), target)


__all__ = [
    "COLUMNS",
    "FORMATS",
    "STAGES",
    "assess_projects",
    "by_county",
    "by_group",
    "path_share",
    "read_progress",
    "write_projects",
]
