"""Where hygis finds its embedded data, and the defaults a user may change.

The embedded layers live in ``layers/`` and the source tables in ``data/`` at the top
of the repository; a wheel carries them inside the package as ``hygis/_layers`` and
``hygis/_data``. Both places are looked up here and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


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
