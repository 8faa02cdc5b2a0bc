"""``hygis run``: the main job — every standard output for the plan."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import plan_input_options, progress, resolve_plan_inputs, user_errors


@click.command("run", short_help="The main job: write every standard output (reports, maps) for the plan.")
@plan_input_options
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder that receives reports/ and maps/.",
)
@user_errors
def run_cmd(out_dir: Path, **kwargs) -> None:
    """Write the plan's standard outputs into OUT_DIR: the layer summary, the compliance
    report and the plan map (as those routines land), on the embedded layers or on your files.
    """
    from hygis import workflow  # noqa: PLC0415

    inputs = resolve_plan_inputs(kwargs)
    for name, path in workflow.run(out_dir, inputs, report=progress).items():
        click.echo(f"{name}: {path}")
