"""The figures a 用地预审 (land-use pre-examination) or a 补划方案 asks of a check.

For every project that touches the permanent basic farmland or the ecological red line:

* **by county** (县级行政区): the overlap split among the county units it falls in — re-designation
  (补划) is organised per county. The units are the embedded county layer or a user's XZQ layer
  (``XZQDM``/``XZQMC`` or ``code``/``name``, aliases in ``data/field_aliases.csv``);
* **the patches touched**: how many features (图斑) of the line the site takes
  (``overlap_patches``) and, where the layer carries the survey attributes, the area by land class
  from ``DLBM`` (水田 0101 → ``overlap_paddy_ha``, 水浇地 0102 → ``overlap_irrigated_ha``, 旱地 0103 →
  ``overlap_dry_ha``; GB/T 21010-2007 codes 011–013 too; ``data/farmland_classes.csv``) and the
  area-weighted mean quality grade from ``ZLDJ``/质量等别 (``overlap_grade_mean``). A layer without
  these attributes gives empty columns, not an error;
* **the patch list** (``farmland_detail``): each touched patch with its id, its survey attributes,
  its county and the overlapped area — the list a 补划方案 starts from.

The pieces are cut exactly in the check's area CRS (:func:`hygis.engine.regions.split_by_regions`)
and measured like every other figure of the check (:func:`hygis.engine.area.measure`). Patches are
taken one by one: where two features of a layer overlap each other (a duplicated 图斑, a topology
error the QA reports), the shared ground goes to the first of them (by row), so that a piece of land
is counted once — in ``overlap_patches``, in the patch list and by county — and the patch areas add
up to ``overlap_ha``; an exact duplicate is not listed, nor a near duplicate (its outline a few mm
off), whose sliver of ground joins the first copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis.constants import CONTROL_LINE_ZH, M2_PER_HA, M2_PER_MU
from hygis.engine.area import ELLIPSOIDAL, measure
from hygis.engine.regions import NOISE_AREA_M2, split_by_regions
from hygis.errors import HygisInputError
from hygis.geometry import polygonal
from hygis.io.fields import find_field, survey_attributes
from hygis.plan import layers
from hygis.settings import DATA_DIR

#: The lines a 用地预审 itemises (the development boundary is judged, not itemised).
ITEMISED_LINES = ("ecological_redline", "permanent_farmland")

#: Columns the check's rows gain (NaN where the line is not itemised or the project does not touch it).
FIGURE_COLUMNS = (
    "overlap_patches",
    "overlap_paddy_ha",
    "overlap_irrigated_ha",
    "overlap_dry_ha",
    "overlap_grade_mean",
)


@lru_cache(maxsize=1)
def load_farmland_classes() -> pd.DataFrame:
    """GB/T 21010 codes of cultivated land and the column each adds to (``data/farmland_classes.csv``)."""
    return pd.read_csv(DATA_DIR / "farmland_classes.csv", dtype=str, keep_default_na=False)


def county_units(counties: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The county-level units to split by, with ``code`` and ``name``: the embedded 12, or a user's XZQ layer.

    A user's layer is recognised by its fields (``XZQDM``/行政区代码/``code`` and ``XZQMC``/行政区名称/
    ``name``, see ``data/field_aliases.csv``).
    """
    if counties is None:
        return layers.load("counties")[["code", "name", "geometry"]]
    code, name = find_field(counties.columns, "county_code"), find_field(counties.columns, "county_name")
    if code is None and name is None:
        msg = (
            "county units: no code or name column (XZQDM/行政区代码/code, XZQMC/行政区名称/name); "
            f"the layer has {', '.join(map(str, counties.columns))}. Rename one."
        )
        raise HygisInputError(msg)
    if counties.crs is None:
        msg = "county units: the layer has no CRS. Set one (e.g. EPSG:4490)."
        raise HygisInputError(msg)
    out = gpd.GeoDataFrame(
        {
            "code": counties[code].astype(str).to_numpy() if code else counties[name].astype(str).to_numpy(),
            "name": counties[name].astype(str).to_numpy() if name else counties[code].astype(str).to_numpy(),
        },
        geometry=counties.geometry.to_numpy(),
        crs=counties.crs,
    )
    return out


