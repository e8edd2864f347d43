"""Plan once, apply in shards: the same outcome as one apply, every tenant in one shard once."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import (
    ApplyReport,
    DeletionLimitExceeded,
    InvalidPlanError,
    Plan,
    StalePlanError,
    TenantChange,
    aapply,
    plan,
)
from activepieces_core.tenants import apply as apply_plan
from activepieces_core.tenants.shards import PlanShards, replan_shard, shard_of, shard_plan


def client_for(emu: Any) -> ActivepiecesClient:
    """A client for ``emu`` with near-zero backoff."""
    return ActivepiecesClient(
        api_key=emu.api_key, base_url=emu.url, max_retries=6, backoff_base=0.001, backoff_max=0.01
    )


SHARDS = 4
#: Deletes go without an archive here (the archive option, where this version has it).
NO_ARCHIVE: dict[str, Any] = (
    {"archive": None} if "archive" in inspect.signature(aapply).parameters else {}
)


def apply(client: ActivepiecesClient, plan: Plan, **options: Any) -> ApplyReport:
    return apply_plan(client, plan, **NO_ARCHIVE, **options)


def _document() -> dict[str, Any]:
    """40 tenants on a piece-set platform: a declared set the plan creates (gold), one that
    exists (basic), tenants with their own pieces, people, and the Default set."""
    tenants = []
    for i in range(40):
        row: dict[str, Any] = {"external_id": f"t{i:03d}", "display_name": f"Tenant {i}"}
        if i % 3 == 0:
            row["piece_set"] = "gold"
        elif i % 5 == 0:
            row["pieces"] = ["slack"]
        elif i % 7 == 0:
            row["piece_set"] = "basic"
        if i % 4 == 0:
            row["members"] = [f"ops{i}@example.com"]
        tenants.append(row)
    return {
        "piece_sets": [
            {"key": "gold", "name": "Gold", "allow": ["slack", "gmail"]},
            {"key": "basic", "name": "Basic", "allow": ["gmail"]},
        ],
        "tenants": tenants,
    }


def _seed(emu: Any) -> None:
    """Half the tenants exist (some renamed since), three old ones are left to prune."""
    emu.state.configure_platform(manage_pieces_enabled=True)
    emu.state.piece_sets.add("Basic", "basic", mode="include_all")
    for i in range(20):
        name = f"Tenant {i}" if i % 2 else f"Old {i}"
        emu.state.add_project(name, external_id=f"t{i:03d}")
    for name in ("old-a", "old-b", "old-c"):
        emu.state.add_project(name, external_id=name)


def _platform_state(emu: Any) -> dict[str, Any]:
    """What the server holds, by external id and key (ids differ between runs)."""
    sets = {s["id"]: s.get("key") or "" for s in emu.state.piece_sets.all()}
    projects = {}
    for project in emu.state.projects(types=["TEAM"]):
        people = sorted(
            inv["email"]
            for inv in emu.state.people.invitations()
            if inv.get("projectId") == project["id"]
        )
        on = sets.get(emu.state.get_project(project["id"]).get("pieceSetId") or "")
        seen = len(emu.state.visible_pieces(project["id"]))
        projects[project["externalId"]] = (project["displayName"], on, seen, people)
    return {"projects": projects, "sets": sorted(sets.values())}


def _counts(report: ApplyReport) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    return report.summary, report.kind_summary


def _apply_sharded(client: ActivepiecesClient, shards: PlanShards) -> ApplyReport:
    """The platform part, then every shard at once (threads standing in for workers)."""
    first = apply(client, shards.platform)
    with ThreadPoolExecutor(len(shards.shards)) as pool:
        parts = list(
            pool.map(
                lambda i: apply(client, shards.shard(i, after=first), concurrency=4),
                range(len(shards.shards)),
            )
        )
    return ApplyReport.merge([first, *parts])


@pytest.fixture
def emu(activepieces_emulator: Any) -> Any:
    _seed(activepieces_emulator)
    return activepieces_emulator


def test_sharded_apply_counts_and_ends_as_one_apply(emu: Any) -> None:
    with client_for(emu) as client:
        whole = apply(client, plan(client, _document(), prune=True), concurrency=4)
    assert whole.ok, whole.failed
    expected_state = _platform_state(emu)
    emu.reset()
    _seed(emu)
    with client_for(emu) as client:
        the_plan = plan(client, _document(), prune=True)
        merged = _apply_sharded(client, shard_plan(the_plan, SHARDS))
        assert merged.ok, merged.failed
        assert _counts(merged) == _counts(whole)
        assert merged.summary["total"] == 43  # 40 listed, 3 pruned: each once
        assert (merged.summary["create"], merged.summary["delete"]) == (20, 3)
        assert _platform_state(emu) == expected_state
        assert not plan(client, _document(), prune=True).has_changes


def test_every_tenant_lands_in_one_shard_once(emu: Any) -> None:
    with client_for(emu) as client:
        the_plan = plan(client, _document(), prune=True)
    sharded = shard_plan(the_plan, SHARDS)
    assert [c.kind for c in sharded.platform.changes] == ["piece_set", "piece_set"]
    owner: dict[str, int] = {}
    for index, shard in enumerate(sharded.shards):
        for change in shard.changes:
            assert owner.setdefault(change.external_id, index) == index  # never split
    assert sorted(owner) == sorted({c.external_id for c in the_plan.changes if c.external_id})
    shard_changes = Counter(
        (c.external_id, c.kind, c.key, c.action) for s in sharded.shards for c in s.changes
    )
    planned = Counter(
        (c.external_id, c.kind, c.key, c.action) for c in the_plan.changes if c.external_id
    )
    assert shard_changes == planned  # nothing lost, nothing twice
    assert all(n > 0 for n in map(len, (s.changes for s in sharded.shards)))
    assert {s.document_digest for s in sharded.shards} == {the_plan.document_digest}


def test_assignment_is_stable() -> None:
    assert [shard_of("acme", 4) for _ in range(3)] == [shard_of("acme", 4)] * 3
    documented = int.from_bytes(hashlib.sha256(b"acme").digest()[:8], "big") % 4
    assert shard_of("acme", 4) == documented  # sha256, not the process's hash seed
    whole = Plan(changes=[_change(f"t{i}") for i in range(50)])
    some = Plan(changes=[_change(f"t{i}") for i in range(0, 50, 7)])
    where = {c.external_id: i for i, s in enumerate(shard_plan(whole, 3).shards) for c in s.changes}
    for index, shard in enumerate(shard_plan(some, 3).shards):
        assert all(where[c.external_id] == index for c in shard.changes)


def test_tenants_a_user_is_offboarded_from_share_a_shard() -> None:
    changes = [_change(f"t{i}", "delete") for i in range(30)]
    changes.append(
        _change("t03", "update", kind="user", key="ada@x.example", tenants=["t03", "t17", "t29"])
    )
    for shard in shard_plan(Plan(changes=changes), 5).shards:
        names = {c.external_id for c in shard.changes}
        assert names >= {"t03", "t17", "t29"} or not names & {"t03", "t17", "t29"}


def test_a_shard_applies_only_its_tenants(emu: Any) -> None:
    with client_for(emu) as client:
        the_plan = plan(client, _document(), prune=True)
        sharded = shard_plan(the_plan, SHARDS)
        first = apply(client, sharded.platform)
        report = apply(client, sharded.shard(1, after=first))
        assert report.ok, report.failed
        mine = {c.external_id for c in sharded.shards[1].changes}
        left = plan(client, _document(), prune=True)
    assert {c.external_id for c in left.changes if c.action != "noop"} == {
        c.external_id
        for i, s in enumerate(sharded.shards)
        if i != 1
        for c in s.changes
        if c.action != "noop"
    }
    assert {r.external_id for r in report.results} == mine


def test_a_shard_without_the_platform_ids_cannot_move_tenants_to_a_new_set(emu: Any) -> None:
    with client_for(emu) as client:
        sharded = shard_plan(plan(client, _document()), 1)
        apply(client, sharded.platform)
        report = apply(client, sharded.shards[0])  # not bound to what the platform part made
    failed = {r.error for r in report.failed if r.kind == "piece_set_assignment"}
    assert failed == {"piece set 'gold' was not created; nothing to assign"}


def test_staleness_is_checked_per_shard(emu: Any) -> None:
    with client_for(emu) as client:
        sharded = shard_plan(plan(client, _document(), prune=True), SHARDS)
        first = apply(client, sharded.platform)
        victim = next(c for c in sharded.shards[2].changes if c.action == "update")
        project = next(
            p for p in emu.state.projects(types=["TEAM"]) if p["externalId"] == victim.external_id
        )
        client.projects.update(project["id"], display_name="Edited in the UI")
        with pytest.raises(StalePlanError) as stale:
            apply(client, sharded.shard(2, after=first))
        assert stale.value.external_ids == [victim.external_id]
        others = [apply(client, sharded.shard(i, after=first)) for i in (0, 1, 3)]
    assert all(r.ok for r in others)


def test_shards_round_trip_as_saved_plans(emu: Any) -> None:
    with client_for(emu) as client:
        sharded = shard_plan(plan(client, _document(), prune=True), SHARDS)
    data = json.loads(json.dumps(sharded.to_dict()))
    again = PlanShards.from_dict(data)
    assert [len(s.changes) for s in again.shards] == [len(s.changes) for s in sharded.shards]
    data["shards"][0]["changes"][0]["display_name"] = "edited"
    with pytest.raises(InvalidPlanError):
        PlanShards.from_dict(data)


def test_max_deletions_holds_against_the_whole_plan(emu: Any) -> None:
    with client_for(emu) as client:
        the_plan = plan(client, _document(), prune=True)
    with pytest.raises(DeletionLimitExceeded):
        shard_plan(the_plan, SHARDS, max_deletions=2)  # 3 deletes: fewer in any one shard
    assert len(shard_plan(the_plan, SHARDS, max_deletions=3).shards) == SHARDS


def test_merge_of_nothing_and_of_dicts() -> None:
    assert ApplyReport.merge([]).summary["total"] == 0
    dry = ApplyReport(dry_run=True, duration_seconds=2.0)
    wet = ApplyReport(duration_seconds=3.0)
    merged = ApplyReport.merge([dry.to_dict(), wet])
    assert (merged.dry_run, merged.duration_seconds) == (False, 3.0)


def _change(
    ext: str,
    action: str = "create",
    *,
    kind: str = "project",
    key: str | None = None,
    tenants: list[str] | None = None,
) -> TenantChange:
    data = {"tenants": tenants} if tenants else {}
    return TenantChange.model_validate(
        {"external_id": ext, "action": action, "kind": kind, "key": key, "data": data}
    )


def test_a_retried_shard_is_planned_again_and_ends_as_planned(emu: Any) -> None:
    """A worker died mid-shard: part of it is written. The saved shard is now refused as
    stale; planned again from the document it converges, with no duplicate anywhere."""
    with client_for(emu) as client:
        whole = apply(client, plan(client, _document(), prune=True))
        assert whole.ok, whole.failed
        expected = _platform_state(emu)
        emu.reset()
        _seed(emu)
        sharded = shard_plan(plan(client, _document(), prune=True), 2)
        first = apply(client, sharded.platform)
        shards = [sharded.shard(i, after=first) for i in range(2)]
        assert apply(client, shards[0]).ok
        dead = shards[1].model_copy(update={"changes": shards[1].changes[::2]})
        written = apply(client, dead, check_stale=False)  # half of it went out before the kill
        assert any(r.status == "succeeded" and r.action == "create" for r in written.results)
        with pytest.raises(StalePlanError):
            apply(client, shards[1])
        retry = replan_shard(client, shards[1], _document())
        assert {c.external_id for c in retry.changes} <= {c.external_id for c in shards[1].changes}
        assert retry.summary["create"] < shards[1].summary["create"]  # done ones are noops
        assert apply(client, retry).ok
        assert not plan(client, _document(), prune=True).has_changes
    assert _platform_state(emu) == expected
    externals = Counter(p["externalId"] for p in emu.state.projects(types=["TEAM"]))
    assert set(externals.values()) == {1}
    keys = Counter(s.get("key") for s in emu.state.piece_sets.all())
    assert set(keys.values()) == {1}
    invited = Counter((i["projectId"], i["email"]) for i in emu.state.people.invitations())
    assert set(invited.values()) == {1}
