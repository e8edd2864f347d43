"""``client.project_members``: a project's people, and converging one person's role in it.

``invite(project, email, role)`` sends nothing when the person already has the role, updates
the membership or the waiting invitation when it differs, and invites otherwise; ``remove``
deletes the membership and any waiting invitation. Both re-read after an ambiguous failure, so
faults never duplicate or lose anything (see `_membership`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterator
from functools import partial

from typing_extensions import Unpack

from activepieces_core.constants import DEFAULT_PAGE_SIZE
from activepieces_core.models import Page, Project
from activepieces_core.models.people import ProjectMember, ProjectRole
from activepieces_core.resources._base import AsyncResource, SyncResource
from activepieces_core.resources.people import _membership as mops
from activepieces_core.resources.people import _ops as ops
from activepieces_core.types.people import InviteResult, MemberFilters, ProjectPeople, RemoveResult

__all__ = ["AsyncProjectMembersResource", "ProjectMembersResource"]

Roles = Collection[str | ProjectRole]


class ProjectMembersResource(SyncResource):
    """Synchronous ``client.project_members``."""

    def list(
        self, project: Project | str, *, cursor: str | None = None, **filters: Unpack[MemberFilters]
    ) -> Page[ProjectMember]:
        """One page of the project's members (filters: `MemberFilters`)."""
        return self._run(ops.members_page(ops.member_params(project, filters, cursor)))

    def iter(
        self, project: Project | str, **filters: Unpack[MemberFilters]
    ) -> Iterator[ProjectMember]:
        """Every member of the project, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.member_params, project, filters)
        params(None)
        return self._pages(lambda cursor: ops.members_page(params(cursor)))

    def iter_platform(self, **filters: Unpack[MemberFilters]) -> Iterator[ProjectMember]:
        """Every member of every project of the key's platform (``GET
        /v1/platform-project-members/users``; each row names its ``project_id``), fetching pages
        lazily; ``limit`` is the page size. The platform needs ``projectRolesEnabled``."""
        params = partial(ops.platform_member_params, filters)
        params(None)
        return self._pages(lambda cursor: ops.platform_members_page(params(cursor)))

    def people(
        self, project: Project | str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> ProjectPeople:
        """Members and waiting invitations of the project, by e-mail (pass to ``invite``/``remove``
        as ``people=`` to converge several people with one read)."""
        return self._run(mops.read_people(project, page_size))

    def get_by_email(self, project: Project | str, email: str) -> ProjectMember | None:
        """The member with this e-mail, or None."""
        wanted = ops.check_email(email)
        return next(
            (m for m in self.iter(project, limit=DEFAULT_PAGE_SIZE) if m.email == wanted), None
        )

    def update_role(self, member: ProjectMember | str, role: str) -> ProjectMember:
        """Set a member's role by name (retried). The answer is the bare membership row."""
        return self._run(ops.update_member_role(member, role))

    def delete(self, member: ProjectMember | str) -> None:
        """Remove a membership (retried; a 404 on a retry counts as done)."""
        self._run(ops.delete_member(member))

    def invite(
        self,
        project: Project | str,
        email: str,
        role: str,
        *,
        roles: Roles | None = None,
        people: ProjectPeople | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> InviteResult:
        """Give ``email`` the ``role`` in ``project``, sending only what differs.

        ``roles``: the platform's role names (or `ProjectRole`s), to refuse an unknown role
        before anything is sent (`UnknownRoleError`). ``people``: the project's people read
        earlier (`people`), to skip the read.
        """
        policy = self._transport.policy
        return self._run(
            mops.invite(
                project, email, role, policy, roles=roles, people=people, page_size=page_size
            )
        )

    def remove(
        self,
        project: Project | str,
        email: str,
        *,
        people: ProjectPeople | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> RemoveResult:
        """Remove ``email`` from ``project`` (membership and waiting invitation); ``absent``
        when there was nothing to remove."""
        policy = self._transport.policy
        return self._run(mops.remove(project, email, policy, people=people, page_size=page_size))


class AsyncProjectMembersResource(AsyncResource):
    """Asynchronous ``client.project_members``: the same surface as `ProjectMembersResource`."""

    async def list(
        self, project: Project | str, *, cursor: str | None = None, **filters: Unpack[MemberFilters]
    ) -> Page[ProjectMember]:
        """One page of the project's members (filters: `MemberFilters`)."""
        return await self._run(ops.members_page(ops.member_params(project, filters, cursor)))

    def iter(
        self, project: Project | str, **filters: Unpack[MemberFilters]
    ) -> AsyncIterator[ProjectMember]:
        """Every member of the project, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.member_params, project, filters)
        params(None)
        return self._pages(lambda cursor: ops.members_page(params(cursor)))

    def iter_platform(self, **filters: Unpack[MemberFilters]) -> AsyncIterator[ProjectMember]:
        """Every member of every project of the key's platform (see the sync one)."""
        params = partial(ops.platform_member_params, filters)
        params(None)
        return self._pages(lambda cursor: ops.platform_members_page(params(cursor)))

    async def people(
        self, project: Project | str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> ProjectPeople:
        """Members and waiting invitations of the project, by e-mail (see the sync one)."""
        return await self._run(mops.read_people(project, page_size))

    async def get_by_email(self, project: Project | str, email: str) -> ProjectMember | None:
        """The member with this e-mail, or None."""
        wanted = ops.check_email(email)
        async for member in self.iter(project, limit=DEFAULT_PAGE_SIZE):
            if member.email == wanted:
                return member
        return None

    async def update_role(self, member: ProjectMember | str, role: str) -> ProjectMember:
        """Set a member's role by name (retried). The answer is the bare membership row."""
        return await self._run(ops.update_member_role(member, role))

    async def delete(self, member: ProjectMember | str) -> None:
        """Remove a membership (retried; a 404 on a retry counts as done)."""
        await self._run(ops.delete_member(member))

    async def invite(
        self,
        project: Project | str,
        email: str,
        role: str,
        *,
        roles: Roles | None = None,
        people: ProjectPeople | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> InviteResult:
        """Give ``email`` the ``role`` in ``project``, sending only what differs (see sync)."""
        policy = self._transport.policy
        return await self._run(
            mops.invite(
                project, email, role, policy, roles=roles, people=people, page_size=page_size
            )
        )

    async def remove(
        self,
        project: Project | str,
        email: str,
        *,
        people: ProjectPeople | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> RemoveResult:
        """Remove ``email`` from ``project`` (membership and waiting invitation)."""
        policy = self._transport.policy
        return await self._run(
            mops.remove(project, email, policy, people=people, page_size=page_size)
        )
