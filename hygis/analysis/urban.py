"""The urban system (中心城区 – 县城 – 特色乡镇 – 中心村): distances, service areas, rank–size, 融城.

Distances are straight lines in the CGCS2000 Gauss–Krüger CRS of
:func:`hygis.crs.area_crs_for` (for Hengyang EPSG:4546), hygis's one rule for areas and
distances: within about 1/1000 of the geodesic distance inside a 3° zone, far below the
precision of the places themselves (each row's ``precision_m``, often ±1–3 km).

* The **central city** is the tier-1 feature (an area: the four central districts).
  ``to_central_city_edge_km`` is the distance to that area (0 inside it);
  ``to_central_city_centre_km`` the distance to its centroid (a computed point, not a
  sourced one).
* A unit's **county seat** is the urban-system place whose name begins with the seat the
  county layer names (``counties.seat``, e.g. 祝融街道 for 南岳区), else the unit's tier-2
  place. The central districts' seats are not in the layer: their distance is NaN with a note.
* Places whose location is not confirmed (empty geometry) are kept, with NaN distances and a
  note: hygis never invents a coordinate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis import io, words
from hygis.analysis.stats import load_counties
from hygis.crs import WGS84, area_crs_for, describe
from hygis.errors import HygisInputError
from hygis.plan import layers

M_PER_KM = 1000.0

#: Default distance bands around each seat (km): 0–5, 5–10, 10–20, 20–30 and beyond.
DISTANCE_BANDS_KM: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)


def _urban(urban_system: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    urban = layers.load_or_check("urban_system", urban_system, ("tier", "name"), "urban system").copy()
    urban["tier"] = pd.to_numeric(urban["tier"], errors="coerce")
    if "place_id" not in urban.columns:
        urban["place_id"] = [f"#{k + 1}" for k in range(len(urban))]
    if "county_code" not in urban.columns:
        urban["county_code"] = ""
    urban["county_code"] = urban["county_code"].fillna("").astype(str)
    return urban


#: Column names accepted for a central village's name in a user's list.
VILLAGE_NAME_COLUMNS = ("name", "名称", "村名", "村庄名称", "中心村")


def with_central_villages(
    villages: gpd.GeoDataFrame | str | Path,
    urban_system: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    crs=None,
) -> gpd.GeoDataFrame:
    """The urban system with a user's central villages (中心村, tier 4) added.

    The plan names no central village, so the embedded tier 4 is empty; this fills it from the
    list a county or township plan gives.

    Parameters
    ----------
    villages : GeoDataFrame or path
        Points (a vector file, or a CSV/XLSX with 经度/纬度 or lon/lat columns) with a name column
        (one of :data:`VILLAGE_NAME_COLUMNS`); ``county_code`` is taken from the file if present,
        else from the county unit each village lies in.
    urban_system, counties : GeoDataFrame, optional
        Default: the embedded layers.
    crs : optional
        CRS of a file that has none (never guessed).

    Returns
    -------
    geopandas.GeoDataFrame
        The urban system (WGS 84) with one tier-4 row per village.
    """
    urban = _urban(urban_system).to_crs(WGS84)
    counties = load_counties(counties).to_crs(WGS84)
    if isinstance(villages, gpd.GeoDataFrame):
        gdf, _notes = io.clean_geometries(villages, label="central villages", geometry="point")
    else:
        gdf = io.read_vector(villages, crs=crs, geometry="point", label="central villages")
    if gdf.crs is None:
        msg = "central villages: no CRS. Give one (crs=, or --crs EPSG:4490 for 经度/纬度 in CGCS2000)."
        raise HygisInputError(msg)
    gdf = gdf.to_crs(WGS84)
    name_col = next((c for c in VILLAGE_NAME_COLUMNS if c in gdf.columns), None)
    if name_col is None:
        msg = (
            f"central villages: no name column; use one of {', '.join(VILLAGE_NAME_COLUMNS)} "
            f"(the columns are: {', '.join(map(str, gdf.columns))})."
        )
        raise HygisInputError(msg)
    if "county_code" in gdf.columns:
        codes = gdf["county_code"].astype(str).to_numpy()
    else:
        idx_pt, idx_county = counties.sindex.query(gdf.geometry.to_numpy(), predicate="within")
        codes = np.full(len(gdf), "", dtype=object)
        codes[idx_pt] = counties["code"].astype(str).to_numpy()[idx_county]
    outside = codes == ""
    if outside.any():
        names = ", ".join(map(str, gdf.loc[outside, name_col].head(5)))
        msg = (
            f"central villages: {int(outside.sum())} lie outside every county unit ({names}): "
            "check their coordinates and CRS."
        )
        raise HygisInputError(msg)
    rows = gpd.GeoDataFrame(
        {
            "place_id": [f"village_{k + 1}" for k in range(len(gdf))],
            "name": gdf[name_col].astype(str).to_numpy(),
            "tier": 4,
            "tier_name": "中心村",
            "tier_en": "central village",
            "county_code": codes,
            "merge_with_city": False,
            "location_status": "user-data",
            "source": "user's list of central villages",
        },
        geometry=gdf.geometry.to_numpy(),
        crs=WGS84,
    )
    return pd.concat([urban[urban["tier"] != 4], rows], ignore_index=True)


def _located(geoms: np.ndarray) -> np.ndarray:
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _central_city(urban: gpd.GeoDataFrame, crs) -> shapely.Geometry | None:
    tier1 = urban[urban["tier"] == 1]
    geoms = tier1.geometry.to_crs(crs).to_numpy()
    geoms = geoms[_located(geoms)]
    return shapely.union_all(geoms) if len(geoms) else None


def county_seats(
    urban_system: gpd.GeoDataFrame | None = None, counties: gpd.GeoDataFrame | None = None
) -> pd.DataFrame:
    """The county seat of each unit found in the urban system (the rule in the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``county``, ``seat`` (the county layer's seat name, if any), ``place_id``,
        ``seat_name`` (None where the seat is not in the layer), ``located`` (bool).
    """
    urban = _urban(urban_system)
    counties = load_counties(counties)
    rows = []
    for code, cname, seat in zip(
        counties["code"].astype(str),
        counties["name"],
        counties["seat"] if "seat" in counties else [None] * len(counties),
    ):
        own = urban[urban["county_code"] == code]
        pick = (
            own[own["name"].astype(str).str.startswith(str(seat))]
            if isinstance(seat, str) and seat
            else own.iloc[:0]
        )
        if pick.empty:
            pick = own[own["tier"] == 2]
        if pick.empty:
            rows.append(
                {
                    "code": code,
                    "county": cname,
                    "seat": seat,
                    "place_id": None,
                    "seat_name": None,
                    "located": False,
                }
            )
            continue
        row = pick.iloc[0]
        located = bool(_located(np.array([row.geometry], dtype=object))[0])
        rows.append(
            {
                "code": code,
                "county": cname,
                "seat": seat,
                "place_id": row["place_id"],
                "seat_name": row["name"],
                "located": located,
            }
        )
    return pd.DataFrame(rows)


def town_distances(
    urban_system: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    tiers: Sequence[int] = (2, 3, 4),
) -> gpd.GeoDataFrame:
    """Distance from each place of the given tiers to its county seat and to the central city.

    Parameters
    ----------
    urban_system : GeoDataFrame, optional
        Places with ``tier``, ``name``, ``county_code`` (one code for tiers 2–4); default the
        embedded layer.
    counties : GeoDataFrame, optional
        Units with ``code``, ``name`` and ``seat``; default the embedded 12.
    tiers : sequence of int
        Tiers to measure (default county seats, featured towns, central villages).

    Returns
    -------
    geopandas.GeoDataFrame
        In WGS 84, one row per place: ``place_id``, ``name``, ``tier``, ``tier_name``,
        ``county_code``, ``merge_with_city``, ``precision_m``, ``seat_name``,
        ``seat_precision_m``, ``to_seat_km``, ``to_central_city_edge_km``,
        ``to_central_city_centre_km``, ``note``, ``crs`` (the CRS distances were measured in).
    """
    urban = _urban(urban_system)
    counties = load_counties(counties)
    crs = area_crs_for(counties, urban)
    seats = county_seats(urban, counties).set_index("code")
    projected = urban.geometry.to_crs(crs)
    by_id = dict(zip(urban["place_id"], projected.to_numpy()))
    precision = dict(
        zip(urban["place_id"], urban["precision_m"] if "precision_m" in urban else [np.nan] * len(urban))
    )
    city = _central_city(urban, crs)
    centre = shapely.centroid(city) if city is not None else None

    sel = urban[urban["tier"].isin(list(tiers))].copy()
    geoms = projected[sel.index].to_numpy()
    located = _located(geoms)
    seat_id = sel["county_code"].map(seats["place_id"]).to_numpy()
    seat_geom = np.array([by_id.get(s) if isinstance(s, str) else None for s in seat_id], dtype=object)
    seat_ok = _located(seat_geom)
    to_seat = np.where(located & seat_ok, shapely.distance(geoms, seat_geom), np.nan)
    is_seat = sel["place_id"].to_numpy() == seat_id
    to_seat = np.where(is_seat & located, 0.0, to_seat)
    to_edge = shapely.distance(geoms, city) if city is not None else np.full(len(sel), np.nan)
    to_centre = shapely.distance(geoms, centre) if centre is not None else np.full(len(sel), np.nan)

    notes = []
    for k, (code, sid) in enumerate(zip(sel["county_code"], seat_id)):
        parts = []
        if not located[k]:
            parts.append("location not confirmed (no geometry): distances not computed")
        if is_seat[k]:
            parts.append("is the county seat")
        elif not isinstance(sid, str):
            county = seats["county"].get(code, code)
            seat = seats["seat"].get(code)
            named = f"{county} ({seat})" if isinstance(seat, str) else county
            parts.append(f"the seat of {named} is not in the urban-system layer")
        elif not seat_ok[k]:
            parts.append(f"the county seat ({seats.loc[code, 'seat_name']}) has no confirmed location")
        notes.append("; ".join(parts))

    out = gpd.GeoDataFrame(
        {
            "place_id": sel["place_id"].to_numpy(),
            "name": sel["name"].to_numpy(),
            "tier": sel["tier"].astype(int).to_numpy(),
            "tier_name": sel["tier_name"].to_numpy() if "tier_name" in sel else "",
            "county_code": sel["county_code"].to_numpy(),
            "merge_with_city": sel["merge_with_city"].astype(bool).to_numpy()
            if "merge_with_city" in sel
            else False,
            "precision_m": sel["place_id"].map(precision).to_numpy(dtype=float),
            "seat_name": sel["county_code"].map(seats["seat_name"]).to_numpy(),
            "seat_precision_m": pd.Series(seat_id).map(precision).to_numpy(dtype=float),
            "to_seat_km": to_seat / M_PER_KM,
            "to_central_city_edge_km": np.where(located, to_edge, np.nan) / M_PER_KM,
            "to_central_city_centre_km": np.where(located, to_centre, np.nan) / M_PER_KM,
            "note": notes,
            "crs": describe(crs),
        },
        geometry=sel.geometry.to_numpy(),
        crs=urban.crs,
    ).to_crs(WGS84)
    out.attrs["crs"] = describe(crs)
    return out


def merge_with_city(
    urban_system: gpd.GeoDataFrame | None = None, counties: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """The places the plan expects to merge into the central city, with their distance to it.

    These are the 融城 towns: 西渡, 云集, 大浦, 南岳.

    Uses the ``merge_with_city`` column of the urban system. Rows without a confirmed
    location are kept with NaN distances and a note.
    """
    urban = _urban(urban_system)
    if "merge_with_city" not in urban.columns:
        msg = "urban system: needs a 'merge_with_city' column (true for the 融城 towns) for this table."
        raise HygisInputError(msg)
    tiers = sorted(int(t) for t in urban.loc[urban["merge_with_city"].astype(bool), "tier"].dropna().unique())
    dist = town_distances(urban, counties, tiers=tiers)
    out = dist[dist["merge_with_city"]].drop(columns=["merge_with_city"]).reset_index(drop=True)
    out.attrs = dict(dist.attrs)
    return out


def seat_catchments(
    urban_system: gpd.GeoDataFrame | None = None, counties: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Service areas of the central city and the county seats: Voronoi cells clipped to the city.

    Generators: the centroid of the central-city area, and each unit's county seat that has a
    location (:func:`county_seats`). Each cell is the land nearer its seat than any other
    (straight-line, in the area CRS) — a first approximation that ignores roads and relief.

    Returns
    -------
    geopandas.GeoDataFrame
        In WGS 84: ``place_id``, ``name``, ``tier``, ``area_km2``, ``share_pct`` (of the city's
        land), ``crs``, and the cell.
    """
    urban = _urban(urban_system)
    counties = load_counties(counties)
    crs = area_crs_for(counties, urban)
    gens = _generators(urban, counties, crs)
    city = shapely.union_all(counties.geometry.to_crs(crs).to_numpy())
    pts = gens.geometry.to_numpy()
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(list(pts)), extend_to=city))
    # voronoi_polygons does not keep the input order everywhere (ordered= needs GEOS 3.12):
    # match by containment.
    cell_of, gen_of = shapely.STRtree(pts).query(cells, predicate="contains")
    matched = np.empty(len(pts), dtype=object)
    matched[gen_of] = shapely.intersection(cells[cell_of], city)
    area = shapely.area(matched)
    out = gpd.GeoDataFrame(
        {
            "place_id": gens["place_id"].to_numpy(),
            "name": gens["name"].to_numpy(),
            "tier": gens["tier"].to_numpy(),
            "area_km2": area / M_PER_KM**2,
            "share_pct": 100.0 * area / shapely.area(city),
            "crs": describe(crs),
        },
        geometry=matched,
        crs=crs,
    ).to_crs(WGS84)
    out.attrs["crs"] = describe(crs)
    return out


