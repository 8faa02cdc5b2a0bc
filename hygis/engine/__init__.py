"""The overlap engine: exact areas of sites against a control layer (union semantics), fast.

This room may import only the foundation modules (errors, geometry); it knows nothing of files or plans.

* :mod:`~hygis.engine.overlap` — :func:`overlap`, :func:`disjoint_layer`, the local engine;
* :mod:`~hygis.engine.distributed` — :func:`overlap_dask`, the engine on a dask cluster, in tiles;
* :mod:`~hygis.engine.clip` — the vectorised clipping kernels the engine runs on;
* :mod:`~hygis.engine.regions` — splitting features by regions (e.g. patches by county) and unions by group.
"""

from __future__ import annotations

from hygis.engine.distributed import overlap_dask
from hygis.engine.overlap import Layer, disjoint_layer, overlap
from hygis.engine.regions import (
    NOISE_AREA_M2,
    measure,
    overlapping_pairs,
    split_by_regions,
    union_area_by_group,
)

__all__ = [
    "NOISE_AREA_M2",
    "Layer",
    "split_by_regions",
    "disjoint_layer",
    "measure",
    "overlap",
    "overlap_dask",
    "overlapping_pairs",
    "union_area_by_group",
]
