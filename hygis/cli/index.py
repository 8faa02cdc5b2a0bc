"""``hygis index``: the prepared control-line indexes in the user cache (:mod:`hygis.engine.index`)."""

from __future__ import annotations

from typing import Any

import click

from hygis.cli.options import plan_input_options, resolve_plan_inputs, user_errors


@click.group("index", short_help="Prepared control-line indexes in the user cache: build, info, clear.")
def index_group() -> None:
    """``hygis check`` keeps each control-line file it reads as a prepared index in the user cache
    and reuses it while the file is unchanged (same inode, size and change time, which `cp -p` or
    `touch` cannot set back; else the same content) and hygis is the same version, so the next
    check of a batch against the same layers does not read them again. These commands build the
    indexes ahead of a batch, list them and remove them.
    """


@index_group.command("build")
@plan_input_options
@user_errors
def build_cmd(**kwargs: Any) -> None:
    """Prepare the control-line files given (e.g. --permanent-farmland jbnt.gdb) for the plan's area CRS."""
    inputs = resolve_plan_inputs(kwargs, defer=True)
    if not inputs.deferred:
        msg = (
            "Give at least one control-line file "
            "(--ecological-redline, --permanent-farmland, --urban-development-boundary)."
        )
        raise click.UsageError(msg)
    area_crs = inputs.area_crs()
    for name, deferred in inputs.deferred.items():
        index = inputs.line_for_check(name, area_crs)
        state = "already prepared" if deferred.hit else "prepared"
        click.echo(
            f"{name}: {index.meta.get('features', len(index)):,} features from {deferred.path} — {state}"
        )


@index_group.command("info")
def info_cmd() -> None:
    """List the prepared indexes: layer, source file, features, area CRS, when built, size on disk."""
    from hygis.engine.index import cache_root, entries  # noqa: PLC0415 - keeps --help fast

    found = entries()
    click.echo(f"cache: {cache_root()} ({len(found)} prepared layer(s))")
    for e in found:
        click.echo(
            f"{e.get('layer', '?')}: {e.get('features', 0):,} features, {e.get('source', '?')}, "
            f"{e.get('area_crs', '?')}, built {e.get('built', '?')}, {e['bytes'] / 2**20:,.1f} MB"
        )


@index_group.command("clear")
def clear_cmd() -> None:
    """Remove every prepared index (the next check reads its control-line files again)."""
    from hygis.engine.index import cache_root, clear  # noqa: PLC0415 - keeps --help fast

    n = clear()
    click.echo(f"removed {n} prepared layer(s) from {cache_root()}")
