"""A tenant's contents in tenants as code: a ``template`` makes its flows, tables and folders
those of a replace body, over real HTTP to the emulator (which follows upstream's replace).

What each tenant holds is asked of the emulator (`EmulatorState.flows_of` and the like), never
read back from our own records.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import (
    DeletionLimitExceeded,
    StalePlanError,
    TenantSpec,
    TenantSpecError,
    apply,
    load_document,
    plan,
    reconcile,
)
from activepieces_core.tenants.views import plan_view

TENANTS = ("acme", "globex", "initech")
WRITES = ("create", "update", "delete", "projects.replace")


def flow(external_id: str, name: str) -> dict[str, Any]:
    """A flow of a replace body, as ``projects export`` writes one (a PopulatedFlow)."""
    return {
        "id": f"src-{external_id}",
        "externalId": external_id,
        "projectId": "template-project",
        "folderId": None,
        "status": "DISABLED",
        "version": {
            "id": f"src-{external_id}-v1",
            "flowId": f"src-{external_id}",
            "displayName": name,
            "trigger": {
                "name": "trigger",
                "valid": False,
                "displayName": "Select Trigger",
                "type": "EMPTY",
                "settings": {},
            },
            "valid": False,
            "schemaVersion": None,
            "notes": [],
            "connectionIds": [],
            "agentIds": [],
            "state": "DRAFT",
        },
    }


def template(*flows: tuple[str, str], folders: tuple[str, ...] = ("onboarding",)) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "sourceActivepiecesVersion": "0.70.0",
        "flows": [flow(ext, name) for ext, name in flows],
        "tables": [
            {
                "id": "src-leads",
                "name": "Leads",
                "externalId": "leads",
                "fields": [{"name": "Email", "type": "TEXT", "externalId": "email", "data": None}],
                "status": None,
                "trigger": None,
            }
        ],
        "folders": [
            {"externalId": ext, "displayName": ext.title(), "displayOrder": i}
            for i, ext in enumerate(folders)
        ],
        "connections": [],
        "requiredPieces": [],
    }


THIS_WEEK = template(
    ("welcome", "Welcome sequence"), ("crm-sync", "CRM sync"), ("alerts", "Alert flow")
)
#: Next week: one flow renamed, one added, one removed.
NEXT_WEEK = template(
    ("welcome", "Welcome sequence v2"), ("crm-sync", "CRM sync"), ("nps", "NPS survey")
)


def write_document(
    folder: Path, body: dict[str, Any], tenants: tuple[str, ...] = TENANTS, **extra: Any
) -> Path:
    (folder / "templates").mkdir(exist_ok=True)
    (folder / "templates" / "standard.json").write_text(json.dumps(body), encoding="utf-8")
    document = {
        "defaults": {"template": "templates/standard.json"},
        "tenants": [{"external_id": ext, **extra.get(ext, {})} for ext in tenants],
    }
    path = folder / "tenants.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def project_of(emu: Any, external_id: str) -> str:
    found = [p["id"] for p in emu.state.projects(types=["TEAM"]) if p["externalId"] == external_id]
    assert len(found) == 1, found
    return str(found[0])


def flows_by_external_id(emu: Any, external_id: str) -> dict[str, str]:
    flows = emu.state.flows_of(project_of(emu, external_id))
    ids = [f["externalId"] for f in flows]
    assert len(ids) == len(set(ids)), f"duplicate flows in {external_id}: {ids}"
    return {f["externalId"]: f["version"]["displayName"] for f in flows}


def wanted_flows(body: dict[str, Any]) -> dict[str, str]:
    return {f["externalId"]: f["version"]["displayName"] for f in body["flows"]}


def writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in WRITES)


def changed(tenant_plan: Any) -> Counter[tuple[str, str, str]]:
    return Counter(
        (c.external_id, c.kind, c.action) for c in tenant_plan.changes if c.action != "noop"
    )


@pytest.fixture
def emu(activepieces_emulator: Any) -> Any:
    activepieces_emulator.state.configure_platform(
        environments_enabled=True, global_connections_enabled=True
    )
    return activepieces_emulator


def test_template_is_installed_and_a_resync_reads_each_flow_list_once(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    document = write_document(tmp_path, THIS_WEEK)
    first = plan(client, document)
    per_tenant = changed(first)
    for ext in TENANTS:
        assert per_tenant[(ext, "project", "create")] == 1
        assert per_tenant[(ext, "flow", "create")] == 3
        assert per_tenant[(ext, "table", "create")] == 1
        assert per_tenant[(ext, "folder", "create")] == 1
    report = apply(client, first)
    assert report.ok, report.failed
    assert emu.requests.count(route="projects.replace") == len(TENANTS)  # one per tenant
    for ext in TENANTS:
        assert flows_by_external_id(emu, ext) == wanted_flows(THIS_WEEK)

    emu.requests.clear()
    again = plan(client, document)
    assert not again.has_changes, changed(again)
    flows = sum(1 for c in again.changes if c.kind == "flow")
    assert flows == 3 * len(TENANTS)  # reported as unchanged
    assert emu.requests.count(route="flows.list") == len(TENANTS)
    before = writes(emu)
    report = apply(client, again)
    assert writes(emu) == before  # a no-op re-sync writes nothing
    assert report.ok


def test_a_resync_reads_three_listings_a_tenant_and_plans_as_a_full_export_would(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    """The planner reads what replace compares (flows, folders, tables: no ``/v1/flags``, no
    connections listing) and plans the same changes a diff of each full export gives."""
    from activepieces_core.contents_diff import diff_state
    from activepieces_core.models.contents import ProjectState

    document = write_document(tmp_path, THIS_WEEK)
    apply(client, plan(client, document))
    emu.state.add_global_connection("slack-main")  # a connection the diff must not care about
    globex = project_of(emu, "globex")
    emu.state.put_flow(globex, {"externalId": "welcome", "version": {"displayName": "Hi"}})
    emu.state.put_flow(globex, {"externalId": "theirs", "version": {"displayName": "Theirs"}})
    emu.requests.clear()
    drift = plan(client, document)
    for route in ("flows.list", "folders.list", "tables.list"):
        assert emu.requests.count(route=route) == len(TENANTS), route
    assert emu.requests.count(route="flags.get") == 0
    assert emu.requests.count(route="app_connections.list") == 0

    wanted = ProjectState.from_body(THIS_WEEK)
    full: Counter[tuple[str, str, str]] = Counter()
    for ext in TENANTS:
        exported = client.projects.export_state(project_of(emu, ext))  # all five listings
        for item in diff_state(exported, wanted):
            full[(ext, item.kind, item.action)] += 1
    planned = Counter(
        (c.external_id, c.kind, c.action) for c in drift.changes if c.kind != "project"
    )
    assert planned == full
    assert changed(drift) == Counter(
        {("globex", "flow", "update"): 1, ("globex", "flow", "delete"): 1}
    )


def test_a_resync_keeps_to_its_requests_in_flight(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    """``concurrency`` bounds the requests in flight, not the tenants read at once: each
    tenant's listings go together, and 4 tenants at a time had 4 x 4 reads in flight."""
    tenants = tuple(f"tenant-{i}" for i in range(12))
    document = write_document(tmp_path, THIS_WEEK, tenants)
    apply(client, plan(client, document))
    emu.faults.set("*", latency=0.02)  # so that reads overlap
    emu.app.stats.reset()

    again = plan(client, document, concurrency=4)

    assert not again.has_changes
    assert emu.requests.count(route="fields.list") >= len(tenants)  # the table's fields too
    assert 0 < emu.stats()["max_in_flight"] <= 4


