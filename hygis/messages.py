"""How hygis words what it tells the user: lists of features in messages, and the notes channel."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from hygis.errors import HygisWarning


def few(labels: Iterable[object], n: int = 5) -> str:
    """At most ``n`` labels joined by commas, and how many more there are.

    >>> few(["J1", "J2", "J3"], n=2)
    'J1, J2 and 1 more'
    """
    values = [str(v) for v in labels]
    return ", ".join(values[:n]) + (f" and {len(values) - n} more" if len(values) > n else "")


def warn(
    message: str,
    notes: list[str] | None = None,
    *,
    category: type[HygisWarning] = HygisWarning,
    stacklevel: int = 2,
) -> str:
    """Tell the user something about a result, through hygis's one warning channel.

    The message is issued as a :class:`hygis.errors.HygisWarning` (Python users see it as a
    warning; the CLI prints it on stderr as ``warning: …``) and appended to ``notes``, the list
    a result carries in its ``attrs`` so that every report lists it.

    Parameters
    ----------
    message : str
        One or two sentences naming the file or layer, the feature and, where one exists, the fix.
    notes : list of str, optional
        The result's notes, to which the message is appended.
    category : subclass of HygisWarning
        A narrower category a caller can filter (e.g. :class:`hygis.raster.zonal.ZonalWarning`).
    stacklevel : int
        As :func:`warnings.warn`, counted from the caller of this function.

    Returns
    -------
    str
        The message, for chaining.
    """
    if notes is not None:
        notes.append(message)
    warnings.warn(message, category, stacklevel=stacklevel + 1)
    return message
