"""Shared expectations of the monitor's tests."""

from __future__ import annotations

#: The columns issue 14 requires of the change table, one row per change polygon.
CHANGE_COLUMNS = (
    "change_id",
    "county_code",
    "class_before",
    "class_after",
    "area_ha",
    "redline_ha",
    "farmland_ha",
    "outside_udb_ha",
    "level",
    "rule",
)