@dataclass
class PreAudit:
    """The 用地预审 figures of one control line (see the module's description).

    Attributes
    ----------
    per_site : DataFrame
        One row per project (in the check's order), the :data:`FIGURE_COLUMNS`.
    by_county : GeoDataFrame
        One row per (project, county) with an overlap: ``project_id``, ``name``, ``control_line``,
        ``control_line_zh``, ``county_code``, ``county_name``, ``overlap_ha``, ``overlap_mu`` and the
        figure columns; geometry the part in that county (area CRS).
    detail : GeoDataFrame
        One row per (project, touched patch): ``project_id``, ``name``, ``control_line``, ``patch``
        (the feature's row in the layer, from 1), ``patch_id``, ``land_class``, ``land_class_name``,
        ``quality_grade``, ``official_area`` (the layer's own fields, where it has them),
        ``county_code``, ``county_name`` (the unit holding most of the piece), ``overlap_ha``,
        ``overlap_mu``; geometry the overlapped piece (area CRS).
    """

    per_site: pd.DataFrame
    by_county: gpd.GeoDataFrame
    detail: gpd.GeoDataFrame


def _empty_per_site(n: int) -> pd.DataFrame:
    return pd.DataFrame({c: np.full(n, np.nan) for c in FIGURE_COLUMNS})


