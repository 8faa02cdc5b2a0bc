"""Angles as planners type them: 度分秒 (``112°34′12.5″``, ``112度34分12.5秒``, ``112:34:12.5``) or decimal.

A coordinate table often mixes both, row by row. :func:`parse_angles` reads every form into
decimal degrees; :func:`angle_column` does so for a table column and refuses, naming the rows,
anything it cannot read, so that no project silently becomes "not located".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hygis.errors import HygisInputError

# Marks keyboards and fonts produce for ° ′ ″, folded to one each before matching.
_MARKS = {
    "º": "°",
    "˚": "°",
    "″": '"',
    "“": '"',
    "”": '"',
    "＂": '"',
    "''": '"',
    "′": "'",
    "’": "'",
    "‘": "'",
    "＇": "'",
    "：": ":",
    "，": ".",
}
_HEMI = r"(东经|西经|北纬|南纬|[NSEWnsew])"
_NUM = r"(\d+(?:\.\d*)?)"
_DMS = (
    rf"^\s*{_HEMI}?\s*(-)?\s*{_NUM}\s*(?:°|度|:|d|\s)\s*"
    rf"(?:{_NUM}\s*(?:'|分|:|m|\s)?\s*(?:{_NUM}\s*(?:\"|秒|s)?)?)?\s*{_HEMI}?\s*$"
)


def parse_angles(values) -> tuple[np.ndarray, np.ndarray]:
    """Read angles written as decimal degrees or degrees-minutes-seconds, mixed freely.

    Parameters
    ----------
    values : array-like
        Numbers or text, one angle each.

    Returns
    -------
    (ndarray of float, ndarray of bool)
        Decimal degrees (NaN where blank or unreadable), and True where a non-blank value
        could not be read (minutes or seconds of 60 or more count as unreadable).

    Examples
    --------
    >>> deg, bad = parse_angles(["112°34′12.5″", "112度34分12.5秒", "112:34:12.5", 112.57, "", "1l2.5"])
    >>> deg[:4].round(6).tolist()
    [112.570139, 112.570139, 112.570139, 112.57]
    >>> bad.tolist()
    [False, False, False, False, False, True]
    """
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    text = s.astype(str).str.strip()
    blank = s.isna().to_numpy() | text.isin(["", "nan", "None", "NaN"]).to_numpy()
    decimal = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float)
    out = decimal.copy()
    todo = ~blank & np.isnan(decimal)
    if todo.any():
        folded = text[todo]
        for mark, plain in _MARKS.items():
            folded = folded.str.replace(mark, plain, regex=False)
        parts = folded.str.extract(_DMS)
        deg = pd.to_numeric(parts[2], errors="coerce").to_numpy(dtype=float)
        mins = pd.to_numeric(parts[3], errors="coerce").fillna(0).to_numpy(dtype=float)
        secs = pd.to_numeric(parts[4], errors="coerce").fillna(0).to_numpy(dtype=float)
        hemi = parts[0].fillna(parts[5]).fillna("").str.upper().to_numpy(dtype=str)
        sign = np.where(np.isin(hemi, ["S", "W", "西经", "南纬"]) | parts[1].notna().to_numpy(), -1.0, 1.0)
        ok = np.isfinite(deg) & (mins < 60) & (secs < 60)
        out[todo] = np.where(ok, sign * (deg + mins / 60 + secs / 3600), np.nan)
    bad = ~blank & ~np.isfinite(out)
    return out, bad


def angle_column(series: pd.Series, *, column: str, source: str, limit: float = 180.0) -> np.ndarray:
    """Decimal degrees of one table column; blanks stay NaN, unreadable values are refused.

    Parameters
    ----------
    series : pandas.Series
        The column, in table order.
    column : str
        Its name, for the message.
    source : str
        The file, for the message.
    limit : float
        Largest absolute value allowed (180 for longitude, 90 for latitude).

    Raises
    ------
    HygisInputError
        Naming each unreadable row (1 = the first row under the header) and its value.
    """
    deg, bad = parse_angles(series.to_numpy())
    bad |= np.abs(np.nan_to_num(deg)) > limit
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = "; ".join(f"row {i + 1}: {series.iloc[i]!r}" for i in rows[:8])
        more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
        msg = (
            f"{source}: column '{column}' has {len(rows)} value(s) that are not angles ({shown}{more}; row 1 "
            "is the "
            "first under the header). Write decimal degrees (112.5701) or 度分秒 (112°34′12.5″ or "
            "112度34分12.5秒)."
        )
        raise HygisInputError(msg)
    return deg
