"""Compute a `Plan`: ask every kind of tenant resource to read its state and to diff it.

The kinds (`activepieces_core.tenants.kinds`) own the rules: how the projects are read (one
listing or a lookup per tenant), what prune may delete, what each resource's changes are. This
module only validates the document, runs the kinds' reads (each once those it waits for
have read) and their diffs in order, and assembles the plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE
from activepieces_core.tenants._gc import collector_paused
from activepieces_core.tenants._runner import AnyClient, async_client
from activepieces_core.tenants.kinds import (
    Kind,
    PlanInput,
    Reading,
    ReadStrategy,
    active_kinds,
    is_protected,
)
from activepieces_core.tenants.loaders import TenantDocument, TenantSource, load_document
from activepieces_core.tenants.results import Plan, TenantChange
from activepieces_core.tenants.teardown import teardown_ids

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "LOOKUP_THRESHOLD",
    "ReadStrategy",
    "aplan",
    "aplan_teardown",
    "is_protected",
]

LOOKUP_THRESHOLD = 4


async def aplan(
    client: AnyClient,
    specs: TenantSource | TenantDocument,
    *,
    prune: bool = False,
    protect: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
    read: ReadStrategy = "auto",
    lookup_threshold: int = LOOKUP_THRESHOLD,
    concurrency: int = DEFAULT_CONCURRENCY,
    prune_members: bool = False,
    offboard_users: bool = False,
) -> Plan:
    """Plan the changes that bring the platform's tenants to ``specs``.

    ``client`` is async, sync or a `ClientConfig` (see `async_client`). ``specs`` is anything
    `load_document` accepts (a document may declare ``piece_sets``); invalid specs raise
    `TenantSpecError` before any request.
    ``read="lookup"`` with ``prune`` is upgraded to a listing (prune needs it).
    ``prune_members`` also removes the people a tenant's ``members`` does not list;
    ``offboard_users`` (with ``prune``) deactivates the users whose every project is pruned.
    """
    with collector_paused():
        document = load_document(specs)  # also rejects duplicate external ids
    request = PlanInput(
        tenants=document.tenants,
        piece_sets=document.piece_sets,
        templates=document.templates,
        prune=prune,
        protect=tuple(protect),
        page_size=page_size,
        read=read,
        lookup_threshold=lookup_threshold,
        concurrency=concurrency,
        prune_members=prune_members,
        offboard_users=offboard_users,
    )
    tenant_plan = await _plan(client, request)
    # Saved plans name the document they came from, so apply can refuse another version.
    return tenant_plan.naming(document)


async def aplan_teardown(
    client: AnyClient,
    external_ids: Sequence[str],
    *,
    protect: Sequence[str] = (),
    offboard_users: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
    lookup_threshold: int = LOOKUP_THRESHOLD,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Plan:
    """Plan tearing down exactly the tenants ``external_ids``: their projects (memberships go
    with them), the piece sets they own, and with ``offboard_users`` the users left with no
    project. Ids with no project are listed in ``Plan.missing``; ``protect`` keeps matches.
    A blank id raises `InvalidRequestError` before any request (`teardown_ids`).
    A few tenants are looked up one by one, more are found with one paged listing.
    """
    request = PlanInput(
        tenants=(),
        teardown=tuple(teardown_ids(external_ids)),
        protect=tuple(protect),
        page_size=page_size,
        lookup_threshold=lookup_threshold,
        concurrency=concurrency,
        offboard_users=offboard_users,
    )
    return await _plan(client, request)


async def _plan(client: AnyClient, request: PlanInput) -> Plan:
    """Every kind that the request involves reads, each as soon as the kinds its read waits for
    have read (`Kind.read_waits_for`), so independent reads are on the wire together (the
    projects listing and the piece-set probe: one round trip before the first write less).
    Each kind diffs in `active_kinds` order, as soon as it may: once it and the kinds its diff
    waits for (`Kind.diff_waits_for`) have read. What a kind read for itself is let go once
    it has diffed (at 100,000 tenants a kind's read is hundreds of megabytes: a plan's peak
    was every read and every change at once). The first read to fail stops the others."""
    kinds: list[Kind[Any]] = [kind for kind in active_kinds() if kind.wanted(request)]
    reading = Reading()
    states: list[Any] = [None] * len(kinds)
    changes: list[TenantChange] = []
    read: set[str] = set()
    done = {kind.name: asyncio.Event() for kind in kinds}
    diffed = 0

    async def read_one(ac: AsyncActivepiecesClient, index: int) -> None:
        nonlocal diffed
        kind = kinds[index]
        for name in _read_waits_for(kind, kinds[:index]):
            await done[name].wait()
        states[index] = await kind.read(ac, request, reading)
        read.add(kind.name)
        done[kind.name].set()
        while diffed < len(kinds) and _may_diff(kinds[diffed], kinds, read):
            with collector_paused():
                changes.extend(kinds[diffed].diff(request, reading, states[diffed]))
            states[diffed] = None
            diffed += 1

    async with async_client(client) as ac:
        tasks = [asyncio.ensure_future(read_one(ac, index)) for index in range(len(kinds))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            # Reaped before the client closes, and a second failure is not left unretrieved.
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    rest = {
        "prune": request.prune,
        "protected": reading.protected,
        "warnings": reading.warnings,
        "read_requests": reading.requests,
        "missing": reading.missing,
    }
    return Plan.holding(rest, "changes", changes)


def _read_waits_for(kind: Kind[Any], earlier: Sequence[Kind[Any]]) -> list[str]:
    """The kinds of this plan whose read ``kind``'s read waits for: those it names, or (it
    names none: None) every kind before it."""
    if kind.read_waits_for is None:
        return [k.name for k in earlier]
    planned = {k.name for k in earlier}
    return [name for name in kind.read_waits_for if name in planned]


def _may_diff(kind: Kind[Any], kinds: Sequence[Kind[Any]], read: set[str]) -> bool:
    """Whether ``kind`` and every kind of this plan that its diff waits for have read."""
    if kind.name not in read:
        return False
    planned = {k.name for k in kinds}
    return all(name in read for name in kind.diff_waits_for if name in planned)
