"""hygis — spatial planning toolkit for Chinese prefecture-level plans (Hengyang 2026–2035 first).

Data flows one way through the rooms of the package::

    io (read/write files) → plan (the plan's inputs, resolved once) → engine (exact overlaps)
       → check / analysis / raster (the answers) → maps, reports;   cli (thin) calls them.

The names below are loaded on first use, so that ``import hygis`` (and ``hygis --help``) stays
fast: geopandas, folium and the engine load only when a routine needs them.

>>> import hygis
>>> sorted(hygis.layers.names())[:2]
['counties', 'ecological_redline']
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

from hygis.errors import HygisError, HygisInputError, HygisOutputError, HygisWarning

__version__ = "0.1.0"

# Public name → module that holds it (a module itself where the attribute is a module). The
# analyses moved into rooms in 0.2; their old top-level names stay as these aliases.
_LAZY: dict[str, str] = {
    "check_projects": "hygis.check.pipeline",
    "resolve": "hygis.plan.inputs",
    "PlanInputs": "hygis.plan.inputs",
    "analysis": "hygis.analysis",
    "check": "hygis.check",
    "counties": "hygis.analysis.counties",
    "crs": "hygis.crs",
    "dem": "hygis.raster.dem",
    "engine": "hygis.engine",
    "gcj02": "hygis.gcj02",
    "io": "hygis.io",
    "layers": "hygis.plan.layers",
    "maps": "hygis.maps",
    "monitor": "hygis.monitor",
    "plan": "hygis.plan",
    "qa": "hygis.analysis.qa",
    "raster": "hygis.raster",
    "relocate": "hygis.analysis.relocate",
    "report": "hygis.check.report",
    "stats": "hygis.analysis.stats",
    "suitability": "hygis.raster.suitability",
    "targets": "hygis.plan.targets",
    "urban": "hygis.analysis.urban",
    "zonal": "hygis.raster.zonal",
}

_FUNCTIONS = frozenset({"check_projects", "resolve", "PlanInputs"})

if TYPE_CHECKING:
    from hygis import analysis, check, crs, engine, gcj02, io, maps, monitor, plan, raster
    from hygis.analysis import counties, qa, relocate, stats, urban
    from hygis.check import report
    from hygis.check.pipeline import check_projects
    from hygis.plan import layers, targets
    from hygis.plan.inputs import PlanInputs, resolve
    from hygis.raster import dem, suitability, zonal


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        msg = f"module 'hygis' has no attribute '{name}'"
        raise AttributeError(msg)
    module = importlib.import_module(target)
    value = getattr(module, name) if name in _FUNCTIONS else module
    globals()[name] = value
    return value


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import hygis.stats`` (and the other modules that moved into rooms in 0.2) still works."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        name = fullname.removeprefix("hygis.")
        moved = name in _LAZY and name not in _FUNCTIONS and _LAZY[name] != fullname
        return (
            importlib.util.spec_from_loader(fullname, self)
            if fullname.startswith("hygis.") and moved
            else None
        )

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return importlib.import_module(_LAZY[spec.name.removeprefix("hygis.")])

    def exec_module(self, module: ModuleType) -> None:
        # The module ran under its new name; keep its own spec (the import system set the alias's).
        module.__spec__ = importlib.util.spec_from_file_location(module.__name__, module.__file__)


sys.meta_path.append(_MovedModules())


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "HygisError",
    "HygisInputError",
    "HygisOutputError",
    "HygisWarning",
    "PlanInputs",
    "__version__",
    "check_projects",
    "resolve",
    "analysis",
    "check",
    "counties",
    "crs",
    "dem",
    "engine",
    "gcj02",
    "io",
    "layers",
    "maps",
    "monitor",
    "plan",
    "qa",
    "raster",
    "relocate",
    "report",
    "stats",
    "suitability",
    "targets",
    "urban",
    "zonal",
]
