"""``hygis web``: the office's server — the page and the OGC API (Features, Processes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hygis.cli.options import plan_input_options, progress, user_errors


@click.command(
    "web", short_help="The office's server: a page to check projects, and the OGC API (Features, Processes)."
)
@click.option("--port", type=int, default=None, help="Port to listen on (default 5000).")
@click.option(
    "--host",
    default=None,
    help="Address to listen on (default 127.0.0.1: this machine only). Any other needs --token, "
    "or run on 127.0.0.1 behind the office's reverse proxy (docs/deploy.md).",
)
@click.option(
    "--token",
    default=None,
    envvar="HYGIS_WEB_TOKEN",
    show_envvar=True,
    help="A secret every client sends (Authorization: Bearer TOKEN; a browser opens /?token=TOKEN once).",
)
@click.option(
    "--config",
    "config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The administrator's YAML (host, port, url, control_lines …, limits, metadata); flags win over it.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The server's folder (layers, jobs, audit log). Default: hygis's user cache / web.",
)
@click.option("--workers", type=int, default=None, help="Processes for a large check (default: every core).")
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run every check on the dask.distributed cluster whose scheduler is at ADDRESS "
    "(as hygis check --scheduler; pip install 'hygis[dask]').",
)
@click.option("--audit", "show_audit", is_flag=True, help="Print the audit log (留痕) as a table and exit.")
@plan_input_options
@user_errors
def web_cmd(
    port: int | None,
    host: str | None,
    token: str | None,
    config: Path | None,
    state_dir: Path | None,
    workers: int | None,
    scheduler: str | None,
    show_audit: bool,
    **kwargs: Any,
) -> None:
    """Serve the plan to the office: at / a page in Chinese where a planner drops a file (or pastes
    coordinates) and gets the compliance check, its map and its reports; at /collections the plan's
    layers and at /processes the check, on the OGC API standards QGIS, ArcGIS and the 一张图 platform
    speak. Every check is recorded in the audit log (--audit prints it).
    """
    from hygis.web.config import load_settings  # noqa: PLC0415 - keeps --help fast

    # The plan-input flags as `hygis check` takes them: the lines every check uses; the projects
    # (and how to read them) served as the projects collection. An unset flag leaves the config's.
    inputs = {k: None if v is False else v for k, v in kwargs.items()}
    settings = load_settings(
        config,
        host=host,
        port=port,
        token=token,
        state_dir=state_dir,
        workers=workers,
        scheduler=scheduler,
        **inputs,
    )
    if show_audit:
        from hygis.web.audit import table  # noqa: PLC0415

        df = table(settings.audit_log)
        click.echo(df.to_string(index=False) if len(df) else f"no entries yet in {settings.audit_log}")
        return
    from hygis.web.app import serve  # noqa: PLC0415 - pygeoapi and waitress only for the server

    serve(settings, progress)
