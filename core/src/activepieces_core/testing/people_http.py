"""The people routes: matching, request schemas, paging, and dispatch to `PeopleState`.

``/v1/user-invitations`` (POST, GET, DELETE ``/:id``), ``/v1/project-members`` (GET,
POST ``/:id``, DELETE ``/:id``), ``/v1/users`` (GET, POST ``/:id``, DELETE ``/:id``) and
``/v1/project-roles`` (GET, POST, GET/POST ``/:id``, DELETE ``/:name``, GET
``/:id/project-members``) and ``GET /v1/platform-project-members/users``, each in the Fastify order: 400 schema -> 401/403 auth -> rules.
Rows are paged by ``(created, id)`` ascending (the server's ``buildPaginator``), default 10.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from .pagination import decode_cursor, effective_limit, encode_cursor
from .people import (
    INVITATION_STATUSES,
    INVITATION_TYPES,
    PLATFORM_ROLES,
    USER_STATUSES,
    Listing,
    PeopleState,
    Row,
    UserRecord,
)
from .records import Platform
from .responses import FastifyError, feature_disabled, team_project_required
from .routes import Request, without_trailing_slash
from .service import project_for
from .state import EmulatorState
from .validation import (
    MISSING,
    Check,
    Issues,
    ap_id,
    coerce_number,
    enum,
    invalid_type,
    safe_string,
    string,
)

PREFIX = "/api/v1/"
# resource -> {(has id, method): route}
_TABLE: dict[str, dict[tuple[bool, str], str]] = {
    "user-invitations": {
        (False, "POST"): "invitations.create",
        (False, "GET"): "invitations.list",
        (True, "DELETE"): "invitations.delete",
    },
    "project-members": {
        (False, "GET"): "members.list",
        (True, "POST"): "members.update",
        (True, "DELETE"): "members.delete",
    },
    "users": {
        (False, "GET"): "users.list",
        (True, "POST"): "users.update",
        (True, "DELETE"): "users.delete",
    },
    "project-roles": {
        (False, "GET"): "roles.list",
        (False, "POST"): "roles.create",
        (True, "GET"): "roles.get",
        (True, "POST"): "roles.update",
        (True, "DELETE"): "roles.delete",  # by name, not id (upstream's `/:name`)
    },
}
ROLE_TYPES = ("DEFAULT", "CUSTOM")  # RoleType
_ROLE_MEMBERS = "/project-members"  # GET /v1/project-roles/:id/project-members
DEFAULT_LIMIT = 10  # the controllers' `limit ?? 10`
T = TypeVar("T")


def match_people_route(method: str, path: str) -> tuple[str | None, str | None]:
    """(route, id) for the people routes; (None, None) otherwise."""
    path = without_trailing_slash(path)
    if not path.startswith(PREFIX):
        return None, None
    resource, _, rest = path[len(PREFIX) :].partition("/")
    if resource == "platform-project-members":  # GET /v1/platform-project-members/users
        return ("members.platform", None) if (method, rest) == ("GET", "users") else (None, None)
    if resource == "project-roles" and method == "GET" and rest.endswith(_ROLE_MEMBERS):
        role_id = rest[: -len(_ROLE_MEMBERS)]
        return ("roles.members", role_id) if role_id and "/" not in role_id else (None, None)
    table = _TABLE.get(resource)
    if table is None or "/" in rest:
        return None, None
    return table.get((bool(rest), method)), rest or None


# ---- paging -----------------------------------------------------------------------------------
def _cursor(after: bool, key: tuple[str, int]) -> str:
    return encode_cursor(after, json.dumps(list(key)))


def _decode(raw: str | None) -> tuple[bool, tuple[str, int] | None] | None:
    """None = first page; garbage never fails (it reads as the first page)."""
    cursor = decode_cursor(raw)
    if cursor is None or cursor.direction not in ("next", "prev"):
        return None
    try:
        created, seq = json.loads(cursor.payload)
        return cursor.after, (str(created), int(seq))
    except (ValueError, TypeError):
        return None


def page(
    rows: Sequence[T], keys: Sequence[tuple[str, int]], limit: int | None, cursor: str | None
) -> tuple[list[T], str | None, str | None]:
    """One page of ``rows`` (sorted, ``keys`` their sort keys) with ``next``/``previous``
    cursors."""
    size = effective_limit(limit, DEFAULT_LIMIT)
    parsed = _decode(cursor)
    after = parsed is None or parsed[0]
    mark = parsed[1] if parsed is not None else None
    if after:
        start = 0 if mark is None else bisect_right(keys, mark)
        stop = len(keys) if size is None else min(len(keys), start + size)
        chosen, more_after, more_before = list(rows[start:stop]), stop < len(keys), start > 0
    else:
        stop = len(keys) if mark is None else bisect_left(keys, mark)
        start = 0 if size is None else max(0, stop - size)
        chosen, more_after, more_before = list(rows[start:stop]), stop < len(keys), start > 0
    if not chosen:
        return [], None, None
    nxt = _cursor(True, keys[stop - 1]) if more_after else None
    prev = _cursor(False, keys[start]) if more_before and parsed is not None else None
    return chosen, nxt, prev


def _seek(listing: Listing, query: dict[str, Any], render: Callable[[Row], Any]) -> dict[str, Any]:
    chosen, nxt, prev = page(listing.rows, listing.keys, query.get("limit"), query.get("cursor"))
    return {"data": [render(r) for r in chosen], "next": nxt, "previous": prev}


# ---- request schemas ------------------------------------------------------------------------
def _query(
    pairs: Sequence[tuple[str, str]], fields: Mapping[str, Check], required: Sequence[str] = ()
) -> dict[str, Any]:
    issues = Issues("querystring")
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields or name == "limit":
            out.setdefault(name, value)
    for name in required:
        if name not in out:
            issues.add(f"/{name}", fields[name](MISSING) or "Invalid input")
    for name, check in fields.items():
        if name in out:
            issues.check(f"/{name}", out[name], check)
    if "limit" in out:
        out["limit"] = coerce_number(out["limit"], issues)
    issues.raise_if_any()
    return out


def _body(
    value: Any, fields: dict[str, tuple[Callable[[Any], str | None], bool]]
) -> dict[str, Any]:
    """A zod object: checks ``fields`` (check, required), strips the rest."""
    issues = Issues("body")
    if not issues.expect_object("", value):
        issues.raise_if_any()
    out: dict[str, Any] = {}
    for name, (check, required) in fields.items():
        if name not in value:
            if required:
                issues.add(f"/{name}", check(MISSING) or "Invalid input")
            continue
        if issues.check(f"/{name}", value[name], check):
            out[name] = value[name]
    issues.raise_if_any()
    return out


def _send_body(value: Any) -> dict[str, Any]:
    """``SendUserInvitationRequest``: a union on ``type``."""
    kind = value.get("type") if isinstance(value, dict) else None
    fields: dict[str, tuple[Check, bool]]
    if kind == "PROJECT":
        fields = {
            "type": (string, True),
            "email": (string, True),
            "projectId": (string, True),
            "projectRole": (string, True),
        }
    elif kind == "PLATFORM":
        fields = {"type": (string, True), "email": (string, True)}
        fields["platformRole"] = (enum(PLATFORM_ROLES), True)
    else:
        raise FastifyError(400, "FST_ERR_VALIDATION", "body/type Invalid input")
    return _body(value, fields)


def _strings(value: Any) -> str | None:
    """``z.array(z.string())`` (the first wrong item's message)."""
    if not isinstance(value, list):
        return invalid_type("array", value)
    wrong = next((v for v in value if not isinstance(v, str)), None)
    return None if wrong is None else invalid_type("string", wrong)


_STRINGS = (_strings, False)


def _ap_id(value: str | None) -> str:
    if value is None or ap_id(value) is not None:
        raise FastifyError(
            400,
            "FST_ERR_VALIDATION",
            "params/id Invalid string: must match pattern /^[0-9a-zA-Z]{21}$/",
        )
    return value


# ---- dispatch ---------------------------------------------------------------------------------
class PeopleRoutes:
    """Serves the people routes from ``state.people``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    @property
    def people(self) -> PeopleState:
        return self.state.people

    def handle(self, request: Request) -> tuple[int, Any]:
        """Validate, authenticate, then apply the route's rules (under the state lock)."""
        route, item_id, body = request.route, request.item_id, request.body
        pairs = request.query_pairs()
        query: dict[str, Any] = {}
        payload: dict[str, Any] = {}
        if route == "invitations.list":
            query = _query(
                pairs,
                {
                    "type": enum(INVITATION_TYPES),
                    "projectId": string,
                    "status": enum(INVITATION_STATUSES),
                    "cursor": string,
                },
                required=("type",),
            )
        elif route == "members.list":
            fields = {"projectId": string, "projectRoleId": string, "cursor": string}
            query = _query(pairs, fields, required=("projectId",))
        elif route == "members.platform":
            query = _query(pairs, {"projectRoleId": string, "cursor": string})
        elif route == "users.list":
            query = _query(pairs, {"externalId": string, "cursor": string})
        elif route == "invitations.create":
            payload = _send_body(body())
        elif route == "members.update":
            payload = _body(body(), {"role": (string, True)})
        elif route == "users.update":
            _ap_id(item_id)
            payload = _body(
                body(),
                {
                    "status": (enum(USER_STATUSES), False),
                    "platformRole": (enum(PLATFORM_ROLES), False),
                    "externalId": (string, False),
                },
            )
        elif route == "users.delete":
            _ap_id(item_id)
        elif route in ("roles.get", "roles.members", "roles.update"):
            _ap_id(item_id)
            if route == "roles.members":
                query = _query(pairs, {"cursor": string})
            elif route == "roles.update":
                payload = _body(body(), {"name": (safe_string, False), "permissions": _STRINGS})
        elif route == "roles.create":
            role_fields: dict[str, tuple[Check, bool]] = {
                "name": (safe_string, True),
                "permissions": (_strings, True),
                "type": (enum(ROLE_TYPES), True),
            }
            payload = _body(body(), role_fields)
        platform = request.authenticate()
        with self.state.lock:
            return self._dispatch(route, item_id, platform, query, payload)

    def _dispatch(
        self,
        route: str,
        item_id: str | None,
        platform: Platform,
        query: dict[str, Any],
        payload: dict[str, Any],
    ) -> tuple[int, Any]:
        people = self.people
        if route == "invitations.create":
            return 201, people.send_invitation(platform, payload)
        if route == "invitations.list":
            project_id = query.get("projectId") if query["type"] == "PROJECT" else None
            if project_id is not None:
                self._project(platform, project_id, team=True)
            rows = people.invitation_rows(
                platform, kind=query["type"], project_id=project_id, status=query.get("status")
            )
            return 200, _seek(rows, query, people.invitation_json)
        if route == "roles.list":
            return 200, {"data": people.roles(platform), "next": None, "previous": None}
        if route.startswith("roles."):
            return self._roles(route, item_id or "", platform, query, payload)
        if route == "users.list":
            records = people.user_records(platform)
            ext = query.get("externalId")
            if ext is not None:
                records = [r for r in records if r.user.external_id == ext]
            keys = [_user_key(r) for r in records]
            chosen, nxt, prev = page(records, keys, query.get("limit"), query.get("cursor"))
            return 200, {"data": [r.to_json() for r in chosen], "next": nxt, "previous": prev}
        if route == "members.list":
            self._project(platform, query["projectId"])
            self._feature(platform)
            rows = people.member_rows(query["projectId"], query.get("projectRoleId"))
            return 200, _seek(rows, query, people.member_json)
        if route == "members.platform":
            # platform-project-member.module.ts: platformMustHaveFeatureEnabled(projectRolesEnabled)
            self._feature(platform)
            rows = people.platform_member_rows(platform, query.get("projectRoleId"))
            return 200, _seek(rows, query, people.member_json)
        item = item_id or ""
        if route == "members.update":
            people.member_row(platform, item)
            self._feature(platform)
            return 200, people.update_member_role(platform, item, payload["role"])
        if route == "members.delete":
            people.member_row(platform, item)
            self._feature(platform)
            people.delete_member(platform, item)
        elif route == "invitations.delete":
            people.delete_invitation(platform, item)
        elif route == "users.update":
            return 200, people.update_user(platform, item, payload)
        else:
            people.delete_user(platform, item)
        return 204, None

    def _roles(
        self,
        route: str,
        item: str,
        platform: Platform,
        query: dict[str, Any],
        payload: dict[str, Any],
    ) -> tuple[int, Any]:
        """``/v1/project-roles`` beyond the list. An API key is a platform admin, so it may
        call every route; writes need ``customRolesEnabled`` (checked in the handler, after
        schema and authentication: 400 -> 401/403 -> 402)."""
        people = self.people
        if route == "roles.get":
            return 200, people.role_by_id(item)
        if route == "roles.members":
            return 200, _seek(people.role_member_rows(platform, item), query, people.member_json)
        if not platform.custom_roles_enabled:
            raise feature_disabled()
        if route == "roles.create":
            return 201, people.create_role(platform, payload)
        if route == "roles.update":
            return 200, people.update_role(platform, item, payload)
        people.delete_role(platform, item)
        return 204, None

    def _project(self, platform: Platform, project_id: str, *, team: bool = False) -> None:
        """`service.project_for`, and a TEAM project where ``team``."""
        record = project_for(self.state, platform, project_id)
        if team and record.public["type"] != "TEAM":
            raise team_project_required()

    @staticmethod
    def _feature(platform: Platform) -> None:
        """The project-members module's ``projectRolesEnabled`` gate."""
        if not platform.project_roles_enabled:
            raise feature_disabled()


def _user_key(record: UserRecord) -> tuple[str, int]:
    return (record.created, record.seq)
