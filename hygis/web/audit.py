"""留痕: the append-only audit log of every review the web server made (JSON lines).

One line per execution: time (UTC), client address and user, process, each input's SHA-256,
the options, each output's SHA-256, the verdict counts, the duration, and the outcome (or the
refusal's message). Lines are only ever appended (``O_APPEND``, one ``write`` per line, under a
lock), never rewritten: the log is the office's record (GB/T 39972's 全过程自动强制留痕).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import pandas as pd

_LOCK = threading.Lock()

#: The columns ``hygis web --audit`` prints, in order.
COLUMNS = ("time", "client", "user", "process", "job", "status", "verdicts", "inputs", "duration_s")


def sha256(data: bytes | Path) -> str:
    """The SHA-256 of bytes or of a file's content (read in chunks).

    >>> sha256(b"hygis")[:16]
    '0610f11ef956f591'
    """
    digest = hashlib.sha256()
    if isinstance(data, Path):
        with data.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    else:
        digest.update(data)
    return digest.hexdigest()


def now() -> str:
    """The time of an entry: UTC, ISO 8601, milliseconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def append(path: Path, entry: dict[str, Any]) -> None:
    """Append one entry (a JSON line) to the log at ``path``; never rewrites what is there."""
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)


def read(path: Path) -> pd.DataFrame:
    """The log as a table, one row per entry (an unreadable line is kept, marked, not dropped)."""
    rows = []
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    rows.append({"time": "", "status": f"unreadable line {number}"})
    return pd.DataFrame(rows)


def table(path: Path) -> pd.DataFrame:
    """The log as ``hygis web --audit`` prints it: verdicts and inputs' hashes shortened."""
    df = read(path)
    if df.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    out = pd.DataFrame({c: df[c] if c in df.columns else "" for c in COLUMNS})

    def verdicts(v: Any) -> str:
        return ", ".join(f"{k}: {n}" for k, n in v.items()) if isinstance(v, dict) else ""

    def inputs(v: Any) -> str:
        return ", ".join(f"{k}={h[:12]}" for k, h in v.items()) if isinstance(v, dict) else ""

    out["verdicts"] = out["verdicts"].map(verdicts)
    out["inputs"] = out["inputs"].map(inputs)
    return out.fillna("")


__all__ = ["COLUMNS", "append", "now", "read", "sha256", "table"]
