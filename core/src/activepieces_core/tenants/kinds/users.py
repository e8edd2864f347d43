"""The user kind: offboarding the people of torn-down tenants (plan option ``offboard_users``).

When a plan deletes tenants' projects (prune), their memberships go with the projects. With
``offboard_users`` the plan also deactivates each user whose *every* membership was in those
tenants: never a platform admin, never anyone still in another project, never an e-mail that
matches a ``protect`` pattern. It reads the members of every TEAM project (one listing each),
because the API has no "projects of a user" route; the cost is paid only with the option.
Deactivation (``status: INACTIVE``) keeps the user, so it can be undone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.models.people import ProjectMember, User
from activepieces_core.tenants.kinds.base import Applied, Kind, PlanInput, Reading, torn_down
from activepieces_core.tenants.results import TenantChange

__all__ = ["PHASE_OFFBOARD", "UserKind"]

PHASE_OFFBOARD = 55


@dataclass(frozen=True)
class Offboarding:
    """What the user kind read: who was in the torn-down tenants, who is elsewhere too."""

    #: User id -> the torn-down tenants (external ids) the user was a member of.
    torn: dict[str, set[str]] = field(default_factory=dict)
    #: Users with a membership in a tenant that stays.
    elsewhere: set[str] = field(default_factory=set)
    users: dict[str, User] = field(default_factory=dict)


class UserKind(Kind[Offboarding]):
    """Users deactivated because every project they were in was torn down."""

    name = "user"

    def wanted(self, request: PlanInput) -> bool:
        wanted = request.prune or bool(request.teardown)
        return wanted and request.offboard_users

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> Offboarding:
        pruned = set(torn_down(request, reading))
        if not pruned:
            return Offboarding()
        gate = asyncio.Semaphore(request.concurrency)

        async def members(project_id: str) -> list[ProjectMember]:
            async with gate:
                return [m async for m in client.project_members.iter(project_id, limit=100)]

        externals = sorted(reading.projects)
        listed = await asyncio.gather(*(members(reading.projects[e].id) for e in externals))
        reading.requests += len(externals)
        users = [u async for u in client.users.iter(limit=100)]
        reading.requests += 1 + len(users) // 100
        elsewhere: set[str] = set()
        torn: dict[str, set[str]] = {}
        for ext, rows in zip(externals, listed, strict=True):
            for member in rows:
                if member.user_id is None:
                    continue
                if ext in pruned:
                    torn.setdefault(member.user_id, set()).add(ext)
                else:
                    elsewhere.add(member.user_id)
        return Offboarding(torn, elsewhere, {u.id: u for u in users})

    def diff(self, request: PlanInput, reading: Reading, state: Offboarding) -> list[TenantChange]:
        changes: list[TenantChange] = []
        for user_id, tenants in sorted(state.torn.items()):
            user = state.users.get(user_id)
            email = (user.email if user is not None else None) or user_id
            if user is None or not user.is_active:
                continue
            reason = None
            if user.is_admin:
                reason = "platform admin"
            elif user_id in state.elsewhere:
                reason = "still in another project"
            elif any(fnmatchcase(email.lower(), p.lower()) for p in request.protect):
                reason = "protected"
            if reason is not None:
                reading.warnings.append(f"not offboarding {email}: {reason}")
                continue
            changes.append(
                TenantChange.of(
                    **{
                        "external_id": sorted(tenants)[0],
                        "kind": self.name,
                        "key": email,
                        "action": "update",
                        "target_id": user_id,
                        "diff": {"status": {"from": "ACTIVE", "to": "INACTIVE"}},
                        "data": {"tenants": sorted(tenants)},
                        "observed": {"status": "ACTIVE"},
                    }
                )
            )
        return changes

    def phase(self, change: TenantChange) -> int:
        return PHASE_OFFBOARD

    def depends_on_project(self, change: TenantChange) -> bool:
        return False  # checked below against every tenant the user was in

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        failed = sorted(set(change.data.get("tenants", [])) & applied.failed_tenants)
        if failed:
            raise RuntimeError(f"not offboarded: tenant(s) {failed} were not torn down")
        assert change.target_id is not None
        return (await client.users.deactivate(change.target_id)).id
