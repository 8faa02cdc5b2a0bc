"""Files in and out: reading planners' files (repaired on read) and writing outputs atomically.

This room may import only :mod:`hygis.errors`, :mod:`hygis.messages`, :mod:`hygis.settings`,
:mod:`hygis.crs`, :mod:`hygis.gcj02` and :mod:`hygis.geometry`; everything downstream reads files through it.

* :mod:`~hygis.io.read` — :func:`read_vector`, the one reader of vector files;
* :mod:`~hygis.io.encoding` — a Shapefile's attribute encoding;
* :mod:`~hygis.io.tables` — tables with coordinate columns;
* :mod:`~hygis.io.repair` — repair on read and coordinate sanity checks;
* :mod:`~hygis.io.write` — atomic writers that never replace an input.
"""

from __future__ import annotations

from hygis.io.encoding import detect_dbf_encoding
from hygis.io.read import NOTES_ATTR, VECTOR_SUFFIXES, read_vector
from hygis.io.repair import check_coordinates, clean_geometries, feature_labels
from hygis.io.tables import TABLE_SUFFIXES, X_COLUMNS, Y_COLUMNS, read_table_points
from hygis.io.write import (
    NOTICE_SHEET,
    TABLE_FORMATS,
    atomic_path,
    guard_not_input,
    output_suffix,
    register_inputs,
    write_layers,
    write_table,
    write_text,
    write_vector,
)

__all__ = [
    "NOTES_ATTR",
    "NOTICE_SHEET",
    "TABLE_FORMATS",
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "X_COLUMNS",
    "Y_COLUMNS",
    "atomic_path",
    "check_coordinates",
    "clean_geometries",
    "detect_dbf_encoding",
    "feature_labels",
    "guard_not_input",
    "output_suffix",
    "read_table_points",
    "read_vector",
    "register_inputs",
    "write_layers",
    "write_table",
    "write_text",
    "write_vector",
]
