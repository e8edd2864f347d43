"""Piece whitelists that hold on both kinds of platform, checked through what each tenant sees.

Visibility is asked of the emulator (`EmulatorState.visible_pieces`), whichever mechanism
governs, never read back from our own records.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import TenantSpecError, apply, plan, reconcile
from activepieces_core.tenants.kinds.piece_sets import PieceSetKind
from activepieces_core.testing.piece_sets import PIECE_CATALOG

SLACK, GMAIL, HUBSPOT, OPENAI = (
    f"@activepieces/piece-{n}" for n in ("slack", "gmail", "hubspot", "openai")
)

DOCUMENT: dict[str, Any] = {
    "piece_sets": [
        {"key": "gold", "name": "Gold tier", "allow": ["slack", "gmail", "hubspot"]},
        {"key": "no-ai", "name": "Everything but AI", "block": ["openai"]},
    ],
    "tenants": [
        {"external_id": "acme", "piece_set": "gold"},
        {"external_id": "initech", "piece_set": "no-ai"},
        {"external_id": "globex", "pieces": ["slack"]},
        {"external_id": "hooli"},  # neither: the platform's Default set
    ],
}

EXPECTED = {
    "acme": sorted([SLACK, GMAIL, HUBSPOT]),
    "initech": sorted(p for p in PIECE_CATALOG if p != OPENAI),
    "globex": [SLACK],
    "hooli": sorted(PIECE_CATALOG),
}


def _client(emu: Any, **overrides: Any) -> ActivepiecesClient:
    options: dict[str, Any] = {
        "api_key": emu.api_key,
        "base_url": emu.url,
        "max_retries": 6,
        "backoff_base": 0.001,
        "backoff_max": 0.01,
    }
    options.update(overrides)
    return ActivepiecesClient(**options)


def _seen(emu: Any) -> dict[str, list[str]]:
    return {
        p["externalId"]: sorted(emu.state.visible_pieces(p["id"]))
        for p in emu.state.projects(types=["TEAM"])
    }


def _set_keys(emu: Any) -> list[str]:
    return sorted(s.get("key") or "" for s in emu.state.piece_sets.all())


@pytest.fixture
def piece_set_platform(activepieces_emulator: Any) -> Any:
    activepieces_emulator.state.configure_platform(manage_pieces_enabled=True)
    return activepieces_emulator


def test_each_tenant_sees_exactly_its_pieces(piece_set_platform: Any) -> None:
    emu = piece_set_platform
    with _client(emu) as client:
        first = plan(client, DOCUMENT)
        kinds = Counter((c.kind, c.action) for c in first.changes)
        assert kinds[("piece_set", "create")] == 3  # gold, no-ai, tenant:globex
        assert kinds[("piece_set_assignment", "update")] == 3  # hooli stays on Default
        report = apply(client, first)
        assert report.ok, report.failed
        assert _seen(emu) == EXPECTED
        emu.requests.clear()
        again = plan(client, DOCUMENT)
    assert not again.has_changes, [c for c in again.changes if c.action != "noop"]
    # a no-op re-sync costs the project reads (4 lookups here) plus the set listing's one
    # page, which is also the probe of the mechanism, and writes nothing
    routes = Counter(r.route for r in emu.requests)
    assert routes == {"list": 4, "piece_sets.list": 1}


def test_changes_move_tenants_and_drop_owned_sets(piece_set_platform: Any) -> None:
    emu = piece_set_platform
    with _client(emu) as client:
        assert reconcile(client, DOCUMENT).ok
        moved = {
            "piece_sets": DOCUMENT["piece_sets"],
            "tenants": [
                {"external_id": "acme", "pieces": ["gmail"]},  # from a named set to its own
                {"external_id": "initech"},  # back to Default
                {"external_id": "globex", "piece_set": "gold"},  # own set no longer needed
                {"external_id": "hooli", "piece_set": "no-ai"},
            ],
        }
        assert reconcile(client, moved).ok
        assert _seen(emu) == {
            "acme": [GMAIL],
            "initech": sorted(PIECE_CATALOG),
            "globex": EXPECTED["acme"],
            "hooli": EXPECTED["initech"],
        }
        assert _set_keys(emu) == ["default", "gold", "no-ai", "tenant:acme"]
        assert not plan(client, moved).has_changes
        # teardown: every project pruned, every owned set with it; named sets stay
        report = reconcile(
            client,
            {"piece_sets": DOCUMENT["piece_sets"], "tenants": []},
            prune=True,
            archive=None,
        )
        assert report.ok, report.failed
    assert emu.state.projects(types=["TEAM"]) == []
    assert _set_keys(emu) == ["default", "gold", "no-ai"]


def test_legacy_platform_keeps_pieces_on_the_plan(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    doc = {"tenants": [{"external_id": "globex", "pieces": ["slack"]}, {"external_id": "hooli"}]}
    with _client(emu) as client:
        assert reconcile(client, doc).ok
        assert not plan(client, doc).has_changes
    assert _seen(emu) == {"globex": [SLACK], "hooli": sorted(PIECE_CATALOG)}


def test_piece_set_on_a_legacy_platform_is_refused_before_sending(
    activepieces_emulator: Any,
) -> None:
    emu = activepieces_emulator
    with _client(emu) as client, pytest.raises(TenantSpecError, match="no piece sets"):
        reconcile(client, DOCUMENT)
    assert emu.state.projects(types=["TEAM"]) == []
    assert sum(emu.requests.count(route=r) for r in ("create", "update", "delete")) == 0


def test_faults_create_no_duplicate_set(piece_set_platform: Any) -> None:
    """20% injected faults on every route: converges, and no key is on two sets."""
    emu = piece_set_platform
    doc = {
        "piece_sets": [{"key": f"tier-{n}", "allow": ["slack"]} for n in range(5)],
        "tenants": [
            {"external_id": f"t{n:03d}", **({"pieces": ["gmail"]} if n % 3 else {})}
            for n in range(60)
        ],
    }
    emu.faults.set("*", rate=0.2, slow_seconds=0.5)
    with _client(emu, timeout=0.3) as client:
        for _attempt in range(8):
            if reconcile(client, doc).ok:
                break
    emu.faults.clear()
    keys = Counter(s.get("key") for s in emu.state.piece_sets.all())
    assert max(keys.values()) == 1, keys.most_common(3)
    assert sum(1 for r in emu.requests if r.fault) > 20
    with _client(emu) as client:
        assert not plan(client, doc).has_changes
    assert all(
        pieces == ([GMAIL] if int(ext[1:]) % 3 else sorted(PIECE_CATALOG))
        for ext, pieces in _seen(emu).items()
    )


def test_a_failed_declared_set_is_named_not_counted_as_a_tenant(piece_set_platform: Any) -> None:
    from activepieces_core.tenants import TenantSyncError

    emu = piece_set_platform
    doc = {"piece_sets": [{"key": "gold", "allow": ["slack"]}], "tenants": [{"external_id": "a"}]}
    emu.faults.set("piece_sets.create", rate=1.0, kinds=["500"])
    with _client(emu, max_retries=0) as client:
        report = reconcile(client, doc)
    emu.faults.clear()
    assert report.failed_tenants == ["piece_set:gold"]
    error = TenantSyncError.from_report(report)
    assert error.total == 2  # tenant "a" and the declared set
    assert "1 of 2" in str(error)


def test_saved_plan_is_refused_when_a_set_or_assignment_moved(piece_set_platform: Any) -> None:
    from activepieces_core.tenants import Plan, StalePlanError

    emu = piece_set_platform
    with _client(emu) as client:
        assert reconcile(client, DOCUMENT).ok
        moved = {**DOCUMENT, "tenants": [{"external_id": "acme", "piece_set": "no-ai"}]}
        moved["piece_sets"] = [
            {**DOCUMENT["piece_sets"][0], "allow": ["slack"]},
            DOCUMENT["piece_sets"][1],
        ]
        saved = Plan.from_dict(plan(client, moved).to_dict())
        gold = client.piece_sets.get_by_key("gold")
        assert gold is not None
        client.piece_sets.update(gold.id, name="Gold (edited by hand)")
        acme = client.projects.get_by_external_id("acme")
        assert acme is not None
        client.piece_sets.unassign(gold.id, acme.id)  # moved by hand to Default
        with pytest.raises(StalePlanError) as info:
            apply(client, saved)
    text = str(info.value)
    assert "piece_set gold changed (updated)" in text
    assert "acme: piece_set_assignment no-ai changed (piece_set)" in text
    assert _seen(emu)["acme"] == sorted(PIECE_CATALOG)  # nothing of the plan was written


@pytest.mark.parametrize("threshold", [100, 0])  # lookups, then one listing
def test_teardown_plan_takes_owned_sets_and_names_the_missing(
    piece_set_platform: Any, threshold: int
) -> None:
    from activepieces_core.tenants import plan_teardown

    emu = piece_set_platform
    with _client(emu) as client:
        assert reconcile(client, DOCUMENT).ok
        gone = plan_teardown(
            client,
            ["globex", "acme", "nobody", "hooli"],
            protect=["hooli"],
            lookup_threshold=threshold,
        )
        assert [(c.kind, c.external_id, c.action) for c in gone.changes] == [
            ("project", "globex", "delete"),
            ("project", "acme", "delete"),
            ("piece_set", "globex", "delete"),
        ]
        assert gone.missing == ["nobody"]
        assert gone.protected == ["hooli"]
        assert apply(client, gone, archive=None).ok
    assert sorted(_seen(emu)) == ["hooli", "initech"]
    assert _set_keys(emu) == ["default", "gold", "no-ai"]


def test_owned_set_stays_when_its_project_could_not_be_deleted(piece_set_platform: Any) -> None:
    from activepieces_core.tenants import plan_teardown

    emu = piece_set_platform
    with _client(emu) as client:
        assert reconcile(client, DOCUMENT).ok
        gone = plan_teardown(client, ["globex"])
        emu.faults.set("delete", rate=1.0, kinds=["503"])
        report = apply(client, gone, check_stale=False, archive=None)
        emu.faults.clear()
    assert [(r.kind, r.status) for r in report.results] == [
        ("project", "failed"),
        ("piece_set", "skipped"),
    ]
    assert "tenant:globex" in _set_keys(emu)  # still there for the rerun


@pytest.mark.parametrize("threshold", [100, 0])  # lookups, then one listing
def test_a_duplicated_external_id_reads_the_same_either_way(
    activepieces_emulator: Any, threshold: int
) -> None:
    from activepieces_core.tenants import plan_teardown

    emu = activepieces_emulator
    first = emu.state.add_project("A", external_id="dup")
    second = emu.state.add_project("B", external_id="other")
    emu.state.replace(second["id"], {"externalId": "dup"})
    with _client(emu) as client:
        gone = plan_teardown(client, ["dup"], lookup_threshold=threshold)
    lowest = min(first["id"], second["id"])
    assert [c.project_id for c in gone.changes] == [lowest]
    assert any("several TEAM projects" in w for w in gone.warnings)


def _onto_sets(gold: int, no_ai: int) -> dict[str, Any]:
    return {
        "piece_sets": DOCUMENT["piece_sets"],
        "tenants": [{"external_id": f"g{i:02d}", "piece_set": "gold"} for i in range(gold)]
        + [{"external_id": f"n{i:02d}", "piece_set": "no-ai"} for i in range(no_ai)]
        + [{"external_id": "own", "pieces": ["slack"]}],
    }


def test_moves_onto_a_set_are_batched_by_set(
    piece_set_platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = piece_set_platform
    monkeypatch.setattr(PieceSetKind, "batch_size", 4)
    doc = _onto_sets(gold=10, no_ai=3)
    with _client(emu) as client:
        tenant_plan = plan(client, doc)
        emu.requests.clear()
        report = apply(client, tenant_plan)
        assert report.ok, report.failed
        # gold: 10 moves in units of at most 4 -> 3 requests; no-ai: 3 -> 1; the own set: 1
        assert emu.requests.count(route="piece_sets.assign") == 3 + 1 + 1
        moves = [r for r in report.results if r.kind == "piece_set_assignment"]
        assert len(moves) == 14
        assert all(r.status == "succeeded" and r.target_id for r in moves)
        sets = {s.key: s.id for s in client.piece_sets.iter()}
        assert {r.target_id for r in moves if r.key == "gold"} == {sets["gold"]}
        assert not plan(client, doc).has_changes
    seen = _seen(emu)
    assert all(seen[f"g{i:02d}"] == EXPECTED["acme"] for i in range(10))
    assert all(seen[f"n{i:02d}"] == EXPECTED["initech"] for i in range(3))
    assert seen["own"] == [SLACK]


def test_an_assign_moves_up_to_500_projects(piece_set_platform: Any) -> None:
    # docs/tenants.md: "one assign request per 500 projects" (upstream's body has no bound)
    emu = piece_set_platform
    doc = {
        "piece_sets": DOCUMENT["piece_sets"],
        "tenants": [{"external_id": f"g{i:03d}", "piece_set": "gold"} for i in range(501)],
    }
    with _client(emu) as client:
        tenant_plan = plan(client, doc)
        emu.requests.clear()
        assert apply(client, tenant_plan, concurrency=16).ok
    assert emu.requests.count(route="piece_sets.assign") == 2  # 500 + 1


def test_a_failed_batch_fails_each_of_its_tenants_and_the_next_sync_converges(
    piece_set_platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = piece_set_platform
    monkeypatch.setattr(PieceSetKind, "batch_size", 100)
    doc = _onto_sets(gold=5, no_ai=2)
    with _client(emu, max_retries=1) as client:
        tenant_plan = plan(client, doc)
        emu.faults.set("piece_sets.assign", rate=1.0, kinds=["500"])
        try:
            report = apply(client, tenant_plan)
        finally:
            emu.faults.clear()
        failed = sorted(r.external_id for r in report.failed)
        assert failed == ["g00", "g01", "g02", "g03", "g04", "n00", "n01", "own"]
        assert all(r.error_type == "ServerError" for r in report.failed)
        again = plan(client, doc)
        pending = sorted(c.external_id for c in again.changes if c.action != "noop")
        assert pending == failed  # only the moves that failed are left
        assert apply(client, again).ok
    seen = _seen(emu)
    assert all(seen[f"g{i:02d}"] == EXPECTED["acme"] for i in range(5))


def test_the_project_diff_waits_for_the_probe_of_the_piece_set_kind(
    piece_set_platform: Any,
) -> None:
    # The project kind diffs after the piece-set kind has read (`diff_waits_for`): only then
    # does it know that a tenant's pieces are its set's, not a field of its project.
    with _client(piece_set_platform) as client:
        first = plan(client, {"tenants": [{"external_id": "globex", "pieces": ["slack"]}]})
    project = next(c for c in first.changes if c.kind == "project")
    assert project.data == {"pieces": False}
    assert "pieces" not in project.diff


def test_a_move_onto_a_tenant_s_own_set_goes_at_once_with_the_shared_sets_still_batched(
    piece_set_platform: Any,
) -> None:
    """Moves onto a shared set wait to be batched; a move onto a tenant's own set (no other
    project joins it) goes as the engine comes to it: the same single assign either way."""
    emu = piece_set_platform
    document = {
        "piece_sets": [{"key": "gold", "allow": ["slack"]}],
        "tenants": [
            {"external_id": "acme", "piece_set": "gold"},
            {"external_id": "globex", "pieces": ["gmail"]},
            {"external_id": "initech", "piece_set": "gold"},
        ],
    }
    moved: list[str] = []
    with _client(emu) as client:
        report = reconcile(
            client,
            document,
            concurrency=1,
            on_result=lambda r: (
                moved.append(r.external_id) if r.kind == "piece_set_assignment" else None
            ),
        )
    assert report.ok
    assert moved == ["globex", "acme", "initech"]
    assigns = [r for r in emu.requests if r.route == "piece_sets.assign"]
    assert len(assigns) == 2  # gold's two tenants in one request, globex's own set in one
    assert _seen(emu) == {"acme": [SLACK], "globex": [GMAIL], "initech": [SLACK]}