def preaudit_line(
    projects: pd.DataFrame,
    sites: np.ndarray,
    touched: np.ndarray,
    line: str,
    layer: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    area_crs: CRS,
    *,
    area: str = ELLIPSOIDAL,
    shared_ground: bool = True,
) -> PreAudit:
    """The 用地预审 figures of the projects that touch one control line.

    Parameters
    ----------
    projects : DataFrame
        ``project_id`` and ``name`` of every project, in the check's order.
    sites : array of geometries
        Each project's site in ``area_crs`` (None where there is none).
    touched : array of bool
        The projects the check found overlapping the line (only those are itemised; the other
        located projects get 0 patches and 0 ha, projects without a site NaN).
    line : str
        The control line's name.
    layer : GeoDataFrame
        The line's features with their attributes (any CRS).
    counties : GeoDataFrame
        From :func:`county_units`.
    area_crs : CRS
        The check's area CRS, where the pieces are cut.
    area : {"ellipsoidal", "planar"}
        How the pieces are measured (planar: in ``area_crs``), as the check's other figures.
    shared_ground : bool
        Whether features of the layer may overlap each other (False when the engine found none:
        the pieces are then not tested against each other).
    """
    n = len(projects)
    per_site = _empty_per_site(n)
    located = ~(shapely.is_missing(sites) | shapely.is_empty(sites))
    has_classes = find_field(layer.columns, "land_class") is not None
    per_site.loc[located, "overlap_patches"] = 0.0
    for column in dict.fromkeys(load_farmland_classes()["column"]):
        per_site.loc[located & has_classes, column] = 0.0
    idx = np.flatnonzero(np.asarray(touched, dtype=bool) & located)
    feats = np.asarray(layer.geometry.to_crs(area_crs).values, dtype=object)
    if len(idx) == 0 or len(feats) == 0:
        return PreAudit(per_site, _empty_county(area_crs), _empty_detail(area_crs))
    # The patches split by the sites (few regions, many patches: the regions' loop stays short).
    pieces, f, k = split_by_regions(feats, sites[idx])
    m2 = measure(pieces, area_crs, method=area) if len(pieces) else np.zeros(0)
    # A patch sharing only an edge with the site (after reprojection, a ~1e-6 m² sliver) is not touched.
    keep = m2 > NOISE_AREA_M2
    pieces, site, f, m2 = pieces[keep], idx[k[keep]], f[keep], m2[keep]
    # Ground two features share (a duplicated 图斑, an overlap the QA reports) is one piece of land:
    # it goes to the first of them, so that it is counted once in the patches and the areas.
    if shared_ground:
        pieces, m2, keep = _claim_once(pieces, site, f, m2, area_crs, area)
        pieces, site, f, m2 = pieces[keep], site[keep], f[keep], m2[keep]

    # The survey attributes, where the layer has them.
    cls_col = find_field(layer.columns, "land_class")
    id_col = find_field(layer.columns, "patch_id")
    area_col = find_field(layer.columns, "official_area")
    attrs = survey_attributes(layer)
    codes = attrs.get("land_class", np.full(len(layer), ""))
    grade = attrs.get("quality_grade", np.full(len(layer), np.nan))
    classes = load_farmland_classes()
    column_of = dict(zip(classes["code"], classes["column"]))
    name_of = dict(zip(classes["code"], classes["name"]))

    # Per project.
    piece_col = np.array([column_of.get(c, "") for c in codes[f]], dtype=object)
    itemised = np.isin(np.arange(n), idx)
    per_site = _site_figures(per_site, itemised, site, f, piece_col, grade[f], m2, bool(cls_col))
    g = grade[f]

    # By county: the pieces split again by the units.
    units = np.asarray(counties.geometry.to_crs(area_crs).values, dtype=object)
    cpieces, p, u = split_by_regions(pieces, units)
    cm2 = measure(cpieces, area_crs, method=area) if len(cpieces) else np.zeros(0)
    ok = cm2 > NOISE_AREA_M2
    cpieces, p, u, cm2 = cpieces[ok], p[ok], u[ok], cm2[ok]
    c_site, c_feat = site[p], f[p]
    c_col = piece_col[p]
    frame = pd.DataFrame({"site": c_site, "unit": u, "m2": cm2})
    for column in dict.fromkeys(classes["column"]):
        frame[column] = np.where(c_col == column, cm2, 0.0) / M2_PER_HA
    cg = grade[c_feat]
    frame["_gw"] = np.where(np.isfinite(cg), cm2 * np.nan_to_num(cg), 0.0)
    frame["_w"] = np.where(np.isfinite(cg), cm2, 0.0)
    frame["_patch"] = c_feat
    grouped = frame.groupby(["site", "unit"], sort=True)
    agg = grouped.agg(
        m2=("m2", "sum"),
        overlap_patches=("_patch", "nunique"),
        **{c: (c, "sum") for c in dict.fromkeys(classes["column"])},
        _gw=("_gw", "sum"),
        _w=("_w", "sum"),
    ).reset_index()
    # The part of each (project, county) as one MultiPolygon of its pieces.
    parts, owner = shapely.get_parts(cpieces, return_index=True)
    poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    geoms = np.full(len(agg), None, dtype=object)
    if poly.any():
        row = pd.MultiIndex.from_arrays([agg.site, agg.unit]).get_indexer(
            pd.MultiIndex.from_arrays([c_site[owner[poly]], u[owner[poly]]])
        )
        order = np.argsort(row, kind="stable")
        rows, inv = np.unique(row[order], return_inverse=True)
        geoms[rows] = shapely.multipolygons(parts[poly][order], indices=inv)
    with np.errstate(invalid="ignore", divide="ignore"):
        grade_mean = np.where(agg["_w"] > 0, agg["_gw"] / agg["_w"], np.nan)
    by_county = gpd.GeoDataFrame(
        {
            "project_id": projects["project_id"].to_numpy()[agg.site],
            "name": projects["name"].astype(str).to_numpy()[agg.site],
            "control_line": line,
            "control_line_zh": CONTROL_LINE_ZH[line],
            "county_code": counties["code"].astype(str).to_numpy()[agg.unit],
            "county_name": counties["name"].astype(str).to_numpy()[agg.unit],
            "overlap_ha": agg["m2"].to_numpy() / M2_PER_HA,
            "overlap_mu": agg["m2"].to_numpy() / M2_PER_MU,
            "overlap_patches": agg["overlap_patches"].to_numpy(),
            **{
                c: (agg[c].to_numpy() if cls_col else np.full(len(agg), np.nan))
                for c in dict.fromkeys(classes["column"])
            },
            "overlap_grade_mean": grade_mean,
        },
        geometry=geoms,
        crs=area_crs,
    )

    # The patch list: one row per (project, patch), in the county holding most of the piece.
    main_unit = np.full(len(pieces), -1)
    if len(p):
        order = np.lexsort((-cm2, p))
        first = order[np.r_[True, p[order][1:] != p[order][:-1]]]
        main_unit[p[first]] = u[first]
    attr = layer.reset_index(drop=True)
    unit_code = counties["code"].astype(str).to_numpy(dtype=object)
    unit_name = counties["name"].astype(str).to_numpy(dtype=object)
    detail = gpd.GeoDataFrame(
        {
            "project_id": projects["project_id"].to_numpy()[site],
            "name": projects["name"].astype(str).to_numpy()[site],
            "control_line": line,
            "patch": f + 1,
            "patch_id": attr[id_col].astype(str).to_numpy()[f] if id_col else np.full(len(f), None),
            "land_class": codes[f] if cls_col else np.full(len(f), None),
            "land_class_name": pd.Series(codes[f]).map(name_of).to_numpy()
            if cls_col
            else np.full(len(f), None),
            "quality_grade": g,
            "official_area": attr[area_col].to_numpy()[f] if area_col else np.full(len(f), None),
            "county_code": np.where(main_unit >= 0, unit_code[main_unit], None),
            "county_name": np.where(main_unit >= 0, unit_name[main_unit], None),
            "overlap_ha": m2 / M2_PER_HA,
            "overlap_mu": m2 / M2_PER_MU,
        },
        geometry=_multipolygons(pieces),
        crs=area_crs,
    )
    return PreAudit(per_site, by_county, detail)


