"""``hygis stats``: control-line areas by county, and the county tables (investment, projects, towns)."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import (
    area_method,
    area_options,
    echo_banner,
    out_option,
    plan_input_options,
    progress,
    resolve_plan_inputs,
    user_errors,
    workbook_lang,
)

TABLES = (".csv", ".xlsx")


@click.group("stats", short_help="Statistics tables: control-line areas by county, investment by county.")
def stats_group() -> None:
    """Statistics tables of the plan, by county-level unit (areas in CGCS2000 Gauss–Krüger)."""


@stats_group.command(
    "control-lines", short_help="Area of each control line per county and for the city (ha, 亩, km², %)."
)
@plan_input_options
@area_options
@out_option(None, TABLES, "table")
@workbook_lang
@user_errors
def control_lines_cmd(out: Path, lang: str, **kwargs) -> None:
    """三条控制线面积统计: the area of each control line in each of the county-level units and the
    whole city, in ha, 亩 and km², and as a share of the unit's land. Overlapping features of a
    line count once; a feature spanning two units is split at their border. A .csv holds one row
    per unit and line; an .xlsx adds the one-row-per-unit layout and an 'about' sheet.
    """
    from hygis.analysis import stats  # noqa: PLC0415 - keeps --help fast

    area = area_method(kwargs)
    inputs = resolve_plan_inputs(kwargs, out=out)
    progress("control-line areas by county")
    table = stats.control_line_stats(inputs, **area)
    path = stats.write_control_line_stats(table, out, lang=lang)
    echo_banner(table.attrs)
    city = table[table["level"] == "city"]
    for row in city.itertuples():
        click.echo(
            f"{row.line_zh} {row.line}: {row.area_ha:,.2f} ha = {row.area_mu:,.0f} 亩 "
            f"= {row.area_km2:,.2f} km² ({row.share_pct:.2f} % of {row.land_area_km2:,.1f} km²)"
        )
    click.echo(f"areas: {table.attrs['area_method']}; pieces cut in {table.attrs['crs']}")
    click.echo(f"written: {path}")


@stats_group.command(
    "counties", short_help="Investment by county and project group; projects and towns per county."
)
@plan_input_options
@click.option(
    "--investment-field",
    default="investment_yi",
    show_default=True,
    metavar="NAME",
    help="Column of the projects file holding the investment in 亿元.",
)
@out_option(None, TABLES, "table")
@workbook_lang
@user_errors
def counties_cmd(out: Path, investment_field: str, lang: str, **kwargs) -> None:
    """县域统计: investment (亿元) per county-level unit and per project group, and the number of
    projects and towns (county seats, featured towns) in each unit.

    A project spanning units is split by area (polygons) or length (lines); points go to the unit
    containing them; a project without a geometry but with county_code is split equally among the
    listed units; the rest is reported as unallocated, never dropped.
    """
    from hygis.analysis import counties  # noqa: PLC0415

    inputs = resolve_plan_inputs(kwargs, out=out)
    progress("investment by county and group; projects and towns per county")
    sheets = counties.county_report(inputs.projects, investment_field=investment_field)
    path = counties.write_county_report(sheets, out, lang=lang)
    table = sheets["by_county"]
    for row in table.itertuples():
        click.echo(f"{row.name:<16} {row.investment_yi:>10,.1f} 亿元")
    click.echo(f"written: {path}")
