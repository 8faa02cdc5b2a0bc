"""``hygis suitability``: construction-development suitability (双评价 城镇建设适宜性)."""

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
    "suitability", short_help="Development suitability: weighted overlay with hard exclusions (COG + legend)."
)
@plan_input_options
@click.option(
    "--dem",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Your DEM (any CRS). Default: Copernicus GLO-30 tiles, from the cache or downloaded.",
)
@click.option("--no-download", is_flag=True, help="Do not download DEM tiles (use the cache only).")
@click.option(
    "--weights",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Weights file (JSON; start from a copy of data/suitability_weights.json).",
)
@click.option("--cell", type=float, default=100.0, show_default=True, help="Cell size in metres.")
@out_option(None, (".tif",), "Cloud-Optimized GeoTIFF of the classes")
@user_errors
def suitability_cmd(
    dem: Path | None, no_download: bool, weights: Path | None, cell: float, out: Path, **kwargs
) -> None:
    """Classify the city by suitability for construction: slope and elevation (with a DEM),
    distance to the central city, county seats and the urban development boundary, and from
    the red line, weighted and graded; the red line and permanent farmland are excluded.
    Writes OUT (.tif), OUT.csv (areas per class and county) and OUT.json (legend, factors, notes).
    Without a DEM the terrain factors are left out, and the outputs say so.
    """
    from hygis.raster.suitability import suitability, write_suitability  # noqa: PLC0415

    inputs = resolve_plan_inputs(kwargs, out=out)
    result = suitability(
        inputs, cell=cell, weights=weights, dem=dem, download_dem=not no_download, report=progress
    )
    paths = write_suitability(out, result)
    echo_notes(result.notes)
    click.echo(f"factors used: {', '.join(result.used)}")
    if result.left_out:
        click.echo(f"left out: {'; '.join(result.left_out)}")
    for name, path in paths.items():
        click.echo(f"{name}: {path}")
