"""``hygis monitor``: monitoring and early warning (监测评估预警) — changes, indicators, projects."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import (
    echo_banner,
    echo_notes,
    out_option,
    plan_input_options,
    progress,
    resolve_plan_inputs,
    user_errors,
    workbook_lang,
)

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_html = click.Path(dir_okay=False, path_type=Path)


@click.group(
    "monitor",
    short_help="Monitoring and early warning: land-use changes, indicators, projects (监测评估预警).",
)
def monitor_group() -> None:
    """Is the plan being kept? Change polygons against the three control lines, the plan's
    indicators against their 2030/2035 targets, and the key projects against their investment.
    Without your files each command runs on hygis's illustrative example data, marked so.
    """


@monitor_group.command(
    "changes", short_help="Change polygons (变化图斑) against the three lines: warning levels."
)
@click.option(
    "--changes",
    "changes_path",
    type=_existing_file,
    default=None,
    help="Change polygons (国土变更调查 / 卫片执法), any GDAL vector format. Default: illustrative example.",
)
@click.option(
    "--year",
    type=int,
    default=None,
    help="Monitoring year: fills a file without a year field, or keeps only that year of a file with one.",
)
@click.option(
    "--id-field",
    default=None,
    metavar="NAME",
    help="Column of each change's id (default: TBBH, JCBH, BSM …).",
)
@click.option(
    "--class-before-field",
    default=None,
    metavar="NAME",
    help="Column of the class before (default: BGQDLBM, 变更前地类 …).",
)
@click.option(
    "--class-after-field",
    default=None,
    metavar="NAME",
    help="Column of the class after (default: BGHDLBM, 变更后地类 …).",
)
@click.option(
    "--year-field", default=None, metavar="NAME", help="Column of the year (default: BGNF, JCNF, 年度 …)."
)
@click.option(
    "--map", "map_path", type=_html, default=None, help="Also write the warning map (.html, offline)."
)
@click.option(
    "--workers", type=int, default=None, help="Processes for the overlap engine (default: every core)."
)
@plan_input_options
@out_option("monitor_changes.xlsx", (".csv", ".xlsx", ".gpkg", ".html"), "report")
@workbook_lang
@user_errors
def changes_cmd(
    changes_path: Path | None,
    year: int | None,
    id_field: str | None,
    class_before_field: str | None,
    class_after_field: str | None,
    year_field: str | None,
    map_path: Path | None,
    workers: int | None,
    out: Path,
    lang: str,
    **kwargs,
) -> None:
    """Measure each change polygon against the ecological red line, permanent basic farmland and
    the urban development boundary, and give it a warning level (红/橙/黄/无) by the rules of
    data/monitor_rules.csv. One row per change; per county and year totals; the trend.
    """
    from hygis.monitor import changes, example  # noqa: PLC0415 - keeps hygis --help fast

    crs = kwargs.get("crs")  # also the CRS of a change file that has none
    inputs = resolve_plan_inputs(kwargs, out=out)
    fields = {
        k: v
        for k, v in (
            ("change_id", id_field),
            ("class_before", class_before_field),
            ("class_after", class_after_field),
            ("year", year_field),
        )
        if v
    }
    if changes_path is None:
        progress("no --changes: illustrative example change polygons")
        source = example.example_changes(inputs=inputs)
    else:
        source = changes.read_changes(changes_path, year=year, crs=crs, fields=fields)
    result = changes.classify_changes(
        source, inputs, year=year if changes_path is None else None, workers=workers, progress=progress
    )
    path = changes.write_changes(result, out, lang=lang)
    echo_banner(result.attrs)
    echo_notes(result.attrs.get("notes", []))
    counts = result["level"].value_counts()
    click.echo(
        f"{len(result):,} change polygons; "
        + ", ".join(f"{k}: {int(v)}" for k, v in counts.items())
        + f"; areas in {result.attrs['area_crs']}"
    )
    click.echo(f"report: {path}")
    if map_path is not None:
        from hygis.maps import save  # noqa: PLC0415 - keeps hygis --help fast
        from hygis.maps.warning import warning_map  # noqa: PLC0415 - keeps hygis --help fast

        click.echo(f"map: {save(warning_map(result, inputs), map_path)}")


@monitor_group.command("indicators", short_help="Observed indicator values against the 2030/2035 targets.")
@click.option(
    "--values",
    "values_path",
    type=_existing_file,
    default=None,
    help="Observed values (.csv/.xlsx: 指标, 年度, 值, optional 县市区). Default: illustrative example.",
)
@click.option(
    "--county-targets",
    type=_existing_file,
    default=None,
    help="Targets split by county (indicator, county, target_2030, target_2035).",
)
@click.option(
    "--layers-year",
    type=int,
    default=None,
    help="The year the control-line layers show (their areas are filled in as indicators).",
)
@click.option(
    "--charts",
    "charts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write one chart per indicator into this folder.",
)
@click.option("--chart-format", type=click.Choice(["png", "svg"]), default="png", show_default=True)
@click.option(
    "--map",
    "map_path",
    type=_html,
    default=None,
    help="Also write a choropleth of one indicator's pace ratio per county (.html).",
)
@click.option(
    "--map-indicator",
    default=None,
    metavar="NAME",
    help="The indicator of --map (default: the first one given per county).",
)
@plan_input_options
@out_option("monitor_indicators.html", (".csv", ".xlsx", ".html"), "report (.html: the dashboard)")
@workbook_lang
@user_errors
def indicators_cmd(
    values_path: Path | None,
    county_targets: Path | None,
    layers_year: int | None,
    charts_dir: Path | None,
    chart_format: str,
    map_path: Path | None,
    map_indicator: str | None,
    out: Path,
    lang: str,
    **kwargs,
) -> None:
    """Each indicator's latest value, the annual pace its target needs from the 2025 baseline
    (compound for growth, linear for shares and rates), the pace achieved, and a status
    (已达标 / 正常 / 预警 / 滞后) by the thresholds of data/monitor_status.csv; per county where given.
    """
    from hygis.monitor import example, indicators  # noqa: PLC0415 - keeps hygis --help fast

    inputs = resolve_plan_inputs(kwargs, out=out)
    if values_path is None:
        progress("no --values: illustrative example values")
    values = example.example_values() if values_path is None else values_path
    progress("indicators against the targets (and the control-line areas)")
    table = indicators.assess_indicators(
        values, county_targets=county_targets, inputs=inputs, layers_year=layers_year
    )
    path = indicators.write_indicators(table, out, lang=lang)
    echo_banner(table.attrs)
    echo_notes(table.attrs.get("notes", []))
    city = table[table["county_code"] == ""]
    for row in city.itertuples():
        click.echo(f"{row.status or '—':4} {row.indicator}: {row.latest:,.2f} {row.unit} ({row.latest_year})")
    click.echo(f"report: {path}")
    if charts_dir is not None:
        from hygis.monitor.charts import write_charts  # noqa: PLC0415 - keeps hygis --help fast

        files = write_charts(table, charts_dir, fmt=chart_format)
        click.echo(f"charts: {len(files)} in {charts_dir.resolve()}")
    if map_path is not None:
        from hygis.maps import save  # noqa: PLC0415 - keeps hygis --help fast
        from hygis.maps.warning import indicator_map  # noqa: PLC0415 - keeps hygis --help fast

        click.echo(f"map: {save(indicator_map(table, map_indicator), map_path)}")


@monitor_group.command(
    "projects", short_help="Project progress against planned investment and the mid-term path."
)
@click.option(
    "--progress",
    "progress_path",
    type=_existing_file,
    default=None,
    help="Progress (.csv/.xlsx: 项目编号, 年度, 累计完成投资 or 年度完成投资 亿元, 阶段). "
    "Default: illustrative example.",
)
@click.option(
    "--map", "map_path", type=_html, default=None, help="Also write the map of projects by stage (.html)."
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the progress chart (.png or .svg).",
)
@plan_input_options
@out_option("monitor_projects.xlsx", (".csv", ".xlsx", ".html"), "report")
@workbook_lang
@user_errors
def projects_cmd(
    progress_path: Path | None,
    map_path: Path | None,
    chart_path: Path | None,
    out: Path,
    lang: str,
    **kwargs,
) -> None:
    """Each project's completed investment against its planned investment (the plan's 19 projects,
    2,430 亿元, or your --projects with investment_yi) and the mid-term path of
    data/monitor_settings.json; by group and by county; projects behind the path flagged.
    """
    from hygis.monitor import example, projects  # noqa: PLC0415 - keeps hygis --help fast

    inputs = resolve_plan_inputs(kwargs, out=out)
    if progress_path is None:
        progress("no --progress: illustrative example progress")
    source = example.example_progress(inputs=inputs) if progress_path is None else progress_path
    table = projects.assess_projects(source, inputs)
    path = projects.write_projects(table, out, lang=lang)
    echo_banner(table.attrs)
    echo_notes(table.attrs.get("notes", []))
    click.echo(
        f"{len(table)} projects: planned {table['planned_yi'].sum():,.0f} 亿元, completed "
        f"{table['invest_done_yi'].sum():,.1f} 亿元; behind the mid-term path: "
        + (", ".join(table.loc[table["behind"], "project_id"]) or "none")
    )
    click.echo(f"report: {path}")
    if chart_path is not None:
        from hygis.monitor.charts import write_projects_chart  # noqa: PLC0415 - keeps hygis --help fast

        click.echo(f"chart: {write_projects_chart(table, chart_path)}")
    if map_path is not None:
        from hygis.maps import save  # noqa: PLC0415 - keeps hygis --help fast
        from hygis.maps.warning import progress_map  # noqa: PLC0415 - keeps hygis --help fast

        click.echo(f"map: {save(progress_map(table, inputs), map_path)}")
