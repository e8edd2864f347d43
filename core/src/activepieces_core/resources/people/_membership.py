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

from activepieces_core.errors import (
    APIError,
    InvalidRequestError,
    NotFoundError,
)
from activepieces_core.models import Project
from activepieces_core.models.people import ProjectRole
from activepieces_core.resources._base import Op, all_rows, write_once
from activepieces_core.resources.people import _ops as ops
from activepieces_core.retries import RetryPolicy
from activepieces_core.types.people import (
    InvitationFilters,
    InviteAction,
    InviteResult,
    ProjectPeople,
    RemoveAction,
    RemoveResult,
)

__all__ = ["invite", "read_people", "remove"]


def read_people(project: Project | str, page_size: int) -> Op[ProjectPeople]:
    """All members and PROJECT invitations of the project (every page of both)."""
    pid = ops.project_id_of(project)
    members = yield from all_rows(
        lambda cursor: ops.members_page(ops.member_params(pid, {"limit": page_size}, cursor))
    )
    filters: InvitationFilters = {"project_id": pid, "limit": page_size}
    invitations = yield from all_rows(
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
    settled = _settled(current, pid, email, role)
    if settled is not None:
        return settled

    def write() -> Op[InviteResult]:
        member = current.members.get(email)
        if member is not None:
            updated = yield from ops.update_member_role(member, role)
            return InviteResult(pid, email, role, "role_updated", member=updated)
        waiting = email in current.invitations
        sent = yield from ops.send_project_invitation(pid, email, role)
        action: InviteAction = "invitation_updated" if waiting else "invited"
        return InviteResult(pid, email, role, action, invitation=sent)

    def read_back(exc: APIError) -> Op[InviteResult | None]:
        nonlocal current
        before = current
        current = yield from read_people(pid, page_size)
        if _settled(current, pid, email, role) is None:
            return None  # not written: write again (what differs now) after a wait
        done: InviteAction = (
            "role_updated"
            if email in before.members
            else "invitation_updated"
            if email in before.invitations
            else "invited"
        )
        return InviteResult(
            pid,
            email,
            role,
            done,
            member=current.members.get(email),
            invitation=current.invitations.get(email),
        )

    return (yield from write_once(write, read_back, policy))


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

    def outcome() -> RemoveResult | None:
        """The result once ``email`` is gone from what was last read; None while it is there."""
        if email in current.emails:
            return None
        changed = removed_member or removed_invitations > 0
        action: RemoveAction = "removed" if changed else "absent"
        return RemoveResult(pid, email, action, removed_member, removed_invitations)

    def write() -> Op[RemoveResult]:
        nonlocal removed_member, removed_invitations
        member = current.members.get(email)
        invitation = current.invitations.get(email)
        if member is not None:
            yield from _gone_ok(ops.delete_member(member))
            removed_member = True
        if invitation is not None:
            yield from _gone_ok(ops.delete_invitation(invitation))
            removed_invitations += 1
        return RemoveResult(pid, email, "removed", removed_member, removed_invitations)

    def read_back(exc: APIError) -> Op[RemoveResult | None]:
        nonlocal current
        current = yield from read_people(pid, page_size)
        return outcome()  # still there: delete again after a wait

    done = outcome()
    if done is not None:
        return done
    return (yield from write_once(write, read_back, policy))


def _gone_ok(op: Op[None]) -> Op[None]:
    """A delete that finds nothing (someone else removed it) has done its job."""
    try:
        yield from op
    except NotFoundError:
        return
