"""Error mapping: code first, status second; every class driven by a real emulator status."""

from __future__ import annotations

import pickle
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    AuthorizationError,
    ExternalIdConflictError,
    FeatureDisabledError,
    NotFoundError,
    QuotaExceededError,
    RateLimitedError,
    RequestValidationError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
    error_from_response,
    parse_retry_after,
)
from activepieces_core.resources.projects import _ops as ops


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        # the real server
        (409, {"code": "VALIDATION", "params": {"message": "x"}}, ValidationError),
        (402, {"code": "FEATURE_DISABLED", "params": {"message": "x"}}, FeatureDisabledError),
        (402, {"code": "QUOTA_EXCEEDED", "params": {"metric": "active-flows"}}, QuotaExceededError),
        (403, {"code": "AUTHORIZATION", "params": {"message": "x"}}, AuthorizationError),
        (403, {"code": "PERMISSION_DENIED", "params": {}}, AuthorizationError),
        (
            401,
            {"code": "AUTHENTICATION", "params": {"message": "invalid api key"}},
            AuthenticationError,
        ),
        (401, {"code": "INVALID_BEARER_TOKEN", "params": {}}, AuthenticationError),
        (404, {"code": "ENTITY_NOT_FOUND", "params": {"entityId": "p"}}, NotFoundError),
        (
            409,
            {"code": "PROJECT_EXTERNAL_ID_ALREADY_EXISTS", "params": {"externalId": "a"}},
            ExternalIdConflictError,
        ),
        (
            400,
            {
                "statusCode": 400,
                "code": "FST_ERR_VALIDATION",
                "error": "Bad Request",
                "message": "body/displayName bad",
            },
            RequestValidationError,
        ),
        (
            400,
            {"statusCode": 400, "code": "FST_ERR_CTP_EMPTY_JSON_BODY", "message": "empty"},
            RequestValidationError,
        ),
        (
            500,
            {
                "statusCode": 500,
                "code": "23505",
                "error": "Internal Server Error",
                "message": "duplicate key",
            },
            ServerError,
        ),
        (
            429,
            {"statusCode": 429, "error": "Too Many Requests", "message": "Rate limit exceeded"},
            RateLimitedError,
        ),
        (
            404,
            {"statusCode": 404, "error": "Not Found", "message": "Route not found"},
            NotFoundError,
        ),
        # the public docs: 400 with statusCode and a code
        (
            400,
            {"statusCode": 400, "code": "FEATURE_DISABLED", "params": {"message": "limit"}},
            FeatureDisabledError,
        ),
        (
            400,
            {"statusCode": 400, "code": "VALIDATION", "params": {"message": "Personal"}},
            ValidationError,
        ),
        (
            404,
            {
                "statusCode": 404,
                "code": "ENTITY_NOT_FOUND",
                "params": {"message": "Project not found"},
            },
            NotFoundError,
        ),
        # unknown codes fall back on the status
        (402, {"code": "SOMETHING_NEW"}, FeatureDisabledError),
        (503, None, ServerError),
        (418, None, APIStatusError),
    ],
)
def test_classification(status: int, body: Any, cls: type[APIStatusError]) -> None:
    error = error_from_response(status, body, method="GET", path="/api/v1/projects")
    assert type(error) is cls
    assert error.status_code == status
    assert error.is_transient == (status in (429, 500, 502, 503, 504))


def test_errors_stand_below_the_retry_rules() -> None:
    """``errors`` does not import ``retries`` (the rules import the errors, not the reverse),
    and ``is_transient`` is the read rule of `is_retryable` for every kind of failure."""
    import subprocess
    import sys

    from activepieces_core.errors import APIConnectionError, APITimeoutError
    from activepieces_core.retries import is_retryable

    code = "import sys, activepieces_core.errors; print('activepieces_core.retries' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
    errors = [error_from_response(status, None) for status in (400, 404, 409, 429, 500, 502, 503)]
    errors += [APIConnectionError("refused", may_have_reached_server=False), APITimeoutError("t")]
    for error in errors:
        assert error.is_transient is is_retryable(error, read=True)
    assert APITimeoutError("t").is_transient
    assert not error_from_response(404, None).is_transient


