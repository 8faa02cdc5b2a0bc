"""A reader of the 坐标交换格式 written from the Ministry's published template alone (not from hygis).

What the template says (国土资源部 建设用地报批 / 勘测定界 坐标文件, and the "坐标说明" that comes with it):

* ``[属性描述]`` with ``key=value`` lines: 格式版本号, 数据产生单位, 数据产生日期, 坐标系 (the template asks
  for "2000国家大地坐标系", older ones for "1980西安国家大地坐标系"), 几度分带 (3 or 6), 投影类型
  ("高斯克吕格"), 计量单位 ("米"), 带号, 精度, 转换参数 (empty, commas kept);
* ``[地块坐标]``: per parcel a line ``界址点数,地块面积,地块编号,地块名称,记录图形属性,图幅号,地块用途,
  地类编码,@`` (地块面积 in 公顷, 记录图形属性 "面", the ``@`` kept), then its point lines
  ``点号,圈号,X坐标,Y坐标``: X the northing, Y the easting with the zone number (带号) in front;
  the closing point repeats the first (J1 … J1); 圈号 1 for the parcel's outline, 2 and up for the
  rings to deduct (its holes).

Deliberately plain and strict, like the readers the Ministry's and provincial systems use: it
refuses what the template does not allow (an empty 地块名称, an unclosed ring, an easting without
its zone number, a 界址点数 that does not count the point lines), so a file it accepts is one those
systems accept. Areas by the shoelace formula on the file's own numbers; no shapely, no pyproj.
Test code only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: The header keys the template lists, in its order.
HEADER_KEYS = (
    "格式版本号",
    "数据产生单位",
    "数据产生日期",
    "坐标系",
    "几度分带",
    "投影类型",
    "计量单位",
    "带号",
    "精度",
    "转换参数",
)
DATUMS = ("2000国家大地坐标系", "1980西安国家大地坐标系", "1954年北京坐标系")


class TemplateError(ValueError):
    """The file breaks the template."""


@dataclass
class Record:
    """One 地块 record: its header fields and its rings (ring number → [(x northing, y easting), …])."""

    count: int
    area_ha: float
    number: str
    name: str
    kind: str
    rings: dict[int, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def shell(self) -> list[tuple[float, float]]:
        return self.rings[1]

    @property
    def holes(self) -> list[list[tuple[float, float]]]:
        return [r for k, r in sorted(self.rings.items()) if k >= 2]

    def area_m2(self) -> float:
        """Shoelace area of ring 1 less the rings to deduct, in m² of the Gauss–Krüger plane."""
        return shoelace(self.shell) - sum(shoelace(h) for h in self.holes)


def shoelace(ring: list[tuple[float, float]]) -> float:
    """Unsigned area of a closed ring (last point = first), in the coordinates' unit squared."""
    x0, y0 = ring[0]
    twice = sum((xa - x0) * (yb - y0) - (xb - x0) * (ya - y0) for (xa, ya), (xb, yb) in zip(ring, ring[1:]))
    return abs(twice) / 2


def read(path: str | Path, encoding: str = "gbk") -> tuple[dict[str, str], list[Record]]:
    """Read a file as the template has it; raise :class:`TemplateError` where it departs from it."""
    text = Path(path).read_bytes().decode(encoding)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if "[属性描述]" not in lines or "[地块坐标]" not in lines:
        raise TemplateError("缺少[属性描述]或[地块坐标]")
    start = lines.index("[地块坐标]")
    header: dict[str, str] = {}
    for ln in lines[lines.index("[属性描述]") + 1 : start]:
        key, sep, value = ln.partition("=")
        if not sep or key not in HEADER_KEYS:
            raise TemplateError(f"属性描述 line not in the template: {ln!r}")
        header[key] = value
    if header.get("坐标系") not in DATUMS:
        raise TemplateError(f"坐标系 {header.get('坐标系')!r} is none of {DATUMS}")
    if header.get("几度分带") not in ("3", "6") or header.get("投影类型") != "高斯克吕格":
        raise TemplateError("几度分带 must be 3 or 6 and 投影类型 高斯克吕格")
    if header.get("计量单位") != "米" or header.get("转换参数", "").replace(",", "").strip():
        raise TemplateError("计量单位 must be 米 and 转换参数 empty")
    zone = int(header["带号"])

    records: list[Record] = []
    for ln in lines[start + 1 :]:
        cells = ln.split(",")
        if ln.endswith("@"):
            if len(cells) != 9:
                raise TemplateError(f"a parcel line has 9 fields ending in @: {ln!r}")
            count, area, number, name, kind = cells[:5]
            if not name:
                raise TemplateError(f"第{len(records) + 1}个地块的地块名称不存在")
            if kind != "面":
                raise TemplateError(f"记录图形属性 must be 面: {ln!r}")
            records.append(Record(int(count), float(area), number, name, kind))
            continue
        if not records or len(cells) != 4:
            raise TemplateError(f"a point line reads 点号,圈号,X坐标,Y坐标: {ln!r}")
        ring, x, y = int(cells[1]), float(cells[2]), float(cells[3])
        if int(y // 1_000_000) != zone:
            raise TemplateError(f"the easting {y} does not start with 带号 {zone}")
        records[-1].rings.setdefault(ring, []).append((x, y))

    for i, rec in enumerate(records, start=1):
        if 1 not in rec.rings:
            raise TemplateError(f"地块 {i} has no ring 1")
        if sorted(rec.rings) != list(range(1, len(rec.rings) + 1)):
            raise TemplateError(f"地块 {i}: 圈号 must run 1, 2, … without gaps: {sorted(rec.rings)}")
        for k, ring in rec.rings.items():
            if ring[0] != ring[-1] or len(ring) < 4:
                raise TemplateError(f"地块 {i} ring {k} is not closed (the first point repeated last)")
        if rec.count != sum(len(r) for r in rec.rings.values()):
            raise TemplateError(f"地块 {i}: 界址点数 {rec.count} is not the number of its point lines")
    return header, records
