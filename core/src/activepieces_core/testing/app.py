"""The ASGI app: routing, the Fastify request lifecycle, faults and the request log.

Lifecycle per request (as upstream): route lookup 404 -> body parse / schema validation 400 ->
authentication 401/403 -> authorization 403/404 -> business rules -> 2xx. Faults sit in front,
as a proxy or overloaded server would: they are decided when the request arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.types import Receive, Scope, Send

from activepieces_core._json import dumps, loads

from ._ids import request_id
from .contents_http import ContentsRoutes, HeldReplace, match_contents_route
from .faults import ECHO_KIND, Decision, FaultPlan
from .one_write import send_response
from .people_http import PeopleRoutes, match_people_route
from .piece_sets_http import PREFIX as PIECE_SETS_PREFIX
from .piece_sets_http import VISIBILITY_ROUTE, PieceSetRoutes
from .records import Platform
from .requestlog import RequestLog, RequestRecord
from .responses import REASONS, ApplicationError, FastifyError, route_not_found
from .routes import (
    CONTENT_ROUTES,
    PEOPLE_ROUTES,
    PIECE_SET_ROUTES,
    Request,
    without_trailing_slash,
)
from .service import ProjectRecordsPage, ProjectsService
from .state import EmulatorState
from .stats import STATS_PATH, RequestStats, match_stats_route
from .validation import MISSING, validate_create, validate_list_query, validate_update

PREFIX = "/api/v1/projects"
#: Where piece-set routes (and their emulator-only oracle) live.
_PIECE_SET_PATHS = (PIECE_SETS_PREFIX, "/__emulator/")
JSON_TYPE = "application/json; charset=utf-8"

_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def match_route(method: str, path: str) -> tuple[str | None, str | None]:
    """(route name, project id); route None = unknown (``ignoreTrailingSlash`` applies)."""
    path = without_trailing_slash(path)
    if path == PREFIX:
        return {"GET": "list", "POST": "create"}.get(method), None
    if not path.startswith(PREFIX + "/"):
        return None, None
    rest = path[len(PREFIX) + 1 :]
    if not rest or "/" in rest:
        return None, None
    if rest == "worker-groups" and method == "GET":
        return "worker_groups", None
    return {"GET": "get", "POST": "update", "DELETE": "delete"}.get(method), rest


def _dumps(payload: Any) -> bytes:
    if isinstance(payload, ProjectRecordsPage):
        return payload.to_json()
    return dumps(payload)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


#: A route family's entry.
Handler = Callable[[Request], tuple[int, Any]]


class EmulatorApp:
    """ASGI callable serving the projects, piece-set and people routes from an `EmulatorState`."""

    def __init__(self, state: EmulatorState, faults: FaultPlan, log: RequestLog) -> None:
        self.state = state
        self.faults = faults
        self.log = log
        self.service = ProjectsService(state)
        self.piece_sets = PieceSetRoutes(state)
        self.people = PeopleRoutes(state)
        self.contents = ContentsRoutes(state)
        self.stats = RequestStats()
        #: Routes answered as a server without them answers (404, route not found): an older
        #: server than the one emulated (`Emulator.unserve`).
        self.unserved: set[str] = set()
        #: The family handling each route that is not a projects route.
        self._families: dict[str, Handler] = {
            **dict.fromkeys((*PIECE_SET_ROUTES, VISIBILITY_ROUTE), self.piece_sets.handle),
            **dict.fromkeys(PEOPLE_ROUTES, self.people.handle),
            **dict.fromkeys(CONTENT_ROUTES, self.contents.handle),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"].startswith(STATS_PATH):
            stats_route = match_stats_route(scope["method"], scope["path"])
            if stats_route is not None:  # emulator-only, not counted: see `.stats`
                status, payload = self.stats_response(stats_route, _header_map(scope))
                await _send(send, request_id(), status, _dumps(payload))
                return
        stats = self.stats
        stats.begin()
        try:
            await self.serve(scope, receive, send)
        finally:
            stats.end()

    def stats_response(self, route: str, headers: dict[str, str]) -> tuple[int, Any]:
        """``GET /__emulator/stats`` / ``POST /__emulator/stats/reset``: a platform's key."""
        try:
            self._authenticate(headers)
        except ApplicationError as error:
            return error.status, error.body()
        if route == "stats.reset":
            self.stats.reset()
        return 200, self.stats.snapshot()

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One API request (or emulator oracle), from routing to its response."""
        rid = request_id()
        method: str = scope["method"]
        path: str = scope["path"]
        route, params = self.match(method, path)
        if route is None:
            self._record("not_found", method, path, 404, None, rid, scope)
            await _send(send, rid, 404, _dumps(route_not_found()))
            return
        if route == VISIBILITY_ROUTE:  # emulator-only oracle: never faulted, never logged
            status, payload = self.respond(route, params, _header_map(scope), b"", b"")
            await _send(send, rid, status, _dumps(payload))
            return
        decision = self.faults.decide(route)
        handled = decision.kind in (None, "slow", "drop_after")
        # Latency from arrival (`FaultPlan.latency_from_arrival`): handled at once, answered at
        # the deadline; otherwise waited first (a replace waits it holding the project's lock).
        loop = asyncio.get_running_loop()
        deadline = None
        if decision.delay > 0:
            if handled and self.faults.latency_from_arrival:
                deadline = loop.time() + decision.delay
            elif not (handled and route == "projects.replace"):
                await self.faults.sleep(decision.delay)
        if decision.kind is not None and decision.kind[0].isdigit():
            status, headers, body, media = self._fault_response(decision, scope)
            self._record(route, method, path, status, decision.kind, rid, scope)
            await _send(send, rid, status, body, media, headers)
            return
        if decision.kind == "drop_before":
            self._record(route, method, path, None, decision.kind, rid, scope)
            await _drop(receive, send)
            return
        raw = await _read_body(receive) if method == "POST" else b""
        status, payload = self.respond(
            route, params, _header_map(scope), scope["query_string"], raw
        )
        held = payload if isinstance(payload, HeldReplace) else None
        if held is not None and deadline is None:
            status, payload = await held.run(decision.delay, self.faults.sleep)
            held = None  # released
        # An answer due at a deadline is encoded and logged before it: only the write is after.
        ready = deadline is not None and decision.kind is None
        answer: bytes | None = None  # a 204 has none
        try:
            if held is not None:
                status, payload = held.apply()
                assert deadline is not None
                deadline += held.work_seconds
            if ready:
                answer = None if status == 204 else _dumps(payload)
                self._record(route, method, path, status, None, rid, scope)
            if deadline is not None:
                left = deadline - loop.time()
                if left > 0:
                    await self.faults.sleep(left)
        finally:
            if held is not None:
                held.release()  # before the answer leaves, as upstream's `finally`
        if ready:
            await _send(send, rid, status, answer)
            return
        if decision.kind == "drop_after":
            self._record(route, method, path, None, decision.kind, rid, scope)
            await _drop(receive, send)
            return
        self._record(route, method, path, status, decision.kind, rid, scope)
        if decision.kind == "slow" and await self._hung_up_within(decision.slow_seconds, receive):
            return  # the client gave up waiting (its timeout): nobody to answer
        await _send(send, rid, status, None if status == 204 else _dumps(payload))

    # ---- request handling (synchronous: state work is quick and lock-protected) --------------
    def match(self, method: str, path: str) -> tuple[str | None, tuple[str, ...]]:
        """(route, path params) of a request; route None = unknown."""
        route, project_id = match_route(method, path)
        if route is None:
            params: tuple[str, ...] = ()
            if path.startswith(_PIECE_SET_PATHS):  # only these can be piece-set routes
                route, params = self.piece_sets.match(method, path)
            if route is None:
                route, params = match_contents_route(method, path)
            if route is not None:
                return (None, ()) if route in self.unserved else (route, params)
            route, project_id = match_people_route(method, path)  # the item's id
        if route in self.unserved:
            return None, ()
        return route, (project_id,) if project_id is not None else ()

    def respond(
        self,
        route: str,
        params: tuple[str, ...],
        headers: dict[str, str],
        query_string: bytes,
        raw: bytes,
    ) -> tuple[int, Any]:
        """(status, JSON payload) of a matched route: each family validates, authenticates
        (``authenticate()``) and applies its rules; an error becomes its response."""
        handle = self._families.get(route, self.handle_projects)
        try:
            return handle(
                Request(
                    route,
                    params,
                    query_string,
                    lambda: _parse_body(raw, headers),
                    lambda: self._authenticate(headers),
                )
            )
        except (ApplicationError, FastifyError) as error:
            return error.status, error.body()

    def handle_projects(self, request: Request) -> tuple[int, Any]:
        """``/projects``: validation 400 -> authentication -> the service's rules."""
        route = request.route
        query: dict[str, Any] = {}
        payload: dict[str, Any] = {}
        if route == "list":
            query = validate_list_query(request.query_pairs())
        elif route == "create":
            payload = validate_create(request.body())
        elif route == "update":
            payload = validate_update(request.body())
        platform = request.authenticate()
        return self._dispatch(route, request.item_id, platform, query, payload)

    def _authenticate(self, headers: dict[str, str]) -> Platform:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            raise ApplicationError(
                "AUTHORIZATION", {"message": "principal is not allowed for this route"}
            )
        token = auth[len("Bearer ") :]
        if not token.startswith("sk-"):
            raise ApplicationError(
                "INVALID_BEARER_TOKEN", {"message": "invalid access token or session expired"}
            )
        platform = self.state.platform_for_key(token)
        if platform is None:
            raise ApplicationError("AUTHENTICATION", {"message": "invalid api key"})
        return platform

    def _dispatch(
        self,
        route: str,
        project_id: str | None,
        platform: Platform,
        query: dict[str, Any],
        body: dict[str, Any],
    ) -> tuple[int, Any]:
        service = self.service
        if route == "list":
            return 200, service.list_page(platform, query)
        if route == "create":
            return 201, service.create(platform, body)
        if route == "worker_groups":
            # platform-project-controller.ts @ 03c3239e: platform admins only (an API key is
            # one), 402 without `workerGroupsEnabled`; the emulator runs no dedicated workers.
            if not platform.worker_groups_enabled:
                raise ApplicationError(
                    "FEATURE_DISABLED",
                    {"message": "Isolated workers are not enabled for this platform"},
                )
            return 200, {"groups": [], "sharedSlots": 0}
        assert project_id is not None
        if route == "get":
            return 200, service.get(platform, project_id)
        if route == "update":
            return 200, service.update(platform, project_id, body)
        service.delete(platform, project_id)
        return 204, None

    # ---- responses -------------------------------------------------------------------------
    def _record(
        self,
        route: str,
        method: str,
        path: str,
        status: int | None,
        fault: str | None,
        rid: str,
        scope: Scope,
    ) -> None:
        client = scope.get("client")
        peer = f"{client[0]}:{client[1]}" if client else None
        self.log.append(RequestRecord(route, method, path, status, fault, rid, peer))

    async def _hung_up_within(self, seconds: float, receive: Receive) -> bool:
        """Wait ``seconds`` (the fault plan's sleep); True as soon as the client disconnects.

        A ``slow`` answer then lasts exactly as long as the client waits: a test's client
        timeout, not a guess at how slow is slow enough, decides when it ends.
        """

        async def hang_up() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        waited = asyncio.ensure_future(self.faults.sleep(seconds))
        watched = asyncio.ensure_future(hang_up())
        await asyncio.wait((waited, watched), return_when=asyncio.FIRST_COMPLETED)
        for task in (waited, watched):
            task.cancel()
        return watched.done() and not watched.cancelled()

    @staticmethod
    def _fault_response(decision: Decision, scope: Scope) -> tuple[int, dict[str, str], bytes, str]:
        kind = decision.kind or ""
        status = int(kind[:3])
        reason = REASONS[status]
        if kind == ECHO_KIND:  # a gateway that quotes the request it refused, headers and all
            query = scope["query_string"].decode("latin-1")
            line = scope["method"] + " " + scope["path"] + (f"?{query}" if query else "")
            auth = _header_map(scope).get("authorization", "")
            message = f"{reason}: upstream refused {line} (authorization: {auth})"
            body = {"statusCode": status, "error": reason, "message": message}
            return status, {}, _dumps(body), JSON_TYPE
        if kind.endswith("_html"):
            page = _HTML_PAGE.format(status=status, reason=reason)
            return status, {}, page.encode(), "text/html"
        if status == 429:
            seconds = _number(decision.retry_after)
            body = {
                "statusCode": 429,
                "error": reason,
                "message": f"Rate limit exceeded, retry in {seconds} seconds",
            }
            return status, {"retry-after": seconds}, _dumps(body), JSON_TYPE
        body = {"statusCode": status, "error": reason, "message": reason}
        return status, {}, _dumps(body), JSON_TYPE


