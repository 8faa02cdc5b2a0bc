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

>>> give_back()  # nothing to give back here, and nothing changes
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from typing import Any


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` (None elsewhere: macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


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


__all__ = ["give_back"]
