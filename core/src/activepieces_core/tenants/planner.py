"""Compute a `Plan`: read the current TEAM projects with as few requests as possible, then diff.

Reading strategy (``read="auto"``): with ``prune`` or more than ``lookup_threshold`` specs, one
paged listing of TEAM projects (``types=TEAM``, ``page_size`` per page, so ⌈T/page_size⌉ requests
for T team projects); otherwise one concurrent lookup by externalId per spec (a handful of
small requests beats paging through a large platform).

Prune deletes only TEAM projects that have a non-empty externalId that is absent from the specs
and matches no ``protect`` pattern (fnmatch globs on external id or project id). PERSONAL
projects and projects without an externalId are never candidates: nothing says we own them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Literal

from activepieces_core._ops import Cursor
from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE
from activepieces_core.models import Project, ProjectType
from activepieces_core.tenants._runner import AnyClient, async_client
from activepieces_core.tenants.diff import creation_diff_of, diff_project
from activepieces_core.tenants.loaders import TenantSource, load_tenants
from activepieces_core.tenants.results import Plan, TenantChange
from activepieces_core.tenants.spec import TenantSpec

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "LOOKUP_THRESHOLD",
    "ReadStrategy",
    "aplan",
    "is_protected",
]

LOOKUP_THRESHOLD = 4
ReadStrategy = Literal["auto", "list", "lookup"]


def is_protected(project: Project, patterns: Sequence[str]) -> bool:
    """True when the project's external id or id matches one of the glob ``patterns``."""
    keys = [k for k in (project.external_id, project.id) if k]
    return any(fnmatchcase(k, pat) for pat in patterns for k in keys)


async def _list_team(client: AsyncActivepiecesClient, page_size: int) -> tuple[list[Project], int]:
    projects: list[Project] = []
    pages = 0
    cursor = Cursor()  # a repeated cursor is an error, not an endless loop
    while True:
        page = await client.projects.list(
            types=[ProjectType.TEAM], limit=page_size, cursor=cursor.value
        )
        pages += 1
        projects.extend(p for p in page.data if p.is_team)
        if not cursor.advance(page):
            return projects, pages


async def _lookup(
    client: AsyncActivepiecesClient, specs: Sequence[TenantSpec], concurrency: int
) -> list[Project]:
    gate = asyncio.Semaphore(concurrency)

    async def one(external_id: str) -> Project | None:
        async with gate:
            return await client.projects.get_by_external_id(external_id)

    found = await asyncio.gather(*(one(s.external_id) for s in specs))
    return [p for p in found if p is not None and p.is_team]


async def aplan(
    client: AnyClient,
    specs: TenantSource,
    *,
    prune: bool = False,
    protect: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
    read: ReadStrategy = "auto",
    lookup_threshold: int = LOOKUP_THRESHOLD,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Plan:
    """Plan the changes that bring the platform's TEAM projects to ``specs``.

    ``client`` is async, sync or a `ClientConfig` (see `async_client`). ``specs`` is anything
    `load_tenants` accepts; invalid specs raise `TenantSpecError` before
    any request. ``read="lookup"`` with ``prune`` is upgraded to a listing (prune needs it).
    """
    tenants = load_tenants(specs)  # also rejects duplicate external ids
    protect = tuple(protect)
    use_list = read == "list" or prune or (read == "auto" and len(tenants) > lookup_threshold)
    async with async_client(client) as ac:
        if use_list:
            existing, reads = await _list_team(ac, page_size)
        else:
            existing, reads = await _lookup(ac, tenants, concurrency), len(tenants)

    by_external: dict[str, Project] = {}
    warnings: list[str] = []
    for project in sorted(existing, key=lambda p: p.id):
        ext = project.external_id
        if not ext:
            continue
        if ext in by_external:
            warnings.append(
                f"external id {ext!r} is on several TEAM projects "
                f"({by_external[ext].id}, {project.id}); managing {by_external[ext].id}"
            )
            continue
        by_external[ext] = project

    changes: list[TenantChange] = []
    for spec in tenants:
        current = by_external.get(spec.external_id)
        if current is None:
            changes.append(
                TenantChange(
                    external_id=spec.external_id,
                    action="create",
                    display_name=spec.effective_display_name,
                    diff=creation_diff_of(spec),
                    spec=spec,
                )
            )
            continue
        diff = diff_project(spec, current)
        changes.append(
            TenantChange(
                external_id=spec.external_id,
                action="update" if diff else "noop",
                project_id=current.id,
                display_name=current.display_name,
                diff=diff,
                spec=spec,
            )
        )

    protected: list[str] = []
    if prune:
        wanted = {s.external_id for s in tenants}
        for ext in sorted(set(by_external) - wanted):
            project = by_external[ext]
            if is_protected(project, protect):
                protected.append(ext)
                continue
            changes.append(
                TenantChange(
                    external_id=ext,
                    action="delete",
                    project_id=project.id,
                    display_name=project.display_name,
                )
            )
    return Plan(
        changes=changes,
        prune=prune,
        protected=protected,
        warnings=warnings,
        read_requests=reads,
    )
