"""The text encoding of a Shapefile's attributes (.dbf) when no .cpg says it."""

from __future__ import annotations

import struct

from hygis.settings import DBF_FALLBACK_ENCODINGS


def detect_dbf_encoding(dbf: bytes) -> str | None:
    """Detect the text encoding of a dBASE (.dbf) file's records.

    Returns ``None`` where the records are plain ASCII (any encoding reads them), else the
    first of UTF-8 and GB18030 (a superset of GBK/GB2312) that decodes every record.

    Parameters
    ----------
    dbf : bytes
        The whole .dbf file.
    """
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
