"""The elements every print figure carries: frame, 图名, 图例, 指北针, 比例尺, 坐标系, 编制单位/日期,
the illustrative stamp, the county base and a locator inset.

The north arrow is matplotlib-map-utils' (rotated to true north at the map's centre), the scale
bar matplotlib-scalebar's (its length taken from the map axes' own transform, so it is true
wherever the axes stand); both are maintained libraries, not hand-drawn shapes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import CRS

from hygis.figures import draw, style
from hygis.figures.layout import Box, Sheet

#: The gid of the artists tests and tools look for (matplotlib keeps it, the SVG writes it as id).
GID_NORTH = "hygis-north-arrow"
GID_SCALEBAR = "hygis-scale-bar"
GID_STAMP = "hygis-illustrative-stamp"


@dataclass
class Legend:
    """The legend of a figure: only what was drawn, in the order it was drawn."""

    handles: list[Any] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def add(self, handle: Any, label: str) -> None:
        if label not in self.labels:
            self.handles.append(handle)
            self.labels.append(label)


def area_handle(
    facecolor: Any = "none",
    edgecolor: Any = "none",
    linewidth: float = 0.5,
    linestyle: Any = "solid",
    hatch: str | None = None,
) -> Patch:
    return Patch(
        facecolor=facecolor, edgecolor=edgecolor, linewidth=linewidth, linestyle=linestyle, hatch=hatch
    )


def line_handle(color: Any, linewidth: float, linestyle: Any = "solid") -> Line2D:
    return Line2D([], [], color=color, linewidth=linewidth, linestyle=linestyle)


def marker_handle(marker: str, size: float, facecolor: Any, edgecolor: Any, edgewidth: float = 0.8) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor=facecolor,
        markeredgecolor=edgecolor,
        markeredgewidth=edgewidth,
    )


# ---------------------------------------------------------------------- the sheet
def new_sheet(sheet: Sheet) -> tuple[Figure, Any, Any]:
    """A figure the size of the paper with its two frame lines, the map axes and the panel axes."""
    fig = Figure(figsize=sheet.figsize)
    fig.patch.set_facecolor("white")
    for box, width in (
        (sheet.outer, style.get("layout", "outer_frame_pt")),
        (sheet.inner, style.get("layout", "inner_frame_pt")),
    ):
        frac = sheet.fraction(box)
        fig.add_artist(
            Rectangle(
                (frac[0], frac[1]),
                frac[2],
                frac[3],
                transform=fig.transFigure,
                fill=False,
                edgecolor="black",
                linewidth=sheet.pt(width),
            )
        )
    ax = fig.add_axes(sheet.fraction(sheet.map))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_autoscale_on(False)
    for spine in ax.spines.values():
        spine.set_linewidth(sheet.pt(0.6))
    ax.set_facecolor("white")
    panel = fig.add_axes(sheet.fraction(sheet.panel))
    panel.set_axis_off()
    return fig, ax, panel


def _mm_to_fig(sheet: Sheet, x: float, y: float) -> tuple[float, float]:
    return x / sheet.width_mm, y / sheet.height_mm


def title(fig: Figure, sheet: Sheet, text: str) -> None:
    """The figure's name (图名), centred in the title band."""
    b = sheet.title
    fig.text(
        *_mm_to_fig(sheet, b.x + b.w / 2, b.y + b.h * 0.45),
        text,
        ha="center",
        va="center",
        fontsize=sheet.font("title"),
        fontweight="bold",
    )


def footer(fig: Figure, sheet: Sheet, unit: str, date: str) -> None:
    """编制单位 on the left, 编制日期 on the right, under the inner frame."""
    b = sheet.footer
    y = b.y + b.h * 0.45
    size = sheet.font("footer")
    fig.text(*_mm_to_fig(sheet, b.x + 1, y), f"编制单位：{unit}", ha="left", va="center", fontsize=size)
    fig.text(*_mm_to_fig(sheet, b.right - 1, y), f"编制日期：{date}", ha="right", va="center", fontsize=size)


