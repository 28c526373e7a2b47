"""``python -m asdkit``: the ``asdkit`` command (what ``torchrun -m asdkit`` runs on each rank)."""
from asdkit.cli.main import main

if __name__ == "__main__":
    main()
