"""Apply a `Plan` concurrently: every tenant runs on its own, failures are reported, not raised.

Writes per tenant:
* create: one ``create`` (plus one ``update`` only for fields create cannot set: icon colour,
  releases, a pieces allow-list). If the create fails in a way that may have reached the server
  (5xx, timeout, dropped connection, 429, duplicate externalId), the tenant falls back to the
  client's idempotent ``ensure``, which looks the externalId up before creating again, so
  retries never duplicate. The plan already proved the tenant absent, which is why the first
  attempt skips ensure's lookup and onboarding costs one request per tenant.
* update: one ``update`` carrying every changed field (pieces and plan folded in).
* delete: one ``delete`` (the client treats a 404 after a retried attempt as success).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from activepieces_core._retry import is_ambiguous_write
from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.models import Project
from activepieces_core.tenants._runner import AnyClient, async_pools
from activepieces_core.tenants.diff import diff_project, update_kwargs
from activepieces_core.tenants.results import (
    ApplyReport,
    DeletionLimitExceeded,
    Plan,
    TenantChange,
    TenantResult,
)
from activepieces_core.tenants.spec import TenantSpec

__all__ = ["DEFAULT_CONCURRENCY", "ResultCallback", "aapply", "check_deletions"]

ResultCallback = Callable[[TenantResult], None]


def check_deletions(plan: Plan, max_deletions: int | None) -> None:
    """Raise `DeletionLimitExceeded` when the plan deletes more than ``max_deletions``."""
    deletions = len(plan.by_action("delete"))
    if max_deletions is not None and deletions > max_deletions:
        raise DeletionLimitExceeded(deletions, max_deletions)


async def _create(client: AsyncActivepiecesClient, spec: TenantSpec) -> Project:
    gc_ids = (
        None
        if spec.global_connection_external_ids is None
        else list(spec.global_connection_external_ids)
    )
    try:
        project = await client.projects.create(
            spec.effective_display_name,
            external_id=spec.external_id,
            metadata=spec.metadata,
            max_concurrent_jobs=spec.max_concurrent_jobs,
            global_connection_external_ids=gc_ids,
        )
    except Exception as exc:
        if not is_ambiguous_write(exc):
            raise
        result = await client.projects.ensure(
            spec.external_id,
            spec.effective_display_name,
            metadata=spec.metadata,
            max_concurrent_jobs=spec.max_concurrent_jobs,
            releases_enabled=spec.releases_enabled,
            icon_color=spec.icon_color,
            pieces=None if spec.pieces is None else list(spec.pieces),
            global_connection_external_ids=gc_ids,
            if_exists="update",
        )
        return result.project
    rest = diff_project(spec, project)
    if not rest:
        return project
    # Global connections were attached by create; do not resend them.
    rest_kwargs = update_kwargs(rest, None)
    return await client.projects.update(project.id, **rest_kwargs)


async def _run_change(client: AsyncActivepiecesClient, change: TenantChange) -> str | None:
    """Perform one change and return the resulting project id."""
    if change.action == "create":
        assert change.spec is not None
        return (await _create(client, change.spec)).id
    assert change.project_id is not None
    if change.action == "update":
        kwargs = update_kwargs(change.diff, change.spec)
        return (await client.projects.update(change.project_id, **kwargs)).id
    await client.projects.delete(change.project_id)
    return change.project_id


def _result(change: TenantChange, status: str, **extra: Any) -> TenantResult:
    fields: dict[str, Any] = {
        "external_id": change.external_id,
        "action": change.action,
        "project_id": change.project_id,
        "status": status,
        "diff": change.diff,
    }
    fields.update(extra)
    return TenantResult.model_validate(fields)


async def aapply(
    client: AnyClient,
    plan: Plan | Mapping[str, Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    on_result: ResultCallback | None = None,
) -> ApplyReport:
    """Apply ``plan`` (a `Plan` or its ``to_dict``) with at most ``concurrency`` requests in flight.

    Raises `DeletionLimitExceeded` before sending anything when the plan deletes more than
    ``max_deletions``. Otherwise never raises for a tenant: each failure lands in its result.
    ``on_result`` is called once per tenant as results arrive (e.g. to drive a progress bar).
    """
    if not isinstance(plan, Plan):
        plan = Plan.model_validate(dict(plan))
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    check_deletions(plan, max_deletions)
    started = time.perf_counter()
    changes = plan.changes
    results: list[TenantResult | None] = [None] * len(changes)
    todo = iter(range(len(changes)))  # shared by the workers: each index is taken once

    async def one(ac: AsyncActivepiecesClient, change: TenantChange) -> TenantResult:
        if change.action == "noop":
            return _result(change, "skipped")
        if dry_run:
            return _result(change, "planned")
        try:
            project_id = await _run_change(ac, change)
        except Exception as exc:  # one tenant's failure never stops the others
            return _result(change, "failed", error=str(exc), error_type=type(exc).__name__)
        return _result(change, "succeeded", project_id=project_id)

    async def worker(ac: AsyncActivepiecesClient) -> None:
        for index in todo:
            result = results[index] = await one(ac, changes[index])
            if on_result is not None:
                on_result(result)

    writes = sum(1 for c in changes if c.action != "noop")
    workers = max(1, min(concurrency, writes)) if not dry_run else 1
    async with async_pools(client, workers) as pools:
        await asyncio.gather(*(worker(pools[i % len(pools)]) for i in range(workers)))
    return ApplyReport(
        results=[r for r in results if r is not None],
        dry_run=dry_run,
        duration_seconds=round(time.perf_counter() - started, 3),
    )
