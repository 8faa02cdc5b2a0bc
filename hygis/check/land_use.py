"""The 土地利用现状 table of a 用地预审: the land each project takes, by 三调 class and ownership.

A 用地预审 (land-use pre-examination) states what the project's site is today, from the land
survey's patch layer (三调 ``DLTB``): the area by the three main classes (三大类: 农用地 / 建设用地 /
未利用地) and the first-level classes (一级类) of the 三调 working classification, of which 耕地 and,
within it, 永久基本农田, each split by ownership (权属性质: 国有 / 集体).

How the survey counts, and so how hygis does
--------------------------------------------
* **Classes** from ``DLBM`` (地类编码): ``data/land_use_classes.csv`` gives every code of the 三调
  working classification (TD/T 1055-2019 附录A, with the 湿地 first-level class 00) and of GB/T
  21010-2017, its first-level class and its 三大类 by the standard's 附录A. Codes are read as text
  (``05H1``, ``08H2``); ``101`` read as a number is ``0101``; a suffix the table does not know
  (``1104A`` 养殖坑塘) falls back to its four-digit class.
* **Ownership** from ``QSXZ`` (权属性质, ``data/land_ownership.csv``): 10/20 国有, 30–34/40 集体.
* **Deduction** (扣除): a 耕地 patch's ``TBMJ`` includes its field ridges; the survey deducts
  ``KCMJ = TBMJ × KCXS`` as 田坎 (1203, or the patch's ``KCDLBM``) and gives the class the rest,
  ``TBDLMJ = TBMJ − KCMJ``. hygis does the same with the part of each patch inside the site: its
  ellipsoidal area × (1 − KCXS) to ``DLBM``, × KCXS to ``KCDLBM`` (1203 when the layer has no such
  field). A ``KCXS`` above 1 is read as a percentage (with a warning).
* **永久基本农田 within 耕地**: the 耕地 parts of the site that lie in the permanent farmland layer
  the check used, net of their deduction as above.
* **Areas** are ellipsoidal (椭球面积, :func:`hygis.engine.area.measure`), as the survey's own
  ``TBMJ``; the pieces are cut exactly in the check's area CRS
  (:func:`hygis.engine.regions.split_by_regions`).

A part of a site no patch covers is reported (``uncovered_ha``) and warned about; where patches of
the layer overlap each other (a topology error), the classes add up to more than the site and a
warning says so.
"""

from __future__ import annotations

import re
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis.constants import M2_PER_HA, M2_PER_MU
from hygis.engine.area import ELLIPSOIDAL, measure
from hygis.engine.regions import NOISE_AREA_M2, split_by_regions
from hygis.errors import HygisInputError
from hygis.io.fields import find_field
from hygis.messages import few, warn
from hygis.settings import DATA_DIR

#: The three main classes in the order a 土地利用现状 table lists them.
CATEGORIES = ("agricultural", "construction", "unused")
#: Ownership in the order of the table's columns.
OWNERSHIPS = ("state", "collective")
#: The class a patch's deduction goes to when the layer has no ``KCDLBM``: 1203 田坎.
DEFAULT_DEDUCTION_CLASS = "1203"
#: The first-level class of 耕地, whose area (and 永久基本农田 within it) the table states apart.
CULTIVATED = "01"

#: Columns of the long table (one row per project × class × ownership).
LONG_COLUMNS = (
    "project_id",
    "name",
    "category",
    "category_name",
    "level1_code",
    "level1_name",
    "land_class",
    "land_class_name",
    "ownership",
    "ownership_name",
    "area_ha",
    "area_mu",
    "permanent_farmland_ha",
)


