"""Print figures to the elements of the 国土空间规划 cartographic standard, on A4, A3 or A1.

``hygis figure NAME`` and, in Python::

    from hygis.figures import figure, save_figure
    fig = figure("control-lines", paper="A3")
    save_figure(fig, "控制线.pdf")

Each figure carries 图名, 图例 (only what is drawn), 指北针, a numeric scale and a scale bar true
at the paper's size, the 坐标系 note, 编制单位 and 日期, the county boundaries and names, and the
illustrative stamp whenever a layer in use is not official. Matplotlib is imported only here,
not by ``import hygis``.
"""

from __future__ import annotations

from hygis.figures.layout import ORIENTATIONS, PAPERS, Sheet, measured_scale
from hygis.figures.output import FORMATS, save_figure
from hygis.figures.plates import NAMES, FigureInfo, figure

__all__ = [
    "FORMATS",
    "NAMES",
    "ORIENTATIONS",
    "PAPERS",
    "FigureInfo",
    "Sheet",
    "figure",
    "measured_scale",
    "save_figure",
]
