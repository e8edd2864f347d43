"""A plan and its apply run on one job's clients: `reconcile` writes on the connections its
plan read on, instead of opening a client (and its connections) of its own for the apply."""

from __future__ import annotations

from typing import Any

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import reconcile


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
