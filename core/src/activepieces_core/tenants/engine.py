"""Apply a `Plan`: the changes of every kind, phase by phase, each phase concurrently.

Every tenant runs on its own: failures are reported, not raised. What each change sends is its
kind's business (`activepieces_core.tenants.kinds`); this module orders the changes by phase,
groups those a kind can write together (`Kind.batch_key`), runs them with bounded concurrency
and skips a change whose tenant's project failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.tenants._runner import AnyClient, async_pools
from activepieces_core.tenants.kinds import Applied, kind_of
from activepieces_core.tenants.results import (
    ApplyReport,
    DeletionLimitExceeded,
    Plan,
    TenantChange,
    TenantResult,
)
from activepieces_core.tenants.staleness import StalePlanError, afind_stale

__all__ = ["DEFAULT_CONCURRENCY", "ResultCallback", "aapply", "check_deletions"]

ResultCallback = Callable[[TenantResult], None]


def check_deletions(plan: Plan, max_deletions: int | None) -> None:
    """Raise `DeletionLimitExceeded` when the plan deletes more projects, or removes more
    members, than ``max_deletions`` (each kind is held to the limit on its own)."""
    if max_deletions is None:
        return
    for kind in ("project", "member"):
        deletions = len(plan.by_action("delete", kind))
        if deletions > max_deletions:
            raise DeletionLimitExceeded(deletions, max_deletions, kind)


def _result(change: TenantChange, status: str, **extra: Any) -> TenantResult:
    fields: dict[str, Any] = {
        "external_id": change.external_id,
        "action": change.action,
        "kind": change.kind,
        "key": change.key,
        "project_id": change.project_id,
        "target_id": change.target_id,
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
    check_stale: bool = True,
) -> ApplyReport:
    """Apply ``plan`` (a `Plan` or its ``to_dict``) with at most ``concurrency`` requests in flight.

    Raises `DeletionLimitExceeded` before sending anything when the plan deletes more than
    ``max_deletions``. Otherwise never raises for a tenant: each failure lands in its result.
    ``on_result`` is called once per tenant as results arrive (e.g. to drive a progress bar).
    With ``check_stale`` (the default) it first re-reads what the plan writes to and raises
    `StalePlanError`, sending nothing, if any of it changed since planning (`afind_stale`);
    a dict plan must be intact (`Plan.from_dict` raises `InvalidPlanError` otherwise).
    """
    if not isinstance(plan, Plan):
        plan = Plan.from_dict(plan)
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    check_deletions(plan, max_deletions)
    started = time.perf_counter()
    changes = plan.changes
    results: list[TenantResult | None] = [None] * len(changes)
    applied = Applied(
        project_ids={c.external_id: c.project_id for c in changes if c.project_id is not None}
    )
    phases: dict[int, list[int]] = {}
    for index, change in enumerate(changes):
        phases.setdefault(kind_of(change.kind).phase(change), []).append(index)

    def succeeded(change: TenantChange, target: str | None) -> TenantResult:
        ids = {"project_id": applied.project_ids.get(change.external_id, change.project_id)}
        if change.kind == "project":
            ids["project_id"] = target
        else:
            ids["target_id"] = target
        return _result(change, "succeeded", **ids)

    def failed(change: TenantChange, exc: Exception) -> TenantResult:
        applied.failed_tenants.add(change.external_id)
        return _result(change, "failed", error=str(exc), error_type=type(exc).__name__)

    def skipped_for_project(change: TenantChange) -> bool:
        return (
            kind_of(change.kind).depends_on_project(change)
            and change.external_id in applied.failed_tenants
        )

    async def one(ac: AsyncActivepiecesClient, change: TenantChange) -> TenantResult:
        if change.action == "noop":
            return _result(change, "skipped")
        if dry_run:
            return _result(change, "planned")
        if skipped_for_project(change):
            return _result(change, "skipped", error="the tenant's project change failed")
        try:
            target = await kind_of(change.kind).write(ac, change, applied)
        except Exception as exc:  # one tenant's failure never stops the others
            return failed(change, exc)
        return succeeded(change, target)

    async def batch(ac: AsyncActivepiecesClient, batch: list[TenantChange]) -> list[TenantResult]:
        try:
            target = await kind_of(batch[0].kind).write_batch(ac, batch, applied)
        except Exception as exc:  # the request carried them all: each one failed
            return [failed(change, exc) for change in batch]
        return [succeeded(change, target) for change in batch]

    def work(indexes: list[int]) -> list[list[int]]:
        """A phase's changes as units of work: alone, or batched by their kind's `batch_key`
        (asked now, so it can use ids made in earlier phases)."""
        units: list[list[int]] = []
        groups: dict[tuple[str, str], list[int]] = {}
        for index in indexes:
            change = changes[index]
            kind = kind_of(change.kind)
            key = None
            if not (dry_run or change.action == "noop" or skipped_for_project(change)):
                key = kind.batch_key(change, applied)
            if key is None:
                units.append([index])
                continue
            group = groups.setdefault((change.kind, key), [])
            group.append(index)
            if len(group) >= kind.batch_size:
                units.append(groups.pop((change.kind, key)))
        return units + list(groups.values())

    writes = sum(1 for c in changes if c.action != "noop")
    workers = max(1, min(concurrency, writes)) if not dry_run else 1
    async with async_pools(client, workers) as pools:
        if check_stale:
            stale = await afind_stale(pools[0], plan, concurrency=concurrency)
            if stale:
                raise StalePlanError(stale)
        for phase in sorted(phases):
            todo = iter(work(phases[phase]))  # shared by the workers: each unit is taken once

            async def worker(ac: AsyncActivepiecesClient, todo: Iterator[list[int]] = todo) -> None:
                for unit in todo:
                    if len(unit) == 1:
                        done = [await one(ac, changes[unit[0]])]
                    else:
                        done = await batch(ac, [changes[i] for i in unit])
                    for index, result in zip(unit, done, strict=True):
                        results[index] = result
                        if on_result is not None:
                            on_result(result)

            await asyncio.gather(*(worker(pools[i % len(pools)]) for i in range(workers)))
    return ApplyReport(
        results=[r for r in results if r is not None],
        dry_run=dry_run,
        duration_seconds=round(time.perf_counter() - started, 3),
    )
