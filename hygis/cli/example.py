"""``hygis example``: write the planner's session's example files (illustrative) into a folder."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import user_errors


@click.command(
    "example", short_help="Write the README's example files (三区三线.gdb, 报盘坐标.txt …), illustrative."
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="hygis-example")
@click.option("--force", is_flag=True, help="Replace example files already in DIRECTORY.")
@user_errors
def example_cmd(directory: Path, force: bool) -> None:
    """Write the files of the README's planner's session into DIRECTORY (default ./hygis-example):
    a 三区三线 database (.gdb), surveyors' parcels (坐标交换格式 .txt, 界址点 .xlsx) and change
    polygons (.gpkg). They are made up, and say so (README.txt); existing files are never
    overwritten without --force.
    """
    from hygis.plan.example import write_example  # noqa: PLC0415 - keeps hygis --help fast

    paths = write_example(directory, force=force)
    for path in paths.values():
        click.echo(f"written: {path}")
    click.echo(
        f"illustrative example data (not a real plan); next: cd {directory} && hygis layers --in 三区三线.gdb"
    )