def _generators(urban: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """The central-city centroid and the located county seats, in ``crs``, one per place."""
    seats = county_seats(urban, counties)
    ids = list(dict.fromkeys(seats.loc[seats["located"], "place_id"]))
    proj = urban.to_crs(crs)
    rows = proj[proj["place_id"].isin(ids)][["place_id", "name", "tier", "geometry"]]
    city = _central_city(urban, crs)
    if city is not None:
        tier1 = proj[proj["tier"] == 1].iloc[0]
        rows = pd.concat(
            [
                gpd.GeoDataFrame(
                    {"place_id": [tier1["place_id"]], "name": [tier1["name"]], "tier": [1]},
                    geometry=[shapely.centroid(city)],
                    crs=crs,
                ),
                rows,
            ],
            ignore_index=True,
        )
    rows = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    rows["geometry"] = shapely.centroid(rows.geometry.to_numpy())
    if len(rows) < 2:
        msg = (
            "Service areas need at least two located centres (the central city and a county seat); "
            "the urban system has fewer."
        )
        raise HygisInputError(msg)
    return rows.reset_index(drop=True)


def distance_bands(
    urban_system: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    bands_km: Sequence[float] = DISTANCE_BANDS_KM,
) -> gpd.GeoDataFrame:
    """Rings of distance around each centre, within its service area (:func:`seat_catchments`).

    Parameters
    ----------
    bands_km : sequence of float
        Increasing upper bounds (km); a last band takes everything beyond.

    Returns
    -------
    geopandas.GeoDataFrame
        In WGS 84: ``place_id``, ``name``, ``band`` (e.g. ``5–10 km``), ``from_km``, ``to_km``
        (inf for the last), ``area_km2``, ``share_pct`` (of the centre's service area), ``crs``.
    """
    edges = [float(b) for b in bands_km]
    if not edges or any(b <= a for a, b in zip([0.0, *edges], edges)):
        msg = f"Distance bands must be increasing positive km values, e.g. 5,10,20,30; got {list(bands_km)}."
        raise HygisInputError(msg)
    urban = _urban(urban_system)
    counties = load_counties(counties)
    crs = area_crs_for(counties, urban)
    cells = seat_catchments(urban, counties).to_crs(crs)
    gens = _generators(urban, counties, crs).set_index("place_id").loc[cells["place_id"]]
    centre = gens.geometry.to_numpy()
    cell = cells.geometry.to_numpy()
    frames = []
    inner = np.array([shapely.Polygon()] * len(cells), dtype=object)
    for low, high in zip([0.0, *edges], [*edges, np.inf]):
        # 128 segments per quarter circle: the disc's area is within 0.003 % of the circle's.
        disc = shapely.buffer(centre, high * M_PER_KM, quad_segs=128) if np.isfinite(high) else cell
        ring = shapely.difference(shapely.intersection(cell, disc), inner)
        frames.append(
            pd.DataFrame(
                {
                    "place_id": cells["place_id"].to_numpy(),
                    "name": cells["name"].to_numpy(),
                    "band": f"{low:g}–{high:g} km" if np.isfinite(high) else f"> {low:g} km",
                    "from_km": low,
                    "to_km": high,
                    "geometry": ring,
                }
            )
        )
        inner = shapely.intersection(cell, disc)
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
    out["area_km2"] = out.area / M_PER_KM**2
    total = out.groupby("place_id")["area_km2"].transform("sum")
    out["share_pct"] = 100.0 * out["area_km2"] / total
    out["crs"] = describe(crs)
    out = out.to_crs(WGS84)
    out.attrs["crs"] = describe(crs)
    return out


RANK_SIZE_NOTE_NONE = (
    "No sourced population per place: the plan gives none per town and data/counties.csv has none. "
    "Pass population= (place_id, population, source) from a census or statistical yearbook; "
    "hygis does not invent figures."
)


def rank_size(
    urban_system: gpd.GeoDataFrame | None = None, population: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Rank–size table of the places whose population is known from a source.

    Parameters
    ----------
    urban_system : GeoDataFrame, optional
        Default the embedded layer. Its own ``population`` and ``population_source`` columns are
        used if present.
    population : DataFrame, optional
        ``place_id``, ``population`` (persons) and ``source`` (required: where the figure comes from).

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``place_id``, ``name``, ``tier``, ``population``, ``log10_rank``,
        ``log10_population``, ``source``, sorted by rank. Empty (same columns) when no figure is
        known, with the reason in ``attrs["note"]``. With three or more places, ``attrs["zipf_q"]``
        is the fitted exponent q of population ∝ rank^-q (q = 1: the rank–size rule).
    """
    urban = _urban(urban_system)
    cols = ["rank", "place_id", "name", "tier", "population", "log10_rank", "log10_population", "source"]
    if population is None and "population" in urban.columns:
        if "population_source" not in urban.columns:
            msg = (
                "urban system: a 'population' column needs a 'population_source' column "
                "saying where each figure comes from."
            )
            raise HygisInputError(msg)
        population = urban[["place_id", "population", "population_source"]].rename(
            columns={"population_source": "source"}
        )
    if population is None:
        out = pd.DataFrame(columns=cols)
        out.attrs["note"] = RANK_SIZE_NOTE_NONE
        return out
    missing = [c for c in ("place_id", "population", "source") if c not in population.columns]
    if missing:
        msg = (
            f"population: needs the columns place_id, population and source (missing: {', '.join(missing)})."
        )
        raise HygisInputError(msg)
    pop = population.assign(population=pd.to_numeric(population["population"], errors="coerce"))
    pop = pop[pop["population"].gt(0)]
    unsourced = pop["source"].isna() | (pop["source"].astype(str).str.strip() == "")
    if unsourced.any():
        ids = ", ".join(pop.loc[unsourced, "place_id"].astype(str))
        msg = f"population: every figure needs a source; missing for {ids}."
        raise HygisInputError(msg)
    table = pop.merge(urban[["place_id", "name", "tier"]], on="place_id", how="inner")
    table = table.sort_values("population", ascending=False, kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    table["log10_rank"] = np.log10(table["rank"])
    table["log10_population"] = np.log10(table["population"].astype(float))
    out = table[cols]
    if out.empty:
        out.attrs["note"] = "None of the given place_ids is in the urban system."
    elif len(out) >= 3:
        slope, _ = np.polyfit(out["log10_rank"], out["log10_population"], 1)
        out.attrs["zipf_q"] = float(-slope)
    return out


def urban_report(
    urban_system: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    *,
    population: pd.DataFrame | None = None,
    bands_km: Sequence[float] = DISTANCE_BANDS_KM,
) -> dict[str, pd.DataFrame]:
    """Every urban-system table, by sheet/layer name: ``distances``, ``merge_with_city``,
    ``catchments``, ``distance_bands``, ``rank_size`` and ``about`` (CRS, rules, notes)."""
    counties = load_counties(counties)
    dist = town_distances(urban_system, counties)
    merge = merge_with_city(urban_system, counties)
    cells = seat_catchments(urban_system, counties)
    bands = distance_bands(urban_system, counties, bands_km=bands_km)
    ranks = rank_size(urban_system, population)
    about = [
        (
            "what",
            "城镇体系分析 Urban system: distances, 融城 towns, service areas (Voronoi), "
            "distance bands, rank-size",
        ),
        ("crs", dist.attrs["crs"] + " — straight-line distances and areas; the layers are stored in WGS 84"),
        (
            "distances",
            "to_central_city_edge_km: to the central-city area (0 inside); to_central_city_centre_km: "
            "to its centroid (computed, not a sourced point); precision_m: the place's own uncertainty",
        ),
        (
            "service areas",
            "Voronoi cells of the central-city centroid and the located county seats, clipped to the city; "
            "straight-line nearest centre, ignoring roads and relief",
        ),
        (
            "rank-size",
            ranks.attrs.get("note", f"Zipf exponent q = {ranks.attrs.get('zipf_q', float('nan')):.2f}"),
        ),
    ]
    unlocated = dist.loc[dist.geometry.isna() | dist.geometry.is_empty, "name"]
    about += [("location not confirmed", name) for name in unlocated]
    return {
        "distances": dist,
        "merge_with_city": merge,
        "catchments": cells,
        "distance_bands": bands,
        "rank_size": ranks,
        "about": pd.DataFrame(about, columns=["item", "value"]),
    }


def write_urban_report(sheets: dict[str, pd.DataFrame], path, *, lang: str = "zh") -> Path:
    """Write :func:`urban_report`: ``.xlsx`` every sheet (no geometry), its name and headers in
    ``lang`` (:mod:`hygis.words`: 城镇距离, 融城城镇, 服务范围, 距离圈层, 位序规模, 方法与说明;
    ``"en"``: the keys of :func:`urban_report`); ``.gpkg`` the geographic layers (WGS 84; places
    without a location are kept with an empty geometry) plus the tables, by their English keys."""
    if Path(path).suffix.lower() == ".gpkg":
        geo = {name: df for name, df in sheets.items() if isinstance(df, gpd.GeoDataFrame)}
        return io.write_layers(geo, path)
    if Path(path).suffix.lower() == ".xlsx":
        return io.write_table(words.workbook(sheets, "urban_report", words.check_lang(lang)), path)
    return io.write_table(sheets, path)


__all__ = [
    "DISTANCE_BANDS_KM",
    "urban_report",
    "write_urban_report",
    "county_seats",
    "town_distances",
    "merge_with_city",
    "seat_catchments",
    "distance_bands",
    "rank_size",
]
