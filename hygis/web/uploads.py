"""A planner's uploaded file, saved in its job's folder and nowhere else, or refused with a reason.

What is refused (:class:`UploadError`, answered with HTTP 4xx and the message):

* a file larger than the limit, or of a type hygis does not read;
* content that is not what the name says (a binary renamed ``.txt``, a ``.zip`` that is no
  zip): types are checked by content, never by name alone;
* a ``.zip`` with more members than the limit, a member named with an absolute path, a drive
  letter or ``..`` (zip-slip), or holding more than the limit once unpacked, or a member
  compressed more than the ratio limit (a zip bomb) — checked on the sizes the zip declares
  and again on the bytes actually unpacked, which a forged header cannot hide.

Member names of zips made on Chinese Windows are GBK without the UTF-8 flag; they are read as
GBK (GB18030), so that ``界址点.shp`` keeps its name.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from hygis.errors import HygisInputError

#: Suffixes hygis's readers take from a web upload, with what the content must look like.
KINDS = {
    ".txt": "text",
    ".csv": "text",
    ".geojson": "text",
    ".json": "text",
    ".kml": "kml",
    ".dxf": "dxf",
    ".zip": "zip",
    ".kmz": "zip",
    ".xlsx": "zip",
    ".xls": "ole",
    ".gpkg": "sqlite",
}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_UTF8_FLAG = 0x800
_CHUNK = 1 << 20
_SAFE_NAME = re.compile(r"^[^\x00-\x1f/\\:*?\"<>|]{1,120}$")


class UploadError(HygisInputError):
    """An upload refused: the message says why and what to send instead; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """How much an upload may be (from ``data/web.yml``'s ``limits``)."""

    max_bytes: int = 50 << 20
    max_members: int = 500
    max_unzipped: int = 500 << 20
    max_ratio: float = 200.0

    @classmethod
    def from_settings(cls, limits: dict) -> Limits:
        """From the ``limits`` mapping of :class:`hygis.web.config.WebSettings`."""
        return cls(
            max_bytes=int(float(limits["max_upload_mb"]) * (1 << 20)),
            max_members=int(limits["max_members"]),
            max_unzipped=int(float(limits["max_unzipped_mb"]) * (1 << 20)),
            max_ratio=float(limits["max_ratio"]),
        )


def safe_name(filename: str) -> str:
    """The file's own name, checked: no folder, drive, ``..`` or control character.

    >>> safe_name("界址点.txt")
    '界址点.txt'
    >>> safe_name("../../etc/passwd.txt")
    Traceback (most recent call last):
    ...
    hygis.web.uploads.UploadError: ../../etc/passwd.txt: a file name with a folder, a drive or '..' ...
    """
    name = str(filename or "").strip()
    if (
        not name
        or name in (".", "..")
        or ".." in name
        or not _SAFE_NAME.match(name)
        or PureWindowsPath(name).name != name
    ):
        msg = (
            f"{name}: a file name with a folder, a drive or '..' is refused; "
            "send the file itself (e.g. 界址点.txt)."
        )
        raise UploadError(msg)
    return name


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        msg = (
            f"{name}: hygis reads {', '.join(sorted(KINDS))} from the page (坐标交换格式 .txt, a zipped "
            "Shapefile, GeoPackage, KML/KMZ, DXF, 界址点 .xlsx); save the file as one of these."
        )
        raise UploadError(msg, status=415)
    return suffix


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:  # a character cut by the sample's end
                return True
    return False


def sniff(name: str, head: bytes) -> None:
    """Refuse content that is not what its suffix says (a binary as ``.txt``, a non-zip ``.zip``)."""
    kind = KINDS[_suffix(name)]
    ok = {
        "text": _is_text(head),
        "kml": _is_text(head) and b"<kml" in head.lower(),
        "dxf": _is_text(head) and b"SECTION" in head.upper(),
        "zip": head.startswith(_ZIP_MAGIC),
        "ole": head.startswith(_OLE_MAGIC),
        "sqlite": head.startswith(_SQLITE_MAGIC),
    }[kind]
    if not ok:
        what = {
            "text": "text (UTF-8 or GBK)",
            "kml": "a KML document",
            "dxf": "a DXF drawing",
            "zip": "a zip archive",
            "ole": "an Excel 97-2003 workbook",
            "sqlite": "a GeoPackage",
        }[kind]
        msg = f"{name}: the content is not {what}, as its name says; send the file itself, not a renamed one."
        raise UploadError(msg, status=415)


