"""A Windows desk simulated on Linux, for .ci/run's second pytest run (issue 23).

Put this folder on PYTHONPATH and set ``HYGIS_SIMULATE_WINDOWS=1``: every Python process then
starts without ``os.fork`` (as on Windows) and with multiprocessing knowing only ``spawn``, so
that any code path that still needs fork fails the run instead of passing here and breaking on a
planner's desk. Without the variable this file does nothing.
"""

import os

if os.environ.get("HYGIS_SIMULATE_WINDOWS") == "1":
    for _name in ("fork", "forkpty"):
        if hasattr(os, _name):
            delattr(os, _name)

    import multiprocessing
    import multiprocessing.context

    def _spawn_only(*_args, **_kwargs):
        return ["spawn"]

    multiprocessing.get_all_start_methods = _spawn_only
    multiprocessing.context.BaseContext.get_all_start_methods = _spawn_only  # type: ignore[method-assign]
    multiprocessing.set_start_method("spawn", force=True)
