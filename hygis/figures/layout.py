"""The sheet of a print figure: paper, frame, title, map frame and panel, and a map at a true scale.

A figure is drawn on a matplotlib ``Figure`` the size of the paper (A4/A3/A1, GB/T 148), so one
millimetre of the figure is one millimetre of print. The map is drawn in a Gauss–Krüger CRS
(metres, X and Y alike) and its axes limits are set from the scale: the map frame ``w`` mm wide
shows ``w × N / 1000`` metres of ground at 1:N, exactly, whatever the data's shape.

>>> sheet = Sheet.make("A3", "landscape")
>>> sheet.width_mm, sheet.height_mm
(420.0, 297.0)
>>> round_scale(123_456)
150000
>>> round_scale(200_000)
200000
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hygis.errors import HygisInputError
from hygis.figures import style

#: The papers a figure is printed on, and the two orientations.
PAPERS = ("A4", "A3", "A1")
ORIENTATIONS = ("landscape", "portrait")


@dataclass(frozen=True)
class Box:
    """A rectangle on the sheet in mm, from the sheet's lower-left corner."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w

    def inset(self, d: float) -> Box:
        return Box(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)


@dataclass(frozen=True)
class Sheet:
    """One paper in one orientation, and where the parts of a figure go on it (all in mm).

    Attributes
    ----------
    paper, orientation : str
    width_mm, height_mm : float
    factor : float
        Lengths of the layout relative to A3 (the paper's short side ÷ 297).
    """

    paper: str
    orientation: str
    width_mm: float
    height_mm: float
    factor: float

    @classmethod
    def make(cls, paper: str = "A3", orientation: str = "landscape") -> Sheet:
        """The sheet of ``paper`` (A4, A3, A1) in ``orientation`` (landscape, portrait)."""
        key = str(paper).upper()
        if key not in PAPERS:
            msg = f"Paper '{paper}' is not one of {', '.join(PAPERS)}."
            raise HygisInputError(msg)
        if orientation not in ORIENTATIONS:
            msg = f"Orientation '{orientation}' is not one of {', '.join(ORIENTATIONS)}."
            raise HygisInputError(msg)
        long, short = (float(v) for v in style.get("papers_mm", key))
        w, h = (long, short) if orientation == "landscape" else (short, long)
        return cls(key, orientation, w, h, short / 297.0)

    # ------------------------------------------------------------------ sizes
    def mm(self, name: str) -> float:
        """A layout length of ``data/figure_styles.json`` (mm at A3), on this paper."""
        return float(style.get("layout", name)) * self.factor

    def pt(self, value: float) -> float:
        """A font size or line width (pt at A3) on this paper: scaled less than lengths, so that
        text on A4 stays legible and on A1 does not shout."""
        return float(value) * self.factor**0.8

    def font(self, name: str) -> float:
        """A font size of the layout table (pt), on this paper."""
        return self.pt(style.get("layout", "font_pt", name))

    def line(self, width_mm: float) -> float:
        """A line width given in mm on A3, in points on this paper."""
        return self.pt(float(width_mm) * style.PT_PER_MM)

    @property
    def figsize(self) -> tuple[float, float]:
        """The figure size in inches (matplotlib's unit)."""
        return self.width_mm / 25.4, self.height_mm / 25.4

    def fraction(self, box: Box) -> tuple[float, float, float, float]:
        """A box as ``(left, bottom, width, height)`` in figure fractions (for ``fig.add_axes``)."""
        return (box.x / self.width_mm, box.y / self.height_mm, box.w / self.width_mm, box.h / self.height_mm)

    # ------------------------------------------------------------------ parts
    @property
    def outer(self) -> Box:
        """The outer frame line (外图廓)."""
        m = self.mm("margin_mm")
        return Box(m, m, self.width_mm - 2 * m, self.height_mm - 2 * m)

    @property
    def content(self) -> Box:
        return self.outer.inset(self.mm("frame_gap_mm"))

    @property
    def title(self) -> Box:
        c = self.content
        h = self.mm("title_height_mm")
        return Box(c.x, c.top - h, c.w, h)

    @property
    def footer(self) -> Box:
        c = self.content
        return Box(c.x, c.y, c.w, self.mm("footer_height_mm"))

    @property
    def inner(self) -> Box:
        """The inner frame line (内图廓): around the map and the panel."""
        c = self.content
        bottom = self.footer.top
        return Box(c.x, bottom, c.w, self.title.y - bottom)

    @property
    def panel_side(self) -> str:
        """Where the legend panel stands: right of the map (landscape) or below it (portrait)."""
        return "right" if self.orientation == "landscape" else "bottom"

    @property
    def panel(self) -> Box:
        i = self.inner.inset(self.mm("gutter_mm"))
        if self.panel_side == "right":
            w = self.mm("panel_width_mm")
            return Box(i.right - w, i.y, w, i.h)
        h = self.mm("panel_height_mm")
        return Box(i.x, i.y, i.w, h)

    @property
    def map(self) -> Box:
        """The map frame: the axes the map is drawn in, at a true scale."""
        i = self.inner.inset(self.mm("gutter_mm"))
        g = self.mm("gutter_mm")
        p = self.panel
        if self.panel_side == "right":
            return Box(i.x, i.y, p.x - g - i.x, i.h)
        return Box(i.x, p.top + g, i.w, i.top - p.top - g)


