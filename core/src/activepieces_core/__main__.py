"""The ``activepieces`` console script (also ``python -m activepieces_core``).

Kept outside `activepieces_core.cli`, whose package imports typer and rich: without the
``cli`` extra the command says what to install in one line instead of a traceback.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["main"]

#: Top-level modules of the ``cli`` extra (click comes with typer).
_CLI_MODULES = frozenset({"typer", "click", "rich", "yaml"})
#: Those the command loads only when it needs them (a YAML file), looked for up front all
#: the same: the extra is there whole, or the command says what to install.
_LAZY_CLI_MODULES = ("yaml",)
#: Optional modules that libraries the command uses load whenever they are installed, and
#: that the command never runs: httpx's own command line (``import httpx`` loads it, with
#: click, pygments and rich's syntax module) and tenacity's tornado support (``import
#: tenacity`` loads tornado when present, e.g. beside Airflow or Prefect). Marked missing in
#: the console script's process only, each library takes its not-installed path: 30-50 ms
#: of every run's start-up.
_UNUSED_OPTIONAL_MODULES = ("httpx._main", "tornado")


def _skip_unused_optional_modules() -> None:
    for name in _UNUSED_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not installed"


def main() -> None:
    """Run the CLI; exit 1 with an install hint when the ``cli`` extra is missing."""
    _skip_unused_optional_modules()
    try:
        from activepieces_core.cli import main as run

        for name in _LAZY_CLI_MODULES:
            if importlib.util.find_spec(name) is None:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
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
