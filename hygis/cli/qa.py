"""``hygis qa``: the three control lines must not overlap (不交叉、不重叠、不冲突); a layer's topology."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import (
    area_method,
    area_options,
    echo_banner,
    echo_notes,
    out_option,
    plan_input_options,
    progress,
    resolve_plan_inputs,
    user_errors,
)

OUTPUTS = (".gpkg", ".csv")


@click.group("qa", short_help="Quality checks: control-line overlaps, layer topology.")
def qa_group() -> None:
    """Quality assurance of the plan's layers (areas in CGCS2000 Gauss–Krüger)."""


@qa_group.command(
    "control-lines", short_help="Every overlap between red line, farmland and development boundary."
)
@plan_input_options
@area_options
@out_option(None, OUTPUTS, "overlaps")
@user_errors
def control_lines_cmd(out: Path, **kwargs) -> None:
    """Find every place where two control lines overlap — red line × permanent farmland, red line ×
    development boundary, farmland × development boundary — as polygons with their area (m², ha,
    亩) and the ids of both features, and the totals per pair. The 2019 guiding opinion requires
    the lines 不交叉、不重叠、不冲突. Exits 0 either way: the file and the totals say what was found.
    """
    from hygis.analysis import qa  # noqa: PLC0415

    area = area_method(kwargs)
    inputs = resolve_plan_inputs(kwargs, out=out)
    progress("overlaps between the three control lines")
    overlaps = qa.control_line_overlaps(inputs, **area)
    path = qa.write_overlaps(overlaps, out)
    echo_banner(overlaps.attrs)
    for row in qa.overlap_totals(overlaps).itertuples():
        click.echo(f"{row.pair_zh}: {row.overlaps} overlap(s), {row.area_ha:,.4f} ha = {row.area_mu:,.2f} 亩")
    click.echo(f"areas: {overlaps.attrs['area_method']}; overlaps cut in {overlaps.attrs['crs']}")
    click.echo(f"written: {path}")


@qa_group.command("topology", short_help="Self-overlaps, slivers and gaps of one polygon layer.")
@click.argument("layer")
@click.option(
    "--gaps/--no-gaps",
    default=None,
    help="Report gaps (holes in the layer's union): for layers that should tile. Default: on for counties.",
)
@click.option(
    "--sliver-area",
    default=None,
    type=float,
    metavar="M2",
    help="A part smaller than this (m²) is a sliver. Default 200.",
)
@click.option(
    "--sliver-width",
    default=None,
    type=float,
    metavar="M",
    help="A part whose mean width 2·area/perimeter (m) is below this is a sliver. Default 2.",
)
@click.option("--crs", "crs", default=None, metavar="CRS", help="CRS of a file that has none. Never guessed.")
@out_option(None, OUTPUTS, "findings")
@user_errors
def topology_cmd(
    layer: str,
    gaps: bool | None,
    sliver_area: float | None,
    sliver_width: float | None,
    crs: str | None,
    out: Path,
) -> None:
    """Check the topology of LAYER — an embedded layer's name (counties, permanent_farmland …) or
    a polygon file (PATH, or PATH:LAYER such as plan.gdb:YJJBNT): features overlapping each other,
    slivers (tiny or thin parts) and, for a layer that should tile, gaps. An embedded layer is
    measured in the CRS of the plan's extent; a file in the CRS of its own extent.
    """
    from hygis.analysis import qa  # noqa: PLC0415

    gdf, measure_crs, label = qa.topology_input(layer, crs=crs)
    progress(f"topology of {label}")
    kwargs = {
        k: v
        for k, v in {"sliver_area_m2": sliver_area, "sliver_width_m": sliver_width}.items()
        if v is not None
    }
    findings = qa.topology(gdf, gaps=layer == "counties" if gaps is None else gaps, crs=measure_crs, **kwargs)
    path = qa.write_topology(findings, out)
    echo_notes(gdf.attrs.get("hygis_notes", []))
    summary = findings.attrs["summary"]
    click.echo(
        f"{label}: {summary['self_overlap']} self-overlap(s), {summary['sliver']} sliver(s), "
        + (f"{summary['gap']} gap(s)" if findings.attrs["thresholds"]["gaps_checked"] else "gaps not checked")
    )
    click.echo(f"CRS: {findings.attrs['crs']}")
    click.echo(f"written: {path}")
