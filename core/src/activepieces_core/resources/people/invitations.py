"""``client.invitations``: list, send and revoke invitations, sync and async.

To give someone a role in a project, prefer ``client.project_members.invite``: it sends only
what differs. An invitation's ``link`` (a bearer token) is hidden: see `Invitation.reveal_link`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial

from typing_extensions import Unpack

from activepieces_core.errors import InvalidRequestError
from activepieces_core.models import Page, Project
from activepieces_core.models.people import Invitation, PlatformRole
from activepieces_core.resources._base import AsyncResource, Op, SyncResource
from activepieces_core.resources.people import _ops as ops
from activepieces_core.types.people import InvitationFilters

__all__ = ["AsyncInvitationsResource", "InvitationsResource"]


def _send(
    email: str,
    project: Project | str | None,
    role: str | None,
    platform_role: PlatformRole | str | None,
) -> Op[Invitation]:
    if (project is None) == (platform_role is None):
        raise InvalidRequestError("give either project and role, or platform_role")
    if project is not None:
        if role is None:
            raise InvalidRequestError("a project invitation needs a role")
        return ops.send_project_invitation(project, email, role)
    assert platform_role is not None
    if role is not None:
        raise InvalidRequestError("role is for project invitations; use platform_role")
    return ops.send_platform_invitation(email, platform_role)


class InvitationsResource(SyncResource):
    """Synchronous ``client.invitations``."""

    def list(
        self, *, cursor: str | None = None, **filters: Unpack[InvitationFilters]
    ) -> Page[Invitation]:
        """One page of invitations (filters: `InvitationFilters`; type defaults to PROJECT)."""
        return self._run(ops.invitations_page(ops.invitation_params(filters, cursor)))

    def iter(self, **filters: Unpack[InvitationFilters]) -> Iterator[Invitation]:
        """Every matching invitation, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.invitation_params, filters)
        params(None)
        return self._pages(lambda cursor: ops.invitations_page(params(cursor)))

    def send(
        self,
        email: str,
        *,
        project: Project | str | None = None,
        role: str | None = None,
        platform_role: PlatformRole | str | None = None,
    ) -> Invitation:
        """Send one invitation: ``project`` + ``role`` (PROJECT) or ``platform_role``
        (PLATFORM). The server upserts PROJECT invitations, so this is retried like an update."""
        return self._run(_send(email, project, role, platform_role))

    def delete(self, invitation: Invitation | str) -> None:
        """Revoke an invitation (retried; a 404 on a retry counts as done)."""
        self._run(ops.delete_invitation(invitation))


class AsyncInvitationsResource(AsyncResource):
    """Asynchronous ``client.invitations``: the same surface as `InvitationsResource`."""

    async def list(
        self, *, cursor: str | None = None, **filters: Unpack[InvitationFilters]
    ) -> Page[Invitation]:
        """One page of invitations (filters: `InvitationFilters`; type defaults to PROJECT)."""
        return await self._run(ops.invitations_page(ops.invitation_params(filters, cursor)))

    def iter(self, **filters: Unpack[InvitationFilters]) -> AsyncIterator[Invitation]:
        """Every matching invitation, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.invitation_params, filters)
        params(None)
        return self._pages(lambda cursor: ops.invitations_page(params(cursor)))

    async def send(
        self,
        email: str,
        *,
        project: Project | str | None = None,
        role: str | None = None,
        platform_role: PlatformRole | str | None = None,
    ) -> Invitation:
        """Send one invitation (see `InvitationsResource.send`)."""
        return await self._run(_send(email, project, role, platform_role))

    async def delete(self, invitation: Invitation | str) -> None:
        """Revoke an invitation (retried; a 404 on a retry counts as done)."""
        await self._run(ops.delete_invitation(invitation))
