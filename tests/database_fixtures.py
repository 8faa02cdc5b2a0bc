"""A 三区三线 database as a bureau delivers it: one .gdb or .gpkg, many layers, Chinese or code names.

Written by :func:`hygis.plan.example.write_database`, the writer of ``hygis example``'s database
(one implementation): the three lines are rectangles in CGCS2000 3° Gauss–Krüger zone 37
(EPSG:4525) near the parcels of :mod:`tests.survey_fixtures`, beside an administrative layer (XZQ),
a land-use layer and an attribute table, as real databases hold. Synthetic test data, not a real plan.
"""

from __future__ import annotations

from pathlib import Path

from hygis.plan import example

from .survey_fixtures import E0, N0

CRS = example.CRS
assert (E0, N0) == (example.E0, example.N0), "the parcels and the database share one origin"

#: Layer names of each line in the two naming styles databases use.
CHINESE = dict(example.LAYER_NAMES)
CODES = {
    "ecological_redline": "STBHHX",
    "permanent_farmland": "HY_YJJBNTBHTB_2023",
    "urban_development_boundary": "CZKFBJ",
}

#: Each line's rectangle (easting offset, northing offset, width, height) from (E0, N0), metres.
#: The red line covers the north half of parcel D1 (200 × 50 m less the hole's 40 × 10 m above the
#: half: 9 600 m²); the farmland covers all of D2 (5 400 m²); the development boundary all of D3 and
#: 10 × 90 m of the farmland (900 m², for the overlap QA). Stated here, where the tests' expected
#: areas come from, and checked against the example's.
BOXES = {
    "ecological_redline": (-100, 50, 350, 200),
    "permanent_farmland": (290, -10, 140, 110),
    "urban_development_boundary": (420, -20, 260, 100),
}
assert BOXES == example.BOXES


def write_database(
    path: Path, *, names: dict[str, str] = CHINESE, extra: dict[str, str] | None = None
) -> Path:
    """Write the database (driver by suffix: .gdb → OpenFileGDB, .gpkg → GPKG) and return its path."""
    return example.write_database(path, names=names, extra=extra, boxes=BOXES)
