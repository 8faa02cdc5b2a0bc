"""Where the memory of one ``hygis check`` goes: the process's memory at each step of the check.

Runs ``hygis check ARGS`` in this process (the CLI as a user runs it) while a thread samples the
process's memory every 10 ms (PSS where Linux reports it, else RSS), and wraps the check's steps
(reading a file, the validity test, preparing a control line, the sites, each line's overlap, the
judging, the 用地预审 figures, the report) so that each prints the memory when it starts, the peak
while it ran and the memory when it ended::

    python benchmarks/mem_check_phases.py --area planar --projects P.parquet \\
        --permanent-farmland F.parquet --out r.csv

Memory is the PSS (``--uss``: the USS). Cold (no prepared index in the cache) unless ``--warm``:
``$HYGIS_CACHE_DIR/layers`` is emptied first (give ``HYGIS_CACHE_DIR`` a folder of its own).
Threads (the engine's, the validity test's) are in the same process: their memory is in the
figures of the step that started them.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import psutil

PROC = psutil.Process()
T0 = time.perf_counter()


#: PSS by default, as bench_peers.py measures; ``--uss``: the pages this process alone holds, which
#: do not move with what other processes share of the libraries (steadier between runs).
KIND = "uss" if "--uss" in sys.argv else "pss"


def _mb() -> float:
    try:
        return getattr(PROC.memory_full_info(), KIND) / 2**20
    except (AttributeError, psutil.AccessDenied):
        return PROC.memory_info().rss / 2**20


class Sampler(threading.Thread):
    """The process's memory every 10 ms; ``peak`` since the last :meth:`mark`."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = self.overall = _mb()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            m = _mb()
            self.peak, self.overall = max(self.peak, m), max(self.overall, m)
            time.sleep(0.01)

    def mark(self) -> float:
        now = _mb()
        self.peak = now
        return now


SAMPLER = Sampler()
DEPTH = [0]

#: (module, function) of the steps watched; a function called inside another is printed indented.
STEPS = (
    ("hygis.plan.inputs", "resolve"),
    ("hygis.plan.inputs", "resolve_layer"),
    ("hygis.engine.index", "DeferredLayer._raw"),
    ("hygis.engine.index", "DeferredLayer._settle"),
    ("hygis.engine.index", "DeferredLayer.index"),
    ("hygis.engine.index", "LayerIndex.from_layer"),
    ("hygis.engine.index", "LayerIndex.save"),
    ("hygis.engine.index", "LayerIndex.load"),
    ("hygis.engine.overlap", "disjoint_layer"),
    ("hygis.engine.overlap", "Layer.__post_init__"),
    ("hygis.engine.overlap", "_split_large"),
    ("hygis.engine.validity", "is_valid"),
    ("hygis.engine.kernel", "simple_polygons"),
    ("hygis.check.measure", "overlap"),
    ("hygis.check.measure", "overlap_layers"),
    ("hygis.check.pipeline", "measure_together"),
    ("hygis.check.pipeline", "checked_projects"),
    ("hygis.check.pipeline", "area_settings"),
    ("hygis.check.pipeline", "project_sites"),
    ("hygis.check.pipeline", "typed_projects"),
    ("hygis.check.pipeline", "prepare_lines"),
    ("hygis.check.pipeline", "measure_lines"),
    ("hygis.check.pipeline", "measure_line"),
    ("hygis.check.pipeline", "judge_line"),
    ("hygis.check.pipeline", "preaudit_step"),
    ("hygis.check.pipeline", "with_figures"),
    ("hygis.check.pipeline", "assemble"),
    ("hygis.check.pipeline", "provenance"),
    ("hygis.check.pipeline", "check_projects"),
    ("hygis.check.report", "write_report"),
)


def _wrap(module: str, qualname: str) -> None:
    mod = importlib.import_module(module)
    owner, name = (
        (mod, qualname)
        if "." not in qualname
        else (getattr(mod, qualname.split(".")[0]), qualname.split(".")[1])
    )
    raw = owner.__dict__.get(name)
    if raw is None:  # not in this version of hygis
        return
    is_cm = isinstance(raw, classmethod)
    fn = raw.__func__ if is_cm else raw

    @functools.wraps(fn)
    def watched(*args, **kwargs):
        pad = "  " * DEPTH[0]
        before = SAMPLER.mark()
        t = time.perf_counter()
        print(f"{t - T0:7.2f} s {pad}> {qualname:<28} {before:7,.0f} MB", file=sys.stderr, flush=True)
        DEPTH[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            DEPTH[0] -= 1
            after, peak = _mb(), max(SAMPLER.peak, _mb())
            print(
                f"{time.perf_counter() - T0:7.2f} s {pad}< {qualname:<28} {after:7,.0f} MB "
                f"(peak {peak:,.0f}, {time.perf_counter() - t:.2f} s)",
                file=sys.stderr,
                flush=True,
            )
            SAMPLER.peak = max(SAMPLER.peak, peak)  # the caller's peak includes this step's

    setattr(owner, name, classmethod(watched) if is_cm else watched)


def main() -> None:
    args = sys.argv[1:]
    warm = "--warm" in args
    args = [a for a in args if a not in ("--warm", "--uss")]
    if not warm:
        root = Path(os.environ.get("HYGIS_CACHE_DIR", "")) / "layers"
        if os.environ.get("HYGIS_CACHE_DIR"):
            shutil.rmtree(root, ignore_errors=True)
    os.environ["HYGIS_SERVER"] = "0"
    SAMPLER.start()
    from hygis.cli.main import cli  # after the sampler starts: the imports count

    for module, qualname in STEPS:
        _wrap(module, qualname)
    print(f"imports done: {_mb():,.0f} MB", file=sys.stderr)
    try:
        cli.main(["check", *args], standalone_mode=False)
    finally:
        SAMPLER.stop.set()
        print(
            f"overall peak {SAMPLER.overall:,.0f} MB; wall {time.perf_counter() - T0:.2f} s", file=sys.stderr
        )


if __name__ == "__main__":
    main()