def member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as its maker wrote it: UTF-8 when flagged, else GBK (Chinese Windows)."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _member_parts(name: str) -> tuple[str, ...]:
    """The parts of a member's path, refusing absolute paths, drives and ``..``."""
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive or ":" in name:
        msg = f"zip member '{name}': an absolute path is refused (zip-slip); zip the files themselves."
        raise UploadError(msg)
    parts = tuple(p for p in re.split(r"[\\/]+", name) if p not in ("", "."))
    if ".." in parts:
        msg = (
            f"zip member '{name}': a '..' in a member's path is refused (zip-slip); zip the files themselves."
        )
        raise UploadError(msg)
    return parts


def check_zip(path: Path, limits: Limits, label: str) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """The members of the zip at ``path`` that are files, checked; :class:`UploadError` otherwise."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"{label}: not a readable zip ({exc}); zip the files again."
        raise UploadError(msg) from None
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.max_members:
        msg = f"{label}: {len(infos)} files in the zip, more than the {limits.max_members} allowed."
        raise UploadError(msg, status=413)
    total = 0
    members = []
    for info in infos:
        name = member_name(info)
        parts = _member_parts(name)
        if info.is_dir() or not parts:
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            msg = f"zip member '{name}': a symbolic link is refused; zip the files themselves."
            raise UploadError(msg)
        total += info.file_size
        if total > limits.max_unzipped:
            msg = (
                f"{label}: the zip unpacks to more than {limits.max_unzipped >> 20} MB; refused (zip bomb?)."
            )
            raise UploadError(msg, status=413)
        if info.file_size > limits.max_ratio * max(info.compress_size, 1) and info.file_size > _CHUNK:
            msg = (
                f"zip member '{name}': compressed {info.file_size / max(info.compress_size, 1):.0f}:1, "
                f"more than {limits.max_ratio:.0f}:1; refused as a zip bomb."
            )
            raise UploadError(msg, status=413)
        members.append((info, parts))
    return members


def unpack(path: Path, folder: Path, limits: Limits, label: str) -> Path:
    """Unpack the checked zip at ``path`` into ``folder`` (created), counting the bytes as written."""
    members = check_zip(path, limits, label)
    root = folder.resolve()
    written = 0
    with zipfile.ZipFile(path) as archive:
        for info, parts in members:
            target = root.joinpath(*parts).resolve()
            if root not in target.parents:
                msg = f"zip member '{'/'.join(parts)}': would be written outside the job's folder; refused."
                raise UploadError(msg)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("xb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > limits.max_unzipped:
                        msg = (
                            f"{label}: unpacks to more than {limits.max_unzipped >> 20} MB; "
                            "refused (zip bomb?)."
                        )
                        raise UploadError(msg, status=413)
                    dst.write(chunk)
    return folder


def save_upload(data: bytes, filename: str, folder: Path, limits: Limits) -> Path:
    """Save an uploaded file in ``folder`` (the job's) and give the path hygis's readers take.

    A ``.zip`` is checked and unpacked into ``folder/<name>.unzipped`` (a Shapefile and its
    companions); ``.kmz`` and ``.xlsx`` (zips themselves) are checked and kept whole.

    Raises
    ------
    UploadError
        With the reason, for every refusal listed in the module's docstring.
    """
    name = safe_name(filename)
    _suffix(name)
    if len(data) > limits.max_bytes:
        msg = f"{name}: {len(data) / (1 << 20):.1f} MB, more than the {limits.max_bytes >> 20} MB allowed."
        raise UploadError(msg, status=413)
    if not data:
        msg = f"{name}: the file is empty."
        raise UploadError(msg)
    sniff(name, data[:65536])
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(data)
    if KINDS[Path(name).suffix.lower()] == "zip":
        if Path(name).suffix.lower() == ".zip":
            return unpack(target, folder / f"{Path(name).stem}.unzipped", limits, name)
        check_zip(target, limits, name)
    return target


__all__ = [
    "KINDS",
    "Limits",
    "UploadError",
    "check_zip",
    "member_name",
    "safe_name",
    "save_upload",
    "sniff",
    "unpack",
]
