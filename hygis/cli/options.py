"""Flags shared by several subcommands, defined once (as rasterio's ``rio/options.py``)."""

from __future__ import annotations

import functools
import logging
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from hygis.constants import REPORT_LANGS
from hygis.errors import HygisError, HygisWarning


class SourceParam(click.ParamType):
    """A file, folder (.gdb) or ``PATH:LAYER`` that must exist; kept as the text the user typed."""

    name = "PATH[:LAYER]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from hygis.io.sources import split_layer  # noqa: PLC0415 - keeps --help fast

        path, _ = split_layer(value)
        if not path.exists():
            self.fail(
                f"'{path}' does not exist (a layer is chosen as PATH:LAYER, e.g. plan.gdb:YJJBNT).",
                param,
                ctx,
            )
        return str(value)


#: The type of every option that takes a vector source.
SOURCE = SourceParam()

#: The plan-input flags, in the order --help lists them: name → help.
PLAN_INPUTS = {
    "projects": (
        "Projects: any GDAL vector file, a 坐标交换格式 .txt, a 界址点 table or a CSV/XLSX with 经度/纬度 "
        "(decimal or 度分秒). Default: the plan's 19 key projects."
    ),
    "ecological_redline": (
        "Ecological protection red line (生态保护红线) polygons, e.g. plan.gdb:STBHHX. "
        "Default: the embedded illustrative layer."
    ),
    "permanent_farmland": (
        "Permanent basic farmland (永久基本农田) polygons, e.g. plan.gdb:YJJBNT. "
        "Default: the embedded illustrative layer."
    ),
    "urban_development_boundary": (
        "Urban development boundary (城镇开发边界) polygons, e.g. plan.gdb:CZKFBJ. "
        "Default: the embedded illustrative layer."
    ),
}

#: Help of --control-lines: the whole 三区三线 database in one flag.
CONTROL_LINES_HELP = (
    "A whole 三区三线 database (.gdb folder or .gpkg): each line is taken from the layer named like it "
    "(生态保护红线/STBHHX, 永久基本农田/YJJBNT/YJJBNTBHTB, 城镇开发边界/CZKFBJ …); a line's own flag "
    "overrides. `hygis layers --in DB` lists the layers."
)


