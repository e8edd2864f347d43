"""The piece-set routes (``/api/v1/piece-sets``): matching, request schemas, paging, rules.

Read from upstream ``activepieces/activepieces`` (see ``docs/piece-sets.md`` for the full table):

- Routes, security, request DTOs: ``packages/server/api/src/app/ee/pieces/piece-set/
  piece-set.controller.ts`` @ ``2d4d0c7a``, ``packages/core/shared/src/lib/ee/piece-set/
  index.ts`` @ ``ba712fca`` (``key`` era) and @ ``1d5f82a1`` (``externalId`` era).
- Feature gate: ``piece-set.module.ts`` @ ``098b2e9d`` (a ``preHandler`` after authentication:
  402 FEATURE_DISABLED when ``platform.plan.managePiecesEnabled`` is off; schema validation
  runs before it, as for every Fastify route).
- ``GET /v1/piece-sets/projects/:projectId`` (the set a project resolves to, Default when it
  has none): the server's integration test ``required-actions`` @ newest (2026).
- Assigning a project of another platform is refused with 403: the server's ``piece-set``
  integration test (2026); unknown project ids are silently skipped (service ``dffc874a``).

The store and its rules are `.piece_sets`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote

from .pagination import decode_cursor, encode_cursor
from .piece_sets import MODES, REQUIRED_MODES, PieceSetStore, SortKey, action_visible, apply_update
from .records import Platform
from .responses import (
    ApplicationError,
    FastifyError,
    feature_disabled,
    not_found,
    service_forbidden,
)
from .routes import Request, without_trailing_slash
from .service import project_for
from .state import EmulatorState
from .validation import MISSING, Issues, ap_id, enum, invalid_type, nullable, string

PREFIX = "/api/v1/piece-sets"
#: Emulator-only (not part of the API): which pieces a project sees. Never faulted or logged.
VISIBILITY_PATH = re.compile(r"^/__emulator/projects/([^/]+)/visible-pieces/?$")
VISIBILITY_ROUTE = "__visible_pieces"

REQUIRED_MESSAGE = "Required"  # formErrors.required (text not read; the status is what counts)
LIST_DEFAULT_LIMIT = 10
LIST_MAX_LIMIT = 100


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


# ---- request validation (zod DTOs) -------------------------------------------------------------


def _name(value: Any, path: str, issues: Issues) -> None:
    if issues.check(path, value, string) and not value:
        issues.add(path, REQUIRED_MESSAGE)


def _string_list(value: Any, path: str, issues: Issues) -> None:
    if not isinstance(value, list):
        issues.add(path, invalid_type("array", value))
        return
    for index, item in enumerate(value):
        issues.check(f"{path}/{index}", item, string)


def _record(value: Any, path: str, issues: Issues) -> bool:
    if not isinstance(value, dict):
        issues.add(path, invalid_type("record", value))
        return False
    return True


def _pieces(value: Any, path: str, issues: Issues) -> dict[str, Any] | None:
    """``PieceSelection``: mode defaults to include_all, exceptions to []."""
    if not issues.expect_object(path, value):
        return None
    before = len(issues.items)
    mode = value.get("mode", "include_all")
    issues.check(f"{path}/mode", mode, enum(MODES))
    exceptions = value.get("exceptions", [])
    _string_list(exceptions, f"{path}/exceptions", issues)
    return {"mode": mode, "exceptions": exceptions} if len(issues.items) == before else None


def _selections(value: Any, path: str, issues: Issues) -> dict[str, Any] | None:
    """``record<string, {mode: 'all'} | {mode: 'selected', selected: string[]}>``."""
    if not _record(value, path, issues):
        return None
    before = len(issues.items)
    out: dict[str, Any] = {}
    for piece, selection in value.items():
        where = f"{path}/{piece}"
        if not issues.expect_object(where, selection):
            continue
        mode = selection.get("mode", MISSING)
        if mode == "all":
            out[piece] = {"mode": "all"}
        elif mode == "selected":
            _string_list(selection.get("selected", MISSING), f"{where}/selected", issues)
            out[piece] = {"mode": "selected", "selected": selection.get("selected")}
        else:
            issues.add(f"{where}/mode", 'Invalid input: expected "all" | "selected"')
    return out if len(issues.items) == before else None


def _required_actions(value: Any, path: str, issues: Issues) -> dict[str, Any] | None:
    if not issues.expect_object(path, value):
        return None
    before = len(issues.items)
    out: dict[str, Any] = {}
    if "mode" in value:
        issues.check(f"{path}/mode", value["mode"], enum(REQUIRED_MODES))
        out["mode"] = value["mode"]
    if "actions" in value and _record(value["actions"], f"{path}/actions", issues):
        for piece, names in value["actions"].items():
            _string_list(names, f"{path}/actions/{piece}", issues)
        out["actions"] = value["actions"]
    return out if len(issues.items) == before else None


class PieceSetRoutes:
    """Routing, validation and rules of ``/api/v1/piece-sets`` (used by ``EmulatorApp``)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    @property
    def store(self) -> PieceSetStore:
        return self.state.piece_sets

    # ---- routing -----------------------------------------------------------------------------
    @staticmethod
    def match(method: str, path: str) -> tuple[str | None, tuple[str, ...]]:
        """(route, path params); route None = not a piece-set route (``ignoreTrailingSlash``)."""
        oracle = VISIBILITY_PATH.match(path)
        if oracle is not None and method == "GET":
            return VISIBILITY_ROUTE, (unquote(oracle.group(1)),)
        path = without_trailing_slash(path)
        if path == PREFIX:
            return {"GET": "piece_sets.list", "POST": "piece_sets.create"}.get(method), ()
        if not path.startswith(PREFIX + "/"):
            return None, ()
        parts = [unquote(p) for p in path[len(PREFIX) + 1 :].split("/")]
        if any(not p for p in parts):
            return None, ()
        route: str | None = None
        if len(parts) == 1:
            route = {
                "GET": "piece_sets.get",
                "POST": "piece_sets.update",
                "DELETE": "piece_sets.delete",
            }.get(method)
        elif len(parts) == 2 and parts[0] == "projects" and method == "GET":
            return "piece_sets.for_project", (parts[1],)  # static segment wins over /:id
        elif len(parts) == 2 and parts[1] == "duplicate" and method == "POST":
            route = "piece_sets.duplicate"
        elif len(parts) == 2 and parts[1] == "projects" and method == "POST":
            route = "piece_sets.assign"
        elif len(parts) == 3 and parts[1] == "projects" and method == "DELETE":
            return "piece_sets.unassign", (parts[0], parts[2])
        return route, (parts[0],) if route else ()

    # ---- lifecycle: validation 400 -> authentication -> feature gate 402 -> rules -----------
    def handle(self, request: Request) -> tuple[int, Any]:
        """Validate, authenticate, check the feature gate, then apply the route's rules."""
        route, params = request.route, request.params
        if route == VISIBILITY_ROUTE:
            return self._visibility(params[0], request.authenticate())
        query: dict[str, Any] = {}
        payload: dict[str, Any] = {}
        if route == "piece_sets.list":
            query = self._validate_list(request.query_pairs())
        elif route in ("piece_sets.create", "piece_sets.update", "piece_sets.duplicate"):
            payload = self._validate_body(route, request.body())
        elif route == "piece_sets.assign":
            payload = self._validate_assign(request.body())
        platform = request.authenticate()
        if not platform.manage_pieces_enabled:
            raise feature_disabled()
        with self.state.lock:
            return self._dispatch(route, params, platform, query, payload)

    def _validate_list(self, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """``cursor`` optional; ``limit`` ``z.coerce.number().int().min(1).max(100)``, default 10."""
        issues = Issues("querystring")
        out: dict[str, Any] = {"limit": LIST_DEFAULT_LIMIT}
        seen = dict(reversed(pairs))  # first occurrence wins, like the projects query
        if "cursor" in seen:
            out["cursor"] = seen["cursor"]
        if "limit" in seen:
            text = seen["limit"].strip()
            try:
                value = float(text) if text else 0.0
            except ValueError:
                value = float("nan")
            if value != value:
                issues.add("/limit", "Invalid input: expected number, received NaN")
            elif not value.is_integer():
                issues.add("/limit", "Invalid input: expected int, received number")
            elif value < 1:
                issues.add("/limit", "Too small: expected number to be >=1")
            elif value > LIST_MAX_LIMIT:
                issues.add("/limit", f"Too big: expected number to be <={LIST_MAX_LIMIT}")
            else:
                out["limit"] = int(value)
        issues.raise_if_any()
        return out

    def _validate_body(self, route: str, body: Any) -> dict[str, Any]:
        issues = Issues("body")
        out: dict[str, Any] = {}
        key_field = "key" if self.store.schema == "key" else "externalId"
        if not issues.expect_object("", body):
            issues.raise_if_any()
        if route in ("piece_sets.create", "piece_sets.duplicate") or "name" in body:
            _name(body.get("name", MISSING), "/name", issues)
            out["name"] = body.get("name")
        # create: ``z.string().optional()`` (null refused); update: nullable.
        creating = route == "piece_sets.create" and key_field in body
        if creating and issues.check(f"/{key_field}", body[key_field], string):
            out["key"] = body[key_field]
        if route == "piece_sets.update":
            if key_field in body and issues.check(
                f"/{key_field}", body[key_field], nullable(string)
            ):
                out["key"] = body[key_field]
            if "pieces" in body:
                out["pieces"] = _pieces(body["pieces"], "/pieces", issues)
            for field in ("actions", "triggers"):
                if field in body:
                    out[field] = _selections(body[field], f"/{field}", issues)
            if "requiredActions" in body and self.store.schema == "key":
                out["requiredActions"] = _required_actions(
                    body["requiredActions"], "/requiredActions", issues
                )
        issues.raise_if_any()
        return out

    @staticmethod
    def _validate_assign(body: Any) -> dict[str, Any]:
        """``{projectIds: ApId[] (min 1)}``."""
        issues = Issues("body")
        if issues.expect_object("", body):
            ids = body.get("projectIds", MISSING)
            if not isinstance(ids, list):
                issues.add("/projectIds", invalid_type("array", ids))
            elif not ids:
                issues.add("/projectIds", REQUIRED_MESSAGE)
            else:
                for index, item in enumerate(ids):
                    issues.check(f"/projectIds/{index}", item, ap_id)
        issues.raise_if_any()
        return {"projectIds": body["projectIds"]}

    # ---- rules -------------------------------------------------------------------------------
    def _get_one(self, platform: Platform, set_id: str) -> dict[str, Any]:
        record = self.store.record(set_id, platform.id)
        if record is None:
            raise ApplicationError(
                "ENTITY_NOT_FOUND", {"entityType": "PieceSet", "entityId": set_id}
            )
        return record

    def _dispatch(
        self,
        route: str,
        params: tuple[str, ...],
        platform: Platform,
        query: dict[str, Any],
        body: dict[str, Any],
    ) -> tuple[int, Any]:
        store = self.store
        if route == "piece_sets.list":
            return 200, self._list(platform, query["limit"], query.get("cursor"))
        if route == "piece_sets.create":
            return 201, store.render(store.create(platform, body["name"], body.get("key")))
        if route == "piece_sets.for_project":
            return 200, store.render(self._for_project(platform, params[0]))
        record = self._get_one(platform, params[0])
        if route == "piece_sets.get":
            return 200, store.render(record)
        if route == "piece_sets.update":
            self._check_required_actions(record, body)
            return 200, store.render(store.update(record, body))
        if route == "piece_sets.delete":
            if record["isDefault"]:
                raise ApplicationError(
                    "VALIDATION", {"message": "Cannot delete the default piece set"}
                )
            store.delete(platform, record)
            return 204, None
        if route == "piece_sets.duplicate":
            clone = store.create(platform, body["name"], None, config=record["config"])
            return 201, store.render(clone)
        if route == "piece_sets.assign":
            self._assign(platform, record, body["projectIds"])
            return 204, None
        # piece_sets.unassign
        if record["isDefault"]:
            raise ApplicationError(
                "VALIDATION", {"message": "Cannot remove project from the default piece set"}
            )
        default_id = store.default_id(platform)
        project = self.state.record(params[1])
        if (
            project is not None
            and project.deleted is None
            and project.public["platformId"] == platform.id
            and project.public["pieceSetId"] == record["id"]
        ):
            self.state.replace(params[1], {"pieceSetId": default_id})
        return 204, None

    def _check_required_actions(self, record: dict[str, Any], body: Mapping[str, Any]) -> None:
        """Requiring an action the updated config hides is a 409 (``findHiddenRequiredActions``)."""
        requested = (body.get("requiredActions") or {}).get("actions") or {}
        if not requested or "requiredActions" not in record["config"]:
            return
        config = apply_update(
            record["config"], {k: v for k, v in body.items() if k != "requiredActions"}
        )
        hidden = {
            piece: [a for a in dict.fromkeys(names) if not action_visible(config, piece, a)]
            for piece, names in requested.items()
        }
        listed = [f"{piece} · {a}" for piece, names in hidden.items() for a in names]
        if listed:
            # `buildExcludedRequiredActionsErrorMessage` (`required-actions-util.ts` @ 06355c72):
            # "<piece> · <action>" per action, pieces in request order, joined with ", ".
            raise ApplicationError(
                "VALIDATION",
                {
                    "message": "Required actions must be included in the piece set: "
                    + ", ".join(listed)
                },
            )

    def _assign(self, platform: Platform, record: dict[str, Any], project_ids: list[str]) -> None:
        live = []
        for project_id in project_ids:
            project = self.state.record(project_id)
            if project is None or project.deleted is not None:
                continue  # the server's UPDATE ... WHERE id IN (...) skips unknown ids
            if project.public["platformId"] != platform.id:
                raise service_forbidden(project_id, platform.id)
            live.append(project_id)
        for project_id in live:
            self.state.replace(project_id, {"pieceSetId": record["id"]})

    def _for_project(self, platform: Platform, project_id: str) -> dict[str, Any]:
        """``getForProject``: the assigned set, or Default (created lazily) when none."""
        project = project_for(self.state, platform, project_id)
        assigned = self.store.record(project.public["pieceSetId"] or "", platform.id)
        return assigned if assigned is not None else self.store.default_set(platform)

    # ---- list --------------------------------------------------------------------------------
    def _list(self, platform: Platform, limit: int, cursor: str | None) -> dict[str, Any]:
        keys = self.store.sort_keys(platform.id)
        if self.store.schema == "externalId":
            return self._list_by_id(keys, limit, cursor)
        after, key = _decode_cursor(cursor)
        if after:
            start = 0 if key is None else bisect_right(keys, key)
            rows = keys[start : start + limit + 1]
        else:
            stop = len(keys) if key is None else bisect_left(keys, key)
            rows = list(reversed(keys[max(0, stop - limit - 1) : stop]))
        has_more = len(rows) > limit
        rows = rows[:limit]
        if not after:
            rows.reverse()
        nxt = prev = None
        if rows:
            # Paginator: next after a "before" request or when more rows exist; previous
            # after an "after" request, or a "before" request with more rows.
            if (cursor and not after) or has_more:
                nxt = _encode_cursor(True, rows[-1])
            if (cursor and after and key is not None) or (has_more and not after):
                prev = _encode_cursor(False, rows[0])
        data = [self.store.get(k[1]) for k in rows]
        return {"data": data, "next": nxt, "previous": prev}

    def _list_by_id(self, keys: list[SortKey], limit: int, cursor: str | None) -> dict[str, Any]:
        """``externalId`` era: ``(created, id) > (row of the cursor id)``; unknown id = nothing."""
        start = 0
        if cursor:
            record = self.store.record(cursor)
            start = (
                len(keys)
                if record is None
                else bisect_right(keys, (record["created"], record["id"]))
            )
        rows = keys[start : start + limit + 1]
        has_more = len(rows) > limit
        rows = rows[:limit]
        data = [self.store.get(k[1]) for k in rows]
        return {
            "data": data,
            "next": rows[-1][1] if has_more else None,
            "previous": (rows[0][1] if rows else None) if cursor else None,
        }

    # ---- emulator-only -------------------------------------------------------------------------
    def _visibility(self, project_id: str, platform: Platform) -> tuple[int, Any]:
        project = self.state.record(project_id)
        if project is None or project.public["platformId"] != platform.id:
            raise not_found(project_id)
        return 200, self.store.visibility(project_id)


# ---- paginator cursors (newest): the payload is "created:<ms>,id:<id>" ----------------------------


def _encode_cursor(after: bool, key: SortKey) -> str:
    return encode_cursor(after, f"created:{_epoch_ms(key[0])},id:{quote(key[1], safe='')}")


def _decode_cursor(raw: str | None) -> tuple[bool, SortKey | None]:
    """(after?, boundary); no cursor or no ``_`` in it = the first page. A cursor whose inner
    part is not ``created:<ms>[,id:<id>]`` fails like the server's ``decodeByType`` (500)."""
    cursor = decode_cursor(raw)
    if cursor is None:
        return True, None
    fields: dict[str, str] = {}
    for column in cursor.payload.split(","):
        name, _, value = column.partition(":")
        fields[name] = value
    try:
        created = _iso(int(fields["created"]))
    except (KeyError, ValueError):
        raise FastifyError(
            500, "Error", "date column in cursor should be a valid timestamp"
        ) from None
    # No id (a cursor of the single-key paginator): the boundary is the whole millisecond.
    boundary = unquote(fields["id"]) if "id" in fields else ("~" if cursor.after else "")
    return cursor.after, (created, boundary)