def test_message_and_attributes() -> None:
    error = error_from_response(
        409,
        {"code": "VALIDATION", "params": {"message": "Personal projects cannot be deleted"}},
        request_id="req_1",
        method="DELETE",
        path="/api/v1/projects/p1",
    )
    assert str(error) == (
        "409 VALIDATION: Personal projects cannot be deleted "
        "(DELETE /api/v1/projects/p1, request_id=req_1)"
    )
    assert error.params == {"message": "Personal projects cannot be deleted"}
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ValidationError
    assert str(copy) == str(error)
    assert copy.code == "VALIDATION"


def test_html_and_secret_scrubbing() -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx sk-secret</body></html>"
    error = error_from_response(502, None, text=html, retry_after="3")
    assert isinstance(error, ServerError)
    assert error.message == "502 Bad Gateway"
    assert error.retry_after == 3.0
    echoed = error_from_response(
        400, {"message": "bad header Bearer sk-secret"}, secret="sk-secret"
    )
    assert "sk-secret" not in str(echoed)


def test_parse_retry_after() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-1") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now=now) == pytest.approx(10.0)
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:00 GMT", now=now) == 0.0


# ---- real statuses from the emulator --------------------------------------------------------


def check(error: APIError, emu: Any, cls: type[APIError], status: int | None) -> None:
    assert type(error) is cls, repr(error)
    assert error.status_code == status
    assert error.method
    assert error.path
    assert error.path.startswith("/api/v1/projects")
    if status is not None:
        assert error.request_id
        assert error.request_id.startswith("req_")
    assert emu.api_key not in str(error)
    assert emu.api_key not in repr(error)


async def test_unknown_key_401(make_api: Any, emu: Any) -> None:
    api = make_api(api_key="sk-" + "0" * 61)
    with pytest.raises(AuthenticationError) as info:
        await api.list()
    check(info.value, emu, AuthenticationError, 401)
    assert info.value.code == "AUTHENTICATION"
    assert "sk-" + "0" * 61 not in str(info.value)


async def test_missing_key_403(make_api: Any, emu: Any) -> None:
    api = make_api()
    # The client always sends its key; drop the header to see what the server says.
    del api.client._transport.headers["Authorization"]
    with pytest.raises(AuthorizationError) as info:
        await api.list()
    check(info.value, emu, AuthorizationError, 403)


async def test_cross_platform_403_and_404_on_delete(api: Any, emu: Any) -> None:
    other = emu.state.add_platform()
    theirs = emu.state.add_project("Theirs", platform_id=other.id)
    with pytest.raises(AuthorizationError) as info:
        await api.get(theirs["id"])
    check(info.value, emu, AuthorizationError, 403)
    with pytest.raises(AuthorizationError):
        await api.update(theirs["id"], display_name="Mine")
    with pytest.raises(NotFoundError) as gone:
        await api.delete(theirs["id"])
    check(gone.value, emu, NotFoundError, 404)


async def test_schema_validation_400(api: Any, emu: Any) -> None:
    project = await api.create("Acme")
    # Bypass client-side validation to see the server's answer.
    bad = ops.post_update(project.id, {"displayName": "a.b", "maxConcurrentJobs": 0})

    async def send() -> None:
        result = api.client.projects._run(bad)
        if api.is_async:
            await result

    with pytest.raises(RequestValidationError) as info:
        await send()
    check(info.value, emu, RequestValidationError, 400)
    assert info.value.code == "FST_ERR_VALIDATION"
    assert "displayName" in info.value.message


async def test_personal_delete_by_id_409_validation(api: Any, emu: Any) -> None:
    personal = emu.state.projects(types=["PERSONAL"])[0]
    with pytest.raises(ValidationError) as info:
        await api.delete(personal["id"])
    check(info.value, emu, ValidationError, 409)
    assert "Personal" in info.value.message


