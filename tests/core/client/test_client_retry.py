"""Retries: which calls, which failures, and the computed waits (never slept for real)."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core import RetryPolicy
from activepieces_core.errors import (
    APIConnectionError,
    APITimeoutError,
    RateLimitedError,
    ServerError,
)

FULL = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_max=3.0, rng=lambda: 1.0)


def test_backoff_is_exponential_full_jitter_and_capped() -> None:
    assert [FULL.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    half = RetryPolicy(backoff_base=1.0, backoff_max=30.0, rng=lambda: 0.5)
    assert [half.backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert RetryPolicy(backoff_base=0, backoff_max=0).backoff(4) == 0.0
    jittered = RetryPolicy(backoff_base=1.0, backoff_max=8.0)
    assert all(0.0 <= jittered.backoff(4) <= 8.0 for _ in range(100))


def test_retry_after_wins_within_the_cap() -> None:
    limited = RateLimitedError("slow down", status_code=429, retry_after=2.5)
    assert FULL.wait_for(1, limited) == 2.5
    assert FULL.wait_for(1, RateLimitedError("x", status_code=429, retry_after=100)) == 3.0
    assert FULL.wait_for(2, RateLimitedError("x", status_code=429)) == 1.0
    unavailable = ServerError("down", status_code=503, retry_after=1.5)
    assert FULL.wait_for(3, unavailable) == 1.5
    assert FULL.wait_for(1, APIConnectionError("dropped")) == 0.5


async def test_get_retries_429_honouring_retry_after(make_api: Any, emu: Any, sleeps: Any) -> None:
    api = make_api(retry_policy=FULL)
    emu.faults.set("list", retry_after=2)
    emu.faults.script("list", 1, "429")
    emu.faults.script("list", 2, "503_html")
    page = await api.list()
    assert len(page.data) == 3
    assert sleeps == [2.0, 1.0]  # Retry-After, then the 2nd backoff step
    assert emu.requests.count(route="list") == 3


@pytest.mark.parametrize("kind", ["429", "502", "503", "503_html", "drop_before", "drop_after"])
async def test_idempotent_calls_retry_transient_failures(
    make_api: Any, emu: Any, sleeps: Any, kind: str
) -> None:
    api = make_api(retry_policy=FULL)
    made = emu.state.add_project("Acme", external_id="acme")
    for route in ("get", "update", "list"):
        emu.faults.script(route, 1, kind)
    assert (await api.get(made["id"])).id == made["id"]
    assert (await api.update(made["id"], display_name="Acme 2")).display_name == "Acme 2"
    assert (await api.get_by_external_id("acme")) is not None
    assert len(sleeps) == 3
    assert emu.requests.count(route="update") == 2


async def test_500_is_retried_for_reads_only(make_api: Any, emu: Any, sleeps: Any) -> None:
    """RETRY_DOC: a plain 500 is retried, with backoff, for reads; a write fails at once."""
    api = make_api(retry_policy=FULL)
    made = emu.state.add_project("Acme", external_id="acme")
    emu.faults.script("list", 1, "500")
    assert (await api.list()).data
    assert sleeps == [0.5]
    assert emu.requests.count(route="list") == 2
    emu.faults.script("update", 1, "500")
    with pytest.raises(ServerError):
        await api.update(made["id"], display_name="Acme 2")
    assert emu.requests.count(route="update") == 1
    assert sleeps == [0.5]


async def test_retries_are_bounded(make_api: Any, emu: Any, sleeps: Any) -> None:
    api = make_api(retry_policy=FULL)
    emu.faults.set("list", rate=1.0, kinds=["503"])
    with pytest.raises(ServerError) as info:
        await api.list()
    assert info.value.status_code == 503
    assert sleeps == [0.5, 1.0, 2.0]
    assert emu.requests.count(route="list") == 4  # 1 + max_retries


#: A ``slow`` answer is held until the client hangs up: this client timeout is all a test
#: waits for it (normal answers, in milliseconds, stay far inside it on a loaded machine).
HANG_UP_AFTER = 1.0


async def test_read_timeout_is_retried(make_api: Any, emu: Any, sleeps: Any) -> None:
    api = make_api(retry_policy=FULL, timeout=HANG_UP_AFTER)
    made = emu.state.add_project("Acme")
    emu.faults.set("get", slow_seconds=600)
    emu.faults.script("get", 1, "slow")
    assert (await api.get(made["id"])).id == made["id"]
    assert sleeps == [0.5]


async def test_timeouts_surface_after_retries(make_api: Any, emu: Any) -> None:
    api = make_api(max_retries=1, backoff_base=0, timeout=HANG_UP_AFTER)
    emu.faults.set("list", rate=1.0, kinds=["slow"], slow_seconds=600)
    with pytest.raises(APITimeoutError):
        await api.list()
    assert emu.requests.count(route="list") == 2


async def test_create_is_not_blindly_retried(make_api: Any, emu: Any, sleeps: Any) -> None:
    api = make_api(retry_policy=FULL)
    for kind in ("503", "502_html", "500"):
        emu.faults.script("create", 1, kind)
        with pytest.raises(ServerError):
            await api.create("Acme", external_id=f"acme-{kind}")
    emu.faults.script("create", 1, "drop_after")
    with pytest.raises(APIConnectionError) as info:
        await api.create("Acme", external_id="acme-drop")
    assert info.value.may_have_reached_server
    assert emu.requests.count(route="create") == 4
    assert sleeps == []
    # the dropped create did commit: exactly one project, and no second one was attempted
    assert [p["externalId"] for p in emu.state.projects(types=["TEAM"])] == ["acme-drop"]


async def test_create_is_resent_after_a_429(make_api: Any, emu: Any, sleeps: Any) -> None:
    api = make_api(retry_policy=FULL)
    emu.faults.set("create", retry_after=1)
    emu.faults.script("create", 1, "429")
    created = await api.create("Acme", external_id="acme")
    assert created.external_id == "acme"
    assert sleeps == [1.0]
    assert len(emu.state.projects(types=["TEAM"])) == 1


async def test_delete_404_after_a_dropped_attempt_is_success(
    make_api: Any, emu: Any, sleeps: Any
) -> None:
    api = make_api(retry_policy=FULL)
    made = emu.state.add_project("Acme")
    emu.faults.script("delete", 1, "drop_after")
    await api.delete(made["id"])  # 2nd attempt gets 404: the 1st one did it
    assert emu.requests.count(route="delete") == 2
    assert len(sleeps) == 1
    assert emu.state.projects(types=["TEAM"]) == []


def test_aiohttp_hidden_resend_is_off() -> None:
    """aiohttp resends GET/PUT/DELETE on a dropped reused connection unless this private
    switch (aiohttp >= 3.11) is off; our retry layer must see every failure."""
    from aiohttp import ClientSession

    assert "_retry_connection" in ClientSession.ATTRS