def test_contents_read_beside_the_piece_sets_keep_to_the_requests_in_flight(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    """The contents are read beside the piece sets (`Kind.read_waits_for`), through the plan's
    one gate, which the piece-set read holds its share of: together, never more than
    ``concurrency`` requests in flight."""
    tenants = tuple(f"tenant-{i}" for i in range(12))
    document = write_document(tmp_path, THIS_WEEK, tenants)
    apply(client, plan(client, document))
    emu.state.configure_platform(manage_pieces_enabled=True)  # a probe, then a listing
    emu.faults.set("*", latency=0.02)
    emu.app.stats.reset()

    again = plan(client, document, concurrency=4)

    assert not again.has_changes
    assert emu.stats()["max_in_flight"] == 4


def test_an_edited_flow_shows_that_tenant_and_no_other(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    document = write_document(tmp_path, THIS_WEEK)
    apply(client, plan(client, document))
    # Someone renames globex's welcome flow in the UI.
    emu.state.put_flow(
        project_of(emu, "globex"), {"externalId": "welcome", "version": {"displayName": "Hi"}}
    )
    drift = plan(client, document)
    assert changed(drift) == Counter({("globex", "flow", "update"): 1})
    (change,) = [c for c in drift.changes if c.action != "noop"]
    assert change.label == "flow Welcome sequence"
    apply(client, drift)
    assert flows_by_external_id(emu, "globex") == wanted_flows(THIS_WEEK)
    assert not plan(client, document).has_changes


def test_next_weeks_template_reaches_every_tenant(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    apply(client, plan(client, write_document(tmp_path, THIS_WEEK)))
    document = write_document(tmp_path, NEXT_WEEK)
    update = plan(client, document)
    expected: Counter[tuple[str, str, str]] = Counter()
    for ext in TENANTS:
        expected.update(
            {(ext, "flow", "update"): 1, (ext, "flow", "create"): 1, (ext, "flow", "delete"): 1}
        )
    assert changed(update) == expected
    renamed = [c for c in update.changes if c.action == "update"]
    assert {c.diff["displayName"]["to"] for c in renamed} == {"Welcome sequence v2"}
    report = reconcile(client, document)
    assert report.ok, report.failed
    for ext in TENANTS:
        assert flows_by_external_id(emu, ext) == wanted_flows(NEXT_WEEK)
    assert not plan(client, document).has_changes


def test_max_deletions_counts_a_templates_flow_deletes(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    apply(client, plan(client, write_document(tmp_path, THIS_WEEK)))
    fewer = template(("welcome", "Welcome sequence"))  # drops two flows from each tenant
    going = plan(client, write_document(tmp_path, fewer))
    before = emu.requests.count(route="projects.replace")
    with pytest.raises(DeletionLimitExceeded) as raised:
        apply(client, going, max_deletions=5)
    assert raised.value.deletions == 2 * len(TENANTS)
    assert emu.requests.count(route="projects.replace") == before  # nothing was sent
    report = apply(client, going, max_deletions=6)
    assert report.ok
    for ext in TENANTS:
        assert flows_by_external_id(emu, ext) == wanted_flows(fewer)


def test_a_tenant_without_template_keeps_its_contents_unread(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    own = emu.state.add_project("Hooli", external_id="hooli")
    emu.state.put_flow(own["id"], {"externalId": "mine", "version": {"displayName": "Mine"}})
    document = write_document(tmp_path, THIS_WEEK, tenants=("acme",))
    raw = json.loads(document.read_text())
    raw["tenants"].append({"external_id": "hooli", "template": None})
    document.write_text(json.dumps(raw))
    tenant_plan = plan(client, document)
    assert {c.external_id for c in tenant_plan.changes if c.kind == "flow"} == {"acme"}
    apply(client, tenant_plan)
    emu.requests.clear()
    plan(client, document)
    # The only flow listing read is acme's: hooli's contents were never asked for.
    assert emu.requests.count(route="flows.list") == 1
    assert flows_by_external_id(emu, "hooli") == {"mine": "Mine"}


def test_a_template_without_environments_fails_before_any_write(
    activepieces_emulator: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    emu = activepieces_emulator  # environmentsEnabled off (the default)
    document = write_document(tmp_path, THIS_WEEK)
    with pytest.raises(TenantSpecError, match="environmentsEnabled"):
        plan(client, document)
    with pytest.raises(TenantSpecError, match="environmentsEnabled"):
        reconcile(client, document)
    assert writes(emu) == 0
    assert emu.state.projects(types=["TEAM"]) == []


def test_new_tenants_get_the_same_changes_each_under_its_own_name(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    """Built once per template and copied: every new tenant has the template's every item
    created, named for that tenant, its first change carrying the body."""
    tenant_plan = plan(client, write_document(tmp_path, THIS_WEEK))
    by_tenant: dict[str, list[Any]] = {}
    for change in tenant_plan.changes:
        if change.kind != "project":
            by_tenant.setdefault(change.external_id, []).append(change)
    assert set(by_tenant) == set(TENANTS)
    shapes = {
        ext: [(c.kind, c.key, c.action, c.data, c.diff, c.project_id) for c in changes]
        for ext, changes in by_tenant.items()
    }
    first = shapes[TENANTS[0]]
    assert all(shape == first for shape in shapes.values())
    assert [c.action for c in by_tenant[TENANTS[0]]] == ["create"] * 5  # 1 folder, table, 3 flows
    assert "state" in by_tenant[TENANTS[1]][0].data


def test_new_tenants_changes_are_built_by_the_read_beside_its_requests(emu: Any) -> None:
    """Nothing is left for the diff to build between the last read and the first write: the
    read hands over every tenant's changes, a new tenant's made while the flags were read."""
    from activepieces_core import AsyncActivepiecesClient
    from activepieces_core.models.contents import ProjectState
    from activepieces_core.tenants.kinds.base import PlanInput, Reading
    from activepieces_core.tenants.kinds.contents import ContentsKind

    specs = [TenantSpec(external_id=f"t{i:03d}", template="standard.json") for i in range(120)]
    request = PlanInput(specs, templates={"standard.json": ProjectState.from_body(THIS_WEEK)})

    async def read() -> Any:
        async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
            return await ContentsKind().read(client, request, Reading())

    contents = asyncio.run(read())
    assert sorted(contents.changes) == [spec.external_id for spec in specs]
    assert {len(changes) for changes in contents.changes.values()} == {5}
    assert emu.requests.count(route="platforms.get") == 1


def test_the_plan_flags_are_read_beside_the_tenants_contents(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    """The platform's plan does not hold up the tenants' reads (one round trip less): its
    answer waits, here, until a tenant's flows have been asked for."""
    for ext in TENANTS:
        emu.state.add_project(ext.title(), external_id=ext)
    overlapped: list[bool] = []

    async def sleep(seconds: float) -> None:  # platforms.get's latency: until a flows read
        for _ in range(300):
            if emu.requests.count(route="flows.list"):
                overlapped.append(True)
                return
            await asyncio.sleep(0.01)
        overlapped.append(False)

    emu.faults.sleep = sleep
    emu.faults.set("platforms.get", latency=0.01)
    plan(client, write_document(tmp_path, THIS_WEEK))
    assert overlapped == [True]


def test_once_the_plan_flags_refuse_no_more_tenants_are_read(
    activepieces_emulator: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    emu = activepieces_emulator  # environmentsEnabled off (the default)
    tenants = tuple(f"t{i:02d}" for i in range(20))
    for ext in tenants:
        emu.state.add_project(ext, external_id=ext)
    emu.faults.set("flows.list", latency=0.2)  # the flags answer while the first reads wait
    with pytest.raises(TenantSpecError, match="environmentsEnabled"):
        plan(client, write_document(tmp_path, THIS_WEEK, tenants=tenants), concurrency=4)
    assert emu.requests.count(route="flows.list") <= 4  # those already started, no more
    assert writes(emu) == 0


def test_a_missing_or_invalid_template_is_refused_before_anything_is_sent(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    (tmp_path / "tenants.yaml").write_text(
        "defaults: {template: nowhere.json}\ntenants:\n  - external_id: acme\n", encoding="utf-8"
    )
    with pytest.raises(TenantSpecError, match=r"template 'nowhere\.json'"):
        load_document(tmp_path / "tenants.yaml")
    bad = template(("welcome", "Welcome"))
    del bad["flows"][0]["version"]["trigger"]
    document = write_document(tmp_path, bad)
    with pytest.raises(TenantSpecError, match="trigger"):
        plan(client, document)
    assert len(emu.requests) == 0


def test_a_replace_that_fails_for_one_item_fails_that_change_only(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    document = write_document(tmp_path, THIS_WEEK, tenants=("acme",))
    emu.state.contents.failing_items.add(("flow", "alerts"))
    report = apply(client, plan(client, document))
    failed = [(r.kind, r.key, r.error_type) for r in report.failed]
    assert failed == [("flow", "Alert flow", "ReplaceItemFailed")]
    assert "alerts" in str(report.failed[0].error)
    statuses = Counter((r.kind, r.status) for r in report.results)
    assert statuses[("flow", "succeeded")] == 2
    assert report.failed_tenants == ["acme"]


def test_global_connections_are_read_back_and_drift_shows(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    for ext in ("slack-main", "gmail-main"):
        emu.state.add_global_connection(ext)
    document = {"tenants": [{"external_id": "acme", "global_connections": ["slack-main"]}]}
    first = plan(client, document)
    (create,) = first.changes
    assert create.diff["global_connection_external_ids"] == {"from": None, "to": ["slack-main"]}
    apply(client, first)
    assert not plan(client, document).has_changes
    acme = project_of(emu, "acme")
    # Someone shares gmail-main with acme by hand: the plan takes it away again.
    with emu.state.lock:
        for connection in emu.state.connections_of(emu.state.platform().id):
            if connection["externalId"] == "gmail-main":
                connection["projectIds"] = [*connection["projectIds"], acme]
    drift = plan(client, document)
    (update,) = [c for c in drift.changes if c.action != "noop"]
    assert update.diff == {
        "global_connection_external_ids": {
            "from": ["gmail-main", "slack-main"],
            "to": ["slack-main"],
        }
    }
    apply(client, drift)
    shared = {c["externalId"] for c in emu.state.global_connections() if acme in c["projectIds"]}
    assert shared == {"slack-main"}


def test_the_old_global_connections_name_still_reads(recwarn: pytest.WarningsRecorder) -> None:
    spec = TenantSpec.model_validate({"external_id": "a", "global_connection_external_ids": "b;a"})
    assert spec.global_connections == ("a", "b")
    assert any(issubclass(w.category, DeprecationWarning) for w in recwarn)
    with pytest.raises(ValueError, match="one field"):
        TenantSpec.model_validate(
            {
                "external_id": "a",
                "global_connections": ["a"],
                "global_connection_external_ids": ["a"],
            }
        )
    # A row's new name overrides a default's old one.
    doc = load_document(
        {
            "defaults": {"global_connection_external_ids": ["x"]},
            "tenants": [{"external_id": "a", "global_connections": ["y"]}],
        }
    )
    assert doc.tenants[0].global_connections == ("y",)


def test_a_saved_plan_with_contents_goes_stale_when_a_flow_changes(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    apply(client, plan(client, write_document(tmp_path, THIS_WEEK)))
    saved = json.loads(json.dumps(plan(client, write_document(tmp_path, NEXT_WEEK)).to_dict()))
    emu.state.put_flow(
        project_of(emu, "initech"), {"externalId": "crm-sync", "version": {"displayName": "X"}}
    )
    before = emu.requests.count(route="projects.replace")
    with pytest.raises(StalePlanError) as raised:
        apply(client, saved)
    assert raised.value.external_ids == ["initech"]
    assert emu.requests.count(route="projects.replace") == before


def test_the_plan_view_shows_content_changes_per_tenant(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    apply(client, plan(client, write_document(tmp_path, THIS_WEEK)))
    view = plan_view(plan(client, write_document(tmp_path, NEXT_WEEK)))
    rows = {(r[0], r[1], r[2]) for r in view.rows}
    for ext in TENANTS:
        assert ("update", ext, "flow Welcome sequence v2") in rows
        assert ("create", ext, "flow NPS survey") in rows
        assert ("delete", ext, "flow Alert flow") in rows
    text = view.text()
    assert "flow: 3 create, 3 update, 3 delete, 3 noop" in text
    assert "displayName: Welcome sequence → Welcome sequence v2" in text
    assert "name: Alert flow → (removed)" in text