async def test_team_limit_one_402_and_none_409(api: Any, emu: Any) -> None:
    emu.state.configure_platform(team_projects_limit="ONE")
    await api.create("First")
    with pytest.raises(FeatureDisabledError) as info:
        await api.create("Second")
    check(info.value, emu, FeatureDisabledError, 402)
    assert info.value.code == "FEATURE_DISABLED"
    assert "limit" in info.value.message
    emu.state.configure_platform(team_projects_limit="NONE")
    with pytest.raises(ValidationError) as none:
        await api.create("Third")
    check(none.value, emu, ValidationError, 409)


async def test_duplicate_create_500_or_409(api: Any, emu: Any) -> None:
    await api.create("Acme", external_id="acme")
    emu.requests.clear()
    with pytest.raises(ServerError) as info:
        await api.create("Acme again", external_id="acme")
    check(info.value, emu, ServerError, 500)
    assert emu.requests.count(route="create") == 1  # a create is never blindly resent
    emu.state.duplicate_external_id_status = 409
    with pytest.raises(ExternalIdConflictError) as conflict:
        await api.create("Acme again", external_id="acme")
    check(conflict.value, emu, ExternalIdConflictError, 409)


@pytest.mark.parametrize(
    ("kind", "cls", "status"),
    [
        ("429", RateLimitedError, 429),
        ("500", ServerError, 500),
        ("502", ServerError, 502),
        ("503_html", ServerError, 503),
        ("502_html", ServerError, 502),
        ("drop_before", APIConnectionError, None),
        ("drop_after", APIConnectionError, None),
        ("slow", APITimeoutError, None),
    ],
)
async def test_fault_kinds_surface_as_errors(
    make_api: Any, emu: Any, kind: str, cls: type[APIError], status: int | None
) -> None:
    api = make_api(max_retries=0, timeout=1.0)  # a slow answer is held until it hangs up
    emu.faults.set("list", rate=1.0, kinds=[kind], slow_seconds=600, retry_after=2)
    with pytest.raises(cls) as info:
        await api.list()
    check(info.value, emu, cls, status)
    assert info.value.is_transient
    if kind == "429":
        assert isinstance(info.value, RateLimitedError)
        assert info.value.retry_after == 2.0
    if kind.endswith("_html"):
        assert "<" not in info.value.message
        assert str(status) in info.value.message


async def test_connection_refused_is_safe_to_resend(sleeps: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    key = "sk-" + "1" * 61
    client = ActivepiecesClient(api_key=key, base_url=url, max_retries=2, sleep=sleeps.sync)
    with client, pytest.raises(APIConnectionError) as info:
        client.projects.create("Acme")
    assert not info.value.may_have_reached_server
    assert len(sleeps) == 2  # refused connections are retried, even for a create
    for backend in ("aiohttp", "httpx"):
        sleeps.clear()
        async with AsyncActivepiecesClient(
            api_key=key, base_url=url, max_retries=2, async_backend=backend, sleep=sleeps.async_
        ) as ac:
            with pytest.raises(APIConnectionError) as info:
                await ac.projects.create("Acme")
        assert not info.value.may_have_reached_server, backend
        assert len(sleeps) == 2, backend
    assert key not in str(info.value)


class _Portal(BaseHTTPRequestHandler):
    """A misbehaving proxy: 200 with an HTML page for everything."""

    def do_GET(self) -> None:
        shape = self.path.startswith("/shape/")
        page = b'{"data": "nope"}' if shape else b"<html><title>Sign in</title></html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if shape else "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args: Any) -> None:
        pass


def test_non_json_success_body_is_an_error() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = ActivepiecesClient(api_key="sk-" + "2" * 61, base_url=url)
        with client, pytest.raises(UnexpectedResponseError, match="expected a JSON body") as info:
            client.projects.list()
        assert info.value.status_code == 200
        shaped = ActivepiecesClient(api_key="sk-" + "2" * 61, base_url=url + "/shape")
        with shaped, pytest.raises(UnexpectedResponseError, match="data"):
            shaped.projects.list()
    finally:
        server.shutdown()
        server.server_close()
