"""The projects routes' authorization and business rules, applied to an :class:`EmulatorState`.

Each method runs entirely under the state lock (one "transaction"), so a rule failure leaves
nothing half-written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from activepieces_core._json import dumps

from ._ids import now_iso
from .pagination import Key, paginate
from .plan_limits import check_team_project_create
from .records import Platform, ProjectRecord
from .responses import ApplicationError, FastifyError, not_found, service_forbidden
from .state import EmulatorState


@dataclass(frozen=True)
class ProjectRecordsPage:
    """A ``SeekPage`` of stored project records, serialised from their cached JSON."""

    records: list[ProjectRecord]
    next: str | None
    previous: str | None

    def to_json(self) -> bytes:
        data = b",".join(r.json for r in self.records)
        tail = dumps({"next": self.next, "previous": self.previous})
        return b'{"data":[' + data + b"]," + tail[1:]


class _NoMatch(Exception):
    """The filters can match nothing (e.g. an unknown ``externalUserId``)."""


def project_for(state: EmulatorState, platform: Platform, project_id: str) -> ProjectRecord:
    """Project-scoped access for a SERVICE principal (every route that names a project):
    unknown or deleted -> 404, another platform's -> 403."""
    record = state.record(project_id)
    if record is None or record.deleted is not None:
        raise not_found(project_id)
    if record.public["platformId"] != platform.id:
        raise service_forbidden(project_id, platform.id)
    return record


