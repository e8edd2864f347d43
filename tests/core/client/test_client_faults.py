"""ensure() under faults: never a duplicate, always converged.

The headline: 500 tenants onboarded through ``ensure`` while 20% of all requests fail (429,
503 HTML, slow responses past the client timeout, connections dropped before and after the
write commits), some tenants raced by two workers (duplicate-create 500) -> exactly one
project per tenant, every field converged, and a second pass writes nothing. The same with the sync client from a thread pool.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient, ColorName

COLORS = list(ColorName)
PIECES = ["slack", "gmail", "hubspot", "notion"]
FAULTS = {"429": 1.0, "503_html": 1.0, "slow": 1.0, "drop_before": 1.0, "drop_after": 1.0}


def spec(i: int) -> dict[str, Any]:
    """What tenant ``i`` should look like."""
    return {
        "external_id": f"tenant-{i:04d}",
        "display_name": f"Tenant {i:04d}",
        "metadata": {"n": i, "tier": "gold" if i % 3 else "free"},
        "releases_enabled": i % 2 == 0,
        "icon_color": COLORS[i % len(COLORS)],
        "pieces": None if i % 5 == 0 else PIECES[: 1 + i % len(PIECES)],
    }


def ensure_kwargs(i: int) -> dict[str, Any]:
    values = spec(i)
    return {k: v for k, v in values.items() if k not in ("external_id", "display_name")}


def assert_converged(emu: Any, n: int) -> None:
    projects = emu.state.projects(types=["TEAM"])
    by_ext = Counter(p["externalId"] for p in projects)
    duplicates = {k: c for k, c in by_ext.items() if c > 1}
    assert not duplicates, f"duplicates: {duplicates}"
    assert len(projects) == n
    for project in projects:
        i = int(project["externalId"].split("-")[1])
        want = spec(i)
        assert project["displayName"] == want["display_name"]
        assert project["metadata"] == want["metadata"]
        assert project["releasesEnabled"] is want["releases_enabled"]
        assert project["icon"]["color"] == want["icon_color"].value
        if want["pieces"] is None:
            assert project["plan"]["piecesFilterType"] == "NONE"
        else:
            assert project["plan"]["piecesFilterType"] == "ALLOWED"
            assert project["plan"]["pieces"] == sorted(
                f"@activepieces/piece-{p}" for p in want["pieces"]
            )


@pytest.mark.parametrize("kind", ["drop_after", "slow", "drop_before", "500", "503_html", "429"])
async def test_ensure_survives_one_failed_create(make_api: Any, emu: Any, kind: str) -> None:
    # A slow answer is held until the client hangs up: its 1 s timeout is all that is waited
    # (normal answers, in milliseconds, stay far inside it on a loaded machine).
    api = make_api(timeout=1.0, max_retries=3, backoff_base=0, backoff_max=0)
    emu.faults.set("create", slow_seconds=600)
    emu.faults.script("create", 1, kind)
    result = await api.ensure("tenant-0001", "Tenant 0001", **ensure_kwargs(1))
    assert result.action == "created"
    assert_converged(emu, 1)
    committed = kind in ("drop_after", "slow")
    # A create that may have committed is followed by a lookup, not a blind second create.
    assert emu.requests.count(route="create") == (1 if committed else 2)
    assert emu.requests.count(route="update") == 1


async def test_ensure_gives_up_after_bounded_attempts(make_api: Any, emu: Any) -> None:
    api = make_api(max_retries=2, backoff_base=0, backoff_max=0)
    emu.faults.set("create", rate=1.0, kinds=["500"])
    with pytest.raises(Exception, match="500"):
        await api.ensure("tenant-0001", "Tenant 0001")
    assert emu.requests.count(route="create") == 3
    assert emu.state.projects(types=["TEAM"]) == []


@pytest.mark.parametrize("duplicate_status", [500, 409])
async def test_concurrent_ensures_race_to_one_project(
    emu: Any, gate: Any, duplicate_status: int
) -> None:
    """All see "absent", all create; the losers get the duplicate 500 (or 409, should the
    server add the check) and find the winner."""
    emu.state.duplicate_external_id_status = duplicate_status
    gate("list", 4)  # no look-up is answered before all four are in flight
    async with AsyncActivepiecesClient(
        api_key=emu.api_key, base_url=emu.url, backoff_base=0, backoff_max=0
    ) as client:
        results = await asyncio.gather(
            *(client.projects.ensure("tenant-0007", "Tenant 0007") for _ in range(4))
        )
    assert len({r.project.id for r in results}) == 1
    assert len(emu.state.projects(types=["TEAM"])) == 1
    assert emu.requests.count(route="create") == 4  # the race did happen: all four created


async def test_500_tenants_with_20_percent_faults_async(emu: Any) -> None:
    n = 500
    emu.faults.seed(3)
    emu.faults.set("*", rate=0.2, kinds=FAULTS, retry_after=1, slow_seconds=0.6)
    async with AsyncActivepiecesClient(
        api_key=emu.api_key,
        base_url=emu.url,
        timeout=0.3,
        max_retries=8,
        backoff_base=0,
        backoff_max=0,
    ) as client:
        gate = asyncio.Semaphore(8)

        async def onboard(i: int) -> str:
            async with gate:
                spec_i = spec(i)
                result = await client.projects.ensure(
                    spec_i["external_id"], spec_i["display_name"], **ensure_kwargs(i)
                )
                return result.action

        # Every 10th tenant is onboarded twice at once (two workers racing), so creates also
        # meet the server's duplicate-externalId 500.
        order = [j for i in range(n) for j in ([i, i] if i % 10 == 0 else [i])]
        actions = await asyncio.gather(*(onboard(i) for i in order))
        injected = dict(emu.faults.injected)
        assert set(injected) == set(FAULTS), injected
        assert sum(injected.values()) > 200
        assert Counter(actions)["created"] >= n
        assert_converged(emu, n)
        duplicate_500s = [
            r for r in emu.requests if r.route == "create" and r.status == 500 and r.fault is None
        ]
        assert duplicate_500s, "the race never produced a duplicate-create 500"

        # Converged: a fault-free second pass (over a sample, to keep the test short) writes
        # nothing; assert_converged above already compared every project field by field.
        emu.faults.clear()
        emu.requests.clear()
        again = await asyncio.gather(*(onboard(i) for i in range(0, n, 5)))
        assert set(again) == {"unchanged"}
        assert sum(emu.requests.count(route=r) for r in ("create", "update", "delete")) == 0


def test_150_tenants_with_20_percent_faults_sync_threads(emu: Any) -> None:
    n = 150
    emu.faults.seed(11)
    emu.faults.set("*", rate=0.2, kinds=FAULTS, retry_after=1, slow_seconds=0.6)
    with ActivepiecesClient(
        api_key=emu.api_key,
        base_url=emu.url,
        timeout=0.3,
        max_retries=8,
        sleep=lambda _: None,
    ) as client:

        def onboard(i: int) -> str:
            spec_i = spec(i)
            return client.projects.ensure(
                spec_i["external_id"], spec_i["display_name"], **ensure_kwargs(i)
            ).action

        with ThreadPoolExecutor(max_workers=8) as pool:
            actions = list(pool.map(onboard, range(n)))
    assert Counter(actions)["created"] == n
    assert_converged(emu, n)
