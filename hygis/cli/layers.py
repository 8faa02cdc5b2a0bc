"""``hygis layers``: list the embedded layers with their status and source, or what a database holds."""

from __future__ import annotations

import json
import unicodedata

import click

from hygis.cli.options import SOURCE, user_errors


@click.command("layers", short_help="List the embedded layers, or the layers inside a .gdb/.gpkg (--in).")
@click.argument("name", required=False)
@click.option(
    "--in",
    "source",
    type=SOURCE,
    default=None,
    help="List the layers inside this database or file instead (.gdb folder, .gpkg, …): features, "
    "geometry, CRS, and the control line each stands for. Choose one elsewhere as PATH:LAYER.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
@user_errors
def layers_cmd(name: str | None, source: str | None, as_json: bool) -> None:
    """List the plan's embedded layers, or show one layer's full metadata (NAME).

    Status is one of official-derived, public-facts (each location carries its precision)
    or illustrative (generated for demonstration: NOT official; replace with your office's data).
    With --in, list what a planning office's database holds.
    """
    if source is not None:
        _list_source(source, as_json)
        return
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


def _list_source(source: str, as_json: bool) -> None:
    from hygis.io.layer_names import layer_lines  # noqa: PLC0415 - keeps --help fast
    from hygis.io.sources import list_layers, split_layer  # noqa: PLC0415

    path = split_layer(source)[0]
    table = list_layers(path)
    table["control_line"] = [
        ", ".join(layer_lines(n)) if g else "" for n, g in zip(table["layer"], table["geometry"])
    ]
    if as_json:
        click.echo(table.to_json(orient="records", force_ascii=False, indent=2))
        return
    width = max(12, *(_width(str(n)) + 2 for n in table["layer"]))
    click.echo(f"{_pad('layer', width)} {'features':>9}  {'geometry':<16} {'crs':<12} control line")
    for row in table.itertuples():
        geometry = row.geometry or "(table)"
        click.echo(
            f"{_pad(row.layer, width)} {row.features:>9}  {geometry:<16} {row.crs:<12} {row.control_line}"
        )
    click.echo(
        f"choose a layer as {path.name}:LAYER, or give the whole database with --control-lines {path.name}"
    )


def _width(text: str) -> int:
    """Columns a text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))