async def _send(
    send: Send,
    rid: str,
    status: int,
    body: bytes | None,
    media: str = JSON_TYPE,
    extra: dict[str, str] | None = None,
) -> None:
    """One complete response; every one carries ``x-request-id`` and the CORS header."""
    headers = [
        (b"x-request-id", rid.encode()),
        _CORS_HEADER,
        (b"content-length", b"%d" % len(body or b"")),
    ]
    if body is not None:
        headers.append(_JSON_HEADER if media is JSON_TYPE else (b"content-type", media.encode()))
    if extra:
        headers.extend((k.encode(), v.encode()) for k, v in extra.items())
    await send_response(
        send,
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body or b""},
    )


_CORS_HEADER = (b"access-control-allow-origin", b"*")
_JSON_HEADER = (b"content-type", JSON_TYPE.encode())
#: The request headers the routes read (ASGI names are lower-case), by their raw name.
_READ_HEADERS = {b"authorization": "authorization", b"content-type": "content-type"}


def _header_map(scope: Scope) -> dict[str, str]:
    """The request headers the routes read (authentication, body parsing), decoded; the last
    of repeated ones wins."""
    headers: dict[str, str] = {}
    for raw, value in scope["headers"]:
        name = _READ_HEADERS.get(raw)
        if name is not None:
            headers[name] = value.decode("latin-1")
    return headers


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _parse_body(raw: bytes, headers: dict[str, str]) -> Any:
    """Fastify's content-type parsers: JSON, text/plain; no body and no type = undefined."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type:
        return MISSING if not raw else raw.decode("utf-8", errors="replace")
    if content_type == "application/json" or content_type.endswith("+json"):
        if not raw.strip():
            raise FastifyError(
                400,
                "FST_ERR_CTP_EMPTY_JSON_BODY",
                "Body cannot be empty when content-type is set to 'application/json'",
            )
        try:
            return loads(raw)
        except ValueError:
            raise FastifyError(
                400,
                "FST_ERR_CTP_INVALID_JSON_BODY",
                "Body is not valid JSON but content-type is set to 'application/json'",
            ) from None
    if content_type == "text/plain":
        return raw.decode("utf-8", errors="replace")
    raise FastifyError(
        415, "FST_ERR_CTP_INVALID_MEDIA_TYPE", f"Unsupported Media Type: {content_type}"
    )


async def _drop(receive: Receive, send: Send) -> None:
    """Close the connection without a (complete) response; the client sees a transport error.

    uvicorn's request cycle exposes its transport on the bound ``receive``; closing it makes the
    cycle "disconnected", so uvicorn sends nothing more. Any other server: start a response
    that promises a body and never deliver it.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.close()
        for _ in range(10):
            if getattr(cycle, "disconnected", True):
                break
            await asyncio.sleep(0)
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )
