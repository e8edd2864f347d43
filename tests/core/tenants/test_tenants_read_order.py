"""Reads of kinds that need nothing of each other are on the wire together
(`Kind.read_waits_for`), and keep to the plan's concurrency together. When a kind reads and
diffs: tests/core/tenants/test_tenants_memory.py."""

from __future__ import annotations

from typing import Any

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import plan


def test_the_piece_set_probe_is_on_the_wire_beside_the_projects_listing(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    emu.faults.set("*", latency=0.05)
    emu.app.stats.reset()
    specs = [{"external_id": f"t{i}"} for i in range(6)]  # more than 4: one listing

    planned = plan(client, specs)

    assert planned.read_requests == 2  # the listing and the probe
    assert emu.stats()["max_in_flight"] == 2  # together, not one after the other


def test_kinds_that_read_side_by_side_keep_to_the_plan_s_concurrency(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    emu.state.configure_platform(manage_pieces_enabled=True)  # the probe, then a listing
    emu.faults.set("*", latency=0.05)
    emu.app.stats.reset()
    specs = [{"external_id": f"t{i}"} for i in range(8)]

    plan(client, specs, read="lookup", concurrency=3)

    # The lookups take their requests from the plan's gate, the piece sets hold their share.
    assert emu.stats()["max_in_flight"] == 3
