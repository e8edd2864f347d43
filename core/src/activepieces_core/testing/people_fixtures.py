"""Fixture entries and ``activepieces-emulator`` options for people (read and checked only).

```yaml
platforms:
  - users_limit: 25                 # seat cap (default: none)
    project_roles_enabled: true     # default true
    users:                          # names (e-mail derived) or mappings
      - Alice Adams                 # alice.adams@example.com
      - {email: ops@acme.example, first_name: Ops, platform_role: ADMIN, external_id: ops-1}
    project_roles: [{name: Auditor, permissions: [READ_FLOW]}]   # CUSTOM roles
    projects:
      - {displayName: Acme, externalId: acme, members: [{email: ops@acme.example, role: Admin}]}
```
This module never imports the state: `EmulatorState` applies what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The default platform's owner, then its users (``users: 2`` = the next two names).
DEFAULT_USER_NAMES = (
    "Olivia Owner",
    "Alice Adams",
    "Bob Brown",
    "Carol Chen",
    "Dan Diaz",
    "Eve Evans",
)
PLATFORM_SETTINGS = ("users_limit", "invitations_auto_accept", "smtp_configured")
_USER_FIELDS = ("first_name", "last_name", "platform_role", "external_id", "status")


@dataclass(frozen=True)
class UserFixture:
    """A user given as a mapping: its e-mail and `PeopleState.add_user` keywords."""

    email: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class RoleFixture:
    """A CUSTOM project role."""

    name: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class MemberFixture:
    """A membership of a fixture project (the user is created as needed)."""

    email: str
    role: str = "Editor"


def user_names(users: Any) -> int | list[str]:
    """What `EmulatorState.add_platform` takes: a number, or the plain names of ``users``."""
    if isinstance(users, int):
        return users
    return [u for u in users if isinstance(u, str)]


def user_records(users: Any) -> tuple[UserFixture, ...]:
    """The users of ``users`` given as mappings (names are `user_names`)."""
    found: list[UserFixture] = []
    for user in [] if isinstance(users, int) else users:
        if isinstance(user, Mapping):
            extra = {k: user[k] for k in _USER_FIELDS if k in user}
            found.append(UserFixture(user["email"], extra))
        elif not isinstance(user, str):
            raise ValueError(f"a fixture user is a name or a mapping with 'email', not {user!r}")
    return tuple(found)


def settings(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The platform's people settings given in ``spec`` (set as `Platform` attributes)."""
    return {name: spec[name] for name in PLATFORM_SETTINGS if name in spec}


def roles(spec: Mapping[str, Any]) -> tuple[RoleFixture, ...]:
    return tuple(
        RoleFixture(role["name"], tuple(role.get("permissions", ())))
        for role in spec.get("project_roles", [])
    )


def members(entries: Iterable[Mapping[str, Any]]) -> tuple[MemberFixture, ...]:
    """``members: [{email, role}]`` of a fixture project."""
    return tuple(MemberFixture(m["email"], m.get("role", "Editor")) for m in entries)


def with_options(
    fixtures: Mapping[str, Any] | None,
    *,
    users_limit: int | None = None,
    project_roles_enabled: bool = True,
    users: Sequence[str] = (),
) -> Mapping[str, Any] | None:
    """The CLI's people options folded into the first platform of the fixtures (so that they
    survive ``reset``); the fixtures unchanged when no option differs from the default."""
    if users_limit is None and project_roles_enabled and not users:
        return fixtures
    data = dict(fixtures or {})
    platforms = [dict(p) for p in data.get("platforms") or [{}]]
    first = platforms[0]
    if users_limit is not None:
        first["users_limit"] = users_limit
    if not project_roles_enabled:
        first["project_roles_enabled"] = False
    if users:
        existing = first.get("users", 2)
        listed = list(existing) if not isinstance(existing, int) else []
        if isinstance(existing, int):
            listed = list(DEFAULT_USER_NAMES[1 : 1 + existing])
        first["users"] = [*listed, *({"email": email} for email in users)]
    return {**data, "platforms": platforms}
