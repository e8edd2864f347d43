"""Regression tests for the defects listed in "One rule in one place" (issue 10)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core._http import Call, Sleep
from activepieces_core.errors import APIConnectionError, APITimeoutError, UnexpectedResponseError
from activepieces_core.tenants import plan


class _RepeatingCursor(BaseHTTPRequestHandler):
    """Every page of every listing says ``next: "same"``: a server bug."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                # one row every listing reads (a project, a piece set, a user, a member)
                "data": [
                    {
                        "id": "p1",
                        "displayName": "Acme",
                        "externalId": "acme",
                        "name": "Acme",
                        "key": "acme",
                        "email": "someone@example.com",
                        "role": "Editor",
                        "projectId": "p1",
                        "type": "PROJECT",
                    }
                ],
                "next": "same",
                "previous": None,
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # quiet
        pass


#: A read that ignores the repeated cursor loops forever: fail in seconds, not at the suite's
#: global 300 s timeout.
LOOPS_FOREVER = pytest.mark.timeout(20)


@pytest.fixture
def repeating_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RepeatingCursor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@LOOPS_FOREVER
def test_iter_refuses_a_repeated_cursor(repeating_server: str) -> None:
    with ActivepiecesClient(api_key="sk-test", base_url=repeating_server) as client:
        rows = client.projects.iter()
        with pytest.raises(UnexpectedResponseError, match="repeated the page cursor"):
            list(rows)


@LOOPS_FOREVER
@pytest.mark.parametrize(
    "read",
    [
        lambda c: list(c.projects.pages()),
        lambda c: list(c.piece_sets.pages()),
        lambda c: c.piece_sets.get_by_key("missing"),
        lambda c: c.users.get_by_email("nobody@example.com"),
        lambda c: c.project_members.people("p1"),
        lambda c: c.project_roles.list(),
    ],
    ids=["pages", "piece_set_pages", "get_by_key", "get_by_email", "people", "roles"],
)
def test_every_paged_read_refuses_a_repeated_cursor(repeating_server: str, read: Any) -> None:
    """One paging loop (`scan_pages`) with the guard, whichever reads the pages."""
    with (
        ActivepiecesClient(api_key="sk-test", base_url=repeating_server) as client,
        pytest.raises(UnexpectedResponseError, match="repeated the page cursor"),
    ):
        read(client)


@LOOPS_FOREVER
async def test_async_pages_refuse_a_repeated_cursor(repeating_server: str) -> None:
    async with AsyncActivepiecesClient(api_key="sk-test", base_url=repeating_server) as client:
        with pytest.raises(UnexpectedResponseError, match="repeated the page cursor"):
            _ = [p async for p in client.piece_sets.pages()]


@LOOPS_FOREVER
async def test_async_iter_refuses_a_repeated_cursor(repeating_server: str) -> None:
    async with AsyncActivepiecesClient(api_key="sk-test", base_url=repeating_server) as client:
        with pytest.raises(UnexpectedResponseError, match="repeated the page cursor"):
            _ = [p async for p in client.projects.iter()]


@LOOPS_FOREVER
def test_planner_refuses_a_repeated_cursor(repeating_server: str) -> None:
    """The planner's listing used to loop forever on a repeated cursor."""
    with (
        ActivepiecesClient(api_key="sk-test", base_url=repeating_server) as client,
        pytest.raises(UnexpectedResponseError, match="repeated the page cursor"),
    ):
        plan(client, [], prune=True)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def test_sync_plan_failure_has_no_event_loop_noise() -> None:
    """A failed sync plan used to print a chained "RuntimeError: no running event loop"."""
    with (
        ActivepiecesClient(api_key="sk-test", base_url="http://127.0.0.1:9", max_retries=0) as c,
        pytest.raises(APIConnectionError) as info,
    ):
        plan(c, [], prune=True)
    assert not any(isinstance(e, RuntimeError) for e in _chain(info.value))


async def test_refused_connection_reads_the_same_on_every_stack(make_api: Any) -> None:
    """aiohttp's refusal used to surface as "ConnectTimeout: Cannot connect to host ..."."""
    api = make_api(base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        await api.list()
    assert not isinstance(info.value, APITimeoutError)
    assert "connection refused" in str(info.value)
    assert "Connection refused" in str(info.value)
    assert info.value.may_have_reached_server is False


async def test_cancelled_caller_closes_the_operation(activepieces_emulator: Any, gate: Any) -> None:
    """A cancelled call must not leave its operation generator suspended."""
    emu = activepieces_emulator
    held = gate("list", 2)  # one request only: held until the test ends
    closed: list[bool] = []

    def operation() -> Any:
        try:
            yield Call("GET", "/projects")
        finally:
            closed.append(True)

    async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        task = asyncio.create_task(client.projects._run(operation()))
        assert await asyncio.to_thread(held.arrived.wait, 60)  # the call is waiting on it
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert closed == [True]


def test_interrupted_sync_caller_closes_the_operation(activepieces_emulator: Any) -> None:
    """A Ctrl-C while the driver waits (here: in the injected sleep) closes the operation."""
    emu = activepieces_emulator
    closed: list[bool] = []

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    def operation() -> Any:
        try:
            yield Call("GET", "/projects")
            yield Sleep(1.0)
        finally:
            closed.append(True)

    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, sleep=interrupt) as client:
        with pytest.raises(KeyboardInterrupt) as info:
            client.projects._run(operation())
        assert closed == [True]  # while the traceback still holds the driver's frame
    del info


def test_package_exports_load_lazily_and_completely() -> None:
    """``import activepieces_core.constants`` must not pull the client in (Airflow's provider
    discovery reads it), and every exported name resolves."""
    import subprocess
    import sys

    import activepieces_core

    code = (
        "import sys, activepieces_core.constants, activepieces_core.parsing;"
        "print('httpx' in sys.modules, 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    bare = subprocess.run(
        [sys.executable, "-c", "import sys, activepieces_core; print('httpx' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert bare.stdout.split() == ["False"]
    for name in activepieces_core.__all__:
        assert getattr(activepieces_core, name) is not None
    with pytest.raises(AttributeError):
        activepieces_core.NotExported  # noqa: B018


class _EmptyPageWithCursor(BaseHTTPRequestHandler):
    """An empty page that still names a next cursor (a server bug): the listing ends there."""

    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = json.dumps({"data": [], "next": "more", "previous": None}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@LOOPS_FOREVER
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_an_empty_page_ends_the_listing_whatever_its_cursor(flavour: str) -> None:
    """Both readings of a page stop at one without rows: the parsed page (sync) and the body
    read before parsing, while the next request is pipelined (async)."""
    _EmptyPageWithCursor.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmptyPageWithCursor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    try:
        if flavour == "sync":
            with ActivepiecesClient(api_key="sk-test", base_url=url) as client:
                assert [len(page.data) for page in client.projects.pages()] == [0]
                assert list(client.projects.iter()) == []
        else:
            async with AsyncActivepiecesClient(api_key="sk-test", base_url=url) as aclient:
                assert [len(page.data) async for page in aclient.projects.pages()] == [0]
                assert [p async for p in aclient.projects.iter()] == []
    finally:
        server.shutdown()
        server.server_close()
    assert len(_EmptyPageWithCursor.seen) == 2  # one request per listing
