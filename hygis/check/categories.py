"""Verdicts by the categories of the rules in force, from each project's type: one way to judge.

Every project is judged by what it is, never by its plan group alone:

* **ecological red line** (自然资发〔2022〕142号): not involved; an allowed limited human activity of
  一(一) (linear infrastructure and flood/water-supply works that cannot avoid it, restoration,
  moderate sightseeing and its supporting facilities, management and research …) — the provincial
  government's 认定意见; a national major project of 二 — 不可避让论证 and State Council approval;
  anything else — prohibited. Inside a 自然保护地核心保护区 (``--protected-areas``) no human
  activity but the protection activities of 《自然保护区条例》第二十六条;
* **permanent basic farmland** (土地管理法 第三十五条, 自然资规〔2018〕3号 一(一)–(六)): not
  involved; a key project class that may occupy it — State Council approval and 补划; anything
  else — prohibited;
* **urban development boundary**: inside; outside and allowed there by nature; outside under a
  detailed plan and permit; outside and prohibited (concentrated urban construction).

All of it is data: ``data/project_types.csv`` (each type's category per line, its Chinese name and
synonyms, the clauses, and the fact that would change its verdict), ``data/line_categories.csv``
(each category's verdict, requirement, clause, quote and source per condition) and
``data/project_type_defaults.csv`` (the type assumed from a plan group and name where none is
given: defaults that never admit what the law admits only to a named class). A project's type
comes from its ``project_type``/项目类型 column — an English key, the Chinese name or a synonym —
else from the defaults, said on the row. :func:`load_rules` derives the view by
plan group from these three tables.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from hygis.check.rules import NULL, best_match
from hygis.constants import CONTROL_LINES, VERDICTS
from hygis.errors import HygisInputError
from hygis.io.fields import find_field, normalise_name
from hygis.settings import DATA_DIR

#: The categories each line's column of ``project_types.csv`` may hold, and the core-zone column's.
CATEGORIES = {
    "ecological_redline": ("limited_activity", "national_major", "prohibited"),
    "permanent_farmland": ("key_project", "prohibited"),
    "urban_development_boundary": ("outside_allowed", "outside_permit", "outside_prohibited"),
    "core_zone": ("core_allowed", "core_prohibited"),
}
#: Where a quote comes from: the text itself, a secondary copy, or a choice of hygis.
STATUSES = ("text", "secondary", "unverified", "hygis default")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@lru_cache(maxsize=1)
def load_project_types() -> pd.DataFrame:
    """``data/project_types.csv``, indexed by ``project_type``: the category per control line.

    Raises
    ------
    HygisInputError
        A category the line does not know (the table is checked once, when read).
    """
    table = _read("project_types.csv").set_index("project_type")
    for column, allowed in CATEGORIES.items():
        bad = sorted(set(table[column]) - set(allowed))
        if bad:
            msg = (
                f"project_types.csv: {column} holds unknown categories {', '.join(bad)}; "
                f"use {', '.join(allowed)}."
            )
            raise HygisInputError(msg)
    return table


@lru_cache(maxsize=1)
def load_line_categories() -> pd.DataFrame:
    """``data/line_categories.csv``: verdict, requirement, clause, quote, source and status per
    (line, category, condition)."""
    table = _read("line_categories.csv")
    bad = sorted(set(table.verdict) - set(VERDICTS[:3])) + sorted(set(table.status) - set(STATUSES))
    if bad:
        msg = f"line_categories.csv: unknown verdict or status {', '.join(bad)}."
        raise HygisInputError(msg)
    return table


@lru_cache(maxsize=1)
def load_type_defaults() -> pd.DataFrame:
    """``data/project_type_defaults.csv``: the type assumed from a plan group and name pattern.

    A name pattern says more than a group (``交通基建`` named ``…高铁`` is a railway), so it weighs
    more; among equally specific rows the first — the stricter, by the file's order — wins.
    """
    table = _read("project_type_defaults.csv").copy()
    unknown = sorted(set(table.project_type) - set(load_project_types().index))
    if unknown:
        msg = f"project_type_defaults.csv: unknown project types {', '.join(unknown)}."
        raise HygisInputError(msg)
    table["specificity"] = (table.name_pattern != "").astype(int) * 2 + (table.group != "*").astype(int)
    return table


@lru_cache(maxsize=1)
def type_names() -> dict[str, str]:
    """Every name a project type may be given by → its key: the key, its Chinese name, its synonyms.

    Names are folded by :func:`hygis.io.fields.normalise_name` (case, full-width forms, spaces).

    >>> type_names()["铁路"], type_names()["产业园区"], type_names()["water_national"]
    ('railway_national', 'industrial_park', 'water_national')
    """
    known = load_project_types()
    names: dict[str, str] = {}
    for key, row in known.iterrows():
        for name in [key, row["name_zh"], *row["aliases_zh"].split("|")]:
            folded = normalise_name(name)
            if folded and names.setdefault(folded, str(key)) != key:
                msg = f"project_types.csv: the name '{name}' is given to both {names[folded]} and {key}."
                raise HygisInputError(msg)
    return names


def project_types(projects: pd.DataFrame, *, defaults: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each project's type and where it came from.

    Parameters
    ----------
    projects : DataFrame
        With ``name`` and ``group`` (and perhaps a ``project_type``/项目类型 column, holding keys of
        ``data/project_types.csv``, their Chinese names or synonyms: ``铁路``, ``产业园区``, ``水利`` …).
    defaults : bool
        Assume a type from the group and name where none is given (``data/project_type_defaults.csv``).
        False leaves those None.

    Returns
    -------
    (types, basis)
        ``types``: a key of ``data/project_types.csv`` (or None); ``basis``: ``"given"``, the
        default's note, or ``""``.

    Raises
    ------
    HygisInputError
        A given type hygis does not know, naming the projects and the types by their Chinese names.
    """
    n = len(projects)
    types = np.full(n, None, dtype=object)
    basis = np.full(n, "", dtype=object)
    known = load_project_types()
    column = find_field(projects.columns, "project_type")
    if column is not None:
        given = projects[column].fillna("").astype(str).str.strip().to_numpy()
        has = given != ""
        names = type_names()
        mapped = np.array([names.get(normalise_name(v)) if v else None for v in given], dtype=object)
        unknown = sorted(set(given[has & (mapped == None)]))  # noqa: E711 - elementwise
        if unknown:
            ids = projects["project_id"].astype(str).to_numpy()[np.isin(given, unknown)][:5]
            listed = "、".join(f"{zh.split('（')[0]}（{k}）" for k, zh in known["name_zh"].items())
            msg = (
                f"projects: {column} value(s) {', '.join(unknown)} (projects {', '.join(ids)}) are not "
                f"project types hygis knows. Use one of: {listed} — or a synonym listed in "
                "data/project_types.csv (aliases_zh), e.g. 铁路, 高速公路, 水利, 产业园区."
            )
            raise HygisInputError(msg)
        types[has], basis[has] = mapped[has], "given"
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
    types: np.ndarray, line: str, condition: np.ndarray, assumed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Verdict, rule text, source and category of each typed project on one line (None where untyped).

    ``condition`` is ``overlap``/``none`` (red line, farmland), ``core`` (red line: inside a
    自然保护地核心保护区) or ``outside``/``inside`` (development boundary). The category's own row
    for the condition applies, else the line's general row (``*``: not involved, inside). The
    source cites the clause, its quote and the type's basis. Where the type was ``assumed`` (not
    given) and the verdict is a conflict, the rule says which fact would change it.
    """
    if line not in CONTROL_LINES:
        msg = f"Unknown control line '{line}'."
        raise HygisInputError(msg)
    condition = np.asarray(condition, dtype=object)
    types = np.asarray(types, dtype=object)
    if len(types) < 2:
        return _judge_cases(types, line, condition, assumed)
    # A batch has 10⁵ projects in a few dozen cases (type, condition, whether the type was given):
    # each case is judged once and the rows share its texts — one string per case, not per row
    # (the rule and source texts of 50,000 projects were ~100 MB a line otherwise).
    typed = pd.Series(types).notna().to_numpy()
    flag = np.zeros(len(types), bool) if assumed is None else np.asarray(assumed, dtype=bool)
    key = np.zeros(len(types), np.int64)
    for part in (pd.factorize(types)[0] + 1, pd.factorize(condition)[0] + 1, typed, flag):
        key = key * (int(part.max()) + 1) + part
    _, first, case = np.unique(key, return_index=True, return_inverse=True)
    found = _judge_cases(types[first], line, condition[first], None if assumed is None else flag[first])
    return tuple(np.asarray(values)[case.ravel()] for values in found)  # type: ignore[return-value]


def _judge_cases(
    types: np.ndarray, line: str, condition: np.ndarray, assumed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`judge_by_category` row by row (for the distinct cases of a batch)."""
    known = load_project_types()
    cats = load_line_categories()
    cats = cats[cats.control_line == line].set_index(["category", "condition"])
    condition = np.asarray(condition, dtype=object)
    typed = pd.Series(types).notna().to_numpy()
    t = pd.Series(types, dtype=object).where(typed, "other")
    # A batch has 10^5 projects of a few dozen types: look each type up once.
    kinds, of = np.unique(t.to_numpy(dtype=str), return_inverse=True)
    category = known.loc[kinds, line].to_numpy()[of]
    if line == "ecological_redline":
        category = np.where(condition == "core", known.loc[kinds, "core_zone"].to_numpy()[of], category)
    own = pd.MultiIndex.from_arrays([category, condition]).isin(cats.index)
    general = np.where(own, category, "*")
    rows = cats.reindex(pd.MultiIndex.from_arrays([general, condition]))
    texts = [
        f"{k} ({zh}): {why}"
        for k, zh, why in zip(kinds.tolist(), known.loc[kinds, "name_zh"], known.loc[kinds, "basis"])
    ]
    basis = np.array(texts, dtype=object)[of]
    verdict = rows["verdict"].to_numpy(dtype=object)
    rule = rows["requirement"].to_numpy(dtype=object)
    quoted = np.where(
        rows["quote"].to_numpy() != "",
        rows["clause"].to_numpy() + "：“" + rows["quote"].to_numpy() + "”",
        rows["clause"].to_numpy(),
    )
    cited = rows["source"].to_numpy() + " [" + rows["status"].to_numpy() + "]"
    source = quoted + " — " + cited + "; type " + basis
    if assumed is not None:
        change = known.loc[kinds, "would_change"].to_numpy()[of]
        note = np.asarray(assumed, dtype=bool) & (verdict == "conflict") & (change != "")
        rule = np.where(note, rule + " 项目类型未给出，按分组和名称推定；" + change + "。", rule)
    shown = np.where(own, category, np.where(condition == "inside", "inside", "not involved"))
    return (
        np.where(typed, verdict, NULL),
        np.where(typed, rule, NULL),
        np.where(typed, source, NULL),
        np.where(typed, shown, NULL),
    )


