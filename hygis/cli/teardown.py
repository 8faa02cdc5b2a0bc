"""How a ``hygis`` process ends: its large results held, then left without the interpreter's teardown.

Apart from :mod:`hygis.cli.launch` (the entry point, which imports the command line) so that a
subcommand can hold its results (:func:`keep`) without importing the command line back.
"""

from __future__ import annotations

import atexit
import os
import sys

#: True in a ``hygis`` process, which ends with :func:`leave`; not where click runs in-process.
_LEAVING = False
_KEPT: list[object] = []


def keep(*objects: object) -> None:
    """Hold a command's large results until the process leaves, which frees nothing one by one.

    A check's inputs hold 10⁵ geometries: dropped when the command returns, they cost 0.07 s
    to free, for nothing. Held only in a ``hygis`` process, not where click runs inside another
    program (a test runner, a notebook), which goes on.
    """
    if _LEAVING:
        _KEPT.extend(objects)


def enable() -> None:
    """This is a ``hygis`` process that ends with :func:`leave` (not under a profiler or tracer)."""
    global _LEAVING
    _LEAVING = sys.getprofile() is None and sys.gettrace() is None


def leave(code: int) -> None:
    """Exit with ``code`` once the command is done, without the interpreter's teardown.

    A check leaves 10⁵–10⁶ geometries and arrays behind; freeing them one by one at exit costs
    0.2 s a command and changes nothing the user sees. What exit must still do is done first:
    the output streams flushed, the ``atexit`` handlers run (temporary folders, logging), and
    threads are hygis's own and already joined. Under a profiler or tracer (cProfile, pyinstrument,
    coverage), which reports once the program returns, the usual way out is kept (``_LEAVING``).
    """
    if not _LEAVING:
        sys.exit(code)
    try:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:  # a closed pipe (hygis … | head): let Python's own exit report it
        sys.exit(code)
    os._exit(code)
