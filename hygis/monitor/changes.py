"""Land-use change polygons (变化图斑) against the three control lines: the spatial monitor.

Every year the 国土变更调查 and satellite enforcement (卫片执法) deliver polygons where land
changed class. :func:`classify_changes` measures each against the three lines with the exact
overlap engine (:mod:`hygis.engine.overlap`, union semantics: features of one line that overlap
count once), in the plan's Gauss–Krüger CRS, and gives it a warning level by the rules of
``data/monitor_rules.csv``, each citing its law:

* ``red`` — new construction land inside permanent basic farmland, or inside the ecological
  protection red line;
* ``orange`` — new urban construction land outside the urban development boundary; farmland
  inside permanent basic farmland turned to orchards, trees or ponds (非粮化);
* ``yellow`` — cultivated land turned to other farmland, or to construction land (needs approval);
* ``none`` — anything else, e.g. paddy (0101) to dry land (0103): no construction land is made.

A rule reads the land-use class before and after as categories (``data/land_classes.csv``:
the GB/T 21010-2017 / 三调 codes by longest prefix, or their Chinese names) and, where it
names a line, needs at least ``min_overlap_ha`` of overlap with it. The highest level matched
wins; ``rules`` lists every rule matched.

Input fields are found by the aliases of ``data/monitor_fields.csv`` (``BGQDLBM``/``BGHDLBM``,
变更前地类/变更后地类, ``TBBH``, ``BGNF`` …).

>>> from hygis.monitor import changes, example
>>> result = changes.classify_changes(example.example_changes(n_per_year=40))
>>> sorted(set(result["level"])) <= ["none", "orange", "red", "yellow"]
True
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis import io, words
from hygis.constants import M2_PER_HA
from hygis.crs import WGS84, describe
from hygis.engine.area import describe as describe_area
from hygis.engine.area import measure
from hygis.engine.overlap import disjoint_layer, overlap
from hygis.errors import HygisInputError
from hygis.messages import warn
from hygis.monitor import grading, pages
from hygis.monitor.report import changes_by_county as by_county
from hygis.monitor.report import changes_trend as trend
from hygis.plan import PlanInputs, illustrative_banner, layers, resolve
from hygis.settings import DATA_DIR

RULES_FILE = "monitor_rules.csv"
CLASSES_FILE = "land_classes.csv"
FIELDS_FILE = "monitor_fields.csv"

#: Overlap column of each line a rule may name.
LINE_COLUMNS = {
    "ecological_redline": "redline_ha",
    "permanent_farmland": "farmland_ha",
    "outside_urban_development_boundary": "outside_udb_ha",
}
#: Words a rule may use for a set of categories: every construction category, and every other one.
CONSTRUCTION = ("urban_construction", "rural_construction", "infrastructure")

#: The columns of :func:`classify_changes`, in order (then ``geometry``).
COLUMNS = (
    "change_id",
    "year",
    "county_code",
    "county_name",
    "class_before",
    "class_after",
    "category_before",
    "category_after",
    "area_ha",
    "redline_ha",
    "farmland_ha",
    "outside_udb_ha",
    "level",
    "level_zh",
    "rule",
    "rule_label",
    "rules",
    "data_status",
)
#: The formats :func:`write_changes` writes.
FORMATS = (".csv", ".xlsx", ".gpkg", ".html")


# --------------------------------------------------------------------------- data tables
@lru_cache(maxsize=1)
def load_land_classes() -> pd.DataFrame:
    """Land-use classes (``code``, ``name_zh``, ``category``, ``source``) from ``data/land_classes.csv``."""
    return pd.read_csv(DATA_DIR / CLASSES_FILE, encoding="utf-8-sig", dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def load_field_aliases() -> dict[str, tuple[str, ...]]:
    """Input field → the column names accepted for it, best first (``data/monitor_fields.csv``)."""
    table = pd.read_csv(DATA_DIR / FIELDS_FILE, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return {field: tuple(group["alias"]) for field, group in table.groupby("field", sort=False)}


def load_rules(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The warning rules, checked: ``rule_id``, ``level``, ``before``, ``after``, ``line``,
    ``min_overlap_ha``, ``label_zh``, ``label_en``, ``source`` (and, optionally, ``source_zh``: its
    Chinese, which the Chinese workbook shows in its place).

    ``before``/``after`` are ``;``-separated categories of ``data/land_classes.csv``, or
    ``construction`` / ``non_construction`` / ``*``.

    Raises
    ------
    HygisInputError
        A missing column, an unknown level, category or line, or a rule without a source.
    """
    src = Path(path) if path is not None else DATA_DIR / RULES_FILE
    try:
        table = pd.read_csv(src, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except FileNotFoundError:
        msg = f"Monitor rules not found: {src}."
        raise HygisInputError(msg) from None
    need = ("rule_id", "level", "before", "after", "line", "min_overlap_ha", "label_zh", "label_en", "source")
    missing = [c for c in need if c not in table.columns]
    if missing:
        msg = f"{src.name}: missing column(s) {', '.join(missing)}; a rule needs {', '.join(need)}."
        raise HygisInputError(msg)
    levels = grading.load_levels()
    known = set(_category_words())
    problems = []
    for k, row in table.iterrows():
        where = f"row {k + 2} ({row['rule_id']})"
        if row["level"] not in levels.index:
            problems.append(f"{where}: level '{row['level']}' is not one of {', '.join(levels.index)}")
        for side in ("before", "after"):
            bad = [w for w in row[side].split(";") if w.strip() not in known]
            if bad:
                problems.append(f"{where}: {side} names unknown categories {bad}")
        if row["line"] and row["line"] not in LINE_COLUMNS:
            problems.append(f"{where}: line '{row['line']}' is not one of {', '.join(LINE_COLUMNS)}")
        if not row["source"].strip():
            problems.append(f"{where}: no source (every rule cites the law or document it applies)")
    if problems:
        msg = f"{src.name}: " + "; ".join(problems) + "."
        raise HygisInputError(msg)
    table["min_overlap_ha"] = pd.to_numeric(table["min_overlap_ha"].replace("", "0"))
    table.attrs["source"] = str(src)
    return table


def _category_words() -> dict[str, set[str]]:
    cats = set(load_land_classes()["category"])
    words = {c: {c} for c in cats}
    words["construction"] = set(CONSTRUCTION)
    words["non_construction"] = cats - set(CONSTRUCTION)
    words["*"] = cats
    return words


def normalise_class(values: Any) -> np.ndarray:
    """Land-use class codes as text: ``101`` (a code read as a number) → ``0101``; names kept."""
    s = pd.Series(values, dtype=object).astype(str).str.strip()
    s = s.mask(s.isin(["nan", "None", "<NA>"]), "")
    s = s.str.replace(r"\.0$", "", regex=True)
    digits = s.str.fullmatch(r"\d{1,3}")
    s = s.mask(digits & (s.str.len() == 3), "0" + s)
    s = s.mask(digits & (s.str.len() == 1), "0" + s)
    return s.to_numpy(dtype=object)


def land_category(codes: Any) -> np.ndarray:
    """The category of each class code (longest matching prefix) or Chinese name; ``""`` if unknown.

    >>> land_category(["0101", "0103", "0702", "1006", "水田", "XX"]).tolist()
    ['cropland', 'cropland', 'rural_construction', 'agricultural_other', 'cropland', '']
    """
    classes = load_land_classes()
    by_code = dict(zip(classes["code"], classes["category"]))
    by_name = dict(zip(classes["name_zh"], classes["category"]))
    s = pd.Series(normalise_class(codes), dtype=object)
    out = s.map(by_name)
    # Longest prefix first: 0702 before 07, 1006 before 10; a K suffix (可调整) keeps its category.
    for width in sorted({len(c) for c in by_code}, reverse=True):
        out = out.fillna(s.str[:width].map(by_code))
    return out.fillna("").to_numpy(dtype=object)


# --------------------------------------------------------------------------- reading
def _find(columns: list[str], field: str, given: str | None, label: str) -> str | None:
    if given is not None:
        if given not in columns:
            msg = (
                f"{label}: no column '{given}' (given for {field}). The columns are: "
                f"{', '.join(map(str, columns))}."
            )
            raise HygisInputError(msg)
        return given
    lower = {str(c).lower(): c for c in columns}
    for alias in load_field_aliases().get(field, ()):
        if alias in columns:
            return alias
        if alias.lower() in lower:
            return lower[alias.lower()]
    return None


def read_changes(
    changes: Any,
    *,
    year: int | None = None,
    crs: Any = None,
    fields: dict[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read change polygons and give them hygis's columns.

    Parameters
    ----------
    changes : path or GeoDataFrame
        Any GDAL vector format (Shapefile with GBK attributes, GeoPackage, GDB …).
    year : int, optional
        The monitoring year. Fills the year of a file without a year field; for a file with
        one, keeps only the changes of that year.
    crs : CRS, optional
        CRS of a file that has none (never guessed).
    fields : dict, optional
        Column names to use for ``change_id``, ``class_before``, ``class_after``, ``year`` and
        ``county_code`` when the aliases of ``data/monitor_fields.csv`` do not find them.

    Returns
    -------
    GeoDataFrame
        In WGS 84: ``change_id``, ``year``, ``class_before``, ``class_after``, ``county_code``
        (``""`` where the file has none) and the geometry; ``attrs`` keeps the source, the notes
        and ``hygis_layer`` (with ``status``: ``illustrative`` for hygis's example data).

    Raises
    ------
    HygisInputError
        No class field, no year, a missing CRS, implausible coordinates, no polygons; naming
        the file and the fix.
    """
    fields = dict(fields or {})
    if isinstance(changes, gpd.GeoDataFrame):
        label = "change polygons (GeoDataFrame)"
        meta = dict(changes.attrs.get("hygis_layer", {}))
        if changes.crs is None and crs is None:
            msg = f"{label}: no CRS. Set one (gdf.set_crs('EPSG:4490')) or pass crs=."
            raise HygisInputError(msg)
        gdf = changes.set_crs(crs, allow_override=True) if crs is not None else changes
        gdf, notes = io.clean_geometries(gdf, label=label, geometry="polygon")
        io.check_coordinates(gdf, label)
        source = meta.get("source", "GeoDataFrame passed in Python")
    else:
        label = f"change polygons file {Path(changes).name}"
        gdf = io.read_vector(changes, crs=crs, geometry="polygon", label="change polygons")
        notes = list(gdf.attrs.get(io.NOTES_ATTR, []))
        meta = {"status": "user-file", "path": str(Path(changes).resolve())}
        source = str(changes)
    if len(gdf) == 0:
        msg = f"{label}: no change polygons to monitor."
        raise HygisInputError(msg)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    found = {
        f: _find(columns, f, fields.get(f), label)
        for f in ("change_id", "class_before", "class_after", "year", "county_code")
    }
    for side, zh in (("class_before", "变更前地类"), ("class_after", "变更后地类")):
        if found[side] is None:
            aliases = ", ".join(load_field_aliases()[side][:5])
            msg = (
                f"{label}: no {side.replace('_', ' ')} field ({zh}). Name it with "
                f"--{side.replace('_', '-')}-field "
                f"(Python: fields={{'{side}': ...}}); hygis looks for {aliases} …; the columns are: "
                f"{', '.join(columns)}."
            )
            raise HygisInputError(msg)
    out = gpd.GeoDataFrame(geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    if found["change_id"] is not None:
        out["change_id"] = gdf[found["change_id"]].astype(str).str.strip().to_numpy()
    else:
        out["change_id"] = [f"C{i + 1:06d}" for i in range(len(gdf))]
        warn(
            f"{label}: no id field (TBBH, JCBH, BSM …): the changes are numbered C000001 … in file order.",
            notes,
        )
    if found["year"] is not None:
        years = pd.to_numeric(gdf[found["year"]].astype(str).str.extract(r"(\d{4})")[0], errors="coerce")
        if years.isna().any():
            if year is None:
                rows = ", ".join(f"#{i + 1}" for i in np.flatnonzero(years.isna().to_numpy())[:5])
                msg = (
                    f"{label}: {int(years.isna().sum())} change(s) have no year in '{found['year']}' "
                    f"(features {rows}). "
                    "Fill them in, or give the monitoring year with --year."
                )
                raise HygisInputError(msg)
            years = years.fillna(year)
        out["year"] = years.astype(int).to_numpy()
        if year is not None:
            keep = out["year"].to_numpy() == int(year)
            if not keep.any():
                msg = (
                    f"{label}: no change of year {year} in '{found['year']}' (years: "
                    f"{sorted(set(out['year']))}). Check --year."
                )
                raise HygisInputError(msg)
            out, gdf = out[keep].reset_index(drop=True), gdf[keep].reset_index(drop=True)
    elif year is not None:
        out["year"] = int(year)
    else:
        msg = (
            f"{label}: no year field (BGNF, JCNF, 年度 …). Give the monitoring year with --year "
            "(Python: year=), or name the field with --year-field."
        )
        raise HygisInputError(msg)
    out["class_before"] = normalise_class(gdf[found["class_before"]].to_numpy())
    out["class_after"] = normalise_class(gdf[found["class_after"]].to_numpy())
    if found["county_code"] is not None:
        out["county_code"] = gdf[found["county_code"]].astype(str).str.strip().str[:6].to_numpy()
    else:
        out["county_code"] = ""
    ids = out["change_id"]
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        warn(
            f"{label}: {dup.nunique()} change id(s) repeat (e.g. {', '.join(sorted(set(dup))[:5])}); rows "
            "are kept as given.",
            notes,
        )
    out = out[["change_id", "year", "class_before", "class_after", "county_code", "geometry"]].to_crs(WGS84)
    out.attrs["hygis_layer"] = {**meta, "source": source, "name": "changes"}
    out.attrs[io.NOTES_ATTR] = notes
    return out


# --------------------------------------------------------------------------- classifying
def classify_changes(
    changes: Any,
    inputs: PlanInputs | None = None,
    *,
    counties: gpd.GeoDataFrame | None = None,
    rules: pd.DataFrame | None = None,
    year: int | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> gpd.GeoDataFrame:
    """Measure each change polygon against the three lines and give it a warning level.

    Parameters
    ----------
    changes : path or GeoDataFrame
        Change polygons; read by :func:`read_changes` unless they already have its columns.
    inputs : PlanInputs, optional
        The plan's layers (:func:`hygis.plan.resolve`); default the embedded ones.
    counties : GeoDataFrame, optional
        County units (``code``, ``name``) for changes without a county code; default the embedded 12.
    rules : DataFrame, optional
        From :func:`load_rules`; default ``data/monitor_rules.csv``.
    year : int, optional
        As for :func:`read_changes`.
    workers : int, optional
        Processes for the overlap engine (default every core; 1 = this process).
    progress : callable, optional
        Receives one line per step.

    Returns
    -------
    GeoDataFrame
        One row per change polygon, columns :data:`COLUMNS` (ellipsoidal areas in hectares, the
        overlaps cut in the plan's CGCS2000 Gauss–Krüger CRS; ``outside_udb_ha`` = the part outside
        the union of the boundary), geometry in WGS 84. ``attrs``: ``illustrative`` (the banner, or
        None), ``area_crs``, ``area_method``, ``notes``, ``rules`` (the table used).
    """
    say = progress or (lambda _m: None)
    inputs = inputs or resolve()
    if not {"change_id", "year", "class_before", "class_after", "county_code"} <= set(
        getattr(changes, "columns", [])
    ):
        changes = read_changes(changes, year=year)
    elif year is not None:
        changes = changes[changes["year"].to_numpy() == int(year)]
    rules = load_rules() if rules is None else rules
    notes = list(changes.attrs.get(io.NOTES_ATTR, [])) + list(inputs.notes)
    crs = inputs.area_crs()
    geoms = changes.geometry.to_crs(crs).to_numpy()
    n = len(geoms)
    result = pd.DataFrame(
        {c: changes[c].to_numpy() for c in ("change_id", "year", "class_before", "class_after")}
    )
    # Official areas are ellipsoidal (椭球面积): the change polygon's own, and its overlaps scaled by the
    # polygon's areal scale (a change polygon is small: the projection's scale is constant over it to ~1e-8).
    planar = shapely.area(geoms)
    ellipsoidal = measure(geoms, crs)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(planar > 0, ellipsoidal / planar, 1.0)
    result["area_ha"] = ellipsoidal / M2_PER_HA
    measured = {}
    for line, gdf in inputs.control_lines().items():
        say(f"overlap of {n:,} change polygons with {line.replace('_', ' ')} ({len(gdf):,} features)")
        layer = disjoint_layer(gdf.geometry.to_crs(crs).to_numpy())
        inside, _ = overlap(geoms, layer, geometry=False, workers=workers)
        measured[line] = inside * scale
    result["redline_ha"] = measured["ecological_redline"] / M2_PER_HA
    result["farmland_ha"] = measured["permanent_farmland"] / M2_PER_HA
    # A change wholly inside the boundary leaves its area minus its overlap: ±1e-12 of rounding, not land.
    outside = result["area_ha"].to_numpy() - measured["urban_development_boundary"] / M2_PER_HA
    result["outside_udb_ha"] = np.where(
        outside > 1e-9 * np.maximum(result["area_ha"].to_numpy(), 1.0), outside, 0.0
    )
    code, name = _counties_of(changes, counties, notes)
    result["county_code"], result["county_name"] = code, name
    result["category_before"] = land_category(result["class_before"])
    result["category_after"] = land_category(result["class_after"])
    unknown = sorted(
        set(
            result.loc[
                result["category_before"].eq("") | result["category_after"].eq(""),
                ["class_before", "class_after"],
            ]
            .to_numpy()
            .ravel()
        )
        - set(result.loc[result["category_before"].ne(""), "class_before"])
        - set(result.loc[result["category_after"].ne(""), "class_after"])
    )
    if unknown:
        warn(
            f"{int((result['category_before'].eq('') | result['category_after'].eq('')).sum())} change(s) "
            f"have a class hygis does not know ({', '.join(map(repr, unknown[:6]))}): no rule reads them. "
            f"Use GB/T 21010-2017 codes, or add the class to {CLASSES_FILE}.",
            notes,
        )
    _apply_rules(result, rules)
    lines_banner = illustrative_banner(inputs)
    changes_status = changes.attrs.get("hygis_layer", {}).get("status", "")
    changes_banner = (
        grading.example_notice("change polygons") if changes_status == grading.ILLUSTRATIVE else None
    )
    banner = grading.banner(lines_banner, changes_banner)
    result["data_status"] = grading.ILLUSTRATIVE if banner else "user data"
    out = gpd.GeoDataFrame(
        result[list(COLUMNS)], geometry=changes.geometry.to_crs(WGS84).to_numpy(), crs=WGS84
    )
    out.attrs.update(
        banner=banner,
        area_crs=describe(crs),
        area_method=describe_area(),
        notes=notes,
        rules=rules,
        changes_source=changes.attrs.get("hygis_layer", {}).get("source", ""),
        provenance={k: dict(v) for k, v in inputs.provenance.items() if k != "projects"},
    )
    return out


def _counties_of(
    changes: gpd.GeoDataFrame, counties: gpd.GeoDataFrame | None, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Each change's county: its own code where given, else the unit holding a point on its surface."""
    units = counties if counties is not None else layers.load("counties")
    names = dict(zip(units["code"].astype(str), units["name"].astype(str)))
    code = changes["county_code"].astype(str).to_numpy().copy()
    missing = ~pd.Series(code).isin(list(names)).to_numpy()
    if missing.any():
        points = shapely.point_on_surface(changes.geometry.to_crs(units.crs).to_numpy()[missing])
        tree = shapely.STRtree(units.geometry.to_numpy())
        hit_point, hit_unit = tree.query(points, predicate="within")
        found = np.full(len(points), "", dtype=object)
        found[hit_point] = units["code"].astype(str).to_numpy()[hit_unit]
        code[missing] = found
        outside = int((found == "").sum())
        if outside and outside == len(changes):
            # A wrong Gauss–Krüger zone or central meridian moves data hundreds of kilometres but keeps it
            # plausible for any coordinate check: only the territory can tell.
            source = changes.attrs.get("hygis_layer", {}).get("source", "the change polygons")
            msg = (
                f"{source}: none of the {outside} change polygons lies in the {len(units)} county units. "
                "Is the CRS right? A wrong Gauss–Krüger zone or central meridian moves data by hundreds "
                "of km: give the right one with --crs (a file whose .prj is wrong: fix the .prj)."
            )
            raise HygisInputError(msg)
        if outside:
            warn(f"{outside} change(s) lie outside the {len(units)} county units: county left empty.", notes)
    return code, np.array([names.get(c, "") for c in code], dtype=object)


def _apply_rules(result: pd.DataFrame, rules: pd.DataFrame) -> None:
    """Set ``level``, ``level_zh``, ``rule``, ``rule_label`` and ``rules`` (every rule matched), in place."""
    words = _category_words()
    levels = grading.load_levels()
    n = len(result)
    best = np.zeros(n, dtype=int)  # rank 0 = none
    rule = np.full(n, "", dtype=object)
    label = np.full(n, "", dtype=object)
    matched = np.full(n, "", dtype=object)
    before, after = result["category_before"].to_numpy(), result["category_after"].to_numpy()
    for r in rules.itertuples():
        cats_b = set().union(*(words[w.strip()] for w in r.before.split(";")))
        cats_a = set().union(*(words[w.strip()] for w in r.after.split(";")))
        hit = np.isin(before, list(cats_b)) & np.isin(after, list(cats_a))
        if r.line:
            # Any overlap at all below the floor is digitising noise along a shared edge.
            hit &= result[LINE_COLUMNS[r.line]].to_numpy() >= max(float(r.min_overlap_ha), 1e-9)
        rank = int(levels.loc[r.level, "rank"])
        better = hit & (rank > best)
        best[better], rule[better], label[better] = rank, r.rule_id, r.label_zh
        matched = np.where(hit, np.where(matched == "", r.rule_id, matched + ";" + r.rule_id), matched)
    by_rank = {int(v): k for k, v in levels["rank"].items()}
    result["level"] = [by_rank[b] for b in best]
    result["level_zh"] = result["level"].map(levels["label_zh"])
    result["rule"], result["rule_label"], result["rules"] = rule, label, matched


# --------------------------------------------------------------------------- writing
def table(result: gpd.GeoDataFrame) -> pd.DataFrame:
    """The per-change table without geometry."""
    return pd.DataFrame(result.drop(columns=result.geometry.name))


def _about(result: gpd.GeoDataFrame, lang: str = "en") -> pd.DataFrame:
    """The 方法与说明 sheet (``item``, ``value``); each input's status and source in ``lang`` (the
    catalog's ``source_zh`` in Chinese, where it has one)."""
    rows = [
        ("illustrative", result.attrs.get("banner") or "no: every input is a user file or official"),
        ("area_crs", result.attrs.get("area_crs", "")),
        ("method", "exact overlap (hygis.engine.overlap), union semantics per control line"),
        ("changes", result.attrs.get("changes_source", "")),
    ]
    rows += [
        (
            f"input: {k}",
            f"{words.value_text(v.get('status', ''), lang)} — "
            + ((v.get("source_zh") if lang == "zh" else None) or v.get("source", "")),
        )
        for k, v in result.attrs.get("provenance", {}).items()
    ]
    rows += [("note", n) for n in result.attrs.get("notes", [])]
    return pd.DataFrame(rows, columns=["item", "value"])


def _rules_sheet(result: gpd.GeoDataFrame) -> pd.DataFrame:
    rules = result.attrs.get("rules")
    return pd.DataFrame(rules if rules is not None else load_rules())


def _per_level_headers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``n_<level>``, ``<level>_ha`` and ``n_<level>_change`` in ``lang``: 图斑数（红）, 面积（红，公顷）…"""
    if lang == "en":
        return frame
    names = {}
    for level, label in grading.load_levels()["label_zh"].items():
        names[f"n_{level}"] = words.text("level_count", lang, level=label)
        names[f"{level}_ha"] = words.text("level_area", lang, level=label)
        names[f"n_{level}_change"] = words.text("level_count_change", lang, level=label)
    return frame.rename(columns=names)


def _rules_for(rules: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rules sheet in ``lang``: the level's own word (红 …) and each category list's words."""
    if lang == "en":
        return rules
    out = rules.copy()
    out.insert(
        list(out.columns).index("level") + 1,
        "level_zh",
        out["level"].map(grading.load_levels()["label_zh"]),
    )
    for side in ("before", "after"):  # "garden;forest;grass;pond" → 园地、林地、草地、坑塘水面
        out[side] = out[side].map(
            lambda v: words.text("list_sep", lang).join(
                str(words.value_text(w.strip(), lang)) for w in str(v).split(";")
            )
        )
    return out


def write_changes(result: gpd.GeoDataFrame, path: str | os.PathLike, *, lang: str = "zh") -> Path:
    """Write the classified changes; the suffix picks the format.

    ``.csv``: one row per change polygon (UTF-8 with BOM; English column names, for scripts;
    ``data_status`` says ``illustrative`` on every row built on illustrative data). ``.xlsx``: a
    notice sheet first when illustrative, then 变化图斑明细, 分县分年度统计, 年度趋势, 预警规则,
    方法与说明, their names and headers (with units: 公顷) and the values a planner reads (预警等级,
    地类大类) in ``lang`` (:mod:`hygis.words`; ``"en"``: the old sheets 图斑 changes, 分县 by county,
    趋势 trend, 规则 rules, 说明 about with English headers). ``.gpkg``: the change polygons with
    their attributes, and the tables (English names). ``.html``: a printable summary.
    """
    target, suffix = io.output_suffix(path, FORMATS, "the change report")
    lang = words.check_lang(lang)
    banner = result.attrs.get("banner")
    if suffix == ".csv":
        return io.write_table(table(result), target)
    if suffix == ".xlsx":
        sheets = {
            "monitor_changes": table(result),
            "changes_by_county": _per_level_headers(by_county(result), lang),
            "changes_trend": _per_level_headers(trend(result), lang),
            "monitor_rules": _rules_for(_rules_sheet(result), lang),
            "monitor_about": _about(result, lang),
        }
        return io.write_table(words.workbook(sheets, "monitor_changes", lang), target, banner=banner)
    if suffix == ".gpkg":
        return io.write_layers(
            {
                "changes": result,
                "by_county": by_county(result),
                "trend": trend(result),
                "about": _about(result),
            },
            target,
        )
    return io.write_text(pages.changes_html(result, _rules_sheet(result)), target)


__all__ = [
    "COLUMNS",
    "FORMATS",
    "LINE_COLUMNS",
    "by_county",
    "classify_changes",
    "land_category",
    "load_field_aliases",
    "load_land_classes",
    "load_rules",
    "normalise_class",
    "read_changes",
    "table",
    "trend",
    "write_changes",
]