# ---------------------------------------------------------------------- text in the panel
def text_width(text: str) -> float:
    """Width of a line in em: CJK characters count 1, others about 0.55."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


def wrap(text: str, width_em: float) -> list[str]:
    """Wrap a mixed Chinese/English paragraph to ``width_em``; breaks at spaces in English, anywhere
    between CJK characters."""
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for token in _tokens(para):
            if text_width(line + token) > width_em and line.strip():
                out.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        out.append(line.rstrip())
    return out


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for c in text:
        if unicodedata.east_asian_width(c) in "WF":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(c)
        elif c == " ":
            tokens.append(word + " ")
            word = ""
        else:
            word += c
    if word:
        tokens.append(word)
    return tokens


def legend(panel: Any, sheet: Sheet, items: Legend, *, ncol: int = 1) -> Any:
    """The legend (图例) at the top of the panel: only the entries the figure drew."""
    size = sheet.font("legend")
    leg = panel.legend(
        items.handles,
        items.labels,
        title="图　例",
        loc="upper left",
        bbox_to_anchor=(0.0, 1.0),
        frameon=False,
        ncol=ncol,
        fontsize=size,
        title_fontsize=sheet.font("legend_title"),
        handlelength=2.6,
        handleheight=1.3,
        labelspacing=0.75,
        borderaxespad=0.2,
        alignment="left",
    )
    leg.get_title().set_fontweight("bold")
    return leg


def notes_block(fig: Figure, sheet: Sheet, box: Box, paragraphs: Sequence[str]) -> float:
    """Notes (坐标系, sources, the illustrative notice) bottom-aligned in ``box``; returns their
    height (mm)."""
    size = sheet.font("note")
    em_mm = size * 25.4 / 72
    width_em = box.w / em_mm
    lines: list[str] = []
    for p in paragraphs:
        lines.extend(wrap(p, width_em))
    text = "\n".join(lines)
    fig.text(
        *_mm_to_fig(sheet, box.x, box.y),
        text,
        ha="left",
        va="bottom",
        fontsize=size,
        linespacing=1.35,
        color="#333333",
    )
    return len(lines) * em_mm * 1.35


def crs_note(crs: CRS) -> str:
    """The 坐标系 note of a figure drawn in ``crs`` (CGCS2000 Gauss–Krüger: zone and central meridian).

    >>> print(crs_note(CRS.from_epsg(4546)))  # doctest: +NORMALIZE_WHITESPACE
    坐标系：2000国家大地坐标系（CGCS2000）  投影：高斯-克吕格投影 3度分带，中央经线 111°E，第37带（EPSG:4546）
    """
    epsg = crs.to_epsg()
    code = f"EPSG:{epsg}" if epsg else crs.name
    op = crs.coordinate_operation
    params = {p.name: p.value for p in op.params} if op is not None else {}
    cm = params.get("Longitude of natural origin")
    cm = float(cm) if isinstance(cm, (int, float)) else None
    if cm is None or "Gauss" not in crs.name:
        return f"坐标系：2000国家大地坐标系（CGCS2000）  投影：{crs.name}（{code}）"
    width = 3 if "3-degree" in crs.name else 6
    zone_no = round(cm / 3) if width == 3 else round((cm + 3) / 6)
    template = style.get("crs_note", "text")
    return template.format(zone_width=width, cm=f"{cm:g}", zone=f"，第{zone_no}带", epsg=code)


# ---------------------------------------------------------------------- map elements
def north_arrow(ax: Any, sheet: Sheet, crs: CRS) -> Any:
    """指北针 (matplotlib-map-utils), upper right of the map, pointing to true north at its centre."""
    from matplotlib_map_utils import north_arrow as map_utils_arrow  # noqa: PLC0415 - imports cartopy: only when drawn

    spec = style.get("north_arrow")
    height_in = float(spec["height_mm"]) * sheet.factor / 25.4
    # degrees=None: computed from the CRS (the library's default of 0 would override it).
    rotation: Any = {"degrees": None, "crs": crs.to_wkt(), "reference": "center"}
    artist = map_utils_arrow(
        ax,
        location="upper right",
        scale=height_in,
        shadow=False,
        # No stroke: a stroked label would be drawn as outlines, and "N" would not be text in the PDF.
        label={
            "text": spec["label"],
            "fontsize": sheet.font("north"),
            "fontweight": "bold",
            "stroke_width": 0,
        },
        rotation=rotation,
    )
    artist.set_gid(GID_NORTH)
    return artist


def bar_length(ground_width_m: float, fraction: float | None = None) -> float:
    """A 1-2-5 length (m) near ``fraction`` of the map's ground width, for the scale bar.

    >>> bar_length(180_000, 0.2)
    20000.0
    """
    target = ground_width_m * (float(style.get("scale", "bar_fraction")) if fraction is None else fraction)
    exp = 10 ** np.floor(np.log10(target))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= target))


def scale_bar(ax: Any, sheet: Sheet, scale: int) -> Any:
    """比例尺: the numeric scale 1:N over a bar of a round length (matplotlib-scalebar), lower left."""
    from matplotlib_scalebar.scalebar import ScaleBar  # noqa: PLC0415 - only when a figure is drawn

    x0, x1 = ax.get_xlim()
    length = bar_length(abs(x1 - x0))
    value, units = (length / 1000, "km") if length >= 1000 else (length, "m")
    size = sheet.font("scale")
    bar = ScaleBar(
        1.0,
        "m",
        fixed_value=value,
        fixed_units=units,
        location="lower left",
        label=f"比例尺 1:{scale}",
        label_loc="top",
        scale_loc="bottom",
        width_fraction=0.006,
        color="black",
        box_color="white",
        box_alpha=0.85,
        pad=0.4,
        border_pad=0.6,
        sep=2,
        font_properties={"size": size},
        scale_formatter=lambda v, u: f"{float(v):g} {u}",
    )
    bar.set_gid(GID_SCALEBAR)
    ax.add_artist(bar)
    return bar


def stamp(ax: Any, sheet: Sheet) -> Any:
    """The illustrative stamp, upper left of the map: these lines are not official."""
    spec = style.get("stamp")
    return ax.text(
        0.012,
        0.988,
        spec["text"],
        transform=ax.transAxes,
        ha="left",
        va="top",
        color=spec["color"],
        fontsize=sheet.font("stamp"),
        fontweight="bold",
        linespacing=1.3,
        zorder=50,
        gid=GID_STAMP,
        bbox={
            "boxstyle": "square,pad=0.45",
            "facecolor": "white",
            "edgecolor": spec["color"],
            "linewidth": sheet.pt(1.6),
            "alpha": 0.92,
        },
    )


def label(
    ax: Any, sheet: Sheet, text: str, xy: tuple[float, float], *, halo: float = 2.2, **kwargs: Any
) -> Any:
    """A map label with a white halo, kept as text in the PDF (searchable, copyable).

    The halo is a white copy beneath, stroked: matplotlib draws text with path effects as
    outlines, so the label itself carries none.
    """
    kwargs = {"annotation_clip": True, "clip_on": True, **kwargs}
    z = float(kwargs.pop("zorder", 10))
    under = {**kwargs, "color": "white"}
    ax.annotate(
        text,
        xy,
        zorder=z - 0.01,
        path_effects=[patheffects.withStroke(linewidth=sheet.pt(halo), foreground="white")],
        **under,
    )
    return ax.annotate(text, xy, zorder=z, **kwargs)


def counties(
    ax: Any, sheet: Sheet, items: Legend, geoms: Sequence[Any], names: Sequence[str], *, labels: bool = True
) -> None:
    """The county units beneath everything: a tint, their boundaries, the city's boundary and the names."""
    county = style.get("layers", "county_boundary")
    city = style.get("layers", "city_boundary")
    f = sheet.factor**0.8
    draw.polygons(ax, geoms, facecolor=county["facecolor"], edgecolor="none", zorder=0)
    ls_county = style.dashes(county, "dashes_mm", f)
    lw_county = sheet.line(county["linewidth_mm"])
    ls_city = style.dashes(city, "dashes_mm", f)
    lw_city = sheet.line(city["linewidth_mm"])
    outline = shapely.union_all(np.asarray(geoms, dtype=object))
    if len(draw.in_view(ax, [outline], edges=True)):
        draw.lines(
            ax, [outline], colors=city["edgecolor"], linewidths=lw_city, linestyles=[ls_city], zorder=7
        )
        items.add(line_handle(city["edgecolor"], lw_city, ls_city), city["legend"])
    # County lines that are not also the city's boundary, so that the two symbols do not overprint.
    inner = shapely.difference(
        shapely.union_all(shapely.boundary(np.asarray(geoms, dtype=object))), outline.boundary.buffer(1.0)
    )
    if len(draw.in_view(ax, [inner])):
        draw.lines(
            ax, [inner], colors=county["edgecolor"], linewidths=lw_county, linestyles=[ls_county], zorder=6
        )
        items.add(line_handle(county["edgecolor"], lw_county, ls_county), county["legend"])
    if not labels:
        return
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for geom, name in zip(geoms, names):
        p = shapely.point_on_surface(geom)
        if x0 < p.x < x1 and y0 < p.y < y1:
            label(
                ax,
                sheet,
                name,
                (p.x, p.y),
                ha="center",
                va="center",
                fontsize=sheet.font("county_label"),
                color=county["label_color"],
                zorder=8,
            )


