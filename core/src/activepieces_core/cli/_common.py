"""Shared CLI plumbing: global options, client construction, output, and exit codes.

Exit codes (stable, scripts may rely on them):

====  ==========================================================================
0     success (``tenants plan``: the plan was computed, changes or not)
1     ``tenants apply``: at least one tenant failed (the others were applied);
      ``projects replace``: some items failed (207; the others were applied)
2     usage error or bad input (bad option, invalid tenant file, missing key/URL,
      invalid field value detected before sending, a saved plan edited by hand)
3     authentication / authorization failed (401 / 403)
4     any other API error (404 not found, 409 conflict, 402 feature disabled, 5xx ...)
5     could not reach the server (connection error or timeout after retries)
6     refused: deletions exceed ``--max-deletions``, or changes not confirmed
7     ``tenants apply PLAN.json``: the saved plan is stale (the server moved on, or it was
      not made from ``--document``); nothing applied, plan again
====  ==========================================================================

``tenants plan --detailed-exitcode`` replaces these with Terraform's: 0 no changes, 2 changes
pending, 1 any error (usage errors included).
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.table import Table

from activepieces_core.client import ActivepiecesClient
from activepieces_core.config import ClientConfig
from activepieces_core.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    AuthorizationError,
    InvalidRequestError,
)
from activepieces_core.tenants import DeletionLimitExceeded, StalePlanError, TenantSpecError
from activepieces_core.tenants._gc import collector_paused

__all__ = [
    "ExitCode",
    "OutputFormat",
    "State",
    "building_kept",
    "err_console",
    "fail",
    "handle_errors",
    "new_table",
    "planning_gc",
    "state",
    "tune_gc",
]

err_console = Console(stderr=True)


class ExitCode(IntEnum):
    """Process exit codes of the ``activepieces`` command."""

    OK = 0
    TENANT_FAILED = 1
    USAGE = 2
    AUTH = 3
    API = 4
    CONNECTION = 5
    REFUSED = 6
    #: A saved plan is stale: a pipeline re-plans on 7 and alerts on 3 (a wrong key).
    STALE = 7


class OutputFormat(str, Enum):
    """``--output`` values."""

    table = "table"
    json = "json"


@dataclass
class State:
    """Global options, filled by the root callback."""

    url: str | None = None
    api_key: str | None = None
    output: OutputFormat = OutputFormat.table
    timeout: float = 30.0
    max_retries: int | None = None
    #: Set by ``tenants plan --detailed-exitcode`` when it exits 2 for "changes pending".
    changes_pending: bool = False

    @property
    def json(self) -> bool:
        return self.output is OutputFormat.json

    def _client_kwargs(self) -> dict[str, Any]:
        if not self.api_key:
            fail("no API key: pass --api-key or set ACTIVEPIECES_API_KEY", ExitCode.USAGE)
        kwargs: dict[str, Any] = {"api_key": self.api_key, "timeout": self.timeout}
        if self.max_retries is not None:
            kwargs["max_retries"] = self.max_retries
        if self.url:
            kwargs["base_url"] = self.url
        return kwargs

    def client(self) -> ActivepiecesClient:
        """A client from the options / environment; exit 2 when the key is missing."""
        return ActivepiecesClient(**self._client_kwargs())

    def config(self) -> ClientConfig:
        """The client configuration alone (the tenant engine opens its own async pools)."""
        return ClientConfig(**self._client_kwargs())

    def emit_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


state = State()


#: The console script's collector thresholds (`tune_gc`); None until it ran.
_GC_THRESHOLDS: tuple[int, int, int] | None = None


def tune_gc() -> None:
    """Collect garbage less often: right for a short-lived run over a whole platform.

    A 50,000-tenant plan keeps a few hundred thousand objects alive until the run ends; with
    CPython's default thresholds the cyclic collector walks them again and again, which was
    half of such a plan's time. Objects alive after start-up are frozen out of collections
    altogether (they live as long as the process), and collections run every 50,000
    allocations instead of every 700. Called by the console script only, never on import.
    """
    global _GC_THRESHOLDS
    gc.freeze()
    _GC_THRESHOLDS = (50_000, 20, 100)
    gc.set_threshold(*_GC_THRESHOLDS)


#: While planning, a collection only after this many new objects (see `planning_gc`).
_PLANNING_GC_THRESHOLD = 2_000_000


@contextmanager
def planning_gc() -> Iterator[None]:
    """While planning (reading the document, the platform, diffing), collect rarely and never
    the older generations; afterwards, freeze what planning built.

    Planning builds what the run keeps (every tenant row, every project read, every planned
    change) and little garbage (a finished request's few cycles). Every collection walks the
    objects it finds, so each one planning keeps is walked at least once: 0.2 s at 50,000
    tenants with `tune_gc`'s thresholds, plus 0.6 s for each older-generation pass. Here a
    young collection runs once per two million new objects (a no-op plan of 50,000 tenants
    makes about one million; a plan that reads per tenant, e.g. members, still collects its
    request garbage at that pace) and nothing older, so nothing is walked twice. Frozen
    afterwards, the plan is not walked by the apply's collections either. Only under
    `tune_gc` (the console script): tests and library callers keep their own collector.
    """
    if _GC_THRESHOLDS is None:
        yield
        return
    gc.set_threshold(_PLANNING_GC_THRESHOLD, 1_000_000, 1_000_000)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*_GC_THRESHOLDS)


@contextmanager
def building_kept() -> Iterator[None]:
    """While a step builds what the run keeps and no cycles (reading a saved plan): no
    collections (`collector_paused`), and under `tune_gc` what it built is frozen before the
    collector runs again. Otherwise the first collection after it walks every object it made
    (millions for a plan of 100,000 tenants: ~0.4 s), to keep them all."""
    with collector_paused(freeze=_GC_THRESHOLDS is not None):
        yield


def new_table(*headers: str, **options: Any) -> Table:
    """A `rich.table.Table`; rich's table module loads on the first one, not with every command."""
    from rich.table import Table

    return Table(*headers, **options)


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(int(code))


def _code_for(exc: BaseException) -> ExitCode | None:
    # Order matters: specific classes before their bases.
    if isinstance(exc, DeletionLimitExceeded):
        return ExitCode.REFUSED
    if isinstance(exc, StalePlanError):
        return ExitCode.STALE
    if isinstance(exc, (TenantSpecError, InvalidRequestError)):
        return ExitCode.USAGE
    if isinstance(exc, (AuthenticationError, AuthorizationError)):
        return ExitCode.AUTH
    if isinstance(exc, APIConnectionError):
        return ExitCode.CONNECTION
    if isinstance(exc, APIError):
        return ExitCode.API
    return None


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn the library's exceptions into a one-line message and the documented exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        code = _code_for(exc)
        if code is None:
            raise
        if isinstance(exc, StalePlanError):  # every stale tenant, one per line
            lines = "\n".join(f"  {s.describe()}" for s in exc.stale)
            fail(
                f"the plan is stale: {len(exc.external_ids)} tenant(s) changed on the server "
                f"since it was planned; nothing was applied. Plan again.\n{lines}",
                code,
            )
        fail(str(exc), code)
