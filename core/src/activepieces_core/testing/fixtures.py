"""Seed files: platforms with their users, global connections and projects (JSON or YAML).

```yaml
platforms:                       # the first one is the default platform
  - team_projects_limit: UNLIMITED   # NONE | ONE | UNLIMITED
    global_connections_enabled: true
    api_key: sk-...              # optional (the CLI's --api-key wins for the first platform)
    users: [Alice Adams, Bob Brown]  # or a number; each user (and the owner) gets a PERSONAL project
    global_connections: [slack-main]
    manage_pieces_enabled: true  # piece sets govern visibility (the Default set is made lazily)
    piece_sets:                  # needs manage_pieces_enabled
      - {name: Gold tier, key: gold, mode: exclude_all, exceptions: ["@activepieces/piece-slack"]}
    projects:
      - {displayName: Acme, externalId: acme, metadata: {tier: gold}, piece_set: gold}
projects: []                     # shorthand: projects of the default platform
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import people_seed

if TYPE_CHECKING:
    from .state import EmulatorState

_PLATFORM_SETTINGS = (
    "team_projects_limit",
    "global_connections_enabled",
    "project_roles_enabled",
    "worker_groups_enabled",
    "manage_pieces_enabled",
)
# users (names or mappings with an e-mail), users_limit, project_roles and project members:
# see `.people_seed`.


def load_seed(path: str | Path) -> dict[str, Any]:
    """Read a ``.json``/``.yaml``/``.yml`` seed file."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("a seed file holds a mapping with 'platforms' and/or 'projects'")
    return data


def apply_seed(
    state: EmulatorState,
    data: Mapping[str, Any],
    *,
    api_key: str | None,
    team_projects_limit: str = "UNLIMITED",
) -> None:
    """Create the seeded platforms and projects in ``state`` (called under its lock).

    ``api_key`` and ``team_projects_limit`` are defaults for the first platform; the file's
    own values win for the limit, ``api_key`` wins for the key.
    """
    platforms = list(data.get("platforms") or [{}])
    for index, spec in enumerate(platforms):
        settings = {k: spec[k] for k in _PLATFORM_SETTINGS if k in spec}
        if index == 0:
            settings.setdefault("team_projects_limit", team_projects_limit)
        key = api_key if index == 0 and api_key else spec.get("api_key")
        platform = state.add_platform(
            **settings,
            api_key=key,
            platform_id=spec.get("id"),
            users=people_seed.user_names(spec.get("users", 2)),
        )
        people_seed.apply_platform(state, platform, spec)
        for external_id in spec.get("global_connections", []):
            state.add_global_connection(external_id, platform_id=platform.id)
        for piece_set in spec.get("piece_sets", []):
            state.piece_sets.add(
                piece_set["name"],
                piece_set.get("key"),
                platform_id=platform.id,
                mode=piece_set.get("mode", "include_all"),
                exceptions=piece_set.get("exceptions", ()),
            )
        projects = list(spec.get("projects", []))
        if index == 0:
            projects.extend(data.get("projects") or [])
        for project in projects:
            _add_project(state, platform.id, project)


def _add_project(state: EmulatorState, platform_id: str, spec: Mapping[str, Any]) -> None:
    fields = dict(spec)
    name = fields.pop("displayName", None) or fields.pop("display_name")
    external_id = fields.pop("externalId", fields.pop("external_id", None))
    project_type = fields.pop("type", "TEAM")
    piece_set_key = fields.pop("piece_set", None)
    members = fields.pop("members", [])
    project = state.add_project(
        name, external_id=external_id, type=project_type, platform_id=platform_id, **fields
    )
    if piece_set_key is not None:
        found = state.piece_sets.by_key(piece_set_key, platform_id)
        if found is None:
            raise ValueError(f"seed project {name!r}: no piece set with key {piece_set_key!r}")
        state.replace(project["id"], {"pieceSetId": found["id"]})
    people_seed.apply_members(state, project, members)