def locator(
    fig: Figure, sheet: Sheet, box: Box, geoms: Sequence[Any], extent: tuple[float, float, float, float]
) -> Any:
    """A locator inset: the whole city with the main map's extent outlined."""
    spec = style.get("layers", "locator")
    county = style.get("layers", "county_boundary")
    ax = fig.add_axes(sheet.fraction(box))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(sheet.pt(0.5))
    draw.polygons(
        ax, geoms, facecolor=county["facecolor"], edgecolor=county["edgecolor"], linewidth=sheet.pt(0.3)
    )
    x0, y0, x1, y1 = extent
    ax.add_patch(
        Rectangle(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            fill=False,
            edgecolor=spec["frame_color"],
            linewidth=sheet.pt(1.2),
            zorder=5,
        )
    )
    # The inset shows the city even when the main map is a small box: a dot marks where that box is.
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.plot([cx], [cy], marker="o", markersize=sheet.pt(3), color=spec["frame_color"], zorder=6)
    # Limits of the box's own shape, so that a metre is as long across as up (no aspect fitting).
    bx0, by0, bx1, by1 = shapely.total_bounds(np.asarray(geoms, dtype=object))
    per_mm = 1.1 * max((bx1 - bx0) / box.w, (by1 - by0) / box.h)
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    ax.set_xlim(cx - per_mm * box.w / 2, cx + per_mm * box.w / 2)
    ax.set_ylim(cy - per_mm * box.h / 2, cy + per_mm * box.h / 2)
    ax.set_title(spec["title"], fontsize=sheet.font("note"), pad=2)
    return ax


__all__ = [
    "GID_NORTH",
    "GID_SCALEBAR",
    "GID_STAMP",
    "Legend",
    "area_handle",
    "bar_length",
    "counties",
    "crs_note",
    "footer",
    "label",
    "legend",
    "line_handle",
    "locator",
    "marker_handle",
    "new_sheet",
    "north_arrow",
    "notes_block",
    "scale_bar",
    "stamp",
    "text_width",
    "title",
    "wrap",
]
