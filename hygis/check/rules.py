"""The rule tables of the check, as data: verdicts per control line and group, and corridor widths.

The rules are ``data/compliance_rules.csv`` (:func:`load_rules`), each row citing its source;
the default corridor widths of linear projects are ``data/corridor_widths.csv``
(:func:`load_corridor_widths`). :func:`best_match` picks, for each project, the most specific row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from hygis.constants import CONTROL_LINES, VERDICTS
from hygis.errors import HygisInputError
from hygis.settings import DATA_DIR

_RULE_COLUMNS = ("control_line", "group", "kind", "name_pattern", "condition", "verdict", "rule", "source")

_CONDITIONS = {
    "ecological_redline": ("overlap", "none"),
    "permanent_farmland": ("overlap", "none"),
    "urban_development_boundary": ("outside", "inside"),
}

_KINDS = ("point", "line", "polygon", "mixed", "*")

#: An object-array None that numpy's typed np.where accepts as a branch.
NULL = np.array(None, dtype=object)


@lru_cache(maxsize=4)
def _read_csv(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def load_rules(path: str | Path | None = None) -> pd.DataFrame:
    """Load the compliance rule table (default ``data/compliance_rules.csv``).

    Columns: ``control_line``, ``group`` (a project group, or ``*``), ``kind`` (``point``,
    ``line``, ``polygon``, ``mixed`` or ``*``), ``name_pattern`` (a regular expression on the
    project name, or empty), ``condition`` (``overlap``/``none`` for the red line and farmland,
    ``outside``/``inside`` for the development boundary), ``verdict``, ``rule``, ``source``.
    For each project the matching row with the most specific group, name pattern and kind wins.

    Raises
    ------
    HygisInputError
        If the table lacks a column, uses an unknown value, or leaves a case without a rule.
    """
    path = Path(path) if path is not None else DATA_DIR / "compliance_rules.csv"
    if not path.exists():
        msg = f"The rule table {path} is missing: reinstall hygis or give a rules file."
        raise HygisInputError(msg)
    rules = _read_csv(str(path)).copy()
    missing = [c for c in _RULE_COLUMNS if c not in rules.columns]
    if missing:
        msg = f"{path.name}: the rule table lacks the column(s) {', '.join(missing)}."
        raise HygisInputError(msg)
    for col, allowed in (("control_line", CONTROL_LINES), ("kind", _KINDS), ("verdict", VERDICTS[:3])):
        bad = sorted(set(rules[col]) - set(allowed))
        if bad:
            msg = f"{path.name}: unknown {col} value(s) {', '.join(bad)}; use one of {', '.join(allowed)}."
            raise HygisInputError(msg)
    for line, conds in _CONDITIONS.items():
        sub = rules[rules.control_line == line]
        bad = sorted(set(sub.condition) - set(conds))
        if bad:
            msg = (
                f"{path.name}: condition(s) {', '.join(bad)} do not apply to {line}; "
                f"use {' or '.join(conds)}."
            )
            raise HygisInputError(msg)
        for cond in conds:
            generic = sub[
                (sub.condition == cond) & (sub.group == "*") & (sub.kind == "*") & (sub.name_pattern == "")
            ]
            if generic.empty:
                msg = (
                    f"{path.name}: no general rule (group * , kind *) for {line} / {cond}; "
                    "every case needs one."
                )
                raise HygisInputError(msg)
    for pattern in set(rules.name_pattern) - {""}:
        try:
            re.compile(pattern)
        except re.error as exc:
            msg = f"{path.name}: name_pattern '{pattern}' is not a valid regular expression ({exc})."
            raise HygisInputError(msg) from None
    rules["specificity"] = (
        (rules.group != "*").astype(int) * 4
        + (rules.name_pattern != "").astype(int) * 2
        + (rules.kind != "*").astype(int)
    )
    rules.attrs["path"] = str(path)
    return rules


def load_corridor_widths(path: str | Path | None = None) -> pd.DataFrame:
    """Load the default corridor widths of linear projects (default ``data/corridor_widths.csv``).

    Columns: ``group`` (or ``*``), ``name_pattern`` (regex on the name, or empty), ``width_m``,
    ``basis`` (why that width). Used only where a line project has no ``width_m`` attribute.
    """
    path = Path(path) if path is not None else DATA_DIR / "corridor_widths.csv"
    table = _read_csv(str(path)).copy()
    table["width_m"] = pd.to_numeric(table["width_m"], errors="raise")
    if not ((table.group == "*") & (table.name_pattern == "")).any():
        msg = f"{path.name}: needs a default row (group *, empty name_pattern)."
        raise HygisInputError(msg)
    table["specificity"] = (table.group != "*").astype(int) * 2 + (table.name_pattern != "").astype(int)
    table.attrs["path"] = str(path)
    return table


def best_match(
    frame: pd.DataFrame, table: pd.DataFrame, extra: Callable[[pd.Series], np.ndarray] | None = None
) -> np.ndarray:
    """Index (into ``table``) of the most specific row matching each project (vectorised per rule row).

    ``frame`` has ``group`` and ``name`` columns; ``table`` the ``group``, ``name_pattern`` and
    ``specificity`` columns of :func:`load_rules` or :func:`load_corridor_widths`; ``extra``
    narrows each row's match further. -1 where no row matches.
    """
    best = np.full(len(frame), -1)
    best_spec = np.full(len(frame), -1)
    names = frame["name"].astype(str)
    for k, row in enumerate(table.itertuples(index=False)):
        mask = np.ones(len(frame), bool)
        if row.group != "*":
            mask &= frame["group"].to_numpy() == row.group
        if row.name_pattern:
            mask &= names.str.contains(row.name_pattern, regex=True).to_numpy()
        if extra is not None:
            mask &= extra(row)
        better = mask & (row.specificity > best_spec)
        best[better], best_spec[better] = k, row.specificity
    return best


__all__ = ["best_match", "load_corridor_widths", "load_rules"]
