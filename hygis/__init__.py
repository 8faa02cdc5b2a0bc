"""hygis — spatial planning toolkit for Chinese prefecture-level plans (Hengyang 2026–2035 first).

The plan's layers with their provenance (:mod:`hygis.layers`), robust reading of planners'
files (:mod:`hygis.io`), the CRS rules (:mod:`hygis.crs`) and GCJ-02 correction
(:mod:`hygis.gcj02`), and the routines built on them.
"""

from __future__ import annotations

from . import crs, gcj02, io, layers, plan
from .errors import HygisError, HygisInputError, HygisOutputError
from .plan import resolve
from .check import check_projects

__version__ = "0.1.0"

__all__ = [
    "HygisError",
    "check_projects",
    "HygisInputError",
    "HygisOutputError",
    "crs",
    "gcj02",
    "io",
    "layers",
    "plan",
    "resolve",
    "__version__",
]
