"""Inputs for the map tests: hostile text, and a compliance report in the agreed shape."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

import hygis
from hygis.constants import M2_PER_HA, M2_PER_MU

# Strings a user's file may hold; every one must show literally and run nothing.
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>window.__pwned=1</script>",
    "`${window.__pwned=2}`",
    "\"'&amp; <b>bold</b>",
]


def hostile_inputs() -> hygis.plan.PlanInputs:
    """The embedded plan with projects whose names and notes are hostile (one not located)."""
    inputs = hygis.resolve()
    lon, lat = 112.6271, 26.8928
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["H1", "H2", "H3"],
            "name": [HOSTILE[0], HOSTILE[1], HOSTILE[2]],
            "group": ["产业升级", HOSTILE[3], "交通基建"],
            "investment_yi": [100.0, 50.0, 20.0],
            "note": [HOSTILE[1], HOSTILE[0], HOSTILE[3]],
            "geometry_note": ["", "", HOSTILE[0]],
        },
        geometry=[shapely.Point(lon, lat), shapely.box(lon + 0.05, lat, lon + 0.08, lat + 0.03), None],
        crs="EPSG:4326",
    )
    inputs.projects = projects
    return inputs


def compliance_report(inputs: hygis.plan.PlanInputs | None = None) -> gpd.GeoDataFrame:
    """A report as hygis.check.check_projects returns it, for the 4 located embedded projects.

    Overlaps are real intersections with the embedded control lines (computed in the area
    CRS); the verdict rule here is only a stand-in for the compliance module's.
    """
    inputs = inputs or hygis.resolve()
    crs = inputs.area_crs()
    rows = []
    for _, p in inputs.projects.iterrows():
        for line, gdf in inputs.control_lines().items():
            base = {
                "project_id": p["project_id"],
                "name": p["name"],
                "group": p["group"],
                "control_line": line,
                "rule": "fixture",
                "method": "fixture",
            }
            if p.geometry is None or p.geometry.is_empty:
                rows.append(
                    {
                        **base,
                        "site_ha": np.nan,
                        "overlap_ha": np.nan,
                        "overlap_mu": np.nan,
                        "share_of_site": np.nan,
                        "verdict": "not located",
                        "geometry": None,
                    }
                )
                continue
            site = gpd.GeoSeries([p.geometry], crs=4326).to_crs(crs)
            site_geom = site.iloc[0] if site.iloc[0].area > 0 else site.buffer(50).iloc[0]
            lines = gdf.to_crs(crs).geometry
            overlap = shapely.intersection(
                site_geom, shapely.union_all(lines[lines.intersects(site_geom)].to_numpy())
            )
            area = overlap.area
            verdict = (
                "compliant"
                if area == 0
                else ("needs approval" if line == "urban_development_boundary" else "conflict")
            )
            geom = gpd.GeoSeries([overlap], crs=crs).to_crs(4326).iloc[0] if area > 0 else None
            rows.append(
                {
                    **base,
                    "site_ha": site_geom.area / M2_PER_HA,
                    "overlap_ha": area / M2_PER_HA,
                    "overlap_mu": area / M2_PER_MU,
                    "share_of_site": area / site_geom.area,
                    "verdict": verdict,
                    "geometry": geom,
                }
            )
    report = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    report.attrs["illustrative"] = hygis.plan.illustrative_banner(inputs)
    return report
