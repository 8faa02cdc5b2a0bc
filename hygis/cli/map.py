"""``hygis map``: the plan map, a theme map, or the compliance map, as one HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import out_option, plan_input_options, progress, resolve_plan_inputs, user_errors
from hygis.constants import BASEMAPS, MAP_THEMES


@click.command("map", short_help="Interactive web map of the plan (HTML; works offline).")
@out_option("maps/hengyang_plan.html", (".html",), "map")
@click.option(
    "--theme",
    type=click.Choice(MAP_THEMES),
    default=None,
    help="A chapter of the plan instead of the whole plan; 'investment' = investment by county.",
)
@click.option(
    "--check",
    "check",
    is_flag=True,
    help="The compliance map: each project's overlap with the three control lines, coloured by verdict.",
)
@click.option(
    "--basemap",
    type=click.Choice(BASEMAPS),
    default="osm",
    show_default=True,
    help="Tiles under the data. gaode/tencent are GCJ-02 (the data is shifted to match); tianditu needs "
    "the environment variable TIANDITU_KEY; none = no tiles, the counties as the base.",
)
@click.option(
    "--offline/--online",
    default=True,
    show_default=True,
    help="--offline inlines every script and stylesheet so the HTML needs no network (tiles excepted); "
    "--online links them from public CDNs (smaller file).",
)
@click.option(
    "--raster",
    "rasters",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Overlay a class raster written by 'hygis raster constraints' or 'hygis suitability' (repeatable).",
)
@click.option(
    "--no-analysis",
    is_flag=True,
    help="Leave out the analysis layers (county-seat service areas, control-line overlaps, targets panel).",
)
@plan_input_options
@user_errors
def map_cmd(
    out: Path,
    theme: str | None,
    check: bool,
    basemap: str,
    offline: bool,
    rasters: tuple[Path, ...],
    no_analysis: bool,
    **kwargs,
) -> None:
    """Write an interactive map of the plan as one HTML file (default maps/hengyang_plan.html).

    The plan map shows the 12 county units, the four-tier urban system, the three control
    lines and the key projects; illustrative layers say so on the map. Your files given
    with --projects and the control-line flags replace the embedded layers.
    """
    from hygis import maps  # noqa: PLC0415 - keeps --help fast

    if theme and check:
        raise click.UsageError("Choose --theme or --check, not both.")
    inputs = resolve_plan_inputs(kwargs, out=out)
    if check:
        from hygis.check.pipeline import check_projects  # noqa: PLC0415 - the compliance module

        progress("checking the projects against the control lines")
        m = maps.compliance_map(check_projects(inputs), inputs, basemap=basemap, offline=offline)
    elif theme:
        progress(f"theme map: {theme}")
        m = maps.theme_map(theme, inputs, basemap=basemap, offline=offline)
    else:
        progress("plan map")
        m = maps.plan_map(inputs, basemap=basemap, offline=offline, analysis=not no_analysis, rasters=rasters)
    path = maps.save(m, out)
    click.echo(str(path))
