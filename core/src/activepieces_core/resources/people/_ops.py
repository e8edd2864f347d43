"""People operations written once, without I/O: users, project roles, members, invitations.

Each operation is a generator (see `activepieces_core.resources._base`); the sync and async resources
only drive them. Input is checked before anything is sent (`InvalidRequestError`).
Reads are repeated on transient failures; role updates and deletes are idempotent writes;
sending an invitation is too, because the server upserts it (see `send_project_invitation`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from activepieces_core._http import Call, path_of
from activepieces_core.errors import AmbiguousExternalIdError, InvalidRequestError, UnknownRoleError
from activepieces_core.models import Page, Project
from activepieces_core.models.people import (
    Invitation,
    InvitationStatus,
    InvitationType,
    PlatformRole,
    ProjectMember,
    ProjectRole,
    User,
    UserStatus,
    normalize_email,
)
from activepieces_core.models.requests import check_email
from activepieces_core.resources._base import Op, all_rows, find_row, parse, require_id
from activepieces_core.types.people import InvitationFilters, MemberFilters, UserFilters

__all__ = ["check_email", "check_role", "project_id_of", "send_project_invitation"]

T = TypeVar("T")

#: Parametrised once (see `resources.projects._ops.ProjectPage`).
UserPage = Page[User]
MemberPage = Page[ProjectMember]
InvitationPage = Page[Invitation]
RolePage = Page[ProjectRole]


# --- input checks ------------------------------------------------------------------------------


def role_names(roles: Iterable[str | ProjectRole]) -> list[str]:
    """Names from role names or `ProjectRole` objects."""
    return [r.name if isinstance(r, ProjectRole) else r for r in roles]


def check_role(role: str, roles: Collection[str | ProjectRole] | None = None) -> str:
    """A non-empty role name; with the platform's ``roles`` known, its canonical spelling (the
    server matches names case-insensitively) or `UnknownRoleError`."""
    if not isinstance(role, str) or not role.strip():
        raise InvalidRequestError(f"the role must be a non-empty name, got {role!r}")
    if roles is None:
        return role
    names = role_names(roles)
    for name in names:
        if name.lower() == role.lower():
            return name
    raise UnknownRoleError(f"unknown project role {role!r}; the platform has {sorted(names)}")


def same_role(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


def _enum(enum: type[Any], value: Any, what: str) -> str:
    try:
        return str(enum(value).value)
    except ValueError:
        options = ", ".join(m.value for m in enum)
        raise InvalidRequestError(f"{what} must be one of {options}; got {value!r}") from None


def _limit(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"limit must be a positive integer, got {value!r}")
    return [("limit", str(value))]


def _unknown(given: Iterable[str], allowed: type[Any], what: str) -> None:
    unknown = set(given) - set(allowed.__annotations__)
    if unknown:
        raise InvalidRequestError(f"unknown {what}: {sorted(unknown)}")


def _with_cursor(params: list[tuple[str, str]], cursor: str | None) -> list[tuple[str, str]]:
    return [*params, ("cursor", cursor)] if cursor else params


def project_id_of(project: Project | str) -> str:
    """The id of a TEAM `Project` (a PERSONAL one is refused: it cannot have invitations)."""
    if isinstance(project, Project):
        if project.is_personal:
            raise InvalidRequestError(
                f"project {project.id} is PERSONAL; only TEAM projects have members"
            )
        return project.id
    return require_id(project, "project_id")


def _id_of(item: Any, what: str) -> str:
    return str(item.id) if hasattr(item, "id") else require_id(item, what)


# --- project roles ----------------------------------------------------------------------------


def roles_page(cursor: str | None) -> Op[Page[ProjectRole]]:
    """``GET /project-roles`` (the server answers every role on one page)."""
    body = yield Call("GET", "/project-roles", params=_with_cursor([], cursor))
    return parse(RolePage, body)


def list_roles() -> Op[list[ProjectRole]]:
    return (yield from all_rows(roles_page))


# --- users ------------------------------------------------------------------------------------


def user_params(filters: UserFilters, cursor: str | None) -> list[tuple[str, str]]:
    _unknown(filters, UserFilters, "user filters")
    params: list[tuple[str, str]] = []
    external_id = filters.get("external_id")
    if external_id is not None:
        params.append(("externalId", require_id(external_id, "external_id")))
    return _with_cursor([*params, *_limit(filters.get("limit"))], cursor)


def users_page(params: list[tuple[str, str]]) -> Op[Page[User]]:
    """One page of ``GET /users``."""
    body = yield Call("GET", "/users", params=params)
    return parse(UserPage, body)


def user_by_external_id(external_id: str) -> Op[User | None]:
    """The user with this externalId; None if absent; `AmbiguousExternalIdError` if several."""
    page = yield from users_page(user_params({"external_id": external_id, "limit": 2}, None))
    matches = [u for u in page.data if u.external_id == external_id]
    if len(matches) > 1:
        raise AmbiguousExternalIdError(
            f"more than one user has externalId {external_id!r}",
            code="AMBIGUOUS_EXTERNAL_ID",
            params={"externalId": external_id, "userIds": [u.id for u in matches]},
        )
    return matches[0] if matches else None


def user_by_email(email: str, page_size: int) -> Op[User | None]:
    """The user with this e-mail (the API has no e-mail filter: pages are read until found)."""
    wanted = check_email(email)
    return (
        yield from find_row(
            lambda cursor: users_page(user_params({"limit": page_size}, cursor)),
            lambda user: bool(user.email) and normalize_email(user.email or "") == wanted,
        )
    )


def update_user(
    user: User | str,
    *,
    status: UserStatus | str | None = None,
    platform_role: PlatformRole | str | None = None,
    external_id: str | None = None,
) -> Op[User]:
    """``POST /users/:id``; None leaves a field unchanged."""
    body: dict[str, Any] = {}
    if status is not None:
        body["status"] = _enum(UserStatus, status, "status")
    if platform_role is not None:
        body["platformRole"] = _enum(PlatformRole, platform_role, "platform_role")
    if external_id is not None:
        body["externalId"] = require_id(external_id, "external_id")
    updated = yield Call("POST", path_of("users", _id_of(user, "user_id")), body=body)
    return parse(User, updated)


def delete_user(user: User | str) -> Op[None]:
    """``DELETE /users/:id``; a 404 on a retry means an earlier attempt did it."""
    yield Call("DELETE", path_of("users", _id_of(user, "user_id")), gone_ok=True)


# --- project members --------------------------------------------------------------------------


def member_params(
    project: Project | str, filters: MemberFilters, cursor: str | None
) -> list[tuple[str, str]]:
    _unknown(filters, MemberFilters, "member filters")
    params = [("projectId", project_id_of(project))]
    role_id = filters.get("project_role_id")
    if role_id is not None:
        params.append(("projectRoleId", require_id(role_id, "project_role_id")))
    return _with_cursor([*params, *_limit(filters.get("limit"))], cursor)


def members_page(params: list[tuple[str, str]]) -> Op[Page[ProjectMember]]:
    """One page of ``GET /project-members``."""
    body = yield Call("GET", "/project-members", params=params)
    return parse(MemberPage, body)


def platform_member_params(filters: MemberFilters, cursor: str | None) -> list[tuple[str, str]]:
    """The query of ``GET /platform-project-members/users`` (no project: the platform's)."""
    _unknown(filters, MemberFilters, "member filters")
    params: list[tuple[str, str]] = []
    role_id = filters.get("project_role_id")
    if role_id is not None:
        params.append(("projectRoleId", require_id(role_id, "project_role_id")))
    return _with_cursor([*params, *_limit(filters.get("limit"))], cursor)


def platform_members_page(params: list[tuple[str, str]]) -> Op[Page[ProjectMember]]:
    """One page of ``GET /platform-project-members/users``: the members of every project of
    the key's platform, as ``/project-members`` lists one project's (upstream's
    ``platform-project-member.controller.ts``: USER and SERVICE principals, the same
    ``projectMemberService.list`` without ``projectId``, behind ``projectRolesEnabled``;
    ``project-member.service.ts`` @ 03c3239ede00278eaee947155e335c0cae1f8564)."""
    body = yield Call("GET", "/platform-project-members/users", params=params)
    return parse(MemberPage, body)


def update_member_role(member: ProjectMember | str, role: str) -> Op[ProjectMember]:
    """``POST /project-members/:id {role}`` (idempotent)."""
    path = path_of("project-members", _id_of(member, "member_id"))
    body = yield Call("POST", path, body={"role": check_role(role)})
    return parse(ProjectMember, body)


def delete_member(member: ProjectMember | str) -> Op[None]:
    """``DELETE /project-members/:id``; a 404 on a retry means an earlier attempt did it."""
    path = path_of("project-members", _id_of(member, "member_id"))
    yield Call("DELETE", path, gone_ok=True)


# --- invitations ------------------------------------------------------------------------------


def invitation_params(filters: InvitationFilters, cursor: str | None) -> list[tuple[str, str]]:
    _unknown(filters, InvitationFilters, "invitation filters")
    kind = filters.get("type") or InvitationType.PROJECT
    params = [("type", _enum(InvitationType, kind, "type"))]
    project_id = filters.get("project_id")
    if project_id is not None:
        params.append(("projectId", require_id(project_id, "project_id")))
    status = filters.get("status")
    if status is not None:
        params.append(("status", _enum(InvitationStatus, status, "status")))
    return _with_cursor([*params, *_limit(filters.get("limit"))], cursor)


def invitations_page(params: list[tuple[str, str]]) -> Op[Page[Invitation]]:
    """One page of ``GET /user-invitations``."""
    body = yield Call("GET", "/user-invitations", params=params)
    return parse(InvitationPage, body)


def _post_invitation(body: dict[str, Any]) -> Op[Invitation]:
    # The server upserts on (email, platform, project), so repeating the call after a failure
    # is safe: it is an idempotent write (retried like an update).
    sent = yield Call("POST", "/user-invitations", body=body)
    return parse(Invitation, sent)


def project_invitation_body(project: Project | str, email: str, role: str) -> dict[str, Any]:
    return {
        "type": InvitationType.PROJECT.value,
        "email": check_email(email),
        "projectId": project_id_of(project),
        "projectRole": check_role(role),
    }


def send_project_invitation(project: Project | str, email: str, role: str) -> Op[Invitation]:
    """``POST /user-invitations`` (PROJECT). With an API key it is accepted at once: an
    existing user becomes a member now, anyone else on sign-up."""
    return (yield from _post_invitation(project_invitation_body(project, email, role)))


def send_platform_invitation(email: str, platform_role: PlatformRole | str) -> Op[Invitation]:
    """``POST /user-invitations`` (PLATFORM). Not deduplicated by the server for people who
    have not signed up yet (no project to key on): check ``invitations.list`` first."""
    body = {
        "type": InvitationType.PLATFORM.value,
        "email": check_email(email),
        "platformRole": _enum(PlatformRole, platform_role, "platform_role"),
    }
    return (yield from _post_invitation(body))


def delete_invitation(invitation: Invitation | str) -> Op[None]:
    """``DELETE /user-invitations/:id``; a 404 on a retry means an earlier attempt did it."""
    path = path_of("user-invitations", _id_of(invitation, "invitation_id"))
    yield Call("DELETE", path, gone_ok=True)
