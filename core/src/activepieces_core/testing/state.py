"""In-memory platforms, projects and global connections, with the indices the routes need.

Project records are copy-on-write: a stored ``public`` dict is never mutated in place, so a
reader may serialise it outside the lock. All access goes through one re-entrant lock.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from typing import Any

from ._ids import IdGenerator, now_iso
from .contents import ContentsStore
from .fixtures import (
    FixtureSource,
    PlatformFixture,
    ProjectFixture,
    parse_fixtures,
    read_fixtures,
)
from .pagination import Key
from .people import PeopleState
from .people_fixtures import DEFAULT_USER_NAMES
from .piece_sets import PieceSetStore
from .plan_limits import TeamProjectsLimit
from .plan_limits import team_projects_limit as parse_team_projects_limit
from .records import Platform, ProjectRecord, User, json_copy
from .validation import COLORS

# add_project(**fields): snake_case convenience names -> API field names.
_FIELD_ALIASES = {
    "metadata": "metadata",
    "max_concurrent_jobs": "maxConcurrentJobs",
    "releases_enabled": "releasesEnabled",
    "owner_id": "ownerId",
    "notify_flow_owner_on_failure": "notifyFlowOwnerOnFailure",
    "worker_group_id": "workerGroupId",
    "execution_data_retention_days": "executionDataRetentionDays",
    "sensitive": "sensitive",
    "pool_id": "poolId",
    "piece_set_id": "pieceSetId",
}


def _empty_analytics() -> dict[str, int]:
    return {"totalUsers": 0, "activeUsers": 0, "totalFlows": 0, "activeFlows": 0}


class EmulatorState:
    """Thread-safe store. Public helpers return JSON-shaped copies as ``GET /:id`` would."""

    def __init__(
        self,
        seed: int | None = 0,
        *,
        team_projects_limit: TeamProjectsLimit = None,
        duplicate_external_id_status: int = 500,
        api_key: str | None = None,
        users: int = 2,
        fixtures: FixtureSource | None = None,
    ) -> None:
        """``seed`` makes ids reproducible; ``fixtures`` (a mapping or a JSON/YAML path, see
        :mod:`.fixtures`) replace the default platform."""
        self.lock = threading.RLock()
        self._seed = seed
        self._team_projects_limit = team_projects_limit
        self._duplicate_status = duplicate_external_id_status
        self._api_key = api_key
        self._users = users
        self._fixtures = parse_fixtures(read_fixtures(fixtures)) if fixtures is not None else None
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the initial state (fixtures applied again, same ids, same key)."""
        with self.lock:
            self.ids = IdGenerator(self._seed)
            self.duplicate_external_id_status = self._duplicate_status
            self._platforms: dict[str, Platform] = {}
            self._by_key: dict[str, Platform] = {}
            self._projects: dict[str, ProjectRecord] = {}
            self._order: dict[str, list[Key]] = {}
            self._by_external: dict[tuple[str, str], set[str]] = {}
            self._by_external_global: dict[str, set[str]] = {}
            self._connections: dict[str, list[dict[str, Any]]] = {}
            self.alert_receivers: dict[str, str] = {}
            self.people = PeopleState(self)
            self.piece_sets = PieceSetStore(self)
            self.contents = ContentsStore(self)
            if self._fixtures is not None:
                self._apply_fixtures(self._fixtures)
            if not self._platforms:
                self.add_platform(
                    team_projects_limit=self._team_projects_limit,
                    api_key=self._api_key,
                    users=self._users,
                )

    def _apply_fixtures(self, platforms: tuple[PlatformFixture, ...]) -> None:
        """Create the fixture platforms and projects (under the lock). The constructor's
        ``team_projects_limit`` is the first platform's default (the fixture's value wins) and
        its ``api_key`` wins over the fixture's for that platform."""
        for index, spec in enumerate(platforms):
            settings = dict(spec.settings)
            key = spec.api_key
            if index == 0:
                settings.setdefault("team_projects_limit", self._team_projects_limit)
                key = self._api_key or key
            platform = self.add_platform(
                **settings, api_key=key, platform_id=spec.id, users=spec.user_names
            )
            for name, value in spec.people_settings.items():
                setattr(platform, name, value)
            for user in spec.users:
                self.people.add_user(user.email, platform_id=platform.id, **user.fields)
            for role in spec.project_roles:
                self.people.add_role(role.name, role.permissions, platform_id=platform.id)
            for external_id in spec.global_connections:
                self.add_global_connection(external_id, platform_id=platform.id)
            for piece_set in spec.piece_sets:
                self.piece_sets.add(
                    piece_set.name,
                    piece_set.key,
                    platform_id=platform.id,
                    mode=piece_set.mode,
                    exceptions=piece_set.exceptions,
                )
            for project in spec.projects:
                self._add_fixture_project(platform.id, project)

    def _add_fixture_project(self, platform_id: str, spec: ProjectFixture) -> None:
        project = self.add_project(
            spec.display_name,
            external_id=spec.external_id,
            type=spec.type,
            platform_id=platform_id,
            **spec.fields,
        )
        if spec.piece_set is not None:
            found = self.piece_sets.by_key(spec.piece_set, platform_id)
            if found is None:
                raise ValueError(
                    f"fixture project {spec.display_name!r}: "
                    f"no piece set with key {spec.piece_set!r}"
                )
            self.replace(project["id"], {"pieceSetId": found["id"]})
        for member in spec.members:
            self.people.add_member(project["id"], member.email, member.role)

    # ---- platforms ---------------------------------------------------------------------------
    @property
    def default_platform_id(self) -> str:
        with self.lock:
            return next(iter(self._platforms))

    def platform(self, platform_id: str | None = None) -> Platform:
        with self.lock:
            return self._platforms[platform_id or self.default_platform_id]

    def platforms(self) -> list[Platform]:
        with self.lock:
            return list(self._platforms.values())

    def platform_for_key(self, api_key: str) -> Platform | None:
        with self.lock:
            return self._by_key.get(api_key)

    def add_platform(
        self,
        *,
        team_projects_limit: TeamProjectsLimit = None,
        global_connections_enabled: bool = False,
        project_roles_enabled: bool = True,
        worker_groups_enabled: bool = False,
        manage_pieces_enabled: bool = False,
        custom_roles_enabled: bool = False,
        environments_enabled: bool = False,
        api_key: str | None = None,
        platform_id: str | None = None,
        users: int | Iterable[str] = 2,
    ) -> Platform:
        """A new platform with an owner and ``users`` more users, each with a PERSONAL project.
        ``team_projects_limit``: a number (0 = none), None (no limit) or NONE/ONE/UNLIMITED."""
        limit = parse_team_projects_limit(team_projects_limit)
        with self.lock:
            names = (
                list(users)
                if not isinstance(users, int)
                else list(DEFAULT_USER_NAMES[1 : 1 + users])
            )
            platform = Platform(
                id=platform_id or self.ids.new_id(),
                api_key=api_key or self.ids.api_key(),
                owner_id=self.ids.new_id(),
                team_projects_limit=limit,
                global_connections_enabled=global_connections_enabled,
                project_roles_enabled=project_roles_enabled,
                worker_groups_enabled=worker_groups_enabled,
                manage_pieces_enabled=manage_pieces_enabled,
                custom_roles_enabled=custom_roles_enabled,
                environments_enabled=environments_enabled,
                default_piece_set_id=self.ids.new_id(),
            )
            if platform.api_key in self._by_key:
                raise ValueError("API key already used by another platform")
            platform.users.append(User(platform.owner_id, DEFAULT_USER_NAMES[0]))
            platform.users.extend(User(self.ids.new_id(), name) for name in names)
            self._platforms[platform.id] = platform
            self._by_key[platform.api_key] = platform
            self._order[platform.id] = []
            self._connections[platform.id] = []
            for user in platform.users:
                self.add_personal_project(platform.id, user.id, user.name.split()[0])
            return platform

    def configure_platform(self, platform_id: str | None = None, **settings: Any) -> Platform:
        """Change plan settings at run time, e.g. ``team_projects_limit="ONE"``."""
        with self.lock:
            platform = self.platform(platform_id)
            for name, value in settings.items():
                if name in ("id", "api_key", "owner_id", "users") or not hasattr(platform, name):
                    raise TypeError(f"unknown platform setting {name!r}")
                if name == "team_projects_limit":
                    value = parse_team_projects_limit(value)
                setattr(platform, name, value)
            return platform

    # ---- projects: reads ---------------------------------------------------------------------
    def record(self, project_id: str) -> ProjectRecord | None:
        return self._projects.get(project_id)

    def order(self, platform_id: str) -> list[Key]:
        """Live projects of a platform, sorted by ``(type, displayName, id)``."""
        return self._order[platform_id]

    def live_ids_by_external(self, external_id: str, platform_id: str | None = None) -> set[str]:
        if platform_id is None:
            return self._by_external_global.get(external_id, set())
        return self._by_external.get((platform_id, external_id), set())

    def projects(
        self,
        platform_id: str | None = None,
        *,
        include_deleted: bool = False,
        types: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Projects of a platform in list order (deleted ones, if asked, at the end)."""
        wanted = set(types) if types is not None else None
        with self.lock:
            pid = platform_id or self.default_platform_id
            records = [self._projects[key[2]] for key in self._order[pid]]
            if include_deleted:
                deleted = [
                    r
                    for r in self._projects.values()
                    if r.deleted is not None and r.public["platformId"] == pid
                ]
                records.extend(sorted(deleted, key=lambda r: r.key))
            return [
                json_copy(r.as_get())
                for r in records
                if wanted is None or r.public["type"] in wanted
            ]

    def get_project(self, project_id: str) -> dict[str, Any]:
        """The project as ``GET /:id`` returns it (also when soft-deleted); KeyError if unknown."""
        with self.lock:
            return json_copy(self._projects[project_id].as_get())

    # ---- projects: writes --------------------------------------------------------------------
    def new_project(
        self, platform: Platform, display_name: str, *, type: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A fresh project dict as create builds it (random icon, default plan)."""
        project_id = self.ids.new_id()
        color = self.ids.choice(COLORS)
        created = now_iso()
        plan = {
            "id": self.ids.new_id(),
            "created": created,
            "updated": created,
            "projectId": project_id,
            "locked": False,
            "name": "platform" if type == "TEAM" else "free",
            "piecesFilterType": "NONE",
            "pieces": [],
            "activeFlowsLimit": None,
        }
        project: dict[str, Any] = {
            "id": project_id,
            "created": created,
            "updated": created,
            "ownerId": platform.owner_id,
            "displayName": display_name,
            "platformId": platform.id,
            "type": type,
            "icon": {"color": color},
            "externalId": None,
            "maxConcurrentJobs": None,
            "releasesEnabled": False,
            "notifyFlowOwnerOnFailure": False,
            "metadata": None,
            "poolId": None,
            # The post-create hook assigns the Default set (created lazily) on such platforms.
            "pieceSetId": self.piece_sets.default_id(platform)
            if platform.manage_pieces_enabled
            else None,
            "workerGroupId": None,
            "executionDataRetentionDays": None,
            "sensitive": False,
            "plan": plan,
            "analytics": _empty_analytics(),
        }
        project.update(fields)
        return project

    def insert(self, project: dict[str, Any]) -> None:
        """Store a new live project and index it."""
        record = ProjectRecord(project)
        self._projects[project["id"]] = record
        insort(self._order[project["platformId"]], record.key)
        self._index_external(record, add=True)

    def replace(self, project_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Copy-on-write update of a live project; re-indexes what changed."""
        record = self._projects[project_id]
        old_key = record.key
        self._index_external(record, add=False)
        record.public = {**record.public, **changes}
        self._index_external(record, add=True)
        if record.key != old_key:
            order = self._order[record.public["platformId"]]
            del order[bisect_left(order, old_key)]
            insort(order, record.key)
        return record.public

    def soft_delete(self, project_id: str) -> None:
        """``markForDeletion``: the project is soft-deleted and its ``HARD_DELETE_PROJECT`` job
        runs now (upstream schedules it for immediately; the 30-day grace period of
        platform-project-side-effects.ts @ 1bd9b4f2 is gone): its people and its contents,
        PROJECT-scope connections included, are gone for good. See docs/archives.md."""
        record = self._projects[project_id]
        order = self._order[record.public["platformId"]]
        del order[bisect_left(order, record.key)]
        self._index_external(record, add=False)
        record.deleted = now_iso()
        self.people.forget_project(project_id)
        self.contents.forget_project(project_id, record.public["platformId"])

    def _index_external(self, record: ProjectRecord, *, add: bool) -> None:
        ext = record.public["externalId"]
        if ext is None:
            return
        pid = record.public["id"]
        scoped = (record.public["platformId"], ext)
        if add:
            self._by_external.setdefault(scoped, set()).add(pid)
            self._by_external_global.setdefault(ext, set()).add(pid)
            return
        _discard(self._by_external, scoped, pid)
        _discard(self._by_external_global, ext, pid)

    def count_live(self, platform_id: str, type: str) -> int:
        order = self._order[platform_id]
        lo = bisect_left(order, (type, "", ""))
        hi = bisect_left(order, (type + "\0", "", ""))
        return hi - lo

    # ---- test helpers ------------------------------------------------------------------------
    def add_project(
        self,
        display_name: str,
        *,
        external_id: str | None = None,
        type: str = "TEAM",
        platform_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Add a project directly (no quota check). Extra ``fields`` in snake_case or camelCase;
        ``icon_color``, ``pieces``, ``pieces_filter_type`` and ``analytics`` are accepted too."""
        if type not in ("TEAM", "PERSONAL"):
            raise ValueError(f"type must be TEAM or PERSONAL, not {type!r}")
        with self.lock:
            platform = self.platform(platform_id)
            if external_id is not None and self.live_ids_by_external(external_id, platform.id):
                raise ValueError(f"externalId {external_id!r} already used on this platform")
            extra = _project_fields(fields)
            project = self.new_project(platform, display_name, type=type, fields=extra)
            project["externalId"] = external_id
            plan_changes = {k: v for k, v in (("pieces", fields.get("pieces")),) if v is not None}
            pft = fields.get("pieces_filter_type", fields.get("piecesFilterType"))
            if pft is not None:
                plan_changes["piecesFilterType"] = pft
            if plan_changes:
                project["plan"] = {**project["plan"], **plan_changes}
            self.insert(project)
            return json_copy(self._projects[project["id"]].as_get())

    def add_personal_project(self, platform_id: str, owner_id: str, first_name: str) -> None:
        """The PERSONAL project every user has (sign-up makes it): ``"<first name>'s Project"``."""
        self.add_project(
            f"{first_name}'s Project",
            type="PERSONAL",
            platform_id=platform_id,
            ownerId=owner_id,
            analytics={"totalUsers": 1, "activeUsers": 1},
        )

    def set_analytics(
        self,
        project_id: str,
        *,
        total_users: int | None = None,
        active_users: int | None = None,
        total_flows: int | None = None,
        active_flows: int | None = None,
    ) -> dict[str, Any]:
        """Change a project's analytics (what sensors wait for); ``None`` leaves a value."""
        given = {
            "totalUsers": total_users,
            "activeUsers": active_users,
            "totalFlows": total_flows,
            "activeFlows": active_flows,
        }
        with self.lock:
            record = self._projects[project_id]
            analytics = {**record.public["analytics"]}
            analytics.update({k: v for k, v in given.items() if v is not None})
            record.public = {**record.public, "analytics": analytics}
            return json_copy(record.as_get())

    def add_global_connection(
        self,
        external_id: str,
        *,
        platform_id: str | None = None,
        project_ids: Iterable[str] = (),
        display_name: str | None = None,
        piece_name: str = "@activepieces/piece-slack",
    ) -> dict[str, Any]:
        """A PLATFORM-scoped connection that projects can be attached to by ``externalId``."""
        with self.lock:
            platform = self.platform(platform_id)
            created = now_iso()
            connection = {
                "id": self.ids.new_id(),
                "created": created,
                "updated": created,
                "externalId": external_id,
                "displayName": display_name or external_id,
                "pieceName": piece_name,
                "scope": "PLATFORM",
                "platformId": platform.id,
                "projectIds": list(project_ids),
            }
            self._connections[platform.id].append(connection)
            return json_copy(connection)

    def global_connections(self, platform_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return json_copy(self._connections[self.platform(platform_id).id])

    def connections_of(self, platform_id: str) -> list[dict[str, Any]]:
        """The live, mutable connection list (callers hold the lock)."""
        return self._connections[platform_id]

    def sign_up(self, email: str, **names: Any) -> dict[str, Any]:
        """Simulate ``email`` signing up: pending accepted invitations become memberships.
        See `.people.PeopleState.sign_up` (``first_name``, ``last_name``, ``platform_id``)."""
        return self.people.sign_up(email, **names)

    def visible_pieces(self, project_id: str) -> list[str]:
        """Emulator-only: the catalog pieces this project can see, through its piece set on a
        ``manage_pieces_enabled`` platform, else through its plan (see `.piece_sets`)."""
        return self.piece_sets.visible_pieces(project_id)

    # ---- contents (see `.contents`) ---------------------------------------------------------
    def put_flow(self, project_id: str, flow: Mapping[str, Any]) -> dict[str, Any]:
        """Save a flow as someone in the UI would: the flow with the same ``id`` or
        ``externalId`` is replaced by ``flow`` (merged over it), else a new one is added."""
        with self.lock:
            return json_copy(self.contents.put_flow(project_id, json_copy(flow)))

    def flows_of(self, project_id: str) -> list[dict[str, Any]]:
        """The project's flows as ``GET /v1/flows`` returns them (creation order)."""
        with self.lock:
            return json_copy(self.contents.flows(project_id))

    def folders_of(self, project_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return json_copy(self.contents.folders(project_id))

    def tables_of(self, project_id: str) -> list[dict[str, Any]]:
        """The project's tables, each with its ``fields``."""
        with self.lock:
            store = self.contents
            return json_copy(
                [{**t, "fields": store.fields(t["id"])} for t in store.tables(project_id)]
            )

    def connections_for(self, project_id: str) -> list[dict[str, Any]]:
        """Every connection row (either scope) whose ``projectIds`` holds the project."""
        with self.lock:
            platform_id = self._projects[project_id].public["platformId"]
            return json_copy(self.contents.connections_of(platform_id, project_id))


def _discard(index: dict[Any, set[str]], key: Any, project_id: str) -> None:
    ids = index.get(key)
    if ids is not None:
        ids.discard(project_id)
        if not ids:
            del index[key]


def _project_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("pieces", "pieces_filter_type", "piecesFilterType"):
            continue
        if name == "icon_color":
            out["icon"] = {"color": value}
        elif name == "analytics":
            out["analytics"] = {**_empty_analytics(), **value}
        else:
            out[_FIELD_ALIASES.get(name, name)] = value
    return out
