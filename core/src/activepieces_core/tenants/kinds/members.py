"""The member kind: a tenant's people (its project's members and waiting invitations).

Read: the platform's role names once (to refuse an unknown role before anything is sent), then
for every tenant that manages ``members`` and whose project exists, its members and its waiting
PROJECT invitations: per project for a few tenants; for more, one platform-wide paged listing
of each (``GET /v1/platform-project-members/users`` and ``GET /v1/user-invitations``), grouped
by project, falling back to one members read per project where the server does not serve the
platform listing. A tenant without ``members`` is not read at all.

Diff, per e-mail: absent -> invite (``create``); another role -> ``update`` (the membership, or
the waiting invitation, which the server upserts); same role -> ``noop``. With the plan option
``prune_members`` people the file does not list are removed (``delete``: the membership and any
waiting invitation), except e-mails matching a ``protect`` pattern; removals count toward
``max_deletions``. Rules read from upstream as recorded in docs/people.md.

Writes go through ``client.project_members``: an invite is told the project's people as the
plan saw them, so it sends one request; after an ambiguous failure it reads them again before
sending again (no duplicate, nothing lost).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, TypeVar

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import PLATFORM_WIDE_INVITATIONS
from activepieces_core.errors import AuthorizationError, FeatureDisabledError, NotFoundError
from activepieces_core.models import Project
from activepieces_core.models.people import (
    Invitation,
    ProjectMember,
    ProjectRole,
    normalize_email,
)
from activepieces_core.tenants._fields_sets import share_fields_sets
from activepieces_core.tenants.kinds.base import (
    Applied,
    Kind,
    PlanInput,
    Reading,
    StaleChange,
    compare_observed,
)
from activepieces_core.tenants.results import TenantChange
from activepieces_core.tenants.spec import TenantSpecError
from activepieces_core.types.people import ProjectPeople

__all__ = ["PHASE_MEMBERS", "MemberKind"]

PHASE_MEMBERS = 40
#: A row of a people listing.
_Row = TypeVar("_Row", ProjectMember, Invitation)


def _protected(email: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(email, normalize_email(p)) for p in patterns if "@" in p)


@dataclass(frozen=True)
class People:
    """What the member kind read: each managed tenant's people, the platform's role names."""

    #: External id -> the people of the tenant's project (tenants that list ``members``).
    by_tenant: dict[str, ProjectPeople] = field(default_factory=dict)
    #: Lower-cased role name -> the platform's spelling.
    roles: dict[str, str] = field(default_factory=dict)


async def _platform_members(
    client: AsyncActivepiecesClient, size: int, reading: Reading
) -> dict[str | None, list[ProjectMember]] | None:
    """Every project member of the platform by project, from one paged listing
    (``GET /v1/platform-project-members/users``: the rows ``/project-members`` gives per
    project, for all of them); None where the server does not serve it (404, an older
    server), refuses the key (403) or the feature (402): the caller reads per project then."""
    found: dict[str | None, list[ProjectMember]] = {}
    roles: dict[str, ProjectRole] = {}
    listed = 0
    try:
        async for member in client.project_members.iter_platform(limit=size):
            found.setdefault(member.project_id, []).append(_lean(member, roles))
            listed += 1
    except (NotFoundError, AuthorizationError, FeatureDisabledError):
        reading.requests += 1 + listed // size
        return None
    reading.requests += 1 + listed // size
    return found


@lru_cache(maxsize=1024)
def _payload(have: str | None, role: str | None) -> dict[str, Any]:
    """What a member change that writes carries: its diff, the role it sends, what it saw;
    one for each (role seen, role sent), shared by the changes that have it (`TenantChange.of`
    keeps them as given: 200,000 creates of two roles hold a few dicts, not 600,000)."""
    return {
        "diff": {"role": {"from": have, "to": role}},
        "data": {"role": role} if role is not None else {},
        "observed": None if have is None else {"role": have},
    }


def _lean(row: _Row, roles: dict[str, ProjectRole]) -> _Row:
    """A listed member or invitation as the plan keeps it: its role one object per role (a
    listing repeats the role, permissions and all, on every row: most of the memory of the
    200,000 people of 100,000 tenants), a member without the project it names (the listing is
    grouped by project already), its fields sets shared (`share_fields_sets`)."""
    update: dict[str, Any] = {}
    if row.project_role is not None:
        update["project_role"] = roles.setdefault(row.project_role.id, row.project_role)
    if isinstance(row, ProjectMember):
        update["project"] = None
    lean = row.model_copy(update=update)
    share_fields_sets(lean)
    return lean


class MemberKind(Kind[People]):
    """The people of tenants that list ``members``."""

    name = "member"
    #: Removals (``prune_members``) are guarded like project deletes.
    counts_toward_max_deletions = True
    delete_verb = "remove"

    def wanted(self, request: PlanInput) -> bool:
        return any(spec.members is not None for spec in request.tenants)

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> People:
        roles = await client.project_roles.names()
        reading.requests += 1
        known = {r.lower(): r for r in roles}
        errors = []
        for index, spec in enumerate(request.tenants):
            unknown = sorted({r for r in spec.member_roles.values() if r.lower() not in known})
            if unknown:
                message = f"unknown role(s) {unknown}; this platform has {sorted(roles)}"
                errors.append({"row": index, "external_id": spec.external_id, "errors": [message]})
        if errors:
            raise TenantSpecError(errors)
        managed = [
            (spec.external_id, reading.projects[spec.external_id].id)
            for spec in request.tenants
            if spec.members is not None and spec.external_id in reading.projects
        ]
        gate = asyncio.Semaphore(request.concurrency)
        size = request.page_size
        waiting: dict[str | None, list[Invitation]] | None = None
        if len(managed) > PLATFORM_WIDE_INVITATIONS:
            # One platform-wide listing of the waiting invitations beats one per project;
            # grouped once by project, so each tenant sees only its own.
            waiting = {}
            shared: dict[str, ProjectRole] = {}
            async for invitation in client.invitations.iter(type="PROJECT", limit=size):
                waiting.setdefault(invitation.project_id, []).append(_lean(invitation, shared))
            listed = sum(len(rows) for rows in waiting.values())
            reading.requests += 1 + listed // size

        members = None if waiting is None else await _platform_members(client, size, reading)
        if members is not None and waiting is not None:
            by_tenant = {
                ext: ProjectPeople.from_rows(pid, members.get(pid, ()), waiting.get(pid, ()))
                for ext, pid in managed
            }
            return People(by_tenant, known)

        async def one(project_id: str) -> ProjectPeople:
            async with gate:
                if waiting is None:
                    return await client.project_members.people(project_id, page_size=size)
                rows = [m async for m in client.project_members.iter(project_id, limit=size)]
                return ProjectPeople.from_rows(project_id, rows, waiting.get(project_id, ()))

        found = await asyncio.gather(*(one(pid) for _, pid in managed))
        reading.requests += (1 if waiting is not None else 2) * len(managed)
        by_tenant = {ext: people for (ext, _), people in zip(managed, found, strict=True)}
        return People(by_tenant, known)

    def diff(self, request: PlanInput, reading: Reading, state: People) -> list[TenantChange]:
        changes: list[TenantChange] = []
        for spec in request.tenants:
            if spec.members is None:
                continue
            project = reading.projects.get(spec.external_id)
            people = state.by_tenant.get(
                spec.external_id, ProjectPeople(project.id if project else "")
            )
            for email, wanted in spec.member_roles.items():
                role = state.roles.get(wanted.lower(), wanted)
                have = people.role_of(email)
                member = people.members.get(email)
                action = "create" if have is None else "noop" if have == role else "update"
                changes.append(
                    self._change(spec.external_id, project, email, action, have, role, member)
                )
            if request.prune_members:
                for email in sorted(people.emails - set(spec.member_roles)):
                    if _protected(email, request.protect):
                        reading.protected.append(f"{spec.external_id}:{email}")
                        continue
                    have = people.role_of(email)
                    member = people.members.get(email)
                    changes.append(
                        self._change(spec.external_id, project, email, "delete", have, None, member)
                    )
        return changes

    @staticmethod
    def _change(
        external_id: str,
        project: Project | None,
        email: str,
        action: str,
        have: str | None,
        role: str | None,
        member: ProjectMember | None,
    ) -> TenantChange:
        return TenantChange.of(
            **{
                "external_id": external_id,
                "kind": MemberKind.name,
                "key": email,
                "action": action,
                "project_id": project.id if project is not None else None,
                "target_id": member.id if member is not None else None,
                # A noop writes nothing and is not re-read: it keeps no payload (a no-op
                # plan of 100,000 tenants holds 200,000 of them).
                **({} if action == "noop" else _payload(have, role)),
            }
        )

    def phase(self, change: TenantChange) -> int:
        return PHASE_MEMBERS

    async def find_stale(
        self,
        client: AsyncActivepiecesClient,
        changes: Sequence[TenantChange],
        request: PlanInput,
    ) -> list[StaleChange]:
        """Each person's role now (one people read per project) against the planned role;
        people of projects the plan creates are checked by the project's own check."""
        by_project: dict[str, list[TenantChange]] = {}
        for change in changes:
            if change.project_id:
                by_project.setdefault(change.project_id, []).append(change)
        gate = asyncio.Semaphore(request.concurrency)

        async def one(project_id: str) -> ProjectPeople | None:
            async with gate:
                try:
                    return await client.project_members.people(
                        project_id, page_size=request.page_size
                    )
                except NotFoundError:
                    return None  # the project vanished: the project check says so

        found = await asyncio.gather(*(one(pid) for pid in by_project))
        stale: list[StaleChange] = []
        for people, group in zip(found, by_project.values(), strict=True):
            for change in group:
                role = people.role_of(str(change.key)) if people is not None else None
                verdict = compare_observed(change, None if role is None else {"role": role})
                if verdict is not None:
                    stale.append(verdict)
        return stale

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        project_id = applied.project_ids.get(change.external_id) or change.project_id
        if project_id is None:
            raise RuntimeError(f"tenant {change.external_id!r} has no project to add people to")
        email = str(change.key)
        members = client.project_members
        if change.action == "delete":
            await members.remove(project_id, email)
            return change.target_id
        role = str(change.data["role"])
        if change.action == "update" and change.target_id is not None:
            return (await members.update_role(change.target_id, role)).id
        # Absent when planned (or a waiting invitation): the server upserts the invitation, and
        # invite reads again before resending after an ambiguous failure.
        result = await members.invite(project_id, email, role, people=ProjectPeople(project_id))
        if result.member is not None:
            return result.member.id
        return result.invitation.id if result.invitation is not None else None
