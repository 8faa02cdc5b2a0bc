"""``hygis zonal``: statistics of a raster per zone (county, project or your polygons)."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import out_option, progress, user_errors

SUFFIXES = (".csv", ".xlsx", ".gpkg", ".geojson", ".parquet")


@click.command(
    "zonal", short_help="Zonal statistics of a raster per county, project or polygon (exact at the edges)."
)
@click.argument("raster_path", metavar="RASTER", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--zones",
    default="counties",
    show_default=True,
    metavar="counties|projects|FILE",
    help="The zones: the 12 county units, the plan's located projects, or a polygon file "
    "(PATH or PATH:LAYER).",
)
@click.option(
    "--stats",
    default="mean,min,max,count",
    show_default=True,
    help="Comma-separated: mean,min,max,sum,count,std,median,majority,minority,variety,range,pNN.",
)
@click.option(
    "--all-touched",
    is_flag=True,
    help="Count every cell a zone touches whole (default: weight edge cells by their area inside).",
)
@click.option("--band", type=int, default=1, show_default=True, help="Raster band.")
@click.option(
    "--nodata", type=float, default=None, help="Value marking missing cells (overrides the raster's)."
)
@click.option(
    "--raster-crs", default=None, metavar="CRS", help="CRS of a raster that has none, e.g. EPSG:4546."
)
@click.option("--crs", "zones_crs", default=None, metavar="CRS", help="CRS of a zones file that has none.")
@out_option(None, SUFFIXES, "table or layer")
@user_errors
def zonal_cmd(
    raster_path: Path,
    zones: str,
    stats: str,
    all_touched: bool,
    band: int,
    nodata: float | None,
    raster_crs: str | None,
    zones_crs: str | None,
    out: Path,
) -> None:
    """Summarise RASTER over each zone: one row per zone with its id columns and one column
    per statistic. Edge cells count by the share of their area inside the zone (or whole,
    with --all-touched); NoData cells are left out; the zones are reprojected to the raster's CRS.
    """
    from hygis import io  # noqa: PLC0415
    from hygis.plan import layers  # noqa: PLC0415
    from hygis.raster.zonal import zonal_stats  # noqa: PLC0415

    if zones == "counties":
        gdf = layers.load("counties")[["code", "name", "name_en", "geometry"]]
    elif zones == "projects":
        gdf = layers.load("projects")[["project_id", "name", "name_en", "county_code", "geometry"]]
    else:
        gdf = io.read_vector(zones, crs=zones_crs, label="zones")
    progress(f"zonal statistics over {len(gdf)} zones")
    result = zonal_stats(
        raster_path, gdf, stats, all_touched=all_touched, band=band, nodata=nodata, raster_crs=raster_crs
    )
    if out.suffix.lower() in (".csv", ".xlsx"):
        path = io.write_table(result, out)
    else:
        path = io.write_vector(result, out)
    click.echo(f"zonal statistics: {path}")
