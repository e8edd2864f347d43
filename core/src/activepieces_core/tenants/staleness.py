"""Is a plan still true? Re-read what it would touch and compare with what it was planned against.

Every planned change records ``observed``: the server state it was planned against (None:
the resource was absent). Before a saved plan is applied, `afind_stale` re-reads the resources
of every change that writes (noops write nothing and are not checked) and reports each one that
*changed*, *appeared* (absent when planned, present now) or *vanished* (present when planned,
gone now). `aapply` raises `StalePlanError` listing them, before sending any write.

The check is per kind (`Kind.find_stale`, next to each kind's read, diff and writes). The
project check re-reads with a handful of concurrent lookups for small plans and one paged TEAM
listing otherwise, so checking a 50,000-tenant plan costs what planning it cost to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activepieces_core.constants import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE
from activepieces_core.errors import ActivepiecesError
from activepieces_core.tenants._runner import AnyClient, async_client, blocking
from activepieces_core.tenants.kinds import Kind, PlanInput, StaleChange, kind_of
from activepieces_core.tenants.results import Plan, TenantChange

__all__ = [
    "StaleChange",
    "StalePlanError",
    "afind_stale",
    "find_stale",
]


class StalePlanError(ActivepiecesError):
    """The server changed since the plan was made; nothing was applied. Plan again.

    ``stale`` lists every `StaleChange`; ``external_ids`` the tenants concerned, in plan order.
    """

    SHOWN = 50

    def __init__(self, stale: Sequence[StaleChange]) -> None:
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


async def afind_stale(
    client: AnyClient,
    plan: Plan | Mapping[str, Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[StaleChange]:
    """Every change of ``plan`` whose resource changed, appeared or vanished since it was planned.

    Reads only; a plan without writes reads nothing. Kinds are checked one after the other,
    in plan order of their first change.
    """
    if not isinstance(plan, Plan):
        plan = Plan.from_dict(dict(plan))
    by_kind: dict[Kind[Any], list[TenantChange]] = {}
    for change in plan.changes:
        if change.action != "noop":
            by_kind.setdefault(kind_of(change.kind), []).append(change)
    if not by_kind:
        return []
    request = PlanInput(tenants=(), concurrency=concurrency, page_size=page_size)
    stale: list[StaleChange] = []
    async with async_client(client) as ac:
        for kind, changes in by_kind.items():
            stale.extend(await kind.find_stale(ac, changes, request))
    return stale


find_stale = blocking(afind_stale, "Sync `afind_stale`: the stale changes of a plan (reads only).")
