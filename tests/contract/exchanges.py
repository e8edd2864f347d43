"""What goes over the wire, recorded on a real client, and the upstream schema for each part.

`RecordingTransport` / `AsyncRecordingTransport` wrap httpx's own transports (real HTTP, nothing
faked) and keep every exchange: the client's query and JSON body, the server's status and JSON
answer. `ROUTES` names upstream's zod schema for each part, as the server's controllers declare
them (``@activepieces/shared`` 0.96.2 names):

- projects: ``packages/server/api/src/app/ee/projects/platform-project-controller.ts``
  @ ``03c3239e`` (list ``SeekPage(ProjectWithLimits)``, create 201/update 200
  ``ProjectWithLimits``; get declares none, its service returns ``ProjectWithLimits``).
- invitations: ``packages/server/api/src/app/user-invitations/user-invitation.module.ts``
  @ ``0030b26a`` (create 201 ``UserInvitationWithLink``; list ``SeekPage(UserInvitation)``).
- members: ``packages/server/api/src/app/ee/projects/project-members/
  project-member.controller.ts`` @ ``3666aea2`` (list ``SeekPage(ProjectMemberWithUser)``; the
  update's ``ProjectMemberWithUser`` sits outside ``schema`` so Fastify never applies it: the
  answer is the service's membership row, judged by ``ProjectMember``).
- users: the platform user controller (``ListUsersRequestBody``, ``SeekPage(
  UserWithMetaInformation)``, ``UpdateUserRequestBody`` -> ``UserWithMetaInformation``).
- contents (issue 19): ``packages/server/api/src/app/ee/projects/project-replace/
  project-replace.controller.ts`` @ ``098b2e9d`` (200/207 ``ProjectReplaceResponse``, 422
  ``{errors: ProjectReplacePreflightError[]}``, 502 ``{failures: PieceInstallFailure[]}``; the
  409 body is an inline literal, checked in the tests) and the flows/folders/tables/fields/
  app-connections controllers (their list query and page schemas; the folders list declares
  no answer schema, its service answers ``Folder`` rows with ``numberOfFlows``).
- platforms: ``GET /v1/platforms/:id`` (``PlatformWithoutSensitiveData``, what the tenants read
  the plan flags from).

Piece sets have no schema in the published package (0.96.2 is the newest on npm and holds no
piece-set module), so the oracle cannot judge those routes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from zod_oracle import Verdict, ZodOracle

API = "/api/v1"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str  # below /api/v1
    query: Mapping[str, Any]  # repeated keys as lists, as Fastify's parser gives them
    body: Any  # the JSON the client sent (None when none)
    status: int
    answer: Any  # the JSON the server answered (None when none or not JSON)

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass(frozen=True)
class RouteSchemas:
    """Upstream's schemas of one route: query, body, and the answer per status."""

    name: str
    method: str
    pattern: re.Pattern[str]
    query: str | None = None
    body: str | None = None
    # status -> schema, or (schema, key) to judge one key of an inline object
    answers: Mapping[int, str | tuple[str, str]] = field(default_factory=dict)


def _route(name: str, method: str, path: str, **schemas: Any) -> RouteSchemas:
    pattern = re.compile("^" + re.sub(r":\w+", "[^/]+", path) + "/?$")
    return RouteSchemas(name, method, pattern, **schemas)


ROUTES: tuple[RouteSchemas, ...] = (
    _route(
        "projects.list",
        "GET",
        "/projects",
        query="ListProjectRequestForPlatformQueryParams",
        answers={200: "SeekPage<ProjectWithLimits>"},
    ),
    _route(
        "projects.create",
        "POST",
        "/projects",
        body="CreatePlatformProjectRequest",
        answers={201: "ProjectWithLimits"},
    ),
    _route(
        "projects.replace",
        "POST",
        "/projects/:id/replace",
        body="ProjectReplaceRequest",
        answers={
            200: "ProjectReplaceResponse",
            207: "ProjectReplaceResponse",
            422: "ProjectReplacePreflightFailure",
            502: ("Array<PieceInstallFailure>", "failures"),
        },
    ),
    _route("projects.get", "GET", "/projects/:id", answers={200: "ProjectWithLimits"}),
    _route(
        "projects.update",
        "POST",
        "/projects/:id",
        body="UpdateProjectPlatformRequest",
        answers={200: "ProjectWithLimits"},
    ),
    _route(
        "invitations.create",
        "POST",
        "/user-invitations",
        body="SendUserInvitationRequest",
        answers={201: "UserInvitationWithLink"},
    ),
    _route(
        "invitations.list",
        "GET",
        "/user-invitations",
        query="ListUserInvitationsRequest",
        answers={200: "SeekPage<UserInvitation>"},
    ),
    _route(
        "members.list",
        "GET",
        "/project-members",
        query="ListProjectMembersRequestQuery",
        answers={200: "SeekPage<ProjectMemberWithUser>"},
    ),
    _route(
        "members.update",
        "POST",
        "/project-members/:id",
        body="UpdateProjectMemberRoleRequestBody",
        answers={200: "ProjectMember"},
    ),
    _route(
        "users.list",
        "GET",
        "/users",
        query="ListUsersRequestBody",
        answers={200: "SeekPage<UserWithMetaInformation>"},
    ),
    _route(
        "users.update",
        "POST",
        "/users/:id",
        body="UpdateUserRequestBody",
        answers={200: "UserWithMetaInformation"},
    ),
    _route("roles.list", "GET", "/project-roles", answers={200: "SeekPage<ProjectRole>"}),
    _route("platforms.get", "GET", "/platforms/:id", answers={200: "PlatformWithoutSensitiveData"}),
    _route(
        "flows.list",
        "GET",
        "/flows",
        query="ListFlowsRequest",
        answers={200: "SeekPage<PopulatedFlow>"},
    ),
    _route(
        "folders.list",
        "GET",
        "/folders",
        query="ListFolderRequest",
        answers={200: "SeekPage<Folder>"},
    ),
    _route(
        "tables.list",
        "GET",
        "/tables",
        query="ListTablesRequest",
        answers={200: "SeekPage<Table>"},
    ),
    _route(
        "fields.list",
        "GET",
        "/fields",
        query="ListFieldsRequestQuery",
        answers={200: "Array<Field>"},
    ),
    _route(
        "app_connections.list",
        "GET",
        "/app-connections",
        query="ListAppConnectionsRequestQuery",
        answers={200: "SeekPage<AppConnectionWithoutSensitiveData>"},
    ),
)


def route_of(method: str, path: str) -> RouteSchemas | None:
    """The schemas of the route ``method path`` (path below /api/v1), None when none apply."""
    return next((r for r in ROUTES if r.method == method and r.pattern.match(path)), None)


@dataclass(frozen=True)
class Part:
    """One part of an exchange to judge: ``what`` is "query", "body" or the status."""

    exchange: Exchange
    route: str
    what: str
    schema: str
    value: Any


def parts(exchange: Exchange) -> Iterator[Part]:
    """The parts of ``exchange`` that an upstream schema covers."""
    route = route_of(exchange.method, exchange.path)
    if route is None:
        return
    if route.query is not None:
        yield Part(exchange, route.name, "query", route.query, dict(exchange.query))
    if route.body is not None and exchange.method == "POST":
        yield Part(exchange, route.name, "body", route.body, exchange.body)
    answer_schema = route.answers.get(exchange.status)
    if isinstance(answer_schema, tuple):
        schema, key = answer_schema
        answer = exchange.answer if isinstance(exchange.answer, dict) else {}
        yield Part(exchange, route.name, f"{exchange.status}.{key}", schema, answer.get(key))
    elif answer_schema is not None:
        yield Part(exchange, route.name, str(exchange.status), answer_schema, exchange.answer)


