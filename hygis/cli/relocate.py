"""``hygis relocate``: nearest site clear of the hard exclusions for conflicting projects."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import (
    echo_notes,
    out_option,
    plan_input_options,
    progress,
    resolve_plan_inputs,
    user_errors,
)


@click.command(
    "relocate",
    short_help="Suggest the nearest same-size site, clear of red line and farmland, "
    "for conflicting projects.",
)
@plan_input_options
@click.option(
    "--id",
    "ids",
    multiple=True,
    metavar="PROJECT_ID",
    help="Project(s) to relocate (repeatable). "
    "Default: every project touching the red line or permanent farmland.",
)
@click.option(
    "--max-distance", type=float, default=30_000.0, show_default=True, help="Search radius in metres."
)
@click.option(
    "--step",
    type=float,
    default=None,
    help="Search grid spacing in metres (default: a quarter of the footprint's width).",
)
@out_option(
    None,
    (".gpkg", ".geojson", ".csv", ".xlsx", ".txt"),
    "suggestions (.txt: the moved footprints as 坐标交换格式)",
)
@user_errors
def relocate_cmd(ids: tuple[str, ...], max_distance: float, step: float | None, out: Path, **kwargs) -> None:
    """For each project that conflicts with the ecological red line or permanent farmland,
    find the nearest place in its county where the same footprint (translated, same
    orientation) touches neither; report the distance, direction and new footprint.
    """
    from hygis.analysis.relocate import suggest_relocation, write_relocations  # noqa: PLC0415
    from hygis.plan.inputs import illustrative_banner  # noqa: PLC0415

    inputs = resolve_plan_inputs(kwargs, out=out)
    progress("searching for sites")
    result = suggest_relocation(
        inputs.projects, list(ids) or None, inputs, max_distance_m=max_distance, step_m=step
    )
    banner = illustrative_banner(inputs)
    if banner:
        echo_notes([banner])
    for row in result.itertuples():
        extra = f" {row.distance_m:,.0f} m {row.direction}" if row.status == "relocated" else ""
        click.echo(f"{row.project_id} {row.name}: {row.status}{extra}")
    path = write_relocations(result, out)
    click.echo(f"suggestions: {path}")
