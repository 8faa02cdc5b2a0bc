"""Giving memory back to the system between the steps of a large job.

A check of 10⁵ projects frees hundreds of MB between its steps (the features read to prepare a
layer, the sites' pieces once every line is measured, pyarrow's tables). Freed is not given back:

* pyarrow's allocator (mimalloc or jemalloc) keeps the pages of the tables it decoded for its
  next table, and nothing else in the process allocates from it;
* glibc's malloc keeps freed small blocks in the arena of the thread that allocated them; the
  engine's threads allocate from arenas of their own, so what the main thread freed stays held
  beside what they take.

:func:`give_back` returns both to the system (Linux with glibc; elsewhere pyarrow's pool only,
as other allocators return memory by themselves). It costs milliseconds and changes no result.

:func:`lean_allocators` is for a process that runs hygis's jobs and nothing else (the ``hygis``
command): the allocators return large freed blocks at once instead of keeping them for later.

>>> give_back()  # nothing to give back here, and nothing changes
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from typing import Any

#: glibc's ``mallopt`` parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Blocks from this size (bytes) are mapped on their own and unmapped when freed; the free top
#: of the heap beyond twice that is returned at once (see :func:`lean_allocators`).
MMAP_THRESHOLD = 1 << 20


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    """glibc (None elsewhere: macOS, Windows, musl, where the functions below do not exist)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` (None elsewhere)."""
    libc = _libc()
    return None if libc is None else libc.malloc_trim


def lean_allocators() -> None:
    """Have the allocators give large freed blocks back at once, for the rest of the process.

    * glibc raises its threshold for mapping a block on its own as soon as one such block is
      freed (up to 32 MB), so that a job's arrays of a few MB each, once freed, stay in the heap
      for later and count in its memory. A fixed threshold (:data:`MMAP_THRESHOLD`) maps them on
      their own and unmaps them when they are freed: ~30 MB less at the peak of a check of
      2·10⁵ patches × 5·10⁴ projects, at the cost of a few page faults.
    * pyarrow's own allocator (mimalloc or jemalloc) keeps the pages of the tables decoded so far
      for tables to come (~40 MB after reading that farmland layer); the system allocator gives
      them back with the rest.

    For a process that runs hygis's jobs only (the ``hygis`` command calls it): a notebook that
    imports hygis keeps its allocators as they are. A pool chosen with ``ARROW_DEFAULT_MEMORY_POOL``
    is kept. Changes no result.

    In a process of its own (it changes the process's allocators for good):

    >>> import subprocess, sys
    >>> code = ("from hygis.memory import lean_allocators; lean_allocators(); "
    ...         "import pyarrow; print(pyarrow.default_memory_pool().backend_name)")
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
    'system'
    """
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD)
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is None:
        # Read by Arrow when it first allocates: set now, it costs no import (a command that
        # reads no Parquet never loads pyarrow).
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    elif os.environ.get("ARROW_DEFAULT_MEMORY_POOL") in (None, "system"):
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def give_back(*, arenas: bool = True) -> None:
    """Return to the system the memory freed so far that the allocators still hold.

    pyarrow's pool (if pyarrow is loaded) releases its unused pages; with ``arenas``, glibc's
    ``malloc_trim(0)`` returns the free pages of every arena, the engine's threads' as well as
    the main one's (20–80 ms on a heap of a few hundred MB: between a job's large steps, not after
    every small one; what the main thread freed it reuses itself without).
    """
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()
    trim = _malloc_trim() if arenas else None
    if trim is not None:
        trim(0)


__all__ = ["give_back", "lean_allocators"]