def plan_input_options(func: Callable) -> Callable:
    """Add the four layer flags, --control-lines, --crs, --gcj02, --swap-xy and --project-id-field."""
    options = [
        click.option(f"--{name.replace('_', '-')}", name, type=SOURCE, default=None, help=text)
        for name, text in PLAN_INPUTS.items()
    ] + [
        click.option(
            "--control-lines",
            "control_lines",
            type=SOURCE,
            default=None,
            metavar="DB",
            help=CONTROL_LINES_HELP,
        ),
        click.option(
            "--crs",
            "crs",
            default=None,
            metavar="CRS",
            help="CRS of input files that have none, e.g. EPSG:4490 or EPSG:4546. Never guessed.",
        ),
        click.option(
            "--gcj02",
            "gcj02_input",
            is_flag=True,
            help="The projects file was digitised on Amap/Gaode or Tencent maps (GCJ-02): "
            "correct it to WGS 84.",
        ),
        click.option("--swap-xy", is_flag=True, help="The projects file has latitude and longitude swapped."),
        click.option(
            "--project-id-field",
            default=None,
            metavar="NAME",
            help="Column of the projects file that identifies each project "
            "(default: project_id, 项目编号, id …).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def area_options(func: Callable) -> Callable:
    """Add --area (ellipsoidal | planar) and --planar-crs: how every area of the command is measured."""
    options = [
        click.option(
            "--area",
            "area",
            type=click.Choice(("ellipsoidal", "planar")),
            default="ellipsoidal",
            show_default=True,
            help="How areas are measured: ellipsoidal (椭球面积 on the CGCS2000 ellipsoid, as the "
            "official survey figures, 国土调查办发〔2008〕32号) or planar in a Gauss–Krüger zone "
            "(the report states which).",
        ),
        click.option(
            "--planar-crs",
            "planar_crs",
            default=None,
            metavar="CRS",
            help="With --area planar: the zone to measure in, e.g. EPSG:4547 (CGCS2000 3° CM 114°E). "
            "Default: the zone hygis chooses for the data (EPSG:4546 for Hengyang).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def area_method(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop --area and --planar-crs from a command's kwargs, as keyword arguments of the analyses."""
    from hygis.crs import parse_crs  # noqa: PLC0415 - keeps --help fast

    area, planar = kwargs.pop("area"), kwargs.pop("planar_crs")
    if planar is not None and area != "planar":
        msg = "--planar-crs only applies with --area planar (ellipsoidal areas need no zone)."
        raise click.UsageError(msg)
    return {"area": area, "planar_crs": parse_crs(planar) if planar is not None else None}


def resolve_plan_inputs(kwargs: dict[str, Any], *, out: Path | None = None, **options: Any):
    """Pop the plan-input flags from a command's kwargs and resolve them (see :func:`hygis.plan.inputs`).

    With ``out``, refuse at once an output that would replace one of the input files, before
    any long computation (the writers refuse it too, but only at the end). ``options`` go to
    :func:`hygis.plan.inputs.resolve` (e.g. ``defer=True``).
    """
    from hygis.io.sources import split_layer  # noqa: PLC0415 - keeps --help fast
    from hygis.io.write import guard_not_input, register_inputs  # noqa: PLC0415
    from hygis.plan import resolve  # noqa: PLC0415

    args = {name: kwargs.pop(name) for name in PLAN_INPUTS}
    control_lines = kwargs.pop("control_lines")
    register_inputs(split_layer(p)[0] for p in [*args.values(), control_lines] if p is not None)
    if out is not None:
        guard_not_input(out)
    return resolve(
        **args,
        control_lines=control_lines,
        crs=kwargs.pop("crs"),
        gcj02_input=kwargs.pop("gcj02_input"),
        swap_xy=kwargs.pop("swap_xy"),
        project_id_field=kwargs.pop("project_id_field"),
        **options,
    )


def out_option(
    default: str | None, suffixes: tuple[str, ...], what: str, *, required: bool | None = None
) -> Callable:
    """An --out option whose suffix picks the format, checked when the command line is parsed."""

    def check_suffix(_ctx: click.Context, _param: click.Parameter, path: Path | None) -> Path | None:
        if path is not None and path.suffix.lower() not in suffixes:
            msg = f"{path.name}: the output must end in {', '.join(suffixes)} (the suffix picks the format)."
            raise click.BadParameter(msg)
        return path

    # No default at all (not default=None) when there is none: click >= 8.3 takes an explicit None
    # as a value, and a required --out then reaches the command as None instead of being asked for.
    defaults: dict[str, Any] = {} if default is None else {"default": default, "show_default": True}
    return click.option(
        "--out",
        "-o",
        "out",
        type=click.Path(dir_okay=False, path_type=Path),
        required=default is None if required is None else required,
        callback=check_suffix,
        help=f"Output {what}; the suffix picks the format ({', '.join(suffixes)}).",
        **defaults,
    )


#: ``--lang`` of a command that writes a workbook (the compliance check's own ``--lang`` also
#: governs its .csv, and has its own default).
workbook_lang = click.option(
    "--lang",
    type=click.Choice(REPORT_LANGS),
    default="zh",
    show_default=True,
    help="Language of an .xlsx: zh (Chinese sheet names, headers with their units, values and notes) "
    "or en (the English names and texts of the Python API and the .csv).",
)


class UserError(click.ClickException):
    """A user's mistake (input, option, output path): its message, no traceback, exit code 2."""

    exit_code = 2


def user_errors(func: Callable) -> Callable:
    """Turn hygis's user-facing errors into a clean CLI message (no traceback), exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HygisError as exc:
            raise UserError(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; no output was written.", err=True)
            sys.exit(130)

    return wrapper


# Warnings printed in this process, so that a result's notes list does not print them twice.
_SHOWN: set[str] = set()

# -q: only errors on stderr (progress, notes and warnings are in the outputs themselves).
_QUIET = False


def setup_logging(verbose: int, quiet: bool) -> None:
    """Logging on stderr, and hygis's warnings (:func:`hygis.messages.warn`) as ``warning: …`` lines.

    With ``quiet`` only errors reach stderr: no warning, note, banner or progress line.
    """
    global _QUIET
    _QUIET = quiet
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logging.basicConfig(level=level, format="hygis: %(message)s", stream=sys.stderr)
    default = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, HygisWarning):
            _SHOWN.add(str(message))
            if not quiet:
                click.echo(f"warning: {message}", err=True)
        else:
            default(message, category, *args, **kwargs)

    warnings.showwarning = show


def echo_notes(notes: Iterable[str]) -> None:
    """Print a result's notes that were not already shown as warnings (e.g. the grid a raster is on)."""
    for note in notes:
        if note not in _SHOWN and not _QUIET:
            click.echo(f"note: {note}", err=True)


def echo_banner(attrs: dict[str, Any]) -> None:
    """Print the illustrative-data banner a result carries, if any (its notes were shown as warnings)."""
    if attrs.get("banner"):
        echo_banner_text(attrs["banner"])


def echo_banner_text(banner: str) -> None:
    """Print an illustrative-data banner on stderr (not with -q: the report carries it)."""
    if not _QUIET:
        click.echo(f"⚠ {banner}", err=True)


def progress(message: str) -> None:
    """One line of progress on stderr (stdout stays clean for tables); none with -q."""
    if not _QUIET:
        click.echo(f"» {message}", err=True)
