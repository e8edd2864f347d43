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

from activepieces_core.tenants._gc import job_kept_frozen
from activepieces_core.tenants._runner import AnyClient, blocking, job_clients
from activepieces_core.tenants.archive.archiver import ARCHIVE_REQUIRED, ArchiveTarget
from activepieces_core.tenants.diff import diff_project
from activepieces_core.tenants.engine import ResultCallback, aapply, apply_with, check_deletions
from activepieces_core.tenants.loaders import (
    TenantDocument,
    TenantSource,
    load_document,
    load_tenants,
)
from activepieces_core.tenants.planner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    LOOKUP_THRESHOLD,
    ReadStrategy,
    aplan,
    aplan_teardown,
)
from activepieces_core.tenants.results import (
    ApplyReport,
    DeletionLimitExceeded,
    Plan,
    TenantChange,
    TenantResult,
    TenantSyncError,
)
from activepieces_core.tenants.saved import PLAN_FORMAT_VERSION, InvalidPlanError, document_digest
from activepieces_core.tenants.spec import MemberSpec, PieceSetSpec, TenantSpec, TenantSpecError
from activepieces_core.tenants.staleness import StaleChange, StalePlanError, afind_stale, find_stale
from activepieces_core.tenants.teardown import (
    TEARDOWN_STATUSES,
    TeardownReport,
    TeardownRow,
    teardown_ids,
)
from activepieces_core.tenants.views import View, plan_view, report_view, teardown_view

__all__ = [
    "PLAN_FORMAT_VERSION",
    "TEARDOWN_STATUSES",
    "ApplyReport",
    "DeletionLimitExceeded",
    "InvalidPlanError",
    "MemberSpec",
    "PieceSetSpec",
    "Plan",
    "StaleChange",
    "StalePlanError",
    "TeardownReport",
    "TeardownRow",
    "TenantChange",
    "TenantDocument",
    "TenantResult",
    "TenantSpec",
    "TenantSpecError",
    "TenantSyncError",
    "View",
    "aapply",
    "afind_stale",
    "aplan",
    "aplan_teardown",
    "apply",
    "areconcile",
    "check_deletions",
    "diff_project",
    "document_digest",
    "find_stale",
    "load_document",
    "load_tenants",
    "plan",
    "plan_teardown",
    "plan_view",
    "reconcile",
    "report_view",
    "teardown_ids",
    "teardown_view",
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
    read: ReadStrategy = "auto",
    lookup_threshold: int = LOOKUP_THRESHOLD,
    prune_members: bool = False,
    offboard_users: bool = False,
    archive: ArchiveTarget = ARCHIVE_REQUIRED,
) -> ApplyReport:
    """`aplan` then `aapply` (no staleness re-read: the plan is moments old); the planning
    options are `aplan`'s, ``archive`` is `aapply`'s (required when ``prune`` deletes). The
    apply writes on the client the plan read with (and its connections)."""
    with job_kept_frozen():
        async with job_clients(client) as clients:
            tenant_plan = await aplan(
                clients.first,
                specs,
                prune=prune,
                protect=protect,
                page_size=page_size,
                read=read,
                lookup_threshold=lookup_threshold,
                concurrency=concurrency,
                prune_members=prune_members,
                offboard_users=offboard_users,
            )
            return await apply_with(
                clients,
                tenant_plan,
                concurrency=concurrency,
                dry_run=dry_run,
                max_deletions=max_deletions,
                on_result=on_result,
                check_stale=False,
                archive=archive,
            )


plan = blocking(aplan, "Sync `aplan`: compute the changes (reads only).")
plan_teardown = blocking(aplan_teardown, "Sync `aplan_teardown`: plan tearing tenants down.")
apply = blocking(aapply, "Sync `aapply`: apply a plan (or its dict) concurrently.")
reconcile = blocking(areconcile, "Sync `areconcile`: plan and apply in one call.")
