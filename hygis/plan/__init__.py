"""The plan's inputs: the embedded layers with their provenance, or the user's files in their place.

This room may import :mod:`hygis.io` and the foundation modules (errors, settings, crs, gcj02, geometry).

* :mod:`~hygis.plan.layers` — the embedded layers and their catalogue (source, licence, status);
* :mod:`~hygis.plan.inputs` — :func:`resolve`, the one resolver of the plan's inputs (:class:`PlanInputs`);
* :mod:`~hygis.plan.targets` — the plan's 2030/2035 targets;
* :mod:`~hygis.plan.build` and :mod:`~hygis.plan.illustrative` — build-time: the layers made from ``data/``.
"""

from __future__ import annotations

from hygis.plan.inputs import (
    LayerSource,
    PlanInputs,
    illustrative_banner,
    normalise_projects,
    resolve,
    resolve_layer,
)

__all__ = [
    "LayerSource",
    "PlanInputs",
    "illustrative_banner",
    "normalise_projects",
    "resolve",
    "resolve_layer",
]
