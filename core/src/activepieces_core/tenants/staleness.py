"""Is a plan still true? Re-read what it would touch and compare with what it was planned against.

Every planned change records ``observed``: the server state it was planned against (None:
the resource was absent). Before a saved plan is applied, `afind_stale` re-reads the resources
of every change that writes (noops write nothing and are not checked) and reports each one that
*changed*, *appeared* (absent when planned, present now) or *vanished* (present when planned,
gone now). `aapply` raises `StalePlanError` listing them, before sending any write.

The check is per kind: `STALENESS_CHECKS` maps a change kind to its check, and a kind without
one is not checked (register one with `register_staleness_check`). The project check re-reads
with a handful of concurrent lookups for small plans and one paged TEAM listing otherwise, so
checking a 50,000-tenant plan costs what planning it cost to read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE
from activepieces_core.errors import ActivepiecesError, AmbiguousExternalIdError, NotFoundError
from activepieces_core.models import Project, ProjectType
from activepieces_core.project_diff import observed_state
from activepieces_core.tenants._runner import AnyClient, async_client, blocking
from activepieces_core.tenants.results import Plan, TenantChange

__all__ = [
    "LOOKUP_MAX",
    "STALENESS_CHECKS",
    "StalePlanError",
    "StaleTenant",
    "StalenessCheck",
    "afind_stale",
    "find_stale",
    "register_staleness_check",
]

Reason = Literal["changed", "appeared", "vanished"]

#: Up to this many project changes are re-read one lookup each; beyond, one paged listing.
LOOKUP_MAX = 32


@dataclass(frozen=True)
class StaleTenant:
    """One planned change whose resource moved on since it was planned.

    ``reason``: ``changed`` (``fields`` lists what differs), ``appeared`` or ``vanished``.
    """

    external_id: str
    kind: str
    reason: Reason
    key: str | None = None
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        """``acme: project changed (display_name, updated)`` and the like."""
        what = self.kind if self.key is None else f"{self.kind} {self.key}"
        detail = {
            "changed": f" ({', '.join(self.fields)})" if self.fields else "",
            "appeared": " (absent when planned)",
            "vanished": " (present when planned)",
        }[self.reason]
        return f"{self.external_id}: {what} {self.reason}{detail}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "external_id": self.external_id,
            "kind": self.kind,
            "key": self.key,
            "reason": self.reason,
            "fields": list(self.fields),
        }


class StalePlanError(ActivepiecesError):
    """The server changed since the plan was made; nothing was applied. Plan again.

    ``stale`` lists every `StaleTenant`; ``external_ids`` the tenants concerned, in plan order.
    """

    SHOWN = 50

    def __init__(self, stale: Sequence[StaleTenant]) -> None:
        self.stale = list(stale)
        self.external_ids = list(dict.fromkeys(s.external_id for s in self.stale))
        lines = "; ".join(s.describe() for s in self.stale[: self.SHOWN])
        more = len(self.stale) - self.SHOWN
        tail = f"; and {more} more" if more > 0 else ""
        super().__init__(
            f"the plan is stale: {len(self.external_ids)} tenant(s) changed on the server since "
            f"it was planned ({lines}{tail}); nothing was applied, plan again"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.stale,))


#: ``check(client, changes, concurrency=..., page_size=...)``: the stale ones among ``changes``
#: (all of one kind, none a noop).
StalenessCheck = Callable[..., Awaitable[list[StaleTenant]]]


def _project_state(project: Project) -> dict[str, Any]:
    # observed_state plus the external id, which an adoption plan records (it changes it).
    state = observed_state(project)
    state["external_id"] = project.external_id
    return state


def _compare(change: TenantChange, project: Project | None) -> StaleTenant | None:
    observed = change.observed
    if observed is None:  # planned as absent: a create
        if project is None:
            return None
        return StaleTenant(change.external_id, change.kind, "appeared", change.key)
    if project is None:
        return StaleTenant(change.external_id, change.kind, "vanished", change.key)
    current = _project_state(project)
    missing = object()
    fields = tuple(sorted(k for k, v in observed.items() if current.get(k, missing) != v))
    if not fields:
        return None
    return StaleTenant(change.external_id, change.kind, "changed", change.key, fields)


async def _read_one(client: AsyncActivepiecesClient, change: TenantChange) -> Project | None:
    observed = change.observed
    if observed is not None and observed.get("id"):
        try:
            return await client.projects.get(str(observed["id"]))
        except NotFoundError:
            return None
    try:
        found = await client.projects.get_by_external_id(change.external_id)
    except AmbiguousExternalIdError:
        # Several projects now claim it: certainly not absent any more.
        return Project(id="", display_name=change.external_id)
    return found if found is not None and found.is_team else None


async def check_projects(
    client: AsyncActivepiecesClient,
    changes: Sequence[TenantChange],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[StaleTenant]:
    """The staleness check of ``project`` changes.

    A change with an observed ``id`` is compared with the project of that id (gone: vanished;
    any observed field different, ``updated`` included: changed); a create with whatever TEAM
    project now has its external id (one there: appeared). Changes planned without ``observed``
    for an existing project (plans from before observed states) cannot be checked and pass.
    """
    checkable = [c for c in changes if c.observed is not None or c.action == "create"]
    if not checkable:
        return []
    if len(checkable) <= LOOKUP_MAX:
        gate = asyncio.Semaphore(concurrency)

        async def one(change: TenantChange) -> Project | None:
            async with gate:
                return await _read_one(client, change)

        found = await asyncio.gather(*(one(c) for c in checkable))
        verdicts = [_compare(c, p) for c, p in zip(checkable, found, strict=True)]
    else:
        by_id: dict[str, Project] = {}
        by_external_id: dict[str, Project] = {}
        async for project in client.projects.iter(types=[ProjectType.TEAM], limit=page_size):
            if not project.is_team:
                continue
            by_id[project.id] = project
            if project.external_id:
                by_external_id.setdefault(project.external_id, project)
        verdicts = []
        for change in checkable:
            observed = change.observed
            if observed is not None and observed.get("id"):
                current = by_id.get(str(observed["id"]))
            else:
                current = by_external_id.get(change.external_id)
            verdicts.append(_compare(change, current))
    return [v for v in verdicts if v is not None]


#: The staleness check of each kind of change; kinds without one are not checked.
STALENESS_CHECKS: dict[str, StalenessCheck] = {"project": check_projects}


def register_staleness_check(kind: str, check: StalenessCheck) -> None:
    """Register (or replace) the staleness check of changes of ``kind``."""
    STALENESS_CHECKS[kind] = check


async def afind_stale(
    client: AnyClient,
    plan: Plan | Mapping[str, Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[StaleTenant]:
    """Every change of ``plan`` whose resource changed, appeared or vanished since it was planned.

    Reads only; a plan without writes reads nothing. Kinds are checked one after the other,
    in plan order of their first change.
    """
    if not isinstance(plan, Plan):
        plan = Plan.from_dict(dict(plan))
    by_kind: dict[str, list[TenantChange]] = {}
    for change in plan.changes:
        if change.action != "noop" and change.kind in STALENESS_CHECKS:
            by_kind.setdefault(change.kind, []).append(change)
    if not by_kind:
        return []
    stale: list[StaleTenant] = []
    async with async_client(client) as ac:
        for kind, changes in by_kind.items():
            check = STALENESS_CHECKS[kind]
            stale.extend(await check(ac, changes, concurrency=concurrency, page_size=page_size))
    return stale


find_stale = blocking(afind_stale, "Sync `afind_stale`: the stale changes of a plan (reads only).")
