"""Rasters: one aligned grid rule, Cloud-Optimized GeoTIFFs, the constraint raster, zonal statistics,
suitability and the DEM.

This room may import :mod:`hygis.plan`, :mod:`hygis.io` and the foundation modules.

* :mod:`~hygis.raster.grid` — :class:`Grid`, :func:`grid_for`, :func:`burn`;
* :mod:`~hygis.raster.cog` — reading with clear errors, writing COGs;
* :mod:`~hygis.raster.constraint_raster` — the control lines and counties burnt as bit flags;
* :mod:`~hygis.raster.zonal`, :mod:`~hygis.raster.suitability`, :mod:`~hygis.raster.dem`.
"""

from __future__ import annotations

from hygis.raster.cog import check_readable, cog_driver_available, open_raster, verify_cog, write_cog
from hygis.raster.constraint_raster import (
    CLASS_NODATA,
    CONTROL_LINE_BITS,
    ConstraintRaster,
    constraint_classes,
    constraint_raster,
    read_legend,
    write_constraints,
)
from hygis.raster.grid import MAX_CELLS, Grid, burn, grid_for

__all__ = [
    "CLASS_NODATA",
    "CONTROL_LINE_BITS",
    "MAX_CELLS",
    "ConstraintRaster",
    "Grid",
    "burn",
    "check_readable",
    "cog_driver_available",
    "constraint_classes",
    "constraint_raster",
    "grid_for",
    "open_raster",
    "read_legend",
    "verify_cog",
    "write_cog",
    "write_constraints",
]
