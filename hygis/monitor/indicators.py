"""The plan's indicators against their 2030/2035 targets: the indicator monitor.

A planner gives observed values (``indicator``, ``year``, ``value``, optionally ``county``);
:func:`assess_indicators` compares each indicator's path with the pace its target needs from
the baseline (2025):

* **growth-type** indicators (``kind`` = ``compound``: GDP, tourist arrivals) need a compound
  annual rate ``(target / baseline) ** (1 / years) - 1``; the achieved one is measured the same way;
* **shares and rates** (``linear``: urbanisation, R&D intensity …) need a linear pace in
  percentage points per year ``(target - baseline) / years``;
* targets that are **themselves annual rates** (``rate``: "年均增长8%") are met by the mean of
  the observed annual rates;
* **protected areas** (``stock``: the red line, permanent farmland, the development boundary,
  measured from the layers by :func:`layer_indicators`) must not shrink (or grow).

The pace ratio (achieved ÷ needed) earns a status by ``data/monitor_status.csv``: 已达标 (the
target is already met), 正常 (ratio ≥ 1), 预警 (≥ 0.8), 滞后 (below). The kind, the direction
and the baseline of each indicator are in ``data/monitor_indicators.csv``.

County values without county targets are measured against the city's pace (the plan splits
its targets by county but does not publish the split); give a county target table to use yours.

>>> from hygis.monitor import example, indicators
>>> table = indicators.assess_indicators(example.example_values())
>>> set(table["status"]) <= {"已达标", "正常", "预警", "滞后", ""}
True
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hygis import io, words
from hygis.analysis.stats import control_line_stats
from hygis.errors import HygisInputError
from hygis.messages import few, warn
from hygis.monitor import charts as charts_mod
from hygis.monitor import grading
from hygis.plan import PlanInputs, illustrative_banner, layers, resolve
from hygis.plan.targets import load_targets
from hygis.settings import DATA_DIR

INDICATORS_FILE = "monitor_indicators.csv"
KINDS = ("compound", "linear", "rate", "stock")
#: Column aliases of a values table (lower-cased match).
VALUE_ALIASES = {
    "indicator": ("indicator", "指标", "指标名称"),
    "year": ("year", "年度", "年份"),
    "value": ("value", "值", "监测值", "数值", "现状值"),
    "county": ("county_code", "county", "县市区", "区县", "行政区代码", "行政区"),
}
#: The indicators :func:`layer_indicators` measures, per control line.
LAYER_INDICATORS = {
    "ecological_redline": "生态保护红线面积",
    "permanent_farmland": "永久基本农田保护面积",
    "urban_development_boundary": "城镇开发边界面积",
}
CITY = ""  # county_code of the city's own values

COLUMNS = (
    "indicator",
    "county_code",
    "county_name",
    "unit",
    "unit_zh",
    "kind",
    "baseline_year",
    "baseline",
    "baseline_source",
    "baseline_source_zh",
    "latest_year",
    "latest",
    "horizon",
    "target",
    "target_2030",
    "target_2035",
    "required_2030",
    "required_2035",
    "achieved",
    "pace_unit",
    "pace_unit_zh",
    "ratio",
    "status",
    "status_en",
    "note",
    "note_zh",
    "data_status",
)


@lru_cache(maxsize=1)
def load_indicators() -> pd.DataFrame:
    """How each indicator is monitored (``data/monitor_indicators.csv``): ``kind``, ``better``,
    baseline and its source."""
    table = pd.read_csv(DATA_DIR / INDICATORS_FILE, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    bad = table[~table["kind"].isin(KINDS) | ~table["better"].isin(("higher", "lower"))]
    if len(bad):
        msg = (
            f"{INDICATORS_FILE}: rows {', '.join(bad['indicator'])} need a kind in {KINDS} and better in "
            "(higher, lower)."
        )
        raise HygisInputError(msg)
    return table


def _first_number(text: str) -> float:
    """A target as a number; a range ``3-5`` gives its lower end (the least the plan accepts)."""
    return float(str(text).split("-")[0]) if str(text).strip() else np.nan


# --------------------------------------------------------------------------- reading
def read_table_file(path: Path, label: str) -> pd.DataFrame:
    """A planner's table (.csv in UTF-8 or GBK, or .xlsx); registered as an input (never overwritten)."""
    if not path.exists():
        msg = f"{label}: file not found: {path}."
        raise HygisInputError(msg)
    io.register_inputs([path])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=object)
    if suffix == ".csv":
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(path, encoding=enc, dtype=object, keep_default_na=False)
            except UnicodeDecodeError:
                continue
    msg = f"{label}: {path.name} is not a table hygis reads; give a .csv (UTF-8 or GBK) or an .xlsx."
    raise HygisInputError(msg)


