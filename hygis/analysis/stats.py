"""Control-line statistics by county (三条控制线面积统计).

For each county-level unit and for the whole city: the area of each control line in
hectares (公顷), 亩 and km², and its share of the unit's land. Areas are ellipsoidal (椭球面积,
:mod:`hygis.engine.area`; planar on request), of pieces cut exactly in the CGCS2000 Gauss–Krüger
CRS that :func:`hygis.crs.area_crs_for` picks for the data (for Hengyang EPSG:4546), with union
semantics: where features of one line overlap each other,
the overlap counts once. A feature spanning two units is split at their border.

>>> from hygis.analysis import stats
>>> table = stats.control_line_stats()              # the embedded (illustrative) lines
>>> wide = stats.wide(table)                        # one row per unit, planners' layout
>>> len(wide)                                       # 12 county units and the city
13
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from hygis import io, words
from hygis.constants import CONTROL_LINE_ZH, M2_PER_HA, M2_PER_MU
from hygis.crs import describe
from hygis.engine.area import ELLIPSOIDAL, PLANAR, measure
from hygis.engine.area import describe as describe_area
from hygis.engine.regions import split_by_regions, union_area_by_group
from hygis.messages import warn
from hygis.plan import layers, resolve
from hygis.plan.inputs import PlanInputs, illustrative_banner

M2_PER_KM2 = 1_000_000.0


def load_counties(counties: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The county-level units: the embedded layer, or a user's frame.

    A user's frame is checked for ``code``, ``name`` and a CRS.
    """
    return layers.load_or_check("counties", counties, ("code", "name"), "the county layer")


def city_code_and_name(counties: gpd.GeoDataFrame) -> tuple[str, str]:
    """The city's row label: the prefecture code shared by the county codes (GB/T 2260), and 全市."""
    codes = counties["code"].astype(str)
    prefix = codes.str[:4]
    code = f"{prefix.iloc[0]}00" if prefix.nunique() == 1 and codes.str.len().eq(6).all() else "city"
    return code, "全市 (city total)"


def unit_areas(
    counties: gpd.GeoDataFrame, crs, *, area: str = ELLIPSOIDAL
) -> tuple[np.ndarray, float, np.ndarray, shapely.Geometry]:
    """Land area (m²) of each unit and of the city (the union of the units), geometries in ``crs``.

    Areas are ellipsoidal (:func:`hygis.engine.area.measure`), or planar in ``crs`` with
    ``area="planar"``.

    Returns
    -------
    (unit areas, city area, unit geometries in crs, city geometry in crs)
    """
    geoms = counties.geometry.to_crs(crs).to_numpy()
    city = shapely.union_all(geoms)
    return measure(geoms, crs, method=area), float(measure([city], crs, method=area)[0]), geoms, city


def control_line_stats(
    inputs: PlanInputs | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    area: str = ELLIPSOIDAL,
    planar_crs=None,
) -> pd.DataFrame:
    """Area of each control line in each county-level unit and in the whole city.

    Parameters
    ----------
    inputs : PlanInputs, optional
        The plan's layers (:func:`hygis.plan.inputs`); default the embedded ones.
    counties : GeoDataFrame, optional
        Units with ``code`` and ``name``; default the embedded 12 units.
    area : {"ellipsoidal", "planar"}
        Ellipsoidal areas (椭球面积, as the official figures; the default) or planar ones.
    planar_crs : CRS, optional
        For planar areas: the Gauss–Krüger zone to compute and measure in (default the plan's).

    Returns
    -------
    pandas.DataFrame
        One row per unit and line, then the city rows (``level`` = ``county`` / ``city``):
        ``code``, ``name``, ``line``, ``line_zh``, ``area_ha``, ``area_mu``, ``area_km2``,
        ``land_area_km2`` (the unit's area), ``share_pct`` (per cent of the unit's land),
        ``features`` (features with a part in the unit), ``status`` (of the line's layer)
        and ``crs``; ``attrs["area_method"]`` says how areas were measured. The city rows are
        computed independently, as the union of each line
        clipped to the union of the units, so they check the sum of the unit rows. Each
        line's area outside all units is not counted and is said in ``attrs["notes"]``.
        ``attrs`` also holds ``crs`` and ``banner`` (the illustrative-data warning, or None).
    """
    inputs = inputs or resolve()
    counties = load_counties(counties)
    lines = inputs.control_lines()
    crs = CRS(planar_crs) if area == PLANAR and planar_crs is not None else inputs.area_crs(counties)
    crs_text = describe(crs)
    method = describe_area(area, crs if area == PLANAR else None)

    def area_of(geoms: np.ndarray) -> np.ndarray:
        return measure(geoms, crs, method=area)

    land, city_land, zones, city = unit_areas(counties, crs, area=area)
    n = len(counties)
    city_code, city_name = city_code_and_name(counties)
    rows: list[dict] = []
    notes = list(inputs.notes)
    for line, gdf in lines.items():
        geoms = gdf.geometry.to_crs(crs).to_numpy()
        pieces, owner, zone = split_by_regions(geoms, zones)
        by_unit = union_area_by_group(pieces, zone, n, area_of=area_of)
        features = np.bincount(zone, minlength=n)
        # The line clipped to the union of the units is the union of its pieces in the units; measured
        # with union semantics across units, so units that overlap one another would show as a
        # difference between the city row and the sum of the unit rows.
        city_area = union_area_by_group(pieces, np.zeros(len(pieces), dtype=np.int64), 1, area_of=area_of)[0]
        status = inputs.provenance.get(line, {}).get("status", "")
        inside_by_feature = np.bincount(owner, weights=area_of(pieces), minlength=len(geoms))
        outside = float(np.clip(area_of(geoms) - inside_by_feature, 0, None).sum())
        if outside > 0.005 * M2_PER_HA:
            warn(
                f"{CONTROL_LINE_ZH[line]} ({line}): {outside / M2_PER_HA:,.2f} ha of its features "
                "lie outside the county units and are not counted in any row.",
                notes,
            )
        for k in range(n):
            rows.append(
                _row(
                    "county",
                    counties["code"].iloc[k],
                    counties["name"].iloc[k],
                    line,
                    by_unit[k],
                    land[k],
                    int(features[k]),
                    status,
                    crs_text,
                )
            )
        rows.append(
            _row(
                "city",
                city_code,
                city_name,
                line,
                city_area,
                city_land,
                len(np.unique(owner)),
                status,
                crs_text,
            )
        )
    table = pd.DataFrame(rows)
    table.attrs.update(
        {"crs": crs_text, "area_method": method, "banner": illustrative_banner(inputs), "notes": notes}
    )
    return table


