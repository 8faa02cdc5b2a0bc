"""The text encoding of a Shapefile's attributes (.dbf), by the book.

The order GDAL itself follows, and so do Chinese offices' tools: a ``.cpg`` beside the file
says it (GDAL reads it; hygis passes nothing); else the dBASE header's language-driver byte
(LDID, offset 29; the table is ``data/dbf_language_drivers.csv``); else the records are decoded
by the first of UTF-8 and GB18030 (a superset of GBK/GB2312) that reads them all.
"""

from __future__ import annotations

import csv
import struct
from functools import lru_cache

from hygis.settings import DATA_DIR, DBF_FALLBACK_ENCODINGS

#: Offset of the language-driver byte in a dBASE header.
LDID_OFFSET = 29


@lru_cache(maxsize=1)
def language_drivers() -> dict[int, str]:
    """The dBASE language-driver ids hygis knows: LDID → Python/GDAL encoding name."""
    with open(DATA_DIR / "dbf_language_drivers.csv", encoding="utf-8", newline="") as fh:
        return {int(row["ldid"], 16): row["encoding"] for row in csv.DictReader(fh)}


def language_driver_encoding(dbf: bytes) -> str | None:
    """The encoding the .dbf header's language-driver byte declares (None: none, or unknown).

    >>> header = bytearray(32); header[29] = 0x4D
    >>> language_driver_encoding(bytes(header))
    'CP936'
    """
    if len(dbf) <= LDID_OFFSET:
        return None
    return language_drivers().get(dbf[LDID_OFFSET])


def detect_dbf_encoding(dbf: bytes) -> str | None:
    """The text encoding of a dBASE (.dbf) file that has no .cpg beside it.

    The language-driver byte's encoding when it declares one; else ``None`` where the records
    are plain ASCII (any encoding reads them), else the first of UTF-8 and GB18030 (a superset
    of GBK/GB2312) that decodes every record.

    Parameters
    ----------
    dbf : bytes
        The whole .dbf file.
    """
    declared = language_driver_encoding(dbf)
    if declared is not None:
        return declared
    if len(dbf) < 32:
        return None
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    body = dbf[header_len : header_len + n_records * record_len]
    if body.isascii():
        return None
    for enc in DBF_FALLBACK_ENCODINGS:
        try:
            body.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc.upper()
    return None
