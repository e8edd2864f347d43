"""Converging on one person's place in a project: ``invite`` and ``remove``, written once.

A project's people are its members plus the PROJECT invitations still listed for it (with an
API key those are ACCEPTED and wait for the person to sign up). ``invite`` sends nothing when
the person already has the role, updates the membership (or re-sends the invitation, which the
server upserts) when the role differs, and otherwise invites. After a failure that may have
reached the server it reads the project's people again before deciding to send again, so
faults never leave a duplicate (the server's upsert could not make one anyway) nor a lost write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from activepieces_core import _people_ops as ops
from activepieces_core._http import Sleep
from activepieces_core._ops import Op
from activepieces_core._retry import RetryPolicy, is_ambiguous_write
from activepieces_core.errors import (
    APIError,
    InvalidRequestError,
    NotFoundError,
)
from activepieces_core.models import Project
from activepieces_core.models.people import Invitation, ProjectMember, ProjectRole

__all__ = ["InviteAction", "InviteResult", "ProjectPeople", "RemoveResult"]

InviteAction = Literal["unchanged", "invited", "role_updated", "invitation_updated"]
RemoveAction = Literal["removed", "absent"]


@dataclass(frozen=True)
class ProjectPeople:
    """A project's members and listed invitations, keyed by normalised e-mail."""

    project_id: str
    members: Mapping[str, ProjectMember] = field(default_factory=dict)
    invitations: Mapping[str, Invitation] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, project_id: str, members: Iterable[ProjectMember], invitations: Iterable[Invitation]
    ) -> ProjectPeople:
        """Key listed members and invitations by e-mail (invitations of other projects are
        left out, so a platform-wide invitation listing may be passed whole)."""
        return cls(
            project_id,
            {m.email: m for m in members if m.email},
            {
                ops.check_email(i.email): i
                for i in invitations
                if i.project_id in (None, project_id)
            },
        )

    def role_of(self, email: str) -> str | None:
        """The person's role: as a member, else as invited; None if neither."""
        key = ops.check_email(email)
        member = self.members.get(key)
        if member is not None:
            return member.role
        invitation = self.invitations.get(key)
        return invitation.role if invitation is not None else None

    @property
    def emails(self) -> set[str]:
        """Everyone the project has or is waiting for."""
        return set(self.members) | set(self.invitations)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{projectId, members: {email: role}, invitations: {email: role}}``."""
        return {
            "projectId": self.project_id,
            "members": {e: m.role for e, m in sorted(self.members.items())},
            "invitations": {e: i.role for e, i in sorted(self.invitations.items())},
        }


@dataclass(frozen=True)
class InviteResult:
    """What ``invite`` did: ``unchanged``, ``invited``, ``role_updated`` (membership) or
    ``invitation_updated`` (a waiting invitation re-sent with the new role)."""

    project_id: str
    email: str
    role: str
    action: InviteAction
    member: ProjectMember | None = None
    invitation: Invitation | None = None

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; never contains the invitation link."""
        return {
            "projectId": self.project_id,
            "email": self.email,
            "role": self.role,
            "action": self.action,
            "memberId": self.member.id if self.member is not None else None,
            "invitationId": self.invitation.id if self.invitation is not None else None,
        }


@dataclass(frozen=True)
class RemoveResult:
    """What ``remove`` did: ``removed`` (a membership and/or invitations) or ``absent``."""

    project_id: str
    email: str
    action: RemoveAction
    removed_member: bool = False
    removed_invitations: int = 0

    @property
    def changed(self) -> bool:
        return self.action == "removed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "projectId": self.project_id,
            "email": self.email,
            "action": self.action,
            "removedMember": self.removed_member,
            "removedInvitations": self.removed_invitations,
        }


def read_people(project: Project | str, page_size: int) -> Op[ProjectPeople]:
    """All members and PROJECT invitations of the project (every page of both)."""
    pid = ops.project_id_of(project)
    members = yield from ops.all_rows(
        lambda cursor: ops.members_page(ops.member_params(pid, {"limit": page_size}, cursor))
    )
    filters: ops.InvitationFilters = {"project_id": pid, "limit": page_size}
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
