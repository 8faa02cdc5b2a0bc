"""``hygis layers``: list the embedded layers with their status and source."""

from __future__ import annotations

import json

import click

from hygis.cli.options import user_errors


@click.command("layers", short_help="List the embedded layers: features, geometry, status, source.")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
@user_errors
def layers_cmd(name: str | None, as_json: bool) -> None:
    """List the plan's embedded layers, or show one layer's full metadata (NAME).

    Status is one of official-derived, public-facts (each location carries its precision)
    or illustrative (generated for demonstration: NOT official; replace with your office's data).
    """
    from hygis.plan import layers  # noqa: PLC0415

    if name:
        meta = layers.info(name)
        meta["features"] = len(layers.load(name))
        if as_json:
            click.echo(json.dumps(meta, ensure_ascii=False, indent=2))
            return
        for key, value in meta.items():
            click.echo(f"{key:>14}: {value}")
        return
    table = layers.summary()
    if as_json:
        click.echo(table.to_json(orient="records", force_ascii=False, indent=2))
        return
    for row in table.itertuples():
        flag = "  ⚠ NOT OFFICIAL" if row.status == "illustrative" else ""
        count = (
            f"{row.features}" if row.located == row.features else f"{row.features} ({row.located} located)"
        )
        click.echo(f"{row.layer:<28} {count:>16} {row.geometry:<22} {row.status:<14}{flag}")
        click.echo(f"{'':<28} {row.title} — source: {row.source}; licence: {row.licence}")
