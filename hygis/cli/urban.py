"""``hygis urban``: the urban system — distances, 融城 towns, service areas, rank–size."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import SOURCE, out_option, progress, user_errors, workbook_lang

OUTPUTS = (".xlsx", ".gpkg")


@click.command(
    "urban", short_help="Urban system: distances to seats and the central city, 融城, service areas."
)
@click.option(
    "--bands",
    default="5,10,20,30",
    show_default=True,
    metavar="KM,KM,…",
    help="Upper bounds of the distance bands around each centre (km).",
)
@click.option(
    "--central-villages",
    type=SOURCE,
    default=None,
    help="Your list of central villages (中心村, tier 4: the plan names none): points, or a CSV/XLSX with "
    "经度/纬度 and a name column.",
)
@click.option(
    "--crs", default=None, metavar="CRS", help="CRS of the villages file if it has none, e.g. EPSG:4490."
)
@out_option(None, OUTPUTS, "tables (.xlsx) or layers (.gpkg)")
@workbook_lang
@user_errors
def urban_cmd(bands: str, central_villages: str | None, crs: str | None, out: Path, lang: str) -> None:
    """城镇体系分析 of the embedded urban system: distance from each county seat and featured town
    to its county seat and to the central city, the towns the plan expects to merge into the
    central city (融城: 西渡, 云集, 大浦, 南岳), service areas of the centres (Voronoi cells clipped
    to the city) with distance bands, and a rank–size table where a sourced population is known.
    Places without a confirmed location are listed with empty distances, never placed.
    """
    from hygis.analysis import urban  # noqa: PLC0415
    from hygis.errors import HygisInputError  # noqa: PLC0415

    try:
        bands_km = [float(b) for b in bands.split(",") if b.strip()]
    except ValueError:
        msg = f"--bands takes kilometres separated by commas, e.g. 5,10,20,30; got '{bands}'."
        raise HygisInputError(msg) from None
    progress("urban system: distances, 融城, service areas, distance bands")
    system = urban.with_central_villages(central_villages, crs=crs) if central_villages else None
    sheets = urban.urban_report(system, bands_km=bands_km)
    path = urban.write_urban_report(sheets, out, lang=lang)
    for row in sheets["merge_with_city"].itertuples():
        dist = (
            "location not confirmed"
            if row.to_central_city_edge_km != row.to_central_city_edge_km
            else (
                f"{row.to_central_city_edge_km:.1f} km to the central city's edge, "
                f"{row.to_central_city_centre_km:.1f} km to its centre"
            )
        )
        click.echo(f"融城 {row.name}: {dist}")
    ranks = sheets["rank_size"]
    click.echo(
        f"rank-size: {ranks.attrs['note']}" if "note" in ranks.attrs else f"rank-size: {len(ranks)} places"
    )
    click.echo(f"CRS: {sheets['distances'].attrs['crs']}")
    click.echo(f"written: {path}")
