"""Tenants as code: declare TEAM projects in a file, plan the difference, apply it concurrently.

>>> specs = load_tenants("tenants.yaml")
>>> p = plan(client, specs, prune=True, protect=["keep-*"])
>>> report = apply(client, p, concurrency=16, max_deletions=5)

``plan`` / ``apply`` / ``reconcile`` accept a sync `ActivepiecesClient` (or a `ClientConfig`) and
run the async engine in a fresh event loop; ``aplan`` / ``aapply`` / ``areconcile`` take an
`AsyncActivepiecesClient` (a sync client or config is converted through its config).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activepieces_core.tenants._runner import AnyClient, async_client, run_sync
from activepieces_core.tenants.diff import diff_project
from activepieces_core.tenants.engine import DEFAULT_CONCURRENCY, ResultCallback
from activepieces_core.tenants.engine import aapply as _aapply
from activepieces_core.tenants.loaders import TenantSource, load_tenants
from activepieces_core.tenants.planner import DEFAULT_PAGE_SIZE, ReadStrategy
from activepieces_core.tenants.planner import aplan as _aplan
from activepieces_core.tenants.results import (
    ApplyReport,
    DeletionLimitExceeded,
    Plan,
    TenantChange,
    TenantResult,
)
from activepieces_core.tenants.spec import TenantSpec, TenantSpecError

__all__ = [
    "ApplyReport",
    "DeletionLimitExceeded",
    "Plan",
    "TenantChange",
    "TenantResult",
    "TenantSpec",
    "TenantSpecError",
    "aapply",
    "aplan",
    "apply",
    "areconcile",
    "diff_project",
    "load_tenants",
    "plan",
    "reconcile",
]


async def aplan(
    client: AnyClient,
    specs: TenantSource,
    *,
    prune: bool = False,
    protect: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
    read: ReadStrategy = "auto",
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Plan:
    """Plan changes bringing the platform's TEAM projects to ``specs`` (see `planner`)."""
    async with async_client(client) as ac:
        return await _aplan(
            ac,
            specs,
            prune=prune,
            protect=protect,
            page_size=page_size,
            read=read,
            concurrency=concurrency,
        )


async def aapply(
    client: AnyClient,
    plan: Plan | Mapping[str, Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    on_result: ResultCallback | None = None,
) -> ApplyReport:
    """Apply a plan concurrently; raises only `DeletionLimitExceeded` (before any write)."""
    async with async_client(client) as ac:
        return await _aapply(
            ac,
            plan,
            concurrency=concurrency,
            dry_run=dry_run,
            max_deletions=max_deletions,
            on_result=on_result,
        )


async def areconcile(
    client: AnyClient,
    specs: TenantSource,
    *,
    prune: bool = False,
    protect: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_result: ResultCallback | None = None,
) -> ApplyReport:
    """`aplan` then `aapply` on one connection pool."""
    async with async_client(client) as ac:
        the_plan = await _aplan(
            ac, specs, prune=prune, protect=protect, page_size=page_size, concurrency=concurrency
        )
        return await _aapply(
            ac,
            the_plan,
            concurrency=concurrency,
            dry_run=dry_run,
            max_deletions=max_deletions,
            on_result=on_result,
        )


def plan(
    client: AnyClient,
    specs: TenantSource,
    *,
    prune: bool = False,
    protect: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
    read: ReadStrategy = "auto",
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Plan:
    """Sync `aplan`."""
    return run_sync(
        lambda: aplan(
            client,
            specs,
            prune=prune,
            protect=protect,
            page_size=page_size,
            read=read,
            concurrency=concurrency,
        )
    )


def apply(
    client: AnyClient,
    plan: Plan | Mapping[str, Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    on_result: ResultCallback | None = None,
) -> ApplyReport:
    """Sync `aapply`."""
    return run_sync(
        lambda: aapply(
            client,
            plan,
            concurrency=concurrency,
            dry_run=dry_run,
            max_deletions=max_deletions,
            on_result=on_result,
        )
    )


def reconcile(
    client: AnyClient,
    specs: TenantSource,
    *,
    prune: bool = False,
    protect: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_result: ResultCallback | None = None,
) -> ApplyReport:
    """Sync `areconcile`: plan and apply in one call."""
    return run_sync(
        lambda: areconcile(
            client,
            specs,
            prune=prune,
            protect=protect,
            concurrency=concurrency,
            dry_run=dry_run,
            max_deletions=max_deletions,
            page_size=page_size,
            on_result=on_result,
        )
    )
