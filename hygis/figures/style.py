"""The print figures' cartography as data (``data/figure_styles.json``) and the font they embed.

Nothing in :mod:`hygis.figures` hard-codes a colour, a paper size or a font; colours shared with
the web maps come from :mod:`hygis.maps.styles`, so web and print use one palette.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from hygis.errors import HygisInputError
from hygis.messages import warn
from hygis.settings import DATA_DIR

STYLES_FILE = "figure_styles.json"

#: Points per millimetre (1 pt = 1/72 inch).
PT_PER_MM = 72 / 25.4


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    path = DATA_DIR / STYLES_FILE
    if not path.exists():
        msg = f"The figure style table {path} is missing: reinstall hygis."
        raise HygisInputError(msg)
    return json.loads(path.read_text(encoding="utf-8"))


def get(*keys: str) -> Any:
    """One entry of the figure style table, e.g. ``get("layers", "site", "edgecolor")``.

    >>> get("papers_mm", "A3")
    [420, 297]
    """
    node: Any = _load()
    for key in keys:
        node = node[key]
    return copy.deepcopy(node)


def dashes(spec: dict[str, Any], key: str, factor: float) -> tuple[float, tuple[float, ...]] | str:
    """A matplotlib linestyle from a dash pattern in mm (``spec[key]``), or ``"solid"``.

    matplotlib scales dash patterns by the line width; the pattern is given in mm on paper, so
    it is divided by the width here.
    """
    pattern = spec.get(key)
    if not pattern:
        return "solid"
    width_pt = max(float(spec.get("linewidth_mm", 0.3)) * PT_PER_MM * factor, 1e-3)
    return (0.0, tuple(float(v) * PT_PER_MM * factor / width_pt for v in pattern))


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str | None, int]:
    """The CJK font the figures use and the PDF font type that embeds it cleanly.

    Returns
    -------
    (family, fonttype)
        ``fonttype`` 42 (subset CID TrueType) for a TrueType font, 3 (subset Type 3) for an
        OpenType/CFF font such as Noto Sans CJK, whose type-42 embedding by matplotlib poppler
        reports as mismatched. ``(None, 42)`` when no CJK font is installed (a warning says so).
    """
    from fontTools.ttLib import TTFont  # noqa: PLC0415 - matplotlib's own dependency, loaded when drawing
    from matplotlib import font_manager  # noqa: PLC0415 - matplotlib loads only when a figure is drawn

    entries = {f.name: f for f in font_manager.fontManager.ttflist}
    for name in get("fonts", "cjk"):
        entry = entries.get(name)
        if entry is None:
            continue
        try:
            font = TTFont(entry.fname, fontNumber=0, lazy=True)
            truetype = "glyf" in font
            font.close()
        except Exception:  # an unreadable font file: try the next one
            continue
        return name, 42 if truetype else 3
    warn(
        "No CJK font found for the figures (Debian: apt-get install fonts-wqy-zenhei or fonts-noto-cjk): "
        "Chinese text would show as boxes."
    )
    return None, 42


def rc_params() -> Any:
    """matplotlib settings of every figure (a dict): the CJK font, its PDF embedding, reproducible output."""
    family, fonttype = cjk_font()
    families = [f for f in (family, get("fonts", "fallback")) if f]
    return {
        "font.family": families,
        "pdf.fonttype": fonttype,
        "ps.fonttype": 42,
        "svg.fonttype": "path",  # SVG text as outlines: renders without the font on the reader's machine
        "svg.hashsalt": "hygis",
        "axes.unicode_minus": False,  # the CJK fonts lack U+2212
        "hatch.linewidth": 0.5,
    }


@contextmanager
def drawing() -> Iterator[None]:
    """matplotlib's settings for drawing and saving a figure; font-lookup chatter kept off stderr."""
    import matplotlib  # noqa: PLC0415 - matplotlib loads only when a figure is drawn

    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    # A CJK font with one weight only makes findfont log a line per text ("using 500"): not news.
    logger.setLevel(logging.ERROR)
    try:
        with matplotlib.rc_context(rc_params()):
            yield
    finally:
        logger.setLevel(level)


__all__ = ["PT_PER_MM", "cjk_font", "dashes", "drawing", "get", "rc_params"]
