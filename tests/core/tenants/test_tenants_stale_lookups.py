"""The staleness check's read rule at its boundary: up to ``STALE_LOOKUP_MAX`` project changes
are re-read one lookup each (the module's documented rule); more take one paged listing
(`test_tenants_saved.py::test_a_large_plan_is_rechecked_with_one_listing`)."""

from __future__ import annotations

from typing import Any

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import find_stale, plan
from activepieces_core.tenants.kinds.projects import STALE_LOOKUP_MAX


def test_exactly_the_most_changes_are_re_read_one_lookup_each(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    n = STALE_LOOKUP_MAX
    for i in range(n):
        emu.state.add_project(f"T{i}", external_id=f"t{i:03d}")
    specs = [{"external_id": f"t{i:03d}", "display_name": f"Renamed {i}"} for i in range(n)]
    p = plan(client, specs, page_size=10)
    assert len(p.changes) == n
    emu.requests.clear()
    assert find_stale(client, p, page_size=10) == []
    assert emu.requests.count(route="get") == n  # update: its project read by id
    assert emu.requests.count(route="list") == 0
