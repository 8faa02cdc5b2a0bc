"""Illustrative stand-ins for the three control lines (三条控制线), made by documented rules.

The official layers (生态保护红线, 永久基本农田, 城镇开发边界) are not public. These
generators make layers of the right kind from public facts — the urban-system centres,
the published extent of the 衡山 range, forest parks, the 湘江 — by the rules in
``data/illustrative_control_lines.json``, reproducibly (seeded). They are NOT official:
every output built on them says so. The three are built not to overlap one another.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hygis.constants import M2_PER_HA
from hygis.crs import WGS84, area_crs
from hygis.errors import HygisInputError
from hygis.geometry import polygonal
from hygis.settings import DATA_DIR

#: The layers this module makes.
NAMES = ("ecological_redline", "permanent_farmland", "urban_development_boundary")


def rules() -> dict[str, Any]:
    """The generation rules (``data/illustrative_control_lines.json``)."""
    return json.loads((DATA_DIR / "illustrative_control_lines.json").read_text(encoding="utf-8"))


def _located(places: pd.DataFrame) -> pd.DataFrame:
    lat = pd.to_numeric(places["lat"], errors="coerce")
    lon = pd.to_numeric(places["lon"], errors="coerce")
    out = places.assign(lat=lat, lon=lon)
    return out[lat.notna() & lon.notna()]


def _points(places: pd.DataFrame, crs) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        gpd.points_from_xy(places["lon"], places["lat"]), index=places.index, crs=WGS84
    ).to_crs(crs)


def urban_development_boundary(places: pd.DataFrame, city: shapely.Geometry, crs) -> gpd.GeoDataFrame:
    """Discs around the central city, the county seats and the featured towns, clipped to the city.

    Parameters
    ----------
    places : DataFrame
        ``data/places.csv`` (WGS 84 lat/lon; rows without a location are skipped).
    city : shapely geometry
        The city boundary in ``crs``.
    crs : pyproj.CRS
        The metric CRS to build in.
    """
    radius = rules()["urban_development_boundary"]["radius_m"]
    located = _located(places)
    located = located[located["kind"].isin(radius)]
    pts = _points(located, crs)
    discs = pts.buffer(located["kind"].map(radius).astype(float).to_numpy(), quad_segs=32)
    gdf = gpd.GeoDataFrame(
        {
            "udb_id": [f"UDB-{pid}" for pid in located["place_id"]],
            "name": [f"{n} 城镇开发边界（示意）" for n in located["name"]],
            "centre": located["name"].to_numpy(),
            "kind": located["kind"].to_numpy(),
            "county_code": located["county_code"].to_numpy(),
        },
        geometry=polygonal(discs.intersection(city).to_numpy()),
        crs=crs,
    )
    # Overlapping discs (a town next to the central city) are merged into the larger one.
    merged = shapely.union_all(gdf.geometry.to_numpy())
    parts = shapely.get_parts(merged)
    owner = gdf.sindex.query(parts, predicate="intersects")
    rows = []
    for i, part in enumerate(parts):
        members = gdf.iloc[owner[1][owner[0] == i]]
        lead = members.iloc[int(np.argmax(members.area.to_numpy()))]
        rows.append(
            {**lead.drop("geometry").to_dict(), "centres": "、".join(members["centre"]), "geometry": part}
        )
    out = gpd.GeoDataFrame(rows, crs=crs)
    out["area_ha"] = (out.area / M2_PER_HA).round(2)
    return out


def ellipse_in_bbox(bbox_lonlat, crs) -> shapely.Geometry:
    box = gpd.GeoSeries([shapely.box(*bbox_lonlat)], crs=WGS84).to_crs(crs).iloc[0]
    minx, miny, maxx, maxy = box.bounds
    circle = shapely.Point(0, 0).buffer(1.0, quad_segs=64)
    return shapely.affinity.affine_transform(
        circle, [(maxx - minx) / 2, 0, 0, (maxy - miny) / 2, (minx + maxx) / 2, (miny + maxy) / 2]
    )


def ecological_redline(
    places: pd.DataFrame, city: shapely.Geometry, udb: gpd.GeoDataFrame, crs
) -> gpd.GeoDataFrame:
    """The 衡山 range, forest parks and the 湘江 corridor, minus the development boundary."""
    spec = rules()["ecological_redline"]
    located = _located(places).set_index("place_id")
    rows: list[dict[str, Any]] = []
    for area in spec["areas"]:
        if area["shape"] == "ellipse_in_bbox":
            geom = ellipse_in_bbox(area["bbox_lonlat"], crs)
        elif area["shape"] == "disc":
            if area["place_id"] not in located.index:
                continue  # its location is unconfirmed: leave it out rather than invent one
            centre = _points(located.loc[[area["place_id"]]], crs).iloc[0]
            geom = centre.buffer(np.sqrt(area["area_ha"] * M2_PER_HA / np.pi), quad_segs=32)
        else:
            msg = (
                f"data/illustrative_control_lines.json: unknown shape {area['shape']!r} for "
                f"{area.get('name', 'an area')}; use 'ellipse_in_bbox' or 'disc'."
            )
            raise HygisInputError(msg)
        rows.append(
            {"name": area["name"], "kind": "mountain/forest", "source": area["source"], "geometry": geom}
        )
    for river in spec["river_corridors"]:
        ids = [pid for pid in river["place_ids"] if pid in located.index]
        if len(ids) < 2:
            continue
        line = shapely.LineString(_points(located.loc[ids], crs).to_numpy())
        rows.append(
            {
                "name": river["name"],
                "kind": "river corridor",
                "source": river["source"],
                "geometry": line.buffer(river["half_width_m"], cap_style="flat"),
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=crs)
    keep_out = shapely.union_all(udb.geometry.to_numpy()).buffer(spec["clearance_from_udb_m"])
    gdf["geometry"] = polygonal(gdf.geometry.intersection(city).difference(keep_out).to_numpy())
    # A red-line layer does not overlap itself: each area keeps only what the earlier ones do not cover.
    geoms = gdf.geometry.to_numpy()
    for i in range(1, len(geoms)):
        geoms[i] = polygonal([geoms[i].difference(shapely.union_all(geoms[:i]))])[0]
    gdf["geometry"] = geoms
    gdf = gdf[~gdf.geometry.is_empty].reset_index(drop=True)
    gdf.insert(0, "redline_id", [f"ECO-{i + 1:02d}" for i in range(len(gdf))])
    gdf["area_ha"] = (gdf.area / M2_PER_HA).round(2)
    return gdf


def permanent_farmland(
    counties: gpd.GeoDataFrame, redline: gpd.GeoDataFrame, udb: gpd.GeoDataFrame, crs
) -> gpd.GeoDataFrame:
    """Seeded rectangular patches over the city, each inside one county, clear of the other two lines."""
    spec = rules()["permanent_farmland"]
    rng = np.random.default_rng(rules()["seed"])
    counties_m = counties.to_crs(crs)
    minx, miny, maxx, maxy = counties_m.total_bounds
    cell = float(spec["cell_m"])
    xs, ys = np.meshgrid(np.arange(minx + cell / 2, maxx, cell), np.arange(miny + cell / 2, maxy, cell))
    cx, cy = xs.ravel(), ys.ravel()
    n = cx.size
    keep = rng.random(n) < spec["keep_share"]
    jitter = rng.uniform(-0.15 * cell, 0.15 * cell, size=(2, n))
    lo, hi = spec["side_m"]
    w, h = rng.uniform(lo, hi, n), rng.uniform(lo, hi, n)
    theta = rng.uniform(0, np.pi, n)
    cx, cy = cx + jitter[0], cy + jitter[1]
    # Corners of each rotated rectangle, vectorised.
    dx = np.array([-1, 1, 1, -1])[None, :] * (w / 2)[:, None]
    dy = np.array([-1, -1, 1, 1])[None, :] * (h / 2)[:, None]
    cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
    px = cx[:, None] + dx * cos - dy * sin
    py = cy[:, None] + dx * sin + dy * cos
    rings = np.stack([px, py], axis=-1)
    patches = shapely.polygons(rings[keep])

    clearance = spec["clearance_m"]
    blocked = shapely.union_all(
        np.concatenate([redline.geometry.to_numpy(), udb.geometry.to_numpy()])
    ).buffer(clearance)
    shapely.prepare(blocked)
    patches = patches[~shapely.intersects(blocked, patches)]
    # Jitter and rotation let neighbours touch or cross; a farmland layer never overlaps itself,
    # so of each crossing pair the later patch goes.
    left, right = shapely.STRtree(patches).query(patches, predicate="intersects")
    crossing = left < right
    patches = np.delete(patches, np.unique(right[crossing]))
    tree = shapely.STRtree(counties_m.geometry.to_numpy())
    inside = tree.query(patches, predicate="within")
    patch_idx, county_idx = inside
    patches = patches[patch_idx]
    gdf = gpd.GeoDataFrame(
        {
            "patch_id": [f"PF-{i + 1:05d}" for i in range(len(patches))],
            "county_code": counties_m["code"].to_numpy()[county_idx],
        },
        geometry=patches,
        crs=crs,
    )
    gdf["area_ha"] = (gdf.area / M2_PER_HA).round(2)
    return gdf


def build_all(counties: gpd.GeoDataFrame, places: pd.DataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Build the three illustrative control lines (WGS 84) from the counties and places."""
    crs = area_crs(counties.to_crs(WGS84).total_bounds)
    city = shapely.union_all(counties.to_crs(crs).geometry.to_numpy())
    udb = urban_development_boundary(places, city, crs)
    redline = ecological_redline(places, city, udb, crs)
    farmland = permanent_farmland(counties, redline, udb, crs)
    out = {"ecological_redline": redline, "permanent_farmland": farmland, "urban_development_boundary": udb}
    for gdf in out.values():
        gdf["status"] = "illustrative"
    return {name: gdf.to_crs(WGS84) for name, gdf in out.items()}
