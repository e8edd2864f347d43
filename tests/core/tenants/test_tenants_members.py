"""Tenant people as code: plan/apply invite, change roles and (only when asked) remove people."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import (
    DeletionLimitExceeded,
    TenantSpecError,
    aapply,
    aplan,
    apply,
    plan,
    reconcile,
)

#: Every route the onboarding touches (projects and people).
ROUTES = (
    "list",
    "create",
    "update",
    "roles.list",
    "invitations.create",
    "invitations.list",
    "members.list",
    "members.update",
)


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


def _people(emu: Any, external_id: str) -> dict[str, str]:
    """``{email: role}`` of the tenant's members and waiting invitations, from the emulator."""
    project = next(p for p in emu.state.projects(types=["TEAM"]) if p["externalId"] == external_id)
    members = emu.state.people.members(project["id"])
    people = {m["user"]["email"]: m["projectRole"]["name"] for m in members}
    for inv in emu.state.people.invitations():
        if inv.get("projectId") == project["id"]:
            people.setdefault(inv["email"], inv["projectRole"]["name"])
    return people


def _doc(members: dict[str, list[Any] | None], member_role: str | None = None) -> dict[str, Any]:
    tenants = []
    for ext, people in members.items():
        row: dict[str, Any] = {"external_id": ext}
        if people is not None:
            row["members"] = people
        tenants.append(row)
    defaults = {"member_role": member_role} if member_role else {}
    return {"defaults": defaults, "tenants": tenants}


