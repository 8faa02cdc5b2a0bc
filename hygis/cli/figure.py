"""``hygis figure NAME``: a print figure (图名, 图例, 指北针, 比例尺 …) on A4/A3/A1, as PDF, PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import out_option, plan_input_options, progress, resolve_plan_inputs, user_errors
from hygis.constants import FIGURES


@click.command("figure", short_help="Print figure to the cartographic standard (A4/A3/A1; PDF, PNG, SVG).")
@click.argument("name", type=click.Choice(FIGURES))
@click.argument("project_id", required=False, metavar="[ID]")
@out_option(None, (".pdf", ".png", ".svg"), "figure", required=False)
@click.option(
    "--paper",
    type=click.Choice(("A4", "A3", "A1"), case_sensitive=False),
    default="A3",
    show_default=True,
    help="Paper (GB/T 148): the figure is that size, so the scale 1:N holds on the printed sheet.",
)
@click.option(
    "--orientation",
    type=click.Choice(("portrait", "landscape")),
    default=None,
    help="Default: the one that shows the map at the larger scale.",
)
@click.option("--dpi", type=click.IntRange(30, 1200), default=200, show_default=True, help="PNG resolution.")
@click.option("--unit", default=None, metavar="TEXT", help="编制单位, printed at the foot of the figure.")
@click.option(
    "--date", "date", default=None, metavar="TEXT", help="编制日期 (default: this month, e.g. 2026年12月)."
)
@click.option("--title", default=None, metavar="TEXT", help="Replace the figure's name (图名).")
@click.option(
    "--changes",
    "changes_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="monitor-warning: change polygons (as hygis monitor changes --changes). "
    "Default: illustrative example.",
)
@click.option("--year", type=int, default=None, help="monitor-warning: keep only this year's changes.")
@plan_input_options
@user_errors
def figure_cmd(
    name: str,
    project_id: str | None,
    out: Path | None,
    paper: str,
    orientation: str | None,
    dpi: int,
    unit: str | None,
    date: str | None,
    title: str | None,
    changes_path: Path | None,
    year: int | None,
    **kwargs,
) -> None:
    """Draw a print figure of the plan at a true scale on A4, A3 or A1.

    NAME is control-lines (市域国土空间控制线规划图), urban-system (城镇体系规划图), projects
    (重点项目布局图), project ID (the 审查 figure of one project) or monitor-warning (监测预警图).
    Each carries 图名, 图例, 指北针, 比例尺 1:N and a scale bar, the 坐标系, 编制单位 and 日期,
    and the illustrative stamp when a layer in use is not official. Default output: NAME.pdf.
    """
    if name == "project" and not project_id:
        raise click.UsageError("The project figure needs the project's id: hygis figure project P14.")
    if name != "project" and project_id:
        raise click.UsageError(f"'{project_id}': only the project figure takes an id.")
    from hygis.figures import figure, save_figure  # noqa: PLC0415 - matplotlib loads only for this command

    out = out or Path(f"{name}{'-' + str(project_id) if project_id else ''}.pdf")
    crs = kwargs.get("crs")  # also the CRS of a change file that has none
    inputs = resolve_plan_inputs(kwargs, out=out)
    progress(f"figure {name} on {paper.upper()}")
    fig = figure(
        name,
        inputs,
        paper=paper.upper(),
        orientation=orientation,
        unit=unit,
        date=date,
        title=title,
        project_id=project_id,
        changes=changes_path,
        changes_crs=crs,
        year=year,
    )
    info = fig.hygis
    click.echo(
        f"{info.name}: 1:{info.scale} on {info.sheet.paper} {info.sheet.orientation}"
        + ("; 示意数据 illustrative layers stamped" if info.stamp is not None else "")
    )
    click.echo(str(save_figure(fig, out, dpi=dpi)))
