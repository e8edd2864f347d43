"""Converging on one person's place in a project: ``invite`` and ``remove``, written once.

A project's people are its members plus the PROJECT invitations still listed for it (with an
API key those are ACCEPTED and wait for the person to sign up). ``invite`` sends nothing when
the person already has the role, updates the membership (or re-sends the invitation, which the
server upserts) when the role differs, and otherwise invites. After a failure that may have
reached the server it reads the project's people again before deciding to send again, so
faults never leave a duplicate (the server's upsert could not make one anyway) nor a lost write.
"""

from __future__ import annotations

from collections.abc import Collection

from activepieces_core._http import Sleep
from activepieces_core.errors import (
    APIError,
    InvalidRequestError,
    NotFoundError,
)
from activepieces_core.models import Project
from activepieces_core.models.people import ProjectRole
from activepieces_core.resources._base import Op
from activepieces_core.resources.people import _ops as ops
from activepieces_core.retries import RetryPolicy, is_ambiguous_write
from activepieces_core.types.people import (
    InvitationFilters,
    InviteAction,
    InviteResult,
    ProjectPeople,
    RemoveResult,
)

__all__ = ["invite", "read_people", "remove"]


def read_people(project: Project | str, page_size: int) -> Op[ProjectPeople]:
    """All members and PROJECT invitations of the project (every page of both)."""
    pid = ops.project_id_of(project)
    members = yield from ops.all_rows(
        lambda cursor: ops.members_page(ops.member_params(pid, {"limit": page_size}, cursor))
    )
    filters: InvitationFilters = {"project_id": pid, "limit": page_size}
    invitations = yield from ops.all_rows(
        lambda cursor: ops.invitations_page(ops.invitation_params(filters, cursor))
    )
    return ProjectPeople.from_rows(pid, members, invitations)


def invite(
    project: Project | str,
    email: str,
    role: str,
    policy: RetryPolicy,
    *,
    roles: Collection[str | ProjectRole] | None = None,
    people: ProjectPeople | None = None,
    page_size: int,
) -> Op[InviteResult]:
    """Give ``email`` the ``role`` in ``project``, sending only what differs (see module)."""
    pid = ops.project_id_of(project)
    email = ops.check_email(email)
    role = ops.check_role(role, roles)
    if people is not None and people.project_id != pid:
        raise InvalidRequestError(f"people were read for project {people.project_id}, not {pid}")
    current = people if people is not None else (yield from read_people(pid, page_size))
    attempt = 0
    while True:
        attempt += 1
        result = _settled(current, pid, email, role)
        if result is not None:
            return result
        member = current.members.get(email)
        try:
            if member is not None:
                updated = yield from ops.update_member_role(member, role)
                return InviteResult(pid, email, role, "role_updated", member=updated)
            waiting = email in current.invitations
            sent = yield from ops.send_project_invitation(pid, email, role)
            action: InviteAction = "invitation_updated" if waiting else "invited"
            return InviteResult(pid, email, role, action, invitation=sent)
        except APIError as exc:
            if not is_ambiguous_write(exc) or attempt > policy.max_retries:
                raise
            # It may have been written: look before writing again.
            before = current
            current = yield from read_people(pid, page_size)
            if _settled(current, pid, email, role) is not None:
                was_member = email in before.members
                waiting = email in before.invitations
                done: InviteAction = (
                    "role_updated" if was_member else "invitation_updated" if waiting else "invited"
                )
                return InviteResult(
                    pid,
                    email,
                    role,
                    done,
                    member=current.members.get(email),
                    invitation=current.invitations.get(email),
                )
            yield Sleep(policy.wait_for(attempt, exc))


def _settled(people: ProjectPeople, pid: str, email: str, role: str) -> InviteResult | None:
    """``unchanged`` when the person already has ``role`` (as member, or as invited)."""
    member = people.members.get(email)
    if member is not None:
        if ops.same_role(member.role, role):
            return InviteResult(pid, email, role, "unchanged", member=member)
        return None
    invitation = people.invitations.get(email)
    if invitation is not None and ops.same_role(invitation.role, role):
        return InviteResult(pid, email, role, "unchanged", invitation=invitation)
    return None


def remove(
    project: Project | str,
    email: str,
    policy: RetryPolicy,
    *,
    people: ProjectPeople | None = None,
    page_size: int,
) -> Op[RemoveResult]:
    """Remove ``email`` from ``project``: the membership and any waiting invitation."""
    pid = ops.project_id_of(project)
    email = ops.check_email(email)
    current = people if people is not None else (yield from read_people(pid, page_size))
    removed_member = False
    removed_invitations = 0
    attempt = 0
    while True:
        attempt += 1
        member = current.members.get(email)
        invitation = current.invitations.get(email)
        if member is None and invitation is None:
            changed = removed_member or removed_invitations > 0
            return RemoveResult(
                pid,
                email,
                "removed" if changed else "absent",
                removed_member,
                removed_invitations,
            )
        try:
            if member is not None:
                yield from _gone_ok(ops.delete_member(member))
                removed_member = True
            if invitation is not None:
                yield from _gone_ok(ops.delete_invitation(invitation))
                removed_invitations += 1
            current = ProjectPeople(
                pid,
                {e: m for e, m in current.members.items() if e != email},
                {e: i for e, i in current.invitations.items() if e != email},
            )
        except APIError as exc:
            if not is_ambiguous_write(exc) or attempt > policy.max_retries:
                raise
            current = yield from read_people(pid, page_size)
            if email in current.emails:  # still there: wait before deleting again
                yield Sleep(policy.wait_for(attempt, exc))


def _gone_ok(op: Op[None]) -> Op[None]:
    """A delete that finds nothing (someone else removed it) has done its job."""
    try:
        yield from op
    except NotFoundError:
        return
