"""``hygis targets``: the plan's 2030 and 2035 targets (section 二) as a table."""

from __future__ import annotations

from pathlib import Path

import click

from hygis.cli.options import out_option, user_errors

TABLES = (".csv", ".xlsx")


@click.command("targets", short_help="The plan's mid-term (2030) and long-term (2035) targets.")
@out_option(None, TABLES, "table, besides printing it", required=False)
@click.option(
    "--plan-text",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The plan's text file: check that every target's plan_line occurs in it verbatim.",
)
@user_errors
def targets_cmd(out: Path | None, plan_text: Path | None) -> None:
    """Print the targets of the plan's section 二 (总体发展目标): indicator, unit, 2030, 2035, with
    the plan's own words and section for each in the written table.
    """
    from hygis import io  # noqa: PLC0415
    from hygis.errors import HygisInputError  # noqa: PLC0415
    from hygis.plan import targets  # noqa: PLC0415

    table = targets.load_targets()
    click.echo(targets.format_targets(table))
    if plan_text is not None:
        missing = targets.verify_plan_lines(table, plan_text.read_text(encoding="utf-8-sig"))
        if len(missing):
            lines = "; ".join(f"{r.indicator}: '{r.missing}'" for r in missing.itertuples())
            msg = f"{plan_text.name}: {len(missing)} plan line(s) not found verbatim: {lines}."
            raise HygisInputError(msg)
        click.echo(f"All {len(table)} targets' plan lines occur verbatim in {plan_text.name}.")
    if out is not None:
        click.echo(f"written: {io.write_table(table, out)}")
