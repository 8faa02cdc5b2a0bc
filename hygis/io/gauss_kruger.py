"""Which Gauss–Krüger CRS surveyors' coordinates are in, from what the file states.

Chinese survey coordinates are Gauss–Krüger metres with X the northing and Y the easting.
The easting often carries the zone number in front (``38512345.67`` = zone 38, 12 345.67 m
east of the false origin); the 坐标交换格式 header states the datum, the zone width (几度分带)
and the zone (带号). :func:`gk_crs` turns those facts into an EPSG CRS only when they are
unambiguous, and otherwise asks for ``--crs``. The EPSG code blocks live in
``data/gauss_kruger.json``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np
from pyproj import CRS

from hygis.errors import HygisInputError
from hygis.io.fields import normalise_name
from hygis.settings import DATA_DIR

#: A prefixed easting is the zone number times 10^6 plus the easting within the zone.
PREFIX_UNIT = 1_000_000.0

#: No Gauss–Krüger coordinate in metres reaches this (a prefixed easting is under 4.6e7, a
#: northing under 1e7): anything at or above it is a typing or export error, refused before any
#: arithmetic on it can overflow.
EASTING_LIMIT = 100_000_000.0

#: The datum assumed when a file states none: CGCS2000, required for new survey results
#: since 1 July 2018 (自然资源部).
DEFAULT_DATUM = "CGCS2000"


@functools.cache
def gk_systems() -> dict:
    """The EPSG blocks of Gauss–Krüger CRSs per datum and zone width, from ``data/gauss_kruger.json``."""
    return json.loads((DATA_DIR / "gauss_kruger.json").read_text(encoding="utf-8"))["datums"]


@dataclass(frozen=True)
class GKZone:
    """A Gauss–Krüger zone as a file states it.

    Attributes
    ----------
    datum : str
        ``"CGCS2000"``, ``"Xian 1980"`` or ``"Beijing 1954"``.
    width : int
        Zone width in degrees, 3 or 6.
    zone : int
        Zone number (3°: central meridian = 3 × zone; 6°: = 6 × zone − 3).
    prefixed : bool
        Whether eastings carry the zone number in front.
    """

    datum: str
    width: int
    zone: int
    prefixed: bool

    @property
    def central_meridian(self) -> int:
        """Central meridian in degrees east."""
        return 3 * self.zone if self.width == 3 else 6 * self.zone - 3

    def crs(self) -> CRS:
        """The EPSG CRS of this zone."""
        block = gk_systems()[self.datum][str(self.width)]
        first_epsg, first, last = block["prefixed" if self.prefixed else "central_meridian"]
        key = self.zone if self.prefixed else self.central_meridian
        step = 1 if self.prefixed else self.width
        if not first <= key <= last or (key - first) % step:
            what = f"zone {self.zone}" if self.prefixed else f"central meridian {self.central_meridian}°E"
            msg = (
                f"There is no {self.datum} {self.width}° Gauss–Krüger {what} in China. Give the CRS with "
                "--crs."
            )
            raise HygisInputError(msg)
        return CRS.from_epsg(first_epsg + (key - first) // step)

    def describe(self) -> str:
        """``"CGCS2000 3° zone 38 (CM 114°E), zone number in the easting"``."""
        tail = "zone number in the easting" if self.prefixed else "easting without zone number"
        return f"{self.datum} {self.width}° zone {self.zone} (CM {self.central_meridian}°E), {tail}"


def parse_datum(text: str | None) -> str | None:
    """The datum a 坐标系 entry names, or None if it names none hygis knows (or several).

    A listed name wins; otherwise a word that names one datum only (``keywords`` in
    ``data/gauss_kruger.json``), so that the template's own wording and its variants are read.

    >>> parse_datum("2000国家大地坐标系")
    'CGCS2000'
    >>> parse_datum("西安80坐标系"), parse_datum("1980西安国家大地坐标系"), parse_datum("1954年北京坐标系")
    ('Xian 1980', 'Xian 1980', 'Beijing 1954')
    >>> parse_datum("WGS 84") is None
    True
    """
    if not text:
        return None
    folded = normalise_name(text)
    pairs = [(normalise_name(a), datum) for datum, spec in gk_systems().items() for a in spec["names"]]
    for alias, datum in sorted(pairs, key=lambda p: -len(p[0])):
        if alias in folded:
            return datum
    named = {
        datum
        for datum, spec in gk_systems().items()
        for word in spec.get("keywords", [])
        if normalise_name(word) in folded
    }
    return named.pop() if len(named) == 1 else None


def datum_note(datum: str, *, source: str, parameters: str = "") -> str | None:
    """What the user must know about coordinates on a datum other than CGCS2000, or None for CGCS2000.

    Xian 1980 and Beijing 1954 coordinates are read in their own CRS. Moving them onto CGCS2000
    (where the control lines and official areas are) needs the local seven-parameter
    transformation (七参数) that the provincial surveying authority publishes; PROJ has none for
    China and falls back to placing them as if the datums coincided.

    Parameters
    ----------
    datum : str
        ``"CGCS2000"``, ``"Xian 1980"`` or ``"Beijing 1954"``.
    source : str
        The file, for the message.
    parameters : str
        The file's 转换参数 entry, as written.
    """
    if datum == DEFAULT_DATUM:
        return None
    given = [p for p in parameters.replace("，", ",").split(",") if p.strip()]
    said = (
        f"its 转换参数 ({parameters}) are not applied: hygis cannot tell their convention"
        if given
        else "the file gives no 转换参数"
    )
    return (
        f"{source}: coordinates are on the {datum} datum and are read in {datum}. Placing them on "
        "CGCS2000, where the control lines and the official areas are, needs the local seven-parameter "
        f"transformation (七参数) from the provincial surveying authority; {said}, and PROJ has none for "
        "China, so hygis places them as if the two datums coincided — tens of metres or more off on the "
        "ground. Official areas (用地报批, 规划符合性审查) must be in CGCS2000 (required since 1 July 2018): "
        "ask the surveyor for the CGCS2000 coordinates."
    )


def zone_of(crs: CRS | None) -> GKZone | None:
    """The :class:`GKZone` of an EPSG Gauss–Krüger CRS hygis knows, else None."""
    code = CRS(crs).to_epsg() if crs is not None else None
    if code is None:
        return None
    for datum, spec in gk_systems().items():
        for width in (3, 6):
            for kind, (first_epsg, first, last) in spec[str(width)].items():
                step = 1 if kind == "prefixed" else width
                n = (last - first) // step
                if first_epsg <= code <= first_epsg + n:
                    key = first + (code - first_epsg) * step
                    zone = key if kind == "prefixed" else (key // 3 if width == 3 else (key + 3) // 6)
                    return GKZone(datum, width, zone, kind == "prefixed")
    return None


def gk_crs(
    eastings: np.ndarray,
    *,
    datum: str | None = None,
    width: int | None = None,
    zone: int | None = None,
    source: str = "the file",
) -> tuple[CRS, str]:
    """Choose the Gauss–Krüger CRS of surveyed coordinates, only where it is unambiguous.

    Parameters
    ----------
    eastings : array of float
        The Y (east) coordinates in metres, as written in the file.
    datum : str, optional
        As stated (any alias in ``data/gauss_kruger.json``); CGCS2000 when not stated.
    width : int, optional
        Zone width stated (几度分带): 3 or 6.
    zone : int, optional
        Zone stated (带号). A value such as 111 or 114 is read as the central meridian.
    source : str
        The file, for messages.

    Returns
    -------
    (pyproj.CRS, str)
        The CRS and a sentence saying how it was chosen, for the notes.

    Raises
    ------
    HygisInputError
        If the eastings and the statements disagree, or do not fix the zone: the message
        asks for ``--crs``.

    Examples
    --------
    >>> crs, why = gk_crs(np.array([38512345.6]))
    >>> crs.to_epsg()
    4526
    >>> gk_crs(np.array([512345.6]), width=3, zone=38)[0].to_epsg()
    4547
    """
    ask = "Give the CRS with --crs (Python: crs=), e.g. EPSG:4526 for CGCS2000 3° zone 38 with prefix."
    east = np.asarray(eastings, dtype=float)
    east = east[np.isfinite(east)]
    if not len(east):
        msg = f"{source}: no coordinates to tell the Gauss–Krüger zone from. {ask}"
        raise HygisInputError(msg)
    named = parse_datum(datum) if datum else DEFAULT_DATUM
    if named is None:
        msg = (
            f"{source}: the coordinate system '{datum}' is not one hygis reads: it knows 2000国家大地坐标系 "
            "(CGCS2000), 1980西安国家大地坐标系 (Xian 1980) and 1954年北京坐标系 (Beijing 1954); a local "
            f"(independent) system must first be converted by the surveyor. {ask}"
        )
        raise HygisInputError(msg)
    said = (
        []
        if datum
        else [f"no datum stated: {DEFAULT_DATUM} assumed (required for survey results since 2018)"]
    )
    if width is not None and width not in (3, 6):
        msg = f"{source}: 几度分带 = {width}: Gauss–Krüger zones are 3° or 6° wide. {ask}"
        raise HygisInputError(msg)
    if zone is not None and zone >= 60:
        # 带号 written as the central meridian (e.g. 114) rather than the zone number.
        cm = int(zone)
        if width is None:
            # Every 6° central meridian (75, 81, …) is also a 3° one; only the others tell.
            width = 3 if cm % 3 == 0 and (cm + 3) % 6 else None
        if width is None:
            msg = (
                f"{source}: 带号 {cm} reads as a central meridian that both 3° and 6° zones have; state "
                f"几度分带. {ask}"
            )
            raise HygisInputError(msg)
        if (width == 3 and cm % 3) or (width == 6 and (cm + 3) % 6):
            msg = f"{source}: no {width}° zone has its central meridian at {cm}°E. {ask}"
            raise HygisInputError(msg)
        zone = cm // 3 if width == 3 else (cm + 3) // 6
        said.append(f"带号 {cm} read as the central meridian")

    wild = (east < 0) | (east >= EASTING_LIMIT)
    if wild.any():
        msg = (
            f"{source}: an easting of {east[wild][0]:g} m is no Gauss–Krüger easting in China (under "
            "1 000 000 m, or with the zone number in front, 13 000 000–46 000 000 m). Check the Y column "
            "(Y is the easting)."
        )
        raise HygisInputError(msg)
    prefixed = east >= PREFIX_UNIT
    if prefixed.any() and not prefixed.all():
        msg = (
            f"{source}: some eastings carry a zone number in front and some do not "
            f"(e.g. {east[prefixed][0]:.2f} and {east[~prefixed][0]:.2f}); a file holds one or the other. "
            f"{ask}"
        )
        raise HygisInputError(msg)
    if prefixed.all():
        prefixes = np.unique(np.floor(east / PREFIX_UNIT).astype(int))
        if len(prefixes) > 1:
            msg = (
                f"{source}: the eastings carry several zone numbers ({', '.join(map(str, prefixes))}); split "
                f"the file by zone. {ask}"
            )
            raise HygisInputError(msg)
        found = int(prefixes[0])
        found_width = 6 if 13 <= found <= 23 else 3 if 25 <= found <= 45 else None
        if found_width is None:
            msg = (
                f"{source}: the eastings start with {found}, which is no Gauss–Krüger zone in China (3°: "
                f"25–45, 6°: 13–23). {ask}"
            )
            raise HygisInputError(msg)
        if width is not None and width != found_width:
            msg = (
                f"{source}: the header says {width}° zones but the eastings start with {found}, a "
                f"{found_width}° zone. {ask}"
            )
            raise HygisInputError(msg)
        if zone is not None and zone != found:
            msg = f"{source}: the header says zone {zone} but the eastings start with {found}. {ask}"
            raise HygisInputError(msg)
        gk = GKZone(named, found_width, found, True)
        said.insert(0, f"zone {found} read from the eastings' prefix")
    else:
        if zone is None:
            msg = (
                f"{source}: the eastings carry no zone number and no zone (带号) is stated, so the central "
                "meridian is unknown. Give the CRS with --crs (Python: crs=): CGCS2000 3° zones without the "
                "zone number are EPSG:4534–4554, around Hengyang EPSG:4546 (CM 111°E, west of 112.5°E) or "
                "EPSG:4547 (CM 114°E, the city and the east)."
            )
            raise HygisInputError(msg)
        if width is None:
            width = 6 if 13 <= zone <= 23 else 3 if 25 <= zone <= 45 else None
            if width is None:
                msg = f"{source}: zone {zone} without a zone width (几度分带) could be 3° or 6°. {ask}"
                raise HygisInputError(msg)
        gk = GKZone(named, int(width), int(zone), False)
        said.insert(0, f"zone {zone} as stated, eastings without zone number")
    crs = gk.crs()
    note = f"{source}: coordinates read as EPSG:{crs.to_epsg()} ({gk.describe()}): {'; '.join(said)}."
    return crs, note
