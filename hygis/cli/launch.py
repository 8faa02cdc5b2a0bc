"""What the ``hygis`` command runs first: a running ``hygis serve`` takes the command, else this process.

Kept free of heavy imports: when a server answers, this process only passes its command on.
"""

from __future__ import annotations

import sys


def main() -> None:
    """The ``hygis`` console script and ``python -m hygis``."""
    argv = sys.argv[1:]
    if argv and argv[0] != "serve":
        from hygis import server  # noqa: PLC0415

        code = server.forward(argv)
        if code is not None:
            sys.exit(code)
    from hygis.cli.main import cli  # noqa: PLC0415

    cli(prog_name="hygis")
