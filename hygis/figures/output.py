"""Writing a figure: PDF (every font embedded), PNG or SVG, atomically, never onto an input."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hygis import io
from hygis.figures import style

#: The formats a figure is written in; the suffix picks.
FORMATS = (".pdf", ".png", ".svg")
#: Resolution of a PNG unless told (dots per inch); PDF and SVG are vector.
DEFAULT_DPI = 200


def save_figure(fig: Any, path: str | os.PathLike, *, dpi: int | None = None) -> Path:
    """Write a figure of :func:`hygis.figures.figure` to ``path`` (.pdf, .png or .svg), atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path
        The suffix picks the format. A PDF embeds a subset of every font it uses (TrueType as
        CID TrueType, OpenType/CFF as Type 3: see :func:`hygis.figures.style.cjk_font`); an SVG
        draws its text as outlines.
    dpi : int, optional
        PNG resolution (default :data:`DEFAULT_DPI`); for PDF and SVG, that of the few raster
        parts (none in hygis's figures).

    Returns
    -------
    Path
        The file written.
    """
    target, suffix = io.output_suffix(path, FORMATS, "a figure")
    metadata: dict[str, Any] = {"Creator": "hygis"}
    if suffix == ".pdf":
        # A fixed date: the same figure gives the same bytes (reproducible from one command).
        metadata["CreationDate"] = None
    if suffix == ".svg":
        metadata = {"Date": None}
    if suffix == ".png":
        metadata = {"Software": "hygis"}
    with style.drawing(), io.atomic_path(target) as tmp:
        fig.savefig(tmp, format=suffix[1:], dpi=dpi or DEFAULT_DPI, metadata=metadata)
    return target.resolve()


__all__ = ["DEFAULT_DPI", "FORMATS", "save_figure"]
