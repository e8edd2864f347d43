"""The contents routes: ``GET /v1/flows|folders|tables?projectId=``, ``GET /v1/fields?tableId=``,
``GET /v1/app-connections?projectId=[&scope=]``, ``GET /v1/flags`` and
``POST /v1/projects/:projectId/replace``.

Lifecycle as the other families: 400 schema -> 401/403 authentication -> project access
(403 another platform's, 404 unknown) -> the replace module's 402 gate (``environmentsEnabled``,
``project-replace.module.ts`` @ ``d81c3f91``) -> rules. A replace takes the project's lock
(409 while another runs), then spends the route's latency and ``replace_seconds`` holding it:
see `HeldReplace`. Sources: ``docs/upstream-contents.md``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .contents import ContentsStore, rendered_connection
from .contents_replace import RETRY_AFTER, ProjectReplace, validate_replace
from .pagination import decode_cursor, effective_limit, encode_cursor
from .platform_view import platform_view
from .records import Platform
from .responses import ApplicationError, FastifyError, feature_disabled
from .routes import CONTENT_ROUTES, Request, without_trailing_slash
from .service import project_for
from .state import EmulatorState
from .validation import Issues, ap_id, coerce_number, enum

PREFIX = "/api/v1/"
DEFAULT_LIMIT = 10  # the flows/folders/tables/app-connections controllers' `limit ?? 10`
_LISTS = {
    "flows": "flows.list",
    "folders": "folders.list",
    "tables": "tables.list",
    "fields": "fields.list",
    "app-connections": "app_connections.list",
    "flags": "flags.get",
}
SCOPES = ("PROJECT", "PLATFORM")
Sleep = Callable[[float], Awaitable[None]]


def match_contents_route(method: str, path: str) -> tuple[str | None, tuple[str, ...]]:
    """(route, path params); (None, ()) when the path is not a contents route."""
    path = without_trailing_slash(path)
    if not path.startswith(PREFIX):
        return None, ()
    parts = [unquote(p) for p in path[len(PREFIX) :].split("/")]
    if len(parts) == 1 and method == "GET" and parts[0] in _LISTS:
        return _LISTS[parts[0]], ()
    if len(parts) == 2 and parts[0] == "platforms" and parts[1] and method == "GET":
        return "platforms.get", (parts[1],)
    if len(parts) == 3 and parts[0] == "projects" and parts[2] == "replace" and parts[1]:
        return ("projects.replace", (parts[1],)) if method == "POST" else (None, ())
    return None, ()


@dataclass
class HeldReplace:
    """A replace that holds its project's lock until `release`d.

    By default `run` waits out the emulated work (the route's latency and ``replace_seconds``),
    then `apply`s it, then releases the project (also when cancelled). A server answering
    latency after arrival (`FaultPlan.latency_from_arrival`) `apply`s at once and keeps the lock
    for the rest of the time: upstream's replace writes while it holds the lock and releases it
    in a ``finally`` once done, before the reply leaves, and no read takes that lock, so a
    concurrent read may see the new contents while a second replace still gets 409
    (``project-replace.service.ts`` @ 03c3239ede00278eaee947155e335c0cae1f8564)."""

    routes: ContentsRoutes
    platform: Platform
    project_id: str
    body: dict[str, Any]

    @property
    def work_seconds(self) -> float:
        """The emulated work's own time (``contents.replace_seconds``), beside the latency."""
        return self.routes.store.replace_seconds

    def apply(self) -> tuple[int, Any]:
        """The replace itself, under the state lock: (status, body)."""
        with self.routes.state.lock:
            outcome = ProjectReplace(self.routes.store, self.platform, self.project_id, self.body)
            result = outcome.run()
        return result.status, result.body

    def release(self) -> None:
        """Let the next replace of the project in."""
        with self.routes.state.lock:
            self.routes.store.replacing.release(self.project_id)

    async def run(self, delay: float, sleep: Sleep = asyncio.sleep) -> tuple[int, Any]:
        """Wait ``delay`` and the work's time holding the lock, apply, release."""
        try:
            wait = delay + self.work_seconds
            if wait > 0:
                await sleep(wait)
            return self.apply()
        finally:
            self.release()


class ContentsRoutes:
    """Routing, validation and rules of the contents routes (used by ``EmulatorApp``)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    @property
    def store(self) -> ContentsStore:
        return self.state.contents

    def handle(self, request: Request) -> tuple[int, Any]:
        """The answer, or ``(0, HeldReplace)`` for a replace that got its project's lock."""
        route = request.route
        if route == "flags.get":  # every principal, even none (flag.module.ts)
            return 200, self._flags()
        if route == "projects.replace":
            return self._replace(request)
        if route == "platforms.get":
            return 200, platform_view(request.authenticate(), request.params[0])
        query = _validate_query(route, request.query_pairs())
        platform = request.authenticate()
        with self.state.lock:
            if route == "fields.list":
                return 200, self._fields(platform, query["tableId"])
            project_for(self.state, platform, query["projectId"])
            rows = self._rows(route, platform, query)
            return 200, _page(rows, query.get("limit"), query.get("cursor"))

    # ---- reads -------------------------------------------------------------------------------
    def _flags(self) -> dict[str, Any]:
        return {
            "CURRENT_VERSION": self.store.ap_version,
            "LATEST_VERSION": self.store.ap_version,
            "EDITION": "ee",
            "ENVIRONMENT": "prod",
        }

    def _rows(self, route: str, platform: Platform, query: dict[str, Any]) -> list[dict[str, Any]]:
        project_id = query["projectId"]
        store = self.store
        if route == "flows.list":
            return store.flows(project_id)
        if route == "folders.list":
            return store.folders(project_id)
        if route == "tables.list":
            return store.tables(project_id)
        rows = store.connections_of(platform.id, project_id)
        scope = query.get("scope")
        return [rendered_connection(r) for r in rows if scope is None or r["scope"] == scope]

    def _fields(self, platform: Platform, table_id: str) -> list[dict[str, Any]]:
        table = self.store.table(table_id)
        if table is None:
            raise ApplicationError(
                "ENTITY_NOT_FOUND", {"entityType": "table", "entityId": table_id}
            )
        project_for(self.state, platform, table["projectId"])  # another platform's: 403
        return self.store.fields(table_id)

    # ---- replace -----------------------------------------------------------------------------
    def _replace(self, request: Request) -> tuple[int, Any]:
        project_id = request.params[0]
        issues = Issues("params")
        issues.check("/projectId", project_id, ap_id)
        issues.raise_if_any()
        body = validate_replace(request.body())
        platform = request.authenticate()
        with self.state.lock:
            project_for(self.state, platform, project_id)
            if not platform.environments_enabled:
                raise feature_disabled()
            if not self.store.replacing.try_acquire(project_id):
                return 409, {"error": "REPLACE_IN_PROGRESS", "retryAfter": RETRY_AFTER}
        return 0, HeldReplace(self, platform, project_id, body)


def _validate_query(route: str, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The list query (first occurrence wins): ``projectId`` (``tableId`` for fields)
    required, ``limit`` coerced, ``cursor``, ``scope`` for app connections."""
    issues = Issues("querystring")
    seen = dict(reversed(pairs))
    required = "tableId" if route == "fields.list" else "projectId"
    out: dict[str, Any] = {}
    if required not in seen:
        issues.add(f"/{required}", "Invalid input: expected string, received undefined")
    else:
        out[required] = seen[required]
    if route != "fields.list":
        if "cursor" in seen:
            out["cursor"] = seen["cursor"]
        if "limit" in seen:
            out["limit"] = coerce_number(seen["limit"], issues)
    scope = seen.get("scope") if route == "app_connections.list" else None
    if scope is not None and issues.check("/scope", scope, enum(SCOPES)):
        out["scope"] = scope
    issues.raise_if_any()
    return out


def _page(rows: list[dict[str, Any]], limit: int | None, cursor: str | None) -> dict[str, Any]:
    """A ``SeekPage`` over ``(created, id)`` ascending; the cursor names the boundary row."""
    size = effective_limit(limit, DEFAULT_LIMIT)
    ordered = sorted(rows, key=lambda r: (r["created"], r["id"]))
    parsed = decode_cursor(cursor)
    mark: tuple[str, str] | None = None
    if parsed is not None:
        try:
            created, row_id = json.loads(parsed.payload)
            mark = (str(created), str(row_id))
        except (ValueError, TypeError):
            raise FastifyError(500, "Error", "invalid cursor") from None
    after = parsed is None or parsed.after
    if mark is None:
        window = ordered
    elif after:
        window = [r for r in ordered if (r["created"], r["id"]) > mark]
    else:
        window = [r for r in ordered if (r["created"], r["id"]) < mark]
    if size is None:
        return {"data": window, "next": None, "previous": None}
    if after:
        data, more_after, more_before = window[:size], len(window) > size, mark is not None
    else:
        data, more_before, more_after = window[-size:], len(window) > size, True
    nxt = _cursor(True, data[-1]) if data and more_after else None
    prev = _cursor(False, data[0]) if data and more_before else None
    return {"data": data, "next": nxt, "previous": prev}


def _cursor(after: bool, row: dict[str, Any]) -> str:
    return encode_cursor(after, json.dumps([row["created"], row["id"]]))


__all__ = ["CONTENT_ROUTES", "ContentsRoutes", "HeldReplace", "match_contents_route"]
