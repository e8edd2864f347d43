"""A project's contents (flows, folders, tables and their fields, app connections) and the
rules of ``POST /v1/projects/:projectId/replace``, as upstream applies them.

Read from ``activepieces/activepieces`` (``docs/upstream-contents.md`` has the full table):

- ``packages/server/api/src/app/ee/projects/project-replace/project-replace.service.ts``
  @ ``03c3239e`` (newest read): per-project lock, preflight (AP version, piece versions,
  connection pieces), piece install, then connections -> folders -> tables -> flows (create and
  update) -> flow, table, folder deletes; ``*Unchanged`` = payload items minus the diff's
  create/update operations (``5c9b3b0f`` subtracted the *applied* counts instead).
- ``.../project-release/project-state/diff/{flow,table,folder,connection}-diff.service.ts``
  @ ``098b2e9d`` / ``7ea9c5d5`` / ``04cc3387``: what "changed" means (see `flow_changed`,
  `table_changed`, `folder_changed`).
- ``.../project-state/project-state-helper.ts`` @ ``04cc3387``: a flow is created without a
  folder, imported (display name, trigger, schema version, notes; a step keeps its old
  ``input.auth``) and published with the payload's status when its version is valid.

The store keeps plain JSON-shaped dicts; every method runs under the state's lock.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._ids import now_iso
from .records import StateView, json_copy

#: The release the emulator reports (``GET /v1/flags`` ``CURRENT_VERSION``) and compares
#: ``sourceActivepiecesVersion`` with.
DEFAULT_AP_VERSION = "0.78.0"
PIECE_STEP_TYPES = ("PIECE", "PIECE_TRIGGER")  # FlowActionType.PIECE, FlowTriggerType.PIECE
DEFAULT_SAMPLE_DATA = {"sampleDataFileId": None, "sampleDataInputFileId": None}
_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


# ---- upstream's comparisons ---------------------------------------------------------------------


def loose_equal(a: Any, b: Any) -> bool:
    """``deep-equal`` (non-strict, upstream's diff services): same keys *count* and loosely
    equal values; ``null`` equals a missing value only inside a present key (JS
    ``undefined == null``). String/number coercion (``1 == "1"``) is not modelled."""
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        return all(key in b and loose_equal(value, b[key]) for key, value in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(loose_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return bool(a == b)


def all_steps(step: Any) -> list[dict[str, Any]]:
    """``flowStructureUtil.getAllSteps``: the step, loop bodies, router children,
    ``continueOnFailureBranches`` and ``nextAction`` chains, depth first."""
    found: list[dict[str, Any]] = []
    stack = [step]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        found.append(current)
        nested: list[Any] = []
        if current.get("type") == "LOOP_ON_ITEMS":
            nested.append(current.get("firstLoopAction"))
        if current.get("type") == "ROUTER":
            nested.extend(current.get("children") or [])
        branches = current.get("continueOnFailureBranches")
        if current.get("type") in ("CODE", "PIECE") and isinstance(branches, dict):
            nested.extend((branches.get("onSuccess"), branches.get("onFailure")))
        nested.append(current.get("nextAction"))
        stack.extend(reversed(nested))
    return found


def _normalized_trigger(trigger: Any) -> Any:
    """``flow-diff.service.ts`` ``normalize``: sample data, ``lastUpdatedDate``, a piece
    step's ``pieceVersion`` and (when set) ``input.auth`` do not count."""
    clone = json_copy(trigger)
    for step in all_steps(clone):
        settings = step.get("settings")
        if not isinstance(settings, dict):
            continue
        settings["sampleData"] = dict(DEFAULT_SAMPLE_DATA)
        step["lastUpdatedDate"] = ""
        if step.get("type") in PIECE_STEP_TYPES:
            settings["pieceVersion"] = ""
            inputs = settings.get("input")
            if isinstance(inputs, dict) and inputs.get("auth"):
                inputs["auth"] = ""
    return clone


def exact_version(version: str) -> str:
    """``flowPieceUtil.getExactVersion``: ``^1.2.3`` and ``~1.2.3`` are ``1.2.3``."""
    return version[1:] if version.startswith(("^", "~")) else version


def _piece_versions(trigger: Any) -> dict[Any, Any]:
    return {
        step.get("name"): (step.get("settings") or {}).get("pieceVersion")
        for step in all_steps(trigger)
        if step.get("type") in PIECE_STEP_TYPES
    }


def _notes(version: Mapping[str, Any]) -> dict[Any, Any]:
    return {note.get("id"): note.get("content") for note in version.get("notes") or []}


def flow_changed(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """``isFlowChanged``: display name, normalised trigger, notes (id -> content) or the
    exact piece version of a current piece step differ. Status, folder and ids do not count."""
    old, new = current.get("version") or {}, wanted.get("version") or {}
    new_versions = _piece_versions(new.get("trigger"))
    versions_match = all(
        isinstance(value, str)
        and isinstance(new_versions.get(name), str)
        and exact_version(new_versions[name]) == exact_version(value)
        for name, value in _piece_versions(old.get("trigger")).items()
    )
    old_trigger, new_trigger = old.get("trigger"), new.get("trigger")
    return (
        old.get("displayName") != new.get("displayName")
        # Equal as they are means equal normalised (the usual re-replace): no copies made.
        or not (
            old_trigger == new_trigger
            or loose_equal(_normalized_trigger(old_trigger), _normalized_trigger(new_trigger))
        )
        or not versions_match
        or _notes(old) != _notes(new)
    )


def table_changed(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """``isTableChanged``: the two table states, without ``id``, are not ``deep-equal``."""
    return not loose_equal(
        {k: v for k, v in current.items() if k != "id"},
        {k: v for k, v in wanted.items() if k != "id"},
    )


def folder_changed(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Folder fingerprint ``{externalId, displayName, displayOrder}`` differs."""
    keys = ("externalId", "displayName", "displayOrder")
    return any(current.get(k) != wanted.get(k) for k in keys)


def parse_semver(text: str) -> tuple[int, int, int, str] | None:
    return _parse_semver(text) if isinstance(text, str) else None


@functools.lru_cache(maxsize=1024)  # a replace parses every required piece's versions twice
def _parse_semver(text: str) -> tuple[int, int, int, str] | None:
    match = _SEMVER.match(text.strip())
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3]), match[4] or ""


def _semver_key(version: tuple[int, int, int, str]) -> tuple[int, int, int, int, str]:
    # A pre-release sorts before its release (semver); its identifiers compare as text here.
    return (*version[:3], 0 if version[3] else 1, version[3])


def version_lt(a: tuple[int, int, int, str], b: tuple[int, int, int, str]) -> bool:
    return _semver_key(a) < _semver_key(b)


# ---- the store ------------------------------------------------------------------------------------


class ContentsView(StateView, Protocol):
    """What the contents store uses of `EmulatorState`: the platform's global connections."""

    def connections_of(self, platform_id: str) -> list[dict[str, Any]]: ...


@dataclass
class Replacing:
    """Projects whose replace runs now (upstream: ``memoryLock.tryAcquire('project-replace:id')``)."""

    projects: set[str] = field(default_factory=set)

    def try_acquire(self, project_id: str) -> bool:
        if project_id in self.projects:
            return False
        self.projects.add(project_id)
        return True

    def release(self, project_id: str) -> None:
        self.projects.discard(project_id)


class ContentsStore:
    """Flows, folders, tables (+ fields) and PROJECT-scope connections per project; installed
    pieces per platform. PLATFORM-scope (global) connections stay in `EmulatorState`.

    Test knobs: ``ap_version``; ``uninstallable_pieces`` (names, or ``name@version``, whose
    install fails: replace answers 502); ``failing_items`` (``(kind, externalId)`` pairs whose
    create/update/delete fails: 207); ``replace_seconds`` (extra time a replace holds the
    project's lock, on top of the route's latency).
    """

    def __init__(self, state: ContentsView, *, ap_version: str = DEFAULT_AP_VERSION) -> None:
        self.state = state
        self.ap_version = ap_version
        self.uninstallable_pieces: set[str] = set()
        self.failing_items: set[tuple[str, str]] = set()
        self.replace_seconds = 0.0
        self.replacing = Replacing()
        self._flows: dict[str, dict[str, dict[str, Any]]] = {}
        self._folders: dict[str, dict[str, dict[str, Any]]] = {}
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._fields: dict[str, list[dict[str, Any]]] = {}
        self._connections: dict[str, list[dict[str, Any]]] = {}  # platform -> PROJECT scope
        self._pieces: dict[str, dict[str, list[str]]] = {}  # platform -> name -> versions

    # ---- flows -----------------------------------------------------------------------------
    def flows(self, project_id: str) -> list[dict[str, Any]]:
        """The project's flows (live dicts, creation order)."""
        return list(self._flows.get(project_id, {}).values())

    def flow_by_external(self, project_id: str, external_id: str) -> dict[str, Any] | None:
        return next((f for f in self.flows(project_id) if f["externalId"] == external_id), None)

    def put_flow(self, project_id: str, flow: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``flow`` (a `PopulatedFlow` dict, partial is fine) as the UI would save it:
        the flow with the same ``id`` or ``externalId`` is replaced, else one is added."""
        flows = self._flows.setdefault(project_id, {})
        found = flows.get(flow.get("id") or "") or self.flow_by_external(
            project_id, flow.get("externalId") or ""
        )
        base = found or self._new_flow(project_id, flow.get("externalId"))
        version = {**base["version"], **(flow.get("version") or {})}
        stored = {**base, **flow, "id": base["id"], "projectId": project_id, "updated": now_iso()}
        stored["version"] = {**version, "flowId": base["id"], "updated": now_iso()}
        flows[base["id"]] = stored
        return stored

    def _new_flow(self, project_id: str, external_id: str | None) -> dict[str, Any]:
        flow_id = self.state.ids.new_id()
        created = now_iso()
        return {
            "id": flow_id,
            "created": created,
            "updated": created,
            "projectId": project_id,
            "externalId": external_id or flow_id,
            "ownerId": None,
            "folderId": None,
            "status": "DISABLED",
            "publishedVersionId": None,
            "metadata": None,
            "operationStatus": "NONE",
            "timeSavedPerRun": None,
            "templateId": None,
            "version": {
                "id": self.state.ids.new_id(),
                "created": created,
                "updated": created,
                "flowId": flow_id,
                "displayName": "Untitled",
                "trigger": {
                    "name": "trigger",
                    "valid": False,
                    "displayName": "Select Trigger",
                    "type": "EMPTY",
                    "settings": {},
                    "lastUpdatedDate": created,
                },
                "updatedBy": None,
                "valid": False,
                "schemaVersion": None,
                "agentIds": [],
                "state": "DRAFT",
                "connectionIds": [],
                "backupFiles": None,
                "notes": [],
            },
        }

    def import_flow(
        self, project_id: str, wanted: Mapping[str, Any], current: dict[str, Any] | None
    ) -> dict[str, Any]:
        """``createFlowInProject`` / ``updateFlowInProject`` + ``republishFlow``. ``wanted`` is
        the replace body's own (decoded for that request): its trigger and notes are kept, not
        copied (a kept ``input.auth`` is written into them)."""
        flow = current or self._new_flow(project_id, wanted["externalId"])
        new_version = wanted["version"]
        trigger = new_version["trigger"]  # the replace's own body: stored as it is
        if current is not None:
            _keep_auth(trigger, current["version"].get("trigger"))
        valid = bool(new_version.get("valid", True))
        now = now_iso()
        version = {
            **flow["version"],
            "id": self.state.ids.new_id(),
            "updated": now,
            "displayName": new_version["displayName"],
            "trigger": trigger,
            "schemaVersion": new_version.get("schemaVersion"),
            "notes": new_version.get("notes") or [],
            "valid": valid,
            "state": "LOCKED" if valid else "DRAFT",
        }
        stored = {**flow, "updated": now, "version": version}
        if valid:  # LOCK_AND_PUBLISH with the payload's status (replace mirrors the source)
            stored["publishedVersionId"] = version["id"]
            stored["status"] = wanted.get("status") or "ENABLED"
        self._flows.setdefault(project_id, {})[stored["id"]] = stored
        return stored

    def delete_flow(self, project_id: str, flow_id: str) -> None:
        self._flows.get(project_id, {}).pop(flow_id, None)

    # ---- folders ---------------------------------------------------------------------------
    def folders(self, project_id: str) -> list[dict[str, Any]]:
        return list(self._folders.get(project_id, {}).values())

    def put_folder(
        self, project_id: str, display_name: str, *, external_id: str | None = None, order: int = 0
    ) -> dict[str, Any]:
        """``upsertByExternalId`` (a folder without external id is always new)."""
        folders = self._folders.setdefault(project_id, {})
        found = next(
            (f for f in folders.values() if external_id and f["externalId"] == external_id), None
        )
        now = now_iso()
        if found is None:
            folder_id = self.state.ids.new_id()
            found = {"id": folder_id, "created": now, "projectId": project_id}
        folder = {
            **found,
            "updated": now,
            "displayName": display_name,
            "displayOrder": order,
            "externalId": external_id,
        }
        folders[folder["id"]] = folder
        return folder

    def delete_folder(self, project_id: str, external_id: str) -> None:
        """``deleteByExternalId``; its flows become uncategorised (``folderId`` null)."""
        folders = self._folders.get(project_id, {})
        for folder_id, folder in list(folders.items()):
            if folder["externalId"] == external_id:
                del folders[folder_id]
                for flow in self.flows(project_id):
                    if flow["folderId"] == folder_id:
                        self._flows[project_id][flow["id"]] = {**flow, "folderId": None}

    # ---- tables ----------------------------------------------------------------------------
    def tables(self, project_id: str) -> list[dict[str, Any]]:
        return list(self._tables.get(project_id, {}).values())

    def table(self, table_id: str) -> dict[str, Any] | None:
        return next((t[table_id] for t in self._tables.values() if table_id in t), None)

    def fields(self, table_id: str) -> list[dict[str, Any]]:
        return list(self._fields.get(table_id, []))

    def put_table(self, project_id: str, state: Mapping[str, Any]) -> dict[str, Any]:
        """Create or update (by ``externalId``) a table and its fields from a table state."""
        tables = self._tables.setdefault(project_id, {})
        found = next((t for t in tables.values() if t["externalId"] == state["externalId"]), None)
        now = now_iso()
        if found is None:
            table_id = self.state.ids.new_id()
            found = {"id": table_id, "created": now, "folderId": None, "projectId": project_id}
        table = {
            **found,
            "updated": now,
            "name": state["name"],
            "externalId": state["externalId"],
            "status": state.get("status"),
            "trigger": state.get("trigger"),
        }
        tables[table["id"]] = table
        self._put_fields(project_id, table["id"], state.get("fields") or [])
        return table

    def _put_fields(self, project_id: str, table_id: str, wanted: list[dict[str, Any]]) -> None:
        """Fields matched by ``externalId``: updated, created; the others deleted."""
        old = {f["externalId"]: f for f in self._fields.get(table_id, [])}
        now = now_iso()
        rows: list[dict[str, Any]] = []
        for spec in wanted:
            base = old.get(spec["externalId"]) or {
                "id": self.state.ids.new_id(),
                "created": now,
                "tableId": table_id,
                "projectId": project_id,
                "externalId": spec["externalId"],
            }
            row = {**base, "updated": now, "name": spec["name"], "type": spec["type"]}
            row.pop("data", None)
            if spec["type"] == "STATIC_DROPDOWN":
                if not spec.get("data"):
                    raise ValueError("Data is required for static dropdown field")
                row["data"] = json_copy(spec["data"])
            rows.append(row)
        self._fields[table_id] = rows

    def delete_table(self, project_id: str, external_id: str) -> None:
        tables = self._tables.get(project_id, {})
        for table_id, table in list(tables.items()):
            if table["externalId"] == external_id:
                del tables[table_id]
                self._fields.pop(table_id, None)

    def table_state(self, table: Mapping[str, Any]) -> dict[str, Any]:
        """``getTableState``: ``data`` only on dropdown fields (``undefined`` otherwise)."""
        return {
            "id": table["id"],
            "externalId": table["externalId"],
            "name": table["name"],
            "fields": [
                {
                    "name": f["name"],
                    "type": f["type"],
                    "externalId": f["externalId"],
                    "data": f.get("data") if f["type"] == "STATIC_DROPDOWN" else None,
                }
                for f in self.fields(table["id"])
            ],
            "status": table.get("status"),
            "trigger": table.get("trigger"),
        }

    # ---- connections -------------------------------------------------------------------------
    def project_connections(self, platform_id: str) -> list[dict[str, Any]]:
        """PROJECT-scope rows of a platform (live list)."""
        return self._connections.setdefault(platform_id, [])

    def connections_of(self, platform_id: str, project_id: str) -> list[dict[str, Any]]:
        """Every connection row whose ``projectIds`` holds the project, either scope."""
        rows = [*self.project_connections(platform_id), *self.state.connections_of(platform_id)]
        return [r for r in rows if project_id in r.get("projectIds", [])]

    def add_connection(
        self,
        platform_id: str,
        project_id: str,
        external_id: str,
        piece_name: str,
        display_name: str,
        *,
        status: str = "MISSING",
    ) -> dict[str, Any]:
        """A PROJECT-scope row; replace's placeholders are ``NO_AUTH``/``MISSING``."""
        now = now_iso()
        row = {
            "id": self.state.ids.new_id(),
            "created": now,
            "updated": now,
            "externalId": external_id,
            "displayName": display_name,
            "type": "NO_AUTH",
            "pieceName": piece_name,
            "pieceVersion": "0.0.0",
            "projectIds": [project_id],
            "platformId": platform_id,
            "scope": "PROJECT",
            "status": status,
            "ownerId": None,
            "metadata": None,
            "flowIds": None,
            "preSelectForNewProjects": False,
            "usingSecretManager": False,
        }
        self.project_connections(platform_id).append(row)
        return row

    # ---- pieces ------------------------------------------------------------------------------
    def installed(self, platform_id: str) -> dict[str, list[str]]:
        return self._pieces.setdefault(platform_id, {})

    def find_piece(self, platform_id: str, name: str, version: str) -> str | None:
        """``pieceMetadataService.get``: the newest installed version in the range the request
        names (``^`` = same major, ``~`` = same minor, else exactly that version)."""
        return _newest_in_range(version, tuple(self.installed(platform_id).get(name, ())))

    def install_piece(self, platform_id: str, name: str, version: str) -> None:
        """Install from the registry; ValueError for a piece a test declared uninstallable."""
        if name in self.uninstallable_pieces or f"{name}@{version}" in self.uninstallable_pieces:
            raise ValueError(f"Failed to install {name}@{version}: not found in the registry")
        versions = self.installed(platform_id).setdefault(name, [])
        if exact_version(version) not in versions:
            versions.append(exact_version(version))

    # ---- forgetting --------------------------------------------------------------------------
    def forget_project(self, project_id: str, platform_id: str | None = None) -> None:
        """``HARD_DELETE_PROJECT``: a deleted project's flows, tables (and fields) and folders
        go with it, and so do the PROJECT-scope connections that name it (global ones stay):
        platform-project-jobs.ts @ 200a4fc667f9595f8734a3ab3225c742974b8ab1."""
        self._flows.pop(project_id, None)
        self._folders.pop(project_id, None)
        for table_id in self._tables.pop(project_id, {}):
            self._fields.pop(table_id, None)
        platforms = [platform_id] if platform_id is not None else list(self._connections)
        for pid in platforms:
            rows = self._connections.get(pid)
            if rows:
                rows[:] = [r for r in rows if project_id not in r.get("projectIds", [])]


@functools.lru_cache(maxsize=4096)  # every replace asks this for each required piece, twice
def _newest_in_range(version: str, installed: tuple[str, ...]) -> str | None:
    """`ContentsStore.find_piece` on the installed versions of one piece."""
    wanted = parse_semver(exact_version(version))
    if wanted is None:
        return None
    major, minor, patch, _ = wanted
    if version.startswith("^"):
        upper = (major + 1, 0, 0, "") if major else (0, minor + 1, 0, "")
    elif version.startswith("~"):
        upper = (major, minor + 1, 0, "")
    else:
        upper = (major, minor, patch + 1, "")
    candidates = [parse_semver(v) for v in installed]
    inside = [
        c
        for c in candidates
        if c is not None and not version_lt(c, wanted) and version_lt(c, upper)
    ]
    if not inside:
        return None
    best = max(inside, key=_semver_key)
    return f"{best[0]}.{best[1]}.{best[2]}" + (f"-{best[3]}" if best[3] else "")


def _keep_auth(trigger: Any, old_trigger: Any) -> None:
    """``updateFlowInProject``: a step keeps the ``input.auth`` of the old step of that name."""
    old = {step.get("name"): step for step in all_steps(old_trigger)}
    for step in all_steps(trigger):
        before = old.get(step.get("name"))
        settings = step.get("settings")
        old_auth = (((before or {}).get("settings") or {}).get("input") or {}).get("auth")
        if old_auth and isinstance(settings, dict) and isinstance(settings.get("input"), dict):
            settings["input"]["auth"] = old_auth


def with_content_options(
    fixtures: Mapping[str, Any] | None,
    *,
    environments: bool = False,
    global_connections: bool = False,
) -> Mapping[str, Any] | None:
    """The fixtures with ``environments_enabled`` / ``global_connections_enabled`` on their
    first platform (kept in the fixtures so that they survive ``reset``); unchanged when
    neither is asked."""
    if not environments and not global_connections:
        return fixtures
    data = dict(fixtures or {})
    platforms = [dict(p) for p in data.get("platforms") or [{}]]
    if environments:
        platforms[0]["environments_enabled"] = True
    if global_connections:
        platforms[0]["global_connections_enabled"] = True
    return {**data, "platforms": platforms}


def rendered_connection(row: Mapping[str, Any]) -> dict[str, Any]:
    """A connection row as ``AppConnectionWithoutSensitiveData`` (global rows made by
    `EmulatorState.add_global_connection` lack some fields: an active ``SECRET_TEXT``)."""
    defaults: dict[str, Any] = {
        "type": "SECRET_TEXT",
        "status": "ACTIVE",
        "ownerId": None,
        "owner": None,
        "metadata": None,
        "flowIds": None,
        "pieceVersion": "0.0.0",
        "preSelectForNewProjects": False,
        "usingSecretManager": False,
    }
    return json_copy({**defaults, **row})
