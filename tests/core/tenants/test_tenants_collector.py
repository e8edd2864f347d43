"""Planning holds the cyclic collector off while it builds what the plan keeps (the document's
tenants, each kind's changes) and leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from quiet_kind import QuietKind

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import TenantChange, plan
from activepieces_core.tenants.kinds import PlanInput, Reading, registered


class _Probe(QuietKind):
    """Plans nothing; says whether the collector ran while it read and while it diffed."""

    name = "collector_probe"

    def __init__(self) -> None:
        self.at_read: list[bool] = []
        self.at_diff: list[bool] = []

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> None:
        self.at_read.append(gc.isenabled())

    def diff(self, request: PlanInput, reading: Reading, state: None) -> list[TenantChange]:
        self.at_diff.append(gc.isenabled())
        return []


def _rows(seen: list[bool]) -> Iterator[dict[str, Any]]:
    for i in range(3):
        seen.append(gc.isenabled())
        yield {"external_id": f"tenant-{i}"}


def test_the_collector_waits_while_a_plan_builds_and_runs_again_after(
    client: ActivepiecesClient,
) -> None:
    probe, rows_seen = _Probe(), []
    with registered(probe):
        planned = plan(client, _rows(rows_seen))
    assert rows_seen == [False, False, False]  # reading the document
    assert probe.at_diff == [False]
    assert probe.at_read == [True]  # requests in flight: other tasks' garbage is collected
    assert gc.isenabled()
    assert planned.summary["create"] == 3


@pytest.mark.usefixtures("collector_off")
def test_a_collector_that_was_off_stays_off(client: ActivepiecesClient) -> None:
    probe = _Probe()
    with registered(probe):
        plan(client, _rows([]))
    assert probe.at_diff == [False]
    assert not gc.isenabled()


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
