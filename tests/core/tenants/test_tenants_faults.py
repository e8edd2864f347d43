"""Reconcile under injected faults converges with exactly one project per tenant."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import TenantSpec, plan, reconcile


@pytest.mark.slow
def test_reconcile_200_tenants_under_20_percent_faults(
    activepieces_emulator: Any, make_client: Callable[..., ActivepiecesClient]
) -> None:
    emu = activepieces_emulator
    n = 200
    specs = [
        TenantSpec(
            external_id=f"t-{i:03d}",
            display_name=f"Tenant {i}",
            metadata={"i": i},
            pieces=["slack"] if i % 3 == 0 else None,
            icon_color="BLUE" if i % 5 == 0 else None,
        )
        for i in range(n)
    ]
    # a few already exist, some stale
    for i in range(0, n, 10):
        emu.state.add_project(f"Stale {i}", external_id=f"t-{i:03d}")
    emu.faults.seed(7)
    emu.faults.set("*", rate=0.2, retry_after=0, slow_seconds=2.0)
    rounds = []
    with make_client(timeout=1.5, max_retries=5) as client:
        for _ in range(6):
            report = reconcile(client, specs, concurrency=16, page_size=64)
            rounds.append(report.summary)
            if report.ok:
                break
        assert report.ok, rounds
    assert sum(emu.faults.injected.values()) > 20
    emu.faults.clear()

    team = emu.state.projects(types=["TEAM"])
    counts = Counter(p["externalId"] for p in team)
    assert len(team) == n
    assert set(counts.values()) == {1}, counts.most_common(3)
    with make_client() as client:
        assert not plan(client, specs).has_changes
