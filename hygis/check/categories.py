"""Verdicts by the categories of the rules in force, from each project's type.

The rules do not judge a project by its plan group but by what it is:

* **ecological red line** (自然资发〔2022〕142号): not involved; an allowed limited human activity
  (its list: linear infrastructure that cannot avoid the line, flood and water-supply works,
  restoration, moderate tourism, research …) — the provincial government's opinion is needed;
  a national major project that cannot avoid it — 不可避让论证 and State Council approval;
  anything else — prohibited;
* **permanent basic farmland** (自然资规〔2018〕3号): not involved; a key project class that may
  occupy it (projects the CPC Central Committee and State Council support, military, airports,
  railways and highways in national plans, ≥500 kV grids, national energy and water projects) —
  State Council approval and 补划; anything else — prohibited;
* **urban development boundary**: inside; outside and allowed there by nature (linear
  infrastructure, restoration, villages); outside under a detailed plan and permit; outside and
  prohibited (concentrated urban construction).

All of it is data: ``data/project_types.csv`` (each type's category per line and the clauses),
``data/line_categories.csv`` (each category's verdict, requirement and source per condition) and
``data/project_type_defaults.csv`` (the type assumed from a plan group and name, for the plan's
own projects). A project's type comes from its ``project_type``/项目类型 column (aliases in
``data/field_aliases.csv``), else — for the plan's projects — from the defaults, said on the row.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from hygis.check.rules import NULL, best_match
from hygis.constants import CONTROL_LINES
from hygis.errors import HygisInputError
from hygis.io.fields import find_field
from hygis.settings import DATA_DIR


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@lru_cache(maxsize=1)
def load_project_types() -> pd.DataFrame:
    """``data/project_types.csv``, indexed by ``project_type``: the category per control line."""
    return _read("project_types.csv").set_index("project_type")


@lru_cache(maxsize=1)
def load_line_categories() -> pd.DataFrame:
    """``data/line_categories.csv``: verdict, requirement and source per (line, category, condition)."""
    return _read("line_categories.csv")


@lru_cache(maxsize=1)
def load_type_defaults() -> pd.DataFrame:
    """``data/project_type_defaults.csv``: the type assumed from a plan group (and name pattern)."""
    table = _read("project_type_defaults.csv").copy()
    table["specificity"] = (table.group != "*").astype(int) * 2 + (table.name_pattern != "").astype(int)
    return table


def project_types(projects: pd.DataFrame, *, defaults: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each project's type and where it came from.

    Parameters
    ----------
    projects : DataFrame
        With ``name`` and ``group`` (and perhaps a ``project_type``/项目类型 column).
    defaults : bool
        Assume a type from the group and name where none is given (the plan's own projects).

    Returns
    -------
    (types, basis)
        ``types``: a key of ``data/project_types.csv`` or None; ``basis``: ``"given"``, the
        default's note, or ``""``.

    Raises
    ------
    HygisInputError
        A given type that ``data/project_types.csv`` does not know, naming the projects and the types.
    """
    n = len(projects)
    types = np.full(n, None, dtype=object)
    basis = np.full(n, "", dtype=object)
    known = load_project_types()
    column = find_field(projects.columns, "project_type")
    if column is not None:
        given = projects[column].fillna("").astype(str).str.strip().to_numpy()
        has = given != ""
        unknown = sorted(set(given[has]) - set(known.index))
        if unknown:
            ids = projects["project_id"].astype(str).to_numpy()[np.isin(given, unknown)][:5]
            msg = (
                f"projects: {column} value(s) {', '.join(unknown)} (projects {', '.join(ids)}) are not "
                f"project types hygis knows; use one of {', '.join(known.index)} (data/project_types.csv)."
            )
            raise HygisInputError(msg)
        types[has], basis[has] = given[has], "given"
    if defaults:
        table = load_type_defaults()
        frame = pd.DataFrame(
            {"name": projects["name"].astype(str).to_numpy(), "group": projects["group"].to_numpy()}
        )
        best = best_match(frame, table)
        todo = types == None  # noqa: E711 - elementwise on an object array
        types[todo] = table["project_type"].to_numpy()[best][todo]
        basis[todo] = table["note"].to_numpy()[best][todo]
    return types, basis


def judge_by_category(
    types: np.ndarray, line: str, condition: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Verdict, rule text, source and category of each typed project on one line (None where untyped).

    The category's own row for the condition applies, else the line's general row (``*``: not
    involved, inside). The source cites the category's clause and the type's basis.
    """
    if line not in CONTROL_LINES:
        msg = f"Unknown control line '{line}'."
        raise HygisInputError(msg)
    known = load_project_types()
    cats = load_line_categories()
    cats = cats[cats.control_line == line].set_index(["category", "condition"])
    typed = pd.Series(types).notna().to_numpy()
    t = pd.Series(types, dtype=object).where(typed, "other")
    # A batch has 10^5 projects of a few dozen types: look each type up once.
    kinds, of = np.unique(t.to_numpy(dtype=str), return_inverse=True)
    category = known.loc[kinds, line].to_numpy()[of]
    own = pd.MultiIndex.from_arrays([category, condition]).isin(cats.index)
    general = np.where(own, category, "*")
    key = pd.MultiIndex.from_arrays([general, condition])
    rows = cats.reindex(key)
    texts = [
        f"{k} ({zh}): {why}"
        for k, zh, why in zip(kinds.tolist(), known.loc[kinds, "name_zh"], known.loc[kinds, "basis"])
    ]
    basis = np.array(texts, dtype=object)[of]
    verdict = np.where(typed, rows["verdict"].to_numpy(), NULL)
    rule = np.where(typed, rows["requirement"].to_numpy(), NULL)
    source = np.where(typed, rows["source"].to_numpy() + "; type " + basis, NULL)
    shown = np.where(own, category, np.where(np.asarray(condition) == "inside", "inside", "not involved"))
    return verdict, rule, source, np.where(typed, shown, NULL)


__all__ = [
    "judge_by_category",
    "load_line_categories",
    "load_project_types",
    "load_type_defaults",
    "project_types",
]