#: The conditions judged on each line, in the order the derived table lists them.
CONDITIONS = {
    "ecological_redline": ("overlap", "core", "none"),
    "permanent_farmland": ("overlap", "none"),
    "urban_development_boundary": ("outside", "inside"),
}


@lru_cache(maxsize=1)
def load_rules() -> pd.DataFrame:
    """The verdicts by plan group and name, derived from the three tables (never a second table).

    One row per default of ``data/project_type_defaults.csv`` × control line × condition:
    ``control_line``, ``group``, ``name_pattern``, ``project_type``, ``category``, ``condition``,
    ``verdict``, ``rule``, ``source`` — what a project of that group and name, given no type, is
    judged by. ``docs/rules.md`` prints it.

    >>> rules = load_rules()
    >>> rules.query("group == '交通基建' and name_pattern == '' and control_line == 'permanent_farmland' "
    ...             "and condition == 'overlap'")[["project_type", "verdict"]].values.tolist()
    [['road_other', 'conflict']]
    """
    defaults = load_type_defaults()
    rows = []
    for line, conditions in CONDITIONS.items():
        for condition in conditions:
            cond = np.full(len(defaults), condition, dtype=object)
            verdict, rule, source, category = judge_by_category(
                defaults["project_type"].to_numpy(dtype=object), line, cond
            )
            rows.append(
                pd.DataFrame(
                    {
                        "control_line": line,
                        "group": defaults["group"].to_numpy(),
                        "name_pattern": defaults["name_pattern"].to_numpy(),
                        "project_type": defaults["project_type"].to_numpy(),
                        "category": category,
                        "condition": condition,
                        "verdict": verdict,
                        "rule": rule,
                        "source": source,
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    tables = ("project_types.csv", "line_categories.csv", "project_type_defaults.csv")
    table.attrs["path"] = ", ".join(str(DATA_DIR / name) for name in tables)
    return table


__all__ = [
    "CATEGORIES",
    "CONDITIONS",
    "STATUSES",
    "judge_by_category",
    "load_line_categories",
    "load_project_types",
    "load_rules",
    "load_type_defaults",
    "project_types",
    "type_names",
]
