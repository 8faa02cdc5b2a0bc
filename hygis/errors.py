"""Exceptions that carry a message meant for the user.

A :class:`HygisInputError` says what is wrong with which file or feature and how to fix it;
the CLI prints its message without a traceback. Anything else is a bug in hygis.
"""

from __future__ import annotations


class HygisError(Exception):
    """Base class of the errors hygis raises on purpose."""


class HygisInputError(HygisError, ValueError):
    """A user's input (file, option, table) cannot be used as given."""


class HygisOutputError(HygisError, OSError):
    """An output cannot be written where the user asked (e.g. it would overwrite an input)."""


class HygisWarning(UserWarning):
    """Something the user should know about a result: a repair, an assumption, a likely mistake.

    Issued through :func:`hygis.messages.warn`, which also records it with the result, so that
    Python users see a warning, the CLI prints it on stderr and every report lists it.
    """
