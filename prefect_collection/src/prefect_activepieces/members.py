"""Tasks for a tenant's people: invite one person to a project, or remove them.

Sync tasks and async twins over ``client.project_members``. ``invite_member`` converges: the
same e-mail with the same role sends nothing, another role updates the membership (or the
waiting invitation). With a platform API key the invitation is accepted at once: a person who
already has a user on the platform becomes a member immediately, anyone else on sign-up.

An invitation the server leaves waiting (PENDING, on a server without e-mail) comes back with its
link; API-key invitations are accepted at once and carry none on current servers. A link is a
bearer token that lets whoever holds it join: the results here never contain it (only ids,
e-mail, role and what was done), so it never reaches Prefect's results, logs or artifacts.
"""

from __future__ import annotations

from typing import Any

from activepieces_core.tenants.spec import DEFAULT_MEMBER_ROLE
from prefect_activepieces._retry import api_task
from prefect_activepieces.credentials import ActivepiecesCredentials

__all__ = [
    "DEFAULT_MEMBER_ROLE",
    "ainvite_member",
    "aremove_member",
    "async_tasks",
    "invite_member",
    "remove_member",
    "sync_tasks",
]

Json = dict[str, Any]

_INVITE = "Invite Activepieces project member"
_INVITE_RUN = "invite-member-{project_id}"


@api_task(_INVITE, task_run_name=_INVITE_RUN)
def invite_member(
    credentials: ActivepiecesCredentials,
    project_id: str,
    email: str,
    role: str = DEFAULT_MEMBER_ROLE,
) -> Json:
    """Give ``email`` the project role ``role`` (a role name such as ``Admin``), sending only
    what differs; idempotent and safe to retry (re-reads before resending after a failure
    that may have written).

    Returns ``{"projectId", "email", "role", "action", "memberId", "invitationId"}``, action
    ``invited``, ``role_updated``, ``invitation_updated`` or ``unchanged``; never the
    invitation link. The project must be a TEAM project and the platform must have project
    roles enabled (else `FeatureDisabledError`).
    """
    with credentials.get_client() as client:
        result = client.project_members.invite(project_id, email, role)
    return result.to_dict()


@api_task(_INVITE, task_run_name=_INVITE_RUN)
async def ainvite_member(
    credentials: ActivepiecesCredentials,
    project_id: str,
    email: str,
    role: str = DEFAULT_MEMBER_ROLE,
) -> Json:
    """Async `invite_member`."""
    async with credentials.get_async_client() as client:
        result = await client.project_members.invite(project_id, email, role)
    return result.to_dict()


_REMOVE = "Remove Activepieces project member"
_REMOVE_RUN = "remove-member-{project_id}"


@api_task(_REMOVE, task_run_name=_REMOVE_RUN)
def remove_member(credentials: ActivepiecesCredentials, project_id: str, email: str) -> Json:
    """Remove ``email`` from the project: the membership and any waiting invitation.

    Idempotent: nothing to remove gives action ``absent``. The user stays on the platform.
    Returns ``{"projectId", "email", "action", "removedMember", "removedInvitations"}``.
    """
    with credentials.get_client() as client:
        result = client.project_members.remove(project_id, email)
    return result.to_dict()


@api_task(_REMOVE, task_run_name=_REMOVE_RUN)
async def aremove_member(credentials: ActivepiecesCredentials, project_id: str, email: str) -> Json:
    """Async `remove_member`."""
    async with credentials.get_async_client() as client:
        result = await client.project_members.remove(project_id, email)
    return result.to_dict()


sync_tasks = (invite_member, remove_member)
"""Every sync member task."""

async_tasks = (ainvite_member, aremove_member)
"""Every async member task, in the same order as `sync_tasks`."""
