"""Small hand-checkable fixtures for the analysis routines, in CGCS2000 / 3° GK CM 111°E (EPSG:4546).

The origin lies near 112.0°E, 26.9°N, so hygis's area-CRS rule picks EPSG:4546 for them too
and every hand-computed area below is exact in the CRS the routines measure in.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

GK = "EPSG:4546"
X0, Y0 = 600_000.0, 2_980_000.0


def box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    """A rectangle given in metres from the fixture's origin."""
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def pt(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def two_counties() -> gpd.GeoDataFrame:
    """Two 1 km × 1 km units side by side, 100 ha each.

    A = [0, 1000] × [0, 1000], B = [1000, 2000] × [0, 1000].
    """
    return gpd.GeoDataFrame(
        {"code": ["439901", "439902"], "name": ["甲县", "乙县"], "seat": ["甲镇", "乙镇"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=GK,
    )


def lines(redline=None, farmland=None, udb=None) -> dict[str, gpd.GeoDataFrame]:
    def frame(geoms, prefix):
        return gpd.GeoDataFrame(
            {"id": [f"{prefix}{k + 1}" for k in range(len(geoms))]}, geometry=geoms, crs=GK
        )

    return {
        "ecological_redline": frame(redline or [box(1900, 900, 1950, 950)], "R"),
        "permanent_farmland": frame(farmland or [box(0, 900, 10, 910)], "F"),
        "urban_development_boundary": frame(udb or [box(1900, 0, 1950, 50)], "U"),
    }
