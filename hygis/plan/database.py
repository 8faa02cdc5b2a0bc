"""A whole 三区三线 database as delivered: find the three control lines in it by their layer names.

Plan results come as one File Geodatabase or GeoPackage with many layers (XZQ, 规划地类,
the three lines, tables …). :func:`find_control_lines` picks, for each line, the one polygon
layer whose name stands for it (by ``data/control_line_layers.csv``: 永久基本农田, YJJBNT,
YJJBNTBHTB …), says which, and refuses a line that several layers could be, listing them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from hygis.errors import HygisInputError
from hygis.io.layer_names import layer_aliases, layer_lines
from hygis.io.sources import list_layers, split_layer, with_layer

#: The CLI flag of each control line, for messages.
FLAGS = {
    "ecological_redline": "--ecological-redline",
    "permanent_farmland": "--permanent-farmland",
    "urban_development_boundary": "--urban-development-boundary",
}


def find_control_lines(
    database: str | os.PathLike, *, lines: Iterable[str] = tuple(FLAGS)
) -> tuple[dict[str, str], list[str]]:
    """Find the layers of the control lines in a plan database.

    Parameters
    ----------
    database : path-like
        A ``.gdb`` folder or a GeoPackage (any multi-layer source GDAL reads).
    lines : iterable of str
        The lines to look for (those the user has not given one by one).

    Returns
    -------
    (dict, list of str)
        ``{line: "plan.gdb:LAYER"}`` and one note per line saying which layer was taken.

    Raises
    ------
    HygisInputError
        If a line matches no polygon layer or several, with the layers and the flag that
        chooses one (``--permanent-farmland plan.gdb:LAYER``).
    """
    path, layer = split_layer(database)
    if layer is not None:
        msg = (
            f"--control-lines takes the whole database, not one layer ({layer}); give a layer per line with "
            f"{FLAGS['permanent_farmland']} {with_layer(path, layer)} and the like."
        )
        raise HygisInputError(msg)
    table = list_layers(path)
    polygons = table[table["geometry"].astype(str).str.contains("Polygon", case=False, na=False)]
    found: dict[str, str] = {}
    notes: list[str] = []
    for line in lines:
        candidates = [name for name in polygons["layer"] if line in layer_lines(name)]
        flag = FLAGS[line]
        if len(candidates) == 1:
            found[line] = with_layer(path, candidates[0])
            notes.append(
                f"{path.name}: {line.replace('_', ' ')} taken from layer {candidates[0]} (choose another "
                f"with {flag} {with_layer(path.name, 'LAYER')})."
            )
            continue
        listing = ", ".join(f"{r.layer} ({r.features} {r.geometry})" for r in table.itertuples())
        if not candidates:
            msg = (
                f"{path.name}: no polygon layer named like the {line.replace('_', ' ')} (e.g. "
                f"{_examples(line)}). "
                f"Its layers: {listing}. Choose one with {flag} {with_layer(path.name, 'LAYER')}."
            )
        else:
            msg = (
                f"{path.name}: several layers could be the {line.replace('_', ' ')}: "
                f"{', '.join(candidates)}. Choose one with {flag} {with_layer(path.name, candidates[0])} "
                "(or another of them)."
            )
        raise HygisInputError(msg)
    return found, notes


def _examples(line: str) -> str:
    return ", ".join(a.upper() if a.isascii() else a for a in layer_aliases()[line][:3])
