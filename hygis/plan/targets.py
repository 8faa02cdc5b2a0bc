"""The plan's targets (section 二 总体发展目标): mid-term 2030 and long-term 2035, as a table.

The table lives in ``data/plan_targets.csv``: ``indicator``, ``indicator_en``, ``unit``,
``comparison`` (``>=``: "at least / 以上 / 突破", ``=``: "reach / 达到 / 提升至"),
``target_2030``, ``target_2035`` (empty where the plan sets none for that horizon; a range
such as ``3-5`` is kept as text), ``plan_line`` (the plan's own words, ``" / "`` between the
2030 and 2035 sentences) and ``source`` (file and section); optionally ``unit_zh``, the unit in
Chinese where ``unit`` is English (``% of GDP`` → ``占GDP比重（%）``), which a Chinese workbook shows in
its place (empty: the unit as it is).

>>> from hygis.plan import targets
>>> table = targets.load_targets()
>>> table.loc[table["indicator"] == "地区生产总值", ["target_2030", "target_2035", "unit"]].values.tolist()
[['8000', '12000', '亿元']]
>>> targets.verify_plan_lines(table.head(1), "地区生产总值突破8000亿元")["missing"].tolist()   # not verbatim
['地区生产总值突破1.2万亿元']
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from hygis.errors import HygisInputError
from hygis.settings import DATA_DIR

COLUMNS = (
    "indicator",
    "indicator_en",
    "unit",
    "comparison",
    "target_2030",
    "target_2035",
    "plan_line",
    "source",
)
#: Columns a table may leave out: each is read as empty.
OPTIONAL = ("unit_zh",)
COMPARISONS = {">=": "≥", "=": "=", "<=": "≤"}
#: Separates the 2030 and 2035 sentences of one indicator in ``plan_line``.
LINE_SEPARATOR = " / "


def targets_path() -> Path:
    """The packaged targets table."""
    return DATA_DIR / "plan_targets.csv"


def load_targets(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load and validate the targets table.

    Parameters
    ----------
    path : path-like, optional
        A CSV with the columns of :data:`COLUMNS`; default the packaged ``data/plan_targets.csv``.

    Returns
    -------
    pandas.DataFrame
        The table with ``target_2030`` / ``target_2035`` as text (``""`` where none), in file order.

    Raises
    ------
    HygisInputError
        Missing columns, an unknown comparison, a row with no target or no plan line, or a
        target that is neither a number nor a range ``a-b``, naming the row.
    """
    src = Path(path) if path is not None else targets_path()
    try:
        table = pd.read_csv(src, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except FileNotFoundError:
        msg = f"Targets table not found: {src}."
        raise HygisInputError(msg) from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        msg = f"{src.name}: missing column(s) {', '.join(missing)}; the table needs {', '.join(COLUMNS)}."
        raise HygisInputError(msg)
    table = table.reindex(columns=[*COLUMNS, *OPTIONAL], fill_value="").apply(lambda col: col.str.strip())
    problems = []
    for k, row in table.iterrows():
        where = f"row {k + 2} ({row['indicator']})"
        if row["comparison"] not in COMPARISONS:
            problems.append(
                f"{where}: comparison '{row['comparison']}' is not one of {', '.join(COMPARISONS)}"
            )
        if not row["target_2030"] and not row["target_2035"]:
            problems.append(f"{where}: neither a 2030 nor a 2035 target")
        for year in ("target_2030", "target_2035"):
            if row[year] and not _is_target(row[year]):
                problems.append(f"{where}: {year} '{row[year]}' is not a number or a range a-b")
        if not row["plan_line"]:
            problems.append(f"{where}: no plan_line (the plan's own words are required)")
    if problems:
        msg = f"{src.name}: " + "; ".join(problems) + "."
        raise HygisInputError(msg)
    table.attrs["source"] = str(src)
    return table


def _is_target(text: str) -> bool:
    parts = text.split("-")
    if len(parts) > 2:
        return False
    try:
        [float(p) for p in parts]
    except ValueError:
        return False
    return True


def verify_plan_lines(targets: pd.DataFrame, plan_text: str) -> pd.DataFrame:
    """Rows whose ``plan_line`` sentences do not all occur verbatim in the plan's text.

    Parameters
    ----------
    targets : DataFrame
        From :func:`load_targets`.
    plan_text : str
        The full text of the plan.

    Returns
    -------
    pandas.DataFrame
        ``indicator`` and ``missing`` (the sentence not found); empty when every line is the
        plan's own words.
    """
    rows = [
        {"indicator": row.indicator, "missing": part}
        for row in targets.itertuples()
        for part in row.plan_line.split(LINE_SEPARATOR)
        if part and part not in plan_text
    ]
    return pd.DataFrame(rows, columns=["indicator", "missing"])


def format_targets(targets: pd.DataFrame) -> str:
    """A readable plain-text table: indicator, unit, 2030, 2035 (``≥`` where the plan says 'at least')."""

    def cell(value: str, comparison: str) -> str:
        prefix = "" if comparison == "=" else COMPARISONS.get(comparison, "")
        return f"{prefix}{value}" if value else "—"

    rows = [("指标 indicator", "单位 unit", "2030", "2035")]
    for row in targets.itertuples():
        rows.append(
            (
                row.indicator,
                row.unit,
                cell(row.target_2030, row.comparison),
                cell(row.target_2035, row.comparison),
            )
        )
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(_pad(text, w) for text, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        "≥ = at least (以上/突破). Source: the plan, section 二 总体发展目标; "
        "each row's plan_line is the plan's own words."
    )
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def _pad(text: str, width: int) -> str:
    return str(text) + " " * (width - _width(text))


__all__ = ["COLUMNS", "load_targets", "verify_plan_lines", "format_targets", "targets_path"]
