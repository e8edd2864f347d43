"""Fixture files: platforms with their users, global connections and projects (JSON or YAML).

```yaml
platforms:                       # the first one is the default platform
  - team_projects_limit: 5         # billedTeamProjectsLimit; also NONE | ONE | UNLIMITED (0/1/null)
    global_connections_enabled: true
    api_key: sk-...              # optional (the CLI's --api-key wins for the first platform)
    users: [Alice Adams, Bob Brown]  # or a number; each user (and the owner) gets a PERSONAL project
    global_connections: [slack-main]
    environments_enabled: true   # POST /projects/:id/replace works (plan environmentsEnabled)
    custom_roles_enabled: true   # project roles can be created, renamed and deleted over HTTP
    manage_pieces_enabled: true  # piece sets govern visibility (the Default set is made lazily)
    piece_sets:                  # needs manage_pieces_enabled
      - {name: Gold tier, key: gold, mode: exclude_all, exceptions: ["@activepieces/piece-slack"]}
    projects:
      - {displayName: Acme, externalId: acme, metadata: {tier: gold}, piece_set: gold}
projects: []                     # shorthand: projects of the default platform
```
Passed as ``Emulator(fixtures=...)`` or ``activepieces-emulator --fixtures FILE``. This module
only reads and checks fixtures (`parse_fixtures`); it never imports the state, which applies
them on every reset. (The random seed, ``Emulator(seed=0)``, is unrelated.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from . import people_fixtures
from .people_fixtures import MemberFixture, RoleFixture, UserFixture

_PLATFORM_SETTINGS = (
    "team_projects_limit",
    "global_connections_enabled",
    "project_roles_enabled",
    "worker_groups_enabled",
    "manage_pieces_enabled",
    "environments_enabled",
    "custom_roles_enabled",
)
# users (names or mappings with an e-mail), users_limit, project_roles and project members:
# see `.people_fixtures`.

#: A fixture file (``.json``, ``.yaml``, ``.yml``) or the mapping it would hold.
FixtureSource: TypeAlias = Mapping[str, Any] | str | Path


@dataclass(frozen=True)
class PieceSetFixture:
    name: str
    key: str | None
    mode: str
    exceptions: tuple[str, ...]


@dataclass(frozen=True)
class ProjectFixture:
    """A project: `EmulatorState.add_project` arguments, its piece set key and members."""

    display_name: str
    external_id: str | None
    type: str
    fields: Mapping[str, Any]
    piece_set: str | None
    members: tuple[MemberFixture, ...]


@dataclass(frozen=True)
class PlatformFixture:
    """A platform: `EmulatorState.add_platform` settings, then what is added to it."""

    settings: Mapping[str, Any]
    api_key: str | None
    id: str | None
    user_names: int | list[str]
    people_settings: Mapping[str, Any]
    users: tuple[UserFixture, ...]
    project_roles: tuple[RoleFixture, ...]
    global_connections: tuple[str, ...]
    piece_sets: tuple[PieceSetFixture, ...]
    projects: tuple[ProjectFixture, ...]


def load_fixtures(path: str | Path) -> dict[str, Any]:
    """Read a ``.json``/``.yaml``/``.yml`` fixture file."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("a fixture file holds a mapping with 'platforms' and/or 'projects'")
    return data


def parse_fixtures(data: Mapping[str, Any]) -> tuple[PlatformFixture, ...]:
    """The platforms of ``data``, checked (ValueError/KeyError); the top-level ``projects``
    shorthand belongs to the first."""
    platforms = list(data.get("platforms") or [{}])
    return tuple(
        _platform(spec, list(data.get("projects") or []) if index == 0 else [])
        for index, spec in enumerate(platforms)
    )


def _platform(spec: Mapping[str, Any], extra_projects: list[Any]) -> PlatformFixture:
    users = spec.get("users", 2)
    return PlatformFixture(
        settings={k: spec[k] for k in _PLATFORM_SETTINGS if k in spec},
        api_key=spec.get("api_key"),
        id=spec.get("id"),
        user_names=people_fixtures.user_names(users),
        people_settings=people_fixtures.settings(spec),
        users=people_fixtures.user_records(users),
        project_roles=people_fixtures.roles(spec),
        global_connections=tuple(spec.get("global_connections", [])),
        piece_sets=tuple(
            PieceSetFixture(
                p["name"],
                p.get("key"),
                mode=p.get("mode", "include_all"),
                exceptions=tuple(p.get("exceptions", ())),
            )
            for p in spec.get("piece_sets", [])
        ),
        projects=tuple(_project(p) for p in [*spec.get("projects", []), *extra_projects]),
    )


def _project(spec: Mapping[str, Any]) -> ProjectFixture:
    fields = dict(spec)
    name = fields.pop("displayName", None) or fields.pop("display_name")
    external_id = fields.pop("externalId", fields.pop("external_id", None))
    return ProjectFixture(
        display_name=name,
        external_id=external_id,
        type=fields.pop("type", "TEAM"),
        piece_set=fields.pop("piece_set", None),
        members=people_fixtures.members(fields.pop("members", [])),
        fields=fields,
    )


def read_fixtures(source: FixtureSource) -> Mapping[str, Any]:
    """The mapping of ``source`` (a file is read)."""
    return load_fixtures(source) if isinstance(source, (str, Path)) else source