def test_onboarding_invites_then_resync_is_noop(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    emu.state.people.add_user("known@acme.example")  # already on the platform: member at once
    doc = _doc(
        {
            "acme": [{"email": "Known@Acme.example", "role": "Admin"}, "new@acme.example"],
            "globex": None,  # not managed: never read
        },
        member_role="Viewer",
    )
    with _client(emu) as client:
        report = reconcile(client, doc)
        assert report.ok, report.failed
        assert report.kind_summary == {"member": {"succeeded": 2}}
        assert _people(emu, "acme") == {"known@acme.example": "Admin", "new@acme.example": "Viewer"}
        before = emu.requests.count()
        again = plan(client, doc)
    assert not again.has_changes
    assert [c.key for c in again.changes if c.kind == "member"] == [
        "known@acme.example",
        "new@acme.example",
    ]
    # a project lookup per tenant, the pieces probe, the roles, two people reads (acme only)
    assert emu.requests.count() - before == 2 + 1 + 1 + 2


def test_role_changes_and_pruning(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    project = emu.state.add_project("Acme", external_id="acme")
    emu.state.people.add_member(project["id"], "a@acme.example", "Editor")
    emu.state.people.add_member(project["id"], "stray@acme.example", "Viewer")
    emu.state.people.add_member(project["id"], "keep@ops.example", "Viewer")
    doc = _doc({"acme": [{"email": "a@acme.example", "role": "Admin"}, "b@acme.example"]})
    with _client(emu) as client:
        kept = plan(client, doc)
        assert {c.key: c.action for c in kept.changes if c.kind == "member"} == {
            "a@acme.example": "update",
            "b@acme.example": "create",
        }
        with pytest.raises(DeletionLimitExceeded, match="removes 1 member"):
            apply(
                client,
                plan(client, doc, prune_members=True, protect=["*@ops.example"]),
                max_deletions=0,
            )
        report = reconcile(client, doc, prune_members=True, protect=["*@ops.example"])
        assert report.ok, report.failed
    assert _people(emu, "acme") == {
        "a@acme.example": "Admin",
        "b@acme.example": "Editor",
        "keep@ops.example": "Viewer",
    }


def test_unknown_role_is_refused_before_any_write(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    doc = _doc({"acme": [{"email": "a@acme.example", "role": "Owner"}]})
    with _client(emu) as client, pytest.raises(TenantSpecError, match="unknown role"):
        reconcile(client, doc)
    assert sum(emu.requests.count(route=r) for r in ("create", "update", "delete")) == 0
    assert emu.state.projects(types=["TEAM"]) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_member_sets_converge(activepieces_emulator: Any, seed: int) -> None:
    """apply(plan(specs)) then plan is all no-op, for random people and role changes."""
    emu = activepieces_emulator
    rng = random.Random(seed)
    roles = ["Admin", "Editor", "Operator", "Viewer"]
    pool = [f"p{i}@t.example" for i in range(8)]
    async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        for _round in range(3):
            doc = _doc(
                {
                    f"t{n}": [
                        {"email": e, "role": rng.choice(roles)}
                        for e in rng.sample(pool, rng.randint(0, 4))
                    ]
                    for n in range(5)
                }
            )
            report = await aapply(client, await aplan(client, doc, prune_members=True))
            assert report.ok, report.failed
            after = await aplan(client, doc, prune_members=True)
            assert not after.has_changes, [c for c in after.changes if c.action != "noop"]
            for row in doc["tenants"]:
                wanted = {m["email"]: m["role"] for m in row["members"]}
                assert _people(emu, row["external_id"]) == wanted


def test_faults_leave_no_duplicate_and_lose_no_one(activepieces_emulator: Any) -> None:
    """500 tenants x 2 people under 20% injected faults: every e-mail accounted for."""
    emu = activepieces_emulator
    doc = _doc(
        {
            f"tenant-{n:03d}": [
                {"email": f"admin{n}@t.example", "role": "Admin"},
                f"analyst{n}@t.example",
            ]
            for n in range(500)
        }
    )
    for route in ROUTES:
        emu.faults.set(route, rate=0.2, slow_seconds=0.5)
    with _client(emu, timeout=0.3) as client:
        for _attempt in range(6):
            report = reconcile(client, doc)
            if report.ok:
                break
    emu.faults.clear()
    assert report.ok, report.failed[:3]
    assert sum(1 for r in emu.requests if r.fault) > 200  # the faults did happen
    member_results = [r for r in report.results if r.kind == "member"]
    assert len(member_results) == 1000  # every e-mail is in the report
    invitations = Counter((i["email"], i.get("projectId")) for i in emu.state.people.invitations())
    assert max(invitations.values()) == 1  # no duplicate invitation
    for n in range(500):
        assert _people(emu, f"tenant-{n:03d}") == {
            f"admin{n}@t.example": "Admin",
            f"analyst{n}@t.example": "Editor",
        }
    assert len(emu.state.projects(types=["TEAM"])) == 500


def test_offboarding_deactivates_only_people_of_torn_down_tenants(
    activepieces_emulator: Any,
) -> None:
    """Never a platform admin, never anyone still in another project; reported per user."""
    emu = activepieces_emulator
    people = emu.state.people
    for email in ("gone@a.example", "both@a.example", "boss@a.example", "keep@b.example"):
        people.add_user(email)
    admin = next(u for u in people.users() if u["email"] == "boss@a.example")
    people.update_user(emu.state.platform(), admin["id"], {"platformRole": "ADMIN"})
    doc = _doc(
        {
            "acme": ["gone@a.example", "both@a.example", "boss@a.example"],
            "globex": ["both@a.example", "keep@b.example"],
        }
    )
    with _client(emu) as client:
        assert reconcile(client, doc).ok
        teardown = plan(client, _doc({"globex": None}), prune=True, offboard_users=True)
        assert [(c.kind, c.key) for c in teardown.changes if c.kind == "user"] == [
            ("user", "gone@a.example")
        ]
        assert any("boss@a.example: platform admin" in w for w in teardown.warnings)
        assert any("both@a.example: still in another project" in w for w in teardown.warnings)
        report = apply(client, teardown, archive=None)
        assert report.ok, report.failed
    status = {u["email"]: u["status"] for u in people.users()}
    assert status["gone@a.example"] == "INACTIVE"
    assert {status[e] for e in ("both@a.example", "boss@a.example", "keep@b.example")} == {"ACTIVE"}


def test_many_tenants_read_members_and_waiting_invitations_once(activepieces_emulator: Any) -> None:
    """Past a few tenants, a no-op re-sync costs one platform-wide listing of the members
    (``GET /v1/platform-project-members/users``) and one of the waiting invitations, not one
    read per tenant, and writes nothing."""
    emu = activepieces_emulator
    doc = _doc({f"t{n:02d}": [f"a{n}@t.example", f"b{n}@t.example"] for n in range(12)})
    with _client(emu) as client:
        assert reconcile(client, doc).ok
        emu.requests.clear()
        again = plan(client, doc)
    assert not again.has_changes
    routes = Counter(r.route for r in emu.requests)
    assert routes["members.platform"] == 1
    assert routes["members.list"] == 0
    assert routes["invitations.list"] == 1
    assert sum(n for r, n in routes.items() if not r.endswith(("list", "platform"))) == 0


def test_the_platform_wide_members_read_plans_as_reads_per_project(
    activepieces_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drift (a role changed by hand, someone added by hand, a tenant's person removed, people
    of projects outside the document) planned from the platform-wide listing equals the plan
    from one read per project."""
    from activepieces_core.tenants.kinds import members as member_kind

    emu = activepieces_emulator
    doc = _doc({f"t{n:02d}": [f"a{n}@t.example", f"b{n}@t.example"] for n in range(12)})
    with _client(emu) as client:
        assert reconcile(client, doc).ok
        projects = {p["externalId"]: p["id"] for p in emu.state.projects(types=["TEAM"])}
        other = emu.state.add_project("Outside", external_id="outside")
        emu.state.people.add_member(other["id"], "x@o.example", "Admin")
        emu.state.people.add_member(projects["t03"], "extra@t.example", "Viewer")
        emu.state.people.add_member(projects["t05"], "a5@t.example", "Admin")  # signed up

        def planned() -> Counter[tuple[str, str, str]]:
            drift = plan(client, doc, prune_members=True)
            return Counter((c.external_id, c.key or "", c.action) for c in drift.changes)

        emu.requests.clear()
        wide = planned()
        assert Counter(r.route for r in emu.requests)["members.platform"] == 1
        monkeypatch.setattr(member_kind, "PLATFORM_WIDE_INVITATIONS", 100)
        emu.requests.clear()
        per_project = planned()
        assert Counter(r.route for r in emu.requests)["members.platform"] == 0
        # A server without the platform-wide listing (an older one, or one that hides it):
        # its 404 turns the plan to one read per project, and the plan is the same.
        monkeypatch.undo()
        emu.unserve("members.platform")
        emu.requests.clear()
        older = planned()
        routes = Counter((r.route, r.status) for r in emu.requests)
        assert routes[("not_found", 404)] == 1
        assert routes[("members.list", 200)] == 12
    assert wide == per_project == older
    changed = {k: n for k, n in wide.items() if k[2] != "noop"}
    assert changed == {
        ("t03", "extra@t.example", "delete"): 1,
        ("t05", "a5@t.example", "update"): 1,
    }


def test_saved_plan_is_refused_when_a_role_changed_since(activepieces_emulator: Any) -> None:
    """A person's role changed by hand between plan and apply: nothing is written."""
    from activepieces_core.tenants import Plan, StalePlanError

    emu = activepieces_emulator
    project = emu.state.add_project("Acme", external_id="acme")
    member = emu.state.people.add_member(project["id"], "a@acme.example", "Viewer")
    doc = _doc({"acme": [{"email": "a@acme.example", "role": "Admin"}, "b@acme.example"]})
    with _client(emu) as client:
        saved = Plan.from_dict(plan(client, doc).to_dict())
        emu.state.people.update_member_role(emu.state.platform(), member["id"], "Editor")
        before = emu.requests.count()
        with pytest.raises(StalePlanError, match=r"acme: member a@acme\.example changed \(role\)"):
            apply(client, saved)
    writes = [r for r in list(emu.requests)[before:] if r.method != "GET"]
    assert writes == []
    assert _people(emu, "acme") == {"a@acme.example": "Editor"}


def test_a_tenant_without_members_leaves_the_next_ones_managed(activepieces_emulator: Any) -> None:
    """``members`` left out means "not managed" for that tenant only: the tenants after it in
    the document still get theirs."""
    doc = _doc({"globex": None, "acme": ["new@acme.example"]}, member_role="Viewer")
    with _client(activepieces_emulator) as client:
        p = plan(client, doc)
    assert [(c.external_id, c.key, c.action) for c in p.changes if c.kind == "member"] == [
        ("acme", "new@acme.example", "create")
    ]


def test_a_member_change_shows_its_role_from_and_to(activepieces_emulator: Any) -> None:
    """What a plan shows for people: a role change, an invitation and a removal carry the role
    from and to; a member already in the wanted role shows no diff."""
    emu = activepieces_emulator
    project = emu.state.add_project("Acme", external_id="acme")
    emu.state.people.add_member(project["id"], "a@acme.example", "Editor")
    emu.state.people.add_member(project["id"], "same@acme.example", "Viewer")
    emu.state.people.add_member(project["id"], "stray@acme.example", "Viewer")
    wanted = [
        {"email": "a@acme.example", "role": "Admin"},
        {"email": "same@acme.example", "role": "Viewer"},
        {"email": "b@acme.example", "role": "Viewer"},
    ]
    with _client(emu) as client:
        p = plan(client, _doc({"acme": wanted}), prune_members=True)
    assert {c.key: (c.action, c.diff) for c in p.changes if c.kind == "member"} == {
        "a@acme.example": ("update", {"role": {"from": "Editor", "to": "Admin"}}),
        "same@acme.example": ("noop", {}),
        "b@acme.example": ("create", {"role": {"from": None, "to": "Viewer"}}),
        "stray@acme.example": ("delete", {"role": {"from": "Viewer", "to": None}}),
    }
