"""Entry point of the ``hygis`` command; each subcommand lives in its own module."""

from __future__ import annotations

import click

from hygis import __version__
from hygis.cli import (
    build,
    check,
    example,
    figure,
    index,
    layers,
    monitor,
    qa,
    raster,
    relocate,
    run,
    serve,
    stats,
    suitability,
    targets,
    urban,
    web,
    zonal,
)
from hygis.cli import map as map_
from hygis.cli.options import setup_logging
from hygis.memory import lean_allocators


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="hygis")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def cli(verbose: int, quiet: bool) -> None:
    """hygis — spatial planning toolkit, built first for Hengyang's 2026–2035 plan (衡阳市发展规划).

    Layers, control-line compliance checks (规划符合性审查), statistics and interactive maps.
    Every command runs on the plan's embedded layers by default; give your own files with
    --projects, --ecological-redline, --permanent-farmland and --urban-development-boundary.
    """
    setup_logging(verbose, quiet)
    lean_allocators()  # this process runs hygis's job and nothing else


# click's --help sorts them alphabetically; here they stand in the order of a planner's workflow.
for _command in (
    run.run_cmd,
    layers.layers_cmd,
    check.check_cmd,
    index.index_group,
    map_.map_cmd,
    figure.figure_cmd,
    stats.stats_group,
    qa.qa_group,
    urban.urban_cmd,
    targets.targets_cmd,
    raster.raster_group,
    zonal.zonal_cmd,
    suitability.suitability_cmd,
    relocate.relocate_cmd,
    monitor.monitor_group,
    build.build_cmd,
    example.example_cmd,
    serve.serve_cmd,
    web.web_cmd,
):
    cli.add_command(_command)
