"""A plan and its apply run on one job's clients: `reconcile` writes on the connections its
plan read on, instead of opening a client (and its connections) of its own for the apply."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient, ClientConfig
from activepieces_core.tenants import reconcile
from activepieces_core.tenants._runner import job_clients


def test_reconcile_writes_on_the_connections_its_plan_read_on(
    client: ActivepiecesClient, activepieces_emulator: Any
) -> None:
    tenants = [{"external_id": f"tenant-{i}"} for i in range(12)]
    activepieces_emulator.requests.clear()
    report = reconcile(client, tenants, concurrency=4)
    assert report.ok
    assert len(report.results) == 12
    records = list(activepieces_emulator.requests)
    reads = {r.peer for r in records if r.method == "GET"}  # the listing and the set probe
    writes = {r.peer for r in records if r.method == "POST"}
    assert len(records) - len([r for r in records if r.method == "GET"]) == 12
    assert None not in reads | writes
    # The reads' connections carry creates too, and no more are open than requests in flight.
    assert reads <= writes
    assert len(reads | writes) <= 4


@pytest.mark.parametrize(("backend", "expected"), [("httpx", 2), ("aiohttp", 1)])
async def test_a_job_spreads_its_workers_over_one_httpx_pool_per_four_or_one_aiohttp_session(
    activepieces_emulator: Any, backend: str, expected: int
) -> None:
    """httpx's own pool slows down when many tasks share it: a job on it gets one pool per
    four workers, the first being the plan's; aiohttp's session takes them all."""
    config = ClientConfig(
        api_key=activepieces_emulator.api_key,
        base_url=activepieces_emulator.url,
        async_backend=backend,
    )
    async with job_clients(config) as clients:
        pools = await clients.pools(8)
        assert len(pools) == expected
        assert pools[0] is clients.first
        assert all(pool.http_backend == backend for pool in pools)
        assert await clients.pools(8) == pools  # made once


async def test_a_job_given_an_async_client_uses_it_alone(activepieces_emulator: Any) -> None:
    async with (
        AsyncActivepiecesClient(
            api_key=activepieces_emulator.api_key,
            base_url=activepieces_emulator.url,
            async_backend="httpx",
        ) as given,
        job_clients(given) as clients,
    ):
        assert clients.first is given
        assert await clients.pools(16) == [given]
