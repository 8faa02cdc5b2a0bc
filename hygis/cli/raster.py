"""``hygis raster``: rasters of the plan (``hygis raster constraints``)."""

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


@click.group(
    "raster", short_help="Rasters of the plan: the constraint raster (三条控制线 + counties) as a COG."
)
def raster_group() -> None:
    """Rasters of the plan on a CGCS2000 Gauss–Krüger grid, written as Cloud-Optimized GeoTIFFs."""


@raster_group.command(
    "constraints", short_help="Burn the three control lines and the counties onto one grid (COG)."
)
@plan_input_options
@click.option("--cell", type=float, default=30.0, show_default=True, help="Cell size in metres.")
@click.option(
    "--all-touched",
    is_flag=True,
    help="Burn every cell a control line touches (default: cells whose centre is inside).",
)
@out_option(None, (".tif",), "Cloud-Optimized GeoTIFF")
@user_errors
def constraints_cmd(cell: float, all_touched: bool, out: Path, **kwargs) -> None:
    """Write the constraint raster: band 1 the control lines as bit flags (1 red line,
    2 permanent farmland, 4 urban development boundary; 3, 5, 6, 7 overlaps; 255 outside the
    city), band 2 the county units (1 … 12). Class codes: data/constraint_classes.csv. A table
    of areas per county and class is written beside it (.csv).
    """
    from hygis import io, raster  # noqa: PLC0415

    inputs = resolve_plan_inputs(kwargs, out=out)
    progress(f"burning the control lines on a {cell:g} m grid")
    result = raster.constraint_raster(inputs, cell=cell, all_touched=all_touched)
    path = raster.write_constraints(out, result)
    table = io.write_table(result.summary(), out.with_suffix(".csv"))
    echo_notes(result.notes)
    click.echo(f"raster: {path}")
    click.echo(f"summary: {table}")
