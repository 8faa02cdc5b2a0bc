"""The overlap engine: exact areas of sites against a control layer (union semantics), fast.

This room may import only the foundation modules (errors, geometry); it knows nothing of files or plans.

* :mod:`~hygis.engine.overlap` — :func:`overlap`, :func:`disjoint_layer`, the local and dask engines;
* :mod:`~hygis.engine.clip` — the vectorised clipping kernels the engine runs on;
* :mod:`~hygis.engine.zones` — splitting features by zones (e.g. patches by county) and unions by group.
"""

from __future__ import annotations

from hygis.engine.overlap import Layer, disjoint_layer, overlap, overlap_dask
from hygis.engine.zones import NOISE_AREA_M2, clip_to_zones, measure, overlapping_pairs, union_area_by_group

__all__ = [
    "NOISE_AREA_M2",
    "Layer",
    "clip_to_zones",
    "disjoint_layer",
    "measure",
    "overlap",
    "overlap_dask",
    "overlapping_pairs",
    "union_area_by_group",
]
