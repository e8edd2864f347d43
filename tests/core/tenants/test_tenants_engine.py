"""Plan and apply against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Callable
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import (
    DeletionLimitExceeded,
    Plan,
    TenantSpec,
    aapply,
    aplan,
    apply,
    plan,
    reconcile,
)
from activepieces_core.tenants.diff import update_kwargs


def _team(emu: Any) -> list[dict[str, Any]]:
    return emu.state.projects(types=["TEAM"])


def _seed(emu: Any) -> dict[str, str]:
    ids = {}
    ids["keep"] = emu.state.add_project("Keep", external_id="keep")["id"]
    ids["upd"] = emu.state.add_project("Old name", external_id="upd")["id"]
    ids["gone"] = emu.state.add_project("Gone", external_id="gone")["id"]
    ids["legacy-1"] = emu.state.add_project("Legacy", external_id="legacy-1")["id"]
    ids["noext"] = emu.state.add_project("No external id")["id"]
    ids["personal"] = emu.state.add_project("Mine", external_id="personal", type="PERSONAL")["id"]
    return ids


SPECS = [
    {"external_id": "keep", "display_name": "Keep"},
    {"external_id": "upd", "display_name": "New name", "metadata": {"tier": "gold"}},
    {"external_id": "new", "display_name": "Brand new", "pieces": ["slack"], "icon_color": "RED"},
]


def test_plan_create_update_noop_delete_and_protect(
    activepieces_emulator: Any, client: ActivepiecesClient, writes: Callable[[], int]
) -> None:
    emu = activepieces_emulator
    ids = _seed(emu)
    emu.requests.clear()
    p = plan(client, SPECS, prune=True, protect=["legacy-*"])
    assert writes() == 0
    actions = {c.external_id: c.action for c in p.changes}
    assert actions == {"keep": "noop", "upd": "update", "new": "create", "gone": "delete"}
    upd = next(c for c in p.changes if c.external_id == "upd")
    assert upd.project_id == ids["upd"]
    assert upd.diff["display_name"] == {"from": "Old name", "to": "New name"}
    assert upd.diff["metadata"]["to"] == {"tier": "gold"}
    assert p.protected == ["legacy-1"]
    assert p.summary == {"create": 1, "update": 1, "delete": 1, "noop": 1}

    report = apply(client, p, archive=None)
    assert report.ok, report.to_dict()
    assert report.summary["succeeded"] == 3
    assert report.summary["skipped"] == 1
    remaining = {p["externalId"] for p in emu.state.projects()}
    assert remaining == {"keep", "upd", "new", "legacy-1", None, "personal"}
    new = next(p for p in _team(emu) if p["externalId"] == "new")
    assert new["icon"]["color"] == "RED"
    assert new["plan"] == new["plan"] | {
        "piecesFilterType": "ALLOWED",
        "pieces": ["@activepieces/piece-slack"],
    }
    again = plan(client, SPECS, prune=True, protect=["legacy-*"])
    assert not again.has_changes


def test_personal_and_unlabelled_projects_are_never_pruned(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    ids = _seed(activepieces_emulator)
    p = plan(client, [], prune=True)
    deleted = {c.project_id for c in p.by_action("delete")}
    assert deleted == {ids["keep"], ids["upd"], ids["gone"], ids["legacy-1"]}
    assert ids["personal"] not in deleted
    assert ids["noext"] not in deleted
    # protect also matches project ids
    p = plan(client, [], prune=True, protect=[ids["gone"], "k*"])
    assert {c.external_id for c in p.by_action("delete")} == {"upd", "legacy-1"}


def test_max_deletions_refuses_before_any_write(
    activepieces_emulator: Any, client: ActivepiecesClient, writes: Callable[[], int]
) -> None:
    _seed(activepieces_emulator)
    p = plan(client, SPECS, prune=True)
    assert len(p.by_action("delete")) == 2
    activepieces_emulator.requests.clear()
    with pytest.raises(DeletionLimitExceeded, match="max_deletions=1"):
        apply(client, p, max_deletions=1)
    with pytest.raises(DeletionLimitExceeded):
        reconcile(client, SPECS, prune=True, max_deletions=0)
    assert writes() == 0
    assert apply(client, p, max_deletions=2, archive=None).ok


def test_dry_run_writes_nothing(
    activepieces_emulator: Any, client: ActivepiecesClient, writes: Callable[[], int]
) -> None:
    _seed(activepieces_emulator)
    before = activepieces_emulator.state.projects()
    report = reconcile(client, SPECS, prune=True, protect=["legacy-*"], dry_run=True)
    assert writes() == 0
    assert activepieces_emulator.state.projects() == before
    statuses = {r.external_id: r.status for r in report.results}
    assert statuses == {"keep": "skipped", "upd": "planned", "new": "planned", "gone": "planned"}
    assert report.dry_run
    assert report.ok


def test_one_failing_tenant_does_not_stop_the_others(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    for i in range(5):
        emu.state.add_project(f"T{i}", external_id=f"t{i}")
    specs = [{"external_id": f"t{i}", "display_name": f"Renamed {i}"} for i in range(5)]
    p = plan(client, [*specs, {"external_id": "fresh"}])
    victim = next(c for c in p.changes if c.external_id == "t2")
    assert victim.project_id is not None
    client.projects.delete(victim.project_id)  # disappears between plan and apply

    # check_stale=False: a saved plan would refuse; this is about failures during apply.
    saved = Plan.from_dict(json.loads(json.dumps(p.to_dict())))
    report = apply(client, saved, concurrency=2, check_stale=False)
    failed = report.failed
    assert [r.external_id for r in failed] == ["t2"]
    assert failed[0].error_type == "NotFoundError"
    assert failed[0].error
    assert report.summary["succeeded"] == 5
    names = {p["externalId"]: p["displayName"] for p in _team(emu)}
    assert names == {
        "t0": "Renamed 0",
        "t1": "Renamed 1",
        "t3": "Renamed 3",
        "t4": "Renamed 4",
        "fresh": "fresh",
    }
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["summary"]["failed"] == 1
    assert payload["results"][2]["status"] == "failed"


def test_noop_resync_reads_only_list_pages(
    activepieces_emulator: Any, client: ActivepiecesClient, writes: Callable[[], int]
) -> None:
    emu = activepieces_emulator
    n, limit = 250, 100
    specs = [
        TenantSpec(external_id=f"tenant-{i:04d}", metadata={"n": i}, max_concurrent_jobs=2)
        for i in range(n)
    ]
    first = reconcile(client, specs, page_size=limit, concurrency=16)
    assert first.ok
    assert first.summary["create"] == n
    emu.requests.clear()
    second = reconcile(client, specs, page_size=limit, prune=True)
    assert second.summary["noop"] == n
    assert second.summary["skipped"] == n
    assert writes() == 0
    # the project pages, plus one probe of which mechanism governs the pieces (402 here)
    assert emu.requests.count(route="list") <= math.ceil(n / limit) + 1
    assert emu.requests.count(route="piece_sets.list") == 1
    assert len(emu.requests) == emu.requests.count(route="list") + 1


def test_few_specs_use_lookups(activepieces_emulator: Any, client: ActivepiecesClient) -> None:
    activepieces_emulator.state.add_project("A", external_id="a")
    activepieces_emulator.requests.clear()
    p = plan(client, [{"external_id": "a", "display_name": "A"}, {"external_id": "b"}])
    assert [c.action for c in p.changes] == ["noop", "create"]
    # two lookups and the probe of which mechanism governs the pieces
    assert p.read_requests == 3 == len(activepieces_emulator.requests)


def test_update_folds_every_field_into_one_request(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    current = emu.state.add_project("X", external_id="x")["icon"]["color"]
    spec = {
        "external_id": "x",
        "display_name": "X",
        "pieces": ["slack", "gmail"],
        "metadata": {"a": 1},
        "max_concurrent_jobs": 3,
        "releases_enabled": True,
        "icon_color": "BLUE" if current == "RED" else "RED",
    }
    p = plan(client, [spec])
    assert set(p.changes[0].diff) == {
        "pieces",
        "metadata",
        "max_concurrent_jobs",
        "releases_enabled",
        "icon_color",
    }
    emu.requests.clear()
    assert apply(client, p).ok
    assert emu.requests.count(route="update") == 1
    assert emu.requests.count(route="get") == 1 == len(emu.requests) - 1  # the staleness re-read
    assert not plan(client, [spec]).has_changes
    # pieces: None means "all pieces": the filter is lifted again
    back = plan(client, [{**spec, "pieces": None}])
    assert back.changes[0].diff["pieces"]["to"] is None
    assert apply(client, back).ok
    assert emu.state.projects(types=["TEAM"])[0]["plan"]["piecesFilterType"] == "NONE"


def test_sync_wrappers_work_from_threads_and_inside_a_loop(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    out: list[Plan] = []
    t = threading.Thread(target=lambda: out.append(plan(client, SPECS)))
    t.start()
    t.join()
    assert len(out[0].changes) == 3

    async def inside_loop() -> Plan:
        return plan(client, SPECS)

    assert asyncio.run(inside_loop()) == out[0]


async def test_async_api(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as ac:
        p = await aplan(ac, SPECS)
        report = await aapply(ac, p.to_dict(), concurrency=4)
        assert report.ok
        assert report.summary["create"] == 3
        assert not (await aplan(ac, SPECS)).has_changes


@pytest.mark.parametrize("kind", ["drop_after", "drop_before", "500"])
def test_create_failure_falls_back_to_ensure_without_duplicates(
    activepieces_emulator: Any, client: ActivepiecesClient, kind: str
) -> None:
    emu = activepieces_emulator
    emu.faults.script(route="create", nth=1, kind=kind)
    spec = {"external_id": "solo", "display_name": "Solo", "icon_color": "RED"}
    report = reconcile(client, [spec])
    assert report.ok, report.to_dict()
    team = _team(emu)
    assert [p["externalId"] for p in team] == ["solo"]
    assert team[0]["icon"]["color"] == "RED"
    assert report.results[0].project_id == team[0]["id"]


def test_global_connection_ids_ride_along_with_updates_only() -> None:
    spec = TenantSpec(external_id="a", global_connections=["gc-2", "gc-1"])
    assert update_kwargs({}, spec) == {}
    kwargs = update_kwargs({"display_name": {"from": "x", "to": "a"}}, spec)
    assert kwargs == {"display_name": "a", "global_connection_external_ids": ["gc-1", "gc-2"]}
    lift = update_kwargs({"pieces": {"from": ["p"], "to": None}}, None)
    assert lift["pieces"] == []
    assert lift["pieces_filter_type"] == "NONE"