# ---------------------------------------------------------------------- scale
def round_scale(needed: float) -> int:
    """The smallest round denominator (``data/figure_styles.json`` mantissas × 10^k) ≥ ``needed``."""
    if not math.isfinite(needed) or needed <= 0:
        msg = "Cannot choose a scale for an empty map extent."
        raise HygisInputError(msg)
    mantissas = sorted(float(m) for m in style.get("scale", "mantissas"))
    k = math.floor(math.log10(needed))
    for exp in (k, k + 1):
        for m in mantissas:
            value = m * 10**exp
            if value >= needed * (1 - 1e-9):
                return int(round(value))
    return int(round(mantissas[0] * 10 ** (k + 2)))  # pragma: no cover - the loop always returns


def fit_scale(bounds: tuple[float, float, float, float], box: Box, margin: float | None = None) -> int:
    """The round scale at which ``bounds`` (metres) fit ``box`` (mm) with ``margin`` to spare.

    Parameters
    ----------
    bounds : (minx, miny, maxx, maxy)
        Extent of what the map must show, in a metric CRS.
    box : Box
        The map frame on the sheet.
    margin : float, optional
        Share of the extent left free on each side (default ``layout.map_margin``).
    """
    pad = float(style.get("layout", "map_margin")) if margin is None else margin
    minx, miny, maxx, maxy = bounds
    w = max(maxx - minx, 1.0) * (1 + 2 * pad)
    h = max(maxy - miny, 1.0) * (1 + 2 * pad)
    return round_scale(max(w / (box.w / 1000), h / (box.h / 1000)))


def set_scale(ax: Any, centre: tuple[float, float], scale: int, box: Box) -> None:
    """Set the map axes' limits so that the frame ``box`` shows the ground at exactly 1:``scale``."""
    half_w = box.w / 1000 * scale / 2
    half_h = box.h / 1000 * scale / 2
    cx, cy = centre
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    # The limits already have the frame's shape: declaring the aspect changes nothing on the sheet
    # and tells the scale bar that a metre is as long across as up.
    ax.set_aspect("equal", adjustable="box")


def measured_scale(ax: Any) -> tuple[float, float]:
    """The map's scale as drawn, from the axes' place on the figure and their limits.

    Returns
    -------
    (Nx, Ny)
        Ground metres per metre of paper across and up the map; equal on a true map.
    """
    fig = ax.get_figure()
    w_in, h_in = fig.get_size_inches()
    pos = ax.get_position()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return (
        abs(x1 - x0) / (pos.width * w_in * 0.0254),
        abs(y1 - y0) / (pos.height * h_in * 0.0254),
    )


def orientation_for(bounds: tuple[float, float, float, float], paper: str) -> str:
    """The orientation that shows ``bounds`` at the larger scale (ties: landscape)."""
    scales = {o: fit_scale(bounds, Sheet.make(paper, o).map) for o in ORIENTATIONS}
    return min(ORIENTATIONS, key=lambda o: scales[o])


__all__ = [
    "PAPERS",
    "ORIENTATIONS",
    "Box",
    "Sheet",
    "round_scale",
    "fit_scale",
    "set_scale",
    "measured_scale",
    "orientation_for",
]
