"""Files as CAD, Google Earth/奥维 and Esri software write them, built byte by byte (no blobs).

All shapes are designed in EPSG:4546 (CGCS2000 3° Gauss–Krüger CM 111°E) in 祁东县 near 111.57°E,
57 km from the central meridian (areas on the ellipsoid within 8e-5 of the plane's), with areas
known analytically. Synthetic test data.
"""

from __future__ import annotations

import math
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyogrio.raw import write as raw_write

CRS = "EPSG:4546"
E0, N0 = 556_500.0, 2_971_000.0
#: A circle's radius (m) for the curve fixtures; area π r².
RADIUS = 500.0
CIRCLE_AREA = math.pi * RADIUS**2


def _lwpolyline(points, *, closed: bool, layer: str, bulges=None) -> list[str]:
    out = ["0", "LWPOLYLINE", "8", layer, "90", str(len(points)), "70", "1" if closed else "0"]
    for i, (x, y) in enumerate(points):
        out += ["10", f"{x:.4f}", "20", f"{y:.4f}"]
        if bulges and bulges[i]:
            out += ["42", f"{bulges[i]:.12f}"]
    return out


#: Expected DXF content: layer → (closed?, area m² if closed).
DXF_SHAPES = {"PARCEL_RECT": (True, 200 * 100), "PARCEL_CIRCLE": (True, CIRCLE_AREA), "ROAD": (False, None)}


def write_dxf(path: Path) -> Path:
    """A DXF with a closed rectangle, a closed circle drawn as two bulged segments, and an open road."""
    ents = _lwpolyline(
        [(E0, N0), (E0 + 200, N0), (E0 + 200, N0 + 100), (E0, N0 + 100)], closed=True, layer="PARCEL_RECT"
    )
    cx = E0 + 1000
    # bulge 1 = a half circle per segment: two of them make a full circle of radius 500 m.
    ents += _lwpolyline(
        [(cx - RADIUS, N0), (cx + RADIUS, N0)], closed=True, layer="PARCEL_CIRCLE", bulges=[1, 1]
    )
    ents += _lwpolyline(
        [(E0, N0 + 2000), (E0 + 800, N0 + 2100), (E0 + 1500, N0 + 2000)], closed=False, layer="ROAD"
    )
    text = "\n".join(["0", "SECTION", "2", "ENTITIES", *ents, "0", "ENDSEC", "0", "EOF"]) + "\n"
    path.write_text(text, encoding="ascii")
    return path


#: Placemarks: name → the rectangle's corners in lon/lat degrees (area computed by the test).
def placemark_boxes() -> dict[str, shapely.Polygon]:
    boxes = {
        "地块甲": shapely.box(E0, N0, E0 + 200, N0 + 100),
        "地块乙": shapely.box(E0 + 300, N0, E0 + 360, N0 + 50),
    }
    lonlat = gpd.GeoSeries(list(boxes.values()), crs=CRS).to_crs(4326)
    return dict(zip(boxes, lonlat))


def kml_text() -> str:
    marks = []
    for name, poly in placemark_boxes().items():
        coords = " ".join(f"{x:.9f},{y:.9f},0" for x, y in poly.exterior.coords)
        marks.append(
            f"<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}"
            "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>项目范围</name>{''.join(marks)}</Document></kml>\n"
    )


def write_kml(path: Path) -> Path:
    if path.suffix == ".kmz":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("doc.kml", kml_text())
    else:
        path.write_text(kml_text(), encoding="utf-8")
    return path


def write_unclosed_shapefile(path: Path) -> Path:
    """A farmland Shapefile whose first polygon's ring does not end where it starts.

    Written closed, then the last vertex of the first record is overwritten with the one before
    it, as some converters leave it: the ring's 5th point equals its 4th, not its 1st. Areas
    stay those of the rectangles: 20 000 m² and 5 000 m².
    """
    gdf = gpd.GeoDataFrame(
        {"patch_id": ["F1", "F2"]},
        geometry=[shapely.box(E0, N0, E0 + 200, N0 + 100), shapely.box(E0 + 300, N0, E0 + 400, N0 + 50)],
        crs=CRS,
    )
    gdf.to_file(path, engine="pyogrio")
    raw = bytearray(path.read_bytes())
    start = 100 + 8  # first record, after the file header and the record header
    n_parts, n_points = struct.unpack("<ii", raw[start + 36 : start + 44])
    points = start + 44 + 4 * n_parts
    raw[points + 16 * (n_points - 1) : points + 16 * n_points] = raw[
        points + 16 * (n_points - 2) : points + 16 * (n_points - 1)
    ]
    path.write_bytes(bytes(raw))
    return path


def _curve_polygon_wkb(cx: float, cy: float, r: float) -> bytes:
    """ISO WKB of a CurvePolygon whose ring is one CircularString: a full circle."""
    pts = [(cx - r, cy), (cx + r, cy), (cx - r, cy)]
    ring = struct.pack("<BII", 1, 8, len(pts)) + b"".join(struct.pack("<dd", *p) for p in pts)
    return struct.pack("<BII", 1, 10, 1) + ring


def write_curved_boundary(path: Path) -> Path:
    """A development boundary stored as a true circle (Esri arc in a .gdb, CurvePolygon in a .gpkg)."""
    driver = "OpenFileGDB" if path.suffix == ".gdb" else "GPKG"
    raw_write(
        path,
        np.array([_curve_polygon_wkb(E0 + 1000, N0 + 1000, RADIUS)], dtype=object),
        [np.array(["U1"], dtype=object)],
        ["udb_id"],
        layer="CZKFBJ",
        driver=driver,
        crs=CRS,
        geometry_type="Polygon"
        if driver == "OpenFileGDB"
        else "Unknown",  # a GeoPackage declares curves as such
    )
    return path
