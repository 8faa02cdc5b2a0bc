"""What the ``hygis`` command runs first: a running ``hygis serve`` takes the command, else this process.

Kept free of heavy imports: when a server answers, this process only passes its command on
(:mod:`hygis.serve.client`, standard library only). How the process ends: :mod:`hygis.cli.teardown`.
"""

from __future__ import annotations

import os
import sys

from hygis.cli import teardown


def main() -> None:
    """The ``hygis`` console script and ``python -m hygis``."""
    argv = sys.argv[1:]
    if argv and argv[0] not in ("serve", "web"):  # the servers themselves run here
        from hygis.serve import client  # noqa: PLC0415 - standard library only: a served command costs no more

        code = client.forward(argv)
        if code is not None:
            sys.exit(code)
    try:
        os.getcwd()
    except OSError:  # every relative path, and Python's own, would fail later with a traceback
        print(
            "hygis: the current folder no longer exists (deleted or moved): "
            "cd into a folder and run the command again.",
            file=sys.stderr,
        )
        sys.exit(2)
    from hygis.cli.main import cli  # noqa: PLC0415

    teardown.enable()
    try:
        cli(prog_name="hygis")
    except SystemExit as exc:
        if not isinstance(exc.code, int | None):
            raise
        teardown.leave(exc.code or 0)
    teardown.leave(0)
