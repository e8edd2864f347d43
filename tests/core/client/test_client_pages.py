"""``projects.pages()``: every page in order; the async one requests the next page before it
hands this one over (the planner's listing relies on it at platform scale)."""

from __future__ import annotations

import asyncio
import time
import warnings
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.errors import InvalidRequestError


def _seed(emu: Any, n: int) -> list[str]:
    return [emu.state.add_project(f"Tenant {i}", external_id=f"t-{i:02d}")["id"] for i in range(n)]


def _list_requests(emu: Any) -> int:
    return sum(1 for r in emu.requests if r.route == "list")


def _wait_for(predicate: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def test_sync_pages_are_every_page_in_order(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    ids = _seed(emu, 7)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        pages = list(client.projects.pages(types=["TEAM"], limit=3))
        rows = [p.id for p in client.projects.iter(types=["TEAM"], limit=3)]
    assert [len(p.data) for p in pages] == [3, 3, 1]
    listed = [p.id for page in pages for p in page.data]
    assert sorted(listed) == sorted(ids)
    assert listed == rows  # the same rows, in the same order, as iter()


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
async def test_async_pages_request_the_next_page_before_handing_this_one_over(
    activepieces_emulator: Any, backend: str
) -> None:
    emu = activepieces_emulator
    ids = _seed(emu, 7)
    emu.requests.clear()
    seen: list[str] = []
    received = 0
    async with AsyncActivepiecesClient(
        api_key=emu.api_key, base_url=emu.url, async_backend=backend
    ) as client:
        async for page in client.projects.pages(types=["TEAM"], limit=3):
            received += 1
            if page.next:
                # A blocking wait, as a plan's diff works on a page without giving the loop a
                # turn: only a request already written during the hand-over reaches the server.
                # Written already, the request reaches the server (its own thread) however
                # busy the machine; not written, it never does: the bound only ends a failure.
                assert _wait_for(lambda n=received: _list_requests(emu) == n + 1, 60.0), (
                    f"page {received + 1} was not requested before page {received} was handed over"
                )
            seen.extend(p.id for p in page.data)
    assert sorted(seen) == sorted(ids)
    assert _list_requests(emu) == 3  # no request past the last page


async def test_async_pages_stopped_early_leave_no_stray_request_or_warning(
    activepieces_emulator: Any,
) -> None:
    emu = activepieces_emulator
    _seed(emu, 9)
    emu.requests.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
            pages = client.projects.pages(types=["TEAM"], limit=3)
            async for _page in pages:
                break
            await pages.aclose()
            await asyncio.sleep(0.2)
    # the first page, plus at most the one prefetched (cancelled), never the third
    assert _list_requests(emu) <= 2


async def test_async_pages_validate_filters_before_any_request(
    activepieces_emulator: Any,
) -> None:
    emu = activepieces_emulator
    emu.requests.clear()
    async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        with pytest.raises(InvalidRequestError):
            client.projects.pages(limit=0)
    assert _list_requests(emu) == 0


def test_async_listings_run_under_trio(activepieces_emulator: Any) -> None:
    """The async client claims trio (httpx's own transport under "auto"): its listings must
    run there too, pages in order, without asyncio's futures."""
    import trio

    emu = activepieces_emulator
    ids = _seed(emu, 7)

    async def main() -> tuple[list[list[str]], list[str], str]:
        async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
            pages = [
                [p.id for p in page.data]
                async for page in client.projects.pages(types=["TEAM"], limit=3)
            ]
            rows = [p.id async for p in client.projects.iter(types=["TEAM"], limit=3)]
            return pages, rows, client.http_backend

    emu.requests.clear()
    pages, rows, backend = trio.run(main)
    assert backend == "httpx"
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == rows
    assert sorted(rows) == sorted(ids)
    assert _list_requests(emu) == 6  # no request past the last page, none twice
