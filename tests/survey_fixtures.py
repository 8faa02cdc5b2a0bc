"""Surveyors' parcel files as an office receives them, written by hand-rolled code (not by hygis).

Three parcels designed in CGCS2000 3° Gauss–Krüger zone 37 (EPSG:4525, CM 111°E, eastings with
the zone prefix) in 祁东县 near 111.57°E, 26.85°N, inside the plan's territory and 57 km from the
central meridian: areas in the zone's plane (= EPSG:4546's) and on the ellipsoid differ by less
than 8e-5 (the scale factor there is 1 + 4e-5).

* ``D1`` a 200 × 100 m rectangle with a 40 × 20 m hole: 19 200 m²;
* ``D2`` a right triangle with legs 120 m and 90 m: 5 400 m²;
* ``D3`` two parts, 50 × 40 m and 30 × 30 m (ring 2 lies outside ring 1): 2 900 m².

Synthetic test data: the coordinates are made up and stand for no real parcel.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: EPSG code of the zone the parcels are designed in, and the same zone without prefix.
EPSG_PREFIXED, EPSG_CM = 4525, 4546
ZONE = 37
#: South-west corner of the first parcel: easting with zone prefix, northing (metres).
E0, N0 = 37_556_500.0, 2_971_000.0

#: Expected areas (m²), known from the design.
AREAS = {"D1": 200 * 100 - 40 * 20, "D2": 120 * 90 / 2, "D3": 50 * 40 + 30 * 30}
NAMES = {"D1": "示例地块一", "D2": "示例三角地块", "D3": "示例两块地"}


def _rect(e: float, n: float, w: float, h: float, clockwise: bool = True) -> list[tuple[float, float]]:
    """Corners (easting, northing) from the south-west corner, clockwise as surveyors number them."""
    pts = [(e, n), (e, n + h), (e + w, n + h), (e + w, n)]
    return pts if clockwise else pts[::-1]


def parcel_rings(prefix: bool = True) -> dict[str, list[list[tuple[float, float]]]]:
    """Each parcel's rings (ring 1 first), open (first point not repeated), as (easting, northing)."""
    e0 = E0 if prefix else E0 - ZONE * 1_000_000
    return {
        "D1": [_rect(e0, N0, 200, 100), _rect(e0 + 80, N0 + 40, 40, 20, clockwise=False)],
        "D2": [[(e0 + 300, N0), (e0 + 300, N0 + 90), (e0 + 420, N0)]],
        "D3": [_rect(e0 + 500, N0, 50, 40), _rect(e0 + 600, N0, 30, 30)],
    }


def coordinate_text(
    *, prefix: bool = True, header_zone: bool = True, close: bool = True, datum: str = "2000国家大地坐标系"
) -> str:
    """A 坐标交换格式 file as text: header, then each parcel's header line and points (X = northing)."""
    lines = [
        "[属性描述]",
        "格式版本号=1.0",
        "数据产生单位=测试",
        "数据产生日期=2026-1-1",
        f"坐标系={datum}",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
    ]
    if header_zone:
        lines.append(f"带号={ZONE}")
    lines += ["精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
    for pid, rings in parcel_rings(prefix).items():
        body, k = [], 0
        for r, ring in enumerate(rings, start=1):
            first = k + 1
            for e, n in ring:
                k += 1
                body.append(f"J{k},{r},{n:.3f},{e:.3f}")
            if close:
                body.append(f"J{first},{r},{ring[0][1]:.3f},{ring[0][0]:.3f}")
        lines.append(f"{len(body)},{AREAS[pid] / 10_000:.4f},{pid},{NAMES[pid]},面,,,,@")
        lines += body
    return "\r\n".join(lines) + "\r\n"


def write_coordinate_file(path: Path, *, encoding: str = "gbk", **kwargs) -> Path:
    path.write_bytes(coordinate_text(**kwargs).encode(encoding))
    return path


def vertex_frame(*, prefix: bool = True, swap: bool = False, close: bool = True) -> pd.DataFrame:
    """A 界址点成果表: one row per vertex, the parcel id on every row, X northing, Y easting."""
    rows = []
    for pid, rings in parcel_rings(prefix).items():
        k = 0
        for r, ring in enumerate(rings, start=1):
            pts = ring + [ring[0]] if close else ring
            for e, n in pts:
                k += 1
                rows.append(
                    {
                        "地块编号": pid,
                        "地块名称": NAMES[pid],
                        "点号": f"J{k}",
                        "圈号": r,
                        "X坐标(m)": e if swap else n,
                        "Y坐标(m)": n if swap else e,
                    }
                )
    return pd.DataFrame(rows)


def write_vertex_table(path: Path, **kwargs) -> Path:
    df = vertex_frame(**kwargs)
    if path.suffix == ".xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_csv(path, index=False, encoding="gbk")
    return path