@lru_cache(maxsize=1)
def load_land_use_classes() -> pd.DataFrame:
    """The land-use classes: ``code``, ``name``, ``level1_code``, ``level1_name``, ``category``
    (三大类: agricultural / construction / unused), ``category_name``, ``source``.

    >>> load_land_use_classes().set_index("code").loc["1203", ["name", "category_name"]].tolist()
    ['田坎', '农用地']
    """
    return pd.read_csv(DATA_DIR / "land_use_classes.csv", dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def load_ownership_codes() -> pd.DataFrame:
    """The 权属性质 codes: ``code``, ``name``, ``ownership`` (state / collective), ``ownership_name``."""
    return pd.read_csv(DATA_DIR / "land_ownership.csv", dtype=str, keep_default_na=False)


def class_codes(values) -> np.ndarray:
    """DLBM values as the codes of ``data/land_use_classes.csv`` ("" where none fits).

    >>> class_codes(["0101", 101, "05H1", "1104A", "08h2 科教文卫用地", None, "9999"]).tolist()
    ['0101', '0101', '05H1', '1104', '08H2', '', '']
    """
    known = set(load_land_use_classes()["code"])
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
            continue
        if isinstance(v, (int, float, np.integer, np.floating)):
            text = str(int(v)).zfill(4 if int(v) >= 100 else 2)
        else:
            m = re.match(r"[0-9A-Za-z]+", str(v).strip())
            text = m.group(0).upper() if m else ""
        code = next((c for c in (text, text[:4], text[:2]) if c and c in known), "")
        out.append(code)
    return np.array(out, dtype=object)


def ownership_of(values) -> np.ndarray:
    """QSXZ values as ``state`` / ``collective`` ("" where unknown): by the code table, else by the
    first digit (1, 2: 国有; 3, 4: 集体).

    >>> ownership_of(["10", 20, "30", "32", "40", "", None]).tolist()
    ['state', 'state', 'collective', 'collective', 'collective', '', '']
    """
    table = load_ownership_codes()
    by_code = dict(zip(table["code"], table["ownership"]))
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
            continue
        text = str(int(v)) if isinstance(v, (int, float, np.integer, np.floating)) else str(v).strip()
        found = by_code.get(text) or {"1": "state", "2": "state", "3": "collective", "4": "collective"}.get(
            text[:1], ""
        )
        out.append(found)
    return np.array(out, dtype=object)


def _deduction(layer: gpd.GeoDataFrame, label: str, notes: list[str] | None) -> np.ndarray:
    column = find_field(layer.columns, "deduction_coefficient")
    if column is None:
        warn(
            f"{label}: no KCXS (扣除系数) field: no 田坎 deducted from any patch. A 三调 DLTB layer has one; "
            "check that the right layer was given.",
            notes,
        )
        return np.zeros(len(layer))
    k = pd.to_numeric(layer[column], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    if (k < 0).any() or (k > 100).any():
        bad = np.flatnonzero((k < 0) | (k > 100))
        msg = (
            f"{label}: KCXS (扣除系数) out of range in feature(s) {few((bad + 1).tolist())}: "
            f"{few(k[bad].tolist())}. A deduction coefficient is a share of the patch (0 to 1). "
            "Fix those rows."
        )
        raise HygisInputError(msg)
    if (k > 1).any():
        warn(
            f"{label}: KCXS (扣除系数) above 1 in {int((k > 1).sum())} feature(s): read as percentages "
            "(8 → 0.08).",
            notes,
        )
        k = np.where(k > 1, k / 100.0, k)
    return k


def land_use_table(
    projects: pd.DataFrame,
    sites: np.ndarray,
    layer: gpd.GeoDataFrame,
    area_crs: CRS,
    *,
    farmland: gpd.GeoDataFrame | None = None,
    area: str = ELLIPSOIDAL,
    notes: list[str] | None = None,
    label: str = "land use (三调 DLTB)",
) -> pd.DataFrame:
    """The land each project takes, by class and ownership (the long 土地利用现状 table).

    Parameters
    ----------
    projects : DataFrame
        ``project_id`` and ``name`` of every project, in the order of ``sites``.
    sites : array of geometries
        Each project's site in ``area_crs`` (None where there is none: the project has no rows).
    layer : GeoDataFrame
        The 三调 land-use patches (``DLTB``) with ``DLBM``, and where present ``QSXZ``, ``KCXS`` and
        ``KCDLBM`` (aliases in ``data/field_aliases.csv``); any CRS.
    area_crs : CRS
        The projected CRS the pieces are cut in (the check's).
    farmland : GeoDataFrame, optional
        The permanent basic farmland, for the 永久基本农田 within the 耕地.
    area : {"ellipsoidal", "planar"}
        How the pieces are measured (ellipsoidal, the official 椭球面积, by default).
    notes : list of str, optional
        The check's warnings, to which this adds its own.

    Returns
    -------
    DataFrame
        One row per (project, land class, ownership): :data:`LONG_COLUMNS`, areas in hectares
        and 亩 (``permanent_farmland_ha``: the part of a 耕地 row inside the permanent farmland,
        0 for other classes). ``attrs["sites"]``: per located project ``project_id``, ``name``,
        ``site_ha`` and ``uncovered_ha`` (the part of the site no patch covers).
    """
    if layer.crs is None:
        msg = f"{label}: the layer has no CRS. Give --crs (e.g. EPSG:4525: CGCS2000 3° zone 37 with prefix)."
        raise HygisInputError(msg)
    dlbm = find_field(layer.columns, "land_class")
    if dlbm is None:
        msg = (
            f"{label}: no DLBM (地类编码) field; the layer has {', '.join(map(str, layer.columns[:12]))}. "
            "Give the 三调 地类图斑 layer (DLTB), e.g. 三调.gdb:DLTB."
        )
        raise HygisInputError(msg)
    layer = layer.reset_index(drop=True)
    codes = class_codes(layer[dlbm].tolist())
    unknown = sorted({str(v) for v, c in zip(layer[dlbm].tolist(), codes) if c == ""} - {"None", "nan", ""})
    if unknown:
        warn(
            f"{label}: DLBM code(s) {few(unknown)} are not in the 三调 working classification "
            "(data/land_use_classes.csv): their area is listed as 未识别地类.",
            notes,
        )
    qsxz = find_field(layer.columns, "ownership")
    if qsxz is None:
        warn(f"{label}: no QSXZ (权属性质) field: ownership is listed as 未知.", notes)
        owner = np.full(len(layer), "", dtype=object)
    else:
        owner = ownership_of(layer[qsxz].tolist())
    k = _deduction(layer, label, notes)
    kc_col = find_field(layer.columns, "deduction_class")
    kc_codes = (
        class_codes(layer[kc_col].tolist()) if kc_col is not None else np.full(len(layer), "", dtype=object)
    )
    kc_codes = np.where(kc_codes == "", DEFAULT_DEDUCTION_CLASS, kc_codes)

    sites = np.asarray(sites, dtype=object)
    located = np.flatnonzero(~(shapely.is_missing(sites) | shapely.is_empty(sites)))
    feats = np.asarray(layer.geometry.to_crs(area_crs).values, dtype=object)
    site_m2 = measure(sites[located], area_crs, method=area) if len(located) else np.zeros(0)
    pieces, f, s = (
        split_by_regions(feats, sites[located])
        if len(located) and len(feats)
        else (np.zeros(0, dtype=object), np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    )
    m2 = measure(pieces, area_crs, method=area) if len(pieces) else np.zeros(0)
    keep = m2 > NOISE_AREA_M2
    pieces, f, s, m2 = pieces[keep], f[keep], s[keep], m2[keep]

    # 永久基本农田 within the 耕地 pieces: the piece ∩ the farmland (its features unioned near the piece).
    classes = load_land_use_classes().set_index("code")
    level1 = classes["level1_code"].to_dict()
    in_farm = np.zeros(len(pieces))
    cultivated = np.array([level1.get(c, "") == CULTIVATED for c in codes[f]], dtype=bool)
    if farmland is not None and len(farmland) and cultivated.any():
        farm = np.asarray(farmland.geometry.to_crs(area_crs).values, dtype=object)
        tree = shapely.STRtree(farm)
        for j in np.flatnonzero(cultivated):
            hits = tree.query(pieces[j], predicate="intersects")
            if len(hits):
                part = shapely.intersection(pieces[j], shapely.union_all(farm[hits]))
                in_farm[j] = measure([part], area_crs, method=area)[0]

    # The survey's deduction: the piece's class gets (1 − KCXS), the deduction class KCXS.
    kf = k[f]
    deducted = kf > 0
    rows = pd.DataFrame(
        {
            "site": np.r_[s, s[deducted]],
            "land_class": np.r_[codes[f], kc_codes[f][deducted]],
            "ownership": np.r_[owner[f], owner[f][deducted]],
            "m2": np.r_[m2 * (1 - kf), (m2 * kf)[deducted]],
            "farm_m2": np.r_[in_farm * (1 - kf), np.zeros(int(deducted.sum()))],
        }
    )
    grouped = rows.groupby(["site", "land_class", "ownership"], sort=False, as_index=False)[
        ["m2", "farm_m2"]
    ].sum()
    out = _long_frame(grouped, projects, located)
    covered = np.bincount(s, weights=m2, minlength=len(located))
    uncovered = np.clip(site_m2 - covered, 0.0, None)
    over = covered > site_m2 * (1 + 1e-6) + 1.0
    if over.any():
        ids = projects["project_id"].to_numpy()[located[over]]
        warn(
            f"{label}: patches of the layer overlap each other inside the site of {few(ids.tolist())}: "
            "the classes add up to more than the site. Run `hygis qa` on the layer.",
            notes,
        )
    gap = uncovered > np.maximum(1.0, site_m2 * 1e-4)
    if gap.any():
        ids = projects["project_id"].to_numpy()[located[gap]]
        warn(
            f"{label}: part of the site of {few(ids.tolist())} is covered by no patch of the layer "
            "(listed as uncovered_ha): is the layer the whole area, in the right CRS?",
            notes,
        )
    out.attrs["sites"] = pd.DataFrame(
        {
            "project_id": projects["project_id"].to_numpy()[located],
            "name": projects["name"].astype(str).to_numpy()[located],
            "site_ha": site_m2 / M2_PER_HA,
            "uncovered_ha": uncovered / M2_PER_HA,
        }
    )
    return out


def _long_frame(grouped: pd.DataFrame, projects: pd.DataFrame, located: np.ndarray) -> pd.DataFrame:
    classes = load_land_use_classes().set_index("code")
    owners = load_ownership_codes().drop_duplicates("ownership").set_index("ownership")["ownership_name"]
    code = grouped["land_class"].to_numpy(dtype=object)
    known = np.isin(code, classes.index)

    def look(column: str, missing: str) -> np.ndarray:
        values = classes[column].reindex(code).to_numpy(dtype=object)
        return np.where(known, values, missing)

    site = located[grouped["site"].to_numpy(dtype=int)]
    own = grouped["ownership"].to_numpy(dtype=object)
    out = pd.DataFrame(
        {
            "project_id": projects["project_id"].to_numpy()[site],
            "name": projects["name"].astype(str).to_numpy()[site],
            "category": look("category", "unknown"),
            "category_name": look("category_name", "未识别地类"),
            "level1_code": look("level1_code", ""),
            "level1_name": look("level1_name", "未识别地类"),
            "land_class": code,
            "land_class_name": look("name", "未识别地类"),
            "ownership": np.where(own == "", "unknown", own),
            "ownership_name": [owners.get(o, "未知") for o in own],
            "area_ha": grouped["m2"].to_numpy() / M2_PER_HA,
            "area_mu": grouped["m2"].to_numpy() / M2_PER_MU,
            "permanent_farmland_ha": grouped["farm_m2"].to_numpy() / M2_PER_HA,
        },
        columns=list(LONG_COLUMNS),
    )
    rank = {c: i for i, c in enumerate((*CATEGORIES, "unknown"))}
    order = np.lexsort(
        (
            out["ownership"].map({"state": 0, "collective": 1}).fillna(2).to_numpy(),
            out["land_class"].to_numpy(dtype=str),
            out["level1_code"].to_numpy(dtype=str),
            out["category"].map(rank).to_numpy(),
            site,
        )
    )
    return out.iloc[order].reset_index(drop=True)


#: Columns of the per-project summary (:func:`land_use_summary`).
SUMMARY_COLUMNS = (
    "project_id",
    "name",
    "site_ha",
    "total_ha",
    "total_mu",
    "state_ha",
    "collective_ha",
    "agricultural_ha",
    "cultivated_ha",
    "permanent_farmland_ha",
    "construction_ha",
    "unused_ha",
    "unknown_class_ha",
    "uncovered_ha",
)


def land_use_summary(long: pd.DataFrame) -> pd.DataFrame:
    """One row per located project: the total, by ownership, by 三大类, 耕地 and 永久基本农田 (ha).

    ``long`` is :func:`land_use_table`'s result; projects whose site no patch covers have zeros.
    """
    sites = long.attrs.get("sites")
    if sites is None:
        sites = long.drop_duplicates("project_id")[["project_id", "name"]].assign(
            site_ha=np.nan, uncovered_ha=np.nan
        )
    by = long.groupby("project_id", sort=False)

    def total(mask: pd.Series, column: str = "area_ha") -> pd.Series:
        return long[column].where(mask, 0.0).groupby(long["project_id"], sort=False).sum()

    out = sites[["project_id", "name", "site_ha"]].set_index("project_id")
    out["total_ha"] = by["area_ha"].sum()
    out["total_mu"] = by["area_mu"].sum()
    for own in OWNERSHIPS:
        out[f"{own}_ha"] = total(long["ownership"] == own)
    out["agricultural_ha"] = total(long["category"] == "agricultural")
    out["cultivated_ha"] = total(long["level1_code"] == CULTIVATED)
    out["permanent_farmland_ha"] = total(long["level1_code"] == CULTIVATED, "permanent_farmland_ha")
    out["construction_ha"] = total(long["category"] == "construction")
    out["unused_ha"] = total(long["category"] == "unused")
    out["unknown_class_ha"] = total(long["category"] == "unknown")
    out["uncovered_ha"] = sites.set_index("project_id")["uncovered_ha"]
    return out.fillna({c: 0.0 for c in SUMMARY_COLUMNS[3:-1]}).reset_index()[list(SUMMARY_COLUMNS)]


def project_table(long: pd.DataFrame, project_id: object) -> pd.DataFrame:
    """The 土地利用现状 table of one project as a bureau lays it out.

    Rows: 合计, then each 三大类 with its first-level classes beneath (耕地 followed by 其中：永久基本农田);
    columns ``label`` (Chinese), ``level`` (0 total, 1 三大类, 2 一级类, 3 within), ``total_ha``,
    ``state_ha``, ``collective_ha``, ``total_mu``.
    """
    sub = long[long["project_id"] == project_id]

    def row(label: str, level: int, mask: pd.Series, column: str = "area_ha") -> dict:
        values = sub[column].where(mask, 0.0)
        return {
            "label": label,
            "level": level,
            "total_ha": float(values.sum()),
            "state_ha": float(values.where(sub["ownership"] == "state", 0.0).sum()),
            "collective_ha": float(values.where(sub["ownership"] == "collective", 0.0).sum()),
            "total_mu": float(values.sum() * M2_PER_HA / M2_PER_MU),
        }

    rows = [row("合计", 0, sub["area_ha"] == sub["area_ha"])]
    names = {
        "agricultural": "农用地",
        "construction": "建设用地",
        "unused": "未利用地",
        "unknown": "未识别地类",
    }
    for cat in (*CATEGORIES, "unknown"):
        in_cat = sub["category"] == cat
        if cat == "unknown" and not in_cat.any():
            continue
        rows.append(row(names[cat], 1, in_cat))
        for (code, l1name), _ in sub[in_cat].groupby(["level1_code", "level1_name"], sort=True):
            if not code:
                continue
            mask = in_cat & (sub["level1_code"] == code)
            rows.append(row(f"{l1name}（{code}）", 2, mask))
            if code == CULTIVATED:
                rows.append(row("其中：永久基本农田", 3, mask, "permanent_farmland_ha"))
    return pd.DataFrame(rows)


__all__ = [
    "CATEGORIES",
    "LONG_COLUMNS",
    "SUMMARY_COLUMNS",
    "class_codes",
    "land_use_summary",
    "land_use_table",
    "load_land_use_classes",
    "load_ownership_codes",
    "ownership_of",
    "project_table",
]
