"""Models of the people APIs: users, project roles, project members and invitations.

Responses are tolerant (unknown fields ignored, unknown enum values kept as strings). An
invitation's ``link`` is a bearer token: it is a `SecretStr`, left out of ``repr`` and
``to_dict``, and readable only through `Invitation.reveal_link`.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import Field, SecretStr

from activepieces_core.models.enums import LEFT_TO_RIGHT, member_or_raw
from activepieces_core.models.project import APIModel

__all__ = [
    "DEFAULT_PROJECT_ROLES",
    "Invitation",
    "InvitationStatus",
    "InvitationType",
    "PlatformRole",
    "ProjectMember",
    "ProjectRef",
    "ProjectRole",
    "User",
    "UserStatus",
    "normalize_email",
]

#: The role names every platform has (``GET /v1/project-roles``, type ``DEFAULT``).
DEFAULT_PROJECT_ROLES: tuple[str, ...] = ("Admin", "Editor", "Operator", "Viewer")


def normalize_email(email: str) -> str:
    """An e-mail as the server stores it: lower-cased and trimmed."""
    return email.strip().lower()


class InvitationType(str, Enum):
    """``PROJECT`` (a project role in one project) or ``PLATFORM`` (a platform role)."""

    PROJECT = "PROJECT"
    PLATFORM = "PLATFORM"


class InvitationStatus(str, Enum):
    """``PENDING``: waiting for the link to be used; ``ACCEPTED``: waiting for sign-up (an API
    key's invitations are accepted at once and disappear when provisioned)."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"


class PlatformRole(str, Enum):
    """A user's role on the platform."""

    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    OPERATOR = "OPERATOR"


class UserStatus(str, Enum):
    """``INACTIVE`` users cannot sign in."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


LenientInvitationType = Annotated[
    InvitationType | str, LEFT_TO_RIGHT, member_or_raw(InvitationType)
]
LenientInvitationStatus = Annotated[
    InvitationStatus | str, LEFT_TO_RIGHT, member_or_raw(InvitationStatus)
]
LenientPlatformRole = Annotated[PlatformRole | str, LEFT_TO_RIGHT, member_or_raw(PlatformRole)]
LenientUserStatus = Annotated[UserStatus | str, LEFT_TO_RIGHT, member_or_raw(UserStatus)]


class ProjectRole(APIModel):
    """A named set of permissions; ``type`` is ``DEFAULT`` (every platform) or ``CUSTOM``."""

    id: str
    created: str | None = None
    updated: str | None = None
    name: str
    permissions: list[str] = Field(default_factory=list)
    platform_id: str | None = None
    type: str | None = None
    user_count: int | None = None


class User(APIModel):
    """A user of the platform (``UserWithMetaInformation``)."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    status: LenientUserStatus = UserStatus.ACTIVE
    platform_role: LenientPlatformRole = PlatformRole.MEMBER
    external_id: str | None = None
    platform_id: str | None = None
    created: str | None = None
    updated: str | None = None
    last_active_date: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_admin(self) -> bool:
        """A platform admin (offboarding never deactivates one)."""
        return self.platform_role == PlatformRole.ADMIN


class ProjectRef(APIModel):
    """``{id, displayName}`` of the member's project."""

    id: str
    display_name: str | None = None


class ProjectMember(APIModel):
    """A user's membership of a project. ``user``/``project_role`` come with listings; a role
    update answers the bare row (the server's response schema does not fit it)."""

    id: str
    created: str | None = None
    updated: str | None = None
    platform_id: str | None = None
    user_id: str | None = None
    project_id: str | None = None
    project_role_id: str | None = None
    user: User | None = None
    project_role: ProjectRole | None = None
    project: ProjectRef | None = None

    @property
    def email(self) -> str | None:
        """The member's e-mail, normalised (None when the user is not included)."""
        email = self.user.email if self.user is not None else None
        return normalize_email(email) if email else None

    @property
    def role(self) -> str | None:
        """The project role's name (None when not included)."""
        return self.project_role.name if self.project_role is not None else None


class Invitation(APIModel):
    """An invitation (``UserInvitation``; the send response may add ``link``)."""

    id: str
    created: str | None = None
    updated: str | None = None
    email: str
    status: LenientInvitationStatus = InvitationStatus.PENDING
    type: LenientInvitationType = InvitationType.PROJECT
    platform_id: str | None = None
    platform_role: LenientPlatformRole | None = None
    project_id: str | None = None
    project_role_id: str | None = None
    project_role: ProjectRole | None = None
    link: SecretStr | None = Field(default=None, repr=False)

    @property
    def role(self) -> str | None:
        """The project role's name, when the server included it (listings do)."""
        return self.project_role.name if self.project_role is not None else None

    @property
    def has_link(self) -> bool:
        return self.link is not None

    def reveal_link(self) -> str | None:
        """The invitation link: a bearer token that lets its holder join. Only on request."""
        return self.link.get_secret_value() if self.link is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe camelCase dict, without the link (``hasLink`` says whether there was one)."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"link"})
        data["hasLink"] = self.has_link
        return data
