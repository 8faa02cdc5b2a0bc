"""``python -m hygis`` runs the command-line interface (through a running ``hygis serve`` if any)."""

from hygis.cli.launch import main

if __name__ == "__main__":
    main()
