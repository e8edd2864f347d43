"""Apply a `Plan`: the changes of every kind, phase by phase, each phase concurrently.

Every tenant runs on its own: failures are reported, not raised. What each change sends is its
kind's business (`activepieces_core.tenants.kinds`); this module orders the changes by phase,
groups those a kind can write together (`Kind.batch_key`), runs them with bounded concurrency
and skips a change whose tenant's project failed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.tenants._construct import constructed
from activepieces_core.tenants._fields_sets import shared_fields_set
from activepieces_core.tenants._gc import collector_paused, job_kept_frozen
from activepieces_core.tenants._runner import AnyClient, JobClients, job_clients
from activepieces_core.tenants.archive.archiver import (
    ARCHIVE_REQUIRED,
    Archiver,
    ArchiveTarget,
    resolve_archiver,
)
from activepieces_core.tenants.kinds import Applied, Kind, PartlyWritten, active_kinds, kind_of
from activepieces_core.tenants.results import (
    ApplyReport,
    DeletionLimitExceeded,
    Plan,
    Status,
    TenantChange,
    TenantResult,
)
from activepieces_core.tenants.staleness import StalePlanError, afind_stale

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ResultCallback",
    "aapply",
    "check_deletions",
    "guarded_deletions",
]

ResultCallback = Callable[[TenantResult], None]


def guarded_deletions(plan: Plan) -> list[tuple[Kind[Any], list[TenantChange]]]:
    """The deletes of each kind that `Kind.counts_toward_max_deletions` (projects, removed
    members, a template's dropped flows, tables and folders; every change kind of the kind),
    in kind order, kinds with none left out: what ``max_deletions`` limits and what
    the CLI asks about before applying."""
    guarded = [
        (kind, [c for c in plan.changes if c.action == "delete" and c.kind in kind.change_kinds])
        for kind in active_kinds()
        if kind.counts_toward_max_deletions
    ]
    return [(kind, deletes) for kind, deletes in guarded if deletes]


def check_deletions(plan: Plan, max_deletions: int | None) -> None:
    """Raise `DeletionLimitExceeded` when the plan deletes more projects, or removes more
    members, than ``max_deletions`` (each kind is held to the limit on its own)."""
    if max_deletions is None:
        return
    for kind, deletes in guarded_deletions(plan):
        if len(deletes) > max_deletions:
            raise DeletionLimitExceeded(len(deletes), max_deletions, kind.noun)


#: The fields every result sets (the others: `TenantResult`'s error fields, set when failed).
_SET_ALWAYS = (
    "external_id",
    "action",
    "kind",
    "key",
    "project_id",
    "target_id",
    "diff",
    "status",
)


def _result(change: TenantChange, status: Status, **extra: Any) -> TenantResult:
    # In the model's field order, as `model_construct` would hold them.
    values: dict[str, Any] = {
        "external_id": change.external_id,
        "action": change.action,
        "kind": change.kind,
        "key": change.key,
        "project_id": change.project_id,
        "target_id": change.target_id,
        "diff": change.diff,
        "status": status,
        "error": None,
        "error_type": None,
    }
    values.update(extra)
    # Built without validation: every value is a validated change's, a status of ours or the
    # ids and error text of a write, so nothing needs checking, and the result shares its
    # change's diff instead of copying it (validating copied every diff: half a million
    # copies in a 100,000-tenant apply). An apply makes one per change (6,000 in a no-op
    # re-sync of 1,000 tenants with a 5-flow template).
    return constructed(TenantResult, values, _fields_set(frozenset(extra)))


def _fields_set(extra: frozenset[str]) -> set[str]:
    """The fields set of a result given ``extra`` (`_SET_ALWAYS` and those): one set shared by
    every such result (`activepieces_core.tenants._fields_sets`)."""
    shared = _FIELDS_SETS.get(extra)
    if shared is None:
        shared = _FIELDS_SETS[extra] = shared_fields_set({*_SET_ALWAYS, *extra})
    return shared


#: Extra fields given -> the fields set of results built with them.
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


#: A unit of work: the indexes (in ``Plan.changes``) of one change, or of a batch of them.
Unit = list[int]


class _Apply:
    """One apply of a plan: its changes, what earlier phases made (`Applied`) and the results.

    Phases run one after the other; within a phase, workers share one iterator of units, so
    each unit is taken once and at most ``workers`` requests are in flight.
    """

    def __init__(
        self,
        plan: Plan,
        *,
        dry_run: bool,
        on_result: ResultCallback | None,
        archiver: Archiver | None = None,
    ) -> None:
        self.changes = plan.changes
        self.dry_run = dry_run
        self.on_result = on_result
        self.results: list[TenantResult | None] = [None] * len(self.changes)
        #: Change kind -> its kind, looked up once per apply (the active kinds are fixed for
        #: its duration): six look-ups a change were 2% of the client's CPU on onboarding.
        self._kinds: dict[str, Kind[Any]] = {}
        project_ids: dict[str, str] = {}
        #: (kind, tenant) -> its writes `units` has not looked at yet, for the kinds that
        #: batch per tenant.
        self._left: Counter[tuple[str, str]] = Counter()
        #: How many changes write (not a noop).
        self.writes = 0
        self._phases = self._sorted(project_ids)
        self.applied = Applied(project_ids=project_ids, archiver=archiver)

    def _sorted(self, project_ids: dict[str, str]) -> list[list[int]]:
        """The changes' indexes grouped by `Kind.phase`, lowest phase first, in one pass over
        the changes (it is on the way to the first write: 16-17 ms for the 21,000 changes of
        10,000 tenants on a piece-set platform, where three passes took 18-19) that also
        records each tenant's project id, the writes, and each tenant's writes of a kind that
        batches per tenant."""
        phases: dict[int, list[int]] = {}
        # (change kind, action) -> (its phase, its kind's name if it batches per tenant).
        known: dict[tuple[str, str], tuple[int, str | None]] = {}
        left = self._left
        writes = 0
        for index, change in enumerate(self.changes):
            action = change.action
            pair = (change.kind, action)
            found = known.get(pair)
            if found is None:
                kind = self.kind(change)
                per_tenant = kind.name if kind.batch_per_tenant else None
                found = known[pair] = (kind.phase(change), per_tenant)
            phases.setdefault(found[0], []).append(index)
            if change.project_id is not None:
                project_ids[change.external_id] = change.project_id
            if action != "noop":
                writes += 1
                if found[1] is not None:
                    left[(found[1], change.external_id)] += 1
        self.writes = writes
        return [phases[phase] for phase in sorted(phases)]

    def kind(self, change: TenantChange) -> Kind[Any]:
        """The kind that writes ``change`` (`kind_of`)."""
        kind = self._kinds.get(change.kind)
        if kind is None:
            kind = self._kinds[change.kind] = kind_of(change.kind)
        return kind

    def phases(self) -> list[list[int]]:
        """The changes' indexes grouped by `Kind.phase`, lowest phase first."""
        return self._phases

    def settle(self, indexes: Sequence[int]) -> list[int]:
        """Record the result of each of a phase's changes that sends nothing whatever happens
        (a noop, every change of a dry run) at once, not as a unit of work each (a no-op
        re-sync of 1,000 tenants with a 5-flow template: 6,000 of them after its last read,
        ~0.1 s one by one); the indexes of the others, which may write."""
        rest: list[int] = []
        results, on_result = self.results, self.on_result
        for index in indexes:
            change = self.changes[index]
            if change.action != "noop" and not self.dry_run:
                rest.append(index)
                continue
            result = results[index] = _result(
                change, "skipped" if change.action == "noop" else "planned", error=None
            )
            if on_result is not None:
                on_result(result)
        return rest

    def units(self, indexes: Sequence[int]) -> Iterator[Unit]:
        """A phase's changes as units of work: alone, or batched by their kind's `batch_key`
        (asked now, so it can use ids made in earlier phases). Made as the workers take them,
        so the phase's first write goes at once, not after a pass over all of its changes
        (onboarding 10,000 tenants on a piece-set platform: between the sets' last write and
        the first project create, 186 -> 49 ms at load 2-4). A batch goes when full, when it
        holds its tenant's last change (`Kind.batch_per_tenant`: onboarding 1,000 tenants with
        a 5-flow template, the first replace went 10 ms after the phase began, now at once),
        or once every change of the phase has been looked at."""
        groups: dict[tuple[str, str], Unit] = {}
        left = self._left
        for index in indexes:
            change = self.changes[index]
            kind = self.kind(change)
            key = None if self._unsent(change) else kind.batch_key(change, self.applied)
            if key is None:
                yield [index]
            else:
                # Keyed by the kind, not the change kind: one write may carry several (a
                # tenant's flows, tables and folders go in one replace).
                group = groups.setdefault((kind.name, key), [])
                group.append(index)
                if len(group) >= kind.batch_size:
                    yield groups.pop((kind.name, key))
            if kind.batch_per_tenant:
                tenant = (kind.name, change.external_id)
                left[tenant] -= 1
                # Its last change: the batch it is in holds the tenant's others too (any other
                # open batch of the tenant's goes at the end of the phase, as without the flag).
                if not left[tenant] and key is not None and (kind.name, key) in groups:
                    yield groups.pop((kind.name, key))
        yield from groups.values()

    async def worker(self, client: AsyncActivepiecesClient, todo: Iterator[Unit]) -> None:
        """Take units from ``todo`` until none is left, recording each result as it lands."""
        for unit in todo:
            if len(unit) == 1:
                done = [await self.one(client, self.changes[unit[0]])]
            else:
                done = await self.batch(client, [self.changes[i] for i in unit])
            for index, result in zip(unit, done, strict=True):
                self.results[index] = result
                if self.on_result is not None:
                    self.on_result(result)

    async def one(self, client: AsyncActivepiecesClient, change: TenantChange) -> TenantResult:
        """Write one change (or say why it sends nothing)."""
        unsent = self._unsent(change)
        if unsent is not None:
            status, error = unsent
            return _result(change, status, error=error)
        try:
            target = await self.kind(change).write(client, change, self.applied)
        except PartlyWritten as partly:
            return self._partly([change], partly)[0]
        except Exception as exc:  # one tenant's failure never stops the others
            return self._failed(change, exc)
        return self._succeeded(change, target)

    async def batch(
        self, client: AsyncActivepiecesClient, changes: Sequence[TenantChange]
    ) -> list[TenantResult]:
        """Write changes of one kind and `batch_key` in one request."""
        try:
            target = await self.kind(changes[0]).write_batch(client, changes, self.applied)
        except PartlyWritten as partly:
            return self._partly(changes, partly)
        except Exception as exc:  # the request carried them all: each one failed
            return [self._failed(change, exc) for change in changes]
        return [self._succeeded(change, target) for change in changes]

    def _partly(self, changes: Sequence[TenantChange], partly: PartlyWritten) -> list[TenantResult]:
        """The results of a write that failed for some of its changes only."""
        return [
            self._failed(change, partly.failed[i])
            if i in partly.failed
            else self._succeeded(change, partly.target)
            for i, change in enumerate(changes)
        ]

    def report(self, started: float) -> ApplyReport:
        """The results so far, in plan order."""
        rest = {
            "dry_run": self.dry_run,
            "duration_seconds": round(time.perf_counter() - started, 3),
        }
        return ApplyReport.holding(rest, "results", [r for r in self.results if r is not None])

    def _unsent(self, change: TenantChange) -> tuple[Status, str | None] | None:
        """Status and reason of a change that sends nothing (a noop, a dry run, a change whose
        tenant's project failed); None for one to write."""
        if change.action == "noop":
            return "skipped", None
        if self.dry_run:
            return "planned", None
        kind = self.kind(change)
        if kind.depends_on_project(change) and change.external_id in self.applied.failed_tenants:
            return "skipped", "the tenant's project change failed"
        return None

    def _succeeded(self, change: TenantChange, target: str | None) -> TenantResult:
        ids = self.kind(change).result_ids(change, target, self.applied)
        return _result(change, "succeeded", **ids)

    def _failed(self, change: TenantChange, exc: Exception) -> TenantResult:
        self.applied.failed_tenants.add(change.external_id)
        return _result(change, "failed", error=str(exc), error_type=type(exc).__name__)


async def aapply(
    client: AnyClient,
    plan: Plan | Mapping[str, Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    on_result: ResultCallback | None = None,
    check_stale: bool = True,
    archive: ArchiveTarget = ARCHIVE_REQUIRED,
) -> ApplyReport:
    """Apply ``plan`` (a `Plan` or its ``to_dict``) with at most ``concurrency`` requests in flight.

    Raises `DeletionLimitExceeded` before sending anything when the plan deletes more than
    ``max_deletions``. Otherwise never raises for a tenant: each failure lands in its result.
    ``on_result`` is called once per tenant as results arrive (e.g. to drive a progress bar).
    With ``check_stale`` (the default) it first re-reads what the plan writes to and raises
    `StalePlanError`, sending nothing, if any of it changed since planning (`afind_stale`);
    a dict plan must be intact (`Plan.from_dict` raises `InvalidPlanError` otherwise).
    ``archive`` (a directory, an fsspec URL or an `ArchiveStore`) is where each tenant whose
    project the plan deletes is archived first (docs/archives.md): a tenant whose archive
    cannot be written and verified is failed, not deleted. A plan that deletes a tenant
    project raises `ArchiveRequiredError` (nothing sent) unless ``archive`` is given, or
    ``None`` to delete without archives.
    """
    with job_kept_frozen():
        if not isinstance(plan, Plan):
            with collector_paused():  # it builds what the apply keeps
                plan = Plan.from_dict(plan)  # before the job's clients: a bad plan costs none
        async with job_clients(client) as clients:
            return await apply_with(
                clients,
                plan,
                concurrency=concurrency,
                dry_run=dry_run,
                max_deletions=max_deletions,
                on_result=on_result,
                check_stale=check_stale,
                archive=archive,
            )


async def apply_with(
    clients: JobClients,
    plan: Plan,
    *,
    concurrency: int,
    dry_run: bool,
    max_deletions: int | None,
    on_result: ResultCallback | None,
    check_stale: bool,
    archive: ArchiveTarget,
) -> ApplyReport:
    """`aapply` on the clients of a job (`areconcile`'s plan opened them); ``plan`` already
    read (`aapply` reads a dict plan before it makes the clients)."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    check_deletions(plan, max_deletions)
    # An archive names its platform by URL, never by key.
    platform = str(clients.first.config.base_url)
    archiver = resolve_archiver(archive, plan, platform, dry_run=dry_run)
    started = time.perf_counter()
    run = _Apply(plan, dry_run=dry_run, on_result=on_result, archiver=archiver)
    workers = max(1, min(concurrency, run.writes)) if not dry_run else 1
    pools = await clients.pools(workers)
    if check_stale:
        stale = await afind_stale(pools[0], plan, concurrency=concurrency)
        if stale:
            raise StalePlanError(stale)
    for indexes in run.phases():
        # Shared by the workers: each unit is made and taken once.
        todo = run.units(run.settle(indexes))
        await asyncio.gather(*(run.worker(pools[i % len(pools)], todo) for i in range(workers)))
    return run.report(started)
