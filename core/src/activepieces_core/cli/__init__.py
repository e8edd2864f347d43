"""The ``activepieces`` command: projects CRUD, tenants-as-code (plan / apply), piece sets, members.

Global options come before the sub-command: ``activepieces --output json projects list``.
``--url`` / ``--api-key`` fall back to ``ACTIVEPIECES_URL`` / ``ACTIVEPIECES_API_KEY``; the key
is never printed. Exit codes are documented in `activepieces_core.cli._common`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from activepieces_core._version import __version__
from activepieces_core.cli._common import ExitCode, OutputFormat, state, tune_gc
from activepieces_core.cli.members import app as members_app
from activepieces_core.cli.piece_sets import app as piece_sets_app
from activepieces_core.cli.projects import app as projects_app
from activepieces_core.cli.tenants import app as tenants_app

__all__ = ["ExitCode", "app", "main"]

app = typer.Typer(
    name="activepieces",
    help="Manage Activepieces projects and tenants-as-code.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would include the API key
    add_completion=False,
)
app.add_typer(projects_app, name="projects")
app.add_typer(tenants_app, name="tenants")
app.add_typer(piece_sets_app, name="piece-sets")
app.add_typer(members_app, name="members")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"activepieces {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    url: Annotated[
        str | None,
        typer.Option(
            "--url", envvar="ACTIVEPIECES_URL", help="API base URL (default: Activepieces cloud)."
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="ACTIVEPIECES_API_KEY",
            help="Platform API key (sk-...).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Output format.")
    ] = OutputFormat.table,
    timeout: Annotated[float, typer.Option(help="Per-request timeout in seconds.")] = 30.0,
    max_retries: Annotated[
        int | None, typer.Option(min=0, help="Retries of transient failures (default 4).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    state.url = url
    state.api_key = api_key
    state.output = output
    state.timeout = timeout
    state.max_retries = max_retries


def main() -> None:
    """Console-script entry point."""
    tune_gc()
    try:
        app()
    except SystemExit as exc:
        # --detailed-exitcode promises 2 = "changes pending" only; Click's own usage errors
        # (a mistyped option) also exit 2, so they become 1 like every other error.
        if (
            "--detailed-exitcode" in sys.argv[1:]
            and exc.code not in (0, 1, None)
            and not state.changes_pending
        ):
            raise SystemExit(1) from None
        raise