#: A piece of a patch narrower than this on average (m; twice its area over its perimeter) left
#: where an earlier patch covers the rest is a near duplicate's sliver, not a patch of its own.
SLIVER_WIDTH_M = 0.01


def _claim_once(
    pieces: np.ndarray, site: np.ndarray, feat: np.ndarray, m2: np.ndarray, area_crs: CRS, area: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of one site made interior-disjoint: where two overlap, the later feature (by row)
    keeps only what the earlier ones do not cover.

    Returns the pieces, their areas (m², measured again where cut) and which are kept (those with
    more than :data:`hygis.engine.regions.NOISE_AREA_M2` left: an exact duplicate keeps nothing; a
    near duplicate's sliver, narrower than :data:`SLIVER_WIDTH_M`, joins the first patch's piece).
    """
    keep = np.ones(len(pieces), bool)
    if len(pieces) < 2:
        return pieces, m2, keep
    left, right = shapely.STRtree(pieces).query(pieces)
    # The same site, ``left`` the earlier feature (its row is lower: it keeps the shared ground).
    earlier = (feat[left] < feat[right]) | ((feat[left] == feat[right]) & (left < right))
    pair = (site[left] == site[right]) & earlier
    left, right = left[pair], right[pair]
    if not len(left):
        return pieces, m2, keep
    shared = shapely.relate_pattern(pieces[left], pieces[right], "T********")
    left, right = left[shared], right[shared]
    if not len(left):
        return pieces, m2, keep
    pieces, m2 = pieces.copy(), m2.copy()
    order = np.lexsort((feat[left], right))  # per cut piece, the earliest feature first
    left, right = left[order], right[order]
    cut, first = np.unique(right, return_index=True)
    taken = [shapely.union_all(pieces[group]) for group in np.split(left, first[1:])]
    pieces[cut] = polygonal(shapely.difference(pieces[cut], np.array(taken, dtype=object)))
    m2[cut] = measure(pieces[cut], area_crs, method=area)
    keep[cut] = m2[cut] > NOISE_AREA_M2
    # A near duplicate (the same patch digitised again, its outline a few mm off) leaves a sliver
    # narrower than SLIVER_WIDTH_M: ground still (the union holds it), not a patch of its own. It
    # goes to the first patch it overlapped, unless that one kept nothing itself.
    with np.errstate(invalid="ignore", divide="ignore"):
        width = 2 * shapely.area(pieces[cut]) / shapely.length(pieces[cut])
    owner = left[first]  # the earliest piece each cut piece overlapped
    sliver = keep[cut] & (width < SLIVER_WIDTH_M)
    for c, o in zip(cut[sliver].tolist(), owner[sliver].tolist()):
        if keep[o] and not shapely.is_empty(pieces[o]):
            pieces[o] = polygonal([shapely.union(pieces[o], pieces[c])])[0]
            m2[o] = measure(np.array([pieces[o]], dtype=object), area_crs, method=area)[0]
            keep[c] = False
    return pieces, m2, keep


def _site_figures(
    per_site: pd.DataFrame,
    itemised: np.ndarray,
    site: np.ndarray,
    patch: np.ndarray,
    piece_col: np.ndarray,
    grade: np.ndarray,
    m2: np.ndarray,
    has_classes: bool,
    distinct: bool = False,
) -> pd.DataFrame:
    """The figure columns of the itemised sites from their pieces (one per site × patch part).

    ``piece_col`` is the figure column each piece's land class adds to ("" for none), ``grade``
    its patch's quality grade (NaN where none), ``m2`` its area; ``distinct``: one piece per
    (site, patch) already (the engine's pairs), so patches are counted without sorting.
    """
    n = len(per_site)
    if not distinct and len(site):
        site_of_pair = np.unique(np.stack([site, patch], axis=1), axis=0)[:, 0]
    else:
        site_of_pair = site
    count = np.bincount(site_of_pair, minlength=n).astype(float)
    per_site["overlap_patches"] = np.where(itemised, count, per_site["overlap_patches"])
    for column in dict.fromkeys(load_farmland_classes()["column"]):
        sums = np.bincount(site, weights=np.where(piece_col == column, m2, 0.0), minlength=n) / M2_PER_HA
        per_site[column] = np.where(itemised & has_classes, sums, per_site[column])
    graded = np.isfinite(grade)
    wsum = np.bincount(site[graded], weights=m2[graded] * grade[graded], minlength=n)
    wtot = np.bincount(site[graded], weights=m2[graded], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_site["overlap_grade_mean"] = np.where(wtot > 0, wsum / wtot, np.nan)
    return per_site


def preaudit_figures(
    sites: np.ndarray,
    touched: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    source_row: np.ndarray,
    attributes: dict[str, np.ndarray],
) -> pd.DataFrame | None:
    """The per-project 用地预审 figures (:data:`FIGURE_COLUMNS`) from the engine's (site, feature) areas.

    The same figures as :func:`preaudit_line`'s ``per_site``, without cutting a polygon: the check's
    engine already measured every (site, patch) overlap (:attr:`hygis.engine.overlap.Result.pairs`).

    Parameters
    ----------
    sites : array of geometries
        Each project's site (None where there is none).
    touched : array of bool
        The projects the check found overlapping the line.
    pairs : (site, feature, m²)
        Every (site, feature) overlap the engine measured.
    source_row : array of int
        Each engine feature's row in the layer (−1 for merged overlapping features).
    attributes : dict
        Per row of the layer, ``land_class`` and ``quality_grade`` where it has them
        (:func:`hygis.io.fields.survey_attributes`).

    Returns
    -------
    DataFrame or None
        None when a touched feature is a merged group of overlapping patches: they are itemised one
        by one, which only :func:`preaudit_line` does.
    """
    n = len(sites)
    located = ~(shapely.is_missing(sites) | shapely.is_empty(sites))
    itemised = np.asarray(touched, dtype=bool) & located
    site, feat, m2 = pairs
    keep = itemised[site] & (m2 > NOISE_AREA_M2)
    site, feat, m2 = site[keep], feat[keep], m2[keep]
    rows = np.asarray(source_row)[feat]
    if (rows < 0).any():
        return None
    classes = load_farmland_classes()
    has_classes = "land_class" in attributes
    per_site = _empty_per_site(n)
    per_site.loc[located, "overlap_patches"] = 0.0
    for column in dict.fromkeys(classes["column"]):
        per_site.loc[located & has_classes, column] = 0.0
    column_of = dict(zip(classes["code"], classes["column"]))
    codes = attributes["land_class"][rows] if has_classes else np.full(len(rows), "")
    piece_col = np.array([column_of.get(c, "") for c in codes.tolist()], dtype=object)
    grade = attributes["quality_grade"][rows] if "quality_grade" in attributes else np.full(len(rows), np.nan)
    # A large feature is measured in pieces (one row each): then (site, row) repeats.
    rows_all = np.asarray(source_row)
    distinct = not len(rows_all) or int(np.bincount(rows_all - rows_all.min()).max()) <= 1
    return _site_figures(per_site, itemised, site, rows, piece_col, grade, m2, has_classes, distinct=distinct)


def _multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Each geometry's polygons as one MultiPolygon (one geometry type per layer, as a GeoPackage wants)."""
    out = np.full(len(geoms), None, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    if poly.any():
        rows, inv = np.unique(owner[poly], return_inverse=True)
        out[rows] = shapely.multipolygons(parts[poly], indices=inv)
    return out


def _empty_county(crs) -> gpd.GeoDataFrame:
    cols = ["project_id", "name", "control_line", "control_line_zh", "county_code", "county_name"]
    cols += ["overlap_ha", "overlap_mu", *FIGURE_COLUMNS]
    return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)


def _empty_detail(crs) -> gpd.GeoDataFrame:
    cols = ["project_id", "name", "control_line", "patch", "patch_id", "land_class", "land_class_name"]
    cols += ["quality_grade", "official_area", "county_code", "county_name", "overlap_ha", "overlap_mu"]
    return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)


__all__ = [
    "FIGURE_COLUMNS",
    "ITEMISED_LINES",
    "PreAudit",
    "county_units",
    "load_farmland_classes",
    "preaudit_figures",
    "preaudit_line",
    "survey_attributes",
]
