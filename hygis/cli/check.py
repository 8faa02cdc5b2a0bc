"""``hygis check``: the control-line compliance check (规划符合性审查)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hygis.cli.options import (
    SOURCE,
    area_method,
    area_options,
    echo_banner_text,
    out_option,
    plan_input_options,
    progress,
    resolve_plan_inputs,
    user_errors,
)
from hygis.cli.teardown import keep
from hygis.constants import ENGINES, REPORT_FORMATS, REPORT_LANGS


@click.command("check", short_help="Check projects against the three control lines (规划符合性审查).")
@plan_input_options
@click.option(
    "--point-radius",
    "point_radius_m",
    type=float,
    default=None,
    metavar="M",
    help="Check point projects as discs of M metres (default: by containment only).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=None,
    help="local (the default): every core of this machine; dask: the same check on a dask cluster "
    "(--scheduler, else $DASK_SCHEDULER_ADDRESS, else dask on this machine; pip install 'hygis[dask]').",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on the dask.distributed cluster whose scheduler is at ADDRESS, e.g. tcp://10.0.0.5:8786 "
    "(`dask scheduler` there, `dask worker ADDRESS` on each machine): the control lines and the "
    "projects are cut in tiles, no worker holds a whole layer. Implies --engine dask.",
)
@click.option(
    "--workers", type=int, default=None, help="Processes for the local engine (default: every core)."
)
@click.option(
    "--relocate",
    is_flag=True,
    help="Also suggest, for each project in conflict with the red line or farmland, "
    "the nearest same-shape site in its county clear of both (a sheet/layer of the report).",
)
@click.option(
    "--counties",
    "counties_path",
    type=click.Path(exists=True, dir_okay=True, path_type=Path),
    default=None,
    help="County-level units (XZQ layer: XZQDM/XZQMC or code/name) to split each farmland and red-line "
    "overlap by, for 用地预审/补划. Default: the embedded units.",
)
@click.option(
    "--protected-areas",
    "protected_path",
    type=click.Path(exists=True, dir_okay=True, path_type=Path),
    default=None,
    help="自然保护地 (nature reserves, scenic areas …; fields name/名称, kind/类型, zone/功能分区): inside a "
    "核心保护区 only protection activities may take place, inside a reserve its own laws apply "
    "(自然资发〔2022〕142号 一(一)); said on the red-line rows.",
)
@click.option(
    "--no-preaudit",
    "no_preaudit",
    is_flag=True,
    help="Skip the 用地预审 figures (by county, land class, grade, patch list): verdicts and areas only, "
    "for very large batches.",
)
@click.option(
    "--land-use",
    "land_use_path",
    type=SOURCE,
    default=None,
    metavar="DLTB",
    help="The 三调 地类图斑 layer (e.g. 三调.gdb:DLTB: DLBM, QSXZ, KCXS): add each project's "
    "土地利用现状 table — area by 三大类 and 一级类, 耕地 and 永久基本农田, 国有/集体, 田坎 deducted "
    "by KCXS — to the report.",
)
@click.option(
    "--figures",
    "figures_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="A folder of project figures, one PNG per project named by its id (P08.png, e.g. made by "
    "'hygis figure project P08'), for the .docx opinion; without one the .docx draws a simple map.",
)
@click.option(
    "--lang",
    type=click.Choice(REPORT_LANGS),
    default=None,
    help="Language of the report: zh (the default for .xlsx, .gpkg, .html, .docx: sheet names, headers, "
    "verdicts in Chinese) or en. A .csv keeps its data-interchange column names unless --lang zh.",
)
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Keep the control-line files' prepared indexes in the user cache and reuse them while a file is "
    "unchanged (see 'hygis index').",
)
@area_options
@out_option(None, REPORT_FORMATS, "report")
@user_errors
def check_cmd(
    point_radius_m: float | None,
    engine: str | None,
    scheduler: str | None,
    workers: int | None,
    relocate: bool,
    counties_path: Path | None,
    protected_path: Path | None,
    no_preaudit: bool,
    land_use_path: str | None,
    figures_dir: Path | None,
    lang: str | None,
    cache: bool,
    out: Path,
    **kwargs: Any,
) -> None:
    """Check every project against the ecological protection red line, permanent basic farmland
    and the urban development boundary; write one row per project × control line with the
    overlap (ha, 亩), the verdict (conflict / needs approval / compliant / not located) and the
    rule that decides it. With no inputs it checks the plan's 19 projects against the embedded
    (illustrative) control lines.
    """
    from hygis.check.pipeline import check_projects  # noqa: PLC0415 - keeps --help fast
    from hygis.check.report import write_report  # noqa: PLC0415
    from hygis.engine.distributed import cluster_client  # noqa: PLC0415
    from hygis.engine.kernel import load_soon  # noqa: PLC0415
    from hygis.io.read import read_vector  # noqa: PLC0415

    load_soon()  # the compiled kernel loads while the files are read
    area = area_method(kwargs)
    crs = kwargs.get("crs")  # also for a county layer without one
    # Control-line files are read only if their prepared index is not in the cache (or is stale).
    inputs = resolve_plan_inputs(kwargs, out=out, defer=True, cache=cache)
    counties = None
    if counties_path is not None:
        counties = read_vector(counties_path, crs=crs, geometry="polygon", label="county units")
    land_use = None
    if land_use_path is not None:
        land_use = read_vector(land_use_path, crs=crs, geometry="polygon", label="land use (三调 DLTB)")
    protected = None
    if protected_path is not None:
        protected = read_vector(protected_path, crs=crs, geometry="polygon", label="protected areas")
    # Tables hold areas and verdicts only: the overlap polygons and the sites (in WGS 84) are made
    # for .gpkg and .html alone.
    with cluster_client(scheduler, engine) as (engine, client):
        if client is not None:
            progress(f"dask cluster {client.scheduler.address}: {len(client.nthreads())} worker(s)")
        report = check_projects(
            inputs=inputs,
            point_radius_m=point_radius_m,
            engine=engine,
            workers=workers,
            client=client,
            overlap_geometry=out.suffix.lower() not in (".csv", ".xlsx"),
            site_geometry=out.suffix.lower() not in (".csv", ".xlsx"),
            progress=progress,
            counties=counties,
            land_use=land_use,
            protected_areas=protected,
            # A .csv holds the rows only: their 用地预审 figures come from the engine's own measurements,
            # and the by-county and patch tables (sheets/layers of the other formats) are not cut.
            preaudit=False if no_preaudit else "figures" if out.suffix.lower() == ".csv" else True,
            **area,
        )
    if relocate:
        from hygis.analysis.relocate import relocate_conflicts  # noqa: PLC0415 - only when asked for

        relocate_conflicts(report, inputs, progress=progress)
    path = write_report(report, out, inputs=inputs, lang=lang, figures=figures_dir)
    counts = report["verdict"].value_counts()
    if report.attrs.get("illustrative"):
        echo_banner_text(report.attrs["illustrative"])
    click.echo(f"areas: {report.attrs['area_method']}; " + ", ".join(f"{v}: {n}" for v, n in counts.items()))
    click.echo(f"report: {path}")
    keep(inputs, report)