def read_values(values: Any, *, counties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read observed values: ``indicator``, ``year``, ``value`` and optionally ``county_code``.

    Parameters
    ----------
    values : path (.csv/.xlsx) or DataFrame
        Columns found by aliases (指标, 年度, 值, 县市区 …); a county may be given by code or name.
    counties : DataFrame, optional
        Units with ``code`` and ``name`` (default the embedded 12).

    Returns
    -------
    DataFrame
        ``indicator``, ``year`` (int), ``value`` (float), ``county_code`` (``""`` for the city).

    Raises
    ------
    HygisInputError
        A missing column, a year or value that is not a number, an unknown county; naming the file.
    """
    if isinstance(values, pd.DataFrame):
        table, label = values.copy(), "indicator values (DataFrame)"
    else:
        path = Path(values)
        label = f"indicator values file {path.name}"
        table = read_table_file(path, label)
    found = {}
    lower = {str(c).strip().lower(): c for c in table.columns}
    for field, aliases in VALUE_ALIASES.items():
        found[field] = next((lower[a.lower()] for a in aliases if a.lower() in lower), None)
        if found[field] is None and field != "county":
            msg = (
                f"{label}: no '{field}' column (hygis looks for {', '.join(aliases)}); "
                f"the columns are: {', '.join(map(str, table.columns))}."
            )
            raise HygisInputError(msg)
    out = pd.DataFrame({"indicator": table[found["indicator"]].astype(str).str.strip()})
    for field in ("year", "value"):
        num = pd.to_numeric(table[found[field]], errors="coerce")
        bad = num.isna() & table[found[field]].astype(str).str.strip().ne("")
        if bad.any():
            rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
            msg = (
                f"{label}: '{found[field]}' must be a number; rows {rows} are not (e.g. "
                f"{table[found[field]][bad].iloc[0]!r})."
            )
            raise HygisInputError(msg)
        out[field] = num
    out = out[out["value"].notna() & out["year"].notna()]
    out["year"] = out["year"].astype(int)
    units = counties if counties is not None else layers.load("counties")
    by_name = dict(zip(units["name"].astype(str), units["code"].astype(str)))
    codes = set(units["code"].astype(str))
    if found["county"] is not None:
        raw = (
            table.loc[out.index, found["county"]]
            .fillna("")
            .astype(str)
            .str.strip()
            .str.replace(r"\.0$", "", regex=True)
        )
        raw = raw.mask(raw.isin(["全市", "city", "衡阳市"]), CITY)
        county = raw.map(lambda v: by_name.get(v, v))
        unknown = sorted(set(county) - codes - {CITY})
        if unknown:
            msg = (
                f"{label}: unknown county {', '.join(unknown[:5])}; use a code or name of: "
                f"{', '.join(sorted(by_name))}."
            )
            raise HygisInputError(msg)
        out["county_code"] = county.to_numpy()
    else:
        out["county_code"] = CITY
    out = out.reset_index(drop=True)
    out.attrs["hygis_layer"] = dict(getattr(values, "attrs", {}).get("hygis_layer", {}))
    return out


def layer_indicators(inputs: PlanInputs | None = None, year: int = 2025) -> pd.DataFrame:
    """The indicators hygis measures itself: each control line's area (ha) per county and for the city.

    Measured as :func:`hygis.analysis.stats.control_line_stats` measures them (union semantics,
    the plan's Gauss–Krüger CRS), so they agree with the statistics table. Call it for each
    vintage of the lines (with that vintage's ``inputs`` and ``year``) to monitor their change.

    Returns
    -------
    DataFrame
        ``indicator``, ``year``, ``value`` (ha), ``county_code`` (``""`` for the city), ``source``.
    """
    inputs = inputs or resolve()
    stats = control_line_stats(inputs)
    rows = pd.DataFrame(
        {
            "indicator": stats["line"].map(LAYER_INDICATORS),
            "year": int(year),
            "value": stats["area_ha"].to_numpy(),
            "county_code": np.where(stats["level"].eq("city"), CITY, stats["code"].astype(str)),
        }
    )
    status_of = {k: v.get("status", "") for k, v in inputs.provenance.items()}
    rows["source"] = "measured from the layer (" + stats["line"].map(status_of).fillna("") + ")"
    return rows


# --------------------------------------------------------------------------- assessing
def _pace(kind: str, start: float, end: float, years: float) -> float:
    """Annual pace from ``start`` to ``end`` over ``years``: compound rate or linear step."""
    if years <= 0 or np.isnan(start) or np.isnan(end):
        return np.nan
    if kind == "compound":
        if start <= 0 or end <= 0:
            return np.nan
        return (end / start) ** (1.0 / years) - 1.0
    return (end - start) / years


def assess_indicators(
    values: Any,
    *,
    targets: pd.DataFrame | None = None,
    county_targets: Any = None,
    inputs: PlanInputs | None = None,
    with_layers: bool = True,
    layers_year: int | None = None,
    previous: PlanInputs | None = None,
    previous_year: int | None = None,
) -> pd.DataFrame:
    """Each indicator's latest value, the pace its targets need, the pace achieved and a status.

    Parameters
    ----------
    values : path or DataFrame
        Observed values (:func:`read_values`).
    targets : DataFrame, optional
        The plan's targets (:func:`hygis.plan.targets.load_targets`).
    county_targets : path or DataFrame, optional
        Targets split by county: ``indicator``, ``county`` (code or name), ``target_2030``,
        ``target_2035``. Without them a county is measured against the city's pace.
    inputs : PlanInputs, optional
        The plan's layers for the indicators measured from them (default the embedded ones).
    with_layers : bool
        Add the control-line areas (:func:`layer_indicators`) for ``layers_year``.
    layers_year : int, optional
        The year the layers show (default the latest year of ``values``).
    previous, previous_year : PlanInputs and int, optional
        An earlier vintage of the lines and its year: their areas become the reference, so a
        protected area that shrank (or a boundary that grew) since then is a warning.

    Returns
    -------
    DataFrame
        One row per indicator and county (the city first), columns :data:`COLUMNS`. Paces are in
        per cent per year (``compound``, ``rate``) or units per year (``linear``); ``pace_unit``
        says which. ``attrs["banner"]`` is the banner when any input is illustrative.
    """
    obs = read_values(values)
    illustrative = obs.attrs.get("hygis_layer", {}).get("status") == grading.ILLUSTRATIVE
    banner_lines = None
    if with_layers:
        inputs = inputs or resolve()
        year = int(layers_year if layers_year is not None else (obs["year"].max() if len(obs) else 2025))
        measured = layer_indicators(inputs, year)
        if previous is not None:
            if previous_year is None or previous_year >= year:
                msg = f"previous_year must be given and before the layers' year {year} (got {previous_year})."
                raise HygisInputError(msg)
            measured = pd.concat([layer_indicators(previous, previous_year), measured], ignore_index=True)
        # A user's own area values for the same year win over the measured ones.
        have = set(zip(obs["indicator"], obs["year"], obs["county_code"]))
        keep = [
            (i, y, c) not in have
            for i, y, c in zip(measured["indicator"], measured["year"], measured["county_code"])
        ]
        obs = pd.concat(
            [obs, measured.loc[keep, ["indicator", "year", "value", "county_code"]]], ignore_index=True
        )
        banner_lines = grading.banner(
            illustrative_banner(inputs), illustrative_banner(previous) if previous is not None else None
        )
    targets = load_targets() if targets is None else targets
    tt = targets.set_index("indicator")
    spec = load_indicators().set_index("indicator")
    ctab = _county_targets(county_targets)
    names = dict(
        zip(layers.load("counties")["code"].astype(str), layers.load("counties")["name"].astype(str))
    )
    unknown = sorted(set(obs["indicator"]) - set(spec.index))
    rows = []
    city_pace: dict[tuple[str, int], float] = {}
    order = {n: k for k, n in enumerate(spec.index)}
    groups = sorted(
        obs.groupby(["indicator", "county_code"]),
        key=lambda g: (order.get(g[0][0], 1e9), g[0][1] != CITY, g[0][1]),
    )
    for (name, county), group in groups:
        if name not in spec.index:
            continue
        s = spec.loc[name]
        row = _assess_one(name, county, group.sort_values("year"), s, tt, ctab, city_pace)
        row["county_name"] = "全市" if county == CITY else names.get(county, county)
        rows.append(row)
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "data_status"])
    banner = grading.banner(
        banner_lines if with_layers else None,
        grading.example_notice("indicator values") if illustrative else None,
    )
    table["data_status"] = grading.ILLUSTRATIVE if banner else "user data"
    table.attrs["banner"] = banner
    table.attrs["values"] = obs
    notes: list[str] = []
    if unknown:
        warn(
            f"indicator values: {few(unknown)} have no monitoring rule in {INDICATORS_FILE} and are not "
            "assessed (check the name against hygis targets, or add a row).",
            notes,
        )
    table.attrs["notes"] = notes
    return table


def _county_targets(county_targets: Any) -> dict[tuple[str, str], tuple[float, float]]:
    if county_targets is None:
        return {}
    table = (
        county_targets
        if isinstance(county_targets, pd.DataFrame)
        else read_table_file(Path(county_targets), "county targets")
    )
    need = ("indicator", "county", "target_2030", "target_2035")
    missing = [c for c in need if c not in table.columns]
    if missing:
        msg = f"county targets: missing column(s) {', '.join(missing)}; the table needs {', '.join(need)}."
        raise HygisInputError(msg)
    units = layers.load("counties")
    by_name = dict(zip(units["name"].astype(str), units["code"].astype(str)))
    return {
        (str(r.indicator).strip(), by_name.get(str(r.county).strip(), str(r.county).strip())): (
            _first_number(r.target_2030),
            _first_number(r.target_2035),
        )
        for r in table.itertuples()
    }


def _assess_one(
    name: str, county: str, group: pd.DataFrame, s: pd.Series, tt: pd.DataFrame, ctab: dict, city_pace: dict
) -> dict[str, Any]:
    kind, higher = s["kind"], s["better"] == "higher"
    years, vals = group["year"].to_numpy(), group["value"].to_numpy(dtype=float)
    latest_year, latest = int(years[-1]), float(vals[-1])
    unit = tt.loc[name, "unit"] if name in tt.index else "ha"
    # the targets table's Chinese of an English unit (占GDP比重（%）), empty where the unit is its own
    # (a layer's area, in ha, has the vocabulary's 公顷)
    given = tt.loc[name].get("unit_zh", "") if name in tt.index else words.label("value", "ha", "zh")
    unit_zh = given if isinstance(given, str) else ""
    row: dict[str, Any] = {
        "indicator": name,
        "county_code": county,
        "unit": unit,
        "unit_zh": unit_zh,
        "pace_unit_zh": "",
        "kind": kind,
        "latest_year": latest_year,
        "latest": latest,
        "note": "",
        "note_zh": "",
    }
    notes: list[tuple[str, dict[str, Any]]] = []  # (key of a text row of report_headers.csv, its fields)
    if kind == "stock":
        # The first vintage is the reference: protected land must not shrink, the boundary not grow.
        base_year, base = int(years[0]), float(vals[0])
        row.update(
            baseline_year=base_year,
            baseline=base,
            baseline_source="first vintage given",
            baseline_source_zh=words.value_text("first vintage given", "zh"),
            horizon=np.nan,
            target=base,
            target_2030=np.nan,
            target_2035=np.nan,
            required_2030=0.0,
            required_2035=0.0,
            achieved=_pace("linear", base, latest, latest_year - base_year),
            pace_unit=f"{unit}/yr",
            pace_unit_zh=_per_year_zh(unit_zh),
        )
        if base > 0 and latest > 0:
            ratio = latest / base if higher else base / latest
        else:  # a county the line does not reach: none before, none now is on track
            ratio = 1.0 if (latest >= base if higher else latest <= base) else 0.0
        row["ratio"] = ratio
        row["status"] = grading.grade([ratio], "stock")[0]
        row["status_en"] = grading.status_english("stock").get(row["status"], "")
        if len(vals) == 1:
            row.update(_notes([("note_one_vintage", {})]))
        return row
    base_year = int(s["baseline_year"]) if s["baseline_year"] else 2025
    t30 = _first_number(tt.loc[name, "target_2030"]) if name in tt.index else np.nan
    t35 = _first_number(tt.loc[name, "target_2035"]) if name in tt.index else np.nan
    own = ctab.get((name, county))
    city_targets = county == CITY or own is not None
    if own is not None:
        t30, t35 = own
    at_base = vals[years == base_year]
    if len(at_base):
        base, source = float(at_base[0]), "values given"
        source_zh = str(words.value_text(source, "zh"))
    elif county == CITY and s["baseline_value"] != "":
        base, source = float(s["baseline_value"]), f"{INDICATORS_FILE}: {s['baseline_source']}"
        # the settings file's own Chinese (baseline_source_zh), its English where it has none
        source_zh = (
            INDICATORS_FILE
            + words.text("colon", "zh")
            + (s.get("baseline_source_zh", "") or s["baseline_source"])
        )
    else:
        base, source, source_zh = np.nan, "", ""
    row.update(
        baseline_year=base_year,
        baseline=base,
        baseline_source=source,
        baseline_source_zh=source_zh,
        target_2030=t30,
        target_2035=t35,
    )
    horizon = 2030 if (not np.isnan(t30) and latest_year <= 2030) or np.isnan(t35) else 2035
    target = t30 if horizon == 2030 else t35
    row.update(horizon=horizon, target=target)
    if kind == "rate":
        observed = vals[years > base_year]
        row.update(
            required_2030=t30,
            required_2035=t35,
            pace_unit="%/yr (mean of the years given)",
            achieved=float(observed.mean()) if len(observed) else np.nan,
        )
        need = target
    else:
        pace = "compound" if kind == "compound" else "linear"
        req = {h: _pace(pace, base, t, h - base_year) for h, t in ((2030, t30), (2035, t35))}
        scale = 100.0 if kind == "compound" else 1.0
        row.update(
            required_2030=req[2030] * scale,
            required_2035=req[2035] * scale,
            achieved=_pace(pace, base, latest, latest_year - base_year) * scale,
            pace_unit="%/yr (compound)" if kind == "compound" else f"{unit}/yr",
            pace_unit_zh="" if kind == "compound" else _per_year_zh(unit_zh),
        )
        need = row["required_2030"] if horizon == 2030 else row["required_2035"]
        if county == CITY:
            city_pace[(name, horizon)] = need
        elif not city_targets:
            need = city_pace.get((name, horizon), np.nan)
            row.update(required_2030=np.nan, required_2035=np.nan, target=np.nan)
            notes.append(("note_no_county_target", {}))
    ratio = row["achieved"] / need if need and not np.isnan(need) and need != 0 else np.nan
    if np.isnan(base) and kind != "rate":
        notes.append(("note_no_baseline", {"year": base_year}))
    met = (
        city_targets
        and kind != "rate"
        and not np.isnan(target)
        and (latest >= target if higher else latest <= target)
    )
    row["ratio"] = ratio
    row["status"] = "已达标" if met else grading.grade([ratio], "indicator")[0]
    row["status_en"] = grading.status_english("indicator").get(row["status"], "")
    if latest_year <= base_year and kind != "rate":
        notes.append(("note_no_value_after_baseline", {}))
    row.update(_notes(notes))
    return row


def _per_year_zh(unit_zh: str) -> str:
    """A pace's unit in Chinese from the Chinese unit (``占GDP比重（%）/年``), empty without one: the
    vocabulary's ``…/yr`` row, as the English unit's pace is translated."""
    return str(words.value_text(f"{unit_zh}/yr", "zh")) if unit_zh else ""


def _notes(notes: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """``note`` (English) and ``note_zh`` of a row: its notes, words of ``data/report_headers.csv``."""
    return {
        column: words.text("semicolon", lang).join(words.text(key, lang, **fields) for key, fields in notes)
        for column, lang in (("note", "en"), ("note_zh", "zh"))
    }


# --------------------------------------------------------------------------- writing
FORMATS = (".csv", ".xlsx", ".html")


def write_indicators(
    table: pd.DataFrame, path: str | os.PathLike, *, charts: str = "svg", lang: str = "zh"
) -> Path:
    """Write the assessment: ``.csv`` (one row per indicator and county; English column names, for
    scripts), ``.xlsx`` (notice sheet first when illustrative; 指标评估, 指标监测值, 指标测算设置,
    评估阈值, their names, headers and the values a planner reads in ``lang`` (:mod:`hygis.words`;
    ``"en"``: the old sheets 指标 assessment, 监测值 values, 规则 indicators, 阈值 thresholds with
    English headers) or ``.html`` (the dashboard, charts inline; its notes and units in ``lang``)."""
    target, suffix = io.output_suffix(path, FORMATS, "the indicator report")
    lang = words.check_lang(lang)
    if suffix == ".csv":
        return io.write_table(table, target)
    if suffix == ".xlsx":
        sheets = {
            "indicator_assessment": table,
            "indicator_values": table.attrs.get("values", pd.DataFrame()),
            "indicator_settings": load_indicators(),
            "status_thresholds": grading.load_status(),
        }
        book = words.workbook(sheets, "monitor_indicators", lang)
        return io.write_table(book, target, banner=table.attrs.get("banner"))
    return io.write_text(charts_mod.dashboard_html(table, image=charts, lang=lang), target)


__all__ = [
    "COLUMNS",
    "FORMATS",
    "LAYER_INDICATORS",
    "assess_indicators",
    "layer_indicators",
    "load_indicators",
    "read_values",
    "write_indicators",
]