def _row(level, code, name, line, area_m2, land_m2, features, status, crs_text) -> dict:
    return {
        "level": level,
        "code": str(code),
        "name": name,
        "line": line,
        "line_zh": CONTROL_LINE_ZH[line],
        "area_ha": area_m2 / M2_PER_HA,
        "area_mu": area_m2 / M2_PER_MU,
        "area_km2": area_m2 / M2_PER_KM2,
        "land_area_km2": land_m2 / M2_PER_KM2,
        "share_pct": 100.0 * area_m2 / land_m2 if land_m2 > 0 else np.nan,
        "features": features,
        "status": status,
        "crs": crs_text,
    }


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per unit (and the city), the lines side by side: the layout of a plan's statistics table.

    Columns: ``code``, ``name``, ``land_area_km2``, then for each line ``<line>_area_ha``,
    ``<line>_area_mu``, ``<line>_area_km2``, ``<line>_share_pct``, and ``crs``.
    """
    keys = ["level", "code", "name"]
    out = table.drop_duplicates(keys)[keys + ["land_area_km2"]].reset_index(drop=True)
    for line in dict.fromkeys(table["line"]):
        part = table[table["line"] == line].set_index(keys)[["area_ha", "area_mu", "area_km2", "share_pct"]]
        part.columns = [f"{line}_{c}" for c in part.columns]
        out = out.join(part, on=keys)
    out["crs"] = table.attrs.get("crs", table["crs"].iloc[0] if len(table) else "")
    out.attrs = dict(table.attrs)
    return out


def about(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """The 'about' sheet of a report: what it is, the CRS, the illustrative warning and every note."""
    items = [
        ("what", what),
        ("area_method", table.attrs.get("area_method", "")),
        ("crs", table.attrs.get("crs", "")),
        ("units", "ha = 公顷 (10,000 m²); 亩 = 666.67 m² (10,000/15); km² = 1,000,000 m²"),
    ]
    if table.attrs.get("banner"):
        items.append(("WARNING", table.attrs["banner"]))
    items += [("note", note) for note in table.attrs.get("notes", [])]
    return pd.DataFrame(items, columns=["item", "value"])


def write_control_line_stats(table: pd.DataFrame, path, *, lang: str = "zh") -> Path:
    """Write the statistics: ``.csv`` the long table (one row per unit and line, with ``crs`` and
    ``status``; English column names, for scripts), ``.xlsx`` sheets 分县统计 (``by_county``, wide),
    分县分控制线明细 (``long``) and 方法与说明 (``about``: CRS, units, warnings), their names and
    headers (with units: 公顷, 亩, 平方千米) in ``lang`` (:mod:`hygis.words`; ``"en"``: the names above)."""
    if Path(path).suffix.lower() == ".xlsx":
        what = (
            "三条控制线面积统计 Control-line areas by county-level unit "
            "(union semantics: overlaps count once)"
        )
        sheets = {"by_county": wide(table), "long": table, "about": about(table, what)}
        return io.write_table(
            words.workbook(sheets, "control_line_stats", words.check_lang(lang)),
            path,
            banner=table.attrs.get("banner"),
        )
    return io.write_table(table, path)


__all__ = [
    "control_line_stats",
    "wide",
    "about",
    "load_counties",
    "unit_areas",
    "write_control_line_stats",
]
