"""``hygis serve``: keep hygis loaded between commands (:mod:`hygis.serve`)."""

from __future__ import annotations

import click

from hygis.serve import client, server


@click.command("serve", short_help="Keep hygis loaded between commands: warm checks in well under a second.")
@click.option("--stop", is_flag=True, help="Stop this user's running servers.")
@click.option("--status", "show_status", is_flag=True, help="Show this user's running servers.")
@click.option(
    "--foreground",
    is_flag=True,
    help="Run in this terminal (for a service manager) instead of in the background.",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0.1),
    default=server.IDLE_TIMEOUT_S / 60,
    show_default=True,
    metavar="MIN",
    help="Stop after MIN minutes without a command.",
)
def serve_cmd(stop: bool, show_status: bool, foreground: bool, idle_timeout: float) -> None:
    """Start a server that keeps hygis imported and the control-line indexes loaded.

    While it runs, every `hygis` command of this user (same hygis, same HYGIS_* settings) is
    run by it: a check of a batch of projects against a control-line database already prepared
    takes only its own work, without Python's imports or reading the index. Output, exit status,
    Ctrl-C and the working directory are those of the command as typed. Without a server,
    commands run as before. Set HYGIS_SERVER=0 to bypass it.
    """
    if stop:
        n = client.stop()
        click.echo(f"stopped {n} hygis server(s)" if n else "no hygis server was running")
        return
    if show_status:
        running = client.status()
        if not running:
            click.echo("no hygis server is running")
        for s in running:
            layers = len(s.get("layers", []))
            note = "" if s.get("current") else " (older code or other settings: not used)"
            click.echo(
                f"pid {s['pid']}, since {s['started']}, {s['commands']} command(s), "
                f"{layers} prepared layer(s) loaded, {s['socket']}{note}"
            )
        return
    # The whole command line, which the server runs for each command (the server imports no CLI module).
    command = click.get_current_context().find_root().command
    try:
        if foreground:
            server.serve(
                command, idle_timeout * 60, ready=lambda path: click.echo(f"hygis server ready: {path}")
            )
            return
        click.echo("starting the hygis server (imports and the compiled kernel) …", err=True)
        s = server.start(command, idle_timeout * 60)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"hygis server ready (pid {s.get('pid')}): later hygis commands run in it; it stops after "
        f"{idle_timeout:g} min idle or with `hygis serve --stop` (log: {client.log_path()})"
    )