# ---- recording --------------------------------------------------------------------------------
def _query(url: httpx.URL) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in parse_qsl(url.query.decode("latin-1"), keep_blank_values=True):
        if key in values:
            previous = values[key]
            values[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[key] = value
    return values


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _exchange(request: httpx.Request, response: httpx.Response) -> Exchange:
    path = request.url.path
    return Exchange(
        method=request.method,
        path=path[len(API) :] if path.startswith(API) else path,
        query=_query(request.url),
        body=_json(request.content),
        status=response.status_code,
        answer=_json(response.content),
    )


class Recorder:
    """The exchanges seen so far, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[Exchange] = []

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._seen.append(exchange)

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._seen)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class RecordingTransport(httpx.BaseTransport):
    """httpx's own HTTP transport, keeping each exchange in ``recorder``."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.read()
        self.recorder.add(_exchange(request, response))
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """httpx's own async HTTP transport, keeping each exchange in ``recorder``."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        await response.aread()
        self.recorder.add(_exchange(request, response))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


# ---- judging ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Judged:
    part: Part
    verdict: Verdict

    def __str__(self) -> str:
        return f"{self.part.exchange} [{self.part.what}]\n{self.verdict.explain()}"


def judge(oracle: ZodOracle, exchanges: Iterable[Exchange]) -> list[Judged]:
    """Every covered part of ``exchanges``, judged by upstream's schema."""
    return [Judged(p, oracle.check(p.schema, p.value)) for e in exchanges for p in parts(e)]


def assert_contract(oracle: ZodOracle, exchanges: Iterable[Exchange]) -> list[Judged]:
    """Judge ``exchanges``; fail naming every part upstream's schema rejects."""
    judged = judge(oracle, exchanges)
    rejected = [str(j) for j in judged if not j.verdict.ok]
    assert not rejected, "upstream's schemas reject:\n" + "\n".join(rejected)
    return judged


def covered(judged: Iterable[Judged]) -> set[tuple[str, str]]:
    """(route, part) pairs judged: proof that a test exercised what it claims."""
    return {(j.part.route, j.part.what) for j in judged}


# ---- fields the pinned package does not declare ----------------------------------------------
#: Fields that upstream's newest schemas declare and 0.96.2's do not (so 0.96.2 drops them), per
#: schema: ``packages/core/shared/src/lib/management/project/project.ts`` and
#: ``project-requests.ts`` @ ``098b2e9d``, ``.../management/platform/platform.model.ts``
#: @ ``072be290`` (``PlatformPlan``). Any other dropped field is sent or answered by nobody's
#: contract.
NEWER_FIELDS: Mapping[str, frozenset[str]] = {
    "PlatformWithoutSensitiveData": frozenset(
        {
            "/plan/plan",
            "/plan/includedCredits",
            "/plan/workerGroupsEnabled",
            "/plan/billedTeamProjectsLimit",
            "/plan/usersLimit",
            "/plan/scheduledUsersLimit",
        }
    ),
    "ProjectWithLimits": frozenset(
        {
            "/notifyFlowOwnerOnFailure",
            "/pieceSetId",
            "/workerGroupId",
            "/executionDataRetentionDays",
            "/sensitive",
            "/plan/activeFlowsLimit",
        }
    ),
    "UpdateProjectPlatformRequest": frozenset(
        {
            "/notifyFlowOwnerOnFailure",
            "/workerGroupId",
            "/executionDataRetentionDays",
            "/sensitive",
            "/plan/activeFlowsLimit",
        }
    ),
}
#: Per route and part: fields upstream sends without a response schema to strip them (GET
#: ``/v1/projects/:id`` declares none and answers the entity with its ``deleted`` column).
UNDECLARED_BY_ROUTE: Mapping[tuple[str, str], frozenset[str]] = {
    ("projects.get", "200"): frozenset({"/deleted"}),
}


def _allowed(schema: str) -> frozenset[str]:
    wrapped = re.fullmatch(r"(SeekPage|Array)<(\w+)>", schema)
    if wrapped is None:
        return NEWER_FIELDS.get(schema, frozenset())
    prefix = "/data/*" if wrapped[1] == "SeekPage" else "/*"
    return frozenset(prefix + path for path in NEWER_FIELDS.get(wrapped[2], ()))


def unexplained_fields(judged: Iterable[Judged]) -> list[str]:
    """Fields the pinned schemas drop that neither newer upstream nor the route explains:
    a field the client sends for nothing, or one the emulator invents."""
    out = []
    for j in judged:
        allowed = _allowed(j.part.schema) | UNDECLARED_BY_ROUTE.get(
            (j.part.route, j.part.what), frozenset()
        )
        for path in j.verdict.dropped:
            if re.sub(r"/\d+(?=/|$)", "/*", path) not in allowed:
                out.append(f"{j.part.exchange} [{j.part.what}] {path}")
    return out
