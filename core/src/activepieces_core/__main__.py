"""The ``activepieces`` console script (also ``python -m activepieces_core``).

Kept outside `activepieces_core.cli`, whose package imports typer and rich: without the
``cli`` extra the command says what to install in one line instead of a traceback.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

#: Top-level modules of the ``cli`` extra (click comes with typer).
_CLI_MODULES = frozenset({"typer", "click", "rich", "yaml"})


def main() -> None:
    """Run the CLI; exit 1 with an install hint when the ``cli`` extra is missing."""
    try:
        from activepieces_core.cli import main as run
    except ModuleNotFoundError as exc:
        if exc.name not in _CLI_MODULES:
            raise
        sys.exit(
            f"activepieces: the command needs the 'cli' extra ({exc.name} is not installed): "
            'pip install "activepieces-core[cli]"'
        )
    run()


if __name__ == "__main__":
    main()
