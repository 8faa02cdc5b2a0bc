"""Where hygis finds its embedded data, and the defaults a user may change.

The embedded layers live in ``layers/`` and the source tables in ``data/`` at the top
of the repository; a wheel carries them inside the package as ``hygis/_layers`` and
``hygis/_data``. Both places are looked up here and nowhere else.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """hygis's user cache: ``$HYGIS_CACHE_DIR``, else the user cache folder (platformdirs).

    Prepared layers, the compiled kernel, coordinate operations, DEM tiles and the server's
    sockets are kept in folders of it; deleting it only costs the time to make them again.
    """
    env = os.environ.get("HYGIS_CACHE_DIR")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir  # noqa: PLC0415 - read once per command

        return Path(user_cache_dir("hygis"))
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return Path.home() / ".cache" / "hygis"


def keep_in_cache(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in the cache atomically (readers never see half a file); an
    unwritable cache is ignored: it only costs the work again next time."""
    # A name of this process and thread: two checks (or two threads) never share a temporary file.
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


#: Folders tested by :func:`cache_unwritable` in this process, and why they cannot be written.
_UNWRITABLE: dict[str, str | None] = {}


def cache_unwritable(folder: Path) -> str | None:
    """Why a file cannot be created in the cache folder ``folder`` (made if missing), or None if it can.

    Tested once per folder and process: a check runs without its cache rather than failing.
    """
    key = str(folder)
    if key not in _UNWRITABLE:
        probe = folder / f".probe-{os.getpid()}-{threading.get_ident()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
            _UNWRITABLE[key] = None
        except OSError as exc:
            _UNWRITABLE[key] = exc.strerror or type(exc).__name__
    return _UNWRITABLE[key]


def _first_existing(*candidates: Path) -> Path:
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[0]


#: Folder holding the embedded vector layers and ``catalog.json``.
LAYERS_DIR: Path = Path(
    os.environ.get("HYGIS_LAYERS_DIR")
    or _first_existing(_PACKAGE_DIR / "_layers", _PACKAGE_DIR.parent / "layers")
)

#: Folder holding the source tables (CSV) the layers are built from, and the rule/style tables.
DATA_DIR: Path = Path(
    os.environ.get("HYGIS_DATA_DIR") or _first_existing(_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent / "data")
)


#: Text encodings tried, in order, for a Shapefile's .dbf that has no .cpg. GB18030 is a
#: superset of GBK and GB2312, which Chinese offices' software writes by default.
DBF_FALLBACK_ENCODINGS: tuple[str, ...] = ("utf-8", "gb18030")
