"""Tenants as code: declare TEAM projects in a file, plan the difference, apply it concurrently.

>>> specs = load_tenants("tenants.yaml")
>>> p = plan(client, specs, prune=True, protect=["keep-*"])
>>> report = apply(client, p, concurrency=16, max_deletions=5)

Every entry point takes a sync `ActivepiecesClient`, an `AsyncActivepiecesClient` or a
`ClientConfig`. ``aplan`` / ``aapply`` / ``areconcile`` are the async engine (a sync client is
converted to an async one through its ``config``); ``plan`` / ``apply`` / ``reconcile`` run them
in a fresh event loop, from any thread (pass them a sync client or a config: an async client's
pool belongs to the loop that created it).
"""

from __future__ import annotations

from collections.abc import Sequence

from activepieces_core.tenants._runner import AnyClient, blocking
from activepieces_core.tenants.diff import diff_project
from activepieces_core.tenants.engine import ResultCallback, aapply, check_deletions
from activepieces_core.tenants.loaders import (
    TenantDocument,
    TenantSource,
    load_document,
    load_tenants,
)
from activepieces_core.tenants.planner import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, aplan
from activepieces_core.tenants.results import (
    ApplyReport,
    DeletionLimitExceeded,
    Plan,
    TenantChange,
    TenantResult,
    TenantSyncError,
)
from activepieces_core.tenants.spec import MemberSpec, PieceSetSpec, TenantSpec, TenantSpecError

__all__ = [
    "ApplyReport",
    "DeletionLimitExceeded",
    "MemberSpec",
    "PieceSetSpec",
    "Plan",
    "TenantChange",
    "TenantDocument",
    "TenantResult",
    "TenantSpec",
    "TenantSpecError",
    "TenantSyncError",
    "aapply",
    "aplan",
    "apply",
    "areconcile",
    "check_deletions",
    "diff_project",
    "load_document",
    "load_tenants",
    "plan",
    "reconcile",
]


async def areconcile(
    client: AnyClient,
    specs: TenantSource | TenantDocument,
    *,
    prune: bool = False,
    protect: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_result: ResultCallback | None = None,
) -> ApplyReport:
    """`aplan` then `aapply`."""
    the_plan = await aplan(
        client, specs, prune=prune, protect=protect, page_size=page_size, concurrency=concurrency
    )
    return await aapply(
        client,
        the_plan,
        concurrency=concurrency,
        dry_run=dry_run,
        max_deletions=max_deletions,
        on_result=on_result,
    )


plan = blocking(aplan, "Sync `aplan`: compute the changes (reads only).")
apply = blocking(aapply, "Sync `aapply`: apply a plan (or its dict) concurrently.")
reconcile = blocking(areconcile, "Sync `areconcile`: plan and apply in one call.")