class ProjectsService:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    # ---- routes ------------------------------------------------------------------------------
    def get(self, platform: Platform, project_id: str) -> dict[str, Any]:
        with self.state.lock:
            return project_for(self.state, platform, project_id).as_get()

    def list_page(self, platform: Platform, query: dict[str, Any]) -> ProjectRecordsPage:
        with self.state.lock:
            try:
                accept = self._filter(platform, query)
            except _NoMatch:
                return ProjectRecordsPage([], None, None)
            ext = query.get("externalId")
            keys: list[Key]
            if ext is not None:
                ids = self.state.live_ids_by_external(ext, platform.id)
                keys = sorted(r.key for r in map(self.state.record, ids) if r is not None)
            else:
                keys = self.state.order(platform.id)
            page = paginate(
                keys,
                limit=query.get("limit"),
                cursor=query.get("cursor"),
                accept=accept,
            )
            records = [self.state.record(key[2]) for key in page.keys]
            return ProjectRecordsPage(
                [r for r in records if r is not None], page.next, page.previous
            )

    def _filter(self, platform: Platform, query: dict[str, Any]) -> Callable[[Key], bool] | None:
        """The list filters other than ``externalId`` (which uses its index)."""
        checks: list[Callable[[Key], bool]] = []
        types = query.get("types")
        if types:
            wanted = frozenset(types)
            checks.append(lambda key: key[0] in wanted)
        name = query.get("displayName")
        if name is not None:
            pattern = _ilike(name)
            checks.append(lambda key: pattern.fullmatch(key[1]) is not None)
        user_ext = query.get("externalUserId")
        if user_ext is not None:
            user = next((u for u in platform.users if u.external_id == user_ext), None)
            if user is None:
                raise _NoMatch
            uid = user.id
            checks.append(lambda key: key[0] == "PERSONAL" and self._owner(key) == uid)
        if not checks:
            return None
        return lambda key: all(check(key) for check in checks)

    def _owner(self, key: Key) -> str:
        record = self.state.record(key[2])
        return record.public["ownerId"] if record else ""

    def create(self, platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            check_team_project_create(
                platform.team_projects_limit, self.state.count_live(platform.id, "TEAM")
            )
            ext = body.get("externalId")
            if ext is not None and self.state.live_ids_by_external(ext, platform.id):
                raise self._duplicate(ext)
            fields = {
                "externalId": ext,
                "metadata": body.get("metadata"),
                "maxConcurrentJobs": body.get("maxConcurrentJobs"),
            }
            project = self.state.new_project(
                platform, body["displayName"], type="TEAM", fields=fields
            )
            self.state.insert(project)
            if platform.global_connections_enabled and body.get("globalConnectionExternalIds"):
                self._attach(platform, project["id"], body["globalConnectionExternalIds"])
            if body.get("alertReceiverEmail"):
                self.state.alert_receivers[project["id"]] = body["alertReceiverEmail"]
            return project

    def _duplicate(self, external_id: str) -> Exception:
        if self.state.duplicate_external_id_status == 409:
            return ApplicationError(
                "PROJECT_EXTERNAL_ID_ALREADY_EXISTS", {"externalId": external_id}
            )
        # Upstream has no pre-check: the DB unique index fails and Fastify renders a 500.
        return FastifyError(
            500,
            "23505",
            'duplicate key value violates unique constraint "idx_project_platform_id_external_id"',
        )

    def update(self, platform: Platform, project_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            record = project_for(self.state, platform, project_id)
            current = record.public
            now = now_iso()
            changes: dict[str, Any] = {"updated": now}
            ext = body.get("externalId")
            if ext is not None and ext.strip():
                # Upstream's pre-check has no platform filter: it is global.
                others = self.state.live_ids_by_external(ext) - {project_id}
                if others:
                    raise ApplicationError(
                        "PROJECT_EXTERNAL_ID_ALREADY_EXISTS", {"externalId": ext}
                    )
                changes["externalId"] = ext
            for name in ("releasesEnabled", "metadata", "notifyFlowOwnerOnFailure", "sensitive"):
                if name in body:
                    changes[name] = body[name]
            for name in ("maxConcurrentJobs", "executionDataRetentionDays"):
                if body.get(name) is not None:  # spreadIfDefined: null does not clear
                    changes[name] = body[name]
            if "workerGroupId" in body and platform.worker_groups_enabled:
                changes["workerGroupId"] = body["workerGroupId"]
            if current["type"] == "TEAM":
                if "displayName" in body:
                    changes["displayName"] = body["displayName"]
                if "icon" in body:
                    changes["icon"] = {"color": body["icon"]["color"]}
            if "globalConnectionExternalIds" in body and platform.global_connections_enabled:
                self._sync_connections(platform, project_id, body["globalConnectionExternalIds"])
            plan = body.get("plan")
            if plan is not None and platform.team_projects_limit != 0:  # billed limit 0 = NONE
                changes["plan"] = self._merge_plan(platform, current["plan"], plan, now)
            return self.state.replace(project_id, changes)

    @staticmethod
    def _merge_plan(
        platform: Platform, current: dict[str, Any], plan: dict[str, Any], now: str
    ) -> dict[str, Any]:
        merged = {**current, "updated": now}
        if not platform.ignore_plan_pieces:
            if "pieces" in plan:
                merged["pieces"] = list(plan["pieces"])
            if "piecesFilterType" in plan:
                merged["piecesFilterType"] = plan["piecesFilterType"]
        if "activeFlowsLimit" in plan:
            merged["activeFlowsLimit"] = plan["activeFlowsLimit"]
        return merged

    def delete(self, platform: Platform, project_id: str) -> None:
        with self.state.lock:
            record = self.state.record(project_id)
            if (
                record is None
                or record.deleted is not None
                or record.public["platformId"] != platform.id
            ):
                raise not_found(project_id)
            if record.public["type"] == "PERSONAL":
                raise ApplicationError(
                    "VALIDATION", {"message": "Personal projects cannot be deleted"}
                )
            self.state.soft_delete(project_id)

    # ---- global connections ------------------------------------------------------------------
    def _attach(self, platform: Platform, project_id: str, external_ids: list[str]) -> None:
        wanted = set(external_ids)
        for connection in self.state.connections_of(platform.id):
            if connection["externalId"] in wanted and project_id not in connection["projectIds"]:
                connection["projectIds"] = [*connection["projectIds"], project_id]

    def _sync_connections(
        self, platform: Platform, project_id: str, external_ids: list[str]
    ) -> None:
        wanted = set(external_ids)
        for connection in self.state.connections_of(platform.id):
            has = project_id in connection["projectIds"]
            if connection["externalId"] in wanted and not has:
                connection["projectIds"] = [*connection["projectIds"], project_id]
            elif connection["externalId"] not in wanted and has:
                connection["projectIds"] = [p for p in connection["projectIds"] if p != project_id]


def _ilike(value: str) -> re.Pattern[str]:
    """``ILIKE '%value%'`` with ``%``/``_`` acting as wildcards (upstream does not escape them)."""
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in value]
    return re.compile(".*" + "".join(parts) + ".*", re.IGNORECASE | re.DOTALL)
