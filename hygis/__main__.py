"""``python -m hygis`` runs the command-line interface."""

from hygis.cli.main import cli

if __name__ == "__main__":
    cli()
