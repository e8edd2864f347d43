"""``GET /__emulator/stats``: requests served and the peak in flight, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from activepieces_core.testing import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator of its own: the stats count every request the process serves, so a request
    an earlier test left in flight on the session's emulator would show up in them."""
    with Emulator(seed=0) as fresh:
        yield fresh


@pytest.fixture
def api(emu: Emulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with httpx.Client(base_url=emu.url, headers=headers, timeout=5.0) as client:
        yield client


def _stats(emu: Emulator, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key or emu.api_key}"}
    return httpx.get(emu.base_url + "/__emulator/stats", headers=headers, timeout=5)


def _hold_until(emu: Emulator, arrivals: int) -> None:
    """Requests wait out their latency until ``arrivals`` of them are in (a barrier, no clock)."""
    seen: list[int] = []
    gate: list[asyncio.Event] = []

    async def barrier(_seconds: float) -> None:
        if not gate:
            gate.append(asyncio.Event())  # made on the server's loop
        seen.append(1)
        if len(seen) >= arrivals:
            gate[0].set()
        await gate[0].wait()

    emu.faults.sleep = barrier
    emu.faults.set("list", latency=0.001)


def test_peak_in_flight_is_the_number_of_requests_held_at_once(
    emu: Emulator, api: httpx.Client
) -> None:
    _hold_until(emu, 5)
    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda _: api.get("/projects").status_code, range(5)))
    assert statuses == [200] * 5
    api.get("/projects/some-id")  # one more, alone
    assert _stats(emu).json() == {"requests": 6, "in_flight": 0, "max_in_flight": 5}
    assert emu.stats() == {"requests": 6, "in_flight": 0, "max_in_flight": 5}


def test_requests_one_after_the_other_peak_at_one(emu: Emulator, api: httpx.Client) -> None:
    for _ in range(3):
        api.get("/projects")
    body = _stats(emu).json()
    assert body == {"requests": 3, "in_flight": 0, "max_in_flight": 1}
    assert _stats(emu).json() == body  # asking does not count


def test_reset_starts_counting_again(emu: Emulator, api: httpx.Client) -> None:
    api.get("/projects")
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    reset = httpx.post(emu.base_url + "/__emulator/stats/reset", headers=headers, timeout=5)
    assert reset.status_code == 200
    assert reset.json() == {"requests": 0, "in_flight": 0, "max_in_flight": 0}
    api.get("/projects")
    assert _stats(emu).json()["requests"] == 1


def test_the_emulator_reset_clears_them(emu: Emulator, api: httpx.Client) -> None:
    api.get("/projects")
    emu.reset()
    assert emu.stats() == {"requests": 0, "in_flight": 0, "max_in_flight": 0}


def test_stats_need_a_platform_key(emu: Emulator) -> None:
    anonymous = httpx.get(emu.base_url + "/__emulator/stats", timeout=5)
    assert anonymous.status_code == 403
    wrong = _stats(emu, key="sk-not-a-key")
    assert wrong.status_code == 401
    assert "requests" not in wrong.json()


def test_stats_live_outside_the_api(emu: Emulator, api: httpx.Client) -> None:
    assert api.get("/__emulator/stats").status_code == 404  # not under /api/v1
    assert httpx.put(emu.base_url + "/__emulator/stats", timeout=5).status_code == 404
