"""Seed-file entries and ``activepieces-emulator`` options for people.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import EmulatorState, Platform

PLATFORM_SETTINGS = ("users_limit", "invitations_auto_accept", "smtp_configured")
_USER_FIELDS = ("first_name", "last_name", "platform_role", "external_id", "status")


def user_names(users: Any) -> int | list[str]:
    """What `EmulatorState.add_platform` takes: a number, or the plain names of ``users``."""
    if isinstance(users, int):
        return users
    return [u for u in users if isinstance(u, str)]


def apply_platform(state: EmulatorState, platform: Platform, spec: Mapping[str, Any]) -> None:
    """The platform's people settings, users given as mappings, and CUSTOM roles."""
    for name in PLATFORM_SETTINGS:
        if name in spec:
            setattr(platform, name, spec[name])
    users = spec.get("users", 2)
    for user in [] if isinstance(users, int) else users:
        if isinstance(user, Mapping):
            extra = {k: user[k] for k in _USER_FIELDS if k in user}
            state.people.add_user(user["email"], platform_id=platform.id, **extra)
        elif not isinstance(user, str):
            raise ValueError(f"a seed user is a name or a mapping with 'email', not {user!r}")
    for role in spec.get("project_roles", []):
        state.people.add_role(role["name"], role.get("permissions", ()), platform_id=platform.id)


def apply_members(
    state: EmulatorState, project: Mapping[str, Any], members: Iterable[Mapping[str, Any]]
) -> None:
    """``members: [{email, role}]`` of a seeded project (users created as needed)."""
    for member in members:
        state.people.add_member(project["id"], member["email"], member.get("role", "Editor"))


def with_options(
    seed: str | Path | Mapping[str, Any] | None,
    *,
    users_limit: int | None = None,
    project_roles_enabled: bool = True,
    users: Sequence[str] = (),
) -> Mapping[str, Any] | str | Path | None:
    """The CLI's people options folded into the first platform of the seed data (so that they
    survive ``reset``); the seed unchanged when no option differs from the default."""
    if users_limit is None and project_roles_enabled and not users:
        return seed
    from .seed import load_seed

    data: Mapping[str, Any] = load_seed(seed) if isinstance(seed, (str, Path)) else dict(seed or {})
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
            from .state import _USER_NAMES

            listed = list(_USER_NAMES[1 : 1 + existing])
        first["users"] = [*listed, *({"email": email} for email in users)]
    return {**data, "platforms": platforms}
