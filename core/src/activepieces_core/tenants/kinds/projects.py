"""The project kind: the tenant's TEAM project itself.

Read (``read="auto"``): with ``prune`` or more than ``lookup_threshold`` specs, one paged
listing of TEAM projects (``types=TEAM``, ``page_size`` per page, so ⌈T/page_size⌉ requests for
T team projects); otherwise one concurrent lookup by externalId per spec (a handful of small
requests beats paging through a large platform).

Prune deletes only TEAM projects that have a non-empty externalId that is absent from the specs
and matches no ``protect`` pattern (fnmatch globs on external id or project id). PERSONAL
projects and projects without an externalId are never candidates: nothing says we own them.

Writes per tenant:
* create: one ``create`` (plus one ``update`` only for fields create cannot set: icon colour,
  releases, a pieces allow-list). If the create fails in a way that may have reached the server
  (`is_ambiguous_write`), the tenant falls back to the client's idempotent ``ensure``, which
  looks the externalId up before creating again, so retries never duplicate. The plan already
  proved the tenant absent, which is why the first attempt skips ensure's lookup and onboarding
  costs one request per tenant.
* update: one ``update`` carrying every changed field (pieces and plan folded in).
* delete: the tenant's archive written and verified first, when the apply has an archiver
  (`activepieces_core.tenants.archive`; docs/archives.md), then one ``delete`` (the client treats a
  404 after a retried attempt as success).

Global connections (``global_connections``): read back for the tenants that manage them and
exist, one ``GET /v1/app-connections?projectId=&scope=PLATFORM`` each (upstream's list keeps
the connections whose ``projectIds`` hold the project: app-connection-service.ts @ 011c3e5),
compared as a set, and written with the project's create or update
(``globalConnectionExternalIds``: the server makes the project's set exactly that list). On a
platform whose plan has ``globalConnectionsEnabled`` off the server ignores them: not compared,
and the plan warns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.errors import AmbiguousExternalIdError, NotFoundError
from activepieces_core.models import Project, ProjectType
from activepieces_core.project_diff import observed_state
from activepieces_core.retries import is_ambiguous_write
from activepieces_core.tenants._fields_sets import share_fields_sets
from activepieces_core.tenants.diff import creation_diff_of, diff_project, update_kwargs
from activepieces_core.tenants.kinds.base import (
    Applied,
    Kind,
    PlanInput,
    Reading,
    StaleChange,
    compare_observed,
    is_protected,
    torn_down,
)
from activepieces_core.tenants.kinds.piece_sets import uses_piece_sets
from activepieces_core.tenants.kinds.platform_flags import platform_flags
from activepieces_core.tenants.results import TenantChange
from activepieces_core.tenants.spec import TenantSpec

__all__ = ["PHASE_DELETE", "PHASE_WRITE", "ProjectKind", "is_protected"]

PHASE_WRITE = 20
PHASE_DELETE = 50
#: Up to this many project changes are re-read one lookup each when checking staleness.
STALE_LOOKUP_MAX = 32


async def _list_team(client: AsyncActivepiecesClient, page_size: int) -> tuple[list[Project], int]:
    projects: list[Project] = []
    pages = 0
    # Pages come in order, the next one already requested (a repeated cursor is an error).
    async for page in client.projects.pages(types=[ProjectType.TEAM], limit=page_size):
        pages += 1
        for project in page.data:
            if project.is_team:
                share_fields_sets(project)  # kept for the whole plan: 100,000 of them
                projects.append(project)
    return projects, pages


async def _lookup(
    client: AsyncActivepiecesClient, external_ids: Sequence[str], gate: asyncio.Semaphore
) -> list[Project]:
    async def one(external_id: str) -> list[Project]:
        async with gate:
            try:
                found = await client.projects.get_by_external_id(external_id)
            except AmbiguousExternalIdError:
                # Several projects claim it: read them all, so the duplicate rule is the
                # listing's (lowest id managed, a warning names the others) however we read.
                page = await client.projects.list(
                    external_id=external_id, types=[ProjectType.TEAM], limit=100
                )
                return [p for p in page.data if p.external_id == external_id]
            return [] if found is None else [found]

    found = await asyncio.gather(*(one(e) for e in external_ids))
    return [p for group in found for p in group if p.is_team]


#: The project field (`activepieces_core.project_fields`) global connections are written as.
GLOBAL_CONNECTIONS = "global_connection_external_ids"
#: What the project kind reads besides the projects: tenant -> its global connections now.
Shared = dict[str, tuple[str, ...]]


async def _read_shared(
    client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
) -> Shared:
    """The global connections of each existing tenant that manages them (one read each)."""
    managed = [
        (spec.external_id, reading.projects[spec.external_id].id)
        for spec in request.tenants
        if spec.global_connections is not None and spec.external_id in reading.projects
    ]
    if not managed:
        return {}
    flags = await platform_flags(client, reading)
    if flags is not None and not flags.global_connections_enabled:
        reading.warnings.append(
            "global_connections: this platform's plan has globalConnectionsEnabled off, so the "
            "server ignores them; they are neither compared nor written"
        )
        return {}
    gate = reading.budget(request.concurrency)  # the piece sets read beside it

    async def one(project_id: str) -> tuple[str, ...]:
        async with gate:
            rows = await client.app_connections.list(project_id, scope="PLATFORM")
        return tuple(sorted({r.external_id for r in rows if project_id in r.project_ids}))

    found = await asyncio.gather(*(one(pid) for _, pid in managed))
    reading.requests += len(managed)
    return {ext: ids for (ext, _), ids in zip(managed, found, strict=True)}


def _shared_diff(spec: TenantSpec, shared: Shared) -> dict[str, Any]:
    """The global connections entry of a tenant's diff (empty when they agree or are not
    read: not managed, a new tenant, or the platform ignores them)."""
    have = shared.get(spec.external_id)
    want = spec.global_connections
    if have is None or want is None or list(have) == list(want):
        return {}
    return {GLOBAL_CONNECTIONS: {"from": list(have), "to": list(want)}}


async def _create(client: AsyncActivepiecesClient, spec: TenantSpec, pieces: bool) -> Project:
    gc_ids = None if spec.global_connections is None else list(spec.global_connections)
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
        wish = spec.project_wish(pieces=pieces)
        result = await client.projects.ensure(
            spec.external_id,
            spec.effective_display_name,
            metadata=spec.metadata,
            max_concurrent_jobs=spec.max_concurrent_jobs,
            releases_enabled=spec.releases_enabled,
            icon_color=spec.icon_color,
            global_connection_external_ids=gc_ids,
            if_exists="update",
            **({"pieces": wish["pieces"]} if "pieces" in wish else {}),
        )
        return result.project
    rest = diff_project(spec, project, pieces=pieces)
    if not rest:
        return project
    # Global connections were attached by create; do not resend them.
    return await client.projects.update(project.id, **update_kwargs(rest, None))


def _stale_view(project: Project | None) -> dict[str, Any] | None:
    # observed_state plus the external id, which an adoption plan records (it changes it).
    if project is None:
        return None
    state = observed_state(project)
    state["external_id"] = project.external_id
    return state


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


class ProjectKind(Kind[Shared]):
    """The tenant's TEAM project, keyed by external id."""

    name = "project"
    counts_toward_max_deletions = True
    #: It reads first: the other kinds hang off the projects it finds.
    read_waits_for = ()
    #: Its diff asks the piece-set kind's read whether pieces are a project field.
    diff_waits_for = ("piece_set",)

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> Shared:
        names = list(request.teardown) or [s.external_id for s in request.tenants]
        use_list = (
            request.read == "list"
            or request.prune
            or bool(request.teardown and request.offboard_users)
            or (request.read == "auto" and len(names) > request.lookup_threshold)
        )
        if use_list:
            existing, reads = await _list_team(client, request.page_size)
        else:
            gate = reading.budget(request.concurrency)  # the piece sets read beside it
            existing, reads = await _lookup(client, names, gate), len(names)
        reading.requests += reads
        claimed = reading.projects
        shared: dict[str, list[Project]] = {}  # external ids on several projects
        for project in existing:
            ext = project.external_id
            if ext:
                first = claimed.setdefault(ext, project)
                if first is not project:
                    shared.setdefault(ext, [first]).append(project)
        for ext in sorted(shared):
            # Several projects claim one external id: the lowest id is managed, however the
            # server ordered them; the others are named in a warning.
            managed, *others = sorted(shared[ext], key=lambda p: p.id)
            claimed[ext] = managed
            reading.warnings.extend(
                f"external id {ext!r} is on several TEAM projects "
                f"({managed.id}, {other.id}); managing {managed.id}"
                for other in others
            )
        return await _read_shared(client, request, reading)

    def diff(self, request: PlanInput, reading: Reading, state: Shared) -> list[TenantChange]:
        # Where piece sets govern, a tenant's pieces are a set (the piece-set kind's), and
        # the project plan's list decides nothing: it is neither compared nor written.
        pieces = not uses_piece_sets(reading)
        data = {} if pieces else {"pieces": False}
        changes: list[TenantChange] = []
        for spec in request.tenants:
            current = reading.projects.get(spec.external_id)
            if current is None:
                created = creation_diff_of(spec, pieces=pieces)
                if spec.global_connections:  # create sends them
                    created[GLOBAL_CONNECTIONS] = {
                        "from": None,
                        "to": list(spec.global_connections),
                    }
                changes.append(
                    TenantChange.of(
                        external_id=spec.external_id,
                        action="create",
                        display_name=spec.effective_display_name,
                        diff=created,
                        data=data,
                        spec=spec,
                    )
                )
                continue
            diff = {**diff_project(spec, current, pieces=pieces), **_shared_diff(spec, state)}
            # A noop writes nothing, so it carries no spec (which keeps a saved plan of a large
            # platform small) and no observed state (nothing to re-read for staleness).
            write: dict[str, Any] = (
                {"diff": diff, "data": data, "spec": spec, "observed": observed_state(current)}
                if diff
                else {}
            )
            changes.append(
                TenantChange.of(
                    external_id=spec.external_id,
                    action="update" if diff else "noop",
                    project_id=current.id,
                    display_name=current.display_name,
                    **write,
                )
            )
        deleting = torn_down(request, reading)
        named = request.teardown or ()
        if request.prune or named:
            candidates = named or set(reading.projects) - {s.external_id for s in request.tenants}
            going = set(deleting)
            reading.protected.extend(
                e for e in sorted(candidates) if e in reading.projects and e not in going
            )
            reading.missing.extend(e for e in dict.fromkeys(named) if e not in reading.projects)
        for ext in deleting:
            project = reading.projects[ext]
            delete = TenantChange.of(
                external_id=ext,
                action="delete",
                project_id=project.id,
                display_name=project.display_name,
                observed=observed_state(project),
            )
            changes.append(delete.planned_with(project))  # what its archive records
        return changes

    def phase(self, change: TenantChange) -> int:
        return PHASE_DELETE if change.action == "delete" else PHASE_WRITE

    async def find_stale(
        self,
        client: AsyncActivepiecesClient,
        changes: Sequence[TenantChange],
        request: PlanInput,
    ) -> list[StaleChange]:
        """A change with an observed ``id`` is compared with the project of that id, a create
        with whatever TEAM project now has its external id; a few changes are re-read one
        lookup each, more with one paged TEAM listing (what planning cost to read)."""
        checkable = [c for c in changes if c.observed is not None or c.action == "create"]
        if not checkable:
            return []
        if len(checkable) <= STALE_LOOKUP_MAX:
            gate = asyncio.Semaphore(request.concurrency)

            async def one(change: TenantChange) -> Project | None:
                async with gate:
                    return await _read_one(client, change)

            found = await asyncio.gather(*(one(c) for c in checkable))
        else:
            projects, _ = await _list_team(client, request.page_size)
            by_id = {p.id: p for p in projects}
            by_external_id: dict[str, Project] = {}
            for project in projects:
                if project.external_id:
                    by_external_id.setdefault(project.external_id, project)
            found = [
                by_id.get(str(c.observed["id"]))
                if c.observed is not None and c.observed.get("id")
                else by_external_id.get(c.external_id)
                for c in checkable
            ]
        verdicts = [
            compare_observed(c, _stale_view(p)) for c, p in zip(checkable, found, strict=True)
        ]
        return [v for v in verdicts if v is not None]

    def depends_on_project(self, change: TenantChange) -> bool:
        return False

    def result_ids(
        self, change: TenantChange, target: str | None, applied: Applied
    ) -> dict[str, str | None]:
        return {"project_id": target}  # the project is the target

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        if change.action == "create":
            assert change.spec is not None
            pieces = change.data.get("pieces", True) is not False
            project_id = (await _create(client, change.spec, pieces)).id
        elif change.action == "update":
            assert change.project_id is not None
            kwargs = update_kwargs(change.diff, change.spec)
            project_id = (await client.projects.update(change.project_id, **kwargs)).id
        else:
            assert change.project_id is not None
            if applied.archiver is not None:
                # Archived and verified first: a failure here raises, so the delete is never
                # sent and the tenant is reported failed with the reason.
                await applied.archiver.archive(
                    client, change.project_id, change.external_id, project=change.planned_project
                )
            await client.projects.delete(change.project_id)
            return change.project_id
        applied.project_ids[change.external_id] = project_id
        return project_id
